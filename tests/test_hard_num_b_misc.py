"""Hardening (issue 13), fifth set: option refusals of the integrators and flows, the float deep-linear flow's step
budget and stop statuses, and the exact entry formats read by numerics.exact.
"""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics import flow
from implicitreg.numerics.exact import parse_exact
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.ode import integrate


def test_integrator_option_refusals():
    f = lambda t, y: [mpf(0)]  # noqa: E731
    with pytest.raises(InvalidParameterError, match="unknown method 'rk4'"):
        integrate(f, (0, 1), [1], method="rk4")
    with pytest.raises(InvalidParameterError, match="dense_output is available for the Radau methods"):
        integrate(f, (0, 1), [1], method="rk45", dense_output=True)
    with pytest.raises(InvalidParameterError, match="error must be 'embedded' or 'doubling'"):
        integrate(f, (0, 1), [1], error="richardson")
    with pytest.raises(InvalidParameterError, match="linear_algebra must be 'float64' or 'arb'"):
        integrate(f, (0, 1), [1], linear_algebra="float32")
    with pytest.raises(InvalidParameterError, match="t_span must be increasing"):
        integrate(f, (1, 1), [1], method="rk45")
    for dps in (5.0, True, "30"):
        with pytest.raises(InvalidParameterError, match="dps must be an integer"):
            integrate(f, (0, 1), [1], dps=dps, method="rk45")


def test_flow_option_refusals():
    inst = Instance.from_lists([[1, 2]], [1])
    with pytest.raises(InvalidParameterError, match="newton must be 'full' or 'simplified'"):
        flow.reduced_flow(inst, 2, "0.1", t_final=1, newton="exact")
    with pytest.raises(InvalidParameterError, match="alpha_convention"):
        flow.reduced_flow(inst, 2, "0.1", t_final=1, alpha_convention="layer")
    with pytest.raises(InvalidParameterError):
        flow.reduced_flow(inst, 2, 0, t_final=1)
    with pytest.raises(InvalidParameterError):
        flow.full_flow(inst, "1.5", "0.1", t_final=1)


def test_float_deep_flow_step_budget_and_start_at_a_minimizer():
    data = dl.RegressionData.from_lists([[1, 0], [0, 2]], [1, 2])
    net0 = dl.small_init(2, 2, 0.3, np.random.default_rng(2))
    res = dl.gradient_flow(net0, data, 1e6, stop_excess_loss=1e-30, max_steps=3)
    assert res.status == -1 and not res.success and "max_steps = 3" in res.message
    at_min = dl.balanced_rank_one_minimizer(data.w_star("float"), 2)
    res = dl.gradient_flow(at_min, data, 10.0, stop_excess_loss=1e-12)
    assert res.status == 1 and res.nfev == 0 and res.t == 0.0


@pytest.mark.parametrize("text, value", [(" 3 / 7 ", F(3, 7)), ("3/-7", F(-3, 7)), ("+4/6", F(2, 3)),
                                         (".5", F(1, 2)), ("5.", F(5)), ("-2.5E-1", F(-1, 4)), ("1e+2", F(100)),
                                         ("0007", F(7))])
def test_exact_entry_formats(text, value):
    assert parse_exact(text) == value


@pytest.mark.parametrize("text", ["1/0", "0/0", "1.2.3", "1e", "e5", "0x10", "1_000", "inf", "nan", "", " ", "3/", "/3",
                                  "1//2", "1e5.5"])
def test_exact_entry_refusals(text):
    with pytest.raises(InvalidInstanceError):
        parse_exact(text)


def test_exact_non_numbers_refused():
    for v in (True, np.bool_(True), None, [1], 1j, float("nan"), np.float32("inf"), mpf(1)):
        with pytest.raises(InvalidInstanceError):
            parse_exact(v)
    assert parse_exact(np.float32(0.1)) == F(1, 10) and parse_exact(np.int64(-3)) == -3
    assert parse_exact(0.1) == F(1, 10) and parse_exact(1e-300) == F(1, 10 ** 300)
