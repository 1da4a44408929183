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

