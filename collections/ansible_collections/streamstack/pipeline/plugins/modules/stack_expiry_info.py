#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_expiry_info
short_description: The project's environments that carry an expiry, and which have expired
version_added: 0.2.0
description:
  - Read-only. Lists every resource tagged with the project's C(Project) tag in the
    region (EC2, MSK, EKS, load balancers, IAM roles, log groups, S3 buckets, Managed
    Flink applications), groups those with an C(ExpiresAt) tag by their C(Environment)
    tag, and returns each environment's expiry (the latest C(ExpiresAt) among its
    resources) and whether it has passed at O(now).
  - The reaper (C(reaper.yml)) tears down each expired environment. An environment
    without C(ExpiresAt) (staging, or a cancelled time to live) is never listed.
author:
  - streamstack maintainers
options:
  project:
    description: The C(Project) tag.
    type: str
    required: true
  now:
    description:
      - The time to compare with, UTC C(YYYY-MM-DDTHH:MM:SSZ); default the current time.
        Tests set it to simulate the clock.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which environments have expired
  streamstack.pipeline.stack_expiry_info:
    project: streamstack
  register: expiry
"""

RETURN = r"""
environments:
  description: Environment name to its expiry, whether it passed, and how many resources carry it.
  returned: always
  type: dict
  sample: {poc: {expires_at: "2026-11-24T23:00:00Z", expired: true, resources: 57}}
expired:
  description: The names of the environments whose expiry has passed.
  returned: always
  type: list
  elements: str
  sample: [poc]
now:
  description: The time compared with.
  returned: always
  type: str
  sample: "2026-11-25T00:00:00Z"
"""

import datetime

try:
    import botocore.exceptions
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.streamstack.pipeline.plugins.module_utils import ttl


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(project=dict(type="str", required=True), now=dict(type="str")),
        supports_check_mode=True,
    )
    try:
        now = ttl.parse(module.params["now"], "ttl_now") if module.params["now"] else \
            datetime.datetime.now(datetime.timezone.utc)
    except ttl.TtlError as err:
        module.fail_json(msg=str(err))
    client = ttl.client_factory(module)
    try:
        environments = ttl.expired(ttl.resources(client, module.params["project"]), now)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        module.fail_json_aws(err, msg="could not list the resources of project %s" % module.params["project"])
    module.exit_json(changed=False, environments=environments, now=ttl.render(now),
                     expired=[env for env, e in environments.items() if e["expired"]])


if __name__ == "__main__":
    main()
