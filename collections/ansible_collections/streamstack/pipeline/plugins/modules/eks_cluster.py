#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_cluster
short_description: Create or delete an Amazon EKS control plane, its API endpoint restricted from the start
version_added: 0.3.0
description:
  - Reads the cluster first. B(Missing) - C(CreateCluster) with the version, the role, the
    subnets and security groups, the tags and the endpoint access in the same request.
  - Why it exists - C(community.aws.eks_cluster) 10 cannot send endpoint access, so EKS
    creates the cluster with a public endpoint open to C(0.0.0.0/0), and it stays open for
    the 10-15 minutes the control plane takes to come up before anything can narrow it.
    Here the public endpoint is limited to O(public_access_cidrs) (or off) from the first
    second.
  - B(Existing) - nothing is changed but the authentication mode, moved forward when
    O(authentication_mode) asks (C(CONFIG_MAP) to C(API_AND_CONFIG_MAP) to C(API), the only
    way EKS allows; backwards fails). A different version, subnets or security groups fail
    (EKS cannot change the subnets or groups; a version upgrade is a deliberate step, not a
    side effect). A different endpoint access is reported in RV(endpoint_access_differs),
    and M(streamstack.pipeline.eks_cluster_endpoint) changes it.
  - B(Absent) - C(DeleteCluster) when the cluster exists and is not already being deleted.
    EKS refuses while node groups remain; the error says so.
  - With O(wait=false) (the default) poll M(streamstack.pipeline.eks_cluster_info) to wait
    with progress; a control plane takes about 15 minutes to come up on AWS.
author:
  - streamstack maintainers
options:
  name:
    description: Name of the EKS cluster.
    type: str
    required: true
  state:
    description: C(present) - exists (created when missing). C(absent) - deleted.
    type: str
    choices: [present, absent]
    default: present
  version:
    description: Kubernetes version (C(1.35)). Required to create.
    type: str
  role_arn:
    description: ARN of the control plane's IAM role (trusts C(eks.amazonaws.com)). Required to create.
    type: str
  subnets:
    description: Subnet IDs, in at least two Availability Zones. Required to create.
    type: list
    elements: str
  security_groups:
    description: Security group IDs for the control plane's network interfaces (EKS adds its own cluster group).
    type: list
    elements: str
    default: []
  authentication_mode:
    description:
      - How the Kubernetes API authenticates IAM principals. C(API_AND_CONFIG_MAP) or C(API)
        allow access entries (M(streamstack.pipeline.eks_access_entry)); the creator of a new
        cluster gets an admin entry. Unset - EKS's default for a new cluster (C(CONFIG_MAP)),
        and an existing cluster's is left alone.
    type: str
    choices: [CONFIG_MAP, API_AND_CONFIG_MAP, API]
  tags:
    description: Tags of a new cluster (an existing cluster's tags are left to the tagging API).
    type: dict
    aliases: [resource_tags]
  wait:
    description: Wait until the cluster is C(ACTIVE) (present) or gone (absent).
    type: bool
    default: false
  wait_timeout:
    description: Upper bound of that wait, seconds.
    type: int
    default: 1200
extends_documentation_fragment:
  - streamstack.pipeline.eks_endpoint
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Create the control plane, its public endpoint open to the office and AWX only
  streamstack.pipeline.eks_cluster:
    name: streamstack-poc
    version: "1.35"
    role_arn: arn:aws:iam::123456789012:role/streamstack/poc/streamstack-poc-eks-cluster
    subnets: [subnet-0aaa, subnet-0bbb]
    security_groups: [sg-0ccc]
    private_access: true
    public_access: true
    public_access_cidrs: [198.51.100.0/24, 203.0.113.10/32]
    tags: {Project: streamstack, Environment: poc}
  register: cluster

- name: Wait for the control plane, about 15 min on AWS
  streamstack.pipeline.eks_cluster_info:
    name: streamstack-poc
  register: eks
  until: eks.clusters[0].status in ['ACTIVE', 'FAILED']
  retries: 60
  delay: 20

- name: Delete it (node groups first)
  streamstack.pipeline.eks_cluster:
    name: streamstack-poc
    state: absent
"""

RETURN = r"""
cluster:
  description: The cluster as C(DescribeCluster) returns it, in snake case (empty when absent; in check mode, what would be asked).
  returned: always
  type: dict
endpoint_access:
  description: The cluster's endpoint access (what a create asks for).
  returned: when present
  type: dict
  contains:
    private_access:
      description: Private endpoint enabled.
      type: bool
    public_access:
      description: Public endpoint enabled.
      type: bool
    public_access_cidrs:
      description: CIDRs allowed to the public endpoint.
      type: list
      elements: str
  sample: {"private_access": true, "public_access": true, "public_access_cidrs": ["203.0.113.0/24"]}
authentication_mode_update:
  description: The update that moves an existing cluster's authentication mode forward (C(UpdateClusterConfig)).
  returned: when that changed
  type: dict
endpoint_access_differs:
  description: An existing cluster's endpoint access is not what was asked (eks_cluster_endpoint changes it).
  returned: when present
  type: bool
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
diff:
  description: The cluster before and after (name, version, endpoint access).
  returned: when changed
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils.iam_propagation import missing_role, until_assumable
from ansible_collections.streamstack.pipeline.plugins.module_utils.eks import (
    ENDPOINT_ARGS,
    describe_cluster,
    endpoint_access,
    error_code,
    wanted_endpoint_access,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import WaitTimeout, poll

# The order EKS allows an existing cluster to move in (never back).
AUTHENTICATION_MODES = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]


def check_params(module):
    p = module.params
    if p["wait_timeout"] < 1:
        module.fail_json(msg=f"wait_timeout must be at least 1 second, got {p['wait_timeout']}")
    if p["state"] == "absent":
        return None
    try:
        wanted, warnings = wanted_endpoint_access(p)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    return wanted


def immutable_differences(cluster, p):
    """What an existing cluster has that the task asks differently and this module will not change."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    problems = []
    if p["version"] and p["version"] != cluster.get("version"):
        problems.append(f"version {cluster.get('version')} (asked {p['version']}; upgrade it deliberately, one minor "
                        "version at a time)")
    if p["subnets"] and set(p["subnets"]) != set(vpc.get("subnetIds") or []):
        problems.append(f"subnets {sorted(vpc.get('subnetIds') or [])} (asked {sorted(p['subnets'])}; EKS cannot "
                        "change them)")
    if p["security_groups"] and set(p["security_groups"]) != set(vpc.get("securityGroupIds") or []):
        problems.append(f"security groups {sorted(vpc.get('securityGroupIds') or [])} (asked "
                        f"{sorted(p['security_groups'])}; EKS cannot change them)")
    return problems


def ensure_present(module, client, wanted_access, result):
    p = module.params
    name = p["name"]
    cluster = describe_cluster(client, name)
    if cluster and cluster["status"] == "DELETING":
        module.fail_json(msg=f"EKS cluster {name} is being deleted; run again once it is gone", **result)
    if cluster:
        problems = immutable_differences(cluster, p)
        if problems:
            module.fail_json(msg=f"EKS cluster {name} exists with " + "; ".join(problems), **result)
        current = endpoint_access(cluster)
        result.update(cluster=camel_dict_to_snake_dict(cluster), endpoint_access=current,
                      endpoint_access_differs=current != wanted_access)
        move_authentication_mode(module, client, cluster, result)
        return cluster

    missing = [k for k in ("version", "role_arn", "subnets") if not p[k]]
    if missing:
        module.fail_json(msg=f"EKS cluster {name} does not exist; to create it, give {', '.join(missing)}", **result)
    request = dict(
        name=name,
        version=p["version"],
        roleArn=p["role_arn"],
        resourcesVpcConfig=dict(
            subnetIds=p["subnets"],
            securityGroupIds=p["security_groups"],
            endpointPrivateAccess=wanted_access["private_access"],
            endpointPublicAccess=wanted_access["public_access"],
        ),
    )
    if wanted_access["public_access"]:
        request["resourcesVpcConfig"]["publicAccessCidrs"] = wanted_access["public_access_cidrs"]
    if p["tags"]:
        request["tags"] = {str(k): str(v) for k, v in p["tags"].items()}
    if p["authentication_mode"]:
        request["accessConfig"] = {"authenticationMode": p["authentication_mode"],
                                   "bootstrapClusterCreatorAdminPermissions": True}
    after = {"name": name, "version": p["version"], "endpoint_access": wanted_access}
    result.update(changed=True, endpoint_access=wanted_access, endpoint_access_differs=False,
                  diff={"before": {}, "after": after})
    if module.check_mode:
        result["cluster"] = camel_dict_to_snake_dict(request)
        return None
    if missing_role(module, p["role_arn"]):
        module.fail_json(msg=f"role_arn {p['role_arn']} does not exist in IAM: create it first (the eks role "
                             "does) or correct the ARN")
    # The cluster role may be seconds old (the eks role creates it just before).
    cluster = until_assumable()(client.create_cluster)(**request)["cluster"]
    result["cluster"] = camel_dict_to_snake_dict(cluster)
    return cluster


def move_authentication_mode(module, client, cluster, result):
    """An existing cluster's authentication mode, moved forward to the one asked."""
    wanted = module.params["authentication_mode"]
    current = (cluster.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"
    if not wanted or wanted == current:
        return
    if AUTHENTICATION_MODES.index(wanted) < AUTHENTICATION_MODES.index(current):
        module.fail_json(msg=f"EKS cluster {cluster['name']} authenticates with {current}; EKS cannot go back to "
                             f"{wanted}: set eks_authentication_mode to {current}", **result)
    result["changed"] = True
    if module._diff:
        result["diff"] = {"before": {"authentication_mode": current}, "after": {"authentication_mode": wanted}}
    if module.check_mode:
        return
    update = client.update_cluster_config(name=cluster["name"], accessConfig={"authenticationMode": wanted},
                                          aws_retry=True)["update"]
    result["authentication_mode_update"] = camel_dict_to_snake_dict(update)


def ensure_absent(module, client, result):
    name = module.params["name"]
    cluster = describe_cluster(client, name)
    if cluster is None:
        return None
    result["cluster"] = camel_dict_to_snake_dict(cluster)
    if cluster["status"] == "DELETING":
        return cluster
    result.update(changed=True, diff={"before": {"name": name, "version": cluster.get("version")}, "after": {}})
    if module.check_mode:
        return None
    try:
        client.delete_cluster(name=name, aws_retry=True)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":  # gone meanwhile
            result.update(changed=False)
            return None
        if error_code(exc) == "ResourceInUseException":
            module.fail_json(msg=f"EKS cluster {name} still has node groups (or another update runs); delete the "
                                 f"node groups first: {exc}", **result)
        raise
    return cluster


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            version=dict(type="str"),
            role_arn=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str", default=[]),
            **ENDPOINT_ARGS,
            authentication_mode=dict(type="str", choices=AUTHENTICATION_MODES),
            tags=dict(type="dict", aliases=["resource_tags"]),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name = p["name"]
    wanted_access = check_params(module)
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, cluster={}, waited=0.0)
    try:
        if p["state"] == "present":
            cluster = ensure_present(module, client, wanted_access, result)
            if cluster and p["wait"] and cluster["status"] != "ACTIVE":
                cluster, waited = poll(lambda: describe_cluster(client, name),
                                       lambda c: c is None or c["status"] not in ("CREATING", "UPDATING", "PENDING"),
                                       p["wait_timeout"], f"cluster {name} to be ACTIVE",
                                       status_of=lambda c: c["status"] if c else None)
                result["waited"] = waited
                result["cluster"] = camel_dict_to_snake_dict(cluster or {})
                if cluster is None or cluster["status"] != "ACTIVE":
                    module.fail_json(msg=f"EKS cluster {name} is {cluster['status'] if cluster else 'gone'}, not "
                                         "ACTIVE", **result)
        else:
            cluster = ensure_absent(module, client, result)
            if cluster and p["wait"]:
                _, waited = poll(lambda: describe_cluster(client, name), lambda c: c is None, p["wait_timeout"],
                                 f"cluster {name} to be deleted", status_of=lambda c: c["status"] if c else None)
                result["waited"] = waited
    except WaitTimeout as exc:
        result["waited"] = exc.waited
        module.fail_json(msg=f"{exc}. Run again later, or poll eks_cluster_info.", **result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to {'create' if p['state'] == 'present' else 'delete'} EKS cluster {name}",
                             **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
