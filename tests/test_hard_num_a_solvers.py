"""Direct tests of the solvers' decisions outside their Newton loops (hardening pass, issue 13): the selection's
functionals, agreement count, coordinate rounding and refusals; the dual limit's and ``limit()``'s digit limits
and result fields; precision helpers; the mixed path's check start; the float64 paths' acceptance and set-ups.

Expected values come from closed forms, hand computation or an independent method (quadrature, numerical
differentiation, exact rationals), never from the code under test.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidParameterError, PrecisionError
from implicitreg.numerics import selection as sel
from implicitreg.numerics.dual_limit import MAX_DIGITS, LimitResult, gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import limit
from implicitreg.numerics.mixed_limit import check_start_digits, rounded_start
from implicitreg.numerics.potentials import link_inverse
from implicitreg.numerics.precision import bits, mpf_from, to_arb

F = Fraction
ROW = Instance.from_lists([[1, "1/2"]], [1])
ZERO = Instance.from_lists([[0, 0]], [0])


# --- selection: functionals ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["inf", "Infinity", "oo", "+inf", float("inf"), mpmath.inf])
def test_selection_depth_spellings_of_infinity(spelling):
    assert sel.selection_depth(spelling) == sel.INFINITY


def test_tie_break_power_must_lie_strictly_between_zero_and_one():
    assert "e = 99/100" in sel.tie_break(3, exponent=F(99, 100)).name
    for bad in (1, 0, F(3, 2), -F(1, 2)):
        with pytest.raises(InvalidParameterError):
            sel.tie_break(3, exponent=bad)


@pytest.mark.parametrize("depth", [2, 3, F(5, 2), "inf"])
def test_tie_break_derivatives_by_numerical_differentiation(depth):
    g = sel.tie_break(depth)
    with mpmath.workdps(40):
        for y in (mpf("0.3"), mpf("1.7")):
            assert mpmath.almosteq(g.d1(y), mpmath.diff(g.value, y), 1e-20)
            assert mpmath.almosteq(g.d2(y), mpmath.diff(g.d1, y), 1e-20)


def test_tie_break_values_by_hand():
    with mpmath.workdps(30):
        y = mpf("0.64")
        assert mpmath.almosteq(sel.tie_break(2).value(y), y * mpmath.log(y) - y, 1e-25)
        assert mpmath.almosteq(sel.tie_break(4).value(y), y - 2 * mpmath.sqrt(y), 1e-25)   # y - (p/2) y^(2/p)
        assert mpmath.almosteq(sel.tie_break("inf").value(y), -mpmath.log(y), 1e-25)
        # G_p sums over the nonzero entries only (g(0) is not finite for p = inf)
        assert mpmath.almosteq(sel.tie_break_value("inf", [1, 0, -2]), -mpmath.log(2), 1e-25)
        assert mpmath.almosteq(sel.tie_break_value(2, [0, "-1"]), -1, 1e-25)


# --- selection: the helpers of the mixed path ---------------------------------------------------------------------

def test_round_coordinates_truncates_to_R_significant_digits():
    with mpmath.workdps(30):
        got = sel._round_coordinates([mpf("1.23456"), mpf("-0.0987")], 3)   # grid 10^(0 - 3 + 1) = 0.01
        assert mpmath.almosteq(got[0], mpf("1.23"), 1e-25) and mpmath.almosteq(got[1], mpf("-0.09"), 1e-25)
        assert sel._round_coordinates([mpf(0), mpf(0)], 3) == [0, 0]


def test_inside_means_strictly_inside_with_the_signs_of_the_point():
    assert sel._inside([1, 0, -1], [mpf("0.5"), mpf(7), mpf("-0.1")])
    assert not sel._inside([1, 0, -1], [mpf(0), mpf(7), mpf("-0.1")])      # on the boundary
    assert not sel._inside([1, 0, -1], [mpf("0.5"), mpf(0), mpf("0.1")])   # sign changed
    assert not sel._inside([1, -1], [mpf("0.5"), mpf(0)])                  # zero where the point is negative
    assert not sel._inside([-1, 1], [mpf(0), mpf("0.5")])


def test_agreement_counts_the_floor_and_caps_exact_agreement():
    x = [mpf(1), mpf("0.5")]
    assert sel._agreement(x, x, 10, 20) == 10
    with mpmath.workdps(30):
        # |difference| / max|x2| = 5e-4 / 1.0005: -log10 = 3.3 -> 3 digits
        assert sel._agreement([mpf(1)], [mpf("1.0005")], 10, 20) == 3
        assert sel._agreement([mpf(1)], [mpf("1.0005")], 2, 20) == 2


FACE = ([F(1, 2), F(1, 2)], [[F(1), F(-1)]])   # X_BP of A = [1, 1], y = 1: the segment, point (1/2, 1/2)


def test_select_on_face_refusals_and_flags():
    point, dirs = FACE
    for bad in (0, -1, "5", True):
        with pytest.raises(InvalidParameterError):
            sel.select_on_face(point, dirs, 2, digits=bad)
    with pytest.raises(InvalidParameterError):
        sel.select_on_face(point, dirs, 2, digits=5, method="fast")
    r = sel.select_on_face(point, dirs, 2, digits=8)
    assert r.unique_bp is False and r.face_dimension == 1 and r.support == (0, 1) and r.digits >= 8
    with mpmath.workdps(30):   # by symmetry the entropy maximizer on the segment is its midpoint
        assert all(mpmath.almosteq(v, mpf(1) / 2, 1e-8) for v in r.x)
        assert mpmath.almosteq(r.objective, 2 * (mpf(1) / 2 * mpmath.log(mpf(1) / 2) - mpf(1) / 2), 1e-8)
    r0 = sel.select_on_face([F(1), F(0)], [], 2, digits=8)
    assert r0.unique_bp is True and r0.face_dimension == 0


@pytest.mark.parametrize("method", ["mixed", "full"])
def test_select_on_face_refuses_one_digit_short(monkeypatch, method):
    point, dirs = FACE
    monkeypatch.setattr(sel, "_agreement", lambda *a: 7)
    with pytest.raises(PrecisionError, match="7 digits"):
        sel.select_on_face(point, dirs, 2, digits=8, method=method)
    assert sel.select_on_face(point, dirs, 2, digits=7, method=method).digits == 7


def test_selection_to_json():
    r = sel.SelectionResult(x=[mpf("0.125"), mpf(0)], depth=F(3), unique_bp=False, support=(0,), face_dimension=1,
                            digits=3, iterations=4, functional="f")
    assert r.to_json() == {"x": ["0.125", "0"], "depth": "3", "unique_bp": False, "support": [0],
                           "face_dimension": 1, "digits": 3, "iterations": 4, "functional": "f"}
    r2 = sel.SelectionResult(x=[mpf("0.123456"), mpf(-2)], depth="inf", unique_bp=True, support=(0, 1),
                             face_dimension=0, digits=0)
    assert r2.to_json()["x"] == ["0.1", "-2."]    # at least one significant digit
    assert r2.to_json(digits=3)["x"][0] == "0.123" and r2.to_json()["depth"] == "inf"


# --- selection: primal potential, regularizer, remainder --------------------------------------------------------

@pytest.mark.parametrize("depth", [2, 3])
def test_primal_potential_is_the_integral_of_the_inverse_link(depth):
    with mpmath.workdps(25):
        s = mpf("1.5")
        expected = mpmath.quad(lambda u: link_inverse(depth, u), [0, s])
        assert mpmath.almosteq(sel.primal_potential(depth, s), expected, 1e-15)


def test_regularizer_conventions():
    x = [F(1, 2), F(-1, 4)]
    with mpmath.workdps(30):
        a = sel.regularizer(3, x, F(1, 8), alpha_convention="product")     # a = 1/8
        b = sel.regularizer(3, x, F(1, 2), alpha_convention="factor")      # a = (1/2)^3 = 1/8
        c = sel.regularizer(3, x, F(1, 8), alpha_convention="factor")      # a = 1/512
        assert mpmath.almosteq(a, b, 1e-25) and not mpmath.almosteq(a, c, 1e-3)
        expected = mpmath.fsum(mpf(1) / 8 * sel.primal_potential(3, mpf_from(v) * 8) for v in x)
        assert mpmath.almosteq(a, expected, 1e-25)


def test_expansion_remainder_by_its_formula():
    with mpmath.workdps(30):
        a, x = mpf(1) / 10 ** 6, mpf("0.3")      # product scale a = 1e-6, p = 4
        q = a * sel.primal_potential(4, x / a)
        expected = q - (x - 2 * mpmath.sqrt(a) * mpmath.sqrt(x))     # x - (p/2) a^((p-2)/p) x^(2/p)
        got = sel.expansion_remainder(4, "0.3", F(1, 10 ** 6), alpha_convention="product")
        assert mpmath.almosteq(got, expected, 1e-20) and 0 <= got <= 10 * a
        q2 = a * sel.primal_potential(2, x / a)
        got2 = sel.expansion_remainder(2, "0.3", F(1, 10 ** 6), alpha_convention="product")
        assert mpmath.almosteq(got2, q2 - (x * mpmath.log(1 / a) + x * mpmath.log(x) - x), 1e-20)


# --- dual limit and limit(): digits limits and fields -------------------------------------------------------------

def test_gradient_flow_limit_digit_limits_both_sides():
    r = gradient_flow_limit(ZERO, 2, F(1, 100), digits=MAX_DIGITS)   # A = 0: x = 0 exactly, at any digits
    assert r.x == [0, 0] and r.digits >= MAX_DIGITS and r.residual == 0
    assert mpmath.almosteq(r.floor, mpf(1) / 100, 1e-14)
    assert gradient_flow_limit(ZERO, 2, 4, digits=1).floor == 1         # floor = min(alpha_prod, 1)
    with pytest.raises(PrecisionError, match=str(MAX_DIGITS)):
        gradient_flow_limit(ZERO, 2, F(1, 100), digits=MAX_DIGITS + 1)
    for bad in (0, True, 2.0):
        with pytest.raises(InvalidParameterError):
            gradient_flow_limit(ZERO, 2, F(1, 100), digits=bad)
    with pytest.raises(InvalidParameterError):
        gradient_flow_limit(ZERO, 2, F(1, 100), method="fast")


def test_limit_digit_limits_both_sides():
    assert limit(ROW, 2, "1/100", method="float64", digits=MAX_DIGITS).method == "float64"
    assert limit(ROW, 2, "1/100", method="float64", digits=1).digits == 0
    with pytest.raises(PrecisionError):
        limit(ROW, 2, "1/100", method="float64", digits=MAX_DIGITS + 1)
    for bad in (0, True, False, 1.0):
        with pytest.raises(InvalidParameterError):
            limit(ROW, 2, "1/100", method="float64", digits=bad)
    with pytest.raises(InvalidParameterError, match="newton, flow, closed-form, float64"):
        limit(ROW, 2, "1/100", method="Newton")


def test_limit_result_to_json_fields():
    r = LimitResult(x=[mpf("0.5")], nu=[mpf(1)], z=[mpf(1)], depth=F(5, 2), alpha=F(1, 1000),
                    alpha_convention="factor", alpha_product=mpf("0.25"), digits=1, residual=mpf("0.125"), dps=40,
                    dps_check=20, iterations=7, floor=mpf("0.0625"), stages=3, method="mixed", message="m",
                    success=True, status=0)
    assert r.to_json() == {"x": ["0.5"], "digits": 1, "depth": "5/2", "alpha": "1/1000", "alpha_convention": "factor",
                           "alpha_product": "0.25", "floor": "0.0625", "residual": "0.125", "dps": 40,
                           "dps_check": 20, "iterations": 7, "stages": 3, "method": "mixed", "success": True,
                           "status": 0, "message": "m"}


def test_closed_form_fields():
    inst = Instance.from_lists([[1, "1/2", "1/2"]], [1])
    r = limit(inst, 3, "1/1000", method="closed-form", digits=10)
    with mpmath.workdps(r.dps):
        assert r.dps_check == 2 * r.dps and r.digits >= 10 and r.status == 0 and r.success
        assert r.nu == [r.z[0]] and all(mpmath.almosteq(v, r.z[0] / 2, 1e-30) for v in r.z[1:])
        assert r.residual < mpf(10) ** -(r.dps - 10) and mpmath.almosteq(r.alpha_product, mpf(1) / 1000, 1e-30)
        assert mpmath.almosteq(r.floor, mpf(1) / 1000, 1e-25)
    # r = 0 with one copy: the row family (x = (1, 0)), not the kink at eps = 1
    r0 = limit(Instance.from_lists([[1, 0]], [1]), 3, "1/1000", method="closed-form", digits=10)
    assert r0.x[1] == 0 and mpmath.almosteq(r0.x[0], 1, 1e-20)
    with pytest.raises(InvalidParameterError, match="tightness family"):
        limit(Instance.from_lists([[1, "1/2"]], [2]), 3, "1/1000", method="closed-form", digits=10)


def test_float64_method_reports_failure_in_status(monkeypatch):
    from implicitreg.numerics import float64_limit

    monkeypatch.setattr(float64_limit, "float64_gradient_flow_limit",
                        lambda A, y, D, a: float64_limit.Float64Limit(np.array([1.0, 0.0]), False, "gave up"))
    r = limit(ROW, 2, "1/100", method="float64")
    assert (r.success, r.status, r.digits, r.dps) == (False, 1, 0, 15) and "gave up" in r.message
    monkeypatch.setattr(float64_limit, "float64_gradient_flow_limit",
                        lambda A, y, D, a: float64_limit.Float64Limit(np.array([1.0, 0.0]), True, "ok"))
    r = limit(ROW, 2, "1/100", method="float64")
    assert (r.success, r.status) == (True, 0) and r.residual == 0
    assert mpmath.almosteq(r.floor, mpf(1) / 100, 1e-14)


# --- precision helpers --------------------------------------------------------------------------------------------

def test_bits_closed_form():
    # ceil(d log2 10) + 4
    assert (bits(1), bits(15), bits(30), bits(100)) == (8, 54, 104, 337)
    assert all(bits(d) >= mpmath.libmp.dps_to_prec(d) for d in range(1, 200))


def test_to_arb_and_mpf_from_are_exact():
    assert to_arb(mpf("-1.5")) == flint.arb(-1.5) and to_arb(mpf(0)) == 0
    with mpmath.workdps(50):
        third = mpf(1) / 3
        man, exp = to_arb(third).mid().man_exp()
        assert mpf((int(man), int(exp))) == third
        nm, ne = to_arb(-third).mid().man_exp()
        assert (int(nm), int(ne)) == (-int(man), int(exp))
        assert mpf_from(F(1, 3)) == mpf(1) / 3 and mpf_from(F(-7, 10)) == mpf(-7) / 10


# --- mixed path: the check start --------------------------------------------------------------------------------

def test_check_start_digits_closed_form():
    a = mpf("1e-30")
    assert check_start_digits(30, a, F(2)) == 15        # max(30 // 2, 8)
    assert check_start_digits(12, a, F(2)) == 8         # max(6, 8)
    assert check_start_digits(17, a, F(2)) == 8
    assert check_start_digits(30, a, F(3)) == 25        # + ceil(30 * 1/3)
    assert check_start_digits(30, a, F(4)) == 30        # + ceil(30 * 1/2)
    assert check_start_digits(30, mpf(10), F(4)) == 15  # alpha_prod >= 1 costs nothing


def test_rounded_start_truncates_to_R_significant_digits():
    with flint_prec(100):
        got = rounded_start([flint.arb("1.23456"), flint.arb("-0.0987")], 3)   # grid 10^-2, toward zero
        assert abs(got[0] - flint.arb("1.23")) < flint.arb(10) ** -25
        assert abs(got[1] - flint.arb("-0.09")) < flint.arb(10) ** -25
        assert rounded_start([flint.arb(0)], 3) == [0]


def flint_prec(dps):
    from implicitreg.numerics.precision import flint_precision

    return flint_precision(dps)


# --- float64 paths ------------------------------------------------------------------------------------------------

def test_float64_acceptance_is_an_absolute_1e_10_residual():
    from implicitreg.numerics.float64_limit import float64_gradient_flow_limit

    # for |y| ~ 1e5..1e7 float64 stalls at residuals ~ |y| 1e-16 (1e-11..1e-9 here): success must be exactly the
    # authors' test ||A x - y|| < 1e-10, whichever side of it each case lands on
    for scale in (1, 1e5, 3e6, 1e7):
        r = float64_gradient_flow_limit([[1, 0.5]], [scale], 2, 1e-4)
        resid = float(r.message.rsplit("= ", 1)[1])
        assert r.success == (resid < 1e-10), (scale, resid)
    assert float64_gradient_flow_limit([[1, 0.5]], [1], 2, 1e-4).success


def test_integrated_flow_setups_and_time_horizon():
    from implicitreg.numerics.float64_limit import AUTHORS_SETUPS, integrated_flow_limit

    assert AUTHORS_SETUPS == {"radau": ("Radau", 2.5e-14), "lsoda": ("LSODA", 1e-12)}
    # per-factor alpha = alpha_prod^(1/p) = 1e-2 for alpha_prod = 1e-6, p = 3: T = 1e9 * alpha^(2-p) = 1e11
    r = integrated_flow_limit([[1.0, 0.5]], [1.0], 3, 1e-6, max_nfev=5)
    assert r.t_end == pytest.approx(1e11, rel=1e-12) and r.rtol == 2.5e-14 and r.method == "Radau"
    assert not r.success and "max_nfev 5" in r.message
    with pytest.raises(ValueError):
        integrated_flow_limit([[1.0]], [1.0], 3, 1e-6, setup="rk45")


def test_float64_dual_gaps_are_exact_roundings():
    from implicitreg.numerics.float64_dual import Float64Dual

    A = [[F(1), F(1, 3)], [F(0), F(2, 7)]]
    P = Float64Dual(A, [F(1), F(1)], F(3))
    nu = np.array([0.3, -0.1])
    om, op = P.gaps(nu)
    for j in range(2):
        z = sum(A[i][j] * Fraction(float(nu[i])) for i in range(2))   # exact: floats are binary rationals
        assert om[j] == float(1 - z) and op[j] == float(1 + z)
