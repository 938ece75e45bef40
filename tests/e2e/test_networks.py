# SPDX-License-Identifier: Apache-2.0
"""Networks and ports, the client side: `berth network create/ls/inspect/rm/connect/disconnect/
prune`, `berth port`, the PORTS and NAMES columns of `berth ps`, and the network and port flags
of `run`/`create`, against the docker CLI 28.

Most scenarios run each client against its own fresh fake engine (fakenet.py: the /networks and
/containers endpoints of API 1.41, from memory) and compare what the user sees (exit code,
stdout, stderr) and what reached the engine (method, path, query, JSON body). The last tests
drive berthd itself, with both clients on one engine; they wait for the engine's networks.
"""
import json
import os
import re
import subprocess
import tempfile
import uuid

import pytest

import fakenet
import harness

NEEDS_ENGINE_NETWORKS = pytest.mark.skip(reason="needs the engine's networks (issue 8 in "
                                                "progress)")


@pytest.fixture
def fake_dir(tmp_path):
    if not os.access(harness.BERTH, os.X_OK):
        pytest.skip("%s is not built (cmake --build build)" % harness.BERTH)
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    return tmp_path


def body_text(req):
    method, path, query, body = req
    return (method, path, query, json.dumps(body))  # member order counts


def both(fake_dir, commands, setup=None, requests=body_text):
    """Run commands (argument lists, or (arguments, stdin) pairs) with the docker CLI and with
    berth, each on a fresh fake engine made by setup; both must print and send the same. Returns
    the docker CLI's results and requests, one pair per command."""
    seen = {}
    for client in ("docker", "berth"):
        d = tempfile.mkdtemp(prefix=client, dir=str(fake_dir))
        eng = fakenet.FakeNetEngine(os.path.join(d, "engine.sock"))
        try:
            if setup:
                setup(eng)
            got = []
            for c in commands:
                args, stdin = c if isinstance(c, tuple) else (c, None)
                out, reqs = eng.run(client, *args, input=stdin)
                got.append((out, [requests(r) for r in reqs]))
        finally:
            eng.close()
        seen[client] = got
    for c, d, b in zip(commands, seen["docker"], seen["berth"]):
        assert b == d, "berth and docker differ on %r:\ndocker: %r\nberth:  %r" % (c, d, b)
    return seen["docker"]


# ---- network create ----

def test_network_create_sends_what_docker_sends(fake_dir):
    got = both(fake_dir, [
        ["network", "create", "n1"],
        ["network", "create", "-d", "bridge", "--subnet", "10.5.0.0/16", "--gateway",
         "10.5.0.1", "--ip-range", "10.5.1.0/24", "--internal", "--attachable", "-o", "a=b",
         "-o", "c", "--label", "l=v", "--label", "k", "--ipv6", "n2"],
        ["network", "create", "--ipv4=false", "--ipam-driver", "x", "--aux-address",
         "a=10.5.0.9", "--subnet", "10.5.0.0/16", "--ipam-opt", "q=r", "n3"],
        ["network", "create", "--subnet", "fd00::/64,10.0.0.0/8", "--gateway", "fd00::1",
         "--gateway", "10.0.0.1", "--ip-range", "10.3.0.0/16", "--aux-address", "b=10.0.0.9",
         "--ipam-opt", "z=1", "--ipam-opt", "a=2", "--scope", "local", "--config-only",
         "--config-from", "other", "--ingress", "n4"],
    ])
    assert got[0][0] == (0, fakenet.net_id("n1") + "\n", "")
    body = json.loads(got[1][1][0][3])
    assert body["IPAM"]["Config"] == [{"Subnet": "10.5.0.0/16", "IPRange": "10.5.1.0/24",
                                       "Gateway": "10.5.0.1"}]
    assert body["CheckDuplicate"] is True and body["EnableIPv6"] is True
    assert body["Labels"] == {"k": "", "l": "v"} and body["Options"] == {"a": "b", "c": ""}


def test_network_create_refusals_as_docker_words_them(fake_dir):
    got = both(fake_dir, [
        ["network", "create", "n1"],
        ["network", "create", "n1"],
        ["network", "create", "--gateway", "1.2.3.4", "n2"],
        ["network", "create", "--subnet", "10.0.0.0/8", "--subnet", "10.1.0.0/16", "n2"],
        ["network", "create", "--subnet", "10.0.0.0/8", "--gateway", "11.0.0.1", "n2"],
        ["network", "create", "--subnet", "x", "--subnet", "y", "n2"],
        ["network", "create", "--subnet", "10.0.0.0/8", "--ip-range", "x", "n2"],
        ["network", "create", "--subnet", "10.0.0.0/8", "--aux-address", "a=11.0.0.1", "n2"],
        ["network", "create"],
        ["network", "create", "a", "b"],
        ["network", "create", "--subnet", "\"a", "n2"],
        ["network", "create", "--label", "=x", "n2"],
        ["network", "create", "--bogus", "n2"],
    ])
    assert got[1][0][:2] == (1, "") and got[1][0][2] == (
        "Error response from daemon: network with name n1 already exists\n")
    assert got[2][0] == (1, "", "every ip-range or gateway must have a corresponding subnet\n")
    assert got[2][1] == []  # refused before any request
    assert got[8][0][0] == 1 and "requires 1 argument" in got[8][0][2]
    assert got[10][0][0] == 125


# ---- network ls ----

def ls_setup(eng):
    eng.networks += [fakenet.network("web-2", Labels={"tier": "<front>"}),
                     fakenet.network("web-10", Internal=True, EnableIPv6=True),
                     fakenet.network("db", "macvlan", Labels={"tier": "back"})]


def test_network_ls_as_docker_prints_it(fake_dir):
    got = both(fake_dir, [
        ["network", "ls"],
        ["network", "ls", "-q"],
        ["network", "ls", "--no-trunc"],
        ["network", "ls", "-q", "--no-trunc"],
        ["network", "ls", "--format", "json"],
        ["network", "ls", "--format", "raw"],
        ["network", "ls", "-q", "--format", "raw"],
        ["network", "ls", "-q", "--format", "table"],
        ["network", "ls", "--format", "table {{.Name}}\t{{.Labels}}\t{{.IPv4}}\t{{.IPv6}}\t"
         "{{.Internal}}\t{{.CreatedAt}}\t{{.Label \"tier\"}}"],
        ["network", "ls", "--format", "{{.Name}}: {{.Driver}} {{.Scope}}"],
        ["network", "ls", "-f", "driver=bridge", "-f", "name=web", "-f", "label=tier"],
        ["network", "ls", "--format", "{{.Nope}}"],
        ["network", "ls", "-f", "nofilter"],
        ["network", "ls", "x"],
        ["network", "ls", "--filter=dangling=true", "-q"],
    ], setup=ls_setup)
    lines = got[0][0][1].splitlines()
    assert lines[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert [l.split()[1] for l in lines[1:]] == ["bridge", "db", "host", "none", "web-2", "web-10"]
    assert "\\u003cfront\\u003e" in got[4][0][1]  # docker's MarshalJSON escapes HTML
    assert got[10][1][0][2] == {"filters": ['{"driver":{"bridge":true},"label":{"tier":true},'
                                            '"name":{"web":true}}']}
    assert got[11][0][0] == 1 and "can't evaluate field Nope in type *network.networkContext" \
        in got[11][0][2]


# ---- network inspect ----

def inspect_setup(eng):
    eng.networks.append(fakenet.network("n1", Labels={"b": "2"}, Containers={
        "abc": {"Name": "web", "EndpointID": "e1", "MacAddress": "02:42:ac:12:00:02",
                "IPv4Address": "172.18.0.2/16", "IPv6Address": ""}}))


def test_network_inspect_as_docker_prints_it(fake_dir):
    got = both(fake_dir, [
        ["network", "inspect", "n1"],
        ["network", "inspect", "n1", "bridge"],
        ["network", "inspect", "n1", "nosuch"],
        ["network", "inspect", "nosuch"],
        ["network", "inspect", "-f", "{{.Name}} {{.IPAM.Config}} {{.Containers}} {{.Labels}} "
         "{{.Created}} {{json .IPAM}} {{.ConfigFrom}} {{.IPAM.Options}}", "n1", "host"],
        ["network", "inspect", "-f", "json", "n1"],
        ["network", "inspect", "-f", "{{json .}}", "n1"],
        ["network", "inspect", "-f", "{{range $k, $v := .Containers}}{{$v.Name}} "
         "{{$v.IPv4Address}}{{end}}", "n1"],
        ["network", "inspect", "-f", "{{.Nope}}", "n1"],
        ["network", "inspect", "-f", "{{.Name", "n1"],
        ["network", "inspect", "-v", "n1"],
        ["network", "inspect", " "],
        ["network", "inspect"],
    ], setup=inspect_setup)
    assert got[0][0][1].startswith("[\n    {\n        \"Name\": \"n1\",\n")
    assert got[2][0][0] == 1 and got[2][0][2] == ("Error response from daemon: network nosuch "
                                                  "not found\n")
    assert got[3][0] == (1, "[]\n", "Error response from daemon: network nosuch not found\n")
    assert got[4][0][1].startswith("n1 [{172.18.0.0/16  172.18.0.1 map[]}] map[abc:{web e1 "
                                   "02:42:ac:12:00:02 172.18.0.2/16 }] map[b:2] 2025-01-02 "
                                   "03:04:05.123456789 +0000 UTC ")
    assert "map has no entry for key \"Nope\"" in got[8][0][2]
    assert got[9][0][0] == 64
    assert got[10][1][0][2] == {"verbose": ["true"]}
    assert got[11][0] == (1, "[]\n", "invalid network name or ID: value is empty\n")


# ---- network rm ----

def rm_setup(eng):
    eng.networks += [fakenet.network("n1"), fakenet.network("n2"), fakenet.network(
        "busy", Containers={"abc": {"Name": "web", "EndpointID": "e", "MacAddress": "",
                                    "IPv4Address": "", "IPv6Address": ""}})]


def test_network_rm_as_docker_does(fake_dir):
    got = both(fake_dir, [
        ["network", "rm", "n1", "nosuch", "busy", "n2"],
        ["network", "rm", "-f", "nosuch", "n1"],
        ["network", "rm", "bridge"],
        ["network", "rm"],
    ], setup=rm_setup)
    rc, out, err = got[0][0]
    assert (rc, out) == (1, "n1\nn2\n")
    assert err == ("Error response from daemon: network nosuch not found\n"
                   "Error response from daemon: error while removing network: network busy id "
                   "%s has active endpoints\nexit status 1\n" % fakenet.net_id("busy"))
    assert [r[:2] for r in got[0][1]][:2] == [("GET", "/networks/n1"), ("DELETE", "/networks/n1")]
    assert got[1][0] == (0, "", "")  # n1 went with the first rm: -f takes that too


# ---- network connect and disconnect ----

def connect_setup(eng):
    eng.networks.append(fakenet.network("n1"))
    eng.inspects["web"] = {"Id": "w" * 64, "Name": "/web"}


def test_network_connect_disconnect_send_what_docker_sends(fake_dir):
    got = both(fake_dir, [
        ["network", "connect", "--alias", "a1", "--alias", "a2,a3", "--ip", "10.0.0.3",
         "--link", "x:y", "n1", "web"],
        ["network", "connect", "n1", "web"],
        ["network", "connect", "--driver-opt", "k=v", "--driver-opt", " s = t ", "--ip6",
         "fd00::3", "--link-local-ip", "fe80::1,fe80::2", "--gw-priority", "-5", "n1", "web"],
        ["network", "connect", "n1", "nosuch"],
        ["network", "connect", "nosuch", "web"],
        ["network", "connect", "--driver-opt", "bad", "n1", "web"],
        ["network", "connect", "--link", "a:b:c", "n1", "web"],
        ["network", "connect", "--gw-priority", "x", "n1", "web"],
        ["network", "connect", "n1"],
        ["network", "connect", " ", "web"],
        ["network", "disconnect", "-f", "n1", "web"],
        ["network", "disconnect", "n1", "web"],
        ["network", "disconnect", "n1", "nosuch"],
        ["network", "disconnect", "n1"],
    ], setup=connect_setup)
    body = json.loads(got[0][1][0][3])
    assert body["Container"] == "web"
    assert body["EndpointConfig"]["Aliases"] == ["a1", "a2", "a3"]
    assert body["EndpointConfig"]["IPAMConfig"] == {"IPv4Address": "10.0.0.3"}
    assert got[3][0] == (1, "", "Error response from daemon: No such container: nosuch\n")
    assert json.loads(got[10][1][0][3]) == {"Container": "web", "Force": True}


# ---- network prune ----

PRUNE_QUESTION = ("WARNING! This will remove all custom networks not used by at least one "
                  "container.\nAre you sure you want to continue? [y/N] ")


def test_network_prune_as_docker_does(fake_dir):
    got = both(fake_dir, [
        (["network", "prune"], "n\n"),
        (["network", "prune"], "y\n"),
        ["network", "prune", "-f"],
        ["network", "prune", "-f", "--filter", "label=a", "--filter", "until=1h"],
        ["network", "prune", "x"],
        ["network", "prune", "--filter", "nope"],
    ], setup=rm_setup)
    assert got[0] == ((0, PRUNE_QUESTION, ""), [])
    assert got[1][0] == (0, PRUNE_QUESTION + "Deleted Networks:\nn1\nn2\n\n", "")
    assert got[2][0] == (0, "", "")
    assert got[3][1][0][2] == {"filters": ['{"label":{"a":true},"until":{"1h":true}}']}


# ---- port ----

PORTS = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                    {"HostIp": "::", "HostPort": "8080"}],
         "81/tcp": None, "90/udp": [{"HostIp": "127.0.0.1", "HostPort": "9000"}],
         "100/tcp": [{"HostIp": "0.0.0.0", "HostPort": "100"}],
         "9/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]}


def port_setup(eng):
    eng.inspects["web"] = {"Id": "w" * 64, "Name": "/web",
                           "NetworkSettings": {"Ports": PORTS}}
    eng.inspects["quiet"] = {"Id": "q" * 64, "Name": "/quiet", "NetworkSettings": {"Ports": {}}}


def test_port_as_docker_prints_it(fake_dir):
    got = both(fake_dir, [
        ["port", "web"],
        ["port", "web", "80"],
        ["port", "web", "80/tcp"],
        ["port", "web", "90/udp"],
        ["port", "web", "81"],
        ["port", "web", "80/udp"],
        ["port", "web", "x"],
        ["port", "web", "70000"],
        ["port", "quiet"],
        ["port", "nosuch"],
        ["port"],
        ["port", "a", "b", "c"],
        ["container", "port", "web", "100"],
    ], setup=port_setup)
    assert got[0][0] == (0, "9/tcp -> 0.0.0.0:32768\n80/tcp -> 0.0.0.0:8080\n80/tcp -> "
                            "[::]:8080\n90/udp -> 127.0.0.1:9000\n100/tcp -> 0.0.0.0:100\n", "")
    assert got[4][0] == (1, "", "Error: No public port '81' published for web\n")
    assert got[8][0] == (0, "", "")


# ---- ps: PORTS and NAMES ----

def ps_setup(eng):
    ports = [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
             {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
             {"PrivatePort": 81, "Type": "tcp"}, {"PrivatePort": 82, "Type": "tcp"},
             {"PrivatePort": 84, "Type": "tcp"},
             {"IP": "0.0.0.0", "PrivatePort": 8000, "PublicPort": 8000, "Type": "tcp"},
             {"IP": "0.0.0.0", "PrivatePort": 8001, "PublicPort": 8001, "Type": "tcp"},
             {"IP": "127.0.0.1", "PrivatePort": 53, "PublicPort": 5353, "Type": "udp"}]
    common = {"Image": "busybox", "ImageID": "sha256:" + "e" * 64, "Command": "sh",
              "Created": 1700000000, "Labels": {}, "State": "running", "Status": "Up 2 hours",
              "HostConfig": {"NetworkMode": "default"}, "Mounts": [],
              "NetworkSettings": {"Networks": {"bridge": {}}}}
    eng.containers += [dict(common, Id="d" * 64, Names=["/db", "/web/db"], Ports=ports),
                       dict(common, Id="f" * 64, Names=["/web"], Ports=[])]


def test_ps_ports_and_names_as_docker_shows_them(fake_dir):
    got = both(fake_dir, [
        ["ps"],
        ["ps", "--format", "{{.Names}}|{{.Ports}}"],
        ["ps", "--no-trunc", "--format", "{{.Names}}|{{.Ports}}|{{.Networks}}"],
        ["ps", "--format", "table {{.Names}}\t{{.Ports}}"],
    ], setup=ps_setup)
    assert got[1][0][1] == ("db|81-82/tcp, 84/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, "
                            "127.0.0.1:5353->53/udp, 0.0.0.0:8080->80/tcp, "
                            "[::]:8080->80/tcp\nweb|\n")
    assert got[2][0][1].startswith("db,web/db|")


# ---- run and create: the network and port flags ----

CREATE_KEYS = ["Hostname", "ExposedPorts", "MacAddress", "HostConfig", "NetworkingConfig"]
HOST_KEYS = ["NetworkMode", "PortBindings", "PublishAllPorts", "Links", "Dns", "DnsOptions",
             "DnsSearch", "ExtraHosts"]


def create_members(req):
    method, path, query, body = req
    if path != "/containers/create":
        return (method, path)
    picked = {k: body.get(k) for k in CREATE_KEYS}
    picked["HostConfig"] = {k: body["HostConfig"].get(k) for k in HOST_KEYS}
    return (method, path, query, json.dumps(picked))


def test_create_sends_the_network_flags_as_docker(fake_dir):
    cases = [
        ["-p", "8080:80", "-p", "127.0.0.1::81/udp", "-p", "9000-9001:90-91", "-p",
         "7000-7005:70", "-p", "[::1]:5000:5000", "--expose", "100-101", "-P"],
        ["-p", "published=8080,target=80,protocol=udp", "--expose", "55/UDP"],
        ["--network", "mynet", "--network-alias", "al1", "--link", "x:y", "--ip", "10.1.0.4",
         "--ip6", "fd00::4", "--link-local-ip", "169.254.1.1"],
        ["--net=mynet"],
        ["--network", "host", "--link", "a"],
        ["--network", "name=n1,alias=a1,driver-opt=k=V,gw-priority=3", "--network", "n2"],
        ["--link", "db", "--link", "cache:c", "--ip", "172.17.0.9"],
        ["--dns", "::0001", "--dns-search", "example.com.", "--dns-opt", "ndots:2",
         "--add-host", "g=::1", "--add-host", "h:[::2]", "-h", "box"],
    ]
    got = both(fake_dir, [["create", "--name", "c"] + c + ["busybox"] for c in cases],
               requests=create_members)
    for (rc, out, err), reqs in got:
        assert rc == 0, err
        assert reqs[0][:2] == ("POST", "/containers/create")
    # the docker CLI's own warning, after the engine's
    assert got[-1][0][2] == "WARNING: Localhost DNS (::1) may fail in containers.\n"


def test_create_refuses_bad_flags_before_any_request(fake_dir):
    cases = [["-p", "80:x"], ["-p", "x:80"], ["-p", "8000-8010:80-85"], ["-p", "1.2.3.4.5:80:80"],
             ["-p", "80/foo"], ["-p", "[::1:80:80"], ["-p", "80:"], ["--expose", "1:2"],
             ["--expose", "10-5"], ["--expose", "x"], ["--link", "a:b:c"], ["--link", ""],
             ["--network-alias", "x"], ["--network", "a=b"], ["--network", "n1", "--network",
                                                                "n1"],
             ["--network", "host", "--network", "n1"], ["--mac-address", "x"],
             ["--dns", "x"], ["--dns-search", "-x"], ["--add-host", "x"],
             ["--add-host", "a:1.2.3.400"]]
    for cmd in ("run", "create"):
        got = both(fake_dir, [[cmd, "--pull", "never"] + c + ["busybox"] for c in cases])
        for c, ((rc, out, err), reqs) in zip(cases, got):
            assert rc == 125 and out == "" and err, c
            assert reqs == [], c


def test_run_flag_errors_need_no_engine(fake_dir):
    """What is wrong on the command line is said before the engine is looked for."""
    env = dict(os.environ, DOCKER_HOST="unix://" + str(fake_dir / "nothing.sock"),
               DOCKER_CONFIG=str(fake_dir / "docker"), BERTH_CONFIG=str(fake_dir / "berth"))
    for args in (["-p", "80:x"], ["--expose", "1:2"], ["--link", "a:b:c"],
                 ["--mac-address", "x"], ["-p", "[a]:b:80:80"]):
        out = {}
        for prog in (harness.docker_cli(), harness.BERTH):
            r = subprocess.run([prog, "run"] + args + ["busybox"], env=env,
                               capture_output=True, text=True, timeout=30)
            name = os.path.basename(prog)
            out[name] = (r.returncode, r.stdout, r.stderr.replace(name, "<prog>"))
        assert out["berth"] == out["docker"], args


# ---- help ----

def strip_aliases(text):
    """berth has no command aliases (network list, container port): leave docker's Aliases
    section out of the comparison."""
    return re.sub(r"Aliases:\n(  .*\n)+\n?", "", text)


def test_help_as_docker_prints_it(fake_dir):
    cmds = [["network", "--help"], ["network"], ["port", "--help"]]
    cmds += [["network", c, "--help"] for c in ("create", "ls", "inspect", "rm", "connect",
                                                 "disconnect", "prune")]
    seen = {}
    for client in ("docker", "berth"):
        d = tempfile.mkdtemp(prefix=client, dir=str(fake_dir))
        eng = fakenet.FakeNetEngine(os.path.join(d, "engine.sock"))
        try:
            seen[client] = [eng.run(client, *c)[0] for c in cmds]
        finally:
            eng.close()
    for c, (drc, dout, derr), (brc, bout, berr) in zip(cmds, seen["docker"], seen["berth"]):
        assert (brc, bout, berr) == (drc, strip_aliases(dout), strip_aliases(derr)), c


def flag_texts(help_text, names):
    """The option lines of the flags named, each with its wrapped continuation lines joined and
    its white space squeezed (where a program wraps depends on its longest flag)."""
    out, name = {}, None
    for line in help_text.splitlines():
        m = re.match(r"^  (?:-\w, |    )--([\w-]+)", line)
        if m:
            name = m.group(1) if m.group(1) in names else None
            if name:
                out[name] = line
        elif line.startswith("     ") and name:
            out[name] += " " + line
        else:
            name = None
    return {k: re.sub(r"\s+", " ", v.strip()) for k, v in out.items()}


def test_run_help_shows_the_network_flags_as_docker(fake_dir):
    names = {"add-host", "dns", "dns-option", "dns-search", "expose", "ip", "ip6", "link",
             "link-local-ip", "mac-address", "network", "network-alias", "publish",
             "publish-all", "hostname"}
    texts = {}
    for prog in (harness.docker_cli(), harness.BERTH):
        r = subprocess.run([prog, "run", "--help"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, DOCKER_CONFIG=str(fake_dir / "d"),
                                    BERTH_CONFIG=str(fake_dir / "b")), stdin=subprocess.DEVNULL)
        texts[os.path.basename(prog)] = flag_texts(r.stdout, names)
    assert texts["berth"] == texts["docker"]
    assert set(texts["docker"]) == names


# ---- on berthd: both clients, one engine ----

@pytest.fixture
def eng(shared_engine):
    return shared_engine


def same(eng, *args, input=None):
    got = {}
    for client in ("docker", "berth"):
        r = getattr(eng, client)(*args, input=input)
        norm = lambda s: re.sub(r"\b(docker|berth)\b(?![.-])", "<prog>", s)
        got[client] = (r.returncode, norm(r.stdout), norm(r.stderr))
    assert got["berth"] == got["docker"], "berth and docker differ on %r" % (args,)
    return got["docker"]


@NEEDS_ENGINE_NETWORKS
def test_networks_on_berthd_as_docker_shows_them(eng):
    name = "net-" + uuid.uuid4().hex[:8]
    d = eng.docker
    try:
        r = d("network", "create", "--subnet", "10.231.0.0/24", "--label", "t=e2e", name)
        assert r.returncode == 0, r.stderr
        same(eng, "network", "ls", "-f", "name=" + name)
        same(eng, "network", "ls", "-q", "--no-trunc", "-f", "label=t=e2e")
        same(eng, "network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.IPAM.Config}} "
             "{{.Labels}} {{.Internal}}", name)
        same(eng, "network", "inspect", "-f", "{{json .IPAM}}", name)
        same(eng, "network", "inspect", name + "-missing")
        same(eng, "network", "rm", name + "-missing")
        same(eng, "network", "rm", "bridge")
        r = eng.berth("network", "rm", name)
        assert r.returncode == 0 and r.stdout == name + "\n", r.stderr
        r = eng.berth("network", "create", "--subnet", "10.231.1.0/24", name)
        assert r.returncode == 0, r.stderr
        assert d("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
                 name).stdout == "10.231.1.0/24\n"
    finally:
        d("network", "rm", name)


@NEEDS_ENGINE_NETWORKS
def test_network_in_use_and_prune_on_berthd(eng):
    name = "net-" + uuid.uuid4().hex[:8]
    ctr = "c-" + name
    d = eng.docker
    try:
        assert d("network", "create", "--label", "t=" + name, name).returncode == 0
        r = d("create", "--name", ctr, "--network", name, "--network-alias", "svc", "busybox",
              "sleep", "30")
        assert r.returncode == 0, r.stderr
        assert d("start", ctr).returncode == 0
        rc, _, err = same(eng, "network", "rm", name)
        assert rc == 1 and "has active endpoints" in err
        same(eng, "network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", name)
        same(eng, "network", "prune", "-f", "--filter", "label=t=" + name)
        assert d("network", "inspect", name).returncode == 0
        assert eng.berth("network", "disconnect", "-f", name, ctr).returncode == 0
        assert eng.berth("network", "connect", "--alias", "again", name, ctr).returncode == 0
        assert d("rm", "-f", ctr).returncode == 0
        rc, out, _ = same(eng, "network", "prune", "-f", "--filter", "label=t=" + name)
        assert out == "Deleted Networks:\n%s\n\n" % name
    finally:
        d("rm", "-f", ctr)
        d("network", "rm", name)


@NEEDS_ENGINE_NETWORKS
def test_published_ports_on_berthd_as_docker_shows_them(eng):
    ctr = "p-" + uuid.uuid4().hex[:8]
    d = eng.docker
    try:
        r = eng.berth("run", "-d", "--name", ctr, "-p", "127.0.0.1:18080:80", "-p",
                      "18000-18001:8000-8001", "--expose", "90", "busybox", "sleep", "30")
        assert r.returncode == 0, r.stderr
        rc, out, _ = same(eng, "port", ctr)
        lines = out.splitlines()
        assert lines[0] == "80/tcp -> 127.0.0.1:18080" and "8000/tcp -> 0.0.0.0:18000" in lines
        assert "8001/tcp -> 0.0.0.0:18001" in lines
        assert same(eng, "port", ctr, "80")[1] == "127.0.0.1:18080\n"
        rc, _, err = same(eng, "port", ctr, "90")
        assert rc == 1 and err == "Error: No public port '90' published for %s\n" % ctr
        rc, out, _ = same(eng, "ps", "-f", "name=" + ctr, "--format", "{{.Ports}}")
        # the exposed port first, then each published one (their numbers differ: no ranges)
        assert out.startswith("90/tcp, 127.0.0.1:18080->80/tcp, 0.0.0.0:18000->8000/tcp, ")
    finally:
        d("rm", "-f", ctr)


@NEEDS_ENGINE_NETWORKS
def test_links_show_in_names_on_berthd(eng):
    db, web = "db-" + uuid.uuid4().hex[:8], "web-" + uuid.uuid4().hex[:8]
    d = eng.docker
    try:
        assert d("run", "-d", "--name", db, "busybox", "sleep", "30").returncode == 0
        r = eng.berth("run", "-d", "--name", web, "--link", db + ":db", "busybox", "sleep",
                      "30")
        assert r.returncode == 0, r.stderr
        rc, out, _ = same(eng, "ps", "--no-trunc", "-f", "name=" + db, "--format",
                          "{{.Names}}")
        assert out == "%s,%s/db\n" % (db, web)
        same(eng, "ps", "-f", "name=" + db, "--format", "{{.Names}}")
    finally:
        d("rm", "-f", web, db)
