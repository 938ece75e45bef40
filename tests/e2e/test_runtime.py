# SPDX-License-Identifier: Apache-2.0
"""The low-level runtime (guest/engine/runtime) through berth-rt-run, seen from inside the
container the way a user of `docker run` would see it.

Every test runs its container in the sandbox's network namespace, from a bundle in the sandbox
directory (the busybox test image), with a cgroup path of its own (/berth-test-<id>). After each
test the cgroup must be gone from every hierarchy and no mount of the bundle may be visible on
the host; the `bundle` fixture checks both, and removes what it finds so that one failure does
not leak into the next test.

Specs are built like moby's default spec (daemon/pkg/oci/defaults.go) from the data the runtime
itself exports (`berth-rt-run defaults`: capabilities, masked and read-only paths, the seccomp
profile), so that what is tested is what the engine will run.
"""
import errno
import json
import os
import pty
import re
import resource
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import uuid

import pytest

import harness

RT = os.path.join(harness.BIN_DIR, "berth-rt-run")
MAKE_ROOTFS = os.path.join(harness.SOURCE_DIR, "tests", "images", "make-busybox-rootfs.sh")
CGROUP_ROOT = "/sys/fs/cgroup"
DOCKER_CAPEFF = "00000000a80425fb"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def cgroup_v2():
    """True on a host with the unified hierarchy at /sys/fs/cgroup (what the runtime checks)."""
    return os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers"))


def cgroup_dirs(path):
    """Every directory the cgroup path has on this host, v1 hierarchies and cgroup2 alike."""
    found = []
    bases = [CGROUP_ROOT] + [os.path.join(CGROUP_ROOT, d) for d in sorted(os.listdir(CGROUP_ROOT))]
    for base in bases:
        d = base + path
        if os.path.isdir(base) and os.path.isdir(d):
            found.append(d)
    return found


def host_cgroup_file(path, controller, name):
    if cgroup_v2():
        return os.path.join(CGROUP_ROOT + path, name)
    return os.path.join(CGROUP_ROOT, controller + path, name)


# Where a runtime that leaked would have mounted on the host; other tests running at the same
# time never mount there, so comparing them before and after is safe under ctest -j.
HOST_TARGETS = ("/", "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm",
                "/dev/mqueue", "/dev/console", "/tmp", "/etc/hosts")


def host_mounts(mentioning=None):
    """(mount point, root) of the host's mounts at HOST_TARGETS or, given `mentioning` (a
    directory of ours), of those whose point or root mentions it."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            root, point = fields[3], fields[4]
            if mentioning is None and point in HOST_TARGETS:
                found.append((point, root))
            elif mentioning and (mentioning in point or mentioning in root):
                found.append((point, root))
    return sorted(found)


def read(path):
    with open(path) as f:
        return f.read().strip()


MOBY_MOUNTS = [
    {"destination": "/proc", "type": "proc", "source": "proc",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["ro", "nosuid", "noexec", "nodev"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777"]},
]

MOBY_DEVICE_RULES = [
    {"allow": False, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
    {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
    {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
    {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
]


@pytest.fixture(scope="module")
def rt():
    if not os.access(RT, os.X_OK):
        pytest.skip("%s is not built (cmake --build: target berth-rt-run)" % RT)
    if not harness.is_root():
        pytest.skip("needs root for namespaces, mounts and cgroups")
    return RT


@pytest.fixture(scope="module")
def defaults(rt):
    """The runtime's Docker defaults: caps, maskedPaths, readonlyPaths, seccomp."""
    r = subprocess.run([rt, "defaults"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def rootfs_tar():
    if not shutil.which("busybox"):
        pytest.skip("busybox-static is not installed")
    d = tempfile.mkdtemp(prefix="berth-e2e-rootfs-")
    try:
        tar = os.path.join(d, "busybox.tar")
        subprocess.run(["sh", MAKE_ROOTFS, tar], check=True, capture_output=True)
        yield tar
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Bundle:
    """An OCI bundle in the sandbox: rootfs/ from the test image, config.json from spec()."""

    def __init__(self, sandbox, defaults, tar):
        self.sb = sandbox
        self.defaults = defaults
        self.dir = sandbox.path("bundle")
        self.rootfs = os.path.join(self.dir, "rootfs")
        os.makedirs(self.rootfs)
        subprocess.run(["tar", "-xf", tar, "-C", self.rootfs], check=True)
        self.cgroup = "/berth-test-%s" % uuid.uuid4().hex[:12]
        self.pid_file = os.path.join(self.dir, "pid")
        self.started = []  # (Popen of berth-rt-run, pid of the container's first process)

    def spec(self, args, terminal=False, seccomp=True, cgroupns=True, **linux):
        """moby's default spec for `docker run --network none busybox ARGS`."""
        caps = self.defaults["caps"]
        env = [PATH_ENV, "HOSTNAME=berth-rt"] + (["TERM=xterm"] if terminal else [])
        namespaces = [{"type": t} for t in ("mount", "network", "uts", "pid", "ipc")]
        if cgroupns:
            namespaces.append({"type": "cgroup"})
        spec = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": terminal,
                "user": {"uid": 0, "gid": 0},
                "args": args,
                "env": env,
                "cwd": "/",
                "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
                "noNewPrivileges": False,
            },
            "root": {"path": "rootfs", "readonly": False},
            "hostname": "berth-rt",
            "mounts": json.loads(json.dumps(MOBY_MOUNTS)),
            "linux": {
                "cgroupsPath": self.cgroup,
                "resources": {"devices": list(MOBY_DEVICE_RULES)},
                "namespaces": namespaces,
                "maskedPaths": self.defaults["maskedPaths"],
                "readonlyPaths": self.defaults["readonlyPaths"],
            },
        }
        if seccomp:
            spec["linux"]["seccomp"] = self.defaults["seccomp"]
        spec["linux"].update(linux)
        return spec

    def write(self, spec):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(spec, f, indent=2)

    def run(self, spec, timeout=60, **kw):
        self.write(spec)
        return self.sb.run([RT, "run", self.dir], timeout=timeout, **kw)

    def start(self, spec):
        """Start the container in the background; returns (Popen, pid of its first process)."""
        self.write(spec)
        if os.path.exists(self.pid_file):
            os.unlink(self.pid_file)
        p = self.sb.start([RT, "run", "--pid-file", self.pid_file, self.dir])
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(self.pid_file) and read(self.pid_file):
                pid = int(read(self.pid_file))
                self.started.append((p, pid))
                return p, pid
            if p.poll() is not None:
                break
            time.sleep(0.02)
        with open(p.log_path) as f:
            raise AssertionError("container did not start: %s" % f.read())

    def stop(self, p, pid):
        """Kill the container's first process (the pid namespace goes with it) and wait for
        berth-rt-run to report it; returns its exit status."""
        if p.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return p.wait(timeout=30)

    def exec(self, pid, process, timeout=60, **kw):
        path = os.path.join(self.dir, "process.json")
        with open(path, "w") as f:
            json.dump(process, f)
        return self.sb.run([RT, "exec", "--pid", str(pid), self.dir, path], timeout=timeout, **kw)

    def leftovers(self):
        """Cgroup directories and host-visible mounts this bundle left behind."""
        return cgroup_dirs(self.cgroup) + [m for m, _ in host_mounts(self.sb.dir)]


@pytest.fixture
def bundle(rt, defaults, rootfs_tar, sandbox):
    b = Bundle(sandbox, defaults, rootfs_tar)
    mounts_before = host_mounts()
    try:
        yield b
    finally:
        for p, pid in b.started:  # containers first: their cgroups are busy while they run
            b.stop(p, pid)
        left = b.leftovers()
        for d in sorted(cgroup_dirs(b.cgroup), key=len, reverse=True):
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        break
                    time.sleep(0.02)
        assert left == [], "left behind: %s" % left
        assert host_mounts() == mounts_before


def sh(script):
    return ["sh", "-c", script]


# ---- the container's identity and namespaces ----


def test_container_has_its_hostname_and_is_pid_1(bundle):
    r = bundle.run(bundle.spec(sh("hostname; echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; "
                                  "cat /etc/hostname")))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "berth-rt"
    assert lines[1] == "1"
    assert lines[2].startswith("sh -c hostname; echo $$;")
    assert lines[3] == "berth-test"  # the image's file, untouched


def test_network_namespace_has_only_loopback(bundle):
    r = bundle.run(bundle.spec(["ip", "-o", "link", "show"]))
    assert r.returncode == 0, r.stderr
    names = [line.split(":")[1].strip() for line in r.stdout.splitlines()]
    assert names == ["lo"]


def test_without_a_network_namespace_the_callers_network_is_used(bundle):
    # `docker run --network host`: no network namespace of its own; here the "host" is the
    # sandbox's namespace that berth-rt-run runs in.
    spec = bundle.spec(sh("readlink /proc/self/ns/net; ls /sys/class/net"))
    spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"]
                                   if ns["type"] != "network"]
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "net:[%d]" % os.stat(bundle.sb.netns_path).st_ino
    assert lines[1:] == ["lo"]


def test_exit_status_and_signal_are_reported(bundle):
    assert bundle.run(bundle.spec(sh("exit 42"))).returncode == 42
    # A signal the shell sends itself: 128 + SIGTERM, as a shell and docker report it
    # (pid 1 ignores signals it has no handler for, so it is sent to a child).
    r = bundle.run(bundle.spec(sh("sleep 10 & kill -TERM $!; wait $!")))
    assert r.returncode == 128 + signal.SIGTERM


def test_namespaces_are_new_or_joined_by_path(bundle):
    # Docker's current default adds a time namespace; the network namespace is the sandbox's,
    # joined by path, like `docker run --network container:x`.
    spec = bundle.spec(sh("for n in net uts ipc pid mnt cgroup time; do "
                          "echo $n $(readlink /proc/self/ns/$n); done"))
    spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"]
                                   if ns["type"] != "network"]
    spec["linux"]["namespaces"] += [{"type": "time"},
                                    {"type": "network", "path": bundle.sb.netns_path}]
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    inside = dict(line.split() for line in r.stdout.splitlines())
    assert inside["net"] == "net:[%d]" % os.stat(bundle.sb.netns_path).st_ino
    for n in ("uts", "ipc", "pid", "mnt", "cgroup", "time"):
        assert inside[n] != os.readlink("/proc/self/ns/%s" % n), n


# ---- file systems ----


def test_proc_sys_and_mounts_look_like_docker(bundle):
    r = bundle.run(bundle.spec(sh(
        "cat /proc/self/comm; "
        "touch /sys/x 2>&1; "
        "grep -E '^(sysfs|proc|devpts|mqueue|shm|tmpfs) "
        "/(sys|proc|dev|dev/pts|dev/mqueue|dev/shm) ' /proc/mounts")))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.splitlines()[0] == "cat"
    assert "touch: /sys/x: Read-only file system" in out
    mounts = {line.split()[1]: line.split() for line in out.splitlines() if line.count(" ") >= 5}
    assert mounts["/sys"][2] == "sysfs" and mounts["/sys"][3].startswith("ro,")
    assert mounts["/proc"][2] == "proc"
    assert "nosuid" in mounts["/proc"][3] and "noexec" in mounts["/proc"][3]
    assert mounts["/dev"][2] == "tmpfs"
    assert mounts["/dev/pts"][2] == "devpts" and "ptmxmode=666" in mounts["/dev/pts"][3]
    assert mounts["/dev/mqueue"][2] == "mqueue"
    assert mounts["/dev/shm"][2] == "tmpfs"


def test_dev_has_the_standard_nodes(bundle):
    r = bundle.run(bundle.spec(sh(
        "for n in null zero full random urandom tty; do stat -c '%n %F %a %t:%T' /dev/$n; done; "
        "for l in fd stdin stdout stderr ptmx; do echo /dev/$l $(readlink /dev/$l); done; "
        "stat -c '%n %a' /dev/shm; "
        "echo hi > /dev/null && echo null-ok; "
        "head -c 8 /dev/urandom | wc -c; "
        "{ echo x > /dev/full; } 2>&1; "
        "echo data > /dev/shm/f && cat /dev/shm/f; "
        "ls /dev/pts")))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for name, dev in (("null", "1:3"), ("zero", "1:5"), ("full", "1:7"), ("random", "1:8"),
                      ("urandom", "1:9"), ("tty", "5:0")):
        assert "/dev/%s character special file 666 %s" % (name, dev) in out
    assert "/dev/fd /proc/self/fd" in out
    assert "/dev/stdin /proc/self/fd/0" in out
    assert "/dev/stderr /proc/self/fd/2" in out
    assert "/dev/ptmx pts/ptmx" in out
    assert "/dev/shm 1777" in out
    assert "null-ok" in out
    assert "\n8\n" in out
    assert "No space left on device" in out
    assert "\ndata\n" in out
    assert out.rstrip().endswith("ptmx")  # a fresh devpts: nothing but its ptmx


def test_devices_cgroup_refuses_other_nodes(bundle):
    # mknod is allowed ("b *:* m"), using the node is not: the devices cgroup answers EPERM
    # before the driver is even asked.
    r = bundle.run(bundle.spec(sh(
        "mknod /tmp/loop b 7 0 && echo made; head -c 1 /tmp/loop 2>&1; "
        "mknod /tmp/fuse c 10 229 && head -c 1 /tmp/fuse 2>&1; "
        "head -c 1 /dev/zero | wc -c")))
    assert r.returncode == 0, r.stderr
    assert "made" in r.stdout
    assert "head: /tmp/loop: Operation not permitted" in r.stdout
    assert "head: /tmp/fuse: Operation not permitted" in r.stdout
    assert r.stdout.rstrip().endswith("1")


def test_masked_and_readonly_paths(bundle):
    # Which of Docker's paths this kernel has decides what there is to see (/proc/kcore and
    # /proc/sysrq-trigger are configuration options).
    masked = [p for p in bundle.defaults["maskedPaths"] if os.path.exists(p)]
    files = [p for p in masked if os.path.isfile(p)]
    dirs = [p for p in masked if os.path.isdir(p)]
    assert files and dirs, "this host has none of Docker's masked paths"
    script = "".join("echo %s $(wc -c < %s);" % (p, p) for p in files)
    script += "".join("echo %s $(ls -A %s | wc -l);" % (p, p) for p in dirs)
    script += "echo x > /proc/sys/kernel/domainname; ls /proc/sys/kernel/domainname"
    if os.path.exists("/proc/sysrq-trigger"):
        script += "; echo h > /proc/sysrq-trigger"
    r = bundle.run(bundle.spec(sh(script)))
    for p in masked:
        assert "%s 0\n" % p in r.stdout, (r.stdout, r.stderr)  # empty inside
    assert "can't create /proc/sys/kernel/domainname: Read-only file system" in r.stderr
    if os.path.exists("/proc/sysrq-trigger"):
        assert "can't create /proc/sysrq-trigger: Read-only file system" in r.stderr
    # and outside, untouched: the host still reads them
    for p in ("/proc/interrupts", "/proc/timer_list"):
        if p in files:
            with open(p) as f:
                assert f.read(64) != ""


def test_readonly_root_keeps_its_tmpfs_mounts_writable(bundle):
    spec = bundle.spec(sh("touch /etc/x 2>&1; touch /tmp/x 2>&1; "
                          "touch /dev/shm/x && echo shm-ok"))
    spec["root"]["readonly"] = True
    r = bundle.run(spec)
    assert "touch: /etc/x: Read-only file system" in r.stdout
    assert "touch: /tmp/x: Read-only file system" in r.stdout
    assert "shm-ok" in r.stdout


def test_bind_mounts_read_only_and_propagation(bundle):
    data = bundle.sb.path("data")
    os.makedirs(data)
    with open(os.path.join(data, "file"), "w") as f:
        f.write("from the host\n")
    hosts = bundle.sb.path("hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 berth-rt\n")
    spec = bundle.spec(sh("cat /data/file; touch /data/new 2>&1; cat /etc/hosts; "
                          "echo rw > /rw/out; grep ' /data ' /proc/mounts"))
    spec["mounts"] += [
        {"destination": "/data", "type": "bind", "source": data,
         "options": ["rbind", "ro", "rprivate"]},
        {"destination": "/etc/hosts", "type": "bind", "source": hosts, "options": ["rbind", "rw"]},
        {"destination": "/rw", "type": "bind", "source": data, "options": ["bind"]},
    ]
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert "from the host" in r.stdout
    assert "touch: /data/new: Read-only file system" in r.stdout
    assert "127.0.0.1 berth-rt" in r.stdout
    assert " ro," in r.stdout.splitlines()[-1]
    assert read(os.path.join(data, "out")) == "rw"


def test_symlinks_in_the_image_cannot_lead_a_mount_outside(bundle):
    # The image points /evil at a host directory (absolute, and by climbing with ".."): the
    # mount must land inside the rootfs, at rootfs/<target>, never on the host's directory.
    outside = bundle.sb.path("outside")
    os.makedirs(outside)
    os.symlink(outside, os.path.join(bundle.rootfs, "evil"))
    os.symlink("../../../../../../../.." + outside, os.path.join(bundle.rootfs, "evil2"))
    spec = bundle.spec(sh("echo in > /evil/tmpfs/f && echo in2 > /evil2/tmpfs2/f && "
                          "grep -c tmpfs /proc/mounts"))
    spec["mounts"] += [
        {"destination": "/evil/tmpfs", "type": "tmpfs", "source": "tmpfs", "options": []},
        {"destination": "/evil2/tmpfs2", "type": "tmpfs", "source": "tmpfs", "options": []},
    ]
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert os.listdir(outside) == []  # nothing was created or mounted on the host's side
    assert os.path.isdir(bundle.rootfs + outside + "/tmpfs")  # but inside the root


def test_spec_devices_are_created(bundle):
    spec = bundle.spec(sh("stat -c '%n %F %a %u:%g %t:%T' /dev/fuse /dev/net/tun /dev/fifo"),
                       devices=[
                           {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                            "fileMode": 0o666, "uid": 0, "gid": 0},
                           {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200,
                            "fileMode": 0o600, "uid": 1, "gid": 2},
                           {"path": "/dev/fifo", "type": "p", "fileMode": 0o640},
                       ])
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "/dev/fuse character special file 666 0:0 a:e5",
        "/dev/net/tun character special file 600 1:2 a:c8",
        "/dev/fifo fifo 640 0:0 0:0",
    ]


@pytest.mark.parametrize("propagation,tag", [("rprivate", None), ("shared", "shared:"),
                                             ("rslave", None)])
def test_rootfs_propagation(bundle, propagation, tag):
    spec = bundle.spec(["awk", "$5 == \"/\"", "/proc/self/mountinfo"],
                       rootfsPropagation=propagation)
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    optional = r.stdout.split(" - ")[0].split()[6:]
    if tag:
        assert any(o.startswith(tag) for o in optional), r.stdout
    else:
        assert optional == [], r.stdout  # nothing shared with the host, either way


def test_sysctl_is_set_in_the_containers_namespaces(bundle):
    spec = bundle.spec(sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"),
                       sysctl={"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"})
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1234"]


# ---- the process: privileges, user, environment, limits ----


def test_capabilities_are_dockers_default_set(bundle):
    r = bundle.run(bundle.spec(["grep", "^Cap", "/proc/self/status"]))
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert caps["CapEff"] == DOCKER_CAPEFF
    assert caps["CapPrm"] == DOCKER_CAPEFF
    assert caps["CapBnd"] == DOCKER_CAPEFF
    assert caps["CapInh"] == "0000000000000000"
    assert caps["CapAmb"] == "0000000000000000"


def test_seccomp_default_profile_blocks_what_docker_blocks(bundle):
    script = "grep '^Seccomp:' /proc/self/status; unshare -U true && echo unshare-ok; true"
    r = bundle.run(bundle.spec(sh(script)))
    assert r.returncode == 0, r.stderr
    assert "Seccomp:\t2" in r.stdout
    assert "unshare-ok" not in r.stdout
    assert "Operation not permitted" in r.stderr
    # The control: the same container without the profile may create a user namespace
    # (it needs no capability), so it was seccomp that refused above.
    r = bundle.run(bundle.spec(sh(script), seccomp=False))
    assert "Seccomp:\t0" in r.stdout
    assert "unshare-ok" in r.stdout, r.stderr


def test_seccomp_cache_gives_the_same_filter(bundle):
    cache = bundle.sb.path("seccomp-cache")
    script = "grep '^Seccomp:' /proc/self/status; unshare -U true && echo unshare-ok; true"
    spec = bundle.spec(sh(script))
    bundle.write(spec)
    argv = [RT, "run", "--seccomp-cache", cache, bundle.dir]
    first = bundle.sb.run(argv)
    entries = os.listdir(cache)
    assert len(entries) == 1 and entries[0].endswith(".bpf")
    assert os.stat(cache).st_mode & 0o777 == 0o700
    # A planted entry under the same name, for another profile, is not used.
    path = os.path.join(cache, entries[0])
    with open(path, "wb") as f:
        f.write(b"berth-seccomp-cache 1\nsomething else\0" + b"\x06\0\0\0\0\0\xff\x7f")
    for r in (first, bundle.sb.run(argv), bundle.sb.run(argv)):
        assert "Seccomp:\t2" in r.stdout, r.stderr
        assert "unshare-ok" not in r.stdout
        assert "Operation not permitted" in r.stderr
    with open(path, "rb") as f:
        assert b"something else" not in f.read()
    # a cache others could write to is refused
    os.chmod(cache, 0o777)
    r = bundle.sb.run(argv)
    assert r.returncode == 125
    assert "must be a directory only its owner can write" in r.stderr


def test_no_new_privileges(bundle):
    spec = bundle.spec(["grep", "NoNewPrivs", "/proc/self/status"])
    assert "NoNewPrivs:\t0" in bundle.run(spec).stdout
    spec["process"]["noNewPrivileges"] = True
    assert "NoNewPrivs:\t1" in bundle.run(spec).stdout


def test_oom_score_adj(bundle):
    spec = bundle.spec(["cat", "/proc/self/oom_score_adj"])
    spec["process"]["oomScoreAdj"] = 500
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "500"


def test_user_groups_cwd_and_environment(bundle):
    spec = bundle.spec(sh("id; pwd; echo $FOO; echo $HOME; grep ^CapEff /proc/self/status; "
                          "umask"))
    spec["process"]["user"] = {"uid": 1, "gid": 1, "additionalGids": [65534], "umask": 0o027}
    spec["process"]["cwd"] = "/var/tmp"
    spec["process"]["env"].append("FOO=bar baz")
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "uid=1(daemon) gid=1(daemon) groups=65534(nogroup)"
    assert out[1] == "/var/tmp"
    assert out[2] == "bar baz"
    assert out[3] == "/usr/sbin"  # HOME from the image's /etc/passwd
    # A non-root user keeps no capabilities through execve (none are ambient), like Docker.
    assert out[4] == "CapEff:\t0000000000000000"
    assert out[5] == "0027"


def test_missing_working_directory_is_created(bundle):
    spec = bundle.spec(["pwd"])
    spec["process"]["cwd"] = "/new/work/dir"
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/new/work/dir"


def test_rlimits_above_the_hosts_are_clamped_not_refused(bundle):
    host_soft, host_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    spec = bundle.spec(sh("ulimit -Hn; ulimit -Sn; ulimit -c; ulimit -Hc"))
    spec["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "hard": 1 << 40, "soft": 1 << 40},
        {"type": "RLIMIT_CORE", "hard": 4096, "soft": 0},
    ]
    r = bundle.run(spec)
    assert r.returncode == 0, r.stderr
    hard = host_hard if host_hard != resource.RLIM_INFINITY else 1 << 40
    assert r.stdout.split() == [str(hard), str(hard), "0", str(4096 // 512)]


# ---- cgroups ----


def test_cgroup_limits_are_applied(bundle):
    spec = bundle.spec(["sleep", "60"], resources={
        "devices": MOBY_DEVICE_RULES,
        "memory": {"limit": 64 << 20, "reservation": 32 << 20},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},
        "pids": {"limit": 42},
    })
    p, pid = bundle.start(spec)
    cg = bundle.cgroup
    with open("/proc/%d/cgroup" % pid) as f:
        mine = f.read()
    if cgroup_v2():
        assert "0::%s\n" % cg in mine
        assert read(host_cgroup_file(cg, "", "memory.max")) == str(64 << 20)
        assert read(host_cgroup_file(cg, "", "memory.low")) == str(32 << 20)
        assert read(host_cgroup_file(cg, "", "cpu.weight")) == "59"
        assert read(host_cgroup_file(cg, "", "cpu.max")) == "50000 100000"
        assert read(host_cgroup_file(cg, "", "cpuset.cpus")) == "0"
    else:
        assert re.search(r"^\d+:memory:%s$" % cg, mine, re.M), mine
        assert re.search(r"^\d+:pids:%s$" % cg, mine, re.M), mine
        assert read(host_cgroup_file(cg, "memory", "memory.limit_in_bytes")) == str(64 << 20)
        assert read(host_cgroup_file(cg, "memory", "memory.soft_limit_in_bytes")) == str(32 << 20)
        assert read(host_cgroup_file(cg, "cpu", "cpu.shares")) == "512"
        assert read(host_cgroup_file(cg, "cpu", "cpu.cfs_quota_us")) == "50000"
        assert read(host_cgroup_file(cg, "cpuset", "cpuset.cpus")) == "0"
        assert read(host_cgroup_file(cg, "cpuset", "cpuset.mems")) != ""  # copied down
        devices = read(host_cgroup_file(cg, "devices", "devices.list")).splitlines()
        assert "c 1:3 rwm" in devices and "b *:* m" in devices and "a *:* rwm" not in devices
    assert read(host_cgroup_file(cg, "pids", "pids.max")) == "42"
    assert str(pid) in read(host_cgroup_file(cg, "pids", "cgroup.procs")).split()
    assert bundle.stop(p, pid) == 128 + signal.SIGKILL
    assert cgroup_dirs(cg) == []  # removed by berth-rt-run once the container is gone


def test_memory_limit_kills_what_exceeds_it(bundle):
    # 16 MiB of memory and no swap on top: a 64 MiB tmpfs file charged to the cgroup cannot
    # fit, so the writer (or the shell) is OOM-killed. Without the limit it fits.
    script = "head -c 67108864 /dev/zero > /dev/shm/big; echo rc=$?"
    limited = {"devices": MOBY_DEVICE_RULES, "memory": {"limit": 16 << 20, "swap": 16 << 20}}
    r = bundle.run(bundle.spec(sh(script), resources=limited))
    assert "rc=0" not in r.stdout
    assert "rc=137" in r.stdout or r.returncode == 137
    r = bundle.run(bundle.spec(sh(script)))
    assert r.stdout.strip() == "rc=0"


def test_fork_bomb_is_stopped_by_the_pids_limit(bundle):
    cg = "/sys/fs/cgroup" if cgroup_v2() else "/sys/fs/cgroup/pids"
    script = ("bomb() { bomb & bomb & wait; }; bomb 2>/dev/null & "
              "sleep 1 2>/dev/null; "
              "read cur < %s/pids.current; read max < %s/pids.max; read ev < %s/pids.events; "
              "echo $cur $max $ev; kill -9 -1" % (cg, cg, cg))
    spec = bundle.spec(sh(script), resources={"devices": MOBY_DEVICE_RULES, "pids": {"limit": 20}})
    start = time.time()
    r = bundle.run(spec, timeout=60)
    assert time.time() - start < 30
    cur, limit, _, events = r.stdout.split()
    assert limit == "20"
    assert int(cur) <= 20
    assert int(events) > 0  # forks were refused


def test_cgroup_mount_without_a_cgroup_namespace(bundle):
    """Docker's default on cgroup v1 hosts: the host's cgroup namespace, and the container's
    own cgroup directories bind-mounted at /sys/fs/cgroup."""
    limits = {"devices": MOBY_DEVICE_RULES, "memory": {"limit": 48 << 20}, "pids": {"limit": 33}}
    if cgroup_v2():
        script = "cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"
    else:
        script = ("cat /proc/self/cgroup /sys/fs/cgroup/memory/memory.limit_in_bytes "
                  "/sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup; touch /sys/fs/cgroup/x")
    r = bundle.run(bundle.spec(sh(script), cgroupns=False, resources=limits))
    assert r.returncode != 0 or cgroup_v2(), r.stdout  # the tmpfs is read-only
    out = r.stdout
    assert re.search(r"^0::%s$" % bundle.cgroup if cgroup_v2()
                     else r"^\d+:memory:%s$" % bundle.cgroup, out, re.M), out
    assert str(48 << 20) in out.split() and "33" in out.split()
    if not cgroup_v2():
        for name in ("memory", "pids", "cpu", "devices", "systemd"):
            assert name in out.split()
        assert "touch: /sys/fs/cgroup/x: Read-only file system" in r.stderr


@pytest.mark.parametrize("cgroupns", [True, False])
def test_cgroup_v2_device_filter(bundle, cgroupns):
    """The v2 driver on this host: a private mount namespace with cgroup2 mounted over
    /sys/fs/cgroup makes the runtime see a unified host. Device access then goes through the
    BPF filter the runtime writes."""
    if cgroup_v2():
        pytest.skip("the host is cgroup v2 already: every other test covers it")
    probe = bundle.sb.run(["unshare", "-m", "sh", "-c",
                           "mount -t cgroup2 none /sys/fs/cgroup && ls /sys/fs/cgroup"])
    if probe.returncode != 0 or "cgroup.procs" not in probe.stdout:
        pytest.skip("cannot mount cgroup2 here: %s" % probe.stderr.strip())
    bundle.write(bundle.spec(sh(
        "cat /proc/self/cgroup; grep cgroup2 /proc/mounts | cut -d' ' -f1-3; "
        "echo procs $(cat /sys/fs/cgroup/cgroup.procs); "
        "mknod /tmp/loop b 7 0; head -c 1 /tmp/loop 2>&1; "
        "mknod /tmp/fuse c 10 229; head -c 1 /tmp/fuse 2>&1; "
        "head -c 3 /dev/zero | wc -c; echo ok > /dev/null && echo null-ok"), cgroupns=cgroupns))
    unified = "/sys/fs/cgroup/unified"
    r = bundle.sb.run(["unshare", "-m", "sh", "-c",
                       "mount -t cgroup2 none /sys/fs/cgroup && exec %s run %s" % (RT, bundle.dir)])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    if cgroupns:
        assert "0::/" in lines  # its cgroup is the root of its own cgroup namespace
        assert "cgroup2 /sys/fs/cgroup cgroup2" in r.stdout
    else:
        assert "0::%s" % bundle.cgroup in lines
    # /sys/fs/cgroup shows the container's own cgroup: its first process is in it
    assert any(line.startswith("procs ") and "1" in line.split()[1:] for line in lines), lines
    assert "head: /tmp/loop: Operation not permitted" in r.stdout
    assert "head: /tmp/fuse: Operation not permitted" in r.stdout
    assert "\n3\n" in r.stdout and "null-ok" in r.stdout
    assert not os.path.exists(unified + bundle.cgroup)


def test_nested_cgroup_path_creates_its_parents(bundle):
    parent = bundle.cgroup
    bundle.cgroup = parent + "/ctr"  # the fixture checks (and cleans) the leaf...
    try:
        spec = bundle.spec(["cat", "/proc/self/cgroup"],
                           resources={"devices": MOBY_DEVICE_RULES, "pids": {"limit": 10}})
        r = bundle.run(spec)
        assert r.returncode == 0, r.stderr
        assert cgroup_dirs(bundle.cgroup) == []  # the leaf is removed after the run
        assert cgroup_dirs(parent) != []  # the parent stays: other containers share it
    finally:
        for d in cgroup_dirs(parent):
            os.rmdir(d)


# ---- failures: runc's words, and nothing left behind ----


@pytest.mark.parametrize("args,code,message", [
    (["nonexistent"], 127, 'exec: "nonexistent": executable file not found in $PATH'),
    (["/nope"], 127, 'exec: "/nope": stat /nope: no such file or directory'),
    (["/etc"], 126, 'exec: "/etc": permission denied'),
    (["/etc/passwd"], 126, 'exec: "/etc/passwd": permission denied'),
])
def test_exec_failures_read_like_runc(bundle, args, code, message):
    r = bundle.run(bundle.spec(args))
    assert r.returncode == code
    assert r.stderr.strip() == "berth-rt-run: " + message
    assert r.stdout == ""
    assert bundle.leftovers() == []


def test_failed_setup_leaves_nothing(bundle):
    spec = bundle.spec(["true"])
    spec["mounts"].append({"destination": "/x", "type": "nosuchfs", "source": "none"})
    r = bundle.run(spec)
    assert r.returncode == 125
    assert 'mount "/x": mount nosuchfs none: No such device' in r.stderr
    assert bundle.leftovers() == []


def test_nothing_is_left_behind(bundle):
    """After a container ran (and after one that failed to start), the host has the same
    mounts, no cgroup of it, and no process of it."""
    before = host_mounts(bundle.sb.dir)
    assert before == []
    assert bundle.run(bundle.spec(sh("sleep 0.2 & sleep 0.1 & echo ok"))).stdout == "ok\n"
    assert bundle.run(bundle.spec(["/nope"])).returncode == 127
    assert host_mounts(bundle.sb.dir) == []
    assert cgroup_dirs(bundle.cgroup) == []
    pids = subprocess.run(["ip", "netns", "pids", bundle.sb.netns], capture_output=True,
                          text=True).stdout.split()
    assert pids == []  # nothing runs in the sandbox's network namespace any more


def test_path_is_searched_in_the_containers_env(bundle):
    spec = bundle.spec(["ls", "/"])
    spec["process"]["env"] = ["PATH=/nowhere"]
    r = bundle.run(spec)
    assert r.returncode == 127
    assert 'exec: "ls": executable file not found in $PATH' in r.stderr


# ---- terminals ----


def run_in_pty(argv, send=b"", rows=30, cols=100, timeout=20):
    """Run argv with a new pty as its stdio; returns (exit status, everything it printed)."""
    import fcntl
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    sent = False
    try:
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                if not sent and send:
                    os.write(master, send)
                    sent = True
                if p.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        return p.wait(timeout=10), out.decode(errors="replace")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def test_terminal_session_through_a_pty(bundle):
    spec = bundle.spec(["sh"], terminal=True)
    bundle.write(spec)
    status, out = run_in_pty(bundle.sb.wrap([RT, "run", bundle.dir]),
                             send=b"tty; stty size; ls -l /dev/console; exit 3\n")
    assert status == 3, out
    assert "/dev/pts/0" in out
    assert "30 100" in out
    assert re.search(r"crw--w---- +1 root +5 +136, +0 .* /dev/console", out), out


def test_console_size_without_a_terminal_of_our_own(bundle):
    spec = bundle.spec(["stty", "size"], terminal=True)
    spec["process"]["consoleSize"] = {"height": 44, "width": 132}
    # our stdin is not a tty: the container's pty keeps the size the spec gave it
    r = bundle.run(spec, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "44 132"


# ---- exec into a running container ----


def test_exec_joins_the_running_container(bundle):
    spec = bundle.spec(["sleep", "60"], resources={"devices": MOBY_DEVICE_RULES,
                                                     "pids": {"limit": 50}})
    p, pid = bundle.start(spec)
    procs = "/sys/fs/cgroup/cgroup.procs" if cgroup_v2() else "/sys/fs/cgroup/pids/cgroup.procs"
    process = {
        "args": ["sh", "-c", "hostname; echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; "
                             "cat %s | tr '\\n' ' '; echo; id; pwd; ip -o link | wc -l; "
                             "grep -E '^(CapEff|Seccomp):' /proc/self/status" % procs],
        "env": [PATH_ENV],
        "cwd": "/tmp",
        "user": {"uid": 65534, "gid": 65534},
        "capabilities": {"bounding": bundle.defaults["caps"]},
    }
    r = bundle.exec(pid, process)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "berth-rt"  # its UTS namespace
    assert out[1] != "1" and int(out[1]) < 100  # its pid namespace, not pid 1
    assert out[2] == "sleep 60 "
    members = out[3].split()
    assert "1" in members and len(members) >= 2  # its cgroup, beside the first process
    assert out[4] == "uid=65534(nobody) gid=65534(nogroup)"  # no supplementary groups
    assert out[5] == "/tmp"
    assert out[6] == "1"  # its network namespace: lo only
    assert "CapEff:\t0000000000000000" in out
    assert "Seccomp:\t2" in out  # the container's profile

    # errors read as they do for run
    process["args"] = ["nonexistent"]
    r = bundle.exec(pid, process)
    assert r.returncode == 127
    assert 'exec: "nonexistent": executable file not found in $PATH' in r.stderr

    # with a terminal
    process = {"args": ["tty"], "terminal": True, "env": [PATH_ENV], "cwd": "/"}
    path = os.path.join(bundle.dir, "tty.json")
    with open(path, "w") as f:
        json.dump(process, f)
    status, out = run_in_pty(bundle.sb.wrap([RT, "exec", "--pid", str(pid), bundle.dir, path]))
    assert status == 0, out
    assert "/dev/pts/" in out
    assert bundle.stop(p, pid) == 128 + signal.SIGKILL


def test_exec_into_a_stopped_container_fails(bundle):
    p, pid = bundle.start(bundle.spec(["true"]))
    p.wait(timeout=20)
    r = bundle.exec(pid, {"args": ["true"], "cwd": "/"})
    assert r.returncode == 125
    assert "is not running" in r.stderr or "No such process" in r.stderr
