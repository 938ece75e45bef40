# SPDX-License-Identifier: Apache-2.0
"""berth build, the client side: what it sends to POST /build and how it shows the answer.

The engine here is a fake one on a unix socket that records each build request (its query,
headers and the context tar's members) and answers JSON lines as the Engine API says. The
conformance tests run the docker CLI 28 (first on PATH, classic builder: it has no buildx) and
berth against the same fake engine with the same context and compare what each sent and
printed.
"""
import io
import json
import os
import re
import socketserver
import subprocess
import tarfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

import pytest

import harness

IMAGE_ID = "sha256:" + "ab" * 32


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeEngine:
    """A fake engine: /_ping, and POST /build answered with `reply(query)` lines."""

    def __init__(self, path):
        self.path = path
        self.requests = []
        self.reply = self.default_reply
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def address_string(self):
                return "fake"

            def log_message(self, *a):
                pass

            def _ping(self):
                self.send_response(200)
                self.send_header("Api-Version", "1.41")
                self.send_header("OSType", "linux")
                self.send_header("Builder-Version", "1")
                self.send_header("Content-Length", "2" if self.command == "GET" else "0")
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(b"OK")

            def do_HEAD(self):
                self._ping()

            def do_GET(self):
                self._ping()

            def _body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length", "0"))
                return self.rfile.read(n)

            def do_POST(self):
                body = self._body()
                url = urllib.parse.urlsplit(self.path)
                rec = {
                    "path": url.path,
                    "rawquery": url.query,
                    "query": urllib.parse.parse_qs(url.query, keep_blank_values=True),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "members": members(body),
                }
                engine.requests.append(rec)
                out = b"".join(json.dumps(m).encode() + b"\r\n" for m in engine.reply(rec["query"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = _Server(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def default_reply(query):
        if query.get("q") == ["1"]:
            return [{"aux": {"ID": IMAGE_ID}}, {"stream": IMAGE_ID + "\n"}]
        return [
            {"stream": "Step 1/2 : FROM scratch\n"},
            {"stream": " ---> \n"},
            {"stream": "Step 2/2 : COPY . /\n"},
            {"stream": " ---> 0123456789ab\n"},
            {"aux": {"ID": IMAGE_ID}},
            {"stream": "Successfully built 0123456789ab\n"},
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def members(body):
    """The tar's members as (name, type, mode, uid, gid, linkname, data)."""
    out = []
    if not body:
        return out
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as t:
        while True:
            try:
                m = t.next()
            except tarfile.ReadError:
                # the docker CLI's context with a Dockerfile added (ReplaceFileTarWrapper)
                # ends without the end-of-archive blocks; the engine reads it all the same
                break
            if m is None:
                break
            data = t.extractfile(m).read() if m.isfile() else None
            out.append((m.name, m.type, m.mode, m.uid, m.gid, m.linkname, data))
    return out


@pytest.fixture
def fake(tmp_path):
    e = FakeEngine(str(tmp_path / "engine.sock"))
    try:
        yield e
    finally:
        e.close()


def run(prog, fake, args, cwd, stdin=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "BERTH_"))}
    env.update({"DOCKER_HOST": "unix://" + fake.path, "HOME": str(cwd), "DOCKER_CONFIG":
                os.path.join(str(cwd), ".docker-config"), "BERTH_LIB_DIR": os.path.join(
                    os.path.dirname(harness.BIN_DIR), "lib", "berth")})
    env.update(env_extra or {})
    argv = ([harness.BERTH] if prog == "berth" else [harness.docker_cli()]) + ["build"] + args
    p = subprocess.run(argv, cwd=str(cwd), input=stdin, capture_output=True, env=env, timeout=60)
    return p.returncode, p.stdout.decode(), strip_deprecation(p.stderr.decode())


def strip_deprecation(err):
    """The docker CLI's notice that the legacy builder is deprecated (it has no buildx)."""
    return re.sub(r"DEPRECATED: The legacy builder.*?https://docs.docker.com/go/buildx/\n*", "",
                  err, flags=re.S)


def both(fake, args, cwd, **kw):
    """(docker's result, its request, berth's result, its request)"""
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    if not os.access(harness.BERTH, os.X_OK):
        pytest.skip("%s is not built" % harness.BERTH)
    fake.requests.clear()
    d = run("docker", fake, args, cwd, **kw)
    dreq = fake.requests[-1] if fake.requests else None
    fake.requests.clear()
    b = run("berth", fake, args, cwd, **kw)
    breq = fake.requests[-1] if fake.requests else None
    return d, dreq, b, breq


def make_context(root):
    ctx = root / "ctx"
    (ctx / "src" / "deep").mkdir(parents=True)
    (ctx / "logs").mkdir()
    (ctx / "node_modules" / "pkg").mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (ctx / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (ctx / "src" / "deep" / "x.txt").write_text("x\n")
    (ctx / "src" / "tool.sh").write_text("#!/bin/sh\n")
    os.chmod(ctx / "src" / "tool.sh", 0o755)
    (ctx / "logs" / "a.log").write_text("log\n")
    (ctx / "logs" / "keep.log").write_text("keep\n")
    (ctx / "node_modules" / "pkg" / "index.js").write_text("//\n")
    (ctx / "notes.md").write_text("notes\n")
    (ctx / "README.md").write_text("readme\n")
    os.symlink("src/main.c", ctx / "link")
    os.symlink("/nonexistent", ctx / "dangling")
    (ctx / ".dockerignore").write_text(
        "# comment\nnode_modules\n*.md\n!README.md\nlogs\n!logs/keep.log\n.dockerignore\n")
    return ctx


def names(req):
    return [m[0].rstrip("/") for m in req["members"]]


def by_name(req):
    return {m[0].rstrip("/"): m for m in req["members"]}


def test_build_sends_the_query_and_context_docker_sends(fake, tmp_path):
    ctx = make_context(tmp_path)
    args = ["-t", "app:1", "-t", "registry.example:5000/team/app", "--build-arg", "A=1",
            "--build-arg", "FROM_ENV", "--build-arg", "UNSET_ARG", "--label", "b=2", "--label",
            "a", "--target", "final", "--no-cache", "--pull", "--force-rm", "--rm=false",
            "--network", "host", "--cache-from", "x,y", "--platform", "Linux/AMD64", "ctx"]
    d, dreq, b, breq = both(fake, args, tmp_path, env_extra={"FROM_ENV": "v a&l"})
    assert d[0] == 0, d
    assert b[0] == 0, b
    assert breq["path"] == dreq["path"] == "/v1.41/build"
    assert breq["query"] == dreq["query"]
    # url.Values.Encode: the same bytes, keys sorted
    assert breq["rawquery"] == dreq["rawquery"]
    assert breq["headers"]["content-type"] == dreq["headers"]["content-type"]
    assert breq["headers"]["x-registry-config"] == dreq["headers"]["x-registry-config"]
    # the same members in the same order, with docker's owners, modes, link targets and data
    assert names(breq) == names(dreq)
    assert "node_modules" not in names(breq) and "logs" not in names(breq)
    assert "logs/keep.log" in names(breq) and "README.md" in names(breq)
    assert ".dockerignore" in names(breq) and "notes.md" not in names(breq)
    for n, dm in by_name(dreq).items():
        bm = by_name(breq)[n]
        assert bm[1:] == dm[1:], n
    assert b[1] == d[1]


def test_build_defaults_and_output(fake, tmp_path):
    ctx = make_context(tmp_path)
    d, dreq, b, breq = both(fake, ["ctx"], tmp_path)
    assert b[0] == d[0] == 0
    assert breq["rawquery"] == dreq["rawquery"] == "dockerfile=Dockerfile&version=1"
    assert names(breq) == names(dreq)
    # the context's size, then the engine's stream text as it is
    assert b[1] == d[1]
    assert "Successfully built 0123456789ab\n" in b[1]
    assert b[1].startswith("Sending build context to Docker daemon")


def test_build_dockerfile_in_a_subdirectory_ignored_still_sent(fake, tmp_path):
    ctx = make_context(tmp_path)
    (ctx / "build").mkdir()
    (ctx / "build" / "Dockerfile.dev").write_text("FROM scratch\n")
    with open(ctx / ".dockerignore", "a") as f:
        f.write("build\n")
    d, dreq, b, breq = both(fake, ["-f", "ctx/build/Dockerfile.dev", "ctx"], tmp_path)
    assert b[0] == d[0] == 0
    assert breq["query"]["dockerfile"] == dreq["query"]["dockerfile"] == ["build/Dockerfile.dev"]
    assert names(breq) == names(dreq)
    assert "build/Dockerfile.dev" in names(breq)


def test_build_dockerfile_outside_the_context_goes_in_under_a_random_name(fake, tmp_path):
    ctx = make_context(tmp_path)
    (tmp_path / "Outside.df").write_text("FROM scratch\n")
    d, dreq, b, breq = both(fake, ["-f", "Outside.df", "ctx"], tmp_path)
    assert d[0] == 0, d
    assert b[0] == 0, b
    for req in (dreq, breq):
        df = req["query"]["dockerfile"][0]
        assert re.fullmatch(r"\.dockerfile\.[0-9a-f]{20}", df), df
        m = by_name(req)
        assert m[df][6] == b"FROM scratch\n" and m[df][2] == 0o600
        assert m[".dockerignore"][6].decode().endswith("\n%s\n" % df)
    strip = lambda req: sorted(n for n in names(req) if not n.startswith(".dockerfile."))
    assert strip(breq) == strip(dreq)


def test_build_dockerfile_from_stdin(fake, tmp_path):
    ctx = make_context(tmp_path)
    os.remove(ctx / ".dockerignore")
    d, dreq, b, breq = both(fake, ["-f", "-", "ctx"], tmp_path, stdin=b"FROM scratch\nRUN x\n")
    assert d[0] == 0, d
    assert b[0] == 0, b
    df = breq["query"]["dockerfile"][0]
    m = by_name(breq)
    assert m[df][6] == b"FROM scratch\nRUN x\n"
    assert m[".dockerignore"][6] == (".dockerignore\n%s\n" % df).encode()
    strip = lambda req: sorted(n for n in names(req) if not n.startswith(".dockerfile."))
    assert strip(breq) == strip(dreq)


def test_build_context_tar_from_stdin(fake, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"FROM scratch\n"
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    d, dreq, b, breq = both(fake, ["-"], tmp_path, stdin=buf.getvalue())
    assert b[0] == d[0] == 0
    assert breq["rawquery"] == dreq["rawquery"] == "version=1"
    assert names(breq) == names(dreq) == ["Dockerfile"]


def test_build_dockerfile_text_on_stdin_is_the_context(fake, tmp_path):
    d, dreq, b, breq = both(fake, ["-"], tmp_path, stdin=b"FROM scratch\n")
    assert b[0] == d[0] == 0
    assert breq["rawquery"] == dreq["rawquery"]
    assert names(breq) == names(dreq) == ["Dockerfile"]
    assert by_name(breq)["Dockerfile"][6] == b"FROM scratch\n"


def test_build_quiet_prints_the_id_and_iidfile_gets_it(fake, tmp_path):
    make_context(tmp_path)
    d, dreq, b, breq = both(fake, ["-q", "--iidfile", "id.txt", "ctx"], tmp_path)
    assert b[0] == d[0] == 0
    assert breq["query"]["q"] == ["1"]
    assert b[1] == d[1] == IMAGE_ID + "\n"
    assert (tmp_path / "id.txt").read_text() == IMAGE_ID + "\n"


def test_build_iidfile_gets_the_aux_id(fake, tmp_path):
    make_context(tmp_path)
    (tmp_path / "id.txt").write_text("stale")
    rc, out, err = run("berth", fake, ["--iidfile", "id.txt", "ctx"], tmp_path)
    assert rc == 0, err
    assert (tmp_path / "id.txt").read_text() == IMAGE_ID


def test_build_error_message_goes_to_stderr_with_status_1(fake, tmp_path):
    make_context(tmp_path)
    fake.reply = lambda q: [
        {"stream": "Step 1/2 : FROM scratch\n"},
        {"errorDetail": {"message": "COPY failed: no source files"},
         "error": "COPY failed: no source files"},
    ]
    (tmp_path / "id.txt").write_text("stale")
    d, _, b, _ = both(fake, ["--iidfile", "id.txt", "ctx"], tmp_path)
    assert b == d
    assert b[0] == 1 and b[2] == "COPY failed: no source files\n"
    assert not (tmp_path / "id.txt").exists()


@pytest.mark.parametrize("args,setup", [
    (["missing"], None),
    (["ctx"], "no-dockerfile"),
    (["-f", "nope/Dockerfile", "ctx"], None),
    (["ctx"], "context-is-a-file"),
    (["-t", "Bad:tag", "ctx"], None),
    (["-t", "a:b:c", "ctx"], None),
    (["--build-arg", "=x", "ctx"], None),
    (["--label", "=x", "ctx"], None),
    (["-f", "-", "-"], None),
    ([], None),
])
def test_build_errors_read_as_dockers(fake, tmp_path, args, setup):
    ctx = make_context(tmp_path)
    if setup == "no-dockerfile":
        os.remove(ctx / "Dockerfile")
    if setup == "context-is-a-file":
        (tmp_path / "ctxfile").write_text("x")
        args = ["ctxfile"]
    d, dreq, b, breq = both(fake, args, tmp_path, stdin=b"")
    assert dreq is None and breq is None
    assert b[0] == d[0] and b[0] != 0
    berr = b[2].replace("berth", "docker").replace("Berth", "Docker")
    assert berr == d[2]
