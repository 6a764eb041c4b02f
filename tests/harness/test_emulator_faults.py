"""The emulator's fault switch (emulator/faults.py): throttling and 5xx answers, seeded.

Each protocol's error is parsed by botocore as AWS's own (the code a ClientError
carries), a client without retries fails on it, one with botocore's standard
retries gets through, the same seed faults the same calls, and a faulted call
changed nothing.
"""
from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
RETRY = Config(retries={"mode": "standard", "total_max_attempts": 10})


def client(emu, service, config):
    return boto3.client(service, endpoint_url=emu.url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=config)


@pytest.fixture
def faults(aws_emulator):
    yield aws_emulator
    aws_emulator.faults(0)


# (service, a read call, the throttling code botocore must see)
CASES = [
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded"),
    ("iam", lambda c: c.list_roles(), "Throttling"),
    ("elbv2", lambda c: c.describe_load_balancers(), "Throttling"),
    ("logs", lambda c: c.describe_log_groups(), "ThrottlingException"),
    ("kinesisanalyticsv2", lambda c: c.list_applications(), "ThrottlingException"),
    ("eks", lambda c: c.list_clusters(), "TooManyRequestsException"),
    ("kafka", lambda c: c.list_clusters_v2(), "TooManyRequestsException"),
    ("s3", lambda c: c.list_buckets(), "SlowDown"),
]


@pytest.mark.parametrize("service, call, throttled", CASES, ids=[c[0] for c in CASES])
def test_every_protocol_answers_errors_botocore_reads_and_retries(faults, service, call, throttled):
    faults.faults(1.0, seed=1, reset_counts=True)
    codes = set()
    for _ in range(12):
        with pytest.raises(ClientError) as caught:
            call(client(faults, service, NO_RETRY))
        codes.add(caught.value.response["Error"]["Code"])
    transient = {"InternalError", "ServiceUnavailable", "ServiceUnavailableException"}
    assert throttled in codes and codes <= {throttled} | transient, codes
    counts = faults.fault_counts()
    assert counts["injected_total"] == 12 and counts["calls"] == 12, counts

    faults.faults(0.5, seed=2)
    for _ in range(5):
        call(client(faults, service, RETRY))  # standard mode retries every one of those codes
    assert faults.fault_counts()["injected_total"] > 12


def test_the_same_seed_faults_the_same_calls_and_a_faulted_call_does_nothing(faults):
    def pattern(seed):
        faults.faults(0.3, seed=seed, reset_counts=True)
        outcome = []
        ec2 = client(faults, "ec2", NO_RETRY)
        for _ in range(20):
            try:
                ec2.describe_vpcs()
                outcome.append(True)
            except ClientError:
                outcome.append(False)
        return outcome

    first, again, other = pattern(5), pattern(5), pattern(6)
    assert first == again and first != other and not all(first) and any(first)

    faults.faults(1.0, seed=3, services=["s3"])
    name = "faulted-" + uuid.uuid4().hex[:8]
    s3 = client(faults, "s3", NO_RETRY)
    with pytest.raises(ClientError):
        s3.create_bucket(Bucket=name)
    faults.faults(0)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # Only the listed services are faulted, and only calls signed with the listed keys.
    faults.faults(1.0, seed=3, services=["s3"])
    client(faults, "ec2", NO_RETRY).describe_vpcs()
    faults.faults(1.0, seed=3, access_keys=["AKIAFAULTED"])
    client(faults, "s3", NO_RETRY).list_buckets()
    faulted = boto3.client("s3", endpoint_url=faults.url, region_name="us-east-1", aws_access_key_id="AKIAFAULTED",
                           aws_secret_access_key="testing", config=NO_RETRY)
    with pytest.raises(ClientError):
        faulted.list_buckets()


def test_the_throttling_share_splits_faults_between_throttling_and_5xx(faults):
    def codes(throttling):
        faults.faults(1.0, seed=4, services=["ec2"], throttling=throttling, reset_counts=True)
        ec2 = client(faults, "ec2", NO_RETRY)
        for _ in range(40):
            with pytest.raises(ClientError):
                ec2.describe_vpcs()
        return faults.fault_counts()["injected"]["ec2"]

    assert codes(1.0) == {"RequestLimitExceeded": 40}
    assert codes(0.0) == {"InternalError": 40}
    mixed = codes(0.25)
    assert mixed["RequestLimitExceeded"] + mixed["InternalError"] == 40
    assert 3 <= mixed["RequestLimitExceeded"] <= 18, mixed  # about 10 of 40
