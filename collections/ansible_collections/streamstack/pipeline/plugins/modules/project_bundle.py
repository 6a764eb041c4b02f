#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: project_bundle
short_description: A reproducible zip of this project as deployed, for a run of its playbooks elsewhere
version_added: 0.9.0
description:
  - Zips the project's files - those git tracks (their working-tree content) in a git
    checkout, else every file but the local ones (C(.git), C(.venv*), C(.cache), C(.galaxy),
    C(dist), C(outputs), C(__pycache__)) - plus every file of O(inventory_dir) and
    O(extra_files), in name order with fixed timestamps, so the same content gives the same
    bytes, and a re-deploy uploads nothing.
  - Writes C(ttl/bundle.json) into it - the commit, whether the working tree differed from
    it, the inventory's path - so whatever runs the bundle says what it runs.
  - The time-to-live trigger uploads it for the teardown that AWS CodeBuild runs at the
    expiry. No AWS call; changed when O(dest) did not have these bytes.
author:
  - streamstack maintainers
options:
  root:
    description: The project's directory.
    type: path
    required: true
  inventory_dir:
    description: The inventory the environment was deployed with (inside O(root)).
    type: path
    required: true
  dest:
    description: Where to write the zip (its folder is created if need be).
    type: path
    required: true
  extra_files:
    description: More files, path in the zip to content.
    type: dict
    default: {}
  commit:
    description:
      - The revision deployed, when O(root) is not a git checkout, as in an AWX job's copy of
        its project (AWX gives it as C(awx_project_revision)). In a git checkout, git says.
    type: str
    default: ""
notes:
  - Supports check mode (the zip is built in memory, nothing is written).
"""

EXAMPLES = r"""
- name: Bundle the project for the time-to-live teardown
  streamstack.pipeline.project_bundle:
    root: "{{ playbook_dir }}/.."
    inventory_dir: "{{ inventory_dir }}"
    dest: /tmp/streamstack-poc-bundle.zip
    extra_files:
      ttl/vars.json: '{"stack_environment": "poc"}'
  register: bundle
"""

RETURN = r"""
dest:
  description: The zip's path.
  returned: always
  type: str
sha256:
  description: The zip's SHA-256.
  returned: always
  type: str
commit:
  description: The git commit deployed (empty outside a git checkout).
  returned: always
  type: str
  sample: 4e70162c0ffee
dirty:
  description: The working tree differed from the commit (the bundle has the working tree's content).
  returned: always
  type: bool
inventory:
  description: The inventory's path inside the bundle.
  returned: always
  type: str
  sample: inventories/poc
files:
  description: How many files it holds.
  returned: always
  type: int
"""

import hashlib
import io
import json
import os
import subprocess
import zipfile

from ansible.module_utils.basic import AnsibleModule

LOCAL = {".git", ".venv", ".venv-flink", ".cache", ".galaxy", "dist", "outputs", "__pycache__", ".pytest_cache"}
STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the bytes depend on the content only


def git(root, *args):
    proc = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def project_files(root, revision=""):
    """(relative paths, commit, dirty); outside a git checkout the commit is the given revision."""
    listed = git(root, "ls-files", "-z")
    if listed is not None:
        commit = (git(root, "rev-parse", "HEAD") or "").strip()
        dirty = bool((git(root, "status", "--porcelain", "--untracked-files=no") or "").strip())
        paths = [p for p in listed.split("\0") if p and os.path.isfile(os.path.join(root, p))]
        return paths, commit, dirty
    paths = []
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in LOCAL)
        paths += [os.path.relpath(os.path.join(top, n), root) for n in names]
    return paths, revision, False


def build(root, inventory_dir, extra_files, revision=""):
    paths, commit, dirty = project_files(root, revision)
    inventory = os.path.relpath(os.path.realpath(inventory_dir), os.path.realpath(root))
    if inventory.startswith(".."):
        raise ValueError("inventory_dir %s is not inside the project %s: the bundle cannot carry it"
                         % (inventory_dir, root))
    for top, dirs, names in os.walk(inventory_dir):
        dirs[:] = [d for d in dirs if d not in LOCAL]
        paths += [os.path.relpath(os.path.realpath(os.path.join(top, n)), os.path.realpath(root)) for n in names]
    manifest = {"commit": commit, "dirty": dirty, "inventory": inventory}
    files = {p: None for p in paths}
    files.update({name: content.encode() for name, content in extra_files.items()})
    files["ttl/bundle.json"] = json.dumps(manifest, sort_keys=True, indent=1).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, STAMP)
            full = os.path.join(root, name)
            executable = files[name] is None and os.access(full, os.X_OK)
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = files[name]
            if data is None:
                with open(full, "rb") as handle:
                    data = handle.read()
            archive.writestr(info, data)
    return buffer.getvalue(), manifest, len(files)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            inventory_dir=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            extra_files=dict(type="dict", default={}),
            commit=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        data, manifest, count = build(p["root"], p["inventory_dir"], p["extra_files"], p["commit"])
    except (OSError, ValueError) as exc:
        module.fail_json(msg="Cannot bundle the project: %s" % exc)
    digest = hashlib.sha256(data).hexdigest()
    old = None
    if os.path.exists(p["dest"]):
        with open(p["dest"], "rb") as handle:
            old = hashlib.sha256(handle.read()).hexdigest()
    changed = old != digest
    if changed and not module.check_mode:
        os.makedirs(os.path.dirname(p["dest"]) or ".", exist_ok=True)
        tmp = p["dest"] + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, p["dest"])
    module.exit_json(changed=changed, dest=p["dest"], sha256=digest, commit=manifest["commit"],
                     dirty=manifest["dirty"], inventory=manifest["inventory"], files=count)


if __name__ == "__main__":
    main()
