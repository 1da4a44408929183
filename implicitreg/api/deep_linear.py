"""The API of deep linear networks: :func:`sharpness`, :func:`deep_flow` and their results."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from implicitreg.api.inputs import (_digits, _float64, _floats, _head, _layers, _ns, _nss, _param,
                                    as_regression_data)
from implicitreg.errors import InvalidParameterError


class _ValuesReport:
    """A result whose ``values`` report is also read as attributes: ``result.NAME`` is ``result.values[NAME]``."""

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class Sharpness(_ValuesReport):
    """Sharpness of deep linear networks on (X, y) (``docs/theory/deep_linear.md``), mpf at ``digits_requested``
    digits: ``lower_bound`` S_LB = 2 L a ||w*||^(2-2/L) [paper], ``min_sharpness`` (exact minimum over minimizers
    [derived]), ``balanced_sharpness`` [derived], ``small_init_upper`` [reconstructed], data constants, ``w_star``
    (exact). Loss R = (1/n) ||y - X w||^2 (no 1/2)."""

    depth: int
    digits_requested: int
    w_star: tuple
    values: dict
    data: Any = field(repr=False)

    def to_numpy(self):
        """w* as a float64 array."""
        return _floats(self.w_star)

    def to_json(self) -> dict:
        d = self.digits_requested
        out = _head("sharpness", instance=self.data.name, n=self.data.n, d=self.data.d, depth=_ns(self.depth),
                    digits_requested=d, loss_convention="1/n, no 1/2", w_star=_nss(self.w_star))
        for k, v in self.values.items():
            out[k] = _ns(v, d)
        out.update(lower_bound_provenance="paper (form: authors' code + our proof)",
                   min_sharpness_provenance="derived", balanced_sharpness_provenance="derived",
                   small_init_upper_provenance="reconstructed (8 L Lambda ||w*||^(2-2/L))")
        return out


def sharpness(X, y=None, depth=2, *, digits: int = 20) -> Sharpness:
    """The sharpness bounds and exact values of depth-L linear networks fitted to (X, y)."""
    import mpmath

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.theory import sharpness as ts

    data = as_regression_data(X, y)
    L = _layers(depth)
    digits = _digits(digits, "sharpness")
    w_norm2 = sum(v * v for v in data.target_exact)
    ts.MC_LB.require({"L": L, "w_norm": w_norm2, "excess_loss": 0, "p_norm": 1})
    dps = digits + 10
    with mpmath.workdps(dps):
        c = dl.data_constants(data, "mp")
        vals = dict(L=L, a=c.a, a_prime=c.a_prime, Lambda=c.Lambda, w_norm=c.w_norm)
        s_lb = ts.MC_LB.bound("S_LB").evaluate(dps, **vals)
        s_closed = ts.MC_SMIN.bound("S_min_closed").evaluate(dps, **vals)
        s_si = ts.MC_SI.bound("S_SI").evaluate(dps, **vals)
        smin = dl.min_sharpness(data, L, dps=dps)
        s_bal = dl.balanced_sharpness(data, L, dps=dps)
        values = {
            "w_star_norm": c.w_norm, "a": c.a, "a_prime": c.a_prime, "Lambda": c.Lambda,
            "lambda_min": c.lambda_min, "kappa": c.kappa, "lower_bound": s_lb, "min_sharpness": smin.value,
            "min_sharpness_t": smin.t, "min_sharpness_closed_lower": s_closed, "balanced_sharpness": s_bal,
            "ratio_min_to_lower": smin.value / s_lb, "ratio_balanced_to_lower": s_bal / s_lb,
            "small_init_upper": s_si, "gd_stability_threshold_eta": 2 / s_lb,
        }
    return Sharpness(L, digits, tuple(data.target_exact), values, data)


@dataclass(frozen=True)
class DeepFlow(_ValuesReport):
    """Gradient flow (or descent with step ``eta``) of a depth-L linear network in float64 from a seeded
    ``init`` ("small" or "residual") at ``scale``; ``values`` holds the report (final sharpness, distance to w*,
    ratios to the bounds, imbalance, alignment); ``w`` is the end-to-end vector."""

    depth: int
    init: str
    scale: Fraction
    seed: int
    eta: Fraction | None
    converged: bool
    w: Any
    values: dict
    data: Any = field(repr=False)

    def to_numpy(self):
        """The end-to-end vector w (float64)."""
        import numpy as np

        return np.asarray(self.w, dtype=float)

    def to_json(self) -> dict:
        v = self.values
        out = _head("deep-flow", instance=self.data.name, n=self.data.n, d=self.data.d, depth=_ns(self.depth),
                    init=self.init, scale=_ns(self.scale), seed=self.seed, eta=_ns(self.eta), method=v["method"],
                    status=int(v["status"]), message=str(v["message"]), converged=self.converged,
                    time_or_steps=_ns(v["time_or_steps"]), nfev=int(v["gradient_evaluations"]),
                    final_excess_loss=_ns(v["final_excess_loss"]), loss_convention=v["loss_convention"])
        for k in ("lower_bound", "balanced_sharpness", "small_init_upper", "final_sharpness", "distance_to_w_star",
                  "mean_squared_distance", "ratio_to_lower_bound", "ratio_to_balanced", "ratio_to_small_init_upper",
                  "imbalance_initial", "imbalance_drift"):
            out[k] = _ns(v.get(k))
        out["sharpness_method"] = v.get("sharpness_method")
        al = v.get("alignment")
        out["alignment"] = None if al is None else {
            "sigma1": _nss(al["sigma1"]), "sigma2": _nss(al["sigma2"]),
            "interlayer_sin": _nss(al["interlayer_sin"]), "input_cos": _ns(al["input_cos"])}
        return out


def deep_flow(X, y=None, depth=2, *, init: str = "small", scale="0.05", eta=None, steps: int = 10000,
              t_end="1e5", tol="1e-12", seed: int = 0, progress: bool = False) -> DeepFlow:
    """Gradient flow (``eta`` None; Dormand-Prince in float64 up to time ``t_end``) or gradient descent
    (``steps`` steps of size ``eta``) of a depth-L linear network from a seeded initialization, stopping when
    R - R_min <= ``tol``. Parameters are read exactly and must be finite float64 values."""
    import numpy as np

    from implicitreg.commands.sharpness import flow_report

    data = as_regression_data(X, y)
    L = _layers(depth)
    if init not in ("small", "residual"):
        raise InvalidParameterError(f"init must be 'small' or 'residual', got {init!r}")
    s = _float64(scale, "scale", positive=(init == "small"))
    e = _float64(eta, "eta") if eta is not None else None
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10 ** 8:
        raise InvalidParameterError(f"steps must be an integer in [1, 10^8], got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterError(f"seed must be an integer >= 0, got {seed!r}")
    t = _float64(t_end, "t_end")
    tl = _float64(tol, "tol")
    from implicitreg.progress import activity

    with activity("deep-flow", progress):
        rep = flow_report(data, L, init, s, seed=seed, eta=e, steps=steps, t_end=t, tol=tl)
    w = np.asarray(rep["end_to_end"], dtype=float)
    return DeepFlow(L, init, _param(scale, "scale"), seed, _param(eta, "eta") if eta is not None else None,
                    bool(rep["converged"]), w, rep, data)
