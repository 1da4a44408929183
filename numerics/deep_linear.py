"""Deep linear networks for regression: loss, gradient, exact Hessian, sharpness, minimizers, flows.

Conventions (``docs/theory/deep_linear.md``; Marion & Chizat, arXiv 2405.13456, and the authors' code):

* data X (n x d), y (n); Sigma = X^T X / n; b = X^T y / n;
* network W_1 (d_1 x d), ..., W_L (d_L x d_{L-1}) with a *head*: either ``None`` (then d_L = 1 and the
  prediction is W_L ... W_1 x) or a fixed, untrained vector p (the residual network, prediction
  p^T W_L ... W_1 x); the end-to-end vector is w = (h^T W_L ... W_1)^T with h = 1 or p;
* **loss R(W) = (1/n) ||y - X w||^2, with no factor 1/2** [authors' code]; R = (w - w*)^T Sigma (w - w*) + R_min;
* w* = pinv(X^T X) X^T y, computed exactly (minimum-norm least squares when Sigma is singular);
* u_k^T = h^T W_L ... W_{k+1} (u_L = h), V_{k-1} = W_{k-1} ... W_1 (V_0 = I), so w^T = u_k^T W_k V_{k-1};
* grad_{W_k} R = 2 u_k g^T V_{k-1}^T with g = Sigma w - b = Sigma (w - w*);
* parameters are flattened layer by layer, each W_k row-major (the order of :func:`flatten`).

Arrays are numpy arrays of ``float64`` (fast experiments) or of ``object`` dtype holding ``mpmath.mpf``
(high precision): every formula below is written once and runs on both. mpf arrays are built at the
working precision of the caller (``with mpmath.workdps(n):``); functions that promise digits take ``dps``.

Sharpness S(W) = largest eigenvalue of the Hessian of R in all trained parameters [paper]. Computed by

* :func:`sharpness_exact`: the full Hessian assembled entry by entry (:func:`hessian`) and mpmath's symmetric
  eigensolver ``eigsy`` (or numpy ``eigvalsh`` for float arrays);
* :func:`sharpness_lanczos` / :func:`sharpness_power`: Hessian-vector products (:func:`hessian_vector_product`,
  the directional derivative of the gradient, never forming H) with Lanczos (full reorthogonalization) or
  power iteration;
* :func:`sharpness_closed_form`: at a global minimizer H = J^T (2 Sigma) J [derived,
  ``proofs/derivations/sharpness.py``], so S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) with
  M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1}. Valid only at minimizers.

Minimizers: :func:`balanced_rank_one_minimizer`, :func:`aligned_minimizer` (attains the S_min objective at t),
:func:`random_minimizer` (any widths, unbalanced, optionally with a residual head); :func:`min_sharpness` and
:func:`balanced_sharpness` give S_min and S_bal [derived]. Flows: :func:`gradient_flow` (mpf: the shared
``numerics.flow.integrate``; float64: :func:`dormand_prince`, the same explicit scheme with numpy arrays),
:func:`gradient_descent`; :func:`imbalances` are the quantities gradient flow conserves [standard].
Initializations and data follow the authors' code: :func:`small_init`, :func:`residual_init`,
:func:`gaussian_data` (made exact), and :func:`eigenvector_data` (the equality family, exact).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np

from implicitreg.errors import ConvergenceError, InvalidInstanceError, InvalidParameterError
from implicitreg.numerics import exact
from implicitreg.numerics.instance import read_json_file, read_matrix, read_vector

LOSS_CONVENTION = "1/n, no 1/2"


# ----------------------------------------------------------------------------------------------------------
# element helpers: one code path for float64 and mpf arrays


def _is_mp(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == object


def _sqrt(x):
    return mpmath.sqrt(x) if isinstance(x, mpmath.mpf) else math.sqrt(x)


def _norm(v) -> Any:
    """Euclidean (Frobenius) norm."""
    s = np.sum(v * v)
    return _sqrt(s)


def _zero_like(a):
    return mpmath.mpf(0) if _is_mp(a) else 0.0


def to_mp(a) -> np.ndarray:
    """An object array of mpf at the working precision (from floats, Fractions, ints or mpf)."""
    a = np.asarray(a, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for idx, v in np.ndenumerate(a):
        out[idx] = _mpf(v)
    return out


def _mpf(v) -> mpmath.mpf:
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return mpmath.mpf(v)


def to_float(a) -> np.ndarray:
    return np.asarray(np.vectorize(float, otypes=[float])(np.asarray(a, dtype=object)), dtype=float)


def _eye(d: int, like) -> np.ndarray:
    if _is_mp(like):
        return to_mp(np.eye(d, dtype=int))
    return np.eye(d)


def _mp_matrix(a: np.ndarray) -> mpmath.matrix:
    return mpmath.matrix(a.tolist())


def symmetric_eigenvalues(A: np.ndarray) -> list:
    """Eigenvalues (ascending) of a symmetric matrix: ``mpmath.eigsy`` for mpf arrays, ``eigvalsh`` for floats."""
    if _is_mp(A):
        E = mpmath.eigsy(_mp_matrix(A), eigvals_only=True)
        return sorted(E[i] for i in range(len(E)))
    return list(np.linalg.eigvalsh(A))


def symmetric_eigh(A: np.ndarray):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix, in the array's arithmetic."""
    if _is_mp(A):
        E, Q = mpmath.eigsy(_mp_matrix(A))
        order = sorted(range(len(E)), key=lambda i: E[i])
        vals = [E[i] for i in order]
        vecs = np.array([[Q[r, i] for i in order] for r in range(Q.rows)], dtype=object)
        return vals, vecs
    vals, vecs = np.linalg.eigh(A)
    return list(vals), vecs


def symmetric_sqrt(A: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric PSD matrix (negative rounding noise clipped to 0)."""
    vals, Q = symmetric_eigh(A)
    zero = _zero_like(A)
    roots = [_sqrt(v) if v > 0 else zero for v in vals]
    return (Q * np.array(roots, dtype=A.dtype)) @ Q.T


# ----------------------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class RegressionData:
    """Least-squares regression data (X, y), stored exactly as Fractions.

    Build with :meth:`from_data` (a mapping with keys ``"X"``, n x d, and ``"y"``, n entries; entries read
    exactly by :func:`~implicitreg.numerics.exact.parse_exact`), :meth:`from_lists` or :meth:`load`.
    """

    X: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    name: str = field(default="data", compare=False)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], name: str | None = None) -> "RegressionData":
        if not isinstance(data, Mapping):
            raise InvalidInstanceError("a regression instance must be a JSON object with keys 'X' and 'y'")
        X = read_matrix(data, "X")
        y = read_vector(data, "y")
        if len(y) != len(X):
            raise InvalidInstanceError(f"shape mismatch: X has {len(X)} rows but y has {len(y)} entries")
        return cls(tuple(map(tuple, X)), tuple(y), name or str(data.get("name", "data")))

    @classmethod
    def from_lists(cls, X: Sequence[Sequence[Any]], y: Sequence[Any], name: str = "data") -> "RegressionData":
        return cls.from_data({"X": [list(r) for r in X], "y": list(y)}, name=name)

    @classmethod
    def load(cls, path: str | Path) -> "RegressionData":
        return cls.from_data(read_json_file(path), name=Path(path).stem)

    @property
    def n(self) -> int:
        return len(self.X)

    @property
    def d(self) -> int:
        return len(self.X[0])

    @cached_property
    def covariance_exact(self) -> exact.Matrix:
        """Sigma = X^T X / n, exactly."""
        Xt = exact.transpose(self.X)
        n = self.n
        return [[sum((a * b for a, b in zip(ri, rj)), Fraction(0)) / n for rj in Xt] for ri in Xt]

    @cached_property
    def moment_exact(self) -> exact.Vector:
        """b = X^T y / n, exactly."""
        return [v / self.n for v in exact.rmatvec(self.X, self.y)]

    @cached_property
    def target_exact(self) -> exact.Vector:
        """w* = pinv(X^T X) X^T y exactly: the least-squares solution lying in the row space of X.

        With R a basis of the row space (rows of rref(X)), w* = R^T c where (R Sigma R^T) c = R b; the
        matrix is nonsingular because X R^T has full column rank.
        """
        R, _ = exact.rref(self.X)
        if not R:
            return [Fraction(0)] * self.d
        S = self.covariance_exact
        RS = [[sum((r[i] * S[i][j] for i in range(self.d)), Fraction(0)) for j in range(self.d)] for r in R]
        G = [[sum((rs[j] * r2[j] for j in range(self.d)), Fraction(0)) for r2 in R] for rs in RS]
        c = exact.solve_square(G, exact.matvec(R, self.moment_exact))
        return exact.rmatvec(R, c)

    @cached_property
    def minimal_loss_exact(self) -> Fraction:
        """R_min = (1/n) ||y - X w*||^2, exactly."""
        r = [yi - fi for yi, fi in zip(self.y, exact.matvec(self.X, self.target_exact))]
        return sum((v * v for v in r), Fraction(0)) / self.n

    # the same quantities as arrays (mpf at the working precision, or float64)
    def X_array(self, kind: str = "mp") -> np.ndarray:
        return _convert(self.X, kind)

    def y_array(self, kind: str = "mp") -> np.ndarray:
        return _convert(self.y, kind)

    def sigma(self, kind: str = "mp") -> np.ndarray:
        return _convert(self.covariance_exact, kind)

    def moment(self, kind: str = "mp") -> np.ndarray:
        return _convert(self.moment_exact, kind)

    def w_star(self, kind: str = "mp") -> np.ndarray:
        return _convert(self.target_exact, kind)


def _convert(values, kind: str) -> np.ndarray:
    if kind == "mp":
        return to_mp(np.array(values, dtype=object))
    if kind == "float":
        return to_float(np.array(values, dtype=object))
    raise InvalidParameterError(f"kind must be 'mp' or 'float', got {kind!r}")


@dataclass(frozen=True)
class DataConstants:
    """Spectral constants of the data: lambda_min, Lambda = lambda_max, kappa = Lambda / lambda_min (inf when
    Sigma is singular), ||w*||, a = w*^T Sigma w* / ||w*||^2, a' = w*^T Sigma^2 w* / w*^T Sigma w*."""

    lambda_min: Any
    Lambda: Any
    kappa: Any
    w_norm: Any
    a: Any
    a_prime: Any


def data_constants(data: RegressionData, kind: str = "mp") -> DataConstants:
    """The constants of :class:`DataConstants`; raises :class:`InvalidParameterError` when w* = 0 (then a,
    and every bound normalised by ||w*||, is undefined)."""
    S = data.sigma(kind)
    w = data.w_star(kind)
    ev = symmetric_eigenvalues(S)
    lam, Lam = ev[0], ev[-1]
    wn2 = np.sum(w * w)
    if wn2 == 0:
        raise InvalidParameterError("w* = 0 (X^T y = 0): the sharpness bounds need ||w*|| > 0")
    Sw = S @ w
    wSw = np.sum(w * Sw)
    a = wSw / wn2
    a_prime = np.sum(Sw * Sw) / wSw
    inf = mpmath.inf if kind == "mp" else math.inf
    kappa = Lam / lam if lam > 0 else inf
    return DataConstants(lam, Lam, kappa, _sqrt(wn2), a, a_prime)


# ----------------------------------------------------------------------------------------------------------
# the network


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


# ----------------------------------------------------------------------------------------------------------
# sharpness


@dataclass
class SharpnessResult:
    """A sharpness value with how it was obtained: ``method``, ``iterations`` (0 for direct methods) and
    ``error_bound`` (for iterative methods: the residual ||H v - S v|| of the returned Ritz pair, which bounds
    the distance from S to an eigenvalue of H; None for direct methods)."""

    value: Any
    method: str
    iterations: int = 0
    error_bound: Any = None


def sharpness_exact(net: DeepLinearNetwork, data: RegressionData, dps: int | None = None) -> SharpnessResult:
    """lambda_max of the full Hessian (:func:`hessian`): mpmath ``eigsy`` at ``dps`` digits for mpf
    networks (``dps`` defaults to the working precision), numpy ``eigvalsh`` for float networks."""
    if not _is_mp(net.weights[0]):
        return SharpnessResult(float(np.linalg.eigvalsh(hessian(net, data))[-1]), "eigvalsh")
    with mpmath.workdps(dps or mpmath.mp.dps):
        value = symmetric_eigenvalues(hessian(net, data))[-1]
    return SharpnessResult(value, "eigsy")


def sharpness_closed_form(net: DeepLinearNetwork, data: RegressionData) -> SharpnessResult:
    """2 lambda_max(Sigma^(1/2) M(W) Sigma^(1/2)) [derived: equals S(W) at global minimizers only]."""
    kind = "mp" if _is_mp(net.weights[0]) else "float"
    root = symmetric_sqrt(data.sigma(kind))
    A = root @ end_to_end_metric(net) @ root
    return SharpnessResult(2 * symmetric_eigenvalues((A + A.T) / 2)[-1], "closed_form")


def _random_start(N: int, like, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(N)
    return to_mp(v) if _is_mp(like) else v


def sharpness_power(net: DeepLinearNetwork, data: RegressionData, tol=1e-12, max_iter: int = 100000,
                    seed: int = 0) -> SharpnessResult:
    """Power iteration on Hessian-vector products: v <- H v / ||H v||, S ~ v^T H v.

    Stops when the residual ||H v - S v|| <= tol * |S|. Power iteration finds the eigenvalue of largest
    modulus: it is the sharpness when H is PSD (at minimizers), not in general.
    """
    theta_like = net.weights[0]
    v = _random_start(net.num_parameters, theta_like, seed)
    v = v / _norm(v)
    Hv = hessian_vector_product(net, data, v)
    for it in range(1, max_iter + 1):
        lam = np.sum(v * Hv)
        res = _norm(Hv - lam * v)
        if res <= tol * abs(lam):
            return SharpnessResult(lam, "power", it, res)
        v = Hv / _norm(Hv)
        Hv = hessian_vector_product(net, data, v)
    raise ConvergenceError(f"power iteration: residual {float(res):.3g} after {max_iter} iterations")


def sharpness_lanczos(net: DeepLinearNetwork, data: RegressionData, tol=None, max_iter: int | None = None,
                      seed: int = 0) -> SharpnessResult:
    """Lanczos with full reorthogonalization on Hessian-vector products; the largest Ritz value.

    The residual of the top Ritz pair is |beta_k e_k^T s| (exact arithmetic), used as stopping criterion
    (default tol: 10^(-dps+5) relative for mpf, 1e-12 for float). At a minimizer H has rank <= d, so
    the Krylov space is exhausted after at most d + 1 steps.
    """
    mp = _is_mp(net.weights[0])
    if tol is None:
        tol = mpmath.mpf(10) ** (-mpmath.mp.dps + 5) if mp else 1e-12
    N = net.num_parameters
    max_iter = max_iter or N
    q = _random_start(N, net.weights[0], seed)
    q = q / _norm(q)
    Q = [q]
    alphas, betas = [], []
    top, res = None, None
    for k in range(max_iter):
        z = hessian_vector_product(net, data, Q[-1])
        alpha = np.sum(Q[-1] * z)
        alphas.append(alpha)
        for qi in Q:  # full reorthogonalization (twice is enough)
            z = z - np.sum(qi * z) * qi
        for qi in Q:
            z = z - np.sum(qi * z) * qi
        beta = _norm(z)
        T = _tridiagonal(alphas, betas, mp)
        vals, vecs = symmetric_eigh(T)
        top = vals[-1]
        res = abs(beta * vecs[-1, -1])
        if res <= tol * max(abs(top), 1) or k + 1 == N:
            return SharpnessResult(top, "lanczos", k + 1, res)
        betas.append(beta)
        Q.append(z / beta)
    raise ConvergenceError(f"Lanczos: residual {float(res):.3g} after {max_iter} steps")


def _tridiagonal(alphas, betas, mp: bool) -> np.ndarray:
    k = len(alphas)
    T = to_mp(np.zeros((k, k), dtype=int)) if mp else np.zeros((k, k))
    for i in range(k):
        T[i, i] = alphas[i]
        if i + 1 < k:
            T[i, i + 1] = T[i + 1, i] = betas[i]
    return T


# ----------------------------------------------------------------------------------------------------------
# minimizers


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
    _check_depth(depth)
    d = len(w_star)
    kind = "mp" if _is_mp(w_star) else "float"
    widths = list(widths) if widths is not None else [d] * (depth - 1)
    if len(widths) != depth - 1:
        raise InvalidParameterError(f"need {depth - 1} hidden widths, got {len(widths)}")
    wn = _norm(w_star)
    if wn == 0:
        raise InvalidParameterError("w* = 0: the aligned minimizer needs ||w*|| > 0")
    t = _mpf(t) if kind == "mp" else float(t)
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
    _check_depth(depth)
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


def _as(kind: str, v):
    return mpmath.mpf(v) if kind == "mp" else float(v)


def _check_depth(depth) -> None:
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 2:
        raise InvalidParameterError(f"depth L must be an integer >= 2, got {depth!r}")


# ----------------------------------------------------------------------------------------------------------
# minimum and balanced sharpness over minimizers


@dataclass
class MinSharpness:
    """S_min = min_{t>0} 2 lambda_max(t Sigma + (L-1) t^(-1/(L-1)) z z^T), z = Sigma^(1/2) w*, with the
    minimizing t (``t``), the bracket width in log t at the end (``log_t_width``) and golden-section steps."""

    value: Any
    t: Any
    log_t_width: Any
    iterations: int


def min_sharpness_objective(Sigma: np.ndarray, w_star: np.ndarray, depth: int, t) -> Any:
    """2 lambda_max(t Sigma + (L-1) t^(-1/(L-1)) z z^T) with z = Sigma^(1/2) w* [derived]: the sharpness of
    :func:`aligned_minimizer` at t."""
    kind = "mp" if _is_mp(Sigma) else "float"
    z = symmetric_sqrt(Sigma) @ w_star
    c = (depth - 1) * t ** (-1 / _as(kind, depth - 1))
    return 2 * symmetric_eigenvalues(t * Sigma + c * np.multiply.outer(z, z))[-1]


def min_sharpness(data: RegressionData, depth: int, dps: int = 30) -> MinSharpness:
    """S_min over all global minimizers [derived] by golden-section search in log t (the objective is convex in
    log t), to a bracket of width ~10^(-dps) in log t; computed at dps + 10 digits and returned at dps."""
    _check_depth(depth)
    with mpmath.workdps(dps + 10):
        Sigma = data.sigma("mp")
        w = data.w_star("mp")
        wn = _norm(w)
        if wn == 0:
            raise InvalidParameterError("w* = 0: S_min is 0 and the bounds need ||w*|| > 0")
        vals, Q = symmetric_eigh(Sigma)
        sig = [v if v > 0 else mpmath.mpf(0) for v in vals]
        zq = Q.T @ (symmetric_sqrt(Sigma) @ w)  # z in the eigenbasis of Sigma
        D = to_mp(np.zeros((len(sig), len(sig)), dtype=int))
        for i, s in enumerate(sig):
            D[i, i] = s
        zz = np.multiply.outer(zq, zq)

        def f(logt):
            t = mpmath.exp(logt)
            c = (depth - 1) * mpmath.exp(-logt / (depth - 1))
            return 2 * symmetric_eigenvalues(t * D + c * zz)[-1]

        mid = (2 - mpmath.mpf(2) / depth) * mpmath.log(wn)
        step = mpmath.mpf(1)
        lo, hi = mid - step, mid + step
        while f(lo) <= f(mid) and step < 1e4:
            step *= 2
            lo = mid - step
        step = mpmath.mpf(1)
        while f(hi) <= f(mid) and step < 1e4:
            step *= 2
            hi = mid + step
        invphi = (mpmath.sqrt(5) - 1) / 2
        x1, x2 = hi - invphi * (hi - lo), lo + invphi * (hi - lo)
        f1, f2 = f(x1), f(x2)
        target = mpmath.mpf(10) ** (-dps - 2)
        it = 0
        while hi - lo > target:
            it += 1
            if f1 <= f2:
                hi, x2, f2 = x2, x1, f1
                x1 = hi - invphi * (hi - lo)
                f1 = f(x1)
            else:
                lo, x1, f1 = x1, x2, f2
                x2 = lo + invphi * (hi - lo)
                f2 = f(x2)
        logt = x1 if f1 <= f2 else x2
        best = min(f1, f2)
    with mpmath.workdps(dps):
        return MinSharpness(+best, +mpmath.exp(logt), +(hi - lo), it)


def balanced_sharpness(data: RegressionData, depth: int, dps: int = 30) -> Any:
    """S_bal = 2 ||w*||^(2-2/L) lambda_max(Sigma + (L-1) z z^T / ||w*||^2) [derived]: the sharpness of the
    balanced rank-one minimizer."""
    _check_depth(depth)
    with mpmath.workdps(dps + 10):
        Sigma = data.sigma("mp")
        w = data.w_star("mp")
        wn = _norm(w)
        if wn == 0:
            raise InvalidParameterError("w* = 0: S_bal needs ||w*|| > 0")
        z = symmetric_sqrt(Sigma) @ w
        A = Sigma + (depth - 1) * np.multiply.outer(z, z) / (wn * wn)
        val = 2 * wn ** (2 - mpmath.mpf(2) / depth) * symmetric_eigenvalues(A)[-1]
    with mpmath.workdps(dps):
        return +val


# ----------------------------------------------------------------------------------------------------------
# initializations [authors' code]


def small_init(d: int, depth: int, scale, rng, kind: str = "float") -> DeepLinearNetwork:
    """W_k entries i.i.d. N(0, s^2): W_1..W_{L-1} are d x d, W_L is 1 x d."""
    _check_depth(depth)
    if not float(scale) > 0:
        raise InvalidParameterError(f"scale s must be > 0, got {scale}")
    dims = [d] * depth + [1]
    Ws = [float(scale) * rng.standard_normal((dims[k + 1], dims[k])) for k in range(depth)]
    net = DeepLinearNetwork(tuple(Ws))
    return net.as_mp() if kind == "mp" else net


def residual_init(d: int, depth: int, scale, rng, head: np.ndarray | None = None,
                  kind: str = "float") -> DeepLinearNetwork:
    """W_k = I + (s / sqrt(L d)) N_k, N_k i.i.d. N(0, 1), all d x d, with the fixed unit head p (default e_1)."""
    _check_depth(depth)
    if not float(scale) >= 0:
        raise InvalidParameterError(f"scale s must be >= 0, got {scale}")
    p = np.zeros(d)
    p[0] = 1.0
    if head is not None:
        p = np.asarray(head, dtype=float)
    Ws = [np.eye(d) + float(scale) / math.sqrt(depth * d) * rng.standard_normal((d, d)) for _ in range(depth)]
    net = DeepLinearNetwork(tuple(Ws), p)
    return net.as_mp() if kind == "mp" else net


# ----------------------------------------------------------------------------------------------------------
# flows


@dataclass
class FlowResult:
    """Result of :func:`gradient_flow` / :func:`gradient_descent` (after scipy's OdeResult): final network
    ``net``, final time ``t`` (or step count for GD), ``status`` (0: reached t_end/steps, 1: stop condition
    met, -1: failure), ``message``, ``nfev`` (gradient evaluations), ``nsteps`` and ``integrator``."""

    net: DeepLinearNetwork
    t: Any
    status: int
    message: str
    nfev: int
    nsteps: int
    integrator: str = ""
    history: list = field(default_factory=list)


def gradient_flow(net0: DeepLinearNetwork, data: RegressionData, t_end, *, rtol=1e-10, atol=1e-12,
                  stop_excess_loss=None, max_steps: int = 200000, dps: int | None = None,
                  method: str = "rk45") -> FlowResult:
    """Gradient flow dW_k/dt = -grad_{W_k} R from ``net0`` up to ``t_end`` (or until R - R_min <= stop_excess_loss).

    mpf networks: :func:`implicitreg.numerics.flow.integrate` at ``dps`` digits (default: the working precision)
    with ``method`` ("rk45": explicit Dormand-Prince 5(4), enough for this mildly stiff flow; "radau5/9/13":
    implicit Radau IIA with the exact Jacobian -H from :func:`hessian`, fewer steps at 25+ digits).
    float networks: the same Dormand-Prince 5(4) scheme in float64 (:func:`dormand_prince`), for experiments.
    """
    mp = _is_mp(net0.weights[0])

    def fun(_t, theta):
        return -np.concatenate([G.ravel() for G in gradient(unflatten(theta, net0), data)])

    stop = None
    if stop_excess_loss is not None:
        def stop(_t, theta):
            return excess_loss(unflatten(np.asarray(theta, dtype=object) if mp else theta, net0), data) \
                <= stop_excess_loss

    if not mp:
        res = dormand_prince(fun, 0.0, flatten(net0), float(t_end), rtol=float(rtol), atol=float(atol),
                             max_steps=max_steps, stop=stop)
        return FlowResult(unflatten(res.y, net0), res.t, res.status, res.message, res.nfev, res.nsteps,
                          "dormand_prince float64 (numerics.deep_linear)")
    from implicitreg.numerics.flow import integrate

    dps = dps or mpmath.mp.dps
    as_arr = lambda y: np.array(list(y), dtype=object)  # noqa: E731

    def jac(_t, theta):
        return (-hessian(unflatten(as_arr(theta), net0), data)).tolist()

    with mpmath.workdps(dps):
        res = integrate(lambda t, y: list(fun(t, as_arr(y))), (0, _mpf(t_end)), list(flatten(net0)),
                        jac=None if method == "rk45" else jac, method=method, rtol=_mpf(rtol), atol=_mpf(atol),
                        dps=dps, max_steps=max_steps, t_eval=None if stop is not None else [_mpf(t_end)],
                        stop=None if stop is None else (lambda t, y: stop(t, as_arr(y))))
        net = unflatten(to_mp(as_arr(res.y[-1])), net0)
    return FlowResult(net, res.t[-1], res.status, res.message, res.nfev, res.nsteps,
                      f"numerics.flow.integrate ({method}, {dps} digits)")


@dataclass
class _RKResult:
    t: Any
    y: np.ndarray
    status: int
    message: str
    nfev: int
    nsteps: int


# Dormand-Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Norsett, Wanner, Table II.5.2)
_DP_C = (0, Fraction(1, 5), Fraction(3, 10), Fraction(4, 5), Fraction(8, 9), 1, 1)
_DP_A = (
    (),
    (Fraction(1, 5),),
    (Fraction(3, 40), Fraction(9, 40)),
    (Fraction(44, 45), Fraction(-56, 15), Fraction(32, 9)),
    (Fraction(19372, 6561), Fraction(-25360, 2187), Fraction(64448, 6561), Fraction(-212, 729)),
    (Fraction(9017, 3168), Fraction(-355, 33), Fraction(46732, 5247), Fraction(49, 176), Fraction(-5103, 18656)),
    (Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784), Fraction(11, 84)),
)
_DP_B = (Fraction(35, 384), 0, Fraction(500, 1113), Fraction(125, 192), Fraction(-2187, 6784), Fraction(11, 84), 0)
_DP_E = (Fraction(71, 57600), 0, Fraction(-71, 16695), Fraction(71, 1920), Fraction(-17253, 339200),
         Fraction(22, 525), Fraction(-1, 40))  # b - b_hat


def dormand_prince(fun: Callable, t0, y0: np.ndarray, t_end, *, rtol, atol, max_steps: int = 200000,
                   stop: Callable | None = None, h0=None) -> _RKResult:
    """Adaptive Dormand-Prince 5(4) with FSAL, in the arithmetic of ``y0`` (numpy float64 or mpf objects).

    The float64 path of :func:`gradient_flow` (``numerics.flow.integrate`` works on lists of mpf and is used for
    high precision); a trial step that overflows is rejected and retried with h / 5.

    Step accepted when the scaled RMS error err = rms(e / (atol + rtol max(|y|, |y_new|))) <= 1;
    h_new = h min(5, max(0.2, 0.9 err^(-1/5))).
    """
    mp = _is_mp(y0)
    num = (lambda q: mpmath.mpf(q.numerator) / q.denominator if isinstance(q, Fraction) else mpmath.mpf(q)) \
        if mp else float
    A = [[num(a) for a in row] for row in _DP_A]
    B = [num(b) for b in _DP_B]
    E = [num(e) for e in _DP_E]
    C = [num(c) for c in _DP_C]
    t, y = t0, y0.copy()
    k1 = fun(t, y)
    nfev = 1
    span = t_end - t0
    h = h0 if h0 is not None else span / 100
    nsteps = 0
    for _ in range(max_steps):
        if stop is not None and stop(t, y):
            return _RKResult(t, y, 1, "stop condition met", nfev, nsteps)
        if t >= t_end:
            return _RKResult(t, y, 0, "reached t_end", nfev, nsteps)
        h = min(h, t_end - t)
        with np.errstate(over="ignore", invalid="ignore"):
            y_new, err_vec, ks = _dp_step(fun, t, y, h, k1, A, B, E, C)
        with np.errstate(over="ignore", invalid="ignore"):
            scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
            ratio = err_vec / scale
            err = _sqrt(np.sum(ratio * ratio) / len(y))
        nfev += 6
        if not mp and not math.isfinite(err):  # overflow in a trial stage: reject and shrink
            h = h * 0.2
            continue
        if err <= 1:
            t, y, k1 = t + h, y_new, ks[6]
            nsteps += 1
        if err == 0:
            fac = 5
        else:
            fac = min(5, max(0.2, 0.9 * float(err) ** (-0.2)))
        h = h * (num(fac) if mp else fac)
    return _RKResult(t, y, -1, f"max_steps = {max_steps} reached at t = {float(t):.6g}", nfev, nsteps)


def _dp_step(fun, t, y, h, k1, A, B, E, C):
    """One Dormand-Prince trial step: (5th-order solution, error estimate, stages)."""
    ks = [k1]
    for i in range(1, 7):
        yi = y + h * sum((A[i][j] * ks[j] for j in range(i) if A[i][j] != 0), y * 0)
        ks.append(fun(t + C[i] * h, yi))
    y_new = y + h * sum((B[j] * ks[j] for j in range(7) if B[j] != 0), y * 0)
    err_vec = h * sum((E[j] * ks[j] for j in range(7) if E[j] != 0), y * 0)
    return y_new, err_vec, ks


def gradient_descent(net0: DeepLinearNetwork, data: RegressionData, eta, steps: int,
                     stop_excess_loss=None) -> FlowResult:
    """Full-batch gradient descent W_k <- W_k - eta grad_{W_k} R (float64 or mpf, as ``net0``).
    Status -1 when the loss becomes non-finite (divergence)."""
    if not float(eta) > 0:
        raise InvalidParameterError(f"eta must be > 0, got {eta}")
    net = net0
    mp = _is_mp(net0.weights[0])
    eta = _mpf(eta) if mp else float(eta)
    for step in range(1, steps + 1):
        G = gradient(net, data)
        net = net.with_weights([W - eta * g for W, g in zip(net.weights, G)])
        if not mp and not all(np.all(np.isfinite(W)) for W in net.weights):
            return FlowResult(net, step, -1, "diverged (non-finite weights)", step, step, "gd")
        if stop_excess_loss is not None and excess_loss(net, data) <= stop_excess_loss:
            return FlowResult(net, step, 1, "stop condition met", step, step, "gd")
    return FlowResult(net, steps, 0, "reached the step count", steps, steps, "gd")


# ----------------------------------------------------------------------------------------------------------
# structure of solutions


@dataclass
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
    return Alignment(s1, s2, sins, cos_in)


# ----------------------------------------------------------------------------------------------------------
# instances


def rational_orthogonal(skew: Sequence[Sequence[Any]]) -> exact.Matrix:
    """The Cayley transform Q = (I - A)(I + A)^(-1) of a skew-symmetric rational A: an exactly orthogonal
    rational matrix (``skew`` gives the strict upper triangle row by row, or a full skew matrix)."""
    A = [[Fraction(v) for v in row] for row in skew]
    d = len(A)
    if any(len(r) != d for r in A) or any(A[i][j] != -A[j][i] for i in range(d) for j in range(d)):
        raise InvalidParameterError("the Cayley transform needs a square skew-symmetric matrix")
    I_plus = [[Fraction(int(i == j)) + A[i][j] for j in range(d)] for i in range(d)]
    I_minus = [[Fraction(int(i == j)) - A[i][j] for j in range(d)] for i in range(d)]
    # Q^T = (I + A)^(-T) (I - A)^T = (I - A)^(-1) (I + A); solve column by column
    inv_cols = [exact.solve_square(I_plus, [Fraction(int(i == j)) for i in range(d)]) for j in range(d)]
    inv = exact.transpose(inv_cols)
    return [[sum((I_minus[i][k] * inv[k][j] for k in range(d)), Fraction(0)) for j in range(d)] for i in range(d)]


def eigenvector_data(scales: Sequence[Any], index: int, c: Any, skew: Sequence[Sequence[Any]] | None = None,
                     name: str = "eigenvector family") -> RegressionData:
    """Exact data for which w* is an eigenvector of Sigma (the equality family of MC-Smin).

    X = diag(x) Q^T (n = d, Q rational orthogonal from :func:`rational_orthogonal`, identity by default), y =
    c x_j e_j; then Sigma = Q diag(x^2 / d) Q^T and w* = c Q e_j, an eigenvector with eigenvalue mu = x_j^2 / d.
    S_min = S_LB exactly when L x_j^2 >= max_i x_i^2 [derived].
    """
    x = [Fraction(v) for v in scales]
    d = len(x)
    if any(v == 0 for v in x):
        raise InvalidParameterError("the scales must be nonzero (Sigma invertible)")
    Q = rational_orthogonal(skew) if skew is not None else [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    if len(Q) != d:
        raise InvalidParameterError(f"skew matrix is {len(Q)} x {len(Q)} but there are {d} scales")
    X = [[x[i] * Q[j][i] for j in range(d)] for i in range(d)]
    y = [Fraction(c) * x[index] if i == index else Fraction(0) for i in range(d)]
    return RegressionData(tuple(map(tuple, X)), tuple(y), name)


def gaussian_data(n: int, d: int, seed: int, noise=1.0, decimals: int = 3, normalize: bool = True,
                  name: str | None = None) -> RegressionData:
    """The paper's synthetic data [authors' code], made exact: X ~ N(0, 1), y = X w_true + noise xi, both rounded
    to ``decimals`` decimal digits (then read exactly); with ``normalize``, y is divided by the float ||w*||
    before rounding, so ||w*|| = 1 up to the rounding."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, d)), decimals)
    y = X @ rng.standard_normal(d) + float(noise) * rng.standard_normal(n)
    if normalize:
        y = y / np.linalg.norm(np.linalg.lstsq(X, y, rcond=None)[0])
    y = np.round(y, decimals + 1)
    fmt = lambda v: format(float(v), f".{decimals + 1}f")  # noqa: E731 - exact decimal text
    return RegressionData(tuple(tuple(Fraction(fmt(v)) for v in row) for row in X),
                          tuple(Fraction(fmt(v)) for v in y), name or f"gauss-n{n}-d{d}-s{seed}")
