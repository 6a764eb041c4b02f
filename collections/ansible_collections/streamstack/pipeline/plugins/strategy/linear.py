# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: linear
short_description: Ansible's linear strategy, its modules run through Mitogen when it is installed
version_added: 0.3.0
description:
  - Task by task on every host, like C(ansible.builtin.linear).
  - With the C(mitogen) Python package installed (requirements.txt pins it), each
    module runs in an interpreter kept for the whole run, so C(boto3) and the
    module utilities are imported once instead of once per task. A deploy runs
    about 175 tasks, most of them AWS calls of well under a second; the import
    was most of each. Measured on 2 cores against the emulator, a no-op
    re-deploy of poc takes about half the time (bench/README.md).
  - Without C(mitogen) (an execution environment built without it, for example)
    this is exactly C(ansible.builtin.linear).
  - Choose another strategy with C(ANSIBLE_STRATEGY=ansible.builtin.linear) or a
    play's C(strategy) keyword.
author:
  - streamstack maintainers
"""

try:
    import ansible_mitogen.loaders
    import ansible_mitogen.strategy
except ImportError:  # no Mitogen: Ansible's own linear strategy
    from ansible.plugins.strategy.linear import StrategyModule  # noqa: F401
else:
    class StrategyModule(ansible_mitogen.strategy.StrategyMixin,
                         ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)):
        """Mitogen's linear strategy (what its mitogen_linear plugin defines)."""
