# SPDX-License-Identifier: Apache-2.0
"""berth is a drop-in for the docker CLI: the same scenarios through `docker` and through
`berth`, against one berthd, must show a user the same thing: stdout, stderr and exit codes,
with container ids, times and the program's own name normalised. Each scenario runs with one
client, is cleaned up, then runs with the other."""
import os
import re
import uuid

import pytest

import harness

HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
HEX12 = re.compile(r"\b[0-9a-f]{12}\b")
AGO = re.compile(r"\b(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|"
                 r"day|week|month|year)s?) ago\b")
UP = re.compile(r"\bUp (Less than a second|About a minute|About an hour|\d+ (second|minute|hour|"
                r"day)s?)\b")
DATE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( ?[+-]\d\d:?\d\d| UTC|Z)*( UTC)?")


def norm(text):
    text = HEX64.sub("<ID>", text)
    text = HEX12.sub("<ID12>", text)
    text = UP.sub("Up <DUR>", text)
    text = AGO.sub("<AGO>", text)
    text = DATE.sub("<DATE>", text)
    text = re.sub(r"\b(docker|berth)\b", "<prog>", text)
    # table padding follows the widths of normalised cells
    text = re.sub(r" {2,}", "  ", text)
    return text


class Runner:
    def __init__(self, engine, client):
        self.engine = engine
        self.client = client
        self.log = []

    def __call__(self, *args, input=None):
        fn = self.engine.docker if self.client == "docker" else self.engine.berth
        r = fn(*args, input=input)
        out = norm(r.stdout)
        if args and args[0] in ("images", "image"):
            # rows of an image with several tags come in Go's map order: random in docker
            lines = out.splitlines(True)
            out = "".join(lines[:1] + sorted(lines[1:]))
        cmd = " ".join(args).replace(self.client, "<client>")
        self.log.append((cmd, r.returncode, out, norm(r.stderr)))
        return r


def compare(engine, scenario, cleanup=None):
    logs = {}
    for client in ("docker", "berth"):
        run = Runner(engine, client)
        try:
            scenario(run)
        finally:
            if cleanup:
                cleanup(engine)
        logs[client] = run.log
    assert len(logs["docker"]) == len(logs["berth"])
    for d, b in zip(logs["docker"], logs["berth"]):
        assert b == d, "berth and docker differ on `%s`:\ndocker: %r\nberth:  %r" % (d[0], d, b)


def rm_all(engine):
    ids = engine.docker("ps", "-aq").stdout.split()
    if ids:
        engine.docker("rm", "-f", *ids)


@pytest.fixture
def eng(shared_engine):
    rm_all(shared_engine)
    yield shared_engine
    rm_all(shared_engine)


def test_run_output_exit_codes_and_streams(eng):
    def s(run):
        run("run", "--rm", "busybox", "echo", "hello")
        run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
        run("run", "--rm", "-i", "busybox", "cat", input="piped input\n")
        run("run", "--rm", "-e", "A=1", "-w", "/tmp", "-u", "1:2", "-h", "hh", "busybox", "sh",
            "-c", "echo $A $(pwd) $(id -u):$(id -g) $(hostname)")
        run("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint")
        run("run", "--rm", "busybox", "nosuchcommand")
        run("run", "--rm", "busybox", "/etc")
        run("run", "--rm", "--pull", "never", "nosuchimage")
        run("run", "--rm", "nosuchimage:v9")
        run("run", "--rm", "--name", "bad/name", "busybox", "true")
        run("run", "--nosuchflag", "busybox")
        run("run")
        run("run", "--rm", "-m", "12x", "busybox", "true")
        run("run", "--rm", "--restart", "always", "busybox", "true")
    compare(eng, s, rm_all)


def test_lifecycle_and_listing(eng):
    def s(run):
        run("create", "--name", "c1", "-l", "a=b", "busybox", "sh", "-c", "echo started; sleep 30")
        run("ps")
        run("ps", "-a")
        run("ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Label \"a\"}}")
        run("ps", "-aq", "--no-trunc")
        run("start", "c1")
        run("ps", "--format", "table {{.Names}}\t{{.Command}}\t{{.State}}")
        run("ps", "--format", "json")
        run("ps", "--filter", "name=c1", "--format", "{{.Names}}")
        run("ps", "--filter", "label=a=b", "-q")
        run("logs", "c1")
        run("inspect", "-f", "{{.Name}} {{.State.Running}} {{.Config.Labels}}", "c1")
        run("inspect", "-f", "{{.Nope}}", "c1")
        run("inspect", "-f", "{{.Id", "c1")
        run("rename", "c1", "c2")
        run("rename", "c1", "c3")
        run("top", "c2", "-o", "comm")
        run("exec", "c2", "sh", "-c", "echo in exec; exit 4")
        run("exec", "-i", "c2", "cat", input="to exec\n")
        run("kill", "-s", "KILL", "c2")
        run("wait", "c2")
        run("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}")
        run("create", "--name", "c4", "busybox", "sh", "-c", "echo again; exit 5")
        run("start", "-a", "c4")
        run("stop", "-t", "1", "c4", "nosuch")
        run("rm", "c2", "nosuch")
        run("rm", "-f", "nosuch")
        run("logs", "nosuch")
        run("inspect", "nosuch")
        run("wait")
        run("container", "ls", "-a")
    compare(eng, s, rm_all)


def test_names_clash(eng):
    def s(run):
        run("create", "--name", "same", "busybox", "true")
        run("create", "--name", "same", "busybox", "true")
        run("run", "--name", "same", "busybox", "true")
    compare(eng, s, rm_all)


def test_images_tags_and_history(eng, tmp_path):
    def cleanup(engine):
        engine.docker("rmi", "-f", "cmp/one:v1", "cmp/two", "cmp/imp:1")
        rm_all(engine)

    def s(run):
        run("tag", "busybox", "cmp/one:v1")
        run("images")
        run("images", "cmp/one")
        run("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", "cmp/one")
        run("images", "-q", "cmp/one")
        run("image", "ls", "--format", "json", "cmp/one")
        run("history", "cmp/one:v1")
        run("history", "--no-trunc", "--format", "{{.CreatedBy}}", "cmp/one:v1")
        run("image", "inspect", "-f", "{{.RepoTags}} {{.Os}}", "cmp/one:v1")
        run("tag", "busybox", "Bad:Tag")
        run("tag", "nosuch", "cmp/x")
        run("rmi", "cmp/one:v1")
        run("rmi", "cmp/one:v1")
        run("import", os.path.join(str(tmp_path), "missing.tar"), "cmp/imp:1")
    compare(eng, s, cleanup)


def test_save_load_round_trip(eng, tmp_path):
    def s(run):
        out = os.path.join(str(tmp_path), "%s.tar" % run.client)
        run("tag", "busybox", "cmp/saved:1")
        run("save", "-o", out, "cmp/saved:1")
        run("rmi", "cmp/saved:1")
        run("load", "-i", out)
        run("images", "--format", "{{.Repository}}:{{.Tag}}", "cmp/saved")
        run("rmi", "cmp/saved:1")
    compare(eng, s)


def test_usage_errors(eng):
    def s(run):
        run("stop")
        run("rename", "onlyone")
        run("logs", "--tail")
        run("ps", "--bogus")
        run("nosuchcommand")
        run("image", "nosuch")
    compare(eng, s)


def test_container_prune_and_image_prune(eng):
    def s(run):
        run("create", "--name", "pr1", "busybox", "true")
        run("container", "prune", "-f")
        run("image", "prune", "-f")
        run("ps", "-a", "-q")
    compare(eng, s, rm_all)


def test_pause_and_unpause(eng):
    def s(run):
        run("run", "-d", "--name", "pz", "busybox", "sleep", "60")
        run("pause", "pz")
        run("ps", "--format", "{{.Names}} {{.State}} {{.Status}}")
        run("pause", "pz")
        run("exec", "pz", "true")
        run("unpause", "pz")
        run("unpause", "pz")
        run("pause", "nosuch")
        run("container", "pause", "pz")
        run("kill", "pz")
        run("ps", "-a", "--format", "{{.Names}} {{.State}}")
    compare(eng, s, rm_all)
