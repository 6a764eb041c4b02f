"""streamstack.pipeline.project_bundle: the time-to-live build's copy of the project.

The same content must give the same bytes wherever deploy runs - a git checkout on a
laptop, or an AWX job's copy of its project, which has no .git and names its revision
in awx_project_revision - so that a deploy from one after a deploy from the other
uploads nothing. Real git repositories in a temporary folder, no mocks.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile

import pytest

from ansible_collections.streamstack.pipeline.plugins.modules import project_bundle


def _git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    root = tmp_path / "checkout"
    (root / "inventories/poc/group_vars/all").mkdir(parents=True)
    (root / "inventories/poc/group_vars/all/stack.yml").write_text("stack_environment: poc\n")
    (root / "playbooks").mkdir()
    (root / "playbooks/teardown.yml").write_text("---\n")
    (root / "scripts").mkdir()
    (root / "scripts/ttl_teardown.sh").write_text("#!/bin/sh\n")
    (root / "scripts/ttl_teardown.sh").chmod(0o755)
    (root / ".gitignore").write_text(".venv/\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    (root / ".venv").mkdir()
    (root / ".venv/big").write_text("not the project's")
    return root


def _manifest(data):
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("ttl/bundle.json"))


def test_an_awx_copy_of_the_same_commit_gives_the_same_bytes(checkout, tmp_path):
    head = _git(checkout, "rev-parse", "HEAD")
    local, manifest, _ = project_bundle.build(str(checkout), str(checkout / "inventories/poc"), {"ttl/vars.json": "{}"})
    assert manifest == {"commit": head, "dirty": False, "inventory": "inventories/poc"}
    names = zipfile.ZipFile(io.BytesIO(local)).namelist()
    assert ".venv/big" not in names and "scripts/ttl_teardown.sh" in names
    info = zipfile.ZipFile(io.BytesIO(local)).getinfo("scripts/ttl_teardown.sh")
    assert info.external_attr >> 16 == 0o755  # the build runs it

    copy = tmp_path / "awx-project"  # what AWX syncs: the files, no .git, no .venv
    shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", ".venv"))
    awx, awx_manifest, _ = project_bundle.build(str(copy), str(copy / "inventories/poc"), {"ttl/vars.json": "{}"}, head)
    assert awx_manifest == manifest
    assert awx == local

    unnamed, unnamed_manifest, _ = project_bundle.build(str(copy), str(copy / "inventories/poc"), {"ttl/vars.json": "{}"})
    assert unnamed_manifest["commit"] == "" and unnamed != local  # says it does not know


def test_a_changed_file_changes_the_bytes_and_says_so(checkout):
    before, _, _ = project_bundle.build(str(checkout), str(checkout / "inventories/poc"), {})
    (checkout / "playbooks/teardown.yml").write_text("---\n# changed\n")
    after, manifest, _ = project_bundle.build(str(checkout), str(checkout / "inventories/poc"), {})
    assert after != before and manifest["dirty"] is True
    assert zipfile.ZipFile(io.BytesIO(after)).read("playbooks/teardown.yml") == b"---\n# changed\n"


def test_an_inventory_outside_the_project_is_refused(checkout, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(ValueError, match="not inside the project"):
        project_bundle.build(str(checkout), str(outside), {})
