"""IAM as the services that assume roles see it: trust and propagation.

AWS services assume a role when a resource is created with it (EKS
CreateCluster and CreateNodegroup, Managed Flink CreateApplication, ...). IAM
is eventually consistent: a role created (or whose trust policy changed) a
moment ago cannot be assumed yet, and the service refuses it with the same
error it gives for a role that does not exist or does not trust it (EKS:
``InvalidParameterException`` "Role with arn: ... could not be assumed because
it does not exist or the trusted entity is not correct"; Managed Flink:
``InvalidArgumentException`` "Kinesis Analytics service doesn't have
sufficient privileges to assume the role"). Stock moto accepts any role at
once.

``check_assumable(role, service, refuse)`` is what every patched service
calls: ``refuse()`` (the service's own error) when the role does not trust
``service``, or when it is younger than the propagation window of that
service principal, or when a refusal was asked for with ``times``.

Emulator-only knob, server-global like the state manager's transitions::

    POST /moto-api/static/iam/propagation
         {"seconds": {"eks.amazonaws.com": 15}, "times": {"ec2.amazonaws.com": 1}}
         seconds: a role younger than this (since CreateRole or its last
                  UpdateAssumeRolePolicy) is refused; a number applies to every service
         times:   the next N assumptions by that service are refused whatever the age
                  (deterministic, for tests of one code path)
         {} switches both off (the default) and clears the counts.
    GET  /moto-api/static/iam/propagation -> the settings and {"refused": {service: n}}
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import Any, Callable

KNOB_PATH = "{0}/moto-api/static/iam/propagation"
_lock = threading.Lock()
_state: dict[str, Any] = {"seconds": {}, "default_seconds": 0.0, "times": {}, "refused": {}}


def trust_grants(role: Any) -> list[tuple[set[str], set[str]]] | None:
    """(service principals, actions) of each Allow statement of a role's trust
    policy; None when the document cannot be read (then nobody should guess)."""
    def as_set(value: Any) -> set[str]:
        return {value} if isinstance(value, str) else set(value or [])

    try:
        doc = role.assume_role_policy_document
        doc = json.loads(doc) if isinstance(doc, str) else doc
        statements = doc.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        return [(as_set(st["Principal"].get("Service")), as_set(st.get("Action")))
                for st in statements if st.get("Effect") == "Allow" and isinstance(st.get("Principal"), dict)]
    except Exception:  # unparsable document
        return None


def trusted_services(role: Any) -> set[str] | None:
    """The service principals a role's trust policy allows; None when unparsable."""
    grants = trust_grants(role)
    return None if grants is None else set().union(*(services for services, _ in grants))


def _age_seconds(role: Any) -> float:
    changed = role.__dict__.get("_harness_trust_changed") or role.create_date
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - changed).total_seconds()


def check_assumable(role: Any, service: str, refuse: Callable[[], Exception],
                    untrusted: Callable[[], Exception] | None = None) -> None:
    """Raise the service's error unless ``service`` may assume ``role`` now."""
    services = trusted_services(role)
    if services is not None and service not in services:
        raise (untrusted or refuse)()
    with _lock:
        pending = _state["times"].get(service, 0)
        window = _state["seconds"].get(service, _state["default_seconds"])
        young = pending > 0 or (window > 0 and _age_seconds(role) < window)
        if pending > 0:
            _state["times"][service] = pending - 1
        if young:
            _state["refused"][service] = _state["refused"].get(service, 0) + 1
    if young:
        raise refuse()


def propagation_knob(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method == "POST":
        try:
            raw = request.get_data() if hasattr(request, "get_data") else request.data
            body = json.loads(raw or b"{}")
            seconds = body.get("seconds", {})
            with _lock:
                if isinstance(seconds, (int, float)):
                    _state["seconds"], _state["default_seconds"] = {}, float(seconds)
                else:
                    _state["seconds"] = {str(k): float(v) for k, v in seconds.items()}
                    _state["default_seconds"] = 0.0
                _state["times"] = {str(k): int(v) for k, v in body.get("times", {}).items()}
                _state["refused"] = {}
        except (ValueError, TypeError, AttributeError) as e:
            return 400, {}, json.dumps({"message": f"bad request: {e}"})
    with _lock:
        return 200, {}, json.dumps(_state)


def apply() -> None:
    from moto.iam.models import IAMBackend
    from moto.moto_api._internal import urls as moto_api_urls

    stock = IAMBackend.update_assume_role_policy

    def update_assume_role_policy(self: IAMBackend, role_name: str, policy_document: str) -> None:
        stock(self, role_name, policy_document)
        self.get_role(role_name).__dict__["_harness_trust_changed"] = datetime.now(timezone.utc)

    IAMBackend.update_assume_role_policy = update_assume_role_policy
    moto_api_urls.url_paths.setdefault(KNOB_PATH, propagation_knob)
