"""Hardening (issue 13), fourth set: result fields compared exactly (output times, statuses, flow measures, LP duals
of dropped rows, enumeration flags, minimum-norm w*, sharpness at the balanced minimizer).
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.errors import HypothesisNotMetError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics import flow
from implicitreg.numerics.exact import fraction_str
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.lp_exact import linprog_exact
from implicitreg.numerics.ode import integrate
from implicitreg.numerics.vertex_enumeration import enumerate_l1, nsp_constant_bruteforce


# --- integrate: output times hit exactly, stop and budget statuses -------------------------------------------

@pytest.mark.parametrize("method", ["rk45", "radau"])
def test_t_eval_times_are_hit_exactly(method):
    with mpmath.workdps(20):
        ts = [F(1, 3), F(2, 3), F(1)]
        res = integrate(lambda t, y: [-y[0]], (0, 1), [1], t_eval=ts, dps=20, rtol="1e-10", method=method)
        assert res.t == [mpmath.mpf(1) / 3, mpmath.mpf(2) / 3, mpmath.mpf(1)] and len(res.y) == 3
        assert res.status == 0 and res.success
        assert abs(res.y[-1][0] - mpmath.exp(-1)) < 1e-8
        res = integrate(lambda t, y: [-y[0]], (0, 1), [1], t_eval=[0, F(1, 2)], dps=20, method=method)
        assert res.t == [0, mpmath.mpf(1) / 2] and res.y[0] == [1]


def test_stop_condition_and_time_budget_statuses():
    res = integrate(lambda t, y: [mpf(1)], (0, mpmath.inf), [0], method="rk45", dps=15,
                    stop=lambda t, y: y[0] >= 2)
    assert res.status == 1 and res.success and res.message == "stop condition met"
    assert res.y[-1][0] >= 2 and res.y[-2][0] < 2 and abs(res.t[-1] - res.y[-1][0]) < 1e-12
    res = integrate(lambda t, y: [mpf(1)], (0, 1), [0], method="rk45", dps=15, time_budget=0)
    assert res.status == -1 and not res.success and "time budget" in res.message and res.nsteps == 0


# --- flows: residual is the inf-norm, loss is 1/2 ||r||^2 --------------------------------------------------

def test_flow_measures_at_the_start():
    inst = Instance.from_lists([[1, 0], [0, 1]], [-4, 3])   # the largest residual is not the last one
    res = flow.reduced_flow(inst, 2, "0.01", t_final="1e-6", until_converged=False, dps=15)
    assert res.residual[0] == 4 and res.loss[0] == mpf(25) / 2 and res.x[0] == [0, 0]
    assert res.t[0] == 0 and res.kind == "reduced" and res.alpha == F(1, 100) and res.depth == 2
    full = flow.full_flow(inst, 2, "0.01", t_final="1e-6", dps=15)
    assert full.residual[0] == 4 and full.loss[0] == mpf(25) / 2 and full.kind == "full"
    assert abs(full.residual[-1] - res.residual[-1]) < 1e-9


def test_flow_conventions_in_the_result():
    inst = Instance.from_lists([[1, 2]], [1])
    res = flow.reduced_flow(inst, 3, "0.5", alpha_convention="factor", t_final="1e-3", until_converged=False,
                            dps=15)
    assert res.alpha == F(1, 2) and res.alpha_convention == "factor" and res.alpha_product == mpf(1) / 8


# --- exact LP: a dependent row gets dual 0 --------------------------------------------------------------------

def test_lp_dual_of_a_dropped_row_is_zero():
    sol = linprog_exact([1, 2], [[1, 1], [2, 2]], [1, 2])
    assert sol.value == 1 and sol.z == (F(1), F(0)) and sol.dual == (F(1), F(0))
    sol = linprog_exact([1, 2], [[2, 2], [1, 1]], [2, 1])
    assert sol.dual == (F(1, 2), F(0))
    sol = linprog_exact([1, 2], [[0, 0], [1, 1]], [0, 1])   # the zero row is dropped: its dual is 0
    assert sol.value == 1 and sol.dual == (F(0), F(1))


# --- vertex enumeration: flags and supports -------------------------------------------------------------------

def test_enumeration_of_a_non_unique_minimum():
    res = enumerate_l1([[1, 1, 2]], [2])   # vertices (2,0,0), (0,2,0), (0,0,1): values 2, 2, 1
    assert res.value == 1 and res.unique and res.support == (2,) and res.signs == (1,)
    res = enumerate_l1([[1, -1]], [1])      # (1, 0) and (0, -1), both of norm 1
    assert res.value == 1 and not res.unique and res.support == (0, 1) and res.signs == (1, -1)
    assert sorted(res.vertices) == [(F(0), F(-1)), (F(1), F(0))]


def test_nsp_constant_by_hand():
    assert nsp_constant_bruteforce([[1, 1, 1]], [0]) == 1
    assert nsp_constant_bruteforce([[1, 2, 2]], [0]) == 2   # v0 = -2 (v1 + v2), ||v_Sc||_1 = 1
    with pytest.raises(HypothesisNotMetError):
        nsp_constant_bruteforce([[1, 1, 0], [0, 0, 1]], [0, 1])


def test_fraction_str():
    assert [fraction_str(F(v)) for v in (-3, F(2, 4), F(-1, 3), 0)] == ["-3", "1/2", "-1/3", "0"]


# --- deep linear data: the minimum-norm w*, sharpness at the balanced minimizer --------------------------------

def test_target_is_the_minimum_norm_least_squares_solution():
    d = dl.RegressionData.from_lists([[1, 1], [2, 2]], [1, 2])
    assert d.target_exact == [F(1, 2), F(1, 2)] and d.minimal_loss_exact == 0
    assert d.covariance_exact == [[F(5, 2), F(5, 2)], [F(5, 2), F(5, 2)]]
    assert d.moment_exact == [F(5, 2), F(5, 2)]


def test_sharpness_at_the_balanced_minimizer_equals_S_bal():
    data = dl.eigenvector_data([2, 1], 0, 2)   # S_bal = 2 * 2^(2 - 2/L) * 2L
    with mpmath.workdps(30):
        for L in (2, 3):
            net = dl.balanced_rank_one_minimizer(data.w_star("mp"), L)
            expected = 2 * mpf(2) ** (2 - mpf(2) / L) * 2 * L
            assert abs(dl.sharpness_exact(net, data).value - expected) < mpf(10) ** -25 * expected
            assert abs(dl.sharpness_closed_form(net, data).value - expected) < mpf(10) ** -25 * expected
            fl = dl.sharpness_exact(net.as_float(), data).value
            assert abs(fl - float(expected)) < 1e-12 * float(expected)
            assert abs(dl.sharpness_lanczos(net, data).value - expected) < mpf(10) ** -20 * expected
    assert np.isfinite(fl)
