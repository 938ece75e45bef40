#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The least a client can ask of a registry to push an image, for bench/registry/run's `floor`.

Usage: floor.py serve SOCKET
       curl --unix-socket SOCKET -X POST 'http://floor/push?archive=TAR&ref=HOST:PORT/REPO:TAG'

A daemon, as the engines are, so that what is timed is the push and not this interpreter's
start: it holds each image it was asked for once (read from a docker-archive tar, what
make-image.py writes: plain layer tars, their digests computed then), and pushes it on each
request over plain HTTP with the fewest requests the Registry API v2 allows: GET /v2/ once, and
for each blob (the layers and the config, 5 at a time on kept-alive connections, as dockerd's
and berthd's uploads) a POST that opens an upload and the PUT that carries the whole blob and
names its digest; then the manifest. No HEAD, no progress, no store, nothing compressed. The
answer is 200 when the registry took the manifest, 500 with the reason when not.

The registry does for it what it does for any push of those blobs, so its time is about the
registry's share of a push: a client pushing this image to this registry in much less time is
not to be expected, and a target above docker's time over this one is out of any client's
reach.
"""

import hashlib
import http.client
import http.server
import json
import os
import socketserver
import sys
import tarfile
import threading
import urllib.parse

USER_AGENT = "floor/1"
MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar"


def read_archive(path):
    """(config bytes, [layer bytes]) of the archive's only image."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        if len(manifest) != 1:
            sys.exit("floor.py: %s holds %d images, not one" % (path, len(manifest)))
        entry = manifest[0]
        config = tar.extractfile(entry["Config"]).read()
        layers = [tar.extractfile(name).read() for name in entry["Layers"]]
    return config, layers


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Client:
    """One kept-alive connection to the registry."""

    def __init__(self, host):
        self.conn = http.client.HTTPConnection(host, timeout=60)

    def call(self, method, url, body=None, headers=None, want=(200,)):
        h = {"User-Agent": USER_AGENT}
        h.update(headers or {})
        self.conn.request(method, url, body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status not in want:
            raise RuntimeError("%s %s: %d %s" % (method, url, resp.status, data[:200]))
        return resp


IMAGES = {}  # archive path -> (config, [(digest, bytes)] of the layers then the config)


def image(archive):
    if archive not in IMAGES:
        config, layers = read_archive(archive)
        IMAGES[archive] = (config, [(digest(b), b) for b in layers + [config]])
    return IMAGES[archive]


def push(archive, ref, workers=5):
    host, _, rest = ref.partition("/")
    repo, _, tag = rest.rpartition(":")
    config, blobs = image(archive)

    Client(host).call("GET", "/v2/")
    queue = list(blobs)
    lock = threading.Lock()
    errors = []

    def work():
        client = Client(host)
        while True:
            with lock:
                if not queue or errors:
                    return
                dg, data = queue.pop(0)
            try:
                loc = client.call("POST", "/v2/%s/blobs/uploads/" % repo,
                                  want=(202,)).getheader("Location")
                sep = "&" if "?" in loc else "?"
                client.call("PUT", "%s%sdigest=%s" % (loc, sep, dg), body=data,
                            headers={"Content-Type": "application/octet-stream"}, want=(201,))
            except Exception as e:  # noqa: BLE001 - reported once, ends the push
                with lock:
                    errors.append(e)
                return

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "size": len(config), "digest": digest(config)},
        "layers": [{"mediaType": MT_LAYER, "size": len(b), "digest": d} for d, b in blobs[:-1]],
    }).encode()
    Client(host).call("PUT", "/v2/%s/manifests/%s" % (repo, tag), body=manifest,
                      headers={"Content-Type": MT_MANIFEST}, want=(201,))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        try:
            if url.path != "/push" or "archive" not in q or "ref" not in q:
                raise ValueError("want POST /push?archive=TAR&ref=REF")
            push(q["archive"], q["ref"])
            status, body = 200, b"pushed\n"
        except Exception as e:  # noqa: BLE001 - the reason goes to the caller
            status, body = 500, ("floor.py: %s\n" % e).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.UnixStreamServer):
    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("floor", 0)


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "serve":
        sys.exit("usage: floor.py serve SOCKET")
    if os.path.exists(sys.argv[2]):
        os.unlink(sys.argv[2])
    with Server(sys.argv[2], Handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
