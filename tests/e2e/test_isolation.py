# SPDX-License-Identifier: Apache-2.0
"""What a process inside a berthd container can see and do: namespaces, mounts, /dev,
capabilities, seccomp, masked paths, users, and the cgroup limits of `docker run`."""
import json
import os
import re
import time
import uuid

import pytest

DEFAULT_CAPS = 0x00000000a80425fb


def run(docker, *args, **kw):
    r = docker("run", "--rm", *args, **kw)
    return r


def sh(docker, script, *flags):
    return run(docker, *flags, "busybox", "sh", "-c", script)


def cap_eff(text):
    m = re.search(r"^CapEff:\s+([0-9a-f]+)$", text, re.M)
    return int(m.group(1), 16)


def cgroup_v2():
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def host_cgroup_file(controller, cid, name):
    if cgroup_v2():
        return "/sys/fs/cgroup/berth/%s/%s" % (cid, name)
    return "/sys/fs/cgroup/%s/berth/%s/%s" % (controller, cid, name)


def read(path):
    with open(path) as f:
        return f.read().strip()


# ---- namespaces ----

def test_own_pid_uts_ipc_mount_namespaces(docker):
    r = sh(docker, 'echo $$; hostname; cat /proc/1/cmdline | tr "\\0" " "; echo; '
                   'ls /proc | grep -c "^[0-9]"', "-h", "box1")
    lines = r.stdout.splitlines()
    assert lines[0] == "1"
    assert lines[1] == "box1"
    assert lines[2].startswith("sh -c")
    assert int(lines[3]) <= 3  # only the container's own processes


def test_network_none_has_only_loopback(docker):
    r = sh(docker, "ip -o link | cut -d: -f2", "--network", "none")
    assert [x.strip() for x in r.stdout.splitlines()] == ["lo"], r.stdout
    # the default bridge adds one end of a veth pair (test_networks.py has the rest)
    r = sh(docker, "ip -o link | cut -d: -f2 | cut -d@ -f1")
    assert [x.strip() for x in r.stdout.splitlines()] == ["lo", "eth0"], r.stdout


def test_network_host_shares_the_engines_namespace(docker, shared_engine):
    inside = sh(docker, "readlink /proc/self/ns/net", "--network", "host").stdout.strip()
    engine_ns = os.readlink("/proc/%d/ns/net" % shared_engine.proc.pid)
    assert inside == engine_ns
    own = sh(docker, "readlink /proc/self/ns/net").stdout.strip()
    assert own != engine_ns


def test_cgroup_namespace_is_private(docker):
    r = sh(docker, "cat /proc/self/cgroup")
    # in its own cgroup namespace the container sees itself at the root
    assert all(line.endswith(":/") for line in r.stdout.splitlines()), r.stdout


# ---- mounts and /dev ----

def test_proc_sys_dev_mounts(docker):
    r = sh(docker, "cat /proc/mounts")
    mounts = {}
    for line in r.stdout.splitlines():
        dev, mnt, fstype, opts = line.split()[:4]
        mounts[mnt] = (fstype, opts.split(","))
    assert mounts["/proc"][0] == "proc"
    assert mounts["/sys"][0] == "sysfs" and "ro" in mounts["/sys"][1]
    assert mounts["/dev"][0] == "tmpfs"
    assert mounts["/dev/pts"][0] == "devpts"
    assert mounts["/dev/shm"][0] == "tmpfs" and "size=65536k" in mounts["/dev/shm"][1]
    assert mounts["/dev/mqueue"][0] == "mqueue"
    for f in ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf"):
        assert f in mounts, f
    assert mounts["/"][0] == "overlay"


def test_dev_has_the_standard_nodes(docker):
    r = sh(docker, "ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; "
                   "ls -l /dev/ptmx /dev/fd /dev/stdin; echo x > /dev/null && echo written")
    out = r.stdout
    for name, numbers in (("null", "1,\\s+3"), ("zero", "1,\\s+5"), ("full", "1,\\s+7"),
                          ("random", "1,\\s+8"), ("urandom", "1,\\s+9"), ("tty", "5,\\s+0")):
        assert re.search(r"^crw-rw-rw-\s+1 root\s+root\s+%s .*/dev/%s$" % (numbers, name), out,
                         re.M), (name, out)
    assert "/dev/ptmx -> pts/ptmx" in out
    assert "/dev/fd -> /proc/self/fd" in out
    assert out.rstrip().endswith("written")
    # a device the cgroup does not allow can be made (CAP_MKNOD) but not opened
    r = sh(docker, "mknod /tmp/sda b 8 0 && head -c1 /tmp/sda")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr


MASKED_FILES = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                "/proc/latency_stats"]


def test_masked_and_readonly_proc_paths(docker):
    present = [p for p in MASKED_FILES if os.path.exists(p)]
    assert present, "none of Docker's masked /proc files exists on this kernel"
    r = sh(docker, "for f in %s; do wc -c < $f; done; ls /proc/acpi 2>/dev/null | wc -l; "
                   "echo 1 > /proc/sys/kernel/domainname; echo rc=$?" % " ".join(present))
    lines = r.stdout.splitlines()
    assert lines[:len(present)] == ["0"] * len(present), r.stdout
    assert lines[len(present)] == "0"
    assert lines[-1] == "rc=1"
    assert "Read-only file system" in r.stderr


def test_etc_files(docker):
    r = sh(docker, "cat /etc/hostname /etc/hosts", "-h", "etc-test", "--add-host",
           "db.local:10.1.2.3")
    assert r.stdout.startswith("etc-test\n127.0.0.1\tlocalhost\n")
    assert "10.1.2.3\tdb.local" in r.stdout


def test_read_only_rootfs(docker):
    r = sh(docker, "touch /newfile; echo rc=$?; echo ok > /dev/shm/x && cat /dev/shm/x",
           "--read-only")
    assert "rc=1" in r.stdout and "Read-only file system" in r.stderr
    assert r.stdout.rstrip().endswith("ok")
    assert sh(docker, "touch /newfile && echo rw").stdout == "rw\n"


# ---- capabilities, seccomp, privileges ----

def test_default_capabilities_and_seccomp(docker):
    r = sh(docker, "cat /proc/self/status")
    assert cap_eff(r.stdout) == DEFAULT_CAPS
    assert re.search(r"^Seccomp:\s+2$", r.stdout, re.M)
    assert re.search(r"^NoNewPrivs:\s+0$", r.stdout, re.M)
    # mounting needs CAP_SYS_ADMIN, which a default container lacks
    r = sh(docker, "mkdir -p /mnt; mount -t tmpfs none /mnt")
    assert r.returncode != 0


def test_cap_add_and_drop(docker):
    r = sh(docker, "cat /proc/self/status", "--cap-drop", "CHOWN", "--cap-add", "SYS_TIME")
    caps = cap_eff(r.stdout)
    assert not caps & (1 << 0)  # CAP_CHOWN
    assert caps & (1 << 25)      # CAP_SYS_TIME
    r = sh(docker, "chown nobody /tmp && echo chowned", "--cap-drop", "chown")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    r = sh(docker, "cat /proc/self/status", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE")
    assert cap_eff(r.stdout) == 1 << 10
    r = run(docker, "--cap-add", "NOT_A_CAP", "busybox", "true")
    # (the docker CLI adds the CAP_ prefix before it sends the list)
    assert r.returncode == 125 and 'unknown capability: "CAP_NOT_A_CAP"' in r.stderr


def test_privileged(docker):
    r = sh(docker, "cat /proc/self/status; mkdir -p /mnt; mount -t tmpfs none /mnt && echo mounted; "
                   "grep ' /sys ' /proc/mounts", "--privileged")
    # every capability berthd itself holds (its bounding set)
    with open("/proc/self/status") as f:
        bounding = int(re.search(r"^CapBnd:\s+([0-9a-f]+)$", f.read(), re.M).group(1), 16)
    assert cap_eff(r.stdout) == bounding
    assert re.search(r"^Seccomp:\s+0$", r.stdout, re.M)
    assert "mounted" in r.stdout
    assert " rw," in r.stdout.splitlines()[-1]


def test_no_new_privileges_and_unconfined_seccomp(docker):
    r = sh(docker, "grep -E 'NoNewPrivs|Seccomp:' /proc/self/status", "--security-opt",
           "no-new-privileges", "--security-opt", "seccomp=unconfined")
    assert re.search(r"NoNewPrivs:\s+1", r.stdout)
    assert re.search(r"Seccomp:\s+0", r.stdout)


def test_seccomp_profile_from_a_file(docker, tmp_path):
    """--security-opt seccomp=FILE: the profile's rules hold (an errno of its own, a rule
    left out for a container holding the capability its excludes name), and a profile the
    runtime cannot take fails the run in dockerd's words."""
    import json as _json
    prof = tmp_path / "profile.json"
    prof.write_text(_json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
             "excludes": {"caps": ["CAP_FOWNER"]}}]}))
    r = sh(docker, "mkdir /x; chmod 700 /tmp && echo chmod ok", "--security-opt",
           "seccomp=%s" % prof)
    assert "can't create directory '/x': Permission denied" in r.stderr, r.stderr
    assert "chmod ok" in r.stdout, r.stdout + r.stderr
    r = sh(docker, "chmod 700 /tmp && echo chmod ok", "--cap-drop", "FOWNER",
           "--security-opt", "seccomp=%s" % prof)
    assert "chmod ok" not in r.stdout and "Operation not permitted" in r.stderr, r.stderr
    prof.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "name": "x", "syscalls": ['
                    '{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}')
    r = sh(docker, "true", "--security-opt", "seccomp=%s" % prof)
    assert r.returncode == 125 and "use either 'name' or 'names'" in r.stderr, r.stderr


def test_non_root_user_has_no_effective_capabilities(docker):
    r = sh(docker, "id; grep -E 'CapEff|CapBnd' /proc/self/status", "-u", "nobody")
    assert r.stdout.startswith("uid=65534(nobody) gid=65534(nogroup)")
    assert re.search(r"CapEff:\s+0+$", r.stdout, re.M)
    assert re.search(r"CapBnd:\s+0*a80425fb$", r.stdout, re.M)


# ---- cgroups ----

@pytest.fixture
def running(docker):
    made = []

    def start(*flags):
        n = "cg-" + uuid.uuid4().hex[:8]
        r = docker("run", "-d", "--name", n, *flags, "busybox", "sleep", "300")
        assert r.returncode == 0, r.stderr
        made.append(n)
        return docker("inspect", "-f", "{{.Id}}", n).stdout.strip()
    yield start
    if made:
        docker("rm", "-f", *made)


def test_memory_limits(running, docker):
    cid = running("-m", "64m", "--memory-swap", "128m", "--memory-reservation", "32m")
    if cgroup_v2():
        assert read(host_cgroup_file("memory", cid, "memory.max")) == str(64 << 20)
        assert read(host_cgroup_file("memory", cid, "memory.swap.max")) == str(64 << 20)
    else:
        assert read(host_cgroup_file("memory", cid, "memory.limit_in_bytes")) == str(64 << 20)
        assert read(host_cgroup_file("memory", cid, "memory.soft_limit_in_bytes")) == \
            str(32 << 20)
        memsw = host_cgroup_file("memory", cid, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):
            assert read(memsw) == str(128 << 20)
    info = json.loads(docker("inspect", cid).stdout)[0]["HostConfig"]
    assert (info["Memory"], info["MemorySwap"], info["MemoryReservation"]) == \
        (64 << 20, 128 << 20, 32 << 20)


def test_cpu_and_pids_limits(running):
    cid = running("--cpus", "0.5", "--cpu-shares", "512", "--pids-limit", "20")
    if cgroup_v2():
        assert read(host_cgroup_file("cpu", cid, "cpu.max")) == "50000 100000"
        assert read(host_cgroup_file("pids", cid, "pids.max")) == "20"
    else:
        assert read(host_cgroup_file("cpu", cid, "cpu.cfs_quota_us")) == "50000"
        assert read(host_cgroup_file("cpu", cid, "cpu.cfs_period_us")) == "100000"
        assert read(host_cgroup_file("cpu", cid, "cpu.shares")) == "512"
        assert read(host_cgroup_file("pids", cid, "pids.max")) == "20"


def host_cgroups(pid):
    """/proc/PID/cgroup as {controllers: path}, seen from the host."""
    out = {}
    for line in read("/proc/%d/cgroup" % pid).splitlines():
        _, controllers, path = line.split(":", 2)
        out[controllers] = path
    return out


def test_main_and_exec_processes_are_in_the_containers_cgroup(running, docker):
    """Every hierarchy with a controller holds the container's first process and the ones
    `docker exec` adds (the runtime has them join by themselves: see cgroup.h)."""
    cid = running()
    docker("exec", "-d", cid, "sleep", "311")
    main = int(docker("inspect", "-f", "{{.State.Pid}}", cid).stdout)
    want = "/berth/" + cid
    deadline = time.time() + 10
    execd = None
    while execd is None and time.time() < deadline:
        for p in os.listdir("/proc"):
            try:
                if p.isdigit() and read("/proc/%s/cmdline" % p).rstrip("\x00") == "sleep\x00311":
                    execd = int(p)
            except OSError:
                pass
        time.sleep(0.05)
    assert execd, "the exec'd sleep never showed up"
    for pid in (main, execd):
        groups = host_cgroups(pid)
        if cgroup_v2():
            assert groups[""] == want, groups
        else:
            for controllers in ("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
                                "blkio", "pids"):
                hit = [p for c, p in groups.items() if controllers in c.split(",")]
                assert hit == [want], (controllers, groups)


def test_pids_limit_stops_a_fork_bomb(docker):
    script = "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo all forked"
    r = sh(docker, script, "--pids-limit", "10")
    assert r.returncode != 0
    assert "can't fork: Resource temporarily unavailable" in r.stderr
    assert "all forked" not in r.stdout
    assert sh(docker, script).stdout == "all forked\n"


def test_memory_limit_kills_and_reports_oom(docker):
    n = "oom-" + uuid.uuid4().hex[:8]
    try:
        r = docker("run", "--name", n, "-m", "16m", "--memory-swap", "16m", "busybox", "sh",
                   "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived")
        assert r.returncode == 137, (r.returncode, r.stdout, r.stderr)
        assert docker("inspect", "-f", "{{.State.OOMKilled}}", n).stdout.strip() == "true"
    finally:
        docker("rm", "-f", n)


def test_memory_limit_validation(docker):
    r = run(docker, "-m", "1m", "busybox", "true")
    assert r.returncode == 125
    assert "Minimum memory limit allowed is 6MB" in r.stderr
    r = run(docker, "--cpus", "1000", "busybox", "true")
    assert r.returncode == 125 and "Range of CPUs is from 0.01" in r.stderr


def test_cgroup_is_removed_after_exit(docker):
    n = "cgrm-" + uuid.uuid4().hex[:8]
    docker("run", "--name", n, "--pids-limit", "5", "busybox", "true")
    cid = docker("inspect", "-f", "{{.Id}}", n).stdout.strip()
    docker("rm", n)
    time.sleep(0.2)
    assert not os.path.exists(os.path.dirname(host_cgroup_file("pids", cid, "pids.max")))
