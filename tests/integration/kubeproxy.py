"""A Service of the harness's Kubernetes API whose endpoint is a process on this
machine, so that its service proxy (as verify and the pinot roles use it on EKS)
reaches the real Pinot of the tests.

The API server proxies a Service only to endpoints that are a Pod's IP
(kube-apiserver 1.37, service storage ``isValidAddress``), never to loopback,
and Pinot here listens on 127.0.0.1 only. So a small TCP relay on this
machine's own address stands in for the pod network, and a Pod on a node
nobody runs carries that address in its status (written through the status
subresource, as a kubelet would).
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest


def host_address() -> str:
    """This machine's address on its default route (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.254", 9))
        address = probe.getsockname()[0]
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.fail("this machine has no non-loopback IPv4 address for the API server to proxy to")
    return address


class Relay:
    """Accepts on (address, free port) and pipes each connection to 127.0.0.1:target."""

    def __init__(self, address: str, target: int):
        self.server = socket.create_server((address, 0))
        self.address, self.port = address, self.server.getsockname()[1]
        self.target = target
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.server.close()


@contextlib.contextmanager
def proxied_service(kube_cluster, ns: str, name: str, port: int, target: int):
    """Service ``name``:``port`` in ``ns`` whose one endpoint relays to 127.0.0.1:``target``;
    yields (its proxy URL, the Relay)."""
    relay = Relay(host_address(), target)
    kube_cluster.request("POST", f"/api/v1/namespaces/{ns}/services", {
        "metadata": {"name": name},
        "spec": {"ports": [{"name": "http", "port": port, "targetPort": relay.port}]}})
    # A node without kwok's annotation: kwok leaves it and its pods alone.
    node = f"relay-{name}-{ns}"[:63].rstrip("-")
    pod = f"{name}-0"
    kube_cluster.request("POST", "/api/v1/nodes", {"metadata": {"name": node}})
    kube_cluster.request("POST", f"/api/v1/namespaces/{ns}/pods", {
        "metadata": {"name": pod, "labels": {"app": "relay", "service": name}},
        "spec": {"nodeName": node, "containers": [{"name": "relay", "image": "apachepinot/pinot:1.5.1"}]}})
    kube_cluster.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{pod}/status", {"status": {
        "phase": "Running", "podIP": relay.address, "podIPs": [{"ip": relay.address}],
        "conditions": [{"type": "Ready", "status": "True"}]}})
    kube_cluster.request("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", {
        "metadata": {"name": f"{name}-relay", "labels": {
            "kubernetes.io/service-name": name,
            "endpointslice.kubernetes.io/managed-by": "streamstack-tests"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [relay.address], "conditions": {"ready": True},
                       "targetRef": {"kind": "Pod", "namespace": ns, "name": pod}}],
        "ports": [{"name": "http", "port": relay.port, "protocol": "TCP"}]})
    try:
        yield f"{kube_cluster.server}/api/v1/namespaces/{ns}/services/{name}:{port}/proxy", relay
    finally:
        relay.close()
        kube_cluster.kubectl("delete", "node", node, "--wait=false", "--ignore-not-found", check=False)
