# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Will Pinot fit on the EKS node group? Pure functions, no AWS call.

``check(node_type, node_count, components)`` places every pod (the EKS system
pods and the Pinot components of the inventory) on ``node_count`` nodes of
``node_type`` the way a scheduler must: each node has a pod-slot limit (the
VPC CNI's max pods), allocatable CPU and memory (capacity minus
kube-reserved and the eviction threshold, as the EKS AMI computes them), and
a pod fits only where its requests fit. It also checks every JVM heap
against its container's memory limit. Returns the problems with the numbers
that show them, and the cheapest node group that would fit.

Sources (summarised in ../shared/FACTS.md, "The original POC is wrong"):
max pods per type from ``eni-max-pods.txt`` (awslabs/amazon-eks-ami);
kube-reserved memory ``11 x max_pods + 255 MiB``, CPU 6 % of the first core,
1 % of the second, 0.5 % of the next two, 0.25 % of the rest; eviction
100 MiB (the AMI's bootstrap); system pods and their requests from the EKS
add-on manifests (aws-node, kube-proxy, CoreDNS, EBS CSI driver).
"""

from __future__ import annotations

import math
import re

from ansible_collections.streamstack.pipeline.plugins.module_utils import prices

# type: (vCPU, memory MiB, max pods). Prices: prices.py (one table for every cost figure).
NODE_TYPES = {
    "t3.small": (2, 2048, 11),
    "t3.medium": (2, 4096, 17),
    "t3.large": (2, 8192, 35),
    "t3.xlarge": (4, 16384, 58),
    "t3.2xlarge": (8, 32768, 58),
    "t3a.medium": (2, 4096, 17),
    "t3a.large": (2, 8192, 35),
    "t3a.xlarge": (4, 16384, 58),
    "m5.large": (2, 8192, 29),
    "m5.xlarge": (4, 16384, 58),
    "m6i.large": (2, 8192, 29),
    "m6i.xlarge": (4, 16384, 58),
    "m7i.large": (2, 8192, 29),
    "r5.large": (2, 16384, 29),
    "r5.xlarge": (4, 32768, 58),
    "c5.large": (2, 4096, 29),
    "c5.xlarge": (4, 8192, 58),
}

# The kernel, firmware and hypervisor keep part of an instance's nominal memory:
# a node reports about 93 % as capacity (t3.small 2 GiB -> ~1.9 GiB, t3.medium -> ~3.8 GiB).
VISIBLE_MEMORY = 0.93
EVICTION_MIB = 100

# (name, cpu millicores, memory MiB) on every node, and (name, replicas, cpu, memory) once per cluster.
SYSTEM_DAEMONSETS = (("aws-node", 25, 0), ("kube-proxy", 100, 0), ("ebs-csi-node", 30, 120),
                     # The eks role's Pod Identity agent (for the EBS CSI driver's role): a pod slot per node.
                     ("eks-pod-identity-agent", 0, 0))
SYSTEM_DEPLOYMENTS = (("coredns", 2, 100, 70), ("ebs-csi-controller", 2, 60, 240))

# Pinot's advice: a server's heap at most half its memory (the rest is mapped segments).
SERVER_HEAP_SHARE = 0.5
# Other JVMs: heap plus metaspace, threads and direct buffers must stay below the limit.
OTHER_HEAP_SHARE = 0.8
HEADROOM_WARN = 0.10

COMPONENTS = ("zookeeper", "controller", "broker", "server", "minion")
_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEM = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEM_FACTOR = {None: 1.0 / 1048576, "Ki": 1.0 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1048576,
               "k": 1000.0 / 1048576, "M": 1e6 / 1048576, "G": 1e9 / 1048576, "T": 1e12 / 1048576}
_HEAP = re.compile(r"^(\d+)([kKmMgG]?)$")


class CapacityError(ValueError):
    """A value the check cannot read (names the variable)."""


def cpu_m(value, where):
    """Kubernetes CPU quantity -> millicores ('500m', '0.5', 1)."""
    match = _CPU.match(str(value).strip())
    if not match:
        raise CapacityError("%s: %r is not a CPU quantity (e.g. 500m or 1)" % (where, value))
    number = float(match.group(1))
    return int(round(number if match.group(2) else number * 1000))


def memory_mib(value, where):
    """Kubernetes memory quantity -> MiB ('1Gi', '512Mi', '1G')."""
    match = _MEM.match(str(value).strip())
    if not match:
        raise CapacityError("%s: %r is not a memory quantity (e.g. 512Mi or 2Gi)" % (where, value))
    return float(match.group(1)) * _MEM_FACTOR[match.group(2)]


def heap_mib(value, where):
    """A JVM -Xmx size ('512m', '1g', '1G') -> MiB."""
    match = _HEAP.match(str(value).strip())
    if not match:
        raise CapacityError("%s: %r is not a heap size as -Xmx takes it (e.g. 512m or 1g)" % (where, value))
    number, unit = int(match.group(1)), match.group(2).lower()
    return {"": number / 1048576.0, "k": number / 1024.0, "m": float(number), "g": number * 1024.0}[unit]


def allocatable(node_type):
    """{cpu_m, memory_mib, pods} a node of ``node_type`` offers to pods."""
    vcpu, memory, pods = NODE_TYPES[node_type]
    reserved_cpu = 60 + (10 if vcpu > 1 else 0) + 5 * max(0, min(vcpu, 4) - 2) + 2.5 * max(0, vcpu - 4)
    reserved_mem = 11 * pods + 255
    return {
        "cpu_m": int(vcpu * 1000 - reserved_cpu),
        "memory_mib": int(memory * VISIBLE_MEMORY - reserved_mem - EVICTION_MIB),
        "pods": pods,
    }


def pinot_pods(components, variable="pinot_components"):
    """[(name, cpu_m, memory_mib)] for every replica, plus heap problems."""
    pods, problems = [], []
    if not isinstance(components, dict):
        raise CapacityError("%s must be a mapping of component -> sizing, got %r" % (variable, components))
    unknown = sorted(set(components) - set(COMPONENTS))
    if unknown:
        raise CapacityError("%s: unknown component(s) %s (known: %s)" % (variable, ", ".join(unknown), ", ".join(COMPONENTS)))
    for name in COMPONENTS:
        spec = components.get(name) or {}
        where = "%s.%s" % (variable, name)
        replicas = spec.get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise CapacityError("%s.replicas must be a whole number >= 0, got %r" % (where, replicas))
        if replicas == 0:
            continue
        for key in ("cpu", "memory", "memory_limit", "heap"):
            if spec.get(key) in (None, ""):
                raise CapacityError("%s.%s is not set" % (where, key))
        cpu = cpu_m(spec["cpu"], where + ".cpu")
        request = memory_mib(spec["memory"], where + ".memory")
        limit = memory_mib(spec["memory_limit"], where + ".memory_limit")
        heap = heap_mib(spec["heap"], where + ".heap")
        if limit < request:
            problems.append((where + ".memory_limit", "%s: memory_limit %s is below its request %s" % (
                where, spec["memory_limit"], spec["memory"]), "set memory_limit >= memory"))
        share = SERVER_HEAP_SHARE if name == "server" else OTHER_HEAP_SHARE
        if heap > limit * share:
            problems.append((where + ".heap", "%s: heap -Xmx%s (%d MiB) is over %d %% of its memory limit %s "
                             "(%d MiB)%s" % (where, spec["heap"], heap, share * 100, spec["memory_limit"], limit * share,
                                             "; Pinot advises a server heap of at most half its memory, the rest "
                                             "holds memory-mapped segments" if name == "server" else
                                             "; the JVM needs room beyond its heap, or the kernel kills the pod"),
                             "lower %s.heap to %dm or raise %s.memory_limit to %dMi" % (
                                 where, int(limit * share), where, int(math.ceil(heap / share)))))
        pods.extend([("pinot-%s-%d" % (name, i), cpu, request) for i in range(replicas)])
    return pods, problems


def place(node_type, node_count, pods):
    """First-fit decreasing placement. Returns (nodes, unplaced): nodes are dicts
    of what is left on each node; unplaced the pods that found no node."""
    alloc = allocatable(node_type)
    ds_cpu = sum(c for _, c, _ in SYSTEM_DAEMONSETS)
    ds_mem = sum(m for _, _, m in SYSTEM_DAEMONSETS)
    nodes = [
        {"cpu_m": alloc["cpu_m"] - ds_cpu, "memory_mib": alloc["memory_mib"] - ds_mem,
         "pods": alloc["pods"] - len(SYSTEM_DAEMONSETS), "placed": [d[0] for d in SYSTEM_DAEMONSETS]}
        for _ in range(node_count)
    ]
    # The system Deployments run before Pinot is installed, their replicas
    # spread one per node (the scheduler's default spreading and the add-ons'
    # anti-affinity do that on EKS); then Pinot's pods, largest first.
    system = [("%s-%d" % (n, i), c, m, i) for n, r, c, m in SYSTEM_DEPLOYMENTS for i in range(r)]
    pinot = [(n, c, m, None) for n, c, m in sorted(pods, key=lambda p: (p[2], p[1]), reverse=True)]
    unplaced = []
    for name, cpu, mem, spread in system + pinot:
        order = nodes if spread is None else nodes[spread % node_count:] + nodes[:spread % node_count]
        for node in order:
            if node["pods"] >= 1 and node["cpu_m"] >= cpu and node["memory_mib"] >= mem:
                node["pods"] -= 1
                node["cpu_m"] -= cpu
                node["memory_mib"] -= mem
                node["placed"].append(name)
                break
        else:
            unplaced.append((name, cpu, mem))
    return nodes, unplaced


def totals(node_type, node_count, pods):
    """Requested against offered, for the message: pods, CPU, memory."""
    alloc = allocatable(node_type)
    system_pods = len(SYSTEM_DAEMONSETS) * node_count + sum(r for _, r, _, _ in SYSTEM_DEPLOYMENTS)
    system_cpu = sum(c for _, c, _ in SYSTEM_DAEMONSETS) * node_count + sum(r * c for _, r, c, _ in SYSTEM_DEPLOYMENTS)
    system_mem = sum(m for _, _, m in SYSTEM_DAEMONSETS) * node_count + sum(r * m for _, r, _, m in SYSTEM_DEPLOYMENTS)
    return {
        "pods": (system_pods, len(pods), alloc["pods"] * node_count),
        "cpu_m": (system_cpu, sum(p[1] for p in pods), alloc["cpu_m"] * node_count),
        "memory_mib": (system_mem, sum(p[2] for p in pods), alloc["memory_mib"] * node_count),
    }


def fits(node_type, node_count, pods):
    return not place(node_type, node_count, pods)[1]


def cheapest_fit(pods, min_nodes=1, max_nodes=8, region="us-east-1"):
    """(price per hour, node_type, count) of the cheapest group that fits, or None."""
    best = None
    priced = prices.node_types(region)  # the region's prices, merged once (prices.region_prices)
    for node_type in NODE_TYPES:
        if node_type not in priced:
            continue
        price = prices.ec2_hourly(node_type, region)
        for count in range(min_nodes, max_nodes + 1):
            if best and price * count >= best[0]:
                break
            if fits(node_type, count, pods):
                best = (round(price * count, 4), node_type, count)
                break
    return best


def check(node_type, node_count, components, variable="pinot_components", min_nodes=1):
    """Problems ``[(variable, message, fix)]`` and warnings ``[str]`` for the node group and the components."""
    problems, warnings = [], []
    if node_type not in NODE_TYPES:
        return [("eks_node_instance_types", "no capacity data for node type %r (known: %s)" % (
            node_type, ", ".join(sorted(NODE_TYPES))), "use a known type, or add %s to NODE_TYPES in "
            "plugins/module_utils/capacity.py with its source" % node_type)], warnings
    pods, heap_problems = pinot_pods(components, variable)
    problems.extend(heap_problems)
    nodes, unplaced = place(node_type, node_count, pods)
    if unplaced:
        t = totals(node_type, node_count, pods)
        alloc = allocatable(node_type)
        (sp, pp, op), (sc, pc, oc), (sm, pm, om) = t["pods"], t["cpu_m"], t["memory_mib"]
        reasons = []
        if sp + pp > op:
            reasons.append("pods %d > %d slots (%d system + %d Pinot; max %d per %s, VPC CNI)" % (
                sp + pp, op, sp, pp, alloc["pods"], node_type))
        if sc + pc > oc:
            reasons.append("CPU requests %dm > %dm allocatable (%dm system + %dm Pinot)" % (sc + pc, oc, sc, pc))
        if sm + pm > om:
            reasons.append("memory requests %d MiB > %d MiB allocatable (%d system + %d Pinot; %d MiB per %s)" % (
                sm + pm, om, sm, pm, alloc["memory_mib"], node_type))
        if not reasons:
            reasons.append("the totals fit but no node has room for %s (%dm, %d MiB) once the rest is placed" % (
                unplaced[0][0], unplaced[0][1], unplaced[0][2]))
        best = cheapest_fit(pods, min_nodes=max(1, min_nodes))
        price = prices.ec2_hourly(node_type) * node_count
        fix = "the cheapest node group that fits is %d x %s ($%.4f/h, %+.4f $/h against %d x %s)" % (
            best[2], best[1], best[0], best[0] - price, node_count, node_type) if best else \
            "no node group of up to 8 nodes of a known type fits: shrink pinot_components"
        problems.append(("eks_node_instance_types", "eks_node_instance_types [%s] x eks_node_desired_size %d "
                         "(%d x %s) cannot host the Pinot pods: %s; %d pod(s) stay Pending: %s" % (
                             node_type, node_count, node_count, node_type, "; ".join(reasons), len(unplaced),
                             ", ".join(p[0] for p in unplaced)), fix))
    else:
        alloc = allocatable(node_type)
        free_mem = sum(n["memory_mib"] for n in nodes)
        if free_mem < alloc["memory_mib"] * node_count * HEADROOM_WARN:
            warnings.append("eks_node_instance_types: %d x %s fits the Pinot pods with only %d MiB of memory "
                            "requests left in the node group (under %d %%); a rolling update or one more replica "
                            "may not fit" % (node_count, node_type, free_mem, HEADROOM_WARN * 100))
    return problems, warnings
