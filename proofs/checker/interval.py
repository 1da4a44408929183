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

import ast
import re
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import mpmath
from mpmath import iv

_RATIONAL = re.compile(r"^[+-]?\d+/\d+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class CheckFailure(Exception):
    """A claim in a certificate does not verify; ``field`` names where (a JSON path)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


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
    """An exact rational from a certificate string (``"p/q"``, integer or decimal text)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CheckFailure(field, f"expected an exact number as a string, got {type(value).__name__}")
    text = str(value).strip()
    try:
        if _RATIONAL.match(text):
            num, den = text.split("/")
            if int(den) == 0:
                raise CheckFailure(field, f"zero denominator in {text!r}")
            return Fraction(int(num), int(den))
        if _INTEGER.match(text):
            return Fraction(int(text))
        if _DECIMAL.match(text):
            return Fraction(Decimal(text))
    except (InvalidOperation, ValueError, OverflowError):
        pass
    raise CheckFailure(field, f"cannot read {text!r} as an exact number")


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


def hull(a, b):
    return iv.mpf([min(lo(a), lo(b)), max(hi(a), hi(b))])


def lo(x) -> mpmath.mpf:
    return mpmath.mpf(x.a)


def hi(x) -> mpmath.mpf:
    return mpmath.mpf(x.b)


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


def require_inside(computed, obj, field: str, what: str) -> None:
    """Fail unless the stated ball contains the computed interval (exact comparison of endpoints)."""
    a, b = read_ball(obj, field)
    try:
        ca, cb = endpoints(computed)
    except ArithmeticError:
        raise CheckFailure(field, f"the computed enclosure of {what} is unbounded") from None
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


# --- a small, closed expression language -------------------------------------------------------

_FUNCS = ("exp", "log", "sqrt", "sinh", "cosh", "Abs", "h")


def evaluate(expr: str, env: dict, field: str, link=None):
    """Evaluate ``expr`` (Python/SymPy syntax: + - * / **, integers, names in ``env``, and the
    functions exp, log, sqrt, sinh, cosh, Abs, E, pi, h) in interval arithmetic.

    ``h`` is the depth's link function phi_D (passed as ``link``). Float literals are refused:
    a certificate states exact numbers only.
    """
    if not isinstance(expr, str):
        raise CheckFailure(field, "expected an expression string")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise CheckFailure(field, f"cannot parse expression {expr!r}") from None

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int):
                raise CheckFailure(field, f"only integer literals are allowed, got {node.value!r}")
            return iv.mpf(node.value)
        if isinstance(node, ast.Name):
            if node.id == "E":
                return iv.e
            if node.id == "pi":
                return iv.pi
            if node.id not in env:
                raise CheckFailure(field, f"unknown symbol {node.id!r} in {expr!r}")
            return env[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            left = ev(node.left)
            if isinstance(node.op, ast.Pow):
                if isinstance(node.right, ast.Constant) and isinstance(node.right.value, int) \
                        and not isinstance(node.right.value, bool):
                    return left ** node.right.value
                right = ev(node.right)
                if lo(left) <= 0:
                    raise CheckFailure(field, f"non-integer power of a possibly non-positive base in {expr!r}")
                return iv.exp(right * iv.log(left))
            right = ev(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if lo(right) <= 0 <= hi(right):
                    raise CheckFailure(field, f"division by an interval containing 0 in {expr!r}")
                return left / right
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
                and len(node.args) == 1 and not node.keywords:
            v = ev(node.args[0])
            name = node.func.id
            if name == "exp":
                return iv.exp(v)
            if name in ("log", "sqrt"):
                if lo(v) <= 0 and name == "log" or lo(v) < 0:
                    raise CheckFailure(field, f"{name} of a possibly non-positive argument in {expr!r}")
                return iv.log(v) if name == "log" else iv.sqrt(v)
            if name == "sinh":
                return (iv.exp(v) - iv.exp(-v)) / 2
            if name == "cosh":
                return (iv.exp(v) + iv.exp(-v)) / 2
            if name == "Abs":
                return abs(v)
            if name == "h":
                if link is None:
                    raise CheckFailure(field, "h(.) is only defined for diagonal-network certificates")
                return link(v)
        raise CheckFailure(field, f"unsupported construct {ast.dump(node)[:60]} in {expr!r}")

    return ev(tree)
