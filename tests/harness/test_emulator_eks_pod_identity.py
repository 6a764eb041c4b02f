"""The emulator's EKS Pod Identity associations (patches/eks.py), standalone and
owned by add-ons, with boto3 against the real server. Every assertion is on a
value the server computed."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def message(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Message"]


def trust(service: str, actions) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}]})


@pytest.fixture
def cluster(clients, net, roles):
    name = uid("eks")
    clients("eks").create_cluster(name=name, roleArn=roles.cluster,
                                  resourcesVpcConfig={"subnetIds": [net.a, net.b]})
    return name


@pytest.fixture(scope="module")
def pod_roles(clients):
    iam = clients("iam")

    def role(doc, path="/"):
        return iam.create_role(RoleName=uid("pod"), Path=path, AssumeRolePolicyDocument=doc)["Role"]["Arn"]

    return {
        # With an IAM path, as the eks role makes it (teardown finds roles by path).
        "good": role(trust("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), "/streamstack/test/"),
        "good2": role(trust("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])),
        "no_tag_session": role(trust("pods.eks.amazonaws.com", "sts:AssumeRole")),
        "ec2": role(trust("ec2.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])),
    }


def test_standalone_association_lifecycle(clients, cluster, pod_roles):
    eks = clients("eks")
    assoc = eks.create_pod_identity_association(clusterName=cluster, namespace="pinot", serviceAccount="app",
                                                roleArn=pod_roles["good"], tags={"k": "v"})["association"]
    assert len(assoc["associationId"]) == 19 and assoc["associationId"].startswith("a-")
    assert assoc["associationArn"] == (
        f"arn:aws:eks:us-east-1:123456789012:podidentityassociation/{cluster}/{assoc['associationId']}")
    assert "ownerArn" not in assoc
    got = eks.describe_pod_identity_association(clusterName=cluster, associationId=assoc["associationId"])["association"]
    assert (got["namespace"], got["serviceAccount"], got["roleArn"], got["tags"]) == ("pinot", "app", pod_roles["good"], {"k": "v"})
    with pytest.raises(ClientError) as e:  # one association per namespace/service account
        eks.create_pod_identity_association(clusterName=cluster, namespace="pinot", serviceAccount="app",
                                            roleArn=pod_roles["good2"])
    assert code(e) == "ResourceInUseException"
    eks.update_pod_identity_association(clusterName=cluster, associationId=assoc["associationId"], roleArn=pod_roles["good2"])
    listed = eks.list_pod_identity_associations(clusterName=cluster, namespace="pinot")["associations"]
    assert [a["associationId"] for a in listed] == [assoc["associationId"]] and "roleArn" not in listed[0]
    assert eks.list_pod_identity_associations(clusterName=cluster, namespace="other")["associations"] == []
    eks.delete_pod_identity_association(clusterName=cluster, associationId=assoc["associationId"])
    with pytest.raises(ClientError) as e:
        eks.describe_pod_identity_association(clusterName=cluster, associationId=assoc["associationId"])
    assert code(e) == "ResourceNotFoundException"


@pytest.mark.parametrize("which, text", [
    ("no_tag_session", "Trust policy of the role provided is invalid"),
    ("ec2", "Trust policy of the role provided is invalid"),
    ("missing", "Role provided in the request does not exist."),
])
def test_role_must_exist_and_trust_pod_identity(clients, cluster, pod_roles, which, text):
    eks = clients("eks")
    role = pod_roles.get(which, "arn:aws:iam::123456789012:role/no-such-role")
    with pytest.raises(ClientError) as e:
        eks.create_pod_identity_association(clusterName=cluster, namespace="ns", serviceAccount="sa", roleArn=role)
    assert code(e) == "InvalidParameterException" and message(e) == text
    with pytest.raises(ClientError) as e:  # the same check on an add-on's associations; nothing is created
        eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver",
                         podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role}])
    assert code(e) == "InvalidParameterException" and message(e) == text
    assert eks.list_addons(clusterName=cluster)["addons"] == []
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []


def test_addon_owns_its_associations(clients, cluster, pod_roles):
    eks = clients("eks")
    addon = eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", podIdentityAssociations=[
        {"serviceAccount": "ebs-csi-controller-sa", "roleArn": pod_roles["good"]}])["addon"]
    [arn] = addon["podIdentityAssociations"]
    assoc_id = arn.rsplit("/", 1)[1]
    assoc = eks.describe_pod_identity_association(clusterName=cluster, associationId=assoc_id)["association"]
    assert (assoc["namespace"], assoc["serviceAccount"], assoc["roleArn"]) == (
        "kube-system", "ebs-csi-controller-sa", pod_roles["good"])
    assert assoc["ownerArn"] == addon["addonArn"]
    assert eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"] == [arn]

    # Same service account, another role: updated in place (same association).
    eks.update_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", podIdentityAssociations=[
        {"serviceAccount": "ebs-csi-controller-sa", "roleArn": pod_roles["good2"]}])
    described = eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]
    assert described["podIdentityAssociations"] == [arn]
    assert eks.describe_pod_identity_association(clusterName=cluster, associationId=assoc_id)["association"][
        "roleArn"] == pod_roles["good2"]
    # Another service account: the old association goes, a new one comes.
    eks.update_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", podIdentityAssociations=[
        {"serviceAccount": "ebs-csi-node-sa", "roleArn": pod_roles["good"]}])
    [new_arn] = eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"]
    assert new_arn != arn
    assert [a["serviceAccount"] for a in eks.list_pod_identity_associations(clusterName=cluster)["associations"]] == [
        "ebs-csi-node-sa"]
    # A standalone association on the add-on's service account collides.
    with pytest.raises(ClientError) as e:
        eks.create_pod_identity_association(clusterName=cluster, namespace="kube-system",
                                            serviceAccount="ebs-csi-node-sa", roleArn=pod_roles["good"])
    assert code(e) == "ResourceInUseException"
    # [] removes them all.
    eks.update_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", podIdentityAssociations=[])
    assert eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"] == []
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []


def test_associations_go_with_the_addon(clients, cluster, pod_roles):
    eks = clients("eks")
    eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", podIdentityAssociations=[
        {"serviceAccount": "ebs-csi-controller-sa", "roleArn": pod_roles["good"]}])
    eks.create_pod_identity_association(clusterName=cluster, namespace="pinot", serviceAccount="app",
                                        roleArn=pod_roles["good"])
    eks.delete_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")
    with pytest.raises(ClientError) as e:  # immediate progression: gone at the first look
        eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")
    assert code(e) == "ResourceNotFoundException"
    left = eks.list_pod_identity_associations(clusterName=cluster)["associations"]
    assert [(a["namespace"], a["serviceAccount"]) for a in left] == [("pinot", "app")]  # the standalone one stays
