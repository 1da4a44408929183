"""Every hypothesis of every statement decided at its boundary (the conditions of theory/diagonal.py and
selection.py are module-level lambdas, which mutmut cannot mutate, so a flipped comparison, a strict bound made loose
or a conjunction made a disjunction is caught here instead; those of basis_pursuit.py and sharpness.py are named
functions, mutated by the targets theory-basis-pursuit and theory-sharpness against these cases).

Each hypothesis is given facts just inside and just outside its condition, and must hold / fail accordingly,
with its reason formatted from the facts on failure."""
from __future__ import annotations

from fractions import Fraction as F

import pytest

import implicitreg.theory.basis_pursuit as tbp
import implicitreg.theory.diagonal as tdiag
import implicitreg.theory.selection as tsel
import implicitreg.theory.sharpness as tsharp

# hypothesis -> [(facts, holds)], boundaries on both sides
CASES = {
    tbp._injective: [({"rank_A_S": 3, "s": 3}, True), ({"rank_A_S": 2, "s": 3}, False),
                     ({"rank_A_S": 4, "s": 3}, False)],
    tbp._strict: [({"rho": F(99, 100)}, True), ({"rho": 1}, False), ({"rho": F(101, 100)}, False)],
    tbp._sigma_in_range: [({"sigma_in_range": True}, True), ({"sigma_in_range": False}, False)],
    tdiag.unique: [({"unique": True}, True), ({"unique": False}, False)],
    tdiag.nonzero: [({"support_size": 1}, True), ({"support_size": 0}, False)],
    tdiag.depth_two: [({"depth": 2}, True), ({"depth": F(5, 2)}, False), ({"depth": 3}, False)],
    tdiag.depth_deep: [({"depth": F(201, 100)}, True), ({"depth": 2}, False), ({"depth": F(199, 100)}, False)],
    tdiag.alpha_small: [({"alpha": F(1, 10), "alpha_0": F(1, 10)}, True),
                        ({"alpha": F(1, 10), "alpha_0": F(1, 11)}, False),
                        ({"alpha": F(1, 11), "alpha_0": F(1, 10)}, True)],
    tdiag.rho_a_below_one: [({"rho_a": F(99, 100)}, True), ({"rho_a": 1}, False)],
    tdiag.rho_positive: [({"rho": F(1, 100)}, True), ({"rho": 0}, False)],
    tsel._real_depth: [({"depth": 2}, True), ({"depth": "inf"}, True), ({"depth": F(199, 100)}, False)],
    tsel._deeper: [({"depth": F(201, 100)}, True), ({"depth": 2}, False), ({"depth": "inf"}, False)],
    tsel._shallow: [({"depth": 2}, True), ({"depth": 3}, False), ({"depth": "inf"}, False)],
    tsel._in_range: [({"consistent": True}, True), ({"consistent": False}, False)],
    tsel._nonzero: [({"M": F(1, 100)}, True), ({"M": 0}, False)],
    tsel._small_alpha: [({"alpha": F(99, 100)}, True), ({"alpha": 1}, False)],
    tsel._off_support: [({"S_complement": 1, "rho": F(1, 100)}, True), ({"S_complement": 0, "rho": F(1, 2)}, False),
                        ({"S_complement": 2, "rho": 0}, False), ({"S_complement": 0, "rho": 0}, False)],
    tsel._full_support: [({"S_complement": 0}, True), ({"S_complement": 1}, False)],
    tsel._kink_eps: [({"eps": F(1, 100)}, True), ({"eps": F(99, 100)}, True), ({"eps": 0}, False),
                     ({"eps": 1}, False)],
    tsharp._depth_ok: [({"L": 2}, True), ({"L": 5}, True), ({"L": 1}, False), ({"L": F(5, 2)}, False)],
    tsharp._target_nonzero: [({"w_norm": F(1, 100)}, True), ({"w_norm": 0}, False)],
    tsharp._minimizer: [({"excess_loss": 0}, True), ({"excess_loss": F(1, 10 ** 20)}, False),
                        ({"excess_loss": F(1, 10 ** 20), "excess_tol": F(1, 10 ** 20)}, True),
                        ({"excess_loss": F(2, 10 ** 20), "excess_tol": F(1, 10 ** 20)}, False)],
    tsharp._unit_head: [({}, True), ({"p_norm": 1}, True), ({"p_norm": F(99, 100)}, False)],
}


@pytest.mark.parametrize("hyp", list(CASES), ids=lambda h: h.name)
def test_hypothesis_decided_at_its_boundary(hyp):
    for facts, holds in CASES[hyp]:
        failure = hyp.failure(facts)
        assert (failure is None) is holds, (hyp.name, facts, failure)
        if not holds:
            assert failure and "{" not in failure, (hyp.name, failure)  # the reason, formatted with the facts


def test_every_hypothesis_of_a_registered_theorem_has_boundary_cases():
    from implicitreg.theory.statement import THEOREMS

    used = {id(h): h.name for t in THEOREMS.values() for h in t.hypotheses}
    missing = sorted(name for key, name in used.items() if key not in {id(h) for h in CASES})
    assert not missing, missing
