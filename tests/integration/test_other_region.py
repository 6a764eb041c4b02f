"""The poc inventory moved to another region, as a user in Europe would: eu-west-1's AZ
IDs, another CIDR, 3 brokers (one per AZ). It deploys there and nowhere else, is
priced for that region (the table's eu-west-1 prices; what the table lacks there is
asked of the Price List API, the harness's, which lists nothing, so it is us-east-1's,
marked), re-deploys with changed=0, and tears down to an account as it was.
tests/integration/test_cost.py covers a region the table lacks entirely.
"""
from __future__ import annotations

from integration.awsstate import account_scan, client, leftovers, scan_difference, tagged_resources
from integration.playbook import assert_ok, run_playbook
from integration.stack import FIXED_EXPIRY, ONE_EACH, harness_vars

ENV, REGION = "poc", "eu-west-1"
GLOBAL = ("iam_role", "iam_policy", "instance_profile", "s3_bucket")
AWAY = {
    "aws_region": REGION,
    "vpc_availability_zone_ids": ["euw1-az1", "euw1-az2", "euw1-az3"],
    "vpc_cidr": "10.60.0.0/16",
    "vpc_public_subnet_cidrs": ["10.60.0.0/24", "10.60.1.0/24", "10.60.2.0/24"],
    "vpc_private_subnet_cidrs": ["10.60.16.0/20", "10.60.32.0/20", "10.60.48.0/20"],
    "msk_broker_count": 3,
}


def test_poc_moved_to_eu_west_1_deploys_there_priced_for_it_and_tears_down(aws_emulator, aws_env, tmp_path,
                                                                           kube_cluster, kube_nodes):
    url = aws_emulator.url
    aws_emulator.reset()
    before = account_scan(url, REGION)
    kube_nodes("t3.medium", 2, prefix=f"streamstack-{ENV}-nodes")
    extra = {**harness_vars(url, kube_cluster), **AWAY, "stack_outputs_dir": str(tmp_path),
             "ttl_expires_at": FIXED_EXPIRY}

    deploy = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(deploy, f"deploy to {REGION}")
    # The estimate, printed before the first AWS call, is eu-west-1's where the table has it.
    nodes = next(line for line in deploy.output.splitlines() if "EKS nodes (t3.medium" in line)
    nat = next(line for line in deploy.output.splitlines() if "NAT gateways (single)" in line)
    brokers = next(line for line in deploy.output.splitlines() if "MSK brokers (kafka.t3.small)" in line)
    assert "$0.0456 /instance-h" in nodes and "[us-east-1 price]" not in nodes, nodes
    assert "$0.048 /NAT-h" in nat and "[us-east-1 price]" not in nat, nat
    assert "3 broker x $0.0456 /broker-h" in brokers and "[us-east-1 price]" in brokers, brokers
    assert "lines at us-east-1 prices, not eu-west-1's" in deploy.output

    made = tagged_resources(url, "streamstack", ENV, REGION)
    for kind in ONE_EACH:
        assert len(made[kind]) == 1, f"{kind} in {REGION}: {made[kind]}"
    # IAM and S3's bucket list are global; nothing else of the environment is in us-east-1.
    regional = [found for found in leftovers(url, "streamstack", ENV) if found.split()[0] not in GLOBAL]
    assert regional == [], f"in us-east-1 too: {regional}"
    ec2 = client("ec2", url, REGION)
    vpc = ec2.describe_vpcs(VpcIds=[made["vpc"][0][0]])["Vpcs"][0]
    assert vpc["CidrBlock"] == AWAY["vpc_cidr"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert {s["AvailabilityZoneId"] for s in subnets} == set(AWAY["vpc_availability_zone_ids"])
    cluster = client("kafka", url, REGION).describe_cluster_v2(ClusterArn=made["msk_cluster"][0][0])["ClusterInfo"]
    assert cluster["Provisioned"]["NumberOfBrokerNodes"] == 3
    assert client("kafka", url).list_clusters()["ClusterInfoList"] == []  # not in us-east-1
    # Managed Flink reads its code from a bucket of its own region.
    bucket = made["s3_bucket"][0][0]
    assert client("s3", url, REGION).get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION

    again = run_playbook("deploy.yml", ENV, aws_env, extra)
    assert_ok(again, f"deploy to {REGION} again")
    assert again.changed == 0, again.changed_tasks()

    down = dict(extra, teardown_confirm=ENV, teardown_delete_code_bucket=ENV)
    final = run_playbook("teardown.yml", ENV, aws_env, down)
    assert_ok(final, f"teardown in {REGION}")
    assert scan_difference(before, account_scan(url, REGION)) == {}
