#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: local_service_info
short_description: Whether a service of the local profile runs and answers health checks
version_added: 0.2.0
description:
  - Read-only. Reports whether the service's processes run (pid files under
    C(<state_dir>/<name>/run)) and whether it is B(ready) (Kafka answers a metadata request; every
    Pinot role's C(/health) is OK and its four instances are live; the Flink job and all its tasks
    are RUNNING). A dead process comes with the last lines of its log.
  - Made for C(until) loops after M(streamstack.pipeline.local_service) with C(wait=false), so a
    long start prints progress.
author:
  - streamstack maintainers
options:
  log_lines:
    description: Lines of the log returned when the service is not ready.
    type: int
    default: 30
extends_documentation_fragment:
  - streamstack.pipeline.local_stack
notes:
  - Supports C(check_mode) (it changes nothing). Only O(name), O(state_dir) and O(ports) matter;
    the other options are accepted so the same arguments serve both modules.
"""

EXAMPLES = r"""
- name: Wait for Pinot (up to 180 s), printing a line every 5 s
  streamstack.pipeline.local_service_info:
    name: pinot
    state_dir: "{{ playbook_dir }}/.local-stack"
    ports: {zookeeper: 2181, controller: 9000, broker: 8099, server: 8098, server_admin: 8097, minion: 9514}
  register: pinot
  until: pinot.ready or not pinot.running
  retries: 36
  delay: 5
"""

RETURN = r"""
running:
  description: The service's processes are alive.
  returned: always
  type: bool
ready:
  description: The service answers its health checks.
  returned: always
  type: bool
status:
  description: Pids, C(rss_mb), and per service details (Pinot role health, the Flink job).
  returned: always
  type: dict
endpoints:
  description: Where to reach it.
  returned: always
  type: dict
log_tail:
  description: The last O(log_lines) lines of each log file, when not ready.
  returned: when not ready
  type: dict
"""

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


def main():
    module = AnsibleModule(argument_spec=dict(LOCAL_ARGS, log_lines=dict(type="int", default=30)), supports_check_mode=True)
    try:
        service = build(module.params, for_status=True)
    except (ArgumentError, services.ServiceError) as exc:
        module.fail_json(msg="%s: %s" % (module.params["name"], exc))
    running = service.is_running()
    is_ready = ready(service)
    out = dict(changed=False, running=running, ready=is_ready, status=service.status(), endpoints=endpoints(service))
    if not is_ready:
        out["log_tail"] = {path: services.tail(path, module.params["log_lines"]) for path in log_files(service)}
    module.exit_json(**out)


if __name__ == "__main__":
    main()
