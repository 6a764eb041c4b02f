"""The AWX definitions (awx/), checked without an AWX server.

* every object in awx/definitions.yml, as awx/apply.yml renders it, against the
  argument spec of the awx.awx module that applies it, and every key of it
  actually passed by apply.yml's task;
* every survey against AWX's own rules, and every survey variable against the
  meta/argument_specs.yml of the roles the template's playbook runs (type,
  choices, defaults, bounds);
* names that refer to each other, playbooks and inventory paths that exist,
  job timeouts that bound every wait of the roles, schedules AWX accepts
  (the reaper every 15 minutes);
* the execution environment: ``ansible-builder create`` and the generated
  Containerfile installs every collection, Python package and binary the
  playbooks use, each pinned;
* nothing in any playbook can prompt or wait without a bound.
"""
from __future__ import annotations

import datetime
import hashlib
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from harness import awx

ROOT = awx.ROOT
REQUIRED_TEMPLATES = {  # playbook -> why AWX has a template for it
    "deploy.yml": "build", "verify.yml": "health", "teardown.yml": "delete", "cost.yml": "estimate",
    "audit.yml": "leaks", "pause.yml": "pause", "resume.yml": "resume", "reaper.yml": "time to live",
}


@pytest.fixture(scope="module")
def defs():
    return awx.definitions()


def _validate(spec, params):
    result = ArgumentSpecValidator(spec).validate(params)
    return [str(e) for e in result.errors], result.validated_parameters


# ------------------------------------------------------------------ module specs

@pytest.mark.parametrize("kind", awx.KINDS)
def test_every_definition_is_valid_for_the_module_that_applies_it(defs, kind):
    module = awx.MODULE_OF[kind]
    spec = awx.module_argument_spec(module)
    assert defs[kind], "awx_%s is empty" % kind
    for item in defs[kind]:
        errors, _ = _validate(spec, {**item, "controller_host": awx.SAMPLE_INPUTS["controller_host"]})
        assert not errors, "awx.awx.%s %s: %s" % (module, item.get("name"), errors)


def test_the_validation_would_catch_a_wrong_definition():
    spec = awx.module_argument_spec("job_template")
    assert _validate(spec, {"name": "x", "timeout": "an hour"})[0]
    assert _validate(spec, {"name": "x", "job_type": "destroy"})[0]
    assert _validate(spec, {"name": "x", "survey_spec": ["not", "a", "dict"]})[0]
    nodes = awx.module_argument_spec("workflow_job_template")
    assert _validate(nodes, {"name": "w", "workflow_nodes": [{"unified_job_template": {"name": "a"}}]})[0], \
        "a node without identifier must fail"


def _apply_tasks():
    play = yaml.safe_load((ROOT / "awx" / "apply.yml").read_text())[0]
    tasks = {}
    for task in play["tasks"]:
        modules = [k for k in task if k.startswith("awx.awx.")]
        if modules:
            tasks[modules[0].split(".")[-1]] = task
    return play, tasks


@pytest.mark.parametrize("kind", awx.KINDS)
def test_apply_passes_every_key_of_the_definitions_to_its_module(kind):
    _, tasks = _apply_tasks()
    module = awx.MODULE_OF[kind]
    task = tasks[module]
    assert task["loop"] == "{{ awx_%s }}" % kind
    passed = {key for key, value in task["awx.awx." + module].items()
              if re.search(r"\bitem\.%s\b" % re.escape(key), str(value))}
    used = set().union(*(item.keys() for item in awx.raw_definitions()["awx_" + kind]))
    assert used - passed == set(), "defined but never passed to awx.awx.%s: %s" % (module, used - passed)


def test_apply_takes_the_controller_from_variables_and_keeps_secrets_out_of_logs():
    play, tasks = _apply_tasks()
    defaults = play["module_defaults"]["group/awx.awx.controller"]
    assert "controller_host" in defaults["controller_host"] and "controller_oauthtoken" in defaults["controller_oauthtoken"]
    assert tasks["credential"].get("no_log") is True
    assert tasks["notification_template"].get("no_log") is True
    settings = (ROOT / "awx" / "settings.yml").read_text()
    for secret in ("awx_aws_access_key_id", "awx_aws_secret_access_key", "controller_oauthtoken", "awx_failure_webhook_url"):
        value = yaml.safe_load(settings)[secret]
        assert value == "" or value.startswith("{{ lookup('ansible.builtin.env'"), "%s must not be stored here" % secret


# ------------------------------------------------------------------ surveys

def _surveys(defs):
    for kind in ("job_templates", "workflow_job_templates"):
        for template in defs[kind]:
            if template.get("survey_enabled"):
                yield kind, template


def _playbooks_of(defs, template):
    if "playbook" in template:
        return [ROOT / template["playbook"]]
    by_name = {t["name"]: t for t in defs["job_templates"]}
    return [ROOT / by_name[node["unified_job_template"]["name"]]["playbook"] for node in template["workflow_nodes"]]


def test_every_survey_is_one_awx_accepts(defs):
    surveys = list(_surveys(defs))
    assert {t["name"] for _, t in surveys} >= {"streamstack deploy", "streamstack teardown", "streamstack deploy and verify"}
    for _, template in surveys:
        assert awx.survey_spec_errors(template["survey_spec"]) == [], template["name"]
    # ... and the rules themselves refuse what AWX refuses.
    assert awx.survey_spec_errors({"name": "s", "description": "", "spec": [
        {"question_name": "q", "variable": "v", "type": "float", "required": False, "default": "5", "min": 0.5}]})


def _sample_answers(question):
    """Values a person can give: the default, the bounds, every choice."""
    qtype = question["type"]
    if qtype in ("multiplechoice", "multiselect"):
        return [[c] if qtype == "multiselect" else c for c in awx._choices(question)]
    values = [question["default"]] if question.get("default") not in (None, "") else []
    if qtype in ("integer", "float"):
        values += [question[k] for k in ("min", "max") if question.get(k) is not None]
        if qtype == "float" and question.get("min") is not None:
            values.append(question["min"] + 0.5)
    else:
        values.append("x" * max(1, int(question.get("min") or 1)))
    return values


def test_every_survey_variable_is_accepted_by_the_roles_of_its_playbook(defs):
    checked = 0
    for _, template in _surveys(defs):
        playbooks = _playbooks_of(defs, template)
        options = [awx.playbook_options(p) for p in playbooks]
        for question in template["survey_spec"]["spec"]:
            var = question["variable"]
            takers = [entry for opts in options for entry in opts.get(var, [])]
            assert takers, "%s: no role of %s accepts %s" % (template["name"], [p.name for p in playbooks], var)
            for role, entry, option in takers:
                where = "%s: %s -> role %s (%s)" % (template["name"], var, role, entry)
                if option.get("choices"):
                    assert question["type"] == "multiplechoice", where + " has choices: ask with multiplechoice"
                    assert set(awx._choices(question)) <= set(option["choices"]), where
                for answer in _sample_answers(question):
                    assert awx.survey_answer_errors(question, {var: answer}) == [], (where, answer)
                    spec = {var: {k: v for k, v in option.items() if k not in ("description", "default")}}
                    spec[var].pop("required", None)
                    errors, converted = _validate(spec, {var: answer})
                    assert not errors, "%s: answer %r: %s" % (where, answer, errors)
                    if option.get("type") == "bool":
                        assert converted[var] is (answer == "true"), where
                checked += 1
    assert checked >= 6


def test_survey_types_agree_with_the_role_types(defs):
    compatible = {"float": {"float", "int"}, "integer": {"int", "float"}, "text": {"str", "raw"},
                  "textarea": {"str", "raw"}, "password": {"str", "raw"}, "multiplechoice": {"str", "bool", "raw"}}
    for _, template in _surveys(defs):
        for question in template["survey_spec"]["spec"]:
            for playbook in _playbooks_of(defs, template):
                for role, _entry, option in awx.playbook_options(playbook).get(question["variable"], []):
                    assert option.get("type", "str") in compatible[question["type"]], (
                        template["name"], question["variable"], role, option.get("type"))


def test_the_survey_numbers_are_what_the_roles_enforce(defs):
    deploy = next(t for t in defs["job_templates"] if t["name"] == "streamstack deploy")
    ttl = next(q for q in deploy["survey_spec"]["spec"] if q["variable"] == "ttl_hours")
    # The cost estimate refuses ttl_hours < 0 or > 720 (roles/ttl argument spec, cost_estimate).
    assert (ttl["min"], ttl["max"]) == (0, 720) and ttl["required"] is False and "default" not in ttl, \
        "an unanswered ttl_hours must keep the inventory's value"
    assert awx.survey_defaults(deploy["survey_spec"]) == {"cost_budget_override": "false"}


def test_teardown_asks_for_the_environment_by_name_and_never_fills_it_in(defs):
    teardown = next(t for t in defs["job_templates"] if t["playbook"] == "teardown.yml")
    (question,) = [q for q in teardown["survey_spec"]["spec"] if q["variable"] == "teardown_confirm"]
    assert question["required"] is True and question["type"] == "text"
    assert "default" not in question, "the person must type the name"
    assert awx.survey_defaults(teardown["survey_spec"]) == {}
    # AWX refuses to launch without it; the preflight refuses anything but the inventory's name.
    assert awx.survey_answer_errors(question, {}) == ["teardown_confirm missing"]
    confirm = (ROOT / "roles" / "preflight" / "tasks" / "confirm.yml").read_text()
    assert "(teardown_confirm | default('') | string) == stack_environment" in confirm
    for env in ("poc", "staging"):
        stack = yaml.safe_load((ROOT / "inventories" / env / "group_vars" / "all" / "stack.yml").read_text())
        assert stack["stack_environment"] == env
        assert awx.survey_answer_errors(question, {"teardown_confirm": env}) == []


def test_the_environment_is_the_inventory_never_a_survey_variable(defs):
    for _, template in _surveys(defs):
        assert not {q["variable"] for q in template["survey_spec"]["spec"]} & {"stack_environment", "stack_target"}
    envs = {s["inventory"]: s["source_path"] for s in defs["inventory_sources"]}
    assert envs == {"streamstack poc": "inventories/poc", "streamstack staging": "inventories/staging"}
    for template in defs["job_templates"]:
        assert template["inventory"] in envs
        if template["playbook"] != "reaper.yml":
            assert template["ask_inventory_on_launch"] is True, template["name"]


# ------------------------------------------------------------------ references, playbooks, timeouts

def test_names_refer_to_defined_objects_and_paths_exist(defs):
    names = {kind: {o["name"] for o in defs[kind]} for kind in awx.KINDS}
    for ee in defs["execution_environments"]:
        assert ee["organization"] in names["organizations"]
    for project in defs["projects"]:
        assert project["default_environment"] in names["execution_environments"]
    for source in defs["inventory_sources"]:
        assert source["inventory"] in names["inventories"] and source["source_project"] in names["projects"]
        assert (ROOT / source["source_path"] / "hosts.yml").is_file()
    for template in defs["job_templates"]:
        assert (ROOT / template["playbook"]).is_file(), template["playbook"]
        assert template["project"] in names["projects"] and template["inventory"] in names["inventories"]
        assert set(template["credentials"]) <= names["credentials"]
        assert template["execution_environment"] in names["execution_environments"]
        assert set(template["notification_templates_error"]) <= names["notification_templates"]
    for workflow in defs["workflow_job_templates"]:
        identifiers = {n["identifier"] for n in workflow["workflow_nodes"]}
        for node in workflow["workflow_nodes"]:
            assert node["unified_job_template"]["name"] in names["job_templates"]
            for follow in node.get("related", {}).get("success_nodes", []):
                assert follow["identifier"] in identifiers
    for schedule in defs["schedules"]:
        assert schedule["unified_job_template"] in names["job_templates"] | names["workflow_job_templates"]
        assert schedule.get("inventory", "streamstack poc") in names["inventories"]


def test_a_template_per_playbook_and_the_workflow_is_deploy_then_verify(defs):
    playbooks = {t["playbook"] for t in defs["job_templates"]}
    assert set(REQUIRED_TEMPLATES) <= playbooks
    (workflow,) = defs["workflow_job_templates"]
    by_id = {n["identifier"]: n for n in workflow["workflow_nodes"]}
    assert by_id["deploy"]["unified_job_template"]["name"] == "streamstack deploy"
    assert [n["identifier"] for n in by_id["deploy"]["related"]["success_nodes"]] == ["verify"]
    assert by_id["verify"]["unified_job_template"]["name"] == "streamstack verify"
    # Workflow survey answers reach both jobs (AWX passes a workflow's extra vars to every node).
    assert workflow["survey_spec"] == next(t for t in defs["job_templates"] if t["playbook"] == "deploy.yml")["survey_spec"]


def _role_wait_bounds(playbook):
    bounds = {}
    for role, _entry in awx.roles_of_playbook(playbook):
        defaults = ROOT / "roles" / role / "defaults" / "main.yml"
        for key, value in (yaml.safe_load(defaults.read_text()) or {}).items() if defaults.exists() else []:
            if key.endswith("_timeout") and isinstance(value, int):
                bounds[key] = value
    return bounds


def test_every_job_has_a_timeout_above_each_of_its_waits(defs):
    for template in defs["job_templates"]:
        timeout = template["timeout"]
        assert 0 < timeout <= 3 * 3600, "%s: a bounded job (timeout %s s)" % (template["name"], timeout)
        for key, value in _role_wait_bounds(ROOT / template["playbook"]).items():
            assert value < timeout, "%s: %s=%s s does not fit in the job's %s s" % (template["name"], key, value, timeout)
    for project in defs["projects"]:
        assert 0 < project["timeout"] <= 1800
    for source in defs["inventory_sources"]:
        assert 0 < source["timeout"] <= 1800


def test_failures_notify_above_all_the_reapers(defs):
    (hook,) = defs["notification_templates"]
    assert hook["notification_type"] == "webhook" and hook["notification_configuration"]["url"].startswith("https://")
    for template in defs["job_templates"] + defs["workflow_job_templates"]:
        assert hook["name"] in template["notification_templates_error"], template["name"]


def test_schedules_are_valid_and_the_reaper_runs_every_15_minutes(defs):
    from dateutil.rrule import rrulestr

    by_name = {s["name"]: s for s in defs["schedules"]}
    for schedule in defs["schedules"]:
        assert awx.rrule_errors(schedule["rrule"]) == [], schedule["name"]
        rrulestr(schedule["rrule"].replace(" RRULE", "\nRRULE"))
    reaper = by_name["streamstack reaper every 15 minutes"]
    assert reaper["unified_job_template"] == "streamstack reaper" and reaper["enabled"] is True
    rule = rrulestr(reaper["rrule"].replace(" RRULE", "\nRRULE"))
    runs = list(rule.xafter(datetime.datetime(2026, 12, 24, 23, 50, tzinfo=datetime.timezone.utc), count=5))
    assert {(b - a).total_seconds() for a, b in zip(runs, runs[1:])} == {900.0}
    pause = by_name["streamstack pause poc at night"]
    resume = by_name["streamstack resume poc in the morning"]
    assert pause["enabled"] is False and resume["enabled"] is False, "the nightly pause is optional"
    assert defs is not None and awx.definitions(awx_pause_schedules_enabled=True)["schedules"][1]["enabled"] is True
    night = rrulestr(pause["rrule"].replace(" RRULE", "\nRRULE")).after(datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc))
    morning = rrulestr(resume["rrule"].replace(" RRULE", "\nRRULE")).after(night)
    assert night.weekday() < 5 and (morning - night).total_seconds() == 11 * 3600
    # ... and AWX's rrule rules refuse what AWX refuses.
    assert awx.rrule_errors("DTSTART:20261201T000000 RRULE:FREQ=MINUTELY;INTERVAL=15")
    assert awx.rrule_errors("DTSTART:20261201T000000Z RRULE:FREQ=MINUTELY")


# ------------------------------------------------------------------ execution environment

@pytest.fixture(scope="module")
def ee_context(tmp_path_factory):
    context = tmp_path_factory.mktemp("ee")
    proc = subprocess.run([str(awx.VENV_BIN / "ansible-builder"), "create", "-f", str(ROOT / "awx" / "execution-environment.yml"),
                           "--context", str(context), "--output-filename", "Containerfile"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return context


def _pins(path):
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"\[.*\]", "", name).lower()] = version
    return pins


def _collections_used():
    used = set()
    paths = [*ROOT.glob("*.yml"), *(ROOT / "playbooks").rglob("*.yml"), *(ROOT / "roles").rglob("*.yml"),
             *(ROOT / "roles").rglob("*.j2")]
    for path in paths:
        for match in re.finditer(r"(?<![\w.])([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*", path.read_text()):
            used.add("%s.%s" % match.groups())
    known_namespaces = {"amazon", "community", "kubernetes", "ansible", "awx", "streamstack", "cloud", "containers"}
    return {c for c in used if c.split(".")[0] in known_namespaces} - {"ansible.builtin", "streamstack.pipeline"}


def test_the_containerfile_installs_every_collection_the_playbooks_use(ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    assert re.search(r"ansible-galaxy collection install .*-r requirements\.yml", containerfile)
    built = {c["name"]: c["version"] for c in yaml.safe_load((ee_context / "_build" / "requirements.yml").read_text())["collections"]}
    pinned = {c["name"]: c["version"] for c in yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())["collections"]}
    assert built == pinned and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in built.values())
    used = _collections_used()
    assert {"amazon.aws", "community.aws", "kubernetes.core", "community.general"} <= used
    assert used - set(built) == set(), "used by the playbooks, missing from collections/requirements.yml: %s" % (used - set(built))
    # Our own collection comes with the project (collections/ next to the playbooks), not from Galaxy.
    assert (ROOT / "collections" / "ansible_collections" / "streamstack" / "pipeline" / "galaxy.yml").exists()


_IMPORT_TO_PIP = {"boto3": "boto3", "botocore": "botocore", "confluent_kafka": "confluent-kafka", "kubernetes": "kubernetes",
                  "yaml": "pyyaml"}


def _third_party_imports():
    import ast
    import sys

    found = set()
    plugins = ROOT / "collections" / "ansible_collections" / "streamstack" / "pipeline" / "plugins"
    for path in [*plugins.rglob("*.py"), ROOT / "files" / "flink" / "package.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in (n.split(".")[0] for n in names):
                if name not in sys.stdlib_module_names and name not in ("ansible", "ansible_collections", "__future__"):
                    found.add(name)
    return found


def test_the_containerfile_installs_every_python_package_pinned_as_the_project_pins_it(ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    project = {**_pins(ROOT / "requirements.txt"), **_pins(ROOT / "requirements-test.txt")}
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]+)"', containerfile).group(1).split()
    assert refs == ["ansible-core==%s" % project["ansible-core"], "ansible-runner==%s" % project["ansible-runner"]]
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "COPY _build/requirements.txt requirements.txt" in containerfile and "--user-pip=requirements.txt" in containerfile
    ee = _pins(ee_context / "_build" / "requirements.txt")
    assert all(ee.values()), "every EE Python package pinned: %s" % ee
    for name, version in ee.items():
        assert project.get(name) == version, "%s: EE %s, requirements.txt %s" % (name, version, project.get(name))
    imports = _third_party_imports()
    assert imports <= set(_IMPORT_TO_PIP), "a new third-party import: map it and add it to awx/ee/requirements.txt: %s" % (
        imports - set(_IMPORT_TO_PIP))
    needed = {_IMPORT_TO_PIP[i] for i in imports} - {"pyyaml"}  # PyYAML comes with ansible-core
    needed |= {"kubernetes"}  # kubernetes.core's modules (roles/pinot, roles/eks)
    needed |= {"mitogen"}  # ansible.cfg's strategy runs on it (plugins/strategy/streamstack_linear.py)
    assert needed <= set(ee), needed - set(ee)
    # Not the test toolchain.
    assert not set(ee) & {"moto", "molecule", "pytest", "ansible-lint", "apache-flink"}


def _install_binaries():
    spec = importlib.util.spec_from_file_location("install_binaries", ROOT / "awx" / "ee" / "install_binaries.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_containerfile_installs_every_binary_the_playbooks_call_pinned(ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    final = containerfile.split("FROM base AS final")[1]
    binaries = _install_binaries().BINARIES
    assert (ee_context / "_build" / "scripts" / "install_binaries.py").read_text() == (ROOT / "awx" / "ee" / "install_binaries.py").read_text()
    assert re.search(r"RUN \$PYCMD /usr/local/libexec/streamstack/install_binaries\.py(?! --only)", final)
    assert "helm version" in final and "kubectl version --client" in final
    for name, (version, url, sha256, _member, dest) in binaries.items():
        assert re.fullmatch(r"[0-9a-f]{64}", sha256) and version in url and url.startswith("https://"), name
        assert "latest" not in url and "stable" not in url, name
    # helm: kubernetes.core.helm* in the roles; the same helm 3 the tests run (scripts/pins.sh, for setup_kube.sh and setup_helm.sh).
    roles_text = "".join(p.read_text() for p in (ROOT / "roles").rglob("*.yml"))
    assert "kubernetes.core.helm" in roles_text
    setup_kube = (ROOT / "scripts" / "pins.sh").read_text()
    assert binaries["helm"][0] == re.search(r"HELM_VERSION=\$\{HELM_VERSION:-([\d.]+)\}", setup_kube).group(1)
    assert binaries["helm"][0].startswith("3."), "kubernetes.core 6.2 needs helm 3"
    # kubectl within one minor of the EKS version the inventories pin.
    eks = {yaml.safe_load((ROOT / "inventories" / e / "group_vars" / "all" / "eks.yml").read_text())["eks_version"]
           for e in ("poc", "staging")}
    kubectl_minor = int(binaries["kubectl"][0].split(".")[1])
    assert all(abs(kubectl_minor - int(v.split(".")[1])) <= 1 for v in eks), (binaries["kubectl"][0], eks)
    # The Flink connector jar: the version files/flink/pom.xml pins, where the role looks for it.
    pom = (ROOT / "files" / "flink" / "pom.xml").read_text()
    assert binaries["flink-sql-connector-kafka"][0] == re.search(
        r"<flink-sql-connector-kafka.version>([^<\s]+)</", pom).group(1)
    env = re.search(r"ENV STREAMSTACK_FLINK_CONNECTOR_JAR=(\S+)", final).group(1)
    assert env == binaries["flink-sql-connector-kafka"][4]
    code = (ROOT / "roles" / "flink_app" / "tasks" / "code.yml").read_text()
    defaults = yaml.safe_load((ROOT / "roles" / "flink_app" / "defaults" / "main.yml").read_text())
    assert "STREAMSTACK_FLINK_CONNECTOR_JAR" in defaults["flink_app_connector_jar"] and "'--jar'" in code
    # No Java, Maven or PyFlink: AWX runs the AWS inventories only (the local profile needs them).
    assert not re.search(r"\b(java|maven|mvn|apache-flink)\b", final, re.I)


def test_the_jar_checksum_is_the_artifact_the_project_resolves():
    jar_dir = ROOT / ".cache" / "jars" / "flink-sql-connector-kafka-5.0.0-2.2"
    jars = sorted(jar_dir.glob("*.jar"))
    # scripts/setup.sh always resolves it: its absence is a broken set-up, not a reason to skip.
    assert jars, "the connector jar is not in .cache/jars: run scripts/setup.sh (setup_jars.py resolves it)"
    assert hashlib.sha256(jars[0].read_bytes()).hexdigest() == _install_binaries().BINARIES["flink-sql-connector-kafka"][2]


def test_install_binaries_installs_only_what_matches_its_checksum(tmp_path):
    module = _install_binaries()
    version, _url, sha256, _member, dest = module.BINARIES["flink-sql-connector-kafka"]
    good = tmp_path / "good.jar"
    bad = tmp_path / "bad.jar"
    bad.write_bytes(b"not the jar")
    jars = sorted((ROOT / ".cache" / "jars").glob("flink-sql-connector-kafka-%s/*.jar" % version))
    with pytest.raises(SystemExit, match="sha256"):
        module.install("flink-sql-connector-kafka", url=bad.as_uri(), root=str(tmp_path / "root"))
    assert not (tmp_path / "root" / dest.lstrip("/")).exists()
    if jars:
        good.write_bytes(jars[0].read_bytes())
        target = module.install("flink-sql-connector-kafka", url=good.as_uri(), root=str(tmp_path / "root"))
        assert hashlib.sha256(Path(target).read_bytes()).hexdigest() == sha256
    # A tarball member (helm's layout) is extracted; a wrong sum is refused before extracting.
    import io
    import tarfile

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        payload = b"#!/bin/sh\necho helm\n"
        info = tarfile.TarInfo("linux-amd64/helm")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    assert module.extract(data.getvalue(), "linux-amd64/helm") == payload
    with pytest.raises(SystemExit):
        module.verify("helm", data.getvalue(), module.BINARIES["helm"][2])


def test_the_base_image_and_definition_are_pinned():
    definition = yaml.safe_load((ROOT / "awx" / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    image = definition["images"]["base_image"]["name"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
    deps = definition["dependencies"]
    assert deps["ansible_core"]["package_pip"].count("==") == 1 and deps["ansible_runner"]["package_pip"].count("==") == 1
    assert deps["galaxy"] == "../collections/requirements.yml"


# ------------------------------------------------------------------ nothing prompts, every wait is bounded

def _all_tasks(node, path):
    """Every task dict under a playbook or task file (plays, blocks, handlers)."""
    if isinstance(node, list):
        for item in node:
            yield from _all_tasks(item, path)
    elif isinstance(node, dict):
        if any(k in node for k in ("hosts", "ansible.builtin.import_playbook", "import_playbook")):
            assert "vars_prompt" not in node, "%s: vars_prompt (AWX cannot answer it)" % path
            for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                yield from _all_tasks(node.get(key) or [], path)
            return
        yield node
        for key in ("block", "rescue", "always"):
            yield from _all_tasks(node.get(key) or [], path)


def _yaml_files():
    files = [*ROOT.glob("*.yml"), *(ROOT / "playbooks").glob("*.yml"), ROOT / "awx" / "apply.yml"]
    for role in (ROOT / "roles").iterdir():
        for sub in ("tasks", "handlers"):
            files += sorted((role / sub).glob("*.yml"))
    return files


_WAIT_BOUND = {"wait_timeout", "timeout", "wait_sleep"}


def test_nothing_prompts_and_every_wait_is_bounded():
    problems, waits = [], 0
    for path in _yaml_files():
        text = path.read_text()
        if "vars_prompt" in text:
            problems.append("%s: vars_prompt" % path)
        for task in _all_tasks(yaml.safe_load(text) or [], path):
            name = "%s: %s" % (path.relative_to(ROOT), task.get("name"))
            for action in ("ansible.builtin.pause", "pause", "ansible.builtin.wait_for_connection"):
                if action in task:
                    args = task[action] or {}
                    if "prompt" in args or not ({"seconds", "minutes", "timeout"} & set(args)):
                        problems.append("%s: %s waits for input or forever" % (name, action))
            if "until" in task:
                waits += 1
                if not {"retries", "delay"} <= set(task):
                    problems.append("%s: until without retries and delay" % name)
            for action, args in task.items():
                if isinstance(args, dict) and args.get("wait") in (True, "true", "yes"):
                    waits += 1
                    if not _WAIT_BOUND & set(args):
                        problems.append("%s: %s waits without a timeout" % (name, action))
            if "ansible.builtin.wait_for" in task and "timeout" not in (task["ansible.builtin.wait_for"] or {}):
                problems.append("%s: wait_for without a timeout" % name)
    assert not problems, "\n".join(problems)
    assert waits >= 15, "the scan found too few waits: it is not looking"


def test_the_scan_would_catch_a_prompt(tmp_path):
    play = [{"name": "p", "hosts": "all", "vars_prompt": [{"name": "x"}], "tasks": []}]
    with pytest.raises(AssertionError, match="vars_prompt"):
        list(_all_tasks(play, tmp_path / "p.yml"))
