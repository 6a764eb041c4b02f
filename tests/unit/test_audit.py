"""Unit tests of the leak audit (module_utils/audit.py): costing per kind, the
report and its message, what is free, the names that make something the
environment's. No network.

The last tests run discovery on botocore Stubber clients for what the AWS
emulator cannot produce (tests/integration/test_audit.py covers the rest
against it): public IPv4 addresses AWS itself puts on ENIs (a load balancer's
nodes, an instance in a public subnet), the ENI of a NAT gateway, a managed
node group whose instance type lives in its launch template, and that node
group's instances and root volumes.
"""

from __future__ import annotations

import datetime
import json
import os
import sys

import boto3
import pytest
from botocore.stub import Stubber

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import audit, prices  # noqa: E402

HOUR = 1.0 / prices.HOURS_PER_MONTH
SCOPE = audit.Scope("streamstack", "poc")
TODAY = datetime.date(2026, 11, 24)


def priced(kind, charges, billable=None, rid="x-1", why="tagged Environment=poc, Project=streamstack", **kw):
    found = audit.Findings().add(kind, rid, why, charges=charges, billable=billable, **kw)
    return audit.price([found], "us-east-1")[0]


# --- costing per kind ------------------------------------------------------------

@pytest.mark.parametrize("state, usd", [("pending", 0.045), ("available", 0.045), ("failed", 0.045),
                                        ("deleting", 0.045), ("deleted", 0.0)])
def test_nat_gateway_bills_only_while_it_exists(state, usd):
    assert priced("nat_gateway", audit.nat_gateway_charges({"State": state}))["usd_per_hour"] == usd


def test_elastic_ip_is_one_public_ipv4_address():
    found = priced("elastic_ip", audit.elastic_ip_charges({"AllocationId": "eipalloc-1"}))
    assert found["usd_per_hour"] == 0.005 and found["billable"]
    assert found["cost_basis"] == "1 public IPv4 address x $0.005/address-h"


@pytest.mark.parametrize("eni, usd, note", [
    ({"Association": {}}, 0.0, ""),
    # AWS assigned (an instance in a public subnet): billed on the ENI.
    ({"Association": {"PublicIp": "3.3.3.3", "IpOwnerId": "amazon"}}, 0.005, ""),
    # Two addresses, one of them on a secondary private IP.
    ({"Association": {"PublicIp": "3.3.3.3", "IpOwnerId": "amazon"},
      "PrivateIpAddresses": [{"Association": {"PublicIp": "3.3.3.3"}}, {"Association": {"PublicIp": "4.4.4.4"}}]},
     0.010, ""),
    # An Elastic IP, or a NAT gateway's: priced as its elastic_ip finding.
    ({"Association": {"PublicIp": "3.3.3.3", "AllocationId": "eipalloc-1"}}, 0.0, "is an Elastic IP"),
    ({"InterfaceType": "nat_gateway", "Association": {"PublicIp": "3.3.3.3"}}, 0.0, "is an Elastic IP"),
    # A load balancer node's: priced with the load balancer.
    ({"Description": "ELB app/k8s-pinot/50dc6c495c0c9188",
      "Association": {"PublicIp": "3.3.3.3", "IpOwnerId": "amazon-elb"}},
     0.0, "belongs to a load balancer"),
])
def test_eni_is_free_unless_it_has_its_own_public_ipv4(eni, usd, note):
    found = priced("network_interface", audit.network_interface_charges(eni))
    assert found["usd_per_hour"] == pytest.approx(usd, abs=1e-6) and found["billable"] is (usd > 0)
    assert note in "; ".join(audit.eni_public_ips(eni)[1])


def test_load_balancer_internet_facing_pays_a_public_address_per_az():
    alb = {"Type": "application", "Scheme": "internet-facing", "AvailabilityZones": [{}, {}]}
    found = priced("load_balancer", audit.load_balancer_charges(alb))
    assert found["usd_per_hour"] == pytest.approx(0.0225 + 0.010, abs=1e-6)
    internal = dict(alb, Scheme="internal")
    assert priced("load_balancer", audit.load_balancer_charges(internal))["usd_per_hour"] == 0.0225


def test_network_load_balancer_has_no_price_and_says_so():
    found = priced("load_balancer", audit.load_balancer_charges({"Type": "network", "Scheme": "internal"}))
    assert found["usd_per_hour"] == 0 and found["billable"]
    assert found["missing_prices"] == ["no 'nlb' price for us-east-1 in the price table %s (for network load "
                                       "balancer)" % prices.TABLE_VERSION]


def test_ebs_gp3_per_gb_month():
    volume = {"VolumeType": "gp3", "Size": 100, "Iops": 3000, "Throughput": 125}
    found = priced("ebs_volume", audit.ebs_volume_charges(volume))
    assert found["usd_per_hour"] == pytest.approx(100 * 0.08 * HOUR, abs=1e-6) and not found["missing_prices"]


def test_ebs_without_a_price_is_billable_and_unpriced():
    gp2 = priced("ebs_volume", audit.ebs_volume_charges({"VolumeType": "gp2", "Size": 8}))
    assert gp2["billable"] and gp2["usd_per_hour"] == 0 and "'ebs_gp2'" in gp2["missing_prices"][0]
    fast = priced("ebs_volume", audit.ebs_volume_charges({"VolumeType": "gp3", "Size": 10, "Iops": 6000}))
    assert fast["usd_per_hour"] == pytest.approx(10 * 0.08 * HOUR, abs=1e-6)  # the base is priced
    assert "'ebs_gp3_iops'" in fast["missing_prices"][0]  # the extra IOPS are not


def test_msk_brokers_by_type_and_storage():
    cluster = {"NumberOfBrokerNodes": 2, "BrokerNodeGroupInfo": {
        "InstanceType": "kafka.t3.small", "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 20}}}}
    found = priced("msk_cluster", audit.msk_cluster_charges(cluster))
    assert found["usd_per_hour"] == pytest.approx(2 * 0.0456 + 40 * 0.10 * HOUR, abs=1e-6)
    unknown = dict(cluster, BrokerNodeGroupInfo=dict(cluster["BrokerNodeGroupInfo"], InstanceType="kafka.m9.huge"))
    found = priced("msk_cluster", audit.msk_cluster_charges(unknown))
    assert "no msk_broker price for 'kafka.m9.huge'" in found["missing_prices"][0]
    assert found["usd_per_hour"] == pytest.approx(40 * 0.10 * HOUR, abs=1e-6)  # storage still counted


@pytest.mark.parametrize("version, today, usd", [
    ("1.35", TODAY, 0.10),
    ("1.34", datetime.date(2026, 12, 2), 0.10),   # last day of standard support
    ("1.34", datetime.date(2026, 12, 3), 0.60),   # extended support
    ("1.99", TODAY, 0.10),                        # unknown: standard, and the label says so
])
def test_eks_control_plane_standard_or_extended(version, today, usd):
    charges = audit.eks_cluster_charges({"version": version}, today)
    assert priced("eks_cluster", charges)["usd_per_hour"] == usd
    if version == "1.99":
        assert "standard price assumed" in charges[0]["label"]


def test_nodegroup_on_demand_and_spot():
    group = {"scalingConfig": {"desiredSize": 2}, "capacityType": "ON_DEMAND"}
    assert priced("eks_nodegroup", audit.eks_nodegroup_charges(group, "t3.medium"))["usd_per_hour"] == 0.0832
    spot = priced("eks_nodegroup", audit.eks_nodegroup_charges(dict(group, capacityType="SPOT"), "t3.medium"))
    assert spot["usd_per_hour"] == pytest.approx(0.0832 * 0.35, abs=1e-6) and spot["estimate"]
    idle = dict(group, scalingConfig={"desiredSize": 0})
    zero = priced("eks_nodegroup", audit.eks_nodegroup_charges(idle, "t3.medium"), billable=True)
    assert zero["usd_per_hour"] == 0 and zero["billable"]
    unknown = priced("eks_nodegroup", audit.eks_nodegroup_charges(group, None))
    assert "no ec2 price for 'unknown'" in unknown["missing_prices"][0]


def _app(status, parallelism=1, per_kpu=1, current=None):
    par = {"Parallelism": parallelism, "ParallelismPerKPU": per_kpu}
    if current:
        par["CurrentParallelism"] = current
    return {"ApplicationStatus": status, "ApplicationConfigurationDescription": {
        "FlinkApplicationConfigurationDescription": {"ParallelismConfigurationDescription": par}}}


def test_flink_kpus_plus_orchestration_while_running():
    # Parallelism 1: 1 KPU + 1 orchestration KPU, 100 GB running storage.
    assert priced("flink_application", audit.flink_application_charges(_app("RUNNING")))[
        "usd_per_hour"] == pytest.approx(2 * 0.11 + 100 * 0.10 * HOUR, abs=1e-6)
    # ceil(5 / 2) = 3 KPUs; an autoscaled application bills its current parallelism.
    assert priced("flink_application", audit.flink_application_charges(_app("RUNNING", 5, 2)))[
        "usd_per_hour"] == pytest.approx(4 * 0.11 + 200 * 0.10 * HOUR, abs=1e-6)
    assert priced("flink_application", audit.flink_application_charges(_app("AUTOSCALING", 1, 1, current=4)))[
        "usd_per_hour"] == pytest.approx(5 * 0.11 + 250 * 0.10 * HOUR, abs=1e-6)


def test_stopped_flink_application_is_free():
    found = priced("flink_application", audit.flink_application_charges(_app("READY")))
    assert found["usd_per_hour"] == 0 and found["billable"] is False


def test_log_group_storage_and_running_instance():
    assert priced("log_group", audit.log_group_charges({"storedBytes": 10 * 1024 ** 3}), billable=True)[
        "usd_per_hour"] == pytest.approx(10 * 0.03 * HOUR, abs=1e-6)
    running = {"InstanceType": "t3.medium", "State": {"Name": "running"}}
    assert priced("ec2_instance", audit.instance_charges(running))["usd_per_hour"] == 0.0416
    assert audit.instance_charges(dict(running, State={"Name": "stopped"})) == []


def test_a_region_without_prices_is_priced_at_us_east_1s_marked_never_zero():
    found = audit.Findings().add("nat_gateway", "nat-1", "tagged", charges=audit.nat_gateway_charges(
        {"State": "available"}))
    found = audit.price([found], "eu-north-1")[0]
    assert found["billable"] and found["usd_per_hour"] == pytest.approx(0.045)  # us-east-1's NAT hour
    assert found["missing_prices"] == []
    assert "[us-east-1 price]" in found["cost_basis"]
    result = audit.report([found], audit.Scope("streamstack", "poc"), "eu-north-1")
    assert "some eu-north-1 prices unknown: us-east-1's stand in, marked" in result["summary"]


# --- the report ----------------------------------------------------------------

def _leftovers():
    found = audit.Findings()
    found.add("nat_gateway", "nat-1", "in the environment's VPC vpc-1", state="available",
              charges=audit.nat_gateway_charges({"State": "available"}))
    found.add("ebs_volume", "vol-1", "tagged kubernetes.io/cluster/streamstack-poc=owned",
              charges=audit.ebs_volume_charges({"VolumeType": "gp3", "Size": 10}))
    found.add("vpc", "vpc-1", "tagged Environment=poc, Project=streamstack", billable=False)
    found.add("network_interface", "eni-1", "in the environment's VPC vpc-1", charges=[])
    found.add("s3_bucket", "streamstack-poc-flink-code-1", "named streamstack-poc-flink-code-*",
              charges=audit.s3_bucket_charges(0), billable=True)
    return audit.price(found.all(), "us-east-1")


def test_message_lists_each_billable_leftover_with_kind_id_cost_and_why():
    result = audit.report(_leftovers(), SCOPE, "us-east-1")
    assert result["billable_count"] == 3
    assert result["usd_per_hour"] == pytest.approx(0.045 + 10 * 0.08 * HOUR, abs=1e-4)
    assert result["lines"][0] == (
        "3 billable leftovers of streamstack/poc in us-east-1: $0.0461/h or more (some prices are missing) "
        "($33.65/month) at price table %s" % prices.TABLE_VERSION)
    assert result["lines"][1] == ("- nat_gateway nat-1 [available]: $0.0450/h = 1 NAT gateway x $0.045/NAT-h; "
                                  "why: in the environment's VPC vpc-1")
    assert result["lines"][2].startswith("- ebs_volume vol-1: $0.0011/h = 10 GB of gp3 x $0.08/GB-month; why: tagged "
                                         "kubernetes.io/cluster/streamstack-poc=owned")
    assert "s3_bucket streamstack-poc-flink-code-1: $0.0000/h + unpriced (no 's3_standard' price" in result["lines"][3]
    # Free leftovers come after, never counted.
    free = result["lines"][result["lines"].index("also left, free (billable: false):") + 1:]
    assert [ln.split(":")[0] for ln in free[:2]] == ["- network_interface eni-1", "- vpc vpc-1"]
    assert result["lines"][-1].startswith("prices missing from plugins/module_utils/prices.py: no 's3_standard'")
    assert result["message"] == "\n".join(result["lines"])
    assert [b["kind"] for b in result["billable"]] == ["nat_gateway", "ebs_volume", "s3_bucket"]


def test_only_free_leftovers_is_nothing_billable():
    free = [f for f in _leftovers() if not f["billable"]]
    result = audit.report(free, SCOPE, "us-east-1")
    assert result["billable_count"] == 0 and result["usd_per_hour"] == 0
    assert result["summary"] == "nothing billable left of streamstack/poc in us-east-1"
    assert "also left, free (billable: false):" in result["lines"]
    assert audit.report([], SCOPE, "us-east-1")["lines"] == ["nothing billable left of streamstack/poc in us-east-1"]


def test_expected_leftovers_are_reported_apart_and_do_not_count():
    rules = [{"kind": "s3_bucket", "id_regex": "^streamstack-poc-flink-code-", "reason": "kept by teardown"}]
    result = audit.report(_leftovers(), SCOPE, "us-east-1", expected=rules)
    assert result["billable_count"] == 2 and "s3_bucket" not in [b["kind"] for b in result["billable"]]
    kept = result["lines"].index("kept on purpose (billable, not counted as leftovers):")
    assert "kept on purpose: kept by teardown" in result["lines"][kept + 1]
    # Another kind, or another name, is not excused.
    other = audit.report(_leftovers(), SCOPE, "us-east-1", expected=[dict(rules[0], id_regex="^other-")])
    assert other["billable_count"] == 3


# --- what makes something the environment's --------------------------------------

@pytest.mark.parametrize("name, ours", [
    ("/aws/msk/streamstack-poc", True), ("/aws/msk/streamstack-poc2", False),
    ("/aws/kinesis-analytics/streamstack-poc", True), ("/aws/eks/streamstack-poc/cluster", True),
    ("/aws/eks/streamstack-pocket/cluster", False), ("/aws/msk/streamstack-staging", False), ("/poc", False),
])
def test_log_group_names(name, ours):
    assert bool(SCOPE.log_group_reason(name)) is ours


@pytest.mark.parametrize("name, ours", [("streamstack-poc", True), ("streamstack-poc-old", True),
                                        ("streamstack-pocket", False), ("streamstack-staging", False)])
def test_msk_configuration_names(name, ours):
    assert SCOPE.owns_msk_configuration(name) is ours


def test_scope_defaults_follow_the_roles():
    assert (SCOPE.eks_cluster, SCOPE.msk_cluster, SCOPE.flink_app) == ("streamstack-poc",) * 3
    assert SCOPE.iam_path == "/streamstack/poc/" and SCOPE.code_bucket_prefix == "streamstack-poc-flink-code-"
    assert SCOPE.tagged({"Project": "streamstack", "Environment": "poc", "Owner": "x"})
    assert not SCOPE.tagged({"Project": "streamstack", "Environment": "staging"})
    assert not SCOPE.tagged({})


def test_call_asks_ansibles_retrying_wrapper_to_retry():
    seen = {}

    class Wrapper(object):  # AnsibleAWSModule's RetryingBotoClientWrapper: .client and .retry
        client, retry = object(), object()

        def describe_addresses(self, **kw):
            seen.update(kw)
            return {}

    audit._call(Wrapper(), "describe_addresses")
    assert seen == {"aws_retry": True}


# --- discovery of what the emulator cannot make (botocore Stubber) -----------------

def _client(service):
    return boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                 region_name="us-east-1").client(service)


class Stubbed(object):
    """client factory: one Stubber per service, each answering its calls in order."""

    def __init__(self, responses):
        self.clients, self.stubbers = {}, []
        for service, calls in responses.items():
            client = _client(service)
            stubber = Stubber(client)
            for operation, response in calls:
                stubber.add_response(operation, response)
            stubber.activate()
            self.clients[service] = client
            self.stubbers.append(stubber)

    def __call__(self, service):
        return self.clients[service]

    def assert_done(self):
        for stubber in self.stubbers:
            stubber.assert_no_pending_responses()


TAGS = [{"Key": "Project", "Value": "streamstack"}, {"Key": "Environment", "Value": "poc"}]
NODE_TAGS = [{"Key": "eks:cluster-name", "Value": "streamstack-poc"},
             {"Key": "eks:nodegroup-name", "Value": "nodes"},
             {"Key": "kubernetes.io/cluster/streamstack-poc", "Value": "owned"}]


def _eni(eni_id, description, association=None, interface_type="interface"):
    eni = {"NetworkInterfaceId": eni_id, "VpcId": "vpc-1", "SubnetId": "subnet-1", "Description": description,
           "InterfaceType": interface_type, "Status": "in-use", "TagSet": [], "RequesterId": "amazon-elb"}
    if association:
        eni["Association"] = association
    return eni


def _aws_made():
    """What AWS makes in a deployed environment, as its APIs describe it."""
    enis = [
        _eni("eni-alb", "ELB app/streamstack-poc-pinot/50dc6c495c0c9188",
             {"PublicIp": "3.3.3.3", "IpOwnerId": "amazon-elb"}),
        _eni("eni-nat", "Interface for NAT Gateway nat-1",
             {"PublicIp": "5.5.5.5", "AllocationId": "eipalloc-nat", "IpOwnerId": "123456789012"}, "nat_gateway"),
        _eni("eni-flink", "Amazon Kinesis Analytics application streamstack-poc"),
        _eni("eni-bastion", "", {"PublicIp": "4.4.4.4", "IpOwnerId": "amazon"}),
    ]
    ec2 = [
        ("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1", "State": "available", "Tags": TAGS}]}),
        ("describe_subnets", {"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "Tags": TAGS}]}),
        ("describe_subnets", {"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "Tags": TAGS}]}),
        ("describe_security_groups", {"SecurityGroups": []}),
        ("describe_security_groups", {"SecurityGroups": [{"GroupId": "sg-default", "GroupName": "default",
                                                          "VpcId": "vpc-1"}]}),
        ("describe_nat_gateways", {"NatGateways": []}),
        ("describe_nat_gateways", {"NatGateways": [
            {"NatGatewayId": "nat-1", "VpcId": "vpc-1", "State": "available",
             "NatGatewayAddresses": [{"AllocationId": "eipalloc-nat", "PublicIp": "5.5.5.5"}]},
            {"NatGatewayId": "nat-old", "VpcId": "vpc-1", "State": "deleted"}]}),
        ("describe_network_interfaces", {"NetworkInterfaces": []}),
        ("describe_network_interfaces", {"NetworkInterfaces": enis}),
        # the node group's instance type, from its launch template
        ("describe_launch_template_versions", {"LaunchTemplateVersions": [
            {"LaunchTemplateId": "lt-1", "VersionNumber": 3, "LaunchTemplateData": {"InstanceType": "t3.medium"}}]}),
        ("describe_instances", {"Reservations": []}),
        ("describe_instances", {"Reservations": [{"Instances": [
            {"InstanceId": "i-node1", "InstanceType": "t3.medium", "State": {"Name": "running"}, "VpcId": "vpc-1",
             "Tags": NODE_TAGS}]}]}),
        ("describe_instances", {"Reservations": [{"Instances": [
            {"InstanceId": "i-node1", "InstanceType": "t3.medium", "State": {"Name": "running"}, "VpcId": "vpc-1",
             "Tags": NODE_TAGS}]}]}),
        ("describe_addresses", {"Addresses": [
            {"AllocationId": "eipalloc-nat", "PublicIp": "5.5.5.5", "AssociationId": "eipassoc-1",
             "NetworkInterfaceId": "eni-nat", "Domain": "vpc"},
            {"AllocationId": "eipalloc-other", "PublicIp": "6.6.6.6", "Domain": "vpc"}]}),
        # volumes: the claim's (cluster tag), KubernetesCluster (none), ours by tag (none), the node's root
        ("describe_volumes", {"Volumes": [
            {"VolumeId": "vol-claim", "Size": 20, "VolumeType": "gp3", "State": "available", "Tags": [
                {"Key": "kubernetes.io/cluster/streamstack-poc", "Value": "owned"},
                {"Key": "kubernetes.io/created-for/pvc/name", "Value": "data-pinot-server-0"},
                {"Key": "kubernetes.io/created-for/pvc/namespace", "Value": "pinot"}]}]}),
        ("describe_volumes", {"Volumes": []}),
        ("describe_volumes", {"Volumes": []}),
        ("describe_volumes", {"Volumes": [
            {"VolumeId": "vol-root", "Size": 20, "VolumeType": "gp3", "State": "in-use",
             "Attachments": [{"InstanceId": "i-node1", "VolumeId": "vol-root", "State": "attached"}]}]}),
    ]
    eks = [
        ("list_clusters", {"clusters": ["streamstack-poc"]}),
        ("describe_cluster", {"cluster": {"name": "streamstack-poc", "version": "1.35", "status": "ACTIVE",
                                          "resourcesVpcConfig": {"vpcId": "vpc-1"}, "tags": {}}}),
        ("list_nodegroups", {"nodegroups": ["nodes"]}),
        ("describe_nodegroup", {"nodegroup": {
            "nodegroupName": "nodes", "clusterName": "streamstack-poc", "status": "ACTIVE", "capacityType": "ON_DEMAND",
            "scalingConfig": {"minSize": 2, "desiredSize": 2, "maxSize": 4},
            "launchTemplate": {"id": "lt-1", "version": "3"}, "tags": {}}}),
    ]
    return {
        "ec2": ec2, "eks": eks,
        "kafka": [("list_clusters", {"ClusterInfoList": []}), ("list_configurations", {"Configurations": []})],
        "kinesisanalyticsv2": [("list_applications", {"ApplicationSummaries": []})],
        "elbv2": [("describe_load_balancers", {"LoadBalancers": [
            {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/"
                                "streamstack-poc-pinot/50dc6c495c0c9188", "LoadBalancerName": "streamstack-poc-pinot",
             "VpcId": "vpc-1", "Type": "application", "Scheme": "internet-facing", "State": {"Code": "active"},
             "AvailabilityZones": [{"ZoneName": "us-east-1a"}, {"ZoneName": "us-east-1b"}]}]}),
                  ("describe_target_groups", {"TargetGroups": []}),
                  ("describe_tags", {"TagDescriptions": []})],
        "logs": [("describe_log_groups", {"logGroups": [
            {"logGroupName": "/aws/eks/streamstack-poc/cluster", "storedBytes": 0,
             "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/streamstack-poc/cluster:*"}]}),
            ("list_tags_for_resource", {"tags": {}})],
        "s3": [("list_buckets", {"Buckets": []})],
        # the time-to-live trigger: none (tests/integration/test_audit.py plants one in the emulator)
        "scheduler": [("list_schedule_groups", {"ScheduleGroups": []})],
        "codebuild": [("list_projects", {"projects": ["someone-elses"]}),  # botocore: at least one name
                      ("batch_get_projects", {"projects": [{"name": "someone-elses", "tags": []}]})],
        "events": [("list_rules", {"Rules": []})],
        "sns": [("list_topics", {"Topics": []})],
        "iam": [("list_roles", {"Roles": []})],
    }


def test_discovers_what_aws_makes_without_our_tags():
    clients = Stubbed(_aws_made())
    result = audit.audit(clients, SCOPE, "us-east-1", today=TODAY)
    clients.assert_done()
    by_id = {f["id"]: f for f in result["leftovers"]}

    # The load balancer's nodes' addresses are priced with it, not on their ENI.
    assert by_id["eni-alb"]["usd_per_hour"] == 0 and "priced with it" in by_id["eni-alb"]["note"]
    lb = [f for f in result["leftovers"] if f["kind"] == "load_balancer"][0]
    assert lb["usd_per_hour"] == pytest.approx(0.0225 + 2 * 0.005, abs=1e-6)
    # The NAT gateway's address is its Elastic IP; an address AWS gave an ENI bills there.
    assert by_id["eni-nat"]["usd_per_hour"] == 0
    assert by_id["eipalloc-nat"]["why"] == ["associated with ENI eni-nat (in VPC vpc-1)",
                                            "the address of NAT gateway nat-1"]
    assert by_id["eni-bastion"]["usd_per_hour"] == 0.005 and by_id["eni-bastion"]["billable"]
    assert by_id["eni-flink"]["billable"] is False
    assert "made for: Amazon Kinesis Analytics application streamstack-poc" in by_id["eni-flink"]["why"][0]
    assert "eipalloc-other" not in by_id and "nat-old" not in by_id and "sg-default" not in by_id
    # The node group's type comes from its launch template; its instances bill with it, their root
    # volumes on their own, and the claim's volume is found by the EBS CSI driver's tags.
    assert by_id["streamstack-poc/nodes"]["usd_per_hour"] == pytest.approx(2 * 0.0416, abs=1e-6)
    assert by_id["i-node1"]["billable"] is False and by_id["i-node1"]["note"] == (
        "billed with node group streamstack-poc/nodes")
    assert by_id["vol-root"]["why"] == ["attached to instance i-node1 of the environment"]
    assert by_id["vol-claim"]["why"] == [
        "tagged kubernetes.io/cluster/streamstack-poc=owned, kubernetes.io/created-for/pvc/name=data-pinot-server-0 "
        "(a Kubernetes volume of EKS cluster streamstack-poc, claim pinot/data-pinot-server-0)"]
    assert by_id["vol-claim"]["usd_per_hour"] == pytest.approx(20 * 0.08 * HOUR, abs=1e-6)
    # EKS keeps its control-plane log group after the cluster is gone.
    assert "/aws/eks/streamstack-poc/cluster" in by_id
    assert result["billable_count"] == 9
    assert json.dumps(result)  # what the module returns is plain data


# --- the module ----------------------------------------------------------------------

def test_module_refuses_an_empty_environment(capsys, monkeypatch):
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.streamstack.pipeline.plugins.modules import stack_audit

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    with patch_module_args({"project": "streamstack", "environment": " ", "region": "us-east-1"}), \
            pytest.raises(SystemExit) as exited:
        stack_audit.main()
    result = json.loads(capsys.readouterr().out)
    assert exited.value.code == 1 and "environment must not be empty" in result["msg"]
