# SPDX-License-Identifier: Apache-2.0
"""`docker cp` and `berth cp` against berthd (/containers/{id}/archive): files and directories
both ways, tar streams through "-", "dir/." for a directory's contents, containers that run,
stopped or never started, bind mounts and tmpfs, the errors in dockerd's and the docker CLI's
words, modes and owners, and symlinks in the container that must never lead to the host."""
import io
import os
import stat
import tarfile
import threading
import uuid

import pytest

import harness


@pytest.fixture(params=["docker", "berth"])
def cli(request, shared_engine):
    """The client under test: the docker CLI, then berth, against the module's engine."""
    return getattr(shared_engine, request.param)


@pytest.fixture
def names(shared_engine):
    """Names for this test's containers; all of them are removed afterwards."""
    made = []

    def make(prefix="cp"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        shared_engine.docker("rm", "-f", *made)


@pytest.fixture
def work(shared_engine):
    """A fresh directory on the host for this test."""
    d = shared_engine.sb.path("cp-%s" % uuid.uuid4().hex[:10])
    os.makedirs(d)
    return d


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def running(docker, names, *args):
    """A container that stays up (sleep), made with the docker CLI; its name."""
    name = names()
    ok(docker("run", "-d", "--name", name, *args, "busybox", "sleep", "600"))
    return name


def created(docker, names, *args):
    """A container that was never started; its name."""
    name = names()
    ok(docker("create", "--name", name, *args, "busybox", "sleep", "600"))
    return name


def sh(docker, name, script):
    return ok(docker("exec", name, "sh", "-c", script)).stdout


def write(path, content, mode=0o644):
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, mode)


def read(path):
    with open(path) as f:
        return f.read()


def tar_names(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [m.name for m in t.getmembers()]


# ---- files and directories, both ways ----

def test_a_file_out_and_in(cli, docker, names, work):
    name = running(docker, names)
    ok(cli("cp", "%s:/etc/passwd" % name, os.path.join(work, "passwd")))
    assert read(os.path.join(work, "passwd")) == sh(docker, name, "cat /etc/passwd")
    write(os.path.join(work, "note.txt"), "from the host\n")
    ok(cli("cp", os.path.join(work, "note.txt"), "%s:/tmp/" % name))
    ok(cli("cp", os.path.join(work, "note.txt"), "%s:/tmp/renamed.txt" % name))
    assert sh(docker, name, "cat /tmp/note.txt /tmp/renamed.txt") == "from the host\n" * 2


def test_follow_link_copies_the_target_under_the_links_name(cli, docker, names, work):
    name = running(docker, names)
    sh(docker, name, "ln -s /etc/passwd /pw-link")
    ok(cli("cp", "%s:/pw-link" % name, os.path.join(work, "as-link")))
    assert os.readlink(os.path.join(work, "as-link")) == "/etc/passwd"
    os.makedirs(os.path.join(work, "d"))
    ok(cli("cp", "-L", "%s:/pw-link" % name, os.path.join(work, "d")))
    assert read(os.path.join(work, "d", "pw-link")) == sh(docker, name, "cat /etc/passwd")


def test_a_directory_out_to_a_new_and_an_existing_directory(cli, docker, names, work):
    name = running(docker, names)
    sh(docker, name, "mkdir -p /data/sub && echo a > /data/a && echo b > /data/sub/b")
    ok(cli("cp", "%s:/data" % name, os.path.join(work, "new")))
    assert read(os.path.join(work, "new", "a")) == "a\n"
    assert read(os.path.join(work, "new", "sub", "b")) == "b\n"
    os.makedirs(os.path.join(work, "existing"))
    ok(cli("cp", "%s:/data" % name, os.path.join(work, "existing")))
    assert read(os.path.join(work, "existing", "data", "sub", "b")) == "b\n"


def test_a_directory_in_to_a_new_and_an_existing_directory(cli, docker, names, work):
    name = running(docker, names)
    src = os.path.join(work, "tree")
    os.makedirs(os.path.join(src, "sub"))
    write(os.path.join(src, "a"), "a\n")
    write(os.path.join(src, "sub", "b"), "b\n")
    ok(cli("cp", src, "%s:/new" % name))
    ok(cli("cp", src, "%s:/tmp" % name))
    assert sh(docker, name, "cat /new/a /new/sub/b /tmp/tree/sub/b") == "a\nb\nb\n"


def test_trailing_dot_copies_the_contents(cli, docker, names, work):
    name = running(docker, names)
    sh(docker, name, "mkdir -p /data/sub && echo a > /data/a && echo b > /data/sub/b")
    os.makedirs(os.path.join(work, "into"))
    ok(cli("cp", "%s:/data/." % name, os.path.join(work, "into")))
    assert sorted(os.listdir(os.path.join(work, "into"))) == ["a", "sub"]
    ok(cli("cp", "%s:/data/." % name, os.path.join(work, "fresh")))
    assert read(os.path.join(work, "fresh", "sub", "b")) == "b\n"
    src = os.path.join(work, "local")
    os.makedirs(src)
    write(os.path.join(src, "x"), "x\n")
    sh(docker, name, "mkdir /target")
    ok(cli("cp", src + "/.", "%s:/target" % name))
    assert sh(docker, name, "ls /target; cat /target/x") == "x\nx\n"


def test_file_onto_directory_errors_as_docker(cli, docker, names, work):
    name = running(docker, names)
    write(os.path.join(work, "plain"), "p\n")
    r = cli("cp", "%s:/etc" % name, os.path.join(work, "plain"))
    assert r.returncode == 1
    assert r.stderr.strip() == "cannot copy directory"
    r = cli("cp", "%s:/etc/passwd" % name, os.path.join(work, "missing") + "/")
    assert r.returncode == 1
    assert r.stderr.strip() == "no such directory"
    r = cli("cp", "%s:/etc/passwd" % name, os.path.join(work, "no", "such", "dir", "f"))
    assert r.returncode == 1
    assert r.stderr.strip() == 'invalid output path: directory "%s" does not exist' % \
        os.path.join(work, "no", "such", "dir")


# ---- tar streams ----

def test_a_tar_to_stdout_and_from_stdin(cli, docker, names):
    client = cli
    name = running(docker, names)
    sh(docker, name, "mkdir -p /data/sub && echo a > /data/a && echo b > /data/sub/b")
    r = client("cp", "%s:/data" % name, "-", raw=True)
    assert r.returncode == 0, r.stderr
    assert sorted(tar_names(r.stdout)) == ["data", "data/a", "data/sub", "data/sub/b"]
    r = client("cp", "%s:/data/." % name, "-", raw=True)
    assert r.returncode == 0, r.stderr
    assert sorted(tar_names(r.stdout)) == [".", "./a", "./sub", "./sub/b"]
    r = client("cp", "%s:/data/a" % name, "-", raw=True)
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        assert t.getnames() == ["a"]
        assert t.extractfile("a").read() == b"a\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("from-stdin.txt")
        info.size = 6
        info.mode = 0o600
        t.addfile(info, io.BytesIO(b"stdin\n"))
    r = client("cp", "-", "%s:/tmp" % name, input=buf.getvalue(), raw=True)
    assert r.returncode == 0, r.stderr
    assert sh(docker, name, "stat -c %a /tmp/from-stdin.txt; cat /tmp/from-stdin.txt") == \
        "600\nstdin\n"
    r = client("cp", "-", "%s:/etc/passwd" % name, input=buf.getvalue(), raw=True)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == 'destination "%s:/etc/passwd" must be a directory' % name


# ---- containers that do not run ----

def test_a_container_never_started(cli, docker, names, work):
    name = created(docker, names)
    write(os.path.join(work, "seed"), "planted before the start\n")
    ok(cli("cp", os.path.join(work, "seed"), "%s:/seed" % name))
    ok(cli("cp", "%s:/etc/group" % name, os.path.join(work, "group")))
    assert "root" in read(os.path.join(work, "group"))
    ok(docker("start", name))
    assert sh(docker, name, "cat /seed") == "planted before the start\n"


def test_a_stopped_container_keeps_its_files_for_cp(cli, docker, shared_engine, names, work):
    name = names()
    ok(docker("run", "--name", name, "busybox", "sh", "-c", "echo result > /out.txt"))
    ok(cli("cp", "%s:/out.txt" % name, os.path.join(work, "out.txt")))
    assert read(os.path.join(work, "out.txt")) == "result\n"
    write(os.path.join(work, "in.txt"), "in\n")
    ok(cli("cp", os.path.join(work, "in.txt"), "%s:/in.txt" % name))
    ok(docker("start", "-a", name))
    ok(cli("cp", "%s:/in.txt" % name, os.path.join(work, "back.txt")))
    assert read(os.path.join(work, "back.txt")) == "in\n"
    # the root file system was mounted only for the copies
    state = ok(docker("inspect", "-f", "{{.State.Status}}", name)).stdout.strip()
    assert state == "exited"
    assert container_mounts(shared_engine, docker, name) == []
    ok(docker("rm", name))


def container_mounts(engine, docker, name):
    cid = ok(docker("inspect", "-f", "{{.Id}}", name)).stdout.strip()
    return harness.mounts_under(os.path.join(engine.data_root, "containers", cid))


def test_a_start_waits_for_a_copy_of_a_stopped_container(docker, shared_engine, names, work):
    """A copy mounts a stopped container's root file system; a start meanwhile must wait for it
    rather than mount the same overlay a second time."""
    name = created(docker, names)
    big = os.path.join(work, "big")
    with open(big, "wb") as f:
        f.write(os.urandom(1 << 20) * 24)
    ok(docker("cp", big, "%s:/big" % name))
    for i in range(3):
        results = {}

        def copy_out():
            results["cp"] = docker("cp", "%s:/big" % name, os.path.join(work, "out%d" % i))
        t = threading.Thread(target=copy_out)
        t.start()
        results["start"] = docker("start", name)
        t.join()
        ok(results["cp"])
        ok(results["start"])
        assert os.path.getsize(os.path.join(work, "out%d" % i)) == 24 << 20
        assert len(container_mounts(shared_engine, docker, name)) == 1
        ok(docker("stop", "-t", "0", name))
        assert container_mounts(shared_engine, docker, name) == []


# ---- mounts ----

def test_into_and_out_of_a_bind_mount(cli, docker, names, work):
    hostdir = os.path.join(work, "bind")
    os.makedirs(hostdir)
    write(os.path.join(hostdir, "from-host.txt"), "on the host\n")
    name = running(docker, names, "-v", "%s:/mnt" % hostdir)
    ok(cli("cp", "%s:/mnt/from-host.txt" % name, os.path.join(work, "got.txt")))
    assert read(os.path.join(work, "got.txt")) == "on the host\n"
    write(os.path.join(work, "put.txt"), "put\n")
    ok(cli("cp", os.path.join(work, "put.txt"), "%s:/mnt/" % name))
    assert read(os.path.join(hostdir, "put.txt")) == "put\n"
    ok(docker("stop", "-t", "0", name))
    # stopped: the mount is still where the container has it
    write(os.path.join(work, "later.txt"), "later\n")
    ok(cli("cp", os.path.join(work, "later.txt"), "%s:/mnt/later.txt" % name))
    assert read(os.path.join(hostdir, "later.txt")) == "later\n"
    assert not os.path.exists(os.path.join(work, "srv"))


def test_a_directory_with_a_mount_below_it(cli, docker, names, work):
    hostdir = os.path.join(work, "bind")
    os.makedirs(hostdir)
    write(os.path.join(hostdir, "inner.txt"), "inner\n")
    name = created(docker, names, "-v", "%s:/srv/mnt" % hostdir)
    ok(cli("cp", "%s:/srv" % name, os.path.join(work, "srv")))
    assert read(os.path.join(work, "srv", "mnt", "inner.txt")) == "inner\n"


def test_the_whole_root_with_its_mounts(cli, docker, names, work):
    hostdir = os.path.join(work, "bind")
    os.makedirs(hostdir)
    write(os.path.join(hostdir, "inner.txt"), "inner\n")
    name = running(docker, names, "-v", "%s:/mnt" % hostdir)
    ok(cli("cp", "%s:/" % name, os.path.join(work, "root")))
    assert read(os.path.join(work, "root", "etc", "passwd")) == sh(docker, name, "cat /etc/passwd")
    assert read(os.path.join(work, "root", "mnt", "inner.txt")) == "inner\n"
    assert os.readlink(os.path.join(work, "root", "bin", "sh")) == \
        sh(docker, name, "readlink /bin/sh").strip()


def test_read_only_mount_and_root_file_system_refuse(cli, docker, names, work):
    hostdir = os.path.join(work, "ro")
    os.makedirs(hostdir)
    write(os.path.join(work, "f"), "f\n")
    name = running(docker, names, "-v", "%s:/ro:ro" % hostdir)
    r = cli("cp", os.path.join(work, "f"), "%s:/ro/" % name)
    assert r.returncode == 1
    assert r.stderr.strip() == "Error response from daemon: mounted volume is marked read-only"
    assert os.listdir(hostdir) == []
    ro_root = created(docker, names, "--read-only")
    r = cli("cp", os.path.join(work, "f"), "%s:/tmp/" % ro_root)
    assert r.returncode == 1
    assert r.stderr.strip() == "Error response from daemon: container rootfs is marked read-only"


def test_tmpfs_is_copied_while_the_container_runs(cli, docker, names, work):
    name = running(docker, names, "--tmpfs", "/scratch")
    sh(docker, name, "echo in memory > /scratch/m.txt")
    ok(cli("cp", "%s:/scratch/m.txt" % name, os.path.join(work, "m.txt")))
    assert read(os.path.join(work, "m.txt")) == "in memory\n"
    write(os.path.join(work, "t.txt"), "to tmpfs\n")
    ok(cli("cp", os.path.join(work, "t.txt"), "%s:/scratch/" % name))
    assert sh(docker, name, "cat /scratch/t.txt") == "to tmpfs\n"
    ok(docker("stop", "-t", "0", name))
    r = cli("cp", "%s:/scratch/m.txt" % name, os.path.join(work, "gone.txt"))
    assert r.returncode == 1
    assert r.stderr.strip() == ('Error response from daemon: "/scratch/m.txt" is on the tmpfs '
                                'mount "/scratch", which exists only while the container runs')


# ---- the container's root is the root ----

def plant_links(cli, docker, name, work):
    """Symlinks in the container: /esc -> /, /up -> ../../.."""
    links = os.path.join(work, "links")
    os.makedirs(links)
    os.symlink("/", os.path.join(links, "esc"))
    os.symlink("../../..", os.path.join(links, "up"))
    ok(cli("cp", links + "/.", "%s:/" % name))
    assert sh(docker, name, "readlink /esc; readlink /up") == "/\n../../..\n"


def test_symlinks_never_lead_out_of_the_container(cli, docker, names, work, shared_engine):
    name = running(docker, names)
    plant_links(cli, docker, name, work)
    secret = os.path.join(work, "secret.txt")
    write(secret, "host secret\n")
    for link in ("/esc", "/up", "/up/up"):
        r = cli("cp", "%s:%s%s" % (name, link, secret), os.path.join(work, "leak"))
        assert r.returncode == 1
        assert "Could not find the file %s%s in container %s" % (link, secret, name) in r.stderr
        assert not os.path.exists(os.path.join(work, "leak"))
    # writing through them lands in the container, never on the host
    marker = "planted-%s" % uuid.uuid4().hex[:8]
    write(os.path.join(work, marker), "x\n")
    for link in ("/esc/tmp/", "/up/tmp/"):
        ok(cli("cp", os.path.join(work, marker), "%s:%s" % (name, link)))
        assert not os.path.exists(os.path.join("/tmp", marker))
    assert sh(docker, name, "cat /tmp/%s" % marker) == "x\n"
    r = cli("cp", os.path.join(work, marker), "%s:/esc%s/" % (name, work))
    assert r.returncode == 1
    assert os.listdir(work).count(marker) == 1


def test_symlinks_on_a_bind_mount_resolve_in_the_container(cli, docker, names, work):
    hostdir = os.path.join(work, "bind")
    os.makedirs(hostdir)
    os.symlink("/", os.path.join(hostdir, "esc"))
    secret = os.path.join(work, "secret.txt")
    write(secret, "host secret\n")
    name = running(docker, names, "-v", "%s:/mnt" % hostdir)
    r = cli("cp", "%s:/mnt/esc%s" % (name, secret), os.path.join(work, "leak"))
    assert r.returncode == 1 and "Could not find the file" in r.stderr
    assert not os.path.exists(os.path.join(work, "leak"))
    ok(cli("cp", "%s:/mnt/esc/etc/passwd" % name, os.path.join(work, "passwd")))
    assert read(os.path.join(work, "passwd")) == sh(docker, name, "cat /etc/passwd")
    marker = "via-bind-%s" % uuid.uuid4().hex[:8]
    write(os.path.join(work, marker), "x\n")
    ok(cli("cp", os.path.join(work, marker), "%s:/mnt/esc/tmp/" % name))
    assert not os.path.exists(os.path.join("/tmp", marker))
    assert sh(docker, name, "cat /tmp/%s" % marker) == "x\n"


# ---- errors ----

def test_missing_path_and_container(cli, docker, names, work):
    name = running(docker, names)
    r = cli("cp", "%s:/nope" % name, os.path.join(work, "x"))
    assert r.returncode == 1
    assert r.stderr.strip() == \
        "Error response from daemon: Could not find the file /nope in container %s" % name
    write(os.path.join(work, "f"), "f\n")
    r = cli("cp", os.path.join(work, "f"), "%s:/no/such/dir/f" % name)
    assert r.returncode == 1
    assert r.stderr.strip() == \
        "Error response from daemon: Could not find the file /no/such/dir in container %s" % name
    r = cli("cp", "no-such-container-x:/etc", os.path.join(work, "x"))
    assert r.returncode == 1
    assert r.stderr.strip() == "Error response from daemon: No such container: no-such-container-x"


def test_arguments_errors(cli, work):
    r = cli("cp", os.path.join(work, "a"), os.path.join(work, "b"))
    assert r.returncode == 1
    assert r.stderr.strip() == "must specify at least one container source"
    r = cli("cp", "a:/x", "b:/y")
    assert r.returncode == 1
    assert r.stderr.strip() == "copying between containers is not supported"


# ---- metadata ----

def test_modes_and_owners(cli, docker, names, work):
    name = running(docker, names)
    f = os.path.join(work, "owned")
    write(f, "o\n", 0o640)
    os.chown(f, 1234, 5678)
    d = os.path.join(work, "dir")
    os.makedirs(d)
    os.chmod(d, 0o710)
    os.chown(d, 42, 43)
    ok(cli("cp", f, "%s:/tmp/" % name))
    ok(cli("cp", d, "%s:/tmp/" % name))
    # into a container: the archive's owners and modes, as dockerd keeps them
    assert sh(docker, name, "stat -c '%a %u %g' /tmp/owned /tmp/dir") == \
        "640 1234 5678\n710 42 43\n"
    sh(docker, name, "echo x > /tmp/exe && chown 7:8 /tmp/exe && chmod 4751 /tmp/exe")
    ok(cli("cp", "%s:/tmp/exe" % name, os.path.join(work, "exe")))
    st = os.stat(os.path.join(work, "exe"))
    # out of a container: the mode kept, the owner the user who copied
    assert stat.S_IMODE(st.st_mode) == 0o4751
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())


def test_archive_flag_gives_files_to_the_containers_user(cli, docker, names, work):
    name = names()
    ok(docker("run", "-d", "--name", name, "--user", "nobody", "busybox", "sleep", "600"))
    f = os.path.join(work, "mine")
    write(f, "m\n")
    os.chown(f, 1234, 1234)
    ok(cli("cp", "-a", f, "%s:/tmp/" % name))
    ok(cli("cp", f, "%s:/tmp/plain" % name))
    uid = sh(docker, name, "id -u").strip()
    gid = sh(docker, name, "id -g").strip()
    assert sh(docker, name, "stat -c '%u %g' /tmp/mine /tmp/plain") == \
        "%s %s\n1234 1234\n" % (uid, gid)
