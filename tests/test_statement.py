"""The statement type: provenance rules, hypotheses with reasons, bound evaluation and mutants."""
from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.proofs.checks import compare, local_slopes, loglog_slope
from implicitreg.theory.statement import Bound, Hypothesis, Provenance, Theorem, alpha, rho

PAPER = Provenance("paper", "a source")


def test_provenance_kinds_are_checked():
    with pytest.raises(ValueError):
        Provenance("folklore", "x")
    with pytest.raises(ValueError, match="proof"):
        Provenance("derived", "ours")  # a derivation must name its check in proofs/
    assert Provenance("derived", "ours", proof="proofs/derivations/x.py").label() == "derived"


def test_bound_evaluates_at_requested_precision():
    b = Bound("B", "upper", "err", 3 * alpha ** (1 - rho), PAPER)
    val = b.evaluate(50, alpha=Fraction(1, 10 ** 20), rho=Fraction(1, 4))
    with mpmath.workdps(60):
        exact = 3 * mpmath.mpf(10) ** (-15)
        assert abs(val - exact) < mpmath.mpf(10) ** -60
    with pytest.raises(InvalidParameterError, match="rho"):
        b.evaluate(30, alpha=1)


def test_upper_and_lower_bounds_decide_the_right_side():
    up = Bound("U", "upper", "err", 2 * alpha, PAPER)
    lo = Bound("L", "lower", "err", alpha / 2, PAPER)
    assert up.holds(Fraction(1, 10), alpha=Fraction(1, 10))
    assert not up.holds(Fraction(21, 100), alpha=Fraction(1, 10))
    assert lo.holds(Fraction(1, 10), alpha=Fraction(1, 10))
    assert not lo.holds(Fraction(4, 100), alpha=Fraction(1, 10))
    ok, value, margin = compare(up, Fraction(1, 10), alpha=Fraction(1, 10))
    with mpmath.workdps(30):
        assert ok and abs(value - mpmath.mpf(2) / 10) < 1e-25 and abs(margin - mpmath.mpf(1) / 2) < 1e-25


def test_mutants_are_caught():
    """A bound attained exactly is violated by its mutants: constant halved, exponent off by 0.1."""
    b = Bound("U", "upper", "err", alpha ** (1 - rho), PAPER)
    a, r = Fraction(1, 10 ** 8), Fraction(1, 2)
    with mpmath.workdps(30):
        observed = mpmath.mpf("0.999e-4")  # 0.999 a^(1-r): the bound nearly attained
    assert b.holds(observed, alpha=a, rho=r)
    assert not b.mutated(scale=Fraction(1, 2)).holds(observed, alpha=a, rho=r)
    assert not b.mutated(power=(alpha, Fraction(1, 10))).holds(observed, alpha=a, rho=r)


def test_hypotheses_fail_with_reasons():
    th = Theorem("T", "t", "statement", PAPER,
                 hypotheses=(Hypothesis("unique", "x* unique", lambda f: f["unique"], "x* not unique"),
                             Hypothesis("small", "alpha <= alpha0", lambda f: f["alpha"] <= f["alpha0"],
                                        "alpha above alpha_0 = {alpha0}")),
                 bounds=())
    assert th.failed_hypotheses({"unique": True, "alpha": 1, "alpha0": 2}) == []
    failed = th.failed_hypotheses({"unique": False, "alpha": 3, "alpha0": 2})
    assert failed == ["x* not unique", "alpha above alpha_0 = 2"]
    assert th.failed_hypotheses({"unique": True}) == ["small: fact 'alpha' was not computed"]
    with pytest.raises(HypothesisNotMetError, match="not unique"):
        th.require({"unique": False, "alpha": 1, "alpha0": 2})


def test_slope_fit_recovers_a_known_power():
    xs = [mpmath.mpf(10) ** -k for k in range(2, 12)]
    ys = [7 * x ** mpmath.mpf("0.7") for x in xs]
    assert abs(loglog_slope(xs, ys) - mpmath.mpf("0.7")) < 1e-12
    assert all(abs(s - mpmath.mpf("0.7")) < 1e-12 for s in local_slopes(xs, ys))
    with pytest.raises(ValueError):
        loglog_slope([1], [1])


def test_json_form_keeps_the_expression():
    b = Bound("U", "upper", "err", 2 * alpha ** (1 - rho), PAPER)
    data = b.to_json()
    assert sympy.sympify(data["text"], locals={"alpha": alpha, "rho": rho}) == b.expr
    assert data["provenance"]["kind"] == "paper"


def test_derived_bound_is_a_bound_with_derived_provenance():
    """derived_bound (called at import by every theory module, where mutmut sees no test) called directly: every
    field reaches the Bound and its Provenance, the note is empty unless given, and a proof is required."""
    from implicitreg.theory.statement import derived_bound

    b = derived_bound("rate", "upper", "err", 1 - rho, "our proof", "proofs/derivations/x.py")
    assert (b.name, b.side, b.lhs, b.expr) == ("rate", "upper", "err", 1 - rho)
    assert b.provenance == Provenance("derived", "our proof", proof="proofs/derivations/x.py", note="")
    noted = derived_bound("c", "lower", "x", alpha, "why", "proofs/p.py", note="n")
    assert noted.provenance.note == "n" and noted.side == "lower" and noted.provenance.kind == "derived"
    with pytest.raises(ValueError):
        derived_bound("c", "lower", "x", alpha, "why", "")


# --- a bound's own hypotheses (on the values of its symbols) -----------------------------------------------------

_SMALL = Hypothesis("alpha < 1", "alpha < 1 (log(1/alpha^2) > 0)", lambda f: f["alpha"] < 1, "alpha = {alpha} is not < 1")
_NEVER = Hypothesis("never", "a condition that fails", lambda f: False, "never holds")


def _log_bound(*hypotheses):
    from implicitreg.theory.statement import derived_bound

    return derived_bound("obj", "upper", "gap", 1 / sympy.log(1 / alpha ** 2), "ours", "proofs/x.py",
                         hypotheses=hypotheses)


def test_a_bound_refuses_values_outside_its_own_hypotheses_with_every_reason():
    b = _log_bound(_SMALL)
    assert b.hypotheses == (_SMALL,)
    with mpmath.workdps(30):
        assert abs(b.evaluate(alpha=Fraction(1, 10)) * mpmath.log(100) - 1) < mpmath.mpf(10) ** -25  # 1/log(1/0.01)
    assert b.holds("0.2", alpha=Fraction(1, 10)) and not b.holds("0.3", alpha=Fraction(1, 10))  # 1/log 100 = 0.217
    with pytest.raises(HypothesisNotMetError) as exc:
        b.evaluate(alpha=1)
    assert str(exc.value) == "bound 'obj' does not apply: alpha = 1.0 is not < 1"
    with pytest.raises(HypothesisNotMetError) as exc:
        _log_bound(_SMALL, _NEVER).evaluate(alpha=2)
    assert str(exc.value) == "bound 'obj' does not apply: alpha = 2.0 is not < 1; never holds"
    with pytest.raises(HypothesisNotMetError):  # a hypothesis that fails everywhere refuses every value
        _log_bound(_NEVER).evaluate(alpha=Fraction(1, 10))


def test_a_mutated_bound_keeps_the_hypotheses_and_json_names_them():
    b = _log_bound(_SMALL)
    wrong = b.mutated(scale=2)
    assert wrong.hypotheses == (_SMALL,)
    with pytest.raises(HypothesisNotMetError):
        wrong.evaluate(alpha=1)
    assert b.to_json()["hypotheses"] == [{"name": "alpha < 1", "text": "alpha < 1 (log(1/alpha^2) > 0)"}]
    assert "hypotheses" not in _log_bound().to_json()


def test_a_theorem_decides_a_named_bound_s_hypotheses_with_its_own():
    b = _log_bound(_SMALL)
    always = Hypothesis("ok", "holds", lambda f: True, "unused")
    th = Theorem("T", "t", "s", Provenance("derived", "ours", proof="proofs/x.py"), hypotheses=(always,), bounds=(b,))
    facts = {"alpha": 1}
    assert th.failed_hypotheses(facts) == [] and th.failed_hypotheses(facts, b) == ["alpha = 1 is not < 1"]
    th.require(facts)  # the theorem's own hypotheses hold
    with pytest.raises(HypothesisNotMetError) as exc:
        th.require(facts, b)
    assert str(exc.value) == "T: alpha = 1 is not < 1"
    th.require({"alpha": Fraction(1, 2)}, b)
