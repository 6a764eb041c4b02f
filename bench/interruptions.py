#!/usr/bin/env python3
"""Sweep every interruption point of a poc deploy and of its teardown.

For each point, tests/integration/test_interruptions.py runs once with that point
(STREAMSTACK_INTERRUPT_DEPLOY / _TEARDOWN = "<n>:<KILL|INT>"): the deploy
interrupted after its n-th change, deployed again (one of each resource,
changed=0 after), the teardown interrupted at a point, torn down to the end, the
whole emulated account scanned against its state before. Deploy points pair with
a fixed early teardown point, teardown points with a fixed deploy point; both
signals each. Writes bench/results/interruptions-<UTC time>.json and .md: each
point, pass or fail, and what was left.

    .venv/bin/python bench/interruptions.py [--deploy 1-43] [--teardown 1-28] [--signals KILL,INT]
    (--deploy 1,9,17 picks points; --teardown "" none; results are written after each point)

About 5 minutes a point on 2 cores: the full sweep takes hours (run it overnight).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/integration/test_interruptions.py"


def span(text):
    """'1-43' or '1,8,15-17' -> the points, in order; '' -> none."""
    points = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        points += range(int(low), int(high or low) + 1)
    return points


def run_point(deploy, teardown):
    env = dict(os.environ, STREAMSTACK_INTERRUPT_DEPLOY=deploy, STREAMSTACK_INTERRUPT_TEARDOWN=teardown)
    began = time.monotonic()
    proc = subprocess.run([str(ROOT / ".venv/bin/pytest"), "-q", "-s", "-p", "no:cacheprovider", TEST], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    out = proc.stdout + proc.stderr
    left = re.search(r"left in the account after the teardown[^:]*: (\{.*\})", out)
    return {"deploy": deploy, "teardown": teardown, "passed": proc.returncode == 0,
            "interrupted": re.findall(r"^(deploy|teardown) interrupted: (.*)$", out, re.M),
            "left": left.group(1) if left else ("nothing" if proc.returncode == 0 else "see failure"),
            "failure": "" if proc.returncode == 0 else out[-1500:], "seconds": round(time.monotonic() - began)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deploy", default="1-43")
    parser.add_argument("--teardown", default="1-28")
    parser.add_argument("--signals", default="KILL,INT")
    args = parser.parse_args(argv)
    signals = args.signals.split(",")
    points = [(f"{n}:{s}", "1:KILL") for n in span(args.deploy) for s in signals]
    points += [("1:INT", f"{n}:{s}") for n in span(args.teardown) for s in signals]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"interruptions-{stamp}"
    out.parent.mkdir(exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    results = []
    for deploy, teardown in points:
        result = run_point(deploy, teardown)
        results.append(result)
        print(f"deploy {deploy:>8} teardown {teardown:>8}: {'ok' if result['passed'] else 'FAILED'} "
              f"left {result['left']} ({result['seconds']} s)", flush=True)
        write(out, results, len(points), stamp, commit)  # after each point: a sweep cut short keeps what it did
    print(f"{sum(r['passed'] for r in results)}/{len(results)} points passed; {out}.md")
    return 0 if all(r["passed"] for r in results) else 1


def write(out, results, planned, stamp, commit):
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    lines = [f"# Interruption sweep {stamp} (commit {commit}, {os.cpu_count()} cores)", "",
             f"{len(results)} of {planned} planned points run, {sum(r['passed'] for r in results)} passed. "
             "Each point: tests/integration/test_interruptions.py with that deploy and teardown point "
             "(n-th change, signal); 'left' is the scan of the whole emulated account after the final teardown.", "",
             "| deploy point | teardown point | where each was interrupted | result | left | s |", "|---|---|---|---|---|---:|"]
    lines += [f"| {r['deploy']} | {r['teardown']} | {'; '.join(f'{k}: {v}' for k, v in r['interrupted'])} | "
              f"{'ok' if r['passed'] else 'FAILED'} | {r['left']} | {r['seconds']} |" for r in results]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
