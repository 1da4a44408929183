"""Deep linear networks, enclosure form (ordinary data: ||w*||^(1/L) irrational): the checker builds the balanced
rank-one minimizer itself from w* and L, encloses its entries, the sharpness S (exact Sturm isolation of
lambda_max(M0 Sigma), the power of ||w*|| in intervals), S_LB and S - S_LB, and decides the lower bound on the
enclosures: lo(S) - hi(S_LB) > 0, or lambda_max = L a proved exactly.
"""
from __future__ import annotations

import math
from fractions import Fraction

from mpmath import iv

from . import lp, theorems
from .interval import (GUARD_DIGITS, CheckFailure, endpoints, exact, iv_exp, iv_log, iv_sqrt, lo, hi, point, precision,
                       read_ball, require_inside)
from .verdicts import BALL_MAX_RELATIVE_RADIUS, _dps, _equality_family, _evaluate, _inside, _ratio

def _balanced_skeleton(w, L):
    """The minimizer of ``schema.BALANCED_FORM`` as W_k = sigma_k R_k: exact R_k (W_1: w*^T, W_k: 1) and exact r_k
    with sigma_k^2 = t r_k, t = c^2 = ||w*||^(2/L) (r_1 = 1/||w*||^2, r_k = 1). Built here from w* and L; the
    certificate states only enclosures of its entries."""
    wn2 = sum((c * c for c in w), Fraction(0))
    R = [[list(w)]] + [[[Fraction(1)]] for _ in range(L - 1)]
    r = [1 / wn2] + [Fraction(1)] * (L - 1)
    return R, r


def _integer_poly(p) -> list[int]:
    """p (Fractions, highest degree first) times the lcm of its denominators: the same signs everywhere."""
    den = math.lcm(*(c.denominator for c in p))
    return [int(c * den) for c in p]


def _sign_at(Q: list[int], t: Fraction) -> int:
    """The sign of Q(t), t = a/b (b > 0), as the sign of the integer sum_i Q_i a^(n-i) b^i (no fractions)."""
    a, b = t.numerator, t.denominator
    n = len(Q) - 1
    value = sum(Qi * a ** (n - i) * b ** i for i, Qi in enumerate(Q))
    return (value > 0) - (value < 0)


def _changes(seq: list[list[int]], t: Fraction) -> int:
    signs = [v for v in (_sign_at(Q, t) for Q in seq) if v]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _largest_root(poly, width: Fraction) -> tuple[Fraction, Fraction]:
    """An exact [a, b] with b - a <= width holding the largest real root of ``poly``.

    The search starts at the power of two 2^k >= 2 max_i |c_i / c_0|^(1/i) (Fujiwara's bound on every root), so its
    cost follows the roots, not the size of the coefficients; Sturm bisection isolates the largest root (exactly one
    distinct root in (a, b], none above b), then bisection on the sign of the square-free part alone refines it (its
    root there is simple: the sign of q(b) holds on (root, b], the other sign just below). All signs are evaluated
    in integers (``_sign_at``)."""
    sturm = lp.sturm_sequence(poly)
    seq = [_integer_poly(p) for p in sturm]
    q = sturm[0]
    k = 0
    for i, c in enumerate(q[1:], start=1):
        r = abs(c / q[0])
        if r:  # r < 2^(bits(num) - bits(den) + 1), so 2^(k i) >= r for this k
            k = max(k, -(-(r.numerator.bit_length() - r.denominator.bit_length() + 1) // i))
    big = Fraction(2) ** (k + 1)
    above = _changes(seq, big)
    lo_, hi_ = -big, big
    n_lo = _changes(seq, lo_)
    if n_lo - above == 0:
        raise CheckFailure("sharpness", "the characteristic polynomial has no real root")  # pragma: no cover
    while n_lo - above > 1:  # more than one root in (lo, hi]: isolate the largest
        mid = (lo_ + hi_) / 2
        n_mid = _changes(seq, mid)
        if n_mid - above > 0:
            lo_, n_lo = mid, n_mid
        else:
            hi_ = mid
    Q = seq[0]
    s_hi = _sign_at(Q, hi_)
    if s_hi == 0:
        return hi_, hi_
    while hi_ - lo_ > width:
        mid = (lo_ + hi_) / 2
        s_mid = _sign_at(Q, mid)
        if s_mid == 0:
            return mid, mid
        if s_mid == s_hi:
            hi_ = mid
        else:
            lo_ = mid
    return lo_, hi_


def _ball_scaled(obj, where: str, scale: Fraction) -> None:
    """A ball whose radius is capped relative to ``scale`` (the margin S - S_LB may be 0: capped by |S|)."""
    a, b = read_ball(obj, where)
    if (b - a) / 2 > BALL_MAX_RELATIVE_RADIUS * abs(scale):
        raise CheckFailure(where + ".rad", f"ball radius above the maximum {BALL_MAX_RELATIVE_RADIUS} * |S|")


def _check_deep_balanced(cert, out, Sigma, w, n, d, L) -> None:
    """MC-LB on the balanced minimizer of ordinary data. Exact where possible, enclosed where irrational:

    * W_k = sigma_k R_k (``_balanced_skeleton``); W_L ... W_1 = (prod sigma_k) R_L ... R_1 with R_L ... R_1 = w*^T and
      (prod sigma_k)^2 = t^L prod r_k = ||w*||^2 prod r_k = 1 exactly, so it is a global minimizer;
    * M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1} = t^(L-1) M0 with M0 = sum_k (prod_{j != k} r_j) ||U_k||^2 V_{k-1}^T V_{k-1}
      over the exact R_k (prefix/suffix products), so S = 2 t^(L-1) lambda_max(M0 Sigma), the eigenvalue isolated
      exactly by Sturm, t^(L-1) = ||w*||^(2-2/L) in intervals;
    * every stated ball (||w*||, c, the factors, S, S_LB, S - S_LB) must contain the enclosure computed here, within
      the width caps; the verdict is decided on the enclosures: the lower bound holds iff lo(S) - hi(S_LB) > 0, and an
      undecided margin is refused unless lambda_max(M0 Sigma) = L a is proved exactly (then S = S_LB)."""
    bm = cert["balanced_minimizer"]
    wn2 = sum((c * c for c in w), Fraction(0))
    R, r = _balanced_skeleton(w, L)
    prod_R, prod_r = R[0], r[0]
    for k in range(1, L):
        prod_R, prod_r = lp.matmul(R[k], prod_R), prod_r * r[k]
    if prod_R != [w] or wn2 * prod_r != 1:
        raise CheckFailure("balanced_minimizer", "internal: the skeleton's product is not w*^T")  # pragma: no cover
    out.append("minimizer: the balanced rank-one minimizer (W_1 = c w*^T/||w*||, W_k = c, c = ||w*||^(1/L)) has "
               "W_L ... W_1 = (c^L/||w*||) w*^T = w*^T exactly, so R(W) = R_min (a global minimizer)")
    # prefix products V_k = R_k ... R_1 (V_0 = I) and suffix products U_k = R_L ... R_{k+1}
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    V = [ident]
    for k in range(L):
        V.append(lp.matmul(R[k], V[-1]))
    U, acc = [None] * L, [[Fraction(1)]]
    for k in range(L - 1, -1, -1):
        U[k] = acc
        acc = lp.matmul(acc, R[k])
    M0 = [[Fraction(0)] * d for _ in range(d)]
    for k in range(L):
        scale = prod_r / r[k] * sum((c * c for c in U[k][0]), Fraction(0))  # prod_{j != k} r_j ||U_k||^2
        VtV = lp.matmul(lp.transpose(V[k]), V[k])
        M0 = [[M0[i][j] + scale * VtV[i][j] for j in range(d)] for i in range(d)]
    B = lp.matmul(M0, Sigma)
    poly = lp.charpoly(B)
    dps = _dps(cert)
    # lambda_max(B) >= trace(B)/d > 0 (B is similar to Sigma^(1/2) M0 Sigma^(1/2), positive definite), so this width
    # is at most 10^-(dps-5) relative
    width = sum((B[i][i] for i in range(d)), Fraction(0)) / d / 10 ** (dps - 5)
    a_, b_ = _largest_root(poly, width)
    a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
    bound = cert["bound"]
    tree = theorems.bind(bound["name"], bound["side"], None, bound["expr"], {theorems.MC_LB[0]: (
        theorems.MC_LB[1], None, theorems.MC_LB[2])}, "bound")
    with precision(dps + GUARD_DIGITS):
        log_wn2 = iv_log(point(wn2))
        s = iv_sqrt(point(wn2))
        c = iv_exp(log_wn2 / (2 * L))
        _inside(s, bm["w_norm"], "balanced_minimizer.w_norm", "||w*||")
        _inside(c, bm["root"], "balanced_minimizer.root", "c = ||w*||^(1/L)")
        factors = bm["factors"]
        if len(factors) != L:
            raise CheckFailure("balanced_minimizer.factors", f"expected L = {L} factors W_1 .. W_L")
        for k in range(L):
            where = f"balanced_minimizer.factors[{k}]"
            if len(factors[k]) != len(R[k]) or len(factors[k][0]) != len(R[k][0]):
                raise CheckFailure(where, f"expected a {len(R[k])} x {len(R[k][0])} matrix")
            sigma = c * iv_sqrt(point(r[k]))
            for i, row in enumerate(R[k]):
                for j, q in enumerate(row):
                    _inside(sigma * point(q), factors[k][i][j], f"{where}[{i}][{j}]", f"W_{k + 1}[{i}, {j}]")
        out.append("enclosures: ||w*||, c = ||w*||^(1/L) and every factor entry lie in the stated balls")
        t_pow = iv_exp(log_wn2 * (L - 1) / L)  # t^(L-1) = ||w*||^(2-2/L)
        S = 2 * t_pow * iv.mpf([lo(point(a_)), hi(point(b_))])
        _inside(S, cert["sharpness"], "sharpness", "S = 2 ||w*||^(2-2/L) lambda_max(M0 Sigma)")
        out.append("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) with M = ||w*||^(2-2/L) M0, M0 exact "
                   "(J J^T over the exact skeleton), lambda_max(M0 Sigma) by exact Sturm root isolation")
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": s, "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB = _evaluate(tree, env, None, "bound.expr")
        _inside(SLB, bound["value"], "bound.value", "S_LB")
        s_lo, s_hi = endpoints(S)
        b_lo, b_hi = endpoints(SLB)
        _ball_scaled(cert["margin"], "margin", s_hi)
        require_inside(S - SLB, cert["margin"], "margin", "S - S_LB")
        out.append("S_LB = 2 L a ||w*||^(2-2/L) (the table's formula) and S - S_LB enclosed in intervals, inside the "
                   "stated balls")
        clo, chi = _ratio(S / SLB, cert["ratio"], "ratio", "S/S_LB")
        if "equality" in cert:
            eq = cert["equality"]
            lam = exact(eq["lambda_max"], "equality.lambda_max")
            if lam != L * a_ray:
                raise CheckFailure("equality.lambda_max", "is not L a: S = S_LB would not follow")
            if lp.polyval(poly, lam) != 0 or lp.count_roots_above(poly, lam) != 0:
                raise CheckFailure("equality.lambda_max", "L a is not the largest eigenvalue of M0 Sigma: S != S_LB")
            mu = _equality_family(Sigma, w, L)
            out.append(f"equality: lambda_max(M0 Sigma) = L a = {eq['lambda_max']} exactly, so S = S_LB; w* is an "
                       f"eigenvector of Sigma (mu = {mu}) and L mu >= lambda_max(Sigma)")
            verdict = " (attained: equality proved exactly)"
        elif s_lo - b_hi > 0:
            verdict = " (bound holds: lo(S) - hi(S_LB) > 0)"
        elif s_hi - b_lo < 0:
            raise CheckFailure("margin", f"the lower bound {bound['name']!r} is violated here: hi(S) < lo(S_LB)")
        else:
            raise CheckFailure("margin", f"the enclosures of S and S_LB overlap: the lower bound {bound['name']!r} "
                                         "is not decided (and equality is not proved)")
    out.append(f"ratio: S / S_LB in [{cert['ratio']['lo']}, {cert['ratio']['hi']}]{verdict}")
