"""Mixed-precision solve of the GF limit: float64 continuation, refinement at working precision, and an
independent certification solve.

The equation is the dual optimality condition F(nu) = y - A alpha_prod phi_D(A^T nu) = 0 (``dln.md`` §2 [standard
for D = 2, derived for real D > 2]; ``wah.md`` §5 Thm A), see :mod:`implicitreg.numerics.dual_limit`.

1. :func:`implicitreg.numerics.float64_dual.float64_start`: continuation in alpha and damped Newton in float64, to
   the basin of Newton's method at the target alpha (float64 only supplies a starting point).
2. :func:`refine`: Newton iterations whose *residual* F(nu) is evaluated at the working precision from the exact
   data (python-flint ``arb`` midpoints), and whose Jacobian J = A diag(alpha_prod phi_D'(z)) A^T is formed and
   solved at a moderate precision ``jacobian_dps`` ~ log10 of the spread of the weights (which bounds the
   condition number of J's scaled form) + 25 digits. An inexact Jacobian changes the rate, never the fixed point:
   the iteration nu <- nu + J~^{-1} F(nu) stops only where F(nu) is negligible at the working precision.
   J is formed once and its approximate inverse reused (each step costs one residual, O(m N) at the working
   precision, plus an m x m product); it is formed again at the current point after a damped step, when the
   contraction of the steps is slower than ``slow`` per step, or earlier when that saves time (:func:`refine`).
   The two solves differ: the primary solve forms J at log10(spread) + 25 digits with ``slow`` = 1e-3
   (:data:`PRIMARY`), the certification solve at log10(spread) + 40 digits with ``slow`` = 1e-2 (:data:`CHECK`).

3. The certificate (:func:`implicitreg.numerics.dual_limit.gradient_flow_limit`) compares the primary solve at dps
   with a check solve at 2 dps that shares none of the primary's approximations: it forms its own Jacobians at
   another precision on another schedule and evaluates its residual at its own precision. It is warm-started from
   the primary's nu *rounded* to about half the requested digits (:func:`check_start_digits`): agreement beyond
   that can only come from the check's own Newton steps, so a check that stopped early, or a primary that
   converged to a wrong point, is refused (tests/test_mixed_limit.py). The two agree to the claimed digits or the
   call refuses.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import flint
import mpmath
from mpmath import mpf

from implicitreg.errors import ConvergenceError
from implicitreg.numerics._flint_link import FlintLink
from implicitreg.numerics.dual_limit import (_Dual, _Solve, boundary_step, halving_steps, newton_stops,
                                             sufficient_ascent, trial_point)
from implicitreg.numerics.float64_dual import float64_start
from implicitreg.numerics.integer_form import IntegerRows
from implicitreg.numerics.precision import (GUARD_DIGITS, flint_precision, log10_abs, to_arb, arb_to_mpf_list,
                                            working_dps)

MAX_REFINE = 80
FULL_STEP = flint.arb(10) ** -3  # a full step changing x by less than this (relative) needs no line search
GUARD_BITS = 20   # fixed-point guard bits of the exact products A^T nu and A x
# Jacobian precision above log10 of the weights' spread, and the slowest accepted contraction per step before a
# frozen Jacobian is formed again: the two solves use different values, so they share no approximation
PRIMARY = {"extra_digits": 25, "slow": flint.arb(10) ** -3}
CHECK = {"extra_digits": 40, "slow": flint.arb(10) ** -2}


def _fixed_point(values, bits: int):
    """Integers V and K with V_i = floor(v_i 2^K), max_i |V_i| ~ 2^bits (absolute error 2^-bits max |v|)."""
    mids = [v.mid().man_exp() for v in values]
    tops = [int(mn).bit_length() + int(ex) for mn, ex in mids if mn != 0]
    if not tops:
        return [0] * len(values), 0
    K = bits - max(tops)
    out = []
    for mn, ex in mids:
        shift, mn = int(ex) + K, int(mn)
        out.append(mn << shift if shift >= 0 else mn >> -shift)
    return out, K


class MixedDual(_Dual):
    """The dual problem at the current flint precision with its products done exactly in integers.

    A^T v and A x are exact integer products with the vectors rounded to fixed point (absolute error 2^-(prec +
    :data:`GUARD_BITS`) of the largest entry, as the midpoint products of ``arb_mat`` have); the Jacobian is
    A_int diag(W) A_int^T with fixed-point weights (a relative error eps of the weights makes the Newton iteration
    contract by ~eps per step; it never moves the fixed point, which only the residual defines).
    """

    def __init__(self, y, D, integer: IntegerRows):
        self.m, self.N, self.D = integer.m, integer.N, D
        self.integer = integer
        self.den = integer.den
        self.y = [flint.arb(flint.fmpq(v.numerator, v.denominator)) for v in y]
        self.link = FlintLink(D)  # phi_D, phi_D', H_D in arb (numerics/_flint_link.py)
        self.two = self.link.two

    def zvec(self, v):
        V, K = _fixed_point(v, flint.ctx.prec + GUARD_BITS)
        Z = (self.integer.fmpz_T * flint.fmpz_mat(self.m, 1, V)).entries()
        scale = flint.arb(2) ** (-K) / self.den
        return [(flint.arb(Zj) * scale).mid() for Zj in Z]

    def gradient(self, x):
        """y - A x."""
        X, K = _fixed_point(x, flint.ctx.prec + GUARD_BITS)
        AX = (self.integer.fmpz * flint.fmpz_mat(self.N, 1, X)).entries()
        scale = flint.arb(2) ** (-K) / self.den
        return [(yi - flint.arb(v) * scale).mid() for yi, v in zip(self.y, AX)]

    def jacobian(self, w, weight_bits: int):
        """A diag(w) A^T as an ``arb_mat`` of midpoints (weights in fixed point at the current precision, each
        truncated to ``weight_bits`` significant bits: fewer nonzero chunks in :meth:`IntegerRows.gram`)."""
        W, K = _fixed_point(w, flint.ctx.prec)
        for j, Wj in enumerate(W):
            extra = Wj.bit_length() - weight_bits
            if extra > 0:
                W[j] = (Wj >> extra) << extra
        scale = flint.arb(2) ** (-K) / (self.den * self.den)
        return (flint.arb_mat(self.integer.gram(W)) * scale).mid()


@dataclass(frozen=True, kw_only=True)
class Refinement:
    """Result of :func:`refine`: ``nu``, ``z``, ``x`` (arb midpoints at the working precision), ``iterations``,
    ``jacobians`` (how many times J was formed), ``jacobian_dps``, and the schedule that was followed (iterations
    are numbered from 1): ``jacobian_steps``, the iterations that formed J; ``inverse_steps``, those that formed the
    approximate inverse of a reused J; ``damped_steps``, those whose accepted step was damped (t < 1)."""

    nu: list
    z: list
    x: list
    iterations: int
    jacobians: int
    jacobian_dps: int
    jacobian_steps: tuple = ()
    inverse_steps: tuple = ()
    damped_steps: tuple = ()


class _Clock:
    """Cost of a Newton step (without forming J) and of forming J (its formation, its first solve and its
    approximate inverse, summed for the current J), measured with ``timer`` (seconds; default
    :func:`time.perf_counter`). A step's cost is the mean of its last measurement and the previous mean."""

    def __init__(self, timer=time.perf_counter):
        self.timer = timer
        self.build, self.step = 0.0, None
        self._start = timer()
        self._in_build = 0.0

    def timed_build(self, fn, new: bool):
        """``fn()``, its time added to the cost of forming the current J (``new``: fn forms a new J)."""
        t0 = self.timer()
        out = fn()
        dt = self.timer() - t0
        self.build = dt if new else self.build + dt
        self._in_build += dt
        return out

    def lap(self):
        now = self.timer()
        dt = now - self._start - self._in_build
        self.step = dt if self.step is None else (self.step + dt) / 2
        self._start, self._in_build = now, 0.0


def _rebuild_pays(change, previous, tol_digits: int, accuracy: int, build: float, step: float) -> bool:
    """Whether forming J again at the current point saves time: with the frozen J the error shrinks by the
    observed rate change/previous per step; with J formed at a point whose error is ~change, by ~change per step,
    but by no more than the Jacobian's ``accuracy`` (digits of its weights)."""
    gained_now = -float((change / previous).log()) / math.log(10)
    gained_new = min(-float(change.log()) / math.log(10), accuracy)
    remaining = tol_digits + float(change.log()) / math.log(10)
    if remaining <= 0 or gained_new <= gained_now or gained_now <= 0:
        return False
    return (remaining / gained_now - remaining / gained_new) * step > build


def _identity(m: int):
    return flint.arb_mat(m, m, [int(i == j) for i in range(m) for j in range(m)])


def refine(dual, nu, a, dps: int, jacobian_dps: int, *, accuracy_digits: int, slow, tol_digits: int,
           max_iter: int | None = None, clock=time.perf_counter) -> Refinement:
    """Simplified Newton for F(nu) = y - A a phi(A^T nu) = 0 at alpha_prod = a from ``nu`` (arb at ``dps``).

    The residual is evaluated at ``dps``; J = A diag(a phi'(z)) A^T is formed at ``jacobian_dps`` from weights
    truncated to int(3.33 ``accuracy_digits``) + 8 significant bits (~``accuracy_digits`` digits, which bounds the
    digits gained per step). The first step with a newly formed J solves with it; the second forms its approximate
    inverse, which that step and the later ones multiply by (all solves approximate: midpoint arithmetic, no
    certification). J is formed again at the current point after a damped step, after a full step that contracted
    the change of x by less than ``slow`` (change > ``slow`` * previous full step's change), and after a full step
    that followed a full step when that saves time (:func:`_rebuild_pays`, on the costs measured with ``clock``, a
    timer in seconds: the cost of a step and of forming J, its first solve and its inverse).

    Stops after a full step that changed every x_i by less than 10^-tol_digits relative to max(|x_i|, a), or at
    the rounding floor (full steps below 10^-20 that no longer shrink). Steps that change x by more than
    :data:`FULL_STEP` are guarded by a line search on the dual objective (and, for D > 2, the fraction-to-the-
    boundary rule keeps |z| < 1); a full step changing x by at most :data:`FULL_STEP` is taken without evaluating
    the objective. The schedule followed is recorded in the :class:`Refinement`.
    """
    D2 = dual.two
    max_iter = max_iter or MAX_REFINE
    weight_bits = int(accuracy_digits * 3.33) + 8
    with flint_precision(dps):
        z = dual.zvec(nu)
        x = [(a * p).mid() for p in dual.phi(z)]
        f = None
        tol = (flint.arb(10) ** (-int(tol_digits))).mid()
        noise = (flint.arb(10) ** (-(dps - 10))).mid()
        floor_level = (flint.arb(10) ** -20).mid()
        J = inverse = None
        timing = _Clock(clock)
        previous = None
        formed, inverted, damped = [], [], []
        for it in range(1, max_iter + 1):
            g = dual.gradient(x)
            with flint_precision(jacobian_dps):
                try:
                    if J is None:
                        w = [(a * v).mid() for v in dual.dphi(z)]
                        J = timing.timed_build(lambda: dual.jacobian(w, weight_bits), new=True)
                        inverse, uses = None, 0
                        formed.append(it)
                    uses += 1
                    if uses == 2:  # the Jacobian is being reused: one approximate inverse, then products
                        inverse = timing.timed_build(lambda: J.solve(_identity(dual.m), algorithm="approx"),
                                                     new=False)
                        inverted.append(it)
                    gm = flint.arb_mat(dual.m, 1, g)
                    if inverse is not None:
                        d = inverse * gm
                    else:  # first use: the solve counts as part of forming J
                        d = timing.timed_build(lambda: J.solve(gm, algorithm="approx"), new=False)
                except ZeroDivisionError:
                    raise ConvergenceError("singular Newton system in the refinement") from None
            d = [v.mid() for v in d.entries()]
            dz = dual.zvec(d)
            t = flint.arb(1)
            if not D2:
                t = boundary_step(t, z, dz)
            slope = None
            for t in halving_steps(t, "the refinement"):
                trial = trial_point(nu, z, d, dz, t, D2)
                if trial is None:
                    continue
                nu_new, z_new = trial
                x_new = [(a * p).mid() for p in dual.phi(z_new)]
                # (x has N >= 1 entries: IntegerRows refuses a matrix without columns)
                change = max((abs(xn - xo) / max(abs(xo), a)).mid() for xn, xo in zip(x_new, x))
                if t == 1 and change <= FULL_STEP:
                    f_new = None
                    break
                if f is None:
                    f = dual.objective(nu, z, a)
                if slope is None:
                    slope = sum(gi * di for gi, di in zip(g, d)).mid()
                f_new = dual.objective(nu_new, z_new, a)
                if sufficient_ascent(f_new, f, t, slope, noise):
                    break
            nu, z, f, x = nu_new, z_new, f_new, x_new
            if t != 1:
                damped.append(it)
            if newton_stops(t, change, previous, tol, floor_level):
                return Refinement(nu=nu, z=z, x=x, iterations=it, jacobians=len(formed), jacobian_dps=jacobian_dps,
                                  jacobian_steps=tuple(formed), inverse_steps=tuple(inverted),
                                  damped_steps=tuple(damped))
            timing.lap()
            if t != 1 or (previous is not None and change > previous * slow):
                J = None  # damped step or slow contraction: form J again at the current point
            elif previous is not None and _rebuild_pays(change, previous, tol_digits, accuracy_digits, timing.build,
                                                        timing.step):
                J = None  # forming J at the current, much better point saves time (change > tol > 0 here)
            previous = change if t == 1 else None
    raise ConvergenceError(f"the refinement did not converge in {max_iter} iterations")


def check_start_digits(digits: int, ap_estimate, D) -> int:
    """Significant digits R (relative to max |nu_i|) to which the check solve's start is rounded from the first
    solve's nu: max(digits // 2, 8) plus the digits that the pole of phi_D costs, (D - 2)/D log10(1/alpha_prod).

    Rounding nu by 10^-R max |nu| moves x by ~10^-(R - boundary) relative, about digits // 2 significant digits: a
    check that stopped without iterating would agree with the first solve to about that many digits, fewer than the
    requested ``digits`` (for requests of 16 digits or more), so any certified agreement beyond it was reached by the
    check's own iterations."""
    boundary = 0 if D == 2 else math.ceil(max(0.0, -log10_abs(ap_estimate)) * float(D - 2) / float(D))
    return max(digits // 2, 8) + boundary


def rounded_start(nu, R: int):
    """nu truncated (toward zero) to the grid 10^(e - R + 1), e = floor(log10 max |nu_i|): R significant digits of
    the vector."""
    top = max((abs(v) for v in nu), default=flint.arb(0))
    if top == 0:
        return list(nu)
    e = math.floor(float(top.log()) / math.log(10))
    step = flint.arb(10) ** (e - R + 1)
    return [((v / step).mid().floor() * step).mid() if v >= 0 else (-((-v / step).mid().floor() * step)).mid()
            for v in nu]


def mixed_pair(Ar, yr, D, ap_estimate, integer: IntegerRows | None = None, digits: int = 30):
    """The pair of solves for :func:`implicitreg.numerics.dual_limit.gradient_flow_limit` (``method="mixed"``).

    The first solve (at dps_check) starts from the float64 point, forms its Jacobians at log10(spread) + 25 digits
    and re-forms them when a step contracts by less than 1e-3. The check solve (at dps = 2 dps_check) starts from
    the first solve's nu rounded to :func:`check_start_digits` digits (``digits`` = the requested digits), forms its
    own Jacobians at log10(spread) + 40 digits (threshold 1e-2) and evaluates its residual at its own precision:
    it shares no Jacobian and no residual with the first solve, and the agreement beyond the rounded start is its
    own work. (For D > 2, a rounded start outside |A^T nu| < 1 is replaced by the float64 point.)
    """
    integer = integer or IntegerRows(Ar)
    start = float64_start(Ar, yr, D, log10_abs(ap_estimate), integer)
    spread = working_dps(0, ap_estimate, D) - GUARD_DIGITS  # log10 of the spread of the Jacobian's weights
    R = check_start_digits(digits, ap_estimate, D)

    def pair(Ar, yr, D, ap_low, ap_high, dps: int, dps_check: int):
        solves = []
        for work, ap, options in ((dps_check, ap_low, PRIMARY), (dps, ap_high, CHECK)):
            jac = min(work, spread + options["extra_digits"])
            with mpmath.workdps(work), flint_precision(work):
                dual = MixedDual(yr, D, integer)
                nu0 = [to_arb(mpf(float(v))) for v in start.nu]
                if solves:  # the check: warm start from the first solve, rounded
                    warm = rounded_start([to_arb(v) for v in solves[0].nu], R)
                    if dual.two or all(abs(v) < 1 for v in dual.zvec(warm)):
                        nu0 = warm
                r = refine(dual, nu0, to_arb(ap), work, jac, accuracy_digits=options["extra_digits"] - 5,
                           slow=options["slow"], tol_digits=work - 5)
                first = not solves  # the float64 continuation is counted once
                solves.append(_Solve(arb_to_mpf_list(r.nu), arb_to_mpf_list(r.z), arb_to_mpf_list(r.x),
                                     r.iterations + (start.iterations if first else 0),
                                     (start.stages if first else 0) + 1, None, None))
        return solves[0], solves[1]

    return pair
