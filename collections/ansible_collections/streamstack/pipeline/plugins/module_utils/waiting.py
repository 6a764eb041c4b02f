# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits inside a module: ``poll`` reads until done, ``WaitTimeout`` when time runs out.

For the waits a module does itself (``wait: true``). The roles wait with
``until``/``retries`` instead, so each poll prints a progress line.
"""

from __future__ import annotations

import time


class WaitTimeout(Exception):
    """A wait ran out of time; ``status`` is the last status seen (None: gone)."""

    def __init__(self, message, status=None, waited=0.0):
        super().__init__(message)
        self.status = status
        self.waited = waited


def poll(read, done, timeout, what, status_of=lambda obj: None, interval_max=15.0, sleep=time.sleep):
    """Call ``read()`` until ``done(value)`` is true; 1 s, then doubling to ``interval_max``.

    Returns (value, waited seconds); raises WaitTimeout after ``timeout`` seconds.
    """
    start = time.monotonic()
    delay = 1.0
    while True:
        value = read()
        if done(value):
            return value, round(time.monotonic() - start, 1)
        waited = time.monotonic() - start
        if waited >= timeout:
            status = status_of(value)
            raise WaitTimeout(
                f"Timed out after {int(waited)} s waiting for {what} (status {status or 'gone'})",
                status=status, waited=round(waited, 1))
        sleep(min(delay, max(0.0, timeout - waited)))
        delay = min(delay * 2, interval_max)
