#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Makes network-cases.json, the golden data of tests/unit/cli/test_copts.c: for each command
line of CASES, what the docker CLI (28.2, first on PATH) sends to POST /containers/create of an
engine of API 1.41 (a fake one on a unix socket that records the body and refuses), or the
error it prints instead. Run it again after changing CASES:

    tests/data/copts/record-docker.py > tests/data/copts/network-cases.json
"""
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading

# the members of the create body the network flags decide
KEYS = ["Hostname", "Domainname", "ExposedPorts", "MacAddress", "HostConfig.NetworkMode",
        "HostConfig.PortBindings", "HostConfig.PublishAllPorts", "HostConfig.Links",
        "HostConfig.Dns", "HostConfig.DnsOptions", "HostConfig.DnsSearch",
        "HostConfig.ExtraHosts", "NetworkingConfig"]

CASES = [
    ["-p", "8080:80"],
    ["-p", "127.0.0.1::81/udp"],
    ["-p", "9000-9001:90-91"],
    ["-p", "7000-7005:70"],
    ["-p", "[::1]:5000:5000"],
    ["-p", "::1:5001:5001"],
    ["-p", "8080:80", "-p", "8081:80", "-p", "8080:80"],
    ["-p", "0.0.0.0:1:1/SCTP"],
    ["-p", "80"],
    ["-p", "10-12"],
    ["-p", "1-2-3:5-6-7"],
    ["-p", "080:0080"],
    ["-p", ":80"],
    ["-p", "80/"],
    ["-p", "80/udp/x"],
    ["-p", "published=8080,target=80,protocol=udp"],
    ["-p", "target=80"],
    ["--expose", "100-101", "--expose", "80", "--expose", "55/udp", "--expose", "80/UDP"],
    ["--expose", "80/"],
    ["-P", "--expose", "80", "-p", "90"],
    ["--link", "a:b", "--link", "c", "--link", "/x:/y/z"],
    ["--network", "mynet", "--network-alias", "al1", "--net-alias", "al2", "--link", "x:y",
     "--ip", "10.1.0.4", "--ip6", "fd00::4", "--link-local-ip", "169.254.1.1"],
    ["--net=mynet"],
    ["--network", "host"],
    ["--network", "none"],
    ["--network", "bridge", "--ip", "172.17.0.9"],
    ["--network", "container:abc"],
    ["--network", "name=n1,alias=a1,ip=10.0.0.2,driver-opt=k=V,gw-priority=3", "--network",
     "n2"],
    ["--network", "NAME=N1,Alias=A1", "--network-alias", "x"],
    ["--network", "name=n1,link-local-ip=fe80::1", "--link-local-ip", "fe80::2"],
    ["--network", "\"name=n1\",alias=\"a,b\""],
    ["--network", "n1", "--network", "n2", "--ip", "10.0.0.7", "--link", "l1"],
    ["--dns", "1.1.1.1", "--dns", "::0001", "--dns", "::ffff:1.2.3.4", "--dns", " 8.8.8.8 ",
     "--dns", "::1.2.3.4", "--dns", "2001:db8:0:0:1:0:0:1", "--dns-search", "example.com.",
     "--dns-search", ".", "--dns-search", " a-b.c ", "--dns-option", "ndots:2", "--dns-opt",
     "timeout:1"],
    ["--add-host", "h:1.2.3.4", "--add-host", "g=::1", "--add-host", "b=[::2]",
     "--add-host", "gw:host-gateway", "--add-host", "v6:fe80::1:2"],
    ["-h", "hh", "--domainname", "d"],
    # refused
    ["--network-alias", "x"],
    ["--network", "host", "--link", "a"],
    ["-p", "80:x"], ["-p", "x"], ["-p", "8000-8010:80-85"], ["-p", "1.2.3.4.5:80:80"],
    ["-p", "80/foo"], ["-p", "[::1:80:80"], ["-p", "99999"], ["-p", "80:99999"],
    ["-p", "x:80"], ["-p", "80:"], ["-p", "a=b"], ["-p", "published"], ["-p", "[zz]:80:80"],
    ["-p", "[a]b:80:80"], ["-p", "[a]:b:80:80"], ["-p", "[a]]:80:80"], ["-p", "[[a]:80:80"],
    ["-p", "9-1:80"], ["-p", "-1:80"],
    ["--expose", "1:2"], ["--expose", "10-5"], ["--expose", ""], ["--expose", "x"],
    ["--expose", "1-99999"], ["--expose", "/udp"], ["--expose", "99999x"],
    ["--link", "a:b:c"], ["--link", ""],
    ["--network", "a=b"], ["--network", "name=x,alias=y,foo"], ["--network", ""],
    ["--network", "n1", "--network", "n1"], ["--network", "host", "--network", "n1"],
    ["--network", "host", "--network-alias", "x"], ["--network", "name=x,gw-priority=q"],
    ["--network", "name=x,driver-opt=novalue"], ["--network", "alias=x"],
    ["--network", "name=x,alias=a", "--network-alias", "b"],
    ["--network", "name=x,ip=1.2.3.4", "--ip", "1.2.3.5"],
    ["--network", "name=x,mac-address=zz"], ["--network", "name=\"x"],
    ["--mac-address", "00:11:22:33:44"], ["--mac-address", "x"],
    ["--dns", "x"], ["--dns", "01.2.3.4"], ["--dns-search", "-x"], ["--dns-search", "123"],
    ["--add-host", "x"], ["--add-host", "a:1.2.3.400"], ["--add-host", ":1.2.3.4"],
    ["--add-host", "a=[host-gateway]"],
]


class Recorder(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def serve(path, bodies):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Api-Version", "1.41")
            self.send_header("Ostype", "linux")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_HEAD(self):
            self.answer(200, None)

        def do_GET(self):
            self.answer(200, None) if self.path.endswith("/_ping") else self.answer(404, {})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(n)
            if "/containers/create" in self.path:
                bodies.append(json.loads(data))
            self.answer(500, {"message": "recorded"})

    srv = Recorder(path, Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def pick(body, key):
    v = body
    for part in key.split("."):
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    return v


def main():
    tmp = tempfile.mkdtemp()
    try:
        bodies = []
        sock = os.path.join(tmp, "engine.sock")
        srv = serve(sock, bodies)
        env = dict(os.environ, DOCKER_HOST="unix://" + sock,
                   DOCKER_CONFIG=os.path.join(tmp, "config"))
        out = []
        for args in CASES:
            n = len(bodies)
            r = subprocess.run([shutil.which("docker"), "run", "--pull", "never"] + args +
                               ["busybox"], env=env, capture_output=True, text=True)
            case = {"args": args}
            if len(bodies) > n:
                case["body"] = {k: pick(bodies[-1], k) for k in KEYS
                                if pick(bodies[-1], k) is not None}
            else:
                first = r.stderr.splitlines()[0]
                case["error"] = first[len("docker: "):] if first.startswith("docker: ") else first
            out.append(case)
        srv.shutdown()
        json.dump({"cases": out}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
