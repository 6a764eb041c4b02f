"""Patch layer over moto 5.2.5 (pinned: the patches rely on its internals).

``apply_all()`` must run in the server process before the moto app is built
(url routes are read from ``moto.<service>.urls.url_paths`` when the
per-service Flask app is created).  It is idempotent.
"""

from __future__ import annotations

_applied = False


def apply_all() -> None:
    global _applied
    if _applied:
        return
    import moto

    if moto.__version__ != "5.2.5":  # the patches rest on moto internals
        raise RuntimeError(f"harness patches need moto 5.2.5, found {moto.__version__}")

    from . import codebuild, ec2, eks, elbv2, enis, iam, kafka, kinesisanalyticsv2

    iam.apply()
    enis.apply()
    kafka.apply()
    eks.apply()
    ec2.apply()
    elbv2.apply()
    kinesisanalyticsv2.apply()
    codebuild.apply()
    _applied = True
