"""numerics.flow: the generic integrator on closed-form ODEs, the flows against each other and against the dual limit."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.flow import full_flow, gradient_descent, integrate, reduced_flow
from implicitreg.numerics.instance import Instance
from strategies_engine import random_instance

METHODS = ["radau", "radau9", "radau13", "rk45"]


def _maxdiff(a, b):
    return max(abs(u - v) for u, v in zip(a, b))


# --- the integrator on closed forms ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_integrate_exponential_decay(method):
    """y' = -y, y(0) = (1, 2): y(1) = (e^-1, 2 e^-1) to 1e-17 with rtol 1e-20 at 30 digits."""
    res = integrate(lambda t, y: [-v for v in y], (0, 1), [1, 2], jac=lambda t, y: [[-1, 0], [0, -1]],
                    method=method, rtol=mpf("1e-20"), atol=mpf("1e-20"), dps=30)
    assert res.success and res.status == 0 and res.t[-1] == 1
    with mpmath.workdps(30):
        assert _maxdiff(res.y[-1], [mpmath.exp(-1), 2 * mpmath.exp(-1)]) < mpf("1e-17")


@pytest.mark.parametrize("method, rtol, error", [("radau", "1e-14", "1e-11"), ("radau13", "1e-20", "1e-17")])
def test_integrate_stiff_problem(method, rtol, error):
    """y' = lam (y - cos t) - sin t, y(0) = 1 has y = cos t for any lam; lam = -1e8 is very stiff.

    An L-stable method follows it with a step count independent of lam; the explicit method could not.
    """
    lam = mpf("-1e8")
    fun = lambda t, y: [lam * (y[0] - mpmath.cos(t)) - mpmath.sin(t)]
    res = integrate(fun, (0, 2), [1], jac=lambda t, y: [[lam]], method=method, rtol=mpf(rtol),
                    atol=mpf(rtol), dps=30, max_steps=2000)
    assert res.success and res.nsteps < 2000
    with mpmath.workdps(30):
        assert abs(res.y[-1][0] - mpmath.cos(2)) < mpf(error)


def test_integrate_finite_difference_jacobian_and_t_eval():
    """Without jac (finite differences); t_eval outputs exactly at the requested times; y = e^{-t^2/2}."""
    times = [Fraction(1, 2), 1, Fraction(3, 2)]
    res = integrate(lambda t, y: [-t * y[0]], (0, 2), [1], method="radau9", rtol=mpf("1e-20"), dps=30, t_eval=times)
    assert [float(t) for t in res.t] == [0.5, 1.0, 1.5]
    with mpmath.workdps(30):
        for t, y in zip(res.t, res.y):
            assert abs(y[0] - mpmath.exp(-t ** 2 / 2)) < mpf("1e-17")


def test_integrate_stop_event_and_infinite_horizon():
    res = integrate(lambda t, y: [-y[0]], (0, mpmath.inf), [1], method="radau", rtol=mpf("1e-12"), dps=20,
                    stop=lambda t, y: y[0] < mpf("1e-3"))
    assert res.status == 1 and res.y[-1][0] < mpf("1e-3")
    with mpmath.workdps(20):
        assert res.t[-1] >= mpmath.log(1000) - mpf("1e-6")


def test_integrate_reports_failure_without_raising():
    res = integrate(lambda t, y: [-y[0]], (0, 100), [1], method="rk45", rtol=mpf("1e-20"), dps=30, max_steps=3)
    assert res.status == -1 and not res.success and "maximum number of steps" in res.message


@pytest.mark.parametrize("kwargs", [{"method": "euler"}, {"dps": 2}, {"rtol": 0}])
def test_integrate_bad_input(kwargs):
    with pytest.raises(InvalidParameterError):
        integrate(lambda t, y: y, (0, 1), [1], **kwargs)
    with pytest.raises(InvalidParameterError):
        integrate(lambda t, y: y, (1, 0), [1])


# --- the flows ------------------------------------------------------------------------------------------------

def test_full_flow_tracks_reduced_flow_along_the_trajectory():
    """x(t) of the 2N-dim (u, v) flow equals alpha phi_D(A^T nu(t)) of the m-dim flow at common times (alpha = 0.1)."""
    inst = Instance.from_lists([[1, Fraction(1, 2), Fraction(-1, 3), 0, Fraction(1, 4)],
                                [0, 1, 1, Fraction(-1, 2), Fraction(1, 3)]], [1, Fraction(1, 2)])
    times = [Fraction(1, 10), Fraction(1, 2), 1, 2]
    for D, method, rtol, agree in [(2, "radau9", "1e-18", "1e-16"), (Fraction(5, 2), "radau13", "1e-18", "1e-16"),
                                   (3, "rk45", "1e-14", "1e-12")]:
        kw = dict(alpha_convention="product", t_final=2, until_converged=False, dps=25, t_eval=times)
        red = reduced_flow(inst, D, "0.1", method="radau9", rtol=mpf("1e-18"), **kw)
        full = full_flow(inst, D, "0.1", method=method, rtol=mpf(rtol), **kw)
        assert [float(t) for t in red.t] == [float(t) for t in full.t] == [0.1, 0.5, 1.0, 2.0]
        for xr, xf in zip(red.x, full.x):
            assert _maxdiff(xr, xf) < mpf(agree)
        # the trajectory moves: x(2) is far from x(0.1), so the agreement is not trivial
        assert _maxdiff(red.x[0], red.x[-1]) > mpf("0.5")


def test_full_flow_end_point_is_the_dual_limit():
    """The full flow (whose limit depends on the whole trajectory) converges to the dual solution; D = 2, alpha = 0.05."""
    inst = random_instance(2, 4, seed=7)
    lim = gradient_flow_limit(inst, 2, "0.05", digits=20)
    res = full_flow(inst, 2, "0.05", until_converged=True, tol=mpf("1e-16"), dps=25, method="radau9",
                    rtol=mpf("1e-18"))
    assert res.converged
    assert _maxdiff(res.x[-1], lim.x) < mpf("1e-13")


@pytest.mark.parametrize("D, alpha", [(2, "1e-20"), (3, "1e-12")])
def test_reduced_flow_end_point_is_the_dual_limit_to_30_digits(D, alpha):
    """6 x 15 instance: the flow's end point (residual <= 1e-34) equals the certified dual limit to >= 30 digits.

    The equilibrium of the reduced flow does not depend on the path, so loose step tolerances suffice here; the
    trajectory itself is checked against the full flow above.
    """
    inst = random_instance(6, 15, seed=1)
    lim = gradient_flow_limit(inst, D, alpha, digits=34)
    res = reduced_flow(inst, D, alpha, dps=40, tol=mpf("1e-34"), rtol=mpf("1e-8"), method="radau")
    assert res.converged and res.residual[-1] <= mpf("1e-34")
    scale = max(abs(v) for v in lim.x)
    with mpmath.workdps(50):
        assert _maxdiff(res.x[-1], lim.x) <= mpf("1e-31") * scale
    # the comparison has teeth: the limit at a 1e-10 relative change of alpha is told apart
    other = gradient_flow_limit(inst, D, Fraction(alpha) * (1 + Fraction(1, 10 ** 10)), digits=34)
    with mpmath.workdps(50):
        assert _maxdiff(res.x[-1], other.x) > mpf("1e-31") * scale


@pytest.mark.slow
def test_reduced_flow_tight_tolerance_end_point():
    """With tight step tolerances (rtol 1e-33, order 13) the trajectory is resolved to 30+ digits (minutes)."""
    inst = random_instance(6, 15, seed=1)
    lim = gradient_flow_limit(inst, 2, "1e-20", digits=34)
    res = reduced_flow(inst, 2, "1e-20", dps=40, tol=mpf("1e-34"), rtol=mpf("1e-33"), method="radau13")
    assert _maxdiff(res.x[-1], lim.x) <= mpf("1e-31") * max(abs(v) for v in lim.x)


def test_flow_conventions_and_outputs():
    inst = random_instance(2, 4, seed=7)
    a = reduced_flow(inst, 3, "0.5", alpha_convention="factor", dps=20, rtol=mpf("1e-10"))
    b = reduced_flow(inst, 3, "0.125", alpha_convention="product", dps=20, rtol=mpf("1e-10"))
    assert a.alpha_product == b.alpha_product and a.alpha_convention == "factor"
    assert _maxdiff(a.x[-1], b.x[-1]) < mpf("1e-10")
    assert len(a.t) == len(a.x) == len(a.residual) == len(a.loss) == len(a.nu)
    assert a.residual[0] == max(abs(v) for v in inst.y) and a.loss[-1] < a.loss[0]


def test_flow_bad_input_and_non_convergence():
    inst = random_instance(2, 4, seed=7)
    with pytest.raises(InvalidParameterError):
        reduced_flow(inst, "1.9", "0.1")
    with pytest.raises(InvalidParameterError):
        reduced_flow(inst, 2, "-0.1")
    with pytest.raises(InvalidParameterError):
        reduced_flow(inst, 2, "0.1", t_final=None, until_converged=False)
    with pytest.raises(ConvergenceError):
        reduced_flow(inst, 2, "1e-10", t_final="0.01", until_converged=True, dps=20)
    with pytest.raises(ConvergenceError):
        full_flow(inst, 2, "0.1", t_final=1, max_steps=2, until_converged=False, dps=20)


# --- gradient descent -----------------------------------------------------------------------------------------

def test_gradient_descent_distance_is_linear_in_eta():
    """||x_GD(eta) - x_inf||_inf ~ C eta [derived]: the log-log slope over eta = 1/50, 1/100, 1/200 is ~1, not 2."""
    inst = Instance.from_lists([[1, Fraction(1, 2), Fraction(-1, 3)], [0, 1, 1]], [1, Fraction(1, 2)])
    lim = gradient_flow_limit(inst, 2, "0.1", digits=25)
    d = []
    etas = [Fraction(1, 50), Fraction(1, 100), Fraction(1, 200)]
    for eta in etas:
        gd = gradient_descent(inst, 2, "0.1", eta, tol=mpf("1e-18"), dps=25, limit=lim)
        assert gd.residual <= mpf("1e-18") and gd.steps > 0
        d.append(gd.distance_to_limit)
    slopes = [float(mpmath.log(d[i] / d[i + 1]) / mpmath.log(2)) for i in range(2)]
    assert all(0.9 < s < 1.1 for s in slopes), slopes
    assert not any(1.9 < s < 2.1 for s in slopes)  # a quadratic rate would be caught


def test_gradient_descent_diverges_with_a_huge_step():
    inst = random_instance(2, 4, seed=7)
    with pytest.raises(ConvergenceError):
        gradient_descent(inst, 2, "0.1", 50, dps=20, compute_limit=False)
    with pytest.raises(InvalidParameterError):
        gradient_descent(inst, 2, "0.1", 0, dps=20)


def test_progress_bar_only_on_a_terminal(monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    fake = Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    integrate(lambda t, y: [-y[0]], (0, 1), [1], method="radau", rtol=mpf("1e-10"), dps=20, progress=True)
    assert "step" in fake.getvalue()
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    integrate(lambda t, y: [-y[0]], (0, 1), [1], method="radau", rtol=mpf("1e-10"), dps=20, progress=True)
    assert plain.getvalue() == ""


def test_flow_reports_a_stalled_residual_quickly():
    """A tolerance below the floor that dps and rtol allow ends in a ConvergenceError naming the floor (not a hang)."""
    inst = random_instance(3, 7, seed=0)
    with pytest.raises(ConvergenceError, match="stalled"):
        reduced_flow(inst, 6, "1e-12", dps=30, tol=mpf("1e-25"), rtol=mpf("1e-8"), max_steps=5000)
