"""numerics.integer_form: the exact row basis and range test found modulo a prime and checked exactly, and the fast
numpy paths of Instance.from_lists (exact values, untrusted-input contract unchanged)."""
from __future__ import annotations

import random
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from implicitreg.errors import InvalidInstanceError, NotInRangeError
from implicitreg.numerics.exact import rank, solve_consistent
from implicitreg.numerics.instance import Instance
import flint

from implicitreg.numerics.integer_form import RANK_PRIME, IntegerRows, _checked_basis, in_range, row_basis


@st.composite
def planted_systems(draw):
    """(A, y): a few random rational rows, dependent rows that are rational combinations of them, and y either
    A x (in range) or perturbed in one entry (out of range whenever A is rank deficient)."""
    r = draw(st.integers(1, 4))
    N = draw(st.integers(r, 7))
    ent = st.fractions(min_value=-5, max_value=5, max_denominator=4)
    base = [[draw(ent) for _ in range(N)] for _ in range(r)]
    rows = list(base)
    for _ in range(draw(st.integers(0, 3))):
        c = [draw(ent) for _ in range(r)]
        rows.insert(draw(st.integers(0, len(rows))), [sum((ci * b[j] for ci, b in zip(c, base)), F(0))
                                                      for j in range(N)])
    x = [draw(ent) for _ in range(N)]
    y = [sum((a * b for a, b in zip(row, x)), F(0)) for row in rows]
    if draw(st.booleans()):
        y[draw(st.integers(0, len(y) - 1))] += draw(st.sampled_from([F(1), F(-1, 3)]))
    return rows, y


@given(planted_systems())
def test_range_and_basis_agree_with_fraction_elimination(system):
    A, y = system
    rows = IntegerRows(A)
    consistent = solve_consistent(A, y) is not None
    assert rows.contains(y) == consistent == in_range(row_basis(A), y)
    assert row_basis(A)[0] == rows.row_basis()[0]
    R, C = rows.row_basis()
    assert len(R) == rank(A) == rank([A[i] for i in R])
    assert rows.full_row_rank() == (rank(A) == len(A))
    if C is not None:  # every other row is C^T times the basis rows, exactly
        rest = [i for i in range(len(A)) if i not in R]
        for k, i in enumerate(rest):
            assert [sum((F(int(C[a, k].p), int(C[a, k].q)) * A[R[a]][j] for a in range(len(R))), F(0))
                    for j in range(len(A[0]))] == A[i]


def test_a_rank_drop_modulo_the_prime_only_is_decided_exactly():
    """rank [[p, 0], [0, 1]] is 2 over Q but 1 mod p: the mod-p basis {row 1} with row 0 = 0 * row 1 fails the
    exact check, and the exact path finds both rows (a mod-p answer would refuse y = (1, 1) as not in range)."""
    p = RANK_PRIME
    rows = IntegerRows([[p, 0], [0, 1]])
    assert _checked_basis([[p, 0], [0, 1]], flint.nmod_mat([[0, 0], [0, 1]], p)) is None
    assert rows.row_basis() == ([0, 1], None) and rows.full_row_rank()
    assert rows.contains([F(1), F(1)])
    inst = Instance.from_lists([[p, 0], [0, 1]], [1, 1])
    assert inst._integer is None  # construction decides the range without the integer form
    assert inst.integer_form() is inst.integer_form() and inst.integer_form().row_basis() is inst.row_basis()
    dependent = IntegerRows([[p, 0], [0, 1], [p, 1]])  # rank 2 over Q, 1 mod p
    assert dependent.row_basis()[0] == [0, 1]
    assert dependent.contains([F(1), F(2), F(3)]) and not dependent.contains([F(1), F(2), F(4)])


def test_denominators_divisible_by_the_prime_and_many_distinct_denominators():
    p = RANK_PRIME
    A = [[F(1, p), F(1)], [F(2, p), F(2)], [F(0), F(1, 3)]]  # rank 2: row 1 = 2 row 0
    assert row_basis(A)[0] == [0, 2]
    assert in_range(row_basis(A), [F(1), F(2), F(5)]) and not in_range(row_basis(A), [F(1), F(3), F(5)])
    primes = [q for q in range(2, 400) if all(q % d for d in range(2, int(q ** 0.5) + 1))]
    A = [[F(1 + (i * 7 + j) % 5, primes[(i * 13 + j) % len(primes)]) for j in range(40)] for i in range(12)]
    inst = Instance.from_lists(A, [sum(row[:3], F(0)) for row in A])
    assert inst.row_basis()[0] == list(range(12)) and inst._integer is None


def test_zero_matrix():
    rows = IntegerRows([[0, 0], [0, 0]])
    assert rows.row_basis() == ([], None) and not rows.full_row_rank()
    assert rows.contains([F(0), F(0)]) and not rows.contains([F(0), F(1)])
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[0, 0]], [1])


def test_dependent_rows_at_moderate_size():
    rng = random.Random(5)
    base = [[F(rng.randint(-99, 99), rng.choice([1, 3, 10])) for _ in range(60)] for _ in range(18)]
    A = base + [[2 * a - b for a, b in zip(base[0], base[i])] for i in range(1, 5)]
    x = [F(rng.randint(-3, 3)) for _ in range(60)]
    y = [sum((a * b for a, b in zip(row, x)), F(0)) for row in A]
    inst = Instance.from_lists(A, y)
    assert inst.integer_form().row_basis()[0] == list(range(18))
    y[-1] += F(1, 7)
    with pytest.raises(NotInRangeError):
        Instance.from_lists(A, y)


def test_numpy_arrays_are_read_exactly():
    Ai = np.array([[3, -2, 2 ** 40], [1, 0, 5]], dtype=np.int64)
    inst = Instance.from_lists(Ai, np.array([1, 2]))
    assert inst.A == ((F(3), F(-2), F(2 ** 40)), (F(1), F(0), F(5))) and all(type(v) is F for v in inst.A[0])
    f64 = Instance.from_lists(np.array([[0.1, 1.0], [0.0, 3.0]]), np.array([0.3, 0.2]))
    assert f64.A[0][0] == F(1, 10) and f64.y == (F(3, 10), F(1, 5))  # shortest repr, not the binary expansion
    f32 = Instance.from_lists(np.array([[0.1, 1.0]], dtype=np.float32), [1])
    assert f32.A[0][0] == F(1, 10)
    for bad in (np.array([[1.0, np.nan]]), np.array([[1.0, np.inf]])):
        with pytest.raises(InvalidInstanceError, match="finite"):
            Instance.from_lists(bad, [1])
    with pytest.raises(InvalidInstanceError, match="boolean|bool"):
        Instance.from_lists(np.array([[True, False]]), [1])
