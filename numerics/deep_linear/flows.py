"""Training deep linear networks: gradient flow and full-batch gradient descent, both returning a
:class:`DeepFlowResult`.

* mpf networks: the flow runs in :func:`implicitreg.numerics.flow.integrate` (the toolkit's adaptive integrators:
  explicit Dormand-Prince 5(4) or implicit Radau IIA with the exact Jacobian -H);
* float64 networks: ``scipy.integrate.solve_ivp(method="RK45")`` (the same Dormand-Prince 5(4) pair), for
  experiments whose conclusions a later exact or high-precision step re-checks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import scipy.integrate

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.deep_linear._arrays import _is_mp, to_mp
from implicitreg.numerics.precision import mpf_from
from implicitreg.numerics.deep_linear.data import RegressionData
from implicitreg.numerics.deep_linear.model import DeepLinearNetwork, excess_loss, flatten, gradient, hessian, unflatten

__all__ = ["DeepFlowResult", "gradient_flow", "deep_gradient_descent"]


@dataclass(frozen=True, kw_only=True)
class DeepFlowResult:
    """Result of :func:`gradient_flow` / :func:`deep_gradient_descent` (after scipy's OdeResult): final network
    ``net``, final time ``t`` (or step count for GD), ``status`` (0: reached t_end/steps, 1: stop condition met,
    -1: failure), ``success`` (status >= 0), ``message``, ``nfev`` (gradient evaluations), ``nsteps`` and
    ``integrator``."""

    net: DeepLinearNetwork
    t: Any
    status: int
    message: str
    nfev: int
    nsteps: int
    integrator: str = ""

    @property
    def success(self) -> bool:
        return self.status >= 0

    def to_json(self) -> dict:
        """The scalar fields as JSON-ready values (the network itself is not serialized)."""
        return {"t": mpmath.nstr(self.t, 15) if isinstance(self.t, mpmath.mpf) else self.t, "status": self.status,
                "success": self.success, "message": self.message, "nfev": self.nfev, "nsteps": self.nsteps,
                "integrator": self.integrator}


#: the float flow stops at the event R - R_min = STOP_MARGIN * stop_excess_loss, so that the returned network has
#: R - R_min <= stop_excess_loss although the event time is only located to rounding
STOP_MARGIN = 0.99


class _TooManySteps(Exception):
    pass


def gradient_flow(net0: DeepLinearNetwork, data: RegressionData, t_end, *, rtol=1e-10, atol=1e-12,
                  stop_excess_loss=None, max_steps: int = 200000, dps: int | None = None,
                  method: str = "rk45") -> DeepFlowResult:
    """Gradient flow dW_k/dt = -grad_{W_k} R from ``net0`` up to ``t_end`` (or until R - R_min <= stop_excess_loss).

    mpf networks: :func:`implicitreg.numerics.flow.integrate` at ``dps`` digits (default: the working precision)
    with ``method`` ("rk45": explicit Dormand-Prince 5(4), enough for this mildly stiff flow; "radau5/9/13":
    implicit Radau IIA with the exact Jacobian -H from :func:`hessian`, fewer steps at 25+ digits).
    float networks: ``scipy.integrate.solve_ivp(method="RK45")``; the stop condition is a terminal event
    (R - R_min crosses ``stop_excess_loss``), ``max_steps`` bounds the accepted and rejected steps.
    """
    mp = _is_mp(net0.weights[0])

    def fun(_t, theta):
        return -np.concatenate([G.ravel() for G in gradient(unflatten(theta, net0), data)])

    if not mp:
        return _float_flow(fun, net0, data, float(t_end), float(rtol), float(atol), stop_excess_loss, max_steps)
    from implicitreg.numerics.flow import integrate

    dps = dps or mpmath.mp.dps
    as_arr = lambda y: np.array(list(y), dtype=object)  # noqa: E731
    def reached(_t, theta):
        return excess_loss(unflatten(as_arr(theta), net0), data) <= stop_excess_loss
    stop = reached if stop_excess_loss is not None else None

    def jac(_t, theta):
        return (-hessian(unflatten(as_arr(theta), net0), data)).tolist()

    with mpmath.workdps(dps):
        res = integrate(lambda t, y: list(fun(t, as_arr(y))), (0, mpf_from(t_end)), list(flatten(net0)),
                        jac=None if method == "rk45" else jac, method=method, rtol=mpf_from(rtol), atol=mpf_from(atol),
                        dps=dps, max_steps=max_steps, t_eval=None if stop is not None else [mpf_from(t_end)], stop=stop)
        net = unflatten(to_mp(as_arr(res.y[-1])), net0)
    return DeepFlowResult(net=net, t=res.t[-1], status=res.status, message=res.message, nfev=res.nfev,
                          nsteps=res.nsteps, integrator=f"numerics.flow.integrate ({method}, {dps} digits)")


def _float_flow(fun, net0, data, t_end, rtol, atol, stop_excess_loss, max_steps) -> DeepFlowResult:
    """The float64 flow by scipy's RK45; at most ``max_steps`` steps (6 gradient evaluations each)."""
    y0 = flatten(net0).astype(float)
    calls = [0]

    def counted(t, theta):
        calls[0] += 1
        if calls[0] > 6 * max_steps + 2:
            raise _TooManySteps
        with np.errstate(over="ignore", invalid="ignore"):
            return fun(t, theta)

    events = None
    if stop_excess_loss is not None:
        if excess_loss(net0, data) <= stop_excess_loss:
            return DeepFlowResult(net=net0, t=0.0, status=1, message="stop condition met", nfev=0, nsteps=0,
                                  integrator="scipy solve_ivp RK45 (float64)")

        def reached(_t, theta):  # the root is located to rounding in t: aim just below the threshold
            return float(excess_loss(unflatten(theta, net0), data) - STOP_MARGIN * stop_excess_loss)
        reached.terminal = True
        events = [reached]
    try:
        # a diverging flow overflows inside scipy's step arithmetic: it is reported by the status below
        # (non-finite weights or scipy's failed step), not by a warning on stderr
        with np.errstate(over="ignore", invalid="ignore"):
            sol = scipy.integrate.solve_ivp(counted, (0.0, t_end), y0, method="RK45", rtol=rtol, atol=atol,
                                            events=events, first_step=t_end / 100)
    except _TooManySteps:
        return DeepFlowResult(net=net0, t=float("nan"), status=-1, message=f"max_steps = {max_steps} reached",
                              nfev=calls[0], nsteps=max_steps, integrator="scipy solve_ivp RK45 (float64)")
    if not np.all(np.isfinite(sol.y[:, -1])):
        return DeepFlowResult(net=unflatten(sol.y[:, -1], net0), t=float(sol.t[-1]), status=-1,
                              message="diverged: the weights became non-finite", nfev=int(sol.nfev),
                              nsteps=len(sol.t) - 1, integrator="scipy solve_ivp RK45 (float64)")
    message = "stop condition met" if sol.status == 1 else ("reached t_end" if sol.status == 0 else sol.message)
    return DeepFlowResult(net=unflatten(sol.y[:, -1], net0), t=float(sol.t[-1]), status=int(sol.status),
                          message=message, nfev=int(sol.nfev), nsteps=len(sol.t) - 1,
                          integrator="scipy solve_ivp RK45 (float64)")


def deep_gradient_descent(net0: DeepLinearNetwork, data: RegressionData, eta, steps: int,
                          stop_excess_loss=None) -> DeepFlowResult:
    """Full-batch gradient descent W_k <- W_k - eta grad_{W_k} R (float64 or mpf, as ``net0``).
    Status -1 when the loss becomes non-finite (divergence)."""
    if not float(eta) > 0:
        raise InvalidParameterError(f"eta must be > 0, got {eta}")
    net = net0
    mp = _is_mp(net0.weights[0])
    eta = mpf_from(eta) if mp else float(eta)
    for step in range(1, steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):  # a float divergence is reported by the status below
            G = gradient(net, data)
            net = net.with_weights([W - eta * g for W, g in zip(net.weights, G)])
        if not mp and not all(np.all(np.isfinite(W)) for W in net.weights):
            return DeepFlowResult(net=net, t=step, status=-1, message="diverged (non-finite weights)", nfev=step,
                                  nsteps=step, integrator="gd")
        with np.errstate(over="ignore", invalid="ignore"):  # finite weights whose product overflows: diverging
            stop = stop_excess_loss is not None and excess_loss(net, data) <= stop_excess_loss
        if stop:
            return DeepFlowResult(net=net, t=step, status=1, message="stop condition met", nfev=step, nsteps=step,
                                  integrator="gd")
    return DeepFlowResult(net=net, t=steps, status=0, message="reached the step count", nfev=steps, nsteps=steps,
                          integrator="gd")
