"""The job templates' playbooks, run the way AWX runs them, against the AWS emulator.

AWX (24.6.1, awx/main/tasks/jobs.py) gives ansible-runner a private data
directory holding:
  project/          the project synced from git: here the repository's tracked
                    and unignored files, copied (no .venv, .cache, outputs, dist)
  inventory/hosts   a script printing the inventory AWX imported from the
                    project's inventories/<env> (``ansible-inventory --list --export``)
  env/extravars     the launch's extra variables: survey defaults and answers,
                    AWX's meta variables, every string marked !unsafe
  env/cmdline       ``-u root``; env/settings: the template's timeout
and environment variables: AWX's ANSIBLE_* settings, the collections and roles
paths it derives from the project's ansible.cfg, the AWS credential's keys, and
what the execution environment sets (STREAMSTACK_FLINK_CONNECTOR_JAR). No
terminal answers anything: a prompt would hang until the idle timeout.

The emulator and the Kubernetes harness stand in for AWS and EKS; what they
need (the emulator's endpoint, the harness's kubeconfig, helm and the stand-in
chart, a fixed expiry) is set as inventory variables, where an AWX user would
set such things, not as extra variables the templates do not accept.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness import awx
from integration.awsstate import leftovers

ansible_runner = pytest.importorskip("ansible_runner")

ROOT = awx.ROOT
ENV_NAME = "poc"
JAR = ROOT / ".cache" / "jars" / "flink-sql-connector-kafka-5.0.0-2.2" / "flink-sql-connector-kafka-5.0.0-2.2.jar"


class _Unsafe(str):
    """A string AWX writes as !unsafe (no Jinja in extra variables)."""


def _unsafe_representer(dumper, data):
    return dumper.represent_scalar("!unsafe", str(data))


yaml.SafeDumper.add_representer(_Unsafe, _unsafe_representer)


def _mark_unsafe(value):
    if isinstance(value, str):
        return _Unsafe(value)
    if isinstance(value, dict):
        return {k: _mark_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_unsafe(v) for v in value]
    return value


def _synced_project(dest: Path) -> Path:
    """What AWX's project sync leaves: the files git would check out."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _imported_inventory(project: Path, inventory_vars: dict) -> dict:
    """The inventory AWX imports from the SCM source, with the given variables set on it."""
    proc = subprocess.run([str(awx.VENV_BIN / "ansible-inventory"), "-i", f"inventories/{ENV_NAME}", "--list", "--export"],
                          cwd=project, capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")})
    data = json.loads(proc.stdout)
    data["all"].setdefault("vars", {}).update(inventory_vars)
    for number, hostvars in enumerate(data["_meta"]["hostvars"].values(), start=1):
        hostvars.update(remote_tower_enabled="true", remote_tower_id=number)
    data["_meta"].pop("profile", None)
    return data


def _awx_paths(private: Path, project: Path) -> dict:
    """ANSIBLE_COLLECTIONS_PATH(S) and ANSIBLE_ROLES_PATH as AWX derives them from the project's ansible.cfg."""
    import configparser

    config = configparser.ConfigParser()
    config.read(project / "ansible.cfg")
    defaults = dict(config["defaults"]) if config.has_section("defaults") else {}
    env = {}
    for key, setting, folder, default in (
            ("ANSIBLE_COLLECTIONS_PATHS", "collections_paths", "requirements_collections", "~/.ansible/collections:/usr/share/ansible/collections"),
            ("ANSIBLE_ROLES_PATH", "roles_path", "requirements_roles", "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
            ("ANSIBLE_COLLECTIONS_PATH", "collections_path", "requirements_collections", "~/.ansible/collections:/usr/share/ansible/collections")):
        paths = default.split(":")
        if setting in defaults:
            paths = [defaults[setting]] + paths
        (private / folder).mkdir(exist_ok=True)
        env[key] = ":".join([str(private / folder)] + paths)
    return env


class AwxJobs:
    """Launches job templates of awx/definitions.yml as AWX would."""

    def __init__(self, base: Path, credential_env: dict, inventory_vars: dict):
        self.base = base
        self.credential_env = credential_env
        self.inventory_vars = inventory_vars
        self.templates = {t["playbook"]: t for t in awx.definitions()["job_templates"]}
        self.count = 0

    def launch(self, playbook: str, answers: dict | None = None, idle_timeout: int = 600):
        template = self.templates[playbook]
        answers = answers or {}
        survey = template.get("survey_spec") if template.get("survey_enabled") else None
        extra = {}
        if survey:
            errors = [e for q in survey["spec"] for e in awx.survey_answer_errors(q, {**awx.survey_defaults(survey), **answers})]
            assert not errors, "AWX would refuse to launch %s: %s" % (template["name"], errors)
            extra.update(awx.survey_defaults(survey))
            extra.update(answers)
        else:
            assert not answers, "%s has no survey: AWX would drop %s" % (template["name"], answers)
        self.count += 1
        private = self.base / f"job-{self.count}"
        project = _synced_project(private / "project")
        (private / "inventory").mkdir(parents=True)
        script = private / "inventory" / "hosts"
        script.write_text("#! %s\n# -*- coding: utf-8 -*-\nprint(%r)\n" % (
            awx.VENV_BIN / "python", json.dumps(_imported_inventory(project, self.inventory_vars))))
        script.chmod(0o700)
        meta = {"awx_job_id": self.count, "awx_job_launch_type": "manual", "awx_job_template_name": template["name"],
                "awx_inventory_name": template["inventory"], "awx_project_revision": "test",
                "awx_execution_node": "test", "awx_user_name": "admin"}
        (private / "env").mkdir()
        (private / "env" / "extravars").write_text(yaml.safe_dump(_mark_unsafe({**extra, **meta}), sort_keys=False))
        (private / "env" / "cmdline").write_text("-u root")
        (private / "env" / "settings").write_text(json.dumps({
            "job_timeout": template["timeout"], "idle_timeout": idle_timeout,
            "suppress_ansible_output": True, "suppress_output_file": True}))
        envvars = {
            "ANSIBLE_FORCE_COLOR": "True", "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True", "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
            "AWX_PRIVATE_DATA_DIR": str(private), "JOB_ID": str(self.count), "INVENTORY_ID": "1",
            "PROJECT_REVISION": "test", "ANSIBLE_RETRY_FILES_ENABLED": "False", "MAX_EVENT_RES": "700000",
            "AWX_HOST": "https://awx.example.com", "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private / "cp"),
            **_awx_paths(private, project),
            # The execution environment's own variable (awx/execution-environment.yml).
            "STREAMSTACK_FLINK_CONNECTOR_JAR": str(JAR),
            **self.credential_env,
        }
        (private / "cp").mkdir()
        runner = ansible_runner.run(private_data_dir=str(private), project_dir=str(project), playbook=playbook,
                                    inventory=str(script), envvars=envvars, ident=f"job-{self.count}", quiet=True)
        return Job(template, runner, extra)


class Job:
    def __init__(self, template, runner, extra):
        self.template, self.runner, self.extra = template, runner, extra
        self.events = list(runner.events)

    @property
    def output(self):
        return "".join(e.get("stdout", "") + "\n" for e in self.events)

    def stats(self):
        (stats,) = [e["event_data"] for e in self.events if e["event"] == "playbook_on_stats"]
        return stats

    def changed_tasks(self):
        return ["%s (%s)" % (e["event_data"].get("task"), e["event_data"].get("task_action"))
                for e in self.events if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")]

    def assert_ran(self):
        assert self.runner.status == "successful" and self.runner.rc == 0, \
            "%s: %s rc=%s\n%s" % (self.template["name"], self.runner.status, self.runner.rc, self.output[-6000:])

    def assert_nothing_prompted(self):
        kinds = {e["event"] for e in self.events}
        assert "playbook_on_vars_prompt" not in kinds
        actions = {e["event_data"].get("task_action") for e in self.events if e["event"] == "playbook_on_task_start"}
        assert not actions & {"pause", "ansible.builtin.pause", "ansible.legacy.pause"}, actions
        assert "Enter" not in self.output and "[y/N]" not in self.output


@pytest.fixture
def clean_environ(monkeypatch):
    """AWX builds the job's environment itself: none of the test runner's ANSIBLE_* settings leak in."""
    for key in list(os.environ):
        if key.startswith(("ANSIBLE_", "AWS_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", "%s:%s" % (awx.VENV_BIN, os.environ.get("PATH", "")))


def test_deploy_verify_teardown_run_as_awx_runs_them(aws_emulator, aws_env, tmp_path, kube_cluster, kube_nodes,
                                                      clean_environ):
    if not JAR.exists():
        pytest.skip("the Flink connector jar is not in .cache/jars (scripts/setup_flink.sh); the EE carries it")
    aws_emulator.reset()
    kube_nodes("t3.medium", 2, prefix=f"streamstack-{ENV_NAME}-nodes")
    credential = {"AWS_ACCESS_KEY_ID": aws_env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": aws_env["AWS_SECRET_ACCESS_KEY"],
                  # The emulator's fake keys must never reach for an instance profile.
                  "AWS_EC2_METADATA_DISABLED": "true"}
    inventory_vars = {
        "aws_endpoint_url": aws_emulator.url,
        "pinot_kubeconfig": str(kube_cluster.kubeconfig),
        "pinot_helm_binary": str(kube_cluster.bin_dir / "helm"),
        "pinot_chart_ref": str(ROOT / "tests" / "charts" / "pinot-standin"),
        "pinot_tables_schemas": [], "pinot_tables_tables": [], "verify_pinot": False,
        # A fixed expiry, else every deploy extends it (a change, by design).
        "ttl_expires_at": "2030-01-01T00:00:00Z",
    }
    jobs = AwxJobs(tmp_path, credential, inventory_vars)

    deploy = jobs.launch("deploy.yml")
    assert deploy.extra == {"cost_budget_override": "false"}, "the survey's defaults only"
    deploy.assert_ran()
    deploy.assert_nothing_prompted()
    assert leftovers(aws_emulator.url, "streamstack", ENV_NAME), "deploy created nothing"
    builds = [e for e in deploy.events if e["event"] == "runner_on_ok"
              and e["event_data"].get("task") == "Build the application zip (files/flink/package.py)"]
    assert builds and "--jar" in builds[0]["event_data"]["res"]["cmd"], "the EE's jar, not Maven"
    # The outputs are the job's artifacts (AWX keeps them, a workflow passes them on), not a
    # file in the job's checkout, which AWX deletes (and which would change on every deploy).
    outputs = deploy.stats()["artifact_data"]["stack_outputs"]
    assert outputs["environment"] == ENV_NAME and outputs["msk"]["cluster_arn"].startswith("arn:aws:kafka:")
    assert not list((tmp_path / "job-1" / "project").glob("outputs/*.json"))

    again = jobs.launch("deploy.yml")
    again.assert_ran()
    again.assert_nothing_prompted()
    assert sum(again.stats()["changed"].values()) == 0, "second deploy changed: %s" % again.changed_tasks()

    verify = jobs.launch("verify.yml")
    verify.assert_ran()
    verify.assert_nothing_prompted()
    assert sum(verify.stats()["changed"].values()) == 0

    # AWX refuses to launch teardown without the typed name; a wrong name stops it before any AWS call.
    with pytest.raises(AssertionError, match="teardown_confirm missing"):
        jobs.launch("teardown.yml")
    wrong = jobs.launch("teardown.yml", {"teardown_confirm": "staging"})
    assert wrong.runner.status == "failed" and "teardown_confirm" in wrong.output
    assert leftovers(aws_emulator.url, "streamstack", ENV_NAME)

    down = jobs.launch("teardown.yml", {"teardown_confirm": ENV_NAME})
    down.assert_ran()
    down.assert_nothing_prompted()
    # The code bucket stays unless teardown_delete_code_bucket names the environment, which the
    # template does not ask for (the reaper sets it); the leak audit accepts it and nothing else.
    left = leftovers(aws_emulator.url, "streamstack", ENV_NAME)
    assert [item.split()[0] for item in left] in ([], ["s3_bucket"]), left
