"""files/flink/generator.py: deterministic events and the reference validity rules."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "files" / "flink"))

import generator  # noqa: E402


def test_same_seed_same_bytes_other_seed_other_bytes():
    a = generator.generate(500, seed=7, malformed_fraction=0.1)
    b = generator.generate(500, seed=7, malformed_fraction=0.1)
    c = generator.generate(500, seed=8, malformed_fraction=0.1)
    assert [e.payload for e in a] == [e.payload for e in b]
    assert [e.kind for e in a] == [e.kind for e in b]
    assert [e.payload for e in a] != [e.payload for e in c]


@pytest.mark.parametrize("count,fraction", [(0, 0.1), (1, 0.0), (300, 0.1), (1000, 0.25), (40, 1.0), (7, 0.5)])
def test_malformed_fraction_is_exact(count, fraction):
    events = generator.generate(count, seed=3, malformed_fraction=fraction)
    assert len(events) == count
    assert sum(e.malformed for e in events) == round(count * fraction)
    assert [e.index for e in events] == list(range(count))


def test_every_malformed_kind_appears_and_labels_match_the_rules():
    events = generator.generate(300, seed=11, malformed_fraction=0.1)
    kinds = Counter(e.kind for e in events if e.malformed)
    assert set(kinds) == set(generator.MALFORMED_KINDS)
    for event in events:
        assert generator.is_valid(event.payload) == (not event.malformed), event


def test_valid_events_follow_the_data_contract():
    events = generator.generate(400, seed=5, malformed_fraction=0.0)
    assert Counter(json.loads(e.payload)["event_type"] for e in events).keys() == {"click", "view", "purchase"}
    ids = [json.loads(e.payload)["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    for event in events:
        body = json.loads(event.payload)
        assert b"\n" not in event.payload
        assert isinstance(body["ts"], int) and body["ts"] >= generator.DEFAULT_BASE_TS
        if body["event_type"] == "purchase":
            assert body["amount"] > 0


def test_expected_outputs_splits_and_normalises():
    events = generator.generate(300, seed=20261124, malformed_fraction=0.1)
    processed, dead = generator.expected_outputs(events)
    assert len(processed) + len(dead) == 300
    assert dead == [e.payload for e in events if e.malformed]  # originals, unchanged, in order
    for out in processed:
        assert set(out) == {"event_id", "user_id", "event_type", "amount", "ts"}
        assert isinstance(out["amount"], float) and isinstance(out["ts"], int)
        assert out["event_type"] in generator.EVENT_TYPES
    # amount absent or null -> 0.0 for click/view
    nulls = [e for e in events if not e.malformed and (b'"amount"' not in e.payload or b'"amount":null' in e.payload)]
    assert nulls
    by_id = {p["event_id"]: p for p in processed}
    for event in nulls:
        assert by_id[json.loads(event.payload)["event_id"]]["amount"] == 0.0


@pytest.mark.parametrize(
    "payload,valid",
    [
        (b'{"event_id":"e","user_id":"u","event_type":"purchase","amount":1,"ts":1}', True),
        (b'{"event_id":"e","user_id":"u","event_type":"purchase","ts":1}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"purchase","amount":0.0,"ts":1}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","amount":-1,"ts":1}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","amount":"1","ts":1}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","ts":"1"}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","ts":1.0}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","ts":0}', False),
        (b'{"event_id":"","user_id":"u","event_type":"view","ts":1}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"view","ts":1,"amount":NaN}', False),
        (b'{"event_id":"e","user_id":"u","event_type":"View","ts":1}', False),
        (b'[{"event_id":"e","user_id":"u","event_type":"view","ts":1}]', False),
        (b"\xff", False),
        (b"", False),
        (None, False),
    ],
)
def test_rules(payload, valid):
    assert generator.is_valid(payload) is valid


def test_edge_cases_cover_both_outcomes_and_are_unique():
    verdicts = [generator.is_valid(p) for p in generator.EDGE_CASES]
    assert 5 < sum(verdicts) < len(verdicts) - 5
    assert len(set(generator.EDGE_CASES)) == len(generator.EDGE_CASES)


def test_accepts_bytes_str_and_dicts():
    body = {"event_id": "e", "user_id": "u", "event_type": "click", "ts": 5}
    for form in (body, json.dumps(body), json.dumps(body).encode()):
        processed, dead = generator.expected_outputs([form])
        assert processed == [dict(body, amount=0.0)] and dead == []


def test_unlimited_stream_is_deterministic_and_continues_numbering():
    first = [e for _, e in zip(range(2500), generator.stream(seed=1))]
    again = [e for _, e in zip(range(2500), generator.stream(seed=1))]
    assert [e.payload for e in first] == [e.payload for e in again]
    assert [e.index for e in first] == list(range(2500))
    assert b'"e-002499"' in first[-1].payload or first[-1].malformed


def test_cli_stdout_and_expected():
    out = subprocess.run(
        [sys.executable, str(REPO / "files" / "flink" / "generator.py"), "--count", "50", "--seed", "2"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    assert out.split(b"\n")[:-1] == [e.payload for e in generator.generate(50, seed=2)]
    expected = subprocess.run(
        [sys.executable, str(REPO / "files" / "flink" / "generator.py"), "--count", "50", "--seed", "2", "--expected"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    data = json.loads(expected)
    processed, dead = generator.expected_outputs(generator.generate(50, seed=2))
    assert data["processed"] == processed and len(data["dead_letter"]) == len(dead)
