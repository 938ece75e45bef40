# SPDX-License-Identifier: Apache-2.0
"""docker build through the classic API (POST /build), as the docker CLI without buildx sends
it: steps and their output, the built image's config and history, COPY/ADD, the cache,
multi-stage builds, and dockerd's errors."""
import json
import os
import uuid

import pytest

# The clients that build: the docker CLI (no buildx plugin: the classic builder) and berth.
CLIENTS = ["docker", "berth"]


@pytest.fixture(params=CLIENTS)
def build(request, shared_engine, tmp_path):
    """build(files, *flags) -> (CompletedProcess, output): write the context, run the client's
    build in it (the docker CLI has no buildx here, so it takes the classic API)."""
    counter = [0]

    def run(files, *flags, expect_ok=True, input=None):
        """"{ctx}" in a flag is the context's path; input: the client's stdin (-f -)."""
        counter[0] += 1
        ctx = tmp_path / ("ctx%d" % counter[0])
        ctx.mkdir()
        for name, content in files.items():
            p = ctx / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        env_flags = [f.replace("{ctx}", str(ctx)) for f in flags]
        client = shared_engine.docker if request.param == "docker" else shared_engine.berth
        r = client("build", *env_flags, str(ctx), timeout=120, input=input)
        out = r.stdout + r.stderr
        if expect_ok:
            assert r.returncode == 0, out
        return r, out

    return run


def tag():
    return "bt-%s" % uuid.uuid4().hex[:10]


def inspect(docker, name):
    r = docker("image", "inspect", name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)[0]


def history(docker, name):
    r = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", name)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


SEVEN = """FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY hello.txt .
RUN echo "$GREETING from run" > /app/run.txt
RUN for i in $(seq 1 100); do echo $i > /app/f$i; done
CMD ["cat", "/app/hello.txt"]
"""


def test_build_config_steps_run_and_copy(build, docker):
    t = tag()
    r, out = build({"Dockerfile": SEVEN, "hello.txt": "hi there\n"}, "-t", t)
    assert "Step 1/7 : FROM busybox" in out
    assert "Step 5/7 : RUN echo" in out
    assert " ---> Running in " in out
    assert "Removing intermediate container " in out
    assert "Successfully built " in out
    assert "Successfully tagged %s:latest" % t in out
    # config-only steps start no container
    env_step = out.split("Step 2/7")[1].split("Step 3/7")[0]
    assert "Running in" not in env_step
    img = inspect(docker, t)
    assert "GREETING=hello" in img["Config"]["Env"]
    assert img["Config"]["WorkingDir"] == "/app"
    assert img["Config"]["Cmd"] == ["cat", "/app/hello.txt"]
    h = history(docker, t)
    assert h[0] == '/bin/sh -c #(nop)  CMD ["cat" "/app/hello.txt"]'
    assert '/bin/sh -c #(nop)  ENV GREETING=hello' in h
    assert any(x.startswith("/bin/sh -c #(nop) COPY file:") and x.endswith(" in . ") for x in h)
    r = docker("run", "--rm", t)
    assert r.stdout == "hi there\n", r.stderr
    r = docker("run", "--rm", t, "cat", "/app/run.txt", "/app/f100")
    assert r.stdout == "hello from run\n100\n", r.stderr
    docker("rmi", t)


def test_build_cache_reuses_every_step_and_nocache_does_not(build, docker):
    t = tag()
    # content of its own: the other client's run of this test must not have cached it
    files = {"Dockerfile": SEVEN, "hello.txt": "cached %s\n" % t}
    _, out1 = build(files, "-t", t)
    _, out2 = build(files, "-t", t)
    assert out2.count(" ---> Using cache") == 6, out2
    assert "Running in" not in out2
    id1 = out1.split("Successfully built ")[1][:12]
    id2 = out2.split("Successfully built ")[1][:12]
    assert id1 == id2
    _, out3 = build(dict(files, **{"hello.txt": "changed %s\n" % t}), "-t", t)
    assert out3.count(" ---> Using cache") == 2, out3  # ENV, WORKDIR; COPY's hash differs
    _, out4 = build(files, "--no-cache", "-t", t)
    assert "Using cache" not in out4
    assert out4.split("Successfully built ")[1][:12] != id1
    docker("rmi", t)


def test_build_failing_run_reports_the_code(build, docker):
    r, out = build({"Dockerfile": "FROM busybox\nRUN exit 23\n"}, expect_ok=False)
    assert r.returncode != 0
    assert "The command '/bin/sh -c exit 23' returned a non-zero code: 23" in out


def test_build_parse_error_names_the_line(build):
    r, out = build({"Dockerfile": "FROM busybox\nRUN true\nNOINSTRUCTION x\n"}, expect_ok=False)
    assert r.returncode != 0
    assert "line 3" in out and "unknown instruction" in out.lower()


def test_build_missing_dockerfile_and_sources(build):
    r, out = build({"Dockerfile": "FROM busybox\n"}, "-f", "Nope", expect_ok=False)
    assert r.returncode != 0
    r, out = build({"Dockerfile": "FROM busybox\nCOPY missing.txt /\n"}, expect_ok=False)
    assert "file not found in build context" in out
    r, out = build({"Dockerfile": "FROM busybox\nCOPY ../x /\n"}, expect_ok=False)
    assert "forbidden path outside the build context" in out
    r, out = build({"Dockerfile": "FROM busybox\nCOPY a b /dst\n", "a": "1", "b": "2"},
                   expect_ok=False)
    assert "the destination must be a directory and end with a /" in out


def test_build_instructions_reach_the_config(build, docker):
    t = tag()
    df = """FROM busybox
MAINTAINER someone@example.com
LABEL a=1 "b c"=2
EXPOSE 80 53/udp
VOLUME /data
USER nobody
STOPSIGNAL SIGINT
ENTRYPOINT ["echo"]
SHELL ["/bin/sh", "-xc"]
ONBUILD RUN echo triggered
ARG V=def
"""
    build({"Dockerfile": df}, "-t", t, "--label", "extra=yes")
    img = inspect(docker, t)
    c = img["Config"]
    assert img["Author"] == "someone@example.com"
    assert c["Labels"] == {"a": "1", "b c": "2", "extra": "yes"}
    assert set(c["ExposedPorts"]) == {"80/tcp", "53/udp"}
    assert list(c["Volumes"]) == ["/data"]
    assert c["User"] == "nobody"
    assert c["StopSignal"] == "SIGINT"
    assert c["Entrypoint"] == ["echo"]
    assert not c.get("Cmd")
    assert c["Shell"] == ["/bin/sh", "-xc"]
    assert c["OnBuild"] == ["RUN echo triggered"]
    # the child runs the trigger, the grandchild does not
    t2 = tag()
    _, out = build({"Dockerfile": "FROM %s\nRUN true\n" % t}, "-t", t2)
    assert "# Executing 1 build trigger" in out
    assert "triggered" in out
    assert not inspect(docker, t2)["Config"].get("OnBuild")
    docker("rmi", t2, t)


def test_build_args_and_unused_warning(build, docker):
    t = tag()
    df = "ARG BASE=busybox\nFROM $BASE\nARG WHO=world\nRUN echo hello $WHO > /who\n"
    _, out = build({"Dockerfile": df}, "-t", t, "--build-arg", "WHO=berth",
                   "--build-arg", "UNUSED=1")
    assert "One or more build-args [UNUSED] were not consumed" in out
    r = docker("run", "--rm", t, "cat", "/who")
    assert r.stdout == "hello berth\n"
    assert "|1 WHO=berth /bin/sh -c echo hello $WHO > /who" in history(docker, t)
    docker("rmi", t)


def test_build_multi_stage_target_and_copy_from(build, docker):
    t = tag()
    df = """FROM busybox AS build
RUN echo built > /out.txt
FROM busybox AS other
RUN echo other > /other.txt
FROM scratch
COPY --from=build /out.txt /res.txt
COPY --from=0 /bin/busybox /bin/cat
"""
    build({"Dockerfile": df}, "-t", t)
    r = docker("run", "--rm", t, "/bin/cat", "/res.txt")
    assert r.stdout == "built\n", r.stderr
    t2 = tag()
    _, out = build({"Dockerfile": df}, "-t", t2, "--target", "other")
    assert "Step 4/" in out and "Step 5/" not in out
    r = docker("run", "--rm", t2, "cat", "/other.txt")
    assert r.stdout == "other\n"
    docker("rmi", t, t2)


def test_build_copy_rules_chown_chmod_and_add_archive(build, docker, tmp_path):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"from the archive\n"
        ti = tarfile.TarInfo("inside/a.txt")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    t = tag()
    df = """FROM busybox
COPY dir /d/
COPY *.txt /txt/
COPY --chown=nobody:nogroup one.txt /owned
COPY --chmod=600 one.txt /private
ADD arch.tar.gz /x/
"""
    build({"Dockerfile": df, "dir/sub/f": "f\n", "one.txt": "1\n", "two.txt": "2\n",
           "arch.tar.gz": buf.getvalue()}, "-t", t)
    r = docker("run", "--rm", t, "sh", "-c",
               "cat /d/sub/f /txt/one.txt /txt/two.txt /x/inside/a.txt;"
               "stat -c '%U:%G' /owned; stat -c '%a' /private")
    assert r.stdout == "f\n1\n2\nfrom the archive\nnobody:nogroup\n600\n", r.stderr
    docker("rmi", t)


def test_build_run_heredocs_as_buildkit_runs_them(build, docker):
    t = tag()
    df = """FROM busybox
RUN <<EOF
echo "body $((1 + 2))" > /plain
echo second >> /plain
EOF
RUN <<-EOF
\techo chomped > /chomped
\tEOF
RUN <<EOF
#!/bin/sh
echo "script $0" > /script
EOF
RUN cat <<A > /a && cat <<B > /b
from a
A
from b
B
"""
    build({"Dockerfile": df}, "-t", t)
    r = docker("run", "--rm", t, "cat", "/plain", "/chomped", "/script", "/a", "/b")
    assert r.stdout == ("body 3\nsecond\nchomped\nscript /dev/pipes/EOF\n"
                        "from a\nfrom b\n"), r.stderr
    # the script's body is part of the cache key: another body runs anew
    _, out = build({"Dockerfile": df.replace("script $0", "script2 $0")}, "-t", t)
    assert out.count("Using cache") == 2, out
    r = docker("run", "--rm", t, "cat", "/script")
    assert r.stdout == "script2 /dev/pipes/EOF\n"
    docker("rmi", t)


def test_build_copy_and_add_heredoc_sources(build, docker):
    t = tag()
    df = """FROM busybox
ARG WHO=world
COPY <<EOF /hello.txt
hello $WHO
EOF
COPY --chmod=600 <<one <<'two' /d/
first
one
second $WHO
two
ADD <<EOF /added
not an archive
EOF
"""
    build({"Dockerfile": df}, "-t", t)
    r = docker("run", "--rm", t, "sh", "-c",
               "cat /hello.txt /d/one /d/two /added; stat -c %a /hello.txt /d/one")
    assert r.stdout == "hello world\nfirst\nsecond $WHO\nnot an archive\n664\n600\n", r.stderr
    docker("rmi", t)


def test_build_workdir_makes_the_directory_in_the_image(build, docker):
    t = tag()
    df = """FROM busybox
USER nobody
WORKDIR /made/by/workdir
WORKDIR /tmp
USER root
RUN stat -c '%U %a' /made/by/workdir > /owner
"""
    build({"Dockerfile": df}, "-t", t)
    # the directory is in the image (a container with another working dir sees it), root's
    r = docker("run", "--rm", "-w", "/", t, "cat", "/owner")
    assert r.stdout == "root 755\n", r.stderr
    h = history(docker, t)
    assert any(c.endswith("#(nop) WORKDIR /made/by/workdir") for c in h), h
    docker("rmi", t)


def test_build_copy_chown_owns_the_directories_it_makes(build, docker):
    t = tag()
    df = """FROM busybox
COPY --chown=nobody:nogroup one.txt /new/parents/one.txt
COPY --chown=nobody:nogroup one.txt /tmp/existing-parent/
COPY --chown=nobody:nogroup dir /dirparent/dirdest
"""
    build({"Dockerfile": df, "one.txt": "1\n", "dir/f": "f\n"}, "-t", t)
    r = docker("run", "--rm", t, "stat", "-c", "%n %U", "/new", "/new/parents", "/tmp",
               "/tmp/existing-parent", "/dirparent", "/dirparent/dirdest",
               "/dirparent/dirdest/f")
    # as dockerd's copier: a file's new parents all, a directory's destination only
    assert r.stdout == ("/new nobody\n/new/parents nobody\n/tmp root\n"
                        "/tmp/existing-parent nobody\n/dirparent root\n"
                        "/dirparent/dirdest nobody\n/dirparent/dirdest/f nobody\n"), r.stderr
    docker("rmi", t)


def test_build_dockerignore_drops_the_dockerfile_and_itself_with_dockers_rules(build, docker):
    t = tag()
    files = {"Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
             ".dockerignore": "**/Dockerfile\n.docker*\nsecret.txt\nsub\n!sub/keep\n",
             "kept.txt": "k\n", "secret.txt": "s\n", "sub/drop": "d\n", "sub/keep": "k\n"}
    build(files, "-t", t)
    r = docker("run", "--rm", t, "find", "/ctx")
    assert sorted(r.stdout.split()) == ["/ctx", "/ctx/kept.txt", "/ctx/sub", "/ctx/sub/keep"], \
        r.stdout
    docker("rmi", t)


def running_ids(out):
    """The short IDs of the step containers: " ---> Running in <id>"."""
    return [line.split()[-1] for line in out.splitlines() if " ---> Running in " in line]


def container_exists(docker, cid):
    return docker("container", "inspect", cid).returncode == 0


def test_build_rm_false_keeps_intermediate_containers(build, docker):
    t = tag()
    _, out = build({"Dockerfile": "FROM busybox\nRUN echo kept-%s\n" % t}, "--rm=false", "-t", t)
    assert "Removing intermediate container" not in out
    ids = running_ids(out)
    assert len(ids) == 1 and container_exists(docker, ids[0]), out
    docker("rm", ids[0])
    docker("rmi", t)


def test_build_force_rm_removes_the_failed_steps_container(build, docker):
    df = "FROM busybox\nRUN echo %s; exit 3\n" % tag()
    # without --force-rm the failed step's container stays, as dockerd leaves it
    r, out = build({"Dockerfile": df}, expect_ok=False)
    assert r.returncode != 0
    kept = running_ids(out)
    assert len(kept) == 1 and container_exists(docker, kept[0]), out
    docker("rm", kept[0])
    r, out = build({"Dockerfile": df}, "--force-rm", expect_ok=False)
    assert r.returncode != 0 and "returned a non-zero code: 3" in out
    gone = running_ids(out)
    assert len(gone) == 1 and not container_exists(docker, gone[0]), out
    assert "Removing intermediate container" in out


def test_build_healthcheck_reaches_the_config(build, docker):
    t = tag()
    df = ("FROM busybox\nHEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 "
          "CMD wget -q localhost || exit 1\n")
    build({"Dockerfile": df}, "-t", t)
    hc = inspect(docker, t)["Config"]["Healthcheck"]
    assert hc == {"Test": ["CMD-SHELL", "wget -q localhost || exit 1"], "Interval": 5000000000,
                  "Timeout": 2000000000, "StartPeriod": 1000000000, "Retries": 4}, hc
    t2 = tag()
    build({"Dockerfile": "FROM %s\nHEALTHCHECK NONE\n" % t}, "-t", t2)
    assert inspect(docker, t2)["Config"]["Healthcheck"] == {"Test": ["NONE"]}
    docker("rmi", t2, t)


def test_build_run_uses_the_custom_shell(build, docker):
    t = tag()
    df = 'FROM busybox\nSHELL ["/bin/echo", "via-custom-shell"]\nRUN hello %s\n' % t
    _, out = build({"Dockerfile": df}, "-t", t)
    assert "via-custom-shell hello %s" % t in out
    assert "/bin/echo via-custom-shell hello %s" % t in history(docker, t)
    docker("rmi", t)


def test_build_network_none_gives_run_only_loopback(build, docker):
    t = tag()
    df = "FROM busybox\nRUN ls /sys/class/net > /nets # %s\n" % t
    build({"Dockerfile": df}, "--network", "none", "-t", t)
    r = docker("run", "--rm", "--network", "none", t, "cat", "/nets")
    assert r.stdout == "lo\n", r.stderr
    docker("rmi", t)


def test_build_dockerfile_in_a_subdir_and_from_stdin(build, docker):
    t = tag()
    files = {"sub/Dockerfile.custom": "FROM busybox\nCOPY a.txt /from-sub\n", "a.txt": "a\n",
             "Dockerfile": "FROM busybox\nRUN false\n"}
    build(files, "-f", "{ctx}/sub/Dockerfile.custom", "-t", t)
    r = docker("run", "--rm", t, "cat", "/from-sub")
    assert r.stdout == "a\n", r.stderr
    build({"a.txt": "stdin\n"}, "-f", "-", "-t", t,
          input="FROM busybox\nCOPY a.txt /from-stdin\n")
    r = docker("run", "--rm", t, "cat", "/from-stdin")
    assert r.stdout == "stdin\n", r.stderr
    docker("rmi", t)


def test_build_iidfile_holds_the_image_id(build, docker, tmp_path):
    t = tag()
    iid = tmp_path / "iid"
    build({"Dockerfile": "FROM busybox\nLABEL id=%s\n" % t}, "--iidfile", str(iid), "-t", t)
    assert iid.read_text() == inspect(docker, t)["Id"]
    docker("rmi", t)


def test_build_add_extracts_a_local_tar_gz_and_copy_does_not(build, docker):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"packed\n"
        ti = tarfile.TarInfo("member.txt")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    t = tag()
    df = "FROM busybox\nADD a.tar.gz /added/\nCOPY a.tar.gz /copied/\n"
    build({"Dockerfile": df, "a.tar.gz": buf.getvalue()}, "-t", t)
    r = docker("run", "--rm", t, "sh", "-c", "cat /added/member.txt; ls /added; ls /copied")
    assert r.stdout == "packed\nmember.txt\na.tar.gz\n", r.stderr
    docker("rmi", t)


def test_build_quiet_prints_only_the_id(build, docker):
    t = tag()
    r, _ = build({"Dockerfile": "FROM busybox\nRUN echo noisy\n"}, "-q", "-t", t)
    assert r.stdout.strip().startswith("sha256:")
    assert "noisy" not in r.stdout and "Step" not in r.stdout
    docker("rmi", t)


# A file server for ADD's URLs, run in the engine's network namespace (where berthd's
# 127.0.0.1 is): it writes the port it got to argv[2] once it listens.
URL_SERVER = """
import functools, http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if not self.path.startswith("/cd/"):
            return super().do_GET()
        body = b"from a header\\n"
        self.send_response(200)
        self.send_header("Content-Disposition", 'attachment; filename="by-header.txt"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
h = functools.partial(H, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
"""


def test_build_add_url_from_a_server_in_the_engines_netns(build, docker, shared_engine,
                                                           tmp_path):
    import time
    srv_dir = tmp_path / "srv"
    srv_dir.mkdir()
    (srv_dir / "remote.txt").write_text("downloaded\n")
    os.utime(srv_dir / "remote.txt", (1600000000, 1600000000))  # the Last-Modified
    port_file = tmp_path / "port"
    sb = shared_engine.sb
    p = sb.start(["/usr/bin/python3", "-c", URL_SERVER, str(srv_dir), str(port_file)],
                 log_name="url-server-%s.log" % uuid.uuid4().hex[:6])
    try:
        deadline = time.time() + 10
        while not port_file.exists() and time.time() < deadline and p.poll() is None:
            time.sleep(0.02)
        assert port_file.exists(), "the URL server did not start"
        base = "http://127.0.0.1:%s" % port_file.read_text()
        url = base + "/remote.txt?query=a/b"
        t = tag()
        build({"Dockerfile": "FROM busybox\nADD %s /r/\nADD %s /named\nADD %s/cd/ /h/\n"
               % (url, url, base)}, "-t", t)
        # dockerd's downloads: the URL path's file name (else Content-Disposition's), mode
        # 0600, the mtime of Last-Modified
        r = docker("run", "--rm", t, "sh", "-c",
                   "cat /r/remote.txt /named /h/by-header.txt;"
                   "stat -c '%a %Y' /r/remote.txt /named")
        assert r.stdout == ("downloaded\ndownloaded\nfrom a header\n"
                            "600 1600000000\n600 1600000000\n"), r.stderr
        docker("rmi", t)
    finally:
        sb.stop(p)
        sb.procs.remove(p)


def test_build_timing_cold_and_cached(build, docker):
    """The issue's target Dockerfile: cold and fully cached builds, timed (printed; bounds
    generous for a shared machine)."""
    import time
    df = """FROM busybox
ENV A=1
WORKDIR /app
COPY f.txt .
RUN echo hi
RUN for i in $(seq 1 1000); do echo $i > /app/f$i; done
CMD ["sh"]
"""
    t = tag()
    files = {"Dockerfile": df, "f.txt": "x\n"}
    t0 = time.monotonic()
    build(files, "--no-cache", "-t", t)
    cold = time.monotonic() - t0
    t0 = time.monotonic()
    _, out = build(files, "-t", t)
    cached = time.monotonic() - t0
    print("cold %.0f ms, cached %.0f ms (docker CLI included)" % (cold * 1000, cached * 1000))
    assert out.count("Using cache") == 6
    assert cold < 5 and cached < 2
    docker("rmi", t)
