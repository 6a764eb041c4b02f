"""Time to live: expiry arithmetic, parsing, and which environments have expired (pure logic)."""
import datetime
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.filter.ttl import ttl_expiry  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils import ttl  # noqa: E402

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 24, 18, 30, 15, 123456, tzinfo=UTC)


def resource(env, expires=None, kind="ec2:vpc", rid="vpc-1"):
    tags = {"Project": "streamstack", "Environment": env}
    if expires:
        tags["ExpiresAt"] = expires
    return {"kind": kind, "id": rid, "arn": rid, "tags": tags}


def test_expiry_is_now_plus_the_hours_in_utc_seconds():
    assert ttl.expiry(5, NOW) == "2026-11-24T23:30:15Z"
    assert ttl.expiry(0.5, NOW) == "2026-11-24T19:00:15Z"
    assert ttl.expiry(0, NOW) is None and ttl.expiry(None, NOW) is None and ttl.expiry("", NOW) is None
    with pytest.raises(ttl.TtlError, match="negative"):
        ttl.expiry(-1, NOW)


def test_parse_needs_a_utc_time():
    assert ttl.render(ttl.parse("2026-11-24T23:00:00Z")) == "2026-11-24T23:00:00Z"
    assert ttl.render(ttl.parse("2026-11-25T00:00:00+01:00")) == "2026-11-24T23:00:00Z"
    with pytest.raises(ttl.TtlError, match="no time zone"):
        ttl.parse("2026-11-24T23:00:00")
    with pytest.raises(ttl.TtlError, match="ttl_expires_at 'tomorrow'"):
        ttl.parse("tomorrow")


def test_the_filter_prefers_an_absolute_expiry_and_names_ttl_hours():
    assert ttl_expiry(5, expires_at="2030-01-01T00:00:00Z") == "2030-01-01T00:00:00Z"
    assert ttl_expiry(2, now="2026-11-24T10:00:00Z") == "2026-11-24T12:00:00Z"
    assert ttl_expiry(0) == ""
    with pytest.raises(AnsibleFilterError, match="ttl_hours"):
        ttl_expiry("soon")


def test_an_environment_expires_at_its_latest_expiry():
    found = [resource("poc", "2026-11-24T17:00:00Z", rid="vpc-1"),
             resource("poc", "2026-11-24T20:00:00Z", kind="msk_cluster", rid="poc"),  # extended
             resource("dev", "2026-11-24T12:00:00Z"),
             resource("staging"),                                                   # no expiry: never listed
             resource("odd", "next tuesday")]                                        # not a time: never reaped
    envs = ttl.expired(found, datetime.datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    assert envs == {"dev": {"expires_at": "2026-11-24T12:00:00Z", "expired": True, "resources": 1},
                    "poc": {"expires_at": "2026-11-24T20:00:00Z", "expired": False, "resources": 2}}
    later = ttl.expired(found, datetime.datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    assert later["poc"]["expired"] is True  # the expiry itself counts as passed
