# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic sample events for the streamstack pipeline, and what Flink must make of them.

Standard library only (confluent-kafka is imported by ``produce()`` alone), no
Ansible import: the same file serves the ``pipeline_verify`` module and the
command-line tool ``files/flink/generator.py``.

* ``generate(count, seed=0, malformed_fraction=0.1, base_ts=..., start=0, id_prefix="e-")``
  -> list of ``Event`` (``.payload`` bytes as written to Kafka, ``.kind``
  "valid" or the malformation, ``.index``). Same arguments, same bytes. Valid
  events have ``event_id`` ``"%s%06d" % (id_prefix, index)``; so do the
  malformations that keep an event id (``not_json`` and ``invalid_utf8``
  included).
* ``stream(seed=0, ..., id_prefix="e-")``: unlimited events, in chunks.
* ``is_valid(payload)`` / ``process(payload)`` -- the validity rules of
  files/flink/README.md ("Validity rules"), written independently of the job's SQL.
* ``expected_outputs(events)`` -> ``(processed, dead_letters)``: the dicts the
  processed topic must hold (without ``processed_at``) and the exact bytes
  the dead-letter topic must hold, in input order.
* ``produce(events, bootstrap, topic, rate=0.0, config=None)``: write them to Kafka.
* ``EDGE_CASES``: hand-written boundary cases of the validity rules.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass

__all__ = [
    "DEFAULT_BASE_TS",
    "DEFAULT_ID_PREFIX",
    "EDGE_CASES",
    "EVENT_TYPES",
    "MALFORMED_KINDS",
    "MAX_BIGINT",
    "Event",
    "expected_outputs",
    "generate",
    "is_valid",
    "process",
    "produce",
    "stream",
]

EVENT_TYPES = ("click", "view", "purchase")
DEFAULT_BASE_TS = 1732435200000  # 2024-11-24T08:00:00Z, fixed so outputs are reproducible
MAX_BIGINT = 2**63 - 1
DEFAULT_ID_PREFIX = "e-"

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


def _event_id(id_prefix, index):
    return "%s%06d" % (id_prefix, index)


def _valid_event(rng, index, base_ts, id_prefix=DEFAULT_ID_PREFIX):
    event_type = rng.choices(EVENT_TYPES, weights=(6, 3, 1))[0]
    event = {
        "event_id": _event_id(id_prefix, index),
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


def _malformed(kind, rng, index, base_ts, id_prefix=DEFAULT_ID_PREFIX):
    event = _valid_event(rng, index, base_ts, id_prefix)
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
        # The id as a JSON string body (escaped), then bytes that are not UTF-8.
        quoted = json.dumps(_event_id(id_prefix, index))[1:-1].encode("ascii")
        return b'{"event_id":"%s","user_id":"\xff\xfe","event_type":"click","ts":%d}' % (quoted, event["ts"])
    elif kind == "empty_payload":
        return b""
    else:
        raise ValueError("unknown malformation %r" % kind)
    return _dumps(event)


def generate(count, seed=0, malformed_fraction=0.1, base_ts=DEFAULT_BASE_TS, start=0, id_prefix=DEFAULT_ID_PREFIX):
    """``count`` events; exactly ``round(count * malformed_fraction)`` of them
    malformed, at positions and with kinds chosen by ``seed`` (kinds cycle
    through MALFORMED_KINDS so every kind appears once there are enough).
    ``start`` is the index (and event_id number) of the first event; event ids
    are ``id_prefix`` + the index on six digits (``e-000042``). The prefix
    changes no other byte and no random draw: only the ids differ."""
    if count < 0:
        raise ValueError("count must be >= 0")
    if not 0.0 <= malformed_fraction <= 1.0:
        raise ValueError("malformed_fraction must be within [0, 1]")
    if not isinstance(id_prefix, str):
        raise ValueError("id_prefix must be a string")
    rng = random.Random(seed)
    bad = sorted(rng.sample(range(count), round(count * malformed_fraction)))
    offset = rng.randrange(len(MALFORMED_KINDS))
    kinds = {pos: MALFORMED_KINDS[(n + offset) % len(MALFORMED_KINDS)] for n, pos in enumerate(bad)}
    events = []
    for pos in range(count):
        kind, index = kinds.get(pos, "valid"), start + pos
        if kind == "valid":
            payload = _dumps(_valid_event(rng, index, base_ts, id_prefix))
        else:
            payload = _malformed(kind, rng, index, base_ts, id_prefix)
        events.append(Event(index, kind, payload))
    return events


def stream(seed=0, malformed_fraction=0.1, base_ts=DEFAULT_BASE_TS, chunk=1000, id_prefix=DEFAULT_ID_PREFIX):
    """Unlimited events (for ``--count 0``): deterministic chunks of ``chunk`` events."""
    start = 0
    while True:
        yield from generate(chunk, seed * 1000003 + start // chunk, malformed_fraction, base_ts, start, id_prefix)
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
    _edge("x-unicode", user_id="\u00fc-\u00f1 \U0001f600"),
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
# Writing to Kafka
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

    producer = Producer(
        dict({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True}, **(config or {}))
    )
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
