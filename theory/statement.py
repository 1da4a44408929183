"""The one way implicitreg states a theorem.

A :class:`Theorem` has a name, a :class:`Provenance` (where the statement comes from), a tuple of
:class:`Hypothesis` objects (each decided on *facts* computed for an instance, each failing with a
reason) and a tuple of :class:`Bound` objects: SymPy expressions in alpha, rho and instance
constants, each with the side it bounds (``upper``, ``lower``, ``limit``, ``rate``, ``equality``).
A bound may carry hypotheses of its own (``Bound.hypotheses``, decided on the values of its symbols), on top of
the theorem's: :meth:`Theorem.failed_hypotheses` with the bound decides both, and :meth:`Bound.evaluate`
refuses values that fail them (:class:`~implicitreg.errors.HypothesisNotMetError`, with the reason).

Provenance kinds (the specs' labels):

* ``paper``: stated in the source (for us: its abstract or, where said, its public code);
* ``derived``: our own derivation; ``proof`` names the module under ``proofs/`` that proves or checks it;
* ``standard``: well known in the literature (reference in ``source``);
* ``reconstructed``: our best guess of a statement whose exact form we could not read;
* ``conjecture``: believed, checked numerically at best, not proved.

Evaluation is one obvious path: :meth:`Bound.evaluate` substitutes values and evaluates the SymPy
expression at a stated number of digits, returning an ``mpmath.mpf``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import mpmath
import sympy

from implicitreg.errors import HypothesisNotMetError, InvalidParameterError
from implicitreg.numerics.precision import mpf_from

PROVENANCE_KINDS = ("paper", "derived", "standard", "reconstructed", "conjecture")
BOUND_SIDES = ("upper", "lower", "limit", "rate", "equality")

# The symbols every statement shares, declared once with their assumptions.
alpha = sympy.Symbol("alpha", positive=True)
rho = sympy.Symbol("rho", nonnegative=True)
D = sympy.Symbol("D", positive=True)
p = sympy.Symbol("p", positive=True)
L = sympy.Symbol("L", positive=True, integer=True)


@dataclass(frozen=True)
class Provenance:
    """Where a statement comes from. ``derived`` statements must name their proof/check in ``proofs/``."""

    kind: str
    source: str
    proof: str | None = None
    note: str = ""

    def __post_init__(self):
        if self.kind not in PROVENANCE_KINDS:
            raise ValueError(f"provenance kind must be one of {PROVENANCE_KINDS}, got {self.kind!r}")
        if self.kind == "derived" and not self.proof:
            raise ValueError("a derived statement must name its proof or check in proofs/")

    def label(self) -> str:
        return self.kind

    def to_json(self) -> dict:
        out = {"kind": self.kind, "source": self.source}
        if self.proof:
            out["proof"] = self.proof
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Hypothesis:
    """A hypothesis decided on a mapping of facts; ``reason`` is formatted with the facts on failure."""

    name: str
    text: str
    holds: Callable[[Mapping[str, Any]], bool]
    reason: str

    def failure(self, facts: Mapping[str, Any]) -> str | None:
        try:
            ok = self.holds(facts)
        except KeyError as exc:
            return f"{self.name}: fact {exc.args[0]!r} was not computed"
        if ok:
            return None
        try:
            return self.reason.format(**facts)
        except (KeyError, IndexError, ValueError):
            return self.reason


@dataclass(frozen=True)
class Bound:
    """``lhs  <side>  expr``: an inequality (or limit/rate) with a SymPy right-hand side."""

    name: str
    side: str
    lhs: str
    expr: sympy.Expr
    provenance: Provenance
    note: str = ""
    #: hypotheses of this bound alone (beyond its theorem's), decided on the values of its symbols (``alpha``, ...)
    hypotheses: tuple[Hypothesis, ...] = ()
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.side not in BOUND_SIDES:
            raise ValueError(f"bound side must be one of {BOUND_SIDES}, got {self.side!r}")

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sorted(self.expr.free_symbols, key=lambda s: s.name))

    def failed_hypotheses(self, facts: Mapping[str, Any]) -> list[str]:
        """The reasons ``facts`` fail this bound's own hypotheses (empty: all hold)."""
        return [msg for h in self.hypotheses if (msg := h.failure(facts)) is not None]

    def evaluate(self, dps: int = 30, **values) -> mpmath.mpf:
        """The bound at ``values`` (names of the free symbols -> numbers), evaluated at ``dps`` digits.

        Values failing the bound's own hypotheses raise :class:`HypothesisNotMetError` with the reason (the bound
        is not applicable there; e.g. WAH-C's p = 2 bound divides by log(1/alpha^2), so it needs alpha < 1)."""
        syms = self.symbols
        missing = [s.name for s in syms if s.name not in values]
        if missing:
            raise InvalidParameterError(f"bound {self.name!r} needs values for {', '.join(missing)}")
        fn = self._cache.get("fn")
        if fn is None:
            fn = sympy.lambdify(syms, self.expr, modules="mpmath")
            self._cache["fn"] = fn
        with mpmath.workdps(dps):
            args = [mpf_from(values[s.name]) for s in syms]
            failed = self.failed_hypotheses({s.name: a for s, a in zip(syms, args)})
            if failed:
                raise HypothesisNotMetError(f"bound {self.name!r} does not apply: " + "; ".join(failed))
            return +mpmath.mpf(fn(*args))

    def holds(self, observed, dps: int = 30, **values) -> bool:
        """Is ``observed`` on the right side of the bound (``upper``: observed <= bound, ``lower``: >=)?"""
        b = self.evaluate(dps, **values)
        with mpmath.workdps(dps):
            obs = mpf_from(observed)
            if self.side == "upper":
                return obs <= b
            if self.side == "lower":
                return obs >= b
        raise InvalidParameterError(f"bound {self.name!r} is a {self.side} statement, not an inequality")

    def mutated(self, scale=1, power: tuple[sympy.Symbol, Any] | None = None) -> "Bound":
        """A deliberately wrong copy: expr * scale * sym**shift (for tests that the checks can fail)."""
        expr = self.expr * sympy.nsimplify(scale)
        if power is not None:
            sym, shift = power
            expr = expr * sym ** sympy.nsimplify(shift)
        return Bound(self.name + "[mutant]", self.side, self.lhs, expr, self.provenance, "deliberately wrong",
                     self.hypotheses)

    def to_json(self) -> dict:
        out = {"name": self.name, "side": self.side, "lhs": self.lhs, "expr": sympy.srepr(self.expr),
               "text": str(self.expr), "provenance": self.provenance.to_json()}
        if self.hypotheses:
            out["hypotheses"] = [{"name": h.name, "text": h.text} for h in self.hypotheses]
        return out


@dataclass(frozen=True)
class Theorem:
    """A statement: hypotheses on an instance, and bounds that must then hold."""

    name: str
    title: str
    statement: str
    provenance: Provenance
    hypotheses: tuple[Hypothesis, ...] = ()
    bounds: tuple[Bound, ...] = ()

    def failed_hypotheses(self, facts: Mapping[str, Any], bound: "Bound | None" = None) -> list[str]:
        """The reasons ``facts`` fail the theorem's hypotheses, and ``bound``'s own when a bound is named."""
        own = () if bound is None else bound.hypotheses
        return [msg for h in (*self.hypotheses, *own) if (msg := h.failure(facts)) is not None]

    def require(self, facts: Mapping[str, Any], bound: "Bound | None" = None) -> None:
        """Raise :class:`HypothesisNotMetError` with every failing reason (of ``bound`` too, when named)."""
        failed = self.failed_hypotheses(facts, bound)
        if failed:
            raise HypothesisNotMetError(f"{self.name}: " + "; ".join(failed))

    def bound(self, name: str) -> Bound:
        for b in self.bounds:
            if b.name == name:
                return b
        raise KeyError(f"{self.name} has no bound {name!r} (has {[b.name for b in self.bounds]})")

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "statement": self.statement,
                "provenance": self.provenance.to_json(),
                "hypotheses": [{"name": h.name, "text": h.text} for h in self.hypotheses],
                "bounds": [b.to_json() for b in self.bounds]}


def derived_bound(name: str, side: str, lhs: str, expr: sympy.Expr, why: str, proof: str, note: str = "",
                  hypotheses: tuple[Hypothesis, ...] = ()) -> Bound:
    """A bound of our own derivation: provenance ``derived`` (source ``why``), proved or checked in ``proof``.

    The one way every theory module writes such a bound (the common case: most constants are ours).

    >>> from implicitreg.theory.statement import derived_bound, rho
    >>> b = derived_bound("rate", "rate", "err", 1 - rho, "our proof", "proofs/derivations/x.py")
    >>> b.provenance.label(), b.provenance.proof
    ('derived', 'proofs/derivations/x.py')
    """
    return Bound(name, side, lhs, expr, Provenance("derived", why, proof=proof, note=note), hypotheses=hypotheses)


THEOREMS: dict[str, Theorem] = {}


def register(theorem: Theorem) -> Theorem:
    """Add a theorem to the registry (names are unique)."""
    if theorem.name in THEOREMS and THEOREMS[theorem.name] is not theorem:
        raise ValueError(f"theorem {theorem.name!r} registered twice")
    THEOREMS[theorem.name] = theorem
    return theorem

