"""The basis-pursuit verify suite's verdicts can fail: an exact-LP result that disagrees with vertex enumeration or the
spec in one field, a misspelt or missing spec key, a derivation check that fails; and its built-in instances are the
ones the specification states (docs/theory/dln.md §3, wah.md §6). No solver runs here except the exact LP and
vertex enumeration on instances of one row.
"""
from __future__ import annotations

import dataclasses
import types
from fractions import Fraction

import pytest

from implicitreg.numerics.instance import Instance
from implicitreg.proofs.suites import basis_pursuit as bsuite

F = Fraction


# ---------------------------------------------------------------- basis pursuit: exact LP vs enumeration vs spec

ROW = Instance.from_lists([[1, F(1, 3)]], [1], name="row[1,1/3]")
ROW_SPEC = {"rho": F(1, 3), "value": F(1), "unique": True, "support": (0,)}


def _run_bp(monkeypatch, spec=None, res=None, ref=None, **checks):
    """bsuite.run on the one instance [1, 1/3] (spec ``spec``), with the exact LP's result / the enumeration's
    changed by ``res`` / ``ref`` (functions of the true result) and derivation checks replaced by ``checks``."""
    monkeypatch.setattr(bsuite, "builtin_instances", lambda thorough=False: [(ROW, dict(ROW_SPEC if spec is None
                                                                                        else spec))])
    if res is not None:
        real = bsuite.l1_minimizer
        monkeypatch.setattr(bsuite, "l1_minimizer", lambda inst: res(real(inst)))
    if ref is not None:
        real_ref = bsuite.enumerate_l1
        monkeypatch.setattr(bsuite, "enumerate_l1", lambda A, y: ref(real_ref(A, y)))
    for name in ("check_line_counterexample", "check_weak_duality_symbolic"):  # instance-free: computed once
        if name not in _INSTANCE_FREE:
            _INSTANCE_FREE[name] = getattr(bsuite.rd, name)()
        monkeypatch.setattr(bsuite.rd, name, lambda _r=_INSTANCE_FREE[name]: _r)
    for name, passed in checks.items():
        fake = types.SimpleNamespace(passed=passed, detail=f"{name} detail, second part")
        monkeypatch.setattr(bsuite.rd, name, lambda *a, _f=fake, **k: _f)
    return bsuite.run()


_INSTANCE_FREE: dict = {}


def _by_theorem(rows, instance="row[1,1/3]"):
    return {v.theorem: v for v in rows if v.instance == instance}


def test_bp_rows_pass_on_the_true_results(monkeypatch):
    rows = _run_bp(monkeypatch)
    assert [(v.theorem, v.instance) for v in rows] == [
        ("BP-maximal-support", "row[1,1/3]"), ("rho-duality", "row[1,1/3]"), ("rho-unique", "row[1,1/3]"),
        ("rho-NSP", "row[1,1/3]"), ("rho-unique", "line (interior minimizer)"), ("rho-duality", "symbolic 2x4")]
    assert all(v.passed is True for v in rows) and all(v.note == "" for v in rows[:4])
    first = rows[0]
    assert first.observed == "min 1, S=[0], unique=True, dim=0"
    assert first.bound == "vertex enumeration (1 optimal vertices) + spec"
    assert first.provenance == bsuite.MAXIMAL_SUPPORT.provenance.kind and first.depth == "-" and first.alpha_range == "-"
    assert first.alpha_convention == "-" and first.margin == ""
    assert rows[1].observed == "rho = 1/3" and rows[3].observed.startswith("rho") and rows[3].bound
    assert rows[2].bound == "unique by vertex enumeration"
    assert rows[4].note.startswith("dln.md's 'rho < 1 iff unique' needs A_S injective")
    assert rows[4].bound == "A_S injective is necessary" and rows[5].bound == "identity"


def _other_vertex_face(face):
    return dataclasses.replace(face, vertices=((F(0), F(3)),))


@pytest.mark.parametrize("change", [
    lambda r: dataclasses.replace(r, value=r.value + 1),
    lambda r: dataclasses.replace(r, unique=False),
    lambda r: dataclasses.replace(r, support=(1,)),
    lambda r: dataclasses.replace(r, signs=(-1,)),
    lambda r: dataclasses.replace(r, face=_other_vertex_face(r.face)),
    lambda r: dataclasses.replace(r, face=types.SimpleNamespace(contains=lambda v: False, vertices=None,
                                                                dimension=r.face.dimension)),
], ids=["value", "unique", "support", "signs", "face-vertices", "face-contains"])
def test_bp_row_fails_when_the_lp_disagrees_with_enumeration(monkeypatch, change):
    """One field of the exact LP's result changed: the enumeration disagrees, the row must FAIL with its note."""
    rows = _by_theorem(_run_bp(monkeypatch, res=change, spec={}))
    row = rows["BP-maximal-support"]
    assert row.passed is False and row.note == "exact LP, vertex enumeration or spec disagree"


def test_bp_row_accepts_a_face_without_a_vertex_list(monkeypatch):
    """face.vertices None (too many to list) is allowed; membership of every enumerated vertex still decides."""
    rows = _by_theorem(_run_bp(monkeypatch, res=lambda r: dataclasses.replace(
        r, face=dataclasses.replace(r.face, vertices=None))))
    assert rows["BP-maximal-support"].passed


@pytest.mark.parametrize("key, wrong", [("value", F(2)), ("unique", False), ("support", (1,)), ("rho", F(1, 2)),
                                        ("rho_max", F(1, 2)), ("dimension", 1), ("rho_approx", 0.3334)])
def test_bp_row_fails_when_the_spec_disagrees(monkeypatch, key, wrong):
    spec = dict(ROW_SPEC)
    if key in ("rho_max", "rho_approx"):
        spec.pop("rho")
    spec[key] = wrong
    row = _by_theorem(_run_bp(monkeypatch, spec=spec))["BP-maximal-support"]
    assert row.passed is False and row.note
    spec[key] = {"rho_max": F(1, 3), "rho_approx": 0.333335, "dimension": 0}.get(key, ROW_SPEC.get(key))
    assert _by_theorem(_run_bp(monkeypatch, spec=spec))["BP-maximal-support"].passed


@pytest.mark.parametrize("key", sorted(bsuite.SPEC_KEYS))
@pytest.mark.parametrize("spelling", [lambda k: f"XX{k}XX", lambda k: k + "s", str.upper], ids=["XX", "s", "upper"])
def test_bp_row_fails_on_a_misspelt_spec_key(monkeypatch, key, spelling):
    """A renamed key would otherwise drop its expectation silently (spec.get falls back to the LP's own answer)."""
    spec = dict(ROW_SPEC, **{key: {"rho_max": F(1, 3), "rho_approx": 0.333335, "dimension": 0}.get(key,
                                                                                             ROW_SPEC.get(key))})
    spec[spelling(key)] = spec.pop(key)
    row = _by_theorem(_run_bp(monkeypatch, spec=spec))["BP-maximal-support"]
    assert row.passed is False and row.note == f"unknown spec key(s) {spelling(key)}"


@pytest.mark.parametrize("drop, lacks", [(("unique",), "unique"), (("support",), "support"),
                                         (("unique", "support"), "unique, support"), (("rho",), "rho")])
def test_bp_row_fails_when_the_spec_leaves_out_an_expectation(monkeypatch, drop, lacks):
    """Every non-empty spec states uniqueness, the support and a rho; leaving one out is a FAIL, not a weaker row."""
    spec = {k: v for k, v in ROW_SPEC.items() if k not in drop}
    row = _by_theorem(_run_bp(monkeypatch, spec=spec))["BP-maximal-support"]
    assert row.passed is False and row.note == f"spec lacks {lacks}"
    assert bsuite.spec_problem({}) == "" and bsuite.spec_problem(ROW_SPEC) == ""
    for rho_key in bsuite.RHO_KEYS:
        assert bsuite.spec_problem({"unique": True, "support": (0,), rho_key: F(1, 3)}) == ""
    assert bsuite.spec_problem({"unique": True, "support": (0,), 3: 1}) == "unknown spec key(s) 3"
    assert bsuite.spec_problem({**ROW_SPEC, "b": 1, "a": 2}) == "unknown spec key(s) a, b"


def test_bp_row_without_a_spec_passes_on_the_true_result(monkeypatch):
    """An instance with no spec (the thorough mode's seeded instances) is judged by vertex enumeration alone."""
    row = _by_theorem(_run_bp(monkeypatch, spec={}))["BP-maximal-support"]
    assert row.passed is True and row.note == "" and row.bound == "vertex enumeration (1 optimal vertices)"


def test_bp_run_is_fast_by_default_and_thorough_on_request(monkeypatch):
    asked = []
    monkeypatch.setattr(bsuite, "builtin_instances", lambda thorough=False: asked.append(thorough) or [])
    for name in ("check_line_counterexample", "check_weak_duality_symbolic"):
        monkeypatch.setattr(bsuite.rd, name, lambda: types.SimpleNamespace(passed=True, detail="d"))
    bsuite.run()
    bsuite.run(thorough=True)
    assert asked == [False, True]


@pytest.mark.parametrize("N, nsp_row", [(8, True), (9, False)])
def test_bp_nsp_row_up_to_eight_columns(monkeypatch, N, nsp_row):
    """rho_s enumerates supports: the NSP row is given for unique minimizers with N <= 8 columns only; its bound is
    everything after the detail's first ", "."""
    inst = Instance.from_lists([[1] + [F(1, 2)] * (N - 1)], [1], name=f"row{N}")
    monkeypatch.setattr(bsuite, "builtin_instances", lambda thorough=False: [(inst, {})])
    fake = types.SimpleNamespace(passed=True, detail="rho 1/2, rho_S 1/2, rho_s 1/2")
    monkeypatch.setattr(bsuite.rd, "check_rho_le_nsp", lambda *a, **k: fake)
    for name in ("check_rho_duality", "check_uniqueness_iff", "check_line_counterexample",
                 "check_weak_duality_symbolic"):
        monkeypatch.setattr(bsuite.rd, name, lambda *a, **k: types.SimpleNamespace(passed=True, detail="d"))
    rows = _by_theorem(bsuite.run(), instance=f"row{N}")
    assert ("rho-NSP" in rows) is nsp_row
    if nsp_row:
        assert rows["rho-NSP"].observed == "rho 1/2" and rows["rho-NSP"].bound == "rho_S 1/2, rho_s 1/2"


def test_bp_thorough_instances_are_seeded_and_span_their_ranges():
    """The thorough instances (docstring: seeded random integer instances with repeated columns): reproducible,
    m in 1..3 rows, N in 3..6 columns, entries -3..3 (each size and entry occurring in the 30), and y = A x for an
    x with entries in {0, 1, -2}."""
    import itertools

    deep = bsuite.builtin_instances(thorough=True)[10:]
    again = bsuite.builtin_instances(thorough=True)[10:]
    assert [(i.A, i.y) for i, _ in deep] == [(i.A, i.y) for i, _ in again]
    assert {len(i.A) for i, _ in deep} == {1, 2, 3} and {len(i.A[0]) for i, _ in deep} == {3, 4, 5, 6}
    assert {a for i, _ in deep for row in i.A for a in row} == set(range(-3, 4))
    for inst, _ in deep:
        N = len(inst.A[0])
        assert any(all(sum(a * b for a, b in zip(row, x)) == v for row, v in zip(inst.A, inst.y))
                   for x in itertools.product((0, 1, -2), repeat=N)), inst.name


#: the built-in instances as the specification states them (docs/theory/dln.md §3: A = [1, r], y = 1 has x* = (1, 0),
#: so min = 1, S = {1}, unique, rho = |r| (a column's sign does not change the l1 problem); wah.md §6: line, plane,
#: random, kink A = [1, 1 - eps] (rho = 1 - eps) and the 2-D face), written here by hand, not read from the suite
_D = Fraction
DOCUMENTED_INSTANCES = [
    ("row[1,1/3]", [[1, F(1, 3)]], [1], {"rho": F(1, 3), "value": F(1), "unique": True, "support": (0,)}),
    ("row[1,-2/5]", [[1, F(-2, 5)]], [1], {"rho": F(2, 5), "value": F(1), "unique": True, "support": (0,)}),
    ("row[1,9/10]", [[1, F(9, 10)]], [1], {"rho": F(9, 10), "value": F(1), "unique": True, "support": (0,)}),
    # M = 3, X_BP = {(1-t, 2(1-t), 3t)}: not unique, S^c empty (rho is the max over no column: 0)
    ("line", [[1, 1, 1], [3, 0, 1]], [3, 3], {"value": F(3), "unique": False, "support": (0, 1, 2), "rho_max": F(0)}),
    # X_BP = {(1-t, 2(1-t), 3t, 0)}: ||x||_1 = 3, S = {1, 2, 3}, rho = 1/2
    ("plane", [[2, -1, 0, 1], [0, 3, 2, 0]], [0, 6],
     {"value": F(3), "unique": False, "support": (0, 1, 2), "rho_max": F(1, 2)}),
    # x* = (0, 0, -0.278..., -0.949..., -0.536...), S = {3, 4, 5}; rho = 0.25514084 (to five decimals)
    ("random", [[_D("-0.111"), _D("0.120"), _D("-0.370"), _D("-0.240"), _D("-1.197")],
                [_D("0.209"), _D("-0.972"), _D("-0.755"), _D("0.324"), _D("-0.109")],
                [_D("0.210"), _D("-0.391"), _D("0.235"), _D("0.665"), _D("0.353")]],
     [_D("0.973"), _D("-0.039"), _D("-0.886")], {"unique": True, "support": (2, 3, 4), "rho_approx": 0.25514}),
    ("kink(eps=3/10)", [[1, F(7, 10)]], [1], {"rho": F(7, 10), "value": F(1), "unique": True, "support": (0,)}),
    ("kink(eps=1/10)", [[1, F(9, 10)]], [1], {"rho": F(9, 10), "value": F(1), "unique": True, "support": (0,)}),
    ("kink(eps=1/100)", [[1, F(99, 100)]], [1], {"rho": F(99, 100), "value": F(1), "unique": True, "support": (0,)}),
    # x_g(p) has four positive entries and x_5 = 0 on a two-dimensional face; rho = 0.3
    ("face2", [[1, 1, 1, 1, F(3, 10)], [0, 1, 2, 3, 1]], [1, 1],
     {"unique": False, "support": (0, 1, 2, 3), "rho_max": F(3, 10), "dimension": 2}),
]


def test_bp_builtin_instances_are_the_documented_ones():
    """Names, exact data and every spec key and value of the built-in instances, as the specification states them."""
    got = bsuite.builtin_instances()
    assert [inst.name for inst, _ in got] == [name for name, *_ in DOCUMENTED_INSTANCES]
    for (inst, spec), (name, A, y, want) in zip(got, DOCUMENTED_INSTANCES):
        assert [list(row) for row in inst.A] == [[F(a) for a in row] for row in A], name
        assert list(inst.y) == [F(b) for b in y], name
        assert spec == want and list(spec) == list(want) and bsuite.spec_problem(spec) == "", name
        assert all(type(spec[k]) is type(want[k]) for k in want), name


def test_bp_enumeration_reference_is_the_other_path(monkeypatch):
    """A wrong enumeration (another optimal value) fails the row too: the comparison is two-sided."""
    rows = _by_theorem(_run_bp(monkeypatch, ref=lambda r: dataclasses.replace(r, value=r.value + 1), spec={}))
    assert rows["BP-maximal-support"].passed is False
    assert rows["BP-maximal-support"].bound == "vertex enumeration (1 optimal vertices)"


@pytest.mark.parametrize("check, theorem, instance", [
    ("check_rho_duality", "rho-duality", "row[1,1/3]"), ("check_uniqueness_iff", "rho-unique", "row[1,1/3]"),
    ("check_rho_le_nsp", "rho-NSP", "row[1,1/3]"),
    ("check_line_counterexample", "rho-unique", "line (interior minimizer)"),
    ("check_weak_duality_symbolic", "rho-duality", "symbolic 2x4")])
def test_bp_rho_rows_fail_when_their_check_fails(monkeypatch, check, theorem, instance):
    rows = _run_bp(monkeypatch, **{check: False})
    failed = [(v.theorem, v.instance) for v in rows if not v.passed]
    assert failed == [(theorem, instance)]
    row = next(v for v in rows if not v.passed)
    if check == "check_uniqueness_iff":
        assert row.note == "check_uniqueness_iff detail, second part" and row.observed == "check_uniqueness_iff detail"
    if check == "check_rho_le_nsp":
        assert row.observed == "check_rho_le_nsp detail" and row.bound == "second part"
    if check == "check_rho_duality":
        assert row.bound == "check_rho_duality detail, second part"
    passing = _run_bp(monkeypatch, **{check: True})
    assert all(v.passed for v in passing)


def test_bp_nsp_row_only_for_a_unique_minimizer(monkeypatch):
    rows = _run_bp(monkeypatch, res=lambda r: dataclasses.replace(r, unique=False), spec={})
    assert "rho-NSP" not in _by_theorem(rows)


def test_bp_thorough_adds_seeded_degenerate_instances():
    fast, deep = bsuite.builtin_instances(), bsuite.builtin_instances(thorough=True)
    assert len(fast) == 10 and len(deep) == 40 and deep[:10] == fast
    for inst, spec in deep[10:]:
        assert spec == {} and inst.name.startswith("random-int-")
        assert all(row[-1] == row[0] for row in inst.A)  # a repeated column
    assert [i.name for i, _ in deep[10:12]] == ["random-int-0", "random-int-1"]
