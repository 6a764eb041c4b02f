# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The leak audit: everything of one environment that is still in the account,
and what it costs per hour.

Resources are found two ways, because either alone misses some:

* by the environment's tags (``Project``/``Environment``), service by service
  (the Resource Groups Tagging API misses EIPs, EKS and IAM and returns deleted
  NAT gateways, so it is not used);
* by belonging, for what AWS or Kubernetes made without our tags: anything in
  the environment's VPCs (ENIs of EKS, Managed Flink and load balancers, load
  balancers, target groups, NAT gateways, instances, MSK clusters, EKS
  clusters, Flink applications), EIPs associated with those ENIs, NAT gateways
  or instances, EBS volumes tagged for the environment's EKS cluster
  (``kubernetes.io/cluster/<cluster>``, as the EBS CSI driver tags the volumes
  of PersistentVolumeClaims) or attached to its instances, and names the roles
  use (the MSK cluster's configuration, the log groups ``/aws/msk/<cluster>``,
  ``/aws/kinesis-analytics/<app>``, ``/aws/eks/<cluster>/...``, the code bucket
  ``<project>-<environment>-flink-code-*``, IAM roles under
  ``/<project>/<environment>/``).

Entry points (pure but for the boto3 calls; ``clients`` is a function
``service -> boto3 client``):

* ``discover(clients, scope)`` -- the findings, each with kind, id, why it
  belongs to the environment and the charges it carries;
* ``price(findings, region)`` -- each finding's $/hour from ``prices.py``;
* ``report(findings, scope, region, expected)`` -- totals, the billable ones,
  and the lines a person reads;
* ``audit(...)`` -- all three.

A charge whose price is not in the price table is never a silent zero: the
finding lists it under ``missing_prices`` and the report says so.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.streamstack.pipeline.plugins.module_utils import prices
from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight import EKS_VERSIONS

# NAT gateways in these states exist (and bill); "deleted" ones stay listed for
# about an hour but are gone.
LIVE_NAT = ("pending", "available", "failed", "deleting")
# EC2 instances that exist; those running (or on their way) bill compute.
LIVE_INSTANCE = ("pending", "running", "stopping", "stopped", "shutting-down")
RUNNING_INSTANCE = ("pending", "running", "stopping", "shutting-down")
# Managed Flink statuses in which the application's KPUs bill.
MSF_RUNNING = ("STARTING", "RUNNING", "UPDATING", "AUTOSCALING", "STOPPING", "FORCE_STOPPING", "ROLLING_BACK",
               "MAINTENANCE", "ROLLED_BACK")
# gp3's included performance; above it IOPS and throughput bill extra.
GP3_BASE_IOPS, GP3_BASE_THROUGHPUT = 3000, 125
GIB = 1024 ** 3

# Report order: what bills most first, free leftovers last.
KINDS = (
    "flink_application", "eks_cluster", "eks_nodegroup", "ec2_instance", "msk_cluster", "load_balancer",
    "nat_gateway", "elastic_ip", "network_interface", "ebs_volume", "log_group", "s3_bucket",
    "msk_configuration", "target_group", "codebuild_project", "schedule_group", "events_rule", "sns_topic",
    "iam_role", "security_group", "subnet", "vpc",
)


class Scope(object):
    """Who the environment is and the names its roles give things."""

    def __init__(self, project, environment, eks_cluster_name=None, msk_cluster_name=None, flink_app_name=None,
                 iam_path=None, code_bucket_prefix=None, tags=None):
        self.project, self.environment = project, environment
        base = "%s-%s" % (project, environment)
        self.name = base
        self.eks_cluster = eks_cluster_name or base
        self.msk_cluster = msk_cluster_name or base
        self.flink_app = flink_app_name or base
        self.iam_path = iam_path or "/%s/%s/" % (project, environment)
        self.code_bucket_prefix = code_bucket_prefix or "%s-flink-code-" % self.flink_app
        # The time-to-live trigger's names (roles/ttl/vars/main.yml): <project>-<environment>-ttl...
        self.ttl_prefix = base + "-ttl"
        self.tags = dict(tags or {"Project": project, "Environment": environment})

    def tagged(self, tags):
        return bool(self.tags) and all(tags.get(k) == v for k, v in self.tags.items())

    @property
    def tag_text(self):
        return ", ".join("%s=%s" % kv for kv in sorted(self.tags.items()))

    @property
    def why_tagged(self):
        return "tagged %s" % self.tag_text

    def ec2_tag_filters(self):
        return [{"Name": "tag:%s" % k, "Values": [v]} for k, v in sorted(self.tags.items())]

    def log_group_reason(self, name):
        """Why a log group of this name belongs to the environment, or None."""
        if name == "/aws/msk/%s" % self.msk_cluster:
            return "named %s (broker logs of MSK cluster %s)" % (name, self.msk_cluster)
        if name == "/aws/kinesis-analytics/%s" % self.flink_app:
            return "named %s (logs of Flink application %s)" % (name, self.flink_app)
        if name == "/aws/codebuild/%s-teardown" % self.ttl_prefix:
            return "named %s (logs of the time-to-live teardown build)" % name
        if name.startswith("/aws/eks/%s/" % self.eks_cluster):
            return "named %s (control-plane logs of EKS cluster %s; EKS keeps them after the cluster)" % (
                name, self.eks_cluster)
        return None

    def owns_msk_configuration(self, name):
        return name == self.msk_cluster or name.startswith(self.msk_cluster + "-") or \
            name == self.name or name.startswith(self.name + "-")


def _tags(items, key="Key", value="Value"):
    """boto3's [{'Key': k, 'Value': v}] (or a dict) as a dict."""
    if isinstance(items, dict):
        return dict(items)
    return dict((t.get(key), t.get(value, "")) for t in items or [])


def _call(client, operation, **params):
    """Call an API operation, with retries when the client is AnsibleAWSModule's retrying wrapper."""
    if hasattr(client, "retry") and hasattr(client, "client"):
        params["aws_retry"] = True
    return getattr(client, operation)(**params)


def _all(client, operation, key, **params):
    """Every item of a listing, through its paginator when botocore has one."""
    if client.can_paginate(operation):
        items = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(key) or [])
        return items
    return _call(client, operation, **params).get(key) or []


def _error_code(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "")


def charge(item, quantity, label, kind=None, estimate=False):
    """One line of a finding's cost: ``quantity`` of price-table ``item`` (``kind``: a type)."""
    return {"item": item, "kind": kind, "quantity": quantity, "label": label, "estimate": estimate}


class Findings(object):
    """Findings keyed by (kind, id); a resource found twice keeps every reason."""

    def __init__(self):
        self._items = {}

    def add(self, kind, rid, why, name=None, state=None, charges=None, billable=None, note="", details=None):
        key = (kind, rid)
        if key in self._items:
            found = self._items[key]
            if why not in found["why"]:
                found["why"].append(why)
            return found
        found = {"kind": kind, "id": rid, "name": name or rid, "why": [why], "state": state,
                 "charges": list(charges or []), "billable": bool(charges) if billable is None else billable,
                 "note": note, "details": details or {}}
        self._items[key] = found
        return found

    def all(self):
        order = dict((k, i) for i, k in enumerate(KINDS))
        return sorted(self._items.values(), key=lambda f: (order.get(f["kind"], len(KINDS)), f["id"]))


# ------------------------------------------------------------------ costing per kind (pure)

def nat_gateway_charges(nat):
    return [charge("nat_gateway", 1, "NAT gateway")] if nat.get("State") in LIVE_NAT else []


def elastic_ip_charges(address):
    return [charge("public_ipv4", 1, "public IPv4 address")]


def eni_public_ips(eni):
    """Public IPv4 addresses of an ENI that bill on the ENI itself.

    An Elastic IP (an association with an AllocationId, or a NAT gateway's
    address) is priced as its own ``elastic_ip`` finding; a load balancer's
    ENIs' addresses are priced with the load balancer. Returns
    (addresses billed here, a note on those billed elsewhere)."""
    here, elsewhere = [], []
    associations = [eni.get("Association") or {}]
    associations += [(p.get("Association") or {}) for p in eni.get("PrivateIpAddresses") or []]
    seen = set()
    for assoc in associations:
        ip = assoc.get("PublicIp")
        if not ip or ip in seen:
            continue
        seen.add(ip)
        if assoc.get("AllocationId") or eni.get("InterfaceType") == "nat_gateway":
            elsewhere.append("%s is an Elastic IP (priced as elastic_ip)" % ip)
        elif (eni.get("Description") or "").startswith("ELB ") or eni.get("InterfaceType") in (
                "network_load_balancer", "gateway_load_balancer"):
            elsewhere.append("%s belongs to a load balancer (priced with it)" % ip)
        else:
            here.append(ip)
    return here, elsewhere


def network_interface_charges(eni):
    here, _ = eni_public_ips(eni)
    return [charge("public_ipv4", len(here), "public IPv4 address%s" % ("" if len(here) == 1 else "es"))] if here \
        else []


def load_balancer_charges(lb):
    item = {"application": "alb", "network": "nlb", "gateway": "gwlb"}.get(lb.get("Type") or "application", "alb")
    charges = [charge(item, 1, "%s load balancer" % (lb.get("Type") or "application"))]
    if lb.get("Scheme") == "internet-facing":
        zones = len(lb.get("AvailabilityZones") or []) or 1
        charges.append(charge("public_ipv4", zones, "public IPv4, one per AZ (at least)"))
    return charges


def ebs_volume_charges(volume):
    vtype = volume.get("VolumeType") or "gp2"
    charges = [charge("ebs_%s" % vtype, volume.get("Size") or 0, "GB of %s" % vtype)]
    if vtype == "gp3":
        if (volume.get("Iops") or 0) > GP3_BASE_IOPS:
            charges.append(charge("ebs_gp3_iops", volume["Iops"] - GP3_BASE_IOPS, "gp3 IOPS above 3000"))
        if (volume.get("Throughput") or 0) > GP3_BASE_THROUGHPUT:
            charges.append(charge("ebs_gp3_throughput", volume["Throughput"] - GP3_BASE_THROUGHPUT,
                                  "gp3 MB/s above 125"))
    elif vtype in ("io1", "io2"):
        charges.append(charge("ebs_%s_iops" % vtype, volume.get("Iops") or 0, "provisioned IOPS"))
    return charges


def instance_charges(instance):
    if (instance.get("State") or {}).get("Name") not in RUNNING_INSTANCE:
        return []
    spot = instance.get("InstanceLifecycle") == "spot"
    return [charge("ec2", 1, "%s instance%s" % (instance.get("InstanceType"), " (Spot: estimate)" if spot else ""),
                   kind=instance.get("InstanceType"), estimate=spot)]


def msk_cluster_charges(cluster):
    group = cluster.get("BrokerNodeGroupInfo") or {}
    brokers = cluster.get("NumberOfBrokerNodes") or 0
    gb = ((group.get("StorageInfo") or {}).get("EbsStorageInfo") or {}).get("VolumeSize") or 0
    return [charge("msk_broker", brokers, "%s brokers" % group.get("InstanceType"), kind=group.get("InstanceType")),
            charge("msk_storage", gb * brokers, "GB of broker storage (%d GB x %d brokers)" % (gb, brokers))]


def eks_cluster_charges(cluster, today=None):
    """Standard or extended support price, from the version's support calendar (preflight.py)."""
    today = today or datetime.date.today()
    version = str(cluster.get("version") or "")
    calendar = EKS_VERSIONS.get(version)
    if calendar and today > calendar[0]:
        return [charge("eks_control_plane_extended", 1, "EKS %s control plane (extended support since %s)" % (
            version, calendar[0]))]
    label = "EKS %s control plane" % version
    if not calendar:
        label += " (version not in the support calendar: standard price assumed)"
    return [charge("eks_control_plane", 1, label)]


def eks_nodegroup_charges(nodegroup, instance_type):
    desired = (nodegroup.get("scalingConfig") or {}).get("desiredSize") or 0
    spot = nodegroup.get("capacityType") == "SPOT"
    return [charge("ec2", desired, "%s nodes (%s%s)" % (instance_type or "unknown type",
                                                        nodegroup.get("capacityType") or "ON_DEMAND",
                                                        ": a share of on demand" if spot else ""),
                   kind=instance_type or "unknown", estimate=spot)]


def flink_application_charges(detail):
    """KPUs (parallelism / per KPU, rounded up) plus the orchestration KPU and running storage,
    while the application runs; nothing while it is stopped (READY)."""
    if detail.get("ApplicationStatus") not in MSF_RUNNING:
        return []
    cfg = (detail.get("ApplicationConfigurationDescription") or {})
    par = (cfg.get("FlinkApplicationConfigurationDescription") or {}).get("ParallelismConfigurationDescription") or {}
    parallelism = par.get("CurrentParallelism") or par.get("Parallelism") or 1
    per_kpu = par.get("ParallelismPerKPU") or 1
    kpus, orchestration, storage_gb = prices.msf_units(parallelism, per_kpu)
    plural = "" if kpus == 1 else "s"
    return [charge("msf_kpu", kpus, "KPU%s (parallelism %d / %d per KPU)" % (plural, parallelism, per_kpu)),
            charge("msf_kpu", orchestration, "orchestration KPU"),
            charge("msf_storage", storage_gb, "GB running storage (%d per KPU)" % prices.MSF_STORAGE_GB_PER_KPU)]


def log_group_charges(group):
    gb = float(group.get("storedBytes") or 0) / GIB
    return [charge("logs_storage", gb, "GB stored")]


def s3_bucket_charges(stored_bytes):
    return [charge("s3_standard", float(stored_bytes) / GIB, "GB stored, all versions")]


# ------------------------------------------------------------------ pricing (pure)

def _price_entry(region, item, kind, table):
    """The price entry (us-east-1's, marked, for a region the table lacks: prices.py), or
    raise LookupError with a sentence naming what is missing."""
    region_table = prices.region_prices(region, table=table)
    if item not in region_table:
        raise LookupError("no %r price for %s in the price table %s" % (item, region, prices.TABLE_VERSION))
    if kind is None:
        return region_table[item]
    try:
        return prices.price(region, item, kind, table=table)
    except prices.PriceError as err:
        raise LookupError(err.message)


def price_charges(charges, region, table=None):
    """(usd_per_hour of what has a price, [text of each priced line], [missing price sentences], estimate?)."""
    total, basis, missing, estimate = 0.0, [], [], False
    spot_share = None
    for c in charges:
        try:
            entry = _price_entry(region, c["item"], c["kind"], table)
        except LookupError as err:
            missing.append("%s (for %s)" % (err, c["label"]))
            continue
        per_hour = 1.0 / prices.HOURS_PER_MONTH if "month" in entry["unit"] else 1.0
        unit_price = entry["price"]
        if c.get("estimate") and c["item"] == "ec2":
            if spot_share is None:
                try:
                    spot_share = _price_entry(region, "spot_share", None, table)["price"]
                except LookupError as err:
                    missing.append("%s (for the Spot estimate)" % err)
                    spot_share = 1.0
            unit_price = unit_price * spot_share
        usd = c["quantity"] * unit_price * per_hour
        total += usd
        estimate = estimate or bool(c.get("estimate"))
        basis.append("%s %s x $%g%s%s" % (_qty(c["quantity"]), c["label"], round(unit_price, 6),
                                          entry["unit"].replace("USD/", "/"),
                                          " [%s price]" % entry["fallback"] if entry.get("fallback") else ""))
    return total, basis, missing, estimate


def _qty(quantity):
    if isinstance(quantity, float) and quantity != int(quantity):
        return "%.3f" % quantity
    return "%d" % quantity


def price(findings, region, table=None):
    """Add usd_per_hour, cost_basis, missing_prices and estimate to every finding (in place); return them."""
    for found in findings:
        usd, basis, missing, estimate = price_charges(found["charges"], region, table)
        found["usd_per_hour"] = round(usd, 6)
        found["cost_basis"] = "; ".join(basis)
        found["missing_prices"] = missing
        found["estimate"] = estimate
        # A charge without a price still bills: it must not make the finding look free.
        found["billable"] = bool(found["billable"] or missing)
    return findings


# ------------------------------------------------------------------ report (pure)

def _matches(found, rule):
    if rule.get("kind") and rule["kind"] != found["kind"]:
        return False
    pattern = rule.get("id_regex")
    return not pattern or bool(re.search(pattern, found["id"]) or re.search(pattern, found["name"]))


def money(usd):
    return "$%.4f/h" % usd


def line(found):
    """One leftover as the failure message lists it: kind, id, cost, how it bills, why it is ours."""
    cost = money(found["usd_per_hour"])
    if found["missing_prices"]:
        cost += " + unpriced (%s)" % "; ".join(found["missing_prices"])
    text = "%s %s" % (found["kind"], found["id"])
    if found["name"] != found["id"]:
        text += " (%s)" % found["name"]
    if found.get("state"):
        text += " [%s]" % found["state"]
    text += ": %s" % cost
    if found.get("cost_basis"):
        text += " = %s" % found["cost_basis"]
    if found.get("estimate"):
        text += " (estimate)"
    text += "; why: %s" % "; ".join(found["why"])
    if found.get("note"):
        text += "; note: %s" % found["note"]
    if found.get("expected"):
        text += "; kept on purpose: %s" % found["expected"]
    return text


def report(findings, scope, region, expected=None):
    """Totals and text. ``expected``: [{kind, id_regex, reason}] kept on purpose (reported, never failing)."""
    for found in findings:
        found["expected"] = ""
        for rule in expected or []:
            if _matches(found, rule):
                found["expected"] = rule.get("reason") or "expected"
                break
    billable = [f for f in findings if f["billable"] and not f["expected"]]
    kept = [f for f in findings if f["billable"] and f["expected"]]
    free = [f for f in findings if not f["billable"]]
    usd = sum(f["usd_per_hour"] for f in billable)
    missing = sorted(set(m.rsplit(" (for ", 1)[0] for f in billable + kept for m in f["missing_prices"]))
    where = "%s/%s in %s" % (scope.project, scope.environment, region)
    if billable:
        summary = "%d billable leftover%s of %s: %s%s ($%.2f/month) at price table %s%s" % (
            len(billable), "" if len(billable) == 1 else "s", where, money(usd),
            " or more (some prices are missing)" if any(f["missing_prices"] for f in billable) else "",
            usd * prices.HOURS_PER_MONTH, prices.TABLE_VERSION,
            " (some %s prices unknown: %s's stand in, marked)" % (region, prices.FALLBACK_REGION)
            if any("[%s price]" % prices.FALLBACK_REGION in f["cost_basis"] for f in billable) else "")
    else:
        summary = "nothing billable left of %s" % where
    lines = [summary] + ["- " + line(f) for f in billable]
    if kept:
        lines.append("kept on purpose (billable, not counted as leftovers):")
        lines += ["- " + line(f) for f in kept]
    if free:
        lines.append("also left, free (billable: false):")
        lines += ["- " + line(f) for f in free]
    if missing:
        lines.append("prices missing from plugins/module_utils/prices.py: %s" % "; ".join(missing))
    return {
        "summary": summary,
        "lines": lines,
        "message": "\n".join(lines),
        "leftovers": findings,
        "billable_count": len(billable),
        "billable": [{"kind": f["kind"], "id": f["id"], "usd_per_hour": f["usd_per_hour"]} for f in billable],
        "usd_per_hour": round(usd, 4),
        "usd_per_month": round(usd * prices.HOURS_PER_MONTH, 2),
        "missing_prices": missing,
        "price_table": prices.TABLE_VERSION,
    }


def audit(clients, scope, region, expected=None, table=None, today=None):
    findings = discover(clients, scope, today=today)
    price(findings, region, table=table)
    return report(findings, scope, region, expected)


# ------------------------------------------------------------------ discovery (boto3)

def discover(clients, scope, today=None):
    """Every resource of the environment, as findings (not yet priced)."""
    cache = {}

    def client(service):
        if service not in cache:
            cache[service] = clients(service)
        return cache[service]

    found = Findings()
    ctx = {"vpcs": {}, "subnets": set(), "enis": {}, "instances": set(), "nat_allocations": {}, "nodegroups": set()}
    _ec2_network(client("ec2"), scope, found, ctx)
    _eks(client("eks"), client("ec2"), scope, found, ctx, today)
    _msk(client("kafka"), scope, found, ctx)
    _msf(client("kinesisanalyticsv2"), scope, found, ctx)
    _elbv2(client("elbv2"), scope, found, ctx)
    _ec2_compute(client("ec2"), scope, found, ctx)
    _logs(client("logs"), scope, found)
    _s3(client("s3"), scope, found)
    _ttl_trigger(client, scope, found)
    _iam(client("iam"), scope, found)
    return found.all()


def _in_vpc(ctx, vpc_id):
    return "in the environment's VPC %s" % vpc_id


def _ec2_reasons(item, scope, ctx):
    """Why an EC2 network resource is the environment's, decided here from what it carries (the
    API filters only narrow the listing down: an emulator or a filter AWS ignores cannot widen it)."""
    reasons = []
    if scope.tagged(_tags(item.get("Tags") or item.get("TagSet"))):
        reasons.append(scope.why_tagged)
    if item.get("VpcId") in ctx["vpcs"]:
        reasons.append(_in_vpc(ctx, item["VpcId"]))
    return reasons


def _ec2_listing(ec2, operation, key, id_key, scope, ctx, filter_param="Filters"):
    """Items of a describe call, by the environment's tags and in its VPCs, each once."""
    items = {}
    queries = [scope.ec2_tag_filters()]
    if ctx["vpcs"]:
        queries.append([{"Name": "vpc-id", "Values": sorted(ctx["vpcs"])}])
    for filters in queries:
        for item in _all(ec2, operation, key, **{filter_param: filters}):
            items.setdefault(item[id_key], item)
    return [items[k] for k in sorted(items)]


def _ec2_network(ec2, scope, found, ctx):
    for vpc in _all(ec2, "describe_vpcs", "Vpcs", Filters=scope.ec2_tag_filters()):
        if not scope.tagged(_tags(vpc.get("Tags"))):
            continue
        ctx["vpcs"][vpc["VpcId"]] = scope.why_tagged
        found.add("vpc", vpc["VpcId"], scope.why_tagged, name=_tags(vpc.get("Tags")).get("Name"),
                  state=vpc.get("State"), billable=False)

    for subnet in _ec2_listing(ec2, "describe_subnets", "Subnets", "SubnetId", scope, ctx):
        for why in _ec2_reasons(subnet, scope, ctx):
            ctx["subnets"].add(subnet["SubnetId"])
            found.add("subnet", subnet["SubnetId"], why, name=_tags(subnet.get("Tags")).get("Name"),
                      billable=False)

    for group in _ec2_listing(ec2, "describe_security_groups", "SecurityGroups", "GroupId", scope, ctx):
        if group.get("GroupName") == "default":
            continue  # goes with its VPC
        for why in _ec2_reasons(group, scope, ctx):
            found.add("security_group", group["GroupId"], why, name=group.get("GroupName"), billable=False)

    for nat in _ec2_listing(ec2, "describe_nat_gateways", "NatGateways", "NatGatewayId", scope, ctx,
                            filter_param="Filter"):
        if nat.get("State") not in LIVE_NAT:
            continue  # deleted: listed for a while, gone and not billed
        for why in _ec2_reasons(nat, scope, ctx):
            found.add("nat_gateway", nat["NatGatewayId"], why, name=_tags(nat.get("Tags")).get("Name"),
                      state=nat.get("State"), charges=nat_gateway_charges(nat),
                      note="its Elastic IP is listed separately")
            for address in nat.get("NatGatewayAddresses") or []:
                if address.get("AllocationId"):
                    ctx["nat_allocations"][address["AllocationId"]] = nat["NatGatewayId"]

    for eni in _ec2_listing(ec2, "describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId",
                            scope, ctx):
        made_by = eni.get("Description") or ("" if eni.get("InterfaceType") in (None, "interface")
                                             else eni["InterfaceType"])
        charges = network_interface_charges(eni)
        _, elsewhere = eni_public_ips(eni)
        for why in _ec2_reasons(eni, scope, ctx):
            ctx["enis"][eni["NetworkInterfaceId"]] = eni
            found.add("network_interface", eni["NetworkInterfaceId"],
                      why + ("; made for: %s" % made_by if made_by else ""), state=eni.get("Status"),
                      charges=charges,
                      note="; ".join(elsewhere) or ("" if charges else "no public IPv4: free by itself"),
                      details={"interface_type": eni.get("InterfaceType"), "subnet_id": eni.get("SubnetId"),
                               "requester_id": eni.get("RequesterId")})


def _ec2_compute(ec2, scope, found, ctx):
    """Instances, then EIPs and volumes (which refer to instances and ENIs)."""
    state_filter = {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE)}
    cluster_tag = "kubernetes.io/cluster/%s" % scope.eks_cluster
    queries = [scope.ec2_tag_filters() + [state_filter], [{"Name": "tag-key", "Values": [cluster_tag]}, state_filter]]
    if ctx["vpcs"]:
        queries.append([{"Name": "vpc-id", "Values": sorted(ctx["vpcs"])}, state_filter])
    for filters in queries:
        for reservation in _all(ec2, "describe_instances", "Reservations", Filters=filters):
            for inst in reservation.get("Instances") or []:
                tags = _tags(inst.get("Tags"))
                state = (inst.get("State") or {}).get("Name")
                if state not in LIVE_INSTANCE:
                    continue
                reasons = _ec2_reasons(inst, scope, ctx)
                if cluster_tag in tags:
                    reasons.append("tagged %s (a node of EKS cluster %s)" % (cluster_tag, scope.eks_cluster))
                group = "%s/%s" % (tags.get("eks:cluster-name"), tags.get("eks:nodegroup-name"))
                for why in reasons:
                    ctx["instances"].add(inst["InstanceId"])
                    if group in ctx["nodegroups"]:
                        found.add("ec2_instance", inst["InstanceId"], why, name=tags.get("Name"), state=state,
                                  billable=False, note="billed with node group %s" % group)
                    else:
                        found.add("ec2_instance", inst["InstanceId"], why, name=tags.get("Name"), state=state,
                                  charges=instance_charges(inst), billable=state in RUNNING_INSTANCE,
                                  note="" if state in RUNNING_INSTANCE else "stopped: its volumes still bill")

    # Elastic IPs: ours by tag, or held by one of the environment's ENIs, NAT gateways or instances.
    for address in _call(ec2, "describe_addresses").get("Addresses") or []:
        alloc = address.get("AllocationId") or address.get("PublicIp")
        reasons = []
        if scope.tagged(_tags(address.get("Tags"))):
            reasons.append(scope.why_tagged)
        eni = ctx["enis"].get(address.get("NetworkInterfaceId"))
        if eni:
            reasons.append("associated with ENI %s (in VPC %s)" % (eni["NetworkInterfaceId"], eni.get("VpcId")))
        if address.get("AllocationId") in ctx["nat_allocations"]:
            reasons.append("the address of NAT gateway %s" % ctx["nat_allocations"][address["AllocationId"]])
        if address.get("InstanceId") and address["InstanceId"] in ctx["instances"]:
            reasons.append("associated with instance %s" % address["InstanceId"])
        for why in reasons:
            found.add("elastic_ip", alloc, why, name=address.get("PublicIp"),
                      state="associated" if address.get("AssociationId") else "unassociated",
                      charges=elastic_ip_charges(address))

    # EBS volumes: the Kubernetes volumes of the environment's EKS cluster (no
    # Project tag: the EBS CSI driver made them), ours by tag, and those of its instances.
    queries = [[{"Name": "tag-key", "Values": [cluster_tag]}],
               [{"Name": "tag:KubernetesCluster", "Values": [scope.eks_cluster]}],
               scope.ec2_tag_filters()]
    if ctx["instances"]:
        queries.append([{"Name": "attachment.instance-id", "Values": sorted(ctx["instances"])}])
    for filters in queries:
        for volume in _all(ec2, "describe_volumes", "Volumes", Filters=filters):
            for why in _volume_reasons(volume, scope, ctx, cluster_tag):
                tags = _tags(volume.get("Tags"))
                found.add("ebs_volume", volume["VolumeId"], why,
                          name=tags.get("Name") or tags.get("kubernetes.io/created-for/pvc/name") or volume["VolumeId"],
                          state=volume.get("State"), charges=ebs_volume_charges(volume),
                          details={"size_gb": volume.get("Size"), "volume_type": volume.get("VolumeType")})


def _volume_reasons(volume, scope, ctx, cluster_tag):
    tags = _tags(volume.get("Tags"))
    reasons = []
    if scope.tagged(tags):
        reasons.append(scope.why_tagged)
    if cluster_tag in tags or tags.get("KubernetesCluster") == scope.eks_cluster:
        k8s = ["%s=%s" % (k, v) for k, v in sorted(tags.items())
               if k in (cluster_tag, "KubernetesCluster", "kubernetes.io/created-for/pvc/name")]
        claim = tags.get("kubernetes.io/created-for/pvc/name")
        reasons.append("tagged %s (a Kubernetes volume of EKS cluster %s%s)" % (
            ", ".join(k8s), scope.eks_cluster, ", claim %s/%s" % (
                tags.get("kubernetes.io/created-for/pvc/namespace", "?"), claim) if claim else ""))
    attached = [a["InstanceId"] for a in volume.get("Attachments") or [] if a.get("InstanceId") in ctx["instances"]]
    if attached:
        reasons.append("attached to instance %s of the environment" % ", ".join(attached))
    return reasons


def _eks(eks, ec2, scope, found, ctx, today):
    for name in _all(eks, "list_clusters", "clusters"):
        try:
            cluster = _call(eks, "describe_cluster", name=name)["cluster"]
        except Exception as exc:  # deleted between list and describe
            if _error_code(exc) == "ResourceNotFoundException":
                continue
            raise
        reasons = []
        if scope.tagged(cluster.get("tags") or {}):
            reasons.append(scope.why_tagged)
        if name == scope.eks_cluster:
            reasons.append("named %s (the eks role's cluster name)" % name)
        vpc_id = (cluster.get("resourcesVpcConfig") or {}).get("vpcId")
        if vpc_id in ctx["vpcs"]:
            reasons.append(_in_vpc(ctx, vpc_id))
        ours = bool(reasons)
        for why in reasons:
            found.add("eks_cluster", name, why, state=cluster.get("status"),
                      charges=eks_cluster_charges(cluster, today), details={"version": cluster.get("version")})
        for ng_name in _all(eks, "list_nodegroups", "nodegroups", clusterName=name):
            try:
                group = _call(eks, "describe_nodegroup", clusterName=name, nodegroupName=ng_name)["nodegroup"]
            except Exception as exc:
                if _error_code(exc) == "ResourceNotFoundException":
                    continue
                raise
            why = "of EKS cluster %s" % name if ours else (
                scope.why_tagged if scope.tagged(group.get("tags") or {}) else None)
            if not why:
                continue
            instance_type = _nodegroup_instance_type(ec2, group)
            ctx["nodegroups"].add("%s/%s" % (name, ng_name))
            found.add("eks_nodegroup", "%s/%s" % (name, ng_name), why, state=group.get("status"),
                      charges=eks_nodegroup_charges(group, instance_type), billable=True,
                      note="its nodes' volumes are listed as ebs_volume when they exist",
                      details={"instance_type": instance_type, "scaling": group.get("scalingConfig")})


def _nodegroup_instance_type(ec2, group):
    """The node group's instance type: its own, or its launch template's."""
    if group.get("instanceTypes"):
        return group["instanceTypes"][0]
    template = group.get("launchTemplate") or {}
    if not template.get("id") and not template.get("name"):
        return None
    params = {"LaunchTemplateId": template["id"]} if template.get("id") else {
        "LaunchTemplateName": template["name"]}
    if template.get("version"):
        params["Versions"] = [str(template["version"])]
    try:
        versions = _call(ec2, "describe_launch_template_versions", **params).get("LaunchTemplateVersions") or []
    except Exception as exc:
        if _error_code(exc).startswith("InvalidLaunchTemplate"):
            return None
        raise
    return ((versions[0].get("LaunchTemplateData") or {}).get("InstanceType")) if versions else None


def _msk(kafka, scope, found, ctx):
    for cluster in _all(kafka, "list_clusters", "ClusterInfoList"):
        reasons = []
        if scope.tagged(cluster.get("Tags") or {}):
            reasons.append(scope.why_tagged)
        if cluster.get("ClusterName") == scope.msk_cluster:
            reasons.append("named %s (the msk role's cluster name)" % scope.msk_cluster)
        subnets = set((cluster.get("BrokerNodeGroupInfo") or {}).get("ClientSubnets") or [])
        if subnets & ctx["subnets"]:
            reasons.append("its brokers are in the environment's subnets %s" % ", ".join(sorted(
                subnets & ctx["subnets"])))
        for why in reasons:
            found.add("msk_cluster", cluster["ClusterArn"], why, name=cluster.get("ClusterName"),
                      state=cluster.get("State"), charges=msk_cluster_charges(cluster))
    for config in _all(kafka, "list_configurations", "Configurations"):
        if config.get("State") == "DELETING" or not scope.owns_msk_configuration(config.get("Name") or ""):
            continue
        found.add("msk_configuration", config["Arn"], "named %s (MSK configurations carry no tags; ours are "
                  "named after the cluster %s)" % (config["Name"], scope.msk_cluster), name=config["Name"],
                  state=config.get("State"), billable=False)


def _msf(msf, scope, found, ctx):
    for summary in _all(msf, "list_applications", "ApplicationSummaries"):
        name, arn = summary["ApplicationName"], summary["ApplicationARN"]
        try:
            detail = _call(msf, "describe_application", ApplicationName=name)["ApplicationDetail"]
            tags = _tags(_call(msf, "list_tags_for_resource", ResourceARN=arn).get("Tags"))
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                continue
            raise
        reasons = []
        if scope.tagged(tags):
            reasons.append(scope.why_tagged)
        if name == scope.flink_app:
            reasons.append("named %s (the flink_app role's application name)" % name)
        vpcs = (detail.get("ApplicationConfigurationDescription") or {}).get("VpcConfigurationDescriptions") or []
        for vpc in vpcs:
            if vpc.get("VpcId") in ctx["vpcs"]:
                reasons.append(_in_vpc(ctx, vpc["VpcId"]))
        charges = flink_application_charges(detail)
        for why in reasons:
            found.add("flink_application", name, why, state=detail.get("ApplicationStatus"), charges=charges,
                      note="" if charges else "stopped: no KPU billed (snapshots, if any, bill as backups)")


def _elbv2(elbv2, scope, found, ctx):
    lbs = _all(elbv2, "describe_load_balancers", "LoadBalancers")
    tgs = _all(elbv2, "describe_target_groups", "TargetGroups")
    arns = [lb["LoadBalancerArn"] for lb in lbs] + [tg["TargetGroupArn"] for tg in tgs]
    tags = {}
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for desc in _call(elbv2, "describe_tags", ResourceArns=arns[start:start + 20]).get("TagDescriptions") or []:
            tags[desc["ResourceArn"]] = _tags(desc.get("Tags"))
    ours = set()
    for lb in lbs:
        reasons = []
        if scope.tagged(tags.get(lb["LoadBalancerArn"], {})):
            reasons.append(scope.why_tagged)
        if lb.get("VpcId") in ctx["vpcs"]:
            reasons.append(_in_vpc(ctx, lb["VpcId"]))
        for why in reasons:
            ours.add(lb["LoadBalancerArn"])
            found.add("load_balancer", lb["LoadBalancerArn"], why, name=lb.get("LoadBalancerName"),
                      state=(lb.get("State") or {}).get("Code"), charges=load_balancer_charges(lb),
                      note="capacity units (LCU) bill on top with traffic")
    for tg in tgs:
        reasons = []
        if scope.tagged(tags.get(tg["TargetGroupArn"], {})):
            reasons.append(scope.why_tagged)
        if tg.get("VpcId") in ctx["vpcs"]:
            reasons.append(_in_vpc(ctx, tg["VpcId"]))
        if set(tg.get("LoadBalancerArns") or []) & ours:
            reasons.append("used by the environment's load balancer")
        for why in reasons:
            found.add("target_group", tg["TargetGroupArn"], why, name=tg.get("TargetGroupName"), billable=False)


def _logs(logs, scope, found):
    for group in _all(logs, "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        reasons = []
        by_name = scope.log_group_reason(name)
        if by_name:
            reasons.append(by_name)
        arn = (group.get("logGroupArn") or group.get("arn") or "")
        if arn.endswith(":*"):
            arn = arn[:-2]
        try:
            tags = _call(logs, "list_tags_for_resource", resourceArn=arn).get("tags") or {}
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            tags = {}
        if scope.tagged(tags):
            reasons.append(scope.why_tagged)
        for why in reasons:
            found.add("log_group", name, why, charges=log_group_charges(group), billable=True,
                      note="also bills ingestion of anything still writing to it",
                      details={"stored_bytes": group.get("storedBytes") or 0})


def _s3(s3, scope, found):
    for bucket in _call(s3, "list_buckets").get("Buckets") or []:
        name = bucket["Name"]
        reasons = []
        if name.startswith(scope.code_bucket_prefix):
            reasons.append("named %s* (the flink_app role's code bucket)" % scope.code_bucket_prefix)
        try:
            tags = _tags(_call(s3, "get_bucket_tagging", Bucket=name).get("TagSet"))
        except Exception as exc:  # NoSuchTagSet, or a bucket of another region / owner policy
            if not _error_code(exc):
                raise
            tags = {}
        if scope.tagged(tags):
            reasons.append(scope.why_tagged)
        if not reasons:
            continue
        stored = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            stored += sum(v.get("Size") or 0 for v in page.get("Versions") or [])
        for why in reasons:
            found.add("s3_bucket", name, why, charges=s3_bucket_charges(stored), billable=True,
                      details={"stored_bytes": stored})


def _ttl_trigger(client, scope, found):
    """The time-to-live trigger (roles/ttl/tasks/trigger.yml), by its names and tags: free while
    it waits (one build at the expiry), but a teardown must leave none of it behind."""
    prefix, free = scope.ttl_prefix, "free until it fires"
    scheduler = client("scheduler")
    for group in _all(scheduler, "list_schedule_groups", "ScheduleGroups", NamePrefix=prefix):
        reasons = ["named %s" % prefix] if group["Name"] == prefix else []
        if scope.tagged(_tags(_call(scheduler, "list_tags_for_resource", ResourceArn=group["Arn"]).get("Tags"))):
            reasons.append(scope.why_tagged)
        for why in reasons:
            found.add("schedule_group", group["Name"], why, state=group.get("State"), billable=False, note=free)
    codebuild = client("codebuild")
    names = _all(codebuild, "list_projects", "projects")
    projects = []
    for start in range(0, len(names), 100):  # BatchGetProjects takes at most 100 names
        projects += _call(codebuild, "batch_get_projects", names=names[start:start + 100]).get("projects") or []
    for project in projects:
        reasons = ["named %s-teardown" % prefix] if project["name"] == prefix + "-teardown" else []
        if scope.tagged(_tags(project.get("tags"), key="key", value="value")):
            reasons.append(scope.why_tagged)
        for why in reasons:
            found.add("codebuild_project", project["name"], why, billable=False, note="bills per build-minute only")
    for rule in _all(client("events"), "list_rules", "Rules", NamePrefix=prefix):
        if rule["Name"] == prefix + "-failures":
            found.add("events_rule", rule["Name"], "named %s-failures" % prefix, billable=False)
    sns = client("sns")
    for topic in _all(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        reasons = ["named %s-failures" % prefix] if arn.rsplit(":", 1)[-1] == prefix + "-failures" else []
        if scope.tagged(_tags(_call(sns, "list_tags_for_resource", ResourceArn=arn).get("Tags"))):
            reasons.append(scope.why_tagged)
        for why in reasons:
            found.add("sns_topic", arn, why, billable=False)


def _iam(iam, scope, found):
    for role in _all(iam, "list_roles", "Roles"):
        reasons = []
        if (role.get("Path") or "/").startswith(scope.iam_path):
            reasons.append("IAM path %s" % scope.iam_path)
        tags = _tags(role.get("Tags")) if role.get("Tags") else None
        if tags is None:
            tags = _tags(_all(iam, "list_role_tags", "Tags", RoleName=role["RoleName"]))
        if scope.tagged(tags):
            reasons.append(scope.why_tagged)
        for why in reasons:
            found.add("iam_role", role["RoleName"], why, billable=False)
