#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_addon
short_description: Create, update or delete an Amazon EKS add-on, with its EKS Pod Identity associations
version_added: 0.3.0
description:
  - Reads the add-on first and calls C(CreateAddon), C(UpdateAddon) or C(DeleteAddon) only
    when it differs from what is asked; tags are reconciled with C(TagResource)/C(UntagResource).
  - Why it exists - neither C(amazon.aws) 10 nor C(community.aws) 10 has an EKS add-on module.
  - Options left out (V(null)) are not managed - an existing add-on keeps its version,
    role, configuration and associations. Give an empty value to remove one
    (O(service_account_role_arn=\"\"), O(configuration_values={}), O(pod_identity_associations=[])).
  - B(Version) - without O(addon_version) a new add-on gets the version EKS marks default
    for the cluster's Kubernetes version (C(DescribeAddonVersions), C(defaultVersion); the
    newest compatible one if none is marked), and an existing add-on is never upgraded
    behind your back. O(addon_version=default) also moves an existing add-on to that
    version (after a cluster upgrade, for example).
  - B(IAM) - prefer O(pod_identity_associations) (EKS Pod Identity; needs the
    C(eks-pod-identity-agent) add-on) to O(service_account_role_arn) (IRSA; needs the
    cluster's OIDC provider in IAM). The role must trust C(pods.eks.amazonaws.com) for
    C(sts:AssumeRole) and C(sts:TagSession). A role created moments before is retried for
    up to 30 seconds while IAM propagates it.
  - B(Waiting) - with O(wait=true) (the default) the module polls until the add-on is
    C(ACTIVE) (or gone), at most O(wait_timeout) seconds; C(CREATE_FAILED)/C(UPDATE_FAILED)
    fail at once with EKS's health issues, C(DEGRADED) is waited out and reported at the
    timeout. Most add-ons take 1-3 minutes on AWS; they need nodes to run on, so create
    them after the node group. A module prints nothing while it waits - name the task
    after the wait. An add-on that needs no change but is not C(ACTIVE) gives a warning
    with its health issues.
author:
  - streamstack maintainers
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  name:
    description: Add-on name, for example C(aws-ebs-csi-driver), C(eks-pod-identity-agent), C(coredns).
    type: str
    required: true
    aliases: [addon_name]
  addon_version:
    description:
      - Version such as C(v1.48.0-eksbuild.1), or V(default) for the version EKS marks
        default for the cluster's Kubernetes version.
      - Omitted - a new add-on gets that default version; an existing one keeps its version.
    type: str
  service_account_role_arn:
    description:
      - IAM role for the add-on's service account through IRSA (the cluster needs an IAM
        OIDC provider). V(\"\") removes it.
    type: str
  pod_identity_associations:
    description:
      - EKS Pod Identity associations owned by the add-on, in its namespace. The add-on
        gets exactly these; V([]) removes them all.
    type: list
    elements: dict
    suboptions:
      service_account:
        description: Kubernetes service account of the add-on, for example C(ebs-csi-controller-sa).
        type: str
        required: true
      role_arn:
        description: IAM role the service account's pods receive credentials for.
        type: str
        required: true
  configuration_values:
    description:
      - The add-on's configuration (its schema comes from C(DescribeAddonConfiguration)),
        sent as JSON. Compared as data, so key order and JSON/YAML spelling do not matter.
        V({}) resets it to the add-on's defaults.
    type: dict
  resolve_conflicts:
    description:
      - What EKS does when the add-on's Kubernetes objects were changed outside EKS.
      - V(PRESERVE) (default) keeps such changes on update and fails a create that
        conflicts with a self-managed installation; V(OVERWRITE) resets them to EKS's
        values; V(NONE) fails the operation on any conflict.
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
    default: PRESERVE
  tags:
    description: Tags of the add-on. Omitted - tags are not managed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (only when O(tags) is given).
    type: bool
    default: true
  state:
    description: V(present) creates or updates; V(absent) deletes (an add-on already gone is fine).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the add-on is C(ACTIVE) after a change, or gone after a delete.
    type: bool
    default: true
  wait_timeout:
    description: Upper bound of that wait, seconds.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode. In check mode the module reads the cluster, the
    add-on and the default version, and changes nothing.
"""

EXAMPLES = r"""
- name: EKS Pod Identity agent (what pod_identity_associations need)
  streamstack.pipeline.eks_addon:
    cluster_name: streamstack-poc
    name: eks-pod-identity-agent

- name: EBS CSI driver; its controller gets the role through EKS Pod Identity (about 2 min on AWS)
  streamstack.pipeline.eks_addon:
    cluster_name: streamstack-poc
    name: aws-ebs-csi-driver
    pod_identity_associations:
      - service_account: ebs-csi-controller-sa
        role_arn: arn:aws:iam::123456789012:role/streamstack/poc/streamstack-poc-ebs-csi
    configuration_values:
      controller:
        replicaCount: 1
    tags:
      Project: streamstack
      Environment: poc
    wait_timeout: 900

- name: Move coredns to the version EKS recommends for the cluster's Kubernetes version
  streamstack.pipeline.eks_addon:
    cluster_name: streamstack-poc
    name: coredns
    addon_version: default

- name: Remove the add-on (and the associations it owns)
  streamstack.pipeline.eks_addon:
    cluster_name: streamstack-poc
    name: aws-ebs-csi-driver
    state: absent
"""

RETURN = r"""
addon:
  description: The add-on after the run (what check mode would make); V({}) when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Add-on name.
      type: str
    cluster_name:
      description: Cluster name.
      type: str
    arn:
      description: Add-on ARN (not known before creation in check mode).
      type: str
    status:
      description: CREATING, ACTIVE, CREATE_FAILED, UPDATING, DELETING, DELETE_FAILED, DEGRADED or UPDATE_FAILED.
      type: str
    version:
      description: Add-on version.
      type: str
      sample: v1.48.0-eksbuild.1
    service_account_role_arn:
      description: IRSA role, or null.
      type: str
    pod_identity_associations:
      description: Associations owned by the add-on, sorted by service account.
      type: list
      elements: dict
      sample: [{"service_account": "ebs-csi-controller-sa", "role_arn": "arn:aws:iam::123456789012:role/x",
                "namespace": "kube-system", "association_arn": "arn:aws:eks:...:podidentityassociation/c/a-..."}]
    configuration_values:
      description: Configuration as data (V({}) when none).
      type: dict
    tags:
      description: Tags.
      type: dict
    health_issues:
      description: EKS's health issues (code, message) of the add-on.
      type: list
      elements: dict
changes:
  description: What was (or in check mode would be) done, in order.
  returned: always
  type: list
  elements: str
  sample: ["version", "pod_identity_associations", "tags"]
update_id:
  description: Id of the C(UpdateAddon) update started.
  returned: when the add-on was updated (not in check mode)
  type: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
diff:
  description: The managed fields before and after.
  returned: when changed
  type: dict
"""

import json
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.streamstack.pipeline.plugins.module_utils.eks import (
    ADDON_FAILED,
    ADDON_TRANSITIONAL,
    default_addon_version,
    describe_addon,
    describe_cluster,
    error_code,
    error_message,
    parse_configuration,
)
from ansible_collections.streamstack.pipeline.plugins.module_utils.waiting import WaitTimeout, poll

# IAM is eventually consistent: a role made seconds ago may still be unknown to EKS.
IAM_PROPAGATION_SECONDS = 30
MANAGED = ("version", "service_account_role_arn", "configuration_values", "pod_identity_associations", "tags")


class Failure(Exception):
    def __init__(self, msg, exc=None, **extra):
        super().__init__(msg)
        self.msg, self.exc, self.extra = msg, exc, extra


class EksAddon:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff())
        self.cluster_name = self.params["cluster_name"]
        self.name = self.params["name"]
        self.changes = []
        self.mutated = False  # a change call succeeded (what `changed` reports on a failure)
        self.waited = 0.0
        self.update_id = None

    # -- reading -----------------------------------------------------------
    def read(self):
        return describe_addon(self.client, self.cluster_name, self.name)

    def associations(self, raw):
        out = []
        for arn in raw.get("podIdentityAssociations") or []:
            try:
                assoc = self.client.describe_pod_identity_association(
                    clusterName=self.cluster_name, associationId=arn.rsplit("/", 1)[-1], aws_retry=True)["association"]
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    continue  # deleted meanwhile
                raise
            out.append({"service_account": assoc["serviceAccount"], "role_arn": assoc["roleArn"],
                        "namespace": assoc.get("namespace"), "association_arn": assoc.get("associationArn", arn)})
        return sorted(out, key=lambda a: a["service_account"])

    def view(self, raw):
        """The add-on in this module's vocabulary (RETURN addon)."""
        if not raw:
            return {}
        try:
            config = parse_configuration(raw.get("configurationValues"))
        except ValueError:
            config = {"_unparsed": raw.get("configurationValues")}
        return {
            "name": raw["addonName"],
            "cluster_name": raw.get("clusterName", self.cluster_name),
            "arn": raw.get("addonArn"),
            "status": raw.get("status"),
            "version": raw.get("addonVersion"),
            "service_account_role_arn": raw.get("serviceAccountRoleArn"),
            "pod_identity_associations": self.associations(raw),
            "configuration_values": config,
            "tags": dict(raw.get("tags") or {}),
            "health_issues": [{"code": i.get("code"), "message": i.get("message")}
                              for i in (raw.get("health") or {}).get("issues") or []],
        }

    @staticmethod
    def managed(view):
        """What a diff shows: the managed fields only, associations without their ARNs."""
        if not view:
            return {}
        out = {k: view.get(k) for k in MANAGED}
        out["pod_identity_associations"] = [{"service_account": a["service_account"], "role_arn": a["role_arn"]}
                                            for a in view.get("pod_identity_associations") or []]
        return out

    def default_version(self, kubernetes_version):
        pages = self.client.get_paginator("describe_addon_versions").paginate(
            addonName=self.name, kubernetesVersion=kubernetes_version)
        addons = [a for page in pages for a in page.get("addons") or [] if a.get("addonName") == self.name]
        version = default_addon_version(addons, kubernetes_version)
        if version is None:
            raise Failure(f"EKS offers no version of add-on {self.name} for Kubernetes {kubernetes_version} "
                          f"(DescribeAddonVersions): check the add-on name, or set addon_version")
        return version

    # -- waiting -----------------------------------------------------------
    def wait(self, what, done):
        if not self.params["wait"]:
            return self.read()
        try:
            raw, waited = poll(self.read, done, self.params["wait_timeout"], what,
                               status_of=lambda a: a.get("status") if a else None)
        except WaitTimeout as exc:
            self.waited += exc.waited
            last = self.read()
            issues = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in ((last or {}).get("health") or {}).get("issues") or [])
            raise Failure(f"{exc}. Add-on {self.name} of cluster {self.cluster_name}"
                          + (f" reports: {issues}" if issues else "")
                          + ". Add-ons need nodes to run on; see the add-on's pods (kubectl -n kube-system get pods).",
                          addon=self.view(last))
        self.waited += waited
        return raw

    def settle(self, raw):
        """An add-on in a transition is waited out before it is compared (or fails without wait)."""
        if raw and raw.get("status") in ADDON_TRANSITIONAL:
            if not self.params["wait"]:
                raise Failure(f"Add-on {self.name} of cluster {self.cluster_name} is {raw['status']}; "
                              "run again once it is done, or with wait=true", addon=self.view(raw))
            raw = self.wait(f"add-on {self.name} to finish {raw['status']}",
                            lambda a: a is None or a.get("status") not in ADDON_TRANSITIONAL)
        return raw

    def until_active(self, action):
        def done(addon):
            if addon is None:
                raise Failure(f"Add-on {self.name} of cluster {self.cluster_name} vanished while {action}")
            if addon.get("status") in ADDON_FAILED:
                issues = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in (addon.get("health") or {}).get("issues") or [])
                raise Failure(f"Add-on {self.name} of cluster {self.cluster_name} is {addon['status']} after {action}"
                              + (f": {issues}" if issues else ""), addon=self.view(addon))
            return addon.get("status") == "ACTIVE"
        return self.wait(f"add-on {self.name} to be ACTIVE after {action}", done)

    # -- IAM propagation ---------------------------------------------------
    def call(self, method, **kwargs):
        deadline = time.monotonic() + min(IAM_PROPAGATION_SECONDS, self.params["wait_timeout"])
        while True:
            try:
                return getattr(self.client, method)(aws_retry=True, **kwargs)
            except botocore.exceptions.ClientError as exc:
                if (error_code(exc) == "InvalidParameterException" and "does not exist" in error_message(exc)
                        and "role" in error_message(exc).lower() and time.monotonic() < deadline):
                    time.sleep(5)
                    continue
                raise

    # -- wanted state ------------------------------------------------------
    def wanted_associations(self):
        pia = self.params["pod_identity_associations"]
        if pia is None:
            return None
        return sorted(({"service_account": a["service_account"], "role_arn": a["role_arn"]} for a in pia),
                      key=lambda a: a["service_account"])

    def run(self):
        cluster = describe_cluster(self.client, self.cluster_name)
        if self.params["state"] == "absent":
            return self.absent(cluster)
        if cluster is None:
            raise Failure(f"EKS cluster {self.cluster_name} not found: create it before its add-ons")
        return self.present(cluster)

    def absent(self, cluster):
        raw = self.read() if cluster else None
        if raw and raw.get("status") == "DELETING":
            if self.params["wait"]:
                self.wait(f"add-on {self.name} to be deleted", lambda a: a is None)
            return dict(changed=False, addon={}, changes=[], waited=self.waited)
        if raw is None:
            return dict(changed=False, addon={}, changes=[], waited=self.waited)
        before = self.view(raw)
        self.changes.append("deleted")
        result = dict(changed=True, addon={}, changes=self.changes,
                      diff={"before": self.managed(before), "after": {}})
        if self.module.check_mode:
            return dict(result, waited=self.waited)
        try:
            self.client.delete_addon(clusterName=self.cluster_name, addonName=self.name, aws_retry=True)
            self.mutated = True
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        if self.params["wait"]:
            self.wait(f"add-on {self.name} to be deleted", lambda a: a is None)
        return dict(result, waited=self.waited)

    def present(self, cluster):
        raw = self.settle(self.read())
        p = self.params
        pia = self.wanted_associations()
        config = p["configuration_values"]
        if raw is None:
            return self.create(cluster, pia, config)

        before = self.view(raw)
        after = dict(before)
        request = {}
        version = p["addon_version"]
        if version == "default":
            version = self.default_version(cluster["version"])
        if version and version != before["version"]:
            request["addonVersion"] = after["version"] = version
            self.changes.append("version")
        role = p["service_account_role_arn"]
        if role is not None and role != (before["service_account_role_arn"] or ""):
            request["serviceAccountRoleArn"] = role
            after["service_account_role_arn"] = role or None
            self.changes.append("service_account_role_arn")
        if config is not None and config != before["configuration_values"]:
            request["configurationValues"] = json.dumps(config, sort_keys=True)
            after["configuration_values"] = config
            self.changes.append("configuration_values")
        current_pia = self.managed(before)["pod_identity_associations"]
        if pia is not None and pia != current_pia:
            request["podIdentityAssociations"] = [{"serviceAccount": a["service_account"], "roleArn": a["role_arn"]}
                                                  for a in pia]
            after["pod_identity_associations"] = [dict(a, namespace=None, association_arn=None) for a in pia]
            self.changes.append("pod_identity_associations")
        tags_set, tags_unset = {}, []
        if p["tags"] is not None:
            tags_set, tags_unset = compare_aws_tags(before["tags"], p["tags"], p["purge_tags"])
            if tags_set or tags_unset:
                after["tags"] = {k: v for k, v in {**before["tags"], **tags_set}.items() if k not in tags_unset}
                self.changes.append("tags")

        if not self.changes:
            if before["status"] != "ACTIVE":
                issues = "; ".join(f"{i['code']}: {i['message']}" for i in before["health_issues"]) or "no health issues given"
                self.module.warn(f"Add-on {self.name} of cluster {self.cluster_name} is {before['status']} ({issues})")
            return dict(changed=False, addon=before, changes=[], waited=self.waited)
        result = dict(changed=True, changes=self.changes,
                      diff={"before": self.managed(before), "after": self.managed(after)})
        if self.module.check_mode:
            return dict(result, addon=after, waited=self.waited)

        if request:
            response = self.call("update_addon", clusterName=self.cluster_name, addonName=self.name,
                                 resolveConflicts=p["resolve_conflicts"], **request)
            self.update_id = (response.get("update") or {}).get("id")
            self.mutated = True
        if tags_unset:
            self.client.untag_resource(resourceArn=raw["addonArn"], tagKeys=tags_unset, aws_retry=True)
            self.mutated = True
        if tags_set:
            self.client.tag_resource(resourceArn=raw["addonArn"], tags=tags_set, aws_retry=True)
            self.mutated = True
        final = self.until_active("the update") if request else self.read()
        result.update(addon=self.view(final), waited=self.waited)
        if self.update_id:
            result["update_id"] = self.update_id
        return result

    def create(self, cluster, pia, config):
        p = self.params
        version = p["addon_version"]
        if not version or version == "default":
            version = self.default_version(cluster["version"])
        request = dict(clusterName=self.cluster_name, addonName=self.name, addonVersion=version,
                       resolveConflicts=p["resolve_conflicts"])
        if p["service_account_role_arn"]:
            request["serviceAccountRoleArn"] = p["service_account_role_arn"]
        if config:
            request["configurationValues"] = json.dumps(config, sort_keys=True)
        if pia:
            request["podIdentityAssociations"] = [{"serviceAccount": a["service_account"], "roleArn": a["role_arn"]}
                                                  for a in pia]
        if p["tags"]:
            request["tags"] = p["tags"]
        planned = {
            "name": self.name, "cluster_name": self.cluster_name, "arn": None, "status": "ACTIVE",
            "version": version, "service_account_role_arn": p["service_account_role_arn"] or None,
            "pod_identity_associations": [dict(a, namespace=None, association_arn=None) for a in pia or []],
            "configuration_values": config or {}, "tags": dict(p["tags"] or {}), "health_issues": [],
        }
        self.changes.append("created")
        result = dict(changed=True, changes=self.changes, diff={"before": {}, "after": self.managed(planned)})
        if self.module.check_mode:
            return dict(result, addon=planned, waited=self.waited)
        self.call("create_addon", **request)
        self.mutated = True
        final = self.until_active("creation") if p["wait"] else self.read()
        return dict(result, addon=self.view(final), waited=self.waited)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True, aliases=["addon_name"]),
            addon_version=dict(type="str"),
            service_account_role_arn=dict(type="str"),
            pod_identity_associations=dict(type="list", elements="dict", options=dict(
                service_account=dict(type="str", required=True),
                role_arn=dict(type="str", required=True),
            )),
            configuration_values=dict(type="dict"),
            resolve_conflicts=dict(type="str", default="PRESERVE", choices=["NONE", "OVERWRITE", "PRESERVE"]),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = []
    for key in ("cluster_name", "name"):
        if not p[key].strip():
            problems.append(f"{key} must not be empty")
    if p["wait_timeout"] < 1:
        problems.append(f"wait_timeout must be at least 1 second, got {p['wait_timeout']}")
    seen = set()
    for index, assoc in enumerate(p["pod_identity_associations"] or []):
        if assoc["service_account"] in seen:
            problems.append(f"pod_identity_associations lists service account {assoc['service_account']} twice")
        seen.add(assoc["service_account"])
        if not assoc["role_arn"].startswith("arn:") or ":role/" not in assoc["role_arn"]:
            problems.append(f"pod_identity_associations[{index}].role_arn must be an IAM role ARN "
                            f"(arn:aws:iam::ACCOUNT:role/NAME), got {assoc['role_arn']!r}")
        if not assoc["service_account"].strip():
            problems.append(f"pod_identity_associations[{index}].service_account must not be empty")
    role = p["service_account_role_arn"]
    if role and (not role.startswith("arn:") or ":role/" not in role):
        problems.append(f"service_account_role_arn must be an IAM role ARN or \"\", got {role!r}")
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False)

    addon = EksAddon(module)
    try:
        result = addon.run()
    except Failure as failure:
        kwargs = dict(changed=addon.mutated, changes=addon.changes if addon.mutated else [], waited=addon.waited,
                      **failure.extra)
        if failure.exc is not None:
            module.fail_json_aws(failure.exc, msg=failure.msg, **kwargs)
        module.fail_json(msg=failure.msg, **kwargs)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg=f"EKS add-on {addon.name} of cluster {addon.cluster_name}",
                             changed=addon.mutated, changes=addon.changes if addon.mutated else [],
                             waited=addon.waited)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
