"""The Kubernetes harness (harness/kube.py) does what the other tests rely on:
the real API server at the pinned version, EKS-shaped fake nodes whose limits
the real scheduler enforces, pods that run, EBS-class volumes that bind, helm
--wait that returns, and a stop() that leaves no process behind."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from harness import kube as kube_mod
from harness import services as harness_services
from harness.kube import KUBE_VERSION, KubeCluster, KubeError

capacity = kube_mod.capacity
svc = harness_services.svc

NODEGROUP = "eks.amazonaws.com/nodegroup"


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def pods(kube: KubeCluster, namespace: str) -> list[dict]:
    return kube.request("GET", f"/api/v1/namespaces/{namespace}/pods")["items"]


def running(pod: dict) -> bool:
    conds = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return pod["status"].get("phase") == "Running" and conds.get("Ready") == "True"


def unschedulable_message(pod: dict) -> str | None:
    for cond in pod["status"].get("conditions", []):
        if cond["type"] == "PodScheduled" and cond["status"] == "False" and cond.get("reason") == "Unschedulable":
            return cond.get("message", "")
    return None


def deployment(name: str, replicas: int, nodegroup: str, cpu: str = "10m", memory: str = "16Mi") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {NODEGROUP: nodegroup},
                    "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                                    "resources": {"requests": {"cpu": cpu, "memory": memory}}}],
                },
            },
        },
    }


def nodegroup_of(kube: KubeCluster, node: str) -> str:
    return kube.request("GET", f"/api/v1/nodes/{node}")["metadata"]["labels"][NODEGROUP]


def apply(kube: KubeCluster, namespace: str, *objects: dict) -> None:
    doc = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
    kube.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(doc))


# ------------------------------------------------------------------------ tests
def test_api_server_is_the_pinned_version(kube_cluster):
    assert KUBE_VERSION == "1.37.2"
    assert kube_cluster.request("GET", "/version")["gitVersion"] == "v1.37.2"
    out = json.loads(kube_cluster.kubectl("version", "-o", "json").stdout)
    assert out["serverVersion"]["gitVersion"] == out["clientVersion"]["gitVersion"] == "v1.37.2"
    assert kube_cluster.server.startswith("https://127.0.0.1:")


def test_token_auth_is_cluster_admin(kube_cluster, tmp_path):
    """host + api_key + ca_cert (no kubeconfig) works, as kubernetes.core's options allow."""
    empty = tmp_path / "empty-kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    out = kube_cluster.kubectl(
        f"--kubeconfig={empty}", f"--server={kube_cluster.server}", f"--token={kube_cluster.token}",
        f"--certificate-authority={kube_cluster.ca_file}", "auth", "can-i", "*", "*", "--all-namespaces",
    )
    assert out.stdout.strip() == "yes"


def test_missing_binaries_name_the_setup_script(monkeypatch):
    monkeypatch.setitem(kube_mod.VERSIONS, "KUBE_VERSION", "0.0.0-missing")
    with pytest.raises(KubeError, match=r"run scripts/setup_kube\.sh"):
        kube_mod.bin_dir()


def test_fake_node_has_eks_allocatable(kube_cluster, kube_nodes):
    (name,) = kube_nodes("t3.medium", 1)
    node = kube_cluster.request("GET", f"/api/v1/nodes/{name}")
    alloc = capacity.allocatable("t3.medium")
    assert alloc == {"cpu_m": 1930, "memory_mib": 3267, "pods": 17}  # the numbers the preflight uses
    assert node["status"]["allocatable"] == {"cpu": "1930m", "memory": "3267Mi", "pods": "17", "ephemeral-storage": "17Gi"}
    assert node["status"]["capacity"]["cpu"] == "2"
    labels = node["metadata"]["labels"]
    assert labels["node.kubernetes.io/instance-type"] == "t3.medium"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["topology.kubernetes.io/zone"] in {"us-east-1a", "us-east-1b"}
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}
    assert ready["Ready"] == "True"


def test_nodes_alternate_two_zones(kube_cluster, kube_nodes):
    names = kube_nodes("t3.small", 2)
    zones = {kube_cluster.request("GET", f"/api/v1/nodes/{n}")["metadata"]["labels"]["topology.kubernetes.io/zone"]
             for n in names}
    assert zones == {"us-east-1a", "us-east-1b"}


def test_deployment_pods_run(kube_cluster, kube_nodes, kube_namespace):
    names = kube_nodes("t3.medium", 2)
    group = nodegroup_of(kube_cluster, names[0])
    apply(kube_cluster, kube_namespace, deployment("web", 3, group))
    kube_cluster.kubectl("rollout", "status", "-n", kube_namespace, "deployment/web", "--timeout=30s")
    got = pods(kube_cluster, kube_namespace)
    assert len(got) == 3 and all(running(p) for p in got)
    assert {p["spec"]["nodeName"] for p in got} <= set(names)
    assert all(p["status"].get("podIP") for p in got)


def test_pod_logs_are_played_through_the_api(kube_cluster, kube_nodes, kube_namespace):
    """kubectl logs goes API server -> the node's "kubelet" (kwok) -> the played file."""
    names = kube_nodes("t3.medium", 1)
    apply(kube_cluster, kube_namespace, deployment("talker", 1, nodegroup_of(kube_cluster, names[0])))
    kube_cluster.kubectl("rollout", "status", "-n", kube_namespace, "deployment/talker", "--timeout=30s")
    kube_cluster.play_pod_log(["first line", "RESULT {\"ok\": true}"])
    out = kube_cluster.kubectl("logs", "-n", kube_namespace, "deployment/talker").stdout
    assert out.splitlines() == ["first line", 'RESULT {"ok": true}'], out
    kube_cluster.play_pod_log(["something else"])
    assert kube_cluster.kubectl("logs", "-n", kube_namespace, "deployment/talker").stdout.strip() == "something else"


def test_max_pods_is_enforced_by_the_scheduler(kube_cluster, kube_nodes, kube_namespace):
    """One t3.small (11 pod slots): 14 replicas -> 11 run, exactly 3 Pending with "Too many pods"."""
    slots = capacity.allocatable("t3.small")["pods"]
    (name,) = kube_nodes("t3.small", 1)
    group = nodegroup_of(kube_cluster, name)
    apply(kube_cluster, kube_namespace, deployment("many", slots + 3, group, cpu="1m", memory="1Mi"))

    def settled() -> list[dict] | None:
        got = pods(kube_cluster, kube_namespace)
        done = [p for p in got if running(p) or unschedulable_message(p) is not None]
        return got if len(got) == slots + 3 and len(done) == len(got) else None

    got = wait_for(settled, 30, "pods running or unschedulable")
    pending = [p for p in got if not running(p)]
    assert sum(running(p) for p in got) == slots
    assert len(pending) == 3
    assert all("Too many pods" in unschedulable_message(p) for p in pending), [unschedulable_message(p) for p in pending]


@pytest.mark.parametrize("binding", ["WaitForFirstConsumer", "Immediate"])
def test_statefulset_claims_bind_on_an_ebs_class(kube_cluster, kube_nodes, kube_namespace, binding):
    """A gp3 class like the pinot role's (ebs.csi.aws.com): each replica's claim gets a Bound PV."""
    names = kube_nodes("t3.medium", 2)
    group = nodegroup_of(kube_cluster, names[0])
    sc_name = f"gp3-{kube_namespace[-5:]}-{binding.lower()[:4]}"
    storage_class = {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": sc_name},
        "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}, "reclaimPolicy": "Delete",
        "volumeBindingMode": binding, "allowVolumeExpansion": True,
    }
    labels = {"app": "db"}
    sts = {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {
            "replicas": 2, "serviceName": "db", "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {
                "nodeSelector": {NODEGROUP: group},
                "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "storageClassName": sc_name,
                "resources": {"requests": {"storage": "5Gi"}}}}],
        },
    }
    try:
        kube_cluster.kubectl("apply", "-f", "-", input=json.dumps(storage_class))
        apply(kube_cluster, kube_namespace, sts)
        kube_cluster.kubectl("rollout", "status", "-n", kube_namespace, "statefulset/db", "--timeout=45s")
        claims = kube_cluster.request("GET", f"/api/v1/namespaces/{kube_namespace}/persistentvolumeclaims")["items"]
        assert sorted(c["metadata"]["name"] for c in claims) == ["data-db-0", "data-db-1"]
        for claim in claims:
            assert claim["status"]["phase"] == "Bound"
            annotations = claim["metadata"]["annotations"]
            assert annotations["volume.kubernetes.io/storage-provisioner"] == "ebs.csi.aws.com"
            if binding == "WaitForFirstConsumer":
                assert annotations["volume.kubernetes.io/selected-node"] in names
            pv = kube_cluster.request("GET", f"/api/v1/persistentvolumes/{claim['spec']['volumeName']}")
            assert pv["status"]["phase"] == "Bound"
            assert pv["spec"]["csi"]["driver"] == "ebs.csi.aws.com"
            assert pv["spec"]["capacity"]["storage"] == "5Gi"
        # Deleting the StatefulSet leaves the claims (Kubernetes keeps them); deleting
        # the claims releases and deletes the volumes (reclaim policy Delete).
        kube_cluster.kubectl("delete", "-n", kube_namespace, "statefulset/db", "--wait=true", "--timeout=30s")
        kube_cluster.kubectl("delete", "-n", kube_namespace, "pvc", "--all", "--wait=true", "--timeout=30s")
        volumes = {c["spec"]["volumeName"] for c in claims}
        wait_for(lambda: not volumes & {v["metadata"]["name"] for v in
                                        kube_cluster.request("GET", "/api/v1/persistentvolumes")["items"]},
                 30, "released volumes deleted")
    finally:
        kube_cluster.kubectl("delete", "storageclass", sc_name, "--ignore-not-found", check=False)


def test_helm_install_wait_and_uninstall(kube_cluster, kube_nodes, kube_namespace, tmp_path):
    (node,) = kube_nodes("t3.medium", 1)
    chart = tmp_path / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "templates" / "all.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: tiny\nspec:\n  selector:\n    app: tiny\n"
        "  ports:\n    - port: 80\n---\n"
        + json.dumps(deployment("tiny", 2, "{{ .Values.nodegroup }}")) + "\n"
    )
    nodegroup = nodegroup_of(kube_cluster, node)
    helm = [str(kube_cluster.bin_dir / "helm"), "--namespace", kube_namespace]
    env = kube_cluster.env()
    began = time.monotonic()
    subprocess.run([*helm, "install", "tiny", str(chart), "--set", f"nodegroup={nodegroup}", "--wait",
                    "--timeout", "60s"], env=env, check=True, capture_output=True, text=True)
    installed = time.monotonic() - began
    status = json.loads(subprocess.run([*helm, "status", "tiny", "-o", "json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    assert status["info"]["status"] == "deployed"
    assert sum(running(p) for p in pods(kube_cluster, kube_namespace)) == 2
    subprocess.run([*helm, "uninstall", "tiny", "--wait", "--timeout", "60s"], env=env, check=True,
                   capture_output=True, text=True)
    assert kube_cluster.kubectl("get", "deploy,svc", "-n", kube_namespace, "-o", "name").stdout.strip() == ""
    assert installed < 30


def test_stop_leaves_no_process_also_on_failure(tmp_path):
    """A second cluster, stopped by the context manager while an exception passes through."""
    workdir = tmp_path / "kube"
    with pytest.raises(RuntimeError, match="test failure"):
        with KubeCluster.start(workdir) as cluster:
            pids = cluster.pids
            assert set(pids) == set(kube_mod.PROCESSES)
            assert all(svc.process_start_time(pid)[0] for pid in pids.values())
            raise RuntimeError("test failure")
    for name, pid in pids.items():
        started, state = svc.process_start_time(pid)
        assert started is None or state == "Z", f"{name} (pid {pid}) still runs"
    assert harness_services.pids_using(str(workdir)) == []
    assert not list(Path(workdir, "run").glob("*.pid"))
