#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatchlogs_log_stream
short_description: Create or delete a CloudWatch Logs log stream
version_added: 0.1.0
description:
  - Looks the stream up first and creates or deletes it only when needed.
  - Exists because Managed Service for Apache Flink logs to a stream that must already
    exist (its C(LogStreamARN)), and neither amazon.aws nor community.aws has a
    log stream module.
author:
  - streamstack maintainers
options:
  log_group_name:
    description: The log group (must exist for O(state=present)).
    type: str
    required: true
  log_stream_name:
    description: The stream.
    type: str
    required: true
  state:
    description: present or absent.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode.
"""

EXAMPLES = r"""
- name: Log stream for the Flink application
  streamstack.pipeline.cloudwatchlogs_log_stream:
    log_group_name: /aws/kinesis-analytics/streamstack-poc
    log_stream_name: application
  register: stream
"""

RETURN = r"""
arn:
  description: The stream's ARN (what MSF's CloudWatch logging option takes).
  returned: when O(state=present)
  type: str
  sample: arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesis-analytics/app:log-stream:application
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            log_group_name=dict(type="str", required=True),
            log_stream_name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    group, name, state = module.params["log_group_name"], module.params["log_stream_name"], module.params["state"]
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        groups = client.describe_log_groups(logGroupNamePrefix=group, aws_retry=True)["logGroups"]
        group_info = next((g for g in groups if g["logGroupName"] == group), None)
        streams = []
        if group_info:
            streams = client.describe_log_streams(logGroupName=group, logStreamNamePrefix=name, aws_retry=True)["logStreams"]
        exists = any(s["logStreamName"] == name for s in streams)
        arn = f"{group_info['arn'].removesuffix(':*')}:log-stream:{name}" if group_info else None

        if state == "absent":
            if exists and not module.check_mode:
                client.delete_log_stream(logGroupName=group, logStreamName=name, aws_retry=True)
            module.exit_json(changed=exists)

        if group_info is None and module.check_mode:
            # The group is itself only planned (check mode): so is the stream.
            module.exit_json(changed=True, arn=None)
        if group_info is None:
            module.fail_json(msg=f"log group {group} does not exist; create it first (amazon.aws.cloudwatchlogs_log_group)")
        if not exists and not module.check_mode:
            client.create_log_stream(logGroupName=group, logStreamName=name, aws_retry=True)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage log stream {group}/{name}")
    module.exit_json(changed=not exists, arn=arn)


if __name__ == "__main__":
    main()
