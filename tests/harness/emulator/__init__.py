"""AWS emulator for tests: moto 5.2.5 server plus the patches in ``patches/``.

    from harness.emulator import Emulator

    with Emulator.start() as emu:          # own process group, loopback only
        boto3.client("kafka", endpoint_url=emu.url, ...)
        emu.set_transition("kafka::cluster", "manual", times=2)
        emu.reset()                          # POST /moto-api/reset

See README.md in this directory for the patched gaps and the state models.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["Emulator", "EmulatorError", "STATE_MODELS"]

SERVE = Path(__file__).resolve().parent / "serve.py"

# State-manager models registered by the patches (default: immediate).
STATE_MODELS = (
    "kafka::cluster",
    "kafka::topic",
    "eks::cluster",
    "eks::nodegroup",
    "eks::addon",
    "ec2::nat_gateway",
    "kinesisanalyticsv2::application",
)


class EmulatorError(RuntimeError):
    pass


class Emulator:
    """A running emulator server (a child process in its own process group)."""

    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path, workdir: Path):
        self.proc = proc
        self.url = url
        self.log_path = log_path
        self._workdir = workdir

    # ------------------------------------------------------------------ life
    @classmethod
    def start(
        cls,
        timeout: float = 30,
        python: str | None = None,
        log_path: str | os.PathLike | None = None,
    ) -> "Emulator":
        """Start serve.py on a free loopback port and wait until it answers."""
        workdir = Path(tempfile.mkdtemp(prefix="aws-emulator-"))
        url_file = workdir / "url"
        log = Path(log_path) if log_path else workdir / "server.log"
        env = dict(os.environ)
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        env.pop("AWS_ENDPOINT_URL", None)
        env["PYTHONUNBUFFERED"] = "1"
        with open(log, "ab") as fh:
            proc = subprocess.Popen(
                [python or sys.executable, str(SERVE), "--host", "127.0.0.1", "--port", "0", "--url-file", str(url_file)],
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # own process group: stop() kills it whole
            )
        emu = cls(proc, "", log, workdir)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise EmulatorError(f"emulator exited with {proc.returncode}\n{emu.log_tail()}")
                if url_file.exists():
                    emu.url = url_file.read_text().strip()
                    if emu._ready():
                        return emu
                time.sleep(0.1)
            raise EmulatorError(f"emulator not ready after {timeout}s\n{emu.log_tail()}")
        except BaseException:
            emu.stop()
            raise

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers; wait."""
        proc = self.proc
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=timeout)

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --------------------------------------------------------------- control
    def _post(self, path: str, body: dict[str, Any] | list[Any] | None = None) -> bytes:
        data = json.dumps(body or {}).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read()

    def reset(self) -> None:
        """Forget every resource (POST /moto-api/reset)."""
        self._post("/moto-api/reset")

    def seed_prices(self, products: list[dict[str, Any]]) -> None:
        """The Price List API's catalogue (pricing.py): [{serviceCode, attributes, usd, unit}]."""
        self._post("/_harness/pricing/products", products)

    def faults(self, rate: float, seed: int = 0, services: list[str] | None = None,
               access_keys: list[str] | None = None, reset_counts: bool = False,
               throttling: float = 0.75) -> dict[str, Any]:
        """Answer a fraction of signed AWS calls (of those services, signed with those
        access keys) with throttling or 5xx errors (faults.py), ``throttling`` of them
        throttling errors; rate 0 switches it off. Returns the switch's state and counts."""
        body = {"rate": rate, "seed": seed, "services": services, "access_keys": access_keys,
                "reset_counts": reset_counts, "throttling": throttling}
        return json.loads(self._post("/_harness/faults", body))

    def fault_counts(self) -> dict[str, Any]:
        """{rate, seed, services, calls, injected: {service: {error code: n}}, injected_total}."""
        with urllib.request.urlopen(f"{self.url}/_harness/faults", timeout=10) as resp:
            return json.loads(resp.read())

    def set_transition(self, model_name: str, progression: str = "immediate", **kw: Any) -> None:
        """Steer a state model, e.g. set_transition("kafka::cluster", "manual", times=2)
        or ("eks::cluster", "time", seconds=5).  See README.md for the semantics."""
        transition = {"progression": progression, **kw}
        self._post(
            "/moto-api/state-manager/set-transition",
            {"model_name": model_name, "transition": transition},
        )

    def iam_propagation(self, seconds: float | dict[str, float] = 0,
                        times: dict[str, int] | None = None) -> dict[str, Any]:
        """Roles younger than ``seconds`` (per service principal, or one number for
        all) are refused by the services that assume them; ``times``: the next N
        assumptions by a service are refused whatever the age (patches/iam.py).
        Nothing given: off, counts cleared. Returns the settings and ``refused``."""
        return json.loads(self._post("/moto-api/static/iam/propagation",
                                     {"seconds": seconds, "times": times or {}}))

    def iam_refusals(self) -> dict[str, int]:
        """{service principal: assumptions refused since the last iam_propagation()}."""
        with urllib.request.urlopen(f"{self.url}/moto-api/static/iam/propagation", timeout=10) as resp:
            return json.loads(resp.read())["refused"]

    def eni_linger(self, **seconds: float) -> dict[str, Any]:
        """How long a deleted owner's ENIs stay (patches/enis.py): kinesisanalytics=,
        elasticloadbalancing=, eks-nodegroup (as a dict key). Nothing given: the defaults."""
        return json.loads(self._post("/moto-api/static/ec2/eni-linger", {"seconds": seconds}))

    def unset_transition(self, model_name: str) -> None:
        """Back to the model's default (immediate)."""
        self._post("/moto-api/state-manager/unset-transition", {"model_name": model_name})

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client pointed at this emulator (test credentials)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
