#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: flink_job_info
short_description: Jobs of an Apache Flink cluster and whether they really run, from its REST API
version_added: 0.1.0
description:
  - Read-only. Lists the jobs of a Flink REST endpoint (a JobManager, or a local MiniCluster that
    serves REST, such as the PyFlink job of this repository started with C(local.rest.port)) with
    C(GET /jobs/overview), then asks C(GET /jobs/<id>) of every selected job for its state and the
    state of each task of each vertex.
  - A job shows C(RUNNING) before its tasks do (they go through C(CREATED), C(SCHEDULED),
    C(DEPLOYING), C(INITIALIZING) first, for seconds, or for ever when no slot is free). A job is
    therefore B(healthy) only when its state is C(RUNNING) B(and) every task of every vertex is
    C(RUNNING) (RV(jobs[].tasks_running) equals RV(jobs[].tasks_total)).
  - With O(expect_running) the result is healthy when at least one selected job is healthy; older
    jobs of the same name that finished, failed or were cancelled do not count against it.
    Without it, healthy only means the REST API answered.
  - An unreachable REST API is unhealthy, with a problem naming the URL. With O(fail_on_unhealthy)
    the module then fails; otherwise it returns C(healthy=false) and the RV(problems), which suits
    C(until) loops.
author:
  - streamstack maintainers
options:
  rest_url:
    description:
      - Base URL of the Flink REST API, C(http://) or C(https://), for example C(http://127.0.0.1:8081).
        It may carry a path prefix (a proxy).
    type: str
    required: true
  job_name:
    description:
      - Only jobs whose name equals this (the PyFlink job sets C(pipeline.name), for example
        C(streamstack-events-1.0.0)). All jobs when omitted.
    type: str
  expect_running:
    description: Require at least one selected job to be healthy (see the description).
    type: bool
    default: true
  fail_on_unhealthy:
    description: Fail when not healthy (otherwise report it in RV(problems)).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each HTTP response.
    type: int
    default: 10
  validate_certs:
    description: Verify the server's TLS certificate on C(https://) URLs.
    type: bool
    default: true
notes:
  - Supports C(check_mode) (it changes nothing).
  - Amazon Managed Service for Apache Flink does not expose this REST API; use
    M(streamstack.pipeline.msf_application_info) there.
"""

EXAMPLES = r"""
- name: Wait until the local Flink job runs with all its tasks
  streamstack.pipeline.flink_job_info:
    rest_url: http://127.0.0.1:8081
    job_name: streamstack-events-1.0.0
    fail_on_unhealthy: false
  register: flink
  until: flink.healthy
  retries: 30
  delay: 2

- name: List every job without judging them
  streamstack.pipeline.flink_job_info:
    rest_url: http://flink-jobmanager.flink.svc:8081
    expect_running: false
  register: flink_jobs
"""

RETURN = r"""
healthy:
  description:
    - With O(expect_running), true when at least one selected job is C(RUNNING) with all its tasks
      C(RUNNING); without it, true when the REST API answered.
  returned: always
  type: bool
problems:
  description: One sentence per problem found (empty when healthy).
  returned: always
  type: list
  elements: str
  sample: ["job streamstack-events-1.0.0 (464a53f1...) is RUNNING but only 0/1 tasks run (INITIALIZING 1)"]
rest_url:
  description: The URL asked.
  returned: always
  type: str
flink_version:
  description: The version the REST API reports (C(GET /config)), when it does.
  returned: when the REST API answered
  type: str
  sample: 2.2.1
jobs:
  description: The selected jobs, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Job id.
      type: str
    name:
      description: Job name.
      type: str
    state:
      description: Job state (C(RUNNING), C(FINISHED), C(FAILED), C(CANCELED), C(RESTARTING)...).
      type: str
    start_time:
      description: Start time, epoch milliseconds.
      type: int
    duration_ms:
      description: How long the job has run (or ran), milliseconds.
      type: int
    tasks_running:
      description: Tasks (subtasks of all vertices) in state C(RUNNING).
      type: int
    tasks_total:
      description: All tasks of the job (the sum of the vertices' parallelism).
      type: int
    task_states:
      description: Number of tasks by state, states with no task left out.
      type: dict
      sample: {"RUNNING": 1}
    healthy:
      description: State C(RUNNING) and every task C(RUNNING).
      type: bool
"""

import json
import socket
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url


class FlinkRestError(Exception):
    """A Flink REST call failed (unreachable, wrong status, not JSON)."""


# ---------------------------------------------------------------------------
# Pure functions (unit-tested in tests/unit/test_flink_job_info.py)
# ---------------------------------------------------------------------------


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_overview(body):
    """``GET /jobs/overview`` -> ``[{id, name, state, start_time, duration_ms, tasks_running, tasks_total}]``.

    The overview's own task counts (lower-case keys) are kept as a fallback for when
    ``/jobs/<id>`` cannot be read."""
    if not isinstance(body, dict) or not isinstance(body.get("jobs"), list):
        raise FlinkRestError('GET /jobs/overview: expected {"jobs": [...]}, got %s' % _snippet(body))
    jobs = []
    for item in body["jobs"]:
        if not isinstance(item, dict) or not item.get("jid"):
            continue
        tasks = item.get("tasks") if isinstance(item.get("tasks"), dict) else {}
        jobs.append(
            {
                "id": str(item["jid"]),
                "name": str(item.get("name", "")),
                "state": str(item.get("state", "UNKNOWN")).upper(),
                "start_time": _int(item.get("start-time"), None),
                "duration_ms": _int(item.get("duration"), None),
                "tasks_running": _int(tasks.get("running")),
                "tasks_total": _int(tasks.get("total")),
                "task_states": {k.upper(): _int(v) for k, v in tasks.items() if k != "total" and _int(v)},
            }
        )
    jobs.sort(key=lambda j: (j["start_time"] or 0, j["id"]), reverse=True)
    return jobs


def task_counts(detail):
    """``(running, total, {state: n})`` of a ``GET /jobs/<id>`` answer.

    Each vertex has ``tasks`` (``{"RUNNING": n, "DEPLOYING": m, ...}``, one count per subtask)
    and ``parallelism``. The total is the larger of the parallelism and the counted subtasks.
    Without vertices, ``status-counts`` (one count per vertex) stands in."""
    states = {}
    total = 0
    vertices = detail.get("vertices") if isinstance(detail, dict) else None
    if isinstance(vertices, list) and vertices:
        for vertex in vertices:
            if not isinstance(vertex, dict):
                continue
            tasks = vertex.get("tasks") if isinstance(vertex.get("tasks"), dict) else {}
            counted = 0
            for state, count in tasks.items():
                count = _int(count)
                if count:
                    states[state.upper()] = states.get(state.upper(), 0) + count
                    counted += count
            total += max(_int(vertex.get("parallelism")), counted)
    elif isinstance(detail, dict) and isinstance(detail.get("status-counts"), dict):
        for state, count in detail["status-counts"].items():
            count = _int(count)
            if count:
                states[state.upper()] = states.get(state.upper(), 0) + count
                total += count
    return states.get("RUNNING", 0), total, states


def merge_detail(job, detail):
    """The overview entry ``job`` with state and task counts from its ``/jobs/<id>`` answer."""
    job = dict(job)
    if isinstance(detail, dict):
        if detail.get("state"):
            job["state"] = str(detail["state"]).upper()
        if detail.get("duration") is not None:
            job["duration_ms"] = _int(detail.get("duration"), job.get("duration_ms"))
        if detail.get("vertices") or detail.get("status-counts"):
            running, total, states = task_counts(detail)
            job.update(tasks_running=running, tasks_total=total, task_states=states)
    return job


def job_healthy(job):
    return job["state"] == "RUNNING" and job["tasks_total"] > 0 and job["tasks_running"] == job["tasks_total"]


def describe_job(job):
    """One sentence on why ``job`` is not healthy."""
    label = "job %s (%s)" % (job["name"] or "?", job["id"])
    if job["state"] != "RUNNING":
        return "%s is %s" % (label, job["state"])
    if job["tasks_total"] == 0:
        return "%s is RUNNING but reports no task" % label
    others = ", ".join("%s %d" % (s, n) for s, n in sorted(job["task_states"].items()) if s != "RUNNING")
    return "%s is RUNNING but only %d/%d tasks run%s" % (
        label,
        job["tasks_running"],
        job["tasks_total"],
        " (%s)" % others if others else "",
    )


def select(jobs, job_name=None):
    return [j for j in jobs if job_name is None or j["name"] == job_name]


def evaluate(jobs, job_name=None, expect_running=True):
    """``(jobs with 'healthy', healthy, problems)`` for the selected ``jobs``."""
    jobs = [dict(j, healthy=job_healthy(j)) for j in jobs]
    if not expect_running:
        return jobs, True, []
    if any(j["healthy"] for j in jobs):
        return jobs, True, []
    if not jobs:
        what = "no job named %s" % job_name if job_name is not None else "no job"
        return jobs, False, ["%s on this Flink cluster (expected one RUNNING)" % what]
    # Running-but-not-ready first: they are the ones to wait for.
    ordered = sorted(jobs, key=lambda j: j["state"] != "RUNNING")
    return jobs, False, [describe_job(j) for j in ordered]


def _snippet(body, limit=300):
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=True, default=str)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


class FlinkRest:
    def __init__(self, base_url, timeout=10, validate_certs=True):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise FlinkRestError("rest_url must start with http:// or https://, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs

    def get(self, path):
        url = self.base_url + path
        try:
            resp = open_url(
                url,
                method="GET",
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                follow_redirects="safe",
            )
            raw = resp.read()
        except HTTPError as exc:
            try:
                raw = exc.read()
            except Exception:  # pylint: disable=broad-except  # body is best effort
                raw = b""
            raise FlinkRestError(
                "GET %s answered HTTP %s: %s" % (url, exc.code, _snippet(raw.decode("utf-8", "replace")))
            )
        except (URLError, UrlsConnectionError, socket.timeout, ssl.SSLError, OSError) as exc:
            raise FlinkRestError("GET %s failed: %s" % (url, getattr(exc, "reason", None) or exc))
        try:
            return json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            raise FlinkRestError("GET %s: the answer is not JSON: %s" % (url, _snippet(raw.decode("utf-8", "replace"))))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            rest_url=dict(type="str", required=True),
            job_name=dict(type="str"),
            expect_running=dict(type="bool", default=True),
            fail_on_unhealthy=dict(type="bool", default=True),
            timeout=dict(type="int", default=10),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url = params["rest_url"]
    if params["timeout"] <= 0:
        module.fail_json(msg="flink_job_info: timeout must be more than 0, got %s" % params["timeout"])
    result = dict(changed=False, healthy=False, problems=[], rest_url=url, jobs=[])

    def finish():
        if result["problems"]:
            result["healthy"] = False
        if not result["healthy"] and params["fail_on_unhealthy"]:
            module.fail_json(msg="Flink at %s is unhealthy: %s" % (url, "; ".join(result["problems"])), **result)
        module.exit_json(**result)

    try:
        rest = FlinkRest(url, timeout=params["timeout"], validate_certs=params["validate_certs"])
    except FlinkRestError as exc:
        module.fail_json(msg="flink_job_info: %s" % exc, **result)
    try:
        jobs = parse_overview(rest.get("/jobs/overview"))
    except FlinkRestError as exc:
        result["problems"].append("REST API unreachable or unusable: %s" % exc)
        finish()
    try:
        config = rest.get("/config")
        if isinstance(config, dict) and config.get("flink-version"):
            result["flink_version"] = str(config["flink-version"])
    except FlinkRestError:
        pass  # informative only

    selected = select(jobs, params["job_name"])
    detailed = []
    for job in selected:
        try:
            job = merge_detail(job, rest.get("/jobs/%s" % quote(job["id"])))
        except FlinkRestError:
            pass  # gone meanwhile, or a proxy hiding it: the overview's own task counts stand
        detailed.append(job)
    result["jobs"], result["healthy"], result["problems"] = evaluate(
        detailed, params["job_name"], params["expect_running"]
    )
    finish()


if __name__ == "__main__":
    main()
