"""What a certificate claims (proofs/certify/*): the producer's output equals the committed reference certificates,
field by field, for the parts that are cheap to regenerate (one alpha of the MS-D2 and MS-D3 (D = 5/2) families
without the SymPy limit section, and both MC-LB forms whole). A producer change that widens a ratio claim, moves a
ball, changes a bound's formula, side, norm or provenance, or the loss convention, changes these files; a deliberate
change regenerates the references (docs/certificates.md) and this test says which field moved.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from implicitreg.numerics.instance import Instance
from implicitreg.proofs import certify

REF = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates"
ROW = Instance.from_lists([[1, "1/2"]], [1], name="row_1_half")


def _ref(stem):
    return json.loads((REF / f"{stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem, depth, theorem", [("ms_d2_row_r1_2", 2, "MS-D2"),
                                                   ("ms_d3_row_r1_2_D5_2", Fraction(5, 2), "MS-D3")])
def test_diagonal_certificate_at_the_first_alpha_equals_the_reference(stem, depth, theorem):
    cert = certify.diagonal_certificate(ROW, depth, ["1/1000"], theorem=theorem, symbolic=False)
    ref = _ref(stem)
    assert ref["points"][0]["alpha"] == "1/1000"
    assert cert["points"] == ref["points"][:1]
    for key in sorted(set(ref) | set(cert)):
        if key in ("points", "sha256", "limit", "tool"):
            continue
        assert cert.get(key) == ref.get(key), key
    assert {k: v for k, v in cert["tool"].items() if k != "checker_dps"} == \
        {k: v for k, v in ref["tool"].items() if k != "checker_dps"}
    assert "limit" not in cert and cert["sha256"] == certify.seal(cert)["sha256"]


@pytest.mark.parametrize("stem, X, y", [("mc_lb_equality_L3", certify.MC_LB_X, certify.MC_LB_Y),
                                        ("mc_lb_ordinary_L3", certify.ORDINARY_X, certify.ORDINARY_Y)])
def test_mc_lb_certificates_are_the_reference_bytes(stem, X, y):
    assert certify.dumps(certify.deep_linear_certificate(X, y, 3)) == (REF / f"{stem}.json").read_text(
        encoding="utf-8")


def test_file_text_and_seal():
    cert = {"b": "1", "a": ["x"]}
    assert certify.dumps(cert) == '{\n  "a": [\n    "x"\n  ],\n  "b": "1"\n}\n'
    sealed = certify.seal(dict(cert, sha256="0" * 64))
    from implicitreg.proofs.checker import check as checker

    assert sealed["sha256"] == checker.content_hash({"b": "1", "a": ["x"]}) and set(sealed) == {"a", "b", "sha256"}
    assert certify.RATIO_DIGITS == 12 and certify.CENTRE_DIGITS == 45
