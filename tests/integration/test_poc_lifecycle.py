"""poc's whole life on ONE deployed stack, against the AWS emulator and the harness's
Kubernetes API server (set up as integration/stack.py says).

A full deploy is the expensive unit of this stage, so it is paid once here and
every step that only reads or cycles a deployed stack runs on it, in order:

  1. plan on an empty account, deploy, every resource through the AWS APIs, deploy
     again (changed=0), --check (changed=0), verify, verify failing while Flink is
     stopped                                                   (stack.deploy_and_check)
  2. AWX: the deploy and verify job templates run as AWX runs them (ansible-runner,
     harness/awx_jobs.py) change nothing on the stack; teardown refused without, or
     with a wrong, confirmation
  3. pause --check, pause, pause again (changed=0), resume --check, resume, resume
     again (changed=0), verify
  4. time to live on a simulated clock: a re-deploy stamps the inventory's ttl_hours
     on everything, the reaper before the expiry, extend by re-deploy, cancel, set
     again, the reaper past the expiry tears the whole environment down, the leak
     audit finds nothing billable
  5. AWX's teardown job on what is left: nothing to do (changed=0)

Each step needs the state the one before left, so they run in one test, in this
order, on one pytest-xdist worker; a failure names its step, and each step's time
is printed. Two things the emulator does not do are done here in
AWS's place: EKS's nodes are not EC2 instances in the emulator (step 3 deletes and
re-adds the fake Kubernetes nodes, and starts the instances the node group's Auto
Scaling group would), and it does not terminate them when the node group is
deleted (step 4 does, before the reaper fires).
"""
from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import time
from types import SimpleNamespace

import pytest

from harness import awx
from harness.awx_jobs import JAR, AwxJobs
from integration.awsstate import client, leftovers, tagged_resources
from integration.playbook import ROOT, assert_ok, run_playbook
from integration.stack import EXPIRY_FORMAT, FIXED_EXPIRY, at, deploy_and_check, harness_vars, reaper

ENV = "poc"
APP = CLUSTER = f"streamstack-{ENV}"
NODEGROUP = f"streamstack-{ENV}-nodes"
NODE_TYPE, SIZES = "t3.medium", {"minSize": 2, "desiredSize": 2, "maxSize": 4}
UTC = datetime.timezone.utc


@pytest.fixture
def poc(aws_emulator, kube_cluster, tmp_path):
    """The chain's state: the emulator's endpoint, the variables every step passes, the
    fake nodes and launched instances (removed at the end whatever happened)."""
    aws_emulator.reset()
    chain = SimpleNamespace(url=aws_emulator.url, dir=tmp_path / "outputs", instances=[],
                            nodes=kube_cluster.add_nodes(NODE_TYPE, SIZES["desiredSize"], prefix=NODEGROUP))
    chain.dir.mkdir()
    chain.extra = {**harness_vars(chain.url, kube_cluster), "stack_outputs_dir": str(chain.dir),
                   "ttl_expires_at": FIXED_EXPIRY}
    yield chain
    if chain.instances:
        client("ec2", chain.url).terminate_instances(InstanceIds=chain.instances)
    if chain.nodes:
        kube_cluster.delete_nodes(chain.nodes)


def test_poc_whole_life_on_one_stack(poc, faulted_aws_env, kube_cluster, tmp_path, monkeypatch):
    # Every playbook and AWX job of the chain with 20 % of its AWS calls faulted (conftest.py).
    aws_env = faulted_aws_env
    steps = (("1 plan, deploy, re-deploy, --check, verify",
              lambda: deploy_and_check(ENV, poc.url, aws_env, poc.extra, kube_cluster, poc.dir)),
             ("2 AWX deploy and verify", lambda: step_2_awx_deploy_and_verify(poc, aws_env, tmp_path / "awx-2", monkeypatch)),
             ("3 pause and resume", lambda: step_3_pause_and_resume(poc, aws_env, kube_cluster)),
             ("4 time to live", lambda: step_4_time_to_live(poc, aws_env, kube_cluster)),
             ("5 AWX teardown", lambda: step_5_awx_teardown(poc, aws_env, tmp_path / "awx-5", monkeypatch)))
    for name, run in steps:
        began = time.monotonic()
        print(f"poc lifecycle: step {name} ...", flush=True)
        try:
            run()
        except BaseException as exc:
            exc.add_note(f"in step {name} of the poc lifecycle (tests/integration/test_poc_lifecycle.py)")
            raise
        print(f"poc lifecycle: step {name}: {time.monotonic() - began:.0f} s", flush=True)


def _clean_environ(monkeypatch):
    """AWX builds the job's environment itself: none of the test runner's ANSIBLE_* settings leak in."""
    for key in list(os.environ):
        if key.startswith(("ANSIBLE_", "AWS_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", "%s:%s" % (awx.VENV_BIN, os.environ.get("PATH", "")))


# ------------------------------------------------------------------ 2. AWX
def _awx_jobs(step, aws_env, base):
    credential = {"AWS_ACCESS_KEY_ID": aws_env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": aws_env["AWS_SECRET_ACCESS_KEY"],
                  # The emulator's fake keys must never reach for an instance profile.
                  "AWS_EC2_METADATA_DISABLED": "true"}
    # What the emulator and the harness need is set as inventory variables, where an AWX
    # user would set such things, not as extra variables the templates do not accept.
    inventory_vars = {k: v for k, v in step.extra.items() if k != "stack_outputs_dir"}
    return AwxJobs(base, credential, inventory_vars)


def step_2_awx_deploy_and_verify(step, aws_env, tmp_path, monkeypatch):
    """The deploy and verify job templates, run as AWX runs them, change nothing on the stack."""
    tmp_path.mkdir()
    assert JAR.exists(), "the Flink connector jar is not in .cache/jars: scripts/setup.sh resolves it (the EE carries it)"
    jobs = _awx_jobs(step, aws_env, tmp_path)
    with monkeypatch.context() as patch:  # restored after the step
        _clean_environ(patch)
        _awx_deploy_and_verify(step, jobs, tmp_path)


def _awx_deploy_and_verify(step, jobs, tmp_path):
    deploy = jobs.launch("deploy.yml")
    assert deploy.extra == {"cost_budget_override": "false"}, "the survey's defaults only"
    deploy.assert_ran()
    deploy.assert_nothing_prompted()
    # AWX deploys a commit (its project copy has no .git; awx_project_revision names it): the
    # time-to-live bundle it builds is byte for byte step 1's - unless step 1 deployed a
    # checkout with uncommitted changes or new files; then AWX's replaces it.
    allowed = ["Upload it to the environment's private code bucket (amazon.aws.s3_object)"] if _dirty() else []
    assert deploy.changed_tasks() == allowed, "AWX's deploy changed the stack: %s" % deploy.changed_tasks()
    assert leftovers(step.url, "streamstack", ENV)
    builds = [e for e in deploy.events if e["event"] == "runner_on_ok"
              and e["event_data"].get("task") == "Build the application zip (files/flink/package.py)"]
    assert builds and "--jar" in builds[0]["event_data"]["res"]["cmd"], "the EE's jar, not Maven"
    # The outputs are the job's artifacts (AWX keeps them, a workflow passes them on), not a
    # file in the job's checkout, which AWX deletes (and which would change on every deploy).
    outputs = deploy.stats()["artifact_data"]["stack_outputs"]
    assert outputs["environment"] == ENV and outputs["msk"]["cluster_arn"].startswith("arn:aws:kafka:")
    assert not list((tmp_path / "job-1" / "project").glob("outputs/*.json"))

    verify = jobs.launch("verify.yml")
    verify.assert_ran()
    verify.assert_nothing_prompted()
    assert sum(verify.stats()["changed"].values()) == 0

    # AWX refuses to launch teardown without the typed name; a wrong name stops it before any AWS call.
    with pytest.raises(AssertionError, match="teardown_confirm missing"):
        jobs.launch("teardown.yml")
    wrong = jobs.launch("teardown.yml", {"teardown_confirm": "staging"})
    assert wrong.runner.status == "failed" and "teardown_confirm" in wrong.output
    assert leftovers(step.url, "streamstack", ENV)


# ------------------------------------------------------------------ 3. pause / resume
def step_3_pause_and_resume(step, aws_env, kube_cluster):
    url = step.url
    extra = {**step.extra, "pause_wait_delay": 1}  # the emulator answers at once: poll every second, not every 20
    msf, eks, kafka, ec2, elb = (client(s, url) for s in ("kinesisanalyticsv2", "eks", "kafka", "ec2", "elbv2"))
    deployed = _app(msf)
    assert deployed["ApplicationStatus"] == "RUNNING"
    assert _scaling(eks) == SIZES
    assert msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"] == []
    claims_before = _claims(kube_cluster)
    assert claims_before and set(claims_before.values()) == {"Bound"}

    # -- check mode on the running stack: says what it would do, changes nothing ---------
    plan = run_playbook("pause.yml", ENV, aws_env, extra, check=True)
    assert_ok(plan, "pause --check")
    assert "Check mode: nothing was changed. Pause would:" in plan.output
    assert f"Managed Flink {APP}: stop it (RUNNING now), snapshot first." in plan.output
    assert f"EKS node group {NODEGROUP}: scale from 2/2/4 to 0/0/4" in plan.output
    after_plan = _app(msf)
    assert (after_plan["ApplicationStatus"], after_plan["ApplicationVersionId"]) == ("RUNNING", deployed["ApplicationVersionId"])
    assert _scaling(eks) == SIZES
    assert msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"] == []

    # -- pause ----------------------------------------------------------------------
    pause = run_playbook("pause.yml", ENV, aws_env, extra)
    assert_ok(pause, "pause")
    print(_report(pause))
    paused = _app(msf)
    assert paused["ApplicationStatus"] == "READY", "the Flink application is not stopped"
    assert paused["ApplicationVersionId"] == deployed["ApplicationVersionId"], "pause changed the configuration"
    snapshots = msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"]
    assert [s["SnapshotStatus"] for s in snapshots] == ["READY"], "the stop took no snapshot"
    assert _operations(msf)[-1] == "StopApplication"
    assert _scaling(eks) == {"minSize": 0, "desiredSize": 0, "maxSize": SIZES["maxSize"]}
    ng = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=NODEGROUP)["nodegroup"]
    assert ng["status"] == "ACTIVE" and ng["launchTemplate"]["name"] == NODEGROUP, "pause changed more than the size"
    msk = kafka.list_clusters()["ClusterInfoList"]
    assert [(c["ClusterName"], c["State"]) for c in msk] == [(CLUSTER, "ACTIVE")], "MSK cannot pause and must be left alone"
    # What keeps billing is said plainly, with the paused cost per hour.
    assert f"Paused {ENV}:" in pause.output
    assert ("scaled from 2/2/4 to 0/0/4 (min/desired/max), no node running. Pinot's pods have no node now and wait "
            "Pending; their volume claims and EBS volumes stay, with Pinot's data.") in pause.output
    assert f"resume.yml restores snapshot {snapshots[0]['SnapshotName']}" in pause.output
    assert f"MSK {CLUSTER} (ACTIVE, 2 x kafka.t3.small): an MSK provisioned cluster cannot be" in pause.output
    for billed in ("EKS control plane", "NAT gateways: 1", "Public IPv4 addresses", f"Load balancer {CLUSTER}-pinot:",
                   "EBS volumes of Pinot's claims", "CloudWatch Logs"):
        assert billed in pause.output, billed
    assert re.search(r"Paused cost: \$\d+\.\d\d/h \(about \$\d+/month\)", pause.output), pause.output[-3000:]

    # EKS drains and terminates the nodes: Pinot's pods lose them, their claims stay.
    kube_cluster.delete_nodes(step.nodes)
    step.nodes = []
    _wait(lambda: _pods(kube_cluster) and all(not p["spec"].get("nodeName") for p in _pods(kube_cluster)),
          "Pinot's pods to be Pending without nodes")
    assert _claims(kube_cluster) == claims_before, "a claim (an EBS volume) went with the nodes"

    # -- pause again: nothing to do ---------------------------------------------------
    again = run_playbook("pause.yml", ENV, aws_env, extra)
    assert_ok(again, "second pause")
    assert again.changed == 0, f"second pause changed: {again.changed_tasks()}"
    assert len(msf.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"]) == 1

    # -- resume --check: says what it would do, changes nothing -------------------------
    plan = run_playbook("resume.yml", ENV, aws_env, extra, check=True)
    assert_ok(plan, "resume --check")
    assert "Check mode: nothing was changed. Resume would:" in plan.output
    assert f"EKS node group {NODEGROUP}: scale from 0/0/4 to 2/2/4" in plan.output
    assert f"Managed Flink {APP}: start it" in plan.output
    assert _app(msf)["ApplicationStatus"] == "READY"
    assert _scaling(eks)["desiredSize"] == 0

    # -- resume -------------------------------------------------------------------------
    # The node group's Auto Scaling group launches the nodes: in the emulator, the test does.
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    launched = ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2, InstanceType=NODE_TYPE, SubnetId=ng["subnets"][0],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "eks:cluster-name", "Value": CLUSTER}, {"Key": "eks:nodegroup-name", "Value": NODEGROUP}]}])
    step.instances = instances = sorted(i["InstanceId"] for i in launched["Instances"])
    starts_before = _operations(msf).count("StartApplication")
    resume = run_playbook("resume.yml", ENV, aws_env, extra)
    assert_ok(resume, "resume")
    print(_report(resume))
    assert _scaling(eks) == SIZES
    resumed = _app(msf)
    assert resumed["ApplicationStatus"] == "RUNNING"
    run_config = resumed["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run_config["ApplicationRestoreConfigurationDescription"] == {
        "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}
    assert _operations(msf)[-2:] == ["StopApplication", "StartApplication"]
    assert resumed["ApplicationVersionId"] == deployed["ApplicationVersionId"], "resume changed the configuration"
    assert f"from snapshot {snapshots[0]['SnapshotName']} (the latest)" in resume.output
    # The ALB's target group has the new nodes.
    tg = elb.describe_target_groups(Names=[f"{CLUSTER}-pinot-ctrl"])["TargetGroups"][0]
    targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted((t["Target"]["Id"], t["Target"]["Port"]) for t in targets) == [(i, tg["Port"]) for i in instances]

    # The nodes join: Pinot's pods are scheduled again, on the claims they had.
    step.nodes = kube_cluster.add_nodes(NODE_TYPE, SIZES["desiredSize"], prefix=NODEGROUP)
    _wait(lambda: _pods(kube_cluster) and all(p["spec"].get("nodeName") for p in _pods(kube_cluster)),
          "Pinot's pods to be scheduled on the new nodes")
    assert _claims(kube_cluster) == claims_before

    # -- resume again: nothing to do --------------------------------------------------
    again = run_playbook("resume.yml", ENV, aws_env, extra)
    assert_ok(again, "second resume")
    assert again.changed == 0, f"second resume changed: {again.changed_tasks()}"
    assert _operations(msf).count("StartApplication") == starts_before + 1

    # -- verify: the stack is whole again ---------------------------------------------
    checked = run_playbook("verify.yml", ENV, aws_env, extra)
    assert_ok(checked, "verify after resume")
    assert "The MSK cluster is ACTIVE" in checked.output


# ------------------------------------------------------------------ 4. time to live
# What fires when an environment expires is reaper.yml (an AWX schedule every 15
# minutes, awx/): run here exactly so, with ttl_now set past (or before) the expiry
# instead of waiting hours. test_ttl.py covers a reaper whose teardown fails.
def step_4_time_to_live(step, aws_env, kube_cluster):
    """Stamped by a deploy, the reaper before the expiry, extend, cancel, set again, the reaper past it."""
    url = step.url
    extra = {k: v for k, v in step.extra.items() if k != "ttl_expires_at"}

    # -- a deploy with ttl_hours 5 (the POC inventory's) stamps it on everything --------
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    deploy = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(deploy, "deploy with the inventory's ttl_hours")
    after = datetime.datetime.now(UTC)
    expiry = _parse(re.search(r"Expires at (\S+) \(UTC\)", deploy.output).group(1))
    assert before + datetime.timedelta(hours=5) <= expiry <= after + datetime.timedelta(hours=5)
    values = _expiries(url)
    assert list(values) == [at(expiry)], f"not every resource carries ExpiresAt={at(expiry)}: {values}"
    assert len(values[at(expiry)]) > 30
    assert _fires_at(url) == expiry, "the time-to-live trigger does not fire at the expiry on the tags"

    # -- the reaper before the expiry leaves it alone ------------------------------
    early = reaper(aws_env, extra, expiry - datetime.timedelta(minutes=1))
    assert_ok(early, "reaper before the expiry")
    assert "0 expired" in early.output and early.changed == 0
    assert _expiries(url) == values

    # -- a re-deploy extends it (here to 10 h) ------------------------------------
    redeploy = run_playbook("deploy.yml", ENV, aws_env, {**extra, "ttl_hours": 10})
    assert_ok(redeploy, "re-deploy with ttl_hours=10")
    extended = _parse(re.search(r"Expires at (\S+) \(UTC\)", redeploy.output).group(1))
    assert extended >= expiry + datetime.timedelta(hours=5)
    assert list(_expiries(url)) == [at(extended)]
    assert _fires_at(url) == extended, "a re-deploy did not move the trigger with the expiry"
    past_first = reaper(aws_env, extra, expiry + datetime.timedelta(minutes=1))
    assert_ok(past_first, "reaper past the first expiry")
    assert "0 expired" in past_first.output
    assert leftovers(url, "streamstack", ENV), "the extended environment was torn down"

    # -- a variable cancels it -----------------------------------------------------
    cancel = run_playbook("ttl.yml", ENV, aws_env, {**extra, "ttl_cancel": True})
    assert_ok(cancel, "ttl.yml -e ttl_cancel=true")
    assert list(_expiries(url)) == [None]
    assert _fires_at(url) is None, "ttl_cancel left the trigger's schedule"
    much_later = reaper(aws_env, extra, extended + datetime.timedelta(days=30))
    assert_ok(much_later, "reaper a month later, expiry cancelled")
    assert "0 environment(s) with an expiry" in much_later.output
    assert leftovers(url, "streamstack", ENV)
    again = run_playbook("ttl.yml", ENV, aws_env, {**extra, "ttl_cancel": True})
    assert_ok(again, "ttl.yml cancel again")
    assert again.changed == 0

    # -- set again, then the clock passes it: exactly what would fire ---------------
    restamp = run_playbook("ttl.yml", ENV, aws_env, {**extra, "ttl_expires_at": at(expiry)})
    assert_ok(restamp, "ttl.yml with an absolute expiry")
    values = _expiries(url)
    assert list(values) == [at(expiry)], values  # the trigger, made again, too
    assert _fires_at(url) == expiry
    # Deleting the node group terminates its instances on AWS; the emulator leaves that to the test.
    client("ec2", url).terminate_instances(InstanceIds=step.instances)
    step.instances = []
    reap = reaper(aws_env, extra, expiry + datetime.timedelta(minutes=1))
    assert_ok(reap, "reaper past the expiry")
    assert "1 expired: poc" in reap.output
    assert leftovers(url, "streamstack", ENV) == []
    assert not (step.dir / f"{ENV}.json").exists(), "the reaper's teardown left the outputs file"
    left = kube_cluster.kubectl("get", "pvc,svc,statefulsets", "-n", "pinot", "-o", "name", check=False).stdout.split()
    assert left == [], left
    audit = run_playbook("audit.yml", ENV, aws_env, {"aws_endpoint_url": url})
    assert_ok(audit, "audit after the reaper")
    assert "nothing billable" in audit.output.lower()
    quiet = reaper(aws_env, extra, expiry + datetime.timedelta(hours=1))
    assert_ok(quiet, "reaper with nothing left")
    assert "0 environment(s) with an expiry" in quiet.output


# ------------------------------------------------------------------ 5. AWX teardown
def step_5_awx_teardown(step, aws_env, tmp_path, monkeypatch):
    """AWX's teardown job on what the reaper left (nothing): nothing to do."""
    tmp_path.mkdir()
    jobs = _awx_jobs(step, aws_env, tmp_path)
    with monkeypatch.context() as patch:
        _clean_environ(patch)
        down = jobs.launch("teardown.yml", {"teardown_confirm": ENV})
    down.assert_ran()
    down.assert_nothing_prompted()
    assert sum(down.stats()["changed"].values()) == 0, "teardown with nothing left changed: %s" % down.changed_tasks()
    assert leftovers(step.url, "streamstack", ENV) == []


# ------------------------------------------------------------------ helpers
def _dirty():
    """This checkout differs from its commit, or has files git does not track (the AWX stand-in copies them)."""
    return bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip())


def _parse(text):
    return datetime.datetime.strptime(text, EXPIRY_FORMAT).replace(tzinfo=UTC)


def _fires_at(url):
    """When the time-to-live trigger's one-time schedule fires (UTC), or None without one."""
    scheduler = client("scheduler", url)
    try:
        expression = scheduler.get_schedule(Name=f"{APP}-ttl", GroupName=f"{APP}-ttl")["ScheduleExpression"]
    except scheduler.exceptions.ResourceNotFoundException:
        return None
    return datetime.datetime.strptime(expression, "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC)


def _expiries(url):
    """{ExpiresAt value or None: [kind id, ...]} over every tagged resource of the environment."""
    values = {}
    for kind, items in tagged_resources(url, "streamstack", ENV).items():
        if kind == "msk_configuration":
            continue  # MSK configurations cannot carry tags
        for rid, tags in items:
            values.setdefault(tags.get("ExpiresAt"), []).append(f"{kind} {rid}")
    return values


def _report(run):
    """The pause role's last message (what was paused and what keeps billing, or what runs again)."""
    for task in ("TASK [pause : Say what was paused", "TASK [pause : Say what runs again"):
        start = run.output.find(task)
        if start >= 0 and "skipping:" not in run.output[start:start + 200]:
            return run.output[start:run.output.find("\nTASK", start + 1)]
    return ""


def _app(msf):
    return msf.describe_application(ApplicationName=APP)["ApplicationDetail"]


def _operations(msf):
    """The application's operations, oldest first."""
    ops = msf.list_application_operations(ApplicationName=APP)["ApplicationOperationInfoList"]
    return [o["Operation"] for o in sorted(ops, key=lambda o: o["StartTime"])]


def _scaling(eks):
    return eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=NODEGROUP)["nodegroup"]["scalingConfig"]


def _pods(kube):
    return json.loads(kube.kubectl("get", "pods", "-n", "pinot", "-o", "json").stdout)["items"]


def _claims(kube):
    """{claim name: phase}, with the volume's name, so a new volume shows."""
    items = json.loads(kube.kubectl("get", "pvc", "-n", "pinot", "-o", "json").stdout)["items"]
    return {(c["metadata"]["name"], c["spec"].get("volumeName")): c["status"]["phase"] for c in items}


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
