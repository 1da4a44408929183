"""Line searches must not accept steps that go the wrong way (the kind of the second planted-bug round's escape
``f64-face-armijo``, probed in every other line search of ``numerics/``; docs/mutation.md, "Second independent
round"). Each test watches the accepted iterates of one solver through its own callables (no solver logic is
re-implemented) and checks the documented rule: Armijo's sufficient decrease (or ascent) of the objective, or, for
the float64 comparison path, a decreasing residual. ~1 s in all.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

F = Fraction


# ---------------------------------------------------------------- float64 limit: "steps halved until the residual decreases"

@pytest.mark.parametrize("A, y, D, a", [
    ([[1, 0.5, 0.5]], [1], 2, 1e-8),
    ([[1, 2, 0.3], [0.5, -1, 1]], [1, 0.5], 2, 1e-10),
    ([[1, 0.5, 0.5]], [1], 3, 1e-8),
    ([[1, 2, 0.3], [0.5, -1, 1]], [1, 0.5], 3, 1e-6),
])
def test_float64_limit_accepts_only_steps_that_decrease_the_residual(monkeypatch, A, y, D, a):
    """float64_gradient_flow_limit's damped Newton halves each step 'until the residual decreases' and stops when
    it no longer can: the residuals ||a A h(A^T nu) - y|| of its accepted iterates (where it evaluates h' for the
    next Hessian) decrease strictly, and it ends well before its 500 iterations."""
    from implicitreg.numerics import float64_limit as fl

    h, dh, H = fl._numpy_potentials(str(D))
    accepted = []

    def dh_watched(w):
        accepted.append(np.array(w, dtype=float))
        return dh(w)

    monkeypatch.setattr(fl, "_numpy_potentials", lambda depth: (h, dh_watched, H))
    res = fl.float64_gradient_flow_limit(A, y, D, a)
    An, yn = np.asarray(A, dtype=float), np.asarray(y, dtype=float)
    r = [float(np.linalg.norm(a * (An @ h(w)) - yn)) for w in accepted]
    assert res.success and 3 <= len(r) < 100
    assert all(r1 < r0 for r0, r1 in zip(r, r[1:])), r


# ---------------------------------------------------------------- float64 dual Newton: Armijo on the dual objective

def test_float64_dual_newton_refuses_a_full_step_that_loses_objective():
    """Float64Dual.newton maximizes f(nu) = <y, nu> - alpha sum H(A^T nu) with Armijo's test f_new >= f + 1e-4 t
    slope (up to float64 noise). The objective seen at the full Newton step is lowered to f - 0.5e-4 slope (the
    solver's own state(), doctored at that one point): the step must be halved, not taken."""
    from implicitreg.numerics.float64_dual import Float64Dual

    P = Float64Dual([[F(1), F(1, 2)]], [F(1)], F(2))
    real_state, real_direction = P.state, P.direction
    seen = {"states": [], "directions": []}

    def direction(w, g):
        d = real_direction(w, g)
        seen["directions"].append((w, np.array(g), np.array(d)))
        return d

    def state(nu, la):
        s = real_state(nu, la)
        k = len(seen["states"])
        if k == 1:  # the first trial point: nu0 + 1 * d
            _, g, d = seen["directions"][0]
            f0 = float(P.y @ seen["states"][0][0]) - seen["states"][0][1][3]
            f_low = f0 - 0.5e-4 * float(g @ d)
            s = (s[0], s[1], s[2], float(P.y @ nu) - f_low)
        seen["states"].append((np.array(nu), s))
        return s

    P.state, P.direction = state, direction
    nu0, la = np.zeros(1), math.log(1e-3)
    nu, _, _, _ = P.newton(nu0, la, 1e-14, 1)
    d = seen["directions"][0][2]
    assert float(d @ d) > 0
    assert np.array_equal(seen["states"][1][0], nu0 + d)    # the full step was tried first ...
    assert not np.array_equal(nu, nu0 + d)                   # ... and refused
    f0 = float(P.y @ nu0) - real_state(nu0, la)[3]
    assert float(P.y @ nu) - real_state(nu, la)[3] > f0      # the accepted step is a real ascent


# ---------------------------------------------------------------- lambda_D Newton (error constants): Armijo on F

def test_lambda_d_newton_refuses_a_step_that_increases_the_objective(monkeypatch):
    """error_constants' damped Newton for lambda_D minimizes F(mu) = sum_{i in S^c} H_D(t_i(mu)) with Armijo's test
    F(trial) <= F - s dec / 4 outside the quadratic region. The objective seen at the first trial point is raised
    just above F (the module's own dual_potential, doctored at that one point): that step must be refused, so the
    next Hessian is not evaluated there."""
    from implicitreg.numerics import error_constants as ec

    A = [[F(1), F(9, 10), F(-9, 10), F(1, 2)], [F(0), F(3), F(1), F(-5)]]
    S, sig, C, lam0, D = [0], [1], [1, 2, 3], [F(1), F(0)], F(3)   # k = dim ker A_S^T = 1
    n = len(C)
    real_H, real_dH = ec.dual_potential, ec.link_derivative
    H_args, dH_args, H_vals = [], [], []

    def dual_potential(depth, v):
        val = real_H(depth, v)
        H_args.append(+v)
        if len(H_args) == 2 * n:   # the last term of the first trial's F: make F(trial) = F(start) (1 + 1e-20)
            f0 = mpmath.fsum(H_vals[:n])
            val = f0 * (1 + mpmath.mpf(10) ** -20) - mpmath.fsum(H_vals[n:2 * n - 1])
        H_vals.append(val)
        return val

    def link_derivative(depth, t):
        dH_args.append(+t)
        return real_dH(depth, t)

    monkeypatch.setattr(ec, "dual_potential", dual_potential)
    monkeypatch.setattr(ec, "link_derivative", link_derivative)
    with mpmath.workdps(30):
        ec._newton_direction(A, S, sig, C, lam0, D, 30)
    first_trial = H_args[n:2 * n]
    second_iterate = dH_args[n:2 * n]          # k = 1: n calls of h_D' per Hessian
    assert len(dH_args) >= 2 * n and first_trial != H_args[:n]
    assert second_iterate != first_trial       # the doctored (uphill) trial was not accepted
