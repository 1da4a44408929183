"""Direct tests of implicitreg/schema.py answering its mutation survivors (target schema-numbers): the text of
every number a command prints (exact values exactly, mpf values to the requested significant digits in mpmath's
nstr format: fixed notation only for decimal exponents -3 to 15, without trailing zeros stripped a value with as
many integer digits as significant digits ends in "."; scientific notation without "+") and the validation of
outputs. Expected texts are written by hand.
"""
from __future__ import annotations

from fractions import Fraction as F

import flint
import mpmath
import numpy as np
import pytest
from mpmath import mpf

from implicitreg import schema
from implicitreg.schema import SCHEMA_VERSION, SchemaError, is_number_string, number_string, validate


@pytest.mark.parametrize("value, text", [
    (F(1, 3), "1/3"), (F(-4, 2), "-2"), (F(0), "0"), (7, "7"), (-12, "-12"), (np.int64(-5), "-5"),
    (np.int32(9), "9"), (flint.fmpz(10) ** 30, "1" + "0" * 30), (0.1, "0.1"), (np.float64(2.5), "2.5"),
    (np.float32(0.5), "0.5"), (1e300, "1e+300"), (float("inf"), "inf"), (float("-inf"), "-inf"),
    (np.float64("-inf"), "-inf"), (None, None), ("1/3", "1/3"), ("-2.5e-7", "-2.5e-7"), ("inf", "inf")])
def test_number_strings_of_exact_float_and_text_values(value, text):
    assert number_string(value) == text


@pytest.mark.parametrize("value, digits, strip, text", [
    (mpf(1) / 3, 5, False, "0.33333"),
    (mpf(2) / 3, 3, False, "0.667"),
    (mpf("0.5"), 5, False, "0.50000"),
    (mpf("0.5"), 5, True, "0.5"),
    (-mpf("12345.678"), 5, False, "-12346."),
    (-mpf("12345.678"), 5, True, "-12346.0"),
    (mpf("0.001"), 3, False, "0.00100"),            # decimal exponent -3: fixed
    (mpf("0.0001"), 3, False, "1.00e-4"),           # exponent -4: scientific
    (mpf(10) ** 15, 3, False, "1000000000000000."),  # exponent 15: fixed
    (mpf(10) ** 16, 3, False, "1.00e16"),           # exponent 16: scientific, written without "+"
    (mpf(10) ** 40, 2, True, "1.0e40"),
    (mpf(3) * mpf(10) ** -30, 2, False, "3.0e-30"),
])
def test_mpf_number_strings_keep_the_requested_significant_digits(value, digits, strip, text):
    with mpmath.workdps(40):
        assert number_string(value, digits, strip_zeros=strip) == text


def test_mpf_digits_default_to_the_working_precision():
    with mpmath.workdps(12):
        assert number_string(mpf(1) / 3) == "0.333333333333"
    with mpmath.workdps(20):
        assert number_string(mpf(1) / 7, 4) == "0.1429"


@pytest.mark.parametrize("value, text", [(mpf(0), "0"), (-mpf(0), "0"), (mpf("inf"), "inf"), (mpf("-inf"), "-inf"),
                                         (mpmath.mpf("1e-100000"), "1.0e-100000")])
def test_mpf_zero_and_infinities(value, text):
    assert number_string(value, 2) == text


@pytest.mark.parametrize("bad, message", [(float("nan"), "NaN"), (np.float64("nan"), "NaN"), (mpf("nan"), "NaN"),
                                          (True, "boolean"), (False, "boolean"), ("abc", "'abc' is not a number"),
                                          ("1,5", "is not a number"), ("nan", "is not a number")])
def test_nan_booleans_and_other_text_are_refused(bad, message):
    with pytest.raises(SchemaError, match=message):
        number_string(bad)


@pytest.mark.parametrize("text", ["3", "-3/7", "0.25", "1.5e-30", "1.5E+30", "inf", "-inf", ".5", "5.", "12e3",
                                  "-0", "100/1"])
def test_number_string_grammar_accepts(text):
    assert is_number_string(text)


@pytest.mark.parametrize("text", ["", "+3", "3/", "/7", "3/-7", "1/2/3", "1e", "e5", "--1", "1.2.3", "infinity",
                                  "+inf", "nan", "1 ", " 1", "0x10", "1_000", "3/7e2", "1.5/2", 3, 0.5, None, b"3"])
def test_number_string_grammar_refuses(text):
    assert not is_number_string(text)


def test_number_string_grammar_on_long_digit_runs():
    """The grammar reads each digit run one way: a 10^5-digit fraction is accepted and the same text with a tail is
    refused at once (the former pattern split a run of n digits n ways, quadratic time: a verify row whose text was
    a 10^4-digit rho took 0.1 s per call)."""
    q = "9" * 100000 + "/1" + "0" * 100000
    assert is_number_string(q) and is_number_string("-" + q) and is_number_string("1" * 100000 + ".5e-3")
    assert not is_number_string(q + " (in alpha^p)") and not is_number_string("1" * 100000 + "x")


# --- validation of outputs ---------------------------------------------------------------------------------------

def _valid_l1():
    return {"schema_version": SCHEMA_VERSION, "command": "l1", "instance": "row", "m": 1, "N": 2, "x": ["1", "0"],
            "l1_norm": "1", "unique": True, "support": [0], "support_is_maximal": True, "signs": [1], "rho": "1/3",
            "rho_maximal_support": "1/3", "dual_certificate": ["1"], "rho_dual_certificate": None,
            "face_dimension": 0, "face": {"point": ["1", "0"], "directions": [], "vertices": [["1", "0"]]},
            "verified": True}


def test_a_valid_output_passes():
    validate(_valid_l1())
    validate(_valid_l1(), "l1")


@pytest.mark.parametrize("key, value, message", [
    ("m", True, "m: expected an integer, got bool"),
    ("m", "1", "m: expected an integer, got str"),
    ("unique", 1, "unique: expected a boolean, got int"),
    ("instance", 3, "instance: expected a string, got int"),
    ("l1_norm", "one", "l1_norm: expected a number string, got 'one'"),
    ("l1_norm", None, "l1_norm: null is not allowed"),
    ("x", "1", "x: expected a list, got str"),
    ("x", ["1", "a"], "x[1]: expected a number string, got 'a'"),
    ("face", [], "face: expected an object, got list"),
])
def test_each_kind_of_deviation_is_reported_where_it_is(key, value, message):
    out = dict(_valid_l1(), **{key: value})
    with pytest.raises(SchemaError) as info:
        validate(out)
    assert str(info.value) == message


def test_nested_missing_unknown_and_nullable_fields():
    """A command's keys are required (COMMANDS); a nested object's keys are registered and typed but optional."""
    out = _valid_l1()
    out["rho"] = None                                  # rho is nullable (not unique)
    validate(out)
    del out["face"]["point"]
    out["face"]["extra"] = 1
    out["surplus"] = "x"
    del out["verified"]
    with pytest.raises(SchemaError) as info:
        validate(out)
    assert set(str(info.value).split("; ")) == {"verified: missing", "face.extra: not a key of the schema",
                                                "surplus: not a key of the schema"}


def test_envelope_errors():
    with pytest.raises(SchemaError, match="^output must be a JSON object, got list$"):
        validate([])
    with pytest.raises(SchemaError, match="^unknown command 'frobnicate'$"):
        validate({"command": "frobnicate"})
    with pytest.raises(SchemaError, match=r"^schema_version: expected .*, got '0'$"):
        validate(dict(_valid_l1(), schema_version="0"))
    with pytest.raises(SchemaError, match="^unknown command None$"):
        validate({"schema_version": SCHEMA_VERSION})


def test_string_choices_and_json_fields():
    kinds = {t.kind for t, *_ in schema.FIELDS.values()}
    assert {"string", "boolean", "integer", "number", "list", "object"} <= kinds
    errors = []
    schema._check("other", schema.Type("string", choices=("a", "b")), "f", errors)
    schema._check("a", schema.Type("string", choices=("a", "b")), "g", errors)
    schema._check([], schema.Type("json"), "h", errors)
    schema._check({}, schema.Type("json"), "i", errors)
    schema._check(None, schema.Type("json", nullable=True), "j", errors)
    assert errors == ["f: 'other' is not one of ('a', 'b')", "h: expected a JSON object, got list"]


def test_many_errors_are_cut_at_twenty():
    out = dict(_valid_l1(), x=[f"bad{i}" for i in range(25)])
    with pytest.raises(SchemaError) as info:
        validate(out)
    text = str(info.value)
    assert text.count("expected a number string") == 20 and text.endswith(" (and 5 more)")
    assert "x[19]" in text and "x[20]" not in text


def test_a_long_bad_number_is_cut_at_200_characters():
    errors = []
    schema._check("z" * 500, schema.NUMBER, "f", errors)
    assert len(errors[0]) == 200 and errors[0].startswith("f: expected a number string, got 'zzz")


@pytest.mark.parametrize("bad, message", [(float("nan"), "NaN is not a number string"),
                                          (mpf("nan"), "NaN is not a number string"),
                                          (True, "a boolean is not a number")])
def test_refusal_texts(bad, message):
    with pytest.raises(SchemaError) as info:
        number_string(bad)
    assert str(info.value) == message


def test_other_number_types_are_read_through_mpf():
    """A SymPy Float or a flint arb midpoint is converted to an mpf first, so the digits and the trailing zeros
    follow the same rule as an mpf's."""
    import sympy

    with mpmath.workdps(30):
        assert number_string(sympy.Float("0.25"), 3) == "0.250"
        assert number_string(flint.arb(0.5), 3) == "0.500"


def test_an_unknown_key_does_not_stop_the_check_of_the_next_keys():
    out = {"schema_version": SCHEMA_VERSION, "command": "l1", "zzz": 1, **{k: v for k, v in _valid_l1().items()
                                                                          if k not in ("schema_version", "command")}}
    out["m"] = "1"                                      # after the unknown key in the dict's order
    with pytest.raises(SchemaError) as info:
        validate(out)
    assert str(info.value) == "zzz: not a key of the schema; m: expected an integer, got str"


@pytest.mark.parametrize("count, suffix", [(20, ""), (21, " (and 1 more)"), (19, "")])
def test_the_error_list_is_cut_after_exactly_twenty(count, suffix):
    out = dict(_valid_l1(), x=[f"bad{i}" for i in range(count)])
    with pytest.raises(SchemaError) as info:
        validate(out)
    text = str(info.value)
    shown = min(count, 20)
    assert text.count("expected a number string") == shown
    assert text.endswith(f"x[{shown - 1}]: expected a number string, got 'bad{shown - 1}'{suffix}")


@pytest.mark.parametrize("bad, message", [(np.bool_(True), "a boolean is not a number"),
                                          (np.float32("nan"), "NaN is not a number string"),
                                          (np.float16("nan"), "NaN is not a number string")])
def test_numpy_refusal_texts(bad, message):
    with pytest.raises(SchemaError) as info:
        number_string(bad)
    assert str(info.value) == message


@pytest.mark.parametrize("value, text", [(np.float32("inf"), "inf"), (np.float32("-inf"), "-inf"),
                                         (np.float16("-inf"), "-inf"), (np.longdouble("inf"), "inf")])
def test_numpy_infinities_keep_their_sign(value, text):
    assert number_string(value) == text


def test_a_value_of_no_number_type_is_a_schema_error():
    """A Decimal (or any object mpmath cannot read) is refused as a schema error, never a bare TypeError."""
    from decimal import Decimal

    with pytest.raises(SchemaError) as info:
        number_string(Decimal("0.25"))
    assert str(info.value) == "a Decimal is not a number type of the schema"
    with pytest.raises(SchemaError, match="a list is not a number type"):
        number_string([1])

