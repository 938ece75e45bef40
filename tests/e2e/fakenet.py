# SPDX-License-Identifier: Apache-2.0
"""A small engine for the client tests of networks and ports: it serves, on a unix socket,
/_ping, the /networks endpoints, and enough of /containers (create, inspect, list) as the
Engine API v1.41 describes them, from state held in memory, and records every request (method,
path without the version, query, JSON body). It makes no network: it lets the docker CLI and
berth be driven through the same scenarios and compared, on what they print and on what they
send, while berthd does not serve networks yet.

Answers and errors are worded as dockerd 28 words them ("network x not found", "error while
removing network: network x id ID has active endpoints").
"""
import hashlib
import http.server
import json
import os
import socketserver
import subprocess
import threading
import urllib.parse

import harness

PREDEFINED = ("bridge", "host", "none")


def net_id(name):
    return hashlib.sha256(("net-" + name).encode()).hexdigest()


def network(name, driver="bridge", **more):
    n = {"Name": name, "Id": net_id(name), "Created": "2025-01-02T03:04:05.123456789Z",
         "Scope": "local", "Driver": driver, "EnableIPv6": False,
         "IPAM": {"Driver": "default", "Options": None,
                  "Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]},
         "Internal": False, "Attachable": False, "Ingress": False,
         "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {},
         "Options": {}, "Labels": {}}
    n.update(more)
    return n


class FakeNetEngine:
    def __init__(self, path):
        self.path = path
        self.requests = []
        self.networks = [network("bridge"), network("host", "host", IPAM={
            "Driver": "default", "Options": None, "Config": []}), network("none", "null", IPAM={
                "Driver": "default", "Options": None, "Config": []})]
        self.containers = []  # GET /containers/json elements
        self.inspects = {}    # name -> GET /containers/NAME/json
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Api-Version", "1.41")
                self.send_header("Ostype", "linux")
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(0 if self.command == "HEAD"
                                                       else len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def handle_any(self):
                url = urllib.parse.urlparse(self.path)
                path = url.path
                if path.startswith("/v1."):
                    path = "/" + path.split("/", 2)[2]
                n = int(self.headers.get("Content-Length", "0") or 0)
                raw = self.rfile.read(n) if n else b""
                if path == "/_ping":
                    self.send_response(200)
                    self.send_header("Api-Version", "1.41")
                    self.send_header("Content-Length", "0" if self.command == "HEAD" else "2")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(b"OK")
                    return
                body = json.loads(raw) if raw else None
                query = urllib.parse.parse_qs(url.query)
                engine.requests.append((self.command, path, query, body))
                status, answer = engine.answer(self.command, path, query, body)
                self.reply(status, answer)

            do_GET = do_POST = do_DELETE = do_HEAD = handle_any

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # ---- the engine ----

    def find(self, ref):
        for n in self.networks:
            hexref = ref and all(c in "0123456789abcdef" for c in ref)
            if ref in (n["Name"], n["Id"]) or (hexref and n["Id"].startswith(ref)):
                return n
        return None

    def answer(self, method, path, query, body):
        parts = path.strip("/").split("/")
        if parts[0] == "networks":
            return self.networks_api(method, parts[1:], query, body)
        if parts[0] == "containers":
            return self.containers_api(method, parts[1:], query, body)
        return 404, {"message": "page not found"}

    def networks_api(self, method, parts, query, body):
        if method == "GET" and not parts:
            return 200, self.networks
        if method == "POST" and parts == ["create"]:
            if any(n["Name"] == body["Name"] for n in self.networks):
                return 409, {"message": "network with name %s already exists" % body["Name"]}
            n = network(body["Name"], body.get("Driver") or "bridge",
                        Labels=body.get("Labels") or {}, Internal=body.get("Internal", False))
            self.networks.append(n)
            return 201, {"Id": n["Id"], "Warning": ""}
        if method == "POST" and parts == ["prune"]:
            gone = [n["Name"] for n in self.networks
                    if n["Name"] not in PREDEFINED and not n["Containers"]]
            self.networks = [n for n in self.networks if n["Name"] not in gone]
            return 200, {"NetworksDeleted": gone}
        n = self.find(urllib.parse.unquote(parts[0]))
        if not n:
            return 404, {"message": "network %s not found" % parts[0]}
        if method == "GET":
            return 200, n
        if method == "DELETE":
            if n["Name"] in PREDEFINED:
                return 403, {"message": "%s is a pre-defined network and cannot be removed"
                             % n["Name"]}
            if n["Containers"]:
                return 403, {"message": "error while removing network: network %s id %s has "
                             "active endpoints" % (n["Name"], n["Id"])}
            self.networks.remove(n)
            return 204, None
        if method == "POST" and parts[1:] in (["connect"], ["disconnect"]):
            if body["Container"] not in self.inspects:
                return 404, {"message": "No such container: %s" % body["Container"]}
            return 200, None
        return 404, {"message": "page not found"}

    def containers_api(self, method, parts, query, body):
        if method == "GET" and parts == ["json"]:
            return 200, self.containers
        if method == "POST" and parts == ["create"]:
            return 201, {"Id": "c" * 64, "Warnings": []}
        if method == "GET" and len(parts) == 2 and parts[1] == "json":
            c = self.inspects.get(urllib.parse.unquote(parts[0]))
            if c is None:
                return 404, {"message": "No such container: %s" % parts[0]}
            return 200, c
        return 404, {"message": "page not found"}

    # ---- the clients ----

    def run(self, client, *args, input=None):
        """Run the docker CLI or berth against this engine: (exit code, stdout, stderr) with
        the program's name as <prog>, and the requests it made (without /_ping)."""
        env = dict(os.environ)
        for k in ("DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                  "BERTH_HOST", "BERTH_CONTEXT"):
            env.pop(k, None)
        d = os.path.dirname(self.path)
        env.update(DOCKER_HOST="unix://" + self.path, DOCKER_CONFIG=os.path.join(d, "docker"),
                   BERTH_CONFIG=os.path.join(d, "berth"))
        prog = harness.docker_cli() if client == "docker" else harness.BERTH
        n = len(self.requests)
        r = subprocess.run([prog] + list(args), env=env, input=input, capture_output=True,
                           text=True, timeout=60)
        name = os.path.basename(prog)
        norm = lambda s: s.replace("'%s " % name, "'<prog> ").replace("%s: " % name, "<prog>: ")\
            .replace("Usage:  %s " % name, "Usage:  <prog> ")
        return (r.returncode, norm(r.stdout), norm(r.stderr)), self.requests[n:]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
