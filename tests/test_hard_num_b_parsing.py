"""Hardening (issue 13): the exact-input boundaries of numerics.instance / exact / integer_form / lp_exact /
vertex_enumeration, each limit tried on both sides of its exact boundary, each refusal alone.

Expected values are hand computations; limits are lowered with monkeypatch so the boundary cases stay cheap.
"""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from implicitreg.errors import ConvergenceError, InvalidInstanceError, InvalidParameterError, NotInRangeError
from implicitreg.numerics import exact, instance as inst_mod
from implicitreg.numerics.exact import MAX_DECIMAL_EXPONENT, nullspace, parse_exact, sign, solve_consistent
from implicitreg.numerics.instance import Instance, read_data_file
from implicitreg.numerics.lp_exact import linprog_exact
from implicitreg.numerics.vertex_enumeration import enumerate_l1, rho_bruteforce


# --- file size and entry limits: the maximum itself is accepted, one more is refused ------------------------------

def test_file_of_exactly_max_bytes_is_read_and_one_more_byte_is_refused(tmp_path, monkeypatch):
    text = '{"A": [[1, 2]], "y": [3]}'
    p = tmp_path / "inst.json"
    p.write_text(text)
    monkeypatch.setattr(inst_mod, "MAX_FILE_BYTES", len(text))
    assert Instance.load(p).A == ((F(1), F(2)),)
    p.write_text(text + " ")
    with pytest.raises(InvalidInstanceError, match=f"has {len(text) + 1} bytes; at most {len(text)}"):
        Instance.load(p)


def test_array_entry_limit_boundary(tmp_path, monkeypatch):
    p = tmp_path / "inst.npy"
    np.save(p, np.array([[1, 0, 1], [0, 1, 2]]))  # 6 entries
    monkeypatch.setattr(inst_mod, "MAX_ENTRIES", 6)
    assert Instance.load(p).y == (F(1), F(2))
    monkeypatch.setattr(inst_mod, "MAX_ENTRIES", 5)
    with pytest.raises(InvalidInstanceError, match="has 6 entries; at most 5"):
        Instance.load(p)


def test_csv_entry_limit_boundary(tmp_path, monkeypatch):
    p = tmp_path / "inst.csv"
    p.write_text("1,0,1\n0,1,2\n")  # 6 cells
    monkeypatch.setattr(inst_mod, "MAX_ENTRIES", 6)
    assert Instance.load(p).A == ((F(1), F(0)), (F(0), F(1)))
    monkeypatch.setattr(inst_mod, "MAX_ENTRIES", 5)
    with pytest.raises(InvalidInstanceError, match="more than 5 entries"):
        Instance.load(p)


# --- shapes ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rows", [[[1, 2], [3]], [[1, 2], [3, 4, 5]], [[1], [2, 3]]])
def test_ragged_matrix_refused_either_way(rows):
    with pytest.raises(InvalidInstanceError, match="ragged"):
        Instance.from_data({"A": rows, "y": [1, 2]})


@pytest.mark.parametrize("y", [[1], [1, 2, 3]])
def test_y_length_must_equal_row_count_either_way(y):
    with pytest.raises(InvalidInstanceError, match="shape mismatch: A has 2 rows but y has"):
        Instance.from_data({"A": [[1, 0], [0, 1]], "y": y})


@pytest.mark.parametrize("body", ["1,2,3\n4,5,6,7\n", "1,2,3\n4,5\n"])
def test_ragged_csv_refused_either_way(tmp_path, body):
    p = tmp_path / "r.csv"
    p.write_text(body)
    with pytest.raises(InvalidInstanceError, match="ragged"):
        read_data_file(p)


def test_zero_matrix_range_test():
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[0, 0]], [1])
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[0, 0], [0, 0]], [0, "1/3"])
    assert Instance.from_lists([[0, 0]], [0]).y == (F(0),)


def test_range_test_with_dependent_rows():
    # row 2 = 2 * row 1: y must satisfy y2 = 2 y1
    assert Instance.from_lists([[1, 1], [2, 2]], [1, 2]).m == 2
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[1, 1], [2, 2]], [1, 3])


# --- decimal exponents -----------------------------------------------------------------------------------------------

def test_decimal_exponent_limit_both_sides():
    E = MAX_DECIMAL_EXPONENT
    assert parse_exact(f"1e-{E}") == F(1, 10 ** E)
    assert parse_exact(f"1e{E}") == F(10 ** E)
    for text in (f"1e-{E + 1}", f"1e{E + 1}"):
        with pytest.raises(InvalidInstanceError, match="out of range"):
            parse_exact(text)


def test_decimal_adjusted_exponent_limit_alone():
    E = MAX_DECIMAL_EXPONENT
    # exponent E - 1 is inside the limit, but the value 12345 * 10^(E-1) has adjusted exponent E + 3
    with pytest.raises(InvalidInstanceError, match="out of range"):
        parse_exact(f"12345e{E - 1}")
    with pytest.raises(InvalidInstanceError, match="out of range"):
        parse_exact("1" + "0" * (E + 1))           # exponent 0, E + 2 digits
    assert parse_exact("1" + "0" * E) == F(10 ** E)  # adjusted exponent exactly E


# --- exact linear algebra --------------------------------------------------------------------------------------------

def test_solve_consistent_detects_inconsistency():
    assert solve_consistent([[F(1), F(1)], [F(2), F(2)]], [F(1), F(3)]) is None
    assert solve_consistent([[F(1), F(1)], [F(2), F(2)]], [F(1), F(2)]) == [F(1), F(0)]
    assert solve_consistent([[F(1), F(0)], [F(0), F(0)]], [F(0), F(1)]) is None


def test_sign_and_nullspace():
    assert [sign(F(v)) for v in (-3, 0, 5)] == [-1, 0, 1]
    A = [[F(1), F(2), F(3)], [F(0), F(1), F(-1)]]
    K = nullspace(A)
    assert len(K) == 1 and any(K[0])
    assert exact.matvec(A, K[0]) == [F(0), F(0)]


# --- exact LP: refusals ----------------------------------------------------------------------------------------------

def test_lp_refuses_unknown_start_and_bad_shapes():
    with pytest.raises(InvalidParameterError, match="start must be"):
        linprog_exact([1, 2], [[1, 1]], [1], start="simplex")
    with pytest.raises(InvalidParameterError, match="inconsistent shapes"):
        linprog_exact([1, 2], [[1, 1]], [1, 2])
    with pytest.raises(InvalidParameterError, match="inconsistent shapes"):
        linprog_exact([1, 2], [[1, 1], [1, 0]], [1])
    with pytest.raises(InvalidParameterError, match="inconsistent shapes"):
        linprog_exact([1, 2], [[1, 1, 0]], [1])


def test_lp_zero_matrix_with_one_negative_cost_is_unbounded():
    with pytest.raises(ConvergenceError, match="unbounded"):
        linprog_exact([1, -1], [[0, 0]], [0])
    sol = linprog_exact([1, 0], [[0, 0]], [0])
    assert sol.value == 0 and sol.z == (F(0), F(0))


def test_lp_optimum_and_dual_by_hand():
    # min z1 + 2 z2 + 3 z3, z1 + z2 + z3 = 1: z = e1, value 1, dual 1
    for start in ("float", "phase1", [2]):
        sol = linprog_exact([1, 2, 3], [[1, 1, 1]], [1], start=start)
        assert sol.z == (F(1), F(0), F(0)) and sol.value == 1 and sol.dual == (F(1),)


# --- vertex enumeration limits -----------------------------------------------------------------------------------

def test_enumeration_basis_limit_boundary():
    A, y = [[1, 2, 3]], [6]  # rank 1, C(3, 1) = 3 bases
    res = enumerate_l1(A, y, max_bases=3)
    assert res.value == 2 and res.unique and res.support == (2,)
    with pytest.raises(InvalidParameterError, match=r"C\(3,1\) = 3 bases, more than 2"):
        enumerate_l1(A, y, max_bases=2)


def test_rho_subset_limit_boundary_and_sigma_check():
    A = [[1, 1, 1]]  # S = {0}: S^c has 2 columns, 2^2 = 4 subsets
    assert rho_bruteforce(A, [0], [1], max_subsets=4) == 1
    with pytest.raises(InvalidParameterError, match="2\\^2 subsets of S\\^c, more than 3"):
        rho_bruteforce(A, [0], [1], max_subsets=3)
    B = [[1, 1, 0], [0, 0, 1]]  # ker A_S for S = {0, 1} is spanned by (1, -1)
    assert rho_bruteforce(B, [0, 1], [1, 1]) == 0
    with pytest.raises(InvalidParameterError, match="not orthogonal"):
        rho_bruteforce(B, [0, 1], [1, -1])

