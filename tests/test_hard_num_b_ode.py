"""Hardening (issue 13): the step loop of numerics.ode (accept/reject, step-size constants, underflow, limits),
the flows' documented defaults and refusals (numerics.flow), and closed forms of numerics.potentials.

The step-size rule is the module's documented one: h_new = h min(MAX_FACTOR, max(MIN_FACTOR, SAFETY err^(-1/(q+1))))
with SAFETY 0.9, MIN_FACTOR 0.2, MAX_FACTOR 5, h / 4 after a failed attempt; a scripted solver returns chosen
error norms so that every constant is observed alone.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics import flow
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.ode import Attempt, DormandPrince, OdeSolver, integrate
from implicitreg.numerics.potentials import (DomainError, dual_potential, factor_scale, flow_rate, link,
                                             link_derivative, product_scale)


class Scripted(OdeSolver):
    """An OdeSolver whose attempts return scripted error norms ("fail": the attempt raises DomainError)."""

    error_order = 1

    def __init__(self, errors, t0=0, first_step=1, limit=None):
        self.errors, self.hs, self.limit = list(errors), [], limit
        super().__init__(lambda t, y: [mpf(0)], t0, [mpf(1)], None, mpf("1e-10"), mpf("1e-10"),
                         first_step=mpf(first_step))

    def _attempt(self, t, y, f, h):
        self.hs.append(h)
        if self.limit is not None and len(self.hs) > self.limit:
            raise RuntimeError("too many attempts: the step-size underflow was not detected")
        e = self.errors.pop(0) if self.errors else "fail"
        if e == "fail":
            raise DomainError("scripted failure")
        return Attempt(y=y, f=f, error=mpf(e))


def close(a, b, eps=mpf(10) ** -14):  # the step-size constants are 53-bit mpf (set at import)
    return abs(mpf(a) - mpf(b)) <= eps * max(1, abs(mpf(b)))


def test_zero_error_grows_the_step_by_max_factor_exactly():
    with mpmath.workdps(30):
        s = Scripted([0])
        s.step()
        assert s.t == 1 and s.h == 5


def test_rejection_with_a_huge_error_shrinks_by_min_factor_then_grows():
    with mpmath.workdps(30):
        s = Scripted(["1e10", 0])
        s.step()
        assert s.nrejected == 1
        assert close(s.hs[1], "0.2") and close(s.t, "0.2") and close(s.h, 1)


def test_accepted_step_uses_safety_times_err_power():
    with mpmath.workdps(30):
        s = Scripted(["0.25"])  # q = 1: factor = 0.9 * 0.25^(-1/2) = 1.8
        s.step()
        assert s.t == 1 and close(s.h, "1.8")
        s = Scripted([1])  # err = 1 exactly is accepted, factor = SAFETY
        s.step()
        assert s.t == 1 and s.nrejected == 0 and close(s.h, "0.9")


def test_rejected_step_factor_and_error_just_above_one():
    with mpmath.workdps(30):
        s = Scripted(["4", 0])  # rejected: factor = 0.9 * 4^(-1/2) = 0.45
        s.step()
        assert s.nrejected == 1 and close(s.hs[1], "0.45")
        s = Scripted(["1.0000001", 0])
        s.step()
        assert s.nrejected == 1


def test_failed_attempt_quarters_the_step():
    with mpmath.workdps(30):
        s = Scripted(["fail", "fail", 0])
        s.step()
        assert s.nrejected == 2 and s.hs[1] == mpf(1) / 4 and s.hs[2] == mpf(1) / 16


def test_step_size_underflow_is_detected_relative_to_t():
    with mpmath.workdps(30):
        s = Scripted([], t0=1, limit=1000)  # every attempt fails: h / 4 until h <= |t| 2^(-prec+8)
        with pytest.raises(ConvergenceError, match="step size underflow at t = 1"):
            s.step()
        # 1 * 4^-k <= 2^(-prec+8): k = ceil((prec - 8) / 2) failed attempts
        assert len(s.hs) <= (mpmath.mp.prec - 8) // 2 + 2


def test_integrate_refusals_at_their_boundaries():
    f = lambda t, y: [mpf(0)]  # noqa: E731
    with pytest.raises(InvalidParameterError, match="dps must be an integer >= 5"):
        integrate(f, (0, 1), [1], dps=4, method="rk45")
    assert integrate(f, (0, 1), [1], dps=5, method="rk45").success
    with pytest.raises(InvalidParameterError, match="rtol and atol must be > 0"):
        integrate(f, (0, 1), [1], rtol="1e-10", atol=0, method="rk45")
    with pytest.raises(InvalidParameterError, match="rtol and atol must be > 0"):
        integrate(f, (0, 1), [1], rtol=0, atol="1e-10", method="rk45")
    with pytest.raises(InvalidParameterError, match="t_eval must lie inside t_span"):
        integrate(f, (0, 1), [1], t_eval=[0.5, 2], method="rk45")
    with pytest.raises(InvalidParameterError, match="t_eval must lie inside t_span"):
        integrate(f, (0, 1), [1], t_eval=[-1, 0.5], method="rk45")
    res = integrate(f, (0, 1), [1], t_eval=[0, 1], method="rk45")
    assert res.t == [0, 1]


def test_max_steps_is_exact():
    f = lambda t, y: [mpf(0)]  # noqa: E731
    res = integrate(f, (0, 10 ** 6), [1], method="rk45", max_steps=3, first_step="1e-3")
    assert res.status == -1 and res.nsteps == 3 and not res.success
    assert "maximum number of steps (3)" in res.message
    # zero error: the steps grow by MAX_FACTOR = 5: t = 1e-3 (1 + 5 + 25)
    assert close(res.t[-1], "0.031")


def test_dormand_prince_error_weights_are_b5_minus_b4():
    # Dormand & Prince (1980): 4th-order weights of the embedded pair
    b4 = [F(5179, 57600), F(0), F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100), F(1, 40)]
    b5 = list(DormandPrince.A[6]) + [F(0)]
    assert [F(e) for e in DormandPrince.E] == [F(x) - y for x, y in zip(b5, b4)]


def test_dense_output_refuses_times_outside_the_run():
    res = integrate(lambda t, y: [-y[0]], (0, 1), [1], dps=15, rtol="1e-8", dense_output=True)
    assert abs(res.sol(mpf("0.5"))[0] - mpmath.exp(-0.5)) < 1e-6
    for t in (2, -1, "1.0001"):
        with pytest.raises(InvalidParameterError, match="outside the integrated interval"):
            res.sol(t)


# --- flows: documented defaults and refusals --------------------------------------------------------------------

def test_flow_default_tolerances():
    with mpmath.workdps(40):
        tol, rtol, atol = flow._tolerances(30, None, None, None)
        assert tol == mpf(10) ** -22 and rtol == mpf(10) ** -25 and atol == rtol
        tol, rtol, atol = flow._tolerances(30, "1e-5", "1e-6", "1e-7")
        assert (tol, rtol, atol) == (mpf("1e-5"), mpf("1e-6"), mpf("1e-7"))


def test_flow_needs_a_final_time_or_convergence():
    inst = Instance.from_lists([[1, 2]], [1])
    with pytest.raises(InvalidParameterError, match="give t_final or until_converged"):
        flow.reduced_flow(inst, 2, "0.1", until_converged=False, max_steps=20)  # max_steps: no hang if accepted
    with pytest.raises(InvalidParameterError, match="give t_final or until_converged"):
        flow.full_flow(inst, 2, "0.1", max_steps=20)


def test_gradient_descent_default_tolerance_and_distance_to_a_supplied_limit():
    inst = Instance.from_lists([[1]], [1])
    res = flow.gradient_descent(inst, 2, "0.01", "0.1", dps=20, limit=[2, 0], compute_limit=False)
    assert res.residual <= mpf(10) ** -10 and "1.0e-10" in res.message
    assert abs(res.distance_to_limit - 1) < mpf(10) ** -9  # |x - 2| with x ~ 1: positive
    res = flow.gradient_descent(inst, 2, "0.01", "0.1", dps=20, limit=[0], compute_limit=False)
    assert abs(res.distance_to_limit - 1) < mpf(10) ** -9


def test_factor_reaching_zero_leaves_the_domain_for_fractional_depth():
    inst = Instance.from_lists([[1]], [1])
    with mpmath.workdps(30):
        P = flow._Problem(inst, "5/2", "0.1", "product")
        with pytest.raises(DomainError):
            P.power(mpf(0), mpf("1.5"))
        with pytest.raises(DomainError):
            P.power(mpf(-1), mpf("1.5"))
        assert P.power(mpf(4), mpf("1.5")) == 8
        assert flow._Problem(inst, 3, "0.1", "product").power(mpf(0), 2) == 0


# --- potentials: closed forms -----------------------------------------------------------------------------------

def test_link_domain_is_open():
    with mpmath.workdps(30):
        for z in (1, -1, "1.5"):
            with pytest.raises(DomainError):
                link(3, mpf(z))
            with pytest.raises(DomainError):
                link_derivative(3, mpf(z))
            with pytest.raises(DomainError):
                dual_potential(3, mpf(z))
        assert link(2, mpf(1)) == 2 * mpmath.sinh(1)


def test_flow_rate_closed_forms():
    with mpmath.workdps(30):
        assert flow_rate(2, F(1, 8)) == 4
        assert close(flow_rate(3, F(1, 8)), "1.5")      # 3 * 1 * (1/8)^(1/3)
        assert close(flow_rate(4, F(1, 4)), 4)          # 4 * 2 * (1/4)^(1/2)
        assert close(flow_rate("5/2", F(1, 32)), mpf(5) / 4 * mpf(2) ** -1)  # (5/2)(1/2) (1/32)^(1/5)


def test_product_and_factor_scales():
    with mpmath.workdps(30):
        assert product_scale(F(1, 2), 3, "factor") == mpf(1) / 8
        assert close(product_scale(F(1, 4), F(5, 2), "factor"), mpf(1) / 32)  # (1/4)^(5/2)
        assert product_scale(F(1, 4), F(5, 2), "product") == mpf(1) / 4
        assert close(factor_scale(F(1, 8), 3), "0.5")
        assert close(factor_scale(F(1, 32), F(5, 2)), "0.25")
        with pytest.raises(InvalidParameterError):
            product_scale(1, 3, "per-factor")


def test_dual_potential_closed_forms():
    with mpmath.workdps(30):
        assert close(dual_potential(3, mpf(1) / 2), mpf(11) / 9)  # (1/2)[4 + 4/9 - 2]
        assert close(dual_potential(4, mpf(1) / 2), mpf(2) / 3)   # 1 * [2 + 2/3 - 2]
        assert close(dual_potential(2, mpf(2)), 2 * mpmath.cosh(2) - 2)
