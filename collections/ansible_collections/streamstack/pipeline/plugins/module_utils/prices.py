# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The price table every cost figure of the project comes from: the estimate
(cost.py), the capacity check's cheapest node group (capacity.py) and the leak
audit. One entry per region; each price carries its unit, source and the date
it was read. A region or a type that is not here has no price: callers raise
an error naming it, never a silent zero.

Bump ``TABLE_VERSION`` whenever a price changes: the README's cost table and
the tests' hand calculations name it.
"""

from __future__ import annotations

TABLE_VERSION = "2026-11-24"
HOURS_PER_MONTH = 730  # AWS's billing month

_EC2 = "EC2 on-demand pricing page, Linux"
_MSK = "Amazon MSK pricing page (provisioned); AWS agent-toolkit msk_sizing.py"
_DATE = "2026-11"


def entry(price, unit, source, date=_DATE):
    """One price: its amount in USD, unit, source and the date it was read."""
    return {"price": price, "unit": unit, "source": source, "date": date}


PRICES = {
    "us-east-1": {
        # Amazon MSK, per broker-hour by broker type, and storage per GB-month.
        "msk_broker": {
            "kafka.t3.small": entry(0.0456, "USD/broker-h", "Amazon MSK pricing page (secondary sources agree)"),
            "kafka.m5.large": entry(0.21, "USD/broker-h", _MSK),
            "kafka.m5.xlarge": entry(0.42, "USD/broker-h", _MSK),
            "kafka.m7g.large": entry(0.204, "USD/broker-h", _MSK),
            "kafka.m7g.xlarge": entry(0.408, "USD/broker-h", _MSK),
        },
        "msk_storage": entry(0.10, "USD/GB-month", _MSK),
        # Managed Service for Apache Flink: KPUs (1 vCPU, 4 GB) plus one
        # orchestration KPU per application; 50 GB running storage per KPU.
        "msf_kpu": entry(0.11, "USD/KPU-h", "Managed Service for Apache Flink pricing page"),
        "msf_storage": entry(0.10, "USD/GB-month", "Managed Service for Apache Flink pricing page (50 GB per KPU)"),
        # EKS control plane: standard and extended support.
        "eks_control_plane": entry(0.10, "USD/cluster-h", "Amazon EKS pricing page; AWS containers blog"),
        "eks_control_plane_extended": entry(0.60, "USD/cluster-h", "Amazon EKS pricing page (extended support)"),
        # EC2 instances of EKS managed node groups, on demand.
        "ec2": {
            "t3.small": entry(0.0208, "USD/instance-h", _EC2),
            "t3.medium": entry(0.0416, "USD/instance-h", _EC2),
            "t3.large": entry(0.0832, "USD/instance-h", _EC2),
            "t3.xlarge": entry(0.1664, "USD/instance-h", _EC2),
            "t3.2xlarge": entry(0.3328, "USD/instance-h", _EC2),
            "t3a.medium": entry(0.0376, "USD/instance-h", _EC2),
            "t3a.large": entry(0.0752, "USD/instance-h", _EC2),
            "t3a.xlarge": entry(0.1504, "USD/instance-h", _EC2),
            "m5.large": entry(0.096, "USD/instance-h", _EC2),
            "m5.xlarge": entry(0.192, "USD/instance-h", _EC2),
            "m6i.large": entry(0.096, "USD/instance-h", _EC2),
            "m6i.xlarge": entry(0.192, "USD/instance-h", _EC2),
            "m7i.large": entry(0.1008, "USD/instance-h", _EC2),
            "r5.large": entry(0.126, "USD/instance-h", _EC2),
            "r5.xlarge": entry(0.252, "USD/instance-h", _EC2),
            "c5.large": entry(0.085, "USD/instance-h", _EC2),
            "c5.xlarge": entry(0.17, "USD/instance-h", _EC2),
        },
        # Spot varies by hour and AZ: the estimate uses this share of the
        # on-demand price and says it is an estimate.
        "spot_share": entry(0.35, "share of on-demand", "EC2 Spot Instance Advisor: typical 60-70 % savings for t3/m5"),
        "nat_gateway": entry(0.045, "USD/NAT-h", "Amazon VPC pricing page"),
        "nat_data": entry(0.045, "USD/GB", "Amazon VPC pricing page (data processed)"),
        "public_ipv4": entry(0.005, "USD/address-h", "AWS networking blog 2024-02; Amazon VPC pricing page"),
        "alb": entry(0.0225, "USD/ALB-h", "Elastic Load Balancing pricing page"),
        "alb_lcu": entry(0.008, "USD/LCU-h", "Elastic Load Balancing pricing page"),
        "ebs_gp3": entry(0.08, "USD/GB-month", "Amazon EBS pricing page"),
        "logs_ingest": entry(0.50, "USD/GB", "Amazon CloudWatch pricing page (Logs, standard ingestion)"),
        "logs_storage": entry(0.03, "USD/GB-month", "Amazon CloudWatch pricing page (Logs, archival)"),
    },
}


class PriceError(ValueError):
    """No price for what was asked (names the variable, the region and the fix)."""

    def __init__(self, variable, message, fix):
        ValueError.__init__(self, "%s: %s" % (variable, message))
        self.variable, self.message, self.fix = variable, message, fix


def region_prices(region, variable="aws_region", table=None):
    table = PRICES if table is None else table
    if region not in table:
        raise PriceError(variable, "no prices for region %r in the price table %s (regions with prices: %s)" % (
            region, TABLE_VERSION, ", ".join(sorted(table))),
            "deploy to a region with prices, or add %s to PRICES in plugins/module_utils/prices.py with each "
            "price's source and date (cost_refresh_prices=true reads the AWS Price List API)" % region)
    return table[region]


def price(region, item, kind=None, variable=None, table=None):
    """The price entry of ``item`` (and ``kind``, e.g. an instance type) in ``region``."""
    prices = region_prices(region, table=table)
    entry = prices[item]
    if kind is None:
        return entry
    if kind not in entry:
        raise PriceError(variable or item, "no %s price for %r in %s (price table %s; known: %s)" % (
            item, kind, region, TABLE_VERSION, ", ".join(sorted(entry))),
            "use a known type, or add %s to PRICES[%r][%r] in plugins/module_utils/prices.py with its source"
            % (kind, region, item))
    return entry[kind]


def node_types(region="us-east-1"):
    """Instance types with an EC2 price in ``region``."""
    return sorted(PRICES.get(region, {}).get("ec2", {}))


def ec2_hourly(node_type, region="us-east-1"):
    return price(region, "ec2", node_type, variable="eks_node_instance_types")["price"]
