# SPDX-License-Identifier: Apache-2.0
"""Remote Linux hosts for the tests of `berth machine create --driver generic`.

A Lab owns a *client* network namespace (where the tests run berth/docker/ssh) and the remote
hosts it adds. Each RemoteHost is a small "machine" made of namespaces of this machine:

- a network namespace of its own, joined to the client's by a veth pair on its own /30
  (client 10.231.N.1, host 10.231.N.2, N = 1, 2, ... per lab): traffic never leaves the
  namespaces the lab made;
- a mount namespace whose root (pivot_root) is an overlayfs: lower layer this machine's `/`
  (so every installed Debian package is installed there too and `dpkg-query -W` answers as
  here), upper layer on a tmpfs of the lab (overlayfs refuses an upper dir on the lower layer's
  file system); writes to /etc, /usr/local/bin, ... land in the upper layer only. Inside:
  a fresh /proc, /sys rbind (with the cgroup v1 hierarchies), /dev rbind, fresh tmpfs /run and
  /tmp, and /var/lib/berth a bind mount of an ext4 directory of the lab (berthd makes overlay
  mounts there, which an overlayfs upper layer cannot hold);
- UTS and IPC namespaces of its own: `hostname NAME` there (docker-machine's generic driver
  sets the host name) changes only the host's, which starts as its name;
- a PID namespace whose PID 1 is build/bin/berth-init running `sleep infinity`: berth-init
  reaps every orphan (sshd and berthd daemonize), and killing it (SIGKILL from outside) ends
  every process of the host at once;
- a real OpenSSH server (/usr/sbin/sshd, daemonized, a child of PID 1) on HOSTIP:22 with a
  fresh ed25519 host key in the host's /etc/ssh, root login by key only (PermitRootLogin
  prohibit-password, UsePAM no, no passwords); /root/.ssh/authorized_keys holds the lab's
  client key (Lab.key / RemoteHost.key, for --generic-ssh-key).

What the host is not: it has no systemd running (/run is fresh, so /run/systemd/system is
absent, although /usr/bin/systemctl is installed: tell systemd hosts by that directory, as
sd_booted() does; `service NAME start` runs /etc/init.d/NAME) and no sudo. It shares this
machine's kernel: /sys (cgroups included) and /proc/sys outside net.* are this machine's, so a
test must not have it write there beyond what berthd does for its containers.

API:
    lab = Lab(directory)               # directory: the test's own (e.g. a Sandbox's)
    lab.client(argv, env=None, **kw)   # subprocess.run in the client netns (text, captured)
    lab.ssh(host, command, **kw)       # ssh -i KEY root@IP COMMAND, its own known_hosts file
    lab.host_key_seen(host)            # the host key a client sees (ssh-keyscan), "type base64"
    h = lab.add_host(name)             # RemoteHost, sshd listening when it returns
    h.ip, h.name, h.key, h.upper (the overlay's upper dir), h.data_dir (/var/lib/berth), h.pid1
    h.run(cmd, **kw)                   # /bin/sh -c cmd inside the host (namespaces and root)
    h.path(p)                          # where the host's /p is seen from here (/proc/PID1/root)
    h.regenerate_host_key(); h.stop_sshd(); h.start_sshd(); h.host_key()  # "type base64"
    lab.key, lab.known_hosts, lab.ssh_argv(host, *command)  # for clients of the tests' own
    lab.cleanup()                      # kills each host's PID 1, removes berthd's cgroups of
                                       # the host's containers, unmounts, deletes the netns
The `lab` pytest fixture skips (with the reason) when not root or a tool is missing.
"""
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness

_counter = itertools.count()
BERTH_INIT = os.path.join(harness.BIN_DIR, "berth-init")
SSHD = "/usr/sbin/sshd"

SSHD_CONFIG = """\
ListenAddress {ip}:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp internal-sftp
AcceptEnv LANG LC_*
"""

# Run by PID 1 of the new PID namespace, in the new mount namespace: $1 the host's directory,
# $2 berth-init, $3 the host name. Mounts the root, pivots into it, starts sshd, says ready, becomes the init.
SETUP = r"""
set -e
D=$1; R=$D/root
hostname "$3"
mount -t overlay -o lowerdir=/,upperdir="$D/ovl/upper",workdir="$D/ovl/work" remote-root "$R"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=0755 remote-run "$R/run"
mount -t tmpfs -o mode=1777 remote-tmp "$R/tmp"
mkdir -p "$R/var/lib/berth"
mount --bind "$D/data" "$R/var/lib/berth"
cp "$2" "$R/run/berth-remote-init"
cp "$D/authorized_keys" "$R/run/berth-remote-authorized"
cp "$D/sshd_config" "$R/etc/ssh/sshd_config"
mkdir -p "$R/.oldroot"
cd "$R"
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
mkdir -p /run/sshd /root/.ssh
chmod 700 /root/.ssh
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
cp /run/berth-remote-authorized /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
/usr/sbin/sshd
touch /run/berth-remote-ready
exec /run/berth-remote-init -- sleep infinity
"""


def missing():
    """Why a lab cannot be made here, or None."""
    if not harness.is_root():
        return "needs root for namespaces and mounts"
    for tool in (SSHD, "/usr/bin/unshare", "/usr/bin/openssl", "/usr/bin/nsenter", "/usr/bin/ssh",
                 "/usr/bin/ssh-keygen"):
        if not os.access(tool, os.X_OK):
            return "%s is not installed" % tool
    if not os.access(BERTH_INIT, os.X_OK):
        return "%s is not built (cmake --build build)" % BERTH_INIT
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            return "the kernel has no overlayfs"
    return None


def _listening(pid, port):
    """Whether a TCP socket listens on port in pid's network namespace."""
    want = ":%04X" % port
    try:
        with open("/proc/%d/net/tcp" % pid) as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return False
    return any(r.split()[1].endswith(want) and r.split()[3] == "0A" for r in rows)


class RemoteHost:
    def __init__(self, lab, name, n):
        self.lab = lab
        self.name = name
        self.n = n
        self.ip = "10.231.%d.2" % n
        self.client_ip = "10.231.%d.1" % n
        self.key = lab.key
        self.dir = os.path.join(lab.dir, "host-" + name)
        self.upper = os.path.join(self.dir, "ovl", "upper")
        self.data_dir = os.path.join(self.dir, "data")
        self.netns = "%s-h%d" % (lab.netns, n)
        self.proc = None
        self.pid1 = None

    def _network(self):
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.lab.netns_made.append(self.netns)
        ip = ["ip", "-n"]
        steps = [
            ip + [self.netns, "link", "set", "lo", "up"],
            ip + [self.lab.netns, "link", "add", "rh%d" % self.n, "type", "veth", "peer",
                  "name", "eth0", "netns", self.netns],
            ip + [self.lab.netns, "addr", "add", self.client_ip + "/30", "dev", "rh%d" % self.n],
            ip + [self.lab.netns, "link", "set", "rh%d" % self.n, "up"],
            ip + [self.netns, "addr", "add", self.ip + "/30", "dev", "eth0"],
            ip + [self.netns, "link", "set", "eth0", "up"],
            ip + [self.netns, "route", "add", "default", "via", self.client_ip],
        ]
        for s in steps:
            subprocess.run(s, check=True, capture_output=True)

    def start(self, timeout=10):
        for d in ("ovl", "root", "data"):
            os.makedirs(os.path.join(self.dir, d))
        self._network()
        # the upper layer's tmpfs is mounted here, so the tests see it (cleanup unmounts it)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "remote-upper",
                        os.path.join(self.dir, "ovl")], check=True)
        os.makedirs(os.path.join(self.dir, "ovl", "upper"))
        os.makedirs(os.path.join(self.dir, "ovl", "work"))
        shutil.copy(self.lab.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        with open(os.path.join(self.dir, "sshd_config"), "w") as f:
            f.write(SSHD_CONFIG.format(ip=self.ip))
        self.log = open(os.path.join(self.dir, "setup.log"), "wb")
        argv = ["nsenter", "--net=/run/netns/" + self.netns, "--",
                "unshare", "--mount", "--pid", "--uts", "--ipc", "--fork",
                "--propagation", "private",
                "/bin/sh", "-c", SETUP, "setup", self.dir, BERTH_INIT,
                self.name]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            if self.pid1 is None:
                kids = harness.children(self.proc.pid)
                self.pid1 = kids[0] if kids else None
            elif (os.path.exists(self.path("/run/berth-remote-ready"))
                  and _listening(self.pid1, 22)):
                return self
            time.sleep(0.01)
        raise RuntimeError("remote host %s did not start:\n%s" % (self.name, self.setup_log()))

    def setup_log(self):
        try:
            with open(os.path.join(self.dir, "setup.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def path(self, p):
        """Where the host's absolute path p is seen from here."""
        return "/proc/%d/root%s" % (self.pid1, p)

    def argv(self, argv):
        return ["nsenter", "-t", str(self.pid1), "-m", "-p", "-n", "-r", "-w", "--"] + list(argv)

    def run(self, cmd, **kw):
        """cmd (a shell command) run inside the host as root; CompletedProcess (text)."""
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        env = kw.pop("env", None) or {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                               "/usr/bin:/sbin:/bin", "HOME": "/root"}
        return subprocess.run(self.argv(["/bin/sh", "-c", cmd]), env=env, **kw)

    def _wait_port(self, up, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if _listening(self.pid1, 22) == up:
                return
            time.sleep(0.01)
        raise RuntimeError("sshd of %s did not %s" % (self.name, "start" if up else "stop"))

    def stop_sshd(self):
        r = self.run("kill $(cat /run/sshd.pid) && while kill -0 $(cat /run/sshd.pid) "
                     "2>/dev/null; do sleep 0.05; done")
        assert r.returncode == 0, r.stderr
        self._wait_port(False)

    def start_sshd(self):
        r = self.run("/usr/sbin/sshd")
        assert r.returncode == 0, r.stderr
        self._wait_port(True)

    def regenerate_host_key(self):
        """A new ed25519 host key, and sshd restarted with it."""
        self.stop_sshd()
        r = self.run("rm -f /etc/ssh/ssh_host_ed25519_key* && "
                     "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key")
        assert r.returncode == 0, r.stderr
        self.start_sshd()

    def host_key(self):
        """The host's public key as "type base64"."""
        with open(self.path("/etc/ssh/ssh_host_ed25519_key.pub")) as f:
            return " ".join(f.read().split()[:2])

    def container_ids(self):
        try:
            return os.listdir(os.path.join(self.data_dir, "containers"))
        except OSError:
            return []

    def stop(self):
        """Kill PID 1 (the kernel ends every process of the PID namespace), then remove the
        cgroups berthd made for the host's containers. Returns the errors."""
        errors = []
        if self.proc is None:
            return errors
        ids = self.container_ids()
        if self.pid1:
            try:
                os.kill(self.pid1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
        for cid in ids:
            errors += _remove_cgroups("berth/" + cid)
        return errors


def _remove_cgroups(rel):
    errors = []
    for ctrl in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", ctrl, rel)
        if not os.path.isdir(d):
            continue
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)  # the last task is still exiting
        else:
            errors.append("cgroup %s stays" % d)
    return errors


class Lab:
    def __init__(self, directory=None):
        self.dir = tempfile.mkdtemp(prefix="berth-rh-", dir=directory)
        self.netns = "berth-rh-%d-%d" % (os.getpid(), next(_counter))
        self.netns_made = []
        self.hosts = []
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.netns_made.append(self.netns)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        self.key = os.path.join(self.dir, "client_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "berth-lab",
                        "-f", self.key], check=True)
        self.known_hosts = os.path.join(self.dir, "known_hosts")

    def add_host(self, name=None):
        n = len(self.hosts) + 1
        h = RemoteHost(self, name or "h%d" % n, n)
        self.hosts.append(h)
        return h.start()

    def wrap(self, argv):
        return ["nsenter", "--net=/run/netns/" + self.netns, "--"] + list(argv)

    def client(self, argv, env=None, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        return subprocess.run(self.wrap(argv), env=env, **kw)

    def ssh_argv(self, host, *command, known_hosts=None):
        return ["ssh", "-F", "/dev/null", "-i", host.key, "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
                "-o", "UserKnownHostsFile=" + (known_hosts or self.known_hosts),
                "-o", "StrictHostKeyChecking=accept-new", "root@" + host.ip] + list(command)

    def ssh(self, host, command, known_hosts=None, **kw):
        return self.client(self.ssh_argv(host, command, known_hosts=known_hosts), **kw)

    def host_key_seen(self, host):
        """The ed25519 host key a client sees at host.ip:22 (ssh-keyscan), "type base64"."""
        r = self.client(["ssh-keyscan", "-T", "5", "-t", "ed25519", host.ip])
        lines = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith("#")]
        return " ".join(lines[0].split()[1:3]) if lines else None

    def cleanup(self):
        errors = []
        for h in reversed(self.hosts):
            try:
                errors += h.stop()
            except Exception as e:  # keep cleaning
                errors.append("stop %s: %s" % (h.name, e))
        for mnt in harness.mounts_under(self.dir):
            r = subprocess.run(["umount", "-l", mnt], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append("umount %s: %s" % (mnt, r.stderr.strip()))
        for ns in reversed(self.netns_made):
            r = subprocess.run(["ip", "netns", "delete", ns], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append("netns delete %s: %s" % (ns, r.stderr.strip()))
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise RuntimeError("lab cleanup: " + "; ".join(errors))


try:
    import pytest

    @pytest.fixture
    def lab(tmp_path):
        """A Lab in the test's tmp_path, cleaned up after the test."""
        why = missing()
        if why:
            pytest.skip(why)
        lb = Lab(str(tmp_path))
        try:
            yield lb
        finally:
            lb.cleanup()
except ImportError:  # used without pytest
    pass
