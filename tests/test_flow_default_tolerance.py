"""The flows' default step tolerance is the documented one, and it buys the documented accuracy.

``numerics/flow.py`` (and :func:`integrate`) document rtol = atol = 10^-(dps-5) when none is given. Every other
flow test passes an explicit rtol, so a default silently loosened (to 10^-(dps/2), say) would go unnoticed. Two
checks: the tolerances handed to the integrator are exactly the documented ones, and a default-tolerance trajectory
agrees with an independent closed form to 10^-(dps-8) (1000 rtol, the flows' default convergence tolerance: room
for the global accumulation of local errors, far below what half the digits would give).

The reference: for A = (a), y = (b), depth 2, product scale alpha, the reduced flow is nu' = -4 (a x - b) with
x = 2 alpha sinh(a nu) (docs/theory: x(nu) = alpha phi_2(A^T nu), phi_2 = 2 sinh, c_2 = 4), so w = a nu obeys
w' = p - q sinh w, p = 4ab, q = 8 alpha a^2, w(0) = 0. With u = e^w, u' = (q + 2pu - qu^2)/2, whose roots are
u_pm = (p pm s)/q, s = sqrt(p^2 + q^2): (u - u_-)/(u_+ - u) = K e^{s t}, K = (1 - u_-)/(u_+ - 1), and
x(t) = alpha (u - 1/u). The full flow of the factors has the same x(t).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

import implicitreg.numerics.flow as flow
from implicitreg.numerics.flow import full_flow, integrate, reduced_flow
from implicitreg.numerics.instance import Instance

F = Fraction
A, B, ALPHA = F(1), F(1), F(1, 10)
TIMES = [F(k, 4) for k in range(1, 9)]


def _mp(v: Fraction) -> mpf:
    return mpf(v.numerator) / v.denominator


def closed_form_x(t) -> mpf:
    """x(t) of the 1 x 1 depth-2 flow (module docstring), with 30 guard digits."""
    with mpmath.extradps(30):
        a, b, alpha = _mp(A), _mp(B), _mp(ALPHA)
        p, q = 4 * a * b, 8 * alpha * a * a
        s = mpmath.sqrt(p * p + q * q)
        up, um = (p + s) / q, (p - s) / q
        E = (1 - um) / (up - 1) * mpmath.exp(s * (_mp(F(t)) if isinstance(t, (int, Fraction)) else mpf(t)))
        u = (um + E * up) / (1 + E)
        return alpha * (u - 1 / u)


def test_closed_form_solves_the_reduced_flow():
    """The reference itself: x(0) = 0 and dx/dt = 2 alpha a cosh(w) w' with w' = 4ab - 8 alpha a^2 sinh w."""
    with mpmath.workdps(50):
        assert abs(closed_form_x(0)) < mpf(10) ** -45
        for t in (F(1, 3), F(3, 2)):
            x = closed_form_x(t)
            w = mpmath.asinh(x / (2 * _mp(ALPHA)))
            dw = 4 * _mp(A * B) - 8 * _mp(ALPHA * A * A) * mpmath.sinh(w)
            dx = mpmath.diff(lambda tt: closed_form_x(tt), _mp(t))
            assert abs(dx - 2 * _mp(ALPHA) * _mp(A) * mpmath.cosh(w) * dw) < mpf(10) ** -30


@pytest.mark.parametrize("solver", [reduced_flow, full_flow])
@pytest.mark.parametrize("dps", [20, 30])
def test_default_step_tolerances_are_the_documented_ones(monkeypatch, solver, dps):
    seen = {}

    def spy(*args, **kwargs):
        seen.update(rtol=kwargs["rtol"], atol=kwargs["atol"])
        return integrate(*args, **kwargs)

    monkeypatch.setattr(flow, "integrate", spy)
    solver(Instance.from_lists([[1]], [1]), 2, "0.1", t_final=F(1, 4), until_converged=False, dps=dps,
           method="radau13")
    with mpmath.workdps(dps + 10):  # the value at the working precision dps: equal to dps - 2 digits
        assert abs(seen["rtol"] * mpf(10) ** (dps - 5) - 1) < mpf(10) ** -(dps - 2)
        assert seen["atol"] == seen["rtol"]


@pytest.mark.parametrize("solver", [reduced_flow, full_flow])
@pytest.mark.parametrize("dps, method", [(20, "radau"), (24, "radau9"), (30, "radau13")])
def test_default_tolerance_trajectory_matches_the_closed_form(solver, dps, method):
    res = solver(Instance.from_lists([[A]], [B]), 2, ALPHA, t_final=TIMES[-1], until_converged=False, dps=dps,
                 method=method, t_eval=TIMES)
    assert len(res.t) == len(TIMES)
    with mpmath.workdps(dps):
        promised = mpf(10) ** -(dps - 8)
        errors = [abs(x[0] - closed_form_x(t)) for t, x in zip(TIMES, res.x)]
    assert max(errors) <= promised, (mpmath.nstr(max(errors), 3), mpmath.nstr(promised, 3))


@pytest.mark.parametrize("dps, method", [(20, "radau"), (30, "radau13")])
def test_integrate_default_tolerance_is_accurate(dps, method):
    """:func:`integrate`'s own default (same documented 10^-(dps-5)): y' = -y from 1 on [0, 2] vs e^-t."""
    res = integrate(lambda t, y: [-y[0]], (0, 2), [1], jac=lambda t, y: [[-1]], method=method, dps=dps,
                    t_eval=[F(1, 2), 1, 2])
    with mpmath.workdps(dps):
        errors = [abs(y[0] - mpmath.exp(-mpf(t))) for t, y in zip(res.t, res.y)]
    assert len(errors) == 3 and max(errors) <= mpf(10) ** -(dps - 8)
