"""Reading exact numbers and balls in the checker (proofs/checker/interval.py): every refusal with exactly the field
and message a user reads, and the exact ends of computed enclosures. Expected values are written by hand.

Split from tests/test_checker_forgeries.py."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import iv

from strategies_certificates import raises_exactly
from implicitreg.proofs.checker import interval as I
from implicitreg.proofs.checker.interval import CheckFailure, precision

F = Fraction



def test_exact_numbers_vectors_and_matrices():
    assert I.exact("-3/4", "f") == F(-3, 4) and I.exact("1.5e-3", "f") == F(3, 2000)
    raises_exactly("f", "expected an exact number as a string, got bool", I.exact, True, "f")
    raises_exactly("f", "expected an exact number as a string, got int", I.exact, 3, "f")
    raises_exactly("f", "expected an exact number as a string, got float", I.exact, 0.5, "f")
    raises_exactly("f", "zero denominator in '1/0'", I.exact, "1/0", "f")
    raises_exactly("f", "cannot read 'one' as an exact number", I.exact, "one", "f")
    # the certificate limits (120 characters, |exponent| <= 400), not the grammar's looser defaults
    assert I.exact("1" * 120, "f") == int("1" * 120)
    raises_exactly("f", "number literal of 121 characters (limit 120)", I.exact, "1" * 121, "f")
    raises_exactly("f", "number of 122 characters (limit 120)", I.exact, "1" * 61 + "/" + "1" * 60, "f")
    assert I.exact("1e400", "f") == 10 ** 400
    with pytest.raises(CheckFailure) as info:
        I.exact("1e401", "f")
    assert info.value.field == "f" and "401" in info.value.message and "400" in info.value.message
    assert I.exact_vector(["1", "2"], "v", 2) == [1, 2] and I.exact_vector([], "v") == []
    raises_exactly("v", "expected a list", I.exact_vector, ("1",), "v")
    raises_exactly("v", "expected 3 entries, got 2", I.exact_vector, ["1", "2"], "v", 3)
    raises_exactly("v[1]", "expected an exact number as a string, got float", I.exact_vector, ["1", 2.0], "v")
    assert I.exact_matrix([["1", "2"], ["3", "4"]], "M") == [[1, 2], [3, 4]]
    for bad in ([], [[]], [["1"], []], "x", [["1"], "2"]):
        raises_exactly("M", "expected a non-empty list of non-empty rows", I.exact_matrix, bad, "M")
    raises_exactly("M", "ragged matrix", I.exact_matrix, [["1", "2"], ["3"]], "M")
    raises_exactly("M[1][0]", "expected an exact number as a string, got int", I.exact_matrix, [["1"], [2]], "M")


def test_balls_are_read_exactly_and_must_contain():
    assert I.read_ball({"mid": "1/2", "rad": "1/4"}, "b") == (F(1, 4), F(3, 4))
    assert I.read_ball({"mid": "-1", "rad": "0"}, "b") == (F(-1), F(-1))
    raises_exactly("b.rad", "negative radius", I.read_ball, {"mid": "1", "rad": "-1/4"}, "b")
    for bad in ({"mid": "1"}, {"mid": "1", "rad": "0", "x": "1"}, ["1", "0"]):
        raises_exactly("b", 'expected a ball {"mid": ..., "rad": ...}', I.read_ball, bad, "b")
    raises_exactly("b.mid", "cannot read 'x' as an exact number", I.read_ball, {"mid": "x", "rad": "0"}, "b")
    raises_exactly("b.rad", "expected an exact number as a string, got int", I.read_ball, {"mid": "1", "rad": 0}, "b")
    with precision(30):
        x = I.hull(I.point(F(-1, 2)), I.point(F(3, 4)))           # dyadic ends: exactly [-1/2, 3/4]
        assert I.endpoints(x) == (F(-1, 2), F(3, 4))
        I.require_inside(x, {"mid": "1/8", "rad": "5/8"}, "b", "x")  # touches both ends: contained
        for mid, rad in (("1/8", "1/2"), ("1/4", "5/8"), ("0", "5/8")):
            with pytest.raises(CheckFailure, match="does not contain"):
                I.require_inside(x, {"mid": mid, "rad": rad}, "b", "x")
        third = I.hull(I.point(F(1, 3)), I.point(F(2, 3)))            # the refusal prints the enclosure (12 digits)
        raises_exactly("b", "the stated ball for x does not contain the computed enclosure [0.333333333333, 0.666666666667]",
                 I.require_inside, third, {"mid": "1/2", "rad": "1/10"}, "b", "x")
        for unbounded in (iv.mpf(["-inf", "1"]), iv.mpf(["0", "inf"])):
            raises_exactly("b", "the computed enclosure of x is unbounded", I.require_inside, unbounded,
                     {"mid": "0", "rad": "1"}, "b", "x")
        with pytest.raises(ArithmeticError, match="^unbounded interval$"):
            I.endpoints(iv.mpf(["-inf", "inf"]))
        assert I.to_fraction(mpmath.mpf(-3) / 8) == F(-3, 8) and I.to_fraction(mpmath.mpf(-96)) == F(-96)
        assert I.to_fraction(mpmath.mpf(5)) == 5 and I.to_fraction(mpmath.mpf(0)) == 0
        for bad in (mpmath.inf, -mpmath.inf, mpmath.nan):
            with pytest.raises(ValueError, match="^not finite$"):
                I.to_fraction(bad)
        b = I.ball_interval({"mid": "1/3", "rad": "1/3"}, "b")
        lo_, hi_ = I.endpoints(b)
        assert lo_ <= 0 and hi_ >= F(2, 3) and hi_ - F(2, 3) < F(1, 10 ** 25)
