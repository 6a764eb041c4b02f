# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time to live: the ``ExpiresAt`` tag on an environment's resources, and the
environments whose expiry has passed.

``resources(clients, project, environment=None)`` lists every resource that
carries the project's tags, service by service (the Resource Groups Tagging
API misses EIPs, EKS and IAM: FACTS.md), with what is needed to re-tag it.
``stamp`` sets or removes one resource's ``ExpiresAt``; ``expired`` groups
the project's resources by their ``Environment`` tag and gives each
environment's expiry: the **latest** ``ExpiresAt`` among its resources, so a
resource a module could not re-tag never makes an extended environment expire
early.

``clients`` is a callable ``service -> boto3 client``.
"""

from __future__ import annotations

import datetime

TAG = "ExpiresAt"
FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class TtlError(ValueError):
    """A time to live or an expiry that cannot be used (names the variable)."""


def client_factory(module):
    """``service -> client`` for an AnsibleAWSModule, one client per service."""
    cache = {}

    def client(service):
        if service not in cache:
            cache[service] = module.client(service)
        return cache[service]
    return client


def parse(value, variable="ttl_expires_at"):
    """'2026-11-24T23:00:00Z' (or +00:00) -> aware UTC datetime."""
    text = str(value).strip()
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TtlError("%s %r is not a UTC time such as 2026-11-24T23:00:00Z" % (variable, value))
    if when.tzinfo is None:
        raise TtlError("%s %r has no time zone: write it in UTC with a Z, e.g. 2026-11-24T23:00:00Z" % (
            variable, value))
    return when.astimezone(datetime.timezone.utc)


def render(when):
    return when.astimezone(datetime.timezone.utc).strftime(FORMAT)


def expiry(ttl_hours, now=None):
    """The ExpiresAt value for a time to live from ``now``; None for no expiry (0 or empty)."""
    if ttl_hours in (None, "", 0, "0"):
        return None
    hours = float(ttl_hours)
    if hours < 0:
        raise TtlError("ttl_hours %r is negative: set the hours the environment may live, or 0 for none" % ttl_hours)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return render(now.replace(microsecond=0) + datetime.timedelta(hours=hours))


# (describe operation, result key, id key, is-live test) of every EC2 type a role tags.
EC2_TYPES = (
    ("describe_vpcs", "Vpcs", "VpcId", None),
    ("describe_subnets", "Subnets", "SubnetId", None),
    ("describe_internet_gateways", "InternetGateways", "InternetGatewayId", None),
    ("describe_route_tables", "RouteTables", "RouteTableId", None),
    ("describe_nat_gateways", "NatGateways", "NatGatewayId", lambda n: n["State"] not in ("deleted", "deleting")),
    ("describe_addresses", "Addresses", "AllocationId", None),
    ("describe_security_groups", "SecurityGroups", "GroupId", None),
    ("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId", None),
    ("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId", None),
    ("describe_volumes", "Volumes", "VolumeId", lambda v: v["State"] not in ("deleting", "deleted")),
    ("describe_instances", "Reservations", None, None),
)


def _tags(items):
    if isinstance(items, dict):
        return dict(items)
    return dict((t["Key"], t.get("Value", "")) for t in items or [])


def _ours(tags, project, environment):
    return tags.get("Project") == project and (environment is None or tags.get("Environment") == environment)


def _pages(client, operation, key, **params):
    if client.can_paginate(operation):
        out = []
        for page in client.get_paginator(operation).paginate(**params):
            out.extend(page.get(key) or [])
        return out
    return getattr(client, operation)(**params).get(key) or []


def resources(clients, project, environment=None):
    """[{kind, id, arn, tags}] of every resource tagged Project=project (and Environment=environment)."""
    found = []
    ec2 = clients("ec2")
    filters = [{"Name": "tag:Project", "Values": [project]}]
    if environment is not None:
        filters.append({"Name": "tag:Environment", "Values": [environment]})
    # describe_tags would also list deleted resources (NAT gateways on AWS, more in
    # the emulator): each type is described, and only live ones count.
    for operation, key, id_key, live in EC2_TYPES:
        for item in _pages(ec2, operation, key, Filters=filters):
            if operation == "describe_instances":
                for instance in item["Instances"]:
                    if instance["State"]["Name"] != "terminated":
                        found.append({"kind": "ec2:instance", "id": instance["InstanceId"],
                                      "arn": instance["InstanceId"], "tags": _tags(instance.get("Tags"))})
                continue
            if live and not live(item):
                continue
            kind = "ec2:elastic_ip" if key == "Addresses" else "ec2:" + operation[len("describe_"):-1]
            found.append({"kind": kind, "id": item[id_key], "arn": item[id_key],
                          "tags": _tags(item.get("Tags"))})

    kafka = clients("kafka")
    for cluster in _pages(kafka, "list_clusters", "ClusterInfoList"):
        if _ours(cluster.get("Tags") or {}, project, environment) and cluster.get("State") != "DELETING":
            found.append({"kind": "msk_cluster", "id": cluster["ClusterName"], "arn": cluster["ClusterArn"],
                          "tags": dict(cluster.get("Tags") or {})})

    eks = clients("eks")
    for name in _pages(eks, "list_clusters", "clusters"):
        cluster = eks.describe_cluster(name=name)["cluster"]
        tags = cluster.get("tags") or {}
        if not _ours(tags, project, environment):
            continue
        found.append({"kind": "eks_cluster", "id": name, "arn": cluster["arn"], "tags": dict(tags)})
        for group in _pages(eks, "list_nodegroups", "nodegroups", clusterName=name):
            detail = eks.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]
            found.append({"kind": "eks_nodegroup", "id": "%s/%s" % (name, group), "arn": detail["nodegroupArn"],
                          "tags": dict(detail.get("tags") or {})})
        for addon in _pages(eks, "list_addons", "addons", clusterName=name):
            detail = eks.describe_addon(clusterName=name, addonName=addon)["addon"]
            found.append({"kind": "eks_addon", "id": "%s/%s" % (name, addon), "arn": detail["addonArn"],
                          "tags": dict(detail.get("tags") or {})})

    elbv2 = clients("elbv2")
    arns = [lb["LoadBalancerArn"] for lb in _pages(elbv2, "describe_load_balancers", "LoadBalancers")]
    arns += [tg["TargetGroupArn"] for tg in _pages(elbv2, "describe_target_groups", "TargetGroups")]
    for start in range(0, len(arns), 20):
        for description in elbv2.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
            tags = _tags(description.get("Tags"))
            if _ours(tags, project, environment):
                arn = description["ResourceArn"]
                kind = "load_balancer" if ":loadbalancer/" in arn else "target_group"
                found.append({"kind": kind, "id": arn.rsplit("/", 2)[-2], "arn": arn, "tags": tags})

    iam = clients("iam")
    for role in _pages(iam, "list_roles", "Roles", PathPrefix="/%s/" % project):
        tags = _tags(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
        if _ours(tags, project, environment):
            found.append({"kind": "iam_role", "id": role["RoleName"], "arn": role["Arn"], "tags": tags})

    logs = clients("logs")
    for group in _pages(logs, "describe_log_groups", "logGroups"):
        arn = group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"]
        tags = logs.list_tags_for_resource(resourceArn=arn).get("tags") or {}
        if _ours(tags, project, environment):
            found.append({"kind": "log_group", "id": group["logGroupName"], "arn": arn, "tags": dict(tags)})

    s3 = clients("s3")
    for bucket in s3.list_buckets().get("Buckets") or []:
        try:
            tags = _tags(s3.get_bucket_tagging(Bucket=bucket["Name"]).get("TagSet"))
        except Exception as err:  # NoSuchTagSet: an untagged bucket is not ours
            if "NoSuchTagSet" not in str(err) and "NoSuchBucket" not in str(err):
                raise
            continue
        if _ours(tags, project, environment):
            found.append({"kind": "s3_bucket", "id": bucket["Name"], "arn": bucket["Name"], "tags": tags})

    msf = clients("kinesisanalyticsv2")
    for app in _pages(msf, "list_applications", "ApplicationSummaries"):
        tags = _tags(msf.list_tags_for_resource(ResourceARN=app["ApplicationARN"]).get("Tags"))
        if _ours(tags, project, environment) and app.get("ApplicationStatus") != "DELETING":
            found.append({"kind": "flink_application", "id": app["ApplicationName"], "arn": app["ApplicationARN"],
                          "tags": tags})
    return found


def stamp(clients, resource, expires_at):
    """Set ExpiresAt to ``expires_at`` on one resource, or remove it when None. True when it changed."""
    current = resource["tags"].get(TAG)
    if current == expires_at:
        return False
    kind, arn = resource["kind"], resource["arn"]
    if kind.startswith("ec2:"):
        ec2 = clients("ec2")
        if expires_at is None:
            ec2.delete_tags(Resources=[arn], Tags=[{"Key": TAG}])
        else:
            ec2.create_tags(Resources=[arn], Tags=[{"Key": TAG, "Value": expires_at}])
    elif kind == "msk_cluster":
        _tag_dict(clients("kafka"), "ResourceArn", arn, expires_at, "Tags", "TagKeys")
    elif kind in ("eks_cluster", "eks_nodegroup", "eks_addon"):
        _tag_dict(clients("eks"), "resourceArn", arn, expires_at, "tags", "tagKeys")
    elif kind == "log_group":
        _tag_dict(clients("logs"), "resourceArn", arn, expires_at, "tags", "tagKeys")
    elif kind in ("load_balancer", "target_group"):
        elbv2 = clients("elbv2")
        if expires_at is None:
            elbv2.remove_tags(ResourceArns=[arn], TagKeys=[TAG])
        else:
            elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": TAG, "Value": expires_at}])
    elif kind == "iam_role":
        iam = clients("iam")
        if expires_at is None:
            iam.untag_role(RoleName=resource["id"], TagKeys=[TAG])
        else:
            iam.tag_role(RoleName=resource["id"], Tags=[{"Key": TAG, "Value": expires_at}])
    elif kind == "s3_bucket":
        tags = dict(resource["tags"])
        tags.pop(TAG, None)
        if expires_at is not None:
            tags[TAG] = expires_at
        clients("s3").put_bucket_tagging(Bucket=arn, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in sorted(tags.items())]})
    elif kind == "flink_application":
        msf = clients("kinesisanalyticsv2")
        if expires_at is None:
            msf.untag_resource(ResourceARN=arn, TagKeys=[TAG])
        else:
            msf.tag_resource(ResourceARN=arn, Tags=[{"Key": TAG, "Value": expires_at}])
    else:  # pragma: no cover - resources() yields only the kinds above
        raise ValueError("no way to tag %s %s" % (kind, arn))
    return True


def _tag_dict(client, arn_key, arn, expires_at, tags_key, keys_key):
    if expires_at is None:
        client.untag_resource(**{arn_key: arn, keys_key: [TAG]})
    else:
        client.tag_resource(**{arn_key: arn, tags_key: {TAG: expires_at}})


def expired(found, now):
    """{environment: {expires_at, expired, resources}} of every environment with an ExpiresAt tag."""
    environments = {}
    for resource in found:
        env = resource["tags"].get("Environment")
        value = resource["tags"].get(TAG)
        if not env or not value:
            continue
        try:
            when = parse(value, "tag %s of %s %s" % (TAG, resource["kind"], resource["id"]))
        except TtlError:
            continue  # a hand-edited tag that is not a time never tears anything down
        entry = environments.setdefault(env, {"expires_at": when, "resources": 0})
        entry["resources"] += 1
        entry["expires_at"] = max(entry["expires_at"], when)
    return dict((env, {"expires_at": render(e["expires_at"]), "expired": e["expires_at"] <= now,
                       "resources": e["resources"]}) for env, e in sorted(environments.items()))
