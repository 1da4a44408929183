"""Hardening: the API's input readers at their exact boundaries (implicitreg/api/inputs.py).

Every documented limit is tried on both sides of its boundary; every refusal is tried alone. Expected values come
from the module's documentation (the limits are its constants), never from the code under test.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from implicitreg.api import inputs
from implicitreg.errors import InvalidInstanceError, InvalidParameterError


# ---- depth (diagonal networks: real D, 2 <= D <= MAX_DEPTH) ------------------------------------------------------

def test_depth_accepts_both_ends_and_refuses_one_past():
    assert inputs.MAX_DEPTH == 10_000
    assert inputs._depth(2) == 2
    assert inputs._depth("5/2") == Fraction(5, 2)
    assert inputs._depth(2.5) == Fraction(5, 2)
    assert inputs._depth(10_000) == 10_000
    assert inputs._depth("10000") == 10_000
    with pytest.raises(InvalidParameterError, match="at most 10000"):
        inputs._depth("20001/2")            # 10000.5
    with pytest.raises(InvalidParameterError):
        inputs._depth(10_001)
    with pytest.raises(InvalidParameterError):
        inputs._depth("1999/1000")          # just below 2


# ---- layers (deep linear networks: integer 2 <= L <= MAX_LAYERS) --------------------------------------------------

def test_layers_boundaries():
    assert inputs.MAX_LAYERS == 1000
    assert inputs._layers(2) == 2
    assert inputs._layers("1000") == 1000
    for bad in (1, 0, -2, "5/2", 2.5, 1001):
        with pytest.raises(InvalidParameterError):
            inputs._layers(bad)
    with pytest.raises(InvalidParameterError, match="at most 1000"):
        inputs._layers(1001)
    with pytest.raises(InvalidParameterError, match="integer >= 2"):
        inputs._layers(1)


# ---- positive parameters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, "0", "0/5", 0.0, "-1e-30", -1])
def test_positive_refuses_zero_and_negatives(bad):
    with pytest.raises(InvalidParameterError, match="must be > 0"):
        inputs._positive(bad, "alpha")


def test_positive_reads_exactly():
    assert inputs._positive("1e-300", "alpha") == Fraction(1, 10 ** 300)
    assert inputs._positive(0.1, "alpha") == Fraction(1, 10)
    assert inputs._positive("3/7", "alpha") == Fraction(3, 7)


# ---- float64 parameters ------------------------------------------------------------------------------------------

def test_float64_underflow_and_overflow_are_refused():
    # 1e-400 is a positive rational, but float64 rounds it to 0: refused, never silently 0
    with pytest.raises(InvalidParameterError, match="float64 range"):
        inputs._float64("1e-400", "scale")
    with pytest.raises(InvalidParameterError, match="float64 range"):
        inputs._float64("1e-400", "scale", positive=False)
    with pytest.raises(InvalidParameterError, match="float64 range"):
        inputs._float64("1e400", "eta")
    # the smallest subnormal is still a float64 > 0
    assert inputs._float64("5e-324", "scale") == 5e-324
    assert inputs._float64("1e308", "eta") == 1e308


def test_float64_zero_is_refused_only_when_positive_is_required():
    with pytest.raises(InvalidParameterError, match="> 0"):
        inputs._float64(0, "scale")
    with pytest.raises(InvalidParameterError, match="> 0"):
        inputs._float64("0", "tol", positive=True)
    assert inputs._float64(0, "scale", positive=False) == 0.0
    with pytest.raises(InvalidParameterError, match=">= 0"):
        inputs._float64("-1e-3", "scale", positive=False)


# ---- digits ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,limit", [("limit", 5000), ("flow", 1000), ("select", 10000), ("sharpness", 1000)])
def test_digits_limits_per_command(command, limit):
    assert inputs.MAX_DIGITS[command] == limit
    assert inputs._digits(1, command) == 1
    assert inputs._digits(limit, command) == limit
    assert inputs._digits(str(limit), command) == limit
    for bad in (0, -1, limit + 1):
        with pytest.raises(InvalidParameterError, match=f"between 1 and {limit}"):
            inputs._digits(bad, command)


@pytest.mark.parametrize("bad", [True, False, "3.5", "abc", "", None])
def test_digits_refuses_booleans_and_non_integers(bad):
    with pytest.raises(InvalidParameterError):
        inputs._digits(bad, "limit")


def test_alpha_convention_names():
    assert inputs._convention("product") == "product"
    assert inputs._convention("factor") == "factor"
    for bad in ("Product", "per-factor", "prod", "", "both"):
        with pytest.raises(InvalidParameterError, match="'product' or 'factor'"):
            inputs._convention(bad)


# ---- sizes -------------------------------------------------------------------------------------------------------

def test_entry_limit_is_inclusive_for_arrays(monkeypatch):
    monkeypatch.setattr(inputs, "MAX_ENTRIES", 6)
    inputs._check_dtype(np.zeros((2, 3)), "A")            # exactly the limit: accepted
    with pytest.raises(InvalidInstanceError, match="at most 6"):
        inputs._check_dtype(np.zeros((7,)), "A")


def test_entry_limit_counts_entries_not_rows(monkeypatch):
    monkeypatch.setattr(inputs, "MAX_ENTRIES", 6)
    assert len(inputs._exact_matrix([[1, 2, 3], [4, 5, 6]], "A")) == 2     # 6 entries: accepted
    with pytest.raises(InvalidInstanceError, match="more than 6"):
        inputs._exact_matrix([[1, 2, 3, 4], [5, 6, 7, 8]], "A")            # 2 rows, 8 entries


def test_vector_accepts_only_row_or_column_matrices():
    assert inputs._exact_vector(np.array([[1], [2]]), "y") == [1, 2]
    assert inputs._exact_vector(np.array([[1, 2]]), "y") == [1, 2]
    with pytest.raises(InvalidInstanceError, match="1-dimensional"):
        inputs._exact_vector(np.array([[1, 2], [3, 4]]), "y")


# ---- exact reading -----------------------------------------------------------------------------------------------

def test_sympy_float_is_read_by_its_decimal_text():
    import sympy

    assert inputs._entry(sympy.Float("0.1"), "A[0][0]") == Fraction(1, 10)
    assert inputs._entry(sympy.Rational(3, 7), "A[0][0]") == Fraction(3, 7)
    M = sympy.Matrix([[sympy.Float("0.1"), 1]])
    assert inputs._exact_matrix(M, "A") == [[Fraction(1, 10), Fraction(1)]]
    with pytest.raises(InvalidInstanceError, match="not a rational"):
        inputs._entry(sympy.sqrt(2), "A[0][0]")


def test_floats_are_read_by_shortest_repr_in_every_container():
    A = inputs._exact_matrix(np.array([[0.1, 0.2]]), "A")
    assert A == [[Fraction(1, 10), Fraction(1, 5)]]
    assert inputs._exact_vector(np.array([0.3], dtype=np.float32), "y") == [Fraction(3, 10)]
    assert inputs._exact_vector([0.1, Fraction(1, 3), "2/3", "1e-3"], "y") == [
        Fraction(1, 10), Fraction(1, 3), Fraction(2, 3), Fraction(1, 1000)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_entries_are_refused(bad):
    with pytest.raises(InvalidInstanceError):
        inputs._exact_matrix(np.array([[1.0, bad]]), "A")
    with pytest.raises(InvalidInstanceError):
        inputs._exact_vector([bad], "y")


def test_instance_and_y_together_are_refused():
    inst = inputs.as_instance([[1, 2]], [1])
    assert inputs.as_instance(inst) is inst
    with pytest.raises(InvalidInstanceError, match="not both"):
        inputs.as_instance(inst, [1])
    with pytest.raises(InvalidInstanceError, match="y is missing"):
        inputs.as_instance([[1, 2]])


def test_container_shapes_and_kinds():
    import sympy

    assert inputs._exact_vector(sympy.Matrix([1, 2]), "y") == [1, 2]
    assert inputs._exact_vector(sympy.Matrix([[1, 2]]), "y") == [1, 2]
    with pytest.raises(InvalidInstanceError, match="vector"):
        inputs._exact_vector(sympy.Matrix([[1, 2], [3, 4]]), "y")
    with pytest.raises(InvalidInstanceError, match="must be a matrix"):
        inputs._exact_matrix(sympy.Integer(3), "A")
    with pytest.raises(InvalidInstanceError, match="2-dimensional"):
        inputs._exact_matrix(np.zeros(3), "A")
    with pytest.raises(InvalidInstanceError, match="boolean"):
        inputs._exact_matrix([np.array([True, False])], "A")
    with pytest.raises(InvalidInstanceError, match="complex"):
        inputs._exact_matrix(np.array([[1 + 2j]]), "A")
    with pytest.raises(InvalidInstanceError, match="must be a row"):
        inputs._exact_matrix(["12"], "A")
    with pytest.raises(InvalidInstanceError, match="2-D array"):
        inputs._exact_matrix("[[1]]", "A")
    with pytest.raises(InvalidInstanceError, match="1-D array"):
        inputs._exact_vector("12", "y")
    assert inputs._exact_matrix([np.array([1, 2]), [Fraction(1, 3), "0.5"]], "A") == [
        [1, 2], [Fraction(1, 3), Fraction(1, 2)]]
    assert inputs._exact_matrix(np.array([[2 ** 62]], dtype=np.int64), "A") == [[2 ** 62]]   # integers exactly
