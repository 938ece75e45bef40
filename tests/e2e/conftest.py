# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the end-to-end tests; see harness.py for what they guarantee."""
import os
import subprocess

import pytest

import harness


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.failed


def pytest_configure(config):
    config.addinivalue_line("markers", "root: needs root (network namespaces, mounts)")


@pytest.fixture
def bins():
    """The built programs; the test is skipped (with the reason) when they are missing."""
    for b in (harness.BERTH, harness.BERTHD):
        if not os.access(b, os.X_OK):
            pytest.skip("%s is not built (cmake --build build)" % b)
    return harness


@pytest.fixture
def sandbox(request):
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    sb = harness.Sandbox(request.node.name[:20])
    try:
        yield sb
    finally:
        sb.cleanup()


@pytest.fixture
def engine(request, bins, sandbox):
    """A running berthd of its own, and the docker CLI pointed at it. Its log is printed
    when the test fails."""
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    eng = harness.Engine(sandbox).start()
    yield eng
    if failed(request):
        print("---- berthd log ----\n" + eng.log()[-20000:])


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory):
    """The busybox test rootfs as a tar (tests/images/make-busybox-rootfs.sh), made once."""
    if not os.path.exists("/bin/busybox"):
        pytest.skip("Debian's busybox-static is not installed (installer/install-deps.sh)")
    out = str(tmp_path_factory.mktemp("images") / "busybox.tar")
    script = os.path.join(harness.SOURCE_DIR, "tests", "images", "make-busybox-rootfs.sh")
    subprocess.run([script, out], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def shared_engine(request, busybox_tar):
    """One berthd for a whole test file, with the busybox image imported as "busybox"; tests
    that use it must leave no containers behind (they use unique names and clean up)."""
    for b in (harness.BERTH, harness.BERTHD):
        if not os.access(b, os.X_OK):
            pytest.skip("%s is not built (cmake --build build)" % b)
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    sb = harness.Sandbox(request.module.__name__[-20:])
    try:
        eng = harness.Engine(sb).start()
        r = eng.docker("import", busybox_tar, "busybox")
        assert r.returncode == 0, r.stderr
        yield eng
    finally:
        sb.cleanup()


@pytest.fixture
def docker(shared_engine):
    """The docker CLI against the module's engine: docker("run", ...) -> CompletedProcess."""
    return shared_engine.docker


pytest_plugins = ["pytester"]
