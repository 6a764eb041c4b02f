"""AWX stand-in: launches the job templates of awx/definitions.yml the way AWX runs them.

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

    jobs = AwxJobs(tmp_path, credential_env, inventory_vars)   # inventory_vars: what an AWX user sets on the inventory
    job = jobs.launch("deploy.yml", answers={...})             # survey answers, checked as AWX checks them
    job.assert_ran(); job.stats(); job.changed_tasks()
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import ansible_runner
import yaml

from harness import awx

ROOT = awx.ROOT
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


def revision() -> str:
    """The commit AWX synced the project at (the working tree's, here: see _synced_project)."""
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def _imported_inventory(project: Path, env_name: str, inventory_vars: dict) -> dict:
    """The inventory AWX imports from the SCM source, with the given variables set on it."""
    proc = subprocess.run([str(awx.VENV_BIN / "ansible-inventory"), "-i", f"inventories/{env_name}", "--list", "--export"],
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

    def __init__(self, base: Path, credential_env: dict, inventory_vars: dict, env_name: str = "poc"):
        self.base = base
        self.env_name = env_name
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
            awx.VENV_BIN / "python", json.dumps(_imported_inventory(project, self.env_name, self.inventory_vars))))
        script.chmod(0o700)
        meta = {"awx_job_id": self.count, "awx_job_launch_type": "manual", "awx_job_template_name": template["name"],
                "awx_inventory_name": template["inventory"], "awx_project_revision": revision(),
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
