"""Run moto's server app with the harness patches applied (foreground).

    python tests/harness/emulator/serve.py --port 0 --host 127.0.0.1 --url-file F

--port 0 picks a free port; once the socket listens, ``http://HOST:PORT`` is
written to --url-file (atomically, via a temporary file and rename) so a parent
process can poll for it.  SIGTERM/SIGINT stop the server cleanly.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

# Must be set before moto.iam is imported: AWS managed policies
# (AmazonEKSClusterPolicy, AmazonEKS_CNI_Policy, ...) are only loaded then.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
# This process is the server: never let boto/moto reach a real endpoint.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url-file", default=None)
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK:
        parser.error("only loopback addresses are allowed")

    # Patches must be applied before the app is built: moto reads each
    # service's url_paths lazily when DomainDispatcherApplication creates the
    # per-service Flask app.
    from patches import apply_all

    apply_all()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from faults import FaultMiddleware
    from pricing import PricingMiddleware

    app = FaultMiddleware(PricingMiddleware(DomainDispatcherApplication(create_backend_app)))
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    port = server.socket.getsockname()[1]
    url = f"http://{args.host}:{port}"
    os.environ["MOTO_PORT"] = str(port)

    def _stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    if args.url_file:
        tmp = Path(args.url_file + ".tmp")
        tmp.write_text(url)
        os.replace(tmp, args.url_file)
    print(f"emulator listening on {url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
