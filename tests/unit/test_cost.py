"""The cost estimate against hand calculations written out here.

The prices below are typed in from FACTS.md ("Prices, us-east-1") and the AWS
pricing pages, not read from prices.py: changing a price in the table, or a
formula in cost.py, makes these fail. Inventories are read from
inventories/<env>/group_vars/all, so changing a sizing fails them too.
"""
import datetime
import glob
import math
import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import cost, prices  # noqa: E402

TODAY = datetime.date(2026, 11, 24)
MONTH = 730.0


def inventory(env):
    settings = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "inventories", env, "group_vars", "all", "*.yml"))):
        settings.update(yaml.safe_load(open(path)) or {})
    flink = yaml.safe_load(open(os.path.join(ROOT, "roles", "flink_app", "defaults", "main.yml")))
    pinot = yaml.safe_load(open(os.path.join(ROOT, "roles", "pinot", "defaults", "main.yml")))
    settings.setdefault("flink_app_parallelism", flink["flink_app_parallelism"])
    settings.setdefault("flink_app_parallelism_per_kpu", flink["flink_app_parallelism_per_kpu"])
    settings.setdefault("pinot_persistence", pinot["pinot_persistence"])
    return settings


def hourly(result, prefix):
    """$/h of the one line whose name starts with prefix."""
    lines = [i for i in result["items"] if i["item"].startswith(prefix)]
    assert len(lines) == 1, (prefix, [i["item"] for i in result["items"]])
    return lines[0]["usd_per_hour"]


def assert_items(result, expected):
    for prefix, usd in expected.items():
        assert hourly(result, prefix) == pytest.approx(usd, rel=0.02, abs=1e-6), prefix
    assert len(result["items"]) == len(expected), [i["item"] for i in result["items"]]
    assert result["usd_per_hour"] == pytest.approx(sum(expected.values()), rel=0.02)


def test_poc_equals_the_hand_calculation():
    result = cost.estimate(inventory("poc"), "us-east-1", today=TODAY)
    expected = {
        "MSK brokers": 2 * 0.0456,                                   # 2 x kafka.t3.small
        "MSK storage": 2 * 20 * 0.10 / MONTH,                        # 20 GB each, $0.10/GB-month
        "Managed Flink KPUs": math.ceil(1 / 1) * 0.11,               # parallelism 1, 1 per KPU
        "Managed Flink orchestration KPU": 1 * 0.11,                 # always one per application
        "Managed Flink running storage": 2 * 50 * 0.10 / MONTH,      # 50 GB per KPU (incl. orchestration)
        "EKS control plane": 0.10,                                   # 1.35: standard support until 2027-03-27
        "EKS nodes": 2 * 0.0416,                                     # 2 x t3.medium on demand
        "EKS node root volumes": 2 * 20 * 0.08 / MONTH,              # 20 GB gp3 each
        "NAT gateways": 1 * 0.045,                                   # single
        "NAT data processed": 20 * 0.045 / MONTH,                    # assumed 20 GB/month
        "Public IPv4": (1 + 2) * 0.005,                              # NAT EIP + ALB in 2 AZs
        "Application Load Balancer": 0.0225,
        "ALB capacity units": 1 * 0.008,
        "Pinot volumes": (2 * 1 * 2 + 5 + 10) * 0.08 / MONTH,        # ZK data+datalog 2Gi, controller 5, server 10
        "CloudWatch Logs": 2 * 0.50 / MONTH,                         # assumed 2 GB/month
    }
    assert_items(result, expected)
    assert result["usd_per_hour"] == pytest.approx(0.6131, abs=0.001)
    assert result["usd_per_month"] == pytest.approx(0.6131 * MONTH, rel=0.01)
    durations = {d["duration"]: d["usd"] for d in result["durations"]}
    assert durations["5 h"] == pytest.approx(5 * 0.6131, rel=0.01)
    assert durations["1 week"] == pytest.approx(168 * 0.6131, rel=0.01)
    assert durations["time to live (5 h)"] == pytest.approx(5 * 0.6131, rel=0.01)


def test_staging_equals_the_hand_calculation():
    result = cost.estimate(inventory("staging"), "us-east-1", today=TODAY)
    expected = {
        "MSK brokers": 3 * 0.21,                                     # 3 x kafka.m5.large
        "MSK storage": 3 * 100 * 0.10 / MONTH,
        "Managed Flink KPUs": 0.11,
        "Managed Flink orchestration KPU": 0.11,
        "Managed Flink running storage": 2 * 50 * 0.10 / MONTH,
        "EKS control plane": 0.10,
        "EKS nodes": 3 * 0.096,                                      # 3 x m5.large
        "EKS node root volumes": 3 * 50 * 0.08 / MONTH,
        "NAT gateways": 3 * 0.045,                                   # one per AZ
        "NAT data processed": 20 * 0.045 / MONTH,
        "Public IPv4": (3 + 3) * 0.005,                              # 3 NAT EIPs + ALB in 3 AZs
        "Application Load Balancer": 0.0225,
        "ALB capacity units": 0.008,
        "Pinot volumes": (3 * 2 * 2 + 1 * 5 + 2 * 10) * 0.08 / MONTH,  # 3 ZK x 2 volumes, 1 controller, 2 servers
        "CloudWatch Logs": 2 * 0.50 / MONTH,
    }
    assert_items(result, expected)
    assert not any(d["duration"].startswith("time to live") for d in result["durations"])  # staging: no TTL


def test_the_originals_sizing_shows_what_its_table_missed():
    """The seed: 2 x kafka.t3.small, 1 KPU, 1 x t3.small, one NAT; its table said $0.40/h ($334/month)."""
    original = dict(inventory("poc"), eks_node_instance_types=["t3.small"], eks_node_desired_size=1,
                    alb_enabled=False, pinot_components={}, ttl_hours=5)
    result = cost.estimate(original, "us-east-1", today=TODAY)
    names = [i["item"] for i in result["items"]]
    for missed in ("Managed Flink orchestration KPU", "Public IPv4 addresses", "Managed Flink running storage"):
        assert any(n.startswith(missed) for n in names), missed
    assert hourly(result, "Managed Flink orchestration KPU") == pytest.approx(0.11)
    # FACTS.md: "about $0.53/h (~ $388/month)"; neither the original's $0.40/h nor its $334/month.
    assert result["usd_per_hour"] == pytest.approx(0.49, abs=0.04)
    assert result["usd_per_hour"] > 0.40 and result["usd_per_month"] > 334


def test_a_changed_price_changes_the_estimate():
    table = {"us-east-1": dict(prices.PRICES["us-east-1"], msf_kpu=prices.entry(0.22, "USD/KPU-h", "test"))}
    base = cost.estimate(inventory("poc"), "us-east-1", today=TODAY)
    doubled = cost.estimate(inventory("poc"), "us-east-1", today=TODAY, table=table)
    assert doubled["usd_per_hour"] == pytest.approx(base["usd_per_hour"] + 2 * 0.11, abs=1e-3)


def test_kpus_round_up_and_add_the_orchestration_kpu():
    settings = dict(inventory("poc"), flink_app_parallelism=5, flink_app_parallelism_per_kpu=2)
    result = cost.estimate(settings, "us-east-1", today=TODAY)
    assert hourly(result, "Managed Flink KPUs") == pytest.approx(3 * 0.11)  # ceil(5/2)
    assert hourly(result, "Managed Flink orchestration KPU") == pytest.approx(0.11)


def test_extended_support_prices_the_control_plane_at_060():
    result = cost.estimate(dict(inventory("poc"), eks_version="1.34"), "us-east-1",
                           today=datetime.date(2026, 12, 3))  # 1.34 left standard support on 2026-12-02
    assert hourly(result, "EKS control plane") == pytest.approx(0.60)
    assert "extended" in [i for i in result["items"] if i["item"].startswith("EKS control")][0]["item"]
    before = cost.estimate(dict(inventory("poc"), eks_version="1.34"), "us-east-1", today=datetime.date(2026, 12, 1))
    assert hourly(before, "EKS control plane") == pytest.approx(0.10)


def test_spot_is_marked_as_an_estimate():
    result = cost.estimate(dict(inventory("poc"), eks_node_capacity_type="SPOT"), "us-east-1", today=TODAY)
    line = [i for i in result["items"] if i["item"].startswith("EKS nodes")][0]
    assert line["estimate"] is True and "Spot" in line["note"]
    assert line["usd_per_hour"] == pytest.approx(2 * 0.0416 * 0.35, rel=0.02)


def test_paused_keeps_msk_nat_control_plane_and_volumes_only():
    running = cost.estimate(inventory("poc"), "us-east-1", today=TODAY)
    paused = cost.estimate(inventory("poc"), "us-east-1", today=TODAY, paused=True)
    assert hourly(paused, "EKS nodes") == 0 and hourly(paused, "EKS node root volumes") == 0
    assert hourly(paused, "Managed Flink KPUs") == 0
    assert not any(i["item"].startswith("Managed Flink orchestration") for i in paused["items"])
    assert hourly(paused, "MSK brokers") == hourly(running, "MSK brokers")
    assert hourly(paused, "NAT gateways") == hourly(running, "NAT gateways")
    expected = 2 * 0.0456 + 40 * 0.10 / MONTH + 0.10 + 0.045 + 3 * 0.005 + 0.0225 + 0.008 + 19 * 0.08 / MONTH \
        + 2 * 0.50 / MONTH
    assert paused["usd_per_hour"] == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize("change, variable, words", [
    ({"eks_node_instance_types": ["x9.huge"]}, "eks_node_instance_types", ["x9.huge"]),
    ({"msk_broker_instance_type": "kafka.z1.tiny"}, "msk_broker_instance_type", ["kafka.z1.tiny"]),
    ({"ttl_hours": -3}, "ttl_hours", ["negative"]),
    ({"ttl_hours": 100000}, "ttl_hours", ["720"]),
    ({"ttl_hours": "soon"}, "ttl_hours", ["soon"]),
    ({"msk_broker_count": "two"}, "msk_broker_count", ["two"]),
    ({"pinot_persistence": {"zookeeper": "2Gi", "controller": "lots", "server": "10Gi"}},
     "pinot_persistence.controller", ["lots"]),
])
def test_bad_input_names_the_variable(change, variable, words):
    settings = dict(inventory("poc"), **change)
    with pytest.raises(cost.CostError) as err:
        cost.estimate(settings, settings["aws_region"], today=TODAY)
    assert [p[0] for p in err.value.problems] == [variable]
    message = err.value.problems[0][1]
    for word in words:
        assert word in message
    assert err.value.problems[0][2]  # a fix is given


def test_over_budget_says_by_how_much_and_what_dominates():
    result = cost.estimate(inventory("poc"), "us-east-1", today=TODAY)
    message = cost.budget_problem(result, 0.30)
    assert "over max_usd_per_hour $0.3000/h by $0.3131/h" in message
    assert "Managed Flink KPUs" in message and "EKS control plane" in message  # the three biggest items
    assert "MSK brokers" not in message  # the fourth
    assert "cost_budget_override=true" in message
    assert cost.budget_problem(result, 0.30, override=True) is None
    assert cost.budget_problem(result, 1.00) is None
    assert cost.budget_problem(result, 0) is None


def test_a_region_the_table_lacks_is_priced_at_us_east_1s_each_line_and_the_total_marked():
    settings = inventory("poc")
    home = cost.estimate(settings, "us-east-1", today=TODAY)
    away = cost.estimate(settings, "ca-central-1", today=TODAY)
    assert away["usd_per_hour"] == home["usd_per_hour"]  # never a zero, never a blocked deploy
    assert away["fallback_items"] == [i["item"] for i in away["items"]]
    assert all(i["fallback"] == "us-east-1" and "not ca-central-1's" in i["source"] for i in away["items"])
    text = "\n".join(cost.text(away))
    assert text.count("[us-east-1 price]") == len(away["items"]) + len(away["once"])  # the build's line too
    assert away["once"] and all(i["fallback"] == "us-east-1" for i in away["once"])
    assert "%d of %d lines at us-east-1 prices, not ca-central-1's" % ((len(away["items"]),) * 2) in text
    assert "lines at us-east-1 prices" in next(l for l in cost.markdown(away).splitlines() if "**total**" in l)
    assert "[us-east-1 price]" not in "\n".join(cost.text(home)) and home["fallback_items"] == []


def test_prices_found_for_a_region_the_table_lacks_are_used_unmarked():
    settings = inventory("poc")
    found = {"nat_gateway": prices.entry(0.05, "USD/NAT-h", "AWS Price List API GetProducts", "2026-12-07"),
             "ec2": {"t3.medium": prices.entry(0.05, "USD/instance-h", "AWS Price List API GetProducts",
                                               "2026-12-07")}}
    result = cost.estimate(settings, "ca-central-1", today=TODAY, found=found)
    home = cost.estimate(settings, "us-east-1", today=TODAY)
    nodes = next(i for i in result["items"] if i["item"].startswith("EKS nodes"))
    nat = next(i for i in result["items"] if i["item"].startswith("NAT gateways"))
    assert nodes["fallback"] is None and nodes["unit_usd"] == 0.05 and "Price List API" in nodes["source"]
    assert nat["fallback"] is None and nat["unit_usd"] == 0.05
    assert len(result["fallback_items"]) == len(result["items"]) - 2
    assert result["usd_per_hour"] == pytest.approx(home["usd_per_hour"] + 2 * (0.05 - 0.0416) + (0.05 - 0.045),
                                                   abs=1e-4)


def test_the_table_covers_the_six_regions_each_with_what_us_east_1_prices_and_no_more():
    base = prices.PRICES["us-east-1"]
    assert {"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"} <= set(prices.PRICES)
    assert prices.missing("us-east-1", {"ec2": ["t3.medium"], "msk_broker": ["kafka.t3.small"]}) == {}
    for region, table in prices.PRICES.items():
        assert set(table) <= set(base), region
        assert set(table["ec2"]) == set(base["ec2"]), region  # every node type the capacity check knows
        for item, entry in table.items():
            if "price" not in entry:
                assert set(entry) <= set(base[item]), (region, item)
            else:
                assert entry["unit"] == base[item]["unit"], (region, item)


def test_a_region_the_table_covers_in_part_takes_the_rest_from_us_east_1_marked():
    settings = dict(inventory("poc"), vpc_availability_zone_ids=["euw1-az1", "euw1-az2"])
    result = cost.estimate(settings, "eu-west-1", today=TODAY)
    by_item = {i["item"].split(" (")[0]: i for i in result["items"]}
    assert by_item["EKS nodes"]["unit_usd"] == 0.0456 and not by_item["EKS nodes"]["fallback"]
    assert by_item["NAT gateways"]["unit_usd"] == 0.048 and not by_item["NAT gateways"]["fallback"]
    assert by_item["MSK brokers"]["fallback"] == "us-east-1"  # no sourced eu-west-1 MSK price
    assert prices.missing("eu-west-1", {"ec2": ["t3.medium"], "msk_broker": ["kafka.t3.small"]})["msk_broker"] == [
        "kafka.t3.small"]


def test_every_price_has_a_source_and_a_date():
    for region, table in prices.PRICES.items():
        for name, entry in table.items():
            entries = entry.values() if "price" not in entry else [entry]
            for each in entries:
                assert each["price"] > 0 and each["source"] and each["date"], (region, name)


def test_the_time_to_live_build_is_priced_once_and_only_with_its_trigger():
    settings = inventory("poc")
    assert "ttl_trigger" not in settings  # on by default (the ttl role's default)
    on = cost.estimate(settings, "us-east-1", today=TODAY)
    (build,) = on["once"]
    assert build["usd"] == pytest.approx(20 * 0.005) and build["estimate"]  # 20 build-minutes, general1.small
    for off in (False, "false"):
        without = cost.estimate(dict(settings, ttl_trigger=off), "us-east-1", today=TODAY)
        assert without["once"] == [] and without["usd_per_hour"] == on["usd_per_hour"]  # not hourly
    assert "plus Time-to-live teardown build" in "\n".join(cost.text(on))
    assert cost.estimate(dict(settings, ttl_trigger=True, ttl_hours=0), "us-east-1", today=TODAY)["once"] == []
    longer = cost.estimate(dict(settings, ttl_trigger=True), "us-east-1", today=TODAY,
                           assumptions={"ttl_build_minutes": 30})
    assert longer["once"][0]["usd"] == pytest.approx(30 * 0.005)


@pytest.mark.parametrize("nodes, ec2", [(["t3.large", "t3.medium"], ["t3.large"]), ("m5.large", ["m5.large"]), ([], [])])
def test_the_typed_items_priced_are_the_first_node_type_and_the_broker_type(nodes, ec2):
    settings = dict(inventory("poc"), eks_node_instance_types=nodes)
    assert cost.priced_types(settings) == {"ec2": ec2, "msk_broker": ["kafka.t3.small"]}
    assert "msk_broker" not in cost.priced_types(dict(settings, msk_broker_instance_type=None))
