"""The schedule of the mixed-precision refinement (``numerics/mixed_limit.refine``) against its documented policy.

``refine`` decides from measured costs when to form the Jacobian J again, so on the real clock no test could pin
those decisions. It takes the timer as ``clock=`` and records what it did in the :class:`Refinement`
(``jacobian_steps``, ``inverse_steps``, ``damped_steps``). Here the timer is a fake one that advances only when the
instrumented work runs: forming J costs ``build``, its first solve ``first``, its approximate inverse ``inverse``,
each step (one residual) ``step``, everything else nothing. Every iteration is observed from outside (the residual's
x, the Jacobian formations with their precision and weight bits, each solve with its right-hand side and algorithm,
each objective evaluation, each step length the line search tries), and the expected schedule is derived from the
docstring of ``refine`` applied to the observed changes of x:

* J is formed at the first iteration and again after a damped step, after a full step whose change exceeds
  ``slow`` times the previous full step's change, or after a full step following a full step when
  ``_rebuild_pays`` (its own documented formula) says so, on the cost of forming the current J (formation + first
  solve + inverse) and the cost of a step;
* a newly formed J is solved with at its first use and approximately inverted at its second;
* a full step changing x by at most FULL_STEP = 10^-3 is taken without evaluating the objective.

The instances are small and exact (2 x 3, D = 2 and D = 3; the equality boundaries on a linear model problem whose
steps are exact in binary), so each test takes well under a second.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError
from implicitreg.numerics import mixed_limit as ml
from implicitreg.numerics.integer_form import IntegerRows
from implicitreg.numerics.precision import arb_to_mpf, flint_precision, to_arb

F = Fraction
A = [[F(1), F(1, 2), F(-1, 3)], [F(0), F(1), F(2)]]
Y = [F(1), F(1, 2)]
DPS = 40
CASES = [(F(2), "1e-8"), (F(3), "1e-10")]
HUGE = F(2) ** 100


class FakeTime:
    """A timer (seconds, exact rationals: no cost is lost in rounding) that only the instrumented work advances."""

    def __init__(self):
        self.now = F(0)

    def __call__(self):
        return self.now


class _Observed:
    """J as ``refine`` sees it: every solve is recorded (columns of the right-hand side, the algorithm) and charged
    to the fake time; ``overshoot(iteration)`` may scale one solution (a direction far too long)."""

    def __init__(self, J, run):
        self.J, self.run = J, run

    def solve(self, rhs, **kwargs):
        it = self.run.iters[-1]
        it["solves"].append((rhs.ncols(), kwargs.get("algorithm", "(default)")))
        self.run.time.now += self.run.costs["first"] if rhs.ncols() == 1 else self.run.costs["inverse"]
        out = self.J.solve(rhs, **kwargs)
        if self.run.overshoot is not None and self.run.overshoot(self.run):
            out = out * flint.arb(2) ** 40
            it["overshot"] = True
        return out


class Run:
    """One instrumented call of ``refine`` on the small instance."""

    def __init__(self, monkeypatch, D, alpha, *, build=1, first=0, inverse=0, step=1, y=Y,
                 overshoot=None):
        self.costs = {"build": F(build), "first": F(first), "inverse": F(inverse), "step": F(step)}
        self.time, self.iters, self.overshoot = FakeTime(), [], overshoot
        self.a = to_arb(mpf(alpha))
        self.alpha = mpf(alpha)
        self.dual = dual = ml.MixedDual(y, D, IntegerRows(A))
        gradient, jacobian, objective = dual.gradient, dual.jacobian, dual.objective

        def observed_gradient(x):
            self.iters.append({"x": list(x), "jacobian": [], "solves": [], "objective": [], "t": []})
            self.time.now += self.costs["step"]
            return gradient(x)

        def observed_jacobian(w, bits):
            self.iters[-1]["jacobian"].append((bits, flint.ctx.dps))
            self.time.now += self.costs["build"]
            return _Observed(jacobian(w, bits), self)

        def observed_objective(nu, z, a):
            value = objective(nu, z, a)
            self.iters[-1]["objective"].append(([(a * p).mid() for p in dual.phi(z)], value))
            return value

        dual.gradient, dual.jacobian, dual.objective = observed_gradient, observed_jacobian, observed_objective
        halving = ml.halving_steps

        def observed_halving(t, what):
            for s in halving(t, what):
                self.iters[-1]["t"].append(s)
                yield s

        monkeypatch.setattr(ml, "halving_steps", observed_halving)

    def refine(self, nu=None, *, slow, tol_digits=DPS - 5, accuracy_digits=20, jacobian_dps=DPS, max_iter=None):
        self.slow, self.tol_digits, self.accuracy = slow, tol_digits, accuracy_digits
        with mpmath.workdps(DPS), flint_precision(DPS):
            nu = nu or [flint.arb(0)] * self.dual.m
            self.result = ml.refine(self.dual, nu, self.a, DPS, jacobian_dps, accuracy_digits=accuracy_digits,
                                    slow=slow, tol_digits=tol_digits, max_iter=max_iter, clock=self.time)
            xs = [it["x"] for it in self.iters] + [self.result.x]
            # the documented change of x: max_i |x_i' - x_i| / max(|x_i|, alpha_prod), as refine measures it
            self.changes = [max((abs(n - o) / max(abs(o), self.a)).mid() for n, o in zip(new, old))
                            for old, new in zip(xs, xs[1:])]
        self.ts = [it["t"][-1] for it in self.iters]   # the accepted step: the last one the line search tried
        return self.result

    def expected(self, accounting="documented"):
        """(jacobian_steps, inverse_steps, damped_steps) that the documented policy implies on the observed changes;
        ``accounting`` other than "documented" charges the cost of forming J as a planted bug would (only to show
        that a test's costs tell them apart)."""
        formed, inverted, damped = [], [], []
        fresh, previous, total, n = True, None, F(0), len(self.iters)
        c = self.costs
        with flint_precision(DPS):
            for k, (t, change) in enumerate(zip(self.ts, self.changes), start=1):
                if fresh:
                    formed.append(k)
                    fresh, uses = False, 0
                    build = c["build"] + (total if accounting == "summed" else 0)
                    total = build
                uses += 1
                if uses == 1:
                    build = c["first"] if accounting == "first-only" else build + c["first"]
                if uses == 2:
                    inverted.append(k)
                    build = c["inverse"] if accounting == "inverse-only" else build + c["inverse"]
                total = build
                if t != 1:
                    damped.append(k)
                if k == n:
                    break
                if t != 1 or (previous is not None and change > previous * self.slow):
                    fresh = True
                elif previous is not None and ml._rebuild_pays(change, previous, self.tol_digits, self.accuracy,
                                                               build, c["step"]):
                    fresh = True
                previous = change if t == 1 else None
        return tuple(formed), tuple(inverted), tuple(damped)

    def recorded(self):
        r = self.result
        return r.jacobian_steps, r.inverse_steps, r.damped_steps

    def observed(self):
        """The schedule as seen from outside: which iterations formed J, which solved with an identity (the
        approximate inverse), which accepted a step t < 1."""
        return (tuple(k for k, it in enumerate(self.iters, 1) if it["jacobian"]),
                tuple(k for k, it in enumerate(self.iters, 1) if any(cols > 1 for cols, _ in it["solves"])),
                tuple(k for k, t in enumerate(self.ts, 1) if t != 1))


SLOW = flint.arb(10) ** -3          # the primary solve's threshold (mixed_limit.PRIMARY)
# cost settings (fake seconds), each with the wrong ways of charging the cost of forming J that it tells apart from
# the documented one on both instances (asserted, so that a setting that stops discriminating is noticed): forming J
# so dear that it never pays, unless the formation itself goes uncharged (only the first solve, or only the
# inverse); forming J free; forming J about as dear as the time it saves, so that charging the earlier Jacobians
# too, or only the first solve, changes a decision
COSTS = {
    "dear": (dict(build=HUGE, first=0, inverse=0, step=1), ("first-only", "inverse-only")),
    "free": (dict(build=0, first=0, inverse=0, step=1), ()),
    "balanced": (dict(build=1, first=F(1, 4), inverse=F(1, 8), step=1), ("first-only", "summed")),
}


@pytest.mark.parametrize("D, alpha", CASES)
@pytest.mark.parametrize("costs", list(COSTS))
def test_schedule_follows_the_documented_policy(monkeypatch, D, alpha, costs):
    """From nu = 0 (damped steps, slow and fast contraction all occur): the recorded schedule is the one seen from
    outside and the one the documented policy implies on the observed changes of x."""
    setting, discriminates = COSTS[costs]
    run = Run(monkeypatch, D, alpha, **setting)
    r = run.refine(slow=SLOW)
    assert r.iterations == len(run.iters) and r.jacobians == len(r.jacobian_steps)
    assert run.recorded() == run.observed() == run.expected()
    for accounting in discriminates:
        assert run.expected(accounting) != run.expected(), accounting
    formed, inverted, damped = run.expected()
    assert damped and inverted and len(formed) > 3           # every kind of decision was taken


@pytest.mark.parametrize("D, alpha", CASES)
def test_free_jacobians_are_formed_whenever_they_gain_digits(monkeypatch, D, alpha):
    """Forming J costs nothing: after two consecutive full steps that did not contract slowly, J is formed again
    exactly when a Jacobian formed at the current point gains more digits per step than the frozen one does
    (min(-log10 change, accuracy) > -log10(change / previous) > 0) and digits remain to be gained; derived from the
    docstrings by hand, without _rebuild_pays."""
    run = Run(monkeypatch, D, alpha, **COSTS["free"][0])
    r = run.refine(slow=SLOW, tol_digits=DPS - 5)
    pays = []
    with flint_precision(DPS):
        for k in range(1, r.iterations - 1):            # decisions after iterations 2 .. n-1 (numbered from 1)
            previous, change = run.changes[k - 1], run.changes[k]
            if run.ts[k - 1] != 1 or run.ts[k] != 1 or change > previous * SLOW:
                continue
            now = -float((change / previous).log()) / 2.302585092994046
            new = min(-float(change.log()) / 2.302585092994046, run.accuracy)
            remaining = run.tol_digits + float(change.log()) / 2.302585092994046
            pays.append((k + 1, remaining > 0 and new > now > 0))
    assert pays and any(p for _, p in pays)
    for k, p in pays:
        assert ((k + 1) in r.jacobian_steps) == p, (k, p)


@pytest.mark.parametrize("D, alpha", CASES)
def test_near_the_solution_one_jacobian_or_one_per_step(monkeypatch, D, alpha):
    """From nu* rounded to 8 digits every step is full. With slow = 10^6 and forming J dear, J is formed once
    (iteration 1), solved with once and inverted at its second use (iteration 2); with slow = 0 every full step
    that followed a full step is too slow, so J is formed at iterations 1, 3, 4, ..., n, and only the J of iteration
    1 is ever reused (inverted at 2)."""
    exact = Run(monkeypatch, D, alpha).refine(slow=SLOW)
    with flint_precision(DPS):
        start = [to_arb(mpf(mpmath.nstr(arb_to_mpf(v), 8))) for v in exact.nu]
    frozen = Run(monkeypatch, D, alpha, **COSTS["dear"][0])
    r = frozen.refine(list(start), slow=flint.arb(10) ** 6)
    assert r.iterations >= 3
    assert (r.jacobian_steps, r.inverse_steps, r.damped_steps) == ((1,), (2,), ())
    assert frozen.observed() == frozen.recorded()
    assert all(it["objective"] == [] for it in frozen.iters)      # small full steps: no line search
    newton = Run(monkeypatch, D, alpha, **COSTS["dear"][0])
    r = newton.refine(list(start), slow=flint.arb(0))
    n = r.iterations
    assert n >= 3
    assert (r.jacobian_steps, r.inverse_steps, r.damped_steps) == ((1,) + tuple(range(3, n + 1)), (2,), ())
    assert newton.observed() == newton.recorded()


@pytest.mark.parametrize("D, alpha", CASES)
def test_each_jacobian_is_solved_then_inverted_then_multiplied(monkeypatch, D, alpha):
    """Per iteration, seen through J: the first use of a newly formed J is one approximate solve with the residual
    (one column), its second use one approximate inverse (an m x m identity right-hand side), later uses no solve
    (a product with the inverse); J is formed at ``jacobian_dps`` from weights kept to int(3.33 accuracy_digits) + 8
    bits, and the result reports ``jacobian_dps``."""
    for accuracy, jac_dps in ((20, DPS), (7, 30)):
        run = Run(monkeypatch, D, alpha, **COSTS["dear"][0])
        r = run.refine(slow=SLOW, accuracy_digits=accuracy, jacobian_dps=jac_dps)
        assert r.jacobian_dps == jac_dps
        uses = 0
        for it in run.iters:
            if it["jacobian"]:
                assert it["jacobian"] == [(int(accuracy * 3.33) + 8, jac_dps)]
                uses = 0
            uses += 1
            assert it["solves"] == {1: [(1, "approx")], 2: [(run.dual.m, "approx")]}.get(uses, [])


def test_small_full_steps_skip_the_objective_and_larger_ones_are_searched(monkeypatch):
    """A full step that changes x by at most FULL_STEP = 10^-3 (relative) is taken without evaluating the dual
    objective; every other step is accepted by the line search on the objective."""
    for D, alpha in CASES:
        run = Run(monkeypatch, D, alpha)
        run.refine(slow=SLOW)
        with flint_precision(DPS):
            small = [t == 1 and c <= ml.FULL_STEP for t, c in zip(run.ts, run.changes)]
        assert any(small) and not all(small)
        for k, (it, shortcut) in enumerate(zip(run.iters, small)):
            if shortcut:
                assert it["objective"] == []
            else:
                assert it["objective"], k


def test_a_line_search_after_a_small_step_evaluates_the_objective_afresh(monkeypatch):
    """A step far too long (the direction scaled by 2^40) right after a small full step (taken without the
    objective): the line search must evaluate the objective at the current point, accept only an ascent step, and
    the refinement must still reach the same x (to its tolerance)."""
    reference = Run(monkeypatch, F(2), "1e-8").refine(slow=SLOW)

    def after_a_shortcut(run):
        its = run.iters
        return (len(its) >= 2 and its[-2]["objective"] == [] and its[-2]["t"] == [1]
                and not any(it.get("overshot") for it in its))

    run = Run(monkeypatch, F(2), "1e-8", overshoot=after_a_shortcut)
    r = run.refine(slow=SLOW)
    hit = [k for k, it in enumerate(run.iters) if it.get("overshot")]
    assert len(hit) == 1
    it = run.iters[hit[0]]
    with flint_precision(DPS):
        x_here, f_here = it["objective"][0]          # the first evaluation is at the current point ...
        assert x_here == it["x"] and run.iters[hit[0] - 1]["objective"] == []
        assert it["objective"][-1][1] > f_here        # ... the last at the accepted one, which is higher
        assert run.ts[hit[0]] < 1 / 2 ** 30
        tol = mpf(10) ** -(DPS - 5)
        assert all(abs(arb_to_mpf(u) - arb_to_mpf(v)) <= 10 * tol * max(abs(arb_to_mpf(v)), mpf("1e-8"))
                   for u, v in zip(r.x, reference.x))


@pytest.mark.parametrize("scale", [F(10) ** 6, F(10) ** -6])
def test_the_stopping_change_is_relative_to_x(monkeypatch, scale):
    """y scaled by 10^6 or 10^-6 (x of that size, alpha_prod = 1e-8): the refinement stops after the first full
    step that changed every x_i by at most 10^-tol_digits relative to max(|x_i|, alpha_prod), not before."""
    run = Run(monkeypatch, F(2), "1e-8", y=[v * scale for v in Y])
    r = run.refine(slow=SLOW, tol_digits=12)
    tol = mpf(10) ** -12
    changes = [arb_to_mpf(c) for c in run.changes]
    assert r.iterations == len(changes) >= 4
    assert changes[-1] <= tol and all(c > tol for c in changes[:-1]), [mpmath.nstr(c, 3) for c in changes]
    top = max(abs(arb_to_mpf(v)) for v in r.x)
    assert scale / 10 < F(str(top)) < scale * 10              # x really is of the scaled size


def test_a_singular_newton_system_is_refused():
    """A with a zero row: J = A diag(w) A^T has a zero row and column (exactly singular), and the refinement
    refuses with its message."""
    A2 = [[F(1), F(2), F(3)], [F(0), F(0), F(0)]]
    with mpmath.workdps(DPS), flint_precision(DPS):
        dual = ml.MixedDual([F(1), F(0)], F(2), IntegerRows(A2))
        with pytest.raises(ConvergenceError) as info:
            ml.refine(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS, accuracy_digits=20, slow=SLOW,
                      tol_digits=DPS - 5, clock=FakeTime())
    assert str(info.value) == "singular Newton system in the refinement"


# --- boundaries, on a model problem where every quantity is exact ---------------------------------------------

class LinearModel:
    """The dual of a one-dimensional problem with A = [1] and phi(z) = z (so x = alpha_prod z, F(nu) = y - x and
    the objective y nu - alpha_prod z^2 / 2), whose "Jacobian" is ``jacobian`` instead of alpha_prod: each step
    moves x by (y - x) / jacobian, exactly, in binary arithmetic. Forming it costs ``build`` on ``time``; each
    objective evaluation is recorded."""

    m, two = 1, True

    def __init__(self, y, jacobian, time, build=HUGE):
        self.y, self.J, self.time, self.build, self.objectives = flint.arb(y), jacobian, time, build, []

    def zvec(self, v):
        return list(v)

    def phi(self, z):
        return list(z)

    def dphi(self, z):
        return [flint.arb(1) for _ in z]

    def gradient(self, x):
        self.time.now += 1
        return [(self.y - x[0]).mid()]

    def jacobian(self, w, bits):
        self.time.now += self.build
        return flint.arb_mat([[self.J]])

    def objective(self, nu, z, a):
        self.objectives.append(nu[0])
        return (self.y * nu[0] - a * z[0] ** 2 / 2).mid()


def _refine_model(model, *, slow, tol_digits):
    return ml.refine(model, [flint.arb(0)], flint.arb(1), DPS, DPS, accuracy_digits=20, slow=slow,
                     tol_digits=tol_digits, clock=model.time)


def test_a_full_step_of_exactly_full_step_takes_no_line_search():
    """FULL_STEP is the ball enclosing 10^-3; "changes x by at most FULL_STEP" holds for a change at its lower end
    (certainly <=), which therefore skips the objective, and not for one a hair above, which runs the line search.
    One exact Newton step from x = 0 to x = y changes x by exactly y (alpha_prod = 1 = max(|x|, alpha_prod))."""
    with flint_precision(DPS):
        lower = ml.FULL_STEP.lower()
        assert lower.rad() == 0 and lower <= ml.FULL_STEP
        for y, searched in ((lower, False), (lower + flint.arb(2) ** -120, True)):
            assert y.rad() == 0
            model = LinearModel(y, 1, FakeTime())
            r = _refine_model(model, slow=SLOW, tol_digits=2)
            assert r.iterations == 1 and r.x == [y] and r.damped_steps == ()
            assert bool(model.objectives) == searched, y


@pytest.mark.parametrize("excess, reformed", [(0, False), (-1, True), (1, False)])
def test_a_contraction_of_exactly_slow_keeps_the_jacobian(excess, reformed):
    """With the "Jacobian" 2 every step halves the remaining error exactly, so each full step's change is exactly
    1/2 of the previous one. J is formed again only when a step contracts by less than ``slow`` (change > slow *
    previous): not for slow = 1/2, nor 1/2 + 2^-60, but for 1/2 - 2^-60, after every step from the second on.
    (Forming J is dear, so it never pays for itself.)"""
    with flint_precision(DPS):
        slow = flint.arb(1) / 2 + excess * flint.arb(2) ** -60
        model = LinearModel(flint.arb(2) ** -11, 2, FakeTime())
        r = _refine_model(model, slow=slow, tol_digits=6)
        n = r.iterations
        assert n == 9                        # change_k = 2^-(11 + k), at most 10^-6 first for k = 9
        assert r.jacobian_steps == ((1,) + tuple(range(3, n + 1)) if reformed else (1,))
        assert model.objectives == []        # every change is below FULL_STEP
