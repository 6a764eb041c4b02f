#!/usr/bin/env python3
"""The Kafka side of one verify run: produce its events, read its dead letters back.

Runs wherever the brokers are reachable: in a short-lived Kubernetes Job inside
the VPC on AWS (roles/verify; the same TLS client settings as Pinot's
consumer), or on this machine against the local profile's Kafka. What it reads
and prints is all the verify role needs; Pinot is checked from outside
(streamstack.pipeline.pipeline_verify, mode check).

    python3 kafka_io.py --events events.jsonl --properties client.properties \
        --raw-topic events.raw --dead-letter-topic events.dlq --timeout 120

* ``--events``: what ``pipeline_verify`` (mode ``plan``) wrote: a first line
  ``{"run_id": ...}``, then one JSON object an event, ``{"i": index, "p":
  base64 payload, "dead": true when it must come back as a dead letter}``.
* ``--properties``: librdkafka properties, ``key=value`` a line,
  ``bootstrap.servers`` included (for MSK: ``security.protocol=SSL``).

1. The dead-letter topic's end offsets are read first: this run's dead letters
   come after them.
2. Every event is produced in order (idempotent producer), its send time kept
   (epoch milliseconds, for the freshness the role computes).
3. The dead-letter topic is read from those offsets until every expected dead
   letter (a multiset of payloads, byte for byte) has arrived, or the timeout.

Prints one line ``STREAMSTACK-VERIFY-RESULT {json}`` with ``run_id``,
``produced``, ``sent_ms`` (per event, in order), ``dead_letters`` (every
payload read, base64, at most 10 x expected + 100), ``missing_dead_letters``,
``errors`` and ``seconds``; also written to ``--result`` when given. Exit 0:
everything delivered and every dead letter back; 1: not; 2: bad input.

Python 3.11 and confluent-kafka only (the Job's image installs it, pinned).
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import sys
import time

RESULT_MARK = "STREAMSTACK-VERIFY-RESULT "


def read_properties(path):
    props = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValueError("%s line %d: expected key=value" % (path, number))
            props[key.strip()] = value.strip()
    if not props.get("bootstrap.servers"):
        raise ValueError("%s: bootstrap.servers is missing" % path)
    return props


def read_events(path):
    """(run_id, [(index, payload bytes, dead)])."""
    with open(path, encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        events = []
        for line in handle:
            if line.strip():
                item = json.loads(line)
                events.append((int(item["i"]), base64.b64decode(item["p"]), bool(item["dead"])))
    if not events:
        raise ValueError("%s has no events" % path)
    return str(header["run_id"]), events


def missing(expected, received):
    """Expected payloads (a multiset) not among those received."""
    return list((collections.Counter(expected) - collections.Counter(received)).elements())


def run(args, kafka):
    began = time.time()
    props = read_properties(args.properties)
    run_id, events = read_events(args.events)
    expected_dead = [payload for _, payload, dead in events if dead]
    result = {"run_id": run_id, "produced": 0, "sent_ms": [], "dead_letters": [], "missing_dead_letters": 0,
              "errors": [], "seconds": 0.0}

    consumer = kafka.Consumer(dict(props, **{"group.id": "streamstack-verify-%s" % run_id,
                                             "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    try:
        metadata = consumer.list_topics(args.dead_letter_topic, timeout=args.request_timeout)
        topic = metadata.topics.get(args.dead_letter_topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise RuntimeError("topic %s does not exist on %s" % (args.dead_letter_topic, props["bootstrap.servers"]))
        starts = []
        for partition in sorted(topic.partitions):
            _, high = consumer.get_watermark_offsets(kafka.TopicPartition(args.dead_letter_topic, partition),
                                                     timeout=args.request_timeout, cached=False)
            starts.append(kafka.TopicPartition(args.dead_letter_topic, partition, high))
        consumer.assign(starts)

        producer = kafka.Producer(dict({"enable.idempotence": True, "linger.ms": 5}, **props))
        failed = []
        for _, payload, _ in events:
            while True:
                try:
                    result["sent_ms"].append(int(time.time() * 1000))
                    producer.produce(args.raw_topic, value=payload,
                                     on_delivery=lambda err, _msg: failed.append(err) if err else None)
                    break
                except BufferError:
                    result["sent_ms"].pop()
                    producer.poll(0.1)
            producer.poll(0)
        undelivered = producer.flush(max(args.request_timeout, 30))
        result["produced"] = len(events) - undelivered - len(failed)
        if failed or undelivered:
            result["errors"].append("delivery to %s failed: %s (%d undelivered)" % (
                args.raw_topic, "; ".join(str(e) for e in failed[:3]) or "timed out", undelivered + len(failed)))

        received = []
        cap = 10 * len(expected_dead) + 100
        deadline = time.time() + args.timeout
        while missing(expected_dead, received) and time.time() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                if message.error() is None and len(received) < cap:
                    received.append(message.value() if message.value() is not None else b"")
        result["dead_letters"] = [base64.b64encode(value).decode("ascii") for value in received]
        result["missing_dead_letters"] = len(missing(expected_dead, received))
        if result["missing_dead_letters"]:
            result["errors"].append("%d of %d dead letters did not arrive on %s within %d s" % (
                result["missing_dead_letters"], len(expected_dead), args.dead_letter_topic, args.timeout))
    except (RuntimeError, kafka.KafkaException) as exc:
        result["errors"].append(str(exc))
    finally:
        consumer.close()
    result["seconds"] = round(time.time() - began, 3)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", required=True)
    parser.add_argument("--properties", required=True)
    parser.add_argument("--raw-topic", required=True)
    parser.add_argument("--dead-letter-topic", required=True)
    parser.add_argument("--timeout", type=int, default=120, help="seconds to wait for the dead letters")
    parser.add_argument("--request-timeout", type=int, default=15)
    parser.add_argument("--result", help="also write the result JSON here")
    args = parser.parse_args(argv)
    try:
        import confluent_kafka as kafka
    except ImportError as exc:
        print("kafka_io: confluent-kafka is not installed: %s" % exc, file=sys.stderr)
        return 2
    try:
        result = run(args, kafka)
    except (OSError, ValueError, KeyError) as exc:
        print("kafka_io: %s" % exc, file=sys.stderr)
        return 2
    text = json.dumps(result, separators=(",", ":"))
    if args.result:
        with open(args.result, "w", encoding="utf-8") as handle:
            handle.write(text)
    print(RESULT_MARK + text, flush=True)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
