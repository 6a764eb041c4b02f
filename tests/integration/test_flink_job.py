"""The Flink job end to end, locally, against the real Kafka 4.1.1 broker.

Builds the MSF zip (files/flink/package.py), unpacks it, and runs its
``main.py`` with ``.venv-flink``'s Python as a subprocess in its own process
group (PyFlink MiniCluster: the Python client and its JVM), configured like on
MSF through a property-group file plus one environment override. Then it
produces generated events, consumes the processed and dead-letter topics and
compares their CONTENT with ``generator.expected_outputs``: processed events
equal (ignoring ``processed_at``, order-insensitive), dead letters equal to the
malformed originals byte for byte.

Warm: about 40-60 s (JVM start, job submission, first records 10-17 s after
launch). Needs scripts/setup_flink.sh (skipped otherwise, with the reason).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from harness import services as harness_services

REPO = Path(__file__).resolve().parents[2]
FLINK_DIR = REPO / "files" / "flink"
FLINK_PY = REPO / ".venv-flink" / "bin" / "python"
sys.path.insert(0, str(FLINK_DIR))

import generator  # noqa: E402
import package  # noqa: E402

import confluent_kafka  # noqa: E402  (requirements.txt: the set-up installs it)
from confluent_kafka import Consumer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

COUNT = 300
MALFORMED = 0.1
SEED = 20261124
WAIT_SECONDS = int(os.environ.get("STREAMSTACK_FLINK_TEST_WAIT", "150"))

@pytest.fixture(autouse=True, scope="module")
def _flink_venv():
    # scripts/setup.sh always builds it: its absence is a broken set-up, not a reason to skip.
    if not FLINK_PY.exists():
        pytest.fail("no .venv-flink: run scripts/setup_flink.sh (PyFlink lives apart from .venv)")


def _create_topics(bootstrap, names, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(n, num_partitions=partitions[n], replication_factor=1) for n in names], operation_timeout=20
    )
    for name in names:
        futures[name].result(timeout=30)


def _tail(path, lines=60):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def test_flink_job_routes_valid_and_invalid_events(kafka_broker, tmp_path):
    bootstrap = kafka_broker.bootstrap
    suffix = uuid.uuid4().hex[:8]
    raw, processed_topic, dead_topic = (f"events-raw-{suffix}", f"events-processed-{suffix}", f"events-dlq-{suffix}")
    _create_topics(bootstrap, [raw, processed_topic, dead_topic], {raw: 2, processed_topic: 1, dead_topic: 1})

    # Generated events plus the hand-written boundary cases of the validity rules.
    events = generator.generate(COUNT, seed=SEED, malformed_fraction=MALFORMED) + list(generator.EDGE_CASES)
    want_processed, want_dead = generator.expected_outputs(events)
    assert len(want_dead) > round(COUNT * MALFORMED)
    assert generator.produce(events, bootstrap, raw) == len(events)

    # The artifact MSF would run, unpacked: main.py + lib/<connector>.jar.
    built = package.build(out_dir=str(tmp_path / "dist"))
    app = tmp_path / "app"
    with zipfile.ZipFile(built["zip_path"]) as archive:
        archive.extractall(app)
    props = tmp_path / "application_properties.json"
    props.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "streamstack.job",
                    "PropertyMap": {
                        "bootstrap.servers": "127.0.0.1:1",  # overridden by the environment below
                        "topic.raw": raw,
                        "topic.processed": processed_topic,
                        "topic.dead-letter": dead_topic,
                        "group.id": f"flink-test-{suffix}",
                        "startup.mode": "earliest-offset",
                        "parallelism": "1",
                        "checkpoint.interval.ms": "5000",
                    },
                }
            ]
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_") and k != "PYTHONPATH"}
    env.update(
        STREAMSTACK_FLINK_PROPERTIES=str(props),
        STREAMSTACK_BOOTSTRAP_SERVERS=bootstrap,
        FLINK_LOG_DIR=str(tmp_path / "flink-log"),
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "job.log"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"verify-{suffix}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([processed_topic, dead_topic])
    got_processed, got_dead = [], []
    launched = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(FLINK_PY), str(app / "main.py")],
            cwd=str(app),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = launched + WAIT_SECONDS
        first_seen = None
        while time.monotonic() < deadline:
            # Every input record yields exactly one output record on one of the two
            # topics: stop at the total, so a misrouted record shows as a content diff.
            if len(got_processed) + len(got_dead) >= len(events):
                break
            if proc.poll() is not None:
                pytest.fail(f"Flink job exited with {proc.returncode}:\n{_tail(log_path)}")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            first_seen = first_seen or time.monotonic() - launched
            if msg.topic() == processed_topic:
                got_processed.append(msg.value())
            else:
                got_dead.append(msg.value() if msg.value() is not None else b"")
        else:
            pytest.fail(
                f"after {WAIT_SECONDS}s: {len(got_processed)}/{len(want_processed)} processed, "
                f"{len(got_dead)}/{len(want_dead)} dead letters\n{_tail(log_path)}"
            )
        # A moment more: nothing beyond the expected records may arrive.
        extra_until = time.monotonic() + 2
        while time.monotonic() < extra_until:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                (got_processed if msg.topic() == processed_topic else got_dead).append(msg.value() or b"")
        elapsed = time.monotonic() - launched
    finally:
        consumer.close()
        harness_services.stop_group(proc)
    print(f"first output {first_seen:.1f}s after launch, all {len(events)} routed after {elapsed:.1f}s")

    assert proc.returncode is not None
    # Dead letters: the malformed originals, byte for byte (order-insensitive).
    assert Counter(got_dead) == Counter(want_dead), (
        "only in Flink's dead letters: %r\nmissing from them: %r"
        % (list((Counter(got_dead) - Counter(want_dead)).elements()), list((Counter(want_dead) - Counter(got_dead)).elements()))
    )
    # Processed: exactly the expected events, processed_at aside.
    before = int(time.time() * 1000) - int(elapsed * 1000) - 60_000
    decoded = []
    for value in got_processed:
        event = json.loads(value)
        assert set(event) == {"event_id", "user_id", "event_type", "amount", "ts", "processed_at"}, event
        processed_at = event.pop("processed_at")
        assert isinstance(processed_at, int) and before <= processed_at <= int(time.time() * 1000) + 1000
        assert isinstance(event["ts"], int) and isinstance(event["amount"], float)
        decoded.append(event)
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    got_keys, want_keys = Counter(map(key, decoded)), Counter(map(key, want_processed))
    assert got_keys == want_keys, "only in Flink's output: %s\nmissing from it: %s" % (
        list((got_keys - want_keys).elements()),
        list((want_keys - got_keys).elements()),
    )
