"""Direct tests for survivors of the ``iv`` mutation target (proofs/instance_verify.py): each one fails with the
mutant it answers and passes on the code; expected values are computed by hand or from the specs."""
from __future__ import annotations

import io
import json
from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.proofs import instance_verify as iv
from implicitreg.proofs.checks import Verdict


def _report():
    rep = iv.InstanceVerification("i", "diagonal")
    rep.verdicts = [Verdict("T", "paper", "i", "2", "1e-3", 1, 2, "0.5", True, note="a note only --wide shows")]
    return rep


# --- main: the options reach verify_instance, and the chosen output form is written to ``out`` --------------------

@pytest.fixture
def stub_verify(monkeypatch):
    seen = {}

    def fake(path, **kwargs):
        seen.update(kwargs, path=path)
        return _report()

    monkeypatch.setattr(iv, "verify_instance", fake)
    return seen


def test_main_passes_its_options_through_and_defaults_to_the_short_table(stub_verify):
    out = io.StringIO()
    assert iv.main("inst.json", out=out) == 0
    assert stub_verify == dict(path="inst.json", depths=None, alpha_range=None, alpha_convention="product",
                               certify=None)
    assert out.getvalue() == _report().format(wide=False) + "\n"
    assert "a note only --wide shows" not in out.getvalue()
    out = io.StringIO()
    iv.main("p.json", depths=["5/2"], alpha_range="1e-9:1e-3", alpha_convention="factor", certify="dir", out=out,
            wide=True)
    assert stub_verify == dict(path="p.json", depths=["5/2"], alpha_range="1e-9:1e-3", alpha_convention="factor",
                               certify="dir")
    assert out.getvalue() == _report().format(wide=True) + "\n" and "a note only --wide shows" in out.getvalue()


def test_main_json_and_csv_forms(stub_verify):
    from implicitreg.proofs.verify import format_csv

    out = io.StringIO()
    iv.main("p.json", as_json=True, out=out)
    text = out.getvalue()
    assert text == json.dumps(_report().to_json(), indent=2) + "\n"
    assert json.loads(text)["verdicts"][0]["theorem"] == "T"
    out = io.StringIO()
    iv.main("p.json", csv=True, out=out)
    assert out.getvalue() == format_csv(_report().verdicts) and "T" in out.getvalue()


def test_main_writes_to_stdout_without_out(stub_verify, capsys):
    iv.main("p.json")
    assert capsys.readouterr().out == _report().format() + "\n"


# --- certificates: a refusal is noted and the other depths still get theirs; nothing written when none exists -------

@pytest.mark.parametrize("exc", [HypothesisNotMetError, CertificateError, InvalidParameterError])
def test_diagonal_certificate_refusal_is_noted_and_the_next_depth_still_certified(monkeypatch, tmp_path, exc):
    from implicitreg.proofs import certify

    seen = []

    def fake(inst, D, alphas, theorem):
        seen.append((D, list(alphas)))
        if D == 2:
            raise exc("no x*")
        return {"D": str(D)}

    monkeypatch.setattr(certify, "diagonal_certificate", fake)
    rep = iv.InstanceVerification("row", "diagonal", certificates=["earlier.json"])
    grids = {F(2): ["1e-4", "1e-6", "1e-8", "1e-10"], F(3): ["1e-5", "1e-7", "1e-9", "1e-11"]}
    inst = Instance.from_lists([[1, "1/2"]], [1], name="row")
    iv._diagonal_certificates(inst, [F(2), F(3)], grids.__getitem__, rep, tmp_path / "c")
    assert seen == [(F(2), grids[F(2)][:3]), (F(3), grids[F(3)][:3])]
    assert rep.certificate_notes == ["MS-D2 at D = 2: no certificate (no x*)"]
    assert rep.certificates == ["earlier.json", str(tmp_path / "c" / "row_ms_d3_D3.json")]


def test_no_diagonal_certificate_writes_nothing(monkeypatch, tmp_path):
    from implicitreg.proofs import certify

    def refuse(*a, **k):
        raise HypothesisNotMetError("x* not unique")

    monkeypatch.setattr(certify, "diagonal_certificate", refuse)
    rep = iv.InstanceVerification("row", "diagonal")
    iv._diagonal_certificates(Instance.from_lists([[1, 1]], [1], name="row"), [F(2)], lambda D: ["1e-4"], rep,
                              tmp_path / "c")
    assert rep.certificates == [] and not (tmp_path / "c").exists()


@pytest.mark.parametrize("exc", [HypothesisNotMetError, CertificateError, InvalidParameterError])
def test_deep_certificate_refusal_is_noted_and_the_next_depth_still_certified(monkeypatch, tmp_path, exc):
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.proofs import certify

    seen = []

    def fake(X, y, L):
        seen.append((X, y, L))
        if L == 2:
            raise exc("not in the family")
        return {"L": L}

    monkeypatch.setattr(certify, "deep_linear_certificate", fake)
    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="d")
    rep = iv.InstanceVerification("d", "deep-linear", certificates=["earlier.json"])
    iv._deep_certificates(data, [F(2), F(5, 2), F(3)], rep, tmp_path / "c")
    assert [L for _, _, L in seen] == [2, 3] and all(type(L) is int for _, _, L in seen)
    assert seen[0][:2] == ([list(r) for r in data.X], list(data.y))
    assert rep.certificate_notes == ["MC-LB at L = 2: no certificate (not in the family)"]
    assert rep.certificates == ["earlier.json", str(tmp_path / "c" / "d_mc_lb_L3.json")]
    rep = iv.InstanceVerification("d", "deep-linear")
    iv._deep_certificates(data, [F(2)], rep, tmp_path / "none")
    assert rep.certificates == [] and not (tmp_path / "none").exists()


# --- MS-D3: the alphas kept are those with rho_a = rho + K2 eps < 1 on the real certified limit --------------------

def test_ms_d3_keeps_exactly_the_alphas_where_rho_a_is_below_1(monkeypatch):
    """A = [1, 9/10], y = 1, D = 3 (dln.md §5): x_inf = alpha (h(z), h(9z/10)) with alpha (h(z) + (9/10) h(9z/10))
    = 1, so rho = K2 = 9/10, eps = 1 - z and rho_a = (9/10)(2 - z) < 1 iff z > 8/9, i.e. alpha below ~1.19e-3.
    z is found here from that scalar equation (independent of the limit solver), by bisection."""
    from implicitreg.numerics.error_constants import support_constants
    from implicitreg.proofs.suites import diagonal as sd

    r = mpmath.mpf(9) / 10

    def h(z):
        return (1 - z) ** -3 - (1 + z) ** -3

    def rho_a(alpha):
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)  # the left side increases in z from 0 to infinity: bisection
        for _ in range(80):
            z = (lo + hi) / 2
            lo, hi = (z, hi) if mpmath.mpf(alpha) * (h(z) + r * h(r * z)) < 1 else (lo, z)
        return r * (2 - z)

    inst = Instance.from_lists([[1, "9/10"]], [1], name="r09")
    sc = support_constants(inst)
    grid = ["1e-1", "1e-2", "1e-4", "1e-5", "1e-6"]
    expected = [a for a in grid if rho_a(a) < 1]
    assert expected == ["1e-4", "1e-5", "1e-6"]
    seen = []
    monkeypatch.setattr(sd, "_d3_rows", lambda *args, data: seen.append(args) or ["rows"])
    monkeypatch.setattr(iv, "_errors", lambda inst, sc, D, keep, limits: ([], [iv._Measured("e", keep, [1] * 3,
                                                                                         [0] * 3)] * 3))
    rows, reason = iv._ms_d3(inst, sc, F(3), grid)
    assert rows == ["rows"] and seen == [("r09", inst, sc, F(3), expected)]
    assert reason == ("rho_a = rho + K2 eps >= 1 at alpha = 1e-1, 1e-2 (above alpha_0): those alphas are not "
                      "checked")
    rows, reason = iv._ms_d3(inst, sc, F(3), ["1e-1", "1e-4", "1e-6"])
    assert rows == [] and reason == ("rho_a = rho + K2 eps >= 1 on the range except 2 alpha(s): give smaller "
                                     "alphas")


# --- deep linear: refusals per depth (each depth on its own), two init scales, the seed the note names --------------

def test_deep_linear_refusals_are_per_depth_and_name_it():
    """w* = 0 (y = 0): every sharpness statement is not applicable at each integer depth with the hypothesis' reason;
    a non-integer depth is refused on its own and does not stop the next depth."""
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.theory import sharpness as ts

    data = RegressionData.from_lists([[1, 0], [0, 1]], [0, 0], name="zero")
    rep = iv.InstanceVerification("zero", "deep-linear")
    iv._deep_linear(data, [F(5, 2), F(2), F(3)], F(1, 100), F(1, 10), rep)
    assert rep.verdicts == []
    got = [(n.theorem, n.depth, n.reason) for n in rep.not_applicable if n.depth != "-"]
    names = [T.name for T in ts.THEOREMS]
    assert got == ([(T, "5/2", "depth L = 5/2 is not an integer >= 2") for T in names]
                   + [(T, L, "w* = 0 (X^T y = 0): the bounds are normalised by ||w*||") for L in ("2", "3")
                      for T in names])


@pytest.fixture
def deep(monkeypatch):
    """_deep_linear with the flow and sharpness stubbed (S = 5, drift 0); records the init scales and generators."""
    import numpy as np

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.proofs.suites import deep_linear as sdl

    seen = {"init": [], "mclb": []}

    def small_init(d, L, s, rng):
        seen["init"].append((d, L, s, rng.standard_normal()))
        return 0.0

    monkeypatch.setattr(dl, "small_init", small_init)
    def flow(net0, data, T, **kwargs):
        seen.setdefault("flow", []).append((T, kwargs))
        return SimpleNamespace(status=seen.get("status", 1), net=seen.get("drift", 0.0))

    monkeypatch.setattr(dl, "gradient_flow", flow)
    monkeypatch.setattr(dl, "sharpness_exact", lambda net, data: SimpleNamespace(value=seen.get("S", 5.0)))
    # D_1 = net I_2, D_2 = net I_2 / 2 (and 0 at the start): the spectral norm of the largest is net (Frobenius:
    # sqrt(2) net)
    monkeypatch.setattr(dl, "imbalances", lambda net: [np.eye(2) * net, np.eye(2) * net / 2])
    monkeypatch.setattr(sdl, "_mc_lb_rows", lambda data, L, rng, count, verdicts:
                        seen["mclb"].append((L, rng.standard_normal(), count)))
    return seen


def test_deep_linear_uses_two_init_scales_seed_1_for_the_flow_and_seed_0_three_samples_for_mc_lb(deep):
    import numpy as np

    from implicitreg.numerics.deep_linear import RegressionData

    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="d")
    rep = iv.InstanceVerification("d", "deep-linear")
    iv._deep_linear(data, [F(2)], F(1, 1000), F(1, 10), rep)
    first = np.random.default_rng(1).standard_normal()   # the note says "(seed 1)"
    assert deep["init"] == [(2, 2, 0.1, first), (2, 2, 0.001, first)]
    assert deep["mclb"] == [(2, np.random.default_rng(0).standard_normal(), 3)]
    assert len(rep.verdicts) == 6 and all("seed 1" in v.note for v in rep.verdicts if v.theorem == "MC-SI "
                                          "[S <= 8 L Lambda |w*|^(2-2/L)]")


def test_deep_linear_rows_every_field(deep, monkeypatch):
    """data_constants stubbed to a = ||w*|| = 1, Lambda = 3: S_LB = 2 L a ||w*||^(2-2/L) = 4 and
    S_SI = 8 L Lambda ||w*||^(2-2/L) = 48 at L = 2; S = 5, imbalance drift 2e-6."""
    from implicitreg.numerics import deep_linear as dl
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.proofs.checks import fmt

    monkeypatch.setattr(dl, "data_constants", lambda data, kind: SimpleNamespace(a=1, w_norm=1, Lambda=3))
    deep["drift"] = 2e-6
    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="dd")
    rep = iv.InstanceVerification("dd", "deep-linear")
    iv._deep_linear(data, [F(2)], F(1, 10), F(1, 10), rep)
    # the flow the notes describe: to t = 1e6, rtol 1e-9, stopped at excess loss 1e-13
    assert deep["flow"] == [(1e6, dict(rtol=1e-9, atol=1e-13, stop_excess_loss=1e-13))]
    rows = [(v.theorem, v.provenance, v.instance, v.depth, v.observed, v.bound, v.margin, v.passed, v.note)
            for v in rep.verdicts]
    assert rows == [
        ("MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]", "reconstructed", "dd", "2", fmt(5.0, 8), fmt(48, 8),
         fmt(5 / 48, 8), True, "init N(0, s^2) entries, s = 1e-1 (seed 1); the constant is reconstructed"),
        ("MC-SI [S >= S_LB at the limit]", "paper", "dd", "2", fmt(5.0, 8), fmt(4, 8), fmt(5 / 4, 8), True,
         "s = 1e-1; float64 flow stopped at excess loss 1e-13: relative slack 1e-06"),
        ("DLN-imbalance [D_k conserved]", "standard", "dd", "2", fmt(2e-6, 8), fmt(1e-5, 8), fmt(0.2, 8), True,
         "||D_k(limit) - D_k(0)|| along the float64 flow (rtol 1e-9), s = 1e-1"),
    ]


def test_a_flow_that_does_not_converge_is_not_applicable_for_that_scale_only(deep):
    from implicitreg.numerics.deep_linear import RegressionData

    deep["status"] = 0
    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="d")
    rep = iv.InstanceVerification("d", "deep-linear")
    iv._deep_linear(data, [F(2), F(3)], F(1, 100), F(1, 10), rep)
    got = [n.to_json() for n in rep.not_applicable if n.theorem == "MC-SI"]
    assert got == [{"theorem": "MC-SI", "provenance": "paper", "depth": str(L), "kind": "scope",
                    "reason": f"gradient flow from scale s = {s} did not reach a global minimizer"}
                   for L in (2, 3) for s in ("1e-1", "1e-2")]
    assert rep.verdicts == []


# --- basis pursuit rows: the size limits of the brute-force checks and each conjunct of the agreement ---------------

@pytest.fixture
def bp_rows(monkeypatch):
    """_basis_pursuit_rows with the vertex enumeration and the rho checks replaced by recorders."""
    from implicitreg.numerics import vertex_enumeration
    from implicitreg.proofs.derivations import rho_duality as rd
    # _basis_pursuit_rows imports the basis-pursuit suite, which binds enumerate_l1 by name when first imported:
    # import it before the patch, or every later test in this process runs the suite on the recorder
    from implicitreg.proofs.suites import basis_pursuit as bp_suite

    state = {"calls": []}

    def check(name):
        def f(*args):
            state["calls"].append(name)
            return SimpleNamespace(passed=True, detail=f"{name} a, {name} b")
        return f

    monkeypatch.setattr(rd, "check_rho_duality", check("duality"))
    monkeypatch.setattr(rd, "check_uniqueness_iff", check("iff"))
    monkeypatch.setattr(rd, "check_rho_le_nsp", check("nsp"))

    def enumerate_l1(A, y):
        state["calls"].append("enumerate")
        return state.get("ref", SimpleNamespace(value=F(1), unique=True, support=(0,), signs=(1,), vertices=[(1,)]))

    monkeypatch.setattr(vertex_enumeration, "enumerate_l1", enumerate_l1)

    def run(N, unique=True, rho=F(1, 2), support=(0,), A=None):
        A = A or [[1] + [F(1, 2)] * (N - 1)]
        inst = Instance.from_lists(A, [1], name="bp")
        bp = SimpleNamespace(value=F(1), unique=unique, support=support, signs=(1,) * len(support), rho=rho,
                             face=SimpleNamespace(dimension=0, contains=lambda v: v in state.get("face", [(1,)])))
        state["calls"].clear()
        return {r.theorem: r for r in iv._basis_pursuit_rows(inst, bp)}

    state["run"] = run
    yield state
    assert bp_suite.enumerate_l1 is not enumerate_l1


def test_brute_force_rows_up_to_12_columns_and_nsp_up_to_8(bp_rows):
    rows = bp_rows["run"](8)
    assert list(rows) == ["BP-unique", "BP-maximal-support", "rho-duality", "rho-unique", "rho-NSP"]
    assert bp_rows["calls"] == ["enumerate", "duality", "iff", "nsp"] and all(r.passed for r in rows.values())
    assert rows["rho-NSP"].observed == "nsp a" and rows["rho-NSP"].bound == "nsp b"
    assert rows["rho-unique"].observed == "iff a" and rows["rho-duality"].bound == "duality a, duality b"
    assert list(bp_rows["run"](9)) == ["BP-unique", "BP-maximal-support", "rho-duality", "rho-unique"]
    assert list(bp_rows["run"](12)) == ["BP-unique", "BP-maximal-support", "rho-duality", "rho-unique"]
    assert list(bp_rows["run"](13)) == ["BP-unique", "rho-duality"] and bp_rows["calls"] == ["duality"]
    # no NSP row for a non-unique x*, no support rows for x* = 0
    assert "rho-NSP" not in bp_rows["run"](4, unique=False, rho=F(1))
    assert list(bp_rows["run"](4, support=())) == ["BP-maximal-support", "rho-unique"]


@pytest.mark.parametrize("field, value", [("value", F(2)), ("unique", False), ("support", (1,)), ("signs", (-1,)),
                                          ("vertex", (0, 1))])
def test_maximal_support_row_fails_when_one_part_of_the_agreement_fails(bp_rows, field, value):
    ref = dict(value=F(1), unique=True, support=(0,), signs=(1,), vertices=[(1,)])
    if field == "vertex":
        ref["vertices"] = [(1,), value]           # an optimal vertex outside the LP's face
    else:
        ref[field] = value
    bp_rows["ref"] = SimpleNamespace(**ref)
    row = bp_rows["run"](3)["BP-maximal-support"]
    assert row.passed is False and row.note == "exact LP and vertex enumeration disagree"
    bp_rows["ref"] = SimpleNamespace(**dict(ref, **{"value": F(1), "unique": True, "support": (0,), "signs": (1,),
                                                    "vertices": [(1,)]}))
    row = bp_rows["run"](3)["BP-maximal-support"]
    assert row.passed is True and row.note == ""
    assert row.observed == "min 1, S=[0], unique=True, dim=0" and row.bound == "vertex enumeration (1 optimal vertices)"


@pytest.mark.parametrize("unique, rho, injective, passed", [
    (True, F(1, 2), True, True), (True, F(1), True, False), (False, F(1), True, True), (False, F(1, 2), True, False),
    (True, F(1, 2), False, False), (False, F(1, 2), False, True)])
def test_bp_unique_row_compares_the_strict_certificate_with_the_exact_face(bp_rows, unique, rho, injective, passed):
    """Strict certificate = A_S injective and rho < 1; the row passes iff it equals the face's uniqueness."""
    A = [[1, 1, F(1, 2)]] if not injective else None            # columns 0 and 1 equal: A_S dependent for S = {0, 1}
    support = (0, 1) if not injective else (0,)
    row = bp_rows["run"](3, unique=unique, rho=rho, support=support, A=A)["BP-unique"]
    assert row.passed is passed
    strict = injective and rho < 1
    assert row.observed == f"A_S injective: {injective}, rho = {rho} (strict certificate: {strict})"
    assert row.bound == f"unique by the exact LP face: {unique}"
    assert row.note == ("" if passed else "the criterion and the exact face disagree")


def test_bp_rows_name_the_instance_and_state_what_each_check_compared(bp_rows, monkeypatch):
    """Every basis-pursuit row names the user's instance ("bp"); rho-duality shows rho = 1/2 against the duality
    check's detail, rho-unique the check's first clause against "unique by vertex enumeration", with no note while it
    passes and the check's whole detail as the note when it fails."""
    from implicitreg.proofs.derivations import rho_duality as rd

    rows = bp_rows["run"](3)
    assert [r.instance for r in rows.values()] == ["bp"] * 5
    assert rows["rho-duality"].observed == "rho = 1/2"
    assert rows["rho-unique"].bound == "unique by vertex enumeration" and rows["rho-unique"].note == ""
    assert all(r.note == "" for r in rows.values())
    monkeypatch.setattr(rd, "check_uniqueness_iff", lambda inst: SimpleNamespace(passed=False, detail="iff a, iff b"))
    row = bp_rows["run"](3)["rho-unique"]
    assert row.passed is False and row.observed == "iff a" and row.note == "iff a, iff b"
    # rho-NSP: the check's detail has three clauses (rho, rho_S with its brute-force value, rho_s): the first is
    # observed, the other two the bound
    monkeypatch.setattr(rd, "check_rho_le_nsp", lambda *a: SimpleNamespace(
        passed=True, detail="rho 1/2, rho_S 1/2 (brute 1/2), rho_s infinite"))
    row = bp_rows["run"](3)["rho-NSP"]
    assert row.observed == "rho 1/2" and row.bound == "rho_S 1/2 (brute 1/2), rho_s infinite"


def test_deep_linear_lower_row_at_its_slack_and_the_imbalance_in_the_spectral_norm(deep, monkeypatch):
    from implicitreg.numerics import deep_linear as dl
    from implicitreg.numerics.deep_linear import RegressionData

    monkeypatch.setattr(dl, "data_constants", lambda data, kind: SimpleNamespace(a=1, w_norm=1, Lambda=3))
    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="dd")

    def rows():
        rep = iv.InstanceVerification("dd", "deep-linear")
        iv._deep_linear(data, [F(2)], F(1, 10), F(1, 10), rep)
        return {v.theorem.split(" [")[1]: v.passed for v in rep.verdicts}

    deep["S"] = mpmath.mpf(4) * (1 - iv.FLOW_SLACK)      # S_LB (1 - 1e-6) exactly: holds
    deep["drift"] = 0.9e-5                                # spectral norm 0.9e-5 <= 1e-5 (Frobenius would be 1.27e-5)
    got = rows()
    assert got["S >= S_LB at the limit]"] is True and got["D_k conserved]"] is True
    deep["S"] = mpmath.mpf(4) * (1 - iv.FLOW_SLACK) * (1 - mpmath.mpf(10) ** -12)
    deep["drift"] = 1.1e-5
    got = rows()
    assert got["S >= S_LB at the limit]"] is False and got["D_k conserved]"] is False
    assert iv.FLOW_SLACK == 1e-6


# --- _diagonal: which statements apply at each depth, with what facts, grids and reasons ----------------------------

@pytest.fixture
def diag(monkeypatch):
    from implicitreg.proofs.suites import diagonal as sd

    seen = {"d2": [], "d3": [], "wah": [], "depth": []}
    monkeypatch.setattr(iv, "_basis_pursuit_rows", lambda inst, bp: [])
    monkeypatch.setattr(iv, "_ms_d2", lambda inst, sc, grid, limits: seen["d2"].append((sc, grid)) or [])
    monkeypatch.setattr(iv, "_ms_d3", lambda inst, sc, D, grid, limits: seen["d3"].append((sc, D, grid)) or
                        ([], seen.get("d3_reason", "")))
    monkeypatch.setattr(iv, "_wah_rows", lambda inst, bp, D, grid, facts, report, limits:
                        seen["wah"].append((D, grid, dict(facts))) or [])
    monkeypatch.setattr(iv, "_depth_comparison", lambda inst, sc, report, limits:
                        seen["depth"].append((inst.name, inst, sc, False)) or [])

    def run(A, y, depths, lo=F(1, 10 ** 12), hi=F(1, 10 ** 4), convention="product"):
        inst = Instance.from_lists(A, y, name="inst")
        rep = iv.InstanceVerification("inst", "diagonal")
        sc = iv._diagonal(inst, [F(D) for D in depths], lo, hi, convention, rep)
        na = [(n.theorem, n.provenance, n.depth, n.reason, n.kind) for n in rep.not_applicable]
        return inst, sc, na

    seen["run"] = run
    return seen


def test_diagonal_statements_per_depth_with_their_facts_and_grids(diag):
    from implicitreg.theory import diagonal as td, selection as tsel
    from implicitreg.theory.statement import THEOREMS

    inst, sc, na = diag["run"]([[1, "1/2", "-1/2"]], [1], ["2", "5/2", "3"])
    lo, hi = F(1, 10 ** 12), F(1, 10 ** 4)
    assert sc is not None and sc.rho == F(1, 2)
    assert diag["d2"] == [(sc, iv.alpha_grid(lo, hi, 7))]
    assert diag["d3"] == [(sc, F(5, 2), iv.alpha_grid(lo, hi, 5)), (sc, F(3), iv.alpha_grid(lo, hi, 5))]
    facts = {"unique": True, "support_size": 1, "alpha": hi, "rho": F(1, 2), "consistent": True, "M": F(1),
             "S_complement": 2}
    assert diag["wah"] == [(F(2), iv.alpha_grid(lo, hi, 7), dict(facts, depth=F(2))),
                           (F(5, 2), iv.alpha_grid(lo, hi, 5), dict(facts, depth=F(5, 2))),
                           (F(3), iv.alpha_grid(lo, hi, 5), dict(facts, depth=F(3)))]
    assert diag["depth"] == [("inst", inst, sc, False)]
    hyp = [(t, p, d, r) for t, p, d, r, k in na if k == "hypothesis" and d != "-"]
    assert hyp == [("MS-D3", "paper", "2", "depth D = 2 is not > 2"),
                   ("MS-D2", "paper", "5/2", "depth D = 5/2 is not 2"), ("MS-D2", "paper", "3", "depth D = 3 is not 2")]
    scope = {t: r for t, p, d, r, k in na if k == "scope"}
    assert set(scope) == {td.DLN_LIMIT.name, tsel.LEMMA_B_2.name, tsel.LEMMA_B.name, tsel.KINK_TRANSITION.name,
                          tsel.SHARPNESS.name}
    assert scope[tsel.LEMMA_B.name] == ("a statement about scalars or families, not about one instance: checked by "
                                        "`implicitreg verify`")
    assert scope[td.DLN_LIMIT.name].startswith("checked as agreement of the certified dual solve at p and 2p digits")
    kink = [(t, r) for t, p, d, r, k in na if t in (tsel.KINK_CONSTANT.name, tsel.KINK_P2.name,
                                                      tsel.KINK_CONTINUITY.name)]
    assert kink == [(T.name, "the instance is not the kink family A = [1, 1 - eps], y = 1 (0 < eps < 1)")
                    for T in (tsel.KINK_CONSTANT, tsel.KINK_P2, tsel.KINK_CONTINUITY)]
    deep_names = sorted(T.name for T in THEOREMS.values() if T.name.startswith("MC-") or T.name == "DLN-imbalance")
    assert deep_names and sorted(t for t, p, d, r, k in na if r == "a deep-linear statement: needs an instance "
                                 "with X, y") == deep_names
    assert all(p == THEOREMS[t].provenance.kind for t, p, d, r, k in na if t in THEOREMS)
    assert not any(t == td.DEPTH_COMPARISON.name for t, *_ in na) and not any(t == "MS-D2 rate" for t, *_ in na)


def test_diagonal_rho_zero_and_no_deep_depth(diag):
    from implicitreg.theory import diagonal as td

    _, sc, na = diag["run"]([[1, 0]], [1], ["2"])
    assert ("MS-D2 rate", "paper", "2", "rho = 0: the D = 2 error is O(alpha)", "hypothesis") in na
    assert (td.DEPTH_COMPARISON.name, td.DEPTH_COMPARISON.provenance.kind, "-", "no depth D > 2 requested",
            "hypothesis") in na
    assert diag["depth"] == [] and len(diag["d2"]) == 1


@pytest.mark.parametrize("A, y, reason", [([[1, 1]], [1], "x* not unique ("), ([[1, "1/2"]], [0], "x* = 0 (y = 0)")])
def test_diagonal_without_support_constants_says_why_for_the_depth_comparison(diag, A, y, reason):
    from implicitreg.theory import diagonal as td

    _, sc, na = diag["run"](A, y, ["3"])
    assert sc is None and diag["d3"] == [] and diag["depth"] == []
    depth = [r for t, p, d, r, k in na if t == td.DEPTH_COMPARISON.name]
    assert len(depth) == 1 and depth[0].startswith(reason) and (reason.endswith("(") or depth[0] == reason)
    ms = [r for t, p, d, r, k in na if t == "MS-D3"]
    assert ms == (["x* not unique"] if y == [1] else ["x* = 0"])


def test_diagonal_ms_d3_reason_is_reported_at_its_depth(diag):
    diag["d3_reason"] = "rho_a >= 1 somewhere"
    _, _, na = diag["run"]([[1, "1/2"]], [1], ["3"])
    assert ("MS-D3", "paper", "3", "rho_a >= 1 somewhere", "hypothesis") in na


def test_diagonal_factor_convention_converts_the_range_at_integer_depths(diag):
    diag["run"]([[1, "1/2"]], [1], ["2", "3"], lo=F(1, 10 ** 6), hi=F(1, 100), convention="factor")
    assert diag["d2"][0][1] == iv.alpha_grid(F(1, 10 ** 12), F(1, 10 ** 4), 7)
    assert diag["d3"][0][2] == iv.alpha_grid(F(1, 10 ** 18), F(1, 10 ** 6), 5)


@pytest.mark.parametrize("A, y, kink", [
    ([[1, "1/2"]], [1], True), ([[1, "99/100"]], [1], True), ([[1, 1]], [1], False), ([[1, 0]], [1], False),
    ([[2, 1]], [2], False), ([[1, "1/2"]], [2], False), ([[1, "1/2"], [0, 1]], [1, 1], False),
    ([[1, "1/2", "1/4"]], [1], False), ([[1, "-1/2"]], [1], False)])
def test_kink_family_is_recognised_exactly(diag, A, y, kink):
    from implicitreg.theory import selection as tsel

    _, _, na = diag["run"](A, y, ["2"])
    reason = [(r, k) for t, p, d, r, k in na if t == tsel.KINK_CONSTANT.name][0]
    if kink:
        assert reason == ("the kink family: checked (with certificates) by `implicitreg verify` and `implicitreg "
                          "certify --theorem kink`", "scope")
    else:
        assert reason == ("the instance is not the kink family A = [1, 1 - eps], y = 1 (0 < eps < 1)", "hypothesis")


def test_deep_linear_not_applicable_lists(deep):
    """Per depth: MC-RI and MC-EOS are out of scope for one instance (with why); every diagonal-network statement is
    not applicable once."""
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.theory.statement import THEOREMS

    data = RegressionData.from_lists([[1, 0], [0, 1]], [1, 0], name="d")
    rep = iv.InstanceVerification("d", "deep-linear")
    iv._all_theorems()
    iv._deep_linear(data, [F(2), F(3)], F(1, 10), F(1, 10), rep)
    scope = [n.to_json() for n in rep.not_applicable if n.kind == "scope"]
    assert scope == [e for L in ("2", "3") for e in (
        {"theorem": "MC-RI", "provenance": THEOREMS["MC-RI"].provenance.kind, "depth": L, "kind": "scope",
         "reason": "needs a residual network with a unit head; checked by `implicitreg verify`"},
        {"theorem": "MC-EoS", "provenance": THEOREMS["MC-EoS"].provenance.kind, "depth": L, "kind": "scope",
         "reason": "needs gradient-descent runs at several step sizes; checked by `implicitreg verify`"})]
    diagonal = [n.to_json() for n in rep.not_applicable if n.kind == "hypothesis"]
    names = [T.name for T in THEOREMS.values() if T.name.startswith(("MS-", "WAH-", "BP-", "rho-", "DLN-limit",
                                                                       "Depth"))]
    assert {"MS-D2", "MS-D3", "WAH-D", "BP-unique", "rho-duality", "DLN-limit"} <= set(names)
    assert diagonal == [{"theorem": t, "provenance": THEOREMS[t].provenance.kind, "depth": "-", "kind": "hypothesis",
                         "reason": "a diagonal-network statement: needs an instance with A, y"} for t in names]


# --- verify_instance: defaults, one depth given alone, the certificates' grids, the deep-linear branch -------------

@pytest.fixture
def entry(monkeypatch):
    seen = []
    monkeypatch.setattr(iv, "_diagonal", lambda data, depths, lo, hi, conv, report:
                        seen.append(("diagonal", data.name, depths, lo, hi, conv)))
    monkeypatch.setattr(iv, "_diagonal_certificates", lambda data, depths, grid_for, report, directory:
                        seen.append(("diag-cert", depths, {D: grid_for(D) for D in depths}, directory)))
    monkeypatch.setattr(iv, "_deep_linear", lambda data, depths, lo, hi, report:
                        seen.append(("deep", data.name, depths, lo, hi)))
    monkeypatch.setattr(iv, "_deep_certificates", lambda data, depths, report, directory:
                        seen.append(("deep-cert", depths, directory)))
    return seen


def test_verify_instance_defaults_and_single_depths(entry):
    inst = {"A": [[1, "1/2"]], "y": [1]}
    rep = iv.verify_instance(inst)
    assert entry == [("diagonal", "instance", [F(2), F(3)], F(1, 10 ** 30), F(1, 10 ** 4), "product")]
    assert (rep.instance, rep.problem) == ("instance", "diagonal")
    for one, want in ((3, F(3)), ("5/2", F(5, 2)), (F(7, 2), F(7, 2))):
        entry.clear()
        iv.verify_instance(inst, depths=one, name="mine")
        assert entry[0][1:3] == ("mine", [want])


def test_verify_instance_certificates_use_the_converted_grid(entry, tmp_path):
    inst = {"A": [[1, "1/2"]], "y": [1]}
    iv.verify_instance(inst, depths=[2, 3], alpha_range="1e-6:1e-2", alpha_convention="factor", certify=tmp_path)
    assert entry[0] == ("diagonal", "instance", [F(2), F(3)], F(1, 10 ** 6), F(1, 100), "factor")
    assert entry[1] == ("diag-cert", [F(2), F(3)], {F(2): iv.alpha_grid(F(1, 10 ** 12), F(1, 10 ** 4), 7),
                                                    F(3): iv.alpha_grid(F(1, 10 ** 18), F(1, 10 ** 6), 5)}, tmp_path)
    entry.clear()
    iv.verify_instance(inst, depths=[2])
    assert [e[0] for e in entry] == ["diagonal"]


def test_verify_instance_deep_linear_branch(entry, tmp_path):
    data = {"X": [[1, 0], [0, 1]], "y": [1, 2]}
    rep = iv.verify_instance(data, certify=tmp_path, name="dd")
    assert (rep.instance, rep.problem) == ("dd", "deep-linear")
    assert entry == [("deep", "dd", [F(2), F(3)], F(1, 100), F(1, 10)), ("deep-cert", [F(2), F(3)], tmp_path)]
    entry.clear()
    iv.verify_instance(data, depths=[4], alpha_range="1/2:3")    # HI >= 1 is allowed for an init scale
    assert entry == [("deep", "data", [F(4)], F(1, 2), F(3))]


@pytest.mark.parametrize("D", [2, 3])
def test_full_support_instance_reports_the_error_statements_not_checkable(D):
    """A = I, y = (1, 1): x* = (1, 1) is unique with full support (N - s = 0), so A x = y has no other solution and
    x_inf = x_g = x* at every alpha: every error is 0 and a computed limit differs from x* by rounding only. MS-D2
    (D = 2) or MS-D3 (D = 3) and WAH-D, WAH-C, WAH-E are reported as not checkable (scope) with that reason instead
    of comparing rounding with a bound of 0 (the MS-D2 lemma check raised ArithmeticError on its unbounded LP, and
    the rows that ran failed); the basis-pursuit rows still run and pass. At D = 3 the depth comparison too: its
    ratios err_D / err_2 were ratios of rounding (A = [[1, 1e-9999], [1e-9999, 1]] printed PASS on them)."""
    rep = iv.verify_instance({"A": [[1, 0], [0, 1]], "y": [1, 1]}, depths=[D])
    ms = "MS-D2" if D == 2 else "MS-D3"
    assert rep.passed and all(v.theorem.startswith(("BP-", "rho-")) for v in rep.verdicts)
    scope = {(n.theorem, n.depth) for n in rep.not_applicable
             if n.kind == "scope" and n.reason.startswith("x* has full support (N - s = 0): A x = y has the single "
                                                          "solution x*")}
    assert scope == {(ms, str(D)), ("WAH-D", str(D)), ("WAH-C", str(D)), ("WAH-E", str(D))} | (
        {("Depth comparison", "-")} if D == 3 else set())
