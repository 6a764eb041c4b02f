"""The time to live against the emulator, on a simulated clock.

What fires when an environment expires is `reaper.yml` (an AWX schedule every
15 minutes, awx/): it is run here exactly so, with `ttl_now` set past (or
before) the expiry instead of waiting hours. Every assertion reads the
emulator's AWS APIs.

The first test deploys the POC (ttl_hours 5 from its inventory), checks every
tagged resource carries ExpiresAt, extends it with a re-deploy, cancels it with
ttl.yml, sets it again, and lets the reaper tear the environment down once the
clock passes the expiry; then nothing tagged and nothing untagged of the
environment (the leak audit) is left. The second plants environments with
boto3 to show a failing step: the reaper fails naming it, tears the others
down, and the next run finishes the job.
"""
import datetime
import re
from pathlib import Path

from integration.awsstate import client, leftovers, tagged_resources
from integration.playbook import assert_ok, run_playbook

UTC = datetime.timezone.utc
FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def at(when):
    return when.strftime(FORMAT)


def parse(text):
    return datetime.datetime.strptime(text, FORMAT).replace(tzinfo=UTC)


def expiries(url, env):
    """{ExpiresAt value or None: [kind id, ...]} over every tagged resource of the environment."""
    values = {}
    for kind, items in tagged_resources(url, "streamstack", env).items():
        if kind == "msk_configuration":
            continue  # MSK configurations cannot carry tags
        for rid, tags in items:
            values.setdefault(tags.get("ExpiresAt"), []).append(f"{kind} {rid}")
    return values


def reaper(aws_env, extra, now):
    return run_playbook("reaper.yml", "poc", aws_env, {**extra, "ttl_now": at(now)})


def test_deploy_extend_cancel_and_the_reaper_past_the_expiry(aws_emulator, aws_env, tmp_path, kube_cluster,
                                                            kube_nodes):
    url = aws_emulator.url
    aws_emulator.reset()
    kube_nodes("t3.medium", 2, prefix="streamstack-poc-nodes")
    extra = {"aws_endpoint_url": url, "stack_outputs_dir": str(tmp_path),
             "pinot_kubeconfig": str(kube_cluster.kubeconfig),
             "pinot_helm_binary": str(kube_cluster.bin_dir / "helm"),
             "pinot_chart_ref": str(Path(__file__).resolve().parents[1] / "charts" / "pinot-standin"),
             "pinot_tables_schemas": [], "pinot_tables_tables": [], "verify_pinot": False}

    # -- deploy: ttl_hours 5 from the POC inventory, on everything -----------------
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    deploy = run_playbook("deploy.yml", "poc", aws_env, extra)
    assert_ok(deploy, "deploy")
    after = datetime.datetime.now(UTC)
    expiry = parse(re.search(r"Expires at (\S+) \(UTC\)", deploy.output).group(1))
    assert before + datetime.timedelta(hours=5) <= expiry <= after + datetime.timedelta(hours=5)
    values = expiries(url, "poc")
    assert list(values) == [at(expiry)], f"not every resource carries ExpiresAt={at(expiry)}: {values}"
    assert len(values[at(expiry)]) > 30

    # -- the reaper before the expiry leaves it alone ------------------------------
    early = reaper(aws_env, extra, expiry - datetime.timedelta(minutes=1))
    assert_ok(early, "reaper before the expiry")
    assert "0 expired" in early.output and early.changed == 0
    assert expiries(url, "poc") == values

    # -- a re-deploy extends it (here to 10 h) ------------------------------------
    redeploy = run_playbook("deploy.yml", "poc", aws_env, {**extra, "ttl_hours": 10})
    assert_ok(redeploy, "re-deploy with ttl_hours=10")
    extended = parse(re.search(r"Expires at (\S+) \(UTC\)", redeploy.output).group(1))
    assert extended >= expiry + datetime.timedelta(hours=5)
    assert list(expiries(url, "poc")) == [at(extended)]
    past_first = reaper(aws_env, extra, expiry + datetime.timedelta(minutes=1))
    assert_ok(past_first, "reaper past the first expiry")
    assert "0 expired" in past_first.output
    assert leftovers(url, "streamstack", "poc"), "the extended environment was torn down"

    # -- a variable cancels it -----------------------------------------------------
    cancel = run_playbook("ttl.yml", "poc", aws_env, {**extra, "ttl_cancel": True})
    assert_ok(cancel, "ttl.yml -e ttl_cancel=true")
    assert list(expiries(url, "poc")) == [None]
    much_later = reaper(aws_env, extra, extended + datetime.timedelta(days=30))
    assert_ok(much_later, "reaper a month later, expiry cancelled")
    assert "0 environment(s) with an expiry" in much_later.output
    assert leftovers(url, "streamstack", "poc")
    again = run_playbook("ttl.yml", "poc", aws_env, {**extra, "ttl_cancel": True})
    assert_ok(again, "ttl.yml cancel again")
    assert again.changed == 0

    # -- set again, then the clock passes it: exactly what would fire ---------------
    restamp = run_playbook("ttl.yml", "poc", aws_env, {**extra, "ttl_expires_at": at(expiry)})
    assert_ok(restamp, "ttl.yml with an absolute expiry")
    assert list(expiries(url, "poc")) == [at(expiry)]
    reap = reaper(aws_env, extra, expiry + datetime.timedelta(minutes=1))
    assert_ok(reap, "reaper past the expiry")
    assert "1 expired: poc" in reap.output
    assert leftovers(url, "streamstack", "poc") == []
    audit = run_playbook("audit.yml", "poc", aws_env, {"aws_endpoint_url": url})
    assert_ok(audit, "audit after the reaper")
    assert "nothing billable" in audit.output.lower()
    quiet = reaper(aws_env, extra, expiry + datetime.timedelta(hours=1))
    assert_ok(quiet, "reaper with nothing left")
    assert "0 environment(s) with an expiry" in quiet.output


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
