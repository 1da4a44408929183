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

Every text of the section is parsed by :mod:`.grammar` (nothing is evaluated as code) and converted to SymPy
node by node. The bound is the checker's own formula for the bound's name (:mod:`.theorems`); it may use only
quantities with a closed form along the curve (alpha, alpha_product, rho, N, s, n, m, D, p and h). A bound that
names an a-posteriori, alpha-dependent quantity (eps, K1, rho_a, rho_minus, M0, ...) or K1star / K2 is refused:
treating such a quantity as a constant would prove a false limit.

This module is imported only when SymPy is importable; ``sympy`` is passed in by the caller.
"""
from __future__ import annotations

from fractions import Fraction

from .grammar import GrammarError, Limits, free_symbols, parse, to_sympy
from .interval import CheckFailure, iv_log

#: the symbolic re-check supports 1 x N families with N at most this (the certified families have N = 2)
MAX_SYMBOLIC_N = 4
#: texts of the limit section: smaller trees than bound formulas, so SymPy's work stays small
LIMIT_LIMITS = Limits(max_chars=4000, max_nodes=600, max_literal_chars=60, max_power=64, max_bits=4096)
CLOSED_FORM = ("alpha", "alpha_product", "rho", "N", "s", "n", "m", "D", "p")


def _rat(sympy, q: Fraction):
    return sympy.Rational(q.numerator, q.denominator)


def _phi(sympy, depth: Fraction):
    if depth == 2:
        return lambda z: 2 * sympy.sinh(z)
    e = -_rat(sympy, depth) / (_rat(sympy, depth) - 2)
    return lambda z: (1 - z) ** e - (1 + z) ** e


def recheck_limit(sympy, limit: dict, A, y, xs, depth: Fraction, convention: str, bounds, rho) -> list[str]:
    """Re-derive the limit of error / bound along the dual curve; ``bounds`` are (name, side, norm, tree)."""
    if len(A) != 1 or len(A[0]) > MAX_SYMBOLIC_N or xs[0] == 0 or any(v != 0 for v in xs[1:]) or y[0] <= 0 \
            or any(a <= 0 for a in A[0]) or any(q.numerator.bit_length() + q.denominator.bit_length() > 128
                                                for q in list(A[0]) + list(y)):
        raise CheckFailure("limit", f"the symbolic re-check supports 1 x N families (N <= {MAX_SYMBOLIC_N}) with "
                                    "positive entries of at most 128 bits and x* = (y/a_1) e_1 only")
    b = limit["bound"]
    if not 0 <= b < len(bounds):
        raise CheckFailure("limit.bound", "must index an entry of bounds")
    name, side, norm, tree = bounds[b]
    if side != "limit":
        raise CheckFailure("limit.bound", f"must index a tightness scale (side 'limit'), not the {side} bound {name!r}")
    others = sorted(free_symbols(tree) - set(CLOSED_FORM))
    if others:
        raise CheckFailure(f"bounds[{b}].expr", f"uses {others[0]}, a quantity with no closed form in alpha along "
                                                "the dual curve: the symbolic limit cannot be re-checked")
    t = sympy.Symbol("t", positive=True)
    a = [_rat(sympy, v) for v in A[0]]
    phi = _phi(sympy, depth)
    alpha_t = _rat(sympy, y[0]) / sum(aj * phi(aj * t) for aj in a)
    t_lim = sympy.oo if depth == 2 else 1 / max(a)
    direction = "+" if depth == 2 else "-"

    def parse_text(text, where, symbols):
        try:
            return to_sympy(parse(text, symbols, limits=LIMIT_LIMITS), {"t": t, "oo": sympy.oo}, limits=LIMIT_LIMITS)
        except GrammarError as exc:
            raise CheckFailure(where, f"cannot read the expression: {exc}") from None

    def zero(expr) -> bool:
        return sympy.simplify(expr) == 0

    # Parse every text first (cheap, and a refusal comes before any SymPy work).
    stated_lim = parse_text(limit["t_limit"], "limit.t_limit", {"oo"})
    stated_alpha = parse_text(limit["alpha_of_t"], "limit.alpha_of_t", {"t"})
    stated_err = parse_text(limit["error_of_t"], "limit.error_of_t", {"t"})
    value = parse_text(limit["value"], "limit.value", ())
    steps = [(parse_text(step["lhs"], f"limit.steps[{i}].lhs", {"t"}),
              parse_text(step["rhs"], f"limit.steps[{i}].rhs", {"t"})) for i, step in enumerate(limit["steps"])]

    if not (stated_lim == t_lim or (stated_lim.is_finite and zero(stated_lim - t_lim))):
        raise CheckFailure("limit.t_limit", f"the dual curve ends at t = {t_lim}")
    if not zero(stated_alpha - alpha_t):
        raise CheckFailure("limit.alpha_of_t", "is not y / sum_j a_j phi_D(a_j t) (the dual equation)")
    if sympy.limit(1 / alpha_t, t, t_lim, direction) != sympy.oo:
        raise CheckFailure("limit.alpha_of_t", "alpha(t) does not tend to 0 along the curve")
    e = [alpha_t * phi(aj * t) for aj in a[1:]]
    e1 = -sum(aj * ej for aj, ej in zip(a[1:], e)) / a[0]
    if norm == "l1":
        err = sum((1 + aj / a[0]) * ej for aj, ej in zip(a[1:], e))
        ok = zero(stated_err - err)
    elif norm == "l2":
        err = e1 ** 2 + sum(ej ** 2 for ej in e)  # squared
        # equal squares, and the sign of a norm: err > 0 on the open curve, so a continuous text whose square is
        # err has one sign there, read at one interior point (minus the norm has the same square)
        inner = sympy.Integer(1) if depth == 2 else t_lim / 2
        ok = zero(stated_err ** 2 - err) and stated_err.subs(t, inner).is_positive is True
    else:
        raise CheckFailure("limit", "the symbolic re-check supports the l1 and l2 norms")
    if not ok:
        raise CheckFailure("limit.error_of_t", f"is not ||x_inf - x*||_{norm[1:]} along the curve")
    N = len(a)
    D = _rat(sympy, depth)
    alpha_given = alpha_t if convention == "product" else alpha_t ** (1 / D)
    names = {"alpha_product": alpha_t, "alpha": alpha_given, "rho": _rat(sympy, rho), "N": sympy.Integer(N),
             "s": sympy.Integer(1), "n": sympy.Integer(N - 1), "m": sympy.Integer(1), "D": D, "p": D}
    try:
        bound_t = to_sympy(tree, names, {"h": phi})
    except GrammarError as exc:
        raise CheckFailure(f"bounds[{b}].expr", f"cannot convert the bound: {exc}") from None
    if norm == "l1":
        lim = sympy.limit(err / bound_t, t, t_lim, direction)
    else:
        lim = sympy.sqrt(sympy.limit(err / bound_t ** 2, t, t_lim, direction))
    if not zero(lim - value):
        raise CheckFailure("limit.value", f"SymPy finds the limit of error/bound to be {lim}, not {limit['value']}")
    for i, (step, (lhs, rhs)) in enumerate(zip(limit["steps"], steps)):
        if step["method"] == "identity":
            good = zero(lhs - rhs)
        else:
            good = zero(sympy.limit(lhs, t, t_lim, direction) - rhs)
        if not good:
            raise CheckFailure(f"limit.steps[{i}]", f"SymPy does not confirm: {step['claim']}")
    return [f"limit (SymPy): along the dual curve, alpha(t) -> 0 and error/bound -> {limit['value']} "
            f"({len(limit['steps'])} steps re-checked)"]


# --- exact equality of an error and a bound on the Krawczyk box ------------------------------------------------

def _decided_sign(x, where) -> int:
    """+1 / -1 when the interval x is certainly positive / negative; CheckFailure otherwise."""
    from .interval import hi, lo

    if lo(x) > 0:
        return 1
    if hi(x) < 0:
        return -1
    raise CheckFailure(where, "equality: a sign is not decided on the box, so the identity cannot be set up")


def _decided_argmax(mags, where) -> int:
    """The index whose interval is certainly above all others; CheckFailure otherwise."""
    from .interval import hi, lo

    for j, v in enumerate(mags):
        if all(lo(v) > hi(w) for k, w in enumerate(mags) if k != j):
            return j
    raise CheckFailure(where, "equality: the maximum is not decided on the box, so the identity cannot be set up")


def prove_equality(sympy, A, xs, support, signs, depth: Fraction, alpha: Fraction, convention: str, rho: Fraction,
                   K2: Fraction, norm: str, tree, boxes: dict, where: str) -> None:
    """Prove ||x_inf(nu) - x*|| = bound(nu) as an identity in the dual variable nu on the Krawczyk box.

    Every quantity is written as a closed form in nu = (nu_1, ..., nu_m): x_j = alpha_prod phi_D((A^T nu)_j), the
    a-posteriori constants of the bound from w = A^T nu. Each absolute value, maximum and max(., 0) is resolved by
    a sign or an argmax that the interval enclosures on the box decide (``boxes``: interval values of ``diff``,
    ``w`` at the box). If SymPy then simplifies error - bound to 0, the two are equal at every nu in the box where
    those decisions hold, in particular at the unique solution the Krawczyk test proved to be there: error/bound
    = 1 exactly. Raises CheckFailure when any step cannot be done (the verdict then stays undecided).
    """
    from .grammar import GrammarError, free_symbols, to_sympy
    from mpmath import iv

    m, N = len(A), len(A[0])
    nus = [sympy.Symbol(f"nu{i}", real=True) for i in range(m)]
    D = _rat(sympy, depth)
    a_s = _rat(sympy, alpha)
    ap = a_s if convention == "product" else a_s ** D
    phi = _phi(sympy, depth)
    w = [sum(_rat(sympy, A[i][j]) * nus[i] for i in range(m)) for j in range(N)]
    d = [ap * phi(w[j]) - _rat(sympy, xs[j]) for j in range(N)]
    diff = boxes["diff"]
    if norm == "l1":
        err = sum(_decided_sign(diff[j], where) * d[j] for j in range(N))
    elif norm == "linf":
        j = _decided_argmax([abs(v) for v in diff], where)
        err = _decided_sign(diff[j], where) * d[j]
    else:
        err = sympy.sqrt(sum(dj ** 2 for dj in d))
    wbox = boxes["w"]
    names = {"alpha": a_s, "alpha_product": ap, "rho": _rat(sympy, rho), "K2": _rat(sympy, K2), "D": D, "p": D,
             "N": sympy.Integer(N), "s": sympy.Integer(len(support)), "n": sympy.Integer(N - len(support)),
             "m": sympy.Integer(m)}
    used = free_symbols(tree)
    if "eps" in used or "rho_a" in used or "rho_minus" in used:
        vals = [wbox[i] - sg for i, sg in zip(support, signs)]
        k = _decided_argmax([abs(v) for v in vals], where)
        i = support[k]
        eps = _decided_sign(vals[k], where) * (w[i] - signs[k])
        names["eps"] = eps
        names["rho_a"] = names["rho"] + names["K2"] * eps
        rm = boxes["rho"] - boxes["K2"] * abs(vals[k])
        names["rho_minus"] = names["rho"] - names["K2"] * eps if _decided_sign(rm, where) > 0 else sympy.Integer(0)
    if "K1" in used:
        lg = -iv_log(boxes["alpha_product"])
        vals = [wbox[i] - sg * lg for i, sg in zip(support, signs)]
        k = _decided_argmax([abs(v) for v in vals], where)
        i = support[k]
        names["K1"] = _decided_sign(vals[k], where) * (w[i] - signs[k] * sympy.log(1 / ap))
    missing = sorted(used - set(names))
    if missing:
        raise CheckFailure(where, f"equality: {missing[0]} has no closed form in nu here")
    try:
        bound = to_sympy(tree, names, {"h": phi})
    except GrammarError as exc:
        raise CheckFailure(where, f"equality: cannot convert the bound: {exc}") from None
    if sympy.simplify(sympy.expand(err - bound)) != 0:
        raise CheckFailure(where, "equality: SymPy does not reduce error - bound to 0 on the box")
