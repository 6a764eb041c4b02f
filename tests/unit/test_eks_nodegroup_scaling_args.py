"""Unit tests of streamstack.pipeline.eks_nodegroup_scaling before any AWS call: the
sizes EKS would refuse fail naming the option; sizes not given are kept."""

from __future__ import annotations

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.modules import eks_nodegroup_scaling as scaling  # noqa: E402

NOW = {"min_size": 2, "desired_size": 2, "max_size": 4}


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch, tmp_path):
    """No profile, no shared files, no instance metadata: nothing reaches AWS."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def params(**sizes):
    return {"min_size": None, "desired_size": None, "max_size": None, **sizes}


def test_unset_sizes_are_kept():
    assert scaling.wanted_sizes(params(min_size=0, desired_size=0), NOW) == {"min_size": 0, "desired_size": 0, "max_size": 4}
    assert scaling.wanted_sizes(params(), NOW) == NOW


def test_sizes_read_from_the_api_shape():
    assert scaling.sizes_of({"scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": 0}}) == {
        "min_size": 0, "desired_size": 0, "max_size": 4}


@pytest.mark.parametrize("sizes, text", [
    ({"min_size": -1, "desired_size": 0, "max_size": 4}, "min_size must be 0 or more"),
    ({"min_size": 0, "desired_size": -2, "max_size": 4}, "desired_size must be 0 or more"),
    ({"min_size": 0, "desired_size": 0, "max_size": 0}, "max_size must be 1 or more"),
    ({"min_size": 3, "desired_size": 2, "max_size": 4}, "min_size 3 is greater than desired_size 2"),
    ({"min_size": 0, "desired_size": 5, "max_size": 4}, "desired_size 5 is greater than max_size 4"),
])
def test_sizes_eks_refuses(sizes, text):
    problems = scaling.problems_with(sizes)
    assert len(problems) == 1 and text in problems[0]


def test_zero_is_fine_and_partial_sizes_are_checked_as_far_as_given():
    assert scaling.problems_with({"min_size": 0, "desired_size": 0, "max_size": 4}) == []
    assert scaling.problems_with({"min_size": 3, "desired_size": None, "max_size": None}) == []
    assert scaling.problems_with({"min_size": 5, "desired_size": None, "max_size": 4}) == [
        "min_size 5 is greater than max_size 4"]


def test_module_refuses_bad_sizes_before_any_call(capsys):
    from ansible.module_utils.testing import patch_module_args

    args = {"cluster_name": "c", "name": "nodes", "min_size": 1, "desired_size": 0, "region": "us-east-1"}
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        scaling.main()
    out = json.loads(capsys.readouterr().out)
    assert exited.value.code == 1 and out["failed"] is True
    assert out["msg"] == "Node group nodes: min_size 1 is greater than desired_size 0"
