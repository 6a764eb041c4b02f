#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: local_environment
short_description: Check that this machine can run the local profile, before anything starts
version_added: 0.2.0
description:
  - Read-only. Checks, in one pass, everything the local profile needs from the machine and
    reports every problem at once, each naming the variable to change or the command to run.
  - C(java) runs and is one of O(java_major_versions) (Kafka 4.1 needs 17 or newer; Pinot 0.11.0
    and Flink 2.2 are known to run on 17 and 21).
  - Each port in O(ports) is free on 127.0.0.1, or held by the service of ours that uses it (its
    pid file under C(<state_dir>/<service>/run) names a live process).
  - The file system of O(state_dir) has O(min_free_disk_gb) free, the machine O(min_memory_gb) available.
  - Every path in O(required_paths) exists (the PyFlink environment, the job package...).
  - Maven is on C(PATH) when a service's jars are not in the cache yet.
author:
  - streamstack maintainers
options:
  java:
    description: The C(java) to check. Default C(JAVA_HOME), then C(PATH).
    type: path
  java_variable:
    description: The variable a user sets to choose another Java (named in the messages).
    type: str
    default: local_java
  java_major_versions:
    description: Java feature releases accepted.
    type: list
    elements: int
    default: [17, 21]
  state_dir:
    description: Root of the local profile's state (see M(streamstack.pipeline.local_service)).
    type: path
    required: true
  state_dir_variable:
    description: The variable that sets O(state_dir) (named in the messages).
    type: str
    default: local_stack_state_dir
  ports:
    description: The ports the profile will listen on.
    type: list
    elements: dict
    default: []
    suboptions:
      variable:
        description: The inventory variable that sets this port (named in the message).
        type: str
        required: true
      port:
        description: The TCP port on 127.0.0.1.
        type: int
        required: true
      service:
        description: The service of ours that listens there (C(kafka), C(pinot), C(flink)).
        type: str
        required: true
  min_free_disk_gb:
    description: Free space needed on the file system of O(state_dir), in GiB.
    type: float
    default: 4
  min_memory_gb:
    description: Memory that must be available (MemAvailable), in GiB, unless the services already run.
    type: float
    default: 4
  required_paths:
    description: Paths that must exist, each with the fix to tell the user when it does not.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The path.
        type: path
        required: true
      fix:
        description: What to do when it is missing.
        type: str
        required: true
  jar_dirs:
    description: Jar cache folders of the services; when one is missing, Maven must be on C(PATH).
    type: list
    elements: path
    default: []
  jar_cache:
    description: The version-keyed jar cache (see M(streamstack.pipeline.local_service)); used with O(poms).
    type: path
  poms:
    description:
      - The services' POMs (C(files/services/<service>/pom.xml)). Each names its jar folder in O(jar_cache)
        (C(<service>-<version>)); when one is not resolved yet, Maven must be on C(PATH).
    type: list
    elements: path
    default: []
  fail_on_problems:
    description: Fail when there is a problem (otherwise return them in RV(problems)).
    type: bool
    default: true
notes:
  - Supports C(check_mode) (it changes nothing).
"""

EXAMPLES = r"""
- name: Can this machine run the local profile?
  streamstack.pipeline.local_environment:
    state_dir: "{{ local_state_dir }}"
    ports:
      - {variable: local_kafka_port, port: 9092, service: kafka}
      - {variable: local_pinot_controller_port, port: 9000, service: pinot}
    required_paths:
      - {path: "{{ local_flink_python }}", fix: "run scripts/setup.sh (it builds .venv-flink)"}
"""

RETURN = r"""
problems:
  description: One sentence per problem, naming the variable or the command that fixes it.
  returned: always
  type: list
  elements: str
java:
  description: C(path), C(major) and C(version) (the first line of C(java -version)).
  returned: always
  type: dict
disk_free_gb:
  description: Free space on the file system of O(state_dir).
  returned: always
  type: float
memory_available_gb:
  description: MemAvailable of this machine.
  returned: always
  type: float
ports:
  description: Each port with C(free) and C(ours) (held by our running service).
  returned: always
  type: list
  elements: dict
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamstack.pipeline.plugins.module_utils import services


def check(params):
    """(problems, facts) for the module parameters."""
    problems = []
    java_path = services._java(params.get("java"))  # pylint: disable=protected-access
    java = {"path": java_path, "major": None, "version": None}
    variable = params["java_variable"]
    allowed = params["java_major_versions"]
    if not (os.path.isfile(java_path) and os.access(java_path, os.X_OK)):
        problems.append(
            "no Java found (%s, JAVA_HOME, PATH): install a JDK %s (e.g. apt install openjdk-17-jre-headless) "
            "or set %s to its bin/java" % (variable, " or ".join(map(str, allowed)), variable)
        )
    else:
        try:
            java["major"], java["version"] = services.java_version(java_path)
            if java["major"] not in allowed:
                problems.append(
                    "%s is Java %s (%s); the local profile needs Java %s: set %s (or JAVA_HOME) to one"
                    % (java_path, java["major"], java["version"], " or ".join(map(str, allowed)), variable)
                )
        except services.ServiceError as exc:
            problems.append("%s; set %s to a working JDK %s" % (exc, variable, " or ".join(map(str, allowed))))

    ports = []
    seen = {}
    for entry in params["ports"]:
        port, var = entry["port"], entry["variable"]
        if not 1024 <= port <= 65535:
            problems.append("%s=%s: choose a port between 1024 and 65535" % (var, port))
            continue
        if port in seen:
            problems.append("%s and %s are both %d: give each its own port" % (seen[port], var, port))
            continue
        seen[port] = var
        ours = services.service_running(params["state_dir"], entry["service"])
        free = services.port_free(port)
        ports.append({"variable": var, "port": port, "service": entry["service"], "free": free, "ours": ours})
        if not free and not ours:
            problems.append(
                "port %d (%s, for %s) is already in use by another program: stop it, or set %s to a free port"
                % (port, var, entry["service"], var)
            )

    disk = services.free_disk_gb(params["state_dir"])
    if disk < params["min_free_disk_gb"]:
        problems.append(
            "only %.1f GiB free on the file system of %s (%s); the local profile needs %.1f GiB: "
            "free space or point %s elsewhere"
            % (disk, params["state_dir"], params["state_dir_variable"], params["min_free_disk_gb"], params["state_dir_variable"])
        )
    memory = services.memory_available_gb()
    any_running = any(p["ours"] for p in ports)
    if memory is not None and not any_running and memory < params["min_memory_gb"]:
        problems.append(
            "only %.1f GiB of memory available; Kafka, Pinot and Flink need about %.1f GiB: close other programs"
            % (memory, params["min_memory_gb"])
        )
    for entry in params["required_paths"]:
        if not os.path.exists(entry["path"]):
            problems.append("%s does not exist: %s" % (entry["path"], entry["fix"]))
    cold = [d for d in params["jar_dirs"] if not os.path.isdir(d)]
    for pom in params.get("poms") or []:
        service = os.path.basename(os.path.dirname(pom))
        try:
            version = services.pom_version(pom, service)
        except (OSError, services.ServiceError, ValueError) as exc:
            problems.append("cannot read the version from %s: %s" % (pom, exc))
            continue
        jar_dir = os.path.join(params.get("jar_cache") or "", "%s-%s" % (service, version))
        if not os.path.isfile(os.path.join(jar_dir, services.MARKER)):
            cold.append(jar_dir)
    if cold and not shutil.which("mvn"):
        problems.append(
            "Maven (mvn) is not on PATH and the jars are not cached yet (%s): install Maven "
            "(apt install maven) or copy the cache from a machine that has it" % ", ".join(cold)
        )
    return problems, {"java": java, "disk_free_gb": disk, "memory_available_gb": memory, "ports": ports}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            java=dict(type="path"),
            java_variable=dict(type="str", default="local_java"),
            java_major_versions=dict(type="list", elements="int", default=[17, 21]),
            state_dir=dict(type="path", required=True),
            state_dir_variable=dict(type="str", default="local_stack_state_dir"),
            ports=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    variable=dict(type="str", required=True),
                    port=dict(type="int", required=True),
                    service=dict(type="str", required=True),
                ),
            ),
            min_free_disk_gb=dict(type="float", default=4),
            min_memory_gb=dict(type="float", default=4),
            required_paths=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(path=dict(type="path", required=True), fix=dict(type="str", required=True)),
            ),
            jar_dirs=dict(type="list", elements="path", default=[]),
            jar_cache=dict(type="path"),
            poms=dict(type="list", elements="path", default=[]),
            fail_on_problems=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    problems, facts = check(module.params)
    if problems and module.params["fail_on_problems"]:
        module.fail_json(
            msg="this machine cannot run the local profile yet:\n- " + "\n- ".join(problems), problems=problems, **facts
        )
    module.exit_json(changed=False, problems=problems, **facts)


if __name__ == "__main__":
    main()
