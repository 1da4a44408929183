"""The pieces of theory/examples.py one at a time, against formulas written here by hand (dln.md §5):

A = [1, r, ..., r] (n copies of r), y = 1: x_inf = alpha (phi(z), phi(r z), ...), the relation
alpha (phi(z) + n r phi(r z)) = 1, alpha(z) = 1 / (phi(z) + n r phi(r z)), ||x_inf - x*||_1 = n (1 + r) alpha phi(r z);
scale alpha^(1-r) and limit n (1 + r) at z -> oo for D = 2 (phi = 2 sinh), scale alpha and limit n (1 + r) h_D(r) at
z -> 1- for D > 2 (phi = h_D). And ``LimitProof.proved`` fails when any one of its parts fails.
"""
from __future__ import annotations

import dataclasses

import sympy

from implicitreg.theory import examples as ex
from implicitreg.theory.statement import alpha

r, n, z, q = ex.r, ex.n, ex.z, ex.q


def _same(a, b) -> bool:
    return sympy.simplify(a - b) == 0


def _h3(w):
    return (1 - w) ** -3 - (1 + w) ** -3


def _check_family(fam, phi, copies, scale_power, endpoint, expected):
    a_z = 1 / (phi(z) + copies * r * phi(r * z))
    assert _same(fam.x_inf[0], alpha * phi(z)) and _same(fam.x_inf[1], alpha * phi(r * z))
    assert _same(fam.relation, alpha * (phi(z) + copies * r * phi(r * z)) - 1)
    assert _same(fam.alpha_of_z, a_z)
    assert _same(fam.error_l1, copies * (1 + r) * a_z * phi(r * z))
    assert _same(fam.scale, a_z ** scale_power)
    assert fam.endpoint == endpoint and _same(fam.expected_limit, expected)
    assert _same(fam.ratio, fam.error_l1 / fam.scale)
    f = sympy.Function("phi")
    assert _same(fam.generic["relation"], alpha * f(z) + copies * r * alpha * f(r * z) - 1)
    assert _same(fam.generic["alpha_of_z"], 1 / (f(z) + copies * r * f(r * z)))
    assert fam.n == copies


def test_depth_two_family():
    _check_family(ex.row_family(2), lambda w: 2 * sympy.sinh(w), n, 1 - r, sympy.oo, n * (1 + r))
    _check_family(ex.row_family(2, n_copies=3), lambda w: 2 * sympy.sinh(w), 3, 1 - r, sympy.oo, 3 * (1 + r))


def test_depth_three_family():
    fam = ex.row_family(3)
    assert fam.depth == 3
    _check_family(fam, _h3, n, 1, 1, n * (1 + r) * _h3(r))
    assert ex.row_family("3.0").depth == 3 and ex.row_family(sympy.Rational(5, 2)).depth == sympy.Rational(5, 2)


def test_substitution_gives_the_open_unit_interval():
    assert ex._sub_r(r ** 2 + n) == (1 / (1 + q)) ** 2 + n
    assert ex.R_OF_Q == 1 / (1 + q)


def _proof_like(**changes):
    fields = dict(family=None, relation_residual=sympy.Integer(0), identity_residual=sympy.Integer(0),
                  factor_limits=(sympy.Integer(1), sympy.Rational(1, 2)), alpha_limit=sympy.Integer(0),
                  alpha_derivative=-z, value=n, value_residual=sympy.Integer(0))
    fields.update(changes)
    return ex.LimitProof(**fields)


def test_a_proof_holds_only_when_every_part_does():
    assert _proof_like().proved
    for bad in (dict(relation_residual=r), dict(identity_residual=sympy.Integer(1)), dict(value_residual=-r),
                dict(alpha_limit=sympy.Rational(1, 10)), dict(factor_limits=(sympy.Integer(1), sympy.oo)),
                dict(factor_limits=(-sympy.oo,))):
        assert not _proof_like(**bad).proved, bad


def test_alpha_limit_is_taken_from_below_one_for_deeper_networks():
    """For D > 2 the endpoint is z -> 1 from below (alpha(z) is defined for 0 < z < 1 only): a stand-in alpha(z) =
    exp(1/(z - 1)) tends to 0 from the left and to oo from the right, so a limit taken from the wrong side shows."""
    fam = dataclasses.replace(ex.row_family(4), alpha_of_z=sympy.exp(1 / (z - 1)))
    proof = ex.prove_ratio_limit(fam)
    assert proof.alpha_limit == 0
    assert sympy.limit(sympy.exp(1 / (z - 1)), z, 1, "+") == sympy.oo  # the other side really differs


def test_depth_two_value_is_the_product_of_the_bracket_limits():
    """D = 2: value = n (1 + r) l1 l2^r with l1 = lim 2 sinh(rz) e^(-rz) = 1 and l2 = lim alpha(z) e^z; a stand-in
    alpha(z) = 2 e^(-z) has l2 = 2, so the value is n (1 + r) 2^r (by hand), not n (1 + r) 2^(-r)."""
    fam = dataclasses.replace(ex.row_family(2), alpha_of_z=2 * sympy.exp(-z))
    proof = ex.prove_ratio_limit(fam)
    assert proof.factor_limits == (1, 2)
    assert _same(proof.value, n * (1 + r) * 2 ** r)


def test_row_family_defaults_to_depth_two_with_n_symbolic_copies():
    fam = ex.row_family()
    assert fam.depth == 2 and fam.endpoint == sympy.oo and fam.n == n
