"""What the AWX tests share: the definitions as apply.yml sees them, AWX's own
survey rules, the awx.awx modules' argument specs, and which roles a playbook runs.

* ``definitions()``: awx/definitions.yml rendered by Ansible with awx/settings.yml
  (and sample values for the inputs the settings leave empty), exactly the
  values awx/apply.yml hands to the modules.
* ``survey_spec_errors(spec)``: the checks AWX's API applies when a survey is
  saved (awx/api/views: JobTemplateSurveySpec._validate_spec_data, AWX 24.6.1),
  re-implemented here; ``survey_answer_errors`` the per-answer validation
  (awx/main/models/mixins.py ``_survey_element_validation``) and
  ``survey_defaults`` which defaults AWX turns into extra variables at launch.
* ``module_argument_spec(name)``: an awx.awx module's argument spec, from
  ``ansible-doc --json`` (its DOCUMENTATION, which the collection's sanity tests
  keep equal to the code's spec), ready for ArgumentSpecValidator.
* ``roles_of_playbook(path)``: every (role, entry point) a playbook reaches,
  through import_playbook, play roles, import_role/include_role, also inside roles.
"""
from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
AWX_DIR = ROOT / "awx"

# Values for what awx/settings.yml leaves to whoever applies.
SAMPLE_INPUTS = {
    "controller_host": "https://awx.example.com",
    "controller_oauthtoken": "sample-token",
    "awx_project_scm_url": "https://git.example.com/streamstack.git",
    "awx_ee_image": "registry.example.com/streamstack-ee:1.0.0",
    "awx_aws_access_key_id": "AKIAEXAMPLEEXAMPLE00",
    "awx_aws_secret_access_key": "sample-secret",
    "awx_failure_webhook_url": "https://hooks.example.com/streamstack",
}
KINDS = ("organizations", "execution_environments", "credentials", "projects", "inventories",
         "inventory_sources", "notification_templates", "job_templates", "workflow_job_templates", "schedules")
# The awx.awx module that applies each list (awx_<kind>).
MODULE_OF = {
    "organizations": "organization", "execution_environments": "execution_environment",
    "credentials": "credential", "projects": "project", "inventories": "inventory",
    "inventory_sources": "inventory_source", "notification_templates": "notification_template",
    "job_templates": "job_template", "workflow_job_templates": "workflow_job_template",
    "schedules": "schedule",
}


def _env():
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0"}


@functools.lru_cache(maxsize=None)
def _rendered(extra_json: str) -> dict:
    extra = json.loads(extra_json)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "definitions.json"
        play = [{
            "name": "Render the AWX definitions",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars_files": [str(AWX_DIR / "settings.yml"), str(AWX_DIR / "definitions.yml")],
            "tasks": [{
                "name": "Write them",
                "ansible.builtin.copy": {
                    "dest": str(out),
                    "mode": "0600",
                    "content": "{{ {%s} | to_json }}" % ", ".join("'%s': awx_%s" % (k, k) for k in KINDS),
                },
            }],
        }]
        path = Path(tmp) / "render.yml"
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(path), "-e", json.dumps(extra)],
                              cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return json.loads(out.read_text())


def definitions(**overrides) -> dict:
    """{kind: [module parameters, ...]} as awx/apply.yml passes them."""
    return _rendered(json.dumps({**SAMPLE_INPUTS, **overrides}, sort_keys=True))


def raw_definitions() -> dict:
    return yaml.safe_load((AWX_DIR / "definitions.yml").read_text())


# ------------------------------------------------------------------ awx.awx module specs

@functools.lru_cache(maxsize=None)
def _module_docs() -> dict:
    names = ["awx.awx." + m for m in sorted(set(MODULE_OF.values()))]
    proc = subprocess.run([str(VENV_BIN / "ansible-doc"), "--json", *names], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


_SPEC_KEYS = ("type", "required", "default", "choices", "elements", "aliases", "no_log")


def _doc_to_spec(options: dict) -> dict:
    spec = {}
    for name, doc in options.items():
        entry = {k: doc[k] for k in _SPEC_KEYS if k in doc}
        entry.setdefault("type", "str")
        if "suboptions" in doc:
            entry["options"] = _doc_to_spec(doc["suboptions"])
        spec[name] = entry
    return spec


def module_argument_spec(module: str) -> dict:
    """The argument spec of awx.awx.<module> (short name), from its documentation."""
    return _doc_to_spec(_module_docs()["awx.awx." + module]["doc"]["options"])


# ------------------------------------------------------------------ AWX's survey rules

SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "integer": int, "float": (float, int),
                "multiplechoice": str, "multiselect": str}


def _choices(question):
    choices = question.get("choices", [])
    if isinstance(choices, str):
        choices = [c for c in choices.splitlines() if c.strip()]
    return list(choices)


def survey_spec_errors(spec: dict) -> list[str]:
    """Why AWX's API would refuse this survey spec (empty when it accepts it)."""
    errors = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), kind):
            errors.append("survey field %r missing or not a %s" % (field, kind.__name__))
    if errors:
        return errors
    if not spec["spec"]:
        errors.append("'spec' has no question")
    seen = set()
    for idx, question in enumerate(spec["spec"]):
        where = "question %d (%s)" % (idx, question.get("variable"))
        for field, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            if not isinstance(question.get(field), kind):
                errors.append("%s: %r missing or not a %s" % (where, field, kind.__name__))
        if question.get("variable") in seen:
            errors.append("%s: variable repeated" % where)
        seen.add(question.get("variable"))
        qtype = question.get("type")
        if qtype not in SURVEY_TYPES:
            errors.append("%s: type %r is not one of %s" % (where, qtype, sorted(SURVEY_TYPES)))
            continue
        if "default" in question and question["default"] != "" and not isinstance(question["default"], SURVEY_TYPES[qtype]):
            errors.append("%s: default %r is not a %s" % (where, question["default"], qtype))
        for key in ("min", "max"):
            if question.get(key) is not None and not isinstance(question[key], int):
                errors.append("%s: %s must be an integer" % (where, key))
        if qtype in ("multiplechoice", "multiselect"):
            if "choices" not in question:
                errors.append("%s: %s needs choices" % (where, qtype))
            elif "default" in question:
                defaults = question["default"].splitlines() if isinstance(question["default"], str) else question["default"]
                if qtype == "multiplechoice" and len(defaults) > 1:
                    errors.append("%s: one default only" % where)
                if any(d not in _choices(question) for d in defaults):
                    errors.append("%s: default not among the choices" % where)
    return errors


def survey_answer_errors(question: dict, answers: dict) -> list[str]:
    """AWX's validation of one answer (``answers`` holds the extra variables)."""
    var, qtype = question["variable"], question["type"]
    if var not in answers:
        return ["%s missing" % var] if question["required"] else []
    value = answers[var]
    low, high = question.get("min"), question.get("max")
    if qtype in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return ["%s: %r is not a string" % (var, value)]
        if low not in ("", None) and len(value) < int(low):
            return ["%s: shorter than %s" % (var, low)]
        if high not in ("", None) and len(value) > int(high):
            return ["%s: longer than %s" % (var, high)]
    elif qtype in ("integer", "float"):
        allowed = (int,) if qtype == "integer" else (int, float)
        if type(value) not in allowed:
            return ["%s: %r is not a %s" % (var, value, qtype)]
        if low not in ("", None) and value < low:
            return ["%s: below %s" % (var, low)]
        if high not in ("", None) and value > high:
            return ["%s: above %s" % (var, high)]
    elif qtype == "multiplechoice" and value not in _choices(question):
        return ["%s: %r is not one of %s" % (var, value, _choices(question))]
    elif qtype == "multiselect" and (not isinstance(value, list) or any(v not in _choices(question) for v in value)):
        return ["%s: %r is not a list of %s" % (var, value, _choices(question))]
    return []


def survey_defaults(spec: dict) -> dict:
    """The extra variables a launch with every question left at its default gets:
    AWX adds each default that passes its own validation, nothing for the rest."""
    extra = {}
    for question in spec.get("spec", []):
        default = question.get("default")
        if default is not None and not survey_answer_errors(question, {question["variable"]: default}):
            extra[question["variable"]] = default
    return extra


# ------------------------------------------------------------------ playbooks -> roles

def _tasks_roles(tasks):
    """(role, entry point) of every import_role/include_role in a task list (blocks too)."""
    found = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            found += _tasks_roles(task.get(key))
        for action in ("ansible.builtin.import_role", "ansible.builtin.include_role", "import_role", "include_role"):
            if action in task:
                args = task[action]
                found.append((args["name"], args.get("tasks_from", "main")))
    return found


def _role_reaches(role: str, seen: set) -> None:
    tasks_dir = ROOT / "roles" / role / "tasks"
    for path in sorted(tasks_dir.glob("*.yml")) if tasks_dir.is_dir() else []:
        for sub, entry in _tasks_roles(yaml.safe_load(path.read_text())):
            if (sub, entry) not in seen:
                seen.add((sub, entry))
                _role_reaches(sub, seen)


def roles_of_playbook(playbook: Path) -> set[tuple[str, str]]:
    """Every (role, entry point) the playbook runs, directly or through other roles."""
    seen: set[tuple[str, str]] = set()
    for play in yaml.safe_load(Path(playbook).read_text()):
        if "ansible.builtin.import_playbook" in play:
            seen |= roles_of_playbook(Path(playbook).parent / play["ansible.builtin.import_playbook"])
            continue
        direct = [((r if isinstance(r, str) else r.get("role") or r.get("name")), "main") for r in play.get("roles", [])]
        for key in ("pre_tasks", "tasks", "post_tasks"):
            direct += _tasks_roles(play.get(key))
        for pair in direct:
            if pair not in seen:
                seen.add(pair)
                _role_reaches(pair[0], seen)
    return seen


def role_options(role: str, entry: str) -> dict:
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    if not path.exists():
        return {}
    specs = yaml.safe_load(path.read_text())["argument_specs"]
    return (specs.get(entry) or {}).get("options", {})


def playbook_options(playbook: Path) -> dict[str, list[tuple[str, str, dict]]]:
    """{variable: [(role, entry point, its option spec), ...]} over every role the playbook runs."""
    found: dict[str, list] = {}
    for role, entry in sorted(roles_of_playbook(playbook)):
        for name, option in role_options(role, entry).items():
            found.setdefault(name, []).append((role, entry, option))
    return found


# ------------------------------------------------------------------ schedules

_DTSTART = re.compile(r"DTSTART(;[^:]+)?:[0-9]+T[0-9]+Z?")


def rrule_errors(rrule: str) -> list[str]:
    """AWX's checks of a schedule's rrule (awx/api/serializers.py validate_rrule)."""
    errors = []
    starts = _DTSTART.findall(rrule)
    if not _DTSTART.search(rrule):
        errors.append("no DTSTART")
    if re.search(r"DTSTART:[0-9]+T[0-9]+ ", rrule):
        errors.append("DTSTART without a time zone")
    if len(starts) > 1:
        errors.append("more than one DTSTART")
    rules = re.findall(r"RULE:[^\s]*", rrule)
    if not rules:
        errors.append("no RRULE")
    for rule in rules:
        if "interval" not in rule.lower():
            errors.append("INTERVAL missing in %s" % rule)
        if "secondly" in rule.lower():
            errors.append("SECONDLY in %s" % rule)
        if re.match(r".*?BYDAY[:=][0-9]+[a-zA-Z]{2}", rule):
            errors.append("BYDAY with a numeric prefix in %s" % rule)
    return errors
