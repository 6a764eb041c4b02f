#!/usr/bin/env python3
"""Build the Managed Service for Apache Flink application zip, reproducibly.

    python files/flink/package.py [--out DIR] [--jar PATH]

Writes ``<out>/streamstack-flink-<version>.zip`` (default out: ``<repo>/dist``)
and beside it ``streamstack-flink-<version>.json`` with the zip's sha256,
size, entries and the ``kinesis.analytics.flink.run.options`` property group
to give MSF. Zip layout (entries sorted)::

    lib/flink-sql-connector-kafka-5.0.0-2.2.jar   -> run option "jarfile"
    main.py                                        -> run option "python"
    <any other *.py or package under files/flink/job/ (pure-Python deps)>

Byte-identical on every build of the same inputs: entries sorted, every
timestamp 1980-01-01 00:00, permissions 0644 (dirs are not stored), Unix
"made by", no extra fields, no comment, fixed compression level (the jar is
stored, already compressed). The version is ``__version__`` in job/main.py.

Standard library only (any Python 3.11; no PyFlink needed). The jar comes
from ``--jar`` or from the version-keyed jar cache ``<repo>/.cache/jars``
(resolved with Maven from files/flink/pom.xml on first use).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import stat
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
JOB_DIR = os.path.join(HERE, "job")
POM = os.path.join(HERE, "pom.xml")
JAR_CACHE = os.path.join(REPO_ROOT, ".cache", "jars")
DEFAULT_OUT = os.path.join(REPO_ROOT, "dist")
CONNECTOR = "flink-sql-connector-kafka"
NAME = "streamstack-flink"
MAIN = "main.py"
RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"
RUNTIME_ENVIRONMENT = "FLINK-2_2"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
SKIP_DIRS = {"__pycache__", ".pytest_cache", "lib"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def job_version(main_path=os.path.join(JOB_DIR, MAIN)):
    """``__version__`` of the job's main script, read without importing it."""
    with open(main_path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), main_path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("%s has no __version__" % main_path)


def connector_jar():
    """The connector jar from the jar cache (resolving it with Maven if needed)."""
    sys.path.insert(0, os.path.join(REPO_ROOT, "collections"))
    from ansible_collections.streamstack.pipeline.plugins.module_utils import services

    jar_dir = services.resolve_jars(CONNECTOR, JAR_CACHE, pom=POM, progress=lambda m: print("package: " + m))
    jars = sorted(f for f in os.listdir(jar_dir) if f.endswith(".jar"))
    if len(jars) != 1:
        raise SystemExit("package: expected one jar in %s, found %s" % (jar_dir, jars))
    return os.path.join(jar_dir, jars[0])


def job_files(job_dir=JOB_DIR):
    """(archive name, path) of every file of the job directory, sorted by archive name."""
    found = []
    for folder, dirs, files in os.walk(job_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in files:
            if name.endswith(SKIP_SUFFIXES) or name.startswith("."):
                continue
            path = os.path.join(folder, name)
            found.append((os.path.relpath(path, job_dir).replace(os.sep, "/"), path))
    return sorted(found)


def _entry(name, compress):
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = 3  # Unix, so external_attr carries the mode
    info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
    info.compress_type = compress
    return info


def write_zip(zip_path, entries):
    """Write ``entries`` [(archive name, source path)] to ``zip_path`` deterministically."""
    tmp = "%s.%d.tmp" % (zip_path, os.getpid())  # two deploys at once must not share it
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, path in sorted(entries):
            with open(path, "rb") as handle:
                data = handle.read()
            compress = zipfile.ZIP_STORED if name.endswith(".jar") else zipfile.ZIP_DEFLATED
            archive.writestr(_entry(name, compress), data, compress_type=compress, compresslevel=9 if compress else None)
    os.replace(tmp, zip_path)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(out_dir=DEFAULT_OUT, jar=None, job_dir=JOB_DIR):
    """Build the zip and its manifest; returns the manifest (a dict) with absolute paths added."""
    jar = os.path.abspath(jar or connector_jar())
    version = job_version(os.path.join(job_dir, MAIN))
    entries = job_files(job_dir)
    names = [n for n, _ in entries]
    if MAIN not in names:
        raise SystemExit("package: %s has no %s" % (job_dir, MAIN))
    jar_name = "lib/" + os.path.basename(jar)
    entries.append((jar_name, jar))
    os.makedirs(out_dir, exist_ok=True)
    base = "%s-%s" % (NAME, version)
    zip_path = os.path.join(out_dir, base + ".zip")
    write_zip(zip_path, entries)
    manifest = {
        "name": NAME,
        "version": version,
        "zip": os.path.basename(zip_path),
        "sha256": sha256(zip_path),
        "size": os.path.getsize(zip_path),
        "runtime_environment": RUNTIME_ENVIRONMENT,
        "run_options": {
            "PropertyGroupId": RUN_OPTIONS_GROUP,
            "PropertyMap": {"python": MAIN, "jarfile": jar_name},
        },
        "job_property_group": "streamstack.job",
        "entries": sorted(n for n, _ in entries),
    }
    manifest_path = os.path.join(out_dir, base + ".json")
    tmp = "%s.%d.tmp" % (manifest_path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, manifest_path)
    return dict(manifest, zip_path=zip_path, manifest_path=manifest_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the MSF application zip for the streamstack Flink job.")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: <repo>/dist)")
    parser.add_argument("--jar", help="connector jar to ship (default: from the jar cache, resolved with Maven)")
    args = parser.parse_args(argv)
    result = build(args.out, args.jar)
    print("package: %s (%d bytes, sha256 %s)" % (result["zip_path"], result["size"], result["sha256"]))
    print("package: %s" % result["manifest_path"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
