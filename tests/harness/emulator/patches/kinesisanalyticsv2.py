"""Amazon Managed Service for Apache Flink (``kinesisanalyticsv2``) on top of moto 5.2.5.

Gaps in stock moto that this module fixes:

* Only CreateApplication, DescribeApplication, ListApplications, TagResource
  and ListTagsForResource exist, and an application stays STARTING forever.
  DescribeApplication of an unknown name is a server error (KeyError).
* Now the whole Flink lifecycle, through the state manager model
  ``kinesisanalyticsv2::application``: created READY; StartApplication
  READY -> STARTING -> RUNNING; StopApplication RUNNING -> STOPPING -> READY
  (``Force``: FORCE_STOPPING -> READY, also from STARTING/UPDATING/STOPPING);
  UpdateApplication on a RUNNING application UPDATING -> RUNNING (READY
  applications change in place); DeleteApplication DELETING -> gone
  (ResourceNotFoundException), also for a RUNNING application (AWS: "halts
  application execution and deletes the application").
* Every change (UpdateApplication, Add/DeleteApplicationVpcConfiguration,
  Add/DeleteApplicationCloudWatchLoggingOption) needs
  ``CurrentApplicationVersionId`` or ``ConditionalToken``; a stale one ->
  ConcurrentModificationException.  Each bumps ApplicationVersionId, gets a
  new ConditionalToken and an OperationId (ListApplicationOperations,
  DescribeApplicationOperation); ListApplicationVersions /
  DescribeApplicationVersion return the history.
* UpdateApplication applies ApplicationConfigurationUpdate (code location and
  object version, environment property groups - replaced as a whole, as AWS
  does -, checkpointing, monitoring, parallelism, snapshots, system rollback,
  VPC configuration updates), ServiceExecutionRoleUpdate,
  RunConfigurationUpdate, CloudWatchLoggingOptionUpdates and
  RuntimeEnvironmentUpdate (in-place version upgrade).
* Validation the way AWS refuses bad input: the runtime must be a Flink
  runtime open to new applications (FLINK-1_20, FLINK-2_2, FLINK-2_3;
  SQL-1_0 creation ended 2025-10-15); the execution role must exist and trust
  kinesisanalytics.amazonaws.com; the S3 code object (and version) must exist
  in the emulator's S3; subnets and security groups must exist, in one VPC;
  one VPC configuration per application; log streams must exist; duplicate
  names -> ResourceInUseException.
* Snapshots: StopApplication (not forced) takes one when snapshots are on;
  CreateApplicationSnapshot (RUNNING, snapshots on), ListApplicationSnapshots,
  DescribeApplicationSnapshot, DeleteApplicationSnapshot.
  StartApplication's ApplicationRestoreConfiguration is checked (a custom
  snapshot must exist) and shown in RunConfigurationDescription.
* UntagResource was missing; tagging an unknown ARN now fails as on AWS.

Emulator-only knob (no AWS counterpart): ``POST
/moto-api/static/kinesisanalyticsv2/concurrent-update`` with
``{"application_name": NAME, "times": N}`` makes the next N version-checked
changes of NAME find that "someone else" committed a version first (the
version is bumped just before the check), so they fail with
ConcurrentModificationException.  Tests use it to exercise retries.

The job inside a RUNNING application is not simulated: on AWS its health is
seen in CloudWatch (namespace AWS/KinesisAnalytics, dimension Application:
``downtime``, ``uptime``, ``numRestarts``/``fullRestarts``), which tests plant
with PutMetricData (moto accepts the AWS/ namespace; AWS would not).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from moto.core.responses import ActionResult
from moto.kinesisanalyticsv2.models import KinesisAnalyticsV2Backend, kinesisanalyticsv2_backends
from moto.kinesisanalyticsv2.responses import KinesisAnalyticsV2Response

from ._common import error_class, managed_status, observe, parsed_params, raw_status, register_reaper

ServiceError = error_class("kinesisanalyticsv2")

APP_MODEL = "kinesisanalyticsv2::application"
# Runtimes a new application may use (botocore 1.44 enum minus the retired
# and the Zeppelin/SQL ones; AWS advises FLINK-2_2 or newer).
RUNTIMES = ("FLINK-1_20", "FLINK-2_2", "FLINK-2_3")
TRUSTED_SERVICE = "kinesisanalytics.amazonaws.com"
NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")

DEFAULT_CHECKPOINT = {
    "ConfigurationType": "DEFAULT",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 60000,
    "MinPauseBetweenCheckpoints": 5000,
}
DEFAULT_MONITORING = {"ConfigurationType": "DEFAULT", "MetricsLevel": "APPLICATION", "LogLevel": "INFO"}
DEFAULT_PARALLELISM = {
    "ConfigurationType": "DEFAULT",
    "Parallelism": 1,
    "ParallelismPerKPU": 1,
    "CurrentParallelism": 1,
    "AutoScalingEnabled": True,
}
# What UpdateApplication may change.
UPDATABLE = ("runtime", "role", "code", "checkpoint", "monitoring", "parallelism", "property_groups",
             "snapshots_enabled", "rollback_enabled", "vpcs", "logging", "run_config")
# Statuses in which a change (update, VPC, logging) is accepted.
CHANGEABLE = ("READY", "RUNNING")
# Statuses a forced stop can interrupt.
FORCE_STOPPABLE = ("RUNNING", "STARTING", "UPDATING", "STOPPING", "AUTOSCALING")


def _err(code: str, msg: str) -> Exception:
    return ServiceError(code, msg)


def _invalid(msg: str) -> Exception:
    return _err("InvalidArgumentException", msg)


def _in_use(msg: str) -> Exception:
    return _err("ResourceInUseException", msg)


def _not_found(msg: str) -> Exception:
    return _err("ResourceNotFoundException", msg)


def _now() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # AWS: millisecond precision


def _token() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------
# model
class MsfApplication:
    # status: managed property (kinesisanalyticsv2::application), installed in apply()
    def __init__(self, backend: KinesisAnalyticsV2Backend, name: str, runtime: str, role: str):
        self.backend = backend
        self.name = name
        self.arn = f"arn:{backend.partition}:kinesisanalytics:{backend.region_name}:{backend.account_id}:application/{name}"
        self.description = ""
        self.runtime = runtime
        self.role = role
        self.mode = "STREAMING"
        self.created = _now()
        self.updated = self.created
        self.version_id = 1
        self.updated_from: int | None = None
        self.token = _token()
        self.code: dict[str, Any] | None = None
        self.checkpoint = dict(DEFAULT_CHECKPOINT)
        self.monitoring = dict(DEFAULT_MONITORING)
        self.parallelism = dict(DEFAULT_PARALLELISM)
        self.property_groups: list[dict[str, Any]] = []
        self.snapshots_enabled = False
        self.rollback_enabled = False
        self.vpcs: list[dict[str, Any]] = []
        self.logging: list[dict[str, Any]] = []
        self.run_config: dict[str, Any] | None = None
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.operations: list[dict[str, Any]] = []
        self.versions: dict[int, dict[str, Any]] = {}
        self.races = 0  # emulator knob: pending concurrent writers
        self._ids = {"vpc": 0, "log": 0}
        self.status = "READY"

    # moto's tagging-API hooks read these two
    @property
    def application_arn(self) -> str:
        return self.arn

    @property
    def application_name(self) -> str:
        return self.name

    def next_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return f"{self._ids[kind]}.1"

    def config_description(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "FlinkApplicationConfigurationDescription": {
                "CheckpointConfigurationDescription": dict(self.checkpoint),
                "MonitoringConfigurationDescription": dict(self.monitoring),
                "ParallelismConfigurationDescription": dict(self.parallelism),
            },
            "EnvironmentPropertyDescriptions": {"PropertyGroupDescriptions": copy.deepcopy(self.property_groups)},
            "ApplicationSnapshotConfigurationDescription": {"SnapshotsEnabled": self.snapshots_enabled},
            "ApplicationSystemRollbackConfigurationDescription": {"RollbackEnabled": self.rollback_enabled},
        }
        if self.code is not None:
            out["ApplicationCodeConfigurationDescription"] = copy.deepcopy(self.code)
        if self.vpcs:
            out["VpcConfigurationDescriptions"] = copy.deepcopy(self.vpcs)
        if self.run_config is not None:
            out["RunConfigurationDescription"] = copy.deepcopy(self.run_config)
        return out

    def detail(self, status: str | None = None) -> dict[str, Any]:
        out = {
            "ApplicationARN": self.arn,
            "ApplicationDescription": self.description,
            "ApplicationName": self.name,
            "RuntimeEnvironment": self.runtime,
            "ServiceExecutionRole": self.role,
            "ApplicationStatus": status or self.status,
            "ApplicationVersionId": self.version_id,
            "CreateTimestamp": self.created,
            "LastUpdateTimestamp": self.updated,
            "ApplicationConfigurationDescription": self.config_description(),
            "ApplicationMaintenanceConfigurationDescription": {
                "ApplicationMaintenanceWindowStartTime": "06:00",
                "ApplicationMaintenanceWindowEndTime": "14:00",
            },
            "ApplicationVersionCreateTimestamp": self.updated,
            "ConditionalToken": self.token,
            "ApplicationMode": self.mode,
        }
        if self.logging:
            out["CloudWatchLoggingOptionDescriptions"] = copy.deepcopy(self.logging)
        if self.updated_from is not None:
            out["ApplicationVersionUpdatedFrom"] = self.updated_from
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "ApplicationName": self.name,
            "ApplicationARN": self.arn,
            "ApplicationStatus": self.status,
            "ApplicationVersionId": self.version_id,
            "RuntimeEnvironment": self.runtime,
            "ApplicationMode": self.mode,
        }

    def settled_status(self) -> str:
        """What the status becomes once the current transition completes."""
        status = raw_status(self)
        return {"STARTING": "RUNNING", "UPDATING": "RUNNING", "STOPPING": "READY", "FORCE_STOPPING": "READY"}.get(
            status, status
        )

    def record_version(self) -> None:
        self.versions[self.version_id] = self.detail(status=self.settled_status())

    def bump(self) -> None:
        """A committed change: new version, token and timestamps."""
        self.updated_from = self.version_id
        self.version_id += 1
        self.token = _token()
        self.updated = _now()
        self.record_version()

    def operation(self, name: str, from_version: int | None = None) -> str:
        op_id = uuid.uuid4().hex[:16]
        op = {"Operation": name, "OperationId": op_id, "StartTime": _now(), "status_marker": raw_status(self)}
        if from_version is not None and from_version != self.version_id:
            op["ApplicationVersionChangeDetails"] = {
                "ApplicationVersionUpdatedFrom": from_version,
                "ApplicationVersionUpdatedTo": self.version_id,
            }
        self.operations.append(op)
        return op_id

    def operation_info(self, op: dict[str, Any]) -> dict[str, Any]:
        # In progress while the application is still in the transitional
        # status this operation put it in; then successful.
        running = op is self.operations[-1] and raw_status(self) == op["status_marker"] and op["status_marker"] in (
            "STARTING", "STOPPING", "FORCE_STOPPING", "UPDATING", "DELETING")
        out = {
            "Operation": op["Operation"],
            "OperationId": op["OperationId"],
            "StartTime": op["StartTime"],
            "OperationStatus": "IN_PROGRESS" if running else "SUCCESSFUL",
        }
        if not running:
            out["EndTime"] = op.setdefault("EndTime", _now())
        return out


# --------------------------------------------------------------------------
# helpers
def _apps(backend: KinesisAnalyticsV2Backend) -> dict[str, Any]:
    return backend.applications


def reap(backend: KinesisAnalyticsV2Backend) -> None:
    """Drop applications whose deletion completed (DELETING -> DELETED), and keep
    their network interfaces in step (``_sync_enis``)."""
    for name, app in list(_apps(backend).items()):
        if not isinstance(app, MsfApplication):
            continue
        status = app.status
        _sync_enis(backend, app, status)
        if status == "DELETED":
            _apps(backend).pop(name, None)
            backend.tagger.delete_all_tags_for_resource(app.arn)


# An application in a VPC runs with ENIs in its subnets (one per subnet here; AWS
# sizes them with the parallelism), carrying its security groups. They appear when
# it starts and outlive its stop or deletion for a while (patches/enis.py).
_RUNS = ("STARTING", "RUNNING", "UPDATING", "STOPPING", "FORCE_STOPPING", "AUTOSCALING")


def _sync_enis(backend: KinesisAnalyticsV2Backend, app: MsfApplication, status: str) -> None:
    from moto.ec2.models import ec2_backends

    from . import enis

    held = app.__dict__.get("_harness_enis") or []
    wanted = status in _RUNS and bool(app.vpcs)
    if wanted and not held:
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        vpc = app.vpcs[0]
        app.__dict__["_harness_enis"] = [
            enis.create(ec2, subnet, vpc["SecurityGroupIds"],
                        f"ENI for Kinesis Analytics application {app.name}", "kinesisanalytics")
            for subnet in vpc["SubnetIds"]]
    elif held and not wanted:
        enis.release(ec2_backends[backend.account_id][backend.region_name], held, "kinesisanalytics")
        app.__dict__["_harness_enis"] = []


def _reap_all(account_id: str, region: str) -> None:
    """EC2's dependency checks run this first (register_reaper)."""
    try:
        backend = kinesisanalyticsv2_backends[account_id][region]
    except Exception:  # pragma: no cover - no backend
        return
    reap(backend)


def _get(backend: KinesisAnalyticsV2Backend, name: str | None, observe_it: bool = False) -> MsfApplication:
    app = _apps(backend).get(name or "")
    if observe_it and isinstance(app, MsfApplication):
        observe(app)  # a describe: may complete a transition
    reap(backend)
    app = _apps(backend).get(name or "")
    if not isinstance(app, MsfApplication):
        raise _not_found(f"Application {name} does not exist")
    return app


def _by_arn(backend: KinesisAnalyticsV2Backend, arn: str | None) -> MsfApplication:
    reap(backend)
    for app in _apps(backend).values():
        if isinstance(app, MsfApplication) and app.arn == arn:
            return app
    raise _not_found(f"Resource {arn} does not exist")


def _check_runtime(runtime: str | None) -> str:
    import botocore.session

    enum = botocore.session.get_session().get_service_model("kinesisanalyticsv2").shape_for("RuntimeEnvironment").enum
    if runtime not in enum:
        raise _err(
            "ValidationException",
            f"1 validation error detected: Value '{runtime}' at 'runtimeEnvironment' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(enum)}]",
        )
    if runtime not in RUNTIMES:
        raise _invalid(
            f"Runtime environment {runtime} is not available for new applications or upgrades; "
            f"use one of {', '.join(RUNTIMES)}"
        )
    return runtime


def _check_role(backend: KinesisAnalyticsV2Backend, arn: str | None) -> str:
    """MSF assumes the role when the application is created or changed: it must
    exist, trust MSF and have propagated (patches/iam.py)."""
    from moto.iam.models import iam_backends

    from .iam import check_assumable

    if not arn:
        raise _invalid("ServiceExecutionRole is required for Apache Flink applications")
    iam = iam_backends[backend.account_id][backend.partition]

    def denied() -> Exception:
        return _invalid(f"Kinesis Analytics service doesn't have sufficient privileges to assume the role {arn}")

    try:
        role = iam.get_role_by_arn(arn)
    except Exception:
        raise denied()
    check_assumable(role, TRUSTED_SERVICE, denied)
    return arn


def _bucket_name(bucket_arn: str | None) -> str:
    m = re.match(r"^arn:[^:]+:s3:::([^/]+)$", bucket_arn or "")
    if not m:
        raise _invalid(f"{bucket_arn} is not an S3 bucket ARN (arn:aws:s3:::BUCKET)")
    return m.group(1)


def _s3_object(backend: KinesisAnalyticsV2Backend, bucket_arn: str, key: str, version: str | None) -> Any:
    from moto.s3.models import s3_backends

    s3 = s3_backends[backend.account_id][backend.partition]
    name = _bucket_name(bucket_arn)
    bucket = s3.buckets.get(name)
    if bucket is None:
        raise _invalid(f"Bucket {bucket_arn} does not exist")
    if version:
        obj = next((k for k in bucket.keys.getlist(key, default=[]) if str(getattr(k, "version_id", "")) == version), None)
        if obj is None or not hasattr(obj, "value"):
            raise _invalid(f"Object {key} with version {version} does not exist in bucket {bucket_arn}")
        return obj
    obj = bucket.keys.get(key)
    if obj is None or not hasattr(obj, "value"):
        raise _invalid(f"Object {key} does not exist in bucket {bucket_arn}")
    return obj


def _code_description(backend: KinesisAnalyticsV2Backend, content_type: str, content: dict[str, Any]) -> dict[str, Any]:
    if content_type not in ("ZIPFILE", "PLAINTEXT"):
        raise _invalid(f"CodeContentType {content_type} is not valid")
    if content_type != "ZIPFILE":
        raise _invalid("Apache Flink applications need CodeContentType ZIPFILE")
    desc: dict[str, Any] = {}
    if content.get("S3ContentLocation"):
        loc = content["S3ContentLocation"]
        obj = _s3_object(backend, loc.get("BucketARN"), loc.get("FileKey"), loc.get("ObjectVersion"))
        data = obj.value
        s3_desc = {"BucketARN": loc["BucketARN"], "FileKey": loc["FileKey"]}
        if loc.get("ObjectVersion"):
            s3_desc["ObjectVersion"] = loc["ObjectVersion"]
        desc["S3ApplicationCodeLocationDescription"] = s3_desc
    elif content.get("ZipFileContent") is not None:
        data = content["ZipFileContent"]
        data = data if isinstance(data, bytes) else str(data).encode()
    else:
        raise _invalid("CodeContent needs S3ContentLocation or ZipFileContent")
    desc["CodeMD5"] = hashlib.md5(data).hexdigest()
    desc["CodeSize"] = len(data)
    return {"CodeContentType": content_type, "CodeContentDescription": desc}


def _vpc_description(backend: KinesisAnalyticsV2Backend, subnets: list[str], groups: list[str], vpc_id_: str) -> dict[str, Any]:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[backend.account_id][backend.region_name]
    if not subnets:
        raise _invalid("A VPC configuration needs at least one subnet")
    if not groups:
        raise _invalid("A VPC configuration needs at least one security group")
    vpcs = set()
    for subnet_id in subnets:
        try:
            vpcs.add(ec2.get_subnet(subnet_id).vpc_id)
        except Exception:
            raise _invalid(f"Subnet {subnet_id} does not exist")
    found = {g.id: g for g in ec2.describe_security_groups(group_ids=list(groups))} if groups else {}
    missing = [g for g in groups if g not in found]
    if missing:
        raise _invalid(f"Security group {missing[0]} does not exist")
    vpcs.update(g.vpc_id for g in found.values())
    if len(vpcs) != 1:
        raise _invalid("The subnets and security groups of a VPC configuration must all be in one VPC")
    return {
        "VpcConfigurationId": vpc_id_,
        "VpcId": vpcs.pop(),
        "SubnetIds": list(subnets),
        "SecurityGroupIds": list(groups),
    }


def _check_log_stream(backend: KinesisAnalyticsV2Backend, arn: str | None) -> str:
    from moto.logs.models import logs_backends

    m = re.match(r"^arn:[^:]+:logs:([^:]+):(\d+):log-group:(.+):log-stream:(.+)$", arn or "")
    if not m:
        raise _invalid(f"{arn} is not a CloudWatch Logs log stream ARN")
    region, account, group, stream = m.groups()
    try:
        logs = logs_backends[account][region]
        if stream not in logs.groups[group].streams:
            raise KeyError(stream)
    except Exception:
        raise _invalid(f"Log stream {arn} does not exist")
    return arn


def _check_property_groups(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(groups) > 50:
        raise _invalid("At most 50 property groups are allowed")
    seen = set()
    out = []
    for g in groups:
        gid = g.get("PropertyGroupId")
        if gid in seen:
            raise _invalid(f"Property group {gid} is given twice")
        seen.add(gid)
        pmap = g.get("PropertyMap") or {}
        if not 1 <= len(pmap) <= 50:
            raise _invalid(f"Property group {gid} must have 1 to 50 properties")
        out.append({"PropertyGroupId": gid, "PropertyMap": {str(k): str(v) for k, v in pmap.items()}})
    return out


def _apply_checkpoint(app: MsfApplication, c: dict[str, Any], update: bool) -> None:
    k = (lambda n: n + "Update") if update else (lambda n: n)
    ctype = c.get(k("ConfigurationType"))
    if ctype == "DEFAULT":
        app.checkpoint = dict(DEFAULT_CHECKPOINT)
        return
    if ctype == "CUSTOM" or (update and ctype is None):
        new = dict(app.checkpoint, ConfigurationType="CUSTOM")
        for name in ("CheckpointingEnabled", "CheckpointInterval", "MinPauseBetweenCheckpoints"):
            if c.get(k(name)) is not None:
                new[name] = c[k(name)]
        if new["CheckpointInterval"] < 1 or new["MinPauseBetweenCheckpoints"] < 0:
            raise _invalid("CheckpointInterval must be at least 1 and MinPauseBetweenCheckpoints at least 0")
        app.checkpoint = new


def _apply_monitoring(app: MsfApplication, c: dict[str, Any], update: bool) -> None:
    k = (lambda n: n + "Update") if update else (lambda n: n)
    ctype = c.get(k("ConfigurationType"))
    if ctype == "DEFAULT":
        app.monitoring = dict(DEFAULT_MONITORING)
        return
    new = dict(app.monitoring, ConfigurationType="CUSTOM")
    for name in ("MetricsLevel", "LogLevel"):
        if c.get(k(name)) is not None:
            new[name] = c[k(name)]
    app.monitoring = new


def _apply_parallelism(app: MsfApplication, c: dict[str, Any], update: bool) -> None:
    k = (lambda n: n + "Update") if update else (lambda n: n)
    ctype = c.get(k("ConfigurationType"))
    if ctype == "DEFAULT":
        app.parallelism = dict(DEFAULT_PARALLELISM)
        return
    new = dict(app.parallelism, ConfigurationType="CUSTOM")
    for name in ("Parallelism", "ParallelismPerKPU", "AutoScalingEnabled"):
        if c.get(k(name)) is not None:
            new[name] = c[k(name)]
    if int(new["Parallelism"]) < 1 or int(new["ParallelismPerKPU"]) < 1:
        raise _invalid("Parallelism and ParallelismPerKPU must be at least 1")
    new["CurrentParallelism"] = new["Parallelism"]
    app.parallelism = new


def _check_version(app: MsfApplication, p: dict[str, Any]) -> None:
    """CurrentApplicationVersionId or ConditionalToken, as AWS requires."""
    version, token = p.get("CurrentApplicationVersionId"), p.get("ConditionalToken")
    if version is None and not token:
        raise _invalid("You must provide the CurrentApplicationVersionId or the ConditionalToken")
    if app.races > 0:  # emulator knob: another writer commits first
        app.races -= 1
        app.bump()
        app.operation("UpdateApplication", app.version_id - 1)
    if version is not None and int(version) != app.version_id:
        raise _err(
            "ConcurrentModificationException",
            f"Application {app.name} has version {app.version_id}; the request is based on version {version}",
        )
    if token and token != app.token:
        raise _err(
            "ConcurrentModificationException",
            f"The ConditionalToken of the request does not match application {app.name}'s current token",
        )


def _check_changeable(app: MsfApplication, what: str) -> str:
    status = app.status
    if status not in CHANGEABLE:
        raise _in_use(f"Application {app.name} is {status}; {what} needs it READY or RUNNING")
    return status


def _changed(app: MsfApplication, status_before: str, op: str) -> str:
    """Commit a change: RUNNING applications go through UPDATING."""
    from_version = app.version_id
    if status_before == "RUNNING":
        app.status = "UPDATING"
    app.bump()
    return app.operation(op, from_version)


def _paginate(items: list[Any], p: dict[str, Any]) -> tuple[list[Any], str | None]:
    start = int(p.get("NextToken") or 0)
    size = int(p.get("Limit") or 50)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _page(key: str, items: list[Any], p: dict[str, Any]) -> ActionResult:
    page, token = _paginate(items, p)
    out: dict[str, Any] = {key: page}
    if token:
        out["NextToken"] = token
    return ActionResult(out)


# --------------------------------------------------------------------------
# response methods (named as the botocore operation in snake_case)
def _backend(self: KinesisAnalyticsV2Response) -> KinesisAnalyticsV2Backend:
    return self.kinesisanalyticsv2_backend


def create_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    reap(backend)
    name = p.get("ApplicationName") or ""
    if not NAME_RE.match(name):
        raise _invalid(f"Application name {name!r} must be 1-128 characters of [a-zA-Z0-9_.-]")
    if name in _apps(backend):
        raise _in_use(f"Application {name} already exists")
    if (p.get("ApplicationMode") or "STREAMING") != "STREAMING":
        raise _err("UnsupportedOperationException", "Only STREAMING (Apache Flink) applications are emulated")
    runtime = _check_runtime(p.get("RuntimeEnvironment"))
    role = _check_role(backend, p.get("ServiceExecutionRole"))
    app = MsfApplication(backend, name, runtime, role)
    app.description = p.get("ApplicationDescription") or ""
    cfg = p.get("ApplicationConfiguration") or {}
    code = cfg.get("ApplicationCodeConfiguration")
    if code:
        app.code = _code_description(backend, code.get("CodeContentType"), code.get("CodeContent") or {})
    flink = cfg.get("FlinkApplicationConfiguration") or {}
    if flink.get("CheckpointConfiguration"):
        _apply_checkpoint(app, flink["CheckpointConfiguration"], update=False)
    if flink.get("MonitoringConfiguration"):
        _apply_monitoring(app, flink["MonitoringConfiguration"], update=False)
    if flink.get("ParallelismConfiguration"):
        _apply_parallelism(app, flink["ParallelismConfiguration"], update=False)
    env = cfg.get("EnvironmentProperties") or {}
    app.property_groups = _check_property_groups(env.get("PropertyGroups") or [])
    if cfg.get("ApplicationSnapshotConfiguration"):
        app.snapshots_enabled = bool(cfg["ApplicationSnapshotConfiguration"].get("SnapshotsEnabled"))
    if cfg.get("ApplicationSystemRollbackConfiguration"):
        app.rollback_enabled = bool(cfg["ApplicationSystemRollbackConfiguration"].get("RollbackEnabled"))
    vpcs = cfg.get("VpcConfigurations") or []
    if len(vpcs) > 1:
        raise _invalid("An application can have only one VPC configuration")
    for v in vpcs:
        app.vpcs.append(_vpc_description(backend, v.get("SubnetIds") or [], v.get("SecurityGroupIds") or [], app.next_id("vpc")))
    for opt in p.get("CloudWatchLoggingOptions") or []:
        app.logging.append({"CloudWatchLoggingOptionId": app.next_id("log"), "LogStreamARN": _check_log_stream(backend, opt.get("LogStreamARN"))})
    app.record_version()
    _apps(backend)[name] = app
    if p.get("Tags"):
        backend.tagger.tag_resource(app.arn, p["Tags"])
    return ActionResult({"ApplicationDetail": app.detail()})


def describe_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"), observe_it=True)
    return ActionResult({"ApplicationDetail": app.detail()})


def list_applications(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    for app in list(_apps(backend).values()):
        if isinstance(app, MsfApplication):
            observe(app)
    reap(backend)
    apps = sorted((a for a in _apps(backend).values() if isinstance(a, MsfApplication)), key=lambda a: a.name)
    return _page("ApplicationSummaries", [a.summary() for a in apps], p)


def start_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _get(backend, p.get("ApplicationName"))
    if app.status != "READY":
        raise _in_use(f"Application {app.name} is {app.status}; it can be started only when READY")
    if app.code is None:
        raise _err("InvalidApplicationConfigurationException", f"Application {app.name} has no code configured")
    run = p.get("RunConfiguration") or {}
    restore = run.get("ApplicationRestoreConfiguration") or (app.run_config or {}).get(
        "ApplicationRestoreConfigurationDescription"
    ) or {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}
    restore = _check_restore(app, restore)
    flink_run = run.get("FlinkRunConfiguration") or (app.run_config or {}).get("FlinkRunConfigurationDescription") or {
        "AllowNonRestoredState": False
    }
    app.run_config = {
        "ApplicationRestoreConfigurationDescription": restore,
        "FlinkRunConfigurationDescription": {"AllowNonRestoredState": bool(flink_run.get("AllowNonRestoredState"))},
    }
    app.status = "STARTING"
    return ActionResult({"OperationId": app.operation("StartApplication")})


def _check_restore(app: MsfApplication, restore: dict[str, Any]) -> dict[str, Any]:
    rtype = restore.get("ApplicationRestoreType")
    if rtype not in ("SKIP_RESTORE_FROM_SNAPSHOT", "RESTORE_FROM_LATEST_SNAPSHOT", "RESTORE_FROM_CUSTOM_SNAPSHOT"):
        raise _invalid(f"ApplicationRestoreType {rtype} is not valid")
    out = {"ApplicationRestoreType": rtype}
    if rtype == "RESTORE_FROM_CUSTOM_SNAPSHOT":
        name = restore.get("SnapshotName")
        if not name or name not in app.snapshots:
            raise _invalid(f"Snapshot {name} of application {app.name} does not exist")
        out["SnapshotName"] = name
    return out


def stop_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    status = app.status
    if p.get("Force"):
        if status not in FORCE_STOPPABLE:
            raise _in_use(f"Application {app.name} is {status}; nothing to force-stop")
        app.status = "FORCE_STOPPING"
    else:
        if status != "RUNNING":
            raise _in_use(f"Application {app.name} is {status}; it can be stopped only when RUNNING")
        if app.snapshots_enabled:  # the snapshot taken on a graceful stop
            _take_snapshot(app, f"{app.name}-stop-{app.version_id}-{int(_now().timestamp() * 1000)}")
        app.status = "STOPPING"
    return ActionResult({"OperationId": app.operation("StopApplication")})


def _take_snapshot(app: MsfApplication, name: str) -> dict[str, Any]:
    snap = {
        "SnapshotName": name,
        "SnapshotStatus": "READY",
        "ApplicationVersionId": app.version_id,
        "SnapshotCreationTimestamp": _now(),
        "RuntimeEnvironment": app.runtime,
    }
    app.snapshots[name] = snap
    return snap


def update_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _get(backend, p.get("ApplicationName"))
    status = _check_changeable(app, "an update")
    _check_version(app, p)
    parts = [k for k in ("ApplicationConfigurationUpdate", "ServiceExecutionRoleUpdate", "RunConfigurationUpdate",
                         "CloudWatchLoggingOptionUpdates", "RuntimeEnvironmentUpdate") if p.get(k)]
    if not parts:
        raise _invalid("The request contains no update")
    # Validate and apply on a copy: a refused update changes nothing.
    new = SimpleNamespace(name=app.name, snapshots=app.snapshots,
                          **{attr: copy.deepcopy(getattr(app, attr)) for attr in UPDATABLE})
    if p.get("RuntimeEnvironmentUpdate"):
        new.runtime = _check_runtime(p["RuntimeEnvironmentUpdate"])
    if p.get("ServiceExecutionRoleUpdate"):
        new.role = _check_role(backend, p["ServiceExecutionRoleUpdate"])
    cu = p.get("ApplicationConfigurationUpdate") or {}
    if cu.get("ApplicationCodeConfigurationUpdate"):
        _update_code(backend, new, cu["ApplicationCodeConfigurationUpdate"])
    flink = cu.get("FlinkApplicationConfigurationUpdate") or {}
    if flink.get("CheckpointConfigurationUpdate"):
        _apply_checkpoint(new, flink["CheckpointConfigurationUpdate"], update=True)
    if flink.get("MonitoringConfigurationUpdate"):
        _apply_monitoring(new, flink["MonitoringConfigurationUpdate"], update=True)
    if flink.get("ParallelismConfigurationUpdate"):
        _apply_parallelism(new, flink["ParallelismConfigurationUpdate"], update=True)
    if cu.get("EnvironmentPropertyUpdates") is not None:
        new.property_groups = _check_property_groups(cu["EnvironmentPropertyUpdates"].get("PropertyGroups") or [])
    if cu.get("ApplicationSnapshotConfigurationUpdate"):
        new.snapshots_enabled = bool(cu["ApplicationSnapshotConfigurationUpdate"].get("SnapshotsEnabledUpdate"))
    if cu.get("ApplicationSystemRollbackConfigurationUpdate"):
        new.rollback_enabled = bool(cu["ApplicationSystemRollbackConfigurationUpdate"].get("RollbackEnabledUpdate"))
    for vu in cu.get("VpcConfigurationUpdates") or []:
        idx = next((i for i, v in enumerate(new.vpcs) if v["VpcConfigurationId"] == vu.get("VpcConfigurationId")), None)
        if idx is None:
            raise _invalid(f"VPC configuration {vu.get('VpcConfigurationId')} does not exist")
        cur = new.vpcs[idx]
        new.vpcs[idx] = _vpc_description(
            backend,
            vu.get("SubnetIdUpdates") or cur["SubnetIds"],
            vu.get("SecurityGroupIdUpdates") or cur["SecurityGroupIds"],
            cur["VpcConfigurationId"],
        )
    for lu in p.get("CloudWatchLoggingOptionUpdates") or []:
        opt = next((o for o in new.logging if o["CloudWatchLoggingOptionId"] == lu.get("CloudWatchLoggingOptionId")), None)
        if opt is None:
            raise _invalid(f"CloudWatch logging option {lu.get('CloudWatchLoggingOptionId')} does not exist")
        if lu.get("LogStreamARNUpdate"):
            opt["LogStreamARN"] = _check_log_stream(backend, lu["LogStreamARNUpdate"])
    ru = p.get("RunConfigurationUpdate") or {}
    if ru:
        run = copy.deepcopy(new.run_config or {})
        if ru.get("ApplicationRestoreConfiguration"):
            run["ApplicationRestoreConfigurationDescription"] = _check_restore(new, ru["ApplicationRestoreConfiguration"])
        if ru.get("FlinkRunConfiguration") is not None:
            run["FlinkRunConfigurationDescription"] = {
                "AllowNonRestoredState": bool(ru["FlinkRunConfiguration"].get("AllowNonRestoredState"))
            }
        new.run_config = run
    for attr in UPDATABLE:  # commit
        setattr(app, attr, getattr(new, attr))
    op_id = _changed(app, status, "UpdateApplication")
    return ActionResult({"ApplicationDetail": app.detail(status=raw_status(app)), "OperationId": op_id})


def _update_code(backend: KinesisAnalyticsV2Backend, app: MsfApplication, cu: dict[str, Any]) -> None:
    content_type = cu.get("CodeContentTypeUpdate") or (app.code or {}).get("CodeContentType") or "ZIPFILE"
    content = cu.get("CodeContentUpdate") or {}
    if content.get("S3ContentLocationUpdate"):
        s3u = content["S3ContentLocationUpdate"]
        cur = ((app.code or {}).get("CodeContentDescription") or {}).get("S3ApplicationCodeLocationDescription") or {}
        bucket = s3u.get("BucketARNUpdate") or cur.get("BucketARN")
        key = s3u.get("FileKeyUpdate") or cur.get("FileKey")
        if not bucket or not key:
            raise _invalid("The code location needs a bucket ARN and a file key")
        # A new object version replaces the old one; a new bucket or key
        # without a version means "the latest" (the old version id belongs
        # to another object).
        version = s3u.get("ObjectVersionUpdate")
        if version is None and bucket == cur.get("BucketARN") and key == cur.get("FileKey"):
            version = cur.get("ObjectVersion")
        loc = {"BucketARN": bucket, "FileKey": key}
        if version:
            loc["ObjectVersion"] = version
        app.code = _code_description(backend, content_type, {"S3ContentLocation": loc})
    elif content.get("ZipFileContentUpdate") is not None:
        app.code = _code_description(backend, content_type, {"ZipFileContent": content["ZipFileContentUpdate"]})
    elif content.get("TextContentUpdate") is not None:
        raise _invalid("Apache Flink applications need CodeContentType ZIPFILE")
    elif app.code is not None:
        app.code = dict(app.code, CodeContentType=content_type)


def delete_application(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    ts = p.get("CreateTimestamp")
    if ts is None:
        raise _invalid("CreateTimestamp is required")
    if int(ts.timestamp()) != int(app.created.timestamp()):
        raise _invalid(f"CreateTimestamp does not match application {app.name}'s creation time")
    status = app.status
    if status not in ("READY", "RUNNING", "ROLLED_BACK"):
        raise _in_use(f"Application {app.name} is {status}; it can be deleted when READY or RUNNING")
    app.status = "DELETING"
    app.operation("DeleteApplication")
    return ActionResult({})


def add_application_vpc_configuration(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _get(backend, p.get("ApplicationName"))
    status = _check_changeable(app, "adding a VPC configuration")
    _check_version(app, p)
    if app.vpcs:
        raise _invalid(f"Application {app.name} already has a VPC configuration; only one is allowed")
    v = p.get("VpcConfiguration") or {}
    desc = _vpc_description(backend, v.get("SubnetIds") or [], v.get("SecurityGroupIds") or [], app.next_id("vpc"))
    app.vpcs.append(desc)
    op_id = _changed(app, status, "AddApplicationVpcConfiguration")
    return ActionResult({"ApplicationARN": app.arn, "ApplicationVersionId": app.version_id,
                         "VpcConfigurationDescription": desc, "OperationId": op_id})


def delete_application_vpc_configuration(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    status = _check_changeable(app, "deleting a VPC configuration")
    _check_version(app, p)
    keep = [v for v in app.vpcs if v["VpcConfigurationId"] != p.get("VpcConfigurationId")]
    if len(keep) == len(app.vpcs):
        raise _invalid(f"VPC configuration {p.get('VpcConfigurationId')} does not exist")
    app.vpcs = keep
    op_id = _changed(app, status, "DeleteApplicationVpcConfiguration")
    return ActionResult({"ApplicationARN": app.arn, "ApplicationVersionId": app.version_id, "OperationId": op_id})


def add_application_cloud_watch_logging_option(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _get(backend, p.get("ApplicationName"))
    status = _check_changeable(app, "adding a CloudWatch logging option")
    _check_version(app, p)
    arn = _check_log_stream(backend, (p.get("CloudWatchLoggingOption") or {}).get("LogStreamARN"))
    if any(o["LogStreamARN"] == arn for o in app.logging):
        raise _invalid(f"Log stream {arn} is already a logging option of application {app.name}")
    app.logging.append({"CloudWatchLoggingOptionId": app.next_id("log"), "LogStreamARN": arn})
    op_id = _changed(app, status, "AddApplicationCloudWatchLoggingOption")
    return ActionResult({"ApplicationARN": app.arn, "ApplicationVersionId": app.version_id,
                         "CloudWatchLoggingOptionDescriptions": copy.deepcopy(app.logging), "OperationId": op_id})


def delete_application_cloud_watch_logging_option(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    status = _check_changeable(app, "deleting a CloudWatch logging option")
    _check_version(app, p)
    keep = [o for o in app.logging if o["CloudWatchLoggingOptionId"] != p.get("CloudWatchLoggingOptionId")]
    if len(keep) == len(app.logging):
        raise _invalid(f"CloudWatch logging option {p.get('CloudWatchLoggingOptionId')} does not exist")
    app.logging = keep
    op_id = _changed(app, status, "DeleteApplicationCloudWatchLoggingOption")
    return ActionResult({"ApplicationARN": app.arn, "ApplicationVersionId": app.version_id,
                         "CloudWatchLoggingOptionDescriptions": copy.deepcopy(app.logging), "OperationId": op_id})


def list_application_versions(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    items = [{"ApplicationVersionId": v, "ApplicationStatus": d["ApplicationStatus"]}
             for v, d in sorted(app.versions.items(), reverse=True)]
    return _page("ApplicationVersionSummaries", items, p)


def describe_application_version(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    version = p.get("ApplicationVersionId")
    if version not in app.versions:
        raise _not_found(f"Version {version} of application {app.name} does not exist")
    return ActionResult({"ApplicationVersionDetail": app.versions[version]})


def list_application_operations(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    items = [app.operation_info(op) for op in reversed(app.operations)]
    if p.get("Operation"):
        items = [i for i in items if i["Operation"] == p["Operation"]]
    if p.get("OperationStatus"):
        items = [i for i in items if i["OperationStatus"] == p["OperationStatus"]]
    return _page("ApplicationOperationInfoList", items, p)


def describe_application_operation(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    op = next((o for o in app.operations if o["OperationId"] == p.get("OperationId")), None)
    if op is None:
        raise _not_found(f"Operation {p.get('OperationId')} of application {app.name} does not exist")
    info = app.operation_info(op)
    info.pop("OperationId")
    info.setdefault("EndTime", info["StartTime"])  # required member of the shape
    if op.get("ApplicationVersionChangeDetails"):
        info["ApplicationVersionChangeDetails"] = op["ApplicationVersionChangeDetails"]
    return ActionResult({"ApplicationOperationInfoDetails": info})


def create_application_snapshot(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    if not app.snapshots_enabled:
        raise _err("InvalidApplicationConfigurationException", f"Snapshots are disabled for application {app.name}")
    if app.status != "RUNNING":
        raise _in_use(f"Application {app.name} is {app.status}; snapshots are taken only when RUNNING")
    name = p.get("SnapshotName")
    if name in app.snapshots:
        raise _in_use(f"Snapshot {name} already exists for application {app.name}")
    _take_snapshot(app, name)
    return ActionResult({})


def list_application_snapshots(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    items = sorted(app.snapshots.values(), key=lambda s: s["SnapshotCreationTimestamp"], reverse=True)
    return _page("SnapshotSummaries", [dict(s) for s in items], p)


def describe_application_snapshot(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    snap = app.snapshots.get(p.get("SnapshotName") or "")
    if snap is None:
        raise _not_found(f"Snapshot {p.get('SnapshotName')} of application {app.name} does not exist")
    return ActionResult({"SnapshotDetails": dict(snap)})


def delete_application_snapshot(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    app = _get(_backend(self), p.get("ApplicationName"))
    snap = app.snapshots.get(p.get("SnapshotName") or "")
    if snap is None:
        raise _not_found(f"Snapshot {p.get('SnapshotName')} of application {app.name} does not exist")
    ts = p.get("SnapshotCreationTimestamp")
    if ts is None or int(ts.timestamp()) != int(snap["SnapshotCreationTimestamp"].timestamp()):
        raise _invalid("SnapshotCreationTimestamp does not match the snapshot")
    app.snapshots.pop(snap["SnapshotName"])
    return ActionResult({})


def tag_resource(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _by_arn(backend, p.get("ResourceARN"))
    tags = p.get("Tags") or []
    if len({t["Key"] for t in tags} | set(backend.tagger.get_tag_dict_for_resource(app.arn))) > 50:
        raise _err("TooManyTagsException", "An application can have at most 50 tags")
    backend.tagger.tag_resource(app.arn, tags)
    return ActionResult({})


def untag_resource(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _by_arn(backend, p.get("ResourceARN"))
    backend.tagger.untag_resource_using_names(app.arn, p.get("TagKeys") or [])
    return ActionResult({})


def list_tags_for_resource(self: KinesisAnalyticsV2Response) -> ActionResult:
    p = parsed_params(self)
    backend = _backend(self)
    app = _by_arn(backend, p.get("ResourceARN"))
    return ActionResult({"Tags": backend.tagger.list_tags_for_resource(app.arn)["Tags"]})


RESPONSE_METHODS = [
    create_application,
    describe_application,
    list_applications,
    start_application,
    stop_application,
    update_application,
    delete_application,
    add_application_vpc_configuration,
    delete_application_vpc_configuration,
    add_application_cloud_watch_logging_option,
    delete_application_cloud_watch_logging_option,
    list_application_versions,
    describe_application_version,
    list_application_operations,
    describe_application_operation,
    create_application_snapshot,
    list_application_snapshots,
    describe_application_snapshot,
    delete_application_snapshot,
    tag_resource,
    untag_resource,
    list_tags_for_resource,
]


# --------------------------------------------------------------------------
# emulator-only knob: /moto-api/static/kinesisanalyticsv2/concurrent-update
KNOB_PATH = "{0}/moto-api/static/kinesisanalyticsv2/concurrent-update"


def concurrent_update_knob(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """{"application_name": NAME, "times": N, "region": ..., "account_id": ...}:
    the next N version-checked changes of NAME lose a race (see module doc)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    try:
        raw = request.get_data() if hasattr(request, "get_data") else request.data
        body = json.loads(raw or b"{}")
        backend = kinesisanalyticsv2_backends[body.get("account_id", DEFAULT_ACCOUNT_ID)][body.get("region", "us-east-1")]
        reap(backend)
        app = _apps(backend).get(body["application_name"])
        if not isinstance(app, MsfApplication):
            return 404, {}, json.dumps({"message": f"application {body['application_name']} not found"})
        app.races = int(body.get("times", 1))
    except (KeyError, ValueError, TypeError) as e:
        return 400, {}, json.dumps({"message": f"bad request: {e}"})
    return 201, {}, json.dumps({"application_name": app.name, "times": app.races})


def apply() -> None:
    from moto.moto_api._internal import urls as moto_api_urls

    for fn in RESPONSE_METHODS:
        setattr(KinesisAnalyticsV2Response, fn.__name__, fn)
    moto_api_urls.url_paths.setdefault(KNOB_PATH, concurrent_update_knob)
    register_reaper(_reap_all)
    managed_status(
        MsfApplication,
        "status",
        APP_MODEL,
        [
            ("STARTING", "RUNNING"),
            ("UPDATING", "RUNNING"),
            ("STOPPING", "READY"),
            ("FORCE_STOPPING", "READY"),
            ("DELETING", "DELETED"),
        ],
    )
