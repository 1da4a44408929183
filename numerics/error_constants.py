"""The constants of the depth-D error theorems (dln.md §3-4), computed.

Notation: x* the unique l1 minimizer, S = supp x*, s = |S|, n = N - s, sigma = sgn x*_S, C = S^c,
rho = rho(A, S, sigma) (:func:`~implicitreg.numerics.basis_pursuit.rho_constant`),
K2 = ||A_S^+ A_C||_{1->1} (:func:`~implicitreg.numerics.basis_pursuit.support_pinv_norm`),
w = A^T nu the dual point of the gradient-flow limit, L = log(1/alpha) (alpha = product scale).

* :func:`support_constants`: S, sigma, rho, K2, n, K1* = max_{i in S} |log|x*_i||, m* = min_{i in S} |x*_i| (exact
  basis pursuit; raises for a non-unique or zero x*).
* :func:`posterior_constants`: what the proofs use from the computed limit, K1(alpha) = ||w_S - sigma L||_inf
  (D = 2) and eps(alpha) = ||w_S - sigma||_inf, rho_a = rho + K2 eps (D > 2) [derived, proofs/derivations].
* :func:`limit_direction`: lambda_D = argmin { sum_{i in C} H_D(a_i^T lam) : A_S^T lam = sigma } by damped
  Newton on the affine set (a basis of ker A_S^T parameterizes it), and
  e_D = (e_S, e_C), e_C = h_D(A_C^T lambda_D), e_S = -A_S^+ A_C e_C: the MS-D3 limit of (x_inf - x*)/alpha
  [derived, proofs/derivations/ms_d3.py]. Certified by a second solve at twice the precision.
* :func:`offsupport_radius`: M_0 = H_D^{-1}(n H_D(rho_a)) (our proof) and :func:`offsupport_radius_spec`:
  the root of (M - rho_a) h_D(M) = n rho_a h_D(rho_a) (the spec's form), both in [rho_a, 1).
* :func:`alpha_zero_d2`: the alpha_0 below which the a-priori MS-D2 constant K1* + log 2 + 4 alpha^2/m*^2 is valid.
* :func:`row_family_limit`: the closed-form GF limit of the tightness family [1, r, ..., r] (scalar root in z), an
  independent path to x_inf (theory/examples.py).
* :func:`crossover_alpha`: the alpha where depth D and depth 2 have equal l1 error (bisection in log alpha).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
from mpmath import mpf

from implicitreg.errors import (ConvergenceError, HypothesisNotMetError, InvalidParameterError,
                                NonUniqueMinimizerError, PrecisionError)
from implicitreg.numerics._result import Result
from implicitreg.numerics.exact import columns, nullspace, pinv_times, transpose
from implicitreg.numerics.precision import mpf_from
from implicitreg.numerics.potentials import depth_value, dual_potential, link, link_derivative, positive_value


@dataclass(frozen=True, kw_only=True)
class SupportConstants(Result):
    """Exact data of x*: support S (0-based), signs sigma, rho, K2, n = N - s, K1* and m* (as Fractions/mpf)."""

    x_star: tuple[Fraction, ...]
    support: tuple[int, ...]
    signs: tuple[int, ...]
    rho: Fraction
    K2: Fraction
    n: int
    K1_star: mpf          # max_{i in S} |log |x*_i||
    m_star: Fraction      # min_{i in S} |x*_i|
    lam_rho: tuple[Fraction, ...]  # a lambda attaining rho
    pinv: tuple[tuple[Fraction, ...], ...]  # A_S^+ A_C (s x n)

    @property
    def complement(self) -> tuple[int, ...]:
        S = set(self.support)
        return tuple(j for j in range(len(self.x_star)) if j not in S)


def support_constants(instance) -> SupportConstants:
    """S, sigma, rho, K2, n, K1*, m* of the unique l1 minimizer (raises when x* is not unique or is 0)."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer, support_pinv_norm

    bp = l1_minimizer(instance)
    if not bp.unique:
        raise NonUniqueMinimizerError(f"x* not unique: basis pursuit has a face of dimension {bp.face.dimension}")
    if not bp.support:
        raise HypothesisNotMetError("x* = 0 (y = 0): the error theorems need a nonzero x*")
    S = tuple(bp.support)
    C = [j for j in range(instance.N) if j not in S]
    K2 = support_pinv_norm(instance.A, S)
    P = pinv_times(columns(instance.A, S), columns(instance.A, C)) if C else [[] for _ in S]
    with mpmath.workdps(50):
        K1 = max(abs(mpmath.log(mpf_from(abs(bp.x[i])))) for i in S)
    return SupportConstants(x_star=tuple(bp.x), support=S, signs=tuple(bp.signs), rho=bp.rho, K2=K2, n=len(C),
                            K1_star=K1, m_star=min(abs(bp.x[i]) for i in S), lam_rho=tuple(bp.certificate),
                            pinv=tuple(tuple(r) for r in P))


@dataclass(frozen=True, kw_only=True)
class PosteriorConstants(Result):
    """Constants the proofs read off the computed limit (w = A^T nu = limit.z)."""

    K1: mpf      # D = 2: ||w_S - sigma L||_inf, L = log(1/alpha)
    eps: mpf     # ||w_S - sigma||_inf
    rho_a: mpf   # rho + K2 eps (D > 2)
    rho_minus: mpf  # rho - K2 eps (D > 2)
    w_off: mpf   # max_{i in C} |w_i|


def posterior_constants(limit, sc: SupportConstants) -> PosteriorConstants:
    """K1(alpha), eps(alpha), rho_a = rho + K2 eps, rho - K2 eps and max_C |w_i| from a LimitResult."""
    with mpmath.workdps(limit.dps):  # w_S - sigma L cancels ~log10(L) digits: work at the limit's precision
        w = limit.z
        L = -mpmath.log(limit.alpha_product)
        K1 = max(abs(w[i] - sg * L) for i, sg in zip(sc.support, sc.signs))
        eps = max(abs(w[i] - sg) for i, sg in zip(sc.support, sc.signs))
        w_off = max((abs(w[j]) for j in sc.complement), default=mpf(0))
        return PosteriorConstants(K1=K1, eps=eps, rho_a=mpf_from(sc.rho) + mpf_from(sc.K2) * eps,
                                  rho_minus=mpf_from(sc.rho) - mpf_from(sc.K2) * eps, w_off=w_off)


# --------------------------------------------------------------------------------------------------
# lambda_D and e_D
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class LimitDirection(Result):
    """lambda_D, w_C = A_C^T lambda_D, and e_D = lim (x_inf - x*)/alpha (MS-D3)."""

    depth: Fraction
    lam: list
    w_off: list
    e: list
    e_norm1: mpf
    e_norm_inf: mpf
    objective: mpf
    iterations: int
    digits: int


def _newton_direction(A, S, sig, C, lam0, D, dps):
    """Damped Newton for min F(mu) = sum_{i in C} H_D(a_i^T (lam0 + Z mu)); returns (lam, iterations)."""
    m = len(A)
    with mpmath.workdps(dps):
        AS_T = transpose(columns(A, S))  # s x m
        Z = nullspace(AS_T, m)           # basis of ker A_S^T (vectors of length m)
        lam0m = [mpf_from(v) for v in lam0]
        if not Z or not C:
            return lam0m, 0
        Cm = [[mpf_from(A[i][j]) for i in range(m)] for j in C]  # a_j as rows
        G = [[mpmath.fsum(a[i] * mpf_from(z[i]) for i in range(m)) for z in Z] for a in Cm]  # n x k
        b = [mpmath.fsum(a[i] * lam0m[i] for i in range(m)) for a in Cm]
        k = len(Z)
        mu = [mpf(0)] * k

        def t_of(mu_):
            return [b[r] + mpmath.fsum(G[r][c] * mu_[c] for c in range(k)) for r in range(len(C))]

        def F(t):
            return mpmath.fsum(dual_potential(D, v) for v in t)

        t = t_of(mu)
        f = F(t)
        tol = mpf(10) ** (-dps + 8)
        for it in range(1, 200):
            g = [mpmath.fsum(G[r][c] * link(D, t[r]) for r in range(len(C))) for c in range(k)]
            Hm = mpmath.matrix(k, k)
            for c1 in range(k):
                for c2 in range(k):
                    Hm[c1, c2] = mpmath.fsum(G[r][c1] * G[r][c2] * link_derivative(D, t[r]) for r in range(len(C)))
            step = mpmath.lu_solve(Hm, mpmath.matrix(g))
            dec = mpmath.fsum(g[c] * step[c] for c in range(k))  # Newton decrement^2
            s_len = mpf(1)
            local = dec < mpf(10) ** -8 * (1 + abs(f))  # quadratic region: full steps, no Armijo test
            while True:
                trial_mu = [mu[c] - s_len * step[c] for c in range(k)]
                tt = t_of(trial_mu)
                if max(abs(v) for v in tt) < 1:
                    ft = F(tt)
                    if local or ft <= f - s_len * dec / 4:
                        break
                s_len /= 2
                if s_len < mpf(10) ** (-30):
                    raise ConvergenceError("lambda_D Newton: line search failed")
            mu, t, f = trial_mu, tt, ft
            if local and max(abs(v) for v in step) * s_len < tol:
                break
        else:
            raise ConvergenceError("lambda_D Newton did not converge in 200 iterations")
        lam = [lam0m[i] + mpmath.fsum(mpf_from(Z[c][i]) * mu[c] for c in range(k)) for i in range(m)]
        return lam, it


def limit_direction(instance, depth, *, digits: int = 30, sc: SupportConstants | None = None) -> LimitDirection:
    """lambda_D, e_D of MS-D3 (see the module docstring), certified to ``digits`` by a solve at twice the precision."""
    from implicitreg.numerics.dual_limit import independent_rows
    from implicitreg.numerics.precision import agreeing_digits

    D = depth_value(depth)
    if D <= 2:
        raise InvalidParameterError("lambda_D / e_D are defined for depth D > 2")
    sc = sc or support_constants(instance)
    Ar, _, rows = independent_rows([list(r) for r in instance.A], list(instance.y))
    lam0 = [sc.lam_rho[i] for i in rows]
    S, C = list(sc.support), list(sc.complement)
    results = []
    for dps in (digits + 15, 2 * digits + 30):
        lam, its = _newton_direction(Ar, S, list(sc.signs), C, lam0, D, dps)
        with mpmath.workdps(dps):
            w_off = [mpmath.fsum(mpf_from(Ar[i][j]) * lam[i] for i in range(len(Ar))) for j in C]
            eC = [link(D, v) for v in w_off]
            eS = [-mpmath.fsum(mpf_from(sc.pinv[a][c]) * eC[c] for c in range(len(C))) for a in range(len(S))]
            e = [mpf(0)] * instance.N
            for a, i in enumerate(S):
                e[i] = eS[a]
            for c, j in enumerate(C):
                e[j] = eC[c]
            obj = mpmath.fsum(dual_potential(D, v) for v in w_off)
        results.append((lam, w_off, e, obj, its))
    with mpmath.workdps(2 * digits + 30):
        lo, hi = results
        scale = max([abs(v) for v in hi[2]] + [mpf(1)])
        got = agreeing_digits(lo[2], hi[2], scale, cap=digits + 10)
        if got < digits:
            raise PrecisionError(f"e_D: only {got} of {digits} digits agree between the two precisions")
        e = hi[2]
        lam = [mpf(0)] * instance.m
        for i, v in zip(rows, hi[0]):
            lam[i] = v
        return LimitDirection(depth=D, lam=lam, w_off=hi[1], e=e, e_norm1=mpmath.fsum(abs(v) for v in e),
                              e_norm_inf=max(abs(v) for v in e), objective=hi[3], iterations=hi[4], digits=got)


# --------------------------------------------------------------------------------------------------
# M_0, alpha_0
# --------------------------------------------------------------------------------------------------

def _increasing_root(f, lo, hi, iterations: int | None = None):
    """The root of an increasing f on [lo, hi] with f(lo) <= 0 < f(hi), by bisection to working precision."""
    iterations = iterations or mpmath.mp.prec + 20
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if mid == lo or mid == hi:
            break
        if f(mid) <= 0:
            lo = mid
        else:
            hi = mid
    return hi


def _gap_root(g, rho_a):
    """M in [rho_a, 1) solving g(M) = 0 for g increasing to +oo at 1- (g(rho_a) <= 0); the upper end of the final
    bracket is returned (g(M) >= 0: M_0 is used as an upper bound).

    Brent's method (inverse quadratic interpolation, secant and bisection steps, R. P. Brent, Algorithms for
    Minimization without Derivatives, 1973, ch. 4) in u = -log(1 - M), which keeps relative accuracy at both ends
    (u ~ M near 0; the gap 1 - M = e^(-u) near 1, where h_D and H_D blow up). The bracket first comes from squaring
    the gap 1 - M; it ends at relative width about 2^(-prec+2) in M (1 - M near 1 is resolved only to the spacing of
    numbers below 1).
    """
    lo = mpf(rho_a)
    gap, smallest = (1 - lo) / 2, mpf(2) ** -mpmath.mp.prec  # 1 - smallest: the largest number below 1
    while (ghi := g(1 - gap)) <= 0:
        if gap <= smallest:  # the root lies closer to 1 than the working precision resolves (g(1) is undefined)
            raise ConvergenceError("M_0: no bracket below 1 at this precision")
        lo, gap = 1 - gap, max(gap * gap, smallest)  # u = -log(1 - M) doubles
    hi = 1 - gap
    glo = g(lo)

    def to_u(M):
        return -mpmath.log1p(-M)

    def to_m(u):
        return -mpmath.expm1(-u)

    eps = mpf(2) ** (-mpmath.mp.prec + 1)
    a, fa, b, fb = to_u(lo), glo, to_u(hi), ghi
    c, fc, d = a, fa, b - a
    e = d
    for _ in range(3 * mpmath.mp.prec + 60):
        if (fb > 0) == (fc > 0):
            c, fc, d = a, fa, b - a
            e = d
        if abs(fc) < abs(fb):
            a, b, c, fa, fb, fc = b, c, b, fb, fc, fb
        M = to_m(b)
        tol = eps * M / (1 - M) + eps * abs(b)  # a relative step of about eps in M, in u
        xm = (c - b) / 2
        if abs(xm) <= tol or fb == 0:
            break
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2 * xm * s, 1 - s
            else:  # inverse quadratic interpolation
                q, r = fa / fc, fb / fc
                p = s * (2 * xm * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * xm * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = xm
        else:
            d = e = xm
        a, fa = b, fb
        b += d if abs(d) > tol else (tol if xm > 0 else -tol)
        fb = g(to_m(b))
    # the end of the bracket [b, c] where g >= 0
    return to_m(b) if fb >= 0 else to_m(c)


def offsupport_radius(depth, rho_a, n) -> mpf:
    """M_0 = H_D^{-1}(n H_D(rho_a)) in [rho_a, 1): the bound max_{i in C} |w_i| <= M_0 (proofs/derivations/ms_d3.py)."""
    D = depth_value(depth)
    rho_a = mpf(rho_a)
    if not 0 <= rho_a < 1:
        raise HypothesisNotMetError(f"rho_a = {mpmath.nstr(rho_a, 8)} is not in [0, 1): alpha above alpha_0")
    if n <= 1 or rho_a == 0:
        return rho_a  # H_D^{-1}(H_D(rho_a)) = rho_a exactly (n = 1); nothing off S (n = 0)
    target = n * dual_potential(D, rho_a)
    return _gap_root(lambda M: dual_potential(D, M) - target, rho_a)


def offsupport_radius_spec(depth, rho_a, n) -> mpf:
    """The spec's M_0 (dln.md §4): the root in [rho_a, 1) of (M - rho_a) h_D(M) = n rho_a h_D(rho_a)."""
    D = depth_value(depth)
    rho_a = mpf(rho_a)
    if not 0 <= rho_a < 1:
        raise HypothesisNotMetError(f"rho_a = {mpmath.nstr(rho_a, 8)} is not in [0, 1): alpha above alpha_0")
    if n == 0 or rho_a == 0:
        return rho_a
    target = n * rho_a * link(D, rho_a)
    return _gap_root(lambda M: (M - rho_a) * link(D, M) - target, rho_a)


def k1_apriori(sc: SupportConstants, alpha) -> mpf:
    """K1* + log 2 + 4 alpha^2 / m*^2: bounds K1(alpha) whenever ||x_S - x*_S||_inf <= m*/2 (ms_d2.py step 13)."""
    a = mpf_from(positive_value(alpha))
    return sc.K1_star + mpmath.log(2) + 4 * a ** 2 / mpf_from(sc.m_star) ** 2


def alpha_zero_d2(sc: SupportConstants) -> mpf:
    """alpha_0 of the a-priori MS-D2 bound: the largest alpha with K2 n e^{Kbar1 K2} alpha^(1-rho) <= m*/2.

    Below alpha_0 the continuity argument of ms_d2.py keeps ||x_S - x*_S||_inf <= m*/2, hence
    K1(alpha) <= Kbar1(alpha) = K1* + log 2 + 4 alpha^2/m*^2. Returns +inf when K2 n = 0.
    """
    K2, n, rho = mpf_from(sc.K2), sc.n, mpf_from(sc.rho)
    if K2 == 0 or n == 0:
        return mpmath.inf
    half_m = mpf_from(sc.m_star) / 2

    def excess(log_a):
        a = mpmath.exp(log_a)
        Kb = sc.K1_star + mpmath.log(2) + 4 * a ** 2 / mpf_from(sc.m_star) ** 2
        return mpmath.log(K2 * n) + Kb * K2 + (1 - rho) * log_a - mpmath.log(half_m)

    lo, hi = mpf(-2000), mpf(50)
    if excess(lo) > 0:
        return mpf(0)
    return mpmath.exp(_increasing_root(excess, lo, hi, 200))


# --------------------------------------------------------------------------------------------------
# the tightness family in closed form, and the depth crossover
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RowFamilyLimit(Result):
    """x_inf of A = [1, r, ..., r] (n copies), y = 1: x_1 = alpha phi(z), x_j = alpha phi(r z); error = n(1+r) x_j."""

    z: mpf
    x1: mpf
    xj: mpf
    error_l1: mpf
    error_inf: mpf


def row_family_limit(depth, r, n: int, alpha, *, dps: int = 60) -> RowFamilyLimit:
    """Solve alpha (phi_D(z) + n r phi_D(r z)) = 1 for z (theory/examples.py), at ``dps`` digits."""
    D = depth_value(depth)
    a = positive_value(alpha)
    rq = Fraction(r)
    if not 0 <= rq < 1:
        raise InvalidParameterError(f"the family needs 0 <= r < 1, got {r}")
    with mpmath.workdps(dps + 10):
        am, rm = mpf_from(a), mpf_from(rq)

        def residual(zz):
            return am * (link(D, zz) + n * rm * link(D, rm * zz)) - 1

        if D == 2:
            hi = mpmath.asinh(1 / (2 * am)) + 1
            z = _increasing_root(residual, mpf(0), hi)
        else:
            z = _gap_root(residual, mpf(0))
        x1, xj = am * link(D, z), am * link(D, rm * z)
        err = n * (1 + rm) * xj
        return RowFamilyLimit(z=+z, x1=+x1, xj=+xj, error_l1=+err, error_inf=max(n * rm * xj, xj) if n else mpf(0))


@dataclass(frozen=True, kw_only=True)
class Crossover(Result):
    """alpha_c where ||x_inf^(D) - x*||_1 = ||x_inf^(2) - x*||_1; below it depth D is closer (if ``found``)."""

    depth: Fraction
    alpha: mpf | None
    found: bool
    note: str


def limit_error(instance, depth, alpha, x_star, *, digits: int = 15):
    """(||x_inf - x*||_1, ||x_inf - x*||_inf, LimitResult) via :func:`gradient_flow_limit` (product convention)."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    lim = gradient_flow_limit(instance, depth, alpha, alpha_convention="product", digits=digits)
    with mpmath.workdps(lim.dps):
        h = [xi - mpf_from(xs) for xi, xs in zip(lim.x, x_star)]
        return mpmath.fsum(abs(v) for v in h), max(abs(v) for v in h), lim


def crossover_alpha(instance, depth, *, log10_range=(-40, 0), digits: int = 12, x_star=None,
                    iterations: int = 40) -> Crossover:
    """Bisection in log10 alpha for err_D(alpha) = err_2(alpha) (l1 errors of the GF limits)."""
    D = depth_value(depth)
    if D == 2:
        raise InvalidParameterError("the crossover compares a depth D > 2 with depth 2")
    if x_star is None:
        x_star = support_constants(instance).x_star

    def gap(e10):
        a = Fraction(10) ** int(e10) if e10 == int(e10) else Fraction(mpmath.nstr(mpmath.power(10, e10), 20))
        e2 = limit_error(instance, 2, a, x_star, digits=digits)[0]
        eD = limit_error(instance, D, a, x_star, digits=digits)[0]
        return mpmath.log(e2) - mpmath.log(eD)  # > 0: depth D closer

    lo, hi = mpf(log10_range[0]), mpf(log10_range[1])
    glo, ghi = gap(lo), gap(hi)
    if glo <= 0:
        return Crossover(depth=D, alpha=None, found=False, note=f"depth {D} is not closer even at alpha = 1e{int(lo)}")
    if ghi > 0:
        return Crossover(depth=D, alpha=None, found=False,
                         note=f"depth {D} is closer on the whole range up to alpha = 1e{int(hi)}")
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if gap(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < mpf(10) ** -6:
            break
    return Crossover(depth=D, alpha=mpmath.power(10, (lo + hi) / 2), found=True, note="bisection in log10 alpha")
