"""The line searches accept only steps that improve the objective (tested on the iterations themselves).

An iteration that accepts uphill steps can still converge, so checking the end point alone cannot notice a broken
line search. Here every accepted iterate is recorded: the dual Newton iteration of ``numerics/dual_limit.py``
(maximizes f(nu) = <y, nu> - alpha H(A^T nu)) and the damped Newton on a face of ``numerics/selection.py``
(minimizes G = sum g(y_i)) must be monotone, and started far from the optimum so that full steps are rejected
(the line search is exercised, not bypassed).
"""
from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import pytest
from mpmath import mpf

from implicitreg.numerics import dual_limit as dl
from implicitreg.numerics.basis_pursuit import l1_minimizer
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import flint_precision, to_arb, arb_to_mpf
from implicitreg.numerics.selection import TieBreak, minimize_on_face, tie_break

F = Fraction
A = [[F(1), F(1, 2), F(-1, 3)], [F(0), F(1), F(2)]]
Y = [F(1), F(1, 2)]


def _record_calls(dual, events: list):
    """Make ``dual`` log its calls: ("f", value) for each objective evaluation, ("g", None) for each gradient (one
    per iteration). Returns the original gradient."""
    objective, gradient = dual.objective, dual.gradient

    def recording_objective(nu, z, a):
        value = objective(nu, z, a)
        events.append(("f", arb_to_mpf(value)))
        return value

    def recording_gradient(x):
        events.append(("g", None))
        return gradient(x)

    dual.objective, dual.gradient = recording_objective, recording_gradient
    return gradient


@pytest.mark.parametrize("depth, alpha", [(F(2), "1e-6"), (F(3), "1e-10"), (F(5, 2), "1e-4")])
def test_dual_newton_accepts_only_ascent_steps(depth, alpha):
    dps = 40
    events = []
    with flint_precision(dps):
        dual = dl._Dual(A, Y, depth)
        gradient = _record_calls(dual, events)
        nu, z, x, iterations = dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf(alpha)), 30, dps)
        # accepted values: the start, then the last objective evaluated before each new gradient, and the final one
        accepted, rejected_downhill, last = [], 0, None
        for kind, value in events:
            if kind == "f":
                if last is not None and accepted and last < accepted[-1] and value is not None:
                    rejected_downhill += 1   # the previous trial went downhill and a new one was tried
                last = value
            elif last is not None:
                accepted.append(last)
        accepted.append(last)
        assert len(accepted) == iterations + 1
        assert rejected_downhill >= 1          # the sufficient-increase test rejected at least one step
        with mpmath.workdps(dps):
            noise = mpf(10) ** -(dps - 12)
            for before, after in zip(accepted, accepted[1:]):
                assert after >= before - noise * abs(before), (before, after)
            assert accepted[-1] > accepted[0]
            # and it converged to the dual optimum: A x = y
            assert max(abs(arb_to_mpf(g)) for g in gradient(x)) < mpf(10) ** -25


def _pseudo_huber(eps: str, centre: str) -> TieBreak:
    """sqrt(eps^2 + (y - c)^2): convex with tiny curvature away from c, so full Newton steps overshoot."""
    E, C = mpf(eps), mpf(centre)
    return TieBreak("pseudo-Huber", lambda y: mpmath.sqrt(E ** 2 + (y - C) ** 2),
                    lambda y: (y - C) / mpmath.sqrt(E ** 2 + (y - C) ** 2),
                    lambda y: E ** 2 * (E ** 2 + (y - C) ** 2) ** mpf("-1.5"))


@pytest.mark.parametrize("depth, weight, armijo", [(2, F(1, 1000), False), (3, F(1, 1000), False),
                                                  ("inf", F(1, 1000), False), ("huber", F(1, 10), True)])
def test_face_newton_accepts_only_descent_steps(depth, weight, armijo):
    """Start next to a vertex of the 2-dimensional face of 'face2': full Newton steps leave the face or go uphill
    (with the pseudo-Huber functional some feasible steps go uphill and must be rejected by the Armijo test)."""
    inst = Instance.from_lists([[1, 1, 1, 1, "0.3"], [0, 1, 2, 3, 1]], [1, 1])
    face = l1_minimizer(inst).face
    vertex = face.vertices[0]
    start = [(1 - weight) * v + weight * p for v, p in zip(vertex, face.point)]
    g = _pseudo_huber("0.01", "0.25") if depth == "huber" else tie_break(depth)
    seen = []
    value_calls = [0]

    def d1(v):
        seen.append(v)
        return g.d1(v)

    def value(v):
        value_calls[0] += 1
        return g.value(v)

    S = [i for i, v in enumerate(start) if v != 0]
    x, c, iterations = minimize_on_face(start, face.directions, 2 if depth == "huber" else depth, dps=40,
                                        functional=TieBreak(g.name, value, d1, g.d2))
    with mpmath.workdps(40):
        # every iteration starts by evaluating g' at the accepted point: chunks of |S| calls
        points = [seen[k:k + len(S)] for k in range(0, len(seen), len(S))]
        G = [mpmath.fsum(g.value(v) for v in pt) for pt in points]
        assert len(G) == iterations
        noise = mpf(10) ** -30
        for before, after in zip(G, G[1:]):
            assert after <= before + noise * abs(before), (before, after)
        assert G[-1] < G[0]
        if armijo:  # feasible trial steps were evaluated and rejected
            assert value_calls[0] > len(S) * (iterations + 1)


@pytest.mark.parametrize("depth, alpha", [(F(2), "1e-8"), (F(3), "1e-10")])
def test_mixed_refinement_accepts_only_ascent_steps(depth, alpha):
    """The refinement of the mixed-precision solve (the default path) from nu = 0: its damped steps must increase the
    dual objective. The objective is evaluated only when a step is guarded (a full step changing x by less than
    FULL_STEP is taken without it): an iteration with objective calls starts with the current value when the
    previous one was unguarded, and its last call is the accepted value."""
    from implicitreg.numerics.integer_form import IntegerRows
    from implicitreg.numerics.mixed_limit import MixedDual, refine

    dps = 40
    events = []
    with mpmath.workdps(dps), flint_precision(dps):
        dual = MixedDual(Y, depth, IntegerRows(A))
        gradient = _record_calls(dual, events)
        r = refine(dual, [flint.arb(0)] * 2, to_arb(mpf(alpha)), dps, dps, accuracy_digits=20,
                   slow=flint.arb(10) ** -3, tol_digits=dps - 5)
        chunks, current = [], None
        for kind, value in events:
            if kind == "g":
                current = []
                chunks.append(current)
            else:
                current.append(value)
        assert len(chunks) == r.iterations
        noise = mpf(10) ** -(dps - 12)
        previous, guarded, rejected = None, 0, 0     # previous: accepted value of the last guarded iteration
        for k, values in enumerate(chunks):
            if not values:
                previous = None                      # an unguarded full step: the next guarded one re-evaluates
                continue
            guarded += 1
            if previous is None:
                baseline, trials = values[0], values[1:]
            else:
                baseline, trials = previous, values
            assert trials, k
            accepted = trials[-1]
            assert accepted >= baseline - noise * abs(baseline), (k, baseline, accepted)
            rejected += sum(1 for v in trials[:-1] if v < baseline)
            previous = accepted
        assert guarded >= 2 and rejected >= 1      # the line search ran and rejected a downhill step
        assert max(abs(arb_to_mpf(g)) for g in gradient(r.x)) < mpf(10) ** -25
