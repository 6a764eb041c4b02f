"""Amazon EC2 (VPC networking) on top of moto 5.2.5.

Gaps in stock moto that this module fixes:

* Tag resource types: moto files NAT gateways under ``nat-gateway`` and
  Elastic IPs under ``vpc-elastic-ip``; AWS uses ``natgateway`` and
  ``elastic-ip``.  amazon.aws.ec2_vpc_nat_gateway and amazon.aws.ec2_eip
  filter DescribeTags on AWS's names, never see their tags and report
  changed on every run.  The prefix->type table is corrected.
* NAT gateways are ``available`` at once and ``deleted`` at once, and keep
  their ENI and Elastic IP association after deletion.  Now pending ->
  available and deleting -> deleted through the state manager model
  ``ec2::nat_gateway``; on reaching ``deleted`` the ENI is removed and the
  EIP disassociated (as AWS does).  Deleting an unknown NAT gateway gives
  NatGatewayNotFound instead of a server error.
* No dependency checks.  AWS refuses, and now so does the emulator:
  - DeleteSecurityGroup while another group's rule references it, or a
    network interface (instances, NAT, MSK brokers, EKS control plane) or a
    load balancer uses it -> DependencyViolation; the default group ->
    CannotDelete;
  - DeleteSubnet while a non-deleted NAT gateway, a network interface or a
    load balancer is in it -> DependencyViolation;
  - ReleaseAddress while the address is associated (e.g. to a NAT gateway
    that is not yet deleted) -> InvalidIPAddress.InUse;
  - DetachInternetGateway while the VPC has public addresses mapped (EIPs
    on NAT gateways or ENIs) -> DependencyViolation;
  - DeleteVpc while an internet gateway is attached or non-default security
    groups remain -> DependencyViolation (moto drops them silently).
  Before each check the other services' finished deletions are reaped
  (MSK/EKS ENIs go away when their cluster's deletion completes).
* CreateLaunchTemplate copies its top-level TagSpecifications (the tags of
  the template itself, ResourceType ``launch-template``) into version 1's
  LaunchTemplateData; AWS keeps them apart.  amazon.aws.ec2_launch_template
  then sees version 1 differ from its parameters and adds a version on the
  next run.  The template's own tag spec is now kept out of the data.
* DescribeLaunchTemplates returns the tags the template was created with,
  not its current ones (CreateTags/DeleteTags on ``lt-`` ids are stored
  but never shown).  The template's tags are now read from the tag store.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.internet_gateways import InternetGatewayBackend
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateBackend
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.responses.security_groups import SecurityGroups

from ._common import StatusView, managed_status, observe, raw_status, run_reapers

NAT_MODEL = "ec2::nat_gateway"


def _err(code: str, msg: str) -> EC2ClientError:
    return EC2ClientError(code, msg)


def _live_enis(backend: Any) -> list[Any]:
    """ENIs that still exist on AWS (a terminated instance's ENI is gone)."""
    out = []
    for eni in list(backend.enis.values()):
        inst = getattr(eni, "instance", None)
        if inst is not None and getattr(getattr(inst, "_state", None), "name", "") == "terminated":
            continue
        out.append(eni)
    return out


def _load_balancers(backend: Any) -> list[Any]:
    try:
        from moto.elbv2.models import elbv2_backends

        return list(elbv2_backends[backend.account_id][backend.region_name].load_balancers.values())
    except Exception:  # pragma: no cover - no elbv2 backend
        return []


# --------------------------------------------------------------------------
# NAT gateway lifecycle
def _nat_on_status(nat: NatGateway, status: str) -> None:
    """On reaching 'deleted', release what AWS releases: ENI and EIP."""
    if status != "deleted" or nat.__dict__.get("_harness_released"):
        return
    nat.__dict__["_harness_released"] = True
    backend = nat.ec2_backend
    eni = getattr(nat, "_eni", None)
    for addr in list(backend.addresses):
        if eni is not None and addr.eni is eni:
            backend.disassociate_address(address=addr.public_ip)
    if eni is not None:
        backend.enis.pop(eni.id, None)


_stock: dict[str, Any] = {}


def create_nat_gateway_response(self: NatGateways) -> ActionResult:
    result = _stock["create_nat_gateway"](self)
    nat = result.result["NatGateway"]
    nat.state = "pending"
    return ActionResult({"NatGateway": StatusView(nat, state="pending")})


def describe_nat_gateways_response(self: NatGateways) -> ActionResult:
    filters = self._filters_from_querystring()
    ids = self._get_param("NatGatewayIds", [])
    for nat in self.ec2_backend.describe_nat_gateways(None, ids):
        observe(nat)  # a describe: may complete a "manual" transition
    return ActionResult({"NatGateways": self.ec2_backend.describe_nat_gateways(filters, ids)})


def delete_nat_gateway(self: NatGatewayBackend, nat_gateway_id: str) -> NatGateway:
    nat = self.nat_gateways.get(nat_gateway_id)
    if nat is None:
        raise _err("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
    if raw_status(nat) not in ("deleting", "deleted"):
        nat.state = "deleting"
    return nat


# --------------------------------------------------------------------------
# dependency checks
def delete_security_group(self: SecurityGroupBackend, name: str | None = None, group_id: str | None = None) -> None:
    group = None
    if group_id:
        group = self.get_security_group_from_id(group_id)
    elif name:
        group = self.get_security_group_by_name_or_id(name)
    if group is not None:
        run_reapers(self.account_id, self.region_name)
        gid = group.id
        for groups in self.groups.values():
            for other in groups.values():
                if other.id == gid:
                    continue
                for rule in list(other.ingress_rules) + list(other.egress_rules):
                    if (getattr(rule, "source_group", None) or {}).get("GroupId") == gid:
                        raise _err("DependencyViolation", f"resource {gid} has a dependent object")
        for eni in _live_enis(self):
            if any(g.id == gid for g in eni.group_set):
                raise _err("DependencyViolation", f"resource {gid} has a dependent object")
        for lb in _load_balancers(self):
            if gid in (lb.security_groups or []):
                raise _err("DependencyViolation", f"resource {gid} has a dependent object")
    return _stock["delete_security_group"](self, name=name, group_id=group_id)


def delete_security_group_response(self: SecurityGroups) -> Any:
    """API-level only: moto's own DeleteVpc removes the default group through
    the backend, which must keep working."""
    group_id = self._get_param("GroupId")
    name = self._get_param("GroupName")
    group = self.ec2_backend.get_security_group_by_name_or_id(group_id or name) if (group_id or name) else None
    if group is not None and group.name == "default":
        raise _err(
            "CannotDelete",
            f'the specified group: "{group.id}" name: "default" cannot be deleted by a user',
        )
    return _stock["delete_security_group_response"](self)


def delete_vpc(self: VPCBackend, vpc_id: str) -> Any:
    """AWS refuses while an internet gateway is attached or non-default
    security groups remain (moto: "TODO: Refuse to delete if there are
    dependent IGW", and it silently drops the groups)."""
    run_reapers(self.account_id, self.region_name)
    msg = f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
    for igw in self.internet_gateways.values():
        if igw.vpc is not None and igw.vpc.id == vpc_id:
            raise _err("DependencyViolation", msg)
    for group in self.groups.get(vpc_id, {}).values():
        if group.name != "default":
            raise _err("DependencyViolation", msg)
    return _stock["delete_vpc"](self, vpc_id)


def delete_subnet(self: SubnetBackend, subnet_id: str) -> Any:
    run_reapers(self.account_id, self.region_name)
    msg = f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
    for nat in self.nat_gateways.values():
        if nat.subnet_id == subnet_id and nat.state != "deleted":
            raise _err("DependencyViolation", msg)
    for eni in _live_enis(self):
        if eni.subnet is not None and eni.subnet.id == subnet_id:
            raise _err("DependencyViolation", msg)
    for lb in _load_balancers(self):
        if any(getattr(s, "id", s) == subnet_id for s in lb.subnets):
            raise _err("DependencyViolation", msg)
    return _stock["delete_subnet"](self, subnet_id)


def release_address(self: ElasticAddressBackend, address: str | None = None, allocation_id: str | None = None) -> None:
    eips = self.address_by_ip([address]) if address else self.address_by_allocation([allocation_id])
    eip = eips[0]
    # settle NAT gateways first: a finished deletion frees its address
    for nat in list(self.nat_gateways.values()):
        nat.state  # noqa: B018 - reading applies the transition (and release)
    if eip.association_id or eip.eni is not None or eip.instance is not None:
        raise _err("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
    return _stock["release_address"](self, address=address, allocation_id=allocation_id)


def detach_internet_gateway(self: InternetGatewayBackend, internet_gateway_id: str, vpc_id: str) -> None:
    run_reapers(self.account_id, self.region_name)
    for nat in list(self.nat_gateways.values()):
        nat.state  # noqa: B018 - settle transitions (a deleted NAT frees its EIP)
    igw = self.get_internet_gateway(internet_gateway_id)
    if igw.vpc is not None and igw.vpc.id == vpc_id:
        for eni in _live_enis(self):
            if eni.subnet is not None and eni.subnet.vpc_id == vpc_id and eni.public_ip:
                raise _err(
                    "DependencyViolation",
                    f"Network {vpc_id} has some mapped public address(es). Please unmap "
                    "those public address(es) before detaching the gateway.",
                )
    return _stock["detach_internet_gateway"](self, internet_gateway_id, vpc_id)


def create_launch_template(self: Any, name: str, description: str, template_data: dict[str, Any],
                           tag_spec: dict[str, dict[str, str]]) -> Any:
    specs = [s for s in template_data.get("TagSpecifications", []) if s.get("ResourceType") != "launch-template"]
    if specs:
        template_data["TagSpecifications"] = specs
    else:
        template_data.pop("TagSpecifications", None)
    return _stock["create_launch_template"](self, name, description, template_data, tag_spec)


def _launch_template_tags(self: LaunchTemplate) -> list[dict[str, str]]:
    return self.get_tags()


def apply() -> None:
    # The current tags, not a copy taken at creation (the constructor's
    # assignment to .tags is ignored).
    LaunchTemplate.tags = property(_launch_template_tags, lambda self, value: None)
    # AWS resource types for DescribeTags' resource-type filter and output.
    # (tags.py imported this dict by reference, so updating it in place works)
    ec2_utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"
    ec2_utils.EC2_PREFIX_TO_RESOURCE["eipalloc"] = "elastic-ip"

    _stock["create_nat_gateway"] = NatGateways.create_nat_gateway
    NatGateways.create_nat_gateway = create_nat_gateway_response
    NatGateways.describe_nat_gateways = describe_nat_gateways_response
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
    managed_status(
        NatGateway,
        "state",
        NAT_MODEL,
        [("pending", "available"), ("deleting", "deleted")],
        on_status=_nat_on_status,
    )

    for cls, name, fn in (
        (SecurityGroupBackend, "delete_security_group", delete_security_group),
        (SubnetBackend, "delete_subnet", delete_subnet),
        (ElasticAddressBackend, "release_address", release_address),
        (InternetGatewayBackend, "detach_internet_gateway", detach_internet_gateway),
        (VPCBackend, "delete_vpc", delete_vpc),
        (LaunchTemplateBackend, "create_launch_template", create_launch_template),
    ):
        _stock[name] = getattr(cls, name)
        setattr(cls, name, fn)
    _stock["delete_security_group_response"] = SecurityGroups.delete_security_group
    SecurityGroups.delete_security_group = delete_security_group_response
