# SPDX-License-Identifier: Apache-2.0
"""Volumes through the docker CLI and berth: create (named, anonymous, labels, options), ls
with filters and formats, inspect, rm, prune, volumes in use by a container, with dockerd's
errors and the docker CLI's.
Each case runs with both clients; the comparisons run the same commands with both against one
engine and want the same stdout, stderr and exit code. `volume prune` is also driven against a
small fake engine that answers as the API spec says, so that its request (the filters), its
question and its report are checked apart from what berthd decides to prune."""
import http.server
import json
import os
import re
import socketserver
import subprocess
import threading
import urllib.parse
import uuid

import pytest

import harness


@pytest.fixture(params=["docker", "berth"])
def docker(request, shared_engine):
    """The client under test: the docker CLI, then berth, against the module's engine."""
    return getattr(shared_engine, request.param)


@pytest.fixture
def vols(shared_engine):
    """Names for this test's volumes; all of them are removed afterwards (by the docker CLI,
    so that a broken berth cannot leave volumes behind)."""
    made = []

    def make(prefix="v"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        shared_engine.docker("volume", "rm", "-f", *made)


def test_create_inspect_rm(docker, shared_engine, vols):
    name = vols()
    r = docker("volume", "create", name)
    assert r.returncode == 0 and r.stdout == name + "\n", r.stderr
    v = json.loads(docker("volume", "inspect", name).stdout)[0]
    assert v["Name"] == name and v["Driver"] == "local" and v["Scope"] == "local"
    assert v["Mountpoint"].endswith("/volumes/%s/_data" % name)
    assert os.path.isdir(v["Mountpoint"])
    assert v["CreatedAt"].endswith("Z")
    # creating it again hands back the same volume, as dockerd does
    assert docker("volume", "create", name).stdout == name + "\n"
    assert docker("volume", "rm", name).stdout == name + "\n"
    assert not os.path.exists(v["Mountpoint"])
    r = docker("volume", "inspect", name)
    assert r.returncode == 1 and "get %s: no such volume" % name in r.stderr
    r = docker("volume", "rm", name)
    assert r.returncode == 1 and "get %s: no such volume" % name in r.stderr
    assert docker("volume", "rm", "-f", name).returncode == 0


def test_anonymous_volume_gets_a_random_name(docker):
    r = docker("volume", "create")
    assert r.returncode == 0, r.stderr
    name = r.stdout.strip()
    assert len(name) == 64 and all(c in "0123456789abcdef" for c in name)
    assert docker("volume", "rm", name).returncode == 0


def test_create_with_labels_and_options(docker, vols):
    name = vols()
    r = docker("volume", "create", "--label", "tier=db", "--label", "empty", "--label",
               "tier=web", "-o", "type=tmpfs", "--opt", "device=tmpfs", "-o", "o=size=1m", "-d",
               "local", "--name", name)
    assert r.returncode == 0 and r.stdout == name + "\n", r.stderr
    v = json.loads(docker("volume", "inspect", name).stdout)[0]
    assert v["Labels"] == {"tier": "web", "empty": ""}
    assert v["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


def test_ls_with_filters(docker, vols):
    a, b = vols("a"), vols("b")
    assert docker("volume", "create", "--label", "tier=db", a).returncode == 0
    assert docker("volume", "create", "--label", "tier=web", b).returncode == 0
    names = docker("volume", "ls", "-q").stdout.split()
    assert a in names and b in names
    assert docker("volume", "ls", "-q", "-f", "label=tier=db").stdout.split() == [a]
    assert docker("volume", "ls", "-q", "-f", "name=%s" % b).stdout.split() == [b]
    assert a in docker("volume", "ls", "-q", "-f", "driver=local").stdout.split()
    r = docker("volume", "ls", "-f", "bogus=1")
    assert r.returncode == 1 and "invalid filter 'bogus'" in r.stderr
    table = docker("volume", "ls").stdout.splitlines()
    assert table[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert "local     %s" % a in table


def test_ls_sorts_names_naturally(docker, vols):
    p = vols("nat")
    names = ["%s-%s" % (p, s) for s in ("v10", "v2", "V1", "v02", "v1a", "1")]
    for n in names:
        assert docker("volume", "create", n).returncode == 0
    try:
        r = docker("volume", "ls", "-q", "-f", "name=%s-" % p)
        assert r.stdout.split() == ["%s-%s" % (p, s) for s in ("1", "V1", "v1a", "v2", "v02",
                                                               "v10")]
    finally:
        docker("volume", "rm", *names)


@pytest.mark.parametrize("args,message", [
    (["x"], "volume name is too short, names should be at least two alphanumeric characters"),
    (["a/b"], "\"a/b\" includes invalid characters for a local volume name, only "
              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
              "directory, use absolute path"),
    (["-d", "nfs-plugin", "v1"], "error looking up volume plugin nfs-plugin: plugin "
                                 "\"nfs-plugin\" not found"),
])
def test_bad_volumes_are_refused_in_dockerds_words(docker, args, message):
    r = docker("volume", "create", *args)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize("args,code,message", [
    (["volume", "create", "--name", "a1", "b1"], 1,
     "conflicting options: cannot specify a volume-name through both --name and as a "
     "positional arg\n"),
    (["volume", "create", "--label", "=x"], 125,
     "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name\n"),
    (["volume", "create", "--label", "a b=c"], 125,
     "invalid argument \"a b=c\" for \"--label\" flag: label 'a b' contains whitespaces\n"),
    (["volume", "create", "a1", "b1"], 1, "'{prog} volume create' requires at most 1 argument"),
    (["volume", "ls", "-f", "nofilter"], 125,
     "invalid argument \"nofilter\" for \"-f, --filter\" flag: bad format of filter (expected "
     "name=value)\n"),
    (["volume", "ls", "x"], 1, "'{prog} volume ls' accepts no arguments"),
    (["volume", "inspect"], 1, "'{prog} volume inspect' requires at least 1 argument"),
    (["volume", "inspect", " "], 1, "invalid volume name or ID: value is empty\n"),
    (["volume", "rm", ""], 1, "invalid volume name or ID: value is empty\n"),
    (["volume", "prune", "x"], 1, "'{prog} volume prune' accepts no arguments"),
    (["volume", "nope"], 1, "unknown command: {prog} volume nope\n\nUsage:  {prog} volume "
                            "COMMAND\n"),
])
def test_command_line_errors_in_the_docker_clis_words(docker, shared_engine, args, code,
                                                      message):
    prog = "docker" if docker == shared_engine.docker else "berth"
    r = docker(*args)
    assert r.returncode == code, r.stderr
    assert message.format(prog=prog) in r.stderr, r.stderr


# ---- berth against docker, one engine ----

def norm(text):
    """The program's name as a word (not in com.docker.* labels or berth-e2e paths)."""
    return re.sub(r"\b(docker|berth)\b(?![.-])", "<prog>", text)


def same(shared_engine, *args, input=None):
    """Run args with both clients; their stdout, stderr and exit code must be the same."""
    got = {}
    for client in ("docker", "berth"):
        r = getattr(shared_engine, client)(*args, input=input)
        got[client] = (r.returncode, norm(r.stdout), norm(r.stderr))
    assert got["berth"] == got["docker"], "berth and docker differ on %r" % (args,)
    return got["docker"]


def test_berth_lists_and_inspects_as_docker_does(shared_engine, vols):
    p = vols("cmp")
    a, b = p + "-a2", p + "-a10"
    vols_made = [a, b]
    d = shared_engine.docker
    try:
        assert d("volume", "create", "--label", "tier=<db>", "-o", "type=tmpfs", "-o",
                 "device=tmpfs", a).returncode == 0
        assert d("volume", "create", b).returncode == 0
        flt = ("-f", "name=%s-" % p)
        rc, out, _ = same(shared_engine, "volume", "ls", *flt)
        assert rc == 0 and out.splitlines() == ["DRIVER    VOLUME NAME", "local     " + a,
                                                "local     " + b]
        same(shared_engine, "volume", "ls", "-q", *flt)
        rc, out, _ = same(shared_engine, "volume", "ls", "--format", "json", *flt)
        assert json.loads(out.splitlines()[0])["Labels"] == "tier=<db>"
        assert "\\u003cdb\\u003e" in out  # docker's MarshalJSON escapes HTML
        same(shared_engine, "volume", "ls", "--format", "raw", *flt)
        same(shared_engine, "volume", "ls", "-q", "--format", "table", *flt)
        same(shared_engine, "volume", "ls", *flt, "--format",
             "table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Mountpoint}}\t{{.Labels}}\t"
             "{{.Label \"tier\"}}\t{{.Links}}\t{{.Size}}")
        same(shared_engine, "volume", "ls", *flt, "--format", "{{.Name}}: {{.Label \"tier\"}}")
        rc, _, err = same(shared_engine, "volume", "ls", *flt, "--format", "{{.Nope}}")
        assert rc == 1 and "can't evaluate field Nope" in err
        same(shared_engine, "volume", "ls", "-f", "label=tier=<db>", "-f", "name=" + p)

        rc, out, _ = same(shared_engine, "volume", "inspect", a, b)
        assert rc == 0 and out.startswith("[\n    {\n        \"CreatedAt\": ")
        rc, out, err = same(shared_engine, "volume", "inspect", a, p + "-missing", b)
        assert rc == 1 and len(json.loads(out)) == 2
        assert err == "Error response from daemon: get %s-missing: no such volume\n" % p
        same(shared_engine, "volume", "inspect", "-f", "json", a, b)
        same(shared_engine, "volume", "inspect", "-f", "{{json .}}", a)
        same(shared_engine, "volume", "inspect", "-f", "{{.}}", a)
        same(shared_engine, "volume", "inspect", "-f",
             "{{.Name}} {{.Labels}} {{.Options}} {{index .Labels \"tier\"}} {{.UsageData}} "
             "{{.Status}} {{json .Labels}}", a, b)
        rc, out, err = same(shared_engine, "volume", "inspect", "-f", "{{.Nope}}", a)
        assert rc == 1 and "can't evaluate field Nope in type volume.Volume" in err
        rc, _, _ = same(shared_engine, "volume", "inspect", "-f", "{{.Name", a)
        assert rc == 64
        same(shared_engine, "volume", "inspect", p + "-missing")
    finally:
        d("volume", "rm", "-f", *vols_made)


def test_berth_removes_as_docker_does(shared_engine, vols):
    p = vols("rm")
    outs = {}
    for client in ("docker", "berth"):
        names = ["%s-%s-%d" % (p, client, i) for i in range(2)]
        for n in names:
            assert shared_engine.docker("volume", "create", n).returncode == 0
        r = getattr(shared_engine, client)("volume", "rm", names[0], p + "-missing", names[1],
                                           p + "-gone")
        outs[client] = (r.returncode, r.stdout.replace(client, "<c>"),
                        r.stderr.replace(client, "<c>"))
        assert shared_engine.docker("volume", "ls", "-q", "-f", "name=" + p).stdout == ""
    assert outs["berth"] == outs["docker"]
    rc, out, err = outs["docker"]
    assert rc == 1 and out == "%s-<c>-0\n%s-<c>-1\n" % (p, p)
    assert err == ("Error response from daemon: get %s-missing: no such volume\n"
                   "Error response from daemon: get %s-gone: no such volume\n" % (p, p))
    same(shared_engine, "volume", "rm", "-f", p + "-missing")


def test_volumes_in_use_as_docker_shows_them(shared_engine, vols):
    """A container's named and anonymous volumes: not dangling, not removable, not pruned."""
    p = vols("use")
    named, ctr = p + "-named", "c-" + p
    d = shared_engine.docker
    r = d("create", "--name", ctr, "-v", named + ":/data", "-v", "/anon", "busybox", "true")
    assert r.returncode == 0, r.stderr
    try:
        mounts = json.loads(d("inspect", "-f", "{{json .Mounts}}", ctr).stdout)
        anon = [m["Name"] for m in mounts if m["Destination"] == "/anon"][0]
        rc, _, err = same(shared_engine, "volume", "rm", named)
        assert rc == 1 and "remove %s: volume is in use - [" % named in err
        rc, _, err = same(shared_engine, "volume", "rm", "-f", anon)
        assert rc == 1 and "volume is in use" in err
        rc, out, _ = same(shared_engine, "volume", "ls", "-q", "-f", "dangling=false")
        assert named in out.split() and anon in out.split()
        rc, out, _ = same(shared_engine, "volume", "ls", "-q", "-f", "dangling=true", "-f",
                          "name=" + p)
        assert out == ""
        rc, out, _ = same(shared_engine, "volume", "ls", "-f", "name=" + anon, "--format",
                          "{{.Name}} {{.Labels}} {{.Links}}")
        assert out == "%s com.docker.volume.anonymous= N/A\n" % anon
        same(shared_engine, "volume", "inspect", anon, named)
        rc, out, _ = same(shared_engine, "volume", "prune", "-f", "--filter",
                          "label=com.docker.volume.anonymous")
        assert out == "Total reclaimed space: 0B\n"
        assert d("volume", "inspect", anon, named).returncode == 0
    finally:
        d("rm", "-v", ctr)
        d("volume", "rm", "-f", named)


def test_help_as_docker_prints_it(shared_engine):
    """The group's help; of the commands' only create's: docker's show aliases (ls, list) and
    wrap long flag texts, which berth's help does for no command."""
    rc, out, err = same(shared_engine, "volume")
    assert rc == 0 and out == "" and err.startswith("Usage:  <prog> volume COMMAND\n")
    same(shared_engine, "volume", "--help")
    same(shared_engine, "volume", "create", "--help")


def test_bash_completes_volume_names(shared_engine, vols):
    name = vols("compl")
    assert shared_engine.docker("volume", "create", name).returncode == 0
    script = shared_engine.berth("completion", "bash").stdout + """
COMP_WORDS=(berth volume rm %s); COMP_CWORD=3; _berth; echo "${COMPREPLY[*]}"
COMP_WORDS=(berth volume inspect %s); COMP_CWORD=3; _berth; echo "${COMPREPLY[*]}"
COMP_WORDS=(berth volume create %s); COMP_CWORD=3; _berth; echo "${COMPREPLY[*]}"
""" % ((name[:-3],) * 3)
    env = shared_engine.env()
    env["PATH"] = harness.BIN_DIR + os.pathsep + env.get("PATH", "")
    r = shared_engine.sb.run(["bash", "-c", script], env=env)
    assert r.stdout.split("\n")[:3] == [name, name, ""], r.stderr


# ---- volume prune ----

def test_prune_question_can_be_declined(docker, vols):
    r = docker("volume", "prune", input="n\n")
    assert r.returncode == 0 and r.stderr == ""
    # an engine of API 1.41 prunes named volumes too, and the docker CLI warns so
    assert r.stdout == ("WARNING! This will remove all local volumes not used by at least one "
                        "container.\nAre you sure you want to continue? [y/N] ")


def test_prune_on_the_engine_as_docker_does(shared_engine, vols):
    """Anonymous (labelled com.docker.volume.anonymous, as containers make them) and named
    volumes, pruned with a label filter that only this test's volumes have."""
    p = vols("prune")
    d = shared_engine.docker
    outs = {}
    for client in ("docker", "berth"):
        tag = "t=%s-%s" % (p, client)
        anon = d("volume", "create", "--label", "com.docker.volume.anonymous=", "--label",
                 tag).stdout.strip()
        named = "%s-%s" % (p, client)
        assert d("volume", "create", "--label", tag, named).returncode == 0
        try:
            run = getattr(shared_engine, client)
            r1 = run("volume", "prune", "--filter", "label=" + tag, input="y\n")
            r2 = run("volume", "prune", "-f", "--filter", "label=" + tag)
            left = d("volume", "ls", "-q", "-f", "label=" + tag).stdout.split()
            outs[client] = [(r.returncode, r.stdout.replace(anon, "<anon>").replace(client, "<c>"),
                             r.stderr) for r in (r1, r2)] + [left == [], anon in r1.stdout]
        finally:
            d("volume", "rm", "-f", anon, named)
    assert outs["berth"] == outs["docker"]
    first = outs["docker"][0]
    assert first[0] == 0 and "Deleted Volumes:\n" in first[1] and "<anon>\n" in first[1]
    assert re.search(r"\n\nTotal reclaimed space: \S+B\n$", first[1]), first[1]
    assert outs["docker"][3], "the anonymous volume was not pruned"
    # API 1.41: the question says "all local volumes", and the named one goes too
    assert outs["docker"][2], "the named volume was not pruned"


def test_prune_all_on_the_engine(shared_engine, vols):
    """berth's -a (which the docker CLI only sends to engines of API 1.42 and later) asks for
    all=true: named volumes go too."""
    named = vols("prune-all")
    assert shared_engine.docker("volume", "create", "--label", "t=" + named,
                                named).returncode == 0
    r = shared_engine.berth("volume", "prune", "-a", "-f", "--filter", "label=t=" + named)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Deleted Volumes:\n%s\n\nTotal reclaimed space: 0B\n" % named
    assert shared_engine.docker("volume", "inspect", named).returncode == 1


class FakeEngine:
    """An engine that only answers /_ping and POST /volumes/prune, as the API spec (v1.41)
    has them, on a unix socket; it keeps the filters of each prune request."""

    def __init__(self, path):
        self.path = path
        self.filters = []
        self.status = 200
        self.answer = {"VolumesDeleted": [], "SpaceReclaimed": 0}
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Api-Version", "1.41")
                self.send_header("Ostype", "linux")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) if self.command != "HEAD"
                                                       else 0))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def do_HEAD(self):
                self.reply(200, None)

            def do_GET(self):
                if self.path.endswith("/_ping"):
                    self.send_response(200)
                    self.send_header("Api-Version", "1.41")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                self.reply(404, {"message": "page not found"})

            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                if not url.path.endswith("/volumes/prune"):
                    self.reply(404, {"message": "page not found"})
                    return
                q = urllib.parse.parse_qs(url.query)
                engine.filters.append(json.loads(q["filters"][0]) if "filters" in q else {})
                if engine.status != 200:
                    self.reply(engine.status, {"message": "boom"})
                else:
                    self.reply(200, engine.answer)

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def run(self, client, *args, input=None):
        env = dict(os.environ)
        for k in ("DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                  "BERTH_HOST", "BERTH_CONTEXT"):
            env.pop(k, None)
        d = os.path.dirname(self.path)
        env.update(DOCKER_HOST="unix://" + self.path, DOCKER_CONFIG=os.path.join(d, "docker"),
                   BERTH_CONFIG=os.path.join(d, "berth"))
        prog = harness.docker_cli() if client == "docker" else harness.BERTH
        return subprocess.run([prog] + list(args), env=env, input=input, capture_output=True,
                              text=True, timeout=60)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake(tmp_path):
    if not os.access(harness.BERTH, os.X_OK):
        pytest.skip("%s is not built (cmake --build build)" % harness.BERTH)
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    f = FakeEngine(str(tmp_path / "fake.sock"))
    yield f
    f.close()


def test_prune_request_and_report(fake):
    fake.answer = {"VolumesDeleted": ["anon1", "v-2"], "SpaceReclaimed": 1500}
    got = {}
    for client in ("docker", "berth"):
        r = fake.run(client, "volume", "prune", "-f", "--filter", "label=a=b", "--filter",
                     "Label!=c")
        got[client] = (r.returncode, r.stdout, r.stderr, fake.filters[-1])
    assert got["berth"] == got["docker"]
    assert got["berth"] == (0, "Deleted Volumes:\nanon1\nv-2\n\nTotal reclaimed space: 1.5kB\n",
                            "", {"label": {"a=b": True}, "label!": {"c": True}})


def test_prune_asks_and_reports_nothing_deleted(fake):
    fake.answer = {"VolumesDeleted": None, "SpaceReclaimed": 0}
    question = ("WARNING! This will remove all local volumes not used by at least one "
                "container.\nAre you sure you want to continue? [y/N] ")
    for answer, asked in (("n\n", False), ("\n", False), ("", False), (" Y \n", True),
                          ("y\n", True), ("yes\n", False)):
        got = {}
        for client in ("docker", "berth"):
            n = len(fake.filters)
            r = fake.run(client, "volume", "prune", input=answer)
            got[client] = (r.returncode, r.stdout, r.stderr, len(fake.filters) - n)
        assert got["berth"] == got["docker"], answer
        assert got["berth"] == (0, question + ("Total reclaimed space: 0B\n" if asked else ""),
                                "", 1 if asked else 0), answer


def test_prune_all_sends_the_all_filter(fake):
    r = fake.run("berth", "volume", "prune", "-a", "-f", "--filter", "label=x")
    assert r.returncode == 0, r.stderr
    assert fake.filters[-1] == {"all": {"true": True}, "label": {"x": True}}
    r = fake.run("berth", "volume", "prune", "-a", input="y\n")
    assert r.stdout.startswith("WARNING! This will remove all local volumes not used by at "
                               "least one container.\n")
    n = len(fake.filters)
    r = fake.run("berth", "volume", "prune", "-a", "--filter", "all=false", "-f")
    assert r.returncode == 1
    assert r.stderr == "conflicting options: cannot specify both --all and --filter all=1\n"
    assert len(fake.filters) == n


def test_prune_errors_as_docker_prints_them(fake):
    fake.status = 500
    got = {}
    for client in ("docker", "berth"):
        r = fake.run(client, "volume", "prune", "-f")
        got[client] = (r.returncode, r.stdout, r.stderr)
    assert got["berth"] == got["docker"] == (1, "", "Error response from daemon: boom\n")
    r = fake.run("berth", "volume", "prune", "--filter", "nope")
    assert r.returncode == 125
    assert r.stderr.startswith("invalid argument \"nope\" for \"--filter\" flag: bad format of "
                               "filter (expected name=value)\n")
