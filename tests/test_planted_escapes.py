"""Kinds of bugs that escaped an independent planted-bug run (``tools/planted_bugs.py``, docs/mutation.md).

Each test is written from the specification of the code (its docstring, docs/theory, a closed form), against the
*kind* of bug that escaped, not against the planted line: a JSON number read through a binary float, an iterative
eigen-solver stopping on a wrong residual, a root bound too small for the largest root, a proof step that can be
dropped, a ball radius cap that does not scale with a small value.
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
