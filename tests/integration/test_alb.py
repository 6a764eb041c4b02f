"""Role `alb` against the AWS emulator: the load balancer to the Pinot controller.

The network and the EKS nodes' security group and instances are made here
with boto3 (the vpc and eks roles have their own tests; the whole chain runs
in test_aws_stack.py). The emulator is moto's ELBv2, stock: it keeps load
balancers, target groups, listeners, rules and registrations, and checks no
health (no node answers here).
"""
import pytest

from integration.awsstate import client, leftovers
from integration.playbook import failures, run_play

PROJECT, ENV = "albtest", "poc"
TAGS = {"Project": PROJECT, "Environment": ENV, "ManagedBy": "ansible", "Owner": "t", "CostCenter": "c"}


@pytest.fixture
def network(aws_emulator):
    """A VPC with two public subnets, an internet gateway, the nodes' empty group and two nodes."""
    ec2 = client("ec2", aws_emulator.url)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
               for i, az in ((0, "a"), (1, "b"))]
    node_sg = ec2.create_security_group(GroupName=f"{PROJECT}-{ENV}-nodes", Description="EKS nodes", VpcId=vpc,
                                        TagSpecifications=[{"ResourceType": "security-group",
                                                            "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]}])["GroupId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    nodes = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.medium", SubnetId=subnets[0],
                              TagSpecifications=[{"ResourceType": "instance",
                                                  "Tags": [{"Key": "eks:nodegroup-name", "Value": "ng-test"}]}])
    ids = sorted(i["InstanceId"] for i in nodes["Instances"])
    yield {"vpc_id": vpc, "subnets": subnets, "node_sg": node_sg, "instances": ids}
    ec2.terminate_instances(InstanceIds=ids)


def _vars(network, **extra):
    return {"stack_project": PROJECT, "stack_environment": ENV, "stack_tags": TAGS,
            "alb_vpc_id": network["vpc_id"], "alb_vpc_cidr": "10.50.0.0/16", "alb_subnet_ids": network["subnets"],
            "alb_node_security_group_id": network["node_sg"], "alb_nodegroup_name": "ng-test",
            "alb_allowed_cidrs": ["203.0.113.0/24", "198.51.100.7/32"], **extra}


def _run(tmp_path, aws_emulator, aws_env, play_vars, name, check=False):
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1"}}
    task = {"name": "ALB", "ansible.builtin.import_role": {"name": "alb"}}
    if check:
        task["check_mode"] = True
    rc, results, output = run_play(tmp_path, aws_env, [task], name=name, module_defaults=defaults, play_vars=play_vars)
    changed = sum(1 for r in results.values() if r.get("changed"))
    return rc, results, output, changed


def _recap_changed(output):
    import re
    return sum(int(n) for n in re.findall(r'"changed": (\d+),\s*"failures"', output))


def test_create_converge_and_delete(tmp_path, aws_emulator, aws_env, network):
    url = aws_emulator.url
    elb = client("elbv2", url)
    ec2 = client("ec2", url)
    rc, results, output, _ = _run(tmp_path, aws_emulator, aws_env, _vars(network), "alb-create")
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"

    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"{PROJECT}-{ENV}-pinot"]
    assert len(lbs) == 1 and lbs[0]["Scheme"] == "internet-facing"
    assert sorted(lbs[0]["AvailabilityZones"], key=lambda z: z["SubnetId"])[0]["SubnetId"] in network["subnets"]
    alb_sg = lbs[0]["SecurityGroups"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]
    assert [(ln["Protocol"], ln["Port"]) for ln in listeners] == [("HTTP", 80)]
    rules = elb.describe_rules(ListenerArn=listeners[0]["ListenerArn"])["Rules"]
    blocked = [r for r in rules if not r["IsDefault"]]
    assert blocked and blocked[0]["Conditions"][0]["Values"] == ["/debug/*"]
    assert blocked[0]["Actions"][0]["FixedResponseConfig"]["StatusCode"] == "403"

    tg = elb.describe_target_groups(Names=[f"{PROJECT}-{ENV}-pinot-ctrl"])["TargetGroups"][0]
    assert (tg["Port"], tg["TargetType"], tg["HealthCheckPath"]) == (30900, "instance", "/health")
    targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(t["Target"]["Id"] for t in targets) == network["instances"]

    # Ingress only from the allowlist; egress only to the NodePort in the VPC.
    group = ec2.describe_security_groups(GroupIds=[alb_sg])["SecurityGroups"][0]
    ingress = {(p["FromPort"], r["CidrIp"]) for p in group["IpPermissions"] for r in p["IpRanges"]}
    assert ingress == {(80, "203.0.113.0/24"), (80, "198.51.100.7/32")}
    egress = {(p.get("FromPort"), r["CidrIp"]) for p in group["IpPermissionsEgress"] for r in p["IpRanges"]}
    assert egress == {(30900, "10.50.0.0/16")}
    nodes = ec2.describe_security_groups(GroupIds=[network["node_sg"]])["SecurityGroups"][0]
    pairs = [(p["FromPort"], g["GroupId"]) for p in nodes["IpPermissions"] for g in p["UserIdGroupPairs"]]
    assert pairs == [(30900, alb_sg)]

    # What the outputs file gets: from the modules' own results on a real run, read back in check mode.
    want = {"arn": lbs[0]["LoadBalancerArn"], "dns_name": lbs[0]["DNSName"], "target_group_arn": tg["TargetGroupArn"],
            "security_group_id": alb_sg, "url": "http://" + lbs[0]["DNSName"]}

    def published(results):
        facts = results["alb : Publish the load balancer for the outputs file"]["ansible_facts"]["alb_outputs"]
        return {key: facts[key] for key in want}

    assert published(results) == want
    # A second run and a check-mode run change nothing.
    for check in (False, True):
        rc, results, output, changed = _run(tmp_path, aws_emulator, aws_env, _vars(network), f"alb-again-{check}", check)
        assert rc == 0, f"{failures(results)}\n{output[-3000:]}"
        assert changed == 0, [name for name, r in results.items() if r.get("changed")]
        assert published(results) == want, f"check mode: {check}: {[(k, v) for k, v in results.items() if 'back' in k]}"

    # With a certificate: HTTPS on 443 and 80 redirects there.
    acm = client("acm", url)
    cert = acm.request_certificate(DomainName="pinot.example.com")["CertificateArn"]
    rc, results, output, changed = _run(tmp_path, aws_emulator, aws_env, _vars(network, alb_certificate_arn=cert), "alb-https")
    assert rc == 0 and changed > 0, f"{failures(results)}\n{output[-3000:]}"
    listeners = {ln["Port"]: ln for ln in elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["Certificates"][0]["CertificateArn"] == cert
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"

    rc, results, output, changed = _run(tmp_path, aws_emulator, aws_env, _vars(network, alb_state="absent"), "alb-delete")
    assert rc == 0, f"{failures(results)}\n{output[-3000:]}"
    assert [x for x in leftovers(url, PROJECT, ENV) if x.split()[0] in ("load_balancer", "target_group")] == []
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{PROJECT}-{ENV}-pinot-alb"]}])["SecurityGroups"]
    nodes = ec2.describe_security_groups(GroupIds=[network["node_sg"]])["SecurityGroups"][0]
    assert nodes["IpPermissions"] == []
    rc, results, output, changed = _run(tmp_path, aws_emulator, aws_env, _vars(network, alb_state="absent"), "alb-delete-again")
    assert rc == 0 and changed == 0, f"{failures(results)}\n{output[-3000:]}"


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["10.0.0.0/8", "::/0"]], ids=["empty", "open-v4", "open-v6"])
def test_refuses_open_or_missing_allowlist(tmp_path, aws_emulator, aws_env, network, cidrs):
    rc, results, output, _ = _run(tmp_path, aws_emulator, aws_env, _vars(network, alb_allowed_cidrs=cidrs), "alb-open")
    assert rc != 0
    assert "alb_allowed_cidrs" in failures(results)
    lbs = client("elbv2", aws_emulator.url).describe_load_balancers()["LoadBalancers"]
    assert not [lb for lb in lbs if lb["LoadBalancerName"].startswith(PROJECT)]
