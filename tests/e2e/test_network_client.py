# SPDX-License-Identifier: Apache-2.0
"""Networks and ports, the client side: `berth network create/ls/inspect/rm/connect/disconnect/
prune`, `berth port`, the PORTS and NAMES columns of `berth ps`, and the network and port flags
of `run`/`create`, against the docker CLI 28.

Each scenario runs twice: with the docker CLI and with berth, each against a fresh berthd of its
own (its own sandbox and network namespace, busybox imported), on which the same state was
first made with the docker CLI (networks, containers with published ports, links). Fresh
engines hand out the same subnets, addresses and host ports in the same order, so what the two
clients show is compared after one normalize() has taken out what is random (IDs, times,
durations, the sandbox's directory, the program's name). Between each client and its engine sits
a recording proxy (Recorder): what the two clients sent (method, path, query, JSON body) must be
the same too.

Left to the unit tests (tests/unit/cli/test_network_format.c), being what berthd cannot make:
IPv6 port bindings ("::"), drivers other than bridge (macvlan), config-only networks. Left out
because docker itself prints them in Go's random map order: several labels on one network in
`network ls`, several subnets in one `network create`, several networks in ps's NETWORKS.
"""
import json
import os
import re
import subprocess

import pytest

import harness
from recorder import Recorder


# ---- what is random ----

HEX_ID = re.compile(r"\b(?:[0-9a-f]{64}|[0-9a-f]{12})\b")
RFC3339 = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
GO_TIME = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4} [A-Z]+\b")
DURATION = r"(?:Less than a second|About an? (?:minute|hour)|\d+ (?:second|minute|hour)s?)"
AGO = re.compile(r"\b%s ago\b" % DURATION)
UP = re.compile(r"\bUp %s\b" % DURATION)
PROG = re.compile(r"\b(?:docker|berth)\b(?![.-])")


class Normalizer:
    """normalize() for one client's runs: the random parts of what a client printed or sent are
    replaced by stable tokens. IDs (64 or 12 hex digits) become <IDn> / <idn>, numbered as they
    first appear, a short one the same n as the long one it begins; times become <TIME>; the
    durations of ps <AGO> and Up <UP> (and, as they change the widths of a table's columns,
    runs of spaces are squeezed where they appear); the sandbox's directory <SB>; the program's
    own name <prog>."""

    def __init__(self, sandbox_dir):
        self.sandbox_dir = sandbox_dir
        self.ids = []

    def id_token(self, m):
        h = m.group(0)
        for n, known in enumerate(self.ids):
            if known.startswith(h) or h.startswith(known):
                self.ids[n] = max(known, h, key=len)
                break
        else:
            n = len(self.ids)
            self.ids.append(h)
        return ("<ID%d>" if len(h) == 64 else "<id%d>") % n

    def __call__(self, text):
        text = text.replace(self.sandbox_dir, "<SB>")
        text = HEX_ID.sub(self.id_token, text)
        text = RFC3339.sub("<TIME>", text)
        timed = GO_TIME.search(text) or AGO.search(text) or UP.search(text)
        text = GO_TIME.sub("<TIME>", text)
        text = UP.sub("Up <UP>", AGO.sub("<AGO>", text))
        if timed:
            text = re.sub(r" {2,}", "  ", text)
        return PROG.sub("<prog>", text)


# ---- two clients, two engines ----

class Client:
    """The docker CLI or berth, with a fresh berthd of its own (busybox imported) behind a
    Recorder. setup() makes state with the docker CLI straight on the engine (not recorded);
    calling the client runs it through the proxy: ((exit code, stdout, stderr), requests),
    all normalized."""

    def __init__(self, name, busybox_tar):
        self.name = name
        self.prog = harness.docker_cli() if name == "docker" else harness.BERTH
        self.sb = harness.Sandbox("netcli-" + name)
        self.proxy = None
        self.engine = harness.Engine(self.sb).start()
        self.setup("import", busybox_tar, "busybox")
        self.proxy = Recorder(self.sb.path("proxy.sock"), self.engine.sock)
        self.normalize = Normalizer(self.sb.dir)

    def setup(self, *args):
        r = self.engine.docker(*args)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    def __call__(self, *args, input=None):
        env = self.engine.env()
        env["DOCKER_HOST"] = "unix://" + self.proxy.path
        n = len(self.proxy.requests)
        r = self.sb.run([self.prog] + list(args), env=env, input=input, timeout=60)
        with self.proxy.lock:
            sent = self.proxy.requests[n:]
        # run's wait for the container's exit goes out beside its start, on a connection of
        # its own, in both clients: which one the engine sees first is chance
        sent.sort(key=lambda req: req[1].endswith("/wait"))
        norm = self.normalize
        shown = (r.returncode, norm(r.stdout), norm(r.stderr))
        return shown, [tuple(json.loads(norm(json.dumps(req)))) for req in sent]

    def close(self):
        if self.proxy:
            self.proxy.close()
        self.sb.cleanup()


class Pair:
    def __init__(self, docker, berth):
        self.docker, self.berth = docker, berth

    def setup(self, *args):
        """The same state on both engines, made by the docker CLI."""
        return [c.setup(*args) for c in (self.docker, self.berth)]

    def same(self, *args, input=None, requests=None):
        """One command with each client: they must show the same and send the same (what
        requests() keeps of each request). Returns the docker CLI's ((code, out, err),
        requests)."""
        keep = requests or (lambda req: req)
        got = []
        for c in (self.docker, self.berth):
            shown, sent = c(*args, input=input)
            got.append((shown, [keep(r) for r in sent]))
        assert got[1] == got[0], "berth and docker differ on %r:\ndocker: %r\nberth:  %r%s" % (
            args, got[0], got[1], "".join("\nproxy (%s): %s" % (c.name, c.proxy.errors)
                                          for c in (self.docker, self.berth) if c.proxy.errors))
        return got[0]

    def both(self, commands, requests=None):
        """same() for each command (argument lists, or (arguments, stdin) pairs), in order."""
        out = []
        for c in commands:
            args, stdin = c if isinstance(c, tuple) else (c, None)
            out.append(self.same(*args, input=stdin, requests=requests))
        return out


@pytest.fixture
def pair(request, busybox_tar):
    for b in (harness.BERTH, harness.BERTHD):
        if not os.access(b, os.X_OK):
            pytest.skip("%s is not built (cmake --build build)" % b)
    if not harness.is_root():
        pytest.skip("needs root for network namespaces and mounts")
    if not harness.docker_cli():
        pytest.skip("the docker CLI is not on PATH")
    made = []
    try:
        for name in ("docker", "berth"):
            made.append(Client(name, busybox_tar))
        yield Pair(*made)
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            for c in made:
                print("---- berthd log (%s's engine) ----\n%s" % (c.name, c.engine.log()[-8000:]))
    finally:
        for c in made:
            c.close()


def test_normalize_numbers_ids_and_hides_times():
    norm = Normalizer("/tmp/berth-e2e-x")
    a, b = "a" * 64, "b" * 64
    assert norm("%s %s %s /tmp/berth-e2e-x/data" % (b[:12], a, b)) == "<id0> <ID1> <ID0> <SB>/data"
    assert norm("2026-11-29T14:40:28.872163801Z|2026-11-29 14:40:28.8721 +0000 UTC") == \
        "<TIME>|<TIME>"
    assert norm("x   Up 2 seconds    3 minutes ago  docker: com.docker.n berth0") == \
        "x  Up <UP>  <AGO>  <prog>: com.docker.n berth0"


def body_text(req):
    method, path, query, body = req
    return (method, path, query, json.dumps(body))  # member order counts


DAEMON = "Error response from daemon: "


# ---- network create ----

def test_network_create_sends_what_docker_sends(pair):
    got = pair.both([
        ["network", "create", "n1"],
        ["network", "create", "-d", "bridge", "--subnet", "10.5.0.0/16", "--gateway",
         "10.5.0.1", "--ip-range", "10.5.1.0/24", "--internal", "--attachable", "-o", "a=b",
         "-o", "c", "--label", "l=v", "--label", "k", "--ipv6", "n2"],
        ["network", "create", "--ipv4=false", "--aux-address", "a=10.6.0.9", "--subnet",
         "10.6.0.0/16", "--ipam-opt", "q=r", "n3"],
        # one subnet each: docker sends several in Go's random map order
        ["network", "create", "--subnet", "10.7.0.0/16", "--gateway", "10.7.0.1", "--ip-range",
         "10.7.3.0/24", "--aux-address", "b=10.7.0.9", "--aux-address", "a=10.7.0.8",
         "--ipam-opt", "z=1", "--ipam-opt", "a=2", "--scope", "local", "n4"],
        ["network", "create", "--subnet", "fd00::/64", "--gateway", "fd00::1", "n5"],
        ["network", "inspect", "n1", "n2", "n3", "n4"],
        ["network", "ls"],
    ], requests=body_text)
    for i in range(5):
        assert got[i][0][0] == 0 and re.fullmatch(r"<ID\d+>\n", got[i][0][1]), got[i]
    body = json.loads(got[1][1][0][3])
    assert body["IPAM"]["Config"] == [{"Subnet": "10.5.0.0/16", "IPRange": "10.5.1.0/24",
                                       "Gateway": "10.5.0.1"}]
    assert body["CheckDuplicate"] is True and body["EnableIPv6"] is True
    assert body["Labels"] == {"k": "", "l": "v"} and body["Options"] == {"a": "b", "c": ""}
    assert json.loads(got[2][1][0][3])["EnableIPv4"] is False
    nets = json.loads(got[5][0][1])
    assert [n["IPAM"]["Config"] for n in nets] == [
        [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}],
        [{"Subnet": "10.5.0.0/16", "IPRange": "10.5.1.0/24", "Gateway": "10.5.0.1"}],
        [{"Subnet": "10.6.0.0/16", "Gateway": "10.6.0.1"}],
        [{"Subnet": "10.7.0.0/16", "IPRange": "10.7.3.0/24", "Gateway": "10.7.0.1"}]]
    assert [n["Internal"] for n in nets] == [False, True, False, False]
    assert [l.split()[1] for l in got[6][0][1].splitlines()[1:]] == [
        "bridge", "host", "n1", "n2", "n3", "n4", "n5", "none"]


def test_network_create_refusals_as_docker_words_them(pair):
    got = pair.both([
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
        # the engine's refusals
        ["network", "create", "--subnet", "x", "n2"],
        ["network", "create", "--subnet", "10.9.0.1/16", "n2"],
        ["network", "create", "--subnet", "172.18.0.0/24", "n2"],
        ["network", "create", "-d", "macvlan", "n2"],  # dockerd has it; berthd has not
        ["network", "create", "-d", "host", "n2"],
        ["network", "create", "--ipam-driver", "x", "n2"],
        ["network", "create", "--ingress", "n2"],
        ["network", "ls", "--format", "{{.Name}}"],
    ])
    assert got[1][0] == (1, "", DAEMON + "network with name n1 already exists\n")
    assert got[2][0] == (1, "", "every ip-range or gateway must have a corresponding subnet\n")
    assert got[2][1] == []  # refused before any request
    assert got[8][0][0] == 1 and "requires 1 argument" in got[8][0][2]
    assert got[10][0][0] == 125
    assert [g[0] for g in got[13:20]] == [
        (1, "", DAEMON + "invalid network config:\ninvalid subnet x: invalid CIDR block "
                         "notation\n"),
        (1, "", DAEMON + "invalid network config:\ninvalid subnet 10.9.0.1/16: it should be "
                         "10.9.0.0/16\n"),
        (1, "", DAEMON + "invalid pool request: Pool overlaps with other one on this address "
                         "space\n"),
        (1, "", DAEMON + "plugin \"macvlan\" not found\n"),
        (1, "", DAEMON + "only one instance of \"host\" network is allowed\n"),
        (1, "", DAEMON + "plugin \"x\" not found\n"),
        (1, "", DAEMON + "Ingress network can only be global scope network\n")]
    assert all(len(g[1]) == 1 for g in got[13:20])
    assert got[20][0][1] == "bridge\nhost\nn1\nnone\n"


# ---- network ls ----

def test_network_ls_as_docker_prints_it(pair):
    pair.setup("network", "create", "--label", "tier=<front>", "web-2")
    pair.setup("network", "create", "--internal", "--ipv6", "web-10")
    # one label each: docker joins several in Go's random map order
    pair.setup("network", "create", "--label", "tier=back", "db")
    pair.setup("run", "-d", "--name", "cc", "--network", "db", "busybox", "sleep", "300")
    got = pair.both([
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
        ["network", "ls", "--filter=dangling=true", "--format", "{{.Name}}"],
        ["network", "ls", "--filter", "type=custom", "--filter", "label=tier=back"],
        ["network", "ls", "--filter", "type=builtin", "--format", "{{.Name}}"],
        ["network", "ls", "--filter", "type=nope"],
        ["network", "ls", "--filter", "bogus=1"],
    ], requests=body_text)
    lines = got[0][0][1].splitlines()
    assert lines[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    # sorted as docker sorts names (NaturalLess: web-2 before web-10)
    assert [l.split()[1] for l in lines[1:]] == ["bridge", "db", "host", "none", "web-2",
                                                 "web-10"]
    assert "\\u003cfront\\u003e" in got[4][0][1]  # docker's MarshalJSON escapes HTML
    assert "web-10  false  true  true" in got[8][0][1]  # squeezed: times vary in width
    assert got[10][1][0][2] == {"filters": ['{"driver":{"bridge":true},"label":{"tier":true},'
                                            '"name":{"web":true}}']}
    assert [l.split()[1] for l in got[10][0][1].splitlines()[1:]] == ["web-2"]
    assert got[11][0][0] == 1 and "can't evaluate field Nope in type *network.networkContext" \
        in got[11][0][2]
    assert got[14][0][1] == "web-2\nweb-10\n"  # db has a container
    assert got[16][0][1] == "bridge\nhost\nnone\n"
    assert got[17][0] == (1, "", DAEMON + "invalid filter: 'type'='nope'\n")
    assert got[18][0] == (1, "", DAEMON + "invalid filter 'bogus'\n")


# ---- network inspect ----

def test_network_inspect_as_docker_prints_it(pair):
    pair.setup("network", "create", "--label", "b=2", "--label", "a=<1>", "n1")
    pair.setup("run", "-d", "--name", "web", "--network", "n1", "busybox", "sleep", "300")
    got = pair.both([
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
        ["inspect", "--type", "network", "-f", "{{.Name}} {{.Driver}} {{.Labels}}", "n1"],
        ["inspect", "-f", "{{.Name}} {{.Scope}}", "n1"],
        ["inspect", "--type", "nope", "n1"],
    ])
    assert got[0][0][1].startswith("[\n    {\n        \"Name\": \"n1\",\n")
    assert got[2][0][0] == 1 and got[2][0][2] == DAEMON + "network nosuch not found\n"
    assert got[3][0] == (1, "[]\n", DAEMON + "network nosuch not found\n")
    assert re.fullmatch(r"n1 \[\{172\.18\.0\.0/16  172\.18\.0\.1 map\[\]\}\] map\[<ID\d+>:\{web "
                        r"<ID\d+> 02:42:ac:12:00:02 172\.18\.0\.2/16 \}\] map\[a:<1> b:2\] "
                        r"<TIME> .*\n", got[4][0][1].splitlines(True)[0]), got[4][0][1]
    assert got[7][0] == (0, "web 172.18.0.2/16\n", "")
    assert "map has no entry for key \"Nope\"" in got[8][0][2]
    assert got[9][0][0] == 64
    assert got[10][1][0][2] == {"verbose": ["true"]}
    assert got[11][0] == (1, "[]\n", "invalid network name or ID: value is empty\n")
    assert got[13][0] == (0, "n1 bridge map[a:<1> b:2]\n", "")
    # plain inspect looks for a container and an image of that name first
    assert [r[1] for r in got[14][1]] == ["/v1.41/containers/n1/json", "/v1.41/images/n1/json",
                                          "/v1.41/networks/n1"]
    assert got[15][0][2].startswith("unknown type: \"nope\": must be one of \"config\", ")


# ---- network rm ----

def rm_setup(pair):
    for n in ("n1", "n2", "busy"):
        pair.setup("network", "create", "--label", "t=1", n)
    pair.setup("run", "-d", "--name", "web", "--network", "busy", "busybox", "sleep", "300")


def test_network_rm_as_docker_does(pair):
    rm_setup(pair)
    got = pair.both([
        ["network", "rm", "n1", "nosuch", "busy", "n2"],
        ["network", "rm", "-f", "nosuch", "n1"],
        ["network", "rm", "bridge"],
        ["network", "rm"],
        ["network", "ls", "--format", "{{.Name}}"],
    ])
    rc, out, err = got[0][0]
    assert (rc, out) == (1, "n1\nn2\n")
    assert re.fullmatch(DAEMON + r"network nosuch not found\n" + DAEMON + r"error while "
                        r"removing network: network busy has active endpoints \(name:\"web\" "
                        r"id:\"<id\d+>\"\)\nexit status 1\n", err), err
    assert [r[:2] for r in got[0][1]][:2] == [("GET", "/v1.41/networks/n1"),
                                              ("DELETE", "/v1.41/networks/n1")]
    assert got[1][0] == (0, "", "")  # n1 went with the first rm: -f takes that too
    assert got[2][0] == (1, "", DAEMON + "bridge is a pre-defined network and cannot be "
                                "removed\nexit status 1\n")
    assert got[4][0][1] == "bridge\nbusy\nhost\nnone\n"


# ---- network connect and disconnect ----

def test_network_connect_disconnect_send_what_docker_sends(pair):
    pair.setup("network", "create", "--subnet", "10.0.0.0/24", "n1")
    pair.setup("run", "-d", "--name", "xx", "--network", "n1", "busybox", "sleep", "300")
    pair.setup("run", "-d", "--name", "web", "busybox", "sleep", "300")
    pair.setup("create", "--name", "idle", "busybox", "sleep", "300")
    got = pair.both([
        ["network", "connect", "--alias", "a1", "--alias", "a2,a3", "--ip", "10.0.0.3",
         "--link", "xx:y", "n1", "web"],
        ["network", "connect", "n1", "web"],
        ["inspect", "-f", "{{.NetworkSettings.Networks.n1.IPAddress}} "
         "{{json .NetworkSettings.Networks.n1.Aliases}} "
         "{{json .NetworkSettings.Networks.n1.Links}}", "web"],
        ["network", "disconnect", "n1", "web"],
        ["network", "connect", "--driver-opt", "k=v", "--driver-opt", " s = t ", "--ip6",
         "fd00::3", "--link-local-ip", "fe80::1,fe80::2", "--gw-priority", "-5", "n1", "web"],
        ["network", "connect", "--ip", "10.9.0.3", "n1", "web"],
        ["network", "connect", "--alias", "x", "bridge", "web"],
        ["network", "connect", "--driver-opt", "k=v", "--link-local-ip", "169.254.9.9", "n1",
         "web"],
        ["exec", "web", "ip", "-4", "-o", "addr", "show", "eth1"],
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
        ["network", "disconnect", "n1", "idle"],
    ], requests=body_text)
    assert got[0][0] == (0, "", "")
    body = json.loads(got[0][1][0][3])
    assert body["Container"] == "web"
    assert body["EndpointConfig"]["Aliases"] == ["a1", "a2", "a3"]
    assert body["EndpointConfig"]["IPAMConfig"] == {"IPv4Address": "10.0.0.3"}
    assert got[1][0] == (1, "", DAEMON + "endpoint with name web already exists in network n1\n")
    assert re.fullmatch(r'10\.0\.0\.3 \["a1","a2","a3","<id\d+>"\] \["xx:y"\]\n', got[2][0][1])
    assert got[4][0] == (1, "", DAEMON + "invalid endpoint settings:\nuser specified IP address "
                                "is supported only when connecting to networks with user "
                                "configured subnets\n")
    assert got[5][0] == (1, "", DAEMON + "invalid endpoint settings:\nno configured subnet or "
                                "ip-range contain the IP address 10.9.0.3\n")
    assert got[6][0] == (1, "", DAEMON + "invalid endpoint settings:\nnetwork-scoped alias is "
                                "supported only for containers in user defined networks\n")
    assert got[7][0] == (0, "", "")
    assert "inet 10.0.0.3/24" in got[8][0][1]  # the lowest free address but xx's
    assert got[9][0] == (1, "", DAEMON + "No such container: nosuch\n")
    assert got[10][0] == (1, "", DAEMON + "network nosuch not found\n")
    assert json.loads(got[16][1][0][3]) == {"Container": "web", "Force": True}
    assert re.fullmatch(DAEMON + r"container <ID\d+> is not connected to network n1\n",
                        got[17][0][2])
    # dockerd words it apart for a container that is not running
    assert re.fullmatch(DAEMON + r"container <ID\d+> is not connected to the network n1\n",
                        got[20][0][2])


# ---- network prune ----

PRUNE_QUESTION = ("WARNING! This will remove all custom networks not used by at least one "
                  "container.\nAre you sure you want to continue? [y/N] ")


def test_network_prune_as_docker_does(pair):
    rm_setup(pair)
    pair.setup("network", "create", "--label", "a=1", "keep-a")
    got = pair.both([
        (["network", "prune"], "n\n"),
        ["network", "prune", "-f", "--filter", "label=a", "--filter", "until=1h"],
        ["network", "prune", "-f", "--filter", "label!=a", "--filter", "label=t"],
        (["network", "prune"], "y\n"),
        ["network", "prune", "-f"],
        ["network", "prune", "x"],
        ["network", "prune", "--filter", "nope"],
        ["network", "prune", "-f", "--filter", "until=x"],
        ["network", "ls", "--format", "{{.Name}}"],
        ["network", "prune", "-f", "--filter", "until=1h", "--filter", "until=2h"],
    ], requests=body_text)
    assert got[0] == ((0, PRUNE_QUESTION, ""), [])
    assert got[1][0] == (0, "", "")  # keep-a is younger than an hour
    assert got[1][1][0][2] == {"filters": ['{"label":{"a":true},"until":{"1h":true}}']}
    assert got[2][0] == (0, "Deleted Networks:\nn1\nn2\n\n", "")
    assert got[3][0] == (0, PRUNE_QUESTION + "Deleted Networks:\nkeep-a\n\n", "")
    assert got[4][0] == (0, "", "")
    assert got[7][0] == (1, "", DAEMON + "failed to parse value as time or duration: \"x\"\n")
    assert got[8][0][1] == "bridge\nbusy\nhost\nnone\n"
    assert got[9][0] == (1, "", DAEMON + "more than one until filter specified\n")


# ---- port ----

def test_port_as_docker_prints_it(pair):
    pair.setup("run", "-d", "--name", "web", "-p", "8080:80", "--expose", "81", "-p",
               "127.0.0.1:9000:90/udp", "-p", "100:100", "-p", "9", "busybox", "sleep", "300")
    pair.setup("run", "-d", "--name", "quiet", "busybox", "sleep", "300")
    pair.setup("create", "--name", "idle", "-p", "7000:70", "busybox", "sleep", "300")
    got = pair.both([
        ["port", "web"],
        ["port", "web", "80"],
        ["port", "web", "80/tcp"],
        ["port", "web", "90/udp"],
        ["port", "web", "81"],
        ["port", "web", "80/udp"],
        ["port", "web", "x"],
        ["port", "web", "70000"],
        ["port", "quiet"],
        ["port", "idle"],
        ["port", "nosuch"],
        ["port"],
        ["port", "a", "b", "c"],
        ["container", "port", "web", "100"],
    ])
    # a fresh engine's first ephemeral port is the first of Linux's range, as dockerd's
    assert got[0][0] == (0, "9/tcp -> 0.0.0.0:32768\n80/tcp -> 0.0.0.0:8080\n"
                            "90/udp -> 127.0.0.1:9000\n100/tcp -> 0.0.0.0:100\n", "")
    assert got[1][0] == (0, "0.0.0.0:8080\n", "")
    assert got[4][0] == (1, "", "Error: No public port '81' published for web\n")
    assert got[8][0] == (0, "", "")
    assert got[9][0] == (0, "", "")  # not started: nothing is published yet
    assert got[10][0] == (1, "", DAEMON + "No such container: nosuch\n")


# ---- ps: PORTS and NAMES ----

def test_ps_ports_and_names_as_docker_shows_them(pair):
    pair.setup("run", "-d", "--name", "db", "-p", "8080:80", "--expose", "81-82", "--expose",
               "84", "-p", "8000-8001:8000-8001", "-p", "127.0.0.1:5353:53/udp", "busybox",
               "sleep", "300")
    pair.setup("run", "-d", "--name", "web", "--link", "db", "busybox", "sleep", "300")
    got = pair.both([
        ["ps"],
        ["ps", "--format", "{{.Names}}|{{.Ports}}"],
        ["ps", "--no-trunc", "--format", "{{.Names}}|{{.Ports}}|{{.Networks}}"],
        ["ps", "--format", "table {{.Names}}\t{{.Ports}}"],
        ["ps", "-a", "--format", "json"],
    ])
    assert got[1][0][1] == ("web|\ndb|81-82/tcp, 84/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, "
                            "127.0.0.1:5353->53/udp, 0.0.0.0:8080->80/tcp\n")
    assert got[2][0][1] == ("web||bridge\ndb,web/db|81-82/tcp, 84/tcp, "
                            "0.0.0.0:8000-8001->8000-8001/tcp, 127.0.0.1:5353->53/udp, "
                            "0.0.0.0:8080->80/tcp|bridge\n")
    assert got[0][0][1].splitlines()[2].endswith("  db")


def test_ps_filters_on_ports_and_networks(pair):
    """dockerd's list filters: publish is a container port with a binding (80, not the host's
    8080), expose one of Config.ExposedPorts, network a network by name or ID."""
    pair.setup("network", "create", "n1")
    pair.setup("run", "-d", "--name", "db", "-p", "8080:80", "--expose", "84", "busybox",
               "sleep", "300")
    pair.setup("run", "-d", "--name", "web", "--network", "n1", "busybox", "sleep", "300")
    got = pair.both([
        ["ps", "--filter", "publish=80", "--format", "{{.Names}}"],
        ["ps", "--filter", "publish=8080", "--format", "{{.Names}}"],
        ["ps", "--filter", "publish=70-90/tcp", "--format", "{{.Names}}"],
        ["ps", "--filter", "expose=84/tcp", "--format", "{{.Names}}"],
        ["ps", "--filter", "expose=84/udp", "--format", "{{.Names}}"],
        ["ps", "--filter", "network=n1", "--format", "{{.Names}}"],
    ])
    assert [g[0][1] for g in got] == ["db\n", "", "db\n", "db\n", "", "web\n"]


# ---- run and create: the network and port flags ----

CREATE_KEYS = ["Hostname", "ExposedPorts", "MacAddress", "HostConfig", "NetworkingConfig"]
HOST_KEYS = ["NetworkMode", "PortBindings", "PublishAllPorts", "Links", "Dns", "DnsOptions",
             "DnsSearch", "ExtraHosts"]


def create_members(req):
    method, path, query, body = req
    if not path.endswith("/containers/create"):
        return (method, path)
    picked = {k: body.get(k) for k in CREATE_KEYS}
    picked["HostConfig"] = {k: body["HostConfig"].get(k) for k in HOST_KEYS}
    return (method, path, query, json.dumps(picked))


def test_create_sends_the_network_flags_as_docker(pair):
    pair.setup("network", "create", "--subnet", "10.1.0.0/16", "mynet")
    pair.setup("network", "create", "n2")
    for c in ("db", "cache"):
        pair.setup("run", "-d", "--name", c, "--expose", "5432", "busybox", "sleep", "300")
    cases = [
        ["-p", "8080:80", "-p", "127.0.0.1::81/udp", "-p", "9000-9001:90-91", "-p",
         "7000-7005:70", "--expose", "100-101", "-P"],
        ["-p", "published=8081,target=80,protocol=udp", "--expose", "55/UDP"],
        ["--network", "mynet", "--network-alias", "al1", "--link", "db:y", "--ip", "10.1.0.4",
         "--link-local-ip", "169.254.1.1"],
        ["--network", "name=mynet,alias=a1,driver-opt=k=V,gw-priority=3"],
        ["--network", "name=mynet,alias=a1,driver-opt=k=V", "--network", "n2"],
        ["--link", "db", "--link", "cache:c"],
        ["--dns", "::0001", "--dns-search", "example.com.", "--dns-opt", "ndots:2",
         "--add-host", "g=::1", "--add-host", "h:[::2]", "-h", "box"],
        # the engine's refusals
        ["--net=mynet", "--ip6", "fd00::4"],
        ["--network", "mynet", "--ip", "10.2.0.4"],
        ["--link", "db", "--ip", "172.17.0.9"],
        ["--network", "host", "--link", "db"],
        ["--link", "nosuch"],
        ["--network", "nosuch"],
    ]
    got = pair.both([["create", "--name", "c%d" % i] + c + ["busybox", "sleep", "300"]
                     for i, c in enumerate(cases)], requests=create_members)
    for (rc, out, err), reqs in got:
        assert reqs[0][:2] == ("POST", "/v1.41/containers/create")
    assert [g[0][0] for g in got] == [0] * 7 + [1] * 6
    # the docker CLI's own warning, after the engine's
    assert got[6][0][2] == "WARNING: Localhost DNS (::1) may fail in containers.\n"
    assert [g[0][2] for g in got[7:]] == [
        DAEMON + "invalid config for network mynet: invalid endpoint settings:\nuser specified "
        "IP address is supported only when connecting to networks with user configured "
        "subnets\n",
        DAEMON + "invalid config for network mynet: invalid endpoint settings:\nno configured "
        "subnet or ip-range contain the IP address 10.2.0.4\n",
        DAEMON + "invalid config for network default: invalid endpoint settings:\nuser "
        "specified IP address is supported on user defined networks only\n",
        DAEMON + "conflicting options: host type networking can't be used with links. This "
        "would result in undefined behavior\n",
        DAEMON + "could not get container for nosuch\n",
        DAEMON + "network nosuch not found\n"]
    # what the engine made of them, and their start
    got = pair.both([
        ["inspect", "-f", "{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}} "
         "{{.HostConfig.PublishAllPorts}}", "c0"],
        ["inspect", "-f", "{{json .NetworkSettings.Networks}}", "c2"],
        ["inspect", "-f", "{{json .HostConfig.Links}}", "c5"],
        ["start", "c0", "c2", "c4", "c5"],
        ["port", "c0"],
        ["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}"
         " {{end}}", "c2", "c4"],
        ["ps", "--format", "{{.Names}} {{.Ports}}"],  # several networks: random order in docker
    ])
    assert got[3][0] == (0, "c0\nc2\nc4\nc5\n", "")
    assert got[5][0] == (0, "mynet=10.1.0.4 \nmynet=10.1.0.2 n2=172.18.0.2 \n", "")
    ports = got[4][0][1].splitlines()
    assert "80/tcp -> 0.0.0.0:8080" in ports and "70/tcp -> 0.0.0.0:7000" in ports
    assert "81/udp -> 127.0.0.1:32768" in ports and "100/tcp -> 0.0.0.0:32768" in ports


def test_create_refuses_bad_flags_before_any_request(pair):
    cases = [["-p", "80:x"], ["-p", "x:80"], ["-p", "8000-8010:80-85"], ["-p", "1.2.3.4.5:80:80"],
             ["-p", "80/foo"], ["-p", "[::1:80:80"], ["-p", "80:"], ["--expose", "1:2"],
             ["--expose", "10-5"], ["--expose", "x"], ["--link", "a:b:c"], ["--link", ""],
             ["--network-alias", "x"], ["--network", "a=b"],
             ["--network", "n1", "--network", "n1"],
             ["--network", "host", "--network", "n1"], ["--mac-address", "x"],
             ["--dns", "x"], ["--dns-search", "-x"], ["--add-host", "x"],
             ["--add-host", "a:1.2.3.400"]]
    for cmd in ("run", "create"):
        got = pair.both([[cmd, "--pull", "never"] + c + ["busybox"] for c in cases])
        for c, ((rc, out, err), reqs) in zip(cases, got):
            assert rc == 125 and out == "" and err, c
            assert reqs == [], c


def test_run_flag_errors_need_no_engine(tmp_path):
    """What is wrong on the command line is said before the engine is looked for."""
    if not os.access(harness.BERTH, os.X_OK) or not harness.docker_cli():
        pytest.skip("needs berth built and the docker CLI")
    env = dict(os.environ, DOCKER_HOST="unix://" + str(tmp_path / "nothing.sock"),
               DOCKER_CONFIG=str(tmp_path / "docker"), BERTH_CONFIG=str(tmp_path / "berth"))
    for args in (["-p", "80:x"], ["--expose", "1:2"], ["--link", "a:b:c"],
                 ["--mac-address", "x"], ["-p", "[a]:b:80:80"]):
        out = {}
        for prog in (harness.docker_cli(), harness.BERTH):
            r = subprocess.run([prog, "run"] + args + ["busybox"], env=env,
                               capture_output=True, text=True, timeout=30)
            name = os.path.basename(prog)
            out[name] = (r.returncode, r.stdout, r.stderr.replace(name, "<prog>"))
        assert out["berth"] == out["docker"], args
        assert out["docker"][0] == 125 and out["docker"][2], args


# ---- help ----

def strip_aliases(text):
    """berth has no command aliases (network list, container port): leave docker's Aliases
    section out of the comparison (with the blank line that opens it: cobra begins each
    section after the description with one)."""
    return re.sub(r"\nAliases:\n(  .*\n)+", "", text)


def test_help_as_docker_prints_it(pair):
    cmds = [["network", "--help"], ["network"], ["port", "--help"]]
    cmds += [["network", c, "--help"] for c in ("create", "ls", "inspect", "rm", "connect",
                                                 "disconnect", "prune")]
    for c in cmds:
        (drc, dout, derr), _ = pair.docker(*c)
        (brc, bout, berr), _ = pair.berth(*c)
        assert (brc, bout, berr) == (drc, strip_aliases(dout), strip_aliases(derr)), c
        assert drc == 0 and "Usage:  <prog> " in dout + derr, c


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


def test_run_help_shows_the_network_flags_as_docker(pair):
    names = {"add-host", "dns", "dns-option", "dns-search", "expose", "ip", "ip6", "link",
             "link-local-ip", "mac-address", "network", "network-alias", "publish",
             "publish-all", "hostname"}
    texts = {c.name: flag_texts(c("run", "--help")[0][1], names)
             for c in (pair.docker, pair.berth)}
    assert texts["berth"] == texts["docker"]
    assert set(texts["docker"]) == names


# ---- whole stories on the engine ----

def test_networks_on_berthd_as_docker_shows_them(pair):
    got = pair.both([
        ["network", "create", "--subnet", "10.231.0.0/24", "--label", "t=e2e", "net"],
        ["network", "ls", "-f", "name=net"],
        ["network", "ls", "-q", "--no-trunc", "-f", "label=t=e2e"],
        ["network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.IPAM.Config}} {{.Labels}} "
         "{{.Internal}}", "net"],
        ["network", "inspect", "-f", "{{json .IPAM}}", "net"],
        ["network", "inspect", "net-missing"],
        ["network", "rm", "net-missing"],
        ["network", "rm", "net"],
        ["network", "create", "--subnet", "10.231.1.0/24", "net"],
        ["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "net"],
    ])
    assert got[0][0][1] == "<ID0>\n"
    assert got[2][0][1] == "<ID0>\n"
    assert got[3][0][1] == "net bridge [{10.231.0.0/24  10.231.0.1 map[]}] map[t:e2e] false\n"
    assert got[7][0] == (0, "net\n", "")
    assert got[8][0][1] == "<ID1>\n"
    assert got[9][0][1] == "10.231.1.0/24\n"


def test_network_in_use_and_prune_on_berthd(pair):
    pair.setup("network", "create", "--label", "t=x", "net")
    pair.setup("create", "--name", "ctr", "--network", "net", "--network-alias", "svc",
               "busybox", "sleep", "300")
    pair.setup("start", "ctr")
    got = pair.both([
        ["network", "rm", "net"],
        ["network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}",
         "net"],
        ["network", "prune", "-f", "--filter", "label=t=x"],
        ["network", "inspect", "-f", "{{.Name}}", "net"],
        ["network", "disconnect", "-f", "net", "ctr"],
        ["network", "connect", "--alias", "again", "net", "ctr"],
        ["inspect", "-f", "{{json .NetworkSettings.Networks.net.Aliases}}", "ctr"],
        ["exec", "ctr", "nslookup", "again", "127.0.0.11"],
        ["rm", "-f", "ctr"],
        ["network", "prune", "-f", "--filter", "label=t=x"],
    ])
    assert got[0][0][0] == 1 and "has active endpoints" in got[0][0][2]
    assert got[1][0][1] == "ctr 172.18.0.2/16\n"
    assert got[2][0] == (0, "", "")
    assert got[3][0] == (0, "net\n", "")
    assert re.fullmatch(r'\["again","<id\d+>"\]\n', got[6][0][1])
    assert got[9][0] == (0, "Deleted Networks:\nnet\n\n", "")


def test_published_ports_on_berthd_as_docker_shows_them(pair):
    got = pair.both([
        ["run", "-d", "--name", "pp", "-p", "127.0.0.1:18080:80", "-p",
         "18000-18001:8000-8001", "--expose", "90", "busybox", "sleep", "300"],
        ["port", "pp"],
        ["port", "pp", "80"],
        ["port", "pp", "90"],
        ["ps", "-f", "name=pp", "--format", "{{.Ports}}"],
        # the port is taken: the id is printed before the start fails
        ["run", "-d", "--name", "qq", "-p", "127.0.0.1:18080:80", "busybox", "sleep", "300"],
        ["ps", "-a", "-f", "name=qq", "--format", "{{.Names}} {{.Status}}"],
    ])
    assert got[1][0][1] == ("80/tcp -> 127.0.0.1:18080\n8000/tcp -> 0.0.0.0:18000\n"
                            "8001/tcp -> 0.0.0.0:18001\n")
    assert got[2][0][1] == "127.0.0.1:18080\n"
    assert got[3][0] == (1, "", "Error: No public port '90' published for pp\n")
    # ports published on other numbers are not grouped into ranges
    assert got[4][0][1] == ("90/tcp, 127.0.0.1:18080->80/tcp, 0.0.0.0:18000->8000/tcp, "
                            "0.0.0.0:18001->8001/tcp\n")
    rc, out, err = got[5][0]
    assert rc == 125 and re.fullmatch(r"<ID\d+>\n", out)
    assert re.fullmatch(r"<prog>: " + DAEMON + r"failed to set up container networking: "
                        r"driver failed programming external "
                        r"connectivity on endpoint qq \(<ID\d+>\): Bind for 127\.0\.0\.1:18080 "
                        r"failed: port is already allocated\n\nRun '<prog> run --help' for "
                        r"more information\n", err), err
    assert got[6][0][1] == "qq Created\n"


def test_links_show_in_names_on_berthd(pair):
    got = pair.both([
        ["run", "-d", "--name", "db", "busybox", "sleep", "300"],
        ["run", "-d", "--name", "web", "--link", "db:db", "busybox", "sleep", "300"],
        ["ps", "--no-trunc", "-f", "name=db", "--format", "{{.Names}}"],
        ["ps", "-f", "name=db", "--format", "{{.Names}}"],
        ["ps", "--format", "table {{.Names}}\t{{.Networks}}"],
        ["inspect", "-f", "{{json .HostConfig.Links}}", "web"],
        ["exec", "web", "cat", "/etc/hosts"],
    ])
    assert got[2][0][1] == "db,web/db\n"
    assert got[3][0][1] == "db\n"
    assert got[5][0][1] == '["/db:/web/db"]\n'
    assert "172.17.0.2\tdb <id" in got[6][0][1]
