"""Network interfaces that AWS services own in the customer's subnets, and their lingering.

Managed Flink applications in a VPC, application load balancers and EKS
managed node groups (through their instances) put requester-managed ENIs in
the subnets they are given, with their security groups. EC2 then refuses to
delete those subnets and groups (DependencyViolation, patches/ec2.py) while
the ENIs exist. AWS removes the interfaces of a load balancer and of a Flink
application some time *after* the owner is deleted (they linger); a node
group's go with its instances when its deletion completes.

``create(ec2, subnet_id, group_ids, description, owner)`` makes one;
``release(ec2, eni_ids, owner)`` schedules its removal after the owner's
linger; the EC2 reaper (registered in ``apply``) removes those whose time
has come, and those of terminated instances (moto keeps them listed, AWS
deletes them), before every dependency check and every DescribeNetworkInterfaces.

Emulator-only knob (server-global)::

    POST /moto-api/static/ec2/eni-linger {"seconds": {"kinesisanalytics": 5, "elasticloadbalancing": 5}}
    GET  /moto-api/static/ec2/eni-linger

Default: ``DEFAULT_LINGER`` below (a few seconds, so every teardown meets it).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from ._common import register_reaper

KNOB_PATH = "{0}/moto-api/static/ec2/eni-linger"
# owner -> seconds an interface outlives its owner. AWS gives no figure; minutes
# are commonly seen for both. Node groups: 0 (gone with the deletion itself).
DEFAULT_LINGER = {"kinesisanalytics": 2.0, "elasticloadbalancing": 2.0, "eks-nodegroup": 0.0}
_lock = threading.Lock()
_linger = dict(DEFAULT_LINGER)
_ATTR = "_harness_release_at"


def create(ec2: Any, subnet_id: str, group_ids: list[str], description: str, owner: str) -> str:
    eni = ec2.create_network_interface(ec2.get_subnet(subnet_id), None, group_ids=list(group_ids),
                                       description=description)
    eni.requester_managed = True
    eni.__dict__["_harness_owner"] = owner
    return eni.id


def release(ec2: Any, eni_ids: list[str], owner: str) -> None:
    with _lock:
        wait = _linger.get(owner, 0.0)
    due = time.monotonic() + wait
    for eni_id in eni_ids:
        eni = ec2.enis.get(eni_id)
        if eni is None:
            continue
        if wait <= 0:
            ec2.enis.pop(eni_id, None)
        else:
            eni.__dict__.setdefault(_ATTR, due)


def reap(account_id: str, region: str) -> None:
    from moto.ec2.models import ec2_backends

    try:
        ec2 = ec2_backends[account_id][region]
    except Exception:  # pragma: no cover - no backend yet
        return
    now = time.monotonic()
    for eni_id, eni in list(ec2.enis.items()):
        due = eni.__dict__.get(_ATTR)
        instance = getattr(eni, "instance", None)
        # moto keeps a terminated instance's interfaces listed (in-use); AWS deletes
        # them with the instance (DeleteOnTermination, the default of a launch).
        terminated = instance is not None and getattr(getattr(instance, "_state", None), "name", "") == "terminated"
        if (due is not None and due <= now) or terminated:
            ec2.enis.pop(eni_id, None)


def linger_knob(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method == "POST":
        try:
            raw = request.get_data() if hasattr(request, "get_data") else request.data
            body = json.loads(raw or b"{}")
            with _lock:
                _linger.clear()
                _linger.update(DEFAULT_LINGER)
                _linger.update({str(k): float(v) for k, v in body.get("seconds", {}).items()})
        except (ValueError, TypeError, AttributeError) as e:
            return 400, {}, json.dumps({"message": f"bad request: {e}"})
    with _lock:
        return 200, {}, json.dumps({"seconds": _linger})


def apply() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.moto_api._internal import urls as moto_api_urls

    from ._common import run_reapers

    stock = NetworkInterfaceBackend.get_all_network_interfaces  # DescribeNetworkInterfaces

    def get_all_network_interfaces(self: Any, eni_ids: Any = None, filters: Any = None) -> Any:
        run_reapers(self.account_id, self.region_name)
        return stock(self, eni_ids, filters)

    NetworkInterfaceBackend.get_all_network_interfaces = get_all_network_interfaces
    register_reaper(reap)
    moto_api_urls.url_paths.setdefault(KNOB_PATH, linger_knob)
