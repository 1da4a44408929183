"""numerics.ode: the template step loop, Radau's error controls and dense output."""
from __future__ import annotations

import dataclasses

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import ode
from implicitreg.numerics.ode import Attempt, OdeSolver, integrate


def _linear(t, y):  # y' = -y, y(0) = 1: y = exp(-t); and z' = -10 z (a stiffer component)
    return [-y[0], -10 * y[1]]


def _exact(t):
    return [mpmath.exp(-t), mpmath.exp(-10 * t)]


@pytest.mark.parametrize("error", ["doubling", "embedded"])
def test_radau_error_controls_reach_the_tolerance(error):
    res = integrate(_linear, (0, 2), [1, 1], jac=lambda t, y: [[-1, 0], [0, -10]], method="radau9", rtol="1e-20",
                    atol="1e-24", dps=30, error=error)
    assert res.success and res.method == "radau9"
    with mpmath.workdps(30):
        assert max(abs(a - b) for a, b in zip(res.y[-1], _exact(res.t[-1]))) < mpf("1e-17")


def test_dense_output_between_steps():
    res = integrate(_linear, (0, 2), [1, 1], jac=lambda t, y: [[-1, 0], [0, -10]], method="radau13",
                    rtol="1e-25", dps=35, dense_output=True)
    with mpmath.workdps(35):
        for t in ("0.123", "0.77", "1.999"):
            y = res.sol(t)
            # the collocation polynomial has the stage order s inside a step (the step order 2s - 1 only at its end)
            assert max(abs(a - b) for a, b in zip(y, _exact(mpf(t)))) < mpf("1e-12")
        # a wrong polynomial (the state at the step's start) is caught at these digits
        assert max(abs(a - b) for a, b in zip(res.y[1], _exact(mpf("0.123")))) > mpf("1e-10")
    with pytest.raises(InvalidParameterError):
        res.sol("2.5")
    with pytest.raises(InvalidParameterError):
        integrate(_linear, (0, 1), [1, 1], method="rk45", dense_output=True)


class _FixedError(OdeSolver):
    """A solver whose attempts always report the same error norm (to test the step-size rule)."""

    error_order = 3

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(lambda t, y: [mpf(0)], 0, [1], None, mpf("1e-10"), mpf("1e-10"), first_step=mpf(1))

    def _attempt(self, t, y, f, h):
        return Attempt(y=y, f=f, error=self.errors.pop(0))


def test_a_step_with_error_norm_above_one_is_rejected():
    """Step acceptance: an attempt is taken iff its error norm is <= 1 (a planted-bug escape: a norm above 1 taken)."""
    with mpmath.workdps(30):
        for first in ("1.0001", "2", "9.5"):
            s = _FixedError([mpf(first), mpf("0.5")])
            s.step()
            assert s.nrejected == 1 and not s.errors, first      # the first attempt was rejected, the second taken
        s = _FixedError([mpf(1), mpf("0.5")])
        s.step()
        assert s.nrejected == 0 and s.errors, "an error norm of exactly 1 is accepted"


def test_template_step_size_rule():
    with mpmath.workdps(30):
        s = _FixedError([mpf("1e-12")])
        s.step()
        assert s.h == ode.MAX_FACTOR and s.t == 1  # tiny error: grown by MAX_FACTOR
        s = _FixedError([mpf(16), mpf("0.5")])
        s.step()  # rejected once (factor SAFETY 16^(-1/4) = 0.45, above MIN_FACTOR), then accepted
        assert s.nrejected == 1
        h1 = ode.SAFETY * mpf(16) ** (-mpf(1) / 4)
        assert abs(s.t - h1) < mpf("1e-25")
        assert abs(s.h - h1 * ode.SAFETY * mpf("0.5") ** (-mpf(1) / 4)) < mpf("1e-25")
        s = _FixedError([mpf(10) ** 8, mpf(0)])
        s.step()
        assert abs(s.t - ode.MIN_FACTOR) < mpf("1e-25")  # a huge error: shrunk by MIN_FACTOR, not more


def test_results_are_frozen():
    res = integrate(_linear, (0, 1), [1, 1], method="rk45", rtol="1e-10", dps=20)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.status = 3
    assert res.to_json()["success"] is True


def test_embedded_constants_are_radau5s():
    """s = 3: gamma0 = 1/u1 (u1 the real eigenvalue of A^-1) and u1 e_j = DD1..DD3 of Hairer's RADAU5 (published
    closed forms -(13 + 7 sqrt 6)/3, (-13 + 7 sqrt 6)/3, -1/3), an independent source for the embedded formula."""
    with mpmath.workdps(40):
        c, A = ode._radau_coefficients(3)
        gamma0, e = ode._embedded_coefficients(c, A)
        u1 = 1 / gamma0
        assert abs(u1 - 1 / ((6 + mpf(81) ** (mpf(1) / 3) - mpf(9) ** (mpf(1) / 3)) / 30)) < mpf("1e-35")
        s6 = mpmath.sqrt(6)
        for got, want in zip(e, [-(13 + 7 * s6) / 3, (-13 + 7 * s6) / 3, -mpf(1) / 3]):
            assert abs(u1 * got - want) < mpf("1e-35")
        # a wrong gamma0 (the eigenvalue of A^-1 itself, as an earlier version used) is told apart
        assert abs(u1 - gamma0) > 1


@pytest.mark.parametrize("stages", [9, 11])
def test_high_order_tableaus_satisfy_the_quadrature_conditions(stages):
    """B(2s - 1): sum_j b_j c_j^(k-1) = 1/k for k <= 2s - 1 (and not for k = 2s); C(s): sum_j a_ij c_j^(k-1) = c_i^k / k."""
    with mpmath.workdps(40):
        c, A = ode._radau_coefficients(stages)
        b = A[-1]
        for k in range(1, 2 * stages):
            assert abs(mpmath.fsum(bj * cj ** (k - 1) for bj, cj in zip(b, c)) - mpf(1) / k) < mpf("1e-35")
        assert abs(mpmath.fsum(bj * cj ** (2 * stages - 1) for bj, cj in zip(b, c)) - mpf(1) / (2 * stages)) > mpf("1e-20")
        for i in range(stages):
            for k in range(1, stages + 1):
                assert abs(mpmath.fsum(A[i][j] * c[j] ** (k - 1) for j in range(stages)) - c[i] ** k / k) < mpf("1e-35")


def test_float64_and_arb_stage_algebra_agree():
    """The float64 Newton matrix only changes the contraction, not the converged stages: both runs agree to ~tol."""
    runs = [integrate(_linear, (0, 1), [1, 1], jac=lambda t, y: [[-1, 0], [0, -10]], method="radau21",
                      rtol="1e-30", dps=40, linear_algebra=la) for la in ("float64", "arb")]
    with mpmath.workdps(40):
        for r in runs:
            assert max(abs(a - b) for a, b in zip(r.y[-1], _exact(r.t[-1]))) < mpf("1e-28")
        assert max(abs(a - b) for a, b in zip(runs[0].y[-1], runs[1].y[-1])) < mpf("1e-29")
    with pytest.raises(InvalidParameterError):
        integrate(_linear, (0, 1), [1, 1], linear_algebra="float32")
