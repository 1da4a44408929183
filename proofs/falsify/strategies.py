"""Hypothesis strategies of exact instances (diagonal networks), regression data (deep linear networks) and
alpha."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath

from implicitreg.errors import ImplicitRegError, InvalidParameterError


def _gauss_entry(k: int) -> Fraction:
    """The standard-normal quantile at 1/2 + k/1000, rounded to two decimals (k = 0 gives 0)."""
    if k == 0:
        return Fraction(0)
    with mpmath.workdps(20):
        v = mpmath.sqrt(2) * mpmath.erfinv(mpmath.mpf(2 * k) / 1000)
    return Fraction(int(mpmath.nint(v * 100)), 100)


def _entries(st, family):
    if family == "integer":
        return st.integers(-4, 4).map(Fraction)
    if family == "rational":
        return st.builds(Fraction, st.integers(-6, 6), st.integers(1, 4))
    if family == "gaussian":
        return st.integers(-499, 499).map(_gauss_entry)
    raise InvalidParameterError(family)


def instance_strategy(family: str, m_range, N_range):
    """Hypothesis strategy of exact (A, y) with a planted sparse x (y = A x)."""
    from hypothesis import strategies as st

    from implicitreg.numerics.instance import Instance

    @st.composite
    def build(draw, fam):
        # N > m, within both ranges (falsify refuses ranges with no such pair)
        m = draw(st.integers(m_range[0], min(m_range[1], N_range[1] - 1)))
        N = draw(st.integers(max(N_range[0], m + 1), N_range[1]))
        base = "integer" if fam == "near-nonunique" else fam
        A = [[draw(_entries(st, base)) for _ in range(N)] for _ in range(m)]
        k = draw(st.integers(1, m))
        support = sorted(draw(st.lists(st.integers(0, N - 1), min_size=k, max_size=k, unique=True)))
        x = [Fraction(0)] * N
        for j in support:
            x[j] = Fraction(draw(st.sampled_from([1, -1, 2, -2, 3, Fraction(1, 2)])))
        if fam == "near-nonunique":
            # a column off the support nearly parallel to a support column: rho close to 1
            j_on = draw(st.sampled_from(support))
            off = [j for j in range(N) if j not in support]
            if off:
                j_off = draw(st.sampled_from(off))
                t = Fraction(draw(st.integers(2, 50)) - 1, draw(st.integers(2, 50)))
                t = min(t, Fraction(49, 50))
                for i in range(m):
                    A[i][j_off] = A[i][j_on] * t * draw(st.sampled_from([1, -1]))
        y = [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]
        try:
            return Instance.from_lists(A, y, name="candidate")
        except ImplicitRegError:
            return None

    if family == "mixed":
        return st.one_of([build(f) for f in ("integer", "rational", "gaussian", "near-nonunique")])
    return build(family)


def data_strategy(family: str, n_range, d_range):
    """Hypothesis strategy of exact regression data (X, y) for deep linear networks (y = X w + small integers)."""
    from hypothesis import strategies as st

    from implicitreg.numerics.deep_linear import RegressionData

    base = "integer" if family in ("near-nonunique", "mixed") else family

    @st.composite
    def build(draw):
        d = draw(st.integers(*d_range))
        n = draw(st.integers(*n_range))
        X = [[draw(_entries(st, base)) for _ in range(d)] for _ in range(n)]
        w = [Fraction(draw(st.integers(-3, 3))) for _ in range(d)]
        y = [sum((a * b for a, b in zip(row, w)), Fraction(0)) + draw(st.integers(-1, 1)) for row in X]
        try:
            return RegressionData.from_lists(X, y, name="candidate")
        except ImplicitRegError:
            return None

    return build()


def alpha_strategy(lo: Fraction, hi: Fraction):
    """alpha = c * 10^e (c in 1..9) inside [lo, hi], exact."""
    from hypothesis import strategies as st

    e_lo = math.floor(math.log10(lo)) if lo > 0 else -30
    e_hi = math.floor(math.log10(hi))

    def clip(pair):
        c, e = pair
        a = Fraction(c) * Fraction(10) ** e
        return min(max(a, lo), hi)

    return st.tuples(st.integers(1, 9), st.integers(e_lo, e_hi)).map(clip)
