"""berth build, the client side: what it sends to POST /build and how it shows the answer.

The docker CLI 28 (first on PATH, classic builder: it has no buildx) and berth build the same
context against one real berthd, through a recording proxy (recorder.Recorder) that keeps each
build request as sent: its query, headers and the context tar's members. The two requests must
be the same, and so must what the two clients printed. Where the builds are cached (a warm-up
build by the docker CLI, straight on the engine, comes first) the outputs are compared byte for
byte; builds with --no-cache make new image IDs, which are numbered in the order they appear
before the comparison.
"""
import io
import os
import re
import subprocess
import tarfile
import urllib.parse

import pytest

import harness
from recorder import Recorder


@pytest.fixture(scope="module")
def rec(shared_engine):
    r = Recorder(shared_engine.sb.path("build-proxy.sock"), shared_engine.sock)
    r.engine = shared_engine
    try:
        yield r
    finally:
        r.close()


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


def build_request(rec):
    """The last POST /build the proxy saw, or None."""
    for r in reversed(rec.raw):
        if r["method"] == "POST" and r["path"].endswith("/build"):
            return {"path": r["path"], "rawquery": r["rawquery"],
                    "query": urllib.parse.parse_qs(r["rawquery"], keep_blank_values=True),
                    "headers": r["headers"], "members": members(r["body"])}
    return None


def run(prog, rec, args, cwd, stdin=None, env_extra=None, direct=False):
    """prog ("docker" or "berth") build ARGS in cwd, through the proxy (or straight on the
    engine with direct=True): (exit status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "BERTH_"))}
    sock = rec.engine.sock if direct else rec.path
    env.update({"DOCKER_HOST": "unix://" + sock, "HOME": str(cwd), "DOCKER_CONFIG":
                os.path.join(str(cwd), ".docker-config"), "BERTH_LIB_DIR": os.path.join(
                    os.path.dirname(harness.BIN_DIR), "lib", "berth")})
    env.update(env_extra or {})
    argv = ([harness.BERTH] if prog == "berth" else [harness.docker_cli()]) + ["build"] + args
    p = subprocess.run(argv, cwd=str(cwd), input=stdin, capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout.decode(), strip_deprecation(p.stderr.decode())


def strip_deprecation(err):
    """The docker CLI's notice that the legacy builder is deprecated (it has no buildx)."""
    return re.sub(r"DEPRECATED: The legacy builder.*?https://docs.docker.com/go/buildx/\n*", "",
                  err, flags=re.S)


HEX_ID = re.compile(r"\b(?:sha256:)?[0-9a-f]{64}\b|\b[0-9a-f]{12}\b")


def number_ids(text):
    """IDs (64 or 12 hex digits) as <idN>, numbered in the order they first appear, a short one
    the same N as the long one it begins."""
    seen = []

    def token(m):
        h = m.group(0).replace("sha256:", "")
        for n, known in enumerate(seen):
            if known.startswith(h) or h.startswith(known):
                seen[n] = max(known, h, key=len)
                return "<id%d>" % n
        seen.append(h)
        return "<id%d>" % (len(seen) - 1)
    return HEX_ID.sub(token, text)


def both(rec, args, cwd, warm=True, **kw):
    """(docker's result, its request, berth's result, its request). With warm, the docker CLI
    builds the same first, straight on the engine, so that both builds find every step cached."""
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    if not os.access(harness.BERTH, os.X_OK):
        pytest.skip("%s is not built" % harness.BERTH)
    if warm:
        run("docker", rec, args, cwd, direct=True, **kw)
    del rec.raw[:]
    d = run("docker", rec, args, cwd, **kw)
    dreq = build_request(rec)
    del rec.raw[:]
    b = run("berth", rec, args, cwd, **kw)
    breq = build_request(rec)
    assert not rec.errors, rec.errors
    return d, dreq, b, breq


def after_size(out):
    """The output after "Sending build context to Docker daemon  N kB". Where the Dockerfile is
    added to the context (-f outside it, or -f -), the docker CLI sends its tar cut short
    (ReplaceFileTarWrapper: the last member unpadded, no end-of-archive blocks), and counts
    those bytes; berth sends the whole tar, 1 to 2 kB more, and counts those."""
    first, _, rest = out.partition("\n")
    assert first.startswith("Sending build context to Docker daemon"), out
    return rest


def make_context(root):
    ctx = root / "ctx"
    (ctx / "src" / "deep").mkdir(parents=True)
    (ctx / "logs").mkdir()
    (ctx / "node_modules" / "pkg").mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM scratch AS final\nCOPY . /\n")
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


def test_build_sends_the_query_and_context_docker_sends(rec, tmp_path):
    make_context(tmp_path)
    args = ["-t", "app:1", "-t", "registry.example:5000/team/app", "--build-arg", "A=1",
            "--build-arg", "FROM_ENV", "--build-arg", "UNSET_ARG", "--label", "b=2", "--label",
            "a", "--target", "final", "--no-cache", "--pull", "--force-rm", "--rm=false",
            "--network", "host", "--platform", "Linux/AMD64", "ctx"]
    d, dreq, b, breq = both(rec, args, tmp_path, warm=False, env_extra={"FROM_ENV": "v a&l"})
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
    # --no-cache: each build made an image of its own; the output is the same but for the IDs
    assert number_ids(b[1]) == number_ids(d[1])
    assert "Successfully tagged registry.example:5000/team/app:latest\n" in b[1]
    # what the engine made of the request: berth's build, tagged last, has the labels
    r = rec.engine.docker("inspect", "-f", "{{json .Config.Labels}}", "app:1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '{"a":"","b":"2"}'
    r = rec.engine.docker("inspect", "-f", "{{.Id}}", "registry.example:5000/team/app")
    assert number_ids(r.stdout) == "<id0>\n" and r.stdout.strip()[7:19] in b[1]


def test_build_cached_output_is_dockers_byte_for_byte(rec, tmp_path):
    make_context(tmp_path)
    d, dreq, b, breq = both(rec, ["-t", "cached:1", "ctx"], tmp_path)
    assert b[0] == d[0] == 0, (d, b)
    assert breq["rawquery"] == dreq["rawquery"] == "dockerfile=Dockerfile&t=cached%3A1&version=1"
    assert names(breq) == names(dreq)
    # the context's size, then the engine's stream text as it is
    assert b[1] == d[1]
    assert b[1].startswith("Sending build context to Docker daemon")
    assert " ---> Using cache\n" in b[1]
    assert re.search(r"Successfully built [0-9a-f]{12}\nSuccessfully tagged cached:1\n$", b[1])


def test_build_dockerfile_in_a_subdirectory_ignored_still_sent(rec, tmp_path):
    ctx = make_context(tmp_path)
    (ctx / "build").mkdir()
    (ctx / "build" / "Dockerfile.dev").write_text("FROM scratch\nLABEL dev=1\n")
    with open(ctx / ".dockerignore", "a") as f:
        f.write("build\n")
    d, dreq, b, breq = both(rec, ["-f", "ctx/build/Dockerfile.dev", "ctx"], tmp_path)
    assert b[0] == d[0] == 0, (d, b)
    assert breq["query"]["dockerfile"] == dreq["query"]["dockerfile"] == ["build/Dockerfile.dev"]
    assert names(breq) == names(dreq)
    assert "build/Dockerfile.dev" in names(breq)
    assert b[1] == d[1] and "Step 2/2 : LABEL dev=1\n" in b[1]


def test_build_dockerfile_outside_the_context_goes_in_under_a_random_name(rec, tmp_path):
    make_context(tmp_path)
    (tmp_path / "Outside.df").write_text("FROM scratch\nCOPY src /src\n")
    d, dreq, b, breq = both(rec, ["-f", "Outside.df", "ctx"], tmp_path)
    assert d[0] == 0, d
    assert b[0] == 0, b
    for req in (dreq, breq):
        df = req["query"]["dockerfile"][0]
        assert re.fullmatch(r"\.dockerfile\.[0-9a-f]{20}", df), df
        m = by_name(req)
        assert m[df][6] == b"FROM scratch\nCOPY src /src\n" and m[df][2] == 0o600
        assert m[".dockerignore"][6].decode().endswith("\n%s\n" % df)
    strip = lambda req: sorted(n for n in names(req) if not n.startswith(".dockerfile."))
    assert strip(breq) == strip(dreq)
    assert after_size(b[1]) == after_size(d[1]) and "Step 2/2 : COPY src /src\n" in b[1]


def test_build_dockerfile_from_stdin(rec, tmp_path):
    ctx = make_context(tmp_path)
    os.remove(ctx / ".dockerignore")
    df = b"FROM scratch\nLABEL from=stdin\n"
    d, dreq, b, breq = both(rec, ["-f", "-", "ctx"], tmp_path, stdin=df)
    assert d[0] == 0, d
    assert b[0] == 0, b
    name = breq["query"]["dockerfile"][0]
    m = by_name(breq)
    assert m[name][6] == df
    assert m[".dockerignore"][6] == (".dockerignore\n%s\n" % name).encode()
    strip = lambda req: sorted(n for n in names(req) if not n.startswith(".dockerfile."))
    assert strip(breq) == strip(dreq)
    assert after_size(b[1]) == after_size(d[1]) and "Step 2/2 : LABEL from=stdin\n" in b[1]


def test_build_context_tar_from_stdin(rec, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"FROM scratch\nLABEL from=tar\n"
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    d, dreq, b, breq = both(rec, ["-"], tmp_path, stdin=buf.getvalue())
    assert b[0] == d[0] == 0, (d, b)
    assert breq["rawquery"] == dreq["rawquery"] == "version=1"
    assert names(breq) == names(dreq) == ["Dockerfile"]
    assert b[1] == d[1] and "Step 2/2 : LABEL from=tar\n" in b[1]


def test_build_dockerfile_text_on_stdin_is_the_context(rec, tmp_path):
    d, dreq, b, breq = both(rec, ["-"], tmp_path, stdin=b"FROM scratch\nLABEL from=text\n")
    assert b[0] == d[0] == 0, (d, b)
    assert breq["rawquery"] == dreq["rawquery"]
    assert names(breq) == names(dreq) == ["Dockerfile"]
    assert by_name(breq)["Dockerfile"][6] == b"FROM scratch\nLABEL from=text\n"
    assert b[1] == d[1]


def test_build_quiet_prints_the_id_and_iidfile_gets_it(rec, tmp_path):
    make_context(tmp_path)
    d, dreq, b, breq = both(rec, ["-q", "--iidfile", "id.txt", "ctx"], tmp_path)
    assert b[0] == d[0] == 0, (d, b)
    assert breq["query"]["q"] == ["1"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", b[1]), b[1]
    assert b[1] == d[1]
    r = rec.engine.docker("inspect", "-f", "{{.Id}}", b[1].strip())
    assert r.stdout == b[1]
    # with -q the docker CLI writes the stream's text, newline and all
    assert (tmp_path / "id.txt").read_text() == b[1]
    run("docker", rec, ["-q", "--iidfile", "docker-id.txt", "ctx"], tmp_path)
    assert (tmp_path / "docker-id.txt").read_text() == b[1]


def test_build_iidfile_gets_the_image_id(rec, tmp_path):
    make_context(tmp_path)
    (tmp_path / "id.txt").write_text("stale")
    rc, out, err = run("berth", rec, ["-t", "iid:1", "--iidfile", "id.txt", "ctx"], tmp_path)
    assert rc == 0, err
    r = rec.engine.docker("inspect", "-f", "{{.Id}}", "iid:1")
    assert (tmp_path / "id.txt").read_text() == r.stdout.strip()


def test_build_error_message_goes_to_stderr_with_status_1(rec, tmp_path):
    ctx = make_context(tmp_path)
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY nothere /\n")
    (tmp_path / "id.txt").write_text("stale")
    d, _, b, _ = both(rec, ["--iidfile", "id.txt", "ctx"], tmp_path, warm=False)
    assert b == d
    assert b[0] == 1
    assert b[2].startswith("COPY failed: "), b[2]
    assert "nothere" in b[2]
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
def test_build_errors_read_as_dockers(rec, tmp_path, args, setup):
    ctx = make_context(tmp_path)
    if setup == "no-dockerfile":
        os.remove(ctx / "Dockerfile")
    if setup == "context-is-a-file":
        (tmp_path / "ctxfile").write_text("x")
        args = ["ctxfile"]
    d, dreq, b, breq = both(rec, args, tmp_path, warm=False, stdin=b"")
    assert dreq is None and breq is None
    assert b[0] == d[0] and b[0] != 0
    berr = b[2].replace("berth", "docker").replace("Berth", "Docker")
    assert berr == d[2]
