"""Direct tests of proofs/resolution.py (the accuracy model of ``verify --instance``) for the ``resolution`` mutation
target: the KKT residual left open, the selection errors' accuracy, the limit cache and its one recomputation, the
error norms and the bookkeeping of undecided rows. Expected values by hand (comments and docstrings)."""
from __future__ import annotations

from fractions import Fraction as F
from types import SimpleNamespace

import mpmath
import pytest

from implicitreg.numerics.instance import Instance
from implicitreg.proofs import resolution as rs
from implicitreg.proofs.checks import Verdict


def close(a, b, rel=mpmath.mpf(10) ** -25):
    with mpmath.workdps(40):
        return abs(mpmath.mpf(a) - mpmath.mpf(b)) <= rel * abs(mpmath.mpf(b))


def lim_of(x, digits, floor, dps=50, a=1):
    with mpmath.workdps(dps):
        return SimpleNamespace(x=[mpmath.mpf(v) for v in x], digits=digits, floor=mpmath.mpf(floor), dps=dps,
                               alpha_product=mpmath.mpf(a))


# --- limit_accuracy, resolved_digits ------------------------------------------------------------------------------

def test_limit_accuracy_uses_the_limits_own_precision_and_the_magnitude_of_each_entry():
    """max(|x_i|, floor) 10^-digits: |-3| 10^-40 and the floor 1e-5 10^-40 = 1e-45 (at the limit's 60 digits: at 15
    the ulp 10^-40 would still be right, so the entries are 1/3 to tell the precision: (1/3) 10^-40 to 50 digits)."""
    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
        lim = SimpleNamespace(x=[mpmath.mpf(-3), mpmath.mpf(0), -third], digits=40, floor=mpmath.mpf("1e-5"), dps=60)
    acc = rs.limit_accuracy(lim)
    with mpmath.workdps(60):
        assert abs(acc[0] - 3 * mpmath.mpf(10) ** -40) < mpmath.mpf(10) ** -95
        assert abs(acc[1] - mpmath.mpf(10) ** -45) < mpmath.mpf(10) ** -100
        assert abs(acc[2] - third * mpmath.mpf(10) ** -40) < mpmath.mpf(10) ** -95   # 55 digits, not 15


def test_resolved_digits_edges():
    """an accuracy of 0 resolves MAX_LIMIT_DIGITS = 300 digits; 2e-10 / 1e-40 = 2e30: 30 digits; 9e-11 / 1e-40:
    29; an accuracy just below the value: 0 digits (floor of log10 of 1.x)."""
    assert rs.resolved_digits(mpmath.mpf("1e-10"), 0) == 300
    assert rs.resolved_digits(mpmath.mpf("2e-10"), mpmath.mpf("1e-40")) == 30
    assert rs.resolved_digits(mpmath.mpf("9e-11"), mpmath.mpf("1e-40")) == 29
    assert rs.resolved_digits(mpmath.mpf("1.5"), mpmath.mpf("1")) == 0
    assert rs.resolved_digits(mpmath.mpf("25"), mpmath.mpf("1")) == 1
    assert rs.resolved_digits(mpmath.mpf("-25"), mpmath.mpf("1")) == 1
    assert rs.resolved_digits(mpmath.mpf("0.5"), mpmath.mpf("1")) == 0     # accuracy above the value
    assert (rs.MIN_RESOLVED_DIGITS, rs.WANTED_DIGITS, rs.MAX_LIMIT_DIGITS, rs.UNDECIDED) == (3, 30, 300, "undecided")


# --- Measured -----------------------------------------------------------------------------------------------------

def test_measured_digits_and_unresolved_at_chosen_indices():
    """digits per value: 5e-3 / 1e-6 -> 3 (resolved: exactly MIN_RESOLVED_DIGITS), 5e-3 / 1e-4 -> 1 (not)."""
    m = rs.Measured("gap", ["1e-2", "1e-4", "1e-6"], [mpmath.mpf("5e-3"), mpmath.mpf("5e-3"), mpmath.mpf("5e-3")],
                    [mpmath.mpf("1e-6"), mpmath.mpf("1e-4"), mpmath.mpf("1e-7")])
    assert m.digits() == [3, 1, 4]
    assert m.unresolved([0]) == "" and m.unresolved([0, 2]) == "" and m.unresolved([]) == ""
    assert m.unresolved([2, 1]) == m.unresolved() == (
        "gap = 0.005 at alpha = 1e-4 is not resolved: the certified limits leave +-0.0001 (1 significant digits, "
        "3 needed)")
    assert rs.Measured("e", [], [], []).unresolved() == ""
    # the value printed to 3 digits, the accuracy to 2: 0.0051234567 +- 0.000123456 (41.5: 1 digit)
    m = rs.Measured("gap", ["1e-4"], [mpmath.mpf("0.0051234567")], [mpmath.mpf("0.000123456")])
    assert m.unresolved() == ("gap = 0.00512 at alpha = 1e-4 is not resolved: the certified limits leave +-0.00012 "
                              "(1 significant digits, 3 needed)")


def test_shifted_moves_each_value_by_its_own_accuracy_and_stops_at_zero():
    m = rs.Measured("e", ["1", "2"], [mpmath.mpf(5), mpmath.mpf("0.25")], [mpmath.mpf(1), mpmath.mpf("0.5")])
    assert m.shifted(1) == [6, mpmath.mpf("0.75")]
    assert m.shifted(-1) == [4, 0]          # 0.25 - 0.5 < 0: a norm, kept at 0
    assert m.shifted(2) == [7, mpmath.mpf("1.25")]


# --- decide -------------------------------------------------------------------------------------------------------

def _upper(bound, note=""):
    def build(values):
        return Verdict("T b", "derived", "i", "2", "", values[0], bound, values[0],
                       all(v <= mpmath.mpf(bound) for v in values), note=note)
    return build


def _lower(bound):
    def build(values):
        return Verdict("T b", "derived", "i", "2", "", values[0], bound, values[0],
                       all(v >= mpmath.mpf(bound) for v in values))
    return build


def test_decide_returns_the_row_built_on_the_measured_values_and_uses_the_side():
    """The row is build(values) itself (observed 0.9, not a shifted one); a lower bound 1 is decided the other way
    round (values to 3 digits, +- 1e-3): 1.002 holds (1.001 >= 1), 0.998 fails (0.999 < 1), 1.0005 is undecided
    (0.9995 fails, 1.0015 holds); against an upper bound 1 the same values: 0.998 holds, 1.002 fails, 1.0005
    undecided."""
    m = rs.Measured("err", ["1e-4"], [mpmath.mpf("0.9")], [mpmath.mpf("0.01")])
    row, reason = rs.decide(_upper(1), "upper", m)
    assert row.observed == mpmath.mpf("0.9") and row.passed and reason == ""

    def meas(v):
        return rs.Measured("err", ["1e-4"], [mpmath.mpf(v)], [mpmath.mpf("1e-3")])

    generic = "err and the bound agree within the accuracy of the certified limits"
    row, reason = rs.decide(_lower(1), "lower", meas("1.002"))
    assert reason == "" and row.passed
    row, reason = rs.decide(_lower(1), "lower", meas("0.998"))
    assert reason == "" and not row.passed and row.observed == mpmath.mpf("0.998")
    assert rs.decide(_lower(1), "lower", meas("1.0005"))[1] == generic
    row, reason = rs.decide(_upper(1), "upper", meas("0.998"))
    assert reason == "" and row.passed
    row, reason = rs.decide(_upper(1), "upper", meas("1.002"))
    assert reason == "" and not row.passed
    assert rs.decide(_upper(1), "upper", meas("1.0005"))[1] == generic


@pytest.mark.parametrize("side, value, decided", [
    ("upper", "0.9985", True),    # against: 0.9995 <= 1 holds (by 2 accuracies it would not)
    ("upper", "1.0015", True),    # against fails, towards: 1.0005 > 1 fails (by 2 accuracies it would hold)
    ("upper", "1.0005", False),
    ("lower", "1.0015", True),    # against: 1.0005 >= 1 holds (by 2 accuracies it would not)
    ("lower", "0.9985", True),    # against fails, towards: 0.9995 < 1 fails (by 2 accuracies it would hold)
    ("lower", "0.9995", False)])
def test_decide_moves_each_observation_by_exactly_one_accuracy(side, value, decided):
    """An upper / lower bound 1, observations +- 1e-3: decided exactly when moving by one accuracy decides."""
    m = rs.Measured("err", ["1e-4"], [mpmath.mpf(value)], [mpmath.mpf("1e-3")])
    reason = rs.decide(_upper(1) if side == "upper" else _lower(1), side, m)[1]
    assert (reason == "") is decided


def test_decide_trusts_values_resolved_to_wanted_digits():
    """Every value to >= 30 digits: the row as built stands, even where the shifted rows disagree (a bound 1 and an
    observation 1 + 1e-31 +- 1e-31.5: 30 digits resolved); one value at 29 digits: undecided."""
    with mpmath.workdps(50):
        v = mpmath.mpf(1) + mpmath.mpf(10) ** -31
        m30 = rs.Measured("err", ["1e-4"], [v], [mpmath.mpf("3e-31")])         # 1 / 3e-31 = 3.3e30: 30 digits
        m29 = rs.Measured("err", ["1e-4"], [v], [mpmath.mpf("3e-30")])         # 29 digits
    row, reason = rs.decide(_upper(1), "upper", m30)
    assert not row.passed and reason == ""
    assert rs.decide(_upper(1), "upper", m29)[1] == "err and the bound agree within the accuracy of the certified limits"
    # no values at all: min(..., default=WANTED_DIGITS) decides on the row as built
    assert rs.decide(lambda vals: Verdict("T", "d", "i", "2", "", "-", "-", "-", False),
                     "upper", rs.Measured("e", [], [], [])) [1] == ""


def test_decide_a_not_informative_best_case_is_undecided():
    """Moved towards a lower bound the row becomes not informative (note NOT_INFORMATIVE, failed): that is no FAIL."""
    def build(values):
        informative = values[0] > mpmath.mpf("0.5")
        return Verdict("T", "d", "i", "2", "", values[0], 1, values[0], bool(values[0] >= 1),
                       note="" if informative else rs.NOT_INFORMATIVE)
    m = rs.Measured("err", ["1e-4"], [mpmath.mpf("0.55")], [mpmath.mpf("0.1")])   # towards: 0.65 informative, fails
    assert rs.decide(build, "lower", m)[1] == ""
    # a row whose best case is not informative but still resolved: the generic reason (0.45 against +-1e-4: 3 digits, resolved)
    def build2(values):
        return Verdict("T", "d", "i", "2", "", values[0], 1, values[0], False,
                       note=rs.NOT_INFORMATIVE if values[0] > mpmath.mpf("0.45005") else "")
    m2 = rs.Measured("err", ["1e-4"], [mpmath.mpf("0.45")], [mpmath.mpf("1e-4")])   # towards (+): 0.4501
    assert rs.decide(build2, "lower", m2)[1] == "err and the bound agree within the accuracy of the certified limits"


# --- kkt_open -----------------------------------------------------------------------------------------------------

def test_kkt_open_by_hand_at_depth_two():
    """D = 2: h^-1(s) = asinh(s/2), (h^-1)' = 1 / (2 cosh t). A = [1, 1]: ker A = span (-1, 1). a = 2, x = (3, -3):
    x/a = +-3/2 = 2 sinh(+-ln 2), so t = +-ln 2, 2 cosh t = 5/2; acc_i = 3 10^-2. Open: 2 (0.03 / 2) / (5/2) = 0.012
    over the scale |t_1| + |t_2| = 2 ln 2: 0.006 / ln 2."""
    inst = Instance.from_lists([[1, 1]], [1], name="k")
    lim = lim_of([3, -3], 2, "1e-6", a=2)
    with mpmath.workdps(40):
        assert close(rs.kkt_open(inst, lim, F(2)), mpmath.mpf("0.006") / mpmath.log(2))


def test_kkt_open_takes_the_worst_kernel_vector_and_a_zero_scale_is_one():
    """A = [1, 1, 0]: ker A = span{(-1, 1, 0), (0, 0, 1)}. x = (3, -3, 0), a = 2, floor 1, digits 2: the first as
    above (0.006 / ln 2 = 0.00866); the second has t_3 = 0 (scale 0, taken as 1) and acc_3 = 1 10^-2: 0.01 / 2 / 2
    = 0.0025. The worst: 0.006 / ln 2. A = [1, 0]: only (0, 1), with x_2 = 0: 0.0025 (scale 1)."""
    lim = lim_of([3, -3, 0], 2, 1, a=2)
    with mpmath.workdps(40):
        assert close(rs.kkt_open(Instance.from_lists([[1, 1, 0]], [1]), lim, F(2)), mpmath.mpf("0.006") / mpmath.log(2))
        assert close(rs.kkt_open(Instance.from_lists([[1, 0, 1]], [1]), lim, F(2)),
                     # ker: (0, 1, 0) first -> t_2 = -ln 2: (0.03/2)/(5/2) / ln 2 = 0.006 / ln 2; (-1, 0, 1): open
                     # 0.03/2/(5/2) + 0.01/2/2 = 0.006 + 0.0025 over |t_1| = ln 2
                     mpmath.mpf("0.0085") / mpmath.log(2))
        assert close(rs.kkt_open(Instance.from_lists([[1, 0]], [1]), lim_of([3, 0], 2, 1, a=2), F(2)),
                     mpmath.mpf("0.0025"))
        assert rs.kkt_open(Instance.from_lists([[1, 0], [0, 1]], [1, 1]), lim_of([3, 0], 2, 1, a=2), F(2)) == 0


def test_kkt_open_at_depth_three():
    """D = 3: h_3(z) = (1-z)^-3 - (1+z)^-3, h_3(1/2) = 8 - 8/27 = 208/27, h_3'(z) = 3[(1-z)^-4 + (1+z)^-4],
    h_3'(1/2) = 3 (16 + 16/81) = 3936/81. A = [1, 1], a = 1, x = (208/27, -208/27): t = +-1/2, acc = (208/27) 10^-3
    each. Open: 2 (208/27) 10^-3 (81/3936) over the scale 1: (416 * 3 / 3936) 10^-3."""
    with mpmath.workdps(50):
        v = mpmath.mpf(208) / 27
        lim = lim_of([v, -v], 3, "1e-9", a=1)
    with mpmath.workdps(40):
        assert close(rs.kkt_open(Instance.from_lists([[1, 1]], [1]), lim, F(3)),
                     mpmath.mpf(416 * 3) / 3936 / 1000)


# --- selection_accuracy, error_norms ------------------------------------------------------------------------------

def test_selection_accuracy_adds_the_limits_and_x_g():
    """limit: x = (1, 0), floor 1e-2, 2 digits: acc = 0.01 + 1e-4 = 0.0101. x_g = (2, -5) to 3 digits, not unique:
    2 entries * 5 * 1e-3 = 0.01; unique: 0; digits -1 counts as 0: 2 * 5 * 1 = 10; no entries: 0."""
    lim = lim_of([1, 0], 2, "1e-2")

    def res(x, unique, digits, n=1):
        return SimpleNamespace(selection=SimpleNamespace(x=[mpmath.mpf(v) for v in x], unique_bp=unique,
                                                         digits=digits), limits=[lim] * n)

    out = rs.selection_accuracy(res([2, -5], False, 3, n=2))
    assert len(out) == 2 and all(close(o, "0.0201") for o in out)
    assert close(rs.selection_accuracy(res([2, -5], True, 3))[0], "0.0101")
    assert close(rs.selection_accuracy(res([2, -5], False, -1))[0], "10.0101")
    assert close(rs.selection_accuracy(res([], False, 3))[0], "0.0101")
    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
    # x_g = (1/3) to 40 digits: 1 * (1/3) * 1e-40 exactly enough that 60 digits are kept in the sum
    got = rs.selection_accuracy(SimpleNamespace(selection=SimpleNamespace(x=[third], unique_bp=False, digits=40),
                                                limits=[lim_of([0], 50, "1e-50")]))[0]
    with mpmath.workdps(60):
        assert abs(got - (third * mpmath.mpf(10) ** -40 + mpmath.mpf(10) ** -100)) < mpmath.mpf(10) ** -95


def test_error_norms_is_the_l1_distance_and_the_summed_accuracy():
    """x = (1, -2, 1/3) against x_ref = (1/2, 0, 1/3): 1/2 + 2 + 0 = 5/2 (at the limit's 50 digits: 1/3 - 1/3 = 0, not
    a 15-digit rounding); acc = (1 + 2 + 1/3) 10^-3 (floor 1e-9)."""
    with mpmath.workdps(50):
        third = mpmath.mpf(1) / 3
        lim = SimpleNamespace(x=[mpmath.mpf(1), mpmath.mpf(-2), third], digits=3, floor=mpmath.mpf("1e-9"), dps=50)
    value, acc = rs.error_norms([F(1, 2), F(0), F(1, 3)])(lim)
    with mpmath.workdps(50):
        assert abs(value - mpmath.mpf("2.5")) < mpmath.mpf(10) ** -45
        assert abs(acc - (3 + third) / 1000) < mpmath.mpf(10) ** -45


# --- Limits -------------------------------------------------------------------------------------------------------

@pytest.fixture
def flow(monkeypatch):
    """gradient_flow_limit recorded: a limit knows only its digits; ``value(digits)`` is what measure reads."""
    from implicitreg.numerics import dual_limit

    calls = []

    def fake(inst, D, a, **kw):
        calls.append((inst, D, a, kw))
        return SimpleNamespace(digits=kw["digits"], D=D, a=a)

    monkeypatch.setattr(dual_limit, "gradient_flow_limit", fake)
    return calls


def test_limits_get_caches_by_depth_and_alpha_and_recomputes_for_more_digits(flow):
    L = rs.Limits("inst")
    assert L.inst == "inst" and L.cache == {}
    first = L.get(F(2), "1e-4")
    assert flow == [("inst", F(2), "1e-4", {"alpha_convention": "product", "digits": 30})]
    assert L.get(F(2), "1e-4") is first and L.get(F(2), "1e-4", 20) is first and L.get(F(2), "1e-4", 30) is first
    assert len(flow) == 1
    other = L.get(F(3), "1e-4")
    assert other.D == F(3) and len(flow) == 2 and L.get(F(2), "1e-8").a == "1e-8" and len(flow) == 3
    more = L.get(F(2), "1e-4", 31)
    assert more.digits == 31 and flow[-1][3] == {"alpha_convention": "product", "digits": 31}
    assert L.get(F(2), "1e-4") is more and L.cache[(F(2), "1e-4")] is more and len(flow) == 4


def test_limits_resolving_recomputes_once_with_the_missing_digits(flow):
    """measure: a value 2e-10 known to 10^-digits: 20 digits at 30 (< 30 wanted): recomputed at 30 + 30 - 20 + 5
    = 45 digits (35 resolved)."""
    seen = []

    def measure(lim):
        seen.append(lim.digits)
        return mpmath.mpf("2e-10"), mpmath.mpf(10) ** -lim.digits

    L = rs.Limits("i")
    lim, (value, acc) = L.resolving(F(2), "1e-4", measure)
    assert [c[3]["digits"] for c in flow] == [30, 45] and seen == [30, 45]
    assert lim.digits == 45 and value == mpmath.mpf("2e-10") and acc == mpmath.mpf(10) ** -45
    # asked with 40 digits: 30 resolved (2e-10 / 1e-40 = 2e30): enough, no recomputation
    flow.clear()
    seen.clear()
    lim, (_, acc) = rs.Limits("i").resolving(F(2), "1e-4", measure, digits=40)
    assert [c[3]["digits"] for c in flow] == [40] and seen == [40] and lim.digits == 40


@pytest.mark.parametrize("digits, recomputed", [(266, True), (267, False)])
def test_limits_resolving_stops_at_max_limit_digits(flow, digits, recomputed):
    """A value resolved to 1 digit (2e-(d-1) known to 1e-d) at d digits needs d + 30 - 1 + 5 = d + 34: at d = 266
    that is 300 = MAX_LIMIT_DIGITS (recomputed), at 267 it is 301 (the limit at 267 digits is returned)."""
    def measure(lim):
        return 2 * mpmath.mpf(10) ** -(digits - 1), mpmath.mpf(10) ** -lim.digits

    lim, (value, acc) = rs.Limits("i").resolving(F(2), "1e-4", measure, digits=digits)
    assert [c[3]["digits"] for c in flow] == ([digits, 300] if recomputed else [digits])
    assert lim.digits == (300 if recomputed else digits) and acc == mpmath.mpf(10) ** -lim.digits


# --- NotApplicable, not_applicable, undecided, keep, keep_split ---------------------------------------------------

def test_not_applicable_records_and_json():
    theorem = SimpleNamespace(name="WAH-C", provenance=SimpleNamespace(kind="paper"))
    n = rs.not_applicable(theorem, F(5, 2), "rho >= 1")
    assert (n.theorem, n.provenance, n.depth, n.reason, n.kind) == ("WAH-C", "paper", "5/2", "rho >= 1", "hypothesis")
    assert rs.not_applicable(theorem, 3, "why", kind="scope").kind == "scope"
    assert n.to_json() == {"theorem": "WAH-C", "provenance": "paper", "depth": "5/2", "reason": "rho >= 1",
                           "kind": "hypothesis"}
    assert rs.NotApplicable("T", "derived", "2", "r").kind == "hypothesis"


def _row(name, passed=True):
    return Verdict(name, "derived", "inst", "3", "1e-4", 1, 2, "0.5", passed)


def test_undecided_keep_and_keep_split():
    u = rs.undecided(_row("MS-D3 rate"), "no rate: why")
    assert u == rs.NotApplicable("MS-D3 rate", "derived", "3", "no rate: why", "undecided")
    a, b, c = _row("A"), _row("B", False), _row("C")
    rows = [a]
    rs.keep(rows, [(b, ""), (c, "not resolved")])
    assert rows == [a, b, rs.NotApplicable("C", "derived", "3", "not resolved", "undecided")]
    rows, report = [], SimpleNamespace(not_applicable=["earlier"])
    rs.keep_split(rows, report, [(a, "why a"), (b, ""), (c, "")])
    assert rows == [b, c]
    assert report.not_applicable == ["earlier", rs.NotApplicable("A", "derived", "3", "why a", "undecided")]


def test_selection_accuracy_is_summed_at_60_digits(monkeypatch):
    """The accuracies are added at 60 working digits (the limits' own accuracies come at their precision)."""
    seen = []

    def acc(lim):
        seen.append(mpmath.mp.dps)
        return [mpmath.mpf(1)]

    monkeypatch.setattr(rs, "limit_accuracy", acc)
    res = SimpleNamespace(selection=SimpleNamespace(x=[mpmath.mpf(1)], unique_bp=True, digits=3), limits=[None] * 2)
    assert rs.selection_accuracy(res) == [1, 1] and seen == [60, 60]
