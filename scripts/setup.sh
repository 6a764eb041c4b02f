#!/usr/bin/env bash
# Set-up in two tiers, each idempotent (a second run with unchanged pins installs nothing):
#   scripts/setup.sh           what the playbooks need: make local, and AWS from a laptop.
#                              .venv with requirements.txt and the pinned collections,
#                              .venv-flink with PyFlink, the Kafka, Pinot and connector jars.
#   scripts/setup.sh --aws     only what the AWS playbooks need: .venv and the collections
#                              (no PyFlink, no jars): the time-to-live teardown's build.
#   scripts/setup.sh --tests   also what only tests need (make test, .ci/run): the test and
#                              lint toolchain (requirements-test.txt) and the Kubernetes test
#                              harness's binaries (scripts/setup_kube.sh, built from source).
# Caches, each keyed by its pins: the venvs and the Kubernetes binaries in $STREAMSTACK_CACHE
# (default ~/.cache/streamstack; .venv and .venv-flink are links into it), so another clone
# of the project (CI's) reuses them; jars in .cache/jars, copied from Maven's ~/.m2.
# Collections: Ansible Galaxy first (the contract AWX uses) or, when Galaxy is
# unreachable, the identical versions bundled in the pip `ansible` package (checked).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tier=runtime
case ${1:-} in
  "") ;;
  --tests) tier=tests ;;
  --aws) tier=aws ;;
  *) echo "usage: scripts/setup.sh [--aws|--tests]" >&2; exit 2 ;;
esac
py=${PYTHON:-python3.11}
# shellcheck source=scripts/venv.sh
source scripts/venv.sh

step_start=$SECONDS
step() { echo "setup: $1 ($((SECONDS - step_start)) s)"; step_start=$SECONDS; }

command -v "$py" >/dev/null || { echo "setup: $py not found; install Python 3.11 (ansible-core 2.19 and apache-flink need it) or set PYTHON=" >&2; exit 1; }
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null \
  || { echo "setup: $py is not Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }

# PyFlink and the jars download while the main venv installs: they share nothing.
mkdir -p .cache
side_log=.cache/setup-flink-jars.log
if [[ $tier == aws ]]; then
  echo "setup: aws tier: no PyFlink, no jars" > "$side_log"
  true &
else
  ( bash scripts/setup_flink.sh && "$py" scripts/setup_jars.py kafka pinot ) > "$side_log" 2>&1 &
fi
side=$!
trap 'kill "$side" 2>/dev/null || true' EXIT

venv=$(cached_venv .venv "$py" requirements.txt requirements-test.txt)
if installed_once "$venv" .runtime.sha256 requirements.txt; then
  echo "setup: .venv already has requirements.txt"
else
  echo "setup: installing requirements.txt into .venv -> $venv"
  "$venv/bin/pip" install --quiet -r requirements.txt
  mark_installed "$venv" .runtime.sha256 requirements.txt
fi
if [[ $tier == tests ]]; then
  if installed_once "$venv" .tests.sha256 requirements.txt requirements-test.txt; then
    echo "setup: .venv already has requirements-test.txt"
  else
    echo "setup: installing requirements-test.txt into .venv"
    "$venv/bin/pip" install --quiet -r requirements.txt -r requirements-test.txt
    mark_installed "$venv" .tests.sha256 requirements.txt requirements-test.txt
  fi
fi
step "Python packages"

galaxy_dir=$root/.galaxy
if installed_once "$galaxy_dir" .installed collections/requirements.yml; then
  echo "setup: collections already installed from Galaxy into .galaxy/"
elif timeout 120 .venv/bin/ansible-galaxy collection install --force --timeout 20 \
      -r collections/requirements.yml -p "$galaxy_dir" >.cache/galaxy.log 2>&1; then
  mark_installed "$galaxy_dir" .installed collections/requirements.yml
  echo "setup: collections installed from Galaxy into .galaxy/"
else
  echo "setup: Ansible Galaxy is unreachable ($(grep -v '^[[:space:]]*$' .cache/galaxy.log | tail -n1 | cut -c1-120));"
  echo "setup: falling back to the collections bundled in the pip 'ansible' package"
  rm -rf "$galaxy_dir"
fi
# Whatever the source, the versions Ansible will load must be the pinned ones.
.venv/bin/python scripts/check_collections.py collections/requirements.yml
step "collections"

if [[ $tier == tests ]]; then
  bash scripts/setup_kube.sh
  step "Kubernetes test harness"
fi

status=0
wait "$side" || status=$?
trap - EXIT
sed 's/^/  /' "$side_log"
[[ $status == 0 ]] || { echo "setup: PyFlink or the jars failed (above)" >&2; exit "$status"; }
step "waited for PyFlink and the jars (their own times above)"
echo "setup: $tier tier done in ${SECONDS} s. Activate with: source .venv/bin/activate"
