"""Element helpers of :mod:`implicitreg.numerics.deep_linear`: one code path for float64 and mpf arrays.

Arrays are numpy arrays of ``float64`` (fast experiments) or of ``object`` dtype holding ``mpmath.mpf`` (high
precision); these helpers (square root, norms, identity, symmetric eigenproblems) dispatch on the element type.
"""
from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np

from implicitreg.numerics.precision import mpf_from


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
        out[idx] = mpf_from(v)
    return out



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


def _as(kind: str, v):
    return mpmath.mpf(v) if kind == "mp" else float(v)
