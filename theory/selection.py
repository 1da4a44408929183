"""Which l1 minimizer, and how fast: the statements of Wind, Antun & Hansen (arXiv 2307.07410).

Conventions of ``docs/theory/wah.md``: x = u^p - v^p with real depth p >= 2 and **per-factor** initialization
u(0) = v(0) = alpha (``alpha_convention="factor"``), so the product scale is alpha^p; ``dln.md``'s alpha is
alpha_WAH^p with D = p. Every bound below is written in the per-factor ``alpha`` (the shared symbol
``statement.alpha``) and the depth symbol ``statement.p``; :func:`product_exponent` converts a rate into its
exponent in the product scale alpha^p (the axis of every WAH plot).

Provenance follows the spec's labels: the paper's abstract says the selected minimizer depends on the depth and
that the bounds are sharp (else the GHA phenomenon could not occur); the tie-break functional g_p and the examples
come from the authors' code; Lemma B, Thm C, the real-p Thm A, the proof of Thm D, the Thm E rates and the kink
formulas are ours, checked in ``proofs/derivations/lemma_b.py`` / ``proofs/derivations/selection.py`` and by the
``selection`` suite of ``implicitreg verify`` (``proofs/suites/selection.py``).
"""
from __future__ import annotations

import sympy

from implicitreg.theory import potentials as P
from implicitreg.theory.statement import (Bound, Hypothesis, Provenance, Theorem, alpha, derived_bound, p, register,
                                         rho)

#: the alpha convention every WAH statement uses
ALPHA_CONVENTION = "factor"

eps = sympy.Symbol("epsilon", positive=True)
N = sympy.Symbol("N", positive=True, integer=True)
M = sympy.Symbol("M", positive=True)          # min(BP)
X1 = sympy.Symbol("X1", positive=True)        # ||x_inf||_1
kappa = sympy.Symbol("kappa", positive=True)  # weak sharpness of BP
gap = sympy.Symbol("gap", nonnegative=True)   # ||x_inf||_1 - M
K2 = sympy.Symbol("K2", nonnegative=True)     # ||A_S^+ A_{S^c}||_{1->1}

SOURCE = "Wind, Antun & Hansen, arXiv 2307.07410"
CODE = "authors' code, github.com/johanwind/which_l1_minimizer"
LEMMA_B = "proofs/derivations/lemma_b.py"
SELECTION = "proofs/derivations/selection.py"
SUITE = "proofs/suites/selection.py"

C_p = P.lemma_b_constant(p)  # ((p-2)/2)(2 - 2^(-2/(p-2))), the p > 2 constant (symbolic in p)


def product_exponent(expr: sympy.Expr, depth=p) -> sympy.Expr:
    """d log(expr) / d log(alpha^p): the rate exponent of ``expr`` in the product scale alpha^p."""
    return sympy.simplify(sympy.diff(sympy.log(expr), alpha) * alpha / depth)


def _fact(name):
    return lambda f: f[name]


_real_depth = Hypothesis("depth", "real depth p >= 2", lambda f: f["depth"] == "inf" or f["depth"] >= 2,
                         "depth p = {depth} is below 2")
_deeper = Hypothesis("p > 2", "p > 2", lambda f: f["depth"] != "inf" and f["depth"] > 2, "depth p = {depth} is not > 2")
_shallow = Hypothesis("p = 2", "p = 2", lambda f: f["depth"] == 2, "depth p = {depth} is not 2")
_in_range = Hypothesis("y in range(A)", "A x = y is solvable", _fact("consistent"), "y is not in range(A)")
_nonzero = Hypothesis("y != 0", "y != 0 (so min(BP) = M > 0)", lambda f: f["M"] > 0, "y = 0: min(BP) = 0")
#: of the p = 2 bounds that divide by log(1/alpha^2) (WAH-C objective_2, WAH-kink-transition scale_2): the spec
#: states them for small alpha without the hypothesis; the derivation divides by log(1/alpha^2), so it needs > 0
_small_alpha = Hypothesis("alpha^2 < 1", "alpha^2 < 1 (log(1/alpha^2) > 0)", lambda f: f["alpha"] < 1,
                          "alpha = {alpha} is not < 1 (the bound divides by log(1/alpha^2))")
_off_support = Hypothesis("S^c nonempty, rho > 0", "the maximal support S misses a coordinate and rho > 0",
                          lambda f: f["S_complement"] > 0 and f["rho"] > 0,
                          "S^c has {S_complement} coordinates and rho = {rho}")
_full_support = Hypothesis("S = all", "the maximal support S is every coordinate", lambda f: f["S_complement"] == 0,
                           "S misses {S_complement} coordinates")
_kink_eps = Hypothesis("0 < eps < 1", "0 < eps < 1", lambda f: 0 < f["eps"] < 1, "eps = {eps} not in (0, 1)")


WAH_A2 = register(Theorem(
    name="WAH-A2",
    title="Thm A at p = 2: the flow limit minimizes the hyperbolic entropy",
    statement="For p = 2, x_inf(alpha) = argmin { Q_{2,alpha}(x) : A x = y }, Q_{2,alpha}(x) = sum alpha^2 "
              "q_2(x_i/alpha^2), q_2(s) = s asinh(s/2) - sqrt(s^2+4) + 2; dual: minimize alpha^2 sum H_2((A^T "
              "nu)_i) - <y, nu>. Checked: the gradient of Q at x_inf is orthogonal to ker A.",
    provenance=Provenance("standard", "Woodworth et al. 2020 (kernel and rich regimes); wah.md section 5",
                          note="checked in the selection suite by the KKT condition on ker A"),
    hypotheses=(_shallow, _in_range),
    bounds=(Bound("kkt", "equality", "max_d |dQ(x_inf + s d)/ds at s = 0| over a basis d of ker A", sympy.Integer(0),
                  Provenance("standard", "first-order optimality of Q on the affine set")),),
))

WAH_A = register(Theorem(
    name="WAH-A",
    title="Thm A for real p > 2: the flow limit minimizes Q_{p,alpha}",
    statement="x_inf(alpha) = argmin { Q_{p,alpha}(x) : A x = y }, Q_{p,alpha}(x) = sum alpha^p q_p(x_i/alpha^p), "
              "q_p' = h_p^{-1}, strictly convex; the flow stays on x = alpha^p h_p(A^T nu) so its limit satisfies "
              "the KKT condition grad Q(x_inf) = A^T nu.",
    provenance=Provenance("derived", "ours for real p (wah.md section 5); numerically the dual solve agrees with "
                          "the authors' ODE setup", proof=SELECTION,
                          note="KKT checked at high precision in the selection suite"),
    hypotheses=(_deeper, _in_range),
    bounds=(derived_bound("kkt", "equality", "max_d |dQ(x_inf + s d)/ds at s = 0| over a basis d of ker A",
                          sympy.Integer(0), "q_p' = h_p^{-1} and x_inf = alpha^p h_p(A^T nu)", SELECTION),),
))

LEMMA_B_2 = register(Theorem(
    name="WAH-LemmaB2",
    title="Lemma B at p = 2: uniform expansion of the hyperbolic entropy",
    statement="For all real x and alpha > 0: 0 <= alpha^2 q_2(x/alpha^2) - [|x| log(1/alpha^2) + |x| log|x| - |x|] "
              "<= 2 alpha^2; the constant 2 is attained as |x|/alpha^2 -> infinity (next term -alpha^4/|x|).",
    provenance=Provenance("derived", "ours (wah.md section 5)", proof=LEMMA_B,
                          note="r_2 even, zero at 0, nondecreasing, limit 2"),
    hypotheses=(),
    bounds=(derived_bound("lower", "lower", "remainder", sympy.Integer(0), "r_2 >= 0", LEMMA_B),
            derived_bound("upper", "upper", "remainder", 2 * alpha ** 2, "r_2 <= lim r_2 = 2 (tight)", LEMMA_B)),
))

LEMMA_B = register(Theorem(
    name="WAH-LemmaB",
    title="Lemma B for real p > 2: uniform expansion of q_p",
    statement="For all real x and alpha > 0: 0 <= alpha^p q_p(x/alpha^p) - [|x| - (p/2) alpha^(p-2) |x|^(2/p)] "
              "<= C_p alpha^p, C_p = ((p-2)/2)(2 - 2^(-2/(p-2))), attained as |x|/alpha^p -> infinity.",
    provenance=Provenance("derived", "ours (wah.md section 5)", proof=LEMMA_B,
                          note="r_p even, zero at 0, nondecreasing (h_p(1 - u^(-(p-2)/p)) < u), limit C_p"),
    hypotheses=(_deeper,),
    bounds=(derived_bound("lower", "lower", "remainder", sympy.Integer(0), "r_p >= 0", LEMMA_B),
            derived_bound("upper", "upper", "remainder", C_p * alpha ** p, "r_p <= lim r_p = C_p (tight)", LEMMA_B)),
))

THM_C = register(Theorem(
    name="WAH-C",
    title="Thm C: objective and distance rates of the flow limit",
    statement="With M = min(BP): p > 2: ||x_inf||_1 - M <= (p/2) alpha^(p-2) N^(1-2/p) ||x_inf||_1^(2/p) + "
              "N C_p alpha^p; p = 2 and alpha < 1: ||x_inf||_1 - M <= [M log M - M + N + 2 N alpha^2] / "
              "log(1/alpha^2); and "
              "dist_1(x_inf, X_BP) <= (||x_inf||_1 - M) / kappa (kappa = weak sharpness of BP; for a unique x* with "
              "A_S injective kappa >= (1 - rho)/(1 + ||A_S^+ A_S^c||_{1->1})).",
    provenance=Provenance("derived", "ours, rigorous from Lemma B and Thm A (wah.md section 5)", proof=SELECTION,
                          note="the 1/kappa factor cannot be removed (kink family)"),
    hypotheses=(_real_depth, _in_range, _nonzero),
    bounds=(
        derived_bound("objective_p", "upper", "||x_inf||_1 - M",
                      p / 2 * alpha ** (p - 2) * N ** (1 - 2 / p) * X1 ** (2 / p) + N * C_p * alpha ** p,
                      "Q(x_inf) <= Q(x*), Lemma B, power mean", SELECTION),
        derived_bound("objective_2", "upper", "||x_inf||_1 - M",
                      (M * sympy.log(M) - M + N + 2 * N * alpha ** 2) / sympy.log(1 / alpha ** 2),
                      "Q(x_inf) <= Q(x*), Lemma B, g_2 >= -1, sum x log x <= M log M", SELECTION,
                      hypotheses=(_small_alpha,)),
        derived_bound("distance", "upper", "dist_1(x_inf, X_BP)", gap / kappa, "weak sharpness of BP", SELECTION),
        derived_bound("kappa_lower", "lower", "kappa (unique x*, A_S injective)", (1 - rho) / (1 + K2),
                      "wah.md section 3; attained on the kink family (kappa = eps/(2 - eps))", SELECTION),
    ),
))

THM_D = register(Theorem(
    name="WAH-D",
    title="Thm D: the flow selects x_g(p) = argmin { G_p : x in X_BP }, which depends on the depth",
    statement="x_inf(alpha) -> x_g(p) as alpha -> 0, where G_p = sum g_p(x_i), g_2 = |x| log|x| - |x|, g_p = |x| - "
              "(p/2)|x|^(2/p) (p > 2); x_g is unique and in the relative interior of X_BP; as p -> infinity x_g(p) "
              "tends to the analytic centre argmax sum_{i in S} log|x_i|.",
    provenance=Provenance("paper", f"{SOURCE} (abstract: the selected minimizer depends on the depth); the "
                          f"functional g_p from the {CODE}", proof=SELECTION,
                          note="proof derived (Lemma B + Thm C); closed forms for line/plane derived in SymPy"),
    hypotheses=(_real_depth, _in_range),
    bounds=(derived_bound("limit", "limit", "||x_inf(alpha) - x_g(p)||_2", sympy.Integer(0),
                          "Lemma B + Thm C; checked against the flow limit", SELECTION),),
))

_rate_note = "heuristic, confirmed numerically; the paper's exact statement is unknown"

THM_E = register(Theorem(
    name="WAH-E",
    title="Thm E: rates of ||x_inf - x_g(p)||",
    statement="||x_inf(alpha) - x_g(p)|| = Theta(alpha^p) for p > 2; Theta((alpha^2)^(1-rho)) for p = 2 with S^c "
              "nonempty and rho > 0; Theta((alpha^2)^2) for p = 2 with S = all coordinates. Off S, x_i ~ "
              "(alpha^2)^(1 - |(A^T lambda)_i|) (p = 2), O(alpha^p) (p > 2).",
    provenance=Provenance("derived", "ours (wah.md section 5): " + _rate_note, proof=SUITE, note=_rate_note),
    hypotheses=(_real_depth, _in_range),
    bounds=(
        derived_bound("rate_p", "rate", "||x_inf - x_g||", alpha ** p,
                      "Lemma B: the O(alpha^p) remainder moves the minimizer", SUITE, note=_rate_note),
        derived_bound("rate_2_offsupport", "rate", "||x_inf - x_g||", (alpha ** 2) ** (1 - rho),
                      "off-support coordinates (alpha^2)^(1 - rho)", SUITE, note=_rate_note),
        derived_bound("rate_2_full", "rate", "||x_inf - x_g||", (alpha ** 2) ** 2,
                      "next term -alpha^4/|x| of Lemma B", SUITE, note=_rate_note),
    ),
))

THM_E_CASES = {"p>2": (_deeper,), "p=2, S^c nonempty": (_shallow, _off_support), "p=2, S=all": (_shallow, _full_support)}


def thm_e_bound(depth, S_complement: int, rho_value) -> Bound:
    """The Thm E rate that applies: ``rate_p`` (p > 2), ``rate_2_offsupport`` or ``rate_2_full`` (p = 2)."""
    facts = {"depth": depth, "S_complement": S_complement, "rho": rho_value}
    if depth != "inf" and depth > 2:
        return THM_E.bound("rate_p")
    if depth == 2 and S_complement == 0:
        return THM_E.bound("rate_2_full")
    if depth == 2 and _off_support.failure(facts) is None:
        return THM_E.bound("rate_2_offsupport")
    from implicitreg.errors import HypothesisNotMetError

    raise HypothesisNotMetError(f"WAH-E: no rate case applies (depth {depth}, |S^c| = {S_complement}, rho = "
                                f"{rho_value})")


# --- the kink family A = [1, 1 - eps], y = 1 (authors' code, figure 2; formulas ours) -------------------

_h_at = P.h(p, 1 - eps)

KINK_CONSTANT = register(Theorem(
    name="WAH-kink-constant",
    title="Kink family: the limit constant (p > 2)",
    statement="For A = [1, 1-eps], y = 1, 0 < eps < 1: ||x_inf - (1,0)||_2 / alpha^p -> sqrt(1 + (1-eps)^2) "
              "h_p(1-eps) ~ sqrt(2) eps^(-p/(p-2)) as alpha -> 0 (p > 2).",
    provenance=Provenance("derived", f"ours; the family from the {CODE} (figure 2)", proof=SELECTION,
                          note="1-D dual reduction a[h_p(z) + (1-eps) h_p((1-eps) z)] = 1, z -> 1"),
    hypotheses=(_deeper, _kink_eps),
    bounds=(derived_bound("constant", "limit", "||x_inf - x*||_2 / alpha^p", sympy.sqrt(1 + (1 - eps) ** 2) * _h_at,
                          "z -> 1 in the 1-D dual equation", SELECTION),),
))

KINK_P2 = register(Theorem(
    name="WAH-kink-p2",
    title="Kink family at p = 2: the rate exponent eps tends to 0",
    statement="||x_inf - (1,0)||_2 ~ sqrt(1 + (1-eps)^2) (alpha^2)^eps as alpha -> 0 (ratio -> 1).",
    provenance=Provenance("derived", f"ours; the family from the {CODE}", proof=SELECTION),
    hypotheses=(_shallow, _kink_eps),
    bounds=(derived_bound("asymptotic", "limit", "||x_inf - x*||_2",
                          sympy.sqrt(1 + (1 - eps) ** 2) * (alpha ** 2) ** eps,
                          "e^z ~ 1/alpha^2 in the 1-D dual equation", SELECTION),),
))

KINK_TRANSITION = register(Theorem(
    name="WAH-kink-transition",
    title="Kink family: transition scale eps*(alpha) and data collapse",
    statement="The error saturates at O(1) while eps <~ eps*(alpha) = alpha^(p-2) (p > 2), 1/log(1/alpha^2) "
              "(p = 2); as alpha -> 0 with eps/eps* = e fixed the error tends to a profile of e alone: "
              "sqrt(2)(w+e)^(-k), w^(-k) + (w+e)^(-k) = 1, k = p/(p-2) (p > 2); sqrt(2)/(1 + exp(e)) (p = 2).",
    provenance=Provenance("derived", "ours: the scale is the spec's reading of the authors' figure 2; the profile "
                          "is our scaling limit", proof=SELECTION),
    hypotheses=(_real_depth,),
    bounds=(derived_bound("scale_p", "equality", "eps*(alpha)", alpha ** (p - 2),
                          "1 - z ~ alpha^(p-2) in the 1-D dual equation", SELECTION),
            derived_bound("scale_2", "equality", "eps*(alpha)", 1 / sympy.log(1 / alpha ** 2),
                          "z ~ log(1/alpha^2)", SELECTION, hypotheses=(_small_alpha,))),
))

KINK_CONTINUITY = register(Theorem(
    name="WAH-kink-continuity",
    title="Kink family: x_inf is continuous at eps = 0 while x* jumps",
    statement="At eps = 0 BP has the segment [(1,0), (0,1)] and x_inf = (1/2, 1/2) for every alpha; x_inf is "
              "continuous in eps, so the worst error over 0 < eps < eps_0 stays >= 1/sqrt(2) - o(1) for every alpha.",
    provenance=Provenance("derived", "ours (wah.md section 6)", proof=SELECTION),
    hypotheses=(_real_depth,),
    bounds=(derived_bound("worst_error", "lower", "sup_{0<eps<eps_0} ||x_inf - x*||_2", 1 / sympy.sqrt(2),
                          "symmetry at eps = 0 and continuity", SELECTION),),
))

SHARPNESS = register(Theorem(
    name="WAH-sharp",
    title="The bounds are sharp (generalized hardness of approximation)",
    statement="Bounds of the form dist(x_inf, X_BP) <= f(alpha) uniform over a class would make BP minimizers "
              "computable there; so every valid bound carries an instance constant unbounded near non-uniqueness "
              "(the kink family shows it). The exact GHA statement is unknown and is not encoded.",
    provenance=Provenance("paper", f"{SOURCE} (abstract)", note="our reading; the checkable form is the kink family"),
))

THEOREMS = (WAH_A2, WAH_A, LEMMA_B_2, LEMMA_B, THM_C, THM_D, THM_E, KINK_CONSTANT, KINK_P2, KINK_TRANSITION,
            KINK_CONTINUITY, SHARPNESS)
