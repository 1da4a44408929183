"""Interval Newton (Krawczyk) test for the dual equations of a diagonal network.

The gradient-flow limit of a depth-D diagonal network is x_inf = alpha_prod * phi_D(A^T nu) where nu
solves (dln.md §2 [standard; derived for this convention])

    F(nu) = alpha_prod * A phi_D(A^T nu) - y = 0,
    phi_2(z) = 2 sinh z,    phi_D(z) = (1 - z)^(-D/(D-2)) - (1 + z)^(-D/(D-2))  (|z| < 1, D > 2).

Its Jacobian is J(nu) = alpha_prod * A diag(phi_D'(A^T nu)) A^T. For a box X with centre c and any
real matrix Y, the Krawczyk operator

    K(X) = c - Y F(c) + (I - Y J(X)) (X - c)

satisfies: if K(X) lies in the interior of X then F has exactly one zero in X (Krawczyk 1969;
Moore, Kearfott & Cloud, *Introduction to Interval Analysis*, Thm 8.2 [standard]). The test below
evaluates K(X) in ``mpmath.iv``; Y is an approximate inverse of J(c) (its accuracy affects only
whether the test succeeds, never its rigour).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
from mpmath import iv

from .interval import CheckFailure, hi, iv_exp, iv_log, lo, point


def link(depth: Fraction):
    """phi_D as an interval function (D = 2: 2 sinh; D > 2: the h_D of dln.md §2)."""
    if depth == 2:
        return lambda z: iv_exp(z) - iv_exp(-z)
    e = point(depth / (depth - 2))

    def phi(z):
        if not (lo(z) > -1 and hi(z) < 1):
            raise ArithmeticError("A^T nu leaves the domain |z| < 1 of phi_D")
        return iv_exp(-e * iv_log(1 - z)) - iv_exp(-e * iv_log(1 + z))

    return phi


def link_derivative(depth: Fraction):
    """phi_D' as an interval function: 2 cosh z, or (D/(D-2)) [(1-z)^(-D/(D-2)-1) + (1+z)^(-D/(D-2)-1)]."""
    if depth == 2:
        return lambda z: iv_exp(z) + iv_exp(-z)
    e = point(depth / (depth - 2))

    def dphi(z):
        if not (lo(z) > -1 and hi(z) < 1):
            raise ArithmeticError("A^T nu leaves the domain |z| < 1 of phi_D")
        return e * (iv_exp(-(e + 1) * iv_log(1 - z)) + iv_exp(-(e + 1) * iv_log(1 + z)))

    return dphi


def dual_potential(depth: Fraction):
    """H_D as an interval function on [0, 1): ((D-2)/2) [(1-z)^(-2/(D-2)) + (1+z)^(-2/(D-2)) - 2] (H_D' = h_D)."""
    if depth == 2:
        return _monotone_on_nonnegatives(lambda z: iv_exp(z) + iv_exp(-z) - 2)
    e = point(2 / (depth - 2))
    c = point((depth - 2) / 2)

    def H_naive(z):
        if not (lo(z) > -1 and hi(z) < 1):
            raise ArithmeticError("argument outside (-1, 1)")
        return c * (iv_exp(-e * iv_log(1 - z)) + iv_exp(-e * iv_log(1 + z)) - 2)

    return _monotone_on_nonnegatives(H_naive)


def _monotone_on_nonnegatives(H_naive):
    """H_D is even, >= 0 and increasing on [0, 1): on a box z >= 0 the enclosure is [H(lo z), H(hi z)] evaluated
    at the two end points (the naive evaluation of the sum of the two powers loses their correlation and can dip
    below 0 near z = 0, which H^{-1} would then refuse); every enclosure is intersected with [0, oo)."""
    def H(z):
        z = z if isinstance(z, iv.mpf) else iv.mpf(z)
        if lo(z) >= 0:
            v = iv.mpf([lo(H_naive(iv.mpf(lo(z)))), hi(H_naive(iv.mpf(hi(z))))])
        else:
            v = H_naive(z)
        return iv.mpf([max(lo(v), 0), max(hi(v), 0)])

    return H


def dual_potential_inverse(depth: Fraction, target, steps: int = 200):
    """An interval containing H_D^{-1}(t) in [0, 1) for every t in ``target`` (H_D increases from 0 to oo on
    [0, 1) for D > 2): two bisections, one keeping H_D(m) certainly <= min target, one certainly >= max target,
    each searched from a plain-mpmath approximation of its end (:func:`_bisection`: a few interval evaluations of
    H_D instead of ``steps``; the ends returned are checked in interval arithmetic whatever the approximation)."""
    H = dual_potential(depth)
    if lo(target) < 0:
        raise ArithmeticError("H_D^{-1} of a possibly negative value")
    one = mpmath.mpf(1)
    top = one - mpmath.mpf(2) ** -8
    while not lo(H(iv.mpf(top))) >= hi(target):
        top = (one + top) / 2
        if one - top < mpmath.mpf(2) ** (-iv.prec + 4):
            raise ArithmeticError("H_D^{-1}: target too large for the working precision")

    def below(m):
        return hi(H(iv.mpf(m))) <= lo(target)

    def above(m):
        return lo(H(iv.mpf(m))) >= hi(target)

    # below(a) (or a = 0), not below(b)
    m_lo, _ = _bisection(below, top, steps, _inverse_guess(depth, lo(target)))
    if above(mpmath.mpf(0)):
        return iv.mpf([m_lo, 0])
    # not above(a), above(b) (or b = top, checked above)
    _, m_hi = _bisection(lambda m: not above(m), top, steps, _inverse_guess(depth, hi(target)))
    return iv.mpf([m_lo, m_hi])


def _bisection(ok, top, steps: int, guess):
    """The bracket (a, b) that ``steps`` bisections of [0, top] end on, keeping ok(a) (or a = 0) and not ok(b)
    (or b = top): a cell (j h, (j + 1) h) of the grid h = top / 2^steps.

    With ``guess`` (an approximation of where ``ok`` turns false) the cell is searched outwards from the guess
    (a doubling search for a bracket of grid points, then bisection of the grid indices): a few evaluations of
    ``ok`` instead of ``steps``. For a monotone ``ok`` this is the cell the bisection from [0, top] ends on; in any
    case the returned ends are the ones checked, so an enclosure built from them does not depend on the guess.
    Without a guess, or when the grid points are not exact at the working precision, the plain bisection runs."""
    found = _grid_cell(ok, top, steps, guess) if guess is not None else None
    if found is not None:
        return found
    a, b = mpmath.mpf(0), top
    for _ in range(steps):
        mid = (a + b) / 2
        if mid == a or mid == b:
            break  # a and b are neighbours at the working precision: every further step would give them again
        a, b = (mid, b) if ok(mid) else (a, mid)
    return a, b


def _grid_cell(ok, top, steps: int, guess):
    """(j h, (j + 1) h), h = top / 2^steps, with ok at the left end (or it is 0) and not ok at the right end (or it
    is top), found from j ~ guess / h; None when a grid point is not exact at the working precision."""
    n = 2 ** steps
    h = mpmath.ldexp(top, -steps)  # exact
    hq = _as_fraction(h)
    points = {}

    def at(j):
        if j not in points:
            v = j * h
            points[j] = v if _as_fraction(v) == j * hq else None
        return points[j]

    def holds(j):  # ok at grid point j (0 and n by the invariants, not evaluated)
        if j <= 0 or j >= n:
            return j <= 0
        if at(j) is None:
            raise _Inexact
        return ok(at(j))

    try:
        j = min(max(int(mpmath.floor(guess / h)), 0), n)
        step = 1
        if holds(j):  # the cell is at or right of j: double the step until ok fails
            a, b = j, min(j + step, n)
            while holds(b):
                a, step = b, 2 * step
                b = min(a + step, n)
        else:
            a, b = max(j - step, 0), j
            while not holds(a):
                b, step = a, 2 * step
                a = max(b - step, 0)
        while b - a > 1:  # holds(a), not holds(b)
            mid = (a + b) // 2
            a, b = (mid, b) if holds(mid) else (a, mid)
    except _Inexact:
        return None
    return (mpmath.mpf(0) if a == 0 else at(a)), (top if b == n else at(b))


class _Inexact(Exception):
    """A grid point of :func:`_grid_cell` is not representable at the working precision."""


def _as_fraction(v) -> Fraction:
    man, exp = mpmath.mpf(v).man_exp
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def _inverse_guess(depth: Fraction, t):
    """H_D^{-1}(t) approximately (plain mpmath at twice the working precision: only where the bisection starts,
    never part of the enclosure); None for a non-finite or negative t or when Newton does not settle."""
    if not mpmath.isfinite(t) or t < 0:
        return None
    with mpmath.workprec(2 * mpmath.mp.prec + 32):
        t = mpmath.mpf(t)
        if t == 0:
            return mpmath.mpf(0)
        if depth == 2:  # H_2(z) = 2 cosh z - 2
            return +mpmath.acosh(1 + t / 2)
        r = Fraction(depth) - 2
        e = mpmath.mpf(2 * r.denominator) / r.numerator  # 2 / (D - 2), rounded: this is only a guess
        c = 1 / e

        def H(z):
            return c * ((1 - z) ** -e + (1 + z) ** -e - 2)

        def dH(z):  # H_D' = h_D (c e = 1)
            return (1 - z) ** (-e - 1) - (1 + z) ** (-e - 1)

        # H is convex and increasing on [0, 1): Newton from a point right of the root decreases monotonically to it;
        # z0 = 1 - (t/c + 2)^(-1/e) has c (1 - z0)^-e = t + 2c, so H(z0) >= t
        z = 1 - (t / c + 2) ** (-1 / e)
        tol = mpmath.mpf(2) ** (-mpmath.mp.prec // 2 - 8)
        for _ in range(400):
            if not 0 <= z < 1:
                return None
            step = (H(z) - t) / dH(z)
            z -= step
            if abs(step) <= tol * max(z, tol):
                return z
    return None


def _At(A, nu):
    return [sum((point(A[i][j]) * nu[i] for i in range(len(A))), iv.mpf(0)) for j in range(len(A[0]))]


def residual(A, y, alpha_prod, depth, nu):
    """F(nu) over intervals."""
    phi = link(depth)
    x = [alpha_prod * phi(z) for z in _At(A, nu)]
    return [sum((point(A[i][j]) * x[j] for j in range(len(x))), iv.mpf(0)) - point(y[i]) for i in range(len(A))]


def jacobian(A, alpha_prod, depth, nu):
    dphi = link_derivative(depth)
    d = [dphi(z) for z in _At(A, nu)]
    m, N = len(A), len(A[0])
    return [[alpha_prod * sum((point(A[i][j] * A[k][j]) * d[j] for j in range(N)), iv.mpf(0))
             for k in range(m)] for i in range(m)]


def krawczyk(A, y, alpha_prod, depth, centre: list[Fraction], radius: list[Fraction], field: str) -> list:
    """Prove that the box centre +- radius holds exactly one zero of F; return K(X) (inside the box).

    Raises :class:`CheckFailure` on ``field`` when the test fails or the box leaves the domain.
    """
    m = len(A)
    X = [iv.mpf([lo(point(c - r)), hi(point(c + r))]) for c, r in zip(centre, radius)]
    c = [point(q) for q in centre]
    try:
        Fc = residual(A, y, alpha_prod, depth, c)
        JX = jacobian(A, alpha_prod, depth, X)
        Jc = jacobian(A, alpha_prod, depth, c)
    except ArithmeticError as exc:
        raise CheckFailure(field, f"cannot evaluate the dual equations on the box: {exc}") from None
    Jmid = mpmath.matrix([[mpmath.mpf(Jc[i][k].mid) for k in range(m)] for i in range(m)])
    try:
        Yf = mpmath.inverse(Jmid)
    except ZeroDivisionError:
        raise CheckFailure(field, "the Jacobian at the box centre is singular") from None
    Y = [[iv.mpf(Yf[i, k]) for k in range(m)] for i in range(m)]
    K = []
    for i in range(m):
        acc = c[i] - sum((Y[i][k] * Fc[k] for k in range(m)), iv.mpf(0))
        for k in range(m):
            coeff = (1 if i == k else 0) - sum((Y[i][l] * JX[l][k] for l in range(m)), iv.mpf(0))
            acc = acc + coeff * (X[k] - c[k])
        K.append(acc)
    for i in range(m):
        if not (lo(K[i]) > lo(X[i]) and hi(K[i]) < hi(X[i])):
            raise CheckFailure(f"{field}[{i}]", "Krawczyk test failed: K(X) is not inside the box, so the box is "
                                                "not proved to contain a (unique) solution of the dual equations")
    return K
