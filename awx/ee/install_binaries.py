#!/usr/bin/env python3
"""Install the pinned binaries and jar the playbooks call into an execution environment.

    python3 install_binaries.py [--only NAME ...] [--list]

Each download is checked against the sha256 written here before anything is
installed; a mismatch stops the image build. Standard library only, so it
runs in any image with Python 3 (no curl, tar or unzip needed).

What calls each one:
  helm     kubernetes.core.helm / helm_info / helm_repository (roles/pinot)
  kubectl  not called by a playbook; for people debugging a job in the image
           (the pinot role's messages tell them to run kubectl describe pod)
  flink-sql-connector-kafka
           files/flink/package.py, run by roles/flink_app, ships it in the
           Managed Flink zip; with the jar here no Maven/Java is needed
           (STREAMSTACK_FLINK_CONNECTOR_JAR, set by execution-environment.yml)

The checksums are the publishers' own (get.helm.sh's .sha256sum,
dl.k8s.io's kubectl.sha256, Maven Central's artifact); they are written here,
not fetched beside the download, so a replaced file cannot bring its own sum.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request

# name: (version, url, sha256, member inside a .tar.gz or None, destination)
BINARIES = {
    # helm 3, not 4: kubernetes.core 6.2 calls `helm list --all`, which helm 4 rejects.
    "helm": (
        "3.22.0",
        "https://get.helm.sh/helm-v3.22.0-linux-amd64.tar.gz",
        "1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb",
        "linux-amd64/helm",
        "/usr/local/bin/helm",
    ),
    # Within one minor of the EKS version the inventories pin (eks_version 1.35).
    "kubectl": (
        "1.35.0",
        "https://dl.k8s.io/release/v1.35.0/bin/linux/amd64/kubectl",
        "a2e984a18a0c063279d692533031c1eff93a262afcc0afdc517375432d060989",
        None,
        "/usr/local/bin/kubectl",
    ),
    # The version files/flink/pom.xml pins.
    "flink-sql-connector-kafka": (
        "5.0.0-2.2",
        "https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/5.0.0-2.2/"
        "flink-sql-connector-kafka-5.0.0-2.2.jar",
        "5605c691d11a501382c383fecba37a7a552467da5ab7ba904ef5d6f3d62c5616",
        None,
        "/opt/streamstack/jars/flink-sql-connector-kafka-5.0.0-2.2.jar",
    ),
}


def fetch(url: str, timeout: int = 300) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https/file URLs only)
        return response.read()


def verify(name: str, data: bytes, sha256: str) -> None:
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise SystemExit("install_binaries: %s: sha256 %s, expected %s; not installed" % (name, got, sha256))


def extract(data: bytes, member: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        handle = archive.extractfile(member)
        if handle is None:
            raise SystemExit("install_binaries: %s is not a file in the archive" % member)
        return handle.read()


def install(name: str, url: str | None = None, root: str = "/") -> str:
    version, default_url, sha256, member, dest = BINARIES[name]
    data = fetch(url or default_url)
    verify(name, data, sha256)
    payload = extract(data, member) if member else data
    target = os.path.join(root, dest.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target))
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
    os.chmod(tmp, 0o755 if dest.startswith("/usr/local/bin/") else 0o644)
    os.replace(tmp, target)
    print("install_binaries: %s %s -> %s" % (name, version, target))
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BINARIES), help="install only these")
    parser.add_argument("--list", action="store_true", help="print name, version and destination, install nothing")
    args = parser.parse_args(argv)
    if args.list:
        for name, (version, _url, _sha, _member, dest) in sorted(BINARIES.items()):
            print("%s %s %s" % (name, version, dest))
        return 0
    for name in args.only or sorted(BINARIES):
        install(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
