"""The cost estimate as users meet it: cost.yml, deploy's budget guard, the README's tables, the Price List API.

deploy's refusals are run with the AWS endpoint on the emulator and then the
emulator is read: nothing may exist, so the estimate really came before the
first AWS call.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from integration.awsstate import leftovers
from integration.playbook import assert_ok, run_playbook

ROOT = Path(__file__).resolve().parents[2]


def total(output):
    match = re.search(r'"total\s+(\d+\.\d+)\s+= \$(\d+\.\d+)/month', output)
    assert match, output[-3000:]
    return float(match.group(1)), float(match.group(2))


def test_cost_playbook_prints_the_itemised_estimate(aws_env):
    run = run_playbook("cost.yml", "poc", aws_env)
    assert_ok(run, "cost.yml")
    per_hour, per_month = total(run.output)
    assert per_hour == pytest.approx(0.6131, abs=0.001)  # the hand calculation in tests/unit/test_cost.py
    assert per_month == pytest.approx(per_hour * 730, abs=0.05)  # per_hour is printed rounded
    for line in ("Managed Flink orchestration KPU", "Public IPv4 addresses (1 NAT EIP, 2 ALB)", "time to live (5 h)"):
        assert line in run.output
    assert run.changed == 0


def test_cost_on_the_local_inventory_is_zero(aws_env):
    run = run_playbook("cost.yml", "local", aws_env)
    assert_ok(run, "cost.yml -i local")
    assert "local: $0" in run.output


def test_readme_cost_tables_are_generated_from_the_estimate():
    proc = subprocess.run([sys.executable, "scripts/cost_table.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_deploy_over_budget_stops_before_any_aws_call(aws_emulator, aws_env):
    aws_emulator.reset()
    run = run_playbook("deploy.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url,
                                                      "max_usd_per_hour": 0.25})
    assert run.rc != 0
    assert "Over budget, nothing was created" in run.output
    assert "over max_usd_per_hour $0.2500/h by $0.3631/h" in run.output
    assert "the biggest items: Managed Flink KPUs" in run.output
    assert "cost_budget_override=true" in run.output
    assert leftovers(aws_emulator.url, "streamstack", "poc") == []


def test_budget_override_is_explicit_and_still_reported(aws_env):
    run = run_playbook("playbooks/cost.yml", "poc", aws_env, {"max_usd_per_hour": 0.25, "cost_enforce_budget": True,
                                                              "cost_budget_override": True})
    assert_ok(run, "cost.yml with the override")
    assert "Over budget: $0.6131/h against max_usd_per_hour $0.25/h" in run.output
    assert "deploying anyway (cost_budget_override)" in run.output


@pytest.mark.parametrize("extra, variable, words", [
    # Preflight's capacity check knows no t3.nano either, and stops first.
    ({"eks_node_instance_types": ["t3.nano"]}, "eks_node_instance_types", "'t3.nano'"),
    ({"ttl_hours": -2}, "ttl_hours", "is negative"),
    ({"ttl_hours": 9000}, "ttl_hours", "more than 720"),
], ids=["unknown_instance_type", "negative_ttl", "absurd_ttl"])
def test_bad_input_stops_deploy_before_any_aws_call(aws_emulator, aws_env, extra, variable, words):
    aws_emulator.reset()
    run = run_playbook("deploy.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url, **extra})
    assert run.rc != 0
    fatal = run.output[run.output.index("fatal: [localhost]"):]
    assert variable in fatal and words in fatal, run.output[-3000:]
    assert leftovers(aws_emulator.url, "streamstack", "poc") == []


def test_prices_refreshed_from_the_price_list_api(aws_emulator, aws_env):
    """The emulator has no Price List API; the harness serves GetProducts (tests/harness/emulator/pricing.py)."""
    aws_emulator.reset()
    aws_emulator.seed_prices([{"serviceCode": "AmazonEC2", "usd": 0.05, "attributes": {
        "regionCode": "us-east-1", "instanceType": "t3.medium", "operatingSystem": "Linux", "tenancy": "Shared",
        "preInstalledSw": "NA", "capacitystatus": "Used"}}])
    run = run_playbook("cost.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url, "cost_refresh_prices": True})
    assert_ok(run, "cost.yml with cost_refresh_prices")
    per_hour, _ = total(run.output)
    assert per_hour == pytest.approx(0.6131 + 2 * (0.05 - 0.0416), abs=0.001)
    assert "2 instance x $0.05 /instance-h" in run.output

    aws_emulator.seed_prices([])  # the type is not listed: an error naming it, never the table's price silently
    run = run_playbook("cost.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url, "cost_refresh_prices": True})
    assert run.rc != 0
    assert "lists no on-demand Linux price for t3.medium in us-east-1" in run.output


AWAY = {"aws_region": "ca-central-1", "vpc_availability_zone_ids": ["cac1-az1", "cac1-az2"]}


def test_a_region_the_table_lacks_is_estimated_at_us_east_1_prices_marked(aws_emulator, aws_env):
    """ca-central-1 is not in the price table and the Price List API (the harness's) lists nothing
    for it: every line is us-east-1's, marked, the total says so, and a warning too; never refused."""
    aws_emulator.reset()
    run = run_playbook("cost.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url, **AWAY})
    assert_ok(run, "cost.yml in ca-central-1")
    per_hour, _ = total(run.output)
    assert per_hour == pytest.approx(0.6131, abs=0.001)  # us-east-1's total: not zero, not refused
    lines = [line for line in run.output.splitlines() if "x $" in line and "quantity" not in line]
    assert lines and all("[us-east-1 price]" in line for line in lines), lines
    assert "lines at us-east-1 prices, not ca-central-1's: an approximation" in run.output
    assert "[WARNING]" in run.output and "priced at us-east-1's" in run.output

    # What the Price List API lists for the region is used, unmarked; the rest stays marked.
    aws_emulator.seed_prices([{"serviceCode": "AmazonEC2", "usd": 0.06, "unit": "Hrs", "attributes": {
        "regionCode": "ca-central-1", "productFamily": "NAT Gateway", "usagetype": "CAN1-NatGateway-Hours"}}])
    run = run_playbook("cost.yml", "poc", aws_env, {"aws_endpoint_url": aws_emulator.url, **AWAY})
    assert_ok(run, "cost.yml in ca-central-1, one price listed")
    nat = next(line for line in run.output.splitlines() if "NAT gateways (single)" in line)
    assert "$0.06 /NAT-h" in nat and "[us-east-1 price]" not in nat, nat
    per_hour, _ = total(run.output)
    assert per_hour == pytest.approx(0.6131 + 0.06 - 0.045, abs=0.001)
