#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: kafka_topic_info
short_description: Describe Apache Kafka topics and check them against what is expected
version_added: 0.1.0
description:
  - Read-only. Returns partition count, replication factor and topic-level configuration
    of the named topics (default every topic but the internal ones, whose names start
    with C(__)), over Kafka's admin protocol (O(bootstrap_servers)) or Amazon MSK's topic
    API (O(cluster_arn)).
  - With O(expected), compares each expected topic with what exists and returns the
    differences in RV(mismatches); by default it then fails, naming each topic and what
    differs - a post-deployment check or a drift report.
author:
  - streamstack maintainers
options:
  names:
    description:
      - Topics to describe (plus the O(expected) ones).
      - Not given - the O(expected) topics, or when there are none every topic but the internal ones.
    type: list
    elements: str
  expected:
    description:
      - Topics as they should be. Only the fields given are compared; config values are compared with
        the effective value (a value equal to the broker's default matches).
    type: list
    elements: dict
    suboptions:
      name:
        description: Topic name.
        type: str
        required: true
      partitions:
        description: Expected partition count.
        type: int
      replication_factor:
        description: Expected replication factor.
        type: int
      config:
        description: Expected configuration values (strings, numbers or booleans).
        type: dict
  fail_on_mismatch:
    description: Fail when RV(mismatches) is not empty.
    type: bool
    default: true
  cluster_arn:
    description:
      - ARN of a provisioned MSK cluster, read through MSK's topic API with the AWS options
        (region defaults to the ARN's). Exactly one of O(bootstrap_servers) and O(cluster_arn) is required.
      - MSK answers from state refreshed about once a minute.
    type: str
  wait_timeout:
    description: Not used by this module (accepted so both topic modules take the same connection options).
    type: int
    default: 300
extends_documentation_fragment:
  - streamstack.pipeline.kafka
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - confluent-kafka (with O(bootstrap_servers))
  - boto3 and botocore (with O(cluster_arn))
notes:
  - Supports check mode (it changes nothing either way).
seealso:
  - module: streamstack.pipeline.kafka_topic
"""

EXAMPLES = r"""
- name: Every topic of the local broker
  streamstack.pipeline.kafka_topic_info:
    bootstrap_servers: 127.0.0.1:9092
  register: kafka_topics

- name: After deployment, the pipeline's topics must be as declared
  streamstack.pipeline.kafka_topic_info:
    cluster_arn: "{{ msk.clusters[0].arn }}"
    expected:
      - name: events.raw
        partitions: 6
        replication_factor: 2
        config:
          retention.ms: 86400000
      - name: events.dead-letter
        partitions: 3

- name: Report drift without failing
  streamstack.pipeline.kafka_topic_info:
    bootstrap_servers: 127.0.0.1:9092
    expected: "{{ pipeline_topics }}"
    fail_on_mismatch: false
  register: drift
"""

RETURN = r"""
topics:
  description: The described topics, by name.
  returned: always
  type: dict
  sample:
    events.raw:
      name: events.raw
      partitions: 6
      replication_factor: 2
      config: {"retention.ms": "86400000"}
  contains:
    name:
      description: Topic name.
      type: str
    partitions:
      description: Partition count.
      type: int
    replication_factor:
      description: Replicas per partition.
      type: int
    config:
      description:
        - Over Kafka's protocol, the settings made on the topic itself (not inherited defaults).
        - Through MSK's API, what C(DescribeTopic) returns.
      type: dict
missing:
  description: Names in O(names) or O(expected) that do not exist.
  returned: always
  type: list
  elements: str
mismatches:
  description: One entry per expected topic that differs, with what differs.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "events.raw", "problems": ["partitions is 3, expected 6"]}]
backend:
  description: C(kafka) (Kafka's admin protocol) or C(msk) (MSK topic API).
  returned: always
  type: str
"""

import traceback

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.streamstack.pipeline.plugins.module_utils.kafka_admin import (
    CONNECTION_ARGS,
    CONNECTION_MUTUALLY_EXCLUSIVE,
    CONNECTION_REQUIRED_IF,
    CONNECTION_REQUIRED_ONE_OF,
    KafkaTopicError,
    backend_from_module,
    compare_expected,
    public_topic,
)


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        expected=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                partitions=dict(type="int"),
                replication_factor=dict(type="int"),
                config=dict(type="dict"),
            ),
        ),
        fail_on_mismatch=dict(type="bool", default=True),
    )
    argument_spec.update(CONNECTION_ARGS)
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE,
        required_one_of=CONNECTION_REQUIRED_ONE_OF,
        required_if=CONNECTION_REQUIRED_IF,
        supports_check_mode=True,
        check_boto3=False,
    )
    params = module.params
    expected = params["expected"] or []
    result = dict(changed=False, topics={}, missing=[], mismatches=[],
                  backend="msk" if params["cluster_arn"] else "kafka")
    try:
        backend = backend_from_module(module)
        backend.check_connection()
        if params["names"] is not None:
            names = list(params["names"])
        elif expected:
            names = []
        else:
            names = backend.list_names()
        wanted = list(dict.fromkeys(names + [e["name"] for e in expected]))
        described = backend.describe(wanted)
        result["topics"] = {n: public_topic(t) for n, t in sorted(described.items())}
        result["missing"] = [n for n in wanted if n not in described]
        for item in expected:
            problems = compare_expected(item, described.get(item["name"]))
            if problems:
                result["mismatches"].append({"name": item["name"], "problems": problems})
    except KafkaTopicError as exc:
        module.fail_json(msg=str(exc), **result)
    except Exception as exc:  # pylint: disable=broad-except  # a bug or an unforeseen client error: report, no crash
        module.fail_json(msg=f"Unexpected error ({exc.__class__.__name__}): {exc}", exception=traceback.format_exc(),
                         **result)

    if result["mismatches"] and params["fail_on_mismatch"]:
        detail = "; ".join(f"{m['name']}: {', '.join(m['problems'])}" for m in result["mismatches"])
        module.fail_json(msg=f"{len(result['mismatches'])} topic(s) differ from what is expected - {detail}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
