"""Try hard to break a researcher's bound; when it breaks, hand over a small counterexample anyone can check.

A conjecture is ``lhs  <=  bound`` (``side="upper"``) or ``lhs  >=  bound`` (``side="lower"``), where ``lhs`` is a
registered quantity of a gradient-flow run (``err_l1``, ``err_l2``, ``err_inf``, ``gap``, ``dist_sel``, ...) and
``bound`` an expression over registered quantities (:mod:`implicitreg.theory.quantities`): a string parsed by the
checker's evaluate-nothing grammar, or a SymPy expression from Python. Instances must meet the stated hypotheses
(by default the ones that make the error defined: x* unique and nonzero; add e.g. ``"rho > 0"``, ``"D > 2"`` from
the statement objects of ``theory/diagonal.py``); the others are skipped, never counted as counterexamples.

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
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import sympy

from implicitreg.errors import (CertificateError, ConvergenceError, HypothesisNotMetError, ImplicitRegError,
                                InvalidParameterError, NonUniqueMinimizerError, PrecisionError)
from implicitreg.numerics.exact import fraction_str, parse_exact
from implicitreg.theory.quantities import ERROR_NORMS, QUANTITIES, quantity, symbols
from implicitreg.numerics.precision import mpf_from

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


@dataclass
class Probe:
    """One evaluated (instance, alpha): ratio > 1 means the conjecture is violated there."""

    instance: Any
    alpha: Fraction
    lhs_value: Any
    bound_value: Any
    ratio: Any

    @property
    def score(self) -> float:
        if self.ratio == mpmath.inf:
            return 1e6
        return float(mpmath.log(self.ratio)) if self.ratio > 0 else -1e6


@dataclass
class FalsifyResult:
    """The outcome: ``refuted`` with a ``counterexample`` (and its ``certificate`` when the checker can re-verify
    every quantity the bound names), or the worst ``ratio`` found (lhs/bound for upper, bound/lhs for lower)."""

    refuted: bool
    conjecture: Conjecture
    depth: Fraction
    alpha_range: tuple[Fraction, Fraction]
    alpha_convention: str
    family: str
    seed: int
    budget: int
    evaluations: int
    skipped: int
    worst: Probe | None
    certificate: dict | None = None
    note: str = ""
    assume: tuple[str, ...] = DEFAULT_ASSUME

    @property
    def ratio(self):
        return self.worst.ratio if self.worst else None

    def to_json(self) -> dict:
        w = self.worst
        example = None
        if w is not None:
            example = {"instance": _data_json(w.instance), "alpha": fraction_str(w.alpha),
                       "alpha_convention": self.alpha_convention, "depth": fraction_str(self.depth),
                       "lhs": mpmath.nstr(w.lhs_value, 15), "bound": mpmath.nstr(w.bound_value, 15),
                       "ratio": mpmath.nstr(w.ratio, 15)}
        return {"refuted": self.refuted, "lhs": self.conjecture.lhs, "side": self.conjecture.side,
                "bound": self.conjecture.text, "depth": fraction_str(self.depth),
                "alpha_range": [fraction_str(a) for a in self.alpha_range], "alpha_convention": self.alpha_convention,
                "family": self.family, "assume": list(self.assume), "seed": self.seed, "budget": self.budget,
                "evaluations": self.evaluations, "skipped": self.skipped,
                "counterexample": example if self.refuted else None,
                "worst": None if self.refuted else example,
                "certificate": self.certificate, "note": self.note}

    def summary(self) -> str:
        c = self.conjecture
        rel = "<=" if c.side == "upper" else ">="
        head = f"conjecture: {c.lhs} {rel} {c.text}  (D = {self.depth}, alpha in [{_short(self.alpha_range[0])}, " \
               f"{_short(self.alpha_range[1])}], {self.alpha_convention} convention, family {self.family})"
        w = self.worst
        lines = [head]
        if w is None:
            lines.append(f"NOT REFUTED: no instance met the hypotheses ({self.skipped} skipped, {self.evaluations} "
                         f"evaluations, seed {self.seed})")
            return "\n".join(lines)
        data = _data_json(w.instance)
        mat = "X" if "X" in data else "A"
        rows, cols = len(data[mat]), len(data[mat][0])
        where = f"{mat} = {data[mat]}, y = {data['y']}, alpha = {_short(w.alpha)}"
        ratio_name = "lhs/bound" if c.side == "upper" else "bound/lhs"
        if self.refuted:
            lines.append(f"REFUTED by {rows} x {cols} instance: {where}")
            lines.append(f"  {c.lhs} = {mpmath.nstr(w.lhs_value, 12)}, bound = {mpmath.nstr(w.bound_value, 12)}, "
                         f"{ratio_name} = {mpmath.nstr(w.ratio, 12)}")
        else:
            gap = ""
            if abs(1 - w.ratio) < mpmath.mpf(10) ** (5 - EVAL_DIGITS):
                gap = " (= 1 to the certified digits: the bound is sharp here)"
            elif abs(1 - w.ratio) < mpmath.mpf(10) ** -6:
                gap = f" (1 - ratio = {mpmath.nstr(1 - w.ratio, 3)})"
            lines.append(f"NOT REFUTED: worst {ratio_name} = {mpmath.nstr(w.ratio, 12)}{gap} at {where}")
        lines.append(f"  {self.evaluations} evaluations ({self.skipped} instances skipped by the hypotheses "
                     f"{', '.join(self.assume)}), budget {self.budget}, seed {self.seed}")
        if self.note:
            lines.append("  " + self.note)
        return "\n".join(lines)


def _data_json(instance) -> dict:
    """The exact data as JSON strings: {"A", "y"} (diagonal) or {"X", "y"} (deep linear)."""
    if hasattr(instance, "X"):
        return {"X": [[fraction_str(v) for v in r] for r in instance.X], "y": [fraction_str(v) for v in instance.y]}
    return instance.to_json()


def _short(q: Fraction) -> str:
    if q.numerator == 1 and q.denominator > 1 and _is_power_of_ten(q.denominator):
        return f"1e-{len(str(q.denominator)) - 1}"
    return fraction_str(q)


def _is_power_of_ten(k: int) -> bool:
    return k >= 1 and str(k).strip("0") == "1" and str(k)[0] == "1"


# --- the conjecture ---------------------------------------------------------------------------------------------

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


# --- hypotheses from the statement objects ----------------------------------------------------------------------

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


# --- evaluation -------------------------------------------------------------------------------------------------

class _Evaluator:
    """Evaluates the conjecture at (instance, alpha) with a memo (so Hypothesis's replays are consistent)."""

    def __init__(self, conj: Conjecture, depth: Fraction, convention: str, assume, cap: int):
        from implicitreg.theory.statement import Bound, Provenance

        self.conj = conj
        self.depth = depth
        self.convention = convention
        self.assume = tuple(assume)
        self.bound = Bound("conjecture", conj.side, conj.lhs, conj.bound, Provenance("conjecture", "user"))
        self.memo: dict = {}
        self.evaluations = 0
        self.skipped = 0
        self.cap = cap
        self.best: Probe | None = None
        self.top: dict = {}

    def __call__(self, instance, alpha: Fraction) -> Probe | None:
        key = (_data_key(instance), alpha)
        if key in self.memo:
            return self.memo[key]
        if self.evaluations >= self.cap:
            return None
        self.evaluations += 1
        probe = self._probe(instance, alpha)
        self.memo[key] = probe
        if probe is None:
            self.skipped += 1
        else:
            if self.best is None or probe.ratio > self.best.ratio:
                self.best = probe
            ikey = _data_key(instance)
            if ikey not in self.top or probe.ratio > self.top[ikey].ratio:
                self.top[ikey] = probe
        return probe

    def _probe(self, instance, alpha):
        from implicitreg.numerics.quantities import DeepLinearRun, DiagonalRun, compute

        if problem_of(self.conj) == "deep-linear":
            run = DeepLinearRun(instance, self.depth, alpha, seed=DEEP_SEED)
        else:
            run = DiagonalRun(instance, self.depth, alpha, alpha_convention=self.convention, digits=DIGITS)
        try:
            if failed(run, self.assume):
                return None
            values = {name: compute(name, run) for name in self.conj.names}
            lhs = compute(self.conj.lhs, run)
        except (NonUniqueMinimizerError, HypothesisNotMetError):
            return None
        except InvalidParameterError:  # e.g. w* = 0: the deep-linear constants are undefined
            return None
        except (ConvergenceError, PrecisionError):
            return None  # the limit could not be certified here: no claim either way
        with mpmath.workdps(60):
            b = self.bound.evaluate(60, **{k: v for k, v in values.items()})
            lhs = +mpf_from(lhs)
            # the bound's inputs (K1, eps, ...) come from the same limit: trust it to its certified digits too
            unc = _resolution(run, self.conj.lhs, lhs) + abs(b) * _relative_resolution(run)
            if self.conj.side == "upper":
                ratio = lhs / b if b > 0 else (mpmath.inf if lhs > 0 else mpmath.mpf(0))
                decided = lhs - b > 2 * unc
            else:
                ratio = b / lhs if lhs > 0 else (mpmath.inf if b > 0 else mpmath.mpf(0))
                decided = b - lhs > 2 * unc
            if ratio > 1 and not decided:
                ratio = mpmath.mpf(1)  # equal within the certified digits of the limit: no claim of a violation
        return Probe(instance, alpha, lhs, b, ratio)


def _resolution(run, name: str, value) -> mpmath.mpf:
    """An upper bound on the error of the computed ``value`` of ``name`` (certified digits of the limit): a sum of
    N entries, each within max(|x_j|, floor) 10^-digits (numerics.dual_limit.LimitResult); other quantities
    relative 10^-20."""
    if run.problem == "diagonal" and name in ("err_l1", "err_l2", "err_inf", "X1", "gap"):
        lim = run.limit
        scale = max(max(abs(v) for v in lim.x), lim.floor)
        return len(lim.x) * scale * mpmath.mpf(10) ** (-min(lim.digits, EVAL_DIGITS) + 1)
    margin = DEEP_MARGIN if run.problem == "deep-linear" else Fraction(1, 10 ** 20)
    return abs(value) * mpmath.mpf(margin.numerator) / margin.denominator


def _relative_resolution(run) -> mpmath.mpf:
    if run.problem == "diagonal":  # the ratio is evaluated at 60 digits: never trust more than EVAL_DIGITS
        return mpmath.mpf(10) ** (-min(run.limit.digits, EVAL_DIGITS) + 5)
    return mpmath.mpf(DEEP_MARGIN.numerator) / DEEP_MARGIN.denominator


def _data_key(instance):
    return (instance.X, instance.y) if hasattr(instance, "X") else (instance.A, instance.y)


def _violates(probe: Probe | None) -> bool:
    if probe is None:
        return False
    margin = DEEP_MARGIN if hasattr(probe.instance, "X") else MIN_MARGIN
    return probe.ratio > 1 + mpf_from(margin)


# --- strategies ---------------------------------------------------------------------------------------------------

def _gauss_entry(k: int) -> Fraction:
    """The standard-normal quantile at 1/2 + k/1000, rounded to two decimals (k = 0 gives 0)."""
    if k == 0:
        return Fraction(0)
    with mpmath.workdps(20):
        v = mpmath.sqrt(2) * mpmath.erfinv(mpmath.mpf(2 * k) / 1000)
    return Fraction(int(mpmath.nint(v * 100)), 100)


def _entries(st, family):
    if family == "integer":
        return st.integers(-4, 4).map(Fraction)
    if family == "rational":
        return st.builds(Fraction, st.integers(-6, 6), st.integers(1, 4))
    if family == "gaussian":
        return st.integers(-499, 499).map(_gauss_entry)
    raise InvalidParameterError(family)


def instance_strategy(family: str, m_range, N_range):
    """Hypothesis strategy of exact (A, y) with a planted sparse x (y = A x)."""
    from hypothesis import strategies as st

    from implicitreg.numerics.instance import Instance

    @st.composite
    def build(draw, fam):
        m = draw(st.integers(*m_range))
        N = draw(st.integers(max(N_range[0], m + 1), max(N_range[1], m + 1)))
        base = "integer" if fam == "near-nonunique" else fam
        A = [[draw(_entries(st, base)) for _ in range(N)] for _ in range(m)]
        k = draw(st.integers(1, m))
        support = sorted(draw(st.lists(st.integers(0, N - 1), min_size=k, max_size=k, unique=True)))
        x = [Fraction(0)] * N
        for j in support:
            x[j] = Fraction(draw(st.sampled_from([1, -1, 2, -2, 3, Fraction(1, 2)])))
        if fam == "near-nonunique":
            # a column off the support nearly parallel to a support column: rho close to 1
            j_on = draw(st.sampled_from(support))
            off = [j for j in range(N) if j not in support]
            if off:
                j_off = draw(st.sampled_from(off))
                t = Fraction(draw(st.integers(2, 50)) - 1, draw(st.integers(2, 50)))
                t = min(t, Fraction(49, 50))
                for i in range(m):
                    A[i][j_off] = A[i][j_on] * t * draw(st.sampled_from([1, -1]))
        y = [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]
        try:
            return Instance.from_lists(A, y, name="candidate")
        except ImplicitRegError:
            return None

    if family == "mixed":
        return st.one_of([build(f) for f in ("integer", "rational", "gaussian", "near-nonunique")])
    return build(family)


def data_strategy(family: str, n_range, d_range):
    """Hypothesis strategy of exact regression data (X, y) for deep linear networks (y = X w + small integers)."""
    from hypothesis import strategies as st

    from implicitreg.numerics.deep_linear import RegressionData

    base = "integer" if family in ("near-nonunique", "mixed") else family

    @st.composite
    def build(draw):
        d = draw(st.integers(*d_range))
        n = draw(st.integers(*n_range))
        X = [[draw(_entries(st, base)) for _ in range(d)] for _ in range(n)]
        w = [Fraction(draw(st.integers(-3, 3))) for _ in range(d)]
        y = [sum((a * b for a, b in zip(row, w)), Fraction(0)) + draw(st.integers(-1, 1)) for row in X]
        try:
            return RegressionData.from_lists(X, y, name="candidate")
        except ImplicitRegError:
            return None

    return build()


def alpha_strategy(lo: Fraction, hi: Fraction):
    """alpha = c * 10^e (c in 1..9) inside [lo, hi], exact."""
    from hypothesis import strategies as st

    e_lo = math.floor(math.log10(lo)) if lo > 0 else -30
    e_hi = math.floor(math.log10(hi))

    def clip(pair):
        c, e = pair
        a = Fraction(c) * Fraction(10) ** e
        return min(max(a, lo), hi)

    return st.tuples(st.integers(1, 9), st.integers(e_lo, e_hi)).map(clip)


# --- the search -------------------------------------------------------------------------------------------------

class _Violation(Exception):
    def __init__(self, probe):
        super().__init__("violation")
        self.probe = probe


def _range(text_or_pair, name, integer=0):
    if isinstance(text_or_pair, str):
        parts = text_or_pair.split(":")
        if len(parts) != 2:
            raise InvalidParameterError(f"{name} must be LO:HI, got {text_or_pair!r}")
        lo, hi = parts
    else:
        try:
            lo, hi = text_or_pair
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{name} must be a pair (lo, hi)") from None
    try:
        lo, hi = parse_exact(lo, name), parse_exact(hi, name)
    except ImplicitRegError as exc:
        raise InvalidParameterError(f"{name}: {exc}") from None
    if lo > hi:
        raise InvalidParameterError(f"{name}: lower end {lo} above upper end {hi}")
    if integer:
        if lo.denominator != 1 or hi.denominator != 1 or lo < 1 or hi > integer:
            raise InvalidParameterError(f"{name} must be integers in 1..{integer}, got {lo}:{hi}")
        return int(lo), int(hi)
    return lo, hi


def falsify(lhs: str, bound, *, depth=2, alpha_range=("1e-30", "1e-2"), alpha_convention: str = "product",
            family: str = "gaussian", m=(1, 3), N=(2, 6), budget: int = 200, seed: int = 0, side: str = "upper",
            assume: Sequence[str] = (), certify: bool = True) -> FalsifyResult:
    """Search for an instance and alpha violating ``lhs <side> bound``; see the module docstring.

    ``bound``: a string in the grammar of ``proofs/checker/grammar.py`` or a SymPy expression over the symbols of
    :mod:`implicitreg.theory.quantities`. ``alpha_range``: "LO:HI" or a pair, in ``alpha_convention``. ``m``, ``N``:
    "LO:HI" or pairs of integers. ``budget``: the number of (instance, alpha) evaluations of the Hypothesis phase
    (the shrink and the local optimizer may spend as much again). ``assume``: extra hypotheses by name
    (:func:`hypotheses`), on top of x* unique and nonzero.

    Deep linear networks (``lhs`` = ``sharpness``, ``S_min`` or ``S_bal``): ``depth`` is the integer L, ``alpha`` the
    per-factor init scale s (entries N(0, s^2), seed :data:`DEEP_SEED`), ``m`` the number n of samples and ``N`` the
    number d of features of the data (X, y). ``sharpness`` comes from a float64 gradient flow, so a violation is
    reported without a certificate (reproducible from the exact data, L, s and the seed).
    """
    from implicitreg.numerics.potentials import alpha_convention_value, depth_value

    conj = conjecture(lhs, bound, side)
    problem = problem_of(conj)
    D = depth_value(depth)
    alpha_convention_value(alpha_convention)
    if problem == "deep-linear":
        if D.denominator != 1:
            raise InvalidParameterError(f"the depth L of a deep linear network is an integer >= 2, got {depth}")
        if alpha_convention != "factor":
            alpha_convention = "factor"  # alpha is the per-factor init scale s of every W_k entry
    if family not in FAMILIES:
        raise InvalidParameterError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    lo, hi = _range(alpha_range, "alpha range")
    if lo <= 0:
        raise InvalidParameterError("alpha range: alpha must be > 0")
    if math.log10(lo) * (1 if alpha_convention == "product" else float(D)) < -300:
        raise InvalidParameterError("alpha range: the smallest product scale supported is 1e-300")
    if problem == "deep-linear" and not (Fraction(1, 1000) <= lo and hi <= 10):
        raise InvalidParameterError("alpha range: the init scale of a deep linear network must lie in [1/1000, 10]")
    m_range, N_range = _range(m, "m", integer=MAX_M), _range(N, "N", integer=MAX_N)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise InvalidParameterError(f"budget must be an integer in 1..{MAX_BUDGET}, got {budget!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")
    table = hypotheses(problem)
    unknown = [a for a in assume if a not in table]
    if unknown:
        raise InvalidParameterError(f"unknown hypotheses {unknown}; known: {', '.join(table)}")
    default = DEFAULT_ASSUME if problem == "diagonal" else DEFAULT_ASSUME_DEEP
    assume_all = tuple(dict.fromkeys(default + tuple(assume)))

    ev = _Evaluator(conj, D, alpha_convention, assume_all, cap=3 * budget)
    strategy = instance_strategy(family, m_range, N_range) if problem == "diagonal" else \
        data_strategy(family, m_range, N_range)
    probe = _hypothesis_phase(ev, strategy, lo, hi, budget, seed)
    if probe is None:
        probe = _local_phase(ev, lo, hi, 2 * budget, entries=problem == "diagonal")
    if probe is not None and problem == "diagonal":
        ev.cap = ev.evaluations + 2 * budget + 50
        probe = _shrink(ev, probe, lo, hi, m_range[0], N_range[0])
    result = FalsifyResult(probe is not None, conj, D, (lo, hi), alpha_convention, family, seed, budget,
                           ev.evaluations, ev.skipped, probe if probe is not None else ev.best, assume=assume_all)
    if probe is not None and problem == "deep-linear":
        result.note = (f"no certificate: the sharpness of a float64 gradient-flow limit is not certified; the "
                       f"counterexample is reproducible from the exact data, L, alpha and init seed {DEEP_SEED}")
    elif probe is not None and certify:
        try:
            result.certificate = refutation_certificate(conj, probe.instance, D, probe.alpha, alpha_convention)
        except (HypothesisNotMetError, CertificateError) as exc:
            result.note = f"no certificate: {exc}"
    return result


def _hypothesis_phase(ev, inst_st, lo, hi, budget, seed):
    from hypothesis import HealthCheck, Phase, given, settings, target
    from hypothesis import seed as hseed

    @hseed(seed)
    @settings(max_examples=budget, database=None, deadline=None, derandomize=False, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.target, Phase.shrink),
              print_blob=False)
    @given(inst_st, alpha_strategy(lo, hi))
    def probe(instance, alpha):
        if instance is None:
            return
        pr = ev(instance, alpha)
        if pr is None:
            return
        target(max(min(pr.score, 1e6), -1e6), label="log(lhs/bound)")
        if _violates(pr):
            raise _Violation(pr)

    try:
        probe()
    except _Violation as v:
        return v.probe
    return None


def _golden(f, a, b, steps):
    """Maximize f on [a, b] by golden-section search (``steps`` evaluations); returns (x, f(x))."""
    g = (math.sqrt(5) - 1) / 2
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(steps):
        if f1 >= f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - g * (b - a)
            f1 = f(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (b - a)
            f2 = f(x2)
    return (x1, f1) if f1 >= f2 else (x2, f2)


def _alpha_at(t: float, lo: Fraction, hi: Fraction) -> Fraction:
    """alpha = 10^t rounded to two significant digits, clipped to [lo, hi]."""
    e = math.floor(t)
    c = round(10 ** (t - e) * 10)
    a = Fraction(c, 10) * Fraction(10) ** e
    return min(max(a, lo), hi)


def _local_phase(ev, lo, hi, budget, entries: bool = True):
    """Golden section in log10 alpha, then a coordinate search on A, from the best instances found."""
    start = ev.evaluations
    tlo, thi = math.log10(lo), math.log10(hi)
    seeds = sorted(ev.top.values(), key=lambda p: p.ratio, reverse=True)[:3]
    for best in seeds:
        inst = best.instance

        def f(t, inst=inst):
            pr = ev(inst, _alpha_at(t, lo, hi))
            if _violates(pr):
                raise _Violation(pr)
            return pr.score if pr is not None else -1e9

        try:
            t, _ = _golden(f, tlo, thi, 16)
            alpha = _alpha_at(t, lo, hi)
            cur = ev(inst, alpha)
            if cur is None or not entries:
                continue
            for step in (Fraction(1, 10), Fraction(1, 100)):
                improved = True
                while improved and ev.evaluations - start < budget:
                    improved = False
                    for i in range(inst.m):
                        for j in range(inst.N):
                            for sgn in (1, -1):
                                cand = _perturbed(inst, i, j, sgn * step)
                                if cand is None:
                                    continue
                                pr = ev(cand, alpha)
                                if _violates(pr):
                                    raise _Violation(pr)
                                if pr is not None and pr.ratio > cur.ratio:
                                    inst, cur, improved = cand, pr, True
        except _Violation as v:
            return v.probe
        if ev.evaluations - start >= budget:
            break
    return None


def _perturbed(inst, i, j, delta):
    """A with A[i][j] += delta and y re-planted from the old x* (so x* stays feasible): None if invalid."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance

    A = [list(r) for r in inst.A]
    A[i][j] += delta
    x = l1_minimizer(inst).x
    y = [sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in A]
    try:
        return Instance.from_lists(A, y, name="candidate")
    except ImplicitRegError:
        return None


def _simpler(inst, m_min: int, N_min: int):
    """Smaller or simpler instances than ``inst`` (the planted x* stays feasible): a column off the support of x*
    removed, a row removed, an entry rounded to fewer decimals or set to 0."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance

    A, y = [list(r) for r in inst.A], list(inst.y)
    x = l1_minimizer(inst).x
    out = []
    if inst.N > max(N_min, inst.m + 1):
        for j in range(inst.N):
            if x[j] == 0:
                out.append(([[v for k, v in enumerate(r) if k != j] for r in A], y))
    if inst.m > m_min and inst.N > inst.m:
        for i in range(inst.m):
            out.append(([r for k, r in enumerate(A) if k != i], [v for k, v in enumerate(y) if k != i]))
    for i in range(inst.m):
        for j in range(inst.N):
            v = A[i][j]
            for w in (Fraction(0), Fraction(round(v)), Fraction(round(v * 10), 10)):
                if w != v and (w == 0 or w.denominator < v.denominator or abs(w.numerator) < abs(v.numerator)):
                    B = [list(r) for r in A]
                    B[i][j] = w
                    out.append((B, [sum((a * b for a, b in zip(r, x)), Fraction(0)) for r in B]))
                    break
    for B, z in out:
        try:
            yield Instance.from_lists(B, z, name="candidate")
        except ImplicitRegError:
            continue


def _shrink(ev, probe, lo, hi, m_min: int, N_min: int):
    """Greedy deterministic shrink of a violating probe: fewer columns and rows, simpler entries (each step must
    still violate the conjecture), then alpha to one significant digit."""
    best = probe
    improved = True
    while improved:
        improved = False
        for cand in _simpler(best.instance, m_min, N_min):
            pr = ev(cand, best.alpha)
            if _violates(pr):
                best, improved = pr, True
                break
            if ev.evaluations >= ev.cap:
                return best
    e = math.floor(math.log10(best.alpha))
    for a in (Fraction(10) ** e, Fraction(10) ** (e + 1)):
        if lo <= a <= hi and a != best.alpha:
            pr = ev(best.instance, a)
            if _violates(pr):
                return pr
    return best


# --- the refutation certificate --------------------------------------------------------------------------------

def refutation_certificate(conj: Conjecture, instance, depth, alpha, alpha_convention: str = "product") -> dict:
    """A sealed refutation certificate for ``conj`` at (instance, depth, alpha), re-verified by the checker.

    Raises :class:`HypothesisNotMetError` when the checker cannot recompute a quantity the bound names, or the
    instance is not certifiable (A without full row rank, x* not unique), and :class:`CertificateError` when the
    violation is not proved (a producer bug or a violation inside the rounding).
    """
    from decimal import Decimal

    from mpmath import iv

    from implicitreg import __version__
    from implicitreg.errors import CertificateError
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.exact import rank
    from implicitreg.proofs import certify
    from implicitreg.proofs.checker import check as checker, refutation
    from implicitreg.proofs.checker.interval import (CheckFailure, ball_from_interval, decimal_text, endpoints, lo,
                                                     point, precision)

    missing = [n for n in conj.names + [conj.lhs] if n not in refutation.QUANTITIES]
    if missing:
        raise HypothesisNotMetError(f"the checker does not recompute {', '.join(missing)}")
    if rank(instance.A) != instance.m:
        raise HypothesisNotMetError("A has dependent rows: a certificate needs independent dual equations")
    bp = l1_minimizer(instance)
    if not bp.unique or bp.rho_certificate is None:
        raise HypothesisNotMetError("x* is not unique")
    rc = bp.rho_certificate
    D = Fraction(depth)
    alpha = Fraction(alpha)
    smallest = alpha if alpha_convention == "product" else alpha ** D
    dps = 60 + max(0, math.ceil(-math.log10(smallest)))
    res = gradient_flow_limit(instance, D, alpha, alpha_convention=alpha_convention, digits=30)
    A, y = [list(r) for r in instance.A], list(instance.y)
    with precision(dps):
        nu = certify._newton_polish(instance, D, alpha, alpha_convention, res.nu)
        centre = [Fraction(Decimal(certify._dec_text(certify._mp_fraction(v)))) for v in nu]
        radius = [max(abs(c), Fraction(1)) * Fraction(1, 10 ** (certify.CENTRE_DIGITS - 10)) for c in centre]
    cert = {
        "format": refutation.FORMAT, "kind": "refutation",
        "theorem": {"name": f"conjecture: {conj.lhs} {'<=' if conj.side == 'upper' else '>='} {conj.text}",
                    "title": "a conjectured bound, refuted by a counterexample",
                    "claim": f"On this instance at this alpha ({alpha_convention} convention, depth {fraction_str(D)}) "
                             f"{conj.lhs} {'>' if conj.side == 'upper' else '<'} {conj.text}: the conjectured "
                             f"{conj.side} bound is violated (by at least the stated margin).",
                    "provenance": {"kind": "conjecture", "source": "stated by the user of implicitreg falsify"}},
        "instance": instance.to_json(), "depth": fraction_str(D), "alpha_convention": alpha_convention,
        "alpha": fraction_str(alpha),
        "basis_pursuit": {"x_star": [fraction_str(v) for v in bp.x], "value": fraction_str(bp.value),
                          "lambda": [fraction_str(v) for v in bp.certificate]},
        "rho": {"support": list(bp.support), "signs": list(bp.signs), "value": fraction_str(rc.value),
                "lambda": [fraction_str(v) for v in rc.lam], "v": [fraction_str(v) for v in rc.v]},
        "nu": [{"mid": certify._dec_text(c), "rad": decimal_text(r, 2, "up")} for c, r in zip(centre, radius)],
        "conjecture": {"lhs": conj.lhs, "side": conj.side, "expr": conj.text},
        "tool": {"name": "implicitreg", "version": __version__, "checker_dps": dps},
    }
    try:
        with precision(dps):
            env = refutation.environment(cert)
            lhs_iv, bound_iv = env[conj.lhs], refutation.evaluate_bound(conj.text, env)
            cert["x_inf"] = [ball_from_interval(v, certify.CENTRE_DIGITS - 15) for v in env["_x_inf"]]
            cert["lhs_value"] = ball_from_interval(lhs_iv, certify.CENTRE_DIGITS - 15)
            cert["bound_value"] = ball_from_interval(bound_iv, certify.CENTRE_DIGITS - 15)
            big, small = (lhs_iv, bound_iv) if conj.side == "upper" else (bound_iv, lhs_iv)
            if not lo(big - small) > 0:
                raise CertificateError("the violation is inside the rounding: not certified")
            r = 1 + MIN_MARGIN
            if lo(small) > 0:  # the largest 12-digit r with big >= r small
                r = max(r, Fraction(Decimal(decimal_text(endpoints(big / small)[0], 12, "down"))))
            if not lo(big - point(r) * small) > 0:
                raise CertificateError("the margin is inside the rounding: not certified")
    except CheckFailure as exc:
        raise CertificateError(f"cannot certify the counterexample: {exc}") from None
    cert["margin"] = {"ratio_lo": decimal_text(r, 12, "down"),
                      "meaning": "lhs >= ratio_lo x bound and lhs > bound" if conj.side == "upper" else
                                 "bound >= ratio_lo x lhs and bound > lhs"}
    cert = certify.seal(cert)
    try:
        checker.check_certificate(cert)
    except CheckFailure as exc:
        raise CertificateError(f"the produced refutation certificate does not verify: {exc}") from None
    return cert
