# SPDX-License-Identifier: Apache-2.0
"""host/vm's drivers booting real guests, through tests/tools/vm-drive.c (berth-vm-drive): for the
qemu driver and the libvirt driver, create, start, Running, the console's stage markers, stop
(the ACPI power button, then forced off after the timeout), kill, start again, remove; a guest
that powers itself off ends Stopped; host-only networking on a bridge (a tap for the qemu driver,
<interface type='bridge'> for libvirt) and user-mode forwards (also on microvm); an ELF vmlinux
booted via PVH (pc, microvm); the KVM probe and its cache.

Everything runs inside a network namespace the test creates, so 192.168.99.0/24 and the
forwards' 127.0.0.1 exist only there; libvirt is a libvirtd (and virtlogd) started by the test
in that namespace and in a mount namespace of its own (tmpfs over libvirt's state, runtime, log
and config directories), reached at qemu+unix:///system?socket=TMP/libvirt-sock. At the end every
process in the namespace (all started here) is killed by pid and the namespace removed.

The guest: Debian's kernel (installer/fetch-vm-inputs.sh) and an initramfs made here from
busybox-static, whose /init prints "berth-stage: ..." markers. With the kernel package's .deb in
the cache (CACHE/debs/linux-image-*.deb) the initramfs also gets the virtio-net and ACPI button
modules, for the network and power-button tests; without it those tests skip, saying so. TCG
is used (the KVM probe fails on these machines); a stock bzImage takes ~8 s to reach /init."""
import glob
import gzip
import lzma
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import vmenv  # tests/vm/vmenv.py

CACHE = os.environ.get("BERTH_VM_CACHE", "/var/cache/berth/vm")
BIN_DIR = os.environ.get("BERTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build/bin"))
DRIVE = os.path.join(BIN_DIR, "berth-vm-drive")
BOOT_TIMEOUT = 120  # seconds to "berth-stage: init" under TCG on 2 busy cores

NET_MODULES = ["virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
               "virtio_pci", "virtio_mmio", "failover", "net_failover", "virtio_net"]
BUTTON_MODULES = ["button", "evdev"]
DEVICE_MODULES = ["virtio_blk", "netfs", "fscache", "9pnet", "9p", "9pnet_virtio"]

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "berth-stage: init"
ip= mode=idle
for w in $(cat /proc/cmdline); do
    case $w in
    berth.probe=1) poweroff -f ;;
    berth.ip=*) ip=${w#berth.ip=} ;;
    berth.test=*) mode=${w#berth.test=} ;;
    esac
done
load() { for m in "$@"; do insmod /lib/modules/$m.ko 2>/dev/null; done; }
if [ -n "$ip" ]; then
    load %(net)s
    ip link set lo up
    ip addr add "$ip" dev eth0
    ip link set eth0 up
    nc -ll -p 2376 -e /bin/hello &
    echo "berth-stage: network ${ip%%/*}"
fi
case $mode in
poweroff)
    echo "berth-stage: poweroff"
    poweroff -f
    ;;
button)
    load %(button)s
    for e in /sys/class/input/event*; do
        [ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ] && ev=/dev/input/${e##*/}
    done
    echo "berth-stage: button ${ev:-none}"
    # the first event (the press) ends the wait
    [ -n "$ev" ] && dd if=$ev of=/dev/null bs=24 count=1 2>/dev/null && echo "berth-stage: pressed" && poweroff -f
    ;;
devices)
    load %(net)s %(devices)s
    echo "berth-stage: disks $(ls /sys/block | grep '^vd' | tr '\n' ' ')"
    echo "berth-stage: vda-sectors $(cat /sys/block/vda/size)"
    echo "berth-stage: config-first $(dd if=/dev/vdb bs=13 count=1 2>/dev/null)"
    mkdir -p /cfg && tar -xf /dev/vdb -C /cfg
    echo "berth-stage: env $(cat /cfg/berth-config/machine.env)"
    echo x 2>/dev/null >/dev/vdb && echo "berth-stage: vdb-ro no" || echo "berth-stage: vdb-ro yes"
    mkdir -p /mnt && mount -t 9p -o trans=virtio,version=9p2000.L home /mnt
    echo "berth-stage: share $(cat /mnt/hello.txt)"
    echo from-guest >/mnt/guest.txt
    sync
    echo "berth-stage: devices done"
    ;;
esac
echo "berth-stage: idle mem=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d ' ' -f 2)"
while :; do sleep 3600; done
""" % {"net": " ".join(NET_MODULES), "button": " ".join(BUTTON_MODULES),
       "devices": " ".join(DEVICE_MODULES)}

HELLO = "#!/bin/sh\necho berth-guest hello\n"


def run(argv, check=True, timeout=120, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


@pytest.fixture(scope="module")
def kernel():
    path = os.path.join(CACHE, "vmlinuz")
    if not os.path.exists(path):
        pytest.skip("no guest kernel in %s: run installer/fetch-vm-inputs.sh" % CACHE)
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is not installed (installer/install-deps.sh)")
    if not os.path.exists(DRIVE):
        pytest.skip("%s is not built (cmake -DBERTH_TESTS=ON)" % DRIVE)
    if os.geteuid() != 0:
        pytest.skip("the VM driver tests need root (network namespaces, bridges, libvirtd)")
    return path


@pytest.fixture(scope="module")
def vmlinux(kernel, workdir):
    """The uncompressed ELF kernel inside the bzImage (booted via its PVH entry: no
    decompression, about half the TCG boot), as the image build extracts it."""
    with open(kernel, "rb") as f:
        data = f.read()
    at = data.find(b"\xfd7zXZ\x00")
    if at < 0:
        pytest.skip("%s holds no xz payload to extract a vmlinux from" % kernel)
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    elf = d.decompress(data[at:])
    assert elf[:4] == b"\x7fELF"
    path = os.path.join(workdir, "vmlinux")
    with open(path, "wb") as f:
        f.write(elf)
    return path


@pytest.fixture(scope="module")
def workdir():
    # short: unix socket paths (QMP, libvirt) must fit in 107 bytes
    d = tempfile.mkdtemp(prefix="bvd-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def modules(workdir):
    """The directory holding NET_MODULES and BUTTON_MODULES as NAME.ko, or None (with why)."""
    with open(os.path.join(CACHE, "kernel-version")) as f:
        release = f.read().strip()
    debs = glob.glob(os.path.join(CACHE, "debs", "linux-image-%s_*.deb" % release))
    if not debs:
        return None, "no linux-image-%s .deb in %s/debs (installer/fetch-vm-inputs.sh)" % (
            release, CACHE)
    out = os.path.join(workdir, "modules")
    os.makedirs(out)
    tree = os.path.join(workdir, "deb-tree")
    os.makedirs(tree)
    names = NET_MODULES + BUTTON_MODULES + DEVICE_MODULES
    fs = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", debs[0]], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", tree, "--wildcards"] + ["*/%s.ko" % n for n in names],
                   stdin=fs.stdout, check=True)
    fs.wait()
    for n in names:
        found = glob.glob(os.path.join(tree, "lib/modules", release, "kernel/**/%s.ko" % n),
                          recursive=True)
        if not found:
            return None, "%s.ko is not in %s" % (n, debs[0])
        shutil.copy(found[0], os.path.join(out, n + ".ko"))
    shutil.rmtree(tree)
    return out, None


@pytest.fixture(scope="module")
def initrd(workdir, modules):
    if not os.path.exists("/bin/busybox"):
        pytest.skip("Debian's busybox-static is not installed (installer/install-deps.sh)")
    root = os.path.join(workdir, "initrd-root")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for name, text in (("init", INIT), ("bin/hello", HELLO)):
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(root, name), 0o755)
    if modules[0]:
        shutil.copytree(modules[0], os.path.join(root, "lib", "modules"))
    names = run(["find", "."], cwd=root).stdout
    cpio = subprocess.run(["/bin/busybox", "cpio", "-o", "-H", "newc", "-R", "0:0"], cwd=root,
                          input=names.encode(), capture_output=True, check=True).stdout
    out = os.path.join(workdir, "initrd.gz")
    with gzip.open(out, "wb") as f:
        f.write(cpio)
    return out


@pytest.fixture(scope="module")
def netns(kernel):
    name = "berthtest-%d" % os.getpid()
    run(["ip", "netns", "add", name])
    try:
        run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        yield name
    finally:
        kill_netns_processes(name)
        subprocess.run(["ip", "netns", "del", name])


def kill_netns_processes(name):
    """Every process in the test's namespace was started by this test: QEMU, libvirtd."""
    for _ in range(50):
        pids = [int(p) for p in run(["ip", "netns", "pids", name], check=False).stdout.split()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def ns(netns_name, argv):
    return ["nsenter", "--net=/run/netns/" + netns_name] + argv


QEMU_CONF = """user = "root"
group = "root"
security_driver = "none"
"""


@pytest.fixture(scope="module")
def libvirtd(netns, workdir):
    """A private libvirtd (tests/vm/vmenv.py): its URI."""
    if not shutil.which("libvirtd") or not shutil.which("virtlogd"):
        pytest.skip("libvirtd is not installed (installer/install-deps.sh: libvirt-daemon-system)")
    uri, _ = vmenv.start_libvirtd("/run/netns/" + netns, os.path.join(workdir, "lv"), QEMU_CONF)
    yield uri  # the daemons end with the namespace's other processes (kill_netns_processes)


class Machine:
    """One machine of one driver, driven through berth-vm-drive inside the namespace."""

    def __init__(self, netns, workdir, driver, name, kernel, initrd, cmdline, uri=None,
                 extra=(), store_parent=""):
        self.netns = netns
        self.driver = driver
        self.name = name
        self.store = os.path.join(workdir, store_parent, name)
        os.makedirs(self.store, exist_ok=True)
        self.console = os.path.join(self.store, "console.log")
        self.spec = ["--driver", driver, "--name", name, "--store", self.store,
                     "--kernel", kernel, "--initrd", initrd, "--memory", "256",
                     "--cmdline", "console=ttyS0 panic=-1 " + cmdline] + list(extra)
        if uri:
            self.spec += ["--uri", uri]

    def drive(self, *args, check=True, timeout=120):
        return run(ns(self.netns, [DRIVE] + self.spec + list(args)), check=check,
                   timeout=timeout)

    def state(self):
        return self.drive("state").stdout.strip()

    def wait_console(self, marker, timeout=BOOT_TIMEOUT):
        p = run([DRIVE, "console-wait", self.console, marker, str(timeout * 1000)], check=False,
                timeout=timeout + 30)
        if p.returncode != 0:
            tail = run([DRIVE, "tail", self.console, "15"], check=False).stdout
            raise AssertionError("%s: %s\nconsole tail:\n%s" % (self.name, p.stderr, tail))
        return p.stdout.strip()

    def wait_state(self, want, timeout=30):
        deadline = time.monotonic() + timeout
        st = self.state()
        while st != want and time.monotonic() < deadline:
            time.sleep(0.2)
            st = self.state()
        return st


def machine_for(request, driver, name, cmdline, extra=(), kernel="kernel", store_parent=""):
    netns = request.getfixturevalue("netns")
    uri = request.getfixturevalue("libvirtd") if driver == "libvirt" else None
    m = Machine(netns, request.getfixturevalue("workdir"), driver, name,
                request.getfixturevalue(kernel), request.getfixturevalue("initrd"), cmdline,
                uri=uri, extra=extra, store_parent=store_parent)
    request.addfinalizer(lambda: m.drive("remove", check=False))
    return m


DRIVERS = ["qemu", "libvirt"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_life_cycle(request, driver):
    m = machine_for(request, driver, "lc-" + driver, "berth.test=idle")
    assert m.state() == "Missing"
    m.drive("create")
    assert m.state() == "Stopped"

    t0 = time.monotonic()
    m.drive("start")
    assert m.state() == "Running"
    assert m.wait_console("berth-stage: init") == "berth-stage: init"
    print("%s: start to berth-stage: init in %.1f s (TCG)" % (driver, time.monotonic() - t0))
    mem1 = int(m.wait_console("berth-stage: idle", timeout=30).split("mem=")[1])
    p = m.drive("start", check=False)
    assert p.returncode == 1
    assert 'not modified: machine "lc-%s" is already running' % driver in p.stderr

    # created again while it runs: it keeps running as it was; the next start has the new memory
    m.spec[m.spec.index("--memory") + 1] = "384"
    m.drive("create")
    assert m.state() == "Running"

    # the guest has no ACPI button driver: the button is ignored and stop forces it off
    t0 = time.monotonic()
    assert m.drive("stop", "--timeout", "3000").stdout.strip() == "forced"
    took = time.monotonic() - t0
    assert 3.0 <= took < 20, "stop took %.1f s" % took
    assert m.state() == "Stopped"
    p = m.drive("stop", check=False)
    assert p.returncode == 1
    assert 'not modified: machine "lc-%s" is already stopped' % driver in p.stderr

    # started again: the console is this boot's (truncated at start)
    m.drive("start")
    mem2 = int(m.wait_console("berth-stage: idle").split("mem=")[1])
    assert mem2 - mem1 > 100 * 1024, (mem1, mem2)
    with open(m.console, errors="replace") as f:
        assert f.read().count("berth-stage: init") == 1
    m.drive("kill")
    assert m.state() == "Stopped"
    p = m.drive("kill", check=False)
    assert "already stopped" in p.stderr

    m.drive("start")
    m.wait_console("berth-stage: init")
    if driver == "libvirt" and shutil.which("virsh"):
        # what virsh, the user's other view of the domain, says
        assert virsh(m, "domstate", "berth-" + m.name).stdout.strip() == "running"
    m.drive("remove")
    assert m.state() == "Missing"
    if driver == "qemu":
        for f in ("qemu.pid", "qmp.sock", "qemu.json"):
            assert not os.path.exists(os.path.join(m.store, f)), f
    elif shutil.which("virsh"):
        p = virsh(m, "domstate", "berth-" + m.name, check=False)
        assert p.returncode != 0 and "failed to get domain" in p.stderr, p.stderr
    p = m.drive("start", check=False)
    assert 'not found: machine "lc-%s" does not exist' % driver in p.stderr


def virsh(m, *args, check=True):
    return run(["virsh", "-c", m.spec[m.spec.index("--uri") + 1]] + list(args), check=check)


@pytest.mark.parametrize("driver", DRIVERS)
def test_start_failure_names_the_machine_and_the_cause(request, driver, workdir):
    m = machine_for(request, driver, "bad-" + driver, "berth.test=idle")
    missing = os.path.join(workdir, "no-such-vmlinuz")
    m.spec[m.spec.index("--kernel") + 1] = missing
    m.drive("create")
    p = m.drive("start", check=False)
    assert p.returncode == 1
    assert 'start machine "bad-%s": ' % driver in p.stderr, p.stderr
    assert missing in p.stderr, p.stderr
    print(p.stderr.strip())
    assert m.state() == "Stopped"
    m.drive("remove")
    assert m.state() == "Missing"


@pytest.mark.parametrize("driver", DRIVERS)
def test_guest_poweroff_ends_stopped(request, driver):
    # a store whose path needs escaping everywhere it goes: domain XML, QEMU's option strings
    m = machine_for(request, driver, "po-" + driver, "berth.test=poweroff",
                    store_parent="a dir, with 'quotes' & <xml>")
    m.drive("create")
    m.drive("start")
    m.wait_console("berth-stage: poweroff")
    assert m.wait_state("Stopped") == "Stopped"
    m.drive("remove")


def need_modules(request):
    mods, why = request.getfixturevalue("modules")
    if not mods:
        pytest.skip(why)


@pytest.mark.parametrize("driver", DRIVERS)
def test_hostonly_network_and_power_button(request, driver):
    need_modules(request)
    netns = request.getfixturevalue("netns")
    ip = "192.168.99.100" if driver == "qemu" else "192.168.99.101"
    run(ns(netns, [DRIVE, "bridge", "berth0", "192.168.99.1/24"]))
    # a second ensure with the same CIDR keeps it; another CIDR is refused
    run(ns(netns, [DRIVE, "bridge", "berth0", "192.168.99.0/24"]))
    p = run(ns(netns, [DRIVE, "bridge", "berth0", "192.168.42.1/24"]), check=False)
    assert p.returncode == 1
    assert ('conflict: host-only network: bridge "berth0" has 192.168.99.1/24, not '
            '192.168.42.1/24') in p.stderr

    m = machine_for(request, driver, "net-" + driver, "berth.ip=%s/24 berth.test=button" % ip,
                    extra=["--net", "bridge", "--bridge", "berth0"])
    m.drive("create")
    m.drive("start")
    tap = run([DRIVE, "tap", m.name]).stdout.strip()
    link = run(ns(netns, ["ip", "-o", "link", "show", tap])).stdout
    assert "master berth0" in link
    assert m.wait_console("berth-stage: network") == "berth-stage: network " + ip
    line = m.wait_console("berth-stage: button", timeout=60)
    assert line.startswith("berth-stage: button /dev/input/event"), line
    # from inside the namespace only: the guest answers ping and TCP
    run(ns(netns, ["/bin/busybox", "ping", "-c", "2", "-W", "5", ip]), timeout=30)
    hello = run(ns(netns, ["/bin/busybox", "nc", "-w", "10", ip, "2376"]), timeout=30)
    assert hello.stdout.strip() == "berth-guest hello"

    t0 = time.monotonic()
    assert m.drive("stop", "--timeout", "60000").stdout.strip() == "stopped"
    print("%s: ACPI power button to stopped in %.1f s" % (driver, time.monotonic() - t0))
    m.wait_console("berth-stage: pressed", timeout=5)
    assert m.state() == "Stopped"
    # the tap goes with the VM
    assert run(ns(netns, ["ip", "link", "show", tap]), check=False).returncode != 0
    m.drive("remove")


@pytest.mark.parametrize("driver", DRIVERS)
def test_disks_and_shares_reach_the_guest(request, driver, workdir):
    need_modules(request)
    d = os.path.join(workdir, "dev-" + driver)
    os.makedirs(os.path.join(d, "share"))
    with open(os.path.join(d, "share", "hello.txt"), "w") as f:
        f.write("hello from the host\n")
    with open(os.path.join(d, "machine.env"), "w") as f:
        f.write("BERTH_HOSTNAME='devs'\n")
    data, config = os.path.join(d, "disk.qcow2"), os.path.join(d, "config.img")
    run([DRIVE, "data-disk", data, "64"])
    run([DRIVE, "config-disk", config, "machine.env=" + os.path.join(d, "machine.env"),
         "tls/ca.pem=" + os.path.join(d, "machine.env")])
    m = machine_for(request, driver, "dev-" + driver, "berth.test=devices",
                    extra=["--data-disk", data, "--config-disk", config,
                           "--share", "home:" + os.path.join(d, "share")])
    m.drive("create")
    m.drive("start")
    # the data disk is the first virtio disk, the config disk the second
    assert m.wait_console("berth-stage: disks") == "berth-stage: disks vda vdb"
    assert m.wait_console("berth-stage: vda-sectors", 30) == "berth-stage: vda-sectors 131072"
    # the guest finds its config by the first entry's name, and reads it with tar
    assert m.wait_console("berth-stage: config-first", 30) == \
        "berth-stage: config-first berth-config/"
    assert m.wait_console("berth-stage: env", 30) == "berth-stage: env BERTH_HOSTNAME='devs'"
    assert m.wait_console("berth-stage: vdb-ro", 30) == "berth-stage: vdb-ro yes"
    assert m.wait_console("berth-stage: share", 30) == "berth-stage: share hello from the host"
    m.wait_console("berth-stage: devices done", 30)
    with open(os.path.join(d, "share", "guest.txt")) as f:
        assert f.read() == "from-guest\n"
    m.drive("kill")
    m.drive("remove")
    # remove deletes the definition, never the disks or the store
    assert os.path.exists(data) and os.path.exists(config) and os.path.isdir(m.store)


@pytest.mark.parametrize("driver,machine", [("qemu", "pc"), ("libvirt", "pc"),
                                            ("qemu", "microvm")])
def test_user_network_forwards(request, driver, machine):
    need_modules(request)
    netns = request.getfixturevalue("netns")
    port = {"qemu": 22376, "libvirt": 22377}[driver] + (10 if machine == "microvm" else 0)
    # microvm boots only an ELF vmlinux (PVH); its virtio devices are MMIO (virtio_mmio)
    m = machine_for(request, driver, "usr-%s-%s" % (driver, machine),
                    "berth.ip=10.0.2.15/24 berth.test=idle",
                    extra=["--net", "user", "--forward", "%d:2376" % port, "--restrict",
                           "--machine", machine],
                    kernel="vmlinux" if machine == "microvm" else "kernel")
    m.drive("create")
    m.drive("start")
    m.wait_console("berth-stage: network")
    # the forward listens on the namespace's 127.0.0.1
    deadline = time.monotonic() + 30
    while True:
        p = run(ns(netns, ["/bin/busybox", "nc", "-w", "5", "127.0.0.1", str(port)]),
                check=False, timeout=30)
        if p.stdout.strip() == "berth-guest hello" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert p.stdout.strip() == "berth-guest hello"
    m.drive("kill")
    m.drive("remove")


@pytest.mark.parametrize("driver,machine", [("qemu", "microvm"), ("qemu", "pc"),
                                            ("libvirt", "pc")])
def test_vmlinux_boots(request, driver, machine):
    m = machine_for(request, driver, "elf-%s-%s" % (driver, machine), "berth.test=idle",
                    extra=["--machine", machine], kernel="vmlinux")
    m.drive("create")
    t0 = time.monotonic()
    m.drive("start")
    m.wait_console("berth-stage: init")
    print("%s %s: start to berth-stage: init in %.1f s (vmlinux, TCG)" % (
        driver, machine, time.monotonic() - t0))
    if machine == "microvm":
        # the kernel command line got what microvm needs under TCG
        with open(m.console, errors="replace") as f:
            assert "tsc_early_khz=2000000" in f.read()
    m.drive("kill")
    m.drive("remove")


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_without_root_user_mode_works_and_host_only_is_refused(request, kernel, initrd, workdir,
                                                                netns):
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is not installed (util-linux)")
    os.chmod(workdir, 0o711)  # nobody reaches the kernel, initrd and its store by name
    store = os.path.join(workdir, "nobody")
    os.makedirs(store)
    os.chown(store, 65534, 65534)
    spec = ["--driver", "qemu", "--name", "nobody", "--store", store, "--kernel", kernel,
            "--initrd", initrd, "--memory", "256", "--cmdline",
            "console=ttyS0 panic=-1 berth.test=idle"]

    def drive(*args, check=True):
        return run(ns(netns, NOBODY + [DRIVE] + list(args)), check=check)

    p = drive("bridge", "berth1", "192.168.98.1/24", check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (
        'berth-vm-drive: forbidden: create bridge "berth1": host-only networking needs root '
        '(without it, machines use user-mode networking)')
    # a machine on root's bridge: its tap cannot be made either
    run(ns(netns, [DRIVE, "bridge", "berth0", "192.168.99.1/24"]))
    drive(*spec, "--net", "bridge", "--bridge", "berth0", "create")
    p = drive(*spec, "--net", "bridge", "--bridge", "berth0", "start", check=False)
    assert p.returncode == 1
    # "open /dev/net/tun for tap" or "create tap", as the device's mode has it
    assert 'forbidden: start machine "nobody": ' in p.stderr, p.stderr
    assert 'tap "bt-nobody": host-only networking needs root' in p.stderr, p.stderr

    user = spec + ["--net", "user", "--forward", "22399:2376"]
    drive(*user, "create")
    request.addfinalizer(lambda: drive(*user, "remove", check=False))
    drive(*user, "start")
    assert drive(*user, "state").stdout.strip() == "Running"
    p = run([DRIVE, "console-wait", os.path.join(store, "console.log"), "berth-stage: init",
             str(BOOT_TIMEOUT * 1000)], check=False, timeout=BOOT_TIMEOUT + 30)
    assert p.returncode == 0, p.stderr
    pid = int(open(os.path.join(store, "qemu.pid")).read())
    assert os.stat("/proc/%d" % pid).st_uid == 65534  # QEMU runs as the user
    drive(*user, "kill")
    drive(*user, "remove")
    assert drive(*user, "state").stdout.strip() == "Missing"


def test_without_root_libvirt_uses_the_session_daemon(request, kernel, initrd, workdir, netns):
    """A user's own libvirtd (qemu:///session, started by libvirt itself on first use), with a
    home and runtime directory made here, inside the test's namespace."""
    if not shutil.which("setpriv") or not shutil.which("libvirtd"):
        pytest.skip("setpriv (util-linux) or libvirtd is not installed")
    os.chmod(workdir, 0o711)
    user = os.path.join(workdir, "session")
    for d in ("", "home", "run", "m"):
        os.makedirs(os.path.join(user, d), mode=0o700, exist_ok=True)
        os.chown(os.path.join(user, d), 65534, 65534)
    env = ["env", "-i", "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=%s/home" % user,
           "XDG_RUNTIME_DIR=%s/run" % user]
    # no --uri and no BERTH_LIBVIRT_URI: the default for a user that is not root
    spec = ["--driver", "libvirt", "--name", "sess", "--store", os.path.join(user, "m"),
            "--kernel", kernel, "--initrd", initrd, "--memory", "256", "--cmdline",
            "console=ttyS0 panic=-1 berth.test=idle", "--net", "user"]

    def drive(*args, check=True):
        return run(ns(netns, NOBODY + env + [DRIVE] + spec + list(args)), check=check)

    drive("create")
    request.addfinalizer(lambda: drive("remove", check=False))
    assert drive("state").stdout.strip() == "Stopped"
    drive("start")
    p = run([DRIVE, "console-wait", os.path.join(user, "m", "console.log"), "berth-stage: init",
             str(BOOT_TIMEOUT * 1000)], check=False, timeout=BOOT_TIMEOUT + 30)
    assert p.returncode == 0, p.stderr
    assert drive("stop", "--timeout", "2000").stdout.strip() == "forced"
    drive("remove")
    assert drive("state").stdout.strip() == "Missing"
    # the session's daemon ran as the user, with its files under the user's home
    assert os.path.isdir(os.path.join(user, "home", ".config", "libvirt"))


def test_kvm_probe_answers_and_is_cached(kernel, initrd, workdir):
    cache = os.path.join(workdir, "accel.json")
    p = run([DRIVE, "probe", kernel, initrd, cache, "10000"], timeout=120)
    accel, how, rest = p.stdout.split(" ", 2)
    secs, reason = rest.strip().split(": ", 1) if ": " in rest else (rest.strip(), "")
    print("KVM probe: " + p.stdout.strip())
    assert how == "probed"
    if accel == "kvm":
        assert float(secs.rstrip(":")) < 10 and reason == ""
    else:
        assert accel == "tcg"
        # why, in words: no /dev/kvm, or the boot that did not print its marker in time
        assert reason.startswith("/dev/kvm: ") or reason.startswith(
            "KVM did not boot the kernel: "), reason
    again = run([DRIVE, "probe", kernel, initrd, cache, "10000"])
    assert again.stdout.split(" ", 2)[:2] == [accel, "cached"]
    assert again.stdout.strip().endswith(reason)
