"""The inverse link near its pole z -> 1 (D > 2): link_inverse returns z rounded to the working precision (right as a
number, but 1 - z formed from it keeps ~dps + log10(1 - z) digits); link_inverse_pole_distance returns w = 1 - z at
full relative precision, and primal_potential uses it, so q_p is right (and defined) where z rounds to 1.

References are independent: the closed form h_D(1 - w) = w^(-e) - (2 - w)^(-e), e = D/(D-2), solved for w by
mpmath.findroot at 200 digits, and H_D(1 - w) = ((D-2)/2)[w^(-k) + (2 - w)^(-k) - 2], k = 2/(D-2), at 200 digits."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import potentials as P
from implicitreg.numerics.selection import primal_potential

REF_DPS = 200


def _reference_w(D, s) -> mpf:
    """w with w^(-e) - (2 - w)^(-e) = s (s an mpf, read exactly), at REF_DPS digits; e = D/(D-2) exactly."""
    e_frac = Fraction(D) / (Fraction(D) - 2)
    with mpmath.workdps(REF_DPS):
        e = mpf(e_frac.numerator) / e_frac.denominator
        # on u = log w the relative residual F(u) = (exp(-e u) - (2 - exp(u))^(-e)) / s - 1 is smooth and of size
        # O(1); start from w^(-e) ~ s
        def F(u):
            return (mpmath.exp(-e * u) - (2 - mpmath.exp(u)) ** (-e)) / s - 1
        u = mpmath.findroot(F, -mpmath.log(s) / e, verify=False)
        assert abs(F(u)) < mpf(10) ** (-REF_DPS + 10)
        return mpmath.exp(u)


def _reference_q(D, s, w) -> mpf:
    """q_D(s) = s (1 - w) - H_D(1 - w) at REF_DPS digits."""
    k_frac = Fraction(2) / (Fraction(D) - 2)
    with mpmath.workdps(REF_DPS):
        k = mpf(k_frac.numerator) / k_frac.denominator
        return s * (1 - w) - (mpf(Fraction(D).numerator) / Fraction(D).denominator - 2) / 2 * (
            w ** (-k) + (2 - w) ** (-k) - 2)


def _s_at(D, w_text: str, dps: int) -> mpf:
    """h_D(1 - w) for the decimal w, at REF_DPS, rounded to dps digits (the input of the code under test)."""
    e_frac = Fraction(D) / (Fraction(D) - 2)
    with mpmath.workdps(REF_DPS):
        e = mpf(e_frac.numerator) / e_frac.denominator
        w = mpf(w_text)
        s = w ** (-e) - (2 - w) ** (-e)
    with mpmath.workdps(dps):
        return +s


@pytest.mark.parametrize("D", [3, 4, Fraction(5, 2), 6])
@pytest.mark.parametrize("w_text", ["1e-30", "1e-12", "1e-45"])
def test_pole_distance_has_every_digit_at_30_digits(D, w_text):
    s = _s_at(D, w_text, 30)
    ref = _reference_w(D, s)
    with mpmath.workdps(30):
        w = P.link_inverse_pole_distance(D, s)
        z = P.link_inverse(D, s)
    with mpmath.workdps(REF_DPS):
        assert abs(w / ref - 1) < mpf(10) ** -28          # the distance to the pole: all 30 digits (up to 2 ulp)
        assert abs(z - (1 - ref)) <= mpf(10) ** -29       # z itself: right to its own (absolute ~ relative) ulp


def test_one_minus_z_is_what_loses_the_digits():
    """The documented limitation of link_inverse: at w = 1e-30 and 30 digits 1 - z has about one correct digit, at
    w = 1e-45 none (z rounds to 1); the pole distance has them all."""
    s = _s_at(3, "1e-30", 30)
    ref = _reference_w(3, s)
    with mpmath.workdps(30):
        from_z = 1 - P.link_inverse(3, s)
        direct = P.link_inverse_pole_distance(3, s)
    with mpmath.workdps(REF_DPS):
        assert abs(from_z / ref - 1) > mpf(10) ** -5 and abs(direct / ref - 1) < mpf(10) ** -28
    with mpmath.workdps(30):
        assert P.link_inverse(3, _s_at(3, "1e-45", 30)) == 1


@pytest.mark.parametrize("D", [3, Fraction(5, 2), 4])
@pytest.mark.parametrize("s_text", ["0.001", "1", "-3", "-1e20"])
def test_pole_distance_away_from_the_pole(D, s_text):
    """s <= h_D(1/2) (z <= 1/2, w >= 1/2): w = 1 - z, against the root z of the closed form (bracketed, 200 digits)."""
    e_frac = Fraction(D) / (Fraction(D) - 2)
    with mpmath.workdps(REF_DPS):
        e = mpf(e_frac.numerator) / e_frac.denominator
        s_ref = mpf(s_text)
        if s_ref < -10:  # z near -1: by oddness 1 + z is the pole distance of -s, so w = 1 - z = 2 - w(-s)
            w_ref = 2 - _reference_w(D, -s_ref)
        else:
            bracket = (mpf(0), mpf(1) / 2) if s_ref > 0 else (-1 + mpf(10) ** -3, mpf(0))

            def F(z):
                return ((1 - z) ** (-e) - (1 + z) ** (-e)) / s_ref - 1
            z_ref = mpmath.findroot(F, bracket, solver="anderson", verify=False)
            assert abs(F(z_ref)) < mpf(10) ** (-REF_DPS + 10)
            w_ref = 1 - z_ref
    with mpmath.workdps(30):
        w = P.link_inverse_pole_distance(D, mpf(s_text))
    with mpmath.workdps(REF_DPS):
        assert abs(w / w_ref - 1) < mpf(10) ** -28


def test_pole_distance_needs_a_pole():
    with pytest.raises(InvalidParameterError, match="no pole"):
        P.link_inverse_pole_distance(2, 5)


@pytest.mark.parametrize("D", [3, Fraction(5, 2), 6])
@pytest.mark.parametrize("w_text", ["1e-12", "1e-30", "1e-45"])
def test_primal_potential_near_the_pole(D, w_text):
    """At w = 1e-45 and 30 digits z rounds to 1: q_p was a DomainError; it is right to ~all digits at every w."""
    s = _s_at(D, w_text, 30)
    ref = _reference_q(D, s, _reference_w(D, s))
    with mpmath.workdps(30):
        q = primal_potential(D, s)
        q_neg = primal_potential(D, -s)
    with mpmath.workdps(REF_DPS):
        assert abs(q / ref - 1) < mpf(10) ** -27 and q_neg == q


def test_dual_potential_near_pole_against_the_closed_form():
    with mpmath.workdps(30):
        got = [P.dual_potential_near_pole(D, mpf("1e-25")) for D in (3, 6)]
    with mpmath.workdps(REF_DPS):
        w = mpf("1e-25")
        # D = 3: k = 2, (1/2)[w^-2 + (2-w)^-2 - 2];  D = 6: k = 1/2, 2[w^(-1/2) + (2-w)^(-1/2) - 2]
        hand = [(w ** -2 + (2 - w) ** -2 - 2) / 2, 2 * (w ** mpf(-0.5) + (2 - w) ** mpf(-0.5) - 2)]
        assert all(abs(g / h - 1) < mpf(10) ** -28 for g, h in zip(got, hand))
