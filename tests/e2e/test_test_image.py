# SPDX-License-Identifier: Apache-2.0
"""tests/images/make-busybox-rootfs.sh makes a usable base image with no network."""
import os
import subprocess
import tarfile

import pytest

import harness

SCRIPT = os.path.join(harness.SOURCE_DIR, "tests", "images", "make-busybox-rootfs.sh")


@pytest.fixture
def rootfs_tar(sandbox):
    if not os.path.exists("/bin/busybox"):
        pytest.skip("Debian's busybox-static is not installed (installer/install-deps.sh)")
    out = sandbox.path("busybox.tar")
    subprocess.run([SCRIPT, out], check=True, capture_output=True)
    return out


def test_rootfs_has_busybox_applets_and_users(rootfs_tar):
    with tarfile.open(rootfs_tar) as t:
        names = {m.name.lstrip("./"): m for m in t.getmembers()}
        assert names["bin/busybox"].isfile() and names["bin/busybox"].mode & 0o111
        assert names["bin/sh"].issym() and names["bin/sh"].linkname == "/bin/busybox"
        assert names["tmp"].mode & 0o7777 == 0o1777
        passwd = t.extractfile(names["etc/passwd"]).read().decode()
        assert passwd.startswith("root:x:0:0:root:/root:/bin/sh\n")
        assert "nobody:x:65534:" in passwd
        assert "root:x:0:" in t.extractfile(names["etc/group"]).read().decode()
        assert all(m.uid == 0 and m.gid == 0 for m in names.values())


def test_rootfs_is_reproducible(rootfs_tar, sandbox):
    again = sandbox.path("again.tar")
    subprocess.run([SCRIPT, again], check=True, capture_output=True)
    with open(rootfs_tar, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read()


def test_rootfs_runs_a_shell(rootfs_tar, sandbox):
    root = sandbox.path("root")
    os.makedirs(root)
    subprocess.run(["tar", "-xf", rootfs_tar, "-C", root], check=True)
    r = sandbox.run(["chroot", root, "/bin/sh", "-c", "echo hello from busybox; id -un; ls /bin/sh"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from busybox\nroot\n/bin/sh\n"
