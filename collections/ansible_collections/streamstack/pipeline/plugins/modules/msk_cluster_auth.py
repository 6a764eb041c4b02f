#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster_auth
short_description: Reconcile the client authentication modes of an Amazon MSK cluster
version_added: 0.1.0
description:
  - Reads the cluster's C(ClientAuthentication) and, when it differs from the modes
    asked for, calls C(UpdateSecurity) with the cluster's C(CurrentVersion).
  - Why it exists - C(community.aws.msk_cluster) 10.0.0 replaces the whole
    authentication block with C(Unauthenticated) when O(unauthenticated_tls) is
    asked for, so IAM (what Managed Flink uses) and unauthenticated TLS (what Pinot
    needs, its image lacking C(aws-msk-iam-auth)) cannot be created together; and it
    never compares authentication on an existing cluster, so changes drift silently.
  - The cluster must be C(ACTIVE). On AWS an update restarts the brokers one by one
    and takes tens of minutes; with O(wait=false) poll
    M(streamstack.pipeline.msk_cluster_info) to wait with progress.
  - Mutual TLS with a private CA is left alone (not managed by this module).
author:
  - streamstack maintainers
options:
  name:
    description: Cluster name. One of O(name) or O(arn) is required.
    type: str
  arn:
    description: Cluster ARN.
    type: str
  iam:
    description: IAM access control (SASL/IAM, port 9098).
    type: bool
    required: true
  scram:
    description: SASL/SCRAM (port 9096).
    type: bool
    default: false
  unauthenticated_tls:
    description: TLS without client authentication (port 9094); restrict it by security group.
    type: bool
    default: false
  wait:
    description: Wait inside the module until the cluster is ACTIVE again after an update.
    type: bool
    default: false
  wait_timeout:
    description: Upper bound of that wait, seconds.
    type: int
    default: 3600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: IAM for Flink and unauthenticated TLS for Pinot
  streamstack.pipeline.msk_cluster_auth:
    name: streamstack-poc
    iam: true
    unauthenticated_tls: true
  register: auth

- name: Wait for the brokers to restart with the new listeners
  streamstack.pipeline.msk_cluster_info:
    name: streamstack-poc
  register: msk
  until: msk.clusters[0].state == 'ACTIVE'
  retries: 120
  delay: 30
  when: auth.changed
"""

RETURN = r"""
cluster_arn:
  description: The cluster's ARN.
  returned: when the cluster exists
  type: str
authentication:
  description: The modes after the run (what was asked for, or what exists in check mode).
  returned: always
  type: dict
  sample: {"iam": true, "scram": false, "unauthenticated_tls": true}
operation_arn:
  description: ARN of the UpdateSecurity operation started.
  returned: when changed and not in check mode
  type: str
diff:
  description: Modes before and after.
  returned: when changed
  type: dict
"""

import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MODES = ("iam", "scram", "unauthenticated_tls")


def current_modes(client_authentication):
    """The three modes we manage, from a ClientAuthentication structure."""
    ca = client_authentication or {}
    sasl = ca.get("Sasl") or {}
    return {
        "iam": bool((sasl.get("Iam") or {}).get("Enabled")),
        "scram": bool((sasl.get("Scram") or {}).get("Enabled")),
        # An absent block means unauthenticated access only when nothing else is on (MSK's default).
        "unauthenticated_tls": bool((ca.get("Unauthenticated") or {}).get("Enabled"))
        if "Unauthenticated" in ca else not ca,
    }


def update_request(wanted):
    return {
        "Sasl": {"Iam": {"Enabled": wanted["iam"]}, "Scram": {"Enabled": wanted["scram"]}},
        "Unauthenticated": {"Enabled": wanted["unauthenticated_tls"]},
    }


def _find(client, module):
    if module.params["arn"]:
        try:
            return client.describe_cluster(ClusterArn=module.params["arn"], aws_retry=True)["ClusterInfo"]
        except client.exceptions.NotFoundException:
            return None
    name = module.params["name"]
    listed = client.get_paginator("list_clusters").paginate(ClusterNameFilter=name).build_full_result()
    matches = [c for c in listed.get("ClusterInfoList", []) if c["ClusterName"] == name]
    return matches[0] if matches else None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str"),
            arn=dict(type="str"),
            iam=dict(type="bool", required=True),
            scram=dict(type="bool", default=False),
            unauthenticated_tls=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
        ),
        required_one_of=[("name", "arn")],
        supports_check_mode=True,
    )
    wanted = {mode: module.params[mode] for mode in MODES}
    if not any(wanted.values()):
        module.fail_json(msg="Enable at least one of iam, scram, unauthenticated_tls: MSK needs a way in.")
    client = module.client("kafka", retry_decorator=AWSRetry.jittered_backoff())

    try:
        cluster = _find(client, module)
        if cluster is None:
            module.fail_json(msg=f"MSK cluster {module.params['arn'] or module.params['name']} not found")
        before = current_modes(cluster.get("ClientAuthentication"))
        result = dict(changed=False, cluster_arn=cluster["ClusterArn"], authentication=before)
        if before == wanted:
            module.exit_json(**result)

        result.update(changed=True, authentication=wanted, diff={"before": before, "after": wanted})
        if module.check_mode:
            module.exit_json(**result)
        if cluster["State"] != "ACTIVE":
            module.fail_json(msg=f"MSK cluster {cluster['ClusterName']} is {cluster['State']}; "
                                 "its authentication can change only when ACTIVE", **result)
        response = client.update_security(
            ClusterArn=cluster["ClusterArn"], CurrentVersion=cluster["CurrentVersion"],
            ClientAuthentication=update_request(wanted), aws_retry=True,
        )
        result["operation_arn"] = response.get("ClusterOperationArn")
        if module.params["wait"]:
            deadline = time.monotonic() + module.params["wait_timeout"]
            while client.describe_cluster(ClusterArn=cluster["ClusterArn"], aws_retry=True)["ClusterInfo"]["State"] != "ACTIVE":
                if time.monotonic() > deadline:
                    module.fail_json(msg="Timed out waiting for the security update to finish", **result)
                time.sleep(30)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to reconcile MSK client authentication")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
