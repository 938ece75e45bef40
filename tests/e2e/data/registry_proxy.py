# SPDX-License-Identifier: Apache-2.0
"""A proxy in front of a registry for the tests, on 127.0.0.1:PORT.

    registry_proxy.py PORT UPSTREAM_PORT MODE LOG [USER:PASSWORD]

Every request is forwarded to 127.0.0.1:UPSTREAM_PORT and its path appended to LOG. MODE:
  corrupt  blobs larger than 4 kB (layers, not configs) come back with one byte changed
  slow     blobs larger than 4 kB come back at 256 kB/s, so a pull can be interrupted
  redirect a blob GET is answered 307 to 127.0.0.1:PORT+1 (another origin), which serves it
           from the registry with USER:PASSWORD of its own; the log says whether the
           redirected request carried an Authorization header (it must not)
  nomount  a registry that takes no cross-repository mounts: the query of a POST that opens
           an upload is dropped, so ?mount= opens a plain upload (202)
  anything else: passed as it is
"""
import base64
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


def main():
    port, upstream, mode, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    creds = sys.argv[5] if len(sys.argv) > 5 else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self):
            second = self.server.server_address[1] != port
            with open(log, "a") as f:
                f.write("%s %s%s\n" % (self.command, self.path, (
                    " auth=%s" % ("yes" if "Authorization" in self.headers else "no"))
                    if second else ""))
            if (mode == "redirect" and not second and self.command == "GET" and
                    "/blobs/sha256:" in self.path):
                self.send_response(307)
                self.send_header("Location", "http://127.0.0.1:%d%s" % (port + 1, self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path
            if mode == "nomount" and self.command == "POST" and "/blobs/uploads/" in path:
                path = path.split("?")[0]
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            if second:
                headers.pop("Authorization", None)
                if creds:
                    headers["Authorization"] = "Basic " + base64.b64encode(
                        creds.encode()).decode()
            c.request(self.command, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            big = "/blobs/sha256:" in self.path and len(data) > 4096 and r.status == 200
            if big and mode == "corrupt":
                data = bytearray(data)
                data[len(data) // 2] ^= 0xFF
                data = bytes(data)
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if big and mode == "slow":
                for i in range(0, len(data), 32 << 10):
                    self.wfile.write(data[i:i + (32 << 10)])
                    self.wfile.flush()
                    time.sleep(0.125)
            else:
                self.wfile.write(data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    if mode == "redirect":
        import threading
        other = ThreadingHTTPServer(("127.0.0.1", port + 1), Handler)
        threading.Thread(target=other.serve_forever, daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
