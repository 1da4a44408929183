"""The dual problem of the GF limit in float64: the continuation path that brings Newton into its basin.

Same characterization as :mod:`implicitreg.numerics.dual_limit` (``dln.md`` §2, ``wah.md`` §5 Thm A): x_inf =
alpha_prod phi_D(A^T nu) with A x = y, nu the maximizer of the concave dual f(nu) = <y, nu> - alpha_prod sum H_D(A^T nu).
This module only produces a *starting point*: nothing computed here enters a certified digit, the refinement at
working precision (:mod:`implicitreg.numerics.mixed_limit`) re-evaluates everything from the exact data.

What keeps float64 usable at alpha_prod = 1e-30 and beyond:

* everything is evaluated in log form, alpha_prod phi_D(z) = exp(log alpha_prod + ...), so nothing overflows or
  underflows before it is small compared with the floor scale below;
* for D > 2 the solution sits at 1 - |z| ~ alpha_prod^((D-2)/D) from the pole. 1 -+ z are evaluated *exactly* from
  the float64 vector nu (an exact binary rational): z = A_int^T n 2^E / den as one integer product, then
  (1 - z, 1 + z) correctly rounded; a float64 ``A^T nu`` would lose every digit of 1 - z at alpha_prod = 1e-30;
* progress is measured relative to max(|x_i|, alpha_prod, 1e-11 ||x||_inf): entries below 1e-11 ||x||_inf are
  not resolvable in float64 and are left to the refinement (otherwise the continuation stalls near 1e-25);
* the Newton system A diag(w) A^T (w spanning up to 1e40) is diagonally scaled and Cholesky-factored with a tiny
  ridge when needed: weak directions are damped, not amplified;
* BLAS runs on one thread inside the solve (``threadpoolctl``; restored on exit): on shared cores multithreaded
  BLAS on 200 x 200 systems is many times slower than one thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
from scipy.linalg.lapack import dpotrf as _potrf, dpotrs as _potrs

from implicitreg.errors import ConvergenceError

FLOOR = 1e-11          # entries below FLOOR ||x||_inf are judged at that scale (not resolvable in float64)
STAGE_TOL = 1e-3       # relative change of x at which an intermediate continuation stage is accepted
FINAL_TOL = 1e-10      # ... and the stage at the target alpha
STAGE_NEWTON = 30
FINAL_NEWTON = 40
FLAT = 1e-4  # full steps below this change that stop shrinking: the float64 floor (the refinement goes on)
BOUNDARY_FRACTION = 0.99


@dataclass(frozen=True, kw_only=True)
class Float64Start:
    """A float64 dual point at the target alpha: ``nu`` (numpy), ``change`` (last relative Newton change of x),
    ``iterations``/``stages`` of the continuation, ``converged`` (change below :data:`FINAL_TOL`)."""

    nu: np.ndarray
    change: float
    iterations: int
    stages: int
    converged: bool


class Float64Dual:
    """The dual problem in float64 for rows ``A`` (Fractions, linearly independent), ``y`` and depth ``D``."""

    def __init__(self, A, y, D: Fraction, integer=None):
        """``integer``: the exact integer form of A (:class:`implicitreg.numerics.dual_limit.IntegerRows`)."""
        from implicitreg.numerics.integer_form import IntegerRows

        self.m, self.N = len(A), len(A[0])
        self.two = D == 2
        integer = integer or IntegerRows(A)
        self.den = integer.den
        if integer.float is not None:
            self.A = integer.float / integer.den
        else:
            self.A = np.array([[float(v) for v in row] for row in A])
        self.AT = np.ascontiguousarray(self.A.T)
        self.y = np.array([float(v) for v in y])
        if not self.two:
            self.AintT = integer.fmpz_T
            self.e = float(D / (D - 2))
            self.k = float(Fraction(2) / (D - 2))
            self.hk = float((D - 2) / 2)

    # -- 1 -+ z, exactly rounded (D > 2) ---------------------------------------------------------------------
    def gaps(self, nu: np.ndarray):
        """(1 - z, 1 + z) for z = A^T nu, each correctly rounded from the exact value (nu read exactly)."""
        mant, ex = np.frexp(nu)
        ints = [int(v) for v in np.ldexp(mant, 53)]
        exps = [int(v) - 53 for v in ex]
        used = [e for n, e in zip(ints, exps) if n]
        if not used:
            one = np.ones(self.N)
            return one, one.copy()
        E = min(used)
        n = [v << (e - E) if v else 0 for v, e in zip(ints, exps)]
        Z = (self.AintT * flint.fmpz_mat(self.m, 1, n)).entries()
        if E >= 0:
            q, Z = self.den, [int(v) << E for v in Z]
        else:
            q, Z = self.den << -E, [int(v) for v in Z]
        om = np.array([(q - v) / q for v in Z])
        op = np.array([(q + v) / q for v in Z])
        return om, op

    # -- x, weights and the potential at log alpha = la ----------------------------------------------------
    def state(self, nu: np.ndarray, la: float):
        """(z-data, x, w = alpha phi'(z), alpha sum H(z)) at nu, or None outside the domain (D > 2)."""
        if self.two:
            z = self.AT @ nu
            big, small = np.exp(np.abs(z) + la), np.exp(-np.abs(z) + la)
            x = np.sign(z) * (big - small)
            w = big + small
            half = np.exp(np.abs(z) / 2 + la / 2) - np.exp(-np.abs(z) / 2 + la / 2)
            return z, x, w, float(np.sum(half * half))
        om, op = self.gaps(nu)
        if not (np.all(om > 0) and np.all(op > 0)):
            return None
        lom, lop = np.log(om), np.log(op)
        e, k = self.e, self.k
        x = np.exp(la - e * lom) - np.exp(la - e * lop)
        w = e * (np.exp(la - (e + 1) * lom) + np.exp(la - (e + 1) * lop))
        aH = self.hk * float(np.sum(np.exp(la - k * lom) + np.exp(la - k * lop)) - 2 * self.N * math.exp(la))
        return (om, op), x, w, aH

    def direction(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """(A diag(w) A^T)^{-1} g, diagonally scaled; a ridge of 1e-14 (relative) if Cholesky fails."""
        B = self.A * np.sqrt(w)
        J = B @ B.T
        s = 1 / np.sqrt(np.maximum(np.diag(J), np.finfo(float).tiny))
        Js = J * s[:, None] * s[None, :]
        # LAPACK's potrf / potrs directly: what scipy.linalg.cho_factor / cho_solve call (upper factor, no cleaning),
        # without their Python layers, which cost more than the solve on these few rows (called ~10 times per stage)
        for ridge in (0.0, 1e-14, 1e-10, 1e-6):
            c, info = _potrf(Js + ridge * np.eye(self.m), lower=0, overwrite_a=0, clean=0)
            if info != 0:  # not positive definite (info > 0) at this ridge
                continue
            x, info = _potrs(c, s * g, lower=0, overwrite_b=0)
            if info == 0:
                return s * x
        return s * np.linalg.lstsq(Js, s * g, rcond=1e-14)[0]

    def newton(self, nu: np.ndarray, la: float, tol: float, max_iter: int):
        """Damped Newton at log alpha = la. Returns (nu, last change, iterations, converged)."""
        a = math.exp(la)
        st = self.state(nu, la)
        if st is None:
            return nu, math.inf, 0, False
        zd, x, w, aH = st
        f = float(self.y @ nu) - aH
        change, previous, flat = math.inf, math.inf, 0
        for it in range(1, max_iter + 1):
            g = self.y - self.A @ x
            d = self.direction(w, g)
            dz = self.AT @ d
            scale = np.maximum(np.maximum(np.abs(x), a), FLOOR * max(float(np.max(np.abs(x))), a))
            change = float(np.max(np.abs(w * dz) / scale))
            if not math.isfinite(change):
                return nu, math.inf, it, False
            t = 1.0
            if not self.two:
                om, op = zd
                with np.errstate(divide="ignore"):
                    lim = np.where(dz > 0, om / dz, np.where(dz < 0, -op / dz, np.inf))
                t = min(1.0, BOUNDARY_FRACTION * float(np.min(lim)))
            slope = float(g @ d)
            noise = 1e-13 * (abs(float(self.y @ nu)) + abs(aH) + 1.0)
            for _ in range(60):
                cand = nu + t * d
                st = self.state(cand, la)
                if st is not None:
                    f_new = float(self.y @ cand) - st[3]
                    if f_new >= f + 1e-4 * t * slope - noise:
                        break
                t /= 2
            else:
                return nu, change, it, False
            nu, (zd, x, w, aH), f = cand, st, f_new
            if t == 1.0 and change <= tol:
                return nu, change, it, True
            # the float64 floor: full steps whose change stopped shrinking
            flat = flat + 1 if (t == 1.0 and change > previous / 2 and change < FLAT) else 0
            if flat >= 3:
                return nu, change, it, change <= FLAT
            previous = change
        return nu, change, max_iter, False

    def predict(self, nu, log_a, previous, log_next):
        """Secant extrapolation of nu (in log alpha for D = 2, in alpha^((D-2)/D) for D > 2), kept if inside."""
        if previous is None:
            return nu
        nu_p, log_p = previous
        if self.two:
            ratio = (log_next - log_a) / (log_a - log_p)
        else:
            k = (self.e - 1) / self.e  # (D-2)/D
            s = lambda v: 10.0 ** (v * k)
            ratio = (s(log_next) - s(log_a)) / (s(log_a) - s(log_p))
        guess = nu + (nu - nu_p) * ratio
        if not self.two:
            om, op = self.gaps(guess)
            if not (np.all(om > 0) and np.all(op > 0)):
                return nu
        return guess


_CONTROLLER = []


def blas_one_thread():
    """Context manager: BLAS limited to one thread inside, the previous limits restored on exit (threadpoolctl).

    On shared cores a multithreaded BLAS on the small systems here is many times slower than one thread."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def float64_start(A, y, D: Fraction, log10_alpha: float, integer=None) -> Float64Start:
    """Continuation in alpha from alpha_prod = 1 down to 10^log10_alpha in float64 (BLAS pinned to one thread).

    Data, depths or scales outside the float64 range (entries like 1e9999, alpha_prod = 1e400, D = 2 + 1e-5000)
    raise :class:`ConvergenceError`: the float64 start cannot be formed, and the caller's full-precision solve
    decides. NaNs on the way are rejected by the Newton steps' own checks (no warnings printed)."""
    with blas_one_thread(), np.errstate(all="ignore"):
        try:
            return _continuation(Float64Dual(A, y, D, integer), log10_alpha)
        except OverflowError as exc:
            raise ConvergenceError(f"the float64 start is outside the float64 range ({exc})") from None


def _continuation(P: Float64Dual, log_target: float) -> Float64Start:
    ln10 = math.log(10)
    nu = np.zeros(P.m)
    log_a, step = 0.0, (2.0 if P.two else 1.0)
    previous = None
    iterations = stages = 0
    while log_a - log_target > 0.5:
        log_next = max(log_a - step, log_target)
        if log_next - log_target < 0.5:
            log_next = log_target
        start = P.predict(nu, log_a, previous, log_next)
        final = log_next == log_target
        new, change, its, ok = P.newton(start, log_next * ln10, FINAL_TOL if final else STAGE_TOL,
                                        FINAL_NEWTON if final else STAGE_NEWTON)
        iterations += its
        if not ok and not final:
            if step < 1e-3:
                break
            step /= 4
            continue
        stages += 1
        previous = (nu, log_a)
        nu, log_a = new, log_next
        if final:
            return Float64Start(nu=nu, change=change, iterations=iterations, stages=stages, converged=ok)
        step = step * 3 if its <= 4 else step * 2 if its <= 6 else (step / 2 if its > 12 else step)
    if log_a != log_target:  # the target is within half a decade of alpha_prod = 1, or the continuation gave up
        nu, change, its, ok = P.newton(nu, log_target * ln10, FINAL_TOL, FINAL_NEWTON)
        return Float64Start(nu=nu, change=change, iterations=iterations + its, stages=stages + 1, converged=ok)
    return Float64Start(nu=nu, change=0.0, iterations=iterations, stages=stages, converged=True)
