"""Full-batch gradient descent on many deep linear networks at once (float64, vectorised over runs).

The loss of every run is R(W) = (1/n) ||y - X w||^2 = w^T Sigma w - 2 b^T w + c with Sigma = X^T X / n,
b = X^T y / n and the end-to-end vector w^T = p^T W_L ... W_1 (p the fixed head, or W_L a row). With
g = Sigma w - b, the prefix products V_k = W_k ... W_1 (V_0 = I) and the suffix vectors u_L = p,
u_{k-1} = W_k^T u_k,

    grad_{W_k} R = 2 u_k (V_{k-1} g)^T,

the formula of :func:`implicitreg.numerics.deep_linear.gradient`, evaluated here for a stack of B runs (layer
arrays of shape (B, d_k, d_{k-1})) with one step size per run. A run whose weights become non-finite is
*diverged*: it is frozen at NaN and its step recorded. Experiments use this to run the papers' repetitions
(seeds x scales x step sizes) in seconds; :func:`implicitreg.numerics.deep_linear.deep_gradient_descent` is the
one-network reference it is tested against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True, kw_only=True)
class BatchedGDResult:
    """``weights[k]``: layer k+1 of every run, shape (B, d_{k+1}, d_k); ``head``: the fixed head or None;
    ``diverged``: per run; ``diverged_at``: the step at which it diverged (-1 if not); ``loss``: final R
    (NaN for diverged runs); ``steps``: steps taken."""

    weights: tuple[np.ndarray, ...]
    head: np.ndarray | None
    diverged: np.ndarray
    diverged_at: np.ndarray
    loss: np.ndarray
    steps: int

    def network(self, i: int):
        """Run ``i`` as a :class:`~implicitreg.numerics.deep_linear.DeepLinearNetwork`."""
        from implicitreg.numerics.deep_linear import DeepLinearNetwork

        return DeepLinearNetwork(tuple(W[i].copy() for W in self.weights), self.head)


def stack(nets: Sequence) -> tuple[tuple[np.ndarray, ...], np.ndarray | None]:
    """The layers of equally shaped networks stacked along a leading run axis, and their common head."""
    heads = [n.head for n in nets]
    if any((h is None) != (heads[0] is None) or (h is not None and not np.array_equal(h, heads[0])) for h in heads):
        raise ValueError("the networks must share their head")
    return tuple(np.stack([n.weights[k] for n in nets]) for k in range(nets[0].depth)), heads[0]


def _end_to_end(Ws, head, eye=None):
    """(w of shape (B, d), prefix products V_0..V_{L-1}, suffix vectors u_1..u_L); ``eye``: V_0 if already formed."""
    B, d = Ws[0].shape[0], Ws[0].shape[2]
    V = [np.broadcast_to(np.eye(d), (B, d, d)) if eye is None else eye]
    for W in Ws[:-1]:
        V.append(W @ V[-1])
    u_top = np.broadcast_to(head, (B, len(head))) if head is not None else np.ones((B, 1))
    u = [u_top]
    for W in reversed(Ws[1:]):
        u.append((u[-1][:, None, :] @ W)[:, 0, :])  # W^T u for every run (a batched vector-matrix product)
    u.reverse()  # u[k] = u_{k+1}
    w = (u[0][:, None, :] @ Ws[0])[:, 0, :]  # w^T = u_1^T W_1 = p^T W_L ... W_1
    return w, V, u


def _stacked_step(Wst, head, Sigma, b, eta, eye):
    """One GD step on layers stacked as one array (L, B, d, d) under a head of length d; ``eta``: per run (0 for a
    frozen run). The same products as the layer-by-layer step, the last two batched over the layers."""
    L, B, d = Wst.shape[0], Wst.shape[1], Wst.shape[2]
    V = np.empty_like(Wst)  # V[k] = W_k ... W_1, V[0] = I
    V[0] = eye
    for k in range(1, L):
        np.matmul(Wst[k - 1], V[k - 1], out=V[k])
    u = np.empty((L, B, 1, d))  # u[k] = u_{k+1}^T, u_L = p
    u[L - 1] = np.broadcast_to(head, (B, 1, d))
    for k in range(L - 1, 0, -1):
        np.matmul(u[k], Wst[k], out=u[k - 1])
    w = (u[0] @ Wst[0])[:, 0, :]  # w^T = u_1^T W_1
    g = (w @ Sigma - b)[:, :, None]
    rate = (-2 * eta)[:, None, None]
    Vg = (V @ g)[..., None, :, 0]  # (L, B, 1, d): (V_{k-1} g)^T
    return Wst + (rate * u.transpose(0, 1, 3, 2)) * Vg


def losses(Ws, head, Sigma, b, c) -> np.ndarray:
    w, _, _ = _end_to_end(Ws, head)
    return np.einsum("bi,ij,bj->b", w, Sigma, w) - 2 * w @ b + c


def batched_gradient_descent(weights: Sequence[np.ndarray], head, data, eta, steps: int,
                             callback: Callable[[int, tuple], None] | None = None,
                             every: int = 0) -> BatchedGDResult:
    """``steps`` GD steps W_k <- W_k - eta_r grad_{W_k} R for every run r (``eta``: scalar or one per run).

    ``data`` is a :class:`~implicitreg.numerics.deep_linear.RegressionData`; ``callback(step, weights)`` is
    called at step 0 and every ``every`` steps when given."""
    Sigma = np.asarray(data.sigma("float"), dtype=float)
    b = np.asarray(data.moment("float"), dtype=float)
    y = np.asarray(data.y_array("float"), float)
    c = float(y @ y) / len(y)
    Ws = [np.array(W, dtype=float) for W in weights]
    B = Ws[0].shape[0]
    eta = np.broadcast_to(np.asarray(eta, dtype=float), (B,)).copy()
    if not np.all(eta > 0):
        raise ValueError("every step size must be > 0")
    head = None if head is None else np.asarray(head, dtype=float)
    diverged_at = np.full(B, -1)
    alive = np.ones(B, dtype=bool)
    with np.errstate(all="ignore"):
        if callback is not None:
            callback(0, tuple(Ws))
        d = Ws[0].shape[2]
        eye = np.broadcast_to(np.eye(d), (B, d, d))
        # square d x d layers under a head of length d (residual networks): one array for all layers, so that the
        # gradients and the update of every layer are one batched product (the prefix products and suffix vectors
        # stay sequential); otherwise layer by layer
        stacked = head is not None and len(head) == d and all(W.shape == (B, d, d) for W in Ws)
        Wst = np.stack(Ws) if stacked else None
        for step in range(1, steps + 1):
            if stacked:
                Wst = _stacked_step(Wst, head, Sigma, b, eta * alive, eye)
                Ws = list(Wst)
            else:
                w, V, u = _end_to_end(Ws, head, eye)
                g = (w @ Sigma - b)[:, :, None]  # Sigma symmetric; a column per run
                rate = (-2 * eta * alive)[:, None, None]  # W_k <- W_k - eta 2 u_k (V_{k-1} g)^T
                for k in range(len(Ws)):
                    Vg = (V[k] @ g)[:, None, :, 0]
                    Ws[k] = Ws[k] + (rate * u[k][:, :, None]) * Vg
            bad = alive & ~np.all(np.isfinite(Ws[-1].reshape(B, -1)), axis=1)
            if bad.any():
                for k in range(len(Ws)):
                    Ws[k][bad] = np.nan  # (stacked: Ws[k] is a view of Wst)
                diverged_at[bad] = step
                alive &= ~bad
            if callback is not None and every and step % every == 0:
                callback(step, tuple(Ws))
        loss = losses(Ws, head, Sigma, b, c)
    loss[~alive] = np.nan
    return BatchedGDResult(weights=tuple(Ws), head=head, diverged=~alive, diverged_at=diverged_at, loss=loss,
                           steps=steps)
