"""The Python API (implicitreg.api, re-exported at the top level): inputs, results, errors, against
independent values."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

import implicitreg
from implicitreg import errors
from implicitreg.schema import validate

ROW = ([[1, Fraction(1, 2)]], [1])
LINE = {"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]}  # minimizers (s, 2s, 3 - 3s), s in [0, 1]


def test_help_lists_the_api():
    import pydoc

    text = pydoc.render_doc(implicitreg, renderer=pydoc.plaintext)
    for name in ("l1_minimizer", "gradient_flow_limit", "gradient_flow", "selected_minimizer", "sharpness",
                 "deep_flow", "verify", "certify", "check"):
        assert f"{name}(" in text


def test_top_level_exports_and_light_import():
    for name in implicitreg._API:
        assert getattr(implicitreg, name) is getattr(implicitreg.api, name)
    assert set(implicitreg._API) <= set(dir(implicitreg))
    with pytest.raises(AttributeError):
        implicitreg.no_such_function  # noqa: B018
    code = "import sys, implicitreg; print(sorted(m for m in ('numpy', 'sympy', 'mpmath', 'flint') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("A, y", [
    (np.array([[1, 0.5]]), np.array([1.0])),
    (np.array([[1, 0.5]], dtype=np.float32), np.array([1], dtype=np.int64)),
    ([[np.int64(1), np.float64(0.5)]], [np.int32(1)]),
    ([[1, "1/2"]], ["1"]),
    ([[Fraction(1), Fraction(1, 2)]], [Fraction(1)]),
    (sympy.Matrix([[1, sympy.Rational(1, 2)]]), sympy.Matrix([1])),
    (sympy.Matrix([[1, sympy.Float("0.5")]]), [1]),
])
def test_inputs_are_read_exactly(A, y):
    inst = implicitreg.as_instance(A, y)
    assert inst.A == ((Fraction(1), Fraction(1, 2)),) and inst.y == (Fraction(1),)


def test_float_is_its_shortest_decimal_repr():
    """0.1 means 1/10 (the shortest repr), not the binary value 3602879701896397/2^55; float32 likewise."""
    inst = implicitreg.as_instance(np.array([[0.1, 0.3]]), np.array([0.7]))
    assert inst.A[0] == (Fraction(1, 10), Fraction(3, 10)) and inst.y == (Fraction(7, 10),)
    assert Fraction(0.1) != Fraction(1, 10)  # the alternative reading really differs
    inst32 = implicitreg.as_instance(np.array([[0.1, 1]], dtype=np.float32), [1])
    assert inst32.A[0][0] == Fraction(1, 10)


def test_from_lists_takes_numpy_scalars():
    from implicitreg.numerics.instance import Instance

    inst = Instance.from_lists(np.array([[1, 2], [3, 5]]), np.array([1.5, 2.0]))
    assert inst.A == ((1, 2), (3, 5)) and inst.y == (Fraction(3, 2), Fraction(2))


@pytest.mark.parametrize("A, y, exc", [
    (np.array([[True, False]]), [1], errors.InvalidInstanceError),
    (np.array([[1 + 1j, 1]]), [1], errors.InvalidInstanceError),
    (np.array([[np.nan, 1]]), [1], errors.InvalidInstanceError),
    (np.array([[np.inf, 1]]), [1], errors.InvalidInstanceError),
    (np.array([1, 2]), [1], errors.InvalidInstanceError),
    (np.array([[1, 2]]), np.array([[1, 2], [3, 4]]), errors.InvalidInstanceError),
    (sympy.Matrix([[sympy.sqrt(2), 1]]), [1], errors.InvalidInstanceError),
    ([[1, 2], [3]], [1, 2], errors.InvalidInstanceError),
    ("A", [1], errors.InvalidInstanceError),
    ([[1, 2]], None, errors.InvalidInstanceError),
    ([[1, 2], [2, 4]], [1, 3], errors.NotInRangeError),
])
def test_bad_inputs_raise_specific_errors(A, y, exc):
    with pytest.raises(exc):
        implicitreg.l1_minimizer(A, y)


def test_l1_minimizer_against_hand_values():
    res = implicitreg.l1_minimizer(np.array([[1, 0.5]]), np.array([1]))
    # min |x0| + |x1| s.t. x0 + x1/2 = 1: x = (1, 0), ||x||_1 = 1, rho = |1/2| / 1
    assert res.x == (1, 0) and res.l1_norm == 1 and res.unique and res.rho == Fraction(1, 2)
    assert np.array_equal(res.to_numpy(), [1.0, 0.0]) and res.to_numpy().dtype == float
    validate(res.to_json(), "l1")
    face = implicitreg.l1_minimizer(LINE["A"], LINE["y"])
    # x0 + x1 + x2 = 3, 3 x0 + x2 = 3: x = (s, 2s, 3 - 3s) with ||x||_1 = 3 for s in [0, 1]
    assert not face.unique and face.l1_norm == 3 and face.rho is None and face.face.dimension == 1


def test_limit_agrees_with_the_integrated_flow():
    """Two independent paths: the dual Newton limit vs integrating the flow to convergence."""
    A, y = np.array([[1, 0.5, -2], [0, 1, 1]]), np.array([1, 0.25])
    lim = implicitreg.gradient_flow_limit(A, y, depth=3, alpha="1e-3", digits=20)
    flow = implicitreg.gradient_flow(A, y, depth=3, alpha="1e-3", digits=24)
    assert lim.digits_certified >= 20 and lim.digits_requested == 20 and flow.converged
    for a, b in zip(lim.x, flow.x):
        assert abs(a - b) <= mpmath.mpf("1e-12") * (1 + abs(a))
    assert np.allclose(lim.to_numpy(), flow.to_numpy()[-1], atol=1e-12)
    assert flow.to_numpy().shape == (len(flow.t), 3)
    validate(lim.to_json(), "limit")
    validate(flow.to_json(), "flow")


def test_alpha_conventions_are_named_and_related():
    """factor alpha = u(0) is product alpha^D: the two calls describe the same flow."""
    A, y = [[1, "1/2"]], [1]
    f = implicitreg.gradient_flow_limit(A, y, depth=2, alpha="0.1", alpha_convention="factor", digits=15)
    p = implicitreg.gradient_flow_limit(A, y, depth=2, alpha="0.01", alpha_convention="product", digits=15)
    assert f.alpha_convention == "factor" and p.alpha_convention == "product"
    assert all(abs(a - b) < mpmath.mpf("1e-14") for a, b in zip(f.x, p.x))
    with pytest.raises(errors.InvalidParameterError):
        implicitreg.gradient_flow_limit(A, y, depth=2, alpha="0.1", alpha_convention="scale")


def test_selected_minimizer_closed_form():
    """The selected point on the line face against the SymPy closed form of proofs/derivations/selection.py."""
    from implicitreg.proofs.derivations import selection as der

    res = implicitreg.selected_minimizer(LINE["A"], LINE["y"], depth=2, digits=30)
    with mpmath.workdps(40):
        t = mpmath.mpf(str(sympy.N(der.selected_t(sympy.Integer(2)), 50)))
        assert abs(res.x[2] - 3 * t) < mpmath.mpf("1e-28")
    assert not res.unique and res.face_dimension == 1 and res.digits_certified >= 30
    assert float(res.to_numpy()[2]) == pytest.approx(float(3 * t), rel=1e-14)
    validate(res.to_json(), "select")
    inf = implicitreg.selected_minimizer(LINE["A"], LINE["y"], depth=float("inf"), digits=20)
    assert inf.to_json()["depth"] == "inf"


def test_sharpness_closed_form():
    """X = I (n = d = 2), y = (2, 0): Sigma = I/2, w* = (2, 0), a = 1/2, S_LB = 2 L a ||w*||^(2-2/L)."""
    res = implicitreg.sharpness(np.eye(2), np.array([2, 0]), depth=3, digits=25)
    with mpmath.workdps(40):
        expected = 2 * 3 * mpmath.mpf(1) / 2 * mpmath.mpf(2) ** (2 - mpmath.mpf(2) / 3)
        assert abs(res.lower_bound - expected) < mpmath.mpf("1e-30")
    assert res.w_star == (2, 0) and np.array_equal(res.to_numpy(), [2.0, 0.0])
    assert res.min_sharpness >= res.lower_bound * (1 - mpmath.mpf("1e-20"))
    validate(res.to_json(), "sharpness")


def test_deep_flow_lands_above_the_lower_bound():
    X = np.array([[1, 0], [0, 2], [1, 1]])
    y = X @ np.array([1, 1])
    res = implicitreg.deep_flow(X, y, depth=3, init="small", scale="0.05", seed=1)
    assert res.converged and res.final_sharpness >= res.lower_bound * (1 - 1e-9)
    assert np.allclose(res.to_numpy(), [1, 1], atol=1e-5)
    validate(res.to_json(), "deep-flow")
    with pytest.raises(errors.InvalidParameterError, match="float64"):
        implicitreg.deep_flow(X, y, depth=3, scale="1e400")


@pytest.mark.parametrize("call", [
    lambda: implicitreg.gradient_flow_limit(*ROW, depth="1e400", alpha=1),
    lambda: implicitreg.gradient_flow_limit(*ROW, depth=3, alpha=0),
    lambda: implicitreg.gradient_flow_limit(*ROW, depth=1.5, alpha=1),
    lambda: implicitreg.gradient_flow_limit(*ROW, depth=3, alpha=1, digits=10 ** 6),
    lambda: implicitreg.gradient_flow(*ROW, depth=3, alpha=1, digits=10 ** 5),
    lambda: implicitreg.gradient_flow(*ROW, depth=3, alpha=1, max_steps=0),
    lambda: implicitreg.selected_minimizer(*ROW, depth="1e400"),
    lambda: implicitreg.sharpness(np.eye(2), [1, 1], depth=2, digits=100000),
    lambda: implicitreg.sharpness(np.eye(2), [1, 1], depth="2.5"),
    lambda: implicitreg.sharpness(np.eye(2), [1, 1], depth=10 ** 9),
    lambda: implicitreg.verify("no-such-suite"),
    lambda: implicitreg.certify(*ROW, theorem="XX", depth=2, alphas=["0.1"]),
])
def test_parameters_out_of_range_raise_invalid_parameter(call):
    with pytest.raises(errors.InvalidParameterError):
        call()


def test_flow_step_budget_says_what_to_change():
    with pytest.raises(errors.ConvergenceError, match="step budget"):
        implicitreg.gradient_flow([[1, 2, 3]], [1], depth=2, alpha="1e-6", method="rk45", max_steps=20)


def test_verify_and_check_from_python(tmp_path):
    rep = implicitreg.verify("basis_pursuit")
    assert rep.passed and rep.suites == ("basis_pursuit",) and len(rep.verdicts) > 10
    validate(rep.to_json(), "verify")
    from pathlib import Path

    ref = Path(implicitreg.api.__file__).parents[2] / "proofs" / "reference_certificates" / "mc_lb_equality_L3.json"
    if not ref.exists():  # installed copy
        import implicitreg.proofs as proofs

        ref = Path(proofs.__file__).parent / "reference_certificates" / "mc_lb_equality_L3.json"
    res = implicitreg.check(ref)
    assert res.passed and res.to_numpy().tolist() == [True]
    validate(res.to_json(), "check")
    forged = tmp_path / "forged.json"
    forged.write_text(ref.read_text().replace('"16"', '"17"', 1))
    bad = implicitreg.check(forged)
    assert not bad.passed and bad.to_json()["files"][0]["reason"]


def test_flow_time_budget_says_what_to_change():
    with pytest.raises(errors.ConvergenceError, match="time budget"):
        implicitreg.gradient_flow([[1, 2, 3]], [1], depth=2, alpha="1e-6", method="rk45", time_budget=0.0001)


def test_progress_indicator_is_silent_off_a_terminal(capsys):
    from implicitreg.progress import activity

    with activity("work"):
        pass
    assert capsys.readouterr().err == ""
