"""Global minimizers of deep linear regression (balanced rank-one, aligned at t, random unbalanced) and the
structure of a solution (:func:`alignment`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.potentials import layers_value
from implicitreg.numerics.deep_linear._arrays import (_as, _eye, _is_mp, _norm, _sqrt, to_float,
                                                      to_mp)
from implicitreg.numerics.deep_linear.model import DeepLinearNetwork
from implicitreg.numerics.precision import mpf_from


def _unit_vectors(widths: Sequence[int], rng, kind: str):
    out = []
    for m in widths:
        v = rng.standard_normal(m)
        v = v / np.linalg.norm(v)
        out.append(to_mp(v) if kind == "mp" else v)
    if kind == "mp":
        out = [v / _norm(v) for v in out]
    return out


def aligned_minimizer(w_star: np.ndarray, depth: int, t, widths: Sequence[int] | None = None,
                      rng=None) -> DeepLinearNetwork:
    """The aligned rank-one minimizer attaining the S_min objective at t [derived]:

    W_1 = (||w*|| / sqrt(t)) v_1 w_hat^T, W_k = t^(1/(2(L-1))) v_k v_{k-1}^T (k >= 2), unit v_k, v_L = 1;
    then M(W) = t I + (L-1) t^(-1/(L-1)) w* w*^T. ``widths`` = (d_1, ..., d_{L-1}) (default: all d);
    the unit vectors v_k are e_1 unless ``rng`` is given (then random).
    """
    depth = layers_value(depth)
    d = len(w_star)
    kind = "mp" if _is_mp(w_star) else "float"
    widths = list(widths) if widths is not None else [d] * (depth - 1)
    if len(widths) != depth - 1:
        raise InvalidParameterError(f"need {depth - 1} hidden widths, got {len(widths)}")
    wn = _norm(w_star)
    if wn == 0:
        raise InvalidParameterError("w* = 0: the aligned minimizer needs ||w*|| > 0")
    t = mpf_from(t) if kind == "mp" else float(t)
    if not t > 0:
        raise InvalidParameterError(f"t must be > 0, got {t}")
    if rng is None:
        vs = [_basis_vector(m, kind) for m in widths]
    else:
        vs = _unit_vectors(widths, rng, kind)
    vs.append(_basis_vector(1, kind))
    w_hat = w_star / wn
    c = t ** (1 / _as(kind, 2 * (depth - 1)))
    Ws = [(wn / _sqrt(t)) * np.multiply.outer(vs[0], w_hat)]
    for k in range(1, depth):
        Ws.append(c * np.multiply.outer(vs[k], vs[k - 1]))
    return DeepLinearNetwork(tuple(Ws))


def balanced_rank_one_minimizer(w_star: np.ndarray, depth: int, widths=None, rng=None) -> DeepLinearNetwork:
    """The balanced rank-one minimizer (aligned minimizer at t = ||w*||^(2-2/L)): every layer has norm ||w*||^(1/L)
    and M = ||w*||^(2-2/L) (I + (L-1) w_hat w_hat^T) [derived]."""
    kind = "mp" if _is_mp(w_star) else "float"
    wn = _norm(w_star)
    t = wn ** (2 - 2 / _as(kind, depth))
    return aligned_minimizer(w_star, depth, t, widths, rng)


def random_minimizer(w_star: np.ndarray, depth: int, widths: Sequence[int], rng, scales=None,
                     head: np.ndarray | None = None) -> DeepLinearNetwork:
    """A random global minimizer (any widths, generally unbalanced).

    W_2, ..., W_L are Gaussian (times ``scales[k]`` if given); then u_1^T = h^T W_L ... W_2 and
    W_1 = u_1 w*^T / ||u_1||^2 + (I - u_1 u_1^T / ||u_1||^2) G for Gaussian G, so u_1^T W_1 = w*^T: every
    minimizer with u_1 != 0 has this form. With ``head`` (residual network) all layers are d_k x d_{k-1} with
    d_L = len(head) and widths = (d_1, ..., d_{L-1}, d_L).
    """
    depth = layers_value(depth)
    d = len(w_star)
    kind = "mp" if _is_mp(w_star) else "float"
    widths = list(widths)
    expected = depth if head is not None else depth - 1
    if len(widths) != expected:
        raise InvalidParameterError(f"need {expected} widths, got {len(widths)}")
    dims = [d] + widths + ([] if head is not None else [1])
    scales = list(scales) if scales is not None else [1.0] * depth
    conv = to_mp if kind == "mp" else (lambda a: a)
    Ws = [None] + [conv(scales[k] * rng.standard_normal((dims[k + 1], dims[k]))) for k in range(1, depth)]
    h = head if head is not None else (to_mp([1]) if kind == "mp" else np.ones(1))
    u1 = h
    for W in reversed(Ws[1:]):
        u1 = W.T @ u1
    r1 = np.sum(u1 * u1)
    if r1 == 0:
        raise InvalidParameterError("u_1 = 0: the sampled upper layers annihilate the head")
    G = conv(scales[0] * rng.standard_normal((dims[1], d)))
    P = _eye(dims[1], u1) - np.multiply.outer(u1, u1) / r1
    Ws[0] = np.multiply.outer(u1, w_star) / r1 + P @ G
    return DeepLinearNetwork(tuple(Ws), head)


def _basis_vector(m: int, kind: str) -> np.ndarray:
    e = np.zeros(m, dtype=int)
    e[0] = 1
    return to_mp(e) if kind == "mp" else e.astype(float)


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """Singular structure of the layers: ``sigma1``/``sigma2`` (top two singular values per layer),
    ``interlayer_sin`` (sin of the angle between the top left singular vector of W_k and the top right one of
    W_{k+1}), ``input_cos`` (|cos| between W_1's top right singular vector and w*)."""

    sigma1: list
    sigma2: list
    interlayer_sin: list
    input_cos: float


def alignment(net: DeepLinearNetwork, w_star) -> Alignment:
    """Float64 SVDs of the layers (diagnostics, not certified digits)."""
    Ws = [to_float(W) if _is_mp(W) else W for W in net.weights]
    svds = [np.linalg.svd(W) for W in Ws]
    s1 = [float(s[0]) for _, s, _ in svds]
    s2 = [float(s[1]) if len(s) > 1 else 0.0 for _, s, _ in svds]
    sins = []
    for k in range(len(Ws) - 1):
        left = svds[k][0][:, 0]
        right = svds[k + 1][2][0, :]
        c = min(1.0, abs(float(left @ right)))
        sins.append(math.sqrt(max(0.0, 1 - c * c)))
    w = to_float(w_star) if _is_mp(np.asarray(w_star)) else np.asarray(w_star, float)
    cos_in = abs(float(svds[0][2][0, :] @ w)) / float(np.linalg.norm(w))
    return Alignment(sigma1=s1, sigma2=s2, interlayer_sin=sins, input_cos=cos_in)
