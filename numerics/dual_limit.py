"""The gradient-flow limit x_inf(alpha) of a depth-D diagonal network, certified in high precision.

Characterization (``dln.md`` §2 [standard for D = 2, derived for real D > 2]; ``wah.md`` §5 Thm A):
x_inf = alpha_prod * phi_D(A^T nu) where nu maximizes the strictly concave dual

    f(nu) = <y, nu> - alpha_prod * sum_i H_D((A^T nu)_i),     (|A^T nu|_inf < 1 when D > 2)

i.e. solves A alpha_prod phi_D(A^T nu) = y. The solver

* reduces A to a set of linearly independent rows exactly (rank-deficient A: nu is restricted to range(A); the
  dropped rows get nu_i = 0, which changes neither A^T nu nor x);
* runs damped Newton (Armijo backtracking on f; for D > 2 a fraction-to-the-boundary rule keeps |A^T nu| < 1) with
  continuation in alpha: from alpha_prod = 1 geometrically down to the target, each stage started from a secant
  prediction (in log alpha for D = 2, in alpha^((D-2)/D) for D > 2), the step in log alpha grown or shrunk with the
  Newton iteration count;
* chooses the working precision from the requested digits and alpha_prod
  (:func:`implicitreg.numerics.precision.working_dps`); the continuation stages and the Hessian run at a lower
  precision that still covers the Hessian's spread of scales (inexact Newton), the gradient always at full precision;
* does its linear algebra and elementwise functions in python-flint at the working precision (``arb`` midpoints,
  ``arb_mat.solve(algorithm="approx")``; the Hessian A diag(w) A^T as one exact ``fmpz_mat`` product with fixed-point
  weights; the Newton iteration corrects its own rounding);
* certifies: the solve is repeated independently at twice the precision (a fresh Newton iteration at the target
  alpha, started from the last continuation stage), and ``digits`` is the number of significant digits on which the
  two x agree, entry by entry; entries smaller than ``floor = min(alpha_prod, ||x||_inf)`` are judged at that scale
  (see :func:`implicitreg.numerics.precision.agreeing_digits`). If fewer digits than requested agree, it retries
  once at doubled precision, then raises :class:`~implicitreg.errors.PrecisionError`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import mpmath
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError, PrecisionError
from implicitreg.numerics._flint_link import FlintLink
from implicitreg.numerics.exact import MAX_DECIMAL_EXPONENT
from implicitreg.numerics.integer_form import IntegerRows
from implicitreg.numerics.potentials import (alpha_convention_value, depth_value, digits_value, positive_value,
                                             product_scale)
from implicitreg.numerics.precision import (GUARD_DIGITS, agreeing_digits, flint_precision, log10_abs, significant_str,
                                            to_arb, arb_to_mpf, arb_to_mpf_list, working_dps)

MAX_NEWTON = 200
STAGE_NEWTON = 30  # a continuation stage needing more is retried with a smaller step in alpha
MAX_DIGITS = 5000
BOUNDARY_FRACTION = flint.fmpq(99, 100)


def boundary_step(t, z, dz):
    """The step length t capped by the fraction to the boundary (as in interior-point methods): a step along dz
    keeps 1% of the distance of each z_i to |z| = 1 (needed for D > 2, where phi_D has its poles at z = +-1)."""
    for zi, dzi in zip(z, dz):
        if dzi > 0 and zi + dzi >= 1:
            t = min(t, ((1 - zi) / dzi * BOUNDARY_FRACTION).mid())
        elif dzi < 0 and zi + dzi <= -1:
            t = min(t, ((-1 - zi) / dzi * BOUNDARY_FRACTION).mid())
    return t


def halving_steps(t, what: str):
    """The steps of a backtracking line search: t, t/2, t/4, ... (200 of them), then ConvergenceError naming
    ``what``. The caller breaks out of the loop at the step it accepts."""
    for _ in range(200):
        yield t
        t = t / 2
    raise ConvergenceError(f"the line search of {what} failed")


def trial_point(nu, z, d, dz, t, two: bool):
    """The trial point (nu + t d, z + t dz) of a line search (arb midpoints), or None when it leaves the domain
    |z| < 1 of phi_D (D > 2, ``two`` False; the caller then tries a shorter step). Shared by the dual Newton iteration and
    the refinement of :mod:`implicitreg.numerics.mixed_limit`."""
    z_new = [(zi + t * dzi).mid() for zi, dzi in zip(z, dz)]
    if not two and any(abs(v) >= 1 for v in z_new):
        return None
    return [(ni + t * di).mid() for ni, di in zip(nu, d)], z_new


def sufficient_ascent(f_new, f, t, slope, noise) -> bool:
    """Armijo's test on the dual objective: the step t gains at least 1e-4 of the predicted t * slope, or the slope
    is below the rounding noise |f| * noise (f can no longer tell a better point): accept the step."""
    return f_new >= (f + t * slope / 10000).mid() or slope <= (abs(f) * noise).mid()


def newton_stops(t, change, previous, tol, floor_level) -> bool:
    """The stopping rule of the dual Newton iteration and of the refinement: a full step (t = 1) that changed x by at
    most ``tol``, or the rounding floor: a full step below ``floor_level`` that no longer halves the change of the
    previous full step (``previous``; None after a damped step). The floor sits above 10^-dps when z is near the
    pole (D > 2); the two-precision certificate judges what is left."""
    return t == 1 and (change <= tol or (change <= floor_level and previous is not None and change >= previous / 2))


@dataclass(frozen=True, kw_only=True)
class LimitResult:
    """The certified limit x_inf(alpha) = alpha_prod phi_D(z), z = A^T nu, A x = y.

    ``digits``: significant digits of every entry of ``x`` certified by agreement of two independent solves:
    ``x`` comes from the solve at ``dps`` digits (the working precision of ``x``, ``nu``, ``z``) and was compared
    with a second, independent solve at ``dps_check`` = dps/2 digits; entries below ``floor`` = min(alpha_prod,
    ||x||_inf) in magnitude are certified to ``digits`` digits at the scale ``floor`` (absolute error <=
    floor 10^-digits). ``residual`` = ||A x - y||_inf (at ``dps``). ``iterations``/``stages``: Newton steps and
    continuation stages of both solves together. ``method``: ``"mixed"`` (float64 continuation, refinement at
    working precision, independent check; :mod:`implicitreg.numerics.mixed_limit`) or ``"full"`` (every step at
    working precision). A returned result is always certified (``success`` True, ``status`` 0); a failure raises.
    """

    x: list
    nu: list
    z: list
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: mpf
    digits: int
    residual: mpf
    dps: int
    dps_check: int
    iterations: int
    floor: mpf
    stages: int = 0
    method: str = "full"
    message: str = "certified by two independent solves"
    success: bool = True
    status: int = 0

    def to_json(self) -> dict:
        """A JSON-ready dict: x as decimal strings with the certified digits, exact depth/alpha as "p/q"."""
        from implicitreg.numerics.exact import fraction_str

        return {"x": self.x_str(), "digits": self.digits, "depth": fraction_str(self.depth),
                "alpha": fraction_str(self.alpha), "alpha_convention": self.alpha_convention,
                "alpha_product": mpmath.nstr(self.alpha_product, 20), "floor": mpmath.nstr(self.floor, 20),
                "residual": mpmath.nstr(self.residual, 5), "dps": self.dps, "dps_check": self.dps_check,
                "iterations": self.iterations, "stages": self.stages, "method": self.method,
                "success": self.success, "status": self.status, "message": self.message}

    def x_str(self, digits: int | None = None) -> list[str]:
        """Decimal strings of x with ``digits`` (default: all certified) significant digits.

        Each string is within one unit of its last digit of the exact limit: the value is certified to at least
        that many digits and then rounded (entries below ``floor`` are printed at the scale ``floor``).
        """
        d = self.digits if digits is None else digits
        if d > self.digits:
            raise PrecisionError(f"only {self.digits} digits are certified, {d} requested")
        return [significant_str(v, d, self.floor) for v in self.x]


def independent_rows(A, y, integer: IntegerRows | None = None) -> tuple[list, list, list[int]]:
    """Rows of (A, y) forming a basis of the row space of A (exact, :meth:`IntegerRows.row_basis`), and their
    indices."""
    if not any(v for row in A for v in row):
        return [], [], []
    rows, _ = (integer or IntegerRows(A)).row_basis()
    if len(rows) == len(A):
        return [list(row) for row in A], list(y), list(range(len(A)))
    return [list(A[i]) for i in rows], [y[i] for i in rows], rows


class _Dual:
    """The dual problem in flint arb at the current flint precision (midpoint arithmetic)."""

    def __init__(self, A, y, D: Fraction, integer=None):
        """``integer``: a precomputed exact integer form of A (:class:`~implicitreg.numerics.mixed_limit.IntegerRows`)."""
        self.m, self.N = len(A), len(A[0])
        self.D = D
        q = lambda v: flint.arb(flint.fmpq(v.numerator, v.denominator))
        # exact integer form A = A_int / den (also used for the Hessian: fixed-point weights, fmpz_mat product)
        if integer is not None:
            den, self.Aint_rows, Aint = integer.den, integer.rows, integer.fmpz
        else:
            den = 1
            for row in A:
                for v in row:
                    den = math.lcm(den, v.denominator)
            self.Aint_rows = [[v.numerator * (den // v.denominator) for v in row] for row in A]
            Aint = flint.fmpz_mat(self.m, self.N, [v for row in self.Aint_rows for v in row])
        self.den = den
        self.Aint_T = Aint.transpose()
        self.A = (flint.arb_mat(Aint) / den).mid()
        self.AT = self.A.transpose()
        self.y = [q(v) for v in y]
        self.link = FlintLink(D)  # phi_D, phi_D', H_D in arb (numerics/_flint_link.py)
        self.two = self.link.two

    def zvec(self, nu):
        return [v.mid() for v in (self.AT * flint.arb_mat(self.m, 1, nu)).entries()]

    def phi(self, z):
        return [self.link.phi(v).mid() for v in z]

    def dphi(self, z):
        return [self.link.dphi(v).mid() for v in z]

    def H(self, z):
        return self.link.H_sum(z).mid()

    def objective(self, nu, z, a):
        return (sum((yi * ni for yi, ni in zip(self.y, nu)), flint.arb(0)) - a * self.H(z)).mid()

    def gradient(self, x):
        """y - A x."""
        Ax = (self.A * flint.arb_mat(self.N, 1, x)).entries()
        return [(yi - v).mid() for yi, v in zip(self.y, Ax)]

    def newton_direction(self, g, w):
        """(A diag(w) A^T)^{-1} g, w > 0.

        The weights are rounded to fixed point, W_j = floor(w_j 2^K) with max_j W_j ~ 2^prec, so that
        A diag(w) A^T = A_int diag(W) A_int^T 2^-K / den^2 is one exact integer matrix product (much faster than
        arb_mat products whose entries span many binades). The rounding is absolute, 2^-prec max_j w_j, which the
        caller's Hessian precision covers (it includes log10 of the spread of w).
        """
        prec = flint.ctx.prec
        mids = [wj.mid().man_exp() for wj in w]
        top = max(int(mn).bit_length() + int(ex) for mn, ex in mids)
        K = prec - top
        W = []
        for mn, ex in mids:
            shift = int(ex) + K
            mn = int(mn)
            W.append(mn << shift if shift >= 0 else mn >> -shift)
        AW = flint.fmpz_mat(self.m, self.N, [a * Wj for row in self.Aint_rows for a, Wj in zip(row, W)])
        scale = flint.arb(2) ** (-K) / (self.den * self.den)
        Hm = (flint.arb_mat(AW * self.Aint_T) * scale).mid()
        d = Hm.solve(flint.arb_mat(self.m, 1, g), algorithm="approx")
        return [v.mid() for v in d.entries()]


def _newton(dual: _Dual, nu, a, tol_digits: float, dps: int, hess: _Dual | None = None, hess_dps: int | None = None,
            max_iter: int | None = None):
    """Damped Newton for max f at alpha_prod = a (arb), from nu. Returns (nu, z, x, iterations).

    Stops when the Newton step changes every x_i by less than 10^-tol_digits relative to max(|x_i|, a), or when
    that change (below 10^-20) stops decreasing: the rounding floor. The Hessian and the Newton system may be
    formed at a lower precision ``hess_dps`` (with ``hess``, the same problem stored at that precision): an inexact
    Newton direction only slows the convergence to linear with a tiny rate, while the gradient (which fixes the
    solution) is always evaluated at ``dps``.
    """
    hess = hess or dual
    hess_dps = hess_dps or dps
    D2 = dual.two
    z = dual.zvec(nu)
    phiz = dual.phi(z)
    x = [(a * p).mid() for p in phiz]
    f = dual.objective(nu, z, a)
    tol = (flint.arb(10) ** (-int(tol_digits))).mid()
    noise = (flint.arb(10) ** (-(dps - 10))).mid()
    floor_level = (flint.arb(10) ** -20).mid()
    previous = None
    max_iter = max_iter or MAX_NEWTON
    for it in range(1, max_iter + 1):
        g = dual.gradient(x)
        w = [(a * v).mid() for v in dual.dphi(z)]
        try:
            with flint_precision(hess_dps):
                d = hess.newton_direction(g, w)
        except ZeroDivisionError:
            raise ConvergenceError("singular Newton system in the dual solve") from None
        dz = dual.zvec(d)
        slope = sum((gi * di for gi, di in zip(g, d)), flint.arb(0)).mid()
        t = flint.arb(1)
        if not D2:
            t = boundary_step(t, z, dz)
        # change of x under the full step, relative to max(|x_i|, a): the stopping measure
        change = max(((abs(wi * dzi) / max(abs(xi), a)).mid() for wi, dzi, xi in zip(w, dz, x)),
                     default=flint.arb(0))
        for t in halving_steps(t, "the dual Newton iteration"):
            trial = trial_point(nu, z, d, dz, t, D2)
            if trial is not None:
                nu_new, z_new = trial
                f_new = dual.objective(nu_new, z_new, a)
                if sufficient_ascent(f_new, f, t, slope, noise):
                    break
        nu, z, f = nu_new, z_new, f_new
        x = [(a * p).mid() for p in dual.phi(z)]
        if newton_stops(t, change, previous, tol, floor_level):
            return nu, z, x, it
        previous = change if t == 1 else None
    raise ConvergenceError(f"the dual Newton iteration did not converge in {max_iter} iterations "
                           f"at alpha_prod = {mpmath.nstr(arb_to_mpf(a), 5)}")


@dataclass
class _Solve:
    nu: list
    z: list
    x: list
    iterations: int
    stages: int
    warm: list | None  # nu (as mpf) at the last continuation stage before the target
    warm_alpha: mpf | None


def _predict(dual: _Dual, nu, log_a, previous, log_next):
    """Secant extrapolation of nu from the last two stages (kept only if inside the domain).

    The variable is log alpha for D = 2 (z grows like log(1/alpha)) and alpha^((D-2)/D) for D > 2 (nu tends to a
    limit with 1 - |z| ~ alpha^((D-2)/D), dln.md §2).
    """
    if previous is None:
        return nu
    nu_p, log_p = previous
    if dual.two:
        ratio = flint.arb(log_next - log_a) / flint.arb(log_a - log_p)
    else:
        k = float(dual.D - 2) / float(dual.D)
        s = lambda v: flint.arb(10) ** flint.arb(v * k)
        ratio = ((s(log_next) - s(log_a)) / (s(log_a) - s(log_p))).mid()
    guess = [(n + (n - p) * ratio).mid() for n, p in zip(nu, nu_p)]
    if not dual.two and any(not abs(v) < 1 for v in dual.zvec(guess)):
        return nu
    return guess


def _solve(A, y, D, alpha_product: mpf, dps: int, warm=None, warm_alpha=None) -> _Solve:
    """Continuation from alpha_prod = 1 (or from ``warm`` at ``warm_alpha``) down to the target, at ``dps``."""
    hess_dps = min(dps, working_dps(0, alpha_product, D) - GUARD_DIGITS + 30)
    with flint_precision(hess_dps):
        low = _Dual(A, y, D)
    with flint_precision(dps):
        dual = _Dual(A, y, D)
        target = to_arb(alpha_product)
        if warm is not None:
            nu = [to_arb(v) for v in warm]
            log_a = log10_abs(warm_alpha)
        else:
            nu = [flint.arb(0)] * dual.m
            log_a = 0.0
        log_target = log10_abs(alpha_product)
        iterations = stages = 0
        step = 2.0 if D == 2 else 1.0
        last_nu, last_alpha = None, None
        previous = None  # (nu, log alpha) of the stage before: secant predictor in log alpha
        while log_a - log_target > 1.0:
            log_next = max(log_a - step, log_target + 0.5)
            a = to_arb(mpmath.power(10, log_next))
            try:
                with flint_precision(hess_dps):  # intermediate stages only need a starting point
                    start = _predict(low, nu, log_a, previous, log_next)
                    nu_s, _, _, its = _newton(low, start, a, 5, hess_dps, max_iter=STAGE_NEWTON)
            except ConvergenceError:
                if step < 1e-3:
                    raise
                step /= 4
                continue
            iterations += its
            stages += 1
            previous = (nu, log_a)
            nu, log_a = nu_s, log_next
            last_nu, last_alpha = nu_s, a
            step = step * 3 if its <= 4 else step * 2 if its <= 6 else (step / 2 if its > 12 else step)
        nu = _predict(dual, nu, log_a, previous, log_target)
        nu, z, x, its = _newton(dual, nu, target, dps - 5, dps, low, hess_dps)
        iterations += its
        stages += 1
        if warm is not None:
            last_nu, last_alpha = None, None
        return _Solve(arb_to_mpf_list(nu), arb_to_mpf_list(z), arb_to_mpf_list(x), iterations, stages,
                      arb_to_mpf_list(last_nu) if last_nu is not None else None,
                      arb_to_mpf(last_alpha) if last_alpha is not None else None)




def _full_pair(Ar, yr, D, ap_low, ap_high, dps: int, dps_check: int):
    """The full-precision pair: a solve at dps_check, then one at dps from its last continuation stage."""
    with mpmath.workdps(dps_check):
        low = _solve(Ar, yr, D, ap_low, dps_check)
    with mpmath.workdps(dps):
        high = _solve(Ar, yr, D, ap_high, dps, low.warm, low.warm_alpha)
    return low, high


def gradient_flow_limit(instance, depth, alpha, *, alpha_convention: str = "product", digits: int = 30,
                        method: str = "mixed") -> LimitResult:
    """x_inf(alpha), the limit of gradient flow on 1/2||A x - y||^2 with x = u^D - v^D, u(0) = v(0), certified.

    ``alpha`` is the product scale u_i(0)^D (``alpha_convention="product"``, dln.md) or the factor scale u_i(0)
    (``"factor"``, wah.md; alpha_prod = alpha^D). ``digits``: the significant digits of x to certify (see the
    module docstring for the method and the meaning of the certificate). ``method``: ``"mixed"`` (default: float64
    continuation, refinement at working precision, independent check; falls back to ``"full"`` when it cannot
    certify) or ``"full"`` (every Newton step at working precision: the baseline, see
    :func:`full_precision_limit`).
    """
    if method not in ("mixed", "full"):
        raise InvalidParameterError(f"method must be 'mixed' or 'full', got {method!r}")
    D = depth_value(depth)
    a = positive_value(alpha, "alpha")
    alpha_convention_value(alpha_convention)
    digits_value(digits)
    if digits > MAX_DIGITS:
        raise PrecisionError(f"{digits} digits cannot be certified: the supported maximum is {MAX_DIGITS}")
    with mpmath.workdps(30):
        ap_estimate = product_scale(a, D, alpha_convention)
    if abs(log10_abs(ap_estimate)) > MAX_DECIMAL_EXPONENT:  # alpha^D in the factor convention: 1e-100^10000
        raise InvalidParameterError(
            f"alpha_product = u(0)^D = 1e{int(log10_abs(ap_estimate))} is outside [1e-{MAX_DECIMAL_EXPONENT}, "
            f"1e{MAX_DECIMAL_EXPONENT}] (the working precision grows with its exponent): use a larger alpha or "
            "a smaller depth")
    dps_low = working_dps(digits, ap_estimate, D)
    integer = instance.integer_form()
    Ar, yr, rows = independent_rows(instance.A, instance.y, integer)
    m, N = instance.m, instance.N
    if not rows:  # A = 0 and (since y is in range(A)) y = 0: x = 0, nu = 0
        with mpmath.workdps(dps_low):
            ap = product_scale(a, D, alpha_convention)
        zero = [mpf(0)] * N
        return LimitResult(x=zero, nu=[mpf(0)] * m, z=list(zero), depth=D, alpha=a, alpha_convention=alpha_convention,
                           alpha_product=ap, digits=dps_low, residual=mpf(0), dps=dps_low, dps_check=dps_low,
                           iterations=0, floor=min(ap, mpf(1)), stages=0, method=method, message="A = 0: x = 0")
    args = (instance, integer, Ar, yr, rows, D, a, alpha_convention, digits, dps_low)
    if method == "full":
        return _certify(*args, _full_pair, "full")
    try:
        from implicitreg.numerics.mixed_limit import mixed_pair

        pair = mixed_pair(Ar, yr, D, ap_estimate, integer if len(rows) == m else None, digits)
        return _certify(*args, pair, "mixed")
    except (ConvergenceError, PrecisionError) as exc:  # not certified by the mixed path: the full solve decides
        result = _certify(*args, _full_pair, "full")
        return dataclasses.replace(result, message=f"{result.message} (the mixed-precision solve did not certify: "
                                                   f"{exc})")


def full_precision_limit(instance, depth, alpha, *, alpha_convention: str = "product",
                         digits: int = 30) -> LimitResult:
    """The baseline solver: :func:`gradient_flow_limit` with ``method="full"`` (every step at working precision)."""
    return gradient_flow_limit(instance, depth, alpha, alpha_convention=alpha_convention, digits=digits,
                               method="full")


def _certify(instance, integer, Ar, yr, rows, D, a, alpha_convention, digits, dps_low, pair, method) -> LimitResult:
    """Two solves, at dps_low and dps = 2 dps_low; certified digits = their agreement, else one retry at twice the
    precision, else :class:`PrecisionError`."""
    m = instance.m
    for attempt in range(2):
        dps = 2 * dps_low
        with mpmath.workdps(dps_low):
            ap_low = product_scale(a, D, alpha_convention)
        with mpmath.workdps(dps):
            ap = product_scale(a, D, alpha_convention)
        low, high = pair(Ar, yr, D, ap_low, ap, dps, dps_low)
        with mpmath.workdps(dps):
            norm = max(abs(v) for v in high.x)
            floor = min(ap, norm) if norm else ap
            certified = agreeing_digits(low.x, high.x, floor, cap=dps_low - 5)
            if certified >= digits:
                nu = [mpf(0)] * m
                for i, v in zip(rows, high.nu):
                    nu[i] = v
                return LimitResult(x=high.x, nu=nu, z=high.z, depth=D, alpha=a, alpha_convention=alpha_convention,
                                   alpha_product=ap, digits=certified, residual=integer.residual_inf(high.x, instance.y),
                                   dps=dps, dps_check=dps_low, iterations=low.iterations + high.iterations,
                                   floor=floor, stages=low.stages + high.stages, method=method)
        dps_low *= 2
    raise PrecisionError(f"could certify only {certified} of the {digits} requested digits "
                         f"(working precision {dps_low // 2} vs {dps_low} digits)")
