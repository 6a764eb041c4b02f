#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_ttl
short_description: Stamp (or remove) an environment's expiry as the ExpiresAt tag on every resource it has
version_added: 0.2.0
description:
  - Finds every resource tagged with the environment's C(Project) and C(Environment),
    service by service (EC2, MSK, EKS clusters, node groups and add-ons, load balancers
    and target groups, IAM roles, log groups, S3 buckets, Managed Flink applications;
    the tagging API alone misses EIPs, EKS and IAM), and sets its C(ExpiresAt) tag to
    O(expires_at), or removes the tag when O(expires_at) is empty (the time to live is
    cancelled).
  - Deploy runs it last, so a re-deploy extends the expiry on everything, also on
    resources whose own module cannot update tags. The reaper (C(reaper.yml)) tears
    down every environment whose latest C(ExpiresAt) has passed.
  - Changes only resources whose tag differs; check mode reports them without tagging;
    diff shows each resource's old and new value.
author:
  - streamstack maintainers
options:
  project:
    description: The C(Project) tag.
    type: str
    required: true
  environment:
    description: The C(Environment) tag.
    type: str
    required: true
  expires_at:
    description:
      - The expiry in UTC, C(YYYY-MM-DDTHH:MM:SSZ). Empty removes C(ExpiresAt).
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The POC expires in five hours
  streamstack.pipeline.stack_ttl:
    project: streamstack
    environment: poc
    expires_at: "2026-11-25T00:00:00Z"

- name: Cancel the time to live
  streamstack.pipeline.stack_ttl:
    project: streamstack
    environment: poc
    expires_at: ""
"""

RETURN = r"""
expires_at:
  description: The expiry now on the environment's resources; empty when cancelled.
  returned: always
  type: str
  sample: "2026-11-25T00:00:00Z"
resources:
  description: Every resource of the environment with its tag before and after.
  returned: always
  type: list
  elements: dict
  sample: [{kind: msk_cluster, id: streamstack-poc, before: "2026-11-24T23:00:00Z", after: "2026-11-25T00:00:00Z"}]
stamped:
  description: How many resources were (or in check mode would be) re-tagged.
  returned: always
  type: int
  sample: 42
"""

try:
    import botocore.exceptions
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.streamstack.pipeline.plugins.module_utils import ttl


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            project=dict(type="str", required=True),
            environment=dict(type="str", required=True),
            expires_at=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    expires_at = None
    if params["expires_at"]:
        try:
            expires_at = ttl.render(ttl.parse(params["expires_at"]))
        except ttl.TtlError as err:
            module.fail_json(msg=str(err))
    client = ttl.client_factory(module)
    try:
        found = ttl.resources(client, params["project"], params["environment"])
        report, stamped = [], 0
        for resource in found:
            before = resource["tags"].get(ttl.TAG)
            report.append(dict(kind=resource["kind"], id=resource["id"], before=before or "", after=expires_at or ""))
            if before != expires_at:
                stamped += 1
                if not module.check_mode:
                    ttl.stamp(client, resource, expires_at)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        module.fail_json_aws(err, msg="could not tag the resources of %s-%s with %s" % (
            params["project"], params["environment"], ttl.TAG))
    changed = [r for r in report if r["before"] != r["after"]]
    diff = dict(before="".join("%s %s: %s\n" % (r["kind"], r["id"], r["before"] or "-") for r in changed),
                after="".join("%s %s: %s\n" % (r["kind"], r["id"], r["after"] or "-") for r in changed))
    module.exit_json(changed=stamped > 0, expires_at=expires_at or "", resources=report, stamped=stamped, diff=diff)


if __name__ == "__main__":
    main()
