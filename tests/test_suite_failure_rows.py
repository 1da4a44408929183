"""Failure paths of the selection suite's generated-instance rows, which the genuine run never takes.

``_generated_rows`` checks Thm E's slope on random planted faces; a planted instance whose fit misses the
predicted slope (or does not reject the shifted exponent) gets a FAIL row of its own, and the summary row fails when
the worst deviation exceeds the suite's slope tolerance, 0.02 (docs/mutation.md, the suite's SLOPE_TOL). With the
real fits every instance passes, so these paths are fed known violations through a stub ``slope_check`` that
returns the predicted slope moved by a chosen amount.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

import implicitreg.proofs.suites.selection as suite


class FakeErrors:
    errors = [mpmath.mpf("1e-20")]


def stub_slope_check(monkeypatch, shift, ok=None, mutant_rejected=True):
    def fake(instance, depth, bp=None, alphas=None):
        pred, _ = suite.predicted_slope(Fraction(depth), instance.N - len(bp.support), bp.rho)
        slope = mpmath.mpf(pred.numerator) / pred.denominator + shift
        passed = abs(shift) <= mpmath.mpf("0.02") if ok is None else ok
        return slope, pred, FakeErrors(), ["1e-10", "1e-12", "1e-14"], passed, mutant_rejected

    monkeypatch.setattr(suite, "slope_check", fake)


def summaries(rows):
    return [r for r in rows if r.instance.endswith(("planted faces of dim 1", "planted faces of dim 2"))]


def test_exact_slopes_pass_every_row(monkeypatch):
    stub_slope_check(monkeypatch, mpmath.mpf(0))
    rows = suite._generated_rows(False)
    assert len(rows) == 2 and all(r.passed for r in rows)


@pytest.mark.parametrize("shift, summary_passes", [(mpmath.mpf("0.019"), True), (mpmath.mpf("0.021"), False),
                                                   (mpmath.mpf("-0.021"), False)])
def test_summary_row_fails_beyond_the_slope_tolerance(monkeypatch, shift, summary_passes):
    stub_slope_check(monkeypatch, shift, ok=True)
    rows = suite._generated_rows(False)
    assert [r.passed for r in summaries(rows)] == [summary_passes] * 2
    assert len(rows) == 2                                             # no per-instance FAIL rows: each fit 'ok'


@pytest.mark.parametrize("ok, mutant_rejected", [(False, True), (True, False)])
def test_an_instance_whose_fit_fails_gets_its_own_fail_row(monkeypatch, ok, mutant_rejected):
    stub_slope_check(monkeypatch, mpmath.mpf(0), ok=ok, mutant_rejected=mutant_rejected)
    rows = suite._generated_rows(False)
    failed = [r for r in rows if not r.passed]
    assert len(failed) == 8                                           # 2 face dims x 2 instances x 2 depths
    assert all(r.theorem == "WAH-E" and r.instance.startswith("planted face ") and "A = " in r.note
               for r in failed)
    assert all(r.passed for r in summaries(rows))                     # the deviation itself is 0


# ---------------------------------------------------------------------------------------------------- sweep fits

def test_sweep_fitted_rate_is_undecided_when_a_fit_point_has_fewer_than_3_digits(monkeypatch):
    """docs/sweeps.md: every point of the fit must be certified to >= 3 significant digits; otherwise the row is
    `undecided` and carries no slope. The kink row A = [1, 1/2] (rho = 1/2, MS-D2 rate 1 - rho) with one fit
    point's certified digits set to 2, then to exactly 3."""
    import implicitreg.experiments.sweep_tasks as st
    from implicitreg.experiments.sweep_spec import expand, load_spec

    spec = {"name": "row", "digits": 10, "alphas": ["1e-10", "1e-20", "1e-30"], "depths": [2],
            "family": {"kind": "kink", "eps": ["0.5"]}, "statements": ["fitted_rate"]}
    (task,) = expand(load_spec(spec))
    real = st._Diagonal.observe

    def with_digits(d):
        def observe(self, what):
            value, digits = real(self, what)
            return (value, d) if self.alpha == Fraction(1, 10 ** 20) else (value, digits)
        return observe

    monkeypatch.setattr(st._Diagonal, "observe", with_digits(2))
    row = st.evaluate_task(task.content, task.key)
    assert row["verdict"] == "undecided" and "1e-20 (2 certified digits" in row["reason"]
    assert row.get("observed") is None
    monkeypatch.setattr(st._Diagonal, "observe", with_digits(3))
    row = st.evaluate_task(task.content, task.key)
    assert row["verdict"] == "consistent" and abs(row["observed_f"] - 0.5) < 0.02
