#!/usr/bin/env bash
# One command from nothing to a working toolchain:
#   .venv/ with the pinned Python packages (requirements.txt) and the pinned
#   collections (collections/requirements.yml) from Ansible Galaxy, or, when
#   Galaxy is unreachable, the identical versions bundled in the pip `ansible`
#   package (checked, not assumed); .venv-flink/ with PyFlink and the Kafka
#   connector jar (scripts/setup_flink.sh).
# Idempotent: a second run with unchanged pins installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=${PYTHON:-python3.11}
venv=$root/.venv
stamp=$venv/.requirements.sha256

command -v "$py" >/dev/null || { echo "setup: $py not found; install Python 3.11 (ansible-core 2.19 and apache-flink need it) or set PYTHON=" >&2; exit 1; }
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null \
  || { echo "setup: $py is not Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup: Python packages already match requirements.txt"
else
  echo "setup: creating $venv and installing requirements.txt"
  [[ -x $venv/bin/python ]] || "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet -r requirements.txt
  echo "$want" > "$stamp"
fi

# Collections: Galaxy first (the contract AWX uses), bundled copies otherwise.
galaxy_dir=$root/.galaxy
if [[ -f $galaxy_dir/.installed && $(cat "$galaxy_dir/.installed") == "$(sha256sum collections/requirements.yml | cut -d' ' -f1)" ]]; then
  echo "setup: collections already installed from Galaxy into .galaxy/"
elif timeout 120 "$venv/bin/ansible-galaxy" collection install --force --timeout 20 \
      -r collections/requirements.yml -p "$galaxy_dir" >/tmp/streamstack-galaxy.log 2>&1; then
  sha256sum collections/requirements.yml | cut -d' ' -f1 > "$galaxy_dir/.installed"
  echo "setup: collections installed from Galaxy into .galaxy/"
else
  echo "setup: Ansible Galaxy is unreachable ($(grep -v '^[[:space:]]*$' /tmp/streamstack-galaxy.log | tail -n1 | cut -c1-120));"
  echo "setup: falling back to the collections bundled in the pip 'ansible' package"
  rm -rf "$galaxy_dir"
fi
# Whatever the source, the versions Ansible will load must be the pinned ones.
"$venv/bin/python" scripts/check_collections.py collections/requirements.yml
# The Kubernetes test harness: kube-apiserver, scheduler, etcd, kwok, helm (built once, cached by version).
bash scripts/setup_kube.sh
# PyFlink lives in its own venv (its pins would drag the main toolchain down).
bash scripts/setup_flink.sh
echo "setup: done in ${SECONDS} s. Activate with: source .venv/bin/activate"
