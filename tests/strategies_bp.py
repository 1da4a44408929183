"""Hypothesis strategies for small exact basis-pursuit instances (integer A, planted sparse x).

Degenerate cases are drawn on purpose: repeated columns, columns that are multiples (or negatives)
of others, zero columns and dependent rows, which produce non-unique minimizers, higher-dimensional
faces and rank-deficient A.
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from implicitreg.numerics.instance import Instance

DEGENERACIES = ("plain", "repeat", "multiple", "negate", "zero_column", "dependent_row", "two_repeats")


@st.composite
def integer_matrices(draw, max_m: int = 3, max_N: int = 6, bound: int = 3):
    m = draw(st.integers(1, max_m))
    N = draw(st.integers(2, max_N))
    A = [draw(st.lists(st.integers(-bound, bound), min_size=N, max_size=N)) for _ in range(m)]
    kind = draw(st.sampled_from(DEGENERACIES))
    cols = list(range(N))
    if kind in ("repeat", "multiple", "negate", "two_repeats") and N >= 2:
        i, j = draw(st.sampled_from([(a, b) for a in cols for b in cols if a != b]))
        factor = {"repeat": 1, "two_repeats": 1, "negate": -1}.get(kind) or draw(st.sampled_from([2, -2, 3, Fraction(1, 2)]))
        for row in A:
            row[j] = row[i] * factor
        if kind == "two_repeats" and N >= 4:
            k, l = draw(st.sampled_from([(a, b) for a in cols for b in cols if a != b and {a, b}.isdisjoint({i, j})]))
            for row in A:
                row[l] = row[k]
    elif kind == "zero_column":
        j = draw(st.sampled_from(cols))
        for row in A:
            row[j] = 0
    elif kind == "dependent_row" and m >= 2:
        c = draw(st.sampled_from([1, -1, 2]))
        A[-1] = [c * v for v in A[0]]
    return A


@st.composite
def planted_instances(draw, max_m: int = 3, max_N: int = 6):
    """(Instance, planted x) with y = A x for a sparse integer x (sometimes x = 0)."""
    A = draw(integer_matrices(max_m, max_N))
    N = len(A[0])
    k = draw(st.integers(0, min(3, N)))
    support = draw(st.permutations(range(N)))[:k]
    x = [0] * N
    for j in support:
        x[j] = draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
    y = [sum(Fraction(a) * b for a, b in zip(row, x)) for row in A]
    return Instance.from_lists(A, y, name="hypothesis"), x
