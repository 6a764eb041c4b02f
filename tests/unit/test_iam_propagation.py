"""module_utils/iam_propagation.py: which answers count as "IAM has not propagated the role
yet", and that the decorator retries those (and throttling) but nothing else."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.streamstack.pipeline.plugins.module_utils.iam_propagation import (
    not_yet_assumable, until_assumable)


def error(code, message, operation="CreateCluster"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


EKS = error("InvalidParameterException", "Role with arn: arn:aws:iam::1:role/r, could not be assumed because it "
            "does not exist or the trusted entity is not correct.")
EKS_OLD = error("InvalidParameterException", "Error in role params")
MSF = error("InvalidArgumentException", "Kinesis Analytics service doesn't have sufficient privileges to assume "
            "the role arn:aws:iam::1:role/r", "CreateApplication")


@pytest.mark.parametrize("exc", [EKS, EKS_OLD, MSF])
def test_the_services_refusals_of_a_young_role_are_recognised(exc):
    assert not_yet_assumable(exc)


@pytest.mark.parametrize("exc", [
    error("InvalidParameterException", "Unsupported Kubernetes minor version update from 1.30 to 1.35"),
    error("InvalidArgumentException", "Runtime environment FLINK-9_9 is not available"),
    error("AccessDeniedException", "could not be assumed"),  # another code with the same words
    ValueError("not a ClientError"),
])
def test_other_errors_are_not(exc):
    assert not not_yet_assumable(exc)


def calls_failing_with(*errors):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "created"

    return call, calls


def test_the_decorator_retries_refusals_and_throttling_then_returns():
    call, calls = calls_failing_with(EKS, error("Throttling", "Rate exceeded"), MSF)
    assert until_assumable(retries=5, delay=0.01, max_delay=0.02)(call)() == "created"
    assert len(calls) == 4


def test_the_decorator_gives_up_after_its_retries_with_the_services_error():
    call, calls = calls_failing_with(*[EKS] * 10)
    with pytest.raises(ClientError) as raised:
        until_assumable(retries=3, delay=0.01, max_delay=0.02)(call)()
    assert raised.value is EKS or "could not be assumed" in str(raised.value)
    assert len(calls) == 3


def test_any_other_error_is_raised_at_once():
    bad_version = error("InvalidParameterException", "Unsupported Kubernetes version 1.99")
    call, calls = calls_failing_with(bad_version)
    with pytest.raises(ClientError):
        until_assumable(retries=5, delay=0.01, max_delay=0.02)(call)()
    assert len(calls) == 1
