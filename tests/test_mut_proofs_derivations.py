"""Direct tests of the numerical lemma checks of proofs/derivations (ms_d3, ms_d2, lemma_b), written for the
``deriv-*`` mutation targets: each conjunct of a check failing alone, the rounding slack on both sides of its exact
size, every result field against a closed form computed here. Closed forms used (dln.md §4, wah.md §5):
D = 4: H_4(w) = 2 w^2 / (1 - w^2), h_4(w) = 4 w / (1 - w^2)^2, so H_4^{-1}(v) = sqrt(v / (2 + v)).
"""
from __future__ import annotations

from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.proofs.derivations import ms_d3

DPS = 40


def H4(w):
    return 2 * w ** 2 / (1 - w ** 2)


def h4(w):
    return 4 * w / (1 - w ** 2) ** 2


def H4_inverse(v):
    return mpmath.sqrt(v / (2 + v))


def bisect(f, lo, hi, steps=200):
    """The root of an increasing f on [lo, hi]."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def d3(z_off, w_off, rho_a="0.5", n=2):
    limit = SimpleNamespace(z=[mpmath.mpf(1)] + list(z_off))
    sc = SimpleNamespace(complement=tuple(range(1, n + 1)), n=n)
    pc = SimpleNamespace(rho_a=mpmath.mpf(rho_a), w_off=w_off)
    return ms_d3._check(limit, sc, 4, pc)


def test_ms_d3_check_fields_equal_the_closed_forms_at_depth_4():
    with mpmath.workdps(DPS):
        rho_a = mpmath.mpf("0.5")
        z = [mpmath.mpf("0.3"), mpmath.mpf("-0.2")]
        got = d3(z, mpmath.mpf("0.3"))
        M0 = H4_inverse(2 * H4(rho_a))                                    # sqrt(2/5)
        assert abs(M0 - mpmath.sqrt(mpmath.mpf(2) / 5)) < mpmath.mpf(10) ** -35
        spec = bisect(lambda M: (M - rho_a) * h4(M) - 2 * rho_a * h4(rho_a), rho_a, mpmath.mpf(1) - 10 ** -30)
        tol = mpmath.mpf(10) ** -30
        assert got.rho_a == rho_a and got.w_off == mpmath.mpf("0.3")
        assert abs(got.h_sum - (H4(z[0]) + H4(z[1]))) < tol
        assert abs(got.h_bound - 2 * H4(rho_a)) < tol and abs(got.h_bound - mpmath.mpf(4) / 3) < tol
        assert abs(got.M0 - M0) < tol
        assert abs(got.M0_spec - spec) < mpmath.mpf(10) ** -25 and got.M0_spec > got.M0
        assert got.holds is True


@pytest.mark.parametrize("excess, holds", [(0, True), ("5e-21", True), ("2e-20", False), ("1e-6", False)])
def test_ms_d3_sum_conjunct_alone_with_its_1e_minus_20_slack(excess, holds):
    """sum_C H_D(w_i) <= n H_D(rho_a) (1 + 1e-20), with max|w_C| well inside M0: only the first conjunct decides."""
    with mpmath.workdps(DPS):
        target = 2 * H4(mpmath.mpf("0.5")) * (1 + mpmath.mpf(excess))
        w = H4_inverse(target / 2)                            # two equal off-support entries
        got = d3([w, -w], mpmath.mpf("0.1"))
        assert abs(got.h_sum / got.h_bound - 1 - mpmath.mpf(excess)) < mpmath.mpf(10) ** -30
        assert got.holds is holds


@pytest.mark.parametrize("excess, holds", [(0, True), ("5e-21", True), ("2e-20", False), ("1e-6", False)])
def test_ms_d3_radius_conjunct_alone_with_its_1e_minus_20_slack(excess, holds):
    """max_C |w_i| <= M0 (1 + 1e-20), with the H_D sum 0: only the second conjunct decides."""
    with mpmath.workdps(DPS):
        M0 = mpmath.sqrt(mpmath.mpf(2) / 5)
        got = d3([mpmath.mpf(0), mpmath.mpf(0)], M0 * (1 + mpmath.mpf(excess)))
        assert got.h_sum == 0
        assert got.holds is holds


def test_ms_d3_n_1_attains_the_bound_and_m0_is_rho_a():
    with mpmath.workdps(DPS):
        got = d3([mpmath.mpf("0.5")], mpmath.mpf("0.5"), n=1)
        assert got.M0 == mpmath.mpf("0.5") and got.h_sum == got.h_bound and got.holds is True


# --- ms_d2: steps 3-5 and 9 on a limit; M = L rho + K1 K2, the LP value <= M (+1e-9 relative), sum cosh <= n cosh M
# and max|w_C| <= M + log n (each up to 1e-20 relative) ---------------------------------------------------------

def d2(A, y, S, z, L, rho, K2):
    """_check_on_limit on a stated limit: alpha_product = e^(-L), w = z, support S (signs +1)."""
    from fractions import Fraction

    from implicitreg.numerics.instance import Instance
    from implicitreg.proofs.derivations import ms_d2

    inst = Instance.from_lists(A, y)
    C = tuple(j for j in range(len(A[0])) if j not in S)
    sc = SimpleNamespace(support=tuple(S), complement=C, signs=(1,) * len(S), n=len(C), rho=Fraction(rho),
                         K2=Fraction(K2))
    limit = SimpleNamespace(dps=DPS, alpha_product=mpmath.exp(-mpmath.mpf(L)), z=[mpmath.mpf(v) for v in z])
    with mpmath.workdps(DPS):
        return ms_d2._check_on_limit(inst, limit, sc)


def test_ms_d2_check_fields():
    """A = [[1, 0, 0], [0, 1, 1]]: S = {0}, C = {1, 2}, A_S^T mu = 0 leaves mu_2 free, so the extension LP's value
    is min_mu2 max(|w_1 + mu2|, |w_2 + mu2|) = |w_1 - w_2| / 2. L = 10, K1 = |w_0 - L| = 1, rho = K2 = 1/2: M = 5.5."""
    with mpmath.workdps(DPS):
        got = d2([[1, 0, 0], [0, 1, 1]], [1, 0], [0], [11, 3, -1], 10, "1/2", "1/2")
        M = mpmath.mpf("5.5")
        assert abs(got.M - M) < mpmath.mpf(10) ** -30
        assert abs(got.extension_value - 2.0) < 1e-9
        assert abs(got.cosh_sum - (mpmath.cosh(3) + mpmath.cosh(1))) < mpmath.mpf(10) ** -30
        assert abs(got.cosh_bound - 2 * mpmath.cosh(M)) < mpmath.mpf(10) ** -30
        assert got.w_off == 3 and abs(got.w_bound - (M + mpmath.log(2))) < mpmath.mpf(10) ** -30
        assert got.holds is True


@pytest.mark.parametrize("excess, holds", [(0, True), ("5e-21", True), ("2e-20", False)])
def test_ms_d2_cosh_conjunct_alone(excess, holds):
    """w_1 = w_2 = a (the LP value 0) with cosh a = cosh M (1 + excess); a < M + log 2, so only the cosh sum decides."""
    with mpmath.workdps(DPS):
        M = mpmath.mpf("5.5")
        a = mpmath.acosh(mpmath.cosh(M) * (1 + mpmath.mpf(excess)))
        got = d2([[1, 0, 0], [0, 1, 1]], [1, 0], [0], [11, a, a], 10, "1/2", "1/2")
        assert got.extension_value < 1e-6 and got.w_off < got.w_bound
        assert got.holds is holds


@pytest.mark.parametrize("excess, holds", [(0, True), ("5e-21", True), ("2e-20", False)])
def test_ms_d2_radius_conjunct_alone(excess, holds):
    """n = 1 and M = 1/4 + 1/4 = 1/2 (L = 1, K1 = 1/2, rho = 1/4, K2 = 1/2): w_C = M (1 + excess). cosh grows by only
    tanh(M) M excess < excess relative, so the cosh sum stays inside its slack and the LP inside 1e-9: only
    max|w_C| <= M + log 1 decides."""
    with mpmath.workdps(DPS):
        M = mpmath.mpf("0.5")
        w = M * (1 + mpmath.mpf(excess))
        got = d2([[1, "1/4"]], [1], [0], [mpmath.mpf("1.5"), w], 1, "1/4", "1/2")
        assert abs(got.M - M) < mpmath.mpf(10) ** -35 and got.w_bound == got.M
        assert got.cosh_sum <= got.cosh_bound * (1 + mpmath.mpf(10) ** -20)
        assert got.holds is holds


@pytest.mark.parametrize("M_text, L, K1, excess, holds", [
    ("5.5", 10, 1, "0.5e-9", True), ("5.5", 10, 1, "2e-9", False),      # tol = 1e-9 M when M >= 1
    ("0.5", 1, "0.5", "1e-9", True), ("0.5", 1, "0.5", "1.5e-9", False),  # tol = 1e-9 absolute when M < 1
])
def test_ms_d2_extension_lp_conjunct_alone(M_text, L, K1, excess, holds):
    """A = [[1, 1/2, 1/3]], S = {0}: A_S^T mu = 0 forces mu = 0, so the LP value is max|w_C|. w_C = (M + e, 0):
    max|w_C| stays below M + log 2 and cosh(M + e) + 1 below 2 cosh M, so only the LP conjunct decides."""
    with mpmath.workdps(DPS):
        M = mpmath.mpf(M_text)
        rho = "1/2" if L == 10 else "1/4"
        e = mpmath.mpf(excess) * max(1, M)
        got = d2([[1, "1/2", "1/3"]], [1], [0], [L + mpmath.mpf(K1), M + e, 0], L, rho, "1/2")
        assert abs(got.M - M) < mpmath.mpf(10) ** -30
        assert abs(got.extension_value - float(M + e)) < 1e-12
        assert got.w_off <= got.w_bound and got.cosh_sum <= got.cosh_bound
        assert got.holds is holds


# --- lemma_b: the remainder r_p(u) by its own inversion, against the numerics module's primal potential ----------

@pytest.mark.parametrize("p", [2, "5/2", 3, 4])
@pytest.mark.parametrize("u", ["1e-3", "0.5", "3", "1e4", "-7"])
def test_lemma_b_remainder_agrees_with_the_numeric_primal_potential(p, u):
    """r_p(u) = q_p(u) - approx(u) with alpha = 1; numerics.selection.expansion_remainder inverts the link with
    its own solver, so the two paths are independent; r_p is even (``even`` step) and lies in [0, C_p]."""
    from fractions import Fraction

    import sympy

    from implicitreg.numerics.selection import expansion_remainder
    from implicitreg.proofs.derivations import lemma_b
    from implicitreg.theory import potentials as P

    D = Fraction(p)
    with mpmath.workdps(50):
        ours = lemma_b.remainder(D, mpmath.mpf(u), dps=40)
        ref = expansion_remainder(D, mpmath.mpf(u), 1, alpha_convention="product")
        C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Rational(D)), 45)))
        assert abs(ours - ref) < mpmath.mpf(10) ** -30 * max(1, abs(ref))
        assert 0 < ours < C


def test_lemma_b_remainder_at_zero_and_its_precision():
    from fractions import Fraction

    from implicitreg.proofs.derivations import lemma_b

    assert lemma_b.remainder(2, 0) == 0 and lemma_b.remainder(3, 0) == 0
    with mpmath.workdps(80):
        hi = lemma_b.remainder(Fraction(5, 2), mpmath.mpf(100), dps=60)
        lo = lemma_b.remainder(Fraction(5, 2), mpmath.mpf(100), dps=20)
        assert 0 < abs(hi - lo) < mpmath.mpf(10) ** -19 * hi   # 20 digits asked, 20 delivered, not 60
        assert abs(hi - lemma_b.remainder(Fraction(5, 2), mpmath.mpf(100), dps=50)) < mpmath.mpf(10) ** -49 * hi


@pytest.mark.parametrize("p", [2, 3])
def test_lemma_b_witness_is_a_true_remainder_just_above_the_fraction(p):
    """tightness_witness returns (u, r_p(u)) with r_p(u) > fraction C_p: r re-computed by ``remainder`` at u."""
    from fractions import Fraction

    import sympy

    from implicitreg.proofs.derivations import lemma_b
    from implicitreg.theory import potentials as P

    C = mpmath.mpf(str(sympy.N(P.lemma_b_constant(sympy.Integer(p)), 50)))
    for fraction in (Fraction(1, 2), Fraction(9, 10)):
        u, r = lemma_b.tightness_witness(p, fraction)
        with mpmath.workdps(50):
            assert abs(r - lemma_b.remainder(p, u)) < mpmath.mpf(10) ** -30
        assert fraction * C < r < C


# --- the SymPy steps can fail: each fed a wrong potential (one conjunct at a time where the step has several) ------

def _patched(monkeypatch, name, wrap):
    from implicitreg.theory import potentials as P

    orig = getattr(P, name)
    monkeypatch.setattr(P, name, lambda *a: wrap(orig, *a))


@pytest.mark.parametrize("case", ["H' = h", "H even", "h' = hp"])
def test_ms_d3_potential_step_fails_when_one_of_its_three_claims_fails(monkeypatch, case):
    """H + s^2 breaks only H' = h; (H + s, h + 1) breaks only evenness; (H + s^2, h + 2 s) breaks only h' = hp."""
    assert ms_d3.potential(3).holds
    if case == "H' = h":
        _patched(monkeypatch, "H", lambda f, D, s: f(D, s) + s ** 2)
    elif case == "H even":
        _patched(monkeypatch, "H", lambda f, D, s: f(D, s) + s)
        _patched(monkeypatch, "h", lambda f, D, s: f(D, s) + 1)
    else:
        _patched(monkeypatch, "H", lambda f, D, s: f(D, s) + s ** 2)
        _patched(monkeypatch, "h", lambda f, D, s: f(D, s) + 2 * s)
    assert ms_d3.potential(3).holds is False


def test_ms_d3_boundary_and_blowup_fail_for_a_wrong_link(monkeypatch):
    assert ms_d3.boundary(3).holds and ms_d3.blowup(3).holds and ms_d3.blowup(4).holds
    orig = ms_d3._h
    monkeypatch.setattr(ms_d3, "_h", lambda D, v: 2 * orig(D, v))
    assert ms_d3.boundary(3).holds is False and ms_d3.blowup(3).holds is False


def test_lemma_b_steps_fail_for_a_wrong_potential(monkeypatch):
    from implicitreg.proofs.derivations import lemma_b

    assert all(st.holds for st in (lemma_b.even(3), lemma_b.zero(3), lemma_b.zero(2), lemma_b.limit_constant(3),
                                   lemma_b.limit_constant(None), lemma_b.monotone(None), lemma_b.monotone(3)))
    with monkeypatch.context() as m:
        _patched(m, "h", lambda f, p, s: f(p, s) + s ** 2)
        assert lemma_b.even(3).holds is False and lemma_b.monotone(3).holds is False
    with monkeypatch.context() as m:
        _patched(m, "lemma_b_remainder_parametric", lambda f, p: (f(p)[0], f(p)[1] + 1))
        _patched(m, "lemma_b_remainder", lambda f, p, u: f(p, u) + 1)
        assert lemma_b.zero(3).holds is False and lemma_b.zero(2).holds is False
    with monkeypatch.context() as m:
        _patched(m, "lemma_b_constant", lambda f, p: f(p) * 11 / 10)
        assert lemma_b.limit_constant(3).holds is False and lemma_b.limit_constant(None).holds is False
        assert lemma_b.limit_constant(2).holds is False


# --- lemma_b's numerics: an irrational depth, the digits of a witness, a witness near the rounding of C_p -----------

def _remainder_by_quadrature(p, u):
    """r_p(u) = q_p(u) - u + (p/2) u^(2/p), q_p(u) = u t - int_0^t h_p (integration by parts, t = h_p^{-1}(u)):
    t by mpmath.findroot and the integral by mpmath.quad, independent of lemma_b's closed form and bisection."""
    k = p / (p - 2)
    h = lambda s: (1 - s) ** (-k) - (1 + s) ** (-k)  # noqa: E731
    t = mpmath.findroot(lambda s: h(s) - u, (mpmath.mpf(0), mpmath.mpf(1) - mpmath.mpf(10) ** -6), solver="anderson")
    return u * t - mpmath.quad(h, [0, t]) - u + p / 2 * u ** (2 / p)


@pytest.mark.parametrize("u", ["0.5", "3"])
def test_lemma_b_remainder_at_an_irrational_depth(u):
    """p = 2 sqrt(2) (not rational: p is read to dps + 10 digits) against quadrature; r_p(u) lies in (0, C_p)."""
    import sympy

    from implicitreg.proofs.derivations import lemma_b

    p = 2 * sympy.sqrt(2)
    with mpmath.workdps(40):
        got = lemma_b.remainder(p, mpmath.mpf(u), dps=30)
        pp = 2 * mpmath.sqrt(2)
        want = _remainder_by_quadrature(pp, mpmath.mpf(u))
        C = (pp - 2) / 2 * (2 - mpmath.power(2, -2 / (pp - 2)))
        assert abs(got - want) < mpmath.mpf(10) ** -25 * want
        assert 0 < got < C


def test_lemma_b_witness_carries_the_requested_digits():
    """tightness_witness(p, fraction, dps) returns r_p(u) to dps digits (computed with 10 guard digits): checked
    against ``remainder`` at u with 30 more digits, for p = 3 at dps = 50 and p = 2 at dps = 80."""
    from fractions import Fraction

    from implicitreg.proofs.derivations import lemma_b

    for p, dps in ((3, 50), (2, 80)):
        u, r = lemma_b.tightness_witness(p, Fraction(9, 10), dps=dps)
        with mpmath.workdps(dps + 40):
            ref = lemma_b.remainder(p, u, dps=dps + 30)
            assert abs(r - ref) < mpmath.mpf(10) ** -(dps - 2) * ref, (p, dps)


@pytest.mark.parametrize("p, C_text, dps, delta", [(7, "3.105354291862002", 50, "1e-15"),
                                                    (8, "3.618898422047701", 20, "2e-11")])
def test_lemma_b_witness_is_decided_on_c_p_to_all_its_digits(p, C_text, dps, delta):
    """C_p = ((p-2)/2)(2 - 2^(-2/(p-2))): C_7 = 3.10535429186200(2...), C_8 = 3.61889842204(7...). The search visits
    u(e) = e^(-k) - (2 - e)^(-k), k = p/(p-2), for e = 1/2, 1/20, 1/200, ...; with fraction C_p = r_p(u(e)) + delta at
    e = 1/200, that u is NOT a witness (by delta), although it would be if C_p were rounded low to fewer digits than
    the search works with (C_7 to 15 digits is 2.4e-15 low, C_8 to 10 digits 4.8e-11 low). The witness returned
    must exceed fraction C_p with C_p exact, and carry its r_p(u)."""
    from implicitreg.proofs.derivations import lemma_b

    with mpmath.workdps(80):
        C = mpmath.mpf(p - 2) / 2 * (2 - mpmath.power(2, mpmath.mpf(-2) / (p - 2)))
        assert abs(C - mpmath.mpf(C_text)) < mpmath.mpf(10) ** -15
        e = mpmath.mpf("0.005")
        k = mpmath.mpf(p) / (p - 2)
        u = e ** -k - (2 - e) ** -k
        r_e = lemma_b.remainder(p, u, dps=70)
        assert C / 2 < r_e < C
        fraction = (r_e + mpmath.mpf(delta)) / C
        got_u, got_r = lemma_b.tightness_witness(p, fraction, dps=dps)
        assert abs(got_r - lemma_b.remainder(p, got_u, dps=70)) < mpmath.mpf(10) ** -(dps - 5)
        assert got_r > fraction * C and got_u > u


def test_lemma_b_witness_at_an_irrational_depth_carries_the_remainder():
    """p = 2 sqrt(2) (read to dps + 10 digits): the witness is a true (u, r_p(u)), r_p by ``remainder`` with 20 more
    digits, to 45 digits at the default dps = 50."""
    import sympy

    from implicitreg.proofs.derivations import lemma_b

    p = 2 * sympy.sqrt(2)
    u, r = lemma_b.tightness_witness(p, mpmath.mpf("0.9"))
    with mpmath.workdps(90):
        ref = lemma_b.remainder(p, u, dps=70)
        C = (p - 2) / 2 * (2 - 2 ** (-2 / (p - 2)))
        assert abs(r - ref) < mpmath.mpf(10) ** -45 * ref
        assert mpmath.mpf("0.9") * mpmath.mpf(str(sympy.N(C, 80))) < r


def test_lemma_b_witness_deep_in_the_search_and_its_refusal():
    """Witnesses that need u up to 10^5 (p = 2: r_2(u) = 2 - 1/u + O(u^-3) > 2 (1 - 1e-5) iff u > 5e4 about) and e
    down to 5e-19 (p = 6: C_6 - r_6 ~ 2^(-3/2) e, so fraction 1 - 1e-19 needs e < 7e-19) are found; with fraction 1
    there is none (r_p < C_p everywhere) and the search says so."""
    from implicitreg.proofs.derivations import lemma_b

    u, r = lemma_b.tightness_witness(2, 1 - mpmath.mpf(10) ** -5)
    assert 5 * 10 ** 4 < u <= 10 ** 6 and r > 2 * (1 - mpmath.mpf(10) ** -5)
    with mpmath.workdps(80):
        fraction = 1 - mpmath.mpf(10) ** -19
        C6 = 4 - mpmath.sqrt(2)
        u, r = lemma_b.tightness_witness(6, fraction)
        assert r > fraction * C6 and u > mpmath.mpf(10) ** 26
        assert abs(r - lemma_b.remainder(6, u, dps=70)) < mpmath.mpf(10) ** -25
    for p, dps in ((2, 12), (2, 50), (3, 12), (3, 50), (6, 30)):
        with pytest.raises(ArithmeticError, match="^no witness found$"):
            lemma_b.tightness_witness(p, 1, dps=dps)


def test_lemma_b_remainder_keeps_its_digits_at_large_u():
    """r_p(u) <= C_p is the difference of terms of size u log u: at u = 10^11 (p = 2) and u ~ 10^45 (p = 3) the
    digits lost to cancellation must be added to the work precision. p = 2: r_2(u) = 2 - 1/u + O(u^-3) (wah.md §5);
    p = 3: the parametric form at e = 1 - t = 10^-15, evaluated at 200 digits (u = e^-3 - (2 - e)^-3,
    r = (1 - e) u - (1/2)(e^-2 + (2 - e)^-2 - 2) - u + (3/2) e^-2 (1 - (e/(2 - e))^3)^(2/3))."""
    from implicitreg.proofs.derivations import lemma_b

    got = lemma_b.remainder(2, mpmath.mpf(10) ** 11, dps=12)
    with mpmath.workdps(60):
        assert abs(got - (2 - mpmath.mpf(10) ** -11)) < mpmath.mpf(10) ** -12
    with mpmath.workdps(200):
        e = mpmath.mpf(10) ** -15
        f = 2 - e
        u = e ** -3 - f ** -3
        want = (1 - e) * u - (e ** -2 + f ** -2 - 2) / 2 - u + mpmath.mpf(3) / 2 * e ** -2 * (1 - (e / f) ** 3) ** (
            mpmath.mpf(2) / 3)
        got = lemma_b.remainder(3, u, dps=20)
        assert abs(got - want) < mpmath.mpf(10) ** -19 * want and want < mpmath.mpf(7) / 8


def test_lemma_b_next_term_step_names_its_series():
    from implicitreg.proofs.derivations import lemma_b

    st = lemma_b.next_term_p2()
    assert (st.name, st.claim, st.holds, st.kind, st.detail) == ("next_term", "r_2(u) = 2 - 1/u + O(u^-2)", True,
                                                                "sympy", "2 - v")


@pytest.mark.parametrize("dps", [5, 8])
def test_lemma_b_remainder_at_few_digits_is_still_accurate(dps):
    """At dps = 5 or 8 the inversion still stops only once the bracket is 10^-(dps+5) (1 - t) wide: r_p(u) to dps
    digits against quadrature (p = 3, u = 2 and 50)."""
    from implicitreg.proofs.derivations import lemma_b

    for u in ("2", "50"):
        got = lemma_b.remainder(3, mpmath.mpf(u), dps=dps)
        with mpmath.workdps(40):
            want = _remainder_by_quadrature(mpmath.mpf(3), mpmath.mpf(u))
            assert abs(got - want) < mpmath.mpf(10) ** -dps * want, (u, got, want)


def _r_parametric(p, e):
    """r_p at the Legendre parameter t = 1 - e (wah.md §5, the ``limit`` step): a = 2/(p-2), k = 1 + a, f = 2 - e,
    u = e^-k - f^-k, r = (1 - e) u - ((p-2)/2)(e^-a + f^-a - 2) - u + (p/2) e^-a (1 - (e/f)^k)^(2/p)."""
    a = 2 / (p - 2)
    k = 1 + a
    f = 2 - e
    u = e ** -k - f ** -k
    return u, (1 - e) * u - (p - 2) / 2 * (e ** -a + f ** -a - 2) - u + p / 2 * e ** -a * (1 - (e / f) ** k) ** (2 / p)


def test_lemma_b_witness_search_ends_at_its_documented_candidates():
    """At the default dps = 50 the p = 2 search tries u = 1, 10, ..., 10^50 and the p > 2 search e = 1/2, 1/20, ...
    down to e > 10^-25 (the last is 5e-25). r_2(10^k) = 2 - 10^-k + O(10^-3k): with fraction 2 = 2 - 6e-50 the first
    witness is u = 10^50 (found), with 2 - 6e-51 it would be 10^51 (none). p = 6: a fraction between r_6 at e = 5e-25
    and at e = 5e-26 (parametric form at 120 digits) has its first witness beyond the search (none)."""
    from implicitreg.proofs.derivations import lemma_b

    with mpmath.workdps(120):
        u, r = lemma_b.tightness_witness(2, 1 - 3 * mpmath.mpf(10) ** -50)
        assert u == mpmath.mpf(10) ** 50 and r > 2 - 6 * mpmath.mpf(10) ** -50
        with pytest.raises(ArithmeticError, match="^no witness found$"):
            lemma_b.tightness_witness(2, 1 - 3 * mpmath.mpf(10) ** -51)
        C = 4 - mpmath.sqrt(2)
        _, r_last = _r_parametric(mpmath.mpf(6), 5 * mpmath.mpf(10) ** -25)
        _, r_next = _r_parametric(mpmath.mpf(6), 5 * mpmath.mpf(10) ** -26)
        assert r_last < r_next < C
        fraction = (r_last + r_next) / 2 / C
        u, r = lemma_b.tightness_witness(6, (2 * r_last - r_next) / C)      # below r_last: found by e = 5e-25
        assert r > (2 * r_last - r_next) and u < 10 ** 38
        with pytest.raises(ArithmeticError, match="^no witness found$"):
            lemma_b.tightness_witness(6, fraction)


def test_lemma_b_cancelled_digits_is_the_documented_count():
    """floor(log10(|u| (1 + |ln |u||))) + 2 for |u| > 1, 0 for |u| <= 1 (by hand: 2 (1 + ln 2) = 3.39, 1200 (1 +
    ln 1200) = 9708, 1e10 (1 + ln 1e10) = 2.4e11)."""
    from implicitreg.proofs.derivations import lemma_b

    cases = [("0.5", 0), ("1", 0), ("-1", 0), ("2", 2), ("1200", 5), ("-1200", 5), ("1e10", 13)]
    assert [lemma_b._cancelled_digits(mpmath.mpf(u)) for u, _ in cases] == [n for _, n in cases]


def test_lemma_b_steps_name_their_claims():
    """The proof's steps at p = 2 and p = 5/2 in the order of the module's proof (scaling, even, zero, then monotone,
    limit and next_term at p = 2; monotone and limit symbolic in p and at p otherwise), each with its claim, its kind
    (all SymPy) and its detail where it has one (C_2 = 2, C_{5/2} = 31/64 by hand)."""
    from implicitreg.proofs.derivations import lemma_b

    scaling = ("scaling", "alpha^p * approx(x/alpha^p) = approximation of Lemma B in x", "")
    even = ("even", "h_p odd => q_p and r_p even", "")
    zero = ("zero", "r_p(0) = 0", "r_p(0) = 0")
    mono_p = ("monotone", "h_p(1 - u^(-(p-2)/p)) = u - (2 - tau)^(-p/(p-2)) < u, so r_p' >= 0", "")
    want = {
        2: [scaling, even, zero, ("monotone", "r_2'(u) = log(1/2 + sqrt(1/4 + 1/u^2)) > 0", ""),
            ("limit", "r_2(u) -> C_2 = 2", "limit 2"), ("next_term", "r_2(u) = 2 - 1/u + O(u^-2)", "2 - v")],
        "5/2": [scaling, even, zero, mono_p, mono_p,
                ("limit", "r_p(u) -> ((p-2)/2)(2 - 2^(-2/(p-2))) as u -> inf (symbolic p > 2)", ""),
                ("limit", "r_5/2(u) -> C_5/2 = 31/64", "limit 31/64")],
    }
    from fractions import Fraction

    for p, rows in want.items():
        got = lemma_b.steps(Fraction(p))
        assert [(st.name, st.claim, st.detail) for st in got] == rows, p
        assert all(st.holds is True and st.kind == "sympy" for st in got)


def test_lemma_b_monotone_at_p_checks_that_p_and_both_p2_claims(monkeypatch):
    """monotone(p) decides the identity at the given p, monotone(None) for symbolic p: a link wrong only at p = 3
    fails the first and not the second, a link wrong except at p = 3 the reverse. At p = 2 both claims are needed:
    a remainder r_2 + u (derivative off by 1, the exp(asinh) identity untouched) fails the step."""
    from implicitreg.proofs.derivations import lemma_b

    with monkeypatch.context() as m:
        _patched(m, "h", lambda f, p, s: f(p, s) + (s ** 2 if p == 3 else 0))
        assert lemma_b.monotone(3).holds is False and lemma_b.monotone(None).holds is True
    with monkeypatch.context() as m:
        _patched(m, "h", lambda f, p, s: f(p, s) + (p - 3) * s ** 2)
        assert lemma_b.monotone(3).holds is True and lemma_b.monotone(None).holds is False
    assert lemma_b.monotone(2).holds is True
    with monkeypatch.context() as m:
        _patched(m, "lemma_b_remainder", lambda f, p, u: f(p, u) + u)
        assert lemma_b.monotone(2).holds is False


def test_lemma_b_steps_at_p_include_the_monotone_step_at_that_p(monkeypatch):
    """steps(p) for p > 2 holds monotone symbolic in p and monotone at p: a link off by s^3 at p = 3 only (still odd,
    so ``even`` is untouched) fails the second and not the first."""
    from implicitreg.proofs.derivations import lemma_b

    _patched(monkeypatch, "h", lambda f, p, s: f(p, s) + (s ** 3 if p == 3 else 0))
    got = lemma_b.steps(3)
    assert [st.name for st in got[3:5]] == ["monotone", "monotone"]
    assert [st.holds for st in got[3:5]] == [True, False]

