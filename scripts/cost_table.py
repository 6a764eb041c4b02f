#!/usr/bin/env python3
"""The README's cost tables for poc and staging, from the same code deploy runs.

Runs `ansible-playbook cost.yml -i inventories/<env>` (the cost role and the
price table, dated by the table's version so the text does not move with the
calendar) and splices its Markdown between the README's markers
<!-- cost:<env> --> and <!-- /cost:<env> -->.

    scripts/cost_table.py            rewrite README.md
    scripts/cost_table.py --check    exit 1 if README.md differs (the test runs this)
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("poc", "staging")
sys.path.insert(0, str(ROOT / "collections"))
from ansible_collections.streamstack.pipeline.plugins.module_utils import prices  # noqa: E402


def render(environment: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cost.md"
        cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "cost.yml", "-i", f"inventories/{environment}",
               "-e", f"cost_markdown_file={out}", "-e", f"cost_today={prices.TABLE_VERSION}"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
        if proc.returncode != 0:
            raise SystemExit(f"cost.yml -i inventories/{environment} failed:\n{proc.stdout[-3000:]}{proc.stderr}")
        return out.read_text().rstrip("\n")


def splice(readme: str, environment: str, table: str) -> str:
    pattern = re.compile(rf"(<!-- cost:{environment} -->\n)(?:.*?\n)?(<!-- /cost:{environment} -->)", re.S)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no <!-- cost:{environment} --> ... <!-- /cost:{environment} --> markers")
    return pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if README.md is not current")
    args = parser.parse_args()
    path = ROOT / "README.md"
    old = path.read_text()
    new = old
    for environment in ENVIRONMENTS:
        new = splice(new, environment, render(environment))
    if args.check:
        if new != old:
            print("README.md's cost tables differ from the estimate; run scripts/cost_table.py", file=sys.stderr)
            return 1
        print("README.md's cost tables match the estimate")
        return 0
    path.write_text(new)
    print("README.md cost tables written" if new != old else "README.md cost tables already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
