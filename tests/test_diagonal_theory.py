"""theory/diagonal.py: the statements, their provenance, hypotheses with reasons, and the derivations they name."""
from __future__ import annotations

import importlib
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy

from implicitreg.errors import HypothesisNotMetError, NonUniqueMinimizerError
from implicitreg.numerics.error_constants import support_constants
from implicitreg.numerics.instance import Instance
from implicitreg.proofs.derivations import error_identity, ms_d2, ms_d3
from implicitreg.theory import diagonal as dg
from implicitreg.theory.statement import THEOREMS, alpha, rho

ROOT = Path(__file__).resolve().parents[1]
ROW = Instance.from_lists([[1, Fraction(1, 2)]], [1], name="row")


def test_registered_with_spec_provenance():
    assert THEOREMS["DLN-limit"].provenance.kind == "standard"
    for name in ("MS-D2", "MS-D3", "Depth comparison"):
        assert THEOREMS[name].provenance.kind == "paper"   # the rates / the qualitative claim
    d2 = dg.MS_D2_THEOREM
    assert d2.bound("rate").provenance.kind == "paper"
    for b in ("upper_l1", "upper_l1_apriori", "upper_offsupport_spec", "lower_inf"):
        assert d2.bound(b).provenance.kind == "derived"
    d3 = dg.MS_D3_THEOREM
    assert d3.bound("rate").provenance.kind == "paper"
    for b in ("limit", "upper_l1", "lower_inf", "blowup"):
        assert d3.bound(b).provenance.kind == "derived"


def test_derived_bounds_name_existing_proof_modules():
    for th in (dg.MS_D2_THEOREM, dg.MS_D3_THEOREM, dg.DEPTH_COMPARISON):
        for b in th.bounds:
            if b.provenance.kind == "derived":
                path = ROOT / b.provenance.proof
                assert path.is_file(), b.provenance.proof
                importlib.import_module("implicitreg." + b.provenance.proof[:-3].replace("/", "."))


def test_hypotheses_fail_with_reasons():
    T = dg.MS_D2_THEOREM
    assert T.failed_hypotheses({"unique": False, "support_size": 2, "depth": 2}) == ["x* not unique"]
    assert T.failed_hypotheses({"unique": True, "support_size": 0, "depth": 2}) == ["x* = 0"]
    assert T.failed_hypotheses({"unique": True, "support_size": 1, "depth": 3}) == ["depth D = 3 is not 2"]
    T3 = dg.MS_D3_THEOREM
    assert T3.failed_hypotheses({"unique": True, "support_size": 1, "depth": 3, "rho_a": Fraction(11, 10)}) == \
        ["alpha above alpha_0: rho_a = 11/10 >= 1"]
    assert "depth D = 2 is not > 2" in T3.failed_hypotheses({"unique": True, "support_size": 1, "depth": 2,
                                                              "rho_a": 0})
    with pytest.raises(HypothesisNotMetError, match="x\\* not unique"):
        T.require({"unique": False, "support_size": 1, "depth": 2})
    a0 = dg.alpha_small
    assert a0.failure({"alpha": Fraction(1, 10), "alpha_0": Fraction(1, 100)}) == "alpha = 1/10 above alpha_0 = 1/100"


def test_instance_errors():
    with pytest.raises(NonUniqueMinimizerError, match="not unique"):
        support_constants(Instance.from_lists([[1, 1]], [1]))
    with pytest.raises(HypothesisNotMetError, match="x\\* = 0"):
        support_constants(Instance.from_lists([[1, 2]], [0]))


def test_bounds_evaluate_to_hand_values():
    with mpmath.workdps(30):
        _hand_values()


def _hand_values():
    up = dg.MS_D2_THEOREM.bound("upper_l1")
    # (1 + K2) n e^(K1 K2) alpha^(1-rho) at K1 = 0, K2 = 1/2, n = 1, rho = 1/2, alpha = 1e-30: 1.5e-15
    assert mpmath.almosteq(up.evaluate(30, alpha=Fraction(1, 10 ** 30), K1=0, K2=Fraction(1, 2), n=1,
                                       rho=Fraction(1, 2)), mpmath.mpf("1.5e-15"), 1e-25)
    up3 = dg.MS_D3_THEOREM.bound("upper_l1")
    # h_3(1/2) = 8 - 8/27
    v = up3.evaluate(30, alpha=1, K2=0, n=1, M0=Fraction(1, 2), D=3)
    assert mpmath.almosteq(v, mpmath.mpf(8) - mpmath.mpf(8) / 27, 1e-25)
    assert sympy.simplify(dg.MS_D2_THEOREM.bound("rate").expr - (1 - rho)) == 0
    assert dg.MS_D3_THEOREM.bound("rate").expr == 1
    assert alpha in up.expr.free_symbols


def test_h_and_H_match_potentials():
    from implicitreg.theory import potentials as P

    s = P.s
    # plain Python depths (int, float, Fraction) as well as SymPy numbers: exact exponents, no division by zero at 2
    for D in (2, 3, 2.5, Fraction(5, 2), 5, sympy.Rational(7, 2)):
        assert sympy.simplify(dg.h_D(s, D) - P.h(D, s)) == 0
        assert sympy.simplify(dg.H_D(s, D) - P.H(D, s)) == 0
    assert dg.h_D(s, 3) == (1 - s) ** -3 - (1 + s) ** -3
    assert not any(isinstance(a, sympy.Float) for a in sympy.preorder_traversal(dg.h_D(s, 3)))
    assert dg.h_D(s, 2) == 2 * sympy.sinh(s) and dg.H_D(s, 2) == 2 * sympy.cosh(s) - 2


@pytest.mark.parametrize("module", [error_identity, ms_d2])
def test_derivation_steps_hold(module):
    steps = module.steps()
    assert steps and all(st.holds for st in steps), [st.name for st in steps if not st.holds]


def test_ms_d3_steps_hold():
    steps = ms_d3.steps((3, 4, Fraction(5, 2)))
    assert all(st.holds for st in steps), [st.name for st in steps if not st.holds]


@pytest.mark.slow
def test_ms_d3_symbolic_depth():
    assert all(st.holds for st in ms_d3.symbolic_depth_steps())


def test_derivation_mutants_fail():
    """The SymPy checks can fail: a wrong blow-up exponent and a wrong boundary constant are rejected."""
    t = sympy.Symbol("t", positive=True)
    D = 3
    wrong = sympy.limit(ms_d3._h(D, 1 - t) * t ** (sympy.Rational(D, D - 2) - sympy.Rational(1, 10)), t, 0, "+")
    assert wrong != 1
    r = sympy.Symbol("r", positive=True)
    wrong2 = sympy.limit(ms_d3._h(D, r) * (1 - r) ** (sympy.Rational(D, D - 2) + sympy.Rational(1, 10)), r, 1, "-")
    assert wrong2 != 1
    # the D = 2 Jensen step with a convex g would not hold: g = u^2 + 4u has g'' > 0
    u = sympy.Symbol("u", positive=True)
    assert sympy.diff(u ** 2 + 4 * u, u, 2) > 0


def test_spec_m0_is_not_implied_for_large_n():
    """Recorded finding (ms_d3.py): for n large the spec's M0 is below our proved M0, so it is not implied."""
    rows = ms_d3.spec_m0_comparison(3, mpmath.mpf("0.3"), (1, 256))
    (n1, ours1, spec1), (n2, ours2, spec2) = rows
    assert ours1 == mpmath.mpf("0.3") and spec1 > ours1
    assert spec2 < ours2


def test_checks_on_a_computed_limit():
    from implicitreg.numerics.error_constants import limit_error

    inst = Instance.from_lists([[1, 0, 1, 2, -1], [0, 1, 1, -1, 3]], [3, -2])
    sc = support_constants(inst)
    for a in ("1e-6", "1e-25"):
        _, _, lim = limit_error(inst, 2, a, sc.x_star, digits=30)
        assert ms_d2.check_on_limit(inst, lim, sc).holds
        assert error_identity.check_on_limit(lim, sc).holds
        _, _, lim3 = limit_error(inst, 3, a, sc.x_star, digits=30)
        assert ms_d3.check_on_limit(lim3, sc, 3).holds


def test_facts_are_what_the_hypotheses_read():
    """facts(): the hypotheses' inputs from the exact data of x* (support_constants exists only for a unique x*).

    A = [1, 1/2], y = 1 (dln.md §3 with r = 1/2): x* = (1, 0), S = {1}, rho = 1/2, n = N - s = 1 and
    K2 = ||A_S^+ A_C||_{1->1} = 1/2; depth and alpha are taken as given (depth read exactly), extras are added.
    """
    sc = support_constants(ROW)
    got = dg.facts(sc, 2.5, Fraction(1, 100), rho_a=Fraction(3, 5))
    assert got == {"unique": True, "support_size": 1, "depth": Fraction(5, 2), "alpha": Fraction(1, 100),
                   "rho": Fraction(1, 2), "K2": Fraction(1, 2), "n": 1, "rho_a": Fraction(3, 5)}
    assert type(got["depth"]) is Fraction
    assert dg.MS_D2_THEOREM.failed_hypotheses(dg.facts(sc, 2, Fraction(1, 100))) == []
    assert dg.MS_D2_THEOREM.failed_hypotheses(dg.facts(sc, 3, Fraction(1, 100))) == ["depth D = 3 is not 2"]
