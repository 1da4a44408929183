"""Direct tests of ``_wah_rows`` (proofs/instance_verify.py) for the ``iv`` mutation target: every row's fields, the
per-factor alpha at real depth, and what is passed to the bound rows, with the solvers stubbed and recorded. Expected
values by hand (docstrings)."""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.numerics.instance import Instance
from implicitreg.proofs import instance_verify as iv
from implicitreg.proofs.checks import Verdict


# --- _wah_rows: every row's fields, the per-factor alpha at real depth, what is passed to the bound rows -----------

@pytest.fixture
def wah(monkeypatch):
    """Selection errors, the flow limit, the slope check, the KKT residual and the bound rows recorded; limits
    x = (1 + e_k, 0, 0) so ||x||_1 = 1 + e_k, certified to 60 digits (so every measured value is resolved)."""
    from implicitreg.numerics import dual_limit, selection
    from implicitreg.proofs.suites import diagonal as sd, selection as ss

    st = {"errs": [mpmath.mpf("0.5"), mpmath.mpf("0.015625")], "xg": [mpmath.mpf(2), mpmath.mpf(-3), 0], "kkt": 0,
          "bound_rows": [], "flow": [], "kkt_calls": [], "slope": None, "errors_calls": []}

    def errors(inst, D, grid, bp=None):
        st["errors_calls"].append((D, list(grid), bp))
        lims = [SimpleNamespace(x=[mpmath.mpf(1) + e, mpmath.mpf(0), mpmath.mpf(0)], dps=80, digits=60,
                                floor=mpmath.mpf(10) ** -60) for e in st["errs"]]
        return SimpleNamespace(errors=st["errs"], selection=SimpleNamespace(x=st["xg"], unique_bp=True), limits=lims)

    def slope(inst, D, bp=None):
        if st["slope"] is None:
            from implicitreg.errors import HypothesisNotMetError
            raise HypothesisNotMetError("no window where the leading term dominates")
        return st["slope"]

    def bound_row(theorem, bound, name, depth, alphas, observed, values, note=""):
        st["bound_rows"].append((theorem.name, bound.name, name, depth, list(alphas), list(observed), values, note))
        return Verdict(f"{theorem.name} {bound.name}", "derived", name, str(depth), "", 1, 1, 1, True)

    monkeypatch.setattr(selection, "selection_errors", errors)
    monkeypatch.setattr(selection, "kkt_residual", lambda inst, x, D, a: st["kkt_calls"].append((list(x), D, a))
                        or st["kkt"])
    def flow(inst, D, a, **k):
        st["flow"].append(((inst, D, a), k))
        e = st["errs"][st["grid"].index(a)]
        return SimpleNamespace(x=[mpmath.mpf(1) + e, mpmath.mpf(0), mpmath.mpf(0)], dps=80, digits=60,
                               floor=mpmath.mpf(10) ** -60, alpha_product=mpmath.mpf(a))

    monkeypatch.setattr(dual_limit, "gradient_flow_limit", flow)
    monkeypatch.setattr(ss, "slope_check", slope)
    monkeypatch.setattr(sd, "_bound_row", bound_row)

    def run(D=F(2), grid=("1e-4", "1e-8"), M=F(1), unique=False, A=((1, "1/2", "1/3"),), rho=F(1, 2)):
        inst = Instance.from_lists([list(r) for r in A], [1] * len(A), name="w")
        bp = SimpleNamespace(value=M, unique=unique, support=(0,), x=[F(1), F(0), F(0)], rho=rho)
        rep = iv.InstanceVerification("w", "diagonal")
        st["grid"] = list(grid)
        rows = iv._wah_rows(inst, bp, D, list(grid), {"M": M}, rep)
        return rows, rep

    st["run"] = run
    return st


def test_wah_d_row_fields(wah):
    from implicitreg.proofs.checks import fmt
    from implicitreg.theory import selection as ts

    rows, rep = wah["run"](M=F(0))
    assert [r.theorem for r in rows] == ["WAH-D"]
    d = rows[0]
    assert wah["errors_calls"][0][:2] == (F(2), ["1e-4", "1e-8"])
    assert (d.provenance, d.instance, d.depth, d.alpha_range) == (ts.THM_D.provenance.kind, "w", "2", "1e-4..1e-8")
    e = mpmath.mpf("0.015625")
    assert d.observed == f"||x_inf - x_g||_2 = {fmt(e)}" and d.bound == "decreasing to 0"
    assert d.margin == fmt(e / 3)                                         # relative to max |x_g| = 3
    assert d.passed is False                                              # 0.0156 > 1e-3 * 3
    assert d.note == ("x_g = argmin G_D on the BP face (unique BP: x_g = x*); errors "
                      f"{fmt(mpmath.mpf('0.5'), 3)}, {fmt(e, 3)}")
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0029")]
    assert wah["run"](M=F(0))[0][0].passed is True                        # 0.0029 <= 1e-3 * 3
    wah["xg"] = []
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0009")]
    assert wah["run"](M=F(0))[0][0].passed is True                        # no x_g entries: the scale is 1
    assert [n.to_json()["reason"] for n in rep.not_applicable] == ["y = 0: min(BP) = 0"]


@pytest.mark.parametrize("D, factors", [(F(2), ("1e-2", "1e-4")), (F(5, 2), ("1e-2", "1e-4")),
                                        (F(4), ("1e-1", "1e-2"))])
def test_wah_c_objective_uses_the_per_factor_alpha(wah, D, factors):
    """alpha = alpha_prod^(1/D): 1e-4 and 1e-8 at D = 2; 1e-5 and 1e-10 at D = 5/2; 1e-4 and 1e-8 at D = 4."""
    grid = {F(2): ("1e-4", "1e-8"), F(5, 2): ("1e-5", "1e-10"), F(4): ("1e-4", "1e-8")}[D]
    wah["run"](D=D, grid=grid, M=F(1))
    (theorem, bound, name, depth, alphas, observed, values, note), = wah["bound_rows"]
    assert (theorem, name, depth, alphas) == ("WAH-C", "w", D, list(grid))
    assert bound == ("objective_2" if D == 2 else "objective_p") and note == "per-factor alpha = alpha_prod^(1/D)"
    assert [abs(o - e) < mpmath.mpf(10) ** -40 for o, e in zip(observed, wah["errs"])] == [True, True]  # ||x||_1 - M
    for v, f in zip(values, factors):
        assert abs(v["alpha"] / mpmath.mpf(f) - 1) < mpmath.mpf(10) ** -40
        assert v["N"] == 3
        if D == 2:
            assert set(v) == {"M", "N", "alpha"} and v["M"] == F(1)
        else:
            assert set(v) == {"p", "N", "X1", "alpha"} and v["p"] == D
    if D != 2:
        assert [abs(v["X1"] - (1 + e)) < mpmath.mpf(10) ** -40 for v, e in zip(values, wah["errs"])] == [True, True]


def test_wah_c_objective_leaves_out_alphas_not_below_1(wah):
    wah["run"](grid=("1", "1e-4"))
    assert wah["bound_rows"][0][4] == ["1e-4"] and len(wah["bound_rows"][0][5]) == 1


def test_wah_c_distance_row_with_kappa_from_rho_and_k2(wah):
    """unique x* = e_1 of A = [1, 1/2, 1/3]: K2 = 1/2, kappa >= (1 - rho)/(1 + K2) = (1/2)/(3/2) = 1/3."""
    from implicitreg.proofs.checks import fmt

    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("-0.25")]
    rows, rep = wah["run"](unique=True)
    assert len(wah["bound_rows"]) == 2
    theorem, bound, name, depth, alphas, observed, values, note = wah["bound_rows"][1]
    assert (theorem, bound, alphas) == ("WAH-C", "distance", ["1e-4", "1e-8"])
    assert observed == [mpmath.mpf("0.5"), mpmath.mpf("0.25")]           # l1 distance of (1 + e, 0, 0) to e_1
    assert [v["gap"] for v in values] == [mpmath.mpf("0.5"), 0]           # max(gap, 0)
    with mpmath.workdps(50):
        assert all(abs(v["kappa"] - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -35 for v in values)
        assert note == f"kappa >= (1 - rho)/(1 + K2) = {fmt(mpmath.mpf(1) / 3, 6)}"
    assert not any(n.theorem == "WAH-C distance" for n in rep.not_applicable)


def test_wah_e_and_kkt_rows(wah):
    from implicitreg.proofs.checks import fmt
    from implicitreg.theory import selection as ts

    window = ["1e-12", "1e-16", "1e-20"]
    lim = SimpleNamespace(x=[mpmath.mpf(1), 0, 0], dps=80, digits=60, floor=mpmath.mpf(10) ** -60)
    sres = SimpleNamespace(errors=[mpmath.mpf(10) ** -k for k in (9, 12, 15)], limits=[lim] * 3,
                           selection=SimpleNamespace(x=[mpmath.mpf(1), 0, 0], unique_bp=True))
    wah["slope"] = (mpmath.mpf("0.75"), F(3, 4), sres, window, True, True)
    wah["kkt"] = mpmath.mpf(10) ** -31
    rows, rep = wah["run"](D=F(3), grid=("1e-3", "1e-9"))
    by = {r.theorem: r for r in rows}
    e = by["WAH-E rate"]
    assert (e.provenance, e.depth, e.alpha_range) == (ts.THM_E.provenance.kind, "3", "1e-12..1e-20")
    assert (e.observed, e.bound, e.margin, e.slope, e.slope_predicted) == (
        f"slope {fmt(mpmath.mpf('0.75'), 5)}", "3/4 (in alpha^p)", fmt(mpmath.mpf(0), 3), fmt(mpmath.mpf("0.75"), 5),
        "3/4")
    assert e.passed is True and e.note.endswith("the exponent +-0.1 is rejected: True")
    k = by["WAH-A"]                                                       # D > 2: WAH-A, not WAH-A2
    assert (k.provenance, k.depth, k.alpha_range, k.observed, k.bound, k.margin, k.passed) == (
        ts.WAH_A.provenance.kind, "3", "1e-3", fmt(mpmath.mpf(10) ** -31), "<= 1e-30", fmt(mpmath.mpf("0.1")), True)
    assert k.note == "dQ/ds along a basis of ker A at the certified flow limit (relative)"
    inst = Instance.from_lists([[1, "1/2", "1/3"]], [1], name="w")
    # one certified limit per alpha (30 digits asked, 60 certified), shared by WAH-C and the KKT row
    assert wah["flow"] == [((inst, F(3), a), {"alpha_convention": "product", "digits": 30}) for a in ("1e-3", "1e-9")]
    assert wah["kkt_calls"] == [([1 + wah["errs"][0], 0, 0], F(3), "1e-3")]
    wah["slope"] = None
    rows, rep = wah["run"](D=F(3), grid=("1e-3", "1e-9"))
    assert "WAH-E rate" not in {r.theorem for r in rows}
    assert [(n.theorem, n.depth, n.reason) for n in rep.not_applicable] == [
        ("WAH-C distance", "3", "x* not unique: the kappa lower bound needs a unique x*"),
        (ts.THM_E.name, "3", "no window where the leading term dominates")]


def test_no_kkt_row_without_a_kernel(wah):
    rows, _ = wah["run"](A=((1, 0), (0, 1)))
    assert "WAH-A2" not in {r.theorem for r in rows} and all(k["digits"] == 30 for _, k in wah["flow"])
