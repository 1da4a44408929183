"""WAH-C's p = 2 objective bound [M log M - M + N + 2N alpha^2] / log(1/alpha^2) divides by log(1/alpha^2): it
carries the hypothesis alpha^2 < 1 (wah.md states it for small alpha without saying so), and every place that
evaluates it reports it not applicable at alpha >= 1 instead of raising ZeroDivisionError (alpha = 1) or
returning a negative, false bound (alpha > 1)."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from implicitreg.errors import HypothesisNotMetError
from implicitreg.theory import selection as TS

WAH_C_P2 = "(M*log(M) - M + N + 2*N*alpha**2)/log(1/alpha**2)"


def test_the_bound_carries_the_hypothesis_and_keeps_its_provenance():
    b = TS.THM_C.bound("objective_2")
    assert [h.name for h in b.hypotheses] == ["alpha^2 < 1"]
    assert b.provenance.kind == "derived" and TS.THM_C.provenance.kind == "derived"  # wah.md: [derived from Lemma B]
    assert b.to_json()["hypotheses"] == [{"name": "alpha^2 < 1", "text": "alpha^2 < 1 (log(1/alpha^2) > 0)"}]
    assert TS.THM_C.bound("objective_p").hypotheses == () and "hypotheses" not in TS.THM_C.bound("distance").to_json()
    assert "p = 2 and alpha < 1" in TS.THM_C.statement


@pytest.mark.parametrize("a", [1, Fraction(3, 2), "2"])
def test_evaluating_at_alpha_not_below_one_is_refused_with_the_reason(a):
    with pytest.raises(HypothesisNotMetError, match=r"objective_2.*is not < 1 \(the bound divides by log"):
        TS.THM_C.bound("objective_2").evaluate(40, alpha=a, N=3, M=2)
    with pytest.raises(HypothesisNotMetError, match="is not < 1"):
        TS.KINK_TRANSITION.bound("scale_2").evaluate(40, alpha=a)


def test_below_one_the_value_is_the_hand_formula():
    got = TS.THM_C.bound("objective_2").evaluate(40, alpha=Fraction(1, 2), N=3, M=2)
    with mpmath.workdps(40):  # (2 log 2 - 2 + 3 + 2*3/4) / log 4
        hand = (2 * mpmath.log(2) + mpmath.mpf(5) / 2) / mpmath.log(4)
        assert abs(got - hand) < mpmath.mpf(10) ** -38
    # the p > 2 bound has no such hypothesis (its derivation divides by nothing): defined at alpha = 2
    assert TS.THM_C.bound("objective_p").evaluate(30, alpha=2, p=3, N=2, X1=1) > 0


def test_the_theorem_decides_the_bound_hypothesis_with_its_own():
    facts = {"depth": Fraction(2), "consistent": True, "M": Fraction(1), "alpha": Fraction(1)}
    b = TS.THM_C.bound("objective_2")
    assert TS.THM_C.failed_hypotheses(facts) == []
    assert TS.THM_C.failed_hypotheses(facts, b) == ["alpha = 1 is not < 1 (the bound divides by log(1/alpha^2))"]
    assert TS.THM_C.failed_hypotheses(dict(facts, alpha=Fraction(99, 100)), b) == []
    with pytest.raises(HypothesisNotMetError, match="WAH-C: alpha = 1 is not < 1"):
        TS.THM_C.require(facts, b)


def test_sweep_row_at_alpha_one_is_inapplicable_with_the_reason():
    from implicitreg.experiments.sweep_spec import expand, load_spec
    from implicitreg.experiments.sweep_tasks import evaluate_task

    spec = {"name": "wahc", "digits": 20, "alphas": ["1", "1e-4"], "depths": [2], "alpha_convention": "factor",
            "family": {"kind": "kink", "eps": ["0.5"]}, "statements": ["WAH-C:objective_2"]}
    rows = {t.content["alpha"]: evaluate_task(t.content, t.key) for t in expand(load_spec(spec))}
    assert rows["1"]["verdict"] == "inapplicable" and "is not < 1 (the bound divides by log" in rows["1"]["reason"]
    assert rows["0.0001"]["verdict"] == "holds"


def test_falsify_skips_points_where_the_bound_is_undefined():
    from implicitreg.api import falsify

    res = falsify("gap", WAH_C_P2, depth=2, alpha_range="1:1", alpha_convention="factor", budget=3)
    assert res.refuted is False and res.evaluations == res.skipped == 3


def test_falsify_can_assume_the_hypothesis():
    from implicitreg.api import falsify
    from implicitreg.proofs.falsify import hypotheses

    assert "alpha^2 < 1" in hypotheses("diagonal")
    res = falsify("gap", WAH_C_P2, depth=2, alpha_range="1:4", alpha_convention="factor", budget=3,
                  assume=["alpha^2 < 1"])
    assert res.refuted is False and res.evaluations == res.skipped == 3
