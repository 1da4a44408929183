"""The gradient-flow limit x_inf(alpha) of a depth-D diagonal network: one entry point, several independent methods.

``limit(instance, depth, alpha, method=...)`` dispatches on a name registry (:data:`METHODS`), as mpmath's
``findroot(solver=)`` and scipy's ``solve_ivp(method=)`` do, and every method returns the same
:class:`~implicitreg.numerics.dual_limit.LimitResult` (fields ``x``, ``nu``, ``z``, ``digits``, ``residual``,
``dps``, ``method``, ``success``, ``message``, ...):

* ``"newton"`` (default): the dual Newton solve of :func:`implicitreg.numerics.dual_limit.gradient_flow_limit`,
  certified by a second, independent solve at twice the precision (``dln.md`` §2 [standard/derived]);
* ``"flow"``: the reduced gradient flow nu' = -c_D (A x(nu) - y) of :func:`implicitreg.numerics.flow.reduced_flow`
  (Radau IIA, order 13) integrated until ||A x - y||_inf <= 10^-(dps-8); the flow itself, not its characterization,
  so ``digits`` = 0 (not certified: compare it with ``"newton"``);
* ``"closed-form"``: the tightness family A = [1, r, ..., r], y = [1] (``dln.md`` §5, 0 <= r < 1:
  :func:`implicitreg.numerics.error_constants.row_family_limit`) and the kink A = [1, 1 - eps], y = [1]
  (``wah.md`` §6, 0 <= eps < 1: :func:`implicitreg.numerics.kink.kink_limit`), both a scalar root of the
  one-dimensional dual equation; certified like ``"newton"`` by a second solve at twice the precision;
* ``"float64"``: the double-precision dual Newton of :func:`implicitreg.numerics.float64_limit.
  float64_gradient_flow_limit`, the path the figures compare against to show where float64 fails; never certified
  (``digits`` = 0), ``success`` is the authors' acceptance test ||A x - y|| < 1e-10 and a failure is returned, not
  raised.

``alpha_convention``: ``"product"`` (alpha = u(0)^D, ``dln.md``, default) or ``"factor"`` (alpha = u(0), ``wah.md``).
``digits``: the significant digits to certify (``newton``, ``closed-form``) or, for ``flow``, to work with.

Examples: on the tightness family the dual Newton solve and the closed form agree to every certified digit.

>>> import mpmath
>>> from implicitreg.numerics.instance import Instance
>>> from implicitreg.numerics.limit import limit
>>> row = Instance.from_lists([[1, "1/2", "1/2"]], [1])
>>> a, b = (limit(row, 3, "1e-10", method=m, digits=25) for m in ("newton", "closed-form"))
>>> (a.method, b.method, a.success, b.success, min(a.digits, b.digits) >= 25)
('newton', 'closed-form', True, True, True)
>>> a.x_str(20) == b.x_str(20)
True
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Callable

import mpmath
from mpmath import mpf

from implicitreg.errors import InvalidParameterError, PrecisionError
from implicitreg.numerics.dual_limit import MAX_DIGITS, LimitResult, gradient_flow_limit
from implicitreg.numerics.potentials import (_exact, alpha_convention_value, depth_value, digits_value, positive_value,
                                             product_scale)
from implicitreg.numerics.precision import agreeing_digits, mpf_from, working_dps

__all__ = ["METHODS", "limit", "LimitResult"]


def limit(instance, depth, alpha, *, method: str = "newton", alpha_convention: str = "product",
          digits: int = 30) -> LimitResult:
    """x_inf(alpha) of the depth-``depth`` diagonal network on ``instance`` by ``method`` (see :data:`METHODS`)."""
    try:
        solver = METHODS[method]
    except (KeyError, TypeError):
        raise InvalidParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}") from None
    D = depth_value(depth)
    a = positive_value(alpha)
    alpha_convention_value(alpha_convention)
    digits_value(digits)
    if digits > MAX_DIGITS:
        raise PrecisionError(f"{digits} digits cannot be certified: the supported maximum is {MAX_DIGITS}")
    return solver(instance, D, a, alpha_convention, digits)


def _result(**fields) -> LimitResult:
    """A LimitResult from keyword fields (the fields this version of the class does not declare are attached)."""
    declared = {f.name for f in dataclasses.fields(LimitResult)}
    result = LimitResult(**{k: v for k, v in fields.items() if k in declared})
    for k in fields.keys() - declared:
        object.__setattr__(result, k, fields[k])
    return result


def _with(result: LimitResult, **fields) -> LimitResult:
    declared = {f.name for f in dataclasses.fields(LimitResult)}
    result = dataclasses.replace(result, **{k: v for k, v in fields.items() if k in declared})
    for k in fields.keys() - declared:
        object.__setattr__(result, k, fields[k])
    return result


def _residual(instance, x) -> mpf:
    return max((abs(mpmath.fsum(mpf_from(aij) * xj for aij, xj in zip(row, x)) - mpf_from(yi))
                for row, yi in zip(instance.A, instance.y)), default=mpf(0))


def _newton(instance, D, a, alpha_convention, digits) -> LimitResult:
    res = gradient_flow_limit(instance, D, a, alpha_convention=alpha_convention, digits=digits)
    variant = getattr(res, "method", None)
    note = f" ({variant} precision)" if variant and variant != "newton" else ""
    return _with(res, method="newton", success=True, status=0,
                 message=f"dual Newton solve, {res.digits} digits certified by an independent solve{note}")


def _flow(instance, D, a, alpha_convention, digits) -> LimitResult:
    from implicitreg.numerics.flow import reduced_flow

    dps = max(digits + 10, 30)
    fl = reduced_flow(instance, D, a, alpha_convention=alpha_convention, until_converged=True, dps=dps,
                      method="radau13")
    with mpmath.workdps(dps):
        nu = list(fl.nu[-1])
        z = [mpmath.fsum(mpf_from(instance.A[i][j]) * nu[i] for i in range(len(nu))) for j in range(len(instance.A[0]))]
    return _result(x=list(fl.x[-1]), nu=nu, z=z, depth=D, alpha=a, alpha_convention=alpha_convention,
                   alpha_product=fl.alpha_product, digits=0, residual=fl.residual[-1], dps=dps, dps_check=0,
                   iterations=fl.nsteps, floor=min(fl.alpha_product, mpf(1)), stages=0, method="flow",
                   success=bool(fl.converged), status=0 if fl.converged else 1,
                   message=f"reduced flow ({fl.method}) to t = {mpmath.nstr(fl.t[-1], 5)}, residual "
                           f"{mpmath.nstr(fl.residual[-1], 3)}; digits not certified (compare with method='newton')")


def family_parameters(instance) -> tuple[Fraction, int] | None:
    """(r, n) when the instance is the closed-form family A = [1, r, ..., r] (n copies, 0 <= r <= 1), y = [1]."""
    if len(instance.A) != 1 or list(instance.y) != [1] or len(instance.A[0]) < 2:
        return None
    first, *rest = instance.A[0]
    r = rest[0]
    if first != 1 or any(v != r for v in rest) or not 0 <= r <= 1 or (r == 1 and len(rest) > 1):
        return None
    return Fraction(r), len(rest)


def _closed_form_x(r: Fraction, n: int, D: Fraction, a: Fraction, alpha_convention: str, dps: int):
    """(x, z, alpha_prod) of the scalar dual equation at ``dps`` digits (kink route for n = 1, else the row family)."""
    from implicitreg.numerics.error_constants import row_family_limit
    from implicitreg.numerics.kink import kink_limit

    if n == 1 and r > 0:
        k = kink_limit(1 - r, D, a, alpha_convention=alpha_convention, dps=dps)
        return k.x, k.z, k.alpha_product
    with mpmath.workdps(dps + 20):
        ap = product_scale(a, D, alpha_convention)
        fam = row_family_limit(D, r, n, a if alpha_convention == "product" else _exact(ap, "alpha"), dps=dps)
    return [fam.x1] + [fam.xj] * n, fam.z, ap


def _closed_form(instance, D, a, alpha_convention, digits) -> LimitResult:
    params = family_parameters(instance)
    if params is None:
        raise InvalidParameterError("method='closed-form' needs the tightness family A = [1, r, ..., r], y = [1] "
                                    "(0 <= r < 1) or the kink A = [1, 1 - eps], y = [1] (0 <= eps < 1)")
    r, n = params
    with mpmath.workdps(30):
        ap0 = product_scale(a, D, alpha_convention)
    dps = working_dps(digits, ap0, D)
    x, z, ap = _closed_form_x(r, n, D, a, alpha_convention, dps)
    x2, _, _ = _closed_form_x(r, n, D, a, alpha_convention, 2 * dps)
    with mpmath.workdps(dps):
        floor = min(ap, max(abs(v) for v in x))
        certified = agreeing_digits(x, x2, floor, cap=dps - 5)
        if certified < digits:
            raise PrecisionError(f"closed form: only {certified} of {digits} digits agree between {dps} and "
                                 f"{2 * dps} working digits")
        rm = mpf_from(r)
        return _result(x=[+v for v in x], nu=[+z], z=[+z] + [rm * z] * n, depth=D, alpha=a,
                       alpha_convention=alpha_convention, alpha_product=+ap, digits=certified,
                       residual=_residual(instance, x), dps=dps, dps_check=2 * dps, iterations=0, floor=floor,
                       stages=0, method="closed-form", success=True, status=0,
                       message=f"scalar dual equation of the {'kink' if n == 1 and r > 0 else 'row family'}, "
                               f"{certified} digits certified by a second solve at {2 * dps} digits")


def _float64(instance, D, a, alpha_convention, digits) -> LimitResult:
    from implicitreg.numerics.float64_limit import float64_gradient_flow_limit

    with mpmath.workdps(30):
        ap = product_scale(a, D, alpha_convention)
    A = [[float(v) for v in row] for row in instance.A]
    y = [float(v) for v in instance.y]
    res = float64_gradient_flow_limit(A, y, D, float(ap))
    x = [mpf(float(v)) for v in res.x]
    with mpmath.workdps(30):
        residual = _residual(instance, x) if all(mpmath.isfinite(v) for v in x) else mpmath.inf
    return _result(x=x, nu=[], z=[], depth=D, alpha=a, alpha_convention=alpha_convention, alpha_product=ap,
                   digits=0, residual=residual, dps=15, dps_check=0, iterations=0, floor=min(ap, mpf(1)), stages=0,
                   method="float64", success=bool(res.success), status=0 if res.success else 1,
                   message=f"float64 dual Newton (not certified): {res.message}")


#: name -> solver(instance, depth: Fraction, alpha: Fraction, alpha_convention, digits) -> LimitResult
METHODS: dict[str, Callable[..., LimitResult]] = {
    "newton": _newton,
    "flow": _flow,
    "closed-form": _closed_form,
    "float64": _float64,
}
