"""Bootstrap and verify Pinot the way deploy and verify do on EKS: from
outside the cluster, through the Kubernetes API's service proxy.

A real kube-apiserver (the harness) proxies to a real Pinot 0.11 (the
``pinot_cluster`` fixture) through a relay (integration/kubeproxy.py says why).
The Service and everything after are what runs against EKS: the proxy URL, a
bearer token, the API server's CA, the pinot_tables role and
pinot_controller_info.
"""
import pytest

from integration.kubeproxy import proxied_service
from integration.playbook import assert_ok, failures, run_play, run_playbook
from integration.test_pipeline_roles import _target
from ansible_collections.streamstack.pipeline.plugins.module_utils.pinot_client import PinotClient


@pytest.fixture
def proxied_controller(kube_cluster, kube_namespace, pinot_cluster):
    """The proxy URL of a Service `pinot-controller` whose endpoint is the real controller."""
    with proxied_service(kube_cluster, kube_namespace, "pinot-controller", 9000,
                         int(pinot_cluster.controller_url.rsplit(":", 1)[1])) as proxied:
        yield proxied


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
