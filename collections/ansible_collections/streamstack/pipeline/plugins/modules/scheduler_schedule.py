#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scheduler_schedule
short_description: A one-time Amazon EventBridge Scheduler schedule, in a tagged schedule group of its own
version_added: 0.9.0
description:
  - Reads the group and the schedule first, then makes them what is asked.
    B(Present) - C(CreateScheduleGroup) (tagged) when missing, else its tags made O(tags)
    (C(TagResource), C(UntagResource) with O(purge_tags)); C(CreateSchedule) when the
    schedule is missing, C(UpdateSchedule) when its time, target, retry policy or state
    differ (moving the time is an update, not a new schedule). B(Absent) -
    C(DeleteScheduleGroup), which deletes its schedules with it.
  - The schedule is one-time - C(at(yyyy-mm-ddThh:mm:ss)) in UTC from O(at) - with the flexible
    time window off, so it fires at that minute and once.
  - Why it exists - no collection module manages EventBridge Scheduler. Schedules cannot be
    tagged, so each lives in a schedule group of its own that is (and that teardown finds).
author:
  - streamstack maintainers
options:
  name:
    description: Name of the schedule.
    type: str
    required: true
  group_name:
    description: Name of its schedule group (created, tagged, when missing).
    type: str
    required: true
  state:
    description: C(present) - the schedule exists as asked. C(absent) - the group and its schedules are deleted.
    type: str
    choices: [present, absent]
    default: present
  at:
    description:
      - When it fires, UTC, C(YYYY-MM-DDTHH:MM:SSZ) (seconds are kept; the C(Z) is optional).
        Required for V(present).
    type: str
  target_arn:
    description:
      - What it calls. A universal target such as
        C(arn:aws:scheduler:::aws-sdk:codebuild:startBuild). Required for V(present).
    type: str
  role_arn:
    description: The role EventBridge Scheduler assumes to call the target (trusts C(scheduler.amazonaws.com)).
    type: str
  input:
    description: The target's input, as a dict (sent as JSON).
    type: dict
    default: {}
  maximum_retry_attempts:
    description: How often the call of the target is retried when it fails.
    type: int
    default: 3
  maximum_event_age_seconds:
    description: How long after its time the call may still be retried.
    type: int
    default: 3600
  description:
    description: The schedule's description.
    type: str
    default: ""
  tags:
    description: Tags of the schedule group (schedules themselves cannot be tagged); unset leaves them.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the group's tags that O(tags) does not name (when O(tags) is set).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Start the teardown build when the time to live ends
  streamstack.pipeline.scheduler_schedule:
    name: streamstack-poc-ttl
    group_name: streamstack-poc-ttl
    at: "2026-12-07T22:00:00Z"
    target_arn: arn:aws:scheduler:::aws-sdk:codebuild:startBuild
    role_arn: arn:aws:iam::123456789012:role/streamstack-poc-ttl-scheduler
    input: {ProjectName: streamstack-poc-ttl-teardown}
    tags: {Project: streamstack, Environment: poc}

- name: Cancel it
  streamstack.pipeline.scheduler_schedule:
    name: streamstack-poc-ttl
    group_name: streamstack-poc-ttl
    state: absent
"""

RETURN = r"""
schedule:
  description: The schedule as C(GetSchedule) returns it, in snake case (empty when absent; in check mode, what would be asked).
  returned: always
  type: dict
expression:
  description: The schedule expression, C(at(...)).
  returned: when present
  type: str
  sample: at(2026-12-07T22:00:00)
diff:
  description: Before and after (expression, target, retry policy), in diff mode.
  returned: when changed in diff mode
  type: dict
"""

import datetime
import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)


def expression(at):
    """'2026-12-07T22:00:00Z' -> 'at(2026-12-07T22:00:00)'; raises ValueError on another form."""
    when = datetime.datetime.strptime(at.rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
    return "at(%s)" % when.strftime("%Y-%m-%dT%H:%M:%S")


def comparable(schedule):
    """What this module manages of a schedule (GetSchedule's shape or a request's)."""
    if not schedule:
        return {}
    target = schedule.get("Target") or {}
    return {"expression": schedule.get("ScheduleExpression"),
            "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
            "state": schedule.get("State") or "ENABLED",
            "target_arn": target.get("Arn"), "role_arn": target.get("RoleArn"),
            "input": json.loads(target.get("Input") or "{}"),
            "retry_policy": target.get("RetryPolicy") or {},
            "description": schedule.get("Description") or ""}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            group_name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            at=dict(type="str"),
            target_arn=dict(type="str"),
            role_arn=dict(type="str"),
            input=dict(type="dict", default={}),
            maximum_retry_attempts=dict(type="int", default=3),
            maximum_event_age_seconds=dict(type="int", default=3600),
            description=dict(type="str", default=""),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ("at", "target_arn", "role_arn"))],
        supports_check_mode=True,
    )
    p = module.params
    name, group = p["name"], p["group_name"]
    client = module.client("scheduler", retry_decorator=AWSRetry.jittered_backoff())
    try:
        try:
            group_arn = client.get_schedule_group(Name=group, aws_retry=True)["Arn"]
            has_group = True
        except is_boto3_error_code("ResourceNotFoundException"):
            group_arn, has_group = None, False
        current = None
        if has_group:
            try:
                current = client.get_schedule(Name=name, GroupName=group, aws_retry=True)
                current.pop("ResponseMetadata", None)
            except is_boto3_error_code("ResourceNotFoundException"):
                current = None

        if p["state"] == "absent":
            result = dict(changed=has_group, schedule={})
            if has_group and module._diff:
                result["diff"] = {"before": comparable(current), "after": {}}
            if has_group and not module.check_mode:
                try:
                    client.delete_schedule_group(Name=group, aws_retry=True)
                except is_boto3_error_code("ResourceNotFoundException"):
                    result["changed"] = False  # gone meanwhile
            module.exit_json(**result)

        try:
            wanted_expression = expression(p["at"])
        except ValueError:
            module.fail_json(msg="at %r is not a UTC time like 2026-12-07T22:00:00Z" % p["at"])
        target = {"Arn": p["target_arn"], "RoleArn": p["role_arn"], "Input": json.dumps(p["input"], sort_keys=True),
                  "RetryPolicy": {"MaximumRetryAttempts": p["maximum_retry_attempts"],
                                  "MaximumEventAgeInSeconds": p["maximum_event_age_seconds"]}}
        request = {"Name": name, "GroupName": group, "ScheduleExpression": wanted_expression,
                   "ScheduleExpressionTimezone": "UTC", "FlexibleTimeWindow": {"Mode": "OFF"},
                   "State": "ENABLED", "Target": target, "Description": p["description"]}
        before, after = comparable(current), comparable(request)
        tags_before, add, remove = {}, {}, []
        if has_group and p["tags"] is not None:
            tags_before = boto3_tag_list_to_ansible_dict(
                client.list_tags_for_resource(ResourceArn=group_arn, aws_retry=True).get("Tags") or [])
            add, remove = compare_aws_tags(tags_before, {str(k): str(v) for k, v in p["tags"].items()},
                                           purge_tags=p["purge_tags"])
            if add or remove:  # the group's tags are part of what is compared and shown
                before["group_tags"] = tags_before
                after["group_tags"] = dict((k, v) for k, v in dict(tags_before, **add).items() if k not in remove)
        changed = not has_group or before != after
        result = dict(changed=changed, expression=wanted_expression,
                      schedule=camel_dict_to_snake_dict(current or {}) if not changed else
                      camel_dict_to_snake_dict(request))
        if changed and module._diff:
            result["diff"] = {"before": before, "after": after}
        if not changed or module.check_mode:
            module.exit_json(**result)
        if not has_group:
            group_request = {"Name": group}
            if p["tags"]:
                group_request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in p["tags"].items()]
            client.create_schedule_group(aws_retry=True, **group_request)
        if add:
            client.tag_resource(ResourceArn=group_arn, Tags=ansible_dict_to_boto3_tag_list(add), aws_retry=True)
        if remove:
            client.untag_resource(ResourceArn=group_arn, TagKeys=remove, aws_retry=True)
        if current is None:
            # Deleted after it fired (ActionAfterCompletion DELETE is not used: the teardown deletes the group).
            client.create_schedule(aws_retry=True, ActionAfterCompletion="NONE", **request)
        elif comparable(current) != comparable(request):
            client.update_schedule(aws_retry=True, **request)
        made = client.get_schedule(Name=name, GroupName=group, aws_retry=True)
        made.pop("ResponseMetadata", None)
        result["schedule"] = camel_dict_to_snake_dict(made)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to {'set' if p['state'] == 'present' else 'delete'} the schedule "
                                    f"{group}/{name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
