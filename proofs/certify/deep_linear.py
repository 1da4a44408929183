"""Deep-linear certificates (MC-LB): the balanced rank-one minimizer in exact form (||w*||^(1/L) rational), or on
ordinary data in the enclosure form (python-flint arb balls), each cross-checked against the full-Hessian sharpness
of :mod:`implicitreg.numerics.deep_linear`."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import mpmath
import sympy
from mpmath import iv

from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.exact import fraction_str
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.checker import check as checker
from implicitreg.proofs.checker import grammar, schema, theorems
from implicitreg.proofs.checker.interval import (CheckFailure, ball_from_interval, decimal_text, evaluate, hi, lo,
                                                 point, precision)

from .common import FORMAT, RATIO_DIGITS, _exact_list, _provenance, _ratio_claim, _tool, seal

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
