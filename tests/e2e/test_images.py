# SPDX-License-Identifier: Apache-2.0
"""Images through the real docker CLI: import (with changes), images, inspect, history, tag,
rmi, save, load (docker-archive and OCI layout), prune."""
import hashlib
import io
import json
import os
import re
import tarfile

import pytest


@pytest.fixture
def d(engine):
    return engine.docker


@pytest.fixture
def bb(engine, busybox_tar):
    r = engine.docker("import", busybox_tar, "busybox")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def image_id(d, name):
    return d("image", "inspect", "-f", "{{.Id}}", name).stdout.strip()


def test_import_with_changes_and_message(d, busybox_tar):
    r = d("import", "-m", "my message", "-c", 'CMD ["echo", "from cmd"]', "-c", "ENV A=1 B=2",
          "-c", "WORKDIR /srv", "-c", "EXPOSE 8080", "-c", "LABEL team=core", "-c",
          "USER nobody", "-c", "ENTRYPOINT []", busybox_tar, "imp:v1")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", r.stdout)
    cfg = json.loads(d("image", "inspect", "imp:v1").stdout)[0]
    c = cfg["Config"]
    assert c["Cmd"] == ["echo", "from cmd"]
    assert "A=1" in c["Env"] and "B=2" in c["Env"]
    assert c["WorkingDir"] == "/srv"
    assert c["ExposedPorts"] == {"8080/tcp": {}}
    assert c["Labels"] == {"team": "core"}
    assert c["User"] == "nobody"
    assert cfg["Comment"] == "my message"
    assert cfg["Os"] == "linux" and cfg["Architecture"] == "amd64"
    assert cfg["RootFS"]["Type"] == "layers" and len(cfg["RootFS"]["Layers"]) == 1
    assert cfg["RepoTags"] == ["imp:v1"]
    r = d("run", "--rm", "imp:v1")
    assert r.stdout == "from cmd\n", r.stderr
    assert d("run", "--rm", "imp:v1", "pwd").stdout == "/srv\n"
    h = d("history", "--format", "{{.Comment}}|{{.CreatedBy}}", "imp:v1").stdout
    assert h.splitlines()[0].startswith("my message|")


def test_import_bad_change_is_refused(d, busybox_tar):
    r = d("import", "-c", "RUN echo no", busybox_tar, "bad:v1")
    assert r.returncode != 0
    assert "RUN is not a valid change command" in r.stderr


def test_import_from_stdin(engine, busybox_tar):
    with open(busybox_tar, "rb") as f:
        data = f.read()
    r = engine.sb.run([__import__("harness").docker_cli(), "import", "-", "fromstdin"],
                      env=engine.env(), input=data, text=False)
    assert r.returncode == 0, r.stderr
    assert engine.docker("run", "--rm", "fromstdin", "echo", "ok").stdout == "ok\n"


def test_images_list_and_filters(d, bb, busybox_tar):
    d("import", "-c", "LABEL kind=test", busybox_tar, "labelled:v1")
    out = d("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.splitlines()
    assert "busybox:latest %s" % bb[7:19] in out
    assert any(line.startswith("labelled:v1 ") for line in out)
    assert d("images", "-q", "busybox").stdout.strip() == bb[7:19]
    assert d("images", "--filter", "label=kind=test", "--format",
             "{{.Repository}}").stdout.split() == ["labelled"]
    assert d("images", "--filter", "reference=bus*", "--format",
             "{{.Repository}}").stdout.split() == ["busybox"]
    assert d("images", "--no-trunc", "-q", "busybox").stdout.strip() == bb
    r = d("images", "--filter", "nope=1")
    assert r.returncode != 0 and "invalid filter 'nope'" in r.stderr


def test_inspect_and_history(d, bb):
    i = json.loads(d("image", "inspect", "busybox").stdout)[0]
    assert i["Id"] == bb
    assert i["Size"] > 1000000
    assert i["GraphDriver"]["Name"] == "overlay2"
    assert os.path.isdir(i["GraphDriver"]["Data"]["UpperDir"])
    h = d("history", "busybox").stdout.splitlines()
    assert h[0].split()[:4] == ["IMAGE", "CREATED", "CREATED", "BY"]
    assert h[1].startswith(bb[7:19])
    r = d("image", "inspect", "nope:nope")
    assert r.returncode != 0 and "No such image: nope:nope" in r.stderr


def test_tag_and_rmi_semantics(d, bb):
    assert d("tag", "busybox", "localhost:5000/bb:v2").returncode == 0
    assert d("tag", "busybox", "second").returncode == 0
    assert image_id(d, "localhost:5000/bb:v2") == bb
    r = d("tag", "busybox", "Bad:Tag")
    assert r.returncode != 0 and "invalid reference format" in r.stderr
    # one of several names: untag only
    r = d("rmi", "second")
    assert r.returncode == 0 and r.stdout == "Untagged: second:latest\n"
    # by ID with several names: refused without -f
    r = d("rmi", bb[7:19])
    assert r.returncode != 0
    assert ("conflict: unable to delete %s (must be forced) - image is referenced in multiple "
            "repositories" % bb[7:19]) in r.stderr
    # used by a container
    assert d("create", "--name", "user1", "busybox", "true").returncode == 0
    d("rmi", "localhost:5000/bb:v2")
    r = d("rmi", "busybox")
    assert r.returncode != 0
    assert ('conflict: unable to remove repository reference "busybox" (must force) - '
            'container') in r.stderr
    d("rm", "user1")
    r = d("rmi", "busybox")
    assert r.returncode == 0
    assert r.stdout.startswith("Untagged: busybox:latest\nDeleted: %s\n" % bb)
    assert d("images", "-q").stdout == ""


def test_save_and_load_docker_archive(engine, d, bb):
    out = engine.sb.path("bb.tar")
    assert d("save", "-o", out, "busybox").returncode == 0
    with tarfile.open(out) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == ["busybox:latest"]
        layer = t.extractfile(manifest[0]["Layers"][0]).read()
        cfg = json.loads(t.extractfile(manifest[0]["Config"]).read())
        assert "sha256:" + hashlib.sha256(layer).hexdigest() == cfg["rootfs"]["diff_ids"][0]
    again = engine.sb.path("bb2.tar")
    d("save", "-o", again, "busybox")
    with open(out, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read()  # deterministic
    assert d("rmi", "busybox").returncode == 0
    r = d("load", "-i", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Loaded image: busybox:latest\n"
    assert image_id(d, "busybox") == bb
    assert d("run", "--rm", "busybox", "echo", "loaded").stdout == "loaded\n"


def oci_layout_from(archive, path):
    """An OCI image layout tar made from a docker-archive."""
    with tarfile.open(archive) as t:
        m = json.load(t.extractfile("manifest.json"))[0]
        config = t.extractfile(m["Config"]).read()
        layers = [t.extractfile(l).read() for l in m["Layers"]]
    blobs = {}

    def blob(data):
        dg = hashlib.sha256(data).hexdigest()
        blobs[dg] = data
        return "sha256:" + dg
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": blob(config), "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": blob(l), "size": len(l)} for l in layers]}
    mb = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(mb),
         "size": len(mb), "platform": {"os": "linux", "architecture": "amd64"},
         "annotations": {"io.containerd.image.name": "docker.io/library/ocibox:v1",
                         "org.opencontainers.image.ref.name": "v1"}}]}
    with tarfile.open(path, "w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for dg, data in blobs.items():
            add("blobs/sha256/" + dg, data)
    return "sha256:" + hashlib.sha256(config).hexdigest()


def test_load_oci_layout(engine, d, bb):
    archive = engine.sb.path("a.tar")
    d("save", "-o", archive, "busybox")
    oci = engine.sb.path("oci.tar")
    want = oci_layout_from(archive, oci)
    d("rmi", "busybox")
    r = d("load", "-i", oci)
    assert r.returncode == 0, r.stderr
    assert "Loaded image" in r.stdout
    ids = d("images", "-q", "--no-trunc").stdout.split()
    assert want in ids


def test_load_rejects_a_corrupt_layer_and_stores_nothing(engine, d, bb):
    archive = engine.sb.path("a.tar")
    d("save", "-o", archive, "busybox")
    d("rmi", "busybox")
    bad = engine.sb.path("bad.tar")
    with tarfile.open(archive) as src, tarfile.open(bad, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name.endswith("layer.tar"):
                data = data[:-1024] + b"\x01" + data[-1023:]
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    r = d("load", "-i", bad)
    assert r.returncode != 0
    assert d("images", "-aq").stdout == ""


def test_image_prune(d, bb, busybox_tar):
    d("import", "-c", "ENV X=1", busybox_tar, "tmpimg:v1")
    d("tag", "tmpimg:v1", "tmpimg:v2")
    d("rmi", "tmpimg:v1")
    d("rmi", "tmpimg:v2")  # now the image is dangling? no: deleted with its last name
    d("import", "-c", "ENV Y=1", busybox_tar)  # an untagged (dangling) image
    assert "<none>" in d("images").stdout
    r = d("image", "prune", "-f")
    assert r.returncode == 0, r.stderr
    assert "Deleted" in r.stdout and "Total reclaimed space" in r.stdout
    assert "<none>" not in d("images").stdout
    assert d("images", "-q", "busybox").stdout.strip() == bb[7:19]
    r = d("image", "prune", "-a", "-f")
    assert d("images", "-q").stdout == ""
