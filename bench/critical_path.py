#!/usr/bin/env python3
"""Deploy and teardown against their critical path, for poc and staging.

    .venv/bin/python bench/critical_path.py [--scale 10] [--env poc] [--env staging]

Against the AWS emulator (moto + the harness's patches) and the harness's real
Kubernetes API server, as the integration tests run them. For each inventory:

1. **Latencies off**: deploy, a no-op re-deploy (its wall time is reported), and
   teardown. Each task's own time (the profile_tasks callback) is kept: a task's
   work without any AWS wait.
2. **Latencies on**: every AWS resource takes what it takes on AWS (LATENCY below,
   each with its source), divided by ``--scale``, and so does every poll interval
   of the roles (POLL_VARS): deploy, then teardown; their wall times.
3. The **critical path** of each, from the dependency graph written down below
   (DEPLOY_GRAPH, TEARDOWN_GRAPH: which step truly needs which): a step weighs its
   tasks' time from 1. plus its resource's scaled latency; the critical path is the
   longest chain. ``wall / critical path`` says how much of the run is spent waiting
   on something nothing needed yet (1.00: none).

Writes ``bench/results/critical_path-<UTC stamp>.{md,json}`` and prints the
Markdown: the ratios, then each critical path step by step with its tasks, so a
reader can check it. A benchmark: it reports, it never fails on a target.

What the emulator cannot delay: an ALB's provisioning (moto's load balancers are
active at once), the EKS add-ons (their wait polls 1 s, 2 s, 4 s... in
module_utils/eks.py and is not a variable), IAM propagation, S3. Those are 0 here.
The NAT gateway's wait is amazon.aws's waiter (a fixed 5 s poll), so at large
scale factors it overshoots its scaled latency.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from harness.emulator import Emulator  # noqa: E402
from harness.kube import KubeCluster  # noqa: E402
from integration.playbook import run_playbook  # noqa: E402
from integration.stack import CASES, FIXED_EXPIRY, harness_vars  # noqa: E402

# --------------------------------------------------------------------------- latencies
# Minutes on AWS: (create or start, delete or stop), and where the numbers come from.
LATENCY = {
    "nat": (1.5, 1.0, "NAT gateway: available in 1-2 min (issue 16; AWS VPC guide, 'pending' then "
                      "'available'); deleting: about 1 min (estimate)"),
    "msk": (25.0, 15.0, "MSK provisioned cluster: 20-30 min to create, sometimes ~60 (FACTS.md: community.aws "
                        "msk_cluster notes, terraform-provider-aws#17726); delete 10-20 min (roles/msk estimate)"),
    "eks": (12.5, 5.0, "EKS control plane: 10-15 min to create (FACTS.md, issue 16); delete about 5 min (estimate)"),
    "nodegroup": (4.0, 5.0, "EKS managed node group: 3-5 min to create (issue 16); delete 4-6 min (estimate)"),
    "flink": (3.0, 1.5, "Managed Flink: 2-4 min to start (issue 16); stop with snapshot and delete "
                        "1-2 min (estimate)"),
    "msk_update": (20.0, 0.0, "MSK UpdateSecurity (client authentication): 10-30 min, brokers restarted one "
                              "by one (roles/msk estimate); not a dependency: a cluster created with its "
                              "authentication needs none, so it is a gap when a run makes one"),
    "helm": (4.0, 0.0, "Pinot's pods Ready 3-5 min after scheduling with image pulls (issue 16); "
                       "uninstall not delayed"),
}
# The emulator's state models that carry them: (model, LATENCY key, status whose wait is the delete one).
MODELS = (
    ("ec2::nat_gateway", "nat", "deleting"),
    ("kafka::cluster", "msk", "DELETING"),  # UPDATING: msk_update's create figure, below
    ("eks::cluster", "eks", "DELETING"),
    ("eks::nodegroup", "nodegroup", "DELETING"),
    ("kinesisanalyticsv2::application", "flink", "DELETING"),
)
# The roles' poll intervals (seconds on AWS), scaled like the latencies.
POLL_VARS = {"msk_wait_delay": 30, "eks_wait_delay": 20, "pinot_wait_delay": 5, "flink_app_wait_delay": 10,
             "vpc_nat_wait_delay": 10}

# --------------------------------------------------------------------------- graphs
# step: (what it needs first, latency it waits for (LATENCY key, 0 create / 1 delete) or None).
# The steps are what the playbooks do, cut where a true dependency lies; STEP_OF
# below assigns each task of a run to one of them.
DEPLOY_GRAPH = {
    "preflight": ([], None),                                  # checks, cost, expiry: no AWS call
    "vpc": (["preflight"], None),                             # VPC, subnets, IGW, public routes, CreateNatGateway
    "nat": (["vpc"], ("nat", 0)),                             # the NAT gateway becoming available
    "nat_routes": (["nat"], None),                            # its wait read, EIP tags, the private routes
    "msk_create": (["vpc"], None),                            # group, configuration, logs, CreateCluster
    "msk": (["msk_create"], ("msk", 0)),                      # the brokers coming up
    "msk_wait": (["msk"], None),                              # ACTIVE read, auth reconciled, brokers published
    "eks_cluster": (["vpc"], ("eks", 0)),                     # roles, groups, the control plane
    "eks_nodes": (["eks_cluster", "nat_routes"], ("nodegroup", 0)),  # nodes join through the NAT; add-ons need nodes
    "pinot": (["eks_nodes"], ("helm", 0)),                    # the Helm release, Ready
    "alb": (["pinot", "vpc"], None),                          # targets: the nodes' NodePort
    "topics": (["msk_wait"], None),
    "pinot_tables": (["pinot", "topics"], None),              # a REALTIME table reads its topic
    "flink_code": (["preflight"], None),                      # bucket, zip, role, logs: no network needed
    "flink_app": (["flink_code", "topics", "msk_wait"], ("flink", 0)),  # group to MSK, application, started
    "ttl_apply": (["alb", "pinot_tables", "flink_app", "nat_routes"], None),  # the expiry on everything there is
    "outputs": (["ttl_apply"], None),
}
TEARDOWN_GRAPH = {
    "preflight": ([], None),
    "flink_delete": (["preflight"], ("flink", 1)),            # stop, delete, its group and role
    "msk_delete": (["flink_delete"], None),                   # DeleteCluster, once nothing reads it
    "msk_gone": (["msk_delete"], ("msk", 1)),
    "pinot_delete": (["preflight"], None),                    # release, claims, volumes
    "alb_delete": (["preflight"], None),
    "eks_nodes_delete": (["pinot_delete", "alb_delete"], ("nodegroup", 1)),  # volumes need the CSI driver
    "eks_delete": (["eks_nodes_delete"], ("eks", 1)),
    "msk_rest": (["msk_gone"], None),                         # configuration, group, logs
    # Once Pinot's volumes are deleted (the EBS CSI driver calls EC2 through it) and Flink is gone.
    "nat_delete": (["pinot_delete", "alb_delete", "flink_delete"], ("nat", 1)),
    "vpc_delete": (["eks_delete", "msk_rest", "nat_delete"], None),
    "outputs": (["vpc_delete"], None),                        # outputs file, leak audit
}


def step_of(role: str, task: str, seen: set[str], teardown: bool) -> str:
    """Which graph step a task of the run belongs to (by role, order and name).
    ``seen`` holds the roles met so far and "<role>:<entry point>" for each role
    entry point whose argument validation has run."""
    t = task.lower()
    entry = re.match(r"Validating arguments against arg spec '(\w+)'", task)
    if entry:
        seen.add(f"{role}:{entry.group(1)}")
    if teardown:
        if role in ("preflight", ""):
            return "preflight" if "flink_app" not in seen else "outputs"
        if role == "msk":
            return "msk_rest" if "eks" in seen else "msk_delete"
        if role == "eks":
            return "eks_nodes_delete" if re.search(r"node ?group|nodes|add-on", t) else "eks_delete"
        if role == "vpc":
            return "vpc_delete" if "vpc:main" in seen else "nat_delete"
        return {"flink_app": "flink_delete", "pinot": "pinot_delete", "alb": "alb_delete"}.get(role, "outputs")
    if role in ("preflight", "cost", "ttl", "") and "vpc" not in seen:
        return "preflight"
    if role == "ttl":
        return "ttl_apply"
    if role == "msk":
        return "msk_wait" if "alb" in seen else "msk_create"
    if role == "eks":
        if "topics" in seen:
            return "pinot_tables"  # a fresh token for the Kubernetes API
        return "eks_nodes" if re.search(r"node ?group|nodes|add-on|launch template", t) else "eks_cluster"
    if role == "flink_app":
        return "flink_app" if "flink_app:application" in seen else "flink_code"
    if role == "vpc":
        return "nat_routes" if "vpc:nat" in seen else "vpc"
    if role in ("pinot", "alb", "topics", "pinot_tables"):
        return role
    return "outputs"


# --------------------------------------------------------------------------- runs
_TASK = re.compile(r"^TASK \[(?:(?P<role>[\w.]+) : )?(?P<name>.*?)\] \*+$")
_TIME = re.compile(r"\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)\s+(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def task_times(output: str) -> list[tuple[str, str, float]]:
    """[(role, task, seconds)] in run order, from profile_tasks' line under each TASK."""
    tasks: list[list] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = _TASK.match(line)
        if not m:
            continue
        timing = _TIME.search(lines[i + 1]) if i + 1 < len(lines) else None
        if timing and tasks:  # the bracket is the previous task's duration
            h, mi, s = int(timing.group(1)), int(timing.group(2)), float(timing.group(3))
            tasks[-1][2] = h * 3600 + mi * 60 + s
        tasks.append([m.group("role") or "", m.group("name"), 0.0])
    recap = re.search(r"^TASKS RECAP.*\n.*\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)", output, re.M)
    if recap and tasks:
        tasks[-1][2] = int(recap.group(1)) * 3600 + int(recap.group(2)) * 60 + float(recap.group(3))
    return [tuple(t) for t in tasks]


def step_work(output: str, teardown: bool) -> dict[str, list[tuple[str, float]]]:
    """{step: [(task, seconds)]} of a latency-free run."""
    work: dict[str, list[tuple[str, float]]] = {}
    seen: set[str] = set()
    for role, task, seconds in task_times(output):
        work.setdefault(step_of(role, task, seen, teardown), []).append((f"{role} : {task}" if role else task, seconds))
        seen.add(role)
    return work


def critical_path(graph, work, latency_s):
    """(length, [(step, work s, latency s)]) of the longest chain through the graph."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}

    def weight(step):
        lat = graph[step][1]
        return sum(s for _, s in work.get(step, [])), (latency_s[lat[0]][lat[1]] if lat else 0.0)

    def visit(step):
        if step in finish:
            return finish[step]
        deps = graph[step][0]
        start, prev = 0.0, None
        for dep in deps:
            if visit(dep) > start:
                start, prev = finish[dep], dep
        finish[step] = start + sum(weight(step))
        via[step] = prev
        return finish[step]

    end = max(graph, key=visit)
    path, step = [], end
    while step:
        path.append((step, *weight(step)))
        step = via[step]
    return finish[end], list(reversed(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="AWS's latencies and poll intervals divided by this")
    parser.add_argument("--env", action="append", choices=sorted(CASES), help="inventory (default: poc and staging)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    envs = args.env or ["poc", "staging"]
    latency_s = {k: (c * 60 / args.scale, d * 60 / args.scale) for k, (c, d, _) in LATENCY.items()}
    polls = {k: max(1, round(v / args.scale)) for k, v in POLL_VARS.items()}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aws_env = emulator_env()
    results = {"stamp": stamp, "scale": args.scale, "latency_s": latency_s, "poll_vars": polls,
               "latency_sources": {k: v[2] for k, v in LATENCY.items()}, "cpus": os.cpu_count(), "envs": {}}
    work_dir = Path(tempfile.mkdtemp(prefix="critical-path-"))
    emulator = Emulator.start()
    try:
        for env in envs:
            results["envs"][env] = run_env(env, emulator, aws_env, work_dir, latency_s, polls)
    finally:
        emulator.stop()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"critical_path-{stamp}.json").write_text(json.dumps(results, indent=1))
    report = markdown(results)
    (out / f"critical_path-{stamp}.md").write_text(report)
    print(report)
    return 0


def emulator_env():
    """os.environ without AWS or Ansible settings, with the emulator's test credentials:
    the environment of every playbook the benches run."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))},
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}


def timed_playbook(env, label, name, aws_env, extra, work_dir, timeout=3600):
    """Run one playbook of the inventory, its log in work_dir; stop the bench if it fails.
    Returns (run, wall seconds). Shared with noop_redeploy.py."""
    began = time.monotonic()
    run = run_playbook(name, env, aws_env, extra, timeout=timeout)
    wall = time.monotonic() - began
    (work_dir / f"{env}-{label}.log").write_text(run.output)
    print(f"{env} {label}: rc={run.rc} changed={run.changed} {wall:.1f} s", flush=True)
    if run.rc != 0:
        raise SystemExit(f"{env} {label} failed (log {work_dir / f'{env}-{label}.log'}):\n{run.output[-4000:]}")
    return run, wall


def run_env(env, emulator, aws_env, work_dir, latency_s, polls):
    node_type, (_, desired, _) = CASES[env][4], CASES[env][5]
    found: dict = {}

    def playbook(kube, label, name, extra):
        return timed_playbook(env, label, name, aws_env, extra, work_dir)

    for latencies in (False, True):
        emulator.reset()
        for model, key, delete_status in MODELS:
            if latencies:
                create, delete = latency_s[key]
                per_status = {delete_status: delete}
                if key == "msk":
                    per_status["UPDATING"] = latency_s["msk_update"][0]
                emulator.set_transition(model, "time", seconds=create, per_status=per_status)
            else:
                emulator.unset_transition(model)
        delay_ms = int(latency_s["helm"][0] * 1000) if latencies else 0
        kube = KubeCluster.start(work_dir / f"kube-{env}-{int(latencies)}", pod_ready_delay_ms=delay_ms)
        try:
            kube.add_nodes(node_type, desired, prefix=f"streamstack-{env}-nodes")
            extra = {**harness_vars(emulator.url, kube), "stack_outputs_dir": str(work_dir),
                     "ttl_expires_at": FIXED_EXPIRY}
            if latencies:
                extra.update(polls)
            down_extra = {**extra, "teardown_confirm": env, "teardown_delete_code_bucket": env}
            if not latencies:
                run, found["deploy_work_wall"] = playbook(kube, "deploy-nolatency", "deploy.yml", extra)
                found["deploy_work"] = step_work(run.output, teardown=False)
                run, found["noop_redeploy"] = playbook(kube, "redeploy-noop", "deploy.yml", extra)
                found["noop_changed"] = run.changed
                run, found["teardown_work_wall"] = playbook(kube, "teardown-nolatency", "teardown.yml", down_extra)
                found["teardown_work"] = step_work(run.output, teardown=True)
            else:
                run, found["deploy_wall"] = playbook(kube, "deploy", "deploy.yml", extra)
                found["deploy_timeline"] = task_times(run.output)
                run, found["teardown_wall"] = playbook(kube, "teardown", "teardown.yml", down_extra)
                found["teardown_timeline"] = task_times(run.output)
        finally:
            kube.stop()
    for kind, graph in (("deploy", DEPLOY_GRAPH), ("teardown", TEARDOWN_GRAPH)):
        length, path = critical_path(graph, found[f"{kind}_work"], latency_s)
        found[f"{kind}_critical_path"] = length
        found[f"{kind}_path"] = path
        found[f"{kind}_ratio"] = found[f"{kind}_wall"] / length
    for model, *_ in MODELS:
        emulator.unset_transition(model)
    return found


def markdown(results):
    lines = [f"# Deploy and teardown against the critical path ({results['stamp']})", "",
             f"Scale: AWS's latencies and the roles' poll intervals ÷ {results['scale']:g}; {results['cpus']} cores. "
             "Latencies (s, scaled: create / delete):", ""]
    for key, (create, delete) in results["latency_s"].items():
        lines.append(f"- `{key}` {create:.1f} / {delete:.1f} — {results['latency_sources'][key]}")
    lines += ["", f"Poll intervals: {', '.join(f'`{k}`={v}' for k, v in results['poll_vars'].items())}", "",
              "| inventory | deploy wall | deploy critical path | ratio | teardown wall | teardown critical path | ratio "
              "| no-op re-deploy (latencies off) |",
              "|---|---|---|---|---|---|---|---|"]
    for env, r in results["envs"].items():
        lines.append(f"| {env} | {r['deploy_wall']:.1f} s | {r['deploy_critical_path']:.1f} s | "
                     f"**{r['deploy_ratio']:.3f}** | {r['teardown_wall']:.1f} s | {r['teardown_critical_path']:.1f} s | "
                     f"**{r['teardown_ratio']:.3f}** | {r['noop_redeploy']:.1f} s (changed={r['noop_changed']}) |")
    for env, r in results["envs"].items():
        for kind in ("deploy", "teardown"):
            lines += ["", f"## {env} {kind}: the critical path, step by step", "",
                      "| step | its tasks (latency-free run) | tasks s | AWS latency s | ends at s |", "|---|---|---|---|---|"]
            at = 0.0
            for step, work_s, lat_s in r[f"{kind}_path"]:
                at += work_s + lat_s
                tasks = r[f"{kind}_work"].get(step, [])
                names = "; ".join(f"{name} ({sec:.2f})" for name, sec in tasks) or "–"
                lines.append(f"| {step} | {names} | {work_s:.1f} | {lat_s:.1f} | {at:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
