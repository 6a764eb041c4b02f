# Ansible's linear strategy, run by Mitogen for Ansible when it is installed
# (requirements.txt): a module then runs in a persistent interpreter instead of
# a new Python per task (most of a task's cost against AWS). Where Mitogen is
# absent (an AWX execution environment), the stock linear strategy runs.
from __future__ import annotations

DOCUMENTATION = """
name: streamstack_linear
short_description: Linear, executed by Mitogen when installed
description:
  - Ansible's linear strategy. When the C(mitogen) package is installed, Mitogen's
    C(mitogen_linear) runs it, with Mitogen's CPU pinning off; otherwise the stock
    linear strategy does.
author: streamstack
"""

try:
    import ansible_mitogen.affinity
    from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule  # noqa: F401
except ImportError:
    from ansible.plugins.strategy.linear import StrategyModule  # noqa: F401
else:
    # Mitogen pins its processes, and every process a module starts, to CPUs of
    # its choice: on 2 cores the local profile's JVMs would share one. No pinning.
    ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()
