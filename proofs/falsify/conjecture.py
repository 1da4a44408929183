"""A conjecture ``lhs <side> bound`` over registered quantities, read through the checker's evaluate-nothing
grammar, and the hypotheses (from the statement objects) an instance must meet to count."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sympy

from implicitreg.errors import InvalidParameterError
from implicitreg.proofs.falsify.constants import MAX_EXPR_TEXT, SIDES
from implicitreg.theory.quantities import QUANTITIES, quantity, symbols


@dataclass
class Conjecture:
    """``lhs <side> bound`` with its SymPy bound (free symbols: registered quantities) and its grammar text."""

    lhs: str
    bound: sympy.Expr
    text: str
    side: str = "upper"

    @property
    def names(self) -> list[str]:
        inverse = {sym: name for name, sym in symbols().items() if name in QUANTITIES}
        return sorted(inverse[s] for s in self.bound.free_symbols)


def parse_bound(bound) -> tuple[sympy.Expr, str]:
    """(SymPy expression, text) of a bound given as a string (parsed by the evaluate-nothing grammar of
    ``proofs/checker/grammar.py``; never sympified) or as a SymPy expression over registered quantities.

    The text is the grammar's canonical form and reads back to the same expression (it goes into certificates).
    """
    from implicitreg.proofs.checker import grammar

    names = symbols()
    if isinstance(bound, str):
        if len(bound) > MAX_EXPR_TEXT:
            raise InvalidParameterError(f"the bound is {len(bound)} characters long (at most {MAX_EXPR_TEXT})")
        try:
            tree = grammar.parse(bound, symbols=set(names))
            expr = grammar.to_sympy(tree, names)
        except grammar.GrammarError as exc:
            raise InvalidParameterError(f"cannot read the bound {bound[:80]!r}: {exc} (named quantities: "
                                        f"`implicitreg falsify --list-quantities`)") from None
    elif isinstance(bound, sympy.Basic):
        expr = bound
        if expr.atoms(sympy.Float):
            raise InvalidParameterError("the bound contains floating-point numbers: write them as exact "
                                        "sympy.Rational (a float is never guessed)")
        known = set(names.values())
        unknown = sorted(str(s) for s in expr.free_symbols if s not in known)
        if unknown:
            raise InvalidParameterError(f"the bound names unknown quantities {', '.join(unknown)}")
    else:
        raise InvalidParameterError(f"the bound must be a string or a SymPy expression, got {type(bound).__name__}")
    if not isinstance(expr, sympy.Expr) or expr.is_Relational:
        raise InvalidParameterError("the bound must be an expression, not a relation")
    text = sympy.sstr(expr, order="none")
    try:
        again = grammar.to_sympy(grammar.parse(text, symbols=set(names)), names)
    except grammar.GrammarError as exc:
        raise InvalidParameterError(f"the bound uses a construct the grammar cannot state: {exc}") from None
    if sympy.simplify(again - expr) != 0:
        raise InvalidParameterError(f"the bound {text!r} does not read back through the grammar")
    return expr, text


#: observed quantities of a run that a conjecture may bound, by problem
OBSERVED = {"diagonal": ("err_l1", "err_l2", "err_inf", "gap", "X1", "dist_sel", "K1", "eps", "rho_a"),
            "deep-linear": ("sharpness", "S_min", "S_bal")}


def conjecture(lhs: str, bound, side: str = "upper") -> Conjecture:
    """``lhs <side> bound``: ``lhs`` an observed quantity (:data:`OBSERVED`), ``bound`` over quantities of the same
    problem (diagonal or deep-linear networks)."""
    if side not in SIDES:
        raise InvalidParameterError(f"side must be 'upper' or 'lower', got {side!r}")
    q = quantity(lhs)
    if q.name not in OBSERVED[q.problem]:
        raise InvalidParameterError(f"lhs must be an observed quantity of a run "
                                    f"({', '.join(OBSERVED['diagonal'] + OBSERVED['deep-linear'])}), got {lhs!r}")
    expr, text = parse_bound(bound)
    c = Conjecture(q.name, expr, text, side)
    for name in c.names:
        if QUANTITIES[name].problem != q.problem:
            raise InvalidParameterError(f"quantity {name!r} belongs to {QUANTITIES[name].problem} networks, but "
                                        f"{lhs} to {q.problem} networks")
    return c


def problem_of(conj: Conjecture) -> str:
    return QUANTITIES[conj.lhs].problem


def hypotheses(problem: str = "diagonal") -> dict:
    """name -> :class:`~implicitreg.theory.statement.Hypothesis` of the statements of ``problem``: MS-D2, MS-D3
    (diagonal networks) or MC-LB, MC-SI (deep linear networks)."""
    out = {}
    if problem == "diagonal":
        from implicitreg.theory import diagonal

        for t in (diagonal.MS_D2_THEOREM, diagonal.MS_D3_THEOREM, diagonal.DEPTH_COMPARISON):
            for h in t.hypotheses:
                out.setdefault(h.name, h)
        out.setdefault(diagonal.rho_positive.name, diagonal.rho_positive)  # the MS-D2 rate's hypothesis
        from implicitreg.theory import selection

        for b in selection.THM_C.bounds:  # WAH-C's p = 2 bound: 'alpha^2 < 1' (it divides by log(1/alpha^2))
            for h in b.hypotheses:
                out.setdefault(h.name, h)
    else:
        from implicitreg.theory import sharpness

        for t in (sharpness.MC_LB, sharpness.MC_SI):
            for h in t.hypotheses:
                if h.name != "minimizer":  # the flow limit is a minimizer by construction (checked when computed)
                    out.setdefault(h.name, h)
    return out


def _facts(run) -> dict:
    from implicitreg.numerics.quantities import compute

    if run.problem == "deep-linear":
        return {"L": run.depth, "w_norm": compute("w_norm", run), "p_norm": 1}
    bp = run.bp
    facts = {"unique": bool(bp.unique), "support_size": len(bp.support), "depth": run.depth, "alpha": run.alpha}
    if bp.unique and bp.support:
        c = run.constants
        facts.update(rho=c.rho, K2=c.K2, n=c.n)
        if run.depth > 2:
            facts["rho_a"] = compute("rho_a", run)
    return facts


def failed(run, assume: Sequence[str]) -> list[str]:
    """The reasons the run's instance fails the named hypotheses (empty: all hold)."""
    table = hypotheses(run.problem)
    facts = _facts(run)
    out = []
    for name in assume:
        msg = table[name].failure(facts)
        if msg is not None:
            out.append(msg)
            break  # later hypotheses may need facts the failed one guarantees
    return out
