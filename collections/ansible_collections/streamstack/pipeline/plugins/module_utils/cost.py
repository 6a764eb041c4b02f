# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an AWS environment of this project costs, item by item, from its inventory.

``estimate(settings, region)`` turns the inventory's sizing into line items
priced from ``prices.py`` (per hour; monthly prices divided by 730 hours) and
totals per hour, per month and per duration. Pure functions, no AWS call.

What is counted (each a line; FACTS.md, "Prices"):
- MSK: brokers by type, and their storage (GB-month);
- Managed Flink: ceil(parallelism / parallelism per KPU) KPUs **plus one
  orchestration KPU per application**, and 50 GB of running storage per KPU;
- the EKS control plane, at the extended-support price once the version is
  past standard support (the calendar in preflight.py);
- EKS nodes by instance type and capacity type (SPOT: an estimate, a share of
  on demand), and their root volumes (gp3);
- NAT gateways per hour, plus data processed at an assumed volume;
- public IPv4 addresses: one per NAT gateway's EIP, one per AZ of the
  internet-facing ALB;
- the ALB per hour plus an assumed LCU count;
- Pinot's volumes (gp3) from pinot_persistence and the replica counts
  (ZooKeeper has a data and a datalog volume each);
- CloudWatch Logs at an assumed ingestion volume.

``paused=True`` prices what keeps billing while the stack is paused: the node
group at zero and the Flink application stopped.
"""

from __future__ import annotations

import datetime

from ansible_collections.streamstack.pipeline.plugins.module_utils import prices
from ansible_collections.streamstack.pipeline.plugins.module_utils.capacity import CapacityError, memory_mib
from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight import EKS_VERSIONS

# The original POC's durations, and a month.
DURATIONS = (("5 h", 5), ("8 h", 8), ("24 h", 24), ("1 week", 168), ("1 month", prices.HOURS_PER_MONTH))
# Managed Flink's running application storage per KPU (MSF pricing page).
# The longest time to live accepted; longer-lived environments set none (0).
TTL_MAX_HOURS = 720
# Assumptions the inventory may change (cost_assumptions), with what they mean.
DEFAULT_ASSUMPTIONS = {
    "nat_gb_per_month": 20,   # data through the NAT gateway(s): image pulls, AWS APIs, S3
    "alb_lcu": 1,             # ALB capacity units per hour (a UI and an API: well under one)
    "logs_gb_per_month": 2,   # CloudWatch Logs ingested: MSK broker logs, Flink, EKS
    "flink_applications": 1,  # Managed Flink applications of the environment
    "ttl_build_minutes": 20,  # the time-to-live teardown's build: set-up, then teardown.yml
}
PINOT_VOLUMES = {"zookeeper": 2, "controller": 1, "server": 1}  # volumes per replica


class CostError(ValueError):
    """Inputs the estimate cannot price; ``problems`` is [(variable, message, fix)]."""

    def __init__(self, problems):
        ValueError.__init__(self, "; ".join("%s: %s" % (v, m) for v, m, _ in problems))
        self.problems = problems


def _number(settings, name, problems, minimum=0, integer=True):
    value = settings.get(name)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if integer:
            if number != int(number):
                raise ValueError
            number = int(number)
    except (TypeError, ValueError):
        problems.append((name, "%r is not a %s" % (value, "whole number" if integer else "number"),
                         "set %s to a number in the inventory" % name))
        return None
    if number < minimum:
        problems.append((name, "%r is below %s" % (value, minimum), "set %s to %s or more" % (name, minimum)))
        return None
    return number


def ttl_problems(ttl_hours, variable="ttl_hours"):
    """[(variable, message, fix)] for a time to live: null/0 = none, else 0 < hours <= TTL_MAX_HOURS."""
    if ttl_hours in (None, "", 0, "0"):
        return []
    try:
        hours = float(ttl_hours)
        if isinstance(ttl_hours, bool) or hours != hours:
            raise ValueError
    except (TypeError, ValueError):
        return [(variable, "%r is not a number of hours" % (ttl_hours,), "set %s to hours, e.g. 5, or 0 for none"
                 % variable)]
    if hours < 0:
        return [(variable, "%r is negative: an environment cannot expire in the past" % (ttl_hours,),
                 "set %s to the hours the environment may live, e.g. 5, or 0 for no expiry" % variable)]
    if hours > TTL_MAX_HOURS:
        return [(variable, "%r hours is more than %d (30 days): not a time to live" % (ttl_hours, TTL_MAX_HOURS),
                 "set %s to %d or less, or 0 for an environment that lives until torn down" % (variable,
                                                                                             TTL_MAX_HOURS))]
    return []


def _line(item, quantity, unit, entry, per_hour_factor, note="", estimate=False):
    """A line item: quantity (in unit) x unit price (entry), made hourly by per_hour_factor."""
    price_unit = entry["unit"]
    if unit is None:  # "USD/broker-h" -> "broker"
        unit = price_unit.split("/", 1)[-1].rsplit("-", 1)[0]
    return {"item": item, "quantity": quantity, "unit": unit, "unit_usd": entry["price"], "price_unit": price_unit,
            "usd_per_hour": quantity * entry["price"] * per_hour_factor, "estimate": estimate, "note": note,
            "source": "%s (%s)" % (entry["source"], entry["date"]), "fallback": entry.get("fallback")}


def _eks_price_item(version, today, problems):
    if version is None:
        return "eks_control_plane", ""
    version = str(version)
    if version not in EKS_VERSIONS:
        problems.append(("eks_version", "%r has no support calendar, so its control-plane price is unknown "
                         "(known: %s)" % (version, ", ".join(sorted(EKS_VERSIONS))),
                         "set eks_version to a known version"))
        return "eks_control_plane", ""
    standard_end, _ = EKS_VERSIONS[version]
    if today > standard_end:
        return "eks_control_plane_extended", "EKS %s is in extended support since %s" % (version, standard_end)
    return "eks_control_plane", "EKS %s standard support until %s" % (version, standard_end)


def estimate(settings, region, today=None, assumptions=None, paused=False, table=None, found=None):
    """Line items and totals for one environment; raises CostError naming every bad input.

    A region the table lacks is priced from ``found`` (the Price List API's prices,
    price_list.py) and us-east-1's for the rest, each such line marked (prices.py)."""
    today = today or datetime.date.today()
    assume = dict(DEFAULT_ASSUMPTIONS)
    problems = []
    for key, value in (assumptions or {}).items():
        if key not in DEFAULT_ASSUMPTIONS:
            problems.append(("cost_assumptions.%s" % key, "is not an assumption the estimate uses (known: %s)" % (
                ", ".join(sorted(DEFAULT_ASSUMPTIONS))), "remove it from cost_assumptions"))
            continue
        assume[key] = _number({"cost_assumptions.%s" % key: value}, "cost_assumptions.%s" % key, problems,
                              integer=False)
    price_of = prices.region_prices(region, table=table, found=found)

    def entry(item, kind=None, variable=None):
        try:
            return prices.price(region, item, kind, variable=variable, table=table, found=found)
        except prices.PriceError as err:
            problems.append((err.variable, err.message, err.fix))
            return None

    brokers = _number(settings, "msk_broker_count", problems, minimum=1)
    broker_gb = _number(settings, "msk_broker_ebs_gb", problems, minimum=1)
    broker = entry("msk_broker", settings.get("msk_broker_instance_type"), "msk_broker_instance_type")
    parallelism = _number(settings, "flink_app_parallelism", problems, minimum=1)
    per_kpu = _number(settings, "flink_app_parallelism_per_kpu", problems, minimum=1)
    node_types = _node_types(settings)
    if not node_types:
        problems.append(("eks_node_instance_types", "is empty", "set eks_node_instance_types: [t3.medium]"))
    node = entry("ec2", node_types[0], "eks_node_instance_types") if node_types else None
    nodes = _number(settings, "eks_node_desired_size", problems, minimum=0)
    node_disk = _number(settings, "eks_node_disk_gb", problems, minimum=1)
    capacity_type = str(settings.get("eks_node_capacity_type") or "ON_DEMAND")
    azs = settings.get("vpc_availability_zone_ids") or []
    if not isinstance(azs, list) or not azs:
        problems.append(("vpc_availability_zone_ids", "is empty", "list 2 or 3 AZ IDs"))
        azs = []
    nat_mode = settings.get("vpc_nat_gateway_mode") or "single"
    if nat_mode not in ("single", "per_az"):
        problems.append(("vpc_nat_gateway_mode", "%r is not single or per_az" % nat_mode, "set single or per_az"))
    nat_count = len(azs) if nat_mode == "per_az" else 1
    alb_enabled = bool(settings.get("alb_enabled", True))
    volumes = _pinot_volumes(settings.get("pinot_components") or {}, settings.get("pinot_persistence") or {},
                             problems)
    eks_item, eks_note = _eks_price_item(settings.get("eks_version"), today, problems)
    problems.extend(ttl_problems(settings.get("ttl_hours")))
    if problems:
        raise CostError(problems)

    month = 1.0 / prices.HOURS_PER_MONTH
    items = []
    items.append(_line("MSK brokers (%s)" % settings["msk_broker_instance_type"], brokers, None, broker, 1,
                       "MSK cannot be paused" if paused else ""))
    items.append(_line("MSK storage (%d GB x %d brokers)" % (broker_gb, brokers), broker_gb * brokers, "GB",
                       price_of["msk_storage"], month))
    kpus, orchestration, storage_gb = prices.msf_units(parallelism, per_kpu)
    apps = int(assume["flink_applications"])
    if paused:
        items.append(_line("Managed Flink KPUs (stopped)", 0, "KPU", price_of["msf_kpu"], 1,
                           "a stopped application bills no KPU; its snapshot is kept"))
    else:
        items.append(_line("Managed Flink KPUs (parallelism %d / %d per KPU)" % (parallelism, per_kpu),
                           kpus * apps, "KPU", price_of["msf_kpu"], 1))
        items.append(_line("Managed Flink orchestration KPU (1 per application)", orchestration * apps, "KPU",
                           price_of["msf_kpu"], 1, "always billed while the application runs"))
        items.append(_line("Managed Flink running storage (%d GB per KPU)" % prices.MSF_STORAGE_GB_PER_KPU,
                           storage_gb * apps, "GB", price_of["msf_storage"], month))
    items.append(_line("EKS control plane (%s)" % ("extended support" if eks_item.endswith("extended")
                                                   else "standard support"),
                       1, "cluster", price_of[eks_item], 1, eks_note))
    running_nodes = 0 if paused else nodes
    spot = capacity_type == "SPOT"
    node_entry = dict(node)
    if spot:
        node_entry["price"] = round(node["price"] * price_of["spot_share"]["price"], 6)
    items.append(_line("EKS nodes (%s, %s)" % (node_types[0], capacity_type), running_nodes, None, node_entry, 1,
                       ("scaled to zero" if paused else
                        ("Spot: ~%d %% of on demand, varies" % round(price_of["spot_share"]["price"] * 100)
                         if spot else "")), estimate=spot))
    items.append(_line("EKS node root volumes (gp3, %d GB each)" % node_disk, node_disk * running_nodes, "GB",
                       price_of["ebs_gp3"], month))
    items.append(_line("NAT gateways (%s)" % nat_mode, nat_count, None, price_of["nat_gateway"], 1))
    nat_gb = 0 if paused else assume["nat_gb_per_month"]
    items.append(_line("NAT data processed (assumed %g GB/month)" % nat_gb, nat_gb, "GB", price_of["nat_data"],
                       month, estimate=True))
    addresses = nat_count + (len(azs) if alb_enabled else 0)
    items.append(_line("Public IPv4 addresses (%d NAT EIP%s%s)" % (
        nat_count, "" if nat_count == 1 else "s", ", %d ALB" % len(azs) if alb_enabled else ""),
        addresses, None, price_of["public_ipv4"], 1))
    if alb_enabled:
        items.append(_line("Application Load Balancer", 1, None, price_of["alb"], 1))
        items.append(_line("ALB capacity units (assumed %g LCU)" % assume["alb_lcu"], assume["alb_lcu"], None,
                           price_of["alb_lcu"], 1, estimate=True))
    volume_gb = sum(volumes.values())
    items.append(_line("Pinot volumes (gp3: %s)" % ", ".join("%s %g GB" % (k, v) for k, v in sorted(volumes.items())),
                       volume_gb, "GB", price_of["ebs_gp3"], month, "kept while paused" if paused else ""))
    items.append(_line("CloudWatch Logs (assumed %g GB/month ingested)" % assume["logs_gb_per_month"],
                       assume["logs_gb_per_month"], "GB", price_of["logs_ingest"], month, estimate=True))
    result = totals(items, settings.get("ttl_hours"), region)
    result["once"] = []
    # The trigger is on unless the inventory turns it off (the ttl role's default).
    trigger = settings.get("ttl_trigger", True) not in (False, "false", "False")
    if trigger and settings.get("ttl_hours") not in (None, "", 0, "0"):
        minutes = assume["ttl_build_minutes"]
        once = _line("Time-to-live teardown build, once at the expiry (assumed %g build-minutes)" % minutes,
                     minutes, "build-minute", price_of["codebuild_minute"], 1, estimate=True)
        once["usd"] = round(once.pop("usd_per_hour"), 4)
        result["once"].append(once)
    return result


def _node_types(settings):
    """eks_node_instance_types as a list (an inventory may give one type as a string)."""
    node_types = settings.get("eks_node_instance_types") or []
    return [node_types] if isinstance(node_types, str) else list(node_types)


def priced_types(settings):
    """The typed items the estimate prices, {item: [type]}: the first node type and the broker type."""
    types = {"ec2": [str(t) for t in _node_types(settings)[:1]]}
    if settings.get("msk_broker_instance_type"):
        types["msk_broker"] = [str(settings["msk_broker_instance_type"])]
    return types


def totals(items, ttl_hours=None, region=None):
    per_hour = sum(i["usd_per_hour"] for i in items)
    durations = [{"duration": name, "hours": hours, "usd": per_hour * hours} for name, hours in DURATIONS]
    if ttl_hours not in (None, "", 0, "0"):
        durations.append({"duration": "time to live (%g h)" % float(ttl_hours), "hours": float(ttl_hours),
                          "usd": per_hour * float(ttl_hours)})
    for item in items:
        item["usd_per_hour"] = round(item["usd_per_hour"], 6)
    return {"items": items, "usd_per_hour": round(per_hour, 4), "usd_per_month": round(per_hour *
                                                                                     prices.HOURS_PER_MONTH, 2),
            "durations": [dict(d, usd=round(d["usd"], 2)) for d in durations],
            "price_table": prices.TABLE_VERSION, "region": region,
            "fallback_items": [i["item"] for i in items if i.get("fallback")]}


def _priced_with(result):
    """What the total's prices are, saying how many lines stand in with us-east-1's."""
    fallback = result.get("fallback_items") or []
    if not fallback:
        return "price table %s" % result["price_table"]
    return "price table %s; %d of %d lines at %s prices, not %s's: an approximation" % (
        result["price_table"], len(fallback), len(result["items"]), prices.FALLBACK_REGION, result.get("region"))


def _mark(item):
    return "".join((" (estimate)" if item["estimate"] else "",
                    " [%s price]" % item["fallback"] if item.get("fallback") else ""))


def _pinot_volumes(components, persistence, problems):
    """GB of gp3 per Pinot component: replicas x volumes per replica x size."""
    gb = {}
    for name, per_replica in PINOT_VOLUMES.items():
        replicas = (components.get(name) or {}).get("replicas", 0) if isinstance(components, dict) else 0
        if not replicas:
            continue
        size = persistence.get(name)
        if size is None:
            problems.append(("pinot_persistence.%s" % name, "is not set, so its volumes cannot be priced",
                             "give each volume's size, e.g. 10Gi"))
            continue
        try:
            mib = memory_mib(size, "pinot_persistence.%s" % name)
        except CapacityError as err:
            problems.append(("pinot_persistence.%s" % name, str(err), "use a size such as 10Gi"))
            continue
        gb[name] = int(replicas) * per_replica * mib / 1024.0
    return gb


def budget_problem(result, max_usd_per_hour, override=False):
    """None, or the message that refuses a deploy over budget (by how much, and the biggest items)."""
    if max_usd_per_hour in (None, "", 0):
        return None
    limit = float(max_usd_per_hour)
    if result["usd_per_hour"] <= limit or override:
        return None
    top = sorted(result["items"], key=lambda i: -i["usd_per_hour"])[:3]
    return ("the estimate $%.4f/h is over max_usd_per_hour $%.4f/h by $%.4f/h (%.0f %%; $%.2f/month); the biggest "
            "items: %s. Fix: shrink those in the inventory, raise max_usd_per_hour, or set cost_budget_override=true "
            "to deploy anyway" % (
                result["usd_per_hour"], limit, result["usd_per_hour"] - limit,
                (result["usd_per_hour"] - limit) / limit * 100, (result["usd_per_hour"] - limit) *
                prices.HOURS_PER_MONTH,
                "; ".join("%s $%.4f/h" % (i["item"], i["usd_per_hour"]) for i in top)))


def markdown(result, title=None):
    """The estimate as Markdown: items, then durations (the README's cost tables)."""
    lines = ["**%s**" % title, ""] if title else []
    lines += ["| item | quantity | unit price | $/hour |", "|---|---:|---:|---:|"]
    for i in result["items"]:
        lines.append("| %s%s | %g %s | $%g %s | %.4f |" % (
            i["item"], _mark(i).replace(" (estimate)", " *(estimate)*"), i["quantity"], i["unit"], i["unit_usd"],
            i["price_unit"].replace("USD/", "/"), i["usd_per_hour"]))
    lines.append("| **total** (%s) | | | **%.4f** |" % (_priced_with(result), result["usd_per_hour"]))
    lines += ["", "| " + " | ".join(d["duration"] for d in result["durations"]) + " |",
              "|" + "---:|" * len(result["durations"]),
              "| " + " | ".join("$%.2f" % d["usd"] for d in result["durations"]) + " |"]
    for once in result.get("once") or []:
        lines += ["", "Plus %s: $%.4f." % (once["item"] + _mark(once), once["usd"])]
    return "\n".join(lines)


def text(result):
    """Aligned lines for the terminal (deploy prints them before its first AWS call)."""
    names = [i["item"] + _mark(i) for i in result["items"]]
    width = max(len(n) for n in names)
    lines = ["%-*s %9s  quantity x unit price" % (width, "item", "$/hour")]
    for name, i in zip(names, result["items"]):
        lines.append("%-*s %9.4f  %g %s x $%g %s%s" % (width, name, i["usd_per_hour"], i["quantity"], i["unit"],
                                                     i["unit_usd"], i["price_unit"].replace("USD/", "/"),
                                                     " (" + i["note"] + ")" if i["note"] else ""))
    lines.append("%-*s %9.4f  = $%.2f/month (%s)" % (width, "total", result["usd_per_hour"],
                                                     result["usd_per_month"], _priced_with(result)))
    lines.append("for " + ", ".join("%s: $%.2f" % (d["duration"], d["usd"]) for d in result["durations"]))
    for once in result.get("once") or []:
        lines.append("plus %s: $%.4f (%g %s x $%g%s)" % (once["item"] + _mark(once), once["usd"], once["quantity"],
                                                      once["unit"], once["unit_usd"],
                                                      once["price_unit"].replace("USD/", "/")))
    return lines
