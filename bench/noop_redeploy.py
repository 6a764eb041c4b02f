#!/usr/bin/env python3
"""What a deploy that has nothing to do costs: poc (or staging) deployed into the AWS
emulator and the harness's Kubernetes API server, then deployed again N times.

The no-op runs alternate between the executors compared (--strategies: by default the
project's, ansible.cfg's streamstack_linear, which Mitogen runs, and Ansible's stock
linear, a new Python per task, as where Mitogen is not installed), so both share the
machine's conditions; the ratio of their medians is taken in this one run.

Prints each no-op run's wall time and changed count, and where the project's median run
spent its time: per role, the tasks and the seconds, the tasks over 0.3 s (AWS and
Kubernetes calls) counted apart. Writes bench/results/noop-<env>-<UTC time>.{json,md}.

    .venv/bin/python bench/noop_redeploy.py [--env poc] [--runs 3] [--strategies streamstack_linear,linear]

About 5 minutes for poc on 2 cores (a deploy, the no-op runs, a teardown).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from critical_path import emulator_env, task_times, timed_playbook  # noqa: E402
from harness.emulator import Emulator  # noqa: E402
from harness.kube import KubeCluster  # noqa: E402
from integration.stack import CASES, FIXED_EXPIRY, harness_vars  # noqa: E402

CALL = 0.3  # seconds: a task this long made a call (a module run of Python + boto3 is 0.5-0.9 s)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="poc", choices=sorted(CASES))
    parser.add_argument("--runs", type=int, default=3, help="no-op runs per executor")
    parser.add_argument("--strategies", default="streamstack_linear,linear",
                        help="executors (ANSIBLE_STRATEGY) to compare; the first is reported in detail")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    env = args.env
    aws_env = emulator_env()
    work = Path(tempfile.mkdtemp(prefix="noop-"))
    node_type, (_, desired, _) = CASES[env][4], CASES[env][5]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    emulator = Emulator.start()
    kube = KubeCluster.start(work / "kube")
    strategies = args.strategies.split(",")
    runs = {strategy: [] for strategy in strategies}
    try:
        kube.add_nodes(node_type, desired, prefix=f"streamstack-{env}-nodes")
        extra = {**harness_vars(emulator.url, kube), "stack_outputs_dir": str(work), "ttl_expires_at": FIXED_EXPIRY}

        def playbook(label, name, more=None, strategy=strategies[0]):
            return timed_playbook(env, label, name, {**aws_env, "ANSIBLE_STRATEGY": strategy},
                                  {**extra, **(more or {})}, work, timeout=1800)

        playbook("deploy", "deploy.yml")
        for i in range(args.runs):
            for strategy in strategies:
                run, wall = playbook(f"noop-{strategy}-{i + 1}", "deploy.yml", strategy=strategy)
                runs[strategy].append({"wall": round(wall, 1), "changed": run.changed, "tasks": task_times(run.output)})
        playbook("teardown", "teardown.yml", {"teardown_confirm": env, "teardown_delete_code_bucket": env})
    finally:
        kube.stop()
        emulator.stop()
    medians = {strategy: sorted(rs, key=lambda r: r["wall"])[len(rs) // 2] for strategy, rs in runs.items()}
    median = medians[strategies[0]]
    roles: dict[str, dict] = {}
    for role, task, seconds in median["tasks"]:
        row = roles.setdefault(role or "(play)", {"tasks": 0, "seconds": 0.0, "calls": 0, "call_seconds": 0.0})
        row["tasks"] += 1
        row["seconds"] += seconds
        if seconds >= CALL:
            row["calls"] += 1
            row["call_seconds"] += seconds
    result = {"stamp": stamp, "env": env, "cpus": os.cpu_count(), "strategies": strategies,
              "walls": {s: [r["wall"] for r in rs] for s, rs in runs.items()},
              "changed": {s: [r["changed"] for r in rs] for s, rs in runs.items()},
              "median_wall": {s: m["wall"] for s, m in medians.items()}, "roles": roles,
              "median_tasks": median["tasks"]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"# No-op re-deploy of {env} ({stamp}, {os.cpu_count()} cores)", "",
             "| executor (ANSIBLE_STRATEGY) | runs (s) | changed | median | ÷ first |", "|---|---|---|---:|---:|"]
    for strategy in strategies:
        lines.append(f"| {strategy} | {', '.join(f'{w:.1f}' for w in result['walls'][strategy])} | "
                     f"{result['changed'][strategy]} | **{medians[strategy]['wall']:.1f} s** | "
                     f"{medians[strategy]['wall'] / median['wall']:.2f} |")
    lines += ["", f"{strategies[0]}'s median run: {len(median['tasks'])} tasks, "
              f"{sum(r['calls'] for r in roles.values())} of them over {CALL} s.", "",
              "| role | tasks | s | tasks over 0.3 s | their s |", "|---|---:|---:|---:|---:|"]
    for role, row in sorted(roles.items(), key=lambda kv: -kv[1]["seconds"]):
        lines.append(f"| {role} | {row['tasks']} | {row['seconds']:.1f} | {row['calls']} | {row['call_seconds']:.1f} |")
    lines += ["", "Tasks over 0.3 s, in run order:", ""]
    lines += [f"- {seconds:.2f} s {role} : {task}" for role, task, seconds in median["tasks"] if seconds >= CALL]
    report = "\n".join(lines) + "\n"
    (out / f"noop-{env}-{stamp}.json").write_text(json.dumps(result, indent=1))
    (out / f"noop-{env}-{stamp}.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
