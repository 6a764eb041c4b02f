"""flink_job_info against the real PyFlink job (files/flink/job/main.py) running in a
MiniCluster that serves the Flink REST API (``local.rest.port``), reading the real
Kafka 4.1.1 of ``kafka_broker``; and against a port where nothing listens.

Runs the module the way a user does: ``ansible-playbook`` with the JSON callback
(tests/integration/playbook.py). ``FlinkJob`` (also used by test_pipeline_verify.py)
builds the MSF zip, unpacks it and starts its ``main.py`` with ``.venv-flink``'s
Python in its own process group, as tests/integration/test_flink_job.py does.

Warm: about 20-30 s (JVM start and job submission, then the tasks start).
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness import services as harness_services

from integration.playbook import failures, run_play

REPO = Path(__file__).resolve().parents[2]
FLINK_DIR = REPO / "files" / "flink"
FLINK_PY = REPO / ".venv-flink" / "bin" / "python"
if str(FLINK_DIR) not in sys.path:
    sys.path.insert(0, str(FLINK_DIR))

import package  # noqa: E402

import confluent_kafka  # noqa: E402  (requirements.txt: the set-up installs it)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

JOB_NAME = "streamstack-events-1.0.0"
MODULE = "streamstack.pipeline.flink_job_info"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_topics(bootstrap: str, partitions: dict) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=n, replication_factor=1) for name, n in partitions.items()], operation_timeout=20
    )
    for name in partitions:
        futures[name].result(timeout=30)


def ansible_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}


class FlinkJob:
    """The packaged job run the way the local profile runs it (services.FlinkJobService:
    the MSF zip on a MiniCluster, REST API on ``rest_port``), reading from the earliest offset."""

    def __init__(self, work: Path, bootstrap: str, raw: str, processed: str, dead: str, rest_port: int, group_id: str):
        self.work = work
        self.rest_port = rest_port
        self.rest_url = "http://127.0.0.1:%d" % rest_port
        self.settings = {
            "bootstrap.servers": bootstrap,
            "topic.raw": raw,
            "topic.processed": processed,
            "topic.dead-letter": dead,
            "group.id": group_id,
            "startup.mode": "earliest-offset",
            "parallelism": "1",
            "checkpoint.interval.ms": "5000",
        }
        self.service = None

    def start(self) -> "FlinkJob":
        if not FLINK_PY.exists():
            pytest.fail("no .venv-flink: run scripts/setup_flink.sh (PyFlink lives apart from .venv)")
        built = package.build(out_dir=str(self.work / "dist"))
        self.service = harness_services.svc.FlinkJobService(
            str(self.work / "flink"), str(FLINK_PY), built["zip_path"], self.settings, self.rest_port
        )
        self.service.start(wait=False)
        return self

    def alive(self) -> bool:
        return self.service is not None and self.service.is_running()

    def tail(self, lines: int = 40) -> str:
        if self.service is None:
            return "(not started)"
        return harness_services.svc.tail(self.service.log("flink"), lines) or "(no log)"

    def stop(self) -> None:
        """SIGTERM the job's process group, SIGKILL after 30 s (no savepoint: the test is over)."""
        if self.service is not None:
            self.service.stop(savepoint=False)


@pytest.fixture(scope="module")
def flink_job(kafka_broker, tmp_path_factory):
    suffix = uuid.uuid4().hex[:8]
    raw, processed, dead = f"fji-raw-{suffix}", f"fji-processed-{suffix}", f"fji-dlq-{suffix}"
    create_topics(kafka_broker.bootstrap, {raw: 1, processed: 1, dead: 1})
    job = FlinkJob(tmp_path_factory.mktemp("flink-job-info"), kafka_broker.bootstrap, raw, processed, dead,
                   free_port(), f"fji-{suffix}").start()
    job.launched = time.monotonic()
    try:
        yield job
    finally:
        job.stop()


def test_running_job_is_healthy_with_all_tasks_running(flink_job, tmp_path):
    url = flink_job.rest_url
    rc, results, output = run_play(tmp_path, ansible_env(), [
        {"name": "Wait until the job and its tasks run", MODULE: {
            "rest_url": url, "job_name": JOB_NAME, "fail_on_unhealthy": False, "timeout": 5},
         "register": "info", "until": "info.healthy", "retries": 60, "delay": 2},
        {"name": "Again in check mode, failing when unhealthy", MODULE: {"rest_url": url, "job_name": JOB_NAME},
         "check_mode": True},
        {"name": "All jobs, not judged", MODULE: {"rest_url": url, "expect_running": False}},
        {"name": "A job name that does not run", MODULE: {"rest_url": url, "job_name": "nosuch"}, "ignore_errors": True},
        {"name": "A job name that does not run, not expected to", MODULE: {
            "rest_url": url, "job_name": "nosuch", "expect_running": False}},
    ], name="flink-job-info")
    assert flink_job.alive(), "the Flink job exited:\n" + flink_job.tail()
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}\n{flink_job.tail()}"
    print("job and all its tasks RUNNING %.1f s after launch" % (time.monotonic() - flink_job.launched))

    waited = results["Wait until the job and its tasks run"]
    assert waited["healthy"] is True and waited["problems"] == [] and waited["changed"] is False
    assert waited["rest_url"] == url and waited["flink_version"].startswith("2.")
    (job,) = waited["jobs"]
    assert job["name"] == JOB_NAME and job["state"] == "RUNNING" and job["healthy"] is True
    assert len(job["id"]) == 32 and job["start_time"] > 0 and job["duration_ms"] >= 0
    assert job["tasks_total"] >= 1 and job["tasks_running"] == job["tasks_total"]
    assert job["task_states"] == {"RUNNING": job["tasks_total"]}

    checked = results["Again in check mode, failing when unhealthy"]
    assert checked["healthy"] and not checked.get("failed") and checked["jobs"][0]["id"] == job["id"]
    assert [j["id"] for j in results["All jobs, not judged"]["jobs"]] == [job["id"]]

    missing = results["A job name that does not run"]
    assert missing["failed"] and missing["jobs"] == []
    assert missing["msg"] == "Flink at %s is unhealthy: no job named nosuch on this Flink cluster (expected one RUNNING)" % url
    quiet = results["A job name that does not run, not expected to"]
    assert quiet["healthy"] and quiet["jobs"] == [] and not quiet.get("failed")


def test_nothing_listening_is_unhealthy_and_named(tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    rc, results, output = run_play(tmp_path, ansible_env(), [
        {"name": "Fail", MODULE: {"rest_url": url, "timeout": 3}, "ignore_errors": True},
        {"name": "Report", MODULE: {"rest_url": url, "timeout": 3, "fail_on_unhealthy": False}},
    ], name="flink-unreachable")
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"
    failed = results["Fail"]
    assert failed["failed"] and not failed["healthy"]
    assert failed["msg"].startswith(
        "Flink at %s is unhealthy: REST API unreachable or unusable: GET %s/jobs/overview failed: " % (url, url))
    assert "Connection refused" in failed["msg"]
    report = results["Report"]
    assert not report.get("failed") and report["healthy"] is False and report["jobs"] == []
    assert len(report["problems"]) == 1 and url in report["problems"][0]
