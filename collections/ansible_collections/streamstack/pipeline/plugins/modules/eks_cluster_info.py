#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_cluster_info
short_description: Find Amazon EKS clusters by name or tags, with their managed node groups
version_added: 0.1.0
description:
  - Read-only. Returns each matching EKS cluster's status, version, endpoint and
    certificate authority, and the status and scaling of every managed node group.
  - C(community.aws) has no EKS info module; poll this one with C(until) to wait for
    a cluster or node group with progress, and use O(tags) to find every cluster of an
    environment when the outputs file is gone.
author:
  - streamstack maintainers
options:
  name:
    description: Exact cluster name.
    type: str
  tags:
    description: Tags the cluster must carry (all of them, with these values).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the control plane, showing progress
  streamstack.pipeline.eks_cluster_info:
    name: streamstack-poc
  register: eks
  until: eks.clusters | length == 1 and eks.clusters[0].status == 'ACTIVE'
  retries: 60
  delay: 20

- name: Find every cluster of an environment
  streamstack.pipeline.eks_cluster_info:
    tags:
      Project: streamstack
      Environment: poc
  register: eks
"""

RETURN = r"""
clusters:
  description: Matching clusters (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Cluster name.
      type: str
    arn:
      description: Cluster ARN.
      type: str
    status:
      description: CREATING, ACTIVE, UPDATING, DELETING or FAILED.
      type: str
    version:
      description: Kubernetes version.
      type: str
    endpoint:
      description: API server endpoint (once ACTIVE).
      type: str
    certificate_authority:
      description: Base64 CA bundle of the API server (once ACTIVE).
      type: str
    role_arn:
      description: Cluster IAM role.
      type: str
    vpc_config:
      description: resourcesVpcConfig, snake_cased.
      type: dict
    tags:
      description: Cluster tags.
      type: dict
    nodegroups:
      description: Managed node groups with status, scaling, instance types and capacity type.
      type: list
      elements: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def _nodegroups(client, cluster_name):
    names = client.get_paginator("list_nodegroups").paginate(clusterName=cluster_name).build_full_result()
    groups = []
    for ng_name in names.get("nodegroups", []):
        try:
            ng = client.describe_nodegroup(clusterName=cluster_name, nodegroupName=ng_name, aws_retry=True)["nodegroup"]
        except client.exceptions.ResourceNotFoundException:
            continue  # deleted between list and describe
        groups.append({
            "name": ng["nodegroupName"],
            "status": ng.get("status"),
            "scaling": camel_dict_to_snake_dict(ng.get("scalingConfig", {})),
            "instance_types": ng.get("instanceTypes", []),
            "capacity_type": ng.get("capacityType"),
            "disk_size": ng.get("diskSize"),
            "subnets": ng.get("subnets", []),
            "node_role": ng.get("nodeRole"),
            "tags": ng.get("tags", {}),
        })
    return groups


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name=dict(type="str"), tags=dict(type="dict")),
        supports_check_mode=True,
    )
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
    name, tags = module.params["name"], module.params["tags"] or {}
    clusters = []
    try:
        names = [name] if name else client.get_paginator("list_clusters").paginate().build_full_result().get("clusters", [])
        for cluster_name in names:
            try:
                c = client.describe_cluster(name=cluster_name, aws_retry=True)["cluster"]
            except client.exceptions.ResourceNotFoundException:
                continue
            if not all(c.get("tags", {}).get(k) == str(v) for k, v in tags.items()):
                continue
            clusters.append({
                "name": c["name"],
                "arn": c.get("arn"),
                "status": c.get("status"),
                "version": c.get("version"),
                "endpoint": c.get("endpoint"),
                "certificate_authority": c.get("certificateAuthority", {}).get("data"),
                "role_arn": c.get("roleArn"),
                "vpc_config": camel_dict_to_snake_dict(c.get("resourcesVpcConfig", {})),
                "tags": c.get("tags", {}),
                "nodegroups": _nodegroups(client, c["name"]),
            })
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to look up EKS clusters")
    module.exit_json(changed=False, clusters=clusters)


if __name__ == "__main__":
    main()
