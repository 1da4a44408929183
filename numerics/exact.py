"""Exact rational numbers and linear algebra.

Entries are :class:`fractions.Fraction`. Heavy lifting (rank, reduced row echelon form, solves)
goes through python-flint's ``fmpq_mat``; results come back as Fractions so that every
certificate check can be redone in the standard library alone.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Iterable, Sequence

import flint

from implicitreg.errors import InvalidInstanceError

Matrix = list[list[Fraction]]
Vector = list[Fraction]

_RATIONAL = re.compile(r"^\s*([+-]?\d+)\s*/\s*([+-]?\d+)\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
#: decimal exponents beyond this are refused: 1e-999999999 would otherwise build a 10^9-digit denominator
MAX_DECIMAL_EXPONENT = 10_000


def _decimal_to_fraction(value: Decimal, where: str, text) -> Fraction:
    exponent = value.as_tuple().exponent
    if abs(exponent) > MAX_DECIMAL_EXPONENT or abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise InvalidInstanceError(f"{where}: exponent of {str(text)[:40]!r} is out of range "
                                   f"(|exponent| <= {MAX_DECIMAL_EXPONENT})")
    return Fraction(value)


def parse_exact(value, where: str = "value") -> Fraction:
    """Read ``value`` as an exact rational.

    Accepts ints, ``Fraction``, decimal strings (``"0.25"``, ``"1e-3"``), rational strings
    (``"3/7"``) and ``Decimal`` (what JSON numbers become when the file is read with
    :func:`load_json_exact`, so ``0.1`` means 1/10). A binary ``float`` is accepted only when
    finite and is read through its shortest decimal repr (``0.1`` -> 1/10), never through its
    binary expansion; numpy integer scalars are read exactly, numpy float scalars (float16/32/64)
    through the shortest repr in their own precision (``np.float32(0.1)`` -> 1/10). Booleans, NaN,
    infinities and anything else raise :class:`InvalidInstanceError` naming ``where``.
    """
    if isinstance(value, bool):
        raise InvalidInstanceError(f"{where}: expected a number, got a boolean {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    if type(value).__module__ == "numpy":  # numpy scalars: np.int64 exactly, np.float32/64 by their shortest repr
        import numpy as np

        if isinstance(value, np.integer):
            return Fraction(int(value))
        if isinstance(value, np.floating):
            if not np.isfinite(value):
                raise InvalidInstanceError(f"{where}: {float(value)!r} is not a finite number")
            value = np.format_float_scientific(value, unique=True)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInstanceError(f"{where}: {value!r} is not a finite number")
        value = float.__repr__(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInstanceError(f"{where}: {value} is not a finite number")
        return _decimal_to_fraction(value, where, value)
    if isinstance(value, str):
        match = _RATIONAL.match(value)
        if match:
            try:
                num, den = int(match.group(1)), int(match.group(2))
            except ValueError:  # more digits than int() accepts from a string
                raise InvalidInstanceError(f"{where}: rational {value[:40]!r}... has too many digits") from None
            if den == 0:
                raise InvalidInstanceError(f"{where}: zero denominator in {value!r}")
            return Fraction(num, den)
        if _DECIMAL.match(value):
            try:
                return _decimal_to_fraction(Decimal(value.strip()), where, value)
            except InvalidOperation:  # pragma: no cover - the regex already guards this
                raise InvalidInstanceError(f"{where}: cannot read {value!r} as a number") from None
        raise InvalidInstanceError(f"{where}: cannot read {value!r} as an exact number "
                                   "(use an integer, a decimal string or 'p/q')")
    raise InvalidInstanceError(f"{where}: expected a number, got {type(value).__name__}")


#: ints of more bits than this are written by flint: Python's ``str(int)`` refuses more than 4300 digits
#: (``sys.get_int_max_str_digits``), and exact results (x*, rho, certificates) can be longer than that
_STR_BITS = 14_000


def int_text(n: int) -> str:
    """The decimal text of the integer ``n``, whatever its size (``str`` refuses ints of more than 4300 digits)."""
    n = int(n)
    return str(n) if n.bit_length() <= _STR_BITS else str(flint.fmpz(n))


def fraction_str(q: Fraction) -> str:
    """``"p/q"`` (or ``"p"`` when q = 1): the exact output format."""
    q = Fraction(q)
    p = int_text(q.numerator)
    return p if q.denominator == 1 else f"{p}/{int_text(q.denominator)}"


def short_text(value, limit: int = 40) -> str:
    """``value`` for an error message: a Fraction by :func:`fraction_str` (never ``str``, which fails on huge
    parts), cut to ``limit`` characters."""
    text = fraction_str(value) if isinstance(value, Fraction) else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def to_fmpq_mat(A: Sequence[Sequence[Fraction]]) -> flint.fmpq_mat:
    rows = len(A)
    cols = len(A[0]) if rows else 0
    return flint.fmpq_mat(rows, cols, [flint.fmpq(x.numerator, x.denominator) for row in A for x in row])


def from_fmpq_mat(M: flint.fmpq_mat) -> Matrix:
    return [[Fraction(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())] for i in range(M.nrows())]


def transpose(A: Sequence[Sequence[Fraction]]) -> Matrix:
    return [list(col) for col in zip(*A)]


def matvec(A: Sequence[Sequence[Fraction]], x: Sequence[Fraction]) -> Vector:
    return [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]


def rmatvec(A: Sequence[Sequence[Fraction]], lam: Sequence[Fraction]) -> Vector:
    """A^T lam."""
    n = len(A[0]) if A else 0
    out = [Fraction(0)] * n
    for li, row in zip(lam, A):
        if li:
            for j, a in enumerate(row):
                if a:
                    out[j] += li * a
    return out


def columns(A: Sequence[Sequence[Fraction]], idx: Iterable[int]) -> Matrix:
    idx = list(idx)
    return [[row[j] for j in idx] for row in A]


def rank(A: Sequence[Sequence[Fraction]]) -> int:
    if not A or not A[0]:
        return 0
    return to_fmpq_mat(A).rank()


def rref(A: Sequence[Sequence[Fraction]]) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form and pivot columns."""
    R, r = to_fmpq_mat(A).rref()
    R = from_fmpq_mat(R)[:r]
    pivots = []
    for row in R:
        pivots.append(next(j for j, v in enumerate(row) if v != 0))
    return R, pivots


def nullspace(A: Sequence[Sequence[Fraction]], ncols: int | None = None) -> Matrix:
    """A basis of ker A as a list of vectors (exact)."""
    n = ncols if ncols is not None else (len(A[0]) if A else 0)
    if not A or not A[0]:
        return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    R, pivots = rref(A)
    free = [j for j in range(n) if j not in pivots]
    basis = []
    for f in free:
        v = [Fraction(0)] * n
        v[f] = Fraction(1)
        for row, p in zip(R, pivots):
            v[p] = -row[f]
        basis.append(v)
    return basis


def solve_consistent(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction]) -> Vector | None:
    """One exact solution of A x = b (free variables set to 0), or None when inconsistent."""
    m = len(A)
    n = len(A[0]) if m else 0
    aug = [list(A[i]) + [Fraction(b[i])] for i in range(m)]
    R, pivots = rref(aug)
    if n in pivots:
        return None
    x = [Fraction(0)] * n
    for row, p in zip(R, pivots):
        x[p] = row[n]
    return x


def solve_square(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction]) -> Vector:
    """The solution of a nonsingular square system (raises ZeroDivisionError when singular)."""
    M = to_fmpq_mat(A)
    rhs = flint.fmpq_mat(len(b), 1, [flint.fmpq(x.numerator, x.denominator) for x in b])
    sol = M.solve(rhs)
    return [Fraction(int(sol[i, 0].p), int(sol[i, 0].q)) for i in range(sol.nrows())]


def pinv_times(AS: Sequence[Sequence[Fraction]], B: Sequence[Sequence[Fraction]]) -> Matrix:
    """A_S^+ B for A_S with full column rank: (A_S^T A_S)^{-1} A_S^T B, exactly."""
    M = to_fmpq_mat(AS)
    Mt = M.transpose()
    G = Mt * M
    return from_fmpq_mat(G.solve(Mt * to_fmpq_mat(B)))


def norm1(v: Iterable[Fraction]) -> Fraction:
    return sum((abs(x) for x in v), Fraction(0))


def norm_inf(v: Iterable[Fraction]) -> Fraction:
    return max((abs(x) for x in v), default=Fraction(0))


def sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)
