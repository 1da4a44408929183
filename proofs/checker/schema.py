"""The certificate schema, one per kind: every field has a type and a size; unknown or missing fields are errors.

Validation runs before any checking, so every later step sees exactly the documented shape. Sizes bound the
work (see ``docs/certificates.md``, "Budgets"): the dimensions of A, X and the layers, the numbers of points,
bounds and proof steps, and the characters of every number and text.
"""
from __future__ import annotations

from .grammar import GrammarError, Limits, parse_number
from .interval import CheckFailure

#: limits for a number stated in a certificate (an exact value, a ball end, a ratio end)
NUMBER_LIMITS = Limits(max_literal_chars=120, max_exp10=400)

PROVENANCE_KINDS = ("paper", "derived", "standard", "reconstructed", "conjecture")
MAX_M, MAX_N = 8, 40          # diagonal: A is m x N
MAX_POINTS, MAX_BOUNDS, MAX_STEPS = 12, 6, 8
MAX_ROWS, MAX_D, MAX_L = 64, 8, 64   # deep linear: X is n x d, L layers of width <= MAX_D
MAX_MINIMIZER_CHARS = 4000    # total characters of the exact entries of the minimizer
MAX_DPS = 400
LOSS = "R(W) = (1/n) ||y - X W_L ... W_1||^2 (no factor 1/2)"


class SchemaError(CheckFailure):
    pass


# --- spec constructors: each is a function (value, field) -> None raising SchemaError ----------------------

def text(max_chars=400):
    def check(v, f):
        if not isinstance(v, str):
            raise SchemaError(f, f"expected text, got {_type(v)}")
        if len(v) > max_chars:
            raise SchemaError(f, f"text of {len(v)} characters (limit {max_chars})")
        if not v.isprintable():
            raise SchemaError(f, "text with control or unpaired surrogate characters")
    return check


def number(v, f):
    if not isinstance(v, str):
        raise SchemaError(f, f"expected an exact number as a string, got {_type(v)}")
    try:
        parse_number(v, NUMBER_LIMITS)
    except GrammarError as exc:
        raise SchemaError(f, str(exc)) from None


def integer(lo, hi):
    def check(v, f):
        if isinstance(v, bool) or not isinstance(v, int):
            raise SchemaError(f, f"expected an integer, got {_type(v)}")
        if not lo <= v <= hi:
            raise SchemaError(f, f"{v} is outside [{lo}, {hi}]")
    return check


def one_of(*values):
    def check(v, f):
        if isinstance(v, bool) or not isinstance(v, (str, int)) or v not in values:
            shown = repr(v)[:40] if isinstance(v, (str, int)) else _type(v)
            raise SchemaError(f, f"must be one of {values}, got {shown}")
    return check


def array(item, min_len, max_len):
    def check(v, f):
        if not isinstance(v, list):
            raise SchemaError(f, f"expected a list, got {_type(v)}")
        if not min_len <= len(v) <= max_len:
            raise SchemaError(f, f"{len(v)} entries (allowed {min_len} to {max_len})")
        for i, x in enumerate(v):
            item(x, f"{f}[{i}]")
    return check


def obj(required: dict, optional: dict | None = None):
    optional = optional or {}

    def check(v, f):
        if not isinstance(v, dict):
            raise SchemaError(f or "(top level)", f"expected an object, got {_type(v)}")
        for key in v:
            if key not in required and key not in optional:
                raise SchemaError(_join(f, key), "unknown field (not part of the format)")
        for key, spec in required.items():
            if key not in v:
                raise SchemaError(_join(f, key), "missing field")
            spec(v[key], _join(f, key))
        for key, spec in optional.items():
            if key in v:
                spec(v[key], _join(f, key))
    return check


def hexdigest(v, f):
    if not (isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)):
        raise SchemaError(f, "expected a 64-digit lowercase hex SHA-256")


def _join(f, key):
    return f"{f}.{key}" if f else key


def _type(v):
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", int: "an integer",
            type(None): "null"}.get(type(v), type(v).__name__)


ball = obj({"mid": number, "rad": number})
ratio = obj({"lo": number, "hi": number})
provenance = obj({"kind": one_of(*PROVENANCE_KINDS), "source": text(600)},
                 {"proof": text(300), "note": text(600), "statement": text(1200)})


def _header(kind, theorems):
    return {"format": one_of("implicitreg-certificate/1"), "kind": one_of(kind), "sha256": hexdigest,
            "theorem": obj({"name": one_of(*theorems), "title": text(300), "claim": text(1200),
                            "provenance": provenance}),
            "tool": obj({"name": one_of("implicitreg"), "version": text(40),
                         "checker_dps": integer(15, MAX_DPS)})}


_vector_n = array(number, 1, MAX_N)
DIAGONAL = obj(dict(
    _header("diagonal", ("MS-D2", "MS-D3", "kink")),
    instance=obj({"A": array(array(number, 1, MAX_N), 1, MAX_M), "y": array(number, 1, MAX_M)}),
    depth=number,
    alpha_convention=one_of("product", "factor"),
    basis_pursuit=obj({"x_star": _vector_n, "value": number, "lambda": array(number, 1, MAX_M)}),
    rho=obj({"support": array(integer(0, MAX_N - 1), 1, MAX_N), "signs": array(one_of(1, -1), 1, MAX_N),
             "value": number, "lambda": array(number, 1, MAX_M), "v": _vector_n}),
    bounds=array(obj({"name": text(80), "side": one_of("upper", "lower", "limit"),
                      "norm": one_of("l1", "l2", "linf"), "expr": text(4000), "provenance": provenance}),
                 1, MAX_BOUNDS),
    points=array(obj({"alpha": number, "nu": array(ball, 1, MAX_M), "x_inf": array(ball, 1, MAX_N),
                      "errors": obj({}, {"l1": ball, "l2": ball, "linf": ball}),
                      "bounds": array(obj({"value": ball, "ratio": ratio},
                                          {"equality": one_of("identity in nu")}), 1, MAX_BOUNDS)}),
                 1, MAX_POINTS),
), {"limit": obj({"statement": text(2000), "bound": integer(0, MAX_BOUNDS - 1), "t_limit": text(4000),
                  "alpha_of_t": text(4000), "error_of_t": text(4000), "value": text(4000),
                  "steps": array(obj({"claim": text(400), "method": one_of("identity", "limit"),
                                      "lhs": text(4000), "rhs": text(4000)}), 1, MAX_STEPS)})})


def _minimizer(v, f):
    array(array(array(number, 1, MAX_D), 1, MAX_D), 2, MAX_L)(v, f)
    total = sum(len(x) for W in v for row in W for x in row)
    if total > MAX_MINIMIZER_CHARS:
        raise SchemaError(f, f"{total} characters of exact entries (limit {MAX_MINIMIZER_CHARS})")


_DEEP_COMMON = dict(
    _header("deep-linear", ("MC-LB",)),
    instance=obj({"X": array(array(number, 1, MAX_D), 1, MAX_ROWS), "y": array(number, 1, MAX_ROWS)}),
    L=integer(2, MAX_L),
    loss=one_of(LOSS),
    w_star=array(number, 1, MAX_D),
    sharpness=ball,
    bound=obj({"name": text(80), "side": one_of("upper", "lower", "limit"), "expr": text(4000), "value": ball,
               "provenance": provenance}),
    ratio=ratio,
)
#: an exact minimizer (its entries rational: the constructed instances with ||w*||^(1/L) rational)
DEEP_LINEAR = obj(dict(_DEEP_COMMON, minimizer=_minimizer),
                  {"equality": obj({"S_LB": number, "family": text(300), "provenance": provenance})})

#: the minimizer the enclosure form certifies (ordinary data: its entries are irrational); the checker builds it
#: itself from w* and L and only compares enclosures (docs/certificates.md)
BALANCED_FORM = "balanced rank-one, width 1: W_1 = c w*^T / ||w*||, W_k = c (k = 2..L), c = ||w*||^(1/L)"
DEEP_LINEAR_BALANCED = obj(dict(
    _DEEP_COMMON,
    balanced_minimizer=obj({"form": one_of(BALANCED_FORM), "w_norm": ball, "root": ball,
                            "factors": array(array(array(ball, 1, MAX_D), 1, 1), 2, MAX_L)}),
    margin=ball,
), {"equality": obj({"lambda_max": number, "family": text(300), "provenance": provenance})})


def _deep_schema(cert):
    """The enclosure form when it names its minimizer (or, without either minimizer field, carries a margin)."""
    if "balanced_minimizer" in cert or ("minimizer" not in cert and "margin" in cert):
        return DEEP_LINEAR_BALANCED
    return DEEP_LINEAR


def validate(cert) -> None:
    """Raise :class:`SchemaError` naming the first field that is unknown, missing, mistyped or oversized."""
    if not isinstance(cert, dict):
        raise SchemaError("(top level)", "a certificate is a JSON object")
    kind = cert.get("kind")
    if kind == "diagonal":
        DIAGONAL(cert, "")
    elif kind == "deep-linear":
        _deep_schema(cert)(cert, "")
    else:
        shown = repr(kind)[:40] if isinstance(kind, (str, int)) else _type(kind)
        raise SchemaError("kind", f"unknown kind {shown} (expected 'diagonal' or 'deep-linear')")
