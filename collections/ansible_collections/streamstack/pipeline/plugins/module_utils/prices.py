# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The price table every cost figure of the project comes from: the estimate
(cost.py), the capacity check's cheapest node group (capacity.py) and the leak
audit. One entry per region; each price carries its unit, source and the date
it was read.

A region the table lacks never blocks a deploy and is never a silent zero:
``region_prices`` answers with the prices found for it elsewhere (the AWS Price
List API, price_list.py) and, for the rest, **us-east-1's prices, each entry
marked** ``fallback: "us-east-1"`` so every line and total that uses one says
so. A type the table lacks in a region it has is taken from us-east-1 the same
way; a type us-east-1 lacks too has no price and callers raise an error naming it.

Bump ``TABLE_VERSION`` whenever a price changes: the README's cost table and
the tests' hand calculations name it.
"""

from __future__ import annotations

import math

TABLE_VERSION = "2026-12-07"
HOURS_PER_MONTH = 730  # AWS's billing month
# Managed Flink's running storage per KPU (its pricing page); the estimate and the audit count it.
MSF_STORAGE_GB_PER_KPU = 50


def msf_units(parallelism, per_kpu):
    """What one RUNNING Managed Flink application bills: (its job's KPUs, ceil(parallelism / per
    KPU); the orchestration KPU every application adds; GB of running storage, per KPU of both)."""
    kpus = int(math.ceil(float(parallelism) / (per_kpu or 1)))
    return kpus, 1, (kpus + 1) * MSF_STORAGE_GB_PER_KPU

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
        # The time-to-live trigger's teardown build (general1.small, Linux, on demand).
        "codebuild_minute": entry(0.005, "USD/build-minute", "AWS CodeBuild pricing page (general1.small, Linux)"),
    },
}

# The other regions: what was read from a source, each with it. An item or a type
# a region lacks here is asked of the Price List API, else taken from us-east-1 and
# marked (region_prices), never a guess written down as a fact.
_EC2_DATASET = ("ec2instances.info (vantage-sh/ec2instances.info, instances.json, generated from AWS's "
                "pricing data; its us-east-1 figures equal the table's above)")
_OFFER_FILE = "AWS Price List offer file (AmazonEC2, eu-west-1), usage types EU-NatGateway-Hours/-Bytes"
_APS1 = "AWS Price List API read of Asia Pacific (Singapore), usage types APS1-*, published on GitHub"
_SHARED = {
    # One price in every region (the pages state no regional price).
    "eks_control_plane": entry(0.10, "USD/cluster-h", "Amazon EKS pricing page; AWS containers blog (every region)",
                               "2024-04"),
    "eks_control_plane_extended": entry(0.60, "USD/cluster-h", "AWS containers blog, EKS extended support pricing "
                                        "(every region)", "2024-04"),
    "public_ipv4": entry(0.005, "USD/address-h", "AWS public IPv4 charge announcement (every region)", "2024-02"),
    # A share of on demand, not a price: the same assumption everywhere.
    "spot_share": PRICES["us-east-1"]["spot_share"],
}
_EC2_TYPES = ("t3.small", "t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge", "t3a.medium", "t3a.large", "t3a.xlarge",
              "m5.large", "m5.xlarge", "m6i.large", "m6i.xlarge", "m7i.large", "r5.large", "r5.xlarge", "c5.large",
              "c5.xlarge")


def _ec2(*usd):
    """On-demand Linux prices of _EC2_TYPES, in that order (the dataset of 2024-04)."""
    return {t: entry(price, "USD/instance-h", _EC2_DATASET, "2024-04") for t, price in zip(_EC2_TYPES, usd)}


PRICES.update({
    "us-east-2": dict(_SHARED, ec2=_ec2(0.0208, 0.0416, 0.0832, 0.1664, 0.3328, 0.0376, 0.0752, 0.1504, 0.096, 0.192,
                                        0.096, 0.192, 0.1008, 0.126, 0.252, 0.085, 0.17)),
    "us-west-2": dict(_SHARED, ec2=_ec2(0.0208, 0.0416, 0.0832, 0.1664, 0.3328, 0.0376, 0.0752, 0.1504, 0.096, 0.192,
                                        0.096, 0.192, 0.1008, 0.126, 0.252, 0.085, 0.17)),
    "eu-west-1": dict(_SHARED, ec2=_ec2(0.0228, 0.0456, 0.0912, 0.1824, 0.3648, 0.0408, 0.0816, 0.1632, 0.107, 0.214,
                                        0.107, 0.214, 0.11235, 0.141, 0.282, 0.096, 0.192),
                      nat_gateway=entry(0.048, "USD/NAT-h", _OFFER_FILE, "2026-09-25"),
                      nat_data=entry(0.048, "USD/GB", _OFFER_FILE, "2026-09-25")),
    "eu-central-1": dict(_SHARED, ec2=_ec2(0.024, 0.048, 0.096, 0.192, 0.384, 0.0432, 0.0864, 0.1728, 0.115, 0.23,
                                           0.115, 0.23, 0.12075, 0.152, 0.304, 0.097, 0.194),
                         ebs_gp3=entry(0.0952, "USD/GB-month", "AWS cost table, usage type EUC1-EBS:VolumeUsage.gp3 "
                                       "(secondary)", "2026"),
                         logs_ingest=entry(0.63, "USD/GB", "CloudHealth price book, usage type "
                                           "EUC1-DataProcessing-Bytes (standard ingestion)", "2026-03-26")),
    "ap-southeast-1": dict(_SHARED, ec2=_ec2(0.0264, 0.0528, 0.1056, 0.2112, 0.4224, 0.0472, 0.0944, 0.1888, 0.12, 0.24,
                                             0.12, 0.24, 0.126, 0.152, 0.304, 0.098, 0.196),
                           msk_broker={"kafka.t3.small": entry(0.0578, "USD/broker-h", _APS1, "2026-08-12"),
                                       "kafka.m5.large": entry(0.263, "USD/broker-h", _APS1, "2026-08-12"),
                                       "kafka.m7g.large": entry(0.255, "USD/broker-h", _APS1, "2026-08-12"),
                                       "kafka.m7g.xlarge": entry(0.51, "USD/broker-h", _APS1, "2026-08-12")},
                           msk_storage=entry(0.12, "USD/GB-month", _APS1, "2026-08-12"),
                           nat_gateway=entry(0.059, "USD/NAT-h", _APS1, "2026-08-12"),
                           nat_data=entry(0.059, "USD/GB", _APS1, "2026-08-12"),
                           ebs_gp3=entry(0.096, "USD/GB-month", _APS1, "2026-08-12")),
})


FALLBACK_REGION = "us-east-1"


class PriceError(ValueError):
    """No price for what was asked (names the variable, the region and the fix)."""

    def __init__(self, variable, message, fix):
        ValueError.__init__(self, "%s: %s" % (variable, message))
        self.variable, self.message, self.fix = variable, message, fix


def fallback(entry, region):
    """``entry`` (us-east-1's) marked as standing in for ``region``'s price."""
    return dict(entry, fallback=FALLBACK_REGION,
                source="%s price, not %s's (%s)" % (FALLBACK_REGION, region, entry["source"]))


def region_prices(region, table=None, found=None):
    """Every price of ``region``: the table's for it; for what the table lacks there,
    ``found`` ({item: entry, or {kind: entry}}, e.g. from the Price List API); for the
    rest, us-east-1's, each entry marked as a fallback."""
    table = PRICES if table is None else table
    own = table.get(region, {})
    found = found or {}
    merged = {}
    for item, base in table[FALLBACK_REGION].items():
        if "price" in base:
            merged[item] = own.get(item) or found.get(item) or fallback(base, region)
        else:
            merged[item] = {kind: fallback(each, region) for kind, each in base.items()}
            merged[item].update(found.get(item) or {})
            merged[item].update(own.get(item) or {})
    return merged


def missing(region, types=None, table=None):
    """{item: None, or [kind, ...]}: what the table lacks for ``region``, of every item and
    of the kinds in ``types`` ({item: [kind, ...]}); empty when the table covers it."""
    table = PRICES if table is None else table
    own = table.get(region, {})
    lacks = {item: None for item, base in table[FALLBACK_REGION].items() if "price" in base and item not in own}
    for item, kinds in (types or {}).items():
        absent = [kind for kind in kinds if kind not in own.get(item, {})]
        if absent:
            lacks[item] = absent
    return lacks


def price(region, item, kind=None, variable=None, table=None, found=None):
    """The price entry of ``item`` (and ``kind``, e.g. an instance type) in ``region``."""
    table = PRICES if table is None else table
    entry = region_prices(region, table=table, found=found)[item]
    if kind is None:
        return entry
    if kind in entry:
        return entry[kind]
    base = table[FALLBACK_REGION][item]
    if kind in base:
        return fallback(base[kind], region)
    raise PriceError(variable or item, "no %s price for %r in %s or %s (price table %s; known: %s)" % (
        item, kind, region, FALLBACK_REGION, TABLE_VERSION, ", ".join(sorted(base))),
        "use a known type, or add %s to PRICES[%r][%r] in plugins/module_utils/prices.py with its source"
        % (kind, region, item))


def node_types(region="us-east-1"):
    """Instance types with an EC2 price in ``region``."""
    return sorted(region_prices(region)["ec2"])


def ec2_hourly(node_type, region="us-east-1"):
    return price(region, "ec2", node_type, variable="eks_node_instance_types")["price"]
