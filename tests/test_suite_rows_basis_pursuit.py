"""The basis-pursuit suite's row verdicts as pure functions, each fed known violations (one conjunct at a time), and
the rows' use of them (a verdict function forced to False fails its row on the one-row instance [1, 1/3]).

Expected verdicts come from the docstrings: the LP and enumeration agree on every field, the face holds and lists
exactly the enumerated optimal vertices, the spec's stated keys match (rho_approx within 5e-6, strictly).
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest

from implicitreg.numerics.instance import Instance
from implicitreg.proofs.suites import basis_pursuit as bsuite

F = Fraction
LP = (F(1), True, (0, 2), (1, -1))


# ---------------------------------------------------------------- LP = enumeration, field by field

def test_lp_matches_enumeration_on_equal_results():
    assert bsuite.lp_matches_enumeration(LP, tuple(LP)) is True


@pytest.mark.parametrize("k, wrong", [(0, F(1) + F(1, 10 ** 30)), (1, False), (2, (0,)), (2, (0, 1, 2)), (2, (0, 1)),
                                      (3, (1, 1)), (3, (-1, -1))])
def test_lp_matches_enumeration_fails_on_one_field(k, wrong):
    other = list(LP)
    other[k] = wrong
    assert bsuite.lp_matches_enumeration(LP, tuple(other)) is False
    assert bsuite.lp_matches_enumeration(tuple(other), LP) is False


def test_lp_matches_enumeration_needs_every_field():
    assert bsuite.lp_matches_enumeration(LP, LP[:3]) is False
    assert bsuite.lp_matches_enumeration(LP[:3], LP) is False


# ---------------------------------------------------------------- the face: all vertices on it, exactly listed

@pytest.mark.parametrize("contained, ok", [
    ([True], True), ([True, True, True], True), ([], True),
    ([False, True, True], False), ([True, False, True], False), ([True, True, False], False), ([False], False)])
def test_face_contains_every_vertex(contained, ok):
    assert bsuite.face_contains_every_vertex(contained) is ok


V = [(F(1), F(0), F(0)), (F(0), F(1, 2), F(0)), (F(0), F(0), F(1, 3))]


@pytest.mark.parametrize("listed, ok", [
    (V, True), (list(reversed(V)), True), (None, True),
    (V[1:], False), ([V[0], V[2]], False), (V[:2], False),                # one optimal vertex missing (a subset)
    (V + [(F(2), F(0), F(0))], False), ([], False)])                      # one extra, none
def test_face_lists_every_optimal_vertex(listed, ok):
    assert bsuite.face_lists_every_optimal_vertex(listed, V) is ok


def test_face_listing_extra_vertex_when_enumeration_has_fewer():
    assert bsuite.face_lists_every_optimal_vertex(V, V[:2]) is False
    assert bsuite.face_lists_every_optimal_vertex([], []) is True


# ---------------------------------------------------------------- the spec

RES = dict(value=F(3), unique=False, support=(0, 1, 2), rho=F(1, 2), dimension=1)


@pytest.mark.parametrize("spec", [{}, {"value": F(3)}, {"unique": False, "support": (0, 1, 2), "rho_max": F(1, 2)},
                                  {"rho": F(1, 2), "dimension": 1}, {"rho_approx": 0.5}])
def test_spec_agrees_when_every_stated_key_matches(spec):
    assert bsuite.spec_agrees(spec, **RES) is True


@pytest.mark.parametrize("key, wrong", [("value", F(3) + F(1, 10 ** 20)), ("unique", True), ("support", (0, 1)),
                                        ("support", (0, 1, 2, 3)), ("rho", F(1, 3)), ("rho_max", F(1, 2) + F(1, 99)),
                                        ("dimension", 2), ("dimension", 0)])
def test_spec_agrees_fails_on_one_wrong_key(key, wrong):
    good = {"value": F(3), "unique": False, "support": (0, 1, 2), "rho": F(1, 2), "dimension": 1}
    assert bsuite.spec_agrees(good, **RES) is True
    assert bsuite.spec_agrees({**good, key: wrong}, **RES) is False
    assert bsuite.spec_agrees({key: wrong}, **RES) is False


def test_spec_rho_max_is_compared_with_the_lp_rho():
    assert bsuite.spec_agrees({"rho_max": F(1, 2)}, **RES) is True
    assert bsuite.spec_agrees({"rho_max": F(1, 2)}, **{**RES, "rho": F(1, 4)}) is False


def test_spec_rho_approx_tolerance_is_strict_and_two_sided():
    tol = bsuite.RHO_APPROX_TOL
    assert tol == 5e-6
    rho = F(1, 4)                                   # float 0.25 exactly
    assert bsuite.spec_agrees({"rho_approx": 0.25 + 4.9e-6}, **{**RES, "rho": rho}) is True
    assert bsuite.spec_agrees({"rho_approx": 0.25 - 4.9e-6}, **{**RES, "rho": rho}) is True
    assert bsuite.spec_agrees({"rho_approx": 0.25 + 5.1e-6}, **{**RES, "rho": rho}) is False
    assert bsuite.spec_agrees({"rho_approx": 0.25 - 5.1e-6}, **{**RES, "rho": rho}) is False
    # exactly the tolerance apart is not "within" (strict); one ulp closer is, on both sides
    at, below = F(5e-6), F(math.nextafter(5e-6, 0))
    assert bsuite.spec_agrees({"rho_approx": 0.0}, **{**RES, "rho": at}) is False
    assert bsuite.spec_agrees({"rho_approx": 0.0}, **{**RES, "rho": below}) is True
    assert bsuite.spec_agrees({"rho_approx": 1e-5}, **{**RES, "rho": at}) is False     # rho below the spec by tol
    assert bsuite.spec_agrees({"rho_approx": 5e-6}, **{**RES, "rho": F(0)}) is False
    assert bsuite.spec_agrees({"rho_approx": float(below)}, **{**RES, "rho": F(0)}) is True
    # a rho_approx scaled by 1e30 is not 'agreement' at a relative scale: the check is absolute on a number ~0.25
    assert bsuite.spec_agrees({"rho_approx": 0.25 * (1 + 1e-4)}, **{**RES, "rho": rho}) is False


# ---------------------------------------------------------------- the row verdict: every conjunct

@pytest.mark.parametrize("args, ok", [
    ((True, True, True, True, ""), True),
    ((False, True, True, True, ""), False), ((True, False, True, True, ""), False),
    ((True, True, False, True, ""), False), ((True, True, True, False, ""), False),
    ((True, True, True, True, "spec lacks rho"), False)])
def test_maximal_support_passes_needs_every_conjunct(args, ok):
    assert bsuite.maximal_support_passes(*args) is ok


@pytest.mark.parametrize("unique, columns, ok", [(True, 8, True), (True, 7, True), (True, 9, False), (False, 2, False),
                                                 (False, 9, False)])
def test_nsp_row_applies(unique, columns, ok):
    assert bsuite.nsp_row_applies(unique, columns) is ok
    assert bsuite.NSP_MAX_COLUMNS == 8


# ---------------------------------------------------------------- the rows call these functions

ROW = Instance.from_lists([[1, F(1, 3)]], [1], name="row[1,1/3]")
ROW_SPEC = {"rho": F(1, 3), "value": F(1), "unique": True, "support": (0,)}
_FREE: dict = {}


def _rows(monkeypatch):
    monkeypatch.setattr(bsuite, "builtin_instances", lambda thorough=False: [(ROW, dict(ROW_SPEC))])
    for name in ("check_line_counterexample", "check_weak_duality_symbolic"):  # instance-free: computed once
        _FREE.setdefault(name, getattr(bsuite.rd, name)())
        monkeypatch.setattr(bsuite.rd, name, lambda _r=_FREE[name]: _r)
    return {v.theorem: v for v in bsuite.run() if v.instance == "row[1,1/3]"}


@pytest.mark.parametrize("function", ["lp_matches_enumeration", "face_contains_every_vertex",
                                      "face_lists_every_optimal_vertex", "spec_agrees", "maximal_support_passes"])
def test_the_maximal_support_row_uses_each_verdict_function(monkeypatch, function):
    calls = []
    real = getattr(bsuite, function)
    monkeypatch.setattr(bsuite, function, lambda *a, **k: calls.append(real(*a, **k)) or False)
    row = _rows(monkeypatch)["BP-maximal-support"]
    assert calls == [True] and row.passed is False


def test_the_maximal_support_row_passes_the_computed_values(monkeypatch):
    seen = {}
    for name in ("lp_matches_enumeration", "face_lists_every_optimal_vertex", "spec_agrees"):
        real = getattr(bsuite, name)
        monkeypatch.setattr(bsuite, name, lambda *a, _n=name, _r=real, **k: seen.setdefault(_n, a) and _r(*a, **k))
    rows = _rows(monkeypatch)
    assert rows["BP-maximal-support"].passed is True
    assert seen["lp_matches_enumeration"] == ((F(1), True, (0,), (1,)), (F(1), True, (0,), (1,)))
    assert set(seen["face_lists_every_optimal_vertex"][1]) == {(F(1), F(0))}
    assert seen["spec_agrees"] == (ROW_SPEC, F(1), True, (0,), F(1, 3), 0)


def test_the_nsp_row_is_built_only_when_nsp_row_applies(monkeypatch):
    assert "rho-NSP" in _rows(monkeypatch)
    monkeypatch.setattr(bsuite, "nsp_row_applies", lambda unique, columns: False)
    assert "rho-NSP" not in _rows(monkeypatch)
