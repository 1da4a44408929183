"""Kinds of bugs that escaped an independent planted-bug run (``tools/planted_bugs.py``, docs/mutation.md).

Each test is written from the specification of the code (its docstring, docs/theory, a closed form), against the
*kind* of bug that escaped, not against the planted line: a JSON number read through a binary float, an iterative
eigen-solver stopping on a wrong residual, a root bound too small for the largest root, a proof step that can be
dropped, a ball radius cap that does not scale with a small value, a range check that lets its boundary through
(digits 0, a parameter 0), a schema type that admits nan or booleans, a one-sided dual feasibility check, a module
tolerance loosened in a suite's agreement rows, a constant recomputed from part of its definition, a summary mark
decided on the wrong count.
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from mpmath import iv

from implicitreg.errors import InvalidInstanceError
from implicitreg.numerics import deep_linear as dl
from implicitreg.numerics.instance import Instance, load_json_exact
from implicitreg.proofs.checker import balanced, verdicts
from implicitreg.proofs.checker.interval import CheckFailure

F = Fraction


# --- exact reading: a JSON number is its decimal text, never a binary float ---------------------------------------

@pytest.mark.parametrize("text, exact", [
    ("0.1000000000000000000000001", F(1, 10) + F(1, 10 ** 25)),   # more digits than a float holds
    ("1e-400", F(1, 10 ** 400)),                                   # below float64's range (a float reads 0.0)
    ("123456789012345678901234567890", F(123456789012345678901234567890)),
    ("-2.5e+320", F(-25 * 10 ** 319)),                             # above float64's range (a float reads -inf)
])
def test_json_numbers_keep_their_decimal_text_beyond_float64(tmp_path, text, exact):
    assert F(load_json_exact(f'{{"v": {text}}}')["v"]) == exact
    path = tmp_path / "inst.json"
    path.write_text(f'{{"A": [[1, {text}]], "y": [{text}]}}')
    inst = Instance.load(path)
    assert inst.A[0][1] == exact and inst.y[0] == exact


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nonfinite_constants_are_refused(constant):
    with pytest.raises(InvalidInstanceError):
        Instance.from_data(load_json_exact(f'{{"A": [[1, {constant}]], "y": [1]}}'))


# --- Lanczos: the stopping residual must bound the error, also away from minimizers -------------------------------

def test_lanczos_error_bound_holds_at_a_generic_point():
    """At a generic (non-minimizing) network H has full rank, so Lanczos must run until its residual |beta_k s_k|
    (the residual of the top Ritz pair) is below tol: the value then lies within error_bound of an eigenvalue, here
    the top one (compared with the full Hessian's eigsy)."""
    data = dl.RegressionData.from_lists([[1, 2, 0], [0, 1, 1], [3, -1, 2], [1, 1, 1]], [1, -2, "1/2", 2])
    with mpmath.workdps(30):
        rng = np.random.default_rng(3)
        net = dl.small_init(3, 3, 0.9, rng, kind="mp")
        exact_top = dl.sharpness_exact(net, data).value
        for seed in range(3):
            lz = dl.sharpness_lanczos(net, data, seed=seed)
            assert abs(lz.value - exact_top) <= lz.error_bound + mpmath.mpf(10) ** -25 * abs(exact_top), seed
            assert abs(lz.value - exact_top) <= mpmath.mpf(10) ** -20 * abs(exact_top), seed


def test_lanczos_stops_on_the_top_ritz_residual_not_on_exhaustion():
    """The stopping rule is the residual of the top Ritz pair, |beta_k (last entry of its Ritz vector)|: with a
    dominant top eigenvalue it converges long before the Krylov space is exhausted (k = N), and the returned
    error_bound then bounds the distance to the top eigenvalue (numpy's eigvalsh of the full Hessian)."""
    rng = np.random.default_rng(0)
    data = dl.RegressionData.from_lists(rng.integers(-3, 4, size=(12, 8)).tolist(),
                                        rng.integers(-3, 4, size=12).tolist())
    net = dl.small_init(8, 3, 1.0, np.random.default_rng(1), kind="float")
    top = dl.sharpness_exact(net, data).value
    for seed in range(3):
        lz = dl.sharpness_lanczos(net, data, seed=seed)
        assert lz.iterations <= net.num_parameters // 4, (seed, lz.iterations, net.num_parameters)
        assert abs(lz.value - top) <= lz.error_bound + 1e-12 * abs(top), seed


# --- the checker's exact root isolation: roots above the cheap power-of-two bound ---------------------------------

@pytest.mark.parametrize("roots", [(12, -5), (12, -5, 1), (7, 6, -9), (100, -1), (3, 2, 1, -4)])
def test_largest_root_is_found_when_it_exceeds_max_ratio_roots(roots):
    """Fujiwara's bound is 2 max_i |c_i/c_0|^(1/i): the largest root may exceed max_i |c_i/c_0|^(1/i) itself
    ((t - 12)(t + 5) = t^2 - 7t - 60: 60^(1/2) < 8 < 12). The interval must hold the largest root."""
    poly = [F(1)]
    for r in roots:  # multiply by (t - r)
        poly = [a - r * b for a, b in zip(poly + [F(0)], [F(0)] + poly)]
    lo_, hi_ = balanced._largest_root(poly, F(1, 10 ** 6))
    assert lo_ <= max(roots) <= hi_ and hi_ - lo_ <= F(1, 10 ** 6)


# --- the equality proof (S = S_LB exactly): every step is needed ----------------------------------------------------

def _equality_inputs(second_root):
    """L = 2, a = 1, ||w*||^2 = 1: S_LB = 2 L a ||w*||^(2-2/L) = 4, S_LB/2 = 2 is a root of (t - 2)(t - second_root);
    Sigma = [[1]], w* = [1]: the equality-family hypotheses hold (mu = 1, L mu = 2 >= 1)."""
    poly = [F(1), F(-(2 + second_root)), F(2 * second_root)]
    return dict(eq={"S_LB": "4"}, L=2, Sigma=[[F(1)]], w=[F(1)], wn2=F(1), a_ray=F(1), poly=poly,
                SLB=iv.mpf([4, 4]), out=[])


def test_equality_proof_accepts_the_largest_root():
    args = _equality_inputs(second_root=F(1, 2))
    verdicts._check_equality(**args)
    assert any("S = S_LB" in line for line in args["out"])


def test_equality_proof_rejects_a_root_that_is_not_the_largest():
    """S_LB/2 a root of det(t I - M Sigma) but not the largest: S > S_LB, so equality is not proved."""
    with pytest.raises(CheckFailure, match="largest eigenvalue"):
        verdicts._check_equality(**_equality_inputs(second_root=F(5)))


# --- stated balls: radius <= 1e-10 |mid|, also for values far below 1 ----------------------------------------------

@pytest.mark.parametrize("mid", ["1e-5", "-3e-12", "2.5e-30"])
def test_ball_radius_cap_scales_with_small_values(mid):
    m = F(mid)
    cap = verdicts.BALL_MAX_RELATIVE_RADIUS * abs(m)
    verdicts._ball({"mid": mid, "rad": str(cap)}, "x")                      # at the cap: accepted
    with pytest.raises(CheckFailure, match="radius"):
        verdicts._ball({"mid": mid, "rad": str(cap * 2)}, "x")              # twice the cap: refused


# --- Sturm counts: the Cauchy bound 1 + max |c_i / c_0| is needed -----------------------------------------------------

@pytest.mark.parametrize("poly, t, count", [
    ([F(1), F(-1), F(-1)], F(0), 1),                # t^2 - t - 1: root 1.618 above max |c_i/c_0| = 1
    ([F(1), F(-2), F(-2)], F(1), 1),                # roots 1 +- sqrt 3: 2.73 above 2
    ([F(1), F(-1), F(-1), F(-1)], F(0), 1),         # t^3 - t^2 - t - 1: root 1.839 above 1
    ([F(1), F(0), F(-3), F(-1)], F(-1), 2),         # roots 1.879, -0.347 above -1 (-1.532 below)
])
def test_count_roots_above_sees_roots_beyond_max_ratio(poly, t, count):
    from implicitreg.proofs.checker import lp
    assert lp.count_roots_above(poly, t) == count


# --- basis pursuit verify(): rho-optimality off S is about |A^T lambda|, both signs -----------------------------------

def test_bp_verify_rejects_a_dual_certificate_negative_beyond_rho_off_support():
    """A = [[2, -1, 1], [0, 1, 1]], y = (2, 0): x* = e_1 is the unique minimizer (value 1), A_S^T lambda = 1 fixes
    lambda_1 = 1/2 and leaves lambda_2 free; off S, A^T lambda = (-1/2 + lambda_2, 1/2 + lambda_2), so rho = 1/2
    (lambda_2 = 0). lambda = (1/2, -3/10) is dual feasible, strict off S and has zero gap, but |(A^T lambda)_2| = 4/5
    exceeds rho: it is not rho-optimal and must be refused, although every entry's positive part is below rho."""
    import dataclasses

    from implicitreg.errors import CertificateError
    from implicitreg.numerics.basis_pursuit import l1_minimizer

    res = l1_minimizer(Instance.from_lists([[2, -1, 1], [0, 1, 1]], [2, 0]))
    assert res.support == (0,) and res.unique and res.rho == F(1, 2) and res.value == 1
    res.verify()
    forged = dataclasses.replace(res, certificate=(F(1, 2), F(-3, 10)))
    with pytest.raises(CertificateError, match="rho"):
        forged.verify()
    mirrored = dataclasses.replace(res, certificate=(F(1, 2), F(3, 10)))   # the same violation, positive
    with pytest.raises(CertificateError, match="rho"):
        mirrored.verify()


# --- certified digits of the selected minimizer: exactly the agreement of its two solves ----------------------------

def test_selection_digits_are_the_floor_of_the_two_solves_agreement(monkeypatch):
    """select_on_face certifies x_g by two solves (dps and 2 dps): ``digits`` = floor(-log10(max |x1 - x2| /
    max |x2|)). Here the first solve's largest entry is moved by 3e-28 of itself, so the solves agree to 27.5
    digits: 27 are certified, not 28."""
    from implicitreg.numerics import selection

    pair = selection._mixed_face_pair

    def perturbed(*args, **kwargs):
        x1, c1, it, x2, c2 = pair(*args, **kwargs)
        i = max(range(len(x2)), key=lambda j: abs(x2[j]))
        x1 = list(x1)
        with mpmath.workdps(200):
            x1[i] = x1[i] * (1 + mpmath.mpf("3e-28"))
        return x1, c1, it, x2, c2

    monkeypatch.setattr(selection, "_mixed_face_pair", perturbed)
    line = Instance.from_lists([[1, 1, 1], [3, 0, 1]], [3, 3])
    res = selection.selected_minimizer(line, 3, digits=20)
    assert res.face_dimension == 1 and res.digits == 27


# --- API parameters: a range check that lets its boundary through ---------------------------------------------------
# docs: digits is "a positive integer" bounded per command (implicitreg.api.inputs.MAX_DIGITS); alpha, tol, t_final
# are "> 0"; a bad parameter raises InvalidParameterError naming it (BRIEF: bad input gets a clear error, never a
# number). Every command is asked, so a check that only a later layer repeats for some commands is still noticed.

ROW = ([[1, 2, 3]], [1])


@pytest.mark.parametrize("command", ["limit", "flow", "select", "sharpness"])
@pytest.mark.parametrize("digits", [0, -1])
def test_every_command_refuses_digits_below_one(command, digits):
    import implicitreg
    from implicitreg.errors import InvalidParameterError

    call = {"limit": lambda: implicitreg.gradient_flow_limit(*ROW, depth=3, alpha="0.1", digits=digits),
            "flow": lambda: implicitreg.gradient_flow(*ROW, depth=3, alpha=1, digits=digits),
            "select": lambda: implicitreg.selected_minimizer(*ROW, depth=3, digits=digits),
            "sharpness": lambda: implicitreg.sharpness(np.eye(2), [1, 1], depth=2, digits=digits)}[command]
    with pytest.raises(InvalidParameterError, match="digits"):
        call()


@pytest.mark.parametrize("name", ["alpha", "tol", "t_final"])
@pytest.mark.parametrize("value", [0, "0", "-1/3"])
def test_positive_flow_parameters_refuse_zero_and_negatives_by_name(name, value):
    import implicitreg
    from implicitreg.errors import InvalidParameterError

    kwargs = {"depth": 3, "alpha": 1, "t_final": "1/10", name: value}
    with pytest.raises(InvalidParameterError, match=f"{name} must be > 0"):
        implicitreg.gradient_flow(*ROW, **kwargs)


# --- the output schema: number strings and integers are exactly what docs/schema.md says ----------------------------

@pytest.mark.parametrize("text", ["3", "-3/7", "0.25", "1.5e-30", "inf", "-inf", ".5", "2E+10"])
def test_schema_number_strings_of_the_documented_forms(text):
    from implicitreg.schema import is_number_string

    assert is_number_string(text)


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "Infinity", "1/", "1e", "", "0x10", " 1", "1_000"])
def test_schema_number_strings_refuse_everything_else(text):
    from implicitreg.schema import is_number_string

    assert not is_number_string(text)


def test_schema_integers_are_not_booleans_and_numbers_not_nan():
    import implicitreg
    from implicitreg.schema import SchemaError, validate

    obj = implicitreg.selected_minimizer(*ROW, depth=3, digits=10).to_json()
    validate(obj, "select")
    for key, bad in [("digits_certified", True), ("digits_requested", False), ("m", 1.0), ("depth", "nan"),
                     ("unique", None), ("unique", 1), ("x", ["0.5", None]), ("support", [0, True])]:
        with pytest.raises(SchemaError, match=key):
            validate({**obj, key: bad}, "select")


# --- refutation certificates: the violation itself is proved, not only the margin ------------------------------------
# proofs/checker/refutation.py: "proved in interval arithmetic: lhs - bound > 0 and lhs - r bound > 0 (upper), bound -
# lhs > 0 and bound - r lhs > 0 (lower)". For a negative right-hand side the margin does not imply the violation, so
# the first inequality must be decided on its own, on the lower end of its enclosure.

def _refutation_step(monkeypatch, side, lhs, bound, ratio):
    from implicitreg.proofs.checker import refutation

    env = {"_x_inf": [], "err_l1": iv.mpf(lhs), "X1": iv.mpf(bound)}
    monkeypatch.setattr(refutation, "environment", lambda cert: env)

    def ball(a, b):
        return {"mid": str((F(a) + F(b)) / 2), "rad": str((F(b) - F(a)) / 2)}

    cert = {"instance": {"A": [[1]]}, "depth": "2", "alpha": "1", "alpha_convention": "product", "x_inf": [],
            "lhs_value": ball(*lhs), "bound_value": ball(*bound), "margin": {"ratio_lo": ratio}}
    out = []
    refutation._check_at_precision(cert, out, "err_l1", side, "X1")
    return out


@pytest.mark.parametrize("side, lhs, bound", [("upper", ("2", "3"), ("1/2", "1/2")),
                                              ("lower", ("1/2", "1/2"), ("2", "3"))])
def test_refutation_step_accepts_a_proved_violation_and_margin(monkeypatch, side, lhs, bound):
    assert any("is violated" in line for line in _refutation_step(monkeypatch, side, lhs, bound, "2"))


@pytest.mark.parametrize("side, lhs, bound", [
    ("upper", ("-2", "1"), ("-3/2", "-1")),     # lhs - 3 bound >= 1 is proved, lhs - bound > 0 is not (lhs may be -2)
    ("lower", ("-3/2", "-1"), ("-2", "1")),     # bound - 3 lhs >= 1 is proved, bound - lhs > 0 is not
])
def test_refutation_step_refuses_a_margin_without_the_violation(monkeypatch, side, lhs, bound):
    with pytest.raises(CheckFailure, match="violation is not proved"):
        _refutation_step(monkeypatch, side, lhs, bound, "3")


# --- exact l1 certificate: dual feasibility is |A^T lambda| <= 1 on both sides ---------------------------------------

def test_l1_certificate_refuses_a_dual_below_minus_one():
    from implicitreg.proofs.checker import lp

    # A = [1, -2], y = 1: x = (1, 0) is feasible with ||x||_1 = 1 = <y, lambda> for lambda = 1 (no duality gap), but
    # A^T lambda = (1, -2) is not dual feasible, and x is not the minimizer: (0, -1/2) has l1 norm 1/2
    A, y = [[F(1), F(-2)]], [F(1)]
    with pytest.raises(CheckFailure, match="not dual feasible"):
        lp.check_l1_optimal(A, y, [F(1), F(0)], F(1), [F(1)], "bp")
    assert lp.check_l1_optimal(A, y, [F(0), F(-1, 2)], F(1, 2), [F(1, 2)], "bp")      # the true minimizer


# --- deep-linear suite: agreement rows decide at the suite's 30 digits, not at a loosened tolerance ------------------
# proofs/suites/deep_linear.py: the closed form, the full Hessian (eigsy) and Lanczos agree "to 30 digits" (a row of
# its own), and S_min equals the full-Hessian sharpness of its attaining minimizer; all computed at 40 digits. A path
# off by a relative 1e-12 disagrees at the claimed digits: both rows must FAIL.

@pytest.mark.parametrize("scale, passed", [(0, True), (mpmath.mpf(10) ** -12, False)])
def test_deep_linear_agreement_rows_fail_on_a_path_off_by_1e_12(monkeypatch, scale, passed):
    from types import SimpleNamespace

    from implicitreg.proofs.suites import deep_linear as dsuite

    exact = dl.sharpness_exact
    monkeypatch.setattr(dl, "sharpness_exact",
                        lambda *a, **k: SimpleNamespace(value=exact(*a, **k).value * (1 + scale)))
    data = next(d for d in dsuite.instances() if d.name == "eigvec-d3")
    rows = []
    dsuite._mc_lb_rows(data, 2, np.random.default_rng(0), 1, rows)
    by_name = {r.theorem: r.passed for r in rows}
    assert by_name["MC-LB [closed form = full Hessian = Lanczos]"] is passed
    assert by_name["MC-Smin [attained]"] is passed
    assert by_name["MC-LB"]       # the bound row itself does not depend on the eigsy path


# --- diagonal certificates: constants recomputed by the checker equal their definitions -------------------------------
# proofs/checker/diagonal.py (dln.md §3-4): K2 = ||A_S^+ A_{S^c}||_{1->1}, the largest column l1 norm over S^c;
# alpha_prod = u(0)^D = alpha^D in the factor convention, for every real depth.

def test_checker_k2_is_the_largest_column_norm_over_the_off_support():
    from implicitreg.proofs.checker import diagonal

    # A_S = diag(1, 2): A_S^+ A_{S^c} has columns (3, -2) and (1, 1), l1 norms 5 and 2, so K2 = 5 (the first column)
    A = [[F(1), F(0), F(3), F(1)], [F(0), F(2), F(-4), F(2)]]
    xs = [F(1), F(1, 2), F(0), F(0)]
    env = diagonal._instance_constants(A, xs, [0, 1], F(1, 2), F(3), 4)
    assert env["_K2_exact"] == 5
    # and the other order of the two columns: still 5
    A2 = [[F(1), F(0), F(1), F(3)], [F(0), F(2), F(2), F(-4)]]
    assert diagonal._instance_constants(A2, xs, [0, 1], F(1, 2), F(3), 4)["_K2_exact"] == 5


def test_checker_support_and_posterior_constants_are_their_definitions():
    """K1* = max_S |log|x*_i||; K1 = ||w_S - sigma log(1/alpha_prod)||_inf, eps = ||w_S - sigma||_inf,
    rho_a = rho + K2 eps, rho_minus = max(rho - K2 eps, 0) (theory/diagonal.py), with signs of both kinds."""
    from implicitreg.proofs.checker import diagonal
    from implicitreg.proofs.checker.interval import hi, lo, point, precision

    A = [[F(1), F(0), F(3), F(1)], [F(0), F(2), F(-4), F(2)]]
    xs = [F(1), F(-1, 8), F(0), F(0)]                         # |log|x*_i|| = 0 and log 8: K1* = log 8
    with precision(30):
        env0 = diagonal._instance_constants(A, xs, [0, 1], F(1, 2), F(3), 4)
        assert lo(env0["K1star"]) <= mpmath.log(8) <= hi(env0["K1star"]) < lo(env0["K1star"]) + 1e-20
        ap = point(F(1, 10 ** 6))
        L = mpmath.log(10 ** 6)
        w = [iv.mpf(L + 1), iv.mpf(-L + 0.5)]                 # w_S - sigma L = (1, 1/2)
        env = diagonal._point_constants(env0, w, [0, 1], [1, -1], ap, F(3))

        def near(x, value):
            return abs(lo(x) - value) < 1e-20 and abs(hi(x) - value) < 1e-20

        assert near(env["K1"], 1)
        eps = L                                               # w_S - sigma = (L, -(L - 1/2)): sup norm L
        assert near(env["eps"], eps)
        assert near(env["rho_a"], 0.5 + 5 * eps)
        assert near(env["rho_minus"], 0)                      # rho - K2 eps < 0


@pytest.mark.parametrize("alpha, depth, expected", [
    (F(1, 4), F(5, 2), F(1, 32)),          # (1/4)^(5/2) = 2^-5
    (F(1, 9), F(3, 2), F(1, 27)),
    (F(1, 100), F(3), F(1, 10 ** 6)),
    (F(1, 16), F(1, 2) + 2, F(1, 1024)),
])
def test_checker_alpha_product_in_the_factor_convention_is_alpha_to_the_depth(alpha, depth, expected):
    from implicitreg.proofs.checker import diagonal
    from implicitreg.proofs.checker.interval import endpoints, precision

    with precision(30):
        a, b = endpoints(diagonal._alpha_product(alpha, depth, "factor"))
        assert a <= expected <= b and b - a <= expected * F(1, 10 ** 20)
        a, b = endpoints(diagonal._alpha_product(alpha, depth, "product"))
        assert a <= alpha <= b and b - a <= alpha * F(1, 10 ** 20)


# --- verify's summary: a theorem is "ok" only when none of its rows failed -------------------------------------------

def test_verify_summary_marks_a_theorem_with_any_failed_row_as_fail():
    from implicitreg.proofs.checks import Verdict
    from implicitreg.proofs.verify import format_summary

    def row(theorem, passed):
        return Verdict(theorem=theorem, provenance="paper", instance="i", depth="2", alpha_range="-", observed=1,
                       bound=2, margin="", passed=passed)

    lines = format_summary([row("T-mixed", True), row("T-mixed", False), row("T-good", True), row("T-bad", False)])
    assert lines[0].startswith("2 passed, 2 failed")
    marks = {line.split()[1]: line.split()[0] for line in lines[1:]}
    assert marks == {"T-mixed": "FAIL", "T-good": "ok", "T-bad": "FAIL"}


# --- certificate balls written by certify: they contain the interval, with the stated room, around a rounded mid -----
# proofs/certify/deep_linear.py _slack_ball: "a decimal ball containing [a, b] with extra radius 10^-digits |scale|
# (scale: the midpoint unless given)". The midpoint is rounded to ``digits`` digits, so the radius must be measured
# from the rounded midpoint; intervals narrower than that rounding are the ones that tell.

@pytest.mark.parametrize("a, b, digits", [
    (F(10049, 10000), F(10049, 10000), 3),                      # a point whose midpoint rounds 0.0049 away
    (F(-10049, 10000), F(-100491, 100000), 3),
    (F(1, 3), F(1, 3) + F(1, 10 ** 30), 20),
    (F(19995, 10000), F(19996, 10000), 4),
    (F(-2), F(3), 5),
])
def test_certify_slack_ball_contains_the_interval_with_room(a, b, digits):
    from implicitreg.proofs.certify.deep_linear import _slack_ball
    from implicitreg.proofs.checker.interval import read_ball

    a, b = min(a, b), max(a, b)
    ball = _slack_ball((a, b), digits)
    lo_, hi_ = read_ball(ball, "ball")
    mid = (lo_ + hi_) / 2
    room = abs(mid) / 10 ** digits
    assert lo_ + room <= a and b + room <= hi_, (ball, a, b)


# --- refutation certificates: every quantity a conjecture may name is its definition ---------------------------------
# proofs/checker/refutation.py QUANTITIES (definitions: theory/quantities.py, numerics/error_constants.py). The checker
# recomputes them in interval arithmetic; here each is compared with the numerics' own path (exact basis pursuit,
# support_pinv_norm, posterior_constants, offsupport_radius and the dual-Newton limit at 40 digits), on an instance
# whose off-support columns have different norms, at a real depth in the factor convention.

def test_refutation_quantities_equal_their_definitions():
    from implicitreg.numerics import error_constants as ec
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.proofs.checker import refutation
    from implicitreg.proofs.checker.interval import endpoints, precision
    from implicitreg.proofs.falsify.certificate import refutation_certificate
    from implicitreg.proofs.falsify.conjecture import conjecture

    inst = Instance.from_lists([[2, 0, 3, 1, -1], [0, 1, 1, -2, 1]], [2, 1])
    D, alpha = F(5, 2), F(1, 100)                       # factor convention: alpha_prod = alpha^D = 1e-5
    conj = conjecture("err_l1", "rho / 1000000000000000000000000000000")     # false: err_l1 is about 1e-5 here
    cert = refutation_certificate(conj, inst, D, alpha, alpha_convention="factor")
    with precision(cert["tool"]["checker_dps"]):
        env = {k: endpoints(v) for k, v in refutation.environment(cert).items() if k in refutation.QUANTITIES}
    mp = mpmath.mp
    with mpmath.workdps(50):      # the numerics read the global context
        sc = ec.support_constants(inst)
        lim = gradient_flow_limit(inst, D, alpha, alpha_convention="factor", digits=40)
        pc = ec.posterior_constants(lim, sc)

        def q(v):
            return mp.mpf(v.numerator) / v.denominator if isinstance(v, F) else mp.mpf(v)

        ap = q(alpha) ** q(D)
        xs = [q(v) for v in sc.x_star]
        x = [mp.mpf(v) for v in lim.x]
        diff = [a - b for a, b in zip(x, xs)]
        rho, K2 = q(sc.rho), q(sc.K2)
        K1star = max(abs(mp.log(abs(xs[i]))) for i in sc.support)
        assert abs(K1star - sc.K1_star) <= 1e-14
        expected = {
            "alpha": alpha, "alpha_product": ap, "alpha_factor": alpha, "D": D, "p": D, "m": 2, "N": 5, "s": 2, "n": 3,
            "rho": rho, "K2": K2, "K1star": K1star, "m_star": sc.m_star, "M": sum(abs(v) for v in xs),
            "x_star_l1": sum(abs(v) for v in xs), "kappa_lb": (1 - rho) / (1 + K2),
            "K1": pc.K1, "eps": pc.eps, "rho_a": pc.rho_a, "rho_minus": max(pc.rho_minus, 0),
            "Kbar1": K1star + mp.log(2) + 4 * ap ** 2 / q(sc.m_star) ** 2,
            "M0": ec.offsupport_radius(D, pc.rho_a, 3),
            "err_l1": sum(abs(v) for v in diff), "err_l2": mp.sqrt(sum(v ** 2 for v in diff)),
            "err_inf": max(abs(v) for v in diff), "X1": sum(abs(v) for v in x), "x_inf_l1": sum(abs(v) for v in x),
            "gap": sum(abs(v) for v in x) - sum(abs(v) for v in xs),
        }
        assert set(expected) == set(refutation.QUANTITIES)
        assert sc.K2 == F(6, 7)                             # the first of three off-support columns (norms 6/7, 4/7, 5/7)
        for name, value in expected.items():
            value = q(value)
            a, b = map(q, env[name])
            assert abs((a + b) / 2 - value) <= mp.mpf(10) ** -25 * max(abs(value), 1e-10), (name, a, b, value)


# --- the checker's width caps are the documented ones (docs/certificates.md: "every ratio interval hi - lo <= 10^-9 hi")

def test_ratio_interval_width_cap_is_the_documented_1e_9():
    from implicitreg.proofs.checker.interval import hull, point, precision

    with precision(40):
        x = hull(point(F(1, 2)), point(F(1, 2)))
        chi = F(1, 2)
        assert verdicts._ratio(x, {"lo": str(chi * (1 - F(1, 10 ** 9))), "hi": str(chi)}, "r", "e/b")
        with pytest.raises(CheckFailure, match="wider than"):
            verdicts._ratio(x, {"lo": str(chi * (1 - F(2, 10 ** 9))), "hi": str(chi)}, "r", "e/b")


# --- resource limits are the documented numbers, not whatever a constant says -----------------------------------------
# docs/certificates.md: checker_dps 15..400; proofs/checker/jsonread.py: nesting <= 16, strings <= 8000 characters, bare
# numbers <= 12 characters; numerics/instance.py: at most 10^6 entries. A loosened limit lets a file choose the cost.

def test_checker_dps_is_bounded_by_400():
    from pathlib import Path

    import strategies_certificates as S

    ref = S.load(Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "ms_d2_row_r1_2.json")
    ref = {k: v for k, v in ref.items() if k != "limit"}
    for dps in (401, 14, 10 ** 6):
        exc = S.refusal(S.edit(ref, ("tool", "checker_dps"), dps))
        assert exc.field == "tool.checker_dps", (exc.field, exc.message)


def test_checker_json_reader_limits():
    from implicitreg.proofs.checker.jsonread import InputError, loads

    loads("[" * 16 + "]" * 16)
    for text in ("[" * 17 + "]" * 17, '{"a": "' + "x" * 8001 + '"}', '{"a": 1234567890123}', "[" * 1000):
        with pytest.raises(InputError):
            loads(text)
    assert loads('{"a": "' + "x" * 8000 + '", "b": 123456789012}') == {"a": "x" * 8000, "b": 123456789012}
    with pytest.raises(InputError) as exc:
        loads('{"a": "' + "x" * 8001 + '"}')
    assert exc.value.message == "a string of 8001 characters at offset 6 (limit 8000)"
    with pytest.raises(InputError) as exc:                      # unterminated: the limit first, then the syntax
        loads('{"a": "' + "x" * 8001)
    assert exc.value.message == "a string of more than 8000 characters"
    with pytest.raises(InputError) as exc:
        loads('{"a": "' + "x" * 8000)
    assert "more than 8000" not in exc.value.message


def test_file_size_limits_are_the_documented_512_kib_and_64_mib(tmp_path):
    from implicitreg.proofs.checker.jsonread import InputError, loads

    limit = 512 * 1024                                          # docs/certificates.md: "files over 512 KiB"
    assert loads("[" + " " * (limit - 2) + "]") == []
    for data in ("[" + " " * (limit - 1) + "]", b"[" + b" " * (limit - 1) + b"]"):
        with pytest.raises(InputError, match="limit"):
            loads(data)
    big = tmp_path / "big.json"                                 # docs/schema.md: "files over 64 MiB" (sparse file)
    with open(big, "wb") as f:
        f.truncate(64 * 2 ** 20 + 1)
    with pytest.raises(InvalidInstanceError, match="bytes"):
        Instance.load(big)


def test_instance_files_above_a_million_entries_are_refused(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.zeros((1000, 1001), dtype=np.int8))          # [A | y] with 1 001 000 entries
    with pytest.raises(InvalidInstanceError, match="entries"):
        Instance.load(path)


# --- deep-linear data constants: kappa = Lambda / lambda_min is a condition number (>= 1; inf when Sigma is singular)

@pytest.mark.parametrize("kind", ["mp", "float"])
def test_data_condition_number_is_at_least_one_also_for_singular_sigma(kind):
    singular = dl.RegressionData.from_lists([[1, 0, 2, -1, 1], [0, 1, 1, 1, -2], [2, 1, 0, 1, 1]], [1, "-1/2", 2])
    c = dl.data_constants(singular, kind)                     # n = 3 < d = 5: Sigma has rank 3
    assert c.kappa >= 1 and c.kappa > 10 ** 12
    regular = dl.RegressionData.from_lists([[2, 0], [0, 1], [1, 1]], [1, 2, 3])
    c = dl.data_constants(regular, kind)
    assert c.kappa >= 1 and abs(c.kappa - c.Lambda / c.lambda_min) <= 1e-12 * c.kappa


# --- gradient flow results: the reported residual, loss and default tolerance are the documented ones ---------------
# implicitreg.gradient_flow: runs until ||A x - y||_inf <= tol (default 10^-(digits-8)); residual_t and loss_t are
# ||A x - y||_inf and ||A x - y||^2 / 2 (dln.md's 1/2 normalization) at each reported time. A x - y < 0 at the start
# (small initialization), so a residual without abs() would read as converged.

@pytest.mark.parametrize("full", [False, True])
def test_flow_residual_and_loss_are_the_norms_of_a_x_minus_y(full):
    import implicitreg

    A, y = [[1, 2, 3], [0, 1, -1]], [1, 2]
    res = implicitreg.gradient_flow(A, y, depth=3, alpha="1e-2", t_final="1/2", digits=20, full=full)
    assert len(res.t) > 3
    for x, r_inf, loss in zip(res.x_t, res.residual_t, res.loss_t):
        r = [sum(a * v for a, v in zip(row, x)) - yi for row, yi in zip(A, y)]
        assert abs(r_inf - max(abs(v) for v in r)) <= 1e-15 * max(abs(v) for v in r)
        assert abs(loss - sum(v * v for v in r) / 2) <= 1e-15 * loss


def test_flow_default_convergence_tolerance_is_10_to_the_8_minus_digits():
    import implicitreg

    res = implicitreg.gradient_flow([[1, 2, 3]], [1], depth=2, alpha="1e-3", digits=20)
    assert res.converged and abs(res.tol * mpmath.mpf(10) ** 12 - 1) < 1e-10
    assert abs(res.residual_t[-1]) <= res.tol


# --- deep-linear sharpness solvers: stopping rules and minima are what their docstrings say ---------------------------

def test_power_iteration_stops_on_its_documented_residual():
    """sharpness_power: "stops when the residual ||H v - S v|| <= tol |S|"; the residual bounds the eigenvalue error."""
    data = dl.RegressionData.from_lists([[1, 2, 0], [0, 1, 1], [3, -1, 2], [1, 1, 1], ["1/2", 0, -1]], [1, 2, 3, 4, 5])
    net = dl.balanced_rank_one_minimizer(data.w_star("float"), 3)
    exact = float(dl.sharpness_exact(net, data).value)
    for tol in (1e-6, 1e-10):
        res = dl.sharpness_power(net, data, tol=tol)
        assert res.error_bound <= tol * abs(res.value)
        assert abs(res.value - exact) <= res.error_bound + 1e-12 * exact


@pytest.mark.parametrize("X, y, L", [([[1, 0], [0, 100]], [1, 1], 2), ([[1, 0], [0, 1000]], [1, 1], 3),
                                     ([[1, 0], [0, "1/100"]], [100, 1], 3)])
def test_min_sharpness_is_the_minimum_of_its_objective_over_a_wide_range(X, y, L):
    """S_min is the minimum over all global minimizers (aligned ones at every t > 0): no t gives less, also when the
    minimizing t is several e-folds away from the search's starting guess ||w*||^(2-2/L)."""
    data = dl.RegressionData.from_lists(X, y)
    m = dl.min_sharpness(data, L, dps=20)
    with mpmath.workdps(30):
        Sigma, w = data.sigma("mp"), data.w_star("mp")
        assert abs(dl.min_sharpness_objective(Sigma, w, L, m.t) / m.value - 1) < 1e-15
        for k in range(-60, 61):
            t = m.t * mpmath.exp(mpmath.mpf(k) / 4)
            assert dl.min_sharpness_objective(Sigma, w, L, t) >= m.value * (1 - mpmath.mpf(10) ** -18), k
