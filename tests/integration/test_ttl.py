"""The reaper when a teardown fails, against the emulator, on a simulated clock.

What fires when an environment expires is `reaper.yml` (an AWX schedule every
15 minutes, awx/): it is run here exactly so, with `ttl_now` set past the
expiry instead of waiting hours. Environments are planted with boto3 to show a
failing step: the reaper fails naming it, tears the others down, and the next
run finishes the job. The time to live of a deployed POC (stamped, extended,
cancelled, set again, reaped: nothing left) is step 4 of test_poc_lifecycle.py.
"""
import datetime
import re

from integration.awsstate import client, leftovers
from integration.playbook import assert_ok
from integration.stack import at, reaper

UTC = datetime.timezone.utc


def _plant_network(ec2, env, expires_at=None):
    tags = [{"Key": "Project", "Value": "streamstack"}, {"Key": "Environment", "Value": env},
            {"Key": "ManagedBy", "Value": "ansible"}]
    if expires_at:
        tags.append({"Key": "ExpiresAt", "Value": expires_at})
    spec = [{"ResourceType": "vpc", "Tags": tags}]
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24", AvailabilityZone="us-east-1a",
                               TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}])["Subnet"]["SubnetId"]
    return vpc, subnet


def test_a_failing_teardown_fails_the_reaper_by_name_and_the_next_run_finishes(aws_emulator, aws_env, tmp_path):
    url = aws_emulator.url
    aws_emulator.reset()
    ec2 = client("ec2", url)
    now = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    past, future = at(now - datetime.timedelta(hours=1)), at(now + datetime.timedelta(hours=1))
    _plant_network(ec2, "dev", past)                 # expired: torn down
    _, stuck_subnet = _plant_network(ec2, "qa", past)  # expired, but its subnet holds an ENI nobody tagged
    eni = ec2.create_network_interface(SubnetId=stuck_subnet)["NetworkInterface"]["NetworkInterfaceId"]
    _plant_network(ec2, "demo", future)              # not yet
    _plant_network(ec2, "keep")                      # no expiry at all
    extra = {"aws_endpoint_url": url, "stack_outputs_dir": str(tmp_path)}

    first = reaper(aws_env, extra, now)
    assert first.rc != 0, "a failed teardown must fail the reaper"
    assert "2 expired: dev, qa" in first.output
    assert re.search(r"^ttl-expired-qa\s+:.*failed=1", first.output, re.M), first.output[-3000:]
    assert re.search(r"^ttl-expired-dev\s+:.*failed=0", first.output, re.M), first.output[-3000:]
    assert "DependencyViolation" in first.output
    assert re.search(f"These network interfaces are left and hold vpc-[0-9a-f]+: {eni}", first.output), \
        "the interface that holds the subnet must be named, at once (AWS will never remove it)"
    assert leftovers(url, "streamstack", "dev") == []
    assert leftovers(url, "streamstack", "qa"), "qa's failure was hidden"
    assert leftovers(url, "streamstack", "demo") and leftovers(url, "streamstack", "keep")

    # Whatever held it is gone; the next scheduled run (15 minutes later) finishes.
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    second = reaper(aws_env, extra, now + datetime.timedelta(minutes=15))
    assert_ok(second, "the next reaper run")
    assert "1 expired: qa" in second.output, second.output[:6000]
    assert leftovers(url, "streamstack", "qa") == []
    assert leftovers(url, "streamstack", "demo") and leftovers(url, "streamstack", "keep")
