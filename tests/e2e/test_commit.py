# SPDX-License-Identifier: Apache-2.0
"""docker commit and berth commit: a container's changes (files added, changed and deleted)
as a new layer, --change/-m/-a into the config and history, a container that changed nothing
adding no layer, a running container frozen for the while, and dockerd's errors. The mount
points the runtime made (/etc/hosts, /proc, volumes...) are never part of a commit."""
import json
import uuid

import pytest


@pytest.fixture(params=["docker", "berth"])
def docker(request, shared_engine):
    return getattr(shared_engine, request.param)


@pytest.fixture
def names(shared_engine):
    made = []

    def make(prefix="c"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield made, make
    for n in made:
        shared_engine.docker("rm", "-f", "-v", n)
        shared_engine.docker("rmi", n)


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def inspect(d, name):
    return json.loads(ok(d("image", "inspect", name)))[0]


def test_commit_changes_config_and_history(docker, names):
    _, make = names
    c, img = make(), make("img")
    ok(docker("run", "--name", c, "-v", "/vol", "busybox", "sh", "-c",
              "mkdir /app && echo hello > /app/greeting && rm /bin/vi && echo v > /vol/f"))
    out = ok(docker("commit", "-a", "Ann Author", "-m", "a message", "-c", "ENV MODE=prod",
                    "-c", 'CMD ["cat", "/app/greeting"]', c, img + ":v1"))
    assert out.startswith("sha256:") and len(out.strip()) == 71
    assert ok(docker("run", "--rm", img + ":v1")) == "hello\n"
    r = docker("run", "--rm", img + ":v1", "ls", "/bin/vi")
    assert r.returncode == 1 and "No such file" in r.stderr  # the deletion is in the layer
    assert ok(docker("run", "--rm", img + ":v1", "sh", "-c", "echo $MODE; ls -A /vol")) \
        == "prod\n"  # the volume's content is not
    base, new = inspect(docker, "busybox"), inspect(docker, img + ":v1")
    assert new["Id"] == out.strip()
    assert new["Parent"] == base["Id"]
    assert new["Author"] == "Ann Author" and new["Comment"] == "a message"
    assert new["Config"]["Cmd"] == ["cat", "/app/greeting"]
    assert "MODE=prod" in new["Config"]["Env"]
    assert new["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
    assert len(new["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    hist = ok(docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}",
                     img + ":v1")).splitlines()
    assert hist[0].startswith("sh -c mkdir /app") and hist[0].endswith("|a message")


def test_nothing_changed_adds_no_layer(docker, names):
    _, make = names
    c, img = make(), make("img")
    ok(docker("run", "--name", c, "busybox", "true"))
    ok(docker("commit", c, img))
    base, new = inspect(docker, "busybox"), inspect(docker, img)
    assert new["RootFS"]["Layers"] == base["RootFS"]["Layers"]
    assert new["Id"] != base["Id"]


def test_commit_of_a_running_container(docker, names):
    _, make = names
    c, img = make(), make("img")
    ok(docker("run", "-d", "--name", c, "busybox", "sh", "-c",
              "echo running > /state; exec sleep 60"))
    ok(docker("exec", c, "true"))
    ok(docker("commit", c, img))
    # frozen for the while, running again after
    st = json.loads(ok(docker("inspect", c)))[0]["State"]
    assert st["Running"] and not st["Paused"]
    assert ok(docker("run", "--rm", img, "cat", "/state")) == "running\n"


def test_commit_errors(docker, names):
    _, make = names
    r = docker("commit", "no-such-" + uuid.uuid4().hex[:6])
    assert r.returncode == 1 and "No such container: no-such-" in r.stderr
    c = make()
    ok(docker("create", "--name", c, "busybox", "true"))
    r = docker("commit", "-c", "FROM scratch", c)
    assert r.returncode == 1 and "FROM is not a valid change command" in r.stderr
    r = docker("commit", c, "Bad:Ref:x")
    assert r.returncode != 0 and "invalid reference format" in r.stderr
