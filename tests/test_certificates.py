"""Tightness certificates: producer, determinism, CLI, reference files, and tampering.

Tampering is judged against an independent oracle (``strategies_certificates``): a mutation whose claims
the oracle finds false must be rejected by the checker, even when the attacker recomputes the content hash.
Mutations that keep every claim true (e.g. a digit far below a ball's radius) need not be rejected and
are counted separately. The hash itself must catch every edit.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

import strategies_certificates as S
from conftest import THOROUGH
from implicitreg.cli import main as cli_main
from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.proofs import certify
from implicitreg.proofs.checker.check import CheckFailure, check_certificate, check_file

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "proofs" / "reference_certificates"
REF_FILES = sorted(REFERENCE.glob("*.json"))
ROW = Instance.from_lists([[1, "1/2"]], [1], name="row")


#: the oracle decides 1 x 2 diagonal and 2 x 2 deep-linear certificates; the m = 3 one has targeted tests only
ORACLE_STEMS = sorted(p.stem for p in REF_FILES if p.stem != "ms_d3_wah_random_D3")


@pytest.fixture(scope="module")
def refs() -> dict[str, dict]:
    return {p.stem: S.load(p) for p in REF_FILES}


def numeric(cert) -> dict:
    """The certificate without its symbolic limit section (a legitimate certificate of the numeric claims), so a
    test can check it without the seconds SymPy's limits take; rehashed."""
    return S.rehash({k: v for k, v in cert.items() if k != "limit"})


def _rejects(cert, field_prefix=None, use_sympy=False):
    with pytest.raises(CheckFailure) as info:
        check_certificate(cert, use_sympy=use_sympy)
    if field_prefix is not None:
        assert info.value.field.startswith(field_prefix), (info.value.field, info.value.message)
    return info.value


# --- reference certificates and the oracle agree with the checker -----------------------------------------

def test_reference_certificates_cover_every_tightness_claim(refs):
    names = {c["theorem"]["name"] for c in refs.values()}
    assert names == {"MS-D2", "MS-D3", "kink", "MC-LB"}
    depths = {c["depth"] for c in refs.values() if c["kind"] == "diagonal" and c["theorem"]["name"] == "MS-D3"}
    assert {"3", "5/2"} <= depths


@pytest.mark.parametrize("path", REF_FILES, ids=lambda p: p.stem)
def test_reference_certificate_verifies_and_oracle_agrees(path):
    cert = S.load(path)
    verified = check_certificate(numeric(cert))
    assert any("Krawczyk" in v or "Sturm" in v for v in verified)
    if "limit" in cert:  # with the limit section but no SymPy re-check: a failure, never a pass
        assert "not re-checked" in _rejects(cert, use_sympy=False).message
    if path.stem in ORACLE_STEMS:
        assert S.truth(cert) is True


@pytest.mark.parametrize("stem", ["ms_d2_row_r1_2", "kink_eps_1_10_p3"])
def test_reference_limits_rechecked_by_sympy(refs, stem):
    # a generous wall-clock budget: the default 25 s is for untrusted files; SymPy's limit can take ~10 s on a
    # loaded machine, and this test is about the re-check's result, not the budget (tested in test_checker_attacks)
    verified = check_certificate(refs[stem], use_sympy=True, time_limit=120)
    assert any(v.startswith("limit (SymPy)") for v in verified)


def test_ratio_claims_approach_the_proved_limit(refs):
    """The certified ratios move toward the SymPy limit 1 as alpha decreases (the approach, shown numerically)."""
    for stem in ("ms_d2_row_r1_2", "ms_d3_row_r1_2_D3", "kink_eps_1_10_p3"):
        pts = refs[stem]["points"]
        gaps = [abs(1 - Fraction(float(p["bounds"][0]["ratio"]["lo"]))) for p in pts]
        assert gaps == sorted(gaps, reverse=True) and gaps[-1] < gaps[0], stem


def test_closed_form_of_the_ms_d3_family():
    """On A = [1, 1/2], D = 3 the bound carries the closed-form constant (1 + r) h_3(r) = 104/9, and the certified
    ratios approach 1 at the rate alpha^((D-2)/D) = alpha^(1/3) of dln.md §4 (correction O(alpha^(1+(D-2)/D)))."""
    import math

    cert = S.load(REFERENCE / "ms_d3_row_r1_2_D3.json")
    h = (1 - sympy.Rational(1, 2)) ** -3 - (1 + sympy.Rational(1, 2)) ** -3
    assert sympy.Rational(3, 2) * h == sympy.Rational(104, 9)
    alphas = [float(Fraction(p["alpha"])) for p in cert["points"]]
    gaps = [abs(1 - float(p["errors"]["l1"]["mid"]) / (a * 104 / 9)) for p, a in zip(cert["points"], alphas)]
    slope = math.log(gaps[1] / gaps[0]) / math.log(alphas[1] / alphas[0])
    assert abs(slope - 1 / 3) < 0.03, slope
    assert abs(slope - 1 / 3 - 0.1) > 0.05  # an exponent off by 0.1 would be told apart


# --- producer --------------------------------------------------------------------------------------------------

def test_same_command_gives_byte_identical_files():
    a = certify.dumps(certify.diagonal_certificate(ROW, 2, ["1/1000"], theorem="MS-D2", symbolic=False))
    b = certify.dumps(certify.diagonal_certificate(ROW, 2, ["0.001"], theorem="MS-D2", symbolic=False))
    assert a == b
    c = certify.dumps(certify.deep_linear_certificate(certify.MC_LB_X, certify.MC_LB_Y, 3))
    assert c == (REFERENCE / "mc_lb_equality_L3.json").read_text(encoding="utf-8")


def test_producer_refuses_what_it_cannot_certify():
    with pytest.raises(InvalidParameterError):
        certify.diagonal_certificate(ROW, 3, ["1/1000"], theorem="MS-D2")
    with pytest.raises(InvalidParameterError):
        certify.diagonal_certificate(ROW, 2, ["1/1000"], theorem="MS-D3")
    with pytest.raises(InvalidParameterError):
        certify.diagonal_certificate(ROW, 2, ["-1"], theorem="MS-D2")
    with pytest.raises(HypothesisNotMetError, match="not unique"):
        certify.diagonal_certificate(Instance.from_lists([[1, 1]], [1]), 2, ["1/1000"], theorem="MS-D2")
    with pytest.raises(HypothesisNotMetError, match="kink family"):
        certify.diagonal_certificate(Instance.from_lists([[1, 2]], [1]), 3, ["1/10"], theorem="kink")
    with pytest.raises(HypothesisNotMetError, match="irrational"):  # 8^(1/2): only the enclosure form
        certify.deep_linear_certificate(certify.MC_LB_X, certify.MC_LB_Y, 2, form="exact")
    with pytest.raises(HypothesisNotMetError, match="singular"):
        certify.deep_linear_certificate([[1, 2], [2, 4]], [1, 2], 3)
    with pytest.raises(HypothesisNotMetError, match="w\\* = 0"):
        certify.deep_linear_certificate([[1, 0], [0, 1]], [0, 0], 3)
    with pytest.raises(InvalidParameterError):
        certify.deep_linear_certificate(certify.MC_LB_X, certify.MC_LB_Y, 3, form="float")


def test_wrong_bound_formula_is_refused_by_the_binding_table(refs):
    """A deliberately wrong bound (constant x1.1, halved, exponent off by 0.1) with every number re-enclosed by the
    attacker is refused: the theorem's name fixes its formula (proofs/checker/theorems.py)."""
    from implicitreg.proofs.checker.interval import ball_from_interval, evaluate, point, precision
    from implicitreg.proofs.checker.krawczyk import link

    for wrong in ("11*({})/10", "({})/2", "({})*alpha_product**(1/10)"):
        cert = copy.deepcopy(numeric(refs["ms_d2_row_r1_2"]))
        cert["bounds"][0]["expr"] = wrong.format(cert["bounds"][0]["expr"])
        with precision(60):  # the attacker re-encloses the bound values so the numeric checks would pass
            for pt in cert["points"]:
                a = Fraction(pt["alpha"]) if "/" not in pt["alpha"] else Fraction(*map(int, pt["alpha"].split("/")))
                env = {"rho": point(Fraction(1, 2)), "N": point(Fraction(2)), "s": point(Fraction(1)),
                       "alpha_product": point(a)}
                val = evaluate(cert["bounds"][0]["expr"], env, "e", link(Fraction(2)))
                pt["bounds"][0]["value"] = ball_from_interval(val, 30)
        err = _rejects(S.rehash(cert), "bounds[0].expr")
        assert "is not the formula of 'tightness scale'" in err.message


def _mutated_table(monkeypatch, theorem, fmt_upper, fmt_lower):
    """Make the checker's table (and so the producer, which writes the table's text) carry a wrong bound."""
    from implicitreg.proofs.checker import theorems

    original = theorems.diagonal_bounds

    def table(th, depth):
        t = dict(original(th, depth))
        if th == theorem:
            side, norm, expr = t["upper_l1"]
            t["upper_l1"] = (side, norm, fmt_upper.format(expr))
            side, norm, expr = t["lower_inf"]
            t["lower_inf"] = (side, norm, fmt_lower.format(expr))
        return t

    monkeypatch.setattr(theorems, "diagonal_bounds", table)
    monkeypatch.setattr(certify.diagonal, "_same_formula", lambda *args: None)


@pytest.mark.parametrize("theorem,depth", [("MS-D2", 2), ("MS-D3", 3)])
def test_wrong_theorem_bounds_are_caught(monkeypatch, theorem, depth):
    """theory.diagonal's upper/lower bounds, deliberately wrong in the checker's own table: an upper bound halved or
    with the exponent off by 0.1, or a lower bound doubled, is violated and no certificate can be produced (the
    verdict is decided against it); an upper bound x1.1 is still valid but visibly loses its tightness (certified
    ratio <= 1/1.1 < 0.91, while the true bound's certified ratio at the same alpha is > 0.93)."""
    alpha = "1e-12" if depth == 2 else "1e-9"
    true_cert = certify.diagonal_certificate(ROW, depth, [alpha], theorem=theorem, symbolic=False)
    upper = next(i for i, b in enumerate(true_cert["bounds"]) if b["name"] == "upper_l1")
    true_hi = Fraction(true_cert["points"][0]["bounds"][upper]["ratio"]["hi"])
    assert true_hi > Fraction(93, 100)
    for up, low in (("({})/2", "{}"), ("({})*alpha_product**(1/10)", "{}"), ("{}", "2*({})")):
        with monkeypatch.context() as m:
            _mutated_table(m, theorem, up, low)
            with pytest.raises(CertificateError, match="violated"):
                certify.diagonal_certificate(ROW, depth, [alpha], theorem=theorem, symbolic=False)
    with monkeypatch.context() as m:
        _mutated_table(m, theorem, "11*({})/10", "{}")
        weak = certify.diagonal_certificate(ROW, depth, [alpha], theorem=theorem, symbolic=False)
    weak_hi = Fraction(weak["points"][0]["bounds"][upper]["ratio"]["hi"])
    assert weak_hi < Fraction(10, 11) < true_hi
    # the weak certificate is refused by the true table: the name binds the formula
    _rejects(weak, f"bounds[{upper}].expr")


def test_wrong_sharpness_bound_is_caught(refs, monkeypatch):
    """MC-LB with the bound doubled (or the exponent off by 0.1 upward) in the checker's table is violated by the
    certified minimizer: rejected even when the attacker re-encloses S_LB, the ratio and the hash and drops the exact
    equality section. Halved, the bound stays valid but the certified ratio is 2: the equality claim is lost.
    With the true table, any changed formula is refused by name."""
    from implicitreg.proofs.checker import theorems
    from implicitreg.proofs.checker.interval import ball_from_interval, evaluate, point, precision
    from mpmath import iv

    base = refs["mc_lb_equality_L3"]
    env = {"L": iv.mpf(3), "a": point(Fraction(2)), "w_norm": iv.mpf(8), "d": iv.mpf(2), "n": iv.mpf(2)}
    for fmt, violated in (("2*({})", True), ("({})*w_norm**(1/10)", True), ("({})/2", False)):
        cert = copy.deepcopy(base)
        cert.pop("equality")
        cert["bound"]["expr"] = fmt.format(cert["bound"]["expr"])
        with precision(50):
            slb = evaluate(cert["bound"]["expr"], env, "e")
            cert["bound"]["value"] = ball_from_interval(slb, 40)
            s_ball = cert["sharpness"]
            ratio = (point(Fraction(s_ball["mid"])) / slb)
            lo_hi = ball_from_interval(ratio, 12)
            cert["ratio"] = {"lo": str(Fraction(lo_hi["mid"]) - 2 * Fraction(lo_hi["rad"]) - Fraction(1, 10 ** 11)),
                             "hi": str(Fraction(lo_hi["mid"]) + 2 * Fraction(lo_hi["rad"]) + Fraction(1, 10 ** 11))}
        cert = S.rehash(cert)
        _rejects(cert, "bound.expr")  # the true table refuses the changed formula
        with monkeypatch.context() as m:
            m.setattr(theorems, "MC_LB", ("S_LB", "lower", cert["bound"]["expr"]))
            if violated:
                _rejects(cert, "ratio")
            else:
                check_certificate(cert)
                assert Fraction(cert["ratio"]["lo"]) > Fraction(19, 10)


def test_mutated_limit_section_is_rejected_by_sympy(refs):
    base = refs["kink_eps_1_10_p3"]
    for path, value in ((("limit", "value"), "2"), (("limit", "alpha_of_t"), "1/(1 + t)"),
                        (("limit", "t_limit"), "oo"), (("limit", "steps", 1, "rhs"), "1"),
                        (("limit", "error_of_t"), "t")):
        cert = copy.deepcopy(base)
        S.set_at(cert, path, value)
        _rejects(S.rehash(cert), "limit", use_sympy=True)


# --- targeted tampering (every one makes the claim false) --------------------------------------------------

def _edit(cert, path, fn):
    cert = copy.deepcopy(cert)
    node = cert
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = fn(node[path[-1]])
    return cert


TARGETED = [
    ("x* digit", "ms_d2_row_r1_2", ("basis_pursuit", "x_star", 0), lambda v: "2", "basis_pursuit"),
    ("bound value digit", "ms_d2_row_r1_2", ("points", 0, "bounds", 0, "value", "mid"),
     lambda v: v[:5] + ("1" if v[5] != "1" else "2") + v[6:], "points[0].bounds[0].value"),
    ("ratio lo above the truth", "ms_d3_row_r1_2_D3", ("points", 0, "bounds", 0, "ratio", "lo"),
     lambda v: v[:-4] + "9" + v[-3:], "points[0].bounds[0].ratio"),
    ("ratio hi below the truth", "kink_eps_1_10_p3", ("points", 1, "bounds", 0, "ratio", "hi"),
     lambda v: "9.0e-1", "points[1].bounds[0].ratio"),
    ("nu box shrunk off the solution", "ms_d2_row_r1_2", ("points", 0, "nu", 0),
     lambda b: {"mid": b["mid"][:-3] + "000", "rad": "1e-48"}, "points[0].nu"),
    ("nu box radius zero", "ms_d3_row_r1_2_D5_2", ("points", 0, "nu", 0, "rad"), lambda v: "0", "points[0].nu"),
    ("x_inf ball moved", "kink_eps_1_10_p4", ("points", 0, "x_inf", 1, "mid"),
     lambda v: "1" + v[1:] if v[0] != "1" else "2" + v[1:], "points[0].x_inf[1]"),
    ("error ball shrunk", "ms_d2_row_r1_2", ("points", 1, "errors", "l1", "rad"), lambda v: "0",
     "points[1].errors.l1"),
    ("rho value", "ms_d2_row_r1_2", ("rho", "value"), lambda v: "2/5", "rho"),
    ("dual certificate lambda", "ms_d3_row_r1_2_D3", ("basis_pursuit", "lambda", 0), lambda v: "3/2", "basis_pursuit"),
    ("kernel vector", "kink_eps_1_10_p3", ("rho", "v", 0), lambda v: "1", "rho.v"),
    ("alpha changed", "ms_d3_row_r1_2_D3", ("points", 0, "alpha"), lambda v: "1/999", "points[0]"),
    ("depth changed", "ms_d3_row_r1_2_D3", ("depth",), lambda v: "4", "points[0]"),
    ("convention flipped", "kink_eps_1_10_p3", ("alpha_convention",), lambda v: "product", "points[0]"),
    ("instance entry", "ms_d2_row_r1_2", ("instance", "A", 0, 1), lambda v: "1/3", "rho"),
    ("deep: X entry", "mc_lb_equality_L3", ("instance", "X", 0, 0), lambda v: "7/5", "w_star"),
    ("deep: minimizer entry", "mc_lb_equality_L3", ("minimizer", 1, 0, 0), lambda v: "3", "minimizer"),
    ("deep: sharpness ball", "mc_lb_equality_L3", ("sharpness", "mid"), lambda v: "1.93e+2", "sharpness"),
    ("deep: S_LB exact", "mc_lb_equality_L3", ("equality", "S_LB"), lambda v: "193", "equality.S_LB"),
    ("deep: ratio", "mc_lb_equality_L3", ("ratio", "lo"), lambda v: "1.0000001", "ratio"),
]


@pytest.mark.parametrize("name,stem,path,fn,field", TARGETED, ids=[t[0] for t in TARGETED])
def test_targeted_tampering_is_rejected_even_with_a_recomputed_hash(refs, name, stem, path, fn, field):
    bad = _edit(refs[stem], path, fn)
    assert S.truth(bad) is False, "the oracle must agree that this mutation is false"
    _rejects(bad, "sha256")  # hash not recomputed: caught by the hash
    err = _rejects(S.rehash(bad), field)  # hash recomputed: caught by the claim-level checks
    assert err.message


def test_multidimensional_certificate_with_negative_values(refs):
    """wah.md §7 'random' (m = 3): nu has negative entries; moving a negative ball by its own diameter, flipping
    its sign, or changing a digit of x* must be rejected (regression: a sign lost in mpf -> Fraction)."""
    cert = refs["ms_d3_wah_random_D3"]
    nu = cert["points"][0]["nu"]
    neg = next(i for i, b in enumerate(nu) if b["mid"].startswith("-"))
    for fn in (lambda b: {"mid": b["mid"][1:], "rad": b["rad"]},
               lambda b: {"mid": str(Fraction(b["mid"]) + 3 * Fraction(b["rad"])), "rad": b["rad"]}):
        _rejects(S.rehash(_edit(cert, ("points", 0, "nu", neg), fn)), "points[0].nu")
    xb = cert["points"][0]["x_inf"]
    j = next(i for i, b in enumerate(xb) if b["mid"].startswith("-"))
    _rejects(S.rehash(_edit(cert, ("points", 0, "x_inf", j, "mid"), lambda v: v[1:])), f"points[0].x_inf[{j}]")
    _rejects(S.rehash(_edit(cert, ("basis_pursuit", "x_star", 4), lambda v: v + "1")), "basis_pursuit")


def test_swapped_instance_is_rejected(refs):
    a, b = refs["ms_d2_row_r1_2"], refs["kink_eps_1_10_p3"]
    bad = S.rehash(dict(copy.deepcopy(a), instance=copy.deepcopy(b["instance"])))
    assert S.truth(bad) is False
    _rejects(bad)


@pytest.mark.parametrize("stem", ["ms_d2_row_r1_2", "mc_lb_equality_L3"])
def test_every_dropped_required_field_is_named(refs, stem):
    cert = refs[stem]
    for key in sorted(k for k in cert if k not in ("limit", "equality", "loss", "sha256")):
        bad = S.rehash({k: v for k, v in cert.items() if k != key})
        err = _rejects(bad)
        assert key in err.field, (key, err.field)


def test_corrupt_json_and_bare_floats(tmp_path, refs):
    text = (REFERENCE / "ms_d2_row_r1_2.json").read_text(encoding="utf-8")
    for name, content in (("truncated", text[: len(text) // 2]), ("float", text.replace('"depth": "2"', '"depth": 2.0')),
                          ("nan", text.replace('"depth": "2"', '"depth": NaN')), ("empty", "")):
        p = tmp_path / f"{name}.json"
        p.write_text(content, encoding="utf-8")
        rep = check_file(p)
        assert not rep.ok and rep.failure.field == "(json)", name


# --- random tampering (Hypothesis): hash level and claim level ----------------------------------------------

STATS = {"hash": [0, 0], "claim_false": [0, 0], "claim_true": [0, 0]}


@settings(max_examples=200 if THOROUGH else 40, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hash_catches_every_edit(refs, data):
    stem = data.draw(st.sampled_from(sorted(refs)))  # the hash test needs no oracle: every certificate
    desc, bad = data.draw(S.mutations(refs[stem], skip_limit=False))
    if S.canonical_equal(bad, refs[stem]):
        return
    STATS["hash"][0] += 1
    with pytest.raises(CheckFailure) as info:
        check_certificate(bad, use_sympy=False)
    assert info.value.field in ("sha256", "format", "(top level)"), desc
    STATS["hash"][1] += 1


@settings(max_examples=300 if THOROUGH else 60, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_claim_level_checks_catch_every_false_mutation(refs, data):
    stem = data.draw(st.sampled_from(ORACLE_STEMS))
    desc, bad = data.draw(S.mutations(numeric(refs[stem])))
    bad = S.rehash(bad)  # the attacker recomputes the hash
    verdict = S.truth(bad)
    try:
        check_certificate(bad, use_sympy=False)
        rejected = False
    except CheckFailure as exc:
        rejected = True
        assert exc.field and exc.message, desc
    if verdict is False:
        STATS["claim_false"][0] += 1
        STATS["claim_false"][1] += rejected
        assert rejected, f"a false claim was accepted: {stem}: {desc}"
    elif verdict is True:
        STATS["claim_true"][0] += 1
        STATS["claim_true"][1] += rejected


def test_report_rejection_rates():
    """Printed with -s; the asserts above already require 100% on false claims."""
    h, f, t = STATS["hash"], STATS["claim_false"], STATS["claim_true"]
    print(f"\nhash-level: {h[1]}/{h[0]} edits rejected; claim-level: {f[1]}/{f[0]} false mutations rejected "
          f"(100% required); {t[0]} mutations kept every claim true ({t[1]} of them rejected conservatively)")
    assert h[0] == h[1] and f[0] == f[1]


# --- CLI --------------------------------------------------------------------------------------------------------

def test_cli_certify_and_check(tmp_path, capsys):
    inst = tmp_path / "row.json"
    inst.write_text(json.dumps({"A": [[1, "1/2"]], "y": [1]}), encoding="utf-8")
    out = tmp_path / "c.json"
    assert cli_main(["certify", "--instance", str(inst), "--theorem", "MS-D3", "--depth", "5/2", "--alpha", "1e-3",
                     "--no-symbolic", "--out", str(out)]) == 0
    assert cli_main(["check", str(out)]) == 0  # SymPy proves the lower bound's equality (no limit section)
    text = capsys.readouterr().out
    assert "OK" in text and "Krawczyk" in text and "1 verified, 0 failed" in text
    cert = json.loads(out.read_text(encoding="utf-8"))
    cert["points"][0]["bounds"][0]["ratio"]["hi"] = "1e-3"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(S.rehash(cert)), encoding="utf-8")
    assert cli_main(["check", str(out), str(bad)]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "field points[0].bounds[0].ratio" in text and "1 verified, 1 failed" in text


def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    inst = tmp_path / "row.json"
    inst.write_text(json.dumps({"A": [[1, "1/2"]], "y": [1]}), encoding="utf-8")
    for argv in (["--theorem", "MS-D2", "--depth", "2", "--alpha", "-1"],
                 ["--theorem", "MS-D2", "--depth", "2"],
                 ["--theorem", "MC-LB", "--depth", "x"],
                 ["--theorem", "MS-D3", "--depth", "3/2", "--alpha", "1e-3"]):
        assert cli_main(["certify", "--instance", str(inst), *argv, "--out", str(tmp_path / "o.json")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err


def test_verify_certify_writes_and_checks(tmp_path, monkeypatch, capsys):
    """The --certify wiring: certificates are written after the suites (builder replaced by one small cert)."""
    from implicitreg.proofs import verify

    small = certify.diagonal_certificate(ROW, 2, ["1/100"], theorem="MS-D2", symbolic=False)
    monkeypatch.setattr(certify, "tightness_certificates", lambda: [("small", small)])
    verify.main(only="none", certify=str(tmp_path / "certs"))
    out = capsys.readouterr().out
    written = tmp_path / "certs" / "small.json"
    assert str(written) in out and check_file(written).ok


@pytest.mark.slow
def test_verify_certify_end_to_end(tmp_path):
    """`implicitreg verify --certify DIR` then `implicitreg check DIR/*` (the issue's done-when)."""
    exe = [sys.executable, "-m", "implicitreg.cli"]
    subprocess.run(exe + ["verify", "--only", "none", "--certify", str(tmp_path)], capture_output=True,
                   text=True, timeout=900, cwd=ROOT)
    files = sorted(str(p) for p in tmp_path.glob("*.json"))
    assert len(files) == 7
    # a generous wall-clock budget: this test runs beside the whole suite on a loaded machine (the default 25 s
    # budget is tested in tests/test_checker_time_limit.py)
    proc = subprocess.run(exe + ["check", "--time-limit", "600", *files], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert proc.returncode == 0 and "7 verified, 0 failed" in proc.stdout, proc.stdout + proc.stderr
    for f in files:  # byte-identical to the committed references
        assert Path(f).read_bytes() == (REFERENCE / Path(f).name).read_bytes()


# --- MC-LB on ordinary data: the enclosure form -----------------------------------------------------------------

#: the equality family with ||w*||^(1/3) = 2^(1/3) irrational: Sigma = diag(2, 1/2), w* = (2, 0), L mu = 6 >= 1/2
EIGEN_X, EIGEN_Y = [[2, 0], [0, 1]], [4, 0]


def _sympy_ratio(X, y, L):
    """S_bal / S_LB = lambda_max(P^(1/2) Sigma P^(1/2)) / (L a) with P = I + (L-1) w_hat w_hat^T, whose square root is
    I + (sqrt(L) - 1) w_hat w_hat^T (w_hat w_hat^T is a projector): a symmetric matrix similar to M Sigma / t^(L-1)
    (MC-BAL), with closed-form eigenvalues in SymPy (the checker uses Sturm on M0 Sigma, the producer flint arb)."""
    Xs, ys = sympy.Matrix(X), sympy.Matrix(y)
    n = Xs.shape[0]
    Sigma = Xs.T * Xs / n
    w = Sigma.solve(Xs.T * ys / n)
    wn2 = (w.T * w)[0, 0]
    a = (w.T * Sigma * w)[0, 0] / wn2
    half = sympy.eye(len(w)) + (sympy.sqrt(L) - 1) * w * w.T / wn2
    K = half * Sigma * half
    return max(K.eigenvals(), key=lambda e: sympy.N(e, 50)) / (L * a)


def test_mc_lb_certified_on_ordinary_data(refs):
    """X, y random small integers: ||w*||^(1/L) is irrational, so the exact form is refused and the enclosure form
    is produced, checked, agrees with the oracle (mpmath at 80 digits, another formula) and with SymPy's ratio."""
    with pytest.raises(HypothesisNotMetError, match="irrational"):
        certify.deep_linear_certificate(certify.ORDINARY_X, certify.ORDINARY_Y, 3, form="exact")
    cert = certify.deep_linear_certificate(certify.ORDINARY_X, certify.ORDINARY_Y, 3)
    assert certify.dumps(cert) == (REFERENCE / "mc_lb_ordinary_L3.json").read_text(encoding="utf-8")
    assert "equality" not in cert and "minimizer" not in cert
    verified = check_certificate(cert)
    assert any("lo(S) - hi(S_LB) > 0" in v for v in verified)
    assert S.truth(cert) is True
    want = _sympy_ratio(certify.ORDINARY_X, certify.ORDINARY_Y, 3)
    assert Fraction(cert["ratio"]["lo"]) < sympy.N(want, 30) < Fraction(cert["ratio"]["hi"])
    assert sympy.N(want, 30) > 1  # w* is not an eigenvector: strictly sharper than S_LB


def test_mc_lb_enclosure_form_proves_equality_with_an_irrational_root():
    """w* an eigenvector with L mu >= lambda_max but ||w*||^(1/L) = 2^(1/3): S = S_LB exactly (lambda_max = L a),
    although no entry of the minimizer is rational. Dropping the equality leaves the margin undecided: refused."""
    cert = certify.deep_linear_certificate(EIGEN_X, EIGEN_Y, 3)
    assert cert["equality"]["lambda_max"] == "6" and "balanced_minimizer" in cert
    assert any("attained: equality proved exactly" in v for v in check_certificate(cert))
    assert S.truth(cert) is True
    assert _sympy_ratio(EIGEN_X, EIGEN_Y, 3) == 1
    undecided = S.rehash({k: v for k, v in cert.items() if k != "equality"})
    assert "not decided" in _rejects(undecided, "margin").message
    _rejects(S.rehash(_edit(cert, ("equality", "lambda_max"), lambda v: "7")), "equality.lambda_max")


def _scaled(ball, factor):
    return str(Fraction(ball["mid"]) * factor) if Fraction(ball["mid"]) else str(factor)


#: every enclosure of the ordinary certificate, the field that must reject its tampering, and its width scale
ENCLOSURES = [
    (("balanced_minimizer", "w_norm"), "balanced_minimizer.w_norm"),
    (("balanced_minimizer", "root"), "balanced_minimizer.root"),
    (("balanced_minimizer", "factors", 0, 0, 1), "balanced_minimizer.factors[0][0][1]"),
    (("balanced_minimizer", "factors", 2, 0, 0), "balanced_minimizer.factors[2][0][0]"),
    (("sharpness",), "sharpness"),
    (("bound", "value"), "bound.value"),
    (("margin",), "margin"),
]


def _at(cert, path):
    for k in path:
        cert = cert[k]
    return cert


@pytest.mark.parametrize("how", ["shrink", "shift", "widen"])
@pytest.mark.parametrize("path,field", ENCLOSURES, ids=[f for _, f in ENCLOSURES])
def test_each_enclosure_tampering_is_rejected_by_its_own_check(refs, path, field, how):
    """Shrinking a ball so it no longer contains the recomputed enclosure, shifting it by three radii, or widening it
    past the cap (10^-10 |mid|; the margin's cap is 10^-10 |S|) is rejected by exactly that field's check, with the
    content hash recomputed by the attacker. Shrunk and shifted balls are false claims (the oracle agrees); a widened
    one is still true but refused: widths are the writer's choice and capped."""
    base = refs["mc_lb_ordinary_L3"]
    ball = _at(base, path)
    mid, rad = Fraction(ball["mid"]), Fraction(ball["rad"])
    scale = abs(Fraction(base["sharpness"]["mid"])) if field == "margin" else abs(mid)
    new = {"shrink": {"mid": ball["mid"], "rad": "0"},
           "shift": {"mid": str(mid + 3 * rad), "rad": ball["rad"]},
           "widen": {"mid": ball["mid"], "rad": str(scale / 10 ** 9)}}[how]
    bad = _edit(base, path, lambda _: new)
    if how != "widen":
        assert S.truth(bad) is False
    err = _rejects(S.rehash(bad))
    assert err.field == (field + ".rad" if how == "widen" else field), (err.field, err.message)


def test_ordinary_ratio_and_structure_tampering(refs):
    base = refs["mc_lb_ordinary_L3"]
    lo_, hi_ = Fraction(base["ratio"]["lo"]), Fraction(base["ratio"]["hi"])
    for ratio in ({"lo": str(hi_), "hi": str(hi_ + (hi_ - lo_))}, {"lo": str(lo_), "hi": str(2 * hi_)}):
        _rejects(S.rehash(dict(copy.deepcopy(base), ratio=ratio)), "ratio")
    _rejects(S.rehash(_edit(base, ("balanced_minimizer", "factors"), lambda f: f[:-1])), "balanced_minimizer.factors")
    _rejects(S.rehash(_edit(base, ("balanced_minimizer", "form"), lambda v: v + " ")), "balanced_minimizer.form")
    _rejects(S.rehash(_edit(base, ("L",), lambda v: 4)), "balanced_minimizer.root")
    _rejects(S.rehash(_edit(base, ("w_star", 0), lambda v: v + "1")), "w_star")
    fake_eq = dict(copy.deepcopy(base), equality={"lambda_max": "1", "family": "x",
                                                  "provenance": {"kind": "derived", "source": "x"}})
    _rejects(S.rehash(fake_eq), "equality.lambda_max")
    both = dict(copy.deepcopy(base), minimizer=copy.deepcopy(refs["mc_lb_equality_L3"]["minimizer"]))
    assert "unknown field" in _rejects(S.rehash(both), "minimizer").message
    for key in ("balanced_minimizer", "margin"):  # either one missing is named
        assert key in _rejects(S.rehash({k: v for k, v in base.items() if k != key})).field
    low = _edit(base, ("tool", "checker_dps"), lambda v: 20)  # too coarse to reproduce the stated enclosures
    _rejects(S.rehash(low), "balanced_minimizer.w_norm")


def test_cli_certify_mc_lb_on_an_ordinary_instance_then_check(tmp_path, capsys):
    inst = tmp_path / "regression.json"
    inst.write_text(json.dumps({"X": [[2, -1], [1, 3], [0, 1], [1, 1]], "y": [1, 0, 2, 5]}), encoding="utf-8")
    out = tmp_path / "mc.json"
    assert cli_main(["certify", "--instance", str(inst), "--theorem", "MC-LB", "--depth", "4", "--out", str(out)]) == 0
    assert cli_main(["check", str(out)]) == 0
    text = capsys.readouterr().out
    assert "OK" in text and "lo(S) - hi(S_LB) > 0" in text and "1 verified, 0 failed" in text
    assert S.truth(json.loads(out.read_text(encoding="utf-8"))) is True


def test_diagonal_certificates_on_ordinary_data():
    """MS-D2 / MS-D3 need no exact GF limit: the Krawczyk box encloses it on any instance with a unique l1 minimizer
    and full row rank (here a random small-integer 2 x 4 instance, D = 5/2)."""
    inst = Instance.from_lists([[4, -4, -1, -4], [2, 2, 2, 5]], [1, -2], name="ordinary")
    cert = certify.diagonal_certificate(inst, "5/2", ["1e-6"], theorem="MS-D3", symbolic=False)
    assert {b["name"] for b in cert["bounds"]} == {"upper_l1", "lower_inf"}
    assert any("Krawczyk" in v for v in check_certificate(cert))


@settings(max_examples=60 if THOROUGH else 15)
@given(st.lists(st.integers(-30, 30), min_size=4, max_size=4), st.integers(0, 3), st.integers(1, 60))
def test_largest_root_refinement_agrees_with_sturm_bisection(entries, repeat, digits):
    """The checker's fast refinement (integer signs of the square-free part after Sturm isolation) encloses the same
    root as the plain Sturm bisection of lp.py, within the requested width; repeated and rational roots included."""
    from implicitreg.proofs.checker import lp
    from implicitreg.proofs.checker.balanced import _largest_root

    a, b, c, e = (Fraction(v) for v in entries)
    M = [[a, b, Fraction(0)], [b, c, e], [Fraction(0), e, a + c]]  # symmetric: real roots
    poly = lp.charpoly(M)
    for _ in range(repeat):  # (t - r)^k factors: repeated roots, the largest one possibly among them
        poly = [x - Fraction(repeat) * y for x, y in zip(poly + [Fraction(0)], [Fraction(0)] + poly)]
    width = Fraction(1, 10 ** digits)
    lo_, hi_ = _largest_root(poly, width)
    ref_lo, ref_hi = lp.largest_root_interval(poly, width)
    assert hi_ - lo_ <= width and lo_ <= ref_hi and ref_lo <= hi_  # both hold the largest root
    assert lp.count_roots_above(poly, hi_) == 0 and (lo_ == hi_ or lp.count_roots_above(poly, lo_) >= 1)
    if lo_ == hi_:
        assert lp.polyval(poly, lo_) == 0


def test_exact_and_enclosure_forms_agree_off_the_equality_family():
    """||w*|| = 8 (so 8^(1/3) = 2 is rational) but w* not an eigenvector of Sigma: the exact form (generic M from the
    stated rational matrices, verdict on the ratio) and the enclosure form (the checker's own skeleton, verdict on
    lo(S) - hi(S_LB)) certify the same ratio S / S_LB > 1, and neither claims equality."""
    X = [[1, 2], [3, -1], [0, 2]]
    w = [Fraction(24, 5), Fraction(32, 5)]
    y = [str(sum(Fraction(a) * b for a, b in zip(r, w))) for r in X]
    exact = certify.deep_linear_certificate(X, y, 3)
    enclosed = certify.deep_linear_certificate(X, y, 3, form="enclosure")
    assert "minimizer" in exact and "balanced_minimizer" in enclosed
    assert "equality" not in exact and "equality" not in enclosed
    assert exact["ratio"] == enclosed["ratio"] and Fraction(exact["ratio"]["lo"]) > 1
    assert check_certificate(exact)[-1].endswith("(bound holds)")
    assert check_certificate(enclosed)[-1].endswith("(bound holds: lo(S) - hi(S_LB) > 0)")
    assert S.truth(exact) is True and S.truth(enclosed) is True
