"""The real local services: Kafka 4.1.1 (KRaft) and Pinot 0.11.0, started by
the session fixtures ``kafka_broker`` and ``pinot_cluster`` from
module_utils/services.py, plus the jar cache of ``resolve_jars``.

Warm (jars in .cache/jars) the module takes about a minute; cold, Maven
first resolves about 190 MB of jars.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from harness import services as harness_services

svc = harness_services.svc

import confluent_kafka  # noqa: E402  (requirements.txt: the set-up installs it)
from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1)], operation_timeout=20
    )
    futures[name].result(timeout=30)


def produce(bootstrap: str, topic: str, records) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for key, value in records:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0, "messages still undelivered after 30 s"


def consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[tuple[bytes, bytes]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"t-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=500, timeout=1.0):
                assert msg.error() is None, msg.error()
                got.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    return got


def http_json(method: str, url: str, body=None, timeout: float = 30.0):
    """(status, parsed JSON or text) with plain urllib."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def sql(broker_url: str, query: str) -> dict:
    """Run SQL on the broker; fail on HTTP errors and on the 200-with-`exceptions` answers."""
    status, answer = http_json("POST", f"{broker_url}/query/sql", {"sql": query})
    assert status == 200, (status, answer)
    assert not answer.get("exceptions"), answer["exceptions"]
    return answer


def wait_for_count(broker_url: str, table: str, expected: int, timeout: float) -> None:
    """Poll count(*) until it equals ``expected``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    count = answer = None
    while time.monotonic() < deadline:
        status, answer = http_json("POST", f"{broker_url}/query/sql", {"sql": f"SELECT COUNT(*) FROM {table}"})
        # Until the broker routes the table it answers HTTP 200 with an `exceptions` array.
        if status == 200 and not answer.get("exceptions"):
            count = answer["resultTable"]["rows"][0][0]
            if count == expected:
                return
        time.sleep(0.5)
    raise AssertionError(f"count(*) of {table} was {count}, not {expected}, after {timeout} s; last answer {answer}")


# --------------------------------------------------------------------------
# (a) Kafka
# --------------------------------------------------------------------------


def test_kafka_roundtrip_survives_restart(kafka_broker):
    topic = f"svc-test-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap, topic, partitions=3)
    sent = [(f"k{i}".encode(), json.dumps({"n": i}).encode()) for i in range(1000)]
    produce(kafka_broker.bootstrap, topic, sent)

    got = consume_all(kafka_broker.bootstrap, topic, 1000)
    assert sorted(got) == sorted(sent)

    assert kafka_broker.stop() is True
    assert not kafka_broker.is_running()
    result = kafka_broker.start(timeout=90)
    assert result["changed"] is True  # it had to launch the JVM again (no re-format: same data dir)

    metadata = AdminClient({"bootstrap.servers": kafka_broker.bootstrap}).list_topics(timeout=10)
    assert topic in metadata.topics
    assert len(metadata.topics[topic].partitions) == 3
    again = consume_all(kafka_broker.bootstrap, topic, 1000)
    assert sorted(again) == sorted(sent)


def test_kafka_start_is_idempotent(kafka_broker):
    pid = kafka_broker.pid("kafka")
    assert kafka_broker.start(timeout=30)["changed"] is False
    assert kafka_broker.pid("kafka") == pid


# --------------------------------------------------------------------------
# (b) Pinot consuming from Kafka
# --------------------------------------------------------------------------


def test_pinot_roles_live(pinot_cluster):
    assert pinot_cluster.role_health() == {"controller": True, "broker": True, "server": True, "minion": True}
    live = pinot_cluster.live_instances()
    assert set(pinot_cluster.instance_ids().values()) <= set(live), live
    assert pinot_cluster.zk_address.startswith("127.0.0.1:")
    assert pinot_cluster.controller_url.startswith("http://127.0.0.1:")
    assert pinot_cluster.broker_url.startswith("http://127.0.0.1:")


def test_pinot_realtime_table_from_kafka(kafka_broker, pinot_cluster):
    suffix = uuid.uuid4().hex[:6]
    topic, table = f"pinot-events-{suffix}", f"events_{suffix}"
    create_topic(kafka_broker.bootstrap, topic, partitions=2)

    schema = {
        "schemaName": table,
        "dimensionFieldSpecs": [{"name": "id", "dataType": "STRING"}, {"name": "kind", "dataType": "STRING"}],
        "metricFieldSpecs": [{"name": "amount", "dataType": "DOUBLE"}],
        "dateTimeFieldSpecs": [
            {"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}
        ],
    }
    table_config = {
        "tableName": table,
        "tableType": "REALTIME",
        "segmentsConfig": {
            "schemaName": table,
            "timeColumnName": "ts",
            "replication": "1",
            "replicasPerPartition": "1",
        },
        "tenants": {},
        "tableIndexConfig": {"loadMode": "MMAP"},
        "metadata": {},
        "ingestionConfig": {
            "streamIngestionConfig": {
                "streamConfigMaps": [
                    {
                        "streamType": "kafka",
                        "stream.kafka.topic.name": topic,
                        "stream.kafka.broker.list": kafka_broker.bootstrap,
                        "stream.kafka.consumer.type": "lowlevel",
                        "stream.kafka.consumer.factory.class.name": "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory",
                        "stream.kafka.decoder.class.name": "org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder",
                        "stream.kafka.consumer.prop.auto.offset.reset": "smallest",
                        # A stopping server waits out each consuming partition's fetch (default 5 s, one after another).
                        "stream.kafka.fetch.timeout.millis": "1000",
                        "realtime.segment.flush.threshold.rows": "100000",
                        "realtime.segment.flush.threshold.time": "1h",
                    }
                ]
            }
        },
    }
    controller = pinot_cluster.controller_url
    status, answer = http_json("POST", f"{controller}/schemas", schema)
    assert status == 200, answer
    status, answer = http_json("POST", f"{controller}/tables", table_config)
    assert status == 200, answer
    status, answer = http_json("GET", f"{controller}/tables/{table}")
    assert status == 200 and "REALTIME" in answer, answer

    base_ts = 1_700_000_000_000
    events = [
        {"id": f"e-{i}", "kind": ("click", "view", "buy")[i % 3], "amount": i * 1.5, "ts": base_ts + i}
        for i in range(500)
    ]
    produce(kafka_broker.bootstrap, topic, [(e["id"].encode(), json.dumps(e).encode()) for e in events])

    wait_for_count(pinot_cluster.broker_url, table, 500, timeout=60)

    row = sql(pinot_cluster.broker_url, f"SELECT id, kind, amount, ts FROM {table} WHERE id = 'e-42'")
    assert row["resultTable"]["dataSchema"]["columnNames"] == ["id", "kind", "amount", "ts"]
    assert row["resultTable"]["rows"] == [["e-42", "click", 63.0, base_ts + 42]]

    # A query error still comes back as HTTP 200, with `exceptions` filled in.
    status, bad = http_json("POST", f"{pinot_cluster.broker_url}/query/sql", {"sql": "SELECT nope FROM nowhere"})
    assert status == 200 and bad.get("exceptions")

    # Rows survive a stop and a start of both JVMs (same state dir, same instance ids): the
    # server re-consumes its open segments from the offsets kept in ZooKeeper, no duplicates.
    assert pinot_cluster.stop() is True
    assert pinot_cluster.start(timeout=180)["changed"] is True
    wait_for_count(pinot_cluster.broker_url, table, 500, timeout=90)


# --------------------------------------------------------------------------
# (c) jar resolution is cached
# --------------------------------------------------------------------------


def test_resolve_jars_second_call_runs_no_maven(monkeypatch):
    pom = harness_services.POMS / "kafka" / "pom.xml"
    jar_dir = svc.resolve_jars("kafka", harness_services.JAR_CACHE, pom=pom)  # cold or cached
    marker = os.path.join(jar_dir, svc.MARKER)
    before = os.stat(marker).st_mtime_ns

    def no_maven(*args, **kwargs):
        raise AssertionError(f"Maven ran although the jars are cached: {args}")

    monkeypatch.setattr(svc.subprocess, "run", no_maven)
    assert svc.resolve_jars("kafka", harness_services.JAR_CACHE, pom=pom) == jar_dir
    assert os.stat(marker).st_mtime_ns == before
    assert any(name.startswith("kafka_2.13-4.1.1") for name in os.listdir(jar_dir))


def _fake_mvn(tmp_path, exit_code=0):
    """A stand-in `mvn` that counts its runs and drops one jar into -DoutputDirectory."""
    script = tmp_path / "mvn"
    script.write_text(
        "#!/bin/sh\n"
        f"echo run >> '{tmp_path}/mvn.calls'\n"
        f"if [ {exit_code} -ne 0 ]; then echo 'line 1'; echo '[ERROR] could not resolve x:y:1'; exit {exit_code}; fi\n"
        'for a in "$@"; do case $a in -DoutputDirectory=*) d=${a#-DoutputDirectory=};; esac; done\n'
        'mkdir -p "$d" && : > "$d/fake-1.0.jar"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    pom = tmp_path / "pom.xml"
    pom.write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>g</groupId><artifactId>a</artifactId><version>9.9</version>"
        "<properties><demo.version>1.2.3</demo.version></properties></project>"
    )
    return script, pom


def test_resolve_jars_runs_maven_once_per_version(tmp_path):
    mvn, pom = _fake_mvn(tmp_path)
    cache = tmp_path / "cache"
    first = svc.resolve_jars("demo", cache, pom=pom, mvn=str(mvn))
    second = svc.resolve_jars("demo", cache, pom=pom, mvn=str(mvn))
    assert first == second == str(cache / "demo-1.2.3")
    assert (tmp_path / "mvn.calls").read_text().count("run") == 1
    assert json.loads((cache / "demo-1.2.3" / svc.MARKER).read_text())["jars"] == 1


def test_resolve_jars_failure_shows_maven_output(tmp_path):
    mvn, pom = _fake_mvn(tmp_path, exit_code=1)
    with pytest.raises(svc.ServiceError, match=r"(?s)exit 1.*could not resolve x:y:1"):
        svc.resolve_jars("demo", tmp_path / "cache", pom=pom, mvn=str(mvn))
    assert not (tmp_path / "cache" / "demo-1.2.3").exists()


def test_kafka_formats_a_cluster_id_that_starts_with_a_dash(tmp_path):
    """A base64url cluster id starts with "-" once in 64: the format must still work."""
    kafka = svc.KafkaService(tmp_path / "kafka", harness_services.jars("kafka"), *svc.free_ports(2))
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "cluster.id").write_text("-AbCdEfGhIjKlMnOpQrStU\n")
    kafka.configure()
    assert kafka.format() is True
    assert "cluster.id=-AbCdEfGhIjKlMnOpQrStU" in (tmp_path / "kafka" / "data" / "meta.properties").read_text()


def test_a_topic_deleted_while_described_is_reported_absent(kafka_broker):
    """Metadata lists the topic, then another client deletes it before DescribeConfigs:
    the backend retries UNKNOWN_TOPIC_OR_PART and then reports the topic absent, so a
    deletion is a no-op instead of the error CI met on 2026-12-07. The deletion is real
    (a second AdminClient on the same broker), injected between the two requests."""
    sys.path.insert(0, str(svc.__file__).rsplit("/ansible_collections/", 1)[0])
    from ansible_collections.streamstack.pipeline.plugins.module_utils.kafka_admin import KafkaAdminBackend

    name = f"raced-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap, name, 1)
    backend = KafkaAdminBackend([kafka_broker.bootstrap], request_timeout=10)
    assert backend.describe([name])[name]["partitions"] == 1

    other = AdminClient({"bootstrap.servers": kafka_broker.bootstrap})
    describe_configs = backend.admin.describe_configs

    def delete_first(*args, **kwargs):
        if name in other.list_topics(timeout=10).topics:
            other.delete_topics([name], operation_timeout=20)[name].result(timeout=30)
        return describe_configs(*args, **kwargs)

    backend.admin.describe_configs = delete_first
    started = time.monotonic()
    assert backend.describe([name]) == {}
    assert time.monotonic() - started >= 1, "reported absent without retrying"
    # An unknown name never reaches DescribeConfigs; a known one still describes fully.
    assert backend.describe([name, "never-created-" + name]) == {}
