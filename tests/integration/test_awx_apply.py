"""awx/apply.yml against a stand-in AWX API (tests/harness/fake_controller.py).

--check on an empty controller writes nothing and lists what would be
created; the apply creates every object with its survey, credentials,
notifications, workflow links and schedules; a second apply reports
changed=0; --check after a change reports it and writes nothing.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from harness import awx
from harness.fake_controller import FakeController

ROOT = awx.ROOT
TOKEN = "test-token"
_RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@pytest.fixture
def controller():
    fake = FakeController(TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


def apply(controller, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CONTROLLER_", "STREAMSTACK_AWX_"))}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", CONTROLLER_HOST=controller.url,
               CONTROLLER_OAUTH_TOKEN=TOKEN, STREAMSTACK_AWX_AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE00",
               STREAMSTACK_AWX_AWS_SECRET_ACCESS_KEY="secret-key-never-logged",
               STREAMSTACK_AWX_FAILURE_WEBHOOK_URL="https://hooks.example.com/T000/B000/secret-hook", **(env_extra or {}))
    cmd = [str(awx.VENV_BIN / "ansible-playbook"), "awx/apply.yml",
           "-e", json.dumps({"awx_project_scm_url": "https://git.example.com/streamstack.git",
                             "awx_ee_image": "registry.example.com/streamstack-ee:1.0.0"}), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    recap = _RECAP.search(output)
    assert proc.returncode == 0 and recap, "apply %s failed (rc=%s):\n%s" % (args, proc.returncode, output[-6000:])
    assert "secret-key-never-logged" not in output and "secret-hook" not in output
    return int(recap.group(2)), output


def test_check_apply_again_and_check_a_change(controller):
    defs = awx.definitions()

    # -- --check on an empty controller: nothing written, everything listed ----------
    changed, output = apply(controller, "--check", "--diff")
    assert controller.writes() == []
    assert "Would be created" in output
    for kind in ("organizations", "projects", "job_templates", "workflow_job_templates"):
        for obj in defs[kind]:
            assert "%s/%s" % (kind, obj["name"]) in output

    # -- apply ---------------------------------------------------------------------
    changed, output = apply(controller)
    assert changed > 0
    for kind in ("organizations", "execution_environments", "credentials", "projects", "inventories",
                 "inventory_sources", "notification_templates", "job_templates", "workflow_job_templates", "schedules"):
        assert controller.names(kind) == sorted(o["name"] for o in defs[kind]), kind
    aws = controller.get("credentials", "streamstack AWS")
    assert aws["inputs"] == {"username": "AKIAEXAMPLEEXAMPLE00", "password": "$encrypted$"}
    hook = controller.get("notification_templates", "streamstack failures")
    for template in defs["job_templates"]:
        stored = controller.get("job_templates", template["name"])
        assert stored["playbook"] == template["playbook"] and stored["timeout"] == template["timeout"]
        assert controller.associated("job_templates", stored, "credentials") == [aws["id"]]
        assert controller.associated("job_templates", stored, "notification_templates_error") == [hook["id"]]
        if template.get("survey_enabled"):
            assert stored["survey_enabled"] is True
            assert controller.survey("job_templates", stored) == template["survey_spec"]
    workflow = controller.get("workflow_job_templates", "streamstack deploy and verify")
    nodes = {n["identifier"]: n for n in controller.store["workflow_job_template_nodes"].values()
             if n["workflow_job_template"] == workflow["id"]}
    assert nodes["deploy"]["unified_job_template"] == controller.get("job_templates", "streamstack deploy")["id"]
    assert controller.associated("workflow_job_template_nodes", nodes["deploy"], "success_nodes") == [nodes["verify"]["id"]]
    reaper = controller.get("schedules", "streamstack reaper every 15 minutes")
    assert reaper["rrule"].endswith("FREQ=MINUTELY;INTERVAL=15") and reaper["enabled"] is True
    assert reaper["unified_job_template"] == controller.get("job_templates", "streamstack reaper")["id"]
    source = controller.get("inventory_sources", "streamstack poc from git")
    assert (source["source"], source["source_path"]) == ("scm", "inventories/poc")

    # -- again: nothing to change ------------------------------------------------------
    before = len(controller.writes())
    changed, output = apply(controller)
    assert changed == 0, output[-4000:]
    assert len(controller.writes()) == before

    # -- --check with a change: reported, not written ----------------------------------
    changed, output = apply(controller, "--check", "--diff", "-e", "awx_pause_schedules_enabled=true")
    assert changed == 1, output[-4000:]  # one task, two items:
    for name in ("streamstack pause poc at night", "streamstack resume poc in the morning"):
        assert "changed: [localhost] => (item=%s)" % name in output
    assert "Every defined object exists" in output
    assert len(controller.writes()) == before
    assert controller.get("schedules", "streamstack pause poc at night")["enabled"] is False


def test_apply_refuses_without_its_inputs(controller):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CONTROLLER_", "STREAMSTACK_AWX_"))}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(awx.VENV_BIN / "ansible-playbook"), "awx/apply.yml"], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "awx_project_scm_url" in proc.stdout
    assert controller.requests == []
