#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster
short_description: Create, update or delete an Amazon MSK provisioned cluster, with its authentication at creation
version_added: 0.3.0
description:
  - Creates the cluster in one C(CreateCluster) call with everything set, client
    authentication included, so no C(UpdateSecurity) follows (on AWS that restarts
    every broker, 10-30 minutes).
  - Why it exists - C(community.aws.msk_cluster) 10.0.0 replaces the whole
    authentication block with C(Unauthenticated) when unauthenticated access is
    asked for, so IAM (what Managed Flink uses) and unauthenticated TLS (what
    Pinot needs) cannot be created together, and it never compares
    authentication on an existing cluster.
  - On an existing cluster it compares authentication, Kafka version,
    configuration revision, broker type, storage, broker count, monitoring,
    logs and tags, and makes the differences with MSK's Update operations. MSK
    runs one operation at a time and only on an C(ACTIVE) cluster - so without
    O(wait) the module starts the first update and returns the others in
    RV(pending); with O(wait) it waits for C(ACTIVE) before and after each.
  - What no operation can change (subnets, security groups, encryption, fewer
    brokers, less storage, an older Kafka) fails the task and says so, before
    any update is started.
author:
  - streamstack maintainers
options:
  name:
    description: Cluster name (unique in the account and region).
    type: str
    required: true
  state:
    description: C(present) creates or updates; C(absent) starts the deletion (found by name).
    type: str
    choices: [present, absent]
    default: present
  kafka_version:
    description: Kafka version; required to create. A newer one upgrades in place.
    type: str
  broker_count:
    description: Number of brokers, a multiple of the number of O(subnets); required to create. It only grows.
    type: int
  instance_type:
    description: Broker instance type, for example C(kafka.t3.small); required to create.
    type: str
  ebs_volume_gb:
    description: EBS storage of each broker, GiB. It only grows.
    type: int
    default: 100
  subnets:
    description: Client subnets, in distinct Availability Zones; required to create. Fixed afterwards.
    type: list
    elements: str
  security_groups:
    description: Security groups of the brokers' network interfaces. Fixed afterwards.
    type: list
    elements: str
  configuration_arn:
    description: ARN of the MSK configuration (server.properties) to use.
    type: str
  configuration_revision:
    description: Revision of O(configuration_arn).
    type: int
    default: 1
  authentication:
    description: Client authentication modes, at least one on; required with O(state=present).
    type: dict
    suboptions:
      iam:
        description: SASL/IAM (port 9098).
        type: bool
        default: false
      scram:
        description: SASL/SCRAM (port 9096), users from Secrets Manager.
        type: bool
        default: false
      unauthenticated_tls:
        description: TLS without client authentication (port 9094); restrict it by security group.
        type: bool
        default: false
  client_broker_encryption:
    description: Encryption between clients and brokers. Fixed at creation.
    type: str
    choices: [TLS, TLS_PLAINTEXT, PLAINTEXT]
    default: TLS
  in_cluster_encryption:
    description: TLS between brokers. Fixed at creation.
    type: bool
    default: true
  kms_key_id:
    description: KMS key of the data volumes; MSK's AWS managed key when omitted. Fixed at creation.
    type: str
  enhanced_monitoring:
    description: CloudWatch metrics level.
    type: str
    choices: [DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER, PER_TOPIC_PER_PARTITION]
    default: DEFAULT
  log_group:
    description: CloudWatch Logs group for the broker logs; none when omitted.
    type: str
  tags:
    description: Tags of the cluster.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the cluster's tags that O(tags) does not name.
    type: bool
    default: true
  wait:
    description:
      - C(present) - wait until every update is made and the cluster is C(ACTIVE).
      - C(absent) - wait until the cluster is gone.
      - Without it, poll M(streamstack.pipeline.msk_cluster_info) with progress (the msk role does).
    type: bool
    default: false
  wait_timeout:
    description: Upper bound of that wait, seconds.
    type: int
    default: 5400
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - Creation takes 20-30 minutes on AWS (sometimes about 60); deletion 10-20.
seealso:
  - module: streamstack.pipeline.msk_cluster_info
"""

EXAMPLES = r"""
- name: Brokers with IAM for Managed Flink and unauthenticated TLS for Pinot, at once
  streamstack.pipeline.msk_cluster:
    name: streamstack-poc
    kafka_version: 3.9.x
    broker_count: 2
    instance_type: kafka.t3.small
    ebs_volume_gb: 20
    subnets: [subnet-0aaa, subnet-0bbb]
    security_groups: [sg-0ccc]
    configuration_arn: "{{ config.arn }}"
    configuration_revision: "{{ config.revision }}"
    authentication: {iam: true, unauthenticated_tls: true}
    log_group: /streamstack/poc/msk
    tags: {Project: streamstack, Environment: poc}
  register: msk

- name: Delete it and wait until it is gone
  streamstack.pipeline.msk_cluster:
    name: streamstack-poc
    state: absent
    wait: true
"""

RETURN = r"""
cluster:
  description: The cluster's settings after the run (what was asked, in check mode), and its ARN and state.
  returned: when the cluster exists or would
  type: dict
  sample: {"arn": "arn:aws:kafka:...", "state": "CREATING", "broker_count": 2,
           "authentication": {"iam": true, "scram": false, "unauthenticated_tls": true}}
operations:
  description: What the run started (or would), in order, each the changed setting and its operation ARN.
  returned: always
  type: list
  elements: dict
pending:
  description: Updates still to make, waiting for the cluster to be C(ACTIVE) (run again, or use O(wait)).
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.streamstack.pipeline.plugins.module_utils.msk import (
    AUTH_MODES,
    BUSY_STATES,
    create_request,
    find_cluster,
    plan_updates,
    settings,
    wanted_settings,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import WaitTimeout, poll

REQUIRED_TO_CREATE = ("kafka_version", "broker_count", "instance_type", "subnets")


def summary(cluster, values):
    return {"arn": cluster.get("ClusterArn"), "name": cluster.get("ClusterName"), "state": cluster.get("State"),
            **values}


class Converger:
    """One cluster's create / update / delete, recording what it does in ``result``."""

    def __init__(self, module, client):
        self.module, self.client, self.p = module, client, module.params
        self.result = dict(changed=False, operations=[], pending=[], waited=0.0)

    def read(self):
        return find_cluster(self.client, self.p["name"])

    def wait_until(self, done, what):
        remaining = self.p["wait_timeout"] - self.result["waited"]
        cluster, waited = poll(self.read, done, remaining, what,
                               status_of=lambda c: c["State"] if c else None, interval_max=30.0)
        self.result["waited"] = round(self.result["waited"] + waited, 1)
        return cluster

    def wait_active(self, name):
        cluster = self.wait_until(lambda c: c is None or c["State"] not in BUSY_STATES,
                                  f"MSK cluster {name} to be ACTIVE")
        if cluster is None or cluster["State"] != "ACTIVE":
            self.module.fail_json(msg=f"MSK cluster {name} is {cluster['State'] if cluster else 'gone'}, not ACTIVE; "
                                      "see its state info in the MSK console", **self.result)
        return cluster

    def present(self):
        p, name = self.p, self.p["name"]
        cluster = self.read()
        if cluster and cluster["State"] == "DELETING":
            self.module.fail_json(msg=f"MSK cluster {name} is being deleted; run again once it is gone", **self.result)
        if cluster is None:
            return self.create()
        have = settings(cluster)
        want = wanted_settings(p, have)
        updates, impossible = plan_updates(have, want)
        if impossible:
            self.module.fail_json(msg=f"MSK cluster {name} cannot be converged: " + "; ".join(impossible)
                                  + ". Change the inventory back, or tear the environment down and deploy again.",
                                  cluster=summary(cluster, have), **self.result)
        tags_to_set, tags_to_drop = compare_aws_tags(have["tags"], want["tags"], purge_tags=True)
        if updates or tags_to_set or tags_to_drop:
            self.result.update(changed=True, diff={"before": have, "after": want})
        self.result["cluster"] = summary(cluster, want if self.module.check_mode else have)
        if self.module.check_mode:
            self.result["operations"] = [{"change": what} for _, _, what in updates]
            if tags_to_set or tags_to_drop:
                self.result["operations"].append({"change": "tags"})
            return
        if tags_to_drop:
            self.client.untag_resource(ResourceArn=cluster["ClusterArn"], TagKeys=tags_to_drop, aws_retry=True)
        if tags_to_set:
            self.client.tag_resource(ResourceArn=cluster["ClusterArn"], Tags=tags_to_set, aws_retry=True)
        if tags_to_set or tags_to_drop:
            self.result["operations"].append({"change": "tags"})
        for index, (operation, args, what) in enumerate(updates):
            if cluster["State"] != "ACTIVE":
                if not p["wait"]:
                    self.result["pending"] = [w for _, _, w in updates[index:]]
                    self.module.warn(f"MSK cluster {name} is {cluster['State']}: {', '.join(self.result['pending'])} "
                                     "can change once it is ACTIVE. Run again then, or with wait.")
                    break
                cluster = self.wait_active(name)
            response = getattr(self.client, operation)(ClusterArn=cluster["ClusterArn"],
                                                       CurrentVersion=cluster["CurrentVersion"], aws_retry=True,
                                                       **args)
            self.result["operations"].append({"change": what, "operation_arn": response.get("ClusterOperationArn")})
            cluster = self.read()
        if p["wait"] and cluster["State"] != "ACTIVE":
            cluster = self.wait_active(name)
        self.result["cluster"] = summary(cluster, settings(cluster))

    def create(self):
        p, name = self.p, self.p["name"]
        missing = [k for k in REQUIRED_TO_CREATE if not p[k]]
        if missing:
            self.module.fail_json(msg=f"MSK cluster {name} does not exist; to create it, give {', '.join(missing)}",
                                  **self.result)
        request = create_request(p)
        want = wanted_settings(p, {"tags": {}})
        self.result.update(changed=True, diff={"before": {}, "after": want}, operations=[{"change": "create"}])
        self.result["cluster"] = summary({"ClusterName": name, "State": "CREATING"}, want)
        if self.module.check_mode:
            return
        response = self.client.create_cluster(aws_retry=True, **request)
        self.result["operations"][0]["operation_arn"] = response.get("ClusterArn")
        self.result["cluster"]["arn"] = response.get("ClusterArn")
        if p["wait"]:
            cluster = self.wait_active(name)
            self.result["cluster"] = summary(cluster, settings(cluster))

    def absent(self):
        name = self.p["name"]
        cluster = self.read()
        if cluster is None:
            return
        self.result["cluster"] = summary(cluster, settings(cluster))
        if cluster["State"] != "DELETING":
            self.result.update(changed=True, diff={"before": settings(cluster), "after": {}},
                               operations=[{"change": "delete"}])
            if self.module.check_mode:
                return
            try:
                self.client.delete_cluster(ClusterArn=cluster["ClusterArn"], CurrentVersion=cluster["CurrentVersion"],
                                           aws_retry=True)
            except is_boto3_error_code("NotFoundException"):  # gone meanwhile
                self.result.update(changed=False, operations=[])
                return
        if self.p["wait"]:
            self.wait_until(lambda c: c is None, f"MSK cluster {name} to be deleted")
            self.result["cluster"]["state"] = "DELETED"


def main():
    auth_options = {mode: dict(type="bool", default=False) for mode in AUTH_MODES}
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            kafka_version=dict(type="str"),
            broker_count=dict(type="int"),
            instance_type=dict(type="str"),
            ebs_volume_gb=dict(type="int", default=100),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str"),
            configuration_arn=dict(type="str"),
            configuration_revision=dict(type="int", default=1),
            authentication=dict(type="dict", options=auth_options),
            client_broker_encryption=dict(type="str", default="TLS", choices=["TLS", "TLS_PLAINTEXT", "PLAINTEXT"]),
            in_cluster_encryption=dict(type="bool", default=True),
            kms_key_id=dict(type="str"),
            enhanced_monitoring=dict(type="str", default="DEFAULT",
                                     choices=["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]),
            log_group=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=5400),
        ),
        required_if=[("state", "present", ["authentication"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present" and not any(p["authentication"].values()):
        module.fail_json(msg="authentication: enable at least one of iam, scram, unauthenticated_tls (MSK needs a "
                             "way in)")
    if p["wait_timeout"] < 1:
        module.fail_json(msg=f"wait_timeout must be at least 1 second, got {p['wait_timeout']}")
    client = module.client("kafka", retry_decorator=AWSRetry.jittered_backoff())
    converger = Converger(module, client)
    try:
        converger.present() if p["state"] == "present" else converger.absent()
    except WaitTimeout as exc:
        converger.result["waited"] = round(converger.result["waited"] + exc.waited, 1)
        module.fail_json(msg=f"{exc}. Run again later, or poll msk_cluster_info.", **converger.result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to converge MSK cluster {p['name']} ({p['state']})", **converger.result)
    module.exit_json(**converger.result)


if __name__ == "__main__":
    main()
