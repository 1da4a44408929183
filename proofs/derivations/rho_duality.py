"""Checks of our derived facts about rho (``theory/basis_pursuit.py``), with exact certificates.

Let S be a support, sigma in {+-1}^S with A_S^T lam = sigma solvable, and

    P:  rho   = min { ||A_{S^c}^T lam||_inf : A_S^T lam = sigma },
    D:  rho'  = max { <sigma, v_S> : v in ker A, ||v_{S^c}||_1 <= 1 }.

1. Weak duality (rho' <= rho). For lam feasible in P and v feasible in D,
       <sigma, v_S> = <A_S^T lam, v_S> = <lam, A_S v_S> = -<lam, A_{S^c} v_{S^c}>
                    = -<A_{S^c}^T lam, v_{S^c}> <= ||A_{S^c}^T lam||_inf ||v_{S^c}||_1 <= ||A_{S^c}^T lam||_inf,
   using A v = 0. :func:`check_weak_duality_symbolic` verifies the identity <A_S^T lam, v_S> + <A_{S^c}^T lam,
   v_{S^c}> = lam^T A v in SymPy for generic symbolic A.
2. Strong duality (rho = rho'). D is the LP dual of P written as min t s.t. A_S^T lam = sigma,
   -t <= a_j^T lam <= t (j not in S); both are feasible (v = 0 in D), so the LP optima agree. We do not rely on
   the theorem: :func:`check_rho_duality` produces exact rationals lam and v with ||A_{S^c}^T lam||_inf =
   <sigma, v_S> and checks feasibility of each; by step 1 equal values prove both optimal. The brute-force
   vertex enumeration (``numerics.vertex_enumeration.rho_bruteforce``) is compared too.
3. The normalization ||v_{S^c}||_1 = 1 of dln.md. If rho' > 0 an optimal v has ||v_{S^c}||_1 = 1 (otherwise
   scaling v up increases <sigma, v_S>). If rho' = 0 any v in ker A with v_{S^c} != 0, normalized, is optimal
   (<sigma, v_S> != 0 would give rho' > 0 by the sign flip v -> -v). If ker A has no vector nonzero off S, the
   set with ||v_{S^c}||_1 = 1 is empty while rho = 0: dln.md's "= 1" must be read as "<= 1" in that corner case.
   The absolute value in dln.md's |<sigma, v_S>| is harmless: the feasible set is symmetric.
4. rho <= rho_S(A) <= rho_s(A): |<sigma, v_S>| <= ||v_S||_1 on the same feasible set, and rho_s is a max over
   supports including S. Checked exactly by :func:`check_rho_le_nsp` (and both NSP constants against brute force).
5. rho < 1 iff unique, *with A_S injective* (S = supp x*). If rho < 1 the rho-optimal lam is a strict dual
   certificate, and Foucart & Rauhut Thm 4.30 gives uniqueness. Conversely if x* is unique, Thm 4.30 gives a
   strict certificate, so rho < 1. **Spec correction**: dln.md §3 says "rho < 1 iff x* is unique" without the
   injectivity; that is false for a non-vertex minimizer: on ``line`` (A = [[1,1,1],[3,0,1]], y = (3,3)) the
   minimizer (1/2, 1, 3/2) has S = all, so S^c is empty and rho = 0 < 1, but X_BP is a segment.
   :func:`check_uniqueness_iff` decides both sides independently (exact LP for rho and rank, vertex enumeration
   for uniqueness) on the vertex minimizer, and also checks rho < 1 for the maximal support (strict
   complementarity, Goldman-Tucker) and the line counterexample.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from implicitreg.errors import HypothesisNotMetError
from implicitreg.numerics.basis_pursuit import l1_minimizer, nsp_constant, nsp_constant_order, rho_constant
from implicitreg.numerics.exact import (columns, fraction_str as fs, matvec, norm1, rank, rmatvec, sign,
                                      solve_consistent, transpose)
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.vertex_enumeration import enumerate_l1, nsp_constant_bruteforce, rho_bruteforce


@dataclass
class DerivationCheck:
    name: str
    passed: bool
    detail: str = ""


def check_weak_duality_symbolic(m: int = 2, N: int = 4, s: int = 2) -> DerivationCheck:
    """<A_S^T lam, v_S> + <A_{S^c}^T lam, v_{S^c}> - lam^T A v == 0 identically (SymPy, symbolic A, lam, v)."""
    A = sympy.Matrix(m, N, lambda i, j: sympy.Symbol(f"a{i}_{j}", real=True))
    lam = sympy.Matrix(m, 1, lambda i, _: sympy.Symbol(f"l{i}", real=True))
    v = sympy.Matrix(N, 1, lambda j, _: sympy.Symbol(f"v{j}", real=True))
    S, C = list(range(s)), list(range(s, N))
    lhs = (A[:, S].T * lam).dot(v[S, :]) + (A[:, C].T * lam).dot(v[C, :])
    diff = sympy.expand(lhs - (lam.T * A * v)[0, 0])
    return DerivationCheck("weak duality identity", diff == 0, f"residual {diff}")


def _text(q) -> str:
    """An exact value of a check's message (``None`` when the check has none)."""
    return "None" if q is None else fs(q)


def check_rho_duality(A, support, signs) -> DerivationCheck:
    """Exact primal lam and dual v with equal values (=> both optimal), and agreement with brute force."""
    A = [[Fraction(x) for x in row] for row in A]
    N = len(A[0])
    S = list(support)
    C = [j for j in range(N) if j not in set(S)]
    res = rho_constant(A, S, signs)
    At = rmatvec(A, list(res.lam))
    primal_ok = all(At[j] == sg for j, sg in zip(S, signs))
    primal_value = max((abs(At[j]) for j in C), default=Fraction(0))
    dual_ok = not any(matvec(A, list(res.v))) and norm1(res.v[j] for j in C) <= 1
    dual_value = sum((sg * res.v[j] for j, sg in zip(S, signs)), Fraction(0))
    normalized = norm1(res.v[j] for j in C) == 1 or not C or dual_value == 0
    brute = rho_bruteforce(A, S, signs) if len(C) <= 12 else None
    ok = primal_ok and dual_ok and normalized and primal_value == dual_value == res.value
    ok = ok and (brute is None or brute == res.value)
    return DerivationCheck("rho LP duality", ok,
                           f"primal {fs(primal_value)}, dual {fs(dual_value)}, brute force {_text(brute)}")


def check_rho_le_nsp(A, support, signs, order: int | None = None) -> DerivationCheck:
    """rho <= rho_S(A) <= rho_s(A) exactly (A_S injective); NSP constants against brute force."""
    S = list(support)
    r = rho_constant(A, S, signs).value
    rS = nsp_constant(A, S)
    rS_brute = nsp_constant_bruteforce(A, S)
    try:
        rs = nsp_constant_order(A, order if order is not None else len(S))
    except HypothesisNotMetError:       # some A_T with |T| = s is not injective: rho_s = infinity
        rs = None
    ok = r <= rS and (rs is None or rS <= rs) and rS == rS_brute
    return DerivationCheck("rho <= rho_S <= rho_s", ok,
                           f"rho {fs(r)}, rho_S {fs(rS)} (brute {_text(rS_brute)}), rho_s "
                           f"{'infinite' if rs is None else fs(rs)}")


def uniqueness_facts(A, x) -> dict:
    """Facts for the BP-unique / rho-unique hypotheses at a minimizer x: s, rank A_S, sigma in range, rho."""
    A = [[Fraction(v) for v in row] for row in A]
    S = [j for j, v in enumerate(x) if v]
    sig = [sign(x[j]) for j in S]
    AS = columns(A, S)
    in_range = not S or solve_consistent(transpose(AS), [Fraction(v) for v in sig]) is not None
    rho = rho_constant(A, S, sig).value if in_range else None
    return {"s": len(S), "rank_A_S": rank(AS) if S else 0, "sigma_in_range": in_range, "rho": rho,
            "support": S, "signs": sig}


def check_uniqueness_iff(instance: Instance) -> DerivationCheck:
    """(A_S injective and rho(supp x*) < 1) == unique (vertex enumeration), at the vertex minimizer; rho_max < 1."""
    from implicitreg.theory.basis_pursuit import BP_UNIQUE

    res = l1_minimizer(instance)
    ref = enumerate_l1(instance.A, instance.y)
    vertex = ref.vertices[0]                      # a vertex: A_S injective by construction
    facts = uniqueness_facts(instance.A, vertex)
    criterion = facts["rank_A_S"] == facts["s"] and facts["rho"] < 1
    by_theorem = not BP_UNIQUE.failed_hypotheses(facts)
    ok = criterion == ref.unique == res.unique == by_theorem and res.rho < 1
    return DerivationCheck("rho < 1 iff unique (A_S injective)", ok,
                           f"rho(supp vertex) = {_text(facts['rho'])}, unique by enumeration {ref.unique}, "
                           f"rho(maximal support) = {_text(res.rho)}")


def check_line_counterexample() -> DerivationCheck:
    """dln.md's unqualified 'rho < 1 iff unique' fails at a non-vertex minimizer: line, x = (1/2, 1, 3/2)."""
    line = Instance.from_lists([[1, 1, 1], [3, 0, 1]], [3, 3], name="line")
    x = [Fraction(1, 2), Fraction(1), Fraction(3, 2)]
    facts = uniqueness_facts(line.A, x)
    unique = enumerate_l1(line.A, line.y).unique
    ok = matvec([list(r) for r in line.A], x) == list(line.y) and facts["rho"] == 0 and not unique \
        and facts["rank_A_S"] < facts["s"]
    return DerivationCheck("line counterexample (injectivity needed)", ok,
                           f"rho = {facts['rho']} < 1 but unique = {unique}; rank A_S = {facts['rank_A_S']} < 3")


def run_all(instances) -> list[DerivationCheck]:
    """Every check on the given instances (used by tests and the verify suite)."""
    out = [check_weak_duality_symbolic(), check_line_counterexample()]
    for inst in instances:
        res = l1_minimizer(inst)
        out.append(check_rho_duality(inst.A, res.support, res.signs))
        out.append(check_uniqueness_iff(inst))
    return out
