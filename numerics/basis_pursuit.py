"""Basis pursuit solved exactly: min ||x||_1 subject to A x = y, over the rationals.

Method (dln.md §3, wah.md §3). The LP is min 1^T (x+ + x-) s.t. A x+ - A x- = y, x+- >= 0, solved by
:func:`implicitreg.numerics.lp_exact.linprog_exact`: HiGHS's float basis rebuilt and repaired in exact rationals,
every answer proved in fractions (primal and dual feasibility, zero duality gap). Nothing unproved is returned.

On top of one optimal primal-dual pair (x0, lambda0):

* the **maximal support** S (wah.md §3) is found by at most |T| further exact LPs over the optimal
  face, T = {i : |(A^T lambda0)_i| = 1}: while some i in U (not yet seen in a support) can be
  nonzero on X_BP, the LP max sum_{i in U} sigma_i x_i over X_BP has a positive value and returns a
  vertex that enlarges the known support; an optimal value 0 proves the rest vanish on X_BP;
* **uniqueness** is exact: with S maximal, X_BP = {x0 + ker A_S} near a relative-interior point, so
  x* is unique iff ker A_S = {0} (the criterion of Foucart & Rauhut 2013, Thm 4.30, dln.md §3);
* **rho** = min { ||A_{S^c}^T lambda||_inf : A_S^T lambda = sigma } (dln.md §3, derived) comes
  with a primal certificate lambda and a dual certificate v in ker A, ||v_{S^c}||_1 = 1,
  <sigma, v_S> = rho; with S maximal rho < 1 (strict complementarity), and the rho-optimal lambda is
  the returned dual certificate, strict off S.
"""
from __future__ import annotations

import itertools
import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import flint
import numpy as np

from implicitreg.errors import (CertificateError, ConvergenceError, HypothesisNotMetError,
                                InvalidInstanceError, InvalidParameterError, NotInRangeError)
from implicitreg.numerics._result import Result
from implicitreg.numerics.exact import (columns, nullspace, norm1, norm_inf, parse_exact,
                                        pinv_times, rank, sign, solve_consistent, transpose)
# the exact LP lives in lp_exact; LPSolution and linprog_exact are re-exported here for existing callers
from implicitreg.numerics.lp_exact import (LPSolution, _float_array, _mat, _matvec, _pivot_columns, _q, _rmatvec,
                                           linprog_exact)

__all__ = ["Face", "BasisPursuitResult", "RhoResult", "l1_minimizer", "rho_constant", "nsp_constant",
           "nsp_constant_order", "support_pinv_norm", "linprog_exact", "LPSolution"]

#: enumerate the vertices of the optimal face only when at most this many candidate bases exist
FACE_VERTEX_LIMIT = 2000


# --------------------------------------------------------------------------------------------------
# input normalisation
# --------------------------------------------------------------------------------------------------

def _as_matrix(A) -> list[list[Fraction]]:
    if hasattr(A, "A") and hasattr(A, "y"):
        A = A.A
    try:
        rows = [list(r) for r in A]
    except TypeError:
        raise InvalidInstanceError("A must be a matrix (a sequence of rows)") from None
    if not rows or not rows[0]:
        raise InvalidInstanceError("A must be a non-empty matrix")
    n = len(rows[0])
    if any(len(r) != n for r in rows):
        raise InvalidInstanceError("A is ragged")
    return [[parse_exact(v, f"A[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(rows)]


def _index(i) -> int:
    """An index: an int or numpy integer, not a bool (``int()`` would read 1.5 as 1 and "1" as 1)."""
    if isinstance(i, bool):
        raise TypeError("a boolean is not an index")
    return operator.index(i)


def _as_support(support, N: int) -> tuple[int, ...]:
    try:
        S = tuple(_index(i) for i in support)
    except (TypeError, ValueError):
        raise InvalidParameterError("support must be a sequence of integer indices") from None
    if list(S) != sorted(set(S)):
        raise InvalidParameterError(f"support must be strictly increasing, got {list(S)}")
    if S and (S[0] < 0 or S[-1] >= N):
        raise InvalidParameterError(f"support indices must lie in [0, {N - 1}], got {list(S)}")
    return S


def _as_signs(signs, s: int) -> tuple[int, ...]:
    try:
        sig = tuple(_index(v) for v in signs)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"signs must be {s} entries each +1 or -1, got {str(signs)[:40]}") from None
    if len(sig) != s or any(v not in (-1, 1) for v in sig):
        raise InvalidParameterError(f"signs must be {s} entries each +1 or -1, got {list(signs)}")
    return sig


def _complement(S: Sequence[int], N: int) -> list[int]:
    inS = set(S)
    return [j for j in range(N) if j not in inS]


# --------------------------------------------------------------------------------------------------
# rho and the NSP constants
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RhoResult(Result):
    """rho = min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma } = max { <sigma, v_S> : v in ker A, ||v_{S^c}||_1 <= 1 }.

    ``lam`` attains the minimum (primal certificate); ``v`` attains the maximum (dual certificate),
    normalised to ||v_{S^c}||_1 = 1 whenever ker A has a vector nonzero off S (otherwise v = 0 and
    rho = 0). Equal values of the two certify both optimal (weak duality, proofs/derivations/rho_duality.py).
    """

    value: Fraction
    lam: tuple[Fraction, ...]
    v: tuple[Fraction, ...]


def rho_constant(A, support, signs) -> RhoResult:
    """rho(A, S, sigma) = min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma }, exactly (dln.md §3, derived).

    Solved as the exact LP over v (m + 1 rows):  max <sigma, v_S>  s.t.  A v = 0, ||v_{S^c}||_1 <= 1,
    whose LP dual multipliers are (-lam, -rho). Raises :class:`InvalidParameterError` when no lam
    solves A_S^T lam = sigma (then the minimum is over an empty set).
    """
    A = _as_matrix(A)
    m, N = len(A), len(A[0])
    S = _as_support(support, N)
    sig = _as_signs(signs, len(S))
    C = _complement(S, N)
    AS = columns(A, S)
    if S and solve_consistent(transpose(AS), [Fraction(v) for v in sig]) is None:
        raise InvalidParameterError("no lambda satisfies A_S^T lambda = sigma (sigma is not orthogonal to ker A_S); "
                                    "rho is undefined for this support and sign pattern")
    s, nc = len(S), len(C)
    # variables: vS+ (s), vS- (s), p (nc), q (nc), e (1)
    nvar = 2 * s + 2 * nc + 1
    M = []
    for i in range(m):
        row = [A[i][j] for j in S] + [-A[i][j] for j in S] + [A[i][j] for j in C] + [-A[i][j] for j in C] + [Fraction(0)]
        M.append(row)
    M.append([Fraction(0)] * (2 * s) + [Fraction(1)] * (2 * nc + 1))
    b = [Fraction(0)] * m + [Fraction(1)]
    c = [Fraction(-v) for v in sig] + [Fraction(v) for v in sig] + [Fraction(0)] * (2 * nc + 1)
    assert len(c) == nvar
    sol = linprog_exact(c, M, b)
    rho = -sol.value
    lam = tuple(-v for v in sol.dual[:m])
    z = sol.z
    v = [Fraction(0)] * N
    for k, j in enumerate(S):
        v[j] = z[k] - z[s + k]
    for k, j in enumerate(C):
        v[j] = z[2 * s + k] - z[2 * s + nc + k]
    off = norm1(v[j] for j in C)
    if off == 0 and C:
        # rho = 0 and the LP returned v = 0: any kernel vector nonzero off S, normalised, also attains 0
        for w in nullspace(A, N):
            if any(w[j] for j in C):
                v = list(w)
                break
        off = norm1(v[j] for j in C)
    if off:
        v = [vi / off for vi in v]
    result = RhoResult(value=rho, lam=lam, v=tuple(v))
    _check_rho(A, S, sig, result)
    return result


def _check_rho(A, S, sig, res: RhoResult) -> None:
    """Exact re-check of both rho certificates (raises CertificateError)."""
    N = len(A[0])
    C = _complement(S, N)
    At_lam = _rmatvec(A, res.lam)
    if any(At_lam[j] != sig[k] for k, j in enumerate(S)):
        raise CertificateError("rho: A_S^T lambda != sigma")
    if norm_inf(At_lam[j] for j in C) != res.value:
        raise CertificateError("rho: ||A_{S^c}^T lambda||_inf != rho")
    if any(_matvec(A, res.v)):
        raise CertificateError("rho: v is not in ker A")
    if sum((sig[k] * res.v[j] for k, j in enumerate(S)), Fraction(0)) != res.value:
        raise CertificateError("rho: <sigma, v_S> != rho")
    off = norm1(res.v[j] for j in C)
    if off not in (0, 1) or (off == 0 and res.value != 0):
        raise CertificateError("rho: ||v_{S^c}||_1 must be 1 (or v = 0 with rho = 0)")


def nsp_constant(A, support) -> Fraction:
    """rho_S(A) = max { ||v_S||_1 : v in ker A, ||v_{S^c}||_1 = 1 } (dln.md §3), exactly.

    The max over the 2^(s-1) sign patterns sigma (v -> -v halves them) of rho(A, S, sigma). It is
    0 when ker A = {0} and infinite when A_S is not injective; the latter raises
    :class:`HypothesisNotMetError`.
    """
    A = _as_matrix(A)
    N = len(A[0])
    S = _as_support(support, N)
    if not S:
        return Fraction(0)
    if rank(columns(A, S)) < len(S):
        raise HypothesisNotMetError(f"rho_S(A) is infinite for S = {list(S)}: A_S is not injective "
                                    "(ker A has a nonzero vector supported on S)")
    if len(S) > 13:
        raise InvalidParameterError(f"rho_S(A) needs 2^{len(S) - 1} LPs for |S| = {len(S)}: too many (limit |S| <= 13)")
    best = Fraction(0)
    for tail in itertools.product((1, -1), repeat=len(S) - 1):
        best = max(best, rho_constant(A, S, (1,) + tail).value)
    return best


def nsp_constant_order(A, s: int, *, max_subsets: int = 5000) -> Fraction:
    """rho_s(A) = max_{|S| <= s} rho_S(A) (dln.md §3), exhaustively over the C(N, s) supports of size s.

    rho_S is monotone in S (a larger S moves mass from ||v_{S^c}||_1 to ||v_S||_1), so supports of
    size exactly min(s, N) suffice. Raises :class:`InvalidParameterError` when C(N, s) > ``max_subsets``
    and :class:`HypothesisNotMetError` when some A_S is not injective (rho_s infinite).
    """
    A = _as_matrix(A)
    N = len(A[0])
    if isinstance(s, bool) or not isinstance(s, int) or s < 0:
        raise InvalidParameterError(f"the order s must be a nonnegative integer, got {s!r}")
    s = min(s, N)
    count = math.comb(N, s)
    if count > max_subsets:
        raise InvalidParameterError(f"rho_s(A) for N = {N}, s = {s} needs C({N},{s}) = {count} supports, more than "
                                    f"max_subsets = {max_subsets}; exhaustive computation is infeasible at this size")
    return max((nsp_constant(A, S) for S in itertools.combinations(range(N), s)), default=Fraction(0))


def support_pinv_norm(A, support) -> Fraction:
    """||A_S^+ A_{S^c}||_{1->1} = max_j ||A_S^+ a_j||_1 over j not in S (dln.md §3 error identity), exactly.

    Requires A_S injective (:class:`HypothesisNotMetError` otherwise); A_S^+ = (A_S^T A_S)^{-1} A_S^T.
    """
    A = _as_matrix(A)
    N = len(A[0])
    S = _as_support(support, N)
    C = _complement(S, N)
    if not S or not C:
        return Fraction(0)
    AS = columns(A, S)
    if rank(AS) < len(S):
        raise HypothesisNotMetError(f"A_S is not injective for S = {list(S)}: A_S^+ A_(S^c) is not defined here")
    P = pinv_times(AS, columns(A, C))
    return max(norm1(P[i][k] for i in range(len(S))) for k in range(len(C)))


# --------------------------------------------------------------------------------------------------
# the optimal face and the basis pursuit result
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Face(Result):
    """X_BP = { x : A x = y, sigma_i x_i >= 0 on S, x = 0 off S } (wah.md §3, standard).

    ``point`` is a relative-interior point (nonzero on all of S); ``directions`` an exact basis of
    ker A_S embedded in R^N, so ``dimension`` = dim ker A_S; ``vertices`` lists every vertex when the
    enumeration is small (at most ``FACE_VERTEX_LIMIT`` candidate bases), else None.
    """

    support: tuple[int, ...]
    signs: tuple[int, ...]
    point: tuple[Fraction, ...]
    directions: tuple[tuple[Fraction, ...], ...]
    dimension: int
    vertices: tuple[tuple[Fraction, ...], ...] | None
    A: tuple[tuple[Fraction, ...], ...] = field(default=(), repr=False, compare=False)
    y: tuple[Fraction, ...] = field(default=(), repr=False, compare=False)

    def contains(self, x) -> bool:
        """Exact membership x in X_BP."""
        N = len(self.A[0])
        if len(x) != N:
            return False
        x = [Fraction(v) for v in x]
        inS = dict(zip(self.support, self.signs))
        for j in range(N):
            if j in inS:
                if inS[j] * x[j] < 0:
                    return False
            elif x[j] != 0:
                return False
        return _matvec(self.A, x) == list(self.y)


@dataclass(frozen=True, kw_only=True)
class BasisPursuitResult(Result):
    """Exact solution of basis pursuit min { ||x||_1 : A x = y } with its proofs.

    ``x`` is the minimizer when ``unique``, otherwise an optimal vertex. ``support``/``signs`` are the
    maximal support S and sign pattern sigma of X_BP. ``certificate`` is a dual lambda with
    ||A^T lambda||_inf <= 1, (A^T lambda)_S = sigma, |(A^T lambda)_j| <= rho < 1 off S and
    <y, lambda> = ``value``. ``rho`` is rho(A, S, sigma) for this maximal S, with both LP
    certificates in ``rho_certificate``. :meth:`verify` re-checks every claim in fractions.
    """

    x: tuple[Fraction, ...]
    value: Fraction
    unique: bool
    support: tuple[int, ...]
    signs: tuple[int, ...]
    certificate: tuple[Fraction, ...]
    rho: Fraction
    face: Face
    rho_certificate: RhoResult | None = field(default=None, repr=False)
    A: tuple[tuple[Fraction, ...], ...] = field(default=(), repr=False, compare=False)
    y: tuple[Fraction, ...] = field(default=(), repr=False, compare=False)

    def verify(self) -> None:
        """Re-check every exact claim; raises :class:`CertificateError` on the first failure.

        Primal: A x = y and ||x||_1 = value. Dual: ||A^T lambda||_inf <= 1 and <y, lambda> = value
        (zero gap: both optimal). Strictness |(A^T lambda)_j| < 1 off S puts every minimizer on S with
        signs sigma (complementary slackness); ``face.point`` is a minimizer nonzero on all of S, so S
        is the maximal support. X_BP is then point + ker A_S locally, so unique iff dim ker A_S = 0.
        """
        A, y = [list(r) for r in self.A], list(self.y)
        N = len(A[0])
        S, sig = list(self.support), list(self.signs)
        x, lam = list(self.x), list(self.certificate)
        if len(x) != N or len(lam) != len(A):
            raise CertificateError("shapes of x or lambda do not match A")
        if _matvec(A, x) != y:
            raise CertificateError("primal infeasible: A x != y")
        if norm1(x) != self.value:
            raise CertificateError("||x||_1 != value")
        At = _rmatvec(A, lam)
        if norm_inf(At) > 1:
            raise CertificateError("dual infeasible: ||A^T lambda||_inf > 1")
        if sum((a * b for a, b in zip(y, lam)), Fraction(0)) != self.value:
            raise CertificateError("duality gap: <y, lambda> != ||x||_1")
        if len(sig) != len(S) or any(At[j] != sg for j, sg in zip(S, sig)):
            raise CertificateError("(A^T lambda)_S != sigma")
        C = _complement(S, N)
        if any(abs(At[j]) >= 1 for j in C):
            raise CertificateError("lambda is not strict off S")
        if not self.face.contains(x):
            raise CertificateError("x is not in the face description")
        pt = self.face.point
        if not self.face.contains(pt) or any(pt[j] == 0 for j in S):
            raise CertificateError("face.point is not a minimizer nonzero on all of S (S not maximal)")
        face = self.face   # contains() above reads the face's own A, y, S, sigma: they must be the result's
        if ([list(r) for r in face.A] != A or list(face.y) != y or list(face.support) != S
                or list(face.signs) != sig):
            raise CertificateError("the face describes other data (its A, y, S or sigma differ from the result's)")
        AS = columns(A, S)
        dirs = [list(d) for d in self.face.directions]
        k = len(S) - (rank(AS) if S else 0)
        if self.face.dimension != k or len(dirs) != k:
            raise CertificateError("face dimension != dim ker A_S")
        if any(_matvec(A, d) != [0] * len(A) or any(d[j] for j in C) for d in dirs):
            raise CertificateError("a face direction is not in ker A_S")
        if k and rank(dirs) != k:
            raise CertificateError("face directions are dependent")
        if self.unique != (k == 0):
            raise CertificateError("uniqueness flag disagrees with dim ker A_S")
        if self.unique and (x != list(pt) or tuple(j for j in range(N) if x[j]) != self.support):
            raise CertificateError("unique minimizer must equal face.point with support S")
        supp_x = [j for j in range(N) if x[j]]
        if supp_x and rank(columns(A, supp_x)) < len(supp_x):
            raise CertificateError("x is not a vertex of X_BP (its columns are dependent)")
        if self.face.vertices is not None:
            for vtx in self.face.vertices:
                sup = [j for j in range(N) if vtx[j]]
                if not self.face.contains(vtx) or (sup and rank(columns(A, sup)) < len(sup)):
                    raise CertificateError("a listed face vertex is not a vertex of X_BP")
        if not (0 <= self.rho < 1):
            raise CertificateError("rho must lie in [0, 1) for the maximal support")
        if self.rho_certificate is not None:
            if self.rho_certificate.value != self.rho:
                raise CertificateError("rho certificate value != rho")
            _check_rho(A, S, sig, self.rho_certificate)
        if norm_inf(At[j] for j in C) > self.rho:
            raise CertificateError("lambda is not rho-optimal off S")


def _split_basis_from_float(A, y, rows) -> list[int] | None:
    """A primal feasible basis of the split LP [A, -A] from HiGHS's solution.

    Any r independent columns C of A give a feasible split basis: x_C = A_C^{-1} y and column j or
    N + j according to the sign of x_j. HiGHS only decides which columns to take.
    """
    from scipy.optimize import linprog

    N = len(A[0])
    Ar = [A[i] for i in rows]
    yr = [y[i] for i in rows]
    Af = _float_array(Ar, (len(Ar), N))
    yf = _float_array(yr, (len(yr),))
    if Af is None or yf is None:
        return None
    res = linprog(np.ones(2 * N), A_eq=np.hstack([Af, -Af]), b_eq=yf, bounds=(0, None), method="highs-ds")
    if res.status != 0 or res.x is None:
        return None
    xf = res.x[:N] - res.x[N:]
    lamf = res.eqlin.marginals
    act = Af.T @ lamf
    scale = max(1.0, float(np.max(np.abs(xf))))
    pos = sorted((j for j in range(N) if abs(xf[j]) > 1e-9 * scale), key=lambda j: -abs(xf[j]))
    rest = sorted((j for j in range(N) if j not in set(pos)), key=lambda j: 1 - abs(act[j]))
    order = pos + rest
    piv = _pivot_columns(flint.fmpq_mat(len(rows), N, [_q(Ar[i][j]) for i in range(len(rows)) for j in order]))
    if len(piv) != len(rows):
        return None
    cols = [order[k] for k in piv]
    xC = solve_consistent(columns(Ar, cols), yr)
    basis = []
    for k, j in enumerate(cols):
        if xC[k] > 0 or (xC[k] == 0 and act[j] >= 0):
            basis.append(j)
        else:
            basis.append(N + j)
    return basis


def _independent_rows(A) -> list[int]:
    return _pivot_columns(_mat(A).transpose())


def _face_vertices(A, y, S, sig, limit: int = FACE_VERTEX_LIMIT):
    """All vertices of X_BP: basic solutions on rank(A_S)-subsets of S with the sign pattern."""
    N = len(A[0])
    if not S:
        return ((Fraction(0),) * N,)
    k = rank(columns(A, S))
    if math.comb(len(S), k) > limit:
        return None
    sgn = dict(zip(S, sig))
    out = set()
    for B in itertools.combinations(S, k):
        AB = columns(A, B)
        if rank(AB) < k:
            continue
        xB = solve_consistent(AB, y)
        if xB is None or any(sgn[j] * v < 0 for j, v in zip(B, xB)):
            continue
        x = [Fraction(0)] * N
        for j, v in zip(B, xB):
            x[j] = v
        out.add(tuple(x))
    return tuple(sorted(out))


def l1_minimizer(instance) -> BasisPursuitResult:
    """Exact basis pursuit: min ||x||_1 s.t. A x = y, with maximal support, face, rho and proofs.

    ``instance`` is an :class:`~implicitreg.numerics.instance.Instance` (or anything with exact
    ``A`` and ``y``). See the module docstring for the method; the result is verified
    (:meth:`BasisPursuitResult.verify`) before it is returned.
    """
    A = [list(r) for r in instance.A]
    y = [Fraction(v) for v in instance.y]
    m, N = len(A), len(A[0])
    if solve_consistent(A, y) is None:
        raise NotInRangeError("y is not in the range of A: A x = y has no solution")
    # 1. the split LP, float basis rebuilt exactly
    rows = _independent_rows(A)
    M = [row + [-v for v in row] for row in A]
    hint = (lambda: _split_basis_from_float(A, y, rows)) if rows else None
    sol = linprog_exact([Fraction(1)] * (2 * N), M, y, start=hint if hint is not None else "float")
    x0 = [sol.z[j] - sol.z[N + j] for j in range(N)]
    lam0 = list(sol.dual)
    At0 = _rmatvec(A, lam0)
    # 2. maximal support: T = indices where lambda0 is active; grow the known support by exact LPs
    T = [j for j in range(N) if abs(At0[j]) == 1]
    sigT = [int(At0[j]) for j in T]
    pos = {j: k for k, j in enumerate(T)}
    known = {j for j in range(N) if x0[j]}
    if not known <= set(T):  # complementary slackness guarantees this
        raise ConvergenceError("internal: optimal x not supported on the active set of its dual")
    vertices = [tuple(x0)]
    basis = [pos.get(j % N) for j in sol.basis]
    basis = None if any(b is None for b in basis) else basis
    MT = [[A[i][j] * sg for j, sg in zip(T, sigT)] for i in range(m)]
    while True:
        U = [k for k, j in enumerate(T) if j not in known]
        if not U:
            break
        c = [Fraction(0)] * len(T)
        for k in U:
            c[k] = Fraction(-1)
        sub = linprog_exact(c, MT, y, start=basis)
        if sub.value == 0:
            break  # proved: every i in U vanishes on X_BP
        xv = [Fraction(0)] * N
        for k, j in enumerate(T):
            xv[j] = sigT[k] * sub.z[k]
        known |= {j for j in range(N) if xv[j]}
        vertices.append(tuple(xv))
        basis = list(sub.basis)
    S = tuple(sorted(known))
    sig = tuple(sign(x0[j]) if x0[j] else sigT[pos[j]] for j in S)
    nv = len(vertices)
    point = tuple(sum((v[j] for v in vertices), Fraction(0)) / nv for j in range(N))
    # 3. the face: kernel of A_S, vertices when few
    AS = columns(A, S)
    dirs = []
    if S:
        for w in nullspace(AS, len(S)):
            d = [Fraction(0)] * N
            for k, j in enumerate(S):
                d[j] = w[k]
            dirs.append(tuple(d))
    dim = len(dirs)
    unique = dim == 0
    verts = _face_vertices(A, y, S, sig)
    # 4. rho for the maximal support, whose optimal lambda is the strict certificate
    rr = rho_constant(A, S, sig)
    if rr.value >= 1:
        raise ConvergenceError("internal: rho >= 1 for the maximal support (strict complementarity violated)")
    x = point if unique else tuple(x0)
    Tt = tuple(map(tuple, A))
    face = Face(support=S, signs=sig, point=point, directions=tuple(dirs), dimension=dim, vertices=verts, A=Tt,
                y=tuple(y))
    result = BasisPursuitResult(x=tuple(x), value=sol.value, unique=unique, support=S, signs=sig, certificate=rr.lam,
                                rho=rr.value, face=face, rho_certificate=rr, A=Tt, y=tuple(y))
    result.verify()
    return result
