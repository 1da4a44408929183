"""Lemma B (uniform expansion of the primal potential), proved step by step in SymPy.   [derived]

Statement (``wah.md`` §5, alpha per factor, product scale alpha^p): for all real x and alpha > 0,

    p = 2:  0 <= alpha^2 q_2(x/alpha^2) - [|x| log(1/alpha^2) + g_2(x)]        <= 2 alpha^2,
    p > 2:  0 <= alpha^p q_p(x/alpha^p) - [|x| - (p/2) alpha^(p-2) |x|^(2/p)]    <= C_p alpha^p,

C_p = ((p-2)/2)(2 - 2^(-2/(p-2))). With u = x / alpha^p both sides are alpha^p r_p(u), where
r_p(u) = q_p(u) - |u| + (p/2)|u|^(2/p) (p > 2) and r_2(u) = q_2(u) - |u| log|u| + |u| (the powers of
alpha cancel exactly; step ``scaling``). The proof:

1. ``even``: h_p is odd, so h_p^{-1} is odd and q_p = integral of h_p^{-1} is even; so is the approximation.
2. ``zero``: r_p(0) = 0 (q_p(0) = 0; |u|^(2/p) and u log u vanish at 0).
3. ``monotone``: for u > 0, r_p'(u) = h_p^{-1}(u) - 1 + u^(2/p - 1) >= 0. With tau = u^(-(p-2)/p):
   if tau >= 2 then h_p^{-1}(u) > -1 >= 1 - tau; if tau < 2 then h_p(1 - tau) = u - (2 - tau)^(-p/(p-2)) < u,
   so h_p^{-1}(u) > 1 - tau (h_p increasing). For p = 2, r_2'(u) = asinh(u/2) - log u
   = log(1/2 + sqrt(1/4 + 1/u^2)) > 0.
4. ``limit``: r_p(u) -> C_p as u -> infinity. In the Legendre parameter t = h_p^{-1}(u) = 1 - e, with
   a = 2/(p-2) and f = 2 - e: r = e^(-a)[-1 - (p-2)/2 + p/2] + rest(e) + (p/2) e^(-a)((1-w)^(2/p) - 1),
   where w = (e/f)^(1+a), rest(e) = e f^(-1-a) + (p-2) - ((p-2)/2) f^(-a) -> C_p, the bracket is 0, and
   the last term is bounded by (p/2) e f^(-1-a) -> 0 (since 0 <= 1 - (1-w)^(2/p) <= w). For p = 2 the
   limit is computed by SymPy directly. Also checked by ``sympy.limit`` at p = 5/2, 3, 4, 6.

Hence 0 = r_p(0) <= r_p(u) <= sup r_p = lim r_p = C_p, and the upper constant is attained only in
the limit |x|/alpha^p -> infinity, i.e. C_p is tight: for every c < C_p some u has r_p(u) > c
(:func:`tightness_witness`). Spec values confirmed: C_2.5 = 31/64 = 0.484375, C_3 = 7/8, C_4 = 3/2,
C_6 = 4 - sqrt(2) = 2.5857864...  The next term for p = 2, -alpha^4/|x|, is ``next_term_p2``.
"""
from __future__ import annotations


import mpmath
import sympy

from implicitreg.proofs.derivations import Step
from implicitreg.theory import potentials as P



_a, _e, _f, _W, _u, _tau = sympy.symbols("a e f W u tau", positive=True)
_alpha = sympy.Symbol("alpha", positive=True)
_p = sympy.Symbol("p", positive=True)


def _zero(expr) -> bool:
    expr = sympy.powsimp(sympy.expand_power_base(sympy.expand(expr), force=True), force=True)
    return sympy.simplify(expr) == 0


def scaling(p) -> Step:
    """alpha^p r_p(x/alpha^p) equals the Lemma B remainder in x (the alpha powers cancel exactly)."""
    x = sympy.Symbol("x", positive=True)
    u = x / _alpha ** p
    p_ = sympy.nsimplify(p)
    if p_ == 2:
        approx_u = u * sympy.log(u) - u
        approx_x = x * sympy.log(1 / _alpha ** 2) + x * sympy.log(x) - x
    else:
        approx_u = u - p_ / 2 * u ** (2 / p_)
        approx_x = x - p_ / 2 * _alpha ** (p_ - 2) * x ** (2 / p_)
    ok = _zero(sympy.expand_log(_alpha ** p_ * approx_u - approx_x, force=True))
    return Step("scaling", "alpha^p * approx(x/alpha^p) = approximation of Lemma B in x", ok)


def even(p) -> Step:
    """h_p(-s) = -h_p(s) (so q_p is even); the approximation is a function of |x|."""
    s = P.s
    ok = sympy.simplify(P.h(p, -s) + P.h(p, s)) == 0
    return Step("even", "h_p odd => q_p and r_p even", ok)


def zero(p) -> Step:
    """r_p(0) = 0."""
    p_ = sympy.nsimplify(p)
    if p_ == 2:
        val = sympy.limit(P.lemma_b_remainder(2, _u), _u, 0, "+")
    else:
        u, r = P.lemma_b_remainder_parametric(p_)
        val = sympy.simplify(r.subs(P.t, 0))
    return Step("zero", "r_p(0) = 0", val == 0, detail=f"r_p(0) = {val}")


def monotone(p=None) -> Step:
    """r_p' >= 0 on u > 0. Symbolic in p (> 2) when ``p`` is None, else the p = 2 case when p == 2."""
    if p is not None and sympy.nsimplify(p) == 2:
        r2 = P.lemma_b_remainder(2, _u)
        deriv_ok = _zero(sympy.diff(r2, _u) - (sympy.asinh(_u / 2) - sympy.log(_u)))
        # exp(r_2') = 1/2 + sqrt(1/4 + 1/u^2) > 1
        arg_ok = _zero(sympy.exp(sympy.asinh(_u / 2).rewrite(sympy.log)) / _u - (sympy.Rational(1, 2) + sympy.sqrt(sympy.Rational(1, 4) + 1 / _u ** 2)))
        return Step("monotone", "r_2'(u) = log(1/2 + sqrt(1/4 + 1/u^2)) > 0", deriv_ok and arg_ok)
    p_ = _p if p is None else sympy.nsimplify(p)
    k = p_ / (p_ - 2)
    tau = _u ** (-(p_ - 2) / p_)
    # h_p(1 - tau) - u + (2 - tau)^(-k) == 0 : so h_p(1 - tau) < u whenever tau < 2
    expr = P.h(p_, 1 - _tau).subs(_tau, tau) - _u + (2 - tau) ** (-k)
    ok = _zero(expr)
    # and r_p'(u) = h_p^{-1}(u) - 1 + u^(2/p - 1): derivative of the approximation
    approx = _u - p_ / 2 * _u ** (2 / p_)
    ok2 = _zero(sympy.diff(approx, _u) - (1 - _u ** (2 / p_ - 1)))
    return Step("monotone", "h_p(1 - u^(-(p-2)/p)) = u - (2 - tau)^(-p/(p-2)) < u, so r_p' >= 0", ok and ok2)


def limit_constant(p=None) -> Step:
    """lim_{u -> inf} r_p(u) = C_p: symbolic in p > 2 (``p`` None) via the decomposition above, or by sympy.limit."""
    if p is None:
        a, e, f, W = _a, _e, _f, _W
        p_ = 2 + 2 / a
        k = 1 + a
        u = e ** (-k) - f ** (-k)
        H = (p_ - 2) / 2 * (e ** (-a) + f ** (-a) - 2)
        w = (e / f) ** k
        split_ok = _zero((e ** (-a)) ** ((a + 1) / a) * (1 - w) - u)  # u^(2/p) = e^-a (1-w)^(2/p)
        r = (1 - e) * u - H - u + p_ / 2 * e ** (-a) * W
        rest = e * f ** (-k) + (p_ - 2) - (p_ - 2) / 2 * f ** (-a)
        wterm = p_ / 2 * e ** (-a) * (W - 1)
        decomposition_ok = _zero(r - rest - wterm)
        C = P.lemma_b_constant(_p).subs(_p, p_)
        rest_limit_ok = _zero(rest.subs(f, 2 - e).subs(e, 0) - C)
        wterm_bound_ok = _zero(p_ / 2 * e ** (-a) * w - p_ / 2 * e * f ** (-k))  # -> 0 as e -> 0
        ok = split_ok and decomposition_ok and rest_limit_ok and wterm_bound_ok
        return Step("limit", "r_p(u) -> ((p-2)/2)(2 - 2^(-2/(p-2))) as u -> inf (symbolic p > 2)", ok)
    p_ = sympy.nsimplify(p)
    if p_ == 2:
        L = sympy.limit(P.lemma_b_remainder(2, _u), _u, sympy.oo)
    else:
        u, r = P.lemma_b_remainder_parametric(p_)
        L = sympy.limit(r.subs(P.t, 1 - _e), _e, 0, "+")
    C = P.lemma_b_constant(p_)
    return Step("limit", f"r_{p_}(u) -> C_{p_} = {C}", sympy.simplify(L - C) == 0, detail=f"limit {L}")


def next_term_p2() -> Step:
    """r_2(u) = 2 - 1/u + O(u^-3): the next term of Lemma B for p = 2 is -alpha^4/|x|."""
    v = sympy.Symbol("v", positive=True)  # v = 1/u
    expr = P.lemma_b_remainder(2, 1 / v).rewrite(sympy.log)
    ser = sympy.series(expr, v, 0, 2).removeO()
    return Step("next_term", "r_2(u) = 2 - 1/u + O(u^-2)", sympy.simplify(ser - (2 - v)) == 0, detail=str(ser))


def _cancelled_digits(u) -> int:
    """Decimal digits lost to cancellation in r_p(u): its terms have size |u| (1 + |log |u||), its value is below
    C_p; 0 for |u| <= 1."""
    a = abs(mpmath.mpf(u))
    return 0 if a <= 1 else int(mpmath.log10(a * (1 + abs(mpmath.log(a))))) + 2


def remainder(p, u, dps: int = 50) -> mpmath.mpf:
    """r_p(u) by the parametric form: solve h_p(t) = u by bisection-safe Newton at ``dps`` digits.

    Independent of :mod:`implicitreg.numerics` on purpose (its own inversion), for the tightness check.
    r_p(u) (at most C_p) is the difference of terms of size |u| log|u|, so the work precision is dps + 10 guard
    digits plus the digits that cancellation takes (:func:`_cancelled_digits`).
    """
    p_ = sympy.nsimplify(p)
    with mpmath.workdps(dps + 10 + _cancelled_digits(u)):
        u = abs(mpmath.mpf(u))
        if p_ == 2:
            val = u * mpmath.asinh(u / 2) - mpmath.sqrt(u ** 2 + 4) + 2 - (u * mpmath.log(u) - u if u else 0)
            return +val
        pp = mpmath.mpf(sympy.Rational(p_).p) / sympy.Rational(p_).q if p_.is_Rational else mpmath.mpf(str(sympy.N(p_, dps + 10)))
        k = pp / (pp - 2)
        h = lambda t: (1 - t) ** (-k) - (1 + t) ** (-k)
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        # h(t) >= (1-t)^(-k) - 1: a bracket for u large
        for _ in range(dps * 8):
            mid = (lo + hi) / 2
            if h(mid) < u:
                lo = mid
            else:
                hi = mid
            if hi - lo < mpmath.mpf(10) ** (-(dps + 5)) * (1 - lo):
                break
        t = (lo + hi) / 2
        Hval = (pp - 2) / 2 * ((1 - t) ** (-2 / (pp - 2)) + (1 + t) ** (-2 / (pp - 2)) - 2)
        return +(t * u - Hval - u + pp / 2 * u ** (2 / pp))


def tightness_witness(p, fraction, dps: int = 50) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(u, r_p(u)) with r_p(u) > fraction * C_p, found by taking e = 1 - t -> 0 in the parametric form.

    Shows that ``fraction * C_p`` (fraction < 1) is not an upper bound: the constant cannot be lowered.
    """
    p_ = sympy.nsimplify(p)
    C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(p_), dps + 10)))
    with mpmath.workdps(dps + 10):
        if p_ == 2:
            u = mpmath.mpf(1)
            while True:
                r = remainder(2, u, dps)
                if r > fraction * C:
                    return u, r
                u *= 10
                if u > mpmath.mpf(10) ** dps:
                    raise ArithmeticError("no witness found")
        pp = mpmath.mpf(str(sympy.N(p_, dps + 10)))
        a = 2 / (pp - 2)
        k = 1 + a
        e = mpmath.mpf("0.5")
        while e > mpmath.mpf(10) ** (-dps // 2):
            with mpmath.workdps(dps + 10 + _cancelled_digits(e ** (-k))):  # r ~ C_p from terms of size u
                f = 2 - e
                u = e ** (-k) - f ** (-k)
                W = (1 - (e / f) ** k) ** (2 / pp)
                r = (1 - e) * u - (pp - 2) / 2 * (e ** (-a) + f ** (-a) - 2) - u + pp / 2 * e ** (-a) * W
            if r > fraction * C:
                return u, r
            e /= 10
        raise ArithmeticError("no witness found")


def steps(p) -> list[Step]:
    """Every step of the proof at depth p (p = 2, or p > 2 with the symbolic steps done once for all p)."""
    p_ = sympy.nsimplify(p)
    out = [scaling(p_), even(p_), zero(p_)]
    if p_ == 2:
        out += [monotone(2), limit_constant(2), next_term_p2()]
    else:
        out += [monotone(None), monotone(p_), limit_constant(None), limit_constant(p_)]
    return out
