#!/usr/bin/env bash
# The PyFlink toolchain, apart from the main one:
#   .venv-flink   apache-flink 2.2.1 and its pinned closure (requirements-flink.txt), a link
#                 into $STREAMSTACK_CACHE/venvs keyed by those pins (scripts/venv.sh)
#   .cache/jars/flink-sql-connector-kafka-<version>/  the Kafka SQL connector jar
#                 pinned in files/flink/pom.xml, resolved with Maven once per version
# Idempotent: a second run with unchanged pins installs and resolves nothing.
# Called by scripts/setup.sh; also runnable alone. Needs Python 3.11, Java 17, Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3.11}
# shellcheck source=scripts/venv.sh
source scripts/venv.sh
began=$SECONDS

command -v "$py" >/dev/null || { echo "setup_flink: $py not found; install Python 3.11 (apache-flink 2.2.1 has no wheels for 3.13+) or set PYTHON=" >&2; exit 1; }
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null \
  || { echo "setup_flink: $py is not Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }
command -v java >/dev/null || { echo "setup_flink: java not found; PyFlink needs a JDK/JRE 17 on PATH" >&2; exit 1; }

venv=$(cached_venv .venv-flink "$py" requirements-flink.txt)
if installed_once "$venv" .requirements.sha256 requirements-flink.txt; then
  echo "setup_flink: .venv-flink already matches requirements-flink.txt"
else
  echo "setup_flink: installing requirements-flink.txt into .venv-flink -> $venv (cold: about 45 s, 850 MB)"
  "$venv/bin/pip" install --quiet -r requirements-flink.txt
  "$venv/bin/python" -c 'import pyflink.table' \
    || { echo "setup_flink: pyflink does not import in $venv" >&2; exit 1; }
  mark_installed "$venv" .requirements.sha256 requirements-flink.txt
fi
"$py" scripts/setup_jars.py flink-sql-connector-kafka
echo "setup_flink: done in $((SECONDS - began)) s. Run the job locally with: .venv-flink/bin/python files/flink/job/main.py (see files/flink/README.md)"
