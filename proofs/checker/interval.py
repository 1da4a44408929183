"""Exact numbers, decimal balls and interval arithmetic for the certificate checker.

Standard library and ``mpmath.iv`` only. Every quantity a certificate states is either

* an exact rational, written ``"p/q"``, ``"p"`` or a decimal string ``"0.125"`` (read exactly: 1/8), or
* a decimal ball ``{"mid": "<decimal>", "rad": "<decimal>"}`` meaning the closed interval
  [mid - rad, mid + rad], both ends exact rationals.

Interval values are ``mpmath.iv.mpf`` objects with outward rounding; comparisons between a ball and
an interval are done on exact rational endpoints (an ``mpf`` endpoint is a dyadic rational), so no
decision depends on float rounding. Precision is a context (:func:`precision`) that restores
``iv.prec`` on exit.
"""
from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import mpmath
from mpmath import iv



class CheckFailure(Exception):
    """A claim in a certificate does not verify; ``field`` names where (a JSON path)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


#: digits the checker carries beyond a certificate's ``checker_dps``: the producer sizes its balls for enclosures
#: computed at ``checker_dps``; the checker's own (rigorous at any precision) are then tighter, with room for the
#: outward widening of :func:`enclose` (the checker calls ``precision(checker_dps + GUARD_DIGITS)``)
GUARD_DIGITS = 10


@contextmanager
def precision(dps: int):
    """Work at ``dps`` decimal digits in ``mpmath.iv`` and ``mpmath.mp``; restore both on exit."""
    old_iv, old_mp = iv.prec, mpmath.mp.prec
    try:
        iv.dps = dps
        mpmath.mp.dps = dps
        yield
    finally:
        iv.prec = old_iv
        mpmath.mp.prec = old_mp


def exact(value, field: str) -> Fraction:
    """An exact rational from a certificate string (``"p/q"``, integer or decimal text), read by the
    grammar's number reader under the certificate limits (at most 120 characters, |exponent| <= 400)."""
    from .grammar import GrammarError, parse_number
    from .schema import NUMBER_LIMITS

    if isinstance(value, bool) or not isinstance(value, str):
        raise CheckFailure(field, f"expected an exact number as a string, got {type(value).__name__}")
    try:
        return parse_number(value, NUMBER_LIMITS)
    except GrammarError as exc:
        raise CheckFailure(field, str(exc)) from None


def exact_vector(values, field: str, length: int | None = None) -> list[Fraction]:
    if not isinstance(values, list):
        raise CheckFailure(field, "expected a list")
    if length is not None and len(values) != length:
        raise CheckFailure(field, f"expected {length} entries, got {len(values)}")
    return [exact(v, f"{field}[{i}]") for i, v in enumerate(values)]


def exact_matrix(rows, field: str) -> list[list[Fraction]]:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise CheckFailure(field, "expected a non-empty list of non-empty rows")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise CheckFailure(field, "ragged matrix")
    return [exact_vector(r, f"{field}[{i}]") for i, r in enumerate(rows)]


def point(q: Fraction):
    """The tightest interval around the rational q at the current precision."""
    return iv.mpf(q.numerator) / iv.mpf(q.denominator)


GUARD_BITS = 20  # extra bits for the transcendental functions, see :func:`enclose`
SLACK_BITS = 12  # their assumed error is below 2^-(prec + SLACK_BITS) relative; mpmath carries 14-20 guard bits more


def enclose(f, x):
    """A rigorous enclosure of the monotone-by-pieces interval function ``f`` (``iv.exp``, ``iv.log``, ...) over ``x``
    at the working precision.

    mpmath's interval ``exp``/``log`` (and the powers and constants built on them) evaluate an approximation carried
    with 14-20 guard bits and round it in the requested direction; that is not an enclosure when the exact value lies
    within the approximation error of a representable number. Seen with mpmath 1.3.0 at 53 bits:
    ``iv.exp(1.2173595465692465239e-10)`` is a zero-width interval 1.4e-20 *below* the exact value
    (proofs/FINDINGS.md). So ``f`` runs with GUARD_BITS more bits, the result is widened by 2^-(prec + SLACK_BITS)
    relative (far more than that approximation error), then rounded outward to the working precision: as tight as
    the plain call up to one unit in the last place, and an enclosure."""
    prec = iv.prec
    try:
        iv.prec = prec + GUARD_BITS
        eps = mpmath.mpf(2) ** -(prec + SLACK_BITS)
        v = f(x) * (1 + iv.mpf([-eps, eps]))  # [1 - eps, 1 + eps], exact at prec + GUARD_BITS
    finally:
        iv.prec = prec
    return +v  # outward rounding to the working precision


def iv_exp(x):
    """A rigorous enclosure of exp over the interval ``x`` (see :func:`enclose`)."""
    return enclose(iv.exp, x)


def iv_log(x):
    """A rigorous enclosure of log over the interval ``x`` > 0 (see :func:`enclose`)."""
    return enclose(iv.log, x)


def iv_sqrt(x):
    """A rigorous enclosure of sqrt over the interval ``x`` >= 0 (see :func:`enclose`)."""
    return enclose(iv.sqrt, x)


def hull(a, b):
    return iv.mpf([min(lo(a), lo(b)), max(hi(a), hi(b))])


def lo(x) -> mpmath.mpf:
    """The exact lower end of ``x`` (``mpmath.mpf(x.a)`` would round it to ``mpmath.mp``'s precision)."""
    return mpmath.mp.make_mpf(x._mpi_[0])


def hi(x) -> mpmath.mpf:
    """The exact upper end of ``x``."""
    return mpmath.mp.make_mpf(x._mpi_[1])


def to_fraction(x: mpmath.mpf) -> Fraction:
    """The exact dyadic rational value of a finite mpf."""
    if not mpmath.isfinite(x):
        raise ValueError("not finite")
    sign, man, exp, _ = x._mpf_  # value = (-1)^sign * man * 2^exp (mpf.man_exp drops the sign)
    man = -int(man) if sign else int(man)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def endpoints(x) -> tuple[Fraction, Fraction]:
    a, b = lo(x), hi(x)
    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        raise ArithmeticError("unbounded interval")
    return to_fraction(a), to_fraction(b)


def read_ball(obj, field: str) -> tuple[Fraction, Fraction]:
    """(lower, upper) exact ends of a decimal ball ``{"mid": ..., "rad": ...}``."""
    if not isinstance(obj, dict) or set(obj) != {"mid", "rad"}:
        raise CheckFailure(field, "expected a ball {\"mid\": ..., \"rad\": ...}")
    mid = exact(obj["mid"], field + ".mid")
    rad = exact(obj["rad"], field + ".rad")
    if rad < 0:
        raise CheckFailure(field + ".rad", "negative radius")
    return mid - rad, mid + rad


def ball_interval(obj, field: str):
    """The ball as an ``iv.mpf`` (rounded outward, so it contains the exact ball)."""
    a, b = read_ball(obj, field)
    return hull(point(a), point(b))


def enclosure_ends(computed, field: str, what: str) -> tuple[Fraction, Fraction]:
    """The exact ends of a computed enclosure, refused (CheckFailure at ``field``) when an end is infinite."""
    try:
        return endpoints(computed)
    except ArithmeticError:
        raise CheckFailure(field, f"the computed enclosure of {what} is unbounded") from None


def require_inside(computed, obj, field: str, what: str) -> None:
    """Fail unless the stated ball contains the computed interval (exact comparison of endpoints)."""
    a, b = read_ball(obj, field)
    ca, cb = enclosure_ends(computed, field, what)
    if not (a <= ca and cb <= b):
        raise CheckFailure(field, f"the stated ball for {what} does not contain the computed enclosure "
                                  f"[{mpmath.nstr(lo(computed), 12)}, {mpmath.nstr(hi(computed), 12)}]")


def decimal_text(q: Fraction, digits: int, rounding: str) -> str:
    """q as scientific decimal text with ``digits`` significant digits, rounded ``down``, ``up``
    (toward -inf / +inf) or ``nearest``; e.g. ``"1.4142e+0"``. The text is read back exactly."""
    if q == 0:
        return "0"
    neg = q < 0
    a = -q if neg else q
    e = len(str(a.numerator)) - len(str(a.denominator))
    while Fraction(10) ** e > a:
        e -= 1
    while Fraction(10) ** (e + 1) <= a:
        e += 1
    v = a * Fraction(10) ** (digits - 1 - e)
    if rounding == "nearest":
        n = (v + Fraction(1, 2)).__floor__()
    else:
        toward_up = (rounding == "up") != neg
        n = v.__ceil__() if toward_up else v.__floor__()
    if n == 0:
        return "0"
    text = str(n)
    exp10 = e + len(text) - digits  # rounding up may add a digit (9.99 -> 10.0)
    body = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return ("-" if neg else "") + f"{body}e{exp10:+d}"


def ball_from_interval(x, digits: int) -> dict:
    """A decimal ball containing the interval x: midpoint to ``digits`` digits, radius rounded up (2 digits)."""
    a, b = endpoints(x)
    mid_text = decimal_text((a + b) / 2, digits, "nearest")
    mid = Fraction(Decimal(mid_text))
    rad = max(b - mid, mid - a)
    return {"mid": mid_text, "rad": decimal_text(rad, 2, "up") if rad > 0 else "0"}


# --- expressions: the evaluate-nothing grammar (grammar.py) ------------------------------------------

def evaluate(expr: str, env: dict, field: str, link=None):
    """Enclose ``expr`` in interval arithmetic over the names of ``env`` (parsed by :mod:`.grammar`, so
    nothing is evaluated as code); ``h`` is the link function phi_D when ``link`` is given."""
    from .grammar import GrammarError, parse, to_interval

    try:
        tree = parse(expr, set(env), {"h": 1} if link is not None else None)
        return to_interval(tree, env, {"h": link} if link is not None else None)
    except GrammarError as exc:
        raise CheckFailure(field, f"{exc}") from None
    except ArithmeticError as exc:
        raise CheckFailure(field, f"cannot evaluate: {exc}") from None
