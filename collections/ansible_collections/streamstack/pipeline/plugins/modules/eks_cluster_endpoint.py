#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_cluster_endpoint
short_description: Restrict who reaches an Amazon EKS cluster's Kubernetes API endpoint
version_added: 0.3.0
description:
  - Reads the cluster's C(resourcesVpcConfig) and, when the endpoint access differs from
    what is asked, calls C(UpdateClusterConfig) with C(endpointPrivateAccess),
    C(endpointPublicAccess) and C(publicAccessCidrs).
  - Why it exists - C(community.aws.eks_cluster) 10 cannot set endpoint access, and EKS
    creates every cluster with a public endpoint open to C(0.0.0.0/0) and no private one.
  - B(Private access) lets the nodes (and anything in the VPC) reach the API server
    without leaving the VPC. With a public endpoint limited to a few CIDRs it is required -
    nodes behind a NAT gateway are not in those CIDRs and would never join.
  - B(Public access) is for clients outside the VPC (a laptop, AWX). Give the egress
    CIDRs of those clients in O(public_access_cidrs); the module warns about C(0.0.0.0/0).
    With O(public_access=false) the CIDRs are neither sent nor compared.
  - The cluster must be C(ACTIVE) for an update; with O(wait=true) a cluster in a
    transition is waited for first. An endpoint update takes several minutes on AWS;
    with O(wait=false) poll M(streamstack.pipeline.eks_cluster_info) until the cluster
    is C(ACTIVE) again, to wait with progress.
author:
  - streamstack maintainers
options:
  name:
    description: Name of the EKS cluster.
    type: str
    required: true
    aliases: [cluster_name]
  wait:
    description: Wait inside the module until the update is C(Successful) (or has failed).
    type: bool
    default: true
  wait_timeout:
    description: Upper bound of that wait (and of the wait for an C(ACTIVE) cluster), seconds.
    type: int
    default: 1200
extends_documentation_fragment:
  - streamstack.pipeline.eks_endpoint
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - EKS refuses to disable both endpoints; so does this module.
"""

EXAMPLES = r"""
- name: Private endpoint for the nodes, public one for the office and AWX only
  streamstack.pipeline.eks_cluster_endpoint:
    name: streamstack-poc
    private_access: true
    public_access: true
    public_access_cidrs: [198.51.100.0/24, 203.0.113.10/32]
    wait: false
  register: endpoint

- name: Wait for the endpoint update, about 5-10 min on AWS
  streamstack.pipeline.eks_cluster_info:
    name: streamstack-poc
  register: eks
  until: eks.clusters[0].status == 'ACTIVE'
  retries: 60
  delay: 20
  when: endpoint.changed

- name: Private endpoint only (Ansible then has to run inside the VPC)
  streamstack.pipeline.eks_cluster_endpoint:
    name: streamstack-poc
    public_access: false
"""

RETURN = r"""
cluster_name:
  description: The cluster.
  returned: always
  type: str
endpoint_access:
  description: The endpoint access after the run (what check mode would set).
  returned: always
  type: dict
  contains:
    private_access:
      description: Private endpoint enabled.
      type: bool
    public_access:
      description: Public endpoint enabled.
      type: bool
    public_access_cidrs:
      description: CIDRs allowed to the public endpoint (EKS keeps them while public access is off).
      type: list
      elements: str
  sample: {"private_access": true, "public_access": true, "public_access_cidrs": ["203.0.113.0/24"]}
cluster_update:
  description:
    - The C(EndpointAccessUpdate) started (id, status, type, errors); its final status when waited for.
    - Named so, not C(update), because Jinja2 would read C(result.update) as the dict method.
  returned: when changed and not in check mode
  type: dict
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
diff:
  description: Endpoint access before and after.
  returned: when changed
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils.eks import (
    ENDPOINT_ARGS,
    describe_cluster,
    endpoint_access,
    normalize_cidrs,
    update_summary,
    wait_for_update,
    wanted_endpoint_access,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import WaitTimeout, poll

TRANSITIONAL = ("CREATING", "UPDATING", "DELETING", "PENDING")


def wanted_access(params, current):
    """What the cluster should have; CIDRs are kept as they are when public access is off."""
    cidrs = normalize_cidrs(params["public_access_cidrs"]) if params["public_access"] else current["public_access_cidrs"]
    return {"private_access": params["private_access"], "public_access": params["public_access"],
            "public_access_cidrs": cidrs}


def update_request(wanted, current):
    request = {"endpointPrivateAccess": wanted["private_access"], "endpointPublicAccess": wanted["public_access"]}
    if wanted["public_access"] and wanted["public_access_cidrs"] != current["public_access_cidrs"]:
        request["publicAccessCidrs"] = wanted["public_access_cidrs"]
    return request


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["cluster_name"]),
            **ENDPOINT_ARGS,
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name = p["name"]
    try:
        _, warnings = wanted_endpoint_access(p)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    if p["wait_timeout"] < 1:
        module.fail_json(msg=f"wait_timeout must be at least 1 second, got {p['wait_timeout']}")

    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, cluster_name=name, waited=0.0)
    try:
        cluster = describe_cluster(client, name)
        if cluster is None:
            module.fail_json(msg=f"EKS cluster {name} not found", **result)
        before = endpoint_access(cluster)
        after = wanted_access(p, before)
        result["endpoint_access"] = before
        if after == before:
            module.exit_json(**result)
        result.update(changed=True, endpoint_access=after, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        def read():
            return describe_cluster(client, name)

        if cluster["status"] != "ACTIVE":
            if not p["wait"] or cluster["status"] not in TRANSITIONAL:
                module.fail_json(msg=f"EKS cluster {name} is {cluster['status']}; its endpoint access can change only "
                                     "when ACTIVE" + ("" if p["wait"] else " (run again, or with wait=true)"), **result)
            cluster, waited = poll(read, lambda c: c is None or c["status"] not in TRANSITIONAL, p["wait_timeout"],
                                   f"cluster {name} to be ACTIVE", status_of=lambda c: c["status"] if c else None)
            result["waited"] += waited
            if cluster is None or cluster["status"] != "ACTIVE":
                module.fail_json(msg=f"EKS cluster {name} is {cluster['status'] if cluster else 'gone'}, not ACTIVE",
                                 **result)
            before = endpoint_access(cluster)
            if after == before:  # someone else made the change meanwhile
                result.update(endpoint_access=before)
                module.exit_json(**result)

        update = client.update_cluster_config(
            name=name, resourcesVpcConfig=update_request(after, before), aws_retry=True)["update"]
        result["cluster_update"] = update_summary(update)
        if p["wait"]:
            final, waited, failure = wait_for_update(client, update, p["wait_timeout"],
                                                     f"the endpoint update of cluster {name}", name)
            result["waited"] += waited
            result["cluster_update"] = update_summary(final)
            if failure:
                module.fail_json(msg=failure, **result)
    except WaitTimeout as exc:
        result["waited"] += exc.waited
        module.fail_json(msg=f"{exc}. The cluster stays as it was until the update finishes; run again later.",
                         **result)
    except ValueError as exc:  # CIDRs EKS returned that do not parse
        module.fail_json(msg=f"Cluster {name}: {exc}", **result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to set the endpoint access of EKS cluster {name}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
