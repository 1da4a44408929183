"""Hardening: every branch of the schema's validator alone, and the one number formatter (implicitreg/schema.py).

Each broken object differs from a valid one in exactly one key, so exactly one check must reject it.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from implicitreg.schema import COMMANDS, SCHEMA_VERSION, SchemaError, envelope, number_string, validate


def certify_obj(**over):
    obj = envelope("certify", {"path": "c.json", "theorem": "MS-D2", "sha256": "ab"})
    obj.update(over)
    return obj


def check_obj(**over):
    obj = envelope("check", {"files": [{"path": "c.json", "accepted": True, "verified": ["x"], "field": None,
                                        "reason": None}], "passed": True})
    obj.update(over)
    return obj


def rejects(obj, fragment, command=None):
    with pytest.raises(SchemaError) as info:
        validate(obj, command)
    assert fragment in str(info.value), str(info.value)


def test_valid_objects_pass():
    validate(certify_obj())
    validate(check_obj())
    validate(certify_obj(m=3, alpha=None, alpha_convention=None, depth="5/2", x=["1", "-3/7", "1.5e-30", "inf"]))


def test_each_type_check_alone():
    rejects(certify_obj(m=True), "m: expected an integer")                   # a boolean is not an integer
    rejects(certify_obj(m="3"), "m: expected an integer")
    rejects(certify_obj(m=3.0), "m: expected an integer")
    rejects(check_obj(passed=1), "passed: expected a boolean")               # an integer is not a boolean
    rejects(certify_obj(theorem=3), "theorem: expected a string")
    rejects(certify_obj(depth=2.5), "depth: expected a number string")       # JSON floats never appear
    rejects(certify_obj(depth="2,5"), "depth: expected a number string")
    rejects(certify_obj(depth=None), "depth: null is not allowed")
    rejects(certify_obj(x="1"), "x: expected a list")
    rejects(certify_obj(x=["1", 2]), "x[1]: expected a number string")
    rejects(certify_obj(alpha_convention="per-factor"), "alpha_convention: 'per-factor' is not one of")
    rejects(certify_obj(kind=None), "kind: null is not allowed")
    rejects(certify_obj(certificate=[1]), "certificate: expected a JSON object")
    validate(certify_obj(certificate=None, alpha=None, digits_requested=None))


def test_nested_objects_are_checked_key_by_key():
    good = check_obj()["files"][0]
    rejects(check_obj(files=[dict(good, accepted="yes")]), "files[0].accepted: expected a boolean")
    rejects(check_obj(files=[dict(good, extra=1)]), "files[0].extra: not a key of the schema")
    rejects(check_obj(files=[dict(good, verified=[1])]), "files[0].verified[0]: expected a string")
    rejects(check_obj(files=["c.json"]), "expected an object")
    validate(check_obj(files=[dict(good, field="sha256", reason="mismatch", accepted=False)], passed=False))


def test_envelope_and_required_keys():
    rejects(certify_obj(schema_version="0.9"), "schema_version: expected '1.0'")
    obj = certify_obj()
    del obj["sha256"]
    rejects(obj, "sha256: missing")
    obj = certify_obj()
    del obj["command"]
    rejects(obj, "command: missing", command="certify")
    rejects(certify_obj(bogus=1), "bogus: not a key of the schema")
    with pytest.raises(SchemaError, match="unknown command"):
        validate(certify_obj(command="nope"))
    with pytest.raises(SchemaError, match="JSON object"):
        validate([certify_obj()], "certify")
    assert SCHEMA_VERSION == "1.0" and set(COMMANDS) >= {"limit", "l1", "verify", "check", "sweep"}


def test_many_errors_are_counted_not_dropped():
    obj = certify_obj(**{k: True for k in ("m", "N", "n", "d", "dps", "iterations", "nsteps", "nfev", "seed",
                                           "budget", "evaluations", "skipped", "tasks_total", "tasks_done",
                                           "tasks_failed", "tasks_skipped", "tasks_retried", "tasks_recovered",
                                           "tasks_failed_kept", "workers", "face_dimension", "status")})
    with pytest.raises(SchemaError) as info:
        validate(obj)
    assert "(and 2 more)" in str(info.value)


def test_number_string_forms():
    assert number_string(Fraction(6, 3)) == "2"
    assert number_string(Fraction(-3, 7)) == "-3/7"
    assert number_string(-4) == "-4"
    assert number_string(0.1) == "0.1"
    assert number_string(1e-300) == "1e-300"
    assert number_string(float("-inf")) == "-inf"
    with mpmath.workdps(30):
        assert number_string(mpmath.mpf(1) / 3, 5) == "0.33333"
        assert number_string(mpmath.mpf(2) / 3, 5) == "0.66667"
        assert number_string(mpmath.mpf(10) ** 20 * 3, 3) == "3.00e20"
        assert number_string(mpmath.mpf(-1) / 8, 3, strip_zeros=True) == "-0.125"
        assert number_string(mpmath.mpf(0), 5) == "0"
        assert number_string(-mpmath.inf) == "-inf"
        with pytest.raises(SchemaError):
            number_string(mpmath.nan)
    for bad in (True, "abc", "1/", "nan"):
        with pytest.raises(SchemaError):
            number_string(bad)
