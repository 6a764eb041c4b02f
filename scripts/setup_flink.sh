#!/usr/bin/env bash
# The PyFlink toolchain, apart from the main one:
#   .venv-flink/  apache-flink 2.2.1 and its pinned closure (requirements-flink.txt)
#   .cache/jars/flink-sql-connector-kafka-<version>/  the Kafka SQL connector jar
#                 pinned in files/flink/pom.xml, resolved with Maven once per version
# Idempotent: a second run with unchanged pins installs and resolves nothing.
# Called by scripts/setup.sh; also runnable alone. Needs Python 3.11, Java 17, Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=${PYTHON:-python3.11}
venv=$root/.venv-flink
stamp=$venv/.requirements.sha256

command -v "$py" >/dev/null || { echo "setup_flink: $py not found; install Python 3.11 (apache-flink 2.2.1 has no wheels for 3.13+) or set PYTHON=" >&2; exit 1; }
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null \
  || { echo "setup_flink: $py is not Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }
command -v java >/dev/null || { echo "setup_flink: java not found; PyFlink needs a JDK/JRE 17 on PATH" >&2; exit 1; }

want=$(sha256sum requirements-flink.txt | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup_flink: .venv-flink already matches requirements-flink.txt"
else
  echo "setup_flink: creating $venv and installing requirements-flink.txt (cold: about 45 s, 850 MB)"
  [[ -x $venv/bin/python ]] || "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet -r requirements-flink.txt
  "$venv/bin/python" -c 'import pyflink.table' \
    || { echo "setup_flink: pyflink does not import in $venv" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# The connector jar, through the same version-keyed cache as the Kafka and Pinot jars.
"$py" - "$root" <<'PY'
import os, sys
root = sys.argv[1]
sys.path.insert(0, os.path.join(root, "collections"))
from ansible_collections.streamstack.pipeline.plugins.module_utils import services

try:
    jar_dir = services.resolve_jars(
        "flink-sql-connector-kafka",
        os.path.join(root, ".cache", "jars"),
        pom=os.path.join(root, "files", "flink", "pom.xml"),
        progress=lambda m: print("setup_flink: " + m),
    )
except services.ServiceError as exc:
    sys.exit("setup_flink: %s" % exc)
jars = sorted(f for f in os.listdir(jar_dir) if f.endswith(".jar"))
print("setup_flink: connector jar: %s" % os.path.relpath(os.path.join(jar_dir, jars[0]), root))
PY
echo "setup_flink: done. Run the job locally with: .venv-flink/bin/python files/flink/job/main.py (see files/flink/README.md)"
