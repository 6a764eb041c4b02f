"""pipeline_verify end to end: the real Kafka 4.1.1 (``kafka_broker``), the real PyFlink
job (files/flink/job/main.py, started as test_flink_job_info.py does) and the real
Pinot 0.11.0 (``pinot_cluster``) with a REALTIME table modelled on the pipeline's
own definitions (playbooks/group_vars/all/pipeline.yml: the schema is read from
there, the table mirrors it with the kafka20 consumer factory of Pinot 0.11.0).

Runs the modules through ``ansible-playbook`` (tests/integration/playbook.py):
wait for the job with flink_job_info, check mode, two runs sharing a ledger (the
second checks the first's rows), check mode again; then the failures: a table on
a topic nothing writes to (rows missing, named; dead letters still found) and a
ledger naming a run Pinot does not hold.

Warm: about 45-60 s (Pinot and Flink start; each run itself takes 1-3 s).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from integration.kubeproxy import proxied_service
from integration.playbook import failures, run_play
from integration.test_flink_job_info import JOB_NAME, FlinkJob, ansible_env, create_topics, free_port

ROOT = Path(__file__).resolve().parents[2]
PIPELINE_VARS = ROOT / "playbooks" / "group_vars" / "all" / "pipeline.yml"
if str(ROOT / "collections") not in sys.path:
    sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import events  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import (  # noqa: E402
    PinotClient,
    PinotError,
)

import confluent_kafka  # noqa: E402  (requirements.txt: the set-up installs it)
from confluent_kafka import Consumer, TopicPartition  # noqa: E402

FACTORY = os.environ.get(
    "PINOT_KAFKA_CONSUMER_FACTORY", "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory"
)
VERIFY = "streamstack.pipeline.pipeline_verify"
COUNT, SECOND_COUNT = 400, 300


def events_schema(name: str) -> dict:
    """The pipeline's events schema (pure data in pipeline.yml), under another name."""
    definitions = yaml.safe_load(PIPELINE_VARS.read_text())
    schema = next(s["schema"] for s in definitions["pipeline_pinot_schemas"] if s["name"] == "events")
    return dict(schema, schemaName=name)


def events_table(name: str, topic: str, bootstrap: str) -> dict:
    """pipeline_pinot_tables' events table and pipeline_pinot_stream_config, rendered for one local target."""
    return {
        "tableName": name,
        "tableType": "REALTIME",
        "segmentsConfig": {"schemaName": name, "timeColumnName": "ts", "replication": "1", "replicasPerPartition": "1",
                           "retentionTimeUnit": "DAYS", "retentionTimeValue": "7"},
        "tenants": {},
        "tableIndexConfig": {"loadMode": "MMAP"},
        "metadata": {},
        "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{
            "streamType": "kafka",
            "stream.kafka.topic.name": topic,
            "stream.kafka.broker.list": bootstrap,
            "stream.kafka.consumer.type": "lowlevel",
            "stream.kafka.consumer.factory.class.name": FACTORY,
            "stream.kafka.decoder.class.name": "org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder",
            "stream.kafka.consumer.prop.auto.offset.reset": "smallest",
            "stream.kafka.fetch.timeout.millis": "1000",
            "realtime.segment.flush.threshold.rows": "500000",
            "realtime.segment.flush.threshold.time": "1h",
        }]}},
    }


def wait_for_broker(broker: PinotClient, table: str, timeout: float = 60) -> None:
    """Until the broker routes queries to a new table (it may not for a moment)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            broker.query(f"SELECT COUNT(*) FROM {table}")
            return
        except PinotError as exc:
            last = exc
            time.sleep(0.5)
    pytest.fail(f"the Pinot broker does not query {table} after {timeout} s: {last}")


def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "offsets-" + uuid.uuid4().hex[:6]})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions)
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def stack(kafka_broker, pinot_cluster, tmp_path_factory):
    suffix = uuid.uuid4().hex[:8]
    bootstrap = kafka_broker.bootstrap
    s = SimpleNamespace(
        bootstrap=bootstrap,
        broker_url=pinot_cluster.broker_url,
        raw=f"pv-raw-{suffix}", processed=f"pv-processed-{suffix}", dlq=f"pv-dlq-{suffix}", silent=f"pv-silent-{suffix}",
        table=f"verify_{suffix}", silent_table=f"silent_{suffix}", suffix=suffix,
    )
    create_topics(bootstrap, {s.raw: 2, s.processed: 1, s.dlq: 1, s.silent: 1})
    controller = PinotClient(pinot_cluster.controller_url, timeout=30)
    broker = PinotClient(pinot_cluster.broker_url, timeout=10)
    job = FlinkJob(tmp_path_factory.mktemp("pipeline-verify"), bootstrap, s.raw, s.processed, s.dlq, free_port(),
                   f"pv-{suffix}")
    made = []
    try:
        for table, topic in ((s.table, s.processed), (s.silent_table, s.silent)):
            controller.put_schema(events_schema(table))
            made.append(table)
            controller.create_table(events_table(table, topic, bootstrap))
        job.start()
        for table in made:
            wait_for_broker(broker, table)
        s.job, s.broker = job, broker
        yield s
    finally:
        job.stop()
        for table in made:
            try:
                controller.delete_table(table, "REALTIME")
                controller.delete_schema(table)
            except PinotError as exc:  # cleanup is best effort; the cluster is per session
                print(f"cleanup of {table}: {exc}")


def _wait_task(s):
    return {"name": "Wait for the Flink job", "streamstack.pipeline.flink_job_info": {
        "rest_url": s.job.rest_url, "job_name": JOB_NAME, "fail_on_unhealthy": False, "timeout": 5},
        "register": "info", "until": "info.healthy", "retries": 60, "delay": 2}


def test_events_flow_end_to_end_and_earlier_runs_keep_their_rows(stack, tmp_path):
    s = stack
    ledger = tmp_path / "ledger.json"
    common = {"bootstrap_servers": [s.bootstrap], "raw_topic": s.raw, "dead_letter_topic": s.dlq,
              "broker_url": s.broker_url, "table": s.table, "ledger_path": str(ledger), "timeout": 90}
    began = time.monotonic()
    rc, results, output = run_play(tmp_path, ansible_env(), [
        _wait_task(s),
        {"name": "Check mode", VERIFY: {"count": COUNT}, "check_mode": True},
        {"name": "First run", VERIFY: {"count": COUNT}},
        {"name": "Second run", VERIFY: {"count": SECOND_COUNT, "seed": 1, "malformed_fraction": 0.2}},
        {"name": "Check mode with two earlier runs", VERIFY: {"count": COUNT}, "check_mode": True},
    ], name="pipeline-verify", module_defaults={VERIFY: common}, timeout=400)
    assert s.job.alive(), "the Flink job exited:\n" + s.job.tail()
    assert rc == 0, f"{failures(results)}\n{output[-4000:]}\n{s.job.tail()}"
    print(f"play: {time.monotonic() - began:.1f} s")

    check = results["Check mode"]
    assert check["changed"] is False and check["produced"] == 0 and check["earlier_runs"] == []
    assert check["msg"].startswith(f"would produce {COUNT} events (40 malformed) with event ids v-{check['run_id']}-000000.. "
                                   f"to topic {s.raw}, then wait up to 90 s for 360 rows in Pinot table {s.table} "
                                   f"and 40 dead letters on topic {s.dlq}")
    assert end_offsets(s.bootstrap, s.raw) == COUNT + SECOND_COUNT  # check mode wrote nothing

    first = results["First run"]
    assert first["changed"] is True and first["problems"] == []
    assert len(first["run_id"]) == 8 and int(first["run_id"], 16) >= 0
    assert (first["produced"], first["malformed"], first["expected_rows"], first["rows_found"]) == (COUNT, 40, 360, 360)
    assert (first["dead_letters_expected"], first["dead_letters_found"], first["dead_letters_other"]) == (40, 40, 0)
    assert first["earlier_runs"] == []
    fresh = first["freshness_ms"]
    assert all(isinstance(fresh[k], int) for k in ("first", "p50", "p99", "max", "all_rows")), fresh
    assert 0 < fresh["p50"] <= fresh["p99"] <= fresh["max"] <= fresh["all_rows"] < 90_000, fresh
    assert first["seconds"] > 0
    print(f"first run: {first['msg']}; freshness {fresh}; module {first['seconds']} s")

    # Pinot holds exactly the first run's rows, asked directly.
    body = s.broker.query(f"SELECT COUNT(*) FROM {s.table} WHERE REGEXP_LIKE(event_id, '^v-{first['run_id']}-')")
    assert body["resultTable"]["rows"] == [[360]]

    second = results["Second run"]
    malformed = round(SECOND_COUNT * 0.2)
    assert second["changed"] and second["run_id"] != first["run_id"]
    assert (second["produced"], second["malformed"], second["rows_found"]) == (SECOND_COUNT, malformed, SECOND_COUNT - malformed)
    assert second["dead_letters_found"] == malformed and second["dead_letters_other"] == 0
    (earlier,) = second["earlier_runs"]
    assert {k: earlier[k] for k in ("run_id", "expected", "found", "distinct")} == {
        "run_id": first["run_id"], "expected": 360, "found": 360, "distinct": 360}
    print(f"second run: {second['msg']}; freshness {second['freshness_ms']}")

    again = results["Check mode with two earlier runs"]
    assert again["changed"] is False
    assert [(r["run_id"], r["found"]) for r in again["earlier_runs"]] == [
        (first["run_id"], 360), (second["run_id"], SECOND_COUNT - malformed)]
    recorded = json.loads(ledger.read_text())
    assert {k: v["rows"] for k, v in recorded.items()} == {first["run_id"]: 360, second["run_id"]: SECOND_COUNT - malformed}
    assert all(v["at"].endswith("+00:00") for v in recorded.values())


def test_missing_rows_and_lost_earlier_runs_fail_naming_them(stack, tmp_path):
    s = stack
    run_id = f"neg_{s.suffix}"
    ledger = tmp_path / "ledger.json"
    bad_ledger = tmp_path / "bad-ledger.json"
    # Recent enough to be checked (ledger_max_age_days, default 6).
    an_hour_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    bad_ledger.write_text(json.dumps({"gone": {"rows": 5, "at": an_hour_ago},
                                      "ancient": {"rows": 7, "at": "2026-01-01T00:00:00+00:00"}}))
    common = {"bootstrap_servers": s.bootstrap, "raw_topic": s.raw, "dead_letter_topic": s.dlq, "broker_url": s.broker_url}
    rc, results, output = run_play(tmp_path, ansible_env(), [
        _wait_task(s),
        {"name": "Rows never come", VERIFY: {"table": s.silent_table, "count": 100, "run_id": run_id, "timeout": 5,
                                            "ledger_path": str(ledger)}, "ignore_errors": True},
        {"name": "An earlier run lost its rows", VERIFY: {"table": s.table, "ledger_path": str(bad_ledger)},
         "check_mode": True, "ignore_errors": True},
    ], name="pipeline-verify-failures", module_defaults={VERIFY: common}, timeout=300)
    assert rc == 0, f"{failures(results)}\n{output[-4000:]}"

    missing = results["Rows never come"]
    prefix = f"v-{run_id}-"
    valid_ids = [json.loads(e.payload)["event_id"] for e in events.generate(100, 0, 0.1, id_prefix=prefix) if not e.malformed]
    assert missing["failed"] and missing["changed"] is True and missing["produced"] == 100
    assert missing["msg"] == (
        f"0/90 rows of run {prefix} in Pinot table {s.silent_table} after 5 s; missing event ids: "
        + ", ".join(valid_ids[:10]) + " (and 80 more)"
    )
    assert missing["rows_found"] == 0 and missing["freshness_ms"]["all_rows"] is None
    assert missing["dead_letters_found"] == 10  # Flink did its part: only Pinot's rows are missing
    assert not ledger.exists()  # a failed run is not recorded

    lost = results["An earlier run lost its rows"]
    assert lost["failed"] and lost["changed"] is False and lost["produced"] == 0
    assert lost["msg"] == (f"earlier run v-gone- (at {an_hour_ago}) has 0 rows (0 distinct event ids) "
                           f"in Pinot table {s.table}, expected 5")
    assert lost["earlier_runs"] == [{"run_id": "gone", "expected": 5, "found": 0, "distinct": 0,
                                     "at": an_hour_ago}]  # "ancient" is past ledger_max_age_days: not checked


# ------------------------------------------------------------------ verify's Job (AWS)
class PlayedKubelet(threading.Thread):
    """The kubelet of verify's Job pod, played by the test: kwok runs no container.

    The role adds the annotation ``streamstack.test/kubelet`` (through
    verify_job_pod_annotations), which keeps kwok's own Job stage off the pod.
    Once the pod is Running this thread reads the pod's manifest, its ConfigMap
    and Secret through the API (what the kubelet would mount), then, by
    ``mode``:

    * ``run``: runs the init container's and the container's commands exactly
      as the manifest gives them, on this machine: mount paths become folders
      here, ``python3`` this venv's Python 3.11, the rest (pip install
      --require-hashes from PyPI, kafka_io.py against the real Kafka, the Flink
      job and Pinot) is real. The container's stdout becomes the pod's log.
    * ``fail``: the install fails (exit 1) with a pip-like message as the log.
    * ``hang``: nothing; the Job's activeDeadlineSeconds ends it.

    The pod ends through its status subresource with the container's exit code.
    """

    def __init__(self, kube, namespace: str, mode: str, work: Path):
        super().__init__(daemon=True)
        self.kube, self.ns, self.mode, self.work = kube, namespace, mode, work
        self.objects: dict = {}
        self.stdout = ""
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self):
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _get(self, path):
        try:
            return self.kube.request("GET", path)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def _run(self):
        pod = None
        while not self.stop.is_set():
            pods = self._get(f"/api/v1/namespaces/{self.ns}/pods") or {"items": []}
            running = [p for p in pods["items"] if p.get("status", {}).get("phase") == "Running"]
            if running:
                pod = running[0]
                break
            self.stop.wait(0.3)
        if pod is None:
            return
        job_name = pod["metadata"]["labels"]["job-name"]
        base = f"/api/v1/namespaces/{self.ns}"
        self.objects = {
            "namespace": self._get(f"/api/v1/namespaces/{self.ns}"),
            "job": self._get(f"/apis/batch/v1/namespaces/{self.ns}/jobs/{job_name}"),
            "pod": pod,
            "serviceaccount": self._get(f"{base}/serviceaccounts/{pod['spec']['serviceAccountName']}"),
            "configmap": self._get(f"{base}/configmaps/{job_name}"),
            "secret": self._get(f"{base}/secrets/{job_name}"),
        }
        if self.mode == "hang":
            return
        if self.mode == "fail":
            self.kube.play_pod_log(["ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."])
            self._end(pod, 1)
            return
        mounts = self._volumes(pod)
        spec = pod["spec"]
        for container in spec["initContainers"] + spec["containers"]:
            argv = [sys.executable if a == "python3" else self._path(a, mounts) for a in container["command"]]
            env = dict(os.environ, **{e["name"]: self._path(e["value"], mounts) for e in container.get("env", [])})
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
            self.stdout += proc.stdout
            if proc.returncode:
                self.kube.play_pod_log((proc.stdout + proc.stderr).splitlines())
                self._end(pod, proc.returncode)
                return
        self.kube.play_pod_log(proc.stdout.splitlines())
        self._end(pod, 0)

    def _volumes(self, pod):
        """{mount path: folder here} with each volume's content, as the kubelet would mount it."""
        sources = {v["name"]: v for v in pod["spec"]["volumes"]}
        mounts = {}
        for mount in pod["spec"]["containers"][0]["volumeMounts"]:
            folder = self.work / mount["name"]
            folder.mkdir(parents=True, exist_ok=True)
            volume = sources[mount["name"]]
            if "configMap" in volume:
                for key, value in self.objects["configmap"]["data"].items():
                    (folder / key).write_text(value)
            elif "secret" in volume:
                for key, value in self.objects["secret"]["data"].items():
                    (folder / key).write_bytes(base64.b64decode(value))
                    (folder / key).chmod(volume["secret"]["defaultMode"])
            mounts[mount["mountPath"]] = str(folder)
        return mounts

    @staticmethod
    def _path(value, mounts):
        for mount, folder in mounts.items():
            if value == mount or value.startswith(mount + "/"):
                return folder + value[len(mount):]
        return value

    def _end(self, pod, code):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        name = pod["metadata"]["name"]
        self.kube.request("PATCH", f"/api/v1/namespaces/{self.ns}/pods/{name}/status", {"status": {
            "phase": "Succeeded" if code == 0 else "Failed",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "", "ready": False,
                                   "restartCount": 0, "state": {"terminated": {
                                       "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                       "startedAt": now, "finishedAt": now}}} for c in pod["spec"]["containers"]]}})


@pytest.fixture
def job_target(stack, kube_cluster, kube_nodes, kube_namespace, tmp_path):
    """verify's vars for the AWS target with the harness's API server as EKS, Pinot's broker
    behind a Service (integration/kubeproxy.py) and one fake node for the Job's pod."""
    kube_nodes("t3.medium", 1)
    broker_port = int(stack.broker_url.rsplit(":", 1)[1])
    with proxied_service(kube_cluster, kube_namespace, "pinot-broker", 8099, broker_port) as (_, relay):
        yield relay, {
            "verify_target": "aws", "stack_environment": "test",
            "eks_api": {"host": kube_cluster.server, "token": kube_cluster.token, "ca_path": str(kube_cluster.ca_file)},
            "verify_pinot_namespace": kube_namespace,
            "verify_job_namespace": f"verify-job-{uuid.uuid4().hex[:6]}",
            "verify_job_pod_annotations": {"streamstack.test/kubelet": "played"},
            "verify_job_poll": 1,
            # The local Kafka listens without TLS; the Job's TLS settings are proven by
            # tests/local (kafka_io.py over a TLS listener with a CA made at test time).
            "verify_runner_bootstrap": stack.bootstrap, "verify_runner_client_properties": {},
            "verify_raw_topic": stack.raw, "verify_dead_letter_topic": stack.dlq, "verify_table": stack.table,
            "verify_events": 200, "verify_timeout": 90, "verify_ledger_path": str(tmp_path / "ledger.json"),
        }


def _verify_flow():
    return {"name": "Verify's data flow", "ansible.builtin.include_role": {"name": "verify", "tasks_from": "flow"}}


def _task(results, prefix):
    (name,) = [n for n in results if n.split(" : ", 1)[-1].startswith(prefix)]
    return results[name]


def test_the_job_carries_a_run_inside_the_cluster(stack, kube_cluster, job_target, tmp_path):
    relay, target = job_target
    ns = target["verify_job_namespace"]
    kubelet = PlayedKubelet(kube_cluster, ns, "run", tmp_path / "pod")
    kubelet.start()
    try:
        rc, results, output = run_play(tmp_path, ansible_env(), [_wait_task(stack), _verify_flow()],
                                       name="verify-job", play_vars=target, timeout=600)
    finally:
        kubelet.stop.set()
        kubelet.join(30)
    assert kubelet.error is None, repr(kubelet.error)
    assert rc == 0, f"{failures(results)}\n{output[-4000:]}\n{stack.job.tail()}"

    # The run itself: produced by the Job's program, rows found through the API's proxy.
    checked = _task(results, "Check the rows in Pinot")
    assert (checked["produced"], checked["expected_rows"], checked["rows_found"]) == (200, 180, 180), checked["msg"]
    assert (checked["dead_letters_expected"], checked["dead_letters_found"]) == (20, 20)
    assert relay.connections > 0, "Pinot was never reached through the API's service proxy"
    assert "STREAMSTACK-VERIFY-RESULT " in kubelet.stdout and f'"run_id":"{checked["run_id"]}"' in kubelet.stdout
    assert _task(results, "Wait for the Job to end")["attempts"] >= 1

    # The manifest: pinned image, bounded, no privilege, no API token, gone after it ends.
    objects = kubelet.objects
    job, pod = objects["job"], objects["pod"]
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] == 600
    assert job["spec"]["activeDeadlineSeconds"] == 90 + 300
    spec = pod["spec"]
    assert spec["automountServiceAccountToken"] is False and spec["enableServiceLinks"] is False
    assert objects["serviceaccount"]["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 65532
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert objects["namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for container in spec["initContainers"] + spec["containers"]:
        assert re.fullmatch(r"public\.ecr\.aws/docker/library/python:3\.11-slim@sha256:[0-9a-f]{64}", container["image"])
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}}
        assert set(container["resources"]["limits"]) == {"cpu", "memory", "ephemeral-storage"}
        assert set(container["resources"]["requests"]) == {"cpu", "memory", "ephemeral-storage"}
    assert "--require-hashes" in spec["initContainers"][0]["command"]
    # (Ansible's file lookup drops the last newline.)
    data = objects["configmap"]["data"]
    assert (ROOT / "roles/verify/files/job-requirements.txt").read_text().rstrip("\n") == data["requirements.txt"]
    assert (ROOT / "files/verify/kafka_io.py").read_text().rstrip("\n") == data["kafka_io.py"]
    properties = base64.b64decode(objects["secret"]["data"]["client.properties"]).decode()
    assert properties.strip() == f"bootstrap.servers={stack.bootstrap}"
    assert not re.search(r"bootstrap\.servers=", output), "the client settings were printed"
    _assert_gone(kube_cluster, ns)


def _assert_gone(kube_cluster, ns):
    try:
        kube_cluster.request("GET", f"/api/v1/namespaces/{ns}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    else:
        pytest.fail(f"namespace {ns} is still there")


def test_the_job_in_check_mode_creates_nothing(stack, kube_cluster, job_target, tmp_path):
    _, target = job_target
    rc, results, output = run_play(tmp_path, ansible_env(), [_verify_flow()], name="verify-job-check",
                                   play_vars=target, timeout=300, args=["--check"])
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"
    said = _task(results, "Say what the Job would do")["msg"]
    assert f"would create namespace {target['verify_job_namespace']} on {kube_cluster.server}" in said
    assert "200 events" in said and "then delete the namespace" in said
    planned = _task(results, "Plan the run")
    assert planned["changed"] is False and planned["produced"] == 0
    _assert_gone(kube_cluster, target["verify_job_namespace"])


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_a_job_that_fails_or_runs_out_of_time_fails_verify_and_is_deleted(stack, kube_cluster, job_target, tmp_path,
                                                                          mode):
    _, target = job_target
    ns = target["verify_job_namespace"]
    if mode == "hang":
        target = dict(target, verify_job_deadline=5)
    kubelet = PlayedKubelet(kube_cluster, ns, mode, tmp_path / "pod")
    kubelet.start()
    try:
        rc, results, output = run_play(tmp_path, ansible_env(), [_verify_flow()], name=f"verify-job-{mode}",
                                       play_vars=target, timeout=300)
    finally:
        kubelet.stop.set()
        kubelet.join(30)
    assert kubelet.error is None, repr(kubelet.error)
    assert rc != 0
    failed = _task(results, "Fail when the Job printed no result")
    assert failed["failed"] and f"verify's Job {ns}/verify-" in failed["msg"], failed
    if mode == "fail":
        assert "BackoffLimitExceeded" in failed["msg"] and "DO NOT MATCH THE HASHES" in failed["msg"], failed["msg"]
    else:
        assert "DeadlineExceeded" in failed["msg"], failed["msg"]
    assert not [n for n in results if "Check the rows in Pinot" in n]
    _assert_gone(kube_cluster, ns)
