"""verify suite: sharpness of deep linear networks (Marion & Chizat; ``theory/sharpness.py``).

Built-in data (all exact): ``gauss-n20-d3`` and ``paper-n50-d5`` (the paper's synthetic design, seeded, rounded to
decimals; the latter normalised so ||w*|| = 1 up to rounding), ``eigvec-d3`` (w* an eigenvector of Sigma: the
equality family, equality for L >= 3 and not for L = 2), ``degenerate-n3-d5`` (n < d: w* = minimum-norm solution);
``--thorough`` adds ``gauss-n6-d8`` (n < d) and depths 4 and 8.

Rows (each able to fail):

* MC-LB on sampled minimizers (balanced, unbalanced with random widths and scales, residual with unit head);
  observed = min S / S_LB over the samples, by the closed form; one sample per instance also by the full Hessian
  (python-flint QR, checked by its residual) and Lanczos, whose agreement with the closed form is a row of its own
  (30 digits);
* MC-Smin: S_min (Brent minimization in log t) equals the full-Hessian sharpness of the attaining aligned
  minimizer; the ordering S_LB <= S_closed <= S_min <= S_bal; no sampled minimizer below S_min; equality
  S_min = S_LB on the eigenvector family, and the mutants (x 1.1, exponent 2 - 1/L) caught there;
* homogeneity y -> 3 y: S_min scales by 3^(2-2/L);
* MC-SI: gradient flow (float64, adaptive Dormand-Prince) from N(0, s^2) entries in the documented regime
  (paper-n50-d5, L = 10, s in {0.25, 0.35}; gauss-n20-d3, L = 3, s in {0.1, 0.03, 0.01}): S <= 8 L Lambda
  ||w*||^(2-2/L) [reconstructed], S >= S_LB, S / S_bal -> 1 as s -> 0 (log-log slope of S/S_bal - 1 against s
  reported), rank-one and top-singular-value bounds from the conserved imbalances. ``--thorough`` adds the larger
  scales s = 0.5, 0.6 where the reconstructed bound is *reported* to fail (in the note), never widened;
* MC-RI: residual init (L in {5, 10}, s in {0.25, 1}) converges; S / S_LB reported;
* DLN-imbalance: mpmath gradient flow (``numerics.flow.integrate``: rk45 at 30 digits, rtol 1e-14; ``--thorough``
  adds radau13 at 35 digits, rtol 1e-25) keeps D_k to 100 x the integrator's tolerance; gradient descent drifts
  O(eta) over a fixed time (fitted log-log slope within 0.1 of 1).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from implicitreg.numerics import deep_linear as dl
from implicitreg.proofs.checks import Verdict, fmt, loglog_slope
from implicitreg.proofs.derivations import sharpness as deriv
from implicitreg.theory import sharpness as ts

#: working digits of every high-precision sharpness and bound value (10 more than AGREE_DIGITS claims)
DPS = 40
#: independent high-precision paths (closed form, full Hessian, Lanczos at DPS = 40) must agree to this many digits
AGREE_DIGITS = 30
#: the equality family eigvec-d3: mu = 4/3 is w*'s eigenvalue of Sigma, the others 1/3 and 3 (equality iff L mu >=
#: the largest other, docs/theory/deep_linear.md)
EIGVEC_MU = Fraction(4, 3)
EIGVEC_OTHERS = (Fraction(1, 3), Fraction(3))
#: MC-SI [S/S_bal -> 1]: |S / S_bal - 1| at the smallest scale must be below this (1e-3: s = 0.01 gives ~1e-4)
BALANCED_EXCESS = 1e-3
#: DLN-imbalance (GF): the drift of D_k must stay within this many times the integrator's tolerance (x scale)
IMBALANCE_FACTOR = 100
#: DLN-imbalance (GD): the drift is O(eta): the fitted log-log slope is 1 within 0.1
GD_DRIFT_SLOPE = 1
GD_SLOPE_TOL = 0.1
#: a float64 flow's sharpness (eigh of the Hessian at rtol 1e-9) may fall below S_LB by this relative rounding
FLOAT_REL = 1e-9
#: MC-EoS: GD above 2/S_LB "does not converge" when its excess loss after 5000 steps stays above this
EOS_EXCESS_FLOOR = 1e-6
#: MC-SI structure: the conserved-imbalance consequences are checked with this slack (float64 flow at rtol 1e-9)
STRUCTURE_SLACK = 1e-6


def instances(thorough: bool = False) -> list[dl.RegressionData]:
    out = [
        dl.gaussian_data(20, 3, seed=0, noise=0.5, normalize=False, name="gauss-n20-d3"),
        dl.gaussian_data(50, 5, seed=0, noise=1.0, name="paper-n50-d5"),
        dl.eigenvector_data([1, 2, 3], 1, 3, skew=[[0, "1/2", 1], ["-1/2", 0, 2], [-1, -2, 0]], name="eigvec-d3"),
        dl.RegressionData.from_lists([[1, 0, 2, -1, 1], [0, 1, 1, 1, -2], [2, 1, 0, 1, 1]], [1, "-1/2", 2],
                                     name="degenerate-n3-d5"),
    ]
    if thorough:
        out.append(dl.gaussian_data(6, 8, seed=1, normalize=False, name="gauss-n6-d8"))
    return out


# ---- the verdicts, on computed numbers (each fed violations in tests/test_suite_verdicts.py) ----------------------

def relative_gap(reference, *others):
    """max |other - reference| / |reference|: the disagreement of independent paths to one number."""
    return max(abs(o - reference) for o in others) / abs(reference)


def agree(a, b, tol) -> bool:
    """|a - b| <= tol |b| (equal within the computed digits)."""
    return abs(a - b) <= tol * abs(b)


def ordered(s_lb, s_closed, s_min, s_bal, worst_sample, tol) -> bool:
    """S_LB <= S_closed <= S_min <= S_bal and no sampled minimizer below S_min, each within a relative ``tol``."""
    return (s_lb <= s_closed * (1 + tol) and s_closed <= s_min * (1 + tol) and s_min <= s_bal * (1 + tol)
            and worst_sample >= s_min * (1 - tol))


def shrinks_to(excess, below) -> bool:
    """|excess| strictly decreasing along the sequence and the last below ``below`` (S / S_bal - 1 as s -> 0)."""
    return all(abs(excess[i + 1]) < abs(excess[i]) for i in range(len(excess) - 1)) and abs(excess[-1]) < below


def converged_above(status, S, s_lb, rel=FLOAT_REL) -> bool:
    """A float64 flow converged (status 1) to a minimizer whose sharpness is >= S_LB up to ``rel`` rounding."""
    return status == 1 and S >= s_lb * (1 - rel)


def edge_of_stability(status_below, status_above, excess_above, floor=EOS_EXCESS_FLOOR) -> bool:
    """GD at 0.9 x 2/S_LB converged (status 1); at 1.02 x 2/S_LB it did not (status 0, excess loss > floor)."""
    return status_below == 1 and status_above == 0 and excess_above > floor


def slope_within(slope, predicted, tol) -> bool:
    """A fitted log-log slope within ``tol`` (exclusive) of its prediction."""
    return abs(slope - predicted) < tol


def above_within(observed, lower, rel) -> bool:
    """A lower bound holds for ``observed`` moved up by its relative rounding ``rel``: observed (1 + rel) >= lower."""
    return observed * (1 + rel) >= lower


def below_within(observed, upper, rel) -> bool:
    """An upper bound holds for ``observed`` moved down by its relative rounding ``rel``: observed (1 - rel) <= upper."""
    return observed * (1 - rel) <= upper


def flattest_sample_above(sharpness_values, s_lb, rel) -> bool:
    """MC-LB: the *smallest* sampled sharpness (the flattest minimizer) is >= S_LB up to the relative rounding
    ``rel`` (:func:`above_within`); one sample below S_LB is a violation."""
    return above_within(min(sharpness_values), s_lb, rel)


def paths_agree(reference, others, rel) -> bool:
    """Independent paths to one number agree: :func:`relative_gap` strictly below ``rel``."""
    return relative_gap(reference, *others) < rel


def equality_expected(L, mu, others) -> bool:
    """MC-Smin equality family: S_min = S_LB iff L mu >= every other eigenvalue (w* an eigenvector for mu)."""
    return L * mu >= max(others)


def equality_as_predicted(s_min, s_lb, expected: bool, rel) -> bool:
    """S_min = S_LB (within ``rel``, :func:`agree`) exactly when the theory predicts equality, and not otherwise."""
    return agree(s_min, s_lb, rel) == expected


def every_mutant_caught(caught) -> bool:
    """Each deliberately wrong bound is violated by the attaining minimizer (``caught[k]``); at least one mutant."""
    return bool(caught) and all(caught)


def every_run_within(statuses, ratios, at_most=1) -> bool:
    """MC-SI: every float64 flow converged (status 1) and every S / S_SI <= ``at_most``."""
    return all(st == 1 for st in statuses) and all(r <= at_most for r in ratios)


def every_check_passed(passed) -> bool:
    """Every one of a row's derivation checks passed (one False among them fails the row)."""
    return all(passed)


def all_converged_above(statuses, sharpness_values, s_lb) -> bool:
    """MC-RI / MC-SI: every flow converged to a minimizer with S >= S_LB (:func:`converged_above`)."""
    return all(converged_above(st, S, s_lb) for st, S in zip(statuses, sharpness_values, strict=True))


def approaches_balanced(statuses, sharpness_values, s_lb, excess, below=BALANCED_EXCESS) -> bool:
    """MC-SI [S/S_bal -> 1]: every run converged above S_LB and |S/S_bal - 1| shrinks to below ``below``."""
    return all_converged_above(statuses, sharpness_values, s_lb) and shrinks_to(excess, below)


def imbalance_bound(rtol, scale, factor=IMBALANCE_FACTOR):
    """The allowed drift of the conserved imbalances D_k: ``factor`` x the integrator's rtol x (max ||D_k(0)|| + 1)."""
    return factor * rtol * scale


def imbalance_conserved(status, drift, bound) -> bool:
    """DLN-imbalance (GF): the mpmath flow reached t_end (``integrate`` status 0) and the drift is <= ``bound``."""
    return status == 0 and drift <= bound


def _values(c: dl.DataConstants, L: int) -> dict:
    return dict(L=L, a=c.a, a_prime=c.a_prime, Lambda=c.Lambda, w_norm=c.w_norm)


def _row(theorem, provenance, instance, depth, observed, bound, margin, passed, note="", slope="", predicted=""):
    return Verdict(theorem=theorem, provenance=provenance, instance=instance, depth=str(depth), alpha_range="-",
                   observed=fmt(observed, 8) if observed is not None else "", bound=fmt(bound, 8) if bound is not None
                   else "", margin=fmt(margin, 8) if margin is not None else "", passed=bool(passed), slope=slope,
                   slope_predicted=predicted, note=note, alpha_convention="n/a")


def sampled_minimizers(w: np.ndarray, L: int, rng, count: int) -> list[dl.DeepLinearNetwork]:
    """Balanced rank-one, aligned at random t, unbalanced with random widths/scales, residual with head e_1."""
    d = len(w)
    nets = [dl.balanced_rank_one_minimizer(w, L)]
    nets.append(dl.aligned_minimizer(w, L, float(np.exp(rng.uniform(-2, 2))), rng=rng))
    for _ in range(count):
        widths = [int(v) for v in rng.integers(1, 5, size=L - 1)]
        scales = list(np.exp(rng.uniform(-1, 1, size=L)))
        nets.append(dl.random_minimizer(w, L, widths, rng, scales=scales))
        head = dl.to_mp(np.eye(d)[0])
        nets.append(dl.random_minimizer(w, L, [d] * L, rng, scales=[0.8] * L, head=head))
    return nets


def _mc_lb_rows(data, L, rng, count, verdicts):
    with mpmath.workdps(DPS):
        c = dl.data_constants(data, "mp")
        w = data.w_star("mp")
        s_lb = ts.MC_LB.bound("S_LB").evaluate(DPS, **_values(c, L))
        nets = sampled_minimizers(w, L, rng, count)
        S = [dl.sharpness_closed_form(net, data).value for net in nets]
        worst = min(S)
        ok = flattest_sample_above(S, s_lb, mpmath.mpf(10) ** -AGREE_DIGITS)
        verdicts.append(_row("MC-LB", "paper", data.name, L, worst, s_lb, worst / s_lb, ok,
                             note="" if L != 3 else f"{len(nets)} sampled minimizers per depth (closed form)"))
        # two independent sharpness paths on one unbalanced sample: the full Hessian and Lanczos on HVPs
        net = nets[2]
        ex = dl.sharpness_exact(net, data).value
        lz = dl.sharpness_lanczos(net, data).value
        cf = S[2]
        gap = relative_gap(ex, cf, lz)
        verdicts.append(_row("MC-LB [closed form = full Hessian = Lanczos]", "derived", data.name, L, gap,
                             mpmath.mpf(10) ** -AGREE_DIGITS, None,
                             paths_agree(ex, (cf, lz), mpmath.mpf(10) ** -AGREE_DIGITS),
                             note="" if L != 3 else "observed: relative gap between the three sharpness paths"))
        # S_min: the 1-D formula, the attaining minimizer, the ordering, no sample below
        m = dl.min_sharpness(data, L, dps=DPS)
        s_bal = dl.balanced_sharpness(data, L, dps=DPS)
        s_closed = ts.MC_SMIN.bound("S_min_closed").evaluate(DPS, **_values(c, L))
        attained = dl.sharpness_exact(dl.aligned_minimizer(w, L, m.t), data).value
        tol = mpmath.mpf(10) ** -AGREE_DIGITS
        ok_att = agree(attained, m.value, tol)
        verdicts.append(_row("MC-Smin [attained]", "derived", data.name, L, attained, m.value, attained / m.value,
                             ok_att))
        order = ordered(s_lb, s_closed, m.value, s_bal, worst, tol)
        verdicts.append(_row("MC-Smin [S_LB<=S_closed<=S_min<=S_bal<=S]", "derived", data.name, L, m.value, s_lb,
                             m.value / s_lb, order,
                             note="" if L != 3 else "observed S_min, bound S_LB; also min sampled S >= S_min"))
        # equality on the equality family (w* an eigenvector of Sigma): compare within the computed digits
        s_bal_upper = ts.MC_BAL.bound("S_bal_upper").evaluate(DPS, **_values(c, L))
        bal_ok = below_within(s_bal, s_bal_upper, tol)
        verdicts.append(_row("MC-Sbal [<= 2|w*|^(2-2/L)(Lambda+(L-1)a)]", "derived", data.name, L, s_bal,
                             s_bal_upper, None, bal_ok))
        return m, s_lb


def _equality_rows(verdicts):
    data = instances()[2]
    for L in (2, 3, 5):
        with mpmath.workdps(DPS):
            c = dl.data_constants(data, "mp")
            m = dl.min_sharpness(data, L, dps=DPS)
            b = ts.MC_LB.bound("S_LB")
            s_lb = b.evaluate(DPS, **_values(c, L))
            # mu = 4/3 (index 1), others 1/3 and 3: equality iff L * 4/3 >= 3, i.e. L >= 3
            expect_equal = equality_expected(L, EIGVEC_MU, EIGVEC_OTHERS)
            verdicts.append(_row("MC-Smin [equality iff L mu >= others]", "derived", data.name, L, m.value, s_lb,
                                 m.value / s_lb,
                                 equality_as_predicted(m.value, s_lb, expect_equal, mpmath.mpf(10) ** -AGREE_DIGITS),
                                 note="" if L != 3 else "eigvec-d3: mu = 4/3, others 1/3, 3: S_min = S_LB iff L >= 3"))
            if expect_equal:
                Lsym = ts.L
                mutants = {"x1.1": b.mutated(scale="11/10"), "exp 2-1/L": b.mutated(power=(ts.w_norm, 1 / Lsym))}
                caught = [not mb.holds(m.value, DPS, **_values(c, L)) for mb in mutants.values()]
                verdicts.append(_row("MC-LB [mutants caught]", "paper", data.name, L, sum(caught), len(mutants), None,
                                     every_mutant_caught(caught), note="" if L != 3 else
                                     "the attaining minimizer violates S_LB x 1.1 and ||w*||^(2-1/L) (||w*|| = 3)"))


def _homogeneity_rows(verdicts):
    base = instances()[0]
    scaled = dl.RegressionData(base.X, tuple(3 * v for v in base.y), "gauss-n20-d3 (y x 3)")
    for L in (2, 4):
        m1 = dl.min_sharpness(base, L, dps=DPS).value
        m3 = dl.min_sharpness(scaled, L, dps=DPS).value
        with mpmath.workdps(DPS):
            predicted = mpmath.mpf(3) ** (2 - mpmath.mpf(2) / L)
            ratio = m3 / m1
            ok = agree(ratio, predicted, mpmath.mpf(10) ** -AGREE_DIGITS)
        verdicts.append(_row("MC-LB [homogeneity y -> 3y]", "derived", base.name, L, ratio, predicted,
                             ratio / predicted, ok, note="" if L != 2 else "S_min(3y)/S_min(y) vs 3^(2-2/L)"))


def _float_constants(data, L):
    c = dl.data_constants(data, "float")
    v = _values(c, L)
    return (float(ts.MC_LB.bound("S_LB").evaluate(20, **v)), float(ts.MC_SI.bound("S_SI").evaluate(20, **v)),
            float(dl.balanced_sharpness(data, L, dps=20)))


def small_init_run(data, L, s, seed, tol=1e-13):
    """GF from N(0, s^2) entries (float64) to R - R_min <= tol; returns (flow result, S, net0)."""
    net0 = dl.small_init(data.d, L, s, np.random.default_rng(seed))
    res = dl.gradient_flow(net0, data, 1e6, rtol=1e-9, atol=1e-13, stop_excess_loss=tol)
    return res, dl.sharpness_exact(res.net, data).value, net0


def _structure_ok(net, net0, slack=STRUCTURE_SLACK):
    return deriv.check_imbalance_consequences(net, net0, slack).passed


def _small_init_rows(thorough, verdicts):
    data = instances()[1]
    L = 10
    s_lb, s_si, s_bal = _float_constants(data, L)
    scales = (0.25, 0.35) if not thorough else (0.15, 0.25, 0.3, 0.35)
    seeds = (1,) if not thorough else (1, 2, 3)
    worst, statuses, struct, si_ratios, ratios = 0.0, [], [], [], []
    for s in scales:
        for seed in seeds:
            res, S, net0 = small_init_run(data, L, s, seed)
            statuses.append(res.status)
            struct.append(_structure_ok(res.net, net0))
            si_ratios.append(S / s_si)
            worst = max(worst, S / s_si)
            d0 = max(float(np.linalg.norm(D, 2)) for D in dl.imbalances(net0))
            ratios.append(f"s={s}: S/S_LB={S / s_lb:.3f}, S/(8 L Lambda)={S / s_si:.3f}, max||D_k(0)||={d0:.2f}")
    note = f"documented regime s <= 0.35 (n=50, d=5, L=10), {len(seeds)} seed(s): " + ", ".join(ratios)
    if thorough:
        out = []
        for s in (0.5, 0.6):
            for seed in (1, 2):
                res, S, net0 = small_init_run(data, L, s, seed)
                d0 = max(float(np.linalg.norm(D, 2)) for D in dl.imbalances(net0))
                out.append(f"s={s} seed {seed}: S/(8 L Lambda)={S / s_si:.2f}{' FAILS' if S > s_si else ''} "
                           f"(max||D_k(0)||={d0:.2f})")
        note += "; outside the regime: " + ", ".join(out)
    verdicts.append(_row("MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]", "reconstructed", data.name, L, worst * s_si, s_si,
                         worst, every_run_within(statuses, si_ratios), note=note))
    verdicts.append(_row("MC-SI [rank-one / top-sv bounds]", "derived", data.name, L, None, None, None,
                         every_check_passed(struct),
                         note="sigma_2(W_k)^2 <= sum_{j>=k} ||D_j(0)||, |sigma_1(W_k)^2 - sigma_1(W_k+1)^2| <= "
                              "||D_k(0)||, Davis-Kahan alignment, at the limit"))
    # S -> S_bal as s -> 0 (L = 3, where the escape is quick)
    data3 = instances()[0]
    L3 = 3
    s_lb3, s_si3, s_bal3 = _float_constants(data3, L3)
    ss = (0.1, 0.03, 0.01) if not thorough else (0.1, 0.03, 0.01, 0.003)
    excess, statuses3, sharp3 = [], [], []
    for s in ss:
        res, S, _ = small_init_run(data3, L3, s, seed=1)
        statuses3.append(res.status)
        sharp3.append(S)
        excess.append(S / s_bal3 - 1)
    slope = loglog_slope(ss, [abs(e) for e in excess])
    verdicts.append(_row("MC-SI [S/S_bal -> 1 as s -> 0]", "paper", data3.name, L3, 1 + excess[-1], 1,
                         1 + excess[-1], approaches_balanced(statuses3, sharp3, s_lb3, excess), slope=fmt(slope, 3),
                         predicted="> 0", note="S/S_bal - 1 = " + ", ".join(f"{e:.2e}" for e in excess)
                         + f" at s = {ss}; slope of log(S/S_bal - 1) vs log s (observed, no predicted value)"))


def _residual_rows(thorough, verdicts):
    data = instances()[1]
    for L in ((5, 10) if not thorough else (5, 10, 20)):
        s_lb, _, _ = _float_constants(data, L)
        ratios, statuses, sharpness = [], [], []
        for s in ((0.25, 1.0) if not thorough else (0.0, 0.25, 0.5, 1.0)):
            net0 = dl.residual_init(data.d, L, s, np.random.default_rng(1))
            res = dl.gradient_flow(net0, data, 1e5, rtol=1e-9, atol=1e-13, stop_excess_loss=1e-13)
            S = dl.sharpness_exact(res.net, data).value
            statuses.append(res.status)
            sharpness.append(S)
            ratios.append((s, S / s_lb))
        worst = max(r for _, r in ratios)
        verdicts.append(_row("MC-RI [converges, S >= S_LB]", "paper", data.name, L, worst * s_lb, s_lb, worst,
                             all_converged_above(statuses, sharpness, s_lb),
                             note=f"L={L}: S/S_LB = " + ", ".join(f"{r:.3f} (s={s})" for s, r in ratios)
                                  + "; constant unknown (no upper bound asserted)"))


def imbalance_drift_mp(data, L=3, s=0.5, t_end=1, dps=30, rtol="1e-14", seed=4, method="rk45"):
    """(max_k ||D_k(t_end) - D_k(0)||_F along the mpmath flow, scale max_k ||D_k(0)||_F + 1, flow result)."""
    with mpmath.workdps(dps):
        net0 = dl.small_init(data.d, L, s, np.random.default_rng(seed), kind="mp")
        res = dl.gradient_flow(net0, data, t_end, rtol=mpmath.mpf(rtol), atol=mpmath.mpf(rtol), dps=dps,
                               method=method)
        D0, D1 = dl.imbalances(net0), dl.imbalances(res.net)
        drift = max(dl._norm(a - b) for a, b in zip(D1, D0))
        scale = max(dl._norm(a) for a in D0) + 1
        return drift, scale, res


def gd_drift(data, etas=(0.02, 0.01, 0.005), L=3, s=0.3, T=2.0, seed=2):
    net0 = dl.small_init(data.d, L, s, np.random.default_rng(seed))
    D0 = dl.imbalances(net0)
    out = []
    for eta in etas:
        res = dl.deep_gradient_descent(net0, data, eta, int(round(T / eta)))
        out.append(max(float(np.linalg.norm(a - b)) for a, b in zip(dl.imbalances(res.net), D0)))
    return out


def _imbalance_rows(thorough, verdicts):
    data = instances()[0]
    runs = [("rk45", "1e-14", 30)] + ([("radau13", "1e-25", 35)] if thorough else [])
    for method, rtol, dps in runs:
        drift, scale, res = imbalance_drift_mp(data, rtol=rtol, dps=dps, method=method)
        bound = imbalance_bound(mpmath.mpf(rtol), scale)
        verdicts.append(_row(f"DLN-imbalance [GF, mpmath {dps} digits]", "standard", data.name, 3, drift, bound,
                             drift / bound, imbalance_conserved(res.status, drift, bound),
                             note=f"integrate({method}), rtol = atol = {rtol}, {res.nsteps} steps to t = 1; "
                                  "bound = 100 rtol (max ||D_k(0)|| + 1)"))
    etas = (0.02, 0.01, 0.005) if not thorough else (0.04, 0.02, 0.01, 0.005, 0.0025)
    drifts = gd_drift(data, etas)
    slope = loglog_slope(etas, drifts)
    verdicts.append(_row("DLN-imbalance [GD drifts O(eta)]", "standard", data.name, 3, drifts[-1], None, None,
                         slope_within(slope, GD_DRIFT_SLOPE, GD_SLOPE_TOL), slope=fmt(slope, 4), predicted="1",
                         note="max_k ||D_k(T) - D_k(0)|| at T = 2 for eta = " + ", ".join(map(str, etas))))


def _derivation_rows(verdicts):
    checks = deriv.symbolic_checks()
    failed = [c.name for c in checks if not c.passed]
    verdicts.append(_row("MC proof steps (SymPy)", "derived", "symbolic", "2..5", len(checks) - len(failed),
                         len(checks), None, every_check_passed([c.passed for c in checks]), note="failed: " + "; ".join(failed) if failed else ""))
    data = instances()[0]
    rng = np.random.default_rng(11)
    passed = []
    with mpmath.workdps(DPS):
        w = data.w_star("mp")
        for L in (2, 3, 5):
            net = dl.random_minimizer(w, L, list(rng.integers(1, 4, size=L - 1)), rng)
            passed += [deriv.check_test_direction(net, data).passed, deriv.check_metric_domination(net, w).passed]
    verdicts.append(_row("MC-LB/Smin [test direction, M domination]", "derived", data.name, "2,3,5", None, None,
                         None, every_check_passed(passed)))


def _eos_rows(verdicts):
    """GD at eta = f * 2 / S_LB from residual init (L = 5): converges for f = 0.9, not for f = 1.02 (MC-EoS)."""
    data = instances()[1]
    L = 5
    c = dl.data_constants(data, "float")
    eta_max = float(ts.MC_EOS.bound("eta_max").evaluate(20, **_values(c, L)))
    out = {}
    for f in (0.9, 1.02):
        net0 = dl.residual_init(data.d, L, 0.25, np.random.default_rng(1))
        res = dl.deep_gradient_descent(net0, data, f * eta_max, 5000, stop_excess_loss=1e-12)
        out[f] = res
    ok = edge_of_stability(out[0.9].status, out[1.02].status, dl.excess_loss(out[1.02].net, data))
    verdicts.append(_row("MC-EoS [GD eta > 2/S_LB does not converge]", "reconstructed", data.name, L, None, eta_max,
                         None, ok, note=f"GD from residual init s=0.25: eta = 0.9 x 2/S_LB converged in "
                                        f"{out[0.9].t} steps; eta = 1.02 x 2/S_LB: excess loss "
                                        f"{float(dl.excess_loss(out[1.02].net, data)):.3g} after 5000 steps"))


def run(thorough: bool = False) -> list[Verdict]:
    verdicts: list[Verdict] = []
    rng = np.random.default_rng(2024)
    count = 3 if not thorough else 12
    depths = (2, 3, 5) if not thorough else (2, 3, 4, 5, 8)
    for data in instances(thorough):
        for L in depths:
            _mc_lb_rows(data, L, rng, count, verdicts)
    _equality_rows(verdicts)
    _homogeneity_rows(verdicts)
    _derivation_rows(verdicts)
    _imbalance_rows(thorough, verdicts)
    _small_init_rows(thorough, verdicts)
    _residual_rows(thorough, verdicts)
    _eos_rows(verdicts)
    return verdicts
