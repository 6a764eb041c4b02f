"""Unit tests of the pipeline_verify module's pure logic: freshness from send and poll
times, rows against expected events, dead letters as a multiset, the ledger, the
messages; and of the id prefix of module_utils/events.py it relies on."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import events  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.modules import pipeline_verify as pv  # noqa: E402

# --------------------------------------------------------------------------- events with a run prefix


def test_id_prefix_changes_only_the_ids():
    plain = events.generate(300, seed=4, malformed_fraction=0.2)
    assert plain == events.generate(300, seed=4, malformed_fraction=0.2, id_prefix="e-")
    run = events.generate(300, seed=4, malformed_fraction=0.2, id_prefix="v-ab12-")
    assert [e.kind for e in run] == [e.kind for e in plain]
    for a, b in zip(plain, run):
        assert b.payload.replace(b"v-ab12-", b"e-") == a.payload
    by_kind = {e.kind: e.payload for e in run}
    assert by_kind["not_json"].startswith(b"not json: v-ab12-")
    assert by_kind["invalid_utf8"].startswith(b'{"event_id":"v-ab12-')
    processed, dead = events.expected_outputs(run)
    assert processed and all(p["event_id"].startswith("v-ab12-") for p in processed)
    assert len(dead) == 60


def test_id_prefix_is_json_escaped_in_the_invalid_utf8_payload():
    (event,) = [e for e in events.generate(40, seed=1, malformed_fraction=1.0, id_prefix='q"\\') if e.kind == "invalid_utf8"][:1]
    assert event.payload.startswith(b'{"event_id":"q\\"\\\\0000')


def test_stream_takes_the_prefix_too():
    first = next(iter(events.stream(seed=1, malformed_fraction=0.0, id_prefix="s-")))
    assert json.loads(first.payload)["event_id"] == "s-000000"


# --------------------------------------------------------------------------- SQL and broker answers


def test_sql_selects_one_run_by_prefix():
    assert pv.run_prefix("ab12") == "v-ab12-"
    assert pv.count_sql("events", "v-ab12-") == (
        "SELECT COUNT(*), DISTINCTCOUNT(event_id) FROM events WHERE REGEXP_LIKE(event_id, '^v-ab12-')"
    )
    assert pv.rows_sql("events", "v-ab12-", 550) == (
        "SELECT event_id, user_id, event_type, amount, ts FROM events WHERE REGEXP_LIKE(event_id, '^v-ab12-') LIMIT 550"
    )


def test_broker_answers_become_rows_and_counts():
    body = {"resultTable": {"dataSchema": {"columnNames": ["event_id", "amount"], "columnDataTypes": ["STRING", "DOUBLE"]},
                            "rows": [["a", 1.5], ["b", 0.0]]}}
    assert pv.result_rows(body) == [{"event_id": "a", "amount": 1.5}, {"event_id": "b", "amount": 0.0}]
    assert pv.result_rows({}) == []
    count = {"resultTable": {"dataSchema": {"columnNames": ["count(*)", "distinctcount(event_id)"]}, "rows": [[50, 49]]}}
    assert pv.result_counts(count) == (50, 49)
    assert pv.result_counts({"resultTable": {"rows": [[7]]}}) == (7, 7)
    assert pv.result_counts({"resultTable": {"rows": []}}) == (0, 0)


# --------------------------------------------------------------------------- comparison


@pytest.mark.parametrize(
    "field,want,have,equal",
    [
        ("amount", 0.0, None, True),  # absent/null amount is 0.0 on both sides
        ("amount", None, 0.0, True),
        ("amount", 12.5, 12.500000000001, True),
        ("amount", 12.5, 12.51, False),
        ("amount", 1e-9, 0.0, True),  # within the absolute tolerance
        ("amount", 3.0, "3.0", True),
        ("amount", 3.0, "three", False),
        ("ts", 1732435200123, 1732435200123, True),
        ("ts", 1732435200123, 1732435200123.0, True),
        ("ts", 1732435200123, 1732435200124, False),
        ("ts", 5, 5.5, False),
        ("ts", 5, None, False),
        ("user_id", "u-1", "u-1", True),
        ("event_type", "click", "view", False),
    ],
)
def test_values_equal(field, want, have, equal):
    assert pv.values_equal(field, want, have) is equal


def _row(event_id, **extra):
    row = {"event_id": event_id, "user_id": "u-1", "event_type": "click", "amount": 0.0, "ts": 100}
    row.update(extra)
    return row


def test_compare_rows_all_good_in_any_order():
    expected = [_row("v-a-000000"), _row("v-a-000001", event_type="purchase", amount=12.34)]
    assert pv.compare_rows(expected, list(reversed(expected))) == {
        "missing": [], "unexpected": [], "duplicates": {}, "mismatched": []}


def test_compare_rows_finds_every_kind_of_difference():
    expected = [_row("v-a-%06d" % i) for i in range(4)]
    rows = [
        _row("v-a-000000"),
        _row("v-a-000001", amount=None),  # null amount is 0.0: equal
        _row("v-a-000001", amount=None),  # but twice
        _row("v-a-000002", user_id="u-2", ts=101),
        _row("v-a-000009"),  # not expected (an invalid event let through)
    ]
    result = pv.compare_rows(expected, rows)
    assert result["missing"] == ["v-a-000003"]
    assert result["duplicates"] == {"v-a-000001": 2}
    assert result["unexpected"] == ["v-a-000009"]
    assert result["mismatched"] == [
        {"event_id": "v-a-000002", "field": "user_id", "expected": "u-1", "found": "u-2"},
        {"event_id": "v-a-000002", "field": "ts", "expected": 100, "found": 101},
    ]


def test_row_problems_sentences():
    comparison = pv.compare_rows([_row("v-abc123-%06d" % i) for i in range(450)],
                                 [_row("v-abc123-%06d" % i) for i in range(38, 450)])
    (sentence,) = pv.row_problems(comparison, 412, 450, "v-abc123-", "events", 60.2)
    assert sentence == (
        "412/450 rows of run v-abc123- in Pinot table events after 60 s; missing event ids: "
        + ", ".join("v-abc123-%06d" % i for i in range(10)) + " (and 28 more)"
    )
    assert pv.row_problems(pv.compare_rows([_row("x")], [_row("x")]), 1, 1, "v-a-", "events", 1) == []
    problems = pv.row_problems(pv.compare_rows([_row("x")], [_row("x"), _row("x", amount=2.0), _row("y")]), 3, 1, "v-a-", "t", 1)
    assert [p.split(" ")[0:2] for p in problems] == [["1", "event"], ["1", "rows"]]
    assert "x (2 times)" in problems[0] and ": y" in problems[1]


def test_dead_letters_are_a_multiset():
    expected = [b"", b"not json", b"", b"[1]"]
    missing, found, other = pv.match_dead_letters(expected, [b"[1]", b"", b"other", b"[1]"])
    assert sorted(missing) == [b"", b"not json"] and found == 2 and other == 2
    assert pv.match_dead_letters(expected, expected + [b"x"]) == ([], 4, 1)
    assert pv.dead_letter_problem([], 4, "dlq", 3) is None
    assert pv.dead_letter_problem([b"not json"], 4, "dlq", 3.4) == "3/4 expected dead letters on topic dlq after 3 s; missing: b'not json'"


# --------------------------------------------------------------------------- freshness


def test_percentile_nearest_rank():
    assert pv.percentile([5], 50) == 5
    assert pv.percentile([4, 1, 3, 2], 50) == 2
    assert pv.percentile(list(range(1, 101)), 99) == 99
    assert pv.percentile(list(range(1, 101)), 100) == 100
    assert pv.percentile([1, 2, 3], 0) == 1


def test_freshness_from_send_and_poll_times():
    sends = [10.0, 10.1, 10.2, 10.3]
    polls = [(10.5, 0), (11.0, 2), (11.5, 3), (12.0, 4)]
    # reached: events 0 and 1 at 11.0, event 2 at 11.5, event 3 at 12.0
    assert pv.freshness(sends, polls, first_send=9.9) == {
        "first": 1000, "p50": 1000, "p99": 1700, "max": 1700, "all_rows": 2100}
    assert pv.freshness(sends, polls)["all_rows"] == 2000  # from the first valid event by default


def test_freshness_when_not_all_rows_arrive():
    result = pv.freshness([0.0, 0.1, 0.2], [(0.5, 1), (1.0, 1)])
    assert result == {"first": 500, "p50": 500, "p99": 500, "max": 500, "all_rows": None}
    assert pv.freshness([0.0, 0.1], [(0.5, 0)]) == dict.fromkeys(("first", "p50", "p99", "max", "all_rows"))
    assert pv.freshness([], [(0.5, 3)]) == dict.fromkeys(("first", "p50", "p99", "max", "all_rows"))


def test_freshness_ignores_extra_rows_and_a_count_that_goes_down():
    # more rows than events (duplicates) cap at the events; a lower count later changes nothing
    assert pv.freshness([0.0, 0.0], [(0.25, 5), (0.5, 1)]) == {
        "first": 250, "p50": 250, "p99": 250, "max": 250, "all_rows": 250}


# --------------------------------------------------------------------------- ledger


def test_parse_ledger():
    assert pv.parse_ledger("", "l.json") == {}
    ledger = {"ab12": {"rows": 270, "at": "2026-01-01T00:00:00+00:00"}}
    assert pv.parse_ledger(json.dumps(ledger), "l.json") == ledger
    for text, message in [
        ("{", "ledger l.json is not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"a-b": {"rows": 1}}', "run id 'a-b' is not letters"),
        ('{"ab": {"rows": "1"}}', "run ab has no whole number of rows"),
        ('{"ab": {"rows": true}}', "run ab has no whole number of rows"),
        ('{"ab": 5}', "run ab has no whole number of rows"),
    ]:
        with pytest.raises(ValueError, match=message):
            pv.parse_ledger(text, "l.json")


def test_write_ledger_is_atomic_and_keeps_the_mode(tmp_path):
    path = tmp_path / "ledger.json"
    pv.write_ledger(str(path), {"a": {"rows": 1, "at": "t"}})
    assert json.loads(path.read_text()) == {"a": {"rows": 1, "at": "t"}}
    os.chmod(path, 0o600)
    pv.write_ledger(str(path), {"a": {"rows": 1, "at": "t"}, "b": {"rows": 2, "at": "u"}})
    assert set(json.loads(path.read_text())) == {"a", "b"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(TypeError):
        pv.write_ledger(str(path), {"c": {"rows": object()}})
    assert set(json.loads(path.read_text())) == {"a", "b"}  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.json"]  # no temporary file left


def test_some_ids_truncates():
    assert pv.some_ids(["a", "b"]) == "a, b"
    assert pv.some_ids(range(12), limit=3) == "0, 1, 2 (and 9 more)"


# --------------------------------------------------------------------------- bad input, before any connection


def run_module(tmp_path, **args):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_collections.streamstack.pipeline.plugins.modules.pipeline_verify", str(path)],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT / "collections"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    return json.loads(proc.stdout)


BASE = {"bootstrap_servers": "127.0.0.1:9", "raw_topic": "raw", "broker_url": "http://127.0.0.1:9", "table": "events"}


@pytest.mark.parametrize(
    "args,message",
    [
        ({"run_id": "a-b"}, "run_id 'a-b' must be 1-64 letters, digits or _ (no -)"),
        ({"count": 0}, "count must be from 1 to 1000000, got 0"),
        ({"malformed_fraction": 1.5}, "malformed_fraction must be within 0..1, got 1.5"),
        ({"table": "events; DROP"}, "table 'events; DROP' must be a plain Pinot table name"),
        ({"dead_letter_topic": "raw"}, "dead_letter_topic must differ from raw_topic"),
        ({"poll_interval": 0}, "poll_interval must be more than 0"),
        ({"broker_url": "127.0.0.1:8099"}, "pipeline_verify: broker_url: the URL must start with http:// or https://"),
    ],
)
def test_bad_input_fails_before_connecting(tmp_path, args, message):
    out = run_module(tmp_path, **dict(BASE, **args))
    assert out["failed"] and message in out["msg"], out["msg"]
    assert out.get("changed") is False or "changed" not in out


def test_ledger_problems_fail_before_connecting(tmp_path):
    ledger = tmp_path / "ledger.json"
    ledger.write_text("{not json")
    out = run_module(tmp_path, ledger_path=str(ledger), **BASE)
    assert out["failed"] and out["msg"].startswith("pipeline_verify: ledger %s is not valid JSON" % ledger)
    ledger.write_text(json.dumps({"ab12": {"rows": 3, "at": "t"}}))
    out = run_module(tmp_path, ledger_path=str(ledger), run_id="ab12", **BASE)
    assert out["failed"] and "run ab12 is already in the ledger" in out["msg"]
    out = run_module(tmp_path, ledger_path=str(tmp_path / "nosuch" / "l.json"), **BASE)
    assert out["failed"] and "the folder of ledger_path" in out["msg"]


def test_unreachable_kafka_is_named(tmp_path):
    out = run_module(tmp_path, request_timeout=2, **BASE)
    assert out["failed"] and out["changed"] is False and out["produced"] == 0
    assert out["msg"].startswith("pipeline_verify: Kafka at 127.0.0.1:9: no metadata for topic raw within 2 s")


def test_current_runs_drops_runs_past_the_age_limit():
    import datetime as dt

    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)
    ledger = {
        "fresh": {"rows": 1, "at": "2026-11-23T12:00:00+00:00"},
        "old": {"rows": 2, "at": "2026-11-10T12:00:00+00:00"},
        "naive": {"rows": 3, "at": "2026-11-24T11:00:00"},
        "unreadable": {"rows": 4, "at": "yesterday"},
    }
    kept = pv.current_runs(ledger, 6, now=now)
    assert sorted(kept) == ["fresh", "naive", "unreadable"]


# --------------------------------------------------------------------------- plan / runner / check


def _load_runner():
    import importlib.util

    spec = importlib.util.spec_from_file_location("kafka_io", ROOT / "files" / "verify" / "kafka_io.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_plan_round_trips_through_the_runner_byte_for_byte(tmp_path):
    run = events.generate(200, seed=9, malformed_fraction=0.15, id_prefix="v-r1-")
    path = tmp_path / "events.jsonl"
    pv.write_events(str(path), "r1", run)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # What check reads back...
    run_id, payloads = pv.read_events(str(path))
    assert run_id == "r1" and payloads == [e.payload for e in run]
    # ...and what the runner (files/verify/kafka_io.py, the Job's program) reads: every
    # malformed kind, invalid UTF-8 and the empty payload included, marked as dead letters.
    runner = _load_runner()
    runner_id, items = runner.read_events(str(path))
    assert runner_id == "r1" and [p for _, p, _ in items] == payloads
    _, dead = events.expected_outputs(run)
    assert [p for _, p, is_dead in items if is_dead] == dead
    assert b"" in dead and any(b"\xff" in p for p in dead)


def test_a_truncated_plan_is_refused(tmp_path):
    path = tmp_path / "events.jsonl"
    pv.write_events(str(path), "r2", events.generate(20, seed=1, id_prefix="v-r2-"))
    path.write_text("\n".join(path.read_text().splitlines()[:-3]) + "\n")
    with pytest.raises(ValueError, match="not a complete plan"):
        pv.read_events(str(path))


def test_the_runner_reads_properties_and_counts_missing_dead_letters(tmp_path):
    runner = _load_runner()
    props = tmp_path / "client.properties"
    props.write_text("# MSK's TLS listener\nbootstrap.servers=b-1:9094,b-2:9094\nsecurity.protocol = SSL\n\n")
    assert runner.read_properties(str(props)) == {"bootstrap.servers": "b-1:9094,b-2:9094", "security.protocol": "SSL"}
    props.write_text("security.protocol=SSL\n")
    with pytest.raises(ValueError, match="bootstrap.servers is missing"):
        runner.read_properties(str(props))
    props.write_text("bootstrap.servers=x:1\nno equals sign\n")
    with pytest.raises(ValueError, match="line 2"):
        runner.read_properties(str(props))
    assert runner.missing([b"a", b"a", b""], [b"a", b"x"]) == [b"a", b""]
    assert runner.missing([b"a"], [b"a", b"a"]) == []


def test_job_report_turns_the_runner_result_into_send_times_and_dead_letters():
    import base64

    sent, dead, problems = pv.job_report({"produced": 2, "sent_ms": [1000, 1500], "errors": [],
                                          "dead_letters": [base64.b64encode(b"\xff").decode()]}, 2)
    assert sent == [1.0, 1.5] and dead == [b"\xff"] and problems == []
    _, _, problems = pv.job_report({"produced": 1, "sent_ms": [1000], "errors": [], "dead_letters": []}, 2)
    assert problems == ["the runner produced 1 of 2 events"]
    _, _, problems = pv.job_report({"errors": ["delivery to events.raw failed: timed out (3 undelivered)"]}, 2)
    assert problems == ["delivery to events.raw failed: timed out (3 undelivered)"]
