"""The deep linear network W_L ... W_1 (optionally with a fixed head): loss R = (1/n)||y - X w||^2 (no 1/2,
[authors' code]), gradient, exact Hessian and Hessian-vector products, the conserved imbalances, and the
initializations of the authors' code (:func:`small_init`, :func:`residual_init`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.potentials import layers_value
from implicitreg.numerics.deep_linear._arrays import _eye, _is_mp, to_float, to_mp
from implicitreg.numerics.deep_linear.data import RegressionData

LOSS_CONVENTION = "1/n, no 1/2"


@dataclass(frozen=True)
class DeepLinearNetwork:
    """Layers W_1, ..., W_L (numpy arrays, W_k of shape d_k x d_{k-1}) and an optional fixed head p.

    Without a head the last layer is a row (d_L = 1); with a head p (length d_L) the prediction is
    p^T W_L ... W_1 x (the residual network of the spec).
    """

    weights: tuple[np.ndarray, ...]
    head: np.ndarray | None = None

    def __post_init__(self):
        Ws = self.weights
        if len(Ws) < 2:
            raise InvalidParameterError(f"depth L must be >= 2, got {len(Ws)}")
        for k in range(1, len(Ws)):
            if Ws[k].ndim != 2 or Ws[k].shape[1] != Ws[k - 1].shape[0]:
                raise InvalidParameterError(f"W_{k + 1} has shape {Ws[k].shape}, incompatible with W_{k} "
                                            f"of shape {Ws[k - 1].shape}")
        out = Ws[-1].shape[0]
        if self.head is None and out != 1:
            raise InvalidParameterError(f"without a head the last layer must have one row, W_L has {out}")
        if self.head is not None and len(self.head) != out:
            raise InvalidParameterError(f"head has {len(self.head)} entries, W_L has {out} rows")

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        return self.weights[0].shape[1]

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        return tuple(W.shape for W in self.weights)

    @property
    def num_parameters(self) -> int:
        return sum(W.size for W in self.weights)

    def head_vector(self) -> np.ndarray:
        """h = p, or the 1-vector (1) without a head."""
        if self.head is not None:
            return self.head
        return to_mp([1]) if _is_mp(self.weights[0]) else np.ones(1)

    def with_weights(self, weights) -> "DeepLinearNetwork":
        return DeepLinearNetwork(tuple(weights), self.head)

    def as_mp(self) -> "DeepLinearNetwork":
        return DeepLinearNetwork(tuple(to_mp(W) for W in self.weights),
                                 None if self.head is None else to_mp(self.head))

    def as_float(self) -> "DeepLinearNetwork":
        return DeepLinearNetwork(tuple(to_float(W) for W in self.weights),
                                 None if self.head is None else to_float(self.head))


def flatten(net: DeepLinearNetwork) -> np.ndarray:
    """theta = (vec W_1, ..., vec W_L), each row-major."""
    return np.concatenate([W.ravel() for W in net.weights])


def unflatten(theta: np.ndarray, like: DeepLinearNetwork) -> DeepLinearNetwork:
    out, pos = [], 0
    for shape in like.shapes:
        size = shape[0] * shape[1]
        out.append(theta[pos:pos + size].reshape(shape))
        pos += size
    return like.with_weights(out)


def _prefix_products(net: DeepLinearNetwork) -> list[np.ndarray]:
    """V_0 = I, V_k = W_k ... W_1 (k = 0..L)."""
    V = [_eye(net.input_dim, net.weights[0])]
    for W in net.weights:
        V.append(W @ V[-1])
    return V


def _suffix_vectors(net: DeepLinearNetwork) -> list[np.ndarray]:
    """u_k (k = 0..L) with u_k^T = h^T W_L ... W_{k+1}, u_L = h; u_0 = w."""
    L = net.depth
    u = [None] * (L + 1)
    u[L] = net.head_vector()
    for k in range(L, 0, -1):
        u[k - 1] = net.weights[k - 1].T @ u[k]
    return u


def end_to_end(net: DeepLinearNetwork) -> np.ndarray:
    """w = (h^T W_L ... W_1)^T."""
    return _suffix_vectors(net)[0]


def loss(net: DeepLinearNetwork, data: RegressionData) -> Any:
    """R(W) = (1/n) ||y - X w||^2 (no 1/2)."""
    kind = "mp" if _is_mp(net.weights[0]) else "float"
    r = data.y_array(kind) - data.X_array(kind) @ end_to_end(net)
    return np.sum(r * r) / data.n


def excess_loss(net: DeepLinearNetwork, data: RegressionData) -> Any:
    """R(W) - R_min = (w - w*)^T Sigma (w - w*) (computed in this form, so no cancellation)."""
    kind = "mp" if _is_mp(net.weights[0]) else "float"
    e = end_to_end(net) - data.w_star(kind)
    return np.sum(e * (data.sigma(kind) @ e))


def _residual_direction(net, data):
    kind = "mp" if _is_mp(net.weights[0]) else "float"
    return data.sigma(kind), data.moment(kind)


def gradient(net: DeepLinearNetwork, data: RegressionData) -> list[np.ndarray]:
    """grad_{W_k} R = 2 u_k (V_{k-1} g)^T with g = Sigma w - b."""
    Sigma, b = _residual_direction(net, data)
    V = _prefix_products(net)
    u = _suffix_vectors(net)
    g = Sigma @ u[0] - b
    return [2 * np.multiply.outer(u[k], V[k - 1] @ g) for k in range(1, net.depth + 1)]


def jacobian(net: DeepLinearNetwork) -> np.ndarray:
    """J = dw / dtheta (d x N): column (k, a, b) is u_k[a] V_{k-1}[b, :]^T."""
    V = _prefix_products(net)
    u = _suffix_vectors(net)
    blocks = [np.multiply.outer(u[k], V[k - 1]).reshape(-1, net.input_dim).T for k in range(1, net.depth + 1)]
    return np.concatenate(blocks, axis=1)


def hessian(net: DeepLinearNetwork, data: RegressionData) -> np.ndarray:
    """The full Hessian of R in theta (N x N), entry by entry.

    H = 2 J^T Sigma J + 2 sum_i g_i Hess(w_i), and for layers j < k the second term's block is
    d^2 R / d(W_k)_{ab} d(W_j)_{ce} = 2 u_k[a] (W_{k-1} ... W_{j+1})_{bc} (V_{j-1} g)_e
    (diagonal blocks have none: w is linear in each layer).
    """
    Sigma, b = _residual_direction(net, data)
    V = _prefix_products(net)
    u = _suffix_vectors(net)
    g = Sigma @ u[0] - b
    J = jacobian(net)
    H = 2 * (J.T @ (Sigma @ J))
    L = net.depth
    offsets = np.cumsum([0] + [W.size for W in net.weights])
    for k in range(2, L + 1):
        P = _eye(net.weights[k - 2].shape[0], net.weights[0])  # W_{k-1} ... W_{j+1}, starting with j = k-1
        for j in range(k - 1, 0, -1):
            block = 2 * np.multiply.outer(np.multiply.outer(u[k], P), V[j - 1] @ g)
            block = block.reshape(net.weights[k - 1].size, net.weights[j - 1].size)
            rk, rj = slice(offsets[k - 1], offsets[k]), slice(offsets[j - 1], offsets[j])
            H[rk, rj] = H[rk, rj] + block
            H[rj, rk] = H[rj, rk] + block.T
            if j > 1:
                P = P @ net.weights[j - 1]
    return (H + H.T) / 2  # J^T (Sigma J) is symmetric only up to rounding


def hessian_vector_product(net: DeepLinearNetwork, data: RegressionData, v: np.ndarray) -> np.ndarray:
    """H v as the directional derivative of the gradient along v, without forming H.

    With dW the layers of v: dV_k = W_k dV_{k-1} + dW_k V_{k-1}, du_k^T = du_{k+1}^T W_{k+1} + u_{k+1}^T dW_{k+1},
    dw = du_0, dg = Sigma dw, and d grad_k = 2 [du_k (V_{k-1} g)^T + u_k (V_{k-1} dg + dV_{k-1} g)^T].
    """
    Sigma, b = _residual_direction(net, data)
    dW = unflatten(v, net).weights
    Ws = net.weights
    L = net.depth
    V = _prefix_products(net)
    u = _suffix_vectors(net)
    g = Sigma @ u[0] - b
    dV = [np.zeros_like(V[0]) if not _is_mp(V[0]) else to_mp(np.zeros(V[0].shape, dtype=int))]
    for k in range(1, L + 1):
        dV.append(Ws[k - 1] @ dV[k - 1] + dW[k - 1] @ V[k - 1])
    du = [None] * (L + 1)
    du[L] = u[L] * 0
    for k in range(L, 0, -1):
        du[k - 1] = Ws[k - 1].T @ du[k] + dW[k - 1].T @ u[k]
    dg = Sigma @ du[0]
    out = []
    for k in range(1, L + 1):
        Vg = V[k - 1] @ g
        out.append(2 * (np.multiply.outer(du[k], Vg) + np.multiply.outer(u[k], V[k - 1] @ dg + dV[k - 1] @ g)))
    return np.concatenate([o.ravel() for o in out])


def end_to_end_metric(net: DeepLinearNetwork) -> np.ndarray:
    """M(W) = sum_k ||u_k||^2 V_{k-1}^T V_{k-1} = J J^T (so dw/dt = -2 M Sigma (w - w*) along the flow)."""
    V = _prefix_products(net)
    u = _suffix_vectors(net)
    M = None
    for k in range(1, net.depth + 1):
        term = np.sum(u[k] * u[k]) * (V[k - 1].T @ V[k - 1])
        M = term if M is None else M + term
    return M


def imbalances(net: DeepLinearNetwork) -> list[np.ndarray]:
    """D_k = W_{k+1}^T W_{k+1} - W_k W_k^T, k = 1..L-1 (conserved by gradient flow [standard])."""
    Ws = net.weights
    return [Ws[k].T @ Ws[k] - Ws[k - 1] @ Ws[k - 1].T for k in range(1, len(Ws))]


def small_init(d: int, depth: int, scale, rng, kind: str = "float") -> DeepLinearNetwork:
    """W_k entries i.i.d. N(0, s^2): W_1..W_{L-1} are d x d, W_L is 1 x d."""
    depth = layers_value(depth)
    if not float(scale) > 0:
        raise InvalidParameterError(f"scale s must be > 0, got {scale}")
    dims = [d] * depth + [1]
    Ws = [float(scale) * rng.standard_normal((dims[k + 1], dims[k])) for k in range(depth)]
    net = DeepLinearNetwork(tuple(Ws))
    return net.as_mp() if kind == "mp" else net


def residual_init(d: int, depth: int, scale, rng, head: np.ndarray | None = None,
                  kind: str = "float") -> DeepLinearNetwork:
    """W_k = I + (s / sqrt(L d)) N_k, N_k i.i.d. N(0, 1), all d x d, with the fixed unit head p (default e_1)."""
    depth = layers_value(depth)
    if not float(scale) >= 0:
        raise InvalidParameterError(f"scale s must be >= 0, got {scale}")
    p = np.zeros(d)
    p[0] = 1.0
    if head is not None:
        p = np.asarray(head, dtype=float)
    Ws = [np.eye(d) + float(scale) / math.sqrt(depth * d) * rng.standard_normal((d, d)) for _ in range(depth)]
    net = DeepLinearNetwork(tuple(Ws), p)
    return net.as_mp() if kind == "mp" else net
