#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: pinot_table
short_description: Create, update or delete an Apache Pinot REALTIME or OFFLINE table through the controller REST API
version_added: 0.1.0
description:
  - Reconciles one Pinot table (one type of it) with the controller; it reads the table first
    (C(GET /tables/{name}?type=...)), creates it with C(POST /tables) when absent, updates it with
    C(PUT /tables/{name}) when the keys you give differ, and deletes it with
    C(DELETE /tables/{name}?type=...).
  - The comparison covers only the keys O(config) sets, recursively; the controller fills in
    defaults, and keys you leave out keep the value the controller has. To clear a setting,
    give it its empty value (for example an empty list for C(invertedIndexColumns)). Lists must match element by
    element. Values compare after Pinot's string coercion (C(1) equals C("1")).
  - An update sends the controller's current config with your keys laid over it, so nothing you
    did not set changes.
  - The table's schema must exist before the table is created (C(segmentsConfig.schemaName), or a
    schema named as the table). The module checks this itself before creating, because Pinot 0.11.0
    accepts an OFFLINE table without one.
  - On create, empty C(tenants) and C(metadata) are added when O(config) lacks them (Pinot 0.11.0
    requires both); C(segmentsConfig) and C(tableIndexConfig) are yours to give.
  - O(name), C(config.tableName) and C(config.tableType) are checked against each other before any
    HTTP call.
author:
  - streamstack maintainers
options:
  name:
    description:
      - Raw table name, without the C(_REALTIME)/C(_OFFLINE) suffix (a suffix matching
        O(table_type) is accepted and removed).
    type: str
    required: true
  table_type:
    description: Which of the table's two possible halves this task manages.
    type: str
    choices: [REALTIME, OFFLINE]
    required: true
  config:
    description:
      - The table config, as a dict or as a JSON string.
      - C(tableName) and C(tableType) are filled in from O(name) and O(table_type) when missing;
        when given they must agree with them (C(tableName) may carry the matching suffix).
      - Required when O(state=present); ignored when O(state=absent).
    type: raw
  state:
    description: Whether the table should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - streamstack.pipeline.pinot
notes:
  - Supports C(check_mode) and C(diff_mode). The diff shows only the keys O(config) sets.
  - The stream consumer factory differs between Pinot versions
    (C(org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory) in 0.11.0,
    C(...kafka30.KafkaConsumerFactory) in 1.x); keep it a variable per target.
  - Pinot 0.11.0 answers a REALTIME table whose Kafka topic does not exist with HTTP 500
    (a NullPointerException); create the topic first.
"""

EXAMPLES = r"""
- name: Realtime table fed by the processed-events topic
  streamstack.pipeline.pinot_table:
    controller_url: http://127.0.0.1:9000
    name: events
    table_type: REALTIME
    config:
      segmentsConfig:
        schemaName: events
        timeColumnName: ts
        replication: "1"
        replicasPerPartition: "1"
      tenants: {}
      tableIndexConfig:
        loadMode: MMAP
      metadata: {}
      ingestionConfig:
        streamIngestionConfig:
          streamConfigMaps:
            - streamType: kafka
              stream.kafka.topic.name: events-processed
              stream.kafka.broker.list: "{{ kafka_bootstrap }}"
              stream.kafka.consumer.type: lowlevel
              stream.kafka.consumer.factory.class.name: "{{ pinot_kafka_consumer_factory }}"
              stream.kafka.decoder.class.name: org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder
              stream.kafka.consumer.prop.auto.offset.reset: smallest

- name: Offline table from a JSON file
  streamstack.pipeline.pinot_table:
    controller_url: http://127.0.0.1:9000
    name: events_daily
    table_type: OFFLINE
    config: "{{ lookup('ansible.builtin.file', 'tables/events_daily.json') }}"

- name: Drop the realtime table
  streamstack.pipeline.pinot_table:
    controller_url: http://127.0.0.1:9000
    name: events
    table_type: REALTIME
    state: absent
"""

RETURN = r"""
table:
  description: The table config as the controller stores it after the run (defaults filled in); empty when absent.
  returned: always
  type: dict
  sample: {"tableName": "events_REALTIME", "tableType": "REALTIME", "segmentsConfig": {"schemaName": "events"}}
table_name_with_type:
  description: The controller's name of the table, C(<name>_<table_type>).
  returned: always
  type: str
  sample: events_REALTIME
changed_keys:
  description: Dotted paths of the keys that differed (C(table) when it was created or deleted).
  returned: always
  type: list
  elements: str
  sample: ["tableIndexConfig.invertedIndexColumns"]
unrecognized_properties:
  description: Keys the controller did not recognise (usually typos); also given as a warning.
  returned: when the table was written
  type: dict
  sample: {"/segmentsConfig/replicaton": "1"}
diff:
  description: Before and after of the keys O(config) sets.
  returned: when diff mode is on or the table changed
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import (
    TABLE_TYPES,
    PinotError,
    changed_paths,
    client_argument_spec,
    client_from_module,
    config_diff,
    is_subset,
    merge,
    normalise_table_config,
    parse_json_option,
    snippet,
)

# 0.11.0: "Schema should not be null for REALTIME table"; later versions word it differently.
_SCHEMA_MISSING = re.compile(r"schema\b.*\b(null|not found|does not exist|missing)", re.I)


def validate(module, name, table_type, config):
    """The desired config with tableName/tableType filled in; fails on any disagreement."""
    what = "pinot_table %s (%s)" % (name, table_type)
    try:
        desired = dict(parse_json_option(config, "config"))
    except ValueError as exc:
        module.fail_json(msg="%s: %s" % (what, exc))
    given_name = desired.get("tableName")
    if given_name is not None:
        if not isinstance(given_name, str) or given_name not in (name, "%s_%s" % (name, table_type)):
            module.fail_json(
                msg="%s: config.tableName is %r but name is %r and table_type %s; they must agree"
                % (what, given_name, name, table_type)
            )
    given_type = desired.get("tableType")
    if given_type is not None and (not isinstance(given_type, str) or given_type.upper() != table_type):
        module.fail_json(msg="%s: config.tableType is %r but table_type is %s" % (what, given_type, table_type))
    for key in ("segmentsConfig", "tableIndexConfig", "tenants", "metadata", "ingestionConfig"):
        if key in desired and desired[key] is not None and not isinstance(desired[key], dict):
            module.fail_json(msg="%s: config.%s must be an object, got %s" % (what, key, type(desired[key]).__name__))
    desired["tableName"] = name
    desired["tableType"] = table_type
    return desired


def schema_candidates(name, desired):
    schema_name = (desired.get("segmentsConfig") or {}).get("schemaName")
    candidates = []
    for candidate in (schema_name, name):
        if candidate and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def main():
    argument_spec = client_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        table_type=dict(type="str", required=True, choices=list(TABLE_TYPES)),
        config=dict(type="raw"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("config",))],
        supports_check_mode=True,
    )
    name, table_type, state = module.params["name"], module.params["table_type"], module.params["state"]
    other = [t for t in TABLE_TYPES if t != table_type][0]
    if name.endswith("_" + other):
        module.fail_json(msg="pinot_table %s: the name ends in _%s but table_type is %s" % (name, other, table_type))
    if name.endswith("_" + table_type):
        name = name[: -len("_" + table_type)]
    what = "pinot_table %s (%s)" % (name, table_type)
    full_name = "%s_%s" % (name, table_type)

    desired = validate(module, name, table_type, module.params["config"]) if state == "present" else None

    client = client_from_module(module, what)
    try:
        current = client.get_table(name, table_type)
    except PinotError as exc:
        module.fail_json(msg="%s: could not read the table: %s" % (what, exc), url=exc.url, status=exc.status)
    current_norm = normalise_table_config(current) if current is not None else None

    result = dict(changed=False, table=current or {}, table_name_with_type=full_name, changed_keys=[])

    if state == "absent":
        if current is None:
            module.exit_json(**result)
        result.update(changed=True, table={}, changed_keys=["table"], diff=config_diff(current_norm, None, full_name))
        if module.check_mode:
            module.exit_json(**result)
        try:
            client.delete_table(name, table_type)
        except PinotError as exc:
            module.fail_json(msg="%s: delete failed: %s" % (what, exc), url=exc.url, status=exc.status)
        module.exit_json(**result)

    if current_norm is not None and is_subset(desired, current_norm):
        if module._diff:
            result["diff"] = config_diff(current_norm, desired, full_name)
        module.exit_json(**result)

    if current is None:
        # Pinot 0.11.0 only refuses a REALTIME table without schema; check for both types, and in check mode.
        candidates = schema_candidates(name, desired)
        try:
            found = [n for n in candidates if client.get_schema(n) is not None]
        except PinotError as exc:
            module.fail_json(msg="%s: could not look up its schema: %s" % (what, exc), url=exc.url, status=exc.status)
        if not found:
            module.fail_json(
                msg="%s: schema %s does not exist; create it first (streamstack.pipeline.pinot_schema)"
                % (what, " or ".join(repr(n) for n in candidates))
            )
        # 0.11.0 refuses a config without these two (HTTP 400 "Missing required creator property").
        body = dict({"tenants": {}, "metadata": {}}, **desired)
        result["changed_keys"] = ["table"]
    else:
        body = merge(current_norm, desired)
        result["changed_keys"] = changed_paths(current_norm, desired)

    result.update(changed=True, diff=config_diff(current_norm, desired, full_name), table=body)
    if module.check_mode:
        module.exit_json(**result)

    try:
        if current is None:
            answer = client.create_table(body)
        else:
            answer = client.update_table(name, body)
    except PinotError as exc:
        verb = "create" if current is None else "update"
        hint = ""
        if current is None and exc.status == 400 and _SCHEMA_MISSING.search(snippet(exc.body, 10000)):
            hint = " (its schema is missing: create it first with streamstack.pipeline.pinot_schema)"
        module.fail_json(
            msg="%s: the controller refused to %s the table%s: %s" % (what, verb, hint, exc),
            url=exc.url,
            status=exc.status,
        )

    unrecognized = answer.get("unrecognizedProperties") if isinstance(answer, dict) else None
    result["unrecognized_properties"] = unrecognized or {}
    if unrecognized:
        module.warn("%s: the controller ignored unrecognised keys %s" % (what, sorted(unrecognized)))
    try:
        stored = client.get_table(name, table_type)
    except PinotError as exc:
        module.fail_json(msg="%s: written, but reading it back failed: %s" % (what, exc), changed=True)
    if stored is not None:
        result["table"] = stored
        kept = is_subset(desired, normalise_table_config(stored))
        if not kept and not unrecognized:
            module.warn(
                "%s: the controller did not keep %s as given; the next run will report a change again"
                % (what, ", ".join(changed_paths(normalise_table_config(stored), desired)))
            )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
