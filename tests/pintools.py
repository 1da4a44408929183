"""The outputs pinned before the issue-19 refactor (tests/data/pinned_outputs.json, made at main 3e5b5f8), and how a new
output is compared with them: quantities by value (exact rationals exactly, decimals to the digits they carry), looked
up by name tolerant of renames and nesting. Used by tests/test_pinned_outputs.py and, for the ``verify`` rows, by
tests/test_suites_run.py (which runs each suite once for both checks).
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import mpmath
from mpmath import mpf

from implicitreg.numerics.precision import mpf_from

DATA = json.loads((Path(__file__).parent / "data" / "pinned_outputs.json").read_text())

#: old name -> names it may carry after the output-schema work (searched at any nesting depth)
ALIASES = {
    "x": ("x", "x_inf", "limit", "minimizer_selected"),
    "minimizer": ("minimizer", "x_star", "x"),
    "value": ("value", "l1_norm", "norm"),
    "unique": ("unique", "unique_bp"),
    "unique_bp": ("unique_bp", "unique"),
    "theorem": ("theorem", "statement", "name"),
    "passed": ("passed", "pass", "ok"),
    "margin": ("margin_text", "margin"),  # the suite's own margin (the schema's `margin` is observed/bound)
    "slope": ("slope", "slope_observed", "fitted_slope"),
}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+)?")


def find(obj, name):
    """The value of the first key among ``name``'s aliases, searched breadth-first through nested dicts."""
    names = ALIASES.get(name, (name,))
    level = [obj]
    while level:
        for key in names:
            for d in level:
                if isinstance(d, dict) and key in d:
                    return d[key]
        level = [v for d in level if isinstance(d, dict) for v in d.values() if isinstance(v, dict)]
    raise KeyError(name)


def as_number(value):
    """An exact Fraction for integers and 'p/q', an mpf for decimals; None for text without a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        return mpf(repr(value))
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, dict):  # a ball {"mid": .., "rad": ..} or a value with its text
        for key in ("mid", "value", "decimal"):
            if key in value:
                return as_number(value[key])
        return None
    text = str(value).strip()
    match = NUMBER.search(text)
    if not match:
        return None
    token = match.group(0)
    if re.fullmatch(r"[-+]?\d+(?:/\d+)?", token):
        return Fraction(token)
    with mpmath.workdps(60):
        return mpf(token)


def same(old, new, rel, absolute=0):
    """Equal as numbers within ``rel`` (relative) + ``absolute``; exact rationals exactly; else equal as data."""
    if isinstance(old, list):
        return isinstance(new, list) and len(old) == len(new) and all(same(a, b, rel, absolute)
                                                                      for a, b in zip(old, new))
    if isinstance(old, bool) or old is None:
        return old == new
    a, b = as_number(old), as_number(new)
    if a is None:
        return str(old) == str(new)
    if b is None:
        return False
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    with mpmath.workdps(60):
        a, b = mpf_from(a), mpf_from(b)
        return abs(a - b) <= rel * max(abs(a), abs(b)) + absolute



def _depth_key(depth):
    if depth is None:  # the output schema writes a missing depth as null, the old table as "-"
        return "-"
    try:
        return str(Fraction(str(depth)))
    except (ValueError, ZeroDivisionError):
        return str(depth)


def _rows(payload):
    for key in ("verdicts", "rows", "results"):
        if isinstance(payload, dict) and isinstance(payload.get(key), list):
            return payload[key]
    raise KeyError("no verdict rows in the verify output")



def check_verify_rows(payload, suite):
    """Compare every row of a ``verify --json`` payload of ``suite`` with the pinned rows: same rows (theorem,
    instance, depth), same verdict, margin and slope to 1e-3 relative."""
    rows = _rows(payload)
    old_rows = DATA["verify"][suite]
    assert len(rows) == len(old_rows)

    def key(row):
        return str(find(row, "theorem")), str(row["instance"]), _depth_key(row["depth"])

    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    for old in old_rows:
        new = groups[key(old)].pop(0)
        assert bool(find(new, "passed")) is old["passed"], key(old)
        for name in ("margin", "slope"):
            if as_number(old[name]) is not None:
                assert same(old[name], find(new, name), rel=mpf("1e-3"), absolute=mpf("1e-6")), (key(old), name)

