#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_nodegroup_scaling
short_description: Set the size (minimum, desired, maximum) of an existing Amazon EKS managed node group
version_added: 0.3.0
description:
  - Reads the node group (C(DescribeNodegroup)) and, when its C(scalingConfig) differs from
    the sizes given, calls C(UpdateNodegroupConfig) with the C(scalingConfig) only. A size
    left unset is kept as it is. Nothing else of the node group is read or changed.
  - Why it exists - C(community.aws.eks_nodegroup) resizes only as part of the whole
    definition (node role, subnets, launch template and version, labels, taints, tags; left
    out, it resets them), and reports no diff. Pausing a stack needs only the size changed.
  - B(Scaling to zero) - O(min_size=0) and O(desired_size=0); EKS drains and terminates the
    nodes. O(max_size) must stay at least 1 (EKS refuses 0). Pods whose nodes go wait
    C(Pending); their persistent volumes (EBS) stay.
  - Checked before any call, as EKS checks them - every size at least 0, O(max_size) at
    least 1, minimum <= desired <= maximum (sizes not given taken from the node group).
  - The node group must be C(ACTIVE) for an update. One in C(CREATING) or C(UPDATING) is
    waited for first (up to O(wait_timeout)); any other status fails.
  - With O(wait=true) the module waits until the update is C(Successful). The update ends
    when EKS has set the Auto Scaling group's size, not when the instances have started or
    terminated; to wait for those, poll C(amazon.aws.ec2_instance_info) with the filter
    C(tag:eks:nodegroup-name). With O(wait=false) poll
    M(streamstack.pipeline.eks_cluster_info) to wait with progress.
author:
  - streamstack maintainers
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  name:
    description: Name of the managed node group.
    type: str
    required: true
    aliases: [nodegroup_name]
  min_size:
    description: Minimum number of nodes (0 or more). Unset - kept.
    type: int
  desired_size:
    description: Number of nodes wanted now (0 or more, between the minimum and the maximum). Unset - kept.
    type: int
  max_size:
    description: Maximum number of nodes (1 or more). Unset - kept.
    type: int
  wait:
    description: Wait inside the module until the update is C(Successful) (or has failed).
    type: bool
    default: false
  wait_timeout:
    description: Upper bound of that wait, and of the wait for a node group in a transition, seconds.
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - IAM permissions - C(eks:DescribeNodegroup), C(eks:UpdateNodegroupConfig), C(eks:DescribeUpdate).
"""

EXAMPLES = r"""
- name: Scale the node group to zero, keeping its maximum
  streamstack.pipeline.eks_nodegroup_scaling:
    cluster_name: streamstack-poc
    name: streamstack-poc-nodes
    min_size: 0
    desired_size: 0
  register: scaled

- name: Wait for the node group, about 1 min on AWS (the nodes drain after that)
  streamstack.pipeline.eks_cluster_info:
    name: streamstack-poc
  register: eks
  until: (eks.clusters[0].nodegroups | selectattr('name', 'equalto', 'streamstack-poc-nodes') | first).status == 'ACTIVE'
  retries: 60
  delay: 20
  when: scaled.changed

- name: Back to the inventory's size
  streamstack.pipeline.eks_nodegroup_scaling:
    cluster_name: streamstack-poc
    name: streamstack-poc-nodes
    min_size: 2
    desired_size: 2
    max_size: 4
    wait: true
"""

RETURN = r"""
cluster_name:
  description: The cluster.
  returned: always
  type: str
name:
  description: The node group.
  returned: always
  type: str
scaling:
  description: The node group's size after the run (in check mode, what it would be).
  returned: always
  type: dict
  contains:
    min_size:
      description: Minimum.
      type: int
    desired_size:
      description: Desired.
      type: int
    max_size:
      description: Maximum.
      type: int
  sample: {"min_size": 0, "desired_size": 0, "max_size": 4}
previous_scaling:
  description: The node group's size before the run.
  returned: always
  type: dict
  sample: {"min_size": 2, "desired_size": 2, "max_size": 4}
status:
  description: The node group's status when the module ended (ACTIVE, UPDATING, ...).
  returned: always
  type: str
nodegroup_update:
  description:
    - The C(ConfigUpdate) started (id, status, type, errors); its final status when waited for.
    - Named so, not C(update), because Jinja2 would read C(result.update) as the dict method.
  returned: when changed and not in check mode
  type: dict
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
diff:
  description: The sizes before and after.
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
    describe_nodegroup,
    update_summary,
    wait_for_update,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import WaitTimeout, poll

# Statuses that end by themselves; an update waits them out.
TRANSITIONAL = ("CREATING", "UPDATING")
SIZES = ("min_size", "desired_size", "max_size")
API_NAMES = {"min_size": "minSize", "desired_size": "desiredSize", "max_size": "maxSize"}


def sizes_of(nodegroup):
    scaling = nodegroup.get("scalingConfig") or {}
    return {key: scaling.get(api) for key, api in API_NAMES.items()}


def wanted_sizes(params, current):
    return {key: current[key] if params[key] is None else params[key] for key in SIZES}


def problems_with(sizes):
    """What EKS would refuse about these sizes, one sentence each (empty: fine)."""
    out = []
    for key in ("min_size", "desired_size"):
        if sizes[key] is not None and sizes[key] < 0:
            out.append(f"{key} must be 0 or more, got {sizes[key]}")
    if sizes["max_size"] is not None and sizes["max_size"] < 1:
        out.append(f"max_size must be 1 or more (EKS refuses a maximum of 0; scale to zero with min_size=0 and "
                   f"desired_size=0), got {sizes['max_size']}")
    if not out:  # the order of every two sizes given
        for low, high in (("min_size", "desired_size"), ("desired_size", "max_size"), ("min_size", "max_size")):
            if sizes[low] is not None and sizes[high] is not None and sizes[low] > sizes[high]:
                out.append(f"{low} {sizes[low]} is greater than {high} {sizes[high]}")
                break
    return out


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True, aliases=["nodegroup_name"]),
            min_size=dict(type="int"),
            desired_size=dict(type="int"),
            max_size=dict(type="int"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cluster_name, name = p["cluster_name"], p["name"]
    if p["wait_timeout"] < 1:
        module.fail_json(msg=f"wait_timeout must be at least 1 second, got {p['wait_timeout']}")
    given = problems_with({key: p[key] for key in SIZES})
    if given:
        module.fail_json(msg=f"Node group {name}: " + "; ".join(given))

    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, cluster_name=cluster_name, name=name, waited=0.0)
    where = f"node group {name} of EKS cluster {cluster_name}"
    try:
        nodegroup = describe_nodegroup(client, cluster_name, name)
        if nodegroup is None:
            module.fail_json(msg=f"The {where} does not exist", **result)
        before = sizes_of(nodegroup)
        after = wanted_sizes(p, before)
        result.update(scaling=before, previous_scaling=before, status=nodegroup.get("status"))
        wrong = problems_with(after)
        if wrong:
            module.fail_json(msg=f"The {where} cannot take these sizes (now {before}): " + "; ".join(wrong), **result)
        if after == before:
            module.exit_json(**result)
        result.update(changed=True, scaling=after, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        def read():
            return describe_nodegroup(client, cluster_name, name)

        if nodegroup["status"] != "ACTIVE":
            if nodegroup["status"] not in TRANSITIONAL:
                module.fail_json(msg=f"The {where} is {nodegroup['status']}; its size can change only when ACTIVE",
                                 **result)
            nodegroup, waited = poll(read, lambda n: n is None or n["status"] not in TRANSITIONAL, p["wait_timeout"],
                                     f"{where} to be ACTIVE", status_of=lambda n: n["status"] if n else None)
            result["waited"] += waited
            if nodegroup is None or nodegroup["status"] != "ACTIVE":
                module.fail_json(msg=f"The {where} is {nodegroup['status'] if nodegroup else 'gone'}, not ACTIVE",
                                 **result)
            before = sizes_of(nodegroup)
            after = wanted_sizes(p, before)
            result.update(previous_scaling=before, scaling=after, diff={"before": before, "after": after})
            if after == before:  # someone else made the change meanwhile
                result.update(changed=False, status=nodegroup["status"])
                result.pop("diff")
                module.exit_json(**result)

        update = client.update_nodegroup_config(
            clusterName=cluster_name, nodegroupName=name, aws_retry=True,
            scalingConfig={API_NAMES[key]: value for key, value in after.items()})["update"]
        result["nodegroup_update"] = update_summary(update)
        if p["wait"]:
            final, waited, failure = wait_for_update(client, update, p["wait_timeout"],
                                                     f"the size update of the {where}", cluster_name, name)
            result["waited"] += waited
            result["nodegroup_update"] = update_summary(final)
            if failure:
                module.fail_json(msg=failure, **result)
        latest = read()
        result["status"] = latest["status"] if latest else None
    except WaitTimeout as exc:
        result["waited"] += exc.waited
        module.fail_json(msg=f"{exc}. Run again later: the module changes only what still differs.", **result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to set the size of the {where}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
