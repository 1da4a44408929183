"""Outputs pinned before the issue-19 refactor (tests/data/pinned_outputs.json, made at main 3e5b5f8).

The refactor (one limit entry point, one definition of each potential, split modules) must not change any number the
CLI, ``verify`` or the certificates produce. Quantities are compared by value (exact rationals exactly, decimals to
the digits they carry), and looked up by name tolerant of renames and nesting, so that a new output schema with the
same quantities still passes while a changed number does not (the comparison: tests/pintools.py). The rows of
the three fast ``verify`` suites are compared in tests/test_suites_run.py, which runs each suite once.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from mpmath import mpf

from implicitreg.cli import main
from pintools import DATA, check_verify_rows, find, same


def significant(text) -> int:
    """Significant digits a decimal string carries (exact rationals: effectively infinite)."""
    text = str(text)
    if re.fullmatch(r"[-+]?\d+(?:/\d+)?", text):
        return 60
    mantissa = text.lower().split("e")[0].replace("-", "").replace("+", "").replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


def run_json(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    assert rc == 0, argv
    return json.loads(buf.getvalue())


@pytest.fixture(scope="module")
def instance_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("pinned")
    paths = {}
    for name, obj in DATA["instances"].items():
        paths[name] = root / f"{name}.json"
        paths[name].write_text(json.dumps(obj))
    return paths


@pytest.mark.parametrize("case", DATA["cli"], ids=lambda c: f"{c['command']}-{c['instance']}-{'_'.join(c['args'])}")
def test_cli_quantities_unchanged(case, instance_files):
    obj = run_json([case["command"], "--instance", str(instance_files[case["instance"]]), *case["args"], "--json"])
    for name, old in case["quantities"].items():
        new = find(obj, name)
        # a decimal printed with k significant digits is pinned to within a few units of its last digit
        k = min(significant(v) for v in (old if isinstance(old, list) else [old])) if old is not None else 60
        rel = mpf(10) ** (-(k - 2))
        assert same(old, new, rel), (name, old, new)


@pytest.mark.parametrize("case", DATA["cli_trajectories"],
                         ids=lambda c: f"{c['command']}-{c['instance']}-{'_'.join(c['args'])}")
def test_trajectory_commands_unchanged(case, instance_files):
    """``flow`` at a finite time and ``deep-flow`` (flow and descent): the numbers within the integrators' accuracy."""
    obj = run_json([case["command"], "--instance", str(instance_files[case["instance"]]), *case["args"], "--json"])
    for name, old in case["quantities"].items():
        assert same(old, find(obj, name), mpf(case["rel"])), (name, old, find(obj, name))


@pytest.mark.slow
@pytest.mark.parametrize("pinned", DATA["reproduce"], ids=lambda c: c["figure"])
def test_reproduce_observed_points_unchanged(pinned, tmp_path):
    """``reproduce``: every measured point of the pinned figure that the figure still draws (same panel, series and
    x) has the same value. The figure's grids changed by design after the pin, so only shared points compare; most
    pinned points must still be drawn (the comparison is not vacuous)."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["reproduce", pinned["figure"], *pinned["args"], "--out", str(tmp_path)]) == 0
    curves = json.loads((tmp_path / f"{pinned['figure']}.json").read_text())["curves"]
    drawn = {(c["panel"], c["label"]): dict(zip(map(float, c["x"]), c["y"])) for c in curves}
    compared = total = 0
    for old in pinned["observed"]:
        new = drawn[(old["panel"], old["label"])]
        for x, y in zip(old["x"], old["y"]):
            total += 1
            if float(x) in new:
                compared += 1
                assert same(y, new[float(x)], mpf("1e-12")), (old["label"], x, y, new[float(x)])
    assert compared >= total / 2, (compared, total)


def _check_suite(suite):
    """Run ``implicitreg verify --json --only SUITE`` and compare every row's verdict, margin and slope."""
    buf = io.StringIO()
    from implicitreg.proofs import verify

    with contextlib.redirect_stdout(buf):
        rc = verify.main(as_json=True, only=suite, out=buf)
    assert rc == 0
    check_verify_rows(json.loads(buf.getvalue()), suite)



@pytest.mark.slow
def test_verify_deep_linear_rows_unchanged():
    _check_suite("deep_linear")


@pytest.mark.parametrize("pinned", DATA["certificates"], ids=lambda c: c["stem"])
def test_certificates_unchanged_and_checked(pinned, instance_files, tmp_path):
    out = tmp_path / f"{pinned['stem']}.json"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["certify", "--instance", str(instance_files[pinned["instance"]]), "--theorem", pinned["theorem"],
                   "--depth", pinned["depth"], "--alpha", *pinned["alphas"], "--no-symbolic", "--out", str(out)])
    assert rc == 0
    cert = json.loads(out.read_text())
    points = find(cert, "points")
    assert len(points) == len(pinned["points"])
    for old, new in zip(pinned["points"], points):
        assert same(old["alpha"], new["alpha"], 0)
        # the certified balls carry ~30 digits: pin 25
        assert same(old["x_inf"], [e["mid"] if isinstance(e, dict) else e for e in new["x_inf"]], rel=mpf("1e-25"), absolute=mpf("1e-60"))
        # every error the certificate still states (the producer may drop a norm whose bound is undecided)
        shared = old["errors"].keys() & new["errors"].keys()
        assert shared
        for norm in shared:
            assert same(old["errors"][norm], new["errors"][norm], rel=mpf("1e-20"))
    # the standalone checker accepts what was written, and the shipped reference certificate
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["check", str(out)]) == 0
    # (without its SymPy limit section, whose limits take seconds: rehashed)
    from implicitreg.proofs.checker.check import content_hash

    reference = Path(__file__).parents[1] / "proofs" / "reference_certificates" / f"{pinned['stem']}.json"
    ref = {k: v for k, v in json.loads(reference.read_text()).items() if k != "limit"}
    ref["sha256"] = content_hash(ref)
    numeric_ref = tmp_path / "reference_numeric.json"
    numeric_ref.write_text(json.dumps(ref))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["check", str(numeric_ref)]) == 0


def test_the_comparison_catches_a_changed_number():
    """The pinning can fail: a value off in its last pinned digit, a flipped verdict, a changed rational."""
    assert same("0.3088235294117647058823529", "0.3088235294117647058823529", mpf("1e-23"))
    assert not same("0.3088235294117647058823529", "0.3088235294117647058823629", mpf("1e-23"))
    assert not same("7/17", "7/18", 0) and same("7/17", Fraction(7, 17), 0)
    assert not same(True, False, 0)
    assert not same(["1", "0"], ["1"], 0)
    assert find({"a": {"unique_bp": True}}, "unique") is True
