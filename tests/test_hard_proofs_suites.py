"""Row builders of the verify suites that only the thorough profile runs (issue 13, hardening): the diagonal
sharpness search, the depth comparison with its crossover note, the flow-vs-dual DLN-limit row and MC-SI outside
its documented regime. Each is reached here by a cheap call (one random instance, stubbed flows), and fed a known
violation that must turn its verdict to FAIL.
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.numerics import error_constants as ec
from implicitreg.numerics.error_constants import support_constants
from implicitreg.numerics.instance import Instance
from implicitreg.proofs.suites import diagonal as sd
from implicitreg.proofs.suites import deep_linear as sdl

ROW = Instance.from_lists([[1, "1/2"]], [1], name="row")


def test_sharpness_search_on_one_instance_holds():
    rows = sd._sharpness_search(count=1)
    assert [(r.theorem, r.depth, r.alpha_range, r.instance) for r in rows] == [
        ("MS-D2 sharpness search", "2", "1e-20", "1 random instances"),
        ("MS-D3 sharpness search", "3", "1e-20", "1 random instances")]
    for r in rows:
        ratio = mpmath.mpf(r.margin)
        assert r.passed and 0 < ratio <= 1, (r.theorem, r.margin)
        assert r.note.startswith("worst at A=")


def test_sharpness_search_fails_when_an_error_exceeds_its_bound(monkeypatch):
    real = ec.limit_error

    def inflated(*a, **k):
        e1, einf, lim = real(*a, **k)
        return e1 * 1000, einf, lim

    monkeypatch.setattr(ec, "limit_error", inflated)
    rows = sd._sharpness_search(count=1)
    assert len(rows) == 2
    for r in rows:
        assert not r.passed and mpmath.mpf(r.margin) > 1, (r.theorem, r.margin)


def test_depth_rows_thorough_carry_the_crossover_note_and_hold():
    sc = support_constants(ROW)
    rows = sd._depth_rows("row", ROW, sc, True)
    assert [r.depth for r in rows] == ["3 vs 2", "4 vs 2", "5 vs 2"]
    for r, D in zip(rows, (3, 4, 5)):
        assert r.passed and r.alpha_range == "1e-2..1e-8" and r.bound == "< 1 at alpha <= 1e-4"
        assert r.note == f"depth {D} is closer on the whole range up to alpha = 1e0"
        ratios = [mpmath.mpf(x) for x in r.observed.split("= ")[1].split(", ")]
        assert len(ratios) == 3 and mpmath.mpf(r.margin) == pytest.approx(max(ratios[1:]), rel=1e-2)


def test_depth_rows_note_a_found_crossover_and_fail_when_deeper_is_larger(monkeypatch):
    sc = support_constants(ROW)
    monkeypatch.setattr(ec, "crossover_alpha", lambda *a, **k: SimpleNamespace(found=True, alpha=mpmath.mpf("2.5e-3"),
                                                                               note="x"))
    real = ec.limit_error

    def deeper_worse(inst, D, a, x_star, digits=15):
        e1, einf, lim = real(inst, D, a, x_star, digits=digits)
        return (e1 * 10 ** 6 if D != 2 and a == "1e-8" else e1), einf, lim

    monkeypatch.setattr(ec, "limit_error", deeper_worse)
    rows = sd._depth_rows("row", ROW, sc, True)
    assert all(r.note == "crossover: 0.0025" for r in rows)
    assert not any(r.passed for r in rows)


class _Lim:
    def __init__(self, x):
        self.x = [mpmath.mpf(v) for v in x]
        self.dps = 30
        self.alpha_product = mpmath.mpf(1) / 100


def test_flow_vs_dual_row_holds_at_1e_minus_18(monkeypatch):
    from implicitreg.numerics import limit as limit_mod

    state = {"diff": mpmath.mpf(10) ** -18}

    def fake(inst, D, a, method, digits):
        with mpmath.workdps(40):
            if method == "flow":
                return _Lim([mpmath.mpf("0.5") + state["diff"], "0.25", "0.25"])
            return _Lim(["0.5", "0.25", "0.25"])

    monkeypatch.setattr(limit_mod, "limit", fake)
    rows = sd._dln_limit_rows(True)
    assert len(rows) == 7
    flow = rows[-1]
    assert flow.depth == "2" and flow.alpha_range == "1e-2" and flow.passed
    assert all(r.passed and r.margin == "60" for r in rows[:-1])
    state["diff"] = mpmath.mpf("1.1e-18")
    assert not sd._dln_limit_rows(True)[-1].passed
    assert len(sd._dln_limit_rows(False)) == 6


@pytest.fixture
def small_init(monkeypatch):
    """MC-SI rows with S_LB = 1, S_SI = 2, S_bal = 1 and the flows replaced: run -> (status, S) per (L, s)."""
    import numpy as np

    state = {"S": {}, "status": 1}
    monkeypatch.setattr(sdl, "_float_constants", lambda data, L: (1.0, 2.0, 1.0))
    monkeypatch.setattr(sdl, "_structure_ok", lambda net, net0: True)
    monkeypatch.setattr(sdl, "instances", lambda thorough=False: [SimpleNamespace(name="d3"),
                                                                   SimpleNamespace(name="d5")])
    monkeypatch.setattr(sdl.dl, "imbalances", lambda net: [np.eye(2)])

    def run(data, L, s, seed, tol=1e-13):
        S = state["S"].get((L, s), 1.0 + s / 10 if L == 3 else 1.5)
        return SimpleNamespace(status=state["status"], net=None), S, None

    monkeypatch.setattr(sdl, "small_init_run", run)

    def rows(thorough=False):
        out = []
        sdl._small_init_rows(thorough, out)
        return {r.theorem: r for r in out}

    state["rows"] = rows
    return state


def test_mc_si_row_inside_the_regime(small_init):
    rows = small_init["rows"]()
    si = rows["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"]
    assert si.passed and si.depth == "10" and "outside the regime" not in si.note
    small_init["S"][(10, 0.25)] = 2.0 * (1 + 1e-12)          # the first scale above S_SI (the worst, not the last)
    assert not small_init["rows"]()["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"].passed
    small_init["S"].clear()
    small_init["status"] = 0                                  # a flow that did not converge
    assert not small_init["rows"]()["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"].passed


def test_mc_si_outside_the_regime_is_reported_in_the_note_not_the_verdict(small_init):
    small_init["S"][(10, 0.6)] = 2.5                          # above S_SI outside the regime: named, not judged
    rows = small_init["rows"](thorough=True)
    si = rows["MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]"]
    assert si.passed
    assert "outside the regime: " in si.note
    assert "s=0.6 seed 1: S/(8 L Lambda)=1.25 FAILS" in si.note and "s=0.5 seed 1: S/(8 L Lambda)=0.75 (" in si.note
    assert "3 seed(s)" in si.note


def test_mc_si_s_bal_row_needs_convergence_above_s_lb(small_init):
    rows = small_init["rows"]()
    bal = rows["MC-SI [S/S_bal -> 1 as s -> 0]"]
    assert bal.passed and bal.depth == "3"
    small_init["S"][(3, 0.01)] = 1.0 - 1e-6                   # below S_LB = 1 at the smallest scale
    assert not small_init["rows"]()["MC-SI [S/S_bal -> 1 as s -> 0]"].passed
