# SPDX-License-Identifier: Apache-2.0
"""Networks through the docker CLI: the default bridge (addresses, gateway, outbound NAT),
user-defined networks with name resolution and aliases, published ports (-p, -P, ranges, udp,
conflicts, release at stop) reached from the engine's namespace, legacy links (hosts, env,
HostConfig.Links, ps names, hosts following a restarted target), connect/disconnect, and state
that survives berthd being killed. berthd runs in the test's own network namespace
(harness.Sandbox): every bridge, veth and rule the tests make lives and dies there."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest

@pytest.fixture
def names(shared_engine):
    """Unique names for this test's containers and networks; all are removed afterwards."""
    made = []

    def make(prefix="c"):
        made.append("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        return made[-1]
    yield make
    if made:
        shared_engine.docker("rm", "-f", "-v", *made)
        shared_engine.docker("network", "rm", *made)


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def fails(r, text):
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert text in r.stderr, r.stderr
    return r.stderr


def inspect(docker, name, fmt):
    return ok(docker("inspect", "-f", fmt, name)).strip()


def fetch(engine, url, timeout=10):
    """GET url from the engine's network namespace (where published ports are), with curl
    (Debian's static busybox wget crashes on the host's side: glibc's static resolver)."""
    return engine.sb.run(["curl", "-sS", "--max-time", "5", url], text=True,
                         capture_output=True, timeout=timeout)


def wait_fetch(engine, url, tries=50):
    r = None
    for _ in range(tries):
        r = fetch(engine, url)
        if r.returncode == 0:
            return r.stdout
        time.sleep(0.1)
    raise AssertionError("GET %s: %s" % (url, r.stderr))


def httpd(docker, name, *flags, text="hello"):
    """A busybox httpd on port 80 serving `text` at /, detached."""
    ok(docker("run", "-d", "--name", name, *flags, "busybox", "sh", "-c",
              "mkdir -p /www && echo %s > /www/index.html && exec httpd -f -p 80 -h /www"
              % text))


def api(engine, method, path, body=None):
    """One request to the engine's socket; the decoded JSON reply (asserting a 2xx)."""
    conn = http.client.HTTPConnection("berth")
    conn.sock = socket.socket(socket.AF_UNIX)
    conn.sock.connect(engine.sock)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    text = r.read()
    assert 200 <= r.status < 300, (r.status, text)
    return json.loads(text) if text else None


def links_in(engine):
    r = engine.sb.run(["ip", "-o", "link", "show"], text=True, capture_output=True)
    return r.stdout


# ---- the default bridge ----

def test_default_bridge_gives_addresses_a_gateway_and_a_route(docker, names):
    c = names()
    out = ok(docker("run", "--name", c, "busybox", "sh", "-c",
                    "ip -4 -o addr show eth0; ip route; cat /etc/hosts; hostname"))
    m = re.search(r"inet (172\.17\.\d+\.\d+)/16", out)
    assert m, out
    assert "default via 172.17.0.1 dev eth0" in out
    hostname = out.strip().splitlines()[-1]
    # its own address and hostname are in its /etc/hosts, as dockerd writes them
    assert "%s\t%s" % (m.group(1), hostname) in out
    # after the exit the record keeps the network, not the address
    assert inspect(docker, c, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}") \
        == "bridge"
    assert inspect(docker, c, "{{.NetworkSettings.IPAddress}}") == ""


def test_inspect_shows_the_running_containers_endpoint(docker, names, shared_engine):
    c = names()
    ok(docker("run", "-d", "--name", c, "busybox", "sleep", "60"))
    ns = json.loads(inspect(docker, c, "{{json .NetworkSettings}}"))
    ep = ns["Networks"]["bridge"]
    assert ep["Gateway"] == "172.17.0.1"
    assert ep["IPPrefixLen"] == 16
    assert ns["IPAddress"] == ep["IPAddress"] != ""
    a, b, x, y = map(int, ep["IPAddress"].split("."))
    assert ep["MacAddress"] == "02:42:ac:11:%02x:%02x" % (x, y)
    assert len(ep["EndpointID"]) == 64 and ns["SandboxKey"]
    bridge = json.loads(ok(docker("network", "inspect", "bridge")))[0]
    assert bridge["IPAM"]["Config"] == [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]
    cid = inspect(docker, c, "{{.Id}}")
    assert bridge["Containers"][cid]["IPv4Address"] == ep["IPAddress"] + "/16"
    # the host end of the pair is on berth0 in the engine's namespace
    assert re.search(r"veth\w+.*master berth0", links_in(shared_engine)), \
        links_in(shared_engine)


def test_containers_on_the_bridge_reach_each_other(docker, names):
    srv = names("srv")
    httpd(docker, srv, text="from-srv")
    ip = inspect(docker, srv, "{{.NetworkSettings.IPAddress}}")
    out = ok(docker("run", "--rm", "busybox", "sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://%s/ && break;"
                    " sleep 0.2; done" % ip))
    assert out == "from-srv\n"


def test_outbound_traffic_is_masqueraded(docker, names, shared_engine):
    """A connection out of the bridge to another host leaves with the engine's address (NAT),
    as dockerd's MASQUERADE rule does: the other host sees 10.123.0.1, not 172.17.x.y. The
    other host is a network namespace of the test's own, behind a veth pair."""
    sb = shared_engine.sb
    outside = "berth-out-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", outside], check=True)
    server = None
    try:
        ok(sb.run(["ip", "link", "add", "out0", "type", "veth", "peer", "name", "out1",
                   "netns", outside]))
        ok(sb.run(["ip", "addr", "add", "10.123.0.1/24", "dev", "out0"]))
        ok(sb.run(["ip", "link", "set", "out0", "up"]))
        for cmd in (["addr", "add", "10.123.0.2/24", "dev", "out1"], ["link", "set", "out1", "up"],
                    ["link", "set", "lo", "up"]):
            subprocess.run(["ip", "-n", outside, *cmd], check=True)
        server = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + outside, "--", "/usr/bin/python3", "-c",
             "import socket; s = socket.socket(); s.bind(('10.123.0.2', 18099)); s.listen();"
             " print('ready', flush=True); c, a = s.accept(); print(a[0], flush=True)"],
            stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == "ready"
        ok(docker("run", "--rm", "busybox", "sh", "-c", "echo hi | nc 10.123.0.2 18099"))
        assert server.stdout.readline().strip() == "10.123.0.1"
    finally:
        if server:
            server.kill()
            server.wait()
        sb.run(["ip", "link", "del", "out0"])
        subprocess.run(["ip", "netns", "del", outside])


def test_network_none_and_host(docker, names, shared_engine):
    out = ok(docker("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"))
    assert "lo:" in out and "eth0" not in out
    out = ok(docker("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link"))
    assert "berth0" in out  # the engine's own namespace
    fails(docker("run", "--rm", "--network", "nosuch", "busybox", "true"),
          "network nosuch not found")


def test_network_container_mode_shares_the_namespace(docker, names):
    a = names()
    ok(docker("run", "-d", "--name", a, "busybox", "sleep", "60"))
    ip = inspect(docker, a, "{{.NetworkSettings.IPAddress}}")
    out = ok(docker("run", "--rm", "--network", "container:" + a, "busybox", "ip", "-4", "-o",
                    "addr", "show", "eth0"))
    assert ip + "/16" in out


def test_ip_and_mac_and_dns_and_add_host(docker, names):
    net = names("net")
    ok(docker("network", "create", "--subnet", "10.77.0.0/24", net))
    out = ok(docker("run", "--rm", "--network", net, "--ip", "10.77.0.50", "--add-host",
                    "db.example:10.0.0.9", "busybox", "sh", "-c",
                    "ip -o addr show eth0; cat /etc/hosts"))
    assert "inet 10.77.0.50/24" in out
    assert "10.0.0.9\tdb.example" in out



def test_mac_address_of_the_create_request(docker, names, shared_engine):
    """Config.MacAddress, what API 1.41 clients send (the docker CLI 28 sends it per network,
    at 1.44 only, and refuses at 1.41)."""
    c = names()
    api(shared_engine, "POST", "/v1.41/containers/create?name=" + c,
        {"Image": "busybox", "Cmd": ["sleep", "60"], "MacAddress": "02:42:0a:4d:00:99"})
    ok(docker("start", c))
    out = ok(docker("exec", c, "ip", "-o", "link", "show", "eth0"))
    assert "02:42:0a:4d:00:99" in out
    assert inspect(docker, c, "{{.NetworkSettings.MacAddress}}") == "02:42:0a:4d:00:99"
    # --ip on the default network is refused at create, as dockerd does; on a user network
    # without a user-given subnet too
    fails(docker("run", "--rm", "--ip", "172.17.0.99", "busybox", "true"),
          "invalid config for network default: invalid endpoint settings:\nuser specified IP "
          "address is supported on user defined networks only")
    net = names("net")
    ok(docker("network", "create", net))
    fails(docker("create", "--network", net, "--ip", "172.18.0.99", "busybox", "true"),
          "user specified IP address is supported only when connecting to networks with user "
          "configured subnets")


def test_dns_flags_write_resolv_conf(docker, names):
    out = ok(docker("run", "--rm", "--dns", "10.1.2.3", "--dns-search", "example.com",
                    "--dns-option", "ndots:2", "busybox", "cat", "/etc/resolv.conf"))
    lines = out.splitlines()
    assert [x for x in lines if x.startswith("nameserver")] == ["nameserver 10.1.2.3"]
    assert "search example.com" in lines and "options ndots:2" in lines


# ---- user-defined networks ----

def test_user_networks_resolve_names_and_aliases(docker, names):
    net = names("net")
    ok(docker("network", "create", net))
    info = json.loads(ok(docker("network", "inspect", net)))[0]
    subnet = info["IPAM"]["Config"][0]["Subnet"]
    assert subnet.endswith("/16") and subnet != "172.17.0.0/16"
    srv = names("srv")
    httpd(docker, srv, "--network", net, "--network-alias", "web", text="named")
    ip = inspect(docker, srv, "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}" % net)
    script = ("for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://%s/ && break; sleep 0.2;"
              " done; nslookup web; nslookup %s; cat /etc/resolv.conf") % (srv, srv)
    out = ok(docker("run", "--rm", "--network", net, "busybox", "sh", "-c", script))
    assert out.startswith("named\n"), out
    assert out.count(ip) >= 2, out
    gateway = info["IPAM"]["Config"][0]["Gateway"]
    assert "nameserver %s" % gateway in out
    # the default bridge has no name resolution; another network cannot reach this one
    r = docker("run", "--rm", "busybox", "wget", "-q", "-T", "2", "-O", "-", "http://%s/" % ip)
    assert r.returncode != 0


def test_network_ls_rm_prune_and_errors(docker, names):
    net = names("net")
    ok(docker("network", "create", "--label", "team=a", net))
    ls = ok(docker("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"))
    for line in ("bridge bridge local", "host host local", "none null local",
                 "%s bridge local" % net):
        assert line in ls.splitlines(), ls
    fails(docker("network", "create", net), "network with name %s already exists" % net)
    fails(docker("network", "rm", "bridge"),
          "bridge is a pre-defined network and cannot be removed")
    fails(docker("network", "rm", "nosuch-net"), "network nosuch-net not found")
    c = names()
    ok(docker("run", "-d", "--name", c, "--network", net, "busybox", "sleep", "60"))
    fails(docker("network", "rm", net), "has active endpoints")
    ok(docker("rm", "-f", c))
    assert ok(docker("network", "ls", "-q", "--filter", "label=team=a")).strip() == \
        json.loads(ok(docker("network", "inspect", net)))[0]["Id"][:12]
    out = ok(docker("network", "prune", "-f", "--filter", "label=team=a"))
    assert net in out
    assert net not in ok(docker("network", "ls"))


def test_connect_and_disconnect_a_running_container(docker, names):
    net = names("net")
    ok(docker("network", "create", "--subnet", "10.78.0.0/24", net))
    c = names()
    ok(docker("run", "-d", "--name", c, "busybox", "sleep", "60"))
    ok(docker("network", "connect", "--ip", "10.78.0.7", net, c))
    out = ok(docker("exec", c, "ip", "-4", "-o", "addr"))
    assert "inet 10.78.0.7/24" in out and "eth1" in out
    fails(docker("network", "connect", net, c), "already exists in network")
    ok(docker("network", "disconnect", net, c))
    assert "10.78.0.7" not in ok(docker("exec", c, "ip", "-4", "-o", "addr"))
    fails(docker("network", "disconnect", net, c), "is not connected to network")


# ---- published ports ----

def test_publish_reaches_the_container_from_the_engines_host(docker, names, shared_engine):
    c = names()
    httpd(docker, c, "-p", "18080:80", text="published")
    assert wait_fetch(shared_engine, "http://127.0.0.1:18080/") == "published\n"
    # the host's other addresses too (the gateway of the bridge is one)
    assert wait_fetch(shared_engine, "http://172.17.0.1:18080/") == "published\n"
    assert ok(docker("port", c)).strip() == "80/tcp -> 0.0.0.0:18080"
    assert json.loads(inspect(docker, c, "{{json .NetworkSettings.Ports}}")) == \
        {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]}
    ps = ok(docker("ps", "--filter", "name=" + c, "--format", "{{.Ports}}"))
    assert ps.strip() == "0.0.0.0:18080->80/tcp"
    # from another container, through the host's address (hairpin through the bridge)
    out = ok(docker("run", "--rm", "busybox", "wget", "-q", "-O", "-",
                    "http://172.17.0.1:18080/"))
    assert out == "published\n"


def test_publish_all_and_expose_ranges(docker, names, shared_engine):
    c = names()
    httpd(docker, c, "-P", "--expose", "80", "--expose", "7000-7001")
    ports = json.loads(inspect(docker, c, "{{json .NetworkSettings.Ports}}"))
    assert set(ports) == {"80/tcp", "7000/tcp", "7001/tcp"}
    host_port = int(ports["80/tcp"][0]["HostPort"])
    assert host_port > 1024
    assert wait_fetch(shared_engine, "http://127.0.0.1:%d/" % host_port) == "hello\n"


@pytest.fixture(scope="module")
def udprecv(tmp_path_factory):
    """tests/e2e/data/udprecv.c built static: a UDP server for a busybox container."""
    src = os.path.join(os.path.dirname(__file__), "data", "udprecv.c")
    out = str(tmp_path_factory.mktemp("udprecv") / "udprecv")
    r = subprocess.run(["cc", "-static", "-O2", "-o", out, src], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot build a static program (cc -static): %s" % r.stderr[-300:])
    return out


def test_publish_udp_and_a_bound_address(docker, names, shared_engine, udprecv):
    c = names()
    ok(docker("run", "-d", "--name", c, "-p", "127.0.0.1:15353:53/udp", "-v",
              udprecv + ":/udprecv:ro", "busybox", "/udprecv", "53", "/tmp/got"))
    assert ok(docker("port", c, "53/udp")).strip() == "127.0.0.1:15353"

    def got(name):
        return ok(docker("exec", name, "sh", "-c", "cat /tmp/got 2>/dev/null; true"))
    send = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
            " s.sendto(b'over-udp\\n', ('127.0.0.1', 15353))")
    for _ in range(30):
        shared_engine.sb.run(["/usr/bin/python3", "-c", send], capture_output=True, timeout=10)
        if "over-udp" in got(c):
            break
        time.sleep(0.2)
    assert "over-udp" in got(c)
    # bound to 127.0.0.1 only: the host's other addresses do not lead there
    ok(docker("exec", c, "rm", "/tmp/got"))
    send_other = send.replace("127.0.0.1", "172.17.0.1").replace("over-udp", "other")
    shared_engine.sb.run(["/usr/bin/python3", "-c", send_other], capture_output=True)
    time.sleep(0.5)
    assert got(c) == ""


def test_port_conflict_and_release_at_stop(docker, names, shared_engine):
    a, b = names(), names()
    httpd(docker, a, "-p", "18081:80", text="first")
    wait_fetch(shared_engine, "http://127.0.0.1:18081/")
    r = docker("run", "-d", "--name", b, "-p", "18081:80", "busybox", "sleep", "60")
    fails(r, "Bind for 0.0.0.0:18081 failed: port is already allocated")
    assert inspect(docker, b, "{{.State.Status}}") == "created"
    ok(docker("stop", "-t", "1", a))
    assert fetch(shared_engine, "http://127.0.0.1:18081/").returncode != 0
    # the port is free again: the second container takes it
    ok(docker("rm", b))
    httpd(docker, b, "-p", "18081:80", text="second")
    assert wait_fetch(shared_engine, "http://127.0.0.1:18081/") == "second\n"

def test_a_port_another_program_holds_is_refused(docker, names, shared_engine):
    holder = shared_engine.sb.start(
        ["/usr/bin/python3", "-c", "import socket, time; s = socket.socket();"
         " s.bind(('0.0.0.0', 18083)); s.listen(); print('ready', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        c = names()
        fails(docker("run", "-d", "--name", c, "-p", "18083:80", "busybox", "sleep", "60"),
              "address already in use")
    finally:
        shared_engine.sb.stop(holder)


# ---- links ----

def test_links_give_hosts_env_inspect_and_ps_names(docker, names):
    db, web = names("db"), names("web")
    ok(docker("run", "-d", "--name", db, "-e", "PASSWORD=s3cret", "--expose", "5432",
              "busybox", "sleep", "60"))
    ip = inspect(docker, db, "{{.NetworkSettings.IPAddress}}")
    dbhost = inspect(docker, db, "{{.Config.Hostname}}")
    ok(docker("run", "-d", "--name", web, "--link", "%s:dbalias" % db, "busybox", "sleep", "60"))
    env = ok(docker("exec", web, "env")).splitlines()
    for kv in ("DBALIAS_PORT=tcp://%s:5432" % ip,
               "DBALIAS_PORT_5432_TCP=tcp://%s:5432" % ip,
               "DBALIAS_PORT_5432_TCP_ADDR=%s" % ip,
               "DBALIAS_PORT_5432_TCP_PORT=5432",
               "DBALIAS_PORT_5432_TCP_PROTO=tcp",
               "DBALIAS_NAME=/%s/dbalias" % web,
               "DBALIAS_ENV_PASSWORD=s3cret"):
        assert kv in env, env
    hosts = ok(docker("exec", web, "cat", "/etc/hosts"))
    assert "%s\tdbalias %s %s" % (ip, dbhost, db) in hosts
    assert inspect(docker, web, "{{.HostConfig.Links}}") == "[/%s:/%s/dbalias]" % (db, web)
    # the docker CLI shows the other names with --no-trunc only
    ps = ok(docker("ps", "--no-trunc", "--filter", "name=" + db, "--format", "{{.Names}}"))
    assert sorted(ps.strip().split(",")) == sorted([db, "%s/dbalias" % web])
    assert ok(docker("ps", "--filter", "name=" + db, "--format", "{{.Names}}")).strip() == db


def test_link_hosts_follow_a_restarted_target(docker, names):
    db, web, squat = names("db"), names("web"), names()
    ok(docker("run", "-d", "--name", db, "busybox", "sleep", "60"))
    old = inspect(docker, db, "{{.NetworkSettings.IPAddress}}")
    ok(docker("run", "-d", "--name", web, "--link", db, "busybox", "sleep", "60"))
    ok(docker("stop", "-t", "0", db))
    # another container takes db's address, so db comes back with a new one
    ok(docker("run", "-d", "--name", squat, "busybox", "sleep", "60"))
    ok(docker("start", db))
    new = inspect(docker, db, "{{.NetworkSettings.IPAddress}}")
    assert new != old
    hosts = ok(docker("exec", web, "cat", "/etc/hosts"))
    assert "%s\t%s" % (new, db) in hosts and old + "\t" + db not in hosts


def test_link_errors(docker, names):
    fails(docker("run", "--rm", "--link", "nosuch-ctr:x", "busybox", "true"),
          "could not get container for nosuch-ctr")
    db = names("db")
    ok(docker("create", "--name", db, "busybox", "sleep", "60"))
    fails(docker("run", "--rm", "--link", db + ":x", "busybox", "true"),
          "Cannot link to a non running container: /%s AS" % db)
    ok(docker("start", db))
    fails(docker("run", "--rm", "--network", "host", "--link", db, "busybox", "true"),
          "conflicting options: host type networking can't be used with links")


# ---- restarts ----

@pytest.fixture
def own_engine(request, busybox_tar):
    import harness
    if not harness.is_root() or not harness.docker_cli():
        pytest.skip("needs root and the docker CLI")
    sb = harness.Sandbox("net-restart")
    try:
        eng = harness.Engine(sb).start()
        ok(eng.docker("import", busybox_tar, "busybox"))
        yield eng
    finally:
        sb.cleanup()


def test_network_state_survives_a_killed_berthd(own_engine):
    eng = own_engine
    d = eng.docker
    net = "n-restart"
    ok(d("network", "create", "--subnet", "10.79.0.0/24", net))
    httpd(d, "web", "-p", "18082:80", text="survivor")
    ok(d("run", "-d", "--name", "other", "--network", net, "busybox", "sleep", "300"))
    ip = inspect(d, "web", "{{.NetworkSettings.IPAddress}}")
    ok(d("run", "-d", "--name", "gone", "busybox", "sleep", "300"))
    gone_ip = inspect(d, "gone", "{{.NetworkSettings.IPAddress}}")
    gone_pid = int(inspect(d, "gone", "{{.State.Pid}}"))
    assert wait_fetch(eng, "http://127.0.0.1:18082/") == "survivor\n"
    eng.proc.send_signal(signal.SIGKILL)
    eng.proc.wait()
    # a container that dies while berthd is away: its address and device must not leak
    os.kill(gone_pid, signal.SIGKILL)
    eng.start()
    assert wait_fetch(eng, "http://127.0.0.1:18082/") == "survivor\n"
    assert inspect(d, "web", "{{.NetworkSettings.IPAddress}}") == ip
    # the allocator remembers: a new container does not get a running one's address
    out = ok(d("run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0"))
    assert ip + "/" not in out
    assert inspect(d, "gone", "{{.State.Status}}") == "exited"
    assert json.loads(ok(d("network", "inspect", "bridge")))[0]["Containers"].keys() == \
        {inspect(d, "web", "{{.Id}}")}
    del gone_ip
    # the port still cannot be taken twice
    fails(d("run", "-d", "--name", "dup", "-p", "18082:80", "busybox", "sleep", "1"),
          "port is already allocated")
    ok(d("rm", "-f", "web", "other", "gone", "dup"))
    # nothing left behind: no veth, the port is gone, the network removable
    assert "veth" not in links_in(eng), links_in(eng)
    assert fetch(eng, "http://127.0.0.1:18082/").returncode != 0
    ok(d("network", "rm", net))
