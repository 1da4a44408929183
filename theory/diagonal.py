"""The depth-D error theorems for diagonal linear networks (dln.md §2-5), as statement objects.

Source: Matt & Stöger (abstract; ``docs/theory/dln.md``): for D >= 3 the error ||x_inf - x*|| decreases
linearly in alpha, for D = 2 at rate alpha^(1-rho) with rho in [0, 1) tied to NSP constants; the bounds are
tight (explicit examples); deeper networks may generalize better at realistic alpha. The paper's exact theorems,
norms and constants are unknown to us: the rates are [paper], every constant below is [derived] (ours) and names
the module in ``proofs/derivations/`` that proves it; the limit characterization is [standard].

Convention: ``alpha`` is the product scale u_i(0)^D (``alpha_convention="product"``, dln.md §1).
Instance constants (all computed by :mod:`implicitreg.numerics.error_constants`):

* rho = rho(A, S, sigma); K2 = ||A_S^+ A_{S^c}||_{1->1}; n = N - s;
* K1 = ||w_S - sigma L||_inf with w = A^T nu and L = log(1/alpha) (a-posteriori, -> K1* = max_S |log|x*_i||);
  Kbar1 = K1* + log 2 + 4 alpha^2/m*^2 (a-priori, valid for alpha <= alpha_0);
* D > 2: eps = ||w_S - sigma||_inf, rho_a = rho + K2 eps, M0 = H_D^{-1}(n H_D(rho_a)), E1 = ||e_D||_1.
"""
from __future__ import annotations

import sympy

from implicitreg.theory import potentials as _potentials
from implicitreg.theory.statement import D, Bound, Hypothesis, Provenance, Theorem, alpha, derived_bound, register, rho

ALPHA_CONVENTION = "product"

K1 = sympy.Symbol("K1", nonnegative=True)
Kbar1 = sympy.Symbol("Kbar1", nonnegative=True)
K2 = sympy.Symbol("K2", nonnegative=True)
n = sympy.Symbol("n", positive=True, integer=True)      # N - s
M0 = sympy.Symbol("M0", nonnegative=True)
rho_minus = sympy.Symbol("rho_minus", nonnegative=True)  # rho - K2 eps
E1 = sympy.Symbol("E1", positive=True)                   # ||e_D||_1

SOURCE = "Matt & Stöger (abstract; docs/theory/dln.md)"
MS_D2 = "proofs/derivations/ms_d2.py"
MS_D3 = "proofs/derivations/ms_d3.py"
ERROR_IDENTITY = "proofs/derivations/error_identity.py"


def h_D(var, depth=D) -> sympy.Expr:
    """h_D(var), the link of :func:`implicitreg.theory.potentials.h` (its only definition); depth may be symbolic.

    >>> import sympy
    >>> from implicitreg.theory.diagonal import h_D
    >>> s = sympy.Symbol("s")
    >>> h_D(s, 3)
    -1/(s + 1)**3 + (1 - s)**(-3)
    >>> h_D(s, 2)
    2*sinh(s)
    """
    return _potentials.h(depth, var)


def H_D(var, depth=D) -> sympy.Expr:
    """H_D(var), the dual potential of :func:`implicitreg.theory.potentials.H` (H_D' = h_D); depth may be symbolic.

    >>> import sympy
    >>> from implicitreg.theory.diagonal import H_D, h_D
    >>> s = sympy.Symbol("s")
    >>> sympy.simplify(sympy.diff(H_D(s, 5), s) - h_D(s, 5))
    0
    """
    return _potentials.H(depth, var)


# ---- hypotheses (decided on facts computed by numerics.error_constants / basis_pursuit) --------------------------

unique = Hypothesis("x* unique", "basis pursuit has a unique minimizer x*", lambda f: f["unique"], "x* not unique")
nonzero = Hypothesis("x* != 0", "x* is nonzero (y != 0)", lambda f: f["support_size"] > 0, "x* = 0")
depth_two = Hypothesis("D = 2", "depth D = 2", lambda f: f["depth"] == 2, "depth D = {depth} is not 2")
depth_deep = Hypothesis("D > 2", "depth D > 2 (real)", lambda f: f["depth"] > 2, "depth D = {depth} is not > 2")
alpha_small = Hypothesis("alpha <= alpha_0", "alpha <= alpha_0 (a-priori constants)",
                         lambda f: f["alpha"] <= f["alpha_0"], "alpha = {alpha} above alpha_0 = {alpha_0}")
rho_a_below_one = Hypothesis("rho_a < 1", "rho_a = rho + K2 eps < 1",
                             lambda f: f["rho_a"] < 1, "alpha above alpha_0: rho_a = {rho_a} >= 1")
rho_positive = Hypothesis("rho > 0", "rho > 0 (else the D = 2 error is O(alpha) and no rate alpha^(1-rho) < 1)",
                          lambda f: f["rho"] > 0, "rho = 0: the D = 2 error is O(alpha)")


# ---- DLN-limit ------------------------------------------------------------------------------------------------

DLN_LIMIT = register(Theorem(
    name="DLN-limit",
    title="gradient flow of a diagonal network converges to the dual characterization",
    statement="x(t) -> x_inf(alpha) = alpha phi_D(A^T nu) with A x_inf = y (phi_2 = 2 sinh, phi_D = h_D); "
              "checked as agreement of independent paths (dual Newton, closed form of the tightness family, "
              "reduced flow)",
    provenance=Provenance("standard", "Woodworth et al. 2020 (D = 2); dln.md §2 (real D, product scale)"),
    hypotheses=(),
    bounds=(Bound("agreement", "upper", "|x_dual - x_other|_inf / max(|x|_inf, alpha)", sympy.Integer(10) ** -25,
                  Provenance("standard", "dln.md §2")),),
))


# ---- MS-D2 ----------------------------------------------------------------------------------------------------

_d2_upper = derived_bound("upper_l1", "upper", "||x_inf - x*||_1",
                          (1 + K2) * n * sympy.exp(K1 * K2) * alpha ** (1 - rho), SOURCE + " (rate)", MS_D2,
                          note="K1 = ||w_S - sigma L||_inf (a-posteriori); valid for every alpha > 0")
_d2_upper_apriori = derived_bound("upper_l1_apriori", "upper", "||x_inf - x*||_1",
                                  (1 + K2) * n * sympy.exp(Kbar1 * K2) * alpha ** (1 - rho), SOURCE + " (rate)",
                                  MS_D2,
                                  note="Kbar1 = K1* + log 2 + 4 alpha^2/m*^2; needs alpha <= alpha_0")
_d2_spec = derived_bound("upper_offsupport_spec", "upper", "||x_inf,S^c||_inf",
                         sympy.exp(K1 * K2 + n / sympy.E) * alpha ** (1 - rho), "dln.md §4 (the spec's constant)", MS_D2,
                         note="implied by upper_l1 since n <= exp(n/e)")
_d2_lower = derived_bound("lower_inf", "lower", "||x_inf - x*||_inf", sympy.exp(-K1 * K2) * alpha ** (1 - rho) - alpha,
                          SOURCE + " (rate)", MS_D2, note="c = exp(-K1 K2)")
_d2_rate = Bound("rate", "rate", "log||x_inf - x*|| / log alpha", 1 - rho,
                 Provenance("paper", SOURCE, note="the rate alpha^(1-rho)"))

MS_D2_THEOREM = register(Theorem(
    name="MS-D2",
    title="depth 2: the error decays like alpha^(1-rho)",
    statement="unique nonzero x*: exp(-K1 K2) alpha^(1-rho) - alpha <= ||x_inf - x*||_inf <= ||x_inf - x*||_1 "
              "<= (1 + K2)(N - s) exp(K1 K2) alpha^(1-rho); log err / log alpha -> 1 - rho",
    provenance=Provenance("paper", SOURCE, note="rate [paper]; constants [derived] in " + MS_D2),
    hypotheses=(unique, nonzero, depth_two),
    bounds=(_d2_upper, _d2_upper_apriori, _d2_spec, _d2_lower, _d2_rate),
))


# ---- MS-D3 ----------------------------------------------------------------------------------------------------

_d3_limit = derived_bound("limit", "limit", "||x_inf - x*||_1 / alpha", E1, SOURCE + " (linear rate)", MS_D3,
                          note="E1 = ||e_D||_1 from lambda_D")
_d3_upper = derived_bound("upper_l1", "upper", "||x_inf - x*||_1", (1 + K2) * n * alpha * h_D(M0),
                          SOURCE + " (linear rate)", MS_D3,
                          note="M0 = H_D^{-1}(n H_D(rho_a)), rho_a = rho + K2 eps (a-posteriori)")
_d3_lower = derived_bound("lower_inf", "lower", "||x_inf - x*||_inf", alpha * h_D(rho_minus), SOURCE + " (linear rate)",
                          MS_D3, note="rho_minus = max(rho - K2 eps, 0)")
_d3_rate = Bound("rate", "rate", "log||x_inf - x*|| / log alpha", sympy.Integer(1),
                 Provenance("paper", SOURCE, note="linear in alpha"))
_d3_blowup = derived_bound("blowup", "limit", "h_D(rho) (1 - rho)^(D/(D-2)) as rho -> 1", sympy.Integer(1),
                           "dln.md §4", MS_D3,
                           note="the n = 1 constant h_D(M0) = h_D(rho) blows up like (1-rho)^(-D/(D-2))")

MS_D3_THEOREM = register(Theorem(
    name="MS-D3",
    title="depth D > 2: the error is linear in alpha, (x_inf - x*)/alpha -> e_D",
    statement="unique nonzero x*, D > 2: (x_inf - x*)/alpha -> e_D (lambda_D minimization); "
              "alpha h_D(rho - K2 eps) <= ||x_inf - x*||_inf, ||x_inf - x*||_1 <= (1 + K2)(N - s) alpha h_D(M0)",
    provenance=Provenance("paper", SOURCE, note="linear rate [paper]; e_D, M0, blow-up [derived] in " + MS_D3),
    hypotheses=(unique, nonzero, depth_deep, rho_a_below_one),
    bounds=(_d3_limit, _d3_upper, _d3_lower, _d3_rate, _d3_blowup),
))


# ---- depth comparison -----------------------------------------------------------------------------------------

DEPTH_COMPARISON = register(Theorem(
    name="Depth comparison",
    title="for realistic alpha, depth D > 2 is closer to x* than depth 2",
    statement="||x_inf^(D) - x*||_1 < ||x_inf^(2) - x*||_1 for alpha below the crossover alpha_c (computed by "
              "numerics.error_constants.crossover_alpha; the leading terms C2 alpha^(1-rho) vs E1 alpha would suggest "
              "(C2/E1)^(1/rho), but on the built-in instances depth D is closer on the whole range, so that "
              "estimate is not a crossover and is not stated)",
    provenance=Provenance("paper", SOURCE, note="qualitative; the crossover is computed, not stated by the paper"),
    hypotheses=(unique, nonzero, depth_deep),
    bounds=(Bound("ratio", "upper", "||x_inf^(D) - x*||_1 / ||x_inf^(2) - x*||_1", sympy.Integer(1),
                  Provenance("paper", SOURCE, note="qualitative")),)))


def facts(instance_constants, depth, alpha_value, **extra) -> dict:
    """The facts the hypotheses read, from :class:`~implicitreg.numerics.error_constants.SupportConstants`."""
    from fractions import Fraction

    sc = instance_constants
    out = {"unique": True, "support_size": len(sc.support), "depth": Fraction(depth), "alpha": alpha_value,
           "rho": sc.rho, "K2": sc.K2, "n": sc.n}
    out.update(extra)
    return out


__all__ = ["DLN_LIMIT", "MS_D2_THEOREM", "MS_D3_THEOREM", "DEPTH_COMPARISON", "K1", "Kbar1", "K2", "n", "M0",
           "rho_minus", "E1", "h_D", "H_D", "facts"]
