# SPDX-License-Identifier: Apache-2.0
"""The remote-host fixture (remotehost.py) itself: a host reachable over real ssh with the
lab's key, isolated from this machine, and able to run berthd and a container."""
import os
import shutil
import time

import pytest

import harness
import remotehost
from remotehost import lab  # noqa: F401  (the fixture)


def processes_in(pidns):
    """PIDs of the processes whose PID namespace is pidns (a /proc/PID/ns/pid link text)."""
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink("/proc/%s/ns/pid" % p) == pidns:
                    found.append(int(p))
            except OSError:
                pass
    return found


def test_ssh_login_with_the_key(lab):
    h = lab.add_host("one")
    r = lab.ssh(h, "cat /etc/os-release; uname -m; echo pid1=$(cat /proc/1/comm)")
    assert r.returncode == 0, r.stderr
    assert "ID=debian" in r.stdout
    assert os.uname().machine in r.stdout
    # its own PID namespace: PID 1 is the fixture's init, not this machine's
    assert "pid1=berth-remote-i" in r.stdout
    # a password-less login without the key is refused (no other way in)
    r = lab.client(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                    "IdentitiesOnly=yes", "-o", "PubkeyAuthentication=no", "-o",
                    "UserKnownHostsFile=" + lab.known_hosts, "root@" + h.ip, "true"])
    assert r.returncode == 255
    assert "Permission denied" in r.stderr
    # the fixture's sshd_config, not this machine's
    r = h.run("sshd -T")
    assert r.returncode == 0, r.stderr
    for line in ("usepam no", "passwordauthentication no", "permitrootlogin without-password",
                 "listenaddress %s:22" % h.ip, "kbdinteractiveauthentication no"):
        assert line in r.stdout.splitlines()


def test_scp_upload(lab):
    h = lab.add_host("scp")
    src = os.path.join(lab.dir, "payload")
    with open(src, "w") as f:
        f.write("payload\n")
    r = lab.client(["scp", "-F", "/dev/null", "-i", h.key, "-o", "BatchMode=yes",
                    "-o", "UserKnownHostsFile=" + lab.known_hosts,
                    "-o", "StrictHostKeyChecking=accept-new",
                    src, "root@%s:/usr/local/bin/payload" % h.ip])
    assert r.returncode == 0, r.stderr
    with open(h.path("/usr/local/bin/payload")) as f:
        assert f.read() == "payload\n"


def test_writes_stay_in_the_overlay(lab):
    h = lab.add_host("w")
    name = "berth-remotehost-%d" % os.getpid()
    r = lab.ssh(h, "echo inside > /etc/%s && mkdir -p /usr/local/bin && "
                   "cp /bin/true /usr/local/bin/%s && dpkg-query -W openssh-server" % (name, name))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("openssh-server\t")
    assert not os.path.exists("/etc/" + name)
    assert not os.path.exists("/usr/local/bin/" + name)
    with open(os.path.join(h.upper, "etc", name)) as f:
        assert f.read() == "inside\n"
    assert h.run("test -x /usr/local/bin/%s" % name).returncode == 0
    # /var/lib/berth is the lab's directory, not the overlay (berthd mounts overlays there)
    assert h.run("touch /var/lib/berth/mark && stat -f -c %T /var/lib/berth").stdout.strip() \
        != "overlayfs"
    assert os.path.exists(os.path.join(h.data_dir, "mark"))
    # the host name is the host's own (its UTS namespace): setting it leaves this machine's
    mine = os.uname().nodename
    assert lab.ssh(h, "hostname").stdout == "w\n"
    assert lab.ssh(h, "hostname renamed && hostname").stdout == "renamed\n"
    assert os.uname().nodename == mine


INIT_SCRIPT = """#!/bin/sh
case "$1" in
start) start-stop-daemon --start --background --make-pidfile --pidfile /run/fake.pid \\
         --exec /bin/sleep -- 1000 ;;
stop) start-stop-daemon --stop --pidfile /run/fake.pid --remove-pidfile ;;
esac
"""


def test_sysv_service_outlives_the_session(lab):
    """A host without systemd: an init.d script started over ssh keeps running."""
    h = lab.add_host("sysv")
    r = lab.ssh(h, "test -d /run/systemd/system || echo no-systemd")
    assert r.stdout == "no-systemd\n"
    with open(h.path("/etc/init.d/fake"), "w") as f:
        f.write(INIT_SCRIPT)
    os.chmod(h.path("/etc/init.d/fake"), 0o755)
    r = lab.ssh(h, "service fake start")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists("/etc/init.d/fake")
    r = h.run("ps -o ppid=,args= -p $(cat /run/fake.pid)")
    assert r.stdout.split() == ["1", "/bin/sleep", "1000"]
    assert lab.ssh(h, "service fake stop").returncode == 0
    assert h.run("test -e /run/fake.pid").returncode != 0


def test_two_hosts_with_their_own_keys(lab):
    a = lab.add_host("a")
    b = lab.add_host("b")
    assert a.ip != b.ip
    ka, kb = lab.host_key_seen(a), lab.host_key_seen(b)
    assert ka == a.host_key() and kb == b.host_key()
    assert ka != kb
    for h in (a, b):
        r = lab.ssh(h, "hostname -I")
        assert r.returncode == 0, r.stderr
        assert h.ip in r.stdout.split()


def test_regenerated_host_key_is_seen(lab):
    h = lab.add_host("k")
    assert lab.ssh(h, "true").returncode == 0
    before = lab.host_key_seen(h)
    h.regenerate_host_key()
    after = lab.host_key_seen(h)
    assert after and after != before and after == h.host_key()
    # the known_hosts entry from the first login now makes ssh refuse the host
    r = lab.ssh(h, "true")
    assert r.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in r.stderr
    h.stop_sshd()
    r = lab.ssh(h, "true", known_hosts=os.path.join(lab.dir, "fresh_known_hosts"))
    assert r.returncode == 255
    assert "Connection refused" in r.stderr
    h.start_sshd()
    assert lab.ssh(h, "true", known_hosts=os.path.join(lab.dir, "fresh2")).returncode == 0


def test_cleanup_ends_daemons_and_leaves_nothing():
    why = remotehost.missing()
    if why:
        pytest.skip(why)
    lb = remotehost.Lab()
    try:
        h = lb.add_host("d")
        r = lb.ssh(h, "setsid sh -c 'sleep 1000 & sleep 1001 &' </dev/null >/dev/null 2>&1")
        assert r.returncode == 0, r.stderr
        pidns = os.readlink("/proc/%d/ns/pid" % h.pid1)
        assert len(processes_in(pidns)) >= 4  # init, sleep infinity, sshd, the two sleeps
        assert "sleep 1000" in h.run("ps -eo args").stdout
        # orphans are reaped by PID 1: no zombies pile up
        assert lb.ssh(h, "sh -c 'true & exit 0'").returncode == 0
        time.sleep(0.3)
        assert " Z" not in h.run("ps -eo pid,stat,args").stdout
    finally:
        lb.cleanup()
    assert processes_in(pidns) == []
    assert not os.path.exists(lb.dir)
    assert not harness.mounts_under(lb.dir)
    for ns in lb.netns_made:
        assert not os.path.exists("/run/netns/" + ns)


def _wait(h, cmd, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if h.run(cmd).returncode == 0:
            return True
        time.sleep(0.1)
    return False


def test_berthd_runs_a_container_inside(busybox_tar):
    """The critical property: a dev berthd installed in the host runs containers there."""
    why = remotehost.missing()
    if why:
        pytest.skip(why)
    for b in ("berthd", "berth-monitor", "berth-init"):
        if not os.access(os.path.join(harness.BIN_DIR, b), os.X_OK):
            pytest.skip("%s is not built" % b)
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    lb = remotehost.Lab()
    ids = []
    try:
        h = lb.add_host("e")
        r = h.run("mkdir -p /usr/local/bin && cd %s && cp berthd berth-monitor berth-init "
                  "/usr/local/bin/" % harness.BIN_DIR)
        assert r.returncode == 0, r.stderr
        shutil.copy(busybox_tar, h.path("/tmp/busybox.tar"))
        # TLS files in /etc/berth, as the generic driver installs them
        pki = harness.PKI(os.path.join(lb.dir, "pki"))
        cert, key = pki.issue("server", server=True, ips=[h.ip])
        os.makedirs(h.path("/etc/berth"))
        for src, dst in ((pki.ca, "ca.pem"), (cert, "server.pem"), (key, "server-key.pem")):
            shutil.copy(src, h.path("/etc/berth/" + dst))
        r = h.run("berthd --data-root /var/lib/berth -H unix:///run/berth.sock "
                  "-H tcp://0.0.0.0:2376 --tlsverify --tlscacert /etc/berth/ca.pem "
                  "--tlscert /etc/berth/server.pem --tlskey /etc/berth/server-key.pem "
                  "</dev/null >/var/log/berthd.log 2>&1 &")
        assert r.returncode == 0, r.stderr
        ok = _wait(h, "curl -sf --unix-socket /run/berth.sock http://berth/_ping")
        assert ok, h.run("cat /var/log/berthd.log").stdout
        docker = "docker -H unix:///run/berth.sock "
        r = h.run(docker + "import /tmp/busybox.tar busybox")
        assert r.returncode == 0, r.stderr
        r = h.run(docker + "run --name hi busybox echo hi")
        assert r.returncode == 0, r.stderr + h.run("cat /var/log/berthd.log").stdout
        assert r.stdout == "hi\n"
        r = h.run(docker + "run -d busybox sleep 1000")
        assert r.returncode == 0, r.stderr
        # and reachable from the client netns at the host's address
        env = dict(os.environ, DOCKER_CONFIG=os.path.join(lb.dir, "docker-config"),
                   DOCKER_HOST="tcp://%s:2376" % h.ip, DOCKER_TLS_VERIFY="1",
                   DOCKER_CERT_PATH=pki.client_dir("client"))
        r = lb.client([harness.docker_cli(), "ps", "-q"], env=env)
        assert r.returncode == 0, r.stderr
        assert len(r.stdout.split()) == 1
        ids = h.container_ids()
        assert len(ids) == 2
        pidns = os.readlink("/proc/%d/ns/pid" % h.pid1)
        assert any(os.path.isdir("/sys/fs/cgroup/memory/berth/" + i) for i in ids)
    finally:
        lb.cleanup()
    assert processes_in(pidns) == []
    for i in ids:
        for ctrl in os.listdir("/sys/fs/cgroup"):
            assert not os.path.exists(os.path.join("/sys/fs/cgroup", ctrl, "berth", i))
    assert not harness.mounts_under(lb.dir)
