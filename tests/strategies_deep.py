"""Hypothesis strategies for deep linear networks: exact regression data, equality-family data, minimizers."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from implicitreg.numerics import deep_linear as dl

small_rationals = st.builds(lambda p, q: Fraction(p, q), st.integers(-6, 6), st.sampled_from([1, 2, 3, 4]))


@st.composite
def regression_data(draw, n=(1, 6), d=(1, 4)):
    """Exact (X, y) with small rational entries and w* != 0 (n < d allowed: minimum-norm w*)."""
    nn = draw(st.integers(*n))
    dd = draw(st.integers(*d))
    X = [[draw(small_rationals) for _ in range(dd)] for _ in range(nn)]
    y = [draw(small_rationals) for _ in range(nn)]
    data = dl.RegressionData(tuple(map(tuple, X)), tuple(y), "hypothesis")
    assume(any(v != 0 for v in data.target_exact))
    return data


@st.composite
def eigenvector_data(draw, d=(2, 4)):
    """(data, index j, mu, other eigenvalues): w* = c Q e_j is an eigenvector of Sigma = Q diag(x^2/d) Q^T."""
    dd = draw(st.integers(*d))
    scales = [Fraction(draw(st.integers(1, 6)), draw(st.sampled_from([1, 2]))) for _ in range(dd)]
    j = draw(st.integers(0, dd - 1))
    c = Fraction(draw(st.integers(2, 5)), draw(st.sampled_from([1, 2, 3]))) * draw(st.sampled_from([1, -1]))
    assume(abs(c) > 1)
    skew = [[Fraction(0)] * dd for _ in range(dd)]
    for i in range(dd):
        for k in range(i + 1, dd):
            v = draw(small_rationals)
            skew[i][k], skew[k][i] = v, -v
    data = dl.eigenvector_data(scales, j, c, skew=skew)
    eig = [x * x / dd for x in scales]
    others = [e for i, e in enumerate(eig) if i != j]
    return data, j, eig[j], others


MINIMIZER_KINDS = ("balanced", "aligned", "unbalanced", "residual")


def minimizer(kind: str, w, L: int, seed: int, d: int):
    """A global minimizer of the given kind (mpf arrays at the working precision)."""
    rng = np.random.default_rng(seed)
    if kind == "balanced":
        return dl.balanced_rank_one_minimizer(w, L)
    if kind == "aligned":
        return dl.aligned_minimizer(w, L, float(np.exp(rng.uniform(-2, 2))), rng=rng)
    if kind == "unbalanced":
        widths = [int(v) for v in rng.integers(1, 4, size=L - 1)]
        return dl.random_minimizer(w, L, widths, rng, scales=list(np.exp(rng.uniform(-1.5, 1.5, size=L))))
    if kind == "residual":
        head = np.zeros(d)
        head[int(rng.integers(0, d))] = 1
        return dl.random_minimizer(w, L, [d] * L, rng, scales=[0.7] * L, head=dl.to_mp(head))
    raise ValueError(kind)


def examples(ci: int, thorough: int) -> int:
    """Example count for an expensive property: ``ci`` under the ci profile, ``thorough`` under the thorough one
    (read from the loaded profile, so an explicit ``@settings`` does not pin the count in both)."""
    from hypothesis import settings

    return thorough if settings.default.max_examples > 100 else ci
