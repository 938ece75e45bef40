# SPDX-License-Identifier: Apache-2.0
"""Containers and volumes, through the docker CLI and berth: named and anonymous volumes
(-v, --mount type=volume, the image's VOLUME) filled from the image's content, --volumes-from
(transitive, :ro, overridden by -v), the in-use rule, rm -v and run --rm, prune, inspect's
Mounts and legacy Volumes, the backup/restore recipe, and volumes that outlive berthd."""
import io
import json
import os
import signal
import stat
import tarfile
import uuid

import pytest


@pytest.fixture(params=["docker", "berth"])
def docker(request, shared_engine):
    """The client under test: the docker CLI, then berth, against the module's engine."""
    return getattr(shared_engine, request.param)


@pytest.fixture
def names(shared_engine):
    """Unique names for this test's containers and volumes; all are removed afterwards."""
    made = []

    def make(prefix="c"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        shared_engine.docker("rm", "-f", "-v", *made)
        shared_engine.docker("volume", "rm", "-f", *made)


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def mounts(d, name):
    return json.loads(ok(d("inspect", "-f", "{{json .Mounts}}", name)))


def volume_names(d):
    return set(ok(d("volume", "ls", "-q")).split())


@pytest.fixture(scope="module")
def voltest_image(shared_engine, busybox_tar, tmp_path_factory):
    """busybox plus /srv/app (owned 1234:2345, mode 0750, holding a 0640 file and a link) and
    VOLUME /srv/app, as an image's own volume."""
    out = str(tmp_path_factory.mktemp("voltest") / "voltest.tar")
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)

        def add(name, kind, mode, data=b"", uid=1234, gid=2345, link=""):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.uid, ti.gid, ti.linkname = kind, mode, uid, gid, link
            ti.size = len(data)
            dst.addfile(ti, io.BytesIO(data) if data else None)
        add("srv", tarfile.DIRTYPE, 0o755, uid=0, gid=0)
        add("srv/app", tarfile.DIRTYPE, 0o750)
        add("srv/app/config", tarfile.REGTYPE, 0o640, b"from the image\n")
        add("srv/app/current", tarfile.SYMTYPE, 0o777, link="config")
    r = shared_engine.docker("import", "-c", "VOLUME /srv/app", out, "voltest")
    assert r.returncode == 0, r.stderr
    return "voltest"


def test_named_volume_outlives_its_containers(docker, names):
    vol = names("vol")
    ok(docker("run", "--rm", "-v", "%s:/data" % vol, "busybox", "sh", "-c",
              "echo kept > /data/f"))
    assert ok(docker("run", "--rm", "-v", "%s:/data:ro" % vol, "busybox", "cat", "/data/f")) \
        == "kept\n"
    # read-only is read-only
    r = docker("run", "--rm", "-v", "%s:/data:ro" % vol, "busybox", "touch", "/data/g")
    assert r.returncode == 1 and "Read-only file system" in r.stderr
    v = json.loads(ok(docker("volume", "inspect", vol)))[0]
    assert open(os.path.join(v["Mountpoint"], "f")).read() == "kept\n"
    assert v["Labels"] in (None, {})  # a named volume is not anonymous


def test_mounts_in_inspect_have_dockers_fields(docker, names):
    vol, c = names("vol"), names()
    ok(docker("create", "--name", c, "-v", "%s:/named" % vol, "-v", "/anon",
              "--mount", "type=volume,target=/m,volume-label=made.by=test",
              "-v", "/tmp:/host:ro", "busybox", "true"))
    got = {m["Destination"]: m for m in mounts(docker, c)}
    assert set(got) == {"/named", "/anon", "/m", "/host"}
    named = got["/named"]
    assert named == {"Type": "volume", "Name": vol, "Source": named["Source"],
                     "Destination": "/named", "Driver": "local", "Mode": "z", "RW": True,
                     "Propagation": ""}
    assert named["Source"].endswith("/volumes/%s/_data" % vol)
    anon = got["/anon"]
    assert anon["Type"] == "volume" and len(anon["Name"]) == 64 and anon["Mode"] == ""
    assert got["/host"] == {"Type": "bind", "Source": "/tmp", "Destination": "/host",
                            "Mode": "ro", "RW": False, "Propagation": "rprivate"}
    m = json.loads(ok(docker("volume", "inspect", got["/m"]["Name"])))[0]
    assert m["Labels"] == {"made.by": "test", "com.docker.volume.anonymous": ""}
    a = json.loads(ok(docker("volume", "inspect", anon["Name"])))[0]
    assert a["Labels"] == {"com.docker.volume.anonymous": ""}
    # the legacy Volumes map old tutorials print
    legacy = ok(docker("inspect", "--format={{ .Volumes }}", c)).strip()
    assert legacy.startswith("map[") and "/named:%s" % named["Source"] in legacy
    assert "/host:/tmp" in legacy
    # ps lists them too
    ps = ok(docker("ps", "-a", "--filter", "name=" + c, "--format", "{{.Mounts}}"))
    assert vol in ps
    ok(docker("rm", "-v", c))


def test_image_volume_is_filled_from_the_image_with_owner_and_modes(docker, names,
                                                                    voltest_image):
    c = names()
    out = ok(docker("run", "--name", c, voltest_image, "sh", "-c",
                    "stat -c '%n %u:%g %a' /srv/app /srv/app/config; readlink /srv/app/current;"
                    " cat /srv/app/current"))
    assert out.splitlines() == ["/srv/app 1234:2345 750", "/srv/app/config 1234:2345 640",
                                "config", "from the image"]
    (m,) = mounts(docker, c)
    assert m["Type"] == "volume" and m["Destination"] == "/srv/app" and len(m["Name"]) == 64
    st = os.lstat(os.path.join(m["Source"], "config"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640)


def test_a_volume_with_data_keeps_it_and_nocopy_copies_nothing(docker, names, voltest_image):
    vol, empty = names("vol"), names("vol")
    ok(docker("run", "--rm", "-v", "%s:/x" % vol, "busybox", "sh", "-c", "echo mine > /x/mine"))
    assert ok(docker("run", "--rm", "-v", "%s:/srv/app" % vol, voltest_image, "ls",
                     "/srv/app")) == "mine\n"
    assert ok(docker("run", "--rm", "--mount",
                     "type=volume,source=%s,target=/srv/app,volume-nocopy" % empty,
                     voltest_image, "ls", "-A", "/srv/app")) == ""
    # a bind mount is never filled
    assert ok(docker("run", "--rm", "-v", "/var/empty-%s:/srv/app" % empty, voltest_image,
                     "ls", "-A", "/srv/app")) == ""
    os.rmdir("/var/empty-%s" % empty)


def test_volume_in_use_even_by_a_stopped_container(docker, names):
    vol, c = names("vol"), names()
    ok(docker("create", "--name", c, "-v", "%s:/data" % vol, "busybox", "true"))
    cid = ok(docker("inspect", "-f", "{{.Id}}", c)).strip()
    r = docker("volume", "rm", vol)
    assert r.returncode == 1
    assert "remove %s: volume is in use - [%s]" % (vol, cid) in r.stderr
    assert vol in volume_names(docker)
    assert ok(docker("volume", "ls", "-q", "--filter", "dangling=false")).split().count(vol) == 1
    assert vol not in ok(docker("volume", "ls", "-q", "--filter", "dangling=true")).split()
    ok(docker("rm", c))
    # rm without -v never takes a named volume, and now it is free
    assert vol in ok(docker("volume", "ls", "-q", "--filter", "dangling=true")).split()
    assert ok(docker("volume", "rm", vol)) == vol + "\n"


def test_rm_v_and_run_rm_remove_anonymous_volumes_only(docker, names):
    vol, c = names("vol"), names()
    before = volume_names(docker)
    ok(docker("run", "--name", c, "-v", "/anon", "-v", "%s:/named" % vol, "busybox", "true"))
    anon = [m["Name"] for m in mounts(docker, c) if m["Destination"] == "/anon"][0]
    ok(docker("rm", c))
    assert anon in volume_names(docker)  # rm without -v keeps them
    ok(docker("volume", "rm", anon))
    ok(docker("run", "--name", c, "-v", "/anon", "-v", "%s:/named" % vol, "busybox", "true"))
    anon = [m["Name"] for m in mounts(docker, c) if m["Destination"] == "/anon"][0]
    ok(docker("rm", "-v", c))
    now = volume_names(docker)
    assert anon not in now and vol in now
    ok(docker("run", "--rm", "-v", "/anon2", "-v", "%s:/named" % vol, "busybox", "true"))
    assert volume_names(docker) - before == {vol}


def test_volumes_from_running_stopped_created_transitive(docker, names):
    data, live, mid, last = names("data"), names("live"), names("mid"), names("last")
    ok(docker("create", "--name", data, "-v", "/dbdata", "-v", "/tmp:/hosttmp", "busybox",
              "true"))
    ok(docker("run", "--rm", "--volumes-from", data, "busybox", "sh", "-c",
              "echo one > /dbdata/f"))
    ok(docker("run", "-d", "--name", live, "-v", "/live", "busybox", "sleep", "60"))
    ok(docker("run", "--rm", "--volumes-from", live, "busybox", "touch", "/live/x"))
    ok(docker("run", "--name", mid, "--volumes-from", data, "busybox", "true"))  # now stopped
    # from a container that itself used --volumes-from, read-only by request
    r = docker("run", "--name", last, "--volumes-from", mid + ":ro", "busybox", "sh", "-c",
               "cat /dbdata/f; ls -d /hosttmp; touch /dbdata/g")
    assert r.stdout == "one\n/hosttmp\n" and "Read-only file system" in r.stderr
    got = {m["Destination"]: m for m in mounts(docker, last)}
    assert set(got) == {"/dbdata", "/hosttmp"}
    assert not got["/dbdata"]["RW"] and not got["/hosttmp"]["RW"]
    assert got["/dbdata"]["Name"] == [m["Name"] for m in mounts(docker, data)
                                      if m["Destination"] == "/dbdata"][0]
    assert json.loads(ok(docker("inspect", "-f", "{{json .HostConfig.VolumesFrom}}", last))) \
        == [mid + ":ro"]
    # -v wins over --volumes-from at the same path
    other = names("vol")
    out = ok(docker("run", "--rm", "--volumes-from", data, "-v", "%s:/dbdata" % other,
                    "busybox", "ls", "-A", "/dbdata"))
    assert out == ""
    # rm -v of the data container while others use its volume: the volume stays
    dbvol = got["/dbdata"]["Name"]
    ok(docker("rm", "-v", last))
    ok(docker("rm", "-v", mid))
    ok(docker("rm", "-v", data))
    assert dbvol not in volume_names(docker)
    ok(docker("rm", "-f", "-v", live))


def test_volumes_from_errors(docker, names):
    r = docker("run", "--rm", "--volumes-from", "no-such-ctr-%s" % uuid.uuid4().hex[:6],
               "busybox", "true")
    assert r.returncode == 125
    assert "No such container: no-such-ctr-" in r.stderr
    assert "Unable to find image" not in r.stderr  # a 400, not read as a missing image
    c = names()
    ok(docker("create", "--name", c, "busybox", "true"))
    r = docker("run", "--rm", "--volumes-from", c + ":bogus", "busybox", "true")
    assert r.returncode == 125 and "invalid mode: bogus" in r.stderr


def test_prune_removes_unused_volumes(docker, names):
    used, unused, c = names("vol"), names("vol"), names()
    ok(docker("volume", "create", unused))
    ok(docker("create", "--name", c, "-v", "%s:/u" % used, "busybox", "true"))
    ok(docker("run", "--rm", "-v", "%s:/x" % unused, "busybox", "sh", "-c",
              "printf 12345 > /x/five"))
    if docker.__name__ == "berth" and docker("volume", "--help").returncode != 0:
        pytest.skip("berth volume is not built yet")
    out = ok(docker("volume", "prune", "-f", "--filter", "label!=keep"))
    assert "Deleted Volumes:\n" in out and unused in out.split() and used not in out.split()
    assert "Total reclaimed space: 5B" in out
    assert used in volume_names(docker) and unused not in volume_names(docker)


def test_backup_and_restore_recipe(docker, names, tmp_path):
    data, restored = names("data"), names("restored")
    backup = str(tmp_path)
    ok(docker("run", "--name", data, "-v", "/data", "busybox", "sh", "-c",
              "mkdir -p /data/sub && echo alpha > /data/a && echo beta > /data/sub/b && "
              "chmod 600 /data/a && chmod 710 /data/sub && ln -s a /data/link"))
    ok(docker("run", "--rm", "--volumes-from", data, "-v", "%s:/backup" % backup, "busybox",
              "tar", "cvf", "/backup/data.tar", "/data"))
    assert os.path.getsize(os.path.join(backup, "data.tar")) > 0
    ok(docker("create", "--name", restored, "-v", "/data", "busybox", "true"))
    ok(docker("run", "--rm", "--volumes-from", restored, "-v", "%s:/backup" % backup, "busybox",
              "tar", "xvf", "/backup/data.tar", "-C", "/"))

    def listing(c):
        return ok(docker("run", "--rm", "--volumes-from", c, "busybox", "sh", "-c",
                         "cd /data && find . | sort | while read f; do "
                         "stat -c '%n %a %F' \"$f\"; [ -f \"$f\" ] && [ ! -L \"$f\" ] && "
                         "cat \"$f\"; done; true"))
    orig = listing(data)
    assert "./a 600 regular file\nalpha" in orig and "./sub 710 directory" in orig
    assert "./link 777 symbolic link" in orig
    assert listing(restored) == orig


def test_volumes_survive_berthd_restart_and_crash(engine, busybox_tar):
    d = engine.docker
    assert d("import", busybox_tar, "busybox").returncode == 0
    ok(d("run", "--name", "writer", "-v", "keep:/data", "-v", "/anon", "busybox", "sh", "-c",
         "echo v1 > /data/f; echo a1 > /anon/f"))
    anon = [m["Name"] for m in mounts(d, "writer") if m["Destination"] == "/anon"][0]
    engine.sb.stop(engine.proc)  # SIGTERM: a clean stop
    if os.path.exists(engine.sock):
        os.unlink(engine.sock)
    engine.start()
    ok(d("run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c",
         "cat /data/f; echo v2 >> /data/f"))
    os.kill(engine.proc.pid, signal.SIGKILL)
    engine.proc.wait()
    os.unlink(engine.sock)
    engine.start()
    assert ok(d("run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/f")) == "v1\nv2\n"
    assert ok(d("run", "--rm", "--volumes-from", "writer", "busybox", "cat", "/anon/f")) \
        == "a1\n"
    # still in use after the restart
    assert d("volume", "rm", "keep").returncode == 1
    ok(d("rm", "-v", "writer"))
    assert anon not in volume_names(d)
    assert ok(d("volume", "rm", "keep")) == "keep\n"


def test_volume_with_mount_options(docker, names, shared_engine):
    """`volume create -o type=tmpfs ...`: mounted while containers use it, shared by them, gone
    with the last; `-o type=none -o o=bind` of a host directory, which removal never deletes."""
    tv, bv, c = names("tv"), names("bv"), names()
    ok(docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o",
              "o=size=10m,uid=1000", tv))
    ok(docker("run", "-d", "--name", c, "-v", "%s:/t" % tv, "busybox", "sh", "-c",
              "echo shared > /t/f; exec sleep 60"))
    out = ok(docker("run", "--rm", "-v", "%s:/t" % tv, "busybox", "sh", "-c",
                    "stat -f -c %T /t; stat -c '%u' /t; cat /t/f"))
    assert out.split() == ["tmpfs", "1000", "shared"]
    ok(docker("rm", "-f", c))
    # the last user gone, the tmpfs went with it
    assert ok(docker("run", "--rm", "-v", "%s:/t" % tv, "busybox", "ls", "-A", "/t")) == ""
    v = json.loads(ok(docker("volume", "inspect", tv)))[0]
    assert v["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=10m,uid=1000"}
    host = "/tmp/berth-bind-src-%s" % bv
    os.makedirs(host)
    with open(os.path.join(host, "h"), "w") as f:
        f.write("on the host\n")
    ok(docker("volume", "create", "-o", "type=none", "-o", "device=" + host, "-o", "o=bind", bv))
    assert ok(docker("run", "--rm", "-v", "%s:/b" % bv, "busybox", "cat", "/b/h")) \
        == "on the host\n"
    ok(docker("volume", "rm", bv))
    assert open(os.path.join(host, "h")).read() == "on the host\n"
    os.unlink(os.path.join(host, "h"))
    os.rmdir(host)
    # errors in dockerd's words
    r = docker("volume", "create", "-o", "foo=bar", names("bad"))
    assert r.returncode == 1 and 'invalid option: "foo"' in r.stderr
    r = docker("volume", "create", "-o", "type=tmpfs", names("bad"))
    assert r.returncode == 1 and 'missing required option: "device"' in r.stderr
    bad = names("bad")
    ok(docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o",
              "o=size=lots", bad))
    r = docker("run", "--rm", "-v", "%s:/t" % bad, "busybox", "true")
    assert r.returncode != 0 and "error while mounting volume" in r.stderr


def test_cp_into_and_out_of_volumes(docker, names, tmp_path):
    vol, c, ro = names("vol"), names(), names()
    ok(docker("create", "--name", c, "-v", "%s:/data" % vol, "busybox", "true"))
    src = tmp_path / "in.txt"
    src.write_text("copied in\n")
    os.chmod(str(src), 0o640)
    ok(docker("cp", str(src), "%s:/data/in.txt" % c))
    # the volume has it, as another container sees it
    assert ok(docker("run", "--rm", "-v", "%s:/v" % vol, "busybox", "sh", "-c",
                     "cat /v/in.txt; stat -c %a /v/in.txt")) == "copied in\n640\n"
    ok(docker("run", "--rm", "-v", "%s:/v" % vol, "busybox", "sh", "-c",
              "echo made inside > /v/out.txt"))
    out = tmp_path / "out"
    out.mkdir()
    ok(docker("cp", "%s:/data/out.txt" % c, str(out)))
    assert (out / "out.txt").read_text() == "made inside\n"
    # a read-only volume refuses, in dockerd's words
    ok(docker("create", "--name", ro, "-v", "%s:/data:ro" % vol, "busybox", "true"))
    r = docker("cp", str(src), "%s:/data/again.txt" % ro)
    assert r.returncode != 0 and "mounted volume is marked read-only" in r.stderr
