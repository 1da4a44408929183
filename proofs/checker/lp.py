"""Exact checks in ``fractions``: linear algebra, LP optimality certificates, real-root isolation.

Standard library only. Every function either returns exact data or raises
:class:`~.interval.CheckFailure` naming the certificate field whose claim fails.

Basis pursuit ``min ||x||_1 s.t. A x = y`` (dln.md §3, Foucart & Rauhut Thm 4.30 [standard]):

* optimality of x*: A x* = y, ||A^T lam||_inf <= 1 and <y, lam> = ||x*||_1. For every feasible x,
  ||x||_1 >= <A^T lam, x> = <lam, y>, so zero gap proves x* is a minimizer (weak duality).
* uniqueness and rho: with S = supp x*, sigma = sgn x*_S, a vector lam with A_S^T lam = sigma and
  ||A_{S^c}^T lam||_inf = rho < 1, together with A_S injective, proves x* is the unique minimizer.
* rho is the LP value min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma }: a primal lam attains the value
  and a kernel vector v (A v = 0, ||v_{S^c}||_1 = 1) with |<sigma, v_S>| = rho proves no lam does
  better, since <sigma, v_S> = lam^T A_S v_S = -lam^T A_{S^c} v_{S^c} <= ||A_{S^c}^T lam||_inf.
"""
from __future__ import annotations

from fractions import Fraction

from .interval import CheckFailure

Matrix = list[list[Fraction]]


def matvec(A: Matrix, x: list[Fraction]) -> list[Fraction]:
    return [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]


def rmatvec(A: Matrix, lam: list[Fraction]) -> list[Fraction]:
    return [sum((A[i][j] * lam[i] for i in range(len(A))), Fraction(0)) for j in range(len(A[0]))]


def matmul(A: Matrix, B: Matrix) -> Matrix:
    Bt = list(zip(*B))
    return [[sum((a * b for a, b in zip(row, col)), Fraction(0)) for col in Bt] for row in A]


def transpose(A: Matrix) -> Matrix:
    return [list(c) for c in zip(*A)]


def rank(A: Matrix) -> int:
    """Rank by Gaussian elimination over the rationals."""
    M = [list(r) for r in A]
    r = 0
    cols = len(M[0]) if M else 0
    for c in range(cols):
        piv = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if piv is None:
            continue
        M[r], M[piv] = M[piv], M[r]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c] / M[r][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        r += 1
    return r


def solve_square(A: Matrix, b: list[Fraction]) -> list[Fraction]:
    """The solution of a nonsingular square system (Gauss-Jordan); ZeroDivisionError when singular."""
    n = len(A)
    M = [list(A[i]) + [b[i]] for i in range(n)]
    for c in range(n):
        piv = next((i for i in range(c, n) if M[i][c] != 0), None)
        if piv is None:
            raise ZeroDivisionError("singular matrix")
        M[c], M[piv] = M[piv], M[c]
        for i in range(n):
            if i != c and M[i][c] != 0:
                f = M[i][c] / M[c][c]
                M[i] = [a - f * bb for a, bb in zip(M[i], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def norm1(v) -> Fraction:
    return sum((abs(x) for x in v), Fraction(0))


def norm_inf(v) -> Fraction:
    return max((abs(x) for x in v), default=Fraction(0))


def sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def check_l1_optimal(A: Matrix, y, x, value, lam, field: str) -> list[str]:
    """Exact zero-gap certificate that x minimizes ||x||_1 subject to A x = y; returns what was verified."""
    if matvec(A, x) != list(y):
        raise CheckFailure(field + ".x_star", "A x* != y (x* is not feasible)")
    if norm1(x) != value:
        raise CheckFailure(field + ".value", f"||x*||_1 = {norm1(x)} but the certificate states {value}")
    if len(lam) != len(A):
        raise CheckFailure(field + ".lambda", f"expected {len(A)} entries")
    dual = rmatvec(A, lam)
    if norm_inf(dual) > 1:
        raise CheckFailure(field + ".lambda", f"||A^T lambda||_inf = {norm_inf(dual)} > 1 (not dual feasible)")
    gap = value - sum((a * b for a, b in zip(y, lam)), Fraction(0))
    if gap != 0:
        raise CheckFailure(field + ".lambda", f"duality gap ||x*||_1 - <y, lambda> = {gap} != 0")
    return [f"x* is feasible and l1-optimal: ||x*||_1 = <y, lambda> = {value}, ||A^T lambda||_inf <= 1 (exact)"]


def check_rho(A: Matrix, x, support, signs, rho, lam, v, field: str) -> list[str]:
    """Exact certificate that x is the unique l1 minimizer and that rho is the LP value (see module doc)."""
    N = len(A[0])
    true_support = [j for j in range(N) if x[j] != 0]
    if list(support) != true_support:
        raise CheckFailure(field + ".support", f"support of x* is {true_support}, stated {list(support)}")
    true_signs = [sign(x[j]) for j in true_support]
    if list(signs) != true_signs:
        raise CheckFailure(field + ".signs", f"signs of x* on S are {true_signs}, stated {list(signs)}")
    S = true_support
    Sc = [j for j in range(N) if j not in S]
    if rank([[row[j] for j in S] for row in A]) != len(S):
        raise CheckFailure(field + ".support", "A_S is not injective")
    if not 0 <= rho < 1:
        raise CheckFailure(field + ".value", f"rho = {rho} is not in [0, 1)")
    if len(lam) != len(A):
        raise CheckFailure(field + ".lambda", f"expected {len(A)} entries")
    dual = rmatvec(A, lam)
    if [dual[j] for j in S] != [Fraction(s) for s in signs]:
        raise CheckFailure(field + ".lambda", "A_S^T lambda != sigma")
    off = norm_inf([dual[j] for j in Sc])
    if off != rho:
        raise CheckFailure(field + ".lambda", f"||A_(S^c)^T lambda||_inf = {off}, not the stated rho = {rho}")
    if len(v) != N:
        raise CheckFailure(field + ".v", f"expected {N} entries")
    if any(c != 0 for c in matvec(A, v)):
        raise CheckFailure(field + ".v", "A v != 0 (v is not in ker A)")
    if Sc:
        if norm1([v[j] for j in Sc]) != 1:
            raise CheckFailure(field + ".v", "||v_(S^c)||_1 != 1")
        inner = abs(sum((Fraction(s) * v[j] for s, j in zip(signs, S)), Fraction(0)))
        if inner != rho:
            raise CheckFailure(field + ".v", f"|<sigma, v_S>| = {inner}, not rho = {rho} (rho not proved minimal)")
    elif rho != 0:
        raise CheckFailure(field + ".value", "S is everything, so rho must be 0")
    return [f"x* is the unique l1 minimizer (A_S injective, strict dual certificate) and rho = {rho} "
            "is the exact LP value (primal lambda and dual kernel vector v agree)"]


# --- real roots of rational polynomials (for tiny eigenvalue problems) ------------------------------

def charpoly(M: Matrix) -> list[Fraction]:
    """Coefficients (highest degree first) of det(t I - M), by the Faddeev-LeVerrier recursion."""
    n = len(M)
    coeffs = [Fraction(1)]
    Mk = [[Fraction(0)] * n for _ in range(n)]
    ident = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    c = Fraction(1)
    for k in range(1, n + 1):
        Mk = matmul(M, [[Mk[i][j] + c * ident[i][j] for j in range(n)] for i in range(n)])
        c = -sum((Mk[i][i] for i in range(n)), Fraction(0)) / k
        coeffs.append(c)
    return coeffs


def polyval(coeffs, t: Fraction) -> Fraction:
    acc = Fraction(0)
    for c in coeffs:
        acc = acc * t + c
    return acc


def _strip(p):
    while len(p) > 1 and p[0] == 0:
        p = p[1:]
    return p


def _polyrem(a, b):
    a = list(a)
    while len(a) >= len(b) and any(a):
        f = a[0] / b[0]
        for i in range(len(b)):
            a[i] -= f * b[i]
        a = a[1:]
    return _strip(a) if a else [Fraction(0)]


def _polyquo(a, b):
    a, q = list(a), []
    while len(a) >= len(b):
        f = a[0] / b[0]
        q.append(f)
        for i in range(len(b)):
            a[i] -= f * b[i]
        a = a[1:]
    return q or [Fraction(0)]


def squarefree(p):
    """p / gcd(p, p'): the same distinct real roots, all simple."""
    seq = _raw_sturm(p)
    g = seq[-1]
    return _strip(list(p)) if len(g) == 1 else _polyquo(_strip(list(p)), g)


def sturm_sequence(p):
    return _raw_sturm(squarefree(p))


def _raw_sturm(p):
    p = _strip(list(p))
    if len(p) == 1:
        return [p]
    n = len(p) - 1
    dp = [c * (n - i) for i, c in enumerate(p[:-1])]
    seq = [p, _strip(dp)]
    while len(seq[-1]) > 1 or seq[-1][0] != 0:
        r = _polyrem(seq[-2], seq[-1])
        if all(c == 0 for c in r):
            break
        seq.append([-c for c in r])
    return seq


def _sign_changes(seq, t: Fraction) -> int:
    vals = [polyval(q, t) for q in seq]
    vals = [v for v in vals if v != 0]
    return sum(1 for a, b in zip(vals, vals[1:]) if (a > 0) != (b > 0))


def count_roots_above(p, t: Fraction) -> int:
    """Number of distinct real roots of p in (t, +inf) (Sturm's theorem)."""
    seq = sturm_sequence(p)
    big = Fraction(1) + max(abs(c / seq[0][0]) for c in seq[0])  # Cauchy bound on all roots
    return _sign_changes(seq, t) - _sign_changes(seq, big)


def largest_root_interval(p, width: Fraction) -> tuple[Fraction, Fraction]:
    """An exact interval [a, b], b - a <= width, containing the largest real root of p (which must exist)."""
    seq = sturm_sequence(p)
    big = Fraction(1) + max(abs(c / seq[0][0]) for c in seq[0])
    lo, hi = -big, big
    if _sign_changes(seq, lo) - _sign_changes(seq, hi) == 0:
        raise ArithmeticError("no real root")
    # invariant: exactly >= 1 root in (lo, hi], none above hi
    while hi - lo > width:
        mid = (lo + hi) / 2
        if polyval(p, mid) == 0 and _sign_changes(seq, mid) - _sign_changes(seq, big) == 0:
            return mid, mid
        if _sign_changes(seq, mid) - _sign_changes(seq, big) > 0:
            lo = mid
        else:
            hi = mid
    return lo, hi
