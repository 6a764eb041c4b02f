#!/usr/bin/env python3
"""Resolve the jars the local profile runs into .cache/jars, once per version.

    scripts/setup_jars.py [service ...]     default: kafka pinot flink-sql-connector-kafka

Each set is copied by Maven (from ~/.m2, downloading what is missing) into
.cache/jars/<service>-<version>, keyed by its POM (module_utils/services.py
resolve_jars: a set whose POM is unchanged is not resolved again). The local
profile resolves the same way on first use; the set-up does it ahead, while
pip installs, so the first deploy starts at once. Prints each set's time.
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import services  # noqa: E402

POMS = {
    "kafka": os.path.join(ROOT, "files", "services", "kafka", "pom.xml"),
    "pinot": os.path.join(ROOT, "files", "services", "pinot", "pom.xml"),
    "flink-sql-connector-kafka": os.path.join(ROOT, "files", "flink", "pom.xml"),
}


def main(names):
    unknown = sorted(set(names) - set(POMS))
    if unknown:
        sys.exit("setup_jars: unknown jar set(s) %s; known: %s" % (", ".join(unknown), ", ".join(POMS)))
    for name in names:
        began = time.monotonic()
        try:
            jar_dir = services.resolve_jars(name, os.path.join(ROOT, ".cache", "jars"), pom=POMS[name],
                                            progress=lambda message: print("setup_jars: " + message, flush=True))
        except services.ServiceError as exc:
            sys.exit("setup_jars: %s" % exc)
        count = len([f for f in os.listdir(jar_dir) if f.endswith(".jar")])
        print("setup_jars: %s: %d jars in %s (%.1f s)" % (name, count, os.path.relpath(jar_dir, ROOT),
                                                          time.monotonic() - began), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(POMS))
