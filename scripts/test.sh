#!/usr/bin/env bash
# The project's test command (README): every stage timed, so growth is visible.
# Usage: scripts/test.sh [stage ...]   stages: lint unit harness local integration molecule
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
export ANSIBLE_CONFIG=$PWD/ansible.cfg
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(lint unit harness local integration molecule)

declare -A took
run_stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== stage $name: $*"
  "$@"
  took[$name]=$((SECONDS - start))
  echo "=== stage $name: ${took[$name]} s"
}

for stage in "${stages[@]}"; do
  case $stage in
    lint)
      run_stage yamllint yamllint --strict .
      run_stage ansible-lint ansible-lint --profile production --strict
      run_stage ansible-doc bash scripts/check_docs.sh ;;
    unit)        run_stage unit pytest -q -p no:cacheprovider tests/unit ;;
    harness)     run_stage harness pytest -q -p no:cacheprovider tests/harness ;;
    # The README's first command, end to end on this machine (prints its own steps).
    local)       run_stage local pytest -q -s -p no:cacheprovider tests/local ;;
    # --durations: the slowest tests, so growth is visible.
    # Two workers (pytest-xdist): much of this stage waits on polls. tests/conftest.py
    # keeps the tests of the real Kafka and Pinot on one worker, and each file together.
    integration) run_stage integration pytest -q -p no:cacheprovider -n 2 --dist loadgroup --durations=30 tests/integration ;;
    molecule)    run_stage molecule bash scripts/molecule_all.sh ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
done
echo "=== timings (s):"
for k in "${!took[@]}"; do printf '  %-14s %5s\n' "$k" "${took[$k]}"; done
