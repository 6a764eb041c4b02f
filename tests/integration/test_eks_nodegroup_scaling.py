"""streamstack.pipeline.eks_nodegroup_scaling against the AWS emulator (moto +
tests/harness/emulator/patches/eks.py), run by ansible-playbook.

check mode (nothing changes, the diff says what would) -> to zero, maximum kept
-> again (no change) -> sizes EKS would refuse (fail before any call, naming the
option) -> back to 2/2/4 while the node group takes 2 s per update (waited for)
-> a second resize right after, while the first is still UPDATING (the module
waits for ACTIVE first) -> a node group that does not exist. Read back with boto3.
"""

from __future__ import annotations

import json
import uuid

from integration.awsstate import client
from integration.playbook import failures, run_play

MODULE = "streamstack.pipeline.eks_nodegroup_scaling"


def _trust(service):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _setup(url):
    tag = uuid.uuid4().hex[:8]
    iam, ec2, eks = (client(s, url) for s in ("iam", "ec2", "eks"))
    cluster_role = iam.create_role(RoleName=f"eks-{tag}", AssumeRolePolicyDocument=_trust("eks.amazonaws.com"))["Role"]["Arn"]
    node_role = iam.create_role(RoleName=f"node-{tag}", AssumeRolePolicyDocument=_trust("ec2.amazonaws.com"))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.73.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.73.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    cluster = f"scaling-{tag}"
    eks.create_cluster(name=cluster, roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets})
    assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "ACTIVE"
    eks.create_nodegroup(clusterName=cluster, nodegroupName="nodes", nodeRole=node_role, subnets=subnets,
                         scalingConfig={"minSize": 2, "desiredSize": 2, "maxSize": 4}, labels={"team": "data"})
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName="nodes")["nodegroup"]["status"] == "ACTIVE"
    return eks, cluster


def _task(name, register, check=False, **args):
    task = {"name": name, MODULE: {"cluster_name": "{{ cluster }}", "name": "nodes", **args}, "register": register}
    if check:
        task["check_mode"] = True
    return task


def _expect_failure(name, register, **args):
    return {**_task(name, register, **args), "failed_when": False}


def _scaling(eks, cluster):
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="nodes")["nodegroup"]
    return ng["scalingConfig"], ng


def test_scaling_lifecycle(aws_emulator, aws_env, tmp_path):
    url = aws_emulator.url
    eks, cluster = _setup(url)
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": url, "region": "us-east-1"}}
    play_vars = {"cluster": cluster}

    # -- check mode: the diff, nothing changed ----------------------------------------
    rc, results, output = run_play(tmp_path, aws_env, [_task("to zero (check)", "r", check=True, min_size=0, desired_size=0)],
                                   name="scaling-check", module_defaults=defaults, play_vars=play_vars)
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"
    r = results["to zero (check)"]
    assert r["changed"] is True
    assert r["diff"] == {"before": {"min_size": 2, "desired_size": 2, "max_size": 4},
                         "after": {"min_size": 0, "desired_size": 0, "max_size": 4}}
    assert "nodegroup_update" not in r
    assert _scaling(eks, cluster)[0] == {"minSize": 2, "desiredSize": 2, "maxSize": 4}
    assert eks.list_updates(name=cluster, nodegroupName="nodes")["updateIds"] == []

    # -- the lifecycle ------------------------------------------------------------------
    tasks = [
        _task("to zero", "zero", min_size=0, desired_size=0),
        _task("to zero again", "zero_again", min_size=0, desired_size=0),
        _expect_failure("min above desired", "bad_min", min_size=3, desired_size=2),
        _expect_failure("desired above the kept max", "bad_desired", desired_size=5),
        _expect_failure("max zero", "bad_max", max_size=0),
        {"name": "node group updates take 2 s", "ansible.builtin.uri": {
            "url": "{{ emulator_url }}/moto-api/state-manager/set-transition", "method": "POST", "body_format": "json",
            "status_code": [200, 201],
            "body": {"model_name": "eks::nodegroup", "transition": {"progression": "time", "seconds": 2}}}},
        _task("back, waited for", "back", min_size=2, desired_size=2, max_size=4, wait=True, wait_timeout=60),
        _task("up, not waited for", "up", desired_size=3),
        _task("up again while UPDATING", "up_again", desired_size=4, max_size=5),
        {"name": "node group updates immediate again", "ansible.builtin.uri": {
            "url": "{{ emulator_url }}/moto-api/state-manager/unset-transition", "method": "POST", "body_format": "json",
            "status_code": [200, 201], "body": {"model_name": "eks::nodegroup"}}},
        {"name": "missing", MODULE: {"cluster_name": "{{ cluster }}", "name": "absent", "desired_size": 1},
         "register": "missing", "failed_when": False},
    ]
    try:
        rc, results, output = run_play(tmp_path, aws_env, tasks, name="scaling", module_defaults=defaults,
                                       play_vars={**play_vars, "emulator_url": url})
    finally:
        aws_emulator.unset_transition("eks::nodegroup")
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"

    zero = results["to zero"]
    assert zero["changed"] is True and zero["scaling"] == {"min_size": 0, "desired_size": 0, "max_size": 4}
    assert zero["previous_scaling"] == {"min_size": 2, "desired_size": 2, "max_size": 4}
    assert zero["nodegroup_update"]["type"] == "ConfigUpdate"
    assert results["to zero again"]["changed"] is False

    for name, words in (("min above desired", "min_size 3 is greater than desired_size 2"),
                        ("desired above the kept max", "desired_size 5 is greater than max_size 4"),
                        ("max zero", "max_size must be 1 or more")):
        assert results[name]["changed"] is False and words in results[name]["msg"], results[name]

    back = results["back, waited for"]
    assert back["changed"] is True and back["nodegroup_update"]["status"] == "Successful"
    assert back["waited"] > 0 and back["status"] == "ACTIVE"
    up_again = results["up again while UPDATING"]
    assert results["up, not waited for"]["status"] == "UPDATING"
    assert up_again["changed"] is True and up_again["waited"] > 0, up_again
    assert up_again["previous_scaling"] == {"min_size": 2, "desired_size": 3, "max_size": 4}
    assert "does not exist" in results["missing"]["msg"] and results["missing"]["changed"] is False

    # Only the size changed, and it is what the last call asked for.
    scaling, ng = _scaling(eks, cluster)
    assert scaling == {"minSize": 2, "desiredSize": 4, "maxSize": 5}
    assert ng["labels"] == {"team": "data"}
    # One ConfigUpdate per change (to zero, back, up, up again); none for the refused or unchanged calls.
    assert len(eks.list_updates(name=cluster, nodegroupName="nodes")["updateIds"]) == 4
