"""``implicitreg l1``: JSON output contract and the one-line error contract on a table of bad inputs."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction as F

import pytest

from implicitreg import cli

BAD_INPUTS = {
    "not json": "{not json",
    "top level not an object": "[1, 2]",
    "missing A": '{"y": [1]}',
    "missing y": '{"A": [[1, 2]]}',
    "empty A": '{"A": [], "y": []}',
    "empty rows": '{"A": [[]], "y": [1]}',
    "ragged A": '{"A": [[1, 2], [3]], "y": [1, 2]}',
    "y too short": '{"A": [[1, 2], [3, 4]], "y": [1]}',
    "y too long": '{"A": [[1, 2]], "y": [1, 2]}',
    "NaN literal": '{"A": [[NaN, 1]], "y": [1]}',
    "Infinity literal": '{"A": [[1, Infinity]], "y": [1]}',
    "nan string": '{"A": [[1, "nan"]], "y": [1]}',
    "inf string": '{"A": [[1, 2]], "y": ["-inf"]}',
    "non-numeric string": '{"A": [[1, "abc"]], "y": [1]}',
    "null entry": '{"A": [[1, null]], "y": [1]}',
    "boolean entry": '{"A": [[1, true]], "y": [1]}',
    "nested entry": '{"A": [[1, [2]]], "y": [1]}',
    "zero denominator": '{"A": [[1, "1/0"]], "y": [1]}',
    "huge exponent": '{"A": [[1, 1e999999999]], "y": [1]}',
    "too many digits": '{"A": [[1, ' + "1" * 5000 + ']], "y": [1]}',
    "y not in range": '{"A": [[1, 2], [2, 4]], "y": [1, 3]}',
    "y not in range (zero A)": '{"A": [[0, 0]], "y": [1]}',
}


def run_main(capsys, argv):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2(name, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(BAD_INPUTS[name])
    rc, out, err = run_main(capsys, ["l1", "--instance", str(path), "--json"])
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("implicitreg l1: error: ")
    assert "Traceback" not in err


def test_missing_file_is_one_line(tmp_path, capsys):
    rc, out, err = run_main(capsys, ["l1", "--instance", str(tmp_path / "missing.json")])
    assert rc == 2 and out == "" and err.count("\n") == 1 and "cannot read instance file" in err


def test_missing_instance_option_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["l1", "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--instance" in err


def write(tmp_path, data, name="inst.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_json_output_line_instance(tmp_path, capsys):
    rc, out, err = run_main(capsys, ["l1", "--instance", write(tmp_path, {"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]}),
                                     "--json"])
    assert rc == 0 and err == ""
    obj = json.loads(out)
    for key in ("x", "l1_norm", "unique", "support", "signs", "rho", "rho_maximal_support", "dual_certificate",
                "face"):
        assert key in obj
    assert obj["l1_norm"] == "3" and obj["unique"] is False and obj["rho"] is None
    assert obj["support"] == [0, 1, 2] and obj["signs"] == [1, 1, 1] and obj["rho_maximal_support"] == "0"
    assert obj["dual_certificate"] == ["1", "0"]
    assert obj["face_dimension"] == 1 and obj["face"]["point"] == ["1/2", "1", "3/2"]
    assert sorted(obj["face"]["vertices"]) == [["0", "0", "3"], ["1", "2", "0"]]
    x = [F(v) for v in obj["x"]]
    assert x[0] + x[1] + x[2] == 3 and 3 * x[0] + x[2] == 3


def test_json_decimal_number_is_exact(tmp_path, capsys):
    # A = [1, 0.1], y = 0.1: x* = (1/10, 0), rho = 1/10; a binary 0.1 would give 3602879701896397/36028797018963968
    rc, out, _ = run_main(capsys, ["l1", "--instance", write(tmp_path, '{"A": [[1, 0.1]], "y": [0.1]}'), "--json"])
    obj = json.loads(out)
    assert rc == 0 and obj["x"] == ["1/10", "0"] and obj["l1_norm"] == "1/10"
    assert obj["unique"] is True and obj["rho"] == "1/10" and obj["support"] == [0] and obj["dual_certificate"] == ["1"]


def test_plane_rho_for_maximal_support(tmp_path, capsys):
    rc, out, _ = run_main(capsys, ["l1", "--instance", write(tmp_path, {"A": [[2, -1, 0, 1], [0, 3, 2, 0]],
                                                                        "y": [0, 6]}), "--json"])
    obj = json.loads(out)
    assert rc == 0 and obj["rho"] is None and obj["rho_maximal_support"] == "1/2" and obj["support"] == [0, 1, 2]


def test_human_readable_summary(tmp_path, capsys):
    rc, out, _ = run_main(capsys, ["l1", "--instance", write(tmp_path, {"A": [[1, "0.9"]], "y": [1]})])
    assert rc == 0
    assert "min ||x||_1 = 1" in out and "(unique)" in out and "rho = 9/10" in out
    assert not out.lstrip().startswith("{")


def test_console_process_no_traceback(tmp_path):
    bad = write(tmp_path, '{"A": [[1, 2]], "y": [1, 2]}', "bad.json")
    good = write(tmp_path, '{"A": [[1, "1/3"]], "y": [2]}', "good.json")
    proc = subprocess.run([sys.executable, "-m", "implicitreg.cli", "l1", "--instance", bad],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "implicitreg.cli", "l1", "--instance", good, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["x"] == ["2", "0"]
