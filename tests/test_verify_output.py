"""`implicitreg verify` reads well: a per-theorem summary first, an 80-column default table with one defined margin,
--wide, --csv and --json with numbers, suite names in --help, an unknown suite rejected with exit 2."""
from __future__ import annotations

import csv
import io
import json

import mpmath
import pytest

from implicitreg.cli import main
from implicitreg.proofs import verify
from implicitreg.proofs.checks import Verdict
from implicitreg.schema import validate


def rows():
    long = "MS-D3 upper_l1 [a theorem name far longer than any column could hold, on purpose]"
    return [
        Verdict("MS-D2 upper_l1", "derived", "row[1,1/2]", "2", "1e-3..1e-30", mpmath.mpf("0.25"), mpmath.mpf(1),
                "0.25", True),
        Verdict("MS-D2 lower_inf", "derived", "row[1,1/2]", "2", "1e-3..1e-30", mpmath.mpf(3), mpmath.mpf(2), "1.5",
                True),
        Verdict(long, "paper", "an instance with a very long description " * 3, "2, 5/2, 3", "-", "slope 0.98",
                "1 +- 0.05", "-0.02", False, slope=mpmath.mpf("0.98"), slope_predicted=1, note="a note"),
        Verdict("BP-maximal-support", "standard", "line", "-", "-", "min 3", "vertex enumeration", "", True),
    ]


def test_default_table_fits_80_columns_with_summary_first():
    text = verify.format_table(rows())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "3 passed, 1 failed"
    assert lines[1].split()[:2] == ["ok", "MS-D2"] and lines[1].endswith("2 passed, 0 failed")
    assert any(line.split()[:2] == ["FAIL", "MS-D3"] for line in lines[1:4])
    header = next(i for i, line in enumerate(lines) if line.startswith("theorem"))
    assert lines[header].split() == ["theorem", "instance", "depth", "result", "obs/bound"]
    body = lines[header + 2: header + 6]
    # the one defined margin: observed / bound, else fitted / predicted slope, else "-"
    assert [line.split()[-1] for line in body] == ["0.25", "1.5", "0.98", "-"]
    assert [line.split()[-2] for line in body] == ["PASS", "PASS", "FAIL", "PASS"]


@pytest.mark.parametrize("width", [60, 80, 100])
def test_table_respects_the_width(width):
    assert max(len(line) for line in verify.format_table(rows(), width=width).splitlines()) <= width


def test_wide_table_keeps_every_column_and_the_notes():
    text = verify.format_table(rows(), wide=True)
    assert "provenance" in text and "alpha range" in text and "slope 0.98" in text and "a note" in text
    assert max(len(line) for line in text.splitlines()) > 80


def test_margin_value_is_one_definition():
    v = rows()
    assert v[0].margin_value == mpmath.mpf("0.25") and v[1].margin_value == mpmath.mpf("1.5")
    assert v[2].margin_value == mpmath.mpf("0.98") and v[3].margin_value is None
    # a flipped comparison would be visible: an upper bound exceeded shows a margin above 1
    exceeded = Verdict("X", "paper", "i", "2", "-", mpmath.mpf(2), mpmath.mpf(1), "", False)
    assert exceeded.margin_value > 1


def test_csv_and_json_carry_numbers_not_formatted_text():
    table = list(csv.DictReader(io.StringIO(verify.format_csv(rows()))))
    assert table[0]["observed"] == "0.25" and float(table[0]["bound"]) == 1 and table[0]["margin"] == "0.25"
    assert table[3]["observed"] == "" and table[3]["observed_text"] == "min 3" and table[3]["depth"] == ""
    out = io.StringIO()
    from implicitreg.api import VerifyReport

    obj = VerifyReport(rows(), ("x",)).to_json()
    validate(obj)
    assert obj["verdicts"][1]["margin"] == "1.5" and obj["verdicts"][3]["margin"] is None
    assert obj["summary"][0] == {"theorem": "MS-D2", "passed": 2, "failed": 0}
    assert out.getvalue() == ""


def test_cli_help_lists_suites_and_unknown_suite_is_exit_2(capsys):
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for name in verify.suite_names():
        assert name in help_text
    assert main(["verify", "--only", "kink"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown suite 'kink'" in err and "basis_pursuit" in err


def test_cli_verify_real_suite_fits_80_columns(capsys):
    """A real suite through the CLI (its --json is checked in test_cli_schema.py, --csv above)."""
    assert main(["verify", "--only", "basis_pursuit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80 and lines[0].endswith(" passed, 0 failed")
