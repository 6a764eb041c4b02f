"""Run ansible-playbook the way a user does, and read its recap."""
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
_RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class Run:
    rc: int
    output: str

    @property
    def changed(self):
        match = _RECAP.search(self.output)
        assert match, f"no PLAY RECAP in output:\n{self.output[-3000:]}"
        return int(match.group(2))

    def changed_tasks(self):
        """Names of the tasks that reported a change, once per changed loop item."""
        tasks, current = [], None
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                current = line[6:line.rfind("]")]
            elif line.startswith("changed:") and current:
                tasks.append(current)
        return tasks


def run_playbook(playbook, inventory, env, extra=None, check=False, timeout=900, extra_json=None):
    """extra: key=value strings; extra_json: a dict passed as one JSON -e (keeps types)."""
    cmd = [str(ANSIBLE_PLAYBOOK), playbook, "-i", f"inventories/{inventory}"]
    for key, value in (extra or {}).items():
        cmd += ["-e", f"{key}={value}"]
    if extra_json:
        cmd += ["-e", json.dumps(extra_json)]
    if check:
        cmd += ["--check", "--diff"]
    proc = subprocess.run(cmd, cwd=ROOT, env={**env, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def assert_ok(run, what):
    assert run.rc == 0, f"{what} failed (rc={run.rc}):\n{run.output[-5000:]}"
