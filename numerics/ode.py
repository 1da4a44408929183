"""A generic adaptive integrator for y' = f(t, y) in mpmath at ``dps`` digits (as scipy's ``solve_ivp``).

:func:`integrate` drives interchangeable one-step solvers. :class:`OdeSolver` owns the step loop (a template
method, as in scipy): clamping to the output time, step-size underflow, accept/reject and the step-size update
h_new = h min(MAX_FACTOR, max(MIN_FACTOR, SAFETY err^(-1/(q+1)))) with the named constants below; a subclass
implements one attempt (:meth:`OdeSolver._attempt`) returning the new state and its error norm.

* ``"radau"`` (= ``"radau5"``), ``"radau9"``, ``"radau13"``, ``"radau17"``, ``"radau21"``: Radau IIA collocation
  with 3 / 5 / 7 / 9 / 11 stages (orders 5, 9, 13, 17, 21), L-stable [standard: Hairer & Wanner, Solving ODEs II,
  IV.5, IV.8]; tableaus from :mod:`implicitreg.numerics.radau_tableau`. The stage equations are solved
  by Newton started from the extrapolated collocation polynomial of the previous step: simplified Newton with the
  Jacobian at the start of the step (analytic, else finite differences), or, when the caller supplies float64
  stage Jacobians (``jac_stages``), Newton with the Jacobian of every stage (block (i, j) = h a_ij J(Y_j), solved
  in float64). Measured on ``benchmarks/bench_engine.py``'s flow (radau21, rtol 1e-30, to t = 0.2): simplified
  Newton contracts by only ~1e-3 per iteration once h |lambda| ~ 3 (6-7 iterations); the stage Jacobians cut the
  right-hand-side evaluations from 13,096 to 3,627 and the CPU time from 0.50 s to 0.22 s. Stage residuals are
  always formed at the working precision (python-flint ``arb_mat`` midpoints; right-hand sides in arb when the
  caller supplies ``fun_arb`` or, for all stages at once, ``fun_stages``). ``linear_algebra="float64"`` (default): the Newton matrix
  I - h A (x) J is inverted in float64 and applied to the residual rounded to float64 (after an exact scaling by a
  power of two near atol, so that tolerances below float64's range stay representable): each iteration is a step
  of iterative refinement, so the converged stages are exact to the working precision, only the contraction per
  iteration depends on float64. ``"arb"``: the matrix is inverted at the working precision (the previous scheme,
  kept as a check).
  Error control (``error=``): ``"doubling"`` (default): one step h against two steps h/2, error ~ (y_{h/2,h/2} -
  y_h) / (2^p - 1) (three collocations per step; the two-half-step value is kept). ``"embedded"``: the embedded
  formula of order s with the extra node 0, y_hat - y_1 = gamma0 h f(t0, y0) + sum_j e_j Z_j, filtered by
  (I - h gamma0 J)^-1 (Hairer & Wanner IV.8, (8.19)-(8.20); gamma0 the real eigenvalue of A, which reproduces
  the constants DD1..DD3 of Hairer's RADAU5 for s = 3), refined once with f(t0, y0 + err) on the first step and
  after a rejection; it is of order s while the method has order 2s - 1, so it is compared with the transformed
  tolerance 0.1 tol^((s+1)/(2s)) (RADAU5's exponent 2/3 for s = 3); one collocation per step. At moderate
  tolerances it controls the global error to about tol (measured on the benchmark flow: rtol 1e-10, 1e-16), but
  at 30 digits the order-s estimate does not see the order-2s error: on ``benchmarks/bench_engine.py``'s flow at
  rtol 1e-34 the true local error of accepted steps (against step doubling) reaches 1e9 tol once h |lambda| ~ 1,
  and the global error at t = 0.2 stayed between 1e-28 and 1e-24 (orders 13, 17, 21; rtol 1e-32 to 1e-36) where
  step doubling reaches 1e-33 at rtol 1e-30. So step doubling stays the default for high-precision trajectories.
  Dense output: the collocation polynomial of each accepted step (``dense_output=True``: ``OdeResult.sol(t)``);
  inside a step it has the stage order s (error O(h^(s+1))), the step order 2s - 1 only at the step's end.
* ``"rk45"``: explicit Dormand-Prince 5(4) with its embedded error estimate [standard], for non-stiff use.

If ``fun`` raises :class:`~implicitreg.numerics.potentials.DomainError` (the state left the domain of the link,
|z| >= 1 or u <= 0), the attempt is rejected and retried with h / 4.
"""
from __future__ import annotations

import bisect
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import flint
import mpmath
import numpy as np
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics._result import Result
from implicitreg.numerics.float64_dual import blas_one_thread
from implicitreg.numerics.potentials import DomainError
from implicitreg.numerics.precision import arb_to_mpf, flint_precision, mpf_from, to_arb
from implicitreg.numerics.radau_tableau import (_embedded_coefficients, _monomial_tableau,  # noqa: F401
                                                _radau_coefficients)

SAFETY = mpf("0.9")      # h_new = SAFETY h err^(-1/(q+1)) ...
MIN_FACTOR = mpf("0.2")  # ... clipped to [MIN_FACTOR, MAX_FACTOR] h
MAX_FACTOR = mpf(5)
DOMAIN_FACTOR = 4        # h / DOMAIN_FACTOR after a failed attempt (Newton diverged, state left the domain)


@dataclass(frozen=True, kw_only=True)
class OdeResult(Result):
    """Trajectory of :func:`integrate`: ``t[k]`` and ``y[k]``; status 0 reached t_final, 1 ``stop`` fired, -1 failed.

    ``sol``: with ``dense_output=True`` (Radau), a callable t -> y(t) on [t0, t_end] (the collocation polynomials).
    """

    t: list
    y: list
    status: int
    message: str
    nfev: int
    njev: int
    nsteps: int
    success: bool
    nrejected: int = 0
    method: str = "radau"
    sol: Callable | None = None


class _StepFailed(Exception):
    """Internal: a step attempt failed (Newton diverged or the state left the domain)."""


def _norm(err, y_old, y_new, rtol, atol) -> mpf:
    """max_i |err_i| / (atol + rtol max(|y_old_i|, |y_new_i|))."""
    return max((abs(e) / (atol + rtol * max(abs(a), abs(b))) for e, a, b in zip(err, y_old, y_new)),
               default=mpf(0))


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One attempted step: the new state ``y``, f(t + h, y) as ``f``, the error norm ``error`` (<= 1: accept) and
    solver data for the next step (``data``: e.g. the stage increments, for the predictor and dense output)."""

    y: list
    f: list
    error: mpf
    data: object = None


class OdeSolver:
    """One-step solver: :meth:`step` advances (t, y) by one accepted step of size <= t_bound - t.

    The template method: :meth:`step` runs the loop; subclasses implement :meth:`_attempt` (one try of size h) and
    may override :meth:`_begin_step` (work done once per step, e.g. the Jacobian) and :meth:`_accepted`.
    ``error_order`` is the order q of the error estimate (the step-size exponent is 1/(q+1)).
    """

    order = 1
    error_order = 1

    def __init__(self, fun, t0, y0, t_bound, rtol, atol, jac=None, first_step=None, fun_arb=None):
        self.fun, self.jac, self.fun_arb = fun, jac, fun_arb
        self.t, self.y = mpf_from(t0), [mpf_from(v) for v in y0]
        self.n = len(self.y)
        self.t_bound = t_bound
        self.rtol, self.atol = mpf(rtol), mpf(atol)
        self.nfev = self.njev = self.nrejected = 0
        self.f = self.eval(self.t, self.y)
        self.h = mpf(first_step) if first_step else self._initial_step()
        self.last_step = None  # (t0, h, y0, data) of the last accepted step (dense output)

    def eval(self, t, y):
        self.nfev += 1
        return [mpf(v) for v in self.fun(t, y)]

    def _initial_step(self) -> mpf:
        """Hairer-Wanner's starting step: h0 = 0.01 ||y0|| / ||f0|| (scaled), refined by one Euler step."""
        sc = [self.atol + self.rtol * abs(v) for v in self.y]
        d0 = max(abs(v) / s for v, s in zip(self.y, sc)) if self.n else mpf(0)
        d1 = max(abs(v) / s for v, s in zip(self.f, sc)) if self.n else mpf(0)
        h0 = mpf("1e-6") if d0 < mpf("1e-5") or d1 < mpf("1e-5") else mpf("0.01") * d0 / d1
        try:
            f1 = self.eval(self.t + h0, [a + h0 * b for a, b in zip(self.y, self.f)])
            d2 = max(abs(a - b) / s for a, b, s in zip(f1, self.f, sc)) / h0
        except DomainError:
            return h0 / 100
        if max(d1, d2) <= mpf("1e-15"):
            h1 = max(mpf("1e-6"), h0 * mpf("1e-3"))
        else:
            h1 = (mpf("0.01") / max(d1, d2)) ** (mpf(1) / (self.order + 1))
        return min(100 * h0, h1)

    def _begin_step(self, t, y, f) -> None:
        """Work done once per step before the attempts (default: nothing)."""

    def _attempt(self, t, y, f, h) -> Attempt:
        raise NotImplementedError

    def _accepted(self, attempt: Attempt, h) -> None:
        """Hook after an accepted step (default: nothing)."""

    def step(self) -> None:
        t, y, f = self.t, self.y, self.f
        self._begin_step(t, y, f)
        q = self.error_order
        while True:
            h, last = self.h, False
            if self.t_bound is not None and t + h >= self.t_bound:
                h, last = self.t_bound - t, True
            if h <= abs(t) * mpf(2) ** (-mpmath.mp.prec + 8) or h <= 0:
                raise ConvergenceError(f"step size underflow at t = {mpmath.nstr(t, 8)}")
            try:
                att = self._attempt(t, y, f, h)
            except (_StepFailed, DomainError):
                self.nrejected += 1
                self.h = h / DOMAIN_FACTOR
                continue
            en = att.error
            factor = MAX_FACTOR if en == 0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * en ** (-mpf(1) / (q + 1))))
            if en <= 1:
                self.last_step = (t, h, y, att.data)
                self.t = self.t_bound if last else t + h
                self.y, self.f = att.y, att.f
                self.h = h * factor
                self._accepted(att, h)
                return
            self.nrejected += 1
            self.h = h * min(factor, SAFETY)


class RadauIIA(OdeSolver):
    """Radau IIA collocation with ``stages`` stages (order 2 stages - 1), L-stable; ``error`` "embedded" or
    "doubling", ``linear_algebra`` "float64" or "arb" (see the module docstring).

    ``fun_stages(t, h, c, Y)``, optional: the right-hand side at all stages at once (Y an ``arb_mat`` with one row
    per stage, the state at t + c_i h), returning an ``arb_mat`` of the same shape.
    """

    def __init__(self, fun, t0, y0, t_bound, rtol, atol, jac=None, first_step=None, fun_arb=None, stages=3,
                 newton_maxiter=12, error="doubling", linear_algebra="float64", fun_stages=None, jac_stages=None):
        if error not in ("embedded", "doubling"):
            raise InvalidParameterError(f"error must be 'embedded' or 'doubling', got {error!r}")
        if linear_algebra not in ("float64", "arb"):
            raise InvalidParameterError(f"linear_algebra must be 'float64' or 'arb', got {linear_algebra!r}")
        self.stages = stages
        self.order = 2 * stages - 1
        self.error = error
        self.linear_algebra = linear_algebra
        self.fun_stages, self.jac_stages = fun_stages, jac_stages
        self.error_order = stages if error == "embedded" else self.order
        self.c, self.A = _radau_coefficients(stages)
        self.c_arb = [to_arb(v) for v in self.c]
        self.A_arb = flint.arb_mat(stages, stages, [to_arb(v) for row in self.A for v in row])
        self.A64 = np.array([[float(v) for v in row] for row in self.A])
        self._Vinv = flint.arb_mat(stages, stages, [to_arb(v) for v in _monomial_tableau(stages, mpmath.mp.prec)])
        self._nodes_arb = [flint.arb(0)] + self.c_arb
        self._inv_node_gaps = [[1 / (a - b) if a is not b else None for b in self._nodes_arb]
                               for a in self._nodes_arb]
        if error == "embedded":
            self.gamma0, self.e = _embedded_coefficients(self.c, self.A)
            self.e_arb = [to_arb(v) for v in self.e]
            self.gamma0_arb = to_arb(self.gamma0)
        self.newton_maxiter = newton_maxiter
        self._previous = None  # (h0, stage increments) of the last accepted collocation, for the predictor
        self._rejected_since_accept = True  # Hairer: refine the error estimate on the first step and after a rejection
        super().__init__(fun, t0, y0, t_bound, rtol, atol, jac, first_step, fun_arb)
        # float64 linear algebra works on quantities scaled by 2^-shift, so that tolerances far below float64's range
        # (dps > 300) stay representable: 2^shift ~ atol
        self._shift = -int(mpmath.floor(mpmath.log(self.atol, 2)))
        self._down, self._up = flint.arb((1, self._shift)), flint.arb((1, -self._shift))
        if error == "embedded":  # the estimate is of order s: compare it with the transformed tolerance
            k = mpf(stages + 1) / (2 * stages)
            self.est_rtol, self.est_atol = self.rtol ** k / 10, self.atol ** k / 10

    # -- the Jacobian and the Newton matrices ------------------------------------------------------------------

    def jacobian(self, t, y, f):
        """J = df/dy at (t, y): ``jac`` (rows of numbers, or a float64 array) else forward differences."""
        self.njev += 1
        if self.jac is not None:
            return self.jac(t, y)
        J = [[mpf(0)] * self.n for _ in range(self.n)]  # forward differences (columns)
        eps = mpf(2) ** (-mpmath.mp.prec // 2)
        for k in range(self.n):
            d = eps * max(abs(y[k]), mpf(1))
            yk = list(y)
            yk[k] += d
            fk = self.eval(t, yk)
            for i in range(self.n):
                J[i][k] = (fk[i] - f[i]) / d
        return J

    def _begin_step(self, t, y, f):
        J = self.jacobian(t, y, f)
        if self.linear_algebra == "float64":
            if isinstance(J, np.ndarray):
                self._J64 = np.asarray(J, dtype=float)
            else:
                self._J64 = np.array([[float(v) for v in row] for row in J])
            if not np.all(np.isfinite(self._J64)):
                raise ConvergenceError(f"the Jacobian at t = {mpmath.nstr(t, 8)} is not finite in float64")
        else:
            self._J_arb = [[to_arb(mpf(v)) for v in row] for row in J]

    def _scales(self, y, rtol, atol):
        """atol + rtol |y_i|, times 2^shift, as a float64 array."""
        return np.array([float(mpmath.ldexp(atol + rtol * abs(v), self._shift)) for v in y])

    def _newton_solver(self, h, y):
        """solve(G) -> (dZ, size): the simplified-Newton correction dZ = (I - h A (x) J)^-1 G (G, dZ ``arb_mat``
        with one row per stage) and its scaled size max |dZ_ik| / (atol + rtol |y_k|).

        float64: the matrix is inverted in float64 and G (computed at the working precision) is rounded to float64
        after scaling by 2^shift: each iteration is a step of iterative refinement, exact in its residual.
        arb: the matrix is inverted in python-flint ``arb_mat`` midpoints at the working precision.
        """
        n, s = self.n, self.stages
        inv_sc = np.tile(1 / self._scales(y, self.rtol, self.atol), s)
        down, up = self._down, self._up

        def correction(M, G):
            g = np.array([float(v) for v in (G * down).entries()])
            if not np.all(np.isfinite(g)):
                raise _StepFailed("the stage residual is not finite in float64")
            dz = M(g)
            if not np.all(np.isfinite(dz)):
                raise _StepFailed("the Newton correction is not finite")
            return flint.arb_mat(s, n, [flint.arb(v) for v in dz.tolist()]) * up, float(np.max(np.abs(dz) * inv_sc))

        if self.linear_algebra == "float64" and self.jac_stages is not None:
            hA = float(h) * self.A64
            eye = np.eye(n * s)

            def solve(G, t, Y):  # Newton with the Jacobian of every stage: block (i, j) = h a_ij J(Y_j)
                Js = np.asarray(self.jac_stages(t, h, self.c, Y), dtype=float)
                self.njev += 1
                with np.errstate(over="ignore", invalid="ignore"):  # a non-finite M: correction() rejects the step
                    M = eye - (hA[:, None, :, None] * Js.transpose(1, 0, 2)[None, :, :, :]).reshape(n * s, n * s)
                try:
                    return correction(lambda g: np.linalg.solve(M, g), G)
                except np.linalg.LinAlgError:
                    raise _StepFailed("singular Newton matrix") from None
            return solve
        if self.linear_algebra == "float64":
            M = np.eye(n * s) - float(h) * np.kron(self.A64, self._J64)
            try:
                Minv = np.linalg.inv(M)
            except np.linalg.LinAlgError:
                raise _StepFailed("singular Newton matrix") from None
            if not np.all(np.isfinite(Minv)):
                raise _StepFailed("singular Newton matrix")

            def solve(G, t, Y):
                return correction(lambda g: Minv @ g, G)
            return solve
        Minv = self._newton_inverse_arb(h)

        def solve(G, t, Y):
            dZ = (Minv * flint.arb_mat(n * s, 1, G.entries())).mid()
            size = np.array([float(v * down) for v in dZ.entries()])
            return flint.arb_mat(s, n, dZ.entries()), float(np.max(np.abs(size) * inv_sc))
        return solve

    def _newton_inverse_arb(self, h):
        """(I - h A (x) J)^{-1} as an arb_mat (midpoints) at the working precision."""
        n, s = self.n, self.stages
        size = n * s
        Jb = self._J_arb
        hb = to_arb(h)
        entries = []
        for i in range(s):
            for a in range(n):
                for j in range(s):
                    hij = hb * self.A_arb[i, j]
                    row = Jb[a]
                    for b in range(n):
                        v = -hij * row[b]
                        if i == j and a == b:
                            v += 1
                        entries.append(v)
        M = flint.arb_mat(size, size, entries)
        try:
            return M.solve(_identity(size), algorithm="approx")
        except ZeroDivisionError:
            raise _StepFailed("singular Newton matrix") from None

    def _filter(self, h, raw):
        """(I - h gamma0 J)^-1 raw, scaled by 2^shift, as a float64 array (raw: a list of arb)."""
        n = self.n
        hg = float(h) * float(self.gamma0)
        if self.linear_algebra == "float64":
            try:
                out = np.linalg.solve(np.eye(n) - hg * self._J64, np.array([float(v * self._down) for v in raw]))
            except np.linalg.LinAlgError:
                raise _StepFailed("singular error filter") from None
        else:
            hgb = to_arb(h) * self.gamma0_arb
            M = flint.arb_mat(n, n, [(int(a == b) - hgb * self._J_arb[a][b]) for a in range(n) for b in range(n)])
            try:
                sol = M.solve(flint.arb_mat(n, 1, raw), algorithm="approx").entries()
            except ZeroDivisionError:
                raise _StepFailed("singular error filter") from None
            out = np.array([float(v * self._down) for v in sol])
        if not np.all(np.isfinite(out)):
            raise _StepFailed("the error estimate is not finite")
        return out

    # -- the stages ----------------------------------------------------------------------------------------------

    def _predictor(self, previous, h):
        """Stage increments for a step of size h extrapolated from the previous collocation polynomial.

        ``previous`` = (h0, Z0): the last collocation of size h0 that ended at the current point; its polynomial
        P (P(0) = 0, P(c_j) = Z0_j in units of h0) is evaluated at 1 + c_i h / h0, minus P(1) = Z0_s.
        """
        h0, Z0 = previous
        s = self.stages
        ratio = to_arb(h) / to_arb(h0)
        rows = []
        for i in range(s):  # (1 + c_i ratio)^p - 1, p = 1..s, against P(tau) = sum_p tau^p (V^-1 Z0)_p
            tau = (1 + self.c_arb[i] * ratio).mid()
            power = tau
            for _ in range(s):
                rows.append(power - 1)
                power = (power * tau).mid()
        return (flint.arb_mat(s, s, rows) * (self._Vinv * Z0)).mid()

    def _lagrange(self, tau):
        """l_k(tau), k = 1..s, of the nodes (0, c_1, ..., c_s)."""
        nodes, s = self._nodes_arb, self.stages
        out = []
        for k in range(1, s + 1):
            w = flint.arb(1)
            for l in range(s + 1):
                if l != k:
                    w *= (tau - nodes[l]) * self._inv_node_gaps[k][l]
            out.append(w)
        return out

    def _stages(self, t, y, f0, h, solve, previous):
        """_collocation with the extrapolated predictor when available, falling back to the Euler predictor."""
        if previous is not None and h <= 4 * previous[0]:
            try:
                return self._collocation(t, y, f0, h, solve, self._predictor(previous, h))
            except _StepFailed:
                pass  # a poor extrapolation: retry from the plain predictor below
        return self._collocation(t, y, f0, h, solve)

    def _rhs_arb(self, t, Y):
        if self.fun_arb is not None:
            self.nfev += 1
            return self.fun_arb(t, Y)
        return [to_arb(v) for v in self.eval(t, [arb_to_mpf(v) for v in Y])]

    def _rhs_stages(self, t, h, Y):
        """f at (t + c_i h, row i of Y) for all stages, as an arb_mat (one row per stage)."""
        s, n = self.stages, self.n
        if self.fun_stages is not None:
            self.nfev += s
            return self.fun_stages(t, h, self.c, Y)
        F = []
        for j in range(s):
            F.extend(self._rhs_arb(t + self.c[j] * h, [Y[j, k] for k in range(n)]))
        return flint.arb_mat(s, n, F)

    def _collocation(self, t, y, f0, h, solve, Z0=None):
        """Solve the stage equations Z_i = h sum_j a_ij f(t + c_j h, y + Z_j) by simplified Newton; return
        (y + Z_s, Z). Residuals and iterates are ``arb_mat`` midpoints at the working precision; the corrections
        come from ``solve`` (:meth:`_newton_solver`)."""
        n, s = self.n, self.stages
        hb = to_arb(h)
        yb = [to_arb(v) for v in y]
        if Z0 is None:
            f0b = [to_arb(v) for v in f0]
            Z = flint.arb_mat(s, n, [(self.c_arb[i] * hb * f0b[k]).mid() for i in range(s) for k in range(n)])
        else:
            Z = Z0
        base = flint.arb_mat(s, n, yb * s)
        hA = (hb * self.A_arb).mid()
        previous = None
        for it in range(self.newton_maxiter):
            Y = (base + Z).mid()
            try:
                F = self._rhs_stages(t, h, Y)
            except DomainError:
                raise _StepFailed("the state left the domain") from None
            G = (hA * F - Z).mid()  # -(Z - h (A x I) F), one row per stage
            dZ, size = solve(G, t, Y)
            Z = (Z + dZ).mid()
            done = size <= 1e-3
            if not done and previous is not None:
                rate = size / previous
                if rate >= 1:
                    raise _StepFailed("Newton iteration for the stages diverges")
                done = rate / (1 - rate) * size <= 0.01  # Hairer-Wanner: remaining error ~ rate/(1-rate)|dZ|
            if done:
                return [arb_to_mpf(yb[k] + Z[s - 1, k]) for k in range(n)], Z
            previous = size
        raise _StepFailed("Newton iteration for the stages did not converge")

    # -- one attempt ---------------------------------------------------------------------------------------------

    def _attempt(self, t, y, f0, h) -> Attempt:
        if self.error == "doubling":
            return self._attempt_doubling(t, y, f0, h)
        y1, Z = self._stages(t, y, f0, h, self._newton_solver(h, y), self._previous)
        f1 = self.eval(t + h, y1)
        en = self._embedded_error(t, y, f0, h, Z, y1)
        if en > 1 and self._rejected_since_accept:
            # Hairer-Wanner (IV.8): on the first step and after a rejection the estimate is evaluated once more with
            # f(t0, y0 + err) in place of f0, which removes the spurious growth of stiff components
            en = self._embedded_error(t, y, f0, h, Z, y1, refine=True)
        if en > 1:
            self._rejected_since_accept = True
        return Attempt(y=y1, f=f1, error=en, data=Z)

    def _embedded_error(self, t, y, f0, h, Z, y1, refine=False):
        """||(I - h gamma0 J)^-1 (gamma0 h f0 + sum_j e_j Z_j)|| in the transformed tolerance (HW IV.8 (8.19)-(8.20))."""
        n, s = self.n, self.stages
        hg = to_arb(h) * self.gamma0_arb
        ez = [sum((self.e_arb[j] * Z[j, k] for j in range(s)), flint.arb(0)) for k in range(n)]
        err = self._filter(h, [hg * to_arb(f0[k]) + ez[k] for k in range(n)])
        sc = np.maximum(self._scales(y, self.est_rtol, self.est_atol), self._scales(y1, self.est_rtol, self.est_atol))
        if refine:
            try:
                f_err = self.eval(t, [v + mpmath.ldexp(mpf(float(e)), -self._shift) for v, e in zip(y, err)])
            except DomainError:
                raise _StepFailed("the state left the domain") from None
            err = self._filter(h, [hg * to_arb(f_err[k]) + ez[k] for k in range(n)])
        return mpf(float(np.max(np.abs(err) / sc))) if n else mpf(0)

    def _attempt_doubling(self, t, y, f0, h) -> Attempt:
        y1, _ = self._stages(t, y, f0, h, self._newton_solver(h, y), self._previous)
        solve_half = self._newton_solver(h / 2, y)
        yh, Zh = self._stages(t, y, f0, h / 2, solve_half, self._previous)
        fh = self.eval(t + h / 2, yh)
        y2, Z2 = self._stages(t + h / 2, yh, fh, h / 2, solve_half, (h / 2, Zh))
        f2 = self.eval(t + h, y2)
        err = [(a - b) / (2 ** self.order - 1) for a, b in zip(y2, y1)]
        return Attempt(y=y2, f=f2, error=_norm(err, y, y2, self.rtol, self.atol), data=("half", h / 2, yh, Zh, Z2))

    def _accepted(self, attempt: Attempt, h) -> None:
        self._rejected_since_accept = False
        if self.error == "doubling":
            self._previous = (h / 2, attempt.data[4])
        else:
            self._previous = (h, attempt.data)

    # -- dense output --------------------------------------------------------------------------------------------

    def dense(self, step, t):
        """y(t) on an accepted step (t0, h, y0, data): the collocation polynomial y0 + sum_k l_k(theta) Z_k."""
        t0, h, y0, data = step
        if self.error == "doubling":
            _, hh, yh, Zh, Z2 = data
            return self._collocation_polynomial(t0, hh, y0, Zh, t) if t <= t0 + hh else \
                self._collocation_polynomial(t0 + hh, hh, yh, Z2, t)
        return self._collocation_polynomial(t0, h, y0, data, t)

    def _collocation_polynomial(self, t0, h, y0, data, t):
        weights = self._lagrange(to_arb((t - t0) / h))
        return [arb_to_mpf(to_arb(y0[k]) + sum((w * data[j, k] for j, w in enumerate(weights)), flint.arb(0)))
                for k in range(self.n)]


def _identity(size: int):
    return flint.arb_mat(size, size, [int(i == j) for i in range(size) for j in range(size)])


class DormandPrince(OdeSolver):
    """Explicit Dormand-Prince 5(4) with its embedded error estimate (non-stiff problems)."""

    order = 5
    error_order = 4
    C = [0, Fraction(1, 5), Fraction(3, 10), Fraction(4, 5), Fraction(8, 9), 1, 1]
    A = [[], [Fraction(1, 5)], [Fraction(3, 40), Fraction(9, 40)],
         [Fraction(44, 45), Fraction(-56, 15), Fraction(32, 9)],
         [Fraction(19372, 6561), Fraction(-25360, 2187), Fraction(64448, 6561), Fraction(-212, 729)],
         [Fraction(9017, 3168), Fraction(-355, 33), Fraction(46732, 5247), Fraction(49, 176), Fraction(-5103, 18656)],
         [Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784), Fraction(11, 84)]]
    E = [Fraction(71, 57600), 0, Fraction(-71, 16695), Fraction(71, 1920), Fraction(-17253, 339200),
         Fraction(22, 525), Fraction(-1, 40)]

    def __init__(self, *args, **kwargs):
        self.c = [mpf_from(Fraction(v)) for v in self.C]
        self.a = [[mpf_from(Fraction(v)) for v in row] for row in self.A]
        self.e = [mpf_from(Fraction(v)) for v in self.E]
        super().__init__(*args, **kwargs)

    def _attempt(self, t, y, f, h) -> Attempt:
        n = self.n
        K = [f]
        for i in range(1, 7):
            yi = [y[k] + h * sum(self.a[i][j] * K[j][k] for j in range(i) if self.a[i][j]) for k in range(n)]
            K.append(self.eval(t + self.c[i] * h, yi))
        # FSAL: the 7th stage point is the 5th-order solution
        err = [h * sum(self.e[j] * K[j][k] for j in range(7) if self.e[j]) for k in range(n)]
        return Attempt(y=yi, f=K[6], error=_norm(err, y, yi, self.rtol, self.atol))


METHODS = {
    "radau": (RadauIIA, {"stages": 3}),
    "radau5": (RadauIIA, {"stages": 3}),
    "radau9": (RadauIIA, {"stages": 5}),
    "radau13": (RadauIIA, {"stages": 7}),
    "radau17": (RadauIIA, {"stages": 9}),
    "radau21": (RadauIIA, {"stages": 11}),
    "rk45": (DormandPrince, {}),
}


class OdeSolution:
    """y(t) between the recorded steps of a Radau run: the collocation polynomial of the step containing t."""

    def __init__(self, solver, steps):
        self._solver, self._steps = solver, steps
        self._starts = [s[0] for s in steps]
        self.dps = mpmath.mp.dps

    def __call__(self, t):
        with mpmath.workdps(self.dps), flint_precision(self.dps):
            t = mpf_from(t)
            if not self._steps or t < self._starts[0] or t > self._steps[-1][0] + self._steps[-1][1]:
                raise InvalidParameterError("t is outside the integrated interval")
            k = max(0, bisect.bisect_right(self._starts, t) - 1)
            return self._solver.dense(self._steps[k], t)


def _progress_bar(progress: bool):
    if not (progress and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=None, unit="step", file=sys.stderr, leave=False)


def integrate(fun: Callable, t_span: Sequence, y0: Sequence, *, jac: Callable | None = None, method: str = "radau",
              rtol=None, atol=None, dps: int = 30, max_steps: int = 100000,
              stop: Callable | None = None, t_eval: Sequence | None = None, first_step=None,
              progress: bool = False, fun_arb: Callable | None = None, error: str = "doubling",
              dense_output: bool = False, time_budget: float | None = None, linear_algebra: str = "float64",
              fun_stages: Callable | None = None, jac_stages: Callable | None = None) -> OdeResult:
    """Integrate y' = fun(t, y) over ``t_span = (t0, t_final)`` (t_final may be ``mpmath.inf`` with ``stop``).

    ``fun(t, y)`` takes and returns lists of mpf at ``dps`` digits; ``jac(t, y)`` returns rows of numbers (mpf) or
    a float64 array (enough for ``linear_algebra="float64"``); ``fun_arb(t, y)``, optional, the same right-hand
    side on lists of python-flint ``arb`` (Radau uses it inside the stages); ``fun_stages(t, h, c, Y)``, optional,
    all Radau stages at once (see :class:`RadauIIA`). ``rtol``/``atol``
    default to 10^-(dps-5). ``stop(t, y) -> bool`` is checked after each accepted step (status 1 when it fires).
    ``t_eval``: record only at these times (steps are shortened to hit them); otherwise every accepted step is
    recorded. ``error``: Radau's error control ("doubling", the default, or "embedded"); ``linear_algebra``: Radau's
    stage algebra ("float64", the default: float64 inverse with the residual at the working precision, or "arb"). ``dense_output``: Radau only, the
    result's ``sol(t)``. ``time_budget``: wall-clock seconds after which the run stops like ``max_steps``
    (status -1). Returns an :class:`OdeResult`; never raises on non-convergence (status -1, ``success``
    False), but raises :class:`InvalidParameterError` on a bad method or tolerance.
    """
    deadline = None if time_budget is None else time.monotonic() + float(time_budget)
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 5:
        raise InvalidParameterError(f"dps must be an integer >= 5, got {dps!r}")
    cls, options = METHODS[method]
    if cls is RadauIIA:
        options = dict(options, error=error, linear_algebra=linear_algebra, fun_stages=fun_stages,
                       jac_stages=jac_stages)
    elif dense_output:
        raise InvalidParameterError("dense_output is available for the Radau methods")
    with mpmath.workdps(dps), flint_precision(dps), blas_one_thread():
        rtol = mpf(10) ** (-(dps - 5)) if rtol is None else mpf_from(rtol)
        atol = rtol if atol is None else mpf_from(atol)
        if not (rtol > 0 and atol > 0):
            raise InvalidParameterError("rtol and atol must be > 0")
        t0, t_final = mpf_from(t_span[0]), mpf_from(t_span[1])
        if not t_final > t0:
            raise InvalidParameterError("t_span must be increasing")
        outputs = sorted(mpf_from(v) for v in t_eval) if t_eval is not None else None
        if outputs is not None and (outputs[0] < t0 or outputs[-1] > t_final):
            raise InvalidParameterError("t_eval must lie inside t_span")
        bound = None if mpmath.isinf(t_final) else t_final
        next_out = 0
        ts, ys = ([t0], [[mpf_from(v) for v in y0]])
        if outputs is not None:
            ts, ys = [], []
            while next_out < len(outputs) and outputs[next_out] == t0:
                ts.append(t0)
                ys.append([mpf_from(v) for v in y0])
                next_out += 1
        solver = cls(fun, t0, y0, (outputs[next_out] if outputs and next_out < len(outputs) else bound),
                     rtol, atol, jac, first_step, fun_arb=fun_arb, **options)
        status, message = 0, "reached the final time"
        bar = _progress_bar(progress)
        nsteps = 0
        steps = []
        try:
            while True:
                if nsteps >= max_steps:
                    status, message = -1, f"maximum number of steps ({max_steps}) reached at t = {mpmath.nstr(solver.t, 8)}"
                    break
                if deadline is not None and time.monotonic() > deadline:
                    status, message = -1, (f"time budget of {time_budget:g} s exhausted after {nsteps} steps at "
                                           f"t = {mpmath.nstr(solver.t, 8)}")
                    break
                try:
                    solver.step()
                except ConvergenceError as exc:
                    status, message = -1, str(exc)
                    break
                nsteps += 1
                if dense_output:
                    steps.append(solver.last_step)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"t={mpmath.nstr(solver.t, 6)}")
                at_output = outputs is not None and next_out < len(outputs) and solver.t == outputs[next_out]
                if outputs is None or at_output:
                    ts.append(solver.t)
                    ys.append(list(solver.y))
                if at_output:
                    next_out += 1
                    solver.t_bound = outputs[next_out] if next_out < len(outputs) else bound
                if stop is not None and stop(solver.t, solver.y):
                    status, message = 1, "stop condition met"
                    if outputs is not None and not at_output:
                        ts.append(solver.t)
                        ys.append(list(solver.y))
                    break
                if bound is not None and solver.t >= bound:
                    break
        finally:
            if bar is not None:
                bar.close()
        return OdeResult(t=ts, y=ys, status=status, message=message, nfev=solver.nfev, njev=solver.njev,
                         nsteps=nsteps, success=status >= 0, nrejected=solver.nrejected, method=method,
                         sol=OdeSolution(solver, steps) if dense_output else None)
