"""The pinot role's filters (plugins/filter/pinot_helm.py): chart values rendered
from the inventories' sizing, object names, connection choice, failure messages.

The chart keys are those of the Apache Pinot Helm chart 1.0.0 (helm/pinot/values.yaml,
checked at apache/pinot 210c2951e720; roles/pinot/README.md lists them).
"""

import copy
import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.filter import pinot_helm  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils import capacity  # noqa: E402

PERSISTENCE = {"zookeeper": "2Gi", "controller": "5Gi", "server": "10Gi"}
# Every values key the role may set, as paths into the chart's values.yaml.
CHART_KEYS = {
    "cluster.name", "image.repository", "image.tag", "image.pullPolicy", "minion.enabled",
    "minionStateless.enabled", "minionStateless.replicaCount", "minionStateless.jvmOpts",
    "zookeeper.enabled", "zookeeper.urlOverride", "zookeeper.replicaCount", "zookeeper.heapSize",
    "zookeeper.persistence.enabled", "zookeeper.persistence.size", "zookeeper.persistence.storageClass",
    "zookeeper.persistence.data.size", "zookeeper.persistence.datalog.size",
} | {f"{c}.{k}" for c in ("controller", "broker", "server", "minionStateless", "zookeeper")
     for k in ("resources.requests.cpu", "resources.requests.memory", "resources.limits.memory")} \
  | {f"{c}.{k}" for c in ("controller", "broker", "server") for k in ("replicaCount", "jvmOpts")} \
  | {f"{c}.persistence.{k}" for c in ("controller", "server") for k in ("enabled", "size", "storageClass")} \
  | {"controller.external.enabled", "broker.external.enabled"}


def inventory(name):
    with open(os.path.join(ROOT, "inventories", name, "group_vars", "all", "pinot.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["pinot_components"]


def role_defaults():
    with open(os.path.join(ROOT, "roles", "pinot", "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def render(components, tag="1.5.1", **kwargs):
    kwargs.setdefault("persistence", PERSISTENCE)
    return pinot_helm.pinot_helm_values(components, tag, **kwargs)


def paths(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def jvm_heap(opts):
    xms = [o[4:] for o in opts.split() if o.startswith("-Xms")]
    xmx = [o[4:] for o in opts.split() if o.startswith("-Xmx")]
    assert len(xms) == 1 and len(xmx) == 1, opts
    assert xms == xmx, f"-Xms and -Xmx differ: {opts}"
    return capacity.heap_mib(xmx[0], "jvmOpts")


# --- the inventories ---------------------------------------------------------------------

@pytest.mark.parametrize("env", ["poc", "staging"])
def test_inventory_values_use_only_chart_keys(env):
    values = render(inventory(env))
    unknown = set(paths(values)) - CHART_KEYS
    assert not unknown, f"keys the chart does not read: {sorted(unknown)}"


@pytest.mark.parametrize("env", ["poc", "staging"])
def test_inventory_sizing_reaches_every_component(env):
    components = inventory(env)
    values = render(components)
    for name, section in (("controller", "controller"), ("broker", "broker"), ("server", "server")):
        spec, rendered = components[name], values[section]
        assert rendered["replicaCount"] == spec["replicas"]
        assert rendered["resources"] == {"requests": {"cpu": spec["cpu"], "memory": spec["memory"]},
                                         "limits": {"memory": spec["memory_limit"]}}
        # Memory: request = limit (the pod is not evicted first under pressure); CPU: request only.
        assert rendered["resources"]["requests"]["memory"] == rendered["resources"]["limits"]["memory"]
        assert "cpu" not in rendered["resources"]["limits"]
        assert jvm_heap(rendered["jvmOpts"]) == capacity.heap_mib(spec["heap"], "heap")
    zk = values["zookeeper"]
    assert zk["enabled"] is True and zk["replicaCount"] == components["zookeeper"]["replicas"]
    assert int(zk["heapSize"]) == capacity.heap_mib(components["zookeeper"]["heap"], "heap")
    assert zk["persistence"]["data"]["size"] == zk["persistence"]["datalog"]["size"] == "2Gi"


@pytest.mark.parametrize("env", ["poc", "staging"])
def test_heaps_stay_below_their_limits(env):
    values = render(inventory(env))
    for section in ("controller", "broker", "server"):
        heap = jvm_heap(values[section]["jvmOpts"])
        limit = capacity.memory_mib(values[section]["resources"]["limits"]["memory"], section)
        assert heap < limit
        if section == "server":
            assert heap <= limit / 2, "Pinot advises a server heap of at most half its memory"
    zk = values["zookeeper"]
    assert int(zk["heapSize"]) < capacity.memory_mib(zk["resources"]["limits"]["memory"], "zk")


@pytest.mark.parametrize("env", ["poc", "staging"])
def test_no_load_balancer_no_moving_image_minion_follows_inventory(env):
    components = inventory(env)
    values = render(components)
    assert values["controller"]["external"] == {"enabled": False}
    assert values["broker"]["external"] == {"enabled": False}
    assert values["image"]["tag"] == "1.5.1" and "latest" not in values["image"]["tag"]
    assert values["image"]["pullPolicy"] == "IfNotPresent"
    assert components["minion"]["replicas"] == 0
    assert values["minionStateless"] == {"enabled": False}
    assert values["minion"] == {"enabled": False}


@pytest.mark.parametrize("env", ["poc", "staging"])
def test_volumes_use_the_storage_class(env):
    values = render(inventory(env), storage_class="gp3")
    for section, size in (("controller", "5Gi"), ("server", "10Gi"), ("zookeeper", "2Gi")):
        assert values[section]["persistence"]["storageClass"] == "gp3"
        assert values[section]["persistence"]["size"] == size
    assert "persistence" not in values["broker"], "the chart's broker has no volume claim template"


def test_staging_runs_a_zookeeper_quorum_and_two_of_each():
    values = render(inventory("staging"))
    assert values["zookeeper"]["replicaCount"] == 3
    assert values["broker"]["replicaCount"] == 2 and values["server"]["replicaCount"] == 2


def test_role_defaults_render_with_the_poc_inventory():
    defaults = role_defaults()
    assert defaults["pinot_chart_version"] == "1.0.0"
    tag = defaults["pinot_image_tag"]
    values = render(inventory("poc"), tag=tag, persistence=defaults["pinot_persistence"],
                    storage_class=defaults["pinot_storage_class"])
    assert values["image"]["tag"] == tag


def test_minion_replicas_turn_on_the_stateless_minion():
    components = copy.deepcopy(inventory("poc"))
    components["minion"] = {"replicas": 2, "cpu": "100m", "memory": "512Mi", "memory_limit": "512Mi", "heap": "256m"}
    values = render(components)
    assert values["minionStateless"]["enabled"] is True and values["minionStateless"]["replicaCount"] == 2
    assert values["minionStateless"]["jvmOpts"].startswith("-Xms256m -Xmx256m ")
    assert values["minion"] == {"enabled": False}


def test_jvm_flags_keep_the_chart_defaults_but_its_heap():
    opts = render(inventory("poc"))["controller"]["jvmOpts"]
    assert "-XX:+UseG1GC" in opts and "-Djute.maxbuffer=4000000" in opts
    assert "-Xmx1G" not in opts and "-Xms256M" not in opts


def test_zookeeper_may_be_external():
    components = copy.deepcopy(inventory("poc"))
    components["zookeeper"] = {"replicas": 0}
    values = render(components, zookeeper_url="zk.example:2181/pinot")
    assert values["zookeeper"] == {"enabled": False, "urlOverride": "zk.example:2181/pinot"}


# --- bad input fails naming the variable ----------------------------------------------------

@pytest.mark.parametrize("tag", ["latest", "latest-21-openjdk", "", None])
def test_moving_or_missing_image_tag_is_refused(tag):
    with pytest.raises(AnsibleFilterError, match="pinot_image_tag"):
        render(inventory("poc"), tag=tag)


def test_server_heap_over_half_its_limit_is_refused():
    components = copy.deepcopy(inventory("poc"))
    components["server"]["heap"] = "1g"  # limit 1536Mi: half is 768 MiB
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.server: heap -Xmx1g.*half.*lower pinot_components\.server\.heap"):
        render(components)


def test_other_heap_at_its_limit_is_refused():
    components = copy.deepcopy(inventory("poc"))
    components["broker"]["heap"] = "768m"  # = its limit
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.broker\.heap"):
        render(components)


def test_unreadable_quantities_name_the_variable():
    components = copy.deepcopy(inventory("poc"))
    components["controller"]["memory_limit"] = "lots"
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.controller\.memory_limit"):
        render(components)
    with pytest.raises(AnsibleFilterError, match=r"pinot_persistence\.server.*storage quantity"):
        render(inventory("poc"), persistence=dict(PERSISTENCE, server="10 GB"))


def test_missing_pieces_name_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"pinot_persistence\.server is not set"):
        render(inventory("poc"), persistence={"zookeeper": "1Gi", "controller": "1Gi"})
    with pytest.raises(AnsibleFilterError, match=r"pinot_persistence: no volume for broker"):
        render(inventory("poc"), persistence=dict(PERSISTENCE, broker="1Gi"))
    components = copy.deepcopy(inventory("poc"))
    components["zookeeper"] = {"replicas": 0}
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.zookeeper\.replicas is 0.*pinot_zookeeper_url"):
        render(components)
    components = copy.deepcopy(inventory("poc"))
    components["broker"] = {"replicas": 0}
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.broker\.replicas must be at least 1"):
        render(components)
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.server must be a mapping"):
        render(dict(inventory("poc"), server="big"))
    with pytest.raises(AnsibleFilterError, match=r"pinot_components: unknown component"):
        render(dict(inventory("poc"), brokers={"replicas": 1}))
    with pytest.raises(AnsibleFilterError, match="pinot_storage_class"):
        render(inventory("poc"), storage_class="")


def test_zookeeper_heap_must_be_whole_megabytes():
    components = copy.deepcopy(inventory("poc"))
    components["zookeeper"]["heap"] = "262100k"
    with pytest.raises(AnsibleFilterError, match=r"pinot_components\.zookeeper\.heap.*megabytes"):
        render(components)


# --- names, connection, messages --------------------------------------------------------------

def test_names_follow_the_charts_fullname_rule():
    assert pinot_helm.pinot_service_names("pinot")["controller"] == "pinot-controller"
    assert pinot_helm.pinot_service_names("pinot")["broker"] == "pinot-broker"
    assert pinot_helm.pinot_service_names("olap")["controller"] == "olap-pinot-controller"
    assert pinot_helm.pinot_service_names("my-pinot")["zookeeper"] == "my-pinot-zookeeper"
    for bad in ("Pinot", "pinot_1", "-x", "x" * 54, ""):
        with pytest.raises(AnsibleFilterError, match="pinot_release_name"):
            pinot_helm.pinot_fullname(bad)


def test_connection_is_the_kubeconfig_else_token_and_ca():
    assert pinot_helm.pinot_k8s_auth("/tmp/kubeconfig") == {"kubeconfig": "/tmp/kubeconfig"}
    assert pinot_helm.pinot_k8s_auth("", "https://abc.eks.amazonaws.com", "k8s-aws-v1.x", "/tmp/ca.pem") == {
        "host": "https://abc.eks.amazonaws.com", "api_key": "k8s-aws-v1.x", "ca_cert": "/tmp/ca.pem"}
    with pytest.raises(AnsibleFilterError, match=r"pinot_kubeconfig is empty.*lacks host"):
        pinot_helm.pinot_k8s_auth("", "", "t", "/ca")
    with pytest.raises(AnsibleFilterError, match="pinot_eks_endpoint"):
        pinot_helm.pinot_k8s_auth("", "http://plain", "t", "/ca")


def test_eks_ca_in_either_shape():
    assert pinot_helm.pinot_eks_ca_data({"data": "TFMwdA=="}) == "TFMwdA=="
    assert pinot_helm.pinot_eks_ca_data("TFMwdA==") == "TFMwdA=="
    assert pinot_helm.pinot_eks_ca_data(None) == ""


def test_api_server_from_the_kubeconfig():
    text = yaml.safe_dump({
        "current-context": "b",
        "contexts": [{"name": "a", "context": {"cluster": "one"}}, {"name": "b", "context": {"cluster": "two"}}],
        "clusters": [{"name": "one", "cluster": {"server": "https://one:6443"}},
                     {"name": "two", "cluster": {"server": "https://127.0.0.1:40123/"}}],
    })
    assert pinot_helm.pinot_kubeconfig_server(text) == "https://127.0.0.1:40123"
    assert pinot_helm.pinot_kubeconfig_server(text, "a") == "https://one:6443"
    with pytest.raises(AnsibleFilterError, match="no context 'c'"):
        pinot_helm.pinot_kubeconfig_server(text, "c")


def test_pod_problems_say_why():
    pods = [
        {"metadata": {"name": "pinot-server-0"}, "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/2 nodes are available: 2 Insufficient memory."}]}},
        {"metadata": {"name": "pinot-broker-0"}, "status": {"phase": "Running", "containerStatuses": [
            {"name": "broker", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}},
        {"metadata": {"name": "pinot-controller-0"}, "status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True"}]}},
    ]
    claims = [{"metadata": {"name": "data-pinot-server-0"}, "spec": {"storageClassName": "gp3"},
               "status": {"phase": "Pending"}}]
    lines = pinot_helm.pinot_pod_problems(pods, claims)
    assert lines == ["pod pinot-server-0 (Pending): not scheduled: 0/2 nodes are available: 2 Insufficient memory.",
                     "pod pinot-broker-0 (Running): broker CrashLoopBackOff (3 restarts)",
                     "claims Pending in storage class gp3: data-pinot-server-0"]


def _service(name, kind, release=None):
    labels = {"release": release} if release else {}
    return {"metadata": {"name": name, "labels": labels}, "spec": {"type": kind}}


def test_leftovers_name_what_keeps_billing():
    services = [_service("pinot-controller", "ClusterIP", "pinot"), _service("rogue-lb", "LoadBalancer")]
    claims = [{"metadata": {"name": "data-x", "labels": {}}, "spec": {"volumeName": "pvc-1",
                                                                      "resources": {"requests": {"storage": "1Gi"}}}}]
    problems = pinot_helm.pinot_leftovers(services, claims, {"status": "deployed"}, "pinot", "pinot")
    assert len(problems) == 3
    assert problems[0].startswith("LoadBalancer Service pinot/rogue-lb is still there: its AWS load balancer keeps billing")
    assert "PersistentVolumeClaim pinot/data-x (1Gi, volume pvc-1)" in problems[1]
    assert "Helm release pinot is still installed" in problems[2]
    assert pinot_helm.pinot_leftovers([_service("pinot-controller", "ClusterIP", "pinot")], [], None, "pinot", "pinot") == []


def test_leftovers_in_check_mode_count_only_what_the_release_does_not_own():
    services = [_service("pinot-controller-external", "LoadBalancer", "pinot"), _service("rogue-lb", "LoadBalancer")]
    claims = [{"metadata": {"name": "data-pinot-server-0", "labels": {"release": "pinot"}}, "spec": {}}]
    problems = pinot_helm.pinot_leftovers(services, claims, {"status": "deployed"}, "pinot", "pinot", check_mode=True)
    assert len(problems) == 1 and "rogue-lb" in problems[0]
