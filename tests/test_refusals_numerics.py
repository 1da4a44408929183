"""numerics/: refusals of malformed input (each a specific exception with its message) and result sub-checks that
no other test reached (found by measuring the default suite's line and branch coverage).

Expected values are from the definitions (docs/theory, docstrings): X_BP = {x : A x = y, sigma_i x_i >= 0 on S,
x = 0 off S}; an index is an integer; the instance formats of docs/schema.md ("--instance FILE").
"""
from __future__ import annotations

import dataclasses
import re
from fractions import Fraction as F

import numpy as np
import pytest

from implicitreg.errors import CertificateError, InvalidInstanceError, InvalidParameterError
from implicitreg.numerics import basis_pursuit as bp
from implicitreg.numerics.instance import Instance, read_data_file, read_json_file, read_system, read_vector

PAIR = Instance.from_lists([[1, 1]], [1], name="pair")          # X_BP = segment from (1, 0) to (0, 1), S = {0, 1}
ROW = Instance.from_lists([[1, F(1, 3)]], [1], name="row")      # unique x* = (1, 0), rho = 1/3


def refused(exc, message):
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


# ---------------------------------------------------------------------------------------------------- bp verify()

def test_a_face_built_on_other_data_is_rejected():
    """verify() tests membership in the face with the face's own (A, y, S, sigma): a face over other data would
    vouch for a point that is no minimizer. Here face.A = 0, y = 0 makes every point with the right signs a
    'member'; the claimed relative-interior point (5, 7) does not even solve x_1 + x_2 = 1."""
    res = bp.l1_minimizer(PAIR)
    res.verify()
    zero = dataclasses.replace(res.face, A=((F(0), F(0)),), y=(F(0),), point=(F(5), F(7)))
    with refused(CertificateError, "the face describes other data (its A, y, S or sigma differ from the result's)"):
        dataclasses.replace(res, face=zero).verify()
    for change in (dict(A=((F(1), F(2)),)), dict(y=(F(2),))):
        # the genuine point (1/2, 1/2) is not in these faces: refused by the membership test before
        with pytest.raises(CertificateError):
            dataclasses.replace(res, face=dataclasses.replace(res.face, **change)).verify()
    row = bp.l1_minimizer(ROW)
    moved = dataclasses.replace(row.face, A=((F(1), F(1, 2)),))   # the same point (1, 0) solves it too
    with refused(CertificateError, "the face describes other data (its A, y, S or sigma differ from the result's)"):
        dataclasses.replace(row, face=moved).verify()


def test_the_face_point_of_a_unique_minimizer_is_the_minimizer():
    row = bp.l1_minimizer(ROW)
    assert row.unique and row.face.point == row.x == (1, 0) and row.support == (0,)
    assert row.face.contains((F(1), F(0))) and not row.face.contains((F(-1), F(6)))
    assert not row.face.contains((F(1),)) and not row.face.contains((F(0), F(3)))


# ---------------------------------------------------------------------------------------------------- bp inputs

def test_supports_and_signs_are_integers_not_anything_int_accepts():
    A = [[1, 2, 3], [0, 1, 1]]
    assert bp.support_pinv_norm(A, [np.int64(0), 1]) == bp.support_pinv_norm(A, (0, 1))
    for bad in ([0.5], [1.0], ["1"], [True], 3, [None]):
        with refused(InvalidParameterError, "support must be a sequence of integer indices"):
            bp.support_pinv_norm(A, bad)
    with refused(InvalidParameterError, "support must be strictly increasing, got [1, 0]"):
        bp.support_pinv_norm(A, [1, 0])
    with refused(InvalidParameterError, "support must be strictly increasing, got [1, 1]"):
        bp.support_pinv_norm(A, [1, 1])
    for bad in ([3], [-1], [0, 3]):
        with refused(InvalidParameterError, f"support indices must lie in [0, 2], got {bad}"):
            bp.support_pinv_norm(A, bad)
    for signs in ([1.5], ["x"], [True], [0], [1, 1], [2]):
        with pytest.raises(InvalidParameterError, match="^signs must be 1 entries each"):
            bp.rho_constant([[1, F(1, 2)]], [0], signs)
    assert bp.rho_constant([[1, F(1, 2)]], [0], [np.int64(1)]).value == F(1, 2)
    assert bp.rho_constant([[1, F(1, 2)]], [0], [-1]).value == F(1, 2)


@pytest.mark.parametrize("A, message", [
    (5, "A must be a matrix (a sequence of rows)"),
    ([], "A must be a non-empty matrix"),
    ([[]], "A must be a non-empty matrix"),
    ([[1, 2], [1]], "A is ragged"),
])
def test_malformed_matrices_are_instance_errors(A, message):
    with refused(InvalidInstanceError, message):
        bp.support_pinv_norm(A, [0])


def test_matrices_may_be_given_as_instances():
    assert bp.support_pinv_norm(ROW, [0]) == F(1, 3)                    # ||A_S^+ a_1||_1 = (1/3) / 1


def test_nsp_constant_limits():
    """rho_S(A) enumerates 2^(|S|-1) sign patterns: |S| <= 13 (the documented limit in the error); rho_s(A)
    enumerates C(N, s) supports, at most max_subsets; the order s is a nonnegative integer."""
    with refused(InvalidParameterError, "rho_S(A) needs 2^13 LPs for |S| = 14: too many (limit |S| <= 13)"):
        _nsp14()
    assert bp.nsp_constant([[1, 1, 1]], []) == 0
    for bad in (-1, True, 1.0):
        with refused(InvalidParameterError, f"the order s must be a nonnegative integer, got {bad!r}"):
            bp.nsp_constant_order([[1, 2, 3]], bad)
    with refused(InvalidParameterError, "rho_s(A) for N = 6, s = 3 needs C(6,3) = 20 supports, more than "
                                        "max_subsets = 19; exhaustive computation is infeasible at this size"):
        bp.nsp_constant_order([[1, 2, 3, 4, 5, 6]], 3, max_subsets=19)


def _nsp14():
    """|S| = 14 with A_S injective: A = [I_14 | 1] (m = 14, N = 15)."""
    A = [[int(i == j) for j in range(14)] + [1] for i in range(14)]
    return bp.nsp_constant(A, list(range(14)))


# ---------------------------------------------------------------------------------------------------- instance files

def test_instance_file_readers_refuse_by_kind(tmp_path):
    bad_npz = tmp_path / "a.npz"
    np.save(tmp_path / "plain.npy", np.eye(2))
    (tmp_path / "plain.npy").rename(bad_npz)                            # an .npy payload named .npz
    with refused(InvalidInstanceError, f"{str(bad_npz)!r} is not an .npz archive"):
        read_data_file(bad_npz)
    bad_npy = tmp_path / "b.npy"
    np.savez(tmp_path / "arch.npz", A=np.eye(2), y=np.ones(2))
    (tmp_path / "arch.npz").rename(bad_npy)                             # an .npz archive named .npy
    with refused(InvalidInstanceError, f"{str(bad_npy)!r} is not an .npy array"):
        read_data_file(bad_npy)
    npz = tmp_path / "c.npz"
    np.savez(npz, A=np.array([[1, 2]]), y=np.array([[3]]))              # y as a 1 x 1 column: a vector
    assert read_data_file(npz) == {"A": [[1, 2]], "y": [3]}
    np.savez(npz, A=np.array([[1, 2]]), y=np.zeros((2, 2)))
    with refused(InvalidInstanceError, "y must be 1-dimensional, got shape (2, 2)"):
        read_data_file(npz)
    np.savez(npz, A=np.array([[1, 2]], dtype=np.float32) / 10, y=np.array([1], dtype=np.float32))
    assert Instance.from_data(read_data_file(npz)).A == ((F(1, 10), F(1, 5)),)   # float32 by its own repr


def test_csv_entry_limit_and_ragged_rows(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("1,2\n3\n", encoding="utf-8")
    with refused(InvalidInstanceError, f"{str(p)!r} is ragged: row 0 has 2 cells, row 1 has 1"):
        read_data_file(p)
    row = ",".join(["0"] * 1000) + "\n"
    p.write_text(row * 1000, encoding="utf-8")                          # 10^6 entries: read
    assert len(read_data_file(p)["A"]) == 1000
    p.write_text(row * 1000 + "0\n", encoding="utf-8")                  # one more: refused before parsing
    with refused(InvalidInstanceError, f"{str(p)!r} has more than 1000000 entries"):
        read_data_file(p)


def test_unreadable_files_are_instance_errors(tmp_path, monkeypatch):
    from pathlib import Path

    p = tmp_path / "a.json"
    p.write_text('{"A": [[1]], "y": [1]}', encoding="utf-8")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with refused(InvalidInstanceError, f"cannot read instance file {str(p)!r}: Permission denied"):
        read_json_file(p)
    q = tmp_path / "a.csv"
    q.write_text("1,1\n", encoding="utf-8")
    with refused(InvalidInstanceError, f"cannot read instance file {str(q)!r}: Permission denied"):
        read_data_file(q)


def test_vectors_of_the_wrong_length_and_non_sequences():
    with refused(InvalidInstanceError, "y has 3 entries but must have 2"):
        read_vector({"y": [1, 2, 3]}, "y", 2)
    with pytest.raises(InvalidInstanceError):
        read_system({"A": [[1, 2], [3, 4]], "y": [1]}, "A", "an instance")
    with refused(InvalidInstanceError, "A must be a sequence of rows and y a sequence of numbers"):
        Instance.from_lists(5, [1])
    inst = Instance.from_lists(np.array([[1, 2]], dtype=np.float32), np.array([0.5], dtype=np.float32))
    assert inst.A == ((1, 2),) and inst.y == (F(1, 2),)


# ---------------------------------------------------------------------------------------------------- precision

def test_log10_abs_of_zero_is_minus_infinity_and_exact_on_powers_of_ten():
    import math

    import mpmath

    from implicitreg.numerics.precision import log10_abs, to_arb_list

    assert log10_abs(0) == -math.inf and log10_abs(mpmath.mpf("-1e-300")) == pytest.approx(-300, abs=1e-12)
    balls = to_arb_list([mpmath.mpf(2), mpmath.mpf("0.5")])             # mpf values exactly, as points
    assert len(balls) == 2 and balls[0] == 2 and balls[1] == 0.5
