# SPDX-License-Identifier: Apache-2.0
"""docker events against berthd: what dockerd records (containers, execs, images, volumes,
networks, with its attributes), replayed with --since/--until, narrowed with --filter, and
streamed as it happens; through the docker CLI, docker-py and `berth events`."""
import json
import os
import re
import select
import subprocess
import time
import uuid

import pytest

import harness
from test_registry import Registry, reg_engine  # noqa: F401 (reg_engine: a fixture)


def unique(prefix="ev"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def names(docker):
    made = []

    def make(prefix="ev"):
        made.append(unique(prefix))
        return made[-1]
    yield make
    if made:
        docker("rm", "-f", *made)


def window(docker, since, *args):
    """docker events from since to now (+1 s), as printed, with args (filters, --format)."""
    until = "%.9f" % (time.time() + 1)
    r = docker("events", "--since", "%.9f" % since, "--until", until, *args, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def actions(lines):
    return [ln.split(" ")[2] for ln in lines]


def test_container_life_cycle_replayed_as_docker_prints_it(docker, names):
    n = names()
    t0 = time.time()
    r = docker("run", "--name", n, "--label", "team=blue", "busybox", "sh", "-c", "exit 3")
    assert r.returncode == 3
    cid = docker("inspect", "-f", "{{.Id}}", n).stdout.strip()
    assert docker("rm", n).returncode == 0
    lines = window(docker, t0, "--filter", "container=" + n)
    assert actions(lines) == ["create", "attach", "start", "die", "destroy"], lines
    # 2026-11-29T20:16:13.123456789Z container die <id> (exitCode=3, image=busybox, ...)
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)"
    assert re.fullmatch(stamp + r" container die %s \(exitCode=3, image=busybox, name=%s, "
                        r"team=blue\)" % (cid, n), lines[3]), lines[3]
    assert lines[0].endswith(" container create %s (image=busybox, name=%s, team=blue)"
                             % (cid, n))


def test_stop_restart_kill_pause_rename(docker, names):
    n, n2 = names(), names()
    t0 = time.time()
    assert docker("run", "-d", "--name", n, "busybox", "sleep", "300").returncode == 0
    assert docker("pause", n).returncode == 0
    assert docker("unpause", n).returncode == 0
    assert docker("rename", n, n2).returncode == 0
    assert docker("restart", "-t", "1", n2).returncode == 0
    assert docker("kill", n2).returncode == 0
    lines = window(docker, t0, "--filter", "type=container", "--filter", "container=" + n,
                   "--filter", "container=" + n2, "--format", "{{.Action}} {{json .Actor.Attributes}}")
    acts = [ln.split(" ")[0] for ln in lines]
    # sleep as pid 1 ignores SIGTERM: the restart's stop kills it after its second
    assert acts == ["create", "start", "pause", "unpause", "rename", "kill", "kill", "die",
                    "stop", "start", "restart", "kill", "die"], lines
    attrs = [json.loads(ln.split(" ", 1)[1]) for ln in lines]
    assert attrs[4]["oldName"] == "/" + n and attrs[4]["name"] == n2
    assert [attrs[i]["signal"] for i in (5, 6, 11)] == ["15", "9", "9"]
    assert attrs[7]["exitCode"] == "137" and attrs[12]["exitCode"] == "137"


def test_filters_event_label_image_and_exec(docker, names):
    n, other = names(), names()
    t0 = time.time()
    assert docker("run", "-d", "--name", n, "--label", "app=web", "busybox",
                  "sleep", "300").returncode == 0
    assert docker("run", "--name", other, "busybox", "true").returncode == 0
    assert docker("exec", n, "echo", "hi").returncode == 0
    assert docker("stop", "-t", "0", n).returncode == 0
    lines = window(docker, t0, "--filter", "event=die", "--format", "{{.Actor.Attributes.name}}")
    assert lines == [other, n]
    lines = window(docker, t0, "--filter", "label=app=web", "--filter", "event=start",
                   "--format", "{{.Actor.Attributes.name}}")
    assert lines == [n]
    lines = window(docker, t0, "--filter", "label=app=db")
    assert lines == []
    lines = window(docker, t0, "--filter", "image=busybox", "--filter", "event=create",
                   "--format", "{{.Actor.Attributes.name}}")
    assert lines == [n, other]
    # "exec_start" without its command matches "exec_start: echo hi", as dockerd's
    lines = window(docker, t0, "--filter", "event=exec_start", "--filter", "event=exec_die",
                   "--format", "{{.Action}} {{.Actor.Attributes.execID}}")
    assert [ln.split(" ", 1)[0] for ln in lines] == ["exec_start:", "exec_die"]
    assert lines[0].startswith("exec_start: echo hi ")
    assert lines[0].split(" ")[-1] == lines[1].split(" ")[-1] and len(lines[1]) > 60


def test_images_volumes_and_networks(docker, names):
    c = names()
    vol, net, tag = unique("vol"), unique("net"), unique("img") + ":v1"
    t0 = time.time()
    assert docker("tag", "busybox", tag).returncode == 0
    assert docker("rmi", tag).returncode == 0
    assert docker("volume", "create", vol).returncode == 0
    assert docker("network", "create", net).returncode == 0
    r = docker("run", "--name", c, "-v", vol + ":/data", "--network", net, "busybox", "true")
    assert r.returncode == 0, r.stderr
    cid = docker("inspect", "-f", "{{.Id}}", c).stdout.strip()
    assert docker("rm", c).returncode == 0
    assert docker("volume", "rm", vol).returncode == 0
    assert docker("network", "rm", net).returncode == 0
    img = window(docker, t0, "--filter", "type=image")
    assert [ln.split(" ", 1)[1] for ln in img] == [
        "image tag %s (name=%s)" % (img[0].split(" ")[3], tag),
        "image untag %s (name=%s)" % (img[0].split(" ")[3], tag)]
    assert img[0].split(" ")[3].startswith("sha256:")
    vols = window(docker, t0, "--filter", "volume=" + vol)
    assert [ln.split(" ", 1)[1] for ln in vols] == [
        "volume create %s (driver=local)" % vol,
        "volume mount %s (container=%s, destination=/data, driver=local, propagation=, "
        "read/write=true)" % (vol, cid),
        "volume unmount %s (container=%s, driver=local)" % (vol, cid),
        "volume destroy %s (driver=local)" % vol]
    nets = window(docker, t0, "--filter", "network=" + net, "--format",
                  "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}")
    assert nets == ["network create %s <no value>" % net, "network connect %s %s" % (net, cid),
                    "network disconnect %s %s" % (net, cid),
                    "network destroy %s <no value>" % net]


def read_lines(p, want, timeout):
    """Lines of p's stdout until `want` of them came or timeout passed."""
    got, buf = [], b""
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            ln, buf = buf.split(b"\n", 1)
            got.append(ln.decode())
    return got


def threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


def test_stream_shows_events_as_they_happen(shared_engine, docker, names):
    n = names()
    eng = shared_engine
    before = threads(eng.proc.pid)
    p = eng.sb.start([harness.docker_cli(), "events", "--filter", "container=" + n, "--format",
                      "{{.Action}}"], stdout=subprocess.PIPE, env=eng.env())
    try:
        time.sleep(1)  # the subscription is made before anything happens
        assert docker("run", "-d", "--name", n, "busybox", "sleep", "300").returncode == 0
        assert read_lines(p, 2, 1.0) == ["create", "start"]
        assert docker("stop", "-t", "0", n).returncode == 0
        assert read_lines(p, 3, 1.0) == ["kill", "die", "stop"]
        assert p.poll() is None  # no until: it stays
        assert threads(eng.proc.pid) > before
    finally:
        eng.sb.stop(p)
    # the client gone, the engine lets its stream go (its threads end)
    deadline = time.time() + 3
    while threads(eng.proc.pid) > before and time.time() < deadline:
        time.sleep(0.05)
    assert threads(eng.proc.pid) <= before


def test_until_in_the_future_ends_the_stream_then(shared_engine, docker):
    t = time.time()
    r = docker("events", "--since", "%.0f" % t, "--until", "%.3f" % (t + 1.5), timeout=20)
    assert r.returncode == 0, r.stderr
    assert 1.0 <= time.time() - t < 5


def test_mistakes_in_dockerds_words(docker):
    r = docker("events", "--filter", "colour=red", "--until", "1")
    assert r.returncode != 0
    assert "invalid filter 'colour'" in r.stderr
    r = docker("events", "--since", "2000000000", "--until", "1000000000")
    assert r.returncode != 0
    assert "`since` time (2000000000) cannot be after `until` time (1000000000)" in r.stderr


def test_dockerpy_events(shared_engine, docker, names):
    dk = pytest.importorskip("docker", reason="python3-docker is not installed; run with "
                             "/usr/bin/python3")
    n = names()
    t0 = time.time()
    assert docker("run", "--name", n, "busybox", "true").returncode == 0
    client = dk.APIClient(base_url=shared_engine.host, version="auto", timeout=30)
    try:
        evs = list(client.events(decode=True, since=t0, until=time.time() + 1,
                                 filters={"container": n}))
        assert [e["Action"] for e in evs] == ["create", "attach", "start", "die"]
        die = evs[3]
        assert die["Type"] == "container" and die["status"] == "die"
        assert die["Actor"]["Attributes"]["name"] == n and die["from"] == "busybox"
        assert die["Actor"]["Attributes"]["exitCode"] == "0"
        assert die["id"] == die["Actor"]["ID"] and die["scope"] == "local"
        assert die["timeNano"] // 10**9 == die["time"] and die["time"] >= int(t0)
        evs = list(client.events(decode=True, since=t0, until=time.time() + 1,
                                 filters={"container": n, "event": "start"}))
        assert [e["Action"] for e in evs] == ["start"]
    finally:
        client.close()


def test_berth_events(shared_engine, docker, names):
    n = names()
    t0 = time.time()
    assert docker("run", "--name", n, "busybox", "true").returncode == 0
    until = "%.9f" % (time.time() + 1)
    r = shared_engine.berth("events", "--since", "%.9f" % t0, "--until", until, "--filter",
                            "container=" + n, "--filter", "event=die")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and " container die " in lines[0], lines
    assert lines[0].endswith("(exitCode=0, image=busybox, name=%s)" % n)
    # the same lines as the docker CLI prints, byte for byte
    both = ("events", "--since", "%.9f" % t0, "--until", until, "--filter", "container=" + n)
    r, d = shared_engine.berth(*both), docker(*both)
    assert d.returncode == 0 and len(d.stdout.splitlines()) == 4
    assert r.stdout == d.stdout
    r = shared_engine.berth("events", "--since", "%.9f" % t0, "--until", until, "--filter",
                            "container=" + n, "--format", "{{.Action}}")
    assert r.stdout.splitlines() == ["create", "attach", "start", "die"]
    r = shared_engine.berth("events", "--since", "10m", "--until", "0s", "--filter",
                            "container=" + n, "--format", "{{json .}}")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["Action"] == "create"


def test_top_cp_commit_and_prune(docker, names, tmp_path):
    n = names()
    img = unique("commit") + ":c1"
    t0 = time.time()
    assert docker("run", "-d", "--name", n, "busybox", "sleep", "300").returncode == 0
    assert docker("top", n).returncode == 0
    (tmp_path / "f").write_text("x")
    assert docker("cp", str(tmp_path / "f"), n + ":/tmp/").returncode == 0
    assert docker("cp", n + ":/tmp/f", str(tmp_path / "g")).returncode == 0
    r = docker("commit", "-m", "note", "-c", "LABEL team=red", n, img)
    assert r.returncode == 0, r.stderr
    img2 = unique("tagged") + ":t1"
    assert docker("tag", img, img2).returncode == 0
    assert docker("rm", "-f", n).returncode == 0
    assert docker("rmi", img, img2).returncode == 0
    # the commit tags; a tag of that image carries its labels, as dockerd's image events
    tags = window(docker, t0, "--filter", "type=image", "--filter", "event=tag",
                  "--format", "{{.Actor.Attributes.name}}")
    assert tags == [img, img2]
    labelled = window(docker, t0, "--filter", "type=image", "--filter", "label=team=red",
                      "--format", "{{.Action}} {{.Actor.Attributes.name}}")
    assert labelled == ["tag " + img2]
    lines = window(docker, t0, "--filter", "container=" + n, "--format",
                   "{{.Action}} {{json .Actor.Attributes}}")
    acts = [ln.split(" ")[0] for ln in lines]
    assert acts[:2] == ["create", "start"] and acts[-1] == "destroy"
    for a in ("top", "extract-to-dir", "archive-path", "commit"):
        assert a in acts, lines
    commit = json.loads(lines[acts.index("commit")].split(" ", 1)[1])
    assert commit["comment"] == "note" and commit["imageRef"] == img
    assert commit["imageID"].startswith("sha256:")
    t1 = time.time()
    assert docker("container", "prune", "-f").returncode == 0
    lines = window(docker, t1, "--filter", "event=prune", "--format", "{{.Type}} {{.Action}}")
    assert lines == ["container prune"]


def test_save_load_and_import(docker, tmp_path, busybox_tar):
    tar = str(tmp_path / "bb.tar")
    name = unique("imp")
    t0 = time.time()
    assert docker("save", "-o", tar, "busybox").returncode == 0
    assert docker("load", "-i", tar).returncode == 0
    r = docker("import", busybox_tar, name)
    assert r.returncode == 0, r.stderr
    new = r.stdout.strip()
    bid = docker("image", "inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
    lines = window(docker, t0, "--filter", "type=image")
    assert [ln.split(" ", 1)[1] for ln in lines] == [
        "image save %s (name=%s)" % (bid, bid), "image load %s (name=%s)" % (bid, bid),
        "image tag %s (name=%s:latest)" % (new, name), "image import %s (name=%s)" % (new, new)]
    assert docker("rmi", name).returncode == 0


def test_build_tags(docker, tmp_path):
    name = unique("built")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN true\n")
    t0 = time.time()
    r = docker("build", "-t", name, str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    iid = docker("image", "inspect", "-f", "{{.Id}}", name).stdout.strip()
    lines = window(docker, t0, "--filter", "type=image")
    assert [ln.split(" ", 1)[1] for ln in lines] == [
        "image tag %s (name=%s:latest)" % (iid, name)]
    # the RUN step's container, as dockerd's builder: created, started, dead and destroyed
    acts = window(docker, t0, "--filter", "type=container", "--format", "{{.Action}}")
    assert acts[0] == "create" and "start" in acts and acts[-1] == "destroy", acts
    assert docker("rmi", name).returncode == 0


def test_push_and_pull(reg_engine):
    eng = reg_engine
    Registry(eng.sb)
    ref = "127.0.0.1:5000/ev:1"
    t0 = time.time()
    assert eng.docker("tag", "busybox", ref).returncode == 0
    r = eng.docker("push", ref)
    assert r.returncode == 0, r.stderr
    assert eng.docker("rmi", ref).returncode == 0
    for _ in range(2):  # the second finds it up to date: an event all the same, as dockerd's
        r = eng.docker("pull", ref)
        assert r.returncode == 0, r.stderr
    lines = window(eng.docker, t0, "--filter", "event=push", "--filter", "event=pull")
    assert [ln.split(" ", 1)[1] for ln in lines] == [
        "image push %s (name=127.0.0.1:5000/ev)" % ref] + [
        "image pull %s (name=127.0.0.1:5000/ev)" % ref] * 2


def test_update_export_and_health_status(docker, names, tmp_path):
    n = names()
    t0 = time.time()
    assert docker("run", "-d", "--name", n, "--memory", "200m", "--health-cmd", "true",
                  "--health-interval", "1s", "busybox", "sleep", "300").returncode == 0
    assert docker("update", "--memory", "100m", n).returncode == 0
    r = docker("export", "-o", str(tmp_path / "fs.tar"), n)
    assert r.returncode == 0 and (tmp_path / "fs.tar").stat().st_size > 0, r.stderr
    deadline = time.time() + 20
    while time.time() < deadline:
        acts = [ln.split(" ", 1)[0] for ln in window(
            docker, t0, "--filter", "container=" + n, "--format", "{{.Action}}")]
        if "health_status:" in acts:
            break
        time.sleep(0.5)
    assert "update" in acts and "export" in acts, acts
    lines = window(docker, t0, "--filter", "event=health_status", "--filter", "container=" + n,
                   "--format", "{{.Action}}")
    assert lines[:1] == ["health_status: healthy"], lines
