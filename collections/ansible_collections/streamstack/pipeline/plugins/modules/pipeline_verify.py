#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: pipeline_verify
short_description: Prove that events flow end to end, Kafka -> Flink -> Pinot, and how fast
version_added: 0.1.0
description:
  - Generates O(count) sample events (a fraction O(malformed_fraction) of them malformed, one of
    each kind in turn) whose event ids all start with C(v-<run_id>-), writes them to O(raw_topic),
    then waits until the Flink job has turned them into rows of the Pinot table O(table) and dead
    letters on O(dead_letter_topic), and compares both with what the validity rules say they must
    be (the same rules as the job's tests, C(module_utils/events.py)).
  - Pinot (its broker) is asked every O(poll_interval) seconds how many rows of the table have an
    C(event_id) that matches C(^v-<run_id>-) (C(REGEXP_LIKE), verified on Pinot 0.11.0),
    until the count reaches the number of valid events or O(timeout) seconds pass; then the rows themselves are read and compared field by field (C(event_id), C(user_id),
    C(event_type), C(amount) (0.0 when absent or null), C(ts)). Missing, unexpected, duplicated
    or different rows fail the module, naming them (the first ten ids).
  - The dead-letter topic's high watermarks are read before anything is produced; afterwards it is
    read from them on, and every expected dead letter (the malformed originals, byte for byte,
    counted as a multiset) must arrive within O(timeout). Dead letters that other producers wrote
    meanwhile are counted in RV(dead_letters_other) and are not a failure.
  - The events carry C(ts) = now (C(base_ts) is the time of the run), so a table's time-based
    retention (7 days for the pipeline's C(events) table) does not drop them before they are checked.
  - With O(ledger_path), runs that succeeded are recorded in a JSON file, and every run first checks
    that each earlier run still has exactly its number of rows (no loss, no duplicates).
  - Not idempotent by nature, since every run writes new events (C(changed=true)). In check mode it
    writes nothing, checks that the topics and the table exist and that the earlier runs of the
    ledger still hold their rows (read-only queries), and says what it would do.
  - Where this host cannot reach the brokers (on AWS they are inside the VPC), the Kafka side runs
    elsewhere - the verify role's Job in the EKS cluster, C(files/verify/kafka_io.py) - and this module
    plans and checks it (O(mode)).
author:
  - streamstack maintainers
options:
  mode:
    description:
      - C(run) - produce, then check Kafka and Pinot from here (the local profile).
      - C(plan) - generate the run's events and write them to O(events_path) for a runner that can reach
        the brokers (C(files/verify/kafka_io.py)); check that Pinot has the table and that the earlier
        runs of the ledger hold their rows. Produces nothing.
      - C(check) - with O(job_result), what that runner printed (its send times and the dead letters it
        read back), wait for the rows of the plan in O(events_path) in Pinot and compare everything as
        C(run) does. Freshness then spans two clocks (the runner's and this host's).
    type: str
    choices: [run, plan, check]
    default: run
  bootstrap_servers:
    description: Kafka brokers, C(host:port), as a list or a comma-separated string. Required with O(mode=run).
    type: list
    elements: str
  kafka_properties:
    description:
      - Further librdkafka properties given to both the producer and the dead-letter consumer, for
        example C(security.protocol), C(sasl.mechanism), C(sasl.username), C(sasl.password),
        C(ssl.ca.location).
      - They win over the module's own defaults (C(enable.idempotence=true) and C(linger.ms=5) for the
        producer; C(group.id=streamstack-pipeline-verify-<run_id>) for the consumer, which never commits
        offsets), not over O(bootstrap_servers).
      - Treated as secret, B(every value) included, so Ansible also masks those values wherever
        they appear in the output (a value C(SSL) shows as C(********)).
    type: dict
    default: {}
  raw_topic:
    description: Topic the Flink job reads (C(events.raw)). Required with O(mode=run).
    type: str
  dead_letter_topic:
    description:
      - Topic the Flink job writes invalid events to (C(events.dlq)).
      - When omitted the dead letters are not checked (the malformed events are still produced).
    type: str
  broker_url:
    description: Base URL of a Pinot B(broker) (queries go to C(<broker_url>/query/sql)).
    type: str
    required: true
  table:
    description: Pinot table the processed topic is ingested into (C(events)).
    type: str
    required: true
  headers:
    description: Extra HTTP headers for the Pinot broker (for example C(Authorization)); secret.
    type: dict
    default: {}
  validate_certs:
    description: Verify the Pinot broker's TLS certificate on C(https://) URLs.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed the Pinot broker's certificate.
    type: path
  count:
    description: Number of events to produce (at most 1000000).
    type: int
    default: 300
  malformed_fraction:
    description: Fraction of them that are malformed (exactly that fraction of O(count), rounded), from 0 to 1.
    type: float
    default: 0.1
  seed:
    description: Seed of the generator (which events are malformed, and their content).
    type: int
    default: 0
  run_id:
    description:
      - Names this run; event ids are C(v-<run_id>-000000), C(v-<run_id>-000001)...
      - Letters, digits and C(_) only (no C(-), so one run's prefix never matches another's),
        at most 64. A fresh random 8-hex-digit id when omitted.
    type: str
  events_path:
    description:
      - 'The plan, C(plan) writes and C(check) reads: a first line C({"run_id": ..., "count": n}), then one
        JSON object an event, C({"i": index, "p": base64 payload, "dead": true when it must become a dead
        letter}).'
    type: path
  job_result:
    description:
      - With O(mode=check), the JSON C(files/verify/kafka_io.py) printed after C(STREAMSTACK-VERIFY-RESULT),
        parsed - C(produced), C(sent_ms) (epoch milliseconds per event), C(dead_letters) (base64), C(errors).
    type: dict
  timeout:
    description:
      - Seconds to wait, after producing, for all rows in Pinot and all dead letters. Include the
        time a Flink job that has just started needs to read its first records.
    type: int
    default: 120
  poll_interval:
    description:
      - Seconds between two Pinot count queries; also the resolution of RV(freshness_ms).
    type: float
    default: 0.25
  request_timeout:
    description: Seconds to wait for each Kafka metadata request and each Pinot query.
    type: int
    default: 15
  ledger_path:
    description:
      - 'JSON file of earlier successful runs, C({"<run_id>": {"rows": n, "at": "<ISO time>"}}).'
      - A missing file is an empty ledger (its folder must exist).
      - When given, every earlier run must still have exactly its number of rows, distinct event ids
        (RV(earlier_runs); a mismatch fails the module), and this run is added on success
        (written atomically).
      - Runs older than O(ledger_max_age_days) are not checked (a table's retention deletes their
        rows) and are dropped from the ledger when this run is added.
    type: path
  ledger_max_age_days:
    description: Age after which a ledger entry is no longer checked (keep it below the table's retention).
    type: float
    default: 6
requirements:
  - confluent-kafka (Python), on the host that runs the module
notes:
  - Supports C(check_mode) (nothing is produced; the topics and the table must exist, and the
    earlier runs of O(ledger_path) are checked).
  - Freshness is measured from the time each event was handed to the producer to the first count
    query that saw as many rows as events sent up to it (in send order), so it is an upper bound
    with the resolution of O(poll_interval) plus the query time.
"""

EXAMPLES = r"""
- name: Prove the local pipeline works, and how fresh Pinot is
  streamstack.pipeline.pipeline_verify:
    bootstrap_servers: 127.0.0.1:9092
    raw_topic: events.raw
    dead_letter_topic: events.dlq
    broker_url: http://127.0.0.1:8099
    table: events
    count: 500
    ledger_path: "{{ playbook_dir }}/../outputs/verify-ledger.json"
  register: verify

- name: Show the freshness
  ansible.builtin.debug:
    msg: "p50 {{ verify.freshness_ms.p50 }} ms, p99 {{ verify.freshness_ms.p99 }} ms, all rows after {{ verify.freshness_ms.all_rows }} ms"

- name: Against MSK over TLS, Pinot through the Kubernetes API proxy
  streamstack.pipeline.pipeline_verify:
    bootstrap_servers: "{{ msk_bootstrap_brokers_tls }}"
    kafka_properties:
      security.protocol: SSL
    raw_topic: events.raw
    dead_letter_topic: events.dlq
    broker_url: "https://{{ eks_endpoint }}/api/v1/namespaces/pinot/services/pinot-broker:8099/proxy"
    headers:
      Authorization: "Bearer {{ eks_token }}"
    ca_path: /etc/streamstack/eks-ca.pem
    table: events
    timeout: 300
"""

RETURN = r"""
run_id:
  description: This run's id; its event ids start with C(v-<run_id>-).
  returned: always
  type: str
  sample: 3f9a0c12
produced:
  description: Events written to O(raw_topic) (0 in check mode).
  returned: always
  type: int
malformed:
  description: How many of them are malformed.
  returned: always
  type: int
expected_rows:
  description: Valid events, which must each become one row in Pinot.
  returned: always
  type: int
rows_found:
  description: Rows of this run found in Pinot.
  returned: when not in check mode
  type: int
dead_letters_expected:
  description: Dead letters the malformed events must produce.
  returned: always
  type: int
dead_letters_found:
  description: Expected dead letters that arrived (null when O(dead_letter_topic) is omitted).
  returned: when not in check mode
  type: int
dead_letters_other:
  description: Other dead letters read meanwhile (other producers, duplicates); not a failure.
  returned: when not in check mode
  type: int
freshness_ms:
  description:
    - Milliseconds from sending an event to its row being queryable (see the notes), over this run's
      valid events; C(all_rows) is from the first send to all rows queryable. Null when not reached.
  returned: when not in check mode
  type: dict
  contains:
    first:
      description: Of the first valid event sent.
      type: int
    p50:
      description: Median.
      type: int
    p99:
      description: 99th percentile.
      type: int
    max:
      description: Slowest.
      type: int
    all_rows:
      description: First send to all rows queryable.
      type: int
  sample: {"first": 2105, "p50": 1840, "p99": 2090, "max": 2105, "all_rows": 2110}
seconds:
  description: Wall time of the run.
  returned: always
  type: float
earlier_runs:
  description: Earlier runs of the ledger and what Pinot holds of each now.
  returned: always
  type: list
  elements: dict
  contains:
    run_id:
      description: The earlier run.
      type: str
    expected:
      description: Rows it had when it succeeded.
      type: int
    found:
      description: Rows it has now.
      type: int
    distinct:
      description: Distinct event ids among them.
      type: int
    at:
      description: When it succeeded (ISO 8601).
      type: str
problems:
  description: One sentence per mismatch (empty on success).
  returned: always
  type: list
  elements: str
msg:
  description: What was done (or, in check mode, what would be done).
  returned: always
  type: str
"""

import base64
import datetime
import json
import logging
import math
import os
import re
import secrets
import tempfile
import time
from collections import Counter

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.streamstack.pipeline.plugins.module_utils.events import (
    expected_outputs,
    generate,
    is_valid,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import PinotClient, PinotError

try:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

    HAS_CONFLUENT_KAFKA = True
    CONFLUENT_KAFKA_IMPORT_ERROR = None
except ImportError as exc:  # reported with missing_required_lib
    HAS_CONFLUENT_KAFKA = False
    CONFLUENT_KAFKA_IMPORT_ERROR = exc

RUN_ID_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FIELDS = ("event_id", "user_id", "event_type", "amount", "ts")
SHOW_IDS = 10


class VerifyError(Exception):
    """Something the run needs is missing or unreachable (not a mismatch)."""


# ---------------------------------------------------------------------------
# Pure functions (unit-tested in tests/unit/test_pipeline_verify.py)
# ---------------------------------------------------------------------------


def run_prefix(run_id):
    return "v-%s-" % run_id


def count_sql(table, prefix):
    """Rows (and distinct ids) of one run: REGEXP_LIKE works on Pinot 0.11.0 and 1.x."""
    return "SELECT COUNT(*), DISTINCTCOUNT(event_id) FROM %s WHERE REGEXP_LIKE(event_id, '^%s')" % (table, prefix)


def rows_sql(table, prefix, limit):
    return "SELECT %s FROM %s WHERE REGEXP_LIKE(event_id, '^%s') LIMIT %d" % (", ".join(FIELDS), table, prefix, limit)


def result_rows(body):
    """A broker answer's ``resultTable`` as a list of dicts (column name -> value)."""
    table = (body or {}).get("resultTable") or {}
    names = (table.get("dataSchema") or {}).get("columnNames") or []
    return [dict(zip(names, row)) for row in table.get("rows") or []]


def result_counts(body):
    """``(count, distinct)`` of a count_sql() answer; (0, 0) when the answer has no row."""
    table = (body or {}).get("resultTable") or {}
    rows = table.get("rows") or []
    if not rows:
        return 0, 0
    row = rows[0]
    count = int(row[0] or 0)
    distinct = int(row[1] or 0) if len(row) > 1 else count
    return count, distinct


def _amount(value):
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def values_equal(field, want, have):
    """One field of an expected processed event against Pinot's value."""
    if field == "amount":
        want, have = _amount(want), _amount(have)
        if not isinstance(have, float):
            return False
        return math.isclose(want, have, rel_tol=1e-9, abs_tol=1e-9)
    if field == "ts":
        try:
            return int(want) == int(have) and float(have) == int(have)
        except (TypeError, ValueError, OverflowError):
            return False
    return want == have


def compare_rows(expected, rows):
    """Expected processed events (``events.expected_outputs``) against Pinot rows.

    Returns ``{"missing": [ids], "unexpected": [ids], "duplicates": {id: n},
    "mismatched": [{"event_id", "field", "expected", "found"}]}``, ids sorted."""
    want = {e["event_id"]: e for e in expected}
    seen = Counter(r.get("event_id") for r in rows)
    first = {}
    for row in rows:
        first.setdefault(row.get("event_id"), row)
    mismatched = []
    for event_id in sorted(set(want) & set(first)):
        for field in FIELDS[1:]:
            if not values_equal(field, want[event_id].get(field), first[event_id].get(field)):
                mismatched.append(
                    {
                        "event_id": event_id,
                        "field": field,
                        "expected": want[event_id].get(field),
                        "found": first[event_id].get(field),
                    }
                )
    return {
        "missing": sorted(set(want) - set(seen)),
        "unexpected": sorted(str(i) for i in set(seen) - set(want)),
        "duplicates": {str(i): n for i, n in sorted(seen.items(), key=lambda kv: str(kv[0])) if n > 1},
        "mismatched": mismatched,
    }


def match_dead_letters(expected, received):
    """``(missing, found, other)``: expected payloads (a multiset) not received, how many were,
    and how many received payloads were not expected (other producers, duplicates)."""
    want, got = Counter(expected), Counter(received)
    missing = list((want - got).elements())
    found = sum((want & got).values())
    other = sum((got - want).values())
    return missing, found, other


def percentile(values, q):
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(math.ceil(q / 100.0 * len(ordered))))
    return ordered[min(rank, len(ordered)) - 1]


def freshness(send_times, polls, first_send=None):
    """Freshness in ms from monotonic times.

    ``send_times``: when each valid event was sent, in send order; ``polls``: ``(time, count)``
    of every count query, in time order. Event ``i`` counts as queryable at the first poll whose
    count reached ``i + 1``. ``first_send``: the first event sent (valid or not), for
    ``all_rows``; defaults to the first valid one."""
    result = dict.fromkeys(("first", "p50", "p99", "max", "all_rows"))
    if not send_times:
        return result
    first_send = send_times[0] if first_send is None else first_send
    reached = []  # reached[i]: when the count first reached i + 1
    for when, count in polls:
        while len(reached) < min(count, len(send_times)):
            reached.append(when)
    ages = [max(0.0, reached[i] - send_times[i]) * 1000.0 for i in range(len(reached))]
    if ages:
        result["first"] = int(round(ages[0]))
        result["p50"] = int(round(percentile(ages, 50)))
        result["p99"] = int(round(percentile(ages, 99)))
        result["max"] = int(round(max(ages)))
    if len(reached) == len(send_times):
        result["all_rows"] = int(round(max(0.0, reached[-1] - first_send) * 1000.0))
    return result


def some_ids(ids, limit=SHOW_IDS):
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    if len(ids) > limit:
        shown += " (and %d more)" % (len(ids) - limit)
    return shown


def row_problems(comparison, found, expected_rows, prefix, table, waited):
    """Sentences for a compare_rows() result; empty when all is well."""
    problems = []
    if comparison["missing"]:
        problems.append(
            "%d/%d rows of run %s in Pinot table %s after %d s; missing event ids: %s"
            % (found, expected_rows, prefix, table, round(waited), some_ids(comparison["missing"]))
        )
    if comparison["duplicates"]:
        problems.append(
            "%d event ids of run %s are in Pinot table %s more than once: %s"
            % (
                len(comparison["duplicates"]),
                prefix,
                table,
                some_ids("%s (%d times)" % kv for kv in comparison["duplicates"].items()),
            )
        )
    if comparison["unexpected"]:
        problems.append(
            "%d rows of run %s in Pinot table %s should not be there (invalid events): %s"
            % (len(comparison["unexpected"]), prefix, table, some_ids(comparison["unexpected"]))
        )
    if comparison["mismatched"]:
        problems.append(
            "%d values of run %s differ from the expected ones: %s"
            % (
                len(comparison["mismatched"]),
                prefix,
                some_ids(
                    "%s.%s expected %r found %r" % (m["event_id"], m["field"], m["expected"], m["found"])
                    for m in comparison["mismatched"]
                ),
            )
        )
    return problems


def dead_letter_problem(missing, expected, topic, waited):
    if not missing:
        return None
    shown = some_ids(repr(m[:80]) for m in missing)
    return "%d/%d expected dead letters on topic %s after %d s; missing: %s" % (
        expected - len(missing),
        expected,
        topic,
        round(waited),
        shown,
    )


def parse_ledger(text, path):
    """The ledger's runs ``{run_id: {"rows": n, "at": iso}}``; ValueError naming the path."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError("ledger %s is not valid JSON: %s" % (path, exc))
    if not isinstance(data, dict):
        raise ValueError("ledger %s must be a JSON object {run_id: {rows, at}}, got %s" % (path, type(data).__name__))
    for run_id, entry in data.items():
        if not RUN_ID_RE.match(run_id):
            raise ValueError("ledger %s: run id %r is not letters, digits and _" % (path, run_id))
        rows = entry.get("rows") if isinstance(entry, dict) else None
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise ValueError("ledger %s: run %s has no whole number of rows" % (path, run_id))
    return data


def current_runs(ledger, max_age_days, now=None):
    """The ledger's runs younger than ``max_age_days`` (runs without a readable time are kept)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    kept = {}
    for run_id, entry in ledger.items():
        try:
            at = datetime.datetime.fromisoformat(str(entry.get("at")))
        except ValueError:
            kept[run_id] = entry
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=datetime.timezone.utc)
        if (now - at).total_seconds() <= max_age_days * 86400:
            kept[run_id] = entry
    return kept


def write_ledger(path, ledger):
    """Write ``ledger`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(ledger, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        mode = 0o644
        if os.path.exists(path):
            mode = os.stat(path).st_mode & 0o777
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# Kafka and Pinot
# ---------------------------------------------------------------------------


class KafkaLog(logging.Logger):
    """librdkafka's log lines, kept (the last 50) instead of printed to stderr."""

    def __init__(self):
        super().__init__("streamstack.pipeline_verify", logging.DEBUG)
        self.propagate = False
        self.lines = []

    def handle(self, record):
        self.lines.append(record.getMessage())
        del self.lines[:-50]

    def excerpt(self, client=None):
        """The last distinct failure lines (polling ``client`` first: it hands its log lines over then)."""
        if client is not None:
            try:
                client.poll(0)
            except Exception:  # pylint: disable=broad-except  # best effort: the error itself is reported anyway
                pass
        lines = [line.split("]: ", 1)[-1] for line in self.lines if "fail" in line.lower() or "error" in line.lower()]
        return " | ".join(list(dict.fromkeys(lines))[-3:])


def kafka_config(bootstrap_servers, properties):
    conf = {}
    for key, value in (properties or {}).items():
        conf[str(key)] = value if isinstance(value, (str, int, float, bool)) else str(value)
    conf["bootstrap.servers"] = ",".join(bootstrap_servers)
    return conf


def _kafka_message(exc):
    args = getattr(exc, "args", None)
    if args and hasattr(args[0], "str"):
        return args[0].str()
    return str(exc)


def topic_partitions(client, topic, timeout):
    """Partition ids of ``topic``; VerifyError when it does not exist or Kafka does not answer."""
    try:
        metadata = client.list_topics(topic, timeout=timeout)
    except KafkaException as exc:
        raise VerifyError("no metadata for topic %s within %s s: %s" % (topic, timeout, _kafka_message(exc)))
    info = metadata.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        reason = info.error.str() if info is not None and info.error is not None else "no partitions"
        raise VerifyError("topic %s does not exist (%s)" % (topic, reason))
    return sorted(info.partitions)


def table_count(pinot, table, prefix, timeout):
    """``(count, distinct)`` of a run's rows; VerifyError naming a missing table."""
    try:
        return result_counts(pinot.query(count_sql(table, prefix), timeout=timeout))
    except PinotError as exc:
        if "TableDoesNotExist" in str(exc):
            raise VerifyError("Pinot table %s does not exist (broker %s)" % (table, pinot.base_url))
        raise


def write_events(path, run_id, events):
    """The plan for a runner elsewhere (files/verify/kafka_io.py): a header line, then an event a line."""
    lines = [json.dumps({"run_id": run_id, "count": len(events)})]
    for event in events:
        lines.append(json.dumps({"i": event.index, "p": base64.b64encode(event.payload).decode("ascii"),
                                 "dead": not is_valid(event.payload)}, separators=(",", ":")))
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".events-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_events(path):
    """(run_id, [payload bytes]) of a plan written by write_events."""
    with open(path, encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        payloads = [base64.b64decode(json.loads(line)["p"]) for line in handle if line.strip()]
    if not payloads or header.get("count") != len(payloads):
        raise ValueError("events_path %s is not a complete plan (%d events, header says %s)"
                         % (path, len(payloads), header.get("count")))
    return str(header["run_id"]), payloads


def job_report(job_result, count):
    """(epoch send seconds per event, dead letters as bytes, problems) of kafka_io.py's result."""
    problems = list(job_result.get("errors") or [])
    sent = [float(ms) / 1000.0 for ms in job_result.get("sent_ms") or []]
    if not problems and (len(sent) != count or int(job_result.get("produced", -1)) != count):
        problems.append("the runner produced %s of %d events" % (job_result.get("produced"), count))
    try:
        dead = [base64.b64decode(text) for text in job_result.get("dead_letters") or []]
    except (TypeError, ValueError) as exc:
        problems.append("the runner's dead letters are not base64: %s" % exc)
        dead = []
    return sent, dead, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type="str", default="run", choices=["run", "plan", "check"]),
            bootstrap_servers=dict(type="list", elements="str"),
            kafka_properties=dict(type="dict", default={}, no_log=True),
            raw_topic=dict(type="str"),
            dead_letter_topic=dict(type="str"),
            broker_url=dict(type="str", required=True),
            table=dict(type="str", required=True),
            headers=dict(type="dict", default={}, no_log=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            count=dict(type="int", default=300),
            malformed_fraction=dict(type="float", default=0.1),
            seed=dict(type="int", default=0),
            run_id=dict(type="str"),
            events_path=dict(type="path"),
            job_result=dict(type="dict"),
            timeout=dict(type="int", default=120),
            poll_interval=dict(type="float", default=0.25),
            request_timeout=dict(type="int", default=15),
            ledger_path=dict(type="path"),
            ledger_max_age_days=dict(type="float", default=6),
        ),
        required_if=[
            ("mode", "run", ["bootstrap_servers", "raw_topic"]),
            ("mode", "plan", ["events_path"]),
            ("mode", "check", ["events_path", "job_result"]),
        ],
        supports_check_mode=True,
    )
    began = time.monotonic()
    p = module.params
    mode = p["mode"]
    if mode == "run" and not HAS_CONFLUENT_KAFKA:
        module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=str(CONFLUENT_KAFKA_IMPORT_ERROR))
    run_id = p["run_id"] or secrets.token_hex(4)
    checked_payloads = None
    if mode == "check":
        try:
            run_id, checked_payloads = read_events(p["events_path"])
        except (OSError, ValueError, KeyError) as exc:
            module.fail_json(msg="pipeline_verify: %s" % exc)
    bad = []
    if not RUN_ID_RE.match(run_id):
        bad.append("run_id %r must be 1-64 letters, digits or _ (no -)" % run_id)
    if not 1 <= p["count"] <= 1000000:
        bad.append("count must be from 1 to 1000000, got %d" % p["count"])
    if not 0.0 <= p["malformed_fraction"] <= 1.0:
        bad.append("malformed_fraction must be within 0..1, got %s" % p["malformed_fraction"])
    if p["timeout"] < 1 or p["request_timeout"] < 1:
        bad.append("timeout and request_timeout must be at least 1")
    if not 0.0 < p["poll_interval"] <= 60:
        bad.append("poll_interval must be more than 0 and at most 60, got %s" % p["poll_interval"])
    if not TABLE_RE.match(p["table"]):
        bad.append("table %r must be a plain Pinot table name (letters, digits, _)" % p["table"])
    servers = [s.strip() for s in p["bootstrap_servers"] or [] if s and s.strip()]
    if mode == "run" and not servers:
        bad.append("bootstrap_servers is empty")
    if p["dead_letter_topic"] is not None and p["dead_letter_topic"] == p["raw_topic"]:
        bad.append("dead_letter_topic must differ from raw_topic")
    if mode == "plan" and not os.path.isdir(os.path.dirname(os.path.abspath(p["events_path"]))):
        bad.append("the folder of events_path %s does not exist" % p["events_path"])
    if bad:
        module.fail_json(msg="pipeline_verify: " + "; ".join(bad))

    prefix = run_prefix(run_id)
    table = p["table"]
    raw_topic, dlq_topic = p["raw_topic"], p["dead_letter_topic"]
    request_timeout = p["request_timeout"]
    if checked_payloads is None:
        # The generator spaces events 250 ms apart from base_ts: end them now, not minutes ahead.
        base_ts = int(time.time() * 1000) - 250 * p["count"]
        events = generate(p["count"], p["seed"], p["malformed_fraction"], base_ts=base_ts, id_prefix=prefix)
        payloads = [e.payload for e in events]
    else:
        events, payloads = None, checked_payloads
    processed, dead = expected_outputs(payloads)
    result = dict(
        changed=False,
        mode=mode,
        run_id=run_id,
        produced=0,
        malformed=len(dead),
        expected_rows=len(processed),
        dead_letters_expected=len(dead),
        earlier_runs=[],
        problems=[],
        seconds=0.0,
    )

    def fail(msg, **extra):
        result.update(extra)
        result["seconds"] = round(time.monotonic() - began, 3)
        module.fail_json(msg=msg, **result)

    ledger = {}
    ledger_path = p["ledger_path"]
    if ledger_path:
        try:
            with open(ledger_path, encoding="utf-8") as handle:
                ledger = parse_ledger(handle.read(), ledger_path)
        except FileNotFoundError:
            if not os.path.isdir(os.path.dirname(os.path.abspath(ledger_path))):
                fail("pipeline_verify: the folder of ledger_path %s does not exist" % ledger_path)
        except (OSError, ValueError) as exc:
            fail("pipeline_verify: %s" % exc)
        if run_id in ledger:
            fail("pipeline_verify: run %s is already in the ledger %s; choose another run_id" % (run_id, ledger_path))

    try:
        pinot = PinotClient(
            p["broker_url"],
            headers=p["headers"],
            validate_certs=p["validate_certs"],
            ca_path=p["ca_path"],
            timeout=request_timeout,
        )
    except PinotError as exc:
        fail("pipeline_verify: broker_url: %s" % exc)

    consumer = None
    kafka_log = KafkaLog()
    conf = {}

    def kafka_cause(client):
        cause = kafka_log.excerpt(client)
        return " (client log: %s)" % cause if cause else ""

    if mode == "run":
        conf = kafka_config(servers, p["kafka_properties"])
        conf["logger"] = kafka_log
        try:
            consumer_defaults = {"group.id": "streamstack-pipeline-verify-%s" % run_id, "auto.offset.reset": "earliest"}
            consumer = Consumer(dict(consumer_defaults, **dict(conf, **{"enable.auto.commit": False})))
        except (KafkaException, ValueError, TypeError) as exc:
            fail("pipeline_verify: invalid Kafka settings: %s" % _kafka_message(exc))

    dlq_partitions = []
    try:
        # Everything a run needs, checked before anything is written (and in check mode).
        if consumer is not None:
            try:
                topic_partitions(consumer, raw_topic, request_timeout)
                dlq_partitions = topic_partitions(consumer, dlq_topic, request_timeout) if dlq_topic else []
            except VerifyError as exc:
                raise VerifyError("Kafka at %s: %s%s" % (conf["bootstrap.servers"], exc, kafka_cause(consumer)))
        table_count(pinot, table, prefix, request_timeout)
        # Earlier runs: still exactly their rows?
        ledger = current_runs(ledger, p["ledger_max_age_days"])
        for earlier_id, entry in sorted(ledger.items(), key=lambda kv: str(kv[1].get("at", ""))):
            found, distinct = table_count(pinot, table, run_prefix(earlier_id), request_timeout)
            result["earlier_runs"].append(
                {
                    "run_id": earlier_id,
                    "expected": entry["rows"],
                    "found": found,
                    "distinct": distinct,
                    "at": entry.get("at"),
                }
            )
            if found != entry["rows"] or distinct != entry["rows"]:
                result["problems"].append(
                    "earlier run %s (at %s) has %d rows (%d distinct event ids) in Pinot table %s, expected %d"
                    % (run_prefix(earlier_id), entry.get("at", "?"), found, distinct, table, entry["rows"])
                )

        if module.check_mode or mode == "plan":
            if consumer is not None:
                consumer.close()
            if result["problems"]:
                fail("; ".join(result["problems"]))
            what = "%s %d events (%d malformed) with event ids %s000000..%s, " % (
                "wrote the plan of" if mode == "plan" and not module.check_mode else "would produce",
                len(payloads),
                len(dead),
                prefix,
                " to %s" % p["events_path"] if mode == "plan" else " to topic %s" % raw_topic,
            )
            what += "then %s up to %d s for %d rows in Pinot table %s" % (
                "a runner produces them and verify waits" if mode == "plan" else "wait",
                p["timeout"], len(processed), table)
            if dlq_topic:
                what += " and %d dead letters on topic %s" % (len(dead), dlq_topic)
            if ledger_path:
                what += " (the %d earlier runs of the ledger %s hold their rows)" % (len(ledger), ledger_path)
            if mode == "plan" and not module.check_mode:
                try:
                    write_events(p["events_path"], run_id, events)
                except OSError as exc:
                    fail("pipeline_verify: could not write events_path %s: %s" % (p["events_path"], exc))
            result["msg"] = what
            result["seconds"] = round(time.monotonic() - began, 3)
            module.exit_json(**result)

        # Where the dead-letter topic ends now: this run's dead letters come after.
        start_offsets = []
        for partition in dlq_partitions:
            _, high = consumer.get_watermark_offsets(
                TopicPartition(dlq_topic, partition), timeout=request_timeout, cached=False
            )
            start_offsets.append(TopicPartition(dlq_topic, partition, high))
        if start_offsets:
            consumer.assign(start_offsets)
    except VerifyError as exc:
        fail("pipeline_verify: %s" % exc)
    except PinotError as exc:
        fail("pipeline_verify: Pinot broker: %s" % exc)
    except KafkaException as exc:
        fail(
            "pipeline_verify: Kafka at %s: %s%s"
            % (conf["bootstrap.servers"], _kafka_message(exc), kafka_cause(consumer))
        )

    if mode == "check":
        # Produced elsewhere (files/verify/kafka_io.py): its send times are epoch seconds, so the
        # polls are too; freshness then includes the clock difference between the runner and here.
        clock = time.time
        send_times, received, runner_problems = job_report(p["job_result"], len(payloads))
        if runner_problems:
            fail("pipeline_verify: the Kafka runner of run %s failed: %s" % (prefix, "; ".join(runner_problems)))
        result["produced"] = len(payloads)
        result["changed"] = True
    else:
        clock = time.monotonic
        # Produce, remembering when each event was handed over.
        try:
            producer = Producer(dict({"enable.idempotence": True, "linger.ms": 5}, **conf))
        except (KafkaException, ValueError, TypeError) as exc:
            fail("pipeline_verify: invalid Kafka settings: %s" % _kafka_message(exc))
        errors = []

        def delivered(err, _msg):
            if err is not None:
                errors.append(err)

        send_times = []
        for payload in payloads:
            while True:
                try:
                    send_times.append(clock())
                    producer.produce(raw_topic, value=payload, on_delivery=delivered)
                    break
                except BufferError:
                    send_times.pop()
                    producer.poll(0.1)
            producer.poll(0)
        undelivered = producer.flush(max(request_timeout, 30))
        result["produced"] = len(payloads) - undelivered - len(errors)
        result["changed"] = result["produced"] > 0
        if errors or undelivered:
            fail(
                "pipeline_verify: delivery to topic %s failed: %s (%d undelivered)%s"
                % (
                    raw_topic,
                    "; ".join(str(e.str()) for e in errors[:3]) or "timed out",
                    undelivered + len(errors),
                    kafka_cause(producer),
                )
            )
        received = []
    produced_at = send_times[0]
    valid_send_times = [t for t, payload in zip(send_times, payloads) if is_valid(payload)]

    # Wait for the rows and the dead letters together, until both are complete or time is up.
    # run: from the first send; check: the runner has finished sending, so from now.
    deadline = (produced_at if mode == "run" else clock()) + p["timeout"]
    polls, query_errors = [], []
    count, rows_done = 0, not processed
    dlq_done = not dlq_topic or consumer is None
    while True:
        if not rows_done:
            try:
                count, _ = table_count(pinot, table, prefix, request_timeout)
                polls.append((clock(), count))
                rows_done = count >= len(processed)
            except (PinotError, VerifyError) as exc:
                query_errors.append(str(exc))
        if not dlq_done:
            for message in consumer.consume(num_messages=1000, timeout=p["poll_interval"]):
                if message.error() is None:
                    received.append(message.value() if message.value() is not None else b"")
            dlq_done = not match_dead_letters(dead, received)[0]
        elif not rows_done:
            time.sleep(p["poll_interval"])
        if (rows_done and dlq_done) or clock() >= deadline:
            break
    waited = clock() - produced_at
    if consumer is not None:
        consumer.close()

    # The rows themselves.
    try:
        rows = result_rows(pinot.query(rows_sql(table, prefix, len(payloads) + 100), timeout=request_timeout))
    except PinotError as exc:
        fail(
            "pipeline_verify: could not read the rows of run %s from Pinot table %s: %s%s"
            % (prefix, table, exc, " (earlier: %s)" % query_errors[-1] if query_errors else "")
        )
    comparison = compare_rows(processed, rows)
    missing_dead, found_dead, other_dead = match_dead_letters(dead, received)
    result.update(
        rows_found=len(rows),
        dead_letters_found=found_dead if dlq_topic else None,
        dead_letters_other=other_dead if dlq_topic else None,
        freshness_ms=freshness(valid_send_times, polls, produced_at),
    )
    result["problems"].extend(row_problems(comparison, len(rows), len(processed), prefix, table, waited))
    if dlq_topic:
        problem = dead_letter_problem(missing_dead, len(dead), dlq_topic, waited)
        if problem:
            result["problems"].append(problem)
    if query_errors and result["problems"]:
        result["problems"].append("the last failed count query said: %s" % query_errors[-1])
    if result["problems"]:
        fail("; ".join(result["problems"]))

    if ledger_path:
        ledger[run_id] = {
            "rows": len(processed),
            "at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        }
        try:
            write_ledger(ledger_path, ledger)
        except OSError as exc:
            fail("pipeline_verify: the run passed but the ledger %s could not be written: %s" % (ledger_path, exc))
    result["seconds"] = round(time.monotonic() - began, 3)
    result["msg"] = "run %s: %d events produced, %d rows in Pinot table %s after %.1f s%s" % (
        prefix,
        result["produced"],
        len(rows),
        table,
        (result["freshness_ms"]["all_rows"] or 0) / 1000.0,
        ", %d dead letters on %s" % (found_dead, dlq_topic) if dlq_topic else "",
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
