# SPDX-License-Identifier: Apache-2.0
"""Containers through the real docker CLI against berthd: run, ps, logs, exec, attach, the life
cycle and Docker's words for mistakes."""
import json
import os
import re
import time
import uuid

import pytest


def unique(prefix="c"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def names(docker):
    """Names for this test's containers; all of them are removed afterwards."""
    made = []

    def make(prefix="c"):
        n = unique(prefix)
        made.append(n)
        return n
    yield make
    if made:
        docker("rm", "-f", *made)


# ---- run ----

def test_run_prints_output_and_removes_with_rm(docker):
    r = docker("run", "--rm", "busybox", "echo", "hello world")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello world\n"
    assert docker("ps", "-aq").stdout == ""


def test_run_separates_stdout_and_stderr(docker):
    r = docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_run_exit_status_is_the_containers(docker):
    assert docker("run", "--rm", "busybox", "sh", "-c", "exit 42").returncode == 42


def test_run_killed_container_reports_128_plus_signal(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    assert docker("kill", n).returncode == 0
    # init (pid 1) dies of SIGKILL: Docker's 128 + 9
    assert docker("wait", n).stdout.strip() == "137"


def test_run_command_not_found_is_127(docker):
    r = docker("run", "--rm", "busybox", "nonexistent-cmd")
    assert r.returncode == 127
    assert 'exec: "nonexistent-cmd": executable file not found in $PATH' in r.stderr
    assert docker("ps", "-aq").stdout == ""


def test_run_command_not_executable_is_126(docker):
    r = docker("run", "--rm", "busybox", "/etc")
    assert r.returncode == 126
    assert "permission denied" in r.stderr


def test_run_missing_image(docker):
    r = docker("run", "--rm", "no-such-image:v1", "true")
    assert r.returncode == 125
    assert "Unable to find image 'no-such-image:v1' locally" in r.stderr
    # then the pull from Docker Hub, which the engine's namespace cannot reach
    assert ('Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: '
            'lookup registry-1.docker.io') in r.stderr, r.stderr


def test_run_invalid_reference(docker):
    r = docker("run", "--rm", "Busybox", "true")
    assert r.returncode == 125
    assert "invalid reference format" in r.stderr


def test_run_detached_prints_id_and_keeps_running(docker, names):
    n = names()
    r = docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    ps = docker("ps", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}}").stdout
    assert re.search(r"^%s %s Up " % (cid, n), ps, re.M), ps


def test_run_stdin_piped_with_i(docker):
    r = docker("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z; echo done",
               input="piped through\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "PIPED THROUGH\ndone\n"


def test_run_without_i_gets_no_stdin(docker):
    r = docker("run", "--rm", "busybox", "sh", "-c", "cat; echo eof", input="ignored\n")
    assert r.stdout == "eof\n"


def test_run_env_workdir_user_hostname_entrypoint_labels(docker, names, shared_engine):
    envfile = os.path.join(shared_engine.sb.dir, "env.list")
    with open(envfile, "w") as f:
        f.write("# comment\nFROMFILE=yes\n")
    n = names()
    r = docker("run", "--name", n, "-e", "A=1", "-e", "B=two words", "--env-file", envfile,
               "-w", "/tmp/work", "-u", "nobody", "-h", "myhost", "-l", "team=core",
               "--entrypoint", "sh", "busybox",
               "-c", 'echo "$A|$B|$FROMFILE|$(pwd)|$(id -u):$(id -g)|$(hostname)|$HOME|$PATH"')
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("1|two words|yes|/tmp/work|65534:65534|myhost|/home|"
                        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
    info = json.loads(docker("inspect", n).stdout)[0]
    assert info["Config"]["Labels"] == {"team": "core"}
    assert info["Config"]["Entrypoint"] == ["sh"]
    assert info["Path"] == "sh"
    assert "A=1" in info["Config"]["Env"]


def test_run_user_by_uid_and_group(docker):
    r = docker("run", "--rm", "-u", "1234:5678", "busybox", "id")
    assert r.stdout == "uid=1234 gid=5678 groups=5678\n"
    r = docker("run", "--rm", "-u", "nosuchuser", "busybox", "id")
    assert r.returncode == 125
    assert "unable to find user nosuchuser: no matching entries in passwd file" in r.stderr
    assert docker("ps", "-aq").stdout == ""  # --rm removed it


def test_run_entrypoint_reset(docker):
    r = docker("run", "--rm", "--entrypoint", "", "busybox", "echo", "plain")
    assert r.stdout == "plain\n"


# ---- names ----

def test_name_clash_is_a_conflict(docker, names):
    n = names()
    assert docker("create", "--name", n, "busybox", "true").returncode == 0
    cid = docker("inspect", "-f", "{{.Id}}", n).stdout.strip()
    r = docker("create", "--name", n, "busybox", "true")
    assert r.returncode == 1
    assert ('Conflict. The container name "/%s" is already in use by container "%s". You have '
            'to remove (or rename) that container to be able to reuse that name.' % (n, cid)
            ) in r.stderr


def test_invalid_container_name(docker):
    r = docker("create", "--name", "bad name!", "busybox", "true")
    assert r.returncode == 1
    assert "Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" \
        in r.stderr


def test_no_such_container(docker):
    for verb in (["start"], ["stop"], ["rm"], ["logs"], ["kill"], ["wait"], ["top"]):
        r = docker(*verb, "nosuch-ctr")
        assert r.returncode != 0
        assert "No such container: nosuch-ctr" in r.stderr, (verb, r.stderr)


def test_random_names_and_rename(docker, names):
    r = docker("create", "busybox", "true")
    cid = r.stdout.strip()
    name = docker("inspect", "-f", "{{.Name}}", cid).stdout.strip()
    assert re.fullmatch(r"/[a-z]+_[a-z]+", name), name
    n = names()
    assert docker("rename", cid, n).returncode == 0
    assert docker("inspect", "-f", "{{.Name}}", cid).stdout.strip() == "/" + n
    r = docker("rename", n, n)
    assert r.returncode != 0


# ---- ps ----

def test_ps_flags(docker, names):
    a, b = names("psa"), names("psb")
    docker("run", "--name", a, "busybox", "true")
    docker("run", "-d", "--name", b, "-l", "k=v", "busybox", "sleep", "300")
    running = docker("ps", "--format", "{{.Names}}").stdout.split()
    assert b in running and a not in running
    everything = docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert a in everything and b in everything
    assert docker("ps", "-l", "--format", "{{.Names}}").stdout.strip() == b
    assert len(docker("ps", "-a", "-n", "1", "-q").stdout.split()) == 1
    assert docker("ps", "-aq", "--no-trunc", "--filter", "name=" + b).stdout.strip() == \
        docker("inspect", "-f", "{{.Id}}", b).stdout.strip()
    assert docker("ps", "-a", "--filter", "status=exited",
                  "--format", "{{.Names}}").stdout.split().count(a) == 1
    assert docker("ps", "-a", "--filter", "label=k=v", "--format", "{{.Names}}").stdout.split() \
        == [b]
    assert docker("ps", "-a", "--filter", "exited=0", "--format", "{{.Names}}").stdout.split() \
        .count(a) == 1
    r = docker("ps", "--filter", "bogus=1")
    assert r.returncode != 0 and "invalid filter 'bogus'" in r.stderr
    st = docker("ps", "-a", "--filter", "name=" + a, "--format", "{{.Status}}").stdout.strip()
    assert re.fullmatch(r"Exited \(0\) .* ago", st), st


# ---- logs ----

def test_logs_tail_timestamps_since(docker, names):
    n = names()
    docker("run", "--name", n, "busybox", "sh", "-c", "for i in 1 2 3 4; do echo line$i; done; "
           "echo oops >&2")
    r = docker("logs", n)
    assert r.stdout == "line1\nline2\nline3\nline4\n"
    assert r.stderr == "oops\n"
    assert docker("logs", "--tail", "2", n).stdout == "line4\n" or \
        docker("logs", "--tail", "2", n).stderr == "oops\n"
    assert docker("logs", "--tail", "0", n).stdout == ""
    ts = docker("logs", "-t", n).stdout.splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line\d$", l) for l in ts), ts
    assert docker("logs", "--since", "2000-01-01T00:00:00Z", n).stdout.count("line") == 4
    assert docker("logs", "--until", "2000-01-01T00:00:00Z", n).stdout == ""


def test_logs_follow_ends_when_the_container_stops(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sh", "-c",
           "echo first; sleep 1; echo second")
    start = time.time()
    r = docker("logs", "-f", n, timeout=30)
    assert r.stdout == "first\nsecond\n"
    assert time.time() - start < 20


def test_logs_of_a_tty_container_are_raw(docker, names):
    n = names()
    docker("run", "-t", "--name", n, "busybox", "echo", "tty line")
    assert docker("logs", n, raw=True).stdout == b"tty line\r\n"


# ---- life cycle ----

def test_stop_uses_sigterm_then_kill(docker, names):
    n = names()
    # a shell as PID 1 ignores SIGTERM: stop waits the timeout, then kills
    docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    start = time.time()
    assert docker("stop", "-t", "1", n).returncode == 0
    assert time.time() - start < 8
    assert docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", n).stdout.strip() \
        == "exited 137"
    # a process that handles SIGTERM exits by it
    n2 = names()
    docker("run", "-d", "--name", n2, "busybox", "sh", "-c",
           "trap 'exit 3' TERM; while true; do sleep 0.1; done")
    time.sleep(0.5)
    assert docker("stop", n2).returncode == 0
    assert docker("inspect", "-f", "{{.State.ExitCode}}", n2).stdout.strip() == "3"


def test_stop_signal_from_the_config(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "--stop-signal", "USR1", "busybox", "sh", "-c",
           "trap 'exit 10' USR1; while true; do sleep 0.1; done")
    time.sleep(0.5)
    docker("stop", n)
    assert docker("inspect", "-f", "{{.State.ExitCode}}", n).stdout.strip() == "10"


def test_kill_with_signals(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sh", "-c",
           "trap 'exit 12' HUP; while true; do sleep 0.1; done")
    time.sleep(0.5)
    assert docker("kill", "-s", "HUP", n).returncode == 0
    assert docker("wait", n).stdout.strip() == "12"
    r = docker("kill", n)
    assert r.returncode != 0 and "is not running" in r.stderr
    r = docker("kill", "-s", "NOPE", n)
    assert r.returncode != 0


def test_attach_to_a_stopped_container_survives_the_clients_half_close(shared_engine, names):
    """docker start -a attaches first and, having no stdin, shuts its writing side at once;
    the engine must still hand the connection to the start that follows, however late."""
    import socket
    n = names()
    assert shared_engine.docker("create", "--name", n, "busybox", "echo", "late").returncode == 0
    s = socket.socket(socket.AF_UNIX)
    s.connect(shared_engine.sock)
    s.sendall(("POST /v1.41/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
               "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
               % n).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    s.shutdown(socket.SHUT_WR)
    time.sleep(1.2)  # past the engine's half-second look at waiting clients
    assert shared_engine.docker("start", n).returncode == 0
    s.settimeout(20)
    out = head.split(b"\r\n\r\n", 1)[1]
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    s.close()
    # stdcopy framing: stream 1, then the size, then the bytes
    assert out == b"\x01\x00\x00\x00\x00\x00\x00\x05late\n", out


def test_restart_and_start_attach(docker, names):
    n = names()
    docker("run", "--name", n, "busybox", "sh", "-c", "echo run")
    r = docker("start", "-a", n)
    assert r.returncode == 0 and r.stdout == "run\n"
    assert docker("logs", n).stdout == "run\nrun\n"
    n2 = names()
    docker("run", "-d", "--name", n2, "busybox", "sleep", "300")
    pid1 = docker("inspect", "-f", "{{.State.Pid}}", n2).stdout.strip()
    assert docker("restart", "-t", "0", n2).returncode == 0
    pid2 = docker("inspect", "-f", "{{.State.Pid}} {{.State.Running}}", n2).stdout.strip()
    assert pid2.endswith(" true") and pid2.split()[0] != pid1


def test_wait_prints_the_status(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sh", "-c", "sleep 0.5; exit 9")
    r = docker("wait", n)
    assert r.returncode == 0 and r.stdout.strip() == "9"


def test_rm_running_needs_force(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    r = docker("rm", n)
    assert r.returncode != 0
    assert "container is running: stop the container before removing or force remove" \
        in r.stderr
    assert docker("rm", "-f", n).returncode == 0
    assert docker("ps", "-aq", "--filter", "name=" + n).stdout == ""


def test_container_prune(docker, names):
    n1, n2 = names(), names()
    docker("run", "--name", n1, "busybox", "true")
    docker("run", "-d", "--name", n2, "busybox", "sleep", "300")
    r = docker("container", "prune", "-f")
    assert r.returncode == 0
    assert docker("ps", "-aq", "--filter", "name=" + n1).stdout == ""
    assert docker("ps", "-q", "--filter", "name=" + n2).stdout != ""


def test_inspect_fields(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sleep", "300")
    i = json.loads(docker("inspect", n).stdout)[0]
    assert i["Name"] == "/" + n
    assert i["State"]["Running"] is True and i["State"]["Pid"] > 0
    assert i["Image"].startswith("sha256:")
    assert i["Config"]["Image"] == "busybox"
    assert i["Config"]["Cmd"] == ["sleep", "300"]
    assert i["HostConfig"]["NetworkMode"] == "default"
    assert i["Driver"] == "overlay2"
    assert i["LogPath"].endswith("-json.log") and os.path.exists(i["LogPath"])
    assert i["GraphDriver"]["Name"] == "overlay2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", i["State"]["StartedAt"])
    assert docker("inspect", "-f", "{{.State.Status}}", n).stdout == "running\n"


def test_top_lists_the_containers_processes(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sleep", "301")
    r = docker("top", n)
    assert r.returncode == 0, r.stderr
    assert "PID" in r.stdout.splitlines()[0]
    assert "sleep 301" in r.stdout
    r = docker("top", n, "-o", "pid,comm")
    assert r.stdout.splitlines()[0].split() == ["PID", "COMMAND"]


# ---- exec ----

def test_exec(docker, names):
    n = names()
    docker("run", "-d", "--name", n, "-e", "FROMRUN=1", "busybox", "sleep", "300")
    r = docker("exec", n, "sh", "-c", "echo $FROMRUN; echo $$; hostname")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1" and lines[1] != "1"
    assert docker("exec", n, "sh", "-c", "exit 5").returncode == 5
    assert docker("exec", "-e", "X=y", "-w", "/tmp", "-u", "nobody", n, "sh", "-c",
                  "echo $X $(pwd) $(id -u)").stdout == "y /tmp 65534\n"
    r = docker("exec", "-i", n, "sh", "-c", "read l; echo got $l", input="it\n")
    assert r.stdout == "got it\n"
    r = docker("exec", n, "nonexistent")
    # dockerd writes the failure into the exec's stream, which the CLI prints; the status
    # comes from the exec's inspect
    assert r.returncode == 127 and "executable file not found" in r.stdout + r.stderr
    # exec -d leaves a process behind
    assert docker("exec", "-d", n, "sh", "-c", "sleep 302").returncode == 0
    time.sleep(0.3)
    assert "sleep 302" in docker("top", n).stdout


def test_exec_in_a_stopped_container(docker, names):
    n = names()
    docker("create", "--name", n, "busybox", "true")
    r = docker("exec", n, "true")
    assert r.returncode != 0
    assert "is not running" in r.stderr


# ---- attach ----

def test_attach_sees_later_output(docker, names, shared_engine):
    n = names()
    docker("run", "-d", "--name", n, "busybox", "sh", "-c", "sleep 1; echo late; sleep 0.5")
    r = docker("attach", n, timeout=30)
    assert "late" in r.stdout


def test_attach_to_stopped_container(docker, names):
    n = names()
    docker("run", "--name", n, "busybox", "true")
    r = docker("attach", n)
    assert r.returncode != 0
    assert "You cannot attach to a stopped container, start it first" in r.stderr


def test_pause_freezes_the_processes(docker, names):
    """docker pause stops every process of the container (the freezer), unpause lets them go
    on; a paused container still dies to docker kill."""
    name = names("pause")
    assert docker("run", "-d", "--name", name, "busybox", "sh", "-c",
                  "i=0; while true; do i=$((i+1)); echo $i > /tmp/m; mv /tmp/m /tmp/n; "
                  "sleep 0.05; done"
                  ).returncode == 0

    def count():
        return int(docker("exec", name, "cat", "/tmp/n").stdout or 0)

    time.sleep(0.3)
    assert docker("pause", name).returncode == 0
    state = json.loads(docker("inspect", name).stdout)[0]["State"]
    assert state["Status"] == "paused" and state["Paused"] and state["Running"]
    r = docker("exec", name, "true")
    assert "is paused, unpause the container before exec" in r.stderr
    assert docker("unpause", name).returncode == 0
    before = count()
    assert docker("pause", name).returncode == 0
    time.sleep(1.0)
    assert docker("unpause", name).returncode == 0
    after_unpause = count()
    # unfrozen it counts 20 a second: 1 s frozen, only the calls around it (under load, a few
    # hundred ms) may count
    assert after_unpause - before <= 8, (before, after_unpause)
    time.sleep(0.3)
    assert count() > after_unpause + 2  # and goes on once thawed
    assert docker("pause", name).returncode == 0
    assert docker("kill", name).returncode == 0
    assert docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "exited"
