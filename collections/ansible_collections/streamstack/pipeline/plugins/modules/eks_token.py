#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_token
short_description: A bearer token for an Amazon EKS cluster's Kubernetes API, as aws eks get-token makes it
version_added: 0.3.0
description:
  - Makes the token C(aws eks get-token) prints, without the AWS CLI or a kubeconfig -
    a presigned STS C(GetCallerIdentity) URL (GET, valid 60 seconds) whose signature covers
    the header C(x-k8s-aws-id) set to the cluster name, base64url-encoded without padding
    and prefixed C(k8s-aws-v1.).
  - The API server presents the URL to STS and maps the IAM identity that signed it to a
    Kubernetes user (access entries, or the C(aws-auth) ConfigMap); the token is accepted
    for 15 minutes. Make a new one for every play that talks to the cluster.
  - The credentials are the module's usual AWS credentials (profile, environment, role);
    the identity must have access to the cluster (the cluster's creator has).
  - Read-only; it makes no AWS call (the signature is computed locally), so it works in
    check mode and never reports a change.
  - "B(The returned token is a credential.) Register the result with C(no_log: true) and
    never write it to a file or to the stack's outputs."
author:
  - streamstack maintainers
options:
  cluster_name:
    description: Name of the EKS cluster (the value of C(x-k8s-aws-id)).
    type: str
    required: true
    aliases: [name]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (it changes nothing).
  - With O(endpoint_url) set (an emulator) the URL points at that endpoint; such a token
    is only good for tests.
"""

EXAMPLES = r"""
- name: Get a token for the cluster's API (a credential, not logged)
  streamstack.pipeline.eks_token:
    cluster_name: "{{ eks_outputs.cluster_name }}"
  register: eks_auth
  no_log: true

- name: List the nodes through the API server
  ansible.builtin.uri:
    url: "{{ eks_outputs.endpoint }}/api/v1/nodes"
    headers:
      Authorization: "Bearer {{ eks_auth.token }}"
    ca_path: /tmp/eks-ca.pem  # eks_outputs.certificate_authority, base64-decoded
  no_log: true
"""

RETURN = r"""
token:
  description:
    - "The bearer token (C(k8s-aws-v1.) + base64url of the presigned URL). A credential -
      register the task with C(no_log: true)."
  returned: always
  type: str
expiration:
  description:
    - When the API server stops accepting the token, UTC, as C(aws eks get-token) reports it
      (now + 14 minutes; the server allows 15).
  returned: always
  type: str
  sample: "2026-11-24T14:39:56Z"
cluster_name:
  description: The cluster the token is bound to.
  returned: always
  type: str
"""

from datetime import datetime, timedelta, timezone

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.streamstack.pipeline.plugins.module_utils.eks import TOKEN_VALID_MINUTES, presigned_token


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(cluster_name=dict(type="str", required=True, aliases=["name"])),
        supports_check_mode=True,
    )
    name = module.params["cluster_name"].strip()
    if not name:
        module.fail_json(msg="cluster_name must not be empty")
    try:
        sts = module.client("sts")
        token = presigned_token(sts, name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to sign an EKS token for cluster {name}")
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=TOKEN_VALID_MINUTES)).strftime("%Y-%m-%dT%H:%M:%SZ")
    module.exit_json(changed=False, token=token, expiration=expiration, cluster_name=name)


if __name__ == "__main__":
    main()
