"""pinot_schema, pinot_table and pinot_controller_info against the real Pinot 0.11.0
of the ``pinot_cluster`` fixture (and Kafka 4.1.1 of ``kafka_broker``).

Each lifecycle is one ``ansible-playbook`` run whose tasks assert every step
(check-mode create, verified by direct HTTP -> create -> create again unchanged
-> update with diff -> check-mode delete -> delete -> delete again unchanged,
cleanup in ``always:``). The runs start together in a thread pool when the
first test asks for them; each test reads its own run. The bad-input cases
share one run (one task each, failures kept and written to a JSON file); each
test checks its case's message and, over HTTP, that nothing was created.

The stream consumer factory is a parameter (``PINOT_KAFKA_CONSUMER_FACTORY``):
``...kafka20.KafkaConsumerFactory`` for 0.11.0, ``...kafka30...`` for Pinot 1.x.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
ANSIBLE_DOC = ROOT / ".venv" / "bin" / "ansible-doc"
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import (  # noqa: E402
    PinotClient,
    PinotError,
)

import confluent_kafka  # noqa: E402  (requirements.txt: the set-up installs it)
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

FACTORY = os.environ.get(
    "PINOT_KAFKA_CONSUMER_FACTORY", "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory"
)
WORKERS = 4
SUFFIX = uuid.uuid4().hex[:6]
MODULES = ("pinot_controller_info", "pinot_schema", "pinot_table")

# --------------------------------------------------------------------------
# Playbooks (Jinja variables come from the extra-vars file of each run)
# --------------------------------------------------------------------------

HEADER = """
- name: {title}
  hosts: localhost
  gather_facts: false
  module_defaults:
    streamstack.pipeline.pinot_schema: {{controller_url: "{{{{ controller }}}}"}}
    streamstack.pipeline.pinot_table: {{controller_url: "{{{{ controller }}}}"}}
    streamstack.pipeline.pinot_controller_info: {{controller_url: "{{{{ controller }}}}"}}
  vars:
    events_schema:
      schemaName: "{{{{ obj }}}}"
      dimensionFieldSpecs:
        - {{name: id, dataType: STRING}}
        - {{name: kind, dataType: STRING}}
      metricFieldSpecs:
        - {{name: amount, dataType: DOUBLE}}
      dateTimeFieldSpecs:
        - {{name: ts, dataType: LONG, format: "1:MILLISECONDS:EPOCH", granularity: "1:MILLISECONDS"}}
    base_config:
      segmentsConfig: {{schemaName: "{{{{ obj }}}}", timeColumnName: ts, replication: "1", replicasPerPartition: "1"}}
      tableIndexConfig: {{loadMode: MMAP}}
      tenants: {{}}
      metadata: {{}}
    stream_config:
      ingestionConfig:
        streamIngestionConfig:
          streamConfigMaps:
            - streamType: kafka
              stream.kafka.topic.name: "{{{{ topic | default('') }}}}"
              stream.kafka.broker.list: "{{{{ bootstrap | default('') }}}}"
              stream.kafka.consumer.type: lowlevel
              stream.kafka.consumer.factory.class.name: "{{{{ factory }}}}"
              stream.kafka.decoder.class.name: org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder
              stream.kafka.consumer.prop.auto.offset.reset: smallest
              # A stopping server waits out each consuming partition's fetch (files/services/README.md).
              stream.kafka.fetch.timeout.millis: 1000
              realtime.segment.flush.threshold.rows: 100000
              realtime.segment.flush.threshold.time: 1h
    table_config: "{{{{ base_config | combine(stream_config if (table_type | default('')) == 'REALTIME' else {{}}) }}}}"
  tasks:
"""

SCHEMA_LIFECYCLE = """
    - name: Schema lifecycle
      block:
        - name: Check-mode create
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", schema: "{{ events_schema }}"}
          check_mode: true
          register: r
        - name: Nothing was created
          ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}", status_code: 404}
        - ansible.builtin.assert: {that: [r is changed, "r.changed_keys == ['schema']"]}

        - name: Create
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", schema: "{{ events_schema }}"}
          register: r
        - ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}"}
          register: got
        - ansible.builtin.assert:
            that: [r is changed, "got.json.dimensionFieldSpecs | length == 2", "r.schema.schemaName == obj"]

        - name: Create again, the schema given as a JSON string
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", schema: "{{ events_schema | to_json }}"}
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}

        - name: Update (a new column), with diff
          streamstack.pipeline.pinot_schema:
            name: "{{ obj }}"
            schema: "{{ events_schema | combine({'dimensionFieldSpecs': events_schema.dimensionFieldSpecs + [{'name': 'region', 'dataType': 'STRING'}]}) }}"
          diff: true
          register: r
        - ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}"}
          register: got
        - ansible.builtin.assert:
            that:
              - r is changed
              - "r.changed_keys == ['dimensionFieldSpecs']"
              - "r.diff.before.dimensionFieldSpecs | length == 2"
              - "r.diff.after.dimensionFieldSpecs | length == 3"
              - "got.json.dimensionFieldSpecs | map(attribute='name') | list == ['id', 'kind', 'region']"

        - name: Update again
          streamstack.pipeline.pinot_schema:
            name: "{{ obj }}"
            schema: "{{ events_schema | combine({'dimensionFieldSpecs': events_schema.dimensionFieldSpecs + [{'name': 'region', 'dataType': 'STRING'}]}) }}"
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}

        - name: A type change is refused, and said so
          streamstack.pipeline.pinot_schema:
            name: "{{ obj }}"
            schema: "{{ events_schema | combine({'dimensionFieldSpecs': [events_schema.dimensionFieldSpecs[0], {'name': 'kind', 'dataType': 'INT'}, {'name': 'region', 'dataType': 'STRING'}]}) }}"
          register: r
          ignore_errors: true
        - ansible.builtin.assert:
            that: [r is failed, "'not backward-compatible' in r.msg", "'HTTP 400' in r.msg"]

        - name: An OFFLINE table uses the schema (Pinot 0.11.0 itself would let the schema go)
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: OFFLINE, config: "{{ base_config }}"}
        - name: Deleting a schema in use fails clearly, also in check mode
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
          check_mode: "{{ item }}"
          register: r
          ignore_errors: true
          loop: [true, false]
        - ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}"}
        - ansible.builtin.assert:
            that:
              - r.results[1] is failed and r.results[0] is failed
              - "r.results[1].msg == 'pinot_schema ' ~ obj ~ ': cannot delete the schema while a table uses it; delete the table first (used by ' ~ obj ~ '_OFFLINE)'"
        - name: Drop the table
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: OFFLINE, state: absent}

        - name: Check-mode delete
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
          check_mode: true
          register: r
        - ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}"}
        - ansible.builtin.assert: {that: [r is changed]}

        - name: Delete
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
          register: r
        - ansible.builtin.uri: {url: "{{ controller }}/schemas/{{ obj }}", status_code: 404}
        - ansible.builtin.assert: {that: [r is changed]}

        - name: Delete again
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}
      always:
        - name: Clean up the table
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: OFFLINE, state: absent}
        - name: Clean up the schema
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
"""

TABLE_LIFECYCLE = """
    - name: Table lifecycle
      vars:
        table_url: "{{ controller }}/tables/{{ obj }}?type={{ table_type | lower }}"
        full_name: "{{ obj }}_{{ table_type }}"
        config_v2: "{{ table_config | combine({'tableIndexConfig': {'invertedIndexColumns': ['kind']}}, recursive=true) }}"
      block:
        - name: The schema first
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", schema: "{{ events_schema }}"}

        - name: Check-mode create
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", config: "{{ table_config }}"}
          check_mode: true
          register: r
        - name: Nothing was created (the controller answers 200 {} for a missing table)
          ansible.builtin.uri: {url: "{{ table_url }}"}
          register: got
        - ansible.builtin.assert: {that: [r is changed, "got.json == {}"]}

        - name: Create
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", config: "{{ table_config }}"}
          register: r
        - ansible.builtin.uri: {url: "{{ table_url }}"}
          register: got
        - ansible.builtin.assert:
            that:
              - r is changed
              - "r.table_name_with_type == full_name"
              - "got.json[table_type].tableName == full_name"
              - "r.table.tableName == full_name"

        - name: Create again, the config given as a JSON string
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", config: "{{ table_config | to_json }}"}
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}

        - name: Its schema cannot be deleted while the table exists
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
          register: r
          ignore_errors: true
        - ansible.builtin.assert:
            that: [r is failed, "r.msg.endswith('while a table uses it; delete the table first (used by ' ~ full_name ~ ')')"]

        - name: Update (an inverted index), with diff
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", config: "{{ config_v2 }}"}
          diff: true
          register: r
        - ansible.builtin.uri: {url: "{{ table_url }}"}
          register: got
        - ansible.builtin.assert:
            that:
              - r is changed
              - "r.changed_keys == ['tableIndexConfig.invertedIndexColumns']"
              - "r.diff.before.tableIndexConfig == {'loadMode': 'MMAP'}"
              - "r.diff.after.tableIndexConfig.invertedIndexColumns == ['kind']"
              - "'isDimTable' not in r.diff.before"
              - "got.json[table_type].tableIndexConfig.invertedIndexColumns == ['kind']"
              - "got.json[table_type].tableIndexConfig.rangeIndexVersion == 2"

        - name: Update again
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", config: "{{ config_v2 }}"}
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}

        - name: Check-mode delete
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", state: absent}
          check_mode: true
          register: r
        - ansible.builtin.uri: {url: "{{ table_url }}"}
          register: got
        - ansible.builtin.assert: {that: [r is changed, "table_type in got.json"]}

        - name: Delete
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", state: absent}
          register: r
        - ansible.builtin.uri: {url: "{{ table_url }}"}
          register: got
        - ansible.builtin.assert: {that: [r is changed, "got.json == {}"]}

        - name: Delete again
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", state: absent}
          register: r
        - ansible.builtin.assert: {that: [r is not changed]}
      always:
        - name: Clean up the table
          streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: "{{ table_type }}", state: absent}
        - name: Clean up the schema
          streamstack.pipeline.pinot_schema: {name: "{{ obj }}", state: absent}
"""

INFO_CHECKS = """
    - name: Healthy cluster
      streamstack.pipeline.pinot_controller_info: {}
      register: r
    - ansible.builtin.assert:
        that:
          - r is not changed
          - r.healthy
          - "r.problems == []"
          - "r.cluster_name == cluster"
          - "r.version == '0.11.0'"
          - r.health.controller
          - "r.live_counts == {'controller': 1, 'broker': 1, 'server': 1, 'minion': 1}"
          - "r.live_instances.server[0] is match('Server_')"

    - name: Roles can be skipped
      streamstack.pipeline.pinot_controller_info:
        cluster_name: "{{ cluster }}"
        expect: {controller: 0, broker: 0, server: 0, minion: 0}
      register: r
    - ansible.builtin.assert: {that: [r.healthy]}

    - name: An impossible expectation fails, naming the URL and the role
      streamstack.pipeline.pinot_controller_info:
        expect: {server: 2}
      register: r
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - r is failed
          - "r.msg == 'Pinot at ' ~ controller ~ ' is unhealthy: 1 live SERVER instance(s), expected at least 2'"
          - not r.healthy

    - name: A missing table is named
      streamstack.pipeline.pinot_controller_info:
        tables: ["nosuch_{{ obj }}"]
      register: r
      ignore_errors: true
    - ansible.builtin.assert:
        that: [r is failed, "'table nosuch_' ~ obj ~ ' does not exist' in r.msg"]

    - name: An unreachable controller fails, naming the URL
      streamstack.pipeline.pinot_controller_info:
        controller_url: http://127.0.0.1:9
        timeout: 5
      register: r
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - r is failed
          - "r.msg is search('^Pinot at http://127.0.0.1:9 is unhealthy: controller unreachable: GET http://127.0.0.1:9/health failed')"

    - name: Unreachable, but asked not to fail (for until loops)
      streamstack.pipeline.pinot_controller_info:
        controller_url: http://127.0.0.1:9
        timeout: 5
        fail_on_unhealthy: false
      register: r
    - ansible.builtin.assert:
        that: [r is not failed, not r.healthy, "r.problems | length == 1"]
"""

# The realtime table of the ingestion test: schema + table, then wait (bounded) for CONSUMING segments.
INGEST_SETUP = """
    - name: Schema
      streamstack.pipeline.pinot_schema: {name: "{{ obj }}", schema: "{{ events_schema }}"}
    - name: Realtime table
      streamstack.pipeline.pinot_table: {name: "{{ obj }}", table_type: REALTIME, config: "{{ table_config }}"}
      register: created
    - ansible.builtin.assert: {that: [created is changed]}
    - name: Wait (up to 30 s) until the table's partitions are CONSUMING
      streamstack.pipeline.pinot_controller_info:
        tables: ["{{ obj }}"]
        fail_on_unhealthy: false
      register: info
      until: info.healthy
      retries: 30
      delay: 1
    - ansible.builtin.assert:
        that:
          - "info.tables | selectattr('name', 'eq', obj) | map(attribute='consuming_segments') | first == 2"
          - "info.tables | selectattr('name', 'eq', obj) | map(attribute='in_sync') | first"
"""

# --------------------------------------------------------------------------
# Bad input: (task, text the failure must contain, names that must not exist afterwards)
# --------------------------------------------------------------------------

OFFLINE_CONFIG = {"segmentsConfig": {"replication": "1"}, "tableIndexConfig": {"loadMode": "MMAP"}, "tenants": {}, "metadata": {}}
BAD = {
    "malformed_schema_json": (
        {"streamstack.pipeline.pinot_schema": {"name": "bad_s1", "schema": '{"schemaName": "bad_s1", "dimensionFieldSpecs": ['}},
        "pinot_schema bad_s1: schema is not valid JSON: Expecting value", [("schema", "bad_s1")]),
    "schema_json_array": (
        {"streamstack.pipeline.pinot_schema": {"name": "bad_s2", "schema": "[1, 2]"}},
        "pinot_schema bad_s2: schema must be a JSON object, got list", [("schema", "bad_s2")]),
    "schema_name_mismatch": (
        {"streamstack.pipeline.pinot_schema": {"name": "bad_s3", "schema": {"schemaName": "other_s3"}}},
        "pinot_schema bad_s3: schema.schemaName is 'other_s3' but name is 'bad_s3'; they must be equal",
        [("schema", "bad_s3"), ("schema", "other_s3")]),
    "schema_missing_for_present": (
        {"streamstack.pipeline.pinot_schema": {"name": "bad_s4"}},
        "state is present but all of the following are missing: schema", [("schema", "bad_s4")]),
    "malformed_table_json": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t1", "table_type": "OFFLINE", "config": '{"tableName": "bad_t1",'}},
        "pinot_table bad_t1 (OFFLINE): config is not valid JSON: Expecting", [("OFFLINE", "bad_t1")]),
    "table_config_a_list": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t2", "table_type": "OFFLINE", "config": [1, 2]}},
        "config must be a dict or a JSON string, got list", [("OFFLINE", "bad_t2")]),
    "realtime_table_without_schema": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t3", "table_type": "REALTIME",
                                              "config": dict(OFFLINE_CONFIG, segmentsConfig={"schemaName": "bad_t3", "replication": "1"})}},
        "pinot_table bad_t3 (REALTIME): schema 'bad_t3' does not exist; create it first (streamstack.pipeline.pinot_schema)",
        [("REALTIME", "bad_t3")]),
    "offline_table_without_schema": (
        # Pinot 0.11.0 itself would accept this one: the module checks.
        {"streamstack.pipeline.pinot_table": {"name": "bad_t4", "table_type": "OFFLINE", "config": OFFLINE_CONFIG}},
        "pinot_table bad_t4 (OFFLINE): schema 'bad_t4' does not exist; create it first", [("OFFLINE", "bad_t4")]),
    "table_without_schema_in_check_mode": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t5", "table_type": "OFFLINE", "config": OFFLINE_CONFIG},
         "check_mode": True},
        "schema 'bad_t5' does not exist", [("OFFLINE", "bad_t5")]),
    "table_name_mismatch": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t6", "table_type": "OFFLINE",
                                              "config": dict(OFFLINE_CONFIG, tableName="other_t6")}},
        "pinot_table bad_t6 (OFFLINE): config.tableName is 'other_t6' but name is 'bad_t6' and table_type OFFLINE; they must agree",
        [("OFFLINE", "bad_t6"), ("OFFLINE", "other_t6")]),
    "table_name_suffix_of_other_type": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t7", "table_type": "OFFLINE",
                                              "config": dict(OFFLINE_CONFIG, tableName="bad_t7_REALTIME")}},
        "config.tableName is 'bad_t7_REALTIME' but name is 'bad_t7' and table_type OFFLINE", [("OFFLINE", "bad_t7")]),
    "table_type_mismatch": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t8", "table_type": "REALTIME",
                                              "config": dict(OFFLINE_CONFIG, tableType="OFFLINE")}},
        "pinot_table bad_t8 (REALTIME): config.tableType is 'OFFLINE' but table_type is REALTIME",
        [("REALTIME", "bad_t8"), ("OFFLINE", "bad_t8")]),
    "unknown_table_type": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t9", "table_type": "HYBRID", "config": OFFLINE_CONFIG}},
        "value of table_type must be one of: REALTIME, OFFLINE, got: HYBRID", [("OFFLINE", "bad_t9")]),
    "segments_config_not_an_object": (
        {"streamstack.pipeline.pinot_table": {"name": "bad_t10", "table_type": "OFFLINE",
                                              "config": dict(OFFLINE_CONFIG, segmentsConfig="replication=1")}},
        "config.segmentsConfig must be an object, got str", [("OFFLINE", "bad_t10")]),
    "expect_not_a_number": (
        {"streamstack.pipeline.pinot_controller_info": {"expect": {"server": "two"}}},
        "server", []),
    "controller_url_without_scheme": (
        {"streamstack.pipeline.pinot_schema": {"name": "bad_s5", "schema": {}, "controller_url": "127.0.0.1:9000"}},
        "pinot_schema bad_s5: controller_url: the URL must start with http:// or https://", [("schema", "bad_s5")]),
}

# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return env


def run_play(tmp_dir: Path, run_id: str, title: str, tasks: str, variables: dict, timeout: float = 240):
    """(rc, output, seconds) of one ansible-playbook run from the repository root (ansible.cfg applies)."""
    playbook = tmp_dir / f"{run_id}.yml"
    playbook.write_text(HEADER.format(title=title) + tasks)
    extra = tmp_dir / f"{run_id}.vars.json"
    extra.write_text(json.dumps(variables))
    began = time.monotonic()
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), str(playbook), "-e", f"@{extra}"],
        cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - began


def _bad_tasks(results_file: Path) -> str:
    """One task per bad-input case (failures kept), then every registered result written to a file."""
    lines = []
    for case, (task, _text, _absent) in BAD.items():
        # JSON is YAML: each task as a one-line flow mapping, indented into the play.
        lines.append("    - " + json.dumps(dict({"name": f"bad input {case}", "register": f"bad_{case}",
                                                    "ignore_errors": True}, **task)))
    everything = ", ".join(f"'{case}': bad_{case}" for case in BAD)
    lines.append("    - name: Keep the results for the tests")
    lines.append("      ansible.builtin.copy:")
    lines.append(f"        dest: {results_file}")
    lines.append("        content: \"{{ {" + everything + "} | to_nice_json }}\"")
    lines.append("        mode: '0600'")
    return "\n".join(lines) + "\n"


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)], operation_timeout=20)
    futures[name].result(timeout=30)


# The one warning every run prints (README, "The executor"): ansible-core 2.19 deprecates any
# strategy plugin outside ansible.builtin (no removal date), and Mitogen runs through one.
EXECUTOR_DEPRECATION = "[DEPRECATION WARNING]: Use of strategy plugins not included in ansible.builtin are deprecated"
DEPRECATION_HINT = "[WARNING]: Deprecation warnings can be disabled by setting"


def assert_passed(rc: int, output: str, what: str) -> None:
    assert rc == 0, f"{what} failed (rc={rc}):\n{output[-6000:]}"
    assert re.search(r"^localhost\s+:.*\bfailed=0\b", output, re.M), output[-3000:]
    # No warning, and no deprecation but the executor's (with the hint that comes with it).
    rest = [line for line in output.splitlines() if not line.startswith((EXECUTOR_DEPRECATION, DEPRECATION_HINT))]
    assert not [line for line in rest if "[WARNING]" in line or "[DEPRECATION WARNING]" in line], output[-3000:]


@pytest.fixture(scope="module")
def common(pinot_cluster, kafka_broker):
    return {
        "controller": pinot_cluster.controller_url,
        "cluster": pinot_cluster.cluster_name,
        "bootstrap": kafka_broker.bootstrap,
        "factory": FACTORY,
    }


@pytest.fixture(scope="module")
def runs(common, kafka_broker, tmp_path_factory):
    """Every playbook of this file, started together; ``runs[id].result()`` -> (rc, output, seconds)."""
    tmp_dir = tmp_path_factory.mktemp("pinot_plays")
    rt_topic = f"lifecycle-{SUFFIX}"
    create_topic(kafka_broker.bootstrap, rt_topic, partitions=1)
    jobs = {
        "schema": ("schema lifecycle", SCHEMA_LIFECYCLE, {"obj": f"lc_schema_{SUFFIX}"}),
        "table_REALTIME": ("REALTIME table lifecycle", TABLE_LIFECYCLE,
                           {"obj": f"lc_rt_{SUFFIX}", "table_type": "REALTIME", "topic": rt_topic}),
        "table_OFFLINE": ("OFFLINE table lifecycle", TABLE_LIFECYCLE, {"obj": f"lc_off_{SUFFIX}", "table_type": "OFFLINE"}),
        "info": ("controller info", INFO_CHECKS, {"obj": f"info_{SUFFIX}"}),
    }
    jobs["bad"] = ("bad input", _bad_tasks(tmp_dir / "bad_results.json"), {"obj": f"unused_{SUFFIX}"})
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            run_id: pool.submit(run_play, tmp_dir, run_id, title, tasks, dict(common, **variables))
            for run_id, (title, tasks, variables) in jobs.items()
        }
        futures["bad_results"] = tmp_dir / "bad_results.json"
        yield futures


@pytest.fixture(scope="module")
def controller(common):
    return PinotClient(common["controller"], timeout=10)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_realtime_table_created_by_the_modules_consumes(runs, common, controller, kafka_broker, pinot_cluster, tmp_path):
    """Produce 200 events, create schema + table with the modules, query the broker until all are in."""
    name, topic = f"ingest_{SUFFIX}", f"ingest-{SUFFIX}"
    create_topic(kafka_broker.bootstrap, topic, partitions=2)
    base_ts = 1_700_000_000_000
    events = [{"id": f"e-{i}", "kind": ("click", "view", "buy")[i % 3], "amount": i * 0.5, "ts": base_ts + i}
              for i in range(200)]
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "linger.ms": 5})
    for event in events:
        producer.produce(topic, key=event["id"].encode(), value=json.dumps(event).encode())
    assert producer.flush(30) == 0, "events still undelivered after 30 s"

    broker = PinotClient(pinot_cluster.broker_url, timeout=10)
    try:
        rc, output, _ = run_play(tmp_path, "ingest", "realtime ingestion", INGEST_SETUP,
                                 dict(common, obj=name, table_type="REALTIME", topic=topic))
        assert_passed(rc, output, "creating the realtime table with the modules")

        deadline, count, last_error = time.monotonic() + 60, None, None
        while time.monotonic() < deadline:
            try:
                count = broker.query(f"SELECT COUNT(*) FROM {name}")["resultTable"]["rows"][0][0]
                if count == len(events):
                    break
            except PinotError as exc:  # the broker may not route the new table for a moment
                last_error = exc
            time.sleep(0.5)
        assert count == len(events), f"count(*) of {name} was {count} after 60 s; last error {last_error}"

        row = broker.query(f"SELECT id, kind, amount, ts FROM {name} WHERE id = 'e-43'")
        assert row["resultTable"]["dataSchema"]["columnNames"] == ["id", "kind", "amount", "ts"]
        assert row["resultTable"]["rows"] == [["e-43", "view", 21.5, base_ts + 43]]
        by_kind = broker.query(f"SELECT kind, COUNT(*) FROM {name} GROUP BY kind ORDER BY kind")
        assert by_kind["resultTable"]["rows"] == [["buy", 66], ["click", 67], ["view", 67]]

        with pytest.raises(PinotError, match=r"query .* failed on .*/query/sql: .*"):
            broker.query(f"SELECT nosuchcolumn FROM {name}")
    finally:
        controller.delete_table(name, "REALTIME")
        controller.delete_schema(name)


def test_schema_lifecycle(runs):
    rc, output, _ = runs["schema"].result()
    assert_passed(rc, output, "schema lifecycle")
    assert "+            \"name\": \"region\"" in output  # the diff is shown


@pytest.mark.parametrize("table_type", ["REALTIME", "OFFLINE"])
def test_table_lifecycle(runs, table_type):
    rc, output, _ = runs[f"table_{table_type}"].result()
    assert_passed(rc, output, f"{table_type} table lifecycle")
    assert '+            "kind"' in output  # the diff shows the new inverted index column


def test_controller_info(runs):
    rc, output, _ = runs["info"].result()
    assert_passed(rc, output, "controller info checks")


@pytest.fixture(scope="module")
def bad_results(runs):
    rc, output, _ = runs["bad"].result()
    assert rc == 0, f"the bad-input play itself failed (rc={rc}):\n{output[-5000:]}"
    assert "Traceback" not in output, output
    return json.loads(runs["bad_results"].read_text())


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_fails_clearly_and_changes_nothing(bad_results, controller, case):
    _task, text, absent = BAD[case]
    result = bad_results[case]
    assert result.get("failed") is True, result
    assert result.get("changed") is False, result
    assert text in result["msg"], f"the failure does not say {text!r}: {result['msg']!r}"
    assert "Traceback" not in json.dumps(result)
    for kind, name in absent:
        if kind == "schema":
            assert controller.get_schema(name) is None, f"schema {name} exists"
        else:
            assert controller.get_table(name, kind) is None, f"table {name}_{kind} exists"


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    proc = subprocess.run([str(ANSIBLE_DOC), f"streamstack.pipeline.{module}"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "EXAMPLES" in proc.stdout and "RETURN VALUES" in proc.stdout
    assert "controller_url" in proc.stdout  # from the doc fragment
    assert "[WARNING]" not in proc.stderr, proc.stderr
