"""The damped Newton on a face (``numerics/selection.damped_newton_on_face``) against its documented contract.

Its docstring: minimize G(y) = sum g(y_i) over y = ys(c) > 0; stop when the decrement is at most 10^(-2 dps + 10)
(the code stops at equality too) or a step no longer changes y; the step s is halved until y is strictly positive
and G decreases by 1e-4 s decrement (Armijo), or taken whole once the decrement is below 10^(-dps//2); after
``max_iter`` steps (or when no step is admissible) ConvergenceError naming ``what``. Here the Newton step, the move
and g are hand-made one-dimensional functions (y = c, g(v) = v), so that each boundary is decided exactly.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics import selection as sel


class Linear:
    """g(v) = v: G(y) = sum y_i (defined at 0 too, so that only the positivity test refuses y = 0)."""

    @staticmethod
    def value(v):
        return v


def _run(steps, *, c0=1, dps=30, max_iter=10, what="the test face", calls=None):
    """Run the iteration on y = [c] with newton_step returning ``steps`` in turn (then decrement 0: stop);
    returns (c, iterations, the step lengths s tried)."""
    tried = []
    calls = [] if calls is None else calls

    def newton_step(y):
        calls.append(y)
        k = len(calls) - 1
        return steps[k] if k < len(steps) else (mpf(0), mpf(0))

    def move(c, step, s):
        tried.append(s)
        return c + s * step

    with mpmath.workdps(dps):
        c, y, it = sel.damped_newton_on_face(mpf(c0), lambda c: [c], Linear(), newton_step, move, dps=dps,
                                             max_iter=max_iter, what=what)
    return c, it, tried, len(calls)


def test_stops_when_the_decrement_reaches_the_tolerance():
    dps = 30
    with mpmath.workdps(dps):
        tol = mpf(10) ** (-2 * dps + 10)
        c, it, tried, _ = _run([(mpf(-1) / 4, tol)], dps=dps)
        assert (c, it, tried) == (1, 1, [])                        # decrement == 10^(-2 dps + 10): no step
        c, it, tried, _ = _run([(mpf(-1) / 4, tol * 2)], dps=dps)
        assert tried == [1] and c == mpf(3) / 4                    # twice the tolerance: a (local, whole) step


def test_positivity_refuses_y_on_the_boundary():
    c, it, tried, _ = _run([(mpf(-1), mpf(1))])                  # s = 1 reaches y = 0: refused, halved
    assert tried == [1, mpf(1) / 2] and c == mpf(1) / 2


def test_armijo_accepts_exactly_the_sufficient_decrease():
    with mpmath.workdps(30):
        decrement = mpf(1)
        step = -(mpf("1e-4") * decrement)                          # G falls by exactly 1e-4 s decrement at s = 1
    c, it, tried, _ = _run([(step, decrement)])
    assert tried == [1]


def test_armijo_refuses_increases():
    """A step that raises G by less than 1e-4 s decrement is refused at every s: the iteration halves until the step
    no longer changes y (below the working precision), and ends where it started."""
    c, it, tried, _ = _run([(mpf("1e-6"), mpf(1))] * 3, dps=20)
    assert c == 1 and tried[0] == 1 and len(tried) > 20
    assert it == 1                                                 # the step no longer changed y: stop


def test_no_admissible_step_after_halving_to_two_to_the_minus_four_dps():
    """Every trial point leaves y > 0: s = 1, 1/2, ..., 2^(-4 dps) are tried, then ConvergenceError naming what."""
    dps, tried = 10, []

    def move(c, step, s):
        tried.append(s)
        return c + s * step

    def ys(c):                                                     # the start is inside, every trial point outside
        return [mpf(1)] if not tried else [mpf(-1)]

    with mpmath.workdps(dps), pytest.raises(ConvergenceError) as info:
        sel.damped_newton_on_face(mpf(1), ys, Linear(),
                                  lambda y: (mpf(-1), mpf(1)), move, dps=dps, max_iter=5, what="the test face")
    assert str(info.value) == "the test face: no admissible step"
    assert tried == [mpf(2) ** -k for k in range(4 * dps + 1)]


@pytest.mark.parametrize("dps", [31, 30])
def test_whole_steps_only_below_the_local_level(dps):
    """Below 10^(-dps//2) (31 digits: 10^-16) the step is taken whole even uphill; at the level it is judged."""
    with mpmath.workdps(dps):
        level = mpf(10) ** (-dps // 2)
    c, it, tried, _ = _run([(mpf(1) / 8, level / 2)], dps=dps)
    assert tried == [1] and c == mpf(9) / 8                        # local: whole, although G increases
    c, it, tried, _ = _run([(mpf(1) / 8, level)] * 2, dps=dps)
    assert c == 1 and len(tried) > 20                              # at the level: Armijo refuses every uphill step


@pytest.mark.parametrize("max_iter", [1, 3])
def test_refuses_after_exactly_max_iter_steps(max_iter):
    steps = [(mpf(-1) / 1024, mpf(1))] * (max_iter + 5)           # always a decrease, never converged
    log = []
    with pytest.raises(ConvergenceError) as info:
        _run(steps, max_iter=max_iter, calls=log)
    assert str(info.value) == f"the test face did not converge in {max_iter} steps"
    assert len(log) == max_iter                                    # exactly max_iter Newton steps were taken
    c, it, tried, calls = _run(steps[:max_iter - 1] if max_iter > 1 else [], max_iter=max_iter)
    assert it == max_iter and calls == max_iter                    # max_iter - 1 steps, then the stop: allowed


def test_minimize_on_face_passes_its_documented_defaults(monkeypatch):
    seen = {}
    real = sel.damped_newton_on_face

    def spy(*args, **kw):
        seen.update(kw)
        return real(*args, **kw)

    monkeypatch.setattr(sel, "damped_newton_on_face", spy)
    x, c, it = sel.minimize_on_face([1, 1, 0], [[1, -1, 0]], 2)
    assert seen["dps"] == 60 and seen["max_iter"] == 500 and seen["what"] == "damped Newton on the face"
    bits = mpmath.libmp.dps_to_prec(60)
    assert all(v._mpf_[1].bit_length() <= bits for v in x)         # the x are mpf at 60 digits


def test_minimize_on_face_without_directions_takes_no_step():
    assert sel.minimize_on_face([Fraction(1, 3), 0], [], 2, dps=20)[1:] == ([], 0)


def test_minimize_on_face_refuses_directions_off_the_support():
    with pytest.raises(InvalidParameterError) as info:
        sel.minimize_on_face([1, 0], [[1, 1]], 2, dps=20)
    assert str(info.value) == "face directions must vanish off the support of the point"
