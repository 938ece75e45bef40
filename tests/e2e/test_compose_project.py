# SPDX-License-Identifier: Apache-2.0
"""docker-compose (Debian's 1.29) with a three-service project, as a developer's: `web` built
from a Dockerfile, `db` with a named volume, `worker` depending on both and reaching `web` by
its name. Up, ps, logs, scale, and down leaving nothing behind."""
import json
import shutil
import time
import uuid

import pytest

COMPOSE = """version: "3.8"
services:
  web:
    build: ./web
  db:
    image: busybox
    command: sh -c "echo db up; date > /data/started; exec sleep 100000"
    volumes:
      - dbdata:/data
  worker:
    image: busybox
    command: sh -c "echo worker sees $$(wget -qO- http://web/); exec sleep 100000"
    depends_on:
      - web
      - db
volumes:
  dbdata:
"""

DOCKERFILE = """FROM busybox
RUN mkdir -p /www && echo hello from web > /www/index.html
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
"""


@pytest.fixture
def project(tmp_path, shared_engine):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (installer/packages/test.txt)")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text(DOCKERFILE)
    name = "p%s" % uuid.uuid4().hex[:8]

    def compose(*args):
        return shared_engine.sb.run(["docker-compose", "--no-ansi", "-p", name] + list(args),
                                    env=shared_engine.env(), cwd=str(tmp_path), timeout=180,
                                    text=True)
    yield name, compose
    compose("down", "-v", "--rmi", "local")


def project_containers(engine, name, all_=True):
    r = engine.docker("ps", "-q" + ("a" if all_ else ""), "--filter",
                      "label=com.docker.compose.project=" + name)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_compose_three_services_up_scale_logs_and_down(project, shared_engine):
    name, compose = project
    r = compose("up", "-d")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(project_containers(shared_engine, name, all_=False)) == 3
    r = compose("ps")
    assert r.returncode == 0, r.stderr
    for svc in ("web", "db", "worker"):
        line = [l for l in r.stdout.splitlines() if l.startswith("%s_%s_1" % (name, svc))]
        assert line and " Up " in line[0], r.stdout
    # the worker reached the built web server by its service name
    deadline = time.time() + 20
    while time.time() < deadline:
        logs = compose("logs", "--no-color")
        if "worker sees hello from web" in logs.stdout:
            break
        time.sleep(0.3)
    assert "worker sees hello from web" in logs.stdout, logs.stdout + logs.stderr
    assert "db up" in logs.stdout, logs.stdout
    # the named volume holds what db wrote
    vol = json.loads(shared_engine.docker("volume", "inspect", name + "_dbdata").stdout)[0]
    assert vol["Labels"]["com.docker.compose.project"] == name
    r = shared_engine.docker("exec", name + "_db_1", "cat", "/data/started")
    assert r.returncode == 0 and r.stdout.strip(), r.stderr

    r = compose("up", "-d", "--scale", "worker=3")
    assert r.returncode == 0, r.stdout + r.stderr
    r = shared_engine.docker("ps", "--format", "{{.Names}}", "--filter",
                             "label=com.docker.compose.service=worker", "--filter",
                             "label=com.docker.compose.project=" + name)
    assert sorted(r.stdout.split()) == ["%s_worker_%d" % (name, i) for i in (1, 2, 3)], r.stdout

    r = compose("down", "-v", "--rmi", "local")
    assert r.returncode == 0, r.stdout + r.stderr
    assert project_containers(shared_engine, name) == []
    nets = shared_engine.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert name + "_default" not in nets, nets
    r = shared_engine.docker("volume", "inspect", name + "_dbdata")
    assert r.returncode == 1 and "no such volume" in r.stderr, r.stderr
    r = shared_engine.docker("image", "inspect", name + "_web")
    assert r.returncode == 1, r.stdout
