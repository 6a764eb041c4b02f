"""streamstack.pipeline.eks_cluster against the AWS emulator (moto + patches/eks.py).

The point of the module: the API endpoint is limited in the CreateCluster request,
so there is no moment when EKS's default (public, 0.0.0.0/0) applies. Every step is
one ansible-playbook run; between runs the cluster is read back with boto3, not
with our modules.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from integration.playbook import failures, run_play

MODULE = "streamstack.pipeline.eks_cluster"
CIDRS = ["198.51.100.0/24", "203.0.113.10/32"]


@pytest.fixture
def ctx(aws_emulator, aws_env, tmp_path):
    tag = uuid.uuid4().hex[:8]
    iam, ec2 = aws_emulator.client("iam"), aws_emulator.client("ec2")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=f"eks-cluster-{tag}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.73.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.73.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    group = ec2.create_security_group(GroupName=f"cp-{tag}", Description="control plane", VpcId=vpc)["GroupId"]
    name = f"cluster-{tag}"
    args = {"name": name, "version": "1.35", "role_arn": role, "subnets": subnets, "security_groups": [group],
            "private_access": True, "public_access": True, "public_access_cidrs": CIDRS,
            "tags": {"Project": "streamstack", "Environment": "test"}}
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1"}}
    eks = aws_emulator.client("eks")

    def run(title, task_args, check_mode=False):
        task = {"name": title, MODULE: task_args, "register": "out", "diff": True, "ignore_errors": True}
        if check_mode:
            task["check_mode"] = True
        rc, results, output = run_play(tmp_path, aws_env, [task], name=f"eks-cluster-{uuid.uuid4().hex[:6]}",
                                       module_defaults=defaults)
        assert title in results, f"{title}: no result\n{output[-3000:]}"
        return results[title]

    def describe():
        try:
            return eks.describe_cluster(name=name)["cluster"]
        except eks.exceptions.ResourceNotFoundException:
            return None

    yield SimpleNamespace(name=name, args=args, run=run, describe=describe, eks=eks, subnets=subnets, role=role,
                          tmp_path=tmp_path, aws_env=aws_env, defaults=defaults)
    if describe():
        for ng in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            eks.delete_nodegroup(clusterName=name, nodegroupName=ng)
        eks.delete_cluster(name=name)


def test_created_with_the_endpoint_limited_then_left_alone_then_deleted(ctx):
    plan = ctx.run("Create in check mode", ctx.args, check_mode=True)
    assert plan.get("changed") and not plan.get("failed"), plan
    assert plan["diff"]["after"]["endpoint_access"] == {"private_access": True, "public_access": True,
                                                        "public_access_cidrs": sorted(CIDRS)}
    assert ctx.describe() is None, "check mode created the cluster"

    created = ctx.run("Create", ctx.args)
    assert created.get("changed") and not created.get("failed"), created
    # Read back at once: there is no moment with EKS's default (public from 0.0.0.0/0).
    vpc = ctx.describe()["resourcesVpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, True)
    assert sorted(vpc["publicAccessCidrs"]) == sorted(CIDRS)
    cluster = ctx.describe()
    assert cluster["version"] == "1.35" and cluster["roleArn"] == ctx.role
    assert cluster["tags"] == {"Project": "streamstack", "Environment": "test"}

    again = ctx.run("Create again", ctx.args)
    assert not again.get("changed") and not again.get("failed"), again
    assert again["endpoint_access_differs"] is False

    # Other CIDRs on an existing cluster: reported, not changed (eks_cluster_endpoint changes them).
    other = ctx.run("Other CIDRs", {**ctx.args, "public_access_cidrs": ["192.0.2.0/24"]})
    assert not other.get("changed") and not other.get("failed") and other["endpoint_access_differs"] is True
    assert sorted(ctx.describe()["resourcesVpcConfig"]["publicAccessCidrs"]) == sorted(CIDRS)

    # What EKS cannot change, or should not change by surprise, fails by name.
    version = ctx.run("Another version", {**ctx.args, "version": "1.34"})
    assert version.get("failed") and "exists with version 1.35 (asked 1.34" in version["msg"], version
    subnets = ctx.run("Other subnets", {**ctx.args, "subnets": ctx.subnets[:1]})
    assert subnets.get("failed") and "EKS cannot change them" in subnets["msg"], subnets

    gone_plan = ctx.run("Delete in check mode", {"name": ctx.name, "state": "absent"}, check_mode=True)
    assert gone_plan.get("changed") and ctx.describe() is not None
    gone = ctx.run("Delete", {"name": ctx.name, "state": "absent", "wait": True, "wait_timeout": 60})
    assert gone.get("changed") and not gone.get("failed"), gone
    assert ctx.describe() is None
    gone_again = ctx.run("Delete again", {"name": ctx.name, "state": "absent"})
    assert not gone_again.get("changed") and not gone_again.get("failed"), gone_again


def test_private_only_and_bad_input(ctx):
    private = ctx.run("Private endpoint only", {**ctx.args, "public_access": False, "public_access_cidrs": None})
    assert private.get("changed") and not private.get("failed"), private
    vpc = ctx.describe()["resourcesVpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, False)

    no_cidrs = ctx.run("Public without CIDRs", {**ctx.args, "name": ctx.name + "-x", "public_access_cidrs": []})
    assert no_cidrs.get("failed") and "public_access_cidrs is required when public_access is true" in no_cidrs["msg"]
    neither = ctx.run("Neither endpoint", {**ctx.args, "name": ctx.name + "-x", "public_access": False,
                                          "private_access": False})
    assert neither.get("failed") and "cannot both be false" in neither["msg"]
    missing = ctx.run("Create without a role", {"name": ctx.name + "-x", "public_access_cidrs": CIDRS})
    assert missing.get("failed") and "to create it, give version, role_arn, subnets" in missing["msg"], missing
    assert ctx.eks.list_clusters()["clusters"].count(ctx.name + "-x") == 0


def test_delete_refused_while_node_groups_remain(ctx, aws_emulator):
    created = ctx.run("Create", ctx.args)
    assert created.get("changed"), created
    node_role = aws_emulator.client("iam").create_role(
        RoleName=f"nodes-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    ctx.eks.create_nodegroup(clusterName=ctx.name, nodegroupName="nodes", nodeRole=node_role, subnets=ctx.subnets,
                             scalingConfig={"minSize": 1, "desiredSize": 1, "maxSize": 1})
    refused = ctx.run("Delete with a node group", {"name": ctx.name, "state": "absent"})
    assert refused.get("failed") and "still has node groups" in refused["msg"], failures({"x": refused})
    assert ctx.describe() is not None


def test_a_role_eks_cannot_assume_yet_is_retried_and_a_missing_one_fails_at_once(ctx, aws_emulator):
    # The emulator refuses the next two assumptions as IAM propagation does (patches/iam.py).
    aws_emulator.iam_propagation(times={"eks.amazonaws.com": 2})
    try:
        created = ctx.run("Create with a role not yet propagated", ctx.args)
        refused = aws_emulator.iam_refusals()
    finally:
        aws_emulator.iam_propagation()
    assert created.get("changed") and not created.get("failed"), created
    assert refused == {"eks.amazonaws.com": 2}, refused
    assert ctx.describe()["roleArn"] == ctx.role

    missing = ctx.role.rsplit("/", 1)[0] + "/no-such-role"
    gone = ctx.run("Create with a role that does not exist",
                   {**ctx.args, "name": ctx.name + "-x", "role_arn": missing})
    assert gone.get("failed") and f"role_arn {missing} does not exist in IAM" in gone["msg"], gone


def test_authentication_mode_moves_forward_only_and_access_entries_follow_it(ctx, aws_emulator):
    """A cluster created in CONFIG_MAP (EKS's default) refuses access entries; the module moves it
    to API_AND_CONFIG_MAP (never back), then eks_access_entry gives a principal exactly its policies."""
    created = ctx.run("Create in CONFIG_MAP", ctx.args)
    assert created.get("changed") and not created.get("failed"), created
    iam = aws_emulator.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    principal = iam.create_role(RoleName=f"teardown-{ctx.name}", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"]["Arn"]
    entry = {"cluster_name": ctx.name, "principal_arn": principal, "policies": [{"policy": "AmazonEKSClusterAdminPolicy"}],
             "tags": {"Project": "streamstack", "Environment": "test"}}

    def run_entry(title, args, check_mode=False):
        task = {"name": title, "streamstack.pipeline.eks_access_entry": args, "register": "out", "diff": True,
                "ignore_errors": True}
        if check_mode:
            task["check_mode"] = True
        rc, results, output = run_play(ctx.tmp_path, ctx.aws_env, [task], name=f"entry-{uuid.uuid4().hex[:6]}",
                                       module_defaults=ctx.defaults)
        assert title in results, output[-3000:]
        return results[title]

    refused = run_entry("Entry while CONFIG_MAP", entry)
    assert refused.get("failed") and "eks_authentication_mode to API_AND_CONFIG_MAP" in refused["msg"], refused

    plan = ctx.run("Move the mode, check mode", dict(ctx.args, authentication_mode="API_AND_CONFIG_MAP"),
                   check_mode=True)
    assert plan.get("changed") and plan["diff"]["after"] == {"authentication_mode": "API_AND_CONFIG_MAP"}, plan
    assert ctx.describe()["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    moved = ctx.run("Move the mode", dict(ctx.args, authentication_mode="API_AND_CONFIG_MAP"))
    assert moved.get("changed") and not moved.get("failed"), moved
    assert ctx.describe()["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    same = ctx.run("Same mode", dict(ctx.args, authentication_mode="API_AND_CONFIG_MAP"))
    assert not same.get("changed") and not same.get("failed"), same
    back = ctx.run("Back to CONFIG_MAP", dict(ctx.args, authentication_mode="CONFIG_MAP"))
    assert back.get("failed") and "cannot go back" in back["msg"], back

    plan = run_entry("Entry, check mode", entry, check_mode=True)
    assert plan.get("changed") and not plan.get("failed"), plan
    assert ctx.eks.list_access_entries(clusterName=ctx.name)["accessEntries"] == [] or principal not in \
        ctx.eks.list_access_entries(clusterName=ctx.name)["accessEntries"]
    made = run_entry("Entry", entry)
    assert made.get("changed") and not made.get("failed"), made
    policies = ctx.eks.list_associated_access_policies(clusterName=ctx.name, principalArn=principal)[
        "associatedAccessPolicies"]
    assert [(p["policyArn"].rsplit("/", 1)[1], p["accessScope"]["type"]) for p in policies] == [
        ("AmazonEKSClusterAdminPolicy", "cluster")]
    again = run_entry("Entry again", entry)
    assert not again.get("changed") and not again.get("failed"), again

    narrowed = run_entry("Narrowed to a namespace", dict(entry, policies=[{"policy": "AmazonEKSEditPolicy",
                                                                           "namespaces": ["pinot"]}]))
    assert narrowed.get("changed") and narrowed["diff"]["before"]["policies"][0]["policy_arn"].endswith(
        "AmazonEKSClusterAdminPolicy"), narrowed
    policies = ctx.eks.list_associated_access_policies(clusterName=ctx.name, principalArn=principal)[
        "associatedAccessPolicies"]
    assert [(p["policyArn"].rsplit("/", 1)[1], p["accessScope"]) for p in policies] == [
        ("AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["pinot"]})]

    gone = run_entry("Entry absent", dict(entry, state="absent"))
    assert gone.get("changed") and not gone.get("failed"), gone
    assert principal not in ctx.eks.list_access_entries(clusterName=ctx.name)["accessEntries"]
    assert not run_entry("Entry absent again", dict(entry, state="absent")).get("changed")
    missing = run_entry("Entry on a missing cluster", dict(entry, cluster_name="no-such-cluster"))
    assert missing.get("failed") and "does not exist" in missing["msg"], missing
