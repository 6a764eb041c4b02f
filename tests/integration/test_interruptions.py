"""A run killed half way strands nothing: a deploy interrupted at a random point, then a
deploy to the end (it converges: one VPC, cluster, NAT, application; the next
run changes nothing), a teardown interrupted at another point, and a teardown
to the end leave the emulated account exactly as before the deploy (a scan of every service, tagged or not:
integration/awsstate.py account_scan).

The points are drawn each run from STREAMSTACK_SEED (or at random; the seed is
printed): the deploy gets SIGKILL or SIGINT (Ctrl-C) on its whole process group
right after its n-th change, the teardown the other signal after its m-th
(tests/harness/callbacks/interrupt_after.py). CI runs one such chain; bench/
sweeps the points.
"""
from __future__ import annotations

import os
import random
import re

from integration.awsstate import account_scan, leftovers, scan_difference, tagged_resources
from integration.playbook import assert_ok, interrupted, run_playbook
from integration.stack import FIXED_EXPIRY, ONE_EACH, harness_vars

ENV = "poc"
# Changes of a poc deploy and of its teardown against the emulator, with the time-to-live
# trigger (on by default): 49 and 36 in bench/interruptions.py's sweep of 2026-12-07 (52 on
# a job's first deploy, where more is new: among it the gp3 StorageClass of the harness's
# Kubernetes API server, which outlives a teardown as the EKS cluster's would not, and the
# local outputs folder). The points are drawn up to 49 and 35, so each lands
# inside the run whatever ran before it in the session.
DEPLOY_CHANGES, TEARDOWN_CHANGES = 49, 35


def test_interrupted_deploy_and_teardown_leave_nothing(aws_emulator, aws_env, tmp_path, kube_cluster, kube_nodes):
    seed = int(os.environ.get("STREAMSTACK_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    deploy_at, teardown_at = rng.randint(1, DEPLOY_CHANGES), rng.randint(1, TEARDOWN_CHANGES)
    deploy_sig, teardown_sig = rng.sample(["KILL", "INT"], 2)
    # bench/interruptions.py sweeps the points: "<n>:<KILL|INT>" each.
    if os.environ.get("STREAMSTACK_INTERRUPT_DEPLOY"):
        deploy_at, deploy_sig = _point(os.environ["STREAMSTACK_INTERRUPT_DEPLOY"])
    if os.environ.get("STREAMSTACK_INTERRUPT_TEARDOWN"):
        teardown_at, teardown_sig = _point(os.environ["STREAMSTACK_INTERRUPT_TEARDOWN"])
    print(f"interruptions (seed {seed}, STREAMSTACK_SEED={seed} repeats them): deploy {deploy_sig} after change "
          f"{deploy_at}, teardown {teardown_sig} after change {teardown_at}", flush=True)

    url = aws_emulator.url
    aws_emulator.reset()
    before = account_scan(url)
    kube_nodes("t3.medium", 2, prefix=f"streamstack-{ENV}-nodes")
    extra = {**harness_vars(url, kube_cluster), "stack_outputs_dir": str(tmp_path), "ttl_expires_at": FIXED_EXPIRY}

    rc, where, output = interrupted("deploy.yml", ENV, aws_env, extra, deploy_at, deploy_sig, tmp_path / "deploy.log")
    recap = re.findall(r"^localhost\s+:.*$", output, re.M)
    print(f"deploy interrupted: {where or 'not reached (the run ended first): ' + str(recap)} (rc {rc})", flush=True)
    assert where, f"the deploy ended before its change {deploy_at}: {recap}"
    assert rc != 0, f"the deploy was interrupted but exited 0:\n{output[-3000:]}"
    assert leftovers(url, "streamstack", ENV), "the interrupted deploy created nothing"

    # -- deploy again: it converges, without a second VPC, cluster, NAT or application ------
    again = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(again, "deploy after the interruption")
    made = tagged_resources(url, "streamstack", ENV)
    for kind in ONE_EACH:
        assert len(made[kind]) == 1, f"{kind}: {made[kind]}"
    settled = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(settled, "the deploy after that")
    assert settled.changed == 0, settled.changed_tasks()

    down = dict(extra, teardown_confirm=ENV, teardown_delete_code_bucket=ENV)
    rc, where, output = interrupted("teardown.yml", ENV, aws_env, down, teardown_at, teardown_sig,
                                    tmp_path / "teardown.log")
    recap = re.findall(r"^localhost\s+:.*$", output, re.M)
    print(f"teardown interrupted: {where or 'not reached (the run ended first): ' + str(recap)} (rc {rc})", flush=True)
    assert where and rc != 0, f"the teardown ended before its change {teardown_at}: {recap}"

    final = run_playbook("teardown.yml", ENV, aws_env, down)
    assert_ok(final, "teardown after the interruptions")
    left = scan_difference(before, account_scan(url))
    assert left == {}, f"left in the account after the teardown (seed {seed}): {left}"
    again = run_playbook("teardown.yml", ENV, aws_env, down)
    assert_ok(again, "another teardown")
    assert again.changed == 0, again.changed_tasks()



def _point(text):
    after, _, sig = text.partition(":")
    return int(after), sig.upper() or "KILL"
