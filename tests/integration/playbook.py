"""Run ansible-playbook the way a user does, and read its recap."""
import json
import os
import re
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CALLBACKS = ROOT / "tests" / "harness" / "callbacks"
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
    typed = {}
    for key, value in (extra or {}).items():
        if isinstance(value, str):
            cmd += ["-e", f"{key}={value}"]
        else:  # lists, dicts, booleans keep their type through JSON
            typed[key] = value
    if typed:
        cmd += ["-e", json.dumps(typed)]
    if extra_json:
        cmd += ["-e", json.dumps(extra_json)]
    if check:
        cmd += ["--check", "--diff"]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env={**env, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # say where it hung, not only that it did
        out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else (exc.output or "")
        pytest.fail(f"{playbook} -i inventories/{inventory} ran past {timeout} s; its output ends:\n{out[-6000:]}")
    return Run(proc.returncode, proc.stdout + proc.stderr)


def interrupted(playbook, inventory, env, extra, after, sig, log, timeout=900):
    """Run `playbook` in its own session, its whole process group sent SIGKILL or SIGINT
    (`sig`: "KILL" or "INT") right after its `after`-th change (harness/callbacks/interrupt_after.py).

    Returns (rc, what the callback logged: "<n> <signal> <task>" or "" if the run ended first, output).
    The output goes to a file, not a pipe: ansible's workers leave the group (setsid) and
    may outlive the run. Whatever of the run still lives after it (found by a variable
    only its processes carry) gets 60 s to end, then SIGKILL; the output says which."""
    run_id = uuid.uuid4().hex
    cmd = [str(ANSIBLE_PLAYBOOK), playbook, "-i", f"inventories/{inventory}", "-e", json.dumps(extra)]
    run_env = dict(env, ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), STREAMSTACK_INTERRUPT=f"{after}:{sig}",
                   STREAMSTACK_INTERRUPT_LOG=str(log), STREAMSTACK_RUN_ID=run_id, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
    Path(log).unlink(missing_ok=True)
    out_path = Path(f"{log}.out")
    notes = []
    with open(out_path, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=run_env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline, fired = time.monotonic() + timeout, None
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            if fired is None and Path(log).exists():
                fired = time.monotonic()
            # After one Ctrl-C, ansible-core 2.19 sometimes waits for ever on a worker it
            # signalled (its workers leave the group); a user presses Ctrl-C again.
            if sig == "INT" and fired and time.monotonic() - fired > INT_GRACE and len(notes) == 0:
                notes.append(f"still running {INT_GRACE} s after SIGINT: a second SIGINT (Ctrl-C again)")
                _signal_group(proc.pid, signal.SIGINT)
            if fired and time.monotonic() - fired > 2 * INT_GRACE + 30:
                notes.append("still running after that: SIGKILL")
                break
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + 60
    while _run_processes(run_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    stragglers = _run_processes(run_id)
    for pid, _ in stragglers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    output = out_path.read_text(errors="replace")
    for note in notes:
        output += f"\n[harness] {note}"
    if stragglers:
        output += "\n[harness] still running 60 s after the run ended, killed: " + "; ".join(
            f"{pid} {args}" for pid, args in stragglers)
    return proc.returncode, Path(log).read_text().strip() if Path(log).exists() else "", output


INT_GRACE = 30  # seconds a SIGINT run gets to end before a second SIGINT


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _run_processes(run_id):
    """[(pid, command line)] of the live processes whose environment carries STREAMSTACK_RUN_ID=run_id."""
    found, marker = [], f"STREAMSTACK_RUN_ID={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:200]
                                  .decode(errors="replace")))
        except OSError:
            continue
    return found


def assert_ok(run, what):
    assert run.rc == 0, f"{what} failed (rc={run.rc}):\n{run.output[-5000:]}"


def run_play(tmp_path, env, tasks, *, name, module_defaults=None, play_vars=None, timeout=300, args=()):
    """Run one play of `tasks` on localhost with the JSON callback; `args`: more of
    ansible-playbook's options (e.g. "--check").

    Returns (rc, {task name: that task's result}, raw output)."""
    play = {
        "name": name,
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": str(ROOT / ".venv" / "bin" / "python"), **(play_vars or {})},
        "tasks": tasks,
    }
    if module_defaults:
        play["module_defaults"] = module_defaults
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    run_env = {**env, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_PIPELINING": "1"}
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK), *args, str(path)], cwd=ROOT, env=run_env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"ansible-playbook gave no JSON (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    results = {}
    for play_data in data.get("plays", []):
        for task in play_data.get("tasks", []):
            results[task["task"]["name"]] = task["hosts"].get("localhost", {})
    return proc.returncode, results, proc.stdout + proc.stderr


def failures(results):
    """The failed tasks of a run_play result, one line each."""
    return "\n".join(f"  {name}: {r.get('msg')}" for name, r in results.items()
                     if r.get("failed") and not r.get("ignore_errors")) or "(none)"
