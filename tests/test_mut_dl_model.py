"""Direct tests of numerics/deep_linear/model.py for the ``dl-model`` mutation target: the loss with its 1/n
normalization (no 1/2: docs/theory/deep_linear.md, the authors' code), the excess loss, the derivatives against
central finite differences of the loss (an independent path), the imbalances and the initializations' laws.
Expected values are worked out by hand in each docstring.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import deep_linear as dl

OFFSET = dl.RegressionData.from_lists([[1], [1]], [1, 3], name="offset")     # w* = 2, R_min = 1
DIAG = dl.RegressionData.from_lists([[2, 0], [0, 4]], [2, 0], name="diag")   # Sigma = diag(2, 8), w* = e_1


def net_of(*layers, kind="float"):
    net = dl.DeepLinearNetwork(tuple(np.array(W, dtype=float) for W in layers))
    return net.as_mp() if kind == "mp" else net


def test_loss_is_one_over_n_times_the_squared_residual_without_a_half():
    assert dl.LOSS_CONVENTION == "1/n, no 1/2"
    # OFFSET at w = 3: residuals (1 - 3, 3 - 3): (4 + 0) / 2 = 2; excess (w - w*)^2 Sigma = 1 = 2 - R_min
    net = net_of([[3.0]], [[1.0]])
    assert dl.loss(net, OFFSET) == 2.0 and dl.excess_loss(net, OFFSET) == 1.0
    # DIAG at w = (1, 1): X w = (2, 4), residual (0, -4): 16 / 2 = 8; excess (0, 1) Sigma (0, 1) = 8
    net = net_of([[1.0, 1.0]], [[1.0]])
    assert dl.loss(net, DIAG) == 8.0 and dl.excess_loss(net, DIAG) == 8.0
    with mpmath.workdps(30):
        mp = net_of([[0.5, 1.0], [1.0, 0.0]], [[2.0, 1.0]], kind="mp")            # w = (2, 2): X w = (4, 8)
        assert dl.loss(mp, DIAG) == (4 + 64) / mpmath.mpf(2)                     # residual (-2, -8)
        assert dl.excess_loss(mp, DIAG) == 2 * 1 + 8 * 4                         # (1, 2) Sigma (1, 2)


def fd_gradient(f, theta, h=1e-6):
    out = np.zeros_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


def loss_at(net, data):
    return lambda theta: dl.loss(dl.unflatten(theta, net), data)


@pytest.mark.parametrize("head", [False, True])
def test_gradient_and_hessian_agree_with_finite_differences_of_the_loss(head):
    rng = np.random.default_rng(3)
    if head:
        net = dl.DeepLinearNetwork(tuple(rng.standard_normal((2, 2)) for _ in range(3)), np.array([1.0, 0.5]))
    else:
        net = dl.DeepLinearNetwork(tuple(rng.standard_normal(s) for s in ((2, 2), (2, 2), (1, 2))))
    theta = dl.flatten(net)
    f = loss_at(net, DIAG)
    grad = np.concatenate([g.ravel() for g in dl.gradient(net, DIAG)])
    assert np.allclose(grad, fd_gradient(f, theta), rtol=1e-6, atol=1e-6)
    H = dl.hessian(net, DIAG)
    fd_H = np.array([fd_gradient(lambda t: fd_gradient(f, t, 1e-4)[i], theta, 1e-4) for i in range(len(theta))])
    assert np.allclose(H, fd_H, rtol=1e-4, atol=1e-4) and np.allclose(H, H.T)
    v = rng.standard_normal(len(theta))
    assert np.allclose(dl.hessian_vector_product(net, DIAG, v), H @ v, rtol=1e-10, atol=1e-10)


def test_hessian_of_the_scalar_network_by_hand():
    """R = (c - ab)^2 (OFFSET shifted: data X = 1 twice, y = (3, 3)): H = [[2b^2, 4ab - 2c], [4ab - 2c, 2a^2]]."""
    data = dl.RegressionData.from_lists([[1], [1]], [3, 3])
    with mpmath.workdps(30):
        net = net_of([[1.0]], [[2.0]], kind="mp")
        H = dl.hessian(net, data)
        assert [[H[i, j] for j in range(2)] for i in range(2)] == [[8, 2], [2, 2]]
        g = dl.gradient(net, data)
        assert g[0][0, 0] == -2 * 2 * (3 - 2) and g[1][0, 0] == -2 * 1 * (3 - 2)
        hv = dl.hessian_vector_product(net, data, dl.flatten(net) * 0 + np.array([1, -1], dtype=object))
        assert list(hv) == [8 - 2, 2 - 2]


def test_jacobian_and_end_to_end_metric():
    """w = (W_2 W_1)^T: J = dw/dtheta; M = J J^T = sum_k ||u_k||^2 V_{k-1}^T V_{k-1}."""
    net = net_of([[1.0, 2.0], [0.0, 1.0]], [[3.0, -1.0]])                        # w^T = (3, 5)
    J = dl.jacobian(net)
    theta = dl.flatten(net)
    fd = np.array([fd_gradient(lambda t: dl.end_to_end(dl.unflatten(t, net))[i], theta) for i in range(2)])
    assert np.allclose(J, fd, atol=1e-8)
    M = dl.end_to_end_metric(net)
    W1, W2 = net.weights
    assert np.allclose(M, 10 * np.eye(2) + W1.T @ W1) and np.allclose(M, J @ J.T)    # ||u_1||^2 = |W_2|^2 = 10


def test_imbalances_by_hand():
    net = net_of([[1.0, 2.0], [0.0, 1.0]], [[3.0, -1.0]])
    D = dl.imbalances(net)
    assert len(D) == 1 and np.array_equal(D[0], np.array([[9, -3], [-3, 1]]) - np.array([[5, 2], [2, 1]]))
    three = net_of([[2.0]], [[3.0]], [[5.0]])
    assert [float(d[0, 0]) for d in dl.imbalances(three)] == [9 - 4, 25 - 9]


def test_small_init_draws_scale_times_standard_normals_in_layer_order():
    net = dl.small_init(3, 3, 0.5, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    want = [0.5 * rng.standard_normal(s) for s in ((3, 3), (3, 3), (1, 3))]
    assert net.head is None and all(np.array_equal(a, b) for a, b in zip(net.weights, want))
    mp = dl.small_init(2, 2, 0.25, np.random.default_rng(7), kind="mp")
    assert isinstance(mp.weights[0][0, 0], mpmath.mpf)
    from implicitreg.errors import InvalidParameterError

    for bad in (0, -1):
        with pytest.raises(InvalidParameterError, match="^scale s must be > 0, got"):
            dl.small_init(2, 2, bad, np.random.default_rng(0))


def test_residual_init_is_identity_plus_scaled_noise_with_a_unit_head():
    net = dl.residual_init(2, 4, 0.6, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    want = [np.eye(2) + 0.6 / np.sqrt(4 * 2) * rng.standard_normal((2, 2)) for _ in range(4)]
    assert all(np.allclose(a, b) for a, b in zip(net.weights, want))
    assert np.array_equal(net.head, [1.0, 0.0])
    zero = dl.residual_init(3, 2, 0, np.random.default_rng(9), head=[0, 1, 0])
    assert all(np.array_equal(W, np.eye(3)) for W in zero.weights) and np.array_equal(zero.head, [0, 1, 0])
    from implicitreg.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="^scale s must be >= 0, got"):
        dl.residual_init(2, 2, -0.1, np.random.default_rng(0))


def test_data_arrays_are_converted_per_precision_and_handed_out_as_copies():
    """X = diag(2/3, 4/3): its entry 2/3 is read at the working precision of each call (15, then 50 digits), not at
    the precision of the first; Sigma = diag(2, 8) reads back exactly, and changing a returned array (mpf or float)
    does not change the next one; an unknown kind is refused."""
    third = dl.RegressionData.from_lists([["2/3", 0], [0, "4/3"]], [2, 0], name="thirds")
    with mpmath.workdps(15):
        low = third.X_array("mp")[0, 0]
        assert low == mpmath.mpf(2) / 3
    with mpmath.workdps(50):
        high = third.X_array("mp")[0, 0]
        assert high == mpmath.mpf(2) / 3 and abs(high - low) > mpmath.mpf(10) ** -20
        S = DIAG.sigma("mp")
        assert S[1, 1] == 8 and S[0, 1] == 0
        S[1, 1] = 0
        assert DIAG.sigma("mp")[1, 1] == 8
    F = DIAG.sigma("float")
    F[0, 0] = -1.0
    assert DIAG.sigma("float")[0, 0] == 2.0 and DIAG.w_star("float").tolist() == [1.0, 0.0]
    with pytest.raises(InvalidParameterError, match="kind must be 'mp' or 'float'"):
        DIAG.sigma("half")
