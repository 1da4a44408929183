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

    def __init__(self, A):
        num, dens = _numerators_denominators(A)
        den = math.lcm(*set(dens))
        N = len(A[0])
        flat = num if all(d == den for d in dens) else [n * (den // d) for n, d in zip(num, dens)]
        self._setup([flat[i:i + N] for i in range(0, len(flat), N)], den)

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
        """rank A = m, decided modulo the prime 2^61 - 1 (rank mod p = m implies rank over Q = m; a False may be
        a rank drop mod p only: :meth:`row_basis` decides exactly)."""
        return self.row_basis()[0] == list(range(self.m))

    def row_basis(self):
        """(R, C): indices of rows of A forming a basis of its row space, exactly, and C the coefficients expressing
        every other row through them (an ``fmpq_mat`` with len(R) rows and m - len(R) columns; None when R is
        every row or A = 0).

        Found modulo the prime p = 2^61 - 1: pivot columns P of A and pivot rows R of A^T (rref mod p), so that
        B = A[R, P] is nonsingular mod p, hence det B != 0 and the rows R are independent over Q. That they span
        is then checked exactly: C solves B^T C = A[~R, P]^T (rational, flint) and A[~R, :] = C^T A[R, :] must
        hold entry by entry. A rank that drops mod p only (probability ~ m/p) fails the check and is decided by
        exact elimination instead.
        """
        if self._basis is None:
            self._basis = self._row_basis_mod_p() or self._row_basis_exact()
        return self._basis

    def _row_basis_mod_p(self):
        Ap = flint.nmod_mat(self.rows, RANK_PRIME)
        if Ap.rank() == self.m:
            return list(range(self.m)), None
        pivots_cols, rank = _pivots(Ap)
        R, _ = _pivots(Ap.transpose())
        if not R:  # A = 0 mod p: decided exactly
            return None
        rest = [i for i in range(self.m) if i not in set(R)]
        B = flint.fmpz_mat([[self.rows[i][j] for j in pivots_cols] for i in R])
        rhs = flint.fmpz_mat([[self.rows[i][j] for i in rest] for j in pivots_cols])
        try:
            C = B.transpose().solve(rhs)
        except ZeroDivisionError:  # pragma: no cover - B is nonsingular mod p, hence over Q
            return None
        AR = flint.fmpq_mat(flint.fmpz_mat([self.rows[i] for i in R]))
        if C.transpose() * AR != flint.fmpq_mat(flint.fmpz_mat([self.rows[i] for i in rest])):
            return None  # the rank dropped mod p only
        return R, C

    def _row_basis_exact(self):
        from implicitreg.numerics.exact import rref

        _, R = rref(transpose_rows(self.rows))  # pivot columns of A^T = independent rows of A
        rest = [i for i in range(self.m) if i not in set(R)]
        if not rest or not R:  # full row rank, or A = 0
            return R, None
        Bt = flint.fmpz_mat([[self.rows[i][j] for i in R] for j in range(self.N)])
        # the rows R are independent: B^T C = A[~R]^T restricted to the columns has a unique solution; use the
        # normal equations of the full system (exact, full column rank)
        rhs = flint.fmpz_mat([[self.rows[i][j] for i in rest] for j in range(self.N)])
        G = Bt.transpose() * Bt
        C = G.solve(Bt.transpose() * rhs)
        return R, C

    def contains(self, y) -> bool:
        """Whether y (rationals) is in range(A), decided exactly: y[~R] = C^T y[R] with (R, C) = :meth:`row_basis`."""
        R, C = self.row_basis()
        if len(R) == self.m:
            return True
        if not R:  # A = 0
            return not any(y)
        rest = [i for i in range(self.m) if i not in set(R)]
        q = lambda v: flint.fmpq(v.numerator, v.denominator)
        yR = flint.fmpq_mat(len(R), 1, [q(y[i]) for i in R])
        yrest = flint.fmpq_mat(len(rest), 1, [q(y[i]) for i in rest])
        return C.transpose() * yR == yrest

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
