#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cost_estimate
short_description: Itemised cost of an environment from its inventory, with a budget guard
version_added: 0.2.0
description:
  - Read-only; never reports a change. Makes no AWS call for a region the price table
    has, unless O(refresh_prices=true).
  - Prices every billable part the inventory sizes, one line each, from the project's
    versioned price table C(plugins/module_utils/prices.py) (per region, each price with
    its source and date).
  - A region the table lacks is priced from the AWS Price List API (C(pricing:GetProducts))
    and, for whatever that does not answer (no permission, no network, an item it does not
    list), from us-east-1's prices, each such line and the total marked
    C([us-east-1 price]) with a warning. A missing price table never blocks a deploy and
    is never a silent zero. MSK brokers and storage; Managed Flink KPUs
    (ceil(parallelism / parallelism per KPU)) B(plus one orchestration KPU per application)
    and running storage; the EKS control plane (the extended-support price once the
    version is past standard support); nodes by instance and capacity type (SPOT is an
    estimate) and their root volumes; NAT gateways per hour and per GB at an assumed volume;
    public IPv4 addresses (NAT EIPs, the ALB's per AZ); the ALB per hour and assumed LCUs;
    Pinot's gp3 volumes; CloudWatch Logs at an assumed volume.
  - Totals per hour, per month (730 h) and for 5 h, 8 h, 24 h, 1 week, 1 month and the
    time to live.
  - An instance type unknown to the table in every region, a bad number or a bad time to
    live fails naming the variable; a price is never taken as zero.
  - With O(max_usd_per_hour) it fails when the estimate is above it, saying by how much
    and which items dominate, unless O(budget_override=true).
author:
  - streamstack maintainers
options:
  settings:
    description:
      - The inventory's sizing, variable name to value.
      - "Read: C(msk_broker_count), C(msk_broker_instance_type), C(msk_broker_ebs_gb),
        C(flink_app_parallelism), C(flink_app_parallelism_per_kpu), C(eks_version),
        C(eks_node_instance_types) (the first is priced), C(eks_node_capacity_type),
        C(eks_node_desired_size), C(eks_node_disk_gb), C(vpc_availability_zone_ids),
        C(vpc_nat_gateway_mode), C(alb_enabled) (default true), C(pinot_components),
        C(pinot_persistence), C(ttl_hours) (null or 0 for none, else up to 720), C(ttl_trigger)
        (the time-to-live build, priced once)."
    type: dict
    required: true
  assumptions:
    description:
      - Volumes the inventory cannot know, overriding the defaults
        C(nat_gb_per_month=20), C(alb_lcu=1), C(logs_gb_per_month=2),
        C(flink_applications=1), C(ttl_build_minutes=20). Lines priced from them are marked as
        estimates.
    type: dict
    default: {}
  paused:
    description:
      - Price what keeps billing while the stack is paused (node group at zero, Flink
        application stopped).
    type: bool
    default: false
  today:
    description: The date the EKS support calendar is read at (C(YYYY-MM-DD)); default today.
    type: str
  max_usd_per_hour:
    description: The environment's budget per hour; V(0) or unset means no limit.
    type: float
  budget_override:
    description: Accept an estimate over O(max_usd_per_hour) (it is still reported).
    type: bool
    default: false
  refresh_prices:
    description:
      - Read every price the estimate uses from the AWS Price List API (C(pricing
        GetProducts); EC2 on-demand Linux, shared tenancy) instead of the table, and report
        where the two differ. Fails when the API lists no price for the node type. Needs
        C(pricing:GetProducts).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Estimate the POC before deploying it
  streamstack.pipeline.cost_estimate:
    region: us-east-1
    settings:
      msk_broker_count: 2
      msk_broker_instance_type: kafka.t3.small
      msk_broker_ebs_gb: 20
      flink_app_parallelism: 1
      flink_app_parallelism_per_kpu: 1
      eks_version: "1.35"
      eks_node_instance_types: [t3.medium]
      eks_node_capacity_type: ON_DEMAND
      eks_node_desired_size: 2
      eks_node_disk_gb: 20
      vpc_availability_zone_ids: [use1-az1, use1-az2]
      vpc_nat_gateway_mode: single
      pinot_components: {server: {replicas: 1}}
      pinot_persistence: {server: 10Gi}
      ttl_hours: 5
    max_usd_per_hour: 1.0
  register: estimate

- name: Show it
  ansible.builtin.debug:
    msg: "{{ estimate.lines }}"
"""

RETURN = r"""
usd_per_hour:
  description: The estimate per hour.
  returned: success
  type: float
  sample: 0.6131
usd_per_month:
  description: Per month of 730 hours.
  returned: success
  type: float
  sample: 447.6
items:
  description: One line per billable part.
  returned: success
  type: list
  elements: dict
  contains:
    item:
      description: What is billed.
      type: str
      sample: Managed Flink orchestration KPU (1 per application)
    quantity:
      description: How many units of O(items[].unit).
      type: float
      sample: 1
    unit:
      description: The unit of the quantity.
      type: str
      sample: KPU
    unit_usd:
      description: The price per O(items[].price_unit).
      type: float
      sample: 0.11
    price_unit:
      description: What the price is per.
      type: str
      sample: USD/KPU-h
    usd_per_hour:
      description: This line's cost per hour.
      type: float
      sample: 0.11
    estimate:
      description: True when the line rests on an assumption (Spot, data volumes, LCUs).
      type: bool
      sample: false
    note:
      description: Why the line is what it is, when that is not obvious.
      type: str
      sample: always billed while the application runs
    source:
      description: Where the price comes from, and when it was read.
      type: str
      sample: Managed Service for Apache Flink pricing page (2026-11)
    fallback:
      description: The region whose price stands in for this line's (the table and the Price
        List API had none for the environment's region), else null.
      type: str
      sample: us-east-1
durations:
  description: The total for 5 h, 8 h, 24 h, 1 week, 1 month and the time to live.
  returned: success
  type: list
  elements: dict
  sample: [{duration: 5 h, hours: 5, usd: 3.07}]
price_table:
  description: The version of the price table used.
  returned: success
  type: str
  sample: "2026-11-24"
lines:
  description: The estimate as aligned text lines, as deploy prints it.
  returned: success
  type: list
  elements: str
markdown:
  description: The estimate as Markdown tables (the README's cost section).
  returned: success
  type: str
budget:
  description: The limit and how far the estimate is from it.
  returned: success
  type: dict
  sample: {max_usd_per_hour: 1.0, over_by_usd_per_hour: 0, over: false, override: false}
once:
  description: What bills once rather than per hour - the time-to-live teardown build when
    C(ttl_trigger) and C(ttl_hours) are set - each a line like O(items[]) with C(usd) instead of C(usd_per_hour).
  returned: success
  type: list
  elements: dict
  sample: [{item: "Time-to-live teardown build, once at the expiry (assumed 20 build-minutes)", usd: 0.1}]
fallback_items:
  description: The lines priced at us-east-1's prices (empty when every price is the region's).
  returned: success
  type: list
  elements: str
  sample: []
region:
  description: The region priced.
  returned: success
  type: str
  sample: us-east-1
refreshed:
  description: Prices read from the Price List API, with the table's value beside each.
  returned: when O(refresh_prices=true) or the region is not in the table
  type: list
  elements: dict
  sample: [{item: ec2, kind: t3.medium, table_usd: 0.0416, api_usd: 0.0416}]
"""

import copy
import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.streamstack.pipeline.plugins.module_utils import cost, price_list, prices

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore


def api_prices(module, region, settings, refresh):
    """(table, found, refreshed) for the estimate. Asks the Price List API for what the
    table lacks in the region (found; whatever the API does not answer stands in from
    us-east-1, marked: prices.py), or, on refresh, for every price (laid over a copy
    of the table). No call when the table covers the region."""
    types = cost.priced_types(settings)
    lacks = prices.missing(region, types)
    if not refresh and not lacks:
        return None, None, None
    # The Price List API answers in us-east-1 (and two other regions) for every region's prices.
    client = module.client("pricing", region="us-east-1", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if refresh:
            found = price_list.region_prices(client, region, types)
        else:
            found = price_list.region_prices(client, region, {k: v for k, v in lacks.items() if v},
                                             items=[k for k, v in lacks.items() if v is None])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        if refresh:
            module.fail_json_aws(err, msg="cost_refresh_prices: the Price List API refused GetProducts "
                                          "(needs pricing:GetProducts)")
        module.warn("The price table %s lacks some prices of %s and the Price List API refused GetProducts (%s): "
                    "us-east-1's stand in, marked as such. Allow pricing:GetProducts, or add them to "
                    "plugins/module_utils/prices.py" % (prices.TABLE_VERSION, region, err))
        found = {}
    if refresh:
        for node_type in types["ec2"]:
            if node_type not in found.get("ec2", {}):
                module.fail_json(msg="cost_refresh_prices: the Price List API lists no on-demand Linux price for %s "
                                     "in %s; fix eks_node_instance_types or leave cost_refresh_prices false"
                                 % (node_type, region))
    base = prices.region_prices(region)
    refreshed = []
    for item, entry in sorted(found.items()):
        for kind, each in (sorted(entry.items()) if "price" not in entry else [(None, entry)]):
            old = (base.get(item, {}).get(kind) if kind else base.get(item)) or {}
            refreshed.append({"item": item, "kind": kind, "api_usd": each["price"],
                              "table_usd": None if old.get("fallback") else old.get("price")})
    if not refresh:
        return None, found, refreshed
    # Refreshed: the API's prices win over the table's.
    table = copy.deepcopy(prices.PRICES)
    own = table.setdefault(region, {})
    for item, entry in found.items():
        if "price" in entry:
            own[item] = entry
        else:
            own.setdefault(item, {}).update(entry)
    return table, None, refreshed


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            settings=dict(type="dict", required=True),
            assumptions=dict(type="dict", default={}),
            paused=dict(type="bool", default=False),
            today=dict(type="str"),
            max_usd_per_hour=dict(type="float"),
            budget_override=dict(type="bool", default=False),
            refresh_prices=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    region = module.region
    if not region:
        module.fail_json(msg="aws_region is not set: name the region the environment runs in, e.g. us-east-1")
    today = None
    if params["today"]:
        try:
            today = datetime.date.fromisoformat(params["today"])
        except ValueError:
            module.fail_json(msg="cost_today %r is not a date (YYYY-MM-DD)" % params["today"])
    limit = params["max_usd_per_hour"]
    if limit is not None and limit < 0:
        module.fail_json(msg="max_usd_per_hour %s is negative: set the budget in USD per hour, e.g. 1.0, or 0 for "
                             "no limit" % limit)
    table, found, refreshed = api_prices(module, region, params["settings"], params["refresh_prices"])
    try:
        result = cost.estimate(params["settings"], region, today=today, assumptions=params["assumptions"],
                               paused=params["paused"], table=table, found=found)
    except cost.CostError as err:
        module.fail_json(msg="The cost estimate cannot price this inventory; nothing was created:\n%s" % "\n".join(
            "- %s: %s. Fix: %s" % problem for problem in err.problems), problems=[
                dict(variable=v, message=m, fix=f) for v, m, f in err.problems])
    over_by = max(0.0, result["usd_per_hour"] - limit) if limit else 0.0
    result["budget"] = dict(max_usd_per_hour=limit or 0, over=over_by > 0, over_by_usd_per_hour=round(over_by, 4),
                            override=params["budget_override"])
    result["lines"] = cost.text(result)
    result["markdown"] = cost.markdown(result)
    if refreshed is not None:
        result["refreshed"] = refreshed
    if result["fallback_items"]:
        module.warn("%s has no price in the price table %s or the Price List API for %d of %d lines: they are "
                    "priced at us-east-1's, marked [us-east-1 price], an approximation: %s" % (
                        region, prices.TABLE_VERSION, len(result["fallback_items"]), len(result["items"]),
                        "; ".join(result["fallback_items"])))
    problem = cost.budget_problem(result, limit, params["budget_override"])
    if problem:
        module.fail_json(msg="Over budget, nothing was created: " + problem, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
