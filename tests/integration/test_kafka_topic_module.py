"""streamstack.pipeline.kafka_topic and kafka_topic_info, run by ansible-playbook.

* The lifecycle of amazon.aws's integration targets (check-mode create → create →
  create again → update → update again → check-mode delete → delete → delete
  again, cleanup in ``always:``), in one playbook per backend: against the REAL
  Kafka 4.1.1 broker (``kafka_broker``, bootstrap_servers) and against the AWS
  emulator's MSK topic API (``cluster_arn``). After the check-mode steps and the
  update a probe task reads the topic without our modules (confluent-kafka's
  AdminClient, or boto3); ``ansible.builtin.assert`` checks each step;
  kafka_topic_info is checked listing, matching ``expected`` and not.
* Bad input, one playbook: every case fails with a clear message, no traceback,
  changed=false, and nothing changed (checked directly afterwards).
* ``ansible-doc`` renders both modules.

The three playbooks start together (module fixture ``runs``): their time is
Ansible's per-task start-up, not Kafka or the emulator. Results are read from
the ``ansible.posix.json`` stdout callback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from integration.playbook import failures, run_play

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
sys.path.insert(0, str(ROOT / "collections"))

MODULE = "streamstack.pipeline.kafka_topic"
INFO = "streamstack.pipeline.kafka_topic_info"

# Reads a topic without our modules; prints {"exists", "partitions", "replication_factor", "config"}.
PROBE = textwrap.dedent(
    """
    import json, sys
    kind, target, name = sys.argv[1:4]
    if kind == "kafka":
        from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
        admin = AdminClient({"bootstrap.servers": target})
        topics = admin.list_topics(timeout=10).topics
        if name not in topics:
            print(json.dumps({"exists": False})); sys.exit()
        parts = topics[name].partitions
        entries = list(admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)]).values())[0].result()
        print(json.dumps({"exists": True, "partitions": len(parts),
                          "replication_factor": len(next(iter(parts.values())).replicas),
                          "config": {k: e.value for k, e in entries.items() if e.source == 1}}))
    else:
        import base64, boto3
        endpoint, arn = target.split("|")
        kafka = boto3.client("kafka", endpoint_url=endpoint, region_name="us-east-1")
        try:
            t = kafka.describe_topic(ClusterArn=arn, TopicName=name)
        except kafka.exceptions.NotFoundException:
            print(json.dumps({"exists": False})); sys.exit()
        config = json.loads(base64.b64decode(t["Configs"])) if t.get("Configs") else {}
        print(json.dumps({"exists": True, "partitions": t["PartitionCount"],
                          "replication_factor": t["ReplicationFactor"], "config": config}))
    """
)


# ----------------------------------------------------------------- helpers


def probe_task(kind: str, target: str, topic: str, register: str) -> dict:
    return {
        "name": f"Probe {register}",
        "ansible.builtin.command": {"argv": [str(PYTHON), "{{ probe_script }}", kind, target, topic]},
        "register": register,
        "changed_when": False,
    }


def lifecycle_tasks(conn: dict, kind: str, target: str, topic: str, rf: int, probe: str) -> list:
    """The STYLE.md sequence, each step asserted, cleanup in always."""
    first = {"retention.ms": 3600000, "cleanup.policy": "delete"}
    second = {"retention.ms": 7200000, "cleanup.policy": "delete"}
    base = {"name": topic, "replication_factor": rf, **conn}

    def step(name, register, check=False, diff=False, **args):
        task = {"name": name, MODULE: {**base, **args}, "register": register}
        if check:
            task["check_mode"] = True
        if diff:
            task["diff"] = True
        return task

    def check(name, *that):
        return {"name": name, "ansible.builtin.assert": {"that": list(that), "fail_msg": f"{name}: failed"}}

    block = [
        {"name": "Probe script", "ansible.builtin.set_fact": {"probe_script": probe}},
        step("Create in check mode", "check_create", check=True, diff=True, partitions=3, config=first),
        probe_task(kind, target, topic, "p_check_create"),
        check("Check mode reported the create and changed nothing",
              "check_create is changed", "check_create.diff.before == {}",
              "check_create.diff.after.partitions == 3",
              "check_create.diff.after.config['retention.ms'] == '3600000'",
              "not (p_check_create.stdout | from_json).exists"),
        step("Create", "create", partitions=3, config=first),
        step("Create again", "create_again", partitions=3, config=first),
        check("Created once, then unchanged",
              "create is changed", "create_again is not changed",
              "create.backend == '" + kind + "'", "create.topic.partitions == 3",
              f"create.topic.replication_factor == {rf}",
              "create.topic.config['retention.ms'] == '3600000'"),
        step("Update config and add partitions", "update", diff=True, partitions=6, config=second),
        step("Update again", "update_again", partitions=6, config=second),
        probe_task(kind, target, topic, "p_update"),
        check("Update shown in the diff, applied, then unchanged",
              "update is changed", "update_again is not changed",
              "update.diff.before.partitions == 3", "update.diff.after.partitions == 6",
              "update.diff.before.config['retention.ms'] == '3600000'",
              "update.diff.after.config['retention.ms'] == '7200000'",
              "(p_update.stdout | from_json).partitions == 6",
              "(p_update.stdout | from_json).config['retention.ms'] == '7200000'"),
        {"name": "Info, every topic", INFO: conn, "register": "info_all"},
        {"name": "Info, as expected", INFO: {**conn, "names": [topic], "expected": [
            {"name": topic, "partitions": 6, "replication_factor": rf, "config": {"retention.ms": 7200000}}]},
         "register": "info_ok"},
        {"name": "Info, not as expected", INFO: {**conn, "expected": [
            {"name": topic, "partitions": 9, "config": {"retention.ms": 1}}, {"name": f"{topic}-missing"}]},
         "register": "info_bad", "ignore_errors": True},
        check("Info matches, then names each difference",
              f"'{topic}' in info_all.topics", "info_all.topics | select('match', '__') | list == []",
              "info_ok is not failed", "info_ok.mismatches == []", f"info_ok.topics['{topic}'].partitions == 6",
              "info_bad is failed", "'partitions is 6, expected 9' in info_bad.msg",
              "\"config retention.ms is '7200000', expected '1'\" in info_bad.msg",
              f"'{topic}-missing: topic {topic}-missing does not exist' in info_bad.msg",
              f"info_bad.missing == ['{topic}-missing']"),
        step("Delete in check mode", "check_delete", check=True, diff=True, state="absent"),
        probe_task(kind, target, topic, "p_check_delete"),
        check("Check-mode delete reported and changed nothing",
              "check_delete is changed", "check_delete.diff.after == {}",
              "(p_check_delete.stdout | from_json).exists"),
        step("Delete", "delete", state="absent"),
        step("Delete again", "delete_again", state="absent"),
        check("Deleted once, then unchanged (the test then checks it is gone)",
              "delete is changed", "delete_again is not changed", "delete.topic == {}"),
    ]
    cleanup = [{"name": "Cleanup", MODULE: {"name": topic, "state": "absent", **conn}}]
    return [{"name": "Lifecycle", "block": block, "always": cleanup}]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_topic(bootstrap: str, name: str):
    from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=10).topics
    if name not in topics:
        return None
    entries = list(admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)]).values())[0].result()
    parts = topics[name].partitions
    return {"partitions": len(parts), "replication_factor": len(next(iter(parts.values())).replicas),
            "config": {k: e.value for k, e in entries.items() if e.source == 1}}


# ---------------------------------------------------------------- fixtures
def _msk_cluster(aws_emulator) -> str:
    """An ACTIVE 2-broker MSK cluster (Kafka 3.8.x) in a fresh VPC of the emulator."""
    ec2, kafka = aws_emulator.client("ec2"), aws_emulator.client("kafka")
    tag = uuid.uuid4().hex[:8]
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    sg = ec2.create_security_group(GroupName=f"msk-{tag}", Description="kafka_topic tests", VpcId=vpc)["GroupId"]
    conf = kafka.create_configuration(Name=f"topics-{tag}", KafkaVersions=["3.8.x"],
                                      ServerProperties=b"auto.create.topics.enable=false")
    arn = kafka.create_cluster(
        ClusterName=f"topics-{tag}", KafkaVersion="3.8.x", NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={"ClientSubnets": subnets, "InstanceType": "kafka.t3.small", "SecurityGroups": [sg],
                             "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}}},
        ConfigurationInfo={"Arn": conf["Arn"], "Revision": 1},
    )["ClusterArn"]
    assert kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE"
    return arn


def _env() -> dict:
    """What the aws_env fixture gives (module scope needs its own copy)."""
    strip = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k not in strip}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def bad_input_cases(topic: str, fresh: str, bootstrap: str, msk_arn: str, port: int) -> dict:
    """name: (module args, text the failure message must contain, check_mode)."""
    ok = {"name": topic, "bootstrap_servers": bootstrap}
    return {
        "unreachable broker": ({"name": topic, "bootstrap_servers": f"127.0.0.1:{port}", "request_timeout": 2},
                               f"Cannot reach Kafka at 127.0.0.1:{port} within 2 s", False),
        "partition decrease": ({**ok, "partitions": 2}, "has 3 partitions; 2 asked", False),
        "replication factor change": (
            {**ok, "replication_factor": 2},
            "Kafka cannot change a topic's replication factor in place; recreate the topic or use "
            "kafka-reassign-partitions", False),
        "unknown config key": ({**ok, "config": {"retention.msec": 5}}, "retention.msec", False),
        "unknown config key on create": ({**ok, "name": fresh, "partitions": 1, "config": {"no.such.key": 1}},
                                         "Unknown topic config name: no.such.key", False),
        "unknown config key on create, check mode": (
            {**ok, "name": fresh, "partitions": 1, "config": {"no.such.key": 1}},
            "Unknown topic config name: no.such.key", True),
        "partitions not a number": ({**ok, "partitions": "many"}, "'partitions' is of type", False),
        "both connections": ({**ok, "cluster_arn": msk_arn}, "mutually exclusive", False),
        "no connection": ({"name": topic}, "one of the following is required: bootstrap_servers, cluster_arn", False),
        "sasl without credentials": ({**ok, "security_protocol": "SASL_SSL"}, "sasl_mechanism", False),
        "msk partition decrease": ({"name": topic, "cluster_arn": msk_arn, "partitions": 1},
                                   "has 3 partitions; 1 asked", False),
        "msk replication factor change": ({"name": topic, "cluster_arn": msk_arn, "replication_factor": 1},
                                          "cannot change a topic's replication factor", False),
        "msk purge_config": ({"name": topic, "cluster_arn": msk_arn, "config": {}, "purge_config": True},
                             "purge_config is not supported with cluster_arn", False),
        "msk create without counts": ({"name": fresh, "cluster_arn": msk_arn, "partitions": 1},
                                      "needs both partitions and replication_factor", False),
        "msk not an arn": ({"name": topic, "cluster_arn": "streamstack-poc"}, "is not an MSK cluster ARN", False),
    }


@pytest.fixture(scope="module")
def runs(kafka_broker, aws_emulator, tmp_path_factory):
    """Start the three playbooks together (each is mostly Ansible start-up per task), after
    the bad-input topics exist; yield their futures and context; remove the topics after."""
    from confluent_kafka.admin import AdminClient, NewTopic

    tmp = tmp_path_factory.mktemp("kafka_topic_plays")
    (tmp / "probe.py").write_text(PROBE)
    probe = str(tmp / "probe.py")
    env = _env()
    arn = _msk_cluster(aws_emulator)
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1",
                                                   "access_key": "testing", "secret_key": "testing"}}
    bootstrap = kafka_broker.bootstrap
    tag = uuid.uuid4().hex[:8]
    ctx = SimpleNamespace(arn=arn, bootstrap=bootstrap, kafka_topic=f"lifecycle-{tag}", msk_topic=f"lifecycle-{tag}",
                          bad=f"bad-input-{tag}", fresh=f"bad-input-{tag}-new", msk=aws_emulator.client("kafka"))

    # Bad input: one existing topic on each side, as the cases expect.
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(ctx.bad, 3, 1, config={"retention.ms": "1000"})])[ctx.bad].result(timeout=15)
    ctx.msk.create_topic(ClusterArn=arn, TopicName=ctx.bad, PartitionCount=3, ReplicationFactor=2)
    ctx.kafka_before = read_topic(bootstrap, ctx.bad)
    ctx.msk_before = ctx.msk.describe_topic(ClusterArn=arn, TopicName=ctx.bad)
    ctx.cases = bad_input_cases(ctx.bad, ctx.fresh, bootstrap, arn, closed_port())
    bad_tasks = []
    for name, (args, _, check) in ctx.cases.items():
        bad_tasks.append({"name": name, MODULE: args, "ignore_errors": True, **({"check_mode": True} if check else {})})

    kafka_tasks = lifecycle_tasks({"bootstrap_servers": bootstrap, "request_timeout": 10}, "kafka", bootstrap,
                                  ctx.kafka_topic, 1, probe)
    msk_tasks = lifecycle_tasks({"cluster_arn": arn, "wait_timeout": 30}, "msk", f"{aws_emulator.url}|{arn}",
                                ctx.msk_topic, 2, probe)
    with ThreadPoolExecutor(max_workers=3) as pool:
        ctx.futures = {
            "kafka": pool.submit(run_play, tmp, env, kafka_tasks, name="kafka-lifecycle"),
            "msk": pool.submit(run_play, tmp, env, msk_tasks, name="msk-lifecycle", module_defaults=defaults),
            "bad": pool.submit(run_play, tmp, env, bad_tasks, name="bad-input", module_defaults=defaults),
        }
        try:
            yield ctx
        finally:
            for future in ctx.futures.values():
                future.exception()  # let every play finish before cleaning up
            with contextlib.suppress(Exception):
                admin.delete_topics([ctx.bad, ctx.fresh, ctx.kafka_topic])
            for name in (ctx.bad, ctx.fresh, ctx.msk_topic):
                with contextlib.suppress(Exception):
                    ctx.msk.delete_topic(ClusterArn=arn, TopicName=name)


# ------------------------------------------------------------------- tests
def test_lifecycle_against_real_kafka(runs):
    rc, results, output = runs.futures["kafka"].result()
    assert rc == 0, f"lifecycle failed:\n{failures(results)}\n{output[-2000:]}"
    assert results["Create"]["changed"] and not results["Create again"]["changed"]
    assert read_topic(runs.bootstrap, runs.kafka_topic) is None


def test_lifecycle_against_msk_topic_api(runs):
    rc, results, output = runs.futures["msk"].result()
    assert rc == 0, f"lifecycle failed:\n{failures(results)}\n{output[-2000:]}"
    assert results["Create"]["backend"] == "msk"
    names = [t["TopicName"] for t in runs.msk.list_topics(ClusterArn=runs.arn)["Topics"]]
    assert runs.msk_topic not in names


def test_bad_input_fails_clearly_and_changes_nothing(runs):
    rc, results, output = runs.futures["bad"].result()
    assert rc == 0, output[-3000:]
    problems = []
    for name, (_, text, _) in runs.cases.items():
        result = results.get(name, {})
        if not result.get("failed"):
            problems.append(f"{name}: did not fail: {result}")
        elif text not in result.get("msg", ""):
            problems.append(f"{name}: message lacks {text!r}: {result.get('msg')}")
        elif result.get("changed"):
            problems.append(f"{name}: reported changed")
        elif "Traceback" in json.dumps(result):
            problems.append(f"{name}: traceback in result")
    assert not problems, "\n".join(problems)

    # Nothing changed, on either side.
    assert read_topic(runs.bootstrap, runs.bad) == runs.kafka_before == {
        "partitions": 3, "replication_factor": 1, "config": {"retention.ms": "1000"}}
    assert read_topic(runs.bootstrap, runs.fresh) is None
    after = runs.msk.describe_topic(ClusterArn=runs.arn, TopicName=runs.bad)
    assert (after["PartitionCount"], after["ReplicationFactor"]) == (runs.msk_before["PartitionCount"], 2)
    assert runs.fresh not in [t["TopicName"] for t in runs.msk.list_topics(ClusterArn=runs.arn)["Topics"]]


def test_ansible_doc_renders():
    proc = subprocess.run([str(VENV_BIN / "ansible-doc"), MODULE, INFO], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    for module in (MODULE, INFO):
        assert f"MODULE {module}" in proc.stdout, proc.stdout[:500]
    assert proc.stdout.count("EXAMPLES:") == 2 and proc.stdout.count("RETURN VALUES:") == 2
    assert "bootstrap_servers" in proc.stdout and "cluster_arn" in proc.stdout
