# SPDX-License-Identifier: Apache-2.0
"""berth pull, push, login, logout and run's pull of a missing image, the client side.

The docker CLI 28 (first on PATH) and berth do the same thing against one real berthd through
a recording proxy (recorder.Recorder): the requests they send must be the same (method, path,
query, the X-Registry-Auth header decoded, the body), and so must what they print, with the
program's name and the config file's path normalised. Each client has a HOME, DOCKER_CONFIG and
BERTH_CONFIG of its own per test, so credentials come only from the files a test writes.

The engine pulls from and pushes to a real registry (Debian's docker-registry, distribution 2.8)
listening on 127.0.0.1:5000 inside its network namespace, with htpasswd authentication.

Login's and logout's handling of config.json is tested against the same engine and registry
(whose answers decide what is stored), and, for logout, which needs no engine, on the files
alone.
"""
import base64
import json
import os
import re
import subprocess
import time
import urllib.parse

import pytest

import harness
from recorder import Recorder

REGISTRY = "127.0.0.1:5000"
USER, PASSWORD = "tester", "s3cret"
# PASSWORD in bcrypt, as docker-registry's htpasswd wants it (made once with Python's
# crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH)))
HTPASSWD = "%s:$2b$12$ppRvOU.hmfI36xe.O3dH0u7fmDgd2vYneBCb27z58sCEgrJNPTVlu\n" % USER
# what berthd answered before it had a side of registries: never again
NOT_YET = ("cannot pull images yet", "page not found")


def b64(text):
    return base64.b64encode(text.encode()).decode()


# ---- the clients ----

class Home:
    """A client's own HOME, docker config directory and berth config directory."""

    def __init__(self, root, name):
        self.dir = os.path.join(str(root), name)
        self.docker_config = os.path.join(self.dir, ".docker")
        self.berth_config = os.path.join(self.dir, ".berth")
        os.makedirs(self.docker_config, exist_ok=True)
        os.makedirs(self.berth_config, exist_ok=True)

    def file(self, which):
        d = self.docker_config if which == "docker" else self.berth_config
        return os.path.join(d, "config.json")

    def write(self, which, doc):
        with open(self.file(which), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))

    def read(self, which):
        try:
            with open(self.file(which)) as f:
                return f.read()
        except FileNotFoundError:
            return None


def client_env(home, sock):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "BERTH_"))}
    env.update({"DOCKER_HOST": "unix://" + sock, "HOME": home.dir,
                "DOCKER_CONFIG": home.docker_config, "BERTH_CONFIG": home.berth_config,
                "BERTH_LIB_DIR": os.path.join(os.path.dirname(harness.BIN_DIR), "lib", "berth")})
    return env


def run(prog, home, sock, args, input=None):
    """prog ("docker" or "berth") ARGS against the engine at sock: (status, stdout, stderr),
    normalised."""
    argv = ([harness.BERTH] if prog == "berth" else [harness.docker_cli()]) + list(args)
    p = subprocess.run(argv, input=input, capture_output=True, text=True,
                       env=client_env(home, sock), timeout=120,
                       stdin=None if input is not None else subprocess.DEVNULL)
    return p.returncode, norm(p.stdout, home), norm(p.stderr, home)


def norm(text, home):
    """The program's name and its config file's directory made the same for both."""
    for d in (home.docker_config, home.berth_config):
        text = text.replace(d, "<config>")
    return re.sub(r"\b(docker|berth)\b", "<prog>", text)


def need_clients():
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    if not os.access(harness.BERTH, os.X_OK):
        pytest.skip("%s is not built" % harness.BERTH)


def decoded_auth(headers):
    """X-Registry-Auth decoded (base64url JSON), None when absent."""
    v = headers.get("x-registry-auth")
    if v is None:
        return None
    return json.loads(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)))


def requests_of(rec, keep=lambda r: True):
    """What the proxy saw, each as the test compares it: method, path, query, the decoded
    credentials, the body (JSON parsed)."""
    out = []
    for r in rec.raw:
        if not keep(r):
            continue
        try:
            body = json.loads(r["body"]) if r["body"] else None
        except ValueError:
            body = r["body"]
        out.append((r["method"], r["path"],
                    urllib.parse.parse_qs(r["rawquery"], keep_blank_values=True),
                    decoded_auth(r["headers"]), body))
    return out


def registry_requests(r):
    return "/images/" in r["path"] or r["path"].endswith("/auth")


def both(rec, tmp_path, args, setup=None, keep=registry_requests, input=None, before=None):
    """docker ARGS, then berth ARGS, each from a fresh home made by setup(home) and after
    before() (on the engine): their results and the requests each sent."""
    need_clients()
    got = {}
    for prog in ("docker", "berth"):
        home = Home(tmp_path, prog)
        if setup:
            setup(home)
        if before:
            before()
        del rec.raw[:]
        res = run(prog, home, rec.path, args, input=input)
        got[prog] = (res, requests_of(rec, keep), home)
    assert not rec.errors, rec.errors
    return got["docker"], got["berth"]


def not_yet(stderr):
    return any(s in stderr for s in NOT_YET)


# ---- fixtures ----

@pytest.fixture(scope="module")
def rec(shared_engine):
    r = Recorder(shared_engine.sb.path("registry-proxy.sock"), shared_engine.sock)
    r.engine = shared_engine
    try:
        yield r
    finally:
        r.close()


@pytest.fixture(scope="module")
def registry(shared_engine):
    """docker-registry on 127.0.0.1:5000 in the engine's network namespace, htpasswd users
    USER/PASSWORD, its storage in the sandbox."""
    exe = "/usr/bin/docker-registry"
    if not os.access(exe, os.X_OK):
        pytest.skip("Debian's docker-registry is not installed (installer/install-deps.sh)")
    sb = shared_engine.sb
    with open(sb.path("htpasswd"), "w") as f:
        f.write(HTPASSWD)
    with open(sb.path("registry.yml"), "w") as f:
        f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s\nhttp:\n  addr: %s\nauth:\n  htpasswd:\n"
                "    realm: berth-test\n    path: %s\n"
                % (sb.path("registry-data"), REGISTRY, sb.path("htpasswd")))
    p = sb.start([exe, "serve", sb.path("registry.yml")], log_name="registry.log")
    probe = "import socket; socket.create_connection(('127.0.0.1', 5000), 1)"
    for _ in range(100):
        if sb.run(["/usr/bin/python3", "-c", probe]).returncode == 0:
            break
        if p.poll() is not None:
            break
        time.sleep(0.1)
    else:
        pytest.fail("docker-registry did not listen on %s" % REGISTRY)
    if p.poll() is not None:
        with open(p.log_path) as f:
            pytest.fail("docker-registry exited: %s" % f.read())
    return REGISTRY


def docker_auths(home, server=REGISTRY, user=USER, password=PASSWORD, which="docker"):
    """A config.json with credentials, as `docker login` writes it."""
    home.write(which, {"auths": {server: {"auth": b64("%s:%s" % (user, password))}}})


# ---- pull ----

PULLS = [
    ["pull", REGISTRY + "/team/app:1"],
    ["pull", REGISTRY + "/team/app"],  # "Using default tag: latest"
    ["pull", "-q", REGISTRY + "/team/app:1"],
    ["pull", "-a", REGISTRY + "/team/app"],
    ["pull", "--platform", "Linux/AMD64", REGISTRY + "/team/app:1"],
    ["pull", REGISTRY + "/team/app@sha256:" + "0" * 64],
    ["image", "pull", "busybox"],  # Docker Hub, no credentials: {}
]


@pytest.mark.parametrize("args", PULLS, ids=lambda a: " ".join(a))
def test_pull_sends_what_docker_sends(rec, tmp_path, args):
    (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path, args, setup=docker_auths)
    assert len(dreq) == 1, dreq
    assert breq == dreq
    method, path, query, auth, body = breq[0]
    assert (method, path) == ("POST", "/v1.41/images/create")
    if REGISTRY in args[-1]:
        # docker's credentials serve berth: it reads the docker CLI's file after its own
        assert auth == {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}
    else:
        assert auth == {}
    assert not not_yet(dres[2]), dres[2]
    assert bres[0] == dres[0]


def test_pull_prefers_berths_own_credentials(rec, tmp_path):
    def setup(home):
        docker_auths(home, user="someone", password="else")
        # berth's file holds the right ones; for docker, its own file does
        docker_auths(home, which="berth" if home.dir.endswith("berth") else "docker")
    (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path, ["pull", REGISTRY + "/team/app:1"],
                                            setup=setup)
    assert breq == dreq
    assert breq[0][3] == {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}
    assert bres[0] == dres[0]


def test_pull_refuses_credentials_kept_by_a_helper(rec, tmp_path):
    need_clients()
    home = Home(tmp_path, "berth")
    home.write("docker", {"auths": {REGISTRY: {}}, "credsStore": "nosuchhelper"})
    del rec.raw[:]
    rc, out, err = run("berth", home, rec.path, ["pull", REGISTRY + "/team/app:1"])
    assert rc == 1
    assert "<prog>-credential-nosuchhelper" in err and "<prog> login %s" % REGISTRY in err
    assert requests_of(rec, registry_requests) == []  # nothing was sent
    # a helper for other registries only: Docker Hub pulls go on with no credentials
    rc, out, err = run("berth", home, rec.path, ["pull", "-q", "nosuch/image:1"])
    assert "-credential" not in err
    assert requests_of(rec, registry_requests)[0][3] == {}


def seed_registry(sb, name, tag):
    """Put a one-layer image into the registry with its HTTP API (python in the engine's
    namespace, basic auth): the engine's pull then has something to fetch. Returns nothing;
    fails the test when the registry refuses."""
    script = r'''
import base64, gzip, hashlib, http.client, io, json, sys, tarfile
name, tag, user, pw = sys.argv[1:5]
auth = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"hello from the registry\n"
    info = tarfile.TarInfo("hello.txt"); info.size = len(data); info.mtime = 0
    t.addfile(info, io.BytesIO(data))
diff = buf.getvalue()
layer = gzip.compress(diff, mtime=0)
config = json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(diff).hexdigest()]},
    "history": [{"created_by": "seed"}]}).encode()
def req(method, path, body=None, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", 5000)
    h = {"Authorization": auth}; h.update(headers)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d" % (method, path, r.status))
    return r
def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % name).getheader("Location")
    loc = loc.split("127.0.0.1:5000", 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data,
        {"Content-Type": "application/octet-stream"})
    return d
manifest = {"schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
               "size": len(config), "digest": blob(config)},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(layer), "digest": blob(layer)}]}
req("PUT", "/v2/%s/manifests/%s" % (name, tag), json.dumps(manifest).encode(),
    {"Content-Type": manifest["mediaType"]})
'''
    r = sb.run(["/usr/bin/python3", "-c", script, name, tag, USER, PASSWORD])
    assert r.returncode == 0, r.stderr


def test_pull_from_a_registry_prints_what_docker_prints(rec, registry, tmp_path):
    """With the engine's pull: the same progress (off a terminal), the same final line."""
    eng = rec.engine
    seed_registry(eng.sb, "team/seeded", "1")
    image = REGISTRY + "/team/seeded:1"
    (dres, _, _), (bres, _, _) = both(rec, tmp_path, ["pull", image], setup=docker_auths,
                                      before=lambda: eng.docker("rmi", image))
    assert not not_yet(dres[2]), dres[2]
    assert bres == dres
    assert bres[0] == 0
    assert bres[1].endswith("\n%s\n" % image)
    assert "Status: Downloaded newer image for %s" % image in bres[1]


# ---- run's pull of a missing image ----

def test_run_pulls_a_missing_image_with_the_same_credentials(rec, tmp_path):
    image = REGISTRY + "/team/missing:1"
    rec.engine.docker("rmi", image)
    (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path, ["run", "--rm", image, "true"],
                                            setup=docker_auths)
    assert breq == dreq
    assert [r[:2] for r in breq] == [("POST", "/v1.41/images/create")]
    assert breq[0][2] == {"fromImage": [REGISTRY + "/team/missing"], "tag": ["1"]}
    assert breq[0][3] == {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}
    assert "Unable to find image '%s' locally\n" % image in bres[2]
    assert not not_yet(dres[2]), dres[2]
    assert bres[0] == dres[0]


def test_run_pull_always_sends_the_header_too(rec, tmp_path):
    name = "regcli-pull-always"
    args = ["create", "--name", name, "--pull", "always", "--platform", "linux/amd64", "busybox"]
    gone = lambda: rec.engine.docker("rm", "-f", name)  # noqa: E731
    try:
        (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path, args, before=gone)
    finally:
        gone()
    assert breq == dreq
    assert breq[0][:4] == ("POST", "/v1.41/images/create",
                           {"fromImage": ["docker.io/library/busybox"], "platform": ["linux/amd64"],
                            "tag": ["latest"]}, {})
    assert not not_yet(dres[2]), dres[2]


# ---- push ----

PUSHES = [
    ["push", REGISTRY + "/team/app:1"],
    ["push", REGISTRY + "/team/app"],  # "Using default tag: latest"
    ["push", "-q", REGISTRY + "/team/app:1"],
    ["push", "-a", REGISTRY + "/team/app"],
    ["image", "push", REGISTRY + "/team/app:1"],
]


@pytest.mark.parametrize("args", PUSHES, ids=lambda a: " ".join(a))
def test_push_sends_what_docker_sends(rec, tmp_path, args):
    eng = rec.engine
    for tag in ("1", "latest"):
        assert eng.docker("tag", "busybox", REGISTRY + "/team/app:" + tag).returncode == 0
    (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path, args, setup=docker_auths)
    assert len(dreq) == 1, dreq
    assert breq == dreq
    method, path, query, auth, body = breq[0]
    assert (method, path) == ("POST", "/v1.41/images/%s/team/app/push" % REGISTRY)
    assert query == ({} if "-a" in args else {"tag": ["latest" if args[-1].endswith("app")
                                                      else "1"]})
    assert auth == {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}
    assert not not_yet(dres[2]), dres[2]
    assert bres[0] == dres[0]


def test_push_refusals_are_dockers(rec, tmp_path):
    for args in (["push", "busybox@sha256:" + "0" * 64], ["push", "-a", "busybox:1"],
                 ["push", "Busy"], ["push", "--platform", "linux/amd64", "busybox"]):
        (dres, dreq, _), (bres, breq, _) = both(rec, tmp_path / args[1].strip("-@:"), args)
        assert bres == dres, args
        assert dres[0] == 1 and not dreq and not breq, args


def test_push_to_a_registry_prints_what_docker_prints(rec, registry, tmp_path):
    """With the engine's push: the second push of the same image ("Layer already exists") is
    printed alike; -q prints the reference."""
    eng = rec.engine
    image = REGISTRY + "/team/pushed:1"
    assert eng.docker("tag", "busybox", image).returncode == 0
    (dres, _, _), (bres, _, _) = both(rec, tmp_path / "warm", ["push", image], setup=docker_auths)
    assert not not_yet(dres[2]), dres[2]
    (dres, _, _), (bres, _, _) = both(rec, tmp_path / "again", ["push", image],
                                      setup=docker_auths)
    assert bres == dres
    assert "The push refers to repository [%s/team/pushed]" % REGISTRY in bres[1]
    (dres, _, _), (bres, _, _) = both(rec, tmp_path / "quiet", ["push", "-q", image],
                                      setup=docker_auths)
    assert bres == dres == (0, image + "\n", "")


# ---- build ----

def test_build_sends_every_stored_credential_as_docker(rec, tmp_path):
    """X-Registry-Config of a build: all stored credentials (for FROM's pulls), in the same
    bytes; berth reads docker's file after its own."""
    need_clients()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nLABEL regcli=1\n")
    sent = {}
    for prog in ("docker", "berth"):
        home = Home(tmp_path, prog)
        home.write("docker", {"auths": {REGISTRY: {"auth": b64(USER + ":" + PASSWORD)},
                                        "https://index.docker.io/v1/": {"auth": b64("h:<&>")},
                                        "kept.example": {}}})
        del rec.raw[:]
        res = run(prog, home, rec.path, ["build", "-q", str(ctx)])
        assert res[0] == 0, res
        builds = [r for r in rec.raw if r["path"].endswith("/build")]
        assert len(builds) == 1
        sent[prog] = builds[0]["headers"]["x-registry-config"]
    assert sent["berth"] == sent["docker"]
    auths = json.loads(base64.urlsafe_b64decode(sent["berth"]))
    assert auths["kept.example"] == {"serveraddress": "kept.example"}
    assert auths[REGISTRY] == {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}


# ---- login against berthd ----

def test_login_sends_what_docker_sends(rec, registry, tmp_path):
    args = ["login", "-u", USER, "-p", PASSWORD, "http://%s/v2/" % REGISTRY]
    (dres, dreq, dhome), (bres, breq, bhome) = both(rec, tmp_path, args)
    assert breq == dreq
    assert breq == [("POST", "/v1.41/auth", {}, None,
                     {"username": USER, "password": PASSWORD, "serveraddress": REGISTRY})]
    assert not not_yet(dres[2]), dres[2]
    assert bres == dres
    assert bres[1] == "Login Succeeded\n"
    assert bhome.read("berth") == dhome.read("docker")
    assert bhome.read("docker") is None  # berth never writes docker's file


# ---- login and logout: the files ----

@pytest.fixture
def auth(rec, registry):
    """The module's engine behind its recorder, with the htpasswd registry on REGISTRY; its
    bodies() are the /auth bodies the proxy saw since the last clear()."""

    class Auth:
        path = rec.path

        @staticmethod
        def clear():
            del rec.raw[:]

        @staticmethod
        def bodies():
            return [json.loads(r["body"]) for r in rec.raw if r["path"].endswith("/auth")]

    return Auth()


def side_by_side(auth, tmp_path, steps, setup=None):
    """Each client runs the steps (args, input) from a home of its own (setup(home, prog)
    first): a list per client of (status, stdout, stderr, config file after the step, the
    /auth bodies sent), the file being docker's for docker and berth's for berth."""
    need_clients()
    out = {}
    for prog in ("docker", "berth"):
        home = Home(tmp_path, prog)
        if setup:
            setup(home, prog)
        log = []
        for args, stdin in steps:
            auth.clear()
            res = run(prog, home, auth.path, args, input=stdin)
            log.append(res + (home.read(prog), auth.bodies()))
        out[prog] = (log, home)
    return out["docker"], out["berth"]


def test_login_stores_credentials_as_docker(auth, tmp_path):
    server = "http://%s/v2/" % REGISTRY
    steps = [
        (["login", "-u", USER, "-p", PASSWORD, server], None),  # the -p warning
        (["login", "-u", USER, "-p", PASSWORD, REGISTRY], None),  # unchanged: no warning
        (["login", REGISTRY], ""),  # the stored credentials
        (["login", "-u", USER, "--password-stdin", REGISTRY], PASSWORD + "\r\n"),
        (["login", "-u", USER, "-p", "wrong", REGISTRY], None),  # the registry's 401
        (["login", "other.example"], ""),  # nothing stored, no terminal
        # Docker Hub: the engine's namespace has no way out, the same error for both
        (["login", "-u", USER, "--password-stdin", "docker.io"], PASSWORD + "\n"),
        (["login", "--password-stdin"], ""),
        (["login", "-u", USER, "-p", "x", "--password-stdin"], ""),
        (["login", "-u", "", REGISTRY], None),
    ]
    (dlog, _), (blog, bhome) = side_by_side(auth, tmp_path, steps)
    for (args, _), d, b in zip(steps, dlog, blog):
        assert b == d, args
    assert blog[0][:2] == (0, "Login Succeeded\n"), blog[0]
    assert blog[4][0] == 1 and "401 Unauthorized" in blog[4][2], blog[4]
    assert bhome.read("docker") is None
    stored = json.loads(bhome.read("berth"))["auths"]
    assert stored == {REGISTRY: {"auth": b64(USER + ":" + PASSWORD)}}


def test_login_keeps_the_other_members_of_berths_file(auth, tmp_path):
    need_clients()
    home = Home(tmp_path, "berth")
    # contexts keep currentContext here; members berth does not know stay too
    home.write("berth", '{"currentContext":"vm","x-custom":{"a":[1,2]},"auths":{"z":{}}}')
    rc, out, err = run("berth", home, auth.path,
                       ["login", "-u", USER, "--password-stdin", REGISTRY], input=PASSWORD)
    assert (rc, out) == (0, "Login Succeeded\n"), err
    doc = json.loads(home.read("berth"))
    assert list(doc) == ["auths", "currentContext", "x-custom"]
    assert doc["currentContext"] == "vm" and doc["x-custom"] == {"a": [1, 2]}
    assert doc["auths"] == {REGISTRY: {"auth": b64(USER + ":" + PASSWORD)}, "z": {}}
    assert home.read("berth").startswith('{\n\t"auths": {\n')  # the docker CLI's layout
    assert oct(os.stat(home.file("berth")).st_mode & 0o777) == "0o644"  # kept


def test_login_uses_docker_logins_credentials_and_keeps_them_in_berths_file(auth, tmp_path):
    need_clients()
    home = Home(tmp_path, "berth")
    docker_auths(home)
    auth.clear()
    rc, out, err = run("berth", home, auth.path, ["login", REGISTRY], input="")
    assert (rc, out) == (0, "Login Succeeded\n"), err
    assert err.startswith("Authenticating with existing credentials... [Username: %s]\n" % USER)
    assert "WARNING! Your credentials are stored unencrypted in '<config>/config.json'." in err
    assert auth.bodies() == [{"username": USER, "password": PASSWORD, "serveraddress": REGISTRY}]
    assert json.loads(home.read("berth"))["auths"] == {
        REGISTRY: {"auth": b64(USER + ":" + PASSWORD)}}
    # credentials that fail are not copied
    home2 = Home(tmp_path, "berth2")
    docker_auths(home2, password="wrong")
    rc, out, err = run("berth", home2, auth.path, ["login", REGISTRY], input="")
    assert rc == 1
    assert "Stored credentials invalid or expired\n" in err
    assert home2.read("berth") is None


def test_login_prompts_on_a_terminal_as_docker(auth, tmp_path):
    need_clients()
    shown = {}
    for prog in ("docker", "berth"):
        home = Home(tmp_path, prog)
        argv = ([harness.BERTH] if prog == "berth" else [harness.docker_cli()]) + [
            "login", REGISTRY]
        text, status = harness.drive(argv, client_env(home, auth.path),
                                     [("Username: ", USER + "\n"),
                                      ("Password: ", PASSWORD + "\n")], size=(24, 80))
        shown[prog] = (status, norm(text, home), home.read(prog))
    assert shown["berth"] == shown["docker"]
    assert shown["berth"][0] == 0 and "Login Succeeded" in shown["berth"][1]
    assert PASSWORD not in shown["berth"][1]  # no echo


def test_logout_removes_what_docker_removes(tmp_path):
    need_clients()
    before = {"auths": {REGISTRY: {"auth": b64("a:b")}, "https://%s" % REGISTRY: {"auth": "YTpi"},
                        "https://%s/v1/" % REGISTRY: {"auth": "YTpi"}, "other": {"auth": "YTpi"},
                        "https://index.docker.io/v1/": {"auth": "YTpi"}},
              "psFormat": "table {{.ID}}"}
    steps = [["logout", "http://%s/v2/" % REGISTRY], ["logout", REGISTRY], ["logout"],
             ["logout", "docker.io"], ["logout", "nothing.here"], ["logout", "a", "b"]]
    seen = {}
    for prog in ("docker", "berth"):
        home = Home(tmp_path, prog)
        home.write(prog, before)
        log = []
        for args in steps:
            # logout needs no engine: nothing listens there
            res = run(prog, home, str(tmp_path / "none.sock"), args)
            log.append(res + (home.read(prog),))
        seen[prog] = log
    for args, d, b in zip(steps, seen["docker"], seen["berth"]):
        assert b == d, args
    final = json.loads(seen["berth"][-1][3])
    assert final["auths"] == {"https://%s/v1/" % REGISTRY: {"auth": "YTpi"},
                              "other": {"auth": "YTpi"}}
    assert final["psFormat"] == "table {{.ID}}"


def test_logout_without_a_file_writes_none(tmp_path):
    need_clients()
    home = Home(tmp_path, "berth")
    rc, out, err = run("berth", home, str(tmp_path / "none.sock"), ["logout", REGISTRY])
    assert (rc, out, err) == (0, "Removing login credentials for %s\n" % REGISTRY, "")
    assert home.read("berth") is None
