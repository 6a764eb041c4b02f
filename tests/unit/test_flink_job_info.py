"""Unit tests of the flink_job_info module: the parsing of Flink's REST answers (shapes
measured on Flink 2.2.1's MiniCluster) and the module end to end against a tiny
stand-in REST server (a job RUNNING whose task is still INITIALIZING, a 404, no JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.modules import flink_job_info as fji  # noqa: E402

JOB_ID = "464a53f102c51a2edf30762ad344aa5c"
NAME = "streamstack-events-1.0.0"
ALL_STATES = ("CANCELED", "CREATED", "SCHEDULED", "FAILED", "DEPLOYING", "INITIALIZING", "FINISHED",
              "RECONCILING", "CANCELING", "RUNNING")


def overview(state="RUNNING", running=0, initializing=1, total=1, jid=JOB_ID, name=NAME, start=1795520086663):
    """GET /jobs/overview as Flink 2.2.1 answers it: the job is RUNNING, its one task INITIALIZING."""
    return {"jid": jid, "name": name, "start-time": start, "end-time": -1, "duration": 971, "state": state,
            "last-modification": 1795520087451,
            "tasks": {"running": running, "canceling": 0, "canceled": 0, "total": total, "created": 0,
                      "scheduled": 0, "deploying": 0, "reconciling": 0, "finished": 0,
                      "initializing": initializing, "failed": 0},
            "pending-operators": 0}


def tasks(**counts):
    return {s: counts.get(s, 0) for s in ALL_STATES}


def detail(state="RUNNING", vertices=None, jid=JOB_ID):
    """GET /jobs/<id> (trimmed): vertices with per-state subtask counts, and status-counts per vertex."""
    vertices = vertices if vertices is not None else [{"id": "v1", "name": "Source: raw_events[1] -> ...",
                                                       "parallelism": 1, "status": "RUNNING", "tasks": tasks(RUNNING=1)}]
    return {"jid": jid, "name": NAME, "state": state, "job-type": "STREAMING", "start-time": 1795520086663,
            "end-time": -1, "duration": 34909, "vertices": vertices,
            "status-counts": tasks(RUNNING=len(vertices))}


# --------------------------------------------------------------------------- parsing


def test_overview_keeps_its_task_counts_and_sorts_newest_first():
    jobs = fji.parse_overview({"jobs": [overview(jid="old", start=1), overview(), {"name": "no id"}]})
    assert [j["id"] for j in jobs] == [JOB_ID, "old"]
    job = jobs[0]
    assert job == {"id": JOB_ID, "name": NAME, "state": "RUNNING", "start_time": 1795520086663, "duration_ms": 971,
                   "tasks_running": 0, "tasks_total": 1, "task_states": {"INITIALIZING": 1}}


@pytest.mark.parametrize("body", [None, [], {"jobs": "x"}, "<html>"])
def test_overview_of_another_shape_is_an_error(body):
    with pytest.raises(fji.FlinkRestError, match="jobs/overview"):
        fji.parse_overview(body)


def test_task_counts_add_up_every_vertex():
    vertices = [
        {"parallelism": 2, "tasks": tasks(RUNNING=2)},
        {"parallelism": 2, "tasks": tasks(RUNNING=1, DEPLOYING=1)},
    ]
    assert fji.task_counts(detail(vertices=vertices)) == (3, 4, {"RUNNING": 3, "DEPLOYING": 1})


def test_task_counts_use_the_parallelism_when_tasks_are_not_listed_yet():
    assert fji.task_counts(detail(vertices=[{"parallelism": 3, "tasks": {}}])) == (0, 3, {})


def test_task_counts_fall_back_to_status_counts():
    body = {"state": "RUNNING", "status-counts": tasks(RUNNING=1, SCHEDULED=1)}
    assert fji.task_counts(body) == (1, 2, {"RUNNING": 1, "SCHEDULED": 1})


def test_merge_detail_takes_state_and_tasks_from_the_job_itself():
    job = fji.parse_overview({"jobs": [overview()]})[0]
    merged = fji.merge_detail(job, detail())
    assert (merged["state"], merged["tasks_running"], merged["tasks_total"], merged["duration_ms"]) == ("RUNNING", 1, 1, 34909)
    assert job["tasks_running"] == 0  # the overview entry itself is untouched
    restarting = fji.merge_detail(job, detail(state="RESTARTING", vertices=[{"parallelism": 1, "tasks": tasks(CANCELED=1)}]))
    assert restarting["state"] == "RESTARTING" and restarting["tasks_running"] == 0


def _job(state="RUNNING", running=1, total=1, name=NAME, jid=JOB_ID, **states):
    return {"id": jid, "name": name, "state": state, "start_time": 1, "duration_ms": 1,
            "tasks_running": running, "tasks_total": total, "task_states": states or ({"RUNNING": running} if running else {})}


def test_running_job_whose_tasks_are_not_running_is_not_healthy():
    jobs, healthy, problems = fji.evaluate([_job(running=0, INITIALIZING=1)])
    assert not healthy and not jobs[0]["healthy"]
    assert problems == ["job %s (%s) is RUNNING but only 0/1 tasks run (INITIALIZING 1)" % (NAME, JOB_ID)]


def test_one_healthy_job_is_enough_old_failed_ones_do_not_count():
    jobs, healthy, problems = fji.evaluate([_job(state="FAILED", running=0, jid="old"), _job()])
    assert healthy and problems == []
    assert [j["healthy"] for j in jobs] == [False, True]


def test_problems_name_each_job_running_ones_first():
    _, healthy, problems = fji.evaluate([_job(state="CANCELED", running=0, jid="a"), _job(running=1, total=2, jid="b", RUNNING=1, DEPLOYING=1)])
    assert not healthy
    assert problems == ["job %s (b) is RUNNING but only 1/2 tasks run (DEPLOYING 1)" % NAME, "job %s (a) is CANCELED" % NAME]


def test_a_job_with_no_task_is_not_healthy():
    _, healthy, problems = fji.evaluate([_job(running=0, total=0)])
    assert not healthy and problems == ["job %s (%s) is RUNNING but reports no task" % (NAME, JOB_ID)]


def test_no_selected_job():
    assert fji.evaluate([], "nosuch")[1:] == (False, ["no job named nosuch on this Flink cluster (expected one RUNNING)"])
    assert fji.evaluate([])[2] == ["no job on this Flink cluster (expected one RUNNING)"]
    assert fji.evaluate([], "nosuch", expect_running=False)[1:] == (True, [])


def test_select_by_exact_name():
    jobs = [_job(name="a"), _job(name="ab"), _job(name="a", jid="2")]
    assert [j["id"] for j in fji.select(jobs, "a")] == [JOB_ID, "2"]
    assert fji.select(jobs) == jobs


# --------------------------------------------------------------------------- the module, against a stand-in server


class _Flink(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802
        status, body = self.routes.get(self.path, (404, {"errors": ["Not found: " + self.path]}))
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def flink():
    server = HTTPServer(("127.0.0.1", 0), _Flink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, "http://127.0.0.1:%d" % server.server_port
    finally:
        server.shutdown()
        server.server_close()


def run_module(tmp_path, **args):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_collections.streamstack.pipeline.plugins.modules.flink_job_info", str(path)],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT / "collections"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    return json.loads(proc.stdout)


def test_module_waits_for_tasks_not_only_for_the_job(flink, tmp_path):
    server, url = flink
    _Flink.routes = {
        "/jobs/overview": (200, {"jobs": [overview()]}),
        "/jobs/" + JOB_ID: (200, detail(vertices=[{"parallelism": 1, "tasks": tasks(INITIALIZING=1)}])),
        "/config": (200, {"flink-version": "2.2.1"}),
    }
    out = run_module(tmp_path, rest_url=url, job_name=NAME, fail_on_unhealthy=False)
    assert not out.get("failed") and not out["healthy"] and out["changed"] is False
    assert out["jobs"][0]["state"] == "RUNNING" and out["jobs"][0]["tasks_running"] == 0
    assert out["problems"] == ["job %s (%s) is RUNNING but only 0/1 tasks run (INITIALIZING 1)" % (NAME, JOB_ID)]
    failed = run_module(tmp_path, rest_url=url, job_name=NAME)
    assert failed["failed"] and failed["msg"] == "Flink at %s is unhealthy: %s" % (url, out["problems"][0])

    _Flink.routes["/jobs/" + JOB_ID] = (200, detail())
    out = run_module(tmp_path, rest_url=url + "/", job_name=NAME, _ansible_check_mode=True)
    assert out["healthy"] and out["problems"] == [] and out["flink_version"] == "2.2.1"
    assert out["jobs"] == [{"id": JOB_ID, "name": NAME, "state": "RUNNING", "start_time": 1795520086663,
                            "duration_ms": 34909, "tasks_running": 1, "tasks_total": 1,
                            "task_states": {"RUNNING": 1}, "healthy": True}]


def test_module_keeps_the_overview_counts_when_the_job_cannot_be_read(flink, tmp_path):
    _, url = flink
    _Flink.routes = {"/jobs/overview": (200, {"jobs": [overview(running=1, initializing=0)]})}
    out = run_module(tmp_path, rest_url=url)
    assert out["healthy"] and out["jobs"][0]["tasks_running"] == 1 and "flink_version" not in out


@pytest.mark.parametrize(
    "route,expected",
    [
        ((404, {"errors": ["Not found"]}), "answered HTTP 404"),
        ((200, "<html>not json</html>"), "the answer is not JSON"),
    ],
)
def test_module_reports_an_unusable_api(flink, tmp_path, route, expected):
    _, url = flink
    _Flink.routes = {"/jobs/overview": route}
    out = run_module(tmp_path, rest_url=url, fail_on_unhealthy=False)
    assert not out["healthy"] and len(out["problems"]) == 1
    assert out["problems"][0].startswith("REST API unreachable or unusable: GET %s/jobs/overview" % url)
    assert expected in out["problems"][0]


def test_module_rejects_a_url_without_scheme(tmp_path):
    out = run_module(tmp_path, rest_url="127.0.0.1:8081")
    assert out["failed"] and out["msg"] == "flink_job_info: rest_url must start with http:// or https://, got '127.0.0.1:8081'"
