"""ELBv2 patches: an Application Load Balancer reports every attribute AWS does.

Stock moto 5.2.5 creates a load balancer with five attributes (two more are
"commented out for TF compatibility"), so amazon.aws.elb_application_lb fails
with KeyError 'idle_timeout_timeout_seconds' or
'routing_http_drop_invalid_header_fields_enabled' whenever those options are
set. AWS's DescribeLoadBalancerAttributes returns all of them with their
defaults (Elastic Load Balancing API reference, LoadBalancerAttribute).

A load balancer also owns network interfaces: one per subnet, with its
security groups, described "ELB app/NAME/ID" as AWS does; they outlive the
load balancer's deletion for a while (patches/enis.py), so EC2 refuses to
delete its security group or subnets until they are gone.
"""

from __future__ import annotations

from typing import Any

# AWS's defaults for an application load balancer.
ALB_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "client_keep_alive.seconds": "3600",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
}


def apply() -> None:
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    from . import enis

    stock_create, stock_delete = ELBv2Backend.create_load_balancer, ELBv2Backend.delete_load_balancer

    def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        lb = stock_create(self, *args, **kwargs)
        kind = "app" if lb.type == "application" else "net"
        lb.__dict__["_harness_enis"] = [
            enis.create(self.ec2_backend, subnet.id, lb.security_groups or [],
                        f"ELB {kind}/{lb.name}/{lb.arn.rsplit('/', 1)[-1]}", "elasticloadbalancing")
            for subnet in lb.subnets]
        return lb

    def delete_load_balancer(self: ELBv2Backend, arn: str) -> None:
        lb = self.load_balancers.get(arn)
        stock_delete(self, arn)
        if lb is not None:
            enis.release(self.ec2_backend, lb.__dict__.pop("_harness_enis", []), "elasticloadbalancing")

    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.delete_load_balancer = delete_load_balancer

    original = FakeLoadBalancer.__init__
    if getattr(original, "_streamstack", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.type == "application":
            self.attrs = {**ALB_DEFAULTS, **self.attrs}

    __init__._streamstack = True  # type: ignore[attr-defined]
    FakeLoadBalancer.__init__ = __init__
