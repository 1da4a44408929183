"""SymPy-checked derivations of the bounds labelled ``derived``: one module per statement.

Each module exposes ``steps()``, a list of :class:`Step`; a step's ``kind`` says how it was established
(``sympy``: an identity or inequality SymPy decides; ``lemma``: a stated lemma, checked numerically where the
module says; ``numeric``: a computation), so that a reader can see at once which links of a proof are symbolic.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One proof step: a claim, whether it was established, and how."""

    name: str
    claim: str
    holds: bool
    kind: str = "sympy"   # sympy | lemma | numeric (or a combination such as "sympy+lemma")
    detail: str = ""
