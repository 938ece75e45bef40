# SPDX-License-Identifier: Apache-2.0
"""Restart policies through the docker CLI, as dockerd applies them: on-failure[:N], always,
unless-stopped; the back-off between restarts; RestartCount and the "restarting" state; what a
user's stop does; what happens when berthd itself is killed and started again."""
import json
import os
import signal
import time


def inspect(d, name):
    r = d("inspect", name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)[0]


def wait_for(pred, timeout=20, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def settled(d, name):
    """Exited and no longer restarting."""
    st = inspect(d, name)["State"]
    return st["Status"] == "exited" and not st["Restarting"]


def test_on_failure_stops_after_max_retries(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "rp-fail3", "--restart", "on-failure:3", "busybox",
             "sh", "-c", "echo run; exit 3").returncode == 0
    # 100 + 200 + 400 ms of back-off, then it stays down
    assert wait_for(lambda: inspect(d, "rp-fail3")["RestartCount"] == 3 and
                    settled(d, "rp-fail3"))
    time.sleep(1.5)
    c = inspect(d, "rp-fail3")
    assert c["RestartCount"] == 3
    assert c["State"]["Status"] == "exited" and c["State"]["ExitCode"] == 3
    assert c["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    # the first run and three restarts
    assert d("logs", "rp-fail3").stdout.splitlines() == ["run"] * 4
    ps = d("ps", "-a", "--filter", "name=rp-fail3", "--format", "{{.Status}}").stdout
    assert ps.startswith("Exited (3)")
    assert d("rm", "rp-fail3").returncode == 0


def test_on_failure_ignores_success(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "rp-ok", "--restart", "on-failure", "busybox",
             "true").returncode == 0
    assert wait_for(lambda: settled(d, "rp-ok"))
    time.sleep(0.5)
    assert inspect(d, "rp-ok")["RestartCount"] == 0
    assert d("rm", "rp-ok").returncode == 0


def test_backoff_spaces_the_restarts(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "rp-backoff", "--restart", "always", "busybox",
             "sh", "-c", "cut -d' ' -f1 /proc/uptime; exit 1").returncode == 0
    # 100, 200, 400, 800, 1600 ms: five restarts take about 3.1 s
    assert wait_for(lambda: len(d("logs", "rp-backoff").stdout.split()) >= 6, timeout=15)
    times = [float(x) for x in d("logs", "rp-backoff").stdout.split()]
    gaps = [b - a for a, b in zip(times, times[1:])][:5]
    # each wait at least the back-off, twice the one before it (a busy machine only adds)
    for i, g in enumerate(gaps):
        assert g >= 0.1 * 2 ** i - 0.02, gaps
    assert gaps[0] < gaps[4], gaps
    # while it waits it is "restarting" (Running and Restarting both true, as dockerd has it)
    st = wait_for(lambda: (lambda s: s if s["Restarting"] else None)(
        inspect(d, "rp-backoff")["State"]), timeout=10, step=0.01)
    assert st and st["Status"] == "restarting" and st["Running"] and st["Pid"] == 0
    assert d("rm", "-f", "rp-backoff").returncode == 0


def test_rm_of_restarting_container(shared_engine):
    d = shared_engine.docker
    for name in ("rp-rm", "rp-rm-stop"):
        assert d("run", "-d", "--name", name, "--restart", "always", "busybox",
                 "sh", "-c", "exit 2").returncode == 0
    # after some restarts the back-off is seconds long: it waits in "restarting"
    assert wait_for(lambda: inspect(d, "rp-rm")["RestartCount"] >= 5, timeout=15)
    assert wait_for(lambda: inspect(d, "rp-rm-stop")["State"]["Restarting"], step=0.01)
    # docker stop of a container waiting to restart: stopped for good, at once
    start = time.time()
    assert d("stop", "rp-rm-stop").returncode == 0
    assert time.time() - start < 5
    count = inspect(d, "rp-rm-stop")["RestartCount"]
    time.sleep(3.5)
    c = inspect(d, "rp-rm-stop")
    assert c["State"]["Status"] == "exited" and c["RestartCount"] == count
    assert d("rm", "rp-rm-stop").returncode == 0
    assert wait_for(lambda: inspect(d, "rp-rm")["State"]["Restarting"], step=0.01)
    r = d("rm", "rp-rm")
    assert r.returncode != 0
    assert ('cannot remove container "/rp-rm": container is restarting: stop the container '
            'before removing or force remove') in r.stderr
    ps = d("ps", "--filter", "name=rp-rm", "--format", "{{.Status}}").stdout
    assert ps.startswith("Restarting (2)"), ps
    assert d("rm", "-f", "rp-rm").returncode == 0
    assert d("inspect", "rp-rm").returncode != 0


def test_stop_ends_the_restarts(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "rp-stop", "--restart", "always", "busybox",
             "sleep", "300").returncode == 0
    assert d("stop", "-t", "1", "rp-stop").returncode == 0
    time.sleep(1)
    st = inspect(d, "rp-stop")
    assert st["State"]["Status"] == "exited" and st["RestartCount"] == 0
    # a user's start begins afresh, and its own exit restarts again
    assert d("start", "rp-stop").returncode == 0
    assert d("kill", "rp-stop").returncode == 0
    time.sleep(1)
    assert inspect(d, "rp-stop")["State"]["Status"] == "exited"
    assert d("rm", "rp-stop").returncode == 0


def test_always_restarts_a_process_that_ends(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "rp-always", "--restart", "always", "busybox",
             "sleep", "300").returncode == 0
    pid = inspect(d, "rp-always")["State"]["Pid"]
    os.kill(pid, signal.SIGKILL)  # not through the API: the container "crashed"
    st = wait_for(lambda: (lambda c: c if c["RestartCount"] == 1 and
                           c["State"]["Status"] == "running" else None)(inspect(d, "rp-always")))
    assert st and st["State"]["Pid"] not in (0, pid)
    assert d("rm", "-f", "rp-always").returncode == 0


def kill_engine(engine):
    os.kill(engine.proc.pid, signal.SIGKILL)
    engine.proc.wait()
    os.unlink(engine.sock)


def test_policies_after_berthd_restarts(engine, busybox_tar):
    d = engine.docker
    assert d("import", busybox_tar, "busybox").returncode == 0
    for name, policy in (("al", "always"), ("us", "unless-stopped"), ("usstop", "unless-stopped"),
                         ("alstop", "always"), ("no", "no"), ("of", "on-failure")):
        assert d("run", "-d", "--name", name, "--restart", policy, "busybox",
                 "sleep", "300").returncode == 0
    # stopped by the user: unless-stopped stays down, always comes back (dockerd's rule)
    assert d("stop", "-t", "0", "usstop", "alstop").returncode == 0
    pids = {n: inspect(d, n)["State"]["Pid"] for n in ("al", "us", "no", "of")}

    kill_engine(engine)
    # the containers die while berthd is away
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    engine.start()

    def status(n):
        return inspect(d, n)["State"]["Status"]
    assert wait_for(lambda: all(status(n) == "running" for n in ("al", "us", "alstop")))
    assert inspect(d, "al")["State"]["Pid"] != pids["al"]
    time.sleep(1)
    assert status("usstop") == "exited"
    assert status("no") == "exited"
    # killed (137) while berthd was away: on-failure restarts it too
    assert status("of") == "running"
    assert d("rm", "-f", "al", "us", "usstop", "alstop", "no", "of").returncode == 0


def test_policy_checked_at_create(shared_engine):
    d = shared_engine.docker
    r = d("create", "--restart", "sometimes", "busybox", "true")
    assert r.returncode != 0
    assert ("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'") in r.stderr
    r = d("create", "--restart", "on-failure:-1", "busybox", "true")
    assert r.returncode != 0
    assert "maximum retry count cannot be negative" in r.stderr
