"""Unit tests of module_utils/kafka_admin.py: the pure diff/validation functions,
MSK's config encoding, and the MSK backend's polling (against a stub client)."""

import base64
import json
import os
import sys

import pytest
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import kafka_admin as ka  # noqa: E402


def topic(name="t", partitions=3, rf=2, config=None, effective=None):
    config = dict(config or {})
    return {"name": name, "partitions": partitions, "replication_factor": rf, "config": config,
            "effective_config": {**(effective or {}), **config}}


def desired(name="t", partitions=None, rf=None, config=None):
    return {"name": name, "partitions": partitions, "replication_factor": rf, "config": ka.normalize_config(config)}


# ------------------------------------------------------------ normalize_config
def test_normalize_config_stringifies_yaml_values():
    assert ka.normalize_config({"retention.ms": 86400000, "unclean.leader.election.enable": False,
                                "preallocate": True, "cleanup.policy": ["compact", "delete"]}) == {
        "retention.ms": "86400000", "unclean.leader.election.enable": "false",
        "preallocate": "true", "cleanup.policy": "compact,delete"}


def test_normalize_config_none_means_unmanaged_and_null_value_is_refused():
    assert ka.normalize_config(None) is None
    with pytest.raises(ka.KafkaTopicError, match="retention.ms"):
        ka.normalize_config({"retention.ms": None})


# ------------------------------------------------------------- validate_change
def test_validate_new_topic_and_growth_are_fine():
    assert ka.validate_change(desired(partitions=3, rf=3), None) == []
    assert ka.validate_change(desired(partitions=6, rf=2), topic(partitions=3, rf=2)) == []
    assert ka.validate_change(desired(), topic()) == []  # nothing asked about counts


def test_validate_refuses_partition_decrease_with_reason():
    problems = ka.validate_change(desired(partitions=2), topic(partitions=3))
    assert len(problems) == 1
    assert "has 3 partitions; 2 asked" in problems[0] and "only add partitions" in problems[0]


def test_validate_refuses_replication_factor_change_with_reason():
    problems = ka.validate_change(desired(rf=3), topic(rf=2))
    assert problems == [
        "Topic t has replication factor 2; 3 asked. Kafka cannot change a topic's replication factor in place; "
        "recreate the topic or use kafka-reassign-partitions"
    ]


def test_validate_reports_both_problems_and_non_positive_counts():
    assert len(ka.validate_change(desired(partitions=1, rf=1), topic(partitions=3, rf=2))) == 2
    assert ka.validate_change(desired(partitions=0), None) == ["partitions must be at least 1 (got 0) for topic t"]
    assert "replication_factor must be at least 1" in ka.validate_change(desired(rf=-1), topic())[0]


# ------------------------------------------------------------------ plan_topic
def test_plan_create():
    plan = ka.plan_topic(desired(partitions=3, rf=1, config={"retention.ms": 1000}), None)
    assert plan == {"create": True, "partitions": 3, "replication_factor": 1,
                    "set": {"retention.ms": "1000"}, "remove": []}
    assert ka.plan_has_changes(plan)


def test_plan_nothing_to_do():
    actual = topic(partitions=3, config={"retention.ms": "1000"})
    plan = ka.plan_topic(desired(partitions=3, rf=2, config={"retention.ms": 1000}), actual)
    assert not ka.plan_has_changes(plan)


def test_plan_update_sets_changed_keys_only_and_adds_partitions():
    actual = topic(partitions=3, config={"retention.ms": "1000", "cleanup.policy": "delete"})
    plan = ka.plan_topic(desired(partitions=6, config={"retention.ms": 2000, "cleanup.policy": "delete"}), actual)
    assert plan == {"create": False, "partitions": 6, "replication_factor": None,
                    "set": {"retention.ms": "2000"}, "remove": []}


def test_plan_purge_removes_unlisted_keys_only_when_asked():
    actual = topic(config={"retention.ms": "1000", "segment.ms": "60000"})
    keep = ka.plan_topic(desired(config={"retention.ms": 1000}), actual, purge_config=False)
    assert not ka.plan_has_changes(keep)
    purge = ka.plan_topic(desired(config={"retention.ms": 1000}), actual, purge_config=True)
    assert purge["remove"] == ["segment.ms"] and purge["set"] == {}
    # config not given = not managed, even with purge_config
    assert not ka.plan_has_changes(ka.plan_topic(desired(), actual, purge_config=True))
    # config: {} with purge removes everything set on the topic
    assert ka.plan_topic(desired(config={}), actual, purge_config=True)["remove"] == ["retention.ms", "segment.ms"]


def test_plan_compares_with_topic_level_config_not_defaults():
    # cleanup.policy=delete is the default (effective) but not set on the topic: setting it is a change.
    actual = topic(config={}, effective={"cleanup.policy": "delete"})
    assert ka.plan_topic(desired(config={"cleanup.policy": "delete"}), actual)["set"] == {"cleanup.policy": "delete"}


def test_planned_topic_for_diff():
    actual = topic(partitions=3, config={"retention.ms": "1000", "segment.ms": "1"})
    want = desired(partitions=6, config={"retention.ms": 2000})
    plan = ka.plan_topic(want, actual, purge_config=True)
    assert ka.planned_topic(want, actual, plan) == {
        "name": "t", "partitions": 6, "replication_factor": 2, "config": {"retention.ms": "2000"}}
    create = ka.plan_topic(desired(config={"a": 1}), None)
    assert ka.planned_topic(desired(config={"a": 1}), None, create) == {
        "name": "t", "partitions": None, "replication_factor": None, "config": {"a": "1"}}


def test_public_topic_drops_internal_fields():
    assert ka.public_topic(None) == {}
    assert set(ka.public_topic(topic())) == {"name", "partitions", "replication_factor", "config"}


# ------------------------------------------------------------- compare_expected
def test_compare_expected():
    actual = topic(partitions=3, rf=2, config={"retention.ms": "1000"}, effective={"cleanup.policy": "delete"})
    assert ka.compare_expected({"name": "t"}, None) == ["topic t does not exist"]
    assert ka.compare_expected({"name": "t", "partitions": 3, "config": {"cleanup.policy": "delete"}}, actual) == []
    assert ka.compare_expected(
        {"name": "t", "partitions": 6, "replication_factor": 3,
         "config": {"retention.ms": 2000, "bogus": "x"}}, actual) == [
        "partitions is 3, expected 6",
        "replication_factor is 2, expected 3",
        "config bogus is not set, expected 'x'",
        "config retention.ms is '1000', expected '2000'",
    ]


def test_is_internal():
    assert ka.is_internal("__consumer_offsets") and ka.is_internal("__amazon_msk_canary")
    assert not ka.is_internal("events.raw")


# ------------------------------------------------------------------ MSK configs
def test_msk_configs_round_trip_as_base64_json():
    blob = ka.encode_msk_configs({"retention.ms": "1000", "cleanup.policy": "compact"})
    assert json.loads(base64.b64decode(blob)) == {"cleanup.policy": "compact", "retention.ms": "1000"}
    assert ka.decode_msk_configs(blob) == {"retention.ms": "1000", "cleanup.policy": "compact"}
    assert ka.decode_msk_configs(None) == {}


def test_msk_configs_decode_properties_format_from_the_developer_guide():
    # The DescribeTopic example in the MSK developer guide.
    blob = "Y29tcHJlc3Npb24udHlwZT1wcm9kdWNlcgpyZXRlbnRpb24ubXM9NjA0ODAwMDAw"
    assert ka.decode_msk_configs(blob) == {"compression.type": "producer", "retention.ms": "604800000"}


def test_msk_configs_decode_errors_are_clear():
    with pytest.raises(ka.KafkaTopicError, match="not base64"):
        ka.decode_msk_configs("%%%")


def test_msk_region():
    assert ka.msk_region("arn:aws:kafka:eu-west-1:123456789012:cluster/x/abc-1") == "eu-west-1"
    assert ka.msk_region("not-an-arn") is None


# ---------------------------------------------------- MSK backend with a stub
class StubMsk:
    """A kafka client whose DescribeTopic answers from a script (lagging like MSK)."""

    def __init__(self, describe_script, create_error=None):
        self.script = list(describe_script)
        self.calls = []
        self.create_error = create_error

    @staticmethod
    def error(code, message="x"):
        return ClientError({"Error": {"Code": code, "Message": message}}, "Op")

    def describe_topic(self, **kw):
        self.calls.append(("describe_topic", kw))
        answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if answer is None:
            raise self.error("NotFoundException", "Topic does not exist")
        return answer

    def create_topic(self, **kw):
        self.calls.append(("create_topic", kw))
        if self.create_error:
            raise self.error(self.create_error, "nope")
        return {"Status": "CREATING"}

    def update_topic(self, **kw):
        self.calls.append(("update_topic", kw))
        return {"Status": "UPDATING"}

    def delete_topic(self, **kw):
        self.calls.append(("delete_topic", kw))
        return {"Status": "DELETING"}


def described(status="ACTIVE", partitions=3, rf=2, config=None):
    out = {"TopicName": "t", "PartitionCount": partitions, "ReplicationFactor": rf, "Status": status}
    if config is not None:
        out["Configs"] = ka.encode_msk_configs(config)
    return out


def backend(client, wait_timeout=60):
    sleeps = []
    b = ka.MskTopicBackend(client, "arn:aws:kafka:us-east-1:1:cluster/c/u-1", wait_timeout=wait_timeout,
                           poll_interval=5, sleep=sleeps.append, retry=False)
    return b, sleeps


def test_msk_create_polls_until_active():
    client = StubMsk([None, described("CREATING"), described("ACTIVE", config={"retention.ms": "1"})])
    b, sleeps = backend(client)
    got = b.create("t", 3, 2, {"retention.ms": "1"})
    assert got["status"] == "ACTIVE" and got["config"] == {"retention.ms": "1"}
    assert sleeps == [5, 5]
    create = client.calls[0]
    assert create[0] == "create_topic"
    assert create[1]["PartitionCount"] == 3 and create[1]["ReplicationFactor"] == 2
    assert ka.decode_msk_configs(create[1]["Configs"]) == {"retention.ms": "1"}


def test_msk_create_conflict_is_a_lagging_earlier_create():
    client = StubMsk([described("ACTIVE")], create_error="ConflictException")
    b, _ = backend(client)
    assert b.create("t", 3, 2, {})["status"] == "ACTIVE"


def test_msk_create_needs_counts_and_reports_refusal():
    b, _ = backend(StubMsk([None]))
    with pytest.raises(ka.KafkaTopicError, match="needs both partitions and replication_factor"):
        b.create("t", None, 2, {})
    b, _ = backend(StubMsk([None], create_error="BadRequestException"))
    with pytest.raises(ka.KafkaTopicError, match=r"MSK refused to create topic t: nope \[BadRequestException\]") as e:
        b.create("t", 1, 9, {})
    assert not e.value.changed


def test_msk_wait_timeout_says_changed_and_why():
    b, _ = backend(StubMsk([None]), wait_timeout=0)
    with pytest.raises(ka.KafkaTopicError, match="about a minute late") as e:
        b.create("t", 1, 1, {})
    assert e.value.changed


def test_msk_update_partitions_waits_for_new_count_and_delete_for_gone():
    client = StubMsk([described(partitions=3), described(partitions=6)])
    b, sleeps = backend(client)
    assert b.add_partitions("t", 6)["partitions"] == 6 and sleeps == [5]
    client = StubMsk([described(), None])
    b, _ = backend(client)
    assert b.delete("t") is None
    assert [c[0] for c in client.calls] == ["delete_topic", "describe_topic", "describe_topic"]


def test_msk_alter_config_sends_all_desired_keys_and_refuses_removal():
    client = StubMsk([described(config={"a": "1", "b": "2"})])
    b, _ = backend(client)
    b.alter_config("t", {"b": "2"}, [], desired={"a": "1", "b": "2"})
    update = client.calls[0][1]
    assert ka.decode_msk_configs(update["Configs"]) == {"a": "1", "b": "2"} and "PartitionCount" not in update
    with pytest.raises(ka.KafkaTopicError, match="not supported"):
        b.alter_config("t", {}, ["a"])


def test_msk_describe_missing_topic_is_absent():
    b, _ = backend(StubMsk([None]))
    assert b.describe(["t"]) == {}


# ------------------------------------------- Kafka client settings (no broker)
@pytest.mark.parametrize("protocol, extra, expected", [
    ("PLAINTEXT", {"ssl_ca_location": "/ca.pem"}, {}),
    ("SSL", {"ssl_ca_location": "/ca.pem", "ssl_certificate_location": "/c.pem", "ssl_key_location": "/k.pem"},
     {"ssl.ca.location": "/ca.pem", "ssl.certificate.location": "/c.pem", "ssl.key.location": "/k.pem"}),
    ("SASL_SSL", {"sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "u", "sasl_password": "p",
                  "ssl_ca_location": "/ca.pem"},
     {"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "p", "ssl.ca.location": "/ca.pem"}),
    ("SASL_PLAINTEXT", {"sasl_mechanism": "PLAIN", "sasl_username": "u", "sasl_password": "p"},
     {"sasl.mechanism": "PLAIN", "sasl.username": "u", "sasl.password": "p"}),
])
def test_kafka_client_settings(protocol, extra, expected):
    seen = {}
    ka.KafkaAdminBackend(["b1:9096", "b2:9096"], security_protocol=protocol, request_timeout=7,
                         admin_client_factory=seen.update, **extra)
    assert seen["bootstrap.servers"] == "b1:9096,b2:9096" and seen["security.protocol"] == protocol
    assert seen["socket.timeout.ms"] == 7000
    assert {k: v for k, v in seen.items() if k.startswith(("ssl.", "sasl."))} == expected
