"""Hypothesis strategies and fixed instances for the gradient-flow engine tests.

Instances are small and exact (Fractions with small numerators/denominators); y = A x0 for a random sparse x0, so
y is in range(A) by construction. Rank-deficient matrices occur (a row may repeat another).
"""
from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import strategies as st

from implicitreg.numerics.instance import Instance

DEPTHS = (Fraction(2), Fraction(5, 2), Fraction(3), Fraction(4))

small_fraction = st.builds(Fraction, st.integers(-9, 9), st.integers(1, 4))


@st.composite
def instances(draw, max_m: int = 3, max_N: int = 6, allow_rank_deficient: bool = True):
    """A random exact instance with 1 <= m <= max_m, m < N <= max_N, A != 0, y = A x0 (x0 sparse, nonzero)."""
    m = draw(st.integers(1, max_m))
    N = draw(st.integers(m + 1, max_N))
    A = [[draw(small_fraction) for _ in range(N)] for _ in range(m)]
    if allow_rank_deficient and m >= 2 and draw(st.booleans()) and draw(st.booleans()):
        A[-1] = list(A[0])  # a repeated row: rank deficient
    if all(v == 0 for row in A for v in row):
        A[0][0] = Fraction(1)
    support = draw(st.lists(st.integers(0, N - 1), min_size=1, max_size=min(3, N), unique=True))
    x0 = [Fraction(0)] * N
    for j in support:
        x0[j] = draw(small_fraction.filter(lambda v: v != 0))
    y = [sum((a * b for a, b in zip(row, x0)), Fraction(0)) for row in A]
    return Instance.from_lists(A, y)


depths = st.sampled_from(DEPTHS)
# alpha = 10^-k, exactly, k in [3, 40]
alphas = st.integers(3, 40).map(lambda k: Fraction(1, 10 ** k))
conventions = st.sampled_from(("product", "factor"))


def random_instance(m: int, N: int, seed: int, support=(0, 4, 2), values=(3, -2, 1)) -> Instance:
    """The fixed integer instance used by the flow tests: entries in [-9, 9], y = A x0 with x0 sparse."""
    rng = random.Random(seed)
    A = [[rng.randint(-9, 9) for _ in range(N)] for _ in range(m)]
    x0 = [0] * N
    for j, v in zip(support, values):
        if j < N:
            x0[j] = v
    y = [sum(a * b for a, b in zip(row, x0)) for row in A]
    return Instance.from_lists(A, y)
