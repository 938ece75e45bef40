# SPDX-License-Identifier: Apache-2.0
"""`berth machine create --driver generic`: Berth takes over an existing Linux host over SSH.

The hosts are remotehost.py's: network, mount, PID and UTS namespaces with a real OpenSSH
server, an overlay of this machine's root (so Debian 12 with Berth's runtime packages
installed, and no systemd running: the init-script path), reached from the lab's client netns
where every berth, docker and curl command of these tests runs. HOME, BERTH_CONFIG and
DOCKER_CONFIG point into the lab: nothing of this machine's ~/.berth or ~/.ssh is touched.
"""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

import harness
from remotehost import lab  # noqa: F401  (the fixture)

BERTH = os.path.join(harness.BIN_DIR, "berth")


class Client:
    """berth and docker in the lab's client netns, with the lab's own config directories."""

    def __init__(self, lab):
        self.lab = lab
        self.home = os.path.join(lab.dir, "home")
        os.makedirs(os.path.join(self.home, ".ssh"), mode=0o700, exist_ok=True)
        self.config = os.path.join(lab.dir, "berth")
        self.env = dict(os.environ, HOME=self.home, BERTH_CONFIG=self.config,
                        DOCKER_CONFIG=os.path.join(lab.dir, "docker-config"))
        for k in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "SSH_AUTH_SOCK",
                  "DOCKER_MACHINE_NAME"):
            self.env.pop(k, None)
        self.envs = {}

    def berth(self, *args, env=None, timeout=120):
        return self.lab.client([BERTH] + list(args), env=env or self.env, timeout=timeout)

    def machine(self, *args, **kw):
        return self.berth("machine", *args, **kw)

    def create(self, host, name, *extra):
        return self.machine("create", "--driver", "generic", "--generic-ip-address", host.ip,
                            "--generic-ssh-key", host.key, *extra, name, timeout=180)

    def machine_env(self, name):
        """The environment `berth machine env NAME` prints, applied."""
        r = self.machine("env", name)
        assert r.returncode == 0, r.stderr
        env = dict(self.env)
        for line in r.stdout.splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                env[k] = v.strip('"')
        return env

    def docker(self, name, *args, input=None):
        """docker with the environment `machine env` printed while the machine ran (env
        refuses a stopped machine, as docker-machine's does)."""
        if name not in self.envs:
            self.envs[name] = self.machine_env(name)
        return self.lab.client(["docker"] + list(args), env=self.envs[name], input=input,
                               timeout=120)


def ok(r):
    assert r.returncode == 0, "exit %d\nstdout: %s\nstderr: %s" % (r.returncode, r.stdout,
                                                                     r.stderr)
    return r.stdout


def ls_row(cli, name):
    out = ok(cli.machine("ls", "--format", "{{.Name}} {{.DriverName}} {{.State}} {{.URL}} "
                         "{{.Error}}"))
    rows = [line.rstrip() for line in out.splitlines() if line.split()[0] == name]
    assert len(rows) == 1, out
    return rows[0]


def import_busybox(cli, name, tar):
    with open(tar, "rb") as f:
        data = f.read()
    r = subprocess.run(cli.lab.wrap(["docker", "import", "-", "busybox"]), input=data,
                       env=cli.machine_env(name), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_create_and_every_verb(lab, busybox_tar):  # noqa: F811
    h = lab.add_host("rh1")
    cli = Client(lab)
    out = ok(cli.create(h, "rh1"))
    for step in ("Waiting for SSH to be available...", "Provisioning with Debian GNU/Linux 12",
                 "Copying certs to the remote machine...", "Docker is up and running!"):
        assert step in out
    # what it installed on the host: programs, TLS (key readable by root alone), the service
    assert h.run("test -x /usr/local/bin/berthd && test -x /usr/local/bin/berth-monitor && "
                 "test -x /usr/local/bin/berth-init").returncode == 0
    assert ok(h.run("stat -c %a /etc/berth/tls/server-key.pem")).strip() == "600"
    init = open(h.path("/etc/init.d/berthd")).read()
    assert "--tlsverify" in init and "tcp://0.0.0.0:2376" in init
    assert open(h.path("/etc/berth/machine")).read().startswith(
        "berth machine rh1, driver generic, ca ")

    assert ls_row(cli, "rh1") == "rh1 generic Running tcp://%s:2376" % h.ip
    assert ok(cli.machine("status", "rh1")).strip() == "Running"
    assert ok(cli.machine("ip", "rh1")).strip() == h.ip
    assert ok(cli.machine("url", "rh1")).strip() == "tcp://%s:2376" % h.ip
    env = cli.machine_env("rh1")
    assert env["DOCKER_HOST"] == "tcp://%s:2376" % h.ip and env["DOCKER_TLS_VERIFY"] == "1"
    inspect = json.loads(ok(cli.machine("inspect", "rh1")))
    assert inspect["DriverName"] == "generic"

    # the real docker CLI over mutual TLS, and berth's own CLI with the same environment
    import_busybox(cli, "rh1", busybox_tar)
    assert ok(cli.docker("rh1", "run", "--rm", "busybox", "echo", "hi")) == "hi\n"
    ok(cli.docker("rh1", "run", "-d", "--name", "keep", "busybox", "sleep", "1000"))
    started = ok(cli.docker("rh1", "inspect", "-f", "{{.State.StartedAt}}", "keep")).strip()
    assert "keep" in ok(cli.berth("ps", env=cli.machine_env("rh1")))

    # ssh and scp, with the machine's copy of the key
    assert ok(cli.machine("ssh", "rh1", "cat", "/etc/hostname", "&&", "uname", "-m")).split()[
        -1] == os.uname().machine
    src = os.path.join(lab.dir, "note.txt")
    with open(src, "w") as f:
        f.write("from the client\n")
    ok(cli.machine("scp", src, "rh1:/root/note.txt"))
    assert open(h.path("/root/note.txt")).read() == "from the client\n"
    back = os.path.join(lab.dir, "back.txt")
    ok(cli.machine("scp", "rh1:/root/note.txt", back))
    assert open(back).read() == "from the client\n"

    # stop and start the service: the container kept running under its monitor
    ok(cli.machine("stop", "rh1"))
    assert ok(cli.machine("status", "rh1")).strip() == "Stopped"
    assert cli.docker("rh1", "ps").returncode != 0
    assert "already stopped" in ok(cli.machine("stop", "rh1"))
    ok(cli.machine("start", "rh1"))
    assert ok(cli.docker("rh1", "inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}",
                         "keep")).strip() == "true " + started

    # kill: berthd gone at once (the container still runs); restart brings it back
    ok(cli.machine("kill", "rh1"))
    assert ok(cli.machine("status", "rh1")).strip() == "Stopped"
    assert h.run("pgrep -f '^sleep 1000'").returncode == 0
    ok(cli.machine("restart", "rh1"))
    assert ok(cli.machine("status", "rh1")).strip() == "Running"
    assert "already running" in ok(cli.machine("start", "rh1"))

    # regenerate-certs: a new server certificate in use, containers untouched
    cert = open(os.path.join(cli.config, "machines", "rh1", "server.pem")).read()
    ok(cli.machine("regenerate-certs", "-f", "rh1"))
    assert open(os.path.join(cli.config, "machines", "rh1", "server.pem")).read() != cert
    assert open(h.path("/etc/berth/tls/server.pem")).read() != cert
    assert "keep" in ok(cli.docker("rh1", "ps"))

    # upgrade: a berthd on the host that is not this build's is replaced; the engine restarts,
    # the container keeps running
    ok(h.run("cp /usr/local/bin/berthd /tmp/b && echo >>/tmp/b && "
             "mv /tmp/b /usr/local/bin/berthd"))
    out = ok(cli.machine("upgrade", "rh1"))
    assert "Restarting the engine" in out
    with open(os.path.join(harness.BIN_DIR, "berthd"), "rb") as f:
        assert open(h.path("/usr/local/bin/berthd"), "rb").read() == f.read()
    assert ok(cli.docker("rh1", "inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}",
                         "keep")).strip() == "true " + started

    # rm: the service and Berth's programs go, the data stays (no --purge), nothing else
    before = set(os.listdir(h.path("/usr/local/bin")))
    ok(cli.machine("rm", "-y", "rh1"))
    assert not os.path.exists(h.path("/etc/init.d/berthd"))
    assert before - set(os.listdir(h.path("/usr/local/bin"))) == {"berthd", "berth-monitor",
                                                                   "berth-init"}
    assert os.path.isdir(os.path.join(h.data_dir, "containers"))
    # its containers went with the engine
    assert h.run("pgrep -f '^sleep 1000'").returncode == 1
    assert not os.path.exists(os.path.join(cli.config, "machines", "rh1"))


def test_tls_needs_the_machines_certificates(lab):  # noqa: F811
    """The engine answers only clients with a certificate of the machine's CA."""
    h = lab.add_host("tls")
    cli = Client(lab)
    ok(cli.create(h, "tls"))
    d = os.path.join(cli.config, "machines", "tls")
    url = "https://%s:2376/_ping" % h.ip
    r = lab.client(["curl", "-sS", "--cacert", d + "/ca.pem", "--cert", d + "/cert.pem", "--key",
                    d + "/key.pem", url])
    assert ok(r) == "OK"
    # no client certificate: the handshake fails
    r = lab.client(["curl", "-sS", "--cacert", d + "/ca.pem", url])
    assert r.returncode != 0 and r.stdout != "OK"
    # a certificate of another CA: refused too
    other = harness.PKI(os.path.join(lab.dir, "other-ca"))
    cert, key = other.issue("intruder")
    r = lab.client(["curl", "-sS", "--cacert", d + "/ca.pem", "--cert", cert, "--key", key, url])
    assert r.returncode != 0 and r.stdout != "OK"
    # another machine (another name, or another client's CA) on the same host: refused, the
    # first keeps working
    r = cli.create(h, "tls2")
    assert r.returncode != 0
    assert "the host is already a Berth machine of another name or client" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(cli.config, "machines", "tls2"))
    r = lab.client(["curl", "-sS", "--cacert", d + "/ca.pem", "--cert", d + "/cert.pem", "--key",
                    d + "/key.pem", url])
    assert ok(r) == "OK"
    # and plain HTTP is not served
    r = lab.client(["curl", "-sS", "http://%s:2376/_ping" % h.ip])
    assert r.stdout != "OK"
    # `berth -H ssh://` works without TLS: berthd dial-stdio on the host, as docker's ssh://
    shutil.copy(h.key, os.path.join(cli.home, ".ssh", "id_ed25519"))
    os.chmod(os.path.join(cli.home, ".ssh", "id_ed25519"), 0o600)
    with open(os.path.join(cli.home, ".ssh", "known_hosts"), "w") as f:
        f.write("%s %s\n" % (h.ip, h.host_key()))
    r = cli.berth("-H", "ssh://root@%s" % h.ip, "version", "--format", "{{.Server.Os}}")
    assert ok(r).strip() == "linux"
    # (the docker CLI's ssh:// runs OpenSSH's ssh, which reads the account's ~/.ssh whatever
    # HOME says: not run here, it would touch this machine's /root/.ssh)
    ok(cli.machine("rm", "-y", "tls"))


def test_changed_host_key_is_refused(lab):  # noqa: F811
    h = lab.add_host("hk")
    cli = Client(lab)
    ok(cli.create(h, "hk"))
    h.regenerate_host_key()
    r = cli.machine("ssh", "hk", "true")
    assert r.returncode != 0
    assert "host key" in r.stderr.lower() and "changed" in r.stderr.lower(), r.stderr
    row = ls_row(cli, "hk")
    assert row.split()[2] == "Error", row
    r = cli.machine("stop", "hk")
    assert r.returncode != 0 and "changed" in r.stderr.lower()
    # nothing was done on the host: berthd still runs there
    assert h.run("test -e /run/berth.pid && kill -0 $(cat /run/berth.pid)").returncode == 0


def test_interrupted_create_resumes(lab):  # noqa: F811
    h = lab.add_host("ir")
    cli = Client(lab)
    # the host refuses the install half-way: /usr/local/bin is read-only
    ok(h.run("mount --bind /usr/local/bin /usr/local/bin && "
             "mount -o remount,ro,bind /usr/local/bin"))
    r = cli.create(h, "ir")
    assert r.returncode != 0
    assert "Error creating machine: install berthd:" in r.stderr, r.stderr
    assert "Read-only file system" in r.stderr
    assert "run the same `berth machine create` again to finish" in r.stderr
    assert os.path.isdir(os.path.join(cli.config, "machines", "ir"))
    assert ls_row(cli, "ir").split()[2] in ("Error", "Stopped")
    ok(h.run("umount /usr/local/bin"))
    # a second create finishes the job
    out = ok(cli.create(h, "ir"))
    assert 'Resuming the provisioning of "ir"' in out
    assert ok(cli.machine("status", "ir")).strip() == "Running"
    # a third is refused: the machine exists and is complete
    r = cli.create(h, "ir")
    assert r.returncode != 0 and 'Berth machine "ir" already exists' in r.stderr
    ok(cli.machine("rm", "-y", "ir"))


def test_dockerd_left_alone_unless_forced_and_purge(lab):  # noqa: F811
    h = lab.add_host("dk")
    cli = Client(lab)
    ok(h.run("cp /bin/sleep /tmp/dockerd && (setsid /tmp/dockerd 1000 </dev/null >/dev/null "
             "2>&1 &)"))
    r = cli.create(h, "dk")
    assert r.returncode != 0
    assert "the host runs Docker's dockerd (pid " in r.stderr, r.stderr
    assert "--force" in r.stderr
    # nothing half-made: no record, nothing on the host
    assert not os.path.exists(os.path.join(cli.config, "machines", "dk"))
    assert not os.path.exists(h.path("/usr/local/bin/berthd"))
    assert not os.path.exists(h.path("/root/.berth-staging"))
    # with --force Berth installs beside it, and later verbs remember the choice
    ok(cli.create(h, "dk", "--force"))
    ok(cli.machine("upgrade", "dk"))
    assert ok(cli.docker("dk", "volume", "create", "v1")).strip() == "v1"
    assert os.path.isdir(os.path.join(h.data_dir, "volumes", "v1"))
    # rm --purge: Berth's data on the host goes too, dockerd stays
    ok(cli.machine("rm", "-y", "--purge", "dk"))
    assert os.listdir(h.data_dir) == []
    assert not os.path.exists(h.path("/etc/berth"))
    assert h.run("pgrep -x dockerd").returncode == 0


def test_two_hosts_at_once(lab):  # noqa: F811
    hosts = [lab.add_host("a%d" % i) for i in (1, 2)]
    cli = Client(lab)
    results = {}

    def create(h):
        results[h.name] = cli.create(h, h.name)

    threads = [threading.Thread(target=create, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for h in hosts:
        ok(results[h.name])
        assert ls_row(cli, h.name) == "%s generic Running tcp://%s:2376" % (h.name, h.ip)
        ok(cli.docker(h.name, "volume", "create", "only-on-" + h.name))
    for h in hosts:
        r = cli.docker(h.name, "volume", "ls", "-q")
        assert r.returncode == 0, r.stderr + h.run("tail -n 20 /var/log/berthd.log; ps -ef").stdout
        vols = r.stdout.split()
        assert vols == ["only-on-" + h.name], vols
    for h in hosts:
        ok(cli.machine("rm", "-y", h.name))


def test_bad_input(lab):  # noqa: F811
    cli = Client(lab)
    r = cli.machine("create", "--driver", "generic", "nohost")
    assert r.returncode != 0
    assert "generic driver requires the --generic-ip-address option" in r.stderr
    r = cli.machine("create", "--driver", "generic", "--generic-ip-address", "10.231.77.2",
                    "--generic-ssh-key", "/nonexistent", "nokey")
    assert r.returncode != 0 and 'SSH key does not exist: "/nonexistent"' in r.stderr
    for bad in ("1.2.3.4,IP:9.9.9.9", "host;reboot", "::1", "a..b"):
        r = cli.machine("create", "--driver", "generic", "--generic-ip-address", bad, "badip")
        assert r.returncode != 0
        assert ('invalid --generic-ip-address "%s": want an IPv4 address or a DNS name' % bad
                in r.stderr), r.stderr
    # a host nobody answers at: a clear error, no record left
    h = lab.add_host("down")
    h.stop_sshd()
    r = cli.create(h, "down")
    assert r.returncode != 0
    assert "Error creating machine: detect the host" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(cli.config, "machines", "down"))


def test_missing_package_goes_through_apt(lab):  # noqa: F811
    """A runtime package the host lacks is installed with apt-get; here apt cannot reach a
    mirror (the host has no way out), so the create stops there, in apt's words, and resumes
    once the package is there."""
    h = lab.add_host("apt")
    cli = Client(lab)
    # no resolver and no retries on the host: apt fails at once instead of waiting for a
    # network it cannot have
    ok(h.run("rm -f /etc/resolv.conf && : >/etc/resolv.conf && printf '%s\\n' "
             "'Acquire::Retries \"0\";' 'Acquire::http::Timeout \"2\";' "
             ">/etc/apt/apt.conf.d/99berth-test"))
    # diffutils as "removed, config files left" in the host's dpkg database (overlay only)
    ok(h.run("sed -i '/^Package: diffutils$/,/^$/ s/^Status: install ok installed$/"
             "Status: deinstall ok config-files/' /var/lib/dpkg/status && "
             "dpkg-query -W -f='${db:Status-Abbrev}' diffutils"))
    r = cli.create(h, "apt")
    assert r.returncode != 0
    assert "(apt) Installing 'diffutils'..." in r.stdout, r.stdout
    assert "Error creating machine: install berthd's dependencies with apt-get: " in r.stderr, \
        r.stderr
    assert not os.path.exists(h.path("/usr/local/bin/berthd"))
    ok(h.run("sed -i '/^Package: diffutils$/,/^$/ s/^Status: deinstall ok config-files$/"
             "Status: install ok installed/' /var/lib/dpkg/status"))
    out = ok(cli.create(h, "apt"))
    assert "Installing" not in out
    assert ok(cli.machine("status", "apt")).strip() == "Running"
    ok(cli.machine("rm", "-y", "apt"))


def add_user(h, name, sudo):
    """A user of the host who logs in with the lab's key; sudo without a password or none."""
    ok(h.run("useradd -m -s /bin/sh {n} && usermod -p '*' {n} && "
             "mkdir -m 700 /home/{n}/.ssh && cp /root/.ssh/authorized_keys /home/{n}/.ssh/ && "
             "chown -R {n}: /home/{n}/.ssh".format(n=name)))
    if sudo:
        ok(h.run("echo '%s ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/%s && chmod 440 "
                 "/etc/sudoers.d/%s" % (name, name, name)))


def test_a_user_with_sudo(lab):  # noqa: F811
    if not os.path.exists("/usr/bin/sudo"):
        pytest.skip("sudo is not installed (installer/install-deps.sh)")
    h = lab.add_host("su")
    cli = Client(lab)
    # sudo looks its host's name up: as on a real host, /etc/hosts has it (else each sudo
    # waits for DNS servers this host cannot reach)
    ok(h.run("echo '127.0.1.1 %s' >>/etc/hosts" % h.name))
    add_user(h, "deploy", sudo=True)
    add_user(h, "guest", sudo=False)
    # no sudo rights: refused before anything changes
    r = cli.create(h, "nosudo", "--generic-ssh-user", "guest")
    assert r.returncode != 0
    assert 'the SSH user "guest" is not root and sudo asks for a password' in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(cli.config, "machines", "nosudo"))
    assert not os.path.exists(h.path("/home/guest/.berth-staging"))
    # with sudo: provisioned through `sudo -n`, files staged in the user's home
    ok(cli.create(h, "su", "--generic-ssh-user", "deploy"))
    assert ok(h.run("stat -c %U /usr/local/bin/berthd /etc/berth/tls/server-key.pem")).split() \
        == ["root", "root"]
    assert not os.path.exists(h.path("/home/deploy/.berth-staging"))
    assert ok(cli.docker("su", "version", "--format", "{{.Server.Os}}")).strip() == "linux"
    assert ok(cli.machine("ssh", "su", "id", "-un")).strip() == "deploy"
    ok(cli.machine("stop", "su"))
    ok(cli.machine("start", "su"))
    ok(cli.machine("rm", "-y", "--purge", "su"))
    assert not os.path.exists(h.path("/usr/local/bin/berthd"))


def test_ls_bounds_an_unreachable_host(lab):  # noqa: F811
    """A host that drops SSH packets costs `ls` its --timeout, not the dial's 30 s."""
    h = lab.add_host("gone")
    cli = Client(lab)
    ok(cli.create(h, "gone"))
    ok(h.run("nft add table inet berthtest && nft add chain inet berthtest input "
             "'{ type filter hook input priority 0; }' && "
             "nft add rule inet berthtest input tcp dport 22 drop"))
    t = time.monotonic()
    r = cli.machine("ls", "--timeout", "2", "--format", "{{.Name}} {{.State}} {{.Error}}")
    elapsed = time.monotonic() - t
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("gone Error "), r.stdout
    assert elapsed < 8, elapsed
    ok(h.run("nft delete table inet berthtest"))
    ok(cli.machine("rm", "-y", "gone"))
