#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_audit
short_description: Find every resource of one environment left in an AWS account, and what it costs per hour
version_added: 0.1.0
description:
  - Read-only leak audit. Lists what still exists of the environment O(project)/O(environment)
    in the region, with the reason each resource belongs to it and its estimated cost per hour
    from the project's price table (C(plugins/module_utils/prices.py)).
  - Resources are found service by service, not through the Resource Groups Tagging API (which
    misses Elastic IPs, EKS and IAM, and returns deleted NAT gateways).
  - "Found by the environment's tags (O(tags)): VPCs, subnets, security groups, NAT gateways,
    Elastic IPs, network interfaces, instances, EBS volumes, load balancers, target groups, MSK
    clusters, EKS clusters and node groups, Managed Flink applications, CloudWatch log groups,
    S3 buckets, IAM roles."
  - "Found without our tags, by belonging to the environment: everything in its VPCs (network
    interfaces made by EKS, Managed Flink or load balancers, load balancers, target groups, NAT
    gateways, instances, MSK and EKS clusters, Flink applications); Elastic IPs held by those
    network interfaces, NAT gateways or instances; EBS volumes tagged
    C(kubernetes.io/cluster/<eks_cluster_name>) (the volumes of Kubernetes claims) or attached
    to the environment's instances; every node group of the environment's EKS clusters; the MSK
    configurations named after the cluster; the log groups C(/aws/msk/<msk_cluster_name>),
    C(/aws/kinesis-analytics/<flink_app_name>) and C(/aws/eks/<eks_cluster_name>/...); the code
    bucket C(<flink_app_name>-flink-code-*); IAM roles under O(iam_path)."
  - VPCs, subnets, security groups, target groups, IAM roles, MSK configurations, stopped Flink
    applications and network interfaces without a public IPv4 address cost nothing by themselves;
    they are reported with RV(leftovers[].billable=false) and never count as billable.
  - A charge whose price is not in the price table is reported under RV(missing_prices) and in
    the finding's text, never as a silent zero.
  - Never fails because of what it finds (check RV(billable_count)); the C(audit) role fails on it.
author:
  - streamstack maintainers
options:
  project:
    description: The environment's C(Project) tag and the first part of its resource names.
    type: str
    required: true
  environment:
    description: The environment's C(Environment) tag (C(poc), C(staging), ...).
    type: str
    required: true
  tags:
    description: Tags that mark the environment's resources. Default C(Project=<project>), C(Environment=<environment>).
    type: dict
  eks_cluster_name:
    description: The EKS cluster's name (the eks role's C(eks_cluster_name)). Default C(<project>-<environment>).
    type: str
  msk_cluster_name:
    description: The MSK cluster's name (the msk role's C(msk_cluster_name)). Default C(<project>-<environment>).
    type: str
  flink_app_name:
    description: The Managed Flink application's name (the flink_app role's). Default C(<project>-<environment>).
    type: str
  iam_path:
    description: Path of the environment's IAM roles. Default C(/<project>/<environment>/).
    type: str
  expected:
    description:
      - Resources kept on purpose (for example the Flink code bucket a teardown keeps). They are
        reported, priced and listed apart, and do not count in RV(billable_count).
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: Kind of the resource (as in RV(leftovers[].kind)); empty matches every kind.
        type: str
      id_regex:
        description: Regular expression searched in the resource's id or name; empty matches every one.
        type: str
      reason:
        description: Why it is kept; shown in the report.
        type: str
        required: true
  today:
    description: Date (YYYY-MM-DD) the EKS support calendar is read at, to price extended support. Default today.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find what is left of the POC environment
  streamstack.pipeline.stack_audit:
    project: streamstack
    environment: poc
    region: us-east-1
  register: audit

- name: Fail when anything billable is left
  ansible.builtin.assert:
    that: audit.billable_count == 0
    fail_msg: "{{ audit.lines }}"

- name: Audit after a teardown that keeps the Flink code bucket
  streamstack.pipeline.stack_audit:
    project: streamstack
    environment: staging
    expected:
      - kind: s3_bucket
        id_regex: ^streamstack-staging-flink-code-
        reason: teardown keeps the code bucket unless teardown_delete_code_bucket names the environment
  register: audit
"""

RETURN = r"""
summary:
  description: One sentence, C(nothing billable left of ...) or the count and $/h of the billable leftovers.
  returned: always
  type: str
  sample: "2 billable leftovers of streamstack/poc in us-east-1: $0.0500/h ($36.50/month) at price table 2026-11-24"
lines:
  description: The report, one line per leftover (billable first, then kept on purpose, then free).
  returned: always
  type: list
  elements: str
message:
  description: RV(lines) joined with newlines.
  returned: always
  type: str
billable_count:
  description: Billable leftovers, not counting those matched by O(expected).
  returned: always
  type: int
billable:
  description: Kind, id and $/h of each billable leftover.
  returned: always
  type: list
  elements: dict
usd_per_hour:
  description: Total $/h of the billable leftovers (what has a price).
  returned: always
  type: float
usd_per_month:
  description: RV(usd_per_hour) times 730 hours.
  returned: always
  type: float
missing_prices:
  description: Prices the audit needed and the price table lacks (the costs above are then a lower bound).
  returned: always
  type: list
  elements: str
price_table:
  description: Version of the price table the costs come from.
  returned: always
  type: str
leftovers:
  description: Every resource found, billable or not.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: >-
        flink_application, eks_cluster, eks_nodegroup, ec2_instance, msk_cluster, load_balancer,
        nat_gateway, elastic_ip, network_interface, ebs_volume, log_group, s3_bucket,
        msk_configuration, target_group, iam_role, security_group, subnet or vpc.
      type: str
    id:
      description: ID, ARN or name, whatever deletes it.
      type: str
    name:
      description: Its name (or its id when it has none).
      type: str
    why:
      description: Why it belongs to the environment (its tags, its VPC, its name, ...).
      type: list
      elements: str
    state:
      description: Its state or status, when it has one.
      type: str
    billable:
      description: Whether it costs money by itself.
      type: bool
    usd_per_hour:
      description: Estimated cost per hour (what has a price).
      type: float
    cost_basis:
      description: Quantity times unit price of each charge.
      type: str
    missing_prices:
      description: Charges of this resource without a price in the table.
      type: list
      elements: str
    estimate:
      description: True when a price is an estimate (Spot).
      type: bool
    expected:
      description: The O(expected) reason when it is kept on purpose, else empty.
      type: str
    note:
      description: What else to know (where a public address is priced, what bills on top).
      type: str
    charges:
      description: The charges priced (item of the price table, type, quantity).
      type: list
      elements: dict
    details:
      description: Kind-specific facts (sizes, types, stored bytes).
      type: dict
"""

import datetime

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils import audit


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            project=dict(type="str", required=True),
            environment=dict(type="str", required=True),
            tags=dict(type="dict"),
            eks_cluster_name=dict(type="str"),
            msk_cluster_name=dict(type="str"),
            flink_app_name=dict(type="str"),
            iam_path=dict(type="str"),
            expected=dict(type="list", elements="dict", default=[], options=dict(
                kind=dict(type="str"), id_regex=dict(type="str"), reason=dict(type="str", required=True))),
            today=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for name in ("project", "environment"):
        if not (p[name] or "").strip():
            module.fail_json(msg="%s must not be empty: the audit would match resources of every environment" % name)
    today = None
    if p["today"]:
        try:
            today = datetime.datetime.strptime(p["today"], "%Y-%m-%d").date()
        except ValueError:
            module.fail_json(msg="today=%r is not a date YYYY-MM-DD" % p["today"])
    tags = dict((k, str(v)) for k, v in (p["tags"] or {}).items()) or None
    scope = audit.Scope(p["project"], p["environment"], eks_cluster_name=p["eks_cluster_name"],
                        msk_cluster_name=p["msk_cluster_name"], flink_app_name=p["flink_app_name"],
                        iam_path=p["iam_path"], tags=tags)
    retry = AWSRetry.jittered_backoff()

    def clients(service):
        return module.client(service, retry_decorator=retry)

    try:
        result = audit.audit(clients, scope, module.region, expected=p["expected"], today=today)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the resources of %s/%s" % (p["project"], p["environment"]))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
