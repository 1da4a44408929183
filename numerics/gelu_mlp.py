"""A GELU multilayer perceptron for regression: loss, gradient and Hessian in float64 (numpy only).

The network of Marion & Chizat's nonlinear experiment [authors' code]: layers W_1, ..., W_{L-1} (d x d) and
W_L (1 x d), h_0 = x, h_k = gelu(W_k h_{k-1}) for k < L, f(x) = W_L h_{L-1}; GELU in its tanh form (the
default of the authors' library)

    gelu(z) = z/2 (1 + tanh(c (z + 0.044715 z^3))),   c = sqrt(2/pi);

loss R = (1/n) sum_i (f(x_i) - y_i)^2. The gradient is backpropagation written without complex conjugation,
so it is complex-analytic and the Hessian-vector product is its complex-step derivative
H v = Im grad(theta + i h v) / h (h = 1e-20: no cancellation); the Hessian is assembled from all its columns
at once, by one backpropagation batched over the P perturbed parameter vectors.
None of the deep-linear theorems applies to this network: it is an experiment outside them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

_C = np.sqrt(2 / np.pi)
_K = 0.044715


def gelu(z):
    return 0.5 * z * (1 + np.tanh(_C * (z + _K * z ** 3)))


def gelu_derivative(z):
    t = np.tanh(_C * (z + _K * z ** 3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _C * (1 + 3 * _K * z * z)


@dataclass(frozen=True)
class MLP:
    """Layers ``weights`` (W_1 first); W_L has one row."""

    weights: tuple[np.ndarray, ...]

    @property
    def depth(self) -> int:
        return len(self.weights)

    def flat(self) -> np.ndarray:
        return np.concatenate([W.ravel() for W in self.weights])

    def with_flat(self, theta: np.ndarray) -> "MLP":
        out, i = [], 0
        for W in self.weights:
            out.append(theta[i:i + W.size].reshape(W.shape))
            i += W.size
        return MLP(tuple(out))


def small_init(d: int, depth: int, scale: float, rng) -> MLP:
    """Entries i.i.d. N(0, s^2) [authors' code]."""
    return MLP(tuple(float(scale) * rng.standard_normal((1 if k == depth - 1 else d, d)) for k in range(depth)))


def forward(net: MLP, X: np.ndarray) -> np.ndarray:
    h = X.T
    for W in net.weights[:-1]:
        h = gelu(W @ h)
    return (net.weights[-1] @ h).ravel()


def loss(net: MLP, X: np.ndarray, y: np.ndarray):
    r = forward(net, X) - y
    return np.sum(r * r) / len(y)


def gradient(net: MLP, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """grad_{W_k} R by backpropagation (analytic in the weights: no conjugation anywhere)."""
    hs, zs = [X.T], []
    for W in net.weights[:-1]:
        zs.append(W @ hs[-1])
        hs.append(gelu(zs[-1]))
    out = (net.weights[-1] @ hs[-1]).ravel()
    delta = (2 * (out - y) / len(y))[None, :]  # dR/d(out), 1 x n
    grads = [delta @ hs[-1].T]
    back = net.weights[-1].T @ delta
    for k in range(net.depth - 2, -1, -1):
        back = back * gelu_derivative(zs[k])
        grads.append(back @ hs[k].T)
        back = net.weights[k].T @ back
    grads.reverse()
    return grads


def hessian(net: MLP, X: np.ndarray, y: np.ndarray, h: float = 1e-20) -> np.ndarray:
    """The Hessian of R, column j = Im grad(theta + i h e_j) / h (complex step, all columns in one batched
    backpropagation), symmetrised."""
    theta = net.flat()
    P = len(theta)
    T = np.broadcast_to(theta.astype(complex), (P, P)).copy()
    T[np.arange(P), np.arange(P)] += 1j * h
    Ws, i = [], 0
    for W in net.weights:
        Ws.append(T[:, i:i + W.size].reshape((P,) + W.shape))
        i += W.size
    grads, _ = _batched_gradient(Ws, X, y)
    H = np.concatenate([g.reshape(P, -1) for g in grads], axis=1).imag.T / h
    return (H + H.T) / 2


def sharpness(net: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """The top eigenvalue of the Hessian."""
    return float(np.linalg.eigvalsh(hessian(net, X, y))[-1])


@dataclass(frozen=True, kw_only=True)
class MLPRuns:
    """Final networks of a batch of GD runs; ``diverged`` per run."""

    nets: tuple[MLP, ...]
    diverged: np.ndarray
    loss: np.ndarray


def _batched_gradient(Ws: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    """grad_{W_k} R for a batch of networks (layer stacks of shape (B, rows, cols), real or complex) by
    backpropagation; also the residuals f(x_i) - y_i, shape (B, n). tanh is evaluated once per layer and shared by
    gelu and gelu'."""
    n = len(y)
    hs, dg = [np.broadcast_to(X.T, (Ws[0].shape[0],) + X.T.shape)], []
    for W in Ws[:-1]:
        z = W @ hs[-1]
        z2 = z * z
        t = np.tanh(_C * z * (1 + _K * z2))
        hs.append(0.5 * z * (1 + t))
        dg.append(0.5 * (1 + t) + (0.5 * _C) * z * (1 - t * t) * (1 + 3 * _K * z2))
    res = (Ws[-1] @ hs[-1])[:, 0, :] - y
    delta = (2 / n) * res[:, None, :]
    grads = [delta @ hs[-1].transpose(0, 2, 1)]
    back = Ws[-1].transpose(0, 2, 1) @ delta
    for k in range(len(Ws) - 2, -1, -1):
        back = back * dg[k]
        grads.append(back @ hs[k].transpose(0, 2, 1))
        if k:
            back = Ws[k].transpose(0, 2, 1) @ back
    grads.reverse()
    return grads, res


def mlp_gradient_descent(nets: Sequence[MLP], X, y, eta: float, steps: int) -> MLPRuns:
    """Full-batch GD on every network, vectorised over runs (layer stacks of shape (B, rows, cols)). A run whose
    weights stop being finite is marked diverged and dropped from the batch."""
    Ws = [np.stack([n.weights[k] for n in nets]) for k in range(nets[0].depth)]
    B = len(nets)
    X, y = np.asarray(X, float), np.asarray(y, float)
    live = np.arange(B)  # the runs still in the batch
    final = [None] * B
    with np.errstate(all="ignore"):
        for _ in range(steps):
            grads, _res = _batched_gradient(Ws, X, y)
            for k in range(len(Ws)):
                Ws[k] -= eta * grads[k]
            ok = np.all(np.isfinite(Ws[-1].reshape(len(live), -1)), axis=1)
            if not ok.all():
                for j in np.flatnonzero(~ok):
                    final[live[j]] = None
                Ws = [W[ok] for W in Ws]
                live = live[ok]
                if not len(live):
                    break
    for j, i in enumerate(live):
        final[i] = MLP(tuple(W[j].copy() for W in Ws))
    diverged = np.array([f is None for f in final])
    nets_out = tuple(f if f is not None else MLP(tuple(np.full_like(W, np.nan) for W in nets[i].weights))
                     for i, f in enumerate(final))
    losses = np.array([loss(m, X, y) if not diverged[i] else np.nan for i, m in enumerate(nets_out)])
    return MLPRuns(nets=nets_out, diverged=diverged, loss=losses)
