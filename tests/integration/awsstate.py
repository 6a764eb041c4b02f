"""What exists in an AWS account for one environment, read service by service.

The Resource Groups Tagging API misses EIPs, EKS and IAM (and in the emulator
returns deleted NAT gateways), so every service is asked directly.
"""
import boto3

LIVE_NAT = ("pending", "available", "failed", "deleting")


def client(service, url, region="us-east-1"):
    """A boto3 client for the emulator (its fake credentials, never the user's)."""
    return boto3.client(service, endpoint_url=url, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def tag_map(items, key="Key", value="Value"):
    return {t[key]: t[value] for t in items or []}


def tagged_resources(url, project, environment, region="us-east-1"):
    """Return {kind: [(id, tags)]} for every live resource carrying both tags."""
    want = {"Project": project, "Environment": environment}
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in want.items()]

    def ours(tags):
        return all(tags.get(k) == v for k, v in want.items())

    ec2 = client("ec2", url, region)
    found = {
        "vpc": [(v["VpcId"], tag_map(v.get("Tags"))) for v in ec2.describe_vpcs(Filters=filters)["Vpcs"]],
        "subnet": [(s["SubnetId"], tag_map(s.get("Tags"))) for s in ec2.describe_subnets(Filters=filters)["Subnets"]],
        "internet_gateway": [(g["InternetGatewayId"], tag_map(g.get("Tags")))
                             for g in ec2.describe_internet_gateways(Filters=filters)["InternetGateways"]],
        "route_table": [(r["RouteTableId"], tag_map(r.get("Tags")))
                        for r in ec2.describe_route_tables(Filters=filters)["RouteTables"]],
        "nat_gateway": [(n["NatGatewayId"], tag_map(n.get("Tags")))
                        for n in ec2.describe_nat_gateways(Filters=filters)["NatGateways"] if n["State"] in LIVE_NAT],
        "elastic_ip": [(a["AllocationId"], tag_map(a.get("Tags"))) for a in ec2.describe_addresses(Filters=filters)["Addresses"]],
        "security_group": [(g["GroupId"], tag_map(g.get("Tags")))
                           for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]],
        "launch_template": [(t["LaunchTemplateId"], tag_map(t.get("Tags")))
                            for t in ec2.describe_launch_templates(Filters=filters)["LaunchTemplates"]],
    }
    kafka = client("kafka", url, region)
    found["msk_cluster"] = [
        (c["ClusterArn"], c.get("Tags", {})) for c in kafka.list_clusters()["ClusterInfoList"]
        if ours(c.get("Tags", {}))
    ]
    # MSK configurations carry no tags: ours are named after the cluster.
    found["msk_configuration"] = [
        (c["Arn"], {}) for c in kafka.list_configurations()["Configurations"]
        if c["Name"].startswith(f"{project}-{environment}") and c.get("State") != "DELETING"
    ]
    eks = client("eks", url, region)
    found["eks_cluster"], found["eks_nodegroup"] = [], []
    for name in eks.list_clusters()["clusters"]:
        cluster = eks.describe_cluster(name=name)["cluster"]
        if ours(cluster.get("tags", {})):
            found["eks_cluster"].append((name, cluster["tags"]))
        for ng in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            group = eks.describe_nodegroup(clusterName=name, nodegroupName=ng)["nodegroup"]
            if ours(group.get("tags", {})):
                found["eks_nodegroup"].append((f"{name}/{ng}", group["tags"]))
    found["eks_addon"] = []
    for name, _tags_ in found["eks_cluster"]:
        for addon in eks.list_addons(clusterName=name)["addons"]:
            tags = eks.describe_addon(clusterName=name, addonName=addon)["addon"].get("tags", {})
            found["eks_addon"].append((f"{name}/{addon}", tags))
    elbv2 = client("elbv2", url, region)
    found["load_balancer"], found["target_group"] = [], []
    for kind, items, key in (("load_balancer", elbv2.describe_load_balancers()["LoadBalancers"], "LoadBalancerArn"),
                             ("target_group", elbv2.describe_target_groups()["TargetGroups"], "TargetGroupArn")):
        for item in items:
            tags = tag_map(elbv2.describe_tags(ResourceArns=[item[key]])["TagDescriptions"][0]["Tags"])
            if ours(tags):
                found[kind].append((item[key], tags))
    iam = client("iam", url, region)
    found["iam_role"] = []
    for role in iam.list_roles()["Roles"]:
        tags = tag_map(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
        if ours(tags):
            found["iam_role"].append((role["RoleName"], tags))
    logs = client("logs", url, region)
    found["log_group"] = []
    for group in logs.describe_log_groups()["logGroups"]:
        tags = logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))["tags"]
        if ours(tags):
            found["log_group"].append((group["logGroupName"], tags))
    s3 = client("s3", url, region)
    found["s3_bucket"] = []
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            tags = tag_map(s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"])
        except s3.exceptions.ClientError:
            tags = {}
        if ours(tags):
            found["s3_bucket"].append((bucket["Name"], tags))
    msf = client("kinesisanalyticsv2", url, region)
    found["flink_application"] = []
    for app in msf.list_applications()["ApplicationSummaries"]:
        tags = tag_map(msf.list_tags_for_resource(ResourceARN=app["ApplicationARN"])["Tags"])
        if ours(tags):
            found["flink_application"].append((app["ApplicationName"], tags))
    # The time-to-live trigger's (roles/ttl/tasks/trigger.yml; its rule takes no tags).
    scheduler = client("scheduler", url, region)
    found["schedule_group"] = []
    for group in scheduler.list_schedule_groups()["ScheduleGroups"]:
        tags = tag_map(scheduler.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"])
        if ours(tags):
            found["schedule_group"].append((group["Name"], tags))
    codebuild = client("codebuild", url, region)
    names = codebuild.list_projects()["projects"]
    found["codebuild_project"] = []
    for project in codebuild.batch_get_projects(names=names)["projects"] if names else []:
        tags = tag_map(project.get("tags"), "key", "value")
        if ours(tags):
            found["codebuild_project"].append((project["name"], tags))
    sns = client("sns", url, region)
    found["sns_topic"] = []
    for topic in sns.list_topics()["Topics"]:
        tags = tag_map(sns.list_tags_for_resource(ResourceArn=topic["TopicArn"])["Tags"])
        if ours(tags):
            found["sns_topic"].append((topic["TopicArn"], tags))
    return found


def leftovers(url, project, environment, region="us-east-1"):
    """Flat list of 'kind id' for everything of the environment still alive."""
    return [f"{kind} {rid}" for kind, items in tagged_resources(url, project, environment, region).items() for rid, _ in items]


def account_scan(url, region="us-east-1"):
    """Every resource alive in the emulated account, tagged or not: {kind: sorted ids}.
    Compared with a scan taken before a deploy, it shows what a run left behind that
    neither our tags nor our audit know of."""
    ec2 = client("ec2", url, region)
    scan = {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]],
        "security_group": [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]],
        "internet_gateway": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]],
        "route_table": [r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]],
        "nat_gateway": [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] in LIVE_NAT],
        "elastic_ip": [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]],
        "network_interface": [i["NetworkInterfaceId"] for i in ec2.describe_network_interfaces()["NetworkInterfaces"]],
        "instance": [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                     if i["State"]["Name"] not in ("terminated", "shutting-down")],
        "volume": [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]],
        "launch_template": [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]],
    }
    kafka = client("kafka", url, region)
    scan["msk_cluster"] = [c["ClusterArn"] for c in kafka.list_clusters()["ClusterInfoList"]]
    scan["msk_configuration"] = [c["Arn"] for c in kafka.list_configurations()["Configurations"]
                                 if c.get("State") != "DELETING"]
    scan["eks_cluster"] = client("eks", url, region).list_clusters()["clusters"]
    elbv2 = client("elbv2", url, region)
    scan["load_balancer"] = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    scan["target_group"] = [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    iam = client("iam", url, region)
    scan["iam_role"] = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    scan["iam_policy"] = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    scan["instance_profile"] = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    scan["log_group"] = [g["logGroupName"] for g in client("logs", url, region).describe_log_groups()["logGroups"]]
    scan["s3_bucket"] = [b["Name"] for b in client("s3", url, region).list_buckets()["Buckets"]]
    scan["flink_application"] = [a["ApplicationName"] for a in
                                 client("kinesisanalyticsv2", url, region).list_applications()["ApplicationSummaries"]]
    scan["schedule_group"] = [g["Name"] for g in client("scheduler", url, region).list_schedule_groups()[
        "ScheduleGroups"] if g["Name"] != "default"]
    scan["codebuild_project"] = client("codebuild", url, region).list_projects()["projects"]
    scan["sns_topic"] = [t["TopicArn"] for t in client("sns", url, region).list_topics()["Topics"]]
    scan["events_rule"] = [r["Name"] for r in client("events", url, region).list_rules()["Rules"]]
    return {kind: sorted(ids) for kind, ids in scan.items()}


def scan_difference(before, after):
    """{kind: ids in `after` and not in `before`}, only the kinds with some."""
    return {kind: sorted(set(ids) - set(before.get(kind, []))) for kind, ids in after.items()
            if set(ids) - set(before.get(kind, []))}
