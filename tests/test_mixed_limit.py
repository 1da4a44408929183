"""The mixed-precision GF-limit solve: agreement with the full-precision baseline, independence of the check solve,
and the exact integer products it rests on."""
from __future__ import annotations

import dataclasses
import random
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mpf

from implicitreg.numerics import dual_limit, float64_dual, mixed_limit
from implicitreg.numerics.dual_limit import LimitResult, full_precision_limit, gradient_flow_limit
from implicitreg.numerics.float64_dual import Float64Dual, blas_one_thread
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.integer_form import IntegerRows
from implicitreg.numerics.precision import flint_precision, arb_to_mpf
from strategies_engine import alphas, conventions, depths, instances, random_instance


def _agree(a, b, digits, floor):
    """|a_i - b_i| <= 10^-digits max(|b_i|, floor) for all i."""
    return all(abs(x - y) <= mpf(10) ** (-digits) * max(abs(y), floor) for x, y in zip(a, b))


def _claimed(mixed, full) -> int:
    """The digits both solves claim, less one (two values each right to d digits agree to about d - 0.3)."""
    return min(mixed.digits, full.digits) - 1


def _both(inst, D, alpha, convention="product", digits=20):
    mixed = gradient_flow_limit(inst, D, alpha, alpha_convention=convention, digits=digits)
    full = full_precision_limit(inst, D, alpha, alpha_convention=convention, digits=digits)
    return mixed, full


# --- mixed precision agrees with the full-precision solve -----------------------------------------------------

@given(inst=instances(), D=depths, alpha=alphas, convention=conventions)
def test_property_mixed_agrees_with_full(inst, D, alpha, convention):
    mixed, full = _both(inst, D, alpha, convention)
    assert mixed.method == "mixed" and full.method == "full"
    assert mixed.digits >= 20 and full.digits >= 20
    with mpmath.workdps(max(mixed.dps, full.dps)):
        assert _agree(mixed.x, full.x, _claimed(mixed, full), max(mixed.floor, full.floor))


@st.composite
def near_degenerate(draw):
    """A = [[1, r, s]], y = 1 with r = 1 - 10^-k close to 1 (rho close to 1: the off-support entry decays like
    alpha^(1 - rho)), s small (a tiny off-support entry), or a 2 x 4 variant with a nearly repeated column."""
    k = draw(st.integers(2, 8))
    r = 1 - Fraction(1, 10 ** k)
    s = Fraction(draw(st.integers(1, 9)), 10 ** draw(st.integers(1, 6)))
    if draw(st.booleans()):
        return Instance.from_lists([[1, r, s]], [1])
    return Instance.from_lists([[1, r, s, 0], [0, 1, -1, 1]], [1, 2])


@given(inst=near_degenerate(), D=st.sampled_from([Fraction(2), Fraction(5, 2), Fraction(3)]),
       k=st.integers(10, 40), convention=conventions)
def test_property_near_degenerate_instances(inst, D, k, convention):
    alpha = Fraction(1, 10 ** k)
    mixed, full = _both(inst, D, alpha, convention, digits=25)
    assert mixed.method == "mixed" and mixed.digits >= 25 and full.digits >= 25
    with mpmath.workdps(max(mixed.dps, full.dps)):
        assert _agree(mixed.x, full.x, _claimed(mixed, full), max(mixed.floor, full.floor))


def test_larger_instance_at_tiny_alpha():
    """m = 12, N = 40, alpha = 1e-30, 40 digits, D = 2, 5/2, 3: the mixed path certifies and agrees with full."""
    inst = random_instance(12, 40, seed=5, support=(0, 7, 19, 33), values=(3, -2, 1, 2))
    for D in (2, Fraction(5, 2), 3):
        mixed, full = _both(inst, D, "1e-30", digits=40)
        assert mixed.method == "mixed" and mixed.digits >= 40
        with mpmath.workdps(mixed.dps):
            assert _agree(mixed.x, full.x, 40, full.floor)


# --- the certification solve is independent -------------------------------------------------------------------

def _spy_refine(monkeypatch):
    calls = []
    original = mixed_limit.refine

    def spy(dual, nu, a, dps, jacobian_dps, **kwargs):
        calls.append({"nu0": list(nu), "dps": dps, "jacobian_dps": jacobian_dps, "dual": dual})
        out = original(dual, nu, a, dps, jacobian_dps, **kwargs)
        calls[-1]["nu"] = list(out.nu)
        return out

    monkeypatch.setattr(mixed_limit, "refine", spy)
    return calls


def test_check_solve_shares_no_approximation(monkeypatch):
    """The two solves: own working precision, own Jacobian precision, own problem object; the first starts from the
    float64 point, the check from the first solve's nu rounded to check_start_digits (not from its answer)."""
    calls = _spy_refine(monkeypatch)
    inst = random_instance(6, 15, seed=1)
    res = gradient_flow_limit(inst, 3, "1e-12", digits=30)
    assert res.method == "mixed" and len(calls) == 2
    first, check = calls
    assert check["dps"] == 2 * first["dps"] == res.dps and res.dps_check == first["dps"]
    assert check["jacobian_dps"] != first["jacobian_dps"]
    assert check["dual"] is not first["dual"]
    R = mixed_limit.check_start_digits(30, mpf("1e-12"), 3)
    assert R == 15 + 4  # 30 // 2, plus (D - 2)/D log10(1/alpha) = 4 digits for the pole
    with mpmath.workdps(check["dps"]):
        top = max(abs(arb_to_mpf(v)) for v in first["nu"])
        step = mpf(10) ** (mpmath.floor(mpmath.log10(top)) - R + 1)
        moved = max(abs(arb_to_mpf(a) - arb_to_mpf(b)) for a, b in zip(check["nu0"], first["nu"]))
        assert step / 100 < moved <= step  # rounded to the grid: the check must earn every digit beyond R
        assert all(mpmath.almosteq(arb_to_mpf(v) / step, mpmath.nint(arb_to_mpf(v) / step), 1e-30) for v in check["nu0"])


def test_a_check_that_does_not_iterate_cannot_certify(monkeypatch):
    """Mutant: the check solve returns its (rounded) start unchanged. It agrees with the first solve only to about
    digits // 2 digits, so the mixed path refuses 50 digits and the full solve decides."""
    original = mixed_limit.refine
    count = []

    def lazy(dual, nu, a, dps, jacobian_dps, **kwargs):
        count.append(1)
        if len(count) % 2 == 1:
            return original(dual, nu, a, dps, jacobian_dps, **kwargs)
        with flint_precision(dps):
            z = dual.zvec(nu)
            x = [(a * p).mid() for p in dual.phi(z)]
        return mixed_limit.Refinement(nu=nu, z=z, x=x, iterations=1, jacobians=0, jacobian_dps=jacobian_dps)

    monkeypatch.setattr(mixed_limit, "refine", lazy)
    inst = random_instance(5, 12, seed=4)
    for D in (2, 3):
        res = gradient_flow_limit(inst, D, "1e-20", digits=50)
        assert res.method == "full" and "did not certify" in res.message


def test_rounded_start():
    with flint_precision(60):
        out = mixed_limit.rounded_start([flint.arb("1234.56789"), flint.arb("-0.00123456"), flint.arb(0)], 5)
        assert [float(v) for v in out] == [1234.5, -0.0, 0.0]
        out = mixed_limit.rounded_start([flint.arb("-98765.4321"), flint.arb("12.345")], 3)
        assert [float(v) for v in out] == [-98700.0, 0.0]
        assert mixed_limit.rounded_start([flint.arb(0)] * 2, 5) == [0, 0]


def _corrupt_residual(monkeypatch, shared: bool):
    """Perturb y by a relative 1e-35 inside the residual of the first solve of each pair (shared=False) or of
    both solves (shared=True)."""
    original = mixed_limit.refine
    count = []

    def refine(dual, *args, **kwargs):
        count.append(1)
        if shared or len(count) % 2 == 1:
            exact = dual.gradient
            dual.gradient = lambda x: [(gi + yi * flint.arb(10) ** -35).mid() for gi, yi in zip(exact(x), dual.y)]
        return original(dual, *args, **kwargs)

    monkeypatch.setattr(mixed_limit, "refine", refine)


def test_a_wrong_first_solve_is_caught(monkeypatch):
    """A first solve converging to a wrong point (residual off by 1e-35) disagrees with the independent check at
    50 digits: the mixed path refuses, and the full-precision solve decides (with the true digits)."""
    inst = random_instance(4, 9, seed=3)
    truth = full_precision_limit(inst, 2, "1e-10", digits=50)
    _corrupt_residual(monkeypatch, shared=False)
    res = gradient_flow_limit(inst, 2, "1e-10", digits=50)
    assert res.method == "full" and "did not certify" in res.message
    with mpmath.workdps(res.dps):
        assert _agree(res.x, truth.x, 50, truth.floor)


def test_a_shared_approximation_would_certify_wrong_digits(monkeypatch):
    """The mutant the independence guards against: the same wrong residual in both solves makes them agree on a
    wrong point, so it is certified. This is why the check evaluates its own residual (test above) and why
    test_check_solve_shares_no_approximation pins that the solves share no Jacobian and no residual."""
    inst = random_instance(4, 9, seed=3)
    truth = full_precision_limit(inst, 2, "1e-10", digits=50)
    _corrupt_residual(monkeypatch, shared=True)
    res = gradient_flow_limit(inst, 2, "1e-10", digits=50)
    assert res.method == "mixed"
    with mpmath.workdps(res.dps):
        assert not _agree(res.x, truth.x, 50, truth.floor)


def test_refuses_when_the_solves_disagree(monkeypatch):
    """Simulated disagreement: two attempts of the mixed pair, two of the full pair, then PrecisionError."""
    calls = []
    monkeypatch.setattr(dual_limit, "agreeing_digits", lambda *a, **k: calls.append(1) or 3)
    with pytest.raises(dual_limit.PrecisionError):
        gradient_flow_limit(Instance.from_lists([[1, 2, 3]], [1]), 2, "0.01", digits=10)
    assert len(calls) == 4


def test_falls_back_to_full_when_the_refinement_fails(monkeypatch):
    monkeypatch.setattr(mixed_limit, "MAX_REFINE", 1)
    inst = random_instance(3, 8, seed=2)
    res = gradient_flow_limit(inst, 3, "1e-12", digits=20)
    assert res.method == "full" and res.digits >= 20


# --- the result type ------------------------------------------------------------------------------------------

def test_limit_result_is_frozen_and_keyword_only():
    res = gradient_flow_limit(Instance.from_lists([[1, Fraction(1, 2)]], [1]), 2, "1e-10", digits=20)
    assert res.success and res.status == 0 and res.dps > res.dps_check
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.digits = 99
    with pytest.raises(TypeError):
        LimitResult([], [], [], 2, 1, "product", mpf(1), 1, mpf(0), 10, 5, 0, mpf(0))
    js = res.to_json()
    assert js["x"] == res.x_str() and js["digits"] == res.digits and js["method"] == "mixed"
    assert js["dps"] == res.dps and js["dps_check"] == res.dps_check


def test_method_is_validated():
    with pytest.raises(dual_limit.InvalidParameterError):
        gradient_flow_limit(Instance.from_lists([[1, 2]], [1]), 2, "0.1", method="fast")


# --- exact integer products and the float64 stage -------------------------------------------------------------

@pytest.mark.parametrize("m, N", [(3, 5), (20, 70)])
def test_gram_is_exact(m, N):
    rng = random.Random(m)
    A = [[Fraction(rng.randint(-1000, 1000), rng.choice([1, 2, 5, 10])) for _ in range(N)] for _ in range(m)]
    rows = IntegerRows(A)
    assert rows.exact_float_products()
    for _ in range(3):
        W = [rng.getrandbits(rng.randint(1, 300)) if rng.random() < 0.8 else 0 for _ in range(N)]
        AW = flint.fmpz_mat(m, N, [a * w for row in rows.rows for a, w in zip(row, W)])
        assert rows.gram(W) == AW * rows.fmpz_T
    big = IntegerRows([[Fraction(2 ** 40 + 1), Fraction(3)], [Fraction(-5), Fraction(7)]])
    assert not big.exact_float_products()
    W = [2 ** 100 + 3, 5]
    assert big.gram(W) == flint.fmpz_mat([[(2 ** 40 + 1) ** 2 * W[0] + 9 * W[1], (2 ** 40 + 1) * -5 * W[0] + 21 * W[1]],
                                          [(2 ** 40 + 1) * -5 * W[0] + 21 * W[1], 25 * W[0] + 49 * W[1]]])


def test_residual_is_exact_and_signed():
    rows = IntegerRows([[Fraction(1), Fraction(1, 3)], [Fraction(-2), Fraction(1)]])
    with mpmath.workdps(50):
        x = [mpf(-1), mpf(3)]  # A x = (0, 5)
        assert rows.residual_inf(x, [Fraction(0), Fraction(5)]) == 0
        assert rows.residual_inf(x, [Fraction(1, 10 ** 40), Fraction(5)]) == mpf(1) / 10 ** 40
        assert rows.residual_inf(x, [Fraction(0), Fraction(4)]) == 1


def test_float64_gaps_are_correctly_rounded():
    """1 - z and 1 + z from the exact z = A^T nu of the float64 nu, near the pole (where float64 A^T nu fails)."""
    A = [[Fraction(1, 3), Fraction(2, 7)], [Fraction(-1, 5), Fraction(1)]]
    P = Float64Dual(A, [Fraction(1), Fraction(1)], Fraction(3))
    nu = np.array([3.0 * (1 - 2.0 ** -40), 0.0])  # z_0 = 1 - 2^-40 (1 + ...) exactly representable relation
    om, op = P.gaps(nu)
    exact_z0 = Fraction(nu[0]) * Fraction(1, 3)
    assert om[0] == float(1 - exact_z0) and op[0] == float(1 + exact_z0)
    assert om[1] == float(1 - Fraction(nu[0]) * Fraction(2, 7))


def test_blas_threads_are_restored():
    from threadpoolctl import threadpool_info, threadpool_limits

    # from two BLAS threads (a pytest-xdist worker runs with one, tests/conftest.py), so that a limit left at one
    # after the context is seen
    with threadpool_limits(limits=2, user_api="blas"):
        before = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        with blas_one_thread():
            inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        gradient_flow_limit(random_instance(3, 8, seed=2), 2, "1e-12", digits=20)
        assert all(n == 1 for n in inside)
        assert [(i["internal_api"], i["num_threads"]) for i in threadpool_info()] == before
    assert float64_dual.FINAL_TOL < float64_dual.STAGE_TOL
