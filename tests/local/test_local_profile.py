"""The local profile end to end, the way a user runs it (README's first command).

One sequence, on the real inventory ``inventories/local`` (its default
127.0.0.1 ports) with only the state folder moved to a temporary one:

  deploy --check (nothing starts) -> deploy -> verify -> deploy again
  (changed=0, same pids) -> deploy --check (changed=0) -> teardown (stop,
  data kept) -> deploy (the job resumes from its savepoint) -> verify (the
  first run's rows all still there, exactly once) -> teardown with purge ->
  nothing left running, nothing left on disk.

The broker also gets a TLS listener (a CA made by the test, never committed),
and the second verify runs its Kafka side with files/verify/kafka_io.py over
it, with the client settings verify's Job uses on MSK (security.protocol SSL):
the role runs the shipped script, the test does not retype its commands.

Then the bad environments: no Java, wrong Java, a port taken, not enough
disk, no PyFlink -- each stops with its message before anything starts.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from harness import services as harness_services
from harness.tls import make_ca_and_server

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
DEFAULT_PORTS = (9092, 9093, 2181, 9000, 8099, 8098, 8097, 9514, 8081)
TLS_PORT = 9094  # the test's TLS listener, beside the inventory's plaintext one


def say(message):
    print("[local-profile %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def play(name, state_dir, *extra, check=False, timeout=900):
    cmd = [str(PLAYBOOK), name, "-i", "inventories/local", "-e", "local_stack_state_dir=%s" % state_dir]
    for item in extra:
        cmd += ["-e", item]
    if check:
        cmd += ["--check", "--diff"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env["PATH"] = "%s:%s" % (ROOT / ".venv" / "bin", env.get("PATH", ""))
    began = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    match = RECAP.search(output)
    changed = int(match.group(2)) if match else None
    say("%s%s: rc=%d changed=%s in %.0f s" % (name, " --check" if check else "", proc.returncode, changed, time.monotonic() - began))
    return proc.returncode, changed, output


def ok(result, what):
    rc, _, output = result
    assert rc == 0, "%s failed (rc=%d):\n%s" % (what, rc, output[-6000:])
    return result


def processes_under(state_dir):
    """Pids whose command line names the state folder (every service's does)."""
    return sorted(harness_services.pids_using(str(state_dir)))


def pids(state_dir):
    """{pid file: pid} of the services."""
    out = {}
    for pidfile in sorted(Path(state_dir).glob("*/run/*.pid")):
        out[str(pidfile.relative_to(state_dir))] = int(pidfile.read_text().split()[0])
    return out


def port_free(port):
    return harness_services.svc.port_free(port)


def pinot_count(run_id):
    body = json.dumps({"sql": "SELECT COUNT(*) FROM events WHERE REGEXP_LIKE(event_id, '^v-%s-')" % run_id}).encode()
    request = urllib.request.Request(
        "http://127.0.0.1:8099/query/sql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        answer = json.load(resp)
    assert not answer.get("exceptions"), answer["exceptions"]
    return answer["resultTable"]["rows"][0][0]


def ledger(state_dir):
    return json.loads((Path(state_dir) / "verify-runs.json").read_text())


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """-e JSON for deploy (the broker's TLS listener) and for verify (the runner's client over it)."""
    ca, server = make_ca_and_server(tmp_path_factory.mktemp("tls"), ["127.0.0.1"])
    broker = {
        "listeners": "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SSL://127.0.0.1:%d" % TLS_PORT,
        "advertised.listeners": "PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:%d" % TLS_PORT,
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
        "listener.name.ssl.ssl.keystore.type": "PEM",
        "listener.name.ssl.ssl.keystore.location": str(server),
    }
    client = {"security.protocol": "SSL", "ssl.ca.location": str(ca)}
    return {
        "deploy": json.dumps({"local_stack_kafka_properties": broker}),
        "verify": json.dumps({"verify_runner": "script", "verify_runner_bootstrap": "127.0.0.1:%d" % TLS_PORT,
                              "verify_runner_client_properties": client}),
    }


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    busy = [p for p in (*DEFAULT_PORTS, TLS_PORT) if not port_free(p)]
    if busy:
        pytest.fail(
            "ports %s are in use: the local profile's test uses inventories/local's default ports; "
            "stop whatever holds them (e.g. ansible-playbook teardown.yml -i inventories/local -e teardown_confirm=local)"
            % busy
        )
    path = tmp_path_factory.mktemp("local-stack") / "state"
    yield path
    # Whatever happened, leave nothing running.
    if processes_under(path):
        play("teardown.yml", path, "teardown_confirm=local", timeout=300)
        for pid in processes_under(path):
            os.kill(pid, 9)


def test_local_profile_deploy_verify_restart_teardown(state_dir, tls):
    # 1. --check on a machine where nothing runs: says what it would do, starts nothing.
    rc, changed, out = ok(play("deploy.yml", state_dir, tls["deploy"], check=True), "deploy --check")
    assert changed and changed > 0
    assert "would be started first" in out
    assert not processes_under(state_dir) and not state_dir.exists()

    # 2. Deploy: Kafka, Pinot, topics, schema, table, the job.
    began = time.monotonic()
    ok(play("deploy.yml", state_dir, tls["deploy"]), "deploy")
    say("cold deploy (jars cached by set-up) took %.0f s" % (time.monotonic() - began))
    first_pids = pids(state_dir)
    assert set(first_pids) == {"kafka/run/kafka.pid", "pinot/run/zookeeper.pid", "pinot/run/pinot.pid", "flink/run/flink.pid"}
    assert all(p in processes_under(state_dir) or Path("/proc/%d" % p).exists() for p in first_pids.values())
    outputs = json.loads((ROOT / "outputs" / "local.json").read_text())
    assert outputs["local"]["kafka_bootstrap"] == "127.0.0.1:9092"

    # 3. Verify: health, then 1000 events (10 % malformed) through the pipeline.
    _, _, out = ok(play("verify.yml", state_dir), "verify")
    for line in re.findall(r'"(run \S+: .*?|freshness .*?)"', out):
        say(line)
    runs = ledger(state_dir)
    assert len(runs) == 1
    (first_run, first), = runs.items()
    assert first["rows"] > 800  # about 900 valid events of 1000 (10 % malformed)

    # 4. Again: nothing to do, nothing restarted.
    _, changed, _ = ok(play("deploy.yml", state_dir, tls["deploy"]), "second deploy")
    assert changed == 0
    assert pids(state_dir) == first_pids
    _, changed, _ = ok(play("deploy.yml", state_dir, tls["deploy"], check=True), "deploy --check after deploy")
    assert changed == 0

    # 5. Stop everything (data kept), then start again.
    rc, _, out = play("teardown.yml", state_dir)
    assert rc != 0 and "teardown_confirm=local" in out, "teardown without confirmation must refuse"
    assert pids(state_dir) == first_pids
    _, _, down = ok(play("teardown.yml", state_dir, "teardown_confirm=local"), "teardown (stop)")
    assert not processes_under(state_dir)
    assert (state_dir / "kafka" / "data" / "meta.properties").exists()
    assert (state_dir / "flink" / "savepoints" / "latest.json").exists(), "the job stopped without a savepoint:\n" + down[-4000:]
    assert "no savepoint" not in down
    ok(play("deploy.yml", state_dir, tls["deploy"]), "deploy after stop")
    assert set(pids(state_dir)) == set(first_pids) and pids(state_dir) != first_pids
    # The job started from that savepoint, which is then used up (a later crash
    # resumes from committed offsets, not from this older state).
    record = json.loads((state_dir / "flink" / "run" / "flink.json").read_text())
    assert record["restored_from"] and "/savepoints/savepoint-" in record["restored_from"]
    assert not (state_dir / "flink" / "savepoints" / "latest.json").exists()

    # 6. Verify again, its Kafka side through kafka_io.py over TLS: a new run flows, and
    # the first run's rows are all still there, once.
    _, _, out = ok(play("verify.yml", state_dir, tls["verify"]), "verify after restart (runner over TLS)")
    assert re.search(r"TASK \[verify : Produce the run's events and read its dead letters back[^\n]*\n(.*\n)?changed:", out), out[-3000:]
    for line in re.findall(r'"(run \S+: .*?|freshness .*?)"', out):
        say(line)
    runs = ledger(state_dir)
    assert len(runs) == 2 and first_run in runs
    (second_run,) = set(runs) - {first_run}
    assert pinot_count(second_run) == runs[second_run]["rows"] > 800
    assert pinot_count(first_run) == first["rows"]

    # 7. Teardown with purge: nothing running, nothing on disk, every port free.
    ok(play("teardown.yml", state_dir, "teardown_confirm=local", "teardown_purge=local"), "teardown (purge)")
    assert not processes_under(state_dir)
    assert not state_dir.exists()
    assert [p for p in DEFAULT_PORTS if not port_free(p)] == []
    assert not (ROOT / "outputs" / "local.json").exists()


def _fake_java(tmp_path, version):
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"%s\" 2019-01-15' >&2\n" % version)
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return java


@pytest.mark.parametrize(
    "case",
    ["no_java", "old_java", "port_taken", "no_disk", "no_pyflink"],
)
def test_bad_environment_stops_before_anything_starts(case, tmp_path):
    state = tmp_path / "state"
    extra, holder = [], None
    if case == "no_java":
        extra, want = ["local_stack_java=%s" % (tmp_path / "nowhere" / "java")], "no Java found"
    elif case == "old_java":
        extra, want = ["local_stack_java=%s" % _fake_java(tmp_path, "11.0.2")], "is Java 11"
    elif case == "port_taken":
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        extra = ["local_stack_flink_rest_port=%d" % port]
        want = "port %d (local_stack_flink_rest_port, for flink) is already in use" % port
    elif case == "no_disk":
        extra, want = ["local_stack_min_free_disk_gb=1000000"], "free space or point local_stack_state_dir elsewhere"
    else:
        extra, want = ["local_stack_flink_python=%s" % (tmp_path / "venv" / "bin" / "python")], "run scripts/setup.sh"
    try:
        rc, _, out = play("deploy.yml", state, *extra, timeout=300)
    finally:
        if holder:
            holder.close()
    assert rc != 0
    assert want in out, out[-3000:]
    assert "Check Java, ports, disk, memory" in out
    assert not state.exists(), "something was started or written before the checks"
    assert not processes_under(state)
