"""Run the harness's Kubernetes control plane (harness/kube.py) in the foreground.

    python tests/harness/kube_serve.py --workdir DIR --nodes t3.medium:2 --env-file F

For callers outside pytest (scripts/molecule_all.sh): starts etcd, the API
server, the controllers, the scheduler and kwok, adds the fake EKS-shaped
nodes asked for, then writes ``KEY=VALUE`` lines to --env-file (atomically)
once everything is ready:

    STREAMSTACK_KUBECONFIG   the admin kubeconfig
    STREAMSTACK_KUBE_BIN     the folder with kubectl and helm
    HELM_CACHE_HOME, HELM_CONFIG_HOME, HELM_DATA_HOME   helm's folders, in the workdir

SIGTERM/SIGINT stop every process by its pid (harness/kube.py's stop()).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.kube import KubeCluster  # noqa: E402


def _nodes(spec: str) -> tuple[str, int]:
    node_type, _, count = spec.partition(":")
    try:
        return node_type, int(count or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--nodes {spec!r}: expected TYPE:COUNT, e.g. t3.medium:2") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--nodes", type=_nodes, action="append", default=[], metavar="TYPE:COUNT")
    parser.add_argument("--env-file", required=True, type=Path)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    with KubeCluster.start(args.workdir, timeout=args.timeout) as kube:
        for node_type, count in args.nodes:
            kube.add_nodes(node_type, count, prefix=node_type.replace(".", "-"))
        tmp = args.env_file.with_name(args.env_file.name + f".{os.getpid()}")
        env = kube.env()
        lines = [f"STREAMSTACK_KUBECONFIG={kube.kubeconfig}", f"STREAMSTACK_KUBE_BIN={kube.bin_dir}"]
        lines += [f"{key}={env[key]}" for key in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")]
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(args.env_file)
        print(f"kube_serve: {kube.server} ready, kubeconfig {kube.kubeconfig}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
