"""The emulator's IAM propagation and the network interfaces services own (patches/iam.py, enis.py).

A role younger than the propagation window is refused by EKS (cluster and node
group) and Managed Flink with their own errors, then accepted; the ENIs of a
Flink application in a VPC, a load balancer and a node group hold their subnets
and security groups (DependencyViolation, as on AWS), the first two for a while
after their owner is gone, a node group's until its deletion completes.
"""
from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import _trust, uid
from .test_emulator_msf import TRUST, app_config


@pytest.fixture
def knobs(aws_emulator):
    yield aws_emulator
    aws_emulator.iam_propagation()
    aws_emulator.eni_linger()


def error(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def enis_in(ec2, subnet):
    return ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]


def test_a_young_role_is_refused_by_eks_and_accepted_once_propagated(knobs, clients, net):
    iam, eks = clients("iam"), clients("eks")
    knobs.iam_propagation(seconds={"eks.amazonaws.com": 2})
    role = iam.create_role(RoleName=uid("young"), AssumeRolePolicyDocument=_trust("eks.amazonaws.com"))["Role"]["Arn"]
    name, vpc = uid("prop"), {"subnetIds": [net.a, net.b]}
    with pytest.raises(ClientError) as refused:
        eks.create_cluster(name=name, roleArn=role, resourcesVpcConfig=vpc)
    code, text = error(refused)
    assert code == "InvalidParameterException" and "could not be assumed" in text, text
    assert knobs.iam_refusals() == {"eks.amazonaws.com": 1}
    time.sleep(2.1)
    assert eks.create_cluster(name=name, roleArn=role, resourcesVpcConfig=vpc)["cluster"]["name"] == name
    # A changed trust policy propagates again.
    iam.update_assume_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyDocument=_trust("eks.amazonaws.com"))
    with pytest.raises(ClientError):
        eks.create_cluster(name=uid("prop"), roleArn=role, resourcesVpcConfig=vpc)
    eks.delete_cluster(name=name)


def test_times_refuses_the_next_assumptions_of_one_service(knobs, clients, net, roles):
    eks, kda, iam = clients("eks"), clients("kinesisanalyticsv2"), clients("iam")
    cluster = uid("prop")
    eks.create_cluster(name=cluster, roleArn=roles.cluster, resourcesVpcConfig={"subnetIds": [net.a, net.b]})
    knobs.iam_propagation(times={"ec2.amazonaws.com": 1, "kinesisanalytics.amazonaws.com": 1})
    with pytest.raises(ClientError) as refused:
        eks.create_nodegroup(clusterName=cluster, nodegroupName="ng", nodeRole=roles.node, subnets=[net.a])
    assert error(refused)[0] == "InvalidParameterException"
    eks.create_nodegroup(clusterName=cluster, nodegroupName="ng", nodeRole=roles.node, subnets=[net.a])

    role = iam.create_role(RoleName=uid("msf"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    s3 = clients("s3")
    bucket = uid("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app.zip", Body=b"zip")

    class Code:
        bucket_arn = f"arn:aws:s3:::{bucket}"

    request = dict(ApplicationName=uid("app"), RuntimeEnvironment="FLINK-2_2", ServiceExecutionRole=role,
                   ApplicationConfiguration=app_config(Code))
    with pytest.raises(ClientError) as refused:
        kda.create_application(**request)
    code, text = error(refused)
    assert code == "InvalidArgumentException" and "sufficient privileges to assume the role" in text, text
    kda.create_application(**request)
    assert knobs.iam_refusals() == {"ec2.amazonaws.com": 1, "kinesisanalytics.amazonaws.com": 1}


def test_a_flink_applications_enis_hold_its_group_and_subnet_and_linger_after_deletion(knobs, clients, net):
    kda, ec2, iam, s3 = clients("kinesisanalyticsv2"), clients("ec2"), clients("iam"), clients("s3")
    knobs.eni_linger(kinesisanalytics=1.5)
    role = iam.create_role(RoleName=uid("msf"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    bucket = uid("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app.zip", Body=b"zip")

    class Code:
        bucket_arn = f"arn:aws:s3:::{bucket}"

    sg = ec2.create_security_group(GroupName=uid("flink"), Description="t", VpcId=net.vpc)["GroupId"]
    config = app_config(Code, VpcConfigurations=[{"SubnetIds": [net.c], "SecurityGroupIds": [sg]}])
    app = kda.create_application(ApplicationName=uid("app"), RuntimeEnvironment="FLINK-2_2",
                                 ServiceExecutionRole=role, ApplicationConfiguration=config)["ApplicationDetail"]
    assert enis_in(ec2, net.c) == [], "a READY application runs nothing: no interface yet"
    kda.start_application(ApplicationName=app["ApplicationName"])
    [eni] = enis_in(ec2, net.c)
    assert [g["GroupId"] for g in eni["Groups"]] == [sg] and eni["RequesterManaged"]
    assert app["ApplicationName"] in eni["Description"]
    for call in (lambda: ec2.delete_security_group(GroupId=sg), lambda: ec2.delete_subnet(SubnetId=net.c)):
        with pytest.raises(ClientError) as blocked:
            call()
        assert error(blocked)[0] == "DependencyViolation"
    kda.delete_application(ApplicationName=app["ApplicationName"], CreateTimestamp=app["CreateTimestamp"])
    with pytest.raises(ClientError):
        kda.describe_application(ApplicationName=app["ApplicationName"])
    with pytest.raises(ClientError) as blocked:  # the application is gone, its interface not yet
        ec2.delete_security_group(GroupId=sg)
    assert error(blocked)[0] == "DependencyViolation"
    assert len(enis_in(ec2, net.c)) == 1
    time.sleep(1.6)
    assert enis_in(ec2, net.c) == []
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=net.c)


def test_a_load_balancers_enis_linger_after_deletion(knobs, clients, net):
    elb, ec2 = clients("elbv2"), clients("ec2")
    knobs.eni_linger(elasticloadbalancing=1.5)
    sg = ec2.create_security_group(GroupName=uid("alb"), Description="t", VpcId=net.vpc)["GroupId"]
    lb = elb.create_load_balancer(Name=uid("alb"), Subnets=[net.a, net.b], SecurityGroups=[sg],
                                  Scheme="internal")["LoadBalancers"][0]
    ours = [e for e in enis_in(ec2, net.a) + enis_in(ec2, net.b) if e["Description"].startswith("ELB app/")]
    assert len(ours) == 2 and all([g["GroupId"] for g in e["Groups"]] == [sg] for e in ours)
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    with pytest.raises(ClientError) as blocked:
        ec2.delete_security_group(GroupId=sg)
    assert error(blocked)[0] == "DependencyViolation"
    time.sleep(1.6)
    ec2.delete_security_group(GroupId=sg)


def test_a_node_groups_enis_follow_its_size_and_go_when_its_deletion_completes(knobs, clients, net, roles,
                                                                              transition):
    eks, ec2 = clients("eks"), clients("ec2")
    cluster = uid("ng")
    eks.create_cluster(name=cluster, roleArn=roles.cluster, resourcesVpcConfig={"subnetIds": [net.a, net.b]})
    eks.create_nodegroup(clusterName=cluster, nodegroupName="ng", nodeRole=roles.node, subnets=[net.c],
                         scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 2})
    assert len(enis_in(ec2, net.c)) == 2
    eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng",
                                scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 0})
    assert enis_in(ec2, net.c) == [], "scaled to zero: the instances and their interfaces are gone"
    eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng",
                                scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 1})
    assert len(enis_in(ec2, net.c)) == 1
    transition("eks::nodegroup", "manual", times=1)
    eks.delete_nodegroup(clusterName=cluster, nodegroupName="ng")
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]["status"] == "DELETING"
    with pytest.raises(ClientError) as blocked:
        ec2.delete_subnet(SubnetId=net.c)
    assert error(blocked)[0] == "DependencyViolation"
    with pytest.raises(ClientError):  # the next describe completes the deletion
        eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")
    assert enis_in(ec2, net.c) == []
    ec2.delete_subnet(SubnetId=net.c)


def test_a_terminated_instances_interface_goes_with_it(clients, net):
    ec2 = clients("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=net.c)["Instances"][0]
    assert len(enis_in(ec2, net.c)) == 1
    with pytest.raises(ClientError) as blocked:
        ec2.delete_subnet(SubnetId=net.c)
    assert error(blocked)[0] == "DependencyViolation"
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    assert enis_in(ec2, net.c) == []
    assert ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0][
        "State"]["Name"] == "terminated"
    ec2.delete_subnet(SubnetId=net.c)
