"""Unit tests of module_utils/msk.py: what streamstack.pipeline.msk_cluster asks
MSK for, and which updates (or refusals) a difference leads to. Pure functions
over the kafka API's shapes; the module against the emulator is in
tests/integration/test_msk_cluster_module.py."""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import msk  # noqa: E402

PARAMS = {
    "name": "streamstack-poc", "kafka_version": "3.8.x", "broker_count": 2, "instance_type": "kafka.t3.small",
    "ebs_volume_gb": 20, "subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"],
    "configuration_arn": "arn:aws:kafka:us-east-1:123456789012:configuration/c/1", "configuration_revision": 2,
    "authentication": {"iam": True, "scram": False, "unauthenticated_tls": True},
    "client_broker_encryption": "TLS", "in_cluster_encryption": True, "kms_key_id": None,
    "enhanced_monitoring": "DEFAULT", "log_group": "/streamstack/poc/msk", "tags": {"Project": "streamstack"},
    "purge_tags": True,
}


def cluster_info(**override):
    """A ClusterInfo as DescribeCluster returns it for PARAMS, with overrides."""
    request = msk.create_request(PARAMS)
    info = {
        "ClusterArn": "arn:aws:kafka:us-east-1:123456789012:cluster/streamstack-poc/x", "State": "ACTIVE",
        "ClusterName": "streamstack-poc", "CurrentVersion": "K1", "NumberOfBrokerNodes": 2,
        "BrokerNodeGroupInfo": request["BrokerNodeGroupInfo"],
        "CurrentBrokerSoftwareInfo": {"KafkaVersion": "3.8.x", "ConfigurationArn": PARAMS["configuration_arn"],
                                      "ConfigurationRevision": 2},
        "ClientAuthentication": request["ClientAuthentication"],
        "EncryptionInfo": {**request["EncryptionInfo"],
                           "EncryptionAtRest": {"DataVolumeKMSKeyId": "arn:aws:kms:us-east-1:1:key/aws-kafka"}},
        "EnhancedMonitoring": "DEFAULT", "LoggingInfo": request["LoggingInfo"], "Tags": {"Project": "streamstack"},
    }
    info.update(override)
    return info


def plan(params=None, **override):
    have = msk.settings(cluster_info(**override))
    return msk.plan_updates(have, msk.wanted_settings({**PARAMS, **(params or {})}, have))


def test_create_request_sets_iam_and_unauthenticated_tls_together():
    request = msk.create_request(PARAMS)
    assert request["ClientAuthentication"] == {"Sasl": {"Iam": {"Enabled": True}, "Scram": {"Enabled": False}},
                                               "Unauthenticated": {"Enabled": True}}
    assert request["EncryptionInfo"] == {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}}
    assert request["ConfigurationInfo"] == {"Arn": PARAMS["configuration_arn"], "Revision": 2}
    assert request["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"] == {"Enabled": True,
                                                                     "LogGroup": "/streamstack/poc/msk"}
    assert msk.auth_modes(request["ClientAuthentication"]) == PARAMS["authentication"]


def test_the_same_cluster_needs_nothing():
    assert plan() == ([], [])


def test_auth_modes_read_msk_default():
    assert msk.auth_modes({}) == {"iam": False, "scram": False, "unauthenticated_tls": True}
    assert msk.auth_modes({"Sasl": {"Iam": {"Enabled": True}}}) == {"iam": True, "scram": False,
                                                                    "unauthenticated_tls": False}


@pytest.mark.parametrize("params, operation, change", [
    ({"authentication": {"iam": True, "scram": True, "unauthenticated_tls": False}}, "update_security",
     "authentication"),
    ({"configuration_revision": 3}, "update_cluster_configuration", "configuration"),
    ({"instance_type": "kafka.m7g.large"}, "update_broker_type", "instance_type"),
    ({"ebs_volume_gb": 40}, "update_broker_storage", "ebs_volume_gb"),
    ({"broker_count": 4}, "update_broker_count", "broker_count"),
    ({"enhanced_monitoring": "PER_BROKER"}, "update_monitoring", "monitoring"),
    ({"log_group": None}, None, None),  # left out: the cluster keeps its logs
    ({"kafka_version": "3.9.x"}, "update_cluster_kafka_version", "kafka_version"),
])
def test_each_difference_is_one_update(params, operation, change):
    updates, impossible = plan(params)
    assert impossible == []
    assert [(u[0], u[2]) for u in updates] == ([(operation, change)] if operation else [])


def test_updates_run_in_order_and_a_version_upgrade_carries_the_configuration():
    updates, _ = plan({"kafka_version": "3.9.x", "configuration_revision": 3, "broker_count": 4,
                       "authentication": {"iam": True, "scram": False, "unauthenticated_tls": False}})
    assert [u[2] for u in updates] == ["authentication", "kafka_version", "broker_count"]
    assert updates[1][1]["ConfigurationInfo"]["Revision"] == 3


@pytest.mark.parametrize("params, text", [
    ({"subnets": ["subnet-a", "subnet-c"]}, "subnets"),
    ({"security_groups": ["sg-2"]}, "security groups"),
    ({"client_broker_encryption": "TLS_PLAINTEXT"}, "encryption in transit"),
    ({"kms_key_id": "arn:aws:kms:us-east-1:1:key/mine"}, "KMS key"),
    ({"broker_count": 1}, "brokers cannot be removed"),
    ({"ebs_volume_gb": 10}, "only grows"),
    ({"kafka_version": "3.6.0"}, "downgraded"),
])
def test_what_no_update_can_change_is_refused(params, text):
    updates, impossible = plan(params)
    assert len(impossible) == 1 and text in impossible[0], impossible


def test_subnet_order_is_not_a_difference():
    assert plan({"subnets": ["subnet-a", "subnet-b"]}) == ([], [])


def test_tags_kept_without_purge():
    have = msk.settings(cluster_info(Tags={"Project": "streamstack", "ExpiresAt": "x"}))
    assert msk.wanted_settings({**PARAMS, "purge_tags": False}, have)["tags"] == {"Project": "streamstack",
                                                                                 "ExpiresAt": "x"}
    assert msk.wanted_settings(PARAMS, have)["tags"] == {"Project": "streamstack"}
