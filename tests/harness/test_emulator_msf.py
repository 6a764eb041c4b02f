"""One test per patched Managed Service for Apache Flink behaviour of the AWS
emulator (tests/harness/emulator/patches/kinesisanalyticsv2.py), boto3 against
the real server.  Every assertion is on a value the server computed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest

MODEL = "kinesisanalyticsv2::application"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "kinesisanalytics.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def message(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def msf(clients):
    """A versioned code bucket with two versions of one object, a role MSF may
    assume, one it may not, and a log group with two streams."""
    s3, iam, logs = clients("s3"), clients("iam"), clients("logs")
    bucket = uid("msf-code")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="app.zip", Body=b"zip-v1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="app.zip", Body=b"zip-v2-longer")["VersionId"]
    role = iam.create_role(RoleName=uid("msf"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    other = json.dumps({**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]})
    wrong_role = iam.create_role(RoleName=uid("ec2"), AssumeRolePolicyDocument=other)["Role"]["Arn"]
    group = f"/msf/{uid('logs')}"
    logs.create_log_group(logGroupName=group)
    streams = []
    for stream in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        streams.append(f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:log-stream:{stream}")

    class Ctx:
        bucket_arn = f"arn:aws:s3:::{bucket}"

    ctx = Ctx()
    ctx.v1, ctx.v2, ctx.role, ctx.wrong_role, ctx.streams = v1, v2, role, wrong_role, streams
    return ctx


def app_config(msf, version=None, **extra) -> dict:
    loc = {"BucketARN": msf.bucket_arn, "FileKey": "app.zip"}
    if version:
        loc["ObjectVersion"] = version
    cfg = {"ApplicationCodeConfiguration": {"CodeContentType": "ZIPFILE", "CodeContent": {"S3ContentLocation": loc}}}
    cfg.update(extra)
    return cfg


def create(kda, msf, name=None, runtime="FLINK-2_2", role=None, **kw) -> dict:
    config = kw.pop("config", None) or app_config(msf, msf.v1)
    return kda.create_application(ApplicationName=name or uid("app"), RuntimeEnvironment=runtime,
                                  ServiceExecutionRole=role or msf.role, ApplicationConfiguration=config,
                                  **kw)["ApplicationDetail"]


def describe(kda, name) -> dict:
    return kda.describe_application(ApplicationName=name)["ApplicationDetail"]


def update(kda, name, version, **kw) -> dict:
    return kda.update_application(ApplicationName=name, CurrentApplicationVersionId=version, **kw)


# ----------------------------------------------------------------- create
def test_create_describe_list(clients, msf, net):
    kda = clients("kinesisanalyticsv2")
    name = uid("app")
    d = create(kda, msf, name, config=app_config(
        msf, msf.v1,
        EnvironmentProperties={"PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"k": "v"}}]},
        FlinkApplicationConfiguration={"ParallelismConfiguration": {
            "ConfigurationType": "CUSTOM", "Parallelism": 4, "ParallelismPerKPU": 2, "AutoScalingEnabled": False}},
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": True},
        VpcConfigurations=[{"SubnetIds": [net.a, net.b], "SecurityGroupIds": [net.sg]}]),
        CloudWatchLoggingOptions=[{"LogStreamARN": msf.streams[0]}], Tags=[{"Key": "k", "Value": "v"}])
    assert d["ApplicationStatus"] == "READY" and d["ApplicationVersionId"] == 1
    assert d["ApplicationARN"] == f"arn:aws:kinesisanalytics:us-east-1:123456789012:application/{name}"
    cfg = describe(kda, name)["ApplicationConfigurationDescription"]
    content = cfg["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]
    assert content["CodeSize"] == len(b"zip-v1") and len(content["CodeMD5"]) == 32
    assert content["S3ApplicationCodeLocationDescription"]["ObjectVersion"] == msf.v1
    flink = cfg["FlinkApplicationConfigurationDescription"]
    assert flink["ParallelismConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM", "Parallelism": 4, "ParallelismPerKPU": 2, "CurrentParallelism": 4,
        "AutoScalingEnabled": False}
    assert flink["CheckpointConfigurationDescription"]["CheckpointInterval"] == 60000  # AWS's DEFAULT
    assert cfg["ApplicationSnapshotConfigurationDescription"]["SnapshotsEnabled"] is True
    assert cfg["VpcConfigurationDescriptions"][0]["VpcId"] == net.vpc
    assert describe(kda, name)["CloudWatchLoggingOptionDescriptions"][0]["LogStreamARN"] == msf.streams[0]
    summary = [a for a in kda.list_applications()["ApplicationSummaries"] if a["ApplicationName"] == name]
    assert summary[0]["ApplicationStatus"] == "READY" and summary[0]["RuntimeEnvironment"] == "FLINK-2_2"
    assert kda.list_tags_for_resource(ResourceARN=d["ApplicationARN"])["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(kda.exceptions.ResourceInUseException):
        create(kda, msf, name)
    with pytest.raises(kda.exceptions.ResourceNotFoundException):
        describe(kda, uid("missing"))


def test_create_validation(clients, msf, net):
    kda, ec2 = clients("kinesisanalyticsv2"), clients("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    other_sg = ec2.create_security_group(GroupName=uid("sg"), Description="t", VpcId=other_vpc)["GroupId"]
    missing_role = msf.role.rsplit("/", 1)[0] + "/nope"
    cases = [
        ({"runtime": "FLINK-9_9"}, "ValidationException", "failed to satisfy constraint"),
        ({"runtime": "SQL-1_0"}, "InvalidArgumentException", "not available for new applications"),
        ({"runtime": "FLINK-1_15"}, "InvalidArgumentException", "FLINK-1_20, FLINK-2_2, FLINK-2_3"),
        ({"role": missing_role}, "InvalidArgumentException", "sufficient privileges to assume the role"),
        ({"role": msf.wrong_role}, "InvalidArgumentException", "sufficient privileges to assume the role"),
        ({"config": {**app_config(msf), "ApplicationCodeConfiguration": {"CodeContentType": "ZIPFILE", "CodeContent": {
            "S3ContentLocation": {"BucketARN": "arn:aws:s3:::no-such-bucket", "FileKey": "app.zip"}}}}},
         "InvalidArgumentException", "Bucket arn:aws:s3:::no-such-bucket does not exist"),
        ({"config": app_config(msf, "no-such-version")}, "InvalidArgumentException", "with version no-such-version"),
        ({"config": {"ApplicationCodeConfiguration": {"CodeContentType": "ZIPFILE", "CodeContent": {
            "S3ContentLocation": {"BucketARN": msf.bucket_arn, "FileKey": "nope.zip"}}}}},
         "InvalidArgumentException", "Object nope.zip does not exist"),
        ({"config": app_config(msf, VpcConfigurations=[{"SubnetIds": ["subnet-0000"], "SecurityGroupIds": [net.sg]}])},
         "InvalidArgumentException", "Subnet subnet-0000 does not exist"),
        ({"config": app_config(msf, VpcConfigurations=[{"SubnetIds": [net.a], "SecurityGroupIds": [other_sg]}])},
         "InvalidArgumentException", "in one VPC"),
        ({"config": app_config(msf, VpcConfigurations=[{"SubnetIds": [net.a], "SecurityGroupIds": [net.sg]}] * 2)},
         "InvalidArgumentException", "only one VPC configuration"),
        ({"CloudWatchLoggingOptions": [{"LogStreamARN": msf.streams[0] + "-gone"}]},
         "InvalidArgumentException", "does not exist"),
        ({"config": app_config(msf, EnvironmentProperties={"PropertyGroups": [
            {"PropertyGroupId": "g", "PropertyMap": {}}]})}, "InvalidArgumentException", "1 to 50 properties"),
    ]
    names = []
    for kw, err, text in cases:
        name = uid("bad")
        names.append(name)
        with pytest.raises(kda.exceptions.ClientError) as exc:
            create(kda, msf, name, **kw)
        assert (code(exc), text in message(exc)) == (err, True), (kw, message(exc))
    listed = {a["ApplicationName"] for a in kda.list_applications()["ApplicationSummaries"]}
    assert not listed & set(names)


# --------------------------------------------------------------- statuses
def test_start_stop_update_transitions(clients, msf, transition):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf, config=app_config(msf, msf.v1, ApplicationSnapshotConfiguration={"SnapshotsEnabled": True}))[
        "ApplicationName"]
    with pytest.raises(kda.exceptions.ResourceInUseException):
        kda.stop_application(ApplicationName=name)  # READY: nothing to stop
    transition(MODEL, "manual", times=1)
    op = kda.start_application(ApplicationName=name)["OperationId"]
    assert describe(kda, name)["ApplicationStatus"] == "STARTING"
    info = kda.describe_application_operation(ApplicationName=name, OperationId=op)["ApplicationOperationInfoDetails"]
    assert (info["Operation"], info["OperationStatus"]) == ("StartApplication", "IN_PROGRESS")
    with pytest.raises(kda.exceptions.ResourceInUseException):
        update(kda, name, 1, ServiceExecutionRoleUpdate=msf.role)  # not READY/RUNNING
    assert describe(kda, name)["ApplicationStatus"] == "RUNNING"
    assert kda.describe_application_operation(ApplicationName=name, OperationId=op)[
        "ApplicationOperationInfoDetails"]["OperationStatus"] == "SUCCESSFUL"
    with pytest.raises(kda.exceptions.ResourceInUseException):
        kda.start_application(ApplicationName=name)
    response = update(kda, name, 1, ApplicationConfigurationUpdate={"FlinkApplicationConfigurationUpdate": {
        "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 3}}})
    assert response["ApplicationDetail"]["ApplicationStatus"] == "UPDATING"
    assert describe(kda, name)["ApplicationStatus"] == "UPDATING"
    assert describe(kda, name)["ApplicationStatus"] == "RUNNING"
    kda.stop_application(ApplicationName=name)
    assert describe(kda, name)["ApplicationStatus"] == "STOPPING"
    assert describe(kda, name)["ApplicationStatus"] == "READY"
    snaps = kda.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"]
    assert [s["ApplicationVersionId"] for s in snaps] == [2]  # taken on the graceful stop
    ops = [o["Operation"] for o in kda.list_application_operations(ApplicationName=name)["ApplicationOperationInfoList"]]
    assert ops == ["StopApplication", "UpdateApplication", "StartApplication"]


def test_force_stop_ends_a_stuck_start_without_snapshot(clients, msf, transition):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf, config=app_config(msf, ApplicationSnapshotConfiguration={"SnapshotsEnabled": True}))[
        "ApplicationName"]
    transition(MODEL, "manual", times=100)
    kda.start_application(ApplicationName=name)
    assert describe(kda, name)["ApplicationStatus"] == "STARTING"
    with pytest.raises(kda.exceptions.ResourceInUseException):
        kda.stop_application(ApplicationName=name)  # graceful stop needs RUNNING
    transition(MODEL, "immediate")
    kda.stop_application(ApplicationName=name, Force=True)
    assert describe(kda, name)["ApplicationStatus"] == "READY"
    assert kda.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"] == []


def test_start_needs_code_and_checks_restore(clients, msf):
    kda = clients("kinesisanalyticsv2")
    bare = kda.create_application(ApplicationName=uid("bare"), RuntimeEnvironment="FLINK-2_2",
                                  ServiceExecutionRole=msf.role)["ApplicationDetail"]["ApplicationName"]
    with pytest.raises(kda.exceptions.InvalidApplicationConfigurationException):
        kda.start_application(ApplicationName=bare)
    name = create(kda, msf)["ApplicationName"]
    with pytest.raises(kda.exceptions.InvalidArgumentException) as exc:
        kda.start_application(ApplicationName=name, RunConfiguration={"ApplicationRestoreConfiguration": {
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT", "SnapshotName": "nope"}})
    assert "Snapshot nope" in message(exc)
    kda.start_application(ApplicationName=name, RunConfiguration={
        "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"},
        "FlinkRunConfiguration": {"AllowNonRestoredState": True}})
    run = describe(kda, name)["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run == {"ApplicationRestoreConfigurationDescription": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"},
                   "FlinkRunConfigurationDescription": {"AllowNonRestoredState": True}}


# ----------------------------------------------------------------- update
def test_update_version_token_and_changes(clients, msf):
    kda, iam = clients("kinesisanalyticsv2"), clients("iam")
    d = create(kda, msf)
    name = d["ApplicationName"]
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.update_application(ApplicationName=name, ServiceExecutionRoleUpdate=msf.role)  # neither version nor token
    with pytest.raises(kda.exceptions.ConcurrentModificationException):
        update(kda, name, 7, ServiceExecutionRoleUpdate=msf.role)
    with pytest.raises(kda.exceptions.ConcurrentModificationException):
        kda.update_application(ApplicationName=name, ConditionalToken="stale", ServiceExecutionRoleUpdate=msf.role)
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        update(kda, name, 1)  # nothing to update
    role2 = iam.create_role(RoleName=uid("msf2"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    out = kda.update_application(
        ApplicationName=name, ConditionalToken=d["ConditionalToken"], ServiceExecutionRoleUpdate=role2,
        RuntimeEnvironmentUpdate="FLINK-2_3",
        ApplicationConfigurationUpdate={
            "ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": {"S3ContentLocationUpdate": {
                "ObjectVersionUpdate": msf.v2}}},
            "EnvironmentPropertyUpdates": {"PropertyGroups": [{"PropertyGroupId": "new", "PropertyMap": {"a": "1"}}]},
            "FlinkApplicationConfigurationUpdate": {
                "CheckpointConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "CheckpointingEnabledUpdate": False},
                "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 6,
                                                   "AutoScalingEnabledUpdate": False}},
            "ApplicationSnapshotConfigurationUpdate": {"SnapshotsEnabledUpdate": True}},
        RunConfigurationUpdate={"ApplicationRestoreConfiguration": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"}})
    assert out["OperationId"]
    now = describe(kda, name)
    cfg = now["ApplicationConfigurationDescription"]
    assert now["ApplicationVersionId"] == 2 and now["ApplicationVersionUpdatedFrom"] == 1
    assert now["ConditionalToken"] != d["ConditionalToken"] and now["ApplicationStatus"] == "READY"
    assert (now["ServiceExecutionRole"], now["RuntimeEnvironment"]) == (role2, "FLINK-2_3")
    content = cfg["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]
    assert content["S3ApplicationCodeLocationDescription"]["ObjectVersion"] == msf.v2
    assert content["CodeSize"] == len(b"zip-v2-longer")
    assert cfg["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"] == [
        {"PropertyGroupId": "new", "PropertyMap": {"a": "1"}}]  # replaced as a whole
    flink = cfg["FlinkApplicationConfigurationDescription"]
    assert flink["CheckpointConfigurationDescription"]["CheckpointingEnabled"] is False
    assert (flink["ParallelismConfigurationDescription"]["Parallelism"],
            flink["ParallelismConfigurationDescription"]["AutoScalingEnabled"]) == (6, False)
    assert cfg["ApplicationSnapshotConfigurationDescription"]["SnapshotsEnabled"] is True
    assert cfg["RunConfigurationDescription"]["ApplicationRestoreConfigurationDescription"][
        "ApplicationRestoreType"] == "SKIP_RESTORE_FROM_SNAPSHOT"
    # A refused update changes nothing, not even the version.
    for bad in ({"ServiceExecutionRoleUpdate": msf.wrong_role},
                {"RuntimeEnvironmentUpdate": "SQL-1_0"},
                {"ApplicationConfigurationUpdate": {"ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": {
                    "S3ContentLocationUpdate": {"FileKeyUpdate": "nope.zip"}}}}}):
        with pytest.raises(kda.exceptions.ClientError):
            update(kda, name, 2, **bad)
    assert describe(kda, name)["ApplicationVersionId"] == 2
    # DEFAULT restores AWS's checkpoint settings; a new key without a version
    # means that key's latest object (the old version id belonged to another).
    clients("s3").put_object(Bucket=msf.bucket_arn.split(":::")[1], Key="app2.zip", Body=b"zip-app2")
    update(kda, name, 2, ApplicationConfigurationUpdate={
        "FlinkApplicationConfigurationUpdate": {"CheckpointConfigurationUpdate": {"ConfigurationTypeUpdate": "DEFAULT"}},
        "ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": {"S3ContentLocationUpdate": {"FileKeyUpdate": "app2.zip"}}}})
    cfg = describe(kda, name)["ApplicationConfigurationDescription"]
    assert cfg["FlinkApplicationConfigurationDescription"]["CheckpointConfigurationDescription"] == {
        "ConfigurationType": "DEFAULT", "CheckpointingEnabled": True, "CheckpointInterval": 60000,
        "MinPauseBetweenCheckpoints": 5000}
    content = cfg["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]
    assert content["S3ApplicationCodeLocationDescription"] == {"BucketARN": msf.bucket_arn, "FileKey": "app2.zip"}
    assert content["CodeSize"] == len(b"zip-app2")


def test_versions_history(clients, msf):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf)["ApplicationName"]
    update(kda, name, 1, ApplicationConfigurationUpdate={"ApplicationCodeConfigurationUpdate": {
        "CodeContentUpdate": {"S3ContentLocationUpdate": {"ObjectVersionUpdate": msf.v2}}}})
    versions = kda.list_application_versions(ApplicationName=name)["ApplicationVersionSummaries"]
    assert [v["ApplicationVersionId"] for v in versions] == [2, 1]
    old = kda.describe_application_version(ApplicationName=name, ApplicationVersionId=1)["ApplicationVersionDetail"]
    loc = old["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"][
        "CodeContentDescription"]["S3ApplicationCodeLocationDescription"]
    assert loc["ObjectVersion"] == msf.v1
    with pytest.raises(kda.exceptions.ResourceNotFoundException):
        kda.describe_application_version(ApplicationName=name, ApplicationVersionId=9)


# --------------------------------------------------- VPC and logging options
def test_vpc_configuration_add_update_delete(clients, msf, net):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf)["ApplicationName"]
    with pytest.raises(kda.exceptions.ConcurrentModificationException):
        kda.add_application_vpc_configuration(ApplicationName=name, CurrentApplicationVersionId=5,
                                              VpcConfiguration={"SubnetIds": [net.a], "SecurityGroupIds": [net.sg]})
    out = kda.add_application_vpc_configuration(ApplicationName=name, CurrentApplicationVersionId=1,
                                                VpcConfiguration={"SubnetIds": [net.a], "SecurityGroupIds": [net.sg]})
    vpc_id = out["VpcConfigurationDescription"]["VpcConfigurationId"]
    assert out["ApplicationVersionId"] == 2 and out["VpcConfigurationDescription"]["VpcId"] == net.vpc
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.add_application_vpc_configuration(ApplicationName=name, CurrentApplicationVersionId=2,
                                              VpcConfiguration={"SubnetIds": [net.b], "SecurityGroupIds": [net.sg]})
    update(kda, name, 2, ApplicationConfigurationUpdate={"VpcConfigurationUpdates": [
        {"VpcConfigurationId": vpc_id, "SubnetIdUpdates": [net.a, net.b]}]})
    vpcs = describe(kda, name)["ApplicationConfigurationDescription"]["VpcConfigurationDescriptions"]
    assert vpcs[0]["SubnetIds"] == [net.a, net.b] and vpcs[0]["SecurityGroupIds"] == [net.sg]
    out = kda.delete_application_vpc_configuration(ApplicationName=name, CurrentApplicationVersionId=3,
                                                   VpcConfigurationId=vpc_id)
    assert out["ApplicationVersionId"] == 4
    assert "VpcConfigurationDescriptions" not in describe(kda, name)["ApplicationConfigurationDescription"]


def test_logging_option_add_update_delete(clients, msf):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf)["ApplicationName"]
    out = kda.add_application_cloud_watch_logging_option(
        ApplicationName=name, CurrentApplicationVersionId=1, CloudWatchLoggingOption={"LogStreamARN": msf.streams[0]})
    option = out["CloudWatchLoggingOptionDescriptions"][0]["CloudWatchLoggingOptionId"]
    assert out["ApplicationVersionId"] == 2
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.add_application_cloud_watch_logging_option(
            ApplicationName=name, CurrentApplicationVersionId=2, CloudWatchLoggingOption={"LogStreamARN": msf.streams[0]})
    update(kda, name, 2, CloudWatchLoggingOptionUpdates=[
        {"CloudWatchLoggingOptionId": option, "LogStreamARNUpdate": msf.streams[1]}])
    assert describe(kda, name)["CloudWatchLoggingOptionDescriptions"][0]["LogStreamARN"] == msf.streams[1]
    out = kda.delete_application_cloud_watch_logging_option(
        ApplicationName=name, CurrentApplicationVersionId=3, CloudWatchLoggingOptionId=option)
    assert out["CloudWatchLoggingOptionDescriptions"] == [] and out["ApplicationVersionId"] == 4


# --------------------------------------------------------------- snapshots
def test_snapshots(clients, msf):
    kda = clients("kinesisanalyticsv2")
    plain = create(kda, msf)["ApplicationName"]
    kda.start_application(ApplicationName=plain)
    with pytest.raises(kda.exceptions.InvalidApplicationConfigurationException):
        kda.create_application_snapshot(ApplicationName=plain, SnapshotName="s")  # snapshots off
    name = create(kda, msf, config=app_config(msf, ApplicationSnapshotConfiguration={"SnapshotsEnabled": True}))[
        "ApplicationName"]
    with pytest.raises(kda.exceptions.ResourceInUseException):
        kda.create_application_snapshot(ApplicationName=name, SnapshotName="s")  # READY
    kda.start_application(ApplicationName=name)
    kda.create_application_snapshot(ApplicationName=name, SnapshotName="s1")
    with pytest.raises(kda.exceptions.ResourceInUseException):
        kda.create_application_snapshot(ApplicationName=name, SnapshotName="s1")
    snap = kda.describe_application_snapshot(ApplicationName=name, SnapshotName="s1")["SnapshotDetails"]
    assert (snap["SnapshotStatus"], snap["ApplicationVersionId"], snap["RuntimeEnvironment"]) == ("READY", 1, "FLINK-2_2")
    kda.stop_application(ApplicationName=name)
    kda.start_application(ApplicationName=name, RunConfiguration={"ApplicationRestoreConfiguration": {
        "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT", "SnapshotName": "s1"}})
    run = describe(kda, name)["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run["ApplicationRestoreConfigurationDescription"] == {
        "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT", "SnapshotName": "s1"}
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.delete_application_snapshot(ApplicationName=name, SnapshotName="s1",
                                        SnapshotCreationTimestamp=datetime(2020, 1, 1, tzinfo=timezone.utc))
    kda.delete_application_snapshot(ApplicationName=name, SnapshotName="s1",
                                    SnapshotCreationTimestamp=snap["SnapshotCreationTimestamp"])
    names = [s["SnapshotName"] for s in kda.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"]]
    assert len(names) == 1 and "s1" not in names  # the one the stop took remains


# ------------------------------------------------------------ delete, tags
def test_delete_running_application(clients, msf, transition):
    kda = clients("kinesisanalyticsv2")
    d = create(kda, msf)
    name, arn = d["ApplicationName"], d["ApplicationARN"]
    kda.start_application(ApplicationName=name)
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.delete_application(ApplicationName=name, CreateTimestamp=d["CreateTimestamp"] - timedelta(days=1))
    transition(MODEL, "manual", times=1)
    kda.delete_application(ApplicationName=name, CreateTimestamp=describe(kda, name)["CreateTimestamp"])
    assert describe(kda, name)["ApplicationStatus"] == "DELETING"  # AWS halts it and deletes it
    with pytest.raises(kda.exceptions.ResourceNotFoundException):
        describe(kda, name)
    with pytest.raises(kda.exceptions.ResourceNotFoundException):
        kda.list_tags_for_resource(ResourceARN=arn)


def test_tags(clients, msf):
    kda = clients("kinesisanalyticsv2")
    arn = create(kda, msf, Tags=[{"Key": "a", "Value": "1"}])["ApplicationARN"]
    kda.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    kda.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kda.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert describe(kda, arn.rsplit("/", 1)[1])["ApplicationVersionId"] == 1  # tags are no new version
    missing = arn.rsplit("/", 1)[0] + "/nope"
    for call in (lambda: kda.tag_resource(ResourceARN=missing, Tags=[{"Key": "a", "Value": "1"}]),
                 lambda: kda.untag_resource(ResourceARN=missing, TagKeys=["a"]),
                 lambda: kda.list_tags_for_resource(ResourceARN=missing)):
        with pytest.raises(kda.exceptions.ResourceNotFoundException):
            call()


# -------------------------------------------------------------- test knobs
def knob(emu, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(f"{emu.url}/moto-api/static/kinesisanalyticsv2/concurrent-update",
                                 data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_concurrent_update_knob(aws_emulator, clients, msf):
    kda = clients("kinesisanalyticsv2")
    name = create(kda, msf)["ApplicationName"]
    assert knob(aws_emulator, {"application_name": name, "times": 1}) == (201, {"application_name": name, "times": 1})
    with pytest.raises(kda.exceptions.ConcurrentModificationException):
        update(kda, name, 1, ServiceExecutionRoleUpdate=msf.role)  # "someone" committed version 2 first
    assert describe(kda, name)["ApplicationVersionId"] == 2
    update(kda, name, 2, ServiceExecutionRoleUpdate=msf.role)  # the re-read succeeds
    assert describe(kda, name)["ApplicationVersionId"] == 3
    assert knob(aws_emulator, {"application_name": "nope"})[0] == 404
    assert knob(aws_emulator, {"times": 1})[0] == 400


def test_job_metrics_in_cloudwatch(clients):
    """What msf_application's job check reads: AWS/KinesisAnalytics metrics by
    Application dimension (moto accepts PutMetricData in an AWS/ namespace;
    on AWS only the service writes there)."""
    cw = clients("cloudwatch")
    name = uid("app")
    now = datetime.now(timezone.utc)
    dims = [{"Name": "Application", "Value": name}]
    cw.put_metric_data(Namespace="AWS/KinesisAnalytics", MetricData=[
        {"MetricName": "downtime", "Value": 5000, "Timestamp": now, "Dimensions": dims},
        {"MetricName": "numRestarts", "Value": 1, "Timestamp": now - timedelta(minutes=2), "Dimensions": dims},
        {"MetricName": "numRestarts", "Value": 3, "Timestamp": now, "Dimensions": dims}])
    out = cw.get_metric_data(StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), MetricDataQueries=[
        {"Id": m, "MetricStat": {"Metric": {"Namespace": "AWS/KinesisAnalytics", "MetricName": n, "Dimensions": dims},
                                 "Period": 60, "Stat": "Maximum"}}
        for m, n in (("d", "downtime"), ("r", "numRestarts"))])
    values = {r["Id"]: sorted(zip(r["Timestamps"], r["Values"])) for r in out["MetricDataResults"]}
    assert [v for _, v in values["d"]] == [5000] and [v for _, v in values["r"]] == [1, 3]
