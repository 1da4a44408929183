"""Tests answering the escapes of the second independent planted-bug round (docs/mutation.md, "Second independent
round"; tools/planted_bugs_round2.json). Expected values come from the documentation and from mathematics, never from
the code under test; each test was checked to fail with its planted bug and to pass on the code. All cheap (~1 s).

Kinds: a verify() sub-check of basis pursuit left alone; a suite verdict that must need *every* enumerated vertex; a
float64 line search that must not accept uphill steps; the cap of the selection's certified digits; exact parsing
and index ranges refused as the documented errors; the sweep's verdict at the certified digits and on non-positive
upper bounds; the API's documented limits and float64 parameter refusals (bad input -> a specific exception).
"""
from __future__ import annotations

import dataclasses
import re
import types
from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import CertificateError, InvalidInstanceError, InvalidParameterError
from implicitreg.numerics.basis_pursuit import l1_minimizer, nsp_constant, rho_constant, support_pinv_norm
from implicitreg.numerics.exact import parse_exact
from implicitreg.numerics.instance import Instance

F = Fraction


# ---------------------------------------------------------------- basis pursuit verify(): face directions in ker A_S

FACE2 = Instance.from_lists([[1, 1, 1, 1, "0.3"], [0, 1, 2, 3, 1]], [1, 1], name="face2")  # S = {0..3}, dim 2


def test_bp_verify_refuses_a_face_direction_in_ker_a_but_not_in_ker_a_s():
    """The face X_BP = point + ker A_S (embedded: zero off S). v = (7/10, -1, 0, 0, 1) is in ker A (rows: 7/10 - 1
    + 3/10 = 0 and -1 + 1 = 0) but nonzero off S, so d0 + v keeps A d = 0, the count and the independence of the
    directions, and only "zero off S" can reject it."""
    res = l1_minimizer(FACE2)
    res.verify()
    A = [[F(1), F(1), F(1), F(1), F(3, 10)], [F(0), F(1), F(2), F(3), F(1)]]
    v = (F(7, 10), F(-1), F(0), F(0), F(1))
    assert all(sum(a * b for a, b in zip(row, v)) == 0 for row in A)     # v in ker A, by hand
    d0, d1 = res.face.directions
    bad = tuple(a + b for a, b in zip(d0, v))
    assert bad[4] != 0 and 4 not in res.support
    forged = dataclasses.replace(res, face=dataclasses.replace(res.face, directions=(bad, d1)))
    with pytest.raises(CertificateError, match="^" + re.escape("a face direction is not in ker A_S") + "$"):
        forged.verify()


# ---------------------------------------------------------------- basis pursuit suite: every enumerated vertex

PAIR = Instance.from_lists([[1, 1]], [1], name="pair")   # X_BP = the segment [(1, 0), (0, 1)]: two optimal vertices


def _run_bp_suite(monkeypatch, face_of=None):
    """The basis pursuit suite on PAIR alone (no spec), the exact LP's face replaced by ``face_of(res)``; the
    instance-free derivation rows are stubbed (they do not look at the instance)."""
    from implicitreg.proofs.suites import basis_pursuit as bsuite

    monkeypatch.setattr(bsuite, "builtin_instances", lambda thorough=False: [(PAIR, {})])
    if face_of is not None:
        real = bsuite.l1_minimizer
        monkeypatch.setattr(bsuite, "l1_minimizer", lambda inst: dataclasses.replace(r := real(inst),
                                                                                      face=face_of(r)))
    ok = types.SimpleNamespace(passed=True, detail="stub, stub")
    for name in ("check_line_counterexample", "check_weak_duality_symbolic"):
        monkeypatch.setattr(bsuite.rd, name, lambda _ok=ok: _ok)
    rows = [v for v in bsuite.run() if v.instance == "pair" and v.theorem == "BP-maximal-support"]
    assert len(rows) == 1
    return rows[0]


def test_bp_suite_row_needs_every_enumerated_vertex_in_the_face(monkeypatch):
    """Vertex enumeration finds both (1, 0) and (0, 1). A face that contains only one of them (and lists no
    vertices, which is allowed) is not X_BP: the row must FAIL, not pass because *some* vertex is in it."""
    assert _run_bp_suite(monkeypatch).passed is True
    row = _run_bp_suite(monkeypatch, lambda r: types.SimpleNamespace(
        contains=lambda x: tuple(x) == (F(1), F(0)), vertices=None, dimension=r.face.dimension))
    assert row.passed is False and row.note == "exact LP, vertex enumeration or spec disagree"


# ---------------------------------------------------------------- float64 face Newton: Armijo, no uphill steps

def _three_halves(m):
    """g(y) = |y - m|^(3/2): strictly convex; its Newton step from m + u lands on m - u exactly (g'/g'' = 2 (y - m)),
    where g has the same value: a full step that does not decrease G, so Armijo must shorten it."""
    def d2(y):
        u = abs(y - m)
        return mpf("0.75") / mpmath.sqrt(u) if u else mpf(10) ** 30

    from implicitreg.numerics.selection import TieBreak

    return TieBreak("test: |y - m|^(3/2)", lambda y: abs(y - m) ** mpf("1.5"),
                    lambda y: mpf("1.5") * mpmath.sign(y - m) * mpmath.sqrt(abs(y - m)), d2)


@pytest.mark.parametrize("m, start", [(10, 11), (10, 12), (3, 5)])
def test_float64_face_start_refuses_steps_that_do_not_decrease_the_objective(m, start):
    """On the face x = start + c (one coordinate, one direction) the minimizer of g is c = m - start. Damped Newton
    with Armijo's test halves the non-decreasing full step once and lands on it; accepting the full step would
    oscillate between start and 2 m - start forever."""
    from implicitreg.numerics.selection import float64_face_start

    c = float64_face_start([F(start)], [[F(1)]], _three_halves(mpf(m)))
    assert abs(c[0] - (m - start)) <= 1e-9 * abs(m - start)


# ---------------------------------------------------------------- selection digits: at most the first solve's dps

def test_selection_claims_at_most_the_working_digits_of_its_first_solve():
    """select_on_face certifies by agreement of solves at dps = digits + 15 and 2 dps; the agreement is 'at most
    dps' (the first solve carries no more). On a point face (no directions: X_BP = {x*}) both solves are the exact
    point, so the claim is exactly digits + 15, never 2 dps: also when the two agree bit for bit (a dyadic point)."""
    from implicitreg.numerics.selection import select_on_face

    for digits in (10, 25):
        res = select_on_face([F(1, 3), F(0), F(-2)], [], 3, digits=digits)
        assert res.digits == digits + 15
        assert res.unique_bp is True and [mpmath.nstr(v, 12) for v in res.x] == ["0.333333333333", "0.0", "-2.0"]
        exact = select_on_face([F(1, 4), F(0), F(-3, 2)], [], 2, digits=digits)   # both solves: the same binary
        assert exact.digits == digits + 15 and exact.x == [mpf("0.25"), 0, mpf("-1.5")]


# ---------------------------------------------------------------- exact parsing and index ranges: the documented errors

@pytest.mark.parametrize("text", ["0/0", "-0/0", " 0 / 0 ", "0/-0", "5/0"])
def test_a_zero_denominator_is_refused_as_an_instance_error(text):
    """'p/q' with q = 0 is not a number, 0/0 included: InvalidInstanceError naming the entry (never a
    ZeroDivisionError, which the CLI would not turn into one line and exit 2)."""
    with pytest.raises(InvalidInstanceError, match=r"^A\[0\]\[1\]: zero denominator"):
        parse_exact(text, "A[0][1]")
    with pytest.raises(InvalidInstanceError):
        Instance.from_data({"A": [[1, text]], "y": [1]})


def test_the_cli_refuses_a_zero_denominator_with_one_line_and_exit_2(tmp_path, capsys):
    from implicitreg.cli import main

    f = tmp_path / "bad.json"
    f.write_text('{"A": [[1, "0/0"]], "y": [1]}')
    assert main(["l1", "--instance", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "zero denominator" in err


ROW2 = [[1, F(1, 3)], [0, 1]]


@pytest.mark.parametrize("support", [[0, 2], [2], [-1], [0, 1, 2]])
def test_support_indices_outside_0_to_n_minus_1_are_refused(support):
    """N = 2 columns: indices 0 and 1 only. Index N (one past the end) and -1 are parameter errors naming the range,
    for every function that takes a support."""
    msg = r"support indices must lie in \[0, 1\]"
    with pytest.raises(InvalidParameterError, match=msg):
        rho_constant(ROW2, support, [1] * len(support))
    with pytest.raises(InvalidParameterError, match=msg):
        nsp_constant(ROW2, support)
    with pytest.raises(InvalidParameterError, match=msg):
        support_pinv_norm(ROW2, support)
    assert rho_constant(ROW2, [0, 1], [1, 1]).value == 0     # the whole range is fine


# ---------------------------------------------------------------- sweep verdicts at the certified digits

def test_sweep_verdict_is_undecided_when_observed_and_bound_agree_to_every_certified_digit():
    """docs/sweeps.md: 'undecided' when observed and bound agree to every certified digit. observed = bound (1 +
    10^-d) with d certified significant digits: both read 1.000...0 to d digits, so no side is decided; a gap in the
    second digit is decided, on the right side."""
    from implicitreg.experiments.sweep_tasks import _decide

    for d in (6, 12, 30):
        with mpmath.workdps(d + 20):
            b = mpf(3)
            near = b * (1 + mpf(10) ** -d)
            for side in ("upper", "lower"):
                assert _decide(side, near, b, d)[0] == "undecided"
                assert _decide(side, b * (1 - mpf(10) ** -d), b, d)[0] == "undecided"
            assert _decide("upper", b * mpf("1.01"), b, d)[0] == "violated"
            assert _decide("upper", b * mpf("0.99"), b, d)[0] == "holds"
            assert _decide("lower", b * mpf("0.99"), b, d)[0] == "violated"
            assert _decide("lower", b * mpf("1.01"), b, d)[0] == "holds"


def test_sweep_upper_bound_at_or_below_zero_is_violated_by_a_positive_observation():
    """A lower bound <= 0 holds trivially for a norm (reported as such); an upper bound <= 0 does not: a positive
    observed norm violates it."""
    from implicitreg.experiments.sweep_tasks import _decide

    with mpmath.workdps(40):
        for b in (mpf(0), mpf(-1), mpf("-1e-30")):
            assert _decide("upper", mpf("0.5"), b, 30)[0] == "violated"
            verdict, reason = _decide("lower", mpf("0.5"), b, 30)
            assert verdict == "holds" and "trivial" in reason


# ---------------------------------------------------------------- API limits and float64 parameters

def test_depth_above_the_documented_maximum_of_10_000_is_refused():
    """Diagonal depths are bounded by 10^4 (implicitreg.api.inputs: larger depths only overflow): D = 10001 is a
    parameter error naming the limit, for the flow and the limit alike (before any computation)."""
    import implicitreg as ir

    A, y = [[1, F(1, 2)]], [1]
    for call in (lambda D: ir.gradient_flow(A, y, D, "1e-2", max_steps=1),
                 lambda D: ir.gradient_flow_limit(A, y, D, "1e-2", digits=5)):
        for D in (10001, "10000.5", 10 ** 6):
            with pytest.raises(InvalidParameterError, match="at most 10000"):
                call(D)


X3 = [[1, 0], [0, 2], [1, 1]]
Y3 = [1, 2, 2]


@pytest.mark.parametrize("name, kwargs", [
    ("eta", {"eta": "0"}), ("eta", {"eta": "1e-400"}), ("eta", {"eta": "-0.1"}),
    ("t_end", {"t_end": "0"}), ("t_end", {"t_end": "1e-330"}),
    ("tol", {"tol": "0"}), ("tol", {"tol": "1e-400"}),
    ("scale", {"scale": "0"}), ("scale", {"scale": "1e-400"}),
])
def test_deep_flow_float64_parameters_must_be_positive_finite_float64(name, kwargs):
    """deep_flow's parameters 'are read exactly and must be finite float64 values' (> 0 where they are step sizes,
    times, tolerances or the small-initialization scale): 0, negatives and values that underflow float64 to 0 are
    refused by name."""
    import implicitreg as ir

    with pytest.raises(InvalidParameterError, match=f"^{name} "):
        ir.deep_flow(X3, Y3, 2, steps=1, **({"eta": "0.01"} | kwargs if name != "eta" else kwargs))


def test_gradient_flow_time_budget_must_be_a_positive_float64():
    import implicitreg as ir

    for budget in ("0", "1e-400", "-1"):
        with pytest.raises(InvalidParameterError, match="^time_budget "):
            ir.gradient_flow([[1, F(1, 2)]], [1], 2, "1e-2", time_budget=budget, max_steps=1)


# ---------------------------------------------------------------- probes of the same kinds (written after reading tests)

def test_selection_agreement_is_capped_at_the_first_solves_digits():
    """_agreement: 'digits on which x1 and x2 agree ... (at most dps1)': solves that differ only beyond dps1 digits
    still certify dps1, never more (the first solve carries no more)."""
    from implicitreg.numerics.selection import _agreement

    for dps1 in (20, 45):
        dps2 = 2 * dps1
        with mpmath.workdps(dps2):
            x2 = [mpf(1), mpf(-3)]
            for gap in (dps1 + 1, dps1 + 5, dps2 - 2):
                x1 = [mpf(1) + mpf(10) ** -gap, mpf(-3)]
                assert _agreement(x1, x2, dps1, dps2) == dps1
            # below the cap: relative to max |x2_i| = 3, floor(-log10(10^-(dps1 - 7) / 3)) = dps1 - 7
            assert _agreement([mpf(1) + mpf(10) ** -(dps1 - 7), mpf(-3)], x2, dps1, dps2) == dps1 - 7


def test_layers_above_the_documented_maximum_of_1000_are_refused():
    """Deep linear networks: L is an integer in [2, 1000] (implicitreg.api.inputs); 1001 is a parameter error
    naming the limit, before any computation."""
    import implicitreg as ir

    with pytest.raises(InvalidParameterError, match="at most 1000"):
        ir.deep_flow(X3, Y3, 1001, eta="0.01", steps=1)
    with pytest.raises(InvalidParameterError, match="at most 1000"):
        ir.sharpness(X3, Y3, 1001)


def test_select_digits_above_the_documented_maximum_of_10000_are_refused():
    """selected_minimizer: 'digits certified significant digits (at most 10000)'."""
    import implicitreg as ir

    with pytest.raises(InvalidParameterError, match="between 1 and 10000"):
        ir.selected_minimizer([[1, F(1, 3)]], [1], 2, digits=10001)


def test_sign_patterns_and_orders_out_of_range_are_refused():
    """A sign pattern has entries +1 or -1 only (0 is not a sign of a support entry); the NSP order s >= 0."""
    with pytest.raises(InvalidParameterError, match="each \\+1 or -1"):
        rho_constant(ROW2, [0], [0])
    with pytest.raises(InvalidParameterError, match="each \\+1 or -1"):
        rho_constant(ROW2, [0, 1], [1, 0])
    from implicitreg.numerics.basis_pursuit import nsp_constant_order

    with pytest.raises(InvalidParameterError, match="nonnegative integer"):
        nsp_constant_order(ROW2, -1)
    assert nsp_constant_order(ROW2, 0) == 0
