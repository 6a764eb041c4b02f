"""Kafka and Pinot for tests: thin wrappers over the collection's module_utils/services.py.

Everything real lives in
``collections/ansible_collections/streamstack/pipeline/plugins/module_utils/services.py``
(the one place that knows how to run the local services); this file only
chooses free 127.0.0.1 ports, a state directory, the jar cache
(``<repo>/.cache/jars``, git-ignored) and makes sure whatever it started is
stopped: ``stop_all()`` runs at interpreter exit, and processes left behind by
a test session that was killed outright are stopped by the next session
(``reap_orphans()``; entries in ``<repo>/.cache/run/harness/``, only those whose
owning pytest process is gone).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
JAR_CACHE = REPO_ROOT / ".cache" / "jars"
RUN_DIR = REPO_ROOT / ".cache" / "run" / "harness"
POMS = REPO_ROOT / "files" / "services"

if str(REPO_ROOT / "collections") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import services as svc  # noqa: E402

LOG = logging.getLogger("harness.services")

_started: list = []  # services this process started and has not stopped
_lock = threading.Lock()


def progress(message: str) -> None:
    LOG.info(message)


def jars(service: str) -> str:
    """The jar directory of ``service`` (resolved with Maven on first use, then cached)."""
    return svc.resolve_jars(service, JAR_CACHE, pom=POMS / service / "pom.xml", progress=progress)


def _owner() -> dict:
    pid = os.getpid()
    start, _ = svc.process_start_time(pid)
    return {"pid": pid, "start": start}


def _record(service) -> Path:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pidfiles = [service.pidfile(p) for p in _procs(service)]
    entry = RUN_DIR / f"{os.getpid()}-{id(service)}.json"
    entry.write_text(json.dumps({"owner": _owner(), "state_dir": service.state_dir, "pidfiles": pidfiles}))
    return entry


def pids_using(state_dir: str) -> list[int]:
    """Processes whose command line names ``state_dir`` (its services all do, via their config paths)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if f"{state_dir}/".encode() in cmdline:
                pids.append(int(name))
    return pids


def _kill_leftovers(state_dir: str) -> int:
    """SIGTERM, then SIGKILL after 15 s, every process still using ``state_dir``."""
    pids = pids_using(state_dir)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and pids_using(state_dir):
        time.sleep(0.2)
    for pid in pids_using(state_dir):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def _procs(service) -> tuple:
    return ("kafka",) if isinstance(service, svc.KafkaService) else ("pinot", "zookeeper")


def reap_orphans() -> int:
    """Stop processes recorded by harness sessions whose pytest process is dead."""
    stopped = 0
    if not RUN_DIR.is_dir():
        return 0
    for entry in RUN_DIR.glob("*.json"):
        try:
            data = json.loads(entry.read_text())
        except (OSError, ValueError):
            entry.unlink(missing_ok=True)
            continue
        owner = data.get("owner", {})
        alive_start, state = svc.process_start_time(int(owner.get("pid", 0)))
        if alive_start is not None and alive_start == owner.get("start") and state != "Z":
            continue  # another live session owns these
        for pidfile in data.get("pidfiles", []):
            if svc.stop(pidfile, timeout=15):
                stopped += 1
                LOG.warning("stopped orphaned process of %s", pidfile)
        if data.get("state_dir"):  # pid files gone with an old pytest tmp dir: find them by path
            leftovers = _kill_leftovers(data["state_dir"])
            if leftovers:
                stopped += leftovers
                LOG.warning("stopped %d orphaned process(es) using %s", leftovers, data["state_dir"])
        entry.unlink(missing_ok=True)
    return stopped


def _track(service):
    with _lock:
        service._harness_entry = _record(service)  # pylint: disable=protected-access
        _started.append(service)
    return service


def start_kafka(state_dir, heap: str = "512m", timeout: float = 90):
    """A KafkaService on two free ports with state in ``state_dir``, started and ready."""
    port, controller_port = svc.free_ports(2)
    kafka = svc.KafkaService(state_dir, jars("kafka"), port, controller_port, heap=heap, progress=progress)
    _track(kafka)
    try:
        kafka.start(timeout=timeout)
    except Exception:
        stop(kafka)
        raise
    return kafka


def start_pinot(
    state_dir, cluster_name: str = "StreamStackTest", heap: str = "1g", zk_heap: str = "256m", timeout: float = 180
):
    """A PinotService (ZooKeeper + controller/broker/server/minion) on free ports, started and ready."""
    ports = dict(zip(svc.PinotService.PORT_KEYS, svc.free_ports(len(svc.PinotService.PORT_KEYS))))
    pinot = svc.PinotService(
        state_dir, jars("pinot"), ports, cluster_name=cluster_name, heap=heap, zk_heap=zk_heap, progress=progress
    )
    _track(pinot)
    try:
        pinot.start(timeout=timeout)
    except Exception:
        stop(pinot)
        raise
    return pinot


def stop(service, timeout: float = 30) -> None:
    """Stop a service started here and forget it."""
    with contextlib.suppress(Exception):
        LOG.info("%s: stopping; resident memory (MiB) %s", service.name, service.status().get("rss_mb"))
    try:
        began = time.monotonic()
        service.stop(timeout=timeout)
        LOG.info("%s: stopped in %.1f s", service.name, time.monotonic() - began)
    finally:
        with _lock:
            if service in _started:
                _started.remove(service)
            entry = getattr(service, "_harness_entry", None)
            if entry is not None:
                Path(entry).unlink(missing_ok=True)


def stop_all() -> None:
    """Stop everything this process started (atexit backstop)."""
    for service in list(reversed(_started)):
        try:
            stop(service, timeout=20)
        except Exception as exc:  # pylint: disable=broad-except  # keep stopping the others
            LOG.warning("could not stop %s: %s", service.name, exc)


atexit.register(stop_all)


def stop_group(proc) -> None:
    """SIGTERM a subprocess's process group (started with start_new_session), SIGKILL
    whatever is left after 10 s (a PyFlink job's JVM); always reaps."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
