# SPDX-License-Identifier: Apache-2.0
"""berthd dial-stdio: what a client runs over SSH to reach the engine. It must carry HTTP byte
for byte, including a hijacked (upgraded) attach with binary data and the client's half-close,
and end when the engine is done. A real `docker -H ssh://` needs an SSH server, which these
tests do not have; the attach is driven by a small client of our own instead."""
import json
import os
import struct
import subprocess
import threading
import time

import harness


def dial_stdio(engine, *args):
    return [harness.BERTHD, "dial-stdio", "-H", engine.host] + list(args)


def request(method, path, body=b"", headers=None):
    h = {"Host": "berth", "Connection": "close"}
    if body:
        h.update({"Content-Type": "application/json", "Content-Length": str(len(body))})
    h.update(headers or {})
    return ("%s %s HTTP/1.1\r\n" % (method, path) +
            "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode() + body


def split_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode().split("\r\n")[0], body


def call(engine, method, path, doc=None):
    """One API call through dial-stdio: (status line, body)."""
    body = json.dumps(doc).encode() if doc is not None else b""
    r = subprocess.run(dial_stdio(engine), input=request(method, path, body),
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return split_response(r.stdout)


class Pipe:
    """berthd dial-stdio with our own stdin, and its stdout read as it comes (so that neither
    side waits for the other)."""

    def __init__(self, engine):
        self.p = subprocess.Popen(dial_stdio(engine), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""
        self.eof = False
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            with self.cond:
                if not chunk:
                    self.eof = True
                else:
                    self.out += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def wait_for(self, predicate, timeout=30):
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), timeout), self.out[:200]

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def frames(data):
    """Docker's multiplexed stream: (stream, payload) per 8-byte header."""
    out = []
    while data:
        stream, size = struct.unpack(">BxxxI", data[:8])
        out.append((stream, data[8:8 + size]))
        data = data[8 + size:]
    return out


def test_raw_http_through_dial_stdio(engine):
    # the request of the README, without "Connection: close": stdin's end is the request's
    r = subprocess.run(dial_stdio(engine), input=b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    status, body = split_response(r.stdout)
    assert status == "HTTP/1.1 200 OK" and body == b"OK"
    assert b"\r\nApi-Version: 1.41\r\n" in r.stdout
    status, body = call(engine, "GET", "/v1.41/version")
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(body)["ApiVersion"] == "1.41"
    assert r.stderr == b""


def test_ends_when_the_engine_is_done_though_stdin_stays_open(engine):
    pipe = Pipe(engine)
    try:
        pipe.p.stdin.write(request("GET", "/_ping"))
        pipe.p.stdin.flush()
        # the engine closes after its answer (Connection: close); stdin is still open, as a
        # terminal's would be, and dial-stdio ends anyway, with status 0
        assert pipe.p.wait(timeout=10) == 0
        pipe.wait_for(lambda s: s.eof)
        assert split_response(pipe.out) == ("HTTP/1.1 200 OK", b"OK")
    finally:
        pipe.p.stdin.close()
        pipe.close()


def test_hijacked_attach_through_dial_stdio_is_transparent(engine, busybox_tar):
    assert engine.docker("import", busybox_tar, "busybox").returncode == 0
    status, body = call(engine, "POST", "/v1.41/containers/create?name=ds", {
        "Image": "busybox", "Cmd": ["sh", "-c", "cat; echo bye"], "OpenStdin": True,
        "StdinOnce": True, "AttachStdin": True, "AttachStdout": True, "AttachStderr": True})
    assert status == "HTTP/1.1 201 Created", body
    # bytes of every value, with ctrl-p ctrl-q pairs and things that look like HTTP
    payload = (bytes(range(256)) * 64 + b"\x10\x11" * 4 + b"\r\n\r\nHTTP/1.1 200 OK\r\n" +
               os.urandom(256 << 10))
    pipe = Pipe(engine)
    try:
        pipe.p.stdin.write(request("POST", "/v1.41/containers/ds/attach?stream=1&stdin=1"
                                   "&stdout=1&stderr=1", headers={"Connection": "Upgrade",
                                                                  "Upgrade": "tcp"}))
        pipe.p.stdin.flush()
        pipe.wait_for(lambda s: b"\r\n\r\n" in s.out)
        status, _ = split_response(pipe.out)
        assert status.startswith("HTTP/1.1 101 "), status
        assert call(engine, "POST", "/v1.41/containers/ds/start")[0] == "HTTP/1.1 204 No Content"
        pipe.p.stdin.write(payload)
        # the end of our stdin is a half-close on the socket: with StdinOnce the container's
        # cat sees its end, and the output still comes back to us
        pipe.p.stdin.close()
        assert pipe.p.wait(timeout=60) == 0, pipe.p.stderr.read()
        pipe.wait_for(lambda s: s.eof)
    finally:
        pipe.close()
    _, stream = split_response(pipe.out)
    got = frames(stream)
    assert {s for s, _ in got} == {1}
    assert b"".join(p for _, p in got) == payload + b"bye\n"
    r = engine.docker("wait", "ds")
    assert r.stdout.strip() == "0", r.stderr


def test_help_and_errors(bins, sandbox):
    r = sandbox.run([harness.BERTHD, "dial-stdio", "--help"])
    assert r.returncode == 0
    assert r.stdout.startswith("Usage:  berthd dial-stdio [OPTIONS]\n")
    assert '-H, --host string' in r.stdout and '(default "unix:///run/berth.sock")' in r.stdout
    assert "dial-stdio" in sandbox.run([harness.BERTHD, "--help"]).stdout
    missing = sandbox.path("none.sock")
    r = sandbox.run([harness.BERTHD, "dial-stdio", "-H", "unix://" + missing])
    assert r.returncode == 1
    assert r.stderr == ("failed to open the raw stream connection: dial unix %s: connect: no "
                        "such file or directory\n" % missing)
    r = sandbox.run([harness.BERTHD, "dial-stdio", "-H", "tcp://127.0.0.1:2375"])
    assert r.returncode == 1 and "only unix:// hosts" in r.stderr
    r = sandbox.run([harness.BERTHD, "dial-stdio", "extra"])
    assert r.returncode == 1
    assert r.stderr == ('"berthd dial-stdio" accepts no arguments.\n'
                        "See 'berthd dial-stdio --help'.\n")
    r = sandbox.run([harness.BERTHD, "dial-stdio", "--bogus"])
    assert r.returncode == 1 and r.stderr.startswith("unknown flag: --bogus\n")


def test_the_engine_dropping_the_connection_is_no_error_for_dial_stdio(engine):
    # an HTTP error that closes the connection ends dial-stdio quietly, as docker's does
    r = subprocess.run(dial_stdio(engine), input=b"\x00garbage\r\n\r\n", capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"" or r.stdout.startswith(b"HTTP/1.1 4")
    assert engine.ping()


def test_a_slow_reader_gets_everything(engine, busybox_tar):
    # the engine's output waits for stdout; nothing is dropped while our reader dawdles
    assert engine.docker("import", busybox_tar, "busybox").returncode == 0
    engine.docker("run", "--name", "big", "busybox", "sh", "-c",
                  "head -c 3000000 /dev/zero | tr '\\0' x")
    p = subprocess.Popen(dial_stdio(engine), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        # stdin stays open, as a client's over SSH does: the end of the client's stream would
        # end a streamed response (berthd, like Go's net/http, takes it for the client leaving)
        p.stdin.write(request("GET", "/v1.41/containers/big/logs?stdout=1"))
        p.stdin.flush()
        time.sleep(1)  # the pipe to us fills up and dial-stdio blocks on it
        data = p.stdout.read()
        assert p.wait(timeout=30) == 0
    finally:
        p.stdin.close()
        if p.poll() is None:
            p.kill()
            p.wait()
    status, body = split_response(data)
    assert status == "HTTP/1.1 200 OK", data[:300]
    # chunked transfer: strip the chunk sizes, then the frames
    payload = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        payload += rest[:n]
        body = rest[n + 2:]
    assert b"".join(p for _, p in frames(payload)) == b"x" * 3000000
    engine.docker("rm", "big")
