"""Tests written against round 4's planted bugs that escaped the whole suite (tools/planted_bugs_round4.json,
docs/mutation.md "Fourth independent round"); each was verified with tools/planted_bugs.py to fail with its bug
planted and to pass on the code. Each tests the kind of the bug, not only its example: a bound listed twice at
any pair of positions, every nu box of every reference certificate just above the documented limit, the MC-Sbal
row on S_bal (not S_min) at two depths, every bound whose constants need alpha <= alpha_0, and the sweep's digit
count against the documented accuracy and an independent closed form. (The nu cap's unit test,
tests/test_checker_forgeries.py::test_box_radius_is_relative_to_max_one_and_the_centre, read the cap from the
checker's own constant, so it could not notice a widened cap; it now states 1e-20 by hand.)

Expected values come from the documents (docs/certificates.md: nu box radius <= 1e-20 max(1, |mid|);
docs/sweeps.md: an entry certified to d digits contributes max(|x_i|, floor) 10^-d; theory/diagonal.py's
statements) and from hand closed forms, never from the code under test.
"""
from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
from mpmath import mpf

import strategies_certificates as S
from implicitreg.proofs.checker.check import check_certificate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "proofs" / "reference_certificates"


def _diagonal_references() -> dict[str, dict]:
    """The diagonal reference certificates without their symbolic limit section (numbers only; hash recomputed)."""
    out = {}
    for p in sorted(REFERENCE.glob("*.json")):
        cert = S.load(p)
        if cert["kind"] == "diagonal":
            out[p.stem] = S.rehash({k: v for k, v in cert.items() if k != "limit"})
    return out


DIAGONAL = _diagonal_references()


# --- r4-dup-bound-slice: a bound listed twice, at any two positions -------------------------------------------------

def _duplicated(cert: dict, src: int, dst: int, insert: bool) -> dict:
    """``cert`` with bound ``src`` copied to position ``dst`` (inserted there, or replacing the entry), together
    with every point's entry for it: a consistent forgery whose only defect is the repeated bound."""
    cert = copy.deepcopy(cert)
    for lst in [cert["bounds"]] + [pt["bounds"] for pt in cert["points"]]:
        entry = copy.deepcopy(lst[src])
        if insert:
            lst.insert(dst, entry)
        else:
            lst[dst] = entry
    return cert


def _dup_cases():
    for stem, cert in DIAGONAL.items():
        n = len(cert["bounds"])
        for i in range(n):
            yield pytest.param(stem, i, i + 1, True, id=f"{stem}-insert-{i}-at-{i + 1}")
            for j in range(i + 1, n):
                yield pytest.param(stem, i, j, False, id=f"{stem}-copy-{i}-over-{j}")


@pytest.mark.parametrize("stem,src,dst,insert", list(_dup_cases()))
def test_a_bound_listed_twice_is_refused_at_its_second_listing(stem, src, dst, insert):
    cert = _duplicated(DIAGONAL[stem], src, dst, insert)
    name = cert["bounds"][src]["name"]
    assert cert["bounds"][dst]["name"] == name and dst > src
    S.refused_exactly(cert, f"bounds[{dst}].name", f"the bound {name!r} is listed twice")


def test_the_duplicate_forgeries_start_from_accepted_certificates():
    # the forgeries above differ from an accepted certificate only by the repeated bound
    for cert in DIAGONAL.values():
        check_certificate(cert)


# --- r4-nu-radius-widened: every nu box just above 1e-20 max(1, |mid|) is refused -----------------------------------

#: docs/certificates.md: "the nu box radius <= 10^-20 max(1, |mid|)" (written here by hand, not read from the checker)
NU_RADIUS = F(1, 10 ** 20)


def _q(text: str) -> F:
    return F(text) if "/" in text else F(Decimal(text))


def _nu_cap(ball: dict) -> F:
    return NU_RADIUS * max(1, abs(_q(ball["mid"])))


def _with_nu_radius(cert: dict, k: int, i: int, rad: F) -> dict:
    return S.edit(cert, ("points", k, "nu", i, "rad"), f"{rad.numerator}/{rad.denominator}")


def _nu_cases():
    for stem, cert in DIAGONAL.items():
        for k, pt in enumerate(cert["points"]):
            for i in range(len(pt["nu"])):
                yield pytest.param(stem, k, i, id=f"{stem}-points{k}-nu{i}")


@pytest.mark.parametrize("stem,k,i", list(_nu_cases()))
def test_a_nu_box_just_above_the_documented_radius_is_refused(stem, k, i):
    cert = DIAGONAL[stem]
    cap = _nu_cap(cert["points"][k]["nu"][i])
    exc = S.refusal(_with_nu_radius(cert, k, i, cap + F(1, 10 ** 60)))
    assert exc.field == f"points[{k}].nu[{i}].rad", (exc.field, exc.message)
    assert "box radius above the maximum" in exc.message


@pytest.mark.parametrize("stem", sorted(DIAGONAL))
def test_nu_boxes_exactly_at_the_documented_radius_are_accepted(stem):
    # every nu box of the certificate widened to the documented limit, and the balls enclosed from it (x_inf, errors,
    # bound values) widened to 1e-15 |mid| (the format allows 1e-10 |mid|) to hold the wider enclosures: nothing
    # else refuses it, so the refusals above come from the radius cap alone
    cert = copy.deepcopy(DIAGONAL[stem])
    for pt in cert["points"]:
        for ball in pt["nu"]:
            cap = _nu_cap(ball)
            ball["rad"] = f"{cap.numerator}/{cap.denominator}"
        others = list(pt["x_inf"]) + list(pt["errors"].values()) + [b["value"] for b in pt["bounds"]]
        for ball in others:
            ball["rad"] = str(max(_q(ball["rad"]), abs(_q(ball["mid"])) / 10 ** 15))
    check_certificate(S.rehash(cert))


# --- r4-sbal-upper-field: the MC-Sbal row judges S_bal against its upper bound ----------------------------------

def _sbal_upper_eigvec(L: int) -> mpf:
    """eigvec-d3 (scales 1, 2, 3, index 1, c = 3): Sigma's eigenvalues x^2 / 3 = 1/3, 4/3, 3, so Lambda = 3; w* =
    3 Q e_1 has ||w*|| = 3 and a = w*^T Sigma w* / ||w*||^2 = 4/3 (its eigenvalue). Upper bound (MC-Sbal):
    2 ||w*||^(2-2/L) (Lambda + (L-1) a)."""
    return 2 * mpf(3) ** (2 - mpf(2) / L) * (3 + (L - 1) * mpf(4) / 3)


@pytest.mark.parametrize("L,upper_by_hand", [(2, 26), (3, None)])
def test_the_mc_sbal_row_fails_when_s_bal_exceeds_its_upper_bound_and_s_min_does_not(monkeypatch, L, upper_by_hand):
    from implicitreg.proofs.suites import deep_linear as sdl

    data = sdl.instances()[2]
    assert data.name == "eigvec-d3"
    with mpmath.workdps(sdl.DPS):
        upper = _sbal_upper_eigvec(L)
        if upper_by_hand is not None:
            assert upper == upper_by_hand
        real_s_min = sdl.dl.min_sharpness(data, L, dps=sdl.DPS).value
        assert real_s_min < upper * (1 - mpf(10) ** -3)   # S_min is well below S_bal's bound: the row must not read it

    def rows_with_s_bal(value):
        monkeypatch.setattr(sdl.dl, "balanced_sharpness", lambda data, L, dps=None: value)
        rows = []
        sdl._mc_lb_rows(data, L, np.random.default_rng(0), 1, rows)
        (row,) = [r for r in rows if r.theorem.startswith("MC-Sbal")]
        return row

    with mpmath.workdps(sdl.DPS):
        above = upper * (1 + mpf(10) ** -25)      # above the bound by far more than the 1e-30 rounding allowance
        at = upper
    row = rows_with_s_bal(above)
    assert row.passed is False
    assert row.observed == sdl.fmt(above, 8) and row.bound == sdl.fmt(upper, 8)
    assert rows_with_s_bal(at).passed is True
    assert rows_with_s_bal(upper * 2).passed is False


# --- r4-sweep-apriori-name-typo: MS-D2's a-priori bound needs alpha <= alpha_0 -------------------------------------

#: A = [1, 1/2], y = 1 (the tightness row): x* = (1, 0), rho = 1/2, K2 = 1/2, n = 1, K1* = |log 1| = 0, m* = 1.
#: alpha_0 (the largest alpha with K2 n exp(Kbar1 K2) alpha^(1-rho) <= m*/2, Kbar1 = K1* + log 2 + 4 alpha^2/m*^2)
#: solves sqrt(2) exp(2 alpha^2) sqrt(alpha) = 1, i.e. alpha exp(4 alpha^2) = 1/2: alpha_0 = 0.32645932020960...
ROW = {"name": "row", "digits": 30, "alphas": ["1e-30"], "depths": [2], "family": {"kind": "kink", "eps": ["0.5"]}}


def _row_alpha_0() -> mpf:
    with mpmath.workdps(40):
        return mpmath.findroot(lambda a: a * mpmath.exp(4 * a ** 2) - mpf(1) / 2, mpf("0.33"))


def _sweep(statement, alpha, **over):
    from implicitreg.experiments.sweep_spec import expand, load_spec
    from implicitreg.experiments.sweep_tasks import evaluate_task

    spec = dict(ROW, statements=[statement], alphas=[alpha], **over)
    (row,) = [evaluate_task(t.content, t.key) for t in expand(load_spec(spec))]
    return row


def test_row_alpha_0_by_hand():
    a0 = _row_alpha_0()
    assert abs(a0 - mpf("0.3264593202096")) < mpf(10) ** -12
    assert mpf("0.3264") < a0 < mpf("0.3265")


@pytest.mark.parametrize("alpha,convention", [("0.3265", "product"), ("1", "product"), ("0.5714", "factor")])
def test_the_apriori_bound_is_inapplicable_above_alpha_0(alpha, convention):
    # factor convention at D = 2: alpha_product = 0.5714^2 = 0.32649... > alpha_0
    row = _sweep("MS-D2:upper_l1_apriori", alpha, alpha_convention=convention)
    assert row["verdict"] == "inapplicable", row
    assert "above alpha_0 = 0.3264593202" in row["reason"]


@pytest.mark.parametrize("alpha,convention", [("0.3264", "product"), ("1e-30", "product"), ("0.5713", "factor")])
def test_the_apriori_bound_is_decided_at_or_below_alpha_0(alpha, convention):
    # factor convention at D = 2: alpha_product = 0.5713^2 = 0.32638... < alpha_0; the bound is a theorem there
    row = _sweep("MS-D2:upper_l1_apriori", alpha, alpha_convention=convention)
    assert row["verdict"] == "holds", row


def test_every_bound_with_a_priori_constants_carries_the_alpha_0_hypothesis():
    # the kind of the bug: a bound whose constants are the a-priori ones (Kbar1, valid only below alpha_0) must be
    # given the hypothesis alpha <= alpha_0 by the sweep, whatever its name
    import implicitreg.theory  # noqa: F401 - registers every theorem
    from implicitreg.experiments.sweep_tasks import _extra_hypotheses, statement_names
    from implicitreg.theory import diagonal
    from implicitreg.theory.statement import THEOREMS

    names = set(statement_names())
    apriori = [(th, b) for th in THEOREMS.values() for b in th.bounds
               if "Kbar1" in {s.name for s in b.symbols} and f"{th.name}:{b.name}" in names]
    assert [(th.name, b.name) for th, b in apriori] == [("MS-D2", "upper_l1_apriori")]
    for th, b in apriori:
        assert diagonal.alpha_small in _extra_hypotheses(th, b) or diagonal.alpha_small in th.hypotheses


# --- r4-sweep-accuracy-ulp: the sweep claims exactly the digits the limit's certified digits allow --------------------

#: one task's content on the tightness row (as tests/test_hard_front_sweep.py builds them)
_BASE = {"spec": "r4", "family": "random", "label": "t", "seed": None,
         "instance": {"A": [["1", "1/2"]], "y": ["1"]}, "depth": "2", "alpha_convention": "product",
         "certificate": False}


def test_accuracy_of_each_entry_is_the_documented_one():
    """docs/sweeps.md: an entry certified to d significant digits contributes max(|x_i|, floor) 10^-d."""
    from implicitreg.experiments import sweep_tasks as st

    ctx = st._Diagonal(dict(_BASE, statement="MS-D2:upper_l1", digits=12, alpha="1e-8"), F(1, 10 ** 8))
    with mpmath.workdps(60):
        lim = SimpleNamespace(x=[mpf(3) / 2, mpf("-2e-20"), mpf(0)], floor=mpf("1e-30"), digits_certified=12, dps=60)
        acc = ctx._accuracy(lim)
        for got, want in zip(acc, [mpf("1.5e-12"), mpf("2e-32"), mpf("1e-42")]):
            assert abs(got / want - 1) < mpf(10) ** -50, (got, want)


def _row_closed_form(alpha: mpf):
    """x_inf on A = [1, 1/2], y = 1, D = 2 (product scale): x = 2 alpha (sinh t, sinh(t/2)) with alpha (2 sinh t +
    sinh(t/2)) = 1 (dln.md section 5; the reference certificate ms_d2_row_r1_2's closed form)."""
    t = mpmath.findroot(lambda t: alpha * (2 * mpmath.sinh(t) + mpmath.sinh(t / 2)) - 1, mpmath.log(1 / alpha))
    return [2 * alpha * mpmath.sinh(t), 2 * alpha * mpmath.sinh(t / 2)]


@pytest.mark.parametrize("what", ["err_l1", "objective_gap", "err_l1_over_alpha"])
def test_observed_digits_are_those_the_certified_digits_allow_against_the_closed_form(what):
    from implicitreg.experiments import sweep_tasks as st

    alpha = F(1, 10 ** 10)
    ctx = st._Diagonal(dict(_BASE, statement="MS-D2:upper_l1", digits=20, alpha="1e-10"), alpha)
    lim = ctx.limit()
    value, digits = ctx._observe(what, lim)
    dc = lim.digits_certified
    with mpmath.workdps(120):
        a = mpf(1) / 10 ** 10
        x = _row_closed_form(a)
        true = {"err_l1": abs(x[0] - 1) + x[1], "objective_gap": x[0] + x[1] - 1,
                "err_l1_over_alpha": (abs(x[0] - 1) + x[1]) / a}[what]
        # the documented accuracy of the quantity: each entry contributes max(|x_i|, floor) 10^-dc, floor = alpha
        acc = sum(max(abs(v), a) for v in x) * mpf(10) ** -dc
        if what == "err_l1_over_alpha":
            acc /= a
        ratio = mpmath.log10(true / acc)
        assert abs(ratio - mpmath.nint(ratio)) > mpf("0.05")       # the expected count is not at a rounding edge
        expected = int(mpmath.floor(ratio)) - 1
        assert digits == expected, (what, digits, expected, dc)
        # and the claimed digits are right: the observed value agrees with the closed form to them
        assert abs(value - true) <= abs(true) * mpf(10) ** -digits
