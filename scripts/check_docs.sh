#!/usr/bin/env bash
# Every plugin of our collection must render with ansible-doc (a broken
# DOCUMENTATION block is otherwise only found by users). One ansible-doc per
# plugin type, every plugin of it named: each must come back with its doc.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
coll=collections/ansible_collections/streamstack/pipeline/plugins
n=0
for type_dir in module:modules:py filter:filter:yml test:test:yml; do
  IFS=: read -r type dir ext <<< "$type_dir"
  names=()
  for f in "$coll/$dir"/*."$ext"; do
    names+=("streamstack.pipeline.$(basename "$f" ".$ext")")
  done
  docs=$(ansible-doc -t "$type" --json "${names[@]}") || { echo "ansible-doc failed on the ${type}s above" >&2; exit 1; }
  python3 -c '
import json, sys
kind, names = sys.argv[1], sys.argv[2:]
docs = json.loads(sys.stdin.read())
bad = [n for n in names if not (docs.get(n) or {}).get("doc", {}).get("short_description")]
for n in bad:
    print("ansible-doc failed for %s %s" % (kind, n), file=sys.stderr)
sys.exit(1 if bad else 0)' "$type" "${names[@]}" <<< "$docs" || exit 1
  n=$((n + ${#names[@]}))
done
echo "ansible-doc renders all $n plugins"
