"""Optional SymPy re-check of the symbolic limit in a diagonal-network certificate.

Only the 1 x N tightness families are supported (dln.md §5, wah.md §6): A = [a_1, ..., a_N] with all
a_j > 0, y > 0, x* = (y / a_1) e_1. Along the dual curve A^T nu = t (a_1, ..., a_N), t > 0, the dual
equation gives the product scale in closed form,

    alpha(t) = y / sum_j a_j phi_D(a_j t),

which decreases strictly (phi_D is increasing) from alpha(0+) to 0 as t -> t_lim (oo for D = 2,
1 / max a_j for D > 2), so a limit in t is a limit alpha -> 0. With e_j = alpha(t) phi_D(a_j t) > 0
(j >= 2) and e_1 = -(sum_{j>=2} a_j e_j) / a_1 < 0 (the constraint), the error is Abs-free:
||e||_1 = sum_{j>=2} (1 + a_j / a_1) e_j and ||e||_2^2 = e_1^2 + sum_{j>=2} e_j^2.
Everything here is re-derived from the instance, the depth and the bound expression; the
certificate's own expressions are only compared with it. (The l2 limit is taken of ratio^2, then
the square root: SymPy 1.14 mis-evaluates some limits of sqrt(f^2) / g.)

This module is imported only when SymPy is importable; ``sympy`` is passed in by the caller.
"""
from __future__ import annotations

from fractions import Fraction

from .interval import CheckFailure


def _rat(sympy, q: Fraction):
    return sympy.Rational(q.numerator, q.denominator)


def _phi(sympy, depth: Fraction):
    if depth == 2:
        return lambda z: 2 * sympy.sinh(z)
    e = -_rat(sympy, depth) / (_rat(sympy, depth) - 2)
    return lambda z: (1 - z) ** e - (1 + z) ** e


def recheck_limit(sympy, limit: dict, A, y, xs, depth: Fraction, convention: str, bounds, rho) -> list[str]:
    if len(A) != 1 or xs[0] == 0 or any(v != 0 for v in xs[1:]) or y[0] <= 0 or any(a <= 0 for a in A[0]):
        raise CheckFailure("limit", "the symbolic re-check supports 1 x N families with positive entries and "
                                    "x* = (y/a_1) e_1 only")
    b = limit["bound"]
    if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b < len(bounds):
        raise CheckFailure("limit.bound", "must index an entry of bounds")
    spec = bounds[b]
    t = sympy.Symbol("t", positive=True)
    a = [_rat(sympy, v) for v in A[0]]
    phi = _phi(sympy, depth)
    alpha_t = _rat(sympy, y[0]) / sum(aj * phi(aj * t) for aj in a)
    t_lim = sympy.oo if depth == 2 else 1 / max(a)
    direction = "+" if depth == 2 else "-"
    loc = {"t": t}

    def parse(text, where):
        if not isinstance(text, str):
            raise CheckFailure(where, "expected an expression string")
        try:
            return sympy.sympify(text, locals=loc)
        except (sympy.SympifyError, SyntaxError, TypeError):
            raise CheckFailure(where, f"SymPy cannot parse {text!r}") from None

    def zero(expr) -> bool:
        return sympy.simplify(expr) == 0

    stated_lim = parse(limit["t_limit"], "limit.t_limit")
    if not (stated_lim == t_lim or (stated_lim.is_finite and zero(stated_lim - t_lim))):
        raise CheckFailure("limit.t_limit", f"the dual curve ends at t = {t_lim}")
    if not zero(parse(limit["alpha_of_t"], "limit.alpha_of_t") - alpha_t):
        raise CheckFailure("limit.alpha_of_t", "is not y / sum_j a_j phi_D(a_j t) (the dual equation)")
    if sympy.limit(1 / alpha_t, t, t_lim, direction) != sympy.oo:
        raise CheckFailure("limit.alpha_of_t", "alpha(t) does not tend to 0 along the curve")
    e = [alpha_t * phi(aj * t) for aj in a[1:]]
    e1 = -sum(aj * ej for aj, ej in zip(a[1:], e)) / a[0]
    stated_err = parse(limit["error_of_t"], "limit.error_of_t")
    if spec["norm"] == "l1":
        err = sum((1 + aj / a[0]) * ej for aj, ej in zip(a[1:], e))
        ok = zero(stated_err - err)
    elif spec["norm"] == "l2":
        err = e1 ** 2 + sum(ej ** 2 for ej in e)  # squared
        ok = zero(stated_err ** 2 - err)
    else:
        raise CheckFailure("limit", "the symbolic re-check supports the l1 and l2 norms")
    if not ok:
        raise CheckFailure("limit.error_of_t", f"is not ||x_inf - x*||_{spec['norm'][1:]} along the curve")
    N = len(a)
    D = _rat(sympy, depth)
    alpha_given = alpha_t if convention == "product" else alpha_t ** (1 / D)
    names = {"alpha_product": alpha_t, "alpha": alpha_given, "rho": _rat(sympy, rho), "N": N, "s": 1, "m": 1,
             "D": D, "p": D, "h": sympy.Lambda(sympy.Symbol("z"), phi(sympy.Symbol("z")))}
    try:
        bound_t = sympy.sympify(spec["expr"], locals=names)
    except (sympy.SympifyError, SyntaxError, TypeError):
        raise CheckFailure(f"bounds[{b}].expr", "SymPy cannot parse the bound") from None
    if spec["norm"] == "l1":
        lim = sympy.limit(err / bound_t, t, t_lim, direction)
    else:
        lim = sympy.sqrt(sympy.limit(err / bound_t ** 2, t, t_lim, direction))
    value = parse(limit["value"], "limit.value")
    if not zero(lim - value):
        raise CheckFailure("limit.value", f"SymPy finds the limit of error/bound to be {lim}, not {value}")
    for i, step in enumerate(limit["steps"]):
        lhs = parse(step["lhs"], f"limit.steps[{i}].lhs")
        rhs = parse(step["rhs"], f"limit.steps[{i}].rhs")
        method = step.get("method")
        if method == "identity":
            good = zero(lhs - rhs)
        elif method == "limit":
            good = zero(sympy.limit(lhs, t, t_lim, direction) - rhs)
        else:
            raise CheckFailure(f"limit.steps[{i}].method", "must be 'identity' or 'limit'")
        if not good:
            raise CheckFailure(f"limit.steps[{i}]", f"SymPy does not confirm: {step['claim']}")
    return [f"limit (SymPy): along the dual curve, alpha(t) -> 0 and error/bound -> {limit['value']} "
            f"({len(limit['steps'])} steps re-checked)"]
