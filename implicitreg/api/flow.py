"""The API of the gradient-flow trajectory of depth-D diagonal networks: :func:`gradient_flow`, :class:`GradientFlow`."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from implicitreg.api.inputs import (_convention, _depth, _digits, _float64, _head, _ns, _nss, _positive,
                                    as_instance)
from implicitreg.errors import InvalidParameterError

@dataclass(frozen=True)
class GradientFlow:
    """A gradient-flow trajectory of a depth-D diagonal network: times ``t``, points ``x_t``, ``residual_t``
    (||A x - y||_inf) and ``loss_t`` (1/2 ||A x - y||^2), all mpf; ``x`` is the last point."""

    t: tuple
    x_t: tuple
    residual_t: tuple
    loss_t: tuple
    converged: bool
    status: int
    message: str
    kind: str
    method: str
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: Any
    dps: int
    tol: Any
    nsteps: int
    nfev: int
    instance: Any = field(repr=False)

    @property
    def x(self) -> tuple:
        return tuple(self.x_t[-1])

    def to_numpy(self):
        """The trajectory as a float64 array of shape (len(t), N); ``numpy.array(t)`` gives the times."""
        import numpy as np

        return np.array([[float(v) for v in x] for x in self.x_t], dtype=float).reshape(len(self.x_t), -1)

    def to_json(self, digits: int = 30) -> dict:
        inst, n = self.instance, min(digits, self.dps)
        return _head(
            "flow", instance=inst.name, m=inst.m, N=inst.N, depth=_ns(self.depth), alpha=_ns(self.alpha),
            alpha_convention=self.alpha_convention, alpha_product=_ns(self.alpha_product, 30), kind=self.kind,
            method=self.method, dps=self.dps, converged=self.converged, status=self.status, message=self.message,
            tol=_ns(self.tol, 5), nsteps=self.nsteps, nfev=self.nfev, x=_nss(self.x, n),
            residual=_ns(self.residual_t[-1], 10), t=_nss(self.t, n), x_t=[_nss(x, n) for x in self.x_t],
            residual_t=_nss(self.residual_t, 10), loss_t=_nss(self.loss_t, 10))


#: steps a flow may take before it stops with advice (``max_steps``)
DEFAULT_MAX_STEPS = 20_000


def gradient_flow(A, y=None, depth=2, alpha="1e-10", *, alpha_convention: str = "product", t_final=None,
                  until_converged: bool | None = None, full: bool = False, digits: int = 30,
                  method: str = "radau13", tol=None, max_steps: int = DEFAULT_MAX_STEPS,
                  time_budget: float | None = None, progress: bool = False) -> GradientFlow:
    """Integrate the gradient flow (reduced m-dim dual flow, or ``full`` 2N-dim (u, v) flow) in mpmath.

    Runs to ``t_final`` or, by default without ``t_final``, until ||A x - y||_inf <= ``tol`` (default
    10^-(digits-8)). At most ``max_steps`` accepted steps and ``time_budget`` seconds (None: no limit): beyond
    either :class:`~implicitreg.errors.ConvergenceError` says what to change. ``digits``: working precision (8..1000).
    ``progress``: a tqdm bar on stderr when it is a terminal.
    """
    from implicitreg.errors import ConvergenceError
    from implicitreg.numerics.flow import full_flow, reduced_flow

    inst = as_instance(A, y)
    D, a = _depth(depth), _positive(alpha, "alpha")
    digits = _digits(digits, "flow")
    if digits < 8:
        raise InvalidParameterError("a flow needs digits >= 8")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise InvalidParameterError(f"max_steps must be a positive integer, got {max_steps!r}")
    tol_mp = None
    if tol is not None:
        from implicitreg.numerics.precision import mpf_from

        q = _positive(tol, "tol")
        tol_mp = mpf_from(q)
    t_end = _positive(t_final, "t_final") if t_final is not None else None
    if time_budget is not None:
        time_budget = _float64(time_budget, "time_budget")
    until = t_end is None if until_converged is None else bool(until_converged)
    flow = full_flow if full else reduced_flow
    try:
        res = flow(inst, D, a, alpha_convention=_convention(alpha_convention), t_final=t_end, until_converged=until,
                   tol=tol_mp, dps=digits, method=method, max_steps=max_steps, progress=progress,
                   time_budget=time_budget)
    except ConvergenceError as exc:
        text = str(exc)
        if "maximum number of steps" in text or "time budget" in text:
            which = "step budget" if "maximum number of steps" in text else "time budget"
            flag = "max_steps (--max-steps)" if which == "step budget" else "time_budget (--time-budget)"
            raise ConvergenceError(
                f"{text.rstrip('.')}. The {which} is exhausted: the flow is stiff or slow at this alpha. Use an implicit "
                f"method (radau13), a larger alpha or a smaller t_final, raise {flag}, or get the limit directly "
                f"with gradient_flow_limit (`implicitreg limit`)") from None
        raise
    return GradientFlow(tuple(res.t), tuple(tuple(x) for x in res.x), tuple(res.residual), tuple(res.loss),
                        res.converged, res.status, res.message, res.kind, res.method, res.depth, res.alpha,
                        res.alpha_convention, res.alpha_product, res.dps, res.tol, res.nsteps, res.nfev, inst)
