"""The checker's wall-clock budget as an option: `--time-limit SECONDS` (standalone checker and `implicitreg check`)
and `implicitreg.check(..., time_limit=)`. The value is untrusted text: bounded, never evaluated; a refusal for time
is a failure, never an acceptance."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from implicitreg.api import check
from implicitreg.cli import main as cli_main
from implicitreg.errors import InvalidParameterError
from implicitreg.proofs.checker import check as check_module
from implicitreg.proofs.checker.check import main as checker_main, time_limit_value

REFERENCE = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates"
CERT = str(REFERENCE / "kink_eps_1_10_p2.json")


@pytest.mark.parametrize("text, seconds", [("300", 300.0), (" 2.5 ", 2.5), ("1e2", 100.0), ("0.01", 0.01),
                                           ("86400", 86400.0), (600, 600.0)])
def test_time_limit_values_accepted(text, seconds):
    assert time_limit_value(text) == seconds


@pytest.mark.parametrize("text", ["0", "-1", "0.0099", "1e-300", "86400.5", "1e6", "nan", "inf", "-inf", "", "abc",
                                  "10s", "True", "1" * 33, "__import__('os')"])
def test_time_limit_values_refused(text):
    with pytest.raises(ValueError, match="--time-limit must be"):
        time_limit_value(text)


def test_the_default_budget_is_25_seconds(monkeypatch):
    seen = []
    monkeypatch.setattr(check_module, "check_file", lambda path, **kw: seen.append(kw["time_limit"]) or _ok(path))
    assert checker_main([CERT], out=io.StringIO(), err=io.StringIO()) == 0
    assert seen == [25.0]


def _ok(path):
    report = check_module.CheckReport(str(path))
    report.verified = ["stub"]
    return report


@pytest.mark.parametrize("argv, limit", [(["--time-limit", "300", CERT], 300.0),
                                         ([CERT, "--time-limit", "0.5"], 0.5),
                                         (["--no-sympy", "--time-limit", "7", CERT, CERT], 7.0)])
def test_the_option_reaches_every_file(monkeypatch, argv, limit):
    seen = []
    monkeypatch.setattr(check_module, "check_file", lambda path, **kw: seen.append(kw["time_limit"]) or _ok(path))
    assert checker_main(argv, out=io.StringIO(), err=io.StringIO()) == 0
    assert seen == [limit] * argv.count(CERT)


@pytest.mark.parametrize("argv, message", [(["--time-limit"], "usage:"), ([CERT, "--time-limit"], "usage:"),
                                           (["--time-limit", "0", CERT], "error: --time-limit must be in"),
                                           (["--time-limit", "nan", CERT], "error: --time-limit must be in"),
                                           (["--time-limit", "ten", CERT], "error: --time-limit must be a number")])
def test_bad_options_exit_2_with_one_line(monkeypatch, argv, message):
    monkeypatch.setattr(check_module, "check_file", lambda *a, **k: pytest.fail("no file may be checked"))
    out, err = io.StringIO(), io.StringIO()
    assert checker_main(argv, out=out, err=err) == 2
    assert err.getvalue().startswith(message) and err.getvalue().count("\n") == 1 and out.getvalue() == ""


def test_a_tiny_budget_refuses_a_valid_certificate_and_says_how_to_raise_it():
    """kink_eps_1_10_p2 takes far longer than 10 ms to check (exact LP, Krawczyk, SymPy limit)."""
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    assert checker_main(["--time-limit", "0.01", CERT], out=out, err=err) == 1
    assert time.perf_counter() - t0 < 20
    text = out.getvalue()
    assert text.startswith("FAIL ") and "field (budget): checking takes longer than 0.01 s: refused" in text
    assert "--time-limit SECONDS" in text and "0 verified, 1 failed" in text


def test_cli_check_passes_the_option_and_refuses_bad_values(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(check_module, "check_file", lambda path, **kw: seen.append(kw["time_limit"]) or _ok(path))
    assert cli_main(["check", "--time-limit", "120", CERT]) == 0
    assert seen == [120.0]
    capsys.readouterr()
    assert cli_main(["check", "--time-limit", "-5", CERT]) == 2
    err = capsys.readouterr().err
    assert "--time-limit must be in [0.01, 86400] seconds" in err and err.count("\n") == 1
    assert seen == [120.0]


def test_api_check_time_limit(monkeypatch):
    seen = []
    monkeypatch.setattr(check_module, "check_file", lambda path, **kw: seen.append(kw.get("time_limit")) or _ok(path))
    assert check(CERT, time_limit=90).passed and check(CERT, time_limit="1.5").passed and check(CERT).passed
    assert seen == [90.0, 1.5, None]  # None: the keyword is not passed, the checker's default applies
    for bad in (0, -1.0, float("nan"), float("inf"), "1e9", "soon", True):
        with pytest.raises(InvalidParameterError, match="time_limit"):
            check(CERT, time_limit=bad)
    assert seen == [90.0, 1.5, None]
