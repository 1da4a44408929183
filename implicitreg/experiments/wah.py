"""Wind, Antun & Hansen (2023): which l1 minimizer, and how fast -- figures 1, 2 and 3."""
from __future__ import annotations

from typing import Sequence

import mpmath

from implicitreg.experiments.figure import (FIGURES, Curve, FigureData, Marker, Panel, Progress, bound_curve,
                                            bound_provenance, check_against, decades, figure, log_grid, tail_fit)
from implicitreg.numerics.precision import mpf_from


def _l2(x, ref) -> mpmath.mpf:
    return mpmath.sqrt(mpmath.fsum((mpf_from(a) - mpf_from(b)) ** 2 for a, b in zip(x, ref)))


def _limit_errors(instance, depth, alphas: Sequence[str], reference, progress: Progress, digits: int = 20):
    """||x_inf(alpha) - reference||_2 for each product-scale alpha, and the LimitResults
    (numerics.dual_limit, certified digits)."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    errs, results = [], []
    for a in alphas:
        r = gradient_flow_limit(instance, depth, a, alpha_convention="product", digits=digits)
        with mpmath.workdps(r.dps):
            errs.append(_l2(r.x, reference))
        results.append(r)
        progress.step()
    return errs, results



# ============================================================================================
# WAH figure 1: distance to the selected minimizer x_g(p) vs alpha^p
# ============================================================================================

#: wah.md s7 [authors' code]
WAH_INSTANCES = {
    "line": {"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]},
    "plane": {"A": [[2, -1, 0, 1], [0, 3, 2, 0]], "y": [0, 6]},
    "random": {"A": [["-0.111", "0.120", "-0.370", "-0.240", "-1.197"],
                     ["0.209", "-0.972", "-0.755", "0.324", "-0.109"],
                     ["0.210", "-0.391", "0.235", "0.665", "0.353"]],
               "y": ["0.973", "-0.039", "-0.886"]},
}


@figure("wah-fig1", "WAH figure 1: distance to the selected minimizer x_g(p) vs alpha^p",
        "||x_inf - x_g(p)||_2 against the product scale alpha^p down to 1e-30 for p in {2, 2.5, 3, 4} on the "
        "line, plane and random instances (wah.md s7-8, authors' code figure 1), with the fitted slopes against "
        "the rates of Thm E and where the authors' float64 set-up (Radau) fails.", instance="l1")
def wah_fig1(quick: bool, progress: Progress, instance=None) -> FigureData:
    from fractions import Fraction

    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance
    from implicitreg.numerics.selection import selected_minimizer

    depths = [Fraction(v) for v in _WAH_DEPTHS]
    alphas = decades(0, 30, QUICK_DECADES if quick else None)
    bottom = 30
    instances = ({name: Instance.from_data(spec, name=name) for name, spec in WAH_INSTANCES.items()}
                 if instance is None else {instance.name or "instance": instance})
    panels = [Panel(name, f"{name}", "alpha^p (product scale)", "||x_inf - x_g(p)||_2") for name in instances]
    data = FigureData("wah-fig1", FIGURES["wah-fig1"].title, FIGURES["wah-fig1"].description, panels,
                      alpha_convention="product (the axis is alpha^p, alpha per factor)",
                      meta={"alphas_product": alphas, "depths": [str(p) for p in depths], "instances": {}})
    progress.start(len(instances) * len(depths) * len(alphas))
    for name, inst in instances.items():
        bp = l1_minimizer(inst)
        data.meta["instances"][name] = {"A": inst.to_json()["A"], "y": inst.to_json()["y"], "rho": str(bp.rho),
                                        "unique_bp": bp.unique, "support": list(bp.support)}
        for p in depths:
            series = _depth_label(p)
            digits = 20 + 2 * bottom
            xg = selected_minimizer(inst, p, digits=digits + 10, bp=bp)
            errs, results = _limit_errors(inst, p, alphas, xg.x, progress, digits=digits)
            dig = [r.digits for r in results]
            data.meta.setdefault("certified_digits", {})[f"{name},{series}"] = min(dig)
            xs = [float(Fraction(a)) for a in alphas]
            data.curves.append(Curve(name, series, "observed", series,
                                     "computed (numerics.dual_limit, certified digits; x_g by numerics.selection)",
                                     xs, [float(e) for e in errs], "implicitreg.numerics.dual_limit"))
            bd, predicted, pprov = _thm_e_rate(bp, p)
            tail_fit(data, name, series, alphas, errs, 1e-10, predicted, pprov)
            _rate_line(data, name, series, xs, errs, predicted, f"Thm E ({bd.name})", f"derived (WAH-E {bd.name})",
                       f"implicitreg.theory: WAH-E/{bd.name}")
            _thm_c_distance(data, inst, p, name, series, xs, errs, results)
            if instance is None:
                _float64_marker(data, "wah-fig1", name, name, series, str(p))
    return data


#: the quick grids' decades of alpha^p: alpha^p = 1, the pre-asymptotic range decade by decade, then the tail
QUICK_DECADES = (0, 1, 2, 3, 4, 6, 8, 12, 18, 24, 30)


def _rate_line(data: FigureData, panel, series, xs, errs, exponent, name, provenance, source) -> None:
    """A Theta rate (no constant) c (alpha^p)^exponent, drawn a decade below the smallest-alpha point so that it
    is never hidden under the data."""
    a_end, e_end = mpmath.mpf(xs[-1]), errs[-1] / 10
    data.curves.append(Curve(panel, series, "rate", f"{name}: (alpha^p)^{exponent:.4g}, a decade below the data",
                             provenance, xs, [float(e_end * (mpmath.mpf(x) / a_end) ** exponent) for x in xs],
                             source))


def _float64_marker(data: FigureData, figure_name, key, panel, series, depth) -> None:
    """The stored failure point of the authors' float64 set-up (experiments.float64_markers) for one series."""
    from implicitreg.experiments.float64_markers import load_markers

    records, store = load_markers()
    rec = records.get((figure_name, key, depth))
    if rec is None or rec["failed_at"] is None:
        return
    last = rec["tried"][-1]
    method = f"{rec['method']} rtol {rec['rtol']:g}, full (u, v) flow, analytic Jacobian"
    data.markers.append(Marker(panel, series, float(last["alpha_product"]), last["certified_error"],
                               f"float64 fails: {rec['method']} (authors' set-up)",
                               f"first alpha^p where {method} departs > {store['relative_tolerance']:g} relative "
                               f"from the certified error or is not accepted: {last['message']}",
                               method=method,
                               provenance=f"measured {store['measured_on']} (scipy {store['versions']['scipy']}), "
                                          "stored in implicitreg/experiments/data/float64_markers.json"))


def _thm_e_rate(bp, p):
    """The Thm E rate that applies (theory.selection.thm_e_bound) and its exponent in the product scale alpha^p."""
    import sympy

    from implicitreg.theory import selection as TS
    from implicitreg.theory.statement import p as p_sym, rho as rho_sym

    bd = TS.thm_e_bound(p, len(bp.A[0]) - len(bp.support), bp.rho)
    expr = bd.expr.subs({p_sym: sympy.nsimplify(p), rho_sym: sympy.nsimplify(bp.rho)})
    exponent = TS.product_exponent(expr, sympy.nsimplify(p))
    return bd, float(exponent), f"derived (WAH-E {bd.name})"


# ============================================================================================
# WAH figure 2: the kink family A = [1, 1 - eps], y = 1
# ============================================================================================

@figure("wah-fig2", "WAH figure 2: kink family A = [1, 1-eps], error to x* = (1, 0) vs alpha^p, and its transition",
        "||x_inf - (1, 0)||_2 against the product scale alpha^p from 1 down to 1e-30, eps in {0.3, 0.1, 0.03, 0.01}, "
        "one panel per p in {2, 3, 4, 5} (authors' code figure 2, p = 2 added), with the limit statements "
        "(WAH-kink-constant, WAH-kink-p2), Thm C's bound, the fitted slopes and where the authors' float64 set-up "
        "(LSODA) fails; a last panel: the transition profile, error against eps/eps*(alpha), collapsing onto the "
        "derived profile (WAH-kink-transition).")
def wah_fig2(quick: bool, progress: Progress) -> FigureData:
    from fractions import Fraction

    from implicitreg.numerics.instance import Instance

    depths = (2, 3, 4, 5)
    epss = ("0.3", "0.1", "0.03", "0.01")
    alphas = decades(0, 30, QUICK_DECADES if quick else None)
    ratios = [str(v) for v in ((0.1, 0.3, 1, 3, 10) if quick else (0.03, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20))]
    panels = [Panel(f"p={p}", f"p = {p}", "alpha^p (product scale)", "||x_inf - x*||_2") for p in depths]
    panels.append(Panel("transition", "transition: eps = e eps*(alpha), alpha^p = " + TRANSITION_ALPHA,
                        "e = eps / eps*(alpha)", "||x_inf - x*||_2"))
    data = FigureData("wah-fig2", FIGURES["wah-fig2"].title, FIGURES["wah-fig2"].description, panels,
                      alpha_convention="product (the axis is alpha^p, alpha per factor)",
                      meta={"alphas_product": alphas, "eps": list(epss), "depths": list(depths), "x_star": [1, 0],
                            "transition_ratios": ratios, "transition_alpha_product": TRANSITION_ALPHA})
    progress.start(len(depths) * (len(epss) * len(alphas) + len(ratios)))
    digits = []
    for p in depths:
        for eps in epss:
            series = f"eps={eps}"
            inst = Instance.from_lists([[1, 1 - Fraction(eps)]], [1], name=f"kink eps={eps}")
            errs, results = _limit_errors(inst, p, alphas, (1, 0), progress)
            digits.append(min(r.digits for r in results))
            xs = [float(Fraction(a)) for a in alphas]
            data.curves.append(Curve(f"p={p}", series, "observed", series,
                                     "computed (numerics.dual_limit, certified digits)", xs, [float(e) for e in errs],
                                     "implicitreg.numerics.dual_limit.gradient_flow_limit"))
            if p == 2:
                tail_fit(data, f"p={p}", series, alphas, errs, 1e-20, float(eps),
                         "derived (WAH-kink-p2: (alpha^2)^eps)")
            else:
                tail_fit(data, f"p={p}", series, alphas, errs, 1e-12, 1, "derived (Thm E: Theta(alpha^p))")
            _float64_marker(data, "wah-fig2", eps, f"p={p}", series, str(p))
            _kink_bounds(data, inst, p, eps, series, xs, errs, results)
        _transition(data, p, ratios, progress)
    data.meta["certified_digits_min"] = min(digits)
    return data


#: the alpha^p at which the transition panel samples eps = e eps*(alpha)
TRANSITION_ALPHA = "1e-30"


def _transition(data: FigureData, p, ratios, progress: Progress) -> None:
    """Error at eps = e eps*(alpha) (numerics.kink's 1-D reduction) and the collapse profile (alpha -> 0)."""
    from implicitreg.numerics import kink as K
    from implicitreg.theory import selection as TS

    series = f"p={p}"
    errs = []
    with mpmath.workdps(30):
        for e in ratios:
            errs.append(K.transition_error(p, e, TRANSITION_ALPHA, alpha_convention="product"))
            progress.step()
        xs = [float(e) for e in ratios]
        fine = [float(v) for v in log_grid(min(xs), max(xs), 40)]
        profile = [float(K.collapse_profile(p, v)) for v in fine]
    data.curves.append(Curve("transition", series, "observed", f"error at alpha^p = {TRANSITION_ALPHA}",
                             "computed (numerics.kink: 1-D dual reduction)", xs, [float(v) for v in errs],
                             "implicitreg.numerics.kink.transition_error", style="scatter"))
    data.curves.append(Curve("transition", series, "limit", f"collapse profile (alpha -> 0), {series}",
                             f"derived ({TS.KINK_TRANSITION.name})", fine, profile,
                             "implicitreg.numerics.kink.collapse_profile"))


def _kink_bounds(data: FigureData, inst, p, eps, series, xs, errs, results) -> None:
    """The kink statements' curves: the limit constant times alpha^p (WAH-kink-constant) and Thm C's upper
    bound on dist_1(x_inf, X_BP) >= ||x_inf - x*||_2 (X_BP = {x*} here)."""
    from fractions import Fraction

    from implicitreg.theory import selection as TS

    if p == 2:
        thm = TS.KINK_P2
        bd = thm.bound("asymptotic")
        vals = [bd.evaluate(30, epsilon=Fraction(eps), alpha=mpmath.sqrt(mpmath.mpf(a))) for a in xs]
        data.curves.append(Curve(f"p={p}", series, "limit", f"limit: sqrt(1 + (1-eps)^2) (alpha^2)^eps ({series})",
                                 bound_provenance(thm, bd), xs, [float(v) for v in vals],
                                 f"implicitreg.theory: {thm.name}/{bd.name}"))
    else:
        thm = TS.KINK_CONSTANT
        bd = thm.bound("constant")
        const = bd.evaluate(30, p=p, epsilon=Fraction(eps))
        data.curves.append(Curve(f"p={p}", series, "limit", f"limit: {float(const):.6g} alpha^p ({series})",
                                 bound_provenance(thm, bd), xs, [float(const * mpmath.mpf(a)) for a in xs],
                                 f"implicitreg.theory: {thm.name}/{bd.name}"))
        data.meta.setdefault("kink_limit_constants", {})[f"p={p},{series}"] = float(const)
    _thm_c_distance(data, inst, p, f"p={p}", series, xs, errs, results)


def _thm_c_distance(data: FigureData, inst, p, panel, series, xs, errs, results) -> None:
    """Thm C (WAH-C): dist_1(x_inf, X_BP) <= (||x_inf||_1 - M) / kappa with the objective bound for the gap and
    kappa >= (1 - rho) / (1 + ||A_S^+ A_S^c||_{1->1}) (unique x*, A_S injective; theory.selection's statement).
    For a unique x*, ||x_inf - x*||_2 <= dist_1, so this bounds the plotted error."""
    from fractions import Fraction

    from implicitreg.numerics.basis_pursuit import l1_minimizer, support_pinv_norm
    from implicitreg.theory import selection as TS

    bp = l1_minimizer(inst)
    if not bp.unique:
        return
    kappa_lb = TS.THM_C.bound("kappa_lower").evaluate(40, rho=bp.rho, K2=support_pinv_norm(inst.A, bp.support))
    gap_bound = TS.THM_C.bound("objective_2" if p == 2 else "objective_p")
    dist = TS.THM_C.bound("distance")
    p = Fraction(p)
    vals, ok = [], []
    for x_ax, r in zip(xs, results):
        with mpmath.workdps(r.dps):
            a_factor = r.alpha_product ** (mpmath.mpf(1) / mpf_from(p))  # WAH states Thm C per factor
            X1 = mpmath.fsum(abs(v) for v in r.x)
        # y in range(A): Instance checked it exactly; alpha per factor, the convention WAH-C is stated in
        facts = {"depth": p, "consistent": True, "M": bp.value, "alpha": a_factor}
        # WAH-C's hypotheses and the bound's own (the p = 2 bound needs alpha < 1: it divides by log(1/alpha^2))
        ok.append(not TS.THM_C.failed_hypotheses(facts, gap_bound))
        if not ok[-1]:
            vals.append(None)
            continue
        with mpmath.workdps(r.dps):
            g = gap_bound.evaluate(40, p=p, alpha=a_factor, N=inst.N, X1=X1, M=bp.value)
            vals.append(dist.evaluate(40, gap=g, kappa=kappa_lb))
    pts = [(x, v) for x, v, o in zip(xs, vals, ok) if o]
    data.curves.append(Curve(panel, series, "upper", f"Thm C: gap/kappa ({series})",
                             f"derived (WAH-C {gap_bound.name}, {dist.name})", [x for x, _ in pts],
                             [float(v) for _, v in pts], "implicitreg.theory: WAH-C"))
    check_against(data, panel, series, TS.THM_C, dist, xs, errs, vals, ok,
                  note=f"kappa >= (1 - rho)/(1 + ||A_S^+ A_S^c||) = {float(kappa_lb):.6g}")


# ============================================================================================
# WAH figure 3: the potentials q_p, g_p, h_p (alpha = 1) and the Lemma B sandwich
# ============================================================================================

_WAH_DEPTHS = ("2", "5/2", "3", "4")


def _depth_label(p) -> str:
    from fractions import Fraction

    q = Fraction(p)
    return f"p={float(q):g}"


def _lambdified(expr, var):
    import sympy

    return sympy.lambdify(var, expr, modules="mpmath")


def _continuous(expr, var):
    """``expr`` as an mpmath function, with its limit where the formula is indeterminate (g_2(0) = lim 0 log 0)."""
    import sympy

    fn = _lambdified(expr, var)

    def value(v):
        out = fn(v)
        if mpmath.isnan(out) or mpmath.isinf(out):
            return mpmath.mpf(sympy.limit(expr, var, sympy.nsimplify(v)).evalf(mpmath.mp.dps))
        return out

    return value


def _link_inverse_bisect(h_fn, s, p) -> mpmath.mpf:
    """t in (-1, 1) with h_p(t) = s for p > 2 (h_p odd, increasing): bracketed root finding.

    The bracket uses h_p(1 - e) >= e^(-p/(p-2)) - 1, so e = (2|s| + 2)^(-(p-2)/p) gives h_p(1 - e) > |s|.
    """
    s = mpmath.mpf(s)
    if s == 0:
        return mpmath.mpf(0)
    a = abs(s)
    e = (2 * a + 2) ** (-(p - 2) / p)
    t = mpmath.findroot(lambda u: h_fn(u) - a, (mpmath.mpf(0), 1 - e), solver="anderson")
    return t if s > 0 else -t


@figure("wah-fig3", "WAH figure 3: potentials q_p, tie-break g_p, link h_p (alpha = 1)",
        "q_p on [-5,5]x[0,3], g_p on [-8,8]x[-1.2,3], h_p on [-0.99,0.99]x[-20,20] for p in {2, 2.5, 3, 4} "
        "(wah.md section 8, authors' code), and a fourth panel: Lemma B at alpha = 1, 0 <= q_p - g_p <= C_p.")
def wah_fig3(quick: bool, progress: Progress) -> FigureData:
    from fractions import Fraction

    from implicitreg.theory import potentials as P
    from implicitreg.theory import selection as TS
    from implicitreg.theory.statement import alpha as alpha_sym

    n = 21 if quick else 301
    depths = [Fraction(v) for v in _WAH_DEPTHS]
    panels = [
        Panel("q", "potential q_p (alpha = 1)", "s", "q_p(s)", "linear", "linear", (-5, 5), (0, 3)),
        Panel("g", "tie-break functional g_p", "x", "g_p(x)", "linear", "linear", (-8, 8), (-1.2, 3)),
        Panel("h", "link h_p", "s", "h_p(s)", "linear", "linear", (-0.99, 0.99), (-20, 20)),
        Panel("lemma_b", "Lemma B at alpha = 1: 0 <= q_p(x) - approx_p(x) <= C_p", "|x|", "q_p(x) - approx_p(x)",
              "log", "linear"),
    ]
    data = FigureData("wah-fig3", FIGURES["wah-fig3"].title, FIGURES["wah-fig3"].description, panels,
                      alpha_convention="factor", meta={"alpha": 1, "depths": [str(p) for p in depths]})
    src_pot = "implicitreg.theory.potentials"
    prov_pot = "derived (theory.potentials; wah.md s2)"
    prov_g = "authors' code (theory.potentials.g)"
    progress.start(len(depths))
    with mpmath.workdps(30):
        s_q = [mpmath.mpf(-5) + 10 * mpmath.mpf(k) / (n - 1) for k in range(n)]
        # g_p has a cusp at x = 0 (slope -> -infinity as |x| -> 0+ for p = 2): a linear grid plus a log-refined
        # neighbourhood of 0, and x = 0 itself (g_p(0) = 0, the limit, not a 0 log 0 = nan)
        near0 = log_grid("1e-4", "0.5", 8 if quick else 40)
        x_g = sorted({mpmath.mpf(-8) + 16 * mpmath.mpf(k) / (n - 1) for k in range(n)}
                     | set(near0) | {-v for v in near0} | {mpmath.mpf(0)})
        s_h = [mpmath.mpf("-0.99") + mpmath.mpf("1.98") * k / (n - 1) for k in range(n)]
        x_b = log_grid("1e-3", "1e4", n)  # increasing |x|
        for p in depths:
            label = _depth_label(p)
            h_fn = _lambdified(P.h(p, P.s), P.s)
            g_fn = _continuous(P.g(p, P.x), P.x)
            # Lemma B's approximation of alpha^p q_p(x/alpha^p) at alpha = 1 (equals g_p there)
            approx_fn = _lambdified(P.lemma_b_approximation(p, P.x).subs(alpha_sym, 1), P.x)
            if p == 2:
                q_fn = _lambdified(P.q_closed(P.s), P.s)
            else:
                _, q_of_t = P.q_parametric(p, P.t)
                q_t = _lambdified(q_of_t, P.t)
                pf = mpf_from(p)

                def q_fn(v, q_t=q_t, h_fn=h_fn, pf=pf):
                    return q_t(_link_inverse_bisect(h_fn, v, pf))
            data.curves.append(Curve("q", label, "observed", f"q_{label[2:]}", prov_pot,
                                     [float(v) for v in s_q], [float(q_fn(v)) for v in s_q], src_pot + ".q"))
            data.curves.append(Curve("g", label, "observed", f"g_{label[2:]}", prov_g,
                                     [float(v) for v in x_g], [float(g_fn(v)) for v in x_g], src_pot + ".g"))
            data.curves.append(Curve("h", label, "observed", f"h_{label[2:]}", prov_pot,
                                     [float(v) for v in s_h], [float(h_fn(v)) for v in s_h], src_pot + ".h"))
            gap = [q_fn(v) - approx_fn(v) for v in x_b]
            xs = [float(v) for v in x_b]
            data.curves.append(Curve("lemma_b", label, "observed", f"q_p - approx_p, {label}", prov_pot, xs,
                                     [float(v) for v in gap], src_pot))
            # Lemma B (theory.selection: WAH-LemmaB2 at p = 2, WAH-LemmaB for p > 2) at alpha = 1
            thm = TS.LEMMA_B_2 if p == 2 else TS.LEMMA_B
            vals = [{"alpha": 1, "p": p}] * n
            for side in ("upper", "lower"):
                bd = thm.bound(side)
                curve, bvals = bound_curve("lemma_b", label, thm, bd, xs, vals,
                                           label=f"{side}: {bd.expr} at alpha = 1, {label}")
                data.curves.append(curve)
                check_against(data, "lemma_b", label, thm, bd, xs, gap, bvals)
            progress.step()
    return data
