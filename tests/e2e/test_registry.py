# SPDX-License-Identifier: Apache-2.0
"""Registries: push, pull, login against Debian's docker-registry (distribution 2.8), which the
test starts on 127.0.0.1 inside the engine's network namespace, through the docker CLI.

Each test has a berthd of its own (busybox imported) and a registry of its own: plain HTTP
(an insecure registry, as 127.0.0.0/8 always is), with htpasswd basic auth, or with TLS from a
test CA that the engine finds under --registry-certs-dir.
"""
import crypt
import json
import os
import shutil
import time

import pytest

import harness

REGISTRY = shutil.which("docker-registry")


def wait_port(sb, addr, port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = sb.run(["/usr/bin/python3", "-c",
                    "import socket; socket.create_connection(('%s', %d), 1)" % (addr, port)],
                   timeout=5)
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("the registry did not listen on %s:%d" % (addr, port))


class Registry:
    """docker-registry serving on 127.0.0.1:port in the sandbox's network namespace."""

    def __init__(self, sb, port=5000, htpasswd=None, tls=None, addr="127.0.0.1", token=None):
        self.sb = sb
        self.port = port
        self.host = "%s:%d" % (addr, port)
        root = sb.path("registry-%d" % port)
        os.makedirs(root, exist_ok=True)
        cfg = {
            "version": 0.1,
            "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": os.path.join(root, "data")},
                        "delete": {"enabled": True}},
            "http": {"addr": self.host, "secret": "berth-test"},
        }
        if htpasswd:
            path = os.path.join(root, "htpasswd")
            with open(path, "w") as f:
                for user, pw in htpasswd.items():
                    f.write("%s:%s\n" % (user, crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH))))
            cfg["auth"] = {"htpasswd": {"realm": "berth-test", "path": path}}
        if token:
            cfg["auth"] = {"token": token}
        if tls:
            cfg["http"]["tls"] = {"certificate": tls[0], "key": tls[1]}
        conf = os.path.join(root, "config.yml")
        with open(conf, "w") as f:
            json.dump(cfg, f)  # YAML is a superset of JSON
        self.proc = sb.start([REGISTRY, "serve", conf], log_name="registry-%d.log" % port)
        wait_port(sb, addr, port)

    def log(self):
        with open(self.proc.log_path, errors="replace") as f:
            return f.read()


@pytest.fixture
def reg_engine(request, bins, sandbox, busybox_tar):
    if not REGISTRY:
        pytest.skip("Debian's docker-registry is not installed (installer/install-deps.sh)")
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    certs = sandbox.path("certs.d")
    os.makedirs(certs, exist_ok=True)
    eng = harness.Engine(sandbox, ["--bridge", "none", "--registry-certs-dir", certs]).start()
    eng.certs_dir = certs
    r = eng.docker("import", busybox_tar, "busybox")
    assert r.returncode == 0, r.stderr
    yield eng
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print("---- berthd log ----\n" + eng.log()[-20000:])


def image_id(eng, name):
    r = eng.docker("inspect", "-f", "{{.Id}}", name)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_push_rmi_pull_gives_the_same_image(reg_engine):
    eng = reg_engine
    reg = Registry(eng.sb)
    want = image_id(eng, "busybox")
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/bb:1").returncode == 0
    r = eng.docker("push", "127.0.0.1:5000/bb:1")
    assert r.returncode == 0, r.stderr + reg.log()
    assert "The push refers to repository [127.0.0.1:5000/bb]" in r.stdout
    assert ": Pushed" in r.stdout
    assert "1: digest: sha256:" in r.stdout
    # again: the registry has it all
    r = eng.docker("push", "127.0.0.1:5000/bb:1")
    assert r.returncode == 0 and ": Layer already exists" in r.stdout, r.stdout + r.stderr
    assert eng.docker("rmi", "127.0.0.1:5000/bb:1", "busybox").returncode == 0
    assert eng.docker("inspect", want).returncode != 0
    r = eng.docker("pull", "127.0.0.1:5000/bb:1")
    assert r.returncode == 0, r.stderr
    assert "1: Pulling from bb" in r.stdout
    assert ": Pull complete" in r.stdout
    assert "Digest: sha256:" in r.stdout
    assert "Status: Downloaded newer image for 127.0.0.1:5000/bb:1" in r.stdout
    assert image_id(eng, "127.0.0.1:5000/bb:1") == want
    digest = [l for l in r.stdout.splitlines() if l.startswith("Digest: ")][0][8:]
    r = eng.docker("inspect", "-f", "{{json .RepoDigests}}", "127.0.0.1:5000/bb:1")
    assert json.loads(r.stdout) == ["127.0.0.1:5000/bb@" + digest]
    # pulled again: nothing to do
    r = eng.docker("pull", "127.0.0.1:5000/bb:1")
    assert "Status: Image is up to date for 127.0.0.1:5000/bb:1" in r.stdout, r.stdout
    # by digest, and it runs
    r = eng.docker("pull", "127.0.0.1:5000/bb@" + digest)
    assert r.returncode == 0, r.stderr
    r = eng.docker("run", "--rm", "--network", "none", "127.0.0.1:5000/bb:1", "echo", "hi")
    assert r.returncode == 0 and r.stdout == "hi\n", r.stderr


def test_run_pulls_a_missing_image_first(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/auto").returncode == 0
    assert eng.docker("push", "127.0.0.1:5000/auto").returncode == 0
    assert eng.docker("rmi", "127.0.0.1:5000/auto").returncode == 0
    r = eng.docker("run", "--rm", "--network", "none", "127.0.0.1:5000/auto", "echo", "pulled")
    assert r.returncode == 0, r.stderr
    assert "Unable to find image '127.0.0.1:5000/auto:latest' locally" in r.stderr
    assert r.stdout == "pulled\n"


def test_errors_read_as_dockers(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    r = eng.docker("pull", "127.0.0.1:5000/nope:1")
    assert r.returncode == 1
    assert r.stderr == ("Error response from daemon: manifest for 127.0.0.1:5000/nope:1 not "
                        "found: manifest unknown: manifest unknown\n")
    r = eng.docker("push", "127.0.0.1:5000/notlocal:1")
    assert r.returncode == 1
    assert "tag does not exist: 127.0.0.1:5000/notlocal:1" in r.stderr
    r = eng.docker("pull", "127.0.0.1:5999/x")
    assert r.returncode == 1
    assert "127.0.0.1:5999" in r.stderr and "connection refused" in r.stderr, r.stderr


def test_basic_auth_login_push_pull(reg_engine, tmp_path):
    eng = reg_engine
    Registry(eng.sb, htpasswd={"alice": "s3cret"})
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/private/bb").returncode == 0
    r = eng.docker("push", "127.0.0.1:5000/private/bb")
    assert r.returncode == 1
    assert "no basic auth credentials" in r.stderr, r.stderr
    r = eng.docker("login", "-u", "alice", "-p", "wrong", "127.0.0.1:5000")
    assert r.returncode == 1
    assert "401 Unauthorized" in r.stderr, r.stderr
    r = eng.docker("login", "-u", "alice", "--password-stdin", "127.0.0.1:5000", input="s3cret\n")
    assert r.returncode == 0, r.stderr
    assert "Login Succeeded" in r.stdout
    r = eng.docker("push", "127.0.0.1:5000/private/bb")
    assert r.returncode == 0, r.stderr
    assert eng.docker("rmi", "127.0.0.1:5000/private/bb").returncode == 0
    r = eng.docker("pull", "127.0.0.1:5000/private/bb")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5000/private/bb") == image_id(eng, "busybox")


@pytest.fixture
def other_host(reg_engine):
    """A second network namespace, 10.99.0.2, joined to the engine's (10.99.0.1) by a veth
    pair: a registry there is at an address that is neither loopback nor the engine's own."""
    ns = reg_engine.sb.netns + "-reg"
    run = harness.subprocess.run
    run(["ip", "netns", "add", ns], check=True)
    try:
        for cmd in (["ip", "-n", reg_engine.sb.netns, "link", "add", "breg0", "type", "veth",
                     "peer", "name", "breg1", "netns", ns],
                    ["ip", "-n", reg_engine.sb.netns, "addr", "add", "10.99.0.1/24", "dev",
                     "breg0"],
                    ["ip", "-n", reg_engine.sb.netns, "link", "set", "breg0", "up"],
                    ["ip", "-n", ns, "addr", "add", "10.99.0.2/24", "dev", "breg1"],
                    ["ip", "-n", ns, "link", "set", "breg1", "up"],
                    ["ip", "-n", ns, "link", "set", "lo", "up"]):
            run(cmd, check=True)
        yield ns
    finally:
        run(["ip", "netns", "del", ns])


class OtherSandbox:
    """What Registry needs of a sandbox, for a registry in the other_host namespace."""

    def __init__(self, sb, ns):
        self.sb = sb
        self.netns = ns

    def path(self, *parts):
        return self.sb.path(*parts)

    def wrap(self, argv):
        return ["nsenter", "--net=/run/netns/%s" % self.netns, "--"] + list(argv)

    def run(self, argv, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return harness.subprocess.run(self.wrap(argv), **kw)

    def start(self, argv, log_name=None):
        # the sandbox starts it in the engine's namespace; nsenter takes it on into ours
        return self.sb.start(["nsenter", "--net=/run/netns/%s" % self.netns, "--"] + argv,
                             log_name=log_name)


def test_tls_registry_with_a_ca_in_certs_d(reg_engine, other_host):
    """A registry that is not insecure is reached with TLS, verified against the CA under
    --registry-certs-dir/<host:port>/; without it the push fails naming the registry."""
    eng = reg_engine
    pki = harness.PKI(eng.sb.path("pki"))
    cert, key = pki.issue("registry", server=True, ips=("10.99.0.2",))
    reg = Registry(OtherSandbox(eng.sb, other_host), port=5443, tls=(cert, key),
                   addr="10.99.0.2")
    assert eng.docker("tag", "busybox", "10.99.0.2:5443/tls/bb").returncode == 0
    r = eng.docker("push", "10.99.0.2:5443/tls/bb")
    assert r.returncode == 1
    assert "10.99.0.2:5443" in r.stderr and "x509" in r.stderr, r.stderr
    os.makedirs(os.path.join(eng.certs_dir, "10.99.0.2:5443"))
    shutil.copy(pki.ca, os.path.join(eng.certs_dir, "10.99.0.2:5443", "ca.crt"))
    r = eng.docker("push", "10.99.0.2:5443/tls/bb")
    assert r.returncode == 0, r.stderr + reg.log()
    assert eng.docker("rmi", "10.99.0.2:5443/tls/bb").returncode == 0
    r = eng.docker("pull", "10.99.0.2:5443/tls/bb")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "10.99.0.2:5443/tls/bb") == image_id(eng, "busybox")


def test_the_engines_own_address_is_an_insecure_registry(reg_engine, other_host):
    """The Toolbox habit: a registry on the VM's own address (here 10.99.0.1, the engine
    namespace's), plain HTTP, with no --insecure-registry; another address is not insecure."""
    eng = reg_engine
    Registry(eng.sb, port=5000, addr="10.99.0.1")
    assert eng.docker("tag", "busybox", "10.99.0.1:5000/own").returncode == 0
    r = eng.docker("push", "10.99.0.1:5000/own")
    assert r.returncode == 0, r.stderr
    Registry(OtherSandbox(eng.sb, other_host), port=5000, addr="10.99.0.2")
    assert eng.docker("tag", "busybox", "10.99.0.2:5000/other").returncode == 0
    r = eng.docker("push", "10.99.0.2:5000/other")
    assert r.returncode == 1
    assert 'Get "https://10.99.0.2:5000/v2/"' in r.stderr, r.stderr

class TokenServer:
    """tests/e2e/data/token_server.py on 127.0.0.1:port in the sandbox's namespace, signing with
    a key and certificate of its own; registry_auth() is the registry's auth.token section."""

    def __init__(self, sb, port=5001, users=("alice:s3cret",)):
        d = sb.path("token")
        os.makedirs(d, exist_ok=True)
        self.key = os.path.join(d, "key.pem")
        self.cert = os.path.join(d, "cert.pem")
        harness.subprocess.run([harness.openssl_cli(), "req", "-x509", "-newkey", "rsa:2048",
                                "-nodes", "-days", "2", "-subj", "/CN=berth token issuer",
                                "-keyout", self.key, "-out", self.cert],
                               check=True, capture_output=True)
        script = os.path.join(harness.SOURCE_DIR, "tests", "e2e", "data", "token_server.py")
        self.proc = sb.start(["/usr/bin/python3", script, str(port), self.key, self.cert,
                              "berth-test-issuer"] + list(users), log_name="token.log")
        wait_port(sb, "127.0.0.1", port)
        self.realm = "http://127.0.0.1:%d/token" % port

    def registry_auth(self):
        return {"realm": self.realm, "service": "berth-test-registry",
                "issuer": "berth-test-issuer", "rootcertbundle": self.cert}


def test_token_auth_login_push_pull(reg_engine):
    eng = reg_engine
    if not harness.openssl_cli():
        pytest.skip("the openssl CLI is not installed")
    tokens = TokenServer(eng.sb)
    reg = Registry(eng.sb, token=tokens.registry_auth())
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/team/app").returncode == 0
    # anonymous: a token that grants nothing
    r = eng.docker("push", "127.0.0.1:5000/team/app")
    assert r.returncode == 1
    assert "unauthorized" in r.stderr or "denied" in r.stderr, r.stderr + reg.log()
    r = eng.docker("login", "-u", "alice", "-p", "nope", "127.0.0.1:5000")
    assert r.returncode == 1
    assert "incorrect username or password" in r.stderr, r.stderr
    r = eng.docker("login", "-u", "alice", "--password-stdin", "127.0.0.1:5000", input="s3cret")
    assert r.returncode == 0 and "Login Succeeded" in r.stdout, r.stderr
    r = eng.docker("push", "127.0.0.1:5000/team/app")
    assert r.returncode == 0, r.stderr + reg.log()
    assert eng.docker("rmi", "127.0.0.1:5000/team/app").returncode == 0
    r = eng.docker("pull", "127.0.0.1:5000/team/app")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5000/team/app") == image_id(eng, "busybox")
    assert eng.docker("logout", "127.0.0.1:5000").returncode == 0
    r = eng.docker("pull", "127.0.0.1:5000/team/app")
    assert r.returncode == 1
    assert "pull access denied for 127.0.0.1:5000/team/app" in r.stderr, r.stderr


class Proxy:
    """tests/e2e/data/registry_proxy.py on 127.0.0.1:port in front of the registry."""

    def __init__(self, sb, port, upstream, mode, creds=None):
        self.log_path = sb.path("proxy-%d.requests" % port)
        open(self.log_path, "w").close()
        script = os.path.join(harness.SOURCE_DIR, "tests", "e2e", "data", "registry_proxy.py")
        self.proc = sb.start(["/usr/bin/python3", script, str(port), str(upstream), mode,
                              self.log_path] + ([creds] if creds else []),
                             log_name="proxy-%d.log" % port)
        wait_port(sb, "127.0.0.1", port)

    def requests(self):
        with open(self.log_path) as f:
            return f.read().splitlines()


def two_layer_image(eng, name):
    """busybox and a layer of 2 MiB of random bytes, pushed to the registry on 5000 as name;
    then every local image is removed."""
    r = eng.docker("run", "--name", "mk", "--network", "none", "busybox", "sh", "-c",
                   "head -c 2097152 /dev/urandom > /big")
    assert r.returncode == 0, r.stderr
    assert eng.docker("commit", "mk", "127.0.0.1:5000/" + name).returncode == 0
    assert eng.docker("rm", "mk").returncode == 0
    want = image_id(eng, "127.0.0.1:5000/" + name)
    r = eng.docker("push", "127.0.0.1:5000/" + name)
    assert r.returncode == 0, r.stderr
    assert eng.docker("rmi", "127.0.0.1:5000/" + name, "busybox").returncode == 0
    assert eng.docker("images", "-aq").stdout == ""
    return want


def test_a_corrupted_blob_is_refused_and_nothing_is_stored(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    two_layer_image(eng, "bad")
    Proxy(eng.sb, 5002, 5000, "corrupt")
    r = eng.docker("pull", "127.0.0.1:5002/bad")
    assert r.returncode == 1
    assert "filesystem layer verification failed for digest sha256:" in r.stderr, r.stderr
    assert eng.docker("images", "-aq").stdout == ""
    layers = os.path.join(eng.data_root, "image", "layers")
    assert os.listdir(layers) == [], os.listdir(layers)


def test_a_pull_interrupted_by_a_killed_engine_resumes(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    want = two_layer_image(eng, "resume")
    proxy = Proxy(eng.sb, 5002, 5000, "slow")
    pull = harness.subprocess.Popen(
        eng.sb.wrap([harness.docker_cli(), "pull", "127.0.0.1:5002/resume"]), env=eng.env(),
        stdout=harness.subprocess.PIPE, stderr=harness.subprocess.PIPE, text=True)
    # the small busybox layer arrives at once; the 2 MiB one takes 8 s: kill berthd meanwhile
    downloads = os.path.join(eng.data_root, "registry", "downloads")
    deadline = time.time() + 30
    while time.time() < deadline:
        done = [f for f in os.listdir(downloads) if not f.endswith(".partial")] \
            if os.path.isdir(downloads) else []
        if done:
            break
        time.sleep(0.05)
    assert done, "no layer was downloaded"
    eng.proc.kill()
    eng.proc.wait(10)
    pull.communicate(timeout=30)
    assert pull.returncode != 0
    first = [l for l in proxy.requests() if "/blobs/" in l]
    eng.start()
    r = eng.docker("pull", "127.0.0.1:5002/resume")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5002/resume") == want
    again = [l for l in proxy.requests() if "/blobs/" in l][len(first):]
    finished = "GET /v2/resume/blobs/sha256:" + done[0]
    assert finished in first and finished not in again, (first, again)
    # the downloads are gone once the image is stored
    assert [f for f in os.listdir(downloads) if not f.endswith(".partial")] == []


def test_a_registry_as_a_container(bins, sandbox, busybox_tar):
    """The Toolbox habit: `run -d -p 5000:5000 --name registry registry`, then tag, push, rmi
    and pull back through 127.0.0.1:5000, the engine reaching its own published port."""
    if not REGISTRY or not harness.docker_cli():
        pytest.skip("needs Debian's docker-registry and the docker CLI")
    eng = harness.Engine(sandbox).start()  # with its default bridge, for -p
    assert eng.docker("import", busybox_tar, "busybox").returncode == 0
    tar = sandbox.path("registry.tar")
    script = os.path.join(harness.SOURCE_DIR, "tests", "images", "make-registry-image.sh")
    harness.subprocess.run([script, tar], check=True, capture_output=True)
    r = eng.docker("import", "--change",
                   'CMD ["/usr/bin/docker-registry","serve","/etc/docker/registry/config.yml"]',
                   "--change", "EXPOSE 5000", "--change", "VOLUME /var/lib/registry", tar,
                   "registry")
    assert r.returncode == 0, r.stderr
    r = eng.docker("run", "-d", "-p", "5000:5000", "--name", "registry", "registry")
    assert r.returncode == 0, r.stderr
    try:
        wait_port(sandbox, "127.0.0.1", 5000)
        want = image_id(eng, "busybox")
        assert eng.docker("tag", "busybox", "127.0.0.1:5000/busybox").returncode == 0
        r = eng.docker("push", "127.0.0.1:5000/busybox")
        assert r.returncode == 0, r.stderr + eng.docker("logs", "registry").stderr
        assert eng.docker("rmi", "127.0.0.1:5000/busybox", "busybox").returncode == 0
        r = eng.docker("pull", "127.0.0.1:5000/busybox")
        assert r.returncode == 0, r.stderr
        assert image_id(eng, "127.0.0.1:5000/busybox") == want
        # what the registry saw, in its own log
        assert "/v2/busybox/manifests/latest" in eng.docker("logs", "registry").stderr
    finally:
        eng.docker("rm", "-f", "registry")


def test_all_tags_and_cross_repository_mounts(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    for t in ("1", "2"):
        assert eng.docker("tag", "busybox", "127.0.0.1:5000/multi:" + t).returncode == 0
    r = eng.docker("push", "--all-tags", "127.0.0.1:5000/multi")
    assert r.returncode == 0, r.stderr
    assert "1: digest: sha256:" in r.stdout and "2: digest: sha256:" in r.stdout, r.stdout
    # the same layer to another repository of the registry: mounted, not uploaded
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/other").returncode == 0
    r = eng.docker("push", "127.0.0.1:5000/other")
    assert r.returncode == 0, r.stderr
    assert ": Mounted from multi" in r.stdout, r.stdout
    assert eng.docker("rmi", "127.0.0.1:5000/multi:1", "127.0.0.1:5000/multi:2",
                      "127.0.0.1:5000/other", "busybox").returncode == 0
    r = eng.docker("pull", "-a", "127.0.0.1:5000/multi")
    assert r.returncode == 0, r.stderr
    assert "1: Pulling from multi" in r.stdout and "2: Pulling from multi" in r.stdout, r.stdout
    r = eng.docker("images", "--format", "{{.Repository}}:{{.Tag}}", "127.0.0.1:5000/multi")
    assert sorted(r.stdout.split()) == ["127.0.0.1:5000/multi:1", "127.0.0.1:5000/multi:2"]


def test_blob_redirects_are_followed_without_the_registrys_credentials(reg_engine):
    eng = reg_engine
    Registry(eng.sb, htpasswd={"alice": "s3cret"})
    r = eng.docker("login", "-u", "alice", "--password-stdin", "127.0.0.1:5000", input="s3cret")
    assert r.returncode == 0, r.stderr
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/redir").returncode == 0
    assert eng.docker("push", "127.0.0.1:5000/redir").returncode == 0
    want = image_id(eng, "busybox")
    assert eng.docker("rmi", "127.0.0.1:5000/redir", "busybox").returncode == 0
    proxy = Proxy(eng.sb, 5010, 5000, "redirect", creds="alice:s3cret")
    wait_port(eng.sb, "127.0.0.1", 5011)
    r = eng.docker("login", "-u", "alice", "--password-stdin", "127.0.0.1:5010", input="s3cret")
    assert r.returncode == 0, r.stderr
    r = eng.docker("pull", "127.0.0.1:5010/redir")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5010/redir") == want
    followed = [l for l in proxy.requests() if l.endswith((" auth=no", " auth=yes"))]
    assert followed, proxy.requests()
    assert all(l.endswith(" auth=no") for l in followed), followed


def registry_manifest(sb, host, repo, tag):
    """The manifest the registry holds (GET from inside the namespace)."""
    code = ("import json, urllib.request; r = urllib.request.Request('http://%s/v2/%s/manifests/%s',"
            " headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'}); "
            "print(urllib.request.urlopen(r).read().decode())" % (host, repo, tag))
    r = sb.run(["/usr/bin/python3", "-c", code])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_pushed_layers_say_what_their_bytes_are(reg_engine, busybox_tar):
    """A layer goes as the store keeps it, with the media type of its bytes: a plain tar (made
    here, or pulled as one) as ...diff.tar, a gzip'd one (imported as .tar.gz) as ...tar.gzip."""
    import gzip
    eng = reg_engine
    Registry(eng.sb)
    assert eng.docker("tag", "busybox", "127.0.0.1:5000/plain").returncode == 0
    assert eng.docker("push", "127.0.0.1:5000/plain").returncode == 0
    plain = "application/vnd.docker.image.rootfs.diff.tar"
    m = registry_manifest(eng.sb, "127.0.0.1:5000", "plain", "latest")
    assert [l["mediaType"] for l in m["layers"]] == [plain]
    # pulled as a plain tar, pushed again elsewhere: still one
    assert eng.docker("rmi", "127.0.0.1:5000/plain", "busybox").returncode == 0
    assert eng.docker("pull", "127.0.0.1:5000/plain").returncode == 0
    assert eng.docker("tag", "127.0.0.1:5000/plain", "127.0.0.1:5000/again").returncode == 0
    assert eng.docker("push", "127.0.0.1:5000/again").returncode == 0
    m = registry_manifest(eng.sb, "127.0.0.1:5000", "again", "latest")
    assert [l["mediaType"] for l in m["layers"]] == [plain]
    # a gzip'd layer: loaded from a docker-archive whose layer is gzip'd, kept as it came
    import hashlib
    import io
    import tarfile
    with open(busybox_tar, "rb") as f:
        raw = f.read()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}})
    archive = eng.sb.path("gz-archive.tar")
    with tarfile.open(archive, "w") as t:
        for name, data in (("layer.tar.gz", gzip.compress(raw)), ("config.json", cfg.encode()),
                           ("manifest.json", json.dumps([{
                               "Config": "config.json", "RepoTags": ["127.0.0.1:5000/gz:latest"],
                               "Layers": ["layer.tar.gz"]}]).encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    # the same layer must not be in the store already (it would be kept as it is there)
    assert eng.docker("rmi", "127.0.0.1:5000/plain", "127.0.0.1:5000/again").returncode == 0
    assert eng.docker("images", "-aq").stdout == ""
    r = eng.docker("load", "-i", archive)
    assert r.returncode == 0, r.stderr
    assert eng.docker("push", "127.0.0.1:5000/gz").returncode == 0
    m = registry_manifest(eng.sb, "127.0.0.1:5000", "gz", "latest")
    assert [l["mediaType"] for l in m["layers"]] == [
        "application/vnd.docker.image.rootfs.diff.tar.gzip"]
    assert eng.docker("rmi", "127.0.0.1:5000/gz").returncode == 0
    r = eng.docker("run", "--rm", "--network", "none", "127.0.0.1:5000/gz", "echo", "ok")
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr


def test_uploads_are_monolithic_for_small_blobs_and_chunked_for_larger(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    proxy = Proxy(eng.sb, 5004, 5000, "pass")
    assert eng.docker("tag", "busybox", "127.0.0.1:5004/up").returncode == 0
    r = eng.docker("push", "127.0.0.1:5004/up")
    assert r.returncode == 0, r.stderr
    seen = proxy.requests()
    patches = [l for l in seen if l.startswith("PATCH /v2/up/blobs/uploads/")]
    puts = [l for l in seen if l.startswith("PUT /v2/up/blobs/uploads/")]
    # the 2 MB layer: a PATCH, then the PUT that names its digest; the config: one PUT
    assert len(patches) == 1 and len(puts) == 2, seen


def small_layers_archive(eng, ref, n):
    """A docker-archive of an image of n layers of a few kB each (random bytes), tagged ref."""
    import hashlib
    import io
    import tarfile

    def tar_of(files):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for name, data in files:
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        return buf.getvalue()

    layers = [tar_of([("f%d" % i, os.urandom(3000))]) for i in range(n)]
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/f0"]},
                      "rootfs": {"type": "layers", "diff_ids": [
                          "sha256:" + hashlib.sha256(l).hexdigest() for l in layers]}})
    files = [("l%d.tar" % i, l) for i, l in enumerate(layers)] + [
        ("config.json", cfg.encode()),
        ("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": [ref],
                                       "Layers": ["l%d.tar" % i for i in range(n)]}]).encode())]
    archive = eng.sb.path("small-%d.tar" % n)
    with open(archive, "wb") as f:
        f.write(tar_of(files))
    return archive


def test_small_blobs_are_pushed_without_a_head_and_found_again_by_a_mount(reg_engine):
    """A blob under 1 MiB: a POST ?mount= from the repository itself asks whether the registry
    has it and opens the upload when not, so a push is a POST and a PUT per blob; pushed again,
    the same POSTs answer "Layer already exists" and nothing is uploaded."""
    eng = reg_engine
    Registry(eng.sb)
    proxy = Proxy(eng.sb, 5005, 5000, "pass")
    r = eng.docker("load", "-i", small_layers_archive(eng, "127.0.0.1:5005/small:1", 3))
    assert r.returncode == 0, r.stderr
    r = eng.docker("push", "127.0.0.1:5005/small:1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": Pushed") == 3, r.stdout
    first = [l for l in proxy.requests() if "/blobs/" in l]
    assert not [l for l in first if l.startswith("HEAD ")], first
    posts = [l for l in first if l.startswith("POST /v2/small/blobs/uploads/?mount=sha256:")]
    puts = [l for l in first if l.startswith("PUT /v2/small/blobs/uploads/")]
    assert len(posts) == 4 and len(puts) == 4 and len(first) == 8, first  # 3 layers, config
    assert all(l.endswith("&from=small") for l in posts), posts

    r = eng.docker("push", "127.0.0.1:5005/small:1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": Layer already exists") == 3 and "Pushed" not in r.stdout, r.stdout
    again = [l for l in proxy.requests() if "/blobs/" in l][len(first):]
    assert len(again) == 4 and all(l.startswith("POST ") for l in again), again

    want = image_id(eng, "127.0.0.1:5005/small:1")
    assert eng.docker("rmi", "127.0.0.1:5005/small:1").returncode == 0
    r = eng.docker("pull", "127.0.0.1:5000/small:1")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5000/small:1") == want


def test_a_registry_that_takes_no_mounts_still_gets_every_blob(reg_engine):
    """A registry that ignores ?mount= answers it as a plain POST (202 and an upload): the
    blobs are uploaded, each push works, and the image pulls back the same."""
    eng = reg_engine
    Registry(eng.sb)
    proxy = Proxy(eng.sb, 5006, 5000, "nomount")
    r = eng.docker("load", "-i", small_layers_archive(eng, "127.0.0.1:5006/nm:1", 2))
    assert r.returncode == 0, r.stderr
    for _ in range(2):
        r = eng.docker("push", "127.0.0.1:5006/nm:1")
        assert r.returncode == 0, r.stderr
        # nothing tells the engine the registry has them: uploaded each time
        assert r.stdout.count(": Pushed") == 2, r.stdout
    puts = [l for l in proxy.requests() if l.startswith("PUT /v2/nm/blobs/uploads/")]
    assert len(puts) == 6, proxy.requests()
    want = image_id(eng, "127.0.0.1:5006/nm:1")
    assert eng.docker("rmi", "127.0.0.1:5006/nm:1").returncode == 0
    r = eng.docker("pull", "127.0.0.1:5006/nm:1")
    assert r.returncode == 0, r.stderr
    assert image_id(eng, "127.0.0.1:5006/nm:1") == want
