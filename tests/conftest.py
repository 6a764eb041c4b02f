"""Shared pytest fixtures.

* ``aws_emulator`` (session): one AWS emulator server (moto + the harness
  patches, see tests/harness/emulator/README.md), started on first use on a
  free 127.0.0.1 port and stopped at the end of the session, also on failure.
  ``aws_emulator.url`` is the endpoint to give boto3 / module_defaults.
* ``aws_env``: environment for subprocesses (ansible-playbook, scripts):
  os.environ plus test credentials and region; no AWS_ENDPOINT_URL (point
  tools at ``aws_emulator.url`` explicitly).
* ``kube_cluster`` (session), ``kube_nodes``, ``kube_namespace``: a real
  Kubernetes control plane with fake EKS-shaped nodes (harness/kube.py; see
  the block at the end of this file).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.emulator import Emulator  # noqa: E402
pytest_plugins = ["harness.conftest_services"]


@pytest.fixture(scope="session")
def aws_emulator():
    emu = Emulator.start(timeout=30)
    try:
        yield emu
    finally:
        emu.stop()


# Variables that would send subprocesses somewhere else or use other
# credentials than the test ones.
_AWS_STRIP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@pytest.fixture
def aws_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_ENDPOINT_URL") and k not in _AWS_STRIP
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


# The playbooks' calls under transient AWS faults (issue: "20 % of AWS calls
# throttled or failing"): aws_env with its own access key, whose calls the
# emulator answers with throttling or 5xx errors at STREAMSTACK_FAULT_RATE
# (default 0.2; 0 for none), seeded by STREAMSTACK_SEED or at random, the seed
# printed. The test's own checks (the "testing" key) are never faulted. At the
# end the counts are printed, and the fixture fails if no fault was injected.
# IAM propagates as on AWS too: a role younger than IAM_PROPAGATION_SECONDS is
# refused by EKS, EC2 (node groups) and Managed Flink (patches/iam.py); the eks
# role creates its cluster role seconds before the cluster, so a first deploy
# must meet (and survive) at least one refusal, which the fixture checks.
FAULTED_KEY = "AKIAFAULTEDPLAYBOOKS"
IAM_PROPAGATION_SECONDS = 15


@pytest.fixture
def faulted_aws_env(aws_emulator, aws_env):
    import random

    rate = float(os.environ.get("STREAMSTACK_FAULT_RATE", "0.2"))
    # A quarter of the faults throttling, the rest 5xx: botocore sleeps about 0.5 s after
    # a throttling error and 25 ms after a 5xx (its standard mode's bases, 1 s and 50 ms),
    # through the same retry path; three quarters throttling cost poc's lifecycle about
    # 300 s of sleep. STREAMSTACK_THROTTLING=0.75 restores that mix.
    throttling = float(os.environ.get("STREAMSTACK_THROTTLING", "0.25"))
    seed = int(os.environ.get("STREAMSTACK_SEED") or random.SystemRandom().randrange(10**6))
    print(f"AWS faults: {rate:.0%} of the playbooks' calls, {throttling:.0%} of them throttling, seed {seed} "
          f"(STREAMSTACK_SEED={seed} repeats it)", flush=True)
    aws_emulator.faults(rate, seed=seed, access_keys=[FAULTED_KEY], reset_counts=True, throttling=throttling)
    aws_emulator.iam_propagation(seconds=IAM_PROPAGATION_SECONDS)
    try:
        yield dict(aws_env, AWS_ACCESS_KEY_ID=FAULTED_KEY)
    finally:
        counts = aws_emulator.fault_counts()
        refused = aws_emulator.iam_refusals()
        aws_emulator.faults(0)
        aws_emulator.iam_propagation()
    print(f"AWS faults injected (seed {seed}): {counts['injected_total']} of {counts['calls']} calls: "
          f"{counts['injected']}", flush=True)
    print(f"Roles refused as not yet propagated (younger than {IAM_PROPAGATION_SECONDS} s), and retried: {refused}",
          flush=True)
    if rate > 0:
        assert counts["injected_total"] > 0, "no fault was injected: the fault test proved nothing"
    assert refused.get("eks.amazonaws.com", 0) > 0, "EKS never met a young role: the propagation test proved nothing"


# ---------------------------------------------------------------- Kubernetes
# ``kube_cluster`` (session): one real control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) plus kwok for fake nodes, from
# harness/kube.py; needs the binaries of scripts/setup_kube.sh. No node exists
# until a test adds some: ``kube_nodes(type, count)`` adds EKS-shaped fake
# nodes and deletes them (and their pods) after the test; ``kube_namespace``
# is a fresh namespace deleted after the test.


@pytest.fixture(scope="session")
def kube_cluster(tmp_path_factory, _services_reaped):
    from harness.kube import KubeCluster

    cluster = KubeCluster.start(tmp_path_factory.mktemp("kube"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kube_nodes(kube_cluster):
    """kube_nodes("t3.medium", 2, prefix=None) -> names; the node group label is the prefix."""
    import uuid

    created: list[str] = []

    def add(node_type: str, count: int, prefix: str | None = None) -> list[str]:
        names = kube_cluster.add_nodes(node_type, count, prefix=prefix or f"ng-{uuid.uuid4().hex[:6]}")
        created.extend(names)
        return names

    yield add
    if created:
        kube_cluster.delete_nodes(created)


@pytest.fixture
def kube_namespace(kube_cluster, request):
    """A new namespace named after the test; deleted (not awaited) afterwards."""
    import re
    import uuid

    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")
    if len(base) > 45:  # keep the test's start and its parameter id
        base = base[:20].strip("-") + "-" + base[-24:].strip("-")
    name = f"{base}-{uuid.uuid4().hex[:5]}"
    kube_cluster.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    yield name
    kube_cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


# ---------------------------------------------------------------- xdist
# The integration stage runs on two workers (pytest-xdist, --dist loadgroup):
# much of its time is spent waiting on polls. Every test that uses the real
# Kafka or Pinot goes to one worker, so the session starts them once; a file
# with module-scoped fixtures stays together, so they are built once; any
# other test may go anywhere. The whole-stack tests (emulator and Kubernetes,
# 4-7 min each) are handed out first, so no worker is left with one at the end.
_LOCAL_SERVICES = {"kafka_broker", "pinot_cluster"}
_WHOLE_STACK = {"aws_emulator", "kube_cluster"}


def pytest_collection_modifyitems(config, items):
    def path(item):
        return item.nodeid.split("::")[0]

    def uses_module_fixtures(item):
        info = getattr(item, "_fixtureinfo", None)
        return any(defs and defs[-1].scope == "module" for defs in (info.name2fixturedefs.values() if info else ()))

    with_services = {path(item) for item in items if _LOCAL_SERVICES & set(item.fixturenames)}
    with_module_fixtures = {path(item) for item in items if uses_module_fixtures(item)}
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if path(item) in with_services:
            group = "local-services"
        elif path(item) in with_module_fixtures:
            group = path(item)
        else:
            group = item.nodeid
        item.add_marker(pytest.mark.xdist_group(group))
    # Longest first: the whole-stack tests, then the local services' group (about 8 min).
    items.sort(key=lambda item: 0 if _WHOLE_STACK <= set(item.fixturenames) else 1 if path(item) in with_services else 2)
