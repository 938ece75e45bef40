#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write a docker-archive tar (what `docker save` writes and `docker load` reads) of an image
made of random files, for bench/registry/run.

Usage: make-image.py OUT.tar REFERENCE LAYERS BYTES

The image has LAYERS layers; layer N holds one file, /bench/layer-N.bin, of BYTES random bytes
(os.urandom: nothing for gzip to shrink, so a compressed layer is as large as a plain one). The
layers are uncompressed tars, the config has the diff IDs, and manifest.json tags the image
REFERENCE. Prints "layers=N bytes=B" on stdout, B being the sum of the layer tars' sizes: the
bytes every engine moves, which bench/registry/run divides by the time taken.
"""

import hashlib
import io
import json
import os
import sys
import tarfile
import time

# One second of a fixed date: the same tar headers in every run but for the random contents.
MTIME = 1764374400  # 2025-11-29 00:00 UTC


def layer_tar(index, size):
    """An uncompressed layer tar: the directory /bench and one file of random bytes in it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo("bench")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        d.mtime = MTIME
        tar.addfile(d)
        f = tarfile.TarInfo("bench/layer-%d.bin" % index)
        f.size = size
        f.mode = 0o644
        f.mtime = MTIME
        tar.addfile(f, io.BytesIO(os.urandom(size)))
    return buf.getvalue()


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = MTIME
    tar.addfile(info, io.BytesIO(data))


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: make-image.py OUT.tar REFERENCE LAYERS BYTES")
    out, ref, nlayers, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if nlayers < 1 or size < 1:
        sys.exit("make-image.py: LAYERS and BYTES must be positive")

    diff_ids, paths, total = [], [], 0
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(MTIME))
    with tarfile.open(out + ".partial", mode="w", format=tarfile.PAX_FORMAT) as archive:
        for i in range(nlayers):
            data = layer_tar(i, size)
            digest = hashlib.sha256(data).hexdigest()
            diff_ids.append("sha256:" + digest)
            path = digest + "/layer.tar"
            paths.append(path)
            total += len(data)
            add_bytes(archive, path, data)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": created,
            "config": {"Cmd": ["/bench/layer-0.bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": created, "created_by": "bench/registry layer %d" % i}
                        for i in range(nlayers)],
        }
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
        config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
        add_bytes(archive, config_name, config_bytes)
        manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": paths}]
        add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
    os.rename(out + ".partial", out)
    print("layers=%d bytes=%d" % (nlayers, total))


if __name__ == "__main__":
    main()
