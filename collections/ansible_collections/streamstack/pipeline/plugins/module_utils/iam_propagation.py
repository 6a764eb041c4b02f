# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry a call that a service refuses because IAM has not yet propagated a role.

IAM is eventually consistent: a role created (or whose trust policy changed) a
few seconds ago cannot yet be assumed by EKS or Managed Flink, and they answer
exactly as for a role that does not exist or does not trust them. A module
that creates something with a role this run may just have made retries those
answers with amazon.aws's ``AWSRetry`` (jittered backoff, bounded), never a
fixed sleep: ``until_assumable()`` is that decorator; it also retries what
AWSRetry always does (throttling, 5xx).

A role that truly cannot be assumed fails the same way after the retries (about
two minutes), with the service's own message.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# (error code, words of the message) a service answers for a role it cannot assume (yet).
NOT_YET_ASSUMABLE = (
    ("InvalidParameterException", "could not be assumed"),  # EKS CreateCluster / CreateNodegroup
    ("InvalidParameterException", "error in role params"),  # EKS CreateCluster (terraform-provider-aws#11127)
    ("InvalidArgumentException", "sufficient privileges to assume the role"),  # Managed Flink
)
CODE = "RoleNotYetAssumable"


def not_yet_assumable(error):
    """True when a botocore ClientError is a service's refusal to assume a role."""
    details = (getattr(error, "response", None) or {}).get("Error") or {}
    code, message = details.get("Code", ""), details.get("Message", "").lower()
    return any(code == known and words in message for known, words in NOT_YET_ASSUMABLE)


class PropagationRetry(AWSRetry):
    """AWSRetry that sees a refusal to assume a role as the retryable code ``CODE``."""

    @staticmethod
    def status_code_from_exception(error):
        return CODE if not_yet_assumable(error) else AWSRetry.status_code_from_exception(error)


def until_assumable(retries=8, delay=2, max_delay=30):
    """The decorator: jittered backoff from ``delay`` s, at most ``max_delay`` s apart, ``retries`` times."""
    return PropagationRetry.jittered_backoff(retries=retries, delay=delay, max_delay=max_delay,
                                             catch_extra_error_codes=[CODE])


def missing_role(module, role_arn):
    """True when IAM says ``role_arn`` does not exist: checked before a create, so a
    wrong ARN fails at once instead of after the retries. Without iam:GetRole
    permission (or on any other error) the role is assumed to exist."""
    import botocore.exceptions

    name = str(role_arn).rsplit("/", 1)[-1]
    try:
        module.client("iam", retry_decorator=AWSRetry.jittered_backoff()).get_role(RoleName=name, aws_retry=True)
    except botocore.exceptions.ClientError as exc:
        return exc.response.get("Error", {}).get("Code") == "NoSuchEntity"
    except botocore.exceptions.BotoCoreError:
        return False
    return False
