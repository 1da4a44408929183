"""Every suite of ``implicitreg verify`` runs in its default (fast) mode: its rows, their theorems, all PASS, finite.

Pinning the rows per theorem catches a suite that silently stops producing a row (a loop skipped, an instance
dropped, an exception swallowed): a verify run with fewer rows would still print "0 failed". The same run is
compared with the rows pinned before the issue-19 refactor (tests/pintools.py), so each suite runs once.
"""
from __future__ import annotations

import json
import math

import pytest

from implicitreg import api
from implicitreg.proofs import verify
from implicitreg.theory import selection
from implicitreg.theory.statement import THEOREMS
from pintools import check_verify_rows

EXPECTED = {
    "basis_pursuit": {"BP-maximal-support": 10, "rho-duality": 11, "rho-unique": 11, "rho-NSP": 7},
    "deep_linear": {
        "MC-LB": 12, "MC-LB [closed form = full Hessian = Lanczos]": 12, "MC-Smin [attained]": 12,
        "MC-Smin [S_LB<=S_closed<=S_min<=S_bal<=S]": 12, "MC-Sbal [<= 2|w*|^(2-2/L)(Lambda+(L-1)a)]": 12,
        "MC-Smin [equality iff L mu >= others]": 3, "MC-LB [mutants caught]": 2, "MC-LB [homogeneity y -> 3y]": 2,
        "MC proof steps (SymPy)": 1, "MC-LB/Smin [test direction, M domination]": 1,
        "DLN-imbalance [GF, mpmath 30 digits]": 1, "DLN-imbalance [GD drifts O(eta)]": 1,
        "MC-SI [S <= 8 L Lambda |w*|^(2-2/L)]": 1, "MC-SI [rank-one / top-sv bounds]": 1,
        "MC-SI [S/S_bal -> 1 as s -> 0]": 1, "MC-RI [converges, S >= S_LB]": 2,
        "MC-EoS [GD eta > 2/S_LB does not converge]": 1},
    "diagonal": {
        "MS-D2 upper_l1": 6, "MS-D2 upper_offsupport_spec": 6, "MS-D2 lower_inf": 6, "MS-D2 upper_l1_apriori": 6,
        "MS-D2 lemmas (ms_d2.py steps 3-5, 9; error identity)": 6, "MS-D2 rate": 6, "MS-D3 limit": 9,
        "MS-D3 upper_l1": 9, "MS-D3 lower_inf": 9, "MS-D3 lemma (ms_d3.py step 3)": 9,
        "MS-D3 spec M0 (conjecture)": 9, "MS-D3 rate": 9, "Depth comparison": 9, "Tightness (SymPy)": 2,
        "Tightness (numerics)": 4, "DLN-limit": 6},
    "selection": {"WAH-D": 20, "WAH-A2": 1, "WAH-A": 1, "WAH-E": 19, "WAH-LemmaB2": 2, "WAH-LemmaB": 5, "WAH-C": 2,
                  "WAH-kink-constant": 1, "WAH-kink-p2": 2, "WAH-kink-transition": 8, "WAH-kink-continuity": 1},
}
PROVENANCE_KINDS = {"paper", "derived", "standard", "reconstructed", "conjecture"}


_REPORTS: dict = {}


def suite_report(name):
    """``implicitreg verify --only NAME``'s report (default mode), run once per test session and only when a test
    asks for it."""
    if name not in _REPORTS:
        _REPORTS[name] = api.verify(name)
    return _REPORTS[name]


def suite_rows(name):
    return suite_report(name).verdicts


def test_every_suite_is_listed():
    assert {s.rsplit(".", 1)[-1] for s in verify.SUITES} == set(EXPECTED)


@pytest.mark.parametrize("suite", sorted(EXPECTED))
def test_suite_rows_pass(suite):
    verdicts = suite_rows(suite)
    counts = {}
    for v in verdicts:
        counts[v.theorem] = counts.get(v.theorem, 0) + 1
    assert counts == EXPECTED[suite]
    failed = [(v.theorem, v.instance, v.note) for v in verdicts if not v.passed]
    assert not failed
    for v in verdicts:
        assert v.passed is True and v.provenance in PROVENANCE_KINDS and v.instance
        for text in (v.observed, v.bound, v.margin, v.slope, v.slope_predicted):
            assert "nan" not in str(text).lower(), (v.theorem, text)
            try:
                value = float(text)
            except ValueError:
                continue
            assert math.isfinite(value), (v.theorem, v.instance, text)


def test_suite_table_and_exit_status():
    """The table of the real rows: one PASS per row, no FAIL, and the count line."""
    verdicts = [v for suite in sorted(EXPECTED) for v in suite_rows(suite)]
    table = verify.format_table(verdicts)
    assert table.count(" PASS") == len(verdicts) and "FAIL" not in table
    assert f"{len(verdicts)} passed, 0 failed" in table


@pytest.mark.parametrize("suite", ["basis_pursuit", "selection", "diagonal"])
def test_rows_unchanged_since_the_pin(suite):
    """The rows ``verify --json`` prints (the report's JSON, as the CLI writes it) have the verdicts, margins and
    slopes pinned before the refactor (deep_linear's rows: tests/test_pinned_outputs.py, thorough)."""
    check_verify_rows(json.loads(json.dumps(suite_report(suite).to_json())), suite)


def test_selection_suite_covers_every_checkable_statement():
    """Every WAH statement with a bound has a row (WAH-sharp is a statement without a checkable bound), each row
    carries its statement's provenance, and Thm E's rate is fitted on line, plane, random and face2 at p = 2, 3, 4."""
    rows = suite_rows("selection")
    assert {th.name for th in selection.THEOREMS if th.bounds} <= {r.theorem for r in rows}
    assert all(r.provenance == THEOREMS[r.theorem].provenance.kind for r in rows)
    e_rows = {(r.instance, r.depth) for r in rows if r.theorem == "WAH-E" and r.slope}
    assert {("line", "2"), ("plane", "2"), ("random", "2"), ("face2", "2"), ("random", "3"), ("face2", "4")} <= e_rows
