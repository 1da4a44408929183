"""``verify --instance`` decides a row only on what the certified limits resolve (proofs/instance_verify.py).

Instances with a tiny entry eps: A = [eps, 1], y = 1 has x* = (0, 1), S = {2}, rho = K2 = eps, n = 1 (by hand), and the
flow limit is x = alpha (phi(eps nu), phi(nu)), so the error is ~ alpha eps (times log(1/alpha) at D = 2, h_D'(0) at
D > 2). At eps = 1e-30 every error is resolved and every row is decided, and a wrong bound still FAILs; at
eps = 1e-9999 the errors sit far below the limits' accuracy on x_2 = 1 and the rows that compare, order or fit them are
undecided, while the rows that read the dual point w still decide (and can fail). Expected values are hand values.
"""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest
import sympy

from implicitreg.numerics.error_constants import offsupport_radius, offsupport_radius_spec, support_constants
from implicitreg.numerics.instance import Instance
from implicitreg.proofs import instance_verify as iv
from implicitreg.proofs.checks import Verdict
from implicitreg.theory import diagonal as td
from implicitreg.theory.statement import Bound, Theorem

GRID_D2 = ["1e-4", "1e-8", "1e-12", "1e-16", "1e-20", "1e-25", "1e-30"]  # the default product grid at D = 2
GRID_D3 = ["1e-4", "1e-8", "1e-12"]


def tiny(eps: str, name="tiny"):
    inst = Instance.from_lists([[eps, 1]], [1], name=name)
    return inst, support_constants(inst)


def split(items):
    """{theorem: Verdict} and {theorem: reason} of the undecided ones."""
    rows = {r.theorem: r for r in items if isinstance(r, Verdict)}
    undecided = {n.theorem: n.reason for n in items if isinstance(n, iv.NotApplicable)}
    assert all(n.kind == iv.UNDECIDED for n in items if isinstance(n, iv.NotApplicable))
    return rows, undecided


@pytest.fixture
def mutant_bound(monkeypatch):
    """Replace one bound of a theorem by a deliberately wrong copy (same name, expression times the exact ``scale``;
    Bound.mutated's nsimplify would round 1 + 1e-20 to 1): ``mutant_bound(T, name, scale)``."""
    original = Theorem.bound

    def install(theorem, name, scale):
        b = original(theorem, name)
        scale = F(scale)
        wrong = Bound(b.name, b.side, b.lhs, b.expr * sympy.Rational(scale.numerator, scale.denominator),
                      b.provenance, "deliberately wrong", b.hypotheses)
        monkeypatch.setattr(Theorem, "bound", lambda self, n: wrong if (self is theorem and n == name)
                            else original(self, n))
    return install


# --- the accuracy model -------------------------------------------------------------------------------------------

def test_resolved_digits_and_limit_accuracy():
    assert iv.resolved_digits(mpmath.mpf("1.5e-10"), mpmath.mpf("1e-14")) == 4
    assert iv.resolved_digits(mpmath.mpf("-1.5e-10"), mpmath.mpf("1e-14")) == 4
    assert iv.resolved_digits(mpmath.mpf("1e-10"), mpmath.mpf("1e-10")) == 0   # accuracy as large as the value
    assert iv.resolved_digits(mpmath.mpf("1e-99"), mpmath.mpf("1e-44")) == 0
    assert iv.resolved_digits(0, mpmath.mpf("1e-44")) == 0                      # 0 is not resolved as a size
    # an entry is certified relative to itself, or at the scale floor when it is smaller (LimitResult)
    with mpmath.workdps(60):
        lim = SimpleNamespace(x=[mpmath.mpf(2), mpmath.mpf("1e-50")], dps=60, digits=30, floor=mpmath.mpf("1e-4"))
        acc = iv.limit_accuracy(lim)
        assert abs(acc[0] / mpmath.mpf("2e-30") - 1) < mpmath.mpf(10) ** -50
        assert abs(acc[1] / mpmath.mpf("1e-34") - 1) < mpmath.mpf(10) ** -50


def test_shifted_observations_keep_every_digit():
    """The observations moved by their accuracy are formed exactly: at the default 15 digits 1/3 + 1e-90 (and 1/3
    itself, moved by 0) came back rounded to 53 bits, and an attained bound (dist = gap/kappa on A = [1, 1/2, -1/2])
    then FAILed at 7e-17."""
    with mpmath.workdps(120):
        third = mpmath.mpf(1) / 3
        tiny_acc = mpmath.mpf(10) ** -90
    m = iv._Measured("err", ["1e-4"], [third], [tiny_acc])
    up, same, down = m.shifted(1)[0], m.shifted(0)[0], m.shifted(-1)[0]
    assert same == third
    with mpmath.workdps(120):
        assert up - third == tiny_acc and third - down == tiny_acc
    assert iv._Measured("err", ["1e-4"], [tiny_acc], [third]).shifted(-1) == [0]   # norms stay >= 0


def test_a_bound_row_is_decided_only_when_the_accuracy_cannot_change_it():
    """_decide: PASS when the observation moved by its accuracy against the bound still holds, FAIL when moved
    towards it still fails, else undecided (upper bounds 1 and 1e-60)."""
    def upper(bound):
        def build(values):
            return Verdict("T b", "derived", "i", "2", "", values[0], bound, values[0],
                           all(v <= mpmath.mpf(bound) for v in values))
        return build

    def measured(v, acc):
        return iv._Measured("err", ["1e-4"], [mpmath.mpf(v)], [mpmath.mpf(acc)])

    assert iv._decide(upper(1), "upper", measured("0.9", "0.01"))[1] == ""
    row, reason = iv._decide(upper(1), "upper", measured("1.1", "0.01"))
    assert not row.passed and reason == ""
    row, reason = iv._decide(upper(1), "upper", measured("1.00005", "0.0001"))
    assert reason == "err and the bound agree within the accuracy of the certified limits"
    # not resolved, but far below the bound: PASS all the same (the upper bounds on A = [1e-9999, 1])
    row, reason = iv._decide(upper(1), "upper", measured("1e-99", "1e-44"))
    assert row.passed and reason == ""
    row, reason = iv._decide(upper("1e-60"), "upper", measured("1e-99", "1e-44"))
    assert reason == ("err = 1.0e-99 at alpha = 1e-4 is not resolved: the certified limits leave +-1.0e-44 "
                      "(0 significant digits, 3 needed)")
    # a lower bound <= 0 at every alpha: the suites' row fails (so that a wrong bound cannot hide), here it is
    # undecided, resolved observation or not
    def vacuous(values):
        return Verdict("T", "derived", "i", "2", "", "-", "expr", "-", False, note=iv.NOT_INFORMATIVE)

    assert iv._decide(vacuous, "lower", measured("0.5", "1e-40"))[1] == (
        "the lower bound is <= 0 at every alpha of the grid: it says nothing here (smaller alphas may make it "
        "positive)")
    assert iv._decide(vacuous, "lower", measured("1e-99", "1e-44"))[1].startswith("err = 1.0e-99 at alpha = 1e-4 is")


def test_undecided_statements_have_their_own_heading():
    rep = iv.InstanceVerification("i", "diagonal")
    rep.verdicts.append(Verdict("MS-D2 upper_l1", "derived", "i", "2", "1e-4..1e-30", 1, 2, 0.5, True))
    rep.not_applicable.append(iv.NotApplicable("MS-D2 rate", "paper", "2", "no rate: why", iv.UNDECIDED))
    text = rep.format()
    assert text.startswith("instance i (diagonal)\n1 undecided (neither PASS nor FAIL; listed at the end with the "
                           "reasons)\n")
    assert "undecided (neither PASS nor FAIL at the accuracy of the certified limits):\n" \
           "- MS-D2 rate [paper] (D = 2): no rate: why" in text
    assert rep.passed and "not applicable" not in text and "not checked" not in text
    assert rep.to_json()["not_applicable"][0]["kind"] == "undecided"


# --- eps = 1e-30: every row decided, and a wrong bound still fails -------------------------------------------------

def test_tiny_rho_decides_every_ms_d2_row_and_a_wrong_lower_bound_fails(mutant_bound):
    """eps = 1e-30, D = 2: error ~ 2 alpha eps log(1/alpha) against the lower bound exp(-K1 K2) alpha^(1-rho) - alpha
    ~ alpha eps (log(1/alpha) - K1): ratio ~ 2, resolved (30 digits of x at alpha = 1e-4 leave 1e-48 on an error of
    2e-33). Three times that bound is violated, and the row says FAIL."""
    inst, sc = tiny("1e-30")
    rows, undecided = split(iv._ms_d2(inst, sc, GRID_D2))
    assert undecided == {}
    assert set(rows) == {"MS-D2 upper_l1", "MS-D2 upper_offsupport_spec", "MS-D2 lower_inf", "MS-D2 upper_l1_apriori",
                         "MS-D2 lemmas (ms_d2.py steps 3-5, 9; error identity)", "MS-D2 rate"}
    assert all(r.passed for r in rows.values())
    assert abs(float(rows["MS-D2 lower_inf"].margin) - 2) < 0.01
    mutant_bound(td.MS_D2_THEOREM, "lower_inf", 3)
    rows, undecided = split(iv._ms_d2(inst, sc, GRID_D2))
    assert undecided == {} and rows["MS-D2 lower_inf"].passed is False
    assert abs(float(rows["MS-D2 lower_inf"].margin) - F(2, 3)) < 0.01


def test_tiny_rho_attained_d3_lower_bound_passes_and_a_bound_1e_20_higher_fails(mutant_bound):
    """eps = 1e-30, D = 3, n = 1: w_C = eps nu = rho - K2 eps exactly, so ||x_inf - x*||_inf = alpha h_3(rho_minus):
    the lower bound is attained. Evaluated at 40 digits, h_3(1e-30) = (1 - r)^-3 - (1 + r)^-3 kept 10 digits and the
    row FAILed (ratio 1 - 7e-12); evaluated to 40 digits it is attained within 1e-25 (PASS), and a bound only 1e-20
    higher is violated (FAIL)."""
    inst, sc = tiny("1e-30")
    rows, reason = iv._ms_d3(inst, sc, F(3), GRID_D3)
    rows, undecided = split(rows)
    assert reason == "" and undecided == {}
    assert set(rows) == {"MS-D3 limit", "MS-D3 upper_l1", "MS-D3 lower_inf", "MS-D3 lemma (ms_d3.py step 3)",
                         "MS-D3 spec M0 (conjecture)", "MS-D3 rate"}
    assert all(r.passed for r in rows.values())
    assert "attained within 1e-25 at 3 alpha(s)" in rows["MS-D3 lower_inf"].note
    mutant_bound(td.MS_D3_THEOREM, "lower_inf", 1 + F(1, 10 ** 20))
    rows, _ = iv._ms_d3(inst, sc, F(3), GRID_D3)
    assert split(rows)[0]["MS-D3 lower_inf"].passed is False


def test_tiny_rho_instance_has_no_undecided_statement():
    """The accuracy model flags nothing on a resolvable extreme instance (eps = 1e-30, D = 2, the default range)."""
    rep = iv.verify_instance({"A": [["1e-30", 1]], "y": [1]}, depths=[2])
    assert [n.theorem for n in rep.not_applicable if n.kind == iv.UNDECIDED] == []
    assert {v.theorem for v in rep.verdicts} >= {"MS-D2 lower_inf", "MS-D2 rate", "WAH-D", "WAH-C distance",
                                                 "WAH-E rate", "WAH-A2"}
    assert rep.passed


# --- eps = 1e-9999 ------------------------------------------------------------------------------------------------

def test_offsupport_radii_at_a_tiny_rho_a():
    """For small r, h_3(M) = 6 M + O(M^3) and H_3(M) = 3 M^2 + O(M^4): the spec's M_0 solves (M - r) 6 M = n r 6 r, so
    M_0 / r = (1 + sqrt(1 + 4 n)) / 2 (the golden ratio at n = 1), and ours H(M) = n H(r) gives sqrt(n). Bisection from
    1 down used to stop at 4.8e-532 for r = 1e-9999 (it needs 33000 halvings)."""
    r = mpmath.mpf(10) ** -9999
    with mpmath.workdps(50):
        for n in (1, 3):
            spec = offsupport_radius_spec(3, r, n) / r
            ours = offsupport_radius(3, r, n) / r
            assert abs(spec - (1 + mpmath.sqrt(1 + 4 * n)) / 2) < mpmath.mpf(10) ** -40
            assert abs(ours - mpmath.sqrt(n)) < mpmath.mpf(10) ** -40


def test_tiny_entry_d3_rows_read_from_w_still_decide_and_can_fail(monkeypatch):
    """eps = 1e-9999, D = 3: the error rows are undecided; the lemma and the spec-M0 row read the dual point w
    (max |w_C| = eps nu with nu -> 1, spec M_0 = golden ratio * rho_a) and decide: the spec row passes with ratio
    ~ 1/1.618 = 0.618, and with the spec radius halved (0.809 rho) it FAILs."""
    from implicitreg.numerics import error_constants

    inst, sc = tiny("1e-9999")
    rows, reason = iv._ms_d3(inst, sc, F(3), GRID_D3)
    rows, undecided = split(rows)
    assert reason == ""
    assert set(rows) == {"MS-D3 lemma (ms_d3.py step 3)", "MS-D3 spec M0 (conjecture)"}
    assert set(undecided) == {"MS-D3 limit", "MS-D3 upper_l1", "MS-D3 lower_inf", "MS-D3 rate"}
    assert all(" is not resolved: the certified limits leave +-" in why for why in undecided.values())
    spec = rows["MS-D3 spec M0 (conjecture)"]
    assert spec.passed and abs(float(spec.margin) - 0.618) < 0.001
    half = error_constants.offsupport_radius_spec
    monkeypatch.setattr(error_constants, "offsupport_radius_spec", lambda D, r, n: half(D, r, n) / 2)
    rows, _ = iv._ms_d3(inst, sc, F(3), GRID_D3)
    assert split(rows)[0]["MS-D3 spec M0 (conjecture)"].passed is False


def test_two_rows_with_tiny_entries_are_undecided_the_same_way():
    """A = [[1e-9999, 1, 0], [0, 1e-9999, 1]], y = (1, 1): x* = (0, 1, 1 - 1e-9999) (by hand: x_1 = t costs
    |t| - 1e-9999 t + 1e-19998 t > 0 in l1), and every error is ~alpha 1e-9999: as for one row, only the upper
    bounds and the ms_d2 steps decide."""
    inst = Instance.from_lists([["1e-9999", 1, 0], [0, "1e-9999", 1]], [1, 1], name="two")
    sc = support_constants(inst)
    rows, undecided = split(iv._ms_d2(inst, sc, GRID_D2[:3] + GRID_D2[-1:]))
    assert set(rows) == {"MS-D2 upper_l1", "MS-D2 upper_offsupport_spec", "MS-D2 upper_l1_apriori",
                         "MS-D2 lemmas (ms_d2.py steps 3-5, 9)"}
    assert all(r.passed for r in rows.values())
    assert set(undecided) == {"MS-D2 lower_inf", "MS-D2 error identity", "MS-D2 rate"}
