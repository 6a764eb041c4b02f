"""streamstack.pipeline.msk_cluster against the AWS emulator (moto + patches/kafka.py).

The point of the module: IAM (Managed Flink) and unauthenticated TLS (Pinot) are
set in the CreateCluster call, so no UpdateSecurity restarts every broker after
it (10-30 min on AWS). Then: a second run changes nothing; differences become
MSK's Update operations, one at a time, only on an ACTIVE cluster; what no
operation can change is refused before any is started; deletion. Each step is
one ansible-playbook run; the cluster is read back with boto3, not our modules.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from integration.playbook import run_play

MODULE = "streamstack.pipeline.msk_cluster"


@pytest.fixture
def ctx(aws_emulator, aws_env, tmp_path):
    ec2, kafka = aws_emulator.client("ec2"), aws_emulator.client("kafka")
    tag = uuid.uuid4().hex[:8]
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.62.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    group = ec2.create_security_group(GroupName=f"msk-{tag}", Description="msk_cluster tests", VpcId=vpc)["GroupId"]
    conf = kafka.create_configuration(Name=f"conf-{tag}", KafkaVersions=["3.8.x"],
                                      ServerProperties=b"auto.create.topics.enable=false")
    name = f"msk-{tag}"
    args = {"name": name, "kafka_version": "3.8.x", "broker_count": 2, "instance_type": "kafka.t3.small",
            "ebs_volume_gb": 20, "subnets": subnets, "security_groups": [group],
            "configuration_arn": conf["Arn"], "configuration_revision": 1,
            "authentication": {"iam": True, "unauthenticated_tls": True}, "log_group": f"/test/{tag}/msk",
            "tags": {"Project": "streamstack", "Environment": "test"}}
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1"}}

    def run(*tasks):
        """Tasks as (title, module args, check mode); {title: result}."""
        play = [{"name": title, MODULE: task_args, "register": "out", "diff": True, "ignore_errors": True,
                 **({"check_mode": True} if check else {})} for title, task_args, check in tasks]
        rc, results, output = run_play(tmp_path, aws_env, play, name=f"msk-cluster-{uuid.uuid4().hex[:6]}",
                                       module_defaults=defaults)
        for title, *_ in tasks:
            assert title in results, f"{title}: no result\n{output[-3000:]}"
        return results

    def describe():
        found = [c for c in kafka.list_clusters(ClusterNameFilter=name)["ClusterInfoList"] if c["ClusterName"] == name]
        return found[0] if found else None

    def operations():
        cluster = describe()
        listed = kafka.list_cluster_operations(ClusterArn=cluster["ClusterArn"])["ClusterOperationInfoList"]
        return sorted(op["OperationType"] for op in listed)

    yield SimpleNamespace(name=name, args=args, run=run, describe=describe, operations=operations, kafka=kafka,
                          subnets=subnets)
    cluster = describe()
    if cluster and cluster["State"] != "DELETING":
        kafka.delete_cluster(ClusterArn=cluster["ClusterArn"])


def test_created_with_iam_and_unauthenticated_tls_then_left_alone(ctx):
    plan = ctx.run(("Create in check mode", ctx.args, True))["Create in check mode"]
    assert plan["changed"] and not plan.get("failed"), plan
    assert plan["diff"]["after"]["authentication"] == {"iam": True, "scram": False, "unauthenticated_tls": True}
    assert ctx.describe() is None, "check mode created the cluster"

    created = ctx.run(("Create", ctx.args, False))["Create"]
    assert created["changed"] and not created.get("failed"), created
    cluster = ctx.describe()
    auth = cluster["ClientAuthentication"]
    assert auth["Sasl"]["Iam"]["Enabled"] and auth["Unauthenticated"]["Enabled"], auth
    assert not auth["Sasl"]["Scram"]["Enabled"]
    assert cluster["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    assert cluster["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"] == {"Enabled": True, "LogGroup": ctx.args["log_group"]}
    assert cluster["CurrentBrokerSoftwareInfo"]["ConfigurationArn"] == ctx.args["configuration_arn"]
    assert cluster["Tags"] == {"Project": "streamstack", "Environment": "test"}
    # Authentication came with the creation: no operation followed it.
    assert ctx.operations() == []

    bigger = {**ctx.args, "broker_count": 4}
    again = ctx.run(("Again", ctx.args, False), ("Grow in check mode", bigger, True))
    assert not again["Again"]["changed"] and not again["Again"].get("failed"), again["Again"]
    assert again["Again"]["operations"] == [] and again["Again"]["pending"] == []
    grow = again["Grow in check mode"]
    assert grow["changed"] and grow["operations"] == [{"change": "broker_count"}], grow
    assert ctx.describe()["NumberOfBrokerNodes"] == 2 and ctx.operations() == []


def test_updates_one_at_a_time_then_refusals_then_deleted(ctx, aws_emulator):
    ctx.run(("Create", ctx.args, False))
    wanted = {**ctx.args, "broker_count": 4, "instance_type": "kafka.m7g.large",
              "authentication": {"iam": True, "unauthenticated_tls": False}, "tags": {"Project": "streamstack"}}
    aws_emulator.set_transition("kafka::cluster", "manual", times=1)  # each update: one describe sees UPDATING
    try:
        ctx.describe()  # the creation's transitional describe, under the new rule
        assert ctx.describe()["State"] == "ACTIVE"
        first = ctx.run(("Update without waiting", wanted, False))["Update without waiting"]
        assert first["changed"] and not first.get("failed"), first
        # Tags need no ACTIVE cluster; then one operation, and the others wait for ACTIVE.
        assert [op["change"] for op in first["operations"]] == ["tags", "authentication"], first
        assert first["pending"] == ["instance_type", "broker_count"]
        assert any("can change once it is ACTIVE" in w for w in first.get("warnings", [])), first
        assert ctx.operations() == ["UPDATE_SECURITY"]

        rest = ctx.run(("Update and wait", {**wanted, "wait": True}, False))["Update and wait"]
        assert rest["changed"] and not rest.get("failed"), rest
        assert [op["change"] for op in rest["operations"]] == ["instance_type", "broker_count"], rest
        assert rest["pending"] == [] and rest["cluster"]["state"] == "ACTIVE"
    finally:
        aws_emulator.unset_transition("kafka::cluster")
    cluster = ctx.describe()
    assert cluster["NumberOfBrokerNodes"] == 4
    assert cluster["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m7g.large"
    assert not cluster["ClientAuthentication"]["Unauthenticated"]["Enabled"]
    assert cluster["Tags"] == {"Project": "streamstack"}
    assert ctx.operations() == ["INCREASE_BROKER_COUNT", "UPDATE_BROKER_TYPE", "UPDATE_SECURITY"]

    refused = ctx.run(("Fewer brokers and other subnets", {**wanted, "broker_count": 2,
                                                           "subnets": ctx.subnets[:1]}, False),
                      ("No authentication", {**wanted, "authentication": {"iam": False}}, False))
    fewer = refused["Fewer brokers and other subnets"]
    assert fewer.get("failed") and "subnets" in fewer["msg"] and "brokers cannot be removed" in fewer["msg"], fewer
    assert "at least one of iam" in refused["No authentication"]["msg"]
    assert len(ctx.operations()) == 3, "a refused run started an operation"

    gone = ctx.run(("Delete in check mode", {"name": ctx.name, "state": "absent"}, True),
                   ("Delete", {"name": ctx.name, "state": "absent"}, False),
                   ("Delete again", {"name": ctx.name, "state": "absent"}, False))
    assert gone["Delete in check mode"]["changed"] and gone["Delete"]["changed"], gone
    assert not gone["Delete again"]["changed"] and not gone["Delete again"].get("failed"), gone["Delete again"]
    assert ctx.describe() is None
