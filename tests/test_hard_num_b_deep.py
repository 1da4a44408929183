"""Hardening (issue 13): deep linear networks (data constants, S_LB / S_bal / S_min closed forms, power iteration's
relative stop, the float flow's stop margin, refusals), numerics.quantities read field by field, GELU and batched GD.

Closed forms (``deep_linear.md`` / the docstrings): with X = diag(x) and y = c x_j e_j, Sigma = diag(x^2 / n) and
w* = c e_j, an eigenvector with eigenvalue mu = x_j^2 / n; then a = a' = mu, S_LB = 2 L mu ||w*||^(2-2/L),
S_bal = 2 ||w*||^(2-2/L) max(L mu, max_{i != j} x_i^2 / n), and the S_min objective at t is
2 max(t mu + (L-1) t^(-1/(L-1)) mu ||w*||^2, t max_{i != j} x_i^2 / n).
"""
from __future__ import annotations

import math
from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics import quantities as Q
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics.batched_gd import batched_gradient_descent
from implicitreg.numerics.gelu_mlp import gelu
from implicitreg.numerics.instance import Instance


def close(a, b, eps=mpf(10) ** -25):
    return abs(mpf(a) - mpf(b)) <= eps * max(1, abs(mpf(b)))


def diag_data():
    """X = diag(1, 2), y = (1, 2): Sigma = diag(1/2, 2), b = (1/2, 2), w* = (1, 1)."""
    return dl.RegressionData.from_lists([[1, 0], [0, 2]], [1, 2])


def eigen_data():
    """X = diag(2, 1), y = (4, 0): Sigma = diag(2, 1/2), w* = (2, 0), mu = 2, ||w*|| = 2."""
    return dl.eigenvector_data([2, 1], 0, 2)


# --- data constants ----------------------------------------------------------------------------------------------

def test_data_constants_by_hand():
    with mpmath.workdps(30):
        c = dl.data_constants(diag_data())
        assert close(c.lambda_min, "0.5") and close(c.Lambda, 2) and close(c.kappa, 4)
        assert close(c.w_norm, mpmath.sqrt(2))
        assert close(c.a, "1.25")        # (1/2 + 2) / 2
        assert close(c.a_prime, "1.7")   # (1/4 + 4) / (5/2)
    f = dl.data_constants(diag_data(), "float")
    assert abs(f.a - 1.25) < 1e-14 and abs(f.a_prime - 1.7) < 1e-14 and abs(f.kappa - 4) < 1e-13


@pytest.mark.parametrize("kind", ["mp", "float"])
def test_singular_covariance_has_infinite_kappa(kind):
    # Sigma = [[1, 1], [1, 1]] is singular; its rounded smallest eigenvalue need not be exactly 0
    for dps in (15, 30):
        with mpmath.workdps(dps):
            c = dl.data_constants(dl.RegressionData.from_lists([[1, 1], [1, 1]], [1, 1]), kind)
            assert c.lambda_min == 0 and math.isinf(c.kappa) and c.kappa > 0


def test_minimal_loss_and_loss_convention():
    d = dl.RegressionData.from_lists([[1], [1]], [0, 2])  # w* = 1, residuals (-1, 1)
    assert d.target_exact == [F(1)] and d.minimal_loss_exact == 1   # 1/n, no 1/2
    net = dl.DeepLinearNetwork((np.eye(2), np.array([[1.0, 1.0]])))  # w = (1, 1)
    data = dl.RegressionData.from_lists([[1, 0], [0, 2]], [0, 0])
    assert dl.loss(net, data) == 2.5   # ((1)^2 + (2)^2) / 2
    assert dl.LOSS_CONVENTION == "1/n, no 1/2"


def test_data_refusals():
    with pytest.raises(InvalidParameterError, match="skew-symmetric"):
        dl.rational_orthogonal([[0, 1], [1, 0]])
    Qm = dl.rational_orthogonal([[0, F(1, 2)], [F(-1, 2), 0]])
    assert [[sum(Qm[k][i] * Qm[k][j] for k in range(2)) for j in range(2)] for i in range(2)] == [[1, 0], [0, 1]]
    with pytest.raises(InvalidParameterError, match="nonzero"):
        dl.eigenvector_data([1, 0], 0, 1)
    with pytest.raises(InvalidParameterError, match="nonzero"):
        dl.eigenvector_data([0, 3], 1, 1)
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidParameterError, match="scale s must be > 0"):
        dl.small_init(2, 2, 0, rng)
    assert dl.residual_init(2, 2, 0, rng).depth == 2
    for depth in (1, 0, True, 2.5, "5/2", None):
        with pytest.raises(InvalidParameterError, match=r"^depth must be an integer >= 2 \(the layers L"):
            dl.aligned_minimizer(np.array([1.0, 0.0]), depth, 1.0)
    # an integral value is read exactly as its integer (one reading for every deep linear entry point)
    for depth in (2.0, "2", np.int64(2)):
        assert dl.aligned_minimizer(np.array([1.0, 0.0]), depth, 1.0).depth == 2


# --- S_LB, S_bal, S_min -----------------------------------------------------------------------------------------

def test_balanced_sharpness_closed_form():
    data = eigen_data()
    with mpmath.workdps(30):
        for L in (2, 3, 5):
            expected = 2 * mpf(2) ** (2 - mpf(2) / L) * max(2 * L, mpf(1) / 2)
            assert close(dl.balanced_sharpness(data, L), expected)
    # w* along the small eigenvalue: S_bal = 2 ||w*||^(2-2/L) max(L/2, 2)
    with mpmath.workdps(30):
        assert close(dl.balanced_sharpness(dl.eigenvector_data([2, 1], 1, 1), 2), 4)   # max(1, 2) = 2
        assert close(dl.balanced_sharpness(dl.eigenvector_data([2, 1], 1, 1), 5), 5)   # max(5/2, 2)


def test_min_sharpness_objective_closed_form():
    with mpmath.workdps(30):
        data = eigen_data()
        S, w = data.sigma("mp"), data.w_star("mp")
        for L, t in ((3, mpf(1)), (2, mpf("0.5")), (4, mpf(3))):
            c = (L - 1) * t ** (-mpf(1) / (L - 1))
            expected = 2 * max(2 * t + c * 2 * 4, t / 2)
            assert close(dl.min_sharpness_objective(S, w, L, t), expected)


def test_min_sharpness_equals_lower_bound_on_the_equality_family_with_its_bracket():
    data = eigen_data()
    r = dl.min_sharpness(data, 2, dps=20)
    with mpmath.workdps(20):
        # minimum of 2 (2 t + 8 / t) at t = 2: 16 = S_LB = 2 * 2 * 2 * 2
        assert abs(r.value - 16) < mpf(10) ** -17 and abs(r.t - 2) < mpf(10) ** -8
        assert 0 < r.log_t_width <= mpf(10) ** -20 and r.iterations > 0


def test_S_LB_quantity_and_deep_linear_run():
    run = Q.DeepLinearRun(eigen_data(), 3, dps=30)
    with mpmath.workdps(30):
        assert close(Q.S_LB(run), 2 * 3 * 2 * mpf(2) ** (mpf(4) / 3))
        assert close(Q.a(run), 2) and close(Q.a_prime(run), 2) and close(Q.w_norm(run), 2)
    assert Q.L(run) == 3 and Q.n_samples(run) == 2 and Q.d(run) == 2
    for depth in (1, 0, 2.5, True, "2.5", "5/2", float("nan"), float("inf"), None):
        with pytest.raises(InvalidParameterError, match="integer >= 2"):
            Q.DeepLinearRun(eigen_data(), depth)
    assert Q.DeepLinearRun(eigen_data(), "3").depth == 3 and Q.DeepLinearRun(eigen_data(), F(6, 2)).depth == 3
    with pytest.raises(InvalidParameterError, match="needs the init scale"):
        Q.sharpness(run)


# --- power iteration: the stop is relative ------------------------------------------------------------------------

def test_power_iteration_residual_is_relative_to_the_sharpness():
    small = dl.RegressionData.from_lists([["0.001", 0], [0, "0.002"]], ["0.001", "0.002"])  # Sigma ~ 1e-6
    net = dl.balanced_rank_one_minimizer(small.w_star("float"), 2)
    r = dl.sharpness_power(net, small, tol=1e-9)
    exact = dl.sharpness_exact(net, small).value
    assert r.error_bound <= 1e-9 * abs(r.value)
    assert abs(r.value - exact) <= 1e-7 * exact


# --- float flow stop margin, GD refusals ---------------------------------------------------------------------------

def test_float_flow_stops_below_the_requested_excess_loss():
    data = diag_data()
    net0 = dl.small_init(2, 2, 0.3, np.random.default_rng(3))
    res = dl.gradient_flow(net0, data, 1e4, stop_excess_loss=1e-6)
    assert res.status == 1 and res.success
    assert dl.excess_loss(res.net, data) <= 1e-6


def test_step_sizes_must_be_positive():
    data = diag_data()
    net0 = dl.small_init(2, 2, 0.1, np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="eta must be > 0"):
        dl.deep_gradient_descent(net0, data, 0, 3)
    W = [np.stack([W]) for W in net0.weights]
    with pytest.raises(ValueError, match="every step size must be > 0"):
        batched_gradient_descent(W, None, data, 0.0, 1)
    with pytest.raises(ValueError, match="every step size must be > 0"):
        batched_gradient_descent([np.concatenate([w, w]) for w in W], None, data, [0.1, 0.0], 1)


def test_gelu_tanh_approximation_constants():
    # Hendrycks & Gimpel: gelu(x) ~ x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    for x in (1.0, -2.0, 3.0):
        expected = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        assert abs(gelu(np.array([x]))[0] - expected) < 1e-13
    assert abs(gelu(np.array([1.0]))[0] - 0.8411919906082768) < 1e-12


# --- diagonal quantities, read from given run parts (cached properties filled by hand) ----------------------------

def diagonal_run(depth=2, alpha="1/8", convention="product"):
    inst = Instance.from_lists([[1, 0], [0, 1]], [1, -2])
    run = Q.DiagonalRun(inst, depth, alpha, alpha_convention=convention)
    run.__dict__["constants"] = SimpleNamespace(x_star=[F(1), F(-2)], rho=F(1, 2), K2=F(3), support=(0, 1), n=2)
    run.__dict__["bp"] = SimpleNamespace(value=F(3))
    run.__dict__["limit"] = SimpleNamespace(x=[mpf("1.25"), mpf("-2.5")], dps=30, alpha_product=mpf(1) / 8)
    run.__dict__["posterior"] = SimpleNamespace(rho_minus=mpf("0.3"), K1=mpf(7), eps=mpf("0.01"), rho_a=mpf("0.4"))
    return run


def test_diagonal_quantities_field_by_field():
    with mpmath.workdps(30):
        run = diagonal_run()
        assert Q.kappa_lb(run) == F(1, 8)                  # (1 - 1/2) / (1 + 3)
        assert Q.x_star_l1(run) == 3
        assert Q.err_inf(run) == mpf("0.5")                # difference (0.25, -0.5)
        assert Q.err_l1(run) == mpf("0.75")
        assert close(Q.err_l2(run), mpmath.sqrt(mpf("0.3125")))
        assert Q.x_inf_l1(run) == mpf("3.75") and Q.gap(run) == mpf("0.75")
        assert Q.rho_minus(run) == mpf("0.3")
        run.__dict__["posterior"] = SimpleNamespace(rho_minus=mpf("-0.2"))
        assert Q.rho_minus(run) == 0
        assert Q.s(run) == 2 and Q.rho(run) == F(1, 2) and Q.K2(run) == 3 and Q.m(run) == 2 and Q.N(run) == 2


def test_alpha_conventions_in_quantities():
    with mpmath.workdps(30):
        run = diagonal_run(3, "1/8")
        assert Q.alpha_product(run) == F(1, 8) and close(Q.alpha_factor(run), "0.5")
        run = diagonal_run(3, "1/2", "factor")                 # limit.alpha_product = (1/2)^3
        assert Q.alpha_product(run) == mpf(1) / 8 and Q.alpha_factor(run) == F(1, 2)


def test_depth_two_guards_and_problem_mismatch():
    run = diagonal_run(2)
    with pytest.raises(HypothesisNotMetError, match="D > 2"):
        Q.M0(run)
    with pytest.raises(HypothesisNotMetError, match="D > 2"):
        Q.E1(run)
    with pytest.raises(InvalidParameterError, match="belongs to deep-linear networks"):
        Q.compute("S_LB", run)
    with pytest.raises(InvalidParameterError, match="belongs to diagonal networks"):
        Q.compute("err_inf", Q.DeepLinearRun(eigen_data(), 2))
    assert Q.compute("kappa_lb", run) == F(1, 8)
