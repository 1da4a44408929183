"""numerics.exact: exact parsing and rational linear algebra (hand-computed expectations and identities)."""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from implicitreg.errors import InvalidInstanceError
from implicitreg.numerics import exact as ex


@pytest.mark.parametrize("value, expected", [
    (3, F(3)), (-7, F(-7)), (F(2, 6), F(1, 3)), ("0.25", F(1, 4)), ("1e-3", F(1, 1000)), ("-2.5E2", F(-250)),
    ("3/7", F(3, 7)), (" -2/4 ", F(-1, 2)), ("4/-6", F(-2, 3)), (".5", F(1, 2)), ("5.", F(5)), ("+1", F(1)),
    (Decimal("0.1"), F(1, 10)), (0.1, F(1, 10)), (1e-30, F(1, 10 ** 30)), (2.5, F(5, 2)),
])
def test_parse_exact_accepts(value, expected):
    assert ex.parse_exact(value) == expected


def test_parse_exact_long_decimal_string_is_exact():
    q = ex.parse_exact("1" * 5000)             # beyond int()'s 4300-digit limit, read through Decimal
    assert q == (10 ** 5000 - 1) // 9


@pytest.mark.parametrize("value", [
    "abc", "1/0", "", "1.2.3", "0x10", "nan", "inf", "-Infinity", True, False, None, [1], {"a": 1},
    float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity"), "1e99999999", "1e-99999999",
    Decimal("1e-99999999"), "1" * 5000 + "/3",
])
def test_parse_exact_rejects(value):
    with pytest.raises(InvalidInstanceError):
        ex.parse_exact(value, "A[0][0]")


def test_parse_error_names_the_entry():
    with pytest.raises(InvalidInstanceError, match=r"y\[2\]"):
        ex.parse_exact("x", "y[2]")


def test_fraction_str():
    assert ex.fraction_str(F(3)) == "3"
    assert ex.fraction_str(F(-6, 4)) == "-3/2"
    assert ex.fraction_str(F(0)) == "0"


def test_linear_algebra_by_hand():
    A = [[F(1), F(2), F(3)], [F(2), F(4), F(6)], [F(1), F(0), F(1)]]
    assert ex.rank(A) == 2
    K = ex.nullspace(A)
    assert len(K) == 1 and K[0][2] != 0
    assert [v / K[0][2] for v in K[0]] == [-1, -1, 1]              # ker spanned by (-1, -1, 1)
    assert ex.solve_consistent(A, [F(1), F(2), F(1)]) is not None
    assert ex.solve_consistent(A, [F(1), F(3), F(1)]) is None        # row 2 = 2 row 1 violated
    assert ex.solve_square([[F(2), F(1)], [F(1), F(3)]], [F(3), F(5)]) == [F(4, 5), F(7, 5)]
    P = ex.pinv_times([[F(1)], [F(1)]], [[F(1)], [F(3)]])             # projection coefficient of (1,3) on (1,1)
    assert P == [[F(2)]]
    assert ex.matvec(A, [F(1), F(1), F(1)]) == [6, 12, 2]
    assert ex.rmatvec(A, [F(1), F(0), F(-1)]) == [0, 2, 2]
    assert ex.norm1([F(-1), F(1, 2)]) == F(3, 2) and ex.norm_inf([F(-3), F(2)]) == 3 and ex.norm_inf([]) == 0
    assert [ex.sign(F(v)) for v in (-2, 0, 5)] == [-1, 0, 1]
    assert ex.nullspace([], 2) == [[1, 0], [0, 1]]


matrices = st.integers(1, 4).flatmap(lambda m: st.integers(1, 5).flatmap(
    lambda n: st.lists(st.lists(st.integers(-4, 4).map(F), min_size=n, max_size=n), min_size=m, max_size=m)))


@given(matrices)
def test_rank_nullity_and_kernel(A):
    K = ex.nullspace(A)
    assert len(K) == len(A[0]) - ex.rank(A)
    for v in K:
        assert all(x == 0 for x in ex.matvec(A, v))
    if K:
        assert ex.rank(K) == len(K)


@given(matrices, st.data())
def test_solve_consistent_solves(A, data):
    x = data.draw(st.lists(st.integers(-3, 3).map(F), min_size=len(A[0]), max_size=len(A[0])))
    b = ex.matvec(A, x)
    sol = ex.solve_consistent(A, b)
    assert sol is not None and ex.matvec(A, sol) == b
    R, piv = ex.rref(A)
    assert len(piv) == ex.rank(A) and all(R[i][p] == 1 for i, p in enumerate(piv))
    assert math.isclose(float(ex.norm1(x)), sum(abs(float(v)) for v in x))
