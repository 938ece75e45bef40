# SPDX-License-Identifier: Apache-2.0
"""Bind mounts through the docker CLI and berth: `-v /host:/ctr[:ro]` (HostConfig.Binds) and
`--mount type=bind|tmpfs` (HostConfig.Mounts), with dockerd's errors and inspect's Mounts;
named and anonymous volumes are in test_volume_mounts.py."""
import json
import os
import stat
import uuid

import pytest


@pytest.fixture(params=["docker", "berth"])
def docker(request, shared_engine):
    """The client under test: the docker CLI, then berth, against the module's engine."""
    return getattr(shared_engine, request.param)


@pytest.fixture
def names(docker):
    """Names for this test's containers; all of them are removed afterwards."""
    made = []

    def make(prefix="c"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        docker("rm", "-f", *made)


@pytest.fixture
def hostdir(shared_engine):
    d = shared_engine.sb.path("bind-%d" % os.getpid())
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "from-host.txt"), "w") as f:
        f.write("written on the host\n")
    return d


def run(docker, *args):
    return docker("run", "--rm", *args)


def test_bind_a_directory_both_ways(docker, hostdir):
    r = run(docker, "-v", "%s:/data" % hostdir, "busybox", "sh", "-c",
            "cat /data/from-host.txt; echo from the container > /data/back.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "written on the host\n"
    assert open(os.path.join(hostdir, "back.txt")).read() == "from the container\n"


def test_read_only_bind_refuses_writes(docker, hostdir):
    r = run(docker, "-v", "%s:/data:ro" % hostdir, "busybox", "sh", "-c",
            "cat /data/from-host.txt && touch /data/nope")
    assert r.stdout == "written on the host\n"
    assert r.returncode == 1
    assert "Read-only file system" in r.stderr
    assert not os.path.exists(os.path.join(hostdir, "nope"))


def test_bind_a_single_file(docker, hostdir):
    f = os.path.join(hostdir, "from-host.txt")
    r = run(docker, "-v", "%s:/etc/motd:ro,z" % f, "busybox", "cat", "/etc/motd")
    assert r.returncode == 0 and r.stdout == "written on the host\n", r.stderr


def test_a_missing_host_directory_is_made(docker, hostdir):
    missing = os.path.join(hostdir, "made", "by", "berthd")
    r = run(docker, "-v", "%s:/made" % missing, "busybox", "touch", "/made/x")
    assert r.returncode == 0, r.stderr
    assert stat.S_ISDIR(os.stat(missing).st_mode)
    assert os.path.exists(os.path.join(missing, "x"))


def test_mount_flag_bind_and_tmpfs(docker, hostdir):
    r = run(docker, "--mount", "type=bind,source=%s,target=/data,readonly" % hostdir,
            "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m", "busybox", "sh", "-c",
            "cat /data/from-host.txt; grep ' /scratch ' /proc/mounts")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "written on the host"
    assert lines[1].startswith("tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"), lines[1]
    assert "size=1024k" in lines[1]


def test_inspect_shows_the_mounts(docker, hostdir, names):
    name = names("binds")
    r = docker("create", "--name", name, "-v", "%s:/data:ro" % hostdir,
               "--mount", "type=tmpfs,target=/t", "busybox", "true")
    assert r.returncode == 0, r.stderr
    mounts = json.loads(docker("inspect", "-f", "{{json .Mounts}}", name).stdout)
    assert mounts == [
        {"Type": "bind", "Source": hostdir, "Destination": "/data", "Mode": "ro", "RW": False,
         "Propagation": "rprivate"},
        {"Type": "tmpfs", "Source": "", "Destination": "/t", "Mode": "", "RW": True,
         "Propagation": ""},
    ]
    binds = json.loads(docker("inspect", "-f", "{{json .HostConfig.Binds}}", name).stdout)
    assert binds == ["%s:/data:ro" % hostdir]


@pytest.mark.parametrize("args,message", [
    (["-v", "/tmp:relative"],
     "invalid volume specification: '/tmp:relative': invalid mount config for type \"bind\": "
     "invalid mount path: 'relative' mount path must be absolute"),
    (["-v", "/tmp:/data", "-v", "/var:/data"], "Duplicate mount point: /data"),
    (["-v", "/tmp:/data:rw,ro"], "invalid mode: rw,ro"),
    (["-v", "/tmp:/data:bogus"], "invalid mode: bogus"),
    (["--mount", "type=bind,source=/no/such/dir,target=/data"],
     "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir"),
    (["-v", "foo/bar:/data"],
     "create foo/bar: \"foo/bar\" includes invalid characters for a local volume name, only "
     "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
     "use absolute path"),
    (["--mount", "type=volume,target=/data,readonly"],
     "invalid mount config for type \"volume\": must not set ReadOnly mode when using "
     "anonymous volumes"),
    (["-v", "/data:ro"], "invalid volume specification: '/data:ro'"),
    (["-v", "/tmp:/"], "invalid volume specification: '/tmp:/': invalid mount config for type "
     "\"bind\": invalid specification: destination can't be '/'"),
    (["--mount", "type=tmpfs,target=/."],
     "invalid mount config for type \"tmpfs\": invalid specification: destination can't be '/'"),
])
def test_bad_mounts_are_refused_in_dockerds_words(docker, args, message):
    r = run(docker, *args, "busybox", "true")
    assert r.returncode == 125
    assert message in r.stderr, r.stderr


def test_tmpfs_flag(docker, names):
    """--tmpfs (HostConfig.Tmpfs): noexec, nosuid and nodev by default, the options given; not
    among inspect's Mounts, as with dockerd."""
    r = run(docker, "--tmpfs", "/run:size=1m,mode=1770", "--tmpfs", "/x:exec", "busybox", "sh",
            "-c", "grep -E ' /(run|x) ' /proc/mounts")
    assert r.returncode == 0, r.stderr
    run_line, x_line = sorted(r.stdout.splitlines())
    assert run_line.startswith("tmpfs /run tmpfs rw,nosuid,nodev,noexec"), run_line
    assert "size=1024k" in run_line and "mode=1770" in run_line
    x_opts = x_line.split()[3].split(",")
    assert "noexec" not in x_opts and "nosuid" in x_opts and "nodev" in x_opts, x_line
    name = names("tmpfs")
    assert docker("create", "--name", name, "--tmpfs", "/run", "busybox", "true").returncode == 0
    assert docker("inspect", "-f", "{{json .Mounts}}", name).stdout.strip() == "[]"
    assert docker("inspect", "-f", "{{json .HostConfig.Tmpfs}}", name).stdout.strip() == \
        '{"/run":""}'
