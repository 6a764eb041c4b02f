"""streamstack.pipeline.scheduler_schedule against the AWS emulator (moto's EventBridge Scheduler).

Each step is one ansible-playbook run; the schedule is read back with boto3 between runs.
"""
from __future__ import annotations

import json
import uuid

from integration.playbook import run_play

MODULE = "streamstack.pipeline.scheduler_schedule"


def test_a_one_time_schedule_is_created_left_alone_moved_and_deleted_with_its_group(aws_emulator, aws_env,
                                                                                     tmp_path):
    tag = uuid.uuid4().hex[:8]
    name, group = f"ttl-{tag}", f"group-{tag}"
    scheduler = aws_emulator.client("scheduler")
    args = {"name": name, "group_name": group, "at": "2030-01-01T05:00:00Z",
            "target_arn": "arn:aws:scheduler:::aws-sdk:codebuild:startBuild",
            "role_arn": "arn:aws:iam::123456789012:role/ttl-scheduler", "input": {"ProjectName": f"build-{tag}"},
            "tags": {"Project": "streamstack", "Environment": "test"}}
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1"}}

    def run(title, task_args, check_mode=False):
        task = {"name": title, MODULE: task_args, "register": "out", "diff": True, "ignore_errors": True}
        if check_mode:
            task["check_mode"] = True
        _, results, output = run_play(tmp_path, aws_env, [task], name=f"sched-{uuid.uuid4().hex[:6]}",
                                      module_defaults=defaults)
        assert title in results, output[-3000:]
        return results[title]

    def groups():
        return [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]

    plan = run("Create, check mode", args, check_mode=True)
    assert plan.get("changed") and plan["expression"] == "at(2030-01-01T05:00:00)", plan
    assert group not in groups(), "check mode created the group"

    made = run("Create", args)
    assert made.get("changed") and not made.get("failed"), made
    got = scheduler.get_schedule(Name=name, GroupName=group)
    assert got["ScheduleExpression"] == "at(2030-01-01T05:00:00)" and got["ScheduleExpressionTimezone"] == "UTC"
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"} and got["State"] == "ENABLED"
    assert got["Target"]["Arn"] == args["target_arn"] and got["Target"]["RoleArn"] == args["role_arn"]
    assert json.loads(got["Target"]["Input"]) == {"ProjectName": f"build-{tag}"}
    assert got["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    arn = next(g["Arn"] for g in scheduler.list_schedule_groups()["ScheduleGroups"] if g["Name"] == group)
    tags = {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == args["tags"]

    again = run("Create again", args)
    assert not again.get("changed") and not again.get("failed"), again

    moved = run("Move", dict(args, at="2030-01-01T09:30:00Z"))
    assert moved.get("changed") and moved["diff"]["before"]["expression"] == "at(2030-01-01T05:00:00)", moved
    assert moved["diff"]["after"]["expression"] == "at(2030-01-01T09:30:00)"
    assert scheduler.get_schedule(Name=name, GroupName=group)["ScheduleExpression"] == "at(2030-01-01T09:30:00)"
    assert len(scheduler.list_schedules(GroupName=group)["Schedules"]) == 1  # moved, not a second one

    # A re-deploy that moves the expiry re-tags the group (the ExpiresAt the reaper and audits read).
    later_tags = dict(args["tags"], ExpiresAt="2030-01-01T09:30:00Z")
    retag_plan = run("Re-tag, check mode", dict(args, at="2030-01-01T09:30:00Z", tags=later_tags), check_mode=True)
    assert retag_plan.get("changed") and retag_plan["diff"]["after"]["group_tags"] == later_tags, retag_plan
    assert {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]} == args["tags"]
    retagged = run("Re-tag", dict(args, at="2030-01-01T09:30:00Z", tags=later_tags))
    assert retagged.get("changed") and retagged["diff"]["before"]["group_tags"] == args["tags"], retagged
    assert {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]} == later_tags
    assert not run("Re-tag again", dict(args, at="2030-01-01T09:30:00Z", tags=later_tags)).get("changed")
    purged = run("Purge a tag", dict(args, at="2030-01-01T09:30:00Z"))
    assert purged.get("changed"), purged
    assert {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]} == args["tags"]

    bad = run("A time that is not UTC ISO", dict(args, at="tomorrow"))
    assert bad.get("failed") and "is not a UTC time" in bad["msg"], bad

    gone = run("Delete", {"name": name, "group_name": group, "state": "absent"})
    assert gone.get("changed") and not gone.get("failed"), gone
    assert group not in groups()
    assert not run("Delete again", {"name": name, "group_name": group, "state": "absent"}).get("changed")
