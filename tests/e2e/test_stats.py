# SPDX-License-Identifier: Apache-2.0
"""`docker stats`, `docker system df` and `docker info` figures through the real docker CLI,
docker-py and the berth CLI: CPU of a busy loop, memory written to /dev/shm against the
--memory limit, pids, network bytes between two containers, streaming, stopped and paused
containers, disk usage of images, containers and volumes."""
import json
import os
import re
import time
import uuid

import pytest

UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3,
         "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def size_of(text):
    """go-units text ("50.4MiB", "1.63kB", "0B") in bytes."""
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]+)", text.strip())
    assert m, text
    return float(m.group(1)) * UNITS[m.group(2)]


@pytest.fixture
def names(docker):
    made = []

    def make(prefix="st"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        docker("rm", "-f", "-v", *made)


def stats_row(docker, name, *flags):
    r = docker("stats", "--no-stream", "--format", "{{json .}}", *flags, name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def run_d(docker, *args):
    r = docker("run", "-d", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def wait_for(docker, name, path, timeout=20):
    """Until the file exists in the container (its set-up finished)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if docker("exec", name, "test", "-e", path).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("%s never appeared in %s" % (path, name))


def busy_floor():
    """What a busy loop must at least show: most of a CPU (> 50%) on a quiet machine; on one
    busier than its CPUs (other builds and tests) its fair share is smaller, but a loop still
    shows far more than an idle container."""
    return 50 if os.getloadavg()[0] < os.cpu_count() else 20


def percent(text):
    assert text.endswith("%"), text
    return float(text[:-1])


# ---- docker stats ----

def test_stats_shows_busy_loop_cpu_and_idle_container_near_zero(docker, names):
    busy, idle = names(), names()
    run_d(docker, "--name", busy, "busybox", "sh", "-c", "while :; do :; done")
    run_d(docker, "--name", idle, "busybox", "sleep", "300")
    # one CPU busy: docker shows up to 100% (of one CPU); other work on the machine can take
    # some of it, so the best of three samples counts
    best = max(percent(stats_row(docker, busy)["CPUPerc"]) for _ in range(3))
    assert busy_floor() < best <= 100.5 * os.cpu_count(), best
    assert percent(stats_row(docker, idle)["CPUPerc"]) < 5


def test_stats_memory_grows_with_data_in_shm_and_limit_is_memory_flag(docker, names):
    n = names()
    run_d(docker, "--name", n, "-m", "96m", "busybox", "sh", "-c",
          "until [ -e /go ]; do sleep 0.1; done; "
          "dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null && touch /done; "
          "sleep 300")
    before = size_of(stats_row(docker, n)["MemUsage"].split(" / ")[0])
    assert docker("exec", n, "touch", "/go").returncode == 0
    wait_for(docker, n, "/done")
    row = stats_row(docker, n)
    used, limit = (size_of(x) for x in row["MemUsage"].split(" / "))
    assert limit == 96 * 1024 ** 2, row
    assert used >= 40 * 1024 ** 2 > before, (before, row)
    assert 40 < percent(row["MemPerc"]) < 100, row


def test_stats_memory_limit_is_host_memory_without_memory_flag(docker, names):
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    total = int(docker("info", "--format", "{{.MemTotal}}").stdout)
    with open("/proc/meminfo") as f:
        assert int(f.readline().split()[1]) * 1024 == total
    limit = size_of(stats_row(docker, n)["MemUsage"].split(" / ")[1])
    assert abs(limit - total) / total < 0.001


def test_stats_counts_pids_and_reports_pids_limit(docker, shared_engine, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "--pids-limit", "50", "busybox", "sh", "-c",
          "sleep 300 & sleep 300 & touch /ready; wait")
    wait_for(docker, n, "/ready")
    assert stats_row(docker, n)["PIDs"] == "3"
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        s = c.stats(n, stream=False)
    finally:
        c.close()
    assert s["pids_stats"] == {"current": 3, "limit": 50}


def test_stats_network_bytes_between_two_containers(docker, names):
    server, client = names(), names()
    run_d(docker, "--name", server, "busybox", "sleep", "300")
    run_d(docker, "--name", client, "busybox", "sleep", "300")
    ip = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", server).stdout.strip()
    assert ip, "the server has no address on the default bridge"
    rx_before = size_of(stats_row(docker, server)["NetIO"].split(" / ")[0])
    r = docker("exec", client, "ping", "-c", "20", "-i", "0.05", "-s", "1400", ip)
    assert r.returncode == 0, r.stdout + r.stderr
    rx, tx = (size_of(x) for x in stats_row(docker, server)["NetIO"].split(" / "))
    # 20 echo requests of 1400 bytes in, as many replies out
    assert rx - rx_before >= 20 * 1400, (rx_before, rx)
    assert tx >= 20 * 1400


def test_stats_api_one_object_per_second_with_previous_cpu(docker, shared_engine, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "busybox", "sh", "-c", "while :; do :; done")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        stream = c.stats(n, stream=True, decode=True)
        first, second = next(stream), next(stream)
        stream.close()
    finally:
        c.close()
    assert first["name"] == "/" + n and len(first["id"]) == 64
    # the first object of a stream has no previous sample, the second the first's CPU figures
    assert first["preread"] == "0001-01-01T00:00:00Z"
    assert first["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert second["preread"] == first["read"]
    assert second["precpu_stats"] == first["cpu_stats"]
    t1 = first["read"][:26] + "Z"
    t2 = second["read"][:26] + "Z"
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    gap = time.mktime(time.strptime(t2[:19], fmt[:17])) - time.mktime(
        time.strptime(t1[:19], fmt[:17]))
    assert 0 <= gap <= 3, (first["read"], second["read"])
    cpu = second["cpu_stats"]
    assert cpu["cpu_usage"]["total_usage"] > first["cpu_stats"]["cpu_usage"]["total_usage"]
    assert cpu["online_cpus"] == os.cpu_count()
    assert cpu["system_cpu_usage"] > first["cpu_stats"]["system_cpu_usage"]
    assert "eth0" in second["networks"]


def test_dockerpy_container_stats_not_streamed_has_precpu(shared_engine, docker, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "-m", "64m", "busybox", "sleep", "300")
    client = dockerpy.DockerClient(base_url=shared_engine.host, version="auto")
    try:
        s = client.containers.get(n).stats(stream=False)
    finally:
        client.close()
    # dockerd answers stream=false with the second sample, so that a CPU % can be computed
    assert s["precpu_stats"]["system_cpu_usage"] > 0
    assert s["cpu_stats"]["system_cpu_usage"] > s["precpu_stats"]["system_cpu_usage"]
    assert s["preread"] != "0001-01-01T00:00:00Z"
    mem = s["memory_stats"]
    assert mem["limit"] == 64 * 1024 ** 2
    assert 0 < mem["usage"] < mem["limit"]
    assert "total_inactive_file" in mem["stats"] or "inactive_file" in mem["stats"]
    assert set(s["networks"]["eth0"]) == {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                          "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"}


def test_stats_of_stopped_container_is_zeros(docker, shared_engine, names):
    n = names()
    assert docker("run", "--name", n, "busybox", "true").returncode == 0
    row = stats_row(docker, n)
    assert (row["CPUPerc"], row["MemUsage"], row["NetIO"], row["PIDs"]) == \
        ("0.00%", "0B / 0B", "0B / 0B", "0")
    assert row["Name"] == n
    # only running containers without -a
    r = docker("stats", "--no-stream", "--format", "{{.Name}}")
    assert n not in r.stdout.split()
    r = docker("stats", "--no-stream", "-a", "--format", "{{.Name}}")
    assert n in r.stdout.split()


def test_stats_of_paused_container(docker, names):
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    assert docker("pause", n).returncode == 0
    row = stats_row(docker, n)
    assert size_of(row["MemUsage"].split(" / ")[0]) > 0
    assert row["PIDs"] == "1"
    assert docker("unpause", n).returncode == 0


def test_docker_stats_stream_redraws_every_second(shared_engine, docker, names):
    import harness
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    # the docker CLI without --no-stream redraws its table for every object of the streams
    r = shared_engine.sb.run(["timeout", "-s", "KILL", "4.5", harness.docker_cli(), "stats", n],
                             env=shared_engine.env(), timeout=30)
    tables = [t for t in r.stdout.split("\033[H") if "CONTAINER ID" in t]
    assert len(tables) >= 3, r.stdout
    assert re.search(r"^\w{12}\s+%s\s+[0-9.]+%%" % n, tables[-1], re.M), tables[-1]


def test_stats_of_unknown_container_is_docker_error(docker):
    r = docker("stats", "--no-stream", "no-such-ctr-" + uuid.uuid4().hex[:6])
    assert r.returncode != 0
    assert "No such container: no-such-ctr-" in r.stderr


def test_stats_stream_and_one_shot_together_is_400(shared_engine, names, docker):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        r = c.get(c._url("/containers/{0}/stats", n), params={"stream": 1, "one-shot": 1})
        assert r.status_code == 400
        assert r.json()["message"] == "cannot have stream=true and one-shot=true"
        r = c.get(c._url("/containers/{0}/stats", n), params={"stream": 0, "one-shot": 1})
        assert r.status_code == 200 and r.json()["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    finally:
        c.close()


def test_stats_kept_sample_is_the_precpu_of_one_shot_and_no_stream(shared_engine, names, docker):
    """Once stats were asked for, the engine keeps a sample of each running container a
    second: a one-shot answer (no precpu at dockerd) and a stream=false one carry it as
    precpu, between a tenth of a second and two seconds old, and the CPU % of a busy loop
    comes out of it."""
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "--network", "none", "busybox", "sh", "-c", "while :; do :; done")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        url = c._url("/containers/{0}/stats", n)
        assert c.get(url, params={"stream": 0, "one-shot": 1}).status_code == 200
        time.sleep(2.5)  # the collector has taken two samples since
        for params in ({"stream": 0, "one-shot": 1}, {"stream": 0}):
            v = c.get(url, params=params).json()
            cpu, pre = v["cpu_stats"], v["precpu_stats"]
            assert pre["system_cpu_usage"] > 0, (params, v)
            assert pre["cpu_usage"]["total_usage"] <= cpu["cpu_usage"]["total_usage"]
            window = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
            assert 0.1e9 * cpu["online_cpus"] <= window <= 2.5e9 * cpu["online_cpus"], v
            pct = ((cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]) /
                   window * cpu["online_cpus"] * 100)
            assert pct > busy_floor(), (params, pct)
    finally:
        c.close()


# ---- berth stats ----

def test_berth_stats_no_stream_table_and_json(shared_engine, docker, names):
    n = names()
    run_d(docker, "--name", n, "-m", "64m", "busybox", "sh", "-c", "while :; do :; done")
    r = shared_engine.berth("stats", "--no-stream", n)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.match(r"CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+"
                    r"BLOCK I/O\s+PIDS$", lines[0]), lines[0]
    fields = re.split(r"\s{2,}", lines[1])
    assert fields[1] == n and fields[3].endswith(" / 64MiB") and fields[-1] == "1", fields
    best = max(percent(json.loads(shared_engine.berth(
        "stats", "--no-stream", "--format", "json", n).stdout)["CPUPerc"]) for _ in range(3))
    assert busy_floor() < best <= 100.5 * os.cpu_count(), best


def test_berth_stats_unknown_container(shared_engine):
    r = shared_engine.berth("stats", "--no-stream", "nope-" + uuid.uuid4().hex[:6])
    assert r.returncode == 1
    assert "No such container: nope-" in r.stderr


# ---- docker system df ----

def same_but_ago(a, b):
    def norm(text):
        text = re.sub(r"(Less than a second|About a minute|\d+ (seconds|minutes)) ago", "T ago",
                      text)
        text = re.sub(r"Up (Less than a second|About a minute|\d+ (seconds|minutes))", "Up T",
                      text)
        return [re.split(r"\s{2,}", line.rstrip()) for line in text.splitlines()]
    return norm(a) == norm(b)


def test_system_df_counts_images_containers_and_volumes(docker, shared_engine, names):
    n, vol = names(), names("vol")
    r = docker("run", "--name", n, "-v", vol + ":/data", "busybox", "sh", "-c",
               "head -c 100000 /dev/zero > /data/f; head -c 3000 /dev/zero > /rw")
    assert r.returncode == 0, r.stderr
    r = docker("system", "df", "--format", "{{json .}}")
    assert r.returncode == 0, r.stderr
    rows = {x["Type"]: x for x in map(json.loads, r.stdout.splitlines())}
    assert rows["Images"]["TotalCount"] == "1"
    assert rows["Images"]["Active"] == "1"
    assert rows["Images"]["Size"] != "0B"
    # the exited container's writable layer: all of it reclaimable
    assert rows["Containers"]["Size"] == "3kB"
    assert rows["Containers"]["Reclaimable"] == "3kB (100%)"
    assert rows["Local Volumes"] == {"Type": "Local Volumes", "TotalCount": "1", "Active": "1",
                                     "Size": "100kB", "Reclaimable": "0B (0%)"}
    assert rows["Build Cache"]["Size"] == "0B"
    r = docker("system", "df", "-v")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(r"^%s\s+1\s+100kB$" % vol, out, re.M), out
    assert re.search(r"^busybox\s+latest\s+\w{12}\s+.*\s1$", out, re.M), out
    assert re.search(r"\b3kB\b.*Exited \(0\).*%s$" % n, out, re.M), out
    # berth prints the same summary, and the same details but for the "ago" columns that
    # may have moved on a second
    b = shared_engine.berth("system", "df")
    assert b.returncode == 0, b.stderr
    assert b.stdout == docker("system", "df").stdout
    b = shared_engine.berth("system", "df", "-v")
    assert b.returncode == 0, b.stderr
    assert same_but_ago(b.stdout, docker("system", "df", "-v").stdout)
    b = shared_engine.berth("system", "df", "-v", "--format", "{{json .}}")
    assert b.returncode == 0, b.stderr
    d = docker("system", "df", "-v", "--format", "{{json .}}").stdout
    assert set(json.loads(b.stdout)) == set(json.loads(d)) == {"Images", "Containers", "Volumes",
                                                                "BuildCache"}


def test_system_df_image_shared_size(docker, names):
    tag = "busybox-copy-" + uuid.uuid4().hex[:6]
    n = names()
    assert docker("run", "--name", n, "busybox", "sh", "-c", "echo x > /f").returncode == 0
    assert docker("commit", n, tag).returncode == 0
    try:
        out = docker("system", "df", "-v", "--format", "{{json .}}")
        assert out.returncode == 0, out.stderr
        images = {i["Repository"] + ":" + i["Tag"]: i for i in json.loads(out.stdout)["Images"]}
        base, child = images["busybox:latest"], images[tag + ":latest"]
        # the busybox layer is in both
        assert base["SharedSize"] == base["Size"] != "0B"
        assert child["SharedSize"] == base["Size"]
        assert child["UniqueSize"] != "0B"
    finally:
        docker("rmi", tag)


# ---- docker info ----

def test_info_figures_are_the_hosts_and_engines(docker, shared_engine, names):
    n, stopped = names(), names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    assert docker("create", "--name", stopped, "busybox", "true").returncode == 0
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert info["ContainersRunning"] == 1
    assert info["ContainersStopped"] == 1
    assert info["ContainersPaused"] == 0
    assert info["Containers"] == 2
    assert info["Images"] == 1
    assert info["NCPU"] == os.cpu_count()
    assert info["KernelVersion"] == os.uname().release
    assert info["DockerRootDir"] == shared_engine.data_root
    assert info["Name"] == os.uname().nodename
    assert re.fullmatch(r"[A-Za-z0-9:-]{8,}", info["ID"]), info["ID"]
    with open("/etc/os-release") as f:
        pretty = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M).group(1)
    assert info["OperatingSystem"] == pretty
    # the engine's network namespace is the sandbox's
    fwd = shared_engine.sb.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()
    assert info["IPv4Forwarding"] == (fwd == "1")
    assert info["NFd"] > 3 and info["NGoroutines"] > 1
    backing = dict(info["DriverStatus"])["Backing Filesystem"]
    assert backing != "<unknown>", info["DriverStatus"]
    assert docker("pause", n).returncode == 0
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert (info["ContainersRunning"], info["ContainersPaused"]) == (0, 1)
    docker("unpause", n)


def test_berth_stats_stream_redraws_in_place(shared_engine, docker, names):
    import harness
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    r = shared_engine.sb.run(["timeout", "-s", "KILL", "3.5", harness.BERTH, "stats", n],
                             env=shared_engine.env(), timeout=30)
    frames = [t for t in r.stdout.split("\033[H") if "CONTAINER ID" in t]
    assert len(frames) >= 2, r.stdout
    assert re.search(r"^\w{12}\s+%s\s+[0-9.]+%%.*\033\[K$" % n, frames[-1], re.M), frames[-1]


def test_stats_stream_of_stopped_container_goes_on_and_ends_when_removed(shared_engine, docker,
                                                                          names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto", timeout=30)
    try:
        stream = c.stats(n, stream=True, decode=True)
        assert next(stream)["pids_stats"]["current"] == 1
        assert docker("kill", n).returncode == 0
        # dockerd's collector goes on with empty objects for a container that is not running
        deadline = time.time() + 10
        while True:
            s = next(stream)
            if s["read"] == "0001-01-01T00:00:00Z":
                break
            assert time.time() < deadline, s
        assert s["name"] == "/" + n and s["pids_stats"] == {} and s["memory_stats"] == {}
        assert docker("rm", n).returncode == 0
        start = time.time()
        with pytest.raises(StopIteration):
            for _ in range(10):
                next(stream)
        assert time.time() - start < 5
    finally:
        c.close()


def test_docker_stats_without_names_streams_running_containers(shared_engine, docker, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    import harness
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        r = c.get(c._url("/events"), params={"since": 0, "until": int(time.time())})
    finally:
        c.close()
    if r.status_code == 404:
        pytest.skip("docker stats without names follows GET /events, which this engine lacks")
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    r = shared_engine.sb.run(["timeout", "-s", "KILL", "3.5", harness.docker_cli(), "stats"],
                             env=shared_engine.env(), timeout=30)
    assert "Error" not in r.stderr, r.stderr
    tables = [t for t in r.stdout.split("\033[H") if "CONTAINER ID" in t]
    assert tables and re.search(r"^\w{12}\s+%s\s" % n, tables[-1], re.M), r.stdout


def test_stats_no_networks_for_network_none(shared_engine, docker, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "--network", "none", "busybox", "sleep", "300")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        s = c.stats(n, stream=False)
    finally:
        c.close()
    assert "networks" not in s
    assert s["pids_stats"]["current"] == 1
    assert stats_row(docker, n)["NetIO"] == "0B / 0B"


def test_ps_and_inspect_with_size_show_the_writable_layer(docker, names):
    n = names()
    r = docker("run", "--name", n, "busybox", "sh", "-c", "head -c 2500 /dev/zero > /f")
    assert r.returncode == 0, r.stderr
    r = docker("ps", "-a", "-s", "--filter", "name=" + n, "--format", "{{.Size}}")
    assert re.fullmatch(r"2\.5kB \(virtual [0-9.]+MB\)", r.stdout.strip()), r.stdout
    r = docker("inspect", "--size", "--format", "{{.SizeRw}} {{.SizeRootFs}}", n)
    rw, rootfs = map(int, r.stdout.split())
    assert rw == 2500 and rootfs > 1000000 + rw, r.stdout


def test_stats_memory_stat_keys_are_dockerds(shared_engine, docker, names):
    dockerpy = pytest.importorskip("docker", reason="python3-docker is not installed")
    n = names()
    run_d(docker, "--name", n, "busybox", "sleep", "300")
    c = dockerpy.APIClient(base_url=shared_engine.host, version="auto")
    try:
        st = c.stats(n, stream=False)["memory_stats"]["stats"]
    finally:
        c.close()
    # dockerd's fixed set for the host's cgroup version, whatever else the kernel lists
    if "total_cache" in st:
        assert len(st) == 32 and "hierarchical_memory_limit" in st and "shmem" not in st
    else:
        assert len(st) == 31 and "pglazyfreed" in st and "inactive_file" in st
