#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Print bench/volumes/run's results as Markdown tables.

Usage: report.py OUT_DIR

OUT_DIR holds what bench/volumes/run wrote:
  meta.txt     key=value: drop_caches, size, files, runs, targets (in table order)
  results.tsv  target, run, workload, then iobench's seconds, rate, unit, cpu, runq,
               prefault, sync and cached ("-" where it has none), and the disk's
               "reads read_ms writes write_ms discards discard_ms" meanwhile
  skips.tsv    engine or target <TAB> why it was not measured
  load.tsv     run, the load averages when the pass began and when it ended
  versions.txt the engines' versions (printed as is)

Times are the median of the runs; beside it the median of each run's time less what it spent
waiting for a CPU (schedstat's run-queue time: the machine's other load, taken out), and the
best (shortest) run, which that load disturbs least. Ratios are of medians, or of bests.
"time / host" above 1 means slower than the host; "peer / berth" above 1 means Berth is faster.
"""

import os
import statistics
import sys

WORKLOADS = ["write-4k", "read-4k", "write-1m", "read-1m",
             "files-create", "files-stat", "files-remove", "null-write"]
ENGINES = ["berth", "docker", "podman"]
MOUNTS = ["volume", "bind", "layer"]
# What the target is about; null-write is a diagnostic (no file system involved).
TARGET_WORKLOADS = WORKLOADS[:-1]
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
        target, _run, workload, seconds, rate, unit, cpu, runq, prefault, sync, cached, disk = row
        d = data.setdefault((target, workload), {
            "seconds": [], "rate": [], "cpu": [], "runq": [], "prefault": [], "sync": [],
            "cached": [], "disk": [], "unqueued": [], "unit": unit})
        d["disk"].append([int(x) for x in disk.split()])
        d["seconds"].append(float(seconds))
        d["rate"].append(float(rate))
        d["cpu"].append(float(cpu))
        d["runq"].append(float(runq))
        d["prefault"].append(float(prefault))
        d["unqueued"].append(float(seconds) - float(runq))
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


def times_table(data, targets, before_sync=False, pick=None, key="seconds"):
    """Seconds per target and workload (the median of the runs, or what pick() makes of
    them; of wall-clock time, or of the key given), with the ratio to the host's."""
    pick = pick or med
    workloads = WORKLOADS
    if before_sync:
        workloads = [w for w in WORKLOADS if data.get(("host", w), {}).get("sync")]

    def value(target, w):
        d = data.get((target, w))
        if not d:
            return None
        if before_sync:
            return pick([s - y for s, y in zip(d["seconds"], d["sync"])])
        return pick(d[key])

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
    if not before_sync and pick is med and key == "seconds":
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


def peers_table(data, pick, key="seconds"):
    """peer's time / berth's, per workload and mount kind."""
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
            row.append("%.2f×" % (pick(o[key]) / pick(b[key])) if b and o else "–")
        rows.append(row)
    return table(header, rows)


def verdict(data, targets, pick, key="seconds"):
    """One line per Berth mount kind: against the host, and against the peers."""
    lines = []
    for m in MOUNTS:
        t = "berth/" + m
        if t not in targets:
            continue
        over, slower = [], []
        for w in TARGET_WORKLOADS:
            b, h = data.get((t, w)), data.get(("host", w))
            if b and h:
                r = pick(b[key]) / pick(h[key])
                if r > TARGET:
                    over.append("%s %.2f×" % (w, r))
            for p in ENGINES[1:]:
                o = data.get((p + "/" + m, w))
                if b and o and pick(o[key]) < pick(b[key]):
                    slower.append("%s (%s %.2f×)" % (w, p, pick(o[key]) / pick(b[key])))
        lines.append("- berth %s: %s; %s" % (
            m,
            "within 5% of the host in every workload" if not over
            else "over 5% of the host in " + ", ".join(over),
            "at or better than both peers everywhere" if not slower
            else "slower than a peer in " + ", ".join(slower)))
    again = [pick(data[("host-again", w)][key]) / pick(data[("host", w)][key])
             for w in TARGET_WORKLOADS if ("host-again", w) in data and ("host", w) in data]
    if again:
        lines.append("- the host again (the same thing twice, a floor for the noise): %.2f× to "
                     "%.2f× of the host" % (min(again), max(again)))
    return lines


def disk_notes(data):
    """What the disk did during each workload, over all targets and runs (device-wide)."""
    out = []
    for w in WORKLOADS:
        disks = [x for (_t, wl), d in data.items() if wl == w for x in d["disk"]]
        if not disks:
            continue
        discards = [x[4] for x in disks]
        discard_s = [x[5] / 1000.0 for x in disks]
        read_s = [x[1] / 1000.0 for x in disks]
        if med(discards) >= 100:
            out.append("- %s: the disk did %d discards (median) in %.1f s of discard time "
                       "(median; %.1f to %.1f s)" % (w, med(discards), med(discard_s),
                                                     min(discard_s), max(discard_s)))
        elif w.startswith("read") or w == "files-stat":
            out.append("- %s: %d reads (median) took %.1f s of the disk's time (%.1f to %.1f s)"
                       % (w, med([x[0] for x in disks]), med(read_s), min(read_s), max(read_s)))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out_dir = sys.argv[1]
    meta = read_meta(out_dir)
    targets = meta["targets"].split()
    data = load(out_dir)

    runs = meta["runs"]
    print("Median of %s runs, seconds (time / host's time); %s data file, %s files of 4 KiB."
          % (runs, meta["size"], meta["files"]))
    print()
    print(times_table(data, targets))
    print()
    print("Median of %s runs of the time less the run-queue wait, seconds (/ host's):" % runs)
    print()
    print(times_table(data, targets, key="unqueued"))
    print()
    print("CPU time (user + system) of the process during the timed part, medians, seconds:")
    print()
    print(times_table(data, targets, key="cpu"))
    print()
    print("Best of %s runs, seconds (time / host's best):" % runs)
    print()
    print(times_table(data, targets, pick=min))
    print()
    print("Medians without the final fsync/syncfs (the part an engine's mounts can change):")
    print()
    print(times_table(data, targets, before_sync=True))
    print()
    print("Spread: (slowest - fastest) / median of the runs.")
    print()
    print(spread_table(data, targets))
    views = (("medians", med, "seconds"), ("medians less the run-queue wait", med, "unqueued"),
             ("best runs", min, "seconds"))
    for name, pick, key in views[:2]:
        peers = peers_table(data, pick, key)
        if peers:
            print()
            print("Berth against the peers, same kind of mount, %s: peer's time / Berth's "
                  "(> 1: Berth faster)." % name)
            print()
            print(peers)
    for name, pick, key in views:
        print()
        print("Against the target (%s):" % name)
        print()
        for line in verdict(data, targets, pick, key):
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
    loads = [float(r[1].split()[0]) for r in read_tsv(os.path.join(out_dir, "load.tsv"))]
    if loads:
        notes.append("- 1-minute load average at the start and end of each pass: %.2f to %.2f "
                     "(median %.2f)" % (min(loads), max(loads), med(loads)))
    runq = [x for d in data.values() for x in d["runq"]]
    secs = [x for d in data.values() for x in d["seconds"]]
    if runq:
        notes.append("- waiting for a CPU (schedstat) during the timed part: %.1f%% of the time "
                     "over all measurements, at most %.2f s in one"
                     % (100.0 * sum(runq) / sum(secs), max(runq)))
    prefault = [x for d in data.values() for x in d["prefault"]]
    if prefault and max(prefault) > 0:
        notes.append("- prefault before the clock (iobench.c says why): %.1f to %.1f s"
                     % (min(prefault), max(prefault)))
    notes += disk_notes(data)
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
