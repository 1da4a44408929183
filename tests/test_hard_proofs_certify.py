"""The certificate writer (proofs/certify/) at its documented limits and conventions (issue 13, hardening).

Each parameter limit on both sides of its boundary (the "reached" side is recognized by the next refusal in line:
a rank-deficient A, which is refused only after every parameter check); the choice of bounds, the working
precision 60 + ceil(-log10(smallest product scale)) and the error norms written, from the certificate format
(docs/certificates.md), computed by hand here.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction as F
from pathlib import Path

import pytest

from implicitreg.errors import CertificateError, HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.proofs.certify import diagonal as cd
from implicitreg.proofs.certify import diagonal_certificate

REF = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates"
ROW = Instance.from_lists([[1, "1/2"]], [1], name="row")
#: full row rank fails: refused after every parameter check ("reached")
DEPENDENT = Instance.from_lists([[1, 1], [1, 1]], [1, 1], name="dependent")


def reached(**kw):
    args = dict(instance=DEPENDENT, depth=2, alphas=["1/1000"], theorem="MS-D2")
    args.update(kw)
    with pytest.raises(HypothesisNotMetError, match="full row rank"):
        diagonal_certificate(args.pop("instance"), args.pop("depth"), args.pop("alphas"), **args)


def refused(match, **kw):
    args = dict(instance=DEPENDENT, depth=2, alphas=["1/1000"], theorem="MS-D2")
    args.update(kw)
    with pytest.raises(InvalidParameterError, match=match):
        diagonal_certificate(args.pop("instance"), args.pop("depth"), args.pop("alphas"), **args)


def test_depth_is_a_rational_in_2_to_64_with_denominator_at_most_64():
    assert cd._depth("2") == 2 and cd._depth("64") == 64 and cd._depth(F(129, 64)) == F(129, 64)
    assert cd._depth("5/2") == F(5, 2)
    for bad in ("65", "129/2", F(131, 65), "3/2", "1"):
        with pytest.raises(InvalidParameterError, match="depth must be"):
            cd._depth(bad)
    reached(depth="64", theorem="MS-D3")
    refused("depth must be a rational in", depth="65", theorem="MS-D3")


def test_theorem_and_depth_must_match():
    refused("MS-D2 is the depth-2 statement", depth=3)
    refused("MS-D3 needs depth D > 2", depth=2, theorem="MS-D3")
    refused("theorem must be one of", theorem="MS-D4")
    refused("alpha_convention must be", alpha_convention="per-factor")


def test_alpha_is_in_1e_minus_300_to_1_and_positive():
    reached(alphas=["1"])
    reached(alphas=["1e-300"])
    refused("every alpha must lie in", alphas=["1e-301"])
    refused("every alpha must lie in", alphas=["1000001/1000000"])
    refused(r"give at least one alpha, all > 0", alphas=["0"])
    refused(r"give at least one alpha, all > 0", alphas=["-1/10"])
    refused(r"give at least one alpha, all > 0", alphas=[])


def test_at_most_12_distinct_alphas():
    alphas = [f"1e-{k}" for k in range(1, 13)]
    reached(alphas=alphas)
    reached(alphas=alphas + ["1e-1"])  # duplicates count once
    refused("at most 12 values of alpha", alphas=alphas + ["1e-13"])


def test_factor_convention_bounds_alpha_to_the_D():
    # the product scale alpha^D must be >= 1e-300: D = 2 allows 1e-150 per factor, D = 3 allows 1e-100
    reached(alphas=["1e-150"], alpha_convention="factor")
    refused(r"alpha\^D must be >= 1e-300", alphas=["1e-151"], alpha_convention="factor")
    reached(alphas=["1e-100"], alpha_convention="factor", depth=3, theorem="MS-D3")
    refused(r"alpha\^D must be >= 1e-300", alphas=["1e-101"], alpha_convention="factor", depth=3, theorem="MS-D3")
    # the product convention takes alpha itself
    reached(alphas=["1e-151"], alpha_convention="product")


def test_a_non_unique_minimizer_is_refused():
    with pytest.raises(HypothesisNotMetError, match="not unique"):
        diagonal_certificate(Instance.from_lists([[1, 1]], [1]), 2, ["1/1000"], theorem="MS-D2")


def test_the_kink_family_is_exactly_a_1_by_2_row_with_0_lt_1_minus_eps_lt_1():
    for A in ([[1, 0]], [[1, 1]], [[1, "3/2"]], [[2, "1/2"]]):
        with pytest.raises(HypothesisNotMetError, match="kink family"):
            cd._kink_bound(F(2), Instance.from_lists(A, [1]))
    with pytest.raises(HypothesisNotMetError, match="kink family"):
        cd._kink_bound(F(2), Instance.from_lists([[1, "1/2"]], [2]))
    with pytest.raises(HypothesisNotMetError, match="kink family"):
        cd._kink_bound(F(2), Instance.from_lists([[1, "1/2", "1/2"]], [1]))


def test_the_row_family_is_a_equals_1_r_dots_r_with_0_lt_r_lt_1_and_y_1():
    fam = cd._is_row_family
    assert fam(Instance.from_lists([[1, "1/2"]], [1]))
    assert fam(Instance.from_lists([[1, "1/3", "1/3", "1/3"]], [1]))
    assert not fam(Instance.from_lists([[1, "1/2", "1/3"]], [1]))       # entries differ
    assert not fam(Instance.from_lists([[1, "1/3", "1/2"]], [1]))
    assert not fam(Instance.from_lists([[1, 1]], [1]))                  # r = 1
    assert not fam(Instance.from_lists([[1, "1/2"]], [2]))              # y != 1
    assert not fam(Instance.from_lists([[2, 1]], [1]))                  # a_1 != 1
    assert not fam(Instance.from_lists([[1, "1/2"], [0, 1]], [1, 1]))   # m = 2


def _pt(*ratios):
    return {"alpha": "1/10", "errors": {"l1": "e1", "linf": "einf"},
            "bounds": [{"ratio": {"lo": lo, "hi": hi}} for lo, hi in ratios]}


def test_undecided_bounds_are_dropped_and_violations_refused():
    bounds = [{"name": "tight", "side": "limit", "norm": "l1"}, {"name": "up", "side": "upper", "norm": "l1"},
              {"name": "low", "side": "lower", "norm": "linf"}]
    # lower bound undecided (its ratio interval contains 1): dropped with its norm's error
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("0.5", "0.9"), ("0.999", "1.001"))]
    cd._drop_undecided(b, pts)
    assert [x["name"] for x in b] == ["tight", "up"] and pts[0]["errors"] == {"l1": "e1"}
    assert len(pts[0]["bounds"]) == 2
    # upper bound with hi exactly 1 is decided (<= 1); lower with lo exactly 1 too
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("0.5", "1"), ("1", "1.5"))]
    cd._drop_undecided(b, pts)
    assert len(b) == 3 and set(pts[0]["errors"]) == {"l1", "linf"}
    # undecided at one alpha of two: dropped
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("0.5", "0.9"), ("1.1", "1.2")),
                                           _pt(("0.5", "0.6"), ("0.9", "1.0000001"), ("1.1", "1.2"))]
    cd._drop_undecided(b, pts)
    assert [x["name"] for x in b] == ["tight", "low"]
    # a proved equality is never dropped
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("0.99", "1.01"), ("1.1", "1.2"))]
    pts[0]["bounds"][1]["equality"] = "identity in nu"
    cd._drop_undecided(b, pts)
    assert len(b) == 3
    # violations
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("1.0001", "1.1"), ("1.1", "1.2"))]
    with pytest.raises(CertificateError, match="the upper bound 'up' is violated at alpha = 1/10"):
        cd._drop_undecided(b, pts)
    b, pts = [dict(x) for x in bounds], [_pt(("0.5", "0.6"), ("0.5", "0.6"), ("0.8", "0.9999"))]
    with pytest.raises(CertificateError, match="the lower bound 'low' is violated"):
        cd._drop_undecided(b, pts)
    b, pts = [dict(x) for x in bounds[1:]], [_pt(("0.9", "1.1"), ("0.9", "1.1"))]
    with pytest.raises(CertificateError, match="no bound has a decided verdict"):
        cd._drop_undecided(b, pts)


def test_a_certificate_at_a_non_power_of_ten_alpha():
    """alpha = 5e-7: working precision 60 + ceil(6.30...) = 67 digits; bounds and error norms as documented."""
    cert = diagonal_certificate(ROW, 2, ["5e-7"], theorem="MS-D2", symbolic=False)
    assert cert["tool"]["checker_dps"] == 60 + math.ceil(-math.log10(5e-7)) == 67
    assert [(b["name"], b["side"], b["norm"]) for b in cert["bounds"]] == [
        ("tightness scale", "limit", "l1"), ("upper_l1", "upper", "l1"), ("lower_inf", "lower", "linf")]
    assert set(cert["points"][0]["errors"]) == {"l1", "linf"}
    assert cert["alpha_convention"] == "product" and cert["depth"] == "2" and "limit" not in cert
    pt = cert["points"][0]
    assert pt["alpha"] == "1/2000000"
    # x* = (1, 0), rho = 1/2 (exact LP), and the bound values are positive balls
    assert cert["basis_pursuit"]["x_star"] == ["1", "0"] and cert["rho"]["value"] == "1/2"
    for b in pt["bounds"]:
        assert F(b["value"]["mid"].replace("e", "E").split("E")[0].lstrip("-")) > 0 and \
            not b["value"]["mid"].startswith("-")
        assert F(b["ratio"]["lo"]) > 0 and F(b["ratio"]["lo"]) <= F(b["ratio"]["hi"])
    # ratio ends carry 12 significant digits (RATIO_DIGITS), no more and no fewer
    lengths = [len(b["ratio"][end].lower().split("e")[0].replace(".", "").replace("-", "").lstrip("0").rstrip("0"))
               for b in pt["bounds"] for end in ("lo", "hi")]
    assert max(lengths) == 12, lengths


def test_reference_certificates_record_dps_and_ratio_digits():
    """checker_dps = 60 + decades of the smallest product scale (factor convention: alpha^D); ratio ends at most 12
    significant digits (RATIO_DIGITS)."""
    for p in sorted(REF.glob("*.json")):
        cert = json.loads(p.read_text(encoding="utf-8"))
        if cert["kind"] != "diagonal":
            continue
        D = F(cert["depth"])
        smallest = min(F(pt["alpha"]) for pt in cert["points"])
        if cert["alpha_convention"] == "factor":
            decades = -math.log10(smallest) * float(D)
        else:
            decades = -math.log10(smallest)
        assert cert["tool"]["checker_dps"] == 60 + max(0, math.ceil(decades - 1e-9)), p.name
        lengths = []
        for pt in cert["points"]:
            for b in pt["bounds"]:
                for end in ("lo", "hi"):
                    mant = b["ratio"][end].lower().split("e")[0].replace(".", "").replace("-", "").lstrip("0")
                    lengths.append(len(mant.rstrip("0")))
        assert max(lengths) == 12, (p.name, lengths)  # RATIO_DIGITS = 12 significant digits, no more
