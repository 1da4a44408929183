"""The shared pieces of the dual Newton iteration and the refinement, against their documented contracts.

``numerics/dual_limit.py`` documents each piece: the backtracking steps are t, t/2, t/4, ... (200 of them), the
trial point is (nu + t d, z + t dz) unless it leaves |z| < 1 (D > 2), Armijo's test accepts a step that gains at
least 1e-4 of the predicted t * slope (or whose slope is below the rounding noise |f| * noise), and the iteration
stops after a full step whose change is at most ``tol`` (or at the rounding floor: a full step below
``floor_level`` that no longer halves the previous full step's change). ``_newton`` documents its levels: the
tolerance 10^-tol_digits, the floor 10^-20, and the rounding noise 10^-(dps - 10) (ten digits above the working
precision's last digit). Each test decides a boundary with exact binary numbers, so that a changed constant or
comparison (1/10001, t/3, < for <=, 11^-k) gives a different answer.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError
from implicitreg.numerics import dual_limit as dl
from implicitreg.numerics.precision import flint_precision, to_arb

F = Fraction
A = [[F(1), F(1, 2), F(-1, 3)], [F(0), F(1), F(2)]]
Y = [F(1), F(1, 2)]
DPS = 30


def arb(v):
    return flint.arb(v)


def test_halving_steps_are_t_over_powers_of_two_then_refuse():
    with flint_precision(DPS):
        seen = []
        with pytest.raises(ConvergenceError) as info:
            for t in dl.halving_steps(arb(3), "the test iteration"):
                seen.append(t)
    assert str(info.value) == "the line search of the test iteration failed"
    assert len(seen) == 200
    assert all(t == arb(3) / 2 ** k for k, t in enumerate(seen))    # exact: powers of two, no rounding


def test_trial_point_moves_by_t_along_the_direction_and_keeps_the_domain():
    with flint_precision(DPS):
        nu, d = [arb(1), arb(-2)], [arb(4), arb(8)]
        z, dz = [arb("0.25"), arb(0)], [arb(1), arb(-1)]
        nu_new, z_new = dl.trial_point(nu, z, d, dz, arb("0.5"), False)
        assert nu_new == [arb(3), arb(2)] and z_new == [arb("0.75"), arb("-0.5")]
        # |z| = 1 exactly is outside the domain of phi_D (D > 2): refused; just inside is kept
        assert dl.trial_point(nu, z, d, dz, arb("0.75"), False) is None
        assert dl.trial_point(nu, [arb(0), arb(0)], d, dz, arb(1), False) is None        # z_2 = -1
        assert dl.trial_point(nu, z, d, dz, arb("0.625"), False) is not None             # z = (0.875, -0.625)
        # D = 2: every z is in the domain
        nu2, z2 = dl.trial_point(nu, z, d, dz, arb(2), True)
        assert nu2 == [arb(9), arb(14)] and z2 == [arb("2.25"), arb(-2)]


def test_sufficient_ascent_is_armijo_with_constant_one_ten_thousandth():
    """f_new >= f + t * slope / 10^4, at the boundary: exactly the gain accepted, one ulp less refused."""
    with flint_precision(DPS):
        f, t, slope, noise = arb(1), arb("0.5"), arb(2 ** 20), arb(0)
        need = (f + t * slope / 10000).mid()              # 1 + 2^19 / 10^4, rounded to the working precision
        assert dl.sufficient_ascent(need, f, t, slope, noise)
        below = (need - arb(2) ** -60).mid()
        assert not dl.sufficient_ascent(below, f, t, slope, noise)
        # a gain of 1/10001 of the prediction (a weaker constant) is below 1/10000: refused
        weaker = (f + t * slope / 10001).mid()
        assert not dl.sufficient_ascent(weaker, f, t, slope, noise)
        # an uphill step is refused; the full prediction accepted
        assert not dl.sufficient_ascent((f - 1).mid(), f, t, slope, noise)
        assert dl.sufficient_ascent((f + t * slope).mid(), f, t, slope, noise)


def test_sufficient_ascent_accepts_below_the_rounding_noise_only():
    """slope <= |f| * noise: the step is accepted whatever f_new (f can no longer tell a better point)."""
    with flint_precision(DPS):
        f, t, noise = arb(-8), arb(1), arb(2) ** -40
        level = (abs(f) * noise).mid()                    # 2^-37, exact
        worse = (f - 1).mid()
        assert dl.sufficient_ascent(worse, f, t, level, noise)                       # slope == level: accepted
        assert not dl.sufficient_ascent(worse, f, t, (level * 2).mid(), noise)       # above the noise: refused
        assert not dl.sufficient_ascent(worse, f, t, (level + arb(2) ** -90).mid(), noise)


def test_newton_stops_after_a_full_step_within_the_tolerance():
    with flint_precision(DPS):
        tol, floor = arb(2) ** -30, arb(2) ** -60
        assert dl.newton_stops(arb(1), tol, None, tol, floor)                        # change == tol: stop
        assert not dl.newton_stops(arb(1), (tol * 2).mid(), None, tol, floor)
        assert not dl.newton_stops(arb(1), (tol + arb(2) ** -80).mid(), None, tol, floor)
        assert not dl.newton_stops(arb("0.5"), (tol / 2).mid(), None, tol, floor)   # a damped step never stops


def test_newton_stops_at_the_rounding_floor_when_the_change_no_longer_halves():
    with flint_precision(DPS):
        tol, floor = arb(2) ** -100, arb(2) ** -60
        change = floor                                                               # at the floor level exactly
        assert dl.newton_stops(arb(1), change, (change * 2).mid(), tol, floor)       # change == previous / 2: stop
        assert not dl.newton_stops(arb(1), change, (change * 2 + arb(2) ** -120).mid(), tol, floor)  # still halving
        assert not dl.newton_stops(arb(1), change, (change * 3).mid(), tol, floor)   # previous / 3 < change < / 2
        assert not dl.newton_stops(arb(1), change, None, tol, floor)                 # after a damped step: go on
        above = (floor * 2).mid()
        assert not dl.newton_stops(arb(1), above, above, tol, floor)                 # above the floor: go on
        assert not dl.newton_stops(arb("0.5"), change, change, tol, floor)


def _spy_line_search(monkeypatch, module):
    """Record the arguments ``module`` passes to the shared pieces: (tol, floor, t, change, previous) per
    ``newton_stops`` call and the noise level per ``sufficient_ascent`` call."""
    stops, ascents = [], []
    real_stops, real_ascent = module.newton_stops, module.sufficient_ascent

    def spy_stops(t, change, previous, tol, floor_level):
        stops.append((tol, floor_level, t, change, previous))
        return real_stops(t, change, previous, tol, floor_level)

    def spy_ascent(f_new, f, t, slope, noise):
        ascents.append(noise)
        return real_ascent(f_new, f, t, slope, noise)

    monkeypatch.setattr(module, "newton_stops", spy_stops)
    monkeypatch.setattr(module, "sufficient_ascent", spy_ascent)
    return stops, ascents


@pytest.mark.parametrize("tol_digits, dps", [(12, DPS), (7, 40)])
def test_newton_uses_its_documented_levels(monkeypatch, tol_digits, dps):
    """_newton passes newton_stops the tolerance 10^-tol_digits and the floor 10^-20, and sufficient_ascent the
    rounding noise 10^-(dps - 10): recorded through the shared pieces on a small problem."""
    stops, ascents = _spy_line_search(monkeypatch, dl)
    with flint_precision(dps):
        dual = dl._Dual(A, Y, F(2))
        dl._newton(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-6")), tol_digits, dps)
        tol = (arb(10) ** -tol_digits).mid()
        floor = (arb(10) ** -20).mid()
        noise = (arb(10) ** -(dps - 10)).mid()
    assert stops and ascents
    assert all(s[0] == tol and s[1] == floor for s in stops)
    # ``previous`` is the change of the previous step if it was a full step, None after a damped one (and first)
    assert stops[0][4] is None
    for before, now in zip(stops, stops[1:]):
        assert now[4] is (before[3] if before[2] == 1 else None)
    assert any(s[2] != 1 for s in stops[:-1]) and any(s[2] == 1 for s in stops[:-1])   # both kinds of step occur
    assert all(n == noise for n in ascents)


def test_refinement_uses_the_same_documented_levels(monkeypatch):
    """``mixed_limit.refine`` documents the same stopping rule (10^-tol_digits, the floor 10^-20) and shares the
    line search: recorded through the pieces it imports, on the small problem from nu = 0 (damped steps occur)."""
    import mpmath

    from implicitreg.numerics import mixed_limit as ml
    from implicitreg.numerics.integer_form import IntegerRows

    stops, ascents = _spy_line_search(monkeypatch, ml)
    tol_digits = 12
    with mpmath.workdps(DPS), flint_precision(DPS):
        ml.refine(ml.MixedDual(Y, F(2), IntegerRows(A)), [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS,
                  accuracy_digits=20, slow=flint.arb(10) ** -3, tol_digits=tol_digits)
        tol, floor = (arb(10) ** -tol_digits).mid(), (arb(10) ** -20).mid()
        noise = (arb(10) ** -(DPS - 10)).mid()
    assert stops and ascents
    assert all(s[0] == tol and s[1] == floor for s in stops)
    assert all(n == noise for n in ascents)
    assert stops[0][4] is None
    for before, now in zip(stops, stops[1:]):
        assert now[4] is (before[3] if before[2] == 1 else None)


@pytest.mark.parametrize("max_iter", [2, 3])
def test_refinement_counts_its_steps_and_its_jacobians(max_iter):
    """``refine`` takes exactly ``max_iter`` steps before refusing, and reports in ``jacobians`` how many times it
    formed J (counted through the dual's ``jacobian``)."""
    import mpmath

    from implicitreg.numerics import mixed_limit as ml
    from implicitreg.numerics.integer_form import IntegerRows

    with mpmath.workdps(DPS), flint_precision(DPS):
        dual = ml.MixedDual(Y, F(2), IntegerRows(A))
        gradient, jacobian, steps, formed = dual.gradient, dual.jacobian, [], []
        dual.gradient = lambda x: steps.append(1) or gradient(x)
        dual.jacobian = lambda w, bits: formed.append(1) or jacobian(w, bits)
        with pytest.raises(ConvergenceError) as info:
            ml.refine(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS, accuracy_digits=20,
                      slow=flint.arb(10) ** -3, tol_digits=DPS - 5, max_iter=max_iter)
        assert str(info.value) == f"the refinement did not converge in {max_iter} iterations"
        assert len(steps) == max_iter
        steps.clear(), formed.clear()
        r = ml.refine(dual, [flint.arb(0)] * 2, to_arb(mpf("1e-8")), DPS, DPS, accuracy_digits=20,
                      slow=flint.arb(10) ** -3, tol_digits=12)
        assert r.iterations == len(steps) and r.jacobians == len(formed) >= 1
