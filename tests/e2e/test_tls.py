# SPDX-License-Identifier: Apache-2.0
"""berthd's tcp:// listener with TLS and client certificates, driven by the real docker CLI as
against dockerd: --tlsverify --tlscacert --tlscert --tlskey, or DOCKER_HOST, DOCKER_TLS_VERIFY
and DOCKER_CERT_PATH. Every interactive path (piped stdin and its end, a terminal, exec, logs,
wait, attach and detach keys) works as over the unix socket; clients without the right
certificate are refused with the docker CLI's own errors and the engine goes on; bad flags and
files are reported in dockerd's words."""
import json
import os
import pty
import re
import signal
import ssl
import subprocess
import time
import types

import pytest

import harness
from harness import drive

PORT = 2376  # each engine has a network namespace of its own
TCP = "tcp://127.0.0.1:%d" % PORT


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Berth's test CA with a server certificate for 127.0.0.1 and a client certificate, and
    another CA with a client certificate of its own."""
    if not harness.openssl_cli():
        pytest.skip("the openssl CLI is not installed (installer/packages/test.txt)")
    d = str(tmp_path_factory.mktemp("pki"))
    ca = harness.PKI(os.path.join(d, "ca"))
    other = harness.PKI(os.path.join(d, "other"), "Another CA")
    cert, key = ca.issue("server", server=True)
    return types.SimpleNamespace(ca=ca, other=other, server_cert=cert, server_key=key,
                                 client=ca.client_dir("client"),
                                 intruder=other.client_dir("intruder"))


def server_flags(pki, verify="--tlsverify"):
    return [verify, "--tlscacert", pki.ca.ca, "--tlscert", pki.server_cert, "--tlskey",
            pki.server_key]


def client_flags(cert_dir, ca=None):
    return ["--tlsverify", "--tlscacert", ca or os.path.join(cert_dir, "ca.pem"), "--tlscert",
            os.path.join(cert_dir, "cert.pem"), "--tlskey", os.path.join(cert_dir, "key.pem")]


def need_engine_prerequisites():
    for b in (harness.BERTH, harness.BERTHD):
        if not os.access(b, os.X_OK):
            pytest.skip("%s is not built (cmake --build build)" % b)
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")


@pytest.fixture(scope="module")
def tls(request, pki, busybox_tar):
    """One berthd for the module on its unix socket and on tcp://127.0.0.1:2376 with
    --tlsverify; the busybox image is imported through TLS."""
    need_engine_prerequisites()
    sb = harness.Sandbox("tls")
    try:
        eng = harness.Engine(sb, ["-H", TCP] + server_flags(pki)).start()
        docker = eng.client(TCP, client_flags(pki.client))
        r = docker("import", busybox_tar, "busybox")
        assert r.returncode == 0, r.stderr + eng.log()
        yield types.SimpleNamespace(engine=eng, docker=docker, sb=sb, pki=pki)
    finally:
        sb.cleanup()


def tty_argv(tls, docker, *args):
    return tls.sb.wrap(docker.argv(*args))


def serving(tls):
    """The engine still answers over TLS."""
    r = tls.docker("version", "--format", "{{.Server.APIVersion}}")
    return r.returncode == 0 and r.stdout.strip() == "1.41"


def tls_handshake(tls, cert=None, key=None, cafile=None, max_version=None):
    """A handshake by Python's ssl (OpenSSL), which, unlike the docker CLI, presents its
    certificate whatever CAs the server names. Runs in the engine's network namespace; returns
    the first line of the answer to GET /_ping, or the error."""
    code = ("import socket, ssl, sys\n"
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
            "ctx.load_verify_locations(%r)\n" % (cafile or tls.pki.ca.ca) +
            ("ctx.load_cert_chain(%r, %r)\n" % (cert, key) if cert else "") +
            ("ctx.maximum_version = ssl.TLSVersion.%s\n" % max_version.name
             if max_version else "") +
            "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', %d), timeout=10),\n"
            "                    server_hostname='127.0.0.1')\n"
            "s.sendall(b'GET /_ping HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "print(s.recv(100).split(b'\\r\\n')[0].decode())\n" % PORT)
    r = tls.sb.run(["/usr/bin/python3", "-c", code], timeout=30)
    return r.stdout.strip() if r.returncode == 0 else r.stderr.strip().splitlines()[-1]


# ---- the docker CLI over TLS ----

def test_version_and_info_with_tls_flags(tls):
    r = tls.docker("version")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Server: Berth Engine$", r.stdout, re.M)
    assert re.search(r"API version:\s+1\.41", r.stdout)
    r = tls.docker("info", "--format", "{{.Images}}")
    assert r.returncode == 0 and r.stdout.strip() == "1", r.stderr


def test_docker_host_tls_verify_and_cert_path_environment(tls):
    docker = tls.engine.client(None, env={"DOCKER_HOST": TCP, "DOCKER_TLS_VERIFY": "1",
                                          "DOCKER_CERT_PATH": tls.pki.client})
    r = docker("run", "--rm", "busybox", "echo", "through the environment")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "through the environment\n"


def test_unix_socket_of_the_same_engine_has_no_tls(tls):
    r = tls.engine.docker("images", "--format", "{{.Repository}}")
    assert r.returncode == 0 and r.stdout.split() == ["busybox"], r.stderr


def test_run_separates_output_and_keeps_the_status(tls):
    r = tls.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")


def test_run_i_with_piped_stdin_sees_its_end(tls):
    # the CLI's end of stdin is a TLS close_notify; the container must read EOF from it
    r = tls.docker("run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo end",
                   input="line one\nline two\n", timeout=60)
    assert (r.returncode, r.stdout) == (0, "line one\nline two\nend\n"), r.stderr


@pytest.mark.parametrize("transport", ["tls", "unix"])
def test_run_i_carries_binary_stdin_intact(tls, transport):
    # random bytes hold ctrl-p ctrl-q pairs (0x10 0x11): without a terminal they are data
    data = os.urandom(1 << 20) + b"\x10\x11" * 8 + os.urandom(4096)
    docker = tls.docker if transport == "tls" else tls.engine.docker
    r = docker("run", "--rm", "-i", "busybox", "cat", input=data, raw=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == len(data) and r.stdout == data


def test_tty_session(tls):
    shown, status = drive(tty_argv(tls, tls.docker, "run", "-it", "--rm", "busybox", "sh"),
                          tls.docker.env(), [
                              ("# ", "tty; echo $TERM\r"),
                              ("xterm", "echo hello from the tty; exit 3\r"),
                          ])
    assert "/dev/pts/0" in shown
    assert "hello from the tty" in shown
    assert status == 3, shown


def test_exec_it_session(tls):
    d = tls.docker
    d("run", "-d", "--name", "tls-exec", "busybox", "sleep", "300")
    try:
        shown, status = drive(tty_argv(tls, d, "exec", "-it", "tls-exec", "sh"), d.env(), [
            ("# ", "tty; ps | grep -c 'sleep 300'\r"),
            ("# ", "exit 4\r"),
        ])
        assert re.search(r"/dev/pts/\d+", shown)
        assert status == 4, shown
    finally:
        d("rm", "-f", "tls-exec")


def test_exec_with_piped_stdin(tls):
    d = tls.docker
    d("run", "-d", "--name", "tls-exec-i", "busybox", "sleep", "300")
    try:
        r = d("exec", "-i", "tls-exec-i", "sh", "-c", "wc -l; exit 5", input="a\nb\nc\n")
        assert (r.returncode, r.stdout.strip()) == (5, "3"), r.stderr
    finally:
        d("rm", "-f", "tls-exec-i")


def test_logs_follow_and_wait(tls):
    d = tls.docker
    d("run", "-d", "--name", "tls-logs", "busybox", "sh", "-c",
      "echo one; sleep 1; echo two; exit 7")
    try:
        r = d("logs", "-f", "tls-logs", timeout=30)
        assert (r.returncode, r.stdout) == (0, "one\ntwo\n"), r.stderr
        r = d("wait", "tls-logs", timeout=30)
        assert r.stdout.strip() == "7", r.stderr
    finally:
        d("rm", "-f", "tls-logs")


def attach_and_detach(tls, docker, name):
    return drive(tty_argv(tls, docker, "attach", name), docker.env(), [
        ("", "\r"),
        ("# ", "echo attached\r"),
        ("attached", "\x10\x11"),
    ])


def test_attach_and_detach_keys_as_over_the_unix_socket(tls):
    d = tls.docker
    d("run", "-dit", "--name", "tls-attach", "busybox", "sh")
    try:
        shown, status = attach_and_detach(tls, d, "tls-attach")
        assert "attached" in shown, shown
        assert d("inspect", "-f", "{{.State.Running}}", "tls-attach").stdout.strip() == "true"
        # the same session over the unix socket ends the same way
        unix = tls.engine.client(tls.engine.host)
        shown_unix, status_unix = attach_and_detach(tls, unix, "tls-attach")
        assert "attached" in shown_unix, shown_unix
        assert status == status_unix
        assert d("inspect", "-f", "{{.State.Running}}", "tls-attach").stdout.strip() == "true"
    finally:
        d("rm", "-f", "tls-attach")


def connections(tls):
    """The engine's TCP connections on the TLS port, open or closed by the client only (a
    connection the client closed and the engine holds on to stays in CLOSE-WAIT)."""
    r = tls.sb.run(["ss", "-Htn", "state", "established", "state", "close-wait",
                    "( sport = :%d )" % PORT])
    return len(r.stdout.splitlines())


def test_a_killed_client_lets_go_of_its_attach(tls):
    d = tls.docker
    d("run", "-dit", "--name", "tls-killed", "busybox", "sh")
    try:
        # on a terminal of its own (attaching to a TTY container needs one)
        master, slave = pty.openpty()
        p = subprocess.Popen(tty_argv(tls, d, "attach", "tls-killed"), env=d.env(),
                             stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        deadline = time.time() + 10
        while connections(tls) < 2 and time.time() < deadline:  # inspect, attach, wait
            time.sleep(0.05)
        assert connections(tls) >= 2
        time.sleep(0.5)
        # killed: its TCP connection ends without a close_notify, and nothing is being written
        # to it (an idle shell), so only the end of the stream says it is gone
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.close(master)
        deadline = time.time() + 10
        while connections(tls) and time.time() < deadline:
            time.sleep(0.05)
        assert connections(tls) == 0
        assert d("inspect", "-f", "{{.State.Running}}", "tls-killed").stdout.strip() == "true"
    finally:
        d("rm", "-f", "tls-killed")


# ---- clients that are refused ----

def test_client_certificate_from_another_ca_is_refused(tls):
    # the docker CLI presents no certificate the server's CA list does not name: refused as
    # having none, with the alert dockerd sends (Go's crypto/tls)
    r = tls.engine.client(TCP, client_flags(tls.pki.intruder, ca=tls.pki.ca.ca))("version")
    assert r.returncode != 0
    assert "remote error: tls: certificate required" in r.stderr, r.stderr
    # a client that does present it gets unknown_ca, under TLS 1.3 and 1.2
    cert = os.path.join(tls.pki.intruder, "cert.pem")
    key = os.path.join(tls.pki.intruder, "key.pem")
    assert "ALERT_UNKNOWN_CA" in tls_handshake(tls, cert, key)
    assert "ALERT_UNKNOWN_CA" in tls_handshake(tls, cert, key,
                                               max_version=ssl.TLSVersion.TLSv1_2)
    assert serving(tls)


def test_no_client_certificate_is_refused(tls):
    r = tls.engine.client(TCP, ["--tlsverify", "--tlscacert", tls.pki.ca.ca])("version")
    assert r.returncode != 0
    assert "remote error: tls: certificate required" in r.stderr, r.stderr
    assert "CERTIFICATE_REQUIRED" in tls_handshake(tls)
    assert "BAD_CERTIFICATE" in tls_handshake(tls, max_version=ssl.TLSVersion.TLSv1_2)
    assert serving(tls)
    # logged as Go's http.Server logs it
    assert re.search(r"http: TLS handshake error from 127\.0\.0\.1:\d+: tls: client didn't "
                     r"provide a certificate", tls.engine.log())


def test_certificate_not_for_client_authentication_is_refused(tls):
    # the server's own certificate (extendedKeyUsage serverAuth) is no client certificate
    assert "BAD_CERTIFICATE" in tls_handshake(tls, tls.pki.server_cert, tls.pki.server_key)
    assert serving(tls)


def test_client_that_does_not_trust_the_servers_ca_refuses_it(tls):
    r = tls.engine.client(TCP, client_flags(tls.pki.client, ca=tls.pki.other.ca))("version")
    assert r.returncode != 0
    assert "x509: certificate signed by unknown authority" in r.stderr, r.stderr
    assert serving(tls)


def test_plain_http_on_the_tls_port_fails_and_the_engine_goes_on(tls):
    r = tls.engine.client(TCP)("version")
    assert r.returncode != 0
    assert serving(tls)


def test_valid_client_passes_a_raw_handshake(tls):
    cert = os.path.join(tls.pki.client, "cert.pem")
    key = os.path.join(tls.pki.client, "key.pem")
    assert tls_handshake(tls, cert, key) == "HTTP/1.1 200 OK"
    assert tls_handshake(tls, cert, key, max_version=ssl.TLSVersion.TLSv1_2) == "HTTP/1.1 200 OK"


# ---- flags, daemon.json and what dockerd says about them ----

def berthd(sb, *args, env=None):
    """berthd that is expected to stop at its configuration (status, stderr)."""
    argv = [harness.BERTHD, "--data-root", sb.path("d"), "--exec-root", sb.path("e"),
            "--pidfile", sb.path("p")] + list(args)
    r = sb.run(argv, timeout=30, env=env)
    return r.returncode, r.stderr


def test_missing_and_bad_tls_files_in_dockerds_words(bins, sandbox, pki):
    missing = sandbox.path("missing.pem")
    junk = sandbox.path("junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    other_cert, other_key = pki.other.issue("stranger")
    cases = [
        (["--tlsverify", "--tlscacert", pki.ca.ca, "--tlscert", missing, "--tlskey",
          pki.server_key],
         'invalid TLS configuration: Could not load X509 key pair (cert: "%s", key: "%s"): '
         'open %s: no such file or directory' % (missing, pki.server_key, missing)),
        (["--tlsverify", "--tlscacert", pki.ca.ca, "--tlscert", pki.server_cert, "--tlskey",
          missing],
         'invalid TLS configuration: Could not load X509 key pair (cert: "%s", key: "%s"): '
         'open %s: no such file or directory' % (pki.server_cert, missing, missing)),
        (["--tlsverify", "--tlscacert", missing, "--tlscert", pki.server_cert, "--tlskey",
          pki.server_key],
         'invalid TLS configuration: could not read CA certificate "%s": open %s: no such '
         'file or directory' % (missing, missing)),
        (["--tlsverify", "--tlscacert", junk, "--tlscert", pki.server_cert, "--tlskey",
          pki.server_key],
         'invalid TLS configuration: failed to append certificates from PEM file: "%s"' % junk),
        (["--tlsverify", "--tlscacert", pki.ca.ca, "--tlscert", pki.server_cert, "--tlskey",
          other_key],
         'invalid TLS configuration: Error reading X509 key pair (cert: "%s", key: "%s"): '
         'tls: private key does not match public key. Make sure the key is not encrypted.'
         % (pki.server_cert, other_key)),
        (["--tlsverify", "--tlscacert", pki.ca.ca, "--tlscert", junk, "--tlskey",
          pki.server_key],
         'invalid TLS configuration: Error reading X509 key pair (cert: "%s", key: "%s"): '
         'tls: failed to find any PEM data in certificate input. Make sure the key is not '
         'encrypted.' % (junk, pki.server_key)),
    ]
    for args, want in cases:
        status, err = berthd(sandbox, "-H", TCP, *args)
        assert status == 1, err
        assert err.strip() == want


def test_tls_files_default_to_docker_cert_path_then_home(bins, sandbox):
    certs = sandbox.path("certs")
    env = harness.clean_env(sandbox)
    env["DOCKER_CERT_PATH"] = certs
    status, err = berthd(sandbox, "--tlsverify", env=env)
    assert status == 1
    assert ('Could not load X509 key pair (cert: "{0}/cert.pem", key: "{0}/key.pem"): '
            'open {0}/cert.pem: no such file or directory'.format(certs)) in err, err
    env = harness.clean_env(sandbox)
    env.pop("DOCKER_CONFIG")
    env["HOME"] = sandbox.path("home")
    status, err = berthd(sandbox, "--tls", env=env)
    assert status == 1
    assert 'open %s/.docker/cert.pem: no such file' % sandbox.path("home") in err, err
    r = sandbox.run([harness.BERTHD, "--help"], env=dict(env, DOCKER_CERT_PATH=certs))
    assert re.search(r'--tlscacert string\s+Trust certs signed only by this CA \(default '
                     r'"%s/ca\.pem"\)' % re.escape(certs), r.stdout), r.stdout
    assert re.search(r"--tlsverify\s+Use TLS and verify the remote", r.stdout)
    assert re.search(r"--tls\s+Use TLS; implied by --tlsverify", r.stdout)


def test_tls_alone_verifies_clients_as_dockerd_28(bins, sandbox, pki):
    need_engine_prerequisites()
    eng = harness.Engine(sandbox, ["-H", TCP] + server_flags(pki, "--tls")).start()
    r = eng.client(TCP, ["--tlsverify", "--tlscacert", pki.ca.ca])("version")
    assert "remote error: tls: certificate required" in r.stderr, r.stderr
    r = eng.client(TCP, client_flags(pki.client))("version", "--format", "{{.Server.Version}}")
    assert r.returncode == 0, r.stderr


def test_tlsverify_false_is_tls_without_client_certificates(bins, sandbox, pki):
    need_engine_prerequisites()
    # dockerd reads no CA without verification: a missing one is no error
    args = ["--tlsverify=false", "--tlscacert", sandbox.path("no-ca.pem"), "--tlscert",
            pki.server_cert, "--tlskey", pki.server_key]
    status, err = berthd(sandbox, "-H", "tcp://0.0.0.0:%d" % PORT, *args)
    assert status == 1
    assert ("refusing to listen on tcp://0.0.0.0:%d without --tlsverify: only loopback "
            "addresses (127.0.0.1, ::1) may serve the API to clients without a certificate"
            % PORT) in err, err
    eng = harness.Engine(sandbox, ["-H", TCP] + args).start()
    # the client checks the server (--tlsverify with the CA) and has no certificate itself
    r = eng.client(TCP, ["--tlsverify", "--tlscacert", pki.ca.ca])("version", "--format",
                                                                    "{{.Server.APIVersion}}")
    assert (r.returncode, r.stdout.strip()) == (0, "1.41"), r.stderr


def test_tlsverify_serves_any_address(bins, sandbox, pki):
    need_engine_prerequisites()
    eng = harness.Engine(sandbox, ["-H", "tcp://0.0.0.0:%d" % PORT] + server_flags(pki)).start()
    r = eng.client(TCP, client_flags(pki.client))("version", "--format", "{{.Server.APIVersion}}")
    assert (r.returncode, r.stdout.strip()) == (0, "1.41"), r.stderr
    assert "API listen on 0.0.0.0:%d (TLS, client certificates verified)" % PORT in eng.log()


def wait_for(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_tls_in_daemon_json_and_without_hosts_on_localhost_2376(bins, sandbox, pki):
    need_engine_prerequisites()
    cfg = sandbox.path("daemon.json")
    with open(cfg, "w") as f:
        json.dump({"data-root": sandbox.path("data"), "exec-root": sandbox.path("exec"),
                   "pidfile": sandbox.path("p.pid"), "tlsverify": True,
                   "tlscacert": pki.ca.ca, "tlscert": pki.server_cert,
                   "tlskey": pki.server_key}, f)
    # given both ways: dockerd's error
    r = sandbox.run([harness.BERTHD, "--config-file", cfg, "--tlscert", "/x.pem"])
    assert r.returncode == 1
    assert ("the following directives are specified both as a flag and in the configuration "
            "file: tlscert: (from flag: /x.pem, from file: %s)" % pki.server_cert) in r.stderr
    # no hosts: dockerd's default for TLS, tcp://localhost:2376 (and no unix socket)
    p = sandbox.start([harness.BERTHD, "--config-file", cfg], log_name="json.log")
    docker = harness.DockerClient(sandbox, "tcp://localhost:2376", client_flags(pki.client))
    assert wait_for(lambda: docker("version").returncode == 0), open(p.log_path).read()
    r = docker("version", "--format", "{{.Server.APIVersion}}")
    assert r.stdout.strip() == "1.41"
    sandbox.stop(p)
    with open(p.log_path) as f:
        assert "API listen on localhost:2376 (TLS, client certificates verified)" in f.read()
