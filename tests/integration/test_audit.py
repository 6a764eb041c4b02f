"""audit.yml (role `audit`, module stack_audit) against the AWS emulator.

Leftovers are planted with boto3 the way AWS, Kubernetes or a half-finished
run leave them, most WITHOUT our tags: an ENI and a load balancer in the
environment's VPC, Elastic IPs (one tagged, one held by that ENI), a NAT
gateway, an instance and its root volume, an EBS volume tagged only for the
EKS cluster by the EBS CSI driver, an MSK configuration and a log group named
after the environment. The same things of ANOTHER environment (staging, in
its own VPC) must not be reported.

Not covered here, because the emulator cannot make them (see
tests/unit/test_audit.py, which covers them with botocore's Stubber):
public IPv4 addresses AWS assigns to ENIs (load balancer nodes, instances in
public subnets; moto's load balancers own no ENIs), EKS node groups' instances,
a RUNNING Flink application's KPUs in a VPC.
"""
import datetime
import json
import re
import sys

import pytest

from integration.awsstate import client
from integration.playbook import ROOT, run_playbook

if str(ROOT / "collections") not in sys.path:
    sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import audit, prices  # noqa: E402

POC = {"Project": "streamstack", "Environment": "poc"}
STAGING = {"Project": "streamstack", "Environment": "staging"}
COST = re.compile(r"\$\d+\.\d{4}/h")


def _spec(kind, tags):
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _line(output, rid):
    """The report line naming rid (the failure message or the debug list)."""
    lines = [ln for ln in output.splitlines() if rid in ln and COST.search(ln)]
    assert lines, f"{rid} is not reported with a cost:\n{output[-6000:]}"
    return lines[0]


def _network(ec2, cidr, tags):
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_spec("vpc", tags))["Vpc"]["VpcId"]
    base = cidr.split(".")
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
               for i, az in ((0, "a"), (1, "b"))]
    return vpc, subnets


def _plant(url, tags, cidr, cluster):
    """Leftovers of one environment; returns {label: id} (billable ones) and the free ones."""
    ec2, elbv2 = client("ec2", url), client("elbv2", url)
    vpc, subnets = _network(ec2, cidr, tags)
    # What EKS, Managed Flink or a load balancer controller leave: no tags of ours.
    eni = ec2.create_network_interface(SubnetId=subnets[0], Description=f"Amazon EKS {cluster}")[
        "NetworkInterface"]["NetworkInterfaceId"]
    held = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=held, NetworkInterfaceId=eni)
    tagged_eip = ec2.allocate_address(Domain="vpc", TagSpecifications=_spec("elastic-ip", tags))["AllocationId"]
    nat_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[1], AllocationId=nat_eip)["NatGateway"]["NatGatewayId"]
    lb = elbv2.create_load_balancer(Name=f"k8s-{cluster}"[:32], Subnets=subnets, Scheme="internet-facing",
                                    Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp3", TagSpecifications=_spec(
        "volume", {f"kubernetes.io/cluster/{cluster}": "owned",
                   "kubernetes.io/created-for/pvc/name": "data-pinot-server-0"}))["VolumeId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.medium",
                                 SubnetId=subnets[0])["Instances"][0]["InstanceId"]
    kafka = client("kafka", url)
    config = kafka.create_configuration(Name=f"{cluster}-old", ServerProperties=b"auto.create.topics.enable=false",
                                        KafkaVersions=["3.8.x"])["Arn"]
    client("logs", url).create_log_group(logGroupName=f"/aws/msk/{cluster}")
    billable = {"eip_of_eni": held, "tagged_eip": tagged_eip, "nat": nat, "nat_eip": nat_eip, "lb": lb,
                "volume": volume, "instance": instance, "log_group": f"/aws/msk/{cluster}"}
    free = {"eni": eni, "msk_configuration": config, "vpc": vpc}
    return billable, free


@pytest.fixture
def url(aws_emulator):
    aws_emulator.reset()
    return aws_emulator.url


def _audit(url, aws_env, **extra):
    return run_playbook("audit.yml", "poc", aws_env, {"aws_endpoint_url": url, **extra}, timeout=300)


def test_clean_account_reports_nothing(url, aws_env):
    run = _audit(url, aws_env)
    assert run.rc == 0, run.output[-4000:]
    assert "nothing billable left of streamstack/poc in us-east-1" in run.output
    assert "also left, free" not in run.output and "kept on purpose" not in run.output


def test_finds_untagged_leftovers_of_this_environment_only(url, aws_env):
    ec2, elbv2 = client("ec2", url), client("elbv2", url)
    mine, mine_free = _plant(url, POC, "10.60.0.0/16", "streamstack-poc")
    theirs, theirs_free = _plant(url, STAGING, "10.70.0.0/16", "streamstack-staging")
    # Names close to ours that are not ours.
    client("logs", url).create_log_group(logGroupName="/aws/msk/streamstack-poc2")
    stray = ec2.create_volume(AvailabilityZone="us-east-1a", Size=5, VolumeType="gp3", TagSpecifications=_spec(
        "volume", {"kubernetes.io/created-for/pvc/name": "data-pinot-server-0"}))["VolumeId"]

    run = _audit(url, aws_env)
    assert run.rc != 0, run.output[-4000:]
    assert re.search(r"\d+ billable leftovers of streamstack/poc in us-east-1: \$\d+\.\d{4}/h", run.output)
    for label, rid in {**mine, **mine_free}.items():
        _line(run.output, rid)
    # Each says why it is ours, and what it costs.
    assert "kubernetes.io/cluster/streamstack-poc=owned" in _line(run.output, mine["volume"])
    assert "claim ?/data-pinot-server-0" in _line(run.output, mine["volume"])
    assert "$0.0011/h" in _line(run.output, mine["volume"])  # 10 GB x $0.08/GB-month / 730
    assert "$0.0450/h" in _line(run.output, mine["nat"])
    assert f"the address of NAT gateway {mine['nat']}" in _line(run.output, mine["nat_eip"])
    assert "$0.0050/h" in _line(run.output, mine["tagged_eip"])
    assert f"associated with ENI {mine_free['eni']}" in _line(run.output, mine["eip_of_eni"])
    assert "$0.0325/h" in _line(run.output, mine["lb"])  # ALB + one public IPv4 per AZ (2)
    assert "in the environment's VPC" in _line(run.output, mine["lb"])
    assert "$0.0416/h" in _line(run.output, mine["instance"])
    assert "named /aws/msk/streamstack-poc" in _line(run.output, mine["log_group"])
    assert "$0.0000/h" in _line(run.output, mine_free["msk_configuration"])
    # The instance's root volume (moto: gp2, which has no price in the table) is reported, unpriced.
    assert "attached to instance " + mine["instance"] in run.output
    assert "no 'ebs_gp2' price" in run.output
    # Free leftovers are listed apart, never as billable.
    free_part = run.output.split("also left, free (billable: false):", 1)[1]
    assert mine_free["eni"] in free_part and mine_free["vpc"] in free_part
    for rid in list(theirs.values()) + list(theirs_free.values()) + ["/aws/msk/streamstack-poc2", stray]:
        assert rid not in run.output, f"{rid} of another environment is reported"

    # Delete what bills: the audit passes, and still lists the free leftovers.
    elbv2.delete_load_balancer(LoadBalancerArn=mine["lb"])
    ec2.delete_nat_gateway(NatGatewayId=mine["nat"])  # stays listed as 'deleted': gone, not billed
    ec2.terminate_instances(InstanceIds=[mine["instance"]])
    held = ec2.describe_addresses(AllocationIds=[mine["eip_of_eni"]])["Addresses"][0]
    ec2.disassociate_address(AssociationId=held["AssociationId"])
    for alloc in (mine["eip_of_eni"], mine["tagged_eip"], mine["nat_eip"]):
        ec2.release_address(AllocationId=alloc)
    ec2.delete_volume(VolumeId=mine["volume"])
    for volume in ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]:
        if not volume.get("Tags"):  # the terminated instance's root volume (moto keeps it)
            ec2.delete_volume(VolumeId=volume["VolumeId"])
    client("logs", url).delete_log_group(logGroupName=mine["log_group"])
    assert [n["State"] for n in ec2.describe_nat_gateways(NatGatewayIds=[mine["nat"]])["NatGateways"]] == ["deleted"]

    run = _audit(url, aws_env)
    assert run.rc == 0, run.output[-4000:]
    assert "nothing billable left of streamstack/poc" in run.output
    for rid in mine_free.values():
        assert rid in run.output.split("also left, free (billable: false):", 1)[1]
    assert mine["nat"] not in run.output

    # Only report (deploy-time use): never fails, prints the report.
    ec2.allocate_address(Domain="vpc", TagSpecifications=_spec("elastic-ip", POC))
    run = _audit(url, aws_env, audit_fail_on_leftovers=False)
    assert run.rc == 0 and "1 billable leftover of streamstack/poc" in run.output, run.output[-4000:]


def test_code_bucket_kept_on_purpose(url, aws_env):
    s3 = client("s3", url)
    bucket = "streamstack-poc-flink-code-123456789012"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/job.zip", Body=b"x" * 2048)
    s3.create_bucket(Bucket="streamstack-staging-flink-code-123456789012")

    run = _audit(url, aws_env)
    assert run.rc != 0
    line = _line(run.output, bucket)
    assert "named streamstack-poc-flink-code-*" in line
    assert "no 's3_standard' price" in line, "S3 has no price in the table: said, not zero"
    assert "streamstack-staging-flink-code" not in run.output

    # A teardown without teardown_delete_code_bucket keeps it: reported, not a failure.
    run = _audit(url, aws_env, audit_code_bucket_kept=True)
    assert run.rc == 0, run.output[-4000:]
    assert "nothing billable left" in run.output and "kept on purpose" in run.output and bucket in run.output


# --------------------------------------------------------------------------- the services
# Straight through module_utils/audit.py (no playbook: faster), against the
# emulator's MSK, EKS, Managed Flink, IAM, Logs and S3.

def _role(iam, name, service, path="/", tags=None):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                     "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust),
                           Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])["Role"]["Arn"]


def _services(url, env, cidr, untagged_name):
    """An EKS cluster and node group (named as the eks role names them, no tags), an MSK
    cluster under another name in the environment's subnets, a RUNNING Flink application,
    IAM roles under the environment's path, a tagged log group, the code bucket."""
    tags = {"Project": "streamstack", "Environment": env}
    name = f"streamstack-{env}"
    ec2, iam = client("ec2", url), client("iam", url)
    vpc, subnets = _network(ec2, cidr, tags)
    path = f"/streamstack/{env}/"
    eks_role = _role(iam, f"{name}-eks-cluster", "eks.amazonaws.com", path)
    node_role = _role(iam, f"{name}-eks-node", "ec2.amazonaws.com", path)
    flink_role = _role(iam, f"{name}-flink", "kinesisanalytics.amazonaws.com", tags=tags)
    eks = client("eks", url)
    eks.create_cluster(name=name, roleArn=eks_role, resourcesVpcConfig={"subnetIds": subnets}, version="1.35")
    eks.create_nodegroup(clusterName=name, nodegroupName="nodes", nodeRole=node_role, subnets=subnets,
                         instanceTypes=["t3.medium"], scalingConfig={"minSize": 2, "desiredSize": 2, "maxSize": 4})
    kafka = client("kafka", url)
    config = kafka.create_configuration(Name=name, ServerProperties=b"x=y", KafkaVersions=["3.8.x"])
    msk = kafka.create_cluster(ClusterName=untagged_name, KafkaVersion="3.8.x", NumberOfBrokerNodes=2,
                               ConfigurationInfo={"Arn": config["Arn"], "Revision": 1},
                               BrokerNodeGroupInfo={"InstanceType": "kafka.t3.small", "ClientSubnets": subnets,
                                                    "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 20}}})
    s3 = client("s3", url)
    bucket = f"{name}-flink-code-123456789012"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="app.zip", Body=b"PK" + b"\0" * 1000)["VersionId"]
    msf = client("kinesisanalyticsv2", url)
    msf.create_application(
        ApplicationName=name, RuntimeEnvironment="FLINK-2_2", ServiceExecutionRole=flink_role,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {"CodeContentType": "ZIPFILE", "CodeContent": {"S3ContentLocation": {
                "BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "app.zip", "ObjectVersion": version}}},
            "FlinkApplicationConfiguration": {"ParallelismConfiguration": {
                "ConfigurationType": "CUSTOM", "Parallelism": 3, "ParallelismPerKPU": 2, "AutoScalingEnabled": False}}})
    msf.start_application(ApplicationName=name, RunConfiguration={})
    client("logs", url).create_log_group(logGroupName=f"/custom/{env}/job", tags=tags)
    return {"vpc": vpc, "eks": name, "nodegroup": f"{name}/nodes", "msk": msk["ClusterArn"],
            "msk_configuration": config["Arn"], "flink": name, "bucket": bucket, "log_group": f"/custom/{env}/job",
            "roles": [f"{name}-eks-cluster", f"{name}-eks-node", f"{name}-flink"]}


def test_services_by_tag_name_path_and_vpc(url):
    mine = _services(url, "poc", "10.60.0.0/16", "renamed-by-hand")
    theirs = _services(url, "staging", "10.70.0.0/16", "someone-elses")
    result = audit.audit(lambda service: client(service, url), audit.Scope("streamstack", "poc"), "us-east-1",
                         today=datetime.date(2026, 11, 24))
    by_id = {(f["kind"], f["id"]): f for f in result["leftovers"]}
    hour = 1.0 / prices.HOURS_PER_MONTH

    eks = by_id[("eks_cluster", mine["eks"])]
    assert eks["usd_per_hour"] == 0.10 and "named streamstack-poc (the eks role's cluster name)" in eks["why"]
    assert any(w.startswith("in the environment's VPC") for w in eks["why"])
    nodes = by_id[("eks_nodegroup", mine["nodegroup"])]
    assert nodes["usd_per_hour"] == pytest.approx(2 * 0.0416) and nodes["why"] == ["of EKS cluster streamstack-poc"]
    msk = by_id[("msk_cluster", mine["msk"])]
    assert msk["usd_per_hour"] == pytest.approx(2 * 0.0456 + 40 * 0.10 * hour, abs=1e-6)
    assert msk["why"][0].startswith("its brokers are in the environment's subnets")
    flink = by_id[("flink_application", mine["flink"])]
    assert flink["state"] == "RUNNING"
    # ceil(3 / 2) = 2 KPUs + 1 orchestration KPU, and 50 GB running storage per KPU.
    assert flink["usd_per_hour"] == pytest.approx(3 * 0.11 + 150 * 0.10 * hour, abs=1e-6)
    assert by_id[("msk_configuration", mine["msk_configuration"])]["billable"] is False
    assert {r for (k, r) in by_id if k == "iam_role"} == set(mine["roles"])
    assert by_id[("iam_role", "streamstack-poc-eks-node")]["why"] == ["IAM path /streamstack/poc/"]
    assert by_id[("log_group", mine["log_group"])]["why"] == ["tagged Environment=poc, Project=streamstack"]
    bucket = by_id[("s3_bucket", mine["bucket"])]
    assert bucket["billable"] and bucket["details"]["stored_bytes"] == 1002 and bucket["missing_prices"]
    assert "no 's3_standard' price for us-east-1" in result["missing_prices"][0]
    assert result["billable_count"] == 6  # EKS, node group, MSK, Flink, log group, bucket
    assert result["usd_per_hour"] == pytest.approx(sum(
        f["usd_per_hour"] for f in result["leftovers"] if f["billable"]), abs=1e-4)
    everything = repr(result)
    for rid in [theirs["vpc"], theirs["eks"], theirs["msk"], theirs["bucket"], theirs["log_group"]] + theirs["roles"]:
        assert rid not in everything, f"{rid} of staging is reported for poc"

    # Stopped, the application bills no KPU and is no longer billable.
    client("kinesisanalyticsv2", url).stop_application(ApplicationName=mine["flink"], Force=True)
    result = audit.audit(lambda service: client(service, url), audit.Scope("streamstack", "poc"), "us-east-1",
                         today=datetime.date(2026, 11, 24))
    flink = [f for f in result["leftovers"] if f["kind"] == "flink_application"][0]
    assert (flink["state"], flink["billable"], flink["usd_per_hour"]) == ("READY", False, 0)
    # Past 1.35's standard support, the control plane is priced at extended support.
    later = audit.audit(lambda service: client(service, url), audit.Scope("streamstack", "poc"), "us-east-1",
                        today=datetime.date(2027, 4, 1))
    assert [f["usd_per_hour"] for f in later["leftovers"] if f["kind"] == "eks_cluster"] == [0.60]


def _trigger(url, env, tags):
    """What roles/ttl/tasks/trigger.yml leaves of an environment: schedule group, build project, failure
    rule and topic, the build's log group (the log group untagged, as CodeBuild would create it)."""
    prefix = f"streamstack-{env}-ttl"
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    client("scheduler", url).create_schedule_group(Name=prefix, Tags=tag_list)
    role = client("iam", url).create_role(RoleName=f"{prefix}-teardown", Path=f"/streamstack/{env}/",
                                          AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("codebuild", url).create_project(
        name=f"{prefix}-teardown", source={"type": "S3", "location": "b/k"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:5.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=role, tags=[{"key": k, "value": v} for k, v in tags.items()])
    client("events", url).put_rule(Name=f"{prefix}-failures", EventPattern=json.dumps({"source": ["aws.codebuild"]}))
    topic = client("sns", url).create_topic(Name=f"{prefix}-failures", Tags=tag_list)["TopicArn"]
    client("logs", url).create_log_group(logGroupName=f"/aws/codebuild/{prefix}-teardown")
    return topic


def test_the_time_to_live_trigger_is_reported_free_and_only_this_environments(url, aws_env):
    topic = _trigger(url, "poc", POC)
    theirs = _trigger(url, "staging", STAGING)
    result = audit.audit(lambda service: client(service, url), audit.Scope("streamstack", "poc"), "us-east-1",
                         today=datetime.date(2026, 11, 24))
    by_id = {(f["kind"], f["id"]): f for f in result["leftovers"]}
    tagged = "tagged Environment=poc, Project=streamstack"
    assert by_id[("schedule_group", "streamstack-poc-ttl")]["why"] == ["named streamstack-poc-ttl", tagged]
    assert by_id[("codebuild_project", "streamstack-poc-ttl-teardown")]["why"] == [
        "named streamstack-poc-ttl-teardown", tagged]
    assert by_id[("events_rule", "streamstack-poc-ttl-failures")]["billable"] is False
    assert by_id[("sns_topic", topic)]["why"] == ["named streamstack-poc-ttl-failures", tagged]
    assert by_id[("iam_role", "streamstack-poc-ttl-teardown")]["why"] == ["IAM path /streamstack/poc/"]
    log = by_id[("log_group", "/aws/codebuild/streamstack-poc-ttl-teardown")]
    assert log["why"] == ["named /aws/codebuild/streamstack-poc-ttl-teardown (logs of the time-to-live teardown build)"]
    # Free while it waits: only the (empty) log group is billable, as every log group is.
    assert [f["kind"] for f in result["leftovers"] if f["billable"]] == ["log_group"]
    assert "staging" not in repr([f for f in result["leftovers"]]) and theirs not in repr(result)

    # The audit playbook lists them (free), and fails on the log group alone.
    run = _audit(url, aws_env)
    assert run.rc != 0 and "1 billable leftover of streamstack/poc" in run.output, run.output[-4000:]
    for rid in ("schedule_group streamstack-poc-ttl", "codebuild_project streamstack-poc-ttl-teardown",
                "events_rule streamstack-poc-ttl-failures", f"sns_topic {topic}"):
        assert rid in run.output, f"{rid} is not in the audit's report"
