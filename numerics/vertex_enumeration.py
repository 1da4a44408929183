"""Brute-force basis pursuit by vertex enumeration: the independent check of :mod:`basis_pursuit`.

Nothing here shares code with the LP path: linear algebra is a plain Gauss-Jordan elimination in
:class:`fractions.Fraction` (no flint, no floats, no LP solver).

* ``enumerate_l1``: every vertex of the polyhedron {x : A x = y} split as x = x+ - x- is a basic
  solution on r = rank(A) independent columns of A. The l1 minimum is attained at one of them, and
  X_BP is the convex hull of the optimal ones, so: min value, the set of optimal vertices, uniqueness
  (exactly one optimal vertex) and the maximal support (union of their supports; signs never cancel
  on X_BP) follow by enumeration of the C(N, r) column subsets.
* ``rho_bruteforce``: rho = max { <sigma, v_S> : v in ker A, ||v_{S^c}||_1 <= 1 } is a linear
  function of w = v_{S^c} on W = {v_{S^c} : v in ker A} (well defined because sigma is orthogonal to
  ker A_S), maximized over the polytope W ∩ B_1. Its extreme points are the normalized w whose
  support pattern J leaves a one-dimensional W_J = {w in W : supp w ⊆ J}; all J ⊆ S^c are tried.
* ``nsp_constant_bruteforce``: rho_S(A) = max ||v_S||_1 over the same extreme points (v_S = L w is
  linear in w when A_S is injective, and ||L w||_1 is convex, so the max sits at an extreme point).

Only for small instances: beyond the size limits :class:`InvalidParameterError` is raised.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError, NotInRangeError
from implicitreg.numerics._result import Result  # to_json only; no arithmetic is shared with the LP path

__all__ = ["VertexEnumerationResult", "enumerate_l1", "rho_bruteforce", "nsp_constant_bruteforce"]


def _gauss_jordan(M: Sequence[Sequence[Fraction]], ncols: int) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form (nonzero rows only) and pivot columns, in plain fractions."""
    R = [[Fraction(v) for v in row] for row in M]
    pivots: list[int] = []
    r = 0
    for j in range(ncols):
        p = next((i for i in range(r, len(R)) if R[i][j] != 0), None)
        if p is None:
            continue
        R[r], R[p] = R[p], R[r]
        piv = R[r][j]
        R[r] = [v / piv for v in R[r]]
        for i in range(len(R)):
            if i != r and R[i][j] != 0:
                f = R[i][j]
                R[i] = [a - f * b for a, b in zip(R[i], R[r])]
        pivots.append(j)
        r += 1
        if r == len(R):
            break
    return R[:r], pivots


def _rank(M, ncols: int) -> int:
    return len(_gauss_jordan(M, ncols)[1]) if M and ncols else 0


def _kernel(M: Sequence[Sequence[Fraction]], ncols: int) -> list[list[Fraction]]:
    """A basis of ker M. Deliberately the same few lines as :func:`implicitreg.numerics.exact.nullspace`, written
    again: this module is the independent path and shares no arithmetic with the LP one (module docstring)."""
    R, pivots = _gauss_jordan(M, ncols) if M else ([], [])
    basis = []
    for f in (j for j in range(ncols) if j not in pivots):
        v = [Fraction(0)] * ncols
        v[f] = Fraction(1)
        for row, p in zip(R, pivots):
            v[p] = -row[f]
        basis.append(v)
    return basis


def _solve_full_column_rank(M, b, ncols: int) -> list[Fraction] | None:
    """The unique solution of M x = b when M has full column rank and the system is consistent."""
    aug = [list(row) + [Fraction(bi)] for row, bi in zip(M, b)]
    R, pivots = _gauss_jordan(aug, ncols + 1)
    if ncols in pivots or len(pivots) != ncols:
        return None
    return [R[k][ncols] for k in range(ncols)]


def _cols(A, idx):
    return [[row[j] for j in idx] for row in A]


def _as_fractions(A):
    return [[Fraction(v) for v in row] for row in A]


@dataclass(frozen=True, kw_only=True)
class VertexEnumerationResult(Result):
    """min ||x||_1 over A x = y by enumeration: value, all optimal vertices, uniqueness, maximal support."""

    value: Fraction
    vertices: tuple[tuple[Fraction, ...], ...]
    unique: bool
    support: tuple[int, ...]
    signs: tuple[int, ...]
    bases_examined: int


def enumerate_l1(A, y, *, max_bases: int = 20000) -> VertexEnumerationResult:
    """Basis pursuit by enumerating all basic solutions (C(N, rank A) column subsets, at most ``max_bases``)."""
    A = _as_fractions(A)
    y = [Fraction(v) for v in y]
    N = len(A[0])
    r = _rank(A, N)
    count = math.comb(N, r)
    if count > max_bases:
        raise InvalidParameterError(f"vertex enumeration needs C({N},{r}) = {count} bases, more than {max_bases}")
    if r == 0:
        if any(y):
            raise NotInRangeError("y is not in the range of A")
        zero = (Fraction(0),) * N
        return VertexEnumerationResult(value=Fraction(0), vertices=(zero,), unique=True, support=(), signs=(),
                                       bases_examined=1)
    best: Fraction | None = None
    optimal: set[tuple[Fraction, ...]] = set()
    for B in itertools.combinations(range(N), r):
        AB = _cols(A, B)
        xB = _solve_full_column_rank(AB, y, r)
        if xB is None:
            # either A_B is singular (skip) or y is not in range(A_B) = range(A): not in range at all
            if _rank(AB, r) == r:
                raise NotInRangeError("y is not in the range of A")
            continue
        x = [Fraction(0)] * N
        for j, v in zip(B, xB):
            x[j] = v
        val = sum((abs(v) for v in x), Fraction(0))
        if best is None or val < best:
            best, optimal = val, {tuple(x)}
        elif val == best:
            optimal.add(tuple(x))
    verts = tuple(sorted(optimal))
    support = tuple(j for j in range(N) if any(v[j] for v in verts))
    signs = tuple(next((1 if v[j] > 0 else -1) for v in verts if v[j]) for j in support)
    return VertexEnumerationResult(value=best, vertices=verts, unique=len(verts) == 1, support=support, signs=signs,
                                   bases_examined=count)


def _extreme_directions(A, support, max_subsets: int):
    """Kernel vectors v (normalised ||v_{S^c}||_1 = 1) whose S^c-part is an extreme point of W ∩ B_1."""
    N = len(A[0])
    S = list(support)
    C = [j for j in range(N) if j not in set(S)]
    if 2 ** len(C) > max_subsets:
        raise InvalidParameterError(f"brute-force rho needs 2^{len(C)} subsets of S^c, more than {max_subsets}")
    out = []
    for k in range(1, len(C) + 1):
        for J in itertools.combinations(C, k):
            idx = S + list(J)
            K = _kernel(_cols(A, idx), len(idx))
            proj = [[v[len(S) + t] for t in range(len(J))] for v in K]
            if _rank(proj, len(J)) != 1:
                continue
            g = next(v for v in K if any(v[len(S):]))
            scale = sum((abs(t) for t in g[len(S):]), Fraction(0))
            v = [Fraction(0)] * N
            for j, gj in zip(idx, g):
                v[j] = gj / scale
            out.append(v)
    return out


def rho_bruteforce(A, support, signs, *, max_subsets: int = 4096) -> Fraction:
    """rho(A, S, sigma) = max { |<sigma, v_S>| : v in ker A, ||v_{S^c}||_1 = 1 } (0 if that set is empty), by enumeration."""
    A = _as_fractions(A)
    N = len(A[0])
    S = list(support)
    sig = [int(s) for s in signs]
    for w in _kernel(_cols(A, S), len(S)) if S else []:
        if sum((a * b for a, b in zip(sig, w)), Fraction(0)) != 0:
            raise InvalidParameterError("sigma is not orthogonal to ker A_S: rho is undefined")
    best = Fraction(0)
    for v in _extreme_directions(A, S, max_subsets):
        best = max(best, abs(sum((s * v[j] for s, j in zip(sig, S)), Fraction(0))))
    return best


def nsp_constant_bruteforce(A, support, *, max_subsets: int = 4096) -> Fraction:
    """rho_S(A) = max { ||v_S||_1 : v in ker A, ||v_{S^c}||_1 = 1 } by enumeration (A_S injective required)."""
    A = _as_fractions(A)
    S = list(support)
    if S and _rank(_cols(A, S), len(S)) < len(S):
        raise HypothesisNotMetError("A_S is not injective: rho_S(A) is infinite")
    best = Fraction(0)
    for v in _extreme_directions(A, S, max_subsets):
        best = max(best, sum((abs(v[j]) for j in S), Fraction(0)))
    return best
