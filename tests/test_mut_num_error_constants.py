"""Direct tests of numerics/error_constants.py answering its mutation survivors (target num-error_constants).

Expected values come from closed forms or hand computation, never from the code under test.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics import error_constants as ec
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.potentials import link
from implicitreg.numerics.precision import mpf_from

GEN_M3_ROWS = [[-2, 4, 1, -2, -1, 1, 0, 2], [1, 1, 1, -3, 3, 0, -1, 1], [-2, -1, 2, 0, 1, 3, 1, 0]]
GEN_M3_Y = [4, 1, -1]


# --- _increasing_root: the bracket invariant f(lo) <= 0 < f(hi) and full working precision -----------------------

def test_increasing_root_keeps_f_positive_at_the_returned_end_and_reaches_working_precision():
    with mpmath.workdps(30):
        # the first midpoint is the exact root: f(mid) = 0 belongs to the lower end, the returned hi has f(hi) > 0
        r = ec._increasing_root(lambda x: x - mpf(1) / 2, mpf(0), mpf(1))
        assert r > mpf(1) / 2 and r - mpf(1) / 2 <= mpf(2) ** (-mpmath.mp.prec + 1)
        # a root that is no binary number: within a few ulps after the default prec + 20 halvings
        third = mpf(1) / 3
        r = ec._increasing_root(lambda x: x - third, mpf(0), mpf(1))
        assert r > third and r - third <= 4 * mpf(2) ** (-mpmath.mp.prec)


# --- row_family_limit: every field against the scalar dual equation solved independently -----------------------

def _family_root(D, r, n, a):
    """z > 0 with a (phi_D(z) + n r phi_D(r z)) = 1 (phi_D written here), by 600 bisection steps at 120 digits: on z
    for D = 2, on log(1 - z) for D > 2 (the root may lie within 1e-100 of the pole). Returned at the caller's
    precision."""
    D = Fraction(D)
    with mpmath.workdps(120):
        am, rm = mpf_from(Fraction(a)), mpf_from(Fraction(r))
        if D == 2:
            phi = lambda z: 2 * mpmath.sinh(z)
            f = lambda z: am * (phi(z) + n * rm * phi(rm * z)) - 1
            lo, hi = mpf(0), mpmath.asinh(1 / (2 * am)) + 1
            for _ in range(600):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if f(mid) <= 0 else (lo, mid)
            z = lo
        else:
            e = mpf_from(D / (D - 2))
            phi = lambda z: (1 - z) ** (-e) - (1 + z) ** (-e)
            f = lambda w: am * (w ** (-e) - (2 - w) ** (-e) + n * rm * phi(rm * (1 - w))) - 1  # w = 1 - z
            lo, hi = mpf(-700), mpf(0)  # log w; f decreases in w
            for _ in range(600):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if f(mpmath.exp(mid)) > 0 else (lo, mid)
            z = 1 - mpmath.exp(lo)
    return +z, phi


@pytest.mark.parametrize("D, r, n, a", [(2, "1/2", 1, "1/2"), (2, "1/3", 3, "1/5"), (3, "1/2", 2, "1/10"),
                                        (Fraction(5, 2), "3/5", 2, "1/4")])
def test_row_family_limit_fields_equal_the_scalar_equation(D, r, n, a):
    """Large alpha keeps z < 1 (D = 2: the bracket starts at 0, not 1); x1, xj, both errors from the root."""
    with mpmath.workdps(50):
        z, phi = _family_root(D, r, n, a)
        got = ec.row_family_limit(D, Fraction(r), n, Fraction(a), dps=40)
        am, rm = mpf_from(Fraction(a)), mpf_from(Fraction(r))
        x1, xj = am * phi(z), am * phi(rm * z)
        assert z > 0 and (z < 1 or Fraction(a) != Fraction(1, 2))  # a = 1/2: a root below 1
        for field, want in (("z", z), ("x1", x1), ("xj", xj), ("error_l1", n * (1 + rm) * xj),
                            ("error_inf", max(n * rm * xj, xj))):
            assert abs(getattr(got, field) - want) <= mpf(10) ** -35 * abs(want), field
        # on the constraint: x1 + n r xj = 1
        assert abs(got.x1 + n * rm * got.xj - 1) < mpf(10) ** -35


def test_row_family_without_copies_has_no_error_and_refuses_r_outside_the_unit_interval():
    with mpmath.workdps(40):
        for D in (2, 3):
            got = ec.row_family_limit(D, Fraction(1, 2), 0, Fraction(1, 10), dps=30)
            assert got.error_l1 == 0 and got.error_inf == 0
    for r in (1, Fraction(-1, 10)):
        with pytest.raises(InvalidParameterError, match=rf"^the family needs 0 <= r < 1, got {r}$"):
            ec.row_family_limit(3, r, 2, Fraction(1, 10))
    assert ec.row_family_limit(3, 0, 2, Fraction(1, 10)).xj == 0  # r = 0 is inside


# --- crossover_alpha: the bisection, its ends and its stopping rule, on an error model known in closed form --------

def _fake_errors(monkeypatch, a_c, calls):
    """err_2 = 1, err_D = sqrt(alpha / a_c): gap = -log(alpha/a_c)/2 > 0 (depth D closer) exactly below a_c."""
    def fake(instance, depth, alpha, x_star, *, digits=15):
        calls.append((depth, Fraction(alpha), digits))
        if depth == 2:
            return mpf(1), None, None
        return mpmath.sqrt(mpf_from(Fraction(alpha) / a_c)), None, None
    monkeypatch.setattr(ec, "limit_error", fake)


def test_crossover_bisection_finds_the_closed_form_crossover(monkeypatch):
    calls = []
    a_c = Fraction(1, 2 * 10 ** 7)                      # log10 a_c = -7.30103
    _fake_errors(monkeypatch, a_c, calls)
    row = Instance.from_lists([[1, Fraction(1, 2)]], [1])
    cr = ec.crossover_alpha(row, Fraction(5, 2), x_star=(Fraction(1), Fraction(0)))
    assert cr.found is True and cr.depth == Fraction(5, 2) and cr.note == "bisection in log10 alpha"
    with mpmath.workdps(30):
        assert abs(mpmath.log10(cr.alpha) - mpmath.log10(mpf_from(a_c))) < mpf(10) ** -6
    # the range ends are exact powers of ten; the default 12 digits reach every solve; each point solves D and 2
    assert calls[0] == (2, Fraction(1, 10 ** 40), 12) and calls[1] == (Fraction(5, 2), Fraction(1, 10 ** 40), 12)
    assert calls[2][1] == 1 and all(c[2] == 12 for c in calls)
    # the range (-40, 0) halves until it is narrower than 1e-6: 40 / 2^26 < 1e-6 <= 40 / 2^25 -> 26 midpoints
    mids = calls[4::2]
    assert len(mids) == 26 and len(calls) == 2 * (2 + 26)
    # a midpoint alpha is 10^mid (printed to 20 digits from a power taken at mpmath's working precision, 15
    # digits here), the first one 10^-20 exactly
    assert mids[0][1] == Fraction(1, 10 ** 20)
    with mpmath.workdps(40):
        lo, hi = mpf(-40), mpf(0)
        for _, a, _ in mids:
            mid = (lo + hi) / 2
            assert abs(mpf_from(a) / mpmath.power(10, mid) - 1) < mpf(10) ** -14
            if mpf_from(a) < mpf_from(a_c):
                lo = mid
            else:
                hi = mid


def test_crossover_ends_of_the_range_decide_found(monkeypatch):
    row = Instance.from_lists([[1, Fraction(1, 2)]], [1])
    xs = (Fraction(1), Fraction(0))
    # crossover exactly at the lower end: equal errors there, depth D is not closer -> not found
    calls = []
    _fake_errors(monkeypatch, Fraction(1, 10 ** 12), calls)
    cr = ec.crossover_alpha(row, 3, log10_range=(-12, 0), x_star=xs)
    assert (cr.found, cr.alpha, cr.depth) == (False, None, 3)
    assert cr.note == "depth 3 is not closer even at alpha = 1e-12" and len(calls) == 4
    # gap(lo) = log(3)/2 in (0, 1): depth D closer at the lower end -> a crossover at 3e-40
    calls = []
    _fake_errors(monkeypatch, Fraction(3, 10 ** 40), calls)
    cr = ec.crossover_alpha(row, 3, x_star=xs)
    assert cr.found is True and abs(mpmath.log10(cr.alpha) - mpmath.log10(mpf(3) / 10 ** 40)) < mpf(10) ** -6
    # crossover exactly at the upper end: equal errors at alpha = 1 count as "not closer" there -> bisection
    calls = []
    _fake_errors(monkeypatch, Fraction(1), calls)
    cr = ec.crossover_alpha(row, 3, log10_range=(-12, 0), x_star=xs)
    assert cr.found is True and cr.alpha > mpf("0.99999")
    # crossover above the range: depth D closer everywhere
    calls = []
    _fake_errors(monkeypatch, Fraction(10), calls)
    cr = ec.crossover_alpha(row, 3, log10_range=(-12, 0), x_star=xs)
    assert (cr.found, cr.alpha, cr.depth) == (False, None, 3)
    assert cr.note == "depth 3 is closer on the whole range up to alpha = 1e0"
    with pytest.raises(InvalidParameterError, match="^the crossover compares a depth D > 2 with depth 2$"):
        ec.crossover_alpha(row, 2)


def test_limit_error_solves_at_the_requested_digits_in_the_product_convention():
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    row = Instance.from_lists([[1, Fraction(1, 2)]], [1])
    xs = (Fraction(1), Fraction(0))
    for kwargs, digits in (({"digits": 8}, 8), ({}, 15)):
        e1, einf, lim = ec.limit_error(row, 3, "1/1000", xs, **kwargs)
        ref = gradient_flow_limit(row, 3, "1/1000", alpha_convention="product", digits=digits)
        assert lim.alpha_convention == "product" and lim.dps == ref.dps
        with mpmath.workdps(ref.dps):
            # x* = (1, 0): the errors are |x1 - 1| + |x2| and their max, read off the independent reference solve
            h = [ref.x[0] - 1, ref.x[1]]
            assert abs(e1 - (abs(h[0]) + abs(h[1]))) < mpf(10) ** -(digits + 2)
            assert abs(einf - max(abs(h[0]), abs(h[1]))) < mpf(10) ** -(digits + 2)


# --- limit_direction: lambda_D on A's rows (rank-deficient A), e_D's digits, the depth refusal --------------------

def test_lambda_d_is_a_dual_vector_on_the_rows_of_a_rank_deficient_a():
    """A fourth row 2 x the first (rank 3): lambda_D must satisfy A_S^T lam = sigma and A_C^T lam = w_C with the
    full A (rows the solve dropped carry 0, any other value would move A^T lam)."""
    rows = [[2 * v for v in GEN_M3_ROWS[0]]] + GEN_M3_ROWS
    inst = Instance.from_lists(rows, [2 * GEN_M3_Y[0]] + GEN_M3_Y)
    sc = ec.support_constants(inst)
    ld = ec.limit_direction(inst, Fraction(5, 2), sc=sc)
    assert len(ld.lam) == 4 and ld.depth == Fraction(5, 2)
    with mpmath.workdps(60):
        w = [mpmath.fsum(mpf_from(rows[i][j]) * ld.lam[i] for i in range(4)) for j in range(8)]
        for a, i in enumerate(sc.support):
            assert abs(w[i] - sc.signs[a]) < mpf(10) ** -40
        for c, j in enumerate(sc.complement):
            assert abs(w[j] - ld.w_off[c]) < mpf(10) ** -40
            assert abs(ld.e[j] - link(Fraction(5, 2), w[j])) < mpf(10) ** -35
        # the norms are taken at the high precision of the second solve, beyond the certified digits
        with mpmath.workdps(120):
            assert abs(ld.e_norm1 - mpmath.fsum(abs(v) for v in ld.e)) < mpf(10) ** -50
            assert abs(ld.e_norm_inf - max(abs(v) for v in ld.e)) < mpf(10) ** -50
    assert ld.digits >= 30


def test_limit_direction_refuses_depth_two_with_its_message():
    inst = Instance.from_lists(GEN_M3_ROWS, GEN_M3_Y)
    with pytest.raises(InvalidParameterError, match=r"^lambda_D / e_D are defined for depth D > 2$"):
        ec.limit_direction(inst, 2)


# --- M_0: the refusal names rho_a to 8 digits --------------------------------------------------------------------

@pytest.mark.parametrize("fn", [ec.offsupport_radius, ec.offsupport_radius_spec])
def test_offsupport_radius_refusal_names_rho_a(fn):
    with mpmath.workdps(30):
        for bad, text in ((mpf("1.0123456789"), "1.0123457"), (mpf(-1) / 3, "-0.33333333"), (mpf(1), "1.0")):
            with pytest.raises(HypothesisNotMetError,
                               match=rf"^rho_a = {text} is not in \[0, 1\): alpha above alpha_0$"):
                fn(3, bad, 2)


# --- M_0 by _gap_root: the D = 4 closed form H_4(z) = 2 z^2 / (1 - z^2), both ends of (rho_a, 1) -----------------

def _m0_depth4(rho_a, n):
    """M_0 = H_4^{-1}(n H_4(rho_a)) = sqrt(T / (T + 2)), T = n H_4(rho_a); and 1 - M_0 = 2 / ((T + 2)(1 + M_0))."""
    T = n * 2 * rho_a ** 2 / (1 - rho_a ** 2)
    M = mpmath.sqrt(T / (T + 2))
    return M, 2 / ((T + 2) * (1 + M))


@pytest.mark.parametrize("rho_a, n", [("0.3", 2), ("0.001", 50), ("0.999999", 3), ("1e-12", 7), ("0.5", 10 ** 12)])
def test_offsupport_radius_is_the_depth_four_closed_form_to_working_precision(rho_a, n):
    with mpmath.workdps(80):
        want, gap = _m0_depth4(mpf(rho_a), n)
    with mpmath.workdps(30):
        got = ec.offsupport_radius(4, mpf(rho_a), n)
        ulp = mpf(2) ** -mpmath.mp.prec
        assert mpf(rho_a) < got < 1
        assert abs(got - want) <= 8 * ulp * want   # relative precision at small rho_a (H_4 without cancellation)
        assert abs((1 - got) - gap) <= 8 * ulp  # 1 - M_0 to the absolute precision near 1


def test_offsupport_radius_spec_solves_its_equation_near_both_ends():
    """(M - rho_a) h_4(M) = n rho_a h_4(rho_a), h_4(z) = 4 z / (1 - z^2)^2 (increasing); the root by 400 plain
    bisection steps at 120 digits."""
    h4 = lambda z: 4 * z / (1 - z ** 2) ** 2
    for rho_a, n in (("0.3", 2), ("0.999", 4), ("0.01", 10 ** 6), ("1e-9", 3)):
        with mpmath.workdps(120):
            r = mpf(rho_a)
            t = n * r * h4(r)
            lo, hi = r, mpf(1)
            for _ in range(400):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if (mid - r) * h4(mid) - t <= 0 else (lo, mid)
        with mpmath.workdps(30):
            got = ec.offsupport_radius_spec(4, mpf(rho_a), n)
            assert abs(got - lo) <= 8 * mpf(2) ** -mpmath.mp.prec * lo


@pytest.mark.parametrize("D", [3, 4])
def test_offsupport_radius_without_a_root_search_returns_rho_a_exactly(D):
    """H_D^{-1}(1 * H_D(rho_a)) = rho_a and, with rho_a = 0, M_0 = 0 for every n (H_D(0) = 0); the spec's form
    (M - rho_a) h_D(M) = n rho_a h_D(rho_a) has the root rho_a when n = 0 or rho_a = 0. Exactly, not up to an ulp."""
    with mpmath.workdps(30):
        r = mpf("0.3")
        assert ec.offsupport_radius(D, r, 1) == r
        assert ec.offsupport_radius(D, mpf(0), 5) == 0
        assert ec.offsupport_radius_spec(D, r, 0) == r
        assert ec.offsupport_radius_spec(D, mpf(0), 5) == 0


def test_offsupport_radius_refuses_a_root_closer_to_one_than_the_precision():
    """rho_a = 1 - 2^-50 at 53 bits: 1 - M_0 ~ 2^-50 / 10 is below the spacing of numbers under 1. A documented
    ConvergenceError, not the link's domain error at z = 1 (which the bracket search used to hit first)."""
    with mpmath.workdps(15):
        for fn in (ec.offsupport_radius, ec.offsupport_radius_spec):
            with pytest.raises(ConvergenceError, match="^M_0: no bracket below 1 at this precision$"):
                fn(4, 1 - mpf(2) ** -50, 10)


def _counted(g):
    calls = []

    def f(M):
        calls.append(M)
        return g(M)
    return f, calls


# Evaluation counts: Brent's method converges superlinearly, so each bound below is the count this implementation
# needs plus 3 (bisection to working precision needs about 3 prec, i.e. 200-1000 here); a change to the interpolation,
# the step rules or the bracket search that slows the convergence exceeds it.

@pytest.mark.parametrize("gap_digits, most", [(1, 20), (30, 32), (70, 32)])
def test_gap_root_is_superlinear_and_returns_the_upper_end(gap_digits, most):
    """g(M) = (1 - M)^-3 - K with K = 10^(3 k): the root is 1 - 10^-k exactly (k = 1, 30, 70 at 100 digits). Brent's
    method in u = -log(1 - M), after squaring the gap to a bracket (8 squarings reach 10^-77), needs a few dozen
    evaluations. The returned end has g >= 0 (M_0 is an upper bound) and lies within a few units in the last place
    of the root."""
    with mpmath.workdps(100):
        K = mpf(10) ** (3 * gap_digits)
        root = 1 - mpf(10) ** -gap_digits
        f, calls = _counted(lambda M: (1 - M) ** -3 - K)
        got = ec._gap_root(f, mpf(0))
        assert len(calls) <= most, len(calls)
        assert f(got) >= 0 and got >= root
        assert got - root <= 8 * mpf(2) ** -mpmath.mp.prec


@pytest.mark.parametrize("T, most", [("1e-40", 119), ("0.5", 14), ("3", 16), ("1e40", 28)])
def test_gap_root_keeps_relative_accuracy_near_zero_and_the_absolute_one_near_one(T, most):
    """H_4(M) = 2 M^2 / (1 - M^2) = T: M = sqrt(T / (T + 2)), from 1e-20 up to 1 - 1e-40, at 60 digits; relative
    error a few ulps in M, and in 1 - M to the spacing of numbers below 1. The root near 1e-20 needs more
    evaluations: the bracket [0, 1/2] leaves ~66 bisection steps first (bisection alone: ~3 prec, about 600)."""
    with mpmath.workdps(60):
        t = mpf(T)
        want = mpmath.sqrt(t / (t + 2))
        gap = 2 / ((t + 2) * (1 + want))  # 1 - want without cancellation
        f, calls = _counted(lambda M: 2 * M ** 2 / (1 - M ** 2) - t)
        got = ec._gap_root(f, mpf(0))
        ulp = mpf(2) ** -mpmath.mp.prec
        assert len(calls) <= most, len(calls)
        assert f(got) >= 0
        assert abs(got - want) <= 8 * ulp * want
        assert abs((1 - got) - gap) <= 8 * ulp


def test_gap_root_evaluates_g_only_on_its_domain_from_rho_a_up():
    """M_0's g is given on [rho_a, 1) (the docstring's bracket): with rho_a = 1/2 and the root of 2 M^2/(1 - M^2) = 3
    at sqrt(3/5) ~ 0.775, no evaluation lies below 1/2 or at or above 1."""
    with mpmath.workdps(40):
        t = mpf(3)
        f, calls = _counted(lambda M: 2 * M ** 2 / (1 - M ** 2) - t)
        got = ec._gap_root(f, mpf(1) / 2)
        assert abs(got - mpmath.sqrt(mpf(3) / 5)) <= 8 * mpf(2) ** -mpmath.mp.prec
        assert all(mpf(1) / 2 <= M < 1 for M in calls), min(calls)


def test_gap_root_does_not_stop_at_a_point_where_g_is_one():
    """g(M) = 4 M - 1 from rho_a = 0: the first bracket end 1/2 has g = 1 exactly, the root is 1/4 (only g = 0 ends
    the search early)."""
    with mpmath.workdps(30):
        got = ec._gap_root(lambda M: 4 * M - 1, mpf(0))
        assert mpf(1) / 4 <= got <= mpf(1) / 4 + 4 * mpf(2) ** -mpmath.mp.prec


def test_gap_root_with_a_root_at_the_lower_end_returns_it():
    """g(rho_a) = 0 exactly (g(M) = M - 1/4 from rho_a = 1/4): the root is the lower end itself, within an ulp."""
    with mpmath.workdps(30):
        f, calls = _counted(lambda M: M - mpf(1) / 4)
        got = ec._gap_root(f, mpf(1) / 4)
        assert mpf(1) / 4 <= got <= mpf(1) / 4 + 4 * mpf(2) ** -mpmath.mp.prec
        assert len(calls) <= 3, len(calls)  # the bracket's two ends, and the root found at the lower one


# --- the lambda_D Newton: a first step far out of the domain is halved back; a step that never fits is refused ------

def _h3(z):
    return (1 - z) ** -3 - (1 + z) ** -3  # h_3, written here


def test_lambda_d_newton_halves_a_step_that_leaves_the_domain():
    """A = [[1, 0, c], [0, 1, k]], S = {0}, sigma = 1: lam = (1, mu) and F(mu) = H_3(mu) + H_3(c + k mu). From mu = 0
    with c = 0.999, k = 1e-6 the Newton step is ~ -111 (|t| >> 1): only halving brings it back inside. The minimizer
    solves h_3(mu) + k h_3(c + k mu) = 0 (checked with h_3 written here)."""
    c, k = Fraction(999, 1000), Fraction(1, 10 ** 6)
    lam, its = ec._newton_direction([[1, 0, c], [0, 1, k]], [0], [1], [1, 2], [Fraction(1), Fraction(0)],
                                    Fraction(3), 40)
    with mpmath.workdps(40):
        mu = lam[1]
        assert lam[0] == 1 and -1 < mu < 0 and its >= 2
        assert abs(_h3(mu) + mpf_from(k) * _h3(mpf_from(c) + mpf_from(k) * mu)) < mpf(10) ** -28


def test_lambda_d_newton_refuses_a_step_that_never_fits():
    """c = 1 - 1e-33, k = 1.4e-66: the first step is ~1e32 long, so only a step length below 1e-30 would stay in
    the domain: the line search gives up with its message."""
    c, k = 1 - Fraction(1, 10 ** 33), Fraction(14, 10 ** 67)
    with pytest.raises(ConvergenceError, match="^lambda_D Newton: line search failed$"):
        ec._newton_direction([[1, 0, c], [0, 1, k]], [0], [1], [1, 2], [Fraction(1), Fraction(0)], Fraction(3), 50)


# --- posterior constants and support constants: every field against closed forms -----------------------------------

@pytest.mark.parametrize("D", [2, 3, Fraction(5, 2)])
def test_posterior_constants_of_the_row_family(D):
    """A = [1, r], y = 1 (S = {0}, C = {1}, rho = K2 = r): w = (z, r z) with z the root of the scalar dual
    equation, so K1 = |z - L|, eps = |z - 1|, rho_a = r + r eps, rho_minus = r - r eps, w_off = r z."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    r, a = Fraction(1, 2), Fraction(1, 10 ** 6)
    row = Instance.from_lists([[1, r]], [1])
    sc = ec.support_constants(row)
    assert (sc.support, sc.signs, sc.n, sc.rho, sc.K2, sc.m_star) == ((0,), (1,), 1, r, r, 1)
    assert sc.pinv == ((r,),) and sc.complement == (1,) and sc.K1_star == 0
    lim = gradient_flow_limit(row, D, a, digits=20)
    pc = ec.posterior_constants(lim, sc)
    with mpmath.workdps(50):
        z, _ = _family_root(D, r, 1, a)
        rm, L = mpf_from(r), -mpmath.log(mpf_from(a))
        eps = abs(z - 1)
        for field, want in (("K1", abs(z - L)), ("eps", eps), ("rho_a", rm + rm * eps),
                            ("rho_minus", rm - rm * eps), ("w_off", rm * z)):
            assert abs(getattr(pc, field) - want) <= mpf(10) ** -18 * max(abs(want), 1), field


def test_support_constants_with_nothing_off_the_support_and_the_zero_refusal():
    """A = I (x* = y, C empty): n = 0, K2 = rho = 0, A_S^+ A_C has no columns, and max_C |w_i| is 0 (not 1)."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    inst = Instance.from_lists([[1, 0], [0, 1]], [Fraction(1, 4), -3])
    sc = ec.support_constants(inst)
    assert (sc.support, sc.signs, sc.n, sc.rho, sc.K2, sc.m_star, sc.pinv) == ((0, 1), (1, -1), 0, 0, 0,
                                                                                 Fraction(1, 4), ((), ()))
    with mpmath.workdps(40):
        assert abs(sc.K1_star - mpmath.log(4)) < mpf(10) ** -35
    pc = ec.posterior_constants(gradient_flow_limit(inst, 2, "1e-4", digits=15), sc)
    assert pc.w_off == 0 and pc.rho_a == pc.eps * 0 and pc.rho_minus == 0
    with mpmath.workdps(40):  # x_i = alpha 2 sinh z_i = y_i: z_i = asinh(y_i / (2 alpha)); K1 = max |z_i - sg L|
        L = -mpmath.log(mpf("1e-4"))
        zs = [mpmath.asinh(mpf(1) / 4 / (2 * mpf("1e-4"))), mpmath.asinh(mpf(-3) / (2 * mpf("1e-4")))]
        assert abs(pc.K1 - max(abs(zs[0] - L), abs(zs[1] + L))) < mpf(10) ** -12
    with pytest.raises(HypothesisNotMetError, match=r"^x\* = 0 \(y = 0\): the error theorems need a nonzero x\*$"):
        ec.support_constants(Instance.from_lists([[1, 2]], [0]))


def test_offsupport_radius_accepts_a_root_in_the_last_interval_below_one():
    """rho_a = 1 - 2^-50, n = 5 at 53 bits: 1 - M_0 ~ 2^-50 / 5 lies between 2^-53 and 2^-52, so 1 - 2^-53 (the last
    number below 1) brackets it: a root, not the refusal."""
    with mpmath.workdps(15):
        M = ec.offsupport_radius(4, 1 - mpf(2) ** -50, 5)
        assert mpf(2) ** -53 <= 1 - M <= mpf(2) ** -52


def _constants(rho, K2, n, K1_star, m_star):
    return ec.SupportConstants(x_star=(Fraction(1),), support=(0,), signs=(1,), rho=Fraction(rho), K2=Fraction(K2),
                               n=n, K1_star=mpf(K1_star), m_star=Fraction(m_star), lam_rho=(), pinv=())


def test_alpha_zero_d2_on_both_sides_of_the_lower_end():
    """excess(log a) = log(K2 n) + Kbar1 K2 + (1 - rho) log a - log(m*/2) with rho = 999/1000, K2 = n = 1, m* = 2:
    at log a = -2000 it is K1* + log 2 - 2 (+ 4 e^-4000): above 0 -> alpha_0 = 0; below 0 -> the root
    log a = -1000 (K1* + log 2) (4 a^2 / m*^2 is negligible there)."""
    with mpmath.workdps(30):
        for margin in ("0.5", "-0.5"):
            K1 = 2 - mpmath.log(2) + mpf(margin)
            a0 = ec.alpha_zero_d2(_constants(Fraction(999, 1000), 1, 1, K1, 2))
            if margin == "0.5":
                assert a0 == 0
            else:
                assert abs(mpmath.log(a0) + (K1 + mpmath.log(2)) * 1000) < mpf(10) ** -20
