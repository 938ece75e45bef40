# SPDX-License-Identifier: Apache-2.0
"""The SSH transport (host/transport) against a real OpenSSH server.

Each test starts its own sshd in its sandbox's network namespace, on 127.0.0.1, with a config,
a host key and an authorized_keys file made in the sandbox's directory (nothing of the
machine's own sshd, /etc/ssh or ~/.ssh is read or written: HOME points into the sandbox, and
sshd's privilege-separation directory /run/sshd is a tmpfs in a mount namespace of its own).
The client is tests/tools/berth-ssh-dial, a thin `ssh -T` over the library.
"""
import hashlib
import os
import shutil
import subprocess
import time

import pytest

import harness

SSHD = "/usr/sbin/sshd"
DIAL = os.path.join(harness.BIN_DIR, "berth-ssh-dial")
PORT = 2222


def keygen(path, kind="ed25519", passphrase=""):
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "berth-e2e", "-f",
                    path], check=True, capture_output=True)
    return path


def fingerprint(pub):
    """SHA256:... as ssh-keygen -l prints it."""
    out = subprocess.run(["ssh-keygen", "-l", "-f", pub], check=True, capture_output=True,
                         text=True).stdout
    return out.split()[1]


class Server:
    """sshd in a sandbox, and berth-ssh-dial pointed at it."""

    def __init__(self, sb, port=PORT, extra_config=()):
        self.sb = sb
        self.port = port
        self.dir = sb.path("sshd")
        os.makedirs(self.dir)
        self.host_key = keygen(os.path.join(self.dir, "host_key"))
        self.client_key = keygen(sb.path("client_key"))
        self.authorized_keys = os.path.join(self.dir, "authorized_keys")
        shutil.copy(self.client_key + ".pub", self.authorized_keys)
        self.home = sb.path("home")
        os.makedirs(self.home)
        self.known_hosts = sb.path("known_hosts")
        self.config = os.path.join(self.dir, "sshd_config")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "Port %d" % port,
                "ListenAddress 127.0.0.1",
                "HostKey %s" % self.host_key,
                "AuthorizedKeysFile %s" % self.authorized_keys,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                # the sandbox lives under /tmp, which is world-writable
                "StrictModes no",
                # never run the account's ~/.ssh/rc
                "PermitUserRC no",
                "PrintMotd no",
                "PrintLastLog no",
                "PidFile %s" % os.path.join(self.dir, "sshd.pid"),
                "LogLevel VERBOSE",
            ] + list(extra_config) + [""]))
        self.proc = None

    def start(self, timeout=10):
        # sshd wants /run/sshd (its privilege-separation directory): give it a private one
        script = ("mount -t tmpfs -o mode=755 berth-e2e-sshd /run && mkdir -m 755 /run/sshd && "
                  "exec %s -D -e -f %s" % (SSHD, self.config))
        self.proc = self.sb.start(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   script], log_name="sshd.log")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sshd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            if "Server listening on" in self.log():
                return self
            time.sleep(0.05)
        raise RuntimeError("sshd did not start within %ds:\n%s" % (timeout, self.log()))

    def log(self):
        with open(self.proc.log_path, errors="replace") as f:
            return f.read()

    def url(self, user="root", port=None):
        port = self.port if port is None else port
        return "ssh://%s@127.0.0.1%s" % (user, "" if port == 22 else ":%d" % port)

    def trust(self):
        """known_hosts with the server's key, as ssh writes it."""
        with open(self.host_key + ".pub") as f:
            kind, key = f.read().split()[:2]
        name = "127.0.0.1" if self.port == 22 else "[127.0.0.1]:%d" % self.port
        with open(self.known_hosts, "w") as f:
            f.write("%s %s %s\n" % (name, kind, key))

    def env(self, **extra):
        e = dict(os.environ)
        e.pop("SSH_AUTH_SOCK", None)
        e["HOME"] = self.home
        e.update(extra)
        return e

    def dial(self, *args, command=None, input=b"", key=True, known_hosts=True, url=None,
             env=None, timeout=60):
        argv = [DIAL]
        if key:
            argv += ["-i", self.client_key]
        if known_hosts:
            argv += ["--known-hosts", self.known_hosts]
        argv += list(args) + [url or self.url()]
        if command:
            argv += ["--"] + list(command)
        return self.sb.run(argv, input=input, text=False, env=env or self.env(), timeout=timeout)


def text(b):
    return b.decode(errors="replace")


@pytest.fixture
def ssh(request, sandbox):
    for tool in (SSHD, shutil.which("ssh-keygen"), shutil.which("unshare")):
        if not tool or not os.access(tool, os.X_OK):
            pytest.skip("openssh-server, openssh-client and util-linux are needed "
                        "(installer/install-deps.sh)")
    if not os.access(DIAL, os.X_OK):
        pytest.skip("%s is not built (cmake --build build)" % DIAL)
    srv = Server(sandbox)
    srv.trust()
    srv.start()
    yield srv
    if harness_failed(request):
        print("---- sshd log ----\n" + srv.log()[-10000:])


def harness_failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.failed


# ---- bytes, EOFs, exit status -------------------------------------------------------------

def test_ssh_echo_through_cat_carries_bytes_both_ways(ssh):
    r = ssh.dial(command=["cat"], input=b"hello over ssh\n")
    assert r.returncode == 0, text(r.stderr)
    assert r.stdout == b"hello over ssh\n"


def test_ssh_large_transfer_both_ways_at_once(ssh):
    data = os.urandom(8 * 1024 * 1024)
    r = ssh.dial(command=["cat"], input=data, timeout=120)
    assert r.returncode == 0, text(r.stderr)
    assert len(r.stdout) == len(data)
    assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(data).digest()


def test_ssh_stdin_eof_reaches_the_far_side_and_its_exit_status_comes_back(ssh):
    r = ssh.dial(command=["sh", "-c", "wc -c; echo to-stderr >&2; exit 7"], input=b"12345")
    assert r.returncode == 7, text(r.stderr)
    assert r.stdout.strip() == b"5"  # wc only answers after the EOF
    assert b"to-stderr" in r.stderr


def test_ssh_far_side_eof_ends_the_local_read(ssh):
    # the command ends without reading its stdin, which stays open on our side
    argv = [DIAL, "-i", ssh.client_key, "--known-hosts", ssh.known_hosts, ssh.url(), "--",
            "echo", "done"]
    p = subprocess.Popen(ssh.sb.wrap(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=ssh.env())
    try:
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, text(err)
    assert out == b"done\n"


def test_ssh_pty_has_the_size_asked_for_and_follows_a_resize(ssh):
    # stdin stays open while the command runs, as a terminal's does: OpenSSH's sshd stops
    # applying window changes to a session whose input ended
    argv = ssh.sb.wrap([DIAL, "-i", ssh.client_key, "--known-hosts", ssh.known_hosts, "--pty",
                        "xterm", "100x30", "--resize", "120x40", ssh.url(), "--", "sh", "-c",
                        "tty >/dev/null && stty size; sleep 1; stty size"])
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=ssh.env())
    try:
        out = b""
        deadline = time.time() + 20
        while out.count(b"\n") < 2 and time.time() < deadline:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
        p.stdin.close()
        p.wait(timeout=20)
        rest, err = p.stdout.read(), p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, text(err)
    assert text(out + rest).replace("\r", "").split("\n")[:2] == ["30 100", "40 120"]


def test_ssh_login_shell_with_a_pty(ssh):
    r = ssh.dial("--pty", "vt100", "80x24", "--shell", input=b"echo in-$((6*7)); exit 3\n")
    assert r.returncode == 3, text(r.stderr)
    assert "in-42" in text(r.stdout)


def test_ssh_without_pty_has_no_terminal(ssh):
    r = ssh.dial(command=["sh", "-c", "tty || true"])
    assert text(r.stdout).strip() == "not a tty"


def test_ssh_detached_dial_reports_status_and_stderr(ssh):
    r = ssh.dial("--detached", command=["sh", "-c", "cat; echo oops >&2; exit 3"],
                 input=b"via tp_ssh_dial\n")
    assert r.returncode == 3, text(r.stderr)
    assert r.stdout == b"via tp_ssh_dial\n"
    assert b"oops" in r.stderr


def test_ssh_missing_remote_command_gives_its_stderr(ssh):
    r = ssh.dial(command=["berth-no-such-command", "dial-stdio"])
    assert r.returncode == 127
    assert b"berth-no-such-command" in r.stderr and b"not found" in r.stderr


@pytest.mark.parametrize("api", ["handle", "detached"])
def test_ssh_closing_the_fd_ends_channel_session_and_thread(ssh, api):
    extra = ["--detached"] if api == "detached" else []
    start = time.time()
    # cat ends on the EOF our close sends
    r = ssh.dial("--close-early", *extra, command=["cat"])
    assert r.returncode == 0, text(r.stderr)
    assert b"ended" in r.stderr
    # a command that ignores its stdin: the bridge waits a short grace, then leaves
    r = ssh.dial("--close-early", *extra, command=["sleep", "4"])
    assert r.returncode == 0, text(r.stderr)
    assert time.time() - start < 12


# ---- authentication ----------------------------------------------------------------------

def test_ssh_identity_file_authenticates(ssh):
    r = ssh.dial("--no-default-keys", command=["id", "-un"])
    assert r.returncode == 0, text(r.stderr)
    assert r.stdout == b"root\n"


def test_ssh_default_key_in_home_authenticates(ssh):
    os.makedirs(os.path.join(ssh.home, ".ssh"), mode=0o700)
    shutil.copy(ssh.client_key, os.path.join(ssh.home, ".ssh", "id_ed25519"))
    r = ssh.dial(key=False, command=["true"])
    assert r.returncode == 0, text(r.stderr)


def test_ssh_agent_authenticates(ssh):
    sock = ssh.sb.path("agent.sock")
    agent = ssh.sb.start(["ssh-agent", "-D", "-a", sock], log_name="ssh-agent.log")
    deadline = time.time() + 10
    while not os.path.exists(sock) and time.time() < deadline:
        assert agent.poll() is None, "ssh-agent exited"
        time.sleep(0.05)
    env = ssh.env(SSH_AUTH_SOCK=sock)
    add = subprocess.run(["ssh-add", ssh.client_key], env=env, capture_output=True, text=True)
    assert add.returncode == 0, add.stderr
    # no identity file and no ~/.ssh keys: only the agent holds the key
    r = ssh.dial("--no-default-keys", key=False, env=env, command=["echo", "agent"])
    assert r.returncode == 0, text(r.stderr)
    assert r.stdout == b"agent\n"
    # and without the agent the same dial fails
    r = ssh.dial("--no-agent", "--no-default-keys", key=False, env=env, command=["true"])
    assert r.returncode == 255
    assert b"no keys to try" in r.stderr


def test_ssh_wrong_key_is_refused(ssh):
    other = keygen(ssh.sb.path("other_key"))
    r = ssh.dial("-i", other, "--no-default-keys", key=False, command=["true"])
    assert r.returncode == 255
    err = text(r.stderr)
    assert "ssh root@127.0.0.1 port %d: authentication: no key was accepted" % PORT in err
    assert 'identity file "%s": refused by the server' % other in err
    assert "authorized_keys" in err


def test_ssh_encrypted_key_without_agent_says_so(ssh):
    os.makedirs(os.path.join(ssh.home, ".ssh"), mode=0o700)
    keygen(os.path.join(ssh.home, ".ssh", "id_ed25519"), passphrase="secret words")
    r = ssh.dial(key=False, command=["true"])
    assert r.returncode == 255
    err = text(r.stderr)
    assert "~/.ssh/id_ed25519: encrypted with a passphrase" in err
    assert "ssh-add" in err


# ---- host keys ---------------------------------------------------------------------------

def test_ssh_unknown_host_is_refused_with_its_fingerprint(ssh):
    os.unlink(ssh.known_hosts)
    r = ssh.dial(command=["true"])
    assert r.returncode == 255
    err = text(r.stderr)
    assert 'host key check: the host "[127.0.0.1]:%d" is not known' % PORT in err
    assert fingerprint(ssh.host_key + ".pub") in err
    assert "ssh -p %d root@127.0.0.1" % PORT in err
    assert not os.path.exists(ssh.known_hosts)


def test_ssh_accept_new_remembers_the_host_as_openssh_does(ssh):
    os.unlink(ssh.known_hosts)
    r = ssh.dial("--accept-new", command=["true"])
    assert r.returncode == 0, text(r.stderr)
    assert "Permanently added" in text(r.stderr)
    # OpenSSH's own tools find the entry
    found = subprocess.run(["ssh-keygen", "-F", "[127.0.0.1]:%d" % PORT, "-f",
                            ssh.known_hosts], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    with open(ssh.host_key + ".pub") as f:
        assert f.read().split()[1] in found.stdout
    # and the next dial needs no accept-new
    r = ssh.dial(command=["true"])
    assert r.returncode == 0, text(r.stderr)


def test_ssh_hashed_known_hosts_entry_is_recognised(ssh):
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", ssh.known_hosts], check=True,
                   capture_output=True)
    with open(ssh.known_hosts) as f:
        assert f.read().startswith("|1|")
    r = ssh.dial(command=["true"])
    assert r.returncode == 0, text(r.stderr)


def test_ssh_changed_host_key_is_refused_even_with_accept_new(ssh):
    other = keygen(ssh.sb.path("other_host_key"))
    with open(other + ".pub") as f:
        kind, key = f.read().split()[:2]
    with open(ssh.known_hosts, "w") as f:
        f.write("# made by the test\n[127.0.0.1]:%d %s %s\n" % (PORT, kind, key))
    before = open(ssh.known_hosts).read()
    for extra in ([], ["--accept-new"]):
        r = ssh.dial(*extra, command=["true"])
        assert r.returncode == 255
        err = text(r.stderr)
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in err
        assert fingerprint(ssh.host_key + ".pub") in err
        assert "%s:2" % ssh.known_hosts in err
        assert 'ssh-keygen -f "%s" -R "[127.0.0.1]:%d"' % (ssh.known_hosts, PORT) in err
    assert open(ssh.known_hosts).read() == before


def test_ssh_default_port_and_a_plain_host_entry(sandbox):
    if not os.access(SSHD, os.X_OK) or not os.access(DIAL, os.X_OK):
        pytest.skip("openssh-server or berth-ssh-dial missing")
    srv = Server(sandbox, port=22)
    srv.trust()
    with open(srv.known_hosts) as f:
        assert f.read().startswith("127.0.0.1 ")
    srv.start()
    r = srv.dial(url="ssh://root@127.0.0.1", command=["echo", "port 22"])
    assert r.returncode == 0, text(r.stderr)
    assert r.stdout == b"port 22\n"


def test_ssh_connection_refused_names_the_stage(ssh):
    r = ssh.dial(url="ssh://root@127.0.0.1:2299", command=["true"])
    assert r.returncode == 255
    assert "ssh root@127.0.0.1 port 2299: connect: Connection refused" in text(r.stderr)


def test_ssh_bad_url_is_refused_like_the_docker_cli(ssh):
    r = ssh.dial(url="ssh://root:pw@127.0.0.1", command=["true"])
    assert r.returncode == 255
    assert "invalid SSH URL: plain-text password is not supported" in text(r.stderr)


# ---- the engine --------------------------------------------------------------------------

def test_ssh_dial_stdio_reaches_the_engine(ssh):
    if not os.access(harness.BERTHD, os.X_OK):
        pytest.skip("%s is not built" % harness.BERTHD)
    h = subprocess.run([harness.BERTHD, "dial-stdio", "--help"], capture_output=True, text=True,
                       timeout=10)
    if h.returncode != 0 or "dial-stdio" not in h.stdout + h.stderr:
        pytest.skip("berthd has no dial-stdio subcommand yet (`berthd dial-stdio --help` does "
                    "not describe it)")
    eng = harness.Engine(ssh.sb).start()
    req = b"GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n"
    r = ssh.dial(command=[harness.BERTHD, "dial-stdio", "-H", eng.host], input=req)
    assert r.returncode == 0, text(r.stderr)
    assert r.stdout.startswith(b"HTTP/1.1 200"), r.stdout[:200]
    assert r.stdout.endswith(b"OK")


# ---- copies over SFTP (berth machine scp) --------------------------------------------------

@pytest.fixture
def sftp(request, sandbox):
    for tool in (SSHD, shutil.which("ssh-keygen"), shutil.which("unshare")):
        if not tool or not os.access(tool, os.X_OK):
            pytest.skip("openssh-server, openssh-client and util-linux are needed "
                        "(installer/install-deps.sh)")
    if not os.access(DIAL, os.X_OK):
        pytest.skip("%s is not built (cmake --build build)" % DIAL)
    srv = Server(sandbox, extra_config=["Subsystem sftp internal-sftp"])
    srv.trust()
    srv.start()
    yield srv


def tree(root):
    """{relative path: (mode bits, content or None for a directory)} under root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.stat(p)
            if os.path.isdir(p):
                out[rel] = (st.st_mode & 0o777, None)
            else:
                with open(p, "rb") as f:
                    out[rel] = (st.st_mode & 0o777, f.read())
    return out


def test_sftp_copies_files_and_trees_with_scps_rules(sftp):
    src = sftp.sb.path("src")
    os.makedirs(os.path.join(src, "sub", "deeper"))
    with open(os.path.join(src, "a.txt"), "wb") as f:
        f.write(b"alpha\n")
    with open(os.path.join(src, "sub", "deeper", "big.bin"), "wb") as f:
        f.write(os.urandom(700 * 1024))
    os.chmod(os.path.join(src, "a.txt"), 0o640)
    os.symlink("a.txt", os.path.join(src, "link"))
    dst = sftp.sb.path("dst")
    os.makedirs(dst)
    # a file into an existing directory keeps its name; to a new path takes that name
    assert sftp.dial("--put", os.path.join(src, "a.txt"), dst).returncode == 0
    assert sftp.dial("--put", os.path.join(src, "a.txt"), dst + "/renamed").returncode == 0
    with open(os.path.join(dst, "a.txt"), "rb") as f:
        assert f.read() == b"alpha\n"
    assert os.stat(os.path.join(dst, "renamed")).st_mode & 0o777 == 0o640
    # a directory needs -r; with it, the whole tree arrives (links followed, as scp does)
    r = sftp.dial("--put", src, dst + "/tree")
    assert r.returncode == 1 and "not a regular file" in text(r.stderr)
    assert sftp.dial("-r", "--put", src, dst + "/tree").returncode == 0
    expected = tree(src)
    expected["link"] = expected["a.txt"]
    assert tree(dst + "/tree") == expected
    # into an existing directory: under its own name
    assert sftp.dial("-r", "--put", src, dst + "/tree").returncode == 0
    assert tree(dst + "/tree/src") == expected
    # and back again
    back = sftp.sb.path("back")
    assert sftp.dial("-r", "--get", dst + "/tree", back).returncode == 0
    got = tree(back)
    assert {k: v for k, v in got.items() if not k.startswith("src")} == expected
    assert sftp.dial("--get", dst + "/renamed", back + "/one").returncode == 0
    with open(back + "/one", "rb") as f:
        assert f.read() == b"alpha\n"


def test_sftp_missing_files_are_named(sftp):
    r = sftp.dial("--get", "/nonexistent/x", sftp.sb.path("x"))
    assert r.returncode == 1
    assert "scp: /nonexistent/x: No such file or directory" in text(r.stderr)
    r = sftp.dial("--put", sftp.sb.path("nope"), "/tmp")
    assert r.returncode == 1 and "nope: No such file or directory" in text(r.stderr)


def test_sftp_without_the_subsystem_says_so(ssh):
    r = ssh.dial("--put", "/etc/hostname", "/tmp/x")
    assert r.returncode == 1 and "SFTP" in text(r.stderr), text(r.stderr)
