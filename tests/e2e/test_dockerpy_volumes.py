# SPDX-License-Identifier: Apache-2.0
"""Volumes and binds through docker-py (Debian's python3-docker), the way Python users and
tools drive the API: `volumes=` (Binds), `volumes_from=`, the low-level APIClient's
create_host_config, and the volumes collection (create, get, list with filters, prune,
remove and its 409)."""
import os
import uuid

import pytest

docker = pytest.importorskip("docker", reason="python3-docker is not installed "
                             "(installer/packages/test.txt); run with /usr/bin/python3")


@pytest.fixture
def client(shared_engine):
    c = docker.DockerClient(base_url=shared_engine.host, version="auto", timeout=60)
    yield c
    c.close()


@pytest.fixture
def names(client):
    made = []

    def make(prefix="py"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    for n in made:
        try:
            client.containers.get(n).remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    for n in made:
        try:
            client.volumes.get(n).remove(force=True)
        except docker.errors.NotFound:
            pass


def test_binds_named_volume_and_host_dir(client, names, tmp_path):
    vol = names("vol")
    host = tmp_path / "share"
    host.mkdir()
    (host / "in.txt").write_text("from the host\n")
    out = client.containers.run(
        "busybox", ["sh", "-c", "cat /h/in.txt; echo saved > /v/f; echo back > /h/out.txt"],
        volumes={vol: {"bind": "/v", "mode": "rw"}, str(host): {"bind": "/h", "mode": "rw"}},
        remove=True)
    assert out == b"from the host\n"
    assert (host / "out.txt").read_text() == "back\n"
    out = client.containers.run("busybox", ["cat", "/v/f"], volumes=["%s:/v:ro" % vol],
                                remove=True)
    assert out == b"saved\n"
    v = client.volumes.get(vol)
    assert v.name == vol and v.attrs["Driver"] == "local"


def test_volumes_from_through_the_api(client, names):
    data, user = names("data"), names("user")
    client.containers.create("busybox", ["true"], name=data, volumes=["/shared"])
    out = client.containers.run("busybox", ["sh", "-c", "echo 42 > /shared/answer; ls /shared"],
                                volumes_from=[data], name=user)
    assert out == b"answer\n"
    c = client.containers.get(user)
    assert c.attrs["HostConfig"]["VolumesFrom"] == [data]
    (m,) = c.attrs["Mounts"]
    assert m["Type"] == "volume" and m["Destination"] == "/shared" and m["RW"] is True
    # read-only import
    with pytest.raises(docker.errors.ContainerError) as e:
        client.containers.run("busybox", ["sh", "-c", "cat /shared/answer; touch /shared/x"],
                              volumes_from=[data + ":ro"], remove=True)
    assert b"Read-only file system" in e.value.stderr
    # a missing container is a client error (400), not "image not found"
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.create("busybox", ["true"], volumes_from=["no-such-" + data])
    assert e.value.status_code == 400 and "No such container" in str(e.value)


def test_low_level_create_host_config(client, names):
    api = client.api
    name, vol = names(), names("vol")
    hc = api.create_host_config(binds={vol: {"bind": "/data", "mode": "ro"}})
    cid = api.create_container("busybox", ["true"], volumes=["/data", "/scratch"],
                               host_config=hc, name=name)["Id"]
    info = api.inspect_container(cid)
    got = {m["Destination"]: m for m in info["Mounts"]}
    assert got["/data"]["Name"] == vol and got["/data"]["RW"] is False
    assert got["/data"]["Mode"] == "ro"
    assert got["/scratch"]["Type"] == "volume" and len(got["/scratch"]["Name"]) == 64
    assert info["Volumes"] == {"/data": got["/data"]["Source"],
                               "/scratch": got["/scratch"]["Source"]}
    anon = got["/scratch"]["Name"]
    api.remove_container(cid, v=True)
    names_now = {v.name for v in client.volumes.list()}
    assert anon not in names_now and vol in names_now


def test_volume_collection(client, names):
    a, b, user = names("vol"), names("vol"), names()
    va = client.volumes.create(name=a, driver="local", labels={"tier": "db"})
    client.volumes.create(name=b)
    assert va.attrs["Labels"] == {"tier": "db"}
    assert [v.name for v in client.volumes.list(filters={"label": "tier=db"})] == [a]
    client.containers.create("busybox", ["true"], name=user, volumes=["%s:/a" % a])
    dangling = {v.name for v in client.volumes.list(filters={"dangling": True})}
    assert b in dangling and a not in dangling
    with pytest.raises(docker.errors.APIError) as e:
        client.volumes.get(a).remove()
    assert e.value.status_code == 409 and "volume is in use" in str(e.value)
    pruned = client.volumes.prune(filters={"label": "tier=db"})
    assert not pruned["VolumesDeleted"]  # the only db volume is in use
    pruned = client.volumes.prune()
    assert b in pruned["VolumesDeleted"] and a not in pruned["VolumesDeleted"]
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(b)
    client.containers.get(user).remove()
    client.volumes.get(a).remove()
    assert not os.path.exists(va.attrs["Mountpoint"])
