"""Tightness certificates: JSON files proving "on this instance, for these alpha, the GF-limit error
lies in [lo, hi] * bound(alpha)" to someone who does not trust implicitreg (issue 8).

The producer computes with implicitreg (exact basis pursuit, the certified dual solve, the closed-form
families of ``theory.examples``, the deep-linear numerics) and writes what the standalone checker
(:mod:`implicitreg.proofs.checker`, standard library + mpmath only) re-verifies: exact LP certificates in
rationals, Krawczyk-proved boxes for the dual variable, interval enclosures of x_inf, the error and the
bound, the ratio interval, and for the 1 x N families the SymPy limit of error / bound.
The format is documented in ``docs/certificates.md``.

Every certificate is checked by the checker before it is returned, and the bytes are deterministic:
sorted keys, strings for every number, a fixed working precision.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import mpmath
import sympy
from mpmath import iv

from implicitreg import __version__
from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.exact import fraction_str, parse_exact
from implicitreg.numerics.instance import Instance
from implicitreg.proofs.checker import check as checker
from implicitreg.proofs.checker import grammar, schema, theorems
from implicitreg.proofs.checker.interval import (CheckFailure, ball_from_interval, decimal_text, endpoints, evaluate,
                                                 hi, lo, point, precision)
from implicitreg.proofs.checker.krawczyk import krawczyk, link
from implicitreg.numerics.precision import mpf_from

FORMAT = checker.FORMAT
THEOREMS = ("MS-D2", "MS-D3", "kink", "MC-LB")
#: digits of the nu-box centre and of every ball midpoint; the box radius is 10^-(CENTRE_DIGITS-10) |nu|.
CENTRE_DIGITS = 45
RATIO_DIGITS = 12


def _provenance(kind, source, proof=None, note=""):
    out = {"kind": kind, "source": source}
    if proof:
        out["proof"] = proof
    if note:
        out["note"] = note
    return out


# The tightness statements certified for the diagonal families (dln.md §5, wah.md §6).
_DIAGONAL = {
    "MS-D2": dict(
        norm="l1", convention="product",
        bound=(theorems.diagonal_bounds("MS-D2", Fraction(2))["tightness scale"][2], "limit",
               _provenance("derived", "dln.md §5: ||x_inf - x*||_1 ~ (N - s)(1 + rho) alpha^(1 - rho) on "
                           "A = [1, rho, ..., rho], y = 1", proof="theory/examples.py (prove_ratio_limit)"))),
    "MS-D3": dict(
        norm="l1", convention="product",
        bound=(theorems.diagonal_bounds("MS-D3", Fraction(3))["tightness scale"][2], "limit",
               _provenance("derived", "dln.md §5: ||x_inf - x*||_1 / alpha -> (N - s)(1 + rho) h_D(rho) on "
                           "A = [1, rho, ..., rho], y = 1", proof="theory/examples.py (prove_ratio_limit)"))),
    "kink": dict(
        norm="l2", convention="factor", bound=None),
}


def _kink_bound(depth: Fraction, instance: Instance):
    """The kink statement of ``theory.selection`` (WAH-kink-constant for p > 2, WAH-kink-p2 for p = 2) at this eps,
    rewritten in the product scale: alpha (per factor) -> alpha_product^(1/p)."""
    from implicitreg.theory import selection
    from implicitreg.theory.statement import alpha, p

    A, y = instance.A, instance.y
    if instance.m != 1 or instance.N != 2 or A[0][0] != 1 or y[0] != 1 or not 0 < A[0][1] < 1:
        raise HypothesisNotMetError("the kink family is A = [1, 1 - eps], y = 1 with 0 < eps < 1")
    eps = 1 - A[0][1]
    Ds = sympy.Rational(depth.numerator, depth.denominator)
    if depth == 2:
        theorem, bound = selection.KINK_P2, selection.KINK_P2.bound("asymptotic")
        expr = bound.expr
    else:
        theorem, bound = selection.KINK_CONSTANT, selection.KINK_CONSTANT.bound("constant")
        expr = bound.expr * alpha ** p
    ap = sympy.Symbol("alpha_product", positive=True)
    expr = expr.subs({selection.eps: sympy.Rational(eps.numerator, eps.denominator), p: Ds}).subs(alpha, ap ** (1 / Ds))
    expr = sympy.powsimp(expr, force=True)
    text = theorems.diagonal_bounds("kink", depth)["tightness scale"][2]
    rho = 1 - eps  # the rho of A = [1, 1 - eps]
    _same_formula(expr, text, depth, {"rho": sympy.Rational(rho.numerator, rho.denominator)}, "kink tightness scale")
    return (text, "limit", bound.provenance.to_json()), theorem


def _table_to_sympy(text: str, depth: Fraction, values: dict, like) -> sympy.Expr:
    """The checker's table formula as SymPy (through the checker's grammar), symbols matched by name to ``like``."""
    Ds = sympy.Rational(depth.numerator, depth.denominator)
    e = -Ds / (Ds - 2) if depth != 2 else None
    phi = (lambda z: 2 * sympy.sinh(z)) if depth == 2 else (lambda z: (1 - z) ** e - (1 + z) ** e)
    symbols = {str(x): x for x in like.free_symbols}
    symbols.update(values)
    tree = grammar.parse(text, theorems.DIAGONAL_SYMBOLS, theorems.LINK)
    for name in grammar.free_symbols(tree):
        symbols.setdefault(name, sympy.Symbol(name))
    return grammar.to_sympy(tree, symbols, {"h": phi})


def _same_formula(theory_expr, text: str, depth: Fraction, values: dict, what: str) -> None:
    """The theory's statement and the checker's table must be the same formula (an independent transcription)."""
    if sympy.simplify(theory_expr.subs(values) - _table_to_sympy(text, depth, values, theory_expr)) != 0:
        raise CertificateError(f"{what}: the theory's formula {theory_expr} differs from the checker's table {text}")


#: the theory.diagonal bounds certified alongside the tightness scale, with the norm each one measures
_THEORY_BOUNDS = {"MS-D2": (("upper_l1", "l1"), ("lower_inf", "linf")),
                  "MS-D3": (("upper_l1", "l1"), ("lower_inf", "linf"))}


def _theory_bounds(theorem: str, depth: Fraction) -> list[dict]:
    """The upper and lower bounds of ``theory.diagonal`` (MS-D2 / MS-D3), with alpha -> alpha_product and D fixed.

    Their constants (K1, K2, n, eps, rho_a, rho_minus, M0) are a-posteriori: the checker recomputes them from the
    Krawczyk box (``checker.check._point_constants``)."""
    from implicitreg.theory import diagonal
    from implicitreg.theory.statement import D as D_sym, alpha

    stated = diagonal.MS_D2_THEOREM if theorem == "MS-D2" else diagonal.MS_D3_THEOREM
    ap = sympy.Symbol("alpha_product", positive=True)
    out = []
    table = theorems.diagonal_bounds(theorem, depth)
    for name, norm in _THEORY_BOUNDS[theorem]:
        b = stated.bound(name)
        expr = b.expr.subs({alpha: ap, D_sym: sympy.Rational(depth.numerator, depth.denominator)})
        side, t_norm, text = table[name]
        if (side, t_norm) != (b.side, norm):
            raise CertificateError(f"{theorem} {name}: the theory's side/norm differ from the checker's table")
        _same_formula(expr, text, depth, {}, f"{theorem} {name}")
        out.append({"name": name, "side": b.side, "norm": norm, "expr": text, "provenance": b.provenance.to_json()})
    return out


def dumps(cert: dict) -> str:
    """The file text: sorted keys, two-space indent, trailing newline (byte-identical for equal content)."""
    return json.dumps(cert, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def seal(cert: dict) -> dict:
    """Add the content hash (sha256 of the canonical JSON without the hash)."""
    body = {k: v for k, v in cert.items() if k != "sha256"}
    body["sha256"] = checker.content_hash(body)
    return body


def _exact_list(v):
    return [fraction_str(Fraction(c)) for c in v]


def _depth(depth) -> Fraction:
    D = parse_exact(depth, "depth") if not isinstance(depth, Fraction) else depth
    if D < 2:
        raise InvalidParameterError(f"depth must be >= 2, got {depth}")
    if D > 64 or D.denominator > 64:  # the checker's range (proofs/checker/check.py)
        raise InvalidParameterError(f"depth must be a rational in [2, 64] with denominator <= 64, got {depth}")
    return D


def _ratio_claim(ratio) -> dict:
    a, b = endpoints(ratio)
    return {"lo": decimal_text(a, RATIO_DIGITS, "down"), "hi": decimal_text(b, RATIO_DIGITS, "up")}


def _tool(dps: int) -> dict:
    return {"name": "implicitreg", "version": __version__, "checker_dps": dps}


def diagonal_certificate(instance: Instance, depth, alphas, *, theorem: str, alpha_convention: str | None = None,
                         symbolic: bool = True) -> dict:
    """A sealed certificate for ``theorem`` in {"MS-D2", "MS-D3", "kink"} on ``instance`` at each alpha.

    The instance must have a unique l1 minimizer and full row rank (so the Krawczyk test applies).
    ``alpha_convention`` defaults to the theorem's (product for MS, factor for kink). With ``symbolic``
    and a 1 x N family with positive entries, the SymPy limit of error / bound is included.
    """
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    if theorem not in _DIAGONAL:
        raise InvalidParameterError(f"theorem must be one of {tuple(_DIAGONAL)} for a diagonal network, got {theorem!r}")
    spec = _DIAGONAL[theorem]
    D = _depth(depth)
    if theorem == "MS-D2" and D != 2:
        raise InvalidParameterError("MS-D2 is the depth-2 statement: use --depth 2 (or MS-D3 for D > 2)")
    if theorem == "MS-D3" and D <= 2:
        raise InvalidParameterError("MS-D3 needs depth D > 2")
    convention = alpha_convention or spec["convention"]
    if convention not in ("product", "factor"):
        raise InvalidParameterError(f"alpha_convention must be 'product' or 'factor', got {convention!r}")
    alphas = [parse_exact(a, "alpha") if not isinstance(a, Fraction) else a for a in alphas]
    if not alphas or any(a <= 0 for a in alphas):
        raise InvalidParameterError("give at least one alpha, all > 0")
    low, high = checker.ALPHA_RANGE
    if any(not low <= a <= high for a in alphas):
        raise InvalidParameterError("every alpha must lie in [1e-300, 1] (the range a certificate may state)")
    if len(set(alphas)) > schema.MAX_POINTS:
        raise InvalidParameterError(f"at most {schema.MAX_POINTS} values of alpha per certificate")
    if convention == "factor" and min(alphas) ** D < low:
        raise InvalidParameterError("alpha^D must be >= 1e-300 (factor convention)")
    alphas = sorted(set(alphas), reverse=True)
    from implicitreg.numerics.exact import rank
    if rank(instance.A) != instance.m:
        raise HypothesisNotMetError("a certificate needs A with full row rank (independent dual equations)")

    bp = l1_minimizer(instance)
    if not bp.unique or bp.rho_certificate is None:
        raise HypothesisNotMetError(f"{theorem}: the l1 minimizer is not unique, so the bound is not stated")
    rc = bp.rho_certificate
    if spec["bound"]:
        from implicitreg.theory import diagonal

        stated = diagonal.MS_D2_THEOREM if theorem == "MS-D2" else diagonal.MS_D3_THEOREM
        (expr, side, bprov) = spec["bound"]
        provenance = dict(stated.provenance.to_json(), statement=f"{stated.name}: {stated.statement}")
    else:
        (expr, side, bprov), stated = _kink_bound(D, instance)
        provenance = dict(stated.provenance.to_json(), statement=f"{stated.name}: {stated.statement}")
    bounds = []
    # The family's asymptotic scale is a proved limit only on A = [1, r, ..., r], y = 1 (theory/examples.py);
    # elsewhere only the theorem's own upper and lower bounds are certified.
    if theorem == "kink" or _is_row_family(instance):
        bounds.append({"name": "tightness scale", "side": side, "norm": spec["norm"], "expr": expr,
                       "provenance": bprov})
    if theorem in ("MS-D2", "MS-D3"):
        bounds += _theory_bounds(theorem, D)
    claim = (f"For each listed alpha ({convention} convention) and each bound, ||x_inf(alpha) - x*|| / bound(alpha) "
             f"lies in the stated ratio interval, and each upper (lower) bound holds: the interval lies at or below "
             f"(above) 1; x* is the unique l1 minimizer "
             f"and rho its exact LP value" + ("; the ratio to the tightness scale tends to the stated limit."
                                               if bounds[0]["side"] == "limit" else "."))
    cert = {
        "format": FORMAT, "kind": "diagonal",
        "theorem": {"name": theorem, "title": f"{stated.title} (tightness certificate)", "claim": claim,
                    "provenance": provenance},
        "instance": instance.to_json(), "depth": fraction_str(D), "alpha_convention": convention,
        "basis_pursuit": {"x_star": _exact_list(bp.x), "value": fraction_str(bp.value),
                          "lambda": _exact_list(bp.certificate)},
        "rho": {"support": list(bp.support), "signs": list(bp.signs), "value": fraction_str(rc.value),
                "lambda": _exact_list(rc.lam), "v": _exact_list(rc.v)},
        "bounds": bounds,
    }
    # The interval precision depends on the inputs only (never on a solver's internal choice), so the bytes are
    # reproducible: 60 digits plus the decades of the smallest product scale.
    smallest = min(alphas) if convention == "product" else min(alphas) ** D
    try:
        log_smallest = math.log10(smallest)
    except ValueError:  # a scale below the float range (alpha = 1e-400): the same decades from the exact fraction
        a0 = Fraction(min(alphas))
        log_smallest = (math.log10(a0.numerator) - math.log10(a0.denominator)) * (1 if convention == "product"
                                                                                    else float(D))
    points, dps = [], 60 + max(0, math.ceil(-log_smallest))
    for a in alphas:
        res = gradient_flow_limit(instance, D, a, alpha_convention=convention, digits=30)
        try:
            points.append(_diagonal_point(instance, D, a, convention, bp, rc.value, bounds, dps, res))
        except CheckFailure as exc:  # the proof machinery could not certify this alpha: say why, no traceback
            raise CertificateError(f"cannot certify alpha = {fraction_str(a)}: {exc}") from None
    _drop_undecided(bounds, points)
    cert["points"] = points
    cert["tool"] = _tool(dps)
    if symbolic and bounds[0]["side"] == "limit" and instance.m == 1 and all(v > 0 for v in instance.A[0]) \
            and instance.y[0] > 0 and list(bp.support) == [0]:
        cert["limit"] = _limit_section(instance, D, convention, bounds[0], rc.value, theorem)
    cert = seal(cert)
    try:
        checker.check_certificate(cert, time_limit=None)
    except CheckFailure as exc:  # a producer bug, never a user error: say which field
        raise CertificateError(f"the produced certificate does not verify: {exc}") from None
    return cert


def _drop_undecided(bounds: list, points: list) -> None:
    """Remove every upper/lower bound whose ratio enclosure contains 1 at some alpha: intervals cannot decide it
    (a bound attained with equality needs an exact proof), and the checker refuses undecided verdicts."""
    undecided = set()
    for pt in points:
        for b, entry in enumerate(pt["bounds"]):
            if "equality" in entry:
                continue
            lo_, hi_ = Fraction(Decimal(entry["ratio"]["lo"])), Fraction(Decimal(entry["ratio"]["hi"]))
            side = bounds[b]["side"]
            if side == "upper" and lo_ > 1 or side == "lower" and hi_ < 1:
                raise CertificateError(f"the {side} bound {bounds[b]['name']!r} is violated at alpha = {pt['alpha']}")
            if side == "upper" and not hi_ <= 1 or side == "lower" and not lo_ >= 1:
                undecided.add(b)
    if len(undecided) == len(bounds):
        raise CertificateError("no bound has a decided verdict at these alpha")
    keep = [b for b in range(len(bounds)) if b not in undecided]
    bounds[:] = [bounds[b] for b in keep]
    norms = {spec["norm"] for spec in bounds}
    for pt in points:
        pt["bounds"] = [pt["bounds"][b] for b in keep]
        pt["errors"] = {k: v for k, v in pt["errors"].items() if k in norms}


def _is_row_family(instance: Instance) -> bool:
    """A = [1, r, ..., r] with 0 < r < 1 and y = 1 (dln.md §5)."""
    A = instance.A
    return instance.m == 1 and instance.N >= 2 and A[0][0] == 1 and instance.y[0] == 1 \
        and all(v == A[0][1] for v in A[0][1:]) and 0 < A[0][1] < 1


def _diagonal_point(instance, D, alpha, convention, bp, rho, bounds, dps, res) -> dict:
    """Box for nu around the certified dual solve, proved by Krawczyk; balls for x_inf, errors, bounds."""
    A, y = [list(r) for r in instance.A], list(instance.y)
    with precision(dps):
        centre = [Fraction(Decimal(_dec_text(_mp_fraction(v)))) for v in _newton_polish(instance, D, alpha, convention,
                                                                                     res.nu)]
        radius = [max(abs(c), Fraction(1)) * Fraction(1, 10 ** (CENTRE_DIGITS - 10)) for c in centre]
        ap = checker._alpha_product(alpha, D, convention)
        K = krawczyk(A, y, ap, D, centre, radius, "nu")
        phi = link(D)
        z = [sum((point(A[i][j]) * K[i] for i in range(len(A))), iv.mpf(0)) for j in range(len(A[0]))]
        x = [ap * phi(zj) for zj in z]
        # Two independent paths: the certified Newton solve (numerics.dual_limit) must lie in the proved box.
        for j, xj in enumerate(x):
            if not (lo(xj) - abs(hi(xj)) * mpmath.mpf(10) ** (-res.digits) <= res.x[j]
                    <= hi(xj) + abs(hi(xj)) * mpmath.mpf(10) ** (-res.digits)):
                raise CertificateError(f"x_inf[{j}] of the dual solve disagrees with the Krawczyk box")
        diff = [xj - point(Fraction(s)) for xj, s in zip(x, bp.x)]
        env0 = checker._instance_constants(A, list(bp.x), bp.support, rho, D, len(A[0]))
        env = dict(env0, alpha=point(alpha), alpha_product=ap)
        env.update(checker._point_constants(env0, z, bp.support, bp.signs, ap, D))
        errors, pbounds = {}, []
        err_iv = {}
        for spec in bounds:
            err_iv[spec["norm"]] = checker._norm(diff, spec["norm"])
            errors[spec["norm"]] = ball_from_interval(err_iv[spec["norm"]], CENTRE_DIGITS - 15)
        for spec in bounds:
            if spec["expr"].find("M0") >= 0 and "M0" not in env:
                raise HypothesisNotMetError(f"{spec['name']} needs rho_a = rho + K2 eps < 1, which fails at alpha = "
                                            f"{fraction_str(alpha)} (alpha above alpha_0): use smaller alpha")
            val = evaluate(spec["expr"], env, "bound", link=phi)
            if not lo(val) > 0:
                raise HypothesisNotMetError(f"{spec['name']} is not positive at alpha = {fraction_str(alpha)} "
                                            "(alpha above the bound's range): use smaller alpha")
            entry = {"value": ball_from_interval(val, CENTRE_DIGITS - 15),
                     "ratio": _ratio_claim(err_iv[spec["norm"]] / val)}
            ra, rb = endpoints(err_iv[spec["norm"]] / val)
            if spec["side"] != "limit" and ra <= 1 <= rb:  # undecided by intervals: try the exact identity in nu
                from implicitreg.proofs.checker.symbolic import prove_equality

                boxes = {"diff": diff, "w": z, "rho": env0["rho"], "K2": env0["K2"], "alpha_product": ap}
                try:
                    prove_equality(sympy, A, list(bp.x), list(bp.support), list(bp.signs), D, alpha, convention,
                                   rho, env0["_K2_exact"], spec["norm"], theorems.parse_bound(spec["expr"], "bound"),
                                   boxes, "equality")
                    entry["equality"] = "identity in nu"
                except CheckFailure:
                    pass  # left undecided: _drop_undecided removes the bound
            pbounds.append(entry)
        return {"alpha": fraction_str(alpha),
                "nu": [{"mid": _dec_text(c), "rad": decimal_text(r, 2, "up")} for c, r in zip(centre, radius)],
                "x_inf": [ball_from_interval(xj, CENTRE_DIGITS - 15) for xj in x],
                "errors": errors, "bounds": pbounds}


def _newton_polish(instance, D, alpha, convention, nu, steps: int = 3) -> list:
    """A few Newton steps on F(nu) = alpha_prod A phi_D(A^T nu) - y at the working precision, so the box centre is
    accurate far below the box radius (the Krawczyk test then has room; it stays the proof)."""
    from implicitreg.numerics.potentials import link as phi, link_derivative as dphi, product_scale

    A, y = instance.A_mp(), instance.y_mp()
    m, N = instance.m, instance.N
    ap = product_scale(alpha, D, convention)
    nu = mpmath.matrix([mpmath.mpf(v) for v in nu])
    for _ in range(steps):
        z = [mpmath.fsum(A[i, j] * nu[i] for i in range(m)) for j in range(N)]
        F = mpmath.matrix([ap * mpmath.fsum(A[i, j] * phi(D, z[j]) for j in range(N)) - y[i] for i in range(m)])
        J = mpmath.matrix([[ap * mpmath.fsum(A[i, j] * A[k, j] * dphi(D, z[j]) for j in range(N)) for k in range(m)]
                           for i in range(m)])
        nu = nu - mpmath.lu_solve(J, F)
    return [nu[i] for i in range(m)]


def _mp_fraction(v) -> Fraction:
    from implicitreg.proofs.checker.interval import to_fraction

    return to_fraction(mpmath.mpf(v))


def _dec_text(q: Fraction) -> str:
    return decimal_text(q, CENTRE_DIGITS, "nearest") if q != 0 else "0"


def _limit_section(instance, D, convention, bound, rho, theorem) -> dict:
    """The SymPy limit of error / bound along the dual curve A^T nu = t A (1 x N families)."""
    t = sympy.Symbol("t", positive=True)
    a = [sympy.Rational(v.numerator, v.denominator) for v in instance.A[0]]
    yy = sympy.Rational(instance.y[0].numerator, instance.y[0].denominator)
    Ds = sympy.Rational(D.numerator, D.denominator)
    phi = (lambda w: 2 * sympy.sinh(w)) if D == 2 else (lambda w: (1 - w) ** (-Ds / (Ds - 2)) - (1 + w) ** (-Ds / (Ds - 2)))
    alpha_t = yy / sum(aj * phi(aj * t) for aj in a)
    e = [alpha_t * phi(aj * t) for aj in a[1:]]
    if bound["norm"] == "l1":
        err = sum((1 + aj / a[0]) * ej for aj, ej in zip(a[1:], e))
    else:
        e1 = -sum(aj * ej for aj, ej in zip(a[1:], e)) / a[0]
        err_sq = e1 ** 2 + sum(ej ** 2 for ej in e)
        err = sympy.sqrt(err_sq)
    t_lim = sympy.oo if D == 2 else 1 / max(a)
    direction = "+" if D == 2 else "-"
    r = sympy.Rational(rho.numerator, rho.denominator)
    names = {"alpha_product": alpha_t, "alpha": alpha_t if convention == "product" else alpha_t ** (1 / Ds),
             "rho": r, "N": sympy.Integer(len(a)), "s": sympy.Integer(1), "n": sympy.Integer(len(a) - 1),
             "m": sympy.Integer(1), "D": Ds, "p": Ds}
    bound_t = grammar.to_sympy(grammar.parse(bound["expr"], theorems.DIAGONAL_SYMBOLS, theorems.LINK), names,
                               {"h": phi})
    if bound["norm"] == "l1":
        value = sympy.limit(err / bound_t, t, t_lim, direction)
        final = {"claim": "error / bound -> value along the curve", "method": "limit",
                 "lhs": str(err / bound_t), "rhs": str(value)}
    else:
        value = sympy.sqrt(sympy.limit(err_sq / bound_t ** 2, t, t_lim, direction))
        final = {"claim": "(error / bound)^2 -> value^2 along the curve (l2: limit of the square)",
                 "method": "limit", "lhs": str(err_sq / bound_t ** 2), "rhs": str(value ** 2)}
    value = sympy.nsimplify(sympy.simplify(value))
    if theorem in ("MS-D2", "MS-D3") and len(a) >= 2 and all(aj == a[1] for aj in a[1:]) and a[0] == 1 and yy == 1:
        _cross_check_examples(D, len(a) - 1, a[1], value)
    steps = [
        {"claim": "alpha(t) solves the dual equation alpha sum_j a_j phi_D(a_j t) = y", "method": "identity",
         "lhs": str(sympy.Mul(alpha_t, sum(aj * phi(aj * t) for aj in a), evaluate=False)), "rhs": str(yy)},
        {"claim": "alpha(t) -> 0 at the end of the dual curve", "method": "limit", "lhs": str(alpha_t), "rhs": "0"},
        final,
    ]
    return {"statement": f"As alpha -> 0 the ratio ||x_inf - x*||_{bound['norm'][1:]} / ({bound['expr']}) tends to "
                         f"{value}: parameterize the GF limit by t along A^T nu = t A (t -> {t_lim}), where "
                         "alpha(t) = y / sum_j a_j phi_D(a_j t) decreases strictly to 0.",
            "bound": 0, "t_limit": str(t_lim), "alpha_of_t": str(alpha_t), "error_of_t": str(err),
            "value": str(value), "steps": steps}


def _cross_check_examples(D, n_copies, r, value) -> None:
    """The same limit from theory.examples (an independent SymPy derivation by factorization)."""
    from implicitreg.theory import examples

    proof = examples.prove_ratio_limit(examples.row_family(D, n_copies))
    if not proof.proved:
        raise CertificateError("theory.examples could not prove the family's limit")
    expected = proof.family.expected_limit.subs(examples.r, r)
    # The certificate's bound already carries the expected constant, so the ratio must tend to 1.
    if sympy.simplify(value - 1) != 0 or expected == 0:
        raise CertificateError(f"the ratio limit {value} disagrees with theory.examples ({expected} / constant = 1)")


# --- deep linear networks -------------------------------------------------------------------------------

def _rational_root(q: Fraction, k: int) -> Fraction | None:
    """The exact k-th root of a positive rational, or None."""
    def iroot(n):
        x = round(n ** (1.0 / k)) if n < 2 ** 1000 else int(mpmath.floor(mpmath.root(n, k)))
        for c in (x - 1, x, x + 1):
            if c >= 0 and c ** k == n:
                return c
        return None

    num, den = iroot(q.numerator), iroot(q.denominator)
    return None if num is None or den is None else Fraction(num, den)


def deep_linear_certificate(X, y, L: int, *, form: str = "auto") -> dict:
    """A sealed MC-LB certificate on regression data (X, y) at depth L.

    ``form="exact"``: the balanced rank-one minimizer written with exact entries, which needs ||w*||^(1/L) rational
    (constructed instances); with w* an eigenvector of Sigma and L mu >= lambda_max(Sigma) (the equality family of
    docs/theory/deep_linear.md §4) it proves S = S_LB exactly. ``form="enclosure"``: the same minimizer on ordinary
    data, where ||w*||^(1/L) is irrational: rigorous balls (python-flint arb) for ||w*||, c = ||w*||^(1/L), the
    factor entries, S, S_LB and S - S_LB; the lower bound is decided on them (lo(S) - hi(S_LB) > 0) or, when
    lambda_max = L a exactly, equality is proved. ``form="auto"``: exact when possible, else enclosures.
    """
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.numerics.exact import solve_square, transpose
    from implicitreg.proofs.checker import lp
    from implicitreg.theory.sharpness import MC_LB

    if isinstance(L, bool) or not isinstance(L, int) or not 2 <= L <= schema.MAX_L:
        raise InvalidParameterError(f"depth L must be an integer in [2, {schema.MAX_L}], got {L!r}")
    if form not in ("auto", "exact", "enclosure"):
        raise InvalidParameterError(f"form must be 'auto', 'exact' or 'enclosure', got {form!r}")
    data = RegressionData.from_lists(X, y)
    Xq, yq = [list(r) for r in data.X], list(data.y)
    n, d = len(Xq), len(Xq[0])
    if n > schema.MAX_ROWS or d > schema.MAX_D:
        raise InvalidParameterError(f"a certificate states X of at most {schema.MAX_ROWS} x {schema.MAX_D}, "
                                    f"got {n} x {d}")
    G = lp.matmul(transpose(Xq), Xq)
    if lp.rank(G) != d:
        raise HypothesisNotMetError("Sigma = X^T X / n is singular: the certificate needs a unique w*")
    w = solve_square(G, lp.rmatvec(Xq, yq))
    wn2 = sum((c * c for c in w), Fraction(0))
    if wn2 == 0:
        raise HypothesisNotMetError("w* = 0: MC-LB is about nonzero minimizers")
    bound = MC_LB.bound("S_LB")
    expr = theorems.MC_LB[2]
    table = grammar.to_sympy(grammar.parse(expr, theorems.DEEP_SYMBOLS), {str(x): x for x in bound.expr.free_symbols})
    if (bound.name, bound.side) != theorems.MC_LB[:2] or sympy.simplify(bound.expr - table) != 0:
        raise CertificateError(f"MC-LB: the theory's bound {bound.expr} differs from the checker's table {expr}")
    wn = _rational_root(wn2, 2)
    c = _rational_root(wn, L) if wn else None
    if c is None and form == "exact":
        raise HypothesisNotMetError("||w*||^(1/L) is irrational: pick data with an exact balanced minimizer, or use "
                                    "the enclosure form")
    Sigma = [[v / n for v in row] for row in G]
    a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
    head = {
        "format": FORMAT, "kind": "deep-linear",
        "instance": {"X": [_exact_list(r) for r in Xq], "y": _exact_list(yq)},
        "L": L, "loss": schema.LOSS, "w_star": _exact_list(w),
    }
    if c is None or form == "enclosure":
        cert = _balanced_enclosure(head, data, Sigma, w, wn2, a_ray, L, bound, expr, MC_LB)
    else:
        cert = _exact_minimizer(head, data, Sigma, w, wn2, wn, c, a_ray, L, bound, expr, MC_LB)
    cert = seal(cert)
    try:
        checker.check_certificate(cert, time_limit=None)  # our own output: no deadline needed
    except CheckFailure as exc:
        raise CertificateError(f"the produced certificate does not verify: {exc}") from None
    return cert


def _exact_minimizer(head, data, Sigma, w, wn2, wn, c, a_ray, L, bound, expr, MC_LB) -> dict:
    """The exact form: the balanced rank-one minimizer (hidden width d, along e_1) with rational entries."""
    from implicitreg.numerics.deep_linear import DeepLinearNetwork, sharpness_exact
    from implicitreg.proofs.checker import lp

    n, d = len(data.X), len(w)
    what = [v / wn for v in w]
    e1 = [Fraction(int(i == 0)) for i in range(d)]
    Ws = [[[c * e1[i] * what[j] for j in range(d)] for i in range(d)]]
    Ws += [[[c * e1[i] * e1[j] for j in range(d)] for i in range(d)] for _ in range(L - 2)]
    Ws.append([[c * e1[j] for j in range(d)]])
    slb = 2 * L * a_ray * c ** (2 * L - 2)
    with mpmath.workdps(50):
        net = DeepLinearNetwork(tuple(_np_mp(W) for W in Ws))
        S_num = sharpness_exact(net, data, dps=50).value  # full-Hessian eigenvalue: an independent path
    dps = 50
    with precision(dps):
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": iv.sqrt(point(wn2)), "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB_iv = evaluate(expr, env, "bound.expr")
        poly = lp.charpoly(lp.matmul(_metric(Ws, d), Sigma))  # exact; S/2 = its largest root
        top = max(abs(q) for q in poly)
        ra, rb = lp.largest_root_interval(poly, top * Fraction(1, 10 ** 40))
        S_iv = iv.mpf([lo(point(2 * ra)), hi(point(2 * rb))])
        if abs(mpmath.mpf(S_num) - mpmath.mpf(S_iv.mid)) > mpmath.mpf(10) ** -30 * abs(mpmath.mpf(S_iv.mid)):
            raise CertificateError(f"full-Hessian sharpness {S_num} disagrees with 2 lambda_max(M Sigma)")
        ratio = S_iv / SLB_iv
        equal = lp.polyval(poly, slb / 2) == 0 and lp.count_roots_above(poly, slb / 2) == 0
        claim = ("This explicit global minimizer has sharpness S with S / S_LB in the stated interval (and S = S_LB "
                 "exactly): the MC-LB lower bound is attained." if equal else
                 "This explicit global minimizer has sharpness S with S / S_LB in the stated interval, which lies "
                 "above 1: the MC-LB lower bound holds here.")
        cert = dict(head, **{
            "theorem": {"name": "MC-LB", "title": MC_LB.title, "claim": claim,
                        "provenance": MC_LB.provenance.to_json()},
            "minimizer": [[_exact_list(r) for r in W] for W in Ws],
            "sharpness": ball_from_interval(S_iv, 40),
            "bound": {"name": bound.name, "side": bound.side, "expr": expr, "value": ball_from_interval(SLB_iv, 40),
                      "provenance": bound.provenance.to_json()},
            "ratio": _ratio_claim(ratio),
            "equality": {"S_LB": fraction_str(slb),
                         "family": "w* eigenvector of Sigma with L mu >= lambda_max(Sigma) (deep_linear.md §3)",
                         "provenance": _provenance("derived", "deep_linear.md §3 equality case of S_min = S_LB",
                                                   proof="proofs/derivations/sharpness.py")},
            "tool": _tool(dps),
        })
    if not equal:
        del cert["equality"]
    return cert


#: working precisions tried, in order, until the enclosures decide the verdict (the checker's limit is MAX_DPS)
ENCLOSURE_DPS = (50, 100, 200, 400)


def _dyadic(man, exp) -> Fraction:
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def _arb_ends(x) -> tuple[Fraction, Fraction]:
    """The exact ends of an arb ball (its midpoint and radius are dyadic rationals)."""
    if not x.is_finite():
        raise CertificateError("an enclosure is not finite")
    mid, rad = _dyadic(*x.mid().man_exp()), _dyadic(*x.rad().man_exp())
    return mid - rad, mid + rad


def _arb_interval(a: Fraction, b: Fraction):
    import flint

    return flint.arb(flint.fmpq(a.numerator, a.denominator)).union(flint.arb(flint.fmpq(b.numerator, b.denominator)))


def _slack_ball(ends, digits: int, scale: Fraction | None = None) -> dict:
    """A decimal ball containing [a, b] with extra radius 10^-digits |scale| (scale: the midpoint unless given), so
    the checker's own enclosure, computed with mpmath.iv at the same precision, lies inside with room."""
    a, b = ends
    centre = (a + b) / 2
    mid_text = decimal_text(centre, digits, "nearest") if centre != 0 else "0"
    mid = Fraction(Decimal(mid_text))
    rad = max(b - mid, mid - a) + abs(mid if scale is None else scale) / 10 ** digits
    return {"mid": mid_text, "rad": decimal_text(rad, 2, "up") if rad > 0 else "0"}


def _balanced_enclosure(head, data, Sigma, w, wn2, a_ray, L, bound, expr, MC_LB) -> dict:
    """The enclosure form on ordinary data: W_1 = c w*^T/||w*||, W_k = c (width 1), c = ||w*||^(1/L) irrational.

    Balls from python-flint arb (independent of the checker's mpmath.iv): ||w*||, c, the factor entries,
    S = 2 ||w*||^(2-2/L) lambda_max(B) with B = (I + (L-1) w* w*^T/||w*||^2) Sigma (MC-BAL, docs/theory/deep_linear.md
    §4; lambda_max isolated exactly by Sturm), S_LB = 2 L a ||w*||^(2-2/L) and S - S_LB. The precision is raised
    until lo(S) - hi(S_LB) > 0 decides the lower bound; when lambda_max(B) = L a exactly, equality is proved instead.
    The full-Hessian eigenvalue of the same minimizer (numerics.deep_linear) must agree: an independent path."""
    import flint
    import numpy as np

    from implicitreg.numerics.deep_linear import DeepLinearNetwork, sharpness_closed_form, sharpness_exact
    from implicitreg.numerics.precision import flint_precision
    from implicitreg.proofs.checker import lp

    n, d = len(data.X), len(w)
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    B = lp.matmul([[ident[i][j] + (L - 1) * w[i] * w[j] / wn2 for j in range(d)] for i in range(d)], Sigma)
    poly = lp.charpoly(B)
    lam = L * a_ray
    equal = lp.polyval(poly, lam) == 0 and lp.count_roots_above(poly, lam) == 0
    trace = sum((B[i][i] for i in range(d)), Fraction(0))
    for dps in ENCLOSURE_DPS:
        digits = dps - 10
        ra, rb = lp.largest_root_interval(poly, trace / d / 10 ** (dps + 5))
        with flint_precision(dps + 20):
            x = flint.arb(flint.fmpq(wn2.numerator, wn2.denominator))
            s, c = x.sqrt(), x.root(2 * L)
            t_pow = x.log() * flint.fmpq(L - 1, L)
            t_pow = t_pow.exp()  # ||w*||^(2-2/L)
            S = 2 * t_pow * _arb_interval(ra, rb)
            SLB = 2 * L * flint.arb(flint.fmpq(a_ray.numerator, a_ray.denominator)) * t_pow
            margin = S - SLB
            factors = [[[_arb_ends(c * flint.fmpq(q.numerator, q.denominator) / s) for q in w]]]
            factors += [[[_arb_ends(c)]] for _ in range(L - 1)]
            S_ends, SLB_ends, m_ends = _arb_ends(S), _arb_ends(SLB), _arb_ends(margin)
            r_lo, r_hi = _arb_ends(S / SLB)
        if S_ends[0] - SLB_ends[1] > 0 or equal:
            break
        if S_ends[1] - SLB_ends[0] < 0:  # would refute MC-LB: report it, never write it as a certificate
            raise CertificateError(f"S < S_LB on this instance (a counterexample to MC-LB?): S in "
                                   f"[{float(S_ends[0]):.17g}, {float(S_ends[1]):.17g}]")
    else:
        raise CertificateError(f"the enclosures of S and S_LB still overlap at {ENCLOSURE_DPS[-1]} digits: the lower "
                               "bound cannot be decided (and lambda_max(B) = L a is not exact)")
    # an independent path: the full Hessian of the same minimizer (rounded entries) at 40 digits
    with mpmath.workdps(40):
        cm = mpmath.root(mpf_from(wn2), 2 * L)
        sm = mpmath.sqrt(mpf_from(wn2))
        Ws = [np.array([[cm * mpf_from(q) / sm for q in w]], dtype=object)]
        Ws += [np.array([[cm]], dtype=object) for _ in range(L - 1)]
        net = DeepLinearNetwork(tuple(Ws))
        S_num = (sharpness_exact(net, data, dps=40) if d + L <= 40 else sharpness_closed_form(net, data)).value
        S_mid = mpf_from((S_ends[0] + S_ends[1]) / 2)
        if abs(S_num - S_mid) > mpmath.mpf(10) ** -25 * abs(S_mid):
            raise CertificateError(f"full-Hessian sharpness {S_num} disagrees with 2 ||w*||^(2-2/L) lambda_max(B)")
    cert = dict(head, **{
        "theorem": {"name": "MC-LB", "title": MC_LB.title,
                    "claim": "The balanced rank-one global minimizer (irrational entries, enclosed in the stated "
                             "balls) has sharpness S in the stated ball and S / S_LB in the stated interval; "
                             + ("S = S_LB exactly: the MC-LB lower bound is attained." if equal else
                                "lo(S) - hi(S_LB) > 0: the MC-LB lower bound holds here."),
                    "provenance": MC_LB.provenance.to_json()},
        "balanced_minimizer": {
            "form": schema.BALANCED_FORM,
            "w_norm": _slack_ball(_arb_ends(s), digits), "root": _slack_ball(_arb_ends(c), digits),
            "factors": [[[_slack_ball(e, digits) for e in row] for row in W] for W in factors]},
        "sharpness": _slack_ball(S_ends, digits),
        "bound": {"name": bound.name, "side": bound.side, "expr": expr, "value": _slack_ball(SLB_ends, digits),
                  "provenance": bound.provenance.to_json()},
        "margin": _slack_ball(m_ends, digits, scale=S_ends[1]),
        "ratio": {"lo": decimal_text(r_lo, RATIO_DIGITS, "down"), "hi": decimal_text(r_hi, RATIO_DIGITS, "up")},
        "tool": _tool(dps),
    })
    if equal:
        cert["equality"] = {"lambda_max": fraction_str(lam), "family": "lambda_max(B) = L a exactly: w* an eigenvector of Sigma with L mu >= "
                                                         "lambda_max(Sigma)",
                            "provenance": _provenance("derived", "docs/theory/deep_linear.md §4 (MC-MIN): S_bal = "
                                                      "S_LB iff w* is an eigenvector of Sigma with L mu >= "
                                                      "lambda_max(Sigma)", proof="proofs/derivations/sharpness.py")}
    return cert


def _np_mp(W):
    import numpy as np

    return np.array([[mpf_from(v) for v in row] for row in W], dtype=object)


def _metric(Ws, d):
    """M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1}, exactly (deep_linear.md §1)."""
    from implicitreg.proofs.checker import lp

    L = len(Ws)
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    M = [[Fraction(0)] * d for _ in range(d)]
    for k in range(L):
        u = [[Fraction(1)]]
        for j in range(L - 1, k, -1):
            u = lp.matmul(u, Ws[j])
        V = ident
        for j in range(k):
            V = lp.matmul(Ws[j], V)
        un = sum((q * q for q in u[0]), Fraction(0))
        VtV = lp.matmul(lp.transpose(V), V)
        M = [[M[i][j] + un * VtV[i][j] for j in range(d)] for i in range(d)]
    return M


# --- the certificates behind `implicitreg verify --certify DIR` -------------------------------------------

def tightness_certificates() -> list[tuple[str, dict]]:
    """Every tightness certificate: MS-D2, MS-D3 (D = 3 and D = 5/2), the WAH kink family (p = 2, 3, 4), MC-LB."""
    fam = Instance.from_lists([[1, "1/2"]], [1], name="row_1_half")
    kink = Instance.from_lists([[1, "9/10"]], [1], name="kink_eps_1_10")
    out = [
        ("ms_d2_row_r1_2", diagonal_certificate(fam, 2, ["1/1000", "1/1000000", "1e-12"], theorem="MS-D2")),
        ("ms_d3_row_r1_2_D3", diagonal_certificate(fam, 3, ["1/1000", "1/1000000"], theorem="MS-D3")),
        ("ms_d3_row_r1_2_D5_2", diagonal_certificate(fam, Fraction(5, 2), ["1/1000", "1/1000000"],
                                                      theorem="MS-D3")),
        ("kink_eps_1_10_p2", diagonal_certificate(kink, 2, ["1/100", "1/1000000"], theorem="kink")),
        ("kink_eps_1_10_p3", diagonal_certificate(kink, 3, ["1/100", "1/1000"], theorem="kink")),
        ("kink_eps_1_10_p4", diagonal_certificate(kink, 4, ["1/100", "1/1000"], theorem="kink")),
        ("mc_lb_equality_L3", deep_linear_certificate(MC_LB_X, MC_LB_Y, 3)),
    ]
    return out


#: An equality-family instance (deep_linear.md §3): Sigma = Q diag(2, 1/2) Q^T, w* = 8 (3/5, 4/5) = 8 q_1.
MC_LB_X = [["6/5", "8/5"], ["-4/5", "3/5"]]
MC_LB_Y = [16, 0]


#: wah.md §7 "random" (m = 3, N = 5, unique x*, rho = 0.25514): not a tightness family, but a certificate that the
#: MS-D3 upper and lower bounds hold there exercises the multi-dimensional Krawczyk test and negative values.
RANDOM_A = [["-0.111", "0.120", "-0.370", "-0.240", "-1.197"], ["0.209", "-0.972", "-0.755", "0.324", "-0.109"],
            ["0.210", "-0.391", "0.235", "0.665", "0.353"]]
RANDOM_Y = ["0.973", "-0.039", "-0.886"]


#: ordinary regression data (not a constructed family): ||w*||^(1/3) is irrational and w* is not an eigenvector of
#: Sigma, so MC-LB is certified in the enclosure form with lo(S) - hi(S_LB) > 0
ORDINARY_X = [[1, 2], [3, -1], [0, 2]]
ORDINARY_Y = [1, 2, 3]


def reference_certificates() -> list[tuple[str, dict]]:
    """What ``proofs/reference_certificates/`` holds: the tightness certificates plus the m = 3 instance and MC-LB on
    ordinary data (enclosure form)."""
    rand = Instance.from_lists(RANDOM_A, RANDOM_Y, name="wah_random")
    return tightness_certificates() + [
        ("ms_d3_wah_random_D3", diagonal_certificate(rand, 3, ["1/1000000"], theorem="MS-D3")),
        ("mc_lb_ordinary_L3", deep_linear_certificate(ORDINARY_X, ORDINARY_Y, 3))]


def write_all(directory, certificates=None) -> list[Path]:
    """Write every tightness certificate (or the given (stem, certificate) pairs) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, cert in (tightness_certificates() if certificates is None else certificates):
        path = directory / f"{stem}.json"
        path.write_text(dumps(cert), encoding="utf-8")
        paths.append(path)
    return paths
