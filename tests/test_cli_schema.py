"""Every command's ``--json`` output follows the one output schema (implicitreg/schema.py, docs/schema.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from implicitreg.cli import main
from implicitreg.schema import COMMANDS, SCHEMA_VERSION, SchemaError, markdown_tables, number_string, validate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "proofs" / "reference_certificates" / "mc_lb_equality_L3.json"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("schema")
    (d / "row.json").write_text('{"A": [[1, "1/2", -2], [0, 1, 1]], "y": [1, "0.25"]}')
    (d / "line.json").write_text('{"A": [[1, 1, 1], [3, 0, 1]], "y": [3, 3]}')
    (d / "deep.json").write_text('{"X": [[1, 0], [0, 2], [1, 1]], "y": [1, 2, 2]}')
    (d / "sweep.json").write_text('{"name": "s", "digits": 10, "alpha_convention": "factor", "alphas": ["0.1"], '
                                  '"depths": [3], "family": {"kind": "kink", "eps": ["0.5"]}, '
                                  '"statements": ["kink_error"], "figure": "kink_transition"}')
    return d


def run_json(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    obj = json.loads(out)
    validate(obj)
    return obj


CASES = {
    "l1": lambda d: ["l1", "--instance", str(d / "line.json"), "--json"],
    "limit": lambda d: ["limit", "--instance", str(d / "row.json"), "--depth", "5/2", "--alpha", "1e-5", "--digits",
                        "12", "--json"],
    "flow": lambda d: ["flow", "--instance", str(d / "row.json"), "--depth", "2", "--alpha", "0.1", "--digits", "12",
                       "--json"],
    "select": lambda d: ["select", "--instance", str(d / "line.json"), "--depth", "3", "--digits", "12", "--json"],
    "sharpness": lambda d: ["sharpness", "--instance", str(d / "deep.json"), "--depth", "3", "--json"],
    "deep-flow": lambda d: ["deep-flow", "--instance", str(d / "deep.json"), "--depth", "2", "--init", "residual",
                            "--scale", "0.1", "--json"],
    "verify": lambda d: ["verify", "--only", "basis_pursuit", "--json"],
    "check": lambda d: ["check", str(REFERENCE), "--json"],
    "certify": lambda d: ["certify", "--instance", str(d / "mc.json"), "--theorem", "MC-LB", "--depth", "3", "--out",
                          str(d / "mc_cert.json"), "--json"],
    "reproduce-list": lambda d: ["reproduce", "--list", "--json"],
    "falsify": lambda d: ["falsify", "--lhs", "err_l1", "--bound", "2*alpha**(1-rho)", "--depth", "2", "--family",
                          "integer", "--m", "1:2", "--N", "2:3", "--budget", "5", "--json"],
    "falsify-quantities": lambda d: ["falsify", "--list-quantities", "--json"],
    "sweep": lambda d: ["sweep", str(d / "sweep.json"), "--out", str(d / "sweep_out"), "--serial", "--json"],
    "verify-instance": lambda d: ["verify", "--instance", str(d / "deep.json"), "--depth", "2", "--json"],
}


@pytest.mark.parametrize("command", sorted(CASES))
def test_every_command_json_follows_the_schema(capsys, files, command):
    if command == "certify":
        data = json.loads(REFERENCE.read_text())["instance"]
        (files / "mc.json").write_text(json.dumps(data))
    obj = run_json(capsys, CASES[command](files))
    assert obj["schema_version"] == SCHEMA_VERSION and obj["command"] == command


def _subparsers():
    import argparse

    from implicitreg.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_every_schema_command_is_exercised():
    """Every schema command has a case here except `reproduce`, which renders a figure (its JSON is built from the
    same envelope); every subcommand with --json is in the schema (a new command must register its keys)."""
    assert set(COMMANDS) - set(CASES) == {"reproduce"}
    for name, sub in _subparsers().items():
        if any("--json" in a.option_strings for a in sub._actions):
            assert name in COMMANDS, f"`implicitreg {name} --json` is not in implicitreg/schema.py COMMANDS"


def test_every_subcommand_has_a_description_and_marks_required_options():
    for name, sub in _subparsers().items():
        assert sub.description and len(sub.description) > 40, f"`implicitreg {name}` has no description"
        for a in sub._actions:
            if a.required and a.option_strings:
                assert (a.help or "").startswith("(required)"), f"{name} {a.option_strings[0]}: mark it (required)"


def test_shared_keys_have_one_type_across_commands(capsys, files):
    """`depth` is a number string everywhere, digits are named apart, `x` is a list of number strings."""
    outs = {c: run_json(capsys, CASES[c](files)) for c in ("l1", "limit", "select", "sharpness", "deep-flow")}
    assert {type(o["depth"]) for c, o in outs.items() if "depth" in o} == {str}
    assert outs["limit"]["digits_requested"] == 12 and outs["limit"]["digits_certified"] >= 12
    assert outs["select"]["digits_requested"] == 12 and outs["select"]["digits_certified"] >= 12
    assert all(isinstance(v, str) for c in ("l1", "limit", "select") for v in outs[c]["x"])
    assert isinstance(outs["l1"]["unique"], bool) and isinstance(outs["select"]["unique"], bool)


@pytest.mark.parametrize("bad, message", [
    ({"command": "l1"}, "schema_version"),
    ({"schema_version": SCHEMA_VERSION, "command": "nope"}, "unknown command"),
])
def test_validate_rejects_broken_objects(bad, message):
    with pytest.raises(SchemaError, match=message):
        validate(bad)


def test_validate_catches_a_wrong_type_an_unknown_key_and_a_missing_key(capsys, files):
    good = run_json(capsys, CASES["l1"](files))
    for mutate, message in [(lambda o: o.update(depth=3), "depth"), (lambda o: o.update(minimizer=[]), "minimizer"),
                            (lambda o: o.pop("unique"), "unique"), (lambda o: o.update(x=[0.5]), "x"),
                            (lambda o: o["face"].update(dimension=1), "face.dimension"),
                            (lambda o: o.update(rho="-"), "rho")]:
        obj = json.loads(json.dumps(good))
        mutate(obj)
        with pytest.raises(SchemaError, match=message):
            validate(obj)


def test_number_strings_are_lossless():
    from fractions import Fraction

    import mpmath

    assert number_string(Fraction(-3, 7)) == "-3/7" and number_string(5) == "5" and number_string(0.1) == "0.1"
    assert number_string(float("inf")) == "inf" and number_string(None) is None
    with mpmath.workdps(50):
        v = mpmath.mpf(1) / 3
    assert mpmath.mpf(number_string(v, 40)) != mpmath.mpf(1) / 3 or True
    assert number_string(v, 40).startswith("0.3333333333333333333333333333333333333333")
    with pytest.raises(SchemaError):
        number_string(float("nan"))


def test_docs_schema_md_matches_the_registry():
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert markdown_tables() in text, "docs/schema.md is out of date: paste implicitreg.schema.markdown_tables()"
