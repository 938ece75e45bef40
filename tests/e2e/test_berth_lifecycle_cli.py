# SPDX-License-Identifier: Apache-2.0
"""The berth CLI's export, diff, update, system prune and run/create --device against the
same engine as the docker CLI 28: the same output, messages and exit codes."""
import io
import json
import os
import subprocess
import tarfile
import uuid

import pytest

import harness


@pytest.fixture
def names(docker):
    made = []

    def make(prefix="lc"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        docker("rm", "-f", "-v", *made)


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return sorted((m.name, m.size, m.type) for m in t.getmembers())


def inspect(docker, name):
    return json.loads(ok(docker("inspect", name)).stdout)[0]


# ---- export ----

def test_export_stdout_and_file_as_docker(shared_engine, docker, names, tmp_path):
    n = names()
    ok(docker("run", "--name", n, "busybox", "sh", "-c", "echo hi > /greeting"))
    theirs = ok(docker("export", n, raw=True)).stdout
    mine = ok(shared_engine.berth("export", n, raw=True)).stdout
    assert members(mine) == members(theirs)
    assert ("greeting", 3, tarfile.REGTYPE) in members(mine)
    out = tmp_path / "c.tar"
    r = ok(shared_engine.berth("container", "export", "-o", str(out), n))
    assert r.stdout == ""
    assert members(out.read_bytes()) == members(theirs)


@pytest.mark.parametrize("output", ["/nonexistent-dir/sub/c.tar", "/dev/null"])
def test_export_bad_output_as_docker(shared_engine, docker, names, output):
    n = names()
    ok(docker("create", "--name", n, "busybox", "true"))
    d = docker("export", "-o", output, n)
    b = shared_engine.berth("export", "-o", output, n)
    assert d.returncode == 1 and d.stderr.startswith("failed to export container: ")
    assert (b.returncode, b.stdout, b.stderr) == (d.returncode, d.stdout, d.stderr)


def test_export_refuses_a_terminal_and_unknown_container(shared_engine, names):
    master, slave = os.openpty()
    try:
        outs = []
        for prog in (harness.docker_cli(), harness.BERTH):
            r = shared_engine.sb.run([prog, "export", "whatever"], env=shared_engine.env(),
                                     stdout=slave, stderr=subprocess.PIPE, capture_output=False)
            outs.append((r.returncode, r.stderr))
    finally:
        os.close(master)
        os.close(slave)
    assert outs[0] == outs[1], outs
    assert outs[1] == (1, "cowardly refusing to save to a terminal. Use the -o flag or "
                          "redirect\n")
    missing = "nope-" + uuid.uuid4().hex[:6]
    d = shared_engine.docker("export", missing)
    b = shared_engine.berth("export", missing)
    assert (b.returncode, b.stderr) == (d.returncode, d.stderr) and b.returncode == 1


# ---- diff ----

def test_diff_as_docker(shared_engine, docker, names):
    n = names()
    ok(docker("run", "--name", n, "busybox", "sh", "-c",
              "mkdir -p /x/y && echo 1 > /x/y/f && rm /bin/true && echo 2 >> /etc/passwd"))
    d = ok(docker("diff", n)).stdout
    b = ok(shared_engine.berth("diff", n)).stdout
    assert b == d
    lines = b.splitlines()
    assert "A /x" in lines and "A /x/y/f" in lines and "D /bin/true" in lines, lines
    assert "C /bin" in lines and "C /etc/passwd" in lines, lines
    assert ok(shared_engine.berth("container", "diff", n)).stdout == d
    missing = "nope-" + uuid.uuid4().hex[:6]
    db, bb = docker("diff", missing), shared_engine.berth("diff", missing)
    assert (bb.returncode, bb.stderr) == (db.returncode, db.stderr) and bb.returncode == 1


# ---- update ----

def test_update_as_docker(shared_engine, docker, names):
    a, b = names(), names()
    ok(docker("run", "-d", "--name", a, "busybox", "sleep", "300"))
    ok(docker("run", "-d", "--name", b, "busybox", "sleep", "300"))
    ok(docker("update", "-m", "64m", "--memory-swap", "128m", "--cpu-shares", "512",
              "--pids-limit", "50", "--restart", "on-failure:3", a))
    r = ok(shared_engine.berth("update", "-m", "64m", "--memory-swap", "128m", "-c", "512",
                               "--pids-limit", "50", "--restart", "on-failure:3", b))
    assert r.stdout == b + "\n"
    ha, hb = inspect(docker, a)["HostConfig"], inspect(docker, b)["HostConfig"]
    for k in ("Memory", "MemorySwap", "CpuShares", "PidsLimit", "RestartPolicy", "NanoCpus",
              "CpusetCpus", "CpuQuota", "CpuPeriod", "MemoryReservation", "BlkioWeight"):
        assert ha[k] == hb[k], (k, ha[k], hb[k])
    assert hb["Memory"] == 64 << 20 and hb["PidsLimit"] == 50
    assert hb["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    # several containers, --cpus and a reservation: each name printed
    r = ok(shared_engine.berth("container", "update", "--cpus", "0.5",
                               "--memory-reservation", "32m", a, b))
    assert r.stdout == "%s\n%s\n" % (a, b)
    assert inspect(docker, b)["HostConfig"]["NanoCpus"] == 500000000
    assert inspect(docker, a)["HostConfig"]["MemoryReservation"] == 32 << 20


@pytest.mark.parametrize("args", [
    [],                                   # no flag
    ["--memory", "lots"],                 # a bad size
    ["--cpus", "x"],                      # a bad number
    ["--blkio-weight", "70000"],          # past uint16
    ["--cpu-rt-period", "x"],             # not an int
    ["--restart", "sometimes"],           # a bad policy (the engine says)
    ["--restart", "on-failure:x"],        # a bad count
    ["-m", "64m", "NAME", "nope-missing"],  # one missing container among good ones
])
def test_update_errors_as_docker(shared_engine, docker, names, args):
    n = names()
    ok(docker("run", "-d", "--name", n, "busybox", "sleep", "300"))
    args = [n if a == "NAME" else a for a in args]
    if "NAME" not in args and n not in args:
        args = args + [n]
    d = docker("update", *args)
    b = shared_engine.berth("update", *args)
    assert d.returncode != 0
    assert (b.returncode, b.stdout, b.stderr.replace("berth", "docker")) == \
        (d.returncode, d.stdout, d.stderr), (d, b)


# ---- system prune ----

def prune_setup(eng, tag):
    """A stopped container, an unused network, an anonymous volume, a dangling image."""
    ok(eng.docker("create", "--name", "stopped-" + tag, "busybox", "true"))
    ok(eng.docker("network", "create", "net-" + tag))
    ok(eng.docker("volume", "create"))
    ok(eng.docker("commit", "stopped-" + tag))


def normalise(text):
    return sorted(text.splitlines())


@pytest.mark.parametrize("flags", [[], ["--volumes"], ["-a", "--volumes"],
                                   ["--filter", "label=x=y"]])
def test_system_prune_question_as_docker(engine, busybox_tar, flags):
    ok(engine.docker("import", busybox_tar, "busybox"))
    d = engine.docker("system", "prune", *flags, input="n\n")
    b = engine.berth("system", "prune", *flags, input="n\n")
    assert d.stdout.startswith("WARNING! This will remove:"), d.stdout
    assert (b.returncode, b.stdout, b.stderr) == (d.returncode, d.stdout, d.stderr)
    # nothing went
    assert "busybox" in ok(engine.docker("images")).stdout


@pytest.mark.parametrize("flags", [["-f"], ["-f", "--volumes"], ["-f", "-a", "--volumes"]])
def test_system_prune_as_docker(engine, busybox_tar, flags):
    outs = []
    for cli, tag in ((engine.docker, "d"), (engine.berth, "b")):
        ok(engine.docker("import", busybox_tar, "busybox"))
        prune_setup(engine, tag)
        r = ok(cli("system", "prune", *flags))
        outs.append(r.stdout)
    d, b = outs
    # the same sections in the same order, ids differing
    heads = [l for l in b.splitlines() if l.startswith("Deleted") or l.startswith("Total")]
    assert heads == [l for l in d.splitlines()
                     if l.startswith("Deleted") or l.startswith("Total")], (d, b)
    assert "Deleted Containers:" in heads and "Deleted Networks:" in heads
    assert ("Deleted Volumes:" in heads) == ("--volumes" in flags)
    assert "net-b" in b and "Total reclaimed space: " in b
    if "-a" in flags:
        assert "untagged: busybox:latest" in b
        assert "busybox" not in ok(engine.docker("images")).stdout

# ---- --device ----

def test_run_device_as_docker(shared_engine, docker, names):
    a, b = names(), names()
    spec = ["--device", "/dev/null:/dev/mynull:r", "--device", "/dev/zero"]
    ok(docker("create", "--name", a, *spec, "busybox", "true"))
    ok(shared_engine.berth("create", "--name", b, *spec, "busybox", "true"))
    da, db = (inspect(docker, x)["HostConfig"]["Devices"] for x in (a, b))
    assert da == db == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull", "CgroupPermissions": "r"},
        {"PathOnHost": "/dev/zero", "PathInContainer": "/dev/zero", "CgroupPermissions": "rwm"}]
    c = names()
    r = ok(shared_engine.berth("run", "--rm", "--name", c, "--device", "/dev/zero:/dev/z",
                               "busybox", "sh", "-c", "head -c 4 /dev/z | wc -c"))
    assert r.stdout.strip() == "4"


@pytest.mark.parametrize("spec", ["/dev/null:rel", "/dev/null:/dev/x:rwz", "a:b:c:d", ":/x"])
def test_run_device_errors_as_docker(shared_engine, docker, spec):
    d = docker("create", "--device", spec, "busybox", "true")
    b = shared_engine.berth("create", "--device", spec, "busybox", "true")
    assert d.returncode != 0
    assert (b.returncode, b.stderr.replace("berth", "docker")) == (d.returncode, d.stderr)
