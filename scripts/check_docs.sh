#!/usr/bin/env bash
# Every plugin of our collection must render with ansible-doc (a broken
# DOCUMENTATION block is otherwise only found by users).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
coll=collections/ansible_collections/streamstack/pipeline/plugins
n=0
for f in "$coll"/modules/*.py; do
  name=streamstack.pipeline.$(basename "$f" .py)
  ansible-doc -t module "$name" > /dev/null || { echo "ansible-doc failed for module $name" >&2; exit 1; }
  n=$((n + 1))
done
for f in "$coll"/filter/*.yml; do
  name=streamstack.pipeline.$(basename "$f" .yml)
  ansible-doc -t filter "$name" > /dev/null || { echo "ansible-doc failed for filter $name" >&2; exit 1; }
  n=$((n + 1))
done
for f in "$coll"/test/*.yml; do
  name=streamstack.pipeline.$(basename "$f" .yml)
  ansible-doc -t test "$name" > /dev/null || { echo "ansible-doc failed for test $name" >&2; exit 1; }
  n=$((n + 1))
done
echo "ansible-doc renders all $n plugins"
