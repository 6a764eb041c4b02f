"""Fixtures for the emulator's own tests (tests/harness)."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def clients(aws_emulator):
    cache: dict[str, object] = {}

    def get(service: str):
        if service not in cache:
            cache[service] = aws_emulator.client(service)
        return cache[service]

    return get


@pytest.fixture
def transition(aws_emulator):
    """transition("kafka::cluster", "manual", times=1): set for this test only."""
    touched: list[str] = []

    def set_(model: str, progression: str, **kw):
        aws_emulator.set_transition(model, progression, **kw)
        touched.append(model)

    yield set_
    for model in touched:
        aws_emulator.unset_transition(model)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


@pytest.fixture
def net(clients):
    """A fresh VPC with subnets in us-east-1a/b/c (+ one in use1-az3 =
    us-east-1e) and a security group; the test may tear parts of it down."""
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"]):
        subnets[az] = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=uid("sg"), Description="t", VpcId=vpc)["GroupId"]
    return SimpleNamespace(
        vpc=vpc,
        a=subnets["us-east-1a"],
        b=subnets["us-east-1b"],
        c=subnets["us-east-1c"],
        az3=subnets["us-east-1e"],
        sg=sg,
    )


@pytest.fixture(scope="session")
def roles(clients):
    iam = clients("iam")
    cluster = iam.create_role(RoleName=uid("eks-cluster"), AssumeRolePolicyDocument=_trust("eks.amazonaws.com"))
    node = iam.create_role(RoleName=uid("eks-node"), AssumeRolePolicyDocument=_trust("ec2.amazonaws.com"))
    return SimpleNamespace(cluster=cluster["Role"]["Arn"], node=node["Role"]["Arn"])
