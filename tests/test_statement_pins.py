"""Every encoded bound is pinned to an independent, hand-written SymPy expression and side.

A weakened constant (a lower-bound constant squared, a factor N dropped, a ratio's denominator changed, an exponent
moved) changes a bound's value at generic exact points; here each registered bound is evaluated at two such points
(30 digits) and compared with the formula written out below from the specs (docs/theory, shared specs dln.md,
wah.md, deep_linear.md), so no expected value comes from the code under test.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from sympy import Rational as Q, exp, log, sqrt

import implicitreg.theory.basis_pursuit  # noqa: F401  (registers the statements)
import implicitreg.theory.diagonal  # noqa: F401
import implicitreg.theory.selection as sel
import implicitreg.theory.sharpness  # noqa: F401
from implicitreg.errors import HypothesisNotMetError
from implicitreg.theory import potentials
from implicitreg.theory.statement import THEOREMS

S = sympy.Symbol


def _h(D, v):
    """h_D(v) = (1 - v)^(-D/(D-2)) - (1 + v)^(-D/(D-2)) (dln.md §2)."""
    k = D / (D - 2)
    return (1 - v) ** (-k) - (1 + v) ** (-k)


def _C(p):
    """Lemma B constant (wah.md): (p/2 - 1)(2 - 2^(-2/(p-2)))."""
    return (p / 2 - 1) * (2 - 2 ** (-2 / (p - 2)))


# name -> (side, formula(values) -> SymPy number). Values are exact rationals chosen generic (no special relations).
PINS = {
    ("DLN-limit", "agreement"): ("upper", lambda v: Q(1, 10 ** 25)),
    ("MS-D2", "upper_l1"): ("upper", lambda v: v["n"] * (1 + v["K2"]) * exp(v["K1"] * v["K2"]) * v["alpha"] ** (1 - v["rho"])),
    ("MS-D2", "upper_l1_apriori"): ("upper", lambda v: v["n"] * (1 + v["K2"]) * exp(v["K2"] * v["Kbar1"])
                                    * v["alpha"] ** (1 - v["rho"])),
    ("MS-D2", "upper_offsupport_spec"): ("upper", lambda v: exp(v["K1"] * v["K2"] + v["n"] / sympy.E)
                                         * v["alpha"] ** (1 - v["rho"])),
    ("MS-D2", "lower_inf"): ("lower", lambda v: exp(-v["K1"] * v["K2"]) * v["alpha"] ** (1 - v["rho"]) - v["alpha"]),
    ("MS-D2", "rate"): ("rate", lambda v: 1 - v["rho"]),
    ("MS-D3", "limit"): ("limit", lambda v: v["E1"]),
    ("MS-D3", "upper_l1"): ("upper", lambda v: v["n"] * (1 + v["K2"]) * v["alpha"] * _h(v["D"], v["M0"])),
    ("MS-D3", "lower_inf"): ("lower", lambda v: v["alpha"] * _h(v["D"], v["rho_minus"])),
    ("MS-D3", "rate"): ("rate", lambda v: 1),
    ("MS-D3", "blowup"): ("limit", lambda v: 1),
    ("Depth comparison", "ratio"): ("upper", lambda v: 1),
    ("WAH-A2", "kkt"): ("equality", lambda v: 0),
    ("WAH-A", "kkt"): ("equality", lambda v: 0),
    ("WAH-LemmaB2", "lower"): ("lower", lambda v: 0),
    ("WAH-LemmaB2", "upper"): ("upper", lambda v: 2 * v["alpha"] ** 2),
    ("WAH-LemmaB", "lower"): ("lower", lambda v: 0),
    ("WAH-LemmaB", "upper"): ("upper", lambda v: _C(v["p"]) * v["alpha"] ** v["p"]),
    ("WAH-C", "objective_p"): ("upper", lambda v: v["N"] * _C(v["p"]) * v["alpha"] ** v["p"]
                               + v["p"] / 2 * v["N"] ** (1 - 2 / v["p"]) * v["X1"] ** (2 / v["p"])
                               * v["alpha"] ** (v["p"] - 2)),
    ("WAH-C", "objective_2"): ("upper", lambda v: (v["M"] * log(v["M"]) - v["M"] + v["N"] + 2 * v["N"] * v["alpha"] ** 2)
                               / log(1 / v["alpha"] ** 2)),
    ("WAH-C", "distance"): ("upper", lambda v: v["gap"] / v["kappa"]),
    ("WAH-C", "kappa_lower"): ("lower", lambda v: (1 - v["rho"]) / (1 + v["K2"])),
    ("WAH-D", "limit"): ("limit", lambda v: 0),
    ("WAH-E", "rate_p"): ("rate", lambda v: v["alpha"] ** v["p"]),
    ("WAH-E", "rate_2_offsupport"): ("rate", lambda v: (v["alpha"] ** 2) ** (1 - v["rho"])),
    ("WAH-E", "rate_2_full"): ("rate", lambda v: (v["alpha"] ** 2) ** 2),
    ("WAH-kink-constant", "constant"): ("limit", lambda v: sqrt(1 + (1 - v["epsilon"]) ** 2)
                                        * _h(v["p"], 1 - v["epsilon"])),
    ("WAH-kink-p2", "asymptotic"): ("limit", lambda v: sqrt(1 + (1 - v["epsilon"]) ** 2) * v["alpha"] ** (2 * v["epsilon"])),
    ("WAH-kink-transition", "scale_p"): ("equality", lambda v: v["alpha"] ** (v["p"] - 2)),
    ("WAH-kink-transition", "scale_2"): ("equality", lambda v: 1 / log(1 / v["alpha"] ** 2)),
    ("WAH-kink-continuity", "worst_error"): ("lower", lambda v: 1 / sqrt(2)),
    ("MC-LB", "S_LB"): ("lower", lambda v: 2 * v["L"] * v["a"] * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-LB", "S_LB_head"): ("lower", lambda v: 2 * v["L"] * v["a"] * v["p_norm"] ** (Q(2) / v["L"])
                             * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-Smin", "S_min"): ("lower", lambda v: v["S_min"]),
    ("MC-Smin", "S_min_closed"): ("lower", lambda v: 2 * v["L"] * v["a"] ** (1 - Q(1) / v["L"])
                                  * v["a_prime"] ** (Q(1) / v["L"]) * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-Smin", "S_min_vs_LB"): ("lower", lambda v: 2 * v["L"] * v["a"] * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-Smin", "S_min_vs_bal"): ("upper", lambda v: v["S_bal"]),
    ("MC-Sbal", "S_bal_upper"): ("upper", lambda v: 2 * v["w_norm"] ** (2 - Q(2) / v["L"])
                                 * (v["Lambda"] + (v["L"] - 1) * v["a"])),
    ("MC-Sbal", "S_bal_ratio"): ("upper", lambda v: 1 + (v["Lambda"] / v["a"] - 1) / v["L"]),
    ("MC-Sbal", "S_bal_lower"): ("lower", lambda v: v["S_min"]),
    ("MC-SI", "S_SI"): ("upper", lambda v: 8 * v["L"] * v["Lambda"] * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-SI", "S_SI_lower"): ("lower", lambda v: 2 * v["L"] * v["a"] * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("MC-RI", "S_RI_lower"): ("lower", lambda v: 2 * v["L"] * v["a"] * v["w_norm"] ** (2 - Q(2) / v["L"])),
    ("DLN-imbalance", "D_drift"): ("equality", lambda v: 0),
    ("DLN-imbalance", "rank_one"): ("upper", lambda v: v["sum_D_tail"]),
    ("DLN-imbalance", "top_sv"): ("upper", lambda v: v["norm_D_k"]),
    ("DLN-imbalance", "alignment"): ("upper", lambda v: 2 * v["norm_D_k"] / v["gap_k"]),
    ("MC-EoS", "eta_max"): ("upper", lambda v: 1 / (v["L"] * v["a"] * v["w_norm"] ** (2 - Q(2) / v["L"]))),
    ("rho-duality", "rho_dual"): ("equality", lambda v: v["rho_dual"]),
    ("rho-NSP", "rho_le_rho_S"): ("upper", lambda v: v["rho_S"]),
    ("rho-NSP", "rho_S_le_rho_s"): ("upper", lambda v: v["rho_order"]),
    ("rho-unique", "rho_lt_1"): ("upper", lambda v: 1),
    ("BP-maximal-support", "rho_max_support_lt_1"): ("upper", lambda v: 1),
}

#: two generic exact points for every symbol any bound uses (depths > 2 where a bound needs p > 2 or D > 2)
POINTS = [
    {"alpha": Q(3, 1000), "rho": Q(2, 7), "n": 3, "K1": Q(5, 11), "K2": Q(4, 3), "Kbar1": Q(7, 5), "E1": Q(9, 4),
     "D": Q(7, 2), "M0": Q(3, 8), "rho_minus": Q(1, 5), "p": Q(13, 4), "N": 5, "X1": Q(17, 6), "M": Q(5, 2),
     "gap": Q(1, 9), "kappa": Q(3, 5), "epsilon": Q(3, 10), "L": 3, "a": Q(6, 5), "w_norm": Q(7, 3), "p_norm": Q(2, 3),
     "a_prime": Q(9, 5), "S_min": Q(11, 3), "S_bal": Q(13, 3), "Lambda": Q(5, 2), "sum_D_tail": Q(3, 7),
     "norm_D_k": Q(2, 9), "gap_k": Q(5, 6), "rho_dual": Q(4, 9), "rho_S": Q(5, 9), "rho_order": Q(2, 3)},
    {"alpha": Q(1, 20), "rho": Q(5, 6), "n": 2, "K1": Q(1, 7), "K2": Q(3, 10), "Kbar1": Q(2, 9), "E1": Q(1, 3),
     "D": Q(5), "M0": Q(2, 3), "rho_minus": Q(7, 10), "p": Q(6), "N": 7, "X1": Q(3, 2), "M": Q(7, 4), "gap": Q(2, 5),
     "kappa": Q(1, 8), "epsilon": Q(3, 4), "L": 4, "a": Q(2, 7), "w_norm": Q(5, 4), "p_norm": Q(3, 11),
     "a_prime": Q(4, 3), "S_min": Q(6, 5), "S_bal": Q(8, 5), "Lambda": Q(9, 7), "sum_D_tail": Q(5, 3),
     "norm_D_k": Q(7, 4), "gap_k": Q(2, 5), "rho_dual": Q(1, 6), "rho_S": Q(3, 4), "rho_order": Q(5, 7)},
]


def _all_bounds():
    return {(t.name, b.name): b for t in THEOREMS.values() for b in t.bounds}


def test_every_registered_bound_is_pinned():
    """A bound added without a pin here (or a pin for a vanished bound) is reported, not silently unchecked."""
    registered = {k for k in _all_bounds() if not k[0].startswith(("test", "T-"))}
    assert registered == set(PINS), (registered ^ set(PINS))


@pytest.mark.parametrize("key", sorted(PINS), ids=lambda k: f"{k[0]}:{k[1]}")
def test_bound_matches_the_hand_written_formula(key):
    bound = _all_bounds()[key]
    side, formula = PINS[key]
    assert bound.side == side
    for point in POINTS:
        values = {s.name: point[s.name] for s in bound.symbols}
        got = bound.evaluate(40, **values)
        want = sympy.N(sympy.sympify(formula(point)), 50)
        with mpmath.workdps(40):
            want = mpmath.mpf(str(want))
            scale = max(abs(want), mpmath.mpf(1))
            assert abs(got - want) <= scale * mpmath.mpf(10) ** -32, (key, point, got, want)


def test_lemma_b_constant_at_exact_depths():
    """C_2 = 2; C_3 = (1/2)(2 - 1/4) = 7/8; C_4 = 1 * (2 - 1/2) = 3/2; C_6 = 2 (2 - 2^(-1/2))."""
    assert potentials.lemma_b_constant(2) == 2
    assert sympy.simplify(potentials.lemma_b_constant(3) - Q(7, 8)) == 0
    assert sympy.simplify(potentials.lemma_b_constant(4) - Q(3, 2)) == 0
    assert sympy.simplify(potentials.lemma_b_constant(6) - (4 - sqrt(2))) == 0


@pytest.mark.parametrize("depth, sc, rho, name, exponent", [
    (3, 2, Fraction(1, 2), "rate_p", 1), (Fraction(5, 2), 0, Fraction(0), "rate_p", 1),
    (2, 2, Fraction(1, 3), "rate_2_offsupport", Fraction(2, 3)), (2, 0, Fraction(0), "rate_2_full", 2),
])
def test_thm_e_picks_the_right_case_and_exponent(depth, sc, rho, name, exponent):
    """The exponent in the product scale alpha^p: 1 (p > 2), 1 - rho (p = 2, S^c nonempty), 2 (p = 2, S = all)."""
    bound = sel.thm_e_bound(depth, sc, rho)
    assert bound.name == name
    expo = sel.product_exponent(bound.expr, sel.p).subs({sel.p: sympy.Rational(str(depth)),
                                                         sel.rho: sympy.Rational(str(rho))})
    assert sympy.Rational(str(sympy.nsimplify(expo))) == sympy.Rational(str(exponent))


@pytest.mark.parametrize("depth, sc, rho", [(2, 2, Fraction(0)), (Fraction(3, 2), 1, Fraction(1, 2)),
                                            ("inf", 1, Fraction(1, 2))])
def test_thm_e_refuses_cases_without_a_rate(depth, sc, rho):
    with pytest.raises(HypothesisNotMetError):
        sel.thm_e_bound(depth, sc, rho)


# ---------------------------------------------------------------- the pins catch the planted kinds of bug

_WANT: dict = {}


def _pin_holds(bound, key) -> bool:
    """Does ``bound`` (side and value at both points) match the pin of ``key``?"""
    side, formula = PINS[key]
    if bound.side != side:
        return False
    for k, point in enumerate(POINTS):
        if (key, k) not in _WANT:
            with mpmath.workdps(40):
                _WANT[key, k] = mpmath.mpf(str(sympy.N(sympy.sympify(formula(point)), 50)))
        want = _WANT[key, k]
        values = {s.name: point[s.name] for s in bound.symbols}
        with mpmath.workdps(40):
            got = bound.evaluate(40, **values)
            if not abs(got - want) <= max(abs(want), mpmath.mpf(1)) * mpmath.mpf(10) ** -32:
                return False
    return True


def _planted(expr):
    """(kind, wrong expression) for the issue's kinds: every numeric constant squared, every symbolic factor of a
    product dropped, every denominator's base changed (+1), the whole bound scaled by 11/10."""
    out = [("scaled by 11/10", expr * Q(11, 10))]
    for c in expr.atoms(sympy.Number):
        if abs(c) not in (0, 1):
            out.append((f"constant {c} squared", expr.xreplace({c: c ** 2})))
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Mul):
            for f in node.args:
                if isinstance(f, sympy.Symbol):
                    out.append((f"factor {f} dropped from {node}", expr.xreplace({node: node / f})))
        if isinstance(node, sympy.Pow) and node.exp.is_negative:
            out.append((f"denominator {node.base} changed", expr.xreplace({node: (node.base + 1) ** node.exp})))
    # a plant that leaves no finite expression (1/0 -> zoo) cannot pass any pin: not counted
    return [(k, e) for k, e in out if e != expr and not e.has(sympy.zoo, sympy.nan, sympy.oo)]


def test_pins_catch_planted_constant_factor_and_denominator_bugs():
    """Every planted bug in every non-constant bound is rejected by its pin (and the true bound passes)."""
    from implicitreg.theory.statement import Bound

    escaped, planted = [], 0
    for key, bound in sorted(_all_bounds().items()):
        if key not in PINS or not bound.symbols:
            continue
        assert _pin_holds(bound, key), key
        for kind, expr in _planted(bound.expr):
            planted += 1
            wrong = Bound(bound.name, bound.side, bound.lhs, expr, bound.provenance)
            if _pin_holds(wrong, key):
                escaped.append((key, kind))
        flipped = Bound(bound.name, "lower" if bound.side == "upper" else "upper", bound.lhs, bound.expr,
                        bound.provenance)
        assert not _pin_holds(flipped, key), key
    assert planted > 100 and not escaped, escaped
