"""verify suite: Wind, Antun & Hansen (which l1 minimizer, rates, Lemma B, the kink family).

Every row can fail. Expected values come from SymPy closed forms (``proofs/derivations/selection.py``), the
spec's printed digits (``docs/theory/wah.md``), or a second independent computation (the engine's flow limit
vs our face Newton; the 1-D kink reduction vs the engine). Rates are fitted slopes of log error against
log alpha^p (product scale; WAH's own axis): each is checked within ``SLOPE_TOL`` of the Thm E exponent, and the
same fit must *reject* the exponent shifted by 0.1.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy

from implicitreg.errors import HypothesisNotMetError
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.checks import Verdict, fmt, local_slopes, loglog_slope

SLOPE_TOL = Fraction(2, 100)   # |fitted - predicted| allowed for Thm E slopes
MUTANT_SHIFT = Fraction(1, 10)  # an exponent off by this must be rejected
SETTLED = Fraction(1, 200)      # local slopes of a fit window agree to this (the asymptotic regime)

LINE = {"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]}
PLANE = {"A": [[2, -1, 0, 1], [0, 3, 2, 0]], "y": [0, 6]}
RANDOM = {"A": [["-0.111", "0.120", "-0.370", "-0.240", "-1.197"], ["0.209", "-0.972", "-0.755", "0.324", "-0.109"],
                ["0.210", "-0.391", "0.235", "0.665", "0.353"]], "y": ["0.973", "-0.039", "-0.886"]}
FACE2 = {"A": [[1, 1, 1, 1, "0.3"], [0, 1, 2, 3, 1]], "y": [1, 1]}

#: wah.md §7, the 8-digit values of the 2-dim face instance [derived by the spec authors, ours]
FACE2_SPEC = {
    2: ["0.42135095", "0.27695318", "0.1820408", "0.11965507", "0"],
    4: ["0.43196771", "0.26342378", "0.1772493", "0.12735921", "0"],
    "inf": ["0.44189797", "0.25", "0.17430609", "0.13379594", "0"],
}
#: wah.md §7 random instance
RANDOM_SPEC = {"x": ["0", "0", "-0.27821951", "-0.94919687", "-0.53655099"], "rho": "0.25514",
               "constants": {3: "2.31", 4: "1.43"}}
#: wah.md §6 kink values
KINK_SPEC = {"constant": (4, "0.1", "134.16356"),
             "collapse": (3, {"0.1": "0.624", "1": "0.167", "10": "1.05e-3"}, ("1e-6", "1e-12"))}


def instances():
    from implicitreg.numerics.instance import Instance

    return {name: Instance.from_data(data, name=name)
            for name, data in (("line", LINE), ("plane", PLANE), ("random", RANDOM), ("face2", FACE2))}


def rate_alphas(depth, count: int = 4, start: int | None = None) -> list[str]:
    """Product-scale alphas for a Thm E fit: 10^-E0, 10^-(E0+4), ... with E0 = max(18, 5p/(p-2)) so the
    correction alpha^((p-2)/p) is small (the Theta constant blows up as p -> 2+), or E0 = ``start``."""
    D = Fraction(depth)
    e0 = start if start is not None else (18 if D == 2 else max(18, int(5 * D / (D - 2)) + 1))
    return [f"1e-{e0 + 4 * k}" for k in range(count)]


def predicted_slope(depth, S_complement: int, rho_value) -> tuple[Fraction, object]:
    from implicitreg.theory.selection import p as p_sym, product_exponent, rho as rho_sym, thm_e_bound

    bound = thm_e_bound(depth, S_complement, rho_value)
    expo = product_exponent(bound.expr, p_sym).subs({p_sym: sympy.Rational(depth), rho_sym: sympy.Rational(rho_value)})
    r = sympy.Rational(expo)
    return Fraction(int(r.p), int(r.q)), bound  # not through str(): it refuses parts of more than 4300 digits


def _dominance_start(instance, bp, res) -> int:
    """The decade E0 from which the leading off-support term dominates all others by 1e3 (p = 2).

    Off S, x_j = a 2 sinh(z_j) with z_j = t_j L + w_j (a = alpha^2, L = log(1/a), t_j = (A^T lambda)_j): the
    two branches are e^(w_j) a^(1 - t_j) and -e^(-w_j) a^(1 + t_j). The leading exponent is 1 - rho; every other
    branch (exponent g > 1 - rho, constant C) is negligible once (C / C_lead) a^(g - 1 + rho) < 1e-3. The w_j are
    read from the flow limit's dual variables z at the first window."""
    from implicitreg.numerics.exact import rmatvec

    t = {j: v for j, v in enumerate(rmatvec(instance.A, bp.certificate)) if j not in bp.support}
    lim = res.limits[-1]
    with mpmath.workdps(40):
        L = -mpmath.log(res.alpha_products[-1])
        branches = []  # (exponent, log10 constant)
        for j, tj in t.items():
            tm = mpf_from(tj)
            w = lim.z[j] - tm * L
            branches.append((1 - tm, w / mpmath.log(10)))
            branches.append((1 + tm, -w / mpmath.log(10)))
        lead = 1 - mpf_from(bp.rho)
        lead_c = max((c for g, c in branches if abs(g - lead) < mpmath.mpf(10) ** -20), default=None)
        e0 = 0
        if lead_c is None:
            return e0
        for g, c in branches:
            if g - lead > mpmath.mpf(10) ** -20:
                e0 = max(e0, int(mpmath.ceil((3 + c - lead_c) / (g - lead))))
        return e0


def slope_check(instance, depth, bp=None, alphas=None):
    """(fitted slope, predicted, mutant predicted, errors, alphas, passed, mutant rejected)."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.selection import selection_errors

    bp = bp or l1_minimizer(instance)
    D = Fraction(depth)
    given = alphas is not None
    alphas = alphas or rate_alphas(D)
    # Thm E is asymptotic: the window must lie where the error is small against x_g on S (the constant can be
    # huge, e.g. exp|A^T nu_0| ~ 1e7 off S at p = 2) and where the leading term dominates. At p = 2 off S,
    # x_j ~ c_j (alpha^2)^(1 - tau_j), tau_j = |(A^T lambda)_j|: a subleading coordinate (tau_j < rho) with a
    # larger constant dominates while (c_j/c_lead) (alpha^2)^(rho - tau_j) > 1, which can last 100 decades. So the
    # constants are measured at the first window and the start moved to where every ratio is below 1e-3; then
    # the window moves down (start doubled) until the local slopes agree to SETTLED. The window is chosen from
    # BP data and the measured errors, never by comparing with the predicted slope.
    e0 = int(alphas[0].split("e-")[1])
    res = selection_errors(instance, D, alphas, alpha_convention="product", bp=bp)
    if not given and D == 2 and len(bp.support) < instance.N:
        e0 = max(e0, _dominance_start(instance, bp, res))
        alphas = rate_alphas(D, start=e0)
        res = selection_errors(instance, D, alphas, alpha_convention="product", bp=bp)
    for attempt in range(4):
        if given:
            break
        floor = min(abs(res.selection.x[j]) for j in bp.support) if bp.support else mpmath.mpf(1)
        ls = local_slopes(res.alpha_products, res.errors)
        if res.errors[0] <= floor / 1000 and max(ls) - min(ls) <= mpf_from(SETTLED):
            break
        e0 *= 2
        alphas = rate_alphas(D, start=e0)
        res = selection_errors(instance, D, alphas, alpha_convention="product", bp=bp)
    slope = loglog_slope(res.alpha_products, res.errors)
    pred, _ = predicted_slope(D, instance.N - len(bp.support), bp.rho)
    return slope, pred, res, alphas, slope_fits(slope, pred), shifted_exponent_rejected(slope, pred)


def slope_fits(slope, predicted, tol=SLOPE_TOL) -> bool:
    """Thm E rate: |fitted slope - predicted exponent| <= ``tol`` (the bound included)."""
    return abs(slope - mpf_from(predicted)) <= mpf_from(tol)


def shifted_exponent_rejected(slope, predicted, tol=SLOPE_TOL, shift=MUTANT_SHIFT) -> bool:
    """The same fit rejects the exponent ``predicted + shift`` (exact rational sum): |slope - (pred + shift)| > tol."""
    return abs(slope - mpf_from(Fraction(predicted) + Fraction(shift))) > mpf_from(tol)


def fit_passes(ok, mutant_rejected) -> bool:
    """A Thm E fit passes when it is within the tolerance (``ok``) *and* rejects the shifted exponent."""
    return bool(ok and mutant_rejected)


def rate_row(name, depth, slope, pred, res, alphas, ok, mutant_rejected, note="") -> Verdict:
    """The WAH-E row of one :func:`slope_check`: it passes only when the fit is within SLOPE_TOL of the Thm E
    exponent *and* rejects the exponent shifted by MUTANT_SHIFT."""
    return Verdict("WAH-E", "derived", name, str(depth), f"alpha^p = {alphas[0]}..{alphas[-1]}",
                   fmt(res.errors[-1]), f"Theta((alpha^p)^{pred})", fmt(slope - mpf_from(pred)),
                   fit_passes(ok, mutant_rejected), slope=fmt(slope, 8), slope_predicted=str(pred), note=note)


#: Thm D/E Theta check: err / rate may change by at most this factor (either way) between alpha^p = 1e-24 and 1e-30
THETA_FACTOR = 2


def theta_constant_ok(c_first, c_last, factor=THETA_FACTOR) -> bool:
    """Thm D/E Theta check: err / rate at the smallest alpha within ``factor`` (either way) of err / rate at the
    first alpha."""
    return mpmath.mpf(1) / factor <= c_last / c_first <= factor


KKT_AT_MOST = mpmath.mpf("1e-35")     # Thm A: the KKT residual at the flow limit
KKT_SHIFTED_ABOVE = mpmath.mpf("1e-15")  # ... and at a point moved by 1e-10 along ker A


def kkt_ok(residual, residual_shifted, at_most=KKT_AT_MOST, shifted_above=KKT_SHIFTED_ABOVE) -> bool:
    """Thm A's KKT condition: the residual at the flow limit is tiny and a point moved along ker A is not."""
    return residual <= at_most and residual_shifted > shifted_above


def lemma_b_tight(r99, r90, C) -> bool:
    """C_p is the supremum of r_p: the witness at u = 0.99 exceeds 0.99 C_p without passing C_p, and the one at
    u = 0.9 exceeds 0.9 C_p."""
    return r99 > mpmath.mpf("0.99") * C and r99 <= C and r90 > mpmath.mpf("0.9") * C


def in_unit_interval(lo, hi) -> bool:
    """Every sampled r / (C_p alpha^p) in [0, 1] (Lemma B's two sides)."""
    return lo >= 0 and hi <= 1


def _rel(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) / abs(b) if b else abs(a)


#: WAH-D on line and plane: x_g(p) (45 digits) against the SymPy closed form t(p) (70 digits)
CLOSED_FORM_TOL = mpmath.mpf(10) ** -40
#: WAH-D on face2: the spec prints 8 decimals
FACE2_SPEC_TOL = mpmath.mpf("1e-8")
#: WAH-D mutant functional: its minimizer must be this many times farther from the flow limit than x_g's
MUTANT_FUNCTIONAL_FACTOR = 10 ** 6
#: WAH-E spec constants: random p = 3, 4 (spec prints 3 digits: 2.31, 1.43) and line p = 2 (4 digits: 0.2042)
SPEC_CONSTANT_REL = mpmath.mpf("0.005")
LINE_CONSTANT_REL = mpmath.mpf("0.0005")
#: WAH-E degenerate face: the error vanishes identically; anything above this is not rounding
DEGENERATE_ZERO = 1e-30
#: WAH-E random instance: rho against the spec's 0.25514 (relative) and x* against its 8 printed decimals
RHO_SPEC_REL = mpmath.mpf("2e-5")
X_SPEC_TOL = 1e-8
#: WAH-kink-constant: the spec's 134.16356 (half a unit in its last place); SymPy statement vs the closed form;
#: the 1-D dual and the engine's flow limit vs the closed form (20-digit solves)
KINK_SPEC_TOL = mpmath.mpf("5e-6")
KINK_SYMPY_REL = 1e-25
KINK_PATHS_REL = 1e-12
#: WAH-kink-p2: |err / asymptotic - 1| at alpha^2 = 1e-200 (read at the working precision)
KINK_P2_DEVIATION = "1e-6"
#: WAH-kink-transition: the spec's 3-digit readings (2%) and the collapse profile (3%)
TRANSITION_SPEC_REL = mpmath.mpf("0.02")
TRANSITION_PROFILE_REL = mpmath.mpf("0.03")
#: WAH-kink-transition (error = 1/4): eps_1/4 / eps* at the smallest alpha vs the profile's crossing, and the
#: largest / smallest ratio over the alphas
TRANSITION_TARGET_REL = mpmath.mpf("0.05")
TRANSITION_SPREAD = mpmath.mpf("1.5")
#: WAH-kink-continuity: at eps = 0 the limit is (1/2, 1/2) (45-digit solves); at eps = 1e-40 the error is
#: 1/sqrt(2) to this
CONTINUITY_TOL = mpmath.mpf("1e-40")
SMALL_EPS_TOL = mpmath.mpf("1e-6")


def agree_within(x, reference, tol) -> bool:
    """max_i |x_i - reference_i| <= ``tol`` (absolute, for vectors of known scale; equal lengths required)."""
    return max(abs(a - mpmath.mpf(b)) for a, b in zip(x, reference, strict=True)) <= tol


def agree_relative(value, reference, rel) -> bool:
    """|value - reference| <= ``rel`` |reference| (relative to the reference; absolute only when it is 0)."""
    return _rel(value, reference) <= rel


def mutant_functional_detected(wrong_error, right_error, factor=MUTANT_FUNCTIONAL_FACTOR) -> bool:
    """The wrong functional's minimizer is more than ``factor`` times farther from the flow limit than x_g."""
    return wrong_error > factor * right_error


def vanishes(errors, below=DEGENERATE_ZERO) -> bool:
    """Every error strictly below ``below`` (the degenerate face: the error is identically 0)."""
    return all(e < below for e in errors)


def spec_rho_and_minimizer_match(rho, rho_spec, x, x_spec) -> bool:
    """The random instance: rho within ``RHO_SPEC_REL`` of the spec (relative) and x* within ``X_SPEC_TOL`` of its
    printed decimals in every entry."""
    return bool(agree_relative(rho, rho_spec, RHO_SPEC_REL) and agree_within(x, x_spec, X_SPEC_TOL))


def lemma_b_row_passes(r99, r90, C, failed_steps) -> bool:
    """WAH-LemmaB at one depth: C_p is the supremum (:func:`lemma_b_tight`) and no SymPy proof step failed."""
    return bool(lemma_b_tight(r99, r90, C) and not failed_steps)


def all_in_unit_interval(fractions) -> bool:
    """Lemma B's two sides on samples: the *smallest* r / (C_p alpha^p) >= 0 and the *largest* <= 1."""
    return in_unit_interval(min(fractions), max(fractions))


def objective_bound_holds(ratios) -> bool:
    """WAH-C objective: at least one checked point and every gap / bound <= 1."""
    return bool(ratios) and all(r <= 1 for r in ratios)


def distance_bound_holds(ratios) -> bool:
    """WAH-C distance: every dist_1 / bound <= 1 (no point: nothing claimed, the row holds)."""
    return all(r <= 1 for r in ratios)


def kink_constant_agrees(c, spec, sym, closed, flow) -> bool:
    """WAH-kink-constant: the closed-form constant ``c`` within ``KINK_SPEC_TOL`` of the spec's printed digits, the
    SymPy statement within ``KINK_SYMPY_REL`` of it, the 1-D dual and the flow limit within ``KINK_PATHS_REL``."""
    return bool(abs(c - mpmath.mpf(spec)) <= KINK_SPEC_TOL and _rel(sym, c) <= KINK_SYMPY_REL
                and _rel(closed, c) <= KINK_PATHS_REL and _rel(flow, c) <= KINK_PATHS_REL)


def ratio_approaches_one(ratios, below=KINK_P2_DEVIATION) -> bool:
    """WAH-kink-p2: the last |ratio - 1| is below ``below`` and smaller than the first (ratio -> 1)."""
    last = abs(ratios[-1] - 1)
    return bool(last < mpmath.mpf(below) and last < abs(ratios[0] - 1))


def transition_matches(err, spec, profile) -> bool:
    """WAH-kink-transition: the error within ``TRANSITION_SPEC_REL`` of the spec's reading and within
    ``TRANSITION_PROFILE_REL`` of the collapse profile (both relative)."""
    return bool(_rel(err, spec) <= TRANSITION_SPEC_REL and _rel(err, profile) <= TRANSITION_PROFILE_REL)


def transition_scale_constant(ratios, target) -> bool:
    """WAH-kink-transition (error = 1/4): the ratio at the smallest alpha within ``TRANSITION_TARGET_REL`` of the
    profile's crossing and the largest / smallest ratio <= ``TRANSITION_SPREAD``."""
    return bool(_rel(ratios[-1], target) <= TRANSITION_TARGET_REL and max(ratios) / min(ratios) <= TRANSITION_SPREAD)


def kink_continuous(deviations, small_error, steps_hold) -> bool:
    """WAH-kink-continuity: every |x_j - 1/2| at eps = 0 <= ``CONTINUITY_TOL``, the error at eps = 1e-40 within
    ``SMALL_EPS_TOL`` of 1/sqrt(2), and every SymPy step of the kink derivation holds."""
    return bool(max(deviations) <= CONTINUITY_TOL and abs(small_error - 1 / mpmath.sqrt(2)) <= SMALL_EPS_TOL
                and all(steps_hold))


def slope_deviations_within(deviations, tol=SLOPE_TOL) -> bool:
    """WAH-E planted faces: every |slope - predicted| <= ``tol`` (the bound included)."""
    return all(d <= mpf_from(tol) for d in deviations)


def _selection_rows(insts) -> list[Verdict]:
    from implicitreg.numerics.selection import selected_minimizer
    from implicitreg.proofs.derivations import selection as der

    rows = []
    for name in ("line", "plane"):
        for depth in (2, Fraction(5, 2), 3, 4, "inf"):
            sel = selected_minimizer(insts[name], depth, digits=45)
            t_closed = der.selected_t(sympy.oo if depth == "inf" else sympy.Rational(str(depth)))
            with mpmath.workdps(60):
                tc = mpmath.mpf(str(sympy.N(t_closed, 70)))
                closed = [1 - tc, 2 * (1 - tc), 3 * tc] + [mpmath.mpf(0)] * (insts[name].N - 3)
                err = max(abs(a - b) for a, b in zip(sel.x, closed))
                ok = agree_within(sel.x, closed, CLOSED_FORM_TOL)
            rows.append(Verdict("WAH-D", "paper", name, str(depth), "alpha -> 0", fmt(err), "<= 1e-40", fmt(err / mpmath.mpf(10) ** -40),
                                ok, note="" if depth != 2 or name != "line" else
                                "x_g(p) vs SymPy closed form t(p) derived from G_p on the face, 45 digits"))
    for depth, spec in FACE2_SPEC.items():
        sel = selected_minimizer(insts["face2"], depth, digits=40)
        err = max(abs(a - mpmath.mpf(b)) for a, b in zip(sel.x, spec))
        rows.append(Verdict("WAH-D", "paper", "face2 (2-dim face)", str(depth), "alpha -> 0", fmt(err),
                            "<= 1e-8 (spec 8 digits)", fmt(err / FACE2_SPEC_TOL),
                            agree_within(sel.x, spec, FACE2_SPEC_TOL)))
    # a wrong functional (g_p with exponent 1/p instead of 2/p) must be detected against the flow limit
    from implicitreg.numerics.selection import selection_errors, tie_break

    wrong = selection_errors(insts["line"], 3, ["1e-30"], bp=None, functional=tie_break(3, exponent=Fraction(1, 3)))
    right = selection_errors(insts["line"], 3, ["1e-30"])
    caught = mutant_functional_detected(wrong.errors[0], right.errors[0])
    rows.append(Verdict("WAH-D", "paper", "line", "3", "alpha^p = 1e-30", fmt(wrong.errors[0]),
                        f"flow-to-x_g {fmt(right.errors[0])}", fmt(wrong.errors[0] / right.errors[0]), bool(caught),
                        note="mutant functional g with exponent 1/p: its minimizer is far from the flow limit (detected)"))
    return rows


def _limit_rows(insts) -> list[Verdict]:
    """Thm D at alpha^p = 1e-30 within the Thm E rate, and Thm A's KKT condition."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.exact import nullspace
    from implicitreg.numerics.limit import limit
    from implicitreg.numerics.selection import kkt_residual, selection_errors

    rows = []
    for name in ("line", "plane", "face2"):
        bp = l1_minimizer(insts[name])
        for depth in (2, 3):
            res = selection_errors(insts[name], depth, ["1e-24", "1e-30"], bp=bp)
            pred, bound = predicted_slope(Fraction(depth), insts[name].N - len(bp.support), bp.rho)
            # Theta(rate): err/rate at 1e-30 within a factor 2 of err/rate at 1e-24
            rate = [mpmath.mpf(a) ** (mpf_from(pred)) for a in res.alpha_products]
            c24, c30 = res.errors[0] / rate[0], res.errors[1] / rate[1]
            ok = theta_constant_ok(c24, c30)
            rows.append(Verdict("WAH-D", "paper", name, str(depth), "alpha^p = 1e-24, 1e-30", fmt(res.errors[1]),
                                f"{fmt(c24)} * (alpha^p)^{pred}", fmt(c30 / c24), bool(ok),
                                slope_predicted=str(pred)))
    for depth in (2, 3):
        lim = limit(insts["line"], depth, "1e-6", alpha_convention="product", digits=40)
        with mpmath.workdps(60):
            r = kkt_residual(insts["line"], lim.x, depth, "1e-6")
            d = nullspace([list(row) for row in insts["line"].A])[0]
            off = [x + mpmath.mpf("1e-10") * (mpf_from(v)) for x, v in zip(lim.x, d)]
            r_off = kkt_residual(insts["line"], off, depth, "1e-6")
        ok = kkt_ok(r, r_off)
        rows.append(Verdict("WAH-A2" if depth == 2 else "WAH-A", "standard" if depth == 2 else "derived", "line",
                            str(depth), "alpha^p = 1e-6", fmt(r), "<= 1e-35 (shifted point: > 1e-15)",
                            fmt(r_off), bool(ok), note="" if depth == 2 else
                            "dQ/ds along ker A at the flow limit (numerical derivative of the Legendre-form Q)"))
    return rows


def _rate_rows(insts, thorough: bool) -> list[Verdict]:
    from implicitreg.numerics.basis_pursuit import l1_minimizer

    rows = []
    depths = (2, Fraction(5, 2), 3, 4) if thorough else (2, 3, 4)
    for name in ("line", "plane", "random", "face2"):
        bp = l1_minimizer(insts[name])
        for depth in depths:
            slope, pred, res, alphas, ok, mutant_rejected = slope_check(insts[name], depth, bp=bp)
            rows.append(rate_row(name, depth, slope, pred, res, alphas, ok, mutant_rejected,
                                 note="" if (name, depth) != ("line", 2) else
                                 f"slope tolerance {SLOPE_TOL}; each fit also rejects the exponent + {MUTANT_SHIFT}"))
    # spec constants: random p = 3: 2.31 alpha^p, p = 4: 1.43 alpha^p; line p = 2: 0.2042 (alpha^p)^2; rho
    bp = l1_minimizer(insts["random"])
    from implicitreg.numerics.selection import selection_errors

    for depth, const in RANDOM_SPEC["constants"].items():
        res = selection_errors(insts["random"], depth, ["1e-30"], bp=bp)
        c = res.errors[0] / res.alpha_products[0]
        rows.append(Verdict("WAH-E", "derived", "random", str(depth), "alpha^p = 1e-30", fmt(c), f"spec {const}",
                            fmt(_rel(c, const)), agree_relative(c, const, SPEC_CONSTANT_REL)))
    res = selection_errors(insts["line"], 2, ["1e-30"])
    c = res.errors[0] / res.alpha_products[0] ** 2
    rows.append(Verdict("WAH-E", "derived", "line", "2", "alpha^p = 1e-30", fmt(c), "spec 0.2042",
                        fmt(_rel(c, "0.2042")), agree_relative(c, "0.2042", LINE_CONSTANT_REL)))
    # Thm E is Theta only generically: on a degenerate face (|x_g| constant on S = all) the error is 0
    from implicitreg.numerics.instance import Instance

    degenerate = Instance.from_lists([[2, 2, 2], [0, 0, 1]], [Fraction(3, 2), Fraction(1, 4)], name="degenerate")
    res = selection_errors(degenerate, 3, ["1e-6", "1e-18"])
    rows.append(Verdict("WAH-E", "derived", "degenerate face (|x_g| const)", "3", "alpha^p = 1e-6, 1e-18",
                        fmt(max(res.errors)), "0 (x_oo = x_g for every alpha)", "", vanishes(res.errors),
                        note="Thm E's Theta rate is attained only generically; here the error vanishes identically "
                             "(O, not Theta); see proofs/derivations/selection.py"))
    rows.append(Verdict("WAH-E", "derived", "random", "-", "-", f"rho = {fmt(mpf_from(bp.rho), 8)}",
                        "spec rho 0.25514, x* 8 digits", "",
                        spec_rho_and_minimizer_match(mpf_from(bp.rho), RANDOM_SPEC["rho"], [mpf_from(v) for v in bp.x],
                                                     RANDOM_SPEC["x"])))
    return rows


def _lemma_b_rows(thorough: bool) -> list[Verdict]:
    import random

    from implicitreg.numerics.selection import expansion_remainder
    from implicitreg.proofs.derivations import lemma_b
    from implicitreg.theory import potentials as P

    rows = []
    for depth in (2, Fraction(5, 2), 3, 4, 6):
        steps = lemma_b.steps(depth)
        failed = [s.name for s in steps if not s.holds]
        C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Rational(depth)), 30)))
        u, r = lemma_b.tightness_witness(depth, Fraction(99, 100))
        _, r90 = lemma_b.tightness_witness(depth, Fraction(9, 10))
        # C_p * 1.1 is not the supremum: r_p stays <= C_p
        name = "WAH-LemmaB2" if depth == 2 else "WAH-LemmaB"
        rows.append(Verdict(name, "derived", "-", str(depth), "all alpha", f"sup r_p >= {fmt(r, 10)}",
                            f"C_p = {fmt(C, 10)}", fmt(r / C, 8), lemma_b_row_passes(r, r90, C, failed),
                            note=("" if not failed else f"failed steps {failed}") or
                            ("proof steps (SymPy) hold; 0.99 C_p exceeded, so 0.9 C_p is not a bound; r_p <= C_p"
                             if depth == 2 else ""), alpha_convention="factor"))
    rng = random.Random(20230714)
    count = 400 if thorough else 60
    fracs = {}  # "p=2" / "p>2" -> every sampled r / (C_p alpha^p)
    with mpmath.workdps(80):
        for _ in range(count):
            depth = Fraction(2) if rng.random() < 0.25 else Fraction(rng.randint(41, 120), 20)
            alpha = Fraction(rng.randint(1, 99), 10) * Fraction(10) ** rng.randint(-4, 0)
            ap = mpmath.power(mpf_from(alpha), mpf_from(depth))
            x = ap * mpmath.mpf(10) ** rng.uniform(-6, 25) * rng.choice((1, -1))
            rem = expansion_remainder(depth, x, alpha, alpha_convention="factor")
            C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Rational(depth)), 40)))
            frac = rem / (C * ap)
            fracs.setdefault("p=2" if depth == 2 else "p>2", []).append(frac)
    for key, values in fracs.items():
        lo, hi = min(values), max(values)
        rows.append(Verdict("WAH-LemmaB" + ("2" if key == "p=2" else ""), "derived", f"{count} random (x, alpha, p)",
                            key, "alpha in [1e-5, 9.9]", f"r/(C_p alpha^p) in [{fmt(lo)}, {fmt(hi)}]", "[0, 1]",
                            fmt(hi), all_in_unit_interval(values), alpha_convention="factor"))
    return rows


def _thm_c_rows(thorough: bool) -> list[Verdict]:
    """Thm C's objective bounds on generated instances (fixed seed) and the distance bound via kappa's lower bound."""
    import random

    from implicitreg.numerics.basis_pursuit import l1_minimizer, support_pinv_norm
    from implicitreg.numerics.instance import Instance
    from implicitreg.numerics.limit import limit
    from implicitreg.theory.selection import THM_C

    rng = random.Random(7)
    rows = []
    n_inst = 12 if thorough else 4
    worst = mpmath.mpf(0)
    worst_d = mpmath.mpf(0)
    gap_ratios, dist_ratios = [], []
    for k in range(n_inst):
        m, N = rng.choice(((2, 4), (2, 5), (3, 6)))
        A = [[Fraction(rng.randint(-8, 8), 4) for _ in range(N)] for _ in range(m)]
        x0 = [Fraction(rng.randint(-4, 4), 2) if j < m + 1 else 0 for j in range(N)]
        y = [sum((a * b for a, b in zip(row, x0)), Fraction(0)) for row in A]
        if not any(y):
            continue
        inst = Instance.from_lists(A, y, name=f"gen{k}")
        bp = l1_minimizer(inst)
        M = bp.value
        for depth in (2, 3, Fraction(5, 2)):
            for alpha in ("1e-1", "1e-2"):  # per-factor
                lim = limit(inst, depth, alpha, alpha_convention="factor", digits=25)
                with mpmath.workdps(40):
                    x1 = mpmath.fsum(abs(v) for v in lim.x)
                    gap = x1 - mpf_from(M)
                    name = "objective_2" if depth == 2 else "objective_p"
                    b = THM_C.bound(name).evaluate(40, alpha=Fraction(alpha), p=depth, N=N, X1=x1,
                                                   M=M) if depth != 2 else \
                        THM_C.bound(name).evaluate(40, alpha=Fraction(alpha), N=N, M=M)
                    gap_ratios.append(gap / b)
                    worst = max(worst, gap / b)
                    if bp.unique and bp.support and len(bp.support) < N:
                        try:
                            norm = support_pinv_norm(inst.A, bp.support)
                        except HypothesisNotMetError:  # A_S not injective: the kappa bound does not apply
                            norm = None
                        if norm is not None and bp.rho < 1:
                            kap = THM_C.bound("kappa_lower").evaluate(40, rho=bp.rho, K2=norm)
                            dist = mpmath.fsum(abs(u - mpf_from(v))
                                               for u, v in zip(lim.x, bp.x))
                            bd = THM_C.bound("distance").evaluate(40, gap=max(gap, 0), kappa=kap)
                            dist_ratios.append(dist / bd if bd else mpmath.inf)
                            worst_d = max(worst_d, dist_ratios[-1])
    rows.append(Verdict("WAH-C", "derived", f"{n_inst} generated", "2, 5/2, 3", "alpha = 1e-1, 1e-2 (factor)",
                        f"max gap/bound = {fmt(worst)}", "<= 1", fmt(worst), objective_bound_holds(gap_ratios),
                        alpha_convention="factor"))
    rows.append(Verdict("WAH-C", "derived", f"{n_inst} generated (unique x*)", "2, 5/2, 3", "alpha = 1e-1, 1e-2",
                        f"max dist_1/bound = {fmt(worst_d)}", "<= 1 (kappa >= (1-rho)/(1+||A_S^+A_S^c||))",
                        fmt(worst_d), distance_bound_holds(dist_ratios), alpha_convention="factor"))
    return rows


def _kink_limit(eps, depth, alpha_product, digits: int = 20):
    """(x_inf, ||x_inf - x*||_2) on the kink A = [1, 1 - eps] by the one entry point's closed form (the kink's
    one-dimensional dual equation, certified at two precisions)."""
    from implicitreg.numerics import kink
    from implicitreg.numerics.limit import limit

    lim = limit(kink.kink_instance(eps), depth, alpha_product, method="closed-form", alpha_convention="product",
                digits=digits)
    return lim, kink.kink_error(lim.x, eps)


def _kink_rows(thorough: bool) -> list[Verdict]:
    from implicitreg.numerics import kink
    from implicitreg.numerics.limit import limit
    from implicitreg.proofs.derivations import selection as der
    from implicitreg.theory.selection import KINK_CONSTANT

    rows = []
    depth, e, spec = KINK_SPEC["constant"]
    with mpmath.workdps(40):
        c = kink.limit_constant(e, depth)
    sym = KINK_CONSTANT.bound("constant").evaluate(30, p=depth, epsilon=Fraction(e))
    closed, closed_err = _kink_limit(e, depth, "1e-40")
    flow = limit(kink.kink_instance(e), depth, "1e-40", method="newton", alpha_convention="product", digits=20)
    with mpmath.workdps(30):
        flow_err = mpmath.sqrt((flow.x[0] - 1) ** 2 + flow.x[1] ** 2) / flow.alpha_product
    # the spec prints 8 significant digits: agreement to half a unit in the last printed place
    ok = kink_constant_agrees(c, spec, sym, closed_err / closed.alpha_product, flow_err)
    rows.append(Verdict("WAH-kink-constant", "derived", f"kink eps = {e}", str(depth), "alpha^p = 1e-40",
                        fmt(flow_err, 12), f"{fmt(c, 12)} (spec {spec})", fmt(_rel(flow_err, c)), bool(ok),
                        note="limit constant: closed form = SymPy statement = 1-D dual = engine flow limit, 8+ digits"))
    # p = 2: the error ~ sqrt(1 + (1-eps)^2) (alpha^2)^eps (statement WAH-kink-p2), ratio -> 1
    from implicitreg.theory.selection import KINK_P2

    for e in ("0.3", "0.1"):
        with mpmath.workdps(40):
            ratios = []
            for ap in ("1e-20", "1e-200"):
                err = _kink_limit(e, 2, ap)[1]
                stmt = KINK_P2.bound("asymptotic").evaluate(40, alpha=mpmath.sqrt(mpmath.mpf(ap)), epsilon=Fraction(e))
                ratios.append(err / stmt)
            ok = ratio_approaches_one(ratios)
        rows.append(Verdict("WAH-kink-p2", "derived", f"kink eps = {e}", "2", "alpha^2 = 1e-20, 1e-200",
                            "err / asymptotic = " + ", ".join(fmt(r, 10) for r in ratios), "-> 1",
                            fmt(abs(ratios[-1] - 1)), bool(ok)))
    # data collapse and the transition scale (p = 3)
    depth, values, aps = KINK_SPEC["collapse"]
    for ap in aps:
        for ratio, spec in values.items():
            err = kink.transition_error(depth, ratio, ap, alpha_convention="product")
            prof = kink.collapse_profile(depth, ratio)
            ok = transition_matches(err, spec, prof)
            rows.append(Verdict("WAH-kink-transition", "derived", f"kink eps/eps* = {ratio}", str(depth),
                                f"alpha^p = {ap}", fmt(err), f"spec {spec}; profile {fmt(prof)}", fmt(_rel(err, spec)),
                                bool(ok), note="" if (ap, ratio) != (aps[0], "1") else
                                "spec values are 3-digit readings; tolerance 2% (ours: 0.1676/0.1660 at eps/eps* = 1)"))
    # the measured transition epsilon (error = 1/4) scales like eps*(alpha): ratio constant and -> profile value
    for depth in (2, 3):
        ratios = []
        aps = ("1e-12", "1e-24", "1e-36") if depth == 3 else ("1e-40", "1e-80", "1e-160")
        for ap in aps:
            et = kink.transition_epsilon(depth, ap, "0.25", alpha_convention="product", dps=25)
            ratios.append(et / kink.transition_scale(depth, ap, alpha_convention="product"))
        # the profile's own crossing: solve profile(r) = 1/4
        target = mpmath.findroot(lambda r: kink.collapse_profile(depth, r) - mpmath.mpf("0.25"), 1)
        spread = max(ratios) / min(ratios)
        ok = transition_scale_constant(ratios, target)
        rows.append(Verdict("WAH-kink-transition", "derived", "kink, error = 1/4", str(depth),
                            f"alpha^p = {aps[0]}..{aps[-1]}", "eps_1/4 / eps* = " + ", ".join(fmt(r, 4) for r in ratios),
                            f"profile {fmt(target, 4)}", fmt(spread, 4), bool(ok)))
    # continuity at eps = 0
    deviations = [mpmath.mpf(0)]
    for depth in (2, 3, 4):
        for ap in ("1e-3", "1e-30"):
            r0, _ = _kink_limit(0, depth, ap, digits=45)
            deviations += [abs(v - mpmath.mpf("0.5")) for v in r0.x]
    worst = max(deviations)
    small = _kink_limit(Fraction(1, 10 ** 40), 3, "1e-30")[1]
    ok = kink_continuous(deviations, small, [s.holds for s in der.kink_steps()])
    rows.append(Verdict("WAH-kink-continuity", "derived", "kink eps = 0 and 1e-40", "2, 3, 4", "alpha^p = 1e-3, 1e-30",
                        f"|x - (1/2,1/2)| <= {fmt(worst)}; err(1e-40) = {fmt(small, 8)}", ">= 1/sqrt(2) - o(1)",
                        fmt(small * mpmath.sqrt(2), 8), bool(ok)))
    return rows


def _generated_rows(thorough: bool) -> list[Verdict]:
    """Thm D/E on planted non-unique instances: the flow limit approaches x_g(p) at the Thm E slope."""
    import random

    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.exact import columns, matvec, rank
    from implicitreg.numerics.instance import Instance

    rng = random.Random(11)
    rows = []
    n = 6 if thorough else 2
    for face_dim in (1, 2):
        done = 0
        worst = mpmath.mpf(0)
        devs = []
        while done < n:
            m = 2
            s = m + face_dim
            n_off = rng.randint(0, 2)
            N = s + n_off
            sigma = [rng.choice((1, -1)) for _ in range(s)]
            taus = [Fraction(rng.randint(2, 16), 20) * rng.choice((1, -1)) for _ in range(n_off)]
            row2 = [Fraction(rng.randint(-12, 12), 4) for _ in range(N)]
            lam = (Fraction(1), Fraction(rng.randint(-2, 2), 4))
            first = [(t - lam[1] * r) for t, r in zip(sigma + taus, row2)]
            A = [first, row2]
            if rank(columns(A, range(s))) < m:
                continue
            x = [sg * Fraction(rng.randint(1, 8), 4) for sg in sigma] + [Fraction(0)] * n_off
            inst = Instance.from_lists(A, matvec(A, x), name="planted")
            bp = l1_minimizer(inst)
            for depth in (2, Fraction(rng.randint(50, 120), 20)):
                slope, pred, res, alphas, ok, mutant_rejected = slope_check(inst, depth, bp=bp)
                dev = abs(slope - mpf_from(pred))
                devs.append(dev)
                worst = max(worst, dev)
                if not fit_passes(ok, mutant_rejected):
                    rows.append(Verdict("WAH-E", "derived", f"planted face {face_dim}", str(depth), ",".join(alphas),
                                        fmt(res.errors[-1]), f"slope {pred}", fmt(dev), False, slope=fmt(slope),
                                        slope_predicted=str(pred), note=f"A = {inst.to_json()}"))
            done += 1
        rows.append(Verdict("WAH-E", "derived", f"{n} planted faces of dim {face_dim}", "2 and p in [2.5, 6]",
                            "adaptive (alpha^p <= 1e-18)", f"max |slope - predicted| = {fmt(worst)}",
                            f"<= {SLOPE_TOL}", fmt(worst), slope_deviations_within(devs)))
    return rows


def run(thorough: bool = False) -> list[Verdict]:
    insts = instances()
    rows = []
    rows += _selection_rows(insts)
    rows += _limit_rows(insts)
    rows += _rate_rows(insts, thorough)
    rows += _lemma_b_rows(thorough)
    rows += _thm_c_rows(thorough)
    rows += _kink_rows(thorough)
    rows += _generated_rows(thorough)
    return rows
