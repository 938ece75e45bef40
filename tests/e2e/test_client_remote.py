# SPDX-License-Identifier: Apache-2.0
"""berth reaching an engine elsewhere: over SSH (a real OpenSSH server started here, running
`berthd dial-stdio` on the far side) and over TCP with TLS."""
import os
import shutil
import subprocess

import pytest

import harness
from test_ssh_transport import SSHD, Server


@pytest.fixture
def remote(request, sandbox, busybox_tar):
    """An engine, and sshd whose sessions find berthd on their PATH."""
    for tool in (SSHD, shutil.which("ssh-keygen"), shutil.which("unshare")):
        if not tool or not os.access(tool, os.X_OK):
            pytest.skip("openssh-server, openssh-client and util-linux are needed "
                        "(installer/install-deps.sh)")
    h = subprocess.run([harness.BERTHD, "dial-stdio", "--help"], capture_output=True, text=True)
    if h.returncode != 0 or "dial-stdio" not in h.stdout:
        pytest.skip("berthd has no dial-stdio subcommand")
    eng = harness.Engine(sandbox).start()
    assert eng.docker("import", busybox_tar, "busybox").returncode == 0
    path = "PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin" % harness.BIN_DIR
    srv = Server(sandbox, port=2222, extra_config=["SetEnv " + path])
    srv.trust()
    srv.start()
    ssh_home = os.path.join(srv.home, ".ssh")
    os.makedirs(ssh_home)
    shutil.copy(srv.client_key, os.path.join(ssh_home, "id_ed25519"))
    shutil.copy(srv.known_hosts, os.path.join(ssh_home, "known_hosts"))
    yield eng, srv


def berth_ssh(eng, srv, *args, input=None, url=None):
    env = srv.env(BERTH_CONFIG=eng.sb.path("berth-config"))
    env.pop("DOCKER_HOST", None)
    url = url or srv.url() + eng.sock
    return eng.sb.run([harness.BERTH, "-H", url] + list(args), env=env, input=input)


def test_berth_over_ssh_runs_containers(remote):
    eng, srv = remote
    r = berth_ssh(eng, srv, "run", "--rm", "busybox", "echo", "over ssh")
    assert r.returncode == 0, r.stderr + eng.log()
    assert r.stdout == "over ssh\n"
    r = berth_ssh(eng, srv, "run", "--rm", "-i", "busybox", "sh", "-c", "cat; exit 6",
                  input="through the channel\n")
    assert r.stdout == "through the channel\n" and r.returncode == 6
    r = berth_ssh(eng, srv, "run", "-d", "--name", "far", "busybox", "sleep", "60")
    assert r.returncode == 0, r.stderr
    assert berth_ssh(eng, srv, "ps", "--format", "{{.Names}}").stdout == "far\n"
    assert berth_ssh(eng, srv, "exec", "far", "echo", "exec").stdout == "exec\n"
    assert berth_ssh(eng, srv, "rm", "-f", "far").returncode == 0


def test_berth_over_ssh_says_what_went_wrong_far_away(remote):
    eng, srv = remote
    # no engine at that path: dial-stdio's own error comes back
    r = berth_ssh(eng, srv, "ps", url=srv.url() + "/nonexistent.sock")
    assert r.returncode == 1
    assert "/nonexistent.sock" in r.stderr, r.stderr
    # a host key nobody trusted
    os.remove(os.path.join(srv.home, ".ssh", "known_hosts"))
    r = berth_ssh(eng, srv, "ps")
    assert r.returncode == 1 and "127.0.0.1" in r.stderr and "known" in r.stderr, r.stderr
