"""The tightness family [1, r, ..., r] in closed form: SymPy proves the limits of error / scale (theory/examples.py).

* D = 2:  ||x_inf - x*||_1 / alpha^(1-r) -> n (1 + r)   (n = N - 1; for A = [1, r]: 1 + r)
* D > 2:  ||x_inf - x*||_1 / alpha -> n (1 + r) h_D(r)

for symbolic r in (0, 1) and symbolic n; the numerics (closed form at 60 digits, and the engine's dual Newton as an
independent path) show the approach to these limits.
"""
from __future__ import annotations

import functools
from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.numerics.error_constants import row_family_limit
from implicitreg.theory import examples as ex
from implicitreg.theory.statement import alpha
from implicitreg.numerics.precision import mpf_from


@functools.lru_cache(maxsize=None)
def _proof(depth):
    return ex.prove_ratio_limit(ex.row_family(depth))


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_limit_proved(depth):
    pr = _proof(depth)
    assert pr.relation_residual == 0
    assert pr.identity_residual == 0
    assert pr.alpha_limit == 0
    assert pr.value_residual == 0
    assert pr.proved
    # alpha(z) is strictly decreasing (so alpha -> 0 exactly at the endpoint): d alpha/dz < 0 at sample points
    q = pr.alpha_derivative.subs({ex.r: sympy.Rational(1, 3), ex.n: 2})
    pts = [1, 5, 20] if depth == 2 else [sympy.Rational(1, 10), sympy.Rational(1, 2), sympy.Rational(99, 100)]
    assert all(q.subs(ex.z, v).evalf(30) < 0 for v in pts)


def test_proof_parts_against_hand_formulas():
    """D = 2: both brackets of ratio = n (1 + r) [2 sinh(r z) e^(-r z)] [alpha e^z]^r tend to 1; D = 3: the factor is
    h_3(r z) -> h_3(r), r = 1/(1 + q). In both, d alpha/dz = -(phi'(z) + n r^2 phi'(r z)) / (phi(z) + n r phi(r z))^2
    (written by hand here) and the proved value is n (1 + r) (times h_3(r))."""
    r, n, z, q = ex.r, ex.n, ex.z, ex.q
    h3 = lambda w: (1 - w) ** -3 - (1 + w) ** -3  # noqa: E731
    dh3 = lambda w: 3 * (1 - w) ** -4 + 3 * (1 + w) ** -4  # noqa: E731
    pr = _proof(2)
    assert pr.factor_limits == (1, 1)
    assert sympy.simplify(pr.value - n * (1 + r)) == 0
    den = 2 * sympy.sinh(z) + 2 * n * r * sympy.sinh(r * z)
    want = -(2 * sympy.cosh(z) + 2 * n * r ** 2 * sympy.cosh(r * z)) / den ** 2
    assert sympy.simplify(pr.alpha_derivative - want) == 0
    pr = _proof(3)
    (l1,) = pr.factor_limits
    assert sympy.simplify(l1 - h3(1 / (1 + q))) == 0
    assert sympy.simplify(pr.value - n * (1 + r) * h3(r)) == 0
    want = -(dh3(z) + n * r ** 2 * dh3(r * z)) / (h3(z) + n * r * h3(r * z)) ** 2
    assert sympy.simplify(pr.alpha_derivative - want) == 0


def test_a_equals_1_r_values():
    """n = 1: the spec's limits 1 + r (D = 2) and (1 + r) h_D(r) (D = 3)."""
    assert sympy.simplify(ex.row_family(2).expected_limit.subs(ex.n, 1) - (1 + ex.r)) == 0
    h3 = (1 - ex.r) ** -3 - (1 + ex.r) ** -3
    assert sympy.simplify(_proof(3).value.subs(ex.n, 1) - (1 + ex.r) * h3) == 0


@pytest.mark.slow
@pytest.mark.parametrize("depth", [sympy.Rational(5, 2), 5, 2 + ex.d])
def test_limit_proved_more_depths(depth):
    assert ex.prove_ratio_limit(ex.row_family(depth)).proved


def test_generic_relation_is_the_gf_limit():
    """The family's relation is A x = y for x = alpha phi(A^T nu) with A = [1, r, r] (n = 2), derived by matrices."""
    phi = sympy.Function("phi")
    nu = sympy.Symbol("nu")
    A = sympy.Matrix([[1, ex.r, ex.r]])
    x = (A.T * sympy.Matrix([nu])).applyfunc(lambda w: alpha * phi(w))
    lhs = (A * x)[0] - 1
    fam = ex.row_family(2, n_copies=2)
    generic = fam.generic["relation"].subs(ex.z, nu)
    assert sympy.simplify(lhs - generic) == 0


def test_wrong_limit_is_not_proved():
    """Mutants: a constant off by 10 % or the scale exponent off by 0.1 must not survive the proof."""
    fam = ex.row_family(2)
    wrong = ex.RowFamily(fam.depth, fam.n, fam.x_inf, fam.relation, fam.alpha_of_z, fam.error_l1, fam.scale,
                         fam.endpoint, sympy.Rational(11, 10) * fam.expected_limit, fam.generic)
    assert not ex.prove_ratio_limit(wrong).proved
    # exponent off by 0.1: error / alpha^(1 - r + 1/10) -> infinity (checked at r = 1/2, n = 1)
    ratio = (fam.error_l1 / fam.alpha_of_z ** (1 - ex.r + sympy.Rational(1, 10))).subs({ex.r: sympy.Rational(1, 2),
                                                                                          ex.n: 1})
    assert sympy.limit(ratio.rewrite(sympy.exp), ex.z, sympy.oo) == sympy.oo
    pr3 = _proof(3)  # D = 3: the proved value differs from a halved constant
    assert sympy.simplify(pr3.value - pr3.family.expected_limit / 2) != 0


@pytest.mark.parametrize("depth, r, n", [(2, Fraction(1, 2), 1), (2, Fraction(3, 5), 3), (3, Fraction(1, 2), 1),
                                         (Fraction(5, 2), Fraction(1, 3), 2), (4, Fraction(9, 10), 1)])
def test_numerics_approach_the_proved_limit(depth, r, n):
    """ratio(alpha) at 60 digits approaches the SymPy limit monotonically, to < 1e-6 at alpha = 1e-40."""
    expected = ex.row_family(depth).expected_limit.subs({ex.r: sympy.Rational(r), ex.n: n})
    with mpmath.workdps(60):
        lim = mpmath.mpf(sympy.N(expected, 70))
        devs = []
        for a in ("1e-10", "1e-20", "1e-30", "1e-40"):
            fam = row_family_limit(depth, r, n, a, dps=60)
            am = mpf_from(Fraction(a))
            scale = am ** (1 - mpf_from(r)) if depth == 2 else am
            devs.append(abs(fam.error_l1 / scale / lim - 1))
    assert all(devs[k + 1] < devs[k] for k in range(3))
    assert devs[-1] < mpmath.mpf(10) ** -6


@pytest.mark.parametrize("depth", [2, 3, Fraction(5, 2)])
def test_closed_form_agrees_with_the_engine(depth):
    """Independent paths: the scalar relation (bisection) and the engine's dual Newton agree to >= 30 digits."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.instance import Instance
    from implicitreg.numerics.precision import agreeing_digits

    inst = Instance.from_lists([[1, Fraction(2, 5), Fraction(2, 5), Fraction(2, 5)]], [1])
    for a in ("1e-5", "1e-35"):
        lim = gradient_flow_limit(inst, depth, a, digits=30)
        fam = row_family_limit(depth, Fraction(2, 5), 3, a, dps=lim.dps)
        with mpmath.workdps(lim.dps):
            assert agreeing_digits(lim.x, [fam.x1] + [fam.xj] * 3, lim.floor, cap=60) >= 30
        # the factor convention (u(0) = alpha) is a different limit: the check can fail
        wrong = gradient_flow_limit(inst, depth, a, alpha_convention="factor", digits=15)
        with mpmath.workdps(lim.dps):
            assert agreeing_digits(wrong.x, [fam.x1] + [fam.xj] * 3, lim.floor, cap=60) < 5


def test_family_bad_input():
    from implicitreg.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        row_family_limit(2, 1, 1, "1e-3")
    with pytest.raises(InvalidParameterError):
        row_family_limit(2, Fraction(1, 2), 1, "-1e-3")
    with pytest.raises(InvalidParameterError):
        row_family_limit(1, Fraction(1, 2), 1, "1e-3")
