"""Hardening (issue 13), third set: the vectorised paths against the one-network paths (batched GD, the GELU MLP),
minimizer closed forms (deep_linear.md), the ODE error norm, the flows' stall detection and w* = 0 refusals.
"""
from __future__ import annotations

import re
import warnings

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics import flow, gelu_mlp
from implicitreg.numerics.batched_gd import batched_gradient_descent
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.ode import _norm


def data2():
    return dl.RegressionData.from_lists([[1, 0], [0, 2], [1, 1]], [1, 2, 0])


# --- batched GD against the one-network GD ------------------------------------------------------------------

def test_batched_gd_matches_single_runs_and_reports_divergence():
    data = data2()
    nets = [dl.small_init(2, 3, 0.5, np.random.default_rng(s)) for s in (1, 2, 3)]
    W = [np.stack([n.weights[k] for n in nets]) for k in range(3)]
    etas = [0.05, 0.02, 50.0]
    res = batched_gradient_descent(W, None, data, etas, 6)
    for i in (0, 1):
        single = dl.deep_gradient_descent(nets[i], data, etas[i], 6)
        for a, b in zip(res.network(i).weights, single.net.weights):
            assert np.allclose(a, b, rtol=1e-12, atol=1e-14)
        assert abs(res.loss[i] - dl.loss(single.net, data)) <= 1e-12 * max(1, dl.loss(single.net, data))
        assert not res.diverged[i] and res.diverged_at[i] == -1
    single = dl.deep_gradient_descent(nets[2], data, etas[2], 6)
    assert single.status == -1
    assert res.diverged[2] and np.isnan(res.loss[2]) and res.diverged_at[2] == single.t
    assert res.steps == 6


# --- the GELU MLP: backpropagation, complex-step Hessian and batched GD against independent computations ------

def test_gelu_mlp_gradient_hessian_and_gd():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    net = gelu_mlp.small_init(3, 3, 0.8, rng)
    theta = net.flat()
    g = np.concatenate([G.ravel() for G in gelu_mlp.gradient(net, X, y)])
    h = 1e-6
    fd = np.array([(gelu_mlp.loss(net.with_flat(theta + h * e), X, y) - gelu_mlp.loss(net.with_flat(theta - h * e), X, y))
                   / (2 * h) for e in np.eye(len(theta))])
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-8)
    H = gelu_mlp.hessian(net, X, y)
    grad = lambda t: np.concatenate([G.ravel() for G in gelu_mlp.gradient(net.with_flat(t), X, y)])  # noqa: E731
    Hfd = np.array([(grad(theta + h * e) - grad(theta - h * e)) / (2 * h) for e in np.eye(len(theta))])
    assert np.allclose(H, (Hfd + Hfd.T) / 2, rtol=1e-5, atol=1e-7)
    assert abs(gelu_mlp.sharpness(net, X, y) - np.linalg.eigvalsh(H)[-1]) < 1e-12
    # batched GD = the one-network update repeated; a run with a huge step diverges and is reported
    eta = 0.1
    one = net
    for _ in range(4):
        one = gelu_mlp.MLP(tuple(W - eta * G for W, G in zip(one.weights, gelu_mlp.gradient(one, X, y))))
    runs = gelu_mlp.mlp_gradient_descent([net, net], X, y, eta, 4)
    assert not runs.diverged.any()
    for a, b in zip(runs.nets[1].weights, one.weights):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)
    assert abs(runs.loss[0] - gelu_mlp.loss(one, X, y)) < 1e-12
    big = gelu_mlp.MLP(tuple(50 * W for W in net.weights))
    runs = gelu_mlp.mlp_gradient_descent([net, big], X, y, 10.0, 30)
    assert list(runs.diverged) == [False, True]
    assert np.isfinite(runs.loss[0]) and np.isnan(runs.loss[1])
    assert all(np.isnan(W).all() for W in runs.nets[1].weights) and np.isfinite(runs.nets[0].flat()).all()


# --- minimizers: closed forms ------------------------------------------------------------------------------

def test_aligned_minimizer_metric_and_balanced_layer_norms():
    w = np.array([1.0, 2.0])
    for L, t in ((2, 0.5), (3, 2.0), (4, 1.5)):
        net = dl.aligned_minimizer(w, L, t)
        assert np.allclose(dl.end_to_end(net), w, rtol=1e-14)
        M = t * np.eye(2) + (L - 1) * t ** (-1 / (L - 1)) * np.outer(w, w)
        assert np.allclose(dl.end_to_end_metric(net), M, rtol=1e-12)
    for L in (2, 3, 5):
        net = dl.balanced_rank_one_minimizer(w, L)
        norms = [np.linalg.norm(W) for W in net.weights]
        assert np.allclose(norms, 5 ** (1 / (2 * L)), rtol=1e-12)   # ||w*||^(1/L), ||w*|| = sqrt 5
        assert np.allclose(dl.end_to_end(net), w, rtol=1e-14)


def test_random_minimizer_is_a_minimizer():
    w = np.array([1.0, -2.0, 0.5])
    rng = np.random.default_rng(7)
    net = dl.random_minimizer(w, 3, [4, 2], rng)
    assert np.allclose(dl.end_to_end(net), w, rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="need 2 widths"):
        dl.random_minimizer(w, 3, [4], rng)


def test_zero_target_is_refused():
    data = dl.RegressionData.from_lists([[1, 0], [0, 1]], [0, 0])
    for f in (lambda: dl.data_constants(data), lambda: dl.min_sharpness(data, 2, dps=15),
              lambda: dl.balanced_sharpness(data, 2, dps=15)):
        with pytest.raises(InvalidParameterError, match="w\\* = 0"):
            f()


# --- ODE error norm -------------------------------------------------------------------------------------------

def test_error_norm_is_max_over_components_with_the_larger_state():
    with mpmath.workdps(30):
        one = mpf(1)
        assert _norm([one], [mpf(0)], [mpf(10)], one, mpf(0)) == mpf("0.1")
        assert _norm([one], [mpf(10)], [mpf(0)], one, mpf(0)) == mpf("0.1")
        assert _norm([one], [mpf(-4)], [mpf(1)], one, mpf(0)) == mpf("0.25")
        assert _norm([one], [one], [one], one, one) == mpf("0.5")        # atol + rtol |y|
        assert _norm([mpf(1), mpf(-3)], [one, one], [one, one], mpf(1), mpf(0)) == 3
        assert _norm([mpf(-3), mpf(1)], [one, one], [one, one], mpf(1), mpf(0)) == 3


# --- flows: the stall is detected at 10^30 times the flow's time scale --------------------------------------

def test_stalled_flow_is_detected_near_its_horizon():
    inst = Instance.from_lists([[1, 2]], [1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # float64 Jacobians overflow at t ~ 1e30
        with pytest.raises(ConvergenceError, match="stalled") as err:
            flow.reduced_flow(inst, 2, "1e-60", tol="1e-40", dps=15)
    t = float(re.search(r"\(t = ([0-9.e+]+)\)", str(err.value)).group(1))
    horizon = 1e30 * (1 + 60 * np.log(10)) / 4  # 10^30 (1 + log(1/alpha)) / c_2, c_2 = 4
    assert horizon < t <= 6 * horizon           # the first accepted step beyond it (steps grow <= 5x)
