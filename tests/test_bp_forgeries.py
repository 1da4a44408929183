"""Exact basis pursuit ``verify()``: one forged result per sub-check, each rejected by exactly that sub-check.

Every forgery keeps the claims checked before its target true (so the message names the target), and the checks
after it would accept it (so a dropped or weakened target check lets it through or changes the message): the
duality gap no longer rejects everything first.
"""
from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

import pytest

from implicitreg.errors import CertificateError
from implicitreg.numerics.basis_pursuit import RhoResult, l1_minimizer
from implicitreg.numerics.instance import Instance

F = Fraction
PAIR = Instance.from_lists([[1, 1]], [1], name="pair")                   # X_BP = segment, S = {0, 1}, rho = 0
ROW = Instance.from_lists([[1, F(1, 3)]], [1], name="row[1,1/3]")         # unique x* = (1, 0), rho = 1/3
ZERO = Instance.from_lists([[1, 0]], [1], name="row[1,0]")                # unique, rho = 0
FACE2 = Instance.from_lists([[1, 1, 1, 1, "0.3"], [0, 1, 2, 3, 1]], [1, 1], name="face2")  # 2-dim face, rho 3/10


@pytest.fixture(scope="module")
def results():
    out = {name: l1_minimizer(inst) for name, inst in (("pair", PAIR), ("row", ROW), ("zero", ZERO),
                                                        ("face2", FACE2))}
    for res in out.values():
        res.verify()   # the genuine results pass
    return out


def refused(message):
    """Rejected with exactly this message: the message names the one sub-check that must reject the forgery."""
    return pytest.raises(CertificateError, match="^" + re.escape(message) + "$")


def forged(res, **changes):
    return dataclasses.replace(res, **changes)


def test_the_boundary_cases_pass(results):
    """rho = 0, |(A^T lambda)_j| = 1 on S and rho attained exactly off S are all legitimate."""
    assert results["zero"].rho == 0 and results["pair"].rho == 0
    assert results["row"].rho == F(1, 3) and results["face2"].rho == F(3, 10)


def test_shapes(results):
    with refused('shapes of x or lambda do not match A'):
        forged(results["row"], x=(F(1), F(0), F(0))).verify()
    with refused('shapes of x or lambda do not match A'):
        forged(results["row"], certificate=(F(1), F(0))).verify()


def test_primal_feasibility(results):
    # ||x||_1 = value still holds: only A x = y is wrong
    with refused('primal infeasible: A x != y'):
        forged(results["row"], x=(F(0), F(1))).verify()


def test_objective_value(results):
    with refused('||x||_1 != value'):
        forged(results["row"], value=F(2)).verify()


def test_dual_feasibility_alone(results):
    """lambda + t w with <y, w> = 0: no duality gap, but ||A^T lambda||_inf = 1 + t > 1."""
    res = results["face2"]
    lam = (res.certificate[0] + F(1, 10), res.certificate[1] - F(1, 10))
    with refused('dual infeasible: ||A^T lambda||_inf > 1'):
        forged(res, certificate=lam).verify()


def test_duality_gap_alone(results):
    """A dual-feasible lambda (||A^T lambda||_inf = 1/2) with <y, lambda> = 1/2 != value."""
    with refused('duality gap: <y, lambda> != ||x||_1'):
        forged(results["row"], certificate=(F(1, 2),)).verify()


def test_signs_on_the_support(results):
    """sigma flipped on S while lambda stays optimal: (A^T lambda)_S = (1, 1) != (1, -1)."""
    res = results["pair"]
    face = dataclasses.replace(res.face, signs=(1, -1))
    with refused('(A^T lambda)_S != sigma'):
        forged(res, signs=(1, -1), face=face).verify()


def test_strict_complementarity_off_the_support(results):
    """S = {0} claimed on [1, 1]: (A^T lambda)_1 = 1 exactly, so lambda is not strict off S."""
    res = results["pair"]
    with refused('lambda is not strict off S'):
        forged(res, support=(0,), signs=(1,)).verify()


def test_x_in_the_face(results):
    res = results["pair"]
    face = dataclasses.replace(res.face, y=(F(2),))
    with refused('x is not in the face description'):
        forged(res, face=face).verify()


def test_face_point_nonzero_on_the_support(results):
    res = results["pair"]
    face = dataclasses.replace(res.face, point=(F(1), F(0)))     # a vertex: in the face but zero on S
    with refused('face.point is not a minimizer nonzero on all of S (S not maximal)'):
        forged(res, face=face).verify()


def test_face_dimension(results):
    res = results["pair"]
    with refused('face dimension != dim ker A_S'):
        forged(res, face=dataclasses.replace(res.face, dimension=2)).verify()
    with refused('face dimension != dim ker A_S'):
        forged(res, face=dataclasses.replace(res.face, directions=())).verify()


def test_face_direction_in_the_kernel(results):
    res = results["pair"]
    with refused('a face direction is not in ker A_S'):
        forged(res, face=dataclasses.replace(res.face, directions=((F(1), F(1)),))).verify()


def test_face_directions_independent(results):
    res = results["face2"]
    d = res.face.directions[0]
    with refused('face directions are dependent'):
        forged(res, face=dataclasses.replace(res.face, directions=(d, tuple(2 * v for v in d)))).verify()


def test_uniqueness_flag_alone(results):
    """Non-unique face (dim 1) claimed unique; every other claim true."""
    with refused('uniqueness flag disagrees with dim ker A_S'):
        forged(results["pair"], unique=True).verify()
    with refused('uniqueness flag disagrees with dim ker A_S'):
        forged(results["row"], unique=False).verify()


def test_x_a_vertex(results):
    res = results["pair"]
    with refused('x is not a vertex of X_BP (its columns are dependent)'):
        forged(res, x=(F(1, 2), F(1, 2))).verify()


def test_listed_vertices_are_vertices(results):
    res = results["pair"]
    face = dataclasses.replace(res.face, vertices=res.face.vertices + ((F(1, 2), F(1, 2)),))
    with refused('a listed face vertex is not a vertex of X_BP'):
        forged(res, face=face).verify()
    face = dataclasses.replace(res.face, vertices=((F(2), F(-1)),))  # feasible, outside the face
    with refused('a listed face vertex is not a vertex of X_BP'):
        forged(res, face=face).verify()


@pytest.mark.parametrize("rho", [F(1), F(3, 2), F(-1, 10)])
def test_rho_range(results, rho):
    with refused('rho must lie in [0, 1) for the maximal support'):
        forged(results["row"], rho=rho, rho_certificate=None).verify()


def test_rho_optimality_without_a_rho_certificate(results):
    """rho below ||A_{S^c}^T lambda||_inf = 1/3: only the rho-optimality check sees it."""
    with refused('lambda is not rho-optimal off S'):
        forged(results["row"], rho=F(1, 4), rho_certificate=None).verify()
    forged(results["row"], rho=F(1, 2), rho_certificate=None).verify()   # an upper bound on rho is not rejected


def test_rho_certificate_value(results):
    with refused('rho certificate value != rho'):
        forged(results["row"], rho=F(1, 4)).verify()


def _rho_forgery(res, **changes):
    cert = dataclasses.replace(res.rho_certificate, **changes)
    return forged(res, rho=cert.value, rho_certificate=cert)


def test_rho_certificate_lambda_on_the_support(results):
    with refused('rho: A_S^T lambda != sigma'):
        _rho_forgery(results["row"], lam=(F(2),)).verify()


def test_rho_certificate_primal_value(results):
    # value 1/4 < ||A_C^T lam|| = 1/3 (and below the main certificate's 1/3 too, which is checked after)
    with refused('rho: ||A_{S^c}^T lambda||_inf != rho'):
        _rho_forgery(results["row"], value=F(1, 4)).verify()


def test_rho_certificate_v_in_the_kernel(results):
    with refused('rho: v is not in ker A'):
        _rho_forgery(results["row"], v=(F(1, 3), F(-1, 2))).verify()


def test_rho_certificate_dual_value(results):
    with refused('rho: <sigma, v_S> != rho'):
        _rho_forgery(results["row"], v=(F(-1, 3), F(1))).verify()


def test_rho_certificate_normalisation(results):
    """rho = 0 with v = (0, 2): in ker A and <sigma, v_S> = 0 = rho, but ||v_{S^c}||_1 = 2."""
    with refused('rho: ||v_{S^c}||_1 must be 1 (or v = 0 with rho = 0)'):
        _rho_forgery(results["zero"], v=(F(0), F(2))).verify()


# --- the exact LP's own proof (numerics/lp_exact._prove_lp): each check alone -----------------------------------------

def test_exact_lp_proof_each_check_alone():
    """min z0 + 2 z1 + 3 z2 on z0 + z1 + z2 = 1, z >= 0: z = e_0, y = 1, value 1 (dual tight on column 0)."""
    from implicitreg.errors import ConvergenceError
    from implicitreg.numerics.lp_exact import _prove_lp

    c, M, b = [F(1), F(2), F(3)], [[F(1), F(1), F(1)]], [F(1)]
    _prove_lp(c, M, b, [F(1), F(0), F(0)], [F(1)], F(1))
    _prove_lp([F(0), F(1)], [], [], [F(0), F(0)], [], F(0))            # no constraints: y empty, M^T y = 0 <= c
    for z, y, value, words in (
            ([F(2), F(-1), F(0)], [F(1)], F(0), "z has a negative entry"),    # M z = b holds
            ([F(1, 2), F(0), F(0)], [F(1, 2)], F(1, 2), "M z != b"),          # dual feasible, no gap
            ([F(1), F(0), F(0)], [F(2)], F(2), "the dual is infeasible"),     # <b, y> = value: no gap
            ([F(1), F(0), F(0)], [F(1, 2)], F(1), "nonzero duality gap")):    # y feasible (1/2 <= c)
        with pytest.raises(ConvergenceError, match="^exact LP check failed: " + re.escape(words) + "$"):
            _prove_lp(c, M, b, z, y, value)
    with pytest.raises(ConvergenceError, match="the dual is infeasible"):
        _prove_lp([F(0), F(-1)], [], [], [F(0), F(0)], [], F(0))


def test_face_membership_is_exact(results):
    """X_BP of [[1, 1]], y = 1: {x : x0 + x1 = 1, x0, x1 >= 0} (S = {0, 1}, sigma = (1, 1))."""
    face = results["pair"].face
    assert face.contains((F(1, 3), F(2, 3))) and face.contains((F(1), F(0))) and face.contains([1, 0])
    assert not face.contains((F(1),))                          # wrong length
    assert not face.contains((F(1), F(0), F(0)))
    assert not face.contains((F(3, 2), F(-1, 2)))              # A x = y but the sign on S is wrong
    assert not face.contains((F(1, 3), F(1, 3)))               # right signs, A x != y
    row = results["row"].face                                  # S = {0}: x1 must vanish
    assert row.contains((F(1), F(0)))
    assert not row.contains((F(2, 3), F(1)))                   # A x = y, but nonzero off S
    assert not row.contains((F(-1), F(6)))


def test_the_zero_solution_passes():
    """y = 0: x* = 0, S empty, unique; verify() must accept it (the empty support has no kernel, k = 0)."""
    res = l1_minimizer(Instance.from_lists([[1, 1], [0, 1]], [0, 0], name="zero-rhs"))
    assert res.x == (0, 0) and res.support == () and res.unique and res.face.dimension == 0
    res.verify()
