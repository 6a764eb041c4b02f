"""The capacity preflight (module_utils/capacity.py): will Pinot's pods fit the EKS node group?

Numbers are worked out by hand here, from the formulas the module cites
(eni-max-pods.txt, the EKS AMI's kube-reserved and eviction), so a changed
formula or table entry fails these tests.
"""

import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import capacity  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils import prices  # noqa: E402


def inventory_components(name):
    with open(os.path.join(ROOT, "inventories", name, "group_vars", "all", "pinot.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["pinot_components"]


def sized(**overrides):
    """A small valid sizing, with some components replaced."""
    base = {
        "zookeeper": {"replicas": 1, "cpu": "100m", "memory": "256Mi", "memory_limit": "256Mi", "heap": "128m"},
        "controller": {"replicas": 1, "cpu": "100m", "memory": "256Mi", "memory_limit": "256Mi", "heap": "128m"},
        "broker": {"replicas": 1, "cpu": "100m", "memory": "256Mi", "memory_limit": "256Mi", "heap": "128m"},
        "server": {"replicas": 1, "cpu": "100m", "memory": "256Mi", "memory_limit": "256Mi", "heap": "128m"},
        "minion": {"replicas": 0},
    }
    for name, spec in overrides.items():
        base[name] = dict(base[name], **spec)
    return base


# --- what a node offers ------------------------------------------------------

def test_allocatable_by_hand():
    # t3.small: 2 vCPU, 2 GiB, 11 pods. Memory 2048 x 0.93 = 1904.6 - (11 x 11 + 255) - 100 = 1428.
    assert capacity.allocatable("t3.small") == {"cpu_m": 1930, "memory_mib": 1428, "pods": 11}
    # t3.medium: 4096 x 0.93 = 3809.3 - (11 x 17 + 255) - 100 = 3267; CPU 2000 - 60 - 10 = 1930.
    assert capacity.allocatable("t3.medium") == {"cpu_m": 1930, "memory_mib": 3267, "pods": 17}
    # m5.xlarge: 4 vCPU -> 4000 - 60 - 10 - 5 - 5 = 3920; 16384 x 0.93 = 15237.1 - (11 x 58 + 255) - 100 = 14244.
    assert capacity.allocatable("m5.xlarge") == {"cpu_m": 3920, "memory_mib": 14244, "pods": 58}


def test_quantities():
    assert capacity.cpu_m("250m", "x") == 250 and capacity.cpu_m("1.5", "x") == 1500 and capacity.cpu_m(2, "x") == 2000
    assert capacity.memory_mib("1Gi", "x") == 1024 and capacity.memory_mib("1.25Gi", "x") == 1280
    assert round(capacity.memory_mib("1G", "x"), 1) == 953.7
    assert capacity.heap_mib("512m", "x") == 512 and capacity.heap_mib("1G", "x") == 1024
    with pytest.raises(capacity.CapacityError, match="pinot_components.server.memory"):
        capacity.pinot_pods(sized(server={"memory": "lots"}))


# --- the inventories pass ------------------------------------------------------

@pytest.mark.parametrize("name, node_type, count", [("poc", "t3.medium", 2), ("staging", "m5.large", 3)])
def test_inventories_fit(name, node_type, count):
    problems, warnings = capacity.check(node_type, count, inventory_components(name))
    assert problems == [] and warnings == []


def test_staging_has_the_replicas_the_issue_asks_for():
    comps = inventory_components("staging")
    assert (comps["zookeeper"]["replicas"], comps["broker"]["replicas"], comps["server"]["replicas"]) == (3, 2, 2)


# --- the original POC's sizing fails, with the numbers ---------------------------

def test_the_original_sizing_fails_with_the_numbers_and_the_cheapest_fix():
    # The chart's defaults: five JVMs at -Xmx1G with 1.25Gi requests, on one t3.small.
    original = {n: {"replicas": 1, "cpu": "100m", "memory": "1.25Gi", "memory_limit": "1.25Gi", "heap": "1G"}
                for n in capacity.COMPONENTS}
    problems, _ = capacity.check("t3.small", 1, original)
    by_var = {}
    for variable, message, fix in problems:
        by_var.setdefault(variable, []).append((message, fix))
    (message, fix), = by_var["eks_node_instance_types"]
    # 4 DaemonSet pods (incl. the Pod Identity agent) + 2 CoreDNS + 2 EBS CSI controllers = 8 system pods, + 5 Pinot = 13 > 11.
    assert "pods 13 > 11 slots (8 system + 5 Pinot" in message
    # System memory: EBS CSI node 120 + 2 x 70 + 2 x 240 = 740; Pinot 5 x 1280 = 6400; 7140 > 1428.
    assert "memory requests 7140 MiB > 1428 MiB allocatable" in message
    assert "Pending" in message and "pinot-server-0" in message
    assert fix.startswith("the cheapest node group that fits is ")
    # The server's 1 GiB heap is over half of 1.25 GiB (the others sit exactly at 80 %: allowed).
    assert "pinot_components.server.heap" in by_var and "pinot_components.broker.heap" not in by_var


def test_cheapest_fit_really_is_the_cheapest():
    pods, _ = capacity.pinot_pods({n: {"replicas": 1, "cpu": "100m", "memory": "1.25Gi", "memory_limit": "1.25Gi",
                                       "heap": "512m"} for n in capacity.COMPONENTS})
    price, node_type, count = capacity.cheapest_fit(pods)
    assert capacity.fits(node_type, count, pods)
    for other in capacity.NODE_TYPES:
        each = prices.ec2_hourly(other)
        for n in range(1, 9):
            if each * n < price - 1e-9:
                assert not capacity.fits(other, n, pods), (other, n)


# --- each way a sizing can fail ----------------------------------------------------

def only(problems, variable):
    assert [p[0] for p in problems] == [variable], problems
    return problems[0][1]


def test_too_few_pod_slots():
    # 1 x t3.small: 11 slots - 8 system = 3 for Pinot; 5 tiny pods do not fit though memory would.
    tiny = sized(minion={"replicas": 1, "cpu": "10m", "memory": "64Mi", "memory_limit": "64Mi", "heap": "32m"},
                 **{n: {"cpu": "10m", "memory": "64Mi", "memory_limit": "64Mi", "heap": "32m"}
                    for n in ("zookeeper", "controller", "broker", "server")})
    message = only(capacity.check("t3.small", 1, tiny)[0], "eks_node_instance_types")
    assert "pods 13 > 11 slots" in message and "memory requests" not in message


def test_memory_over_allocatable():
    big = sized(server={"replicas": 2, "memory": "3Gi", "memory_limit": "3Gi", "heap": "1g"})
    message = only(capacity.check("t3.medium", 2, big)[0], "eks_node_instance_types")
    # 2 x 3267 = 6534 allocatable; system 2 x 120 + 620 = 860; Pinot 3 x 256 + 2 x 3072 = 6912.
    assert "memory requests 7772 MiB > 6534 MiB allocatable (860 system + 6912 Pinot" in message


def test_cpu_over_allocatable():
    hungry = sized(server={"replicas": 3, "cpu": "1500m"})
    message = only(capacity.check("t3.medium", 2, hungry)[0], "eks_node_instance_types")
    # 2 x 1930 = 3860; system 2 x 155 + 2 x 100 + 2 x 60 = 630; Pinot 3 x 100 + 3 x 1500 = 4800.
    assert "CPU requests 5430m > 3860m allocatable (630m system + 4800m Pinot)" in message


def test_a_pod_larger_than_any_node():
    # The totals fit on 3 x t3.medium, but no node has 3.5 GiB free.
    huge = sized(server={"memory": "3500Mi", "memory_limit": "3500Mi", "heap": "1g"})
    message = only(capacity.check("t3.medium", 3, huge)[0], "eks_node_instance_types")
    assert "no node has room for pinot-server-0" in message


def test_server_heap_over_half_its_limit():
    problems, _ = capacity.check("t3.medium", 2, sized(server={"memory": "1Gi", "memory_limit": "1Gi", "heap": "768m"}))
    message = only(problems, "pinot_components.server.heap")
    assert "768 MiB" in message and "50 %" in message and "512 MiB" in message


def test_other_heap_over_80_percent_of_its_limit():
    problems, _ = capacity.check("t3.medium", 2, sized(broker={"memory": "512Mi", "memory_limit": "512Mi", "heap": "480m"}))
    assert "80 %" in only(problems, "pinot_components.broker.heap")


def test_limit_below_request():
    problems, _ = capacity.check("t3.medium", 2, sized(controller={"memory": "512Mi", "memory_limit": "256Mi"}))
    assert "below its request" in only(problems, "pinot_components.controller.memory_limit")


def test_unknown_node_type_is_a_problem_not_a_zero():
    assert "no capacity data" in only(capacity.check("x9.huge", 2, sized())[0], "eks_node_instance_types")


def test_unknown_component():
    with pytest.raises(capacity.CapacityError, match="unknown component"):
        capacity.check("t3.medium", 2, dict(sized(), kafka={"replicas": 1}))


def test_tight_fit_warns():
    # Free after placing: 71 + 435 = 506 MiB, under 10 % of 2 x 3267.
    snug = sized(server={"replicas": 2, "memory": "2200Mi", "memory_limit": "2200Mi", "heap": "1g"})
    problems, warnings = capacity.check("t3.medium", 2, snug)
    assert problems == [] and len(warnings) == 1 and "may not fit" in warnings[0]
