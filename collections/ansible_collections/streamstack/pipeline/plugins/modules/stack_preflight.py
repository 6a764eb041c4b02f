#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_preflight
short_description: Check an environment's inventory against the AWS, MSK and EKS rules before anything is created
version_added: 0.1.0
description:
  - Read-only and offline. It makes no AWS API call and never reports a change.
  - Checks the settings of one inventory (C(inventories/<environment>/group_vars/all))
    against the rules that decide whether AWS will accept them, and fails with every
    problem at once, one line each, naming the variable and what to change.
  - "Rules: the environment's name and tags; the region and credentials; the VPC CIDR,
    2 or 3 distinct AZ IDs of the region (never C(use1-az3) in us-east-1, where MSK
    refuses it), one public and one private subnet per AZ, inside the VPC and not
    overlapping; the NAT gateway mode; the MSK broker count (a multiple of the AZ
    count), Kafka version (supported by MSK and >= 3.6 for the MSK topic APIs),
    broker type, storage and client authentication; the EKS version (known, and in
    support), node instance types, capacity type, group sizes and disk."
  - Warns, without failing, when the EKS version is in extended support (the control
    plane then costs $0.60/h instead of $0.10/h) or leaves standard support within
    30 days, and when the Kafka version's end of support is within 30 days.
  - The rules and their sources live in
    C(streamstack.pipeline.plugins.module_utils.preflight).
author:
  - streamstack maintainers
options:
  settings:
    description:
      - The inventory settings, variable name to value; a missing key or V(null)
        means "not set".
      - "Read: C(stack_project), C(stack_environment), C(stack_tags), C(aws_region),
        C(aws_endpoint_url), C(vpc_cidr), C(vpc_availability_zone_ids),
        C(vpc_public_subnet_cidrs), C(vpc_private_subnet_cidrs), C(vpc_nat_gateway_mode),
        C(msk_kafka_version), C(msk_broker_count), C(msk_broker_instance_type),
        C(msk_broker_ebs_gb), C(msk_client_auth), C(msk_server_properties), C(eks_version),
        C(eks_node_instance_types), C(eks_node_capacity_type), C(eks_node_min_size),
        C(eks_node_desired_size), C(eks_node_max_size), C(eks_node_disk_gb), C(eks_endpoint_public_access),
        C(eks_public_access_cidrs), C(pinot_components), C(alb_allowed_cidrs)."
      - "What runs on the stack, checked against it (module_utils/preflight_pipeline.py), each optional:
        C(pipeline_partitions), C(pipeline_replication_factor), C(pipeline_min_insync_replicas) and the
        rendered C(pipeline_topics) against C(msk_broker_count); C(pipeline_pinot_schemas),
        C(pipeline_pinot_tables) and C(pipeline_pinot_replicas) against each other, the topics and
        the Pinot servers; C(flink_app_runtime), C(flink_app_parallelism), C(flink_app_parallelism_per_kpu);
        the keys and values of C(msk_server_properties)."
      - Only C(aws_endpoint_url), C(msk_server_properties) and those of the pipeline may be left unset.
      - C(aws_profile), if given, names the profile used for O(check_credentials);
        otherwise the E(AWS_PROFILE) environment variable or the default profile.
    type: dict
    required: true
  today:
    description:
      - The date the EKS and MSK support calendars are read at, as C(YYYY-MM-DD).
      - Defaults to the current date on the managed node; set it in tests.
    type: str
  scope:
    description:
      - V(deploy) checks every rule; V(teardown) checks only the environment's identity
        (project, environment, tags), the region, the endpoint and credentials, so that a
        sizing or version that became invalid after a deploy never blocks deleting it.
    type: str
    choices: [deploy, teardown]
    default: deploy
  check_credentials:
    description:
      - Resolve AWS credentials locally with botocore's credential chain (environment,
        shared credentials and config files, then the chain's other providers) and report
        a problem when none is found. No AWS API call is made and no secret is returned.
      - Needs botocore on the managed node (the control node, as the stack runs on localhost).
    type: bool
    default: true
requirements:
  - python >= 3.9
  - botocore (only with O(check_credentials=true))
notes:
  - Supports check mode; the result is the same in and out of it.
  - The role C(preflight) runs this module with every setting of the chosen inventory,
    after validating each AWS role's inputs against that role's C(meta/argument_specs.yml).
seealso:
  - name: EKS Kubernetes version lifecycle
    description: Standard (14 months) and extended (12 months) support.
    link: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
  - name: Supported Apache Kafka versions on MSK
    description: MSK versions and their end-of-support dates.
    link: https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check the inventory before any AWS call
  streamstack.pipeline.stack_preflight:
    settings:
      stack_project: "{{ stack_project }}"
      stack_environment: "{{ stack_environment }}"
      stack_tags: "{{ stack_tags }}"
      aws_region: "{{ aws_region }}"
      aws_endpoint_url: "{{ aws_endpoint_url | default('') }}"
      vpc_cidr: "{{ vpc_cidr }}"
      vpc_availability_zone_ids: "{{ vpc_availability_zone_ids }}"
      vpc_public_subnet_cidrs: "{{ vpc_public_subnet_cidrs }}"
      vpc_private_subnet_cidrs: "{{ vpc_private_subnet_cidrs }}"
      vpc_nat_gateway_mode: "{{ vpc_nat_gateway_mode }}"
      msk_kafka_version: "{{ msk_kafka_version }}"
      msk_broker_count: "{{ msk_broker_count }}"
      msk_broker_instance_type: "{{ msk_broker_instance_type }}"
      msk_broker_ebs_gb: "{{ msk_broker_ebs_gb }}"
      msk_client_auth: "{{ msk_client_auth }}"
      eks_version: "{{ eks_version }}"
      eks_node_instance_types: "{{ eks_node_instance_types }}"
      eks_node_capacity_type: "{{ eks_node_capacity_type }}"
      eks_node_min_size: "{{ eks_node_min_size }}"
      eks_node_desired_size: "{{ eks_node_desired_size }}"
      eks_node_max_size: "{{ eks_node_max_size }}"
      eks_node_disk_gb: "{{ eks_node_disk_gb }}"
  register: preflight
  check_mode: false

- name: Show what was checked and what needs attention soon
  ansible.builtin.debug:
    msg: "{{ [preflight.summary] + preflight.preflight_warnings }}"

- name: Check an inventory in CI at a fixed date, without looking for credentials
  streamstack.pipeline.stack_preflight:
    settings: "{{ lookup('ansible.builtin.file', 'settings.json') | from_json }}"
    today: "2026-11-24"
    check_credentials: false
"""

RETURN = r"""
problems:
  description:
    - Every rule the settings break; empty on success.
    - "On failure C(msg) lists them too, one per line, as
      C(variable: message. Fix: what to change)."
  returned: always
  type: list
  elements: dict
  contains:
    variable:
      description: The inventory variable at fault (C(aws_credentials) for missing credentials).
      type: str
      sample: vpc_availability_zone_ids
    message:
      description: What is wrong, with the numbers.
      type: str
      sample: >-
        vpc_availability_zone_ids has 1 AZ (use1-az1); MSK needs 2 or 3 client subnets
        in distinct AZs and EKS at least 2
    fix:
      description: What to change.
      type: str
      sample: list 2 AZ IDs, e.g. [use1-az1, use1-az2]
  sample: []
preflight_warnings:
  description:
    - Things that work but cost money or need action soon. Each is also shown as an
      Ansible warning; it is not named C(warnings) because Ansible reserves that key.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      eks_version 1.34 leaves EKS standard support on 2026-12-02, in 8 days; after that
      the control plane costs $0.60/h instead of $0.10/h. Upgrade to "1.35" before then.
summary:
  description: One line describing what was checked and the outcome.
  returned: always
  type: str
  sample: >-
    poc in us-east-1: 2 AZ(s) [use1-az1, use1-az2], NAT single; MSK 3.8.x, 2 x kafka.t3.small;
    EKS 1.35, 2-4 x [t3.medium]: 0 problem(s), 0 warning(s)
today:
  description: The date the support calendars were read at.
  returned: always
  type: str
  sample: "2026-11-24"
credentials_found:
  description: Whether botocore's chain found credentials; V(null) when not checked.
  returned: always
  type: bool
  sample: true
"""

import datetime
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.streamstack.pipeline.plugins.module_utils import preflight

try:
    import botocore.exceptions
    import botocore.session
    HAS_BOTOCORE = True
    BOTOCORE_IMPORT_ERROR = None
except ImportError:
    HAS_BOTOCORE = False
    BOTOCORE_IMPORT_ERROR = traceback.format_exc()


def find_credentials(profile=None):
    """(found, problem or None) from botocore's credential chain, no API call.

    Deferred providers (assume-role, SSO, web identity) are only located, not
    exchanged for keys: credentials are never frozen here.
    """
    try:
        session = botocore.session.Session(profile=profile or None)
        return session.get_credentials() is not None, None
    except botocore.exceptions.ProfileNotFound as exc:
        return False, preflight._problem(
            "aws_credentials", "AWS_PROFILE/profile names a profile that does not exist (%s)" % exc,
            "export AWS_PROFILE=<a profile in ~/.aws/config>, or unset it and export "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    except botocore.exceptions.BotoCoreError as exc:
        return False, preflight._problem(
            "aws_credentials", "botocore could not resolve AWS credentials (%s)" % exc,
            "export AWS_PROFILE=<profile> (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict", required=True),
            today=dict(type="str"),
            check_credentials=dict(type="bool", default=True),
            scope=dict(type="str", choices=["deploy", "teardown"], default="deploy"),
        ),
        supports_check_mode=True,
    )
    settings = module.params["settings"]

    if module.params["today"]:
        try:
            today = datetime.date.fromisoformat(module.params["today"])
        except ValueError:
            module.fail_json(msg="today %r is not a date of the form YYYY-MM-DD" % module.params["today"])
    else:
        today = datetime.date.today()

    found = None
    credential_problem = None
    if module.params["check_credentials"]:
        if not HAS_BOTOCORE:
            module.fail_json(msg=missing_required_lib("botocore"), exception=BOTOCORE_IMPORT_ERROR)
        found, credential_problem = find_credentials(settings.get("aws_profile"))

    # A specific credential problem (unknown profile) replaces the generic one.
    generic_ok = found is not False or credential_problem is not None
    problems, warnings = preflight.check_settings(
        settings, today=today, aws_credentials_found=generic_ok, scope=module.params["scope"])
    if credential_problem:
        problems.append(credential_problem)

    for warning in warnings:
        module.warn(warning)
    result = dict(
        changed=False,
        problems=problems,
        preflight_warnings=warnings,
        summary=preflight.summarize(settings, problems, warnings),
        today=today.isoformat(),
        credentials_found=found,
    )
    if problems:
        lines = [preflight.format_problem(p) for p in problems]
        module.fail_json(
            msg="Preflight found %d problem(s) in the inventory; nothing was created:\n%s"
            % (len(problems), "\n".join(lines)),
            **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
