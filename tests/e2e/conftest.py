# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the end-to-end tests; see harness.py for what they guarantee."""
import os

import pytest

import harness


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
def engine(bins, sandbox):
    """A running berthd of its own, and the docker CLI pointed at it."""
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    return harness.Engine(sandbox).start()


pytest_plugins = ["pytester"]
