"""Linear programs solved exactly over the rationals: min c^T z subject to M z = b, z >= 0.

HiGHS (``scipy.optimize.linprog(method="highs-ds")``) finds an optimal basis in floating point; the basic solution
is then *rebuilt in exact rationals* (python-flint ``fmpq_mat``) and, if the float basis was wrong, repaired by exact
simplex pivots (primal simplex from a primal feasible basis, dual simplex from a dual feasible one, otherwise an exact
phase 1; Dantzig's rule, Bland's after a run of degenerate pivots). Every answer is finally *proved* in the standard
library's :class:`fractions.Fraction`: primal feasibility, dual feasibility and a zero duality gap. Nothing unproved
is returned. Used by :mod:`implicitreg.numerics.basis_pursuit` (the split LP of basis pursuit, the maximal support,
rho).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import math

import flint
import numpy as np

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics._result import Result
from implicitreg.numerics.exact import transpose

__all__ = ["LPSolution", "linprog_exact"]

#: consecutive degenerate pivots before switching from Dantzig's rule to Bland's (anti-cycling) rule
_BLAND_AFTER = 30
_MAX_PIVOTS = 100_000


def _q(x: Fraction) -> flint.fmpq:
    return flint.fmpq(x.numerator, x.denominator)


def _f(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _mat(rows: Sequence[Sequence[Fraction]], ncols: int | None = None) -> flint.fmpq_mat:
    r = len(rows)
    n = ncols if ncols is not None else (len(rows[0]) if r else 0)
    return flint.fmpq_mat(r, n, [_q(v) for row in rows for v in row])


def _colvec(v: Sequence) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(v), 1, list(v))


def _pivot_columns(M: flint.fmpq_mat) -> list[int]:
    """Pivot columns of the rref of M: the greedy (left-to-right) maximal independent column set."""
    if M.nrows() == 0 or M.ncols() == 0:
        return []
    R, rk = M.rref()
    piv, j = [], 0
    n = M.ncols()
    for i in range(rk):
        while j < n and R[i, j] == 0:
            j += 1
        piv.append(j)
        j += 1
    return piv


@dataclass(frozen=True, kw_only=True)
class LPSolution(Result):
    """An exactly proved optimum of min c^T z, M z = b, z >= 0.

    ``dual`` is y with M^T y <= c and b^T y = c^T z = ``value`` (checked in fractions).
    ``basis`` lists the basic columns; ``pivots`` counts the exact simplex pivots needed after the
    float basis (0 when HiGHS's basis was already optimal).
    """

    z: tuple[Fraction, ...]
    dual: tuple[Fraction, ...]
    value: Fraction
    basis: tuple[int, ...]
    pivots: int
    phase1: bool = False


class _Simplex:
    """Exact revised simplex over fmpq on a full-row-rank M (rows already reduced)."""

    def __init__(self, M: flint.fmpq_mat, b: flint.fmpq_mat, c: list):
        self.M, self.b, self.c = M, b, c
        self.MT = M.transpose()
        self.r, self.n = M.nrows(), M.ncols()
        self.pivots = 0

    def _basis_matrix(self, basis):
        M = self.M
        return flint.fmpq_mat(self.r, self.r, [M[i, j] for i in range(self.r) for j in basis])

    def state(self, basis):
        """(B, z_B, y, reduced costs) for a basis; raises ZeroDivisionError when B is singular."""
        B = self._basis_matrix(basis)
        zB = B.solve(self.b)
        y = B.transpose().solve(_colvec([self.c[j] for j in basis]))
        My = self.MT * y
        red = [self.c[j] - My[j, 0] for j in range(self.n)]
        return B, [zB[i, 0] for i in range(self.r)], y, red

    def primal(self, basis: list[int]) -> list[int]:
        bland, streak = False, 0
        while True:
            B, zB, _, red = self.state(basis)
            inb = set(basis)
            cand = [j for j in range(self.n) if j not in inb and red[j] < 0]
            if not cand:
                return basis
            j = cand[0] if bland else min(cand, key=lambda k: (red[k], k))
            col = self.M
            u = B.solve(flint.fmpq_mat(self.r, 1, [col[i, j] for i in range(self.r)]))
            ratios = [(zB[i] / u[i, 0], basis[i], i) for i in range(self.r) if u[i, 0] > 0]
            if not ratios:
                raise ConvergenceError("exact simplex: the LP is unbounded (an internal LP was set up wrongly)")
            theta, _, i = min(ratios)
            streak = streak + 1 if theta == 0 else 0
            bland = bland or streak > _BLAND_AFTER
            basis[i] = j
            self._count()

    def dual_simplex(self, basis: list[int]) -> list[int]:
        bland, streak = False, 0
        while True:
            B, zB, _, red = self.state(basis)
            neg = [i for i in range(self.r) if zB[i] < 0]
            if not neg:
                return basis
            i = min(neg, key=lambda k: basis[k]) if bland else min(neg, key=lambda k: (zB[k], basis[k]))
            w = B.transpose().solve(_colvec([flint.fmpq(int(k == i)) for k in range(self.r)]))
            alpha = self.MT * w
            inb = set(basis)
            cand = [(red[j] / -alpha[j, 0], j) for j in range(self.n) if j not in inb and alpha[j, 0] < 0]
            if not cand:
                raise ConvergenceError("exact dual simplex: the LP is infeasible (an internal LP was set up wrongly)")
            ratio, j = min(cand)
            streak = streak + 1 if ratio == 0 else 0
            bland = bland or streak > _BLAND_AFTER
            basis[i] = j
            self._count()

    def _count(self):
        self.pivots += 1
        if self.pivots > _MAX_PIVOTS:
            raise ConvergenceError(f"exact simplex: no optimum after {_MAX_PIVOTS} pivots")


def _float_solution(c, M_rows, b):
    """HiGHS (dual simplex) on the float image of the LP: (z, reduced costs, duals) or None."""
    from scipy.optimize import linprog

    n = len(c)
    Mf = _float_array(M_rows, (len(M_rows), n))
    cf = _float_array(c, (n,))
    bf = _float_array(b, (len(b),))
    if Mf is None or cf is None or bf is None:
        return None
    res = linprog(cf, A_eq=Mf, b_eq=bf, bounds=(0, None), method="highs-ds")
    if res.status != 0 or res.x is None or res.eqlin is None:
        return None
    y = np.asarray(res.eqlin.marginals, dtype=float)
    return res.x, cf - Mf.T @ y, y


def _float_array(data, shape) -> np.ndarray | None:
    """The float image of exact data, or None when it is not representable (overflow, or a nonzero that
    underflows to 0); the callers then skip the float hint and the exact method runs on its own."""
    flat = [v for row in data for v in row] if len(shape) == 2 else list(data)
    out = []
    for v in flat:
        try:
            f = float(v)
        except OverflowError:
            return None
        if (f == 0) != (v == 0) or not np.isfinite(f):
            return None
        out.append(f)
    return np.array(out, dtype=float).reshape(shape)


def _float_basis(c, M_rows, b, r: int, float_sol=None) -> list[int] | None:
    """A candidate basis from HiGHS: positive columns first, then columns by |reduced cost|."""
    float_sol = float_sol if float_sol is not None else _float_solution(c, M_rows, b)
    if float_sol is None:
        return None
    z, red, _ = float_sol
    n = len(c)
    scale = max(1.0, float(np.max(np.abs(z)))) if n else 1.0
    pos = [j for j in range(n) if z[j] > 1e-9 * scale]
    pos.sort(key=lambda j: -z[j])
    rest = sorted((j for j in range(n) if j not in set(pos)), key=lambda j: abs(red[j]))
    order = pos + rest
    reordered = flint.fmpq_mat(len(M_rows), n, [_q(M_rows[i][j]) for i in range(len(M_rows)) for j in order])
    piv = _pivot_columns(reordered)
    if len(piv) != r:
        return None
    return [order[k] for k in piv]


def _crash_basis(sx: "_Simplex", c, float_sol) -> list[int] | None:
    """An exactly optimal basis rebuilt from HiGHS's solution, or None.

    HiGHS's optimal basis of a degenerate LP usually contains row logicals (fixed at 0), which have no
    column in the standard form. We rebuild it exactly: the columns with positive z or zero reduced cost
    (as many independent ones as possible, positive first) plus unit "logical" columns fixed at 0. If that
    basis is exactly primal and dual feasible, each logical is pivoted out by a dual ratio test (a
    degenerate primal step, so both feasibilities survive); the result is an optimal basis of M alone.
    """
    z, red_f, y_f = float_sol
    r, n = sx.r, sx.n
    cmax = max((abs(float(v)) for v in c), default=1.0) or 1.0
    scale = max(1.0, float(np.max(np.abs(z)))) if n else 1.0
    pos = sorted((j for j in range(n) if z[j] > 1e-9 * scale), key=lambda j: -z[j])
    inpos = set(pos)
    zero = sorted((j for j in range(n) if j not in inpos and abs(red_f[j]) <= 1e-7 * cmax), key=lambda j: abs(red_f[j]))
    Z = pos + zero
    M = sx.M
    # logicals: HiGHS's basic row logicals have dual exactly (or nearly) 0, so try those rows first
    rows_by_dual = sorted(range(r), key=lambda i: abs(y_f[i]))
    ent = []
    for i in range(r):
        ent.extend(M[i, j] for j in Z)
        ent.extend(flint.fmpq(int(k == i)) for k in rows_by_dual)
    piv = _pivot_columns(flint.fmpq_mat(r, len(Z) + r, ent))
    basis = [Z[k] if k < len(Z) else n + rows_by_dual[k - len(Z)] for k in piv]
    ent = []
    for i in range(r):
        ent.extend(M[i, j] for j in range(n))
        ent.extend(flint.fmpq(int(k == i)) for k in range(r))
    ext = _Simplex(flint.fmpq_mat(r, n + r, ent), sx.b, list(sx.c) + [flint.fmpq(0)] * r)
    try:
        _, zB, _, red = ext.state(basis)
    except ZeroDivisionError:
        return None
    if any(v < 0 for v in zB) or any(zB[k] != 0 for k in range(r) if basis[k] >= n):
        return None
    if any(red[j] < 0 for j in range(n)):
        return None
    for p in range(r):
        if basis[p] < n:
            continue
        B, _, _, red = ext.state(basis)
        w = B.transpose().solve(_colvec([flint.fmpq(int(k == p)) for k in range(r)]))
        alpha = ext.MT * w
        inb = set(basis)
        up = [(red[j] / alpha[j, 0], j) for j in range(n) if j not in inb and alpha[j, 0] > 0]
        down = [(red[j] / -alpha[j, 0], j) for j in range(n) if j not in inb and alpha[j, 0] < 0]
        options = [min(o) for o in (up, down) if o]
        if not options:
            return None
        basis[p] = min(options)[1]
        sx.pivots += 1
    return basis


def linprog_exact(c: Sequence[Fraction], M: Sequence[Sequence[Fraction]], b: Sequence[Fraction], *,
                  start="float") -> LPSolution:
    """Exact optimum of min c^T z s.t. M z = b, z >= 0 (all data rational), with its proof.

    ``start`` chooses the starting basis:

    * ``"float"`` (default): HiGHS's optimal basis rebuilt exactly (:func:`_crash_basis`), else a basis of HiGHS's
      positive and zero-reduced-cost columns;
    * ``"phase1"``: no floating point, an exact phase 1;
    * a sequence of column indices: that basis (if nonsingular);
    * a callable returning such a sequence (or None): a lazy hint, tried when HiGHS's basis cannot be rebuilt.

    From the start: primal simplex if primal feasible, dual simplex if dual feasible, otherwise an exact phase 1.
    The result is checked in fractions (M z = b, z >= 0, M^T y <= c, c^T z = b^T y); :class:`ConvergenceError` if
    the LP is infeasible or unbounded (callers set up bounded, feasible LPs).

    Example: min x0 + 2 x1 + 3 x2 on the simplex x0 + x1 + x2 = 1, started at the worst vertex.

    >>> from implicitreg.numerics.lp_exact import linprog_exact
    >>> sol = linprog_exact([1, 2, 3], [[1, 1, 1]], [1], start=[2])
    >>> sol.z, sol.value, sol.dual, sol.pivots >= 1
    ((Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)), Fraction(1, 1), (Fraction(1, 1),), True)
    """
    if isinstance(start, str) and start not in ("float", "phase1"):
        raise InvalidParameterError(f"start must be 'float', 'phase1', a basis or a callable, got {start!r}")
    c = [Fraction(v) for v in c]
    b = [Fraction(v) for v in b]
    n = len(c)
    m = len(M)
    if any(len(row) != n for row in M) or len(b) != m:
        raise InvalidParameterError("linprog_exact: inconsistent shapes")
    # independent rows (pivot columns of M^T); dropped rows get dual 0
    rows = _pivot_columns(_mat(M, n).transpose()) if m and n else []
    r = len(rows)
    Mr = [M[i] for i in rows]
    br = [b[i] for i in rows]
    used_phase1 = False
    if r == 0:
        basis_l: list[int] = []
        zq = [Fraction(0)] * n
        yq_r: list[Fraction] = []
        pivots = 0
        if any(cj < 0 for cj in c):
            raise ConvergenceError("exact LP is unbounded (an internal LP was set up wrongly)")
    else:
        Mq = _mat(Mr, n)
        bq = _colvec([_q(v) for v in br])
        cq = [_q(v) for v in c]
        sx = _Simplex(Mq, bq, cq)
        first = _start_basis(start, sx, c, Mr, br, r)
        basis_l = None
        if first is not None and len(first) == r:
            try:
                _, zB, _, red = sx.state(first)
            except ZeroDivisionError:
                zB = None
            if zB is not None:
                if all(v >= 0 for v in zB):
                    basis_l = sx.primal(first)
                elif all(red[j] >= 0 for j in range(n)):
                    basis_l = sx.dual_simplex(first)
        if basis_l is None:
            basis_l = _phase1(Mq, bq, sx)
            basis_l = sx.primal(basis_l)
            used_phase1 = True
        _, zB, y, _ = sx.state(basis_l)
        zq = [Fraction(0)] * n
        for k, j in enumerate(basis_l):
            zq[j] = _f(zB[k])
        yq_r = [_f(y[i, 0]) for i in range(r)]
        pivots = sx.pivots
    dual = [Fraction(0)] * m
    for i, v in zip(rows, yq_r):
        dual[i] = v
    value = sum((cj * zj for cj, zj in zip(c, zq)), Fraction(0))
    _prove_lp(c, M, b, zq, dual, value)
    return LPSolution(z=tuple(zq), dual=tuple(dual), value=value, basis=tuple(basis_l), pivots=pivots,
                      phase1=used_phase1)


def _start_basis(start, sx: "_Simplex", c, Mr, br, r: int) -> list[int] | None:
    """The starting basis that ``start`` asks for (None: none found, go to phase 1)."""
    if start == "phase1":
        return None
    if not isinstance(start, str) and not callable(start):
        return list(start)
    basis = None
    float_sol = _float_solution(c, Mr, br)
    if float_sol is not None:
        basis = _crash_basis(sx, c, float_sol)
    if basis is None and callable(start):
        hint = start()
        basis = None if hint is None else list(hint)
    if basis is None and float_sol is not None:
        basis = _float_basis(c, Mr, br, r, float_sol)
    return basis


def _phase1(Mq: flint.fmpq_mat, bq: flint.fmpq_mat, sx: _Simplex) -> list[int]:
    """An exact feasible basis of M z = b, z >= 0 (artificial variables, then driven out)."""
    r, n = Mq.nrows(), Mq.ncols()
    sgn = [1 if bq[i, 0] >= 0 else -1 for i in range(r)]
    ent = []
    for i in range(r):
        ent.extend(Mq[i, j] for j in range(n))
        ent.extend(flint.fmpq(sgn[i] if k == i else 0) for k in range(r))
    M1 = flint.fmpq_mat(r, n + r, ent)
    c1 = [flint.fmpq(0)] * n + [flint.fmpq(1)] * r
    ph = _Simplex(M1, bq, c1)
    basis = ph.primal(list(range(n, n + r)))
    _, zB, _, _ = ph.state(basis)
    if sum(zB[k] for k in range(r) if basis[k] >= n) != 0:
        raise ConvergenceError("exact phase 1: the LP is infeasible (an internal LP was set up wrongly)")
    for i in range(r):
        if basis[i] < n:
            continue
        B = ph._basis_matrix(basis)
        w = B.transpose().solve(_colvec([flint.fmpq(int(k == i)) for k in range(r)]))
        alpha = Mq.transpose() * w
        inb = set(basis)
        j = next(j for j in range(n) if j not in inb and alpha[j, 0] != 0)
        basis[i] = j
    sx.pivots += ph.pivots
    return basis


def _prove_lp(c, M, b, z, y, value) -> None:
    """Primal feasibility, dual feasibility and zero gap, in fractions."""
    if any(v < 0 for v in z):
        raise ConvergenceError("exact LP check failed: z has a negative entry")
    if _matvec(M, z) != list(b):
        raise ConvergenceError("exact LP check failed: M z != b")
    My = _rmatvec(M, y) if M else [Fraction(0)] * len(c)
    if any(My[j] > c[j] for j in range(len(c))):
        raise ConvergenceError("exact LP check failed: the dual is infeasible")
    if sum((bi * yi for bi, yi in zip(b, y)), Fraction(0)) != value:
        raise ConvergenceError("exact LP check failed: nonzero duality gap")


def _integer_form(v: Sequence[Fraction]) -> tuple[list[int], int]:
    """v = ints / d with one common denominator d (exact, standard library only)."""
    d = math.lcm(*(x.denominator for x in v)) if v else 1
    return [x.numerator * (d // x.denominator) for x in v], d


def _matvec(A: Sequence[Sequence[Fraction]], x: Sequence[Fraction]) -> list[Fraction]:
    """A x in exact integer arithmetic (fast Fraction matvec: common denominators per row)."""
    xi, dx = _integer_form(x)
    out = []
    for row in A:
        ri, dr = _integer_form(row)
        out.append(Fraction(sum(a * b for a, b in zip(ri, xi)), dr * dx))
    return out


def _rmatvec(A: Sequence[Sequence[Fraction]], lam: Sequence[Fraction]) -> list[Fraction]:
    """A^T lam, exactly."""
    return _matvec(transpose(A), lam) if A else []
