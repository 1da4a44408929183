"""numerics.potentials (mpmath link functions) and numerics.precision, against SymPy and closed forms."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from mpmath import mpf

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import potentials as P
from implicitreg.numerics.precision import agreeing_digits, significant_str, to_arb, arb_to_mpf, flint_precision
from implicitreg.theory import potentials as T

DEPTHS = [Fraction(2), Fraction(5, 2), Fraction(3), Fraction(4), Fraction(7)]
POINTS = ["0.3", "-0.7", "0.999", "1e-12"]


@pytest.mark.parametrize("D", DEPTHS)
def test_link_and_potential_match_sympy(D):
    """The mpmath link and dual potential equal the SymPy expressions of theory.potentials (independent code)."""
    with mpmath.workdps(40):
        for zs in POINTS:
            z = mpf(zs)
            h = T.h(sympy.Rational(D.numerator, D.denominator)).subs(T.s, sympy.Rational(zs)).evalf(60)
            H = T.H(sympy.Rational(D.numerator, D.denominator)).subs(T.s, sympy.Rational(zs)).evalf(60)
            assert abs(P.link(D, z) - mpf(str(h))) <= mpf(10) ** -33 * max(1, abs(mpf(str(h))))
            assert abs(P.dual_potential(D, z) - mpf(str(H))) <= mpf(10) ** -33 * max(1, abs(mpf(str(H))))


@pytest.mark.parametrize("D", DEPTHS)
def test_derivatives_by_numerical_differentiation(D):
    """H_D' = phi_D and phi_D' = link_derivative, by mpmath.diff (finite differences at high precision)."""
    with mpmath.workdps(40):
        for zs in ["0.3", "-0.5", "0.9"]:
            z = mpf(zs)
            assert mpmath.diff(lambda w: P.dual_potential(D, w), z) == pytest.approx(P.link(D, z), rel=1e-25)
            assert mpmath.diff(lambda w: P.link(D, w), z) == pytest.approx(P.link_derivative(D, z), rel=1e-25)


@pytest.mark.parametrize("D", DEPTHS)
@pytest.mark.parametrize("s", ["1e-30", "0.5", "-3", "1e6", "1e40", "-1e80"])
def test_link_inverse_round_trip(D, s):
    with mpmath.workdps(60):
        s = mpf(s)
        z = P.link_inverse(D, s)
        assert abs(z) < 1 or D == 2
        # phi_D(z) has condition number ~ e_D / (1 - |z|) near the pole; z itself carries 60 digits
        cond = 1 if D == 2 else 1 + 10 / (1 - abs(z))
        assert abs(P.link(D, z) - s) <= mpf(10) ** -55 * cond * abs(s)


def test_link_inverse_closed_form_D2_and_D4():
    """D = 2: asinh(s/2). D = 4: h_4(z) = (1-z)^-2 - (1+z)^-2 = 4z/(1-z^2)^2; check z directly."""
    with mpmath.workdps(50):
        assert P.link_inverse(2, 3) == mpmath.asinh(mpf(3) / 2)
        z = P.link_inverse(4, 10)
        assert abs(4 * z / (1 - z ** 2) ** 2 - 10) < mpf(10) ** -45


def test_depth_may_be_given_as_string_int_or_mpf():
    with mpmath.workdps(30):
        assert P.link("2", 1) == 2 * mpmath.sinh(1)
        assert P.link(mpf(3), "0.5") == P.link(Fraction(3), "0.5") == P.link("3", "0.5")
    with pytest.raises(InvalidParameterError):
        P.link("1.5", "0.1")


def test_domain_error_for_D_above_two():
    with pytest.raises(P.DomainError):
        P.link(3, 1)
    with pytest.raises(P.DomainError):
        P.link_derivative(Fraction(5, 2), "-1.5")
    assert isinstance(P.DomainError("x"), InvalidParameterError)


def test_flow_rate_spec_values():
    """c_2 = 4; c_D = D (D-2) alpha^((D-2)/D): c_3(1e-12) = 3e-4, c_4(1e-12) = 8e-6 (dln.md §2)."""
    with mpmath.workdps(30):
        assert P.flow_rate(2, mpf("1e-12")) == 4
        assert P.flow_rate(3, mpf("1e-12")) == pytest.approx(mpf("3e-4"), rel=1e-25)
        assert P.flow_rate(4, mpf("1e-12")) == pytest.approx(mpf("8e-6"), rel=1e-25)
        # a wrong exponent (off by 0.1) would be caught
        assert abs(3 * mpf("1e-12") ** (mpf(1) / 3 + mpf("0.1")) - P.flow_rate(3, mpf("1e-12"))) > mpf("1e-5")


def test_product_scale_conventions():
    with mpmath.workdps(30):
        assert P.product_scale(Fraction(1, 10), Fraction(3), "product") == mpf("0.1")
        assert P.product_scale(Fraction(1, 10), Fraction(3), "factor") == pytest.approx(mpf("1e-3"), rel=1e-28)
        assert P.product_scale(Fraction(1, 4), Fraction(5, 2), "factor") == pytest.approx(mpf(2) ** -5, rel=1e-28)
        assert P.factor_scale(mpf("1e-6"), 3) == pytest.approx(mpf("1e-2"), rel=1e-28)
    with pytest.raises(InvalidParameterError):
        P.product_scale(1, 2, "per-layer")


@pytest.mark.parametrize("value, expected", [
    (2, Fraction(2)), ("5/2", Fraction(5, 2)), ("2.5", Fraction(5, 2)), (Fraction(7, 3), Fraction(7, 3)),
    (mpf("2.5"), Fraction(5, 2)), (3.0, Fraction(3)),
])
def test_depth_value_accepts(value, expected):
    assert P.depth_value(value) == expected


@pytest.mark.parametrize("value", [1, "1.5", Fraction(3, 2), "nan", float("nan"), float("inf"), mpmath.nan,
                                   mpmath.inf, "abc", True, None, "-3"])
def test_depth_value_rejects(value):
    with pytest.raises(InvalidParameterError):
        P.depth_value(value)


@pytest.mark.parametrize("value", [0, -1, "0", "-1e-30", "nan", float("inf"), mpmath.nan, "x", False])
def test_positive_value_rejects(value):
    with pytest.raises(InvalidParameterError):
        P.positive_value(value, "alpha")


def test_positive_value_is_exact():
    assert P.positive_value("1e-100") == Fraction(1, 10 ** 100)
    assert P.positive_value(0.1) == Fraction(1, 10)


def test_agreeing_digits_and_strings():
    with mpmath.workdps(50):
        a = [mpf(1) / 3, mpf("2e-20")]
        b = [mpf(1) / 3 + mpf("1e-31"), mpf("2e-20") * (1 + mpf("1e-12"))]
        # entry 0 agrees to 30 digits, entry 1 to 12 digits (relative to itself)
        assert agreeing_digits(a, b, floor=mpf("1e-30"), cap=45) == 12
        # with a floor above the small entry it is judged at that scale: 1e-32 / 1e-10 -> 21 digits
        assert agreeing_digits(a, b, floor=mpf("1e-10"), cap=45) == 21
        assert agreeing_digits(a, a, floor=0, cap=45) == 45
        assert significant_str(mpf(1) / 3, 5) == "0.33333"
        assert significant_str(mpf("2e-20") / 3, 5) == "6.6667e-21"
        assert significant_str(mpf("2e-20") / 3, 5, floor=mpf("1e-18")) == "6.7e-21"
        assert significant_str(mpf("2e-25"), 5, floor=mpf("1e-18")) == "0"


def test_arb_bridge_is_exact():
    with mpmath.workdps(80), flint_precision(80):
        x = mpf(2) / 7
        assert arb_to_mpf(to_arb(x)) == x
        assert arb_to_mpf(to_arb(-x * mpf("1e-300"))) == -x * mpf("1e-300")
        assert arb_to_mpf(to_arb(mpf(0))) == 0
