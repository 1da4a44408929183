"""The Newton iterations of the limit refuse instead of returning an unconverged point.

The dual Newton iteration (``numerics/dual_limit._newton``) and the refinement of the mixed-precision solve
(``numerics/mixed_limit.refine``) maximize the dual objective f(nu) = <y, nu> - alpha H(A^T nu). Their documented
contract: a step is accepted only when f increases enough (Armijo), and an iteration that has not converged after
``max_iter`` steps raises ConvergenceError. Here the objective is made to report every trial point as worse than
the start (as a broken line search would face): the iteration must fail after its 200 halvings, never accept a
step; and with ``max_iter`` = 1 from nu = 0 (far from the optimum) both must refuse with their documented message.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError
from implicitreg.numerics import dual_limit as dl
from implicitreg.numerics.integer_form import IntegerRows
from implicitreg.numerics.mixed_limit import MixedDual, refine
from implicitreg.numerics.precision import arb_to_mpf, flint_precision, to_arb

F = Fraction
A = [[F(1), F(1, 2), F(-1, 3)], [F(0), F(1), F(2)]]
Y = [F(1), F(1, 2)]
DPS = 30


def _every_trial_worse(dual):
    """The first objective value is the real one; every later evaluation reports one unit less than it."""
    objective, calls = dual.objective, []

    def worse(nu, z, a):
        value = objective(nu, z, a)
        calls.append(value)
        return value if len(calls) == 1 else (calls[0] - 1).mid()

    dual.objective = worse
    return calls


def test_dual_newton_fails_when_no_step_increases_the_objective():
    with flint_precision(DPS):
        dual = dl._Dual(A, Y, F(2))
        calls = _every_trial_worse(dual)
        with pytest.raises(ConvergenceError) as info:
            dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-6")), 20, DPS)
    assert str(info.value) == "the line search of the dual Newton iteration failed"
    assert len(calls) == 1 + 200         # the start, then 200 rejected trials (halvings)


def test_dual_newton_refuses_after_max_iter_steps():
    with flint_precision(DPS), mpmath.workdps(DPS):
        dual = dl._Dual(A, Y, F(2))
        with pytest.raises(ConvergenceError) as info:
            dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf("1.23456789e-6")), 20, DPS, max_iter=1)
        assert str(info.value) == ("the dual Newton iteration did not converge in 1 iterations "
                                   "at alpha_prod = 1.2346e-6")   # alpha_prod to 5 digits
        nu, z, x, iterations = dl._newton(dl._Dual(A, Y, F(2)), [flint.arb(0)] * 2, to_arb(mpf("1e-6")), 20, DPS)
        assert 1 < iterations <= dl.MAX_NEWTON        # the default budget suffices from the same start


def _mixed(depth=F(2)):
    return MixedDual(Y, depth, IntegerRows(A))


def test_refinement_fails_when_no_step_increases_the_objective():
    with mpmath.workdps(DPS), flint_precision(DPS):
        dual = _mixed()
        calls = _every_trial_worse(dual)
        with pytest.raises(ConvergenceError) as info:
            refine(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS, accuracy_digits=20,
                   slow=flint.arb(10) ** -3, tol_digits=DPS - 5)
    assert str(info.value) == "the line search of the refinement failed"
    assert len(calls) == 1 + 200


def test_refinement_refuses_after_max_iter_steps():
    with mpmath.workdps(DPS), flint_precision(DPS):
        with pytest.raises(ConvergenceError) as info:
            refine(_mixed(), [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS, accuracy_digits=20,
                   slow=flint.arb(10) ** -3, tol_digits=DPS - 5, max_iter=1)
        assert str(info.value) == "the refinement did not converge in 1 iterations"


@pytest.mark.parametrize("tol_digits", [8, DPS - 5])
def test_refinement_stops_at_the_first_step_below_the_tolerance(tol_digits):
    """``refine`` stops after the first full step that changed every x_i by less than 10^-tol_digits relative to
    max(|x_i|, alpha_prod): every earlier step moved x by more (recorded through the gradient, which each iteration
    evaluates at its current x)."""
    from implicitreg.numerics.precision import arb_to_mpf

    a = mpf("1e-8")
    with mpmath.workdps(DPS), flint_precision(DPS):
        dual = _mixed()
        gradient, seen = dual.gradient, []

        def recording_gradient(x):
            seen.append([arb_to_mpf(v) for v in x])
            return gradient(x)

        dual.gradient = recording_gradient
        r = refine(dual, [flint.arb(0)] * 2, to_arb(a), DPS, DPS, accuracy_digits=20, slow=flint.arb(10) ** -3,
                   tol_digits=tol_digits)
        xs = seen + [[arb_to_mpf(v) for v in r.x]]
        changes = [max(abs(n - o) / max(abs(o), a) for n, o in zip(new, old)) for old, new in zip(xs, xs[1:])]
        assert r.iterations == len(seen) == len(changes) >= 3
        tol = mpf(10) ** -tol_digits
        assert changes[-1] <= tol and all(c > tol for c in changes[:-1]), [mpmath.nstr(c, 3) for c in changes]


@pytest.mark.parametrize("depth, alpha", [(F(2), "1e-6"), (F(3), "1e-10")])
def test_dual_newton_stops_at_the_rounding_floor(depth, alpha):
    """A tolerance below what the working precision can reach (10^-(dps + 10)): the iteration must stop at the
    rounding floor (full steps below 10^-20 that no longer shrink), its line search accepting the last steps whose
    ascent is lost in rounding, and return a point where A x = y to the working precision, not fail."""
    with flint_precision(DPS), mpmath.workdps(DPS):
        dual = dl._Dual(A, Y, depth)
        nu, z, x, iterations = dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf(alpha)), DPS + 10, DPS)
        assert iterations < dl.MAX_NEWTON
        residual = max(abs(arb_to_mpf(g)) for g in dual.gradient(x))
        assert residual < mpf(10) ** -(DPS - 8)


def test_dual_newton_allows_exactly_max_iter_steps():
    """max_iter is the number of Newton steps allowed: an iteration that converges in n steps succeeds with
    max_iter = n and refuses with n - 1."""
    a = to_arb(mpf("1e-6"))
    with flint_precision(DPS), mpmath.workdps(DPS):
        *_, n = dl._newton(dl._Dual(A, Y, F(2)), [flint.arb(0)] * 2, a, 20, DPS)
        assert n >= 2
        assert dl._newton(dl._Dual(A, Y, F(2)), [flint.arb(0)] * 2, a, 20, DPS, max_iter=n)[3] == n
        with pytest.raises(ConvergenceError, match=f"did not converge in {n - 1} iterations"):
            dl._newton(dl._Dual(A, Y, F(2)), [flint.arb(0)] * 2, a, 20, DPS, max_iter=n - 1)


def test_dual_newton_restarted_at_its_solution_stops():
    """Started at its own solution with an unreachable tolerance, the first full step is already below the rounding
    floor: the iteration takes a few steps at most and returns the same point."""
    a = to_arb(mpf("1e-6"))
    with flint_precision(DPS), mpmath.workdps(DPS):
        nu, z, x, _ = dl._newton(dl._Dual(A, Y, F(2)), [flint.arb(0)] * 2, a, DPS + 10, DPS)
        nu2, z2, x2, n = dl._newton(dl._Dual(A, Y, F(2)), nu, a, DPS + 10, DPS)
        assert n <= 3
        assert max(abs(arb_to_mpf(u) - arb_to_mpf(v)) for u, v in zip(x, x2)) < mpf(10) ** -(DPS - 8)


def test_dual_newton_refuses_a_singular_newton_system():
    with flint_precision(DPS):
        dual = dl._Dual(A, Y, F(2))

        def singular(g, w):
            raise ZeroDivisionError("singular")

        dual.newton_direction = singular
        with pytest.raises(ConvergenceError) as info:
            dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-6")), 20, DPS)
    assert str(info.value) == "singular Newton system in the dual solve"
    assert info.value.__suppress_context__


@pytest.mark.parametrize("scale", [F(1), F(1000), F(1, 1000)])
def test_dual_newton_stops_at_the_first_step_below_the_tolerance(scale):
    """The dual Newton iteration stops after the first full step that changed every x_i by less than 10^-tol_digits
    relative to max(|x_i|, alpha_prod) (y scaled by 1000 and 1/1000: the measure is relative); every earlier step
    moved x by more. The iterates are recorded through the gradient, which each step evaluates at its current x."""
    a, tol_digits = mpf("1e-9"), 12
    with flint_precision(DPS), mpmath.workdps(DPS):
        dual = dl._Dual(A, [v * scale for v in Y], F(2))
        gradient, seen = dual.gradient, []

        def recording_gradient(x):
            seen.append([arb_to_mpf(v) for v in x])
            return gradient(x)

        dual.gradient = recording_gradient
        nu, z, x, n = dl._newton(dual, [flint.arb(0)] * 2, to_arb(a), tol_digits, DPS)
        xs = seen + [[arb_to_mpf(v) for v in x]]
        changes = [max(abs(p - o) / max(abs(o), a) for p, o in zip(new, old)) for old, new in zip(xs, xs[1:])]
        assert n == len(seen) == len(changes) >= 3
        tol = mpf(10) ** -tol_digits
        assert changes[-1] <= tol and all(c > tol for c in changes[:-1]), [mpmath.nstr(c, 3) for c in changes]
