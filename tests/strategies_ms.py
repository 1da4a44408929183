"""Hypothesis strategies for the depth-D error theorems (Matt & Stöger; theory/diagonal.py).

* :func:`ms_instances`: small exact instances (integer A, or Gaussian entries rounded to two decimals, read exactly)
  with a planted sparse x; y = A x. The l1 minimizer x* of (A, y) is computed exactly
  (:func:`~implicitreg.numerics.basis_pursuit.l1_minimizer`); cases where it is not unique, is 0, or has rho so close
  to 1 that the D = 2 error does not decay on the alpha range are rejected with ``assume``. Returns
  ``(Instance, SupportConstants)``.
* :data:`DEPTHS`: the depths of the property tests, {2, 5/2, 3, 4, 5}.
* :func:`alphas`: product-scale alphas 10^-k, k in 3..40 (as exact strings).
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

from implicitreg.numerics.instance import Instance

DEPTHS = (Fraction(2), Fraction(5, 2), Fraction(3), Fraction(4), Fraction(5))
RHO_MAX = Fraction(95, 100)


@st.composite
def matrices(draw, max_m: int = 3, max_N: int = 6):
    m = draw(st.integers(1, max_m))
    N = draw(st.integers(m + 1, max_N))
    if draw(st.booleans()):
        return [draw(st.lists(st.integers(-4, 4), min_size=N, max_size=N)) for _ in range(m)]
    gauss = st.floats(-2.5, 2.5, allow_nan=False).map(lambda v: Fraction(round(v, 2)).limit_denominator(100))
    return [draw(st.lists(gauss, min_size=N, max_size=N)) for _ in range(m)]


@st.composite
def ms_instances(draw, max_m: int = 3, max_N: int = 6):
    """(Instance, SupportConstants) with a unique nonzero l1 minimizer and rho <= RHO_MAX."""
    from implicitreg.errors import HypothesisNotMetError, NonUniqueMinimizerError
    from implicitreg.numerics.error_constants import support_constants

    A = draw(matrices(max_m, max_N))
    m, N = len(A), len(A[0])
    s = draw(st.integers(1, m))
    support = draw(st.permutations(range(N)))[:s]
    x = [Fraction(0)] * N
    for j in support:
        x[j] = draw(st.sampled_from([Fraction(v) for v in (-3, -2, -1, 1, 2, 3)] + [Fraction(1, 2), Fraction(-3, 2)]))
    y = [sum((Fraction(a) * b for a, b in zip(row, x)), Fraction(0)) for row in A]
    assume(any(y))
    inst = Instance.from_lists(A, y, name="hypothesis")
    try:
        sc = support_constants(inst)
    except (NonUniqueMinimizerError, HypothesisNotMetError):
        assume(False)
    assume(sc.rho <= RHO_MAX and sc.n > 0)
    return inst, sc


def alphas(low: int = 3, high: int = 40):
    return st.integers(low, high).map(lambda k: f"1e-{k}")
