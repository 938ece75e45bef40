# SPDX-License-Identifier: Apache-2.0
"""The harness itself: sandboxes are isolated, and everything they start is undone, even when
the test using them fails."""
import json
import os
import subprocess

import pytest

import harness

E2E_DIR = os.path.dirname(os.path.abspath(__file__))


def netns_list():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def alive(pid):
    """True while pid exists and is not a zombie of ours."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sandbox_network_namespace_has_only_loopback(sandbox):
    r = sandbox.run(["ip", "-o", "link", "show"], check=True)
    names = [line.split(":")[1].strip() for line in r.stdout.splitlines()]
    assert names == ["lo"]
    r = sandbox.run(["ip", "-o", "-4", "addr", "show"], check=True)
    assert "127.0.0.1/8" in r.stdout and "192.168." not in r.stdout


def test_sandbox_processes_run_in_its_namespace(sandbox):
    p = sandbox.start(["sleep", "300"])
    for _ in range(100):  # nsenter execs sleep in place: same pid
        if os.readlink("/proc/%d/exe" % p.pid).endswith("sleep"):
            break
        subprocess.run(["sleep", "0.02"])
    assert os.readlink("/proc/%d/ns/net" % p.pid) != os.readlink("/proc/self/ns/net")
    assert os.stat("/proc/%d/ns/net" % p.pid).st_ino == os.stat(sandbox.netns_path).st_ino


def make_mess(sb):
    """Start a process, mount a tmpfs and return what must be gone after cleanup."""
    p = sb.start(["sleep", "300"])
    mnt = sb.path("mnt")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", mnt], check=True)
    assert harness.mounts_under(sb.dir) == [mnt]
    return {"pid": p.pid, "mnt": mnt, "netns": sb.netns, "dir": sb.dir}


def assert_all_gone(mess):
    assert not alive(mess["pid"]), "process %d still runs" % mess["pid"]
    assert harness.mounts_under(mess["mnt"]) == []
    assert mess["netns"] not in netns_list()
    assert not os.path.exists(mess["dir"])


def test_cleanup_undoes_processes_mounts_netns_and_files():
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    sb = harness.Sandbox("cleanup")
    mess = make_mess(sb)
    assert mess["netns"] in netns_list()
    sb.cleanup()
    assert_all_gone(mess)


def test_cleanup_ends_containers_berthd_left_running(bins, busybox_tar):
    """berthd leaves its containers running when it stops (they outlive it by design): the
    sandbox ends those it started, and their monitors, so no test leaks a container."""
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    sb = harness.Sandbox("leftover")
    try:
        eng = harness.Engine(sb).start()
        assert eng.docker("import", busybox_tar, "busybox").returncode == 0
        r = eng.docker("run", "-d", "busybox", "sleep", "300")
        assert r.returncode == 0, r.stderr
        pid = int(eng.docker("inspect", "-f", "{{.State.Pid}}", r.stdout.strip()).stdout)
        mons = sb.monitors()
        assert len(mons) == 1
    finally:
        sb.cleanup()
    for p in [pid] + mons:
        assert harness.zombie(p), "pid %d outlived the sandbox" % p


def test_cleanup_happens_when_the_test_fails(pytester, monkeypatch):
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    record = pytester.path / "mess.json"
    with open(os.path.join(E2E_DIR, "conftest.py")) as f:
        pytester.makeconftest(f.read())
    pytester.makepyfile(test_inner="""
        import json
        import test_harness

        def test_that_fails(sandbox):
            mess = test_harness.make_mess(sandbox)
            with open(%r, "w") as f:
                json.dump(mess, f)
            assert False, "this test fails on purpose"
    """ % str(record))
    monkeypatch.setenv("PYTHONPATH", E2E_DIR)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    with open(record) as f:
        mess = json.load(f)
    assert_all_gone(mess)
