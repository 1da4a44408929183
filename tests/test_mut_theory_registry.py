"""Direct tests of the theory functions that run only at import (issue 13: mutation targets theory-sharpness and
theory-quantities, tools/mutation.py).

mutmut activates a mutant after the modules are imported, so a function called only while a module is built (the
registry builder ``_q`` of theory/quantities.py, MC-LB at a flow's limit in theory/sharpness.py) is never run under
its mutant by the tests that read the registry. These tests call those functions themselves, and the look-ups
(``quantity``, ``symbols``) and the ``Quantity`` checks, against values written by hand from the definitions
(docs/theory/deep_linear.md; the paths and names the modules document), never against the code's own output.
"""
from __future__ import annotations

import pytest
import sympy

from implicitreg.errors import InvalidParameterError
from implicitreg.theory import quantities as tq
from implicitreg.theory import sharpness as tsharp
from implicitreg.theory.statement import L, Provenance

# --- theory/sharpness.py ---------------------------------------------------------------------------------------------


def test_mc_lb_at_a_flow_limit_is_the_lower_bound_2_L_a_w_norm_to_2_minus_2_over_L():
    b = tsharp._lower_bound_at_limit("S_X_lower")
    assert (b.name, b.side, b.lhs) == ("S_X_lower", "lower", "S(W_inf)")
    hand = 2 * L * tsharp.a * tsharp.w_norm ** (2 - 2 / L)
    assert sympy.simplify(b.expr - hand) == 0
    # L = 2, a = 3, ||w*|| = 5: 2 * 2 * 3 * 5^(2 - 1) = 60; L = 4, a = 1, ||w*|| = 16: 8 * 16^(3/2) = 512
    assert b.expr.subs({L: 2, tsharp.a: 3, tsharp.w_norm: 5}) == 60
    assert b.expr.subs({L: 4, tsharp.a: 1, tsharp.w_norm: 16}) == 512
    assert b.provenance == Provenance("paper", "MC-LB at the limit", proof="proofs/derivations/sharpness.py")


# --- theory/quantities.py: the Quantity record -----------------------------------------------------------------------

def _quantity(**kw):
    args = dict(name="zeta", symbol=sympy.Symbol("zeta", positive=True), definition="a test quantity",
                provenance=Provenance("standard", "here"), problem="diagonal", scope="run",
                computed_by="implicitreg.numerics.quantities.zeta")
    args.update(kw)
    return tq.Quantity(**args)


def test_quantity_accepts_each_scope_and_problem():
    for scope in ("instance", "run"):
        for problem in ("diagonal", "deep-linear"):
            q = _quantity(scope=scope, problem=problem)
            assert (q.scope, q.problem) == (scope, problem)


def test_quantity_refuses_an_unknown_scope_problem_or_a_symbol_of_another_name():
    with pytest.raises(ValueError) as exc:
        _quantity(scope="global")
    assert str(exc.value) == "scope must be one of ('instance', 'run')"
    with pytest.raises(ValueError) as exc:
        _quantity(problem="wide")
    assert str(exc.value) == "problem must be one of ('diagonal', 'deep-linear')"
    with pytest.raises(ValueError) as exc:
        _quantity(symbol=sympy.Symbol("eta"))
    assert str(exc.value) == "quantity 'zeta' must use a symbol of the same name, got eta"


def test_quantity_to_json_lists_every_field_but_the_symbol():
    q = _quantity(provenance=Provenance("derived", "ours", proof="proofs/derivations/x.py"), aliases=("z1", "z2"))
    assert q.to_json() == {"name": "zeta", "definition": "a test quantity",
                           "provenance": {"kind": "derived", "source": "ours", "proof": "proofs/derivations/x.py"},
                           "problem": "diagonal", "scope": "run",
                           "computed_by": "implicitreg.numerics.quantities.zeta", "aliases": ["z1", "z2"]}


# --- theory/quantities.py: the builder _q ----------------------------------------------------------------------------

@pytest.fixture
def registry(monkeypatch):
    """An empty registry for _q to fill (the module's own stays as imported)."""
    fresh = {}
    monkeypatch.setattr(tq, "QUANTITIES", fresh)
    return fresh


def test_builder_names_the_computing_function_and_keeps_the_aliases(registry):
    sym = sympy.Symbol("M", positive=True)
    tq._q("M", sym, "||x*||_1", "standard", "a source", "diagonal", "instance", "x_star_l1", ("x_star_l1",))
    q = registry["M"]
    assert (q.name, q.symbol, q.definition, q.problem, q.scope) == ("M", sym, "||x*||_1", "diagonal", "instance")
    assert q.computed_by == "implicitreg.numerics.quantities.x_star_l1"
    assert q.aliases == ("x_star_l1",)
    assert q.provenance == Provenance("standard", "a source", None)
    assert list(registry) == ["M"]


def test_builder_defaults_the_function_to_the_name_and_no_aliases(registry):
    tq._q("gap", sympy.Symbol("gap"), "the gap", "paper", "a paper", "diagonal", "run")
    q = registry["gap"]
    assert q.computed_by == "implicitreg.numerics.quantities.gap" and q.aliases == ()
    assert q.provenance == Provenance("paper", "a paper", None)


@pytest.mark.parametrize("name, source, proof", [
    # a derived quantity names its proof: by the document it comes from, the D > 2 constants the MS-D3 proof
    ("K2", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d2.py"),
    ("kappa_lb", "wah.md §3-5 (docs/theory), theory/selection.py", "proofs/derivations/selection.py"),
    ("a_prime", "deep_linear.md §1-3 (docs/theory), theory/sharpness.py", "proofs/derivations/sharpness.py"),
    ("eps", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d3.py"),
    ("rho_a", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d3.py"),
    ("rho_minus", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d3.py"),
    ("M0", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d3.py"),
    ("E1", "dln.md §1-4 (docs/theory), theory/diagonal.py", "proofs/derivations/ms_d3.py"),
])
def test_builder_gives_a_derived_quantity_its_proof(registry, name, source, proof):
    tq._q(name, sympy.Symbol(name), "a constant", "derived", source, "diagonal", "run")
    assert registry[name].provenance == Provenance("derived", source, proof)


def test_builder_gives_no_proof_to_a_quantity_that_is_not_derived(registry):
    # the sources are the registry's keys of proofs, so a wrong kind test would attach one
    tq._q("E1", sympy.Symbol("E1"), "std", "standard", "dln.md §1-4 (docs/theory), theory/diagonal.py", "diagonal",
          "run")
    tq._q("a", sympy.Symbol("a"), "std", "paper", "deep_linear.md §1-3 (docs/theory), theory/sharpness.py",
          "deep-linear", "instance")
    assert registry["E1"].provenance.proof is None and registry["a"].provenance.proof is None


# --- theory/quantities.py: the look-ups ------------------------------------------------------------------------------

# the registry in registration order, written from the module's definitions
DIAGONAL = ["m", "N", "s", "n", "rho", "K2", "K1star", "m_star", "M", "kappa_lb", "alpha", "alpha_product",
            "alpha_factor", "D", "p", "K1", "Kbar1", "eps", "rho_a", "rho_minus", "M0", "E1", "err_l1", "err_l2",
            "err_inf", "X1", "gap", "dist_sel"]
DEEP_LINEAR = ["L", "n_samples", "d", "a", "a_prime", "Lambda", "lambda_min", "kappa", "w_norm", "S_LB", "S_min",
               "S_bal", "sharpness"]


def test_quantity_finds_a_name_or_an_alias():
    assert tq.quantity("K2").name == "K2"
    assert tq.quantity("x_star_l1").name == "M" and tq.quantity("x_inf_l1").name == "X1"
    assert tq.quantity("M").name == "M"


def test_unknown_quantity_names_every_known_one_sorted():
    with pytest.raises(InvalidParameterError) as exc:
        tq.quantity("no_such")
    known = sorted(DIAGONAL + DEEP_LINEAR)  # code-point order: upper case first
    assert known[:6] == ["D", "E1", "K1", "K1star", "K2", "Kbar1"]
    assert str(exc.value) == "unknown quantity 'no_such'; known: " + ", ".join(known)


def test_symbols_of_each_problem_with_the_aliases():
    everything = tq.symbols()
    assert set(everything) == set(DIAGONAL + DEEP_LINEAR) | {"x_star_l1", "x_inf_l1"}
    assert everything["x_star_l1"] is everything["M"] and everything["x_inf_l1"] is everything["X1"]
    assert all(everything[name].name == name for name in DIAGONAL + DEEP_LINEAR)
    assert set(tq.symbols("diagonal")) == set(DIAGONAL) | {"x_star_l1", "x_inf_l1"}
    assert set(tq.symbols("deep-linear")) == set(DEEP_LINEAR)
    assert tq.symbols("deep-linear")["L"] is L
    assert tq.symbols("no-such-problem") == {}
