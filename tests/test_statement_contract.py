"""The statement types' contract beyond the formulas: mutants, JSON forms, the registry, conversions, errors."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.precision import mpf_from
from implicitreg.theory import statement as st
from implicitreg.theory.statement import Bound, Hypothesis, Provenance, Theorem, alpha, rho

PAPER = Provenance("paper", "a source")
DERIVED = Provenance("derived", "ours", proof="proofs/derivations/x.py", note="a note")


def test_mutated_bound_is_scaled_and_shifted_exactly():
    b = Bound("U", "upper", "err", 3 * alpha ** (1 - rho), PAPER, note="n")
    m = b.mutated(scale=Fraction(1, 2), power=(alpha, Fraction(1, 10)))
    assert sympy.simplify(m.expr - Fraction(3, 2) * alpha ** (Fraction(11, 10) - rho)) == 0
    assert (m.name, m.side, m.lhs, m.provenance, m.note) == ("U[mutant]", "upper", "err", PAPER, "deliberately wrong")
    assert b.mutated().expr == b.expr                        # no change asked: the same expression
    assert b.mutated(power=(rho, -1)).expr == 3 * alpha ** (1 - rho) / rho


def test_evaluate_and_holds_use_the_requested_precision():
    b = Bound("E", "upper", "err", sympy.exp(alpha) * sympy.sqrt(2), PAPER)
    with mpmath.workdps(80):
        exact = mpmath.exp(mpmath.mpf(1) / 3) * mpmath.sqrt(2)
    v = b.evaluate(70, alpha=Fraction(1, 3))
    with mpmath.workdps(80):
        assert abs(v - exact) < mpmath.mpf(10) ** -68
    # at 60 digits an observation 1e-45 (relative) above the bound is a violation; at the default 30 it is not seen
    with mpmath.workdps(80):
        above = exact * (1 + mpmath.mpf(10) ** -45)
    assert not b.holds(above, 60, alpha=Fraction(1, 3))
    assert b.holds(above, alpha=Fraction(1, 3))
    assert b.evaluate(alpha=Fraction(1, 3)) == b.evaluate(30, alpha=Fraction(1, 3))
    with pytest.raises(InvalidParameterError, match=r"bound 'E' needs values for alpha"):
        b.evaluate(30)
    two = Bound("T", "upper", "err", alpha * rho, PAPER)
    with pytest.raises(InvalidParameterError, match="needs values for alpha, rho"):
        two.evaluate(30)


def test_mpf_from_converts_exactly_at_the_current_precision():
    with mpmath.workdps(60):
        assert abs(mpf_from(sympy.pi) - mpmath.pi) < mpmath.mpf(10) ** -59
        assert mpf_from(Fraction(1, 3)) == mpmath.mpf(1) / 3
        assert mpf_from("0.1") == mpmath.mpf("0.1") and mpf_from(7) == 7
        assert abs(mpf_from(sympy.Rational(1, 7)) - mpmath.mpf(1) / 7) < mpmath.mpf(10) ** -59


def test_json_forms():
    assert PAPER.to_json() == {"kind": "paper", "source": "a source"}
    assert DERIVED.to_json() == {"kind": "derived", "source": "ours", "proof": "proofs/derivations/x.py",
                                 "note": "a note"}
    b = Bound("U", "lower", "err", 2 * alpha, DERIVED)
    data = b.to_json()
    assert data == {"name": "U", "side": "lower", "lhs": "err", "expr": sympy.srepr(2 * alpha), "text": "2*alpha",
                    "provenance": DERIVED.to_json()}
    h = Hypothesis("h", "a text", lambda f: True, "never")
    th = Theorem("T-json", "title", "stmt", PAPER, hypotheses=(h,), bounds=(b,))
    assert th.to_json() == {"name": "T-json", "title": "title", "statement": "stmt", "provenance": PAPER.to_json(),
                            "hypotheses": [{"name": "h", "text": "a text"}], "bounds": [data]}


def test_invalid_statements_are_refused_with_reasons():
    with pytest.raises(ValueError, match="provenance kind must be one of .* got 'folklore'"):
        Provenance("folklore", "x")
    with pytest.raises(ValueError, match="^a derived statement must name its proof or check in proofs/$"):
        Provenance("derived", "x")
    with pytest.raises(ValueError, match="bound side must be one of .* got 'sideways'"):
        Bound("B", "sideways", "err", alpha, PAPER)


def test_theorem_bound_lookup_and_require():
    b = Bound("U", "upper", "err", alpha, PAPER)
    th = Theorem("T-look", "t", "s", PAPER, hypotheses=(
        Hypothesis("a", "a", lambda f: f["a"], "no a"), Hypothesis("b", "b", lambda f: f["b"], "no b")), bounds=(b,))
    assert th.bound("U") is b
    with pytest.raises(KeyError, match=r"T-look has no bound 'V' \(has \['U'\]\)"):
        th.bound("V")
    with pytest.raises(HypothesisNotMetError, match="^T-look: no a; no b$"):
        th.require({"a": False, "b": False})
    th.require({"a": True, "b": True})


def test_registry_refuses_a_second_theorem_of_the_same_name(monkeypatch):
    monkeypatch.setattr(st, "THEOREMS", {})
    first = Theorem("T-reg", "t", "s", PAPER)
    assert st.register(first) is first and st.THEOREMS == {"T-reg": first}
    assert st.register(first) is first                       # the same object again: fine (re-import)
    with pytest.raises(ValueError, match="theorem 'T-reg' registered twice"):
        st.register(Theorem("T-reg", "t", "other", PAPER))
    other = Theorem("T-other", "t", "s", PAPER)
    st.register(other)
    assert st.THEOREMS == {"T-reg": first, "T-other": other}
