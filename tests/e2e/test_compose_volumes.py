# SPDX-License-Identifier: Apache-2.0
"""docker-compose (Debian's 1.29, over docker-py) with volumes: a named volume declared in the
file (created with compose's labels), a relative bind mount, data kept across `down` and `up`,
and `down -v` removing the volume."""
import json
import shutil
import uuid

import pytest

COMPOSE = """version: "3.7"
services:
  app:
    image: busybox
    network_mode: none
    command: sh -c "cat /conf/greeting; echo run >> /data/runs; wc -l < /data/runs"
    volumes:
      - appdata:/data
      - ./conf:/conf:ro
volumes:
  appdata:
    labels:
      purpose: e2e
"""


@pytest.fixture
def project(tmp_path, shared_engine):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (installer/packages/test.txt)")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "greeting").write_text("hello from the host\n")
    name = "p%s" % uuid.uuid4().hex[:8]

    def compose(*args):
        return shared_engine.sb.run(["docker-compose", "--no-ansi", "-p", name] + list(args),
                                    env=shared_engine.env(), cwd=str(tmp_path), timeout=120,
                                    text=True)
    yield name, compose
    compose("down", "-v")


def test_compose_named_volume_lives_until_down_v(project, shared_engine):
    name, compose = project
    r = compose("up", "--abort-on-container-exit")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "hello from the host" in r.stdout and "| 1" in r.stdout.replace("|  ", "| ")
    vol = json.loads(shared_engine.docker("volume", "inspect", name + "_appdata").stdout)[0]
    assert vol["Labels"]["purpose"] == "e2e"
    assert vol["Labels"]["com.docker.compose.project"] == name
    # down keeps the volume: the next up counts on
    assert compose("down").returncode == 0
    r = compose("up", "--abort-on-container-exit")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "| 2" in r.stdout.replace("|  ", "| ")
    r = compose("down", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    r = shared_engine.docker("volume", "inspect", name + "_appdata")
    assert r.returncode == 1 and "no such volume" in r.stderr
