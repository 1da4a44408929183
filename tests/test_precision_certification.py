"""numerics/precision.py: the working precision, the decade and the printed digits, pinned to their formulas.

Expected values are worked out by hand from the docstrings (the formula of :func:`working_dps`, the exact decade of a
binary value, the digits printed below a floor), never taken from the code under test. tests/test_digits.py checks
the certified digits of whole solves against closed forms; these pin the pieces at their boundaries.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.numerics.precision import (GUARD_DIGITS, agreeing_digits, decade, significant_str,
                                            working_dps)


@pytest.mark.parametrize("digits, alpha, depth, expected", [
    (30, "1e-10", 2, 30 + 10 + GUARD_DIGITS),                 # lost 10 digits, no boundary term at D = 2
    (30, "1e-10", 3, 30 + 14 + GUARD_DIGITS),                 # ceil(10 + 10 * 1/3) = 14
    (30, "1e-12", 4, 30 + 18 + GUARD_DIGITS),                 # ceil(12 + 12 * 2/4) = 18
    (30, "1e-12", Fraction(5, 2), 30 + 15 + GUARD_DIGITS),    # ceil(12 + 12 * (1/2)/(5/2)) = ceil(14.4)
    (7, "1", 3, 7 + GUARD_DIGITS),                            # alpha_prod = 1 loses nothing
    (7, "100", 3, 7 + GUARD_DIGITS),                          # nor does alpha_prod > 1 (never a negative loss)
])
def test_working_dps_is_the_documented_formula(digits, alpha, depth, expected):
    with mpmath.workdps(30):
        assert working_dps(digits, mpf(alpha), depth) == expected


def test_working_dps_defaults_to_depth_two():
    with mpmath.workdps(30):
        assert working_dps(30, mpf("1e-10")) == 30 + 10 + GUARD_DIGITS


def test_decade_at_exact_powers_of_ten_and_just_below():
    with mpmath.workdps(60):
        assert decade(mpf(10) ** 50) == 50
        assert decade(mpf(10) ** 50 - 1) == 49                    # log10 rounds to 50.0: corrected downwards
        assert decade(-(mpf(10) ** 50)) == 50
        assert decade(mpf(1) / 10 - mpf(2) ** -150) == -2         # just below 1/10
        assert decade(mpf(1) / 10 + mpf(2) ** -150) == -1
        assert decade(mpf(999) / 100) == 0 and decade(mpf(1)) == 0 and decade(mpf(10)) == 1
    with pytest.raises(ValueError, match="^0 has no decade$"):
        decade(mpf(0))


def test_significant_str_prints_exactly_the_requested_digits():
    with mpmath.workdps(40):
        assert significant_str(mpf("123456"), 3) == "1.23e+5"
        assert significant_str(mpf("123456"), 5) == "123460."
        assert significant_str(mpf("0.00015"), 2) == "1.5e-4"
        assert significant_str(mpf("-1.5e-5"), 2) == "-1.5e-5"
        assert significant_str(mpf(0), 5) == "0"
        assert significant_str(mpf("0.25"), 0) == "0.3"            # at least one digit when asked for none
        # an entry exactly at the floor is not below it: all digits
        assert significant_str(mpf("0.3"), 5, floor=mpf("0.3")) == "0.30000"
        # no padding zeros beyond the certified digits: the exponent form once the integer part is longer
        assert significant_str(mpf("1234567"), 5) == "1.2346e+6"
        assert significant_str(mpf("250"), 1) == "3.e+2"
        assert significant_str(mpf("25"), 1) == "30."


def test_significant_str_below_the_floor_keeps_at_least_the_last_certified_digit():
    with mpmath.workdps(30):
        # 4 decades below a floor in the decade -1 with 5 digits: exactly 1 digit is left
        assert significant_str(mpf("3e-5"), 5, floor=mpf("0.3")) == "3.e-5"
        # at the floor itself (here a binary 1e-6 just below 10^-6): not below it, every digit
        assert significant_str(mpf("1e-6"), 5, floor=mpf("1e-6")) == "1.0000e-6"


def test_significant_str_counts_a_binary_power_of_ten_floor_as_that_power():
    """At 30 digits mpf('1e-6') lies just below 10^-6 in binary; it still counts as the decade -6, so an entry
    3e-7 (one decade below the floor) carries 5 - 1 = 4 digits, not 5."""
    with mpmath.workdps(30):
        floor = mpf("1e-6")
        man, exp = floor.man_exp
        assert Fraction(int(man)) * Fraction(2) ** int(exp) < Fraction(1, 10 ** 6)
        assert significant_str(mpf("3e-7"), 5, floor=floor) == "3.000e-7"
        assert significant_str(mpf("3e-7"), 5, floor=-floor) == "3.000e-7"      # the floor's sign is ignored
        assert significant_str(mpf("3e-11"), 5, floor=floor) == "0"             # 5 decades below: nothing left


def test_agreeing_digits_edge_cases():
    with mpmath.workdps(40):
        assert agreeing_digits([mpf(100)], [mpf(1)], floor=0, cap=20) == 0        # negative agreement -> 0
        assert agreeing_digits([mpf(2)], [mpf(1)], floor=0, cap=20) == 0
        assert agreeing_digits([mpf("1.05")], [mpf(1)], floor=0, cap=20) == 1
        assert agreeing_digits([mpf(0), mpf(1)], [mpf(0), mpf(1)], floor=0, cap=7) == 7
        assert agreeing_digits([mpf("1e-30")], [mpf(0)], floor=mpf("1e-10"), cap=50) == 20    # judged at the floor
        assert agreeing_digits([mpf("1e-30")], [mpf(0)], floor=mpf("-1e-10"), cap=50) == 20   # |floor|
        # a difference that only exists above the context precision is still seen (exact subtraction)
        with mpmath.workdps(80):
            a, b = mpf(1) + 3 * mpf(10) ** -61, mpf(1)
        assert agreeing_digits([a], [b], floor=0, cap=70) == 60     # -log10(3e-61) = 60.5


@pytest.mark.parametrize("shift", [-2, -1, 1, 2])
def test_decade_is_exact_whatever_the_float_estimate(monkeypatch, shift):
    """decade() starts from float(log10|x|) and corrects it exactly on the binary value; an estimate off by whole
    decades (as an inaccurate log10 could give for huge exponents) must still end on the exact decade."""
    from implicitreg.numerics import precision

    real = precision.log10_abs
    monkeypatch.setattr(precision, "log10_abs", lambda x: real(x) + shift)
    with mpmath.workdps(60):
        assert decade(mpf(10) ** 50) == 50
        assert decade(mpf(10) ** 50 - 1) == 49
        assert decade(mpf(1)) == 0 and decade(mpf(10)) == 1 and decade(mpf(99)) == 1
        assert decade(mpf(1) / 10 - mpf(2) ** -150) == -2 and decade(-mpf(1) / 10 - mpf(2) ** -150) == -1
