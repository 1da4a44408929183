"""Direct tests of numerics/kink.py answering its mutation survivors (target num-kink).

Expected values come from closed forms or hand computation (wah.md §6, the kink family A = [1, 1 - eps], y = 1),
never from the code under test.
"""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics import kink
from implicitreg.numerics.precision import mpf_from


def test_kink_instance_is_exact_and_names_eps():
    inst = kink.kink_instance("0.25")
    assert inst.A == ((1, Fraction(3, 4)),) or [list(r) for r in inst.A] == [[1, Fraction(3, 4)]]
    assert list(inst.y) == [1] and inst.name == "kink(eps=1/4)"
    assert [list(r) for r in kink.kink_instance(0).A] == [[1, 1]]


def test_kink_error_is_the_distance_on_the_constraint():
    """x on x_1 + (3/4) x_2 = 1: x - x* = (-(3/4) x_2, x_2), so ||x - x*||_2 = (5/4) x_2."""
    with mpmath.workdps(30):
        assert kink.kink_error([1 - mpf(3) / 4 * mpf("0.2"), mpf("0.2")], "1/4") == mpf(5) / 4 * mpf("0.2")
    with pytest.raises(InvalidParameterError, match=r"^eps must be in \[0, 1\), got 1$"):
        kink.kink_error([0, 1], 1)


def _kink_root(D, eps, am):
    """(z, x_1, x_2) of the kink limit at product scale am (an mpf or Fraction), by 600 bisection steps at 120 digits
    on the scalar dual equation am [h(z) + c h(c z)] = 1, c = 1 - eps: on z for D = 2, on log w, w = 1 - z, for D > 2
    (the root may lie near the pole; the second distance to the pole 1 - c z = w + eps (1 - w) is formed exactly)."""
    D = Fraction(D)
    with mpmath.workdps(120):
        am, em = mpf(am) if isinstance(am, mpf) else mpf_from(Fraction(am)), mpf_from(Fraction(eps))
        c = 1 - em
        if D == 2:
            h = lambda z: 2 * mpmath.sinh(z)  # noqa: E731
            lo, hi = mpf(0), mpmath.asinh(1 / (2 * am)) + 1
            for _ in range(600):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if am * (h(mid) + c * h(c * mid)) <= 1 else (lo, mid)
            return lo, am * h(lo), am * h(c * lo)
        e = mpf_from(D / (D - 2))
        hp = lambda w: w ** (-e) - (2 - w) ** (-e)  # noqa: E731  (h at distance w from the pole)
        f = lambda w: am * (hp(w) + c * hp(w + em * (1 - w))) - 1  # noqa: E731
        lo, hi = mpf(-700), mpf(0)
        for _ in range(600):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mpmath.exp(mid)) > 0 else (lo, mid)
        w = mpmath.exp(lo)
        return 1 - w, am * hp(w), am * hp(w + em * (1 - w))


@pytest.mark.parametrize("D, eps, alpha, convention", [
    (2, "1/4", "1e-3", "factor"), (2, "3/5", "1e-30", "product"), (2, "1/4", "1/2", "product"),  # last: z < 1 (3, "1/10", "1e-2", "factor"),
    (3, "1/2", "1e-40", "product"), (Fraction(5, 2), "1/3", "1/2", "factor"), (4, 0, "1e-8", "product"),
    (5, "1/100", "1e-3", "factor")])
def test_kink_limit_fields_equal_the_scalar_dual_equation(D, eps, alpha, convention):
    got = kink.kink_limit(eps, D, alpha, alpha_convention=convention, dps=50)
    with mpmath.workdps(120):
        al = mpf_from(Fraction(alpha))
        am = al if convention == "product" else al ** mpf_from(Fraction(D))  # u(0) = alpha: alpha_product = alpha^D
        z, x1, x2 = _kink_root(D, eps, am)
        c = 1 - mpf_from(Fraction(eps))
        for field, want in (("z", z), ("error", mpmath.sqrt(1 + c * c) * x2), ("alpha_product", am)):
            assert abs(getattr(got, field) - want) <= mpf(10) ** -48 * abs(want), field
        assert abs(got.x[0] - x1) <= mpf(10) ** -48 * x1 and abs(got.x[1] - x2) <= mpf(10) ** -48 * x2
    assert got.eps == Fraction(eps) and got.depth == Fraction(D) and got.alpha_convention == convention
    assert type(got.eps) is Fraction and type(got.depth) is Fraction


def test_limit_constant_refusals_say_why():
    with pytest.raises(InvalidParameterError,
                       match=r"^for p = 2 the error is not linear in alpha\^2; use p2_error_asymptotic$"):
        kink.limit_constant("1/2", 2)
    with pytest.raises(InvalidParameterError, match=r"^at eps = 0 BP is not unique; the error does not vanish$"):
        kink.limit_constant(0, 3)
    with mpmath.workdps(40):  # just inside: eps = 10^-3, c = 1 - 10^-3 (not refused)
        c = 1 - mpf(10) ** -3
        want = mpmath.sqrt(1 + c * c) * ((1 - c) ** -2 - (1 + c) ** -2)
        assert mpmath.almosteq(kink.limit_constant("0.001", 4), want, 1e-30)


def test_transition_error_rounds_eps_to_thirty_significant_digits(monkeypatch):
    """D = 3, product alpha = 1e-30: eps* = alpha^(1/3) = 1e-10, ratio 1/3: eps = 3.33...3e-11 with 30 threes."""
    seen = []
    real = kink.kink_limit

    def spy(eps, depth, alpha, **kw):
        seen.append(eps)
        return real(eps, depth, alpha, **kw)

    monkeypatch.setattr(kink, "kink_limit", spy)
    with mpmath.workdps(40):
        err = kink.transition_error(3, mpf(1) / 3, "1e-30", alpha_convention="product")
    assert seen == [Fraction("0." + "3" * 30) / 10 ** 10]
    _, _, x2 = _kink_root(3, seen[0], Fraction(1, 10 ** 30))
    with mpmath.workdps(60):
        c = 1 - mpf_from(seen[0])
        assert abs(err - mpmath.sqrt(1 + c * c) * x2) <= mpf(10) ** -45 * err


def test_p2_error_asymptotic_in_both_conventions():
    """sqrt(1 + (1-eps)^2) a^eps, a = alpha^2 (factor) or alpha (product)."""
    with mpmath.workdps(40):
        assert mpmath.almosteq(kink.p2_error_asymptotic("1/4", "1e-3"), mpf(5) / 4 * mpf(10) ** (-mpf(6) / 4), 1e-35)
        assert mpmath.almosteq(kink.p2_error_asymptotic("1/4", "1e-4", alpha_convention="product"),
                               mpf(5) / 4 * mpf(10) ** -1, 1e-35)
        assert mpmath.almosteq(kink.p2_error_asymptotic(0, "1e-9"), mpmath.sqrt(2), 1e-35)  # a^0 = 1
    with pytest.raises(InvalidParameterError, match="alpha_convention must be 'product' or 'factor'"):
        kink.p2_error_asymptotic("1/4", "1e-3", alpha_convention="layer")


def test_transition_scale_in_both_conventions_and_its_p2_limit():
    with mpmath.workdps(40):
        assert mpmath.almosteq(kink.transition_scale(3, "1e-30", alpha_convention="product"), mpf(10) ** -10, 1e-35)
        assert mpmath.almosteq(kink.transition_scale(5, "1e-2"), mpf(10) ** -6, 1e-35)  # alpha^(p-2)
        assert mpmath.almosteq(kink.transition_scale(2, "1e-5"), 1 / (10 * mpmath.log(10)), 1e-35)  # 1/log(1/alpha^2)
        assert mpmath.almosteq(kink.transition_scale(2, "99/100"), -1 / (2 * mpmath.log(mpf(99) / 100)), 1e-35)
        assert mpmath.almosteq(kink.transition_scale(2, "1/2", alpha_convention="product"), 1 / mpmath.log(2), 1e-35)
    for alpha, convention in ((1, "factor"), (1, "product"), ("101/100", "factor"), (2, "product")):
        with pytest.raises(InvalidParameterError, match=r"^the p = 2 transition scale needs alpha\^2 < 1$"):
            kink.transition_scale(2, alpha, alpha_convention=convention)
    assert kink.transition_scale(3, 2, alpha_convention="product") > 1  # p > 2: any alpha


def _profile(k, r):
    """sqrt(2) (w + r)^(-k) with w^(-k) + (w + r)^(-k) = 1, by bisection on w in [1, 2^(1/k)] at 60 digits."""
    with mpmath.workdps(60):
        k, r = mpf(k), mpf(r)
        lo, hi = mpf(1), mpf(2) ** (1 / k)
        for _ in range(300):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mid ** (-k) + (mid + r) ** (-k) > 1 else (lo, mid)
        return mpmath.sqrt(2) * (lo + r) ** (-k)


@pytest.mark.parametrize("D, k", [(3, 3), (4, 2), (Fraction(5, 2), 5), (6, Fraction(3, 2)), (Fraction(21, 10), 21)])
def test_collapse_profile_solves_its_equation(D, k):
    """Near the pole (k = 21) and far out (r = 100) too: the safeguarded Newton converges everywhere."""
    with mpmath.workdps(40):
        for r in ("0", "0.01", "0.5", "1", "7", "100"):
            assert mpmath.almosteq(kink.collapse_profile(D, r), _profile(mpf_from(Fraction(k)), r), 1e-30), r
        assert mpmath.almosteq(kink.collapse_profile(D, 0), 1 / mpmath.sqrt(2), 1e-30)


def test_collapse_profile_of_depth_two_and_the_ratio_refusal():
    with mpmath.workdps(40):
        assert mpmath.almosteq(kink.collapse_profile(2, 3), mpmath.sqrt(2) / (1 + mpmath.exp(3)), 1e-35)
        assert mpmath.almosteq(kink.collapse_profile(2, 0), 1 / mpmath.sqrt(2), 1e-35)
    for D in (2, 3):
        with pytest.raises(InvalidParameterError, match=r"^ratio eps/eps\* must be >= 0, got -0.5$"):
            kink.collapse_profile(D, -0.5)


@pytest.mark.parametrize("alpha, level", [("1e-12", "0.25"), ("1e-2", "0.25"), ("1e-12", "0.6")])
def test_transition_epsilon_finds_the_crossing_of_the_level(alpha, level):
    """D = 3, alpha^p = 1e-12 or 1e-2 (eps* = 0.22: the crossing lies at eps = 0.185, near the top of the bracket),
    level 1/4 or 0.6 (above 1/sqrt(3), below the error 1/sqrt(2) at eps = 0): the eps where the kink error crosses
    the level, checked on the independent root on both sides."""
    with mpmath.workdps(30):
        et = kink.transition_epsilon(3, alpha, level, alpha_convention="product", dps=20)
    assert 0 < et < 1
    for shift, above in ((mpf("1e-9"), False), (-mpf("1e-9"), True)):  # the bracket: 10^-10 wide in log10 eps
        e = Fraction(mpmath.nstr(et * (1 + shift), 25))
        _, _, x2 = _kink_root(3, e, Fraction(alpha))
        with mpmath.workdps(60):
            c = 1 - mpf_from(e)
            assert (mpmath.sqrt(1 + c * c) * x2 > mpf(level)) is above
    for level in (0, "0.7072", -1):
        with pytest.raises(InvalidParameterError, match=r"^level must be in \(0, 1/sqrt\(2\)\)$"):
            kink.transition_epsilon(3, "1e-12", level)


@pytest.mark.parametrize("bad, text", [("x", "eps: cannot read 'x' as an exact number"),
                                       (float("nan"), "eps: nan is not a finite number"),
                                       (mpmath.inf, "eps must be a finite number, got +inf"),
                                       (None, "eps: expected a number, got NoneType"),
                                       ("-1/10", "eps must be in [0, 1), got -1/10")])
def test_eps_refusals_name_eps(bad, text):
    for call in (lambda: kink.kink_instance(bad), lambda: kink.kink_limit(bad, 3, "1e-3"),
                 lambda: kink.limit_constant(bad, 3)):
        with pytest.raises(InvalidParameterError, match="^" + re.escape(text)):
            call()


# --- _root_decreasing: the safeguarded Newton, its stopping rules and its iteration cap ---------------------------

def test_root_decreasing_bisects_down_to_a_tiny_root_to_full_relative_precision():
    """A useless derivative (every Newton step leaves the bracket): pure bisection from [0, 1] to the root 3e-30,
    stopped by the relative bracket width 2^(-prec + 6) |hi| (not an absolute width)."""
    with mpmath.workdps(30):
        r = 3 * mpf(10) ** -30
        got = kink._root_decreasing(lambda w: r - w, lambda w: mpf(10) ** -300, mpf(0), mpf(1), 30)
        assert abs(got - r) <= mpf(2) ** (-mpmath.mp.prec + 7) * r


def test_root_decreasing_newton_stop_is_relative_to_w():
    """f = log(r/w), f' = -1/w: Newton converges quadratically to r = 1e-40; it stops when the step moves w by at
    most 2^(-prec + 6) |w| (relative), so the root has full relative precision."""
    with mpmath.workdps(30):
        r = mpf(10) ** -40
        got = kink._root_decreasing(lambda w: mpmath.log(r / w), lambda w: -1 / w, mpf(0), mpf(1), 30)
        assert abs(got - r) <= mpf(2) ** (-mpmath.mp.prec + 8) * r


def test_root_decreasing_gives_up_after_its_cap_of_iterations():
    """The cap is 20 dps + 400 iterations for the dps given: at 2000 working digits, announced as 1, bisection (6600
    halvings needed) stops after 420 with the documented error."""
    with mpmath.workdps(2000):
        third = mpf(1) / 3
        with pytest.raises(ConvergenceError, match="^kink: root finding did not converge$"):
            kink._root_decreasing(lambda w: third - w, lambda w: mpf(10) ** -3000, mpf(0), mpf(1), 1)
        # with dps 400 the cap (8400) suffices
        got = kink._root_decreasing(lambda w: third - w, lambda w: mpf(10) ** -3000, mpf(0), mpf(1), 400)
        assert abs(got - third) <= mpf(10) ** -1990


def _evaluations(monkeypatch):
    """Record, per root solve, the |f| values _root_decreasing asked for."""
    real, solves = kink._root_decreasing, []

    def counted(f, df, lo, hi, dps):
        seen = []
        solves.append(seen)

        def g(w):
            v = f(w)
            seen.append(abs(v))
            return v
        return real(g, df, lo, hi, dps)

    monkeypatch.setattr(kink, "_root_decreasing", counted)
    return solves


def _tail(seen):
    """Evaluations from the first |f| < 10^-3 on: Newton converges quadratically there (10^-3, 10^-6, 10^-12, ...,
    10^-96 > 70 digits: at most 6 steps, 8 allowed); a wrong derivative converges linearly at best."""
    return len(seen) - next(i for i, v in enumerate(seen) if v < mpf(10) ** -3)


def test_newton_converges_quadratically_in_every_root_solve(monkeypatch):
    solves = _evaluations(monkeypatch)
    with mpmath.workdps(40):
        for D, r in ((3, "0.5"), (4, "7"), (Fraction(5, 2), "0.01")):
            kink.collapse_profile(D, r)
    for D, eps, alpha, convention in ((2, "1/4", "1e-3", "factor"), (2, "3/5", "1e-30", "product"),
                                      (3, "1/10", "1e-2", "factor"), (3, "1/2", "1e-40", "product"),
                                      (5, "1/100", "1e-3", "factor"), (4, "1/2", "1e-20", "product"),
                                      (Fraction(5, 2), "1/3", "1/2", "factor")):
        kink.kink_limit(eps, D, alpha, alpha_convention=convention, dps=50)
    assert len(solves) == 10
    assert all(_tail(seen) <= 8 for seen in solves), [_tail(seen) for seen in solves]


def test_a_converged_newton_step_is_kept_not_bisected_away(monkeypatch):
    """Regression: a Newton step that rounds to w (converged to the last bit; w is then an end of the bracket) was
    taken for a step outside the bracket and replaced by bisection, which then needed ~prec more evaluations (D = 2:
    236 instead of 11 at 70 digits)."""
    solves = _evaluations(monkeypatch)
    kink.kink_limit("1/4", 2, "1e-3", alpha_convention="factor", dps=50)
    kink.kink_limit("3/5", 2, "1e-30", alpha_convention="product", dps=50)
    assert [len(seen) <= 20 for seen in solves] == [True, True], [len(seen) for seen in solves]
    with mpmath.workdps(40):
        # a root that is an exact binary number: Newton lands on it (f = 0 there) or a step rounds to it
        got = kink._root_decreasing(lambda w: 2 - w * w, lambda w: -2 * w, mpf(1), mpf(3), 40)
        assert abs(got - mpmath.sqrt(2)) <= mpf(2) ** (-mpmath.mp.prec + 7)
