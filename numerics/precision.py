"""Working precision, digit counting and the mpmath <-> python-flint bridge.

* :func:`working_dps` chooses the decimal precision of a dual solve from the requested digits and alpha_prod.
* :func:`agreeing_digits` counts the significant digits on which two solutions agree (the certificate of
  :func:`implicitreg.numerics.dual_limit.gradient_flow_limit`), entry by entry, with a documented floor.
* :func:`significant_str` prints a number with exactly the digits that were certified.
* :func:`flint_precision`, :func:`to_arb`, :func:`arb_to_mpf` move numbers between mpmath and python-flint's ``arb``
  exactly (binary mantissa and exponent), so that the linear algebra can run in flint at the same precision.
"""
from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from typing import Iterable, Sequence

import flint
import mpmath
from mpmath import mpf

GUARD_DIGITS = 15


def bits(dps: int) -> int:
    """Binary precision matching ``dps`` decimal digits (as mpmath does: dps * log2(10) + 4)."""
    return int(math.ceil(dps * 3.3219280948873626)) + 4


def log10_abs(x) -> float:
    """log10 |x| as a float, for any mpf (no overflow/underflow of float)."""
    x = mpf(x)
    if not x:
        return -math.inf
    return float(mpmath.log10(abs(x)))


def working_dps(digits: int, alpha_product, depth=2) -> int:
    """Decimal precision for a dual solve that should deliver ``digits`` significant digits of every entry.

    The Hessian alpha A diag(phi') A^T spans scales from alpha_prod to 1 and the smallest entries of x are of the
    order of alpha_prod, so we add log10(1/alpha_prod) digits; for D > 2 the solution sits at 1 - |z| ~
    alpha_prod^((D-2)/D), which costs another (D-2)/D log10(1/alpha_prod) digits in evaluating h_D; plus
    :data:`GUARD_DIGITS`.
    """
    lost = max(0.0, -log10_abs(alpha_product))
    boundary = 0.0 if depth == 2 else lost * float(depth - 2) / float(depth)
    return int(digits + math.ceil(lost + boundary) + GUARD_DIGITS)


def agreeing_digits(x: Sequence, reference: Sequence, floor, cap: int) -> int:
    """min_i of the significant digits on which x_i and reference_i agree, at most ``cap``.

    Entry i counts -log10(|x_i - ref_i| / max(|ref_i|, floor)) digits: an entry is judged relative to itself,
    except entries smaller than ``floor`` in magnitude, which are judged at the scale ``floor`` (absolute
    accuracy floor * 10^-digits). Exact agreement counts ``cap``.
    """
    x, reference = [_as_mpf(v) for v in x], [_as_mpf(v) for v in reference]
    best = cap
    with mpmath.workprec(max([mpmath.mp.prec] + [_bits_of(v) for v in x + reference]) + 10):
        floor = abs(mpf(floor))
        for a, b in zip(x, reference):
            diff = abs(a - b)
            if not diff:
                continue
            scale = max(abs(b), floor)
            if not scale:
                return 0
            best = min(best, int(math.floor(-log10_abs(diff / scale))))
    return max(best, 0)


def _as_mpf(v) -> mpf:
    """v as an mpf without rounding an mpf that is already one (``mpf(v)`` would round to the context)."""
    return v if isinstance(v, mpf) else mpf(v)


def _bits_of(v: mpf) -> int:
    return int(v._mpf_[3])


def decade(x) -> int:
    """The exponent e with 10^e <= |x| < 10^(e+1) (x != 0), decided exactly on the binary value of x."""
    sign, man, exp, _ = _as_mpf(x)._mpf_
    if not man:
        raise ValueError("0 has no decade")
    q = Fraction(int(man)) * Fraction(2) ** int(exp)
    e = math.floor(log10_abs(x))
    while Fraction(10) ** e > q:
        e -= 1
    while Fraction(10) ** (e + 1) <= q:
        e += 1
    return e


def significant_str(x, digits: int, floor=0) -> str:
    """x as a decimal string carrying ``digits`` significant digits (fewer below ``floor``, see :func:`agreeing_digits`)."""
    x = _as_mpf(x)
    if not x:
        return "0"
    floor = abs(_as_mpf(floor))
    if floor and abs(x) < floor:
        # certified to floor 10^-digits absolutely, i.e. to the digit of x in the decade (digits - 1) below
        # floor's leading decade; a floor that is a binary rounding of a power of ten (alpha = 1e-30) counts as it
        with mpmath.workprec(mpmath.mp.prec + 60):
            digits = digits - (decade(floor * (1 + mpf(10) ** -15)) - decade(x))
        if digits < 1:
            return "0"
    with mpmath.workdps(max(digits, 1) + 10):
        return mpmath.nstr(x, max(digits, 1), strip_zeros=False, min_fixed=-4, max_fixed=max(digits, 1) + 1)


@contextlib.contextmanager
def flint_precision(dps: int):
    """Set python-flint's working precision to match ``dps`` decimal digits, restoring it on exit."""
    old = flint.ctx.prec
    flint.ctx.prec = bits(dps)
    try:
        yield
    finally:
        flint.ctx.prec = old


def to_arb(x) -> flint.arb:
    """The mpf x as an exact arb (same mantissa and exponent)."""
    sign, man, exp, _ = mpf(x)._mpf_
    if not man:
        return flint.arb(0)
    m = int(man)
    return flint.arb((-m if sign else m, int(exp)))


def arb_to_mpf(a: flint.arb) -> mpf:
    """The midpoint of the arb a as an mpf (rounded to the current mpmath precision)."""
    man, exp = a.mid().man_exp()
    return mpf((int(man), int(exp)))


def to_arb_list(xs: Iterable) -> list:
    return [to_arb(x) for x in xs]


def arb_to_mpf_list(xs: Iterable) -> list:
    return [arb_to_mpf(a) for a in xs]


def mpf_from(q) -> mpf:
    """q as an mpf at the current precision: Fractions (which mpmath 1.3 refuses) as numerator / denominator, SymPy
    numbers evaluated to the working precision, anything else (int, str, float, mpf) through ``mpf``.

    >>> from fractions import Fraction
    >>> import mpmath
    >>> from implicitreg.numerics.precision import mpf_from
    >>> with mpmath.workdps(30):
    ...     print(mpf_from(Fraction(1, 3)))
    0.333333333333333333333333333333
    >>> mpf_from(Fraction(5, 2)) == mpf_from("2.5") == 2.5
    True
    >>> import sympy
    >>> mpf_from(sympy.Rational(1, 4)) == 0.25 and mpmath.almosteq(mpf_from(sympy.pi), mpmath.pi)
    True
    """
    if isinstance(q, Fraction):
        return mpf(q.numerator) / q.denominator
    if type(q).__module__.startswith("sympy"):
        import sympy

        return mpf(sympy.N(q, mpmath.mp.dps + 5))
    return mpf(q)

