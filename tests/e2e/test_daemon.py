# SPDX-License-Identifier: Apache-2.0
"""berthd itself: flags and configuration in dockerd's words, one daemon per data root, the
HTTP side (versions, errors, hostile requests), and the docker CLI's view of it."""
import json
import os
import re
import socket
import time

import pytest

import harness


def raw_request(sock_path, data, read_timeout=5):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(read_timeout)
    s.connect(sock_path)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and (b"Content-Length: 0" in out or out.endswith(b"}\n")):
                break
    except (socket.timeout, OSError):
        pass
    s.close()
    return out


def http(engine, method, path, body=b"", headers=None):
    h = {"Host": "berth", "Connection": "close", "Content-Length": str(len(body))}
    h.update(headers or {})
    req = "%s %s HTTP/1.1\r\n" % (method, path) + "".join(
        "%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    resp = raw_request(engine.sock, req.encode() + body)
    head, _, rest = resp.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest


# ---- flags, configuration, the lock ----

def test_second_daemon_on_the_same_data_root_refuses(engine, sandbox):
    r = sandbox.run([harness.BERTHD, "--data-root", engine.data_root, "--exec-root",
                     sandbox.path("exec2"), "-H", "unix://" + sandbox.path("other.sock"),
                     "--pidfile", sandbox.path("other.pid")], timeout=20)
    assert r.returncode == 1
    assert re.search(r"another berthd \(pid %d\) is already using the data root %s" %
                     (engine.proc.pid, re.escape(engine.data_root)), r.stderr), r.stderr
    assert engine.ping()


def test_second_daemon_leaves_the_firsts_pidfile_and_socket(engine, sandbox):
    pidfile = engine.sb.path("berthd.pid")
    r = sandbox.run([harness.BERTHD, "--data-root", engine.data_root, "--exec-root",
                     sandbox.path("exec2"), "-H", "unix://" + engine.sock, "--pidfile", pidfile],
                    timeout=20)
    assert r.returncode == 1, r.stderr
    with open(pidfile) as f:
        assert int(f.read()) == engine.proc.pid
    assert engine.ping()


def test_pidfile_is_written_and_removed(engine):
    pidfile = engine.sb.path("berthd.pid")
    with open(pidfile) as f:
        assert int(f.read()) == engine.proc.pid
    engine.sb.stop(engine.proc)
    assert not os.path.exists(pidfile)
    assert not os.path.exists(engine.sock)


def test_config_file_conflicts_and_unknown_keys(bins, sandbox):
    cfg = sandbox.path("daemon.json")
    with open(cfg, "w") as f:
        json.dump({"data-root": sandbox.path("d1"), "bogus-key": 1}, f)
    r = sandbox.run([harness.BERTHD, "--config-file", cfg])
    assert r.returncode == 1
    assert "the following directives don't match any configuration option: bogus-key" in r.stderr
    with open(cfg, "w") as f:
        json.dump({"data-root": sandbox.path("d1")}, f)
    r = sandbox.run([harness.BERTHD, "--config-file", cfg, "--data-root", sandbox.path("d2")])
    assert r.returncode == 1
    assert ("the following directives are specified both as a flag and in the configuration "
            "file: data-root: (from flag: %s, from file: %s)" % (sandbox.path("d2"),
                                                                 sandbox.path("d1"))) in r.stderr
    r = sandbox.run([harness.BERTHD, "--config-file", sandbox.path("missing.json")])
    assert r.returncode == 1 and "no such file or directory" in r.stderr


def test_config_file_is_used(bins, sandbox):
    cfg = sandbox.path("daemon.json")
    sock = sandbox.path("cfg.sock")
    with open(cfg, "w") as f:
        json.dump({"data-root": sandbox.path("data"), "exec-root": sandbox.path("exec"),
                   "hosts": ["unix://" + sock], "pidfile": sandbox.path("p.pid"),
                   "log-level": "debug"}, f)
    p = sandbox.start([harness.BERTHD, "--config-file", cfg], log_name="cfg.log")
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    r = sandbox.run([harness.docker_cli(), "-H", "unix://" + sock, "version", "--format",
                     "{{.Server.APIVersion}}"])
    assert r.stdout.strip() == "1.41", r.stderr
    sandbox.stop(p)
    with open(p.log_path) as f:
        assert "level=debug" in f.read()


def test_log_file_and_level(bins, sandbox):
    log = sandbox.path("berthd.log")
    eng = harness.Engine(sandbox, ["--log-file", log, "--log-level", "debug"]).start()
    eng.docker("ps")
    with open(log) as f:
        text = f.read()
    assert re.search(r'level=debug msg="Calling GET /v1\.41/containers/json"', text), text
    assert re.search(r'^time="\S+" level=info msg="API listen on ', text, re.M)


def test_bad_log_level(bins, sandbox):
    r = sandbox.run([harness.BERTHD, "--log-level", "loud"])
    assert r.returncode == 1
    assert "unable to parse logging level: loud" in r.stderr


def test_tcp_listener_is_loopback_only(bins, sandbox):
    r = sandbox.run([harness.BERTHD, "--data-root", sandbox.path("d"), "--exec-root",
                     sandbox.path("e"), "--pidfile", sandbox.path("p"), "-H",
                     "tcp://0.0.0.0:2375"], timeout=20)
    assert r.returncode == 1
    assert "only loopback addresses" in r.stderr
    eng = harness.Engine(sandbox, ["-H", "tcp://127.0.0.1:23750"]).start()
    r = sandbox.run([harness.docker_cli(), "-H", "tcp://127.0.0.1:23750", "version",
                     "--format", "{{.Server.Version}}"])
    assert r.returncode == 0, r.stderr
    assert eng.docker("version", "--format", "{{.Server.Version}}").stdout == r.stdout


# ---- HTTP ----

def test_ping_and_versions(engine):
    for method in ("GET", "HEAD"):
        status, h, body = http(engine, method, "/_ping")
        assert status == 200
        assert h["api-version"] == "1.41"
        assert h["ostype"] == "linux"
        if method == "GET":
            assert body == b"OK"
    status, _, body = http(engine, "GET", "/v1.41/version")
    assert status == 200 and json.loads(body)["ApiVersion"] == "1.41"
    status, _, body = http(engine, "GET", "/v1.99/version")
    assert status == 400
    assert json.loads(body) == {"message": "client version 1.99 is too new. Maximum supported "
                                           "API version is 1.41"}
    status, _, body = http(engine, "GET", "/v1.11/version")
    assert status == 400 and "is too old" in json.loads(body)["message"]
    status, _, body = http(engine, "GET", "/v1.41/nonsense")
    assert status == 404 and json.loads(body) == {"message": "page not found"}


def test_hostile_requests_get_4xx_and_the_daemon_goes_on(engine):
    # not HTTP at all
    resp = raw_request(engine.sock, b"\x00\x01garbage\r\n\r\n")
    assert resp == b"" or resp.startswith(b"HTTP/1.1 4")
    # an oversized header
    resp = raw_request(engine.sock, b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " +
                       b"a" * (1 << 20) + b"\r\n\r\n")
    assert resp == b"" or re.match(rb"HTTP/1\.1 4\d\d", resp), resp[:100]
    # an oversized JSON body
    status, _, _ = http(engine, "POST", "/containers/create", b"{" + b" " * (17 << 20) + b"}",
                        {"Content-Type": "application/json"})
    assert status in (400, 413)
    # broken JSON, wrong type, wrong content type
    status, _, body = http(engine, "POST", "/containers/create", b"{not json",
                           {"Content-Type": "application/json"})
    assert status == 400 and "invalid JSON" in json.loads(body)["message"]
    status, _, body = http(engine, "POST", "/containers/create", b'{"Image": 5}',
                           {"Content-Type": "application/json"})
    assert status == 400
    status, _, body = http(engine, "POST", "/containers/create", b'{"Image":"x"}',
                           {"Content-Type": "text/plain"})
    assert status == 400 and "Content-Type" in json.loads(body)["message"]
    status, _, body = http(engine, "POST", "/containers/create?name=bad%20name",
                           b'{"Image":"x"}', {"Content-Type": "application/json"})
    assert status == 400
    assert engine.ping()
    assert engine.docker("ps").returncode == 0


def test_docker_version_and_info(engine):
    r = engine.docker("version")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Server: Berth Engine$", r.stdout, re.M)
    assert re.search(r"API version:\s+1\.41 \(minimum version 1\.12\)", r.stdout)
    r = engine.docker("info")
    assert r.returncode == 0, r.stderr
    assert re.search(r"Server Version: 0\.\d+\.\d+", r.stdout)
    assert "Storage Driver: overlay2" in r.stdout
    assert "Logging Driver: json-file" in r.stdout
    assert "Cgroup Driver: cgroupfs" in r.stdout
    assert "Docker Root Dir: %s" % engine.data_root in r.stdout
    info = json.loads(engine.docker("info", "--format", "{{json .}}").stdout)
    assert info["Containers"] == 0 and info["Images"] == 0
    assert info["NCPU"] == os.cpu_count()
    assert info["CgroupVersion"] in ("1", "2")


def test_info_counts_containers_and_images(engine, busybox_tar):
    assert engine.docker("import", busybox_tar, "busybox").returncode == 0
    engine.docker("run", "--name", "x1", "busybox", "true")
    engine.docker("run", "-d", "--name", "x2", "busybox", "sleep", "300")
    info = json.loads(engine.docker("info", "--format", "{{json .}}").stdout)
    assert (info["Containers"], info["ContainersRunning"], info["ContainersStopped"],
            info["Images"]) == (2, 1, 1, 1)
    engine.docker("rm", "-f", "x1", "x2")
