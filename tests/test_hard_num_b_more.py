"""Hardening (issue 13), second set: iterative methods that must refuse to return when they ran out of iterations
(Lanczos, power iteration, gradient descent, the flows), exact residuals, and the remaining input refusals of
numerics.instance and the deep-linear model.
"""
from __future__ import annotations

import warnings
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidInstanceError, InvalidParameterError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics import flow
from implicitreg.numerics.instance import Instance, read_data_file, read_json_file, read_vector
from implicitreg.numerics.integer_form import IntegerRows


def generic_point():
    """A float network away from any minimizer (its Hessian has distinct, non-degenerate top eigenvalues)."""
    data = dl.RegressionData.from_lists([[1, 0, 1], [0, 2, 1], [1, 1, 0]], [1, 2, 3])
    net = dl.small_init(3, 2, 0.7, np.random.default_rng(5))
    return net, data


# --- iterative eigenvalue methods: running out of iterations is an error, not a result -------------------------

def test_lanczos_raises_when_iterations_run_out_before_the_residual_is_small():
    net, data = generic_point()
    assert net.num_parameters == 12
    with pytest.raises(ConvergenceError, match="Lanczos: residual"):
        dl.sharpness_lanczos(net, data, tol=1e-300, max_iter=3)
    full = dl.sharpness_lanczos(net, data)   # the Krylov space is exhausted at N = 12 steps at the latest
    exact = dl.sharpness_exact(net, data).value
    assert abs(full.value - exact) <= 1e-9 * abs(exact)
    assert full.error_bound <= 1e-12 * max(abs(full.value), 1) or full.iterations == 12


def test_power_iteration_raises_when_iterations_run_out():
    net, data = generic_point()
    with pytest.raises(ConvergenceError, match="power iteration: residual"):
        dl.sharpness_power(net, data, tol=1e-300, max_iter=5)


# --- flows and gradient descent that do not get there ----------------------------------------------------------

def test_gradient_descent_step_budget_and_divergence():
    inst = Instance.from_lists([[1]], [1])
    with pytest.raises(ConvergenceError, match="did not reach residual .* in 3 steps"):
        flow.gradient_descent(inst, 2, "0.01", "0.1", dps=20, max_steps=3, compute_limit=False)
    with pytest.raises(ConvergenceError, match="diverged|left the domain"):
        flow.gradient_descent(inst, 2, "0.5", "50", dps=20, max_steps=200, compute_limit=False)
    with pytest.raises(InvalidParameterError):
        flow.gradient_descent(inst, 2, "0.5", 0, dps=20, compute_limit=False)


def test_flow_that_fails_is_an_error_not_a_result():
    inst = Instance.from_lists([[1, 2]], [1])
    with pytest.raises(ConvergenceError, match="the reduced flow failed"):
        flow.reduced_flow(inst, 2, "0.1", t_final=100, until_converged=False, dps=15, max_steps=2)
    with pytest.raises(ConvergenceError, match="the reduced flow did not reach"):
        flow.reduced_flow(inst, 2, "0.1", t_final="0.01", until_converged=True, dps=15)
    res = flow.reduced_flow(inst, 2, "0.1", t_final="0.01", until_converged=False, dps=15)
    assert not res.converged and res.status == 0 and res.residual[-1] > res.tol


# --- exact residual of a binary vector -----------------------------------------------------------------------

def test_residual_inf_is_exact():
    A = [[F(1, 3), F(2)], [F(1), F(-1, 2)]]
    rows = IntegerRows(A)
    with mpmath.workdps(30):
        x = [mpf("0.5"), mpf("-0.25")]
        y = [F(1, 7), F(3)]
        # A x = (1/6 - 1/2, 1/2 + 1/8) = (-1/3, 5/8); residuals (-10/21, -19/8)
        assert rows.residual_inf(x, y) == mpmath.mpf(19) / 8
        assert rows.residual_inf([mpf(0), mpf(0)], y) == 3
        assert rows.residual_inf([mpf(3), mpf(0)], [F(1), F(3)]) == 0


# --- remaining input refusals ----------------------------------------------------------------------------------

def test_read_vector_length_and_empty_inputs(tmp_path):
    assert read_vector({"y": [1, 2]}, "y", 2) == [F(1), F(2)]
    for n in (1, 3):
        with pytest.raises(InvalidInstanceError, match="y has 2 entries but must have"):
            read_vector({"y": [1, 2]}, "y", n)
    with pytest.raises(InvalidInstanceError, match="non-empty"):
        read_vector({"y": []}, "y")
    p = tmp_path / "e.json"
    p.write_text("  \n")
    with pytest.raises(InvalidInstanceError, match="is empty"):
        read_json_file(p)
    with pytest.raises(InvalidInstanceError, match="it is a directory"):
        read_json_file(tmp_path)
    q = tmp_path / "one.csv"
    q.write_text("1\n2\n")
    with pytest.raises(InvalidInstanceError, match="at least two columns"):
        read_data_file(q)


def test_csv_header_is_skipped_only_when_it_names_y(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("# comment\na,b,y\n1,2,3\n\n4,5,6\n")
    assert Instance.load(p).y == (F(3), F(6))
    p.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInstanceError):
        Instance.load(p)


def test_network_shape_and_minimizer_refusals():
    with pytest.raises(InvalidParameterError, match="incompatible"):
        dl.DeepLinearNetwork((np.ones((2, 3)), np.ones((1, 3))))
    with pytest.raises(InvalidParameterError, match="one row"):
        dl.DeepLinearNetwork((np.ones((2, 3)), np.ones((2, 2))))
    with pytest.raises(InvalidParameterError, match="head has 3 entries"):
        dl.DeepLinearNetwork((np.ones((2, 3)), np.ones((2, 2))), head=np.ones(3))
    with pytest.raises(InvalidParameterError, match="depth L must be >= 2"):
        dl.DeepLinearNetwork((np.ones((1, 3)),))
    w = np.array([1.0, 2.0])
    for t in (0, -1.0):
        with pytest.raises(InvalidParameterError, match="t must be > 0"):
            dl.aligned_minimizer(w, 3, t)
    with pytest.raises(InvalidParameterError, match="need 2 hidden widths"):
        dl.aligned_minimizer(w, 3, 1.0, widths=[2])
    with pytest.raises(InvalidParameterError, match="w\\* = 0"):
        dl.aligned_minimizer(np.zeros(2), 3, 1.0)
    net = dl.aligned_minimizer(w, 3, 2.0)
    assert np.allclose(dl.end_to_end(net), w)


def test_deep_gradient_descent_statuses():
    data = dl.RegressionData.from_lists([[1, 0], [0, 2]], [1, 2])
    net0 = dl.small_init(2, 2, 0.3, np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # divergence is reported by the status, not by numpy warnings
        res = dl.deep_gradient_descent(net0, data, 5.0, 50)
    assert res.status == -1 and not res.success and "diverged" in res.message
    res = dl.deep_gradient_descent(net0, data, 0.05, 4000, stop_excess_loss=1e-8)
    assert res.status == 1 and dl.excess_loss(res.net, data) <= 1e-8 and res.nsteps < 4000
    res = dl.deep_gradient_descent(net0, data, 0.05, 3)
    assert res.status == 0 and res.nsteps == 3 and res.t == 3
