"""Hypothesis strategies for the WAH tests: instances with a planted basis-pursuit face, depths, alphas.

``planted_face_instances(face_dim)`` builds A (m x N, small rationals) and y with a *known* X_BP:
a certificate lambda with (A^T lambda)_S = sigma and |(A^T lambda)_j| = tau_j in [1/10, 4/5] off S (so the
certificate is strict off S and rho = max tau_j when A_S has full row rank), and y = A_S x_S with sigma x_S > 0.
Then X_BP = { A x = y, sigma x >= 0 on S, x = 0 off S } has dimension |S| - m = ``face_dim``, and S is maximal
(x_S is a relative-interior point). The planted facts are returned with the instance, so tests can compare
them with what :func:`implicitreg.numerics.basis_pursuit.l1_minimizer` finds.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

from implicitreg.numerics.exact import columns, matvec, rank, rmatvec
from implicitreg.numerics.instance import Instance


@dataclass(frozen=True)
class PlantedFace:
    instance: Instance
    support: tuple
    signs: tuple
    certificate: tuple
    point: tuple          # a relative-interior point of X_BP
    face_dim: int
    rho: Fraction         # max tau off S (= rho since the certificate is unique)
    value: Fraction       # min(BP) = <y, lambda>


def small_rationals(lo=-3, hi=3, den=(1, 2, 4)):
    return st.builds(lambda n, d: Fraction(n, d), st.integers(lo * 4, hi * 4), st.sampled_from(den))


@st.composite
def planted_face_instances(draw, face_dim: int, m: int | None = None, max_off: int = 2, full_support=None):
    """An instance whose BP face has dimension ``face_dim`` (1 or 2), with the planted facts."""
    m = draw(st.integers(2, 3)) if m is None else m
    s = m + face_dim
    if full_support is True:
        n_off = 0
    elif full_support is False:
        n_off = draw(st.integers(1, max_off))
    else:
        n_off = draw(st.integers(0, max_off))
    N = s + n_off
    sigma = draw(st.lists(st.sampled_from((1, -1)), min_size=s, max_size=s))
    lam = [Fraction(draw(st.sampled_from((1, 2, -1, 3))), 2)] + \
        [draw(small_rationals(-1, 1, (2, 4))) for _ in range(m - 1)]
    rest = [[draw(small_rationals()) for _ in range(N)] for _ in range(m - 1)]
    taus = [Fraction(draw(st.integers(2, 16)), 20) * draw(st.sampled_from((1, -1))) for _ in range(n_off)]
    targets = list(sigma) + taus
    # first row fixes A^T lambda = targets: A[0][j] = (target_j - sum_{i>0} lam_i A[i][j]) / lam_0
    first = [(targets[j] - sum((lam[i + 1] * rest[i][j] for i in range(m - 1)), Fraction(0))) / lam[0]
             for j in range(N)]
    A = [first] + rest
    S = list(range(s))
    assume(rank(columns(A, S)) == m)
    mags = [Fraction(draw(st.integers(1, 8)), 4) for _ in range(s)]
    xS = [sg * mg for sg, mg in zip(sigma, mags)]
    x = xS + [Fraction(0)] * n_off
    y = matvec(A, x)
    assume(any(v != 0 for v in y))
    assert rmatvec(A, lam) == targets
    inst = Instance.from_lists(A, y, name=f"planted(m={m}, N={N}, face={face_dim})")
    value = sum((a * b for a, b in zip(y, lam)), Fraction(0))
    return PlantedFace(inst, tuple(S), tuple(sigma), tuple(lam), tuple(x), face_dim,
                       max((abs(t) for t in taus), default=Fraction(0)), value)


def depths(lo=Fraction(2), hi=Fraction(6)):
    """Real depths as exact Fractions in [lo, hi] (multiples of 1/20), with 2 drawn often."""
    grid = st.integers(int(lo * 20), int(hi * 20)).map(lambda n: Fraction(n, 20))
    return st.one_of(st.just(Fraction(2)), grid)


def alphas_factor(lo_exp=-6, hi_exp=1):
    """Per-factor alpha = mantissa * 10^e as an exact Fraction."""
    return st.builds(lambda m, e: Fraction(m, 10) * Fraction(10) ** e, st.integers(1, 99), st.integers(lo_exp, hi_exp))
