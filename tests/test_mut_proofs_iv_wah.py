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
        st.setdefault("slope_calls", []).append((inst.name, D, bp))
        if st["slope"] is None:
            from implicitreg.errors import HypothesisNotMetError
            raise HypothesisNotMetError("no window where the leading term dominates")
        return st["slope"]

    def bound_row(theorem, bound, name, depth, alphas, observed, values, note=""):
        st["bound_rows"].append((theorem.name, bound.name, name, depth, list(alphas), list(observed), values, note))
        return Verdict(f"{theorem.name} {bound.name}", "derived", name, str(depth), "", 1, 1, 1,
                       st["bound_pass"](bound.name, list(observed), values) if "bound_pass" in st else True)

    monkeypatch.setattr(selection, "selection_errors", errors)
    monkeypatch.setattr(selection, "kkt_residual", lambda inst, x, D, a: st["kkt_calls"].append((list(x), D, a))
                        or st.setdefault("kkt_dps", []).append(mpmath.mp.dps) or st["kkt"])
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
        st["bp"] = bp
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
    assert (theorem, bound, name, depth, alphas) == ("WAH-C", "distance", "w", F(2), ["1e-4", "1e-8"])
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


# --- survivors of the iv-wah mutation target (proofs/instance_wah.py) ------------------------------------------------

def test_wah_d_reads_the_last_alpha_of_a_longer_grid(wah):
    """Three alphas, errors 0.5, 0.25, 0.002 and max |x_g| = 3: the last error 0.002 <= 1e-3 * 3 passes (the middle
    one, 0.25, would not); observed and margin are the last error (0.002, 0.002 / 3); the range ends at 1e-12."""
    from implicitreg.proofs.checks import fmt

    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.25"), mpmath.mpf("0.002")]
    rows, rep = wah["run"](M=F(0), grid=("1e-4", "1e-8", "1e-12"))
    d, = rows
    assert wah["errors_calls"] == [(F(2), ["1e-4", "1e-8", "1e-12"], wah["bp"])]      # the caller's BP, passed on
    assert d.alpha_range == "1e-4..1e-12" and d.passed is True
    assert d.observed == f"||x_inf - x_g||_2 = {fmt(mpmath.mpf('0.002'))}"
    assert d.margin == fmt(mpmath.mpf("0.002") / 3)
    assert [(n.theorem, n.depth) for n in rep.not_applicable] == [("WAH-C", "2")]       # min(BP) = 0 at D = 2


def test_wah_d_holds_at_exactly_1e_minus_3_relative(wah):
    """max |x_g| = 1: an error of exactly 1e-3 passes (<=); with no x_g entries the scale is 1, so 0.0015 fails."""
    assert mpmath.mpf("0.001") == mpmath.mpf(10) ** -3
    wah["xg"] = [mpmath.mpf(1), mpmath.mpf("-0.5"), 0]
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.001")]
    assert wah["run"](M=F(0))[0][0].passed is True
    wah["xg"] = []
    wah["errs"] = [mpmath.mpf("0.5"), mpmath.mpf("0.0015")]
    d = wah["run"](M=F(0))[0][0]
    from implicitreg.proofs.checks import fmt

    assert d.passed is False and d.margin == fmt(mpmath.mpf("0.0015"))


def test_wah_d_is_undecided_when_the_errors_are_below_the_limits_accuracy(wah):
    """Errors 1e-70, 1e-71 against limits certified to 60 digits (+-1e-60 on x_1 = 1): not resolved, so the row goes
    to the report as undecided, with the quantity, the first alpha and the accuracy in the reason."""
    wah["errs"] = [mpmath.mpf("1e-70"), mpmath.mpf("1e-71")]
    rows, rep = wah["run"](M=F(0))
    assert rows == []
    n = rep.not_applicable[0]
    assert (n.theorem, n.depth, n.kind) == ("WAH-D", "2", "undecided")
    assert n.reason == ("the decrease is not decided: ||x_inf - x_g||_2 = 1.0e-70 at alpha = 1e-4 is not resolved: "
                        "the certified limits leave +-1.0e-60 (0 significant digits, 3 needed)")


def test_wah_c_gap_not_resolved_recomputes_the_limits(wah):
    """x = (1 + 1e-20, 0, 0) formed at 15 digits is (1, 0, 0): the gap ||x||_1 - M = 0 is not resolved (0 digits of
    the 30 wanted), so each limit is recomputed once with 60 + 30 - 0 + 5 = 95 digits (the stub certifies 60)."""
    wah["errs"] = [mpmath.mpf("1e-20"), mpmath.mpf("1e-21")]
    wah["run"](M=F(1))
    assert [(a, k["digits"]) for (_, _, a), k in wah["flow"]] == [("1e-4", 30), ("1e-4", 95), ("1e-8", 30),
                                                                   ("1e-8", 95)]


def test_wah_c_rows_within_the_accuracy_are_undecided_with_the_quantity_named(wah, monkeypatch):
    """Limits x = (1 + 5e-59, 0, 0) certified to 60 digits (+-1.0e-60 on x_1), M = 1, x* = e_1: the gap and the l1
    distance are both 5e-59 +- 1e-60 (1 digit). Bound rows that hold exactly when every observation is <= 5e-59:
    moved against the upper bounds (+1e-60) they fail, towards them (-1e-60) they hold, so both rows are undecided
    and the reasons name the unresolved quantity."""
    from implicitreg.numerics import dual_limit

    def flow(inst, D, a, **k):
        wah["flow"].append(((inst, D, a), k))
        with mpmath.workdps(80):
            x1 = 1 + mpmath.mpf("5e-59")
        return SimpleNamespace(x=[x1, mpmath.mpf(0), mpmath.mpf(0)], dps=80, digits=60, floor=mpmath.mpf(10) ** -60,
                               alpha_product=mpmath.mpf(a))

    monkeypatch.setattr(dual_limit, "gradient_flow_limit", flow)
    with mpmath.workdps(80):
        top = mpmath.mpf("5e-59")
    wah["bound_pass"] = lambda bound, observed, values: all(o <= top for o in observed)
    rows, rep = wah["run"](M=F(1), unique=True)
    assert [r.theorem for r in rows if r.theorem.startswith("WAH-C")] == []
    why = {n.theorem: n.reason for n in rep.not_applicable if n.kind == "undecided"}
    assert why["WAH-C objective_2"] == ("||x_inf||_1 - M = 5.0e-59 at alpha = 1e-4 is not resolved: the certified "
                                        "limits leave +-1.0e-60 (1 significant digits, 3 needed)")
    assert why["WAH-C distance"] == ("dist_1(x_inf, X_BP) = 5.0e-59 at alpha = 1e-4 is not resolved: the certified "
                                     "limits leave +-1.0e-60 (1 significant digits, 3 needed)")
    # the same observations against bounds that hold up to 5e-59 + 2e-60: decided (PASS), in the rows
    with mpmath.workdps(80):
        top = mpmath.mpf("5.2e-59")
    rows, rep = wah["run"](M=F(1), unique=True)
    assert [r.theorem for r in rows if r.theorem.startswith("WAH-C")] == ["WAH-C objective_2", "WAH-C distance"]


@pytest.fixture
def distance(wah, monkeypatch):
    """Limits x = (1 - t, s, 0) (80 digits, certified to 60: accuracy (1 - t) 1e-60 + s 1e-60 + 1e-120 ~ 1e-60), M = 1,
    x* = e_1: gap = s - t, dist_1 = t + s; kappa = 1/3 (A = [1, 1/2, 1/3], rho = 1/2, K2 = 1/2). The stubbed distance
    row holds when dist <= gap / kappa = 3 gap (within 1e-70), the objective row always; returns the WAH-C distance
    rows decided and the reasons of the undecided ones."""
    from implicitreg.numerics import dual_limit

    def run(t, s, passes=None):
        with mpmath.workdps(80):
            t, s = mpmath.mpf(t), mpmath.mpf(s)
            x = [1 - t, s, mpmath.mpf(0)]

        def flow(inst, D, a, **k):
            return SimpleNamespace(x=x, dps=80, digits=60, floor=mpmath.mpf(10) ** -60, alpha_product=mpmath.mpf(a))

        def attained(bound, observed, values):
            if bound != "distance":
                return True
            with mpmath.workdps(80):
                return all(o <= 3 * v["gap"] + mpmath.mpf(10) ** -70 for o, v in zip(observed, values))

        monkeypatch.setattr(dual_limit, "gradient_flow_limit", flow)
        wah["bound_rows"].clear()
        wah["bound_pass"] = passes or attained
        rows, rep = wah["run"](M=F(1), unique=True)
        return ([r for r in rows if r.theorem == "WAH-C distance"],
                [n.reason for n in rep.not_applicable if n.theorem == "WAH-C distance"])
    return run


GENERIC = "the distance and gap/kappa agree within the accuracy of the certified limits"


def test_distance_row_decided_only_when_one_accuracy_cannot_change_it(distance, wah):
    """t = 1e-50 (10 digits resolved, accuracy ~1e-60 = a):
    s = 2t: dist = 3 gap exactly: moved by a (dist + a against 3 (gap - a)) it fails, the other way it holds: undecided;
    s = 3t: dist = 2 gap: decided (PASS); s = t + 1e-52: dist ~ 2 1e-50 >> 3 gap ~ 3e-52: decided (FAIL);
    s = 2t + 3e-60: 3 gap - dist = 6e-60 ~ 6a: moved by one accuracy it holds (needs 4a), by two it would not (8a);
    s = 2t - 3e-60: dist - 3 gap ~ 6a: moved towards by one it still fails (needs 4a), by two it would hold (8a)."""
    rows, why = distance("1e-50", "2e-50")
    assert rows == [] and why == [GENERIC]
    # the observations of the three rows built: as measured, moved against (dist up, gap down), moved towards
    obs = [(r[5], [v["gap"] for v in r[6]]) for r in wah["bound_rows"] if r[1] == "distance"]
    assert len(obs) == 3
    with mpmath.workdps(80):
        a = (1 - mpmath.mpf("1e-50")) * mpmath.mpf(10) ** -60 + mpmath.mpf("2e-50") * mpmath.mpf(10) ** -60 \
            + mpmath.mpf(10) ** -120
        d, g = mpmath.mpf("3e-50"), mpmath.mpf("1e-50")
        tol = mpmath.mpf(10) ** -75
        for (o, gaps), sign in zip(obs, (0, 1, -1)):
            assert all(abs(v - (d + sign * a)) < tol for v in o)
            assert all(abs(v - (g - sign * a)) < tol for v in gaps)
    rows, why = distance("1e-50", "3e-50")
    assert [r.passed for r in rows] == [True] and why == []
    rows, why = distance("1e-50", "1.01e-50")
    assert [r.passed for r in rows] == [False] and why == []
    with mpmath.workdps(80):
        near = 2 * mpmath.mpf("1e-50")
    rows, why = distance("1e-50", near + mpmath.mpf("3e-60"))
    assert [r.passed for r in rows] == [True] and why == []
    rows, why = distance("1e-50", near - mpmath.mpf("3e-60"))
    assert [r.passed for r in rows] == [False] and why == []


def test_distance_row_resolved_to_30_digits_stands(distance):
    """t = 1e-30: gap 1e-30 and dist 3e-30 against 1e-60: 30 digits (the wanted ones): the attained row stands."""
    rows, why = distance("1e-30", "2e-30")
    assert [r.passed for r in rows] == [True] and why == []


def test_distance_row_undecided_on_an_unresolved_gap_names_the_gap(distance):
    """s = t + 5e-59: gap 5e-59 +- 1e-60 (1 digit), dist 2e-50 (10 digits); a stub that holds for gap >= 5e-59:
    moved against (gap - a) it fails, towards it holds: undecided, the gap named."""
    with mpmath.workdps(80):
        t = mpmath.mpf("1e-50")
        s = t + mpmath.mpf("5e-59")
        g = mpmath.mpf("5e-59")

    def gap_at_least(bound, observed, values):
        return bound != "distance" or all(v["gap"] >= g for v in values)

    rows, why = distance(t, s, passes=gap_at_least)
    assert rows == [] and why == ["||x_inf||_1 - M = 5.0e-59 at alpha = 1e-4 is not resolved: the certified limits "
                                  "leave +-1.0e-60 (1 significant digits, 3 needed)"]


def test_distance_not_applicable_without_a_unique_x_star(wah):
    rows, rep = wah["run"](unique=False)
    n, = [n for n in rep.not_applicable if n.theorem == "WAH-C distance"]
    assert (n.provenance, n.depth, n.kind) == ("derived", "2", "hypothesis")


def test_wah_e_row_is_on_the_instance_and_the_slope_check_gets_the_bp(wah):
    lim = SimpleNamespace(x=[mpmath.mpf(1), 0, 0], dps=80, digits=60, floor=mpmath.mpf(10) ** -60)
    sres = SimpleNamespace(errors=[mpmath.mpf(10) ** -k for k in (9, 12)], limits=[lim] * 2,
                           selection=SimpleNamespace(x=[mpmath.mpf(1), 0, 0], unique_bp=True))
    wah["slope"] = (mpmath.mpf("0.5"), F(1, 2), sres, ["1e-12", "1e-16"], True, True)
    rows, _ = wah["run"](D=F(2))
    e, = [r for r in rows if r.theorem == "WAH-E rate"]
    assert (e.instance, e.alpha_range) == ("w", "1e-12..1e-16")
    assert wah["slope_calls"] == [("w", F(2), wah["bp"])]


def test_wah_e_row_texts_and_an_unresolved_rate(wah):
    """slope 0.7512345678 against 3/4: printed to 5 digits (0.75123), the difference to 3 (0.00123); errors of 1e-70
    on limits certified to 60 digits: no rate, the row undecided with the first alpha of the window named."""
    with mpmath.workdps(30):
        slope = mpmath.mpf("0.7512345678")
    lim = SimpleNamespace(x=[mpmath.mpf(1), 0, 0], dps=80, digits=60, floor=mpmath.mpf(10) ** -60)
    sres = SimpleNamespace(errors=[mpmath.mpf(10) ** -k for k in (9, 12)], limits=[lim] * 2,
                           selection=SimpleNamespace(x=[mpmath.mpf(1), 0, 0], unique_bp=True))
    wah["slope"] = (slope, F(3, 4), sres, ["1e-12", "1e-16"], True, False)
    rows, rep = wah["run"](D=F(3), grid=("1e-3", "1e-9"))
    e, = [r for r in rows if r.theorem == "WAH-E rate"]
    assert (e.observed, e.margin, e.slope, e.slope_predicted) == ("slope 0.75123", "0.00123", "0.75123", "3/4")
    assert e.passed is False                                               # the neighbours were not rejected
    assert e.note == ("log-log slope of ||x_inf - x_g||_2 against alpha_prod on the window where the leading term "
                      "dominates (chosen from BP data); the exponent +-0.1 is rejected: False")
    sres.errors = [mpmath.mpf("1e-70"), mpmath.mpf("1e-71")]
    rows, rep = wah["run"](D=F(3), grid=("1e-3", "1e-9"))
    assert "WAH-E rate" not in {r.theorem for r in rows}
    n, = [n for n in rep.not_applicable if n.theorem == "WAH-E rate"]
    assert (n.depth, n.kind) == ("3", "undecided")
    assert n.reason == ("no rate: ||x_inf - x_g||_2 = 1.0e-70 at alpha = 1e-12 is not resolved: the certified limits "
                        "leave +-1.0e-60 (0 significant digits, 3 needed)")


def test_kkt_row_reads_a_limit_certified_to_40_digits_at_60_working_digits(wah, monkeypatch):
    """A flow that certifies exactly the digits asked: x = (1 + e, 0, 0) to 30 digits leaves the gaps 0.5 and 0.015625
    (accuracy 1.5e-30, 1.015625e-30) 29 and 28 digits, so WAH-C recomputes them at 30 + 30 - 29 + 5 = 36 and 37;
    the KKT row then needs the first limit to 40 digits (one more computation), and the residual is evaluated at 60
    working digits, on the instance's name."""
    from implicitreg.numerics import dual_limit

    def flow(inst, D, a, **k):
        wah["flow"].append(((inst, D, a), k))
        e = wah["errs"][wah["grid"].index(a)]
        return SimpleNamespace(x=[mpmath.mpf(1) + e, mpmath.mpf(0), mpmath.mpf(0)], dps=80, digits=k["digits"],
                               floor=mpmath.mpf(10) ** -60, alpha_product=mpmath.mpf(a))

    monkeypatch.setattr(dual_limit, "gradient_flow_limit", flow)
    rows, _ = wah["run"](M=F(1))
    assert [(a, k["digits"]) for (_, _, a), k in wah["flow"]] == [("1e-4", 30), ("1e-4", 36), ("1e-8", 30),
                                                                   ("1e-8", 37), ("1e-4", 40)]
    assert wah["kkt_dps"] == [60]
    k, = [r for r in rows if r.theorem == "WAH-A2"]
    assert (k.instance, k.depth, k.alpha_range) == ("w", "2", "1e-4")


@pytest.mark.parametrize("left, undecided", [("1.23456e-25", True), ("1e-30", True), ("2e-31", False)])
def test_kkt_row_is_undecided_when_the_limit_leaves_1e_minus_30_open(wah, monkeypatch, left, undecided):
    """The relative KKT residual the accuracy leaves open (stubbed): >= 1e-30 (1e-30 itself included) makes the row
    undecided, with the open residual printed to 3 digits; 2e-31 leaves it decided."""
    from implicitreg.proofs import instance_wah

    value = mpmath.mpf(10) ** -30 if left == "1e-30" else mpmath.mpf(left)
    monkeypatch.setattr(instance_wah, "_kkt_open", lambda inst, lim, D: value)
    rows, rep = wah["run"]()
    why = [n.reason for n in rep.not_applicable if n.theorem == "WAH-A2"]
    assert ("WAH-A2" in {r.theorem for r in rows}) is not undecided
    if undecided:
        printed = {"1.23456e-25": "1.23e-25", "1e-30": "1.0e-30"}[left]
        assert why == [f"the accuracy of the limit leaves a relative KKT residual of {printed} open (the check needs "
                       "< 1e-30): the gradient of Q along ker A is below the limit's resolution"]
    else:
        assert why == []
