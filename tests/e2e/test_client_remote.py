# SPDX-License-Identifier: Apache-2.0
"""berth reaching an engine elsewhere: over SSH (a real OpenSSH server started here, running
`berthd dial-stdio` on the far side) and over TCP with TLS."""
import os
import shutil
import subprocess

import pytest

import harness
from test_ssh_transport import SSHD, Server
from test_tls import PORT, TCP, client_flags, pki, tls  # noqa: F401 (fixtures)


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


# ---- over TCP with TLS: the engine of test_tls's `tls` fixture (berthd --tlsverify) ----

def berth_tls(tls, *args, flags=None, host=TCP, env=None, input=None):
    """berth against the TLS engine with flags before the command (the client's certificate by
    default); with DOCKER_HOST in env, no -H."""
    e = harness.clean_env(tls.sb)
    e["BERTH_CONFIG"] = tls.sb.path("berth-config")
    e.pop("BERTH_HOST", None)
    e.update(env or {})
    flags = client_flags(tls.pki.client) if flags is None else flags
    argv = [harness.BERTH] + flags + ([] if "DOCKER_HOST" in e else ["-H", host]) + list(args)
    return tls.sb.run(argv, env=e, input=input)


def test_berth_over_tls_runs_containers(tls):
    r = berth_tls(tls, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.stdout, r.stderr, r.returncode) == ("out\n", "err\n", 3)
    r = berth_tls(tls, "run", "--rm", "-i", "busybox", "sh", "-c", "wc -c; exit 4",
                  input="x" * 100000)
    assert (r.stdout.strip(), r.returncode) == ("100000", 4)
    assert berth_tls(tls, "run", "-d", "--name", "tls-far", "busybox", "sleep", "60"
                     ).returncode == 0
    try:
        r = berth_tls(tls, "ps", "--filter", "name=tls-far", "--format", "{{.Names}} {{.Image}}")
        assert r.stdout == "tls-far busybox\n"
        assert berth_tls(tls, "exec", "tls-far", "echo", "exec").stdout == "exec\n"
        # the same answers the docker CLI gets over the same TLS
        for args in (["ps", "-a"], ["images"], ["inspect", "-f", "{{.Name}}", "tls-far"]):
            # the two calls may straddle a second ("Less than a second ago", "1 second ago"):
            # ask again when they differ
            for attempt in range(3):
                b, d = berth_tls(tls, *args).stdout, tls.docker(*args).stdout
                if b == d:
                    break
            assert b == d, args
    finally:
        berth_tls(tls, "rm", "-f", "tls-far")


def test_berth_over_tls_tty_session(tls):
    argv = tls.sb.wrap([harness.BERTH] + client_flags(tls.pki.client) +
                       ["-H", TCP, "run", "--rm", "-it", "busybox", "sh"])
    env = harness.clean_env(tls.sb)
    env["BERTH_CONFIG"] = tls.sb.path("berth-config")
    seen, status = harness.drive(argv, env, [("# ", "tty; echo tls-$((6*7))\r"),
                                             ("tls-42", "exit 5\r")])
    assert "/dev/pts/0" in seen and "tls-42" in seen, seen
    assert status == 5


def test_berth_over_tls_from_docker_environment_and_context(tls):
    env = {"DOCKER_HOST": TCP, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": tls.pki.client}
    r = berth_tls(tls, "version", "--format", "{{.Server.APIVersion}}", flags=[], env=env)
    assert (r.returncode, r.stdout) == (0, "1.41\n"), r.stderr
    # a context keeps copies of the files; it works once they are gone from where they were
    cert_dir = tls.sb.path("ctx-certs")
    shutil.copytree(tls.pki.client, cert_dir)
    spec = "host=%s,ca=%s/ca.pem,cert=%s/cert.pem,key=%s/key.pem" % ((TCP,) + (cert_dir,) * 3)
    assert berth_tls(tls, "context", "create", "far-tls", "--docker", spec,
                     flags=[]).returncode == 0
    shutil.rmtree(cert_dir)
    e = harness.clean_env(tls.sb)
    e["BERTH_CONFIG"] = tls.sb.path("berth-config")
    r = tls.sb.run([harness.BERTH, "--context", "far-tls", "info", "--format", "{{.OSType}}"],
                   env=e)
    assert (r.returncode, r.stdout) == (0, "linux\n"), r.stderr
    r = tls.sb.run([harness.BERTH, "context", "inspect", "--format",
                    "{{json .TLSMaterial}} {{.Endpoints.docker.SkipTLSVerify}}", "far-tls"], env=e)
    assert r.stdout == '{"docker":["ca.pem","cert.pem","key.pem"]} false\n'


def test_berth_over_tls_refusals_in_the_docker_clis_words(tls):
    url = '"https://127.0.0.1:%d/v1.41/containers/json"' % PORT
    ca = tls.pki.ca.ca
    # no client certificate: the engine's alert, as Go's crypto/tls names it
    r = berth_tls(tls, "ps", flags=["--tlsverify", "--tlscacert", ca])
    assert r.returncode == 1
    assert r.stderr == "error during connect: Get %s: remote error: tls: certificate required\n" % url
    # a certificate that is no client certificate: the docker client's hint
    r = berth_tls(tls, "ps", flags=["--tlsverify", "--tlscacert", ca, "--tlscert",
                                    tls.pki.server_cert, "--tlskey", tls.pki.server_key])
    assert r.returncode == 1
    assert r.stderr.startswith("the server probably has client authentication (--tlsverify) "
                               "enabled; check your TLS client certification settings: Get "), r.stderr
    assert "remote error: tls: bad certificate" in r.stderr
    # an engine whose CA we do not trust
    r = berth_tls(tls, "ps", flags=client_flags(tls.pki.client, ca=tls.pki.other.ca))
    assert r.stderr == ("error during connect: Get %s: tls: failed to verify certificate: x509: "
                        "certificate signed by unknown authority\n" % url)
    # plain HTTP to the TLS port
    r = berth_tls(tls, "ps", flags=[])
    assert r.returncode == 1 and r.stderr.startswith("error during connect: Get \"http://"), r.stderr
    # the engine is still there for those who hold the right certificate
    assert berth_tls(tls, "version", "--format", "{{.Server.APIVersion}}").stdout == "1.41\n"


def test_berth_tls_files_in_the_docker_clis_words(tls):
    missing = tls.sb.path("nonexistent.pem")
    junk = tls.sb.path("junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    cert = os.path.join(tls.pki.client, "cert.pem")
    key = os.path.join(tls.pki.client, "key.pem")
    ca = tls.pki.ca.ca
    cases = [
        (["--tlscacert", missing, "--tlscert", cert, "--tlskey", key],
         "unable to resolve docker endpoint: open %s: no such file or directory" % missing),
        (["--tlscacert", junk, "--tlscert", cert, "--tlskey", key],
         "failed to retrieve context tls info: %s seems invalid" % junk),
        (["--tlscacert", ca, "--tlscert", junk, "--tlskey", key],
         "failed to retrieve context tls info: tls: failed to find any PEM data in certificate "
         "input"),
        (["--tlscacert", ca, "--tlscert", cert, "--tlskey", junk], "no valid private key found"),
        (["--tlscacert", ca, "--tlscert", cert, "--tlskey", tls.pki.server_key],
         "failed to retrieve context tls info: tls: private key does not match public key"),
    ]
    for flags, words in cases:
        r = berth_tls(tls, "ps", flags=["--tlsverify"] + flags)
        assert (r.returncode, r.stderr) == (1, "Failed to initialize: %s\n" % words), flags
        # the docker CLI says the same (but for naming the CA file it could not use)
        d = tls.engine.client(TCP, ["--tlsverify"] + flags)("ps")
        assert d.returncode == 1
        assert d.stderr.replace(" ca.pem seems", " %s seems" % junk) == r.stderr, flags
