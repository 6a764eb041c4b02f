# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for AWS resources: does a resource carry all the given tags?"""


def tagged(resource, tags):
    """True when every key of ``tags`` is on ``resource['tags']`` with that value.

    Teardown finds resources by the environment's tags; a resource with no
    tags, or with other values, is never selected.
    """
    have = (resource or {}).get("tags") or {}
    if isinstance(have, list):  # boto3's [{'Key': .., 'Value': ..}] form
        have = {t.get("Key"): t.get("Value") for t in have}
    return all(have.get(k) == v for k, v in (tags or {}).items())


class TestModule:
    def tests(self):
        return {"tagged": tagged}
