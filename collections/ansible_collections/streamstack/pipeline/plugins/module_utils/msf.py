# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Managed Service for Apache Flink (boto3 ``kinesisanalyticsv2``) helpers
shared by msf_application and msf_application_info.

* ``describe`` / ``tags_of`` -- read an application (None when it does not exist).
* ``summarize`` -- DescribeApplication's ApplicationDetail in the modules' own
  vocabulary (the structure both modules return).
* ``wait_for`` -- short polling with a bounded timeout.
* ``job_health`` -- the Flink job behind a RUNNING application, from CloudWatch
  (namespace AWS/KinesisAnalytics, dimension Application): the MSF API has no job
  state, and RUNNING can hide a job that fails and restarts in a loop.

Standard library and botocore only; errors surface as botocore exceptions or
``MsfTimeout`` so the modules decide how to report them.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

# Runtimes a new application may use (botocore 1.44; AWS advises FLINK-2_2 or newer).
RUNTIMES = ("FLINK-1_20", "FLINK-2_2", "FLINK-2_3")
# Statuses that end by themselves; the others are where a change can start.
TRANSITIONAL = ("STARTING", "STOPPING", "FORCE_STOPPING", "UPDATING", "AUTOSCALING",
                "ROLLING_BACK", "MAINTENANCE", "DELETING")
METRICS_NAMESPACE = "AWS/KinesisAnalytics"
# How far back the job check looks, minutes.
JOB_WINDOW_MINUTES = 10


class MsfTimeout(Exception):
    """A wait ran out of time; ``status`` is the last status seen (None: gone)."""

    def __init__(self, message, status=None, waited=0.0):
        super().__init__(message)
        self.status = status
        self.waited = waited


def error_code(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "")


def describe(client, name):
    """ApplicationDetail, or None when the application does not exist."""
    try:
        return client.describe_application(ApplicationName=name, aws_retry=True)["ApplicationDetail"]
    except Exception as exc:  # botocore ClientError
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def tags_of(client, arn):
    try:
        tags = client.list_tags_for_resource(ResourceARN=arn, aws_retry=True).get("Tags") or []
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return {}
        raise
    return {t["Key"]: t.get("Value", "") for t in tags}


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def summarize(detail, tags=None):
    """The application as both modules return it (see their RETURN docs)."""
    cfg = detail.get("ApplicationConfigurationDescription") or {}
    code = ((cfg.get("ApplicationCodeConfigurationDescription") or {}).get("CodeContentDescription") or {})
    s3 = code.get("S3ApplicationCodeLocationDescription") or {}
    flink = cfg.get("FlinkApplicationConfigurationDescription") or {}
    par = flink.get("ParallelismConfigurationDescription") or {}
    checkpoint = flink.get("CheckpointConfigurationDescription") or {}
    groups = ((cfg.get("EnvironmentPropertyDescriptions") or {}).get("PropertyGroupDescriptions") or [])
    vpcs = cfg.get("VpcConfigurationDescriptions") or []
    logs = detail.get("CloudWatchLoggingOptionDescriptions") or []
    run = cfg.get("RunConfigurationDescription") or {}
    return {
        "name": detail["ApplicationName"],
        "arn": detail["ApplicationARN"],
        "status": detail["ApplicationStatus"],
        "version_id": detail["ApplicationVersionId"],
        "runtime": detail.get("RuntimeEnvironment"),
        "service_execution_role": detail.get("ServiceExecutionRole"),
        "create_timestamp": _iso(detail.get("CreateTimestamp")),
        "code": {
            "s3_bucket_arn": s3.get("BucketARN"),
            "s3_key": s3.get("FileKey"),
            "s3_object_version": s3.get("ObjectVersion"),
        } if s3 else None,
        "property_groups": {g["PropertyGroupId"]: dict(g.get("PropertyMap") or {}) for g in groups},
        "parallelism": par.get("Parallelism"),
        "parallelism_per_kpu": par.get("ParallelismPerKPU"),
        "current_parallelism": par.get("CurrentParallelism"),
        "auto_scaling": par.get("AutoScalingEnabled"),
        "checkpointing": checkpoint.get("CheckpointingEnabled"),
        "snapshots": (cfg.get("ApplicationSnapshotConfigurationDescription") or {}).get("SnapshotsEnabled"),
        "vpc": {
            "vpc_id": vpcs[0].get("VpcId"),
            "subnet_ids": sorted(vpcs[0].get("SubnetIds") or []),
            "security_group_ids": sorted(vpcs[0].get("SecurityGroupIds") or []),
        } if vpcs else None,
        "log_stream_arn": logs[0]["LogStreamARN"] if logs else None,
        "application_restore_type": (run.get("ApplicationRestoreConfigurationDescription") or {}).get(
            "ApplicationRestoreType"),
        "tags": dict(tags or {}),
    }


def wait_for(client, name, done, timeout, what, interval_max=10.0):
    """Poll DescribeApplication until ``done(detail)`` (detail None = gone) is true.

    Short polls: 1 s, then doubling to ``interval_max``.  Returns (detail, waited
    seconds); raises MsfTimeout after ``timeout`` seconds.
    """
    start = time.monotonic()
    delay = 1.0
    while True:
        detail = describe(client, name)
        if done(detail):
            return detail, round(time.monotonic() - start, 1)
        waited = time.monotonic() - start
        status = detail["ApplicationStatus"] if detail else None
        if waited >= timeout:
            raise MsfTimeout(
                f"Timed out after {int(waited)} s waiting for application {name} to {what} "
                f"(status {status or 'gone'}). A Managed Flink transition that takes 10 minutes is stuck: "
                f"read the application's CloudWatch logs; a stuck start or update can be ended with "
                f"state=stopped and force_stop=true.",
                status=status, waited=round(waited, 1))
        time.sleep(min(delay, max(0.0, timeout - waited)))
        delay = min(delay * 2, interval_max)


def settled(detail):
    return detail is None or detail["ApplicationStatus"] not in TRANSITIONAL


def _series(result):
    pairs = sorted(zip(result.get("Timestamps") or [], result.get("Values") or []))
    return [v for _, v in pairs]


def job_health(cloudwatch, name, runtime, window_minutes=JOB_WINDOW_MINUTES, now=None):
    """Health of the Flink job of a RUNNING application, from its CloudWatch metrics.

    Failing when the latest ``downtime`` (ms the job has been failing/restarting)
    is above 0, or the restart counter grew inside the window: ``numRestarts``
    (Flink 2.x; ``fullRestarts`` was removed in 2.2) or ``fullRestarts`` (1.x).
    No data at all -> ``healthy`` None: MSF publishes metrics a few minutes after
    a start, so the caller warns instead of failing.
    """
    now = now or datetime.now(timezone.utc)
    metrics = {"downtime": "downtime", "uptime": "uptime", "num": "numRestarts", "full": "fullRestarts"}
    queries = [
        {
            "Id": qid,
            "MetricStat": {
                "Metric": {"Namespace": METRICS_NAMESPACE, "MetricName": metric,
                           "Dimensions": [{"Name": "Application", "Value": name}]},
                "Period": 60,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for qid, metric in metrics.items()
    ]
    response = cloudwatch.get_metric_data(
        MetricDataQueries=queries,
        StartTime=now - timedelta(minutes=window_minutes),
        EndTime=now + timedelta(minutes=1),
        aws_retry=True,
    )
    series = {r["Id"]: _series(r) for r in response.get("MetricDataResults") or []}
    restart_key = "num" if series.get("num") or not series.get("full") else "full"
    if str(runtime or "").startswith("FLINK-1_") and series.get("full"):
        restart_key = "full"
    restarts = series.get(restart_key) or []
    out = {
        "checked": True,
        "window_minutes": window_minutes,
        "downtime_ms": series["downtime"][-1] if series.get("downtime") else None,
        "uptime_ms": series["uptime"][-1] if series.get("uptime") else None,
        "restart_metric": metrics[restart_key],
        "restarts_in_window": (restarts[-1] - restarts[0]) if len(restarts) > 1 else 0 if restarts else None,
    }
    if not any(series.get(k) for k in metrics):
        out.update(healthy=None, message=(
            f"No CloudWatch metrics for application {name} ({METRICS_NAMESPACE}, Application={name}) in the "
            f"last {window_minutes} minutes: Managed Flink publishes them a few minutes after a start, so the "
            f"Flink job was not checked. Check it later with streamstack.pipeline.msf_application_info."))
        return out
    down = out["downtime_ms"] or 0
    grew = out["restarts_in_window"] or 0
    if down > 0 or grew > 0:
        parts = [f"downtime={int(down)} ms"]
        if grew:
            parts.append(f"{out['restart_metric']} +{int(grew)} in the last {window_minutes} min")
        out.update(healthy=False, message=(
            f"Application {name} RUNNING but its Flink job is not running ({', '.join(parts)}): "
            f"read the application's CloudWatch logs for the job's exception."))
    else:
        out.update(healthy=True, message=f"Flink job of application {name} is running "
                                         f"(uptime={int(out['uptime_ms'] or 0)} ms, downtime=0 ms)")
    return out
