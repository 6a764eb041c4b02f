"""One test per patched behaviour of the AWS emulator (boto3 against a real
server).  Every assertion is on a value the server computed."""

from __future__ import annotations

import time
import uuid
import urllib.request

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


# ----------------------------------------------------------------- helpers
def make_config(kafka, versions=("3.8.x",)) -> dict:
    return kafka.create_configuration(
        Name=uid("cfg"), ServerProperties=b"auto.create.topics.enable=false", KafkaVersions=list(versions)
    )


def make_cluster(kafka, net, *, name=None, version="3.8.x", brokers=2, subnets=None, **extra) -> str:
    params = dict(
        ClusterName=name or uid("msk"),
        KafkaVersion=version,
        NumberOfBrokerNodes=brokers,
        BrokerNodeGroupInfo={
            "ClientSubnets": subnets or [net.a, net.b],
            "InstanceType": "kafka.t3.small",
            "SecurityGroups": [net.sg],
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}},
        },
    )
    params.update(extra)
    return kafka.create_cluster(**params)["ClusterArn"]


def describe(kafka, arn) -> dict:
    return kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]


# ------------------------------------------------------------------ harness
def test_emulator_lifecycle_reset_and_stop():
    with Emulator.start(timeout=30) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        ec2 = emu.client("ec2")
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
        before = len(ec2.describe_vpcs()["Vpcs"])
        emu.reset()
        assert len(ec2.describe_vpcs()["Vpcs"]) == before - 1  # only the default VPC left
        assert "emulator listening" in emu.log_path.read_text()
    assert not emu.running
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{emu.url}/moto-api/", timeout=2)


def test_iam_managed_policies_loaded(clients):
    iam = clients("iam")
    for name in (
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEBSCSIDriverPolicy",
    ):
        arn = f"arn:aws:iam::aws:policy/{name}" if name != "AmazonEBSCSIDriverPolicy" else f"arn:aws:iam::aws:policy/service-role/{name}"
        assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == name


# -------------------------------------------------------------------- kafka
def test_kafka_configuration_lifecycle(clients):
    kafka = clients("kafka")
    name = uid("cfg")
    created = kafka.create_configuration(Name=name, ServerProperties=b"a=1\nb=2", KafkaVersions=["3.8.x"])
    arn = created["Arn"]
    assert arn.startswith(f"arn:aws:kafka:us-east-1:123456789012:configuration/{name}/")
    assert created["LatestRevision"]["Revision"] == 1 and created["State"] == "ACTIVE"
    rev1 = kafka.describe_configuration_revision(Arn=arn, Revision=1)
    assert rev1["ServerProperties"] == b"a=1\nb=2"
    upd = kafka.update_configuration(Arn=arn, ServerProperties=b"a=3", Description="second")
    assert upd["LatestRevision"]["Revision"] == 2
    desc = kafka.describe_configuration(Arn=arn)
    assert desc["LatestRevision"]["Revision"] == 2 and desc["KafkaVersions"] == ["3.8.x"]
    assert kafka.describe_configuration_revision(Arn=arn, Revision=2)["ServerProperties"] == b"a=3"
    revs = kafka.list_configuration_revisions(Arn=arn)["Revisions"]
    assert [r["Revision"] for r in revs] == [1, 2] and revs[1]["Description"] == "second"
    assert arn in [c["Arn"] for c in kafka.list_configurations()["Configurations"]]
    with pytest.raises(ClientError) as e:
        kafka.create_configuration(Name=name, ServerProperties=b"a=1")
    assert code(e) == "ConflictException"
    assert kafka.delete_configuration(Arn=arn)["State"] == "DELETING"
    with pytest.raises(ClientError) as e:
        kafka.describe_configuration(Arn=arn)
    assert code(e) == "NotFoundException"


def test_kafka_configuration_in_use_cannot_be_deleted(clients, net):
    kafka = clients("kafka")
    cfg = make_config(kafka)
    arn = make_cluster(kafka, net, ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 1})
    with pytest.raises(ClientError) as e:
        kafka.delete_configuration(Arn=cfg["Arn"])
    assert code(e) == "BadRequestException"
    kafka.delete_cluster(ClusterArn=arn, CurrentVersion=describe(kafka, arn)["CurrentVersion"])
    assert kafka.delete_configuration(Arn=cfg["Arn"])["State"] == "DELETING"


def test_kafka_create_cluster_keeps_everything_and_list_is_full(clients, net):
    kafka = clients("kafka")
    cfg = make_config(kafka)
    name = uid("keep")
    logging_info = {"BrokerLogs": {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/msk/x"}, "Firehose": {"Enabled": False}, "S3": {"Enabled": False}}}
    arn = make_cluster(
        kafka,
        net,
        name=name,
        ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 1},
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}},
        LoggingInfo=logging_info,
        Tags={"team": "data"},
    )
    listed = kafka.list_clusters(ClusterNameFilter=name[:-2])["ClusterInfoList"]
    assert [c["ClusterArn"] for c in listed] == [arn]
    info = listed[0]  # full ClusterInfo, as msk_cluster needs
    assert info["NumberOfBrokerNodes"] == 2
    bngi = info["BrokerNodeGroupInfo"]
    assert bngi["ClientSubnets"] == [net.a, net.b] and bngi["SecurityGroups"] == [net.sg]
    assert bngi["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 100
    assert info["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    assert info["EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"].startswith("arn:aws:kms:us-east-1:")
    assert info["ClientAuthentication"]["Sasl"]["Iam"]["Enabled"] is True
    assert info["ClientAuthentication"]["Unauthenticated"]["Enabled"] is False
    assert info["LoggingInfo"] == logging_info
    assert info["OpenMonitoring"]["Prometheus"]["JmxExporter"]["EnabledInBroker"] is False
    assert info["CurrentBrokerSoftwareInfo"] == {"ConfigurationArn": cfg["Arn"], "ConfigurationRevision": 1, "KafkaVersion": "3.8.x"}
    assert info["Tags"] == {"team": "data"}
    assert describe(kafka, arn)["BrokerNodeGroupInfo"] == bngi
    with pytest.raises(ClientError) as e:
        make_cluster(kafka, net, name=name)
    assert code(e) == "ConflictException"


def test_kafka_create_cluster_v2_keeps_encryption_logging_auth(clients, net):
    kafka = clients("kafka")
    arn = kafka.create_cluster_v2(
        ClusterName=uid("v2"),
        Provisioned={
            "KafkaVersion": "3.9.x.kraft",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {"ClientSubnets": [net.a, net.b, net.c], "InstanceType": "kafka.m5.large"},
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}},
            "ClientAuthentication": {"Sasl": {"Scram": {"Enabled": True}}},
            "LoggingInfo": {"BrokerLogs": {"S3": {"Enabled": True, "Bucket": "logs"}}},
        },
    )["ClusterArn"]
    prov = kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["Provisioned"]
    assert prov["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] == "TLS_PLAINTEXT"
    assert prov["ClientAuthentication"]["Sasl"]["Scram"]["Enabled"] is True
    assert prov["LoggingInfo"]["BrokerLogs"]["S3"] == {"Enabled": True, "Bucket": "logs"}
    assert "ZookeeperConnectString" not in prov  # KRaft
    ec2 = clients("ec2")
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert prov["BrokerNodeGroupInfo"]["SecurityGroups"] == [default_sg]


def test_kafka_cluster_states_and_delete(clients, net, transition):
    kafka = clients("kafka")
    transition("kafka::cluster", "manual", times=1)
    arn = make_cluster(kafka, net)
    with pytest.raises(ClientError) as e:  # no brokers before ACTIVE
        kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert code(e) == "BadRequestException"
    assert describe(kafka, arn)["State"] == "CREATING"
    info = describe(kafka, arn)
    assert info["State"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        kafka.delete_cluster(ClusterArn=arn, CurrentVersion="WRONG")
    assert code(e) == "BadRequestException"
    assert kafka.delete_cluster(ClusterArn=arn, CurrentVersion=info["CurrentVersion"])["State"] == "DELETING"
    assert describe(kafka, arn)["State"] == "DELETING"
    with pytest.raises(ClientError) as e:
        describe(kafka, arn)
    assert code(e) == "NotFoundException"


def test_kafka_bootstrap_brokers_per_listener(clients, net):
    kafka = clients("kafka")
    name = uid("open")
    plain = make_cluster(kafka, net, name=name, EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}})
    b = kafka.get_bootstrap_brokers(ClusterArn=plain)
    hosts = b["BootstrapBrokerString"].split(",")
    assert len(hosts) == 2 and hosts[0].startswith(f"b-1.{name}.") and hosts[0].endswith(".kafka.us-east-1.amazonaws.com:9092")
    assert b["BootstrapBrokerStringTls"].count(":9094") == 2
    assert "BootstrapBrokerStringSaslIam" not in b
    secure = make_cluster(
        kafka, net, ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}, "Scram": {"Enabled": True}}}
    )
    b = kafka.get_bootstrap_brokers(ClusterArn=secure)
    assert set(k for k in b if k.startswith("Bootstrap")) == {"BootstrapBrokerStringSaslIam", "BootstrapBrokerStringSaslScram"}
    assert b["BootstrapBrokerStringSaslIam"].endswith(":9098") and b["BootstrapBrokerStringSaslScram"].endswith(":9096")


def test_kafka_list_nodes_round_robin(clients, net):
    kafka = clients("kafka")
    arn = make_cluster(kafka, net, brokers=4)
    nodes = kafka.list_nodes(ClusterArn=arn)["NodeInfoList"]
    assert [n["BrokerNodeInfo"]["BrokerId"] for n in nodes] == [1.0, 2.0, 3.0, 4.0]
    assert [n["BrokerNodeInfo"]["ClientSubnet"] for n in nodes] == [net.a, net.b, net.a, net.b]
    assert all(n["BrokerNodeInfo"]["ClientVpcIpAddress"].startswith("10.20.") for n in nodes)


def test_kafka_list_kafka_versions(clients):
    versions = {v["Version"]: v["Status"] for v in clients("kafka").list_kafka_versions()["KafkaVersions"]}
    assert versions["2.8.1"] == "DEPRECATED"
    for v in ("3.5.1", "3.6.0", "3.7.x", "3.7.x.kraft", "3.8.x", "3.9.x"):
        assert versions[v] == "ACTIVE"


def test_kafka_create_validation(clients, net):
    kafka = clients("kafka")
    cases = [
        dict(subnets=[net.a, net.az3]),  # use1-az3
        dict(subnets=[net.a]),  # one subnet
        dict(brokers=3),  # not a multiple of 2 subnets
        dict(version="9.9.9"),
        dict(version="2.8.1"),  # end of support
        dict(ConfigurationInfo={"Arn": "arn:aws:kafka:us-east-1:123456789012:configuration/x/y", "Revision": 1}),
    ]
    for case in cases:
        with pytest.raises(ClientError) as e:
            make_cluster(kafka, net, **case)
        assert code(e) == "BadRequestException", case


def test_kafka_update_operations(clients, net):
    kafka = clients("kafka")
    cfg = make_config(kafka)
    arn = make_cluster(kafka, net, version="3.7.x")
    v0 = describe(kafka, arn)["CurrentVersion"]
    with pytest.raises(ClientError) as e:
        kafka.update_monitoring(ClusterArn=arn, CurrentVersion="WRONG", EnhancedMonitoring="PER_BROKER")
    assert code(e) == "BadRequestException"
    op = kafka.update_monitoring(ClusterArn=arn, CurrentVersion=v0, EnhancedMonitoring="PER_BROKER")["ClusterOperationArn"]
    info = describe(kafka, arn)
    assert info["EnhancedMonitoring"] == "PER_BROKER" and info["CurrentVersion"] != v0
    assert kafka.describe_cluster_operation(ClusterOperationArn=op)["ClusterOperationInfo"]["OperationType"] == "UPDATE_MONITORING"

    def cur():
        return describe(kafka, arn)["CurrentVersion"]

    with pytest.raises(ClientError):  # storage only grows
        kafka.update_broker_storage(ClusterArn=arn, CurrentVersion=cur(), TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 50}])
    kafka.update_broker_storage(ClusterArn=arn, CurrentVersion=cur(), TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 200}])
    with pytest.raises(ClientError):  # multiple of the subnet count
        kafka.update_broker_count(ClusterArn=arn, CurrentVersion=cur(), TargetNumberOfBrokerNodes=3)
    kafka.update_broker_count(ClusterArn=arn, CurrentVersion=cur(), TargetNumberOfBrokerNodes=4)
    kafka.update_broker_type(ClusterArn=arn, CurrentVersion=cur(), TargetInstanceType="kafka.m5.large")
    kafka.update_cluster_configuration(ClusterArn=arn, CurrentVersion=cur(), ConfigurationInfo={"Arn": cfg["Arn"], "Revision": 1})
    with pytest.raises(ClientError):  # ZooKeeper -> KRaft is not an upgrade path
        kafka.update_cluster_kafka_version(ClusterArn=arn, CurrentVersion=cur(), TargetKafkaVersion="3.8.x.kraft")
    kafka.update_cluster_kafka_version(ClusterArn=arn, CurrentVersion=cur(), TargetKafkaVersion="3.8.x")
    info = describe(kafka, arn)
    assert info["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 200
    assert info["NumberOfBrokerNodes"] == 4 and len(kafka.list_nodes(ClusterArn=arn)["NodeInfoList"]) == 4
    assert info["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.large"
    assert info["CurrentBrokerSoftwareInfo"] == {"ConfigurationArn": cfg["Arn"], "ConfigurationRevision": 1, "KafkaVersion": "3.8.x"}
    ops = kafka.list_cluster_operations(ClusterArn=arn)["ClusterOperationInfoList"]
    assert len(ops) == 6 and all(o["OperationState"] == "UPDATE_COMPLETE" for o in ops)


def test_kafka_update_refused_while_updating(clients, net, transition):
    kafka = clients("kafka")
    arn = make_cluster(kafka, net)
    v0 = describe(kafka, arn)["CurrentVersion"]
    transition("kafka::cluster", "manual", times=1)
    kafka.update_monitoring(ClusterArn=arn, CurrentVersion=v0, EnhancedMonitoring="PER_BROKER")
    info = describe(kafka, arn)
    assert info["State"] == "UPDATING" and info["ActiveOperationArn"]
    with pytest.raises(ClientError) as e:
        kafka.update_monitoring(ClusterArn=arn, CurrentVersion=info["CurrentVersion"], EnhancedMonitoring="DEFAULT")
    assert code(e) == "BadRequestException"
    assert describe(kafka, arn)["State"] == "ACTIVE"


def test_kafka_topics(clients, net, transition):
    kafka = clients("kafka")
    arn = make_cluster(kafka, net, brokers=2)
    created = kafka.create_topic(ClusterArn=arn, TopicName="events", PartitionCount=3, ReplicationFactor=2)
    assert created["Status"] == "CREATING" and created["TopicArn"].endswith("/events")
    with pytest.raises(ClientError) as e:
        kafka.create_topic(ClusterArn=arn, TopicName="events", PartitionCount=3, ReplicationFactor=2)
    assert code(e) == "ConflictException"
    with pytest.raises(ClientError) as e:  # more replicas than brokers
        kafka.create_topic(ClusterArn=arn, TopicName="wide", PartitionCount=1, ReplicationFactor=3)
    assert code(e) == "BadRequestException"
    t = kafka.describe_topic(ClusterArn=arn, TopicName="events")
    assert (t["PartitionCount"], t["ReplicationFactor"], t["Status"]) == (3, 2, "ACTIVE")
    parts = kafka.describe_topic_partitions(ClusterArn=arn, TopicName="events")["Partitions"]
    assert [p["Partition"] for p in parts] == [0, 1, 2] and all(len(p["Replicas"]) == 2 for p in parts)
    with pytest.raises(ClientError) as e:  # partitions only grow
        kafka.update_topic(ClusterArn=arn, TopicName="events", PartitionCount=2)
    assert code(e) == "BadRequestException"
    kafka.update_topic(ClusterArn=arn, TopicName="events", PartitionCount=6)
    listed = kafka.list_topics(ClusterArn=arn, TopicNameFilter="ev")["Topics"]
    assert [(x["TopicName"], x["PartitionCount"]) for x in listed] == [("events", 6)]
    assert kafka.delete_topic(ClusterArn=arn, TopicName="events")["Status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        kafka.describe_topic(ClusterArn=arn, TopicName="events")
    assert code(e) == "NotFoundException"
    old = make_cluster(kafka, net, version="3.5.1")
    with pytest.raises(ClientError) as e:  # topic APIs need Kafka >= 3.6.0
        kafka.list_topics(ClusterArn=old)
    assert code(e) == "BadRequestException"
    transition("kafka::cluster", "manual", times=1)
    creating = make_cluster(kafka, net)
    with pytest.raises(ClientError) as e:  # cluster must be ACTIVE
        kafka.create_topic(ClusterArn=creating, TopicName="x", PartitionCount=1, ReplicationFactor=1)
    assert code(e) == "BadRequestException"


# ---------------------------------------------------------------------- eks
def make_eks(eks, net, roles, name=None, **kw) -> str:
    name = name or uid("eks")
    eks.create_cluster(
        name=name,
        version=kw.pop("version", "1.35"),
        roleArn=roles.cluster,
        resourcesVpcConfig={"subnetIds": [net.a, net.b], "securityGroupIds": [net.sg]},
        **kw,
    )
    return name


def make_ng(eks, cluster, net, roles, name="ng", **kw) -> dict:
    return eks.create_nodegroup(clusterName=cluster, nodegroupName=name, nodeRole=roles.node, subnets=[net.a, net.b], **kw)["nodegroup"]


def test_eks_cluster_access_config_and_vpc_config(clients, net, roles):
    eks = clients("eks")
    name = make_eks(eks, net, roles)
    c = eks.describe_cluster(name=name)["cluster"]
    assert c["accessConfig"] == {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    vpc = c["resourcesVpcConfig"]
    assert vpc["vpcId"] == net.vpc and vpc["subnetIds"] == [net.a, net.b]
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"], vpc["publicAccessCidrs"]) == (True, False, ["0.0.0.0/0"])
    sg = clients("ec2").describe_security_groups(GroupIds=[vpc["clusterSecurityGroupId"]])["SecurityGroups"][0]
    assert sg["GroupName"].startswith(f"eks-cluster-sg-{name}-")
    api = make_eks(eks, net, roles, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert eks.describe_cluster(name=api)["cluster"]["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"


def test_eks_cluster_states_and_delete_blocked_by_nodegroups(clients, net, roles, transition):
    eks = clients("eks")
    transition("eks::cluster", "manual", times=1)
    name = make_eks(eks, net, roles)
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "CREATING"
    with pytest.raises(ClientError) as e:  # nodegroups need an ACTIVE cluster
        make_ng(eks, name, net, roles)
    assert code(e) == "InvalidRequestException"
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    make_ng(eks, name, net, roles)
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name=name)
    assert code(e) == "ResourceInUseException"
    eks.delete_nodegroup(clusterName=name, nodegroupName="ng")
    assert eks.delete_cluster(name=name)["cluster"]["status"] == "DELETING"
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name=name)
    assert code(e) == "ResourceNotFoundException"
    assert name not in eks.list_clusters()["clusters"]


def test_eks_nodegroup_update_config_status_and_tags(clients, net, roles, transition):
    eks = clients("eks")
    cluster = make_eks(eks, net, roles)
    transition("eks::nodegroup", "manual", times=1)
    created = make_ng(eks, cluster, net, roles, scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1}, tags={"team": "data"})
    assert created["status"] == "CREATING"
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]
    assert ng["status"] == "CREATING"
    assert ng["updateConfig"] == {"maxUnavailable": 1}
    assert ng["version"] == "1.35" and ng["amiType"] == "AL2023_x86_64_STANDARD" and "remoteAccess" not in ng
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]["status"] == "ACTIVE"
    assert eks.list_tags_for_resource(resourceArn=ng["nodegroupArn"])["tags"] == {"team": "data"}
    custom = make_ng(eks, cluster, net, roles, name="ng2", updateConfig={"maxUnavailablePercentage": 50})
    assert custom["updateConfig"] == {"maxUnavailablePercentage": 50}
    upd = eks.update_nodegroup_config(clusterName=cluster, nodegroupName="ng", scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2})["update"]
    assert (upd["type"], upd["status"]) == ("ConfigUpdate", "InProgress")
    with pytest.raises(ClientError) as e:  # UPDATING until described
        eks.update_nodegroup_version(clusterName=cluster, nodegroupName="ng")
    assert code(e) == "ResourceInUseException"
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]
    assert ng["status"] == "UPDATING" and ng["scalingConfig"]["maxSize"] == 3
    for _ in range(2):  # CREATING, then ACTIVE
        eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng2")
    with pytest.raises(ClientError) as e:  # never newer than the control plane
        eks.update_nodegroup_version(clusterName=cluster, nodegroupName="ng2", version="1.36")
    assert code(e) == "InvalidParameterException"
    eks.delete_nodegroup(clusterName=cluster, nodegroupName="ng")
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")["nodegroup"]["status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng")
    assert code(e) == "ResourceNotFoundException"


def test_eks_create_validation(clients, net, roles):
    eks = clients("eks")
    iam = clients("iam")
    with pytest.raises(ClientError) as e:  # one AZ
        eks.create_cluster(name=uid("x"), roleArn=roles.cluster, resourcesVpcConfig={"subnetIds": [net.a]})
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name=uid("x"), roleArn=roles.cluster, resourcesVpcConfig={"subnetIds": [net.a, net.az3]})
    assert code(e) == "UnsupportedAvailabilityZoneException"
    with pytest.raises(ClientError) as e:  # the node role does not trust eks.amazonaws.com
        eks.create_cluster(name=uid("x"), roleArn=roles.node, resourcesVpcConfig={"subnetIds": [net.a, net.b]})
    assert code(e) == "InvalidParameterException"
    cluster = make_eks(eks, net, roles)
    with pytest.raises(ClientError) as e:  # no AL2 AMIs for Kubernetes >= 1.33
        make_ng(eks, cluster, net, roles, amiType="AL2_x86_64")
    assert code(e) == "InvalidParameterException" and "1.32 or earlier" in e.value.response["Error"]["Message"]
    old = make_eks(eks, net, roles, version="1.32")
    assert make_ng(eks, old, net, roles, amiType="AL2_x86_64")["amiType"] == "AL2_x86_64"
    assert iam  # roles exist in IAM (fixture)


def test_eks_addons(clients, net, roles, transition):
    eks = clients("eks")
    cluster = make_eks(eks, net, roles)
    transition("eks::addon", "manual", times=1)
    a = eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", tags={"k": "v"})["addon"]
    assert a["status"] == "CREATING" and a["addonArn"].startswith(f"arn:aws:eks:us-east-1:123456789012:addon/{cluster}/aws-ebs-csi-driver/")
    assert eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]["status"] == "CREATING"
    assert eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]["status"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName=cluster, addonName="no-such-addon")
    assert code(e) == "InvalidParameterException"
    eks.create_addon(clusterName=cluster, addonName="vpc-cni")
    assert eks.list_addons(clusterName=cluster)["addons"] == ["aws-ebs-csi-driver", "vpc-cni"]
    upd = eks.update_addon(clusterName=cluster, addonName="aws-ebs-csi-driver", serviceAccountRoleArn=roles.node)["update"]
    assert upd["type"] == "AddonUpdate" and upd["status"] == "InProgress"
    desc = eks.describe_addon(clusterName=cluster, addonName="aws-ebs-csi-driver")["addon"]
    assert desc["serviceAccountRoleArn"] == roles.node and desc["status"] == "UPDATING"
    assert eks.list_tags_for_resource(resourceArn=a["addonArn"])["tags"] == {"k": "v"}
    assert eks.delete_addon(clusterName=cluster, addonName="vpc-cni")["addon"]["status"] == "DELETING"
    eks.describe_addon(clusterName=cluster, addonName="vpc-cni")  # DELETING, observed once
    with pytest.raises(ClientError) as e:
        eks.describe_addon(clusterName=cluster, addonName="vpc-cni")
    assert code(e) == "ResourceNotFoundException"
    versions = eks.describe_addon_versions(addonName="aws-ebs-csi-driver")["addons"][0]["addonVersions"]
    assert versions[0]["addonVersion"] == a["addonVersion"]


def test_eks_update_cluster_config(clients, net, roles):
    eks = clients("eks")
    name = make_eks(eks, net, roles)
    upd = eks.update_cluster_config(name=name, resourcesVpcConfig={"endpointPrivateAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})["update"]
    assert upd["type"] == "EndpointAccessUpdate" and upd["status"] == "InProgress"
    vpc = eks.describe_cluster(name=name)["cluster"]["resourcesVpcConfig"]
    assert vpc["subnetIds"] == [net.a, net.b]  # kept (stock moto dropped it)
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"], vpc["publicAccessCidrs"]) == (True, True, ["203.0.113.0/24"])
    assert eks.describe_update(name=name, updateId=upd["id"])["update"]["status"] == "Successful"
    with pytest.raises(ClientError) as e:  # no-op update
        eks.update_cluster_config(name=name, resourcesVpcConfig={"endpointPrivateAccess": True})
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:  # one kind of update per call
        eks.update_cluster_config(name=name, resourcesVpcConfig={"endpointPrivateAccess": False}, logging={"clusterLogging": [{"types": ["api"], "enabled": True}]})
    assert code(e) == "InvalidParameterException"
    eks.update_cluster_config(name=name, logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]})
    eks.update_cluster_config(name=name, logging={"clusterLogging": [{"types": ["audit"], "enabled": False}]})
    logging = eks.describe_cluster(name=name)["cluster"]["logging"]["clusterLogging"]
    assert logging == [
        {"types": ["api"], "enabled": True},
        {"types": ["audit", "authenticator", "controllerManager", "scheduler"], "enabled": False},
    ]
    eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert eks.describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    assert len(eks.list_updates(name=name)["updateIds"]) == 4


def test_eks_access_entries(clients, net, roles):
    eks = clients("eks")
    cfgmap = make_eks(eks, net, roles)
    with pytest.raises(ClientError) as e:  # CONFIG_MAP clusters have no access entries
        eks.create_access_entry(clusterName=cfgmap, principalArn=roles.node)
    assert code(e) == "InvalidRequestException"
    eks.update_cluster_config(name=cfgmap, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    entry = eks.create_access_entry(clusterName=cfgmap, principalArn=roles.node, kubernetesGroups=["ops"])["accessEntry"]
    role_name = roles.node.rsplit("/", 1)[1]
    assert entry["username"] == f"arn:aws:sts::123456789012:assumed-role/{role_name}/{{{{SessionName}}}}"
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName=cfgmap, principalArn=roles.node)
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName=cfgmap, principalArn="arn:aws:iam::123456789012:role/missing")
    assert code(e) == "InvalidParameterException"
    admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.associate_access_policy(clusterName=cfgmap, principalArn=roles.node, policyArn=admin, accessScope={"type": "cluster"})
    pols = eks.list_associated_access_policies(clusterName=cfgmap, principalArn=roles.node)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in pols] == [admin]
    assert eks.list_access_entries(clusterName=cfgmap, associatedPolicyArn=admin)["accessEntries"] == [roles.node]
    eks.delete_access_entry(clusterName=cfgmap, principalArn=roles.node)
    assert eks.list_access_entries(clusterName=cfgmap)["accessEntries"] == []
    api = make_eks(eks, net, roles, accessConfig={"authenticationMode": "API"})
    creator = eks.list_access_entries(clusterName=api)["accessEntries"]
    assert len(creator) == 1 and creator[0].startswith("arn:aws:iam::123456789012:")


# ---------------------------------------------------------------------- ec2
def test_ec2_tag_resource_types(clients, net):
    ec2 = clients("ec2")
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "e"}]}])["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net.a, TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}], ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [eip, nat]}])["Tags"]
    assert {t["ResourceId"]: t["ResourceType"] for t in tags} == {eip: "elastic-ip", nat: "natgateway"}
    by_type = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["natgateway"]}, {"Name": "resource-id", "Values": [nat]}])["Tags"]
    assert [t["Value"] for t in by_type] == ["n"]


def test_ec2_nat_gateway_states_release_eni_and_eip(clients, net, transition):
    ec2 = clients("ec2")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    transition("ec2::nat_gateway", "manual", times=1)
    nat = ec2.create_nat_gateway(SubnetId=net.a, AllocationId=eip)["NatGateway"]
    nid = nat["NatGatewayId"]
    assert nat["State"] == "pending"
    assert ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"] == "pending"
    assert ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"] == "available"
    eni = ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    ec2.delete_nat_gateway(NatGatewayId=nid)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"] == "deleting"
    assert ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0].get("AssociationId")  # still held
    assert ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"] == "deleted"
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]
    assert eni not in [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]]
    with pytest.raises(ClientError) as e:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert code(e) == "NatGatewayNotFound"


def test_ec2_release_address_in_use_and_detach_igw(clients, net, transition):
    ec2 = clients("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nid = ec2.create_nat_gateway(SubnetId=net.a, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=eip)
    assert code(e) == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as e:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
    assert code(e) == "DependencyViolation" and "mapped public address" in e.value.response["Error"]["Message"]
    transition("ec2::nat_gateway", "time", seconds=60)
    ec2.delete_nat_gateway(NatGatewayId=nid)
    with pytest.raises(ClientError) as e:  # still deleting: the EIP is held
        ec2.release_address(AllocationId=eip)
    assert code(e) == "InvalidIPAddress.InUse"
    transition("ec2::nat_gateway", "immediate")
    ec2.release_address(AllocationId=eip)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)


def test_ec2_security_group_dependencies(clients, net):
    ec2 = clients("ec2")
    ref = ec2.create_security_group(GroupName=uid("ref"), Description="t", VpcId=net.vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=net.sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 9098, "ToPort": 9098, "UserIdGroupPairs": [{"GroupId": ref}]}])
    with pytest.raises(ClientError) as e:  # referenced by net.sg's rule
        ec2.delete_security_group(GroupId=ref)
    assert code(e) == "DependencyViolation"
    eni = ec2.create_network_interface(SubnetId=net.a, Groups=[ref])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.revoke_security_group_ingress(GroupId=net.sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 9098, "ToPort": 9098, "UserIdGroupPairs": [{"GroupId": ref}]}])
    with pytest.raises(ClientError) as e:  # used by an ENI
        ec2.delete_security_group(GroupId=ref)
    assert code(e) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_security_group(GroupId=ref)
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=default)
    assert code(e) == "CannotDelete"


def test_ec2_subnet_and_sg_blocked_by_msk_and_eks(clients, net, roles, transition):
    ec2, kafka, eks = clients("ec2"), clients("kafka"), clients("eks")
    arn = make_cluster(kafka, net, subnets=[net.b, net.c])
    cluster = make_eks(eks, net, roles)
    for subnet in (net.a, net.b):  # EKS control-plane ENIs in a and b, brokers in b
        with pytest.raises(ClientError) as e:
            ec2.delete_subnet(SubnetId=subnet)
        assert code(e) == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=net.sg)
    assert code(e) == "DependencyViolation"
    transition("kafka::cluster", "time", seconds=60)  # deletion takes a while
    kafka.delete_cluster(ClusterArn=arn, CurrentVersion=describe(kafka, arn)["CurrentVersion"])
    with pytest.raises(ClientError) as e:  # broker ENIs remain while DELETING
        ec2.delete_subnet(SubnetId=net.c)
    assert code(e) == "DependencyViolation"
    transition("kafka::cluster", "immediate")
    ec2.delete_subnet(SubnetId=net.c)  # deletion completed: ENIs released
    eks.delete_cluster(name=cluster)
    ec2.delete_subnet(SubnetId=net.a)
    ec2.delete_subnet(SubnetId=net.b)
    ec2.delete_security_group(GroupId=net.sg)


def test_ec2_subnet_blocked_by_nat_and_delete_vpc_checks(clients, net):
    ec2 = clients("ec2")
    nid = ec2.create_nat_gateway(SubnetId=net.a, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=net.a)
    assert code(e) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nid)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
    for s in (net.a, net.b, net.c, net.az3):
        ec2.delete_subnet(SubnetId=s)
    with pytest.raises(ClientError) as e:  # IGW attached
        ec2.delete_vpc(VpcId=net.vpc)
    assert code(e) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
    with pytest.raises(ClientError) as e:  # non-default security group left
        ec2.delete_vpc(VpcId=net.vpc)
    assert code(e) == "DependencyViolation"
    ec2.delete_security_group(GroupId=net.sg)
    ec2.delete_vpc(VpcId=net.vpc)
    assert net.vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]


def test_transition_time_progression(clients, net, transition):
    kafka = clients("kafka")
    transition("kafka::cluster", "time", seconds=1)
    arn = make_cluster(kafka, net)
    assert describe(kafka, arn)["State"] == "CREATING"
    time.sleep(1.1)
    assert describe(kafka, arn)["State"] == "ACTIVE"


def test_transition_time_per_status(clients, net, transition):
    """The latency profile's shape: creating and deleting take different times."""
    kafka = clients("kafka")
    transition("kafka::cluster", "time", seconds=1.5, per_status={"DELETING": 0.5})
    arn = make_cluster(kafka, net)
    assert describe(kafka, arn)["State"] == "CREATING"
    time.sleep(0.7)
    assert describe(kafka, arn)["State"] == "CREATING", "CREATING must last its own 1.5 s"
    time.sleep(1.0)
    assert describe(kafka, arn)["State"] == "ACTIVE"
    kafka.delete_cluster(ClusterArn=arn, CurrentVersion=describe(kafka, arn)["CurrentVersion"])
    assert describe(kafka, arn)["State"] == "DELETING"
    time.sleep(0.7)
    with pytest.raises(ClientError) as e:
        describe(kafka, arn)
    assert code(e) == "NotFoundException", "DELETING must last only its own 0.5 s"


def test_aws_env_fixture(aws_env, monkeypatch):
    assert aws_env["AWS_ACCESS_KEY_ID"] == "testing" and aws_env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert aws_env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert not any(k.startswith("AWS_ENDPOINT_URL") for k in aws_env)


def test_launch_template_tags_stay_out_of_the_template_data(clients):
    """Stock moto copies the template's own tags into version 1's data."""
    ec2 = clients("ec2")
    created = ec2.create_launch_template(
        LaunchTemplateName="lt-tags",
        LaunchTemplateData={"InstanceType": "t3.medium",
                            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "1"}]}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "p"}]}],
    )["LaunchTemplate"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=created["LaunchTemplateId"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert [s["ResourceType"] for s in data["TagSpecifications"]] == ["instance"]
    tags = ec2.describe_launch_templates(LaunchTemplateIds=[created["LaunchTemplateId"]])["LaunchTemplates"][0]["Tags"]
    assert {"Key": "Project", "Value": "p"} in tags


def test_launch_template_shows_its_current_tags(clients):
    """Stock moto keeps showing the tags a template was created with."""
    ec2 = clients("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName="lt-retag", LaunchTemplateData={"InstanceType": "t3.medium"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "p"}]}],
    )["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_tags(Resources=[template], Tags=[{"Key": "ExpiresAt", "Value": "2026-11-25T00:00:00Z"}])
    ec2.delete_tags(Resources=[template], Tags=[{"Key": "Project"}])
    tags = ec2.describe_launch_templates(LaunchTemplateIds=[template])["LaunchTemplates"][0]["Tags"]
    assert tags == [{"Key": "ExpiresAt", "Value": "2026-11-25T00:00:00Z"}]
    found = ec2.describe_launch_templates(Filters=[{"Name": "tag:ExpiresAt", "Values": ["2026-11-25T00:00:00Z"]}])
    assert [t["LaunchTemplateId"] for t in found["LaunchTemplates"]] == [template]
