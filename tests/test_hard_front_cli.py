"""Hardening: the CLI's exit codes (0 / 1 verdict / 2 bad input), one stderr line, and its option limits.

Every command is run in-process (``implicitreg.cli.main``) on tiny inputs; nothing here computes much.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from implicitreg.cli import main
from implicitreg.commands import parse_positive_decimal
from implicitreg.errors import InvalidParameterError

REFERENCE = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "mc_lb_ordinary_L3.json"


def write(tmp_path, obj, name="inst.json"):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return str(p)


def one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"implicitreg {command}: error: ") or lines[0].startswith("implicitreg: error: ")
    return lines[0]


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
    assert out["files"][1]["reason"]
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
