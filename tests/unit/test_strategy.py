"""ansible.cfg's executor (plugins/strategy/streamstack_linear.py): Ansible's linear strategy,
run by Mitogen when it is installed (requirements.txt, the AWX execution environment), the
stock linear strategy when it is not; Mitogen's CPU pinning off either way."""
from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "plugins" / "strategy" / "streamstack_linear.py"
PYTHON = sys.executable


def _load_in_subprocess(hide_mitogen):
    code = textwrap.dedent(f"""
        import importlib.util, json, sys
        if {hide_mitogen!r}:
            sys.modules["ansible_mitogen"] = None  # as if the package were not installed
        spec = importlib.util.spec_from_file_location("streamstack_linear", {str(SHIM)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        from ansible.plugins.strategy.linear import StrategyModule as Linear
        out = {{"mro": [c.__module__ + "." + c.__name__ for c in module.StrategyModule.__mro__],
                "is_linear": module.StrategyModule is Linear,
                "linear_base": issubclass(module.StrategyModule, Linear)}}
        if not {hide_mitogen!r}:
            import ansible_mitogen.affinity as affinity
            out["policy"] = type(affinity.policy).__name__
        print(json.dumps(out))
    """)
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_with_mitogen_installed_mitogen_runs_the_linear_strategy_without_pinning_cpus():
    loaded = _load_in_subprocess(hide_mitogen=False)
    assert loaded["linear_base"] and not loaded["is_linear"], loaded
    assert "ansible_mitogen.strategy.StrategyMixin" in loaded["mro"], loaded["mro"]
    # Mitogen's LinuxPolicy would pin every process a module starts (the local profile's JVMs) to one CPU.
    assert loaded["policy"] == "Policy", loaded


def test_without_mitogen_the_stock_linear_strategy_runs():
    loaded = _load_in_subprocess(hide_mitogen=True)
    assert loaded["is_linear"], loaded
    assert not any("mitogen" in name for name in loaded["mro"]), loaded["mro"]


def test_ansible_cfg_names_it():
    config = configparser.ConfigParser()
    config.read(ROOT / "ansible.cfg")
    assert config["defaults"]["strategy"] == "streamstack_linear"
    assert (ROOT / config["defaults"]["strategy_plugins"] / "streamstack_linear.py").resolve() == SHIM


def test_a_playbook_runs_its_modules_in_one_interpreter_on_every_cpu(tmp_path):
    # Two tasks' shells have the same parent: the persistent interpreter (a new Python per task
    # under the stock strategy), and that parent may run on every CPU this process may.
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.shell: echo $PPID; grep Cpus_allowed_list /proc/$PPID/status
              register: first
              changed_when: false
            - ansible.builtin.shell: echo $PPID
              register: second
              changed_when: false
            - ansible.builtin.copy:
                content: "{{ {'first': first.stdout_lines, 'second': second.stdout_lines} | to_json }}"
                dest: "{{ result_file }}"
                mode: "0600"
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(Path(PYTHON).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={PYTHON}", "-e", f"result_file={tmp_path / 'result.json'}",
                           str(playbook)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    (first_parent, cpus), (second_parent,) = result["first"], result["second"]
    assert first_parent == second_parent, result
    allowed = cpus.split(":", 1)[1].strip()
    mine = Path("/proc/self/status").read_text().split("Cpus_allowed_list:", 1)[1].split()[0]
    assert allowed == mine, (allowed, mine)
