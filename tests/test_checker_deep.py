"""The deep-linear checker's exact form (proofs/checker/deep_linear.py) on the reference certificate
mc_lb_equality_L3 (X = [[6/5, 8/5], [-4/5, 3/5]], y = (16, 0), w* = (24/5, 32/5), L = 3, S = S_LB = 192):
what an accepted certificate prints, and each refusal with exactly the field and message a user reads."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import strategies_certificates as S

DEEP = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "mc_lb_equality_L3.json"


@pytest.fixture(scope="module")
def deep():
    return S.load(DEEP)



def test_the_accepted_certificate_says_what_was_proved(deep):
    from implicitreg.proofs.checker.check import check_certificate

    lines = check_certificate(S.rehash(deep))
    assert ("Hessian at the minimizer: the gradient term vanishes (normal equations) and J J^T = M exactly, "
            "so the nonzero spectrum of H is that of 2 Sigma^(1/2) M Sigma^(1/2)") in lines
    assert any(line.startswith("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) enclosed by exact Sturm root "
                               "isolation") for line in lines)


@pytest.mark.parametrize("path, value, field, message", [
    (("instance", "y"), ["16", "0", "1"], "instance.y", "expected 2 entries, got 3"),
    (("w_star",), ["24/5", "32/5", "0"], "w_star", "expected 2 entries, got 3"),
    (("instance", "X"), [["1", "2"], ["2", "4"]], "instance.X",
     "Sigma = X^T X / n is singular; this checker needs a unique w*"),
    (("w_star",), ["24/5", "33/5"], "w_star", "w* does not solve the normal equations X^T X w = X^T y"),
    (("minimizer", 0), [["6/5", "8/5", "0"], ["0", "0", "0"]], "minimizer", "W_1 must have d columns and W_L one row"),
    (("minimizer", 1), [["2", "0", "0"], ["0", "0", "0"]], "minimizer[1]", "shapes do not chain"),
    (("minimizer", 0, 0, 1), "9/5", "minimizer", "W_L ... W_1 != w*^T: not a global minimizer"),
])
def test_each_exact_check_refuses_with_its_message(deep, path, value, field, message):
    S.refused_exactly(S.edit(deep, path, value), field, message)


def test_zero_minimizer_and_enclosure_refusals(deep):
    cert = S.edit(deep, ("instance", "y"), ["0", "0"])
    cert["w_star"] = ["0", "0"]                                       # solves the normal equations for y = 0
    S.refused_exactly(cert, "w_star", "w* = 0: the bound is about nonzero minimizers")
    exc = S.refusal(S.edit(deep, ("sharpness",), {"mid": "192.000000001", "rad": "1e-20"}))
    assert exc.field == "sharpness"
    assert exc.message.startswith("the stated ball for S = 2 lambda_max(M Sigma) does not contain the computed ")
    exc = S.refusal(S.edit(deep, ("bound", "value"), {"mid": "193", "rad": "1e-20"}))
    assert exc.field == "bound.value"
    assert exc.message.startswith("the stated ball for S_LB does not contain the computed enclosure")
    exc = S.refusal(S.edit(deep, ("ratio",), {"lo": "1.00000000001", "hi": "1.00000000002"}))
    assert exc.field == "ratio" and exc.message.startswith("the certified ratio S/S_LB lies in [")


def test_an_equality_claim_needs_a_ratio_enclosure_containing_one(deep, monkeypatch):
    from implicitreg.proofs.checker import deep_linear as DL

    for ends in ((Fraction(11, 10), Fraction(2)), (Fraction(1, 2), Fraction(9, 10))):
        monkeypatch.setattr(DL, "_ratio", lambda *a, ends=ends: ends)
        S.refused_exactly(deep, "equality", "the ratio enclosure excludes 1 although S = S_LB is claimed")
    for ends in ((Fraction(1), Fraction(2)), (Fraction(1, 2), Fraction(1))):      # 1 at either end: contained
        monkeypatch.setattr(DL, "_ratio", lambda *a, ends=ends: ends)
        from implicitreg.proofs.checker.check import check_certificate
        assert check_certificate(S.rehash(deep))


def test_a_violated_lower_bound_is_named(deep, monkeypatch):
    from implicitreg.proofs.checker import deep_linear as DL

    cert = {k: v for k, v in deep.items() if k != "equality"}
    monkeypatch.setattr(DL, "_ratio", lambda *a: (Fraction(1, 2), Fraction(9, 10)))
    S.refused_exactly(cert, "ratio", "the lower bound 'S_LB' is violated here")
