"""Refutation certificates: "on this exact instance, at this alpha, the conjectured bound is violated".

Standard library and mpmath only; imports nothing of implicitreg outside this checker. Written by
``implicitreg falsify`` (``proofs/falsify/``); format ``kind: "refutation"`` (docs/certificates.md):

* ``instance`` (A, y exact), ``depth`` D >= 2, ``alpha_convention`` (product: u(0)^D = alpha; factor: u(0) = alpha),
  ``alpha`` > 0 exact;
* ``basis_pursuit``: x*, ||x*||_1 and a dual lambda (exact zero-gap LP certificate: x* is l1-optimal);
  ``rho``: support, signs, rho and its primal lambda / kernel vector v (x* is the *unique* minimizer, rho exact);
* ``nu``: a box (balls) for the dual variable; the Krawczyk test proves it holds the unique solution of
  alpha_prod A phi_D(A^T nu) = y, so x_inf = alpha_prod phi_D(A^T nu) is enclosed rigorously;
  ``x_inf``: balls that must contain the enclosures recomputed here;
* ``conjecture``: ``lhs`` (an error or another quantity below), ``side`` (upper: lhs <= bound is conjectured;
  lower: lhs >= bound) and ``expr`` (text of the grammar of ``grammar.py`` over the quantities below);
* ``lhs_value``, ``bound_value``: balls containing the recomputed enclosures; ``margin.ratio_lo``: an exact number
  r > 1; proved in interval arithmetic: lhs - bound > 0 and lhs - r bound > 0 (upper), bound - lhs > 0 and
  bound - r lhs > 0 (lower); for a positive right-hand side that is lhs / bound >= r (bound / lhs >= r).

Every quantity the expression may name is recomputed here from the certified data (:data:`QUANTITIES`); the
certificate cannot supply its own values.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
from mpmath import iv

from . import grammar, lp
from .interval import (GUARD_DIGITS, CheckFailure, exact, exact_matrix, exact_vector, hi, iv_exp, iv_log, iv_sqrt,
                       lo, point, precision, read_ball, require_inside)
from .krawczyk import dual_potential, dual_potential_inverse, krawczyk, link

FORMAT = "implicitreg-certificate/1"
FIELDS = ("format", "kind", "theorem", "tool", "sha256", "instance", "depth", "alpha_convention", "alpha",
          "basis_pursuit", "rho", "nu", "x_inf", "conjecture", "lhs_value", "bound_value", "margin")
SIDES = ("upper", "lower")
MAX_SIZE = 64
MAX_EXPR = 2000

#: what a refutation may name, each recomputed from certified data (definitions: theory/quantities.py)
QUANTITIES = {
    "alpha": "the scale in the certificate's convention", "alpha_product": "u(0)^D", "alpha_factor": "u(0)",
    "D": "depth", "p": "depth (WAH notation)", "m": "rows of A", "N": "columns of A", "s": "|supp x*|",
    "n": "N - s", "rho": "exact LP value", "K2": "||A_S^+ A_{S^c}||_{1->1}", "K1star": "max_S |log|x*_i||",
    "m_star": "min_S |x*_i|", "M": "||x*||_1", "x_star_l1": "||x*||_1", "kappa_lb": "(1 - rho)/(1 + K2)",
    "K1": "||w_S - sigma log(1/alpha_product)||_inf", "Kbar1": "K1star + log 2 + 4 alpha_product^2/m_star^2",
    "eps": "||w_S - sigma||_inf", "rho_a": "rho + K2 eps", "rho_minus": "max(rho - K2 eps, 0)",
    "M0": "H_D^-1(n H_D(rho_a)) (D > 2, rho_a < 1)", "err_l1": "||x_inf - x*||_1", "err_l2": "||x_inf - x*||_2",
    "err_inf": "||x_inf - x*||_inf", "X1": "||x_inf||_1", "x_inf_l1": "||x_inf||_1", "gap": "||x_inf||_1 - ||x*||_1",
}


def _schema():
    """The shape of a refutation certificate (checked before anything else, like the other kinds)."""
    from .schema import (MAX_DPS, MAX_M, MAX_N, array, ball, hexdigest, integer, number, obj, one_of, provenance,
                         text)

    vector_n = array(number, 1, MAX_N)
    return obj({
        "format": one_of(FORMAT), "kind": one_of("refutation"), "sha256": hexdigest,
        "theorem": obj({"name": text(MAX_EXPR + 100), "title": text(300), "claim": text(MAX_EXPR + 400),
                        "provenance": provenance}),
        "tool": obj({"name": one_of("implicitreg"), "version": text(40), "checker_dps": integer(15, MAX_DPS)}),
        "instance": obj({"A": array(array(number, 1, MAX_N), 1, MAX_M), "y": array(number, 1, MAX_M)}),
        "depth": number, "alpha_convention": one_of("product", "factor"), "alpha": number,
        "basis_pursuit": obj({"x_star": vector_n, "value": number, "lambda": array(number, 1, MAX_M)}),
        "rho": obj({"support": array(integer(0, MAX_N - 1), 1, MAX_N), "signs": array(one_of(1, -1), 1, MAX_N),
                    "value": number, "lambda": array(number, 1, MAX_M), "v": vector_n}),
        "nu": array(ball, 1, MAX_M), "x_inf": array(ball, 1, MAX_N),
        "conjecture": obj({"lhs": one_of(*QUANTITIES), "side": one_of(*SIDES), "expr": text(MAX_EXPR)}),
        "lhs_value": ball, "bound_value": ball,
        "margin": obj({"ratio_lo": number, "meaning": text(200)}),
    })


def SCHEMA(cert, field: str) -> None:  # noqa: N802 - used like the schema objects of schema.py
    _schema()(cert, field)


def _get(obj, key, where):
    if not isinstance(obj, dict):
        raise CheckFailure(where or "(top level)", "expected a JSON object")
    if key not in obj:
        raise CheckFailure(f"{where}.{key}" if where else key, "missing field")
    return obj[key]


def _sup(vals):
    mags = [abs(v) for v in vals]
    return iv.mpf([max(lo(v) for v in mags), max(hi(v) for v in mags)])


def environment(cert: dict) -> dict:
    """Every quantity of :data:`QUANTITIES` as an interval, recomputed from the certificate's exact data and the
    Krawczyk-proved dual box (plus ``_x_inf``, the enclosures of x_inf). Checks the LP certificates and the box."""
    inst = _get(cert, "instance", "")
    A = exact_matrix(_get(inst, "A", "instance"), "instance.A")
    y = exact_vector(_get(inst, "y", "instance"), "instance.y", len(A))
    m, N = len(A), len(A[0])
    if m > MAX_SIZE or N > MAX_SIZE:
        raise CheckFailure("instance.A", f"larger than {MAX_SIZE} x {MAX_SIZE}")
    D = exact(_get(cert, "depth", ""), "depth")
    if not 2 <= D <= 64 or D.denominator > 64:  # bounded work: alpha^D is computed exactly (diagonal.py's range)
        raise CheckFailure("depth", f"depth must be a rational in [2, 64] with denominator <= 64, got {D}")
    convention = _get(cert, "alpha_convention", "")
    if convention not in ("product", "factor"):
        raise CheckFailure("alpha_convention", "must be 'product' or 'factor'")
    alpha = exact(_get(cert, "alpha", ""), "alpha")
    if not Fraction(1, 10 ** 300) <= alpha <= 10 ** 6:
        raise CheckFailure("alpha", "alpha must lie in [1e-300, 1e6]")
    bp = _get(cert, "basis_pursuit", "")
    xs = exact_vector(_get(bp, "x_star", "basis_pursuit"), "basis_pursuit.x_star", N)
    lp.check_l1_optimal(A, y, xs, exact(_get(bp, "value", "basis_pursuit"), "basis_pursuit.value"),
                        exact_vector(_get(bp, "lambda", "basis_pursuit"), "basis_pursuit.lambda"), "basis_pursuit")
    rc = _get(cert, "rho", "")
    support, signs = _get(rc, "support", "rho"), _get(rc, "signs", "rho")
    if not (isinstance(support, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in support)):
        raise CheckFailure("rho.support", "expected a list of integer indices")
    if not (isinstance(signs, list) and all(s in (1, -1) and not isinstance(s, bool) for s in signs)):
        raise CheckFailure("rho.signs", "expected a list of +1/-1")
    rho = exact(_get(rc, "value", "rho"), "rho.value")
    lp.check_rho(A, xs, support, signs, rho, exact_vector(_get(rc, "lambda", "rho"), "rho.lambda"),
                 exact_vector(_get(rc, "v", "rho"), "rho.v"), "rho")
    if not support:
        raise CheckFailure("rho.support", "x* = 0: the error quantities are not defined relative to a nonzero x*")

    S = list(support)
    Sc = [j for j in range(N) if j not in S]
    env = {"alpha": point(alpha), "D": point(D), "p": point(D), "m": iv.mpf(m), "N": iv.mpf(N),
           "s": iv.mpf(len(S)), "n": iv.mpf(len(Sc)), "rho": point(rho)}
    AS = [[row[j] for j in S] for row in A]
    G = lp.matmul(lp.transpose(AS), AS)
    k2 = Fraction(0)
    for j in Sc:
        k2 = max(k2, lp.norm1(lp.solve_square(G, lp.rmatvec(AS, [row[j] for row in A]))))
    env["K2"] = point(k2)
    logs = [abs(iv_log(point(abs(xs[i])))) for i in S]
    env["K1star"] = iv.mpf([max(lo(v) for v in logs), max(hi(v) for v in logs)])
    env["m_star"] = point(min(abs(xs[i]) for i in S))
    env["M"] = env["x_star_l1"] = point(lp.norm1(xs))
    env["kappa_lb"] = point((1 - rho) / (1 + k2))

    if convention == "product":
        ap = point(alpha)
        af = iv_exp(iv_log(ap) / point(D))
    else:
        af = point(alpha)
        ap = point(alpha ** D.numerator) if D.denominator == 1 else iv_exp(point(D) * iv_log(af))
    env["alpha_product"], env["alpha_factor"] = ap, af

    nu = _get(cert, "nu", "")
    if not isinstance(nu, list) or len(nu) != m:
        raise CheckFailure("nu", f"expected {m} balls")
    centre, radius = [], []
    for i, ball in enumerate(nu):
        a, b = read_ball(ball, f"nu[{i}]")
        centre.append((a + b) / 2)
        radius.append((b - a) / 2)
    K = krawczyk(A, y, ap, D, centre, radius, "nu")
    phi = link(D)
    w = [sum((point(A[i][j]) * K[i] for i in range(m)), iv.mpf(0)) for j in range(N)]
    try:
        x = [ap * phi(wj) for wj in w]
    except ArithmeticError as exc:
        raise CheckFailure("nu", f"cannot enclose x_inf on the box: {exc}") from None
    diff = [xj - point(sj) for xj, sj in zip(x, xs)]
    env["_x_inf"] = x
    env["err_l1"] = sum((abs(v) for v in diff), iv.mpf(0))
    env["err_l2"] = iv_sqrt(sum((v ** 2 for v in diff), iv.mpf(0)))
    env["err_inf"] = _sup(diff)
    env["X1"] = env["x_inf_l1"] = sum((abs(v) for v in x), iv.mpf(0))
    env["gap"] = env["X1"] - env["M"]
    Lg = -iv_log(ap)
    env["K1"] = _sup([w[i] - sg * Lg for i, sg in zip(S, signs)])
    env["Kbar1"] = env["K1star"] + iv_log(2) + 4 * ap ** 2 / env["m_star"] ** 2
    env["eps"] = _sup([w[i] - sg for i, sg in zip(S, signs)])
    env["rho_a"] = env["rho"] + env["K2"] * env["eps"]
    rm = env["rho"] - env["K2"] * env["eps"]
    env["rho_minus"] = iv.mpf([max(lo(rm), 0), max(hi(rm), 0)])
    if D > 2 and hi(env["rho_a"]) < 1:
        target = env["n"] * dual_potential(D)(env["rho_a"])
        # H_D^{-1}(0) = 0 exactly (rho = K2 = 0); the bisection is for a positive target
        env["M0"] = iv.mpf(0) if hi(target) <= 0 else dual_potential_inverse(D, target)
    return env


def evaluate_bound(text, env: dict):
    """The conjectured bound in interval arithmetic (grammar of ``grammar.py``; only :data:`QUANTITIES`)."""
    if not isinstance(text, str):
        raise CheckFailure("conjecture.expr", "expected an expression string")
    try:
        tree = grammar.parse(text, symbols=set(QUANTITIES))
        return grammar.to_interval(tree, {k: v for k, v in env.items() if k in QUANTITIES})
    except grammar.GrammarError as exc:
        raise CheckFailure("conjecture.expr", str(exc)) from None


def check(cert: dict, out: list[str]) -> None:
    """Verify a refutation certificate (the header and hash are checked by ``check.py``); raise CheckFailure."""
    for key in FIELDS:
        _get(cert, key, "")
    conj = cert["conjecture"]
    lhs, side, expr = _get(conj, "lhs", "conjecture"), _get(conj, "side", "conjecture"), _get(conj, "expr",
                                                                                              "conjecture")
    if lhs not in QUANTITIES:
        raise CheckFailure("conjecture.lhs", f"unknown quantity {lhs!r}")
    if side not in SIDES:
        raise CheckFailure("conjecture.side", f"must be one of {SIDES}")
    dps = _get(_get(cert, "tool", ""), "checker_dps", "tool")
    if isinstance(dps, bool) or not isinstance(dps, int) or not 15 <= dps <= 2000:
        raise CheckFailure("tool.checker_dps", "must be an integer in [15, 2000]")
    with precision(dps + GUARD_DIGITS):
        _check_at_precision(cert, out, lhs, side, expr)


def _check_at_precision(cert, out, lhs, side, expr) -> None:
    env = environment(cert)
    A = cert["instance"]["A"]
    out.append(f"instance: A is {len(A)} x {len(A[0])}, exact; depth D = {cert['depth']}; alpha = {cert['alpha']} "
               f"({cert['alpha_convention']} convention)")
    out.append("x* is the unique l1 minimizer and rho is exact (LP certificates, exact rationals)")
    xb = cert["x_inf"]
    if not isinstance(xb, list) or len(xb) != len(env["_x_inf"]):
        raise CheckFailure("x_inf", f"expected {len(env['_x_inf'])} balls")
    for j, xj in enumerate(env["_x_inf"]):
        require_inside(xj, xb[j], f"x_inf[{j}]", f"x_inf[{j}]")
    out.append("Krawczyk proves a unique dual solution in the nu box; x_inf enclosed in the stated balls")
    lhs_iv = env[lhs]
    require_inside(lhs_iv, cert["lhs_value"], "lhs_value", lhs)
    bound_iv = evaluate_bound(expr, env)
    require_inside(bound_iv, cert["bound_value"], "bound_value", "the bound")
    margin = cert["margin"]
    rlo = exact(_get(margin, "ratio_lo", "margin"), "margin.ratio_lo")
    if not rlo > 1:
        raise CheckFailure("margin.ratio_lo", "a refutation needs ratio_lo > 1")
    big, small = (lhs_iv, bound_iv) if side == "upper" else (bound_iv, lhs_iv)
    if not lo(big - small) > 0:
        raise CheckFailure("bound_value" if side == "upper" else "lhs_value",
                           f"the violation is not proved: {lhs} - bound is not of one sign on the enclosures")
    if not lo(big - point(rlo) * small) > 0:
        raise CheckFailure("margin.ratio_lo", f"the margin is not proved: {'lhs' if side == 'upper' else 'bound'} "
                                              f">= {margin['ratio_lo']} x {'bound' if side == 'upper' else 'lhs'} "
                                              "fails on the enclosures")
    rel = ">" if side == "upper" else "<"
    out.append(f"conjecture {lhs} {'<=' if side == 'upper' else '>='} {expr} is violated: {lhs} in "
               f"[{mpmath.nstr(lo(lhs_iv), 12)}, {mpmath.nstr(hi(lhs_iv), 12)}] {rel} bound in "
               f"[{mpmath.nstr(lo(bound_iv), 12)}, {mpmath.nstr(hi(bound_iv), 12)}], "
               f"{'lhs' if side == 'upper' else 'bound'} >= {margin['ratio_lo']} x {'bound' if side == 'upper' else 'lhs'}")
