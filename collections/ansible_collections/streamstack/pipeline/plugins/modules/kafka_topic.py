#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: kafka_topic
short_description: Create, update and delete Apache Kafka topics, over Kafka's protocol or Amazon MSK's topic API
version_added: 0.1.0
description:
  - Reconciles one topic - its partition count, replication factor and topic-level
    configuration - with what is asked, and reports a truthful C(changed) and a diff.
  - Two ways in. With O(bootstrap_servers) the module speaks Kafka's admin protocol
    (C(confluent-kafka)) to any Kafka cluster it can reach. With O(cluster_arn) it calls
    Amazon MSK's native topic API (C(CreateTopic), C(DescribeTopic), C(UpdateTopic),
    C(DeleteTopic)) with the usual AWS credentials - no network path to the brokers
    needed; provisioned clusters with Kafka 3.6.0 or later, C(ACTIVE).
  - Partitions can only be added, never removed, and Kafka cannot change a topic's
    replication factor in place; the module refuses both before changing anything and
    says why.
  - Unknown configuration keys fail with the key named. Over Kafka's protocol, check
    mode asks the broker to validate the request (C(validate_only)) without applying it.
  - MSK's topic API answers from state refreshed about once a minute. After each
    change the module polls C(DescribeTopic) until the change shows (at most
    O(wait_timeout) seconds), so the next task sees it.
author:
  - streamstack maintainers
options:
  name:
    description: Topic name.
    type: str
    required: true
  state:
    description: Whether the topic should exist.
    type: str
    choices: [present, absent]
    default: present
  partitions:
    description:
      - Number of partitions. Raising it adds partitions; lowering it fails (Kafka cannot remove partitions).
      - When creating over Kafka's protocol and not given, the broker's C(num.partitions) applies.
        Required to create through O(cluster_arn).
    type: int
  replication_factor:
    description:
      - Replicas of each partition. Cannot change once the topic exists (the module fails and says so).
      - When creating over Kafka's protocol and not given, the broker's C(default.replication.factor)
        applies. Required to create through O(cluster_arn).
    type: int
  config:
    description:
      - Topic-level configuration, for example C(retention.ms) or C(cleanup.policy). Values may be
        strings, numbers or booleans; they are compared and sent as Kafka strings (C(true)/C(false)).
      - Keys not listed are left alone unless O(purge_config=true). Not given - configuration not managed.
    type: dict
  purge_config:
    description:
      - Remove topic-level settings that O(config) does not list (they fall back to the broker's defaults).
      - Only over Kafka's protocol - MSK's C(DescribeTopic) returns effective values, defaults included,
        so set and default values cannot be told apart; with O(cluster_arn) the module fails.
    type: bool
    default: false
  cluster_arn:
    description:
      - ARN of a provisioned MSK cluster; the topic is managed through MSK's topic API with the
        AWS credentials, region and endpoint of the standard AWS options (region defaults to the ARN's).
      - Exactly one of O(bootstrap_servers) and O(cluster_arn) is required.
    type: str
  wait_timeout:
    description:
      - With O(cluster_arn) - seconds to poll C(DescribeTopic) after a change until it shows the change
        (MSK's view lags about a minute). The module fails, with C(changed=true), if it does not show in time.
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
  - Supports check mode and diff mode.
  - The AWS options apply only with O(cluster_arn); they are accepted (and ignored) with
    O(bootstrap_servers) so that C(module_defaults) of the C(group/streamstack.pipeline.aws) action
    group can set them for every task.
  - SASL/IAM (MSK port 9098) over Kafka's protocol is not offered; use O(cluster_arn), which
    authorises with IAM through the AWS API.
seealso:
  - module: streamstack.pipeline.kafka_topic_info
"""

EXAMPLES = r"""
- name: Raw events topic on the local broker
  streamstack.pipeline.kafka_topic:
    name: events.raw
    partitions: 6
    replication_factor: 1
    config:
      retention.ms: 86400000
      cleanup.policy: delete
    bootstrap_servers: 127.0.0.1:9092

- name: Same topic on MSK, through the MSK topic API (IAM, no broker access needed)
  streamstack.pipeline.kafka_topic:
    name: events.raw
    partitions: 6
    replication_factor: 2
    config:
      retention.ms: 86400000
    cluster_arn: "{{ msk.clusters[0].arn }}"

- name: Over SASL/SCRAM, keeping only the listed settings on the topic
  streamstack.pipeline.kafka_topic:
    name: events.dead-letter
    partitions: 3
    replication_factor: 2
    config:
      retention.ms: 604800000
    purge_config: true
    bootstrap_servers: "{{ msk_bootstrap_scram }}"
    security_protocol: SASL_SSL
    sasl_mechanism: SCRAM-SHA-512
    sasl_username: pipeline
    sasl_password: "{{ vault_msk_scram_password }}"

- name: Remove a topic
  streamstack.pipeline.kafka_topic:
    name: events.old
    state: absent
    bootstrap_servers: 127.0.0.1:9092
"""

RETURN = r"""
topic:
  description:
    - The topic after the run (in check mode, as it would be). Empty when the topic does not exist.
    - Partition count or replication factor left to the broker's defaults are null in check mode.
  returned: always
  type: dict
  contains:
    name:
      description: Topic name.
      type: str
      sample: events.raw
    partitions:
      description: Partition count.
      type: int
      sample: 6
    replication_factor:
      description: Replicas per partition.
      type: int
      sample: 2
    config:
      description:
        - Over Kafka's protocol, the settings made on the topic itself (not the defaults it inherits).
        - Through MSK's API, what C(DescribeTopic) returns.
      type: dict
      sample: {"retention.ms": "86400000"}
backend:
  description: How the topic was reached - C(kafka) (Kafka's admin protocol) or C(msk) (MSK topic API).
  returned: always
  type: str
  sample: kafka
diff:
  description: Topic before and after (name, partitions, replication_factor, config).
  returned: in diff mode, when changed
  type: dict
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
    normalize_config,
    plan_has_changes,
    plan_topic,
    planned_topic,
    public_topic,
    validate_change,
)


def _matches(plan, after):
    """Does the described topic show the applied plan?"""
    def check(topic):
        if topic is None:
            return False
        if after.get("partitions") is not None and topic["partitions"] != after["partitions"]:
            return False
        config = topic.get("config") or {}
        return all(config.get(k) == v for k, v in plan["set"].items()) and not any(k in config for k in plan["remove"])
    return check


def apply_plan(backend, name, plan, desired, validate_only=False, done=None):
    """Create, or set/remove configs then add partitions (MSK takes them in separate calls)."""
    done = [] if done is None else done
    if plan["create"]:
        backend.create(name, plan["partitions"], plan["replication_factor"], plan["set"], validate_only=validate_only)
        return
    if plan["set"] or plan["remove"]:
        backend.alter_config(name, plan["set"], plan["remove"], desired=desired["config"], validate_only=validate_only)
        done.append("config")
    if plan["partitions"] is not None:
        backend.add_partitions(name, plan["partitions"], validate_only=validate_only)
        done.append("partitions")


def ensure_absent(module, backend, name, actual, result):
    if actual is None:
        module.exit_json(**result)
    result.update(changed=True, topic={})
    if module._diff:
        result["diff"] = {"before": public_topic(actual), "after": {}}
    if module.check_mode:
        module.exit_json(**result)
    backend.delete(name)
    backend.settle(name, lambda topic: topic is None)  # so that the next task no longer sees it
    module.exit_json(**result)


def ensure_present(module, backend, desired, actual, result):
    problems = validate_change(desired, actual)
    if problems:
        module.fail_json(msg="; ".join(problems), **result)
    if backend.name == "msk" and module.params["purge_config"]:
        module.fail_json(
            msg="purge_config is not supported with cluster_arn: MSK's DescribeTopic returns every effective "
                "setting, broker defaults included, so the settings made on the topic cannot be told apart. "
                "Use bootstrap_servers to purge, or list the settings to change in config", **result)
    if actual is not None and desired["config"]:
        unknown = backend.unknown_config_keys(actual, desired["config"])
        if unknown:
            module.fail_json(msg=f"Unknown topic config key(s) for topic {desired['name']}: {', '.join(unknown)} "
                                 "(Kafka would reject them with InvalidConfigurationException)", **result)

    plan = plan_topic(desired, actual, module.params["purge_config"])
    if not plan_has_changes(plan):
        module.exit_json(**result)
    after = planned_topic(desired, actual, plan)
    result.update(changed=True, topic=after)
    if module._diff:
        result["diff"] = {"before": public_topic(actual), "after": after}

    name = desired["name"]
    # Over Kafka's protocol the broker can validate each step without applying it: do that first
    # (in check mode too), so a step it would refuse (unknown key, too many replicas, too many
    # partitions, ...) stops the run before any other step changes the topic.
    if backend.supports_validate_only():
        try:
            apply_plan(backend, name, plan, desired, validate_only=True)
        except KafkaTopicError as exc:
            result["changed"] = False
            result["topic"] = public_topic(actual)
            result.pop("diff", None)
            module.fail_json(msg=f"{exc} (nothing was changed)", **result)
    if module.check_mode:
        module.exit_json(**result)

    steps = []  # the steps applied, for a truthful changed when a later one fails
    try:
        apply_plan(backend, name, plan, desired, done=steps)
    except KafkaTopicError as exc:
        result["changed"] = bool(steps) or bool(exc.changed)
        result["topic"] = public_topic(actual)
        if result["changed"]:
            try:  # report the topic as it is now
                result["topic"] = public_topic(backend.describe([name]).get(name))
            except KafkaTopicError:
                pass
        result.pop("diff", None)
        module.fail_json(msg=str(exc), **result)

    final = backend.settle(name, _matches(plan, after))
    if final is not None:
        result["topic"] = public_topic(final)
        if module._diff:
            result["diff"]["after"] = result["topic"]
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
        replication_factor=dict(type="int"),
        config=dict(type="dict"),
        purge_config=dict(type="bool", default=False),
    )
    argument_spec.update(CONNECTION_ARGS)
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE,
        required_one_of=CONNECTION_REQUIRED_ONE_OF,
        required_if=CONNECTION_REQUIRED_IF,
        supports_check_mode=True,
        check_boto3=False,  # boto3 is needed only with cluster_arn (checked there)
    )
    params = module.params
    name = params["name"]
    result = dict(changed=False, topic={}, backend="msk" if params["cluster_arn"] else "kafka")
    try:
        desired = dict(
            name=name,
            partitions=params["partitions"],
            replication_factor=params["replication_factor"],
            config=normalize_config(params["config"]),
        )
        backend = backend_from_module(module)
        backend.check_connection()
        actual = backend.describe([name]).get(name)
        result["topic"] = public_topic(actual)
        if params["state"] == "absent":
            ensure_absent(module, backend, name, actual, result)
        ensure_present(module, backend, desired, actual, result)
    except KafkaTopicError as exc:
        result["changed"] = result["changed"] and bool(exc.changed)
        module.fail_json(msg=str(exc), **result)
    except Exception as exc:  # pylint: disable=broad-except  # a bug or an unforeseen client error: report, no crash
        module.fail_json(msg=f"Unexpected error ({exc.__class__.__name__}): {exc}", exception=traceback.format_exc(),
                         **result)


if __name__ == "__main__":
    main()
