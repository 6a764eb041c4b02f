"""The time to live with no AWX and no laptop: deploy (ttl_trigger, on by default) sets, in the
environment's own account and region, an EventBridge Scheduler one-time schedule at the
expiry that starts an AWS CodeBuild build of the project's own reaper.yml for this
environment, from a bundle of the project as deployed, and a topic told when that build
fails; ttl.yml moves it; and its firing tears everything down, the trigger included, also
when its first attempt fails.

The emulator runs no build (CodeBuild's StartBuild only records one, see
harness/emulator/patches/codebuild.py): the firing runs the build's commands as the
build would - read from the buildspec inside the bundle deploy uploaded, with the build
project's environment variables - on this machine against the emulator, on a simulated
clock past the expiry (STREAMSTACK_TTL_NOW, the reaper's ttl_now), with the harness's
variables (the emulator's endpoint, its Kubernetes API server) in
STREAMSTACK_TTL_EXTRA_VARS. The firing that counts meets a fault of the emulator: the load
balancer's network interfaces linger 40 s after it is deleted, longer than the first
attempt waits for them (10 s here), so that attempt fails and the build's next one, 30 s
later, finishes. Everything is read back with boto3, not from the playbooks.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile

import yaml

from integration.awsstate import account_scan, scan_difference
from integration.playbook import ROOT, assert_ok, run_playbook
from integration.stack import harness_vars

ENV = "poc"
EXPIRY, LATER = "2030-01-01T00:00:00Z", "2030-01-01T06:30:00Z"
PREFIX = f"streamstack-{ENV}-ttl"


def test_the_trigger_is_set_moved_and_its_firing_leaves_nothing(aws_emulator, aws_env, tmp_path, kube_cluster,
                                                                  kube_nodes):
    url = aws_emulator.url
    aws_emulator.reset()
    before = account_scan(url)
    kube_nodes("t3.medium", 2, prefix=f"streamstack-{ENV}-nodes")
    extra = {**harness_vars(url, kube_cluster), "stack_outputs_dir": str(tmp_path), "ttl_expires_at": EXPIRY,
             "ttl_trigger_notify_email": "oncall@example.com"}

    deploy = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(deploy, "deploy with an expiry (the trigger on by default)")
    print("deploy's changes:", deploy.changed_tasks())
    scheduler, codebuild, s3, iam, eks = (aws_emulator.client(s) for s in ("scheduler", "codebuild", "s3", "iam", "eks"))

    # -- the schedule: once, at the expiry stamped on the tags, UTC, starting this build --
    schedule = scheduler.get_schedule(Name=PREFIX, GroupName=PREFIX)
    assert schedule["ScheduleExpression"] == "at(2030-01-01T00:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC" and schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"
    assert json.loads(schedule["Target"]["Input"]) == {"ProjectName": f"{PREFIX}-teardown"}
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    group_arn = next(g["Arn"] for g in scheduler.list_schedule_groups()["ScheduleGroups"] if g["Name"] == PREFIX)
    group_tags = {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"]}
    assert group_tags["Environment"] == ENV and group_tags["ExpiresAt"] == EXPIRY

    # -- the build: the bundle of this project, its buildspec, this environment ----------
    project = codebuild.batch_get_projects(names=[f"{PREFIX}-teardown"])["projects"][0]
    assert project["source"]["type"] == "S3" and project["source"]["buildspec"] == "files/ttl/buildspec.yml"
    bucket, key = project["source"]["location"].split("/", 1)
    variables = {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}
    assert variables == {"STREAMSTACK_ENVIRONMENT": ENV, "STREAMSTACK_TTL_ATTEMPTS": "3"}
    assert {t["key"]: t["value"] for t in project["tags"]}["Environment"] == ENV
    bundle = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    manifest = json.loads(bundle.read("ttl/bundle.json"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert manifest["commit"] == head and manifest["inventory"] == f"inventories/{ENV}"
    assert json.loads(bundle.read("ttl/vars.json")) == {"aws_region": "us-east-1", "stack_project": "streamstack",
                                                        "stack_environment": ENV}
    assert bundle.read("files/ttl/buildspec.yml") == (ROOT / "files/ttl/buildspec.yml").read_bytes()

    # -- its roles: one trusted service each, this account only; the build's may reach the cluster --
    role = iam.get_role(RoleName=f"{PREFIX}-teardown")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "codebuild.amazonaws.com"}]
    assert project["serviceRole"] == role["Arn"]
    policy = iam.get_role_policy(RoleName=f"{PREFIX}-teardown", PolicyName="teardown")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    tagged = next(s for s in policy["Statement"] if s["Sid"] == "DeleteWhatCarriesThisEnvironmentsTags")
    assert tagged["Condition"]["StringEquals"] == {"aws:ResourceTag/Project": "streamstack",
                                                   "aws:ResourceTag/Environment": ENV}
    assert role["Arn"] in eks.list_access_entries(clusterName=f"streamstack-{ENV}")["accessEntries"]

    # -- a failed build is told: the rule on its failure, the topic, the e-mail subscription --
    sns, events = aws_emulator.client("sns"), aws_emulator.client("events")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{PREFIX}-failures"))
    assert [(x["Protocol"], x["Endpoint"]) for x in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] \
        == [("email", "oncall@example.com")]
    pattern = json.loads(events.describe_rule(Name=f"{PREFIX}-failures")["EventPattern"])
    assert pattern["detail"] == {"build-status": ["FAILED", "STOPPED", "TIMED_OUT"], "project-name": [f"{PREFIX}-teardown"]}
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=f"{PREFIX}-failures")["Targets"]] == [topic]
    publishers = [st for st in json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
                  if st["Principal"] == {"Service": "events.amazonaws.com"}]
    assert publishers and publishers[0]["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(f":rule/{PREFIX}-failures")

    outputs = json.loads((tmp_path / f"{ENV}.json").read_text())["ttl_trigger"]
    assert outputs["fires_at"] == EXPIRY and outputs["build_project"] == f"{PREFIX}-teardown"
    assert outputs["build_role"] == role["Arn"] and outputs["failures_topic"] == topic
    assert outputs["commit"].startswith(head)

    again = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(again, "deploy again")
    assert again.changed == 0, again.changed_tasks()

    # -- ttl.yml moves the schedule with the expiry, and nothing else --------------------
    moved = run_playbook("ttl.yml", ENV, aws_env, dict(extra, ttl_expires_at=LATER))
    assert_ok(moved, "ttl.yml, a later expiry")
    assert scheduler.get_schedule(Name=PREFIX, GroupName=PREFIX)["ScheduleExpression"] == "at(2030-01-01T06:30:00)"

    # -- firing, before the expiry (a schedule not moved with an extension): nothing goes --
    work = tmp_path / "build"
    bundle.extractall(work)
    fired = fire(work, project, url, kube_cluster, tmp_path, now="2030-01-01T03:00:00Z")
    assert fired.returncode == 0, fired.stdout[-5000:]
    assert scheduler.get_schedule(Name=PREFIX, GroupName=PREFIX)  # still there, and so is the stack
    assert eks.describe_cluster(name=f"streamstack-{ENV}")["cluster"]["status"] == "ACTIVE"

    # -- firing after the expiry, its first attempt failing: the teardown, and the trigger with it --
    aws_emulator.eni_linger(elasticloadbalancing=40)
    try:
        fired = fire(work, project, url, kube_cluster, tmp_path, now="2030-01-01T06:35:00Z",
                     more_vars={"vpc_interfaces_wait_timeout": 10}, retry_delay=30)
    finally:
        aws_emulator.eni_linger()
    assert fired.returncode == 0, fired.stdout[-5000:]
    assert "ttl_teardown: attempt 1 of 3 failed" in fired.stdout, fired.stdout[-5000:]
    assert "ttl_teardown: done (attempt 2 of 3)" in fired.stdout
    left = scan_difference(before, account_scan(url))
    assert left == {}, f"left after the time-to-live build: {left}"
    assert not [t for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{PREFIX}-failures")]
    assert f"{PREFIX}-failures" not in [r["Name"] for r in events.list_rules()["Rules"]]


def fire(work, project, url, kube_cluster, tmp_path, now, more_vars=None, retry_delay=60):
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
