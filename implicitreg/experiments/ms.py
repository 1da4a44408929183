"""Matt & Stoeger (2025): depth-D diagonal linear networks, error vs the l1 minimizer."""
from __future__ import annotations

from typing import Sequence

import mpmath

from implicitreg.experiments.figure import (FIGURES, Curve, FigureData, Panel, Progress, bound_provenance,
                                            check_against, decades, figure, tail_fit)
from implicitreg.numerics.precision import mpf_from


# ============================================================================================
# Matt & Stöger: error vs alpha under noise (D = 2) and across depths
# ============================================================================================

def _gaussian_instance(m: int, N: int, s: int, seed: int, noise: float = 0.0, name: str = "gaussian"):
    """A = G / sqrt(m) (3 decimals), x0 s-sparse (2 decimals), y = A x0 + noise * xi (4 decimals): exact data."""
    import numpy as np

    from implicitreg.numerics.instance import Instance

    rng = np.random.default_rng(seed)
    A = np.round(rng.standard_normal((m, N)) / np.sqrt(m), 3)
    x0 = np.zeros(N)
    x0[rng.choice(N, s, replace=False)] = np.round(rng.standard_normal(s), 2)
    xi = rng.standard_normal(m)
    A_txt = [[f"{v:.3f}" for v in row] for row in A]
    if noise:
        y_txt = [f"{v:.4f}" for v in A @ x0 + noise * xi]
        return Instance.from_lists(A_txt, y_txt, name=name)
    from fractions import Fraction

    Aq = [[Fraction(v) for v in row] for row in A_txt]
    x0q = [Fraction(f"{v:.2f}") for v in x0]
    y = [sum((a * b for a, b in zip(row, x0q)), Fraction(0)) for row in Aq]
    return Instance.from_lists(A_txt, y, name=name)


def _ms_series(data: FigureData, panel: str, series: str, inst, depth, alphas: Sequence[str], progress: Progress,
               digits: int = 20) -> dict:
    """Observed ||x_inf - x*||_1 (numerics.dual_limit) for one instance and depth, with the MS-D2 / MS-D3 bound
    curves (theory.diagonal, constants from numerics.error_constants), the fitted slope and the checks."""
    from fractions import Fraction

    from implicitreg.numerics import error_constants as EC
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.theory import diagonal as TD

    sc = EC.support_constants(inst)
    D = Fraction(depth)
    thm = TD.MS_D2_THEOREM if D == 2 else TD.MS_D3_THEOREM
    xs, l1, linf, ups, los, ok_up, ok_lo = [], [], [], [], [], [], []
    direction = EC.limit_direction(inst, D, digits=15, sc=sc) if D > 2 else None
    for a in alphas:
        r = gradient_flow_limit(inst, D, a, alpha_convention="product", digits=digits)
        post = EC.posterior_constants(r, sc)
        with mpmath.workdps(r.dps):
            diff = [v - mpf_from(x) for v, x in zip(r.x, sc.x_star)]
            e1 = mpmath.fsum(abs(v) for v in diff)
            einf = max(abs(v) for v in diff)
        vals = {"alpha": Fraction(a), "rho": sc.rho, "K2": sc.K2, "n": sc.n, "D": D}
        facts = TD.facts(sc, D, Fraction(a), rho_a=post.rho_a)
        hyp = not thm.failed_hypotheses(facts)  # MS-D3 needs rho_a < 1, i.e. alpha small enough
        if D == 2:
            vals["K1"] = post.K1
        else:
            vals["rho_minus"] = max(post.rho_minus, mpmath.mpf(0))
            if hyp:
                with mpmath.workdps(40):
                    vals["M0"] = EC.offsupport_radius(D, post.rho_a, sc.n)
        up = thm.bound("upper_l1").evaluate(30, **vals) if hyp else None
        lo = thm.bound("lower_inf").evaluate(30, **vals) if hyp else None
        xs.append(float(Fraction(a)))
        l1.append(e1)
        linf.append(einf)
        ups.append(up)
        los.append(lo)
        ok_up.append(hyp)
        ok_lo.append(hyp and lo > 0)  # a non-positive lower bound says nothing: not drawn, not checked
        progress.step()
    data.curves.append(Curve(panel, series, "observed", f"||x_inf - x*||_1, {series}",
                             "computed (numerics.dual_limit, certified digits)", xs, [float(v) for v in l1],
                             "implicitreg.numerics.dual_limit"))
    bu, bl = thm.bound("upper_l1"), thm.bound("lower_inf")
    pts = [(x, u) for x, u in zip(xs, ups) if u is not None]
    data.curves.append(Curve(panel, series, "upper", f"{thm.name} upper on ||.||_1, {series}",
                             bound_provenance(thm, bu), [x for x, _ in pts], [float(u) for _, u in pts],
                             f"implicitreg.theory: {thm.name}/{bu.name}"))
    pts = [(x, v) for x, v, o in zip(xs, los, ok_lo) if o]
    data.curves.append(Curve(panel, series, "lower", f"{thm.name} lower on ||.||_inf (<= ||.||_1), {series}",
                             bound_provenance(thm, bl), [x for x, _ in pts], [float(v) for _, v in pts],
                             f"implicitreg.theory: {thm.name}/{bl.name}"))
    check_against(data, panel, series, thm, bu, xs, l1, ups, ok_up, note="observed ||x_inf - x*||_1")
    check_against(data, panel, series, thm, bl, xs, linf, los, ok_lo, note="observed ||x_inf - x*||_inf")
    rate = thm.bound("rate")
    predicted = float(rate.evaluate(30, rho=sc.rho)) if rate.expr.free_symbols else float(rate.expr)
    tail_fit(data, panel, series, [Fraction(a) for a in alphas], l1, 1e-12, predicted,
              f"{rate.provenance.kind} ({thm.name} rate)")
    if direction is not None:
        lim = thm.bound("limit")
        c = lim.evaluate(30, E1=direction.e_norm1)
        data.curves.append(Curve(panel, series, "limit", f"||e_D||_1 alpha, {series}", bound_provenance(thm, lim),
                                 xs, [float(c * mpmath.mpf(x)) for x in xs], f"implicitreg.theory: {thm.name}/limit"))
    return {"rho": str(sc.rho), "K2": str(sc.K2), "support_size": len(sc.support), "n": sc.n,
            "E1": None if direction is None else float(direction.e_norm1)}


@figure("ms-noise", "MS: depth-2 error vs alpha under noise (the l1 reference recomputed with noise)",
        "D = 2, ||x_inf - x*||_1 against alpha (product scale) for noise levels eta in {0, 0.03, 0.1, 0.4} on a "
        "random Gaussian instance; x* is the l1 minimizer of the noisy problem (dln.md s6). Drawn: MS-D2's upper "
        "bound on ||.||_1 and lower bound on ||.||_inf (theory.diagonal, constants from numerics.error_constants), "
        "the fitted slope against 1 - rho.")
def ms_noise(quick: bool, progress: Progress) -> FigureData:
    m, N, s = (6, 14, 2) if quick else (12, 24, 2)
    etas = ("0", "0.03", "0.1", "0.4")
    alphas = ms_alphas(quick)
    data = FigureData("ms-noise", FIGURES["ms-noise"].title, FIGURES["ms-noise"].description,
                      [Panel("noise", f"D = 2, m = {m}, N = {N}, s = {s}", "alpha (product scale u(0)^D)",
                             "||x_inf - x*||_1")],
                      alpha_convention="product", meta={"m": m, "N": N, "s": s, "etas": list(etas),
                                                        "alphas": alphas, "instances": {}})
    progress.start(len(etas) * len(alphas))
    for eta in etas:
        inst = _gaussian_instance(m, N, s, seed=1, noise=float(eta), name=f"gaussian eta={eta}")
        info = _ms_series(data, "noise", f"eta={eta}", inst, 2, alphas, progress)
        info.update(inst.to_json())
        data.meta["instances"][f"eta={eta}"] = info
    return data


@figure("ms-depth", "MS: error vs alpha for depths D = 2, 3, 4, 5 on random Gaussian instances",
        "||x_inf - x*||_1 against alpha (product scale) down to 1e-40 for D in {2, 3, 4, 5} on random Gaussian "
        "instances (A/sqrt(m), s-sparse x*; dln.md s6), with MS-D2 / MS-D3 upper and lower bounds "
        "(theory.diagonal), the MS-D3 limit ||e_D||_1 alpha, and fitted slopes against 1 - rho (D = 2) and 1.",
        instance="l1")
def ms_depth(quick: bool, progress: Progress, instance=None) -> FigureData:
    m, N, s = (6, 14, 2) if quick else (12, 24, 2)
    seeds = (2,) if quick else (2, 3, 4)
    depths = (2, 3, 4, 5)
    alphas = ms_alphas(quick)
    if instance is not None:
        m, N, s, seeds = instance.m, instance.N, None, (instance.name or "instance",)
    panels = [Panel(f"seed={sd}", f"Gaussian instance (seed {sd}), m = {m}, N = {N}, s = {s}" if instance is None
                    else f"{sd}, m = {m}, N = {N}", "alpha (product scale u(0)^D)", "||x_inf - x*||_1")
              for sd in seeds]
    data = FigureData("ms-depth", FIGURES["ms-depth"].title, FIGURES["ms-depth"].description, panels,
                      alpha_convention="product", meta={"m": m, "N": N, "s": s, "depths": list(depths),
                                                        "alphas": alphas, "instances": {}})
    progress.start(len(seeds) * len(depths) * len(alphas))
    for sd in seeds:
        inst = _gaussian_instance(m, N, s, seed=sd, name=f"gaussian seed={sd}") if instance is None else instance
        for D in depths:
            info = _ms_series(data, f"seed={sd}", f"D={D}", inst, D, alphas, progress)
            info.update(inst.to_json())
            data.meta["instances"][f"seed={sd},D={D}"] = info
    return data


def ms_alphas(quick: bool) -> list[str]:
    """alpha = 1e-1, 1e-4, ..., 1e-40 (every third decade); the quick grid is a subset of the same grid."""
    return decades(1, 40, (1, 10, 19, 28, 40) if quick else tuple(range(1, 41, 3)))
