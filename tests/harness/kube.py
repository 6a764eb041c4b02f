"""A real Kubernetes control plane for tests, with fake EKS-shaped nodes.

    from harness.kube import KubeCluster

    with KubeCluster.start(tmp_path / "kube") as kube:      # ~3 s warm
        kube.add_nodes("t3.medium", 2)                     # Ready, EKS allocatable
        kube.kubectl("apply", "-f", "manifest.yaml")
        subprocess.run(["helm", "install", ...], env=kube.env())

What is real: etcd, kube-apiserver, kube-controller-manager (Deployments,
StatefulSets, DaemonSets, Jobs, namespace deletion, garbage collection, the
PV controller, service accounts) and kube-scheduler, at the versions
``scripts/setup_kube.sh`` builds (binaries cached in ``.cache/kube/<versions>/bin``;
the harness never builds them: it fails with "run scripts/setup_kube.sh").
Everything binds to 127.0.0.1 on free ports; state, certificates and logs
live in ``workdir``.

What is faked, by kwok and the stages in ``kwok-stages.yaml``:

* Nodes: API objects only. ``add_nodes(type, n)`` creates nodes whose
  capacity and allocatable CPU, memory and pods are what
  ``module_utils/capacity.py`` says EKS gives that instance type (the real
  scheduler enforces them: max pods, requests), labelled like EKS managed
  nodes (instance type, region, zones alternating us-east-1a/us-east-1b,
  node group = ``prefix``). kwok makes them Ready and renews their Lease.
* Pods: once the scheduler binds a pod to a fake node it is Running and Ready
  at once (no image pulled, no command run, no probe); a Job's pods succeed;
  a deleted pod disappears (no grace period, but finalizers are respected).
* EBS volumes: a PVC of a StorageClass with provisioner ``ebs.csi.aws.com``
  gets a PV (CSI driver ebs.csi.aws.com, the requested size, reclaim policy
  Delete, no zone affinity) as soon as the PV controller asks for it: at
  once for ``Immediate`` binding, once the scheduler picked a node for
  ``WaitForFirstConsumer``. Released volumes are deleted. No other
  provisioner binds (a claim of another class stays Pending, as it would
  without its driver).
* Container logs: ``kubectl logs`` (the API's pods/log) of any pod on a fake
  node answers with the content of ``pod_log_file`` (CRI log format), which a
  test writes with ``play_pod_log(lines)`` to play what a container printed.
  The API server reaches kwok as every fake node's kubelet: each node's
  InternalDNS address is 127.0.0.1 and its kubelet port kwok's.
* Nothing else: no kubelet, no container runtime, no kube-proxy, no CNI, no
  cloud controller (a Service of type LoadBalancer never gets an address).

Every process runs in its own process group with a pid file in ``workdir/run``
and a log in ``workdir/logs``; ``stop()`` stops each by pid (SIGTERM, then
SIGKILL), also from the context manager on failure, from an atexit hook, and
for sessions killed outright through ``harness.services.reap_orphans()``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime
import ipaddress
import json
import logging
import os
import re
import secrets
import signal
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterable

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import services as harness_services

svc = harness_services.svc

from ansible_collections.streamstack.pipeline.plugins.module_utils import capacity  # noqa: E402

__all__ = ["KubeCluster", "KubeError", "KubectlError", "bin_dir", "KUBE_VERSION", "FAKE_NODE_ANNOTATION"]

LOG = logging.getLogger("harness.kube")
REPO_ROOT = harness_services.REPO_ROOT
SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup_kube.sh"
STAGES = Path(__file__).resolve().parent / "kwok-stages.yaml"

FAKE_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
REGION = "us-east-1"
ZONES = (("us-east-1a", "use1-az1"), ("us-east-1b", "use1-az2"))
SERVICE_CIDR = "10.100.0.0/16"  # EKS's default service range
POD_CIDR = "10.244.0.0/16"  # kwok hands pod IPs out of this
PROCESSES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def _script_versions() -> dict[str, str]:
    """The versions scripts/setup_kube.sh builds (its defaults and scripts/pins.sh's, or the same env overrides)."""
    text = SETUP_SCRIPT.read_text() + (SETUP_SCRIPT.parent / "pins.sh").read_text()
    found = dict(re.findall(r"^(\w+_VERSION)=\$\{\w+:-([^}]+)\}", text, re.M))
    return {k: os.environ.get(k, v) for k, v in found.items()}


VERSIONS = _script_versions()
KUBE_VERSION = VERSIONS["KUBE_VERSION"]
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok", "helm")


class KubeError(RuntimeError):
    """The cluster could not start, or a call to it failed."""


class KubectlError(subprocess.CalledProcessError):
    """A kubectl call failed; str() includes its stderr."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{(self.stderr or '').strip()}"


def bin_dir() -> Path:
    """The cached binaries' directory (same path as setup_kube.sh); KubeError if any is missing."""
    v = VERSIONS
    key = f"k8s{v['KUBE_VERSION']}-etcd{v['ETCD_VERSION']}-kwok{v['KWOK_VERSION']}-helm{v['HELM_VERSION']}"
    path = REPO_ROOT / ".cache" / "kube" / key / "bin"
    missing = [b for b in BINARIES if not os.access(path / b, os.X_OK)]
    if missing:
        raise KubeError(
            f"Kubernetes test binaries missing in {path}: {', '.join(missing)}; "
            "run scripts/setup_kube.sh (about 9 min once, needs Go)"
        )
    return path


# ---------------------------------------------------------------------------- PKI
def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class _CA:
    """A throwaway certificate authority (ECDSA P-256: fast to generate)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "streamstack-test-ca")])
        self.cert = (
            self._builder(name, self.key.public_key())
            .issuer_name(name)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(self.key, hashes.SHA256())
        )

    @staticmethod
    def _builder(subject: x509.Name, public_key: Any) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.timezone.utc)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=7))
        )

    def issue(self, cn: str, org: str | None = None, sans: Iterable[str] = ()) -> tuple[bytes, bytes]:
        """(cert PEM, key PEM) for a client (no ``sans``) or a server."""
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org:
            attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        sans = list(sans)
        usage = [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH] if sans else [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = (
            self._builder(x509.Name(attrs), key.public_key())
            .issuer_name(self.cert.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        )
        if sans:
            names: list[x509.GeneralName] = []
            for san in sans:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(san)))
                except ValueError:
                    names.append(x509.DNSName(san))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _pem_cert(builder.sign(self.key, hashes.SHA256())), _pem_key(key)


def _kubeconfig(server: str, ca: bytes, user: str, cert: bytes | None = None, key: bytes | None = None,
                token: str | None = None) -> str:
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    creds: dict[str, str] = {"token": token} if token else {
        "client-certificate-data": b64(cert or b""), "client-key-data": b64(key or b"")}
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "streamstack-test", "cluster": {"server": server, "certificate-authority-data": b64(ca)}}],
        "users": [{"name": user, "user": creds}],
        "contexts": [{"name": user, "context": {"cluster": "streamstack-test", "user": user}}],
        "current-context": user,
        "preferences": {},
    }, sort_keys=False)


# ------------------------------------------------------------------------ cluster
_running: list["KubeCluster"] = []
_running_lock = threading.Lock()


class KubeCluster:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok, on 127.0.0.1."""

    def __init__(self, workdir: Path, bins: Path, pod_ready_delay_ms: int = 0) -> None:
        self.workdir = workdir
        self.pod_ready_delay_ms = pod_ready_delay_ms
        self.bin_dir = bins
        self.pki = workdir / "pki"
        self.ca_file = self.pki / "ca.crt"
        self.kubeconfig = workdir / "admin.kubeconfig"
        self.token = secrets.token_hex(24)
        self.server = ""
        self.ports: dict[str, int] = {}
        self._pidfiles = {name: str(workdir / "run" / f"{name}.pid") for name in PROCESSES}
        self._entry: Path | None = None
        self._ssl: ssl.SSLContext | None = None
        self._node_seq = 0

    # ------------------------------------------------------------------ life
    @classmethod
    def start(cls, workdir: Path, timeout: float = 60, bins: Path | None = None,
              pod_ready_delay_ms: int = 0) -> "KubeCluster":
        """Start every process and wait (at most ``timeout`` s in all) until the API is
        ready, the controllers run (``default`` ServiceAccount exists), the scheduler
        holds its lease and kwok answers. ``pod_ready_delay_ms``: a scheduled pod turns
        Ready that long after (image pulls and start-up on a real node; bench/)."""
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        cluster = cls(workdir, bins or bin_dir(), pod_ready_delay_ms)
        with _running_lock:
            _running.append(cluster)
        try:
            cluster._start(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def __enter__(self) -> "KubeCluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def pids(self) -> dict[str, int]:
        """{process name: pid} of the processes started (running or not)."""
        out = {}
        for name, pidfile in self._pidfiles.items():
            pid, _ = svc.read_pid(pidfile)
            if pid:
                out[name] = pid
        return out

    @property
    def pod_log_file(self) -> Path:
        return self.workdir / "logs" / "pods.log"

    def play_pod_log(self, lines: Iterable[str], stream: str = "stdout") -> None:
        """What every fake container printed, from now on (``kubectl logs``): one CRI log
        line (time, stream, full-line tag, text) per line. Not a container's real output:
        the test that writes it says so."""
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.pod_log_file.write_text("".join(f"{now} {stream} F {line}\n" for line in lines))

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _start(self, timeout: float) -> None:
        began = time.monotonic()
        deadline = began + timeout
        for sub in ("pki", "run", "logs", "etcd", "home", "helm"):
            (self.workdir / sub).mkdir(mode=0o700, exist_ok=True)
        etcd_port, etcd_peer, api_port, kwok_port = svc.free_ports(4)
        self.ports = {"etcd": etcd_port, "etcd-peer": etcd_peer, "kube-apiserver": api_port, "kwok": kwok_port}
        self.server = f"https://127.0.0.1:{api_port}"
        self._write_config()
        self._record()

        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{etcd_peer}"
        self._launch("etcd", [
            "--name=default", f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}", "--unsafe-no-fsync", "--log-level=warn",
        ])
        self._wait(lambda: svc.http_get(f"{etcd_url}/health", timeout=1)[0] == 200, deadline, "etcd health", "etcd")

        p = self.pki
        self._launch("kube-apiserver", [
            f"--etcd-servers={etcd_url}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}", f"--cert-dir={p}",
            f"--tls-cert-file={p / 'apiserver.crt'}", f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={self.ca_file}", f"--token-auth-file={p / 'tokens.csv'}",
            f"--service-account-key-file={p / 'sa.pub'}", f"--service-account-signing-key-file={p / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--authorization-mode=Node,RBAC",
            "--allow-privileged=true", "--endpoint-reconciler-type=none", "--profiling=false",
            # pods/log goes to the node's kubelet, here kwok on 127.0.0.1 (the nodes' InternalDNS).
            "--kubelet-preferred-address-types=InternalDNS",
        ])
        self._wait(lambda: self._get_text("/readyz") == "ok", deadline, "kube-apiserver /readyz", "kube-apiserver")

        self._launch("kube-controller-manager", [
            f"--kubeconfig={self.workdir / 'kube-controller-manager.kubeconfig'}", "--secure-port=0",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={p / 'sa.key'}", f"--root-ca-file={self.ca_file}",
            f"--cluster-signing-cert-file={self.ca_file}", f"--cluster-signing-key-file={p / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--kube-api-qps=200", "--kube-api-burst=400",
            "--profiling=false",
        ])
        self._launch("kube-scheduler", [
            f"--kubeconfig={self.workdir / 'kube-scheduler.kubeconfig'}", "--secure-port=0", "--profiling=false",
        ])
        self._launch("kwok", [
            f"--kubeconfig={self.workdir / 'kwok.kubeconfig'}", f"--config={self.workdir / 'kwok.yaml'}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={'='.join(FAKE_NODE_ANNOTATION)}",
            f"--cidr={POD_CIDR}", "--node-ip=10.0.0.1", "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{kwok_port}",
        ])
        self._wait(lambda: self._exists("/api/v1/namespaces/default/serviceaccounts/default"), deadline,
                   "the default ServiceAccount (kube-controller-manager)", "kube-controller-manager")
        self._wait(lambda: self._exists("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"),
                   deadline, "the kube-scheduler lease", "kube-scheduler")
        self._wait(lambda: svc.http_get(f"http://127.0.0.1:{kwok_port}/healthz", timeout=1)[0] == 200,
                   deadline, "kwok /healthz", "kwok")
        LOG.info("kube: cluster %s ready in %.1f s", self.server, time.monotonic() - began)

    def _write_config(self) -> None:
        p = self.pki
        ca = _CA()
        (p / "ca.crt").write_bytes(_pem_cert(ca.cert))
        (p / "ca.key").write_bytes(_pem_key(ca.key))
        cert, key = ca.issue("kube-apiserver", sans=(
            "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local", str(next(ipaddress.ip_network(SERVICE_CIDR).hosts()))))
        (p / "apiserver.crt").write_bytes(cert)
        (p / "apiserver.key").write_bytes(key)
        sa_key = ec.generate_private_key(ec.SECP256R1())
        (p / "sa.key").write_bytes(_pem_key(sa_key))
        (p / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        (p / "tokens.csv").write_text(f'{self.token},streamstack-admin,streamstack-admin,"system:masters"\n')
        ca_pem = _pem_cert(ca.cert)
        for name, cn, org in (
            ("admin", "kubernetes-admin", "system:masters"),
            ("kube-controller-manager", "system:kube-controller-manager", None),
            ("kube-scheduler", "system:kube-scheduler", None),
            ("kwok", "kwok-controller", "system:masters"),
        ):
            cert, key = ca.issue(cn, org)
            path = self.kubeconfig if name == "admin" else self.workdir / f"{name}.kubeconfig"
            path.write_text(_kubeconfig(self.server, ca_pem, cn, cert, key))
            path.chmod(0o600)
        stages = STAGES.read_text()
        if self.pod_ready_delay_ms:
            docs = list(yaml.safe_load_all(stages))
            for doc in docs:
                if doc and doc["metadata"]["name"] == "pod-ready":
                    doc["spec"]["delay"] = {"durationMilliseconds": int(self.pod_ready_delay_ms)}
            stages = yaml.safe_dump_all(docs, sort_keys=False)
        # Every fake container's log is one file's content (kwok reads it on each request).
        logs = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
                "metadata": {"name": "played-logs"},
                "spec": {"logs": [{"logsFile": str(self.pod_log_file), "follow": False}]}}
        stages = stages.rstrip() + "\n---\n" + yaml.safe_dump(logs, sort_keys=False)
        (self.workdir / "kwok.yaml").write_text(stages)
        self.play_pod_log([])

    def _record(self) -> None:
        """Register with harness.services' orphan registry: a later session stops these
        processes if this pytest process dies without stopping them."""
        pid = os.getpid()
        start, _ = svc.process_start_time(pid)
        harness_services.RUN_DIR.mkdir(parents=True, exist_ok=True)
        self._entry = harness_services.RUN_DIR / f"{pid}-kube-{id(self)}.json"
        self._entry.write_text(json.dumps({
            "owner": {"pid": pid, "start": start},
            "state_dir": str(self.workdir),
            "pidfiles": list(self._pidfiles.values()),
        }))

    def _launch(self, name: str, args: list[str]) -> None:
        env = dict(os.environ, HOME=str(self.workdir / "home"))  # kwok would also read ~/.kwok/kwok.yaml
        svc.start_process([str(self.bin_dir / name), *args], str(self.log(name)), self._pidfiles[name],
                          cwd=str(self.workdir), env=env)

    def _wait(self, predicate: Any, deadline: float, what: str, proc: str) -> None:
        def alive() -> bool:
            return all(svc.is_running(self._pidfiles[n]) for n in PROCESSES if os.path.exists(self._pidfiles[n]))

        try:
            svc.wait_until(predicate, max(0.5, deadline - time.monotonic()), what, interval=0.1, alive=alive,
                           log_path=str(self.log(proc)))
        except svc.ServiceError as exc:
            dead = [n for n in PROCESSES if os.path.exists(self._pidfiles[n]) and not svc.is_running(self._pidfiles[n])]
            hint = "".join(f"\n--- last lines of {self.log(n)} ---\n{svc.tail(str(self.log(n)))}" for n in dead)
            raise KubeError(f"{exc}{hint}") from None

    def stop(self) -> None:
        """Stop every process by pid: SIGTERM to all, then wait (SIGKILL after 10 s). Idempotent."""
        for name in reversed(PROCESSES):
            pid, start = svc.read_pid(self._pidfiles[name])
            if pid and svc.process_start_time(pid)[0] == start:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGTERM)
        for name in reversed(PROCESSES):
            svc.stop(self._pidfiles[name], timeout=10)
        if self._entry is not None:
            self._entry.unlink(missing_ok=True)
            self._entry = None
        with _running_lock:
            if self in _running:
                _running.remove(self)

    # ------------------------------------------------------------------ clients
    def env(self) -> dict[str, str]:
        """Environment for kubectl, helm, ansible-playbook: this cluster's admin kubeconfig,
        the binaries first on PATH, helm's cache/config/data inside the workdir."""
        env = dict(os.environ)
        env.update(
            KUBECONFIG=str(self.kubeconfig),
            PATH=f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            HELM_CACHE_HOME=str(self.workdir / "helm" / "cache"),
            HELM_CONFIG_HOME=str(self.workdir / "helm" / "config"),
            HELM_DATA_HOME=str(self.workdir / "helm" / "data"),
        )
        return env

    def kubectl(self, *args: str, check: bool = True, input: str | None = None,  # noqa: A002
                timeout: float = 120) -> subprocess.CompletedProcess:
        """Run kubectl against this cluster; text output. KubectlError (with stderr) on failure if ``check``."""
        argv = [str(self.bin_dir / "kubectl"), *map(str, args)]
        proc = subprocess.run(argv, env=self.env(), input=input, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if check and proc.returncode:
            raise KubectlError(proc.returncode, argv, proc.stdout, proc.stderr)
        return proc

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        """One API call with the admin token; the decoded JSON answer. urllib's HTTPError on 4xx/5xx."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=str(self.ca_file))
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/merge-patch+json" if method == "PATCH" else "application/json")
        with urllib.request.urlopen(req, timeout=timeout, context=self._ssl) as resp:
            text = resp.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text

    def _get_text(self, path: str) -> str:
        try:
            return self.request("GET", path, timeout=2)
        except (urllib.error.URLError, OSError):
            return ""

    def _exists(self, path: str) -> bool:
        try:
            self.request("GET", path, timeout=2)
            return True
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise

    # ------------------------------------------------------------------ fake nodes
    def node_manifest(self, node_type: str, name: str, nodegroup: str, index: int, seq: int) -> dict[str, Any]:
        """A Node object shaped like an EKS managed node of ``node_type`` (see capacity.py): the
        ``index``-th of its node group (zones alternate), the ``seq``-th of the cluster (its IP)."""
        if node_type not in capacity.NODE_TYPES:
            raise KubeError(f"no capacity data for {node_type!r} in capacity.NODE_TYPES")
        vcpu, memory_mib, max_pods = capacity.NODE_TYPES[node_type]
        alloc = capacity.allocatable(node_type)
        zone, zone_id = ZONES[index % len(ZONES)]
        ip = f"10.0.{seq // 200}.{seq % 200 + 10}"
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {FAKE_NODE_ANNOTATION[0]: FAKE_NODE_ANNOTATION[1]},
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": node_type,
                    "topology.kubernetes.io/region": REGION,
                    "topology.kubernetes.io/zone": zone,
                    "topology.k8s.aws/zone-id": zone_id,
                    "eks.amazonaws.com/nodegroup": nodegroup,
                    "eks.amazonaws.com/capacityType": "ON_DEMAND",
                    "type": "kwok",
                },
            },
            "spec": {"providerID": f"aws:///{zone}/i-{secrets.token_hex(8)[:17]}"},
            "status": {
                # What the kubelet reports: capacity = the visible machine, allocatable
                # = capacity - kube-reserved - eviction threshold (capacity.py).
                "capacity": {
                    "cpu": str(vcpu),
                    "memory": f"{int(memory_mib * capacity.VISIBLE_MEMORY)}Mi",
                    "pods": str(max_pods),
                    # EKS managed nodes' 20 GiB root volume (the nodegroup's disk size default).
                    "ephemeral-storage": "20Gi",
                },
                "allocatable": {
                    "cpu": f"{alloc['cpu_m']}m",
                    "memory": f"{alloc['memory_mib']}Mi",
                    "pods": str(alloc["pods"]),
                    # Less the 10 % nodefs eviction threshold and the system's share (rounded).
                    "ephemeral-storage": "17Gi",
                },
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name},
                              {"type": "InternalDNS", "address": "127.0.0.1"}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.ports["kwok"]}},
                "nodeInfo": {
                    "architecture": "amd64", "operatingSystem": "linux", "osImage": "Amazon Linux 2023 (fake)",
                    "kubeletVersion": f"v{KUBE_VERSION}", "kubeProxyVersion": f"v{KUBE_VERSION}",
                    "containerRuntimeVersion": "kwok://fake", "kernelVersion": "kwok", "machineID": "",
                    "systemUUID": "", "bootID": "",
                },
            },
        }

    def add_nodes(self, node_type: str, count: int, prefix: str = "node", timeout: float = 30) -> list[str]:
        """``count`` fake nodes ``<prefix>-<n>`` of ``node_type`` (node group ``prefix``), returned
        once Ready and free of the not-ready taint, i.e. schedulable."""
        existing = {n["metadata"]["name"] for n in self.request("GET", "/api/v1/nodes")["items"]}
        names: list[str] = []
        n = 0
        while len(names) < count:
            n += 1
            name = f"{prefix}-{n}"
            if name in existing:
                continue
            self.request("POST", "/api/v1/nodes", self.node_manifest(node_type, name, prefix, n - 1, self._node_seq))
            self._node_seq += 1
            names.append(name)

        def ready() -> bool:
            nodes = {x["metadata"]["name"]: x for x in self.request("GET", "/api/v1/nodes")["items"]}
            for name in names:
                node = nodes.get(name, {})
                conds = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
                if conds.get("Ready") != "True" or node.get("spec", {}).get("taints"):
                    return False
            return True

        try:
            svc.wait_until(ready, timeout, f"fake nodes {', '.join(names)} Ready", interval=0.1)
        except svc.ServiceError as exc:
            raise KubeError(f"{exc}\n--- kwok log ---\n{svc.tail(str(self.log('kwok')))}") from None
        return names

    def fake_nodes(self) -> list[str]:
        key, value = FAKE_NODE_ANNOTATION
        return [n["metadata"]["name"] for n in self.request("GET", "/api/v1/nodes")["items"]
                if n["metadata"].get("annotations", {}).get(key) == value]

    def delete_nodes(self, names: Iterable[str] | None = None, timeout: float = 30) -> None:
        """Delete fake nodes (all when ``names`` is None), then their pods at once (grace 0,
        finalizers dropped): with the node gone nothing would ever finish them."""
        names = list(self.fake_nodes() if names is None else names)
        for name in names:
            with contextlib.suppress(urllib.error.HTTPError):
                self.request("DELETE", f"/api/v1/nodes/{name}")
        for name in names:
            selector = urllib.parse.quote(f"spec.nodeName={name}")
            for pod in self.request("GET", f"/api/v1/pods?fieldSelector={selector}")["items"]:
                meta = pod["metadata"]
                path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
                with contextlib.suppress(urllib.error.HTTPError):
                    if meta.get("finalizers"):
                        self.request("PATCH", path, {"metadata": {"finalizers": None}})
                    self.request("DELETE", path, {"gracePeriodSeconds": 0})

        def gone() -> bool:
            left = {n["metadata"]["name"] for n in self.request("GET", "/api/v1/nodes")["items"]}
            return not left.intersection(names)

        svc.wait_until(gone, timeout, f"nodes {', '.join(names)} deleted", interval=0.1)


def _stop_all() -> None:
    """atexit backstop: stop clusters a test forgot (or could not) stop."""
    for cluster in list(reversed(_running)):
        with contextlib.suppress(Exception):
            cluster.stop()


atexit.register(_stop_all)
