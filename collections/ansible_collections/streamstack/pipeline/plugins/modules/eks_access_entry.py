#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_access_entry
short_description: Give an IAM principal access to an EKS cluster's Kubernetes API, through an access entry
version_added: 0.9.0
description:
  - Reads the access entry and its associated access policies first, then makes them what
    is asked. B(Present) - C(CreateAccessEntry) when missing (type C(STANDARD)), then
    C(AssociateAccessPolicy) for each policy missing or with another scope, and
    C(DisassociateAccessPolicy) for each associated policy not asked for.
    B(Absent) - C(DeleteAccessEntry) (its associations go with it).
  - The cluster's authentication mode must include the API (C(API_AND_CONFIG_MAP) or
    C(API)); M(streamstack.pipeline.eks_cluster) sets it. A cluster in C(CONFIG_MAP) mode
    fails with that fix. A missing cluster fails for V(present) (in check mode it is the
    plan of a cluster created earlier in the run, reported as changed) and is nothing to do
    for V(absent).
  - Why it exists - no collection module manages EKS access entries. The project gives its
    time-to-live teardown's role cluster access this way, so the teardown that runs in
    AWS CodeBuild can uninstall Pinot and delete its volumes.
author:
  - streamstack maintainers
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  principal_arn:
    description: ARN of the IAM role or user given access.
    type: str
    required: true
  state:
    description: C(present) - the entry exists with exactly O(policies). C(absent) - no entry.
    type: str
    choices: [present, absent]
    default: present
  policies:
    description:
      - The access policies of the entry. Any other associated policy is disassociated.
    type: list
    elements: dict
    default: []
    suboptions:
      policy:
        description: An EKS access policy, by name (C(AmazonEKSClusterAdminPolicy)) or ARN.
        type: str
        required: true
      namespaces:
        description: Limit it to these namespaces; empty or unset for the whole cluster.
        type: list
        elements: str
        default: []
  tags:
    description: Tags of a new entry.
    type: dict
    aliases: [resource_tags]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: The time-to-live teardown's role administers the cluster
  streamstack.pipeline.eks_access_entry:
    cluster_name: streamstack-poc
    principal_arn: arn:aws:iam::123456789012:role/streamstack-poc-ttl-teardown
    policies:
      - policy: AmazonEKSClusterAdminPolicy
    tags: {Project: streamstack, Environment: poc}

- name: A reader of one namespace
  streamstack.pipeline.eks_access_entry:
    cluster_name: streamstack-poc
    principal_arn: arn:aws:iam::123456789012:role/analyst
    policies:
      - policy: AmazonEKSViewPolicy
        namespaces: [pinot]
"""

RETURN = r"""
access_entry:
  description: The entry as C(DescribeAccessEntry) returns it, in snake case (empty when absent).
  returned: always
  type: dict
policies:
  description: The associated policies after the run, C({policy_arn, access_scope}) each.
  returned: always
  type: list
  elements: dict
  sample: [{policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            access_scope: {type: cluster, namespaces: []}}]
diff:
  description: Before and after (the entry's principal and its policies), in diff mode.
  returned: when changed in diff mode
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
REFUSED = ("EKS refused the access entry of %s on %s; if the cluster's authentication mode is CONFIG_MAP, set "
           "eks_authentication_mode to API_AND_CONFIG_MAP (the eks role moves it forward)")


def policy_arn(name):
    return name if name.startswith("arn:") else POLICY_PREFIX + name


def scope(namespaces):
    return {"type": "namespace", "namespaces": sorted(namespaces)} if namespaces else {"type": "cluster",
                                                                                       "namespaces": []}


def read(client, cluster, principal):
    """(entry or None, {policy arn: scope}); raises for a missing cluster."""
    try:
        entry = client.describe_access_entry(clusterName=cluster, principalArn=principal, aws_retry=True)["accessEntry"]
    except is_boto3_error_code("ResourceNotFoundException"):
        client.describe_cluster(name=cluster, aws_retry=True)  # a missing cluster raises its own error
        return None, {}
    associated, token = {}, None
    while True:
        kwargs = {"clusterName": cluster, "principalArn": principal}
        if token:
            kwargs["nextToken"] = token
        page = client.list_associated_access_policies(aws_retry=True, **kwargs)
        for each in page.get("associatedAccessPolicies", []):
            found = each.get("accessScope") or {}
            associated[each["policyArn"]] = scope(found.get("namespaces") if found.get("type") == "namespace" else [])
        token = page.get("nextToken")
        if not token:
            return entry, associated


def view(entry, associated):
    return {"principal_arn": entry["principalArn"] if entry else None,
            "policies": [{"policy_arn": arn, "access_scope": s} for arn, s in sorted(associated.items())]}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            principal_arn=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            policies=dict(type="list", elements="dict", default=[], options=dict(
                policy=dict(type="str", required=True),
                namespaces=dict(type="list", elements="str", default=[]))),
            tags=dict(type="dict", aliases=["resource_tags"]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cluster, principal = p["cluster_name"], p["principal_arn"]
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
    wanted = {policy_arn(each["policy"]): scope(each["namespaces"] or []) for each in p["policies"]}
    try:
        entry, associated = read(client, cluster, principal)
    except is_boto3_error_code("ResourceNotFoundException"):
        if p["state"] == "absent":
            module.exit_json(changed=False, access_entry={}, policies=[])
        if module.check_mode:  # a plan: the cluster is created by an earlier task of the same run
            module.exit_json(changed=True, access_entry={"principal_arn": principal},
                             policies=view({"principalArn": principal}, wanted)["policies"])
        module.fail_json(msg=f"EKS cluster {cluster} does not exist: create it first (the eks role does)")
    except is_boto3_error_code("InvalidRequestException") as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=REFUSED % (principal, cluster))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the access entry of {principal} on {cluster}")

    before = view(entry, associated)
    after_entry = entry if p["state"] == "present" else None
    after_policies = wanted if p["state"] == "present" else {}
    changed = (entry is None) != (after_entry is None) or associated != after_policies
    if p["state"] == "present" and entry is None:
        after_entry = {"principalArn": principal}
    result = dict(changed=changed, access_entry=camel_dict_to_snake_dict(after_entry or {}),
                  policies=view(after_entry, after_policies)["policies"])
    if changed and module._diff:
        result["diff"] = {"before": before, "after": view(after_entry, after_policies)}
    if not changed or module.check_mode:
        module.exit_json(**result)
    try:
        if p["state"] == "absent":
            try:
                client.delete_access_entry(clusterName=cluster, principalArn=principal, aws_retry=True)
            except is_boto3_error_code("ResourceNotFoundException"):
                pass  # gone meanwhile
            module.exit_json(**result)
        if entry is None:
            request = {"clusterName": cluster, "principalArn": principal, "type": "STANDARD"}
            if p["tags"]:
                request["tags"] = {str(k): str(v) for k, v in p["tags"].items()}
            entry = client.create_access_entry(aws_retry=True, **request)["accessEntry"]
            result["access_entry"] = camel_dict_to_snake_dict(entry)
        for arn in sorted(set(associated) - set(wanted)):
            client.disassociate_access_policy(clusterName=cluster, principalArn=principal, policyArn=arn,
                                              aws_retry=True)
        for arn, access in sorted(wanted.items()):
            if associated.get(arn) != access:
                request_scope = {"type": access["type"]}
                if access["namespaces"]:
                    request_scope["namespaces"] = access["namespaces"]
                client.associate_access_policy(clusterName=cluster, principalArn=principal, policyArn=arn,
                                               accessScope=request_scope, aws_retry=True)
    except is_boto3_error_code("InvalidRequestException") as e:
        module.fail_json_aws(e, msg=REFUSED % (principal, cluster))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to set the access entry of {principal} on {cluster}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
