"""Unit tests of the preflight rules (module_utils/preflight.py) and the stack_preflight module."""

import datetime
import json
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import preflight  # noqa: E402

TODAY = datetime.date(2026, 11, 24)  # FACTS.md: "now"


def load_inventory(name):
    """Flat settings of inventories/<name>/group_vars/all/*.yml, simple {{ var }} rendered."""
    folder = os.path.join(ROOT, "inventories", name, "group_vars", "all")
    values = {}
    for file_name in sorted(os.listdir(folder)):
        if file_name.endswith((".yml", ".yaml")):
            with open(os.path.join(folder, file_name), encoding="utf-8") as handle:
                values.update(yaml.safe_load(handle) or {})

    def render(value):
        if isinstance(value, str):
            match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value)
            return render(values[match.group(1)]) if match and match.group(1) in values else value
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        return value

    return {k: render(v) for k, v in values.items()}


@pytest.fixture
def poc():
    return load_inventory("poc")


def check(settings, today=TODAY, creds=True):
    return preflight.check_settings(settings, today=today, aws_credentials_found=creds)


def only_problem(settings, variable, *numbers, today=TODAY):
    """Exactly one problem, about `variable`, whose message holds every number given."""
    problems, _warnings = check(settings, today)
    assert [p["variable"] for p in problems] == [variable], problems
    problem = problems[0]
    for number in numbers:
        assert str(number) in problem["message"], (number, problem)
    assert problem["fix"]
    assert variable in problem["message"]
    return problem


# --- both inventories pass -------------------------------------------------

@pytest.mark.parametrize("name", ["poc", "staging"])
def test_inventories_pass(name):
    settings = load_inventory(name)
    required = set(preflight.SETTINGS) - set(preflight.OPTIONAL_SETTINGS)
    assert required - set(settings) == set(), "inventory lacks a checked setting"
    problems, warnings = check(settings)
    assert problems == []
    assert warnings == []


def test_every_setting_is_required_except_optional(poc):
    for name in preflight.SETTINGS:
        settings = dict(poc, **{name: None})
        problems, _ = check(settings)
        if name in preflight.OPTIONAL_SETTINGS:
            assert problems == [], name
        else:
            assert [p["variable"] for p in problems] == [name]
            assert "is not set" in problems[0]["message"]


def test_empty_settings_list_every_missing_variable():
    problems, _ = check({})
    assert {p["variable"] for p in problems} == set(preflight.SETTINGS) - set(preflight.OPTIONAL_SETTINGS)


# --- stack -----------------------------------------------------------------

@pytest.mark.parametrize("env", ["Prod", "p", "a" * 17, "1poc", "po_c", "po c"])
def test_environment_pattern(poc, env):
    only_problem(dict(poc, stack_environment=env), "stack_environment", len(env))


def test_environment_of_16_characters_passes(poc):
    assert check(dict(poc, stack_environment="a" * 16))[0] == []


def test_project_pattern(poc):
    only_problem(dict(poc, stack_project="Stream Stack"), "stack_project", 32)


def test_missing_owner_tag(poc):
    tags = {k: v for k, v in poc["stack_tags"].items() if k != "Owner"}
    problem = only_problem(dict(poc, stack_tags=tags), "stack_tags", 1, 5)
    assert "Owner" in problem["message"]


def test_empty_tag_value(poc):
    problem = only_problem(dict(poc, stack_tags=dict(poc["stack_tags"], CostCenter="")), "stack_tags", 1)
    assert "CostCenter" in problem["message"]


def test_tags_not_a_mapping(poc):
    only_problem(dict(poc, stack_tags="Project=x"), "stack_tags")


# --- AWS -------------------------------------------------------------------

@pytest.mark.parametrize("region", ["us-east", "US-EAST-1", "useast1", "us-east-12"])
def test_region_format(poc, region):
    only_problem(dict(poc, aws_region=region), "aws_region")


def test_missing_credentials(poc):
    problems, _ = check(poc, creds=False)
    assert [p["variable"] for p in problems] == ["aws_credentials"]
    assert "AWS_PROFILE" in problems[0]["fix"] and "AWS_ACCESS_KEY_ID" in problems[0]["fix"]


@pytest.mark.parametrize("url", ["", None, "http://127.0.0.1:5000", "https://kafka.us-east-1.amazonaws.com"])
def test_endpoint_ok(poc, url):
    assert check(dict(poc, aws_endpoint_url=url))[0] == []


@pytest.mark.parametrize("url", ["127.0.0.1:5000", "ftp://host", "http://", 5000])
def test_endpoint_bad(poc, url):
    only_problem(dict(poc, aws_endpoint_url=url), "aws_endpoint_url")


# --- VPC -------------------------------------------------------------------

@pytest.mark.parametrize("cidr,number", [
    ("10.40.0.0/33", "33"), ("10.40.0.1/16", "10.40.0.0/16"), ("banana", "banana"), ("fd00::/48", "fd00"),
])
def test_vpc_cidr_invalid(poc, cidr, number):
    problems, _ = check(dict(poc, vpc_cidr=cidr))
    assert problems[0]["variable"] == "vpc_cidr"
    assert number in problems[0]["message"]


@pytest.mark.parametrize("cidr,prefix", [("10.0.0.0/8", 8), ("10.40.0.0/25", 25)])
def test_vpc_cidr_prefix(poc, cidr, prefix):
    problems, _ = check(dict(poc, vpc_cidr=cidr))
    assert problems[0]["variable"] == "vpc_cidr"
    assert "/%d" % prefix in problems[0]["message"]


def test_one_az(poc):
    problem = only_problem(dict(poc, vpc_availability_zone_ids=["use1-az1"]), "vpc_availability_zone_ids", 1, "use1-az1")
    assert "MSK needs 2 or 3 client subnets" in problem["message"]
    assert "[use1-az1, use1-az2]" in problem["fix"]


def test_four_azs(poc):
    settings = dict(poc, vpc_availability_zone_ids=["use1-az1", "use1-az2", "use1-az4", "use1-az5"])
    problems, _ = check(settings)
    assert problems[0]["variable"] == "vpc_availability_zone_ids"
    assert "4 AZs" in problems[0]["message"]


def test_duplicate_azs(poc):
    only_problem(dict(poc, vpc_availability_zone_ids=["use1-az1", "use1-az1"]), "vpc_availability_zone_ids", "use1-az1", 2, 1)


def test_use1_az3_refused_by_msk(poc):
    problem = only_problem(dict(poc, vpc_availability_zone_ids=["use1-az1", "use1-az3"]), "vpc_availability_zone_ids", "use1-az3")
    assert "MSK" in problem["message"]


def test_use1_az3_fine_elsewhere_format(poc):
    # an unknown region gets the format check only
    settings = dict(poc, aws_region="xx-newregion-1", vpc_availability_zone_ids=["xxn1-az1", "xxn1-az3"])
    assert check(settings)[0] == []


def test_az_of_another_region(poc):
    problem = only_problem(dict(poc, vpc_availability_zone_ids=["use1-az1", "usw2-az2"]), "vpc_availability_zone_ids", "usw2-az2")
    assert "use1" in problem["message"]


@pytest.mark.parametrize("region,prefix", sorted(preflight.REGION_AZ_ID_PREFIX.items()))
def test_region_prefixes(poc, region, prefix):
    settings = dict(poc, aws_region=region, vpc_availability_zone_ids=["%s-az1" % prefix, "%s-az2" % prefix])
    assert check(settings)[0] == []


def test_az_name_instead_of_id(poc):
    problem = only_problem(dict(poc, vpc_availability_zone_ids=["us-east-1a", "use1-az2"]), "vpc_availability_zone_ids", "us-east-1a")
    assert "AZ ID" in problem["message"]


def test_az_ids_a_string(poc):
    only_problem(dict(poc, vpc_availability_zone_ids="use1-az1,use1-az2"), "vpc_availability_zone_ids")


def test_subnet_count_per_az(poc):
    only_problem(dict(poc, vpc_public_subnet_cidrs=["10.40.0.0/24"]), "vpc_public_subnet_cidrs", 1, 2)


def test_subnet_outside_vpc(poc):
    only_problem(dict(poc, vpc_private_subnet_cidrs=["10.40.16.0/20", "10.99.0.0/20"]),
                 "vpc_private_subnet_cidrs", "10.99.0.0/20", "10.40.0.0/16")


def test_overlapping_subnets(poc):
    problem = only_problem(dict(poc, vpc_private_subnet_cidrs=["10.40.16.0/20", "10.40.1.0/24"]),
                           "vpc_private_subnet_cidrs", "10.40.1.0/24", "vpc_public_subnet_cidrs[1]")
    assert "overlaps" in problem["message"]


def test_overlap_within_one_list(poc):
    only_problem(dict(poc, vpc_public_subnet_cidrs=["10.40.0.0/23", "10.40.1.0/24"]), "vpc_public_subnet_cidrs", "10.40.1.0/24")


def test_invalid_subnet(poc):
    only_problem(dict(poc, vpc_public_subnet_cidrs=["10.40.0.0/24", "10.40.1.300/24"]), "vpc_public_subnet_cidrs", "10.40.1.300")


def test_subnet_too_small(poc):
    only_problem(dict(poc, vpc_public_subnet_cidrs=["10.40.0.0/24", "10.40.1.0/29"]), "vpc_public_subnet_cidrs", 29)


@pytest.mark.parametrize("mode", ["multi", "SINGLE", ""])
def test_nat_mode(poc, mode):
    only_problem(dict(poc, vpc_nat_gateway_mode=mode), "vpc_nat_gateway_mode", "per_az")


# --- MSK -------------------------------------------------------------------

def test_three_brokers_over_two_azs(poc):
    problem = only_problem(dict(poc, msk_broker_count=3), "msk_broker_count", 3, 2)
    assert "2 or 4" in problem["fix"]


def test_two_brokers_over_three_azs():
    staging = load_inventory("staging")
    only_problem(dict(staging, msk_broker_count=2, msk_server_properties=None), "msk_broker_count", 2, 3)


def test_one_broker(poc):
    only_problem(dict(poc, msk_broker_count=1, msk_server_properties=None), "msk_broker_count", 1)


@pytest.mark.parametrize("count", [4, 6])
def test_broker_multiples_pass(poc, count):
    assert check(dict(poc, msk_broker_count=count))[0] == []


def test_broker_count_not_a_number(poc):
    only_problem(dict(poc, msk_broker_count="three"), "msk_broker_count", "three")


def test_kafka_281_end_of_support(poc):
    problem = only_problem(dict(poc, msk_kafka_version="2.8.1"), "msk_kafka_version", "2.8.1", "2024-09-11")
    assert "3.8.x" in problem["fix"]


def test_kafka_banana(poc):
    only_problem(dict(poc, msk_kafka_version="banana"), "msk_kafka_version", "banana", "3.8.x")


def test_kafka_version_as_number(poc):
    problem = only_problem(dict(poc, msk_kafka_version=3.8), "msk_kafka_version", "3.8")
    assert "quote" in problem["fix"]


def test_kafka_36_ended(poc):
    only_problem(dict(poc, msk_kafka_version="3.6.0"), "msk_kafka_version", "2026-06-01")


def test_kafka_36_before_its_end(poc):
    problems, warnings = check(dict(poc, msk_kafka_version="3.6.0"), today=datetime.date(2026, 5, 20))
    assert problems == []
    assert len(warnings) == 1 and "2026-06-01" in warnings[0] and "12 days" in warnings[0]


@pytest.mark.parametrize("version", sorted(preflight.MSK_KAFKA_VERSIONS))
def test_supported_kafka_versions(poc, version):
    problems, _ = check(dict(poc, msk_kafka_version=version), today=datetime.date(2026, 1, 1))
    assert problems == []


@pytest.mark.parametrize("itype", ["t3.small", "kafka.t3", "Kafka.m5.large"])
def test_msk_instance_type(poc, itype):
    only_problem(dict(poc, msk_broker_instance_type=itype), "msk_broker_instance_type", itype)


@pytest.mark.parametrize("size", [0, 16385, "big"])
def test_msk_ebs(poc, size):
    only_problem(dict(poc, msk_broker_ebs_gb=size), "msk_broker_ebs_gb", size, 16384)


def test_msk_no_client_auth(poc):
    only_problem(dict(poc, msk_client_auth={"iam": False, "unauthenticated_tls": False, "scram": False}),
                 "msk_client_auth", 0, 3)


def test_msk_unknown_auth_key(poc):
    problem = only_problem(dict(poc, msk_client_auth={"iam": True, "tls": True}), "msk_client_auth", 1)
    assert "tls" in problem["message"]


def test_replication_factor_above_broker_count(poc):
    props = dict(poc["msk_server_properties"], **{"default.replication.factor": "3"})
    only_problem(dict(poc, msk_server_properties=props), "msk_server_properties", 3, 2)


# --- EKS -------------------------------------------------------------------

def test_eks_129_out_of_support(poc):
    problem = only_problem(dict(poc, eks_version="1.29"), "eks_version", "1.29", "2026-03-23")
    assert "out of all" in problem["message"]


def test_eks_unknown_version(poc):
    only_problem(dict(poc, eks_version="1.99"), "eks_version", "1.99", "1.35")


def test_eks_version_as_float(poc):
    problem = only_problem(dict(poc, eks_version=1.3), "eks_version", "1.3")
    assert "quote" in problem["fix"]


def test_eks_extended_support_warns_price(poc):
    problems, warnings = check(dict(poc, eks_version="1.32"))
    assert problems == []
    assert len(warnings) == 1
    assert "$0.60/h" in warnings[0] and "$0.10/h" in warnings[0] and "2026-03-23" in warnings[0]
    assert "eks_version" in warnings[0]


def test_eks_standard_support_ending_soon(poc):
    problems, warnings = check(dict(poc, eks_version="1.34"))  # ends 2026-12-02: 8 days
    assert problems == []
    assert len(warnings) == 1 and "2026-12-02" in warnings[0] and "8 days" in warnings[0]


def test_eks_no_warning_31_days_before(poc):
    assert check(dict(poc, eks_version="1.34"), today=datetime.date(2026, 11, 1)) == ([], [])


def test_eks_calendar_is_14_plus_12_months():
    for version, (std, ext) in preflight.EKS_VERSIONS.items():
        assert (ext - std).days in (365, 366), version


def test_eks_empty_instance_types(poc):
    only_problem(dict(poc, eks_node_instance_types=[]), "eks_node_instance_types", 1)


@pytest.mark.parametrize("itype", ["t3medium", "kafka.t3.small", "T3.medium"])
def test_eks_instance_type_format(poc, itype):
    only_problem(dict(poc, eks_node_instance_types=[itype]), "eks_node_instance_types", itype)


@pytest.mark.parametrize("ctype", ["on_demand", "SPOTS", "RESERVED"])
def test_capacity_type(poc, ctype):
    only_problem(dict(poc, eks_node_capacity_type=ctype), "eks_node_capacity_type", ctype)


def test_min_greater_than_max(poc):
    only_problem(dict(poc, eks_node_min_size=5, eks_node_desired_size=5), "eks_node_min_size", 5, 4)


def test_desired_above_max(poc):
    only_problem(dict(poc, eks_node_desired_size=5), "eks_node_desired_size", 5, 4)


def test_desired_below_min(poc):
    only_problem(dict(poc, eks_node_desired_size=1), "eks_node_desired_size", 1, 2)


def test_min_zero(poc):
    only_problem(dict(poc, eks_node_min_size=0), "eks_node_min_size", 0)


def test_size_not_a_number(poc):
    only_problem(dict(poc, eks_node_max_size="four"), "eks_node_max_size", "four")


def test_node_disk_5(poc):
    only_problem(dict(poc, eks_node_disk_gb=5), "eks_node_disk_gb", 5, 20)


def test_several_problems_reported_together(poc):
    settings = dict(poc, vpc_nat_gateway_mode="multi", eks_node_disk_gb=5, msk_kafka_version="2.8.1")
    problems, _ = check(settings)
    assert [p["variable"] for p in problems] == ["vpc_nat_gateway_mode", "msk_kafka_version", "eks_node_disk_gb"]


def test_format_problem():
    line = preflight.format_problem({"variable": "v", "message": "is bad.", "fix": "set it"})
    assert line == "v: is bad. Fix: set it"


# --- the module --------------------------------------------------------------

def run_module(args):
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.streamstack.pipeline.plugins.modules import stack_preflight

    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        stack_preflight.main()
    return exited.value.code


def test_module_passes_poc(poc, capsys):
    code = run_module({"settings": poc, "today": "2026-11-24", "check_credentials": False})
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["changed"] is False
    assert result["problems"] == [] and result["preflight_warnings"] == []
    assert result["summary"].startswith("poc in us-east-1: 2 AZ(s)")


def test_module_fails_with_every_problem(poc, capsys):
    settings = dict(poc, vpc_availability_zone_ids=["use1-az1"], eks_node_capacity_type="spot")
    code = run_module({"settings": settings, "today": "2026-11-24", "check_credentials": False})
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["failed"] is True
    lines = result["msg"].splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["vpc_availability_zone_ids", "eks_node_capacity_type"]
    assert all(". Fix: " in line for line in lines)
    assert len(result["problems"]) == 2


def test_module_warns(poc, capsys, monkeypatch):
    # Where module.warn lands depends on what else ansible has loaded in this
    # process; record the calls themselves instead.
    from ansible.module_utils.basic import AnsibleModule
    warned = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    code = run_module({"settings": dict(poc, eks_version="1.34"), "today": "2026-11-24", "check_credentials": False})
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert "2026-12-02" in result["preflight_warnings"][0]
    assert any("2026-12-02" in w for w in warned)


def test_module_credentials(poc, capsys, monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    assert run_module({"settings": poc, "today": "2026-11-24"}) == 0
    assert json.loads(capsys.readouterr().out)["credentials_found"] is True

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert run_module({"settings": poc, "today": "2026-11-24"}) == 1
    result = json.loads(capsys.readouterr().out)
    assert [p["variable"] for p in result["problems"]] == ["aws_credentials"]
    assert "AWS_PROFILE" in result["msg"]

    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert run_module({"settings": poc, "today": "2026-11-24"}) == 1
    assert "nope" in json.loads(capsys.readouterr().out)["msg"]


def test_module_bad_today(poc, capsys):
    assert run_module({"settings": poc, "today": "24/11/2026", "check_credentials": False}) == 1
    assert "YYYY-MM-DD" in json.loads(capsys.readouterr().out)["msg"]


def test_teardown_scope_ignores_sizing_that_went_stale(poc):
    # EKS 1.29 and Kafka 2.8.1 are out of support: deploy refuses them, but a
    # teardown of what was deployed with them must still run.
    stale = dict(poc, eks_version="1.29", msk_kafka_version="2.8.1", vpc_availability_zone_ids=["use1-az3"])
    deploy_problems, _ = preflight.check_settings(stale, today=datetime.date(2026, 11, 24))
    assert {"eks_version", "msk_kafka_version", "vpc_availability_zone_ids"} <= {p["variable"] for p in deploy_problems}
    problems, warnings = preflight.check_settings(stale, today=datetime.date(2026, 11, 24), scope="teardown")
    assert problems == [] and warnings == []


def test_teardown_scope_still_checks_identity_and_credentials(poc):
    broken = dict(poc, stack_environment=None, aws_region="moon-1")
    problems, _ = preflight.check_settings(broken, aws_credentials_found=False, scope="teardown")
    assert {"stack_environment", "aws_region", "aws_credentials"} <= {p["variable"] for p in problems}


def test_several_node_types_are_refused_with_the_reason(poc):
    problems, _ = preflight.check_settings(dict(poc, eks_node_instance_types=["t3.medium", "t3a.medium"]),
                                           today=datetime.date(2026, 11, 24))
    assert [p["variable"] for p in problems] == ["eks_node_instance_types"]
    assert "2 types" in problems[0]["message"] and "launch template" in problems[0]["message"]


# --- capacity: Pinot on the node group (module_utils/capacity.py) -------------------

def test_original_single_t3_small_fails_capacity_with_numbers(poc):
    poc.update(eks_node_instance_types=["t3.small"], eks_node_min_size=1, eks_node_desired_size=1, eks_node_max_size=1)
    problem = only_problem(poc, "eks_node_instance_types", "1 x t3.small", "4324 MiB", "1428 MiB")
    assert "cheapest node group that fits" in problem["fix"]


def test_pinot_components_missing(poc):
    poc["pinot_components"] = None
    only_problem(poc, "pinot_components")


def test_pinot_components_unreadable(poc):
    poc["pinot_components"] = {"server": {"replicas": 1, "cpu": "fast", "memory": "1Gi", "memory_limit": "1Gi", "heap": "512m"}}
    problem = only_problem(poc, "pinot_components")
    assert "pinot_components.server.cpu" in problem["message"]


# --- the load balancer to the Pinot controller ------------------------------

@pytest.mark.parametrize("cidrs, shown", [
    ([], "[]"),
    (["0.0.0.0/0"], "0.0.0.0/0"),
    (["203.0.113.0/24", "::/0"], "::/0"),
    (["203.0.113.7/24"], "203.0.113.7/24"),
    ("203.0.113.0/24", "203.0.113.0/24"),
], ids=["empty", "open-v4", "open-v6", "host-bits", "not-a-list"])
def test_alb_allowlist_refused(poc, cidrs, shown):
    poc["alb_allowed_cidrs"] = cidrs
    problem = only_problem(poc, "alb_allowed_cidrs")
    assert shown in problem["message"]
    assert "203.0.113.0/24" in problem["fix"]


def test_alb_allowlist_ipv6_range_passes(poc):
    poc["alb_allowed_cidrs"] = ["203.0.113.0/24", "2001:db8::/32"]
    assert check(poc)[0] == []


# --- who reaches the EKS API endpoint ----------------------------------------

def test_eks_endpoint_settings_in_both_inventories():
    for name in ("poc", "staging"):
        settings = load_inventory(name)
        assert settings["eks_endpoint_public_access"] is True
        assert settings["eks_public_access_cidrs"] and "0.0.0.0/0" not in settings["eks_public_access_cidrs"]


@pytest.mark.parametrize("cidrs, shown", [
    ([], "open to 0.0.0.0/0"),
    (["0.0.0.0/0"], "whole internet"),
    (["198.51.100.0/24", "0.0.0.0/0"], "eks_public_access_cidrs[1] 0.0.0.0/0"),
    (["198.51.100.7/24"], "198.51.100.0/24"),
    (["10.40.0.0/16"], "not a public address range"),
    (["2001:db8::/32"], "IPv6"),
    (["office"], "'office'"),
    ("198.51.100.0/24", "not a list"),
], ids=["empty", "open", "open-among-others", "host-bits", "private", "ipv6", "not-a-cidr", "not-a-list"])
def test_eks_public_access_cidrs_refused(poc, cidrs, shown):
    problem = only_problem(dict(poc, eks_public_access_cidrs=cidrs), "eks_public_access_cidrs")
    assert shown in problem["message"]


def test_eks_private_only_needs_no_cidrs(poc):
    assert check(dict(poc, eks_endpoint_public_access=False, eks_public_access_cidrs=[])) == ([], [])


def test_eks_private_only_still_refuses_an_open_cidr(poc):
    # Kept by EKS while public access is off: switching it on later must not open the API.
    only_problem(dict(poc, eks_endpoint_public_access=False, eks_public_access_cidrs=["0.0.0.0/0"]),
                 "eks_public_access_cidrs")


def test_eks_endpoint_public_access_must_be_a_bool(poc):
    problem = only_problem(dict(poc, eks_endpoint_public_access="yes"), "eks_endpoint_public_access")
    assert "true or false" in problem["message"]


def test_eks_public_access_cidrs_several_pass(poc):
    assert check(dict(poc, eks_public_access_cidrs=["198.51.100.7/32", "203.0.113.0/24"])) == ([], [])
