# SPDX-License-Identifier: Apache-2.0
"""The remaining container commands and run flags through the real docker CLI and docker-py:
export, diff, update, --ulimit, --device, --init and the json-file log's rotation."""
import io
import json
import os
import tarfile
import time
import uuid

import pytest


def unique(prefix="c"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def names(docker):
    made = []

    def make(prefix="c"):
        n = unique(prefix)
        made.append(n)
        return n
    yield make
    if made:
        docker("rm", "-f", *made)


@pytest.fixture
def client(shared_engine):
    docker = pytest.importorskip("docker")
    c = docker.DockerClient(base_url=shared_engine.host, version="auto", timeout=60)
    yield c
    c.close()


def export_names(docker, name):
    """The entry names of `docker export NAME` (through the CLI, to a pipe)."""
    r = docker("export", name, raw=True)
    assert r.returncode == 0, r.stderr
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        return {m.name: m for m in t.getmembers()}, r.stdout


# ---- export ----

def test_export_stopped_container_lists_its_whole_file_system(docker, names):
    n = names()
    r = docker("run", "--name", n, "busybox", "sh", "-c",
               "echo hi > /added.txt && rm /bin/ls && mkdir /newdir")
    assert r.returncode == 0, r.stderr
    members, raw = export_names(docker, n)
    assert "added.txt" in members and "bin/sh" in members and "newdir" in members
    assert "bin/ls" not in members, "a deleted file is not exported"
    assert not any(m.startswith("/") or m.startswith("./") for m in members)
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        assert t.extractfile("added.txt").read() == b"hi\n"


def test_export_running_container_and_to_a_file(docker, names, tmp_path):
    n = names()
    assert docker("run", "-d", "--name", n, "busybox", "sh", "-c",
                  "echo run > /run.txt; sleep 300").returncode == 0
    time.sleep(0.5)
    out = tmp_path / "x.tar"
    r = docker("export", "-o", str(out), n)
    assert r.returncode == 0, r.stderr
    with tarfile.open(str(out)) as t:
        got = set(t.getnames())
    assert "run.txt" in got and "etc/passwd" in got


def test_export_missing_container(docker):
    r = docker("export", "no-such-ctr-x")
    assert r.returncode != 0
    assert "No such container: no-such-ctr-x" in r.stderr


def test_dockerpy_export(client, docker, names):
    n = names()
    docker("create", "--name", n, "busybox", "true")
    data = b"".join(client.containers.get(n).export())
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert "bin/busybox" in t.getnames()


# ---- diff ----

def test_diff_shows_added_changed_and_deleted(docker, names):
    n = names()
    r = docker("run", "--name", n, "busybox", "sh", "-c",
               "echo x > /tmp/new.txt && echo y >> /etc/passwd && rm /bin/ls && "
               "mkdir -p /data/sub && touch /data/sub/f")
    assert r.returncode == 0, r.stderr
    r = docker("diff", n)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "A /tmp/new.txt" in lines
    assert "C /tmp" in lines
    assert "C /etc/passwd" in lines
    assert "D /bin/ls" in lines
    assert "C /bin" in lines
    assert "A /data" in lines and "A /data/sub" in lines and "A /data/sub/f" in lines
    # the engine's own mount points are not changes
    for hidden in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/proc", "/dev", "/sys"):
        assert not any(l.endswith(" " + hidden) for l in lines), lines
    # parents before their children, names in order, as dockerd walks
    assert lines.index("A /data") < lines.index("A /data/sub") < lines.index("A /data/sub/f")


def test_diff_of_untouched_container_is_empty(docker, names):
    n = names()
    assert docker("run", "--name", n, "busybox", "true").returncode == 0
    r = docker("diff", n)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_diff_running_container(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sh", "-c", "touch /made; sleep 300")
    time.sleep(0.5)
    assert "A /made" in docker("diff", n).stdout.splitlines()


def test_dockerpy_diff(client, docker, names):
    n = names()
    docker("run", "--name", n, "busybox", "touch", "/root-file")
    assert {"Path": "/root-file", "Kind": 1} in client.containers.get(n).diff()


# ---- update ----

def cgroup_value(docker, name, v1, v2):
    """A cgroup file of the running container as it reads it (v1 path, else v2's)."""
    r = docker("exec", name, "sh", "-c", "cat /sys/fs/cgroup/%s 2>/dev/null || cat /sys/fs/cgroup/%s"
               % (v1, v2))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_update_changes_inspect_and_the_running_cgroup(docker, names):
    n = names()
    assert docker("run", "-d", "--name", n, "--memory", "200m", "busybox",
                  "sleep", "300").returncode == 0
    r = docker("update", "--memory", "100m", "--cpus", "0.5", "--pids-limit", "50",
               "--restart", "always", n)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == n
    hc = json.loads(docker("inspect", n).stdout)[0]["HostConfig"]
    assert hc["Memory"] == 100 * 1024 * 1024
    assert hc["MemorySwap"] == 400 * 1024 * 1024  # create's default, twice the first limit
    assert hc["NanoCpus"] == 500000000
    assert hc["PidsLimit"] == 50
    assert hc["RestartPolicy"]["Name"] == "always"
    assert cgroup_value(docker, n, "memory/memory.limit_in_bytes", "memory.max") == \
        str(100 * 1024 * 1024)
    assert cgroup_value(docker, n, "pids/pids.max", "pids.max") == "50"
    quota = cgroup_value(docker, n, "cpu/cpu.cfs_quota_us", "cpu.max")
    assert quota in ("50000", "50000 100000"), quota


def test_update_stopped_container_applies_at_next_start(docker, names):
    n = names()
    assert docker("create", "--name", n, "busybox", "sleep", "300").returncode == 0
    r = docker("update", "--pids-limit", "42", "--cpu-shares", "512", n)
    assert r.returncode == 0, r.stderr
    assert docker("start", n).returncode == 0
    assert cgroup_value(docker, n, "pids/pids.max", "pids.max") == "42"
    hc = json.loads(docker("inspect", n).stdout)[0]["HostConfig"]
    assert hc["CpuShares"] == 512 and hc["PidsLimit"] == 42


def test_update_memory_above_swap_is_refused_as_dockerd(docker, names):
    n = names()
    docker("create", "--name", n, "busybox", "true")
    r = docker("update", "--memory", "100m", n)
    assert r.returncode != 0
    assert ("Cannot update container %s: Memory limit should be smaller than already set "
            "memoryswap limit, update the memoryswap at the same time" % docker(
                "inspect", "-f", "{{.Id}}", n).stdout.strip()) in r.stderr
    r = docker("update", "--memory", "1m", n)
    assert "Minimum memory limit allowed is 6MB" in r.stderr
    r = docker("update", "--restart", "bogus", n)
    assert r.returncode != 0
    assert "invalid restart policy" in r.stderr
    r = docker("update", "--memory", "100m", "--memory-swap", "-1", n)
    assert r.returncode == 0, r.stderr


def test_update_missing_container(docker):
    r = docker("update", "--cpus", "1", "no-such-ctr-y")
    assert r.returncode != 0
    assert "No such container: no-such-ctr-y" in r.stderr


def test_dockerpy_update(client, docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    res = client.containers.get(n).update(
        cpu_shares=256, restart_policy={"Name": "on-failure", "MaximumRetryCount": 3})
    assert res.get("Warnings") == []
    hc = client.api.inspect_container(n)["HostConfig"]
    assert hc["CpuShares"] == 256
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert cgroup_value(docker, n, "cpu/cpu.shares", "cpu.weight") in ("256", "10")


# ---- --ulimit, --device ----

def test_ulimit_nofile_applies(docker):
    r = docker("run", "--rm", "--ulimit", "nofile=100:100", "busybox", "sh", "-c",
               "ulimit -n; ulimit -Hn")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["100", "100"]


def test_ulimit_soft_below_hard_and_inspect(docker, names):
    n = names()
    r = docker("run", "--name", n, "--ulimit", "nofile=50:200", "busybox", "sh", "-c",
               "ulimit -Sn; ulimit -Hn")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["50", "200"]
    hc = json.loads(docker("inspect", n).stdout)[0]["HostConfig"]
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 50, "Hard": 200}]


def test_ulimit_above_the_engines_hard_limit_is_refused(docker, shared_engine):
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on open files here")
    r = docker("run", "--rm", "--ulimit", "nofile=%d:%d" % (hard + 1, hard + 1), "busybox", "true")
    assert r.returncode != 0
    assert "error setting rlimit type 7: operation not permitted" in r.stderr


def test_ulimit_unknown_name_from_the_api(client):
    with pytest.raises(Exception) as e:
        client.api.create_container("busybox", "true", host_config=client.api.create_host_config(
            ulimits=[{"Name": "bogus", "Soft": 1, "Hard": 1}]))
    assert "invalid ulimit type: bogus" in str(e.value)


def test_device_is_created_as_a_char_device(docker):
    r = docker("run", "--rm", "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c",
               "test -c /dev/mynull && echo ok > /dev/mynull && stat -c '%t:%T' /dev/mynull")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1:3"


def test_device_read_only_permission_refuses_writes(docker):
    # not one of the nodes every container may use (/dev/zero, /dev/null, ...)
    if not os.path.exists("/dev/loop-control"):
        pytest.skip("no /dev/loop-control on this host")
    r = docker("run", "--rm", "--device", "/dev/loop-control:/dev/lc:r", "busybox", "sh", "-c",
               ": < /dev/lc && echo read; (: > /dev/lc) || echo refused")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["read", "refused"]
    assert "Operation not permitted" in r.stderr


def test_device_missing_on_host(docker):
    r = docker("run", "--rm", "--device", "/dev/no-such-dev-x", "busybox", "true")
    assert r.returncode != 0
    assert ('error gathering device information while adding custom device '
            '"/dev/no-such-dev-x": no such file or directory') in r.stderr


# ---- --init ----

def ps_lines(docker, name):
    r = docker("exec", name, "ps", "-o", "pid,stat,args")
    assert r.returncode == 0, r.stderr
    return [l.split(None, 2) for l in r.stdout.splitlines()[1:]]


def test_init_is_pid_1_and_runs_the_command(docker, names):
    n = names()
    assert docker("run", "-d", "--init", "--name", n, "busybox", "sleep", "300").returncode == 0
    time.sleep(0.3)
    procs = {p[0]: p[2] for p in ps_lines(docker, n)}
    assert procs["1"] == "/sbin/docker-init -- sleep 300"
    assert "sleep 300" in procs.values()
    assert json.loads(docker("inspect", n).stdout)[0]["HostConfig"]["Init"] is True
    # docker stop: SIGTERM reaches the command through the init at once
    t = time.monotonic()
    assert docker("stop", n).returncode == 0
    assert time.monotonic() - t < 5
    assert docker("inspect", "-f", "{{.State.ExitCode}}", n).stdout.strip() == "143"


@pytest.mark.parametrize("init", [True, False])
def test_init_reaps_zombies(docker, names, init):
    n = names()
    # the subshell's background sleep is orphaned: PID 1 inherits it and must reap it
    cmd = ["run", "-d", "--name", n, "busybox", "sh", "-c", "(sleep 0.2 &); exec sleep 300"]
    if init:
        cmd.insert(1, "--init")
    assert docker(*cmd).returncode == 0
    time.sleep(1.5)
    zombies = [p for p in ps_lines(docker, n) if p[1].startswith("Z")]
    if init:
        assert zombies == []
    else:
        assert zombies, "without an init the orphan stays a zombie (what the test guards)"


def test_init_passes_the_exit_status_and_output(docker):
    r = docker("run", "--rm", "--init", "busybox", "sh", "-c", "echo hi; exit 7")
    assert r.returncode == 7
    assert r.stdout == "hi\n"
    r = docker("run", "--rm", "--init", "busybox", "no-such-cmd-z")
    assert r.returncode == 127


# ---- json-file log rotation ----

def test_log_rotation_keeps_max_file_files_and_logs_reads_them(docker, names):
    n = names()
    r = docker("run", "--name", n, "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
               "busybox", "sh", "-c", "i=1; while [ $i -le 300 ]; do echo line-$i; i=$((i+1)); done")
    assert r.returncode == 0, r.stderr
    log_path = json.loads(docker("inspect", n).stdout)[0]["LogPath"]
    d = os.path.dirname(log_path)
    files = sorted(f for f in os.listdir(d) if f.startswith(os.path.basename(log_path)))
    base = os.path.basename(log_path)
    assert files == [base, base + ".1", base + ".2"], files
    for f in files:
        # at most max-size, plus the one line that reached it
        assert os.path.getsize(os.path.join(d, f)) < 1000 + 100
    out = docker("logs", n).stdout.split()
    # the oldest lines were rotated away; what is left is the end, in order, without gaps
    assert out[-1] == "line-300"
    assert "line-1" not in out
    first = int(out[0].split("-")[1])
    assert out == ["line-%d" % i for i in range(first, 301)]
    assert len(out) > 20  # more than the current file alone holds
    assert docker("logs", "--tail", "2", n).stdout.split() == ["line-299", "line-300"]


def test_log_opt_unknown_and_invalid(docker):
    r = docker("run", "--rm", "--log-opt", "foo=bar", "busybox", "true")
    assert r.returncode != 0
    assert "unknown log opt 'foo' for json-file log driver" in r.stderr
    r = docker("run", "--rm", "--log-opt", "max-size=abc", "busybox", "true")
    assert r.returncode != 0
    assert "failed to initialize logging driver: invalid size: 'abc'" in r.stderr
    r = docker("run", "--rm", "--log-opt", "max-size=1k", "--log-opt", "max-file=0", "busybox",
               "true")
    assert r.returncode != 0
    assert "max-file cannot be less than 1" in r.stderr


def test_log_follow_across_rotation(docker, names):
    n = names()
    assert docker("run", "-d", "--name", n, "--log-opt", "max-size=2k", "--log-opt",
                  "max-file=5", "busybox", "sh", "-c",
                  "sleep 1; i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); "
                  "usleep 10000; done").returncode == 0
    out = docker("logs", "-f", n, timeout=60).stdout.split()
    assert out == ["line-%d" % i for i in range(1, 101)]
