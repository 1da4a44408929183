"""Regression data of deep linear networks: X (n x d), y, Sigma = X^T X / n, b = X^T y / n, w* (exact), and the
data constants a, Lambda, kappa (``deep_linear.md`` §1-2); the instances of the authors' experiments
(:func:`gaussian_data`, made exact) and the equality family (:func:`eigenvector_data`, exact).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

import mpmath
import numpy as np

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import exact
from implicitreg.numerics.instance import read_json_file, read_system
from implicitreg.numerics.deep_linear._arrays import _sqrt, symmetric_eigenvalues, to_float, to_mp


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
        X, y = read_system(data, "X", "a regression instance")
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
        X = exact.to_fmpq_mat(self.X)  # flint fmpq_mat products: exact, ~100x faster than Fraction sums
        return exact.from_fmpq_mat(X.transpose() * X / self.n)

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
        Rq = exact.to_fmpq_mat(R)
        G = Rq * exact.to_fmpq_mat(self.covariance_exact) * Rq.transpose()
        c = G.solve(Rq * exact.to_fmpq_mat([[v] for v in self.moment_exact]))  # exact; G is nonsingular
        return [row[0] for row in exact.from_fmpq_mat(Rq.transpose() * c)]

    @cached_property
    def minimal_loss_exact(self) -> Fraction:
        """R_min = (1/n) ||y - X w*||^2, exactly."""
        r = [yi - fi for yi, fi in zip(self.y, exact.matvec(self.X, self.target_exact))]
        return sum((v * v for v in r), Fraction(0)) / self.n

    # the same quantities as arrays (mpf at the working precision, or float64)
    def X_array(self, kind: str = "mp") -> np.ndarray:
        return self._array("X", kind)

    def y_array(self, kind: str = "mp") -> np.ndarray:
        return self._array("y", kind)

    def sigma(self, kind: str = "mp") -> np.ndarray:
        return self._array("covariance_exact", kind)

    def moment(self, kind: str = "mp") -> np.ndarray:
        return self._array("moment_exact", kind)

    def w_star(self, kind: str = "mp") -> np.ndarray:
        return self._array("target_exact", kind)

    @cached_property
    def _arrays(self) -> dict:
        return {}

    def _array(self, quantity: str, kind: str) -> np.ndarray:
        """The exact ``quantity`` as an array of ``kind``, converted once per kind and working precision (every flow
        step reads Sigma and b); a copy is returned, so callers may change it."""
        key = (quantity, kind, mpmath.mp.prec if kind == "mp" else None)
        if key not in self._arrays:
            self._arrays[key] = _convert(getattr(self, quantity), kind)
        return self._arrays[key].copy()


def _convert(values, kind: str) -> np.ndarray:
    if kind == "mp":
        return to_mp(np.array(values, dtype=object))
    if kind == "float":
        return to_float(np.array(values, dtype=object))
    raise InvalidParameterError(f"kind must be 'mp' or 'float', got {kind!r}")


@dataclass(frozen=True, kw_only=True)
class DataConstants:
    """Spectral constants of the data: lambda_min, Lambda = lambda_max, kappa = Lambda / lambda_min (inf when
    Sigma is singular; singularity is decided exactly, then lambda_min is 0), ||w*||, a = w*^T Sigma w* / ||w*||^2,
    a' = w*^T Sigma^2 w* / w*^T Sigma w*."""

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
    if exact.rank(data.covariance_exact) < data.d:  # singular, decided exactly: lambda_min = 0 (not rounding noise)
        lam = mpmath.mpf(0) if kind == "mp" else 0.0
    wn2 = np.sum(w * w)
    if wn2 == 0:
        raise InvalidParameterError("w* = 0 (X^T y = 0): the sharpness bounds need ||w*|| > 0")
    Sw = S @ w
    wSw = np.sum(w * Sw)
    a = wSw / wn2
    a_prime = np.sum(Sw * Sw) / wSw
    inf = mpmath.inf if kind == "mp" else math.inf
    kappa = Lam / lam if lam > 0 else inf
    return DataConstants(lambda_min=lam, Lambda=Lam, kappa=kappa, w_norm=_sqrt(wn2), a=a, a_prime=a_prime)


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
