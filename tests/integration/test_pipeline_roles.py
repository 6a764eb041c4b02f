"""The pipeline's one definition, through the topics and pinot_tables roles,
against a real Kafka broker and a real Pinot cluster: converge, converge again
(changed=0), rows produced to events.processed become queryable, then delete
and delete again (changed=0)."""
import json
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from integration.playbook import ROOT, assert_ok, run_playbook

sys.path.insert(0, str(ROOT / "files" / "flink"))
sys.path.insert(0, str(ROOT / "collections"))
import generator  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import PinotClient  # noqa: E402

TOPICS = {"events.raw", "events.processed", "events.dlq"}


def _target(kafka_broker, pinot_cluster):
    """Extra vars that make a target of the test's Kafka and Pinot (what inventories/local will hold)."""
    target = {
        "pipeline_partitions": 2,
        "pipeline_replication_factor": 1,
        "pipeline_min_insync_replicas": 1,
        "pipeline_raw_retention_ms": 3600000,
        "pipeline_pinot_replicas": 1,
        "pipeline_pinot_kafka_bootstrap": kafka_broker.bootstrap,
        "pipeline_pinot_kafka_properties": {},
        "pipeline_pinot_kafka_consumer_factory": "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory",
        "topics_bootstrap_servers": kafka_broker.bootstrap,
        "pinot_tables_controller_url": pinot_cluster.controller_url,
    }
    return target


def _run(target, env, state="present"):
    return run_playbook("pipeline.yml", "none.yml", env, extra_json=dict(target, pipeline_state=state))


def test_definitions_converge_consume_and_delete(kafka_broker, pinot_cluster, aws_env):
    extra = _target(kafka_broker, pinot_cluster)
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap})
    pinot = PinotClient(pinot_cluster.controller_url)
    try:
        first = _run(extra, aws_env)
        assert_ok(first, "pipeline converge")
        # One change per topic, the schema and the table.
        assert first.changed_tasks() == ["topics : Converge each topic"] * 3 + [
            "pinot_tables : Reconcile each schema", "pinot_tables : Reconcile each table"], first.changed_tasks()
        topics = admin.list_topics(timeout=10).topics
        assert TOPICS <= set(topics)
        assert len(topics["events.processed"].partitions) == 2
        assert pinot.get("/schemas/events")[1]["schemaName"] == "events"

        again = _run(extra, aws_env)
        assert_ok(again, "pipeline converge again")
        assert again.changed == 0, again.changed_tasks()

        # What Flink would write: the generator's expected outputs, as JSON.
        events = generator.generate(120, seed=7, malformed_fraction=0.1)
        processed, _ = generator.expected_outputs(events)
        producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
        for row in processed:
            producer.produce("events.processed", json.dumps(dict(row, processed_at=row["ts"] + 5)).encode())
        assert producer.flush(30) == 0

        broker = PinotClient(pinot_cluster.broker_url)
        deadline, count = time.monotonic() + 90, -1
        while time.monotonic() < deadline:
            answer = broker.query("SELECT COUNT(*) FROM events")
            count = answer["resultTable"]["rows"][0][0]
            if count == len(processed):
                break
            time.sleep(1)
        assert count == len(processed), f"Pinot has {count} rows, expected {len(processed)}"
        sample = processed[0]
        row = broker.query(f"SELECT user_id, event_type, amount, ts FROM events WHERE event_id = '{sample['event_id']}'")
        assert row["resultTable"]["rows"] == [[sample["user_id"], sample["event_type"], sample["amount"], sample["ts"]]]
    finally:
        down = _run(extra, aws_env, state="absent")
    assert_ok(down, "pipeline delete")
    assert not TOPICS & set(admin.list_topics(timeout=10).topics)
    down_again = _run(extra, aws_env, state="absent")
    assert_ok(down_again, "pipeline delete again")
    assert down_again.changed == 0, down_again.changed_tasks()
