"""numerics.deep_linear: loss, gradient, Hessian, sharpness paths, minimizers, flows (each against an independent path)."""
import dataclasses
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics import exact
from implicitreg.numerics.instance import load_json_exact
from implicitreg.proofs.derivations import sharpness as deriv
from implicitreg.numerics.precision import mpf_from
from strategies_deep import MINIMIZER_KINDS, examples, minimizer, regression_data

DATA = dl.RegressionData.from_lists([[1, 2, 0], [0, 1, 1], [3, -1, 2], [1, 1, 1], ["1/2", 0, -1]],
                                    [1, "-2", "0.5", 2, "3/7"], name="fixed-n5-d3")
DEGENERATE = dl.RegressionData.from_lists([[1, 0, 2, -1], [0, 1, 1, 1]], [1, "-1/2"], name="n2-d4")


def _tol(dps_margin=10):
    return mpmath.mpf(10) ** (-(mpmath.mp.dps - dps_margin))


# --- data ----------------------------------------------------------------------------------------------------


def test_w_star_solves_the_normal_equations_exactly():
    w = DATA.target_exact
    Sigma, b = DATA.covariance_exact, DATA.moment_exact
    assert exact.matvec(Sigma, w) == b
    assert all(isinstance(v, Fraction) for v in w)


def test_w_star_is_minimum_norm_when_underdetermined():
    w = DEGENERATE.target_exact
    assert exact.matvec(DEGENERATE.X, w) == list(DEGENERATE.y)  # interpolates (n < d, full row rank)
    # orthogonal to ker X: the minimum-norm solution
    for v in exact.nullspace(DEGENERATE.X):
        assert sum(a * b for a, b in zip(v, w)) == 0


def test_loss_identity_and_minimal_loss():
    with mpmath.workdps(40):
        rng = np.random.default_rng(0)
        net = dl.small_init(3, 3, 0.8, rng, kind="mp")
        R = dl.loss(net, DATA)
        rmin = DATA.minimal_loss_exact
        assert abs(R - dl.excess_loss(net, DATA) - mpf_from(rmin)) < _tol()
        # no 1/2: with W_L ... W_1 = 0 the loss is (1/n) ||y||^2
        zero = net.with_weights([W * 0 for W in net.weights])
        ysq = sum(v * v for v in DATA.y) / DATA.n
        assert abs(dl.loss(zero, DATA) - mpf_from(ysq)) < _tol()


def test_bad_data_raises_specific_errors():
    with pytest.raises(InvalidInstanceError, match="shape mismatch"):
        dl.RegressionData.from_lists([[1, 2], [3, 4]], [1])
    with pytest.raises(InvalidInstanceError):
        dl.RegressionData.from_data({"X": [], "y": []})
    with pytest.raises(InvalidInstanceError, match="finite"):
        dl.RegressionData.from_data(load_json_exact('{"X": [[NaN]], "y": [1]}'))
    with pytest.raises(InvalidInstanceError, match="missing key"):
        dl.RegressionData.from_data({"A": [[1]], "y": [1]})
    zero = dl.RegressionData.from_lists([[1, 0], [0, 1]], [0, 0])
    with pytest.raises(InvalidParameterError, match="w\\* = 0"):
        dl.data_constants(zero)
    with pytest.raises(InvalidParameterError, match="w\\* = 0"):
        dl.min_sharpness(zero, 3)


def test_bad_networks_raise():
    with pytest.raises(InvalidParameterError, match="depth"):
        dl.DeepLinearNetwork((np.ones((1, 3)),))
    with pytest.raises(InvalidParameterError, match="incompatible"):
        dl.DeepLinearNetwork((np.ones((2, 3)), np.ones((1, 3))))
    with pytest.raises(InvalidParameterError, match="one row"):
        dl.DeepLinearNetwork((np.ones((2, 3)), np.ones((2, 2))))
    with pytest.raises(InvalidParameterError, match="depth"):
        dl.small_init(3, 1, 0.1, np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="depth"):
        dl.balanced_rank_one_minimizer(np.ones(3), 1)
    with pytest.raises(InvalidParameterError):
        dl.aligned_minimizer(np.zeros(3), 3, 1.0)
    with pytest.raises(InvalidParameterError, match="scale"):
        dl.small_init(3, 3, 0, np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="eta"):
        dl.deep_gradient_descent(dl.small_init(3, 2, 0.1, np.random.default_rng(0)), DATA, -1, 3)


# --- derivatives ---------------------------------------------------------------------------------------------


def _test_network(rng, head, scale, shapes, layers=3):
    """An mpf network on d = 3 inputs: residual (with a head) or plain random layers of the given shapes."""
    if head:
        return dl.residual_init(3, layers, scale, rng, kind="mp")
    return dl.DeepLinearNetwork(tuple(dl.to_mp(rng.standard_normal(s)) for s in shapes))


def _flat_grad(net, data):
    return np.concatenate([G.ravel() for G in dl.gradient(net, data)])


@pytest.mark.parametrize("head", [False, True])
def test_gradient_matches_central_differences_of_the_loss(head):
    with mpmath.workdps(60):
        rng = np.random.default_rng(1)
        net = _test_network(rng, head, 0.7, [(2, 3), (4, 2), (1, 4)])
        th = dl.flatten(net)
        v = dl.to_mp(rng.standard_normal(len(th)))
        h = mpmath.mpf(10) ** -20
        fd = (dl.loss(dl.unflatten(th + h * v, net), DATA) - dl.loss(dl.unflatten(th - h * v, net), DATA)) / (2 * h)
        assert abs(fd - np.sum(_flat_grad(net, DATA) * v)) < mpmath.mpf(10) ** -35


@pytest.mark.parametrize("head", [False, True])
def test_hessian_matches_central_differences_of_the_gradient_and_hvp(head):
    """Three paths: assembled Hessian, finite differences of the analytic gradient (h = 1e-20 at 60 digits, error
    O(h^2)), and the Hessian-vector product (directional derivative recursions)."""
    with mpmath.workdps(60):
        rng = np.random.default_rng(2)
        net = _test_network(rng, head, 1.0, [(2, 3), (3, 2), (1, 3)], layers=4)
        H = dl.hessian(net, DATA)
        assert all(H[i, j] == H[j, i] for i in range(H.shape[0]) for j in range(i))
        th = dl.flatten(net)
        h = mpmath.mpf(10) ** -20
        for _ in range(2):
            v = dl.to_mp(rng.standard_normal(len(th)))
            fd = (_flat_grad(dl.unflatten(th + h * v, net), DATA) - _flat_grad(dl.unflatten(th - h * v, net), DATA)) \
                / (2 * h)
            Hv = H @ v
            assert max(abs(x) for x in fd - Hv) < mpmath.mpf(10) ** -35
            assert max(abs(x) for x in dl.hessian_vector_product(net, DATA, v) - Hv) < mpmath.mpf(10) ** -50


def test_hessian_against_sympy_differentiation():
    check = deriv.check_hessian_symbolic()
    assert check.passed, check.detail


# --- sharpness paths at minimizers ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MINIMIZER_KINDS)
@pytest.mark.parametrize("L", [2, 3, 4])
def test_closed_form_equals_full_hessian_eigsy_to_35_digits(kind, L):
    with mpmath.workdps(50):
        w = DATA.w_star()
        net = minimizer(kind, w, L, seed=10 * L + len(kind), d=3)
        assert dl.excess_loss(net, DATA) < mpmath.mpf(10) ** -45
        exact_value = dl.sharpness_exact(net, DATA).value
        closed = dl.sharpness_closed_form(net, DATA).value
        assert abs(exact_value - closed) <= mpmath.mpf(10) ** -35 * exact_value
        lz = dl.sharpness_lanczos(net, DATA)
        # Lanczos stops on its residual bound; at a minimizer rank H <= d so it terminates in <= d + 1 steps
        assert lz.iterations <= 3 + 1
        assert abs(lz.value - exact_value) <= max(lz.error_bound, mpmath.mpf(10) ** -40 * exact_value)
        assert abs(lz.value - exact_value) <= mpmath.mpf(10) ** -35 * exact_value


def test_power_iteration_agrees_to_its_tolerance():
    with mpmath.workdps(30):
        net = minimizer("unbalanced", DATA.w_star(), 3, seed=5, d=3)
        exact_value = dl.sharpness_exact(net, DATA).value
    res = dl.sharpness_power(net.as_float(), DATA, tol=1e-10)
    # residual r bounds |S_est - lambda| for some eigenvalue; the gap to lambda_2 makes it the top one here
    assert abs(res.value - float(exact_value)) <= max(res.error_bound, 1e-12) * 1.01 + 1e-12 * abs(res.value)
    assert abs(res.value / float(exact_value) - 1) < 1e-9


def test_closed_form_is_wrong_away_from_minimizers():
    """The closed form drops the term sum_i g_i Hess(w_i): it must differ from the Hessian at a non-minimizer."""
    with mpmath.workdps(30):
        net = dl.small_init(3, 3, 1.0, np.random.default_rng(3), kind="mp")
        assert dl.excess_loss(net, DATA) > 0.01
        assert abs(dl.sharpness_exact(net, DATA).value - dl.sharpness_closed_form(net, DATA).value) > 1e-3


def test_float_and_mp_paths_agree():
    with mpmath.workdps(30):
        net = minimizer("unbalanced", DATA.w_star(), 4, seed=9, d=3)
        mp_value = dl.sharpness_exact(net, DATA).value
    f = dl.sharpness_exact(net.as_float(), DATA).value
    assert abs(f / float(mp_value) - 1) < 1e-10


def test_balanced_minimizer_metric_is_the_stated_closed_form():
    """M = ||w*||^(2-2/L) (I + (L-1) w_hat w_hat^T) for the balanced rank-one minimizer [derived]."""
    with mpmath.workdps(40):
        w = DATA.w_star()
        for L in (2, 3, 6):
            net = dl.balanced_rank_one_minimizer(w, L)
            wn = dl._norm(w)
            M = dl.end_to_end_metric(net)
            target = wn ** (2 - mpmath.mpf(2) / L) * (dl._eye(3, M) + (L - 1) * np.multiply.outer(w, w) / wn ** 2)
            assert max(abs(x) for x in (M - target).ravel()) < _tol()
            norms = [dl._norm(W) for W in net.weights]
            assert all(abs(nk - wn ** (mpmath.mpf(1) / L)) < _tol() for nk in norms)


# --- flows ----------------------------------------------------------------------------------------------------


def test_float_flow_is_scipy_rk45_and_matches_the_mpmath_flow():
    """The float64 flow (scipy's RK45) against the 30-digit flow of numerics.flow.integrate from the same start."""
    net0 = dl.small_init(2, 2, 0.5, np.random.default_rng(0))
    res = dl.gradient_flow(net0, DATA_2D, 0.5, rtol=1e-11, atol=1e-13)
    assert "solve_ivp RK45" in res.integrator and res.status == 0 and res.success and res.t == 0.5
    with mpmath.workdps(30):
        ref = dl.gradient_flow(net0.as_mp(), DATA_2D, "0.5",
                               rtol="1e-20", atol="1e-20", dps=30)
    for W, V in zip(res.net.weights, ref.net.weights):
        assert np.allclose(W, dl.to_float(V), rtol=1e-8, atol=1e-10)
    # the check can fail: a shorter horizon is told apart
    short = dl.gradient_flow(net0, DATA_2D, 0.4, rtol=1e-11, atol=1e-13)
    assert not all(np.allclose(W, dl.to_float(V), rtol=1e-8, atol=1e-10)
                   for W, V in zip(short.net.weights, ref.net.weights))


def test_float_flow_step_budget_and_frozen_result():
    net0 = dl.small_init(3, 3, 0.2, np.random.default_rng(7))
    res = dl.gradient_flow(net0, DATA, 1e4, rtol=1e-9, atol=1e-13, max_steps=3)
    assert res.status == -1 and not res.success and "max_steps" in res.message
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.status = 0
    assert res.to_json()["status"] == -1 and not hasattr(dl, "gradient_descent") and not hasattr(dl, "FlowResult")


def test_float_flow_that_diverges_is_reported_not_warned(recwarn):
    """A float64 flow from a huge start overflows: the result says so (status -1, not success), and no numpy
    RuntimeWarning reaches stderr."""
    net0 = dl.small_init(3, 3, 0.2, np.random.default_rng(7))
    huge = dataclasses.replace(net0, weights=tuple(W * 1e60 for W in net0.weights))
    res = dl.gradient_flow(huge, DATA, 1e3, rtol=1e-9, atol=1e-13, max_steps=2000)
    assert res.status == -1 and not res.success
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_imbalances_conserved_by_mpmath_flow_to_tolerance():
    """integrate(rk45) at 30 digits, rtol = 1e-12: drift ~ rtol, far below the O(1) imbalances."""
    from implicitreg.proofs.suites.deep_linear import imbalance_drift_mp

    drift, scale, res = imbalance_drift_mp(DATA, L=3, s=0.5, t_end="0.5", dps=30, rtol="1e-12")
    assert res.status == 0
    assert drift <= 100 * mpmath.mpf("1e-12") * scale
    # and the imbalances are not trivially zero: the check could fail
    with mpmath.workdps(30):
        net0 = dl.small_init(3, 3, 0.5, np.random.default_rng(4), kind="mp")
        assert max(dl._norm(D) for D in dl.imbalances(net0)) > mpmath.mpf("0.1")
        # the flow moved the weights by much more than the drift
        moved = max(dl._norm(a - b) for a, b in zip(res.net.weights, net0.weights))
        assert moved > 10 ** 6 * drift


def test_mp_flow_uses_the_shared_integrator():
    with mpmath.workdps(20):
        net0 = dl.small_init(2, 2, 0.5, np.random.default_rng(0), kind="mp")
        res = dl.gradient_flow(net0, DATA_2D, "0.1", rtol="1e-8", atol="1e-8", dps=20)
    assert "numerics.flow.integrate" in res.integrator and res.status == 0


DATA_2D = dl.RegressionData.from_lists([[1, 2], [0, 1], [3, -1]], [1, -2, "1/2"])


def test_gradient_descent_drifts_linearly_in_eta():
    from implicitreg.proofs.checks import loglog_slope
    from implicitreg.proofs.suites.deep_linear import gd_drift

    etas = (0.02, 0.01, 0.005)
    drifts = gd_drift(DATA, etas)
    slope = float(loglog_slope(etas, drifts))
    assert abs(slope - 1) < 0.1
    assert drifts[-1] > 1e-6  # GD does not conserve D_k (unlike GF)


def test_gradient_flow_float_reaches_a_minimizer():
    net0 = dl.small_init(3, 3, 0.2, np.random.default_rng(7))
    res = dl.gradient_flow(net0, DATA, 1e4, rtol=1e-9, atol=1e-13, stop_excess_loss=1e-13)
    assert res.status == 1
    assert dl.excess_loss(res.net, DATA) <= 1e-13
    w = dl.end_to_end(res.net)
    assert np.linalg.norm(w - DATA.w_star("float")) < 1e-5


@settings(max_examples=examples(10, 300))
@given(regression_data(n=(1, 5), d=(1, 3)), st.integers(2, 5), st.sampled_from(MINIMIZER_KINDS), st.integers(0, 99))
def test_sampled_minimizers_are_minimizers(data, L, kind, seed):
    with mpmath.workdps(30):
        w = data.w_star()
        net = minimizer(kind, w, L, seed, data.d)
        assert dl.excess_loss(net, data) <= mpmath.mpf(10) ** -20 * (1 + dl._norm(w) ** 2)
