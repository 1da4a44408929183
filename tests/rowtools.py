"""Helpers shared by the suite-row tests (tests/test_suite_rows_*.py)."""
from __future__ import annotations


def one_off(values, k, value):
    """A copy of ``values`` with entry ``k`` replaced by ``value`` (one failing element at a chosen position)."""
    out = list(values)
    out[k] = value
    return out
