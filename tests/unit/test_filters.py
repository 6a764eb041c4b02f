"""Unit tests of the collection's filters (pure functions)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.filter.msk import msk_ingress_rules  # noqa: E402


def _ports(rules):
    return sorted({(r["from_port"], r.get("cidr_ip")) for r in rules if "cidr_ip" in r})


def test_only_enabled_modes_open_their_port_to_each_cidr():
    rules = msk_ingress_rules({"iam": True, "unauthenticated_tls": True, "scram": False},
                              ["10.0.16.0/20", "10.0.32.0/20"], "c-msk")
    assert _ports(rules) == [(9094, "10.0.16.0/20"), (9094, "10.0.32.0/20"),
                             (9098, "10.0.16.0/20"), (9098, "10.0.32.0/20")]


def test_broker_to_broker_rule_references_the_group_itself():
    rules = msk_ingress_rules({"iam": True}, ["10.0.0.0/24"], "c-msk")
    self_rules = [r for r in rules if r.get("group_name") == "c-msk"]
    assert len(self_rules) == 1 and self_rules[0]["from_port"] == 0 and self_rules[0]["to_port"] == 65535


def test_scram_alone_opens_9096_only():
    rules = msk_ingress_rules({"iam": False, "unauthenticated_tls": False, "scram": True}, ["10.1.0.0/24"], "g")
    assert _ports(rules) == [(9096, "10.1.0.0/24")]


def test_no_cidr_means_no_client_rule():
    assert _ports(msk_ingress_rules({"iam": True}, [], "g")) == []


def test_unknown_mode_is_an_error_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match="msk_client_auth"):
        msk_ingress_rules({"mtls": True}, ["10.0.0.0/24"], "g")


def test_egress_reaches_each_broker_group_on_one_port_only():
    from ansible_collections.streamstack.pipeline.plugins.filter.msk import msk_egress_rules
    rules = msk_egress_rules(["sg-1", "sg-2"], "9094")
    assert [(r["group_id"], r["from_port"], r["to_port"]) for r in rules] == [("sg-1", 9094, 9094), ("sg-2", 9094, 9094)]
    assert all("cidr_ip" not in r for r in rules)


def test_egress_without_msk_is_an_error():
    from ansible_collections.streamstack.pipeline.plugins.filter.msk import msk_egress_rules
    with pytest.raises(AnsibleFilterError, match="msk role"):
        msk_egress_rules([], 9094)
