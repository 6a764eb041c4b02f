"""Unit tests of the EKS helpers (module_utils/eks.py, the waits of module_utils/waiting.py) and of what eks_addon,
eks_cluster_endpoint and eks_token do before (or without) any AWS call.

The token test decodes what eks_token makes and checks it is the presigned
STS GetCallerIdentity URL ``aws eks get-token`` makes. Whether an API server
accepts it cannot be checked here: that needs STS and a real cluster.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import eks, waiting  # noqa: E402

FAKE_KEYS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch, tmp_path):
    """No profile, no shared files, no instance metadata: nothing reaches AWS."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def run_module(module, args, capsys, check_mode=False):
    from ansible.module_utils.testing import patch_module_args

    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def decode(token):
    assert token.startswith("k8s-aws-v1.")
    body = token[len("k8s-aws-v1."):]
    assert "=" not in body, "padding must be stripped"
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


# --- the token ----------------------------------------------------------------

def test_token_is_the_presigned_get_caller_identity_url():
    sts = boto3.session.Session(aws_access_key_id=FAKE_KEYS["access_key"], aws_secret_access_key=FAKE_KEYS["secret_key"],
                                region_name="us-east-1").client("sts")
    url = urlparse(decode(eks.presigned_token(sts, "streamstack-poc")))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.scheme == "https" and url.hostname.split(".")[0] == "sts" and url.hostname.endswith(".amazonaws.com")
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    assert query["X-Amz-Expires"] == "60"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    assert query["X-Amz-Credential"].startswith(FAKE_KEYS["access_key"] + "/")
    assert "/sts/aws4_request" in query["X-Amz-Credential"]
    assert "x-k8s-aws-id" not in query, "the cluster name is a signed header, not a query parameter"


def test_token_is_bound_to_the_cluster_name():
    session = boto3.session.Session(aws_access_key_id=FAKE_KEYS["access_key"],
                                    aws_secret_access_key=FAKE_KEYS["secret_key"], region_name="us-east-1")
    tokens = {name: eks.presigned_token(session.client("sts"), name) for name in ("a", "b")}
    signatures = {name: parse_qs(urlparse(decode(t)).query)["X-Amz-Signature"][0] for name, t in tokens.items()}
    assert signatures["a"] != signatures["b"]


def test_token_module_in_check_mode(capsys):
    from ansible_collections.streamstack.pipeline.plugins.modules import eks_token

    before = datetime.now(timezone.utc)
    code, result = run_module(eks_token, {"cluster_name": "streamstack-poc", "region": "eu-west-1", **FAKE_KEYS},
                              capsys, check_mode=True)
    assert code == 0 and result["changed"] is False and result["cluster_name"] == "streamstack-poc"
    url = urlparse(decode(result["token"]))
    assert url.hostname == "sts.eu-west-1.amazonaws.com"
    assert "/eu-west-1/sts/" in parse_qs(url.query)["X-Amz-Credential"][0]
    expires = datetime.strptime(result["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(minutes=13) < expires - before < timedelta(minutes=15)


def test_token_module_refuses_an_empty_name(capsys):
    from ansible_collections.streamstack.pipeline.plugins.modules import eks_token

    code, result = run_module(eks_token, {"cluster_name": " ", "region": "us-east-1", **FAKE_KEYS}, capsys)
    assert code == 1 and "must not be empty" in result["msg"] and "token" not in result


# --- add-on versions and configuration ----------------------------------------

def versions(*entries):
    """entries: (version, {k8s: default?})"""
    return [{"addonName": "x", "addonVersions": [
        {"addonVersion": v, "compatibilities": [{"clusterVersion": k, "defaultVersion": d} for k, d in compat.items()]}
        for v, compat in entries]}]


def test_default_version_is_the_one_eks_marks_default_not_the_newest():
    addons = versions(("v1.50.0-eksbuild.1", {"1.35": False}), ("v1.48.0-eksbuild.2", {"1.35": True}),
                      ("v1.48.0-eksbuild.1", {"1.35": False, "1.34": True}))
    assert eks.default_addon_version(addons, "1.35") == "v1.48.0-eksbuild.2"
    assert eks.default_addon_version(addons, "1.34") == "v1.48.0-eksbuild.1"


def test_default_version_falls_back_to_the_newest_compatible():
    addons = versions(("v1.9.0-eksbuild.1", {"1.35": False}), ("v1.10.0-eksbuild.1", {"1.35": False}),
                      ("v1.11.0-eksbuild.1", {"1.36": True}))
    assert eks.default_addon_version(addons, "1.35") == "v1.10.0-eksbuild.1"  # 10 > 9, not as text
    assert eks.default_addon_version(addons, "1.29") is None


@pytest.mark.parametrize("text, data", [
    (None, {}), ("", {}), ("  ", {}), ('{"controller": {"replicaCount": 1}}', {"controller": {"replicaCount": 1}}),
    ("controller:\n  replicaCount: 1\n", {"controller": {"replicaCount": 1}}), ("null", {}),
])
def test_configuration_values_as_data(text, data):
    assert eks.parse_configuration(text) == data


def test_configuration_values_not_a_mapping():
    with pytest.raises(ValueError, match="list"):
        eks.parse_configuration("[1, 2]")


# --- CIDRs and waits ------------------------------------------------------------

def test_cidrs_normalised_and_sorted():
    assert eks.normalize_cidrs([" 203.0.113.0/24", "198.51.100.7/32", "203.0.113.0/24"]) == [
        "198.51.100.7/32", "203.0.113.0/24"]


@pytest.mark.parametrize("value, text", [
    ("203.0.113.7/24", "the network is 203.0.113.0/24"), ("office", "not a valid IPv4 CIDR"),
    ("2001:db8::/32", "IPv6"),
])
def test_cidrs_refused(value, text):
    with pytest.raises(ValueError, match=text):
        eks.normalize_cidrs(["198.51.100.7/32", value])


def test_poll_is_bounded_and_says_what_it_waited_for():
    slept = []
    with pytest.raises(waiting.WaitTimeout) as exc:
        waiting.poll(lambda: {"status": "CREATING"}, lambda a: False, 0, "add-on x to be ACTIVE",
                 status_of=lambda a: a["status"], sleep=slept.append)
    assert "add-on x to be ACTIVE" in str(exc.value) and exc.value.status == "CREATING"
    seen = iter([{"status": "CREATING"}, {"status": "CREATING"}, {"status": "ACTIVE"}])
    value, _ = waiting.poll(lambda: next(seen), lambda a: a["status"] == "ACTIVE", 60, "x", sleep=slept.append)
    assert value == {"status": "ACTIVE"} and slept == [1.0, 2.0]


# --- module arguments refused before any AWS call --------------------------------

ADDON_OK = {"cluster_name": "c", "name": "aws-ebs-csi-driver", "region": "us-east-1", **FAKE_KEYS}


@pytest.mark.parametrize("args, text", [
    ({"pod_identity_associations": [{"service_account": "sa", "role_arn": "my-role"}]},
     "pod_identity_associations[0].role_arn must be an IAM role ARN"),
    ({"pod_identity_associations": [{"service_account": "sa", "role_arn": "arn:aws:iam::1:role/a"},
                                    {"service_account": "sa", "role_arn": "arn:aws:iam::1:role/b"}]},
     "lists service account sa twice"),
    ({"pod_identity_associations": [{"service_account": "sa"}]}, "missing required arguments: role_arn"),
    ({"service_account_role_arn": "arn:aws:iam::1:user/u"}, "service_account_role_arn must be an IAM role ARN"),
    ({"resolve_conflicts": "overwrite"}, "value of resolve_conflicts must be one of"),
    ({"wait_timeout": 0}, "wait_timeout must be at least 1"),
    ({"name": " "}, "name must not be empty"),
])
def test_addon_arguments_refused(capsys, args, text):
    from ansible_collections.streamstack.pipeline.plugins.modules import eks_addon

    code, result = run_module(eks_addon, dict(ADDON_OK, **args), capsys)
    assert code == 1 and text in result["msg"], result["msg"]
    assert result.get("changed") is not True


ENDPOINT_OK = {"name": "c", "region": "us-east-1", **FAKE_KEYS}


@pytest.mark.parametrize("args, text", [
    ({"public_access": True}, "public_access_cidrs is required when public_access is true"),
    ({"public_access": True, "public_access_cidrs": []}, "public_access_cidrs is required"),
    ({"public_access": False, "private_access": False}, "cannot both be false"),
    ({"public_access_cidrs": ["203.0.113.7/24"]}, "the network is 203.0.113.0/24"),
    ({"public_access_cidrs": ["2001:db8::/32"]}, "IPv6"),
])
def test_endpoint_arguments_refused(capsys, args, text):
    from ansible_collections.streamstack.pipeline.plugins.modules import eks_cluster_endpoint

    code, result = run_module(eks_cluster_endpoint, dict(ENDPOINT_OK, **args), capsys)
    assert code == 1 and text in result["msg"], result["msg"]


def test_endpoint_request_sends_cidrs_only_when_they_change():
    from ansible_collections.streamstack.pipeline.plugins.modules.eks_cluster_endpoint import (
        update_request, wanted_access)

    current = {"private_access": False, "public_access": True, "public_access_cidrs": ["0.0.0.0/0"]}
    wanted = wanted_access({"private_access": True, "public_access": True,
                            "public_access_cidrs": ["203.0.113.0/24"]}, current)
    assert update_request(wanted, current) == {"endpointPrivateAccess": True, "endpointPublicAccess": True,
                                               "publicAccessCidrs": ["203.0.113.0/24"]}
    private_only = wanted_access({"private_access": True, "public_access": False, "public_access_cidrs": None}, current)
    assert private_only["public_access_cidrs"] == ["0.0.0.0/0"]  # kept by EKS, neither sent nor compared
    assert update_request(private_only, current) == {"endpointPrivateAccess": True, "endpointPublicAccess": False}
