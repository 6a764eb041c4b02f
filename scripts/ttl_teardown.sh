#!/usr/bin/env bash
# The time-to-live teardown of one environment, as its CodeBuild build runs it
# (files/ttl/buildspec.yml), from the bundle deploy uploaded (ttl/bundle.json: the
# commit and the inventory; ttl/vars.json: the deploy's region, project and
# environment). reaper.yml tears the environment down only if its ExpiresAt has
# passed, and only this one (ttl_environments). A failed run is run again (teardown
# is idempotent and finds everything by tag), STREAMSTACK_TTL_ATTEMPTS times in all;
# the build fails after the last, and its failure rule tells the SNS topic.
#   STREAMSTACK_ENVIRONMENT      the environment (set by the build project)
#   STREAMSTACK_TTL_ATTEMPTS     runs before the build fails (set by the build project; default 3)
#   STREAMSTACK_TTL_RETRY_DELAY  seconds between them (default 60)
#   STREAMSTACK_TTL_NOW          a simulated clock for the reaper (tests); empty = now
#   STREAMSTACK_TTL_EXTRA_VARS   a file of more variables for the playbook (tests); empty = none
set -euo pipefail
cd "$(dirname "$0")/.."
inventory=$(.venv/bin/python -c 'import json; print(json.load(open("ttl/bundle.json"))["inventory"])')
commit=$(.venv/bin/python -c 'import json; m = json.load(open("ttl/bundle.json")); print(m["commit"] + (" (with changes)" if m["dirty"] else ""))')
echo "ttl_teardown: ${STREAMSTACK_ENVIRONMENT:?} from $inventory at commit ${commit:-unknown}"
args=(-i "$inventory" -e @ttl/vars.json -e "{\"ttl_environments\": [\"$STREAMSTACK_ENVIRONMENT\"]}"
      -e "pinot_helm_binary=$PWD/.cache/bin/helm")
[[ -n ${STREAMSTACK_TTL_NOW:-} ]] && args+=(-e "ttl_now=$STREAMSTACK_TTL_NOW")
[[ -n ${STREAMSTACK_TTL_EXTRA_VARS:-} ]] && args+=(-e "@$STREAMSTACK_TTL_EXTRA_VARS")
attempts=${STREAMSTACK_TTL_ATTEMPTS:-3}
for attempt in $(seq 1 "$attempts"); do
  if ANSIBLE_CONFIG=ansible.cfg .venv/bin/ansible-playbook reaper.yml "${args[@]}"; then
    echo "ttl_teardown: done (attempt $attempt of $attempts)"
    exit 0
  fi
  echo "ttl_teardown: attempt $attempt of $attempts failed"
  [[ $attempt -lt $attempts ]] && sleep "${STREAMSTACK_TTL_RETRY_DELAY:-60}"
done
echo "ttl_teardown: every attempt failed; the failure rule tells the topic" >&2
exit 1
