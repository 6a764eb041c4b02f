"""streamstack.pipeline.msf_application and msf_application_info, run by ansible-playbook
against the AWS emulator (moto + tests/harness/emulator/patches/kinesisanalyticsv2.py).

* Lifecycle, one playbook: check-mode create -> create -> create again -> check-mode
  code change -> update (new S3 object version + property group; diff, version id
  bumped) -> update again -> move the log stream and subnets (UpdateApplication), remove
  them and add them back (their own Delete*/Add* calls) -> check-mode start -> started (RUNNING; no metrics yet, so a
  warning) -> started again (job healthy from planted CloudWatch metrics) -> update while RUNNING (UPDATING ->
  RUNNING) -> a concurrent writer once (the emulator's concurrent-update knob: the
  module re-reads and retries) and on every attempt (clear failure) -> the
  "RUNNING but the Flink job is not running" case (downtime and numRestarts planted
  with PutMetricData) -> check-mode stop -> stopped (snapshot taken) -> stopped
  again -> check-mode delete -> absent -> absent again. After every check-mode step
  a probe reads the application with boto3 (not our modules) and the play asserts
  that nothing changed; cleanup in ``always:``.
* Bad input, one playbook: unknown runtime, execution role missing, code object
  (or object version) missing, creation without code, half a VPC, a bucket that is
  not an ARN: each fails with a clear message, changed=false, and no application
  exists afterwards.
* ``ansible-doc`` renders both modules.

The code zips are two small stand-ins (a main.py each) in a versioned bucket: the
module and the emulator check the S3 object, not its contents (the real job zip is
tested in test_flink_job.py). The two playbooks start together (module fixture
``runs``); their time is Ansible's per-task start-up.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import textwrap
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from integration.playbook import failures, run_play

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"

MODULE = "streamstack.pipeline.msf_application"
INFO = "streamstack.pipeline.msf_application_info"
RUN_OPTIONS = {"python": "main.py", "jarfile": "lib/flink-sql-connector-kafka-5.0.0-2.2.jar"}

# Reads the application without our modules; plants CloudWatch metrics.
HELPER = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime, timedelta, timezone
    import boto3
    action, endpoint, name = sys.argv[1:4]
    kw = dict(endpoint_url=endpoint, region_name="us-east-1")
    if action == "probe":
        kda = boto3.client("kinesisanalyticsv2", **kw)
        try:
            d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
        except kda.exceptions.ResourceNotFoundException:
            print(json.dumps({"exists": False})); sys.exit()
        cfg = d["ApplicationConfigurationDescription"]
        loc = cfg["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]["S3ApplicationCodeLocationDescription"]
        groups = {g["PropertyGroupId"]: g["PropertyMap"]
                  for g in cfg["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"]}
        print(json.dumps({"exists": True, "status": d["ApplicationStatus"], "version": d["ApplicationVersionId"],
                          "object_version": loc.get("ObjectVersion"), "groups": groups,
                          "parallelism": cfg["FlinkApplicationConfigurationDescription"]
                                            ["ParallelismConfigurationDescription"]["Parallelism"],
                          "snapshots": len(kda.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"])}))
    else:  # plant healthy|failing job metrics (AWS/KinesisAnalytics, dimension Application)
        cw = boto3.client("cloudwatch", **kw)
        now = datetime.now(timezone.utc)
        def point(metric, value, ago=0):
            return {"MetricName": metric, "Value": value, "Timestamp": now - timedelta(minutes=ago),
                    "Dimensions": [{"Name": "Application", "Value": name}], "Unit": "Milliseconds"
                    if metric.endswith("time") else "Count"}
        if action == "healthy":
            data = [point("uptime", 120000), point("downtime", 0), point("numRestarts", 0, 3), point("numRestarts", 0)]
        else:
            data = [point("uptime", 0), point("downtime", 45000), point("numRestarts", 0, 3), point("numRestarts", 4)]
        cw.put_metric_data(Namespace="AWS/KinesisAnalytics", MetricData=data)
        print(json.dumps({"planted": action}))
    """
)


# ----------------------------------------------------------------- helpers


def _env() -> dict:
    """What the aws_env fixture gives (module scope needs its own copy)."""
    strip = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k not in strip}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def zip_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("main.py", text)
    return buf.getvalue()


def aws_setup(emu) -> SimpleNamespace:
    """Versioned code bucket with two versions of the zip, the execution role, a VPC
    (two subnets, one group) and a log stream, all in the emulator."""
    tag = uuid.uuid4().hex[:8]
    s3, iam, ec2, logs = (emu.client(s) for s in ("s3", "iam", "ec2", "logs"))
    bucket = f"flink-code-{tag}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = "streamstack-flink.zip"
    v1 = s3.put_object(Bucket=bucket, Key=key, Body=zip_bytes("print('v1')\n"))["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key=key, Body=zip_bytes("print('v2')\n"))["VersionId"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "kinesisanalytics.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"msf-{tag}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.71.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.71.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    sg = ec2.create_security_group(GroupName=f"msf-{tag}", Description="msf tests", VpcId=vpc)["GroupId"]
    logs.create_log_group(logGroupName=f"/streamstack/msf-{tag}")
    streams = []
    for stream in ("application", "application-2"):
        logs.create_log_stream(logGroupName=f"/streamstack/msf-{tag}", logStreamName=stream)
        streams.append(f"arn:aws:logs:us-east-1:123456789012:log-group:/streamstack/msf-{tag}:log-stream:{stream}")
    return SimpleNamespace(tag=tag, bucket_arn=f"arn:aws:s3:::{bucket}", key=key, v1=v1, v2=v2, role=role,
                           subnets=sorted(subnets), sg=sg, stream=streams[0], stream2=streams[1])


def lifecycle_tasks(ctx: SimpleNamespace, name: str) -> list:
    base = {
        "name": name,
        "service_execution_role": ctx.role,
        "code": {"s3_bucket_arn": ctx.bucket_arn, "s3_key": ctx.key, "s3_object_version": ctx.v1},
        "property_groups": {"kinesis.analytics.flink.run.options": RUN_OPTIONS,
                            "streamstack.job": {"topic.raw": "events.raw", "parallelism": 2}},
        "parallelism": 2,
        "parallelism_per_kpu": 1,
        "auto_scaling": False,
        "checkpointing": True,
        "snapshots": True,
        "vpc": {"subnet_ids": ctx.subnets, "security_group_ids": [ctx.sg]},
        "log_stream_arn": ctx.stream,
        "tags": {"project": "streamstack", "env": "test"},
        "wait_timeout": 60,
    }
    v2 = {**base, "code": {**base["code"], "s3_object_version": ctx.v2},
          "property_groups": {**base["property_groups"], "streamstack.job": {"topic.raw": "events.raw.v2"}}}
    v3 = {**v2, "parallelism": 3}

    def step(title, register, args, check=False, state=None, **extra):
        task = {"name": title, MODULE: {**args, **({"state": state} if state else {})}, "register": register,
                "diff": True, **extra}
        if check:
            task["check_mode"] = True
        return task

    def helper(action, register):
        return {"name": f"{action} {register}",
                "ansible.builtin.command": {"argv": [str(PYTHON), "{{ helper }}", action, "{{ emulator_url }}", name]},
                "register": register, "changed_when": False}

    def probe(register):
        return helper("probe", register)

    def knob(times):
        return {"name": f"Emulator: the next {times} changes lose a race",
                "ansible.builtin.uri": {"url": "{{ emulator_url }}/moto-api/static/kinesisanalyticsv2/concurrent-update",
                                        "method": "POST", "body_format": "json", "status_code": 201,
                                        "body": {"application_name": name, "times": times}}}

    def check(title, *that):
        return {"name": title, "ansible.builtin.assert": {"that": list(that), "fail_msg": f"{title}: failed"}}

    p = "(p_{0}.stdout | from_json)"
    block = [
        step("Create in check mode", "c_create", base, check=True),
        probe("p_c_create"),
        check("Check-mode create reported and created nothing",
              "c_create is changed", "c_create.changes == ['created']", "c_create.diff.before == {}",
              "c_create.diff.after.code.s3_object_version == '" + ctx.v1 + "'",
              "c_create.application.status == 'READY'", "not " + p.format("c_create") + ".exists"),
        step("Create", "create", base),
        step("Create again", "create_again", base),
        check("Created once as asked, then unchanged",
              "create is changed", "create_again is not changed", "create.changes == ['created']",
              "create.application.status == 'READY'", "create.application.version_id == 1",
              "create.application.runtime == 'FLINK-2_2'",
              "create.application.code.s3_object_version == '" + ctx.v1 + "'",
              "create.application.property_groups['streamstack.job']['parallelism'] == '2'",
              "create.application.parallelism == 2", "create.application.auto_scaling == false",
              "create.application.snapshots", "create.application.vpc.subnet_ids == " + json.dumps(ctx.subnets),
              "create.application.log_stream_arn == '" + ctx.stream + "'",
              "create.application.tags == {'project': 'streamstack', 'env': 'test'}",
              "create.elapsed is number", "create_again.changes == []"),
        step("Change the code in check mode", "c_update", v2, check=True),
        probe("p_c_update"),
        check("Check-mode update shows the diff and changes nothing",
              "c_update is changed", "c_update.changes == ['code', 'property_groups']",
              "c_update.diff.before.code.s3_object_version == '" + ctx.v1 + "'",
              "c_update.diff.after.code.s3_object_version == '" + ctx.v2 + "'",
              "c_update.diff.after.property_groups['streamstack.job'] == {'topic.raw': 'events.raw.v2'}",
              p.format("c_update") + ".version == 1",
              p.format("c_update") + ".object_version == '" + ctx.v1 + "'"),
        step("Update code and properties", "update", v2),
        step("Update again", "update_again", v2),
        probe("p_update"),
        check("One UpdateApplication, version bumped, then unchanged",
              "update is changed", "update.changes == ['code', 'property_groups']",
              "update.application.version_id == 2", "update.operation_ids | length == 1",
              "update.diff.before.code.s3_object_version == '" + ctx.v1 + "'",
              "update.diff.after.code.s3_object_version == '" + ctx.v2 + "'",
              "update_again is not changed",
              p.format("update") + ".version == 2", p.format("update") + ".object_version == '" + ctx.v2 + "'",
              p.format("update") + ".groups['streamstack.job'] == {'topic.raw': 'events.raw.v2'}"),
        step("Move logging and network", "move", {**v2, "log_stream_arn": ctx.stream2,
                                                  "vpc": {"subnet_ids": ctx.subnets[:1], "security_group_ids": [ctx.sg]}}),
        step("Remove logging and network", "remove", {**v2, "log_stream_arn": "",
                                                      "vpc": {"subnet_ids": [], "security_group_ids": []}}),
        step("Add logging and network back", "add_back", v2),
        step("Add them back again", "add_back_again", v2),
        check("Log stream and subnets change in UpdateApplication; removal and addition by their own calls",
              "move.changes == ['vpc', 'log_stream_arn']", "move.operation_ids | length == 1",
              "move.application.vpc.subnet_ids == " + json.dumps(ctx.subnets[:1]),
              "move.application.log_stream_arn == '" + ctx.stream2 + "'",
              "remove.changes == ['vpc', 'log_stream_arn']", "remove.operation_ids | length == 2",
              "remove.application.vpc is none", "remove.application.log_stream_arn is none",
              "add_back.changes == ['vpc', 'log_stream_arn']", "add_back.operation_ids | length == 2",
              "add_back.application.vpc.subnet_ids == " + json.dumps(ctx.subnets),
              "add_back.application.version_id == 7", "add_back_again is not changed"),
        step("Start in check mode", "c_start", v2, check=True, state="started"),
        probe("p_c_start"),
        check("Check-mode start changes nothing",
              "c_start is changed", "c_start.changes == ['started']", "c_start.application.status == 'RUNNING'",
              p.format("c_start") + ".status == 'READY'"),
        step("Start", "start", v2, state="started"),
        helper("healthy", "plant_healthy"),
        step("Start again", "start_again", v2, state="started"),
        probe("p_start"),
        check("Started once (no metrics yet: a warning), then unchanged with a healthy job",
              "start is changed", "start.changes == ['started']", "start.application.status == 'RUNNING'",
              "start.job.healthy is none", "start.warnings | select('search', 'No CloudWatch metrics') | list | length == 1",
              "start_again is not changed", "start_again.job.healthy == true", "start_again.job.downtime_ms == 0",
              p.format("start") + ".status == 'RUNNING'"),
        step("Scale while RUNNING", "scale", v3, state="started"),
        check("A RUNNING application is updated (UPDATING, back to RUNNING)",
              "scale is changed", "scale.changes == ['parallelism']", "scale.application.status == 'RUNNING'",
              "scale.application.parallelism == 3", "scale.application.version_id == 8"),
        knob(1),
        step("Change while another writer commits first", "race",
             {**v3, "tags": {"project": "streamstack", "env": "test"}, "auto_scaling": True}, state="started"),
        probe("p_race"),
        check("ConcurrentModificationException: re-read and retried once",
              "race is changed", "race.concurrent_retries == 1", "race.changes == ['auto_scaling']",
              "race.application.auto_scaling", p.format("race") + ".version == 10"),
        knob(5),
        step("Change while other writers always commit first", "race_lost",
             {**v3, "auto_scaling": False}, state="started", ignore_errors=True),
        knob(0),
        probe("p_race_lost"),
        check("Retries are bounded and the failure says why",
              "race_lost is failed", "'changed under us 3 times' in race_lost.msg",
              "'another deployment' in race_lost.msg", "race_lost.concurrent_retries == 2",
              p.format("race_lost") + ".version == 13"),
        helper("failing", "plant_failing"),
        step("Started, but the Flink job keeps failing", "job_down", {**v3, "auto_scaling": True},
             state="started", ignore_errors=True),
        step("Same without the job check", "job_unchecked", {**v3, "auto_scaling": True, "check_job": False},
             state="started"),
        check("RUNNING with a failing job fails the task, unless the check is off",
              "job_down is failed", "'RUNNING but its Flink job is not running (downtime=45000 ms' in job_down.msg",
              "'numRestarts +4' in job_down.msg", "job_down.job.healthy == false",
              "job_down.application.status == 'RUNNING'", "job_unchecked is not failed",
              "job_unchecked is not changed", "job_unchecked.job == {'checked': false}"),
        {"name": "Info on the failing job", INFO: {"name": name}, "register": "info_running"},
        check("Info reports the job and never fails",
              "info_running is not failed", "info_running.exists", "info_running.application.version_id == 13",
              "info_running.job.healthy == false", "info_running.job.restart_metric == 'numRestarts'"),
        step("Stop in check mode", "c_stop", {"name": name}, check=True, state="stopped"),
        probe("p_c_stop"),
        check("Check-mode stop changes nothing",
              "c_stop is changed", "c_stop.changes == ['stopped']", "c_stop.application.status == 'READY'",
              p.format("c_stop") + ".status == 'RUNNING'"),
        step("Stop", "stop", {"name": name}, state="stopped"),
        step("Stop again", "stop_again", {"name": name}, state="stopped"),
        probe("p_stop"),
        check("Stopped once (with a snapshot), then unchanged",
              "stop is changed", "stop.changes == ['stopped']", "stop.application.status == 'READY'",
              "stop_again is not changed", p.format("stop") + ".snapshots == 1", "stop.job is not defined"),
        step("Delete in check mode", "c_delete", {"name": name}, check=True, state="absent"),
        probe("p_c_delete"),
        check("Check-mode delete changes nothing",
              "c_delete is changed", "c_delete.diff.after == {}", p.format("c_delete") + ".exists"),
        step("Delete", "delete", {"name": name}, state="absent"),
        step("Delete again", "delete_again", {"name": name}, state="absent"),
        {"name": "Info on the deleted application", INFO: {"name": name}, "register": "info_gone"},
        probe("p_delete"),
        check("Deleted once, then unchanged",
              "delete is changed", "delete.changes == ['deleted']", "delete.application == {}",
              "delete_again is not changed", "not info_gone.exists", "not " + p.format("delete") + ".exists"),
    ]
    cleanup = [{"name": "Cleanup", MODULE: {"name": name, "state": "absent"}}]
    return [{"name": "Lifecycle", "block": block, "always": cleanup}]


def bad_input_cases(ctx: SimpleNamespace) -> dict:
    """name: (module args, text the failure message must contain)."""
    ok = {"service_execution_role": ctx.role, "code": {"s3_bucket_arn": ctx.bucket_arn, "s3_key": ctx.key}}
    missing_role = ctx.role.rsplit("/", 1)[0] + "/no-such-role"
    return {
        "unknown runtime": ({**ok, "runtime": "FLINK-9_9"}, "value of runtime must be one of"),
        "missing role": ({**ok, "service_execution_role": missing_role},
                         f"service_execution_role {missing_role} does not exist in IAM"),
        "code object missing": ({**ok, "code": {"s3_bucket_arn": ctx.bucket_arn, "s3_key": "nope.zip"}},
                                "Object nope.zip does not exist"),
        "code version missing": ({**ok, "code": {**ok["code"], "s3_object_version": "no-such-version"}},
                                 "with version no-such-version does not exist"),
        "no code": ({"service_execution_role": ctx.role}, "needs code"),
        "half a vpc": ({**ok, "vpc": {"subnet_ids": ctx.subnets}}, "vpc needs both subnet_ids and security_group_ids"),
        "bucket not an arn": ({**ok, "code": {"s3_bucket_arn": "my-bucket", "s3_key": ctx.key}},
                              "code.s3_bucket_arn must be an ARN"),
        "empty property group": ({**ok, "property_groups": {"streamstack.job": {}}},
                                 "property_groups.streamstack.job must be a non-empty map"),
    }


@pytest.fixture(scope="module")
def runs(aws_emulator, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("msf_plays")
    (tmp / "helper.py").write_text(HELPER)
    ctx = aws_setup(aws_emulator)
    ctx.kda = aws_emulator.client("kinesisanalyticsv2")
    ctx.app = f"flink-{ctx.tag}"
    ctx.cases = bad_input_cases(ctx)
    ctx.bad_names = {case: f"bad-{i}-{ctx.tag}" for i, case in enumerate(ctx.cases)}
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1",
                                                   "access_key": "testing", "secret_key": "testing"}}
    play_vars = {"emulator_url": aws_emulator.url, "helper": str(tmp / "helper.py")}
    bad_tasks = [{"name": case, MODULE: {"name": ctx.bad_names[case], **args}, "ignore_errors": True}
                 for case, (args, _) in ctx.cases.items()]
    env = _env()
    with ThreadPoolExecutor(max_workers=2) as pool:
        ctx.futures = {
            "lifecycle": pool.submit(run_play, tmp, env, lifecycle_tasks(ctx, ctx.app), name="msf-lifecycle",
                                     module_defaults=defaults, play_vars=play_vars),
            "bad": pool.submit(run_play, tmp, env, bad_tasks, name="msf-bad-input", module_defaults=defaults),
        }
        try:
            yield ctx
        finally:
            for future in ctx.futures.values():
                future.exception()


# ------------------------------------------------------------------- tests
def test_lifecycle(runs):
    rc, results, output = runs.futures["lifecycle"].result()
    assert rc == 0, f"lifecycle failed:\n{failures(results)}\n{output[-3000:]}"
    assert results["Create"]["changed"] and not results["Create again"]["changed"]
    with pytest.raises(runs.kda.exceptions.ResourceNotFoundException):
        runs.kda.describe_application(ApplicationName=runs.app)


def test_bad_input_fails_clearly_and_changes_nothing(runs):
    rc, results, output = runs.futures["bad"].result()
    assert rc == 0, output[-3000:]
    problems = []
    for case, (_, text) in runs.cases.items():
        result = results.get(case, {})
        if not result.get("failed"):
            problems.append(f"{case}: did not fail: {result}")
        elif text not in result.get("msg", ""):
            problems.append(f"{case}: message lacks {text!r}: {result.get('msg')}")
        elif result.get("changed"):
            problems.append(f"{case}: reported changed")
        elif "Traceback" in json.dumps(result):
            problems.append(f"{case}: traceback in result")
    assert not problems, "\n".join(problems)
    existing = {a["ApplicationName"] for a in runs.kda.list_applications()["ApplicationSummaries"]}
    assert not existing & set(runs.bad_names.values())


def test_ansible_doc_renders():
    proc = subprocess.run([str(VENV_BIN / "ansible-doc"), MODULE, INFO], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    for module in (MODULE, INFO):
        assert f"MODULE {module}" in proc.stdout, proc.stdout[:500]
    assert proc.stdout.count("EXAMPLES:") == 2 and proc.stdout.count("RETURN VALUES:") == 2
    for option in ("service_execution_role", "property_groups", "application_restore_type", "check_job", "wait_timeout"):
        assert option in proc.stdout



def test_stuck_start_times_out_and_force_stop_ends_it(runs, aws_emulator, tmp_path):
    """A start that never finishes (state model held at STARTING) fails after
    wait_timeout with what to do; force_stop ends it. Runs after the other plays:
    the transition setting is server-global."""
    for future in runs.futures.values():
        future.exception()
    name = f"stuck-{runs.tag}"
    args = {"name": name, "service_execution_role": runs.role,
            "code": {"s3_bucket_arn": runs.bucket_arn, "s3_key": runs.key}, "check_job": False}
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1",
                                                   "access_key": "testing", "secret_key": "testing"}}
    runs.kda.create_application(
        ApplicationName=name, RuntimeEnvironment="FLINK-2_2", ServiceExecutionRole=runs.role,
        ApplicationConfiguration={"ApplicationCodeConfiguration": {"CodeContentType": "ZIPFILE", "CodeContent": {
            "S3ContentLocation": {"BucketARN": runs.bucket_arn, "FileKey": runs.key}}}})
    aws_emulator.set_transition("kinesisanalyticsv2::application", "manual", times=1000)
    try:
        rc, results, output = run_play(tmp_path, _env(), [
            {"name": "Start", MODULE: {**args, "state": "started", "wait_timeout": 2}, "ignore_errors": True},
        ], name="msf-stuck", module_defaults=defaults)
    finally:
        aws_emulator.unset_transition("kinesisanalyticsv2::application")
    start = results["Start"]
    assert start.get("failed"), start
    assert "Timed out after 2 s waiting for application " + name + " to be RUNNING (status STARTING)" in start["msg"]
    assert "force_stop=true" in start["msg"] and start["changes"] == ["started"] and start["changed"]
    rc, results, output = run_play(tmp_path, _env(), [
        {"name": "Force stop", MODULE: {"name": name, "state": "stopped", "force_stop": True}, "register": "stop"},
        {"name": "Delete", MODULE: {"name": name, "state": "absent"}},
    ], name="msf-unstick", module_defaults=defaults)
    assert rc == 0, f"{failures(results)}\n{output[-2000:]}"
    assert results["Force stop"]["changes"] == ["stopped"]
    assert results["Force stop"]["application"]["status"] == "READY"
    with pytest.raises(runs.kda.exceptions.ResourceNotFoundException):
        runs.kda.describe_application(ApplicationName=name)


def test_an_execution_role_not_yet_propagated_is_retried(runs, aws_emulator, tmp_path):
    """MSF refuses a role IAM has not propagated yet exactly as one it may not assume
    (patches/iam.py): the module retries that answer (AWSRetry), bounded. Runs after
    the other plays: the setting is server-global."""
    for future in runs.futures.values():
        future.exception()
    name = f"young-role-{runs.tag}"
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1",
                                                   "access_key": "testing", "secret_key": "testing"}}
    args = {"name": name, "service_execution_role": runs.role,
            "code": {"s3_bucket_arn": runs.bucket_arn, "s3_key": runs.key}, "check_job": False}
    aws_emulator.iam_propagation(times={"kinesisanalytics.amazonaws.com": 2})
    try:
        rc, results, output = run_play(tmp_path, _env(), [
            {"name": "Create", MODULE: {**args, "state": "present"}},
            {"name": "Delete", MODULE: {"name": name, "state": "absent"}},
        ], name="msf-young-role", module_defaults=defaults)
        refused = aws_emulator.iam_refusals()
    finally:
        aws_emulator.iam_propagation()
    assert rc == 0, f"{failures(results)}\n{output[-2000:]}"
    assert results["Create"]["changes"] == ["created"]
    assert refused == {"kinesisanalytics.amazonaws.com": 2}, refused
