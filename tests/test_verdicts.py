"""Every verdict path can fail: known violations fed to the verdict functions must give FAIL.

``implicitreg verify`` is only worth something if a violated bound, a slope outside its tolerance, a widened slack
or an empty run cannot print PASS. These tests feed hand-made observations (exact powers of alpha, a bound exceeded
by a relative 1e-20, a lower bound undercut) to the functions that decide the rows, and check the exit status and
the table of :mod:`implicitreg.proofs.verify` on verdicts built by hand.
"""
from __future__ import annotations

import io
import json
import sys
import types
from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.precision import mpf_from
from implicitreg.proofs import verify
from implicitreg.proofs.checks import Verdict, compare, fmt, local_slopes, loglog_slope
from implicitreg.proofs.suites import diagonal as dsuite
from implicitreg.theory.statement import Bound, Provenance, Theorem, alpha

PAPER = Provenance("paper", "a source")
UPPER = Bound("upper_test", "upper", "err", 3 * alpha, PAPER)
LOWER = Bound("lower_test", "lower", "err", alpha / 2, PAPER)
THEOREM = Theorem("T-test", "test", "err <= 3 alpha and err >= alpha/2", PAPER, bounds=(UPPER, LOWER))
ALPHAS = ["1e-4", "1e-8", "1e-12", "1e-16"]


def _verdict(name, passed, note=""):
    return Verdict(theorem=name, provenance="paper", instance="inst", depth="2", alpha_range="-", observed="1",
                   bound="2", margin="0.5", passed=passed, note=note)


def _mp(text):
    with mpmath.workdps(60):
        return mpf_from(Fraction(text))


def _times(values, factor):
    with mpmath.workdps(60):
        return [v * factor for v in values]


# ---------------------------------------------------------------- Bound.holds and compare: exact sides, no slack

@pytest.mark.parametrize("rel, upper_ok, lower_ok", [(0, True, True), (mpmath.mpf("1e-20"), False, True),
                                                     (mpmath.mpf("-1e-20"), True, False)])
def test_bound_holds_has_no_tolerance(rel, upper_ok, lower_ok):
    """At 30 digits an observation 1e-20 (relative) beyond the bound is a violation on either side."""
    a = Fraction(1, 10 ** 6)
    with mpmath.workdps(40):
        at_upper = 3 * _mp("1e-6") * (1 + rel)
        at_lower = _mp("1e-6") / 2 * (1 + rel)
    assert UPPER.holds(at_upper, 30, alpha=a) is upper_ok
    assert LOWER.holds(at_lower, 30, alpha=a) is lower_ok


def test_bound_holds_refuses_non_inequalities():
    limit = Bound("lim", "limit", "ratio", alpha, PAPER)
    with pytest.raises(InvalidParameterError, match="limit statement"):
        limit.holds(1, alpha=1)


def test_compare_margin_is_observed_over_bound_on_both_sides():
    ok, b, margin = compare(UPPER, Fraction(3, 10 ** 4), alpha=Fraction(1, 10 ** 4))
    assert ok and abs(b - _mp("3e-4")) < 1e-35 and abs(margin - 1) < 1e-25
    ok, b, margin = compare(LOWER, Fraction(1, 10 ** 4), alpha=Fraction(1, 10 ** 4))
    assert ok and abs(margin - 2) < 1e-25
    ok, _, margin = compare(LOWER, Fraction(1, 10 ** 5), alpha=Fraction(1, 10 ** 4))
    assert not ok and abs(margin - mpmath.mpf("0.2")) < 1e-14
    ok, _, margin = compare(UPPER, Fraction(4, 10 ** 4), alpha=Fraction(1, 10 ** 4))
    assert not ok and abs(margin - mpmath.mpf(4) / 3) < 1e-14
    zero = Bound("zero", "upper", "err", 0 * alpha, PAPER)
    assert compare(zero, 1, alpha=1)[2] == mpmath.inf


def test_slopes_recover_hand_made_powers():
    xs = [_mp(a) for a in ALPHAS]
    ys = [7 * x ** mpmath.mpf("0.37") for x in xs]
    assert abs(loglog_slope(xs, ys) - mpmath.mpf("0.37")) < 1e-12
    # a curved log-log profile: least squares, not the end points: y = x^2 on the first, x on the second half
    bent = [Fraction(1, 10), Fraction(1, 100), Fraction(1, 1000)]
    ys = [Fraction(1, 100), Fraction(1, 10000), Fraction(1, 100000)]
    assert abs(loglog_slope(bent, ys) - mpmath.mpf("1.5")) < 1e-12
    assert [float(s) for s in local_slopes(bent, ys)] == pytest.approx([2.0, 1.0], abs=1e-12)
    with pytest.raises(ValueError):
        loglog_slope([1], [1])
    with pytest.raises(ValueError):
        loglog_slope([1, 2, 3], [1, 2])


def test_fmt_prints_the_requested_digits():
    assert fmt(None) == "" and fmt("x") == "x"
    assert fmt(Fraction(1, 3), 4) == "0.3333" and fmt(mpmath.mpf(2) / 3) == "0.666667"


# ---------------------------------------------------------------- diagonal suite: bound rows and slope rows

def _bound_values(alphas):
    return [{"alpha": Fraction(a)} for a in alphas]


def test_bound_row_passes_inside_and_at_the_bound():
    alphas = [_mp(a) for a in ALPHAS]
    inside = _times(alphas, 1)                               # err = alpha <= 3 alpha, >= alpha / 2
    row = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, inside, _bound_values(ALPHAS))
    assert row.passed and row.theorem == "T-test upper_test" and mpmath.mpf(row.margin) == pytest.approx(1 / 3)
    row = dsuite._bound_row(THEOREM, LOWER, "inst", 2, ALPHAS, inside, _bound_values(ALPHAS))
    assert row.passed and mpmath.mpf(row.margin) == pytest.approx(2)
    attained = _times(alphas, 3)                              # the upper bound attained exactly
    row = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, attained, _bound_values(ALPHAS))
    assert row.passed and "attained" in row.note


@pytest.mark.parametrize("k", range(len(ALPHAS)))
def test_bound_row_fails_on_one_upper_violation(k):
    """One alpha of the grid above the bound by a relative 1e-20 (far beyond the 30 certified digits) fails."""
    obs = _times([_mp(a) for a in ALPHAS], 1)
    with mpmath.workdps(60):
        obs[k] = 3 * _mp(ALPHAS[k]) * (1 + mpmath.mpf("1e-20"))
    row = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
    assert not row.passed and "attained" not in row.note


@pytest.mark.parametrize("k", range(len(ALPHAS)))
def test_bound_row_fails_on_one_lower_violation(k):
    obs = _times([_mp(a) for a in ALPHAS], 1)
    with mpmath.workdps(60):
        obs[k] = _mp(ALPHAS[k]) / 2 * (1 - mpmath.mpf("1e-20"))
    row = dsuite._bound_row(THEOREM, LOWER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
    assert not row.passed


def test_bound_row_slack_is_the_certified_digits_only():
    """Within 1e-25 (relative) counts as attained; 1e-22 beyond does not (the slack is not widened)."""
    with mpmath.workdps(60):
        obs = [3 * _mp(a) * (1 + mpmath.mpf("1e-26")) for a in ALPHAS]
        row = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
        assert row.passed and f"at {len(ALPHAS)} alpha(s)" in row.note
        obs = [3 * _mp(a) * (1 + mpmath.mpf("1e-22")) for a in ALPHAS]
        row = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
        assert not row.passed
        obs = [_mp(a) / 2 * (1 - mpmath.mpf("1e-22")) for a in ALPHAS]
        assert not dsuite._bound_row(THEOREM, LOWER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS)).passed


def test_bound_row_reports_the_worst_margin():
    with mpmath.workdps(60):
        obs = [_mp(a) * f for a, f in zip(ALPHAS, (1, 2, mpmath.mpf("0.5"), mpmath.mpf("1.5")))]
    up = dsuite._bound_row(THEOREM, UPPER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
    lo = dsuite._bound_row(THEOREM, LOWER, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
    assert mpmath.mpf(up.margin) == pytest.approx(2 / 3) and mpmath.mpf(lo.margin) == pytest.approx(1)


def test_bound_row_without_an_informative_alpha_fails():
    """A lower bound that is <= 0 everywhere says nothing: the row must not pass."""
    vacuous = Bound("vacuous", "lower", "err", alpha - 1, PAPER)
    obs = [_mp(a) for a in ALPHAS]
    row = dsuite._bound_row(THEOREM, vacuous, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS))
    assert not row.passed and "informative" in row.note
    # one informative alpha is enough to decide, and a violation there fails
    mixed = Bound("mixed", "lower", "err", alpha - Fraction(1, 10 ** 10), PAPER)
    obs = [_mp(a) for a in ALPHAS]
    assert dsuite._bound_row(THEOREM, mixed, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS)).passed
    obs[0] = _mp("1e-4") / 2
    assert not dsuite._bound_row(THEOREM, mixed, "inst", 2, ALPHAS, obs, _bound_values(ALPHAS)).passed


def _power_errors(alphas, exponent):
    with mpmath.workdps(60):
        return [5 * _mp(a) ** mpmath.mpf(exponent) for a in alphas]


def test_slope_row_passes_on_the_predicted_exponent():
    row = dsuite._slope_row("R", "paper", "inst", 2, ALPHAS, _power_errors(ALPHAS, "0.75"), Fraction(3, 4))
    assert row.passed and abs(mpmath.mpf(row.slope) - mpmath.mpf("0.75")) < 1e-4 and "True" in row.note
    # within the tolerance
    assert dsuite._slope_row("R", "paper", "inst", 2, ALPHAS, _power_errors(ALPHAS, "0.765"), Fraction(3, 4)).passed


@pytest.mark.parametrize("exponent", ["0.72", "0.78", "0.8", "0.85", "0.65", "0.5", "1"])
def test_slope_row_fails_outside_the_tolerance(exponent):
    """Slopes off by more than SLOPE_TOL = 0.02 fail, whether or not the +-0.1 mutant is rejected."""
    row = dsuite._slope_row("R", "paper", "inst", 2, ALPHAS, _power_errors(ALPHAS, exponent), Fraction(3, 4))
    assert not row.passed


def test_slope_row_fits_only_the_smallest_alphas():
    """The fit uses the tail (max(3, n // 2) smallest alphas): a pre-asymptotic first point does not count."""
    alphas = ["1e-2"] + ALPHAS
    errs = _power_errors(alphas, "0.75")
    errs[0] = mpmath.mpf(1)
    row = dsuite._slope_row("R", "paper", "inst", 2, alphas, errs, Fraction(3, 4))
    assert row.passed and row.alpha_range == "1e-8..1e-16"
    errs = _power_errors(alphas, "0.75")
    errs[-1] = errs[-1] * 1000
    assert not dsuite._slope_row("R", "paper", "inst", 2, alphas, errs, Fraction(3, 4)).passed


# ---------------------------------------------------------------- verify: the table and the exit status

def test_table_prints_each_rows_own_result():
    rows = [_verdict("A", True), _verdict("B", False, note="why"), _verdict("C", True)]
    table = verify.format_table(rows, wide=True)
    lines = table.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("theorem")):]  # after the summary
    body = {line.split()[0]: line.split()[-1] for line in lines[2:5]}
    assert body == {"A": "PASS", "B": "FAIL", "C": "PASS"}
    assert "2 passed, 1 failed" in table and "- B on inst: why" in table
    assert lines[0].split()[-1] == "result" and set(lines[1].replace(" ", "")) == {"-"}


@pytest.mark.parametrize("as_json", [False, True])
def test_main_exits_1_and_prints_fail_when_one_row_fails(monkeypatch, as_json):
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [_verdict("A", True), _verdict("B", False)])
    out = io.StringIO()
    assert verify.main(as_json=as_json, out=out) == 1
    if as_json:
        payload = json.loads(out.getvalue())
        assert payload["passed"] is False and [v["passed"] for v in payload["verdicts"]] == [True, False]
    else:
        assert "FAIL" in out.getvalue() and "1 passed, 1 failed" in out.getvalue()


@pytest.mark.parametrize("as_json", [False, True])
def test_main_exits_0_only_when_every_row_passes(monkeypatch, as_json):
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [_verdict("A", True), _verdict("B", True)])
    out = io.StringIO()
    assert verify.main(as_json=as_json, out=out) == 0
    assert "FAIL" not in out.getvalue()
    if as_json:
        assert json.loads(out.getvalue())["passed"] is True


def test_main_exits_nonzero_when_nothing_ran(monkeypatch):
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [])
    assert verify.main(out=io.StringIO()) != 0
    assert verify.main(as_json=True, out=io.StringIO()) != 0


def test_main_passes_its_options_to_the_suites(monkeypatch):
    seen = {}

    def fake(**kw):
        seen.update(kw)
        return [_verdict("A", True)]

    monkeypatch.setattr(verify, "run_verify", fake)
    verify.main(thorough=True, only="diag", out=io.StringIO())
    assert seen == {"thorough": True, "only": "diag"}


def test_run_verify_runs_the_selected_suites_in_thorough_mode(monkeypatch):
    calls = []
    for name in ("fake_alpha", "fake_beta"):
        module = types.ModuleType(name)
        module.run = lambda thorough, _n=name: calls.append((_n, thorough)) or [_verdict(_n, True)]
        monkeypatch.setitem(sys.modules, name, module)
    rows = verify.run_verify(thorough=True, suites=("fake_alpha", "fake_beta"))
    assert [r.theorem for r in rows] == ["fake_alpha", "fake_beta"] and calls == [("fake_alpha", True),
                                                                                 ("fake_beta", True)]
    calls.clear()
    assert [r.theorem for r in verify.run_verify(suites=("fake_alpha", "fake_beta"), only="beta")] == ["fake_beta"]
    assert calls == [("fake_beta", False)]
    assert verify.run_verify(suites=("fake_alpha",), only="gamma") == []


def test_cli_verify_returns_the_exit_status(monkeypatch):
    from implicitreg.cli import main as cli_main

    out = io.StringIO()
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [_verdict("A", False)])
    monkeypatch.setattr(verify, "main", lambda _main=verify.main, **kw: _main(**kw, out=out))
    assert cli_main(["verify"]) == 1 and "FAIL" in out.getvalue()
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [])
    assert cli_main(["verify"]) == 1


# ---------------------------------------------------------------- details the verdicts depend on

def test_two_points_are_enough_for_a_slope():
    assert abs(loglog_slope([1, 10], [1, 100]) - 2) < 1e-20
    assert [float(s) for s in local_slopes([1, 10], [3, 30])] == [1.0]
    with pytest.raises(ValueError, match="^need at least two points of equal count to fit a slope$"):
        loglog_slope([1], [1])


def test_compare_decides_at_the_requested_precision():
    """1e-45 (relative) above the bound: a violation at 60 digits (which the default 30 cannot see)."""
    with mpmath.workdps(80):
        b = 3 * _mp("1e-6")
        above = b * (1 + mpmath.mpf(10) ** -45)
    ok, value, margin = compare(UPPER, above, 60, alpha=Fraction(1, 10 ** 6))
    assert not ok
    with mpmath.workdps(80):
        assert abs(value - b) < mpmath.mpf(10) ** -64 and mpmath.mpf(10) ** -46 < margin - 1 < mpmath.mpf(10) ** -44
    assert compare(UPPER, above, alpha=Fraction(1, 10 ** 6))[0]


def test_table_layout():
    rows = [_verdict("Alpha-theorem", True, note="n1"), _verdict("B", False), _verdict("B", False)]
    for wide in (False, True):
        lines = verify.format_table(rows, wide=wide).split("\n")
        assert all(line == line.rstrip() for line in lines)
        assert lines[0] == "1 passed, 2 failed"
        h = next(i for i, line in enumerate(lines) if line.startswith("theorem "))
        assert set(lines[h + 1].replace(" ", "")) == {"-"}
        assert lines[h + 2].startswith("Alpha-theorem ") and lines[h + 3].startswith("B ")
        assert lines[h + 4].startswith("B ")
        assert lines[h + 3].index("inst") == lines[h + 2].index("inst") == lines[h].index("instance")
        assert "FAIL" not in lines[h + 2] and "FAIL" in lines[h + 3] and "FAIL" in lines[h + 4]
        if wide:
            assert lines[-3:] == ["", "notes:", "- Alpha-theorem on inst: n1"]


def test_main_defaults_print_the_fast_table_to_stdout(monkeypatch, capsys):
    seen = {}

    def fake(**kw):
        seen.update(kw)
        return [_verdict("A", True)]

    monkeypatch.setattr(verify, "run_verify", fake)
    assert verify.main() == 0
    out = capsys.readouterr().out
    assert seen["thorough"] is False and seen.get("only") is None
    assert out.startswith("1 passed, 0 failed\n") and "\ntheorem " in out and not out.startswith("{")


def test_main_json_and_certificates(monkeypatch, tmp_path):
    import implicitreg.proofs.certify as certify

    monkeypatch.setattr(verify, "run_verify", lambda **kw: [_verdict("A", True)])
    written = []

    def fake_write_all(directory):
        written.append(directory)
        return [tmp_path / "a.json", tmp_path / "b.json"]

    monkeypatch.setattr(certify, "write_all", fake_write_all)
    out = io.StringIO()
    assert verify.main(as_json=True, out=out, certify="DIR") == 0
    text = out.getvalue()
    assert text.startswith('{\n  "') and text.endswith("}\n")
    payload = json.loads(text)
    assert payload["certificates"] == [str(tmp_path / "a.json"), str(tmp_path / "b.json")] and written == ["DIR"]
    out = io.StringIO()
    assert verify.main(out=out, certify="DIR") == 0
    assert out.getvalue().endswith("\n\ncertificates (verify with `implicitreg check`):\n"
                                   f"- {tmp_path / 'a.json'}\n- {tmp_path / 'b.json'}\n")
    out = io.StringIO()
    verify.main(as_json=True, out=out)
    assert not json.loads(out.getvalue()).get("certificates")


def test_only_matches_the_suites_last_name(monkeypatch):
    """``--only alpha`` selects suites whose own name contains 'alpha', not their package path."""
    for name in ("pkg_alpha.sub_alpha.one", "pkg_alpha.sub_alpha.alpha_two"):
        module = types.ModuleType(name)
        module.run = lambda thorough, _n=name: [_verdict(_n, True)]
        monkeypatch.setitem(sys.modules, name, module)
    names = ("pkg_alpha.sub_alpha.one", "pkg_alpha.sub_alpha.alpha_two")
    assert [r.theorem for r in verify.run_verify(suites=names, only="alpha")] == ["pkg_alpha.sub_alpha.alpha_two"]
    assert [r.theorem for r in verify.run_verify(suites=names, only="one")] == ["pkg_alpha.sub_alpha.one"]


# ---------------------------------------------------------------- selection suite: the Thm E slope verdict

def _fake_selection_errors(exponent, constant=3):
    def fake(instance, depth, alphas, alpha_convention="product", bp=None, **kw):
        with mpmath.workdps(60):
            aps = [_mp(a) for a in alphas]
            errs = [constant * a ** mpmath.mpf(exponent) for a in aps]
        return types.SimpleNamespace(alpha_products=aps, errors=errs, selection=None)
    return fake


@pytest.mark.parametrize("depth, rho, s_complement, predicted", [(3, Fraction(1, 2), 2, Fraction(1)),
                                                                 (2, Fraction(1, 3), 2, Fraction(2, 3)),
                                                                 (2, Fraction(0), 0, Fraction(2))])
@pytest.mark.parametrize("offset, ok, rejects", [("0", True, True), ("0.015", True, True), ("-0.015", True, True),
                                                 ("0.05", False, True), ("-0.05", False, True),
                                                 ("0.1", False, False), ("0.11", False, False),
                                                 ("-0.1", False, True)])
def test_selection_slope_check(monkeypatch, depth, rho, s_complement, predicted, offset, ok, rejects):
    """slope_check on errors c (alpha^p)^(k + offset): within SLOPE_TOL passes; the exponent + 0.1 is rejected only
    when the fit is away from it."""
    import implicitreg.numerics.selection as numsel
    from implicitreg.proofs.suites import selection as ssuite

    exponent = mpmath.mpf(predicted.numerator) / predicted.denominator + mpmath.mpf(offset)
    monkeypatch.setattr(numsel, "selection_errors", _fake_selection_errors(exponent))
    N = 5
    bp = types.SimpleNamespace(support=tuple(range(N - s_complement)), rho=rho)
    inst = types.SimpleNamespace(N=N)
    alphas = ["1e-18", "1e-22", "1e-26", "1e-30"]
    slope, pred, res, used, passed, mutant_rejected = ssuite.slope_check(inst, depth, bp=bp, alphas=alphas)
    assert pred == predicted and used == alphas
    assert abs(slope - exponent) < 1e-12
    assert passed is ok and mutant_rejected is rejects
