"""Marion & Chizat's nonlinear experiment: a GELU MLP, outside the deep-linear theorems."""
from __future__ import annotations

from implicitreg.experiments.figure import FIGURES, Curve, FigureData, Marker, Panel, Progress, figure
from implicitreg.experiments.mc import _mc_facts, _regression_data, mean_band

OUTSIDE = "reference (MC-LB's deep-linear bound; a GELU network is outside the theorems)"


@figure("mc-gelu", "MC: a GELU MLP (outside the theorems) -- sharpness after training vs initialization scale",
        "The authors' nonlinear variant at n = 50, d = 5, L = 10 with noiseless targets: layers W_k with entries "
        "~ N(0, s^2), GELU (tanh form) between them, GD at eta = 0.07 (the authors' 16000 steps; quick: 1000), "
        "sharpness after training (complex-step Hessian, mean over seeds, 95% band) with "
        "the deep-linear values 2 L a and 8 L Lambda drawn for reference only: no theorem covers this network.")
def mc_gelu(quick: bool, progress: Progress) -> FigureData:
    import numpy as np

    from implicitreg.numerics import gelu_mlp as G

    L = 10
    configs = [(0.07, 1000 if quick else 16000)]
    scales = [0.5, 0.7] if quick else [float(v) for v in np.linspace(0.428, 0.7, 8)]
    reps = 1 if quick else 20
    data_xy, _ = _regression_data(50, 5, seed=0, noise=0.0)
    facts, consts = _mc_facts(data_xy)
    X, y = np.asarray(data_xy.X_array("float"), float), np.asarray(data_xy.y_array("float"), float)
    panels = [Panel("sharpness", f"GELU MLP, L = {L}: sharpness after training (outside the theorems)",
                    "initialization scale s", "S(theta) (top Hessian eigenvalue, loss 1/n sum (f - y)^2)", "linear",
                    "log"),
              Panel("loss", "training loss after training", "initialization scale s", "R(theta)", "linear", "log")]
    fig = FigureData("mc-gelu", FIGURES["mc-gelu"].title, FIGURES["mc-gelu"].description, panels,
                     meta={"n": 50, "d": 5, "L": L, "scales": scales, "reps": reps,
                           "step_sizes_and_steps": configs, "activation": "gelu (tanh form)",
                           "outside_theorems": True, "data": {"a": float(consts.a), "Lambda": float(consts.Lambda),
                                                              "w_norm": float(consts.w_norm)}})
    progress.start(len(configs) * len(scales) * reps)
    runs = []
    for eta, steps in configs:
        series = f"eta={eta}"
        nets = [G.small_init(5, L, s, np.random.default_rng(1000 * r + 17)) for s in scales for r in range(reps)]
        res = G.mlp_gradient_descent(nets, X, y, eta, steps)
        S = []
        for i, (net, s) in enumerate(zip(res.nets, [s for s in scales for _ in range(reps)])):
            S.append(None if res.diverged[i] else G.sharpness(net, X, y))
            runs.append({"eta": eta, "scale": s, "seed": 1000 * (i % reps) + 17, "diverged": bool(res.diverged[i]),
                         "loss": None if res.diverged[i] else float(res.loss[i]), "sharpness": S[-1]})
            if res.diverged[i]:
                fig.markers.append(Marker("sharpness", series, s, 2 / eta, "diverged run (weights non-finite)",
                                          f"eta {eta}", kind="diverged", method="numerics.gelu_mlp (float64 GD)",
                                          provenance="computed"))
            progress.step()
        for panel, vals in (("sharpness", S), ("loss", [None if d else float(v) for d, v in
                                                          zip(res.diverged, res.loss)])):
            groups = [[v for v, sc in zip(vals, [s for s in scales for _ in range(reps)]) if sc == s and v is not None]
                      for s in scales]
            st = [mean_band(g) for g in groups]
            keep = [(s, m) for s, m in zip(scales, st) if m[0] is not None]
            fig.curves.append(Curve(panel, series, "observed", f"{panel} (mean over seeds)",
                                    "computed (numerics.gelu_mlp: GD float64, complex-step Hessian)",
                                    [s for s, _ in keep], [m[0] for _, m in keep], "implicitreg.numerics.gelu_mlp",
                                    y_low=[m[1] for _, m in keep], y_high=[m[2] for _, m in keep],
                                    band="95% confidence interval of the mean over seeds (Student t)"))
            # each run too: a few runs still far from a minimum after the last step move the mean by decades
            each = [(sc, v) for v, sc in zip(vals, [s for s in scales for _ in range(reps)]) if v is not None]
            fig.curves.append(Curve(panel, series, "observed", f"{panel} (each run)",
                                    "computed (numerics.gelu_mlp: GD float64, complex-step Hessian)",
                                    [sc for sc, _ in each], [v for _, v in each], "implicitreg.numerics.gelu_mlp",
                                    style="scatter"))
        fig.curves.append(Curve("sharpness", series, "reference", f"2 / eta = {2 / eta:g}",
                                "standard (GD on a quadratic is stable only if eta < 2/S)", [min(scales), max(scales)],
                                [2 / eta, 2 / eta], "gradient descent stability"))
    lb = 2 * L * float(consts.a) * float(consts.w_norm) ** (2 - 2 / L)
    ub = 8 * L * float(consts.Lambda) * float(consts.w_norm) ** (2 - 2 / L)
    fig.curves.append(Curve("sharpness", "deep-linear", "reference", f"2 L a ||w*||^(2-2/L) = {lb:.4g} (linear nets)",
                            OUTSIDE, [min(scales), max(scales)], [lb, lb], "implicitreg.theory: MC-LB (not applicable)"))
    fig.curves.append(Curve("sharpness", "deep-linear", "reference", f"8 L Lambda ||w*||^(2-2/L) = {ub:.4g} (linear nets)",
                            OUTSIDE, [min(scales), max(scales)], [ub, ub], "implicitreg.theory: MC-SI (not applicable)"))
    fig.meta["runs"] = runs
    return fig
