"""Sharpness S(W) = lambda_max of the Hessian of R [paper]: exactly (:func:`sharpness_exact`), by Lanczos or power
iteration on Hessian-vector products, in closed form at minimizers (H = J^T (2 Sigma) J [derived]); and the minimum
and balanced sharpness over all minimizers, S_min and S_bal [derived, ``proofs/derivations/sharpness.py``].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics.potentials import layers_value
from implicitreg.numerics.deep_linear._arrays import (_as, _is_mp, _norm, largest_eigenvalue_qr,
                                                      symmetric_eigenvalues, symmetric_eigh, symmetric_sqrt, to_mp)
from implicitreg.numerics.deep_linear.data import RegressionData
from implicitreg.numerics.deep_linear.model import DeepLinearNetwork, end_to_end_metric, hessian, hessian_vector_product
from implicitreg.numerics.golden_section import brent_minimum


@dataclass(frozen=True, kw_only=True)
class SharpnessResult:
    """A sharpness value with how it was obtained: ``method``, ``iterations`` (0 for direct methods) and
    ``error_bound`` (for iterative methods: the residual ||H v - S v|| of the returned Ritz pair, which bounds
    the distance from S to an eigenvalue of H; None for direct methods)."""

    value: Any
    method: str
    iterations: int = 0
    error_bound: Any = None


def sharpness_exact(net: DeepLinearNetwork, data: RegressionData, dps: int | None = None) -> SharpnessResult:
    """lambda_max of the full Hessian (:func:`hessian`). For mpf networks at ``dps`` digits (default: the working
    precision): python-flint's QR algorithm with a residual check (:func:`largest_eigenvalue_qr`, method
    ``"flint-qr"``), or mpmath ``eigsy`` where that check refuses (method ``"eigsy"``); numpy ``eigvalsh`` for float
    networks."""
    if not _is_mp(net.weights[0]):
        return SharpnessResult(value=float(np.linalg.eigvalsh(hessian(net, data))[-1]), method="eigvalsh")
    with mpmath.workdps(dps or mpmath.mp.dps):
        H = hessian(net, data)
        value = largest_eigenvalue_qr(H)
        if value is not None:
            return SharpnessResult(value=value, method="flint-qr")
        return SharpnessResult(value=symmetric_eigenvalues(H)[-1], method="eigsy")


def sharpness_closed_form(net: DeepLinearNetwork, data: RegressionData) -> SharpnessResult:
    """2 lambda_max(Sigma^(1/2) M(W) Sigma^(1/2)) [derived: equals S(W) at global minimizers only]."""
    kind = "mp" if _is_mp(net.weights[0]) else "float"
    root = symmetric_sqrt(data.sigma(kind))
    A = root @ end_to_end_metric(net) @ root
    return SharpnessResult(value=2 * symmetric_eigenvalues((A + A.T) / 2)[-1], method="closed_form")


def _random_start(N: int, like, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(N)
    return to_mp(v) if _is_mp(like) else v


def sharpness_power(net: DeepLinearNetwork, data: RegressionData, tol=1e-12, max_iter: int = 100000,
                    seed: int = 0) -> SharpnessResult:
    """Power iteration on Hessian-vector products: v <- H v / ||H v||, S ~ v^T H v.

    Stops when the residual ||H v - S v|| <= tol * |S|. Power iteration finds the eigenvalue of largest
    modulus: it is the sharpness when H is PSD (at minimizers), not in general.
    """
    theta_like = net.weights[0]
    v = _random_start(net.num_parameters, theta_like, seed)
    v = v / _norm(v)
    Hv = hessian_vector_product(net, data, v)
    for it in range(1, max_iter + 1):
        lam = np.sum(v * Hv)
        res = _norm(Hv - lam * v)
        if res <= tol * abs(lam):
            return SharpnessResult(value=lam, method="power", iterations=it, error_bound=res)
        v = Hv / _norm(Hv)
        Hv = hessian_vector_product(net, data, v)
    raise ConvergenceError(f"power iteration: residual {float(res):.3g} after {max_iter} iterations")


def sharpness_lanczos(net: DeepLinearNetwork, data: RegressionData, tol=None, max_iter: int | None = None,
                      seed: int = 0) -> SharpnessResult:
    """Lanczos with full reorthogonalization on Hessian-vector products; the largest Ritz value.

    The residual of the top Ritz pair is |beta_k e_k^T s| (exact arithmetic), used as stopping criterion
    (default tol: 10^(-dps+5) relative for mpf, 1e-12 for float). At a minimizer H has rank <= d, so
    the Krylov space is exhausted after at most d + 1 steps.
    """
    mp = _is_mp(net.weights[0])
    if tol is None:
        tol = mpmath.mpf(10) ** (-mpmath.mp.dps + 5) if mp else 1e-12
    N = net.num_parameters
    max_iter = max_iter or N
    q = _random_start(N, net.weights[0], seed)
    q = q / _norm(q)
    Q = [q]
    alphas, betas = [], []
    top, res = None, None
    for k in range(max_iter):
        z = hessian_vector_product(net, data, Q[-1])
        alpha = np.sum(Q[-1] * z)
        alphas.append(alpha)
        for qi in Q:  # full reorthogonalization (twice is enough)
            z = z - np.sum(qi * z) * qi
        for qi in Q:
            z = z - np.sum(qi * z) * qi
        beta = _norm(z)
        T = _tridiagonal(alphas, betas, mp)
        vals, vecs = symmetric_eigh(T)
        top = vals[-1]
        res = abs(beta * vecs[-1, -1])
        if res <= tol * max(abs(top), 1) or k + 1 == N:
            return SharpnessResult(value=top, method="lanczos", iterations=k + 1, error_bound=res)
        betas.append(beta)
        Q.append(z / beta)
    raise ConvergenceError(f"Lanczos: residual {float(res):.3g} after {max_iter} steps")


def _tridiagonal(alphas, betas, mp: bool) -> np.ndarray:
    k = len(alphas)
    T = to_mp(np.zeros((k, k), dtype=int)) if mp else np.zeros((k, k))
    for i in range(k):
        T[i, i] = alphas[i]
        if i + 1 < k:
            T[i, i + 1] = T[i + 1, i] = betas[i]
    return T


@dataclass(frozen=True, kw_only=True)
class MinSharpness:
    """S_min = min_{t>0} 2 lambda_max(t Sigma + (L-1) t^(-1/(L-1)) z z^T), z = Sigma^(1/2) w*, with the
    minimizing t (``t``), the bracket width in log t at the end (``log_t_width``) and the search's evaluations."""

    value: Any
    t: Any
    log_t_width: Any
    iterations: int


def min_sharpness_objective(Sigma: np.ndarray, w_star: np.ndarray, depth: int, t) -> Any:
    """2 lambda_max(t Sigma + (L-1) t^(-1/(L-1)) z z^T) with z = Sigma^(1/2) w* [derived]: the sharpness of
    :func:`aligned_minimizer` at t."""
    kind = "mp" if _is_mp(Sigma) else "float"
    z = symmetric_sqrt(Sigma) @ w_star
    c = (depth - 1) * t ** (-1 / _as(kind, depth - 1))
    return 2 * symmetric_eigenvalues(t * Sigma + c * np.multiply.outer(z, z))[-1]


def _covariance_and_target(data: RegressionData, why: str):
    """(Sigma, w*, ||w*||) in mpf at the working precision; w* = 0 is refused with the reason ``why``."""
    Sigma, w = data.sigma("mp"), data.w_star("mp")
    wn = _norm(w)
    if wn == 0:
        raise InvalidParameterError(f"w* = 0: {why}")
    return Sigma, w, wn


def _top_eigenvalue_diagonal_plus_rank_one(d, v, c):
    """lambda_max(diag(d) + c v v^T) for c >= 0, in mpf: the largest root of the secular equation
    1 = sum_i c v_i^2 / (lambda - d_i) over v_i != 0 (Golub 1973), or the largest d_i with v_i = 0 if that is larger
    (a term with c v_i^2 below the resolution of d_i counts as v_i = 0).

    The secular function phi(lambda) = 1 - sum_i c v_i^2 / (lambda - d_i) is increasing and concave right of its last
    pole, and phi <= 0 at lambda_0 = max_i (d_i + c v_i^2) (the maximizing term equals 1, the others are positive), so
    Newton's method from lambda_0 increases monotonically to the root; it stops when a step no longer increases
    lambda.
    """
    weights, rest = [], None
    for di, vi in zip(d, v):
        wi = c * vi * vi
        if di + wi > di:
            weights.append((di, wi))
        else:  # v_i = 0, or c v_i^2 below the resolution of d_i: an eigenvalue d_i to working precision
            rest = di if rest is None else max(rest, di)
    if not weights:
        return rest
    lam = max(di + wi for di, wi in weights)
    for _ in range(4 * mpmath.mp.prec):
        phi = 1 - mpmath.fsum(wi / (lam - di) for di, wi in weights)
        if phi >= 0:
            break
        step = phi / mpmath.fsum(wi / (lam - di) ** 2 for di, wi in weights)
        if lam - step <= lam:
            break
        lam -= step
    else:
        raise ConvergenceError("secular equation: Newton did not settle")
    return lam if rest is None else max(lam, rest)


def min_sharpness(data: RegressionData, depth: int, dps: int = 30) -> MinSharpness:
    """S_min over all global minimizers [derived] by Brent's minimization in log t (the objective is convex in log t;
    smooth, or with a kink where two eigenvalues cross), to a bracket of width ~10^(-dps) in log t, returned at dps
    digits.

    The search runs at 2 dps + 20 digits: near a smooth minimum the objective changes only by ~(log t - log t*)^2,
    so comparisons at dps + 10 digits would stop resolving the minimizer t after about dps/2 digits (the value would
    still be right, t and the bracket would not)."""
    depth = layers_value(depth)
    with mpmath.workdps(2 * dps + 20):
        Sigma, w, wn = _covariance_and_target(data, "S_min is 0 and the bounds need ||w*|| > 0")
        vals, Q = symmetric_eigh(Sigma)
        sig = [v if v > 0 else mpmath.mpf(0) for v in vals]
        zq = list(Q.T @ (symmetric_sqrt(Sigma) @ w))  # z in the eigenbasis of Sigma

        def f(logt):  # 2 lambda_max(t diag(sig) + c zq zq^T)
            t = mpmath.exp(logt)
            c = (depth - 1) * mpmath.exp(-logt / (depth - 1))
            return 2 * _top_eigenvalue_diagonal_plus_rank_one([t * s for s in sig], zq, c)

        mid = (2 - mpmath.mpf(2) / depth) * mpmath.log(wn)
        step = mpmath.mpf(1)
        lo, hi = mid - step, mid + step
        while f(lo) <= f(mid) and step < 1e4:
            step *= 2
            lo = mid - step
        step = mpmath.mpf(1)
        while f(hi) <= f(mid) and step < 1e4:
            step *= 2
            hi = mid + step
        g = brent_minimum(f, lo, hi, mpmath.mpf(10) ** (-dps - 2))
    with mpmath.workdps(dps):
        return MinSharpness(value=+g.fx, t=+mpmath.exp(g.x), log_t_width=+(g.hi - g.lo), iterations=g.iterations)


def balanced_sharpness(data: RegressionData, depth: int, dps: int = 30) -> Any:
    """S_bal = 2 ||w*||^(2-2/L) lambda_max(Sigma + (L-1) z z^T / ||w*||^2) [derived]: the sharpness of the
    balanced rank-one minimizer."""
    depth = layers_value(depth)
    with mpmath.workdps(dps + 10):
        Sigma, w, wn = _covariance_and_target(data, "S_bal needs ||w*|| > 0")
        z = symmetric_sqrt(Sigma) @ w
        A = Sigma + (depth - 1) * np.multiply.outer(z, z) / (wn * wn)
        val = 2 * wn ** (2 - mpmath.mpf(2) / depth) * symmetric_eigenvalues(A)[-1]
    with mpmath.workdps(dps):
        return +val
