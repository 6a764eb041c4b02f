#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msf_application_info
short_description: Read an Amazon Managed Service for Apache Flink application and the health of its Flink job
version_added: 0.1.0
description:
  - Read-only. Returns the application (status, version, runtime, code location,
    property groups, parallelism, network, logging, tags) in the structure
    M(streamstack.pipeline.msf_application) returns, or RV(exists=false).
  - For a RUNNING application it also reads the Flink job's health from CloudWatch
    (namespace C(AWS/KinesisAnalytics), dimension C(Application)) - the MSF API has
    no job state and RUNNING can hide a job that keeps failing. The latest
    C(downtime) above 0, or C(numRestarts) (Flink 2.x) / C(fullRestarts) (Flink 1.x)
    growing over the last O(window_minutes), makes RV(job.healthy) false. MSF
    publishes these metrics a few minutes after a start; until then
    RV(job.healthy) is null.
  - With O(list_snapshots=true) it also lists the application's snapshots, newest first
    (C(ListApplicationSnapshots)) - a graceful stop takes one when snapshots are on, and a
    start with C(RESTORE_FROM_LATEST_SNAPSHOT) resumes from the newest C(READY) one.
  - Never fails because of what it finds; use C(until) or C(assert) on the result,
    for instance to wait with progress for a long start.
author:
  - streamstack maintainers
options:
  name:
    description: Application name.
    type: str
    required: true
  check_job:
    description: Read the job's CloudWatch metrics when the application is RUNNING (needs C(cloudwatch:GetMetricData)).
    type: bool
    default: true
  window_minutes:
    description: How far back the job check looks.
    type: int
    default: 10
  list_snapshots:
    description: Also return the application's snapshots (needs C(kinesisanalytics:ListApplicationSnapshots)).
    type: bool
    default: false
    version_added: 0.3.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the Flink application to run, showing progress
  streamstack.pipeline.msf_application_info:
    name: streamstack-dev
  register: flink
  until: flink.application.status | default('') == 'RUNNING'
  retries: 60
  delay: 15

- name: Verify that its Flink job runs (once metrics have appeared)
  streamstack.pipeline.msf_application_info:
    name: streamstack-dev
  register: flink
  until: flink.job.healthy is not none
  retries: 20
  delay: 30
  failed_when: flink.job.healthy is false

- name: The snapshot the next start would restore
  streamstack.pipeline.msf_application_info:
    name: streamstack-dev
    check_job: false
    list_snapshots: true
  register: flink

- name: Show it
  ansible.builtin.debug:
    msg: "{{ flink.snapshots | selectattr('status', 'equalto', 'READY') | map(attribute='name') | first | default('none') }}"
"""

RETURN = r"""
exists:
  description: Whether the application exists.
  returned: always
  type: bool
application:
  description: The application as M(streamstack.pipeline.msf_application) returns it; empty when it does not exist.
  returned: always
  type: dict
  sample:
    name: streamstack-dev
    arn: arn:aws:kinesisanalytics:us-east-1:123456789012:application/streamstack-dev
    status: RUNNING
    version_id: 3
    runtime: FLINK-2_2
    code: {s3_bucket_arn: "arn:aws:s3:::bucket", s3_key: streamstack-flink-1.0.0.zip, s3_object_version: null}
    property_groups: {streamstack.job: {topic.raw: events.raw}}
    parallelism: 1
    parallelism_per_kpu: 1
    auto_scaling: false
    checkpointing: true
    snapshots: true
job:
  description: Health of the Flink job (checked only for RUNNING applications with O(check_job)).
  returned: always
  type: dict
  contains:
    checked:
      description: "Whether metrics were read."
      type: bool
    healthy:
      description: "True, False, or null when there were no metrics yet."
      type: bool
    downtime_ms:
      description: "Latest downtime (ms the job has been failing)."
      type: float
    uptime_ms:
      description: "Latest uptime."
      type: float
    restart_metric:
      description: "numRestarts or fullRestarts."
      type: str
    restarts_in_window:
      description: "Growth of the restart counter in the window."
      type: float
    message:
      description: "What was found."
      type: str
snapshots:
  description: The application's snapshots, newest first (empty when it has none or does not exist).
  returned: when O(list_snapshots=true)
  type: list
  elements: dict
  contains:
    name:
      description: "Snapshot name."
      type: str
    status:
      description: "CREATING, READY, DELETING or FAILED."
      type: str
    created:
      description: "Creation time, ISO 8601."
      type: str
    application_version_id:
      description: "The application version the snapshot was taken of."
      type: int
    runtime:
      description: "The Flink runtime it was taken on."
      type: str
  sample: [{"name": "streamstack-dev-stop-3-1764000000000", "status": "READY", "created": "2026-11-24T10:00:00+00:00",
            "application_version_id": 3, "runtime": "FLINK-2_2"}]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils.msf import (
    describe,
    job_health,
    summarize,
    tags_of,
)


def snapshots(client, name):
    """ListApplicationSnapshots, every page, newest first."""
    found, token = [], None
    while True:
        kwargs = {"ApplicationName": name, "Limit": 50}
        if token:
            kwargs["NextToken"] = token
        page = client.list_application_snapshots(aws_retry=True, **kwargs)
        found.extend(page.get("SnapshotSummaries") or [])
        token = page.get("NextToken")
        if not token:
            break
    found.sort(key=lambda s: s.get("SnapshotCreationTimestamp"), reverse=True)
    return [{
        "name": s.get("SnapshotName"),
        "status": s.get("SnapshotStatus"),
        "created": s["SnapshotCreationTimestamp"].isoformat() if s.get("SnapshotCreationTimestamp") else None,
        "application_version_id": s.get("ApplicationVersionId"),
        "runtime": s.get("RuntimeEnvironment"),
    } for s in found]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            check_job=dict(type="bool", default=True),
            window_minutes=dict(type="int", default=10),
            list_snapshots=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    name = module.params["name"]
    client = module.client("kinesisanalyticsv2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        detail = describe(client, name)
        if detail is None:
            extra = {"snapshots": []} if module.params["list_snapshots"] else {}
            module.exit_json(changed=False, exists=False, application={}, job={"checked": False}, **extra)
        app = summarize(detail, tags_of(client, detail["ApplicationARN"]))
        extra = {"snapshots": snapshots(client, name)} if module.params["list_snapshots"] else {}
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg=f"Failed to read Managed Flink application {name}")

    job = {"checked": False}
    if app["status"] == "RUNNING" and module.params["check_job"]:
        cloudwatch = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
        try:
            job = job_health(cloudwatch, name, app["runtime"], window_minutes=module.params["window_minutes"])
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            module.warn(f"Could not read the Flink job's CloudWatch metrics ({exc}): job not checked")
    module.exit_json(changed=False, exists=True, application=app, job=job, **extra)


if __name__ == "__main__":
    main()
