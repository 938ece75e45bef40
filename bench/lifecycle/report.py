#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Markdown tables of a bench/lifecycle/run result directory.

Usage: report.py OUT_DIR

Reads stats-ENGINE.json (hyperfine's), events-ENGINE.tsv (engine.py events: action, delivery
latency µs, round trip µs), memory.tsv (engine, daemons' kB before, after, per-container
processes, their kB, containers), skips.tsv, meta.txt, load.tsv and versions.txt. Targets
(the issue's): stats and events ahead of both peers; berthd under 50 MB with 1,000 containers.
"""

import json
import os
import statistics
import sys

ENGINES = ["berth", "docker", "podman"]
MEM_TARGET_KB = 50 * 1024


def read_tsv(path, width):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [(l.rstrip("\n").split("\t") + [""] * width)[:width] for l in f if l.strip()]


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                out[k] = v
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out = sys.argv[1]
    meta = read_kv(os.path.join(out, "meta.txt"))
    engines = [e for e in ENGINES if e in meta.get("engines", " ".join(ENGINES)).split()]
    skips = read_tsv(os.path.join(out, "skips.tsv"), 3)
    notes = []

    # stats
    stats = {}
    for e in engines:
        p = os.path.join(out, "stats-%s.json" % e)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                for r in json.load(f)["results"]:
                    stats[r["command"]] = r
    if stats:
        print("`stats --no-stream` over %s running containers, seconds (median; mean ± sd; "
              "range), %s runs:" % (meta.get("containers", "?"), meta.get("runs", "?")))
        print()
        print("| engine (client) | median | mean ± sd | range | the time over Berth's (docker CLI) |")
        print("|---|--:|--:|--:|--:|")
        b = stats.get("berth")
        for e in ["berth", "berth-cli", "docker", "podman"]:
            r = stats.get(e)
            if not r:
                continue
            who = {"berth": "berth (docker CLI)", "berth-cli": "berth (berth CLI)",
                   "docker": "docker (docker CLI)", "podman": "podman (podman CLI)"}[e]
            print("| %s | %.3f | %.3f ± %.3f | %.3f–%.3f | %s |" % (
                who, r["median"], r["mean"], r.get("stddev") or 0, r["min"], r["max"],
                "%.2f×" % (r["median"] / b["median"]) if b else "–"))
        print()
        for mine, peers in (("berth", ("docker",)), ("berth-cli", ("docker", "podman"))):
            m = stats.get(mine)
            peers = [e for e in peers if e in stats]
            if not m or not peers:
                continue
            ok = all(stats[e]["median"] > m["median"] for e in peers)
            notes.append("- stats, %s: %s (%s)" % (
                "the docker CLI on both engines" if mine == "berth" else "each engine's own CLI",
                "Berth ahead of " + " and ".join(peers) if ok else "Berth not ahead of every peer",
                ", ".join("%.2f× %s" % (stats[e]["median"] / m["median"], e) for e in peers)))

    # events
    ev = {}
    for e in engines:
        rows = read_tsv(os.path.join(out, "events-%s.tsv" % e), 3)
        if rows:
            ev[e] = ([int(r[1]) for r in rows], [int(r[2]) for r in rows])
    if ev:
        print("Events: %s containers created and removed through the API, each `create` and "
              "`destroy` event timed; microseconds. Delivery: the event's arrival at the "
              "client less its own `timeNano`; round trip: arrival less the start of the "
              "request that caused it:" % meta.get("events", "?"))
        print()
        print("| engine | events | delivery median | p95 | max | round trip median | p95 |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for e in engines:
            if e not in ev:
                continue
            d, rt = ev[e]
            print("| %s | %d | %d | %d | %d | %d | %d |" % (
                e, len(d), statistics.median(d), pct(d, 95), max(d), statistics.median(rt),
                pct(rt, 95)))
        print()
        if "berth" in ev:
            bd = statistics.median(ev["berth"][0])
            peers = [e for e in ("docker", "podman") if e in ev]
            ok = all(statistics.median(ev[e][0]) > bd for e in peers)
            notes.append("- events: Berth's delivery %s (%s)" % (
                "ahead of " + " and ".join(peers) if ok else "not ahead of every peer",
                ", ".join("%s %d µs" % (e, statistics.median(ev[e][0])) for e in peers)))

    # memory
    mem = read_tsv(os.path.join(out, "memory.tsv"), 6)
    if mem:
        print("Memory (RSS) with %s exited and %s running containers:" % (
            meta.get("stopped", "?"), meta.get("running", "?")))
        print()
        print("| engine | daemons before | daemons after | per-container processes | their RSS | "
              "containers listed |")
        print("|---|--:|--:|--:|--:|--:|")
        what = {"berth": "berthd", "docker": "dockerd + containerd", "podman": "no daemon"}
        per = {"berth": "berth-monitor", "docker": "containerd-shim", "podman": "conmon"}
        for e, before, after, n, kb, listed in mem:
            print("| %s (%s) | %.1f MB | %.1f MB | %s × %s | %.1f MB | %s |" % (
                e, what.get(e, e), int(before) / 1024, int(after) / 1024, n, per.get(e, "?"),
                int(kb) / 1024, listed))
            if e == "berth":
                notes.append("- memory: berthd %.1f MB with %s containers (target under 50 MB): %s"
                             % (int(after) / 1024, listed,
                                "met" if int(after) < MEM_TARGET_KB else "missed"))
        print()
    if notes:
        print("Against the targets:")
        print()
        print("\n".join(notes))
        print()
    for case, e, why in skips:
        print("- %s skipped in %s: %s" % (e, case, why))
    loads = read_tsv(os.path.join(out, "load.tsv"), 3)
    if loads:
        avgs = [float(l.split()[0]) for _c, _w, l in loads if l]
        print("- load average (1 min) around the cases: %.2f to %.2f" % (min(avgs), max(avgs)))
    versions = os.path.join(out, "versions.txt")
    if os.path.exists(versions):
        print()
        with open(versions, encoding="utf-8") as f:
            print(f.read().rstrip("\n"))


if __name__ == "__main__":
    main()
