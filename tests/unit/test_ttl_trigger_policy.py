"""The time-to-live build's permissions (roles/ttl/templates/teardown_policy.json.j2),
evaluated: what it may delete is this environment's, by tag or by name, and nothing else.

A small evaluator of the policy's own statements (Allow only: action and resource
wildcards, StringEquals on aws:ResourceTag/*), enough for this policy: AWS's evaluation
has more (explicit denies, SCPs, boundaries) that can only narrow it. Where a service has
no tag condition for an action, the policy names resources instead: those cases are
tested by name here, and the README says which they are.
"""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"
OURS = {"Project": "streamstack", "Environment": "poc"}


def policy():
    template = (ROOT / "roles" / "ttl" / "templates" / "teardown_policy.json.j2").read_text()
    text = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(template).render(
        __ttl_partition="aws", __ttl_account=ACCOUNT, aws_region=REGION, stack_project="streamstack",
        stack_environment="poc", ttl_trigger_bucket="streamstack-poc-flink-code-123456789012",
        __ttl_bundle_key="ttl/bundle.zip", __ttl_log_group="/aws/codebuild/streamstack-poc-ttl-teardown",
        __ttl_topic="streamstack-poc-ttl-failures")
    return json.loads(text)


POLICY = policy()


def allowed(action, resource, tags=None):
    for statement in POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        conditions = statement.get("Condition", {})
        assert set(conditions) <= {"StringEquals"}, "the evaluator knows StringEquals only"
        wanted = conditions.get("StringEquals", {})
        if all((tags or {}).get(key.split("/", 1)[1]) == value for key, value in wanted.items()):
            return True
    return False


@pytest.mark.parametrize("action, arn", [
    ("ec2:DeleteVpc", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1"),
    ("ec2:DeleteNatGateway", f"arn:aws:ec2:{REGION}:{ACCOUNT}:natgateway/nat-1"),
    ("ec2:ReleaseAddress", f"arn:aws:ec2:{REGION}:{ACCOUNT}:elastic-ip/eipalloc-1"),
    ("eks:DeleteCluster", f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/streamstack-poc"),
    ("kafka:DeleteCluster", f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/streamstack-poc/abc"),
    ("kinesisanalytics:DeleteApplication", f"arn:aws:kinesisanalytics:{REGION}:{ACCOUNT}:application/streamstack-poc"),
    ("elasticloadbalancing:DeleteLoadBalancer",
     f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/streamstack-poc/1"),
    ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/kinesis-analytics/streamstack-poc"),
    ("scheduler:DeleteScheduleGroup", f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/streamstack-poc-ttl"),
    ("codebuild:DeleteProject", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/streamstack-poc-ttl-teardown"),
])
def test_a_deletion_by_tag_only_of_what_carries_this_environments_tags(action, arn):
    assert allowed(action, arn, OURS)
    assert not allowed(action, arn, dict(OURS, Environment="staging")), "another environment's"
    assert not allowed(action, arn, {"Project": "other", "Environment": "poc"}), "another project's"
    assert not allowed(action, arn, {}), "untagged"


@pytest.mark.parametrize("action, ours, theirs", [
    ("iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/streamstack/poc/streamstack-poc-eks-node",
     f"arn:aws:iam::{ACCOUNT}:role/streamstack/staging/streamstack-staging-eks-node"),
    ("iam:DeleteRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/streamstack/poc/streamstack-poc-ttl-teardown",
     f"arn:aws:iam::{ACCOUNT}:role/admin"),
    ("s3:DeleteBucket", "arn:aws:s3:::streamstack-poc-flink-code-123456789012",
     "arn:aws:s3:::streamstack-staging-flink-code-123456789012"),
    ("s3:DeleteObjectVersion", "arn:aws:s3:::streamstack-poc-flink-code-123456789012/ttl/bundle.zip",
     "arn:aws:s3:::company-data/ledger.csv"),
    ("kafka:DeleteConfiguration", f"arn:aws:kafka:{REGION}:{ACCOUNT}:configuration/streamstack-poc/1",
     f"arn:aws:kafka:{REGION}:{ACCOUNT}:configuration/streamstack-staging/1"),
    ("events:DeleteRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/streamstack-poc-ttl-failures",
     f"arn:aws:events:{REGION}:{ACCOUNT}:rule/streamstack-staging-ttl-failures"),
    ("sns:DeleteTopic", f"arn:aws:sns:{REGION}:{ACCOUNT}:streamstack-poc-ttl-failures",
     f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"),
])
def test_where_aws_has_no_tag_condition_the_names_say_whose_it_is(action, ours, theirs):
    # IAM roles (under the environment's path), S3 buckets, MSK configurations (no tags at all),
    # the failure rule (amazon.aws.cloudwatchevent_rule tags nothing) and topic.
    assert allowed(action, ours)
    assert not allowed(action, theirs)


@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole",
                                    "ec2:RunInstances", "ec2:CreateTags", "s3:PutBucketPolicy", "s3:PutObject",
                                    "eks:CreateAccessEntry", "kafka:CreateCluster", "sts:AssumeRole",
                                    "organizations:LeaveOrganization"])
def test_it_may_create_grant_or_write_nothing(action):
    assert not allowed(action, "arn:aws:iam::123456789012:role/streamstack/poc/streamstack-poc-ttl-teardown", OURS)
    assert not allowed(action, "arn:aws:s3:::streamstack-poc-flink-code-123456789012/x", OURS)
    assert not allowed(action, "*", OURS)


def test_the_build_reads_its_own_bundle_and_writes_its_own_logs_only():
    bundle = "arn:aws:s3:::streamstack-poc-flink-code-123456789012/ttl/bundle.zip"
    assert allowed("s3:GetObject", bundle)
    assert not allowed("s3:GetObject", "arn:aws:s3:::streamstack-poc-flink-code-123456789012/app.zip")
    own = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/streamstack-poc-ttl-teardown:log-stream:1"
    assert allowed("logs:PutLogEvents", own)
    assert not allowed("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/other:log-stream:1")


def test_every_deletion_is_limited_by_a_tag_condition_or_by_resource_names():
    for statement in POLICY["Statement"]:
        writes = [a for a in statement["Action"] if not a.split(":")[1].startswith(("Describe", "List", "Get", "BatchGet"))]
        if statement["Sid"] == "ReadToFindAndAudit":
            assert writes == [], writes
        elif statement["Resource"] == "*":
            assert statement.get("Condition"), statement["Sid"]
        else:
            assert all(r != "*" for r in statement["Resource"]), statement["Sid"]
