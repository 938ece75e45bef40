# SPDX-License-Identifier: Apache-2.0
"""The VM image (boot2vm) keeps docs/design/machine.md: booted with plain QEMU under TCG, with a
config disk this test writes, a qcow2 data disk and user-mode networking with forwards from
127.0.0.1, the guest prints its stages on the serial console, serves the Docker API over mutual
TLS (and refuses clients without the right certificate), lets root in over SSH with the
authorized key only, formats a blank data disk once and keeps it, refuses a disk that holds
something else, powers off on the ACPI power button, and answers the KVM probe
(berth.probe=1). The image builds to the same bytes twice.

Needs the built image (build/boot2vm: the `boot2vm` target, which needs installer/fetch-vm-
inputs.sh's cache), qemu-system-x86_64, qemu-img, openssl and the ssh client; skips otherwise.
Every address used is 127.0.0.1 on this machine and QEMU's user-mode network in the guest."""
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import tarfile
import time

import pytest

BUILD = os.environ.get("BERTH_BUILD_DIR",
                       os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.environ.get("BERTH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BERTH_BIN_DIR", os.path.join(BUILD, "bin"))
IMAGE = os.path.join(BUILD, "boot2vm")
CACHE = os.environ.get("BERTH_VM_CACHE", "/var/cache/berth/vm")
QEMU = shutil.which("qemu-system-x86_64")
STAGES = ["init", "disk", "network", "sshd", "engine"]
CMDLINE = "console=ttyS0 panic=-1 quiet cgroup_no_v1=all berth.name=%s"


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            pytest.skip("%s is not installed (installer/install-deps.sh)" % p)


@pytest.fixture(scope="module")
def image():
    if not os.path.exists(os.path.join(IMAGE, "initrd.img")):
        pytest.skip("no VM image in %s: run installer/fetch-vm-inputs.sh, then build the "
                    "boot2vm target" % IMAGE)
    need("qemu-system-x86_64", "qemu-img")
    return os.path.join(IMAGE, "vmlinux"), os.path.join(IMAGE, "initrd.img")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + "-key.pem", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=" + name, cwd=d)


def make_cert(d, ca, name, ext):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write(ext)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + "-key.pem",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext",
            cwd=d)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A throwaway CA with a server and a client certificate, a client certificate from
    another CA, and root's SSH key."""
    need("openssl", "ssh", "ssh-keygen")
    d = str(tmp_path_factory.mktemp("keys"))
    make_ca(d, "ca")
    make_cert(d, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              "extendedKeyUsage=serverAuth\n")
    make_cert(d, "ca", "client", "extendedKeyUsage=clientAuth\n")
    make_ca(d, "other-ca")
    make_cert(d, "other-ca", "stranger", "extendedKeyUsage=clientAuth\n")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    os.path.join(d, "id_ed25519")], check=True)
    return d


def config_disk(path, keys, ip="10.0.2.15/24", name="testvm", shares=""):
    """The config disk as the host writes it: a tar whose first entry is berth-config/,
    padded to 1 MiB."""
    env = {"BERTH_HOSTNAME": name, "BERTH_IP": ip,
           "BERTH_GATEWAY": "" if ip == "dhcp" else "10.0.2.2",
           "BERTH_DNS": "" if ip == "dhcp" else "10.0.2.3",
           "BERTH_TIME": str(int(time.time())), "BERTH_SHARES": shares, "BERTH_ENGINE_ARGS": ""}
    files = [("berth-config/machine.env",
              "".join("%s='%s'\n" % kv for kv in env.items()).encode(), 0o644)]
    with open(os.path.join(keys, "id_ed25519.pub"), "rb") as f:
        files.append(("berth-config/authorized_keys", f.read(), 0o644))
    for src, dst in (("ca.pem", "ca.pem"), ("server.pem", "server.pem"),
                     ("server-key.pem", "server-key.pem")):
        with open(os.path.join(keys, src), "rb") as f:
            files.append(("berth-config/tls/" + dst, f.read(), 0o600))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for d in ("berth-config", "berth-config/tls"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            t.addfile(info)
        for n, data, mode in files:
            info = tarfile.TarInfo(n)
            info.size = len(data)
            info.mode = mode
            t.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data + b"\0" * (1024 * 1024 - len(data)))
    return path


class VM:
    """One QEMU process (TCG, -M pc, PVH vmlinux) we started and only we kill."""

    def __init__(self, image, workdir, disks=(), append="", extra=(), machine="pc", cdrom=None):
        self.dir = workdir
        self.console = os.path.join(workdir, "console.log")
        self.qmp = os.path.join(workdir, "qmp.sock")
        for p in (self.console, self.qmp):
            if os.path.exists(p):
                os.unlink(p)
        self.engine_port, self.ssh_port = free_port(), free_port()
        kernel, initrd = image
        # -M microvm: virtio over MMIO (the "-device" suffix), and the TSC calibration it needs
        # under TCG; -M pc: virtio over PCI
        bus = "device" if machine == "microvm" else "pci"
        if machine == "microvm":
            append = (append + " tsc_early_khz=2000000").strip()
        argv = [QEMU, "-accel", "tcg", "-M", machine, "-m", "1024", "-smp", "2", "-nodefaults",
                "-no-reboot", "-display", "none", "-serial", "file:" + self.console,
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp,
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:2376,"
                "hostfwd=tcp:127.0.0.1:%d-:22" % (self.engine_port, self.ssh_port),
                "-device", "virtio-net-%s,netdev=n0" % bus, "-device", "virtio-rng-" + bus]
        for i, (path, fmt, ro) in enumerate(disks):
            argv += ["-drive", "id=d%d,if=none,file=%s,format=%s%s" % (
                i, path, fmt, ",readonly=on" if ro else ""),
                "-device", "virtio-blk-%s,drive=d%d" % (bus, i)]
        if cdrom:
            argv += ["-cdrom", cdrom, "-boot", "d"]
        else:
            argv += ["-kernel", kernel, "-initrd", initrd,
                     "-append", (CMDLINE % "testvm") + (" " + append if append else "")]
        argv += list(extra)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(workdir, "qemu.err"), "w"))

    def text(self):
        try:
            with open(self.console, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def lines(self):
        return [l.strip() for l in self.text().splitlines()
                if l.startswith("berth-stage:") or l.startswith("berth-error:")]

    def wait_for(self, prefix, timeout):
        """The first console line starting with prefix; fails on a berth-error line, on
        QEMU's exit or at the timeout, with the console's tail."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for l in self.lines():
                if l.startswith(prefix):
                    return l
                if l.startswith("berth-error:") and not prefix.startswith("berth-error"):
                    break
            else:
                if self.proc.poll() is None:
                    time.sleep(0.1)
                    continue
            break
        pytest.fail("no %r on the console within %d s; console tail:\n%s"
                    % (prefix, timeout, "\n".join(self.text().splitlines()[-20:])))

    def powerdown(self, timeout=30):
        """The ACPI power button over QMP (what `machine stop` does); QEMU must exit."""
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.qmp)
        f = s.makefile("rw")
        f.readline()
        for cmd in ("qmp_capabilities", "system_powerdown"):
            f.write(json.dumps({"execute": cmd}) + "\n")
            f.flush()
            f.readline()
        s.close()
        self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def ssh(self, keys, command, check=True):
        r = subprocess.run(
            ["ssh", "-p", str(self.ssh_port), "-i", os.path.join(keys, "id_ed25519"),
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
             "root@127.0.0.1", command], capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, "ssh %r: %d %s" % (command, r.returncode, r.stderr)
        return r

    def ping(self, keys, client="client", ca="ca"):
        """GET /_ping over TLS on the engine's forward: (status line, body)."""
        ctx = ssl.create_default_context(cafile=os.path.join(keys, ca + ".pem"))
        if client:
            ctx.load_cert_chain(os.path.join(keys, client + ".pem"),
                                os.path.join(keys, client + "-key.pem"))
        with socket.create_connection(("127.0.0.1", self.engine_port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /_ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
        return head.split("\r\n")[0], body


def refused(vm, keys, **kw):
    try:
        status, _ = vm.ping(keys, **kw)
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    return not status.startswith("HTTP/1.1 200") and not status.startswith("HTTP/1.0 200")


@pytest.fixture(scope="module")
def machine(tmp_path_factory, image, keys):
    """A machine's files: its data disk (blank until the first boot) and config disks."""
    d = str(tmp_path_factory.mktemp("machine"))
    disk = os.path.join(d, "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "2G"], check=True)
    return {"dir": d, "disk": disk, "booted": False}


def boot_machine(image, keys, machine, ip, shares="", extra=()):
    config = config_disk(os.path.join(machine["dir"], "config.img"), keys, ip=ip, shares=shares)
    return VM(image, machine["dir"], disks=[(machine["disk"], "qcow2", False),
                                            (config, "raw", True)], extra=extra)


def test_first_boot_formats_the_disk_and_serves_tls_and_ssh(image, keys, machine):
    vm = boot_machine(image, keys, machine, "10.0.2.15/24")
    try:
        vm.wait_for("berth-stage: engine", 120)
        took = time.monotonic() - vm.started
        stages = [l.split()[1] for l in vm.lines()]
        assert stages == STAGES, vm.text()
        assert "berth-stage: network 10.0.2.15" in vm.lines()
        assert "formatting /dev/" in vm.text()
        print("first boot (formats the data disk): engine ready in %.1f s" % took)

        status, body = vm.ping(keys)
        assert " 200 " in status + " " and body == "OK", (status, body)
        assert refused(vm, keys, client=None), "a client without a certificate was served"
        assert refused(vm, keys, client="stranger"), "a certificate from another CA was served"

        r = vm.ssh(keys, "cat /proc/cmdline; hostname; date +%s; "
                   "grep -c ' /sys/fs/cgroup cgroup2 ' /proc/mounts; "
                   "grep ' /mnt/data ' /proc/mounts")
        out = r.stdout.splitlines()
        assert "berth.name=testvm" in out[0]
        assert out[1] == "testvm"
        assert abs(int(out[2]) - time.time()) < 10, "the guest's clock is off: %s" % out[2]
        assert out[3] == "1"
        assert out[4].split()[2] == "ext4"
        vm.ssh(keys, "echo kept > /var/lib/berth/first-boot")
        # keys only: a password login is never offered
        r = subprocess.run(
            ["ssh", "-p", str(vm.ssh_port), "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
             "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
             "root@127.0.0.1", "true"], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0

        vm.powerdown()
        assert "berth-stage: shutdown" in vm.lines()
        machine["booted"] = True
    finally:
        vm.kill()


def test_second_boot_keeps_the_data_disk_and_mounts_shares(image, keys, machine):
    if not machine["booted"]:
        pytest.skip("needs the first boot (test_first_boot_formats_the_disk_and_serves_tls_and_ssh)")
    shared = os.path.join(machine["dir"], "shared")
    os.makedirs(shared, exist_ok=True)
    with open(os.path.join(shared, "from-host"), "w") as f:
        f.write("hello from the host\n")
    vm = boot_machine(image, keys, machine, "dhcp", shares="hostshare:" + shared, extra=[
        "-virtfs", "local,path=%s,mount_tag=hostshare,security_model=none" % shared])
    try:
        vm.wait_for("berth-stage: engine", 90)
        took = time.monotonic() - vm.started
        print("second boot: engine ready in %.1f s" % took)
        assert [l.split()[1] for l in vm.lines()] == STAGES
        assert "formatting" not in vm.text()
        # slirp's DHCP server hands out 10.0.2.15 first
        assert "berth-stage: network 10.0.2.15" in vm.lines()
        status, body = vm.ping(keys)
        assert " 200 " in status + " " and body == "OK", (status, body)
        assert vm.ssh(keys, "cat /var/lib/berth/first-boot").stdout == "kept\n"
        assert vm.ssh(keys, "ls /mnt/data/berth-vm/ssh").stdout.split() == [
            "dropbear_ecdsa_host_key", "dropbear_ed25519_host_key"]
        # the shared folder, at the same path as on the host
        assert vm.ssh(keys, "cat %s/from-host" % shared).stdout == "hello from the host\n"
        # berthd alone restarts (regenerate-certs) and serves TLS again
        vm.ssh(keys, "berth-vm engine-restart")
        status, body = vm.ping(keys)
        assert " 200 " in status + " " and body == "OK", (status, body)
        # the engine runs a container (pivot_root into its root: the guest's own root is a
        # tmpfs, not the initramfs, where pivot_root fails)
        berth = os.path.join(BIN, "berth")
        if os.path.exists(berth) and os.path.exists("/bin/busybox"):
            rootfs = os.path.join(machine["dir"], "busybox.tar")
            subprocess.run(["sh", os.path.join(SOURCE, "tests", "images",
                                               "make-busybox-rootfs.sh"), rootfs],
                           check=True, capture_output=True)
            env = dict(os.environ, DOCKER_HOST="tcp://127.0.0.1:%d" % vm.engine_port,
                       DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=keys)
            for f, link in (("client.pem", "cert.pem"), ("client-key.pem", "key.pem")):
                if not os.path.exists(os.path.join(keys, link)):
                    os.symlink(f, os.path.join(keys, link))
            r = subprocess.run([berth, "import", rootfs, "busybox"], env=env,
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            r = subprocess.run([berth, "run", "--rm", "busybox", "echo", "hello from the VM"],
                               env=env, capture_output=True, text=True, timeout=120)
            assert (r.returncode, r.stdout) == (0, "hello from the VM\n"), r.stderr
        # a clock that jumped (a host that slept and resumed) is set from the RTC within 10 s
        vm.ssh(keys, "date -u -s @1000000000 >/dev/null")
        end = time.monotonic() + 25
        while time.monotonic() < end:
            guest = int(vm.ssh(keys, "date +%s").stdout)
            if abs(guest - time.time()) < 5:
                break
            time.sleep(1)
        assert abs(guest - time.time()) < 5, "the guest's clock stayed at %d" % guest
        # a reboot ends the VM (the host runs it with -no-reboot), cleanly
        vm.ssh(keys, "reboot")
        vm.proc.wait(timeout=30)
        assert "berth-stage: shutdown" in vm.lines()
    finally:
        vm.kill()


def test_microvm_boots_to_the_engine_and_powers_off(image, keys, tmp_path):
    """-M microvm (the qemu driver's choice where it boots): virtio over MMIO, ACPI through
    its generic event device."""
    disk = str(tmp_path / "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "2G"], check=True)
    config = config_disk(str(tmp_path / "config.img"), keys)
    vm = VM(image, str(tmp_path), disks=[(disk, "qcow2", False), (config, "raw", True)],
            machine="microvm")
    try:
        vm.wait_for("berth-stage: engine", 90)
        print("microvm, first boot: engine ready in %.1f s" % (time.monotonic() - vm.started))
        assert [l.split()[1] for l in vm.lines()] == STAGES
        status, body = vm.ping(keys)
        assert " 200 " in status + " " and body == "OK", (status, body)
        vm.powerdown()
        assert "berth-stage: shutdown" in vm.lines()
    finally:
        vm.kill()


def test_the_iso_boots_to_the_engine(image, keys, tmp_path):
    """berth.iso, for hypervisors that boot an ISO: isolinux, the bzImage, the same initrd."""
    iso = os.path.join(IMAGE, "berth.iso")
    if not os.path.exists(iso):
        pytest.skip("no %s (xorriso is not installed: installer/install-deps.sh)" % iso)
    disk = str(tmp_path / "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "2G"], check=True)
    config = config_disk(str(tmp_path / "config.img"), keys)
    vm = VM(image, str(tmp_path), disks=[(disk, "qcow2", False), (config, "raw", True)],
            cdrom=iso)
    try:
        vm.wait_for("berth-stage: engine", 120)
        print("ISO, first boot: engine ready in %.1f s" % (time.monotonic() - vm.started))
        assert [l.split()[1] for l in vm.lines()] == STAGES
        status, body = vm.ping(keys)
        assert " 200 " in status + " " and body == "OK", (status, body)
        # the host name comes from the config disk (an ISO's command line is its own)
        assert vm.ssh(keys, "hostname").stdout == "testvm\n"
    finally:
        vm.kill()


def test_a_disk_holding_something_else_is_never_formatted(image, keys, tmp_path):
    disk = str(tmp_path / "someones.img")
    payload = b"someone's data, not a berth-data file system\n"
    with open(disk, "wb") as f:
        f.write(payload)
        f.truncate(64 * 1024 * 1024)
    config = config_disk(str(tmp_path / "config.img"), keys)
    vm = VM(image, str(tmp_path), disks=[(disk, "raw", False), (config, "raw", True)])
    try:
        line = vm.wait_for("berth-error:", 60)
        assert line.startswith("berth-error: disk:"), line
        assert "berth-stage: disk" not in vm.lines()
    finally:
        vm.kill()
    with open(disk, "rb") as f:
        assert f.read(len(payload)) == payload


def test_no_config_disk_stops_the_boot_with_an_error(image, tmp_path):
    vm = VM(image, str(tmp_path))
    try:
        line = vm.wait_for("berth-error:", 60)
        assert line.startswith("berth-error: config:"), line
    finally:
        vm.kill()


def test_the_kvm_probe_prints_init_and_powers_off(image, tmp_path):
    vm = VM(image, str(tmp_path), append="berth.probe=1")
    try:
        vm.wait_for("berth-stage: init", 60)
        vm.proc.wait(timeout=30)
        print("probe: init marker and power off in %.1f s" % (time.monotonic() - vm.started))
        assert vm.lines() == ["berth-stage: init"]
    finally:
        vm.kill()


def test_the_image_builds_to_the_same_bytes_twice(tmp_path):
    if not os.path.exists(os.path.join(CACHE, "debs", "inputs.list")):
        pytest.skip("no VM inputs in %s: run installer/fetch-vm-inputs.sh" % CACHE)
    programs = [os.path.join(BIN, p) for p in ("berthd", "berth-monitor", "berth-rt-run")]
    programs = [p for p in programs if os.path.exists(p)]
    if len(programs) < 2:
        pytest.skip("berthd and berth-monitor are not built in %s" % BIN)
    outs = []
    for n in ("a", "b"):
        out = tmp_path / n
        env = dict(os.environ, TMPDIR=str(tmp_path), BERTH_VM_CACHE=CACHE)
        subprocess.run(["sh", os.path.join(SOURCE, "boot2vm", "build-image.sh"), str(out),
                        *programs], check=True, env=env, capture_output=True)
        outs.append(out)
    files = ["vmlinuz", "vmlinux", "initrd.img", "manifest.json"]
    if shutil.which("xorriso"):
        files.append("berth.iso")
    for f in files:
        a = (outs[0] / f).read_bytes()
        b = (outs[1] / f).read_bytes()
        assert a == b, "%s differs between two builds" % f
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    total = manifest["files"]["vmlinuz"]["size"] + manifest["files"]["initrd.img"]["size"]
    print("vmlinuz + initrd.img: %.1f MB" % (total / 1e6))
    assert total < 40 * 1000 * 1000
