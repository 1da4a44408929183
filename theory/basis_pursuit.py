"""Statements about basis pursuit, the constant rho and the null space property (dln.md §3, wah.md §3).

Notation: x* in argmin { ||z||_1 : A z = y }, S a support, sigma a sign pattern on S,

    rho(A, S, sigma) = min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma },
    rho_S(A) = max { ||v_S||_1 : v in ker A, ||v_{S^c}||_1 = 1 },   rho_s(A) = max_{|S| <= s} rho_S(A).

Computations live in :mod:`implicitreg.numerics.basis_pursuit`; the derived statements are checked
in ``proofs/derivations/rho_duality.py``.

Correction to dln.md §3 (recorded in the derivation module): "rho < 1 iff x* is unique" needs A_S
injective (S = supp x*). Without it the claim fails: on the ``line`` instance the relative-interior
minimizer (1/2, 1, 3/2) has S = all coordinates, rho = 0 < 1, yet X_BP is a segment. The statement
below carries the injectivity hypothesis.
"""
from __future__ import annotations

import sympy

from implicitreg.theory.statement import Bound, Hypothesis, Provenance, Theorem, derived_bound, register, rho

DERIVATION = "proofs/derivations/rho_duality.py"

#: max { <sigma, v_S> : v in ker A, ||v_{S^c}||_1 = 1 } (the dual LP value)
rho_dual = sympy.Symbol("rho_dual", nonnegative=True)
#: rho_S(A), the NSP constant relative to S
rho_S = sympy.Symbol("rho_S", nonnegative=True)
#: rho_s(A), the NSP constant of order s
rho_order = sympy.Symbol("rho_order", nonnegative=True)

# facts: "s" = |S|, "rank_A_S" = rank A_S, "rho" = rho(A, S, sigma) (S = supp x*, sigma = sgn x*_S).
# The conditions are named functions, not lambdas, so that mutation testing reaches them (tools/mutation.py).
def _full_column_rank(f) -> bool:
    return f["rank_A_S"] == f["s"]


def _rho_below_one(f) -> bool:
    return f["rho"] < 1


def _sigma_solvable(f) -> bool:
    return f["sigma_in_range"]


_injective = Hypothesis("A_S injective", "A_S has full column rank (rank A_S = |S|)",
                        _full_column_rank, "A_S is not injective (rank {rank_A_S} < |S| = {s})")
_strict = Hypothesis("strict certificate", "some lam has A_S^T lam = sigma and ||A_{S^c}^T lam||_inf < 1, i.e. rho < 1",
                     _rho_below_one, "no strict dual certificate: rho = {rho} >= 1")
_sigma_in_range = Hypothesis("sigma in range(A_S^T)", "A_S^T lam = sigma is solvable (sigma orthogonal to ker A_S)",
                             _sigma_solvable, "no lam solves A_S^T lam = sigma")

BP_UNIQUE = register(Theorem(
    name="BP-unique",
    title="Uniqueness of the basis pursuit minimizer",
    statement="x* with support S and signs sigma is the unique minimizer of ||z||_1 subject to A z = A x* iff A_S is "
              "injective and some lam has A_S^T lam = sigma, ||A_{S^c}^T lam||_inf < 1; equivalently "
              "|<sigma, v_S>| < ||v_{S^c}||_1 for every nonzero v in ker A.",
    provenance=Provenance("standard", "Foucart & Rauhut, A Mathematical Introduction to Compressive Sensing (2013), "
                                      "Thm 4.30; dln.md §3"),
    hypotheses=(_injective, _strict),
))

RHO_DUALITY = register(Theorem(
    name="rho-duality",
    title="LP duality for rho",
    statement="If A_S^T lam = sigma is solvable, rho = min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma } = "
              "max { |<sigma, v_S>| : v in ker A, ||v_{S^c}||_1 <= 1 }; the max is attained with ||v_{S^c}||_1 = 1 "
              "unless ker A has no vector nonzero off S (then both sides are 0).",
    provenance=Provenance("derived", "ours (dln.md §3: 'the same, by LP duality')", proof=DERIVATION,
                          note="weak duality <sigma, v_S> = -<A_{S^c}^T lam, v_{S^c}>; strong duality from exact "
                               "certificates with equal values"),
    hypotheses=(_sigma_in_range,),
    bounds=(derived_bound("rho_dual", "equality", "rho", rho_dual, "LP duality", DERIVATION),),
))

RHO_NSP = register(Theorem(
    name="rho-NSP",
    title="rho is dominated by the null space constants",
    statement="rho(A, S, sigma) <= rho_S(A) <= rho_s(A) for |S| <= s (rho_S may be infinite when A_S is not "
              "injective).",
    provenance=Provenance("derived", "ours (dln.md §3)", proof=DERIVATION,
                          note="|<sigma, v_S>| <= ||v_S||_1 on the common feasible set; rho_S is monotone in S"),
    hypotheses=(_sigma_in_range, _injective),
    bounds=(derived_bound("rho_le_rho_S", "upper", "rho", rho_S, "Hoelder", DERIVATION),
            derived_bound("rho_S_le_rho_s", "upper", "rho_S(A)", rho_order, "definition of rho_s as a max",
                          DERIVATION)),
))

RHO_UNIQUE = register(Theorem(
    name="rho-unique",
    title="rho < 1 characterizes uniqueness (with A_S injective)",
    statement="Let x* be a minimizer, S = supp x*, sigma = sgn x*_S, and A_S injective (e.g. x* a vertex of X_BP). "
              "Then x* is the unique minimizer iff rho(A, S, sigma) < 1. For the maximal support S of X_BP, "
              "rho < 1 always (strict complementarity), whether or not x* is unique.",
    provenance=Provenance("derived", "ours; dln.md §3 states 'rho < 1 iff x* is unique' without the injectivity "
                                     "hypothesis, which is needed (counterexample: line instance, S = all, rho = 0, "
                                     "not unique)", proof=DERIVATION),
    hypotheses=(_injective,),
    bounds=(Bound("rho_lt_1", "upper", "rho", sympy.Integer(1),
                  Provenance("derived", "strict inequality when x* is unique", proof=DERIVATION),
                  note="the bound is strict: rho < 1"),),
))

MAXIMAL_SUPPORT = register(Theorem(
    name="BP-maximal-support",
    title="Face of minimizers and strict complementarity",
    statement="X_BP = { x : A x = y, sigma_i x_i >= 0 on S, x = 0 off S } with S the maximal support; some dual "
              "certificate lam has (A^T lam)_S = sigma and |(A^T lam)_j| < 1 off S, so rho(A, S, sigma) < 1.",
    provenance=Provenance("standard", "Goldman & Tucker (1956) strict complementarity for LP; wah.md §3"),
    bounds=(Bound("rho_max_support_lt_1", "upper", "rho (maximal support)", sympy.Integer(1),
                  Provenance("standard", "Goldman & Tucker (1956)"), note="strict"),),
))

THEOREMS = (BP_UNIQUE, RHO_DUALITY, RHO_NSP, RHO_UNIQUE, MAXIMAL_SUPPORT)

__all__ = ["BP_UNIQUE", "RHO_DUALITY", "RHO_NSP", "RHO_UNIQUE", "MAXIMAL_SUPPORT", "THEOREMS", "rho", "rho_dual",
           "rho_S", "rho_order", "DERIVATION"]
