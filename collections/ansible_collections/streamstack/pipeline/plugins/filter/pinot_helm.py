# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the Pinot Helm release on Kubernetes: pure functions, no API call.

* ``pinot_helm_values``: the values of the Apache Pinot Helm chart (1.0.0),
  rendered from the inventory's ``pinot_components`` sizing. Every key is one
  the chart reads (checked against apache/pinot ``helm/pinot`` at the commit
  named in roles/pinot/README.md).
* ``pinot_fullname`` / ``pinot_service_names``: the names the chart gives its
  objects for a release name (its ``pinot.fullname`` helper).
* ``pinot_k8s_auth``: the connection options of the kubernetes.core modules,
  from a kubeconfig or from an API endpoint, a bearer token and a CA file.
* ``pinot_eks_ca_data``, ``pinot_kubeconfig_server``: where the API server is.
* ``pinot_pod_problems``: one line per pod that is not ready, with the reason.
* ``pinot_leftovers``: what a teardown left that keeps billing (load balancers, volumes).

Heap and quantity parsing is the capacity preflight's (module_utils/capacity.py),
so the release is refused for exactly what preflight refuses.
"""

import re

import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.streamstack.pipeline.plugins.module_utils.capacity import (
    COMPONENTS, CapacityError, heap_mib, memory_mib, pinot_pods)

# The chart's name: its objects are called <fullname>-<component> and carry app=<name>.
CHART_NAME = "pinot"
# Flags of the chart's default jvmOpts (helm/pinot/values.yaml, chart 1.0.0) kept
# after the inventory's -Xms/-Xmx; the chart's own -Xms256M -Xmx1G are replaced.
CHART_JVM_FLAGS = {
    "controller": "-XX:ActiveProcessorCount=2 -XX:+UseG1GC -XX:MaxGCPauseMillis=200 "
                  "-Xlog:gc*:file=/opt/pinot/gc-pinot-controller.log -Djute.maxbuffer=4000000",
    "broker": "-XX:ActiveProcessorCount=2 -XX:+UseG1GC -XX:MaxGCPauseMillis=200 "
              "-Xlog:gc*:file=/opt/pinot/gc-pinot-broker.log -Djute.maxbuffer=4000000",
    "server": "-XX:+UseG1GC -XX:MaxGCPauseMillis=200 "
              "-Xlog:gc*:file=/opt/pinot/gc-pinot-server.log -Djute.maxbuffer=4000000",
    "minionStateless": "-XX:ActiveProcessorCount=2 -XX:+UseG1GC -XX:MaxGCPauseMillis=200 "
                       "-Xlog:gc*:file=/opt/pinot/gc-pinot-minion.log -Djute.maxbuffer=4000000",
}
# Inventory component -> the chart's values section. The inventory's minion is
# the chart's stateless minion (a Deployment, its default); the StatefulSet
# minion (`minion`) stays off.
CHART_SECTION = {"controller": "controller", "broker": "broker", "server": "server", "minion": "minionStateless"}
# Components whose StatefulSet has a volume claim template in the chart.
PERSISTENT = ("zookeeper", "controller", "server")
# Pinot needs at least one of each of these.
REQUIRED = ("controller", "broker", "server")
# Helm refuses release names over 53 characters; they must be DNS-1123 labels.
_RELEASE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _fail(message):
    raise AnsibleFilterError(message)


def _check_image_tag(tag, variable):
    tag = "" if tag is None else str(tag).strip()
    if not tag:
        _fail("%s is empty: pin a Pinot release, e.g. 1.5.1" % variable)
    if tag.lower().startswith("latest"):
        _fail("%s is %r: that tag follows Pinot's nightly master build and changes under a running "
              "cluster; pin a release, e.g. 1.5.1" % (variable, tag))
    if not _TAG.match(tag):
        _fail("%s: %r is not a container image tag" % (variable, tag))
    return tag


def _storage(persistence, name, variable):
    where = "%s.%s" % (variable, name)
    value = persistence.get(name)
    if value in (None, ""):
        _fail("%s is not set: give the volume size of each %s replica, e.g. 10Gi" % (where, name))
    try:
        size = memory_mib(value, where)
    except CapacityError:
        _fail("%s: %r is not a storage quantity (e.g. 2Gi or 500Mi)" % (where, value))
    if size <= 0:
        _fail("%s: %r must be more than 0" % (where, value))
    return str(value)


def _zookeeper_heap_mb(spec, where):
    """The chart's zookeeper.heapSize: whole megabytes, as a string."""
    heap = heap_mib(spec["heap"], where + ".heap")
    if heap != int(heap) or heap < 1:
        _fail("%s.heap: %r is not a whole number of megabytes (the chart's zookeeper.heapSize "
              "takes MB), e.g. 256m or 1g" % (where, spec["heap"]))
    return str(int(heap))


def _resources(spec):
    """CPU requested only (no CPU limit: no throttling); memory request and limit from the inventory."""
    return {"requests": {"cpu": str(spec["cpu"]), "memory": str(spec["memory"])},
            "limits": {"memory": str(spec["memory_limit"])}}


def pinot_helm_values(components, image_tag, persistence=None, storage_class="gp3",
                      image_repository="apachepinot/pinot", zookeeper_url="", cluster_name="pinot",
                      variable="pinot_components"):
    """Values for the Apache Pinot Helm chart 1.0.0 from the inventory's sizing.

    ``components``: {zookeeper, controller, broker, server, minion} -> {replicas, cpu,
    memory, memory_limit, heap} (the same mapping the capacity preflight reads).
    Raises AnsibleFilterError naming the variable for anything the chart or
    Pinot would not survive: a heap too close to its limit, a missing size, a
    moving image tag, a component without replicas.
    """
    tag = _check_image_tag(image_tag, "pinot_image_tag")
    if isinstance(components, dict):
        for name in COMPONENTS:
            if not isinstance(components.get(name) or {}, dict):
                _fail("%s.%s must be a mapping (replicas, cpu, memory, memory_limit, heap), got %r" % (
                    variable, name, components[name]))
    try:
        _, problems = pinot_pods(components, variable)
    except CapacityError as error:
        _fail(str(error))
    if problems:
        _fail("; ".join("%s (fix: %s)" % (message, fix) for _, message, fix in problems))
    for name in REQUIRED:
        if not (components.get(name) or {}).get("replicas"):
            _fail("%s.%s.replicas must be at least 1: Pinot does not run without a %s" % (variable, name, name))
    if persistence is None:
        persistence = {}
    if not isinstance(persistence, dict):
        _fail("pinot_persistence must be a mapping of component -> volume size, got %r" % (persistence,))
    unknown = sorted(set(persistence) - set(PERSISTENT))
    if unknown:
        _fail("pinot_persistence: no volume for %s in the chart (components with volumes: %s)" % (
            ", ".join(unknown), ", ".join(PERSISTENT)))
    if not storage_class or not str(storage_class).strip():
        _fail("pinot_storage_class is empty: name the StorageClass of the volumes, e.g. gp3")
    storage_class = str(storage_class)

    values = {
        "cluster": {"name": str(cluster_name)},
        "image": {"repository": str(image_repository), "tag": tag, "pullPolicy": "IfNotPresent"},
        # The chart's StatefulSet minion stays off; the inventory's minion is minionStateless.
        "minion": {"enabled": False},
    }
    for name, section in CHART_SECTION.items():
        spec = components.get(name) or {}
        replicas = spec.get("replicas", 0)
        if section == "minionStateless" and not replicas:
            values[section] = {"enabled": False}
            continue
        rendered = {
            "replicaCount": replicas,
            "jvmOpts": "-Xms%s -Xmx%s %s" % (spec["heap"], spec["heap"], CHART_JVM_FLAGS[section]),
            "resources": _resources(spec),
        }
        if section == "minionStateless":
            rendered["enabled"] = True
        if name in PERSISTENT:
            rendered["persistence"] = {"enabled": True, "size": _storage(persistence, name, "pinot_persistence"),
                                       "storageClass": storage_class}
        if name in ("controller", "broker"):
            # Defaults to a Service of type LoadBalancer: a cloud load balancer Ansible knows nothing of.
            rendered["external"] = {"enabled": False}
        values[section] = rendered

    zookeeper = components.get("zookeeper") or {}
    if zookeeper.get("replicas"):
        where = "%s.zookeeper" % variable
        size = _storage(persistence, "zookeeper", "pinot_persistence")
        values["zookeeper"] = {
            "enabled": True,
            "replicaCount": zookeeper["replicas"],
            "heapSize": _zookeeper_heap_mb(zookeeper, where),
            "resources": _resources(zookeeper),
            # data and datalog each get a volume of this size (their own defaults are 8Gi).
            "persistence": {"enabled": True, "size": size, "storageClass": storage_class,
                            "data": {"size": size}, "datalog": {"size": size}},
        }
    else:
        if not zookeeper_url or not str(zookeeper_url).strip():
            _fail("%s.zookeeper.replicas is 0, so the chart runs no ZooKeeper: set pinot_zookeeper_url "
                  "(host:port/chroot of an existing ensemble) or give ZooKeeper replicas" % variable)
        values["zookeeper"] = {"enabled": False, "urlOverride": str(zookeeper_url)}
    return values


def pinot_fullname(release, chart_name=CHART_NAME):
    """The chart's ``pinot.fullname``: the release name when it contains the chart's, else <release>-<chart>."""
    release = "" if release is None else str(release)
    if not _RELEASE.match(release) or len(release) > 53:
        _fail("pinot_release_name: %r is not a Helm release name (lower-case letters, digits and '-', "
              "at most 53 characters, starting and ending with a letter or digit)" % release)
    name = release if chart_name in release else "%s-%s" % (release, chart_name)
    return name[:63].rstrip("-")


def pinot_service_names(release):
    """The chart's Service names for a release (controller 9000, broker 8099, zookeeper 2181)."""
    fullname = pinot_fullname(release)
    return {
        "controller": "%s-controller" % fullname,
        "broker": "%s-broker" % fullname,
        "server": "%s-server" % fullname,
        "zookeeper": ("%s-zookeeper" % release)[:63].rstrip("-"),
        "controller_external": "%s-controller-external" % fullname,
        "broker_external": "%s-broker-external" % fullname,
    }


def pinot_k8s_auth(kubeconfig, host="", api_key="", ca_cert=""):
    """Connection options for kubernetes.core.k8s*/helm*: a kubeconfig, else host + token + CA file."""
    if kubeconfig:
        return {"kubeconfig": str(kubeconfig)}
    missing = [name for name, value in (("host", host), ("api_key", api_key), ("ca_cert", ca_cert)) if not value]
    if missing:
        _fail("no way to reach the Kubernetes API: pinot_kubeconfig is empty and the EKS connection lacks %s "
              "(from eks_outputs.endpoint and .certificate_authority and a token of "
              "streamstack.pipeline.eks_token); run the eks role first or set pinot_kubeconfig" % ", ".join(missing))
    if not str(host).startswith("https://"):
        _fail("pinot_eks_endpoint: %r is not an https:// URL of an API server" % (host,))
    return {"host": str(host), "api_key": str(api_key), "ca_cert": str(ca_cert)}


def pinot_eks_ca_data(certificate_authority):
    """The base64 CA bundle from EKS: ``{data: ...}`` (the EKS API's shape) or the bare string."""
    if isinstance(certificate_authority, dict):
        certificate_authority = certificate_authority.get("data")
    return str(certificate_authority or "").strip()


def pinot_kubeconfig_server(kubeconfig_text, context=""):
    """The API server URL of a kubeconfig's current (or given) context."""
    try:
        config = yaml.safe_load(kubeconfig_text) or {}
    except yaml.YAMLError as error:
        _fail("pinot_kubeconfig is not YAML: %s" % error)
    context = context or config.get("current-context")
    contexts = {c.get("name"): c.get("context", {}) for c in config.get("contexts") or []}
    clusters = {c.get("name"): c.get("cluster", {}) for c in config.get("clusters") or []}
    if context not in contexts:
        _fail("pinot_kubeconfig: no context %r (contexts: %s)" % (context, ", ".join(sorted(map(str, contexts)))))
    cluster = clusters.get(contexts[context].get("cluster"))
    if not cluster or not cluster.get("server"):
        _fail("pinot_kubeconfig: context %r names no cluster with a server" % context)
    return str(cluster["server"]).rstrip("/")


def _pod_reason(pod):
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return "not scheduled: %s" % (condition.get("message") or condition.get("reason") or "no node fits")
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = container.get("state") or {}
        for kind in ("waiting", "terminated"):
            detail = state.get(kind)
            if detail and detail.get("reason") not in (None, "Completed"):
                text = "%s %s" % (container.get("name"), detail.get("reason"))
                if detail.get("message"):
                    text += ": %s" % detail["message"]
                if container.get("restartCount"):
                    text += " (%d restarts)" % container["restartCount"]
                return text
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") != "True":
            return "not ready%s" % (": %s" % condition["message"] if condition.get("message") else "")
    return None


def pinot_pod_problems(pods, claims=None):
    """One line per pod that is not ready and per claim that is not bound, for a failure message."""
    lines = []
    for pod in pods or []:
        meta = pod.get("metadata") or {}
        phase = (pod.get("status") or {}).get("phase", "?")
        reason = _pod_reason(pod)
        if reason or phase not in ("Running", "Succeeded"):
            lines.append("pod %s (%s): %s" % (meta.get("name"), phase, reason or phase))
    unbound = {}
    for claim in claims or []:
        phase = (claim.get("status") or {}).get("phase", "?")
        if phase != "Bound":
            key = (phase, (claim.get("spec") or {}).get("storageClassName"))
            unbound.setdefault(key, []).append((claim.get("metadata") or {}).get("name"))
    for (phase, storage_class), names in sorted(unbound.items(), key=lambda item: str(item[0])):
        lines.append("claims %s in storage class %s: %s" % (phase, storage_class, ", ".join(names)))
    return lines


def pinot_leftovers(services, claims, release_status, namespace, release, check_mode=False):
    """What a teardown leaves that AWS keeps billing for, one sentence each (empty: nothing).

    ``services`` and ``claims``: the namespace's Services and PersistentVolumeClaims
    (k8s_info resources) after the uninstall; ``release_status``: helm_info's status
    (None once uninstalled). In check mode nothing was uninstalled: what the release
    itself owns would go, so only objects of others count.
    """
    def owned(obj):
        return ((obj.get("metadata") or {}).get("labels") or {}).get("release") == release

    problems = []
    for service in services or []:
        if (service.get("spec") or {}).get("type") != "LoadBalancer" or (check_mode and owned(service)):
            continue
        name = (service.get("metadata") or {}).get("name")
        problems.append(
            "LoadBalancer Service %s/%s is still there: its AWS load balancer keeps billing, also after the "
            "cluster is deleted; delete it (kubectl -n %s delete service %s, the load balancer goes with it) "
            "and run teardown again" % (namespace, name, namespace, name))
    for claim in claims or []:
        if check_mode and owned(claim):
            continue
        meta = claim.get("metadata") or {}
        spec = claim.get("spec") or {}
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "?")
        problems.append(
            "PersistentVolumeClaim %s/%s (%s, volume %s) is still there: its EBS volume keeps billing and outlives "
            "the cluster; it is not the release's (no label release=%s): keep its data elsewhere, delete it "
            "(kubectl -n %s delete pvc %s) and run teardown again" % (
                namespace, meta.get("name"), size, spec.get("volumeName") or "none yet", release,
                namespace, meta.get("name")) if not owned(claim) else
            "PersistentVolumeClaim %s/%s (%s, volume %s) of release %s is still there after the wait: a pod or a "
            "finalizer holds it (kubectl -n %s describe pvc %s); its EBS volume keeps billing" % (
                namespace, meta.get("name"), size, spec.get("volumeName") or "none yet", release,
                namespace, meta.get("name")))
    if release_status and not check_mode:
        problems.append("Helm release %s is still installed in namespace %s (status %s): helm uninstall did not "
                        "finish; run teardown again or helm -n %s uninstall %s" % (
                            release, namespace, release_status.get("status", "?"), namespace, release))
    return problems


class FilterModule:
    def filters(self):
        return {
            "pinot_helm_values": pinot_helm_values,
            "pinot_fullname": pinot_fullname,
            "pinot_service_names": pinot_service_names,
            "pinot_k8s_auth": pinot_k8s_auth,
            "pinot_eks_ca_data": pinot_eks_ca_data,
            "pinot_kubeconfig_server": pinot_kubeconfig_server,
            "pinot_pod_problems": pinot_pod_problems,
            "pinot_leftovers": pinot_leftovers,
        }

