#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: pinot_controller_info
short_description: Health of an Apache Pinot cluster and of its tables, from the controller
version_added: 0.1.0
description:
  - Read-only. Asks the controller for its own health (C(/health)), the instances that are
    B(live) in ZooKeeper by role (C(/zk/ls?path=/<cluster>/LIVEINSTANCES); C(GET /instances) lists
    configured instances, up or not, so it is not used), and the tables with their type.
  - For every table it compares the ideal state with the external view replica by replica and
    counts the CONSUMING segments of realtime tables.
  - The cluster is unhealthy when the controller does not answer, when a role has fewer live
    instances than O(expect) asks, or when a table named in O(tables) is missing, has a replica
    whose external view state differs from its ideal state, or (realtime) has no CONSUMING
    segment. With O(fail_on_unhealthy) the module then fails, naming the URL and each problem;
    otherwise it returns C(healthy=false) and the C(problems), which suits C(until) loops.
  - Ideal state and external view differ for a moment while a realtime segment commits
    (ONLINE in the ideal state, still CONSUMING in the external view); poll with C(until).
author:
  - streamstack maintainers
options:
  cluster_name:
    description: Helix cluster name. Asked from the controller (C(/cluster/info)) when omitted.
    type: str
  expect:
    description: Minimum number of live instances per role; C(0) skips a role.
    type: dict
    default: {}
    suboptions:
      controller:
        description: Live controllers required.
        type: int
        default: 1
      broker:
        description: Live brokers required.
        type: int
        default: 1
      server:
        description: Live servers required.
        type: int
        default: 1
      minion:
        description: Live minions required.
        type: int
        default: 1
  tables:
    description:
      - Tables that must exist and be healthy. A raw name (C(events)) checks every type that
        exists under it; C(events_REALTIME) checks that type only.
      - Tables not named here are still reported in RV(tables) but do not make the cluster unhealthy.
    type: list
    elements: str
    default: []
  fail_on_unhealthy:
    description: Fail when anything is unhealthy (otherwise report it in RV(problems)).
    type: bool
    default: true
extends_documentation_fragment:
  - streamstack.pipeline.pinot
notes:
  - Supports C(check_mode) (it changes nothing).
"""

EXAMPLES = r"""
- name: Wait until every Pinot role is live and the events table consumes
  streamstack.pipeline.pinot_controller_info:
    controller_url: http://127.0.0.1:9000
    expect: {controller: 1, broker: 1, server: 1, minion: 0}
    tables: [events]
    fail_on_unhealthy: false
  register: pinot
  until: pinot.healthy
  retries: 30
  delay: 10

- name: Check the cluster on EKS through the Kubernetes API service proxy
  streamstack.pipeline.pinot_controller_info:
    controller_url: "https://{{ eks_endpoint }}/api/v1/namespaces/pinot/services/pinot-controller:9000/proxy"
    headers:
      Authorization: "Bearer {{ eks_token }}"
    ca_path: /etc/streamstack/eks-ca.pem
    expect: {server: 2}
"""

RETURN = r"""
healthy:
  description: True when nothing in RV(problems).
  returned: always
  type: bool
problems:
  description: One sentence per problem found.
  returned: always
  type: list
  elements: str
  sample: ["no live SERVER instance (expected at least 1)", "realtime table events has no CONSUMING segment"]
controller_url:
  description: The URL asked.
  returned: always
  type: str
cluster_name:
  description: The Helix cluster name.
  returned: when the controller answered
  type: str
version:
  description: The controller's Pinot version.
  returned: when the controller says
  type: str
  sample: 0.11.0
health:
  description: C(controller) is true when its C(/health) answered OK.
  returned: always
  type: dict
  sample: {"controller": true}
live_instances:
  description: Live instance ids by role (C(controller), C(broker), C(server), C(minion)).
  returned: always
  type: dict
  sample: {"server": ["Server_10.0.1.5_8098"]}
live_counts:
  description: Number of live instances by role.
  returned: always
  type: dict
  sample: {"controller": 1, "broker": 1, "server": 1, "minion": 1}
tables:
  description: Every table with its type and segment state.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Raw table name.
      type: str
    type:
      description: REALTIME or OFFLINE.
      type: str
    table_name_with_type:
      description: C(<name>_<type>).
      type: str
    segments:
      description: Segments in the ideal state.
      type: int
    consuming_segments:
      description: Segments with a CONSUMING replica in the external view (realtime tables; null for offline).
      type: int
    error_segments:
      description: Segments with a replica in ERROR state in the external view.
      type: list
      elements: str
    in_sync:
      description: True when the external view matches the ideal state for every replica.
      type: bool
    mismatches:
      description: Replicas whose external view state differs (C(segment), C(instance), C(ideal_state), C(external_view)).
      type: list
      elements: dict
    checked:
      description: True when the table was named in O(tables) (so its problems count).
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import (
    ROLES,
    TABLE_TYPES,
    PinotError,
    client_argument_spec,
    client_from_module,
    state_problems,
)


def selected(requested, tables):
    """(name, type) pairs named by ``requested`` and names that match nothing."""
    chosen, missing = set(), []
    for item in requested:
        hits = []
        for table_type in TABLE_TYPES:
            if item.endswith("_" + table_type):
                raw = item[: -len(table_type) - 1]
                hits = [(raw, table_type)] if (raw, table_type) in tables else []
                break
        else:
            hits = [pair for pair in tables if pair[0] == item]
        if hits:
            chosen.update(hits)
        else:
            missing.append(item)
    return chosen, missing


def main():
    argument_spec = client_argument_spec()
    argument_spec.update(
        cluster_name=dict(type="str"),
        expect=dict(
            type="dict",
            default={},
            options={role: dict(type="int", default=1) for role in ROLES},
        ),
        tables=dict(type="list", elements="str", default=[]),
        fail_on_unhealthy=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    url = module.params["controller_url"]
    expect = module.params["expect"] or {role: 1 for role in ROLES}
    for role, count in expect.items():
        if count is not None and count < 0:
            module.fail_json(msg="pinot_controller_info: expect.%s must be 0 or more, got %s" % (role, count))

    client = client_from_module(module, "pinot_controller_info")
    result = dict(
        changed=False,
        healthy=False,
        problems=[],
        controller_url=url,
        health={"controller": False},
        live_instances={role: [] for role in ROLES},
        live_counts={role: 0 for role in ROLES},
        tables=[],
    )
    problems = result["problems"]

    def finish():
        result["healthy"] = not problems
        if problems and module.params["fail_on_unhealthy"]:
            module.fail_json(msg="Pinot at %s is unhealthy: %s" % (url, "; ".join(problems)), **result)
        module.exit_json(**result)

    try:
        result["health"]["controller"] = client.health()
    except PinotError as exc:
        problems.append("controller unreachable: %s" % exc)
        finish()
    if not result["health"]["controller"]:
        problems.append("the controller's /health at %s is not OK" % client.url("/health"))

    try:
        cluster = module.params["cluster_name"] or client.cluster_name()
        result["cluster_name"] = cluster
        version = client.version()
        if version:
            result["version"] = version
        live = client.live_instances(cluster)
    except PinotError as exc:
        problems.append("could not list live instances: %s" % exc)
        finish()
    result["live_instances"] = live
    result["live_counts"] = {role: len(live.get(role, [])) for role in ROLES}
    for role in ROLES:
        want = expect.get(role) or 0
        have = result["live_counts"][role]
        if want and have < want:
            if have == 0:
                problems.append("no live %s instance (expected at least %d)" % (role.upper(), want))
            else:
                problems.append("%d live %s instance(s), expected at least %d" % (have, role.upper(), want))

    try:
        tables = client.tables()
        chosen, missing = selected(module.params["tables"], tables)
        for item in missing:
            problems.append("table %s does not exist" % item)
        for name, table_type in tables:
            state = client.table_state(name, table_type)
            if state is None:  # deleted between the two calls
                if (name, table_type) in chosen:
                    problems.append("table %s_%s does not exist" % (name, table_type))
                continue
            state["checked"] = (name, table_type) in chosen
            if state["checked"]:
                problems.extend(state_problems(state))
            result["tables"].append(state)
    except PinotError as exc:
        problems.append("could not read the tables: %s" % exc)
    finish()


if __name__ == "__main__":
    main()
