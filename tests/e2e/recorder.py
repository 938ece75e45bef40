# SPDX-License-Identifier: Apache-2.0
"""A recording proxy for the client tests: a unix socket in front of berthd's that relays every
connection byte for byte and records the requests the client sent (Recorder)."""
import json
import re
import socket
import threading
import time
import urllib.parse


class RequestReader:
    """Reads HTTP/1.1 requests from the bytes a client sends, in pieces as they come; calls
    record(method, target, headers, body) for each complete one. After a request that upgrades
    the connection (attach, exec) the rest is a raw stream: it is not read."""

    def __init__(self, record):
        self.record = record
        self.buf = b""
        self.head = None   # (method, target, headers) of the request whose body is awaited
        self.body = b""
        self.raw = False

    def feed(self, data):
        self.buf += data
        while not self.raw and self.step():
            pass

    def step(self):
        if self.head is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            self.buf = self.buf[end + 4:]
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            self.head = (method, target, headers)
            self.body = b""
        headers = self.head[2]
        if "chunked" in headers.get("transfer-encoding", "").lower():
            if not self.chunk():
                return False
        else:
            need = int(headers.get("content-length") or 0)
            if len(self.buf) < need:
                return False
            self.body, self.buf = self.buf[:need], self.buf[need:]
        method, target, headers = self.head
        self.head = None
        self.record(method, target, headers, self.body)
        self.raw = "upgrade" in headers
        return True

    def chunk(self):
        """Moves whole chunks from buf to body; True at the last one (its trailer read)."""
        while True:
            end = self.buf.find(b"\r\n")
            if end < 0:
                return False
            size = int(self.buf[:end].split(b";")[0], 16)
            if size == 0:
                tail = self.buf.find(b"\r\n\r\n", end)
                if tail < 0:
                    return False
                self.buf = self.buf[tail + 4:]
                return True
            if len(self.buf) < end + 2 + size + 2:
                return False
            self.body += self.buf[end + 2:end + 2 + size]
            self.buf = self.buf[end + 2 + size + 2:]


class Recorder:
    """A unix socket in front of berthd's: each connection a client makes is forwarded to the
    engine, both ways, byte for byte; the requests on it are read on the way (RequestReader)
    and recorded as (method, path, query, body), /_ping left out. The engine's answers are
    relayed as they come and never read, so keep-alive, chunked answers and streams pass
    unchanged. A request is recorded before its first byte reaches the engine: by the time the
    client has its answer, and so by the time the client has exited, it is on the list."""

    def __init__(self, path, upstream):
        self.upstream = upstream
        self.requests = []
        self.raw = []     # every request as it came: dicts of method, path, rawquery, headers, body
        self.errors = []  # what went wrong in the proxy itself, for a failing test's message
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(16)
        self.path = path
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def record(self, method, target, headers, body):
        url = urllib.parse.urlsplit(target)
        if re.fullmatch(r"(/v[\d.]+)?/_ping", url.path):
            return
        with self.lock:
            self.raw.append({"method": method, "path": url.path, "rawquery": url.query,
                             "headers": headers, "body": body})
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = body.decode("latin-1")
        with self.lock:
            self.requests.append((method, url.path, urllib.parse.parse_qs(url.query), payload))

    def note(self, what):
        with self.lock:
            self.errors.append(what)

    def serve(self, client):
        engine = socket.socket(socket.AF_UNIX)
        for attempt in range(50):  # a busy engine's backlog may be full for a moment
            try:
                engine.connect(self.upstream)
                break
            except OSError as e:
                failure = e
                time.sleep(0.02)
        else:
            self.note("connect to the engine: %s" % failure)
            client.close()
            return
        back = threading.Thread(target=pump, args=(engine, client), daemon=True)
        back.start()
        reader = RequestReader(self.record)
        try:
            while True:
                try:
                    data = client.recv(65536)
                except ConnectionResetError:
                    # the client closed with bytes of the answer unread (a CLI that exits on an
                    # error line before the stream's last chunk): its end, not a relay failure
                    break
                if not data:
                    break
                reader.feed(data)
                engine.sendall(data)
        except (OSError, ValueError) as e:
            self.note("relay: %r" % e)
        finally:
            half_close(engine)
            back.join(30)
            client.close()
            engine.close()

    def close(self):
        """Stop accepting. The accept thread is woken (shutdown) and waited for before the
        socket is closed: a thread still about to call accept() on the descriptor's number would
        otherwise take the connections of whatever socket gets that number next."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.sock.close()


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    half_close(dst)


def half_close(s):
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
