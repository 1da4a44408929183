"""Gradient flow of depth-D diagonal networks in mpmath, and a generic high-precision ODE integrator.

* :func:`integrate` is a generic adaptive integrator for y' = f(t, y) in mpmath at ``dps`` digits, with
  interchangeable solver classes behind one interface (as scipy's ``solve_ivp``):

  - ``"radau"`` (= ``"radau5"``): Radau IIA with 3 stages, order 5, L-stable [standard: Hairer & Wanner, Solving
    ODEs II, IV.5]; ``"radau9"`` / ``"radau13"``: the same collocation family with 5 / 7 stages (orders 9, 13),
    whose nodes and coefficients are computed at the working precision. The stage equations are solved by
    simplified Newton with the (analytic, else finite-difference) Jacobian at the start of the step, started from
    the extrapolated collocation polynomial of the previous step; the stage algebra runs in python-flint
    ``arb_mat`` at the same precision. Error control by step doubling: one step h against two steps h/2,
    error ~ (y_{h/2,h/2} - y_h) / (2^p - 1); the two-half-step value is kept.
  - ``"rk45"``: explicit Dormand-Prince 5(4) with its embedded error estimate [standard], for non-stiff use.

  A low order needs many steps at 30+ digits (the local error is h^(p+1)); the higher Radau orders take far
  fewer steps for the same tolerance, which is what makes 30-digit flows affordable: use ``"radau13"`` when
  rtol is below ~1e-20 (the default rtol of the flows is 10^-(dps-5)).
  If ``fun`` raises :class:`~implicitreg.numerics.potentials.DomainError` (the state left the domain of the link,
  |z| >= 1 or u <= 0), the step is rejected and retried with a smaller h.

* :func:`reduced_flow`: the m-dimensional dual flow nu' = -c_D (A x(nu) - y), x(nu) = alpha_prod phi_D(A^T nu),
  nu(0) = 0 (``dln.md`` §2, ``wah.md`` §2) whose x(t) *is* the network's x(t).
* :func:`full_flow`: the 2N-dimensional flow of the factors, u' = -D u^(D-1) A^T r, v' = +D v^(D-1) A^T r,
  u(0) = v(0) = alpha_prod^(1/D), r = A x - y, x = u^D - v^D (``dln.md`` §1).
* :func:`gradient_descent`: the same with a finite step eta (what practitioners run), with its distance to the
  gradient-flow limit (O(eta) [derived, numerically seen], ``dln.md`` §2).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import flint
import mpmath
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics.potentials import (DomainError, alpha_convention_value, depth_value, factor_scale,
                                             flow_rate, link, positive_value, product_scale)
from implicitreg.numerics.precision import flint_precision, to_arb, to_mpf


# --------------------------------------------------------------------------------------------------------------
# generic integrator
# --------------------------------------------------------------------------------------------------------------

@dataclass
class OdeResult:
    """Trajectory of :func:`integrate`: ``t[k]`` and ``y[k]``; status 0 reached t_final, 1 ``stop`` fired, -1 failed."""

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


def _num(v) -> mpf:
    """An mpf from an mpf, int, Fraction or decimal string (at the current precision)."""
    if isinstance(v, Fraction):
        return mpf(v.numerator) / v.denominator
    return mpf(v)


class _StepFailed(Exception):
    """Internal: a step attempt failed (Newton diverged or the state left the domain)."""


def _norm(err, y_old, y_new, rtol, atol) -> mpf:
    """max_i |err_i| / (atol + rtol max(|y_old_i|, |y_new_i|))."""
    return max((abs(e) / (atol + rtol * max(abs(a), abs(b))) for e, a, b in zip(err, y_old, y_new)),
               default=mpf(0))


class OdeSolver:
    """One-step solver interface: ``step()`` advances (t, y) by one accepted step of size <= t_bound - t."""

    order = 1

    def __init__(self, fun, t0, y0, t_bound, rtol, atol, jac=None, first_step=None):
        self.fun, self.jac = fun, jac
        self.t, self.y = _num(t0), [_num(v) for v in y0]
        self.n = len(self.y)
        self.t_bound = t_bound
        self.rtol, self.atol = mpf(rtol), mpf(atol)
        self.nfev = self.njev = self.nrejected = 0
        self.f = self.eval(self.t, self.y)
        self.h = mpf(first_step) if first_step else self._initial_step()

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

    def step(self) -> None:
        raise NotImplementedError


def _radau_coefficients(stages: int):
    """Nodes c (zeros of P*_s - P*_{s-1}, shifted Legendre; c_s = 1) and A (a_ij = int_0^{c_i} l_j) of Radau IIA."""
    s = stages
    with mpmath.extradps(30):
        def shifted_legendre(n):  # coefficients, ascending powers of x
            return [(-1) ** (n + k) * math.comb(n, k) * math.comb(n + k, k) for k in range(n + 1)]
        p, q = shifted_legendre(s), shifted_legendre(s - 1) + [0]
        coeffs = [a - b for a, b in zip(p, q)]
        roots = mpmath.polyroots(coeffs[::-1], maxsteps=200, extraprec=4 * mpmath.mp.prec)
        c = sorted(mpmath.re(r) for r in roots)
        c[-1] = mpf(1)
        M = mpmath.matrix([[c[j] ** k for k in range(s)] for j in range(s)])
        W = mpmath.matrix([[c[i] ** (k + 1) / (k + 1) for k in range(s)] for i in range(s)])
        A = W * mpmath.inverse(M)
        return [+v for v in c], [[+A[i, j] for j in range(s)] for i in range(s)]


class RadauIIA(OdeSolver):
    """Radau IIA collocation with ``stages`` stages (order 2 stages - 1), L-stable; step doubling for the error."""

    def __init__(self, fun, t0, y0, t_bound, rtol, atol, jac=None, first_step=None, stages=3, newton_maxiter=12):
        self.stages = stages
        self.order = 2 * stages - 1
        self.c, self.A = _radau_coefficients(stages)
        self.c_arb = [to_arb(v) for v in self.c]
        self.A_arb = flint.arb_mat(stages, stages, [to_arb(v) for row in self.A for v in row])
        self._nodes_arb = [flint.arb(0)] + self.c_arb
        self._inv_node_gaps = [[1 / (a - b) if a is not b else None for b in self._nodes_arb]
                               for a in self._nodes_arb]
        self.newton_maxiter = newton_maxiter
        self._previous = None  # (h0, stage increments) of the last accepted collocation, for the predictor
        self.dps = mpmath.mp.dps
        super().__init__(fun, t0, y0, t_bound, rtol, atol, jac, first_step)

    def jacobian(self, t, y, f):
        self.njev += 1
        if self.jac is not None:
            return [[mpf(v) for v in row] for row in self.jac(t, y)]
        # forward differences (columns)
        J = [[mpf(0)] * self.n for _ in range(self.n)]
        eps = mpf(2) ** (-mpmath.mp.prec // 2)
        for k in range(self.n):
            d = eps * max(abs(y[k]), mpf(1))
            yk = list(y)
            yk[k] += d
            fk = self.eval(t, yk)
            for i in range(self.n):
                J[i][k] = (fk[i] - f[i]) / d
        return J

    def _newton_inverse(self, J, h):
        """(I - h A (x) J)^{-1} as an arb_mat (midpoints)."""
        n, s = self.n, self.stages
        size = n * s
        Jb = [[to_arb(v) for v in row] for row in J]
        hb = to_arb(h)
        entries = []
        for i in range(s):
            for a in range(n):
                for j in range(s):
                    hij = hb * to_arb(self.A[i][j])
                    row = Jb[a]
                    for b in range(n):
                        v = -hij * row[b]
                        if i == j and a == b:
                            v += 1
                        entries.append(v)
        M = flint.arb_mat(size, size, entries)
        try:
            inv = M.solve(flint.arb_mat(size, size, [int(i == j) for i in range(size) for j in range(size)]),
                          algorithm="approx")
        except ZeroDivisionError:
            raise _StepFailed("singular Newton matrix") from None
        return inv

    def _predictor(self, previous, h):
        """Stage increments for a step of size h extrapolated from the previous collocation polynomial.

        ``previous`` = (h0, Z0): the last collocation of size h0 that ended at the current point; its polynomial
        P (P(0) = 0, P(c_j) = Z0_j in units of h0) is evaluated at 1 + c_i h / h0, minus P(1) = Z0_s.
        """
        h0, Z0 = previous
        s = self.stages
        nodes = self._nodes_arb
        ratio = to_arb(h) / to_arb(h0)
        rows = []
        for i in range(s):
            tau = 1 + self.c_arb[i] * ratio
            for k in range(1, s + 1):
                w = flint.arb(1)
                for l in range(s + 1):
                    if l != k:
                        w *= (tau - nodes[l]) * self._inv_node_gaps[k][l]
                rows.append(w - (1 if k == s else 0))
        return (flint.arb_mat(s, s, rows) * Z0).mid()

    def _stages(self, t, y, f0, h, Minv, previous):
        """_collocation with the extrapolated predictor when available, falling back to the Euler predictor."""
        if previous is not None and h <= 4 * previous[0]:
            try:
                return self._collocation(t, y, f0, h, Minv, self._predictor(previous, h))
            except _StepFailed:
                pass  # a poor extrapolation: retry from the plain predictor below
        return self._collocation(t, y, f0, h, Minv)

    def _collocation(self, t, y, f0, h, Minv, Z0=None):
        """Solve the stage equations Z_i = h sum_j a_ij f(t + c_j h, y + Z_j) by simplified Newton; return y + Z_s.

        The stage algebra runs on flint ``arb_mat`` midpoints at the working precision; only the calls of ``fun``
        see mpf values.
        """
        n, s = self.n, self.stages
        hb = to_arb(h)
        yb = [to_arb(v) for v in y]
        f0b = [to_arb(v) for v in f0]
        if Z0 is None:
            Z = flint.arb_mat(s, n, [(self.c_arb[i] * hb * f0b[k]).mid() for i in range(s) for k in range(n)])
        else:
            Z = Z0
        inv_sc = [to_arb(1 / (self.atol + self.rtol * abs(v))) for v in y]
        hA = (hb * self.A_arb).mid()
        previous = None
        for it in range(self.newton_maxiter):
            try:
                F = []
                for j in range(s):
                    Yj = [to_mpf(yb[k] + Z[j, k]) for k in range(n)]
                    F.extend(to_arb(v) for v in self.eval(t + self.c[j] * h, Yj))
            except DomainError:
                raise _StepFailed("the state left the domain") from None
            G = (hA * flint.arb_mat(s, n, F) - Z).mid()  # -(Z - h (A x I) F), stage-major
            dZ = (Minv * flint.arb_mat(n * s, 1, G.entries())).mid().entries()
            Z = (Z + flint.arb_mat(s, n, dZ)).mid()
            size = max(abs(dZ[i * n + k]) * inv_sc[k] for i in range(s) for k in range(n)).mid()
            size = to_mpf(size)
            if size <= mpf("1e-3"):
                return [to_mpf(yb[k] + Z[s - 1, k]) for k in range(n)], Z
            if previous is not None:
                rate = size / previous
                if rate >= 1:
                    raise _StepFailed("Newton iteration for the stages diverges")
                if rate / (1 - rate) * size <= mpf("0.01"):  # Hairer-Wanner: remaining error ~ rate/(1-rate) |dZ|
                    return [to_mpf(yb[k] + Z[s - 1, k]) for k in range(n)], Z
            previous = size
        raise _StepFailed("Newton iteration for the stages did not converge")

    def step(self) -> None:
        t, y, f0 = self.t, self.y, self.f
        J = self.jacobian(t, y, f0)
        p = self.order
        while True:
            h = self.h
            last = False
            if self.t_bound is not None and t + h >= self.t_bound:
                h, last = self.t_bound - t, True
            if h <= abs(t) * mpf(2) ** (-mpmath.mp.prec + 8) or h <= 0:
                raise ConvergenceError(f"step size underflow at t = {mpmath.nstr(t, 8)}")
            try:
                y1, _ = self._stages(t, y, f0, h, self._newton_inverse(J, h), self._previous)
                Mh = self._newton_inverse(J, h / 2)
                yh, Zh = self._stages(t, y, f0, h / 2, Mh, self._previous)
                fh = self.eval(t + h / 2, yh)
                y2, Z2 = self._stages(t + h / 2, yh, fh, h / 2, Mh, (h / 2, Zh))
                f2 = self.eval(t + h, y2)
            except (_StepFailed, DomainError):
                self.nrejected += 1
                self.h = h / 4
                continue
            err = [(a - b) / (2 ** p - 1) for a, b in zip(y2, y1)]
            en = _norm(err, y, y2, self.rtol, self.atol)
            factor = mpf(5) if en == 0 else min(mpf(5), max(mpf("0.2"), mpf("0.9") * en ** (-mpf(1) / (p + 1))))
            if en <= 1:
                self.t = self.t_bound if last else t + h
                self.y, self.f = y2, f2
                self.h = h * factor
                self._previous = (h / 2, Z2)
                return
            self.nrejected += 1
            self.h = h * min(factor, mpf("0.9"))


class DormandPrince(OdeSolver):
    """Explicit Dormand-Prince 5(4) with its embedded error estimate (non-stiff problems)."""

    order = 5
    C = [0, Fraction(1, 5), Fraction(3, 10), Fraction(4, 5), Fraction(8, 9), 1, 1]
    A = [[], [Fraction(1, 5)], [Fraction(3, 40), Fraction(9, 40)],
         [Fraction(44, 45), Fraction(-56, 15), Fraction(32, 9)],
         [Fraction(19372, 6561), Fraction(-25360, 2187), Fraction(64448, 6561), Fraction(-212, 729)],
         [Fraction(9017, 3168), Fraction(-355, 33), Fraction(46732, 5247), Fraction(49, 176), Fraction(-5103, 18656)],
         [Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784), Fraction(11, 84)]]
    B = [Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784), Fraction(11, 84), 0]
    E = [Fraction(71, 57600), 0, Fraction(-71, 16695), Fraction(71, 1920), Fraction(-17253, 339200),
         Fraction(22, 525), Fraction(-1, 40)]

    def __init__(self, *args, **kwargs):
        q = lambda v: mpf(Fraction(v).numerator) / Fraction(v).denominator
        self.c = [q(v) for v in self.C]
        self.a = [[q(v) for v in row] for row in self.A]
        self.b = [q(v) for v in self.B]
        self.e = [q(v) for v in self.E]
        super().__init__(*args, **kwargs)

    def step(self) -> None:
        t, y, n = self.t, self.y, self.n
        while True:
            h, last = self.h, False
            if self.t_bound is not None and t + h >= self.t_bound:
                h, last = self.t_bound - t, True
            if h <= abs(t) * mpf(2) ** (-mpmath.mp.prec + 8) or h <= 0:
                raise ConvergenceError(f"step size underflow at t = {mpmath.nstr(t, 8)}")
            K = [self.f]
            try:
                for i in range(1, 7):
                    yi = [y[k] + h * sum(self.a[i][j] * K[j][k] for j in range(i) if self.a[i][j]) for k in range(n)]
                    K.append(self.eval(t + self.c[i] * h, yi))
            except DomainError:
                self.nrejected += 1
                self.h = h / 4
                continue
            y_new = yi  # FSAL: the 7th stage point is the 5th-order solution
            err = [h * sum(self.e[j] * K[j][k] for j in range(7) if self.e[j]) for k in range(n)]
            en = _norm(err, y, y_new, self.rtol, self.atol)
            factor = mpf(5) if en == 0 else min(mpf(5), max(mpf("0.2"), mpf("0.9") * en ** (-mpf(1) / 5)))
            if en <= 1:
                self.t = self.t_bound if last else t + h
                self.y, self.f = y_new, K[6]
                self.h = h * factor
                return
            self.nrejected += 1
            self.h = h * min(factor, mpf("0.9"))


METHODS = {
    "radau": (RadauIIA, {"stages": 3}),
    "radau5": (RadauIIA, {"stages": 3}),
    "radau9": (RadauIIA, {"stages": 5}),
    "radau13": (RadauIIA, {"stages": 7}),
    "rk45": (DormandPrince, {}),
}


def _progress_bar(progress: bool, t_bound):
    if not (progress and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=None, unit="step", file=sys.stderr, leave=False)


def integrate(fun: Callable, t_span: Sequence, y0: Sequence, *, jac: Callable | None = None, method: str = "radau",
              rtol=None, atol=None, dps: int = 30, max_steps: int = 100000,
              stop: Callable | None = None, t_eval: Sequence | None = None, first_step=None,
              progress: bool = False) -> OdeResult:
    """Integrate y' = fun(t, y) over ``t_span = (t0, t_final)`` (t_final may be ``mpmath.inf`` with ``stop``).

    ``fun(t, y)`` and ``jac(t, y)`` take and return (lists of) mpf at ``dps`` digits. ``rtol``/``atol``
    default to 10^-(dps-5). ``stop(t, y) -> bool`` is checked after each accepted step (status 1 when it fires).
    ``t_eval``: record only at these times (steps are shortened to hit them); otherwise every accepted step is
    recorded. Returns an :class:`OdeResult`; never raises on non-convergence (status -1, ``success`` False),
    but raises :class:`InvalidParameterError` on a bad method or tolerance.
    """
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 5:
        raise InvalidParameterError(f"dps must be an integer >= 5, got {dps!r}")
    cls, options = METHODS[method]
    with mpmath.workdps(dps), flint_precision(dps):
        rtol = mpf(10) ** (-(dps - 5)) if rtol is None else _num(rtol)
        atol = rtol if atol is None else _num(atol)
        if not (rtol > 0 and atol > 0):
            raise InvalidParameterError("rtol and atol must be > 0")
        t0, t_final = _num(t_span[0]), _num(t_span[1])
        if not t_final > t0:
            raise InvalidParameterError("t_span must be increasing")
        outputs = sorted(_num(v) for v in t_eval) if t_eval is not None else None
        if outputs is not None and (outputs[0] < t0 or outputs[-1] > t_final):
            raise InvalidParameterError("t_eval must lie inside t_span")
        bound = None if mpmath.isinf(t_final) else t_final
        next_out = 0
        ts, ys = ([t0], [[_num(v) for v in y0]])
        if outputs is not None:
            ts, ys = [], []
            while next_out < len(outputs) and outputs[next_out] == t0:
                ts.append(t0)
                ys.append([_num(v) for v in y0])
                next_out += 1
        solver = cls(fun, t0, y0, (outputs[next_out] if outputs and next_out < len(outputs) else bound),
                     rtol, atol, jac, first_step, **options)
        status, message = 0, "reached the final time"
        bar = _progress_bar(progress, bound)
        nsteps = 0
        try:
            while True:
                if nsteps >= max_steps:
                    status, message = -1, f"maximum number of steps ({max_steps}) reached at t = {mpmath.nstr(solver.t, 8)}"
                    break
                try:
                    solver.step()
                except ConvergenceError as exc:
                    status, message = -1, str(exc)
                    break
                nsteps += 1
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
        return OdeResult(ts, ys, status, message, solver.nfev, solver.njev, nsteps, status >= 0,
                         solver.nrejected, method)


# --------------------------------------------------------------------------------------------------------------
# the flows of depth-D diagonal networks
# --------------------------------------------------------------------------------------------------------------

@dataclass
class FlowResult:
    """A gradient-flow trajectory: times ``t``, states, x(t), residual ||A x - y||_inf and loss 1/2||A x - y||^2.

    ``kind`` is ``"reduced"`` (states ``nu``) or ``"full"`` (states ``u``, ``v``). ``converged``: the last residual
    is <= ``tol``.
    """

    kind: str
    t: list
    x: list
    residual: list
    loss: list
    converged: bool
    status: int
    message: str
    nfev: int
    njev: int
    nsteps: int
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: mpf
    dps: int
    tol: mpf
    method: str
    nu: list = field(default_factory=list)
    u: list = field(default_factory=list)
    v: list = field(default_factory=list)


class _Problem:
    """A, y at the working precision and the derived quantities shared by the flows."""

    def __init__(self, instance, depth, alpha, alpha_convention):
        self.D = depth_value(depth)
        self.alpha = positive_value(alpha, "alpha")
        self.alpha_convention = alpha_convention_value(alpha_convention)
        self.instance = instance
        q = lambda v: mpf(v.numerator) / v.denominator
        self.A = [[q(v) for v in row] for row in instance.A]
        self.y = [q(v) for v in instance.y]
        self.m, self.N = instance.m, instance.N
        self.ap = product_scale(self.alpha, self.D, self.alpha_convention)
        self.Dm = mpf(self.D.numerator) / self.D.denominator
        self.integer_depth = self.D.denominator == 1

    def residual_vector(self, x):
        return [sum(a * xi for a, xi in zip(row, x)) - yi for row, yi in zip(self.A, self.y)]

    def At(self, r):
        return [sum(self.A[i][j] * r[i] for i in range(self.m)) for j in range(self.N)]

    def measures(self, x):
        r = self.residual_vector(x)
        return max(abs(v) for v in r), sum(v * v for v in r) / 2

    def power(self, u, k):
        """u^k for the factor values (k = D - 1 or D - 2); u <= 0 leaves the domain for non-integer D."""
        if self.integer_depth:
            return u ** int(k)
        if u <= 0:
            raise DomainError("a factor u_i or v_i reached 0 (the exact flow keeps it positive)")
        return u ** k


def _tolerances(dps, tol, rtol, atol):
    tol = mpf(10) ** (-(dps - 8)) if tol is None else _num(tol)
    rtol = mpf(10) ** (-(dps - 5)) if rtol is None else _num(rtol)
    atol = rtol if atol is None else _num(atol)
    return tol, rtol, atol


def _check_times(t_final, until_converged):
    if t_final is None and not until_converged:
        raise InvalidParameterError("give t_final or until_converged=True")
    if t_final is not None:
        t_final = positive_value(t_final, "t_final")
        return mpf(t_final.numerator) / t_final.denominator
    return mpmath.inf


def reduced_flow(instance, depth, alpha, *, alpha_convention: str = "product", t_final=None,
                 until_converged: bool = True, tol=None, dps: int = 30, method: str = "radau", rtol=None, atol=None,
                 max_steps: int = 200000, t_eval=None, progress: bool = False) -> FlowResult:
    """The reduced (dual) flow nu' = -c_D (A x(nu) - y), x(nu) = alpha_prod phi_D(A^T nu), nu(0) = 0.

    Integrates to ``t_final`` or, with ``until_converged``, until ||A x - y||_inf <= ``tol`` (default
    10^-(dps-8)); ``until_converged`` without reaching ``tol`` (by ``t_final`` or ``max_steps``) raises
    :class:`ConvergenceError`. The Jacobian -c_D alpha_prod A diag(phi_D'(A^T nu)) A^T is analytic.
    """
    with mpmath.workdps(dps):
        P = _Problem(instance, depth, alpha, alpha_convention)
        t_end = _check_times(t_final, until_converged)
        tol, rtol, atol = _tolerances(dps, tol, rtol, atol)
        c = flow_rate(P.D, P.ap)
        D, ap, A, m, N = P.D, P.ap, P.A, P.m, P.N
        fast = _FlintDual(instance, D, ap, c, dps)

        def x_of(nu):
            return [ap * link(D, zj) for zj in P.At(nu)]

        def fun(t, nu):
            return fast.rhs(nu)

        def jac(t, nu):
            return fast.jacobian(nu)

        stop = _convergence_stop(P, lambda nu: x_of(nu), tol) if until_converged else None

        ode = integrate(fun, (0, t_end), [mpf(0)] * m, jac=jac, method=method, rtol=rtol, atol=atol, dps=dps,
                        max_steps=max_steps, stop=stop, t_eval=t_eval, progress=progress)
        xs = [x_of(nu) for nu in ode.y]
        return _finish("reduced", P, ode, xs, tol, until_converged, dps, method, nu=ode.y)


class _FlintDual:
    """The right-hand side -c (A alpha_prod phi_D(A^T nu) - y) and its Jacobian, evaluated in flint arb.

    Same formulas as :func:`implicitreg.numerics.potentials.link` (checked against it in the tests), 5-10x
    faster than mpmath for the matrix-vector products.
    """

    def __init__(self, instance, D, ap, c, dps):
        self.dps = dps
        with flint_precision(dps):
            q = lambda v: flint.arb(flint.fmpq(v.numerator, v.denominator))
            self.m, self.N = instance.m, instance.N
            self.A = flint.arb_mat(self.m, self.N, [q(v) for row in instance.A for v in row])
            self.AT = self.A.transpose()
            self.y = [q(v) for v in instance.y]
            self.two = D == 2
            if not self.two:
                e = D / (D - 2)
                self.e = flint.arb(flint.fmpq(e.numerator, e.denominator))
            self.ap, self.c = to_arb(ap), to_arb(c)

    def _z(self, nu):
        z = (self.AT * flint.arb_mat(self.m, 1, [to_arb(v) for v in nu])).entries()
        if not self.two and any(not abs(v.mid()) < 1 for v in z):
            raise DomainError("|A^T nu| reached 1")
        return z

    def rhs(self, nu):
        with flint_precision(self.dps):
            z = self._z(nu)
            if self.two:
                phi = [2 * v.sinh() for v in z]
            else:
                phi = [(1 + v) ** (-self.e) * (2 * self.e * v.atanh()).expm1() for v in z]
            Ax = (self.A * flint.arb_mat(self.N, 1, [self.ap * p for p in phi])).entries()
            return [to_mpf(-self.c * (a - b)) for a, b in zip(Ax, self.y)]

    def jacobian(self, nu):
        with flint_precision(self.dps):
            z = self._z(nu)
            if self.two:
                dphi = [2 * v.cosh() for v in z]
            else:
                e1 = self.e + 1
                dphi = [self.e * ((1 - v) ** (-e1) + (1 + v) ** (-e1)) for v in z]
            w = [(self.c * self.ap * d).mid() for d in dphi]
            Aw = flint.arb_mat(self.m, self.N, [self.A[i, j] * w[j] for i in range(self.m) for j in range(self.N)])
            J = Aw * self.AT
            return [[to_mpf(-J[i, k]) for k in range(self.m)] for i in range(self.m)]


def full_flow(instance, depth, alpha, *, alpha_convention: str = "product", t_final=None,
              until_converged: bool = False, tol=None, dps: int = 30, method: str = "radau", rtol=None, atol=None,
              max_steps: int = 200000, t_eval=None, progress: bool = False) -> FlowResult:
    """The 2N-dimensional flow u' = -D u^(D-1) A^T r, v' = +D v^(D-1) A^T r, u(0) = v(0) = alpha_prod^(1/D).

    Same stopping rules as :func:`reduced_flow`; the Jacobian is analytic.
    """
    with mpmath.workdps(dps):
        P = _Problem(instance, depth, alpha, alpha_convention)
        t_end = _check_times(t_final, until_converged)
        tol, rtol, atol = _tolerances(dps, tol, rtol, atol)
        Dm, N = P.Dm, P.N
        G = [[sum(P.A[i][j] * P.A[i][k] for i in range(P.m)) for k in range(N)] for j in range(N)]
        u0 = factor_scale(P.ap, P.D)

        def x_of(state):
            return [P.power(a, Dm) - P.power(b, Dm) for a, b in zip(state[:N], state[N:])]

        def fun(t, state):
            g = P.At(P.residual_vector(x_of(state)))
            u, v = state[:N], state[N:]
            return ([-Dm * P.power(u[j], Dm - 1) * g[j] for j in range(N)]
                    + [Dm * P.power(v[j], Dm - 1) * g[j] for j in range(N)])

        def jac(t, state):
            u, v = state[:N], state[N:]
            g = P.At(P.residual_vector(x_of(state)))
            du = [Dm * P.power(a, Dm - 1) for a in u]  # dx_j/du_j
            dv = [-Dm * P.power(b, Dm - 1) for b in v]  # dx_j/dv_j
            J = [[mpf(0)] * (2 * N) for _ in range(2 * N)]
            for j in range(N):
                for k in range(N):
                    # u_j' = -du_j g_j, v_j' = -dv_j g_j; dg_j/du_k = G_jk du_k, dg_j/dv_k = G_jk dv_k
                    J[j][k] = -du[j] * G[j][k] * du[k]
                    J[j][N + k] = -du[j] * G[j][k] * dv[k]
                    J[N + j][k] = -dv[j] * G[j][k] * du[k]
                    J[N + j][N + k] = -dv[j] * G[j][k] * dv[k]
                J[j][j] -= Dm * (Dm - 1) * P.power(u[j], Dm - 2) * g[j]
                J[N + j][N + j] += Dm * (Dm - 1) * P.power(v[j], Dm - 2) * g[j]
            return J

        stop = _convergence_stop(P, x_of, tol) if until_converged else None

        ode = integrate(fun, (0, t_end), [u0] * (2 * N), jac=jac, method=method, rtol=rtol, atol=atol, dps=dps,
                        max_steps=max_steps, stop=stop, t_eval=t_eval, progress=progress)
        xs = [x_of(s) for s in ode.y]
        return _finish("full", P, ode, xs, tol, until_converged, dps, method,
                       u=[s[:N] for s in ode.y], v=[s[N:] for s in ode.y])


STALL_FACTOR = mpf(10) ** 30


def _convergence_stop(P, x_of, tol):
    """stop(t, state): True once ||A x - y||_inf <= tol.

    Raises :class:`ConvergenceError` when the flow has stalled: t beyond 10^30 times the flow's time scale
    T = (1 + log(1/alpha_prod)) / c_D (``dln.md`` §2: log(1/alpha) for D = 2, alpha^(-(D-2)/D) for D > 2) with the
    residual still above tol. An L-stable integrator only gets there by taking huge steps on a state that no
    longer moves, i.e. the residual sits at the floor set by dps and rtol/atol.
    """
    with mpmath.workdps(30):
        horizon = STALL_FACTOR * (1 + abs(mpmath.log(P.ap))) / flow_rate(P.D, P.ap)

    def stop(t, state):
        res = P.measures(x_of(state))[0]
        if res <= tol:
            return True
        if t > horizon:
            raise ConvergenceError(f"the flow stalled at ||A x - y||_inf = {mpmath.nstr(res, 3)} > tol = "
                                   f"{mpmath.nstr(tol, 3)} (t = {mpmath.nstr(t, 3)}): the working precision or the "
                                   "step tolerances (rtol/atol) set this floor; raise dps or tighten rtol")
        return False
    return stop


def _finish(kind, P, ode, xs, tol, until_converged, dps, method, **states) -> FlowResult:
    res, loss = zip(*(P.measures(x) for x in xs)) if xs else ((), ())
    converged = bool(xs) and res[-1] <= tol
    if ode.status < 0:
        raise ConvergenceError(f"the {kind} flow failed: {ode.message}")
    if until_converged and not converged:
        raise ConvergenceError(f"the {kind} flow did not reach ||A x - y||_inf <= {mpmath.nstr(tol, 3)} "
                               f"by t = {mpmath.nstr(ode.t[-1], 6)} (residual {mpmath.nstr(res[-1], 3)})")
    return FlowResult(kind, ode.t, xs, list(res), list(loss), converged, ode.status, ode.message, ode.nfev,
                      ode.njev, ode.nsteps, P.D, P.alpha, P.alpha_convention, P.ap, dps, tol, method, **states)


# --------------------------------------------------------------------------------------------------------------
# gradient descent
# --------------------------------------------------------------------------------------------------------------

@dataclass
class GDResult:
    """Gradient descent u <- u - eta D u^(D-1) A^T r, v <- v + eta D v^(D-1) A^T r, from u = v = alpha_prod^(1/D)."""

    x: list
    u: list
    v: list
    steps: int
    residual: mpf
    loss: mpf
    converged: bool
    eta: Fraction
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: mpf
    dps: int
    distance_to_limit: mpf | None = None  # ||x_GD - x_inf||_inf when a limit was supplied or computed
    limit_digits: int | None = None


def gradient_descent(instance, depth, alpha, eta, *, alpha_convention: str = "product", max_steps: int = 100000,
                     tol=None, dps: int = 30, limit=None, compute_limit: bool = True) -> GDResult:
    """Run gradient descent with step ``eta`` until ||A x - y||_inf <= ``tol`` (default 10^-(dps//2)).

    ``limit``: the gradient-flow limit (a :class:`LimitResult` or a list of numbers) to measure the distance to;
    with ``compute_limit`` and no ``limit`` it is computed by :func:`gradient_flow_limit` to ``dps - 5`` digits.
    Raises :class:`ConvergenceError` when the iteration diverges or does not reach ``tol`` in ``max_steps``.
    """
    eta_q = positive_value(eta, "eta")
    with mpmath.workdps(dps):
        P = _Problem(instance, depth, alpha, alpha_convention)
        tol = mpf(10) ** (-(dps // 2)) if tol is None else mpf(tol)
        Dm, N = P.Dm, P.N
        step = mpf(eta_q.numerator) / eta_q.denominator
        u = [factor_scale(P.ap, P.D)] * N
        v = list(u)
        blowup = mpf(10) ** 30
        for k in range(max_steps + 1):
            x = [P.power(a, Dm) - P.power(b, Dm) for a, b in zip(u, v)]
            r = P.residual_vector(x)
            res = max(abs(t) for t in r)
            if res <= tol:
                break
            if not res < blowup or not all(mpmath.isfinite(t) for t in x):
                raise ConvergenceError(f"gradient descent diverged at step {k} (eta = {eta} too large?)")
            if k == max_steps:
                raise ConvergenceError(f"gradient descent did not reach residual {mpmath.nstr(tol, 3)} in "
                                       f"{max_steps} steps (residual {mpmath.nstr(res, 3)})")
            g = P.At(r)
            try:
                u = [a - step * Dm * P.power(a, Dm - 1) * gj for a, gj in zip(u, g)]
                v = [b + step * Dm * P.power(b, Dm - 1) * gj for b, gj in zip(v, g)]
            except DomainError:
                raise ConvergenceError(f"gradient descent left the domain (a factor <= 0) at step {k}; "
                                       "reduce eta") from None
        res, loss = P.measures(x)
        out = GDResult(x, u, v, k, res, loss, True, eta_q, P.D, P.alpha, P.alpha_convention, P.ap, dps)
    if limit is None and compute_limit:
        from implicitreg.numerics.dual_limit import gradient_flow_limit

        limit = gradient_flow_limit(instance, depth, alpha, alpha_convention=alpha_convention, digits=max(dps - 5, 5))
    if limit is not None:
        xs = getattr(limit, "x", limit)
        with mpmath.workdps(dps):
            out.distance_to_limit = max(abs(a - mpf(b)) for a, b in zip(out.x, xs))
        out.limit_digits = getattr(limit, "digits", None)
    return out
