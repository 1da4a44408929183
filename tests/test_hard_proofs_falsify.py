"""The falsifier's decisions at their boundaries (issue 13, hardening): the reporting margin (1e-6 diagonal,
1e-4 deep linear, proofs/falsify/constants.py), the ratio of each side with a zero or negative bound, the
decision "beyond twice the resolution", the parameter limits at their exact ends, and the summary's wording.
The quantities are stubbed where the decision is what is tested; expected values are computed by hand.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath
import pytest
import sympy

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.proofs.falsify import conjecture
from implicitreg.proofs.falsify import evaluate as ev_mod
from implicitreg.proofs.falsify import search
from implicitreg.proofs.falsify.evaluate import Probe, _Evaluator, _violates
from implicitreg.proofs.falsify.result import FalsifyResult, _is_power_of_ten, _short

INST = Instance.from_lists([[1, "1/2"]], [1], name="row")


class Data:  # a deep-linear instance as _violates sees it (has X)
    X = ((F(1),),)
    y = (F(1),)


def probe(ratio, inst=INST):
    return Probe(inst, F(1, 100), mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf(ratio))


def test_a_violation_must_exceed_the_margin():
    with mpmath.workdps(40):
        assert not _violates(probe(1 + mpmath.mpf(10) ** -6))
        assert _violates(probe(1 + mpmath.mpf("1.01e-6")))
        assert not _violates(probe("1.00000099"))
        assert not _violates(probe(1 + mpmath.mpf(10) ** -4, Data()))
        assert _violates(probe(1 + mpmath.mpf("1.01e-4"), Data()))
        assert not _violates(probe(1 + mpmath.mpf("0.99e-4"), Data()))
    assert not _violates(None)


def test_probe_score_is_log_ratio_capped():
    assert probe(mpmath.e).score == pytest.approx(1.0)
    assert Probe(INST, F(1), 1, 1, mpmath.inf).score == 1e6
    assert probe(0).score == -1e6
    assert probe("0.5").score == pytest.approx(-0.6931471805599453)


@pytest.fixture
def stub(monkeypatch):
    """The evaluator with K1 (not a limit error: resolution relative 1e-20) stubbed to a chosen value."""
    from implicitreg.numerics import quantities

    value = {}
    monkeypatch.setattr(quantities, "compute", lambda name, run: value[name])
    monkeypatch.setattr(ev_mod, "failed", lambda run, assume: [])
    monkeypatch.setattr(ev_mod, "_relative_resolution", lambda run: mpmath.mpf(0))

    def run(bound, lhs, side="upper"):
        value["K1"] = lhs
        return _Evaluator(conjecture("K1", bound, side), F(2), "product", (), cap=5)(INST, F(1, 100))

    return run


def test_upper_and_lower_ratios(stub):
    p = stub("2", mpmath.mpf(3))
    assert p.ratio == mpmath.mpf(3) / 2 and p.lhs_value == 3 and p.bound_value == 2
    p = stub("2", mpmath.mpf(1), side="lower")                   # K1 >= 2 with K1 = 1: bound / lhs = 2
    assert p.ratio == 2
    p = stub("2", mpmath.mpf(4), side="lower")
    assert p.ratio == mpmath.mpf(1) / 2


def test_zero_bound_and_zero_lhs(stub):
    assert stub("0", mpmath.mpf(1)).ratio == mpmath.inf          # upper: lhs > 0 = bound
    assert stub("0", mpmath.mpf(0)).ratio == 0                   # upper: 0 <= 0 holds
    assert stub("-1", mpmath.mpf(0)).ratio == mpmath.inf         # upper: lhs 0 > -1
    assert stub("1", mpmath.mpf(0), side="lower").ratio == mpmath.inf
    assert stub("0", mpmath.mpf(0), side="lower").ratio == 0
    # a non-positive side: violated exactly when the strict inequality fails (found by this test: lhs = 0 above a
    # negative upper bound used to read as ratio 0, "holds")
    assert stub("-1", mpmath.mpf(-2)).ratio == 0                 # -2 <= -1 holds
    assert stub("-2", mpmath.mpf(-1)).ratio == mpmath.inf        # -1 <= -2 fails
    assert stub("-1", mpmath.mpf(-2), side="lower").ratio == mpmath.inf   # -2 >= -1 fails
    assert stub("-2", mpmath.mpf(-1), side="lower").ratio == 0            # -1 >= -2 holds
    assert stub("-1", mpmath.mpf(0), side="lower").ratio == 0


def test_a_violation_is_decided_beyond_twice_the_resolution(stub):
    """K1's resolution is |K1| 1e-20: lhs - bound must exceed 2 |lhs| 1e-20 (about 4e-20 at lhs = 2)."""
    with mpmath.workdps(60):
        below = stub("2", 2 * (1 + mpmath.mpf("1.5e-20")))       # lhs - b = 3e-20 < 4e-20: no claim
        assert below.ratio == 1
        above = stub("2", 2 * (1 + mpmath.mpf("2.5e-20")))       # 5e-20 > 4e-20: decided
        assert above.ratio > 1 and abs(above.ratio - 1 - mpmath.mpf("2.5e-20")) < mpmath.mpf(10) ** -40
        low = stub("2", 2 * (1 - mpmath.mpf("1.5e-20")), side="lower")
        assert low.ratio == 1
        low = stub("2", 2 * (1 - mpmath.mpf("2.5e-20")), side="lower")
        assert low.ratio > 1


def test_ranges_at_their_ends():
    assert search._range("1e-3:1e-3", "alpha range") == (F(1, 1000), F(1, 1000))
    with pytest.raises(InvalidParameterError, match="lower end 1/100 above upper end 1/1000"):
        search._range("1e-2:1e-3", "alpha range")
    assert search._range("1:8", "m", integer=8) == (1, 8)
    assert search._range("3:3", "m", integer=8) == (3, 3)
    with pytest.raises(InvalidParameterError, match="m must be integers in 1..8"):
        search._range("0:8", "m", integer=8)
    with pytest.raises(InvalidParameterError, match="m must be integers in 1..8"):
        search._range("1:9", "m", integer=8)


def test_alpha_zero_is_refused_by_name():
    with pytest.raises(InvalidParameterError, match="alpha must be > 0"):
        search.falsify("err_l1", "alpha", alpha_range="0:1e-2", budget=1)
    with pytest.raises(InvalidParameterError, match="alpha must be > 0"):
        search.falsify("err_l1", "alpha", alpha_range=("-1/10", "1/100"), budget=1)


def test_alpha_at_rounds_to_two_digits_and_clips():
    lo, hi = F(1, 10 ** 6), F(1, 10)
    assert search._alpha_at(-3.5, lo, hi) == F(32, 10) * F(1, 10 ** 4)     # 10^-3.5 = 3.16e-4
    assert search._alpha_at(-3.0, lo, hi) == F(1, 1000)
    assert search._alpha_at(-0.5, lo, hi) == hi
    assert search._alpha_at(-9.0, lo, hi) == lo


def test_bound_text_of_2000_characters_is_read():
    text = "alpha" + " " * 1995
    assert len(text) == 2000
    assert conjecture("err_l1", text).names == ["alpha"]
    with pytest.raises(InvalidParameterError, match="2001 characters"):
        conjecture("err_l1", text + " ")


def test_float_and_unknown_symbols_in_a_sympy_bound_are_refused():
    from implicitreg.theory.quantities import symbols

    alpha = symbols()["alpha"]
    with pytest.raises(InvalidParameterError, match="floating-point"):
        conjecture("err_l1", sympy.Float("0.5") * alpha)
    with pytest.raises(InvalidParameterError, match="unknown quantities zeta"):
        conjecture("err_l1", sympy.Symbol("zeta") * alpha)
    assert conjecture("err_l1", sympy.Rational(1, 2) * alpha).names == ["alpha"]
    with pytest.raises(InvalidParameterError, match="belongs to deep-linear networks"):
        conjecture("err_l1", "S_LB")
    with pytest.raises(InvalidParameterError, match="lhs must be an observed quantity"):
        conjecture("rho", "1")
    with pytest.raises(InvalidParameterError, match="side must be 'upper' or 'lower'"):
        conjecture("err_l1", "1", side="both")


def _result(ratio, refuted=False):
    c = conjecture("err_l1", "alpha")
    p = Probe(INST, F(1, 1000), mpmath.mpf(1), mpmath.mpf(1), ratio)
    return FalsifyResult(refuted, c, F(2), (F(1, 10 ** 30), F(1, 100)), "product", "gaussian", 0, 5, 5, 0, p)


def test_summary_says_how_close_the_worst_ratio_came():
    with mpmath.workdps(60):
        s = _result(1 - mpmath.mpf(10) ** -7).summary()
        assert "(1 - ratio = 1.0e-7)" in s and "NOT REFUTED: worst lhs/bound" in s
        s = _result(1 - mpmath.mpf(10) ** -5).summary()
        assert "1 - ratio" not in s and "sharp" not in s
        s = _result(1 - mpmath.mpf(10) ** -46).summary()
        assert "= 1 to the certified digits" in s
        s = _result(1 - mpmath.mpf(10) ** -44).summary()
        assert "= 1 to the certified digits" not in s and "(1 - ratio = 1.0e-44)" in s
    s = _result(mpmath.mpf(2), refuted=True).summary()
    assert "REFUTED by 1 x 2 instance" in s and "alpha = 1e-3" in s and "lhs/bound = 2.0" in s
    js = _result(mpmath.mpf(2), refuted=True).to_json()
    assert js["counterexample"]["ratio"] == "2.0" and js["worst"] is None
    js = _result(mpmath.mpf("0.5")).to_json()
    assert js["counterexample"] is None and js["worst"]["alpha"] == "1/1000"


def test_short_alpha_texts():
    assert _short(F(1, 10 ** 30)) == "1e-30" and _short(F(1, 10)) == "1e-1"
    assert _short(F(1, 1010)) == "1/1010" and _short(F(1, 100100)) == "1/100100"
    assert _short(F(1, 2)) == "1/2" and _short(F(1)) == "1"
    assert _is_power_of_ten(1) and _is_power_of_ten(1000)
    assert not _is_power_of_ten(1001) and not _is_power_of_ten(110) and not _is_power_of_ten(0)
