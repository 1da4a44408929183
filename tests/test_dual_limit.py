"""numerics.dual_limit: the certified gradient-flow limit, against closed forms and independent recomputation."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError, NotInRangeError, PrecisionError
from implicitreg.numerics import dual_limit
from implicitreg.numerics.dual_limit import LimitResult, gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.potentials import link
from implicitreg.numerics.precision import mpf_from
from strategies_engine import alphas, conventions, depths, instances, random_instance


def _close(a, b, digits, floor=0):
    """|a_i - b_i| <= 10^-digits max(|b_i|, floor) for all i."""
    return all(abs(x - y) <= mpf(10) ** (-digits) * max(abs(y), floor) for x, y in zip(a, b))


# --- closed forms (dln.md §5): A = [1, r], y = 1 --------------------------------------------------------------

@pytest.mark.parametrize("r", [Fraction(1, 2), Fraction(3, 10)])
@pytest.mark.parametrize("alpha", ["1e-5", "1e-40"])
def test_closed_form_depth_two(r, alpha):
    """x = (2 alpha sinh z, 2 alpha sinh(r z)) with 2 alpha (sinh z + r sinh(r z)) = 1 (z by mpmath.findroot)."""
    res = gradient_flow_limit(Instance.from_lists([[1, r]], [1]), 2, alpha, digits=40)
    assert res.digits >= 40
    with mpmath.workdps(80):
        a, rr = mpf_from(Fraction(alpha)), mpf_from(r)
        z = mpmath.findroot(lambda t: 2 * a * (mpmath.sinh(t) + rr * mpmath.sinh(rr * t)) - 1,
                            mpmath.asinh(1 / (2 * a)))
        exact = [2 * a * mpmath.sinh(z), 2 * a * mpmath.sinh(rr * z)]
        assert _close(res.x, exact, 40)
        # a wrong alpha (relative change 1e-30) is caught at these digits
        a2 = a * (1 + mpf("1e-30"))
        z2 = mpmath.findroot(lambda t: 2 * a2 * (mpmath.sinh(t) + rr * mpmath.sinh(rr * t)) - 1, z)
        assert not _close(res.x, [2 * a2 * mpmath.sinh(z2), 2 * a2 * mpmath.sinh(rr * z2)], 40)


@pytest.mark.parametrize("D", [Fraction(5, 2), Fraction(3), Fraction(4)])
def test_closed_form_depth_above_two(D):
    """x = alpha (h_D(z), h_D(r z)) with alpha (h_D(z) + r h_D(r z)) = 1, solved on w = 1 - z by bisection."""
    r, alpha = Fraction(1, 2), "1e-20"
    res = gradient_flow_limit(Instance.from_lists([[1, r]], [1]), D, alpha, digits=35)
    with mpmath.workdps(90):
        a, rr, e = mpf_from(Fraction(alpha)), mpf_from(r), mpf_from(D / (D - 2))
        h = lambda t: (1 - t) ** (-e) - (1 + t) ** (-e)  # the spec's formula, not the library's
        g = lambda w: a * (h(1 - w) + rr * h(rr * (1 - w))) - 1
        lo, hi = mpf("1e-40"), mpf("0.5")  # g(lo) > 0 > g(hi): plain bisection, 300 halvings
        assert g(lo) > 0 > g(hi)
        for _ in range(300):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if g(mid) > 0 else (lo, mid)
        w = (lo + hi) / 2
        z = 1 - w
        exact = [a * h(z), a * h(rr * z)]
        assert _close(res.x, exact, 35)


# --- independent recomputation: dual optimality and A x = y ---------------------------------------------------

def _check_optimality(inst, res: LimitResult):
    """Recompute z = A^T nu and x = alpha_prod phi_D(z) in mpmath with the exact A, and A x - y."""
    d = res.digits
    with mpmath.workdps(res.dps + 10):
        z = [sum(mpf_from(inst.A[i][j]) * res.nu[i] for i in range(inst.m)) for j in range(inst.N)]
        x = [res.alpha_product * link(res.depth, v) for v in z]
        assert _close(res.x, x, d, res.floor)
        scale = max(abs(v) for v in x) if any(x) else 1
        Ax = [sum(mpf_from(a) * v for a, v in zip(row, res.x)) for row in inst.A]
        assert max(abs(u - mpf_from(yi)) for u, yi in zip(Ax, inst.y)) <= mpf(10) ** (-d) * scale * 10 * inst.N
        assert res.residual <= mpf(10) ** (-d) * scale * 10 * inst.N


@given(inst=instances(), D=depths, alpha=alphas, convention=conventions)
def test_property_limit_is_dual_optimal(inst, D, alpha, convention):
    res = gradient_flow_limit(inst, D, alpha, alpha_convention=convention, digits=20)
    assert res.digits >= 20
    assert res.alpha_convention == convention
    if D > 2:
        with mpmath.workdps(res.dps):
            assert all(abs(v) < 1 for v in res.z)
    _check_optimality(inst, res)


@given(inst=instances(max_m=2, max_N=5), D=depths, k=__import__("hypothesis").strategies.integers(1, 12))
def test_property_factor_equals_product_at_alpha_to_the_D(inst, D, k):
    """alpha_convention="factor" with alpha = a is the product convention at alpha_prod = a^D (exact when D is integer)."""
    a = Fraction(1, 2 ** k)
    f = gradient_flow_limit(inst, D, a, alpha_convention="factor", digits=20)
    if D.denominator == 1:
        p = gradient_flow_limit(inst, D, a ** int(D), alpha_convention="product", digits=20)
    else:
        with mpmath.workdps(60):
            p = gradient_flow_limit(inst, D, mpmath.power(mpf_from(a), mpf_from(D)), alpha_convention="product", digits=20)
    assert _close(f.x, p.x, 18, f.floor)


def test_precision_p_versus_2p():
    """Two calls at different requested digits (20 and 60) agree to 20 digits."""
    inst = random_instance(6, 15, seed=1)
    lo = gradient_flow_limit(inst, 3, "1e-12", digits=20)
    hi = gradient_flow_limit(inst, 3, "1e-12", digits=60)
    assert hi.dps > lo.dps and hi.digits >= 60
    assert _close(lo.x, hi.x, 20, hi.floor)


def test_extreme_alpha_and_many_digits():
    """alpha = 1e-100 at 50 digits, D = 2 and D = 5/2 (the issue's target), with dual optimality checked."""
    inst = random_instance(4, 9, seed=3)
    for D in (2, Fraction(5, 2)):
        res = gradient_flow_limit(inst, D, "1e-100", digits=50)
        assert res.digits >= 50
        _check_optimality(inst, res)


def test_deep_network_near_the_pole():
    """D = 6, factor alpha 1e-35 (alpha_prod = 1e-210, 1 - |z| ~ 1e-140): a regression case found by fuzzing."""
    A = [["-1", "2", "1/2", "-3", "-2", "-8/3"], ["1/2", "-4/3", "-3", "-7/3", "-5/4", "-7/2"],
         ["9", "8/3", "2/3", "-2", "-1/3", "-8/3"], ["8/3", "3/2", "8/3", "-2", "-2/3", "-7/2"]]
    inst = Instance.from_lists(A, ["121/12", "47/12", "55/6", "89/6"])
    res = gradient_flow_limit(inst, 6, "1e-35", alpha_convention="factor", digits=30)
    assert res.digits >= 30
    with mpmath.workdps(res.dps):
        assert max(abs(v) for v in res.z) > 1 - mpf("1e-100")
    _check_optimality(inst, res)


def test_rank_deficient_rows_are_reduced():
    base = Instance.from_lists([[1, 2, 0, -1], [0, 1, 1, 3]], [1, 2])
    dup = Instance.from_lists([[1, 2, 0, -1], [0, 1, 1, 3], [1, 3, 1, 2]], [1, 2, 3])
    a = gradient_flow_limit(base, 3, "1e-8", digits=30)
    b = gradient_flow_limit(dup, 3, "1e-8", digits=30)
    assert _close(a.x, b.x, 30, a.floor)
    assert len(b.nu) == 3
    _check_optimality(dup, b)


def test_zero_matrix():
    res = gradient_flow_limit(Instance.from_lists([[0, 0]], [0]), 2, "0.1", digits=10)
    assert res.x == [0, 0]


def test_x_str_carries_the_certified_digits():
    res = gradient_flow_limit(Instance.from_lists([[1, Fraction(1, 2)]], [1]), 2, "1e-30", digits=30)
    strings = res.x_str(30)
    with mpmath.workdps(60):
        for s, v in zip(strings, res.x):
            assert abs(mpf(s) - v) <= mpf(10) ** -29 * abs(v)
    with pytest.raises(PrecisionError):
        res.x_str(res.digits + 1)


# --- bad input and refusals -----------------------------------------------------------------------------------

SMALL = Instance.from_lists([[1, 2, 3]], [1])


@pytest.mark.parametrize("kwargs, error", [
    ({"depth": 2, "alpha": 0}, InvalidParameterError),
    ({"depth": 2, "alpha": "-1e-3"}, InvalidParameterError),
    ({"depth": 2, "alpha": "nan"}, InvalidParameterError),
    ({"depth": 2, "alpha": float("inf")}, InvalidParameterError),
    ({"depth": "1.5", "alpha": "0.1"}, InvalidParameterError),
    ({"depth": float("nan"), "alpha": "0.1"}, InvalidParameterError),
    ({"depth": 2, "alpha": "0.1", "digits": 0}, InvalidParameterError),
    ({"depth": 2, "alpha": "0.1", "digits": 2.5}, InvalidParameterError),
    ({"depth": 2, "alpha": "0.1", "alpha_convention": "layer"}, InvalidParameterError),
    ({"depth": 2, "alpha": "0.1", "digits": 10 ** 6}, PrecisionError),
])
def test_bad_input(kwargs, error):
    with pytest.raises(error):
        gradient_flow_limit(SMALL, **kwargs)


def test_y_not_in_range_is_caught_by_instance():
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[1, 1], [2, 2]], [1, 3])


def test_refuses_digits_it_cannot_certify(monkeypatch):
    """If the two solves disagree (simulated), it retries once at higher precision and then raises PrecisionError."""
    calls = []

    def disagree(*args, **kwargs):
        calls.append(1)
        return 3

    monkeypatch.setattr(dual_limit, "agreeing_digits", disagree)
    with pytest.raises(PrecisionError):
        gradient_flow_limit(SMALL, 2, "0.01", digits=10, method="full")
    assert len(calls) == 2


def test_non_convergence_raises(monkeypatch):
    monkeypatch.setattr(dual_limit, "MAX_NEWTON", 1)
    with pytest.raises(ConvergenceError):
        gradient_flow_limit(random_instance(3, 8, seed=2), 3, "1e-12", digits=20, method="full")
