"""``implicitreg limit`` and ``implicitreg flow``: output fields, digits, files, and bad input -> one line, exit 2."""
from __future__ import annotations

import csv
import json
from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.cli import main
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text('{"A": [[1, "0.5", -2, 3], [0, 1, 1, "1/3"]], "y": [1, "0.25"]}')
    return str(path)


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_limit_json_fields_and_digits(capsys, instance_file):
    code, out, err = _run(capsys, ["limit", "--instance", instance_file, "--depth", "5/2", "--alpha", "1e-10",
                                   "--digits", "25", "--json"])
    assert code == 0 and err == ""
    obj = json.loads(out)
    for key in ("x", "depth", "alpha", "alpha_convention", "alpha_product", "digits_certified", "digits_requested", "residual"):
        assert key in obj
    assert obj["depth"] == "5/2" and obj["alpha_convention"] == "product" and obj["digits_certified"] >= 25 and obj["digits_requested"] == 25
    # the strings carry the certified digits: compare with an independent API call at more digits
    ref = gradient_flow_limit(Instance.from_lists([[1, "0.5", -2, 3], [0, 1, 1, "1/3"]], [1, "0.25"]),
                              Fraction(5, 2), "1e-10", digits=60)
    with mpmath.workdps(80):
        for s, v in zip(obj["x"], ref.x):
            # within one unit of the 25th significant digit (rounding of a value certified to >= 25 digits)
            unit = mpf(10) ** (mpmath.floor(mpmath.log10(max(abs(v), ref.floor))) - 24)
            assert abs(mpf(s) - v) <= unit
            assert len(s.split("e")[0].replace("-", "").replace(".", "").lstrip("0")) >= 25 or abs(v) < ref.floor


def test_limit_factor_convention_and_text(capsys, instance_file):
    code, out, _ = _run(capsys, ["limit", "--instance", instance_file, "--depth", "2", "--alpha", "0.01",
                                 "--alpha-convention", "factor", "--digits", "15", "--json"])
    obj = json.loads(out)
    assert code == 0 and obj["alpha_convention"] == "factor"
    assert mpf(obj["alpha_product"]) == pytest.approx(mpf("1e-4"), rel=1e-20)
    code, out, _ = _run(capsys, ["limit", "--instance", instance_file, "--depth", "3", "--alpha", "0.01"])
    assert code == 0 and out.startswith("x[0] = ") and "digits certified" in out


def test_flow_json_csv_and_out_file(capsys, instance_file, tmp_path):
    code, out, _ = _run(capsys, ["flow", "--instance", instance_file, "--depth", "2", "--alpha", "0.1",
                                 "--digits", "16", "--format", "json"])
    obj = json.loads(out)
    assert code == 0 and obj["converged"] and obj["kind"] == "reduced"
    assert len(obj["t"]) == len(obj["x_t"]) == len(obj["residual_t"]) == len(obj["loss_t"])
    assert mpf(obj["residual_t"][-1]) <= mpf("1e-8")
    target = tmp_path / "traj.csv"
    code, out, _ = _run(capsys, ["flow", "--instance", instance_file, "--depth", "3", "--alpha", "0.1", "--full",
                                 "--t-final", "1/2", "--digits", "12", "--format", "csv", "--out", str(target)])
    assert code == 0 and out == ""
    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0] == ["t", "x0", "x1", "x2", "x3", "residual", "loss"]
    assert float(rows[-1][0]) == 0.5 and len(rows) > 3


@pytest.mark.parametrize("argv", [
    ["limit", "--depth", "2", "--alpha", "0"],
    ["limit", "--depth", "2", "--alpha", "-1e-3"],
    ["limit", "--depth", "2", "--alpha", "nan"],
    ["limit", "--depth", "1.5", "--alpha", "0.1"],
    ["limit", "--depth", "nan", "--alpha", "0.1"],
    ["limit", "--depth", "2", "--alpha", "0.1", "--alpha-convention", "layer"],
    ["limit", "--depth", "2", "--alpha", "0.1", "--digits", "0"],
    ["limit", "--depth", "2", "--alpha", "0.1", "--digits", "1000000"],  # precision that cannot be met
    ["flow", "--depth", "2", "--alpha", "1e-10", "--t-final", "0.001", "--until-converged", "--digits", "12"],
    ["flow", "--depth", "2", "--alpha", "0.1", "--method", "euler"],
    ["flow", "--depth", "2", "--alpha", "0", "--digits", "12"],
])
def test_bad_input_one_line_exit_2(capsys, instance_file, argv):
    with pytest.raises(SystemExit) as exc_info:
        raise SystemExit(main(argv[:1] + ["--instance", instance_file] + argv[1:]))
    assert exc_info.value.code == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "error" in err


def test_y_not_in_range_exit_2(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"A": [[1, 1], [2, 2]], "y": [1, 3]}')
    code, _, err = _run(capsys, ["limit", "--instance", str(path), "--depth", "2", "--alpha", "0.1"])
    assert code == 2 and err.count("\n") == 1 and "range" in err
