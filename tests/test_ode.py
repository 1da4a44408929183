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
