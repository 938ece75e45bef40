# SPDX-License-Identifier: Apache-2.0
"""A machine's published ports on the client's 127.0.0.1 (`berth machine __forward NAME`,
host/machine/forward.c), which a VM's start runs in the background.

The forwarder is the same for every machine with an IPv4 address, so these tests drive it
against a generic host of remotehost.py (seconds, where a VM boot under TCG takes a minute):
the client is the lab's client netns, its 127.0.0.1 is the "host's". tests/vm/test_machine.py
checks that a VM's start and stop run and end it.
"""
import hashlib
import os
import socket
import subprocess
import time

import harness
from remotehost import lab  # noqa: F401  (the fixture)
from test_machine_generic import Client, import_busybox, ok

BERTH = os.path.join(harness.BIN_DIR, "berth")


def fetch(lab, port, path="/", timeout=10):
    """curl http://127.0.0.1:PORT/PATH in the client netns, retried until timeout."""
    deadline = time.monotonic() + timeout
    while True:
        r = lab.client(["curl", "-sS", "--max-time", "5", "-o", "-",
                        "http://127.0.0.1:%d%s" % (port, path)], text=False)
        if r.returncode == 0 or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_published_ports_reach_localhost(lab, busybox_tar):  # noqa: F811
    h = lab.add_host("fw")
    cli = Client(lab)
    ok(cli.create(h, "fw"))
    import_busybox(cli, "fw", busybox_tar)
    # a port of the client's 127.0.0.1 already taken: skipped, the others forwarded
    busy = subprocess.Popen(lab.wrap(["/usr/bin/python3", "-c",
                                      "import socket,time; s=socket.socket(); "
                                      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);"
                                      "s.bind(('127.0.0.1', 8081)); s.listen(); "
                                      "print('ready', flush=True); time.sleep(600)"]),
                            stdout=subprocess.PIPE, text=True)
    assert busy.stdout.readline().strip() == "ready"
    fwd = subprocess.Popen(lab.wrap([BERTH, "machine", "__forward", "fw"]), env=cli.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # 5 MB of random bytes served by busybox httpd in a container published on 8080
        payload = os.urandom(5 << 20)
        src = os.path.join(lab.dir, "blob")
        with open(src, "wb") as f:
            f.write(payload)
        ok(cli.docker("fw", "create", "--name", "web", "-p", "8080:80", "-p", "8081:81",
                      "busybox", "httpd", "-f", "-p", "80", "-h", "/tmp"))
        ok(cli.docker("fw", "cp", src, "web:/tmp/blob"))
        ok(cli.docker("fw", "start", "web"))
        r = fetch(lab, 8080, "/blob")
        assert r.returncode == 0, r.stderr
        assert hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(payload).hexdigest()
        # ten at once
        procs = [subprocess.Popen(lab.wrap(["curl", "-sS", "-o", "-",
                                            "http://127.0.0.1:8080/blob"]),
                                  stdout=subprocess.PIPE) for _ in range(10)]
        for p in procs:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0 and len(out) == len(payload)
        # the container gone: the port no longer answers on 127.0.0.1
        ok(cli.docker("fw", "rm", "-f", "web"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = lab.client(["curl", "-sS", "--max-time", "2", "http://127.0.0.1:8080/"])
            if r.returncode == 7:  # connection refused
                break
            time.sleep(0.2)
        assert r.returncode == 7, r.stderr
    finally:
        fwd.terminate()
        out = fwd.communicate(timeout=10)[0]
        busy.kill()
        busy.wait()
    assert fwd.returncode == 0, out
    assert "forwarding 127.0.0.1:8080 to the machine's port 8080" in out
    assert "127.0.0.1:8081 is in use on this host: not forwarded" in out
    ok(cli.machine("rm", "-y", "fw"))
