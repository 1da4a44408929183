"""Sweep tasks (serial, no cluster): verdicts that can fail, mutants caught, hypotheses decided, errors recorded."""
from fractions import Fraction

import pytest
import sympy

from implicitreg.experiments.sweep_spec import expand, load_spec
from implicitreg.experiments.sweep_tasks import check_statement, evaluate_task, statement_names
from implicitreg.theory.statement import THEOREMS, Bound, Theorem, rho

# A = [1, 1/2], y = 1 (the kink at eps = 1/2 is the tightness row of MS-D2): x* = (1, 0), rho = 1/2, K2 = 1/2, n = 1
ROW = {"name": "row", "digits": 30, "alphas": ["1e-30"], "depths": [2],
       "family": {"kind": "kink", "eps": ["0.5"]}}


def run(statements, **over):
    spec = dict(ROW, statements=statements, **over)
    return [evaluate_task(t.content, t.key) for t in expand(load_spec(spec))]


def mutant(monkeypatch, theorem, bound):
    th = THEOREMS[theorem]
    name = f"{theorem}-mutant"
    monkeypatch.setitem(THEOREMS, name, Theorem(name, "mutant", "deliberately wrong", th.provenance,
                                                th.hypotheses, (bound,)))
    return f"{name}:{bound.name}"


def test_ms_d2_bounds_hold_on_the_tightness_row_and_the_upper_one_is_nearly_attained():
    up, lo = run(["MS-D2:upper_l1", "MS-D2:lower_inf"])
    assert up["verdict"] == "holds" and lo["verdict"] == "holds"
    assert 0.9 < up["ratio_f"] < 1          # ratio -> 1 as alpha -> 0 (theory/examples.py proves the limit)
    assert lo["ratio_f"] > 1 and up["observed_digits"] == 30
    assert up["rho"] == "0.5" and up["provenance"] == "derived" and up["alpha_convention"] == "product"


@pytest.mark.parametrize("which,scale,shift", [
    ("upper_l1", Fraction(1, 2), None),                # constant halved
    ("upper_l1", 1, Fraction(1, 10)),                  # exponent off by 0.1 (bound * alpha^0.1)
    ("lower_inf", 1, Fraction(-1, 10)),                # lower bound raised by alpha^-0.1
])
def test_deliberately_wrong_bounds_are_violated(monkeypatch, which, scale, shift):
    from implicitreg.theory.statement import alpha

    b = THEOREMS["MS-D2"].bound(which).mutated(scale=scale, power=(alpha, shift) if shift else None)
    name = mutant(monkeypatch, "MS-D2", b)
    (row,) = run([name])
    assert row["verdict"] == "violated", row


def test_wrong_rate_is_inconsistent_and_right_rate_consistent(monkeypatch):
    alphas = {"log10": [-40, -10], "count": 6}
    (ok,) = run(["fitted_rate"], alphas=alphas)
    assert ok["verdict"] == "consistent" and abs(ok["observed_f"] - 0.5) < 0.02
    wrong = Bound("rate", "rate", "log||x_inf - x*|| / log alpha", 1 - rho + sympy.Rational(1, 10),
                  THEOREMS["MS-D2"].bound("rate").provenance)
    (bad,) = run([mutant(monkeypatch, "MS-D2", wrong)], alphas=alphas)
    assert bad["verdict"] == "inconsistent" and abs(bad["observed_f"] - ok["observed_f"]) < 1e-12


def test_hypotheses_are_decided_with_reasons():
    # MS-D3 at D = 2 fails its depth hypothesis; a non-unique minimizer makes MS statements inapplicable
    (row,) = run([{"name": "MS-D3:upper_l1", "depths": [2]}])
    assert row["verdict"] == "inapplicable" and "D = 2 is not > 2" in row["reason"]
    tie = dict(ROW, family={"kind": "random", "entries": "integer", "m": 1, "N": 2, "sparsity": 1, "seeds": [0, 1]})
    spec = load_spec(dict(tie, statements=["MS-D2:upper_l1"]))
    task = expand(spec)[0]
    content = dict(task.content, instance={"A": [["1", "1"]], "y": ["1"]})  # x* on a segment
    row = evaluate_task(content, "k")
    assert row["verdict"] == "inapplicable" and row["reason"] == "x* not unique"


def test_kink_rows_measure_against_independent_formulas():
    spec = dict(ROW, alpha_convention="factor", alphas=["1e-6"], depths=[3],
                family={"kind": "kink", "eps": ["0.1"]})
    (k,) = run(["WAH-kink-constant:constant"], **{k: v for k, v in spec.items() if k != "name" and k in
                                                  ("alpha_convention", "alphas", "depths", "family")})
    assert k["verdict"] == "measured" and abs(k["ratio_f"] - 1) < 1e-3  # limit constant vs the dual root
    (e,) = run(["kink_error"], alpha_convention="factor", alphas=["1e-6"], depths=[3],
               family={"kind": "kink", "eps": ["1e-6"]})
    assert e["verdict"] == "measured" and e["observed_digits"] == 30 and 0.5 < e["ratio_f"] < 2


def test_the_statement_catalogue():
    names = statement_names()
    for n in ("MS-D2:upper_l1", "MS-D3:upper_l1", "MS-D3:limit", "fitted_rate", "kink_error", "WAH-C:objective_2"):
        assert n in names
    assert "MC-LB:S_LB" not in names and check_statement("MC-LB:S_LB", "random", [2], 1)


@pytest.mark.slow
def test_certificate_column_passes_the_independent_checker(tmp_path):
    import json

    from implicitreg import cli

    (row,) = run(["MS-D2:upper_l1"], alphas=["1e-10"], digits=20, certificates=True)
    assert row["verdict"] == "holds" and "none" not in json.loads(row["certificate"])
    path = tmp_path / "c.json"
    path.write_text(row["certificate"], encoding="utf-8")
    assert cli.main(["check", str(path)]) == 0


def test_decimal_strings_carry_every_certified_digit():
    import mpmath

    from implicitreg.experiments.sweep_tasks import _dec

    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
    with mpmath.workprec(53):  # the tasks' ambient precision
        assert _dec(third, 40) == "0." + "3" * 40
    (up,) = run(["MS-D2:upper_l1"])
    with mpmath.workdps(60):  # observed / bound agrees with the ratio column to its digits
        assert abs(mpmath.mpf(up["observed"]) / mpmath.mpf(up["bound"]) / mpmath.mpf(up["ratio"]) - 1) < 1e-27
