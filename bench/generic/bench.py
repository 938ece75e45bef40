#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/generic/bench.py: `berth machine create --driver generic` end to end, against hosts
prepared as tests/e2e/remotehost.py makes them (a network, mount, PID and UTS namespace with a
real OpenSSH server and Debian 12 with Berth's runtime packages installed: what "prepared"
means for the target). See bench/generic/run and bench/README.md ("Generic hosts").

Cases, each --runs times on a fresh host (the host's own start is not timed):
  create    berth machine create --driver generic ... (connect, detect, checks, upload 6 MB,
            install, service, start, /_ping over mutual TLS)
  again     the same create run again on the provisioned host after `rm` kept the data: the
            programs go up again, the rest is found in place (the resumed path)
  upgrade   berth machine upgrade with nothing to change (detect, compare, TLS files, install)
  rm        berth machine rm -y --purge
  floor     the least any tool can do: OpenSSH's scp of the three programs and three TLS files
            and one ssh that starts berthd and waits for its socket, then curl's /_ping over
            mutual TLS; what create costs beyond copying and starting
Prints a Markdown table: median and min per case, and create's ratio to the floor.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("BERTH_SOURCE_DIR", REPO)
os.environ.setdefault("BERTH_BIN_DIR", os.path.join(REPO, "build", "bin"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import remotehost  # noqa: E402

BIN = os.environ["BERTH_BIN_DIR"]
BERTH = os.path.join(BIN, "berth")


def timed(lab, argv, env=None):
    t = time.monotonic()
    r = lab.client(argv, env=env, timeout=300)
    dt = time.monotonic() - t
    if r.returncode != 0:
        raise SystemExit("bench/generic: %s failed:\n%s%s" % (" ".join(argv), r.stdout,
                                                               r.stderr))
    return dt


def berth_env(lab):
    env = dict(os.environ, HOME=os.path.join(lab.dir, "home"),
               BERTH_CONFIG=os.path.join(lab.dir, "berth"))
    os.makedirs(env["HOME"], exist_ok=True)
    for k in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "SSH_AUTH_SOCK"):
        env.pop(k, None)
    return env


def create_argv(h, name):
    return [BERTH, "machine", "create", "--driver", "generic", "--generic-ip-address", h.ip,
            "--generic-ssh-key", h.key, name]


def floor(lab, h, machine_dir):
    """scp + ssh + curl: copying the files and starting berthd, nothing else."""
    ssh = ["-F", "/dev/null", "-i", h.key, "-o", "BatchMode=yes", "-o",
           "UserKnownHostsFile=" + lab.known_hosts, "-o", "StrictHostKeyChecking=accept-new"]
    progs = [os.path.join(BIN, b) for b in ("berthd", "berth-monitor", "berth-init")]
    tls = {os.path.join(machine_dir, f): f for f in ("ca.pem", "server.pem", "server-key.pem")}
    start = ("mkdir -p /etc/berth/tls /var/lib/berth && mv /tmp/ca.pem /tmp/server.pem "
             "/tmp/server-key.pem /etc/berth/tls/ && (setsid /usr/local/bin/berthd "
             "-H unix:///run/berth.sock -H tcp://0.0.0.0:2376 --tlsverify "
             "--tlscacert /etc/berth/tls/ca.pem --tlscert /etc/berth/tls/server.pem "
             "--tlskey /etc/berth/tls/server-key.pem --pidfile /run/berth.pid "
             "</dev/null >/var/log/berthd.log 2>&1 &) && "
             "while [ ! -S /run/berth.sock ]; do sleep 0.01; done")
    t = time.monotonic()
    for argv in (["scp"] + ssh + progs + ["root@%s:/usr/local/bin/" % h.ip],
                 ["scp"] + ssh + list(tls) + ["root@%s:/tmp/" % h.ip],
                 ["ssh"] + ssh + ["root@" + h.ip, start]):
        r = lab.client(argv, timeout=120)
        if r.returncode != 0:
            raise SystemExit("bench/generic: floor: %s: %s" % (argv[0], r.stderr))
    url = "https://%s:2376/_ping" % h.ip
    while True:
        r = lab.client(["curl", "-sS", "--cacert", machine_dir + "/ca.pem", "--cert",
                        machine_dir + "/cert.pem", "--key", machine_dir + "/key.pem", url])
        if r.stdout == "OK":
            break
        time.sleep(0.01)
    dt = time.monotonic() - t
    h.run("kill $(cat /run/berth.pid)")
    return dt


def one_round(lab, i, times):
    env = berth_env(lab)
    h = lab.add_host("g%d" % i)
    name = "g%d" % i
    times["create"].append(timed(lab, create_argv(h, name), env))
    times["upgrade"].append(timed(lab, [BERTH, "machine", "upgrade", name], env))
    timed(lab, [BERTH, "machine", "rm", "-y", name], env)
    times["again"].append(timed(lab, create_argv(h, name), env))
    machine_dir = os.path.join(env["BERTH_CONFIG"], "machines", name)
    keep = os.path.join(lab.dir, "floor-certs-%d" % i)
    subprocess.run(["cp", "-a", machine_dir, keep], check=True)
    times["rm"].append(timed(lab, [BERTH, "machine", "rm", "-y", "--purge", name], env))
    times["floor"].append(floor(lab, h, keep))
    h.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    why = remotehost.missing()
    if why:
        raise SystemExit("bench/generic: " + why)
    work = "/tmp/berth-bench-generic"
    os.makedirs(work, exist_ok=True)
    lab = remotehost.Lab(work)
    times = {k: [] for k in ("create", "again", "upgrade", "rm", "floor")}
    try:
        for i in range(args.runs):
            one_round(lab, i + 1, times)
    finally:
        lab.cleanup()
    size = sum(os.path.getsize(os.path.join(BIN, b))
               for b in ("berthd", "berth-monitor", "berth-init"))
    print("## berth machine create --driver generic (%d runs, %.1f MB of programs)\n"
          % (args.runs, size / 1e6))
    print("| case | median | min | vs floor |")
    print("|---|--:|--:|--:|")
    fl = statistics.median(times["floor"])
    for k in ("create", "again", "upgrade", "rm", "floor"):
        med = statistics.median(times[k])
        print("| %s | %.3f s | %.3f s | %s |" % (k, med, min(times[k]),
                                                "%.2f×" % (med / fl) if k != "floor" else "1"))
    med = statistics.median(times["create"])
    print("\ncreate: %.2f s, target under 10 s: %s" % (med, "met" if med < 10 else "MISSED"))


if __name__ == "__main__":
    main()
