"""numerics/dual_limit._certify: the two-precision certificate of the gradient-flow limit, piece by piece.

The documented schedule (LimitResult, _certify): a check solve at dps_check = working_dps(digits, alpha_prod, D) and
the reported solve at dps = 2 dps_check; ``digits`` = their agreement (capped at dps_check - 5) at the floor
min(alpha_prod, ||x||_inf); exactly the requested digits suffice; otherwise one retry at twice the precision, then
PrecisionError. The solves are the real ones (a 1 x 2 instance, fast); only the agreement count is scripted where a
branch must be forced. tests/test_digits.py checks the certified digits against closed forms.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import PrecisionError
from implicitreg.numerics import dual_limit
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import agreeing_digits, arb_to_mpf, working_dps

ROW = Instance.from_lists([[1, "1/2"]], [1])
DUP = Instance.from_lists([[1, "1/2"], [2, 1]], [1, 2])      # a dependent second row: nu_1 = 0


def _spy_pairs(monkeypatch):
    calls = []
    real = dual_limit._full_pair

    def spy(Ar, yr, D, ap_low, ap_high, dps, dps_check):
        low, high = real(Ar, yr, D, ap_low, ap_high, dps, dps_check)
        calls.append(dict(ap_low=ap_low, ap_high=ap_high, dps=dps, dps_check=dps_check, low=low, high=high))
        return low, high

    monkeypatch.setattr(dual_limit, "_full_pair", spy)
    return calls


def _scripted_agreement(monkeypatch, answers):
    """agreeing_digits returning the scripted answers in turn (None: the real count); records its arguments."""
    seen = []

    def scripted(x, reference, floor, cap):
        real = agreeing_digits(x, reference, floor, cap)
        answer = answers[len(seen)] if len(seen) < len(answers) else None
        seen.append(dict(x=list(x), reference=list(reference), floor=floor, cap=cap, real=real))
        return real if answer is None else answer

    monkeypatch.setattr(dual_limit, "agreeing_digits", scripted)
    return seen


def test_the_two_solves_run_at_p_and_2p(monkeypatch):
    pairs = _spy_pairs(monkeypatch)
    seen = _scripted_agreement(monkeypatch, [])
    res = gradient_flow_limit(ROW, 3, "1e-6", digits=12, method="full")
    assert len(pairs) == 1 and len(seen) == 1
    p = working_dps(12, mpf("1e-6"), 3)
    call = pairs[0]
    assert (call["dps_check"], call["dps"]) == (p, 2 * p)
    assert (res.dps_check, res.dps) == (p, 2 * p)
    # alpha_prod at each solve's own precision (1e-6 is not a binary number: the two roundings differ)
    with mpmath.workdps(2 * p):
        assert call["ap_high"] == mpf("1e-6") and res.alpha_product == call["ap_high"]
    with mpmath.workdps(p):
        assert call["ap_low"] == mpf("1e-6")
    assert call["ap_low"] != call["ap_high"]
    # the certificate compares the check solve (reference: the reported one) at the documented floor and cap
    agree = seen[0]
    assert agree["x"] == list(call["low"].x) and agree["reference"] == list(call["high"].x) == list(res.x)
    with mpmath.workdps(2 * p):
        assert agree["floor"] == min(res.alpha_product, max(abs(v) for v in res.x)) == res.floor
    assert agree["cap"] == p - 5
    assert res.digits == agree["real"] >= 12
    assert res.iterations == call["low"].iterations + call["high"].iterations
    assert res.stages == call["low"].stages + call["high"].stages
    assert res.method == "full" and res.success and res.status == 0


def test_exactly_the_requested_digits_suffice(monkeypatch):
    seen = _scripted_agreement(monkeypatch, [12])
    res = gradient_flow_limit(ROW, 2, "1e-4", digits=12, method="full")
    assert len(seen) == 1 and res.digits == 12


def test_one_retry_at_twice_the_precision_then_refusal(monkeypatch):
    pairs = _spy_pairs(monkeypatch)
    seen = _scripted_agreement(monkeypatch, [11])           # one digit short on the first attempt
    res = gradient_flow_limit(ROW, 2, "1e-4", digits=12, method="full")
    p = working_dps(12, mpf("1e-4"), 2)
    assert [(c["dps_check"], c["dps"]) for c in pairs] == [(p, 2 * p), (2 * p, 4 * p)]
    assert len(seen) == 2 and seen[1]["cap"] == 2 * p - 5
    assert (res.dps_check, res.dps) == (2 * p, 4 * p) and res.digits == seen[1]["real"]

    seen = _scripted_agreement(monkeypatch, [11, 11])
    with pytest.raises(PrecisionError, match=rf"^could certify only 11 of the 12 requested digits "
                                             rf"\(working precision {2 * p} vs {4 * p} digits\)$"):
        gradient_flow_limit(ROW, 2, "1e-4", digits=12, method="full")
    assert len(seen) == 2


def test_dual_variables_of_dropped_rows_are_zero():
    res = gradient_flow_limit(DUP, 2, "1e-4", digits=12, method="full")
    ref = gradient_flow_limit(ROW, 2, "1e-4", digits=12, method="full")
    assert len(res.nu) == 2 and res.nu[1] == 0 and res.nu[0] == ref.nu[0]
    with mpmath.workdps(4 * res.dps):   # exact for these dyadic x: ||A x - y||_inf over all rows, the dropped one too
        assert res.residual == max(abs(res.x[0] + res.x[1] / 2 - 1), abs(2 * res.x[0] + res.x[1] - 2))
    assert 0 < res.residual < mpf(10) ** -(res.dps - 10)
    assert Fraction(res.depth) == 2 and res.alpha == Fraction(1, 10 ** 4) and res.alpha_convention == "product"


def test_boundary_step_keeps_the_documented_fraction_of_the_distance_to_the_poles():
    """t is capped so that each z_i + t dz_i keeps BOUNDARY_FRACTION of its way to +-1, only for steps reaching or
    crossing |z| = 1 (a step ending exactly on the pole is capped too)."""
    import flint

    from implicitreg.numerics.dual_limit import BOUNDARY_FRACTION, boundary_step

    one, half = flint.arb(1), flint.arb(1) / 2
    frac = BOUNDARY_FRACTION.mid() if hasattr(BOUNDARY_FRACTION, "mid") else flint.arb(BOUNDARY_FRACTION)
    q = lambda v: arb_to_mpf(flint.arb(v))  # noqa: E731
    with mpmath.workdps(30):
        assert q(boundary_step(one, [half], [half / 2])) == 1                       # ends at 3/4: no cap
        assert q(boundary_step(one, [half], [half])) == q(frac)                     # ends on the pole: capped
        assert q(boundary_step(one, [half], [flint.arb(2)])) == q(frac / 4)         # crosses it: (1/2)/2 * frac
        assert q(boundary_step(one, [-half], [-half])) == q(frac)                   # the pole at -1
        assert q(boundary_step(one, [-half], [-flint.arb(2)])) == q(frac / 4)
        assert q(boundary_step(one, [-half], [half])) == 1                          # moving away from -1
        assert q(boundary_step(one, [half, -half], [flint.arb(2), -half])) == q(frac / 4)   # the tighter cap
        assert q(boundary_step(half / 8, [half], [flint.arb(2)])) == q(half / 8)    # an already smaller t stays
        short = half - flint.arb(1) / 1000      # ends at 999/1000, inside: no cap, though (1/2)/short * frac < 1
        assert q(boundary_step(one, [half], [short])) == 1
        assert q(boundary_step(one, [-half], [-short])) == 1


def _result(x, floor, digits):
    return dual_limit.LimitResult(x=[mpf(v) for v in x], nu=[], z=[], depth=Fraction(2), alpha=Fraction(1),
                                  alpha_convention="product", alpha_product=mpf(1), digits=digits, residual=mpf(0),
                                  dps=40, dps_check=20, iterations=0, floor=mpf(floor))


def test_x_str_prints_entries_below_the_floor_at_the_floors_scale():
    """Entries below ``floor`` are certified to ``digits`` digits at the scale floor (absolute error <= floor
    10^-digits): 1.23456789e-8 under floor 1e-6 with 6 digits keeps the digits down to 10^-11 (4 significant), the
    entry above the floor keeps all 6."""
    res = _result(["0.123456789", "1.23456789e-8"], "1e-6", 6)
    with mpmath.workdps(30):
        assert res.x_str() == ["0.123457", "1.235e-8"]
        assert res.x_str(4) == ["0.1235", "1.2e-8"]
    with pytest.raises(PrecisionError, match="^only 6 digits are certified, 7 requested$"):
        res.x_str(7)


def test_floor_is_the_smaller_of_alpha_and_the_largest_entry():
    """LimitResult.floor = min(alpha_prod, ||x||_inf); with x = 0 (y = 0) the floor is alpha_prod."""
    small = gradient_flow_limit(Instance.from_lists([[1, "1/2"]], ["1/1000"]), 2, "1", digits=10, method="full")
    with mpmath.workdps(small.dps):
        top = max(abs(v) for v in small.x)
        assert 0 < top < small.alpha_product and small.floor == top
    big = gradient_flow_limit(ROW, 2, "1e-4", digits=10, method="full")
    assert max(abs(v) for v in big.x) > big.alpha_product and big.floor == big.alpha_product
    zero = gradient_flow_limit(Instance.from_lists([[1, "1/2"]], [0]), 2, "1e-4", digits=10, method="full")
    assert zero.x == [0, 0] and zero.floor == zero.alpha_product > 0


def test_the_result_names_the_method_that_produced_it():
    assert gradient_flow_limit(ROW, 2, "1e-4", digits=10, method="mixed").method == "mixed"
    assert gradient_flow_limit(ROW, 2, "1e-4", digits=10, method="full").method == "full"
