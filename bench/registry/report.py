#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Print bench/registry/run's results as Markdown tables.

Usage: report.py OUT_DIR

OUT_DIR holds what bench/registry/run wrote:
  images.tsv     image <TAB> layers <TAB> bytes (the layer tars' sum: what MB/s are of)
  cases.tsv      case <TAB> image <TAB> op, in run order
  CASE.json      hyperfine --export-json for the case, one result per engine timed (-n ENGINE)
  skips.tsv      case <TAB> engine <TAB> why it was not timed
  pushes.tsv     image <TAB> engine (or "seed") <TAB> what its push left in the registry:
                 manifest media type, layers, layer bytes, layer media type(s)
  pulls.tsv      image <TAB> engine <TAB> blobs downloaded <TAB> bytes, in the check run
  transfers.tsv  case <TAB> engines timed <TAB> layers <TAB> the registry's counts over the
                 timed runs (uploaded=, mounted=, downloaded=, bytes_down=) <TAB> where the
                 timed runs start and end in registry.log (byte offsets)
  registry.log   the registry's output: its access log tells who sent which requests
  load.tsv       case <TAB> before|after <TAB> load average
  meta.txt       runs=, busy_before=, engines=
  versions.txt   printed as is

MB/s are 10^6 bytes a second: the image's bytes over the median time of the runs.
"""

import json
import os
import statistics
import sys

ENGINES = ["berth", "docker", "podman", "skopeo", "floor"]
# The targets, as Berth's speed over docker's.
TARGETS = {"pull": 2.0, "load": 2.0, "push": 3.0}


def read_tsv(path, fields):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", fields - 1)
            if len(parts) == fields:
                rows.append(parts)
    return rows


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def words_kv(text):
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def load_results(out_dir, case):
    """engine -> dict(median, mean, stddev, min, max) in seconds; empty if hyperfine failed."""
    path = os.path.join(out_dir, case + ".json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    results = {}
    for r in data["results"]:
        times = r.get("times") or [r["mean"]]
        results[r["command"]] = {
            "median": r.get("median", statistics.median(times)),
            "mean": r["mean"],
            "stddev": r.get("stddev") or 0.0,
            "min": r.get("min", min(times)),
            "max": r.get("max", max(times)),
        }
    return results


# The clients' User-Agent, by the first word's name
AGENTS = {"berth": "berth", "docker": "docker", "containers": "podman", "skopeo": "skopeo",
          "floor": "floor"}


def requests_by_engine(log_path, start, end):
    """engine -> {method: count} of the access log's lines between two byte offsets."""
    counts = {}
    if not os.path.exists(log_path):
        return counts
    with open(log_path, "rb") as f:
        f.seek(start)
        data = f.read(max(0, end - start)).decode("utf-8", "replace")
    for line in data.splitlines():
        # 127.0.0.1 - - [date] "METHOD PATH HTTP/1.1" STATUS BYTES "REFERER" "AGENT"
        parts = line.split('"')
        if len(parts) < 6 or not line.startswith("127.0.0.1 - - ["):
            continue
        method = parts[1].split(" ")[0]
        agent = AGENTS.get(parts[5].split("/")[0])
        if agent:
            c = counts.setdefault(agent, {})
            c[method] = c.get(method, 0) + 1
    return counts


def mbps(nbytes, seconds):
    return nbytes / seconds / 1e6


def fmt_rate(rate):
    return "%.0f" % rate if rate >= 100 else "%.1f" % rate


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out = sys.argv[1]
    images = {i: (int(l), int(b)) for i, l, b in read_tsv(os.path.join(out, "images.tsv"), 3)}
    cases = read_tsv(os.path.join(out, "cases.tsv"), 3)
    skips = {(c, e): why for c, e, why in read_tsv(os.path.join(out, "skips.tsv"), 3)}
    meta = read_kv(os.path.join(out, "meta.txt"))
    runs = int(meta.get("runs", "0") or 0)
    engines = [e for e in ENGINES if e in meta.get("engines", " ".join(ENGINES)).split()]
    results = {case: load_results(out, case) for case, _i, _o in cases}

    def cell(case, engine):
        return results[case].get(engine)

    # MB/s, median seconds
    lines = ["| case | " + " | ".join("%s MB/s (s)" % e for e in engines) + " |",
             "|---|" + "--:|" * len(engines)]
    for case, image, op in cases:
        nbytes = images[image][1]
        row = [case]
        for e in engines:
            r = cell(case, e)
            if r:
                row.append("%s (%.3f)" % (fmt_rate(mbps(nbytes, r["median"])), r["median"]))
            elif (case, e) in skips:
                row.append("skipped")
            else:
                row.append("–")
        lines.append("| " + " | ".join(row) + " |")
    print("\n".join(lines))
    print()

    # Ratios of speeds (the other's median time over this one's): Berth over each peer, and
    # each one over docker.
    peers = [e for e in engines if e != "berth"]
    over_docker = [e for e in peers if e != "docker"] if "docker" in engines else []
    header = ["case"] + ["berth/%s" % p for p in peers] + ["%s/docker" % e for e in over_docker]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "--:|" * (len(header) - 1)]
    for case, _image, _op in cases:
        row = [case]
        b = cell(case, "berth")
        for p in peers:
            r = cell(case, p)
            row.append("%.2f×" % (r["median"] / b["median"]) if r and b else "–")
        d = cell(case, "docker")
        for e in over_docker:
            r = cell(case, e)
            row.append("%.2f×" % (d["median"] / r["median"]) if r and d else "–")
        lines.append("| " + " | ".join(row) + " |")
    print("Speed over speed (the other's median time over this one's; above 1: the first is "
          "faster):")
    print()
    print("\n".join(lines))
    print()

    # hyperfine's mean, deviation and range, in seconds
    lines = ["| case | " + " | ".join("%s (s)" % e for e in engines) + " |",
             "|---|" + "--:|" * len(engines)]
    for case, _image, _op in cases:
        row = [case]
        for e in engines:
            r = cell(case, e)
            row.append("%.3f ± %.3f (%.3f–%.3f)" % (r["mean"], r["stddev"], r["min"], r["max"])
                       if r else "–")
        lines.append("| " + " | ".join(row) + " |")
    print("Mean ± standard deviation (lowest–highest) of the %d runs:" % runs)
    print()
    print("\n".join(lines))
    print()

    # Against the targets
    notes = []
    for case, image, op in cases:
        b, d, s = cell(case, "berth"), cell(case, "docker"), cell(case, "skopeo")
        parts = []
        if b and d and op in TARGETS:
            x = d["median"] / b["median"]
            parts.append("%.2f× docker (target %g×): %s" %
                         (x, TARGETS[op], "met" if x >= TARGETS[op] else "missed"))
        if b and s and op in ("push", "pull"):
            x = s["median"] / b["median"]
            parts.append("%.2f× skopeo: %s" % (x, "ahead" if x > 1 else "behind"))
        f = cell(case, "floor")
        if f and d and op in TARGETS:
            # No client pushes faster than the floor: docker's time over the floor's is the
            # most any client could be ahead of docker against this registry.
            parts.append("the floor (floor.py: the fewest requests) is %.2f× docker" %
                         (d["median"] / f["median"]))
        if f and b:
            parts.append("Berth takes %.2f× the floor's time" % (b["median"] / f["median"]))
        if parts:
            notes.append("- `%s`: %s" % (case, "; ".join(parts)))
    if notes:
        print("Against the targets (Berth's speed over the peer's):")
        print()
        print("\n".join(notes))
        print()

    notes = []
    for image, (layers, nbytes) in images.items():
        notes.append("- `%s`: %d layer(s), %d bytes of layer tars (%.1f MB)" %
                     (image, layers, nbytes, nbytes / 1e6))
    for image, who, summary in read_tsv(os.path.join(out, "pushes.tsv"), 3):
        mtype, nl, lbytes, ltypes = (summary.split(" ", 3) + ["?"] * 4)[:4]
        who = "the registry's copy that every engine pulls (skopeo's push)" if who == "seed" \
            else "%s's push" % who
        notes.append("- `%s`, %s: %s layer(s), %s bytes, `%s`" % (image, who, nl, lbytes, ltypes))
    transfers = read_tsv(os.path.join(out, "transfers.tsv"), 6)
    for case, timed, layers, counts, _start, _end in transfers:
        kv = words_kv(counts)
        timed, layers = int(timed), int(layers)
        if case.endswith("-push"):
            want = runs * timed * (layers + 1)
            got = int(kv.get("uploaded", 0))
            ok = got >= want and int(kv.get("mounted", 0)) == 0
            notes.append("- `%s`: %d blobs uploaded in the timed runs (%d expected), %s mounted%s" %
                         (case, got, want, kv.get("mounted", "?"), "" if ok else " **(short!)**"))
        elif case.endswith("-pull"):
            want = runs * timed * layers
            got = int(kv.get("downloaded", 0))
            notes.append("- `%s`: %d blobs downloaded in the timed runs (%d layers expected, "
                         "plus configs), %.1f MB%s" %
                         (case, got, want, int(kv.get("bytes_down", 0)) / 1e6,
                          "" if got >= want else " **(short!)**"))
    log_path = os.path.join(out, "registry.log")
    for case, _timed, _layers, _counts, start, end in transfers:
        counts = requests_by_engine(log_path, int(start), int(end))
        parts = []
        for e in engines:
            if e in counts and runs:
                c = counts[e]
                parts.append("%s %d (%s)" % (e, round(sum(c.values()) / runs), ", ".join(
                    "%d %s" % (round(n / runs), m) for m, n in sorted(c.items()))))
        if parts:
            notes.append("- `%s`, requests to the registry per run: %s" % (case, "; ".join(parts)))
    by_reason = {}
    for (case, engine), why in skips.items():
        by_reason.setdefault((engine, why), []).append(case)
    for (engine, why), in_cases in by_reason.items():
        where = "all cases" if len(in_cases) == len(cases) else \
            ", ".join("`%s`" % c for c in in_cases)
        notes.append("- %s skipped (%s): %s" % (engine, where, why))
    loads = read_tsv(os.path.join(out, "load.tsv"), 3)
    if loads:
        avgs = [float(l.split()[0]) for _c, _w, l in loads]
        notes.append("- load average (1 min) around the cases: %.2f to %.2f; CPUs %s%% busy in "
                     "the 10 s before the start" % (min(avgs), max(avgs),
                                                    meta.get("busy_before", "?")))
    print("\n".join(notes))
    versions = os.path.join(out, "versions.txt")
    if os.path.exists(versions):
        print()
        with open(versions, encoding="utf-8") as f:
            print(f.read().rstrip("\n"))


if __name__ == "__main__":
    main()
