"""poc's whole life on ONE deployed stack, against the AWS emulator and the harness's
Kubernetes API server (set up as integration/stack.py says).

A full deploy is the expensive unit of this stage, so it is paid once here and
every step that only reads or cycles a deployed stack runs on it, in order:

  1. plan on an empty account, deploy, every resource through the AWS APIs, deploy
     again (changed=0), --check (changed=0), verify, verify failing while Flink is
     stopped                                                   (stack.deploy_and_check);
     the time-to-live trigger as deployed (on by default): its one-time schedule,
     the CodeBuild project and its bundle of the project, their roles, the topic told
     of a failed build, the outputs
  2. AWX: the deploy and verify job templates run as AWX runs them (ansible-runner,
     harness/awx_jobs.py) change nothing on the stack; teardown refused without, or
     with a wrong, confirmation
  3. pause --check, pause, pause again (changed=0), resume --check, resume, resume
     again (changed=0), verify
  4. time to live on a simulated clock: a re-deploy stamps the inventory's ttl_hours
     on everything, the reaper before the expiry, extend by re-deploy, cancel, set
     again; then the trigger fires: before the expiry nothing goes; past it, its
     first attempt failing, the build tears the whole environment down, the trigger
     included; the leak audit finds nothing billable
  5. AWX's teardown job on what is left: nothing to do (changed=0)

Each step needs the state the one before left, so they run in one test, in this
order, on one pytest-xdist worker; a failure names its step, and each step's time
is printed. Two things the emulator does not do are done here in
AWS's place: EKS's nodes are not EC2 instances in the emulator (step 3 deletes and
re-adds the fake Kubernetes nodes, and starts the instances the node group's Auto
Scaling group would), and it does not terminate them when the node group is
deleted (step 4 does, before the trigger fires). The emulator runs no build
(CodeBuild's StartBuild only records one, harness/emulator/patches/codebuild.py): the
firing runs the build's commands as the build would - from the buildspec inside the
bundle deploy uploaded, with the build project's environment variables - on this
machine against the emulator, on a simulated clock (STREAMSTACK_TTL_NOW, the reaper's
ttl_now), with the harness's variables in STREAMSTACK_TTL_EXTRA_VARS. The firing that
counts meets a fault: the load balancer's network interfaces linger 40 s after it is
deleted, longer than the first attempt waits for them (10 s here), so that attempt
fails and the build's next one, 30 s later, finishes.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import re
import subprocess
import time
import zipfile
from types import SimpleNamespace

import pytest
import yaml

from harness import awx
from harness.awx_jobs import JAR, AwxJobs, revision
from integration.awsstate import account_scan, client, leftovers, scan_difference, tag_map, tagged_resources
from integration.playbook import ROOT, assert_ok, run_playbook
from integration.stack import EXPIRY_FORMAT, FIXED_EXPIRY, at, deploy_and_check, harness_vars, reaper

ENV = "poc"
APP = CLUSTER = f"streamstack-{ENV}"
NODEGROUP = f"streamstack-{ENV}-nodes"
NODE_TYPE, SIZES = "t3.medium", {"minSize": 2, "desiredSize": 2, "maxSize": 4}
TTL = f"{APP}-ttl"  # the time-to-live trigger's names
ONCALL = "oncall@example.com"
UTC = datetime.timezone.utc


@pytest.fixture
def poc(aws_emulator, kube_cluster, tmp_path):
    """The chain's state: the emulator's endpoint, the variables every step passes, the
    fake nodes and launched instances (removed at the end whatever happened)."""
    aws_emulator.reset()
    chain = SimpleNamespace(url=aws_emulator.url, emulator=aws_emulator, dir=tmp_path / "outputs", instances=[],
                            before=account_scan(aws_emulator.url),  # the whole account, tagged or not
                            nodes=kube_cluster.add_nodes(NODE_TYPE, SIZES["desiredSize"], prefix=NODEGROUP))
    chain.dir.mkdir()
    chain.extra = {**harness_vars(chain.url, kube_cluster), "stack_outputs_dir": str(chain.dir),
                   "ttl_expires_at": FIXED_EXPIRY, "ttl_trigger_notify_email": ONCALL}
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
             ("1 the time-to-live trigger as deployed", lambda: step_1_the_trigger_as_deployed(poc)),
             ("2 AWX deploy and verify", lambda: step_2_awx_deploy_and_verify(poc, aws_env, tmp_path / "awx-2", monkeypatch)),
             ("3 pause and resume", lambda: step_3_pause_and_resume(poc, aws_env, kube_cluster)),
             ("4 time to live", lambda: step_4_time_to_live(poc, aws_env, kube_cluster, tmp_path)),
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


# ------------------------------------------------------------------ 1. the trigger
def step_1_the_trigger_as_deployed(step):
    """In the environment's own account and region: a one-time schedule at the expiry that
    starts a CodeBuild build of the project's own reaper.yml for this environment, from a
    bundle of the project as deployed, and a topic told when that build fails. Read back
    with boto3, not from the playbooks."""
    expiry = step.extra["ttl_expires_at"]
    scheduler, codebuild, iam, eks, sns, events = (
        client(s, step.url) for s in ("scheduler", "codebuild", "iam", "eks", "sns", "events"))

    # -- the schedule: once, at the expiry stamped on the tags, UTC, starting this build --
    schedule = scheduler.get_schedule(Name=TTL, GroupName=TTL)
    assert schedule["ScheduleExpression"] == "at(%s)" % expiry.rstrip("Z")
    assert schedule["ScheduleExpressionTimezone"] == "UTC" and schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"
    assert json.loads(schedule["Target"]["Input"]) == {"ProjectName": f"{TTL}-teardown"}
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    group_arn = next(g["Arn"] for g in scheduler.list_schedule_groups()["ScheduleGroups"] if g["Name"] == TTL)
    group_tags = tag_map(scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"])
    assert group_tags["Environment"] == ENV and group_tags["ExpiresAt"] == expiry

    # -- the build: the bundle of this project, its buildspec, this environment ----------
    project, bundle = _trigger_build(step.url)
    assert project["source"]["type"] == "S3" and project["source"]["buildspec"] == "files/ttl/buildspec.yml"
    variables = {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}
    assert variables == {"STREAMSTACK_ENVIRONMENT": ENV, "STREAMSTACK_TTL_ATTEMPTS": "3"}
    assert tag_map(project["tags"], "key", "value")["Environment"] == ENV
    manifest = json.loads(bundle.read("ttl/bundle.json"))
    head = revision()
    assert manifest["commit"] == head and manifest["inventory"] == f"inventories/{ENV}"
    assert json.loads(bundle.read("ttl/vars.json")) == {"aws_region": "us-east-1", "stack_project": "streamstack",
                                                        "stack_environment": ENV}
    assert bundle.read("files/ttl/buildspec.yml") == (ROOT / "files/ttl/buildspec.yml").read_bytes()

    # -- its roles: one trusted service each, this account only; the build's may reach the cluster --
    role = iam.get_role(RoleName=f"{TTL}-teardown")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "codebuild.amazonaws.com"}]
    assert project["serviceRole"] == role["Arn"]
    policy = iam.get_role_policy(RoleName=f"{TTL}-teardown", PolicyName="teardown")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    tagged = next(s for s in policy["Statement"] if s["Sid"] == "DeleteWhatCarriesThisEnvironmentsTags")
    assert tagged["Condition"]["StringEquals"] == {"aws:ResourceTag/Project": "streamstack",
                                                   "aws:ResourceTag/Environment": ENV}
    assert role["Arn"] in eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]

    # -- a failed build is told: the rule on its failure, the topic, the e-mail subscription --
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{TTL}-failures"))
    assert [(x["Protocol"], x["Endpoint"]) for x in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] \
        == [("email", ONCALL)]
    pattern = json.loads(events.describe_rule(Name=f"{TTL}-failures")["EventPattern"])
    assert pattern["detail"] == {"build-status": ["FAILED", "STOPPED", "TIMED_OUT"], "project-name": [f"{TTL}-teardown"]}
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=f"{TTL}-failures")["Targets"]] == [topic]
    publishers = [st for st in json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
                  if st["Principal"] == {"Service": "events.amazonaws.com"}]
    assert publishers and publishers[0]["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(f":rule/{TTL}-failures")

    outputs = json.loads((step.dir / f"{ENV}.json").read_text())["ttl_trigger"]
    assert outputs["fires_at"] == expiry and outputs["build_project"] == f"{TTL}-teardown"
    assert outputs["build_role"] == role["Arn"] and outputs["failures_topic"] == topic
    assert outputs["commit"].startswith(head)


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
def step_4_time_to_live(step, aws_env, kube_cluster, tmp_path):
    """Stamped by a deploy, the reaper before the expiry, extend, cancel, set again, the trigger fires."""
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

    # -- the trigger fires before the expiry (a schedule not moved with an extension): nothing goes --
    project, bundle = _trigger_build(url)
    work = tmp_path / "build"
    bundle.extractall(work)
    # The harness's variables reach the build as STREAMSTACK_TTL_EXTRA_VARS; with them, this
    # chain's outputs folder, so its teardown deletes the outputs file a deploy left there.
    outputs = {"stack_outputs_dir": str(step.dir)}
    too_soon = _fire(work, project, url, kube_cluster, tmp_path, now=at(expiry - datetime.timedelta(minutes=1)),
                    more_vars=outputs)
    assert too_soon.returncode == 0, too_soon.stdout[-5000:]
    assert "0 expired" in too_soon.stdout, too_soon.stdout[-3000:]
    assert _fires_at(url) == expiry  # still there, and so is the stack
    assert client("eks", url).describe_cluster(name=CLUSTER)["cluster"]["status"] == "ACTIVE"

    # -- past the expiry, its first attempt failing: the teardown, and the trigger with it --
    # Deleting the node group terminates its instances on AWS; the emulator leaves that to the test.
    client("ec2", url).terminate_instances(InstanceIds=step.instances)
    step.instances = []
    step.emulator.eni_linger(elasticloadbalancing=40)
    try:
        fired = _fire(work, project, url, kube_cluster, tmp_path, now=at(expiry + datetime.timedelta(minutes=1)),
                     more_vars={**outputs, "vpc_interfaces_wait_timeout": 10}, retry_delay=30)
    finally:
        step.emulator.eni_linger()
    assert fired.returncode == 0, fired.stdout[-5000:]
    assert "ttl_teardown: attempt 1 of 3 failed" in fired.stdout, fired.stdout[-5000:]
    assert "ttl_teardown: done (attempt 2 of 3)" in fired.stdout
    assert "1 expired: poc" in fired.stdout
    assert leftovers(url, "streamstack", ENV) == []
    left = scan_difference(step.before, account_scan(url))
    assert left == {}, f"left in the account after the time-to-live build: {left}"
    sns, events = client("sns", url), client("events", url)
    assert not [t for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{TTL}-failures")]
    assert f"{TTL}-failures" not in [r["Name"] for r in events.list_rules()["Rules"]]
    assert not (step.dir / f"{ENV}.json").exists(), "the build's teardown left the outputs file"
    left = kube_cluster.kubectl("get", "pvc,svc,statefulsets", "-n", "pinot", "-o", "name", check=False).stdout.split()
    assert left == [], left
    audit = run_playbook("audit.yml", ENV, aws_env, {"aws_endpoint_url": url})
    assert_ok(audit, "audit after the time-to-live build")
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


def _trigger_build(url):
    """The trigger's CodeBuild project and the bundle it would build (read from S3)."""
    project = client("codebuild", url).batch_get_projects(names=[f"{TTL}-teardown"])["projects"][0]
    bucket, key = project["source"]["location"].split("/", 1)
    body = client("s3", url).get_object(Bucket=bucket, Key=key)["Body"].read()
    return project, zipfile.ZipFile(io.BytesIO(body))


def _fire(work, project, url, kube_cluster, tmp_path, now, more_vars=None, retry_delay=60):
    """The build's commands, as CodeBuild runs them: each phase's in order, in one shell,
    in the source directory, with the project's environment variables."""
    spec = yaml.safe_load((work / project["source"]["buildspec"]).read_text())
    commands = [c for phase in ("install", "pre_build", "build", "post_build")
                for c in spec["phases"].get(phase, {}).get("commands", [])]
    extra_vars = tmp_path / "harness-vars.json"
    extra_vars.write_text(json.dumps({**harness_vars(url, kube_cluster), **(more_vars or {})}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update({v["name"]: v["value"] for v in project["environment"]["environmentVariables"]})
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", CODEBUILD_SRC_DIR=str(work),
               STREAMSTACK_TTL_NOW=now, STREAMSTACK_TTL_EXTRA_VARS=str(extra_vars),
               STREAMSTACK_TTL_RETRY_DELAY=str(retry_delay),
               PATH=f"{kube_cluster.bin_dir}:{env.get('PATH', '')}")
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    proc = subprocess.run(["bash", "-c", script], cwd=work, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=1800)
    print(proc.stdout[-3000:], proc.stderr[-2000:])
    proc.stdout += proc.stderr
    return proc
