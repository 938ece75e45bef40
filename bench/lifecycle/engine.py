#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The Docker Engine API over a unix socket, for bench/lifecycle/run: fill an engine with
containers, and measure how soon its events reach a client.

Usage:
  engine.py populate SOCK PREFIX STOPPED RUNNING
      STOPPED containers that ran `true` and exited, and RUNNING that run `sleep`, from the
      image busybox, --network none, named PREFIX-s-N and PREFIX-r-N (8 requests at a time).
  engine.py remove SOCK PREFIX
      remove (force) every container whose name starts with PREFIX-
  engine.py events SOCK COUNT
      COUNT times: create a container (busybox true, not started), then remove it, with GET
      /events?filters={"type":["container"]} open on another connection. Prints, per event
      (create and destroy), a TSV line: action, the delivery latency (the client's clock when
      the event's line arrived less the event's own timeNano), and the round trip (arrival
      less the moment the request that caused it was sent), in microseconds.

The same calls work against berthd, dockerd and podman's Docker-compatible service (`podman
system service`), so every engine is driven alike. Only the standard library: this runs with
/usr/bin/python3 in the benchmark's namespace.
"""

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse

API = "/v1.41"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def call(conn, method, url, body=None, want=(200, 201, 204)):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, API + url, body=json.dumps(body) if body is not None else None,
                 headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status not in want:
        raise RuntimeError("%s %s: %d %s" % (method, url, resp.status, data[:300]))
    return json.loads(data) if data and data[:1] in (b"{", b"[") else None


def create(conn, name, cmd):
    return call(conn, "POST", "/containers/create?name=" + name,
                {"Image": "busybox", "Cmd": cmd, "HostConfig": {"NetworkMode": "none"}})["Id"]


def populate(sock, prefix, stopped, running):
    jobs = [("%s-s-%d" % (prefix, i), ["true"], False) for i in range(stopped)]
    jobs += [("%s-r-%d" % (prefix, i), ["sleep", "1000000"], True) for i in range(running)]
    lock = threading.Lock()
    errors = []

    def work():
        conn = UnixConnection(sock)
        while True:
            with lock:
                if not jobs or errors:
                    return
                name, cmd, keep = jobs.pop()
            try:
                cid = create(conn, name, cmd)
                call(conn, "POST", "/containers/%s/start" % cid)
                if not keep:
                    call(conn, "POST", "/containers/%s/wait" % cid)
            except Exception as e:  # noqa: BLE001 - reported, ends the run
                with lock:
                    errors.append(e)
                return

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("engine.py populate: %s" % errors[0])


def remove(sock, prefix):
    conn = UnixConnection(sock)
    flt = urllib.parse.quote(json.dumps({"name": [prefix + "-"]}))
    for c in call(conn, "GET", "/containers/json?all=1&filters=" + flt):
        if any(n.lstrip("/").startswith(prefix + "-") for n in c.get("Names", [])):
            call(conn, "DELETE", "/containers/%s?force=1" % c["Id"])


def events(sock, count):
    stream = UnixConnection(sock)
    flt = urllib.parse.quote(json.dumps({"type": ["container"]}))
    stream.request("GET", API + "/events?filters=" + flt)
    resp = stream.getresponse()
    if resp.status != 200:
        sys.exit("engine.py events: GET /events: %d" % resp.status)
    arrivals = []  # (action, id, arrival ns, timeNano)
    done = threading.Event()

    def reader():
        while not done.is_set():
            line = resp.readline()
            if not line:
                return
            now = time.time_ns()
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            action = ev.get("Action") or ev.get("status")
            # podman's name for dockerd's "destroy"
            arrivals.append(("destroy" if action == "remove" else action,
                             (ev.get("Actor") or {}).get("ID") or ev.get("id"), now,
                             int(ev.get("timeNano") or 0)))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    conn = UnixConnection(sock)
    sent = {}  # (action, id) -> when the request was sent
    time.sleep(0.2)
    for i in range(count):
        t0 = time.time_ns()
        cid = create(conn, "bench-ev-%d" % i, ["true"])
        sent[("create", cid)] = t0
        t0 = time.time_ns()
        call(conn, "DELETE", "/containers/%s?force=1" % cid)
        sent[("destroy", cid)] = t0
    deadline = time.time() + 10
    while time.time() < deadline and sum(1 for a in arrivals if (a[0], a[1]) in sent) < len(sent):
        time.sleep(0.05)
    done.set()
    got = 0
    for action, cid, now, nano in arrivals:
        if (action, cid) not in sent:
            continue
        got += 1
        print("%s\t%d\t%d" % (action, (now - nano) // 1000, (now - sent[(action, cid)]) // 1000))
    if got < len(sent):
        sys.exit("engine.py events: %d of %d events arrived" % (got, len(sent)))


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "populate":
        populate(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) == 3 and a[0] == "remove":
        remove(a[1], a[2])
    elif len(a) == 3 and a[0] == "events":
        events(a[1], int(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
