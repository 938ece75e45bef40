# SPDX-License-Identifier: Apache-2.0
"""`berth quickstart` as a new user runs it: prerequisites, the machine "default" created and
started, a first image and container, the environment printed (no terminal) or a shell opened
with it (a terminal), and a second run that reuses the machine. In a network namespace the test
makes, as test_machine.py does; with the qemu driver, since the test must not start this
machine's own libvirtd."""
import os
import re

import pytest

import test_machine
from test_machine import IP, Machines, harness

URL = "tcp://%s:2376" % IP

pytestmark = test_machine.pytestmark + [
    pytest.mark.skipif(not os.path.exists("/bin/busybox"),
                       reason="Debian's busybox-static is not installed"),
]


@pytest.fixture(scope="module")
def machines():
    sb = harness.Sandbox("quickstart")
    m = Machines(sb, "qemu")
    try:
        yield m
    finally:
        try:
            m.cleanup()
        finally:
            sb.cleanup()


def test_first_run_without_a_terminal(machines):
    r = machines.berth("quickstart", "--driver", "qemu", timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.startswith("Checking prerequisites...\n  hypervisor: "), out
    assert 'Starting "default"...' in out and "Docker is up and running!" in out
    assert "Imported the image busybox:latest" in out
    assert "$ berth run --rm busybox echo 'Hello from Berth!'\nHello from Berth!\n" in out, out
    assert 'export DOCKER_HOST="%s"' % URL in out
    assert "# eval $(berth machine env default)" in out
    assert os.path.isdir(machines.dir("default"))


def test_second_run_reuses_the_machine(machines):
    created = os.stat(os.path.join(machines.dir("default"), "disk.qcow2")).st_ino
    r = machines.berth("quickstart", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'Machine "default" is already running.' in r.stdout
    assert "Creating machine" not in r.stdout and "Imported" not in r.stdout
    assert "Hello from Berth!" in r.stdout
    assert os.stat(os.path.join(machines.dir("default"), "disk.qcow2")).st_ino == created
    assert machines.ok("machine", "ls", "-q").stdout == "default\n"


def test_a_terminal_gets_a_shell_with_the_environment(machines):
    argv = machines.sb.wrap([harness.BERTH, "quickstart"])
    env = machines.env(SHELL="/bin/sh", TERM="xterm")
    out, status = harness.drive(argv, env, [("exit it to leave", "echo host=$DOCKER_HOST; exit\n")],
                                timeout=120)
    assert "host=%s" % URL in out, out
    assert status == 0, out


def test_stopped_machine_is_started_again(machines):
    machines.ok("machine", "stop", "default", timeout=120)
    r = machines.berth("quickstart", "--no-shell", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'Machine "default" was started.' in r.stdout
    assert re.search(r"Hello from Berth!", r.stdout)
