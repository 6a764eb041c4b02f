# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local profile's services as the modules see them: one argument spec
(documented in doc_fragments/local_stack.py) and one constructor per service
over module_utils/services.py. No Ansible import."""

from __future__ import annotations

import os

from ansible_collections.streamstack.pipeline.plugins.module_utils import services

SERVICES = ("kafka", "pinot", "flink")

PORT_KEYS = {
    "kafka": ("broker", "controller"),
    "pinot": services.PinotService.PORT_KEYS,
    "flink": ("rest",),
}

LOCAL_ARGS = dict(
    name=dict(type="str", required=True, choices=list(SERVICES)),
    state_dir=dict(type="path", required=True),
    ports=dict(type="dict", required=True),
    java=dict(type="path"),
    jar_cache=dict(type="path"),
    pom=dict(type="path"),
    heap=dict(type="str"),
    flink_python=dict(type="path"),
    job_package=dict(type="path"),
    job_properties=dict(type="dict", default={}),
    job_name=dict(type="str"),
    kafka_properties=dict(type="dict", default={}),
)


class ArgumentError(ValueError):
    """The module's arguments do not describe a service."""


def _ports(name, ports):
    missing = [k for k in PORT_KEYS[name] if k not in (ports or {})]
    if missing:
        raise ArgumentError(
            "ports for %s must have the keys %s (missing: %s)" % (name, ", ".join(PORT_KEYS[name]), ", ".join(missing))
        )
    try:
        return {k: int(ports[k]) for k in PORT_KEYS[name]}
    except (TypeError, ValueError):
        raise ArgumentError("ports for %s must be integers, got %r" % (name, ports))


def build(params, progress=None, for_status=False):
    """The service object for the module parameters ``params``.

    ``for_status`` relaxes what only a start needs (jars, the job package)."""
    name = params["name"]
    ports = _ports(name, params.get("ports"))
    state_dir = os.path.join(params["state_dir"], name)
    if name in ("kafka", "pinot"):
        jar_dir = ""
        if not for_status:
            if not params.get("jar_cache") or not params.get("pom"):
                raise ArgumentError("%s needs jar_cache and pom (the POM that pins its version)" % name)
            jar_dir = services.resolve_jars(name, params["jar_cache"], pom=params["pom"], progress=progress)
        if name == "kafka":
            return services.KafkaService(
                state_dir,
                jar_dir,
                ports["broker"],
                ports["controller"],
                heap=params.get("heap") or "512m",
                java=params.get("java"),
                progress=progress,
                extra_properties=params.get("kafka_properties") or {},
            )
        return services.PinotService(
            state_dir, jar_dir, ports, heap=params.get("heap") or "1g", java=params.get("java"), progress=progress
        )
    if not for_status:
        for key in ("flink_python", "job_package"):
            if not params.get(key):
                raise ArgumentError("flink needs %s" % key)
    return services.FlinkJobService(
        state_dir,
        params.get("flink_python") or "python3",
        params.get("job_package") or os.devnull,
        params.get("job_properties") or {},
        ports["rest"],
        job_name=params.get("job_name"),
        java=params.get("java"),
        progress=progress,
    )


def ready(service):
    """Whether the service answers as healthy (never raises)."""
    try:
        return bool(service.is_running() and service.is_ready())
    except Exception:  # pylint: disable=broad-except
        return False


def endpoints(service):
    """The addresses a user reaches the service at."""
    if isinstance(service, services.KafkaService):
        return {"bootstrap_servers": service.bootstrap}
    if isinstance(service, services.PinotService):
        return {"controller_url": service.controller_url, "broker_url": service.broker_url, "zookeeper": service.zk_address}
    return {"rest_url": service.rest_url}


def log_files(service):
    logs = service.path("logs")
    try:
        return sorted(os.path.join(logs, f) for f in os.listdir(logs) if f.endswith(".log"))
    except OSError:
        return []
