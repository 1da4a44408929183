"""Element helpers of :mod:`implicitreg.numerics.deep_linear`: one code path for float64 and mpf arrays.

Arrays are numpy arrays of ``float64`` (fast experiments) or of ``object`` dtype holding ``mpmath.mpf`` (high
precision); these helpers (square root, norms, identity, symmetric eigenproblems) dispatch on the element type.
"""
from __future__ import annotations

import math
from typing import Any

import flint
import mpmath
import numpy as np

from implicitreg.numerics.precision import arb_to_mpf, mpf_from, to_arb


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


def _sum_of_squares(entries) -> flint.arb:
    return sum((c.real * c.real + c.imag * c.imag for c in entries), flint.arb(0))


def largest_eigenvalue_qr(A: np.ndarray) -> Any:
    """lambda_max of a symmetric mpf matrix by the QR algorithm of python-flint (``acb_mat.eig(algorithm="approx")``,
    20 guard bits), or None when one of two checks fails.

    The checks: the residual ||A v - lambda v|| of its unit eigenvector, which bounds the distance from lambda to an
    eigenvalue of A (A symmetric), is at most 2^(-prec+10) ||A||_F (in ball arithmetic); and float64 ``eigvalsh``
    (within 1e-10 ||A||_F of the spectrum) puts lambda within 1e-8 ||A||_F of its largest value, more than
    1e-6 ||A||_F above the second one, so the eigenvalue near lambda is the largest. A tie at the top (a multiple
    largest eigenvalue) is refused, and so is a matrix with ||A||_F > 1e300 (no float64 spectrum to check against).
    """
    n = A.shape[0]
    scale = _sqrt(np.sum(A * A))
    if scale > 1e300:
        return None  # beyond the float64 range: no float64 spectrum to check the top against
    floats = np.linalg.eigvalsh(to_float(A))
    prec = mpmath.mp.prec
    old = flint.ctx.prec
    flint.ctx.prec = prec + 20
    try:
        M = flint.acb_mat([[to_arb(x) for x in row] for row in A.tolist()])
        E, R = M.eig(right=True, algorithm="approx")
        k = max(range(n), key=lambda i: E[i].real.mid())
        lam = E[k].real.mid()
        v = flint.acb_mat([[R[i, k]] for i in range(n)])
        r = M * v - v * lam
        # ||r||^2 / ||v||^2 as a ball; its upper end bounds the squared residual of the unit vector
        ratio = _sum_of_squares(r[i, 0] for i in range(n)) / _sum_of_squares(v[i, 0] for i in range(n))
        value, residual2 = arb_to_mpf(lam), arb_to_mpf(ratio.mid() + ratio.rad())
    finally:
        flint.ctx.prec = old
    f = float(scale)
    near_top = abs(float(value) - floats[-1]) <= 1e-8 * f
    separated = n == 1 or floats[-1] - floats[-2] > 1e-6 * f
    if residual2 <= (mpmath.mpf(2) ** (-prec + 10) * scale) ** 2 and near_top and separated:
        return value
    return None


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
