# SPDX-License-Identifier: Apache-2.0
"""Many containers at once, and interactive sessions on a pseudo-terminal."""
import concurrent.futures
import re

import harness
from harness import drive


def test_hundred_containers_started_concurrently(shared_engine):
    d = shared_engine.docker
    names = ["many-%03d" % i for i in range(100)]

    def start(n):
        return d("run", "-d", "--name", n, "busybox", "sh", "-c", "echo %s; sleep 60" % n,
                 timeout=300)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
            results = list(pool.map(start, names))
        failures = [(r.args[-1], r.stderr) for r in results if r.returncode != 0]
        assert not failures, failures[:3]
        running = d("ps", "--format", "{{.Names}}").stdout.split()
        assert sorted(n for n in running if n.startswith("many-")) == names
        # each one has its own output
        for n in ("many-000", "many-042", "many-099"):
            assert d("logs", n).stdout == n + "\n"
        assert shared_engine.ping()
    finally:
        for i in range(0, 100, 25):
            d("rm", "-f", *names[i:i + 25], timeout=300)
    assert not [n for n in d("ps", "-a", "--format", "{{.Names}}").stdout.split()
                if n.startswith("many-")]


def test_interactive_tty_session(shared_engine):
    argv = ["nsenter", "--net=" + shared_engine.sb.netns_path, "--",
            harness.docker_cli(), "run", "-it", "--rm", "busybox", "sh"]
    shown, status = harness.drive(argv, shared_engine.env(), [
        ("# ", "tty; echo $TERM\r"),
        ("xterm", "stty size\r"),
        ("# ", "echo hello from the tty; exit 3\r"),
    ])
    assert "/dev/pts/0" in shown
    assert "hello from the tty" in shown
    assert status == 3, shown


def test_detach_keys_leave_the_container_running(shared_engine):
    d = shared_engine.docker
    name = "detach-me"
    argv = ["nsenter", "--net=" + shared_engine.sb.netns_path, "--",
            harness.docker_cli(), "run", "-it", "--name", name, "busybox", "sh"]
    try:
        shown, status = harness.drive(argv, shared_engine.env(), [("# ", "echo attached\r"),
                                                         ("attached", "\x10\x11")])
        assert status == 0, shown
        assert d("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"
    finally:
        d("rm", "-f", name)


def test_exec_it_session(shared_engine):
    d = shared_engine.docker
    d("run", "-d", "--name", "exec-tty", "busybox", "sleep", "300")
    try:
        argv = ["nsenter", "--net=" + shared_engine.sb.netns_path, "--",
                harness.docker_cli(), "exec", "-it", "exec-tty", "sh"]
        shown, status = harness.drive(argv, shared_engine.env(), [
            ("# ", "tty; ps | grep -c sleep\r"),
            ("# ", "exit 4\r"),
        ])
        assert re.search(r"/dev/pts/\d+", shown)
        assert status == 4, shown
    finally:
        d("rm", "-f", "exec-tty")
