"""Malformed inventory values stop deploy before its first AWS call, in its first play
(playbooks/preflight.yml, which deploy.yml imports: the preflight, cost and ttl roles).

Each case is one `ansible-playbook playbooks/deploy.yml -i inventories/poc -e
'<JSON>'` run, with fake credentials and the AWS endpoint on a closed local port
(so an AWS call, if one slipped through, could not reach anything). The runs
start together in a thread pool (about 2 s each); every test asserts its own
run: non-zero exit, the variable named in the failure, and every task that ran
belongs to the pre-AWS play. A seeded sample of the cases (the seed printed;
STREAMSTACK_SEED repeats it) also goes through `preflight.yml` alone, which must
fail the same way: "only the checks" are deploy's checks.
"""

import json
import os
import random
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
CLOSED_PORT_ENDPOINT = "http://127.0.0.1:9"
WORKERS = max(2, min(4, (os.cpu_count() or 2) + 1))

POC = yaml.safe_load((ROOT / "inventories/poc/group_vars/all/pinot.yml").read_text())
POC_MSK_PROPERTIES = yaml.safe_load((ROOT / "inventories/poc/group_vars/all/msk.yml").read_text())["msk_server_properties"]
POC_TOPIC = {"name": "events.raw", "partitions": 2, "replication_factor": 2, "config": {"min.insync.replicas": "1"}}


def pinot_with(**replicas):
    """The poc inventory's pinot_components with some replicas changed (-e replaces the whole dict)."""
    components = {name: dict(spec) for name, spec in POC["pinot_components"].items()}
    for name, count in replicas.items():
        components[name]["replicas"] = count
    return components


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
    "string_for_number_max": ({"eks_node_max_size": "four"}, "eks_node_max_size", "four", "spec"),
    # What runs on the stack, against the target (module_utils/preflight_pipeline.py).
    "replication_above_brokers": ({"pipeline_replication_factor": 3}, "pipeline_replication_factor",
                                  "msk_broker_count is 2", "rules"),
    "min_isr_above_replication": ({"pipeline_min_insync_replicas": 3}, "pipeline_min_insync_replicas",
                                  "NOT_ENOUGH_REPLICAS", "rules"),
    "zero_partitions": ({"pipeline_partitions": 0}, "pipeline_partitions", "at least 1", "rules"),
    "partitions_word": ({"pipeline_partitions": "two"}, "pipeline_partitions", "'two'", "rules"),
    "topic_name_with_space": ({"pipeline_topics": [dict(POC_TOPIC, name="events raw")]}, "pipeline_topics",
                              "not a Kafka topic name", "rules"),
    "topic_defined_twice": ({"pipeline_topics": [POC_TOPIC, POC_TOPIC]}, "pipeline_topics", "defined twice", "rules"),
    "topic_replication_above_brokers": ({"pipeline_topics": [dict(POC_TOPIC, replication_factor=4)]},
                                        "pipeline_topics", "replication_factor 4", "rules"),
    "pinot_table_replicas_above_servers": ({"pipeline_pinot_replicas": 2}, "pipeline_pinot_replicas", "cannot place",
                                           "rules"),
    "pinot_table_without_schema": ({"pipeline_pinot_schemas": []}, "pipeline_pinot_tables",
                                   "no schema of the same name", "rules"),
    "flink_runtime_1_20": ({"flink_app_runtime": "FLINK-1_20"}, "flink_app_runtime", "FLINK-1_20", "spec"),
    "flink_parallelism_word": ({"flink_app_parallelism": "many"}, "flink_app_parallelism", "many", "spec"),
    "flink_parallelism_zero": ({"flink_app_parallelism": 0}, "flink_app_parallelism", "at least 1", "rules"),
    "flink_kpus_over_quota": ({"flink_app_parallelism": 130}, "flink_app_parallelism", "130 KPUs", "rules"),
    "flink_protocol_plaintext": ({"flink_app_kafka_security_protocol": "PLAINTEXT"},
                                 "flink_app_kafka_security_protocol", "PLAINTEXT", "spec"),
    "flink_log_retention_2": ({"flink_app_log_retention_days": 2}, "flink_app_log_retention_days", "2", "spec"),
    "msk_unknown_property": ({"msk_server_properties": dict(POC_MSK_PROPERTIES, **{"log.retention.days": "1"})},
                             "msk_server_properties", "log.retention.days", "rules"),
    "msk_property_not_boolean": ({"msk_server_properties": dict(POC_MSK_PROPERTIES, **{"auto.create.topics.enable": "no"})},
                                 "msk_server_properties", "not true or false", "rules"),
    "msk_property_not_number": ({"msk_server_properties": dict(POC_MSK_PROPERTIES, **{"log.retention.hours": "a day"})},
                                "msk_server_properties", "not a whole number", "rules"),
    "msk_offsets_replication": ({"msk_server_properties": dict(POC_MSK_PROPERTIES,
                                                               **{"offsets.topic.replication.factor": "3"})},
                                "msk_server_properties", "offsets.topic.replication.factor is 3", "rules"),
    "msk_default_replication": ({"msk_server_properties": dict(POC_MSK_PROPERTIES, **{"default.replication.factor": "3"})},
                                "msk_server_properties", "default.replication.factor is 3", "rules"),
    "msk_log_retention_2": ({"msk_log_retention_days": 2}, "msk_log_retention_days", "2", "spec"),
    "pinot_controller_0": ({"pinot_components": pinot_with(controller=0)}, "pinot_components.controller.replicas",
                           "cannot run without", "rules"),
    "pinot_broker_0": ({"pinot_components": pinot_with(broker=0)}, "pinot_components.broker.replicas",
                       "cannot run without", "rules"),
    "pinot_server_0": ({"pinot_components": pinot_with(server=0)}, "pinot_components.server.replicas",
                       "cannot run without", "rules"),
    "pinot_zookeeper_0": ({"pinot_components": pinot_with(zookeeper=0)}, "pinot_components.zookeeper.replicas",
                          "cannot run without", "rules"),
    "topics_protocol": ({"topics_security_protocol": "TLS"}, "topics_security_protocol", "TLS", "spec"),
    "alb_cidrs_not_a_list": ({"alb_allowed_cidrs": {"office": "203.0.113.0/24"}}, "alb_allowed_cidrs", "list", "spec"),
    "pinot_wait_timeout_word": ({"pinot_wait_timeout": "long"}, "pinot_wait_timeout", "long", "spec"),
    "alb_target_port_word": ({"alb_target_port": "http"}, "alb_target_port", "http", "spec"),
    # The cost and the expiry, checked by the cost and ttl roles in the same pre-AWS play.
    "ttl_negative": ({"ttl_hours": -5}, "ttl_hours", "negative", "cost"),
    "ttl_word": ({"ttl_hours": "soon"}, "ttl_hours", "not a number of hours", "cost"),
    "ttl_expires_at_word": ({"ttl_expires_at": "tomorrow"}, "ttl_expires_at", "tomorrow", "ttl"),
    "over_budget": ({"max_usd_per_hour": 0.01}, "max_usd_per_hour", "Over budget", "cost"),
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


SEED = int(os.environ.get("STREAMSTACK_SEED") or random.SystemRandom().randrange(10**6))
PREFLIGHT_SAMPLE = sorted(random.Random(SEED).sample(sorted(CASES), 6))
PRE_AWS_ROLES = ("preflight : ", "cost : ", "ttl : ")


@pytest.fixture(scope="module")
def runs():
    print("bad-input seed %d (STREAMSTACK_SEED=%d repeats it): preflight.yml sample %s" % (SEED, SEED, PREFLIGHT_SAMPLE))
    jobs = {name: ("playbooks/deploy.yml", "poc", extra) for name, (extra, *_rest) in CASES.items()}
    jobs.update({"preflight-" + name: ("playbooks/preflight.yml", "poc", CASES[name][0]) for name in PREFLIGHT_SAMPLE})
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
    outside = [task for task in tasks if not task.startswith(PRE_AWS_ROLES)]
    assert not outside, "a task after the pre-AWS play ran: %s" % outside
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
    elif stage == "cost":
        # The cost role prices the inventory (and the expiry) before any AWS call.
        assert last == "cost : Estimate the cost from the inventory and the price table", last
    elif stage == "ttl":
        assert last == "ttl : Compute the expiry", last
    else:
        # Caught by the rules: one line "variable: message. Fix: ..." per problem.
        assert last == "preflight : Check the settings against the AWS, MSK and EKS rules", last
        assert re.search(r"^%s: .*\. Fix: " % re.escape(variable), output, re.M), output[-3000:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_value_stops_deploy_before_any_aws_call(runs, name):
    _extra, variable, text, stage = CASES[name]
    rc, output = runs[name].result()
    assert_stopped_in_preflight(rc, output, variable, text)
    assert_stage(output, variable, stage)


def _fatal(output):
    return re.sub(r"\s+", " ", output[output.index("fatal: [localhost]"):].split("\n\n")[0])


def test_preflight_alone_fails_the_same_way(runs):
    # One test over the seeded sample: pytest-xdist's workers must collect the same tests.
    for name in PREFLIGHT_SAMPLE:
        deploy_rc, deploy_output = runs[name].result()
        rc, output = runs["preflight-" + name].result()
        assert rc == deploy_rc != 0, name
        assert _tasks(output) == _tasks(deploy_output), name
        assert _fatal(output) == _fatal(deploy_output), name


def test_deploy_starts_with_the_preflight_play():
    """deploy.yml's first entry imports preflight.yml; nothing in that play is an AWS role."""
    deploy = yaml.safe_load((ROOT / "playbooks/deploy.yml").read_text())
    assert deploy[0].get("ansible.builtin.import_playbook") == "preflight.yml", deploy[0]
    (play,) = yaml.safe_load((ROOT / "playbooks/preflight.yml").read_text())
    assert [r["role"] for r in play["roles"]] == ["preflight", "cost", "ttl"]
    assert [next(k for k in t if k.startswith("ansible.builtin.")) for t in play["tasks"]] == ["ansible.builtin.set_fact"]


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60, len(CASES)


def test_no_inventory_says_choose_one(runs):
    rc, output = runs["no_inventory"].result()
    assert_stopped_in_preflight(rc, output, "stack_environment", "choose an inventory: -i inventories/local")


@pytest.mark.parametrize("name", ["poc_passes", "staging_passes"])
def test_inventories_pass(runs, name):
    rc, output = runs[name].result()
    assert rc == 0, output[-4000:]
    assert "0 problem(s)" in output
    assert re.search(r"^localhost\s+:.*changed=0\s+unreachable=0\s+failed=0", output, re.M)
