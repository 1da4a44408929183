"""Gradient flow of depth-D diagonal networks in mpmath, and a generic high-precision ODE integrator.

* :func:`integrate` (re-exported from :mod:`implicitreg.numerics.ode`): the generic adaptive integrator in mpmath
  (Radau IIA of orders 5/9/13/17/21 with step doubling or an embedded error estimate, and dense output;
  Dormand-Prince 5(4)). Use ``"radau13"`` or higher when rtol is below ~1e-20 (the default rtol of the flows is
  10^-(dps-5)); at 30 digits ``"radau21"`` is the fastest (``benchmarks/bench_engine.py``).
* :func:`reduced_flow`: the m-dimensional dual flow nu' = -c_D (A x(nu) - y), x(nu) = alpha_prod phi_D(A^T nu),
  nu(0) = 0 (``dln.md`` §2, ``wah.md`` §2) whose x(t) *is* the network's x(t).
* :func:`full_flow`: the 2N-dimensional flow of the factors, u' = -D u^(D-1) A^T r, v' = +D v^(D-1) A^T r,
  u(0) = v(0) = alpha_prod^(1/D), r = A x - y, x = u^D - v^D (``dln.md`` §1).
* :func:`gradient_descent`: the same with a finite step eta (what practitioners run), with its distance to the
  gradient-flow limit (O(eta) [derived, numerically seen], ``dln.md`` §2).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import mpmath
import numpy as np
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics._flint_link import FlintLink
from implicitreg.numerics._result import Result
from implicitreg.numerics.ode import (METHODS, DormandPrince, OdeResult, OdeSolution, OdeSolver,  # noqa: F401
                                      RadauIIA, integrate)
from implicitreg.numerics.potentials import (DomainError, alpha_convention_value, depth_value, factor_scale,
                                             flow_rate, positive_value, product_scale)
from implicitreg.numerics.precision import arb_to_mpf, flint_precision, mpf_from, to_arb


__all__ = ["integrate", "OdeResult", "OdeSolution", "OdeSolver", "RadauIIA", "DormandPrince", "METHODS",
           "FlowResult", "reduced_flow", "full_flow", "GDResult", "gradient_descent"]

# --------------------------------------------------------------------------------------------------------------
# the flows of depth-D diagonal networks
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class FlowResult(Result):
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
    success: bool
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
    sol: object = None  # with dense_output: t -> state (nu, or u and v stacked) between the recorded steps


class _Problem:
    """A, y at the working precision and the derived quantities shared by the flows."""

    def __init__(self, instance, depth, alpha, alpha_convention):
        self.D = depth_value(depth)
        self.alpha = positive_value(alpha, "alpha")
        self.alpha_convention = alpha_convention_value(alpha_convention)
        self.instance = instance
        self.A = [[mpf_from(v) for v in row] for row in instance.A]
        self.y = [mpf_from(v) for v in instance.y]
        self.m, self.N = instance.m, instance.N
        self.ap = product_scale(self.alpha, self.D, self.alpha_convention)
        self.Dm = mpf_from(self.D)
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
    tol = mpf(10) ** (-(dps - 8)) if tol is None else mpf_from(tol)
    rtol = mpf(10) ** (-(dps - 5)) if rtol is None else mpf_from(rtol)
    atol = rtol if atol is None else mpf_from(atol)
    return tol, rtol, atol


def _check_times(t_final, until_converged):
    if t_final is None and not until_converged:
        raise InvalidParameterError("give t_final or until_converged=True")
    if t_final is not None:
        t_final = positive_value(t_final, "t_final")
        return mpf_from(t_final)
    return mpmath.inf


def reduced_flow(instance, depth, alpha, *, alpha_convention: str = "product", t_final=None,
                 until_converged: bool = True, tol=None, dps: int = 30, method: str = "radau", rtol=None, atol=None,
                 max_steps: int = 200000, t_eval=None, progress: bool = False,
                 time_budget: float | None = None, dense_output: bool = False, error: str = "doubling",
                 linear_algebra: str = "float64", newton: str = "full") -> FlowResult:
    """The reduced (dual) flow nu' = -c_D (A x(nu) - y), x(nu) = alpha_prod phi_D(A^T nu), nu(0) = 0.

    Integrates to ``t_final`` or, with ``until_converged``, until ||A x - y||_inf <= ``tol`` (default
    10^-(dps-8)); ``until_converged`` without reaching ``tol`` (by ``t_final`` or ``max_steps``) raises
    :class:`ConvergenceError`. The Jacobian -c_D alpha_prod A diag(phi_D'(A^T nu)) A^T is analytic.
    ``dense_output`` (Radau): the result's ``sol(t)`` gives nu(t) between the recorded steps. ``error`` and
    ``linear_algebra``: Radau's error control and stage algebra (:func:`integrate`); with "float64" the Jacobian is
    formed in float64 from phi_D'(A^T nu) evaluated at the working precision. ``newton``: "full" (default, with
    "float64": the Newton matrix from the float64 Jacobian at every stage) or "simplified" (the Jacobian at the
    step's start only).
    """
    if newton not in ("full", "simplified"):
        raise InvalidParameterError(f"newton must be 'full' or 'simplified', got {newton!r}")
    with mpmath.workdps(dps):
        P = _Problem(instance, depth, alpha, alpha_convention)
        t_end = _check_times(t_final, until_converged)
        tol, rtol, atol = _tolerances(dps, tol, rtol, atol)
        c = flow_rate(P.D, P.ap)
        D, ap, A, m, N = P.D, P.ap, P.A, P.m, P.N
        fast = _FlintDual(instance, D, ap, c, dps)

        def fun(t, nu):
            return fast.rhs(nu)

        def jac(t, nu):
            return fast.jacobian64(nu) if linear_algebra == "float64" else fast.jacobian(nu)

        stop = _convergence_stop(P, lambda nu: fast.measures(nu)[1], tol) if until_converged else None

        ode = integrate(fun, (0, t_end), [mpf(0)] * m, jac=jac, method=method, rtol=rtol, atol=atol, dps=dps,
                        max_steps=max_steps, stop=stop, t_eval=t_eval, progress=progress,
                        fun_arb=lambda t, nu: fast.rhs_arb(nu), dense_output=dense_output, time_budget=time_budget,
                        error=error, linear_algebra=linear_algebra, fun_stages=lambda t, h, c, Y: fast.rhs_stages(Y),
                        jac_stages=(lambda t, h, c, Y: fast.jac_stages(Y)) if newton == "full" else None)
        xs, res, loss = zip(*(fast.measures(nu) for nu in ode.y)) if ode.y else ((), (), ())
        return _finish("reduced", P, ode, list(xs), tol, until_converged, dps, method, measures=(res, loss), nu=ode.y)


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
            self.link = FlintLink(D)  # phi_D, phi_D' in arb (numerics/_flint_link.py)
            self.two = self.link.two
            self.ap, self.c = to_arb(ap), to_arb(c)
            self.AT_rate = self.AT * (-self.c * self.ap)  # nu' = phi(z) (-c ap A^T) + c y, one row per stage
            self.cy = [self.c * v for v in self.y]
            self.A64 = np.array([[float(v) for v in row] for row in instance.A])
            self._cy_rows = {}
            self._stage_z = None  # (Y, A^T Y entries) of the last rhs_stages call, for jac_stages
            self.log_rate = float(mpmath.log(c * ap))  # log(c alpha_prod): float64 weights without under/overflow
            if not self.two:
                self.e64 = float(Fraction(D) / (Fraction(D) - 2))

    def _z(self, nu):
        z = (self.AT * flint.arb_mat(self.m, 1, [to_arb(v) for v in nu])).entries()
        if not self.two and any(not abs(v.mid()) < 1 for v in z):
            raise DomainError("|A^T nu| reached 1")
        return z

    def rhs(self, nu):
        with flint_precision(self.dps):
            return [arb_to_mpf(v) for v in self.rhs_arb([to_arb(v) for v in nu])]

    def rhs_arb(self, nu):
        """The right-hand side on arb midpoints (the Radau stages call it without mpf conversions)."""
        z = (self.AT * flint.arb_mat(self.m, 1, nu)).entries()
        if not self.two and any(not abs(v.mid()) < 1 for v in z):
            raise DomainError("|A^T nu| reached 1")
        phi = [self.link.phi(v) for v in z]
        Ax = (self.A * flint.arb_mat(self.N, 1, [self.ap * p for p in phi])).entries()
        return [(-self.c * (a - b)).mid() for a, b in zip(Ax, self.y)]

    def rhs_stages(self, Y):
        """The right-hand side at every row of the arb_mat Y (the Radau stages), as an arb_mat of midpoints."""
        with flint_precision(self.dps):
            s = Y.nrows()
            Z = Y * self.A
            zs = Z.entries()
            if not self.two and any(not abs(v.mid()) < 1 for v in zs):
                raise DomainError("|A^T nu| reached 1")
            self._stage_z = (Y, zs)
            phi = self.link.phi
            rows = self._cy_rows.get(s)
            if rows is None:
                rows = self._cy_rows[s] = flint.arb_mat(s, self.m, self.cy * s)
            return (flint.arb_mat(s, self.N, [phi(v) for v in zs]) * self.AT_rate + rows).mid()

    def _weights64(self, zs):
        """c alpha_prod phi_D'(z) in float64 through logarithms (alpha_prod may be far below float64's range):
        2 cosh z = e^|z| (1 + e^-2|z|); for D > 2, e [(1 - z)^(-e-1) + (1 + z)^(-e-1)] with 1 -+ z formed in arb
        (near the pole float64 would round 1 - z away). A weight beyond float64's range is inf, without a warning:
        the Radau step checks its float64 Newton system for finiteness and rejects the step (numerics/ode.py)."""
        with np.errstate(over="ignore"):
            if self.two:
                z = np.abs(np.array([float(v) for v in zs]))
                return np.exp(self.log_rate + z) * (1 + np.exp(-2 * z))
            w_minus = np.array([float(1 - v) for v in zs])
            w_plus = np.array([float(1 + v) for v in zs])
            e = self.e64
            return np.exp(self.log_rate + math.log(e) - (e + 1) * np.log(w_minus)) + \
                np.exp(self.log_rate + math.log(e) - (e + 1) * np.log(w_plus))

    def jacobian64(self, nu):
        """The Jacobian -c alpha_prod A diag(phi_D'(A^T nu)) A^T in float64 (weights by :meth:`_weights64`)."""
        with flint_precision(self.dps):
            w = self._weights64(self._z(nu))
        with np.errstate(over="ignore", invalid="ignore"):  # inf weights: a non-finite Jacobian, refused by the solver
            return -(self.A64 * w) @ self.A64.T

    def jac_stages(self, Y):
        """The float64 Jacobians at the rows of the arb_mat Y (the Radau stages), shape (stages, m, m)."""
        with flint_precision(self.dps):
            if self._stage_z is not None and self._stage_z[0] is Y:
                zs = self._stage_z[1]
            else:
                zs = (Y * self.A).entries()
            W = self._weights64(zs).reshape(Y.nrows(), self.N)
        with np.errstate(over="ignore", invalid="ignore"):  # inf weights: a non-finite system, rejected by the step
            return -np.einsum("ij,sj,kj->sik", self.A64, W, self.A64)

    def measures(self, nu):
        """(x, ||A x - y||_inf, 1/2 ||A x - y||^2) at nu, x = alpha_prod phi_D(A^T nu), in arb, returned as mpf."""
        with flint_precision(self.dps):
            x = [self.ap * self.link.phi(v) for v in self._z(nu)]
            r = [a - b for a, b in zip((self.A * flint.arb_mat(self.N, 1, x)).entries(), self.y)]
            return ([arb_to_mpf(v) for v in x], arb_to_mpf(max((abs(v) for v in r), key=lambda v: v.mid())),
                    arb_to_mpf(sum((v * v for v in r), flint.arb(0)) / 2))

    def jacobian(self, nu):
        with flint_precision(self.dps):
            z = self._z(nu)
            dphi = [self.link.dphi(v) for v in z]
            w = [(self.c * self.ap * d).mid() for d in dphi]
            Aw = flint.arb_mat(self.m, self.N, [self.A[i, j] * w[j] for i in range(self.m) for j in range(self.N)])
            J = Aw * self.AT
            return [[arb_to_mpf(-J[i, k]) for k in range(self.m)] for i in range(self.m)]


def full_flow(instance, depth, alpha, *, alpha_convention: str = "product", t_final=None,
              until_converged: bool = False, tol=None, dps: int = 30, method: str = "radau", rtol=None, atol=None,
              max_steps: int = 200000, t_eval=None, progress: bool = False,
              time_budget: float | None = None) -> FlowResult:
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

        stop = _convergence_stop(P, lambda state: P.measures(x_of(state))[0], tol) if until_converged else None

        ode = integrate(fun, (0, t_end), [u0] * (2 * N), jac=jac, method=method, rtol=rtol, atol=atol, dps=dps,
                        max_steps=max_steps, stop=stop, t_eval=t_eval, progress=progress, time_budget=time_budget)
        xs = [x_of(s) for s in ode.y]
        return _finish("full", P, ode, xs, tol, until_converged, dps, method,
                       u=[s[:N] for s in ode.y], v=[s[N:] for s in ode.y])


STALL_FACTOR = mpf(10) ** 30


def _convergence_stop(P, residual_of, tol):
    """stop(t, state): True once ||A x - y||_inf <= tol.

    Raises :class:`ConvergenceError` when the flow has stalled: t beyond 10^30 times the flow's time scale
    T = (1 + log(1/alpha_prod)) / c_D (``dln.md`` §2: log(1/alpha) for D = 2, alpha^(-(D-2)/D) for D > 2) with the
    residual still above tol. An L-stable integrator only gets there by taking huge steps on a state that no
    longer moves, i.e. the residual sits at the floor set by dps and rtol/atol.
    """
    with mpmath.workdps(30):
        horizon = STALL_FACTOR * (1 + abs(mpmath.log(P.ap))) / flow_rate(P.D, P.ap)

    def stop(t, state):
        res = residual_of(state)
        if res <= tol:
            return True
        if t > horizon:
            raise ConvergenceError(f"the flow stalled at ||A x - y||_inf = {mpmath.nstr(res, 3)} > tol = "
                                   f"{mpmath.nstr(tol, 3)} (t = {mpmath.nstr(t, 3)}): the working precision or the "
                                   "step tolerances (rtol/atol) set this floor; raise dps or tighten rtol")
        return False
    return stop


def _finish(kind, P, ode, xs, tol, until_converged, dps, method, measures=None, **states) -> FlowResult:
    res, loss = measures if measures is not None else (zip(*(P.measures(x) for x in xs)) if xs else ((), ()))
    converged = bool(xs) and res[-1] <= tol
    if ode.status < 0:
        raise ConvergenceError(f"the {kind} flow failed: {ode.message}")
    if until_converged and not converged:
        raise ConvergenceError(f"the {kind} flow did not reach ||A x - y||_inf <= {mpmath.nstr(tol, 3)} "
                               f"by t = {mpmath.nstr(ode.t[-1], 6)} (residual {mpmath.nstr(res[-1], 3)})")
    return FlowResult(kind=kind, t=ode.t, x=xs, residual=list(res), loss=list(loss), converged=converged,
                      status=ode.status, message=ode.message, success=ode.success, nfev=ode.nfev, njev=ode.njev,
                      nsteps=ode.nsteps, depth=P.D, alpha=P.alpha, alpha_convention=P.alpha_convention,
                      alpha_product=P.ap, dps=dps, tol=tol, method=method, sol=ode.sol, **states)


# --------------------------------------------------------------------------------------------------------------
# gradient descent
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class GDResult(Result):
    """Gradient descent u <- u - eta D u^(D-1) A^T r, v <- v + eta D v^(D-1) A^T r, from u = v = alpha_prod^(1/D)."""

    x: list
    u: list
    v: list
    steps: int
    residual: mpf
    loss: mpf
    converged: bool
    status: int
    message: str
    success: bool
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
        step = mpf_from(eta_q)
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
        out = GDResult(x=x, u=u, v=v, steps=k, residual=res, loss=loss, converged=True, status=0,
                       message=f"residual <= {mpmath.nstr(tol, 3)} after {k} steps", success=True, eta=eta_q,
                       depth=P.D, alpha=P.alpha, alpha_convention=P.alpha_convention, alpha_product=P.ap, dps=dps)
    if limit is None and compute_limit:
        from implicitreg.numerics.dual_limit import gradient_flow_limit

        limit = gradient_flow_limit(instance, depth, alpha, alpha_convention=alpha_convention, digits=max(dps - 5, 5))
    if limit is not None:
        xs = getattr(limit, "x", limit)
        with mpmath.workdps(dps):
            distance = max(abs(a - mpf(b)) for a, b in zip(out.x, xs))
        out = dataclasses.replace(out, distance_to_limit=distance, limit_digits=getattr(limit, "digits", None))
    return out
