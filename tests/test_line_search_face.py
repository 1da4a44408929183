"""The face Newton's Armijo test rejects a full Newton step that goes uphill by only a little.

tests/test_line_search.py starts the face Newton where full steps leave the face or go uphill by a lot; a line search
whose sufficient-decrease test has the wrong sign (accepting G(new) <= G + 1e-4 s decrement, i.e. small increases)
passes those. Here the functional g(y) = (eps^2 + (y - 1)^2)^(q/2), q = 3/2 - 10^-5, eps = 10^-3 (convex; Newton
overshoots |y - 1|^q by the factor (2 - q)/(q - 1) > 1) is minimized on the 1-dimensional face x = 1/2 + c from
c = 0: the full Newton step lands on the far side of the minimum with G larger than at the start by about 0.16 of
the Armijo margin 1e-4 * decrement (checked below, independently of the code under test). Every accepted iterate
of both arithmetics (mpmath: :func:`minimize_on_face`; python-flint: :func:`refine_on_face`, the same
:func:`damped_newton_on_face` loop) is recorded and must not increase G.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError
from implicitreg.numerics.selection import TieBreak, minimize_on_face, refine_on_face

Q = Fraction(149999, 100000)
EPS = Fraction(1, 1000)
START = [Fraction(1, 2)]
DIRECTIONS = [[Fraction(1)]]
DPS = 40


def _value(y):
    q, e = mpmath.mpf(Q.numerator) / Q.denominator, mpf(EPS.numerator) / EPS.denominator
    return (e ** 2 + (y - 1) ** 2) ** (q / 2)


def _d1(y):
    q, e = mpmath.mpf(Q.numerator) / Q.denominator, mpf(EPS.numerator) / EPS.denominator
    return q * (y - 1) * (e ** 2 + (y - 1) ** 2) ** (q / 2 - 1)


def _d2(y):
    q, e = mpmath.mpf(Q.numerator) / Q.denominator, mpf(EPS.numerator) / EPS.denominator
    return q * (e ** 2 + (y - 1) ** 2) ** (q / 2 - 2) * (e ** 2 + (q - 1) * (y - 1) ** 2)


def test_the_full_newton_step_from_the_start_goes_slightly_uphill():
    """The instance does what the tests below need (derivatives checked against mpmath.diff)."""
    with mpmath.workdps(DPS):
        y0 = mpf(1) / 2
        assert abs(_d1(y0) - mpmath.diff(_value, y0)) < mpf(10) ** -25
        assert abs(_d2(y0) - mpmath.diff(_value, y0, 2)) < mpf(10) ** -20
        step = -_d1(y0) / _d2(y0)
        decrement = _d1(y0) ** 2 / _d2(y0)
        increase = _value(y0 + step) - _value(y0)
        assert y0 + step > 0                                   # inside the face: only Armijo can reject it
        assert 0 < increase < mpf("1e-4") * decrement / 2    # uphill, but by less than the Armijo margin


def _recording_functional():
    accepted, values = [], []

    def d1(y):  # each iteration evaluates g' once per coordinate at the accepted point (|S| = 1 here)
        accepted.append(mpf(y))
        return _d1(y)

    def value(y):  # the start, then every trial point
        values.append(mpf(y))
        return _value(y)

    return TieBreak("slightly-overshooting power", value, d1, _d2), accepted, values


@pytest.mark.parametrize("solver", ["mpmath", "flint"])
def test_face_newton_rejects_a_slightly_uphill_full_step(solver):
    g, accepted, values = _recording_functional()
    failure = None
    try:  # a broken line search oscillates across the minimum until max_iter: check the iterates first
        if solver == "mpmath":
            x, c, iterations = minimize_on_face(START, DIRECTIONS, 2, dps=DPS, functional=g)
        else:
            x, c, iterations = refine_on_face(START, DIRECTIONS, g, [0], dps=DPS)
    except ConvergenceError as e:
        failure = e
    with mpmath.workdps(DPS):
        G = [_value(y) for y in accepted]
        # the first trial was the full Newton step (y = 1/2 + 1/2 d1/d2 ~ 1.5), and it was rejected
        assert len(values) >= 2 and values[1] > mpf("1.4")
        noise = mpf(10) ** -30
        for before, after in zip(G, G[1:]):
            assert after <= before + noise * abs(before), (before, after)
        assert G[1] < G[0] and accepted[1] < mpf("1.25")   # the first accepted step went down, not across
        assert failure is None, failure
        assert len(G) == iterations and iterations >= 2
        assert abs(x[0] - 1) < mpf(10) ** -15         # and the iteration found the minimum y = 1
