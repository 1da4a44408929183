"""Direct tests of the exact and closed-form numerics, each side of every documented limit and every result field
against a hand computation (hardening pass, issue 13): basis pursuit's input checks, NSP constants and face
enumeration; the error constants; the kink family; the JSON conventions of results; ``limit``'s family detection.

Every expected value below is computed by hand in the comment beside it (or from a closed form), never by the code
under test.
"""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import (HypothesisNotMetError, InvalidInstanceError, InvalidParameterError,
                                NonUniqueMinimizerError)
from implicitreg.numerics import basis_pursuit as bp
from implicitreg.numerics import error_constants as ec
from implicitreg.numerics import kink
from implicitreg.numerics._result import json_value
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import family_parameters

F = Fraction
# ker A = span (1, 1, -1): for S = {0, 1}, rho_S = ||v_S||_1 / ||v_C||_1 = 2; for a singleton S, 1/2
K3 = [[1, 0, 1], [0, 1, 1]]


# --- basis pursuit: supports and signs --------------------------------------------------------------------------

def test_support_index_bounds_both_sides():
    A = [[1, 2, 3]]
    assert bp.rho_constant(A, [2], [1]).value == F(2, 3)    # the last index is accepted
    with pytest.raises(InvalidParameterError, match=r"\[0, 2\]"):
        bp.rho_constant(A, [3], [1])                        # one past the last index
    with pytest.raises(InvalidParameterError):
        bp.rho_constant(A, [-1], [1])                       # negative index


def test_rho_on_one_row_by_hand():
    # S = {2}, sigma = +1: a_2 lam = 1 -> lam = 1/3, off S |1/3|, |2/3| -> rho = 2/3
    r = bp.rho_constant([[1, 2, 3]], [2], [1])
    assert r.value == F(2, 3) and r.lam == (F(1, 3),)


def test_support_duplicates_and_order_refused():
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        bp.rho_constant(K3, [0, 0], [1, 1])
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        bp.rho_constant(K3, [1, 0], [1, 1])


@pytest.mark.parametrize("signs", [(0,), (2,), (1, 1), ()])
def test_signs_must_be_plus_minus_one_and_match_support(signs):
    with pytest.raises(InvalidParameterError, match="signs must be 1 entries"):
        bp.rho_constant(K3, [0], signs)


# --- NSP constants ----------------------------------------------------------------------------------------------

def test_nsp_constant_is_the_max_over_sign_patterns():
    # sigma = (1, 1): <sigma, v_S> = 2 for v = (1, 1, -1); sigma = (1, -1): 0. rho_S = max = 2
    assert bp.rho_constant(K3, [0, 1], [1, 1]).value == 2
    assert bp.rho_constant(K3, [0, 1], [1, -1]).value == 0
    assert bp.nsp_constant(K3, [0, 1]) == 2
    assert bp.nsp_constant(K3, []) == 0
    assert bp.nsp_constant(K3, [2]) == F(1, 2)


def test_nsp_constant_size_limit_both_sides(monkeypatch):
    """|S| <= 13 is computed (2^12 sign patterns, first sign fixed to +1), |S| = 14 refused before any LP."""
    calls = []

    def fake(A, S, signs):
        assert signs[0] == 1 and len(signs) == len(S)
        calls.append(signs)
        return SimpleNamespace(value=F(sum(1 for s in signs if s < 0), 100))

    monkeypatch.setattr(bp, "rho_constant", fake)
    eye = lambda n: [[int(i == j) for j in range(n + 1)] + [1] for i in range(n)]  # A_S = I (injective)
    assert bp.nsp_constant(eye(13), range(13)) == F(12, 100)   # the max: all 12 free signs negative
    assert len(calls) == 2 ** 12 and len(set(calls)) == 2 ** 12
    calls.clear()
    with pytest.raises(InvalidParameterError, match=r"\|S\| <= 13"):
        bp.nsp_constant(eye(14), range(14))
    assert not calls


def test_nsp_constant_order_boundaries():
    assert bp.nsp_constant_order(K3, 0) == 0                  # s = 0: the empty support, rho = 0
    with pytest.raises(InvalidParameterError):
        bp.nsp_constant_order(K3, -1)
    assert bp.nsp_constant_order(K3, 1, max_subsets=3) == F(1, 2)   # C(3, 1) = 3 subsets: allowed
    with pytest.raises(InvalidParameterError, match="max_subsets = 2"):
        bp.nsp_constant_order(K3, 1, max_subsets=2)
    # s > N is clipped to N: S = all columns, A_S not injective -> rho infinite
    with pytest.raises(HypothesisNotMetError):
        bp.nsp_constant_order(K3, 5)
    assert bp.nsp_constant_order(K3, 2) == 2


def test_support_pinv_norm_is_the_max_column_sum():
    # A_S = I, A_S^+ A_C = [[1, 0], [1, 0]]: column sums 2, 0 (the 1->1 norm: 2); row sums 1, 1
    A = [[1, 0, 1, 0], [0, 1, 1, 0]]
    assert bp.support_pinv_norm(A, [0, 1]) == 2
    assert bp.support_pinv_norm(A, [0, 1, 2, 3]) == 0          # nothing off S
    with pytest.raises(HypothesisNotMetError):
        bp.support_pinv_norm([[1, 1, 0], [0, 0, 1]], [0, 1])


# --- face vertices --------------------------------------------------------------------------------------------

def test_face_vertex_limit_both_sides():
    A, y = [[F(1), F(1), F(1)]], [F(1)]
    verts = bp._face_vertices(A, y, (0, 1, 2), (1, 1, 1), limit=3)     # C(3, 1) = 3 candidate bases: enumerated
    assert verts == ((0, 0, 1), (0, 1, 0), (1, 0, 0))
    assert bp._face_vertices(A, y, (0, 1, 2), (1, 1, 1), limit=2) is None
    assert bp.FACE_VERTEX_LIMIT == 2000


def test_face_vertices_keep_degenerate_vertices():
    # S = {0, 1, 2}, k = 2: basis {0, 1} gives x = (1, 0, 0) with a zero basic entry; {1, 2} gives x_1 = -1 < 0
    A, y = [[F(1), F(0), F(1)], [F(0), F(1), F(1)]], [F(1), F(0)]
    assert bp._face_vertices(A, y, (0, 1, 2), (1, 1, 1)) == ((1, 0, 0),)
    assert bp._face_vertices(A, y, (), ()) == ((0, 0, 0),)


def test_l1_minimizer_refuses_y_outside_the_range():
    from implicitreg.errors import NotInRangeError

    with pytest.raises(NotInRangeError):
        bp.l1_minimizer(SimpleNamespace(A=[[F(1), F(1)], [F(2), F(2)]], y=[F(1), F(1)]))
    with pytest.raises(InvalidInstanceError):
        bp._as_matrix([[1, 2], [3]])


# --- error constants ------------------------------------------------------------------------------------------

ROW = Instance.from_lists([[1, "1/2"]], [1])     # x* = (1, 0), S = {0}, lam = 1, rho = 1/2, K2 = 1/2, n = 1


def test_support_constants_by_hand():
    sc = ec.support_constants(Instance.from_lists([[1, 0], [0, 1]], [1, "1/4"]))
    assert sc.m_star == F(1, 4) and sc.support == (0, 1) and sc.n == 0
    assert mpmath.almosteq(sc.K1_star, mpmath.log(4), 1e-14)
    sc = ec.support_constants(ROW)
    assert (sc.rho, sc.K2, sc.n, sc.m_star, sc.signs) == (F(1, 2), F(1, 2), 1, 1, (1,))
    with pytest.raises(NonUniqueMinimizerError):
        ec.support_constants(Instance.from_lists([[1, 1]], [1]))


def test_posterior_constants_each_field():
    sc = ec.support_constants(ROW)
    with mpmath.workdps(30):
        lim = SimpleNamespace(dps=30, z=[mpf("0.9"), mpf("0.4")], alpha_product=mpf("1e-3"))
        pc = ec.posterior_constants(lim, sc)
        assert mpmath.almosteq(pc.eps, mpf("0.1"), 1e-25)
        assert mpmath.almosteq(pc.rho_a, mpf("0.55"), 1e-25)        # 1/2 + (1/2)(0.1)
        assert mpmath.almosteq(pc.rho_minus, mpf("0.45"), 1e-25)    # 1/2 - (1/2)(0.1)
        assert mpmath.almosteq(pc.w_off, mpf("0.4"), 1e-25)
        assert mpmath.almosteq(pc.K1, mpmath.log(1000) - mpf("0.9"), 1e-25)


def test_k1_apriori_and_alpha_zero_by_their_formulas():
    sc = ec.support_constants(Instance.from_lists([[1, 0, "1/4"], [0, 1, "1/4"]], [1, "1/2"]))
    # x* = (1, 1/2, 0) (x_3 = t costs +t/2): m* = 1/2, K1* = log 2, rho = 1/2, K2 = 1/2, n = 1
    assert sc.m_star == F(1, 2)
    got = ec.k1_apriori(sc, F(1, 10))
    assert mpmath.almosteq(got, 2 * mpmath.log(2) + 4 * mpf("0.01") * 4, 1e-12)   # 4 a^2 / m*^2 = 0.16
    a0 = ec.alpha_zero_d2(sc)
    K2, n, rho = mpf_(sc.K2), sc.n, mpf_(sc.rho)
    Kb = sc.K1_star + mpmath.log(2) + 4 * a0 ** 2 / mpf_(sc.m_star) ** 2
    lhs = K2 * n * mpmath.exp(Kb * K2) * a0 ** (1 - rho)
    assert 0 < a0 < 1 and mpmath.almosteq(lhs, mpf_(sc.m_star) / 2, 1e-8)


def mpf_(q):
    return mpf(q.numerator) / q.denominator


def test_limit_direction_needs_depth_above_two():
    with pytest.raises(InvalidParameterError):
        ec.limit_direction(ROW, 2)


def test_offsupport_radius_domain_both_sides():
    for f in (ec.offsupport_radius, ec.offsupport_radius_spec):
        with pytest.raises(HypothesisNotMetError):
            f(3, 1, 2)
        with pytest.raises(HypothesisNotMetError):
            f(3, -mpf("0.01"), 2)
        assert f(3, 0, 2) == 0
        assert f(3, mpf("0.5"), 0) == mpf("0.5")
        M = f(3, mpf("0.99"), 2)
        assert mpf("0.99") < M < 1


def test_row_family_errors_by_hand():
    for n, r in ((1, F(1, 2)), (3, F(1, 2)), (2, F(0))):
        fam = ec.row_family_limit(3, r, n, F(1, 1000), dps=30)
        mpmath.mp.dps = 30
        rm = mpf_(r)
        # x - x*: x_1 - 1 = -n r x_j (on the constraint) and x_j on the n others
        assert mpmath.almosteq(fam.error_l1, n * (1 + rm) * fam.xj, 1e-25)
        assert mpmath.almosteq(fam.error_inf, max(n * rm, 1) * fam.xj, 1e-25)
        assert mpmath.almosteq(fam.x1 + n * rm * fam.xj, 1, 1e-25)
    with pytest.raises(InvalidParameterError):
        ec.row_family_limit(3, 1, 2, F(1, 10))


@pytest.fixture(autouse=True)
def _restore_dps():
    old = mpmath.mp.dps
    yield
    mpmath.mp.dps = old


# --- kink -------------------------------------------------------------------------------------------------------

def test_kink_eps_domain_both_sides():
    assert kink.kink_instance(0).A[0][1] == 1
    assert kink.kink_instance(F(99, 100)).A[0][1] == F(1, 100)
    for bad in (1, F(-1, 10), 2):
        with pytest.raises(InvalidParameterError):
            kink.kink_instance(bad)


def test_kink_closed_forms_by_hand():
    with mpmath.workdps(30):
        # h_3(1/2) = (1/2)^-3 - (3/2)^-3 = 8 - 8/27
        assert mpmath.almosteq(kink.limit_constant(F(1, 2), 3), mpmath.sqrt(mpf(5) / 4) * (8 - mpf(8) / 27), 1e-25)
        # eps = 1/4: sqrt(1 + 9/16) h_3(3/4) = (5/4) (4^3 - (4/7)^3)
        assert mpmath.almosteq(kink.limit_constant(F(1, 4), 3), mpf(5) / 4 * (64 - mpf(64) / 343), 1e-25)
        # p = 2, factor alpha = 1/10: a = 1/100, a^eps = 1/10 at eps = 1/2
        assert mpmath.almosteq(kink.p2_error_asymptotic(F(1, 2), F(1, 10)), mpmath.sqrt(mpf(5) / 4) / 10, 1e-25)
        assert mpmath.almosteq(kink.p2_error_asymptotic(F(1, 2), F(1, 100), alpha_convention="product"),
                               mpmath.sqrt(mpf(5) / 4) / 10, 1e-25)
        # transition scale: p = 2, a = 1/4 -> 1/log 4; p = 4, a = alpha^4 = 1/16 -> a^(1/2) = 1/4
        assert mpmath.almosteq(kink.transition_scale(2, F(1, 2)), 1 / mpmath.log(4), 1e-25)
        assert mpmath.almosteq(kink.transition_scale(4, F(1, 2)), mpf(1) / 4, 1e-25)
        # collapse profile: 1/sqrt(2) at e = 0 for every p
        for p in (2, 3, 5):
            assert mpmath.almosteq(kink.collapse_profile(p, 0), 1 / mpmath.sqrt(2), 1e-20)
        assert mpmath.almosteq(kink.collapse_profile(2, 1), mpmath.sqrt(2) / (1 + mpmath.e), 1e-25)
    with pytest.raises(InvalidParameterError):
        kink.transition_scale(2, 1)          # a = 1: log(1/a) = 0
    with pytest.raises(InvalidParameterError):
        kink.collapse_profile(3, -1)
    with pytest.raises(InvalidParameterError):
        kink.limit_constant(0, 3)
    with pytest.raises(InvalidParameterError):
        kink.limit_constant(F(1, 2), 2)


def test_kink_limit_on_its_constraint_and_error():
    k = kink.kink_limit(F(1, 4), 3, F(1, 10), dps=30)
    with mpmath.workdps(30):
        assert mpmath.almosteq(k.x[0] + mpf(3) / 4 * k.x[1], 1, 1e-25)
        assert mpmath.almosteq(k.error, mpmath.sqrt(1 + mpf(9) / 16) * k.x[1], 1e-25)
        assert mpmath.almosteq(k.alpha_product, mpf(1) / 1000, 1e-28) and k.alpha_convention == "factor"


# --- JSON conventions ---------------------------------------------------------------------------------------------

def test_json_value_conventions():
    assert json_value(F(3)) == "3" and json_value(F(-3, 4)) == "-3/4" and json_value(F(0)) == "0"
    with mpmath.workdps(15):
        assert json_value(mpf(1) / 3) == "0.333333333333333"
    with mpmath.workdps(50):
        assert json_value(mpf(1) / 3) == "0." + "3" * 30
        assert json_value(mpf(1) / 3, digits=5) == "0.33333"
    assert json_value(0.25) == "0.25" and json_value(True) is True and json_value(None) is None
    assert json_value({1: F(1, 2)}) == {"1": "1/2"}
    assert json_value((F(1), [F(1, 2)])) == ["1", ["1/2"]]


# --- limit(): the closed-form family ----------------------------------------------------------------------------

@pytest.mark.parametrize("A,y,expected", [
    ([[1, "1/2", "1/2"]], [1], (F(1, 2), 2)),
    ([[1, 1]], [1], (F(1), 1)),          # the kink at eps = 0
    ([[1, 0]], [1], (F(0), 1)),
    ([[1, 1, 1]], [1], None),            # r = 1 with more than one copy: BP not unique, not the family
    ([[1, "1/2"]], [2], None),
    ([[2, 1]], [1], None),
    ([[1, "1/2", "1/3"]], [1], None),
    ([[1, "-1/2"]], [1], None),
    ([[1, "3/2"]], [1], None),
    ([[1, "1/2"], [0, 1]], [1, 1], None),
    ([[1]], [1], None),
])
def test_family_parameters(A, y, expected):
    assert family_parameters(Instance.from_lists(A, y)) == expected


def test_kink_asymptotic_constants_match_the_finite_alpha_limit():
    with mpmath.workdps(40):
        # p = 3: ||x_oo - x*|| / a -> sqrt(1 + (1-eps)^2) h_3(1 - eps); a = 1e-15: relative gap ~ a^(1/3) = 1e-5
        k = kink.kink_limit(F(1, 4), 3, F(1, 10 ** 15), alpha_convention="product", dps=40)
        assert abs(k.error / mpf("1e-15") / kink.limit_constant(F(1, 4), 3) - 1) < mpf("1e-3")
        # p = 2: error ~ sqrt(1 + (1-eps)^2) a^eps with a = alpha^2 (factor alpha = 1e-20)
        k2 = kink.kink_limit(F(1, 2), 2, F(1, 10 ** 20), dps=40)
        assert abs(k2.error / kink.p2_error_asymptotic(F(1, 2), F(1, 10 ** 20)) - 1) < mpf("1e-6")
        # transition_error is the kink error at eps = ratio * eps*(alpha), eps rounded to 30 digits
        es = kink.transition_scale(3, F(1, 100))
        want = kink.kink_limit(F(mpmath.nstr(2 * es, 30)), 3, F(1, 100)).error
        assert mpmath.almosteq(kink.transition_error(3, 2, F(1, 100)), want, 1e-25)
