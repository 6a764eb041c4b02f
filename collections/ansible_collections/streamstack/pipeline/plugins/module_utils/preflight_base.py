# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every preflight rule file shares (preflight.py, preflight_pipeline.py):
the problem record and reading a whole number from an inventory value."""

from __future__ import annotations

import re


def problem(variable, message, fix):
    return {"variable": variable, "message": message, "fix": fix}


def whole(value):
    """Whole number or None (booleans and fractions are not numbers here; "3" from a template is)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return None
