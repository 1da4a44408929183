"""The checker's reading side at its exact limits (issue 13, hardening): jsonread's size / nesting / string / bare
value limits, the schema's type, length and number limits, and ``python -m checker``'s exit codes and summary.

Every limit is tested on both sides of its documented boundary (docs/certificates.md "Budgets", the constants of
proofs/checker/jsonread.py and schema.py); expected outcomes come from the documented limits, not from the code.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from implicitreg.proofs.checker import check, schema
from implicitreg.proofs.checker.interval import CheckFailure
from implicitreg.proofs.checker.jsonread import InputError, loads

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "proofs" / "reference_certificates"


def ref(name):
    return json.loads((REF / f"{name}.json").read_text(encoding="utf-8"))


def rehash(cert):
    cert = dict(cert)
    cert["sha256"] = check.content_hash(cert)
    return cert


# --- jsonread: each documented limit, both sides ------------------------------------------------------------

def nested(depth):
    return "[" * depth + "]" * depth


def test_nesting_16_is_read_17_is_refused():
    assert loads(nested(16)) == eval(nested(16))  # noqa: S307 - a literal of brackets only
    with pytest.raises(InputError, match="nesting deeper than 16 levels"):
        loads(nested(17))
    # objects count too
    assert loads('{"a":' * 16 + "1" + "}" * 16) is not None
    with pytest.raises(InputError, match="nesting deeper than 16"):
        loads('{"a":' * 17 + "1" + "}" * 17)


def test_a_string_of_8000_characters_is_read_8001_is_refused():
    assert loads(json.dumps({"x": "a" * 8000})) == {"x": "a" * 8000}
    with pytest.raises(InputError, match=r"a string of 8001 characters at offset 6 \(limit 8000\)"):
        loads(json.dumps({"x": "a" * 8001}))
    # escapes count as written (2 characters each)
    assert loads('["' + "\\n" * 4000 + '"]') == ["\n" * 4000]
    with pytest.raises(InputError, match="a string of 8002 characters"):
        loads('["' + "\\n" * 4001 + '"]')


def test_an_unterminated_long_string_is_refused_by_the_string_limit():
    with pytest.raises(InputError, match="a string of more than 8000 characters"):
        loads('{"x": "' + "a" * 8001)
    with pytest.raises(InputError, match="not valid JSON"):
        loads('{"x": "' + "a" * 8000)


def test_a_bare_value_of_12_characters_is_read_13_is_refused():
    assert loads("[123456789012]") == [123456789012]
    with pytest.raises(InputError, match="a bare value longer than 12 characters at offset 1"):
        loads("[1234567890123]")


def test_file_size_limit_is_512_kib_for_bytes_and_text():
    from implicitreg.proofs.checker.jsonread import MAX_FILE_BYTES

    assert MAX_FILE_BYTES == 512 * 1024
    exact = "[]" + " " * (MAX_FILE_BYTES - 2)
    assert loads(exact) == [] and loads(exact.encode()) == []
    with pytest.raises(InputError, match=f"^.*{MAX_FILE_BYTES + 1} bytes \\(limit {MAX_FILE_BYTES}\\)"):
        loads((exact + " ").encode())
    with pytest.raises(InputError, match=f"{MAX_FILE_BYTES + 1} characters \\(limit {MAX_FILE_BYTES}\\)"):
        loads(exact + " ")


def test_duplicate_keys_and_non_text_input_are_refused():
    with pytest.raises(InputError, match="duplicate key 'a'"):
        loads('{"a": "1", "a": "2"}')
    with pytest.raises(InputError, match="expected bytes or text, got int"):
        loads(5)
    with pytest.raises(InputError, match=r"not UTF-8 \(byte 2\)"):
        loads(b'["\xff"]')


# --- schema: types, lengths, number limits ------------------------------------------------------------------

def schema_field(cert):
    with pytest.raises(schema.SchemaError) as info:
        schema.validate(cert)
    return info.value


def test_reference_certificates_pass_the_schema():
    for p in sorted(REF.glob("*.json")):
        schema.validate(json.loads(p.read_text(encoding="utf-8")))


def test_a_boolean_is_not_an_integer_nor_a_sign():
    cert = ref("ms_d2_row_r1_2")
    c = copy.deepcopy(cert)
    c["tool"]["checker_dps"] = True
    e = schema_field(c)
    assert e.field == "tool.checker_dps" and "expected an integer, got a boolean" in e.message
    c = copy.deepcopy(cert)
    c["rho"]["signs"] = [True] * len(c["rho"]["signs"])
    e = schema_field(c)
    assert e.field == "rho.signs[0]" and "must be one of (1, -1), got True" in e.message
    c = copy.deepcopy(cert)
    c["rho"]["support"] = [False]
    assert schema_field(c).field == "rho.support[0]"


def test_checker_dps_is_15_to_400():
    cert = ref("ms_d2_row_r1_2")
    for ok in (15, 400):
        c = copy.deepcopy(cert)
        c["tool"]["checker_dps"] = ok
        schema.validate(c)
    for bad in (14, 401):
        c = copy.deepcopy(cert)
        c["tool"]["checker_dps"] = bad
        e = schema_field(c)
        assert e.field == "tool.checker_dps" and f"{bad} is outside [15, 400]" in e.message


def test_text_limits_are_inclusive_and_text_must_be_printable():
    cert = ref("ms_d2_row_r1_2")
    c = copy.deepcopy(cert)
    c["theorem"]["title"] = "t" * 300
    schema.validate(c)
    c["theorem"]["title"] = "t" * 301
    e = schema_field(c)
    assert e.field == "theorem.title" and "text of 301 characters (limit 300)" in e.message
    c["theorem"]["title"] = "bell \x07"
    e = schema_field(c)
    assert e.field == "theorem.title" and "control" in e.message


def test_lists_need_their_minimum_length():
    cert = ref("ms_d2_row_r1_2")
    for path in (("instance", "y"), ("bounds",), ("points",), ("rho", "support")):
        c = copy.deepcopy(cert)
        node = c
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = []
        e = schema_field(c)
        assert e.field == ".".join(path) and "0 entries (allowed 1 to" in e.message
    c = copy.deepcopy(cert)
    c["points"] = c["points"][:1] * 12
    schema.validate(c)
    c["points"] = c["points"][:1] * 13
    e = schema_field(c)
    assert e.field == "points" and "13 entries (allowed 1 to 12)" in e.message


def test_a_number_has_at_most_120_characters_and_exponent_400():
    schema.number("1" * 120, "x")
    schema.number("-" + "1" * 120, "x")
    with pytest.raises(schema.SchemaError, match="121 characters"):
        schema.number("1" * 121, "x")
    schema.number("1" * 60 + "/" + "1" * 60, "x")
    with pytest.raises(schema.SchemaError, match="limit 120"):
        schema.number("1" * 61 + "/" + "1" * 60, "x")
    schema.number("1e400", "x")
    schema.number("1e-400", "x")
    with pytest.raises(schema.SchemaError, match="exceeds the limit"):
        schema.number("1e401", "x")
    with pytest.raises(schema.SchemaError, match="zero denominator"):
        schema.number("1/0", "x")
    with pytest.raises(schema.SchemaError, match="as a string"):
        schema.number(1, "x")


def test_the_exact_minimizer_has_at_most_4000_characters():
    layer = [["1" + "0" * 99]]  # 100 characters
    schema._minimizer([layer] * 40, "minimizer")
    with pytest.raises(schema.SchemaError, match=r"4001 characters of exact entries \(limit 4000\)"):
        schema._minimizer([layer] * 39 + [[["1" + "0" * 100]]], "minimizer")
    with pytest.raises(schema.SchemaError, match="1 entries"):
        schema._minimizer([layer], "minimizer")  # L >= 2 layers


def test_unknown_kind_and_unknown_fields_are_named():
    e = schema_field({"kind": "other"})
    assert e.field == "kind" and "unknown kind 'other'" in e.message
    c = ref("mc_lb_equality_L3")
    c["extra"] = "1"
    e = schema_field(c)
    assert e.field == "extra" and "unknown field" in e.message
    c = ref("mc_lb_equality_L3")
    del c["loss"]
    assert schema_field(c).field == "loss"


# --- check.py: exit codes, summary, exception mapping --------------------------------------------------------

def test_exit_2_wins_over_1_and_the_summary_counts_each(tmp_path, capsys):
    failed = tmp_path / "failed.json"
    c = ref("mc_lb_equality_L3")
    c["L"] = 4  # edited after writing: the hash no longer matches
    failed.write_text(json.dumps(c), encoding="utf-8")
    junk = tmp_path / "junk.json"
    junk.write_text("not json", encoding="utf-8")
    assert check.main([str(failed), str(junk)]) == 2
    out = capsys.readouterr()
    assert "0 verified, 1 failed, 1 unreadable" in out.out
    assert out.err.count("\n") == 1 and "junk.json" in out.err
    assert check.main([str(junk), str(failed)]) == 2
    capsys.readouterr()
    # one failed file: exit 1, FAIL line naming the field, and the summary line
    assert check.main([str(failed)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "field sha256" in out and "0 verified, 1 failed, 0 unreadable" in out
    # one unreadable file: exit 2, one stderr line, no summary
    assert check.main([str(junk)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("error: ") and out.err.count("\n") == 1


def test_usage_errors_exit_2(capsys):
    assert check.main([]) == 2
    assert check.main(["--fast", "x.json"]) == 2
    assert "usage" in capsys.readouterr().err


def test_safe_text_is_bounded_at_2000_characters_and_escaped():
    assert check._safe("a" * 2000) == "a" * 2000
    assert check._safe("a" * 2001) == "a" * 2000 + "... (2001 characters)"
    assert check._safe("x\ny\x1b") == "x\\ny\\x1b"


@pytest.mark.parametrize("exc, field", [(OverflowError("big"), "(arithmetic)"),
                                        (ZeroDivisionError("z"), "(arithmetic)"),
                                        (KeyError("k"), "(structure)"), (IndexError("i"), "(structure)"),
                                        (RecursionError(), "(budget)")])
def test_exceptions_inside_a_check_become_named_refusals(monkeypatch, exc, field):
    cert = ref("mc_lb_equality_L3")

    def boom(*a, **k):
        raise exc

    monkeypatch.setattr(check, "_check_deep_linear", boom)
    with pytest.raises(CheckFailure) as info:
        check.check_certificate(cert, time_limit=None)
    assert info.value.field == field and type(exc).__name__ in (info.value.message + type(exc).__name__)


def test_the_hash_is_checked_before_the_schema():
    c = ref("mc_lb_equality_L3")
    c["extra"] = "1"  # unknown field, hash not recomputed: the hash mismatch is named
    with pytest.raises(CheckFailure) as info:
        check.check_certificate(c, time_limit=None)
    assert info.value.field == "sha256"
    with pytest.raises(CheckFailure) as info:
        check.check_certificate(rehash(c), time_limit=None)
    assert info.value.field == "extra"
