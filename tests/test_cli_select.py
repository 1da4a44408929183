"""``implicitreg select``: JSON contract (x as decimal strings, unique, depth, digits, support, face
dimension), --depth inf, and one-line errors with exit status 2."""
from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import pytest
import sympy

from implicitreg import cli
from implicitreg.proofs.derivations import selection as der
from implicitreg.proofs.suites.selection import FACE2, LINE, RANDOM


def run_main(capsys, argv):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def line_file(tmp_path):
    path = tmp_path / "line.json"
    path.write_text(json.dumps(LINE))
    return str(path)


@pytest.mark.parametrize("depth", ["2", "2.5", "5/2", "3", "4", "inf"])
def test_json_output_matches_closed_form(capsys, line_file, depth):
    rc, out, err = run_main(capsys, ["select", "--instance", line_file, "--depth", depth, "--digits", "42", "--json"])
    assert rc == 0 and err == ""
    obj = json.loads(out)
    for key in ("x", "unique", "depth", "digits_requested", "digits_certified", "support", "face_dimension"):
        assert key in obj
    assert obj["unique"] is False and obj["support"] == [0, 1, 2] and obj["face_dimension"] == 1
    assert obj["digits_requested"] == 42 and all(isinstance(v, str) for v in obj["x"])
    t = der.selected_t(sympy.oo if depth == "inf" else sympy.Rational(depth))
    with mpmath.workdps(60):
        tc = mpmath.mpf(str(sympy.N(t, 70)))
        # the third coordinate is 3 t; printed to 42 significant digits
        assert abs(mpmath.mpf(obj["x"][2]) - 3 * tc) < mpmath.mpf(10) ** -40


def test_unique_instance_reports_x_star(capsys, tmp_path):
    path = tmp_path / "random.json"
    path.write_text(json.dumps(RANDOM))
    rc, out, _ = run_main(capsys, ["select", "--instance", str(path), "--depth", "3", "--json"])
    obj = json.loads(out)
    assert rc == 0 and obj["unique"] is True and obj["face_dimension"] == 0 and obj["support"] == [2, 3, 4]


def test_text_output(capsys, tmp_path):
    path = tmp_path / "face2.json"
    path.write_text(json.dumps(FACE2))
    rc, out, _ = run_main(capsys, ["select", "--instance", str(path), "--depth", "inf", "--digits", "12"])
    assert rc == 0 and "face dimension 2" in out and "x[1] = 0.250000000000" in out


BAD = [
    (["--depth", "1.5"], "depth"),
    (["--depth", "abc"], "depth"),
    (["--depth", "nan"], "depth"),
    (["--depth", "3", "--digits", "0"], "digits"),
    (["--depth", "3", "--digits", "many"], "digits"),
]


@pytest.mark.parametrize("extra,word", BAD)
def test_bad_parameters_exit_2_with_one_line(capsys, line_file, extra, word):
    rc, out, err = run_main(capsys, ["select", "--instance", line_file] + extra)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and word in err


@pytest.mark.parametrize("text", ["{not json", '{"A": [[1, 2]], "y": [1, 2]}', '{"A": [[1, 2], [2, 4]], "y": [1, 3]}'])
def test_bad_instances_exit_2_with_one_line(capsys, tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    rc, out, err = run_main(capsys, ["select", "--instance", str(path), "--depth", "3"])
    assert rc == 2 and out == "" and err.count("\n") == 1 and err.startswith("implicitreg select: error:")


def test_missing_file_and_missing_depth(capsys, tmp_path):
    rc, _, err = run_main(capsys, ["select", "--instance", str(tmp_path / "nope.json"), "--depth", "3"])
    assert rc == 2 and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        cli.main(["select", "--instance", str(tmp_path / "nope.json")])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_console_entry_point(line_file):
    proc = subprocess.run([sys.executable, "-m", "implicitreg.cli", "select", "--instance", line_file, "--depth",
                           "0.5"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
