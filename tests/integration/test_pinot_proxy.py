"""Bootstrap and verify Pinot the way deploy and verify do on EKS: from
outside the cluster, through the Kubernetes API's service proxy.

A real kube-apiserver (the harness) proxies to a real Pinot 0.11 (the
``pinot_cluster`` fixture). The API server proxies a Service only to
endpoints that are a Pod's IP (kube-apiserver 1.37, service storage
``isValidAddress``), never to loopback, and Pinot here listens on 127.0.0.1
only. So a small TCP relay on this machine's own address stands in for the
pod network, and a Pod on a node nobody runs carries that address in its
status (written through the status subresource, as a kubelet would). The
Service, its EndpointSlice and everything after are what runs against EKS:
the proxy URL, a bearer token, the API server's CA, the pinot_tables role and
pinot_controller_info.
"""
import socket
import threading

import pytest

from integration.playbook import assert_ok, failures, run_play, run_playbook
from integration.test_pipeline_roles import _target
from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import PinotClient


def _host_address() -> str:
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


@pytest.fixture
def proxied_controller(kube_cluster, kube_namespace, pinot_cluster):
    """The proxy URL of a Service `pinot-controller` whose endpoint is the real controller."""
    relay = Relay(_host_address(), int(pinot_cluster.controller_url.rsplit(":", 1)[1]))
    ns = kube_namespace
    kube_cluster.request("POST", f"/api/v1/namespaces/{ns}/services", {
        "metadata": {"name": "pinot-controller"},
        "spec": {"ports": [{"name": "http", "port": 9000, "targetPort": relay.port}]}})
    # A node without kwok's annotation: kwok leaves it and its pods alone.
    node = f"relay-{ns}"[:63]
    kube_cluster.request("POST", "/api/v1/nodes", {"metadata": {"name": node}})
    kube_cluster.request("POST", f"/api/v1/namespaces/{ns}/pods", {
        "metadata": {"name": "pinot-controller-0", "labels": {"app": "pinot", "component": "controller"}},
        "spec": {"nodeName": node, "containers": [{"name": "controller", "image": "apachepinot/pinot:1.5.1"}]}})
    kube_cluster.request("PATCH", f"/api/v1/namespaces/{ns}/pods/pinot-controller-0/status", {"status": {
        "phase": "Running", "podIP": relay.address, "podIPs": [{"ip": relay.address}],
        "conditions": [{"type": "Ready", "status": "True"}]}})
    kube_cluster.request("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", {
        "metadata": {"name": "pinot-controller-relay", "labels": {
            "kubernetes.io/service-name": "pinot-controller",
            "endpointslice.kubernetes.io/managed-by": "streamstack-tests"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [relay.address], "conditions": {"ready": True},
                       "targetRef": {"kind": "Pod", "namespace": ns, "name": "pinot-controller-0"}}],
        "ports": [{"name": "http", "port": relay.port, "protocol": "TCP"}]})
    try:
        yield f"{kube_cluster.server}/api/v1/namespaces/{ns}/services/pinot-controller:9000/proxy", relay
    finally:
        relay.close()
        kube_cluster.kubectl("delete", "node", node, "--wait=false", "--ignore-not-found", check=False)


def test_tables_and_health_through_the_api_proxy(kube_cluster, proxied_controller, kafka_broker, pinot_cluster,
                                                 aws_env, tmp_path):
    proxy_url, relay = proxied_controller
    auth = {"Authorization": f"Bearer {kube_cluster.token}"}
    target = dict(_target(kafka_broker, pinot_cluster), pinot_tables_controller_url=proxy_url,
                  pinot_tables_controller_headers=auth, pinot_tables_ca_path=str(kube_cluster.ca_file))
    try:
        first = run_playbook("pipeline.yml", "none.yml", aws_env, extra_json=dict(target, pipeline_state="present"))
        assert_ok(first, "schemas and tables through the proxy")
        assert "pinot_tables : Reconcile each table" in first.changed_tasks()
        assert relay.connections > 0, "the API server never reached Pinot: the test proved nothing"
        # Pinot itself (not through the proxy) has the table.
        assert PinotClient(pinot_cluster.controller_url).get("/tables/events/schema")[1]["schemaName"] == "events"
        again = run_playbook("pipeline.yml", "none.yml", aws_env, extra_json=dict(target, pipeline_state="present"))
        assert_ok(again, "again through the proxy")
        assert again.changed == 0, again.changed_tasks()

        # verify's Pinot check on AWS: the same module and arguments, through the proxy.
        check = {"streamstack.pipeline.pinot_controller_info": {
            "controller_url": proxy_url, "headers": auth, "ca_path": str(kube_cluster.ca_file),
            "expect": {"controller": 1, "broker": 1, "server": 1, "minion": 1}, "tables": ["events"],
            "fail_on_unhealthy": False}, "register": "pinot", "until": "pinot.healthy", "retries": 10, "delay": 3}
        rc, results, output = run_play(tmp_path, aws_env, [dict(check, name="Pinot through the proxy")], name="proxy-health")
        assert rc == 0, f"{failures(results)}\n{output[-2000:]}"
        health = results["Pinot through the proxy"]
        assert health["healthy"] and health["live_counts"]["server"] == 1

        # The API server's authorisation and TLS are real: no token, or another CA, is refused.
        bad = [dict(check, name="No token", ignore_errors=True, **{"streamstack.pipeline.pinot_controller_info": dict(
                   check["streamstack.pipeline.pinot_controller_info"], headers={})}),
               dict(check, name="Wrong CA", ignore_errors=True, **{"streamstack.pipeline.pinot_controller_info": dict(
                   check["streamstack.pipeline.pinot_controller_info"], ca_path="/etc/ssl/certs/ca-certificates.crt")})]
        for task in bad:
            task.pop("until"), task.pop("retries"), task.pop("delay")
        rc, results, output = run_play(tmp_path, aws_env, bad, name="proxy-refused")
        # Without a token the request is anonymous, which the API server refuses (403, as EKS does).
        refused = str(results["No token"].get("problems") or results["No token"].get("msg"))
        assert "HTTP 403" in refused and "system:anonymous" in refused, refused
        wrong_ca = str(results["Wrong CA"].get("problems") or results["Wrong CA"].get("msg"))
        assert "CERTIFICATE_VERIFY_FAILED" in wrong_ca or "certificate verify failed" in wrong_ca, wrong_ca
    finally:
        down = run_playbook("pipeline.yml", "none.yml", aws_env, extra_json=dict(target, pipeline_state="absent"))
        assert_ok(down, "delete through the proxy")
