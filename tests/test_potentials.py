"""Potentials h_p, H_p, q_p, g_p, G_p, Q_{p,alpha} and Lemma B (theory.potentials, numerics.selection, the proof)."""
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, strategies as st

from implicitreg.numerics.potentials import dual_potential, link, link_inverse
from implicitreg.numerics.selection import expansion_remainder, primal_potential, regularizer
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs.derivations import lemma_b
from implicitreg.theory import potentials as P
from strategies_wah import alphas_factor, depths

SPEC_C = {2: "2", Fraction(5, 2): "0.484375", 3: "0.875", 4: "1.5", 6: "2.5857864"}


@pytest.mark.parametrize("p", [2, Fraction(5, 2), 3, 4, 5])
def test_symbolic_identities(p):
    """H_p' = h_p, and the parametric q_p has dq/ds = t = h_p^{-1}(s)."""
    pr = sympy.Rational(p)
    assert sympy.simplify(sympy.diff(P.H(pr), P.s) - P.h(pr)) == 0
    s_t, q_t = P.q_parametric(pr)
    assert sympy.simplify(sympy.diff(q_t, P.t) / sympy.diff(s_t, P.t) - P.t) == 0


def test_q2_closed_form_derivative_is_asinh():
    assert sympy.simplify(sympy.diff(P.q_closed(), P.s) - sympy.asinh(P.s / 2)) == 0


@pytest.mark.parametrize("p", [2, Fraction(5, 2), 3, 4])
def test_sympy_and_mpmath_potentials_agree(p):
    f_h = sympy.lambdify(P.s, P.h(sympy.Rational(p)), "mpmath")
    f_H = sympy.lambdify(P.s, P.H(sympy.Rational(p)), "mpmath")
    with mpmath.workdps(40):
        for z in ("-0.9", "-0.3", "0.1", "0.75"):
            z = mpmath.mpf(z)
            assert abs(f_h(z) - link(p, z)) < mpmath.mpf(10) ** -35 * max(1, abs(f_h(z)))
            assert abs(f_H(z) - dual_potential(p, z)) < mpmath.mpf(10) ** -35 * max(1, abs(f_H(z)))


@pytest.mark.parametrize("p", [2, Fraction(5, 2), 3, 4])
def test_primal_potential_legendre_matches_quadrature(p):
    """q_p(s) = integral_0^s h_p^{-1} (the authors' definition) vs the Legendre form s t - H_p(t)."""
    with mpmath.workdps(30):
        for s in ("0.5", "3", "40"):
            s = mpmath.mpf(s)
            quad = mpmath.quad(lambda v: link_inverse(p, v), [0, s / 10, s])
            assert abs(primal_potential(p, s) - quad) < mpmath.mpf(10) ** -20 * max(1, quad)


def test_primal_potential_p2_closed_form():
    f = sympy.lambdify(P.s, P.q_closed(), "mpmath")
    with mpmath.workdps(40):
        for s in ("-7", "0.01", "5", "1e6"):
            assert abs(primal_potential(2, s) - f(mpmath.mpf(s))) < mpmath.mpf(10) ** -30 * max(1, abs(f(mpmath.mpf(s))))


def test_regularizer_is_separable_sum_and_conventions():
    x = [Fraction(1, 3), Fraction(-2), Fraction(0)]
    with mpmath.workdps(30):
        q_factor = regularizer(3, x, Fraction(1, 10), alpha_convention="factor")
        q_product = regularizer(3, x, Fraction(1, 1000), alpha_convention="product")
        assert abs(q_factor - q_product) < mpmath.mpf(10) ** -25
        a = mpmath.mpf(1) / 1000
        direct = mpmath.fsum(a * primal_potential(3, mpf_from(v) / a) for v in x)
        assert abs(q_factor - direct) < mpmath.mpf(10) ** -25


def test_G_and_analytic_centre_functional():
    xs = sympy.symbols("x1 x2", positive=True)
    assert sympy.simplify(P.G(2, xs) - sum(v * sympy.log(v) - v for v in xs)) == 0
    assert sympy.simplify(P.G(sympy.oo, xs) + sum(sympy.log(v) for v in xs)) == 0
    assert sympy.simplify(P.G(4, xs) - sum(v - 2 * sympy.sqrt(v) for v in xs)) == 0


@pytest.mark.parametrize("p", list(SPEC_C))
def test_lemma_b_constants_match_spec(p):
    C = sympy.N(P.lemma_b_constant(sympy.Rational(p)), 30)
    spec = SPEC_C[p]
    assert abs(C - sympy.Float(spec, 30)) <= sympy.Float(10) ** -(len(spec.split(".")[-1]))


@pytest.mark.parametrize("p", [2, Fraction(5, 2), 3, 4, 6, Fraction(13, 4)])
def test_lemma_b_proof_steps_hold(p):
    steps = lemma_b.steps(p)
    assert steps and all(s.holds for s in steps), [s for s in steps if not s.holds]


def test_lemma_b_proof_step_detects_a_wrong_constant():
    """The symbolic limit step compares with C_p; a constant off by 10% is not the limit."""
    u, r = P.lemma_b_remainder_parametric(3)
    e = sympy.Symbol("e", positive=True)
    lim = sympy.limit(r.subs(P.t, 1 - e), e, 0, "+")
    assert lim == P.lemma_b_constant(3)
    assert lim != sympy.Rational(11, 10) * P.lemma_b_constant(3)


@pytest.mark.parametrize("p", [2, Fraction(5, 2), 3, 4, 6])
def test_lemma_b_tightness_and_mutants(p):
    """C_p is approached (tight): some u has r_p(u) > 0.99 C_p, so 0.9 C_p is not a bound; r_p never exceeds
    C_p, and the supremum is not 1.1 C_p."""
    C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Rational(p)), 40)))
    u, r = lemma_b.tightness_witness(p, Fraction(99, 100))
    assert mpmath.mpf("0.99") * C < r <= C
    assert r > mpmath.mpf("0.9") * C  # the 0.9 C_p mutant fails
    assert abs(r - mpmath.mpf("1.1") * C) > mpmath.mpf("0.1") * C  # the 1.1 C_p "sup" mutant is far from sup r_p
    # independent path: the numerics module (link_inverse) gives the same remainder at the witness
    with mpmath.workdps(60):
        r_num = expansion_remainder(p, u, 1, alpha_convention="product")
    assert abs(r_num - r) < mpmath.mpf(10) ** -20


@given(p=depths(), alpha=alphas_factor(), logu=st.floats(-6, 25), sign=st.sampled_from((1, -1)))
def test_lemma_b_both_sides_property(p, alpha, logu, sign):
    """0 <= alpha^p q_p(x/alpha^p) - approx(x) <= C_p alpha^p for random x, alpha (per factor), real p."""
    with mpmath.workdps(80):
        ap = mpmath.power(mpf_from(alpha), mpf_from(p))
        x = sign * ap * mpmath.power(10, logu)
        rem = expansion_remainder(p, x, alpha, alpha_convention="factor")
        C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Rational(p)), 50)))
        slack = mpmath.mpf(10) ** -40 * max(1, abs(x))
        assert rem >= -slack
        assert rem <= C * ap + slack
        # a mutant constant 0.9 C_p fails somewhere: checked deterministically in the tightness test


def test_lemma_b_p2_next_term():
    """r_2(u) = 2 - 1/u + O(u^-2): the next term of Lemma B is -alpha^4/|x|."""
    assert lemma_b.next_term_p2().holds
    with mpmath.workdps(50):
        u = mpmath.mpf(10) ** 6
        assert abs((lemma_b.remainder(2, u) - 2) * u + 1) < mpmath.mpf(10) ** -4


def test_parameters_are_validated():
    from implicitreg.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        regularizer(1, [1], 1)
    with pytest.raises(InvalidParameterError):
        expansion_remainder(3, 1, 0)
    with pytest.raises(InvalidParameterError):
        regularizer(3, [1], 1, alpha_convention="per-layer")
    with pytest.raises(ValueError):
        P.lemma_b_remainder(3)


# Q_{2,alpha} and the approximation of Lemma B are also built at import time by the WAH statements (theory/selection.py);
# the tests below call them directly, with values derived by hand and an independent numeric path.

def test_Q2_known_value_and_separability():
    """q_2(3/2) = (3/2) log 2 - 1/2 (t = log 2: h_2(t) = 2 sinh t = 3/2, H_2(t) = 2 cosh t - 2 = 1/2, q = s t - H);
    q_2 is even and q_2(0) = 0, so Q_{2,a}(3a^2/2, -3a^2/2, 0) = a^2 (3 log 2 - 1) for every a."""
    q = sympy.Rational(3, 2) * sympy.log(2) - sympy.Rational(1, 2)
    a = sympy.Symbol("a", positive=True)
    for alpha in (sympy.Rational(1, 3), sympy.Integer(5), a):
        xs = [sympy.Rational(3, 2) * alpha ** 2, -sympy.Rational(3, 2) * alpha ** 2, sympy.Integer(0)]
        assert sympy.simplify((P.Q(2, xs, alpha_sym=alpha) - 2 * alpha ** 2 * q).rewrite(sympy.log)) == 0
    # default: the per-factor alpha of the statements
    from implicitreg.theory.statement import alpha

    assert sympy.simplify((P.Q(2, [sympy.Rational(3, 2) * alpha ** 2]) - alpha ** 2 * q).rewrite(sympy.log)) == 0


def test_Q2_gradient_is_the_inverse_link_and_matches_the_numeric_regularizer():
    """dQ/dx_i = h_2^{-1}(x_i / alpha^2) = asinh(x_i / (2 alpha^2)) (wah.md §2), and Q agrees with
    numerics.selection.regularizer (inverse link by Newton, not the closed form) at exact points."""
    x1, x2 = sympy.symbols("x1 x2", real=True)
    a = sympy.Symbol("a", positive=True)
    Q = P.Q(2, [x1, x2], alpha_sym=a)
    for xi in (x1, x2):
        assert sympy.simplify(sympy.diff(Q, xi) - sympy.asinh(xi / (2 * a ** 2))) == 0
    xs, alpha = [Fraction(1, 3), Fraction(-7, 2), Fraction(0)], Fraction(3, 5)
    with mpmath.workdps(40):
        numeric = regularizer(2, xs, alpha, alpha_convention="factor")
        symbolic = sympy.N(P.Q(2, [sympy.Rational(v) for v in xs], alpha_sym=sympy.Rational(alpha)), 40)
        assert abs(numeric - mpmath.mpf(str(symbolic))) < mpmath.mpf(10) ** -30


def test_Q_refuses_depths_without_a_closed_form():
    with pytest.raises(ValueError) as e:
        P.Q(3, [1])
    assert str(e.value) == "Q_{p,alpha} is elementary only for p = 2; evaluate it numerically for p > 2"
    assert P.Q(2.0, [0]) == 0  # p = 2 given as a float is the closed-form depth


def test_lemma_b_approximation_known_values():
    """By hand from Lemma B's statement (wah.md): p > 2: |x| - (p/2) alpha^(p-2) |x|^(2/p); p = 2:
    |x| log(1/alpha^2) + |x| log|x| - |x|."""
    R = sympy.Rational
    assert P.lemma_b_approximation(4, R(-9), alpha_sym=R(1, 2)) == R(15, 2)  # 9 - 2 (1/4) 3
    assert P.lemma_b_approximation(3, R(8), alpha_sym=R(1, 4)) == R(13, 2)  # 8 - (3/2) (1/4) 4
    e = sympy.E
    assert sympy.simplify(P.lemma_b_approximation(2, -e ** 3, alpha_sym=1 / e) - 4 * e ** 3) == 0  # 2e^3 + 3e^3 - e^3
    from implicitreg.theory.statement import alpha

    assert P.lemma_b_approximation(3, R(8)) == 8 - R(3, 2) * alpha * 4
    assert P.lemma_b_approximation(2, e) == e * sympy.log(alpha ** -2)


@pytest.mark.parametrize("p", [2, 3, 4])
def test_lemma_b_approximation_is_within_C_p_alpha_p(p):
    """Lemma B: 0 <= alpha^p q_p(x/alpha^p) - approx_p(x) <= C_p alpha^p, with q_p from the numeric inverse link
    (numerics.selection.primal_potential); a wrong constant or exponent in approx_p is off by ~alpha^(p-2) or more."""
    X, A = sympy.symbols("X A", positive=True)
    approx = sympy.lambdify((X, A), P.lemma_b_approximation(p, X, alpha_sym=A), "mpmath")
    C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(p), 30)))
    with mpmath.workdps(40):
        for x, alpha in (("1", "0.1"), ("0.25", "0.3"), ("30", "0.5")):
            x, alpha = mpmath.mpf(x), mpmath.mpf(alpha)
            ap = alpha ** p
            rem = ap * primal_potential(p, x / ap) - approx(x, alpha)
            assert -mpmath.mpf(10) ** -30 <= rem <= C * ap, (x, alpha, rem, C * ap)


def test_lemma_b_remainders_and_depth_errors_name_the_alternative():
    for call, message in ((lambda: P.lemma_b_remainder(3),
                           "r_p has a closed form only for p = 2; use lemma_b_remainder_parametric"),
                          (lambda: P.lemma_b_remainder_parametric(2), "use lemma_b_remainder for p = 2"),
                          (lambda: P.h(1), "depth must be >= 2, got 1")):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == message


def test_lemma_b_remainder_parametric_in_any_variable():
    y = sympy.Symbol("y", real=True)
    u, r = P.lemma_b_remainder_parametric(3, y)
    u_t, r_t = P.lemma_b_remainder_parametric(3)
    assert P.t not in (u + r).free_symbols and y in u.free_symbols
    assert sympy.simplify(u - u_t.subs(P.t, y)) == 0 and sympy.simplify(r - r_t.subs(P.t, y)) == 0


def test_G_infinity_spellings():
    xs = sympy.symbols("x1 x2", positive=True)
    centre = -sum(sympy.log(v) for v in xs)
    for p in (sympy.oo, float("inf"), "inf"):
        assert sympy.simplify(P.G(p, xs) - centre) == 0
