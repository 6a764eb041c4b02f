"""Malformed inventory values stop the run in the preflight role, before any AWS module.

Each case is one `ansible-playbook playbooks/preflight.yml -i inventories/poc
-e '<JSON>'` run, with fake credentials and the AWS endpoint on a closed local
port (so an AWS call, if one slipped through, could not reach anything). The
runs start together in a thread pool (about 1.5 s each); every test asserts its
own run: non-zero exit, the variable named in the failure, and every task that
ran belongs to the preflight role. A few cases go through playbooks/deploy.yml
to show preflight stops the deployment before the first AWS role.
"""

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CLOSED_PORT_ENDPOINT = "http://127.0.0.1:9"
WORKERS = max(2, min(4, (os.cpu_count() or 2) + 1))

POC_TAGS_WITHOUT_OWNER = {"Project": "streamstack", "Environment": "poc", "ManagedBy": "ansible", "CostCenter": "CC-0000"}

# id: (extra vars, variable the failure must name, other text it must contain,
#      stage: "spec" = an AWS role's meta/argument_specs.yml, "rules" = stack_preflight)
CASES = {
    "one_az": ({"vpc_availability_zone_ids": ["use1-az1"]}, "vpc_availability_zone_ids", "has 1 AZ", "rules"),
    "duplicate_azs": ({"vpc_availability_zone_ids": ["use1-az1", "use1-az1"]}, "vpc_availability_zone_ids", "more than once", "rules"),
    "use1_az3": ({"vpc_availability_zone_ids": ["use1-az1", "use1-az3"]}, "vpc_availability_zone_ids", "use1-az3", "rules"),
    "az_of_other_region": ({"vpc_availability_zone_ids": ["use1-az1", "usw2-az1"]}, "vpc_availability_zone_ids", "usw2-az1", "rules"),
    "az_name_not_id": ({"vpc_availability_zone_ids": ["us-east-1a", "us-east-1b"]}, "vpc_availability_zone_ids", "us-east-1a", "rules"),
    "three_brokers_two_azs": ({"msk_broker_count": 3}, "msk_broker_count", "3 over 2 AZs", "rules"),
    "kafka_281": ({"msk_kafka_version": "2.8.1"}, "msk_kafka_version", "2024-09-11", "rules"),
    "kafka_banana": ({"msk_kafka_version": "banana"}, "msk_kafka_version", "banana", "rules"),
    "eks_129": ({"eks_version": "1.29"}, "eks_version", "2026-03-23", "rules"),
    "eks_version_float": ({"eks_version": 1.3}, "eks_version", "quote it", "rules"),
    "overlapping_subnets": ({"vpc_private_subnet_cidrs": ["10.40.16.0/20", "10.40.1.0/24"]}, "vpc_private_subnet_cidrs", "overlaps", "rules"),
    "subnet_outside_vpc": ({"vpc_public_subnet_cidrs": ["10.40.0.0/24", "10.41.1.0/24"]}, "vpc_public_subnet_cidrs", "outside vpc_cidr", "rules"),
    "invalid_vpc_cidr": ({"vpc_cidr": "10.40.0.0/33"}, "vpc_cidr", "10.40.0.0/33", "rules"),
    "vpc_cidr_host_bits": ({"vpc_cidr": "10.40.0.1/16"}, "vpc_cidr", "10.40.0.0/16", "rules"),
    "bad_capacity_type": ({"eks_node_capacity_type": "on_demand"}, "eks_node_capacity_type", "on_demand", "spec"),
    "min_above_max": ({"eks_node_min_size": 5, "eks_node_desired_size": 5}, "eks_node_min_size", "greater than eks_node_max_size 4", "rules"),
    "node_disk_5": ({"eks_node_disk_gb": 5}, "eks_node_disk_gb", "from 20", "rules"),
    "missing_owner_tag": ({"stack_tags": POC_TAGS_WITHOUT_OWNER}, "stack_tags", "Owner", "rules"),
    "string_for_number": ({"msk_broker_count": "three"}, "msk_broker_count", "three", "spec"),
    "unknown_nat_mode": ({"vpc_nat_gateway_mode": "multi"}, "vpc_nat_gateway_mode", "multi", "spec"),
    "empty_instance_types": ({"eks_node_instance_types": []}, "eks_node_instance_types", "at least 1", "rules"),
    "upper_case_environment": ({"stack_environment": "Poc"}, "stack_environment", "Poc", "rules"),
    "bad_region": ({"aws_region": "us-east"}, "aws_region", "us-east", "rules"),
    "no_client_auth": ({"msk_client_auth": {"iam": False, "unauthenticated_tls": False, "scram": False}}, "msk_client_auth", "0 of the 3", "rules"),
    "unknown_client_auth_key": ({"msk_client_auth": {"iam": True, "tls": True}}, "msk_client_auth", "tls", "spec"),
    "endpoint_not_a_url": ({"aws_endpoint_url": "localhost:4566"}, "aws_endpoint_url", "localhost:4566", "rules"),
    # The original POC's node group: one t3.small for Pinot.
    "pinot_on_one_t3_small": ({"eks_node_instance_types": ["t3.small"], "eks_node_min_size": 1, "eks_node_desired_size": 1},
                              "eks_node_instance_types", "cannot host the Pinot pods", "rules"),
    "server_heap_over_half": ({"pinot_components": {"server": {"replicas": 1, "cpu": "400m", "memory": "1Gi",
                                                               "memory_limit": "1Gi", "heap": "1g"}}},
                              "pinot_components.server.heap", "50 %", "rules"),
    "alb_open_to_the_internet": ({"alb_allowed_cidrs": ["0.0.0.0/0"]}, "alb_allowed_cidrs", "whole internet", "rules"),
    "eks_api_open_to_the_internet": ({"eks_public_access_cidrs": ["0.0.0.0/0"]}, "eks_public_access_cidrs", "whole internet", "rules"),
    "eks_api_public_without_cidrs": ({"eks_public_access_cidrs": []}, "eks_public_access_cidrs", "open to 0.0.0.0/0", "rules"),
}

# Through the deployment: preflight must stop it before the vpc role.
DEPLOY_CASES = {
    "deploy_one_az": ({"vpc_availability_zone_ids": ["use1-az1"]}, "vpc_availability_zone_ids", "has 1 AZ", "rules"),
    "deploy_string_for_number": ({"eks_node_max_size": "four"}, "eks_node_max_size", "four", "spec"),
}


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIAPREFLIGHTTEST",
        AWS_SECRET_ACCESS_KEY="fake-secret-for-preflight-tests",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
        AWS_CONFIG_FILE="/nonexistent/config",
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


def _run(playbook, inventory, extra):
    cmd = [str(ANSIBLE_PLAYBOOK), playbook]
    if inventory:
        cmd += ["-i", "inventories/%s" % inventory, "-e", "aws_endpoint_url=%s" % CLOSED_PORT_ENDPOINT]
    if extra:
        cmd += ["-e", json.dumps(extra)]  # after the endpoint, so a case may override it
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def runs():
    jobs = {name: ("playbooks/preflight.yml", "poc", extra) for name, (extra, *_rest) in CASES.items()}
    jobs.update({name: ("playbooks/deploy.yml", "poc", extra) for name, (extra, *_rest) in DEPLOY_CASES.items()})
    jobs["no_inventory"] = ("playbooks/preflight.yml", None, None)
    jobs["poc_passes"] = ("playbooks/preflight.yml", "poc", None)
    jobs["staging_passes"] = ("playbooks/preflight.yml", "staging", None)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(_run, *job) for name, job in jobs.items()}
        yield futures


def _tasks(output):
    return re.findall(r"^TASK \[([^\]]*)\]", output, re.M)


def assert_stopped_in_preflight(rc, output, variable, text):
    tail = output[-4000:]
    assert rc != 0, "the run passed:\n" + tail
    tasks = _tasks(output)
    assert tasks, output
    assert all(task.startswith("preflight : ") for task in tasks), "a task outside preflight ran: %s" % tasks
    assert re.search(r"^localhost\s+:.*failed=1", output, re.M), tail
    fatal = output[output.index("fatal: [localhost]"):]
    assert variable in fatal, "the failure does not name %s:\n%s" % (variable, tail)
    assert text in fatal, "the failure does not say %r:\n%s" % (text, tail)


def assert_stage(output, variable, stage):
    last = _tasks(output)[-1]
    if stage == "spec":
        # Caught by the AWS role's own meta/argument_specs.yml, before the rules.
        assert last == "preflight : Stop when an inventory value breaks a role's argument spec", last
        assert re.search(r"^- role \w+ \(.*argument_specs.yml\): .*%s" % re.escape(variable), output, re.M), output[-3000:]
    else:
        # Caught by the rules: one line "variable: message. Fix: ..." per problem.
        assert last == "preflight : Check the settings against the AWS, MSK and EKS rules", last
        assert re.search(r"^%s: .*\. Fix: " % re.escape(variable), output, re.M), output[-3000:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_value_stops_in_preflight(runs, name):
    _extra, variable, text, stage = CASES[name]
    rc, output = runs[name].result()
    assert_stopped_in_preflight(rc, output, variable, text)
    assert_stage(output, variable, stage)


@pytest.mark.parametrize("name", sorted(DEPLOY_CASES))
def test_bad_value_stops_deploy_before_any_aws_role(runs, name):
    _extra, variable, text, stage = DEPLOY_CASES[name]
    rc, output = runs[name].result()
    assert_stopped_in_preflight(rc, output, variable, text)
    assert_stage(output, variable, stage)
    for role in ("vpc", "msk", "eks", "stack_outputs"):
        assert "TASK [%s :" % role not in output


def test_no_inventory_says_choose_one(runs):
    rc, output = runs["no_inventory"].result()
    assert_stopped_in_preflight(rc, output, "stack_environment", "choose an inventory: -i inventories/local")


@pytest.mark.parametrize("name", ["poc_passes", "staging_passes"])
def test_inventories_pass(runs, name):
    rc, output = runs[name].result()
    assert rc == 0, output[-4000:]
    assert "0 problem(s)" in output
    assert re.search(r"^localhost\s+:.*changed=0\s+unreachable=0\s+failed=0", output, re.M)
