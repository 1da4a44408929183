"""Deep linear networks, exact form: X, y and an explicit exact minimizer W_1 .. W_L; its sharpness
S = 2 lambda_max(M Sigma) by exact Sturm root isolation, the bound S_LB in intervals, the ratio and the verdict.
Ordinary data (irrational factors) is checked in the enclosure form of :mod:`.balanced`.
"""
from __future__ import annotations

from fractions import Fraction

from mpmath import iv

from . import lp, theorems
from .balanced import _check_deep_balanced
from .interval import GUARD_DIGITS, CheckFailure, exact_matrix, exact_vector, hi, iv_sqrt, lo, point, precision
from .verdicts import _check_equality, _dps, _evaluate, _inside, _ratio, _verdict

def _check_deep_linear(cert: dict, out: list[str]) -> None:
    inst = cert["instance"]
    X = exact_matrix(inst["X"], "instance.X")
    y = exact_vector(inst["y"], "instance.y", len(X))
    n, d = len(X), len(X[0])
    L = cert["L"]
    Sigma = [[v / n for v in row] for row in lp.matmul(lp.transpose(X), X)]
    if lp.rank(Sigma) != d:
        raise CheckFailure("instance.X", "Sigma = X^T X / n is singular; this checker needs a unique w*")
    w = exact_vector(cert["w_star"], "w_star", d)
    if lp.matvec(Sigma, w) != [v / n for v in lp.rmatvec(X, y)]:
        raise CheckFailure("w_star", "w* does not solve the normal equations X^T X w = X^T y")
    if not any(w):
        raise CheckFailure("w_star", "w* = 0: the bound is about nonzero minimizers")
    out.append(f"instance: X is {n} x {d}, exact; w* solves the normal equations and is unique (Sigma invertible)")
    if "balanced_minimizer" in cert:  # ordinary data, irrational factors: the enclosure form (schema chose it)
        _check_deep_balanced(cert, out, Sigma, w, n, d, L)
        return

    Ws = cert["minimizer"]
    if len(Ws) != L:
        raise CheckFailure("minimizer", f"expected L = {L} matrices W_1 .. W_L")
    W = [exact_matrix(Wk, f"minimizer[{k}]") for k, Wk in enumerate(Ws)]
    if len(W[0][0]) != d or len(W[-1]) != 1:
        raise CheckFailure("minimizer", "W_1 must have d columns and W_L one row")
    for k in range(1, L):
        if len(W[k][0]) != len(W[k - 1]):
            raise CheckFailure(f"minimizer[{k}]", "shapes do not chain")
    # V_k = W_k ... W_1 (V_0 = I) and u_k^T = W_L ... W_{k+1} (u_L = 1): prefix and suffix products, O(L) products.
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    V = [ident]
    for k in range(L):
        V.append(lp.matmul(W[k], V[-1]))
    prod = V[L]  # W_L ... W_1, one row
    if len(prod) != 1 or prod[0] != w:
        raise CheckFailure("minimizer", "W_L ... W_1 != w*^T: not a global minimizer")
    out.append(f"minimizer: W_L ... W_1 = w*^T exactly, so R(W) = R_min (a global minimizer)")
    U = [None] * L  # U[k] = u_{k+1}^T = W_L ... W_{k+2} as a 1-row matrix (layer k+1 in 1-based terms)
    acc = [[Fraction(1)]]
    for k in range(L - 1, -1, -1):
        U[k] = acc
        acc = lp.matmul(acc, W[k])
    factors = [(U[k], V[k]) for k in range(L)]  # (u_k^T, V_{k-1}) for k = 1..L
    # M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1} (deep_linear.md §1).
    M = [[Fraction(0)] * d for _ in range(d)]
    for u, Vk in factors:
        un = sum((c * c for c in u[0]), Fraction(0))
        VtV = lp.matmul(lp.transpose(Vk), Vk)
        M = [[M[i][j] + un * VtV[i][j] for j in range(d)] for i in range(d)]
    # The Hessian at a minimizer: R = (1/n)||y - X w||^2 has dR/dw = -(2/n) X^T (y - X w) = 0 at w = w* (normal
    # equations, checked above), so the chain rule leaves H = J^T (2 Sigma) J with J = dw/dtheta. Its nonzero
    # spectrum is that of 2 Sigma^(1/2) J J^T Sigma^(1/2); J J^T = M is checked exactly here (J from its definition:
    # d w / d W_k[a, b] = u_k[a] V_{k-1}[b, :]^T).
    JJt = [[Fraction(0)] * d for _ in range(d)]
    for k, (u, Vk) in enumerate(factors):
        for a in range(len(W[k])):
            for b in range(len(W[k][0])):
                col = [u[0][a] * Vk[b][i] for i in range(d)]
                for i in range(d):
                    for j in range(d):
                        JJt[i][j] += col[i] * col[j]
    if JJt != M:
        raise CheckFailure("minimizer", "internal: J J^T != M")  # pragma: no cover - an identity
    out.append("Hessian at the minimizer: the gradient term vanishes (normal equations) and J J^T = M exactly, "
               "so the nonzero spectrum of H is that of 2 Sigma^(1/2) M Sigma^(1/2)")
    # S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) = 2 lambda_max(M Sigma) (same nonzero spectrum).
    poly = lp.charpoly(lp.matmul(M, Sigma))
    top = max(abs(c) for c in poly)
    a_, b_ = lp.largest_root_interval(poly, top * Fraction(1, 10 ** 40))
    bound = cert["bound"]
    tree = theorems.bind(bound["name"], bound["side"], None, bound["expr"], {theorems.MC_LB[0]: (
        theorems.MC_LB[1], None, theorems.MC_LB[2])}, "bound")
    with precision(_dps(cert) + GUARD_DIGITS):
        S = iv.mpf([lo(point(2 * a_)), hi(point(2 * b_))])
        _inside(S, cert["sharpness"], "sharpness", "S = 2 lambda_max(M Sigma)")
        out.append("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) enclosed by exact Sturm root isolation")
        wn2 = sum((c * c for c in w), Fraction(0))
        a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": iv_sqrt(point(wn2)), "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB = _evaluate(tree, env, None, "bound.expr")
        _inside(SLB, bound["value"], "bound.value", "S_LB")
        clo, chi = _ratio(S / SLB, cert["ratio"], "ratio", "S/S_LB")
        equality = False
        if "equality" in cert:
            _check_equality(cert["equality"], L, Sigma, w, wn2, a_ray, poly, SLB, out)
            if not clo <= 1 <= chi:
                raise CheckFailure("equality", "the ratio enclosure excludes 1 although S = S_LB is claimed")
            equality = True
        verdict = _verdict(bound["side"], bound["name"], clo, chi, "ratio", equality)
    out.append(f"ratio: S / S_LB in [{cert['ratio']['lo']}, {cert['ratio']['hi']}]{verdict}")
