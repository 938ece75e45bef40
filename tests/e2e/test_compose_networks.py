# SPDX-License-Identifier: Apache-2.0
"""docker-compose (Debian's 1.29, over docker-py) with networks: a two-service project on its
default network (a user-defined bridge compose creates), one service reaching the other through
a link alias, the other publishing a port reached from the engine's namespace; `down` removes
the containers and the network."""
import json
import shutil
import time
import uuid

import pytest

COMPOSE = """version: "2.4"
services:
  db:
    image: busybox
    command: sh -c "mkdir -p /www && echo from-db > /www/index.html && exec httpd -f -p 80 -h /www"
    expose:
      - "80"
  web:
    image: busybox
    depends_on:
      - db
    links:
      - "db:database"
    ports:
      - "18090:80"
    command: >-
      sh -c "mkdir -p /www; for i in $$(seq 50); do
      wget -q -O /www/index.html http://database/ && break; sleep 0.2; done;
      exec httpd -f -p 80 -h /www"
"""


@pytest.fixture
def project(tmp_path, shared_engine):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (installer/packages/test.txt)")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    name = "p%s" % uuid.uuid4().hex[:8]

    def compose(*args):
        return shared_engine.sb.run(["docker-compose", "--no-ansi", "-p", name] + list(args),
                                    env=shared_engine.env(), cwd=str(tmp_path), timeout=120,
                                    text=True, capture_output=True)
    yield name, compose
    compose("down", "-v")


def test_compose_link_alias_and_published_port(project, shared_engine):
    name, compose = project
    r = compose("up", "-d")
    assert r.returncode == 0, r.stdout + r.stderr
    got = None
    for _ in range(100):
        g = shared_engine.sb.run(["curl", "-sS", "--max-time", "3", "http://127.0.0.1:18090/"],
                                 text=True, capture_output=True)
        if g.returncode == 0 and g.stdout:
            got = g.stdout
            break
        time.sleep(0.2)
    assert got == "from-db\n", (got, compose("logs").stdout)
    nets = json.loads(shared_engine.docker("network", "inspect", name + "_default").stdout)
    assert len(nets[0]["Containers"]) == 2
    r = compose("port", "web", "80")
    assert r.returncode == 0 and r.stdout.strip() == "0.0.0.0:18090", r.stdout + r.stderr
    r = compose("down")
    assert r.returncode == 0, r.stdout + r.stderr
    assert shared_engine.docker("network", "inspect", name + "_default").returncode != 0
    ps = shared_engine.docker("ps", "-a", "--filter", "label=com.docker.compose.project=" + name,
                              "-q")
    assert ps.stdout.strip() == ""
    g = shared_engine.sb.run(["curl", "-sS", "--max-time", "2", "http://127.0.0.1:18090/"],
                             text=True, capture_output=True)
    assert g.returncode != 0
