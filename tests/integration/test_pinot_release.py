"""The pinot role end to end against a real Kubernetes control plane (harness/kube.py).

``ansible-playbook -i inventories/poc`` runs the role with the POC inventory's
sizing on two fake t3.medium nodes: the real kube-scheduler places the pods,
the StatefulSet controller makes the claims, the gp3 StorageClass binds them
(kwok provisions for ``ebs.csi.aws.com``), helm installs and waits. No container
runs: the image is never pulled, probes never fire.

The chart is the stand-in ``tests/charts/pinot-standin`` (same objects, names,
labels and values keys as the Apache Pinot chart 1.0.0), or the real chart when
``STREAMSTACK_PINOT_CHART`` names a copy of it (e.g. ``helm pull pinot --repo
https://raw.githubusercontent.com/apache/pinot/master/helm --version 1.0.0 --untar``).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import yaml

from integration.playbook import ROOT, assert_ok, run_playbook

CHART = Path(os.environ.get("STREAMSTACK_PINOT_CHART") or ROOT / "tests" / "charts" / "pinot-standin").resolve()
PLAYBOOK = """\
- name: The pinot role, as deploy and teardown run it
  hosts: aws
  gather_facts: false
  roles:
    - role: pinot
  post_tasks:
    - name: Hand pinot_outputs to the test
      ansible.builtin.copy:
        content: "{{ pinot_outputs | default({}) | to_json }}"
        dest: "{{ test_outputs_file }}"
        mode: "0600"
      check_mode: false
      changed_when: false
"""


def poc_components():
    return yaml.safe_load((ROOT / "inventories" / "poc" / "group_vars" / "all" / "pinot.yml").read_text())["pinot_components"]


class Pinot:
    """Runs the role against the harness cluster in its own namespace."""

    def __init__(self, kube, tmp_path: Path, namespace: str, node_port: int):
        self.kube = kube
        self.namespace = namespace
        self.outputs_file = tmp_path / "pinot_outputs.json"
        self.playbook = tmp_path / "pinot.yml"
        self.playbook.write_text(PLAYBOOK)
        self.vars = {
            "pinot_kubeconfig": str(kube.kubeconfig),
            "pinot_helm_binary": str(kube.bin_dir / "helm"),
            "pinot_chart_ref": str(CHART),
            "pinot_namespace": namespace,
            "pinot_controller_node_port": node_port,
            "pinot_wait_timeout": 120,
            "pinot_wait_delay": 1,
            "test_outputs_file": str(self.outputs_file),
        }

    def run(self, state="present", check=False, **extra):
        return run_playbook(str(self.playbook), "poc", self.kube.env(), check=check,
                            extra_json={**self.vars, "pinot_state": state, **extra}, timeout=600)

    def outputs(self):
        return json.loads(self.outputs_file.read_text())

    def get(self, kind, name=None):
        args = ["get", kind, "-o", "json"] + ([name] if name else [])
        if kind not in ("storageclass", "pv", "namespace"):
            args += ["-n", self.namespace]
        data = json.loads(self.kube.kubectl(*args).stdout)
        return data if name else data["items"]

    def exists(self, kind, name):
        args = ["get", kind, name, "--ignore-not-found", "-o", "name"]
        if kind not in ("storageclass", "pv", "namespace"):
            args += ["-n", self.namespace]
        return bool(self.kube.kubectl(*args).stdout.strip())


@pytest.fixture
def pinot(kube_cluster, kube_nodes, tmp_path):
    kube_nodes("t3.medium", 2)
    namespace = f"pinot-{uuid.uuid4().hex[:6]}"
    yield Pinot(kube_cluster, tmp_path, namespace, node_port=30900)
    # A failed test leaves no release, claims or NodePort behind for the next one.
    kube_cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false", check=False)


def test_deploy_converge_check_and_teardown(pinot):
    components = poc_components()

    run = pinot.run()
    assert_ok(run, "deploy")
    assert "helm waits up to 120 s until every pod is ready: 1 x zookeeper, 1 x controller, 1 x broker, 1 x server" in run.output

    # The namespace and the default gp3 class the EBS CSI driver serves.
    assert pinot.get("namespace", pinot.namespace)["status"]["phase"] == "Active"
    sc = pinot.get("storageclass", "gp3")
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert (sc["volumeBindingMode"], sc["reclaimPolicy"], sc["allowVolumeExpansion"]) == ("WaitForFirstConsumer", "Delete", True)
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"

    # The release, sized from the inventory: every StatefulSet ready, with the inventory's resources.
    sets = {s["metadata"]["name"]: s for s in pinot.get("statefulset")}
    assert set(sets) == {"pinot-zookeeper", "pinot-controller", "pinot-broker", "pinot-server"}
    for name in ("zookeeper", "controller", "broker", "server"):
        sts, spec = sets[f"pinot-{name}"], components[name]
        assert sts["status"].get("readyReplicas") == sts["spec"]["replicas"] == spec["replicas"], name
        container = sts["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"] == {"requests": {"cpu": spec["cpu"], "memory": spec["memory"]},
                                          "limits": {"memory": spec["memory_limit"]}}, name
        if name != "zookeeper":
            assert container["image"] == "apachepinot/pinot:1.5.1"
            java_opts = next(e["value"] for e in container["env"] if e["name"] == "JAVA_OPTS")
            assert java_opts.startswith(f"-Xms{spec['heap']} -Xmx{spec['heap']} "), java_opts
    assert not [d for d in pinot.get("deployment") if "minion" in d["metadata"]["name"]], "minion replicas are 0"
    pods = pinot.get("pod")
    assert len(pods) == 4 and all(p["status"]["phase"] == "Running" for p in pods)
    assert len({p["spec"]["nodeName"] for p in pods}) >= 1

    # Every claim bound on gp3 with the role's sizes; no load balancer anywhere.
    claims = {c["metadata"]["name"]: c for c in pinot.get("pvc")}
    sizes = {name: c["spec"]["resources"]["requests"]["storage"] for name, c in claims.items()}
    assert sizes == {"data-pinot-zookeeper-0": "2Gi", "datalog-pinot-zookeeper-0": "2Gi",
                     "data-pinot-controller-0": "5Gi", "data-pinot-server-0": "10Gi"}
    assert all(c["status"]["phase"] == "Bound" and c["spec"]["storageClassName"] == "gp3" for c in claims.values())
    services = {s["metadata"]["name"]: s for s in pinot.get("service")}
    assert not [n for n, s in services.items() if s["spec"]["type"] == "LoadBalancer"]
    assert services["pinot-controller"]["spec"]["ports"][0]["port"] == 9000
    assert services["pinot-broker"]["spec"]["ports"][0]["port"] == 8099

    # The ALB's NodePort Service reaches exactly the controller pod.
    alb = services["pinot-controller-alb"]
    assert alb["spec"]["type"] == "NodePort"
    assert alb["spec"]["ports"][0]["nodePort"] == 30900 and alb["spec"]["ports"][0]["port"] == 9000
    controller_ips = {p["status"]["podIP"] for p in pods if p["metadata"]["labels"]["component"] == "controller"}
    slices = json.loads(pinot.kube.kubectl("get", "endpointslices", "-n", pinot.namespace, "-l",
                                           "kubernetes.io/service-name=pinot-controller-alb", "-o", "json").stdout)["items"]
    assert {a for s in slices for e in s.get("endpoints") or [] for a in e["addresses"]} == controller_ips

    outputs = pinot.outputs()
    assert outputs == {
        "namespace": pinot.namespace, "release": "pinot", "chart": str(CHART), "chart_version": outputs["chart_version"],
        "image": "apachepinot/pinot:1.5.1", "api_server": pinot.kube.server,
        "controller_service": "pinot-controller", "controller_port": 9000,
        "broker_service": "pinot-broker", "broker_port": 8099,
        "alb_service": "pinot-controller-alb", "node_port": 30900,
        "controller_proxy_url": f"{pinot.kube.server}/api/v1/namespaces/{pinot.namespace}/services/pinot-controller:9000/proxy",
    }
    # The chart's own version (its Chart.yaml): "1.0.0" for the real chart, "1.0.0-standin" for ours.
    assert outputs["chart_version"] == yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]

    # Converged: nothing changes, and check mode agrees.
    again = pinot.run()
    assert_ok(again, "second deploy")
    assert again.changed == 0, again.changed_tasks()
    check = pinot.run(check=True)
    assert_ok(check, "deploy --check")
    assert check.changed == 0, check.changed_tasks()

    # A load balancer made outside Ansible stops the teardown before the namespace goes, by name.
    pinot.kube.kubectl("-n", pinot.namespace, "create", "service", "loadbalancer", "rogue-lb", "--tcp=80:8080")
    check_down = pinot.run("absent", check=True)
    assert check_down.rc != 0 and "LoadBalancer Service %s/rogue-lb is still there" % pinot.namespace in check_down.output
    assert pinot.exists("statefulset", "pinot-server"), "check mode deleted something"
    blocked = pinot.run("absent")
    assert blocked.rc != 0
    assert f"LoadBalancer Service {pinot.namespace}/rogue-lb is still there: its AWS load balancer keeps billing" in blocked.output
    assert pinot.exists("namespace", pinot.namespace) and pinot.exists("service", "rogue-lb")
    # What the release owned is gone already: claims (and their volumes), the NodePort Service.
    assert pinot.get("pvc") == [] and not pinot.exists("service", "pinot-controller-alb")

    pinot.kube.kubectl("-n", pinot.namespace, "delete", "service", "rogue-lb")
    down = pinot.run("absent")
    assert_ok(down, "teardown")
    assert f"no load balancer, volume claim or release left in namespace {pinot.namespace}" in down.output
    assert not pinot.exists("namespace", pinot.namespace)
    assert not [v for v in pinot.get("pv") if (v["spec"].get("claimRef") or {}).get("namespace") == pinot.namespace]
    assert pinot.outputs() == {}

    gone = pinot.run("absent")
    assert_ok(gone, "second teardown")
    assert gone.changed == 0, gone.changed_tasks()
    assert f"namespace {pinot.namespace} is not there" in gone.output


def test_sizing_that_does_not_fit_fails_naming_the_pending_pods(pinot):
    """The staging sizing (3 ZooKeepers, 2 x 3 GiB servers, ...) on two t3.medium nodes."""
    staging = yaml.safe_load((ROOT / "inventories" / "staging" / "group_vars" / "all" / "pinot.yml").read_text())
    run = pinot.run(pinot_components=staging["pinot_components"], pinot_wait_timeout=30)
    assert run.rc != 0
    assert "did not become ready within pinot_wait_timeout 30 s" in run.output
    assert "(Pending): not scheduled: 0/2 nodes are available" in run.output and "Insufficient memory" in run.output
    assert "claims Pending in storage class gp3" in run.output

    # The failed release is torn down like a healthy one.
    down = pinot.run("absent")
    assert_ok(down, "teardown of a failed release")
    assert not pinot.exists("namespace", pinot.namespace)


def test_without_an_eks_cluster_teardown_has_nothing_to_do_and_deploy_stops(aws_emulator, aws_env, tmp_path):
    """The EKS connection path (no kubeconfig), against the AWS emulator with no such cluster."""
    playbook = tmp_path / "pinot-eks.yml"
    playbook.write_text("""\
- name: The pinot role through the EKS connection
  hosts: aws
  gather_facts: false
  module_defaults:
    group/streamstack.pipeline.aws:
      region: "{{ aws_region }}"
      endpoint_url: "{{ aws_endpoint_url }}"
  roles:
    - role: pinot
""")
    cluster = f"streamstack-gone-{uuid.uuid4().hex[:6]}"
    extra = {"aws_endpoint_url": aws_emulator.url, "pinot_kubeconfig": "", "pinot_eks_cluster_name": cluster}

    down = run_playbook(str(playbook), "poc", aws_env, extra_json={**extra, "pinot_state": "absent"})
    assert_ok(down, "teardown without a cluster")
    assert down.changed == 0
    assert f"no EKS cluster {cluster}: nothing to uninstall" in down.output
    assert "kubernetes.io/created-for/pvc/namespace=pinot" in down.output

    up = run_playbook(str(playbook), "poc", aws_env, extra_json={**extra, "pinot_state": "present"})
    assert up.rc != 0
    assert f"no EKS cluster {cluster} with an API endpoint was found; run the eks role first" in up.output
