#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Print bench/run's results as a Markdown table.

Usage: report.py OUT_DIR

OUT_DIR holds what bench/run wrote:
  cases.tsv     case <TAB> description, in run order
  skips.tsv     case <TAB> runner <TAB> why that runner was not timed
  CASE.json     hyperfine --export-json for CASE, one result per runner timed
  versions.txt  the runners' versions (printed as is)

One row per case: each runner's mean +- standard deviation in milliseconds,
and for each peer the ratio peer mean / Berth mean (> 1: Berth is faster).
"""

import json
import os
import sys

RUNNERS = ["berth", "docker", "buildkit", "podman", "crun", "runc"]
PEERS = RUNNERS[1:]


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


def load_results(out_dir, case):
    """runner -> (mean ms, stddev ms) for one case; empty if hyperfine failed."""
    path = os.path.join(out_dir, case + ".json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    results = {}
    for r in data["results"]:
        # bench/run names each command after its runner (hyperfine -n).
        stddev = r.get("stddev") or 0.0
        results[r["command"]] = (r["mean"] * 1000.0, stddev * 1000.0)
    return results


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUT_DIR")
    out_dir = sys.argv[1]
    cases = read_tsv(os.path.join(out_dir, "cases.tsv"), 2)
    skips = {}
    for case, runner, why in read_tsv(os.path.join(out_dir, "skips.tsv"), 3):
        skips[(case, runner)] = why

    header = ["case"]
    for runner in RUNNERS:
        header.append(runner + " (ms)")
        if runner != "berth":
            header.append(runner + "/berth")
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    notes = []
    for case, _desc in cases:
        results = load_results(out_dir, case)
        berth = results.get("berth")
        row = [case]
        for runner in RUNNERS:
            if runner in results:
                mean, stddev = results[runner]
                row.append("%.1f ± %.1f" % (mean, stddev))
            elif (case, runner) in skips:
                row.append("skipped")
            else:
                row.append("–")
            if runner == "berth":
                continue
            if runner not in results:
                row.append("–")
            elif berth is None:
                row.append("skipped")
            else:
                row.append("%.2f×" % (results[runner][0] / berth[0]))
        lines.append("| " + " | ".join(row) + " |")

    for case, desc in cases:
        notes.append("- `%s`: %s" % (case, desc))
    # A runner missing for the same reason everywhere gets one line.
    by_reason = {}
    for (case, runner), why in skips.items():
        by_reason.setdefault((runner, why), []).append(case)
    for (runner, why), in_cases in by_reason.items():
        where = "all cases" if len(in_cases) == len(cases) else \
            ", ".join("`%s`" % c for c in in_cases)
        notes.append("- %s skipped (%s): %s" % (runner, where, why))

    print("\n".join(lines))
    print()
    print("\n".join(notes))
    versions = os.path.join(out_dir, "versions.txt")
    if os.path.exists(versions):
        print()
        with open(versions, encoding="utf-8") as f:
            print(f.read().rstrip("\n"))


if __name__ == "__main__":
    main()
