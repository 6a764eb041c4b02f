"""Fail unless every collection Ansible will load matches its pin.

Reads collections/requirements.yml and asks ansible-galaxy (with the
project's ansible.cfg) which version of each collection is first on the
search path, the one a playbook will use.
"""
import json
import os
import subprocess
import sys

import yaml


def main(path):
    with open(path, encoding="utf-8") as handle:
        pins = {c["name"]: str(c["version"]) for c in yaml.safe_load(handle)["collections"]}
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    out = subprocess.run(
        [galaxy, "collection", "list", "--format", "json"],
        check=True, capture_output=True, text=True,
        env={**os.environ, "ANSIBLE_CONFIG": os.path.abspath("ansible.cfg")},
    ).stdout
    # ansible-galaxy lists paths in search order; the first hit wins.
    found = {}
    for _path, colls in json.loads(out).items():
        for name, info in colls.items():
            found.setdefault(name, info["version"])
    bad = [f"{n}: pinned {v}, loaded {found.get(n, 'none')}" for n, v in pins.items() if found.get(n) != v]
    if bad:
        sys.exit("setup: collection versions differ from collections/requirements.yml:\n  " + "\n  ".join(bad))
    print("setup: collections match their pins: " + ", ".join(f"{n} {v}" for n, v in pins.items()))


if __name__ == "__main__":
    main(sys.argv[1])
