"""Direct tests of numerics/potentials.py: the parameter readers (layers_value, _exact, depth_value, digits_value,
alpha_convention_value), the link family at hand values, the domain error, the scales, and link_inverse's Newton near
the pole. Written for a mutation target num-potentials that is not configured yet (not measured this session).

Expected values come from closed forms or hand computation (dln.md §2, wah.md §2), never from the code under test.
"""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import potentials as P


# --- layers_value: the depth L of a deep linear network ------------------------------------------------------------

@pytest.mark.parametrize("value, L", [(2, 2), (3, 3), (np.int64(4), 4), (Fraction(6, 2), 3), (mpf(5), 5), (3.0, 3),
                                      ("3", 3), ("6/2", 3), (" 7 ", 7)])
def test_layers_value_reads_an_integer_at_least_two(value, L):
    got = P.layers_value(value)
    assert got == L and type(got) is int


@pytest.mark.parametrize("value", [True, False, 1, 0, -3, 2.5, "5/2", "2.5", Fraction(5, 2), float("nan"),
                                   float("inf"), mpmath.inf, None, "x", "", [3]])
def test_layers_value_refuses_with_one_message_showing_the_input(value):
    with pytest.raises(InvalidParameterError,
                       match="^" + re.escape(f"depth must be an integer >= 2 (the layers L of a deep linear network), "
                                             f"got {value!r}") + "$"):
        P.layers_value(value)


def test_layers_value_shows_a_long_string_by_its_length_only():
    for text in ("3" * 41, "x" * 100, b"3" * 41):
        with pytest.raises(InvalidParameterError, match=r"^depth must be an integer >= 2 \(the layers L of a deep "
                                                        rf"linear network\), got a string of {len(text)} characters$"):
            P.layers_value(text)
    assert P.layers_value(" " * 39 + "3") == 3  # 40 characters: read
    with pytest.raises(InvalidParameterError, match="got '" + "x" * 40 + "'$"):
        P.layers_value("x" * 40)  # 40 characters: shown


# --- the parameter readers -----------------------------------------------------------------------------------------

def test_exact_reads_an_mpf_exactly_and_refuses_its_infinities():
    with mpmath.workdps(50):
        assert P.depth_value(mpf("2.75")) == Fraction(11, 4) and P.positive_value(mpf(2) ** -70) == Fraction(1, 2 ** 70)
        third = mpf(1) / 3  # its binary value: man * 2^exp exactly, not 1/3
        man, exp = third.man_exp
        assert P.positive_value(third) == Fraction(int(man), 2 ** -int(exp)) != Fraction(1, 3)
    assert P.depth_value(mpf(-0.0) + 3) == 3
    for bad, text in ((mpmath.inf, "+inf"), (-mpmath.inf, "-inf"), (mpmath.nan, "nan")):
        with pytest.raises(InvalidParameterError, match=rf"^alpha must be a finite number, got {re.escape(text)}$"):
            P.positive_value(bad)
    with pytest.raises(InvalidParameterError, match=r"^alpha must be > 0, got 0\.0$"):
        P.positive_value(mpf(0))


def test_depth_value_message_and_lower_end():
    assert P.depth_value(2) == 2 and P.depth_value("2") == 2
    with pytest.raises(InvalidParameterError, match=r"^depth must be a real number >= 2, got 1\.999$"):
        P.depth_value("1.999")


@pytest.mark.parametrize("value", [0, -1, True, False, 1.0, np.int64(3), "3", None])
def test_digits_value_refuses_with_the_input_shown(value):
    with pytest.raises(InvalidParameterError, match="^" + re.escape(f"digits must be a positive integer, got {value!r}")
                       + "$"):
        P.digits_value(value)
    assert P.digits_value(1) == 1 and P.digits_value(400) == 400


def test_alpha_convention_value():
    assert P.alpha_convention_value("product") == "product" and P.alpha_convention_value("factor") == "factor"
    for bad in ("Product", "", None, "layer"):
        with pytest.raises(InvalidParameterError,
                           match="^" + re.escape(f"alpha_convention must be 'product' or 'factor', got {bad!r}") + "$"):
            P.alpha_convention_value(bad)


# --- the link, its derivative and potential, by hand ----------------------------------------------------------------

def test_link_family_at_hand_values():
    """D = 4 (e = 2): h(1/2) = 4 - 4/9 = 32/9, h'(1/2) = 2 (8 + 8/27) = 448/27, H(1/2) = 2 + 2/3 - 2 = 2/3 (k = 1);
    D = 3 (e = 3, k = 2): H(1/2) = (1/2)(4 + 4/9 - 2) = 11/9; at the pole distance w = 1/4: h_3 = 64 - (4/7)^3."""
    with mpmath.workdps(40):
        for got, want in ((P.link(4, mpf(1) / 2), mpf(32) / 9), (P.link_derivative(4, mpf(1) / 2), mpf(448) / 27),
                          (P.dual_potential(4, mpf(1) / 2), mpf(2) / 3), (P.dual_potential(3, mpf(1) / 2), mpf(11) / 9),
                          (P.dual_potential(3, -mpf(1) / 2), mpf(11) / 9), (P.link(3, -mpf(1) / 2), -(8 - mpf(8) / 27)),
                          (P.link_near_pole(3, mpf(1) / 4), 64 - (mpf(4) / 7) ** 3),
                          (P.link_near_pole_derivative(3, mpf(1) / 4), -3 * (mpf(4) ** 4 + (mpf(4) / 7) ** 4)),
                          (P.link_derivative(2, mpf(1)), mpmath.e + 1 / mpmath.e),
                          (P.dual_potential(2, mpf(2)), mpmath.e ** 2 + mpmath.e ** -2 - 2),
                          (P.dual_potential(3, mpf("0.9")), (mpf(10) ** 2 + (mpf(1) / mpf("1.9")) ** 2 - 2) / 2)):
            assert mpmath.almosteq(got, want, 1e-35), (got, want)


@pytest.mark.parametrize("z", [1, -1, "1.5", "-2"])
def test_link_domain_error_names_the_argument(z):
    for f in (P.link, P.link_derivative, P.dual_potential):
        shown = re.escape(mpmath.nstr(mpf(z), 10))
        with pytest.raises(P.DomainError, match=rf"^the link of depth D > 2 needs \|z\| < 1, got z = {shown}$"):
            f(3, z)
    assert isinstance(P.DomainError("x"), InvalidParameterError)


def test_flow_rate_and_scales_by_hand():
    with mpmath.workdps(40):
        assert P.flow_rate(2, "1e-9") == 4
        assert mpmath.almosteq(P.flow_rate(3, mpf(10) ** -6), 3 * mpf(10) ** -2, 1e-35)          # 3 * 1 * a^(1/3)
        assert mpmath.almosteq(P.flow_rate(Fraction(5, 2), mpf(2) ** -10), mpf(5) / 4 * mpf(2) ** -2, 1e-35)  # a^(1/5)
        assert mpmath.almosteq(P.flow_rate("4", Fraction(1, 16)), 8 * mpf(1) / 4, 1e-35)            # 4 * 2 * a^(1/2)
        assert P.product_scale(Fraction(1, 10), 3, "factor") == mpf(1) / 1000
        assert mpmath.almosteq(P.product_scale(Fraction(1, 4), Fraction(5, 2), "factor"), mpf(2) ** -5, 1e-35)
        assert mpmath.almosteq(P.product_scale("1/4", "5/2", "factor"), mpf(2) ** -5, 1e-35)
        assert P.product_scale(Fraction(1, 8), 3) == mpf(1) / 8
        assert mpmath.almosteq(P.factor_scale(Fraction(1, 1000), 3), mpf(1) / 10, 1e-35)
        assert mpmath.almosteq(P.factor_scale(mpf(2) ** -5, "5/2"), mpf(1) / 4, 1e-35)
    with pytest.raises(InvalidParameterError, match="alpha_convention must be"):
        P.product_scale(Fraction(1, 10), 3, "layers")


# --- link_inverse ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("D", [3, 4, "5/2", 6])
@pytest.mark.parametrize("s", ["1e-30", "0.5", "2", "1e6", "1e40"])
def test_link_inverse_near_the_pole_keeps_the_converged_newton_step(D, s, monkeypatch):
    """Regression: near the pole (s > h_D(1/2)) a Newton step that rounds to w (converged to the last bit, w being an
    end of the bracket) was bisected away, ~prec more evaluations (D = 5/2, s = 1e6: 108 instead of 4 at 40 digits).
    Newton converges quadratically from its start s^(-1/e): a handful of evaluations. The root z is checked on
    h_D(z) = (1 - z)^(-e) - (1 + z)^(-e) at 80 digits."""
    real, calls = P.link_near_pole, []
    monkeypatch.setattr(P, "link_near_pole", lambda D_, w: calls.append(w) or real(D_, w))
    with mpmath.workdps(40):
        z = P.link_inverse(D, mpf(s))
    assert len(calls) <= 8, len(calls)
    with mpmath.workdps(80):
        Dq = Fraction(D)
        e = mpf(Dq.numerator) / Dq.denominator
        e = e / (e - 2)
        h = (1 - z) ** (-e) - (1 + z) ** (-e)
        # z carries 40 digits; 1 - z near the pole only as many as remain after the leading 9s
        assert abs(h / mpf(s) - 1) <= mpf(10) ** -37 * (1 + mpf(s) ** (1 / e))
