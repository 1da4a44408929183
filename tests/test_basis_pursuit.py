"""Exact basis pursuit against independent methods (vertex enumeration, closed forms, spec values)."""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_bp import planted_instances

from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError, NotInRangeError
from implicitreg.numerics.basis_pursuit import (l1_minimizer, linprog_exact, nsp_constant, nsp_constant_order,
                                                rho_constant, support_pinv_norm)
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.vertex_enumeration import enumerate_l1, nsp_constant_bruteforce, rho_bruteforce

F = Fraction
LINE = Instance.from_lists([[1, 1, 1], [3, 0, 1]], [3, 3], name="line")
PLANE = Instance.from_lists([[2, -1, 0, 1], [0, 3, 2, 0]], [0, 6], name="plane")
RANDOM = Instance.from_lists([["-0.111", "0.120", "-0.370", "-0.240", "-1.197"],
                              ["0.209", "-0.972", "-0.755", "0.324", "-0.109"],
                              ["0.210", "-0.391", "0.235", "0.665", "0.353"]],
                             ["0.973", "-0.039", "-0.886"], name="random")
FACE2 = Instance.from_lists([[1, 1, 1, 1, "0.3"], [0, 1, 2, 3, 1]], [1, 1], name="face2")


def kink(eps):
    return Instance.from_lists([[1, 1 - F(eps)]], [1], name=f"kink{eps}")


# ---------------------------------------------------------------- agreement with vertex enumeration

@settings(max_examples=max(200, settings().max_examples))
@given(planted_instances())
def test_exact_lp_agrees_with_vertex_enumeration(case):
    inst, planted = case
    res = l1_minimizer(inst)
    res.verify()
    ref = enumerate_l1(inst.A, inst.y)
    assert res.value == ref.value
    assert res.value <= sum(abs(F(v)) for v in planted)
    assert res.unique == ref.unique
    assert res.support == ref.support          # maximal support = union of supports of optimal vertices
    assert res.signs == ref.signs
    assert (res.face.dimension == 0) == ref.unique
    for v in ref.vertices:
        assert res.face.contains(v)
    if res.face.vertices is not None:
        assert set(res.face.vertices) == set(ref.vertices)
    if ref.unique:
        assert res.x == ref.vertices[0]
    assert 0 <= res.rho < 1
    assert res.rho == rho_bruteforce(inst.A, res.support, res.signs)


@settings(max_examples=max(60, settings().max_examples))
@given(planted_instances(max_N=5))
def test_nsp_constant_agrees_with_enumeration_and_dominates_rho(case):
    inst, _ = case
    res = l1_minimizer(inst)
    S = res.support
    try:
        ref = nsp_constant_bruteforce(inst.A, S)
    except HypothesisNotMetError:
        with pytest.raises(HypothesisNotMetError):
            nsp_constant(inst.A, S)
        return
    rho_S = nsp_constant(inst.A, S)
    assert rho_S == ref
    assert res.rho <= rho_S                      # rho <= rho_S(A)
    try:
        rho_s = nsp_constant_order(inst.A, len(S))
    except HypothesisNotMetError:
        return
    assert rho_S <= rho_s                        # rho_S(A) <= rho_s(A)


# ---------------------------------------------------------------- closed forms and spec instances

@pytest.mark.parametrize("r", [F(0), F(1, 3), F(-2, 5), F(9, 10), F(-99, 100), F(7, 4), F(-3)])
def test_rho_on_one_row_equals_abs_r(r):
    res = rho_constant([[1, r]], [0], [1])
    assert res.value == abs(r)
    assert res.lam == (F(1),)
    assert rho_bruteforce([[1, r]], [0], [1]) == abs(r)
    if abs(r) < 1:
        bp = l1_minimizer(Instance.from_lists([[1, r]], [1]))
        assert bp.unique and bp.x == (1, 0) and bp.rho == abs(r)


@pytest.mark.parametrize("eps", ["0.3", "0.1", "0.03", "0.01", "1/1000"])
def test_kink_rho_is_one_minus_eps(eps):
    res = l1_minimizer(kink(eps))
    assert res.unique and res.x == (1, 0) and res.support == (0,)
    assert res.rho == 1 - F(eps)
    assert res.certificate == (1,)


def test_kink_at_eps_zero_is_the_segment():
    res = l1_minimizer(kink(0))
    assert not res.unique and res.support == (0, 1) and res.face.dimension == 1
    assert set(res.face.vertices) == {(1, 0), (0, 1)}


def test_line_instance():
    res = l1_minimizer(LINE)
    assert res.value == 3 and not res.unique
    assert res.support == (0, 1, 2) and res.signs == (1, 1, 1)
    assert res.certificate == (1, 0) and res.rho == 0
    assert res.face.dimension == 1
    assert set(res.face.vertices) == {(1, 2, 0), (0, 0, 3)}
    for t in (F(0), F(1, 3), F(1, 2), F(1)):
        assert res.face.contains((1 - t, 2 * (1 - t), 3 * t))
    assert not res.face.contains((F(-1, 10), F(-2, 10), F(33, 10)))       # on the line, outside the face
    d = res.face.directions[0]
    assert d[0] * 3 == -d[2] and d[1] * 3 == -2 * d[2]                      # direction parallel to (-1, -2, 3)


def test_plane_instance():
    res = l1_minimizer(PLANE)
    assert res.value == 3 and not res.unique
    assert res.support == (0, 1, 2) and res.rho == F(1, 2)
    assert set(res.face.vertices) == {(1, 2, 0, 0), (0, 0, 3, 0)}
    At = [sum(a * l for a, l in zip(col, res.certificate)) for col in zip(*PLANE.A)]
    assert At[:3] == [1, 1, 1] and abs(At[3]) == F(1, 2)


def test_random_instance_matches_spec_decimals():
    res = l1_minimizer(RANDOM)
    assert res.unique and res.support == (2, 3, 4)
    for got, want in zip(res.x, [0, 0, -0.27821951, -0.94919687, -0.53655099]):
        assert abs(float(got) - want) < 5e-9
    assert abs(float(res.rho) - 0.25514) < 5e-6


def test_two_dimensional_face():
    res = l1_minimizer(FACE2)
    assert res.face.dimension == 2 and res.support == (0, 1, 2, 3) and res.rho == F(3, 10)
    assert set(res.face.vertices) == {(0, 1, 0, 0, 0), (F(1, 2), 0, F(1, 2), 0, 0), (F(2, 3), 0, 0, F(1, 3), 0)}


def test_zero_data():
    res = l1_minimizer(Instance.from_lists([[1, 2], [3, 4]], [0, 0]))
    assert res.unique and res.x == (0, 0) and res.value == 0 and res.support == ()


def test_rank_deficient_rows():
    res = l1_minimizer(Instance.from_lists([[1, 2, 3], [2, 4, 6]], [1, 2]))
    assert res.value == F(1, 3) and res.unique and res.x == (0, 0, F(1, 3))


# ---------------------------------------------------------------- certificates reject mutants

def test_verify_rejects_wrong_lambda():
    res = l1_minimizer(RANDOM)
    res.verify()
    bad = tuple(v * F(11, 10) for v in res.certificate)
    with pytest.raises(CertificateError):
        dataclasses.replace(res, certificate=bad).verify()
    halved = tuple(v / 2 for v in res.certificate)     # dual feasible but a duality gap
    with pytest.raises(CertificateError, match="gap|sigma"):
        dataclasses.replace(res, certificate=halved).verify()


def test_verify_rejects_wrong_x_and_value():
    res = l1_minimizer(PLANE)
    with pytest.raises(CertificateError):
        dataclasses.replace(res, x=(F(1), F(2), F(1, 10), F(0))).verify()        # infeasible
    with pytest.raises(CertificateError):
        dataclasses.replace(res, value=res.value * F(11, 10)).verify()
    with pytest.raises(CertificateError):
        dataclasses.replace(res, unique=True).verify()
    with pytest.raises(CertificateError):
        dataclasses.replace(res, rho=res.rho / 2).verify()
    kinked = l1_minimizer(kink("0.1"))
    with pytest.raises(CertificateError):   # a feasible non-minimizer x = (0, 1/0.9)
        dataclasses.replace(kinked, x=(F(0), F(10, 9))).verify()


def test_verify_rejects_a_non_maximal_support():
    res = l1_minimizer(LINE)
    # pretend S = {0, 1} with the vertex (1, 2, 0): lambda = (1, 0) is not strict at index 2
    face = dataclasses.replace(res.face, support=(0, 1), signs=(1, 1), point=(F(1), F(2), F(0)))
    with pytest.raises(CertificateError):
        dataclasses.replace(res, support=(0, 1), signs=(1, 1), face=face).verify()


# ---------------------------------------------------------------- rho, NSP, pinv on closed forms

def test_rho_dual_certificate():
    res = rho_constant(PLANE.A, [0, 1, 2], [1, 1, 1])
    assert res.value == F(1, 2)
    v = res.v
    assert all(sum(a * b for a, b in zip(row, v)) == 0 for row in PLANE.A)
    assert abs(v[3]) == 1 and v[0] + v[1] + v[2] == F(1, 2)


def test_rho_requires_sigma_in_range():
    with pytest.raises(InvalidParameterError):
        rho_constant([[1, 1, 5]], [0, 1], [1, -1])      # A_S^T lam = (lam, lam) cannot be (1, -1)


def test_nsp_closed_form():
    # ker [1, 1, 1] contains (1, -1, 0), supported on S = {0, 1}: A_S is not injective, rho_S infinite
    with pytest.raises(HypothesisNotMetError):
        nsp_constant([[1, 1, 1]], [0, 1])
    # A = [1, r]: ker spanned by (-r, 1): rho_{0}(A) = |r|
    assert nsp_constant([[1, F(2, 7)]], [0]) == F(2, 7)
    assert nsp_constant_order([[1, F(2, 7)]], 1) == F(7, 2)       # S = {1}: ||v_1|| / ||v_0|| = 1/|r|


def test_nsp_order_size_limit():
    A = [[1] * 30, list(range(30))]
    with pytest.raises(InvalidParameterError, match="C\\(30,5\\)"):
        nsp_constant_order(A, 5)


def test_support_pinv_norm_closed_form():
    A = [[1, 0, F(1, 3), -2], [0, 1, F(-1, 2), 1]]
    assert support_pinv_norm(A, [0, 1]) == 3          # columns (1/3, -1/2) -> 5/6 and (-2, 1) -> 3
    assert support_pinv_norm([[2, 0, 1], [0, 4, 1]], [0, 1]) == F(3, 4)
    with pytest.raises(HypothesisNotMetError):
        support_pinv_norm([[1, 2, 3]], [0, 1])


def test_bad_support_arguments():
    with pytest.raises(InvalidParameterError):
        rho_constant([[1, 2]], [1, 0], [1, 1])
    with pytest.raises(InvalidParameterError):
        rho_constant([[1, 2]], [0], [2])
    with pytest.raises(InvalidParameterError):
        rho_constant([[1, 2]], [5], [1])


def test_not_in_range():
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[1, 1], [1, 1]], [1, 2])


# ---------------------------------------------------------------- the exact LP itself

def test_linprog_exact_repairs_a_bad_start_basis():
    # min x0 + 2 x1 + 3 x2, x0 + x1 + x2 = 1: start at the worst vertex x2 = 1
    sol = linprog_exact([1, 2, 3], [[1, 1, 1]], [1], start=[2])
    assert sol.z == (1, 0, 0) and sol.value == 1 and sol.dual == (1,) and sol.pivots >= 1


def test_linprog_exact_dual_simplex_from_a_dual_feasible_start():
    # min z0 + z1 s.t. z0 + z1 - z2 = 1: the surplus basis {z2} gives z2 = -1 (infeasible) but y = 0 is dual feasible
    sol = linprog_exact([1, 1, 0], [[1, 1, -1]], [1], start=[2])
    assert sol.value == 1 and sol.pivots == 1 and sol.z[2] == 0 and not sol.phase1


def test_linprog_exact_phase1_without_float_hint():
    sol = linprog_exact([1, 1, 0], [[1, -1, 0], [0, 1, 1]], [F(1, 2), 2], start="phase1")
    assert sol.value == F(1, 2) and sol.z == (F(1, 2), 0, 2)


# ---------------------------------------------------------------- repair: a wrong or missing float basis

@settings(max_examples=max(40, settings().max_examples))
@given(planted_instances(), st.randoms(use_true_random=False))
def test_wrong_float_basis_is_repaired_exactly(case, rnd):
    import implicitreg.numerics.basis_pursuit as bp

    inst, _ = case
    ref = enumerate_l1(inst.A, inst.y)

    def scrambled(A, y, rows):                  # a random column basis: feasible, usually not optimal
        N = len(A[0])
        order = list(range(N))
        rnd.shuffle(order)
        piv = bp._pivot_columns(bp._mat([[A[i][j] for j in order] for i in rows]))
        cols = [order[k] for k in piv]
        xC = bp.solve_consistent(bp.columns([A[i] for i in rows], cols), [y[i] for i in rows])
        return [j if v >= 0 else N + j for j, v in zip(cols, xC)]

    import implicitreg.numerics.lp_exact as lp

    original, original_float = bp._split_basis_from_float, lp._float_basis
    try:
        bp._split_basis_from_float = scrambled
        lp._float_basis = lambda *a, **k: None      # every other LP: exact phase 1 from scratch
        res = bp.l1_minimizer(inst)
    finally:
        bp._split_basis_from_float, lp._float_basis = original, original_float
    res.verify()
    assert (res.value, res.unique, res.support, res.signs) == (ref.value, ref.unique, ref.support, ref.signs)


# ---------------------------------------------------------------- rho on arbitrary supports and signs

@settings(max_examples=max(60, settings().max_examples))
@given(planted_instances(max_N=5), st.data())
def test_rho_constant_agrees_with_bruteforce_on_any_support(case, data):
    inst, _ = case
    N = inst.N
    S = sorted(data.draw(st.sets(st.integers(0, N - 1), max_size=N)))
    sig = data.draw(st.lists(st.sampled_from([1, -1]), min_size=len(S), max_size=len(S)))
    try:
        brute = rho_bruteforce(inst.A, S, sig)
    except InvalidParameterError:                       # sigma not orthogonal to ker A_S
        with pytest.raises(InvalidParameterError):
            rho_constant(inst.A, S, sig)
        return
    res = rho_constant(inst.A, S, sig)
    assert res.value == brute
    from implicitreg.proofs.derivations.rho_duality import check_rho_duality
    assert check_rho_duality(inst.A, S, sig).passed


# ---------------------------------------------------------------- theorems and their derivation checks

def test_theorems_registered_with_provenance():
    from pathlib import Path

    from implicitreg.theory import basis_pursuit as tb
    from implicitreg.theory.statement import THEOREMS

    assert tb.BP_UNIQUE.provenance.kind == "standard" and "Thm 4.30" in tb.BP_UNIQUE.provenance.source
    for thm in (tb.RHO_DUALITY, tb.RHO_NSP, tb.RHO_UNIQUE):
        assert thm.provenance.kind == "derived"
        assert (Path(__file__).resolve().parents[1] / thm.provenance.proof).is_file()
        assert THEOREMS[thm.name] is thm


def test_derivation_checks_pass_on_spec_instances():
    from implicitreg.proofs.derivations import rho_duality as rd

    checks = rd.run_all([LINE, PLANE, RANDOM, FACE2, kink("0.1")])
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert rd.check_rho_le_nsp(RANDOM.A, (2, 3, 4), (-1, -1, -1)).passed


@given(planted_instances())
def test_uniqueness_criterion_matches_enumeration(case):
    from implicitreg.proofs.derivations import rho_duality as rd
    from implicitreg.theory.basis_pursuit import BP_UNIQUE

    inst, _ = case
    assert rd.check_uniqueness_iff(inst).passed
    ref = enumerate_l1(inst.A, inst.y)
    facts = rd.uniqueness_facts(inst.A, ref.vertices[0])
    assert (not BP_UNIQUE.failed_hypotheses(facts)) == ref.unique


def test_wrong_uniqueness_criterion_is_caught():
    # 'rho <= 1' instead of 'rho < 1' would call the line's vertex (1, 2, 0) unique: rho = 1 there
    from implicitreg.proofs.derivations import rho_duality as rd

    facts = rd.uniqueness_facts(LINE.A, (1, 2, 0))
    assert facts["rho"] == 1 and facts["rank_A_S"] == facts["s"]
    assert not enumerate_l1(LINE.A, LINE.y).unique
    assert (facts["rho"] <= 1) != enumerate_l1(LINE.A, LINE.y).unique      # the mutant criterion disagrees
    assert rd.check_line_counterexample().passed                             # dln.md's unqualified form fails


def test_bound_mutants_are_caught():
    from implicitreg.theory.basis_pursuit import RHO_NSP, RHO_UNIQUE

    k = kink("0.05")
    res = l1_minimizer(k)                                   # rho = rho_S = 19/20
    rS = nsp_constant(k.A, res.support)
    b = RHO_NSP.bound("rho_le_rho_S")
    assert b.holds(res.rho, rho_S=rS)
    assert not b.mutated(scale=F(1, 2)).holds(res.rho, rho_S=rS)
    assert not b.mutated(scale=F(10, 11)).holds(res.rho, rho_S=rS)
    b2 = RHO_NSP.bound("rho_S_le_rho_s")
    rs = nsp_constant_order(k.A, 1)
    assert b2.holds(rS, rho_order=rs) and not b2.mutated(scale=F(1, 2)).holds(rS, rho_order=rs * F(19, 20) / rs)
    one = RHO_UNIQUE.bound("rho_lt_1")
    assert one.holds(res.rho) and not one.mutated(scale=F(9, 10)).holds(res.rho)


def test_duality_mutant_is_caught():
    from implicitreg.proofs.derivations import rho_duality as rd

    good = rd.check_rho_duality(PLANE.A, (0, 1, 2), (1, 1, 1))
    assert good.passed
    res = rho_constant(PLANE.A, (0, 1, 2), (1, 1, 1))
    wrong = dataclasses.replace(res, value=res.value * F(11, 10))
    from implicitreg.numerics.basis_pursuit import _check_rho
    with pytest.raises(CertificateError):
        _check_rho([list(r) for r in PLANE.A], (0, 1, 2), (1, 1, 1), wrong)
    wrong_v = dataclasses.replace(res, v=tuple(2 * v for v in res.v))
    with pytest.raises(CertificateError):
        _check_rho([list(r) for r in PLANE.A], (0, 1, 2), (1, 1, 1), wrong_v)


def test_verify_suite_passes_and_is_fast():
    from implicitreg.proofs.suites import basis_pursuit as suite

    verdicts = suite.run(thorough=False)
    assert len(verdicts) >= 30 and all(v.passed for v in verdicts), [v for v in verdicts if not v.passed]


def test_zero_matrix_and_unchecked_range():
    res = l1_minimizer(Instance.from_lists([[0, 0, 0]], [0]))
    assert res.unique and res.x == (0, 0, 0) and res.value == 0 and res.rho == 0
    with pytest.raises(NotInRangeError):
        l1_minimizer(Instance.from_data({"A": [[1, 1], [1, 1]], "y": [1, 2]}, check_range=False))


def test_mid_size_degenerate_instance_against_float_highs():
    # m = 12, N = 40, 3-sparse planted x: the optimal basis is degenerate (HiGHS keeps row logicals basic),
    # which the exact rebuild must turn into a structural optimal basis; the result is proved by verify()
    import random

    import numpy as np
    from scipy.optimize import linprog

    rng = random.Random(7)
    m, N = 12, 40
    A = [[rng.randint(-50, 50) for _ in range(N)] for _ in range(m)]
    x = [0] * N
    for j in rng.sample(range(N), 3):
        x[j] = rng.choice([-2, 1, 3])
    inst = Instance.from_lists(A, [sum(a * b for a, b in zip(row, x)) for row in A])
    res = l1_minimizer(inst)
    res.verify()
    Af = inst.A_float()
    flt = linprog(np.ones(2 * N), A_eq=np.hstack([Af, -Af]), b_eq=inst.y_float(), bounds=(0, None), method="highs")
    assert abs(float(res.value) - flt.fun) < 1e-9 * max(1.0, flt.fun)
    assert res.unique and res.x == tuple(F(v) for v in x)          # exact recovery of the planted vector


@pytest.mark.parametrize("A, y", [
    ([[1, "1e400"]], [1]),                                        # float overflow: no float hint at all
    ([[1, "1e-400", 2], [3, 1, "1e-300"]], [1, "1e-350"]),        # float underflow of nonzero data
    ([[1, "1e-12", 1], ["1e12", 1, "-1e-12"]], [1, 1]),           # representable but badly scaled
    ([[1, "1.0000000000000001", 1], [0, 1, "0.9999999999999999"]], [1, 1]),  # ties below float resolution
])
def test_extreme_scales_agree_with_enumeration(A, y):
    inst = Instance.from_lists(A, y)
    res = l1_minimizer(inst)
    ref = enumerate_l1(inst.A, inst.y)
    assert (res.value, res.unique, res.support, res.signs) == (ref.value, ref.unique, ref.support, ref.signs)
    assert res.rho == rho_bruteforce(inst.A, res.support, res.signs)


def test_verify_rejects_a_non_vertex_x_for_a_non_unique_face():
    res = l1_minimizer(LINE)
    interior = (F(1, 2), F(1), F(3, 2))          # a minimizer, but not a vertex: the API promises a vertex
    with pytest.raises(CertificateError, match="vertex"):
        dataclasses.replace(res, x=interior).verify()


def test_vertex_enumeration_size_limits():
    A = [[(i * j) % 7 - 3 for j in range(30)] for i in range(1, 11)]
    y = [sum(row[:2]) for row in A]
    with pytest.raises(InvalidParameterError, match="C\\(30,"):
        enumerate_l1(A, y)
    with pytest.raises(InvalidParameterError, match="2\\^29"):
        rho_bruteforce(A, [0], [1])
    with pytest.raises(InvalidParameterError):
        enumerate_l1([[1, 2, 3, 4, 5]], [1], max_bases=4)          # C(5,1) = 5 > 4
