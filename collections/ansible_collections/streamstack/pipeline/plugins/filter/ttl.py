# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ttl_expiry: the ExpiresAt tag value for a time to live, from now (UTC)."""

from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError
from ansible_collections.streamstack.pipeline.plugins.module_utils import ttl

DOCUMENTATION = r"""
name: ttl_expiry
short_description: The expiry (UTC, YYYY-MM-DDTHH:MM:SSZ) of a time to live in hours
version_added: 0.2.0
description:
  - Returns now plus O(_input) hours in UTC as C(YYYY-MM-DDTHH:MM:SSZ), or an empty string
    when the time to live is 0 or empty (no expiry).
  - With O(expires_at) given, returns it normalised instead (an absolute expiry wins).
options:
  _input:
    description: Hours, e.g. 5; 0 or empty for none.
    type: raw
    required: true
  expires_at:
    description: An absolute expiry (UTC) that overrides the hours.
    type: str
    default: ""
  now:
    description: The time to count from (UTC); default now.
    type: str
    default: ""
"""

EXAMPLES = r"""
expiry: "{{ ttl_hours | streamstack.pipeline.ttl_expiry }}"
"""

RETURN = r"""
_value:
  description: The expiry, or an empty string for none.
  type: str
"""


def ttl_expiry(hours, expires_at="", now=""):
    try:
        if expires_at:
            return ttl.render(ttl.parse(expires_at))
        start = ttl.parse(now, "ttl_now") if now else datetime.datetime.now(datetime.timezone.utc)
        return ttl.expiry(hours, start) or ""
    except (ttl.TtlError, ValueError, TypeError) as err:
        raise AnsibleFilterError("ttl_hours %r: %s" % (hours, err))


class FilterModule(object):
    def filters(self):
        return {"ttl_expiry": ttl_expiry}
