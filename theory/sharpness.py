"""Sharpness of deep linear networks for regression: the statements (Marion & Chizat, arXiv 2405.13456).

Loss convention: R(W) = (1/n) ||y - X W_L ... W_1||^2 with **no factor 1/2** [authors' code]; under 1/(2n)
every sharpness value and bound below halves. Sharpness S(W) = largest Hessian eigenvalue of R in all trained
parameters. Constants of the data (symbols below): a = w*^T Sigma w* / ||w*||^2, a' = w*^T Sigma^2 w* / w*^T Sigma
w*, Lambda = lambda_max(Sigma), kappa = Lambda / lambda_min(Sigma), w_norm = ||w*||, L = depth (``statement.L``).

Provenance follows ``docs/theory/deep_linear.md``: the paper's abstract gives the *existence* of a lower bound
linear in depth and of kappa-dependent upper bounds for the small-scale and residual initializations; the exact
form 2 L a ||w*||^(2-2/L) comes from the authors' code and our proof; S_min, S_bal and the ordering are ours
(checked in ``proofs/derivations/sharpness.py``); the upper constant 8 L Lambda ||w*||^(2-2/L) is reconstructed
from the authors' plots.
"""
from __future__ import annotations

import functools

import sympy

from implicitreg.theory.statement import Bound, Hypothesis, Provenance, Theorem, L, derived_bound, register

a, a_prime, Lambda, kappa, w_norm, p_norm, S_min, S_bal = sympy.symbols(
    "a a_prime Lambda kappa w_norm p_norm S_min S_bal", positive=True)

DERIVATION = "proofs/derivations/sharpness.py"
SOURCE = "Marion & Chizat, arXiv 2405.13456 (NeurIPS 2024)"
CODE = "authors' code, github.com/PierreMarion23/implicit-reg-sharpness"


#: _ours(name, side, lhs, expr, why): a bound of our own derivation, proved in :data:`DERIVATION`.
_ours = functools.partial(derived_bound, proof=DERIVATION)


#: 2 L a ||w*||^(2 - 2/L): the lower bound of MC-LB.
lower_bound_expr = 2 * L * a * w_norm ** (2 - 2 / L)


def _lower_bound_at_limit(name: str) -> Bound:
    """MC-LB applied to the limit W_inf of a flow (a global minimizer): S(W_inf) >= S_LB."""
    return Bound(name, "lower", "S(W_inf)", lower_bound_expr, Provenance("paper", "MC-LB at the limit",
                                                                          proof=DERIVATION))


# The hypotheses' conditions are named functions, not lambdas, so that mutation testing reaches them
# (tools/mutation.py).
def _integer_depth_at_least_2(f) -> bool:
    return int(f["L"]) == f["L"] and f["L"] >= 2


def _nonzero_target(f) -> bool:
    return f["w_norm"] > 0


def _global_minimizer(f) -> bool:
    return f["excess_loss"] <= f.get("excess_tol", 0)


def _head_of_unit_norm(f) -> bool:
    return f.get("p_norm", 1) == 1


_depth_ok = Hypothesis("depth", "L >= 2 (integer)", _integer_depth_at_least_2, "depth L = {L} is not an integer >= 2")
_target_nonzero = Hypothesis("target", "||w*|| > 0", _nonzero_target,
                             "w* = 0 (X^T y = 0): the bounds are normalised by ||w*||")
_minimizer = Hypothesis("minimizer", "W is a global minimizer (R(W) = R_min, within the stated tolerance)",
                        _global_minimizer, "W is not a global minimizer: R - R_min = {excess_loss}")
_unit_head = Hypothesis("unit head", "no head, or a fixed head p with ||p|| = 1",
                        _head_of_unit_norm, "the head has ||p|| = {p_norm} != 1")

MC_LB = register(Theorem(
    name="MC-LB",
    title="Lower bound on the sharpness of every global minimizer (Theorem 1)",
    statement="Every global minimizer W of R satisfies S(W) >= 2 L a ||w*||^(2-2/L), for any widths, and for "
              "residual networks with a fixed unit head p (with ||p|| != 1 the bound carries ||p||^(2/L)).",
    provenance=Provenance(
        "paper", f"{SOURCE}: 'a lower bound linear in depth' (abstract); the form 2 L a ||w*||^(2-2/L) from the "
        f"{CODE} and our proof", proof=DERIVATION,
        note="proof [derived]: Hessian on dW_k = c_k u_k u_{k-1}^T (u_0 = w*), Cauchy-Schwarz in c, then AM-GM "
             "with telescoping product r_L / r_0 = ||p||^2 / ||w*||^2"),
    hypotheses=(_depth_ok, _target_nonzero, _minimizer, _unit_head),
    bounds=(
        Bound("S_LB", "lower", "S(W)", lower_bound_expr,
              Provenance("paper", f"{SOURCE}; form from the {CODE}", proof=DERIVATION)),
        _ours("S_LB_head", "lower", "S(W) (head p)", lower_bound_expr * p_norm ** (2 / L),
              "the MC-LB proof with u_L = p"),
    ),
))

MC_SMIN = register(Theorem(
    name="MC-Smin",
    title="Exact minimum sharpness over global minimizers",
    statement="With z = Sigma^(1/2) w*, min over minimizers of S(W) = S_min = min_{t>0} 2 lambda_max(t Sigma + "
              "(L-1) t^(-1/(L-1)) z z^T), attained by the aligned rank-one minimizer W_1 = (||w*||/sqrt t) v_1 "
              "w_hat^T, W_k = t^(1/(2(L-1))) v_k v_{k-1}^T. Moreover S_min >= 2 L a'^(1/L) a^(1-1/L) "
              "||w*||^(2-2/L) >= S_LB, with S_min = S_LB iff w* is an eigenvector of Sigma (eigenvalue mu) and "
              "L mu >= every other eigenvalue. Holds with w* = w_mn when Sigma is singular.",
    provenance=Provenance("derived", "ours (deep_linear.md section 3)", proof=DERIVATION,
                          note="lower side: M >= r_1 I + (sum_{k>=2} r_k/r_{k-1}) w* w*^T and AM-GM; checked by "
                               "sampling minimizers"),
    hypotheses=(_depth_ok, _target_nonzero, _minimizer),
    bounds=(
        _ours("S_min", "lower", "S(W) at a global minimizer", S_min, "minimum of the one-dimensional objective"),
        _ours("S_min_closed", "lower", "S_min", 2 * L * a_prime ** (1 / L) * a ** (1 - 1 / L) * w_norm ** (2 - 2 / L),
              "AM-GM on the S_min objective"),
        _ours("S_min_vs_LB", "lower", "S_min", lower_bound_expr, "a' >= a (Cauchy-Schwarz)"),
        _ours("S_min_vs_bal", "upper", "S_min", S_bal, "the objective at t = ||w*||^(2-2/L) is S_bal"),
    ),
))

MC_BAL = register(Theorem(
    name="MC-Sbal",
    title="Sharpness of the balanced rank-one minimizer and the ordering S_LB <= S_min <= S_bal",
    statement="The balanced rank-one minimizer has M = ||w*||^(2-2/L) (I + (L-1) w_hat w_hat^T), so S_bal = "
              "2 ||w*||^(2-2/L) lambda_max(Sigma + (L-1) z z^T / ||w*||^2) <= 2 ||w*||^(2-2/L) (Lambda + (L-1) a); "
              "hence 1 <= S_bal / S_LB <= 1 + (Lambda/a - 1)/L <= kappa.",
    provenance=Provenance("derived", "ours (deep_linear.md section 3)", proof=DERIVATION),
    hypotheses=(_depth_ok, _target_nonzero),
    bounds=(
        _ours("S_bal_upper", "upper", "S_bal", 2 * w_norm ** (2 - 2 / L) * (Lambda + (L - 1) * a),
              "Weyl: lambda_max(Sigma + (L-1) z z^T/||w*||^2) <= Lambda + (L-1) a"),
        _ours("S_bal_ratio", "upper", "S_bal / S_LB", 1 + (Lambda / a - 1) / L, "the previous bound divided by S_LB"),
        _ours("S_bal_lower", "lower", "S_bal", S_min, "S_bal is the sharpness of a minimizer"),
    ),
))

MC_SI = register(Theorem(
    name="MC-SI",
    title="Small initialization: gradient flow reaches a flat minimizer (kappa-dependent factor of the bound)",
    statement="From a small-scale initialization, gradient flow converges to a global minimizer whose sharpness is "
              "at most a constant depending only on kappa times the lower bound, with layers approximately rank "
              "one and aligned. Reconstructed form: S(W_inf) <= 8 L Lambda ||w*||^(2-2/L) (ratio to S_LB: "
              "4 Lambda / a <= 4 kappa). The smallness condition on the initialization is unknown; checked only "
              "in a documented small-scale regime.",
    provenance=Provenance("paper", f"{SOURCE}, abstract (existence of the kappa-dependent constant, rank one, "
                          "alignment)",
                          note="the constant 8 L Lambda ||w*||^(2-2/L) is reconstructed from the authors' plots; "
                               "spec observed S > 8 L Lambda at s = 0.5 (n = 50, d = 5, L = 10)"),
    hypotheses=(_depth_ok, _target_nonzero),
    bounds=(
        Bound("S_SI", "upper", "S(W_inf)", 8 * L * Lambda * w_norm ** (2 - 2 / L),
              Provenance("reconstructed", f"the line '8 L Lambda' of the {CODE} figures (||w*|| = 1 there)")),
        _lower_bound_at_limit("S_SI_lower"),
    ),
))

MC_RI = register(Theorem(
    name="MC-RI",
    title="Residual initialization: gradient flow converges, to a minimizer of sharpness O_kappa(S_LB)",
    statement="From a Gaussian residual initialization W_k = I + (s / sqrt(L d)) N_k with a fixed unit head, "
              "gradient flow converges to a global minimizer whose sharpness is at most a kappa-dependent "
              "constant times the lower bound. The conditions on s and the constant are unknown: the toolkit "
              "checks convergence and S >= S_LB and reports the measured ratio S / S_LB.",
    provenance=Provenance("paper", f"{SOURCE}, abstract", note="conditions and constant not available "
                          "(reconstructed: none stated); measured ratio reported"),
    hypotheses=(_depth_ok, _target_nonzero, _unit_head),
    bounds=(
        _lower_bound_at_limit("S_RI_lower"),
    ),
))

CONSERVATION = register(Theorem(
    name="DLN-imbalance",
    title="Conservation of the imbalances along gradient flow",
    statement="Along gradient flow D_k = W_{k+1}^T W_{k+1} - W_k W_k^T (k = 1..L-1) is constant; gradient descent "
              "with step eta changes it by O(eta^2) per step (O(eta) over a fixed time). Consequences [derived]: "
              "sigma_2(W_k)^2 <= sum_{j>=k} ||D_j(0)|| and |sigma_1(W_k)^2 - sigma_1(W_{k+1})^2| <= ||D_k(0)|| "
              "(for a network without head, whose last layer is a row).",
    provenance=Provenance("standard", "Arora, Cohen, Hazan (ICML 2018); Du, Hu, Lee (NeurIPS 2018)"),
    hypotheses=(_depth_ok,),
    bounds=(
        Bound("D_drift", "equality", "||D_k(t) - D_k(0)||", sympy.Integer(0),
              Provenance("standard", "Arora, Cohen, Hazan 2018")),
        _ours("rank_one", "upper", "sigma_2(W_k)^2", sympy.Symbol("sum_D_tail", nonnegative=True),
              "Weyl's inequality down the chain from the row W_L"),
        _ours("top_sv", "upper", "|sigma_1(W_k)^2 - sigma_1(W_{k+1})^2|", sympy.Symbol("norm_D_k", nonnegative=True),
              "Weyl's inequality on W_k W_k^T = W_{k+1}^T W_{k+1} - D_k"),
        _ours("alignment", "upper", "sin angle(left sv of W_k, right sv of W_{k+1})",
              2 * sympy.Symbol("norm_D_k", nonnegative=True) / sympy.Symbol("gap_k", positive=True),
              "Davis-Kahan (Yu-Wang-Samworth) with gap_k = sigma_1(W_{k+1})^2 - sigma_2(W_{k+1})^2"),
    ),
))

MC_EOS = register(Theorem(
    name="MC-EoS",
    title="Gradient descent with step eta > 2 / S_LB cannot converge stably to a minimizer",
    statement="A global minimizer W is a linearly stable fixed point of gradient descent with step eta only if "
              "eta <= 2 / S(W) <= 2 / S_LB; so for eta > 2 / S_LB gradient descent does not converge (except from a "
              "measure-zero set of initializations).",
    provenance=Provenance("reconstructed", f"{SOURCE}, Fig. 2 (threshold lines); consequence of MC-LB and linear "
                          "stability [standard]"),
    hypotheses=(_depth_ok, _target_nonzero),
    bounds=(
        Bound("eta_max", "upper", "eta of a stable convergent GD run", 2 / lower_bound_expr,
              Provenance("reconstructed", "2 / S_LB")),
    ),
))

THEOREMS = (MC_LB, MC_SMIN, MC_BAL, MC_SI, MC_RI, CONSERVATION, MC_EOS)
