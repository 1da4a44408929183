"""Marion & Chizat (2024): deep linear networks are regularized towards flat minima."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import mpmath

from implicitreg.experiments.figure import (FIGURES, Curve, FigureData, Marker, Panel, Progress, bound_curve,
                                            check_against, figure, tail_fit)


# ============================================================================================
# Deep linear networks (Marion & Chizat): sharpness after training
# ============================================================================================

def _regression_data(n: int, d: int, seed: int, noise: float = 1.0, n_test: int = 0):
    """The authors' setup (deep_linear.md s4), rounded to 3 decimals so the data is exact:
    X, X_test ~ N(0, 1), y = X w_true + noise * xi, y scaled by 1/||w*|| (rounded, so ||w*|| ~ 1)."""
    import numpy as np

    from implicitreg.numerics.deep_linear import RegressionData

    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, d)), 3)
    w_true = rng.standard_normal(d)
    y = X @ w_true + noise * rng.standard_normal(n)
    Xt = np.round(rng.standard_normal((n_test, d)), 3) if n_test else None
    yt = (Xt @ w_true + noise * rng.standard_normal(n_test)) if n_test else None
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    scale = 1 / np.linalg.norm(w_star)
    data = RegressionData.from_lists([[f"{v:.3f}" for v in r] for r in X], [f"{v * scale:.4f}" for v in y],
                                     name=f"gaussian n={n} d={d} seed={seed}")
    test = None
    if n_test:
        test = RegressionData.from_lists([[f"{v:.3f}" for v in r] for r in Xt], [f"{v * scale:.4f}" for v in yt],
                                         name="test")
    return data, test


@dataclass
class TrainingRun:
    """One GD run: init scale, depth, step size, status (1 converged, 0 not yet, -1 diverged), sharpness after
    training and at initialization (Lanczos), excess loss, mean((w - w*)^2), train/test loss."""

    scale: float
    depth: int
    seed: int
    status: int
    steps: int
    sharpness: float | None
    sharpness_init: float | None
    excess_loss: float | None
    distance: float | None
    test_loss: float | None = None
    train_loss: float | None = None
    sharpness_residual: float | None = None
    eta: float | None = None
    diverged_at: int | None = None


def _init(data, init: str, depth: int, scale: float, seed: int):
    import numpy as np

    from implicitreg.numerics import deep_linear as DL

    rng = np.random.default_rng(seed)
    return (DL.small_init(data.d, depth, scale, rng) if init == "small"
            else DL.residual_init(data.d, depth, scale, rng))


def _train_batch(data, init: str, depth: int, configs, steps: int, tol: float, test=None,
                 progress: Progress | None = None, sharpness: bool = True) -> list[TrainingRun]:
    """GD for every (scale, seed, eta) in ``configs`` at once (numerics.batched_gd, float64, the authors' fixed
    step budget); converged when R - R_min <= tol at the end. Sharpness: the top Hessian eigenvalue by Lanczos on
    Hessian-vector products (numerics.deep_linear.sharpness_lanczos; its Ritz residual is kept)."""
    import numpy as np

    from implicitreg.numerics import deep_linear as DL
    from implicitreg.numerics.batched_gd import batched_gradient_descent, stack

    nets = [_init(data, init, depth, s, seed) for s, seed, _ in configs]
    Ws, head = stack(nets)
    res = batched_gradient_descent(Ws, head, data, [eta for _, _, eta in configs], steps)
    w_star = data.w_star("float")
    runs = []
    with np.errstate(all="ignore"):
        for i, ((s, seed, eta), net0) in enumerate(zip(configs, nets)):
            s0 = float(DL.sharpness_lanczos(net0, data).value) if sharpness else None
            if res.diverged[i]:
                runs.append(TrainingRun(s, depth, seed, -1, int(res.diverged_at[i]), None, s0, None, None, eta=eta,
                                        diverged_at=int(res.diverged_at[i])))
            else:
                net = res.network(i)
                excess = float(DL.excess_loss(net, data))
                S = DL.sharpness_lanczos(net, data) if sharpness else None
                run = TrainingRun(s, depth, seed, 1 if excess <= tol else 0, steps, S and float(S.value), s0, excess,
                                  float(np.mean((DL.end_to_end(net) - w_star) ** 2)),
                                  sharpness_residual=S and float(S.error_bound), eta=eta)
                if test is not None:
                    run.train_loss = float(DL.loss(net, data))
                    run.test_loss = float(DL.loss(net, test))
                runs.append(run)
            if progress is not None:
                progress.step()
    return runs


def _mc_facts(data):
    """Values of the symbols of theory.sharpness for ``data`` (numerics.deep_linear.data_constants)."""
    from implicitreg.numerics import deep_linear as DL

    with mpmath.workdps(30):
        c = DL.data_constants(data, "mp")
    return {"a": c.a, "Lambda": c.Lambda, "w_norm": c.w_norm, "kappa": c.kappa, "a_prime": c.a_prime}, c


def mean_band(values, level: float = 0.95):
    """(mean, low, high): the mean and its Student-t confidence interval at ``level`` (None with < 2 values)."""
    import numpy as np
    import scipy.special

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return None, None, None
    m = float(v.mean())
    if len(v) < 2:
        return m, None, None
    h = float(scipy.special.stdtrit(len(v) - 1, (1 + level) / 2) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - h, m + h


def _banded_curve(panel, series, label, provenance, source, xs, groups) -> Curve:
    stats = [mean_band(g) for g in groups]
    keep = [(x, st) for x, st in zip(xs, stats) if st[0] is not None]
    return Curve(panel, series, "observed", label, provenance, [x for x, _ in keep], [st[0] for _, st in keep],
                 source, y_low=[st[1] for _, st in keep], y_high=[st[2] for _, st in keep],
                 band="95% confidence interval of the mean over seeds (Student t)")


def _mark_runs(fig: FigureData, panel: str, runs, series: str, y_diverged: float) -> None:
    """Diverged runs as markers (at y = 2/eta), in the plot and in the data file."""
    for r in runs:
        if r.status < 0:
            fig.markers.append(Marker(panel, series, r.scale, y_diverged, "diverged run (weights non-finite)",
                                      f"seed {r.seed}, eta {r.eta:g}, diverged at step {r.diverged_at}",
                                      kind="diverged", method="numerics.batched_gd (float64 GD)",
                                      provenance="computed"))


def _mark_violations(fig: FigureData) -> None:
    """Every bound check that does not hold becomes a marker at the observed value."""
    for c in fig.checks:
        if not c.holds:
            fig.markers.append(Marker(c.panel, c.series, c.x, c.observed, f"bound violated ({c.provenance} bound)",
                                      f"{c.bound}: observed {c.observed:.6g} vs bound {c.bound_value:.6g}; {c.note}",
                                      kind="violation", method=c.bound, provenance="computed (BoundCheck)"))


COMPUTED = "computed (numerics.batched_gd: GD float64; Lanczos on Hessian-vector products)"


def _mc_sharpness_figure(name: str, init: str, quick: bool, progress: Progress, *, n, d, depths, scales, eta,
                         steps, reps, upper: bool, n_test: int = 0, tol: float = 1e-12, data_xy=None) -> FigureData:
    """Sharpness after ``steps`` of GD for every (depth, scale, seed), with MC-LB (and, if ``upper``, the
    reconstructed MC-SI bound) evaluated from theory.sharpness; mean over seeds with confidence bands; S / S_LB;
    sharpness vs depth (>= 4 depths) with its fitted slope; optional test data for the generalization gap."""
    from implicitreg.theory import sharpness as T

    if data_xy is None:
        data_xy, test = _regression_data(n, d, seed=0, n_test=n_test)
    else:
        n, d, n_test, test = data_xy.n, data_xy.d, 0, None
    facts, consts = _mc_facts(data_xy)
    panels = [Panel("sharpness", f"sharpness after training (GD, eta = {eta}, {steps} steps)",
                    "initialization scale s", "S(W) (top Hessian eigenvalue, loss 1/n ||y - Xw||^2)", "linear", "log"),
              Panel("ratio", "sharpness over MC-LB's lower bound", "initialization scale s",
                    "S(W) / S_LB,  S_LB = 2 L a ||w*||^(2-2/L)", "linear", "log")]
    if len(depths) >= 4:
        panels.append(Panel("depth", "sharpness vs depth (smallest s, mean over seeds)", "depth L", "S(W)", "log",
                            "log", integer_x=True))
    if n_test:
        panels.append(Panel("gap", "generalization gap vs sharpness", "S(W)", "test loss - train loss", "log", "log"))
    fig = FigureData(name, FIGURES[name].title, FIGURES[name].description, panels,
                     meta={"n": n, "d": d, "depths": list(depths), "scales": list(scales), "eta": eta,
                           "steps": steps, "reps": reps, "init": init, "converged_if_excess_loss_below": tol,
                           "loss_convention": "R = (1/n) ||y - X w||^2 (no 1/2)",
                           "data": {"a": float(consts.a), "Lambda": float(consts.Lambda),
                                    "lambda_min": float(consts.lambda_min), "kappa": float(consts.kappa),
                                    "w_norm": float(consts.w_norm)}})
    progress.start(len(depths) * len(scales) * reps)
    runs: list[TrainingRun] = []
    smallest: dict[int, list[float]] = {}
    for L in depths:
        series = f"L={L}"
        configs = [(s, 1000 * r + 17, eta) for s in scales for r in range(reps)]
        Lruns = _train_batch(data_xy, init, L, configs, steps, tol, test, progress)
        runs.extend(Lruns)
        ok = [r for r in Lruns if r.status == 1]
        trained = [r for r in Lruns if r.status >= 0]
        svals = sorted(set(scales))
        fig.curves.append(_banded_curve("sharpness", series, "S after training (mean over seeds)", COMPUTED,
                                        "implicitreg.numerics.deep_linear.sharpness_lanczos", svals,
                                        [[r.sharpness for r in ok if r.scale == s] for s in svals]))
        fig.curves.append(Curve("sharpness", series, "observed", "S after training (each run)", COMPUTED,
                                [r.scale for r in ok], [r.sharpness for r in ok],
                                "implicitreg.numerics.deep_linear.sharpness_lanczos", style="scatter"))
        fig.curves.append(Curve("sharpness", series, "observed", "S at initialization (each run)",
                                "computed (numerics.deep_linear: Lanczos on Hessian-vector products)",
                                [r.scale for r in Lruns], [r.sharpness_init for r in Lruns],
                                "implicitreg.numerics.deep_linear.sharpness_lanczos", style="scatter-open"))
        vals = dict(facts, L=L)
        lb_curve, lb_vals = bound_curve("sharpness", series, T.MC_LB, T.MC_LB.bound("S_LB"), svals,
                                        [vals] * len(svals), label=f"2 L a ||w*||^(2-2/L), {series}")
        fig.curves.append(lb_curve)
        lb = lb_vals[0]
        fig.curves.append(_banded_curve("ratio", series, "S / S_LB (mean over seeds)", COMPUTED,
                                        "implicitreg.numerics.deep_linear.sharpness_lanczos", svals,
                                        [[r.sharpness / float(lb) for r in ok if r.scale == s] for s in svals]))
        # MC-LB's hypotheses (theory.sharpness) decided per run: a minimizer within the tolerance, unit head
        run_facts = [{"L": L, "w_norm": consts.w_norm, "excess_loss": r.excess_loss, "excess_tol": tol,
                      "p_norm": 1} for r in trained]
        applicable = [not T.MC_LB.failed_hypotheses(f) for f in run_facts]
        check_against(fig, "sharpness", series, T.MC_LB, T.MC_LB.bound("S_LB"), [r.scale for r in trained],
                      [r.sharpness for r in trained], [lb] * len(trained), applicable,
                      note=f"runs meeting MC-LB's hypotheses (R - R_min <= {tol:g})")
        if upper:
            ub_curve, ub_vals = bound_curve("sharpness", series, T.MC_SI, T.MC_SI.bound("S_SI"), svals,
                                            [vals] * len(svals), label=f"8 L Lambda ||w*||^(2-2/L), {series}")
            fig.curves.append(ub_curve)
            fig.curves.append(Curve("ratio", series, "upper", f"S_SI / S_LB = 4 Lambda / a, {series}",
                                    ub_curve.provenance, svals, [float(ub_vals[0] / lb)] * len(svals),
                                    ub_curve.source))
            check_against(fig, "sharpness", series, T.MC_SI, T.MC_SI.bound("S_SI"), [r.scale for r in ok],
                          [r.sharpness for r in ok], [ub_vals[0]] * len(ok),
                          note="reconstructed constant; smallness condition on s unknown")
        _mark_runs(fig, "sharpness", Lruns, series, 2 / eta)
        at_min = [r.sharpness for r in ok if r.scale == min(scales)]
        if at_min:
            smallest[L] = at_min
    fig.curves.append(Curve("ratio", "S_LB", "lower", "S / S_LB = 1 (MC-LB)", "paper (MC-LB S_LB)",
                            [min(scales), max(scales)], [1.0, 1.0], "implicitreg.theory: MC-LB/S_LB"))
    fig.curves.append(Curve("sharpness", "GD", "reference", f"2 / eta = {2 / eta:g} (GD stability)",
                            "standard (GD on a quadratic is stable only if eta < 2/S)",
                            [min(scales), max(scales)], [2 / eta, 2 / eta], "gradient descent stability"))
    Ls = sorted(smallest)
    if len(depths) >= 4 and len(Ls) >= 4:
        stats = [mean_band(smallest[L]) for L in Ls]
        fig.curves.append(Curve("depth", "depth", "observed", f"S at s = {min(scales):g} (mean over seeds)",
                                COMPUTED, Ls, [m for m, _, _ in stats], "implicitreg.numerics.deep_linear",
                                y_low=[lo for _, lo, _ in stats], y_high=[hi for _, _, hi in stats],
                                band="95% confidence interval of the mean over seeds (Student t)"))
        c, _ = bound_curve("depth", "S_LB", T.MC_LB, T.MC_LB.bound("S_LB"), Ls, [dict(facts, L=L) for L in Ls],
                           label="2 L a ||w*||^(2-2/L)")
        fig.curves.append(c)
        if upper:
            c, _ = bound_curve("depth", "S_SI", T.MC_SI, T.MC_SI.bound("S_SI"), Ls, [dict(facts, L=L) for L in Ls],
                               label="8 L Lambda ||w*||^(2-2/L)")
            fig.curves.append(c)
        tail_fit(fig, "depth", "depth", Ls, [m for m, _, _ in stats], float("inf"), 1,
                 "paper (MC-LB: S_LB ~ L)")
    fig.meta["depths_fitted"] = Ls if len(depths) >= 4 else []
    if n_test:
        ok = [r for r in runs if r.status == 1 and r.test_loss is not None]
        fig.curves.append(Curve("gap", "gap", "observed", "generalization gap (each run)",
                                "computed (numerics.deep_linear)", [r.sharpness for r in ok],
                                [r.test_loss - r.train_loss for r in ok], "implicitreg.numerics.deep_linear.loss",
                                style="scatter"))
        pos = [(r.sharpness, r.test_loss - r.train_loss) for r in ok if r.test_loss - r.train_loss > 0]
        if len(pos) >= 2:
            tail_fit(fig, "gap", "gap", [a for a, _ in pos], [b for _, b in pos], float("inf"), None, "")
    _mark_violations(fig)
    fig.meta["runs"] = [asdict(r) for r in runs]
    fig.meta["not_converged"] = sum(r.status == 0 for r in runs)
    fig.meta["diverged"] = sum(r.status < 0 for r in runs)
    fig.meta["violations"] = [asdict(c) for c in fig.checks if not c.holds]
    return fig


#: the sharpness-after-training figures (authors' set-ups): name, title, the arguments of :func:`_mc_sharpness_figure`,
#: the quick / full grids (``scales`` of the full grid: numpy.linspace arguments) and the caption
_SHARPNESS_FIGURES = (
    dict(name="mc-small-init", title="MC: sharpness after training from a small initialization, with the bounds",
         init="small", instance="regression", setting=dict(n=50, d=5, depths=(2, 3, 5, 10), eta=0.02, upper=True),
         quick=dict(scales=[0.25, 0.4], steps=1500, reps=1), full=dict(scales=(0.25, 0.6, 10), steps=10000, reps=20),
         description="Full-batch GD from W_k entries ~ N(0, s^2) at the paper's size n = 50, d = 5 (authors' code): "
                     "sharpness after training (mean over seeds, 95% band) and S / S_LB vs s for depths 2, 3, 5, 10, "
                     "with MC-LB's 2 L a ||w*||^(2-2/L) and the reconstructed MC-SI 8 L Lambda ||w*||^(2-2/L); "
                     "sharpness vs depth with its fitted slope; violations and diverged runs marked."),
    dict(name="mc-residual", title="MC: sharpness after training from a residual initialization, with the lower bound",
         init="residual", instance="regression", setting=dict(n=50, d=5, depths=(5, 10, 20, 40), eta=0.02, upper=False),
         quick=dict(scales=[0.0, 1.0], steps=1500, reps=1), full=dict(scales=(0, 1.7, 10), steps=4000, reps=20),
         description="Full-batch GD from W_k = I + (s / sqrt(L d)) N_k with a fixed unit head at the paper's size "
                     "n = 50, d = 5, L = 10 (and L = 5, 20, 40 for the depth panel; authors' code): sharpness (mean "
                     "over seeds, 95% band) and S / S_LB vs s with MC-LB's 2 L a ||w*||^(2-2/L) (MC-RI states no "
                     "constant); sharpness vs depth with its fitted slope; violations and diverged runs marked."),
    dict(name="mc-underdetermined", title="MC: the underdetermined case n < d (w* = minimum-norm solution)",
         init="small", instance=None, setting=dict(n=15, d=20, depths=(5,), eta=0.01, upper=True, tol=1e-8),
         quick=dict(scales=[0.165, 0.23, 0.295], steps=2000, reps=1, n_test=50),
         full=dict(scales=(0.1, 0.36, 9), steps=4000, reps=20, n_test=500),
         description="n = 15 < d = 20, L = 5 (the paper's size), small initialization s in [0.1, 0.36], eta = 0.01 "
                     "(authors' code): sharpness after training with MC-LB's 2 L a ||w*||^(2-2/L) for w* = w_mn and "
                     "the reconstructed 8 L Lambda ||w*||^(2-2/L); generalization gap vs sharpness with its fitted "
                     "slope (the authors' caption reports 0.42)."),
)


def _register_sharpness_figure(name, title, description, instance, init, setting, quick, full):
    def compute(quick_mode: bool, progress: Progress, data_xy=None) -> FigureData:
        import numpy as np

        grid = dict(quick) if quick_mode else \
            dict(full, scales=[float(v) for v in np.linspace(*full["scales"])])
        return _mc_sharpness_figure(name, init, quick_mode, progress, data_xy=data_xy, **setting, **grid)

    figure(name, title, description, instance=instance)(compute)


for _spec in _SHARPNESS_FIGURES:
    _register_sharpness_figure(**_spec)


# ============================================================================================
# Learning rate x depth, and sharpness along training (Marion & Chizat's published set-up)
# ============================================================================================

def _threshold(facts, L):
    """2 / S_LB(L): above this step size GD cannot stay at any minimizer (every minimizer has S >= S_LB by
    MC-LB, and GD is linearly unstable at a minimum with S > 2/eta); the authors draw 2/(2 a L) (||w*|| = 1)."""
    from implicitreg.theory import sharpness as T

    return 2 / T.MC_LB.bound("S_LB").evaluate(30, **dict(facts, L=L))


@figure("mc-lr-depth", "MC: learning rate x depth -- divergence sets in at eta ~ 2 / (2 a L)",
        "Residual initialization (s = 0.25, unit head) at n = 50, d = 5 (authors' code): GD for 1000 steps at "
        "depths 5, 10, 20, 40 over a log grid of step sizes 1e-2 .. 10^-0.3; the fraction of diverged runs and the "
        "squared distance to w* (mean over seeds, 95% band), with the threshold 2 / S_LB = 2 / (2 a L ||w*||^(2-2/L)) "
        "drawn per depth (MC-LB).", instance="regression")
def mc_lr_depth(quick: bool, progress: Progress, data_xy=None) -> FigureData:
    import numpy as np

    from implicitreg.experiments.figure import BoundCheck

    depths = (5, 10, 20, 40)
    etas = [float(v) for v in np.logspace(-2, -0.3, 7 if quick else 25)]
    reps = 2 if quick else 20
    steps, scale, tol = (300 if quick else 1000), 0.25, 1e-10
    if data_xy is None:
        data_xy, _ = _regression_data(50, 5, seed=0)
    facts, consts = _mc_facts(data_xy)
    panels = [Panel("diverged", "fraction of diverged runs", "step size eta", "fraction diverged", "log", "linear",
                    ylim=(-0.03, 1.03)),
              Panel("distance", "squared distance to w* after training (runs that did not diverge)", "step size eta",
                    "mean((w - w*)^2)", "log", "log")]
    fig = FigureData("mc-lr-depth", FIGURES["mc-lr-depth"].title, FIGURES["mc-lr-depth"].description, panels,
                     meta={"n": data_xy.n, "d": data_xy.d, "depths": list(depths), "etas": etas, "reps": reps,
                           "steps": steps, "scale": scale, "init": "residual", "data": {"a": float(consts.a),
                                                                                        "w_norm": float(consts.w_norm)}})
    progress.start(len(depths) * len(etas) * reps)
    thresholds = {}
    for L in depths:
        series = f"L={L}"
        configs = [(scale, 1000 * r + 17, eta) for eta in etas for r in range(reps)]
        runs = _train_batch(data_xy, "residual", L, configs, steps, tol, progress=progress, sharpness=False)
        frac = [sum(r.status < 0 for r in runs if r.eta == eta) / reps for eta in etas]
        fig.curves.append(Curve("diverged", series, "observed", "fraction of diverged runs", COMPUTED, etas, frac,
                                "implicitreg.numerics.batched_gd"))
        fig.curves.append(_banded_curve("distance", series, "squared distance (mean over seeds)", COMPUTED,
                                        "implicitreg.numerics.batched_gd", etas,
                                        [[r.distance for r in runs if r.eta == eta and r.status >= 0] for eta in etas]))
        t = _threshold(facts, L)
        thresholds[L] = float(t)
        for panel, ys in (("diverged", [0, 1]), ("distance", None)):
            if ys is None:
                vals = [r.distance for r in runs if r.distance]
                ys = [min(vals), max(vals)] if vals else [1e-6, 1]
            fig.curves.append(Curve(panel, series, "limit", f"2 / S_LB = {float(t):.3g}, {series}",
                                    "derived (2 / S_LB, MC-LB S_LB)", [float(t), float(t)], ys,
                                    "implicitreg.theory: MC-LB/S_LB"))
        # a run that converged (R - R_min <= tol) sits at a minimizer that GD keeps: eta <= 2 / S <= 2 / S_LB
        for r in runs:
            if r.status == 1:
                fig.checks.append(BoundCheck("diverged", series, "MC-LB/S_LB (2/eta >= S >= S_LB)", "upper",
                                             "derived", r.eta, r.eta, float(t), bool(r.eta <= t),
                                             f"converged run, seed {r.seed}: its step size is below 2 / S_LB"))
        fig.meta.setdefault("runs", []).extend(asdict(r) for r in runs)
    fig.meta["thresholds"] = {str(k): v for k, v in thresholds.items()}
    _mark_violations(fig)
    return fig


@figure("mc-sharpness-training", "MC: sharpness along GD training, with 2 / eta (edge of stability)",
        "Small initialization s = 0.35 at n = 50, d = 5, L = 10 (authors' code): S(W_k) against the step k for "
        "step sizes 0.02, 0.07, 0.1 (mean over seeds with 95% band), the stability limit 2 / eta of each and "
        "MC-LB's S_LB; the squared distance to w* along training.", instance="regression")
def mc_sharpness_training(quick: bool, progress: Progress, data_xy=None) -> FigureData:
    import numpy as np

    from implicitreg.numerics import deep_linear as DL
    from implicitreg.numerics.batched_gd import batched_gradient_descent, stack
    from implicitreg.theory import sharpness as T

    L, scale, steps = 10, 0.35, 450
    etas = (0.02, 0.07, 0.1)
    reps = 2 if quick else 20
    every = 25 if quick else 10
    if data_xy is None:
        data_xy, _ = _regression_data(50, 5, seed=0)
    facts, consts = _mc_facts(data_xy)
    panels = [Panel("sharpness", f"sharpness along training (L = {L}, s = {scale})", "GD step k", "S(W_k)", "linear",
                    "log"),
              Panel("distance", "squared distance to w* along training", "GD step k", "mean((w_k - w*)^2)",
                    "linear", "log")]
    fig = FigureData("mc-sharpness-training", FIGURES["mc-sharpness-training"].title,
                     FIGURES["mc-sharpness-training"].description, panels,
                     meta={"n": data_xy.n, "d": data_xy.d, "L": L, "scale": scale, "etas": list(etas), "reps": reps,
                           "steps": steps, "sharpness_every": every, "data": {"a": float(consts.a),
                                                                              "w_norm": float(consts.w_norm)}})
    progress.start(len(etas) * reps * (steps // every + 1))
    w_star = data_xy.w_star("float")
    lb = T.MC_LB.bound("S_LB").evaluate(30, **dict(facts, L=L))
    for eta in etas:
        series = f"eta={eta}"
        nets = [_init(data_xy, "small", L, scale, 1000 * r + 17) for r in range(reps)]
        Ws, head = stack(nets)
        snaps = []
        res = batched_gradient_descent(Ws, head, data_xy, eta, steps, every=every,
                                       callback=lambda k, W: snaps.append((k, tuple(x.copy() for x in W))))
        ks = [k for k, _ in snaps]
        S = np.full((len(snaps), reps), np.nan)
        dist = np.full((len(snaps), reps), np.nan)
        for j, (k, W) in enumerate(snaps):
            for i in range(reps):
                progress.step()
                if not np.all(np.isfinite(W[-1][i])):
                    continue
                net = DL.DeepLinearNetwork(tuple(x[i] for x in W), head)
                S[j, i] = float(DL.sharpness_lanczos(net, data_xy).value)
                dist[j, i] = float(np.mean((DL.end_to_end(net) - w_star) ** 2))
        for panel, arr in (("sharpness", S), ("distance", dist)):
            fig.curves.append(_banded_curve(panel, series, f"{panel} (mean over seeds)", COMPUTED,
                                            "implicitreg.numerics.batched_gd", ks,
                                            [[v for v in row if np.isfinite(v)] for row in arr]))
        fig.curves.append(Curve("sharpness", series, "reference", f"2 / eta = {2 / eta:g}",
                                "standard (GD on a quadratic is stable only if eta < 2/S)", [0, steps],
                                [2 / eta, 2 / eta], "gradient descent stability"))
        for i in np.flatnonzero(res.diverged):
            fig.markers.append(Marker("sharpness", series, float(res.diverged_at[i]), 2 / eta,
                                      "diverged run (weights non-finite)", f"seed {1000 * i + 17}",
                                      kind="diverged", method="numerics.batched_gd (float64 GD)",
                                      provenance="computed"))
        fig.meta.setdefault("final_sharpness", {})[series] = [None if not np.isfinite(v) else float(v) for v in S[-1]]
        fig.meta.setdefault("diverged", {})[series] = int(res.diverged.sum())
    fig.curves.append(Curve("sharpness", "S_LB", "lower", f"S_LB = 2 L a ||w*||^(2-2/L) = {float(lb):.4g}",
                            "paper (MC-LB S_LB)", [0, steps], [float(lb), float(lb)], "implicitreg.theory: MC-LB/S_LB"))
    fig.meta["S_LB"] = float(lb)
    return fig
