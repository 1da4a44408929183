"""Hardening: the sweep's digit counts and verdict decisions (implicitreg/experiments/sweep_tasks.py), each alone.

docs/sweeps.md: ``observed`` carries ``observed_digits`` certified digits (never more than asked: ``digits``),
``undecided`` when observed and bound agree to every certified digit, ``consistent`` when |slope - predicted| <= 0.02.
"""
from __future__ import annotations

import json

import mpmath
import pytest
from mpmath import mpf

from implicitreg.experiments import sweep_tasks as st

BASE = {"spec": "hard", "family": "random", "label": "t", "seed": None, "instance": {"A": [["1", "1/2"]], "y": ["1"]},
        "depth": "2", "alpha_convention": "product", "certificate": False}


def test_digits_of_an_accuracy_claims_only_the_digits_every_point_of_the_interval_shares():
    # [1 - 1e-10, 1 + 1e-10]: 0.9999999999 and 1.000000000 differ at 10 significant digits and agree at 9
    with mpmath.workdps(40):
        assert st._digits_of(mpf(1), mpf(10) ** -10) == 9
        assert st._digits_of(mpf(-5), mpf(10) ** -10) == 9     # |value|/acc = 5e10: floor(log10) = 10, minus 1
        assert st._digits_of(mpf("0.5"), mpf(10) ** -3) == 1
        assert st._digits_of(mpf(1), mpf("0.5")) == 0           # never negative
        assert st._digits_of(0, mpf(10) ** -10) == 0            # a zero has no significant digits
        assert st._digits_of(mpf(1), 0) == 1000                 # exact


@pytest.mark.parametrize("d", [5, 10, 30])
def test_undecided_band_is_one_unit_of_the_last_certified_digit(d):
    """observed = b (1 + 5 10^-d) rounds to the same d - 1 digits as b: with d certified digits of a value whose
    last digit may be off by its rounding, the sides are not decided; a gap of 2 units of the (d-1)-th digit is."""
    with mpmath.workdps(d + 20):
        b = mpf(7)
        for k in (5, 9):
            for side in ("upper", "lower"):
                assert st._decide(side, b * (1 + k * mpf(10) ** -d), b, d)[0] == "undecided"
                assert st._decide(side, b * (1 - k * mpf(10) ** -d), b, d)[0] == "undecided"
        far = 2 * mpf(10) ** -(d - 1)
        assert st._decide("upper", b * (1 + far), b, d)[0] == "violated"
        assert st._decide("upper", b * (1 - far), b, d)[0] == "holds"
        assert st._decide("lower", b * (1 + far), b, d)[0] == "holds"
        assert st._decide("lower", b * (1 - far), b, d)[0] == "violated"


def test_lower_bound_trivial_only_at_or_below_zero():
    with mpmath.workdps(30):
        v, r = st._decide("lower", mpf("1e-5"), mpf("1e-4"), 20)
        assert v == "violated"
        v, r = st._decide("lower", mpf(0), mpf(0), 20)
        assert v == "holds" and "trivial" in r
        assert st._decide("lower", mpf("1e-5"), mpf("1e-30"), 20)[0] == "holds"


def test_bound_row_never_claims_more_digits_than_asked():
    content = dict(BASE, statement="MS-D2:upper_l1", digits=6, alpha="1e-8")
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "holds", row
    assert 1 <= row["observed_digits"] <= 6
    mant = row["observed"].lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    assert len(mant) == row["observed_digits"]
    # the error of the limit is positive and below the bound
    assert 0 < float(row["observed"]) < float(row["bound"])
    assert row["ratio_f"] == pytest.approx(row["observed_f"] / row["bound_f"], rel=1e-6)


def test_kink_row_never_claims_more_digits_than_asked():
    content = dict(BASE, family="kink", statement="kink_error", alpha_convention="factor", digits=6,
                   alpha="1e-3", instance={"A": [["1", "1/2"]], "y": ["1"], "eps": "1/2"})
    err, d, _ = st._kink_error(content)
    assert 1 <= d <= 6
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "measured" and row["observed_digits"] <= 6


def test_fitted_rate_tolerance_is_two_sided(monkeypatch):
    """A slope 0.5 below the prediction is as inconsistent as one 0.5 above (|slope - predicted| <= 0.02)."""
    content = dict(BASE, statement="fitted_rate", digits=8, alphas=["1e-4", "1e-6", "1e-8"])
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "consistent", row
    predicted = mpf(row["bound"])
    assert predicted == mpf(1) / 2        # MS-D2 at D = 2: 1 - rho, rho = 1/2 on A = [1, 1/2]
    for shift, verdict in (("-0.5", "inconsistent"), ("0.5", "inconsistent"), ("-0.019", "consistent"),
                           ("0.019", "consistent"), ("0.021", "inconsistent"), ("-0.021", "inconsistent")):
        monkeypatch.setattr(st, "_slope", lambda xs, ys, s=shift: predicted + mpf(s))
        assert st.evaluate_task(content, "k")["verdict"] == verdict, shift


def test_fit_needs_every_point_resolved(monkeypatch):
    """One point with fewer than MIN_FIT_DIGITS certified digits makes the fit undecided, even when the others
    are fine (the minimum over the points decides, not the best point)."""
    content = dict(BASE, statement="fitted_rate", digits=8, alphas=["1e-4", "1e-6", "1e-8"])
    real = st._Diagonal.observe
    calls = []

    def observe(self, what):
        value, d = real(self, what)
        calls.append(d)
        return value, (2 if len(calls) == 2 else d)

    monkeypatch.setattr(st._Diagonal, "observe", observe)
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "undecided", row
    assert json.loads(row["extra"])["observed_digits"][1] == 2


def test_rate_statements_need_three_alphas():
    assert st.check_statement("MS-D2:rate", "random", [2], 3) is None
    assert "3 alphas" in st.check_statement("MS-D2:rate", "random", [2], 2)
    assert st.check_statement("fitted_rate", "random", [2], 3) is None
    assert "3 alphas" in st.check_statement("fitted_rate", "random", [2], 2)
