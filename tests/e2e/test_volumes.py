# SPDX-License-Identifier: Apache-2.0
"""Named volumes through the docker CLI: create (named, anonymous, labels), ls with filters,
inspect, rm, and dockerd's errors. Containers do not mount volumes yet (the volumes issue goes
on); `berth volume` comes with them."""
import json
import os
import uuid

import pytest


@pytest.fixture
def vols(docker):
    """Names for this test's volumes; all of them are removed afterwards."""
    made = []

    def make(prefix="v"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        docker("volume", "rm", "-f", *made)


def test_create_inspect_rm(docker, shared_engine, vols):
    name = vols()
    r = docker("volume", "create", name)
    assert r.returncode == 0 and r.stdout == name + "\n", r.stderr
    v = json.loads(docker("volume", "inspect", name).stdout)[0]
    assert v["Name"] == name and v["Driver"] == "local" and v["Scope"] == "local"
    assert v["Mountpoint"].endswith("/volumes/%s/_data" % name)
    assert os.path.isdir(v["Mountpoint"])
    assert v["CreatedAt"].endswith("Z")
    # creating it again hands back the same volume, as dockerd does
    assert docker("volume", "create", name).stdout == name + "\n"
    assert docker("volume", "rm", name).stdout == name + "\n"
    assert not os.path.exists(v["Mountpoint"])
    r = docker("volume", "inspect", name)
    assert r.returncode == 1 and "get %s: no such volume" % name in r.stderr
    r = docker("volume", "rm", name)
    assert r.returncode == 1 and "get %s: no such volume" % name in r.stderr
    assert docker("volume", "rm", "-f", name).returncode == 0


def test_anonymous_volume_gets_a_random_name(docker):
    r = docker("volume", "create")
    assert r.returncode == 0, r.stderr
    name = r.stdout.strip()
    assert len(name) == 64 and all(c in "0123456789abcdef" for c in name)
    assert docker("volume", "rm", name).returncode == 0


def test_ls_with_filters(docker, vols):
    a, b = vols("a"), vols("b")
    assert docker("volume", "create", "--label", "tier=db", a).returncode == 0
    assert docker("volume", "create", "--label", "tier=web", b).returncode == 0
    names = docker("volume", "ls", "-q").stdout.split()
    assert a in names and b in names
    assert docker("volume", "ls", "-q", "-f", "label=tier=db").stdout.split() == [a]
    assert docker("volume", "ls", "-q", "-f", "name=%s" % b).stdout.split() == [b]
    assert a in docker("volume", "ls", "-q", "-f", "driver=local").stdout.split()
    r = docker("volume", "ls", "-f", "bogus=1")
    assert r.returncode == 1 and "invalid filter 'bogus'" in r.stderr
    table = docker("volume", "ls").stdout.splitlines()
    assert table[0].split() == ["DRIVER", "VOLUME", "NAME"]


@pytest.mark.parametrize("args,message", [
    (["x"], "volume name is too short, names should be at least two alphanumeric characters"),
    (["a/b"], "\"a/b\" includes invalid characters for a local volume name, only "
              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
              "directory, use absolute path"),
    (["-d", "nfs-plugin", "v1"], "error looking up volume plugin nfs-plugin: plugin "
                                 "\"nfs-plugin\" not found"),
])
def test_bad_volumes_are_refused_in_dockerds_words(docker, args, message):
    r = docker("volume", "create", *args)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr
