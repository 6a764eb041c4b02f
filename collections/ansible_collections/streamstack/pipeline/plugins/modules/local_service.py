#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: local_service
short_description: Start, stop or purge one service of the local profile (Kafka, Pinot, the Flink job)
version_added: 0.2.0
description:
  - Runs the services of the C(local) inventory as background processes of this machine, each
    with its own state folder, log files, pid files (with the process start time, so a recycled pid is not
    taken for ours), listeners on 127.0.0.1.
  - Looks before it acts. C(started) starts the service only when it is not running, and restarts
    it only when its configuration differs (for C(flink), another job package or other job
    properties). A running, unchanged service reports C(changed=false) and is not touched.
  - Kafka and Pinot jars are resolved once per version with Maven into O(jar_cache).
  - C(flink) stops with a savepoint and starts again from it, so a stop and a start neither lose
    nor repeat a record.
  - With O(wait) the module returns once the service answers health checks (Kafka metadata;
    every Pinot role's C(/health) and all four instances live; the Flink job and all its tasks
    RUNNING), failing after O(timeout) seconds with the last lines of its log. Roles that want
    progress lines start with O(wait=false) and poll M(streamstack.pipeline.local_service_info).
author:
  - streamstack maintainers
options:
  state:
    description:
      - C(started) runs it; C(stopped) stops it and keeps its data; C(absent) stops it and deletes
        C(<state_dir>/<name>) (data, logs, savepoints).
    type: str
    choices: [started, stopped, absent]
    default: started
  wait:
    description: With C(started), wait until the service is healthy.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for health (O(wait)) or for a stop.
    type: int
    default: 180
extends_documentation_fragment:
  - streamstack.pipeline.local_stack
notes:
  - Supports C(check_mode) (reports what it would start, restart, stop or delete) and C(diff_mode)
    (running and configuration, before and after).
seealso:
  - module: streamstack.pipeline.local_service_info
  - module: streamstack.pipeline.local_environment
"""

EXAMPLES = r"""
- name: Kafka on 127.0.0.1:9092
  streamstack.pipeline.local_service:
    name: kafka
    state_dir: "{{ playbook_dir }}/.local-stack"
    jar_cache: "{{ playbook_dir }}/.cache/jars"
    pom: "{{ playbook_dir }}/files/services/kafka/pom.xml"
    ports: {broker: 9092, controller: 9093}

- name: The Flink job, from the zip Managed Flink would run
  streamstack.pipeline.local_service:
    name: flink
    state_dir: "{{ playbook_dir }}/.local-stack"
    ports: {rest: 8081}
    flink_python: "{{ playbook_dir }}/.venv-flink/bin/python"
    job_package: "{{ playbook_dir }}/dist/streamstack-flink-1.0.0.zip"
    job_properties:
      bootstrap.servers: 127.0.0.1:9092
      topic.raw: events.raw
      topic.processed: events.processed
      topic.dead-letter: events.dlq

- name: Stop Pinot, keep its segments
  streamstack.pipeline.local_service:
    name: pinot
    state: stopped
    state_dir: "{{ playbook_dir }}/.local-stack"
    ports: {zookeeper: 2181, controller: 9000, broker: 8099, server: 8098, server_admin: 8097, minion: 9514}
"""

RETURN = r"""
action:
  description: What was done (or would be, in check mode).
  returned: always
  type: str
  sample: started
  choices: [none, started, restarted, stopped, deleted]
reasons:
  description: Why it was done (e.g. the configuration files that differ).
  returned: always
  type: list
  elements: str
seconds:
  description: Seconds until the service was healthy (with O(wait)).
  returned: when it waited
  type: float
restored_from:
  description: The savepoint the Flink job started from.
  returned: when name=flink and it started
  type: str
status:
  description: The service after the change (C(running), pids, C(rss_mb), health details).
  returned: always
  type: dict
endpoints:
  description: Where to reach it (C(bootstrap_servers); C(controller_url), C(broker_url); C(rest_url)).
  returned: always
  type: dict
logs:
  description: The service's log files.
  returned: always
  type: list
  elements: str
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamstack.pipeline.plugins.module_utils import services
from ansible_collections.streamstack.pipeline.plugins.module_utils.local_stack import (
    LOCAL_ARGS,
    ArgumentError,
    build,
    endpoints,
    log_files,
    ready,
)


def _summary(service):
    return {"running": service.is_running(), "state_dir": service.state_dir}


def main():
    argument_spec = dict(
        LOCAL_ARGS,
        state=dict(type="str", choices=["started", "stopped", "absent"], default="started"),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=180),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params, state = module.params, module.params["state"]
    notes = []
    try:
        # Resolving jars writes only the cache, never the service: allowed in check mode.
        service = build(params, progress=notes.append, for_status=(state != "started"))
    except (ArgumentError, services.ServiceError) as exc:
        module.fail_json(msg="%s: %s" % (params["name"], exc))

    before = _summary(service)
    action, reasons, result = "none", [], {}
    try:
        if state == "started":
            pending = service.pending_config() if before["running"] else []
            if not before["running"]:
                action, reasons = "started", ["not running"]
            elif pending:
                action, reasons = "restarted", ["configuration differs: %s" % ", ".join(pending)]
            if not module.check_mode:
                if action == "restarted" and params["name"] != "flink":  # flink restarts itself, savepoint first
                    service.stop(timeout=min(60, params["timeout"]))
                result = service.start(timeout=params["timeout"], wait=params["wait"])
                if result.get("changed") and action == "none":
                    action, reasons = "started", ["configuration written"]
        elif state == "stopped":
            if before["running"]:
                action, reasons = "stopped", ["running"]
                if not module.check_mode:
                    service.stop(timeout=min(60, params["timeout"]))
        else:
            if os.path.exists(service.state_dir):
                action, reasons = "deleted", ["%s exists" % service.state_dir]
                if not module.check_mode:
                    service.stop(timeout=min(60, params["timeout"]))
                    shutil.rmtree(service.state_dir)
    except services.ServiceError as exc:
        module.fail_json(
            msg="%s: %s" % (params["name"], exc), action=action, reasons=reasons, logs=log_files(service), notes=notes
        )

    for note in notes:
        if "no savepoint" in note:  # the next start resumes from committed offsets: say so
            module.warn(note)
    after = dict(before)
    if action != "none":
        after["running"] = state == "started"
    out = dict(
        changed=action != "none",
        action=action,
        reasons=reasons,
        endpoints=endpoints(service),
        logs=log_files(service),
        notes=notes,
        diff={"before": before, "after": after},
    )
    if not module.check_mode and os.path.isdir(service.state_dir):
        out["status"] = service.status()
        out["status"]["ready"] = ready(service)
    else:
        out["status"] = before
    if result.get("seconds") is not None:
        out["seconds"] = result["seconds"]
    if result.get("restored_from"):
        out["restored_from"] = result["restored_from"]
    module.exit_json(**out)


if __name__ == "__main__":
    main()
