# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight rules for the stack's inventories: pure functions, no AWS call.

``check_settings(settings, today, aws_credentials_found)`` takes a flat dict of
inventory settings (variable name -> value, ``None`` meaning "not set") and
returns ``(problems, warnings)``. Each problem is a dict
``{"variable": ..., "message": ..., "fix": ...}``; each warning a string that
names its variable. Every table below says where it comes from; the project's
summary of those sources is ``../shared/FACTS.md`` ("Facts that decide
correctness").
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from urllib.parse import urlparse

from ansible_collections.streamstack.pipeline.plugins.module_utils import capacity
from ansible_collections.streamstack.pipeline.plugins.module_utils import preflight_pipeline
from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight_base import problem as _problem
from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight_base import whole as _as_int
from ansible_collections.streamstack.pipeline.plugins.module_utils import prices

# The variables preflight reads, in the order it reports on them.
SETTINGS = (
    "stack_project",
    "stack_environment",
    "stack_tags",
    "aws_region",
    "aws_endpoint_url",
    "vpc_cidr",
    "vpc_availability_zone_ids",
    "vpc_public_subnet_cidrs",
    "vpc_private_subnet_cidrs",
    "vpc_nat_gateway_mode",
    "msk_kafka_version",
    "msk_broker_count",
    "msk_broker_instance_type",
    "msk_broker_ebs_gb",
    "msk_client_auth",
    "msk_server_properties",
    "eks_version",
    "eks_node_instance_types",
    "eks_node_capacity_type",
    "eks_node_min_size",
    "eks_node_desired_size",
    "eks_node_max_size",
    "eks_node_disk_gb",
    "eks_endpoint_public_access",
    "eks_public_access_cidrs",
    "pinot_components",
    "alb_allowed_cidrs",
    # What runs on the stack (preflight_pipeline.py).
    "pipeline_partitions",
    "pipeline_replication_factor",
    "pipeline_min_insync_replicas",
    "pipeline_topics",
    "pipeline_pinot_schemas",
    "pipeline_pinot_tables",
    "pipeline_pinot_replicas",
    "flink_app_runtime",
    "flink_app_parallelism",
    "flink_app_parallelism_per_kpu",
)

# Set but optional: None is fine for these.
OPTIONAL_SETTINGS = ("aws_endpoint_url", "msk_server_properties", "pipeline_partitions", "pipeline_replication_factor",
                     "pipeline_min_insync_replicas", "pipeline_topics", "pipeline_pinot_schemas", "pipeline_pinot_tables",
                     "pipeline_pinot_replicas", "flink_app_runtime", "flink_app_parallelism",
                     "flink_app_parallelism_per_kpu")

# Every resource carries these tags; teardown and cost reports rely on them.
REQUIRED_TAGS = ("Project", "Environment", "ManagedBy", "Owner", "CostCenter")

ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
PROJECT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
AZ_ID_PATTERN = re.compile(r"^([a-z]{2,}[0-9]+)-az([0-9]+)$")
EC2_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
MSK_TYPE_PATTERN = re.compile(r"^kafka\.[a-z][a-z0-9-]*\.[a-z0-9]+$")

# Region -> prefix of its AZ IDs (use1-az1 is in us-east-1).
# Source: AWS RAM user guide, "Availability Zone IDs for your AWS resources";
# EC2 DescribeAvailabilityZones (ZoneId). Unknown region: format check only.
REGION_AZ_ID_PREFIX = {
    "us-east-1": "use1",
    "us-east-2": "use2",
    "us-west-1": "usw1",
    "us-west-2": "usw2",
    "ca-central-1": "cac1",
    "eu-west-1": "euw1",
    "eu-west-2": "euw2",
    "eu-west-3": "euw3",
    "eu-central-1": "euc1",
    "eu-north-1": "eun1",
    "ap-northeast-1": "apne1",
    "ap-northeast-2": "apne2",
    "ap-southeast-1": "apse1",
    "ap-southeast-2": "apse2",
    "ap-south-1": "aps1",
    "sa-east-1": "sae1",
}

# AZ IDs where MSK places no brokers. Source: MSK API reference,
# BrokerNodeGroupInfo.ClientSubnets ("... cannot be in Availability Zone
# use1-az3"); FACTS.md "The original POC is wrong in places".
MSK_REFUSED_AZ_IDS = {"us-east-1": ("use1-az3",)}

# MSK subnet rules. Source: MSK developer guide, "Create an MSK Provisioned
# cluster" (2 or 3 client subnets in distinct AZs); EKS user guide, "VPC and
# subnet requirements" (subnets in at least 2 AZs).
MIN_AZS = 2
MSK_MAX_CLIENT_SUBNETS = 3

# MSK Kafka versions that a new cluster may use -> end-of-support date (None:
# none announced). Source: MSK developer guide, "Supported Apache Kafka
# versions" (3.6.0 ends 2026-06-01; 3.8.x is "Recommended"), "KRaft mode"
# (3.7.x.kraft and later), CDK aws-msk-alpha KafkaVersion (4.0.x.kraft,
# 4.1.x.kraft). All are >= 3.6.0, which the MSK topic APIs need (FACTS.md).
MSK_KAFKA_VERSIONS = {
    "3.6.0": datetime.date(2026, 6, 1),
    "3.7.x": None,
    "3.7.x.kraft": None,
    "3.8.x": None,
    "3.8.x.kraft": None,
    "3.9.x": None,
    "3.9.x.kraft": None,
    "4.0.x.kraft": None,
    "4.1.x.kraft": None,
}
MSK_RECOMMENDED_KAFKA_VERSION = "3.8.x"
# Versions past their MSK end of support. Source: same table.
MSK_KAFKA_RETIRED = {
    "1.1.1": datetime.date(2024, 6, 5),
    "2.1.0": datetime.date(2024, 6, 5),
    "2.2.1": datetime.date(2024, 6, 8),
    "2.3.1": datetime.date(2024, 6, 8),
    "2.4.1": datetime.date(2024, 6, 8),
    "2.4.1.1": datetime.date(2024, 6, 8),
    "2.5.1": datetime.date(2024, 6, 8),
    "2.6.0": datetime.date(2024, 9, 11),
    "2.6.1": datetime.date(2024, 9, 11),
    "2.6.2": datetime.date(2024, 9, 11),
    "2.6.3": datetime.date(2024, 9, 11),
    "2.7.0": datetime.date(2024, 9, 11),
    "2.7.1": datetime.date(2024, 9, 11),
    "2.7.2": datetime.date(2024, 9, 11),
    "2.8.0": datetime.date(2024, 9, 11),
    "2.8.1": datetime.date(2024, 9, 11),
    "2.8.2-tiered": datetime.date(2025, 1, 14),
    "3.1.1": datetime.date(2024, 9, 11),
    "3.2.0": datetime.date(2024, 9, 11),
    "3.3.1": datetime.date(2024, 9, 11),
    "3.3.2": datetime.date(2024, 9, 11),
    "3.4.0": datetime.date(2025, 8, 4),
    "3.5.1": datetime.date(2025, 10, 23),
}
MSK_EBS_GB_RANGE = (1, 16384)  # MSK API BrokerEBSVolumeInfo / EBSStorageInfo.VolumeSize
MSK_CLIENT_AUTH_KEYS = ("iam", "unauthenticated_tls", "scram")

# EKS version -> (end of standard support, end of extended support).
# Source: EKS user guide, "Understand the Kubernetes version lifecycle on EKS"
# (14 months standard + 12 extended) and its release calendar; endoflife.date
# amazon-eks; FACTS.md. 1.36 reached EKS in June 2026 (AWS "what's new"); its
# calendar date is not in our sources, so it is estimated as 14 months after
# 2026-06-01 (the earliest possible day: a warning may come early, never late).
EKS_VERSIONS = {
    "1.29": (datetime.date(2025, 3, 23), datetime.date(2026, 3, 23)),
    "1.30": (datetime.date(2025, 7, 23), datetime.date(2026, 7, 23)),
    "1.31": (datetime.date(2025, 11, 26), datetime.date(2026, 11, 26)),
    "1.32": (datetime.date(2026, 3, 23), datetime.date(2027, 3, 23)),
    "1.33": (datetime.date(2026, 7, 29), datetime.date(2027, 7, 29)),
    "1.34": (datetime.date(2026, 12, 2), datetime.date(2027, 12, 2)),
    "1.35": (datetime.date(2027, 3, 27), datetime.date(2028, 3, 27)),
    "1.36": (datetime.date(2027, 8, 1), datetime.date(2028, 8, 1)),
}
# EKS control plane price, us-east-1, from the project's price table.
EKS_STANDARD_PRICE = "$%.2f/h" % prices.PRICES["us-east-1"]["eks_control_plane"]["price"]
EKS_EXTENDED_PRICE = "$%.2f/h" % prices.PRICES["us-east-1"]["eks_control_plane_extended"]["price"]
WARN_DAYS = 30
EKS_CAPACITY_TYPES = ("ON_DEMAND", "SPOT")  # EKS API CreateNodegroup capacityType
EKS_MIN_DISK_GB = 20  # EKS CreateNodegroup diskSize default and AL2023 AMI root volume
EBS_MAX_GB = 16384  # EBS gp3 maximum volume size
NAT_MODES = ("single", "per_az")  # roles/vpc/meta/argument_specs.yml
VPC_PREFIX_RANGE = (16, 24)  # AWS allows /16-/28; below /24 leaves no room for 2-3 AZs
SUBNET_PREFIX_RANGE = (16, 28)  # VPC user guide, "Subnet CIDR blocks"
# Sources a public endpoint never sees: traffic from these ranges reaches it from
# a NAT's public address, or not at all (RFC 1918, RFC 6598 shared, loopback,
# link-local). Documentation ranges (RFC 5737) are left to the inventory comment.
NON_PUBLIC_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"))


def _is_list(value):
    return isinstance(value, (list, tuple))


def _network(value):
    """(IPv4Network, None) or (None, why not)."""
    if not isinstance(value, str) or not value.strip():
        return None, "is not a CIDR string"
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            loose = ipaddress.ip_network(value.strip(), strict=False)
            return None, "has host bits set (the network is %s)" % loose
        return None, "is not a valid IPv4 network"
    if net.version != 4:
        return None, "is IPv6; an IPv4 network is needed"
    return net, None


def _fmt_list(values):
    return "[%s]" % ", ".join(str(v) for v in values)


def _check_stack(s, problems):
    project = s.get("stack_project")
    if project is not None and not (isinstance(project, str) and PROJECT_PATTERN.match(project)):
        problems.append(_problem(
            "stack_project",
            "stack_project %r must be 2-32 characters: a lower-case letter, then lower-case "
            "letters, digits or hyphens (it starts every resource name)" % (project,),
            "set stack_project to e.g. streamstack"))

    env = s.get("stack_environment")
    if env is not None and not (isinstance(env, str) and ENVIRONMENT_PATTERN.match(env)):
        length = len(env) if isinstance(env, str) else 0
        suggestion = re.sub(r"[^a-z0-9-]", "-", str(env).lower())[:16].strip("-") or "poc"
        problems.append(_problem(
            "stack_environment",
            "stack_environment %r (%d characters) must match ^[a-z][a-z0-9-]{1,15}$: 2-16 "
            "characters, a lower-case letter first, then lower-case letters, digits or "
            "hyphens, because it goes into resource names" % (env, length),
            "set stack_environment to e.g. %s" % suggestion))

    tags = s.get("stack_tags")
    if tags is None:
        return
    if not isinstance(tags, dict):
        problems.append(_problem(
            "stack_tags", "stack_tags is a %s, not a mapping of tag names to values" % type(tags).__name__,
            "set stack_tags to a mapping with %s" % ", ".join(REQUIRED_TAGS)))
        return
    missing = [t for t in REQUIRED_TAGS if t not in tags]
    empty = [t for t in REQUIRED_TAGS if t in tags and not (isinstance(tags[t], str) and tags[t].strip())]
    if missing:
        problems.append(_problem(
            "stack_tags",
            "stack_tags lacks %d of the %d required tags: %s (required: %s)"
            % (len(missing), len(REQUIRED_TAGS), ", ".join(missing), ", ".join(REQUIRED_TAGS)),
            "add %s to stack_tags" % ", ".join("%s: <value>" % t for t in missing)))
    if empty:
        problems.append(_problem(
            "stack_tags",
            "stack_tags has %d empty or non-string tag(s): %s; every tag needs a non-empty "
            "string" % (len(empty), ", ".join(empty)),
            "give %s a non-empty value in stack_tags" % ", ".join(empty)))


def _check_aws(s, aws_credentials_found, problems):
    region = s.get("aws_region")
    if region is not None and not (isinstance(region, str) and REGION_PATTERN.match(region)):
        problems.append(_problem(
            "aws_region",
            "aws_region %r is not an AWS region name of the form xx-xxxx-N" % (region,),
            "set aws_region to e.g. us-east-1"))

    if not aws_credentials_found:
        problems.append(_problem(
            "aws_credentials",
            "no AWS credentials found (environment, ~/.aws/credentials, ~/.aws/config)",
            "export AWS_PROFILE=<profile> (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), "
            "or attach an AWS credential to the AWX job template"))

    url = s.get("aws_endpoint_url")
    if url not in (None, ""):
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(_problem(
                "aws_endpoint_url",
                "aws_endpoint_url %r is neither empty nor an http(s) URL" % (url,),
                "leave aws_endpoint_url empty for real AWS, or set it to e.g. http://127.0.0.1:5000 "
                "for the emulator"))


def _check_vpc(s, problems):
    """Returns the AZ count when the AZ list is usable, else None."""
    region = s.get("aws_region") if isinstance(s.get("aws_region"), str) else None

    vpc_net = None
    cidr = s.get("vpc_cidr")
    if cidr is not None:
        vpc_net, why = _network(cidr)
        if why:
            problems.append(_problem(
                "vpc_cidr", "vpc_cidr %r %s" % (cidr, why),
                "set vpc_cidr to a private IPv4 network, e.g. 10.40.0.0/16"))
        elif not VPC_PREFIX_RANGE[0] <= vpc_net.prefixlen <= VPC_PREFIX_RANGE[1]:
            problems.append(_problem(
                "vpc_cidr",
                "vpc_cidr %s is a /%d; the VPC must be /%d to /%d to hold a public and a "
                "private subnet in every AZ" % (vpc_net, vpc_net.prefixlen, VPC_PREFIX_RANGE[0], VPC_PREFIX_RANGE[1]),
                "use a /16 to /24 network, e.g. 10.40.0.0/16"))
            vpc_net = None

    az_count = None
    azs = s.get("vpc_availability_zone_ids")
    if azs is not None:
        az_count = _check_azs(azs, region, problems)

    all_subnets = []
    for var, kind in (("vpc_public_subnet_cidrs", "public"), ("vpc_private_subnet_cidrs", "private")):
        subnets = s.get(var)
        if subnets is None:
            continue
        if not _is_list(subnets):
            problems.append(_problem(
                var, "%s is a %s, not a list of CIDRs" % (var, type(subnets).__name__),
                "list one %s subnet CIDR per AZ, e.g. [10.40.0.0/24, 10.40.1.0/24]" % kind))
            continue
        if az_count is not None and len(subnets) != az_count:
            problems.append(_problem(
                var,
                "%s has %d subnet(s) for %d AZ(s); one %s subnet per AZ is needed, in the "
                "order of vpc_availability_zone_ids" % (var, len(subnets), az_count, kind),
                "list exactly %d CIDRs in %s" % (az_count, var)))
        for index, value in enumerate(subnets):
            net, why = _network(value)
            if why:
                problems.append(_problem(
                    var, "%s[%d] %r %s" % (var, index, value, why),
                    "give %s[%d] a valid IPv4 network inside vpc_cidr" % (var, index)))
                continue
            if not SUBNET_PREFIX_RANGE[0] <= net.prefixlen <= SUBNET_PREFIX_RANGE[1]:
                problems.append(_problem(
                    var,
                    "%s[%d] %s is a /%d; AWS subnets are /%d to /%d"
                    % (var, index, net, net.prefixlen, SUBNET_PREFIX_RANGE[0], SUBNET_PREFIX_RANGE[1]),
                    "use a /16 to /28 network for %s[%d]" % (var, index)))
            if vpc_net is not None and not net.subnet_of(vpc_net):
                problems.append(_problem(
                    var,
                    "%s[%d] %s is outside vpc_cidr %s" % (var, index, net, vpc_net),
                    "pick a subnet inside %s (%s - %s)"
                    % (vpc_net, vpc_net.network_address, vpc_net.broadcast_address)))
            all_subnets.append((var, index, net))

    reported = set()
    for i, (var_a, idx_a, net_a) in enumerate(all_subnets):
        for var_b, idx_b, net_b in all_subnets[i + 1:]:
            if net_a.overlaps(net_b) and (var_b, idx_b) not in reported:
                reported.add((var_b, idx_b))
                problems.append(_problem(
                    var_b,
                    "%s[%d] %s overlaps %s[%d] %s; subnets of a VPC may not overlap"
                    % (var_b, idx_b, net_b, var_a, idx_a, net_a),
                    "give %s[%d] a range that no other subnet uses" % (var_b, idx_b)))

    mode = s.get("vpc_nat_gateway_mode")
    if mode is not None and mode not in NAT_MODES:
        problems.append(_problem(
            "vpc_nat_gateway_mode",
            "vpc_nat_gateway_mode %r is not one of %s" % (mode, ", ".join(NAT_MODES)),
            "set vpc_nat_gateway_mode to single (one NAT gateway, cheap) or per_az (one per AZ)"))
    return az_count


def _check_azs(azs, region, problems):
    var = "vpc_availability_zone_ids"
    prefix = REGION_AZ_ID_PREFIX.get(region)
    example = "[%s-az1, %s-az2]" % ((prefix,) * 2) if prefix else "[use1-az1, use1-az2]"
    if not _is_list(azs):
        problems.append(_problem(
            var, "%s is a %s, not a list of AZ IDs" % (var, type(azs).__name__),
            "list 2 or 3 AZ IDs, e.g. %s" % example))
        return None
    usable = True
    if len(azs) < MIN_AZS:
        problems.append(_problem(
            var,
            "%s has %d AZ (%s); MSK needs 2 or 3 client subnets in distinct AZs and EKS at "
            "least 2" % (var, len(azs), ", ".join(str(a) for a in azs) or "none"),
            "list 2 AZ IDs, e.g. %s" % example))
        usable = False
    elif len(azs) > MSK_MAX_CLIENT_SUBNETS:
        problems.append(_problem(
            var,
            "%s has %d AZs; MSK takes 2 or 3 client subnets, one per AZ" % (var, len(azs)),
            "list 2 or 3 AZ IDs"))
        usable = False
    names = [str(a) for a in azs]
    duplicates = sorted({a for a in names if names.count(a) > 1})
    if duplicates:
        problems.append(_problem(
            var,
            "%s lists %s more than once (%d entries, %d distinct); MSK and EKS need subnets "
            "in distinct AZs" % (var, ", ".join(duplicates), len(names), len(set(names))),
            "list each AZ ID once, e.g. %s" % example))
        usable = False
    refused = MSK_REFUSED_AZ_IDS.get(region, ())
    for az in azs:
        match = AZ_ID_PATTERN.match(az) if isinstance(az, str) else None
        if not match:
            problems.append(_problem(
                var, "%s entry %r is not an AZ ID like use1-az1 (AZ names like us-east-1a "
                "differ between accounts; IDs do not)" % (var, az),
                "use AZ IDs, e.g. %s (aws ec2 describe-availability-zones shows ZoneId)" % example))
            usable = False
            continue
        if prefix and match.group(1) != prefix:
            problems.append(_problem(
                var, "%s entry %s is not in aws_region %s (its AZ IDs start with %s-)"
                % (var, az, region, prefix),
                "use AZ IDs of %s, e.g. %s" % (region, example)))
            usable = False
        if az in refused:
            problems.append(_problem(
                var, "%s entry %s: MSK does not place brokers in %s (in %s)" % (var, az, az, region),
                "choose other AZ IDs, e.g. %s" % example))
            usable = False
    return len(azs) if usable else None


def _check_msk(s, az_count, problems, warnings, today):
    count_raw = s.get("msk_broker_count")
    count = _as_int(count_raw)
    if count_raw is not None:
        if count is None:
            problems.append(_problem(
                "msk_broker_count", "msk_broker_count %r is not a whole number" % (count_raw,),
                "set msk_broker_count to a number of brokers, e.g. 2"))
        elif count < MIN_AZS:
            problems.append(_problem(
                "msk_broker_count", "msk_broker_count is %d; MSK needs at least %d brokers (one per "
                "client subnet)" % (count, max(MIN_AZS, az_count or MIN_AZS)),
                "set msk_broker_count to %d" % max(MIN_AZS, az_count or MIN_AZS)))
        elif az_count and (count < az_count or count % az_count):
            lower = max(az_count, count - count % az_count)
            problems.append(_problem(
                "msk_broker_count",
                "msk_broker_count is %d over %d AZs; MSK spreads brokers evenly over its client "
                "subnets, so the count must be a multiple of %d" % (count, az_count, az_count),
                "set msk_broker_count to %d or %d" % (lower, lower + az_count)))

    version = s.get("msk_kafka_version")
    if version is not None:
        _check_kafka_version(version, problems, warnings, today)

    itype = s.get("msk_broker_instance_type")
    if itype is not None and not (isinstance(itype, str) and MSK_TYPE_PATTERN.match(itype)):
        problems.append(_problem(
            "msk_broker_instance_type",
            "msk_broker_instance_type %r is not an MSK broker type of the form kafka.<family>.<size>" % (itype,),
            "set msk_broker_instance_type to e.g. kafka.t3.small or kafka.m5.large"))

    ebs_raw = s.get("msk_broker_ebs_gb")
    if ebs_raw is not None:
        ebs = _as_int(ebs_raw)
        low, high = MSK_EBS_GB_RANGE
        if ebs is None or not low <= ebs <= high:
            problems.append(_problem(
                "msk_broker_ebs_gb",
                "msk_broker_ebs_gb %r must be a whole number of GB from %d to %d" % (ebs_raw, low, high),
                "set msk_broker_ebs_gb to e.g. 20"))

    auth = s.get("msk_client_auth")
    if auth is not None:
        if not isinstance(auth, dict):
            problems.append(_problem(
                "msk_client_auth", "msk_client_auth is a %s, not a mapping" % type(auth).__name__,
                "set msk_client_auth to {iam: true, unauthenticated_tls: true, scram: false}"))
        else:
            unknown = sorted(str(k) for k in auth if k not in MSK_CLIENT_AUTH_KEYS)
            if unknown:
                problems.append(_problem(
                    "msk_client_auth",
                    "msk_client_auth has %d unknown key(s): %s (known: %s)"
                    % (len(unknown), ", ".join(unknown), ", ".join(MSK_CLIENT_AUTH_KEYS)),
                    "use only %s in msk_client_auth" % ", ".join(MSK_CLIENT_AUTH_KEYS)))
            enabled = [k for k in MSK_CLIENT_AUTH_KEYS if auth.get(k) is True]
            if not enabled:
                problems.append(_problem(
                    "msk_client_auth",
                    "msk_client_auth enables 0 of the %d client authentication modes (%s); "
                    "no client could connect" % (len(MSK_CLIENT_AUTH_KEYS), ", ".join(MSK_CLIENT_AUTH_KEYS)),
                    "set msk_client_auth.iam: true (Flink, port 9098) and/or "
                    "unauthenticated_tls: true (Pinot, port 9094)"))

    props = s.get("msk_server_properties")
    if isinstance(props, dict) and count is not None and count >= 1:
        rf = _as_int(props.get("default.replication.factor"))
        isr = _as_int(props.get("min.insync.replicas"))
        if rf is not None and rf > count:
            problems.append(_problem(
                "msk_server_properties",
                "msk_server_properties default.replication.factor is %d but msk_broker_count is %d"
                % (rf, count),
                "set default.replication.factor to at most %d" % count))
        if rf is not None and isr is not None and isr > rf:
            problems.append(_problem(
                "msk_server_properties",
                "msk_server_properties min.insync.replicas is %d, above default.replication.factor %d; "
                "every write would fail" % (isr, rf),
                "set min.insync.replicas to at most %d (usually replication factor - 1)" % rf))


def _check_kafka_version(version, problems, warnings, today):
    var = "msk_kafka_version"
    known = ", ".join(MSK_KAFKA_VERSIONS)
    if not isinstance(version, str):
        problems.append(_problem(
            var, "msk_kafka_version %r is a %s; MSK versions are strings like 3.8.x"
            % (version, type(version).__name__),
            'quote it: msk_kafka_version: "%s"' % MSK_RECOMMENDED_KAFKA_VERSION))
        return
    if version in MSK_KAFKA_RETIRED:
        ended = MSK_KAFKA_RETIRED[version]
        problems.append(_problem(
            var,
            "msk_kafka_version %s reached MSK end of support on %s (%d days ago); MSK refuses new "
            "clusters on it and the MSK topic APIs need Kafka >= 3.6" % (version, ended, (today - ended).days),
            "set msk_kafka_version to %s (AWS's recommended version)" % MSK_RECOMMENDED_KAFKA_VERSION))
        return
    if version not in MSK_KAFKA_VERSIONS:
        problems.append(_problem(
            var, "msk_kafka_version %r is not an MSK Kafka version (supported: %s)" % (version, known),
            "set msk_kafka_version to %s (AWS's recommended version)" % MSK_RECOMMENDED_KAFKA_VERSION))
        return
    ends = MSK_KAFKA_VERSIONS[version]
    if ends is not None and ends <= today:
        problems.append(_problem(
            var,
            "msk_kafka_version %s reached MSK end of support on %s (%d days ago)" % (version, ends, (today - ends).days),
            "set msk_kafka_version to %s (AWS's recommended version)" % MSK_RECOMMENDED_KAFKA_VERSION))
    elif ends is not None and (ends - today).days <= WARN_DAYS:
        warnings.append(
            "msk_kafka_version %s reaches MSK end of support on %s, in %d days; MSK then upgrades "
            "the cluster on its own: move to %s" % (version, ends, (ends - today).days, MSK_RECOMMENDED_KAFKA_VERSION))


def _newest_standard(today):
    current = [v for v, (std, _ext) in EKS_VERSIONS.items() if std > today]
    return max(current, key=lambda v: tuple(int(p) for p in v.split("."))) if current else None


def _check_eks(s, problems, warnings, today):
    version = s.get("eks_version")
    newest = _newest_standard(today) or max(EKS_VERSIONS)
    if version is not None:
        if not isinstance(version, str):
            problems.append(_problem(
                "eks_version",
                "eks_version %r is a %s; YAML reads 1.30 as the number 1.3, so versions must be "
                "strings" % (version, type(version).__name__),
                'quote it: eks_version: "%s"' % newest))
        elif version not in EKS_VERSIONS:
            problems.append(_problem(
                "eks_version",
                "eks_version %r is not a version preflight knows (%s)" % (version, ", ".join(EKS_VERSIONS)),
                'set eks_version: "%s"; if AWS released a newer one, add it to EKS_VERSIONS in '
                "plugins/module_utils/preflight.py" % newest))
        else:
            std, ext = EKS_VERSIONS[version]
            if today >= ext:
                problems.append(_problem(
                    "eks_version",
                    "eks_version %s is out of all EKS support since %s (standard ended %s, extended "
                    "%s); EKS creates no cluster on it and upgrades old ones on its own" % (version, ext, std, ext),
                    'set eks_version: "%s"' % newest))
            elif today >= std:
                warnings.append(
                    "eks_version %s is in EKS extended support since %s (until %s): the control plane "
                    "costs %s instead of %s (6x). Set eks_version: \"%s\" to stay in standard support."
                    % (version, std, ext, EKS_EXTENDED_PRICE, EKS_STANDARD_PRICE, newest))
            elif (std - today).days <= WARN_DAYS:
                warnings.append(
                    "eks_version %s leaves EKS standard support on %s, in %d days; after that the control "
                    "plane costs %s instead of %s. Upgrade to \"%s\" before then."
                    % (version, std, (std - today).days, EKS_EXTENDED_PRICE, EKS_STANDARD_PRICE, newest))

    types = s.get("eks_node_instance_types")
    if types is not None:
        if not _is_list(types) or not types:
            problems.append(_problem(
                "eks_node_instance_types",
                "eks_node_instance_types is %s; the node group needs at least 1 EC2 instance type"
                % ("empty" if _is_list(types) else "a %s, not a list" % type(types).__name__),
                "set eks_node_instance_types to e.g. [t3.medium]"))
        else:
            for index, itype in enumerate(types):
                if not (isinstance(itype, str) and EC2_TYPE_PATTERN.match(itype)) or str(itype).startswith("kafka."):
                    problems.append(_problem(
                        "eks_node_instance_types",
                        "eks_node_instance_types[%d] %r is not an EC2 instance type like t3.medium" % (index, itype),
                        "use EC2 instance types, e.g. [t3.medium]"))
            # The node group goes through a launch template (the only way
            # community.aws.eks_nodegroup 10.0.0 gets an AL2023 AMI), and that
            # module refuses instance_types together with a launch template: the
            # one type lives in the template.
            if len(types) > 1:
                problems.append(_problem(
                    "eks_node_instance_types",
                    "eks_node_instance_types lists %d types (%s); the node group is built from a launch "
                    "template that holds exactly one (community.aws.eks_nodegroup cannot combine a "
                    "launch template with several instance types)" % (len(types), _fmt_list(types)),
                    "keep one type, e.g. [%s]" % types[0]))

    ctype = s.get("eks_node_capacity_type")
    if ctype is not None and ctype not in EKS_CAPACITY_TYPES:
        problems.append(_problem(
            "eks_node_capacity_type",
            "eks_node_capacity_type %r is not one of %s" % (ctype, ", ".join(EKS_CAPACITY_TYPES)),
            "set eks_node_capacity_type to ON_DEMAND or SPOT (upper case)"))

    sizes = {}
    for var in ("eks_node_min_size", "eks_node_desired_size", "eks_node_max_size"):
        raw = s.get(var)
        if raw is None:
            continue
        value = _as_int(raw)
        if value is None:
            problems.append(_problem(var, "%s %r is not a whole number" % (var, raw), "set %s to a number of nodes" % var))
        else:
            sizes[var] = value
    low = sizes.get("eks_node_min_size")
    mid = sizes.get("eks_node_desired_size")
    high = sizes.get("eks_node_max_size")
    if low is not None and low < 1:
        problems.append(_problem(
            "eks_node_min_size", "eks_node_min_size is %d; at least 1 node must stay up for the "
            "system pods and Pinot" % low, "set eks_node_min_size to 1 or more"))
    if low is not None and high is not None and low > high:
        problems.append(_problem(
            "eks_node_min_size", "eks_node_min_size %d is greater than eks_node_max_size %d" % (low, high),
            "make eks_node_min_size <= eks_node_desired_size <= eks_node_max_size, e.g. 2, 2, 4"))
    else:
        if mid is not None and low is not None and mid < low:
            problems.append(_problem(
                "eks_node_desired_size",
                "eks_node_desired_size %d is below eks_node_min_size %d" % (mid, low),
                "set eks_node_desired_size between %d and %s" % (low, high if high is not None else "the max")))
        if mid is not None and high is not None and mid > high:
            problems.append(_problem(
                "eks_node_desired_size",
                "eks_node_desired_size %d is above eks_node_max_size %d" % (mid, high),
                "set eks_node_desired_size between %s and %d" % (low if low is not None else 1, high)))

    disk_raw = s.get("eks_node_disk_gb")
    if disk_raw is not None:
        disk = _as_int(disk_raw)
        if disk is None or not EKS_MIN_DISK_GB <= disk <= EBS_MAX_GB:
            problems.append(_problem(
                "eks_node_disk_gb",
                "eks_node_disk_gb %r must be a whole number of GB from %d to %d (the node's root volume "
                "holds the OS and every container image)" % (disk_raw, EKS_MIN_DISK_GB, EBS_MAX_GB),
                "set eks_node_disk_gb to %d or more" % EKS_MIN_DISK_GB))


def _check_eks_endpoint(s, problems):
    """EKS opens a new cluster's API endpoint to 0.0.0.0/0; the eks role narrows it to
    eks_public_access_cidrs (roles/eks/tasks/endpoint.yml), which must say who, not everyone."""
    public = s.get("eks_endpoint_public_access")
    if public is not None and not isinstance(public, bool):
        problems.append(_problem(
            "eks_endpoint_public_access",
            "eks_endpoint_public_access %r is not true or false" % (public,),
            "set eks_endpoint_public_access: true (Ansible/AWX outside the VPC) or false (inside the VPC only)"))
        return
    cidrs = s.get("eks_public_access_cidrs")
    if cidrs is None:
        return  # reported as not set
    if not _is_list(cidrs):
        problems.append(_problem(
            "eks_public_access_cidrs",
            "eks_public_access_cidrs is a %s, not a list of CIDRs" % type(cidrs).__name__,
            "list your office/VPN and AWX egress CIDRs, e.g. [198.51.100.7/32]"))
        return
    if public and not cidrs:
        problems.append(_problem(
            "eks_public_access_cidrs",
            "eks_public_access_cidrs is empty while eks_endpoint_public_access is true: EKS would leave "
            "the Kubernetes API open to 0.0.0.0/0",
            "list your office/VPN and AWX egress CIDRs, e.g. [198.51.100.7/32], or set "
            "eks_endpoint_public_access: false and run Ansible inside the VPC"))
    for index, value in enumerate(cidrs):
        net, why = _network(value)
        if why:
            problems.append(_problem(
                "eks_public_access_cidrs", "eks_public_access_cidrs[%d] %r %s" % (index, value, why),
                "give eks_public_access_cidrs[%d] an IPv4 network such as 198.51.100.7/32" % index))
        elif net.prefixlen == 0:
            problems.append(_problem(
                "eks_public_access_cidrs",
                "eks_public_access_cidrs[%d] %s opens the Kubernetes API endpoint to the whole internet" % (index, net),
                "replace it with your office/VPN and AWX egress CIDRs, e.g. 198.51.100.7/32"))
        elif any(net.subnet_of(private) for private in NON_PUBLIC_NETWORKS):
            problems.append(_problem(
                "eks_public_access_cidrs",
                "eks_public_access_cidrs[%d] %s is not a public address range: the public endpoint only sees "
                "public source addresses (the VPC reaches the API through the private endpoint)" % (index, net),
                "list the public egress CIDRs of your office/VPN and AWX instead"))


# What teardown needs: who the environment is, where, and credentials. Sizing
# rules are left out on purpose: a version that went out of support since the
# deploy must never stop anyone from deleting what bills.
TEARDOWN_SETTINGS = ("stack_project", "stack_environment", "stack_tags", "aws_region", "aws_endpoint_url")


def check_settings(settings, today=None, aws_credentials_found=True, scope="deploy"):
    """Check inventory settings. Returns (problems, warnings).

    settings: dict variable name -> value (None or absent = not set).
    today: datetime.date for the support calendars (default: today).
    aws_credentials_found: False adds a problem naming AWS_PROFILE / AWS_ACCESS_KEY_ID.
    scope: "deploy" checks everything; "teardown" only TEARDOWN_SETTINGS and credentials.
    """
    if today is None:
        today = datetime.date.today()
    s = dict(settings or {})
    problems = []
    warnings = []

    names = TEARDOWN_SETTINGS if scope == "teardown" else SETTINGS
    for name in names:
        if name not in OPTIONAL_SETTINGS and s.get(name) is None:
            problems.append(_problem(
                name, "%s is not set" % name,
                "set %s in inventories/<environment>/group_vars/all/ (see inventories/poc)" % name))

    _check_stack(s, problems)
    _check_aws(s, aws_credentials_found, problems)
    if scope == "teardown":
        return problems, warnings
    az_count = _check_vpc(s, problems)
    _check_msk(s, az_count, problems, warnings, today)
    _check_eks(s, problems, warnings, today)
    _check_eks_endpoint(s, problems)
    _check_capacity(s, problems, warnings)
    _check_alb(s, problems)
    # The broker count, if it is itself right: otherwise it was reported, and is no yardstick.
    broker_count = None if any(p["variable"] == "msk_broker_count" for p in problems) else _as_int(
        s.get("msk_broker_count"))
    preflight_pipeline.check(s, broker_count, problems, warnings)
    return problems, warnings


def _check_alb(s, problems):
    """Who may reach the Pinot controller's load balancer: named ranges, never the internet."""
    cidrs = s.get("alb_allowed_cidrs")
    if cidrs is None:
        return  # reported as not set
    fix = ("set alb_allowed_cidrs to your office, VPN or AWX egress ranges, e.g. [203.0.113.0/24], "
           "in inventories/<environment>/group_vars/all/alb.yml")
    if not _is_list(cidrs) or not cidrs:
        problems.append(_problem("alb_allowed_cidrs", "alb_allowed_cidrs is %r: the Pinot controller's load balancer "
                                 "needs an allowlist (there is no default)" % (cidrs,), fix))
        return
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(str(cidr).strip(), strict=True)
        except ValueError as exc:
            problems.append(_problem("alb_allowed_cidrs", "alb_allowed_cidrs: %s is not a network (%s)" % (cidr, exc), fix))
            continue
        if net.prefixlen == 0:
            problems.append(_problem(
                "alb_allowed_cidrs", "alb_allowed_cidrs: %s opens the Pinot controller, which can create and drop tables, to the "
                "whole internet" % net, fix))


def _check_capacity(s, problems, warnings):
    """Pinot's pods on the node group (module_utils/capacity.py): slots, CPU, memory, heaps."""
    types = s.get("eks_node_instance_types")
    count = _as_int(s.get("eks_node_desired_size"))
    components = s.get("pinot_components")
    if not _is_list(types) or len(types) != 1 or not isinstance(types[0], str) or count is None or count < 1:
        return  # reported by _check_eks
    if components is None or any(p["variable"].startswith("eks_node_") for p in problems):
        return  # reported as not set, or the node group itself is wrong: one problem at a time
    try:
        found, notes = capacity.check(types[0], count, components, min_nodes=_as_int(s.get("eks_node_min_size")) or 1)
    except capacity.CapacityError as exc:
        problems.append(_problem("pinot_components", str(exc), "see inventories/poc/group_vars/all/pinot.yml"))
        return
    for variable, message, fix in found:
        problems.append(_problem(variable, message, fix))
    warnings.extend(notes)


def format_problem(problem):
    """One line: 'variable: message. Fix: fix'."""
    return "%s: %s. Fix: %s" % (problem["variable"], problem["message"].rstrip("."), problem["fix"])


def summarize(settings, problems, warnings):
    """One line describing what was checked."""
    s = settings or {}
    azs = s.get("vpc_availability_zone_ids")
    types = s.get("eks_node_instance_types")
    return (
        "%s in %s: %s AZ(s) %s, NAT %s; MSK %s, %s x %s; EKS %s, %s-%s x %s: %d problem(s), %d warning(s)"
        % (s.get("stack_environment"), s.get("aws_region"),
           len(azs) if _is_list(azs) else "?", _fmt_list(azs) if _is_list(azs) else azs,
           s.get("vpc_nat_gateway_mode"), s.get("msk_kafka_version"), s.get("msk_broker_count"),
           s.get("msk_broker_instance_type"), s.get("eks_version"), s.get("eks_node_min_size"),
           s.get("eks_node_max_size"), _fmt_list(types) if _is_list(types) else types,
           len(problems), len(warnings)))
