#!/usr/bin/env bash
# The time-to-live teardown of one environment, as its CodeBuild build runs it
# (files/ttl/buildspec.yml), from the bundle deploy uploaded (ttl/bundle.json: the
# commit and the inventory; ttl/vars.json: the deploy's region, project and
# environment). reaper.yml tears the environment down only if its ExpiresAt has
# passed, and only this one (ttl_environments).
#   STREAMSTACK_ENVIRONMENT   the environment (set by the build project)
#   STREAMSTACK_TTL_NOW       a simulated clock for the reaper (tests); empty = now
#   STREAMSTACK_TTL_EXTRA_VARS  a file of more variables for the playbook (tests); empty = none
set -euo pipefail
cd "$(dirname "$0")/.."
inventory=$(.venv/bin/python -c 'import json; print(json.load(open("ttl/bundle.json"))["inventory"])')
commit=$(.venv/bin/python -c 'import json; m = json.load(open("ttl/bundle.json")); print(m["commit"] + (" (with changes)" if m["dirty"] else ""))')
echo "ttl_teardown: ${STREAMSTACK_ENVIRONMENT:?} from $inventory at commit ${commit:-unknown}"
args=(-i "$inventory" -e @ttl/vars.json -e "{\"ttl_environments\": [\"$STREAMSTACK_ENVIRONMENT\"]}"
      -e "pinot_helm_binary=$PWD/.cache/bin/helm")
[[ -n ${STREAMSTACK_TTL_NOW:-} ]] && args+=(-e "ttl_now=$STREAMSTACK_TTL_NOW")
[[ -n ${STREAMSTACK_TTL_EXTRA_VARS:-} ]] && args+=(-e "@$STREAMSTACK_TTL_EXTRA_VARS")
ANSIBLE_CONFIG=ansible.cfg exec .venv/bin/ansible-playbook reaper.yml "${args[@]}"
