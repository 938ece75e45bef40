# SPDX-License-Identifier: Apache-2.0
"""Containers outlive berthd: killed with SIGKILL or stopped, it comes back and adopts them."""
import json
import os
import signal
import time

import harness


def test_kill_9_and_restart_keeps_containers(engine, busybox_tar):
    d = engine.docker
    assert d("import", busybox_tar, "busybox").returncode == 0
    # a container that writes a numbered line every 50 ms, one that exits while berthd is
    # away, and one that is merely created
    assert d("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
             "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.05; done").returncode == 0
    assert d("run", "-d", "--name", "short", "busybox", "sh", "-c",
             "sleep 1.5; exit 4").returncode == 0
    assert d("create", "--name", "idle", "busybox", "true").returncode == 0
    pid = int(d("inspect", "-f", "{{.State.Pid}}", "ticker").stdout)
    time.sleep(0.5)

    os.kill(engine.proc.pid, signal.SIGKILL)
    engine.proc.wait()
    time.sleep(2.5)  # "short" exits meanwhile; "ticker" goes on
    assert os.path.exists("/proc/%d" % pid), "the container died with berthd"
    os.unlink(engine.sock)
    engine.start()

    st = json.loads(d("inspect", "ticker", "short", "idle").stdout)
    by = {c["Name"]: c["State"] for c in st}
    assert by["/ticker"]["Status"] == "running" and by["/ticker"]["Pid"] == pid
    assert by["/short"]["Status"] == "exited" and by["/short"]["ExitCode"] == 4
    assert by["/idle"]["Status"] == "created"

    # the log kept every line, in order, with none lost while berthd was away
    lines = d("logs", "ticker").stdout.splitlines()
    assert len(lines) > 40
    assert lines == ["line %d" % i for i in range(len(lines))]

    # the adopted container still answers to exec and stop
    assert d("exec", "ticker", "echo", "still here").stdout == "still here\n"
    start = time.time()
    assert d("stop", "-t", "1", "ticker").returncode == 0
    assert time.time() - start < 10
    assert d("inspect", "-f", "{{.State.Status}}", "ticker").stdout.strip() == "exited"
    assert not os.path.exists("/proc/%d" % pid) or \
        open("/proc/%d/stat" % pid).read().split(")")[-1].split()[0] == "Z"
    # and it can be started again
    assert d("start", "ticker").returncode == 0
    assert d("rm", "-f", "ticker", "short", "idle").returncode == 0


def test_sigterm_leaves_containers_running(engine, busybox_tar):
    d = engine.docker
    d("import", busybox_tar, "busybox")
    d("run", "-d", "--name", "keep", "busybox", "sleep", "300")
    pid = int(d("inspect", "-f", "{{.State.Pid}}", "keep").stdout)
    engine.sb.stop(engine.proc)  # SIGTERM: a clean shutdown
    assert os.path.exists("/proc/%d" % pid)
    engine.start()
    assert d("inspect", "-f", "{{.State.Running}}", "keep").stdout.strip() == "true"
    assert d("rm", "-f", "keep").returncode == 0
    time.sleep(0.2)
    assert not os.path.exists("/proc/%d/cmdline" % pid) or \
        open("/proc/%d/cmdline" % pid).read() == ""
