"""The kink family A = [1, 1 - eps] (numerics.kink): limit constant, p = 2 asymptotics, transition, collapse, eps = 0."""
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, strategies as st

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import kink
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.proofs.derivations import selection as der
from implicitreg.proofs.suites.selection import KINK_SPEC
from implicitreg.theory.selection import KINK_CONSTANT, KINK_P2, KINK_TRANSITION


def test_limit_constant_matches_spec_to_8_digits():
    depth, eps, spec = KINK_SPEC["constant"]
    with mpmath.workdps(40):
        c = kink.limit_constant(eps, depth)
        assert abs(c - mpmath.mpf(spec)) <= mpmath.mpf("5e-6")  # 134.16356 printed to 8 significant digits
        sym = KINK_CONSTANT.bound("constant").evaluate(40, p=depth, epsilon=Fraction(eps))
        assert abs(sym - c) < mpmath.mpf(10) ** -30
        # mutants: constant x1.1 / halved, or the exponent of h's pole off, are caught at 8 digits
        assert abs(c * mpmath.mpf("1.1") - mpmath.mpf(spec)) > 1
        assert abs(KINK_CONSTANT.bound("constant").mutated(power=(sympy.Symbol("epsilon", positive=True),
                                                                   sympy.Rational(1, 10))).evaluate(
            40, p=depth, epsilon=Fraction(eps)) - c) > 1


@pytest.mark.parametrize("depth", [3, 4, 5])
@pytest.mark.parametrize("eps", ["0.3", "0.1", "0.03", "0.01"])
def test_flow_limit_over_alpha_p_tends_to_the_constant(depth, eps):
    """Two independent paths: the 1-D dual reduction and the engine's general flow limit, at alpha^p = 1e-60."""
    with mpmath.workdps(40):
        c = kink.limit_constant(eps, depth)
        one_d = kink.kink_limit(eps, depth, "1e-60", alpha_convention="product")
        flow = gradient_flow_limit(kink.kink_instance(eps), depth, "1e-60", alpha_convention="product", digits=20)
        err_flow = mpmath.sqrt((flow.x[0] - 1) ** 2 + flow.x[1] ** 2) / flow.alpha_product
        assert abs(one_d.error / one_d.alpha_product - c) / c < mpmath.mpf(10) ** -9
        assert abs(err_flow - c) / c < mpmath.mpf(10) ** -9
        # ~ sqrt(2) eps^(-p/(p-2)) for small eps
        if eps == "0.01":
            approx = mpmath.sqrt(2) * mpmath.mpf(eps) ** (-mpmath.mpf(depth) / (depth - 2))
            assert abs(c / approx - 1) < 0.05


def test_factor_and_product_conventions_agree():
    a = kink.kink_limit("0.1", 4, Fraction(1, 100), alpha_convention="factor")
    b = kink.kink_limit("0.1", 4, Fraction(1, 10 ** 8), alpha_convention="product")
    assert abs(a.error - b.error) < mpmath.mpf(10) ** -40 and a.alpha_convention == "factor"


@pytest.mark.parametrize("eps", ["0.3", "0.1"])
def test_p2_error_tends_to_the_power_law(eps):
    """||x_oo - x*|| ~ sqrt(1+(1-eps)^2) (alpha^2)^eps: ratio -> 1, with relative error shrinking in alpha."""
    ratios = []
    with mpmath.workdps(40):
        _p2_ratios(eps, ratios)
    assert abs(ratios[-1] - 1) < 1e-6
    assert abs(ratios[2] - 1) < abs(ratios[0] - 1)


def _p2_ratios(eps, ratios):
    for ap in ("1e-20", "1e-60", "1e-200"):
        r = kink.kink_limit(eps, 2, ap, alpha_convention="product").error
        ratios.append(r / kink.p2_error_asymptotic(eps, ap, alpha_convention="product"))
        statement = KINK_P2.bound("asymptotic").evaluate(30, alpha=mpmath.sqrt(mpmath.mpf(ap)), epsilon=Fraction(eps))
        assert abs(statement - kink.p2_error_asymptotic(eps, ap, alpha_convention="product")) < mpmath.mpf(10) ** -20 * statement


def test_data_collapse_matches_spec_and_profile():
    depth, values, aps = KINK_SPEC["collapse"]
    for ap in aps:
        for ratio, spec in values.items():
            err = kink.transition_error(depth, ratio, ap, alpha_convention="product")
            assert abs(err / mpmath.mpf(spec) - 1) < 0.02  # spec: 3-digit readings
            assert abs(err / kink.collapse_profile(depth, ratio) - 1) < 0.03
    # closer to the profile as alpha -> 0 (the collapse is a limit)
    err = kink.transition_error(3, 1, "1e-30", alpha_convention="product")
    assert abs(err / kink.collapse_profile(3, 1) - 1) < 1e-6


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_transition_scale_is_eps_star(depth):
    """The eps where the error crosses 1/4 is a fixed multiple of eps*(alpha), equal to the profile's crossing;
    a mutant scale alpha^(p-2+0.1) (or 1/log^1.1 for p = 2) drifts."""
    aps = ("1e-12", "1e-24", "1e-36") if depth > 2 else ("1e-40", "1e-80", "1e-160")
    ratios, mutant = [], []
    for ap in aps:
        et = kink.transition_epsilon(depth, ap, "0.25", alpha_convention="product", dps=25)
        es = kink.transition_scale(depth, ap, alpha_convention="product")
        ratios.append(et / es)
        factor = mpmath.power(mpmath.mpf(ap), mpmath.mpf(1) / 10 / depth) if depth > 2 else es ** mpmath.mpf("0.1")
        mutant.append(et / (es * factor))
    target = mpmath.findroot(lambda r: kink.collapse_profile(depth, r) - mpmath.mpf("0.25"), 1)
    assert max(ratios) / min(ratios) < 1.02
    assert abs(ratios[-1] / target - 1) < 0.01
    assert max(mutant) / min(mutant) > 1.1  # vs < 1.02 for the true scale
    # the statement's scale expression is the same quantity (alpha per factor)
    name = "scale_2" if depth == 2 else "scale_p"
    a_factor = mpmath.power(mpmath.mpf(aps[0]), mpmath.mpf(1) / depth)
    stmt = KINK_TRANSITION.bound(name).evaluate(30, alpha=a_factor, p=depth) if depth > 2 else \
        KINK_TRANSITION.bound(name).evaluate(30, alpha=a_factor)
    assert abs(stmt / kink.transition_scale(depth, aps[0], alpha_convention="product") - 1) < 1e-20


@given(depth=st.sampled_from((2, 3, 4, Fraction(5, 2))), e=st.integers(-60, -1))
def test_continuity_at_eps_zero(depth, e):
    """At eps = 0, x_oo = (1/2, 1/2) for every alpha; x_oo(eps) -> (1/2, 1/2) as eps -> 0, so the error to
    x* = (1, 0) stays near 1/sqrt(2) for tiny eps at any fixed alpha."""
    ap = mpmath.mpf(10) ** e
    r0 = kink.kink_limit(0, depth, Fraction(10) ** e, alpha_convention="product")
    assert max(abs(v - mpmath.mpf("0.5")) for v in r0.x) < mpmath.mpf(10) ** -40
    small = kink.kink_limit(Fraction(1, 10 ** 80), depth, Fraction(10) ** e, alpha_convention="product")
    assert abs(small.error - 1 / mpmath.sqrt(2)) < mpmath.mpf(10) ** -6
    assert ap > 0


def test_kink_derivation_steps_hold():
    steps = der.kink_steps()
    assert steps and all(s.holds for s in steps)


def test_bad_inputs():
    for bad in (-0.1, 1, "x"):
        with pytest.raises(InvalidParameterError):
            kink.kink_limit(bad, 3, "1e-3")
    with pytest.raises(InvalidParameterError):
        kink.kink_limit("0.1", 3, 0)
    with pytest.raises(InvalidParameterError):
        kink.limit_constant("0.1", 2)
    with pytest.raises(InvalidParameterError):
        kink.limit_constant(0, 3)
    with pytest.raises(InvalidParameterError):
        kink.transition_epsilon(3, "1e-3", 0.9)
    with pytest.raises(InvalidParameterError):
        kink.kink_limit("0.1", 3, "1e-3", alpha_convention="layer")
