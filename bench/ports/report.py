#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Print bench/ports/run's results as Markdown tables.

Usage: report.py OUT_DIR

OUT_DIR holds what bench/ports/run wrote:
  meta.txt      key=value: runs, size, streams, conns, workers, targets (in table order),
                conntrack_before/after ("drop early_drop insert_failed"), ct_time_wait
  results.tsv   target, run, mode, then netbench's seconds, rate, unit, cpu, runq, p50, p99,
                errors ("-" where it has none)
  skips.tsv     engine or target <TAB> why it was not measured
  failures.tsv  target, run, mode, the client's error: measurements that failed
  load.tsv      run, the load averages when the pass began and when it ended
  counters.tsv  namespace or engine, before/after, TCP's counters of trouble (NAME=VALUE ...)
  versions.txt  the engines' versions (printed as is)

A target is ENGINE/PATH: loopback (the published port through 127.0.0.1), address (through
the namespace's own non-loopback address), direct (the container's address and port: the
limit); host/loopback is netbench's server outside any container, for reference. Rates are
the median of the runs, or the best (highest) run, which the machine's other load disturbs
least. "/ direct" is a path's rate over the same engine's direct rate: 1 means the published
port costs nothing. "berth/peer" is Berth's rate over the peer's on the same path: above 1,
Berth is faster.
"""

import os
import statistics
import sys

ENGINES = ["berth", "docker", "podman"]
PATHS = ["loopback", "address", "direct"]
PUBLISHED = ["loopback", "address"]
MODES = {"stream": ("throughput", "Gbit/s", "%.2f"), "crr": ("connection rate", "conn/s", "%.0f")}
TARGET = 0.90  # the "within 10% of direct"
ENGINE_NOTES = {
    "berth": "nftables DNAT",
    "docker": "loopback: docker-proxy; address: iptables DNAT",
    "podman": "CNI portmap (iptables DNAT)",
}


def read_kv(path):
    meta = {}
    with open(path, encoding="utf-8") as f:
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
    """(target, mode) -> {"rate": [...], "seconds": [...], "cpu": [...], "runq": [...], ...,
    "by_run": {run: rate}}"""
    data = {}
    for row in read_tsv(os.path.join(out_dir, "results.tsv")):
        target, run, mode, seconds, rate, _unit, cpu, runq, p50, p99, _errors = row[:11]
        d = data.setdefault((target, mode), {"rate": [], "seconds": [], "cpu": [], "runq": [],
                                             "p50": [], "p99": [], "by_run": {}})
        d["rate"].append(float(rate))
        d["by_run"][int(run)] = float(rate)
        d["seconds"].append(float(seconds))
        d["cpu"].append(float(cpu))
        d["runq"].append(float(runq))
        if p50 != "-":
            d["p50"].append(float(p50))
            d["p99"].append(float(p99))
    return data


def med(values):
    return statistics.median(values) if values else None


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def engines_in(data):
    return [e for e in ENGINES if any((e + "/" + p, m) in data for p in PATHS for m in MODES)]


def rate(data, target, mode, pick):
    d = data.get((target, mode))
    return pick(d["rate"]) if d and d["rate"] else None


def rates_table(data, mode, pick):
    """One row per engine, one column per path: the rate, and its ratio to direct."""
    fmt = MODES[mode][2]
    rows = []
    for e in engines_in(data):
        direct = rate(data, e + "/direct", mode, pick)
        row = ["%s (%s)" % (e, ENGINE_NOTES[e])]
        for p in PATHS:
            v = rate(data, e + "/" + p, mode, pick)
            if v is None:
                row.append("–")
            elif p == "direct" or not direct:
                row.append(fmt % v)
            else:
                row.append((fmt + " (%.2f×)") % (v, v / direct))
        rows.append(row)
    host = rate(data, "host/loopback", mode, pick)
    if host is not None:
        rows.append(["host, no container (127.0.0.1)", fmt % host, "–", "–"])
    return table(["engine", "loopback / direct", "address / direct", "direct"], rows)


def latency_table(data):
    rows = []
    targets = [e + "/" + p for e in engines_in(data) for p in PATHS] + ["host/loopback"]
    for t in targets:
        d = data.get((t, "crr"))
        if d and d["p50"]:
            rows.append([t.replace("/", " "), "%.0f" % med(d["p50"]), "%.0f" % med(d["p99"])])
    return table(["target", "p50 (µs)", "p99 (µs)"], rows) if rows else None


def peers_table(data, pick):
    """Berth's rate over each peer's, per mode and path."""
    cols = [(m, p) for m in MODES for p in PATHS]
    header = ["peer"] + ["%s %s" % (m, p) for m, p in cols]
    rows = []
    for peer in ENGINES[1:]:
        if peer not in engines_in(data):
            continue
        row = ["berth/" + peer]
        for m, p in cols:
            b = rate(data, "berth/" + p, m, pick)
            o = rate(data, peer + "/" + p, m, pick)
            row.append("%.2f×" % (b / o) if b and o else "–")
        rows.append(row)
    if not rows or "berth" not in engines_in(data):
        return None
    return table(header, rows)


def spread_table(data):
    """(highest - lowest) / median of each target's runs, in percent."""
    rows = []
    targets = [e + "/" + p for e in engines_in(data) for p in PATHS] + ["host/loopback"]
    for t in targets:
        row = [t.replace("/", " ")]
        for m in MODES:
            d = data.get((t, m))
            if not d:
                row.append("–")
                continue
            r = d["rate"]
            row.append("%.0f%%" % (100.0 * (max(r) - min(r)) / med(r)))
        rows.append(row)
    return table(["target"] + list(MODES), rows)


def paired(data, a, b, mode):
    """a's rate over b's in each pass that measured both: two targets measured a minute apart
    at most, so a change in the machine's load between passes falls on both."""
    da, db = data.get((a, mode)), data.get((b, mode))
    if not da or not db:
        return []
    return [da["by_run"][r] / db["by_run"][r] for r in sorted(da["by_run"]) if r in db["by_run"]]


def ratio(data, a, b, mode, view):
    """a's rate over b's: the median of the per-pass ratios ("paired"), or of the medians
    ("medians"), or of the best runs ("best"); None where either is missing."""
    if view == "paired":
        rs = paired(data, a, b, mode)
        return med(rs) if rs else None
    pick = med if view == "medians" else max
    ra, rb = rate(data, a, mode, pick), rate(data, b, mode, pick)
    return ra / rb if ra is not None and rb else None


def paired_table(data):
    """Per-pass ratios: each published path over its engine's direct path, and Berth over
    each peer on the same path; the median of the passes, and the lowest and highest."""
    pairs = [("%s %s / direct" % (e, p), e + "/" + p, e + "/direct")
             for e in engines_in(data) for p in PUBLISHED]
    if "berth" in engines_in(data):
        pairs += [("berth / %s, %s" % (peer, p), "berth/" + p, peer + "/" + p)
                  for peer in ENGINES[1:] if peer in engines_in(data) for p in PATHS]
    rows = []
    for name, a, b in pairs:
        row = [name]
        for m in MODES:
            rs = paired(data, a, b, m)
            row.append("%.2f× (%.2f–%.2f)" % (med(rs), min(rs), max(rs)) if rs else "–")
        rows.append(row)
    return table(["ratio"] + list(MODES), rows) if rows else None


def verdict(data, view):
    """Berth's published paths against its direct path, and against the peers."""
    if "berth" not in engines_in(data):
        return ["- Berth not measured (see the notes)"]
    lines = []
    for p in PUBLISHED:
        near, far, behind, ahead = [], [], [], []
        for m in MODES:
            r = ratio(data, "berth/" + p, "berth/direct", m, view)
            if r is None:
                far.append("%s not measured" % m)
                continue
            (near if r >= TARGET else far).append("%s %.2f×" % (m, r))
            for peer in ENGINES[1:]:
                o = ratio(data, "berth/" + p, peer + "/" + p, m, view)
                if o is not None:
                    (ahead if o > 1 else behind).append("%s %s %.2f×" % (m, peer, o))
        if not far:
            against_direct = "within 10%% of direct in both measures (%s)" % ", ".join(near)
        else:
            against_direct = "not within 10%% of direct: %s" % ", ".join(far)
            if near:
                against_direct += " (within: %s)" % ", ".join(near)
        if not ahead and not behind:
            against_peers = "no peer measured"
        elif not behind:
            against_peers = "ahead of both peers (%s)" % ", ".join(ahead)
        else:
            against_peers = "not ahead of a peer in %s" % ", ".join(behind)
            if ahead:
                against_peers += "; ahead in %s" % ", ".join(ahead)
        lines.append("- berth %s: %s; %s" % (p, against_direct, against_peers))
    return lines


def counter_notes(out_dir):
    """TCP's counters of trouble over the passes, per network namespace (run's tcp_counters)."""
    phases = {}
    for row in read_tsv(os.path.join(out_dir, "counters.tsv")):
        where, phase = row[0], row[1]
        values = dict(kv.split("=", 1) for kv in (row[2] if len(row) > 2 else "").split())
        phases.setdefault(where, {})[phase] = values
    parts = []
    for where, ph in phases.items():
        before, after = ph.get("before", {}), ph.get("after", {})
        moved = ["%s %d" % (k, int(after[k]) - int(before.get(k, 0)))
                 for k in sorted(after) if int(after[k]) != int(before.get(k, 0))]
        parts.append("%s: %s" % ("the namespace (clients, docker-proxy)" if where == "namespace"
                                 else where + "'s container", ", ".join(moved) or "none"))
    if not parts:
        return []
    return ["- TCP's trouble counters over the passes (SYNs sent again, SYNs dropped against a "
            "TIME_WAIT, accept queues overflowing): " + "; ".join(parts)]


def notes(out_dir, meta, data):
    out = []
    if meta.get("busy_before"):
        out.append("- before the start, the machine's CPUs were %s%% busy (10 s of /proc/stat): "
                   "the others' load" % meta["busy_before"])
    loads = [float(r[1].split()[0]) for r in read_tsv(os.path.join(out_dir, "load.tsv"))]
    if loads:
        out.append("- 1-minute load average at the start and end of each pass: %.2f to %.2f "
                   "(median %.2f)" % (min(loads), max(loads), med(loads)))
    runq = [x for d in data.values() for x in d["runq"]]
    secs = [x for (_t, m), d in data.items() for x in d["seconds"]]
    if runq:
        out.append("- the client's threads waited for a CPU (schedstat) %.2f s per second of "
                   "measurement (summed over its threads; 2 CPUs, the server and the engine's "
                   "path share them)" % (sum(runq) / sum(secs)))
    before = meta.get("conntrack_before", "").split()
    after = meta.get("conntrack_after", "").split()
    if len(before) == 3 and len(after) == 3:
        lost = [int(a) - int(b) for a, b in zip(after, before)]
        out.append("- conntrack during the passes: %d drops, %d early drops, %d failed inserts "
                   "(TIME_WAIT kept %s s in the namespace)" % (*lost, meta.get("ct_time_wait")))
    out += counter_notes(out_dir)
    for row in read_tsv(os.path.join(out_dir, "failures.tsv")):
        out.append("- failed: %s %s (run %s): %s" % (row[0], row[2], row[1],
                                                     row[3] if len(row) > 3 else "?"))
    for row in read_tsv(os.path.join(out_dir, "skips.tsv")):
        out.append("- %s not measured: %s" % (row[0], row[1] if len(row) > 1 else "?"))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out_dir = sys.argv[1]
    meta = read_kv(os.path.join(out_dir, "meta.txt"))
    data = load(out_dir)
    runs = meta["runs"]

    for mode, (what, unit, _fmt) in MODES.items():
        detail = ("%s over %s connection(s)" % (meta["size"], meta["streams"]) if mode == "stream"
                  else "%s connect-request-response exchanges, %s at a time"
                  % (meta["conns"], meta["workers"]))
        print("%s (%s), %s, median of %s runs (/ the engine's direct rate):"
              % (what.capitalize(), mode, unit, runs) + " " + detail + ".")
        print()
        print(rates_table(data, mode, med))
        print()
    lat = latency_table(data)
    if lat:
        print("crr latency, socket() to close(), medians of the runs' percentiles:")
        print()
        print(lat)
        print()
    for mode, (what, unit, _fmt) in MODES.items():
        print("%s (%s), %s, best of %s runs:" % (what.capitalize(), mode, unit, runs))
        print()
        print(rates_table(data, mode, max))
        print()
    pt = paired_table(data)
    if pt:
        print("Ratios within each pass (median of the passes, lowest–highest): a path over the "
              "same engine's direct path, Berth's rate over a peer's on the same path (> 1: "
              "Berth faster). Targets of one pass are measured a minute apart at most, so these "
              "move less with the machine's load than ratios of medians.")
        print()
        print(pt)
        print()
    for name, pick in (("medians", med), ("best runs", max)):
        peers = peers_table(data, pick)
        if peers:
            print("Berth against the peers, same path, %s: Berth's rate / the peer's "
                  "(> 1: Berth faster)." % name)
            print()
            print(peers)
            print()
    print("Spread: (highest - lowest) / median of the runs.")
    print()
    print(spread_table(data))
    views = (("ratios within each pass", "paired"), ("medians", "medians"),
             ("best runs", "best"))
    for name, view in views:
        print()
        print("Against the target (%s): within 10%% of direct, ahead of both peers." % name)
        print()
        print("\n".join(verdict(data, view)))
    print()
    print("\n".join(notes(out_dir, meta, data)))
    versions = os.path.join(out_dir, "versions.txt")
    if os.path.exists(versions):
        print()
        with open(versions, encoding="utf-8") as f:
            print(f.read().rstrip("\n"))


if __name__ == "__main__":
    main()
