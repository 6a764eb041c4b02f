# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon EKS helpers shared by eks_addon, eks_cluster_endpoint and eks_token.

* ``describe_cluster`` / ``describe_addon`` -- read one object (None when it does not exist).
* ``default_addon_version`` -- the add-on version EKS marks default for a Kubernetes
  version, from DescribeAddonVersions (pure function).
* ``parse_configuration`` -- an add-on's ``configurationValues`` (JSON or YAML text) as a dict.
* ``normalize_cidrs`` -- IPv4 CIDRs checked and written the way EKS returns them.
* ``presigned_token`` -- the bearer token ``aws eks get-token`` prints.

Standard library and botocore only; errors surface as botocore exceptions,
``ValueError`` or ``WaitTimeout`` (module_utils/waiting.py) so the modules decide how to report them.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re

from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import poll

# aws eks get-token (awscli customizations/eks/get_token.py): the header that binds the
# presigned URL to one cluster, the URL's lifetime and the token prefix. The API server
# (aws-iam-authenticator) accepts a token for 15 minutes; the CLI reports 14.
K8S_AWS_ID_HEADER = "x-k8s-aws-id"
TOKEN_PREFIX = "k8s-aws-v1."
URL_EXPIRES_SECONDS = 60
TOKEN_VALID_MINUTES = 14

# Add-on statuses (botocore eks AddonStatus) that end by themselves, and those that need a person.
ADDON_TRANSITIONAL = ("CREATING", "UPDATING", "DELETING")
ADDON_FAILED = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")


def error_code(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "")


def error_message(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Message", "") or str(exc)


def describe_cluster(client, name):
    """DescribeCluster's ``cluster``, or None when there is no such cluster."""
    try:
        return client.describe_cluster(name=name, aws_retry=True)["cluster"]
    except Exception as exc:  # botocore ClientError
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def describe_nodegroup(client, cluster_name, name):
    """DescribeNodegroup's ``nodegroup``, or None when it (or its cluster) does not exist."""
    try:
        return client.describe_nodegroup(clusterName=cluster_name, nodegroupName=name, aws_retry=True)["nodegroup"]
    except Exception as exc:  # botocore ClientError
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def describe_addon(client, cluster_name, addon_name):
    """DescribeAddon's ``addon``, or None when the add-on (or the cluster) does not exist."""
    try:
        return client.describe_addon(clusterName=cluster_name, addonName=addon_name, aws_retry=True)["addon"]
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def endpoint_access(cluster):
    """A cluster's API endpoint access, as eks_cluster and eks_cluster_endpoint compare it."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    return {
        "private_access": bool(vpc.get("endpointPrivateAccess")),
        "public_access": bool(vpc.get("endpointPublicAccess")),
        "public_access_cidrs": normalize_cidrs(vpc.get("publicAccessCidrs") or []),
    }


# The endpoint options of eks_cluster and eks_cluster_endpoint (doc_fragments/eks_endpoint.py).
ENDPOINT_ARGS = dict(
    private_access=dict(type="bool", default=True),
    public_access=dict(type="bool", default=True),
    public_access_cidrs=dict(type="list", elements="str"),
)


def wanted_endpoint_access(params):
    """The endpoint access asked for, checked before any AWS call.

    Returns (access, warnings); raises ValueError with the message naming the option.
    With public access off the CIDRs are neither checked nor returned (empty).
    """
    if not params["private_access"] and not params["public_access"]:
        raise ValueError("private_access and public_access cannot both be false: the API server would be "
                         "unreachable (EKS refuses it too)")
    cidrs, warnings = [], []
    if params["public_access"]:
        if not params["public_access_cidrs"]:
            raise ValueError("public_access_cidrs is required when public_access is true: list the egress CIDRs "
                             "of the clients outside the VPC (without it EKS allows 0.0.0.0/0)")
        cidrs = normalize_cidrs(params["public_access_cidrs"])
        if "0.0.0.0/0" in cidrs:
            warnings.append(f"public_access_cidrs of cluster {params['name']} includes 0.0.0.0/0: its API endpoint "
                            "is open to the whole internet (only authentication protects it)")
    return ({"private_access": params["private_access"], "public_access": params["public_access"],
             "public_access_cidrs": cidrs}, warnings)


def version_key(version):
    """'v1.48.0-eksbuild.1' -> (1, 48, 0, 1): sortable."""
    return tuple(int(n) for n in re.findall(r"[0-9]+", str(version)))


def default_addon_version(addons, kubernetes_version):
    """The version of an add-on to install on a cluster of ``kubernetes_version``.

    ``addons``: DescribeAddonVersions' ``addons`` (one add-on). The version whose
    compatibility with that Kubernetes version says ``defaultVersion``; when EKS marks
    none, the newest compatible one; None when no version is compatible.
    """
    compatible, defaults = [], []
    for addon in addons or []:
        for version in addon.get("addonVersions") or []:
            for compat in version.get("compatibilities") or []:
                if str(compat.get("clusterVersion")) == str(kubernetes_version):
                    compatible.append(version["addonVersion"])
                    if compat.get("defaultVersion"):
                        defaults.append(version["addonVersion"])
    pool = defaults or compatible
    return max(pool, key=version_key) if pool else None


def parse_configuration(text):
    """configurationValues as EKS returns it (JSON or YAML text, or nothing) -> dict.

    Raises ValueError when the text is neither JSON nor YAML of a mapping.
    """
    if text is None or not str(text).strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        try:
            import yaml  # ansible-core's own dependency
        except ImportError:
            raise ValueError("configurationValues is not JSON and PyYAML is missing")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"configurationValues is neither JSON nor YAML: {exc}")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"configurationValues is a {type(value).__name__}, not a mapping")
    return value


def normalize_cidrs(values, name="public_access_cidrs"):
    """['203.0.113.0/24', ...] checked (IPv4, no host bits) and sorted. Raises ValueError."""
    out = []
    for index, value in enumerate(values or []):
        try:
            net = ipaddress.ip_network(str(value).strip(), strict=True)
        except ValueError as exc:
            hint = ""
            if "host bits set" in str(exc):
                hint = f" (the network is {ipaddress.ip_network(str(value).strip(), strict=False)})"
            raise ValueError(f"{name}[{index}] {value!r} is not a valid IPv4 CIDR{hint}")
        if net.version != 4:
            raise ValueError(f"{name}[{index}] {value} is IPv6; an IPv4 cluster's public endpoint takes IPv4 CIDRs")
        out.append(str(net))
    return sorted(set(out), key=lambda c: (ipaddress.ip_network(c).network_address, c))


def update_summary(update):
    """The fields of an EKS ``update`` a module returns."""
    return {k: update.get(k) for k in ("id", "status", "type", "errors")}


def wait_for_update(client, update, timeout, what, cluster_name, nodegroup_name=None):
    """Poll DescribeUpdate until ``update`` is no longer InProgress.

    Returns (final update, waited seconds, None when Successful or else a sentence
    starting with ``what``); raises WaitTimeout after ``timeout`` seconds."""
    ids = {"name": cluster_name, "updateId": update["id"]}
    if nodegroup_name:
        ids["nodegroupName"] = nodegroup_name
    final, waited = poll(lambda: client.describe_update(aws_retry=True, **ids)["update"],
                         lambda u: u["status"] != "InProgress", timeout, what, status_of=lambda u: u["status"])
    if final["status"] == "Successful":
        return final, waited, None
    errors = "; ".join(f"{e.get('errorCode')}: {e.get('errorMessage')}" for e in final.get("errors") or [])
    return final, waited, f"{what[:1].upper()}{what[1:]} ended {final['status']}" + (f": {errors}" if errors else "")


def presigned_token(sts_client, cluster_name):
    """A bearer token for the cluster's API server, made as ``aws eks get-token`` makes it.

    A presigned STS GetCallerIdentity URL (GET, valid URL_EXPIRES_SECONDS) whose
    signature covers the header ``x-k8s-aws-id: <cluster>``, base64url-encoded without
    padding and prefixed ``k8s-aws-v1.``. The API server presents it to STS; nothing
    here can check that it is accepted. Registers two handlers on ``sts_client``.
    """
    def move_param_to_context(params, context, **kwargs):
        if K8S_AWS_ID_HEADER in params:
            context[K8S_AWS_ID_HEADER] = params.pop(K8S_AWS_ID_HEADER)

    def add_header(request, **kwargs):
        if K8S_AWS_ID_HEADER in request.context:
            request.headers[K8S_AWS_ID_HEADER] = request.context[K8S_AWS_ID_HEADER]

    events = sts_client.meta.events
    events.register("provide-client-params.sts.GetCallerIdentity", move_param_to_context)
    events.register("before-sign.sts.GetCallerIdentity", add_header)
    url = sts_client.generate_presigned_url(
        "get_caller_identity", Params={K8S_AWS_ID_HEADER: cluster_name},
        ExpiresIn=URL_EXPIRES_SECONDS, HttpMethod="GET")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).decode("utf-8").rstrip("=")
