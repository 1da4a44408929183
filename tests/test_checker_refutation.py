"""Refutation certificates (proofs/checker/refutation.py): each refusal with exactly the field and message a user
reads, and the accepted certificate's lines.

``check`` is also called directly (no schema in front, as a program embedding the checker may do): its own
refusals of missing fields, an unknown quantity, a side or precision out of range must name the field.
"""
from __future__ import annotations

import copy

import pytest

import strategies_certificates as S
from implicitreg.proofs.checker import refutation as R

#: every field present (the values are never read before the refusals tested here)
SHELL = {key: {} for key in R.FIELDS}
SHELL.update(conjecture={"lhs": "err_l1", "side": "upper", "expr": "alpha"},
             tool={"name": "implicitreg", "version": "0", "checker_dps": 30})


def _shell(**changes):
    cert = copy.deepcopy(SHELL)
    for path, value in changes.items():
        keys = path.split("__")
        target = cert
        for k in keys[:-1]:
            target = target[k]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return cert


@pytest.mark.parametrize("key", R.FIELDS)
def test_check_names_each_missing_top_level_field(key):
    S.raises_exactly(key, "missing field", R.check, _shell(**{key: None}), [])


@pytest.mark.parametrize("key", ["lhs", "side", "expr"])
def test_check_names_a_missing_conjecture_field(key):
    S.raises_exactly(f"conjecture.{key}", "missing field", R.check, _shell(**{f"conjecture__{key}": None}), [])


def test_check_refuses_a_conjecture_that_is_not_an_object():
    S.raises_exactly("conjecture", "expected a JSON object", R.check, _shell(conjecture=["err_l1"]), [])
    S.raises_exactly("(top level)", "expected a JSON object", R.check, ["not", "a", "certificate"], [])


def test_check_refuses_an_unknown_quantity_and_side():
    S.raises_exactly("conjecture.lhs", "unknown quantity 'err_l3'", R.check, _shell(conjecture__lhs="err_l3"), [])
    S.raises_exactly("conjecture.side", "must be one of ('upper', 'lower')", R.check,
                     _shell(conjecture__side="both"), [])


@pytest.mark.parametrize("dps", [14, 2001, True, 30.0, "30"])
def test_check_refuses_a_precision_out_of_range(dps):
    S.raises_exactly("tool.checker_dps", "must be an integer in [15, 2000]", R.check, _shell(tool__checker_dps=dps), [])


def test_check_names_a_missing_precision():
    S.raises_exactly("tool.checker_dps", "missing field", R.check, _shell(tool__checker_dps=None), [])


@pytest.mark.parametrize("dps", [15, 2000])
def test_check_accepts_the_precision_range_ends(dps):
    """15 and 2000 pass the precision check: the next refusal is the (empty) instance's."""
    S.raises_exactly("instance.A", "missing field", R.check, _shell(tool__checker_dps=dps), [])
