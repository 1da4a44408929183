"""The gradient-flow limit x_inf(alpha) solved in double precision (float64): the comparison path.

Damped Newton on the dual optimality condition alpha_prod A h_p(A^T nu) = y (Thm A's dual, ``wah.md`` s1),
accepted like the authors' code when ||A x - y|| < 1e-10. Nothing in the toolkit trusts its output: it is the
double-precision path that figures and benchmarks compare the certified limit against, to show where float64
arithmetic stops resolving the error.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass
class Float64Limit:
    """x_inf computed in float64 (``success``: finite and ||A x - y|| < 1e-10, the authors' acceptance test)."""

    x: object
    success: bool
    message: str


@functools.lru_cache(maxsize=None)
def _numpy_potentials(depth: str):
    """(h_p, h_p', H_p) of :mod:`implicitreg.theory.potentials` lambdified to numpy (float64)."""
    import sympy

    from implicitreg.theory import potentials as P

    p = sympy.nsimplify(depth)
    return (sympy.lambdify(P.s, P.h(p, P.s), "numpy"), sympy.lambdify(P.s, sympy.diff(P.h(p, P.s), P.s), "numpy"),
            sympy.lambdify(P.s, P.H(p, P.s), "numpy"))


def float64_gradient_flow_limit(A, y, depth, alpha_product, max_iter: int = 500) -> Float64Limit:
    """The GF limit in float64: damped Newton on the dual optimality condition alpha_prod A h_p(A^T nu) = y.

    Linear solves by ``scipy.linalg.solve``; steps halved until the residual decreases and (p > 2) the
    iterate stays in |A^T nu| < 1; stops when the residual can no longer be decreased. Accepted, as in the authors' code (wah.md s1), when ||A x - y|| < 1e-10.
    The potentials are the SymPy expressions of :mod:`implicitreg.theory.potentials`, lambdified to numpy.
    This is the double-precision path the figures compare against to mark where float64 fails; it is not
    used for any observed value.
    """
    import numpy as np
    import scipy.linalg
    import sympy

    p = sympy.nsimplify(depth)
    h, dh, H = _numpy_potentials(str(p))
    A = np.asarray(A, dtype=float)
    y = np.asarray(y, dtype=float)
    a = float(alpha_product)
    bounded = p != 2

    def fun(nu):
        w = A.T @ nu
        if bounded and np.max(np.abs(w)) >= 1:
            return np.inf
        return a * np.sum(H(w)) - y @ nu

    def grad(nu):
        return a * (A @ h(A.T @ nu)) - y

    nu = np.zeros(len(y))
    message = "maximum number of iterations reached"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = grad(nu)
        for _ in range(max_iter):
            w = A.T @ nu
            Hm = a * (A * dh(w)) @ A.T
            try:
                step = scipy.linalg.solve(Hm, -g, assume_a="pos")
            except (np.linalg.LinAlgError, ValueError) as exc:
                message = f"linear solve failed: {exc}"
                break
            # damped Newton on the equation grad = 0, backtracking on ||grad|| inside the domain
            t, gn = 1.0, np.linalg.norm(g)
            while t > 1e-20:
                cand = nu + t * step
                if np.isfinite(fun(cand)):
                    g_new = grad(cand)
                    if np.all(np.isfinite(g_new)) and np.linalg.norm(g_new) < gn:
                        break
                t /= 2
            else:
                message = "stopped: the residual no longer decreases"
                break
            nu, g = cand, g_new
        x = a * h(A.T @ nu)
    resid = float(np.linalg.norm(A @ x - y))
    ok = bool(np.all(np.isfinite(x))) and resid < 1e-10
    return Float64Limit(x, ok, f"{message}; ||A x - y|| = {resid:.3g}")



@dataclass
class IntegratorLimit:
    """x(T) of the full (u, v) flow integrated in float64 by a scipy integrator (the papers' own set-up).

    ``success``: the integrator finished and ||A x - y|| < 1e-10 (the authors' acceptance test); ``method``,
    ``rtol`` and ``t_end`` record the set-up; ``nfev`` the right-hand side evaluations."""

    x: object
    success: bool
    message: str
    method: str
    rtol: float
    t_end: float
    nfev: int


#: the papers' set-ups [authors' code, which_l1_minimizer figure1.py / figure2.py]: integrator and rtol (atol = 0)
AUTHORS_SETUPS = {"radau": ("Radau", 2.5e-14), "lsoda": ("LSODA", 1e-12)}


def integrated_flow_limit(A, y, depth, alpha_product, setup: str = "radau", horizon: float = 1e9,
                          max_nfev: int = 2_000_000) -> IntegratorLimit:
    """x_inf approximated by x(T) of the full flow in float64, as the authors of WAH compute it.

    The flow is gradient flow on (1/2)||A (u^p - v^p) - y||^2 over (u, v) from u(0) = v(0) = alpha (per factor,
    alpha = alpha_product^(1/p)): with r = A^T (y - A x), x = u^p - v^p,

        u' = p u^(p-1) r,    v' = -p v^(p-1) r,

    integrated by scipy's ``setup`` integrator (``"radau"``: Radau IIA, rtol 2.5e-14; ``"lsoda"``: LSODA,
    rtol 1e-12; atol 0) with the analytic Jacobian, up to T = horizon * alpha^(2-p) (the flow's time scale).
    A run that does not finish within ``max_nfev`` evaluations counts as failed.
    """
    import numpy as np
    import scipy.integrate

    if setup not in AUTHORS_SETUPS:
        raise ValueError(f"setup must be one of {sorted(AUTHORS_SETUPS)}, got {setup!r}")
    method, rtol = AUTHORS_SETUPS[setup]
    A = np.asarray(A, dtype=float)
    y = np.asarray(y, dtype=float)
    N = A.shape[1]
    p = float(depth)
    alpha = float(alpha_product) ** (1 / p)
    t_end = horizon * alpha ** (2 - p)
    counter = [0]

    def rhs(_t, z):
        counter[0] += 1
        u, v = z[:N], z[N:]
        r = A.T @ (y - A @ (u ** p - v ** p))
        return np.concatenate([p * u ** (p - 1) * r, -p * v ** (p - 1) * r])

    def jac(_t, z):
        u, v = z[:N], z[N:]
        r = A.T @ (y - A @ (u ** p - v ** p))
        # d(x)/d(u, v) = [diag(p u^(p-1)), -diag(p v^(p-1))]; the Hessian of the loss in (u, v) with a minus sign
        Jx = np.concatenate([A * (p * u ** (p - 1)), -A * (p * v ** (p - 1))], axis=1)
        J = -Jx.T @ Jx
        J[:N, :N] += np.diag(p * (p - 1) * u ** (p - 2) * r)
        J[N:, N:] -= np.diag(p * (p - 1) * v ** (p - 2) * r)
        return J

    solver_cls = getattr(scipy.integrate, method)
    with np.errstate(all="ignore"):
        solver = solver_cls(rhs, 0.0, np.full(2 * N, alpha), t_end, jac=jac, rtol=rtol, atol=0)
        step_message = None
        while solver.status == "running" and counter[0] < max_nfev:
            step_message = solver.step()  # scipy's OdeSolver.step returns None or the failure's message
        u, v = solver.y[:N], solver.y[N:]
        x = u ** p - v ** p
    if solver.status != "finished":
        reason = step_message or f"stopped at {counter[0]} right-hand side evaluations (max_nfev {max_nfev})"
        msg = (f"{method} did not finish ({solver.status}: {reason}"
               + f", t = {solver.t:.3g} of {t_end:.3g})")
        return IntegratorLimit(x, False, msg, method, rtol, t_end, counter[0])
    resid = float(np.linalg.norm(A @ x - y))
    ok = bool(np.all(np.isfinite(x))) and resid < 1e-10
    return IntegratorLimit(x, ok, f"{method} finished; ||A x - y|| = {resid:.3g}", method, rtol, t_end, counter[0])
