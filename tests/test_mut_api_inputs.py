"""Direct tests of implicitreg/api/inputs.py answering its mutation survivors (target api-inputs): how the public API
reads untrusted arrays, SymPy values, names and options, and the helpers its results print with.

Expected values are written by hand (exact fractions, the schema's fixed keys), never produced by the code under
test.
"""
from __future__ import annotations

import json
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy

from implicitreg.api import inputs
from implicitreg.api.inputs import (_depth, _digits, _float64, _floats, _head, _ns, _nss, _short, as_instance,
                                    as_regression_data, load_instance, load_regression_data)
from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.schema import SCHEMA_VERSION


def _rows(matrix):
    return [list(r) for r in matrix]


# --- numpy object arrays (Fractions held by numpy) are numbers ---------------------------------------------------

def test_an_object_array_of_fractions_is_read_exactly():
    A = np.array([[F(1, 3), 1], [F(-2, 7), 0]], dtype=object)
    y = np.array([F(1, 3), F(-2, 7)], dtype=object)
    inst = as_instance(A, y)
    assert _rows(inst.A) == [[F(1, 3), F(1)], [F(-2, 7), F(0)]] and list(inst.y) == [F(1, 3), F(-2, 7)]


def test_a_list_of_object_array_rows_is_read_exactly():
    rows = [np.array([F(1, 3), 1], dtype=object), np.array([0, F(5, 2)], dtype=object)]
    assert _rows(as_instance(rows, [1, 1]).A) == [[F(1, 3), F(1)], [F(0), F(5, 2)]]


@pytest.mark.parametrize("arr", [np.array([["a", "b"]]), np.array([[b"1", b"2"]]),
                                 np.array([["2020-01-01"]], dtype="datetime64[D]")])
def test_arrays_of_other_kinds_are_refused_by_kind(arr):
    with pytest.raises(InvalidInstanceError, match=r"^A has entries of type .*; expected numbers$"):
        as_instance(arr, [1])


# --- SymPy entries ---------------------------------------------------------------------------------------------

def test_sympy_rationals_and_floats_are_exact():
    inst = as_instance(sympy.Matrix([[sympy.Rational(1, 3), sympy.Float("0.1")]]), [sympy.Integer(1)])
    assert _rows(inst.A) == [[F(1, 3), F(1, 10)]] and list(inst.y) == [F(1)]


@pytest.mark.parametrize("value, shown", [
    (sympy.Add(1, sympy.Rational(1, 2), evaluate=False), "1/2 + 1"),   # is_rational, but not a Rational: no .p/.q
    (sympy.Matrix([1]), "Matrix([[1]])"),                              # no is_Rational / is_Float attributes
    (sympy.sqrt(2), "sqrt(2)"),
    (sympy.Symbol("x" * 50), "x" * 40),                                # shown to 40 characters
])
def test_sympy_values_that_are_not_rational_numbers_are_refused(value, shown):
    with pytest.raises(InvalidInstanceError) as info:
        as_instance([[value, 1]], [1])
    assert str(info.value) == f"A[0][0]: the SymPy value {shown!r} is not a rational number"


def test_a_sympy_float_beyond_the_exponent_limit_names_its_entry():
    with pytest.raises(InvalidInstanceError, match=r"^A\[0\]\[1\]: exponent of .* is out of range"):
        as_instance([[1, sympy.Float("1e100000")]], [1])


# --- where an error is -------------------------------------------------------------------------------------------

def test_a_bad_entry_of_y_is_named_by_its_index():
    with pytest.raises(InvalidInstanceError, match=r"^y\[1\]: "):
        as_instance([[1, 0], [0, 1]], [1, "one"])


def test_a_bad_entry_of_a_numpy_y_is_named():
    with pytest.raises(InvalidInstanceError, match=r"^y has boolean entries"):
        as_instance([[1, 0], [0, 1]], np.array([True, False]))


@pytest.mark.parametrize("bad", ["two", "1/0", "nan"])
def test_a_bad_depth_is_named_depth(bad):
    with pytest.raises(InvalidParameterError, match=r"^depth\b"):
        _depth(bad)


def test_float64_parameters_name_themselves_and_show_the_value():
    with pytest.raises(InvalidParameterError, match=r"^step\b"):
        _float64("fast", "step")
    with pytest.raises(InvalidParameterError) as info:
        _float64("-1/2", "step")
    assert str(info.value) == "step must be > 0, got -1/2"
    with pytest.raises(InvalidParameterError) as info:
        _float64(-3, "tol", positive=False)
    assert str(info.value) == "tol must be >= 0, got -3"
    assert _float64(0, "tol", positive=False) == 0.0 and _float64("1/4", "step") == 0.25


def test_digits_that_are_not_integers_are_shown():
    with pytest.raises(InvalidParameterError) as info:
        _digits("ten", "limit")
    assert str(info.value) == "digits must be a positive integer, got 'ten'"
    assert _digits(" 12 ", "limit") == 12


@pytest.mark.parametrize("n, shown", [(40, "x" * 40), (41, "x" * 37 + "..."), (39, "x" * 39)])
def test_short_keeps_forty_characters(n, shown):
    assert _short("x" * n) == shown


# --- names ---------------------------------------------------------------------------------------------------

def test_names_default_and_given():
    assert as_instance([[1, 1]], [1]).name == "instance"
    assert as_instance([[1, 1]], [1], name="row").name == "row"
    assert as_regression_data([[1, 0], [0, 1]], [1, 2]).name == "data"
    assert as_regression_data([[1, 0], [0, 1]], [1, 2], name="toy").name == "toy"


def test_files_are_named_by_their_stem_and_read_by_their_keys(tmp_path):
    inst_file = tmp_path / "kink_row.json"
    inst_file.write_text(json.dumps({"A": [[1, "9/10"]], "y": ["0.5"]}), encoding="utf-8")
    inst = load_instance(inst_file)
    assert inst.name == "kink_row" and _rows(inst.A) == [[F(1), F(9, 10)]] and list(inst.y) == [F(1, 2)]

    reg_file = tmp_path / "toy_regression.json"
    reg_file.write_text(json.dumps({"X": [[1, 0], [0, 2]], "y": [1, "1/2"]}), encoding="utf-8")
    data = load_regression_data(reg_file)
    assert data.name == "toy_regression"
    assert _rows(data.X) == [[F(1), F(0)], [F(0), F(2)]] and list(data.y) == [F(1), F(1, 2)]

    with pytest.raises(InvalidInstanceError, match=r"\bX\b"):   # a regression file keyed A is not regression data
        load_regression_data(inst_file)
    with pytest.raises(InvalidInstanceError, match=r"\bA\b"):   # and an instance file keyed X is not an instance
        load_instance(reg_file)


# --- the helpers results print with ---------------------------------------------------------------------------

def test_head_is_the_schema_envelope():
    assert _head("l1", x=["1"]) == {"schema_version": SCHEMA_VERSION, "command": "l1", "x": ["1"]}
    assert list(_head("limit", a=1, b=2)) == ["schema_version", "command", "a", "b"]


def test_number_strings_keep_the_requested_digits():
    with mpmath.workdps(30):
        third = mpmath.mpf(1) / 3
        assert _ns(third, 5) == "0.33333"
        assert _nss([third, F(2, 3), 7], 3) == ["0.333", "2/3", "7"]
        assert _ns(None) is None


def test_floats_are_float64_of_the_exact_values():
    out = _floats([F(1, 3), 2, F(-1, 8)])
    assert out.dtype == np.float64 and out.shape == (3,)
    assert out.tolist() == [1 / 3, 2.0, -0.125]


def test_inputs_module_limits_are_the_documented_ones():
    """docs/schema.md and the README state these limits; a change must be deliberate."""
    assert (inputs.MAX_DEPTH, inputs.MAX_LAYERS, inputs.MAX_ENTRIES) == (10_000, 1_000, 1_000_000)
    assert inputs.MAX_DIGITS == {"limit": 5000, "flow": 1000, "select": 10000, "sharpness": 1000}


def test_npz_and_csv_files_are_read_by_the_matrix_key_of_their_kind(tmp_path):
    """An .npz regression archive holds arrays X and y, an instance archive A and y; a .csv is the augmented
    matrix [X | y] (cells read exactly)."""
    np.savez(tmp_path / "reg.npz", X=np.array([[1, 0], [0, 4]]), y=np.array([3, 2]))
    data = load_regression_data(tmp_path / "reg.npz")
    assert data.name == "reg" and _rows(data.X) == [[F(1), F(0)], [F(0), F(4)]] and list(data.y) == [F(3), F(2)]
    np.savez(tmp_path / "inst.npz", A=np.array([[1, 2]]), y=np.array([5]))
    inst = load_instance(tmp_path / "inst.npz")
    assert _rows(inst.A) == [[F(1), F(2)]] and list(inst.y) == [F(5)]
    with pytest.raises(InvalidInstanceError, match=r"\bX\b"):
        load_regression_data(tmp_path / "inst.npz")
    (tmp_path / "reg.csv").write_text("1,0,1/2\n0,2,0.25\n", encoding="utf-8")
    data = load_regression_data(tmp_path / "reg.csv")
    assert _rows(data.X) == [[F(1), F(0)], [F(0), F(2)]] and list(data.y) == [F(1, 2), F(1, 4)]
