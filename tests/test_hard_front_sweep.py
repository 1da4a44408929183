"""Hardening: the sweep's digit counts and verdict decisions (implicitreg/experiments/sweep_tasks.py), each alone.

docs/sweeps.md: ``observed`` carries ``observed_digits`` certified digits (never more than asked: ``digits``),
``undecided`` when observed and bound agree to every certified digit, ``consistent`` when |slope - predicted| <= 0.02.
"""
from __future__ import annotations

import json

import mpmath
import pytest
from mpmath import mpf

from implicitreg.experiments import sweep_tasks as st

BASE = {"spec": "hard", "family": "random", "label": "t", "seed": None, "instance": {"A": [["1", "1/2"]], "y": ["1"]},
        "depth": "2", "alpha_convention": "product", "certificate": False}


def test_digits_of_an_accuracy_claims_only_the_digits_every_point_of_the_interval_shares():
    # [1 - 1e-10, 1 + 1e-10]: 0.9999999999 and 1.000000000 differ at 10 significant digits and agree at 9
    with mpmath.workdps(40):
        assert st._digits_of(mpf(1), mpf(10) ** -10) == 9
        assert st._digits_of(mpf(-5), mpf(10) ** -10) == 9     # |value|/acc = 5e10: floor(log10) = 10, minus 1
        assert st._digits_of(mpf("0.5"), mpf(10) ** -3) == 1
        assert st._digits_of(mpf(1), mpf("0.5")) == 0           # never negative
        assert st._digits_of(0, mpf(10) ** -10) == 0            # a zero has no significant digits
        assert st._digits_of(mpf(1), 0) == 1000                 # exact


@pytest.mark.parametrize("d", [5, 10, 30])
def test_undecided_band_is_one_unit_of_the_last_certified_digit(d):
    """observed = b (1 + 5 10^-d) rounds to the same d - 1 digits as b: with d certified digits of a value whose
    last digit may be off by its rounding, the sides are not decided; a gap of 2 units of the (d-1)-th digit is."""
    with mpmath.workdps(d + 20):
        b = mpf(7)
        for k in (5, 9):
            for side in ("upper", "lower"):
                assert st._decide(side, b * (1 + k * mpf(10) ** -d), b, d)[0] == "undecided"
                assert st._decide(side, b * (1 - k * mpf(10) ** -d), b, d)[0] == "undecided"
        far = 2 * mpf(10) ** -(d - 1)
        assert st._decide("upper", b * (1 + far), b, d)[0] == "violated"
        assert st._decide("upper", b * (1 - far), b, d)[0] == "holds"
        assert st._decide("lower", b * (1 + far), b, d)[0] == "holds"
        assert st._decide("lower", b * (1 - far), b, d)[0] == "violated"


def test_lower_bound_trivial_only_at_or_below_zero():
    with mpmath.workdps(30):
        v, r = st._decide("lower", mpf("1e-5"), mpf("1e-4"), 20)
        assert v == "violated"
        v, r = st._decide("lower", mpf(0), mpf(0), 20)
        assert v == "holds" and "trivial" in r
        assert st._decide("lower", mpf("1e-5"), mpf("1e-30"), 20)[0] == "holds"


def test_bound_row_never_claims_more_digits_than_asked():
    content = dict(BASE, statement="MS-D2:upper_l1", digits=6, alpha="1e-8")
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "holds", row
    assert 1 <= row["observed_digits"] <= 6
    mant = row["observed"].lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    assert len(mant) == row["observed_digits"]
    # the error of the limit is positive and below the bound
    assert 0 < float(row["observed"]) < float(row["bound"])
    assert row["ratio_f"] == pytest.approx(row["observed_f"] / row["bound_f"], rel=1e-6)


def test_kink_row_never_claims_more_digits_than_asked():
    content = dict(BASE, family="kink", statement="kink_error", alpha_convention="factor", digits=6,
                   alpha="1e-3", instance={"A": [["1", "1/2"]], "y": ["1"], "eps": "1/2"})
    err, d, _ = st._kink_error(content)
    assert 1 <= d <= 6
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "measured" and row["observed_digits"] <= 6


def test_fitted_rate_tolerance_is_two_sided(monkeypatch):
    """A slope 0.5 below the prediction is as inconsistent as one 0.5 above (|slope - predicted| <= 0.02)."""
    content = dict(BASE, statement="fitted_rate", digits=8, alphas=["1e-4", "1e-6", "1e-8"])
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "consistent", row
    predicted = mpf(row["bound"])
    assert predicted == mpf(1) / 2        # MS-D2 at D = 2: 1 - rho, rho = 1/2 on A = [1, 1/2]
    for shift, verdict in (("-0.5", "inconsistent"), ("0.5", "inconsistent"), ("-0.019", "consistent"),
                           ("0.019", "consistent"), ("0.021", "inconsistent"), ("-0.021", "inconsistent")):
        monkeypatch.setattr(st, "_slope", lambda xs, ys, s=shift: predicted + mpf(s))
        assert st.evaluate_task(content, "k")["verdict"] == verdict, shift


def test_fit_needs_every_point_resolved(monkeypatch):
    """One point with fewer than MIN_FIT_DIGITS certified digits makes the fit undecided, even when the others
    are fine (the minimum over the points decides, not the best point)."""
    content = dict(BASE, statement="fitted_rate", digits=8, alphas=["1e-4", "1e-6", "1e-8"])
    real = st._Diagonal.observe
    calls = []

    def observe(self, what):
        value, d = real(self, what)
        calls.append(d)
        return value, (2 if len(calls) == 2 else d)

    monkeypatch.setattr(st._Diagonal, "observe", observe)
    row = st.evaluate_task(content, "k")
    assert row["verdict"] == "undecided", row
    assert json.loads(row["extra"])["observed_digits"][1] == 2


def test_rate_statements_need_three_alphas():
    assert st.check_statement("MS-D2:rate", "random", [2], 3) is None
    assert "3 alphas" in st.check_statement("MS-D2:rate", "random", [2], 2)
    assert st.check_statement("fitted_rate", "random", [2], 3) is None
    assert "3 alphas" in st.check_statement("fitted_rate", "random", [2], 2)


def test_only_error_rows_count_as_failed(tmp_path, monkeypatch):
    """A violated, undecided or inconsistent row is a result, not a failure: only verdict 'error' is counted in
    tasks_failed, kept as failed and retried (docs/sweeps.md)."""
    from implicitreg.experiments import sweep as sweep_mod
    from implicitreg.experiments.sweep_store import failed_keys, read_dataset

    spec = {"name": "hard-failed", "digits": 5, "alpha_convention": "factor", "alphas": ["0.1"], "depths": [3],
            "family": {"kind": "kink", "eps": ["0.1", "0.2", "0.3", "0.4", "0.5"]}, "statements": ["kink_error"]}
    verdicts = {"0.1": "holds", "0.2": "violated", "0.3": "undecided", "0.4": "inconsistent", "0.5": "error"}

    def fake(content, key):
        row = st.blank_row(content, key)
        row.update(verdict=verdicts[content["instance"]["eps"]], seconds=0.0, worker="w")
        return row

    monkeypatch.setattr(sweep_mod, "evaluate_task", fake)
    report = sweep_mod.run_sweep(spec, tmp_path, serial=True, progress=False)
    assert (report.total, report.done, report.failed) == (5, 5, 1)
    table = read_dataset(tmp_path)
    by_eps = dict(zip(table.column("eps").to_pylist(), table.column("verdict").to_pylist()))
    assert by_eps == verdicts
    error_key = [k for k, v in zip(table.column("task_key").to_pylist(), table.column("verdict").to_pylist())
                 if v == "error"]
    assert failed_keys(tmp_path) == set(error_key)
    again = sweep_mod.run_sweep(spec, tmp_path, serial=True, progress=False)
    assert (again.skipped, again.done, again.failed, again.failed_kept) == (5, 0, 0, 1)
    retry = sweep_mod.run_sweep(spec, tmp_path, serial=True, progress=False, retry_failed=True)
    assert (retry.retried, retry.done, retry.failed, retry.skipped) == (1, 1, 1, 4)


def test_worst_ratio_figure_marks_the_worst_row_of_each_side():
    """An upper bound's worst row has the largest observed / bound, a lower bound's the smallest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from implicitreg.experiments.sweep_figures import _worst_ratio

    def row(stmt, side, ratio, inst, verdict="holds"):
        return {"statement": stmt, "side": side, "depth": "2", "ratio_f": ratio, "ratio": repr(ratio),
                "instance": inst, "verdict": verdict}

    rows = [row("U", "upper", 0.5, "u-mid"), row("U", "upper", 0.9, "u-worst"), row("U", "upper", 0.01, "u-best"),
            row("L", "lower", 3.0, "l-mid"), row("L", "lower", 1.5, "l-worst"), row("L", "lower", 40.0, "l-best"),
            row("L", "lower", 2.0, "l-undecided", "undecided"),
            row("M", "limit", 0.7, "m"), row("U", "upper", None, "none", "error")]
    fig = _worst_ratio(rows, plt)
    try:
        titles = {ax.get_title().split(" (D")[0]: ax for ax in fig.axes}
        assert set(titles) == {"L", "U"}           # limits and rows without a ratio are not drawn
        labels = {k: [t.get_text() for t in ax.get_legend().get_texts()] for k, ax in titles.items()}
        assert any("(u-worst)" in s for s in labels["U"]), labels
        assert any("(l-worst)" in s for s in labels["L"]), labels
        assert "3 rows; holds: 3" in titles["U"].get_title()
        assert "4 rows; holds: 3, undecided: 1" in titles["L"].get_title()
    finally:
        plt.close(fig)


def test_observed_digits_follow_the_documented_accuracy_of_each_entry():
    """docs/sweeps.md: an entry certified to d significant digits contributes the absolute error
    max(|x_i|, floor) 10^-d. x = (1 + 1e-8, 1e-20), x* = (1, 0), d = 12, floor = 1e-30: the first entry is known to
    ~1e-12, the second to ~1e-32. A norm of x - x* (or the objective gap) involving the first entry is known to
    ~1e-12 (2 to 4 digits of 1e-8); the off-support entry alone to 1e-32 (11 or 12 digits of 1e-20)."""
    from types import SimpleNamespace

    content = dict(BASE, statement="MS-D2:upper_l1", digits=30, alpha="1e-8")
    ctx = st._Diagonal(content, st._frac("1e-8"))
    ctx._sc = SimpleNamespace(x_star=[1, 0], complement=[1])
    ctx._bp = SimpleNamespace(l1_norm=1)
    with mpmath.workdps(60):
        lim = SimpleNamespace(x=[1 + mpf(10) ** -8, mpf(10) ** -20], floor=mpf(10) ** -30, digits_certified=12,
                              dps=60, alpha_product=mpf(10) ** -8)
        for what in ("err_inf", "err_l1", "objective_gap"):
            v, d = ctx._observe(what, lim)
            assert abs(v - mpf(10) ** -8) <= mpf(10) ** -19, what
            assert 2 <= d <= 4, (what, d)
        v, d = ctx._observe("off_support", lim)
        assert v == mpf(10) ** -20 and 11 <= d <= 12
        v, d = ctx._observe("err_l1_over_alpha", lim)
        assert abs(v - 1) <= mpf(10) ** -11 and 2 <= d <= 4


def test_a_decided_verdict_states_no_triviality():
    with mpmath.workdps(40):
        assert st._decide("lower", mpf(1), mpf("1e-30"), 20) == ("holds", "")
        assert st._decide("upper", mpf("1e-30"), mpf(1), 20) == ("holds", "")
        assert st._decide("lower", mpf(-1), mpf("1e-30"), 20)[0] == "violated"
