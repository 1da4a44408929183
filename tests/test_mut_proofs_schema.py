"""Direct tests of the independent checker's schema (proofs/checker/schema.py), written for the ``checker-schema``
mutation target: every spec constructor on both sides of each of its limits, the exact field path and message a
user reads, and the choice between the two deep-linear forms. Expected values come from the module's documented
limits (docs/certificates.md "Budgets"; the constants' comments) and are written out by hand.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from implicitreg.proofs.checker import schema as S
from implicitreg.proofs.checker.interval import CheckFailure

REF = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates"


def refusal(spec, value, field="f"):
    with pytest.raises(S.SchemaError) as info:
        spec(value, field)
    return info.value.field, info.value.message


def test_schema_error_is_a_check_failure_with_field_and_message():
    e = S.SchemaError("a.b", "bad")
    assert isinstance(e, CheckFailure) and (e.field, e.message) == ("a.b", "bad")


def test_text_length_inclusive_printable_and_type():
    spec = S.text(5)
    assert spec("abcde", "t") is None and spec("", "t") is None
    assert refusal(spec, "abcdef", "t") == ("t", "text of 6 characters (limit 5)")
    assert refusal(spec, "ab\ncd", "t") == ("t", "text with control or unpaired surrogate characters")
    assert refusal(spec, "\ud800", "t") == ("t", "text with control or unpaired surrogate characters")
    assert refusal(spec, 5, "t") == ("t", "expected text, got an integer")
    assert refusal(spec, None, "t") == ("t", "expected text, got null")
    # the default limit is 400 characters
    S.text()("x" * 400, "t")
    assert refusal(S.text(), "x" * 401, "t") == ("t", "text of 401 characters (limit 400)")


def test_number_is_an_exact_string_within_the_number_limits():
    S.number("-12/7", "n")
    S.number("1.5e-3", "n")
    assert refusal(S.number, 1, "n") == ("n", "expected an exact number as a string, got an integer")
    assert refusal(S.number, 1.5, "n") == ("n", "expected an exact number as a string, got float")
    field, message = refusal(S.number, "1" * 121, "n")
    assert field == "n" and "121" in message and "120" in message
    field, message = refusal(S.number, "1e401", "n")
    assert field == "n" and "400" in message
    S.number("1e400", "n")
    assert refusal(S.number, "pi", "n")[0] == "n"


def test_integer_bounds_are_inclusive_and_booleans_are_not_integers():
    spec = S.integer(2, 5)
    for ok in (2, 5):
        assert spec(ok, "i") is None
    assert refusal(spec, 1, "i") == ("i", "1 is outside [2, 5]")
    assert refusal(spec, 6, "i") == ("i", "6 is outside [2, 5]")
    assert refusal(spec, True, "i") == ("i", "expected an integer, got a boolean")
    assert refusal(spec, "3", "i") == ("i", "expected an integer, got text")
    assert refusal(spec, 3.0, "i") == ("i", "expected an integer, got float")


def test_one_of_compares_the_value_and_its_type():
    spec = S.one_of(1, -1)
    spec(1, "s")
    spec(-1, "s")
    assert refusal(spec, 0, "s") == ("s", "must be one of (1, -1), got 0")
    assert refusal(spec, True, "s") == ("s", "must be one of (1, -1), got True")
    assert refusal(spec, 1.0, "s") == ("s", "must be one of (1, -1), got float")
    assert refusal(spec, [1], "s") == ("s", "must be one of (1, -1), got a list")
    words = S.one_of("upper", "lower")
    words("lower", "w")
    assert refusal(words, "x" * 60, "w") == ("w", "must be one of ('upper', 'lower'), got " + repr("x" * 60)[:40])


def test_array_length_inclusive_and_items_named_by_index():
    spec = S.array(S.integer(0, 9), 2, 3)
    spec([0, 9], "a")
    spec([1, 2, 3], "a")
    assert refusal(spec, [1], "a") == ("a", "1 entries (allowed 2 to 3)")
    assert refusal(spec, [1, 2, 3, 4], "a") == ("a", "4 entries (allowed 2 to 3)")
    assert refusal(spec, [1, 10], "a") == ("a[1]", "10 is outside [0, 9]")
    assert refusal(spec, (1, 2), "a") == ("a", "expected a list, got tuple")
    assert refusal(spec, {"0": 1}, "a") == ("a", "expected a list, got an object")


def test_obj_required_optional_unknown_and_nested_paths():
    spec = S.obj({"a": S.integer(0, 1)}, {"b": S.text(3)})
    spec({"a": 0}, "o")
    spec({"a": 1, "b": "xyz"}, "o")
    assert refusal(spec, {}, "o") == ("o.a", "missing field")
    assert refusal(spec, {"a": 0, "c": 1}, "o") == ("o.c", "unknown field (not part of the format)")
    assert refusal(spec, {"a": 2}, "o") == ("o.a", "2 is outside [0, 1]")
    assert refusal(spec, {"a": 0, "b": "long"}, "o") == ("o.b", "text of 4 characters (limit 3)")
    assert refusal(spec, [], "o") == ("o", "expected an object, got a list")
    # at the top level the path has no leading dot, and a non-object is named "(top level)"
    assert refusal(spec, {"a": 0, "z": 1}, "") == ("z", "unknown field (not part of the format)")
    assert refusal(spec, "x", "") == ("(top level)", "expected an object, got text")
    # without optional fields every extra key is unknown
    assert refusal(S.obj({"a": S.integer(0, 1)}), {"a": 0, "b": "x"}, "") == ("b", "unknown field (not part of the "
                                                                                 "format)")


def test_hexdigest_is_64_lowercase_hex_digits():
    S.hexdigest("0123456789abcdef" * 4, "h")
    for bad in ("0123456789abcdef" * 4 + "0", ("0123456789abcdef" * 4)[:63], "0123456789ABCDEF" * 4,
                "g" * 64, 5):
        assert refusal(S.hexdigest, bad, "sha256") == ("sha256", "expected a 64-digit lowercase hex SHA-256")


def test_type_names():
    assert [S._type(v) for v in ({}, [], "", True, 1, None, 1.5)] == [
        "an object", "a list", "text", "a boolean", "an integer", "null", "float"]
    assert S._join("", "k") == "k" and S._join("a.b", "k") == "a.b.k"


def test_the_minimizer_needs_two_to_64_layers_and_at_most_4000_characters():
    layer = [["1"]]
    S._minimizer([layer, layer], "minimizer")
    S._minimizer([layer] * 64, "minimizer")
    assert refusal(S._minimizer, [layer] * 65, "minimizer") == ("minimizer", "65 entries (allowed 2 to 64)")
    assert refusal(S._minimizer, [layer], "minimizer") == ("minimizer", "1 entries (allowed 2 to 64)")
    full = [["1" * 100] * 8 for _ in range(5)]              # 5 x 8 entries of 100 characters: 4000
    short = copy.deepcopy(full)
    short[0][0] = "1" * 99                                  # 3999
    S._minimizer([short, [["1"]]], "minimizer")             # 4000 in all: allowed
    assert refusal(S._minimizer, [full, [["1"]]], "minimizer") == (
        "minimizer", "4001 characters of exact entries (limit 4000)")
    assert refusal(S._minimizer, [[["1"] * 9], [["1"]]], "minimizer") == ("minimizer[0][0]",
                                                                          "9 entries (allowed 1 to 8)")


def _ref(name):
    return json.loads((REF / f"{name}.json").read_text(encoding="utf-8"))


def test_the_deep_linear_form_is_chosen_by_its_minimizer_field():
    exact, balanced = S.DEEP_LINEAR, S.DEEP_LINEAR_BALANCED
    assert S._deep_schema({"minimizer": []}) is exact
    assert S._deep_schema({"balanced_minimizer": {}}) is balanced
    assert S._deep_schema({"balanced_minimizer": {}, "minimizer": []}) is balanced
    assert S._deep_schema({"margin": {}}) is balanced
    assert S._deep_schema({"margin": {}, "minimizer": []}) is exact
    assert S._deep_schema({}) is exact


def test_validate_dispatches_on_the_kind():
    assert refusal(lambda v, f: S.validate(v), []) == ("(top level)", "a certificate is a JSON object")
    assert refusal(lambda v, f: S.validate(v), {"kind": "other"}) == (
        "kind", "unknown kind 'other' (expected 'diagonal' or 'deep-linear')")
    assert refusal(lambda v, f: S.validate(v), {"kind": ["diagonal"]}) == (
        "kind", "unknown kind a list (expected 'diagonal' or 'deep-linear')")
    assert refusal(lambda v, f: S.validate(v), {}) == ("kind", "unknown kind null (expected 'diagonal' or "
                                                        "'deep-linear')")
    # a diagonal certificate is read against the diagonal schema, a deep-linear one against its own
    diag = _ref("ms_d2_row_r1_2")
    S.validate(diag)
    deep = _ref("mc_lb_equality_L3")
    S.validate(deep)
    assert refusal(lambda v, f: S.validate(v), dict(copy.deepcopy(diag), kind="deep-linear"))[0] in (
        "instance.X", "L", "loss", "w_star", "sharpness", "bound", "ratio", "minimizer", "points", "depth",
        "alpha_convention", "basis_pursuit", "rho", "bounds", "kind", "instance.A")
    assert refusal(lambda v, f: S.validate(v), dict(copy.deepcopy(deep), kind="diagonal"))[1] in (
        "missing field", "unknown field (not part of the format)")


# --- every documented size limit of the module-level schemas, both sides (docs/certificates.md "Format") ----------

def _set(cert, path, value):
    cert = copy.deepcopy(cert)
    node = cert
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return cert


def _field(path):
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out


BALL = {"mid": "1", "rad": "0"}
LIMITS = [
    # (reference, path, value at the limit, value past it, message of the refusal)
    ("ms_d2_row_r1_2", ("instance", "A"), [["1"] * 40] * 8, [["1"] * 40] * 9, "9 entries (allowed 1 to 8)"),
    ("ms_d2_row_r1_2", ("instance", "A", 0), ["1"] * 40, ["1"] * 41, "41 entries (allowed 1 to 40)"),
    ("ms_d2_row_r1_2", ("instance", "y"), ["1"] * 8, ["1"] * 9, "9 entries (allowed 1 to 8)"),
    ("ms_d2_row_r1_2", ("rho", "support"), [39], [40], "40 is outside [0, 39]"),
    ("ms_d2_row_r1_2", ("rho", "support"), [0], [-1], "-1 is outside [0, 39]"),
    ("ms_d2_row_r1_2", ("basis_pursuit", "x_star"), ["0"] * 40, ["0"] * 41, "41 entries (allowed 1 to 40)"),
    ("ms_d2_row_r1_2", ("basis_pursuit", "lambda"), ["0"] * 8, ["0"] * 9, "9 entries (allowed 1 to 8)"),
    ("ms_d2_row_r1_2", ("points", 0, "nu"), [BALL] * 8, [BALL] * 9, "9 entries (allowed 1 to 8)"),
    ("ms_d2_row_r1_2", ("points", 0, "x_inf"), [BALL] * 40, [BALL] * 41, "41 entries (allowed 1 to 40)"),
    ("ms_d2_row_r1_2", ("alpha_convention",), "factor", "per-factor", "must be one of ('product', 'factor'), got "
                                                                    "'per-factor'"),
    ("ms_d2_row_r1_2", ("bounds", 0, "side"), "limit", "equal", "must be one of ('upper', 'lower', 'limit'), got "
                                                              "'equal'"),
    ("ms_d2_row_r1_2", ("bounds", 0, "norm"), "linf", "l3", "must be one of ('l1', 'l2', 'linf'), got 'l3'"),
    ("ms_d2_row_r1_2", ("bounds", 0, "name"), "n" * 80, "n" * 81, "text of 81 characters (limit 80)"),
    ("ms_d2_row_r1_2", ("theorem", "claim"), "c" * 1200, "c" * 1201, "text of 1201 characters (limit 1200)"),
    ("ms_d2_row_r1_2", ("theorem", "provenance", "source"), "s" * 600, "s" * 601,
     "text of 601 characters (limit 600)"),
    ("ms_d2_row_r1_2", ("theorem", "provenance", "kind"), "conjecture", "folklore",
     "must be one of ('paper', 'derived', 'standard', 'reconstructed', 'conjecture'), got 'folklore'"),
    ("ms_d2_row_r1_2", ("theorem", "name"), "kink", "MC-LB", "must be one of ('MS-D2', 'MS-D3', 'kink'), got 'MC-LB'"),
    ("ms_d2_row_r1_2", ("tool", "version"), "v" * 40, "v" * 41, "text of 41 characters (limit 40)"),
    ("ms_d2_row_r1_2", ("limit", "bound"), 5, 6, "6 is outside [0, 5]"),
    ("ms_d2_row_r1_2", ("limit", "steps", 0, "method"), "identity", "guess",
     "must be one of ('identity', 'limit'), got 'guess'"),
    ("ms_d2_row_r1_2", ("points", 0, "bounds", 0, "equality"), "identity in nu", "close",
     "must be one of ('identity in nu',), got 'close'"),
    ("mc_lb_equality_L3", ("L",), 64, 65, "65 is outside [2, 64]"),
    ("mc_lb_equality_L3", ("L",), 2, 1, "1 is outside [2, 64]"),
    ("mc_lb_equality_L3", ("instance", "X"), [["1"]] * 64, [["1"]] * 65, "65 entries (allowed 1 to 64)"),
    ("mc_lb_equality_L3", ("instance", "X", 0), ["1"] * 8, ["1"] * 9, "9 entries (allowed 1 to 8)"),
    ("mc_lb_equality_L3", ("w_star",), ["1"] * 8, ["1"] * 9, "9 entries (allowed 1 to 8)"),
    ("mc_lb_equality_L3", ("theorem", "name"), "MC-LB", "MS-D2", "must be one of ('MC-LB',), got 'MS-D2'"),
    ("mc_lb_ordinary_L3", ("balanced_minimizer", "factors", 1), [[BALL]], [[BALL], [BALL]],
     "2 entries (allowed 1 to 1)"),
]


@pytest.mark.parametrize("name, path, ok, bad, message", LIMITS, ids=[f"{r[0]}:{_field(r[1])}:{r[4][:12]}"
                                                                     for r in LIMITS])
def test_each_documented_limit_on_both_sides(name, path, ok, bad, message):
    cert = _ref(name)
    if path[0] == "limit" and "limit" not in cert:
        pytest.skip("no limit section")
    S.validate(_set(cert, path, ok))
    with pytest.raises(S.SchemaError) as info:
        S.validate(_set(cert, path, bad))
    e = info.value
    where = _field(path)
    assert e.message == message and (e.field == where or e.field.startswith(where + "[")), (e.field, e.message)


def test_the_loss_convention_and_the_balanced_form_are_fixed_texts():
    assert S.LOSS == "R(W) = (1/n) ||y - X W_L ... W_1||^2 (no factor 1/2)"
    for name, path in (("mc_lb_equality_L3", ("loss",)), ("mc_lb_ordinary_L3", ("loss",)),
                       ("mc_lb_ordinary_L3", ("balanced_minimizer", "form"))):
        cert = _ref(name)
        S.validate(cert)
        value = cert
        for k in path:
            value = value[k]
        with pytest.raises(S.SchemaError) as info:
            S.validate(_set(cert, path, value.replace("1/n", "1/2n") if "1/n" in value else value + " "))
        assert info.value.field == ".".join(path) and info.value.message.startswith("must be one of (")


def test_the_header_fields_and_their_limits():
    """The header of every certificate (built at import for the module-level schemas, so checked here directly):
    exactly the fields format, kind, sha256, theorem (name, title <= 300, claim <= 1200, provenance), tool (name,
    version <= 40, checker_dps in [15, 400]); the names and fixed texts of docs/certificates.md "Format"."""
    head = S._header("diagonal", ("MS-D2", "kink"))
    assert sorted(head) == ["format", "kind", "sha256", "theorem", "tool"]
    digest = "0123456789abcdef" * 4
    prov = {"kind": "derived", "source": "s"}
    theorem = {"name": "MS-D2", "title": "t", "claim": "c", "provenance": prov}
    tool = {"name": "implicitreg", "version": "1.0", "checker_dps": 30}
    good = {"format": "implicitreg-certificate/1", "kind": "diagonal", "sha256": digest, "theorem": theorem,
            "tool": tool}
    spec = S.obj(head)
    spec(good, "")
    for key, value in good.items():
        head[key](value, key)                                  # each field's own spec accepts the genuine value
    assert refusal(spec, dict(good, format="implicitreg-certificate/2"), "") == (
        "format", "must be one of ('implicitreg-certificate/1',), got 'implicitreg-certificate/2'")
    assert refusal(spec, dict(good, kind="deep-linear"), "") == (
        "kind", "must be one of ('diagonal',), got 'deep-linear'")
    assert refusal(spec, dict(good, sha256=digest.upper()), "") == (
        "sha256", "expected a 64-digit lowercase hex SHA-256")
    assert refusal(spec, {k: v for k, v in good.items() if k != "sha256"}, "") == ("sha256", "missing field")
    # theorem: the name among the given ones, title <= 300, claim <= 1200, a provenance, nothing else
    for name in ("MS-D2", "kink"):
        spec(dict(good, theorem=dict(theorem, name=name)), "")
    assert refusal(spec, dict(good, theorem=dict(theorem, name="MS-D3")), "") == (
        "theorem.name", "must be one of ('MS-D2', 'kink'), got 'MS-D3'")
    spec(dict(good, theorem=dict(theorem, title="t" * 300, claim="c" * 1200)), "")
    assert refusal(spec, dict(good, theorem=dict(theorem, title="t" * 301)), "") == (
        "theorem.title", "text of 301 characters (limit 300)")
    assert refusal(spec, dict(good, theorem=dict(theorem, claim="c" * 1201)), "") == (
        "theorem.claim", "text of 1201 characters (limit 1200)")
    for key in ("name", "title", "claim", "provenance"):
        assert refusal(spec, dict(good, theorem={k: v for k, v in theorem.items() if k != key}), "") == (
            f"theorem.{key}", "missing field")
    assert refusal(spec, dict(good, theorem=dict(theorem, provenance={"kind": "folklore", "source": "s"})), "") == (
        "theorem.provenance.kind",
        "must be one of ('paper', 'derived', 'standard', 'reconstructed', 'conjecture'), got 'folklore'")
    assert refusal(spec, dict(good, theorem=dict(theorem, extra="x")), "") == (
        "theorem.extra", "unknown field (not part of the format)")
    # tool: name implicitreg, version <= 40, checker_dps in [15, 400] (both ends allowed), nothing else
    assert refusal(spec, dict(good, tool=dict(tool, name="other")), "") == (
        "tool.name", "must be one of ('implicitreg',), got 'other'")
    spec(dict(good, tool=dict(tool, version="v" * 40)), "")
    assert refusal(spec, dict(good, tool=dict(tool, version="v" * 41)), "") == (
        "tool.version", "text of 41 characters (limit 40)")
    for dps in (15, 400):
        spec(dict(good, tool=dict(tool, checker_dps=dps)), "")
    for dps in (14, 401):
        assert refusal(spec, dict(good, tool=dict(tool, checker_dps=dps)), "") == (
            "tool.checker_dps", f"{dps} is outside [15, 400]")
    for key in ("name", "version", "checker_dps"):
        assert refusal(spec, dict(good, tool={k: v for k, v in tool.items() if k != key}), "") == (
            f"tool.{key}", "missing field")
    assert refusal(spec, dict(good, tool=dict(tool, extra=1)), "") == ("tool.extra",
                                                                       "unknown field (not part of the format)")


def test_hexdigest_refuses_every_character_outside_0_9_a_f():
    for c in "XgG-_ :x":
        assert refusal(S.hexdigest, c * 64, "sha256") == ("sha256", "expected a 64-digit lowercase hex SHA-256")
    S.hexdigest("f" * 64, "sha256")


def test_an_unknown_kind_is_shown_in_at_most_40_characters():
    assert refusal(lambda v, f: S.validate(v), {"kind": "x" * 60}) == (
        "kind", "unknown kind 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (expected 'diagonal' or 'deep-linear')")
    assert refusal(lambda v, f: S.validate(v), {"kind": 12345}) == (
        "kind", "unknown kind 12345 (expected 'diagonal' or 'deep-linear')")
