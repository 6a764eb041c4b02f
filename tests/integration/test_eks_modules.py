"""streamstack.pipeline.eks_addon, eks_cluster_endpoint and eks_token, and the eks
role's add-ons, endpoint access and node security group, run by ansible-playbook
against the AWS emulator (moto + tests/harness/emulator/patches/eks.py).

* Add-on lifecycle, one playbook: check-mode create -> create (EBS CSI driver with an
  EKS Pod Identity association, the version EKS marks default) -> create again ->
  update (version, configuration, tags; diff) -> update again -> an update EKS takes a
  while to finish (the emulator's manual transition: the module waits) -> check-mode
  removal of the association -> removal -> addon_version=default (back to the default)
  -> check-mode delete -> delete -> delete again. After every check-mode step a probe
  reads the add-on with boto3 (not our modules) and asserts nothing changed.
* Endpoint access, one playbook: check mode -> private on, public from two CIDRs
  (waited for: the cluster's update takes 2 s here) -> again -> other CIDRs ->
  private only -> again -> public back.
* Bad input, one playbook: a role that does not trust EKS Pod Identity, a role that
  does not exist (retried while IAM would propagate, then a clear failure), an add-on
  EKS does not offer, a missing cluster: each fails clearly, changed=false, nothing made.
* eks_token against the emulator: the token decodes to a presigned URL for it.
* The eks role (with the vpc role, environment ``ekstest``): deploy -> a rule added to
  the nodes' group as the alb role adds it -> deploy again (changed=0, the rule kept)
  -> --check (changed=0) -> teardown (EBS CSI role, nodes' group, cluster gone) ->
  teardown again (changed=0). Read back with boto3.

The module playbooks start together (module fixture ``runs``); the role test runs
after them, alone (it takes about 2-3 minutes).
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from integration.awsstate import client as aws_client
from integration.playbook import ROOT, assert_ok, failures, run_play, run_playbook

PYTHON = ROOT / ".venv" / "bin" / "python"
ADDON = "streamstack.pipeline.eks_addon"
ENDPOINT = "streamstack.pipeline.eks_cluster_endpoint"
TOKEN = "streamstack.pipeline.eks_token"
# The emulator's table (patches/eks.py ADDON_VERSIONS): newest first, the first is the default.
EBS_DEFAULT, EBS_OLDER = "v1.48.0-eksbuild.1", "v1.45.0-eksbuild.2"

# Reads an add-on (and its associations) or a cluster's endpoint access without our modules.
HELPER = textwrap.dedent(
    """
    import json, sys
    import boto3
    what, endpoint, cluster = sys.argv[1:4]
    eks = boto3.client("eks", endpoint_url=endpoint, region_name="us-east-1")
    if what == "endpoint":
        vpc = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]
        print(json.dumps({"private": vpc["endpointPrivateAccess"], "public": vpc["endpointPublicAccess"],
                          "cidrs": sorted(vpc["publicAccessCidrs"]),
                          "updates": len(eks.list_updates(name=cluster)["updateIds"])}))
        sys.exit()
    try:
        a = eks.describe_addon(clusterName=cluster, addonName=sys.argv[4])["addon"]
    except eks.exceptions.ResourceNotFoundException:
        print(json.dumps({"exists": False})); sys.exit()
    assocs = [eks.describe_pod_identity_association(clusterName=cluster, associationId=arn.rsplit("/", 1)[1])["association"]
              for arn in a.get("podIdentityAssociations") or []]
    print(json.dumps({"exists": True, "status": a["status"], "version": a["addonVersion"],
                      "config": json.loads(a["configurationValues"]) if a.get("configurationValues") else None,
                      "tags": a.get("tags", {}),
                      "assocs": [[x["namespace"], x["serviceAccount"], x["roleArn"]] for x in assocs]}))
    """
)


def _env() -> dict:
    """What the aws_env fixture gives (module scope needs its own copy)."""
    strip = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k not in strip}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def trust(service: str, actions) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}]})


def aws_setup(emu) -> SimpleNamespace:
    """Three ACTIVE clusters (add-on lifecycle, endpoint, bad input) and the IAM roles."""
    tag = uuid.uuid4().hex[:8]
    iam, ec2, eks = (emu.client(s) for s in ("iam", "ec2", "eks"))
    cluster_role = iam.create_role(RoleName=f"eks-{tag}", AssumeRolePolicyDocument=trust(
        "eks.amazonaws.com", "sts:AssumeRole"))["Role"]["Arn"]
    pods = iam.create_role(RoleName=f"ebs-csi-{tag}", Path="/streamstack/test/", AssumeRolePolicyDocument=trust(
        "pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]))["Role"]["Arn"]
    pods2 = iam.create_role(RoleName=f"ebs-csi2-{tag}", AssumeRolePolicyDocument=trust(
        "pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]))["Role"]["Arn"]
    no_tag_session = iam.create_role(RoleName=f"no-tag-{tag}", AssumeRolePolicyDocument=trust(
        "pods.eks.amazonaws.com", "sts:AssumeRole"))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.72.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.72.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    clusters = {}
    for kind in ("addon", "endpoint", "bad"):
        clusters[kind] = f"{kind}-{tag}"
        eks.create_cluster(name=clusters[kind], roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subnets})
        assert eks.describe_cluster(name=clusters[kind])["cluster"]["status"] == "ACTIVE"
    return SimpleNamespace(tag=tag, pods=pods, pods2=pods2, no_tag_session=no_tag_session, clusters=clusters,
                           missing_role=pods.rsplit("/", 1)[0] + f"/missing-{tag}")


def helper(what, register, cluster, addon=""):
    return {"name": f"probe {register}", "register": register, "changed_when": False,
            "ansible.builtin.command": {"argv": [str(PYTHON), "{{ helper }}", what, "{{ emulator_url }}", cluster, addon]}}


def check(title, *that):
    return {"name": title, "ansible.builtin.assert": {"that": list(that), "fail_msg": f"{title}: failed"}}


def transition(model, **kw):
    path = "set-transition" if kw else "unset-transition"
    body = {"model_name": model, **({"transition": kw} if kw else {})}
    return {"name": f"Emulator: {model} {kw or 'immediate'}",
            "ansible.builtin.uri": {"url": "{{ emulator_url }}/moto-api/state-manager/" + path, "method": "POST",
                                    "body_format": "json", "body": body, "status_code": [200, 201]}}


def addon_tasks(ctx) -> list:
    cluster = ctx.clusters["addon"]
    base = {"cluster_name": cluster, "name": "aws-ebs-csi-driver",
            "pod_identity_associations": [{"service_account": "ebs-csi-controller-sa", "role_arn": ctx.pods}],
            "tags": {"Project": "streamstack", "Environment": "test"}}
    v2 = {**base, "addon_version": EBS_OLDER, "configuration_values": {"controller": {"extraVolumeTags": {"Project": "streamstack"}}},
          "tags": {"Project": "streamstack", "Environment": "test", "Owner": "data"}}
    v3 = {**v2, "pod_identity_associations": [{"service_account": "ebs-csi-controller-sa", "role_arn": ctx.pods2}]}
    no_pia = {**v3, "pod_identity_associations": []}

    def step(title, register, args, check_mode=False, **extra):
        task = {"name": title, ADDON: args, "register": register, "diff": True, **extra}
        if check_mode:
            task["check_mode"] = True
        return task

    def probe(register):
        return helper("addon", register, cluster, "aws-ebs-csi-driver")

    p = "(p_{0}.stdout | from_json)"
    assoc = json.dumps([["kube-system", "ebs-csi-controller-sa", ctx.pods]])
    block = [
        step("Create in check mode", "c_create", base, check_mode=True),
        probe("p_c_create"),
        check("Check-mode create reported, with the default version, and made nothing",
              "c_create is changed", "c_create.changes == ['created']", "c_create.diff.before == {}",
              f"c_create.addon.version == '{EBS_DEFAULT}'", f"c_create.diff.after.version == '{EBS_DEFAULT}'",
              "not " + p.format("c_create") + ".exists"),
        step("Create", "create", base),
        step("Create again", "create_again", base),
        probe("p_create"),
        check("Created ACTIVE at the default version with its association, then unchanged",
              "create is changed", "create_again is not changed", "create_again.changes == []",
              "create.addon.status == 'ACTIVE'", f"create.addon.version == '{EBS_DEFAULT}'",
              "create.addon.pod_identity_associations | length == 1",
              "create.addon.pod_identity_associations[0].namespace == 'kube-system'",
              f"create.addon.pod_identity_associations[0].role_arn == '{ctx.pods}'",
              "create.addon.arn is match('arn:aws:eks:us-east-1:123456789012:addon/')",
              "create.addon.tags == {'Project': 'streamstack', 'Environment': 'test'}",
              p.format("create") + f".assocs == {assoc}", p.format("create") + ".status == 'ACTIVE'"),
        step("Update version, configuration and tags", "update", v2),
        step("Update again", "update_again", v2),
        probe("p_update"),
        check("One UpdateAddon (tags by TagResource), diff shown, then unchanged",
              "update is changed", "update.changes == ['version', 'configuration_values', 'tags']",
              "update.update_id is string", f"update.diff.before.version == '{EBS_DEFAULT}'",
              f"update.diff.after.version == '{EBS_OLDER}'",
              "update.diff.after.configuration_values.controller.extraVolumeTags.Project == 'streamstack'",
              "update_again is not changed",
              p.format("update") + f".version == '{EBS_OLDER}'",
              p.format("update") + ".config == {'controller': {'extraVolumeTags': {'Project': 'streamstack'}}}",
              p.format("update") + ".tags.Owner == 'data'", p.format("update") + f".assocs == {assoc}"),
        transition("eks::addon", progression="manual", times=2),
        step("Move the controller to another role while EKS takes a while (UPDATING twice)", "slow", v3),
        transition("eks::addon"),
        probe("p_slow"),
        check("The module waited for ACTIVE; the association changed its role in place",
              "slow is changed", "slow.changes == ['pod_identity_associations']", "slow.waited > 0",
              "slow.addon.status == 'ACTIVE'", f"slow.addon.pod_identity_associations[0].role_arn == '{ctx.pods2}'",
              p.format("slow") + f".assocs == {json.dumps([['kube-system', 'ebs-csi-controller-sa', ctx.pods2]])}"),
        step("Remove the association in check mode", "c_no_pia", no_pia, check_mode=True),
        probe("p_c_no_pia"),
        check("Check-mode removal reported and changed nothing",
              "c_no_pia is changed", "c_no_pia.changes == ['pod_identity_associations']",
              "c_no_pia.diff.after.pod_identity_associations == []",
              p.format("c_no_pia") + ".assocs | length == 1"),
        step("Remove the association", "no_pia", no_pia),
        step("Remove it again", "no_pia_again", no_pia),
        step("Back to the version EKS marks default", "to_default", {**no_pia, "addon_version": "default"}),
        step("Leave the version alone when none is asked", "no_version", {"cluster_name": cluster, "name": "aws-ebs-csi-driver"}),
        probe("p_no_pia"),
        check("Association removed, version back to the default, unmanaged options left alone",
              "no_pia is changed", "no_pia_again is not changed", "no_pia.addon.pod_identity_associations == []",
              "to_default is changed", "to_default.changes == ['version']",
              f"to_default.addon.version == '{EBS_DEFAULT}'", "no_version is not changed",
              p.format("no_pia") + ".assocs == []", p.format("no_pia") + f".version == '{EBS_DEFAULT}'"),
        step("Delete in check mode", "c_delete", {**no_pia, "state": "absent"}, check_mode=True),
        probe("p_c_delete"),
        check("Check-mode delete reported and deleted nothing",
              "c_delete is changed", "c_delete.diff.after == {}", p.format("c_delete") + ".exists"),
        step("Delete", "delete", {"cluster_name": cluster, "name": "aws-ebs-csi-driver", "state": "absent"}),
        step("Delete again", "delete_again", {"cluster_name": cluster, "name": "aws-ebs-csi-driver", "state": "absent"}),
        step("Delete from a cluster that does not exist", "delete_nocluster",
             {"cluster_name": f"gone-{ctx.tag}", "name": "aws-ebs-csi-driver", "state": "absent"}),
        probe("p_delete"),
        check("Deleted once, then already gone is fine",
              "delete is changed", "delete.addon == {}", "delete_again is not changed",
              "delete_nocluster is not changed", "not " + p.format("delete") + ".exists"),
        step("The Pod Identity agent, as the eks role installs it", "agent",
             {"cluster_name": cluster, "name": "eks-pod-identity-agent"}),
        check("Agent ACTIVE at its default version", "agent is changed", "agent.addon.status == 'ACTIVE'",
              "agent.addon.version == 'v1.3.8-eksbuild.2'"),
    ]
    cleanup = [transition("eks::addon"),
               {"name": "Cleanup", ADDON: {"cluster_name": cluster, "name": "aws-ebs-csi-driver", "state": "absent"}}]
    return [{"name": "Lifecycle", "block": block, "always": cleanup}]


def endpoint_tasks(ctx) -> list:
    cluster = ctx.clusters["endpoint"]
    two = ["203.0.113.0/24", "198.51.100.7/32"]

    def step(title, register, check_mode=False, **args):
        task = {"name": title, ENDPOINT: {"name": cluster, "wait_timeout": 60, **args}, "register": register, "diff": True}
        if check_mode:
            task["check_mode"] = True
        return task

    p = "(p_{0}.stdout | from_json)"
    block = [
        helper("endpoint", "p_initial", cluster),
        check("EKS's default: public from anywhere, no private endpoint",
              p.format("initial") + ".cidrs == ['0.0.0.0/0']", "not " + p.format("initial") + ".private"),
        step("Restrict in check mode", "c_restrict", True, public_access_cidrs=two),
        helper("endpoint", "p_c_restrict", cluster),
        check("Check mode reported the change and made none",
              "c_restrict is changed", "c_restrict.diff.before.public_access_cidrs == ['0.0.0.0/0']",
              "c_restrict.diff.after == {'private_access': true, 'public_access': true, "
              "'public_access_cidrs': ['198.51.100.7/32', '203.0.113.0/24']}",
              p.format("c_restrict") + ".cidrs == ['0.0.0.0/0']", p.format("c_restrict") + ".updates == 0"),
        transition("eks::cluster", progression="time", seconds=2),
        step("Private on, public from two CIDRs (the update takes 2 s)", "restrict", public_access_cidrs=two),
        transition("eks::cluster"),
        step("Again", "restrict_again", public_access_cidrs=list(reversed(two))),
        helper("endpoint", "p_restrict", cluster),
        check("One EndpointAccessUpdate, waited for, then unchanged (CIDR order does not matter)",
              "restrict is changed", "restrict.cluster_update.status == 'Successful'",
              "restrict.cluster_update.type == 'EndpointAccessUpdate'", "restrict.waited >= 1",
              "restrict_again is not changed", p.format("restrict") + ".private",
              p.format("restrict") + ".cidrs == ['198.51.100.7/32', '203.0.113.0/24']",
              p.format("restrict") + ".updates == 1"),
        step("Other CIDRs", "recidr", public_access_cidrs=["198.51.100.7/32"]),
        step("Private only", "private", public_access=False),
        step("Private only again", "private_again", public_access=False),
        helper("endpoint", "p_private", cluster),
        check("Private only: public off, no second update",
              "recidr is changed", "private is changed", "private_again is not changed",
              "private.endpoint_access.public_access == false", "not " + p.format("private") + ".public",
              p.format("private") + ".updates == 3"),
        step("Public back", "public_back", public_access_cidrs=two),
        check("Public back", "public_back is changed", "public_back.endpoint_access.public_access"),
    ]
    return [{"name": "Endpoint", "block": block, "always": [transition("eks::cluster")]}]


def bad_tasks(ctx) -> list:
    cluster = ctx.clusters["bad"]
    cases = {
        "role without sts:TagSession": ({"pod_identity_associations": [
            {"service_account": "ebs-csi-controller-sa", "role_arn": ctx.no_tag_session}]}, "Trust policy of the role provided is invalid"),
        "role that does not exist": ({"pod_identity_associations": [
            {"service_account": "ebs-csi-controller-sa", "role_arn": ctx.missing_role}], "wait_timeout": 3},
            "Role provided in the request does not exist"),
        "add-on EKS does not offer": ({"name": "no-such-addon"}, "EKS offers no version of add-on no-such-addon"),
        "missing cluster": ({"cluster_name": f"nope-{ctx.tag}"}, f"EKS cluster nope-{ctx.tag} not found"),
    }
    tasks = [{"name": case, ADDON: {"cluster_name": cluster, "name": "aws-ebs-csi-driver", **args}, "ignore_errors": True}
             for case, (args, _) in cases.items()]
    tasks.append({"name": "token", TOKEN: {"cluster_name": cluster}, "register": "token", "no_log": True})
    tasks.append(check("Token for the emulator's STS, bound to the cluster", "token is not changed",
                       "token.token is match('k8s-aws-v1\\\\.')", f"token.cluster_name == '{cluster}'"))
    tasks.append({"name": "token for the test", "ansible.builtin.debug": {"msg": "{{ token.token }}"}})
    return tasks, {case: text for case, (_, text) in cases.items()}


@pytest.fixture(scope="module")
def runs(aws_emulator, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eks_plays")
    (tmp / "helper.py").write_text(HELPER)
    ctx = aws_setup(aws_emulator)
    ctx.eks = aws_emulator.client("eks")
    defaults = {"group/streamstack.pipeline.aws": {"endpoint_url": aws_emulator.url, "region": "us-east-1",
                                                   "access_key": "testing", "secret_key": "testing"}}
    play_vars = {"emulator_url": aws_emulator.url, "helper": str(tmp / "helper.py")}
    bad, ctx.bad_texts = bad_tasks(ctx)
    env = _env()
    with ThreadPoolExecutor(max_workers=3) as pool:
        ctx.futures = {
            "addon": pool.submit(run_play, tmp, env, addon_tasks(ctx), name="eks-addon",
                                 module_defaults=defaults, play_vars=play_vars),
            "endpoint": pool.submit(run_play, tmp, env, endpoint_tasks(ctx), name="eks-endpoint",
                                    module_defaults=defaults, play_vars=play_vars),
            "bad": pool.submit(run_play, tmp, env, bad, name="eks-bad", module_defaults=defaults, play_vars=play_vars),
        }
        try:
            yield ctx
        finally:
            for future in ctx.futures.values():
                future.exception()
            for model in ("eks::addon", "eks::cluster"):
                aws_emulator.unset_transition(model)


# ------------------------------------------------------------------- tests
def test_addon_lifecycle(runs):
    rc, results, output = runs.futures["addon"].result()
    assert rc == 0, f"add-on lifecycle failed:\n{failures(results)}\n{output[-3000:]}"
    assert results["Create"]["changed"] and not results["Create again"]["changed"]
    assert runs.eks.list_addons(clusterName=runs.clusters["addon"])["addons"] == ["eks-pod-identity-agent"]
    assert runs.eks.list_pod_identity_associations(clusterName=runs.clusters["addon"])["associations"] == []


def test_endpoint_access(runs):
    rc, results, output = runs.futures["endpoint"].result()
    assert rc == 0, f"endpoint play failed:\n{failures(results)}\n{output[-3000:]}"
    vpc = runs.eks.describe_cluster(name=runs.clusters["endpoint"])["cluster"]["resourcesVpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, True)
    assert sorted(vpc["publicAccessCidrs"]) == ["198.51.100.7/32", "203.0.113.0/24"]
    assert vpc["subnetIds"], "the update must not drop the subnets"


def test_bad_input_fails_clearly_and_changes_nothing(runs):
    rc, results, output = runs.futures["bad"].result()
    assert rc == 0, f"bad-input play failed:\n{failures(results)}\n{output[-3000:]}"
    problems = []
    for case, text in runs.bad_texts.items():
        result = results.get(case, {})
        if not result.get("failed"):
            problems.append(f"{case}: did not fail: {result}")
        elif text not in result.get("msg", "") + json.dumps(result.get("error", "")):
            problems.append(f"{case}: message lacks {text!r}: {result.get('msg')}")
        elif result.get("changed"):
            problems.append(f"{case}: reported changed")
        elif "Traceback" in json.dumps(result):
            problems.append(f"{case}: traceback in result")
    assert not problems, "\n".join(problems)
    assert runs.eks.list_addons(clusterName=runs.clusters["bad"])["addons"] == []


def test_token_for_the_emulator(runs, aws_emulator):
    rc, results, _ = runs.futures["bad"].result()
    assert results["token"].get("censored") and "k8s-aws-v1" not in json.dumps(results["token"]), "no_log must hide it"
    token = results["token for the test"]["msg"]
    body = token[len("k8s-aws-v1."):]
    url = urlparse(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == aws_emulator.url
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")


# ------------------------------------------------------- the eks role, end to end
ROLE_ENV = "ekstest"


def _role_playbook(tmp_path, state):
    roles = [("vpc", "vpc_state"), ("eks", "eks_state")]
    if state == "absent":
        roles.reverse()
    play = {
        "name": f"eks role {state}",
        "hosts": "aws",
        "gather_facts": False,
        "module_defaults": {"group/streamstack.pipeline.aws": {
            "region": "{{ aws_region }}", "endpoint_url": "{{ aws_endpoint_url | default('', true) or omit }}"}},
        "tasks": [{"name": f"Role {r}", "ansible.builtin.import_role": {"name": r}, "vars": {var: state}}
                  for r, var in roles],
    }
    path = tmp_path / f"eks-role-{state}.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def _api_playbook(tmp_path):
    play = {
        "name": "eks api",
        "hosts": "aws",
        "gather_facts": False,
        "module_defaults": {"group/streamstack.pipeline.aws": {
            "region": "{{ aws_region }}", "endpoint_url": "{{ aws_endpoint_url | default('', true) or omit }}"}},
        "tasks": [
            {"name": "API endpoint, CA, token", "ansible.builtin.import_role": {"name": "eks", "tasks_from": "api"}},
            {"name": "Read the CA file", "ansible.builtin.stat": {"path": "{{ eks_api.ca_path }}"}, "register": "ca"},
            {"name": "Check eks_api", "ansible.builtin.assert": {"that": [
                "eks_api.cluster_name == 'streamstack-" + ROLE_ENV + "'",
                "eks_api.host is match('https://')", "eks_api.host is not match('.*/$')",
                "eks_api.token is match('k8s-aws-v1[.]')", "eks_api.expiration is match('20[0-9-]+T')",
                "ca.stat.mode == '0600'",
                "lookup('ansible.builtin.file', eks_api.ca_path) | length > 0",
            ], "fail_msg": "eks_api is incomplete (values not shown: it holds a token)", "quiet": True}},
            {"name": "Remove the CA file", "ansible.builtin.file": {"path": "{{ eks_api.ca_path }}", "state": "absent"},
             "changed_when": False},
        ],
    }
    path = tmp_path / "eks-api.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def test_role_addons_endpoint_and_node_group_idempotent_and_torn_down(runs, aws_emulator, aws_env, tmp_path):
    for future in runs.futures.values():  # the module plays' transitions are over
        future.result()
    url = aws_emulator.url
    name = f"streamstack-{ROLE_ENV}"
    extra = {"aws_endpoint_url": url, "stack_environment": ROLE_ENV}
    deploy, teardown = _role_playbook(tmp_path, "present"), _role_playbook(tmp_path, "absent")
    eks, ec2, iam = (aws_client(s, url) for s in ("eks", "ec2", "iam"))

    # The node group's first CreateNodegroup meets a node role EKS cannot assume yet (IAM
    # propagation, patches/iam.py): the role retries that refusal, and only that.
    aws_emulator.iam_propagation(times={"ec2.amazonaws.com": 1})
    try:
        first = run_playbook(deploy, "poc", aws_env, extra)
        refused = aws_emulator.iam_refusals()
    finally:
        aws_emulator.iam_propagation()
    assert_ok(first, "eks role deploy")
    assert refused == {"ec2.amazonaws.com": 1}, refused
    assert "FAILED - RETRYING: [localhost]: Create or resize the managed node group" in first.output
    cluster = eks.describe_cluster(name=name)["cluster"]
    vpc = cluster["resourcesVpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"], vpc["publicAccessCidrs"]) == (
        True, True, ["203.0.113.0/24"])
    role = iam.get_role(RoleName=f"{name}-ebs-csi")["Role"]
    assert role["Path"] == f"/streamstack/{ROLE_ENV}/"
    assert [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]] == [{"Service": "pods.eks.amazonaws.com"}]
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]] == [
        "AmazonEBSCSIDriverPolicy"]
    node_policies = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=f"{name}-eks-node")["AttachedPolicies"]]
    assert "AmazonEBSCSIDriverPolicy" not in node_policies
    assert eks.list_addons(clusterName=name)["addons"] == ["aws-ebs-csi-driver", "eks-pod-identity-agent"]
    ebs = eks.describe_addon(clusterName=name, addonName="aws-ebs-csi-driver")["addon"]
    assert ebs["status"] == "ACTIVE" and ebs["tags"]["Environment"] == ROLE_ENV
    assert json.loads(ebs["configurationValues"])["controller"]["extraVolumeTags"]["Environment"] == ROLE_ENV
    [assoc] = [eks.describe_pod_identity_association(clusterName=name, associationId=a.rsplit("/", 1)[1])["association"]
               for a in ebs["podIdentityAssociations"]]
    assert (assoc["namespace"], assoc["serviceAccount"], assoc["roleArn"]) == (
        "kube-system", "ebs-csi-controller-sa", role["Arn"])
    [node_sg] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-nodes"]}])["SecurityGroups"]
    assert node_sg["IpPermissions"] == [] and node_sg["VpcId"] == vpc["vpcId"]
    assert {t["Key"]: t["Value"] for t in node_sg["Tags"]}["Environment"] == ROLE_ENV
    ng = eks.describe_nodegroup(clusterName=name, nodegroupName=f"{name}-nodes")["nodegroup"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=ng["launchTemplate"]["id"],
                                                 Versions=[ng["launchTemplate"]["version"]])["LaunchTemplateVersions"][0]
    assert data["LaunchTemplateData"]["SecurityGroupIds"] == [node_sg["GroupId"], vpc["clusterSecurityGroupId"]]

    # Entry point api: what pinot_tables and verify use to reach the Kubernetes API.
    api = run_playbook(_api_playbook(tmp_path), "poc", aws_env, extra)
    assert_ok(api, "eks role tasks_from api")
    assert api.changed == 0
    assert "k8s-aws-v1." not in api.output, "the token must never be printed"

    # What the alb role does to the nodes' group: one rule from the load balancer's group.
    alb_sg = ec2.create_security_group(GroupName=f"{name}-alb-test", Description="stands in for the ALB's group",
                                       VpcId=vpc["vpcId"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=node_sg["GroupId"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 30900, "ToPort": 30900, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])

    again = run_playbook(deploy, "poc", aws_env, extra)
    assert_ok(again, "second eks role deploy")
    assert again.changed == 0, f"second deploy changed: {again.changed_tasks()}"
    rules = ec2.describe_security_groups(GroupIds=[node_sg["GroupId"]])["SecurityGroups"][0]["IpPermissions"]
    assert [r["UserIdGroupPairs"][0]["GroupId"] for r in rules] == [alb_sg], "the eks role must keep the alb role's rule"

    recheck = run_playbook(deploy, "poc", aws_env, extra, check=True)
    assert_ok(recheck, "eks role --check after deploy")
    assert recheck.changed == 0, f"--check after deploy would change: {recheck.changed_tasks()}"

    down = run_playbook(teardown, "poc", aws_env, extra)
    assert_ok(down, "eks role teardown")
    assert name not in eks.list_clusters()["clusters"]
    assert not [r for r in iam.list_roles(PathPrefix=f"/streamstack/{ROLE_ENV}/")["Roles"]]
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-nodes"]}])["SecurityGroups"] == []
    down_again = run_playbook(teardown, "poc", aws_env, extra)
    assert_ok(down_again, "second eks role teardown")
    assert down_again.changed == 0, f"second teardown changed: {down_again.changed_tasks()}"


def test_ansible_doc_renders():
    import subprocess

    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-doc"), ADDON, ENDPOINT, TOKEN], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    for module in (ADDON, ENDPOINT, TOKEN):
        assert f"MODULE {module}" in proc.stdout
    assert proc.stdout.count("EXAMPLES:") == 3 and proc.stdout.count("RETURN VALUES:") == 3
