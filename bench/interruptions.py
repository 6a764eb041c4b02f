#!/usr/bin/env python3
"""Sweep every interruption point of a poc deploy and of its teardown.

Deploy: for every change n of a full deploy and each signal (SIGKILL, SIGINT as
Ctrl-C sends it), on an empty emulated account: the deploy interrupted right
after its n-th change, then teardown.yml to the end, then a scan of the whole
account (every service, tagged or not) against its state before. Expected:
nothing left.

Teardown: for each signal, a chain on a fully deployed poc. teardown.yml is run
again and again, each run interrupted right after its first change. A re-run
changes nothing that an earlier run finished (every teardown is idempotent, the
tests check changed=0), so run m is interrupted right after the teardown's m-th
change: the chain visits every point, and each run is the "run it again" after
the interruption before it. The chain ends with a run that has nothing left to
change; the account is scanned then, the chain's points are compared with the
changes of an uninterrupted teardown, and one more teardown must change nothing.

tests/integration/test_interruptions.py runs one random pair of points (deploy
and teardown, with the re-deploy's convergence) in CI; this is the full sweep.

    .venv/bin/python bench/interruptions.py [--deploy 1-43] [--signals KILL,INT] [--teardown-chains]
                                            [--jobs 2]
    (--deploy 1,9,17 picks points, --deploy "" none)

Each job starts its own emulator and Kubernetes API server and takes the next
point when it is free. Writes bench/results/interruptions-<UTC time>.{json,md}
after each point (a sweep cut short keeps what it did). About 90 s a deploy point
and 15 min a teardown chain on 2 cores.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

ENV = "poc"


def span(text):
    """'1-43' or '1,8,15-17' -> the points, in order; '' -> none."""
    points = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        points += range(int(low), int(high or low) + 1)
    return points


# ---------------------------------------------------------------- one job
class Job:
    """An emulator and a Kubernetes API server of its own, and the runs of one point at a time."""

    def __init__(self, work):
        from critical_path import emulator_env
        from harness.emulator import Emulator
        from harness.kube import KubeCluster
        from integration.stack import CASES, FIXED_EXPIRY, harness_vars

        self.work = work
        self.emulator = Emulator.start(timeout=30)
        self.kube = KubeCluster.start(work / "kube")
        node_type, (_, desired, _) = CASES[ENV][4], CASES[ENV][5]
        self.kube.add_nodes(node_type, desired, prefix=f"streamstack-{ENV}-nodes")
        self.aws_env = emulator_env()
        self.extra = {**harness_vars(self.emulator.url, self.kube), "stack_outputs_dir": str(work),
                      "ttl_expires_at": FIXED_EXPIRY}
        self.down = dict(self.extra, teardown_confirm=ENV, teardown_delete_code_bucket=ENV)

    def stop(self):
        self.kube.stop()
        self.emulator.stop()

    def _fresh(self):
        from integration.awsstate import account_scan

        self.emulator.reset()
        # What a failed point may have left in Kubernetes must not reach the next one.
        self.kube.kubectl("delete", "namespace", f"streamstack-{ENV}", "--ignore-not-found", "--wait=true",
                          "--timeout=120s", check=False)
        return account_scan(self.emulator.url)

    def _play(self, playbook, extra):
        from integration.playbook import run_playbook

        return run_playbook(playbook, ENV, self.aws_env, extra, timeout=1800)

    def _left(self, before):
        from integration.awsstate import account_scan, scan_difference

        return scan_difference(before, account_scan(self.emulator.url))

    def deploy_point(self, after, sig):
        from integration.playbook import interrupted

        before = self._fresh()
        rc, where, output = interrupted("deploy.yml", ENV, self.aws_env, self.extra, after, sig,
                                        self.work / "interrupt.log", timeout=1800)
        result = {"kind": "deploy", "point": f"{after}:{sig}", "interrupted": where, "rc": rc,
                  "harness": re.findall(r"^\[harness\] (.*)$", output, re.M)}
        if not where:
            recap = re.findall(r"^localhost\s+:.*$", output, re.M)
            return dict(result, passed=False, left="not run",
                        failure=f"the deploy ended before its change {after} (rc {rc}): {recap}")
        down = self._play("teardown.yml", self.down)
        left = self._left(before)
        failure = "" if down.rc == 0 else f"teardown failed (rc {down.rc}):\n{down.output[-2000:]}"
        if left:
            failure += f"\nleft: {left}"
        return dict(result, passed=not failure, left=left or "nothing", failure=failure.strip())

    def teardown_chain(self, sig):
        from integration.playbook import interrupted

        before = self._fresh()
        result = {"kind": "teardown", "point": f"chain:{sig}", "links": []}
        deploy = self._play("deploy.yml", self.extra)
        if deploy.rc != 0:
            return dict(result, passed=False, left="not run", failure=f"deploy failed:\n{deploy.output[-2000:]}")
        end, output = None, ""
        for link in range(1, 200):
            began = time.monotonic()
            rc, where, output = interrupted("teardown.yml", ENV, self.aws_env, self.down, 1, sig,
                                            self.work / "interrupt.log", timeout=1800)
            if not where:  # nothing left to change: the run went to its end
                end = rc
                break
            task = where.split(" ", 2)[2]
            result["links"].append({"point": link, "task": task, "rc": rc, "seconds": round(time.monotonic() - began),
                                    "harness": re.findall(r"^\[harness\] (.*)$", output, re.M)})
            print(f"  teardown chain {sig}: point {link} {task} (rc {rc})", file=sys.stderr, flush=True)
        failure = "" if end == 0 else f"the chain's last teardown failed (rc {end}):\n{output[-2000:]}"
        left = self._left(before)
        if left:
            failure += f"\nleft: {left}"
        again = self._play("teardown.yml", self.down)
        if again.rc != 0 or again.changed:
            failure += f"\nanother teardown: rc {again.rc}, changed {again.changed_tasks()}"
        # The points the chain visited are an uninterrupted teardown's changes, in order.
        self._fresh()
        straight_up = self._play("deploy.yml", self.extra)
        straight = self._play("teardown.yml", self.down)
        changes = straight.changed_tasks() if straight.rc == 0 and straight_up.rc == 0 else None
        visited = [link["task"] for link in result["links"]]
        if changes is None:
            failure += "\nthe uninterrupted deploy and teardown (for the list of changes) failed"
        elif _dedupe(changes) != _dedupe(visited):
            failure += f"\nthe chain visited {visited}, an uninterrupted teardown changes {changes}"
        return dict(result, passed=not failure, left=left or "nothing", failure=failure.strip(),
                    straight_changes=changes)


def _dedupe(names):
    """Task names in order, a loop's repeated items once (the callback counts a task, not an item)."""
    out = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def run_job():
    """A job: reads points as JSON lines on stdin, answers each with a JSON line on stdout."""
    # The answers go to the parent on a copy of stdout; anything else printed (by the
    # harness or the servers it starts, which inherit fd 1) goes to stderr.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    work = Path(tempfile.mkdtemp(prefix="interruptions-"))
    job = Job(work)
    print(json.dumps({"ready": True}), file=answers, flush=True)
    try:
        for line in sys.stdin:
            unit = json.loads(line)
            began = time.monotonic()
            try:
                if unit["kind"] == "deploy":
                    result = job.deploy_point(unit["after"], unit["sig"])
                else:
                    result = job.teardown_chain(unit["sig"])
            except BaseException as exc:  # pytest.fail's Failed is a BaseException: report, go on
                if isinstance(exc, KeyboardInterrupt):
                    raise
                result = {"kind": unit["kind"], "point": unit.get("label", "?"), "passed": False,
                          "left": "see failure", "failure": f"{type(exc).__name__}: {str(exc)[-2000:]}"}
            result["seconds"] = round(time.monotonic() - began)
            print(json.dumps(result), file=answers, flush=True)
    finally:
        job.stop()


# ---------------------------------------------------------------- the sweep
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deploy", default="1-43")
    parser.add_argument("--signals", default="KILL,INT")
    parser.add_argument("--teardown-chains", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="write one report from the results of several sweeps (e.g. one cut short and "
                             "its rest); the latest result of each point wins")
    args = parser.parse_args(argv)
    if args.job:
        run_job()
        return 0
    if args.merge:
        return merge(args.merge)
    signals = [s.strip().upper() for s in args.signals.split(",") if s.strip()]
    # The longest first, so no job is left alone with one at the end.
    units = [{"kind": "teardown", "sig": s, "label": f"chain:{s}"} for s in signals if args.teardown_chains]
    units += [{"kind": "deploy", "after": n, "sig": s, "label": f"{n}:{s}"}
              for n in sorted(span(args.deploy), reverse=True) for s in signals]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"interruptions-{stamp}"
    out.parent.mkdir(exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    began = time.monotonic()
    jobs = [subprocess.Popen([sys.executable, __file__, "--job"], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
            for _ in range(max(1, min(args.jobs, len(units))))]
    results, queue, busy = [], list(units), {}
    try:
        for job in jobs:
            assert json.loads(job.stdout.readline()).get("ready"), "a job did not start"
        import selectors

        sel = selectors.DefaultSelector()
        for job in jobs:
            sel.register(job.stdout, selectors.EVENT_READ, job)

        def hand(job):
            if queue:
                unit = queue.pop(0)
                busy[job] = unit
                job.stdin.write(json.dumps(unit) + "\n")
                job.stdin.flush()
            else:  # nothing left for it: it ends, and its end is not a death
                busy.pop(job, None)
                sel.unregister(job.stdout)
                job.stdin.close()

        for job in jobs:
            hand(job)
        while busy:
            for key, _ in sel.select():
                job = key.data
                line = job.stdout.readline()
                if not line:
                    raise RuntimeError(f"a job died while on {busy.get(job)}")
                result = json.loads(line)
                results.append(result)
                print(f"{result['kind']:>8} {result['point']:>10}: {'ok' if result['passed'] else 'FAILED'} "
                      f"left {result['left']} ({result['seconds']} s)", flush=True)
                write(out, results, units, stamp, commit, time.monotonic() - began, len(jobs))
                hand(job)
    finally:
        for job in jobs:
            if job.poll() is None:
                if not job.stdin.closed:
                    job.stdin.close()
                try:
                    job.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    job.kill()
    print(f"{sum(r['passed'] for r in results)}/{len(results)} points passed; {out}.md")
    return 0 if len(results) == len(units) and all(r["passed"] for r in results) else 1


def merge(paths):
    """One report from several sweeps' JSON results (a later file's result of a point wins)."""
    by_point = {}
    for path in paths:
        for result in json.loads(Path(path).read_text()):
            by_point[(result["kind"], result["point"])] = result
    results = list(by_point.values())
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"interruptions-{stamp}"
    commits = []
    for path in paths:
        header = Path(path).with_suffix(".md").read_text().splitlines()[0] if Path(path).with_suffix(".md").exists() else ""
        found = re.search(r"\(commit (\w+)", header)
        commits.append(f"{Path(path).stem} at {found.group(1) if found else '?'}")
    write(out, results, results, stamp, "merged from " + "; ".join(commits), sum(r["seconds"] for r in results), 0)
    print(f"{sum(r['passed'] for r in results)}/{len(results)} runs passed; {out}.md")
    return 0 if all(r["passed"] or _beyond(r) for r in results) else 1


def _notes(result):
    """What the harness had to do beyond the one signal (a second Ctrl-C, stragglers killed)."""
    return "".join(f" ({note})" for note in result.get("harness") or [])


def _beyond(result):
    """A deploy point past the deploy's last change: not an interruption point of this deploy."""
    return result["kind"] == "deploy" and result.get("failure", "").startswith("the deploy ended before its change")


def _order(result):
    if result["kind"] == "teardown":
        return (1, result["point"], 0)
    after, _, sig = result["point"].partition(":")
    return (0, int(after), sig)


def write(out, results, units, stamp, commit, wall, jobs):
    results = sorted(results, key=_order)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    beyond = [r for r in results if _beyond(r)]
    deploys = [r for r in results if r["kind"] == "deploy" and not _beyond(r)]
    chains = [r for r in results if r["kind"] == "teardown"]
    points = len(deploys) + sum(len(c.get("links", [])) for c in chains)
    lines = [f"# Interruption sweep {stamp} (commit {commit}, {os.cpu_count()} cores"
             + (f", {jobs} jobs)" if jobs else ")"), "",
             f"{len(results)} of {len(units)} planned runs done in {wall / 60:.0f} min"
             + (" of runs" if not jobs else "") + f", {sum(r['passed'] for r in results)} passed"
             + (f", {len(beyond)} planned past the deploy's last change (below)" if beyond else "")
             + f", {sum(not r['passed'] and not _beyond(r) for r in results)} failed; {points} interruption points. "
             "'left' is a scan of the whole emulated account (every service, tagged or not: "
             "tests/integration/awsstate.py account_scan) after the final teardown, against the scan before the deploy.",
             "", "## Deploy interrupted after its n-th change, then teardown.yml", "",
             "| point | interrupted at | rc | result | left | s |", "|---|---|---:|---|---|---:|"]
    lines += [f"| {r['point']} | {r.get('interrupted', '')}{_notes(r)} | {r.get('rc', '')} | "
              f"{'ok' if r['passed'] else 'FAILED'} | {r['left']} | {r['seconds']} |" for r in deploys]
    if beyond:
        made = sorted({m for r in beyond for m in re.findall(r"changed=(\d+)", r.get("failure", ""))})
        lines += ["", f"Planned but past the deploy's last change (it made {' or '.join(made)} changes here: the "
                  "points were planned from an older count), so not interruption points of this deploy: "
                  + ", ".join(r["point"] for r in beyond) + "."]
    for chain in chains:
        lines += ["", f"## Teardown chain, {chain['point'].split(':')[1]}: each run interrupted after its first "
                  "change, so run m after the teardown's m-th", "",
                  f"Result: {'ok' if chain['passed'] else 'FAILED'}, left {chain['left']}, {chain['seconds']} s; "
                  f"an uninterrupted teardown changes {len(_dedupe(chain.get('straight_changes') or []))} tasks "
                  f"({len(chain.get('straight_changes') or [])} with each loop item apart), the points below "
                  "in the same order.", "",
                  "| point | interrupted at (task) | rc | s |", "|---:|---|---:|---:|"]
        lines += [f"| {link['point']} | {link['task']}{_notes(link)} | {link['rc']} | {link['seconds']} |"
                  for link in chain.get("links", [])]
    failed = [r for r in results if not r["passed"] and not _beyond(r)]
    if failed:
        lines += ["", "## Failures", ""]
        for r in failed:
            lines += [f"### {r['kind']} {r['point']}", "", "```", r.get("failure", ""), "```", ""]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
