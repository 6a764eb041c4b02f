# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local services of the stack: how to resolve, start, health-wait and stop them.

The one place that knows how Kafka and Pinot run on a developer machine (the
``local`` inventory) and in the test harness. Standard library only, no
Ansible import: modules call it, tests call it.

* ``resolve_jars(service, cache_root, pom=None)`` -- the service's runtime
  jars, resolved once per version with Maven from ``files/services/<service>/pom.xml``.
* Supervision: ``start_process``, ``is_running``, ``stop``, ``wait_until``,
  ``free_port``/``free_ports``, ``read_pid``, ``tail``.
* ``KafkaService`` -- one KRaft broker+controller (Apache Kafka 4.1.1).
* ``PinotService`` -- a ZooKeeper JVM plus one Pinot 0.11.0 JVM running the
  controller, broker, server and minion (``StartServiceManager``).

Every listener that the software lets us place binds 127.0.0.1. Two cannot in
Pinot 0.11.0 (hard-coded wildcard binds): the minion's admin HTTP port and
the server's Netty query port. State directories are never wiped: data
survives a stop and a start. The measured recipes behind all of this are in
``../shared/FACTS.md`` ("The local stack, measured on this machine").
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

__all__ = [
    "ServiceError",
    "find_pom",
    "pom_version",
    "resolve_jars",
    "free_port",
    "free_ports",
    "start_process",
    "read_pid",
    "process_start_time",
    "is_running",
    "stop",
    "wait_until",
    "tail",
    "http_get",
    "tcp_open",
    "KafkaService",
    "PinotService",
    "FlinkJobService",
    "http_json",
    "java_version",
    "port_free",
    "free_disk_gb",
    "memory_available_gb",
    "service_running",
]

LOOPBACK = "127.0.0.1"
MARKER = ".resolved.json"


class ServiceError(Exception):
    """A local service could not be resolved, started, made ready or stopped."""


# --------------------------------------------------------------------------
# Jars
# --------------------------------------------------------------------------


def find_pom(service, start=None):
    """Path of ``files/services/<service>/pom.xml``, searched upward from ``start``
    (default: this file's directory, then the working directory)."""
    rel = os.path.join("files", "services", service, "pom.xml")
    starts = [start] if start else [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]
    for base in starts:
        folder = os.path.abspath(base)
        while True:
            candidate = os.path.join(folder, rel)
            if os.path.isfile(candidate):
                return candidate
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    raise ServiceError("cannot find %s above %s; pass pom= explicitly" % (rel, ", ".join(starts)))


def pom_version(pom, service):
    """The version a service POM pins: property ``<service>.version``, else the project version."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(pom).getroot()
    for path in ("m:properties/m:%s.version" % service, "m:version"):
        node = root.find(path, ns)
        if node is not None and node.text and node.text.strip():
            return node.text.strip()
    raise ServiceError("%s: no <%s.version> property and no project <version>" % (pom, service))


def _sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _read_marker(jar_dir):
    try:
        with open(os.path.join(jar_dir, MARKER), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def resolve_jars(service, cache_root, pom=None, mvn="mvn", timeout=1800, progress=None):
    """Resolve the runtime jars of ``service`` into ``<cache_root>/<service>-<version>``.

    Runs ``mvn -q -B dependency:copy-dependencies -DincludeScope=runtime`` on the
    service's POM into a scratch directory, writes a marker (POM hash, jar count,
    seconds) and renames it into place. A directory whose marker matches the
    POM is returned at once: no Maven run. Concurrent callers serialise on a
    lock file. Returns the jar directory.
    """
    pom = os.path.abspath(pom or find_pom(service))
    version = pom_version(pom, service)
    digest = _sha256(pom)
    cache_root = os.path.abspath(cache_root)
    jar_dir = os.path.join(cache_root, "%s-%s" % (service, version))

    marker = _read_marker(jar_dir)
    if marker and marker.get("pom_sha256") == digest:
        return jar_dir

    os.makedirs(cache_root, exist_ok=True)
    with open(os.path.join(cache_root, ".%s-%s.lock" % (service, version)), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = _read_marker(jar_dir)  # another process may have finished meanwhile
        if marker and marker.get("pom_sha256") == digest:
            return jar_dir
        scratch = jar_dir + ".partial"
        shutil.rmtree(scratch, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            pom,
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            "-DoutputDirectory=" + scratch,
        ]
        if progress:
            progress("resolving %s %s jars with Maven (cold: 15-60 s)" % (service, version))
        began = time.monotonic()
        try:
            run = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise ServiceError("Maven (%s) is not installed or not on PATH" % mvn)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(
                "mvn for %s %s took longer than %ss:\n%s"
                % (service, version, timeout, _last_lines(exc.output or "", 40))
            )
        seconds = round(time.monotonic() - began, 1)
        jars = sorted(f for f in os.listdir(scratch) if f.endswith(".jar")) if os.path.isdir(scratch) else []
        if run.returncode != 0 or not jars:
            shutil.rmtree(scratch, ignore_errors=True)
            raise ServiceError(
                "mvn could not resolve %s %s (exit %s, %d jars); command: %s\n%s"
                % (service, version, run.returncode, len(jars), " ".join(cmd), _last_lines(run.stdout, 40))
            )
        with open(os.path.join(scratch, MARKER), "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "service": service,
                    "version": version,
                    "pom": pom,
                    "pom_sha256": digest,
                    "jars": len(jars),
                    "seconds": seconds,
                },
                handle,
                indent=2,
            )
        shutil.rmtree(jar_dir, ignore_errors=True)
        os.rename(scratch, jar_dir)
        if progress:
            progress("resolved %d %s jars in %.1f s" % (len(jars), service, seconds))
        return jar_dir


def _last_lines(text, count):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join((text or "").rstrip().splitlines()[-count:])


# --------------------------------------------------------------------------
# Supervision
# --------------------------------------------------------------------------


def free_port():
    """A TCP port free on 127.0.0.1 at the time of the call."""
    return free_ports(1)[0]


def free_ports(count):
    """``count`` distinct TCP ports free on 127.0.0.1 (all held open while choosing)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def process_start_time(pid):
    """Start time of ``pid`` in clock ticks (field 22 of /proc/<pid>/stat), or None; and its state."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return fields[19], fields[0]
    except (OSError, IndexError):
        return None, None


def start_process(argv, log_path, pidfile, cwd=None, env=None):
    """Start ``argv`` detached in its own session, stdout+stderr appended to
    ``log_path``, and write ``pidfile`` (pid and start time, so a recycled pid
    is not mistaken for ours). Returns the pid."""
    for path in (log_path, pidfile):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(("\n==== %s start: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), " ".join(argv))).encode())
        log.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    start, _ = process_start_time(proc.pid)
    tmp = pidfile + ".tmp"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write("%d\n%s\n" % (proc.pid, start or ""))
    os.replace(tmp, pidfile)
    return proc.pid


def read_pid(pidfile):
    """(pid, start_time) recorded in ``pidfile``, or (None, None)."""
    try:
        with open(pidfile, encoding="ascii") as handle:
            lines = handle.read().split()
        return int(lines[0]), (lines[1] if len(lines) > 1 else None)
    except (OSError, ValueError, IndexError):
        return None, None


def _reap(pid):
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _alive(pid, start=None):
    started, state = process_start_time(pid)
    if started is None:
        return False
    if state == "Z":
        _reap(pid)
        return False
    return start is None or start == started


def is_running(pidfile):
    """True if the process recorded in ``pidfile`` is alive (and is the same process)."""
    pid, start = read_pid(pidfile)
    return bool(pid) and _alive(pid, start)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop(pidfile, timeout=30.0):
    """Stop the process of ``pidfile``: SIGTERM to its process group, SIGKILL
    after ``timeout`` seconds; then SIGKILL whatever is left in the group.
    Removes the pid file. Returns True if a running process was stopped."""
    pid, start = read_pid(pidfile)
    if not pid or not _alive(pid, start):
        with contextlib.suppress(OSError):
            os.remove(pidfile)
        return False
    pgid = pid  # start_process makes each service a session (and group) leader
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid, start):
        time.sleep(0.1)
    if _alive(pid, start):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 10
        while time.monotonic() < kill_deadline and _alive(pid, start):
            time.sleep(0.1)
    if _group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    _reap(pid)
    with contextlib.suppress(OSError):
        os.remove(pidfile)
    return True


def wait_until(predicate, timeout, what, interval=0.5, alive=None, progress=None, log_path=None):
    """Call ``predicate()`` until it is true; return the seconds it took.

    Raises ServiceError after ``timeout`` seconds, or at once when ``alive()``
    says the process died (with the tail of ``log_path``). ``progress(msg)``
    hears about the wait every ~5 s. Exceptions from the predicate count as "not yet".
    """
    began = time.monotonic()
    said = began
    last_error = None
    if progress:
        progress("waiting up to %ds for %s" % (timeout, what))
    while True:
        try:
            if predicate():
                elapsed = time.monotonic() - began
                if progress:
                    progress("%s after %.1f s" % (what, elapsed))
                return elapsed
        except Exception as exc:  # pylint: disable=broad-except
            last_error = exc
        now = time.monotonic()
        if alive is not None and not alive():
            raise ServiceError("process exited while waiting for %s%s" % (what, _log_hint(log_path)))
        if now - began >= timeout:
            raise ServiceError(
                "timed out after %ds waiting for %s (last error: %s)%s"
                % (timeout, what, last_error, _log_hint(log_path))
            )
        if progress and now - said >= 5:
            said = now
            progress("still waiting for %s: %.0f/%ds" % (what, now - began, timeout))
        time.sleep(interval)


def tail(path, count=30):
    """The last ``count`` lines of a text file ('' if missing)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            return _last_lines(handle.read(), count)
    except OSError:
        return ""


def _log_hint(log_path):
    return "\n--- last lines of %s ---\n%s" % (log_path, tail(log_path)) if log_path else ""


def tcp_open(port, host=LOOPBACK, timeout=1.0):
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_get(url, timeout=3.0):
    """(status, body text) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def _java(java=None):
    if java:
        return java
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java") or "/usr/bin/java"


def _write_if_changed(path, text):
    """Write ``text`` to ``path`` unless it already holds it; True if written."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)
    return True


def _properties(pairs):
    """Java properties text from a dict or a list of (key, value) pairs."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return "".join("%s=%s\n" % (key, value) for key, value in items)


# log4j2 to stdout (which start_process sends to the service's log file).
LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = %d{yyyy-MM-dd HH:mm:ss.SSS} %-5p [%c{1}] [%t] %m%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
"""
_QUIET = (
    "org.apache.zookeeper",
    "org.apache.helix",
    "org.reflections",
    "org.apache.kafka.clients",
    "org.apache.pinot.spi.plugin",
    "org.glassfish",
    "org.apache.pinot.common.metrics",
)


def _log4j2(quiet=_QUIET):
    extra = "".join("logger.q%d.name = %s\nlogger.q%d.level = warn\n" % (i, name, i) for i, name in enumerate(quiet))
    return LOG4J2 + extra


class _Base:
    """Shared parts: a state directory with ``run/`` (pid files), ``logs/``, ``conf/``."""

    name = "service"

    def __init__(self, state_dir, jar_dir, java=None, progress=None):
        self.state_dir = os.path.abspath(state_dir)
        self.jar_dir = os.path.abspath(jar_dir)
        self.java = _java(java)
        self.progress = progress
        self.ready_seconds = None

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def pidfile(self, proc):
        return self.path("run", "%s.pid" % proc)

    def log(self, proc):
        return self.path("logs", "%s.log" % proc)

    def config_files(self):
        """{path: text} of the service's configuration files (subclasses)."""
        return {}

    def pending_config(self):
        """Configuration files whose content on disk differs from what this object would write."""
        pending = []
        for path, text in self.config_files().items():
            try:
                with open(path, encoding="utf-8") as handle:
                    if handle.read() == text:
                        continue
            except OSError:
                pass
            pending.append(path)
        return pending

    def configure(self):
        """Write the configuration files; True if any changed."""
        changed = False
        for path, text in self.config_files().items():
            changed |= _write_if_changed(path, text)
        return changed

    def classpath(self):
        if not os.path.isdir(self.jar_dir):
            raise ServiceError("jar directory %s does not exist: run resolve_jars first" % self.jar_dir)
        return os.path.join(self.jar_dir, "*")

    def _say(self, msg):
        if self.progress:
            self.progress("%s: %s" % (self.name, msg))

    def _launch(self, proc, jvm_args, main, args):
        argv = [self.java] + list(jvm_args) + ["-cp", self.classpath(), main] + list(args)
        pid = start_process(argv, self.log(proc), self.pidfile(proc), cwd=self.state_dir)
        self._say("started %s (pid %d), log %s" % (proc, pid, self.log(proc)))
        return pid

    def pid(self, proc):
        pid, _ = read_pid(self.pidfile(proc))
        return pid if is_running(self.pidfile(proc)) else None

    def rss_mb(self, proc):
        """Resident memory of a process in MiB (None if not running)."""
        pid = self.pid(proc)
        try:
            with open("/proc/%d/status" % pid, encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024
        except (OSError, TypeError):
            return None
        return None


# --------------------------------------------------------------------------
# Kafka
# --------------------------------------------------------------------------


class KafkaService(_Base):
    """One Apache Kafka 4.1.1 node in KRaft mode, broker and controller
    combined, listening on 127.0.0.1 only.

    ``state_dir`` keeps conf/, data/ (log.dirs), logs/, run/ and cluster.id
    (a stable 22-character base64url id used by the one-time format).
    """

    name = "kafka"
    main_class = "kafka.Kafka"

    def __init__(
        self,
        state_dir,
        jar_dir,
        port,
        controller_port,
        heap="512m",
        node_id=1,
        java=None,
        progress=None,
        extra_properties=None,
    ):
        super().__init__(state_dir, jar_dir, java, progress)
        self.port = int(port)
        self.controller_port = int(controller_port)
        self.heap = heap
        self.node_id = int(node_id)
        self.extra_properties = dict(extra_properties or {})

    @property
    def bootstrap(self):
        return "%s:%d" % (LOOPBACK, self.port)

    @property
    def config_path(self):
        return self.path("conf", "server.properties")

    def cluster_id(self):
        """The cluster id kept in ``state_dir/cluster.id`` (created once)."""
        path = self.path("cluster.id")
        if os.path.isfile(path):
            with open(path, encoding="ascii") as handle:
                value = handle.read().strip()
            if len(value) == 22:
                return value
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        _write_if_changed(path, value + "\n")
        return value

    def properties(self):
        props = {
            "process.roles": "broker,controller",
            "node.id": self.node_id,
            "listeners": "PLAINTEXT://%s:%d,CONTROLLER://%s:%d" % (LOOPBACK, self.port, LOOPBACK, self.controller_port),
            "advertised.listeners": "PLAINTEXT://%s:%d" % (LOOPBACK, self.port),
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.bootstrap.servers": "%s:%d" % (LOOPBACK, self.controller_port),
            "log.dirs": self.path("data"),
            # As on MSK (the msk role's configuration): topics exist because
            # the topics role made them, never because a client asked for one.
            "auto.create.topics.enable": "false",
            "num.partitions": 1,
            "default.replication.factor": 1,
            "min.insync.replicas": 1,
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
        }
        props.update(self.extra_properties)
        return props

    def config_files(self):
        """{path: text} of conf/server.properties and conf/log4j2.properties."""
        return {
            self.config_path: "# written by streamstack services.py\n" + _properties(self.properties()),
            self.path("conf", "log4j2.properties"): _log4j2(),
        }

    def jvm_args(self):
        return [
            "-Xmx" + self.heap,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            "-Dlog4j2.configurationFile=" + self.path("conf", "log4j2.properties"),
            "-Dkafka.logs.dir=" + self.path("logs"),
        ]

    def is_formatted(self):
        return os.path.isfile(self.path("data", "meta.properties"))

    def format(self):
        """Format the storage once (StorageTool format --standalone); True if it ran."""
        if self.is_formatted():
            return False
        cmd = (
            [self.java]
            + self.jvm_args()
            + [
                "-cp",
                self.classpath(),
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                # One token: a base64url id may start with "-" (1 in 64), which
                # argparse would take for an option.
                "--cluster-id=" + self.cluster_id(),
                "-c",
                self.config_path,
            ]
        )
        run = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
            cwd=self.state_dir,
        )
        if run.returncode != 0:
            raise ServiceError(
                "kafka storage format failed (exit %d):\n%s" % (run.returncode, _last_lines(run.stdout, 30))
            )
        self._say("formatted %s (cluster id %s)" % (self.path("data"), self.cluster_id()))
        return True

    def is_running(self):
        return is_running(self.pidfile("kafka"))

    def is_ready(self, timeout=3.0):
        """A metadata request answers (confluent_kafka if importable, else a TCP connect)."""
        if not tcp_open(self.port, timeout=1.0):
            return False
        try:
            from confluent_kafka.admin import AdminClient  # pylint: disable=import-outside-toplevel
        except ImportError:
            return True
        client = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": int(timeout * 1000)})
        metadata = client.list_topics(timeout=timeout)
        return bool(metadata.brokers)

    def start(self, timeout=90, wait=True):
        """Configure, format once, start if not running, wait until ready
        (unless ``wait`` is false). Returns ``{"changed": bool, "seconds": float}``."""
        os.makedirs(self.path("data"), exist_ok=True)
        changed = self.configure()
        changed |= self.format()
        if not self.is_running():
            self._launch("kafka", self.jvm_args(), self.main_class, [self.config_path])
            changed = True
        if not wait:
            return {"changed": changed, "seconds": None}
        self.ready_seconds = wait_until(
            self.is_ready,
            timeout,
            "Kafka metadata on %s" % self.bootstrap,
            alive=self.is_running,
            progress=self.progress,
            log_path=self.log("kafka"),
        )
        return {"changed": changed, "seconds": round(self.ready_seconds, 1)}

    def stop(self, timeout=30):
        """SIGTERM (then SIGKILL after ``timeout``); True if it was running."""
        stopped = stop(self.pidfile("kafka"), timeout)
        if stopped:
            self._say("stopped")
        return stopped

    def status(self):
        return {
            "running": self.is_running(),
            "pid": self.pid("kafka"),
            "bootstrap": self.bootstrap,
            "formatted": self.is_formatted(),
            "rss_mb": self.rss_mb("kafka"),
        }


# --------------------------------------------------------------------------
# Pinot
# --------------------------------------------------------------------------

PINOT_ADD_OPENS = [
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.util.random=ALL-UNNAMED",
]

PINOT_ROLES = ("controller", "broker", "server", "minion")


class PinotService(_Base):
    """Apache Pinot 0.11.0: a ZooKeeper JVM and one JVM with the controller,
    broker, server and minion (``StartServiceManager`` with one properties
    file per role), fixed ports from the caller, stable instance ids
    ``<Role>_127.0.0.1_<port>``, all data under ``state_dir``.

    ``ports`` needs the keys ``zookeeper``, ``controller``, ``broker``,
    ``server`` (Netty query port), ``server_admin``, ``minion``.
    """

    name = "pinot"
    PORT_KEYS = ("zookeeper", "controller", "broker", "server", "server_admin", "minion")

    def __init__(
        self, state_dir, jar_dir, ports, cluster_name="StreamStack", heap="1g", zk_heap="256m", java=None, progress=None
    ):
        super().__init__(state_dir, jar_dir, java, progress)
        missing = [k for k in self.PORT_KEYS if k not in ports]
        if missing:
            raise ServiceError("PinotService: ports missing %s" % ", ".join(missing))
        self.ports = {k: int(ports[k]) for k in self.PORT_KEYS}
        self.cluster_name = cluster_name
        self.heap = heap
        self.zk_heap = zk_heap

    # addresses ---------------------------------------------------------
    @property
    def zk_address(self):
        return "%s:%d" % (LOOPBACK, self.ports["zookeeper"])

    @property
    def controller_url(self):
        return "http://%s:%d" % (LOOPBACK, self.ports["controller"])

    @property
    def broker_url(self):
        return "http://%s:%d" % (LOOPBACK, self.ports["broker"])

    def health_urls(self):
        return {
            "controller": "http://%s:%d/health" % (LOOPBACK, self.ports["controller"]),
            "broker": "http://%s:%d/health" % (LOOPBACK, self.ports["broker"]),
            "server": "http://%s:%d/health" % (LOOPBACK, self.ports["server_admin"]),
            "minion": "http://%s:%d/health" % (LOOPBACK, self.ports["minion"]),
        }

    def instance_ids(self):
        return {
            "controller": "Controller_%s_%d" % (LOOPBACK, self.ports["controller"]),
            "broker": "Broker_%s_%d" % (LOOPBACK, self.ports["broker"]),
            "server": "Server_%s_%d" % (LOOPBACK, self.ports["server"]),
            "minion": "Minion_%s_%d" % (LOOPBACK, self.ports["minion"]),
        }

    # configuration -----------------------------------------------------
    def zoo_cfg(self):
        return _properties(
            [
                ("dataDir", self.path("zookeeper")),
                ("clientPort", self.ports["zookeeper"]),
                ("clientPortAddress", LOOPBACK),
                ("tickTime", 2000),
                ("maxSessionTimeout", 30000),
                ("maxClientCnxns", 0),
                ("admin.enableServer", "false"),
                ("4lw.commands.whitelist", "ruok,srvr"),
                ("autopurge.snapRetainCount", 3),
                ("autopurge.purgeInterval", 1),
            ]
        )

    def role_properties(self):
        """One properties dict per role (the files given to -bootstrapConfigPaths).

        HTTP listeners go through ``<prefix>.access.protocols.http.{host,port}``
        so they bind 127.0.0.1; the legacy port keys (``controller.port``,
        ``pinot.broker.client.queryPort``, ``pinot.server.adminapi.port``) are
        left out because 0.11.0 binds them to 0.0.0.0.
        """
        p, ids = self.ports, self.instance_ids()
        common = [("pinot.cluster.name", self.cluster_name), ("pinot.zk.server", self.zk_address)]
        return {
            "controller": dict(
                common
                + [
                    ("pinot.service.role", "CONTROLLER"),
                    ("controller.helix.cluster.name", self.cluster_name),
                    ("controller.zk.str", self.zk_address),
                    ("controller.host", LOOPBACK),
                    ("controller.access.protocols", "http"),
                    ("controller.access.protocols.http.host", LOOPBACK),
                    ("controller.access.protocols.http.port", p["controller"]),
                    ("controller.vip.protocol", "http"),
                    ("controller.vip.host", LOOPBACK),
                    ("controller.vip.port", p["controller"]),
                    ("pinot.controller.instance.id", ids["controller"]),
                    ("controller.data.dir", self.path("controller", "data")),
                    ("controller.local.temp.dir", self.path("controller", "tmp")),
                    ("pinot.set.instance.id.to.hostname", "false"),
                ]
            ),
            "broker": dict(
                common
                + [
                    ("pinot.service.role", "BROKER"),
                    ("pinot.broker.hostname", LOOPBACK),
                    ("pinot.broker.id", ids["broker"]),
                    ("pinot.broker.client.access.protocols", "http"),
                    ("pinot.broker.client.access.protocols.http.host", LOOPBACK),
                    ("pinot.broker.client.access.protocols.http.port", p["broker"]),
                    ("pinot.broker.delayShutdownTimeMs", 0),
                ]
            ),
            "server": dict(
                common
                + [
                    ("pinot.service.role", "SERVER"),
                    ("pinot.server.netty.host", LOOPBACK),
                    ("pinot.server.netty.port", p["server"]),
                    ("pinot.server.instance.id", ids["server"]),
                    ("pinot.server.adminapi.access.protocols", "http"),
                    ("pinot.server.adminapi.access.protocols.http.host", LOOPBACK),
                    ("pinot.server.adminapi.access.protocols.http.port", p["server_admin"]),
                    ("pinot.server.grpc.enable", "false"),
                    ("pinot.server.instance.dataDir", self.path("server", "data")),
                    ("pinot.server.instance.segmentTarDir", self.path("server", "segmentTar")),
                    ("pinot.server.shutdown.enableQueryCheck", "false"),
                ]
            ),
            "minion": dict(
                common
                + [
                    ("pinot.service.role", "MINION"),
                    ("pinot.minion.host", LOOPBACK),
                    ("pinot.minion.port", p["minion"]),
                    ("instanceId", ids["minion"]),
                    ("dataDir", self.path("minion", "data")),
                ]
            ),
        }

    def config_files(self):
        """{path: text} of conf/zoo.cfg, conf/<role>.properties and conf/log4j2.properties."""
        files = {self.path("conf", "zoo.cfg"): self.zoo_cfg()}
        for role, props in self.role_properties().items():
            files[self.path("conf", "%s.properties" % role)] = "# written by streamstack services.py\n" + _properties(
                props
            )
        files[self.path("conf", "log4j2.properties")] = _log4j2()
        return files

    def zk_jvm_args(self):
        return [
            "-Xmx" + self.zk_heap,
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dzookeeper.admin.enableServer=false",
            "-Dlog4j2.configurationFile=" + self.path("conf", "log4j2.properties"),
        ]

    def pinot_jvm_args(self):
        return [
            "-Xmx" + self.heap,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=200",
            "-Djava.awt.headless=true",
            "-Dlog4j2.configurationFile=" + self.path("conf", "log4j2.properties"),
            "-Djava.io.tmpdir=" + self.path("tmp"),
        ] + PINOT_ADD_OPENS

    # health ------------------------------------------------------------
    def zk_ready(self):
        """ZooKeeper answers the four-letter word ``ruok`` with ``imok``."""
        try:
            with socket.create_connection((LOOPBACK, self.ports["zookeeper"]), timeout=2) as sock:
                sock.sendall(b"ruok")
                return sock.recv(16) == b"imok"
        except OSError:
            return False

    def role_health(self):
        """{role: True/False} from each role's GET /health."""
        return {role: http_get(url, timeout=2)[0] == 200 for role, url in self.health_urls().items()}

    def live_instances(self):
        """Instance ids under /<cluster>/LIVEINSTANCES, through the controller's ZK browser API."""
        query = urllib.parse.urlencode({"path": "/%s/LIVEINSTANCES" % self.cluster_name})
        status, body = http_get("%s/zk/ls?%s" % (self.controller_url, query), timeout=3)
        if status != 200:
            return []
        try:
            return sorted(json.loads(body))
        except ValueError:
            return []

    def is_ready(self):
        health = self.role_health()
        if not all(health.values()):
            return False
        return set(self.instance_ids().values()) <= set(self.live_instances())

    def is_running(self):
        """Both JVMs are alive (alive is not healthy: see is_ready)."""
        return is_running(self.pidfile("zookeeper")) and is_running(self.pidfile("pinot"))

    # lifecycle ---------------------------------------------------------
    def start(self, timeout=180, wait=True):
        """Configure; start ZooKeeper and wait for ``imok``; start the Pinot JVM
        and (unless ``wait`` is false) wait until every role's /health is OK
        and all four instances are live. Returns ``{"changed": bool, "seconds": float}``."""
        for sub in (
            "zookeeper",
            "controller/data",
            "controller/tmp",
            "server/data",
            "server/segmentTar",
            "minion/data",
            "tmp",
        ):
            os.makedirs(self.path(sub), exist_ok=True)
        changed = self.configure()
        began = time.monotonic()
        if not is_running(self.pidfile("zookeeper")):
            self._launch(
                "zookeeper",
                self.zk_jvm_args(),
                "org.apache.zookeeper.server.ZooKeeperServerMain",
                [self.path("conf", "zoo.cfg")],
            )
            changed = True
        wait_until(
            self.zk_ready,
            min(60, timeout),
            "ZooKeeper on %s" % self.zk_address,
            alive=lambda: is_running(self.pidfile("zookeeper")),
            progress=self.progress,
            log_path=self.log("zookeeper"),
        )
        if not is_running(self.pidfile("pinot")):
            confs = [self.path("conf", "%s.properties" % r) for r in PINOT_ROLES]  # space-separated values
            self._launch(
                "pinot",
                self.pinot_jvm_args(),
                "org.apache.pinot.tools.admin.PinotAdministrator",
                [
                    "StartServiceManager",
                    "-zkAddress",
                    self.zk_address,
                    "-clusterName",
                    self.cluster_name,
                    "-bootstrapConfigPaths",
                ]
                + confs,
            )
            changed = True
        if not wait:
            return {"changed": changed, "seconds": None}
        remaining = max(10, timeout - (time.monotonic() - began))
        wait_until(
            self.is_ready,
            remaining,
            "Pinot controller, broker, server and minion healthy and live in %s" % self.cluster_name,
            interval=1.0,
            alive=lambda: is_running(self.pidfile("pinot")),
            progress=self.progress,
            log_path=self.log("pinot"),
        )
        self.ready_seconds = time.monotonic() - began
        return {"changed": changed, "seconds": round(self.ready_seconds, 1)}

    def stop(self, timeout=30):
        """Stop the Pinot JVM, then ZooKeeper; True if either was running."""
        stopped = stop(self.pidfile("pinot"), timeout)
        stopped = stop(self.pidfile("zookeeper"), timeout) or stopped
        if stopped:
            self._say("stopped")
        return stopped

    def status(self):
        return {
            "running": self.is_running(),
            "zookeeper_pid": self.pid("zookeeper"),
            "pinot_pid": self.pid("pinot"),
            "health": self.role_health() if self.is_running() else {},
            "rss_mb": {"zookeeper": self.rss_mb("zookeeper"), "pinot": self.rss_mb("pinot")},
        }


# --------------------------------------------------------------------------
# Flink (the packaged job on a PyFlink MiniCluster)
# --------------------------------------------------------------------------

FLINK_TERMINAL = ("FINISHED", "CANCELED", "FAILED")


def http_json(method, url, body=None, timeout=5.0):
    """(status, decoded JSON or None) of a request with an optional JSON body; status 0 when nothing answers."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, None
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, None


class FlinkJobService(_Base):
    """The job of ``files/flink`` run the way the local profile runs it: the
    MSF zip (the same bytes Managed Flink runs) unpacked under ``state_dir/app``,
    its ``main.py`` started with the PyFlink interpreter (a MiniCluster in one
    JVM that serves the REST API on 127.0.0.1:``rest_port``), configured by a
    property-group file like the one MSF writes.

    A stop takes a savepoint (``POST /jobs/<id>/stop``) and the next start
    resumes from it, so a stop and a start neither lose nor repeat a record.
    A changed zip or changed properties restart the job the same way.
    """

    name = "flink"
    PROPERTY_GROUP = "streamstack.job"

    def __init__(self, state_dir, python, job_zip, properties, rest_port, job_name=None, java=None, progress=None):
        super().__init__(state_dir, state_dir, java, progress)
        self.java_given = bool(java)
        self.python = os.path.abspath(python)
        self.job_zip = os.path.abspath(job_zip)
        self.properties = {str(k): str(v) for k, v in (properties or {}).items()}
        self.rest_port = int(rest_port)
        self.job_name = job_name

    @property
    def rest_url(self):
        return "http://%s:%d" % (LOOPBACK, self.rest_port)

    @property
    def record_path(self):
        return self.path("run", "flink.json")

    @property
    def savepoint_record(self):
        return self.path("savepoints", "latest.json")

    def fingerprint(self):
        """What the running job was started from: the zip's digest and the properties."""
        if not os.path.isfile(self.job_zip):
            raise ServiceError("job package %s does not exist: build it with files/flink/package.py" % self.job_zip)
        return hashlib.sha256(
            _sha256(self.job_zip).encode() + json.dumps(self.properties, sort_keys=True).encode()
        ).hexdigest()

    def record(self):
        try:
            with open(self.record_path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def pending_config(self):
        """['job'] when the running job was started from another zip or other properties."""
        return [] if self.record().get("fingerprint") == self.fingerprint() else ["job"]

    # REST --------------------------------------------------------------
    def jobs(self):
        """``/jobs/overview`` entries (empty when the REST API does not answer)."""
        status, body = http_json("GET", self.rest_url + "/jobs/overview", timeout=3)
        return (body or {}).get("jobs", []) if status == 200 else []

    def current_job(self):
        """The newest job that is not finished (optionally: named ``job_name``), or None."""
        jobs = [
            j
            for j in self.jobs()
            if j.get("state") not in FLINK_TERMINAL and (not self.job_name or j.get("name") == self.job_name)
        ]
        return max(jobs, key=lambda j: j.get("start-time", 0)) if jobs else None

    def is_running(self):
        return is_running(self.pidfile("flink"))

    def is_ready(self):
        """The job is RUNNING and so is every one of its tasks (a job shows RUNNING before its tasks do)."""
        job = self.current_job()
        if not job or job.get("state") != "RUNNING":
            return False
        tasks = job.get("tasks") or {}
        return tasks.get("total", 0) > 0 and tasks.get("running") == tasks.get("total")

    # lifecycle ---------------------------------------------------------
    def _unpack(self):
        digest = _sha256(self.job_zip)
        app_dir = self.path("app", digest[:16])
        if not os.path.isfile(os.path.join(app_dir, "main.py")):
            import zipfile  # pylint: disable=import-outside-toplevel

            scratch = app_dir + ".partial"
            shutil.rmtree(scratch, ignore_errors=True)
            with zipfile.ZipFile(self.job_zip) as archive:
                archive.extractall(scratch)
            if not os.path.isfile(os.path.join(scratch, "main.py")):
                shutil.rmtree(scratch, ignore_errors=True)
                raise ServiceError("%s has no main.py at its root: not a streamstack job package" % self.job_zip)
            shutil.rmtree(app_dir, ignore_errors=True)
            os.rename(scratch, app_dir)
        # Only the current package is kept.
        for old in os.listdir(self.path("app")):
            if old != os.path.basename(app_dir):
                shutil.rmtree(self.path("app", old), ignore_errors=True)
        return app_dir

    def latest_savepoint(self):
        """Location of the savepoint the last stop took, if it still exists."""
        try:
            with open(self.savepoint_record, encoding="utf-8") as handle:
                location = json.load(handle).get("location") or ""
        except (OSError, ValueError):
            return None
        local = location[len("file:") :] if location.startswith("file:") else location
        return location if local and os.path.exists(local) else None

    def start(self, timeout=180, wait=True):
        """Start the job unless it runs from the same package and properties;
        restart it (savepoint first) when either changed. Returns
        ``{"changed", "seconds", "restored_from"}``."""
        for sub in ("run", "logs", "conf", "app", "savepoints"):
            os.makedirs(self.path(sub), exist_ok=True)
        if not os.access(self.python, os.X_OK):
            raise ServiceError("%s is not an executable Python: run scripts/setup.sh (it builds .venv-flink)" % self.python)
        fingerprint = self.fingerprint()
        changed, restored = False, None
        if self.is_running() and self.record().get("fingerprint") != fingerprint:
            self._say("package or properties changed: stopping with a savepoint to restart")
            self.stop()
        if not self.is_running():
            app_dir = self._unpack()
            restored = self.latest_savepoint()
            props = dict(self.properties)
            props["local.rest.port"] = str(self.rest_port)
            props["local.savepoint.dir"] = self.path("savepoints")
            if restored:
                props["local.savepoint.path"] = restored
            conf = self.path("conf", "application_properties.json")
            _write_if_changed(conf, json.dumps([{"PropertyGroupId": self.PROPERTY_GROUP, "PropertyMap": props}], indent=2))
            env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_") and k != "PYTHONPATH"}
            if self.java_given:  # PyFlink starts its JVM from JAVA_HOME
                env["JAVA_HOME"] = os.path.dirname(os.path.dirname(os.path.realpath(self.java)))
            env.update(
                STREAMSTACK_FLINK_PROPERTIES=conf,
                FLINK_LOG_DIR=self.path("logs"),
                PYTHONUNBUFFERED="1",
            )
            pid = start_process(
                [self.python, os.path.join(app_dir, "main.py")], self.log("flink"), self.pidfile("flink"), cwd=app_dir, env=env
            )
            _write_if_changed(
                self.record_path,
                json.dumps({"fingerprint": fingerprint, "app_dir": app_dir, "restored_from": restored, "pid": pid}),
            )
            if restored:
                # Used once: should this job die later, the next start resumes from
                # the offsets committed at its checkpoints, not from this older state.
                os.replace(self.savepoint_record, self.path("savepoints", "restored.json"))
            self._say("started job (pid %d)%s, log %s" % (pid, " from " + restored if restored else "", self.log("flink")))
            changed = True
        seconds = None
        if wait:
            seconds = self.wait_ready(timeout)
        return {"changed": changed, "seconds": seconds, "restored_from": restored}

    def wait_ready(self, timeout=180):
        seconds = wait_until(
            self.is_ready,
            timeout,
            "Flink job RUNNING with all tasks running (REST %s)" % self.rest_url,
            interval=1.0,
            alive=self.is_running,
            progress=self.progress,
            log_path=self.log("flink"),
        )
        return round(seconds, 1)

    def savepoint_stop(self, timeout=60):
        """Stop the current job with a savepoint; its location, or None when there was no job."""
        job = self.current_job()
        if not job or job.get("state") != "RUNNING":
            return None
        target = self.path("savepoints")
        status, body = http_json(
            "POST", "%s/jobs/%s/stop" % (self.rest_url, job["jid"]), {"targetDirectory": target, "drain": False}
        )
        if status != 202 or not body or "request-id" not in body:
            raise ServiceError("stop-with-savepoint of job %s refused (HTTP %s): %s" % (job["jid"], status, body))
        url = "%s/jobs/%s/savepoints/%s" % (self.rest_url, job["jid"], body["request-id"])
        result = {}

        def done():
            _, answer = http_json("GET", url)
            if answer and (answer.get("status") or {}).get("id") == "COMPLETED":
                result.update(answer.get("operation") or {})
                return True
            return False

        try:
            wait_until(done, timeout, "savepoint of job %s" % job["jid"], alive=self.is_running, progress=self.progress)
        except ServiceError:
            # Once the savepoint completes the job finishes, and main.py and its
            # MiniCluster (with the REST API) may exit before the status is read:
            # the savepoint on disk is then the answer.
            found = self._savepoint_on_disk(job["jid"])
            if not found:
                raise
            result = {"location": found}
        if result.get("failure-cause"):
            raise ServiceError("savepoint of job %s failed: %s" % (job["jid"], result["failure-cause"]))
        location = result.get("location")
        _write_if_changed(
            self.savepoint_record, json.dumps({"location": location, "job": job["jid"], "at": time.time()})
        )
        keep = os.path.basename((location or "").rstrip("/"))
        for old in os.listdir(target):
            if old.startswith("savepoint-") and old != keep:
                shutil.rmtree(os.path.join(target, old), ignore_errors=True)
        self._say("savepoint %s" % location)
        return location

    def _savepoint_on_disk(self, job_id):
        """``file:`` location of the newest complete savepoint of ``job_id`` (Flink names
        them savepoint-<first 6 of the job id>-<random>, complete once _metadata exists)."""
        target = self.path("savepoints")
        try:
            names = [n for n in os.listdir(target) if n.startswith("savepoint-%s-" % job_id[:6])]
        except OSError:
            return None
        done = [os.path.join(target, n) for n in names if os.path.isfile(os.path.join(target, n, "_metadata"))]
        return "file:" + max(done, key=os.path.getmtime) if done else None

    def stop(self, timeout=60, savepoint=True):
        """Savepoint and stop the job, then the process; True if it was running."""
        if not self.is_running():
            stop(self.pidfile("flink"))
            return False
        if savepoint:
            try:
                self.savepoint_stop(timeout)
            except ServiceError as exc:
                self._say("no savepoint (%s): the next start resumes from committed offsets" % exc)
            # main.py returns once its job has finished.
            with contextlib.suppress(ServiceError):
                wait_until(lambda: not self.is_running(), 20, "the job's process to exit", progress=self.progress)
        stop(self.pidfile("flink"), 30)
        self._say("stopped")
        return True

    def last_exception(self, job_id):
        """First line of the job's root exception and its first cause (None when there is none)."""
        status, body = http_json("GET", "%s/jobs/%s/exceptions" % (self.rest_url, job_id), timeout=3)
        if status != 200 or not body:
            return None
        history = (body.get("exceptionHistory") or {}).get("entries") or []
        text = (history[0].get("stacktrace") if history else None) or body.get("root-exception") or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        causes = [line for line in lines if line.startswith("Caused by:")]
        picked = lines[:1] + causes[-1:]
        return " / ".join(picked)[:600] or None

    def status(self):
        job = self.current_job() if self.is_running() else None
        if job and job.get("state") != "RUNNING":
            job = dict(job, last_exception=self.last_exception(job["jid"]))
        return {
            "running": self.is_running(),
            "pid": self.pid("flink"),
            "rest_url": self.rest_url,
            "job": job,
            "ready": bool(job) and self.is_ready(),
            "rss_mb": self.rss_mb("flink"),
            "savepoint": self.latest_savepoint(),
        }


# --------------------------------------------------------------------------
# The machine: what the local profile needs before it starts anything
# --------------------------------------------------------------------------


def java_version(java=None):
    """``(major, first line of java -version)`` of ``java`` (default: JAVA_HOME, then PATH)."""
    java = _java(java)
    try:
        run = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError("cannot run %s -version: %s" % (java, exc))
    text = run.stdout.strip()
    first = text.splitlines()[0] if text else ""
    import re  # pylint: disable=import-outside-toplevel

    match = re.search(r'version "(\d+)(?:\.(\d+))?', first)
    if run.returncode != 0 or not match:
        raise ServiceError("%s -version did not report a version (exit %s): %s" % (java, run.returncode, first or "no output"))
    major = int(match.group(1))
    if major == 1 and match.group(2):  # 1.8 -> 8
        major = int(match.group(2))
    return major, first


def port_free(port, host=LOOPBACK):
    """True when nothing listens on host:port (a bind would succeed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def free_disk_gb(path):
    """Free space, in GiB, on the file system that holds ``path`` (or its nearest existing parent)."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    stat = os.statvfs(path)
    return round(stat.f_bavail * stat.f_frsize / 1024.0**3, 1)


def memory_available_gb():
    """MemAvailable from /proc/meminfo, in GiB (None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return round(int(line.split()[1]) / 1024.0**2, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def service_running(state_dir, service):
    """True when any pid file under ``state_dir/<service>/run`` names a live process of ours."""
    run_dir = os.path.join(state_dir, service, "run")
    try:
        names = [n for n in os.listdir(run_dir) if n.endswith(".pid")]
    except OSError:
        return False
    return any(is_running(os.path.join(run_dir, n)) for n in names)
