"""``implicitreg sharpness`` and ``implicitreg deep-flow``: deep linear networks (Marion & Chizat).

``sharpness --instance FILE --depth L``: the data constants (a, a', Lambda, lambda_min, kappa, w*), the lower bound
S_LB = 2 L a ||w*||^(2-2/L) [MC-LB], the exact minimum sharpness S_min over minimizers [derived], the balanced
rank-one sharpness S_bal [derived] and the reconstructed small-init upper line 8 L Lambda ||w*||^(2-2/L).

``deep-flow --instance FILE --depth L --init small|residual --scale s [--eta ETA]``: gradient flow (or gradient
descent with step ETA) from a seeded initialization; reports the final sharpness, the distance to w*, the
alignment of the layers, the imbalance drift and the ratios to the bounds. Exit status 1 when it did not converge.

Instance files: a JSON object with "X" (n rows of d numbers) and "y" (n numbers), read exactly.
Loss convention: R = (1/n) ||y - X w||^2 with no 1/2 (every sharpness halves under 1/(2n)).
"""
from __future__ import annotations

from implicitreg.commands import add_command, add_depth_option, add_digits_option, emit
from implicitreg.errors import InvalidParameterError


def register(sub) -> None:
    p = add_command(sub, "sharpness", _run_sharpness, instance="X")
    add_depth_option(p, "deep-linear")
    add_digits_option(p, "20", "significant digits printed, 1..1000 (default 20)")

    q = add_command(sub, "deep-flow", _run_flow, instance="X")
    add_depth_option(q, "deep-linear")
    q.add_argument("--init", required=True, choices=("small", "residual"),
                   help="(required) small: entries N(0, s^2); residual: I + s/sqrt(L d) N(0,1) with head e_1")
    q.add_argument("--scale", required=True, metavar="S", help="(required) initialization scale s (a float64 value)")
    for option, default, metavar, text in _FLOW_OPTIONS:
        q.add_argument(option, default=default, metavar=metavar, help=text)


#: the stopping and seeding options of ``deep-flow``: (option, default, metavar, help)
_FLOW_OPTIONS = (
    ("--eta", None, "ETA", "run gradient descent with this step (default: gradient flow)"),
    ("--steps", "10000", "N", "gradient descent steps (default 10000)"),
    ("--t-end", "100000", "T", "gradient flow time horizon (default 1e5)"),
    ("--tol", "1e-12", "TOL", "stop when R - R_min <= TOL (default 1e-12)"),
    ("--seed", "0", "K", "initialization seed (default 0)"),
)


def _int(value: str, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidParameterError(f"{name} must be an integer, got {str(value)[:40]!r}") from None


def _facts(data, depth: int) -> dict:
    w_norm2 = sum(v * v for v in data.target_exact)
    return {"L": depth, "w_norm": w_norm2, "excess_loss": 0, "p_norm": 1}


def _run_sharpness(args) -> int:
    """deep linear networks: lower bound, exact minimum and balanced sharpness

    Sharpness (largest Hessian eigenvalue) of depth-L linear networks at minimizers of R = (1/n)||y - X w||^2: the
    lower bound S_LB = 2 L a ||w*||^(2-2/L), the exact minimum over minimizers, the balanced rank-one value and the
    data constants. Theory: docs/theory/deep_linear.md.
    """
    from implicitreg import api

    res = api.sharpness(api.load_regression_data(args.instance), depth=args.depth,
                        digits=_int(args.digits, "--digits"))
    report = res.to_json()
    keys = ("lower_bound", "min_sharpness", "balanced_sharpness", "a", "kappa", "w_star_norm")
    text = "\n".join([f"deep linear network, depth {res.depth}, loss {report['loss_convention']}"]
                     + [f"{k}: {report[k]}" for k in keys]
                     + [f"w_star: [{', '.join(report['w_star'])}]"])
    emit(report, args.json, text)
    return 0


def flow_report(data, depth: int, init: str, scale, seed: int = 0, eta=None, steps: int = 10000,
                t_end=1e5, tol=1e-12) -> dict:
    """Run GF (or GD when ``eta`` is given) in float64 from a seeded initialization; the fields of ``deep-flow``.

    A run that diverged (weights no longer finite: GD above its stability threshold) is not converged, and its
    final excess loss is ``inf`` (it overflowed float64)."""
    import math

    import numpy as np

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.theory import sharpness as ts

    ts.MC_LB.require(_facts(data, depth))
    rng = np.random.default_rng(seed)
    if init == "small":
        net0 = dl.small_init(data.d, depth, float(scale), rng)
    elif init == "residual":
        net0 = dl.residual_init(data.d, depth, float(scale), rng)
    else:
        raise InvalidParameterError(f"--init must be 'small' or 'residual', got {init!r}")
    if eta is None:
        res = dl.gradient_flow(net0, data, float(t_end), rtol=1e-9, atol=1e-13, stop_excess_loss=float(tol))
        method = "gradient flow (Dormand-Prince 5(4), float64)"
    else:
        res = dl.deep_gradient_descent(net0, data, float(eta), steps, stop_excess_loss=float(tol))
        method = f"gradient descent, eta = {float(eta)} (float64)"
    net = res.net
    c = dl.data_constants(data, "float")
    finite = all(np.all(np.isfinite(W)) for W in net.weights)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run: reported by status, message and converged
        w = dl.end_to_end(net)
        excess = float(dl.excess_loss(net, data)) if finite else math.inf  # R - R_min overflowed float64
    ws = data.w_star("float")
    converged = finite and excess <= float(tol) * 10
    values = dict(L=depth, a=c.a, Lambda=c.Lambda, w_norm=c.w_norm, a_prime=c.a_prime)
    s_lb = float(ts.MC_LB.bound("S_LB").evaluate(20, **values))
    s_si = float(ts.MC_SI.bound("S_SI").evaluate(20, **values))
    s_bal = float(dl.balanced_sharpness(data, depth, dps=20))
    out = {"instance": data.name, "depth": depth, "init": init, "scale": float(scale), "seed": seed,
           "method": method, "status": res.status, "message": res.message, "converged": bool(converged),
           "time_or_steps": float(res.t), "gradient_evaluations": res.nfev, "final_excess_loss": excess,
           "loss_convention": "1/n, no 1/2", "end_to_end": [float(v) for v in np.ravel(w)]}
    if finite:
        if net.num_parameters <= 3000:
            S = dl.sharpness_exact(net, data)
        else:
            S = dl.sharpness_lanczos(net, data, tol=1e-10)
        drift = max(float(np.linalg.norm(a - b, 2)) for a, b in zip(dl.imbalances(net), dl.imbalances(net0)))
        al = dl.alignment(net, ws)
        out.update({
            "final_sharpness": float(S.value), "sharpness_method": S.method,
            "distance_to_w_star": float(np.linalg.norm(w - ws)),
            "mean_squared_distance": float(np.sum((w - ws) ** 2) / data.d),
            "lower_bound": s_lb, "balanced_sharpness": s_bal, "small_init_upper": s_si,
            "ratio_to_lower_bound": float(S.value) / s_lb, "ratio_to_balanced": float(S.value) / s_bal,
            "ratio_to_small_init_upper": float(S.value) / s_si,
            "imbalance_initial": max(float(np.linalg.norm(D, 2)) for D in dl.imbalances(net0)),
            "imbalance_drift": drift,
            "alignment": {"sigma1": al.sigma1, "sigma2": al.sigma2, "interlayer_sin": al.interlayer_sin,
                          "input_cos": al.input_cos},
        })
    return out


def _run_flow(args) -> int:
    """deep linear networks: gradient flow/descent, final sharpness vs bounds

    Gradient flow (or gradient descent with --eta) of a depth-L linear network in float64 from a seeded
    initialization; reports the final sharpness, the distance to w*, the alignment and the ratios to the bounds.
    Exit status 1 when it did not converge. Theory: docs/theory/deep_linear.md.
    """
    from implicitreg import api

    res = api.deep_flow(api.load_regression_data(args.instance), depth=args.depth, init=args.init, scale=args.scale,
                        eta=args.eta, steps=_int(args.steps, "--steps"), t_end=args.t_end, tol=args.tol,
                        seed=_int(args.seed, "--seed"), progress=True)
    rep = res.values
    lines = [f"{rep['method']} from {args.init} init (s = {rep['scale']}, seed {res.seed}), depth {res.depth}: "
             f"{'converged' if rep['converged'] else 'NOT converged'} ({rep['message']})"]
    for k in ("final_excess_loss", "final_sharpness", "distance_to_w_star", "lower_bound", "balanced_sharpness",
              "small_init_upper", "ratio_to_lower_bound", "ratio_to_balanced", "ratio_to_small_init_upper",
              "imbalance_drift"):
        if k in rep:
            lines.append(f"{k}: {rep[k]:.10g}")
    if "alignment" in rep:
        lines.append(f"alignment: input_cos {rep['alignment']['input_cos']:.10g}, max interlayer sin "
                     f"{max(rep['alignment']['interlayer_sin'], default=0):.3g}")
    emit(res.to_json(), args.json, "\n".join(lines))
    return 0 if res.converged else 1
