#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msf_application
short_description: Create, update, start, stop and delete an Amazon Managed Service for Apache Flink application
version_added: 0.1.0
description:
  - Manages the whole lifecycle of a Managed Service for Apache Flink (MSF, API
    C(kinesisanalyticsv2)) application whose code is a zip in S3, such as a PyFlink job.
    No module in amazon.aws or community.aws does this.
  - Looks first (C(DescribeApplication)), computes exactly what differs, and changes
    only that - all configuration in B(one) C(UpdateApplication) carrying the
    C(CurrentApplicationVersionId) it read; a VPC or CloudWatch logging option that
    is added or removed goes through its own C(Add*)/C(Delete*) call, which
    C(UpdateApplication) cannot do. Options left unset are not managed.
  - Every change is checked against the application version; when another writer
    changed the application in between (C(ConcurrentModificationException)) the
    module reads it again, recomputes the difference and retries, at most three
    times per call.
  - A RUNNING application being updated goes UPDATING and restarts its job (from a
    snapshot when snapshots are on); between its own calls the module waits for
    READY or RUNNING.
  - O(state=started) and O(state=stopped) first converge the configuration like
    O(state=present) (creating the application when needed), then start or stop it.
    O(state=absent) deletes the application, running or not (MSF stops it itself);
    its snapshots go with it.
  - When the application ends RUNNING and O(check_job=true), the Flink job is checked
    through CloudWatch (namespace C(AWS/KinesisAnalytics), dimension C(Application)),
    because RUNNING can hide a job that fails and restarts in a loop - the MSF API
    exposes no job state. The latest C(downtime) above 0, or C(numRestarts) (Flink 2.x)
    or C(fullRestarts) (Flink 1.x) growing in the last 10 minutes, fails the task.
    MSF publishes these metrics only a few minutes after a start; no data gives a
    warning, not a failure - check again later with
    M(streamstack.pipeline.msf_application_info).
  - Waits poll every 1 to 10 seconds up to O(wait_timeout); the result carries the
    seconds spent (RV(elapsed)). A start, stop or update that has not finished after
    10 minutes is stuck; read the application's logs.
author:
  - streamstack maintainers
options:
  name:
    description: Application name (1-128 characters of C([a-zA-Z0-9_.-])).
    type: str
    required: true
  state:
    description:
      - C(present) - exists with this configuration (a new application is READY, a
        running one stays RUNNING).
      - C(started) - present and RUNNING. C(stopped) - present and READY.
      - C(absent) - deleted; an application already gone is not a change.
    type: str
    choices: [present, started, stopped, absent]
    default: present
  runtime:
    description:
      - Flink runtime. A change on an existing application is an in-place version
        upgrade (C(RuntimeEnvironmentUpdate)); the code must suit the new runtime.
    type: str
    choices: [FLINK-1_20, FLINK-2_2, FLINK-2_3]
    default: FLINK-2_2
  service_execution_role:
    description: ARN of the IAM role the application runs as; it must trust C(kinesisanalytics.amazonaws.com). Required to create.
    type: str
  code:
    description: The application's code, a zip in S3. Required to create.
    type: dict
    suboptions:
      s3_bucket_arn:
        description: Bucket ARN, C(arn:aws:s3:::BUCKET).
        type: str
        required: true
      s3_key:
        description: Object key of the zip.
        type: str
        required: true
      s3_object_version:
        description:
          - Object version (versioned buckets). When omitted the version is not
            compared, so a new upload under the same key is B(not) noticed; give a
            new key or the new version to deploy new code.
        type: str
  property_groups:
    description:
      - Runtime properties, group id to a map of strings (values are converted to
        strings). Replaces all groups of the application. A Python application
        needs C(kinesis.analytics.flink.run.options) with C(python) and C(jarfile).
    type: dict
  parallelism:
    description: Initial parallelism (at least 1).
    type: int
  parallelism_per_kpu:
    description: Parallel tasks per KPU (1 vCPU, 4 GB). KPUs billed = ceil(parallelism / this) plus one orchestration KPU.
    type: int
  auto_scaling:
    description: Let MSF raise the parallelism under load.
    type: bool
  checkpointing:
    description: Periodic checkpoints (MSF's default interval, 60 s).
    type: bool
  snapshots:
    description: Snapshot on stop and update, so the job resumes with its state.
    type: bool
  vpc:
    description:
      - Run in these subnets with these security groups (one VPC). Both lists empty
        removes the VPC configuration. The execution role then needs
        C(ec2:CreateNetworkInterface) and the related describe/delete actions.
    type: dict
    suboptions:
      subnet_ids:
        description: Subnet IDs (private subnets; reach S3 and CloudWatch through NAT or VPC endpoints).
        type: list
        elements: str
        default: []
      security_group_ids:
        description: Security group IDs.
        type: list
        elements: str
        default: []
  log_stream_arn:
    description:
      - CloudWatch Logs log stream ARN the application logs to (the stream must exist).
        An empty string removes the logging option.
    type: str
  tags:
    description: Tags of the application.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (only when O(tags) is given).
    type: bool
    default: true
  application_restore_type:
    description:
      - How a start restores state. Default C(RESTORE_FROM_LATEST_SNAPSHOT) when
        snapshots are on, else C(SKIP_RESTORE_FROM_SNAPSHOT). Also sent with an update
        of a RUNNING application, which restarts the job.
    type: str
    choices: [SKIP_RESTORE_FROM_SNAPSHOT, RESTORE_FROM_LATEST_SNAPSHOT]
  allow_non_restored_state:
    description: Start even if snapshot state cannot be mapped to the new job graph (state is then dropped).
    type: bool
    default: false
  force_stop:
    description: With O(state=stopped), stop without a snapshot, also from STARTING or UPDATING (ends a stuck transition).
    type: bool
    default: false
  wait:
    description:
      - Wait for the final status (READY, RUNNING or gone). The module always waits
        between its own calls, as MSF accepts a change only from READY or RUNNING.
    type: bool
    default: true
  wait_timeout:
    description: Upper bound of each wait, seconds.
    type: int
    default: 900
  check_job:
    description: When the application ends RUNNING, check its Flink job through CloudWatch metrics (needs C(cloudwatch:GetMetricData)).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode. Check mode reads only; it cannot know whether
    AWS would accept the role, the code object or the network.
  - IAM permissions - C(kinesisanalytics:*Application*), C(kinesisanalytics:TagResource),
    C(kinesisanalytics:UntagResource), C(kinesisanalytics:ListTagsForResource),
    C(iam:PassRole) on the execution role, C(cloudwatch:GetMetricData) for O(check_job).
"""

EXAMPLES = r"""
- name: Deploy the PyFlink job and run it
  streamstack.pipeline.msf_application:
    name: streamstack-dev
    state: started
    runtime: FLINK-2_2
    service_execution_role: "{{ role.iam_role.arn }}"
    code:
      s3_bucket_arn: arn:aws:s3:::streamstack-dev-flink-code-123456789012
      s3_key: streamstack-flink-1.0.0.zip
    property_groups:
      kinesis.analytics.flink.run.options:
        python: main.py
        jarfile: lib/flink-sql-connector-kafka-5.0.0-2.2.jar
      streamstack.job:
        bootstrap.servers: "{{ msk_outputs.bootstrap_brokers.tls }}"
        topic.raw: events.raw
        topic.processed: events.processed
        topic.dead-letter: events.dlq
        security.protocol: SSL
    parallelism: 1
    parallelism_per_kpu: 1
    auto_scaling: false
    checkpointing: true
    snapshots: true
    vpc:
      subnet_ids: "{{ vpc_outputs.private_subnet_ids }}"
      security_group_ids: ["{{ flink_sg.group_id }}"]
    log_stream_arn: "{{ log_stream.arn }}"
    tags:
      project: streamstack
  register: flink

- name: Stop it (snapshot first, so the next start resumes)
  streamstack.pipeline.msf_application:
    name: streamstack-dev
    state: stopped

- name: Delete it (running or not)
  streamstack.pipeline.msf_application:
    name: streamstack-dev
    state: absent
"""

RETURN = r"""
application:
  description: The application after the run (in check mode, what it would be); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: "Name."
      type: str
    arn:
      description: "ARN (null in check mode before creation)."
      type: str
    status:
      description: "READY, RUNNING, UPDATING, ..."
      type: str
      sample: RUNNING
    version_id:
      description: "Application version; every change adds one."
      type: int
    runtime:
      description: "Flink runtime."
      type: str
      sample: FLINK-2_2
    service_execution_role:
      description: "Execution role ARN."
      type: str
    code:
      description: "Code location (s3_bucket_arn, s3_key, s3_object_version)."
      type: dict
    property_groups:
      description: "Runtime property groups."
      type: dict
    parallelism:
      description: "Configured parallelism."
      type: int
    parallelism_per_kpu:
      description: "Parallelism per KPU."
      type: int
    auto_scaling:
      description: "Automatic scaling."
      type: bool
    checkpointing:
      description: "Checkpointing enabled."
      type: bool
    snapshots:
      description: "Snapshots enabled."
      type: bool
    vpc:
      description: "vpc_id, subnet_ids, security_group_ids; null without VPC."
      type: dict
    log_stream_arn:
      description: "CloudWatch log stream, or null."
      type: str
    tags:
      description: "Tags."
      type: dict
  sample:
    name: streamstack-dev
    status: RUNNING
    version_id: 3
    runtime: FLINK-2_2
    code: {s3_bucket_arn: "arn:aws:s3:::bucket", s3_key: streamstack-flink-1.0.0.zip, s3_object_version: null}
    parallelism: 1
changes:
  description: What was (or in check mode would be) changed, in order.
  returned: always
  type: list
  elements: str
  sample: [code, property_groups, started]
job:
  description: Health of the Flink job from CloudWatch (when the application ends RUNNING and O(check_job)).
  returned: when checked
  type: dict
  contains:
    healthy:
      description: "True, False, or null when there were no metrics yet."
      type: bool
    downtime_ms:
      description: "Latest downtime."
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
concurrent_retries:
  description: How many times another writer's change forced a re-read and retry.
  returned: always
  type: int
operation_ids:
  description: MSF operation IDs of the calls made (ListApplicationOperations shows them).
  returned: always
  type: list
  elements: str
elapsed:
  description: Seconds the module ran, waits included.
  returned: always
  type: float
diff:
  description: The managed settings (and status) before and after.
  returned: when changed
  type: dict
"""

import copy
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils.iam_propagation import missing_role, until_assumable
from ansible_collections.streamstack.pipeline.plugins.module_utils.msf import (
    RUNTIMES,
    MsfTimeout,
    describe,
    error_code,
    job_health,
    settled,
    summarize,
    tags_of,
    wait_for,
)

MAX_ATTEMPTS = 3
# The settings compared, in the order changes are reported.
FIELDS = ("runtime", "service_execution_role", "code", "property_groups", "parallelism", "parallelism_per_kpu",
          "auto_scaling", "checkpointing", "snapshots", "vpc", "log_stream_arn", "tags")
# Fields UpdateApplication changes (vpc/log_stream_arn only when one exists on both sides).
UPDATE_FIELDS = ("runtime", "service_execution_role", "code", "property_groups", "parallelism",
                 "parallelism_per_kpu", "auto_scaling", "checkpointing", "snapshots")


class Failure(Exception):
    """Ends the run with fail_json; ``extra`` goes into the result."""

    def __init__(self, msg, exc=None, **extra):
        super().__init__(msg)
        self.msg = msg
        self.exc = exc
        self.extra = extra


# ------------------------------------------------------------------ desired state
def managed_view(app):
    """The compared settings of a summarize()d application (vpc without its id)."""
    view = {k: copy.deepcopy(app.get(k)) for k in FIELDS}
    if view["vpc"]:
        view["vpc"] = {k: view["vpc"][k] for k in ("subnet_ids", "security_group_ids")}
    return view


def desired_view(current, params):
    """``current`` (a managed_view, or None for a new application) with the options set."""
    cur = current or {k: None for k in FIELDS}
    want = copy.deepcopy(cur)
    want["runtime"] = params["runtime"]
    if params["service_execution_role"]:
        want["service_execution_role"] = params["service_execution_role"]
    code = params["code"]
    if code:
        version = code.get("s3_object_version")
        old = cur["code"] or {}
        if version is None and (old.get("s3_bucket_arn"), old.get("s3_key")) == (code["s3_bucket_arn"], code["s3_key"]):
            version = old.get("s3_object_version")  # not managed: keep what is there
        want["code"] = {"s3_bucket_arn": code["s3_bucket_arn"], "s3_key": code["s3_key"], "s3_object_version": version}
    if params["property_groups"] is not None:
        want["property_groups"] = params["property_groups"]
    for key in ("parallelism", "parallelism_per_kpu", "auto_scaling", "checkpointing", "snapshots"):
        if params[key] is not None:
            want[key] = params[key]
    if current is None:  # what MSF fills in when not given
        defaults = {"parallelism": 1, "parallelism_per_kpu": 1, "auto_scaling": True, "checkpointing": True,
                    "snapshots": False, "property_groups": {}, "tags": {}}
        for key, value in defaults.items():
            if want[key] is None:
                want[key] = value
    vpc = params["vpc"]
    if vpc is not None:
        subnets, groups = sorted(vpc.get("subnet_ids") or []), sorted(vpc.get("security_group_ids") or [])
        want["vpc"] = {"subnet_ids": subnets, "security_group_ids": groups} if subnets or groups else None
    if params["log_stream_arn"] is not None:
        want["log_stream_arn"] = params["log_stream_arn"] or None
    if params["tags"] is not None:
        tags = {str(k): str(v) for k, v in params["tags"].items()}
        want["tags"] = tags if params["purge_tags"] else dict(cur["tags"] or {}, **tags)
    return want


def differing(current, want):
    return [k for k in FIELDS if current.get(k) != want.get(k)]


# ------------------------------------------------------------------ API requests
def code_content(code):
    loc = {"BucketARN": code["s3_bucket_arn"], "FileKey": code["s3_key"]}
    if code.get("s3_object_version"):
        loc["ObjectVersion"] = code["s3_object_version"]
    return loc


def property_groups_request(groups):
    return [{"PropertyGroupId": gid, "PropertyMap": dict(pmap)} for gid, pmap in sorted(groups.items())]


def create_request(name, want, params):
    flink = {
        "ParallelismConfiguration": {
            "ConfigurationType": "CUSTOM", "Parallelism": want["parallelism"],
            "ParallelismPerKPU": want["parallelism_per_kpu"], "AutoScalingEnabled": want["auto_scaling"],
        },
        "CheckpointConfiguration": (
            {"ConfigurationType": "DEFAULT"} if want["checkpointing"]
            else {"ConfigurationType": "CUSTOM", "CheckpointingEnabled": False}),
    }
    config = {
        "ApplicationCodeConfiguration": {
            "CodeContentType": "ZIPFILE",
            "CodeContent": {"S3ContentLocation": code_content(want["code"])},
        },
        "FlinkApplicationConfiguration": flink,
        "EnvironmentProperties": {"PropertyGroups": property_groups_request(want["property_groups"])},
        "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": want["snapshots"]},
    }
    if want["vpc"]:
        config["VpcConfigurations"] = [
            {"SubnetIds": want["vpc"]["subnet_ids"], "SecurityGroupIds": want["vpc"]["security_group_ids"]}]
    request = {
        "ApplicationName": name,
        "RuntimeEnvironment": want["runtime"],
        "ServiceExecutionRole": want["service_execution_role"],
        "ApplicationConfiguration": config,
        "ApplicationMode": "STREAMING",
    }
    if want["log_stream_arn"]:
        request["CloudWatchLoggingOptions"] = [{"LogStreamARN": want["log_stream_arn"]}]
    if want["tags"]:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(want["tags"].items())]
    return request


def restore_type(params, snapshots):
    return params["application_restore_type"] or (
        "RESTORE_FROM_LATEST_SNAPSHOT" if snapshots else "SKIP_RESTORE_FROM_SNAPSHOT")


def run_configuration(params, snapshots):
    return {
        "ApplicationRestoreConfiguration": {"ApplicationRestoreType": restore_type(params, snapshots)},
        "FlinkRunConfiguration": {"AllowNonRestoredState": params["allow_non_restored_state"]},
    }


def update_request(detail, current, want, params):
    """(UpdateApplication arguments without name/version, the fields it changes)."""
    request, config, flink, fields = {}, {}, {}, []
    diff = set(differing(current, want))
    if "runtime" in diff:
        request["RuntimeEnvironmentUpdate"] = want["runtime"]
    if "service_execution_role" in diff:
        request["ServiceExecutionRoleUpdate"] = want["service_execution_role"]
    if "code" in diff:
        s3 = {"BucketARNUpdate": want["code"]["s3_bucket_arn"], "FileKeyUpdate": want["code"]["s3_key"]}
        if want["code"].get("s3_object_version"):
            s3["ObjectVersionUpdate"] = want["code"]["s3_object_version"]
        config["ApplicationCodeConfigurationUpdate"] = {
            "CodeContentTypeUpdate": "ZIPFILE", "CodeContentUpdate": {"S3ContentLocationUpdate": s3}}
    if "property_groups" in diff:
        config["EnvironmentPropertyUpdates"] = {"PropertyGroups": property_groups_request(want["property_groups"])}
    if diff & {"parallelism", "parallelism_per_kpu", "auto_scaling"}:
        flink["ParallelismConfigurationUpdate"] = {
            "ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": want["parallelism"],
            "ParallelismPerKPUUpdate": want["parallelism_per_kpu"], "AutoScalingEnabledUpdate": want["auto_scaling"]}
    if "checkpointing" in diff:
        flink["CheckpointConfigurationUpdate"] = {
            "ConfigurationTypeUpdate": "CUSTOM", "CheckpointingEnabledUpdate": want["checkpointing"]}
    if "snapshots" in diff:
        config["ApplicationSnapshotConfigurationUpdate"] = {"SnapshotsEnabledUpdate": want["snapshots"]}
    fields = [f for f in UPDATE_FIELDS if f in diff]
    cfg = detail.get("ApplicationConfigurationDescription") or {}
    if "vpc" in diff and current["vpc"] and want["vpc"]:
        vpc_id = cfg["VpcConfigurationDescriptions"][0]["VpcConfigurationId"]
        config["VpcConfigurationUpdates"] = [{
            "VpcConfigurationId": vpc_id, "SubnetIdUpdates": want["vpc"]["subnet_ids"],
            "SecurityGroupIdUpdates": want["vpc"]["security_group_ids"]}]
        fields.append("vpc")
    if "log_stream_arn" in diff and current["log_stream_arn"] and want["log_stream_arn"]:
        option = detail["CloudWatchLoggingOptionDescriptions"][0]["CloudWatchLoggingOptionId"]
        request["CloudWatchLoggingOptionUpdates"] = [
            {"CloudWatchLoggingOptionId": option, "LogStreamARNUpdate": want["log_stream_arn"]}]
        fields.append("log_stream_arn")
    if flink:
        config["FlinkApplicationConfigurationUpdate"] = flink
    if config:
        request["ApplicationConfigurationUpdate"] = config
    if request and detail["ApplicationStatus"] == "RUNNING":
        # The update restarts the job: say how it resumes.
        request["RunConfigurationUpdate"] = run_configuration(params, want["snapshots"])
    return request, fields


# ------------------------------------------------------------------ the module
class MsfApplication:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["LimitExceededException"])
        self.client = module.client("kinesisanalyticsv2", retry_decorator=retry)
        self.started = time.monotonic()
        self.changes = []
        self.operation_ids = []
        self.retries = 0
        self.warnings = []

    # ---------------------------------------------------------------- helpers
    def elapsed(self):
        return round(time.monotonic() - self.started, 1)

    def wait(self, done, what):
        try:
            return wait_for(self.client, self.name, done, self.params["wait_timeout"], what)[0]
        except MsfTimeout as exc:
            raise Failure(str(exc))

    def settle(self, detail):
        """Wait out a transition (MSF accepts changes only from READY/RUNNING)."""
        if settled(detail):
            return detail
        return self.wait(settled, "finish its " + detail["ApplicationStatus"] + " transition")

    def versioned(self, what, call):
        """Run ``call(detail)`` with the latest version; on ConcurrentModificationException
        read again and retry. ``call`` returns None when nothing is left to do."""
        detail = self.settle(describe(self.client, self.name))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if detail is None and what != "delete":
                raise Failure(f"Application {self.name} was deleted by someone else while trying to {what}")
            try:
                return call(detail)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) != "ConcurrentModificationException":
                    raise Failure(f"Failed to {what} of Managed Flink application {self.name}", exc)
                if attempt == MAX_ATTEMPTS:
                    raise Failure(
                        f"Application {self.name} changed under us {MAX_ATTEMPTS} times while trying to {what} "
                        f"(ConcurrentModificationException): is another deployment running?", exc)
                self.retries += 1
                detail = self.settle(describe(self.client, self.name))

    def state_of(self, detail):
        app = summarize(detail, tags_of(self.client, detail["ApplicationARN"]))
        return app, managed_view(app)

    def record(self, response, *changes):
        if response and response.get("OperationId"):
            self.operation_ids.append(response["OperationId"])
        self.changes.extend(changes)

    # ---------------------------------------------------------------- converge
    def create(self, want):
        missing = [o for o in ("service_execution_role", "code") if not want.get(o)]
        if missing:
            raise Failure(f"Creating application {self.name} needs {' and '.join(missing)}")
        if missing_role(self.module, want["service_execution_role"]):
            raise Failure(f"service_execution_role {want['service_execution_role']} does not exist in IAM: "
                          "create it first (the flink_app role does) or correct the ARN")
        try:
            # The execution role may be seconds old (IAM propagation): retried, bounded.
            request = create_request(self.name, want, self.params)
            detail = until_assumable()(self.client.create_application)(**request)["ApplicationDetail"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise Failure(f"Failed to create Managed Flink application {self.name}", exc)
        self.changes.append("created")
        return detail

    def converge(self):
        """Make the configuration match; return the application's detail."""
        params = self.params

        def update(detail):
            app, current = self.state_of(detail)
            request, fields = update_request(detail, current, desired_view(current, params), params)
            if not request:
                return detail
            response = until_assumable()(self.client.update_application)(  # a new role propagates too
                ApplicationName=self.name, CurrentApplicationVersionId=detail["ApplicationVersionId"], **request)
            self.record(response, *fields)
            return response["ApplicationDetail"]

        def vpc(detail):
            app, current = self.state_of(detail)
            want = desired_view(current, params)
            version = detail["ApplicationVersionId"]
            if want["vpc"] and not current["vpc"]:
                response = self.client.add_application_vpc_configuration(
                    ApplicationName=self.name, CurrentApplicationVersionId=version,
                    VpcConfiguration={"SubnetIds": want["vpc"]["subnet_ids"],
                                      "SecurityGroupIds": want["vpc"]["security_group_ids"]})
            elif current["vpc"] and not want["vpc"]:
                vpc_id = detail["ApplicationConfigurationDescription"]["VpcConfigurationDescriptions"][0]["VpcConfigurationId"]
                response = self.client.delete_application_vpc_configuration(
                    ApplicationName=self.name, CurrentApplicationVersionId=version, VpcConfigurationId=vpc_id)
            else:
                return detail
            self.record(response, "vpc")
            return None

        def logging(detail):
            app, current = self.state_of(detail)
            want = desired_view(current, params)
            version = detail["ApplicationVersionId"]
            if want["log_stream_arn"] and not current["log_stream_arn"]:
                response = self.client.add_application_cloud_watch_logging_option(
                    ApplicationName=self.name, CurrentApplicationVersionId=version,
                    CloudWatchLoggingOption={"LogStreamARN": want["log_stream_arn"]})
            elif current["log_stream_arn"] and not want["log_stream_arn"]:
                for option in detail.get("CloudWatchLoggingOptionDescriptions") or []:
                    response = self.client.delete_application_cloud_watch_logging_option(
                        ApplicationName=self.name, CurrentApplicationVersionId=version,
                        CloudWatchLoggingOptionId=option["CloudWatchLoggingOptionId"])
                    version = response["ApplicationVersionId"]
            else:
                return detail
            self.record(response, "log_stream_arn")
            return None

        self.versioned("update the configuration", update)
        self.versioned("change the VPC configuration", vpc)
        self.versioned("change the CloudWatch logging option", logging)
        detail = describe(self.client, self.name)  # tags need no READY/RUNNING
        if detail is None:
            raise Failure(f"Application {self.name} was deleted by someone else during the run")
        app, current = self.state_of(detail)
        want = desired_view(current, params)
        if current["tags"] != want["tags"]:
            try:
                remove = [k for k in current["tags"] if k not in want["tags"]]
                add = {k: v for k, v in want["tags"].items() if current["tags"].get(k) != v}
                if remove:
                    self.client.untag_resource(ResourceARN=detail["ApplicationARN"], TagKeys=remove, aws_retry=True)
                if add:
                    self.client.tag_resource(ResourceARN=detail["ApplicationARN"], aws_retry=True,
                                             Tags=[{"Key": k, "Value": v} for k, v in sorted(add.items())])
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                raise Failure(f"Failed to tag Managed Flink application {self.name}", exc)
            self.changes.append("tags")
        return detail

    def start(self, detail):
        def call(detail):
            if detail["ApplicationStatus"] == "RUNNING":
                return None
            snapshots = (detail.get("ApplicationConfigurationDescription") or {}).get(
                "ApplicationSnapshotConfigurationDescription", {}).get("SnapshotsEnabled")
            response = self.client.start_application(
                ApplicationName=self.name, RunConfiguration=run_configuration(self.params, snapshots))
            self.record(response, "started")
            return response

        if detail["ApplicationStatus"] != "RUNNING":
            self.versioned("start", call)
        if not self.params["wait"]:
            return
        # A start that fails sends the application back to READY: READY after
        # STARTING (or READY for a minute without ever STARTING) is a failed start.
        seen = {"starting": False, "since": time.monotonic()}

        def done(d):
            status = d["ApplicationStatus"] if d else None
            if status in ("STARTING", "UPDATING"):
                seen["starting"] = True
            return status in ("RUNNING", None) or (
                status == "READY" and (seen["starting"] or time.monotonic() - seen["since"] > 60))

        final = self.wait(done, "be RUNNING")
        if final is None:
            raise Failure(f"Application {self.name} was deleted while starting")
        if final["ApplicationStatus"] != "RUNNING":
            raise Failure(f"Application {self.name} did not start: it is {final['ApplicationStatus']} again. "
                          f"Read the application's CloudWatch logs (code, property groups, role permissions).")

    def stop(self):
        force = self.params["force_stop"]
        detail = describe(self.client, self.name)
        if not force:
            detail = self.settle(detail)
        status = detail["ApplicationStatus"]
        if status == "READY":
            return
        if force or status == "RUNNING":
            try:
                response = self.client.stop_application(ApplicationName=self.name, Force=force)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                raise Failure(f"Failed to stop Managed Flink application {self.name}", exc)
            self.record(response, "stopped")
        if self.params["wait"]:
            self.wait(lambda d: d is not None and d["ApplicationStatus"] == "READY", "be READY (stopped)")

    def delete(self, detail):
        def call(detail):
            if detail is None:
                return None
            self.client.delete_application(ApplicationName=self.name, CreateTimestamp=detail["CreateTimestamp"])
            self.changes.append("deleted")
            return detail

        if detail["ApplicationStatus"] != "DELETING":
            try:
                self.versioned("delete", call)
            except Failure as exc:
                if exc.exc is not None and error_code(exc.exc) == "ResourceNotFoundException":
                    return  # deleted by someone else meanwhile
                raise
        if self.params["wait"]:
            self.wait(lambda d: d is None, "be deleted")

    # ---------------------------------------------------------------- check mode
    def plan(self, detail):
        """Predicted (application, changes) without calling anything that changes."""
        state = self.params["state"]
        if detail is None:
            want = desired_view(None, self.params)
            status = "RUNNING" if state == "started" else "READY"
            app = dict(want, name=self.name, arn=None, status=status, version_id=1)
            changes = ["created"] + (["started"] if state == "started" else [])
            return {}, app, changes
        app, current = self.state_of(detail)
        want = desired_view(current, self.params)
        changes = differing(current, want)
        status = app["status"]
        if state == "started" and status != "RUNNING":
            changes.append("started")
            status = "RUNNING"
        elif state == "stopped" and status != "READY":
            changes.append("stopped")
            status = "READY"
        before = dict(current, status=app["status"])
        return before, dict(app, **want, status=status), changes

    # ---------------------------------------------------------------- run
    def run(self):
        state = self.params["state"]
        try:
            detail = describe(self.client, self.name)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise Failure(f"Failed to describe Managed Flink application {self.name}", exc)

        if state == "absent":
            if detail is None:
                return self.result(False, {})
            app, current = self.state_of(detail)
            before = dict(current, status=app["status"])
            if self.module.check_mode:
                deleting = app["status"] == "DELETING"  # someone else's deletion
                return self.result(not deleting, {}, diff={"before": before, "after": {}},
                                   changes=[] if deleting else ["deleted"])
            self.delete(detail)
            return self.result(bool(self.changes), {}, diff={"before": before, "after": {}})

        if self.module.check_mode:
            before, app, changes = self.plan(detail)
            after = {k: app.get(k) for k in list(FIELDS) + ["status"]}
            result = self.result(bool(changes), app, diff={"before": before, "after": after}, changes=changes)
            if detail is not None and detail["ApplicationStatus"] == "RUNNING" and app["status"] == "RUNNING":
                result["job"] = self.check_job(app, result)
            return result

        before = {}
        if detail is None:
            want = desired_view(None, self.params)
            detail = self.create(want)
        else:
            app, current = self.state_of(detail)
            before = dict(current, status=app["status"])
        detail = self.converge()
        if state == "started":
            self.start(detail)
        elif state == "stopped":
            self.stop()
        elif self.params["wait"]:
            self.settle(describe(self.client, self.name))
        final = describe(self.client, self.name)
        if final is None:
            raise Failure(f"Application {self.name} was deleted by someone else during the run")
        app = summarize(final, tags_of(self.client, final["ApplicationARN"]))
        after = dict(managed_view(app), status=app["status"])
        result = self.result(bool(self.changes), app, diff={"before": before, "after": after})
        if app["status"] == "RUNNING":
            result["job"] = self.check_job(app, result)
        return result

    def check_job(self, app, result):
        """Job health of a RUNNING application; a failing job fails the task."""
        if not self.params["check_job"]:
            return {"checked": False}
        cloudwatch = self.module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
        try:
            health = job_health(cloudwatch, app["name"], app["runtime"])
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            self.warnings.append(f"Could not read the Flink job's CloudWatch metrics ({exc}): job not checked")
            return {"checked": False}
        if health["healthy"] is None:
            self.warnings.append(health["message"])
        elif health["healthy"] is False:
            raise Failure(health["message"], application=result["application"], job=health)
        return health

    def result(self, changed, application, diff=None, changes=None):
        out = {
            "changed": changed,
            "application": application,
            "changes": changes if changes is not None else list(self.changes),
            "concurrent_retries": self.retries,
            "operation_ids": list(self.operation_ids),
            "elapsed": self.elapsed(),
        }
        if changed and diff is not None:
            out["diff"] = diff
        return out


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "started", "stopped", "absent"]),
            runtime=dict(type="str", default="FLINK-2_2", choices=list(RUNTIMES)),
            service_execution_role=dict(type="str"),
            code=dict(type="dict", options=dict(
                s3_bucket_arn=dict(type="str", required=True),
                s3_key=dict(type="str", required=True),
                s3_object_version=dict(type="str"),
            )),
            property_groups=dict(type="dict"),
            parallelism=dict(type="int"),
            parallelism_per_kpu=dict(type="int"),
            auto_scaling=dict(type="bool"),
            checkpointing=dict(type="bool"),
            snapshots=dict(type="bool"),
            vpc=dict(type="dict", options=dict(
                subnet_ids=dict(type="list", elements="str", default=[]),
                security_group_ids=dict(type="list", elements="str", default=[]),
            )),
            log_stream_arn=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            application_restore_type=dict(type="str", choices=["SKIP_RESTORE_FROM_SNAPSHOT",
                                                               "RESTORE_FROM_LATEST_SNAPSHOT"]),
            allow_non_restored_state=dict(type="bool", default=False),
            force_stop=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
            check_job=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = []
    if params["property_groups"] is not None:
        groups = {}
        for gid, pmap in params["property_groups"].items():
            if not isinstance(pmap, dict) or not pmap:
                problems.append(f"property_groups.{gid} must be a non-empty map of strings")
                continue
            groups[str(gid)] = {str(k): "" if v is None else str(v) for k, v in pmap.items()}
        params["property_groups"] = groups
    for key in ("parallelism", "parallelism_per_kpu"):
        if params[key] is not None and params[key] < 1:
            problems.append(f"{key} must be at least 1, got {params[key]}")
    vpc = params["vpc"]
    if vpc is not None and bool(vpc["subnet_ids"]) != bool(vpc["security_group_ids"]):
        problems.append("vpc needs both subnet_ids and security_group_ids (or both empty to remove the VPC)")
    if params["code"] and not params["code"]["s3_bucket_arn"].startswith("arn:"):
        problems.append(f"code.s3_bucket_arn must be an ARN (arn:aws:s3:::BUCKET), got {params['code']['s3_bucket_arn']}")
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False)

    app = MsfApplication(module)
    try:
        result = app.run()
    except Failure as failure:
        kwargs = dict(changed=bool(app.changes), changes=app.changes, concurrent_retries=app.retries,
                      operation_ids=app.operation_ids, elapsed=app.elapsed(), **failure.extra)
        for warning in app.warnings:
            module.warn(warning)
        if failure.exc is not None:
            module.fail_json_aws(failure.exc, msg=failure.msg, **kwargs)
        module.fail_json(msg=failure.msg, **kwargs)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg=f"Managed Flink application {app.name}", changed=bool(app.changes),
                             changes=app.changes, elapsed=app.elapsed())
    for warning in app.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
