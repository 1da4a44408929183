"""``implicitreg verify --instance``: every statement decided on the user's instance (proofs/instance_verify.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.proofs.checker import check as checker
from implicitreg.proofs.instance_verify import alpha_grid, verify_instance


def _names(report):
    return {v.theorem.split(" ")[0] for v in report.verdicts}


def test_diagonal_instance_applicable_rows_reasons_and_certificates(tmp_path):
    """A = [1, 1/2, -1/2], y = 1: x* = e_1 unique, rho = 1/2 (> 0): MS-D2 applies at D = 2 (rate 1/2)."""
    path = tmp_path / "row.json"
    path.write_text(json.dumps({"A": [[1, "1/2", "-1/2"]], "y": [1]}))
    rep = verify_instance(path, depths=["2"], alpha_range="1e-20:1e-4", certify=tmp_path / "certs")
    assert rep.problem == "diagonal" and rep.passed
    assert {"MS-D2", "WAH-D", "WAH-C", "BP-unique", "rho-duality"} <= _names(rep)
    rate = [v for v in rep.verdicts if v.theorem == "MS-D2 rate"]
    assert rate and rate[0].slope_predicted == "0.5"
    reasons = {n.theorem: n.reason for n in rep.not_applicable}
    assert reasons["MS-D3"] == "depth D = 2 is not > 2"
    assert "needs an instance with X, y" in reasons["MC-LB"]
    assert "kink family" in reasons["WAH-kink-constant"]
    assert len(rep.certificates) == 1
    for c in rep.certificates:
        assert checker.check_file(c).ok
    text = rep.format()
    assert "not applicable (a hypothesis fails):" in text and "MS-D3 [paper] (D = 2): depth D = 2 is not > 2" in text


def test_non_unique_instance_says_why():
    rep = verify_instance({"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]}, depths=["2"], alpha_range="1e-12:1e-4")
    reasons = {n.theorem: n.reason for n in rep.not_applicable}
    assert reasons["MS-D2"] == "x* not unique"
    assert "x* not unique" in reasons["WAH-C distance"]
    assert "MS-D2" not in _names(rep) and "WAH-D" in _names(rep)


def test_rho_zero_instance_skips_the_rate_with_its_reason():
    rep = verify_instance({"A": [[1, 0]], "y": [1]}, depths=["2"], alpha_range="1e-12:1e-4")
    reasons = [(n.theorem, n.reason) for n in rep.not_applicable]
    assert ("MS-D2 rate", "rho = 0: the D = 2 error is O(alpha)") in reasons


def test_deep_linear_instance_and_certificate(tmp_path):
    """The equality family (w* = 8 q_1 an eigenvector of Sigma): MC-LB holds with equality, certificate at L = 3."""
    data = {"X": [["6/5", "8/5"], ["-4/5", "3/5"]], "y": [16, 0]}
    rep = verify_instance(data, depths=[3], certify=tmp_path)
    assert rep.problem == "deep-linear" and rep.passed, [v for v in rep.verdicts if not v.passed]
    assert {"MC-LB", "MC-Smin", "MC-Sbal", "MC-SI", "DLN-imbalance"} <= _names(rep)
    assert any("diagonal-network statement" in n.reason for n in rep.not_applicable if n.theorem == "MS-D2")
    assert len(rep.certificates) == 1 and checker.check_file(rep.certificates[0]).ok


def test_cli_verify_instance(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(json.dumps({"A": [[1, "1/2"]], "y": [1]}))
    proc = subprocess.run([sys.executable, "-m", "implicitreg.cli", "verify", "--instance", str(path), "--depth", "2",
                           "--alpha-range", "1e-16:1e-4", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["passed"] and out["problem"] == "diagonal"
    assert any(n["theorem"] == "MS-D3" for n in out["not_applicable"])
    bad = subprocess.run([sys.executable, "-m", "implicitreg.cli", "verify", "--instance", str(path),
                          "--alpha-range", "1e-4:1e-16"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("data, exc", [
    ({"A": [[1, 2]]}, InvalidInstanceError), ({"B": 1}, InvalidInstanceError),
    ({"A": [[1]], "X": [[1]], "y": [1]}, InvalidInstanceError), ([1, 2], InvalidInstanceError),
])
def test_bad_instances(data, exc):
    with pytest.raises(exc):
        verify_instance(data, depths=["2"])


def test_bad_options():
    inst = {"A": [[1, "1/2"]], "y": [1]}
    for kwargs in (dict(alpha_range="1e-4"), dict(alpha_range="0:1e-4"), dict(alpha_range="1e-4:2"),
                   dict(depths=["1"]), dict(alpha_convention="both"), dict(depths=["5/2"], alpha_convention="factor")):
        with pytest.raises(InvalidParameterError):
            verify_instance(inst, **kwargs)


def test_alpha_grid():
    assert alpha_grid(*(pow(__import__("fractions").Fraction(10), e) for e in (-30, -4)), 7) == \
        ["1e-4", "1e-8", "1e-13", "1e-17", "1e-21", "1e-26", "1e-30"]


def test_top_level_api_with_numpy_arrays():
    import numpy as np

    import implicitreg

    rep = implicitreg.verify_instance(np.array([[1, 0.5]]), np.array([1]), depths=[2], alpha_range="1e-12:1e-4")
    assert rep.passed and any(v.theorem == "MS-D2 rate" for v in rep.verdicts)
    res = implicitreg.falsify("err_l1", "alpha**(1 - rho)/100", depth=2, family="integer", m="1:1", N="2:3",
                              budget=5, seed=1, certify=False)
    assert res.refuted and res.ratio > 1
