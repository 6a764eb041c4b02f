"""A whole environment deployed into the AWS emulator, and every check of it.

The expensive unit of the integration stage is a full deploy. The tests that
only read or cycle a deployed stack share one (test_poc_lifecycle.py for poc);
test_aws_stack.py deploys staging. Both call ``deploy_and_check`` below, so the
same assertions hold for each inventory.

The emulator's EKS cluster has no Kubernetes API, so the pinot role is given
the test harness's real API server instead (pinot_kubeconfig), with fake nodes
shaped like the inventory's node group and the project's stand-in chart: the
real scheduler decides whether the inventory's Pinot fits. No container runs
there, so the steps that talk to Pinot itself through the API's service proxy
(schemas and tables, verify's Pinot check) are not run here: pinot_tables gets
no definitions and verify_pinot is off. test_pinot_proxy.py runs both through
a real API server's service proxy to a real Pinot.

Every assertion reads the emulator's AWS APIs with boto3 (or the API server
with kubectl), not the playbook's own output, so a role that claims success
without creating (or deleting) something fails here.
"""
from __future__ import annotations

import json
from pathlib import Path

from integration.awsstate import client, leftovers, tagged_resources
from integration.playbook import assert_ok, run_playbook

REQUIRED_TAGS = {"Project", "Environment", "ManagedBy", "Owner", "CostCenter"}
STANDIN_CHART = Path(__file__).resolve().parents[1] / "charts" / "pinot-standin"
# A fixed expiry: with ttl_hours each deploy would extend it (a change, by design;
# test_poc_lifecycle.py's time-to-live steps cover that).
FIXED_EXPIRY = "2030-01-01T00:00:00Z"
EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # ExpiresAt's, and ttl_now's
# What a poc deploy makes exactly one of, whatever ran before it (the last three: the
# time-to-live trigger): a re-run after an interruption must not make a second.
ONE_EACH = ("vpc", "msk_cluster", "eks_cluster", "nat_gateway", "flink_application", "load_balancer",
            "schedule_group", "codebuild_project", "sns_topic")

CASES = {
    # inventory: (AZs, NAT gateways, brokers, broker type, node type, nodes min/desired/max)
    "poc": (2, 1, 2, "kafka.t3.small", "t3.medium", (2, 2, 4)),
    "staging": (3, 3, 3, "kafka.m5.large", "m5.large", (3, 3, 6)),
}


def harness_vars(url, kube_cluster):
    """What points the roles at the emulator and the harness's API server, as variables."""
    return {"aws_endpoint_url": url,
            "pinot_kubeconfig": str(kube_cluster.kubeconfig),
            "pinot_helm_binary": str(kube_cluster.bin_dir / "helm"),
            "pinot_chart_ref": str(STANDIN_CHART),
            "pinot_tables_schemas": [], "pinot_tables_tables": [], "verify_pinot": False}


def deploy_and_check(env_name, url, aws_env, extra, kube_cluster, outputs_dir):
    """Plan on an empty account, deploy, check every resource, deploy again (changed=0),
    --check (changed=0), verify, and verify failing while Flink is stopped.

    Leaves the environment deployed, its Flink application started again. Returns
    the environment's tagged resources ({kind: [(id, tags)]})."""
    azs, nats, brokers, broker_type, node_type, (nmin, ndesired, nmax) = CASES[env_name]

    # -- check mode on an empty account: a plan, nothing created ----------------
    plan = run_playbook("deploy.yml", env_name, aws_env, extra, check=True)
    assert_ok(plan, "deploy --check")
    assert "would be created" in plan.output
    assert leftovers(url, "streamstack", env_name) == []

    # -- deploy ---------------------------------------------------------------
    deploy = run_playbook("deploy.yml", env_name, aws_env, extra)
    assert_ok(deploy, "deploy")
    resources = tagged_resources(url, "streamstack", env_name)

    # Every resource carries every required tag, with the inventory's values.
    for kind, items in resources.items():
        for rid, tags in items:
            if kind == "msk_configuration":
                continue  # MSK configurations cannot be tagged
            assert REQUIRED_TAGS <= set(tags), f"{kind} {rid} lacks {REQUIRED_TAGS - set(tags)}"
            assert tags["Environment"] == env_name and tags["ManagedBy"] == "ansible"
            assert tags.get("ExpiresAt") == extra["ttl_expires_at"], f"{kind} {rid} does not expire"

    ec2 = client("ec2", url)
    assert len(resources["vpc"]) == 1
    subnets = ec2.describe_subnets(SubnetIds=[rid for rid, _ in resources["subnet"]])["Subnets"]
    private = [s for s in subnets if tag(s, "Tier") == "private"]
    public = [s for s in subnets if tag(s, "Tier") == "public"]
    assert len(private) == len(public) == azs
    assert len({s["AvailabilityZoneId"] for s in private}) == azs, "private subnets share an AZ"
    assert "use1-az3" not in {s["AvailabilityZoneId"] for s in subnets}
    assert all(tag(s, "kubernetes.io/role/internal-elb") == "1" for s in private)
    assert all(tag(s, "kubernetes.io/role/elb") == "1" for s in public)
    assert len(resources["nat_gateway"]) == nats
    assert len(resources["elastic_ip"]) == nats
    nat_subnets = {n["SubnetId"] for n in ec2.describe_nat_gateways(
        NatGatewayIds=[rid for rid, _ in resources["nat_gateway"]])["NatGateways"]}
    assert nat_subnets <= {s["SubnetId"] for s in public}, "a NAT gateway is not in a public subnet"

    kafka = client("kafka", url)
    assert len(resources["msk_cluster"]) == 1
    cluster = kafka.describe_cluster(ClusterArn=resources["msk_cluster"][0][0])["ClusterInfo"]
    group = cluster["BrokerNodeGroupInfo"]
    assert cluster["State"] == "ACTIVE"
    assert cluster["NumberOfBrokerNodes"] == brokers
    assert group["InstanceType"] == broker_type
    assert sorted(group["ClientSubnets"]) == sorted(s["SubnetId"] for s in private)
    msk_sg = ec2.describe_security_groups(GroupIds=group["SecurityGroups"])["SecurityGroups"]
    assert [g["GroupName"] for g in msk_sg] == [f"streamstack-{env_name}-msk"], "MSK is not in its own group"
    open_ports = {p["FromPort"] for p in msk_sg[0]["IpPermissions"] if p.get("IpRanges")}
    assert open_ports == {9094, 9098}, open_ports
    assert all(r["CidrIp"] != "0.0.0.0/0" for p in msk_sg[0]["IpPermissions"] for r in p.get("IpRanges", []))
    assert cluster["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    assert cluster["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["Enabled"] is True
    assert cluster["ClientAuthentication"]["Sasl"]["Iam"]["Enabled"] is True
    # Both modes came with the creation (streamstack.pipeline.msk_cluster): no UpdateSecurity after
    # it, which on AWS restarts every broker (10-30 min).
    assert cluster["ClientAuthentication"]["Unauthenticated"]["Enabled"] is True
    assert kafka.list_cluster_operations(ClusterArn=cluster["ClusterArn"])["ClusterOperationInfoList"] == []
    assert cluster["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "3.8.x"
    # The pipeline's topics, created through the MSK topic API with the target's sizing.
    topics = {t["TopicName"]: t for t in kafka.list_topics(ClusterArn=cluster["ClusterArn"])["Topics"]}
    assert set(topics) == {"events.raw", "events.processed", "events.dlq"}
    assert topics["events.raw"]["PartitionCount"] == (2 if env_name == "poc" else 3)
    assert {t["ReplicationFactor"] for t in topics.values()} == {brokers}
    assert len(resources["msk_configuration"]) == 1
    # With an expiry, the time-to-live trigger (on by default): its build's log group, schedule and project.
    trigger = f"streamstack-{env_name}-ttl"
    assert {name for name, _ in resources["log_group"]} == {
        f"/aws/msk/streamstack-{env_name}", f"/aws/kinesis-analytics/streamstack-{env_name}",
        f"/aws/codebuild/{trigger}-teardown"}
    assert [name for name, _ in resources["schedule_group"]] == [trigger]
    assert [name for name, _ in resources["codebuild_project"]] == [f"{trigger}-teardown"]

    # Managed Flink: running, the packaged code, its properties, a role and group of its own.
    msf = client("kinesisanalyticsv2", url)
    assert [name for name, _ in resources["flink_application"]] == [f"streamstack-{env_name}"]
    app = msf.describe_application(ApplicationName=f"streamstack-{env_name}")["ApplicationDetail"]
    assert app["ApplicationStatus"] == "RUNNING" and app["RuntimeEnvironment"] == "FLINK-2_2"
    config = app["ApplicationConfigurationDescription"]
    groups = {g["PropertyGroupId"]: g["PropertyMap"]
              for g in config["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"]}
    assert groups["kinesis.analytics.flink.run.options"]["python"] == "main.py"
    assert groups["streamstack.job"]["bootstrap.servers"] == kafka.get_bootstrap_brokers(
        ClusterArn=cluster["ClusterArn"])["BootstrapBrokerStringTls"]
    assert groups["streamstack.job"]["topic.dead-letter"] == "events.dlq"
    code_key = config["ApplicationCodeConfigurationDescription"]["CodeContentDescription"][
        "S3ApplicationCodeLocationDescription"]["FileKey"]
    flink_sg = config["VpcConfigurationDescriptions"][0]["SecurityGroupIds"]
    egress = ec2.describe_security_groups(GroupIds=flink_sg)["SecurityGroups"][0]["IpPermissionsEgress"]
    assert [(p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p.get("IpRanges")) for p in egress] == [
        (9094, group["SecurityGroups"], [])], "Flink may reach only the MSK brokers"
    assert len(resources["s3_bucket"]) == 1
    bucket = resources["s3_bucket"][0][0]
    s3 = client("s3", url)
    public_block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(public_block.values()), public_block
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    uploads = s3.list_object_versions(Bucket=bucket)["Versions"]
    # The application's code, and the time-to-live build's bundle of the project (encrypted at rest).
    assert sorted(v["Key"] for v in uploads) == sorted([code_key, "ttl/bundle.zip"])
    assert s3.head_object(Bucket=bucket, Key="ttl/bundle.zip").get("ServerSideEncryption")

    eks = client("eks", url)
    assert len(resources["eks_cluster"]) == 1
    eks_cluster = eks.describe_cluster(name=resources["eks_cluster"][0][0])["cluster"]
    assert eks_cluster["version"] == "1.35" and eks_cluster["status"] == "ACTIVE"
    assert sorted(eks_cluster["resourcesVpcConfig"]["subnetIds"]) == sorted(s["SubnetId"] for s in private)
    assert len(resources["eks_nodegroup"]) == 1
    cluster_name, ng_name = resources["eks_nodegroup"][0][0].split("/")
    nodegroup = eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=ng_name)["nodegroup"]
    # The instance type, disk and metadata options live in the launch template.
    template = nodegroup["launchTemplate"]
    data = ec2.describe_launch_template_versions(
        LaunchTemplateId=template["id"], Versions=[template["version"]])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["InstanceType"] == node_type and "ImageId" not in data, "EKS must pick the AMI (AL2023)"
    root = data["BlockDeviceMappings"][0]["Ebs"]
    assert root["Encrypted"] is True and root["VolumeType"] == "gp3"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert nodegroup["capacityType"] == "ON_DEMAND"
    assert nodegroup["scalingConfig"] == {"minSize": nmin, "desiredSize": ndesired, "maxSize": nmax}
    assert {r for r, _ in resources["iam_role"]} == {
        f"streamstack-{env_name}-eks-cluster", f"streamstack-{env_name}-eks-node", f"streamstack-{env_name}-ebs-csi",
        f"streamstack-{env_name}-flink", f"{trigger}-teardown", f"{trigger}-scheduler"}
    # The API endpoint: private for the nodes, public only from the inventory's CIDRs.
    access = eks_cluster["resourcesVpcConfig"]
    assert (access["endpointPrivateAccess"], access["endpointPublicAccess"], access["publicAccessCidrs"]) == (
        True, True, ["203.0.113.0/24"])
    # EBS CSI driver (PVCs of Pinot) with its own role through EKS Pod Identity, not the node role's.
    assert set(eks.list_addons(clusterName=cluster_name)["addons"]) >= {"aws-ebs-csi-driver", "eks-pod-identity-agent"}
    ebs_assocs = eks.describe_addon(clusterName=cluster_name, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"]
    assert [eks.describe_pod_identity_association(clusterName=cluster_name, associationId=a.rsplit("/", 1)[1])[
        "association"]["roleArn"].rsplit("/", 1)[1] for a in ebs_assocs] == [f"streamstack-{env_name}-ebs-csi"]
    # The nodes: their own group (the alb role's NodePort rule) and the EKS cluster security group.
    assert data["SecurityGroupIds"][1:] == [access["clusterSecurityGroupId"]]
    assert ec2.describe_security_groups(GroupIds=data["SecurityGroupIds"][:1])["SecurityGroups"][0][
        "GroupName"] == f"streamstack-{env_name}-nodes"
    iam = client("iam", url)
    trust = iam.get_role(RoleName=f"streamstack-{env_name}-flink")["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "kinesisanalytics.amazonaws.com"}]
    assert iam.list_attached_role_policies(RoleName=f"streamstack-{env_name}-flink")["AttachedPolicies"] == []

    # The outputs file is what a user (or the next playbook) reads.
    outputs = json.loads((Path(outputs_dir) / f"{env_name}.json").read_text())
    assert outputs["vpc"]["vpc_id"] == resources["vpc"][0][0]
    assert outputs["msk"]["cluster_arn"] == cluster["ClusterArn"]
    assert outputs["msk"]["bootstrap_brokers"]["sasl_iam"].count(":9098") == brokers
    assert outputs["eks"]["cluster_name"] == cluster_name

    # Pinot: the release on the (harness's) Kubernetes API, every pod scheduled
    # on the node group's shape, claims bound, no LoadBalancer Service.
    pods = json.loads(kube_cluster.kubectl("get", "pods", "-n", "pinot", "-o", "json").stdout)["items"]
    assert pods and all(p["spec"].get("nodeName") for p in pods), [p["metadata"]["name"] for p in pods]
    claims = json.loads(kube_cluster.kubectl("get", "pvc", "-n", "pinot", "-o", "json").stdout)["items"]
    assert claims and {c["status"]["phase"] for c in claims} == {"Bound"}
    services = json.loads(kube_cluster.kubectl("get", "svc", "-n", "pinot", "-o", "json").stdout)["items"]
    assert "LoadBalancer" not in {svc["spec"]["type"] for svc in services}
    # The ALB: to the controller's NodePort, only from the inventory's CIDRs.
    assert len(resources["load_balancer"]) == 1 and len(resources["target_group"]) == 1
    alb_group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"streamstack-{env_name}-pinot-alb"]}])[
        "SecurityGroups"][0]
    assert {r["CidrIp"] for p in alb_group["IpPermissions"] for r in p["IpRanges"]} == {"203.0.113.0/24"}

    # -- deploy again: nothing to do --------------------------------------------
    again = run_playbook("deploy.yml", env_name, aws_env, extra)
    assert_ok(again, "second deploy")
    assert again.changed == 0, f"second deploy changed: {again.changed_tasks()}"
    # Nothing uploaded, nothing updated: the same objects (code, bundle), the same application version.
    assert sorted((v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=bucket)["Versions"]) == sorted(
        (v["Key"], v["VersionId"]) for v in uploads)
    assert msf.describe_application(ApplicationName=f"streamstack-{env_name}")["ApplicationDetail"][
        "ApplicationVersionId"] == app["ApplicationVersionId"]

    # -- check mode after deploy: nothing to change --------------------------------
    recheck = run_playbook("deploy.yml", env_name, aws_env, extra, check=True)
    assert_ok(recheck, "deploy --check after deploy")
    assert recheck.changed == 0, f"--check after deploy would change: {recheck.changed_tasks()}"

    # -- verify: the health part (MSK ACTIVE, topics as defined, Flink RUNNING) --------
    checked = run_playbook("verify.yml", env_name, aws_env, extra)
    assert_ok(checked, "verify")
    assert checked.changed == 0
    assert "The MSK cluster is ACTIVE" in checked.output and "Data flow not verified on %s" % env_name in checked.output
    # ...and it fails once the Flink application is no longer running.
    msf.stop_application(ApplicationName=f"streamstack-{env_name}", Force=True)
    stopped = run_playbook("verify.yml", env_name, aws_env, extra)
    assert stopped.rc != 0 and "The Managed Flink application is RUNNING" in stopped.output.split("fatal:")[0][-400:]
    msf.start_application(ApplicationName=f"streamstack-{env_name}", RunConfiguration={})
    return resources


def tag(resource, key):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get(key)


def at(when):
    """A datetime as ExpiresAt and ttl_now write it."""
    return when.strftime(EXPIRY_FORMAT)


def reaper(aws_env, extra, now, inventory="poc"):
    """reaper.yml as its AWX schedule runs it, with the clock (ttl_now) set to ``now``."""
    return run_playbook("reaper.yml", inventory, aws_env, {**extra, "ttl_now": at(now)})
