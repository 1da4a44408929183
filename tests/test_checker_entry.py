"""The checker's entry point (proofs/checker/check.py ``check_certificate``): the refusals before any mathematics,
each with exactly the field and message a user reads. Expected texts are the documented ones, written by hand."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

import strategies_certificates as S
from implicitreg.proofs.checker import check as C
from implicitreg.proofs.checker.check import CheckFailure, check_certificate

REFERENCE = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates"


def _refused(cert, field, message, **kwargs):
    with pytest.raises(CheckFailure) as info:
        check_certificate(cert, **kwargs)
    assert (info.value.field, info.value.message) == (field, message)


@pytest.mark.parametrize("cert", [[], "certificate", 3, None])
def test_a_certificate_is_a_json_object(cert):
    _refused(cert, "(top level)", "a certificate is a JSON object")


def test_an_edited_file_is_refused_by_its_hash():
    cert = S.load(REFERENCE / "ms_d2_row_r1_2.json")
    edited = S.edit(cert, ("depth",), "3")
    _refused(edited, "sha256", "content hash mismatch: the file was edited after it was written")
    _refused({k: v for k, v in cert.items() if k != "sha256"}, "sha256",
             "content hash mismatch: the file was edited after it was written")


def test_the_time_budget_refusal_names_the_limit(monkeypatch):
    cert = S.load(REFERENCE / "ms_d2_row_r1_2.json")

    @contextmanager
    def expired(seconds):
        raise C.BudgetExceeded()
        yield

    monkeypatch.setattr(C, "deadline", expired)
    _refused(cert, "(budget)", "checking takes longer than 7 s: refused (wall-clock; a larger budget: --time-limit "
                               "SECONDS)", time_limit=7)
