"""MS-D3: depth D > 2, the error is linear in alpha; limit constant, non-asymptotic bound, blow-up.
[derived; the linear rate is the paper's]

Setting as in ms_d2.py, with x = alpha h_D(w), |w| < 1, H_D' = h_D, eps = ||w_S - sigma||_inf, rho_a = rho + K2 eps.

Theorem (proved here, a-posteriori constants). If rho_a < 1:

    alpha h_D(max(rho - K2 eps, 0))  <=  ||x_C||_inf  <=  ||x - x*||_inf,
    max_C |w_i| <= M0 := H_D^{-1}(n H_D(rho_a)),     ||x - x*||_1 <= (1 + K2) n alpha h_D(M0).

Limit: eps = O(alpha^((D-2)/D)) -> 0, and (x - x*)/alpha -> e_D with e_C = h_D(A_C^T lambda_D),
e_S = -A_S^+ A_C e_C, lambda_D = argmin { sum_C H_D(a_i^T lam) : A_S^T lam = sigma }.
Blow-up: h_D(rho)(1 - rho)^(D/(D-2)) -> 1 as rho -> 1, and for n off-support coordinates
h_D(M0(rho)) (1 - rho)^(D/(D-2)) -> n^(D/2).

Steps (S = SymPy, L = stated lemma, N = numerically checked by :func:`check_on_limit`):

 1. ``potential`` (S): H_D' = h_D, H_D even, H_D'' = h_D' > 0 on (-1, 1) (convex, increasing on [0, 1)).
 2. ``dual_norm`` (L + N): as ms_d2 step 3 with w_S = sigma + (w_S - sigma): |<w_C, v_C>| <= rho_a ||v_C||_1 on ker A.
 3. ``minimality`` (L + N): w_C minimizes sum_C H_D over w_C + P^perp (stationarity: A_C h_D(w_C) alpha =
    y - A_S x_S in range(A_S)), and some w' there has ||w'||_inf <= rho_a (extension), so
    H_D(max|w_i|) <= sum_C H_D(w_i) <= n H_D(rho_a), i.e. max|w_i| <= M0.
 4. ``lower`` (L): v* attaining rho gives ||w_C||_inf >= rho - K2 eps; h_D increasing.
 5. ``boundary`` (S): h_D(1 - t) t^(D/(D-2)) -> 1 as t -> 0+, so for i in S, 1 - |w_i| ~ (alpha/|x*_i|)^((D-2)/D):
    eps = O(alpha^((D-2)/D)).
 6. ``limit`` (L + N): the off-support part is the minimizer of a strictly convex function on an affine set whose
    right-hand side w_S -> sigma; the minimizer is continuous in it, so A_C^T nu -> A_C^T lambda_D and
    x_C / alpha -> h_D(A_C^T lambda_D); x_S - x*_S = -A_S^+ A_C x_C (error identity). Checked by computing e_D
    (numerics.error_constants.limit_direction) and the limit (x - x*)/alpha at alpha -> 0 (verify suite).
 7. ``blowup`` (S): lim_{rho -> 1-} h_D(rho)(1 - rho)^(D/(D-2)) = 1 for D = 5/2, 3, 4, 5 and symbolic D = 2 + d.
 8. ``blowup_n`` (S): H_D(M) = n H_D(rho) with 1 - M = c (1 - rho): the leading terms match iff
    c = n^(-(D-2)/2), whence h_D(M0)(1 - rho)^(D/(D-2)) -> n^(D/2).

The spec's non-asymptotic condition (M - rho_a) h_D(M) <= n rho_a h_D(rho_a) is NOT what we prove. We prove
H_D(M) <= n H_D(rho_a) instead. The two agree for n = 1 up to slack (ours gives M0 = rho_a, the spec's a larger
M0), but for large n and D > 2 the spec's root is SMALLER than ours (its left side grows like n^(D/2), ours like n),
so the spec's M0 is a claim we cannot derive; :func:`spec_m0_comparison` records where the two cross, and the
verify suite checks the spec's bound only as a conjecture (observed max|w_C| against it).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from implicitreg.proofs.derivations import Step
from implicitreg.theory import potentials as P

_t = sympy.Symbol("t", positive=True)
_rho = sympy.Symbol("rho", positive=True)
_d = sympy.Symbol("d", positive=True)



def _h(D, var):
    k = D / (D - 2)
    return (1 - var) ** (-k) - (1 + var) ** (-k)


def potential(D) -> Step:
    s = P.s
    D = sympy.nsimplify(D)
    ok = sympy.simplify(sympy.diff(P.H(D, s), s) - P.h(D, s)) == 0 and sympy.simplify(P.H(D, -s) - P.H(D, s)) == 0
    k = D / (D - 2)
    hp = k * ((1 - s) ** (-k - 1) + (1 + s) ** (-k - 1))  # both terms positive on (-1, 1)
    ok = ok and sympy.simplify(sympy.diff(P.h(D, s), s) - hp) == 0
    return Step("potential", f"H_D' = h_D, H_D even and convex (D = {D})", bool(ok))


def dual_norm() -> Step:
    return Step("dual_norm", "|<w_C, v_C>| <= rho_a ||v_C||_1 on ker A, rho_a = rho + K2 eps", True, "lemma",
                "as ms_d2 step 3; checked by check_on_limit")


def minimality() -> Step:
    return Step("minimality", "H_D(max_C |w_i|) <= sum_C H_D(w_i) <= n H_D(rho_a)", True, "lemma",
                "convexity + stationarity + extension; checked by check_on_limit")


def lower() -> Step:
    return Step("lower", "||w_C||_inf >= rho - K2 eps, so ||x_C||_inf >= alpha h_D(rho - K2 eps)", True, "lemma",
                "v* from basis_pursuit.rho_constant; checked on computed limits by the verify suite")


def boundary(D) -> Step:
    D = sympy.nsimplify(D)
    val = sympy.limit(_h(D, 1 - _t) * _t ** (D / (D - 2)), _t, 0, "+")
    return Step("boundary", f"h_D(1 - t) t^(D/(D-2)) -> 1 as t -> 0+ (D = {D}): eps = O(alpha^((D-2)/D))", val == 1)


def limit_step() -> Step:
    return Step("limit", "(x_inf - x*)/alpha -> e_D", True, "lemma",
                "continuity of the argmin of a strictly convex function in the constraint; checked numerically")


def blowup(D) -> Step:
    D = sympy.nsimplify(D)
    if D.free_symbols:
        k = D / (D - 2)
        expr = ((1 - _rho) ** (-k) - (1 + _rho) ** (-k)) * (1 - _rho) ** k
        expr = sympy.expand(expr)
        val = sympy.limit(expr, _rho, 1, "-")
    else:
        val = sympy.limit(_h(D, _rho) * (1 - _rho) ** (D / (D - 2)), _rho, 1, "-")
    return Step("blowup", f"h_D(rho)(1 - rho)^(D/(D-2)) -> 1 as rho -> 1- (D = {D})", sympy.simplify(val - 1) == 0)


def blowup_n(D) -> Step:
    """Leading order of H_D near 1: ((D-2)/2)(1-M)^(-2/(D-2)); equal to n times the same at rho iff
    (1-M) = n^(-(D-2)/2)(1-rho); then h_D(M) (1-rho)^(D/(D-2)) -> (n^(-(D-2)/2))^(-D/(D-2)) = n^(D/2)."""
    D = sympy.nsimplify(D)
    n = sympy.Symbol("n", positive=True)
    c = n ** (-(D - 2) / 2)
    lead = lambda gap: (D - 2) / 2 * gap ** (-2 / (D - 2))  # noqa: E731
    match = sympy.simplify(sympy.powsimp(lead(c * _t) - n * lead(_t), force=True)) == 0
    const = sympy.simplify(sympy.powsimp(c ** (-D / (D - 2)) - n ** (D / 2), force=True)) == 0
    return Step("blowup_n", f"h_D(M0)(1 - rho)^(D/(D-2)) -> n^(D/2) (D = {D})", bool(match and const))


def steps(depths=(3, 4)) -> list[Step]:
    out = [dual_norm(), minimality(), lower(), limit_step()]
    for D in depths:
        out += [potential(D), boundary(D), blowup(D), blowup_n(D)]
    return out


def symbolic_depth_steps() -> list[Step]:
    """Blow-up for symbolic D = 2 + d (slower)."""
    return [blowup(2 + _d), blowup_n(2 + _d)]


# ---- numerics ------------------------------------------------------------------------------------------------

@dataclass
class D3Check:
    rho_a: mpmath.mpf
    h_sum: mpmath.mpf       # sum_C H_D(w_i)
    h_bound: mpmath.mpf     # n H_D(rho_a)
    w_off: mpmath.mpf
    M0: mpmath.mpf
    M0_spec: mpmath.mpf
    holds: bool


def check_on_limit(limit, sc, depth) -> D3Check:
    """Step 3 on a computed limit: sum_C H_D(w_i) <= n H_D(rho_a) and max_C |w_i| <= M0."""
    from implicitreg.numerics.error_constants import posterior_constants

    with mpmath.workdps(limit.dps):
        return _check(limit, sc, depth, posterior_constants(limit, sc))


def _check(limit, sc, depth, pc) -> D3Check:
    from implicitreg.numerics.error_constants import offsupport_radius, offsupport_radius_spec
    from implicitreg.numerics.potentials import dual_potential

    C = sc.complement
    h_sum = mpmath.fsum(dual_potential(depth, limit.z[j]) for j in C)
    h_bound = sc.n * dual_potential(depth, pc.rho_a)
    M0 = offsupport_radius(depth, pc.rho_a, sc.n)
    M0s = offsupport_radius_spec(depth, pc.rho_a, sc.n)
    slack = 1 + mpmath.mpf(10) ** -20  # certified limit; n = 1 attains the bound
    return D3Check(pc.rho_a, h_sum, h_bound, pc.w_off, M0, M0s,
                   bool(h_sum <= h_bound * slack and pc.w_off <= M0 * slack))


def spec_m0_comparison(depth, rho_a, n_values=(1, 2, 4, 8, 16, 64, 256)) -> list[tuple[int, mpmath.mpf, mpmath.mpf]]:
    """(n, our M0, spec's M0) at ``rho_a``: where the spec's root drops below ours, the spec's bound is not implied."""
    from implicitreg.numerics.error_constants import offsupport_radius, offsupport_radius_spec

    return [(k, offsupport_radius(depth, rho_a, k), offsupport_radius_spec(depth, rho_a, k)) for k in n_values]
