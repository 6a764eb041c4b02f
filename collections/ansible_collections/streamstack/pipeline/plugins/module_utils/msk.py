# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon MSK provisioned clusters: what is asked, what is there, and the updates between.

Pure functions over the ``kafka`` API's ``ClusterInfo`` shapes, so they are unit
tested without AWS; the modules make the calls:

* ``list_clusters`` / ``find_cluster`` -- clusters by exact name (ListClusters' filter is a prefix).
* ``auth_modes`` / ``client_authentication`` -- the three client authentication
  modes we manage, read from and written to ``ClientAuthentication``.
* ``create_request`` -- one CreateCluster request with everything set at once
  (authentication included: no UpdateSecurity after it, 10-30 min on AWS).
* ``plan_updates`` -- the Update* calls that bring an existing cluster to what is
  asked, in the order they run (MSK runs one operation at a time), and what no
  update can change.
"""

from __future__ import annotations

AUTH_MODES = ("iam", "scram", "unauthenticated_tls")
BUSY_STATES = ("CREATING", "UPDATING", "REBOOTING_BROKER", "MAINTENANCE", "HEALING")


def list_clusters(client, name=None):
    """ClusterInfos of the account's provisioned clusters, only the one called ``name`` when given
    (ListClusters' ClusterNameFilter is a prefix match)."""
    kwargs = {"ClusterNameFilter": name} if name else {}
    listed = client.get_paginator("list_clusters").paginate(**kwargs).build_full_result()
    return [c for c in listed.get("ClusterInfoList", []) if not name or c["ClusterName"] == name]


def find_cluster(client, name):
    """The ClusterInfo of the provisioned cluster called ``name``, or None."""
    matches = list_clusters(client, name)
    return matches[0] if matches else None


def auth_modes(client_authentication):
    """{iam, scram, unauthenticated_tls} from a ClientAuthentication structure."""
    ca = client_authentication or {}
    sasl = ca.get("Sasl") or {}
    return {
        "iam": bool((sasl.get("Iam") or {}).get("Enabled")),
        "scram": bool((sasl.get("Scram") or {}).get("Enabled")),
        # An absent block means unauthenticated access only when nothing else is on (MSK's default).
        "unauthenticated_tls": bool((ca.get("Unauthenticated") or {}).get("Enabled"))
        if "Unauthenticated" in ca else not ca,
    }


def client_authentication(modes):
    """The ClientAuthentication structure of CreateCluster and UpdateSecurity."""
    return {
        "Sasl": {"Iam": {"Enabled": modes["iam"]}, "Scram": {"Enabled": modes["scram"]}},
        "Unauthenticated": {"Enabled": modes["unauthenticated_tls"]},
    }


def _logging_info(log_group):
    cloudwatch = {"Enabled": True, "LogGroup": log_group} if log_group else {"Enabled": False}
    return {"BrokerLogs": {"CloudWatchLogs": cloudwatch}}


def create_request(p):
    """CreateCluster's arguments from the module's parameters."""
    request = {
        "ClusterName": p["name"],
        "KafkaVersion": p["kafka_version"],
        "NumberOfBrokerNodes": p["broker_count"],
        "BrokerNodeGroupInfo": {
            "InstanceType": p["instance_type"],
            "ClientSubnets": p["subnets"],
            "SecurityGroups": p["security_groups"],
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": p["ebs_volume_gb"]}},
        },
        "ClientAuthentication": client_authentication(p["authentication"]),
        "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": p["client_broker_encryption"],
                                                   "InCluster": p["in_cluster_encryption"]}},
        "EnhancedMonitoring": p["enhanced_monitoring"],
        "LoggingInfo": _logging_info(p["log_group"]),
        "Tags": {str(k): str(v) for k, v in (p["tags"] or {}).items()},
    }
    if p["kms_key_id"]:
        request["EncryptionInfo"]["EncryptionAtRest"] = {"DataVolumeKMSKeyId": p["kms_key_id"]}
    if p["configuration_arn"]:
        request["ConfigurationInfo"] = {"Arn": p["configuration_arn"], "Revision": p["configuration_revision"]}
    return request


def version_key(version):
    """'3.9.x' -> (3, 9, -1): comparable, a '.x' line after none of its patches."""
    return tuple(-1 if part == "x" else int(part) for part in version.split(".") if part.isdigit() or part == "x")


def settings(cluster):
    """The settings this collection manages, from a ClusterInfo (also the diff's shape)."""
    group = cluster.get("BrokerNodeGroupInfo") or {}
    software = cluster.get("CurrentBrokerSoftwareInfo") or {}
    encryption = cluster.get("EncryptionInfo") or {}
    in_transit = encryption.get("EncryptionInTransit") or {}
    cloudwatch = (((cluster.get("LoggingInfo") or {}).get("BrokerLogs") or {}).get("CloudWatchLogs") or {})
    return {
        "kafka_version": software.get("KafkaVersion"),
        "broker_count": cluster.get("NumberOfBrokerNodes"),
        "instance_type": group.get("InstanceType"),
        "ebs_volume_gb": ((group.get("StorageInfo") or {}).get("EbsStorageInfo") or {}).get("VolumeSize"),
        "subnets": sorted(group.get("ClientSubnets") or []),
        "security_groups": sorted(group.get("SecurityGroups") or []),
        "configuration_arn": software.get("ConfigurationArn"),
        "configuration_revision": software.get("ConfigurationRevision"),
        "authentication": auth_modes(cluster.get("ClientAuthentication")),
        "client_broker_encryption": in_transit.get("ClientBroker", "TLS"),
        "in_cluster_encryption": in_transit.get("InCluster", True),
        "kms_key_id": (encryption.get("EncryptionAtRest") or {}).get("DataVolumeKMSKeyId"),
        "enhanced_monitoring": cluster.get("EnhancedMonitoring", "DEFAULT"),
        "log_group": cloudwatch.get("LogGroup") if cloudwatch.get("Enabled") else None,
        "tags": dict(cluster.get("Tags") or {}),
    }


def wanted_settings(p, have):
    """What the parameters ask for, in settings()' shape; a parameter left out keeps what ``have`` has."""
    asked = {
        "kafka_version": p["kafka_version"],
        "broker_count": p["broker_count"],
        "instance_type": p["instance_type"],
        "ebs_volume_gb": p["ebs_volume_gb"],
        "subnets": sorted(p["subnets"]) if p["subnets"] else None,
        "security_groups": sorted(p["security_groups"]) if p["security_groups"] else None,
        "configuration_arn": p["configuration_arn"],
        "configuration_revision": p["configuration_revision"] if p["configuration_arn"] else None,
        "authentication": dict(p["authentication"]),
        "client_broker_encryption": p["client_broker_encryption"],
        "in_cluster_encryption": p["in_cluster_encryption"],
        "kms_key_id": p["kms_key_id"],
        "enhanced_monitoring": p["enhanced_monitoring"],
        "log_group": p["log_group"],
        "tags": {str(k): str(v) for k, v in (p["tags"] or {}).items()},
    }
    if p["tags"] is None:
        asked["tags"] = None
    elif not p["purge_tags"]:
        asked["tags"] = {**have.get("tags", {}), **asked["tags"]}
    return {k: (have.get(k) if v is None else v) for k, v in asked.items()}


def plan_updates(have, want):
    """(updates, impossible): the Update* operations from ``have`` to ``want`` in the order
    they run, each (operation name, its arguments without ClusterArn/CurrentVersion,
    what it changes); and the differences no operation can make, each a sentence."""
    impossible = []
    for key, why in (("subnets", "MSK cannot move brokers to other subnets"),
                     ("security_groups", "MSK cannot change the brokers' security groups"),
                     ("client_broker_encryption", "encryption in transit is fixed at creation"),
                     ("in_cluster_encryption", "encryption in transit is fixed at creation"),
                     ("kms_key_id", "the data volumes' KMS key is fixed at creation")):
        if have[key] != want[key]:
            impossible.append(f"{key} is {have[key]!r}, asked {want[key]!r} ({why})")
    if want["broker_count"] < have["broker_count"]:
        impossible.append(f"broker_count is {have['broker_count']}, asked {want['broker_count']} "
                          "(brokers cannot be removed by this module: recreate the cluster)")
    if want["ebs_volume_gb"] < have["ebs_volume_gb"]:
        impossible.append(f"ebs_volume_gb is {have['ebs_volume_gb']}, asked {want['ebs_volume_gb']} "
                          "(MSK storage only grows)")
    if version_key(want["kafka_version"]) < version_key(have["kafka_version"]):
        impossible.append(f"kafka_version is {have['kafka_version']}, asked {want['kafka_version']} "
                          "(Kafka cannot be downgraded)")

    updates = []
    if have["authentication"] != want["authentication"]:
        updates.append(("update_security", {"ClientAuthentication": client_authentication(want["authentication"])},
                        "authentication"))
    if want["kafka_version"] != have["kafka_version"] and \
            version_key(want["kafka_version"]) > version_key(have["kafka_version"]):
        args = {"TargetKafkaVersion": want["kafka_version"]}
        if want["configuration_arn"]:
            args["ConfigurationInfo"] = {"Arn": want["configuration_arn"], "Revision": want["configuration_revision"]}
        updates.append(("update_cluster_kafka_version", args, "kafka_version"))
    elif (want["configuration_arn"], want["configuration_revision"]) != \
            (have["configuration_arn"], have["configuration_revision"]) and want["configuration_arn"]:
        updates.append(("update_cluster_configuration",
                        {"ConfigurationInfo": {"Arn": want["configuration_arn"],
                                               "Revision": want["configuration_revision"]}},
                        "configuration"))
    if want["instance_type"] != have["instance_type"]:
        updates.append(("update_broker_type", {"TargetInstanceType": want["instance_type"]}, "instance_type"))
    if want["ebs_volume_gb"] > have["ebs_volume_gb"]:
        updates.append(("update_broker_storage",
                        {"TargetBrokerEBSVolumeInfo": [{"KafkaBrokerNodeId": "All",
                                                        "VolumeSizeGB": want["ebs_volume_gb"]}]},
                        "ebs_volume_gb"))
    if want["broker_count"] > have["broker_count"]:
        updates.append(("update_broker_count", {"TargetNumberOfBrokerNodes": want["broker_count"]}, "broker_count"))
    if (want["enhanced_monitoring"], want["log_group"]) != (have["enhanced_monitoring"], have["log_group"]):
        updates.append(("update_monitoring", {"EnhancedMonitoring": want["enhanced_monitoring"],
                                              "LoggingInfo": _logging_info(want["log_group"])},
                        "monitoring"))
    return updates, impossible
