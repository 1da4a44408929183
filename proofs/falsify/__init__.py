"""Try hard to break a researcher's bound; when it breaks, hand over a small counterexample anyone can check.

A conjecture is ``lhs  <=  bound`` (``side="upper"``) or ``lhs  >=  bound`` (``side="lower"``), where ``lhs`` is a
registered quantity of a gradient-flow run (``err_l1``, ``err_l2``, ``err_inf``, ``gap``, ``dist_sel``, ...) and
``bound`` an expression over registered quantities (:mod:`implicitreg.theory.quantities`): a string parsed by the
checker's evaluate-nothing grammar, or a SymPy expression from Python. Instances must meet the stated hypotheses
(by default the ones that make the error defined: x* unique and nonzero; add e.g. ``"rho > 0"``, ``"D > 2"`` from
the statement objects of ``theory/diagonal.py``, or ``"alpha^2 < 1"`` of WAH-C's p = 2 bound); the others are
skipped, never counted as counterexamples, and so is a point where the bound itself is undefined (a division by
zero, such as 1/log(1/alpha^2) at alpha = 1).

Search (:func:`falsify`), deterministic for a given seed:

1. Hypothesis over exact instances (``family``: small integers, small rationals, Gaussian entries rounded to two
   decimals, families near non-uniqueness; a planted sparse x with y = A x) and over alpha in the range, with
   ``target()`` on log(lhs / bound) (upper; log(bound / lhs) for lower); a violation makes Hypothesis shrink to the
   smallest violating instance and alpha it can find;
2. if nothing was violated, a local optimizer on the continuous parameters of the best instances found: golden
   section in log alpha, then a coordinate search on the entries of A (steps of 1/10 and 1/100, exact);
3. a violation by more than :data:`MIN_MARGIN` (relative) is certified: :func:`refutation_certificate` writes the
   exact instance, x* and rho with their LP certificates, a Krawczyk box of the dual variable at the violating
   alpha (a rigorous enclosure of the GF limit), the lhs and the bound in interval arithmetic, and the margin; the
   independent checker (``proofs/checker/refutation.py``) re-verifies it before it is returned.

Otherwise the result is "not refuted" with the worst ratio found, its instance and alpha, the evaluations spent and
the seed.

Modules: :mod:`.constants` (limits and margins), :mod:`.conjecture` (the conjecture and its hypotheses),
:mod:`.evaluate` (a probe at one instance and alpha), :mod:`.strategies` (Hypothesis strategies), :mod:`.search`
(the phases and :func:`falsify`), :mod:`.result`, :mod:`.certificate` (the refutation certificate).
"""
from implicitreg.proofs.falsify.certificate import refutation_certificate
from implicitreg.proofs.falsify.conjecture import (OBSERVED, Conjecture, conjecture, failed, hypotheses, parse_bound,
                                                   problem_of)
from implicitreg.proofs.falsify.constants import (DEEP_MARGIN, DEEP_SEED, DEFAULT_ASSUME, DEFAULT_ASSUME_DEEP, DIGITS,
                                                  EVAL_DIGITS, FAMILIES, MAX_BUDGET, MAX_EXPR_TEXT, MAX_M, MAX_N,
                                                  MIN_MARGIN, SIDES)
from implicitreg.proofs.falsify.evaluate import Probe
from implicitreg.proofs.falsify.result import FalsifyResult
from implicitreg.proofs.falsify.search import falsify
from implicitreg.proofs.falsify.strategies import alpha_strategy, data_strategy, instance_strategy

__all__ = [
    "falsify", "conjecture", "parse_bound", "hypotheses", "failed", "problem_of", "refutation_certificate",
    "instance_strategy", "data_strategy", "alpha_strategy", "Conjecture", "Probe", "FalsifyResult", "OBSERVED",
    "FAMILIES", "SIDES", "MIN_MARGIN", "DEEP_MARGIN", "MAX_BUDGET", "MAX_M", "MAX_N", "MAX_EXPR_TEXT", "DIGITS",
    "EVAL_DIGITS", "DEFAULT_ASSUME", "DEFAULT_ASSUME_DEEP", "DEEP_SEED",
]
