"""Shared pytest fixtures.

* ``aws_emulator`` (session): one AWS emulator server (moto + the harness
  patches, see tests/harness/emulator/README.md), started on first use on a
  free 127.0.0.1 port and stopped at the end of the session, also on failure.
  ``aws_emulator.url`` is the endpoint to give boto3 / module_defaults.
* ``aws_env``: environment for subprocesses (ansible-playbook, scripts):
  os.environ plus test credentials and region; no AWS_ENDPOINT_URL (point
  tools at ``aws_emulator.url`` explicitly).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.emulator import Emulator  # noqa: E402
pytest_plugins = ["harness.conftest_services"]


@pytest.fixture(scope="session")
def aws_emulator():
    emu = Emulator.start(timeout=30)
    try:
        yield emu
    finally:
        emu.stop()


# Variables that would send subprocesses somewhere else or use other
# credentials than the test ones.
_AWS_STRIP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@pytest.fixture
def aws_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_ENDPOINT_URL") and k not in _AWS_STRIP
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env
