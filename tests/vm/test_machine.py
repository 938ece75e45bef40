# SPDX-License-Identifier: Apache-2.0
"""`berth machine` end to end: a real VM of the boot2vm image, booted by the driver under test
(QEMU's TCG here: KVM fails its probe on these machines), reached over the host-only network
192.168.99.0/24, which lives only in a network namespace the test makes (berth, the VM's tap
and bridge, and every client run inside it with nsenter). Then the real clients: the docker
CLI and berth over TLS with the machine's certificates, SSH and SCP with its key.

One machine (m1) is created once per driver and walked through the verbs in order: create, ls,
env, docker and berth running containers, shares, ssh, scp, a wrong CA, stop/start, restart,
kill, regenerate-certs, upgrade, rm. A second machine whose guest never starts sshd checks the
stage timeout and the console tail."""
import gzip
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
import vmenv  # noqa: E402

BUILD_DIR = os.environ.get("BERTH_BUILD_DIR", os.path.join(harness.SOURCE_DIR, "build"))
IMAGE = os.environ.get("BERTH_VM_IMAGE") or os.path.join(BUILD_DIR, "boot2vm")
QEMU = shutil.which("qemu-system-x86_64")
DOCKER = harness.docker_cli()
IP = "192.168.99.100"
URL = "tcp://%s:2376" % IP

pytestmark = [
    pytest.mark.skipif(not harness.is_root(), reason="the host-only network needs root"),
    pytest.mark.skipif(not QEMU, reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(
        not os.path.exists(os.path.join(IMAGE, "initrd.img")),
        reason="no boot2vm image in %s: build it (cmake --build build --target boot2vm)" % IMAGE),
]


class Machines:
    """berth's machine commands in a sandbox: its own HOME (so ~/.berth is the test's), the
    image under test, and every command run inside the sandbox's network namespace."""

    def __init__(self, sandbox, driver, extra_env=None):
        self.sb = sandbox
        self.driver = driver
        self.home = sandbox.path("home")
        os.makedirs(self.home, exist_ok=True)
        self.extra_env = dict(extra_env or {})

    def env(self, **more):
        e = harness.clean_env(self.sb)
        e["HOME"] = self.home
        e["BERTH_VM_IMAGE"] = IMAGE
        e.update(self.extra_env)
        e.update(more)
        return e

    def berth(self, *args, env=None, timeout=300, input=None):
        return self.sb.run([harness.BERTH] + list(args), env=env or self.env(), timeout=timeout,
                           input=input)

    def ok(self, *args, **kw):
        r = self.berth(*args, **kw)
        assert r.returncode == 0, "berth %s: %s%s" % (" ".join(args), r.stdout, r.stderr)
        return r

    def dir(self, name):
        return os.path.join(self.home, ".berth", "machines", name)

    def machine_env(self, name):
        """DOCKER_* as `berth machine env` prints them, parsed."""
        r = self.ok("machine", "env", "--shell", "bash", name)
        env = dict(re.findall(r'^export (\w+)="(.*)"$', r.stdout, re.M))
        return env

    def docker(self, name, *args, timeout=120, env=None):
        e = self.env()
        e.update(self.machine_env(name))
        e.update(env or {})
        return self.sb.run([DOCKER] + list(args), env=e, timeout=timeout)

    def qemu_pids(self, home=None):
        """QEMU processes whose command line names this sandbox's store (or home's; started by
        berth for the test): the fallback of the cleanup."""
        found = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    argv = f.read()
            except OSError:
                continue
            if b"qemu-system" in argv.split(b"\0")[0] and (home or self.home).encode() in argv:
                found.append(int(p))
        return found

    def cleanup(self):
        machines = os.path.join(self.home, ".berth", "machines")
        for name in os.listdir(machines) if os.path.isdir(machines) else []:
            if not name.startswith("."):
                self.berth("machine", "rm", "-f", "-y", name, timeout=120)
        for pid in self.qemu_pids():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def busybox_tar(directory):
    out = os.path.join(directory, "busybox.tar")
    script = os.path.join(harness.SOURCE_DIR, "tests", "images", "make-busybox-rootfs.sh")
    subprocess.run([script, out], check=True)
    return out


@pytest.fixture(scope="module", params=["qemu", "libvirt"])
def machines(request):
    """The machines of one driver. libvirt: a private libvirtd in the test's namespace with
    Debian's default qemu.conf, so QEMU would run as libvirt-qemu unless berth asks for root
    (a store under root's 0700 home, as `berth quickstart` as root has it)."""
    if request.param == "libvirt" and not shutil.which("libvirtd"):
        pytest.skip("libvirtd is not installed (installer/install-deps.sh: libvirt-daemon-system)")
    sb = harness.Sandbox("machine")
    pids = []
    try:
        extra = {}
        if request.param == "libvirt":
            uri, pids = vmenv.start_libvirtd(sb.netns_path, sb.path("libvirt"))
            extra["BERTH_LIBVIRT_URI"] = uri
        m = Machines(sb, request.param, extra)
        os.chmod(m.home, 0o700)
        yield m
    finally:
        try:
            if "m" in locals():
                m.cleanup()
            vmenv.stop_libvirtd(pids)
        finally:
            sb.cleanup()


@pytest.fixture(scope="module")
def m1(machines):
    """The machine m1, created once (the first test asserts what create printed)."""
    r = machines.berth("machine", "create", "--driver", machines.driver, "m1", timeout=600)
    machines.create_result = r
    assert r.returncode == 0, r.stdout + r.stderr
    return "m1"


def test_create(machines, m1):
    r = machines.create_result
    out = r.stdout
    for line in ("Running pre-create checks...", "Creating machine...", 'Starting "m1"...',
                 "Docker is up and running!", "berth machine env m1"):
        assert line in out, out
    d = machines.dir("m1")
    for f in ("config.json", "id_ed25519", "id_ed25519.pub", "ca.pem", "cert.pem", "key.pem",
              "server.pem", "server-key.pem", "disk.qcow2", "config.img", "console.log"):
        assert os.path.exists(os.path.join(d, f)), f
    assert stat.S_IMODE(os.stat(os.path.join(d, "id_ed25519")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(d, "key.pem")).st_mode) == 0o600
    console = open(os.path.join(d, "console.log"), errors="replace").read()
    stages = [s for s in re.findall(r"berth-stage: (\w+)", console)]
    assert stages[:2] == ["init", "disk"] and stages[-1] == "engine", console[-2000:]
    cfg = json.load(open(os.path.join(d, "config.json")))
    assert cfg["IPAddress"] == IP and cfg["DriverName"] == machines.driver


def test_ls_status_ip_url(machines, m1):
    r = machines.ok("machine", "ls")
    header, *rows = r.stdout.splitlines()
    assert header.split() == ["NAME", "ACTIVE", "DRIVER", "STATE", "URL", "DOCKER", "ERRORS"]
    assert rows[0].split()[:5] == ["m1", "-", machines.driver, "Running", URL], r.stdout
    assert rows[0].split()[5].startswith("v"), r.stdout
    assert machines.ok("machine", "status", "m1").stdout == "Running\n"
    assert machines.ok("machine", "ip", "m1").stdout == IP + "\n"
    assert machines.ok("machine", "url", "m1").stdout == URL + "\n"
    assert machines.ok("machine", "ls", "-q").stdout == "m1\n"
    # the active machine is the one DOCKER_HOST names
    r = machines.berth("machine", "ls", "--format", "{{.Name}} {{.Active}}",
                       env=machines.env(DOCKER_HOST=URL))
    assert r.stdout == "m1 *\n", r.stdout + r.stderr
    r = machines.berth("machine", "ip", "nosuch")
    assert r.returncode == 1
    assert 'Berth machine "nosuch" does not exist' in r.stderr


def test_env(machines, m1):
    d = machines.dir("m1")
    r = machines.ok("machine", "env", "--shell", "bash", "m1")
    assert r.stdout == (
        'export DOCKER_TLS_VERIFY="1"\n'
        'export DOCKER_HOST="%s"\n'
        'export DOCKER_CERT_PATH="%s"\n'
        'export DOCKER_MACHINE_NAME="m1"\n'
        "# Run this command to configure your shell: \n"
        "# eval $(%s machine env --shell bash m1)\n" % (URL, d, harness.BERTH)), r.stdout
    r = machines.ok("machine", "env", "--shell", "fish", "m1")
    assert 'set -gx DOCKER_HOST "%s";' % URL in r.stdout
    r = machines.ok("machine", "config", "m1")
    assert r.stdout.splitlines()[0] == "--tlsverify"
    assert r.stdout.splitlines()[-1] == "-H=" + URL
    r = machines.ok("machine", "inspect", "--format", "{{.Driver.IPAddress}}", "m1")
    assert r.stdout == IP + "\n"


@pytest.mark.skipif(not DOCKER, reason="the docker CLI is not installed")
def test_docker_cli_runs_a_container(machines, m1):
    tar = busybox_tar(machines.sb.dir)
    r = machines.docker("m1", "import", tar, "busybox", timeout=300)
    assert r.returncode == 0, r.stderr
    r = machines.docker("m1", "run", "--rm", "busybox", "echo", "hello from the VM")
    assert r.returncode == 0 and r.stdout == "hello from the VM\n", r.stdout + r.stderr
    r = machines.docker("m1", "version", "--format", "{{.Server.Os}}/{{.Server.Arch}}")
    assert r.stdout == "linux/amd64\n", r.stdout + r.stderr
    # the engine runs in the VM: its kernel is the image's, not this host's
    r = machines.docker("m1", "run", "--rm", "busybox", "cat", "/proc/cmdline")
    assert "berth.name=m1" in r.stdout, r.stdout + r.stderr


def test_berth_runs_a_container(machines, m1):
    e = machines.env()
    e.update(machines.machine_env("m1"))
    r = machines.berth("run", "--rm", "busybox", "sh", "-c", "echo $((6*7))", env=e)
    assert r.returncode == 0 and r.stdout == "42\n", r.stdout + r.stderr
    # keeper writes into a named volume, which must outlive the machine's stop and start
    r = machines.berth("run", "-d", "--name", "keeper", "-v", "keepvol:/data", "busybox", "sh",
                       "-c", "echo kept in a volume > /data/f; exec sleep 100000", env=e)
    assert r.returncode == 0, r.stderr


def forwarder_pid(machines, name):
    """The pid of the machine's `berth machine __forward NAME` when it runs, else None."""
    try:
        pid = int(open(os.path.join(machines.dir(name), "forward.pid")).read())
        argv = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"__forward" in argv and name.encode() in argv else None


def test_published_port_on_localhost(machines, m1):
    """Beyond Toolbox: a port published in the VM answers on the host's 127.0.0.1 too."""
    r = machines.docker("m1", "run", "-d", "--name", "web", "-p", "8090:80", "busybox", "httpd",
                        "-f", "-p", "80", "-h", "/etc")
    assert r.returncode == 0, r.stderr
    assert forwarder_pid(machines, "m1")
    deadline = time.monotonic() + 15
    while True:
        r = machines.sb.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:8090/passwd"])
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert r.returncode == 0 and r.stdout.startswith("root:"), r.stdout + r.stderr
    # and at the VM's address, as in Toolbox
    r = machines.sb.run(["curl", "-sS", "--max-time", "5", "http://%s:8090/passwd" % IP])
    assert r.stdout.startswith("root:"), r.stdout + r.stderr
    assert machines.docker("m1", "rm", "-f", "web").returncode == 0


def test_home_is_shared(machines, m1):
    with open(os.path.join(machines.home, "shared.txt"), "w") as f:
        f.write("from the host\n")
    r = machines.ok("machine", "ssh", "m1", "cat", os.path.join(machines.home, "shared.txt"))
    assert r.stdout == "from the host\n"
    if DOCKER:
        # SPEC's flow: a bind mount of a host path reaches the host's file through the share
        r = machines.docker("m1", "run", "--rm", "-v", "%s:/h:ro" % machines.home, "busybox",
                            "cat", "/h/shared.txt")
        assert r.returncode == 0 and r.stdout == "from the host\n", r.stdout + r.stderr


def test_ssh(machines, m1):
    r = machines.ok("machine", "ssh", "m1", "cat /proc/cmdline; hostname")
    assert "berth.name=m1" in r.stdout and r.stdout.endswith("m1\n"), r.stdout
    r = machines.berth("machine", "ssh", "m1", "exit", "3")
    assert r.returncode == 3
    r = machines.berth("machine", "ssh", "m1", "cat", input="piped in\n")
    assert r.stdout == "piped in\n"
    # the host key was recorded on first use
    assert os.path.getsize(os.path.join(machines.dir("m1"), "known_hosts")) > 0


def test_ssh_interactive(machines, m1):
    """A login shell on a pseudo-terminal of the size of the user's terminal."""
    argv = machines.sb.wrap([harness.BERTH, "machine", "ssh", "m1"])
    out, status = harness.drive(argv, machines.env(TERM="xterm"),
                                [("# ", "stty size; echo the-$((40+2))-answer; exit 7\n")],
                                timeout=60, size=(33, 111))
    assert "33 111" in out, out
    assert "the-42-answer" in out, out
    assert status == 7, out


def test_scp(machines, m1):
    src = os.path.join(machines.sb.dir, "up.txt")
    with open(src, "w") as f:
        f.write("up and back\n")
    machines.ok("machine", "scp", src, "m1:/tmp/up.txt")
    assert machines.ok("machine", "ssh", "m1", "cat /tmp/up.txt").stdout == "up and back\n"
    back = os.path.join(machines.sb.dir, "back.txt")
    machines.ok("machine", "scp", "m1:/tmp/up.txt", back)
    assert open(back).read() == "up and back\n"
    tree = os.path.join(machines.sb.dir, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    with open(os.path.join(tree, "sub", "f"), "w") as f:
        f.write("deep\n")
    r = machines.berth("machine", "scp", tree, "m1:/tmp/")
    assert r.returncode != 0  # a directory needs -r, as scp says
    machines.ok("machine", "scp", "-r", tree, "m1:/tmp/")
    assert machines.ok("machine", "ssh", "m1", "cat /tmp/tree/sub/f").stdout == "deep\n"
    r = machines.berth("machine", "scp", src, back)
    assert r.returncode == 1 and "MACHINE:PATH" in r.stderr


@pytest.mark.skipif(not DOCKER, reason="the docker CLI is not installed")
def test_wrong_ca_is_refused(machines, m1):
    pki = harness.PKI(os.path.join(machines.sb.dir, "other-pki"), name="Not the machine's CA")
    other = pki.client_dir("intruder")
    r = machines.docker("m1", "version", env={"DOCKER_CERT_PATH": other})
    assert r.returncode != 0
    assert "certificate signed by unknown authority" in r.stderr, r.stderr
    # the machine's CA, a client certificate it did not sign: the engine refuses the handshake
    shutil.copy(os.path.join(machines.dir("m1"), "ca.pem"), os.path.join(other, "ca.pem"))
    r = machines.docker("m1", "version", env={"DOCKER_CERT_PATH": other})
    assert r.returncode != 0, r.stdout


def test_stop_start_keeps_data_and_ip(machines, m1):
    r = machines.ok("machine", "stop", "m1", timeout=120)
    assert 'Stopping "m1"...' in r.stdout and 'Machine "m1" was stopped.' in r.stdout
    assert machines.ok("machine", "status", "m1").stdout == "Stopped\n"
    assert forwarder_pid(machines, "m1") is None
    r = machines.berth("machine", "env", "m1")
    assert r.returncode == 1 and "Host is not running" in r.stderr
    r = machines.ok("machine", "stop", "m1")
    assert 'Machine "m1" is already stopped.' in r.stdout
    r = machines.ok("machine", "start", "m1", timeout=300)
    assert 'Machine "m1" was started.' in r.stdout
    assert machines.ok("machine", "ip", "m1").stdout == IP + "\n"
    assert forwarder_pid(machines, "m1")
    e = machines.env()
    e.update(machines.machine_env("m1"))
    # the image and the stopped container survived on the data disk
    r = machines.berth("images", "--format", "{{.Repository}}", env=e)
    assert "busybox" in r.stdout.split(), r.stdout + r.stderr
    r = machines.berth("ps", "-a", "--format", "{{.Names}}", env=e)
    assert "keeper" in r.stdout.split(), r.stdout + r.stderr
    r = machines.berth("run", "--rm", "-v", "keepvol:/data", "busybox", "cat", "/data/f", env=e)
    assert r.stdout == "kept in a volume\n", r.stdout + r.stderr
    r = machines.ok("machine", "start", "m1")
    assert 'Machine "m1" is already running.' in r.stdout


def test_regenerate_certs_keeps_containers(machines, m1):
    e = machines.env()
    e.update(machines.machine_env("m1"))
    r = machines.berth("start", "keeper", env=e)
    assert r.returncode == 0, r.stderr
    pid = machines.berth("inspect", "-f", "{{.State.Pid}}", "keeper", env=e).stdout
    d = machines.dir("m1")
    before = open(os.path.join(d, "server.pem")).read()
    r = machines.ok("machine", "regenerate-certs", "-f", "m1", timeout=180)
    assert "Regenerating TLS certificates" in r.stdout
    assert open(os.path.join(d, "server.pem")).read() != before
    # the engine serves the new certificate, and its container ran on
    r = machines.berth("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "keeper", env=e)
    assert r.stdout == "true " + pid, r.stdout + r.stderr


def test_restart_keeps_ip(machines, m1):
    r = machines.ok("machine", "restart", "m1", timeout=300)
    assert 'Machine "m1" was started.' in r.stdout
    assert machines.ok("machine", "url", "m1").stdout == URL + "\n"


def test_a_new_address_gets_a_new_certificate(machines, m1):
    """The machine's address changed while it was stopped (a record edited, a network moved):
    the start issues a server certificate for the new address before the engine starts."""
    machines.ok("machine", "stop", "m1", timeout=120)
    path = os.path.join(machines.dir("m1"), "config.json")
    cfg = json.load(open(path))
    cfg["IPAddress"] = "192.168.99.105"
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = machines.ok("machine", "start", "m1", timeout=300)
    assert "Regenerating the engine's certificate" in r.stdout, r.stdout
    assert machines.ok("machine", "url", "m1").stdout == "tcp://192.168.99.105:2376\n"
    e = machines.env()
    e.update(machines.machine_env("m1"))
    r = machines.berth("version", "--format", "{{.Server.Version}}", env=e)
    assert r.returncode == 0 and r.stdout.strip(), r.stdout + r.stderr
    # and back, for the tests after this one
    machines.ok("machine", "stop", "m1", timeout=120)
    cfg["IPAddress"] = IP
    with open(path, "w") as f:
        json.dump(cfg, f)
    machines.ok("machine", "start", "m1", timeout=300)


def test_upgrade(machines, m1):
    """A running machine gets the newest image: stopped, the image copied, started again."""
    r = machines.ok("machine", "upgrade", "m1", timeout=300)
    out = r.stdout
    assert 'Stopping "m1"...' in out and "Copying %s" % IMAGE in out, out
    assert 'Machine "m1" was started.' in out, out
    manifest = json.load(open(os.path.join(IMAGE, "manifest.json")))
    kernel = manifest["kernel"]
    version = "%s+%s" % (kernel, manifest["files"]["initrd.img"]["sha256"][:12])
    assert 'Machine "m1" runs the Berth VM image %s.' % version in out, out
    assert json.load(open(os.path.join(machines.dir("m1"), "config.json")))["ImageVersion"] == version
    r = machines.ok("machine", "ssh", "m1", "uname -r")
    assert r.stdout.strip() == kernel, (r.stdout, kernel)


def test_kill(machines, m1):
    r = machines.ok("machine", "kill", "m1", timeout=60)
    assert 'Machine "m1" was killed.' in r.stdout
    assert machines.ok("machine", "status", "m1").stdout == "Stopped\n"


def test_rm_cleans_everything(machines, m1):
    r = machines.berth("machine", "rm", "m1", input="n\n")
    assert "Are you sure?" in r.stdout and os.path.isdir(machines.dir("m1"))
    r = machines.ok("machine", "rm", "-y", "m1", timeout=120)
    assert r.stdout.endswith("Successfully removed m1\n"), r.stdout
    assert not os.path.exists(machines.dir("m1"))
    assert machines.qemu_pids() == []
    assert machines.ok("machine", "ls", "-q").stdout == ""
    r = machines.berth("machine", "rm", "-y", "m1")
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_user_mode_network(machines):
    """Without the host-only network (what a user without root gets): QEMU's user mode, the
    engine and SSH forwarded from 127.0.0.1."""
    r = machines.berth("machine", "create", "--driver", machines.driver, "--network", "user",
                       "--no-share", "usr", timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    url = machines.ok("machine", "url", "usr").stdout.strip()
    assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", url), url
    e = machines.env()
    e.update(machines.machine_env("usr"))
    r = machines.berth("version", "--format", "{{.Server.Os}}", env=e)
    assert r.stdout == "linux\n", r.stdout + r.stderr
    assert machines.ok("machine", "ssh", "usr", "hostname").stdout == "usr\n"
    machines.ok("machine", "rm", "-y", "usr", timeout=120)


def test_a_user_without_root(machines):
    """What a user without root gets: user-mode networking from 127.0.0.1 by default, QEMU run
    as that user (nobody here, with a home of its own)."""
    if machines.driver != "qemu":
        pytest.skip("libvirt's per-user session daemon is tested in test_vm_drivers.py")
    top = tempfile.mkdtemp(prefix="berth-nobody-")  # the sandbox's own directory is 0700
    os.chmod(top, 0o755)
    home = os.path.join(top, "home")
    os.makedirs(home)
    os.chown(home, 65534, 65534)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "BERTH_VM_IMAGE": IMAGE}
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", harness.BERTH]

    def berth(*args):
        return machines.sb.run(as_nobody + list(args), env=env, timeout=300)

    r = berth("machine", "create", "--driver", "qemu", "--no-share", "mine")
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        cfg = json.load(open(os.path.join(home, ".berth", "machines", "mine", "config.json")))
        assert cfg["Network"] == "user", cfg  # not asked for: the default without root
        r = berth("machine", "ls")
        row = r.stdout.splitlines()[1].split()
        assert row[0] == "mine" and row[3] == "Running", r.stdout
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", row[4]), r.stdout
        pids = machines.qemu_pids(home)
        assert pids and all(os.stat("/proc/%d" % p).st_uid == 65534 for p in pids), pids
    finally:
        berth("machine", "rm", "-f", "-y", "mine")
        for pid in machines.qemu_pids(home):
            os.kill(pid, 9)
        shutil.rmtree(top, ignore_errors=True)


# ---- a VM that never answers ------------------------------------------------------------------

SILENT_INIT = """#!/bin/busybox sh
/bin/busybox mkdir -p /proc /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
echo "berth-stage: init"
echo "berth-stage: network 192.168.99.101"
echo "a guest that never starts its SSH server"
while :; do /bin/busybox sleep 1000; done
"""


def silent_image(directory):
    """The image's kernel with an initrd whose init stops after the network stage."""
    d = os.path.join(directory, "silent-image")
    root = os.path.join(d, "root")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write(SILENT_INIT)
    os.chmod(os.path.join(root, "init"), 0o755)
    cpio = subprocess.run("find . | cpio -o -H newc", shell=True, cwd=root, check=True,
                          capture_output=True).stdout
    with open(os.path.join(d, "initrd.img"), "wb") as f:
        f.write(gzip.compress(cpio))
    for k in ("vmlinux", "vmlinuz"):
        if os.path.exists(os.path.join(IMAGE, k)):
            shutil.copy(os.path.join(IMAGE, k), os.path.join(d, k))
    return d


def test_stage_timeout_shows_the_console(machines):
    image = silent_image(machines.sb.dir)
    e = machines.env(BERTH_VM_IMAGE=image, BERTH_MACHINE_STAGE_TIMEOUT="8")
    r = machines.berth("machine", "create", "--driver", machines.driver, "--no-share", "silent",
                       env=e, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'Error starting machine "silent": stage "sshd"' in r.stderr, r.stderr
    assert 'timed out after 8 s waiting for "berth-stage: sshd"' in r.stderr, r.stderr
    assert "The last lines of the console" in r.stderr
    assert "a guest that never starts its SSH server" in r.stderr
    assert 'was created but did not start' in r.stderr
    machines.ok("machine", "rm", "-y", "silent", timeout=120)
