"""Direct tests of numerics/quantities.py answering its mutation survivors (target num-quantities).

Expected values come from closed forms or hand computation, never from the code under test:

* the row family A = [1, r], y = 1 (x* = (1, 0), S = {0}, rho = K2 = r): its limit is x = (1 - r x_2, x_2) with
  x_2 = alpha phi_D(r z), z the root of the scalar dual equation alpha (phi_D(z) + r phi_D(r z)) = 1, solved here by
  bisection; as alpha -> 0 (D > 2), (x - x*)/alpha -> (-r, 1) phi_D(r) (dln.md MS-D3, lambda_D = 1);
* deep linear data with d = 1 (every minimizer is a product of scalars): S_min = S_bal = S_LB = 2 L a |w*|^(2-2/L);
  the worst-case family of deep_linear.md (Sigma = diag(mu, 3 mu), w* = c e_1, L = 2): S_min = 2 nu ((L-1) mu c^2 /
  (nu - mu))^(1/2), S_bal = 2 |c| nu.
"""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import ConvergenceError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics import quantities as Q
from implicitreg.numerics.deep_linear import RegressionData
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import mpf_from


def _row(r, y=1):
    return Instance.from_lists([[1, r]], [y])


def _x2(D, r, a):
    """x_2 of the row family's limit at product scale a: a phi_D(r z), z by 500 bisection steps at 80 digits."""
    with mpmath.workdps(80):
        am, rm = mpf_from(Fraction(a)), mpf_from(Fraction(r))
        if D == 2:
            phi = lambda z: 2 * mpmath.sinh(z)  # noqa: E731
            lo, hi = mpf(0), mpmath.asinh(1 / (2 * am)) + 1
        else:
            e = mpf(D) / (D - 2)
            phi = lambda z: (1 - z) ** (-e) - (1 + z) ** (-e)  # noqa: E731
            lo, hi = mpf(0), mpf(1)
        for _ in range(500):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if am * (phi(mid) + rm * phi(rm * mid)) - 1 <= 0 else (lo, mid)
        return am * phi(rm * lo)


def _close(got, want, rel):
    return abs(got - want) <= rel * abs(want)


# --- diagonal: the data quantities on an instance with negative and non-unit x* ------------------------------------

def test_instance_quantities_by_hand():
    """A = [[1, 0, 1/4], [0, 1, 1/2]], y = (-3, 1/2): A_S = I, x* = (-3, 1/2, 0), sigma = (-1, 1), rho = |-1/4 + 1/2|
    = 1/4, K2 = 1/4 + 1/2 = 3/4, ||x*||_1 = 7/2, m_star = 1/2, K1star = log 3, kappa_lb = (3/4)/(7/4) = 3/7."""
    run = Q.DiagonalRun(Instance.from_lists([[1, 0, "1/4"], [0, 1, "1/2"]], ["-3", "1/2"]), 2, "1e-3")
    got = Q.evaluate(["m", "N", "s", "n", "rho", "K2", "M", "m_star", "kappa_lb"], run)
    assert got == {"m": 2, "N": 3, "s": 2, "n": 1, "rho": Fraction(1, 4), "K2": Fraction(3, 4), "M": Fraction(7, 2),
                   "m_star": Fraction(1, 2), "kappa_lb": Fraction(3, 7)}
    assert type(got["M"]) is Fraction and type(got["kappa_lb"]) is Fraction
    assert abs(Q.compute("K1star", run) - mpmath.log(3)) < mpf(10) ** -14
    assert "limit" not in run.__dict__  # instance quantities never solve the flow


def test_evaluate_maps_every_name_and_refuses_an_unknown_one():
    run = Q.DiagonalRun(_row("1/2"), 2, "1e-6")
    assert Q.evaluate([], run) == {}
    assert Q.evaluate(["N", "x_star_l1", "m"], run) == {"N": 2, "x_star_l1": 1, "m": 1}
    with pytest.raises(InvalidParameterError, match="unknown quantity 'nope'"):
        Q.evaluate(["m", "nope"], run)


# --- diagonal: the run and its parameters --------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [0, "-1e-3", Fraction(-1, 2)])
def test_diagonal_run_refuses_a_non_positive_alpha_naming_it(alpha):
    with pytest.raises(InvalidParameterError, match=r"^alpha must be > 0, got "):
        Q.DiagonalRun(_row("1/2"), 2, alpha)


def test_alpha_product_in_the_product_convention_is_the_given_alpha_without_a_solve():
    run = Q.DiagonalRun(_row("1/2"), 3, "1e-6")
    got = Q.compute("alpha_product", run)
    assert got == Fraction(1, 10 ** 6) and type(got) is Fraction
    assert "limit" not in run.__dict__
    assert Q.compute("alpha", run) == Fraction(1, 10 ** 6)


def test_alpha_product_and_kbar1_in_the_factor_convention():
    """x* = (2, 0) (A = [1, 1/2], y = 2): K1star = log 2, m_star = 2, so Kbar1 = 2 log 2 + alpha_product^2 (dln.md:
    K1star + log 2 + 4 alpha_product^2 / m_star^2); factor 1e-2 at D = 3 is alpha_product = 1e-6."""
    run = Q.DiagonalRun(_row("1/2", 2), 3, "1e-2", alpha_convention="factor", digits=20)
    with mpmath.workdps(40):
        assert _close(Q.compute("alpha_product", run), mpf(10) ** -6, mpf(10) ** -18)
        assert Q.compute("alpha_factor", run) == Fraction(1, 100)
        assert _close(Q.compute("Kbar1", run), 2 * mpmath.log(2) + mpf(10) ** -12, mpf(10) ** -18)
    prod = Q.DiagonalRun(_row("1/2", 2), 2, "1e-3", digits=20)
    with mpmath.workdps(40):
        assert _close(Q.compute("Kbar1", prod), 2 * mpmath.log(2) + mpf(10) ** -6, mpf(10) ** -18)


def test_errors_gap_and_distance_to_the_selected_minimizer_on_the_row_family():
    """x* unique, so x_g = x*: dist_sel = err_l2 = sqrt(1 + r^2) x_2; err_l1 = (1 + r) x_2, err_inf = x_2,
    X1 = 1 + (1 - r) x_2, gap = (1 - r) x_2, with x_2 from the scalar dual equation."""
    r, a = Fraction(1, 2), Fraction(1, 10 ** 4)
    run = Q.DiagonalRun(_row(r), 2, a, digits=20)
    x2 = _x2(2, r, a)
    with mpmath.workdps(40):
        rm = mpf_from(r)
        for name, want in (("err_l1", (1 + rm) * x2), ("err_l2", mpmath.sqrt(1 + rm ** 2) * x2), ("err_inf", x2),
                           ("dist_sel", mpmath.sqrt(1 + rm ** 2) * x2), ("X1", 1 + (1 - rm) * x2),
                           ("gap", (1 - rm) * x2)):
            assert _close(Q.compute(name, run), want, mpf(10) ** -17), name


def test_e1_is_the_limit_direction_of_the_row_family():
    """lambda_D = 1, e_D = (-r, 1) phi_D(r): E1 = (1 + r) phi_D(r); D = 3, r = 1/2: (3/2)(8 - 8/27) = 104/9;
    D = 4: (3/2)(4 - 4/9) = 16/3. Only the instance and the depth enter (no flow solve)."""
    for D, want in ((3, Fraction(104, 9)), (4, Fraction(16, 3))):
        run = Q.DiagonalRun(_row("1/2"), D, "1e-3")
        with mpmath.workdps(40):
            assert _close(Q.compute("E1", run), mpf_from(want), mpf(10) ** -25), D
        assert "limit" not in run.__dict__
    # another instance: x* = (2, 0) has the same direction (e_D does not depend on |x*|), r = 1/4 gives
    # (5/4)((4/3)^3 - (4/5)^3) = (5/4)(64/27 - 64/125)
    run = Q.DiagonalRun(_row("1/4", 2), 3, "1e-3")
    with mpmath.workdps(40):
        want = mpf(5) / 4 * (mpf(64) / 27 - mpf(64) / 125)
        assert _close(Q.compute("E1", run), want, mpf(10) ** -25)


@pytest.mark.parametrize("name", ["M0", "E1"])
def test_depth_two_refusals_name_the_quantity(name):
    run = Q.DiagonalRun(_row("1/2"), 2, "1e-3")
    text = {"M0": "M0 is defined for depth D > 2 only", "E1": "E1 = ||e_D||_1 is defined for depth D > 2 only"}[name]
    with pytest.raises(HypothesisNotMetError, match="^" + re.escape(text) + "$"):
        Q.compute(name, run)


def test_diagonal_run_at_another_alpha_keeps_everything_else_and_shares_the_computed_constants():
    run = Q.DiagonalRun(_row("1/2"), 3, "1e-2", alpha_convention="factor", digits=20)
    constants = run.constants  # bp is not computed: only the constants are shared
    other = run.at("1e-3")
    assert other.alpha == Fraction(1, 1000) and run.alpha == Fraction(1, 100)
    assert (other.instance, other.depth, other.alpha_convention, other.digits) == (run.instance, 3, "factor", 20)
    assert other.__dict__["constants"] is constants and "bp" not in other.__dict__
    bp = run.bp
    assert run.at("1e-4").__dict__["bp"] is bp
    bare = Q.DiagonalRun(_row("1/2"), 2, "1e-2").at("1e-3")
    assert "bp" not in bare.__dict__ and "constants" not in bare.__dict__
    assert (bare.alpha_convention, bare.digits) == ("product", 30)


# --- deep linear networks ---------------------------------------------------------------------------------------

SCALAR = RegressionData.from_lists([[1]], [2])  # a = 1, w* = 2
#: Sigma = diag(3/4, 9/4) (mu = 3/4, nu = 3 mu), w* = 3 e_1: the worst-case family with x = 3 > L = 2
WORST = RegressionData.from_lists([[1, 0], [1, 0], [1, 0], [0, 3]], [3, 3, 3, 0])


def test_min_and_balanced_sharpness_of_the_worst_case_family():
    """L = 2: S_LB = 2 L mu |c| = 9, S_min = 2 nu (mu c^2 / (nu - mu))^(1/2) = (9/2)(27/6)^(1/2) = 27/(2 sqrt 2),
    S_bal = 2 |c| lambda_max(diag(mu + mu, nu)) = 6 * 9/4 = 27/2."""
    run = Q.DeepLinearRun(WORST, 2, dps=30)
    with mpmath.workdps(40):
        assert _close(Q.compute("S_LB", run), mpf(9), mpf(10) ** -28)
        assert _close(Q.compute("S_min", run), 27 / (2 * mpmath.sqrt(2)), mpf(10) ** -20)
        assert _close(Q.compute("S_bal", run), mpf(27) / 2, mpf(10) ** -28)


def test_deep_linear_quantities_carry_the_runs_precision():
    """d = 1, L = 3: S_min = S_bal = S_LB = 6 * 2^(4/3) (irrational), to the run's 50 digits (not the default 30)."""
    run = Q.DeepLinearRun(SCALAR, 3, dps=50)
    with mpmath.workdps(70):
        want = 6 * mpf(2) ** (mpf(4) / 3)
        for name in ("S_LB", "S_min", "S_bal"):
            assert _close(Q.compute(name, run), want, mpf(10) ** -46), name
        assert _close(Q.compute("w_norm", run), mpf(2), mpf(10) ** -46)


def test_sharpness_of_the_flow_limit_from_small_scalar_initialization():
    """d = 1: the flow conserves the imbalances w_{k+1}^2 - w_k^2 = O(alpha^2), so its limit is within O(alpha^2)
    of the balanced minimizer, whose sharpness is S_bal = 2 L a |w*|^(2-2/L) = 6 * 2^(4/3) (L = 3)."""
    want = 6 * 2 ** (4 / 3)
    run = Q.DeepLinearRun(SCALAR, 3, "1e-2")
    got = Q.compute("sharpness", run)
    assert abs(got - want) <= 1e-5 * want
    # seeded: the same seed gives the same float, the default seed is 1, another seed another (close) limit
    assert Q.compute("sharpness", Q.DeepLinearRun(SCALAR, 3, "1e-2", seed=1)) == got
    assert Q.compute("sharpness", Q.DeepLinearRun(SCALAR, 3, "1e-2")) == got
    other = Q.compute("sharpness", Q.DeepLinearRun(SCALAR, 3, "1e-2", seed=2))
    assert other != got and abs(other - want) <= 1e-5 * want


def test_sharpness_of_the_worst_case_family_approaches_s_bal():
    """deep_linear.md MC-SI: as s -> 0 the limit's sharpness tends to S_bal = 27/2 (not S_min = 9.55)."""
    got = Q.compute("sharpness", Q.DeepLinearRun(WORST, 2, "1e-3"))
    assert abs(got - 13.5) <= 1e-3


def test_sharpness_refuses_a_flow_that_did_not_converge(monkeypatch):
    from implicitreg.numerics import deep_linear as dl

    real = dl.gradient_flow
    seen = []

    def stalled(net0, data, t_end, **kw):
        res = real(net0, data, t_end, **kw)
        seen.append(res.status)
        return type(res)(net=res.net, t=res.t, status=status, message="x", nfev=res.nfev, nsteps=res.nsteps,
                         integrator=res.integrator)

    monkeypatch.setattr(dl, "gradient_flow", stalled)
    for status in (0, -1, 2):
        with pytest.raises(ConvergenceError, match=r"^gradient flow from scale 1e-2 did not reach a global minimizer$"):
            Q.compute("sharpness", Q.DeepLinearRun(SCALAR, 2, "1e-2"))
    assert seen == [1, 1, 1]  # the real flow did converge: only the reported status decided


def test_sharpness_needs_the_init_scale():
    with pytest.raises(InvalidParameterError, match="^sharpness needs the init scale alpha of the run$"):
        Q.compute("sharpness", Q.DeepLinearRun(SCALAR, 2))


def test_deep_linear_run_at_another_alpha_keeps_data_depth_seed_and_precision():
    run = Q.DeepLinearRun(SCALAR, 3, "1e-2", seed=5, dps=40)
    constants = run.constants
    other = run.at("1e-3")
    assert (other.data, other.depth, other.alpha, other.seed, other.dps) == (SCALAR, 3, "1e-3", 5, 40)
    assert run.alpha == "1e-2"
    assert other.__dict__["constants"] is constants
    bare = Q.DeepLinearRun(SCALAR, 2, "1e-2").at("1e-3")
    assert "constants" not in bare.__dict__ and (bare.seed, bare.dps) == (1, 30)


def test_dist_sel_on_the_line_instance_at_the_runs_digits():
    """wah.md §6 line: A = [[1,1,1],[3,0,1]], y = (3,3), X_BP = {(1-t, 2(1-t), 3t)}, x_g(2) at
    t = 4^(1/3)/(3 + 4^(1/3));
    the limit's distance to it is 0.20422 alpha_product^2 (p = 2, S^c empty). The selected minimizer is solved at the
    run's 150 digits (selection's default 40 gives x_g to ~110 digits only): the distance agrees with the
    closed-form x_g to ~150 digits."""
    run = Q.DiagonalRun(Instance.from_lists([[1, 1, 1], [3, 0, 1]], [3, 3]), 2, "1e-6", digits=150)
    got = Q.compute("dist_sel", run)
    with mpmath.workdps(250):
        c = mpf(4) ** (mpf(1) / 3)
        t = c / (3 + c)
        xg = (1 - t, 2 * (1 - t), 3 * t)
        want = mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in zip(run.limit.x, xg)))
        assert _close(want, mpf("0.20422e-12"), mpf(10) ** -3)
        assert _close(got, want, mpf(10) ** -130)
