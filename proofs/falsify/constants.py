"""The falsifier's bounds and margins: families searched, size and budget limits, the relative margin a
violation must exceed, the digits trusted."""
from __future__ import annotations

from fractions import Fraction


FAMILIES = ("integer", "rational", "gaussian", "near-nonunique", "mixed")
SIDES = ("upper", "lower")
#: a violation must exceed the bound by this relative margin to be reported (and certified)
MIN_MARGIN = Fraction(1, 10 ** 6)
#: the same for deep linear networks, whose sharpness comes from a float64 flow stopped at excess loss 1e-13
DEEP_MARGIN = Fraction(1, 10 ** 4)
MAX_BUDGET = 100_000
MAX_M, MAX_N = 8, 40   # largest m and N searched (what a refutation certificate may hold)
MAX_EXPR_TEXT = 2000
DIGITS = 30            # certified digits of every GF limit in the search
EVAL_DIGITS = 50       # digits trusted in a ratio evaluated at 60 digits
DEFAULT_ASSUME = ("x* unique", "x* != 0")
DEFAULT_ASSUME_DEEP = ("depth", "target")
#: the seed of the N(0, alpha^2) initialization of a deep-linear run (the counterexample names it)
DEEP_SEED = 1
