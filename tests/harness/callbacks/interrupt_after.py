# -*- coding: utf-8 -*-
"""The test harness's interruption of a playbook run (tests/integration/test_interruptions.py).

With STREAMSTACK_INTERRUPT="<n>:<KILL|INT>" in the environment, right after the
n-th task that changed something, the whole ansible-playbook process group
gets SIGKILL (a laptop lid, a killed AWX job) or SIGINT (Ctrl-C). The task's
name goes to STREAMSTACK_INTERRUPT_LOG first. Without the variable it does
nothing. Loaded from ANSIBLE_CALLBACK_PLUGINS; never part of the collection.
"""
from __future__ import annotations

import os
import signal

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: interrupt_after
type: aggregate
short_description: Interrupt the run after its n-th change (test harness only)
description:
  - With E(STREAMSTACK_INTERRUPT)=C(<n>:<KILL|INT>), sends SIGKILL or SIGINT to the run's
    process group right after the n-th task that reported a change.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "interrupt_after"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super().__init__()
        spec = os.environ.get("STREAMSTACK_INTERRUPT", "")
        self.after, _, sig = spec.partition(":")
        self.after = int(self.after) if self.after.isdigit() else 0
        self.signal = signal.SIGINT if sig.upper() == "INT" else signal.SIGKILL
        self.changes = 0
        self.fired = False

    def v2_runner_on_ok(self, result):
        if not self.after or self.fired or not result._result.get("changed"):
            return
        self.changes += 1
        if self.changes < self.after:
            return
        self.fired = True
        log = os.environ.get("STREAMSTACK_INTERRUPT_LOG")
        if log:
            with open(log, "w", encoding="utf-8") as handle:
                handle.write("%d %s %s\n" % (self.changes, self.signal.name, result._task.get_name()))
        os.killpg(os.getpgrp(), self.signal)
