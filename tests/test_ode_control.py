"""numerics.ode: Radau's error controls (embedded vs step doubling), their teeth, dense output, the stage Newton."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg.numerics import ode
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.flow import reduced_flow
from implicitreg.numerics.ode import integrate
from strategies_engine import random_instance


def _logistic(t, y):  # y' = y (1 - y), y(0) = 1/10: y = 1 / (1 + 9 e^-t)
    return [y[0] * (1 - y[0])]


def _logistic_jac(t, y):
    return [[1 - 2 * y[0]]]


def _logistic_exact(t):
    return 1 / (1 + 9 * mpmath.exp(-t))


def _error(res):
    return abs(res.y[-1][0] - _logistic_exact(res.t[-1]))


def _solver(error, stages=5):
    return ode.RadauIIA(_logistic, 0, [mpf(1) / 10], None, mpf("1e-20"), mpf("1e-20"), jac=_logistic_jac,
                        stages=stages, error=error)


def test_embedded_estimate_has_order_s_and_bounds_the_true_error():
    """One step of size h from y0: the embedded estimate ~ h^(s+1) (halving h divides it by ~2^(s+1)), and it is
    above the true error of y_1 (order 2s - 1), here measured exactly against the closed form."""
    with mpmath.workdps(40):
        for stages in (3, 5):
            est, true = [], []
            for h in (mpf(1) / 8, mpf(1) / 16):
                s = _solver("embedded", stages)
                s._begin_step(s.t, s.y, s.f)
                att = s._attempt(s.t, s.y, s.f, h)
                est.append(att.error * s.est_rtol)  # back from the tolerance units (|y| < 1, atol = rtol)
                true.append(abs(att.y[0] - _logistic_exact(h)))
            slope = float(mpmath.log(est[0] / est[1], 2))
            assert stages + 0.5 < slope < stages + 1.5, (stages, slope)
            assert all(e > 2 * t for e, t in zip(est, true))


def test_embedded_and_doubling_agree_at_moderate_tolerance():
    """Both controls reach the same end point to about rtol (1e-14, where the order-s estimate is designed to work)."""
    with mpmath.workdps(30):
        runs = [integrate(_logistic, (0, 4), ["0.1"], jac=_logistic_jac, method="radau9", rtol="1e-14", dps=30,
                          error=error) for error in ("embedded", "doubling")]
        for r in runs:
            assert _error(r) < mpf("1e-13")
        assert abs(runs[0].y[-1][0] - runs[1].y[-1][0]) < mpf("1e-13")


@pytest.mark.parametrize("error", ["embedded", "doubling"])
def test_a_planted_underestimate_is_caught(error, monkeypatch):
    """An error estimate scaled by 1e-3 (a planted bug) lets the global error grow past the check that the honest
    estimate passes."""
    rtol = "1e-16"

    def run():
        with mpmath.workdps(30):
            res = integrate(_logistic, (0, 6), ["0.1"], jac=_logistic_jac, method="radau9", rtol=rtol, dps=30,
                            error=error)
            return _error(res)

    check = lambda err: err < 20 * mpf(rtol)  # noqa: E731
    assert check(run())
    original = ode.RadauIIA._attempt

    def scaled(self, t, y, f, h):
        att = original(self, t, y, f, h)
        return ode.Attempt(y=att.y, f=att.f, error=att.error / 1000, data=att.data)

    monkeypatch.setattr(ode.RadauIIA, "_attempt", scaled)
    assert not check(run())


def test_dense_output_matches_the_integrated_points():
    """sol(t_k) is the accepted y_k at every step end (to the working precision), and between steps it agrees with
    a run that steps exactly to those times to the stage order."""
    with mpmath.workdps(35):
        res = integrate(_logistic, (0, 3), ["0.1"], jac=_logistic_jac, method="radau13", rtol="1e-25", dps=35,
                        dense_output=True)
        for tk, yk in list(zip(res.t, res.y))[1:]:
            assert abs(res.sol(tk)[0] - yk[0]) < mpf("1e-33")
        times = [mpf("0.37"), mpf("1.234"), mpf("2.5")]
        stepped = integrate(_logistic, (0, 3), ["0.1"], jac=_logistic_jac, method="radau13", rtol="1e-25", dps=35,
                            t_eval=times)
        for tk, yk in zip(stepped.t, stepped.y):
            assert abs(res.sol(tk)[0] - yk[0]) < mpf("1e-13")  # measured 6e-16: stage order 7 inside a step
        # the state at the step start instead of the polynomial is told apart
        assert abs(res.y[1][0] - _logistic_exact(mpf("0.37"))) > mpf("1e-6")


def test_flow_stage_jacobians_match_the_arb_jacobian():
    """The float64 stage Jacobians of the reduced flow (phi_D' through logs) equal the arb Jacobian to float64."""
    from implicitreg.numerics.flow import _FlintDual
    from implicitreg.numerics.potentials import flow_rate
    from implicitreg.numerics.precision import flint_precision, to_arb
    import flint

    inst = random_instance(3, 7, seed=2)
    for D in (2, 3, mpf("2.5")):
        Dq = 2 if D == 2 else (3 if D == 3 else __import__("fractions").Fraction(5, 2))
        with mpmath.workdps(40), flint_precision(40):
            ap = mpf("1e-8")
            fast = _FlintDual(inst, Dq, ap, flow_rate(Dq, ap), 40)
            nus = [[mpf("0.01") * (i + 1) * (-1) ** k for i in range(3)] for k in range(2)]
            Y = flint.arb_mat(2, 3, [to_arb(v) for nu in nus for v in nu])
            Js = fast.jac_stages(Y)
            for nu, J in zip(nus, Js):
                ref = np.array([[float(v) for v in row] for row in fast.jacobian(nu)])
                assert np.allclose(J, ref, rtol=1e-12, atol=0)
                assert np.allclose(fast.jacobian64(nu), ref, rtol=1e-12, atol=0)


def test_full_and_simplified_newton_and_arb_agree_on_a_trajectory():
    """The three stage solvers change the work, not the trajectory: nu(t) agree to ~rtol."""
    inst = random_instance(3, 8, seed=4)
    kw = dict(alpha_convention="product", t_final="0.3", until_converged=False, dps=30, rtol=mpf("1e-24"),
              method="radau13")
    runs = [reduced_flow(inst, 2, "1e-2", **kw), reduced_flow(inst, 2, "1e-2", newton="simplified", **kw),
            reduced_flow(inst, 2, "1e-2", linear_algebra="arb", **kw)]
    with mpmath.workdps(30):
        for r in runs[1:]:
            assert max(abs(a - b) for a, b in zip(runs[0].nu[-1], r.nu[-1])) < mpf("1e-23")
        assert max(abs(v) for v in runs[0].nu[-1]) > mpf("0.01")  # it moved


def test_converged_trajectory_agrees_with_the_dual_limit_to_30_digits():
    """The default scheme (radau21, doubling, float64 stage Newton) at rtol 1e-30, D = 3, alpha = 1e-6: x(t_end)
    equals the certified dual limit to 30 digits (relative to max |x|), and a 1e-12 relative change of alpha is
    told apart."""
    inst = random_instance(3, 8, seed=5)
    lim = gradient_flow_limit(inst, 3, "1e-6", digits=36)
    res = reduced_flow(inst, 3, "1e-6", dps=38, tol=mpf("1e-33"), rtol=mpf("1e-30"), method="radau21")
    scale = max(abs(v) for v in lim.x)
    with mpmath.workdps(50):
        assert max(abs(a - b) for a, b in zip(res.x[-1], lim.x)) <= mpf("1e-30") * scale
        other = gradient_flow_limit(inst, 3, mpf("1e-6") * (1 + mpf("1e-12")), digits=36)
        assert max(abs(a - b) for a, b in zip(res.x[-1], other.x)) > mpf("1e-30") * scale


def test_bad_stage_options():
    inst = random_instance(2, 4, seed=7)
    with pytest.raises(Exception, match="newton"):
        reduced_flow(inst, 2, "0.1", newton="exact")
