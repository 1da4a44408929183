"""Direct tests of proofs/derivations/ms_d3.py and ms_d2.py for the ``deriv-ms-d3`` and ``deriv-ms-d2`` mutation
targets (split from tests/test_mut_proofs_derivations.py, whose helpers ``d2``, ``d3`` and closed forms they use): the
steps' names and claims, each SymPy step failing when one of its claims fails, the lemma checks at their slack edges
and with x* of full support. Expected values by hand (docstrings)."""
from __future__ import annotations

from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.proofs.derivations import ms_d3
from test_mut_proofs_derivations import DPS, d2, d3


# --- ms_d3 and ms_d2: the proofs' steps, each with its name, claim, kind and detail (the module docstrings' list) ----

def test_ms_d3_steps_name_their_claims():
    """steps((3,)): the four stated lemmas first (dual_norm, minimality, lower, limit: kind "lemma", each saying how
    it is checked), then the four SymPy steps at D = 3 (potential, boundary, blowup, blowup_n), all holding; the
    depth is printed exactly (5/2, not 2.5)."""
    lemmas = [
        ("dual_norm", "|<w_C, v_C>| <= rho_a ||v_C||_1 on ker A, rho_a = rho + K2 eps", "lemma",
         "as ms_d2 step 3; checked by check_on_limit"),
        ("minimality", "H_D(max_C |w_i|) <= sum_C H_D(w_i) <= n H_D(rho_a)", "lemma",
         "convexity + stationarity + extension; checked by check_on_limit"),
        ("lower", "||w_C||_inf >= rho - K2 eps, so ||x_C||_inf >= alpha h_D(rho - K2 eps)", "lemma",
         "v* from basis_pursuit.rho_constant; checked on computed limits by the verify suite"),
        ("limit", "(x_inf - x*)/alpha -> e_D", "lemma",
         "continuity of the argmin of a strictly convex function in the constraint; checked numerically"),
    ]

    def symbolic(D):
        return [("potential", f"H_D' = h_D, H_D even and convex (D = {D})", "sympy", ""),
                ("boundary", f"h_D(1 - t) t^(D/(D-2)) -> 1 as t -> 0+ (D = {D}): eps = O(alpha^((D-2)/D))", "sympy",
                 ""),
                ("blowup", f"h_D(rho)(1 - rho)^(D/(D-2)) -> 1 as rho -> 1- (D = {D})", "sympy", ""),
                ("blowup_n", f"h_D(M0)(1 - rho)^(D/(D-2)) -> n^(D/2) (D = {D})", "sympy", "")]

    got = ms_d3.steps((3,))
    assert [(st.name, st.claim, st.kind, st.detail) for st in got] == lemmas + symbolic(3)
    assert all(st.holds is True for st in got)
    from fractions import Fraction

    assert [st.claim for st in ms_d3.steps((Fraction(5, 2),))[4:]] == [c for _, c, _, _ in symbolic("5/2")]


def test_ms_d3_symbolic_depth_steps_are_the_blowups_at_d_plus_2(monkeypatch):
    """symbolic_depth_steps() is blowup and blowup_n at the symbolic depth D = 2 + d, d > 0 (recorded, not solved:
    the SymPy limits at symbolic D run in the thorough profile, tests/test_diagonal_theory.py)."""
    import sympy

    seen = []
    monkeypatch.setattr(ms_d3, "blowup", lambda D: seen.append(("blowup", D)) or "b")
    monkeypatch.setattr(ms_d3, "blowup_n", lambda D: seen.append(("blowup_n", D)) or "n")
    d = sympy.Symbol("d", positive=True)
    assert ms_d3.symbolic_depth_steps() == ["b", "n"]
    assert seen == [("blowup", 2 + d), ("blowup_n", 2 + d)]


def test_ms_d2_steps_name_their_claims():
    """steps(): the twelve steps in the order of the module's proof (1-7, 9, the spec constant, 10-12), each with its
    claim, its kind (SymPy, except the two stated lemmas and k1_limit's SymPy + lemma) and detail, all holding."""
    from implicitreg.proofs.derivations import ms_d2

    want = [
        ("link", "w_i = asinh(x_i/(2 alpha)) = log(|x_i|/alpha) + delta_i, 0 <= delta_i <= alpha^2/x_i^2", "sympy",
         ""),
        ("kernel", "<w, v> = <nu, A v> = 0 for v in ker A", "sympy", ""),
        ("dual_norm", "|<w_C, v_C>| <= (L rho + K1 K2) ||v_C||_1 on ker A (rho's definition + error identity)",
         "lemma", "checked on computed limits by check_on_limit (extension LP value <= M)"),
        ("extension", "some w' in w_C + P^perp has ||w'||_inf <= M (l1/l-inf duality)", "lemma",
         "finite-dimensional Hahn-Banach; checked on computed limits by an LP (check_on_limit)"),
        ("minimality", "w_C minimizes sum_C cosh over w_C + P^perp (convex, stationary at 0)", "sympy", ""),
        ("jensen", "sum_C 2 sinh|w_i| <= n 2 sinh M <= n e^M (g = 2 sinh(acosh(1 + u/2)) concave)", "sympy", ""),
        ("scale", "alpha e^(L rho + K1 K2) = e^(K1 K2) alpha^(1-rho)", "sympy", ""),
        ("coordinate", "max_C |w_j| <= M + log n", "sympy", ""),
        ("spec_constant", "n <= exp(n/e): the spec's exp(K1 K2 + n/e) is implied by n exp(K1 K2)", "sympy", ""),
        ("lower", "||x_C||_inf >= e^(-K1 K2) alpha^(1-rho) - alpha", "sympy", ""),
        ("k1_limit", "K1(alpha) <= K1* + log 2 + 4 alpha^2/m*^2 when ||x_S - x*_S||_inf <= m*/2; "
         "continuity in alpha keeps this for alpha <= alpha_0", "sympy+lemma", ""),
        ("rate", "log err / log alpha -> 1 - rho", "sympy", ""),
    ]
    got = ms_d2.steps()
    assert [(st.name, st.claim, st.kind, st.detail) for st in got] == want
    assert all(st.holds is True for st in got)


@pytest.mark.parametrize("D, at_half", [(3, "208/27"), (4, "32/9"), ("5/2", "7744/243")])
def test_ms_d3_link_is_h_d_at_hand_values(D, at_half):
    """_h(D, s) = (1 - s)^(-k) - (1 + s)^(-k), k = D/(D-2): at s = 1/2, 2^k - (2/3)^k (D = 3: 8 - 8/27; D = 4:
    4 - 4/9; D = 5/2, k = 5: 32 - 32/243), odd in s and 0 at 0."""
    import sympy

    D = sympy.Rational(D)
    assert sympy.nsimplify(ms_d3._h(D, sympy.Rational(1, 2))) == sympy.Rational(at_half)
    assert sympy.nsimplify(ms_d3._h(D, -sympy.Rational(1, 2))) == -sympy.Rational(at_half)
    assert ms_d3._h(D, sympy.Integer(0)) == 0


def test_ms_d3_blowup_steps_at_symbolic_depth():
    """At D = 2 + d (d > 0) the blow-up limit is 1 and the n off-support blow-up constant is n^(D/2): both steps hold
    with the depth printed as d + 2 (1-2 s of SymPy)."""
    import sympy

    d = sympy.Symbol("d", positive=True)
    b, bn = ms_d3.blowup(2 + d), ms_d3.blowup_n(2 + d)
    assert (b.name, b.claim, b.holds) == ("blowup", "h_D(rho)(1 - rho)^(D/(D-2)) -> 1 as rho -> 1- (D = d + 2)", True)
    assert (bn.name, bn.claim, bn.holds) == ("blowup_n", "h_D(M0)(1 - rho)^(D/(D-2)) -> n^(D/2) (D = d + 2)", True)


def test_ms_d3_check_includes_the_slack_boundary(monkeypatch):
    """Both conjuncts are non-strict up to their 1e-20 slack: n = 1 (M0 = rho_a exactly), the radius exactly
    rho_a (1 + 1e-20) holds; with H_D stubbed to the identity (h_sum = sum_C w_i, h_bound = n rho_a), a sum exactly
    rho_a (1 + 1e-20) holds, and one ulp-scale step (2e-20) above fails."""
    from implicitreg.numerics import potentials

    with mpmath.workdps(DPS):
        rho_a = mpmath.mpf("0.5")
        edge = rho_a * (1 + mpmath.mpf(10) ** -20)
        got = d3([mpmath.mpf(0)], edge, rho_a="0.5", n=1)
        assert got.M0 == rho_a and got.h_sum == 0 and got.holds is True
        monkeypatch.setattr(potentials, "dual_potential", lambda D, w: w)
        got = d3([edge], mpmath.mpf(0), rho_a="0.5", n=1)
        assert got.h_sum == edge and got.h_bound == rho_a and got.holds is True
        assert d3([rho_a * (1 + 2 * mpmath.mpf(10) ** -20)], mpmath.mpf(0), rho_a="0.5", n=1).holds is False


def test_ms_d2_check_with_full_support_has_nothing_off_the_support():
    """x* with full support (n = N - s = 0; A = I, S = {0, 1}): no LP is solved (min t over an empty w_C is
    unbounded, which used to raise ArithmeticError through verify --instance); the extension value, the cosh sum and
    its bound n cosh M and max|w_C| are 0, w_bound is M itself (no log n), and the check holds.
    L = 10, K1 = max(|11 - 10|, |12 - 10|) = 2, rho = K2 = 1/2: M = 5 + 1 = 6."""
    with mpmath.workdps(DPS):
        got = d2([[1, 0], [0, 1]], [1, 1], [0, 1], [11, 12], 10, "1/2", "1/2")
        assert abs(got.M - 6) < mpmath.mpf(10) ** -30
        assert got.extension_value == 0 and got.cosh_sum == 0 and got.cosh_bound == 0 and got.w_off == 0
        assert got.w_bound == got.M and got.holds is True


def test_ms_d2_check_includes_the_slack_boundary(monkeypatch):
    """The cosh and radius conjuncts are non-strict up to their 1e-20 slack. n = 1 (w_bound = M + log 1 = M),
    M = 1/4 + 1/4 = 1/2 as in test_ms_d2_radius_conjunct_alone: w_C exactly M (1 + 1e-20) holds. With cosh stubbed to
    the identity in ms_d2 (cosh_sum = w_C, cosh_bound = n M), the same w_C puts the cosh sum exactly on its slack
    edge: it holds, and 2e-20 above fails."""
    from types import ModuleType

    from implicitreg.proofs.derivations import ms_d2

    args = ([[1, "1/4"]], [1], [0])
    with mpmath.workdps(DPS):
        M = d2(*args, [mpmath.mpf("1.5"), 0], 1, "1/4", "1/2").M
        edge = M * (1 + mpmath.mpf(10) ** -20)
        got = d2(*args, [mpmath.mpf("1.5"), edge], 1, "1/4", "1/2")
        assert got.w_off == edge and got.w_bound == M and got.holds is True
        fake = ModuleType("mpmath_identity_cosh")
        fake.__dict__.update({k: getattr(mpmath, k) for k in dir(mpmath) if not k.startswith("__")})
        fake.cosh = lambda v: v
        monkeypatch.setattr(ms_d2, "mpmath", fake)
        got = d2(*args, [mpmath.mpf("1.5"), edge], 1, "1/4", "1/2")
        assert got.cosh_sum == edge and got.cosh_bound == M and got.holds is True
        over = M * (1 + 2 * mpmath.mpf(10) ** -20)
        assert d2(*args, [mpmath.mpf("1.5"), over], 1, "1/4", "1/2").holds is False


def test_ms_d2_extension_lp_with_negative_multipliers_on_three_rows():
    """A = [[1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 1, 1]], S = {0}: A_S^T mu = 0 leaves mu_2, mu_3 free, and w_C + A_C^T mu =
    (1 + mu_2, 1 + mu_3, 5 + mu_2 + mu_3) for w_C = (1, 1, 5). With a = 1 + mu_2, b = 1 + mu_3 the third entry is
    3 + a + b, so the minimum of the largest |entry| is 1 at a = b = -1 (mu_2 = mu_3 = -2: the multipliers are free,
    not nonnegative)."""
    with mpmath.workdps(DPS):
        got = d2([[1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 1, 1]], [1, 0, 0], [0], [10, 1, 1, 5], 10, "1/2", "1/2")
        assert abs(got.extension_value - 1.0) < 1e-9


def test_ms_d2_check_refuses_a_failed_extension_lp(monkeypatch):
    """A solver failure is an error naming the solver's message, not a verdict."""
    import scipy.optimize

    monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **k: SimpleNamespace(status=2, message="infeasible!"))
    with pytest.raises(ArithmeticError, match=r"^extension LP failed: infeasible!$"):
        d2([[1, "1/2", "1/3"]], [1], [0], [11, 0, 0], 10, "1/2", "1/2")


def _sympy_with(**wrong):
    """A stand-in for the sympy module in ms_d2 with some functions replaced (a wrong identity fed to one step)."""
    from types import ModuleType

    import sympy

    fake = ModuleType("sympy_with_wrong_functions")
    fake.__dict__.update({k: getattr(sympy, k) for k in dir(sympy) if not k.startswith("__")})
    fake.__dict__.update(wrong)
    return fake


def test_ms_d2_link_and_minimality_fail_when_their_identity_fails(monkeypatch):
    """link's identity asinh(t/(2a)) - log(t/a) = delta is decided with asinh: asinh doubled breaks it alone (the
    three inequality checks do not use asinh), and the step fails. minimality's convexity cosh'' = cosh is decided
    with cosh: cosh + w^3 breaks it alone (the stationarity identity uses no cosh), and the step fails."""
    import sympy

    from implicitreg.proofs.derivations import ms_d2

    assert ms_d2.link().holds and ms_d2.minimality().holds
    monkeypatch.setattr(ms_d2, "sympy", _sympy_with(asinh=lambda z: 2 * sympy.asinh(z),
                                                    cosh=lambda w: sympy.cosh(w) + w ** 3))
    assert ms_d2.link().holds is False
    assert ms_d2.minimality().holds is False


def test_ms_d2_jensen_coordinate_and_spec_constant_fail_when_one_claim_fails(monkeypatch):
    """Each step is the conjunction of its claims: one claim broken alone fails the step. cosh + w^3 breaks jensen's
    identity g(2 cosh w - 2) = 2 sinh w (its concavity, monotonicity and 2 sinh M <= e^M use no cosh) and
    coordinate's identity (its (n+1)/(2n) <= 1 uses no cosh); a solve() that finds no critical point breaks
    spec_constant's f'(e) = 0 claim alone (f(e) = 0 and f'' = 1/n^2 are decided without solve)."""
    import sympy

    from implicitreg.proofs.derivations import ms_d2

    assert ms_d2.jensen().holds and ms_d2.coordinate().holds and ms_d2.spec_constant().holds
    with monkeypatch.context() as m:
        m.setattr(ms_d2, "sympy", _sympy_with(cosh=lambda w: sympy.cosh(w) + w ** 3))
        assert ms_d2.jensen().holds is False and ms_d2.coordinate().holds is False
    with monkeypatch.context() as m:
        m.setattr(ms_d2, "sympy", _sympy_with(solve=lambda *a, **k: []))
        assert ms_d2.spec_constant().holds is False


def test_ms_d2_lower_and_k1_limit_fail_when_one_claim_fails(monkeypatch):
    """sinh + w breaks lower's identity e^u - 1 - 2 sinh u = e^-u - 1 alone (its scale identity uses no sinh); a log
    wrong at 3/2 only (log(3/2) + 1 > log 2) breaks k1_limit's first claim alone (log(1/2) + log 2 = 0 still holds)."""
    import sympy

    from implicitreg.proofs.derivations import ms_d2

    assert ms_d2.lower().holds and ms_d2.k1_limit().holds
    with monkeypatch.context() as m:
        m.setattr(ms_d2, "sympy", _sympy_with(sinh=lambda w: sympy.sinh(w) + w))
        assert ms_d2.lower().holds is False
    with monkeypatch.context() as m:
        m.setattr(ms_d2, "sympy", _sympy_with(log=lambda v: sympy.log(v) + (1 if v == sympy.Rational(3, 2) else 0)))
        assert ms_d2.k1_limit().holds is False
