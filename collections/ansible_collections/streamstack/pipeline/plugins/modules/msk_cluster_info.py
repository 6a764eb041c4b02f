#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster_info
short_description: Find Amazon MSK clusters by name, ARN or tags, with their bootstrap brokers
version_added: 0.1.0
description:
  - Read-only. Lists provisioned Amazon MSK clusters matching every given filter and
    returns, for each, its state, sizing, network placement and, once the cluster is
    C(ACTIVE), the bootstrap broker string of every enabled authentication mode.
  - C(community.aws.msk_cluster) returns only the plaintext and TLS strings and waits
    silently; poll this module with C(until) to wait with progress, and use it with
    O(tags) to find every cluster of an environment when the outputs file is gone.
author:
  - streamstack maintainers
options:
  name:
    description: Exact cluster name.
    type: str
  arn:
    description: Cluster ARN. Takes precedence over O(name).
    type: str
  tags:
    description: Tags the cluster must carry (all of them, with these values).
    type: dict
  bootstrap_brokers:
    description: Also fetch bootstrap broker strings for ACTIVE clusters.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the MSK cluster to become ACTIVE, showing progress
  streamstack.pipeline.msk_cluster_info:
    name: streamstack-poc
  register: msk
  until: msk.clusters | length == 1 and msk.clusters[0].state == 'ACTIVE'
  retries: 120
  delay: 30

- name: Find every MSK cluster of an environment by tag
  streamstack.pipeline.msk_cluster_info:
    tags:
      Project: streamstack
      Environment: poc
  register: msk
"""

RETURN = r"""
clusters:
  description: The matching clusters (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: Cluster ARN.
      type: str
      sample: arn:aws:kafka:us-east-1:123456789012:cluster/streamstack-poc/abcd-1
    name:
      description: Cluster name.
      type: str
    state:
      description: ACTIVE, CREATING, UPDATING, DELETING, FAILED, ...
      type: str
    current_version:
      description: Version string updates must quote.
      type: str
    kafka_version:
      description: Apache Kafka version.
      type: str
    number_of_broker_nodes:
      description: Broker count.
      type: int
    instance_type:
      description: Broker instance type.
      type: str
    client_subnets:
      description: Client subnet IDs.
      type: list
      elements: str
    security_groups:
      description: Security group IDs attached to the brokers.
      type: list
      elements: str
    configuration_arn:
      description: ARN of the MSK configuration in use.
      type: str
    configuration_revision:
      description: Revision of that configuration.
      type: int
    tags:
      description: Cluster tags.
      type: dict
    bootstrap_brokers:
      description: >-
        Bootstrap strings by mode (C(plaintext), C(tls), C(sasl_scram), C(sasl_iam));
        only modes the cluster enables; empty until ACTIVE.
      type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.streamstack.pipeline.plugins.module_utils.msk import list_clusters

_BROKER_KEYS = {
    "BootstrapBrokerString": "plaintext",
    "BootstrapBrokerStringTls": "tls",
    "BootstrapBrokerStringSaslScram": "sasl_scram",
    "BootstrapBrokerStringSaslIam": "sasl_iam",
}


def _summarise(info):
    group = info.get("BrokerNodeGroupInfo", {})
    software = info.get("CurrentBrokerSoftwareInfo", {})
    return {
        "arn": info["ClusterArn"],
        "name": info["ClusterName"],
        "state": info.get("State"),
        "current_version": info.get("CurrentVersion"),
        "kafka_version": software.get("KafkaVersion"),
        "configuration_arn": software.get("ConfigurationArn"),
        "configuration_revision": software.get("ConfigurationRevision"),
        "number_of_broker_nodes": info.get("NumberOfBrokerNodes"),
        "instance_type": group.get("InstanceType"),
        "client_subnets": group.get("ClientSubnets", []),
        "security_groups": group.get("SecurityGroups", []),
        "tags": info.get("Tags", {}),
        "bootstrap_brokers": {},
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str"),
            arn=dict(type="str"),
            tags=dict(type="dict"),
            bootstrap_brokers=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    client = module.client("kafka", retry_decorator=AWSRetry.jittered_backoff())
    name, arn, tags = module.params["name"], module.params["arn"], module.params["tags"] or {}

    try:
        if arn:
            try:
                found = [client.describe_cluster(ClusterArn=arn, aws_retry=True)["ClusterInfo"]]
            except client.exceptions.NotFoundException:
                found = []
        else:
            found = list_clusters(client, name)
        clusters = [_summarise(c) for c in found]
        clusters = [c for c in clusters if all(c["tags"].get(k) == str(v) for k, v in tags.items())]
        if module.params["bootstrap_brokers"]:
            for cluster in clusters:
                if cluster["state"] != "ACTIVE":
                    continue
                brokers = client.get_bootstrap_brokers(ClusterArn=cluster["arn"], aws_retry=True)
                cluster["bootstrap_brokers"] = {
                    short: brokers[key] for key, short in _BROKER_KEYS.items() if brokers.get(key)
                }
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to look up MSK clusters")

    module.exit_json(changed=False, clusters=clusters)


if __name__ == "__main__":
    main()
