"""Hardening: the CLI's exit codes (0 / 1 verdict / 2 bad input), one stderr line, and its option limits.

Every command is run in-process (``implicitreg.cli.main``) on tiny inputs; nothing here computes much.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import clitools
from clitools import write
from implicitreg.cli import main
from implicitreg.commands import parse_positive_decimal
from implicitreg.errors import InvalidParameterError

REFERENCE = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "mc_lb_ordinary_L3.json"


def one_error_line(capsys, command: str) -> str:
    return clitools.one_error_line(capsys, command, bare=True)  # this file's refusals include the parser's own


def test_user_error_exits_2_with_one_line(tmp_path, capsys):
    rc = main(["limit", "--instance", str(tmp_path / "missing.json"), "--depth", "2", "--alpha", "1e-3"])
    assert rc == 2
    one_error_line(capsys, "limit")


@pytest.mark.parametrize("alpha", ["0", "-1e-3", "0/7"])
def test_limit_alpha_must_be_positive_exit_2(tmp_path, capsys, alpha):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    assert main(["limit", "--instance", f, "--depth", "2", f"--alpha={alpha}", "--digits", "10"]) == 2
    assert "alpha" in one_error_line(capsys, "limit")


@pytest.mark.parametrize("digits", ["0", "5001", "x"])
def test_limit_digits_bounds_exit_2(tmp_path, capsys, digits):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    assert main(["limit", "--instance", f, "--depth", "2", "--alpha", "1e-3", "--digits", digits]) == 2
    assert "digits" in one_error_line(capsys, "limit")


@pytest.mark.parametrize("value", ["0", "-1", "0/3", "-1e-30"])
def test_parse_positive_decimal_refuses_non_positive(value):
    with pytest.raises(InvalidParameterError, match="alpha must be > 0"):
        parse_positive_decimal(value, "alpha")


def test_parse_positive_decimal_reads_exactly():
    from fractions import Fraction

    assert parse_positive_decimal("0.1", "alpha") == Fraction(1, 10)
    assert parse_positive_decimal("1e-300", "alpha") == Fraction(1, 10 ** 300)


def test_certify_alpha_zero_exit_2(tmp_path, capsys):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    rc = main(["certify", "--instance", f, "--theorem", "MS-D2", "--depth", "2", "--alpha", "0",
               "--out", str(tmp_path / "c.json")])
    assert rc == 2
    assert "alpha" in one_error_line(capsys, "certify")
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("depth", ["1", "2.5", "10001", "x"])
def test_certify_mc_lb_needs_an_integer_depth(tmp_path, capsys, depth):
    f = write(tmp_path, {"X": [[1, 0], [0, 2]], "y": [1, 1]})
    rc = main(["certify", "--instance", f, "--theorem", "MC-LB", "--depth", depth, "--out", str(tmp_path / "c.json")])
    assert rc == 2
    one_error_line(capsys, "certify")


def test_deep_flow_exit_status_is_the_convergence_verdict(tmp_path, capsys):
    f = write(tmp_path, {"X": [[1]], "y": [1]})
    base = ["deep-flow", "--instance", f, "--depth", "2", "--init", "small", "--scale", "0.5", "--json"]
    assert main(base + ["--eta", "0.01", "--steps", "2"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["converged"] is False
    assert main(base + ["--eta", "0.1", "--steps", "5000"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["converged"] is True
    assert float(out["final_excess_loss"]) <= 1e-11


def test_check_json_exit_status_follows_every_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{\"not\": \"a certificate\"}")
    assert main(["check", "--json", str(REFERENCE)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and [f["accepted"] for f in out["files"]] == [True]
    assert main(["check", "--json", str(REFERENCE), str(bad)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is False and [f["accepted"] for f in out["files"]] == [True, False]
    assert out["files"][1]["reason"] and out["files"][1]["field"] is not None
    assert out["files"][0]["field"] is None and out["files"][0]["reason"] is None and out["files"][0]["verified"]
    assert main(["check", "--json", str(bad), str(REFERENCE)]) == 1


@pytest.mark.parametrize("workers", ["0", "-1", "1025"])
def test_verify_workers_bounds_exit_2(capsys, workers):
    assert main(["verify", "--only", "none", "--workers", workers]) == 2
    assert "workers" in one_error_line(capsys, "verify")


def test_verify_workers_and_scheduler_exclude_each_other(capsys):
    assert main(["verify", "--only", "none", "--workers", "2", "--scheduler", "tcp://h:8786"]) == 2
    one_error_line(capsys, "verify")


@pytest.mark.parametrize("workers", ["0", "1025"])
def test_sweep_workers_bounds_exit_2(tmp_path, capsys, workers):
    spec = tmp_path / "s.json"
    spec.write_text("{}")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", workers]) == 2
    assert "workers" in one_error_line(capsys, "sweep")


def test_sweep_serial_and_scheduler_exclude_each_other(tmp_path, capsys):
    spec = tmp_path / "s.json"
    spec.write_text("{}")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--serial", "--scheduler", "tcp://h:1"]) == 2
    one_error_line(capsys, "sweep")
    assert main(["sweep", str(spec)]) == 2
    assert "--out" in one_error_line(capsys, "sweep")
    assert main(["sweep", "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys, "sweep")


@pytest.mark.parametrize("argv", [["flow", "--digits", "7"], ["flow", "--max-steps", "0"],
                                  ["flow", "--alpha", "0"], ["flow", "--depth", "1"]])
def test_flow_option_limits_exit_2(tmp_path, capsys, argv):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    args = {"--depth": "2", "--alpha": "1/10", "--t-final": "1/1000"}
    for k, v in zip(argv[1::2], argv[2::2]):
        args[k] = v
    rc = main(["flow", "--instance", f] + [f"{k}={v}" for k, v in args.items()])
    assert rc == 2
    one_error_line(capsys, "flow")


def test_usage_errors_are_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["limit", "--no-such-option"])
    assert info.value.code == 2
    one_error_line(capsys, "limit")
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    one_error_line(capsys, "x")


def test_a_multi_line_error_message_is_printed_on_one_line(tmp_path, capsys, monkeypatch):
    from implicitreg import api

    def boom(*a, **k):
        raise InvalidParameterError("first line\n   second   line")

    monkeypatch.setattr(api, "l1_minimizer", boom)
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    assert main(["l1", "--instance", f]) == 2
    assert one_error_line(capsys, "l1") == "implicitreg l1: error: first line second line"


def test_interrupt_exits_130_and_other_errors_are_not_swallowed(tmp_path, capsys, monkeypatch):
    from implicitreg import api

    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "l1_minimizer", interrupted)
    assert main(["l1", "--instance", f]) == 130
    assert capsys.readouterr().err == "implicitreg: interrupted\n"

    def bug(*a, **k):
        raise ZeroDivisionError("a bug of ours is never turned into exit 2")

    monkeypatch.setattr(api, "l1_minimizer", bug)
    with pytest.raises(ZeroDivisionError):
        main(["l1", "--instance", f])


def test_limit_text_and_json_report_certified_and_requested_digits(tmp_path, capsys):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    assert main(["limit", "--instance", f, "--depth", "2", "--alpha", "1e-6", "--digits", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["digits_requested"] == 8 and out["digits_certified"] >= 8
    assert out["alpha"] == "1/1000000" and out["alpha_convention"] == "product" and out["depth"] == "2"
    assert main(["limit", "--instance", f, "--depth", "2", "--alpha", "1e-6", "--digits", "8",
                 "--alpha-convention", "factor", "--json"]) == 0
    fac = json.loads(capsys.readouterr().out)
    assert fac["alpha_convention"] == "factor" and fac["alpha_product"].startswith("1.0000")
    assert fac["alpha_product"].endswith("e-12")       # factor convention: u(0)^D = alpha^2 at D = 2
    assert main(["limit", "--instance", f, "--depth", "2", "--alpha", "1e-6", "--digits", "8"]) == 0
    text = capsys.readouterr().out
    assert "(product convention)" in text and f"{out['digits_certified']} digits certified" in text


def test_emit_prints_json_or_one_text_block():
    import io

    from implicitreg.commands import emit

    buf = io.StringIO()
    emit({"a": 1}, False, "text\n\n", out=buf)
    assert buf.getvalue() == "text\n"
    buf = io.StringIO()
    emit({"a": 1}, True, "text", out=buf)
    assert json.loads(buf.getvalue()) == {"a": 1}
    buf = io.StringIO()
    emit({"a": 1}, False, None, out=buf)                 # no text form: JSON
    assert json.loads(buf.getvalue()) == {"a": 1}


def test_progress_is_silent_when_stderr_is_not_a_terminal(capsys):
    from implicitreg.commands import progress_wanted
    from implicitreg.progress import activity

    with activity("work", True, interval=0.01):
        sum(range(1000))
    with activity("work", False):
        pass
    assert capsys.readouterr().err == ""
    assert progress_wanted() is False


def test_certify_mc_lb_accepts_the_largest_depth(tmp_path, capsys, monkeypatch):
    """L = 1000 (docs: 2..1000) reaches the certificate builder (stubbed: building it would be slow)."""
    from implicitreg.proofs import certify as cert_mod

    def stub(X, y, L):
        raise InvalidParameterError(f"reached the builder with L = {L}")

    monkeypatch.setattr(cert_mod, "deep_linear_certificate", stub)
    f = write(tmp_path, {"X": [[1, 0], [0, 2]], "y": [1, 1]})
    for L in ("2", "1000"):
        rc = main(["certify", "--instance", f, "--theorem", "MC-LB", "--depth", L, "--out", str(tmp_path / "c.json")])
        assert rc == 2
        assert one_error_line(capsys, "certify").endswith(f"reached the builder with L = {L}")


def test_flow_csv_has_one_row_per_recorded_time(tmp_path, capsys):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    out = tmp_path / "t.csv"
    assert main(["flow", "--instance", f, "--depth", "2", "--alpha", "1/10", "--t-final", "1/1000", "--digits", "12",
                 "--format", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    lines = out.read_text().splitlines()
    assert lines[0] == "t,x0,x1,residual,loss"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) >= 2 and all(len(r) == 5 for r in rows)
    assert float(rows[0][0]) == 0 and float(rows[-1][0]) == 0.001
    # loss = 1/2 ||A x - y||^2 = residual^2 / 2 for one row
    for r in rows:
        assert float(r[4]) == pytest.approx(float(r[3]) ** 2 / 2, rel=1e-8)
    assert main(["flow", "--instance", f, "--depth", "2", "--alpha", "1/10", "--t-final", "1/1000", "--digits", "12",
                 "--format", "csv", "--out", str(out)]) == 0        # --out of flow overwrites (documented)


@pytest.mark.parametrize("extra", [["--only", "ms"], ["--thorough"], ["--workers", "2"], ["--scheduler", "tcp://h:1"]])
def test_verify_instance_refuses_suite_options(tmp_path, capsys, extra):
    f = write(tmp_path, {"A": [[1, 2]], "y": [2]})
    assert main(["verify", "--instance", f] + extra) == 2
    assert "not to --instance" in one_error_line(capsys, "verify")


def test_reproduce_refusals_before_any_work(tmp_path, capsys):
    assert main(["reproduce", "no-such-figure", "--out", str(tmp_path)]) == 2
    one_error_line(capsys, "reproduce")
    assert main(["reproduce"]) == 2
    assert "name a figure" in one_error_line(capsys, "reproduce")
    afile = tmp_path / "f"
    afile.write_text("x")
    assert main(["reproduce", "ms-depth", "--out", str(afile), "--quick"]) == 2
    assert "not a directory" in one_error_line(capsys, "reproduce")
