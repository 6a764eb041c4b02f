#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: pinot_schema
short_description: Create, update or delete an Apache Pinot schema through the controller REST API
version_added: 0.1.0
description:
  - Reconciles one Pinot schema with the controller, the way C(confluent.platform.kafka_connectors)
    reconciles connectors; it reads the schema first and writes only when the keys you give differ.
  - The comparison covers only the keys O(schema) sets, recursively (the controller may add
    defaults); lists, such as C(dimensionFieldSpecs), must match element by element.
    Values compare after Pinot's string coercion (C(1) equals C("1")).
  - Creating and updating both use C(POST /schemas), which upserts. The controller refuses a
    backward-incompatible change (a column's type, a removed column) with HTTP 400; the module
    fails with the controller's reason and changes nothing.
  - Existing segments do not pick up a new column until the table is reloaded.
  - Deleting a schema that a table still uses fails; delete the table first. The module checks every
    table (named as the schema, or naming it in C(segmentsConfig.schemaName)) itself, also in check
    mode, because Pinot 0.11.0 refuses (HTTP 409) only for a REALTIME table named as the schema.
    Deleting a schema that does not exist reports no change.
author:
  - streamstack maintainers
options:
  name:
    description: Schema name. Must equal C(schemaName) in O(schema) when that is given.
    type: str
    required: true
  schema:
    description:
      - The schema, as a dict or as a JSON string (for example from C(lookup('file', ...))).
      - C(schemaName) is filled in from O(name) when missing.
      - Required when O(state=present); ignored when O(state=absent).
    type: raw
  state:
    description: Whether the schema should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - streamstack.pipeline.pinot
notes:
  - Supports C(check_mode) and C(diff_mode). The diff shows only the keys O(schema) sets.
"""

EXAMPLES = r"""
- name: Schema of the processed events
  streamstack.pipeline.pinot_schema:
    controller_url: http://127.0.0.1:9000
    name: events
    schema:
      schemaName: events
      dimensionFieldSpecs:
        - {name: id, dataType: STRING}
        - {name: kind, dataType: STRING}
      metricFieldSpecs:
        - {name: amount, dataType: DOUBLE}
      dateTimeFieldSpecs:
        - {name: ts, dataType: LONG, format: "1:MILLISECONDS:EPOCH", granularity: "1:MILLISECONDS"}

- name: Same schema from a file, through the Kubernetes API service proxy on EKS
  streamstack.pipeline.pinot_schema:
    controller_url: "https://{{ eks_endpoint }}/api/v1/namespaces/pinot/services/pinot-controller:9000/proxy"
    headers:
      Authorization: "Bearer {{ eks_token }}"
    ca_path: /etc/streamstack/eks-ca.pem
    name: events
    schema: "{{ lookup('ansible.builtin.file', 'schemas/events.json') }}"

- name: Remove the schema (after its tables)
  streamstack.pipeline.pinot_schema:
    controller_url: http://127.0.0.1:9000
    name: events
    state: absent
"""

RETURN = r"""
schema:
  description: The schema as the controller stores it after the run (empty when absent).
  returned: always
  type: dict
  sample: {"schemaName": "events", "dimensionFieldSpecs": [{"name": "id", "dataType": "STRING"}]}
changed_keys:
  description: Dotted paths of the keys that differed (C(schema) when it was created or deleted).
  returned: always
  type: list
  elements: str
  sample: ["metricFieldSpecs"]
unrecognized_properties:
  description: Keys the controller did not recognise in the schema (usually typos); also given as a warning.
  returned: when the schema was written
  type: dict
diff:
  description: Before and after of the keys O(schema) sets.
  returned: when diff mode is on or the schema changed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import (
    PinotError,
    changed_paths,
    client_argument_spec,
    client_from_module,
    config_diff,
    is_subset,
    parse_json_option,
)


def main():
    argument_spec = client_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        schema=dict(type="raw"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("schema",))],
        supports_check_mode=True,
    )
    name, state = module.params["name"], module.params["state"]

    desired = None
    if state == "present":
        try:
            desired = dict(parse_json_option(module.params["schema"], "schema"))
        except ValueError as exc:
            module.fail_json(msg="pinot_schema %s: %s" % (name, exc))
        given = desired.get("schemaName")
        if given is None:
            desired["schemaName"] = name
        elif given != name:
            module.fail_json(
                msg="pinot_schema %s: schema.schemaName is %r but name is %r; they must be equal" % (name, given, name)
            )

    client = client_from_module(module, "pinot_schema %s" % name)
    try:
        current = client.get_schema(name)
    except PinotError as exc:
        module.fail_json(
            msg="pinot_schema %s: could not read the schema: %s" % (name, exc), url=exc.url, status=exc.status
        )

    result = dict(changed=False, schema=current or {}, changed_keys=[])

    if state == "absent":
        if current is None:
            module.exit_json(**result)
        try:
            users = client.tables_using_schema(name)
        except PinotError as exc:
            module.fail_json(
                msg="pinot_schema %s: could not list the tables: %s" % (name, exc), url=exc.url, status=exc.status
            )
        if users:
            # Pinot 0.11.0 itself refuses (409) only for a REALTIME table named as the schema.
            module.fail_json(
                msg="pinot_schema %s: cannot delete the schema while a table uses it; delete the table first "
                "(used by %s)" % (name, ", ".join(users)),
                tables=users,
            )
        result.update(
            changed=True, schema={}, changed_keys=["schema"], diff=config_diff(current, None, "schema " + name)
        )
        if module.check_mode:
            module.exit_json(**result)
        try:
            client.delete_schema(name)
        except PinotError as exc:
            if exc.status == 409:
                module.fail_json(
                    msg="pinot_schema %s: cannot delete the schema while a table uses it; delete the table first "
                    "(controller: %s)" % (name, exc),
                    url=exc.url,
                    status=exc.status,
                )
            module.fail_json(msg="pinot_schema %s: delete failed: %s" % (name, exc), url=exc.url, status=exc.status)
        module.exit_json(**result)

    if current is not None and is_subset(desired, current):
        if module._diff:
            result["diff"] = config_diff(current, desired, "schema " + name)
        module.exit_json(**result)

    result.update(
        changed=True,
        changed_keys=changed_paths(current, desired) if current is not None else ["schema"],
        diff=config_diff(current, desired, "schema " + name),
        schema=desired,
    )
    if module.check_mode:
        module.exit_json(**result)

    try:
        answer = client.put_schema(desired)
        stored = client.get_schema(name)
    except PinotError as exc:
        what = "update" if current is not None else "create"
        hint = ""
        if exc.status == 400 and current is not None and "backward-compatible" in str(exc):
            hint = " (Pinot refuses backward-incompatible changes such as a column's type or a removed column)"
        module.fail_json(
            msg="pinot_schema %s: the controller refused to %s the schema%s: %s" % (name, what, hint, exc),
            url=exc.url,
            status=exc.status,
        )
    result["schema"] = stored or desired
    unrecognized = (answer or {}).get("unrecognizedProperties") if isinstance(answer, dict) else None
    result["unrecognized_properties"] = unrecognized or {}
    if unrecognized:
        module.warn("pinot_schema %s: the controller ignored unrecognised keys %s" % (name, sorted(unrecognized)))
    if stored is not None and not is_subset(desired, stored):
        module.warn(
            "pinot_schema %s: the controller did not keep %s as given; the next run will report a change again"
            % (name, ", ".join(changed_paths(stored, desired)))
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
