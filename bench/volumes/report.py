#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Print bench/volumes/run's results as Markdown tables.

Usage: report.py OUT_DIR

OUT_DIR holds what bench/volumes/run wrote:
  meta.txt     key=value: drop_caches, size, files, runs, targets (in table order)
  results.tsv  target, run, workload, seconds, rate, unit, sync seconds, cached %
  skips.tsv    engine or target <TAB> why it was not measured
  load.tsv     run, target, the load averages when its pass began
  versions.txt the engines' versions (printed as is)

Every time is the median of the runs; ratios are of medians. "time / host" above 1 means
slower than the host; "peer / berth" above 1 means Berth is faster.
"""

import os
import statistics
import sys

WORKLOADS = ["write-4k", "read-4k", "write-1m", "read-1m",
             "files-create", "files-stat", "files-remove"]
ENGINES = ["berth", "docker", "podman"]
MOUNTS = ["volume", "bind", "layer"]
TARGET = 1.05  # the "within 5% of the host"


def read_meta(out_dir):
    meta = {}
    with open(os.path.join(out_dir, "meta.txt"), encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    return meta


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def load(out_dir):
    """(target, workload) -> {"seconds": [...], "rate": [...], "sync": [...], ...}"""
    data = {}
    for row in read_tsv(os.path.join(out_dir, "results.tsv")):
        target, _run, workload, seconds, rate, unit, sync, cached = row
        d = data.setdefault((target, workload), {"seconds": [], "rate": [], "sync": [],
                                                 "cached": [], "unit": unit})
        d["seconds"].append(float(seconds))
        d["rate"].append(float(rate))
        if sync != "-":
            d["sync"].append(float(sync))
        if cached != "-":
            d["cached"].append(float(cached))
    return data


def med(values):
    return statistics.median(values) if values else None


def label(target):
    return target.replace("/", " ")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def times_table(data, targets, key="seconds", before_sync=False):
    """Median seconds per target and workload, with the ratio to the host's median."""
    workloads = WORKLOADS
    if before_sync:
        workloads = [w for w in WORKLOADS if data.get(("host", w), {}).get("sync")]

    def value(target, w):
        d = data.get((target, w))
        if not d:
            return None
        if before_sync:
            return med([s - y for s, y in zip(d["seconds"], d["sync"])])
        return med(d[key])

    rows = []
    for t in targets:
        row = [label(t)]
        for w in workloads:
            v, host = value(t, w), value("host", w)
            if v is None:
                row.append("–")
            elif t == "host" or not host:
                row.append("%.3f" % v)
            else:
                row.append("%.3f (%.2f×)" % (v, v / host))
        rows.append(row)
    if not before_sync:
        row = ["host rate"]
        for w in workloads:
            d = data.get(("host", w))
            if not d:
                row.append("–")
            elif d["unit"] == "ops/s":
                row.append("%.0f ops/s" % med(d["rate"]))
            else:
                row.append("%.0f MiB/s" % med(d["rate"]))
        rows.append(row)
    return table(["target"] + workloads, rows)


def spread_table(data, targets):
    """(max - min) / median of each target's runs, in percent."""
    rows = []
    for t in targets:
        row = [label(t)]
        for w in WORKLOADS:
            d = data.get((t, w))
            if not d:
                row.append("–")
                continue
            s = d["seconds"]
            row.append("%.0f%%" % (100.0 * (max(s) - min(s)) / med(s)))
        rows.append(row)
    return table(["target"] + WORKLOADS, rows)


def peers_table(data):
    """peer median / berth median, per workload and mount kind."""
    header = ["workload"]
    cols = []
    for m in MOUNTS:
        if ("berth/" + m, WORKLOADS[0]) not in data:
            continue
        for p in ENGINES[1:]:
            if (p + "/" + m, WORKLOADS[0]) in data:
                header.append("%s %s/berth" % (m, p))
                cols.append((m, p))
    if not cols:
        return None
    rows = []
    for w in WORKLOADS:
        row = [w]
        for m, p in cols:
            b = data.get(("berth/" + m, w))
            o = data.get((p + "/" + m, w))
            row.append("%.2f×" % (med(o["seconds"]) / med(b["seconds"])) if b and o else "–")
        rows.append(row)
    return table(header, rows)


def verdict(data, targets):
    """One line per Berth mount kind: against the host, and against the peers."""
    lines = []
    for m in MOUNTS:
        t = "berth/" + m
        if t not in targets:
            continue
        over, slower = [], []
        for w in WORKLOADS:
            b, h = data.get((t, w)), data.get(("host", w))
            if b and h:
                r = med(b["seconds"]) / med(h["seconds"])
                if r > TARGET:
                    over.append("%s %.2f×" % (w, r))
            for p in ENGINES[1:]:
                o = data.get((p + "/" + m, w))
                if b and o and med(o["seconds"]) < med(b["seconds"]):
                    slower.append("%s: %s %.2f×" % (w, p, med(o["seconds"]) / med(b["seconds"])))
        lines.append("- berth %s: %s; %s" % (
            m,
            "within 5% of the host in every workload" if not over
            else "over 5% of the host in " + ", ".join(over),
            "at or better than both peers everywhere" if not slower
            else "slower than a peer in " + ", ".join(slower)))
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out_dir = sys.argv[1]
    meta = read_meta(out_dir)
    targets = meta["targets"].split()
    data = load(out_dir)

    print("Median of %s runs, seconds (time / host's time); %s data file, %s files of 4 KiB."
          % (meta["runs"], meta["size"], meta["files"]))
    print()
    print(times_table(data, targets))
    print()
    print("Spread: (slowest - fastest) / median of the runs.")
    print()
    print(spread_table(data, targets))
    print()
    print("The same, without the final fsync/syncfs (the part the engine's path can change):")
    print()
    print(times_table(data, targets, before_sync=True))
    peers = peers_table(data)
    if peers:
        print()
        print("Berth against the peers, same mount kind: peer's time / Berth's (> 1: Berth faster).")
        print()
        print(peers)
    print()
    for line in verdict(data, targets):
        print(line)

    notes = []
    cached = [c for d in data.values() for c in d["cached"]]
    if cached:
        notes.append("- page cache before the reads (mincore, after the drop): at most %.1f%% of the file"
                     % max(cached))
    notes.append("- `sync` before every workload; before the reads and files-stat, %s" % (
        "`echo 3 > /proc/sys/vm/drop_caches` as well" if meta.get("drop_caches") == "1"
        else "no drop_caches (not permitted): posix_fadvise(DONTNEED) on the file only, "
        "files-stat with warm caches"))
    loads = [float(r[2].split()[0]) for r in read_tsv(os.path.join(out_dir, "load.tsv"))]
    if loads:
        notes.append("- 1-minute load average when a target's pass began: %.2f to %.2f (median %.2f)"
                     % (min(loads), max(loads), med(loads)))
    for row in read_tsv(os.path.join(out_dir, "skips.tsv")):
        notes.append("- %s not measured: %s" % (row[0], row[1] if len(row) > 1 else "?"))
    print()
    print("\n".join(notes))
    versions = os.path.join(out_dir, "versions.txt")
    if os.path.exists(versions):
        print()
        with open(versions, encoding="utf-8") as f:
            print(f.read().rstrip("\n"))


if __name__ == "__main__":
    main()
