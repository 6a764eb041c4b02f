#!/usr/bin/env python3
"""Benchmark of the local profile: Kafka -> Flink -> Pinot on this machine.

    .venv/bin/python bench/pipeline_bench.py                 # full run
    .venv/bin/python bench/pipeline_bench.py --quick         # smoke run (small rates, short stages)
    .venv/bin/python bench/pipeline_bench.py --rates 2000,5000 --stage-seconds 30 --keep

One run measures (see bench/README.md for the definitions):

1. Cold start: a fresh state folder and nine free ports of its own, then the
   time from launching ``ansible-playbook deploy.yml -i inventories/local``
   until it returns (deploy), and from then until one produced event is
   queryable in Pinot (first row). Jars and virtualenvs are cached: warm
   caches, cold services.
2. Sustained throughput at rising rates: each stage paces a producer at the
   target rate for --stage-seconds (own event-id prefix, ts = send time,
   0 % malformed) while a poller asks Pinot every --poll-interval seconds how
   many rows of that prefix are queryable. Per stage: achieved produce rate,
   rows/s becoming visible, freshness p50/p99/max, lag growth (split into the
   part still in Flink and the part still in Pinot), CPU. It stops rising
   after the first stage that is not sustained.
3. Peak RSS and CPU of each service (Kafka JVM, ZooKeeper JVM, Pinot JVM,
   Flink = Python driver + its JVM child), sampled from /proc every 0.5 s.
4. A Markdown table on stdout and bench/results/<UTC timestamp>.{json,md};
   then teardown + purge of its own state folder, always (also on error or
   Ctrl-C), checked by scanning /proc for any process naming that folder.

Standard library and confluent-kafka only, plus the repository's own
``module_utils/events.py`` (the events) and ``pipeline_verify`` (percentile,
freshness). Run it with the repository's .venv Python.
"""

from __future__ import annotations

import argparse
import array
import bisect
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # write nothing outside bench/

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "collections"))

# pylint: disable=wrong-import-position
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from ansible_collections.streamstack.pipeline.plugins.module_utils.events import generate  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.modules.pipeline_verify import freshness, percentile  # noqa: E402

RESULTS_DIR = os.path.join(REPO, "bench", "results")
VENV_BIN = os.path.join(REPO, ".venv", "bin")
INVENTORY = "inventories/local"
TABLE = "events"
RAW_TOPIC = "events.raw"
PROCESSED_TOPIC = "events.processed"

DEFAULT_RATES = "2000,5000,10000,20000,40000"
QUICK_RATES = "1000,3000"
PORT_VARIABLES = (
    "local_stack_kafka_port",
    "local_stack_kafka_controller_port",
    "local_stack_zookeeper_port",
    "local_stack_pinot_controller_port",
    "local_stack_pinot_broker_port",
    "local_stack_pinot_server_port",
    "local_stack_pinot_server_admin_port",
    "local_stack_pinot_minion_port",
    "local_stack_flink_rest_port",
)
# Each service's pid files (relative to the state folder); the whole process tree of each counts.
SERVICES = {
    "kafka": ("kafka/run/kafka.pid",),
    "zookeeper": ("pinot/run/zookeeper.pid",),
    "pinot": ("pinot/run/pinot.pid",),
    "flink": ("flink/run/flink.pid",),
}
SERVICE_LABELS = {
    "kafka": "Kafka 4.1.1 (KRaft, one JVM)",
    "zookeeper": "ZooKeeper (Pinot's, one JVM)",
    "pinot": "Pinot 0.11.0 (controller+broker+server+minion, one JVM)",
    "flink": "Flink job (PyFlink driver + MiniCluster JVM)",
}

# Targets the numbers are reported against.
TARGET_COLD_START_S = 120.0
TARGET_RATE = 10000
TARGET_P99_MS = 5000

# A stage's lag "grew" when the lag at its end exceeds the lag in its middle by more than this
# many seconds of input (at the achieved rate), or when not every row was visible within the grace.
LAG_GROWTH_S = 1.0
# The producer "reached" a target when it achieved at least this fraction of it.
PRODUCER_OK = 0.95

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
NCPU = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

T0 = time.monotonic()


def log(msg):
    print("[%7.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return [float(x) for x in handle.read().split()[:3]]


def machine_info():
    info = {"nproc": NCPU, "cpu_count": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            mem = dict(line.split(":", 1) for line in handle if ":" in line)
        info["mem_total_gib"] = round(int(mem["MemTotal"].split()[0]) / 1024 / 1024, 1)
        info["mem_available_gib"] = round(int(mem["MemAvailable"].split()[0]) / 1024 / 1024, 1)
    except (OSError, KeyError, ValueError):
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        info["cpu_model"] = models[0] if models else platform.machine()
    except OSError:
        info["cpu_model"] = platform.machine()
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30, check=False)
        info["java_version"] = [line for line in (out.stderr or out.stdout).splitlines() if line.strip()]
    except (OSError, subprocess.SubprocessError) as exc:
        info["java_version"] = ["java -version failed: %s" % exc]
    try:
        import confluent_kafka  # pylint: disable=import-outside-toplevel

        info["confluent_kafka"] = "%s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0])
    except Exception:  # pylint: disable=broad-except
        pass
    return info


def wait_quiet(max_load, max_wait):
    """Wait until the 1-minute load average is below ``max_load`` (at most ``max_wait`` s)."""
    if max_load <= 0:
        return {"waited_s": 0.0, "quiet": None}
    began = time.monotonic()
    last_print = 0.0
    while True:
        load1 = loadavg()[0]
        waited = time.monotonic() - began
        if load1 < max_load:
            return {"waited_s": round(waited, 1), "quiet": True}
        if waited >= max_wait:
            log("load %.2f still >= %.2f after %.0f s: starting anyway (recorded)" % (load1, max_load, waited))
            return {"waited_s": round(waited, 1), "quiet": False}
        if waited - last_print >= 30 or last_print == 0.0:
            log("waiting for a quiet machine: 1-min load %.2f >= %.2f" % (load1, max_load))
            last_print = waited or 0.001
        time.sleep(5)


def pick_ports(count):
    """``count`` distinct ports that are free now, below the ephemeral range (so that no
    client connection of the machine takes them meanwhile) and far from the defaults."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            ephemeral_low = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    low, high = 20000, min(31999, ephemeral_low - 1)
    rng = random.Random()
    chosen = []
    for _ in range(2000):
        port = rng.randint(low, high)
        if port in chosen:
            continue
        if all(_bindable(host, port) for host in ("127.0.0.1", "0.0.0.0")):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError("could not find %d free ports in %d-%d" % (count, low, high))


def _bindable(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


# ---------------------------------------------------------------------------
# /proc sampling: RSS and CPU of each service's process tree, machine CPU
# ---------------------------------------------------------------------------


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _stat(pid):
    """(ppid, cpu ticks, start time) of ``pid`` from /proc/<pid>/stat, or None."""
    raw = _read("/proc/%d/stat" % pid)
    if not raw:
        return None
    fields = raw.rsplit(b")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), fields[19].decode()


def _rss_bytes(pid):
    raw = _read("/proc/%d/statm" % pid)
    return int(raw.split()[1]) * PAGE if raw else 0


def _cpu_times():
    raw = _read("/proc/stat")
    parts = [int(x) for x in raw.split(b"\n", 1)[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts[:8]), idle


def _all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


class Sampler(threading.Thread):
    """Every ``interval`` s: machine CPU busy %, and per service (process tree of its pid
    file's process) RSS MiB and CPU % of one core; plus this benchmark process's CPU."""

    def __init__(self, state_dir, interval=0.5):
        super().__init__(name="sampler", daemon=True)
        self.state_dir = state_dir
        self.interval = interval
        self.stop_event = threading.Event()
        self.samples = []  # {"t", "busy", "bench", "svc": {name: [rss_mib, cpu_pct]}}
        self.phases = []  # (t, label)
        self._trees = {}  # service -> (root pid, start, set of pids)
        self._roots = None
        self._tree_at = 0.0
        self._prev_ticks = {}  # pid -> ticks
        self._prev_cpu = None
        self._prev_self = None
        self.lock = threading.Lock()

    def mark(self, label):
        with self.lock:
            self.phases.append((time.monotonic(), label))

    def stop(self):
        self.stop_event.set()
        self.join(5)

    def _root(self, service):
        for rel in SERVICES[service]:
            raw = _read(os.path.join(self.state_dir, rel))
            if not raw:
                continue
            lines = raw.decode(errors="replace").split()
            try:
                pid = int(lines[0])
            except (ValueError, IndexError):
                continue
            st = _stat(pid)
            if st and (len(lines) < 2 or st[2] == lines[1]):
                return pid, st[2]
        return None, None

    def _refresh_trees(self, now):
        roots = {s: self._root(s) for s in SERVICES}
        if now - self._tree_at < 2.0 and roots == self._roots:
            return
        self._roots = roots
        children = {}
        for pid in _all_pids():
            st = _stat(pid)
            if st:
                children.setdefault(st[0], []).append(pid)
        trees = {}
        for service, (root, start) in roots.items():
            if not root:
                continue
            members, todo = set(), [root]
            while todo:
                pid = todo.pop()
                if pid not in members:
                    members.add(pid)
                    todo.extend(children.get(pid, ()))
            trees[service] = (root, start, members)
        self._trees = trees
        self._tree_at = now

    def sample(self):
        now = time.monotonic()
        self._refresh_trees(now)
        total, idle = _cpu_times()
        busy = None
        if self._prev_cpu:
            d_total, d_idle = total - self._prev_cpu[0], idle - self._prev_cpu[1]
            busy = round(100.0 * (d_total - d_idle) / d_total, 1) if d_total > 0 else 0.0
        dt = now - self._prev_cpu[2] if self._prev_cpu else None
        self._prev_cpu = (total, idle, now)
        svc, ticks_now = {}, {}
        for service, (_root_pid, _start, members) in self._trees.items():
            rss, d_ticks = 0, 0
            for pid in members:
                st = _stat(pid)
                if not st:
                    continue
                ticks_now[pid] = st[1]
                d_ticks += max(0, st[1] - self._prev_ticks.get(pid, st[1]))
                rss += _rss_bytes(pid)
            cpu = round(100.0 * d_ticks / CLK_TCK / dt, 1) if dt else None
            svc[service] = [round(rss / 1048576.0, 1), cpu]
        self._prev_ticks = ticks_now
        own = _stat(os.getpid())[1]
        bench = round(100.0 * (own - self._prev_self) / CLK_TCK / dt, 1) if dt and self._prev_self is not None else None
        self._prev_self = own
        with self.lock:
            self.samples.append({"t": now, "busy": busy, "bench": bench, "svc": svc})

    def run(self):
        while not self.stop_event.is_set():
            began = time.monotonic()
            try:
                self.sample()
            except Exception as exc:  # pylint: disable=broad-except  (never kill the run)
                log("sampler: %s" % exc)
            self.stop_event.wait(max(0.05, self.interval - (time.monotonic() - began)))

    # -- summaries -----------------------------------------------------------
    def window(self, start, end):
        with self.lock:
            return [s for s in self.samples if start <= s["t"] <= end]

    def summary(self, start, end):
        """Mean machine busy %, mean CPU % (of one core) per service and of the bench, and
        what the rest of the machine used, over [start, end]."""
        rows = [s for s in self.window(start, end) if s["busy"] is not None]
        if not rows:
            return {}
        out = {"busy_pct": round(sum(s["busy"] for s in rows) / len(rows), 1)}
        out["busy_max_pct"] = max(s["busy"] for s in rows)
        cpu = {}
        for service in SERVICES:
            values = [s["svc"][service][1] for s in rows if service in s["svc"] and s["svc"][service][1] is not None]
            if values:
                cpu[service] = round(sum(values) / len(values), 1)
        out["cpu_pct"] = cpu
        bench = [s["bench"] for s in rows if s["bench"] is not None]
        out["bench_cpu_pct"] = round(sum(bench) / len(bench), 1) if bench else None
        # machine busy % is of all cores; service % are of one core
        other = out["busy_pct"] * NCPU - sum(cpu.values()) - (out["bench_cpu_pct"] or 0)
        out["other_cpu_pct"] = round(max(0.0, other), 1)
        return out

    def peaks(self):
        with self.lock:
            rows = list(self.samples)
        peaks = {}
        for service in SERVICES:
            rss = [s["svc"][service][0] for s in rows if service in s["svc"]]
            cpu = [s["svc"][service][1] for s in rows if service in s["svc"] and s["svc"][service][1] is not None]
            if rss:
                peaks[service] = {"peak_rss_mib": max(rss), "peak_cpu_pct": max(cpu) if cpu else None}
        totals = [sum(v[0] for v in s["svc"].values()) for s in rows if s["svc"]]
        busy = [s["busy"] for s in rows if s["busy"] is not None]
        return {
            "services": peaks,
            "peak_total_rss_mib": round(max(totals), 1) if totals else None,
            "peak_busy_pct": max(busy) if busy else None,
        }

    def timeline(self):
        """The samples, compact, with times relative to the start of the run."""
        with self.lock:
            rows = list(self.samples)
            phases = list(self.phases)
        return {
            "columns": ["t_s", "busy_pct", "bench_cpu_pct"] + ["%s_%s" % (s, k) for s in SERVICES for k in ("rss_mib", "cpu_pct")],
            "rows": [
                [round(s["t"] - T0, 2), s["busy"], s["bench"]]
                + [v for svc in SERVICES for v in (s["svc"].get(svc) or [None, None])]
                for s in rows
            ],
            "phases": [[round(t - T0, 2), label] for t, label in phases],
        }


def processes_naming(path):
    """Pids (other than ours) whose command line contains ``path``."""
    found = []
    needle = path.encode()
    for pid in _all_pids():
        if pid == os.getpid():
            continue
        raw = _read("/proc/%d/cmdline" % pid)
        if raw and needle in raw:
            found.append((pid, raw.replace(b"\0", b" ").decode(errors="replace")[:200]))
    return found


# ---------------------------------------------------------------------------
# Pinot and Kafka probes
# ---------------------------------------------------------------------------


class QueryError(Exception):
    pass


def pinot_query(broker_url, sql, timeout=5.0):
    """The broker's answer to ``sql``; QueryError on HTTP errors and on a non-empty
    ``exceptions`` array (the broker answers query errors with HTTP 200)."""
    request = urllib.request.Request(
        broker_url + "/query/sql",
        data=json.dumps({"sql": sql}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise QueryError("%s: %s" % (broker_url, exc)) from exc
    if body.get("exceptions"):
        first = body["exceptions"][0]
        raise QueryError("%s (code %s)" % (str(first.get("message", "?")).splitlines()[0][:300], first.get("errorCode")))
    return body


def first_row(body):
    rows = ((body or {}).get("resultTable") or {}).get("rows") or []
    return rows[0] if rows else None


def count_sql(prefix, ts_floor=None, distinct=False):
    what = "COUNT(*), DISTINCTCOUNT(event_id)" if distinct else "COUNT(*)"
    where = "REGEXP_LIKE(event_id, '^%s')" % prefix
    if ts_floor is not None:  # narrows the scan to this stage's rows before the regex
        where = "ts >= %d AND %s" % (ts_floor, where)
    return "SELECT %s FROM %s WHERE %s" % (what, TABLE, where)


def pinot_count(broker_url, sql, timeout=5.0):
    row = first_row(pinot_query(broker_url, sql, timeout))
    return int(row[0] or 0) if row else 0


def pinot_segments(controller_url):
    """Number of segments of the table (best effort; None when the controller does not say)."""
    try:
        with urllib.request.urlopen(controller_url + "/segments/" + TABLE, timeout=5) as response:
            text = response.read().decode("utf-8", "replace")
        return len(set(re.findall(r"%s__\d+__\d+__\w+" % TABLE, text)))
    except (urllib.error.URLError, OSError, ValueError):
        return None


class Watermarks:
    """Sum of the high watermarks of a topic's partitions (what was written to it)."""

    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": "pipeline-bench-watermarks", "enable.auto.commit": False}
        )
        meta = self.consumer.list_topics(topic, timeout=15)
        self.partitions = sorted(meta.topics[topic].partitions)
        if not self.partitions:
            raise RuntimeError("topic %s has no partitions" % topic)

    def total(self):
        return sum(
            self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=5, cached=False)[1]
            for p in self.partitions
        )

    def close(self):
        self.consumer.close()


# ---------------------------------------------------------------------------
# Load generator and poller
# ---------------------------------------------------------------------------


def payload_heads(count, seed, prefix):
    """The generator's valid events (0 % malformed) cut before their ts value, so the
    producer can put the send time there: ``head + b"<ms>}"``."""
    heads = []
    for event in generate(count, seed=seed, malformed_fraction=0.0, base_ts=int(time.time() * 1000), id_prefix=prefix):
        payload = event.payload
        cut = payload.rindex(b'"ts":') + 5
        if not payload.endswith(b"}") or not payload[cut:-1].isdigit():
            raise RuntimeError("unexpected event shape: %r" % payload)
        heads.append(payload[:cut])
    return heads


def make_producer(bootstrap, errors):
    def on_error(err, _msg):
        if err is not None:
            errors.append(str(err))

    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,  # acks=all
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "batch.size": 1048576,
            "queue.buffering.max.messages": 2000000,
            "queue.buffering.max.kbytes": 1048576,
            "compression.type": "none",
            "delivery.report.only.error": True,
            "on_delivery": on_error,
        }
    )


class PacedProducer(threading.Thread):
    """Sends ``heads`` at ``rate`` events/s (in small chunks whenever they fall due),
    recording each event's monotonic send time; flushes at the end."""

    MAX_CHUNK = 2000

    def __init__(self, producer, heads, rate, errors):
        super().__init__(name="producer", daemon=True)
        self.producer, self.heads, self.rate, self.errors = producer, heads, float(rate), errors
        self.send_times = array.array("d")
        self.started = threading.Event()
        self.t_start = self.t_enqueued = self.t_acked = None
        self.remaining = 0
        self.buffer_full = 0
        self.cancel = threading.Event()

    def run(self):
        produce, poll, heads, rate = self.producer.produce, self.producer.poll, self.heads, self.rate
        n, i = len(heads), 0
        send_times = self.send_times
        t_start = self.t_start = time.monotonic()
        self.started.set()
        while i < n and not self.cancel.is_set():
            now = time.monotonic()
            due = min(n, int((now - t_start) * rate) + 1, i + self.MAX_CHUNK)
            if due <= i:
                time.sleep(max(0.0002, min(0.002, t_start + i / rate - now)))
                continue
            tail = b"%d}" % int(time.time() * 1000)
            for j in range(i, due):
                while True:
                    try:
                        produce(RAW_TOPIC, heads[j] + tail)
                        break
                    except BufferError:
                        self.buffer_full += 1
                        poll(0.01)
            send_times.extend([now] * (due - i))
            poll(0)
            i = due
        self.t_enqueued = time.monotonic()
        self.remaining = self.producer.flush(120)
        self.t_acked = time.monotonic()


class Poller(threading.Thread):
    """Every ``interval`` s: the Pinot count of the stage's prefix, and how many records
    the Flink job has written to the processed topic since the stage began."""

    def __init__(self, broker_url, sql, watermarks, processed_base, interval):
        super().__init__(name="poller", daemon=True)
        self.broker_url, self.sql, self.wm, self.base, self.interval = broker_url, sql, watermarks, processed_base, interval
        self.polls = []  # (t, pinot count)
        self.processed = []  # (t, records written by Flink since the stage began)
        self.latencies = []
        self.errors = []
        self.last_count = 0
        self.stop_event = threading.Event()

    def run(self):
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            # The processed topic first, then Pinot: Pinot's count can then not run ahead of it.
            try:
                self.processed.append((time.monotonic(), self.wm.total() - self.base))
            except Exception as exc:  # pylint: disable=broad-except
                self.errors.append("watermarks: %s" % exc)
            t_req = time.monotonic()
            try:
                count = pinot_count(self.broker_url, self.sql)
                t_resp = time.monotonic()
                self.polls.append((t_resp, count))
                self.latencies.append((t_resp - t_req) * 1000.0)
                self.last_count = count
            except QueryError as exc:
                self.errors.append(str(exc))
            next_at += self.interval
            self.stop_event.wait(max(0.0, next_at - time.monotonic()))


# ---------------------------------------------------------------------------
# Ansible
# ---------------------------------------------------------------------------


def ansible_env():
    env = dict(os.environ)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # ansible.cfg enables profile_tasks; its recap should list the slowest tasks first
    env["PROFILE_TASKS_SORT_ORDER"] = "descending"
    env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "12"
    return env


def run_playbook(playbook, vars_file, extra, log_path, timeout, new_session=False):
    """Run ``ansible-playbook <playbook> -i inventories/local -e @vars_file``; (rc, seconds)."""
    argv = [os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-i", INVENTORY, "-e", "@" + vars_file]
    for item in extra:
        argv += ["-e", item]
    began = time.monotonic()
    with open(log_path, "ab") as out:
        out.write(("$ %s\n" % " ".join(argv)).encode())
        out.flush()
        proc = subprocess.Popen(
            argv, cwd=REPO, env=ansible_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=new_session
        )
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            rc = "timeout"
        except BaseException:
            # Ctrl-C reaches the playbook too (same process group); let it end before tearing down.
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise
    return rc, time.monotonic() - began


def tail(path, lines=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def task_times(log_path, top=8):
    """The slowest tasks from the profile_tasks recap of a playbook log."""
    found = []
    try:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                match = re.match(r"^(\S.*?)\s-{2,}\s+(\d+\.\d+)s\s*$", line.rstrip())
                if match:
                    found.append((match.group(1).strip(), float(match.group(2))))
    except OSError:
        return []
    # The recap repeats each task once; keep the largest time per name.
    best = {}
    for name, secs in found:
        best[name] = max(secs, best.get(name, 0.0))
    return [{"task": n, "seconds": s} for n, s in sorted(best.items(), key=lambda kv: -kv[1])[:top]]


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


class Run:
    def __init__(self, args):
        self.args = args
        self.started_utc = utc_now()
        self.stamp = self.started_utc.strftime("%Y%m%dT%H%M%SZ")
        self.root = tempfile.mkdtemp(prefix="pipeline-bench-%s-" % self.stamp)
        self.state_dir = os.path.join(self.root, "state")
        self.ports = dict(zip(PORT_VARIABLES, pick_ports(len(PORT_VARIABLES))))
        self.vars_file = os.path.join(self.root, "vars.json")
        variables = dict(self.ports)
        variables.update(
            local_stack_state_dir=self.state_dir,
            # the job zip and the outputs file go to this run's folder, not the repository
            local_stack_flink_package_dir=os.path.join(self.root, "dist"),
            stack_outputs_dir=os.path.join(self.root, "outputs"),
        )
        with open(self.vars_file, "w", encoding="utf-8") as handle:
            json.dump(variables, handle, indent=2)
        self.bootstrap = "127.0.0.1:%d" % self.ports["local_stack_kafka_port"]
        self.broker_url = "http://127.0.0.1:%d" % self.ports["local_stack_pinot_broker_port"]
        self.controller_url = "http://127.0.0.1:%d" % self.ports["local_stack_pinot_controller_port"]
        self.prefix = "b%s-" % self.stamp.lower()
        self.sampler = Sampler(self.state_dir)
        self.result = {
            "benchmark": "streamstack local profile: Kafka -> Flink -> Pinot",
            "started_utc": self.started_utc.isoformat(timespec="seconds"),
            "mode": "quick" if args.quick else "full",
            "command": " ".join([os.path.relpath(sys.executable, REPO)] + [os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
            "settings": {
                "rates": args.rate_list,
                "stage_seconds": args.stage_seconds,
                "grace_seconds": args.grace_seconds,
                "poll_interval_s": args.poll_interval,
                "malformed_fraction": 0.0,
                "lag_growth_threshold_s": LAG_GROWTH_S,
                "flink_parallelism": 1,
                "flink_checkpoint_interval_ms": 5000,
                "kafka_partitions": 2,
                "pinot_flush_threshold_rows": 500000,
                "state_dir": self.state_dir,
                "ports": self.ports,
            },
            "stages": [],
            "errors": [],
        }
        self.producer_errors = []
        self.deploy_log_copy = None
        self.producer = None
        self.watermarks = None

    # -- phases ----------------------------------------------------------------
    def cold_start(self):
        args = self.args
        deploy_log = os.path.join(self.root, "deploy.log")
        log("deploy: ansible-playbook deploy.yml -i %s (state %s, ports %s)" % (
            INVENTORY, self.state_dir, ", ".join(str(p) for p in self.ports.values())))
        self.sampler.mark("deploy")
        t_launch = time.monotonic()
        rc, deploy_s = run_playbook("deploy.yml", self.vars_file, [], deploy_log, args.deploy_timeout)
        cold = {"deploy_s": round(deploy_s, 1), "deploy_rc": rc, "slowest_tasks": task_times(deploy_log)}
        try:
            with open(deploy_log, encoding="utf-8", errors="replace") as handle:
                self.deploy_log_copy = handle.read()  # kept beside the results (the run's folder is purged)
        except OSError:
            pass
        self.result["cold_start"] = cold
        if rc != 0:
            cold["deploy_log_tail"] = tail(deploy_log, 60)
            raise RuntimeError("deploy failed (rc %s) after %.0f s; log tail:\n%s" % (rc, deploy_s, cold["deploy_log_tail"]))
        log("deploy returned after %.1f s" % deploy_s)
        t_deployed = time.monotonic()
        self.sampler.mark("first row")
        self.producer = make_producer(self.bootstrap, self.producer_errors)
        prefix = self.prefix + "cold-"
        head = payload_heads(1, 0, prefix)[0]
        ts_floor = int(time.time() * 1000) - 1000
        self.producer.produce(RAW_TOPIC, head + b"%d}" % int(time.time() * 1000))
        t_sent = time.monotonic()
        if self.producer.flush(30) or self.producer_errors:
            raise RuntimeError("the first event was not delivered: %s" % self.producer_errors[:3])
        t_acked = time.monotonic()
        sql = count_sql(prefix, ts_floor)
        deadline = time.monotonic() + args.first_row_timeout
        last_error, t_visible = None, None
        while time.monotonic() < deadline:
            try:
                if pinot_count(self.broker_url, sql) >= 1:
                    t_visible = time.monotonic()
                    break
            except QueryError as exc:
                last_error = str(exc)
            time.sleep(0.1)
        if t_visible is None:
            raise RuntimeError("the first event was not queryable within %ss (last error: %s)" % (args.first_row_timeout, last_error))
        cold.update(
            first_row_s=round(t_visible - t_deployed, 2),
            first_row_produce_ack_s=round(t_acked - t_sent, 3),
            first_row_produce_to_visible_s=round(t_visible - t_sent, 2),
            total_s=round(t_visible - t_launch, 1),
            note="warm caches (jars, virtualenvs, job package inputs), cold services (fresh state folder, new ports)",
        )
        cold["target_s"] = TARGET_COLD_START_S
        cold["target_met"] = cold["total_s"] <= TARGET_COLD_START_S
        log("first row queryable %.2f s after deploy returned; cold start %.1f s" % (cold["first_row_s"], cold["total_s"]))

    def stage(self, index, rate):
        args = self.args
        n = int(round(rate * args.stage_seconds))
        prefix = "%ss%d-" % (self.prefix, index)
        began = time.monotonic()
        heads = payload_heads(n, 1000 + index, prefix)
        gen_s = time.monotonic() - began
        ts_floor = int(time.time() * 1000) - 1000
        sql = count_sql(prefix, ts_floor)
        base = self.watermarks.total()
        segments_before = pinot_segments(self.controller_url)
        poller = Poller(self.broker_url, sql, self.watermarks, base, args.poll_interval)
        errors_before = len(self.producer_errors)
        producer = PacedProducer(self.producer, heads, rate, self.producer_errors)
        log("stage %d: %d events/s for %ss (%d events, prefix %s; generated in %.1f s)" % (
            index, rate, args.stage_seconds, n, prefix, gen_s))
        self.sampler.mark("stage %d events/s" % rate)
        poller.start()
        producer.start()
        producer.started.wait()
        try:
            last = 0.0
            while producer.is_alive():
                producer.join(0.5)
                if time.monotonic() - last >= 5:
                    last = time.monotonic()
                    sent = len(producer.send_times)
                    log("  sent %d, in Pinot %d (lag %d)" % (sent, poller.last_count, sent - poller.last_count))
            t_grace_end = producer.t_acked + args.grace_seconds
            while time.monotonic() < t_grace_end and poller.last_count < n:
                time.sleep(0.05)
        finally:
            producer.cancel.set()
            producer.join(130)
            poller.stop_event.set()
            poller.join(10)
        self.sampler.mark("between stages")
        del heads
        stage = self.stage_result(rate, n, prefix, ts_floor, producer, poller, errors_before)
        stage["generate_s"] = round(gen_s, 1)
        stage["pinot_segments"] = {"before": segments_before, "after": pinot_segments(self.controller_url)}
        try:
            row = first_row(pinot_query(self.broker_url, count_sql(prefix, ts_floor, distinct=True), timeout=30))
            stage["rows_final"], stage["distinct_ids_final"] = int(row[0]), int(row[1])
        except (QueryError, TypeError, IndexError) as exc:
            stage["rows_final"] = stage["distinct_ids_final"] = None
            stage["errors"].append("final count: %s" % exc)
        stage["bottleneck"] = diagnose(stage)
        self.result["stages"].append(stage)
        return stage

    def stage_result(self, rate, n, prefix, ts_floor, producer, poller, errors_before):
        args = self.args
        send = producer.send_times
        sent = len(send)
        t0, t_enq, t_ack = producer.t_start, producer.t_enqueued, producer.t_acked
        duration = t_enq - t0
        failed = len(self.producer_errors) - errors_before
        acked = sent - failed - producer.remaining
        polls, processed = poller.polls, poller.processed
        final = polls[-1][1] if polls else 0
        complete = final >= sent and sent > 0
        st = {
            "target_rate": rate,
            "prefix": prefix,
            "events": n,
            "sent": sent,
            "acked": acked,
            "delivery_errors": failed,
            "producer_buffer_full": producer.buffer_full,
            "produce_s": round(duration, 2),
            "enqueue_rate": round(sent / duration, 1) if duration > 0 else None,
            "achieved_rate": round(acked / (t_ack - t0), 1) if t_ack > t0 else None,
            "flush_s": round(t_ack - t_enq, 3),
            "visible_final": final,
            "all_visible": complete,
            "polls": len(polls),
            "poll_errors": len(poller.errors),
            "errors": poller.errors[:5],
        }
        st["producer_reached_target"] = bool(st["achieved_rate"] and st["achieved_rate"] >= PRODUCER_OK * rate)

        # Freshness: event i is queryable at the first poll whose count reached i + 1 (pipeline_verify.freshness).
        fr = freshness(send, polls) if sent else {}
        st["freshness_ms"] = {k: fr.get(k) for k in ("p50", "p99", "max")}
        st["freshness_is_lower_bound"] = False
        if sent and not complete:
            # Rows never seen count as seen at the last poll: the percentiles become lower bounds.
            end = polls[-1][0] if polls else time.monotonic()
            fr = freshness(send, list(polls) + [(end, sent)])
            st["freshness_ms"] = {k: fr.get(k) for k in ("p50", "p99", "max")}
            st["freshness_is_lower_bound"] = True
        # From the last send until every row was queryable.
        st["drain_s"] = round(fr["all_rows"] / 1000.0 - (t_enq - send[0]), 2) if complete and fr.get("all_rows") is not None else None
        ff = freshness(send, processed) if sent else {}
        st["flink_freshness_ms"] = {k: ff.get(k) for k in ("p50", "p99", "max")}
        lat = poller.latencies
        st["query_ms"] = {"p50": round(percentile(lat, 50), 1), "max": round(max(lat), 1)} if lat else None

        # Lag: events sent but not yet queryable, in seconds of input; split into the part the
        # Flink job has not written to events.processed yet and the part Pinot has not ingested.
        rate_s = st["achieved_rate"] or rate

        def sent_by(t):
            return bisect.bisect_right(send, t)

        processed_times = [p[0] for p in processed]

        def processed_before(t):
            """The last processed-topic reading taken before the Pinot poll answered at ``t``."""
            k = bisect.bisect_right(processed_times, t) - 1
            return processed[k] if k >= 0 else (t0, 0)

        def window(lo, hi):
            rows = [(t, c) for t, c in polls if t0 + lo * duration <= t <= t0 + hi * duration]
            if not rows:
                return None
            total = sum(sent_by(t) - c for t, c in rows) / len(rows) / rate_s
            flink = 0.0
            for t, _ in rows:
                t_w, written = processed_before(t)
                flink += max(0, sent_by(t_w) - written)
            flink = flink / len(rows) / rate_s
            return {"total_s": round(total, 2), "flink_s": round(flink, 2), "pinot_s": round(total - flink, 2)}

        mid, end = window(0.4, 0.6), window(0.85, 1.0)
        st["lag_mid"], st["lag_end"] = mid, end
        grew = bool(mid and end and end["total_s"] - mid["total_s"] > LAG_GROWTH_S)
        st["lag_grew"] = grew or not complete
        st["sustained"] = not st["lag_grew"]
        # Rows becoming visible per second in the second half of the stage (steady state).
        half = [(t, c) for t, c in polls if t0 + 0.5 * duration <= t <= t_enq]
        st["visible_rate"] = (
            round((half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]), 1) if len(half) >= 2 and half[-1][0] > half[0][0] else None
        )
        st["visible_rate_overall"] = round(final / (polls[-1][0] - t0), 1) if polls and polls[-1][0] > t0 else None
        st["cpu"] = self.sampler.summary(t0, t_enq)
        st["grace_s"] = args.grace_seconds
        return st

    # -- the whole run ---------------------------------------------------------------
    def execute(self):
        self.sampler.start()
        self.cold_start()
        self.watermarks = Watermarks(self.bootstrap, PROCESSED_TOPIC)
        for index, rate in enumerate(self.args.rate_list):
            stage = self.stage(index, rate)
            fr = stage["freshness_ms"]
            log("stage %d done: produced %.0f/s, visible %s/s, freshness p50 %s p99 %s max %s ms%s, lag %s -> %s: %s" % (
                index, stage["achieved_rate"] or 0, stage["visible_rate"], fr["p50"], fr["p99"], fr["max"],
                " (lower bounds)" if stage["freshness_is_lower_bound"] else "",
                (stage["lag_mid"] or {}).get("total_s"), (stage["lag_end"] or {}).get("total_s"),
                "sustained" if stage["sustained"] else "NOT sustained"))
            if not stage["sustained"]:
                log("lag grew at %d events/s: not rising further" % rate)
                break
            if not stage["producer_reached_target"]:
                log("the producer reached only %.0f of %d events/s: not rising further" % (stage["achieved_rate"] or 0, rate))
                break
            time.sleep(self.args.settle_seconds)

    def teardown(self):
        """Stop everything this run started and delete its state; verify with /proc."""
        td = {}
        if self.watermarks:
            try:
                self.watermarks.close()
            except Exception:  # pylint: disable=broad-except
                pass
        if self.args.keep:
            td["kept"] = True
            self.result["teardown"] = td
            log("--keep: the stack keeps running. Stop and purge it with:\n  cd %s && PATH=%s:$PATH ANSIBLE_CONFIG=%s/ansible.cfg "
                "ansible-playbook teardown.yml -i %s -e @%s -e teardown_confirm=local -e teardown_purge=local"
                % (REPO, VENV_BIN, REPO, INVENTORY, self.vars_file))
            return
        self.sampler.mark("teardown")
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the teardown
        try:
            log("teardown: ansible-playbook teardown.yml -e teardown_confirm=local -e teardown_purge=local")
            td_log = os.path.join(self.root, "teardown.log")
            rc, secs = run_playbook(
                "teardown.yml", self.vars_file, ["teardown_confirm=local", "teardown_purge=local"], td_log, 600, new_session=True
            )
            td.update(rc=rc, seconds=round(secs, 1))
            if rc != 0:
                td["log_tail"] = tail(td_log, 40)
                log("teardown playbook failed (rc %s):\n%s" % (rc, td["log_tail"]))
            left = processes_naming(self.root)
            td["left_running_after_playbook"] = [p for p, _ in left]
            if left:
                log("still running after teardown, stopping them: %s" % left)
                for pid, _ in left:
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and processes_naming(self.root):
                    time.sleep(0.5)
                for pid, _ in processes_naming(self.root):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(1)
            final = processes_naming(self.root)
            td["processes_left"] = [{"pid": p, "cmdline": c} for p, c in final]
            td["state_dir_removed_by_playbook"] = not os.path.exists(self.state_dir)
            shutil.rmtree(self.root, ignore_errors=True)
            td["nothing_left"] = not final and not os.path.exists(self.root)
            log("teardown done in %.1f s: %s" % (secs, "nothing left running, state purged" if td["nothing_left"]
                                                  else "LEFT: %s" % td["processes_left"]))
        finally:
            signal.signal(signal.SIGINT, old)
            self.result["teardown"] = td


# ---------------------------------------------------------------------------
# Diagnosis and report
# ---------------------------------------------------------------------------


def diagnose(st):
    """Likely limits of a stage, from its CPU samples and where its lag sat."""
    notes = []
    cpu = st.get("cpu") or {}
    busy = cpu.get("busy_pct")
    per = cpu.get("cpu_pct") or {}
    if busy is not None and busy >= 85:
        top = sorted(per.items(), key=lambda kv: -kv[1])
        notes.append(
            "CPU saturated: the machine was %.0f %% busy (%d cores); %s" % (
                busy, NCPU, ", ".join("%s %.0f %%" % kv for kv in top) + (", bench %.0f %%" % cpu["bench_cpu_pct"] if cpu.get("bench_cpu_pct") else ""))
        )
    if per.get("flink", 0) >= 90:
        notes.append("the Flink JVM used ~%.0f %% of a core (parallelism 1: one task thread does the work)" % per["flink"])
    end, mid = st.get("lag_end"), st.get("lag_mid")
    if end and mid:
        if end["flink_s"] - mid["flink_s"] > LAG_GROWTH_S / 2:
            notes.append("lag grew in Flink (raw -> processed): %.1f s -> %.1f s of input" % (mid["flink_s"], end["flink_s"]))
        if end["pinot_s"] - mid["pinot_s"] > LAG_GROWTH_S / 2:
            notes.append("lag grew in Pinot ingestion (processed -> queryable, one consuming segment per partition): %.1f s -> %.1f s"
                         % (mid["pinot_s"], end["pinot_s"]))
    if not st.get("producer_reached_target"):
        notes.append("the load generator reached only %.0f of %d events/s" % (st.get("achieved_rate") or 0, st["target_rate"]))
    if cpu.get("other_cpu_pct", 0) >= 25:
        notes.append("other processes used ~%.0f %% of a core meanwhile" % cpu["other_cpu_pct"])
    segs = st.get("pinot_segments") or {}
    if segs.get("before") is not None and segs.get("after") is not None and segs["after"] > segs["before"]:
        notes.append("Pinot committed a segment during the stage (%s -> %s segments)" % (segs["before"], segs["after"]))
    return notes


def fmt_s(ms):
    return "-" if ms is None else "%.2f" % (ms / 1000.0)


def evaluate_targets(result):
    out = {}
    cold = result.get("cold_start") or {}
    if cold.get("total_s") is not None:
        met = cold["total_s"] <= TARGET_COLD_START_S
        out["cold_start"] = {
            "target": "cold start <= %d s" % TARGET_COLD_START_S,
            "value_s": cold["total_s"],
            "met": met,
            "text": "cold start %.1f s (deploy %.1f s + first row %.2f s): %s" % (
                cold["total_s"], cold["deploy_s"], cold["first_row_s"],
                "MET (%.1f s to spare)" % (TARGET_COLD_START_S - cold["total_s"]) if met
                else "NOT MET, %.1f s (%.0f %%) over" % (cold["total_s"] - TARGET_COLD_START_S, 100 * (cold["total_s"] / TARGET_COLD_START_S - 1))),
        }
    stages = result.get("stages") or []
    sustained = [s for s in stages if s["sustained"]]
    best = max(sustained, key=lambda s: s["achieved_rate"] or 0) if sustained else None
    result["highest_sustained"] = (
        {"target_rate": best["target_rate"], "achieved_rate": best["achieved_rate"], "p99_ms": best["freshness_ms"]["p99"]} if best else None
    )
    if stages:
        qualifying = [
            s for s in sustained
            if (s["achieved_rate"] or 0) >= PRODUCER_OK * TARGET_RATE and s["target_rate"] >= TARGET_RATE
            and s["freshness_ms"]["p99"] is not None and s["freshness_ms"]["p99"] <= TARGET_P99_MS
        ]
        met = bool(qualifying)
        if met:
            top = max(qualifying, key=lambda s: s["achieved_rate"])
            text = "MET: %.0f events/s sustained with p99 freshness %.2f s (%d ev/s stage)" % (
                top["achieved_rate"], top["freshness_ms"]["p99"] / 1000.0, top["target_rate"])
        else:
            at10 = [s for s in stages if s["target_rate"] >= TARGET_RATE]
            parts = []
            if best:
                parts.append("highest sustained rate %.0f events/s (%.0f %% of 10,000)" % (
                    best["achieved_rate"], 100.0 * best["achieved_rate"] / TARGET_RATE))
            else:
                parts.append("no stage was sustained")
            if at10:
                s = at10[0]
                p99 = s["freshness_ms"]["p99"]
                if p99 is not None and p99 > TARGET_P99_MS:
                    parts.append("p99 freshness at %d ev/s %s%.2f s, %.2f s over 5 s" % (
                        s["target_rate"], ">= " if s["freshness_is_lower_bound"] else "", p99 / 1000.0, (p99 - TARGET_P99_MS) / 1000.0))
                if not s["sustained"]:
                    parts.append("lag grew at %d ev/s" % s["target_rate"])
                if s["bottleneck"]:
                    parts.append("likely bottleneck: " + "; ".join(s["bottleneck"]))
            else:
                parts.append("no stage reached 10,000 events/s (the run stopped before)")
            text = "NOT MET: " + "; ".join(parts)
        out["throughput"] = {"target": ">= %d events/s with p99 freshness <= %d s on %d cores" % (TARGET_RATE, TARGET_P99_MS // 1000, NCPU),
                             "met": met, "text": text}
    result["targets"] = out
    return out


def markdown(result):
    m = result.get("machine") or {}
    s = result["settings"]
    lines = ["# Pipeline benchmark, %s (%s run)" % (result["started_utc"], result["mode"]), ""]
    lines.append("Machine: %s CPU(s) (%s), %s GiB RAM, %s; kernel %s. 1-minute load at start: %s." % (
        m.get("nproc"), m.get("cpu_model"), m.get("mem_total_gib"), (m.get("java_version") or ["?"])[0], m.get("kernel"),
        result.get("load_at_start", ["?"])[0]))
    lines.append("Stack: local profile (`inventories/local`), Kafka 4.1.1 KRaft, Pinot 0.11.0, Flink 2.2.1 MiniCluster "
                 "(PyFlink), Flink parallelism %s, checkpoints every %s ms, %s partitions per topic." % (
                     s["flink_parallelism"], s["flink_checkpoint_interval_ms"], s["kafka_partitions"]))
    lines.append("Command: `%s`" % result["command"])
    lines.append("")
    cold = result.get("cold_start") or {}
    if cold:
        lines += ["## Cold start (warm caches, cold services)", "",
                  "| phase | seconds |", "|---|---:|",
                  "| `ansible-playbook deploy.yml` (Kafka, Pinot, topics, table, Flink job) | %s |" % cold.get("deploy_s"),
                  "| first event produced -> queryable in Pinot, after deploy returned | %s |" % cold.get("first_row_s", "-"),
                  "| **total (launch -> first row queryable)** | **%s** |" % cold.get("total_s", "-"), ""]
        if cold.get("slowest_tasks"):
            lines.append("Slowest deploy tasks: " + "; ".join("%s %.1f s" % (t["task"], t["seconds"]) for t in cold["slowest_tasks"][:6]) + ".")
            lines.append("")
    if result.get("stages"):
        lines += ["## Throughput (0 %% malformed; ts = send time; %s s stages, %s s grace)" % (s["stage_seconds"], s["grace_seconds"]), "",
                  "| target ev/s | produced ev/s | visible rows/s | freshness p50 / p99 / max (s) | Flink-only p99 (s) | lag mid -> end (s of input) | all rows visible | CPU busy | Flink / Pinot / Kafka / bench CPU (% of a core) | sustained |",
                  "|---:|---:|---:|---|---:|---|---|---:|---|---|"]
        for st in result["stages"]:
            fr, ff, cpu = st["freshness_ms"], st["flink_freshness_ms"], st.get("cpu") or {}
            per = cpu.get("cpu_pct") or {}
            lb = ">= " if st["freshness_is_lower_bound"] else ""
            lines.append("| %d | %s | %s | %s%s / %s / %s | %s | %s -> %s | %s | %s %% | %s / %s / %s / %s | %s |" % (
                st["target_rate"], _num(st["achieved_rate"]), _num(st["visible_rate"]),
                lb, fmt_s(fr["p50"]), fmt_s(fr["p99"]), fmt_s(fr["max"]), fmt_s(ff["p99"]),
                (st["lag_mid"] or {}).get("total_s", "-"), (st["lag_end"] or {}).get("total_s", "-"),
                "yes" if st["all_visible"] else "no (%d of %d)" % (st["visible_final"], st["sent"]),
                cpu.get("busy_pct", "-"), per.get("flink", "-"), per.get("pinot", "-"), per.get("kafka", "-"), cpu.get("bench_cpu_pct", "-"),
                "**yes**" if st["sustained"] else "**no**"))
        lines.append("")
        for st in result["stages"]:
            if st["bottleneck"]:
                lines.append("- %d ev/s: %s" % (st["target_rate"], "; ".join(st["bottleneck"])))
        lines.append("")
    peaks = result.get("resources") or {}
    if peaks.get("services"):
        lines += ["## Peak memory and CPU over the whole run (sampled every 0.5 s from /proc)", "",
                  "| service | peak RSS (MiB) | peak CPU (% of one core, 0.5 s window) |", "|---|---:|---:|"]
        for name, p in peaks["services"].items():
            lines.append("| %s | %.0f | %s |" % (SERVICE_LABELS[name], p["peak_rss_mib"], _num(p["peak_cpu_pct"])))
        lines.append("| all four (peak of the sum) | %.0f | machine busy peak %s %% of %d cores |" % (
            peaks.get("peak_total_rss_mib") or 0, peaks.get("peak_busy_pct"), NCPU))
        lines.append("")
    targets = result.get("targets") or {}
    if targets:
        lines += ["## Targets", ""]
        for t in targets.values():
            lines.append("- %s: %s" % (t["target"], t["text"]))
        lines.append("")
    td = result.get("teardown") or {}
    if td:
        lines.append("Teardown + purge: %s s, rc %s; %s." % (
            td.get("seconds"), td.get("rc"), "nothing left running" if td.get("nothing_left") else "kept" if td.get("kept") else "LEFT %s" % td.get("processes_left")))
    if result.get("errors"):
        lines += ["", "Errors: " + "; ".join(result["errors"])]
    return "\n".join(lines) + "\n"


def _num(value):
    return "-" if value is None else "{:,.0f}".format(value)


# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", help="comma-separated target rates, events/s (default %s; --quick: %s)" % (DEFAULT_RATES, QUICK_RATES))
    parser.add_argument("--stage-seconds", type=float, help="seconds per rate (default 20; --quick: 8)")
    parser.add_argument("--grace-seconds", type=float, help="after a stage, how long all rows may take to appear (default 15; --quick: 10)")
    parser.add_argument("--poll-interval", type=float, default=0.25, help="seconds between Pinot count queries (default 0.25)")
    parser.add_argument("--settle-seconds", type=float, default=3.0, help="pause between stages (default 3)")
    parser.add_argument("--keep", action="store_true", help="do not tear the stack down at the end (prints the command)")
    parser.add_argument("--quick", action="store_true", help="smoke run: small rates, short stages, no waiting for a quiet machine")
    parser.add_argument("--max-load", type=float, help="wait until the 1-minute load is below this before starting (default 1.0; --quick: 0 = do not wait)")
    parser.add_argument("--max-load-wait", type=float, default=900, help="give up waiting for a quiet machine after this many s (default 900)")
    parser.add_argument("--deploy-timeout", type=float, default=900)
    parser.add_argument("--first-row-timeout", type=float, default=300)
    parser.add_argument("--results-dir", default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.rate_list = [int(float(r)) for r in (args.rates or (QUICK_RATES if args.quick else DEFAULT_RATES)).split(",") if r.strip()]
    if not args.rate_list or min(args.rate_list) <= 0:
        parser.error("--rates needs positive numbers")
    args.stage_seconds = args.stage_seconds or (8.0 if args.quick else 20.0)
    args.grace_seconds = args.grace_seconds if args.grace_seconds is not None else (10.0 if args.quick else 15.0)
    if args.max_load is None:
        args.max_load = 0.0 if args.quick else 1.0
    return args


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    try:
        quiet = wait_quiet(args.max_load, args.max_load_wait)
    except KeyboardInterrupt:
        log("interrupted while waiting for a quiet machine: nothing was started")
        return 130
    run = Run(args)
    result = run.result
    result["machine"] = machine_info()
    result["load_at_start"] = loadavg()
    result["quiet_wait"] = dict(quiet, max_load=args.max_load)
    log("machine: %d CPUs, %s GiB, %s; load %s" % (NCPU, result["machine"].get("mem_total_gib"),
                                                   result["machine"]["java_version"][0], result["load_at_start"]))
    rc = 0
    try:
        run.execute()
    except KeyboardInterrupt as exc:
        result["errors"].append("interrupted (%s)" % (str(exc) or "Ctrl-C"))
        log("interrupted: tearing down")
        rc = 130
    except Exception as exc:  # pylint: disable=broad-except
        result["errors"].append("%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""))
        log("error: %s" % exc)
        rc = 1
    finally:
        try:
            if run.producer is not None:
                run.producer.flush(10)
        except Exception:  # pylint: disable=broad-except
            pass
        run.producer = None  # destroyed here, so that it does not log the brokers going away
        result["resources"] = run.sampler.peaks() if run.sampler.is_alive() or run.sampler.samples else {}
        try:
            run.teardown()
        finally:
            run.sampler.stop()
            result["timeline"] = run.sampler.timeline()
            result["finished_utc"] = utc_now().isoformat(timespec="seconds")
            evaluate_targets(result)
            text = markdown(result)
            os.makedirs(args.results_dir, exist_ok=True)
            base = os.path.join(args.results_dir, run.stamp + ("-quick" if args.quick else ""))
            if run.deploy_log_copy:
                result["deploy_log"] = os.path.relpath(base + ".deploy.log", REPO)
                with open(base + ".deploy.log", "w", encoding="utf-8") as handle:
                    handle.write(run.deploy_log_copy)
            with open(base + ".json", "w", encoding="utf-8") as handle:
                json.dump(result, handle, indent=1, sort_keys=False)
                handle.write("\n")
            with open(base + ".md", "w", encoding="utf-8") as handle:
                handle.write(text)
            print()
            print(text)
            print("results: %s.json, %s.md" % (os.path.relpath(base, REPO), os.path.relpath(base, REPO)))
    if rc == 0 and (result.get("teardown") or {}).get("processes_left"):
        rc = 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
