#!/usr/bin/env python3
"""Deterministic sample events for the streamstack pipeline, and what Flink must make of them.

Library (standard library only; confluent-kafka only for ``--kafka``):

* ``generate(count, seed=0, malformed_fraction=0.1, base_ts=...)`` -> list of
  ``Event`` (``.payload`` bytes as written to Kafka, ``.kind`` "valid" or the
  malformation, ``.index``). Same arguments, same bytes.
* ``is_valid(payload)`` / ``process(payload)`` -- the validity rules of
  README.md ("Validity rules"), written independently of the job's SQL.
* ``expected_outputs(events)`` -> ``(processed, dead_letters)``: the dicts the
  processed topic must hold (without ``processed_at``) and the exact bytes
  the dead-letter topic must hold, in input order.

Command line (runs in the main venv, which has confluent-kafka)::

    python files/flink/generator.py --count 1000 --seed 7 --malformed 0.1            # JSON lines on stdout
    python files/flink/generator.py --count 0 --rate 200 --kafka 127.0.0.1:9092 --topic events-raw
    python files/flink/generator.py --count 300 --expected                            # expected outputs as JSON

``--count 0`` means unlimited (until interrupted); ``--rate 0`` means as fast
as possible. Every payload is one line (no payload contains a newline byte), so
stdout is valid "JSON lines" apart from the deliberately malformed payloads.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass

EVENT_TYPES = ("click", "view", "purchase")
DEFAULT_BASE_TS = 1732435200000  # 2024-11-24T08:00:00Z, fixed so outputs are reproducible
MAX_BIGINT = 2**63 - 1

# Every malformation the generator makes, in the order it cycles through them.
MALFORMED_KINDS = (
    "not_json",
    "json_array",
    "missing_event_id",
    "non_numeric_amount",
    "unknown_event_type",
    "missing_ts",
    "empty_user_id",
    "amount_as_string",
    "purchase_without_amount",
    "negative_amount",
    "ts_not_integer",
    "ts_as_string",
    "event_id_not_string",
    "invalid_utf8",
    "empty_payload",
)


@dataclass(frozen=True)
class Event:
    index: int
    kind: str  # "valid" or one of MALFORMED_KINDS
    payload: bytes

    @property
    def malformed(self):
        return self.kind != "valid"


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _valid_event(rng, index, base_ts):
    event_type = rng.choices(EVENT_TYPES, weights=(6, 3, 1))[0]
    event = {
        "event_id": "e-%06d" % index,
        "user_id": "u-%03d" % rng.randrange(1000),
        "event_type": event_type,
    }
    if event_type == "purchase":
        event["amount"] = round(rng.uniform(0.5, 500.0), 2)
    else:
        shape = rng.randrange(3)  # absent / 0.0 / null: all mean 0.0
        if shape == 1:
            event["amount"] = 0.0
        elif shape == 2:
            event["amount"] = None
    event["ts"] = base_ts + index * 250 + rng.randrange(250)
    return event


def _malformed(kind, rng, index, base_ts):
    event = _valid_event(rng, index, base_ts)
    if kind == "not_json":
        return ("not json: %s clicked" % event["event_id"]).encode()
    if kind == "json_array":
        return _dumps([event])
    if kind == "missing_event_id":
        del event["event_id"]
    elif kind == "non_numeric_amount":
        event.update(event_type="purchase", amount="twelve")
    elif kind == "unknown_event_type":
        event["event_type"] = "refund"
    elif kind == "missing_ts":
        del event["ts"]
    elif kind == "empty_user_id":
        event["user_id"] = ""
    elif kind == "amount_as_string":
        event.update(event_type="purchase", amount="12.50")
    elif kind == "purchase_without_amount":
        event["event_type"] = "purchase"
        event.pop("amount", None)
    elif kind == "negative_amount":
        event.update(event_type="purchase", amount=-3.5)
    elif kind == "ts_not_integer":
        event["ts"] = event["ts"] + 0.5
    elif kind == "ts_as_string":
        event["ts"] = str(event["ts"])
    elif kind == "event_id_not_string":
        event["event_id"] = index
    elif kind == "invalid_utf8":
        return b'{"event_id":"e-%06d","user_id":"\xff\xfe","event_type":"click","ts":%d}' % (index, event["ts"])
    elif kind == "empty_payload":
        return b""
    else:
        raise ValueError("unknown malformation %r" % kind)
    return _dumps(event)


def generate(count, seed=0, malformed_fraction=0.1, base_ts=DEFAULT_BASE_TS, start=0):
    """``count`` events; exactly ``round(count * malformed_fraction)`` of them
    malformed, at positions and with kinds chosen by ``seed`` (kinds cycle
    through MALFORMED_KINDS so every kind appears once there are enough).
    ``start`` is the index (and event_id number) of the first event."""
    if count < 0:
        raise ValueError("count must be >= 0")
    if not 0.0 <= malformed_fraction <= 1.0:
        raise ValueError("malformed_fraction must be within [0, 1]")
    rng = random.Random(seed)
    bad = sorted(rng.sample(range(count), round(count * malformed_fraction)))
    offset = rng.randrange(len(MALFORMED_KINDS))
    kinds = {pos: MALFORMED_KINDS[(n + offset) % len(MALFORMED_KINDS)] for n, pos in enumerate(bad)}
    events = []
    for pos in range(count):
        kind, index = kinds.get(pos, "valid"), start + pos
        if kind == "valid":
            payload = _dumps(_valid_event(rng, index, base_ts))
        else:
            payload = _malformed(kind, rng, index, base_ts)
        events.append(Event(index, kind, payload))
    return events


def stream(seed=0, malformed_fraction=0.1, base_ts=DEFAULT_BASE_TS, chunk=1000):
    """Unlimited events (for ``--count 0``): deterministic chunks of ``chunk`` events."""
    start = 0
    while True:
        yield from generate(chunk, seed * 1000003 + start // chunk, malformed_fraction, base_ts, start)
        start += chunk


def _edge(event_id, **fields):
    event = {"event_id": event_id, "user_id": "u-edge", "event_type": "click", "ts": DEFAULT_BASE_TS}
    event.update(fields)
    return _dumps({k: v for k, v in event.items() if v is not _ABSENT})


_ABSENT = object()

# Hand-written boundary cases of the validity rules (README.md), fixed bytes,
# so a test can check the job's SQL against process() beyond what generate()
# makes. Each event_id is unique ("x-..."), valid or not.
EDGE_CASES = (
    _edge("x-ts-one", ts=1),
    _edge("x-ts-zero", ts=0),
    _edge("x-ts-negative", ts=-5),
    _edge("x-ts-max", ts=MAX_BIGINT),
    _edge("x-ts-overflow", ts=MAX_BIGINT + 1),
    _edge("x-ts-float-whole", ts=1732435200000.0),
    b'{"event_id":"x-ts-exponent","user_id":"u-edge","event_type":"click","ts":1.7E12}',
    _edge("x-ts-null", ts=None),
    _edge("x-ts-bool", ts=True),
    _edge("x-amount-int", event_type="purchase", amount=5),
    _edge("x-amount-exponent", event_type="purchase", amount=1e2),
    b'{"event_id":"x-amount-huge","user_id":"u-edge","event_type":"purchase","amount":1e400,"ts":1}',
    _edge("x-amount-bool", amount=True),
    _edge("x-amount-object", amount={"v": 1}),
    _edge("x-amount-array", amount=[1]),
    _edge("x-amount-zero-click", amount=0),
    _edge("x-amount-negative-zero", amount=-0.0),
    _edge("x-amount-zero-purchase", event_type="purchase", amount=0),
    _edge("x-amount-tiny-purchase", event_type="purchase", amount=1e-9),
    _edge("x-amount-null-purchase", event_type="purchase", amount=None),
    _edge("x-type-upper", event_type="CLICK"),
    _edge("x-type-number", event_type=1),
    _edge("x-type-missing", event_type=_ABSENT),
    _edge({"id": 1}),
    _edge(["x-in-array"]),
    _edge(None),
    _edge("x-user-null", user_id=None),
    _edge("x-user-number", user_id=42),
    _edge("x-user-missing", user_id=_ABSENT),
    _edge("x-unicode", user_id="\u00fc-\u00f1 \U0001F600"),
    _edge('x-quote-"q"-\\-[', user_id="[not an array]"),
    _edge("x-extra-fields", extra={"nested": [1, 2]}, more="yes"),
    b'  {"event_id":"x-whitespace","user_id":"u-edge","event_type":"view","ts":1732435200000}  ',
    b'\xef\xbb\xbf{"event_id":"x-bom","user_id":"u-edge","event_type":"view","ts":1732435200000}',
    b'{"event_id":"x-trailing-comma","user_id":"u-edge","event_type":"view","ts":1,}',
    b'{"event_id":"x-truncated","user_id":"u-edge","event_type":"vi',
    b"null",
    b'"x-a-string"',
    b"12345",
    b"{}",
    b"[]",
)


# --------------------------------------------------------------------------
# The validity rules (README.md, "Validity rules"), independent of the SQL
# --------------------------------------------------------------------------


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def process(payload):
    """The processed event (without ``processed_at``) for a valid payload, else None."""
    if payload is None:
        return None
    try:
        obj = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(obj, dict):
        return None
    event_id, user_id, event_type = obj.get("event_id"), obj.get("user_id"), obj.get("event_type")
    if not (isinstance(event_id, str) and event_id and isinstance(user_id, str) and user_id):
        return None
    if event_type not in EVENT_TYPES:
        return None
    ts = obj.get("ts")
    if not (isinstance(ts, int) and not isinstance(ts, bool) and 0 < ts <= MAX_BIGINT):
        return None
    amount = obj.get("amount")
    if amount is None:
        if event_type == "purchase":
            return None
        amount = 0.0
    else:
        if not _is_number(amount):
            return None
        amount = float(amount) + 0.0  # -0.0 becomes 0.0, as in Flink
        if not (math.isfinite(amount) and amount >= 0):
            return None
        if event_type == "purchase" and amount <= 0:
            return None
    return {"event_id": event_id, "user_id": user_id, "event_type": event_type, "amount": amount, "ts": ts}


def is_valid(payload):
    return process(payload) is not None


def _payload(event):
    if isinstance(event, Event):
        return event.payload
    if isinstance(event, str):
        return event.encode("utf-8")
    if isinstance(event, dict):
        return _dumps(event)
    return event


def expected_outputs(events):
    """``(processed, dead_letters)`` for ``events`` (Events, bytes, str or dicts), in input order:
    processed is a list of dicts without ``processed_at``; dead_letters a list of the original bytes."""
    processed, dead = [], []
    for event in events:
        payload = _payload(event)
        out = process(payload)
        if out is None:
            dead.append(payload)
        else:
            processed.append(out)
    return processed, dead


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _paced(events, rate):
    began = time.monotonic()
    for n, event in enumerate(events):
        if rate > 0:
            delay = began + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        yield event


def produce(events, bootstrap, topic, rate=0.0, config=None):
    """Write ``events`` (Events, bytes, str or dicts) to ``topic``; returns the number
    delivered. Raises on any delivery error."""
    from confluent_kafka import Producer

    producer = Producer(dict({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True}, **(config or {})))
    errors, sent = [], 0

    def delivered(err, _msg):
        if err is not None:
            errors.append(err)

    for event in _paced(events, rate):
        while True:
            try:
                producer.produce(topic, value=_payload(event), on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.1)
        sent += 1
        producer.poll(0)
        if errors:
            break
    remaining = producer.flush(60)
    if errors or remaining:
        raise RuntimeError("delivery to %s failed: %s (%d undelivered)" % (topic, errors[:3], remaining))
    return sent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="events to make; 0 = unlimited")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--malformed", type=float, default=0.1, help="fraction of malformed events (0..1)")
    parser.add_argument("--rate", type=float, default=0.0, help="events per second; 0 = as fast as possible")
    parser.add_argument("--base-ts", type=int, default=DEFAULT_BASE_TS, help="ts of event 0, epoch ms")
    parser.add_argument("--kafka", metavar="BOOTSTRAP", help="produce to Kafka instead of stdout")
    parser.add_argument("--topic", help="topic for --kafka")
    parser.add_argument("--expected", action="store_true", help="print the expected processed / dead-letter outputs")
    args = parser.parse_args(argv)
    if args.count == 0:
        if args.expected:
            parser.error("--expected needs a finite --count")
        events = stream(args.seed, args.malformed, args.base_ts)
    else:
        events = generate(args.count, args.seed, args.malformed, args.base_ts)
    if args.expected:
        processed, dead = expected_outputs(events)
        json.dump(
            {"processed": processed, "dead_letter": [d.decode("utf-8", "backslashreplace") for d in dead]},
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    if args.kafka:
        if not args.topic:
            parser.error("--kafka needs --topic")
        sent = produce(events, args.kafka, args.topic, args.rate)
        print("produced %d events to %s" % (sent, args.topic), file=sys.stderr)
        return 0
    out = sys.stdout.buffer
    try:
        for event in _paced(events, args.rate):
            out.write(event.payload + b"\n")
            if args.rate:
                out.flush()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
