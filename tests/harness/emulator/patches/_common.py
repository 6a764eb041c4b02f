"""Helpers shared by the service patches (moto 5.2.5 internals).

* ``managed_status`` turns a plain status attribute of a moto model class into
  a property backed by ``moto.moto_api``'s ``ManagedState``, so tests steer
  transitions through ``/moto-api/state-manager/set-transition``.
* ``parsed_params`` parses a request with moto's own botocore-model parser,
  giving typed values keyed by the botocore member names (``ClusterName``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState

# Default for every model registered here.  "immediate": the response of the
# create/delete call itself still shows the transitional status (CREATING,
# DELETING, like AWS), but the first describe already shows the final one, so
# playbooks with wait: true never sleep.  Tests override it per model.
DEFAULT_TRANSITION = {"progression": "immediate"}

_MS = "_harness_managed_state"


def managed_status(
    cls: type,
    attr: str,
    model_name: str,
    transitions: list[tuple[str, str]],
    on_status: Callable[[Any, Any], None] | None = None,
) -> None:
    """Make ``cls.<attr>`` a property driven by a per-object ManagedState.

    moto's models assign the attribute in ``__init__`` (``self.status = ...``);
    a data descriptor on the class intercepts that assignment, so no model
    code has to change.  Reading the attribute applies the configured
    transition (immediate/manual/time).  ``on_status(obj, status)`` runs after
    each read, for side effects of reaching a status (e.g. releasing an ENI).
    """

    def _get(self: Any) -> Any:
        ms = self.__dict__.get(_MS)
        if ms is None:
            return None
        cfg = state_manager.get_transition(model_name)
        if cfg["progression"] == "manual":
            status = ms._status  # "manual" moves only on describe: see observe()
        elif cfg["progression"] == "time" and "per_status" in cfg:
            status = _advance_in_time(ms, cfg)
        else:
            status = ms.status  # immediate / time
        if on_status is not None:
            on_status(self, status)
        return status

    def _set(self: Any, value: Any) -> None:
        ms = self.__dict__.get(_MS)
        if ms is None:
            ms = ManagedState(model_name, transitions)
            self.__dict__[_MS] = ms
        # ManagedState's own setter keeps the old tick/time; an explicit
        # status change (e.g. to DELETING) must start a fresh transition.
        ms._status = value
        ms._tick = 0
        ms._time_progressed = datetime.now()

    setattr(cls, attr, property(_get, _set))
    state_manager.register_default_transition(model_name, DEFAULT_TRANSITION)


def _advance_in_time(ms: ManagedState, cfg: dict[str, Any]) -> Any:
    """A "time" transition whose wait depends on the status it leaves:
    ``{"progression": "time", "seconds": 5, "per_status": {"DELETING": 2}}`` stays
    CREATING 5 s and DELETING 2 s (the latency profile of bench/, where AWS takes
    25 min to create an MSK cluster but less to delete it). Moto's own "time"
    waits the same ``seconds`` for every status."""
    while True:
        following = ms._get_next_status(ms._status)
        if following == ms._status:
            return ms._status
        wait = float(cfg["per_status"].get(ms._status, cfg.get("seconds", 0)))
        due = ms._time_progressed + timedelta(seconds=wait)
        if datetime.now() < due:
            return ms._status
        ms._status, ms._time_progressed = following, due


def raw_status(obj: Any) -> Any:
    """The stored status, without applying a transition (for create/delete
    responses, which on AWS show CREATING/DELETING)."""
    ms = obj.__dict__.get(_MS)
    return None if ms is None else ms._status


def observe(obj: Any) -> None:
    """Count one describe/list of ``obj``; call it *before* reading the status
    for the response.

    With ``{"progression": "manual", "times": N}`` the first N describes after
    a change show the transitional status (CREATING, UPDATING, DELETING,
    pending, ...) and the next describe shows the following one.  Other calls
    (e.g. GetBootstrapBrokers, CreateNodegroup's "cluster ACTIVE?" check)
    see the status the last describe showed.  "immediate" and "time" need no
    counting: every read applies them.
    """
    ms = obj.__dict__.get(_MS)
    if ms is None:
        return
    cfg = state_manager.get_transition(ms.model_name)
    if cfg.get("progression") == "manual":
        if ms._tick >= int(cfg.get("times", 1)):
            ms._status = ms._get_next_status(ms._status)
            ms._tick = 0
        ms._tick += 1


def parsed_params(response: Any) -> dict[str, Any]:
    """Request parameters parsed with the botocore model (typed, blobs
    decoded, URI labels included), keyed by botocore member names."""
    response.parse_parameters(response.normalized_request)
    return dict(response.params)


class StatusView:
    """Read-only view of a model that overrides some attributes (used to
    serialise a create/delete response with its transitional status)."""

    def __init__(self, obj: Any, **overrides: Any) -> None:
        self.__dict__["_obj"] = obj
        self.__dict__["_overrides"] = overrides

    def __getattr__(self, name: str) -> Any:
        overrides = self.__dict__["_overrides"]
        if name in overrides:
            return overrides[name]
        return getattr(self.__dict__["_obj"], name)


# Services whose resources own EC2 network interfaces (MSK brokers, EKS
# control plane) register a "reaper" that finishes deletions whose transition
# has completed, so EC2's dependency checks see the same thing a describe
# call would.  Signature: reaper(account_id, region).
_REAPERS: list[Callable[[str, str], None]] = []


def register_reaper(fn: Callable[[str, str], None]) -> None:
    if fn not in _REAPERS:
        _REAPERS.append(fn)


def run_reapers(account_id: str, region: str) -> None:
    for fn in _REAPERS:
        fn(account_id, region)


def error_class(moto_package: str) -> type:
    """A ServiceException subclass that moto serialises with ``moto_package``'s
    botocore error shapes (moto derives the service from the exception's
    module name, so it must look like ``moto.<package>.exceptions``)."""
    from moto.core.exceptions import ServiceException

    cls = type(f"Harness{moto_package.title()}Error", (ServiceException,), {})
    cls.__module__ = f"moto.{moto_package}.exceptions"
    return cls
