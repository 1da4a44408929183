"""The certified limit at moderate alpha (1 down to 1/100): the requested digits, not a refusal.

The working precision of a certified solve is digits + log10(1/alpha_prod) (+ the boundary term for D > 2) + the
guard digits of :func:`implicitreg.numerics.precision.working_dps`, and the certified digits are capped at the
working precision - 5. At small alpha the log10(1/alpha) term hides a guard that is too small; at alpha_prod near 1
nothing does, and a guard below 5 digits makes the closed form refuse (PrecisionError) and the dual Newton certify
fewer digits than at the documented guard. So: at alpha_prod in [1/100, 1] both methods certify at least the
requested digits and agree with each other on every certified digit.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import limit

ROW = Instance.from_lists([[1, "1/2", "1/2"]], [1])   # the row family A = [1, r, r], y = [1] (closed form)
DIGITS = 20


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("alpha", ["1", "1/2", "1/100"])
def test_closed_form_and_newton_certify_the_requested_digits(depth, alpha):
    closed = limit(ROW, depth, alpha, method="closed-form", digits=DIGITS)
    newton = limit(ROW, depth, alpha, method="newton", digits=DIGITS)
    assert closed.success and newton.success
    assert closed.digits >= DIGITS and newton.digits >= DIGITS
    with mpmath.workdps(2 * closed.dps):
        scale = max(abs(v) for v in closed.x)
        claimed = min(closed.digits, newton.digits)
        for a, b in zip(closed.x, newton.x):
            assert abs(a - b) <= mpf(10) ** -claimed * scale, (a, b, claimed)
