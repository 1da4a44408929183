"""``implicitreg sharpness`` and ``implicitreg deep-flow``: values against hand computations, error contract."""
import json

import mpmath
import numpy as np
import pytest
import scipy.linalg

from implicitreg.cli import main


def write(tmp_path, obj, name="inst.json"):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(p)


def run_json(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr().out
    return rc, json.loads(out)


def test_sharpness_on_a_hand_computed_instance(tmp_path, capsys):
    """X = [[2,0],[0,1]], y = [4,0]: Sigma = diag(2, 1/2), w* = (2, 0), a = Lambda = 2, kappa = 4; w* is the top
    eigenvector, so S_LB = S_min = S_bal = 2 L a ||w*||^(2-2/L) = 12 * 2^(4/3) for L = 3."""
    f = write(tmp_path, {"X": [[2, 0], [0, 1]], "y": [4, 0]})
    rc, rep = run_json(capsys, ["sharpness", "--instance", f, "--depth", "3", "--json", "--digits", "25"])
    assert rc == 0
    assert rep["loss_convention"] == "1/n, no 1/2"
    assert rep["w_star"] == ["2", "0"]
    with mpmath.workdps(40):
        expected = 12 * mpmath.mpf(2) ** (mpmath.mpf(4) / 3)
        for key in ("lower_bound", "min_sharpness", "balanced_sharpness"):
            assert abs(mpmath.mpf(rep[key]) - expected) < mpmath.mpf(10) ** -22, key
        assert abs(mpmath.mpf(rep["small_init_upper"]) - 4 * expected) < mpmath.mpf(10) ** -22
    assert mpmath.mpf(rep["a"]) == 2 and mpmath.mpf(rep["kappa"]) == 4 and mpmath.mpf(rep["Lambda"]) == 2


def test_sharpness_min_against_an_independent_float_scan(tmp_path, capsys):
    """X = [[1,1],[0,1]], y = [1,0]: w* = (1, 0), S_LB = 2 (L = 2); S_min checked against a float64 scan of the
    1-D objective with scipy's sqrtm, and against the spec's L = 2 bound S_min >= 4 ||Sigma w*||."""
    f = write(tmp_path, {"X": [[1, 1], [0, 1]], "y": [1, 0]})
    rc, rep = run_json(capsys, ["sharpness", "--instance", f, "--depth", "2", "--json"])
    assert rc == 0
    assert abs(float(rep["lower_bound"]) - 2) < 1e-15
    Sigma = np.array([[1.0, 1.0], [1.0, 2.0]]) / 2
    z = np.real(scipy.linalg.sqrtm(Sigma)) @ np.array([1.0, 0.0])
    ts = np.exp(np.linspace(-3, 3, 20001))
    scan = min(2 * np.linalg.eigvalsh(t * Sigma + np.outer(z, z) / t)[-1] for t in ts)
    s_min = float(rep["min_sharpness"])
    assert s_min <= scan + 1e-12 and scan - s_min < 1e-6
    assert s_min >= 4 * np.linalg.norm(Sigma @ np.array([1.0, 0.0])) - 1e-12
    assert float(rep["min_sharpness"]) <= float(rep["balanced_sharpness"]) + 1e-12


def test_sharpness_text_output(tmp_path, capsys):
    f = write(tmp_path, {"X": [["1/2", 0], [0, "0.25"]], "y": [1, 1]})
    assert main(["sharpness", "--instance", f, "--depth", "4"]) == 0
    out = capsys.readouterr().out
    for key in ("lower_bound", "min_sharpness", "balanced_sharpness", "kappa", "w_star", "1/n, no 1/2"):
        assert key in out


@pytest.mark.parametrize("obj, argv_extra, match", [
    ({"X": [[1, 0], [0, 1]], "y": [1, 1]}, ["--depth", "1"], "depth"),
    ({"X": [[1, 0], [0, 1]], "y": [1, 1]}, ["--depth", "2.5"], "depth"),
    ({"X": [[1, 0], [0, 1]], "y": [1]}, ["--depth", "3"], "shape mismatch"),
    ({"X": [[1, 0], [0]], "y": [1, 1]}, ["--depth", "3"], "ragged"),
    ({"X": [], "y": []}, ["--depth", "3"], "non-empty"),
    ('{"X": [[NaN, 1]], "y": [1]}', ["--depth", "3"], "finite"),
    ({"X": [[1, 0], [0, 1]], "y": [0, 0]}, ["--depth", "3"], "w\\* = 0"),
    ({"X": [[1, 0], [0, 1]], "y": [1, 1]}, ["--depth", "3", "--digits", "0"], "digits"),
])
def test_sharpness_bad_input_one_line_exit_2(tmp_path, capsys, obj, argv_extra, match):
    import re

    f = write(tmp_path, obj)
    rc = main(["sharpness", "--instance", f] + argv_extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and re.search(match, err), err


def test_sharpness_missing_file(tmp_path, capsys):
    assert main(["sharpness", "--instance", str(tmp_path / "nope.json"), "--depth", "3"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


PAPER_SMALL = {"X": [[1, 2, 0], [0, 1, 1], [3, -1, 2], [1, 1, 1], ["1/2", 0, -1]], "y": [1, -2, "0.5", 2, "3/7"]}


def test_deep_flow_gf_small_init(tmp_path, capsys):
    f = write(tmp_path, PAPER_SMALL)
    rc, rep = run_json(capsys, ["deep-flow", "--instance", f, "--depth", "3", "--init", "small", "--scale", "0.05",
                                "--seed", "3", "--json"])
    assert rc == 0 and rep["converged"]
    assert float(rep["final_excess_loss"]) <= 1e-11
    assert float(rep["distance_to_w_star"]) < 1e-4
    assert float(rep["final_sharpness"]) >= float(rep["lower_bound"]) * (1 - 1e-9)
    assert abs(float(rep["ratio_to_balanced"]) - 1) < 1e-2  # small s: close to the balanced rank-one minimizer
    assert float(rep["alignment"]["input_cos"]) > 0.999
    assert float(rep["imbalance_drift"]) < 1e-6


def test_deep_flow_gd_residual(tmp_path, capsys):
    f = write(tmp_path, PAPER_SMALL)
    rc, rep = run_json(capsys, ["deep-flow", "--instance", f, "--depth", "4", "--init", "residual", "--scale", "0.5",
                                "--eta", "0.01", "--steps", "20000", "--json"])
    assert rc == 0 and rep["converged"] and rep["method"].startswith("gradient descent")
    assert float(rep["ratio_to_lower_bound"]) >= 1 - 1e-9


def test_deep_flow_not_converged_exits_1(tmp_path, capsys):
    f = write(tmp_path, PAPER_SMALL)
    rc = main(["deep-flow", "--instance", f, "--depth", "3", "--init", "small", "--scale", "0.1", "--eta", "0.001",
               "--steps", "3"])
    assert rc == 1
    assert "NOT converged" in capsys.readouterr().out


@pytest.mark.parametrize("argv_extra, match", [
    (["--depth", "3", "--init", "small", "--scale", "0"], "scale"),
    (["--depth", "3", "--init", "small", "--scale", "0.1", "--eta", "-1"], "eta"),
    (["--depth", "1", "--init", "small", "--scale", "0.1"], "depth"),
    (["--depth", "3", "--init", "residual", "--scale", "nan"], "scale"),
    (["--depth", "3", "--init", "small", "--scale", "0.1", "--seed", "-2"], "seed"),
    (["--depth", "3", "--init", "weird", "--scale", "0.1"], "invalid choice"),
])
def test_deep_flow_bad_input_one_line_exit_2(tmp_path, capsys, argv_extra, match):
    import re

    f = write(tmp_path, PAPER_SMALL)
    if match == "invalid choice":  # argparse's own usage error: one line, SystemExit(2)
        with pytest.raises(SystemExit) as exc:
            main(["deep-flow", "--instance", f] + argv_extra)
        rc = exc.value.code
    else:
        rc = main(["deep-flow", "--instance", f] + argv_extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and re.search(match, err), err

