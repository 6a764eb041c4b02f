"""The emulator's EKS node group sizes (patches/eks.py ``_check_scaling``): checked as
EKS checks them, on the merged config, before anything is applied; scaling to zero
(minSize 0, desiredSize 0, maxSize kept) accepted."""
import pytest
from botocore.exceptions import ClientError

from harness.test_emulator import code, make_eks, make_ng


def test_eks_nodegroup_sizes_checked_and_zero_accepted(clients, net, roles):
    eks = clients("eks")
    cluster = make_eks(eks, net, roles)
    with pytest.raises(ClientError) as e:  # refused at creation as well
        make_ng(eks, cluster, net, roles, name="bad", scalingConfig={"minSize": 3, "maxSize": 4, "desiredSize": 2})
    assert code(e) == "InvalidParameterException" and "minSize can't be greater than desiredSize" in str(e.value)
    make_ng(eks, cluster, net, roles, scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 2})
    eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")  # CREATING -> ACTIVE

    refused = [
        ({"minSize": 3}, "Minimum capacity 3 can't be greater than desired size 2"),  # merged with desired 2
        ({"desiredSize": 5}, "desiredSize can't be greater than maxSize"),
    ]  # maxSize 0 and negative sizes: botocore refuses them before sending (its model's minimums)
    for scaling, message in refused:
        with pytest.raises(ClientError) as e:
            eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng", scalingConfig=scaling)
        assert code(e) == "InvalidParameterException" and message in str(e.value), scaling
    with pytest.raises(ClientError) as e:  # maxUnavailable above the new maximum
        eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng", scalingConfig={"minSize": 0, "desiredSize": 0,
                                    "maxSize": 1}, updateConfig={"maxUnavailable": 2})
    assert "max-unavailable must be within the range 1 and max size" in str(e.value)
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}, "a refused update changed the node group"
    assert eks.list_updates(name=cluster, nodegroupName="ng")["updateIds"] == []

    upd = eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng", scalingConfig={"minSize": 0, "desiredSize": 0})
    assert upd["update"]["type"] == "ConfigUpdate"
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0} and ng["status"] == "ACTIVE"
    eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng", scalingConfig={"minSize": 2, "desiredSize": 2})
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]["scalingConfig"] == {
        "minSize": 2, "maxSize": 4, "desiredSize": 2}
