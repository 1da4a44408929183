"""The exact integer form A = A_int / den of a rational matrix, and the exact products built on it.

Used by the dual solvers: the rank test that lets them skip exact elimination, exact Gram matrices
A_int diag(W) A_int^T for the Newton systems (float64 matrix products where every partial sum is an integer below
2^53, hence exact, combined in ``fmpz_mat``), and the exact residual of a binary vector x.
"""
from __future__ import annotations

import math
from fractions import Fraction

import flint
import numpy as np
from mpmath import mpf

from implicitreg.numerics.float64_dual import blas_one_thread
from implicitreg.numerics.precision import mpf_from

RANK_PRIME = 2 ** 61 - 1
CHUNK_BITS = 16


class IntegerRows:
    """A = A_int / den exactly (den the lcm of the denominators) as Python rows, ``fmpz_mat`` (and transpose)
    and, when every |entry| < 2^26, as an exact float64 array for the chunked products of :meth:`gram`."""

    def __init__(self, A, basis=None):
        """``basis``: :func:`row_basis` of A when already known."""
        num, dens = _numerators_denominators(A)
        den = math.lcm(*set(dens))
        N = len(A[0])
        flat = num if all(d == den for d in dens) else [n * (den // d) for n, d in zip(num, dens)]
        self._setup([flat[i:i + N] for i in range(0, len(flat), N)], den)
        self._basis = basis

    @classmethod
    def from_integers(cls, rows: list, den: int = 1) -> "IntegerRows":
        """A = rows / den for rows of Python ints (not copied) and a positive integer den."""
        self = cls.__new__(cls)
        self._setup(rows, den)
        return self

    def _setup(self, rows: list, den: int):
        self.den = den
        self.rows = rows
        self.m, self.N = len(rows), len(rows[0])
        self.fmpz = flint.fmpz_mat(rows)
        self.fmpz_T = self.fmpz.transpose()
        self.amax_bits = max(max(max(r), -min(r)) for r in rows).bit_length()
        self.float = np.array(rows, dtype=float) if self.amax_bits <= 26 else None
        self._basis = None

    def exact_float_products(self) -> bool:
        """Whether every partial sum of A_int diag(W_c) A_int^T with 16-bit W_c is an integer below 2^53 in
        magnitude, so that a float64 matrix product computes it exactly, in any summation order."""
        return self.float is not None and 2 * self.amax_bits + max(1, self.N).bit_length() + CHUNK_BITS <= 52

    def gram(self, W: list) -> flint.fmpz_mat:
        """A_int diag(W) A_int^T, exactly, for non-negative integers W.

        W = sum_c W_c 2^(16 c) with 16-bit digits W_c; each P_c = A_int diag(W_c) A_int^T is an exact float64
        product (:meth:`exact_float_products`) over the columns where W_c is nonzero. The sum sum_c P_c 2^(16 c)
        is normalized to base-2^16 digits with int64 carries and read as one two's-complement integer per entry
        (no big-integer arithmetic per chunk). Falls back to one ``fmpz_mat`` product when A's entries are too
        large for exact float64 products.
        """
        if not self.exact_float_products():
            AW = flint.fmpz_mat(self.m, self.N, [a * Wj for row in self.rows for a, Wj in zip(row, W)])
            return AW * self.fmpz_T
        m = self.m
        C = max(1, (max(W).bit_length() + CHUNK_BITS - 1) // CHUNK_BITS)
        raw = b"".join(Wj.to_bytes(2 * C, "little") for Wj in W)
        digits = np.frombuffer(raw, dtype="<u2").reshape(self.N, C).astype(float)
        extra = 4  # |P_c| < 2^53: three more digits bring every carry to 0 or -1, the last one holds the sign
        out = np.zeros((m, m, C + extra), dtype="<u2")
        carry = np.zeros((m, m), dtype=np.int64)
        with blas_one_thread():
            for c in range(C + extra):
                v = carry
                if c < C:
                    cols = np.nonzero(digits[:, c])[0]
                    if len(cols):
                        A = self.float[:, cols]
                        v = v + ((A * digits[cols, c]) @ A.T).astype(np.int64)
                out[:, :, c] = v & 0xFFFF
                carry = v >> CHUNK_BITS
        width = 2 * (C + extra)
        flat = out.tobytes()
        ints = [int.from_bytes(flat[k:k + width], "little", signed=True) for k in range(0, len(flat), width)]
        return flint.fmpz_mat(m, m, ints)

    def full_row_rank(self) -> bool:
        """rank A = m, decided exactly (:func:`row_basis`: modulo a prime, then checked)."""
        return self.row_basis()[0] == list(range(self.m))

    def row_basis(self):
        """:func:`row_basis` of A (of A_int: the same rows and coefficients), computed once."""
        if self._basis is None:
            self._basis = row_basis(self.rows)
        return self._basis

    def contains(self, y) -> bool:
        """Whether y (rationals) is in range(A), decided exactly (:func:`in_range`)."""
        return in_range(self.row_basis(), y)  # A_int = den A: the same row relations

    def residual_inf(self, x, y) -> mpf:
        """||A x - y||_inf exactly for binary x (mpf entries), rounded once to the current mpmath precision."""
        parts = [_signed_man_exp(v) for v in x]
        exps = [int(e) for mn, e in parts if mn]
        if not exps:
            return max((abs(mpf_from(yi)) for yi in y), default=mpf(0))
        E = min(exps)
        X = [int(mn) << (int(e) - E) if mn else 0 for mn, e in parts]
        AX = (self.fmpz * flint.fmpz_mat(self.N, 1, X)).entries()
        worst = Fraction(0)
        for v, yi in zip(AX, y):
            r = abs(Fraction(int(v)) * Fraction(2) ** E / self.den - yi)
            worst = max(worst, r)
        return mpf_from(worst)


def row_basis(A) -> tuple[list[int], "flint.fmpq_mat | None"]:
    """(R, C): indices R of rows of A (ints or Fractions) forming a basis of its row space, exactly, and C the
    coefficients expressing every other row through them (an ``fmpq_mat``, len(R) x (m - len(R)); None when R is
    every row or A = 0).

    Found modulo the prime p = 2^61 - 1 (each entry n/d read as n d^-1 mod p): when rank(A mod p) = m, the rows are
    independent over Q too (a nonzero m x m minor mod p is nonzero over Z) and nothing else is needed. Otherwise
    pivot columns P of A and pivot rows R of A^T (rref mod p) make B = A[R, P] nonsingular mod p, hence over Q, so
    the rows R are independent; that they span is checked exactly: C solves B^T C = A[~R, P]^T (flint, rational)
    and A[~R, :] = C^T A[R, :] must hold entry by entry. A rank that drops mod p only (probability ~ m/p), or a
    denominator divisible by p, is decided by exact elimination instead. No common denominator of A is formed, so
    the cost does not grow with the number of distinct denominators.
    """
    m = len(A)
    residues = _residues(A)
    if residues is not None:
        Ap = flint.nmod_mat(residues, RANK_PRIME)
        if Ap.rank() == m:
            return list(range(m)), None
        found = _checked_basis(A, Ap)
        if found is not None:
            return found
    return _exact_basis(A)


def in_range(basis, y) -> bool:
    """Whether y is in range(A), for ``basis`` = :func:`row_basis` of A: y[~R] = C^T y[R], exactly."""
    R, C = basis
    m = len(y)
    if len(R) == m:
        return True
    if not R:  # A = 0
        return not any(y)
    rest = _rest(R, m)
    return C.transpose() * _fmpq_column([y[i] for i in R]) == _fmpq_column([y[i] for i in rest])


def _residues(A):
    """A mod p entrywise, or None when a denominator is divisible by p."""
    inverse = {1: 1}
    out = []
    for row in A:
        r = []
        for v in row:
            d = v.denominator
            k = inverse.get(d)
            if k is None:
                if d % RANK_PRIME == 0:
                    return None
                k = inverse[d] = pow(d, -1, RANK_PRIME)
            r.append(v.numerator * k % RANK_PRIME)
        out.append(r)
    return out


def _rest(R, m: int) -> list[int]:
    inside = set(R)
    return [i for i in range(m) if i not in inside]


def _fmpq_rows(rows) -> "flint.fmpq_mat":
    rows = list(rows)
    n = len(rows[0])
    return flint.fmpq_mat(len(rows), n, [flint.fmpq(v.numerator, v.denominator) for row in rows for v in row])


def _fmpq_column(values) -> "flint.fmpq_mat":
    return flint.fmpq_mat(len(values), 1, [flint.fmpq(v.numerator, v.denominator) for v in values])


def _checked_basis(A, Ap):
    """The mod-p basis of :func:`row_basis`, or None when the exact check fails."""
    P, _ = _pivots(Ap)
    R, _ = _pivots(Ap.transpose())
    if not R:  # A = 0 mod p: decided exactly
        return None
    rest = _rest(R, len(A))
    Bt = _fmpq_rows([[A[i][j] for i in R] for j in P])
    rhs = _fmpq_rows([[A[i][j] for i in rest] for j in P])
    try:
        C = Bt.solve(rhs)
    except ZeroDivisionError:  # pragma: no cover - B is nonsingular mod p, hence over Q
        return None
    if C.transpose() * _fmpq_rows(A[i] for i in R) != _fmpq_rows(A[i] for i in rest):
        return None  # the rank dropped mod p only
    return R, C


def _exact_basis(A):
    """:func:`row_basis` by exact elimination (``fmpq_mat.rref`` of A^T) and the normal equations."""
    from implicitreg.numerics.exact import rref

    _, R = rref(transpose_rows(A))  # pivot columns of A^T = independent rows of A
    rest = _rest(R, len(A))
    if not rest or not R:  # full row rank, or A = 0
        return R, None
    AR = _fmpq_rows(A[i] for i in R)
    # A[~R] = C^T A[R] with A[R] of full row rank: C = (A_R A_R^T)^-1 A_R A[~R]^T
    C = (AR * AR.transpose()).solve(AR * _fmpq_rows(A[i] for i in rest).transpose())
    return R, C


def _numerators_denominators(A):
    """Flat lists of the numerators and denominators of a matrix of Fractions (ints are allowed)."""
    flat = [v if isinstance(v, (int, Fraction)) else Fraction(v) for row in A for v in row]
    return [v.numerator for v in flat], [v.denominator for v in flat]


def _signed_man_exp(v):
    """(signed mantissa, exponent) of an mpf (mpf.man_exp drops the sign)."""
    sign, man, exp, _ = mpf(v)._mpf_
    return (-int(man) if sign else int(man)), int(exp)


def transpose_rows(rows: list) -> list:
    return [list(col) for col in zip(*rows)]


def _pivots(M) -> tuple[list[int], int]:
    """Pivot columns of the reduced row echelon form of an ``nmod_mat``, and the rank."""
    R, rank = M.rref()
    out, j = [], 0
    entries = R.entries()
    n = R.ncols()
    for i in range(rank):
        row = i * n
        while entries[row + j] == 0:
            j += 1
        out.append(j)
    return out, rank
