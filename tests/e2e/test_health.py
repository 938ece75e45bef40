# SPDX-License-Identifier: Apache-2.0
"""HEALTHCHECK through the docker CLI and docker-py: --health-cmd and its options run inside the
running container as dockerd runs them; State.Health (Status, FailingStreak, Log) in inspect,
"(healthy)" in docker ps and its health= filter, health_status events."""
import json
import subprocess
import time

import pytest


def health(d, name):
    r = d("inspect", name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)[0]["State"].get("Health")


def wait_status(d, name, want, timeout=20):
    end = time.time() + timeout
    h = None
    while time.time() < end:
        h = health(d, name)
        if h and h["Status"] == want:
            return h
        time.sleep(0.1)
    raise AssertionError("%s never became %s: %s" % (name, want, h))


def test_healthy_after_first_passing_check(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "hc-ok", "--health-cmd", "echo hello from the check",
             "--health-interval", "2s", "busybox", "sleep", "300").returncode == 0
    h = health(d, "hc-ok")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    ps = d("ps", "--filter", "name=hc-ok", "--format", "{{.Status}}").stdout
    assert ps.strip().endswith("(health: starting)"), ps
    h = wait_status(d, "hc-ok", "healthy", timeout=10)
    assert h["FailingStreak"] == 0
    entry = h["Log"][0]
    assert entry["ExitCode"] == 0 and entry["Output"] == "hello from the check\n"
    assert entry["Start"] <= entry["End"]
    ps = d("ps", "--filter", "name=hc-ok", "--format", "{{.Status}}").stdout
    assert ps.strip().endswith("(healthy)"), ps
    names = d("ps", "--filter", "health=healthy", "--format", "{{.Names}}").stdout.split()
    assert "hc-ok" in names
    assert "hc-ok" not in d("ps", "--filter", "health=unhealthy", "--format",
                            "{{.Names}}").stdout.split()
    r = d("ps", "--filter", "health=sick")
    assert r.returncode != 0 and "Unrecognised filter value for health: sick" in r.stderr
    # the log keeps the last five, and the check's exec instances do not linger
    end = time.time() + 20
    while time.time() < end and len(health(d, "hc-ok")["Log"]) < 5:
        time.sleep(0.2)
    time.sleep(2.5)
    h = health(d, "hc-ok")
    assert len(h["Log"]) == 5
    assert json.loads(d("inspect", "hc-ok").stdout)[0]["ExecIDs"] in (None, [])
    assert d("rm", "-f", "hc-ok").returncode == 0


def test_unhealthy_after_retries_and_events(shared_engine):
    d = shared_engine.docker
    since = str(int(time.time()) - 1)
    assert d("run", "-d", "--name", "hc-bad", "--health-cmd", "echo no >&2; exit 1",
             "--health-interval", "300ms", "--health-retries", "2", "busybox",
             "sh", "-c", "touch /ok; sleep 300").returncode == 0
    h = wait_status(d, "hc-bad", "unhealthy", timeout=10)
    assert h["FailingStreak"] >= 2
    assert h["Log"][-1]["ExitCode"] == 1 and h["Log"][-1]["Output"] == "no\n"
    ps = d("ps", "--filter", "name=hc-bad", "--format", "{{.Status}}").stdout
    assert ps.strip().endswith("(unhealthy)"), ps
    assert "hc-bad" in d("ps", "--filter", "health=unhealthy", "--format",
                         "{{.Names}}").stdout.split()
    assert "hc-bad" not in d("ps", "--filter", "health=none", "--format",
                             "{{.Names}}").stdout.split()
    ev = d("events", "--since", since, "--until", str(int(time.time()) + 1), "--filter",
           "container=hc-bad", "--format", "{{.Action}}")
    if ev.returncode != 0:
        pytest.skip("docker events is not served by this engine: %s" % ev.stderr.strip())
    assert "health_status: unhealthy" in ev.stdout.splitlines()
    assert d("rm", "-f", "hc-bad").returncode == 0


def test_timeout_kills_a_hanging_check(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "hc-hang", "--health-cmd", "sleep 100",
             "--health-interval", "500ms", "--health-timeout", "1s", "--health-retries", "1",
             "busybox", "sleep", "300").returncode == 0
    h = wait_status(d, "hc-hang", "unhealthy", timeout=15)
    entry = h["Log"][0]
    assert entry["ExitCode"] == -1
    assert entry["Output"] == "Health check exceeded timeout (1s)"
    # the hanging check's process was killed
    out = d("exec", "hc-hang", "ps").stdout
    assert "sleep 100" not in out, out
    assert d("rm", "-f", "hc-hang").returncode == 0


def test_start_period_failures_do_not_count(shared_engine):
    d = shared_engine.docker
    # within the start period checks come every 5 s (dockerd's start interval, which API 1.41
    # clients cannot set): the one at 5 s fails without counting, the one at 10 s passes
    assert d("run", "-d", "--name", "hc-slow", "--health-cmd", "test -e /ready",
             "--health-interval", "300ms", "--health-retries", "1",
             "--health-start-period", "12s",
             "busybox", "sh", "-c", "sleep 7.5; touch /ready; sleep 300").returncode == 0
    end = time.time() + 7.4
    while time.time() < end and not health(d, "hc-slow")["Log"]:
        time.sleep(0.1)
    h = health(d, "hc-slow")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0, h
    assert [e["ExitCode"] for e in h["Log"]] == [1]
    h = wait_status(d, "hc-slow", "healthy", timeout=10)
    assert h["FailingStreak"] == 0
    assert d("rm", "-f", "hc-slow").returncode == 0


def test_output_truncated_and_none(shared_engine):
    d = shared_engine.docker
    assert d("run", "-d", "--name", "hc-big", "--health-cmd",
             "head -c 5000 /dev/zero | tr '\\0' a", "--health-interval", "300ms",
             "busybox", "sleep", "300").returncode == 0
    h = wait_status(d, "hc-big", "healthy", timeout=10)
    assert h["Log"][0]["Output"] == "a" * 4096 + "..."
    assert d("rm", "-f", "hc-big").returncode == 0
    # --no-healthcheck: no Health at all
    assert d("run", "-d", "--name", "hc-none", "--no-healthcheck", "busybox",
             "sleep", "300").returncode == 0
    time.sleep(0.5)
    assert health(d, "hc-none") is None
    assert "hc-none" in d("ps", "--filter", "health=none", "--format",
                          "{{.Names}}").stdout.split()
    assert d("rm", "-f", "hc-none").returncode == 0


def test_dockerpy_state_health(shared_engine):
    docker = pytest.importorskip("docker", reason="python3-docker is not installed "
                                 "(run with /usr/bin/python3)")
    client = docker.DockerClient(base_url=shared_engine.host, version="auto", timeout=60)
    try:
        c = client.containers.run(
            "busybox", ["sleep", "300"], name="hc-py", detach=True,
            healthcheck={"test": ["CMD", "true"], "interval": 300 * 1000000,
                         "retries": 2})
        end = time.time() + 10
        while time.time() < end:
            c.reload()
            if c.attrs["State"].get("Health", {}).get("Status") == "healthy":
                break
            time.sleep(0.1)
        h = c.attrs["State"]["Health"]
        assert h["Status"] == "healthy" and h["Log"][-1]["ExitCode"] == 0
        assert c.attrs["Config"]["Healthcheck"]["Test"] == ["CMD", "true"]
        c.remove(force=True)
    finally:
        client.close()


def test_image_healthcheck_and_override(shared_engine, tmp_path):
    d = shared_engine.docker
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\n"
        "HEALTHCHECK --interval=300ms --retries=1 CMD test -e /tmp/ok\n"
        "CMD [\"sh\", \"-c\", \"touch /tmp/ok; sleep 300\"]\n")
    r = d("build", "-t", "hc-image", str(tmp_path), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert d("run", "-d", "--name", "hc-img", "hc-image").returncode == 0
    wait_status(d, "hc-img", "healthy", timeout=10)
    # the container's own --health-cmd wins over the image's; --no-healthcheck turns it off
    assert d("run", "-d", "--name", "hc-img2", "--health-cmd", "exit 1", "hc-image").returncode == 0
    wait_status(d, "hc-img2", "unhealthy", timeout=10)
    assert d("run", "-d", "--name", "hc-img3", "--no-healthcheck", "hc-image").returncode == 0
    time.sleep(1)
    assert health(d, "hc-img3") is None
    assert d("rm", "-f", "hc-img", "hc-img2", "hc-img3").returncode == 0
    assert d("rmi", "hc-image").returncode == 0


def test_berth_cli_health_flags_match_docker(shared_engine):
    flags = ["--health-cmd", "test -d /", "--health-interval", "300ms", "--health-timeout",
             "1m30s", "--health-retries", "2", "--health-start-period", "1.5s"]
    configs = {}
    for prog, run in (("docker", shared_engine.docker), ("berth", shared_engine.berth)):
        name = "hc-cli-" + prog
        r = run("create", "--name", name, *flags, "busybox", "sleep", "300")
        assert r.returncode == 0, r.stderr
        configs[prog] = json.loads(run("inspect", name).stdout)[0]["Config"]["Healthcheck"]
        assert run("start", name).returncode == 0
        wait_status(shared_engine.docker, name, "healthy", timeout=10)
        ps = run("ps", "--filter", "name=" + name, "--format", "{{.Status}}").stdout
        assert ps.strip().endswith("(healthy)"), ps
        r = run("create", "--no-healthcheck", "--health-cmd", "true", "busybox")
        assert r.returncode != 0
        assert "--no-healthcheck conflicts with --health-* options" in r.stderr
        r = run("create", "--health-interval", "5x", "busybox")
        assert r.returncode != 0 and 'unknown unit "x" in duration "5x"' in r.stderr, r.stderr
        r = run("create", "--health-timeout", "-1s", "busybox")
        assert r.returncode != 0 and "--health-timeout cannot be negative" in r.stderr
        assert run("rm", "-f", name).returncode == 0
    assert configs["berth"] == configs["docker"]
    assert configs["docker"] == {"Test": ["CMD-SHELL", "test -d /"], "Interval": 300000000,
                                 "Timeout": 90000000000, "StartPeriod": 1500000000,
                                 "Retries": 2}
