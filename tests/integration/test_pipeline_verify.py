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

import datetime
import json
import os
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

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

confluent_kafka = pytest.importorskip("confluent_kafka")
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
