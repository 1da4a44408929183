"""``verify --instance``: the WAH rows (Wind, Antun & Hansen: x_inf -> x_g, the objective and distance bounds, the
rate, the KKT condition) on the user's instance, each decided at the accuracy of the certified limits
(:mod:`implicitreg.proofs.resolution`; the undecided ones go to the report with the reason)."""
from __future__ import annotations

from fractions import Fraction

import mpmath

from implicitreg.errors import HypothesisNotMetError
from implicitreg.numerics.exact import fraction_str, short_text
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.checks import Verdict, fmt
from implicitreg.proofs.resolution import (WANTED_DIGITS, Limits as _Limits, Measured as _Measured, NotApplicable,
                                           decide as _decide, keep_split as _keep_split, kkt_open as _kkt_open,
                                           limit_accuracy, not_applicable as _not_applicable,
                                           selection_accuracy as _selection_accuracy)


def _wah_rows(inst, bp, D, grid, facts, report, limits=None) -> list[Verdict]:
    """WAH-D (x_inf -> x_g), WAH-C (objective and distance bounds) and WAH-A2/A (KKT) on the grid, each decided at
    the accuracy of the limits (else undecided)."""
    from implicitreg.numerics.selection import kkt_residual, selection_errors
    from implicitreg.proofs.suites.diagonal import _bound_row
    from implicitreg.theory import selection as ts

    rows, limits = [], limits or _Limits(inst)
    alphas = [Fraction(a) for a in grid]
    # WAH-D: the distance to the selected minimizer decreases to 0
    res = selection_errors(inst, D, grid, bp=bp)
    errs = res.errors
    decreasing = all(errs[k + 1] < errs[k] for k in range(len(errs) - 1))
    scale = max((abs(v) for v in res.selection.x), default=mpmath.mpf(1))
    ok = decreasing and errs[-1] <= mpmath.mpf(10) ** -3 * scale
    row = Verdict("WAH-D", ts.THM_D.provenance.kind, inst.name, str(D), f"{grid[0]}..{grid[-1]}",
                  f"||x_inf - x_g||_2 = {fmt(errs[-1])}", "decreasing to 0", fmt(errs[-1] / scale), bool(ok),
                  note=f"x_g = argmin G_D on the BP face (unique BP: x_g = x*); errors "
                       f"{', '.join(fmt(e, 3) for e in errs)}")
    why = _Measured("||x_inf - x_g||_2", grid, errs, _selection_accuracy(res)).unresolved()
    _keep_split(rows, report, [(row, f"the decrease is not decided: {why}" if why else "")])
    # WAH-C: objective gap (per-factor alpha = alpha_prod^(1/D)) and the distance via kappa >= (1-rho)/(1+K2)
    if facts["M"] == 0:
        report.not_applicable.append(_not_applicable(ts.THM_C, D, ts._nonzero.reason))
        return rows

    def gap_of(lim):
        with mpmath.workdps(lim.dps):
            return mpmath.fsum(abs(v) for v in lim.x) - mpf_from(bp.value), mpmath.fsum(limit_accuracy(lim))

    lims, gap_acc = [], []
    for a in grid:
        lim, (_, acc) = limits.resolving(D, a, gap_of)
        lims.append(lim)
        gap_acc.append(acc)
    with mpmath.workdps(max(lim.dps for lim in lims)):
        X1 = [mpmath.fsum(abs(v) for v in lim.x) for lim in lims]
        gaps = [x - mpf_from(bp.value) for x in X1]
        factor = [mpf_from(a) for a in alphas]
        factor = [f ** (1 / mpmath.mpf(D.numerator) * D.denominator) for f in factor]
        if D == 2:
            bound = ts.THM_C.bound("objective_2")
            vals = [{"M": bp.value, "N": inst.N, "alpha": f} for f in factor]
        else:
            bound = ts.THM_C.bound("objective_p")
            vals = [{"p": D, "N": inst.N, "X1": x, "alpha": f} for f, x in zip(factor, X1)]
    # the bound's own hypotheses per alpha (objective_2: alpha < 1; verify_instance already requires HI < 1)
    usable = [k for k, v in enumerate(vals) if not bound.failed_hypotheses(v)]
    gap_m = _Measured("||x_inf||_1 - M", [grid[k] for k in usable], [gaps[k] for k in usable],
                      [gap_acc[k] for k in usable])
    _keep_split(rows, report, [_decide(lambda g: _bound_row(ts.THM_C, bound, inst.name, D, gap_m.alphas, g,
                                                      [vals[k] for k in usable], "per-factor alpha = alpha_prod^(1/D)"),
                                 "upper", gap_m)])
    if bp.unique and bp.support:
        from implicitreg.numerics.basis_pursuit import support_pinv_norm

        K2 = support_pinv_norm(inst.A, bp.support)
        kap = ts.THM_C.bound("kappa_lower").evaluate(40, rho=bp.rho, K2=K2)
        dist_acc = gap_acc
        with mpmath.workdps(max(lim.dps for lim in lims)):
            dists = [mpmath.fsum(abs(u - mpf_from(v)) for u, v in zip(lim.x, bp.x)) for lim in lims]
        dist_m = _Measured("dist_1(x_inf, X_BP)", grid, dists, dist_acc)
        gap_all = _Measured("||x_inf||_1 - M", grid, gaps, gap_acc)

        def build(sign):  # sign +1: distances up and gaps down (against the bound); -1: towards it
            return _bound_row(ts.THM_C, ts.THM_C.bound("distance"), inst.name, D, grid, dist_m.shifted(sign),
                              [{"gap": g, "kappa": kap} for g in gap_all.shifted(-sign)],
                              f"kappa >= (1 - rho)/(1 + K2) = {fmt(kap, 6)}")
        row = build(0)
        if min(dist_m.digits() + gap_all.digits()) >= WANTED_DIGITS or build(1).passed or not build(-1).passed:
            rows.append(row)
        else:
            _keep_split(rows, report, [(row, dist_m.unresolved() or gap_all.unresolved() or
                                        "the distance and gap/kappa agree within the accuracy of the certified "
                                        "limits")])
    else:
        report.not_applicable.append(NotApplicable("WAH-C distance", "derived", str(D),
                                                   "x* not unique: the kappa lower bound needs a unique x*"))
    # WAH-E: the rate of ||x_inf - x_g|| (the suite's window search, below the user's range if it must)
    from implicitreg.proofs.suites.selection import slope_check

    try:
        slope, pred, sres, window, ok_rate, rejected = slope_check(inst, D, bp=bp)
    except HypothesisNotMetError as exc:
        report.not_applicable.append(_not_applicable(ts.THM_E, D, str(exc)))
    else:
        row = Verdict("WAH-E rate", ts.THM_E.provenance.kind, inst.name, str(D), f"{window[0]}..{window[-1]}",
                      f"slope {fmt(slope, 5)}", f"{short_text(pred)} (in alpha^p)", fmt(slope - mpf_from(pred), 3),
                      bool(ok_rate and rejected), fmt(slope, 5), fraction_str(pred),
                      note="log-log slope of ||x_inf - x_g||_2 against alpha_prod on the window where the "
                           f"leading term dominates (chosen from BP data); the exponent +-0.1 is rejected: {rejected}")
        why = _Measured("||x_inf - x_g||_2", window, sres.errors, _selection_accuracy(sres)).unresolved()
        _keep_split(rows, report, [(row, f"no rate: {why}" if why else "")])
    # WAH-A2 / WAH-A: the KKT condition of Q at the flow limit (largest alpha of the grid)
    T = ts.WAH_A2 if D == 2 else ts.WAH_A
    if inst.N > inst.m:
        lim = limits.get(D, grid[0], 40)
        with mpmath.workdps(60):
            r = kkt_residual(inst, lim.x, D, grid[0])
        row = Verdict(T.name, T.provenance.kind, inst.name, str(D), grid[0], fmt(r), "<= 1e-30", fmt(r * 10 ** 30),
                      bool(r <= mpmath.mpf(10) ** -30),
                      note="dQ/ds along a basis of ker A at the certified flow limit (relative)")
        left = _kkt_open(inst, lim, D)
        why = (f"the accuracy of the limit leaves a relative KKT residual of {fmt(left, 3)} open (the check needs "
               "< 1e-30): the gradient of Q along ker A is below the limit's resolution")
        _keep_split(rows, report, [(row, why if left >= mpmath.mpf(10) ** -30 else "")])
    return rows
