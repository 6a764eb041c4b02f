#!/usr/bin/env bash
# The main job until the local profile lands: start the AWS emulator (moto
# with our patch layer) on 127.0.0.1, deploy the POC inventory into it with
# the real playbook, print the outputs, then stop the emulator.
# KEEP_EMULATOR=1 leaves it running (its URL is printed) to explore with the AWS CLI or boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
work=$(mktemp -d)
python tests/harness/emulator/serve.py --port 0 --url-file "$work/url" > "$work/emulator.log" 2>&1 &
pid=$!
cleanup() { [[ ${KEEP_EMULATOR:-0} == 1 ]] || kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do [[ -s $work/url ]] && break; sleep 0.2; done
[[ -s $work/url ]] || { echo "demo: the emulator did not start; log:" >&2; tail -20 "$work/emulator.log" >&2; exit 1; }
url=$(cat "$work/url")
echo "demo: AWS emulator at $url (pid $pid)"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
ansible-playbook deploy.yml -i inventories/poc -e aws_endpoint_url="$url" -e stack_outputs_dir="$PWD/outputs"
echo "demo: outputs in outputs/poc.json:"
cat outputs/poc.json
if [[ ${KEEP_EMULATOR:-0} == 1 ]]; then
  echo "demo: emulator left running at $url (kill $pid to stop it)"
fi
