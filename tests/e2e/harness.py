# SPDX-License-Identifier: Apache-2.0
"""The end-to-end harness: isolated sandboxes for the real binaries and the real clients.

A Sandbox owns everything a test starts: a private temporary directory, a fresh network
namespace (only loopback, so traffic never reaches the machine's own addresses), the processes
started in it and the mounts made under its directory. cleanup() undoes all of it, in reverse,
even after a failure, and only ever touches what the sandbox itself made:

- processes are ended by the PIDs the sandbox recorded (SIGTERM, then SIGKILL), never by name;
- mounts under the sandbox directory are unmounted (deepest first);
- the network namespace is deleted;
- the directory is removed.

An Engine is berthd started in a sandbox with its own data root, exec root and unix socket,
and the docker CLI pointed at it with DOCKER_HOST. Engine.client() gives the docker CLI with
other connection settings (a tcp:// host, TLS flags or DOCKER_TLS_VERIFY/DOCKER_CERT_PATH).

A PKI is a test certificate authority made with the openssl CLI, and the server and client
certificates it signs, in the files and layout dockerd and the docker CLI use.

Engines in the test netns are started with `nsenter --net=/run/netns/NAME`, not `ip netns exec`:
the latter remounts /sys and hides /sys/fs/cgroup, which an engine needs.
"""
import fcntl
import itertools
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import time

SOURCE_DIR = os.environ.get(
    "BERTH_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN_DIR = os.environ.get("BERTH_BIN_DIR", os.path.join(SOURCE_DIR, "build", "bin"))
BERTH = os.path.join(BIN_DIR, "berth")
BERTHD = os.path.join(BIN_DIR, "berthd")

_counter = itertools.count()


def is_root():
    return os.geteuid() == 0


def docker_cli():
    """The docker CLI first on PATH, or None."""
    return shutil.which("docker")


def openssl_cli():
    """The openssl CLI, or None."""
    return shutil.which("openssl")


class PKI:
    """A CA and the certificates it signs, made with the openssl CLI in directory: ca.pem and
    ca-key.pem, then one NAME-cert.pem / NAME-key.pem pair per issue(). Keys are P-256 (quick to
    make); certificates are valid for two days."""

    def __init__(self, directory, name="Berth test CA"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca = self.path("ca.pem")
        self.ca_key = self.path("ca-key.pem")
        self._openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                      "/CN=" + name, "-keyout", self.ca_key, "-out", self.ca)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _openssl(self, *args):
        subprocess.run([openssl_cli()] + list(args), check=True, capture_output=True)

    def issue(self, name, server=False, ips=()):
        """A certificate for a server on 127.0.0.1 and localhost (and ips; extendedKeyUsage
        serverAuth) or a client (clientAuth), as dockerd's documentation makes them. Returns
        (cert, key)."""
        cert, key, csr = (self.path("%s-%s.pem" % (name, k)) for k in ("cert", "key", "csr"))
        ext = self.path("%s.ext" % name)
        with open(ext, "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost%s\n"
                        "extendedKeyUsage=serverAuth\n" % "".join(",IP:" + i for i in ips))
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        self._openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-subj", "/CN=" + name, "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
        return cert, key

    def client_dir(self, name):
        """A client certificate in a directory laid out for DOCKER_CERT_PATH (ca.pem, cert.pem,
        key.pem), as docker-machine leaves one."""
        cert, key = self.issue(name)
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        for src, dst in ((self.ca, "ca.pem"), (cert, "cert.pem"), (key, "key.pem")):
            shutil.copy(src, os.path.join(d, dst))
        return d


def drive(argv, env, script, timeout=30, size=None):
    """Run argv on a new pseudo-terminal, as a person at a terminal would; script is a list of
    (expect, send) pairs; size is the terminal's (rows, cols). Returns everything the terminal
    showed, and the exit status."""
    pid, fd = pty.fork()
    if pid == 0:
        if size:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        os.execvpe(argv[0], argv, env)
    seen = b""
    deadline = time.time() + timeout
    steps = list(script)
    try:
        while time.time() < deadline:
            if steps and steps[0][0].encode() in seen:
                _, send = steps.pop(0)
                os.write(fd, send.encode())
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
    finally:
        status = reap(pid, 10)
        os.close(fd)
    return seen.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def reap(pid, timeout):
    """Wait for our child pid; one still running after timeout seconds is hung: it is killed,
    so that the test fails on what it saw rather than hanging."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def mounts_under(path):
    """Mount points at or below path, deepest first (from /proc/self/mountinfo)."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mnt = line.split()[4].encode().decode("unicode_escape")
            if mnt == path or mnt.startswith(path + "/"):
                found.append(mnt)
    return sorted(found, key=lambda m: m.count("/"), reverse=True)


def children(pid):
    """The PIDs whose parent is pid."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(p))
    return out


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Sandbox:
    def __init__(self, name="t", netns=True):
        self.dir = tempfile.mkdtemp(prefix="berth-e2e-%s-" % name)
        self.netns = None
        self.procs = []
        if netns:
            self.netns = "berth-e2e-%d-%d" % (os.getpid(), next(_counter))
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)

    @property
    def netns_path(self):
        return "/run/netns/%s" % self.netns if self.netns else None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def wrap(self, argv):
        """argv run inside the sandbox's network namespace."""
        if not self.netns:
            return list(argv)
        return ["nsenter", "--net=%s" % self.netns_path, "--"] + list(argv)

    def run(self, argv, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        return subprocess.run(self.wrap(argv), **kw)

    def start(self, argv, log_name=None, **kw):
        """Start a long-running process in the sandbox; it is ended by cleanup()."""
        log = open(self.path(log_name or "proc-%d.log" % len(self.procs)), "wb")
        kw.setdefault("stdout", log)
        kw.setdefault("stderr", subprocess.STDOUT)
        p = subprocess.Popen(self.wrap(argv), start_new_session=True, **kw)
        p.log_path = log.name
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10):
        if p.poll() is not None:
            return p.returncode
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait(timeout)

    def monitors(self):
        """PIDs of the berth-monitor processes of engines in this sandbox: they outlive berthd
        by design, and a test that failed half-way leaves its containers running."""
        found = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if (len(argv) >= 3 and argv[0].endswith(b"berth-monitor")
                    and argv[2].startswith(self.dir.encode() + b"/")):
                found.append(int(p))
        return found

    def end_monitors(self, timeout=5):
        """Kill the containers of leftover monitors, let the monitors record that and go,
        then kill those that did not."""
        mons = self.monitors()
        for pid in mons:
            for child in children(pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        deadline = time.time() + timeout
        while mons and time.time() < deadline:
            mons = [m for m in mons if os.path.exists("/proc/%d" % m) and not zombie(m)]
            time.sleep(0.05)
        for pid in mons:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return mons

    def cleanup(self):
        errors = []
        for p in reversed(self.procs):
            try:
                self.stop(p)
            except Exception as e:  # keep cleaning
                errors.append("stop pid %d: %s" % (p.pid, e))
        stuck = self.end_monitors()
        if stuck:
            errors.append("monitors that had to be killed: %s" % stuck)
        for mnt in mounts_under(self.dir):
            r = subprocess.run(["umount", "-l", mnt], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append("umount %s: %s" % (mnt, r.stderr.strip()))
        if self.netns:
            r = subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True,
                               text=True)
            if r.returncode != 0:
                errors.append("netns delete %s: %s" % (self.netns, r.stderr.strip()))
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise RuntimeError("sandbox cleanup: " + "; ".join(errors))


class Engine:
    """berthd in a sandbox, and the docker CLI pointed at it."""

    def __init__(self, sandbox, extra_args=()):
        self.sb = sandbox
        self.data_root = sandbox.path("data")
        self.exec_root = sandbox.path("exec")
        self.sock = sandbox.path("berth.sock")
        self.host = "unix://" + self.sock
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, timeout=20):
        os.makedirs(self.data_root, exist_ok=True)
        os.makedirs(self.exec_root, exist_ok=True)
        argv = [BERTHD, "--data-root", self.data_root, "--exec-root", self.exec_root,
                "-H", self.host, "--pidfile", self.sb.path("berthd.pid")] + self.extra_args
        self.proc = self.sb.start(argv, log_name="berthd.log")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berthd exited with %d:\n%s" % (self.proc.returncode,
                                                                   self.log()))
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError("berthd did not answer /_ping within %ds:\n%s" % (timeout, self.log()))

    def ping(self):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(2)
            s.connect(self.sock)
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n")
            data = s.recv(4096)
            s.close()
            return data.startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def log(self):
        try:
            with open(self.proc.log_path, errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def env(self):
        e = clean_env(self.sb)
        e["DOCKER_HOST"] = self.host
        e["BERTH_CONFIG"] = self.sb.path("berth-config")
        e.pop("BERTH_HOST", None)
        e.pop("BERTH_CONTEXT", None)
        return e

    def client(self, host, flags=(), env=None):
        """The docker CLI against this engine at host (tcp://127.0.0.1:PORT), with flags before
        the command (--tlsverify, --tlscacert, ...) and extra environment (DOCKER_TLS_VERIFY,
        DOCKER_CERT_PATH; with DOCKER_HOST in env, no -H is given)."""
        return DockerClient(self.sb, host, flags, env)

    def docker(self, *args, check=False, timeout=120, input=None, raw=False):
        """Run the real docker CLI against this engine; returns CompletedProcess (bytes with
        raw=True: text mode would turn the \r\n of a terminal into \n)."""
        return self.sb.run([docker_cli()] + list(args), env=self.env(), check=check,
                           timeout=timeout, input=input, text=not raw)

    def berth(self, *args, check=False, timeout=120, input=None, raw=False):
        return self.sb.run([BERTH] + list(args), env=self.env(), check=check,
                           timeout=timeout, input=input, text=not raw)


def clean_env(sandbox):
    """The environment for a client in the sandbox: none of the caller's docker settings, and a
    docker configuration directory of its own (so no ~/.docker certificates are picked up)."""
    e = dict(os.environ)
    for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY",
              "DOCKER_CERT_PATH"):
        e.pop(k, None)
    e["DOCKER_CONFIG"] = sandbox.path("docker-config")
    return e


class DockerClient:
    """The real docker CLI with connection settings of its own (see Engine.client)."""

    def __init__(self, sandbox, host, flags=(), env=None):
        self.sb = sandbox
        self.host = host
        self.flags = list(flags)
        self.extra_env = dict(env or {})

    def env(self):
        e = clean_env(self.sb)
        e.update(self.extra_env)
        return e

    def argv(self, *args):
        """The command line, not yet wrapped into the sandbox's network namespace."""
        host = [] if "DOCKER_HOST" in self.extra_env else ["-H", self.host]
        return [docker_cli()] + self.flags + host + list(args)

    def __call__(self, *args, check=False, timeout=120, input=None, raw=False):
        return self.sb.run(self.argv(*args), env=self.env(), check=check, timeout=timeout,
                           input=input, text=not raw)
