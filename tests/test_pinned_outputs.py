"""Outputs pinned before the issue-19 refactor (tests/data/pinned_outputs.json, made at main 3e5b5f8).

The refactor (one limit entry point, one definition of each potential, split modules) must not change any number the
CLI, ``verify`` or the certificates produce. Quantities are compared by value (exact rationals exactly, decimals to
the digits they carry), and looked up by name tolerant of renames and nesting, so that a new output schema with the
same quantities still passes while a changed number does not.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from mpmath import mpf

from implicitreg.cli import main
from implicitreg.numerics.precision import mpf_from

DATA = json.loads((Path(__file__).parent / "data" / "pinned_outputs.json").read_text())

#: old name -> names it may carry after the output-schema work (searched at any nesting depth)
ALIASES = {
    "x": ("x", "x_inf", "limit", "minimizer_selected"),
    "minimizer": ("minimizer", "x_star", "x"),
    "value": ("value", "l1_norm", "norm"),
    "unique": ("unique", "unique_bp"),
    "unique_bp": ("unique_bp", "unique"),
    "theorem": ("theorem", "statement", "name"),
    "passed": ("passed", "pass", "ok"),
    "margin": ("margin_text", "margin"),  # the suite's own margin (the schema's `margin` is observed/bound)
    "slope": ("slope", "slope_observed", "fitted_slope"),
}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+)?")


def find(obj, name):
    """The value of the first key among ``name``'s aliases, searched breadth-first through nested dicts."""
    names = ALIASES.get(name, (name,))
    level = [obj]
    while level:
        for key in names:
            for d in level:
                if isinstance(d, dict) and key in d:
                    return d[key]
        level = [v for d in level if isinstance(d, dict) for v in d.values() if isinstance(v, dict)]
    raise KeyError(name)


def as_number(value):
    """An exact Fraction for integers and 'p/q', an mpf for decimals; None for text without a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        return mpf(repr(value))
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, dict):  # a ball {"mid": .., "rad": ..} or a value with its text
        for key in ("mid", "value", "decimal"):
            if key in value:
                return as_number(value[key])
        return None
    text = str(value).strip()
    match = NUMBER.search(text)
    if not match:
        return None
    token = match.group(0)
    if re.fullmatch(r"[-+]?\d+(?:/\d+)?", token):
        return Fraction(token)
    with mpmath.workdps(60):
        return mpf(token)


def same(old, new, rel, absolute=0):
    """Equal as numbers within ``rel`` (relative) + ``absolute``; exact rationals exactly; else equal as data."""
    if isinstance(old, list):
        return isinstance(new, list) and len(old) == len(new) and all(same(a, b, rel, absolute)
                                                                      for a, b in zip(old, new))
    if isinstance(old, bool) or old is None:
        return old == new
    a, b = as_number(old), as_number(new)
    if a is None:
        return str(old) == str(new)
    if b is None:
        return False
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    with mpmath.workdps(60):
        a, b = mpf_from(a), mpf_from(b)
        return abs(a - b) <= rel * max(abs(a), abs(b)) + absolute


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


def _depth_key(depth):
    if depth is None:  # the output schema writes a missing depth as null, the old table as "-"
        return "-"
    try:
        return str(Fraction(str(depth)))
    except (ValueError, ZeroDivisionError):
        return str(depth)


def _rows(payload):
    for key in ("verdicts", "rows", "results"):
        if isinstance(payload, dict) and isinstance(payload.get(key), list):
            return payload[key]
    raise KeyError("no verdict rows in the verify output")


def _check_suite(suite):
    """Run ``implicitreg verify --json --only SUITE`` and compare every row's verdict, margin and slope."""
    buf = io.StringIO()
    from implicitreg.proofs import verify

    with contextlib.redirect_stdout(buf):
        rc = verify.main(as_json=True, only=suite, out=buf)
    assert rc == 0
    rows = _rows(json.loads(buf.getvalue()))
    old_rows = DATA["verify"][suite]
    assert len(rows) == len(old_rows)

    def key(row):
        return str(find(row, "theorem")), str(row["instance"]), _depth_key(row["depth"])

    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    for old in old_rows:
        new = groups[key(old)].pop(0)
        assert bool(find(new, "passed")) is old["passed"], key(old)
        for name in ("margin", "slope"):
            if as_number(old[name]) is not None:
                assert same(old[name], find(new, name), rel=mpf("1e-3"), absolute=mpf("1e-6")), (key(old), name)


@pytest.mark.parametrize("suite", ["basis_pursuit", "selection", "diagonal"])
def test_verify_rows_unchanged(suite):
    _check_suite(suite)


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
