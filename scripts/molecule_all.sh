#!/usr/bin/env bash
# Every Molecule scenario (molecule/*/molecule.yml). Scenarios that call AWS
# (their inventory links ../shared/host_vars, which reads STREAMSTACK_AWS_ENDPOINT)
# run against ONE AWS emulator (moto with the harness patches,
# tests/harness/emulator/serve.py), started on first need, its state reset
# before each of them; the others (cost, preflight, local_stack, ...) run
# without one. Scenarios that read STREAMSTACK_KUBECONFIG also get the
# harness's Kubernetes control plane (tests/harness/kube_serve.py), started
# once on first need. Prints the time each scenario took; exits
# non-zero if any failed. The emulator and the cluster are stopped however
# this ends.
# Usage: scripts/molecule_all.sh [scenario ...]    (default: all of them)
#
# MOLECULE_LANES=N (default 2) runs the scenarios in N lanes at once, each lane
# this script again with its own emulator (most of a scenario's time is spent
# waiting), the scenarios spread by their usual duration; each lane's log is
# printed when it ends. MOLECULE_LANES=1: one after another.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH

if [[ $# -gt 0 ]]; then
  scenarios=("$@")
else
  scenarios=()
  for file in molecule/*/molecule.yml; do
    scenarios+=("$(basename "$(dirname "$file")")")
  done
fi

lanes=${MOLECULE_LANES:-2}
if [[ $lanes -gt 1 && ${#scenarios[@]} -gt 1 ]]; then
  # Usual seconds per scenario on the 2-core CI machine (unknown: 60), heaviest first.
  declare -A usual=([pause]=140 [eks]=120 [flink_app]=110 [alb]=80 [msk]=75 [ttl]=70 [vpc]=60
                    [local_stack]=60 [pinot]=55 [audit]=25 [cost]=15 [stack_outputs]=10 [preflight]=10)
  mapfile -t ordered < <(for s in "${scenarios[@]}"; do echo "${usual[$s]:-60} $s"; done | sort -rn | cut -d' ' -f2)
  declare -a load lane_of
  for ((i = 0; i < lanes; i++)); do load[i]=0; lane_of[i]=""; done
  for s in "${ordered[@]}"; do   # each to the lane with the least so far
    best=0
    for ((i = 1; i < lanes; i++)); do ((load[i] < load[best])) && best=$i; done
    load[best]=$((load[best] + ${usual[$s]:-60}))
    lane_of[best]+=" $s"
  done
  logs=$(mktemp -d)
  pids=()
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; rm -rf "$logs"; exit 130' INT TERM
  start_all=$SECONDS
  for ((i = 0; i < lanes; i++)); do
    [[ -n ${lane_of[i]} ]] || continue
    echo "molecule_all: lane $i:${lane_of[i]} (about ${load[i]} s)"
    # shellcheck disable=SC2086  # the list is meant to split into scenario names
    MOLECULE_LANES=1 bash "$0" ${lane_of[i]} > "$logs/lane$i.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for ((i = 0; i < ${#pids[@]}; i++)); do
    wait "${pids[i]}" || failed=1
  done
  for log in "$logs"/lane*.log; do
    echo "=== molecule: $(basename "$log" .log)"
    cat "$log"
  done
  echo "=== molecule timings, all lanes (s):"
  grep -h -A100 '^=== molecule timings' "$logs"/lane*.log | grep -Ev '^(=== molecule timings|--)' | grep -v ' total ' | sort
  printf '  %-14s %5s  (%s lanes at once)\n' total $((SECONDS - start_all)) "$lanes"
  rm -rf "$logs"
  exit $failed
fi

work=$(mktemp -d)
emulator=
scenario_pid=
kube=
stop_emulator() {
  if [[ -n $emulator ]]; then
    kill "$emulator" 2>/dev/null || true
    wait "$emulator" 2>/dev/null || true
  fi
  if [[ -n $kube ]]; then
    kill "$kube" 2>/dev/null || true
    wait "$kube" 2>/dev/null || true
  fi
  rm -rf "$work"
}
# Interrupted: stop the running scenario (its own process group: molecule and
# its ansible-playbook) first; the EXIT trap then stops the emulator.
stop_scenario() {
  [[ -n $scenario_pid ]] && kill -TERM -- "-$scenario_pid" 2>/dev/null
  exit 130
}
trap stop_emulator EXIT
trap stop_scenario INT TERM

# The credentials are fake: the emulator accepts any, real AWS none.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
url=
start_emulator() {
  [[ -n $emulator ]] && return 0
  python tests/harness/emulator/serve.py --port 0 --url-file "$work/url" > "$work/emulator.log" 2>&1 &
  emulator=$!
  for _ in $(seq 1 100); do
    [[ -s $work/url ]] && break
    kill -0 "$emulator" 2>/dev/null || break
    sleep 0.2
  done
  if [[ ! -s $work/url ]]; then
    echo "molecule_all: the AWS emulator did not start; its log:" >&2
    tail -20 "$work/emulator.log" >&2
    return 1
  fi
  url=$(cat "$work/url")
  # The scenarios read the endpoint from here (molecule/shared/host_vars).
  export STREAMSTACK_AWS_ENDPOINT=$url
  echo "molecule_all: AWS emulator at $url (pid $emulator)"
}
needs_aws() { grep -qs 'shared/host_vars' "molecule/$1/molecule.yml"; }

# The Kubernetes control plane with two fake t3.medium nodes (the POC's node group),
# exported as STREAMSTACK_KUBECONFIG, STREAMSTACK_KUBE_BIN and helm's folders.
start_kube() {
  [[ -n $kube ]] && return 0
  python tests/harness/kube_serve.py --workdir "$work/kube" --nodes t3.medium:2 \
    --env-file "$work/kube.env" > "$work/kube.log" 2>&1 &
  kube=$!
  for _ in $(seq 1 600); do
    [[ -s $work/kube.env ]] && break
    kill -0 "$kube" 2>/dev/null || break
    sleep 0.2
  done
  if [[ ! -s $work/kube.env ]]; then
    echo "molecule_all: the Kubernetes harness did not start (scripts/setup_kube.sh builds it); its log:" >&2
    tail -20 "$work/kube.log" >&2
    return 1
  fi
  set -a
  # shellcheck disable=SC1091
  source "$work/kube.env"
  set +a
  echo "molecule_all: Kubernetes harness ready (pid $kube)"
}

declare -A took result
failed=0
start_all=$SECONDS
for scenario in "${scenarios[@]}"; do
  echo "=== molecule: $scenario"
  start=$SECONDS
  if [[ -n $emulator ]] && ! kill -0 "$emulator" 2>/dev/null; then
    echo "molecule_all: the AWS emulator (pid $emulator) is gone; stopping here" >&2
    failed=1
    break
  fi
  # Each AWS scenario starts from an empty AWS. Molecule runs in the background
  # (in its own session) so that a signal reaches the traps above at once.
  status=0
  if needs_aws "$scenario"; then
    start_emulator && curl -fsS -X POST "$url/moto-api/reset" > /dev/null || status=$?
  else
    echo "molecule_all: $scenario calls no AWS: no emulator"
  fi
  if [[ $status == 0 ]] && grep -rqs STREAMSTACK_KUBECONFIG "molecule/$scenario"; then
    start_kube || status=$?
  fi
  if [[ $status == 0 ]]; then
    setsid molecule test -s "$scenario" &
    scenario_pid=$!
    wait "$scenario_pid" || status=$?
    scenario_pid=
  fi
  if [[ $status == 0 ]]; then
    result[$scenario]=passed
  else
    result[$scenario]=FAILED
    failed=1
  fi
  took[$scenario]=$((SECONDS - start))
  echo "=== molecule: $scenario ${result[$scenario]} in ${took[$scenario]} s"
done

if [[ $failed == 1 && -n $emulator ]]; then
  echo "molecule_all: the emulator's last errors (an AWS call it could not serve shows here):"
  grep -E 'Error|Exception|Traceback| 500 -' "$work/emulator.log" | tail -10 || echo "  none"
fi
echo "=== molecule timings (s):"
for scenario in "${scenarios[@]}"; do
  printf '  %-14s %5s  %s\n' "$scenario" "${took[$scenario]:--}" "${result[$scenario]:-not run}"
done
printf '  %-14s %5s\n' total $((SECONDS - start_all))
exit $failed
