"""`implicitreg check` exit status, with and without --json: a file that is not a readable certificate at all is bad
input (one line on stderr, exit 2; the API raises CertificateError), a certificate that is read and rejected exits 1
with the failing field, and an accepted one exits 0."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from implicitreg.api import check
from implicitreg.cli import main as cli_main
from implicitreg.errors import CertificateError, InvalidParameterError

REFERENCE = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "mc_lb_equality_L3.json"


def _forged(tmp_path) -> Path:
    """The reference certificate with one entry changed after sealing: read, then rejected (content hash)."""
    text = REFERENCE.read_text(encoding="utf-8")
    assert '"16"' in text
    forged = tmp_path / "forged.json"
    forged.write_text(text.replace('"16"', '"17"', 1), encoding="utf-8")
    return forged


def _unreadable(tmp_path) -> dict[str, Path]:
    bad = {"missing": tmp_path / "missing.json", "directory": tmp_path / "adir", "not UTF-8": tmp_path / "latin.json",
           "not JSON": tmp_path / "broken.json"}
    bad["directory"].mkdir()
    bad["not UTF-8"].write_bytes(b'{"a": "\xff"}')
    bad["not JSON"].write_text('{"a": ', encoding="utf-8")
    return bad


@pytest.mark.parametrize("json_flag", [["--json"], []])
@pytest.mark.parametrize("what", ["missing", "directory", "not UTF-8", "not JSON"])
def test_an_unreadable_file_exits_2_with_one_stderr_line(tmp_path, capsys, json_flag, what):
    path = _unreadable(tmp_path)[what]
    assert cli_main(["check", *json_flag, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and str(path) in captured.err and "Traceback" not in captured.err
    assert captured.out == ""  # no JSON object (and no summary) for bad input


def test_json_an_unreadable_file_among_good_ones_is_still_bad_input(tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert cli_main(["check", "--json", str(REFERENCE), str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and str(missing) in captured.err


@pytest.mark.parametrize("json_flag", [["--json"], []])
def test_a_read_and_rejected_certificate_exits_1(tmp_path, capsys, json_flag):
    forged = _forged(tmp_path)
    assert cli_main(["check", *json_flag, str(forged)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    if json_flag:
        report = json.loads(captured.out)["files"][0]
        assert report["accepted"] is False and report["field"] == "sha256"
    else:
        assert "FAIL" in captured.out and "field sha256" in captured.out


def test_a_path_that_looks_like_an_option_is_a_file(tmp_path, monkeypatch, capsys):
    """After ``--`` a file named like the checker's options is a file (the options are not re-parsed from it)."""
    monkeypatch.chdir(tmp_path)
    Path("--no-sympy").write_bytes(REFERENCE.read_bytes())
    Path("--time-limit").write_bytes(_forged(tmp_path).read_bytes())
    assert cli_main(["check", "--", "--no-sympy"]) == 0
    assert "OK   --no-sympy" in capsys.readouterr().out
    assert cli_main(["check", "--", "--time-limit"]) == 1
    assert "FAIL --time-limit" in capsys.readouterr().out


def test_api_check_raises_on_an_unreadable_file_and_reports_a_rejected_one(tmp_path):
    for what, path in _unreadable(tmp_path).items():
        with pytest.raises(CertificateError, match="is not a readable certificate"):
            check(path)
    with pytest.raises(CertificateError, match="cannot read"):
        check("embedded\0nul.json")
    result = check(_forged(tmp_path))
    assert result.passed is False and result.to_json()["files"][0]["field"] == "sha256"
    with pytest.raises(InvalidParameterError, match="is a path"):
        check(3)  # never read as a file descriptor
