"""The API's refusals and documented limits, each at the exact documented number and one step beyond it.

Numbers come from the documentation, not from the constants of ``implicitreg.api.inputs``: the digits ranges from
the docstrings and the CLI help (``limit`` 1..5000, ``flow`` 8..1000, ``select`` 1..10000, ``sharpness`` 1..1000
(``implicitreg sharpness --help``)), the diagonal depth 2 <= D <= 10000 and the deep-linear layers 2..1000 (the
``--depth`` help), at most 10^6 entries of A (README: "the largest number of entries"), ``workers`` in [1, 1024]
(the error's own statement). Where the accepted side would start a long computation, the solver behind the API is
replaced by a stub that records what it was given: the test is about the gate, and the stub proves the call got
through it with the value unchanged. Each refusal is the specific exception of ``implicitreg.errors``.
"""
from fractions import Fraction as F

import numpy as np
import pytest

import implicitreg as ir
from implicitreg.api import inputs
from implicitreg.errors import (ConvergenceError, ImplicitRegError, InvalidInstanceError, InvalidParameterError)

A, Y = [[1, F(1, 2)]], [1]
X3, Y3 = [[1, 0], [0, 2], [1, 1]], [1, 2, 2]


class Reached(Exception):
    """Raised by a stub solver: the parameters passed the API's gate."""


def stub(monkeypatch, target):
    seen = {}

    def fake(*args, **kwargs):
        seen["args"], seen["kwargs"] = args, kwargs
        raise Reached

    monkeypatch.setattr(target, fake)
    return seen


# ---------------------------------------------------------------------------------------------------- digits

@pytest.mark.parametrize("command, lo, hi", [("limit", 1, 5000), ("flow", 1, 1000), ("select", 1, 10000),
                                             ("sharpness", 1, 1000)])
def test_digits_range_of_each_command_at_both_ends(command, lo, hi):
    assert inputs._digits(lo, command) == lo and inputs._digits(hi, command) == hi
    for bad in (lo - 1, hi + 1, -1):
        with pytest.raises(InvalidParameterError, match=f"^digits must be between 1 and {hi}, got {bad}$"):
            inputs._digits(bad, command)


def test_digits_may_be_integer_text_but_nothing_else():
    assert inputs._digits(" 12 ", "limit") == 12 and inputs._digits(np.int64(7), "limit") == 7
    for bad in ("1.5", "twelve", "", True, 2.0 + 0.5):
        with pytest.raises(InvalidParameterError, match="^digits must be a positive integer, got "):
            inputs._digits(bad, "limit")


def test_limit_accepts_5000_digits_and_refuses_5001(monkeypatch):
    seen = stub(monkeypatch, "implicitreg.numerics.dual_limit.gradient_flow_limit")
    with pytest.raises(Reached):
        ir.gradient_flow_limit(A, Y, 2, "1e-2", digits=5000)
    assert seen["kwargs"]["digits"] == 5000
    with pytest.raises(InvalidParameterError, match="between 1 and 5000, got 5001"):
        ir.gradient_flow_limit(A, Y, 2, "1e-2", digits=5001)


def test_select_accepts_10000_digits_and_refuses_10001(monkeypatch):
    seen = stub(monkeypatch, "implicitreg.numerics.selection.selected_minimizer")
    with pytest.raises(Reached):
        ir.selected_minimizer(A, Y, 2, digits=10000)
    assert seen["kwargs"]["digits"] == 10000
    with pytest.raises(InvalidParameterError, match="between 1 and 10000, got 10001"):
        ir.selected_minimizer(A, Y, 2, digits=10001)


def test_sharpness_accepts_1000_digits_and_refuses_1001(monkeypatch):
    stub(monkeypatch, "implicitreg.numerics.deep_linear.data_constants")
    with pytest.raises(Reached):
        ir.sharpness(X3, Y3, 2, digits=1000)
    with pytest.raises(InvalidParameterError, match="between 1 and 1000, got 1001"):
        ir.sharpness(X3, Y3, 2, digits=1001)


def test_flow_digits_between_8_and_1000(monkeypatch):
    seen = stub(monkeypatch, "implicitreg.numerics.flow.reduced_flow")
    for ok in (8, 1000):
        with pytest.raises(Reached):
            ir.gradient_flow(A, Y, 2, "1e-2", digits=ok)
        assert seen["kwargs"]["dps"] == ok
    with pytest.raises(InvalidParameterError, match="^a flow needs digits >= 8$"):
        ir.gradient_flow(A, Y, 2, "1e-2", digits=7)
    with pytest.raises(InvalidParameterError, match="between 1 and 1000, got 1001"):
        ir.gradient_flow(A, Y, 2, "1e-2", digits=1001)


def test_flow_step_budget_and_tolerance(monkeypatch):
    for bad in (0, -3, True, 2.0, "10"):
        with pytest.raises(InvalidParameterError, match="^max_steps must be a positive integer, got "):
            ir.gradient_flow(A, Y, 2, "1e-2", max_steps=bad)
    seen = stub(monkeypatch, "implicitreg.numerics.flow.full_flow")
    with pytest.raises(Reached):
        ir.gradient_flow(A, Y, 2, "1e-2", full=True, tol="1e-20", max_steps=1)
    import mpmath

    assert seen["kwargs"]["max_steps"] == 1 and seen["kwargs"]["tol"] == mpmath.mpf("1e-20")
    for bad in ("0", "-1e-20"):
        with pytest.raises(InvalidParameterError, match="^tol must be > 0"):
            ir.gradient_flow(A, Y, 2, "1e-2", tol=bad)


def test_a_flow_out_of_steps_says_which_budget_and_what_to_change():
    with pytest.raises(ConvergenceError) as exc:
        ir.gradient_flow(A, Y, 2, "1e-2", digits=10, max_steps=1)
    text = str(exc.value)
    assert "step budget is exhausted" in text and "max_steps (--max-steps)" in text and "gradient_flow_limit" in text


# ---------------------------------------------------------------------------------------------------- depth

def test_diagonal_depth_between_2_and_10000(monkeypatch):
    seen = stub(monkeypatch, "implicitreg.numerics.dual_limit.gradient_flow_limit")
    for ok, exact in ((10000, F(10000)), ("2", F(2)), ("9999.5", F(19999, 2))):
        with pytest.raises(Reached):
            ir.gradient_flow_limit(A, Y, ok, "1e-2", digits=5)
        assert seen["args"][1] == exact
    with pytest.raises(InvalidParameterError, match="^depth must be at most 10000, got 10000.001$"):
        ir.gradient_flow_limit(A, Y, "10000.001", "1e-2", digits=5)
    for bad in ("1.999", 1, 0, "-3"):
        with pytest.raises(InvalidParameterError, match="^depth must be a real number >= 2"):
            ir.gradient_flow_limit(A, Y, bad, "1e-2", digits=5)
    for bad in ("nan", float("inf"), "x"):
        with pytest.raises(InvalidParameterError):
            ir.gradient_flow_limit(A, Y, bad, "1e-2", digits=5)


def test_deep_linear_layers_integers_between_2_and_1000():
    assert inputs._layers(2) == 2 and inputs._layers("1000") == 1000 and inputs._layers(F(6, 2)) == 3
    with pytest.raises(InvalidParameterError, match="^depth must be at most 1000, got 1001$"):
        inputs._layers(1001)
    for bad in (1, "5/2", 2.5, 0):
        with pytest.raises(InvalidParameterError, match="^depth must be an integer >= 2"):
            inputs._layers(bad)
    for call in (lambda L: ir.sharpness(X3, Y3, L), lambda L: ir.deep_flow(X3, Y3, L, steps=1, eta="0.01")):
        with pytest.raises(InvalidParameterError, match="at most 1000"):
            call(1001)
        with pytest.raises(InvalidParameterError, match="integer >= 2"):
            call("5/2")


# ---------------------------------------------------------------------------------------------------- deep_flow

def test_deep_flow_refuses_unknown_init_and_steps_or_seed_out_of_range():
    with pytest.raises(InvalidParameterError, match="^init must be 'small' or 'residual', got 'big'$"):
        ir.deep_flow(X3, Y3, 2, init="big")
    for bad in (0, 10 ** 8 + 1, True, 1.0):
        with pytest.raises(InvalidParameterError, match=r"^steps must be an integer in \[1, 10\^8\]"):
            ir.deep_flow(X3, Y3, 2, steps=bad, eta="0.01")
    for bad in (-1, True, "3"):
        with pytest.raises(InvalidParameterError, match="^seed must be an integer >= 0"):
            ir.deep_flow(X3, Y3, 2, steps=1, eta="0.01", seed=bad)


def test_deep_flow_residual_init_scale_may_be_zero_small_init_may_not(monkeypatch):
    stub(monkeypatch, "implicitreg.commands.sharpness.flow_report")
    with pytest.raises(Reached):
        ir.deep_flow(X3, Y3, 2, init="residual", scale="0", steps=1, eta="0.01")
    with pytest.raises(InvalidParameterError, match="^scale must be > 0"):
        ir.deep_flow(X3, Y3, 2, init="small", scale="0", steps=1, eta="0.01")
    with pytest.raises(InvalidParameterError, match="^scale must be >= 0"):
        ir.deep_flow(X3, Y3, 2, init="residual", scale="-1", steps=1, eta="0.01")
    with pytest.raises(InvalidParameterError, match="^eta = 1e400 is outside the float64 range"):
        ir.deep_flow(X3, Y3, 2, steps=1, eta="1e400")


# ---------------------------------------------------------------------------------------------------- inputs

def test_a_million_entries_are_read_and_one_more_is_refused():
    ok = np.zeros((1, 10 ** 6), dtype=np.int8)
    assert len(inputs._rows(ok, "A")[0]) == 10 ** 6
    with pytest.raises(InvalidInstanceError, match="^A has 1000001 entries; at most 1000000 are accepted$"):
        inputs._rows(np.zeros((1, 10 ** 6 + 1), dtype=np.int8), "A")
    rows = [[0] * 1000] * 1000
    assert len(inputs._rows(rows, "A")) == 1000
    with pytest.raises(InvalidInstanceError, match="^A has more than 1000000 entries$"):
        inputs._exact_matrix(rows + [[0]], "A")


@pytest.mark.parametrize("data, message", [
    (np.array([["a"]]), "^A has entries of type <U1; expected numbers$"),
    (np.array([[1 + 2j]]), "^A has complex entries; expected real numbers$"),
    (np.array([[True]]), "^A has boolean entries; expected numbers$"),
    (np.zeros((2, 2, 2)), r"^A must be 2-dimensional, got shape \(2, 2, 2\)$"),
    ("[[1]]", "^A must be a 2-D array or a list of rows, got str$"),
    ([[1], 2], r"^A\[1\] must be a row \(a list of numbers\), got int$"),
    ([[1], "12"], r"^A\[1\] must be a row \(a list of numbers\), got str$"),
    ([np.array([True])], r"^A\[0\] has boolean entries; expected numbers$"),
])
def test_malformed_matrices_are_instance_errors(data, message):
    with pytest.raises(InvalidInstanceError, match=message):
        ir.as_instance(data, [1])


def test_rows_given_as_numpy_arrays_are_read_exactly():
    inst = ir.as_instance([np.array([1, 2], dtype=np.int64), np.array([0.1, 0.5])], [1, 2])
    assert [list(r) for r in inst.A] == [[1, 2], [F(1, 10), F(1, 2)]]


def test_vectors_and_sympy_inputs():
    import sympy

    inst = ir.as_instance(sympy.Matrix([[1, sympy.Rational(1, 3)]]), sympy.Matrix([[2]]))
    assert [list(r) for r in inst.A] == [[1, F(1, 3)]] and list(inst.y) == [2]
    assert list(ir.as_instance([[1, 2]], np.array([[3]])).y) == [3]              # a 1 x 1 column is a vector
    with pytest.raises(InvalidInstanceError, match=r"^y must be 1-dimensional, got shape \(1, 1, 1\)$"):
        ir.as_instance([[1, 2]], np.zeros((1, 1, 1)))
    with pytest.raises(InvalidInstanceError, match="^y must be a 1-D array or a list of numbers, got str$"):
        ir.as_instance([[1, 2]], "3")
    with pytest.raises(InvalidInstanceError, match="^y must be a vector$"):
        ir.as_instance([[1, 2]], sympy.Integer(3))
    with pytest.raises(InvalidInstanceError, match="^A must be a matrix, got a SymPy Integer$"):
        ir.as_instance(sympy.Integer(3), [1])
    with pytest.raises(InvalidInstanceError, match=r"^A\[0\]\[1\]: the SymPy value 'sqrt\(2\)' is not a rational"):
        ir.as_instance(sympy.Matrix([[1, sympy.sqrt(2)]]), [1])
    assert list(ir.as_instance(sympy.Matrix([[sympy.Float("0.1")]]), [1]).A[0]) == [F(1, 10)]


def test_an_instance_or_its_data_not_both_and_y_is_required():
    inst = ir.as_instance(A, Y)
    assert ir.as_instance(inst) is inst
    with pytest.raises(InvalidInstanceError, match=r"^give either an Instance or \(A, y\), not both$"):
        ir.as_instance(inst, Y)
    with pytest.raises(InvalidInstanceError, match=r"^y is missing: call with \(A, y\) or an Instance$"):
        ir.as_instance(A)
    with pytest.raises(InvalidInstanceError, match=r"^y is missing: call with \(X, y\) or RegressionData$"):
        ir.as_regression_data(X3)


def test_parameters_are_parameter_errors_not_instance_errors():
    with pytest.raises(InvalidParameterError, match="^alpha: cannot read 'abc'"):
        inputs._positive("abc", "alpha")
    with pytest.raises(InvalidParameterError, match="^alpha must be > 0, got 0$"):
        inputs._positive(0, "alpha")
    with pytest.raises(InvalidParameterError, match="^alpha_convention must be 'product' or 'factor', got 'both'$"):
        inputs._convention("both")
    long = "1" * 60
    assert inputs._short(long) == "1" * 37 + "..." and inputs._short("1" * 40) == "1" * 40


# ---------------------------------------------------------------------------------------------------- verify, certify, check

def test_workers_an_integer_in_1_to_1024_or_a_scheduler_not_both():
    from implicitreg.api.certificates import _executor

    assert _executor(None, None) is None and _executor(1, None) is None
    assert _executor(1024, None) == {"n_workers": 1024} and _executor(2, None) == {"n_workers": 2}
    for bad in (0, 1025, True, 2.0, "2"):
        with pytest.raises(InvalidParameterError, match=r"^workers must be an integer in \[1, 1024\]$"):
            _executor(bad, None)
    assert _executor(None, "tcp://h:8786") == {"scheduler": "tcp://h:8786"}
    with pytest.raises(InvalidParameterError, match="not both"):
        _executor(2, "tcp://h:8786")
    for bad in ("", "   ", 8786):
        with pytest.raises(InvalidParameterError, match="^scheduler must be an address"):
            _executor(None, bad)
    with pytest.raises(InvalidParameterError):
        ir.verify(only="no-such-suite")


def test_certify_refuses_an_unknown_theorem_and_a_missing_alpha_before_any_work():
    with pytest.raises(InvalidParameterError, match="^theorem must be one of MS-D2, MS-D3, kink, MC-LB; got 'MS-D4'$"):
        ir.certify(A, Y, theorem="MS-D4", depth=2, alphas=["1e-2"])
    with pytest.raises(InvalidParameterError, match="^MS-D2 needs at least one alpha$"):
        ir.certify(A, Y, theorem="MS-D2", depth=2)
    with pytest.raises(InvalidParameterError, match="^alpha must be > 0, got 0$"):
        ir.certify(A, Y, theorem="MS-D2", depth=2, alphas=["1e-2", "0"])
    with pytest.raises(InvalidParameterError, match="^depth must be an integer >= 2"):
        ir.certify(X3, Y3, theorem="MC-LB", depth="5/2")


def test_write_text_file_refuses_directories_existing_files_and_unwritable_paths(tmp_path):
    from implicitreg.api.certificates import write_text_file

    with pytest.raises(InvalidParameterError, match="it is a directory$"):
        write_text_file(tmp_path, "x")
    p = tmp_path / "c.json"
    write_text_file(p, "one", overwrite=False)
    with pytest.raises(InvalidParameterError, match="exists; remove it or choose another path$"):
        write_text_file(p, "two", overwrite=False)
    assert p.read_text() == "one"
    write_text_file(p, "two")
    assert p.read_text() == "two"
    with pytest.raises(InvalidParameterError, match="^cannot write .*: No such file or directory$"):
        write_text_file(tmp_path / "no" / "such" / "c.json", "x")


def test_check_needs_a_file_and_a_certificate_has_no_array_view():
    with pytest.raises(InvalidParameterError, match="^name at least one certificate file$"):
        ir.check()
    from implicitreg.api.certificates import CertificateWritten

    with pytest.raises(TypeError, match="no array view"):
        CertificateWritten({"theorem": {"name": "MS-D2"}, "sha256": "0"}, None).to_numpy()


def test_every_api_error_is_an_implicitreg_error_and_a_value_error():
    for cls in (InvalidInstanceError, InvalidParameterError):
        assert issubclass(cls, ImplicitRegError) and issubclass(cls, ValueError)
