"""The named quantities a bound may use: one registry, each with its definition, provenance and computing function.

A researcher's bound (``implicitreg falsify --bound "2*alpha**(1-rho)"``) and every registered statement of
``theory/diagonal.py``, ``theory/selection.py`` and ``theory/sharpness.py`` are SymPy expressions over the symbols
below; :data:`QUANTITIES` says what each name means and which function of :mod:`implicitreg.numerics.quantities`
computes it on an instance and a run (``computed_by``, a dotted name: theory holds no float code). The symbols are
the statements' own objects (``theory.diagonal.K2`` *is* ``QUANTITIES["K2"].symbol``), so a registered bound can be
restated by hand from these names and compares equal to the registered one.

Scopes: ``instance`` quantities depend on the data only (A, y or X, y); ``run`` quantities also on the depth and the
initialization scale alpha of one gradient-flow run (its limit alpha -> t -> infinity).

The alpha conventions (BRIEF): ``alpha`` is the scale in the session's convention (``product`` by default:
u_i(0)^D = alpha, dln.md; ``factor``: u_i(0) = alpha, wah.md); ``alpha_product`` and ``alpha_factor`` name one
convention explicitly whatever the session's is.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from implicitreg.theory import diagonal, selection
from implicitreg.theory import sharpness as mc
from implicitreg.theory.statement import D, L, Provenance, alpha, p, rho

SCOPES = ("instance", "run")
PROBLEMS = ("diagonal", "deep-linear")

depth = D
N = selection.N
x_star_l1 = selection.M
x_inf_l1 = selection.X1
gap = selection.gap
alpha_product, alpha_factor, m_star, kappa_lb, S_LB, sharpness = sympy.symbols(
    "alpha_product alpha_factor m_star kappa_lb S_LB sharpness", positive=True)
K1star, eps, rho_a, err_l1, err_l2, err_inf, dist_sel, lambda_min = sympy.symbols(
    "K1star eps rho_a err_l1 err_l2 err_inf dist_sel lambda_min", nonnegative=True)
m, n_samples, d_features = sympy.symbols("m n_samples d", positive=True, integer=True)
s = sympy.Symbol("s", nonnegative=True, integer=True)


@dataclass(frozen=True)
class Quantity:
    """One named quantity: ``symbol`` (SymPy, with its assumptions), ``definition`` (text), ``provenance`` (of the
    definition), ``problem`` (diagonal / deep-linear), ``scope`` (instance / run) and ``computed_by`` (a function
    of :mod:`implicitreg.numerics.quantities` taking the run context)."""

    name: str
    symbol: sympy.Symbol
    definition: str
    provenance: Provenance
    problem: str
    scope: str
    computed_by: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}")
        if self.problem not in PROBLEMS:
            raise ValueError(f"problem must be one of {PROBLEMS}")
        if self.symbol.name != self.name:
            raise ValueError(f"quantity {self.name!r} must use a symbol of the same name, got {self.symbol}")

    def to_json(self) -> dict:
        return {"name": self.name, "definition": self.definition, "provenance": self.provenance.to_json(),
                "problem": self.problem, "scope": self.scope, "computed_by": self.computed_by,
                "aliases": list(self.aliases)}


QUANTITIES: dict[str, Quantity] = {}

_DLN = "dln.md §1-4 (docs/theory), theory/diagonal.py"
_WAH = "wah.md §3-5 (docs/theory), theory/selection.py"
_MC = "deep_linear.md §1-3 (docs/theory), theory/sharpness.py"
_NQ = "implicitreg.numerics.quantities."


_PROOFS = {_DLN: diagonal.MS_D2, _WAH: selection.SELECTION, _MC: mc.DERIVATION}
_D3 = ("eps", "rho_a", "rho_minus", "M0", "E1")


def _q(name, symbol, definition, kind, source, problem, scope, function=None, aliases=()):
    proof = None
    if kind == "derived":
        proof = diagonal.MS_D3 if name in _D3 else _PROOFS[source]
    QUANTITIES[name] = Quantity(name, symbol, definition, Provenance(kind, source, proof), problem, scope,
                                _NQ + (function or name), tuple(aliases))


# --- diagonal networks: the data -----------------------------------------------------------------------------
_q("m", m, "number of rows of A (measurements)", "standard", _DLN, "diagonal", "instance")
_q("N", N, "number of columns of A (coordinates)", "standard", _DLN, "diagonal", "instance")
_q("s", s, "|S|, the support size of the unique l1 minimizer x*", "standard", _DLN, "diagonal", "instance")
_q("n", diagonal.n, "N - s, the number of off-support coordinates", "standard", _DLN, "diagonal", "instance")
_q("rho", rho, "rho(A, S, sigma) = min { ||A_{S^c}^T lambda||_inf : A_S^T lambda = sigma } (exact LP), sigma = "
   "sgn x*_S", "standard", _DLN + "; numerics.basis_pursuit.rho_constant", "diagonal", "instance")
_q("K2", diagonal.K2, "||A_S^+ A_{S^c}||_{1->1} (max column l1 norm, exact)", "derived", _DLN, "diagonal",
   "instance")
_q("K1star", K1star, "max_{i in S} |log |x*_i||", "derived", _DLN, "diagonal", "instance")
_q("m_star", m_star, "min_{i in S} |x*_i|", "derived", _DLN, "diagonal", "instance")
_q("M", x_star_l1, "||x*||_1 = min(BP)", "standard", _WAH, "diagonal", "instance", "x_star_l1", ("x_star_l1",))
_q("kappa_lb", kappa_lb, "(1 - rho)/(1 + K2): the lower bound on the weak sharpness kappa of BP (WAH-C "
   "kappa_lower)", "derived", _WAH, "diagonal", "instance")
# --- diagonal networks: one run (depth D, scale alpha) ---------------------------------------------------------
_q("alpha", alpha, "the initialization scale in the session's alpha convention (product: u(0)^D = alpha, the "
   "default; factor: u(0) = alpha)", "standard", "BRIEF (alpha conventions); dln.md §1; wah.md §1", "diagonal",
   "run")
_q("alpha_product", alpha_product, "u_i(0)^D, the product scale (dln.md)", "standard", _DLN, "diagonal", "run")
_q("alpha_factor", alpha_factor, "u_i(0), the per-factor scale (wah.md)", "standard", _WAH, "diagonal", "run")
_q("D", depth, "the depth D of the diagonal network (real, >= 2)", "standard", _DLN, "diagonal", "run")
_q("p", p, "the depth in WAH's notation (p = D)", "standard", _WAH, "diagonal", "run")
_q("K1", diagonal.K1, "||w_S - sigma log(1/alpha_product)||_inf with w = A^T nu the dual point of the limit "
   "(a-posteriori)", "derived", _DLN, "diagonal", "run")
_q("Kbar1", diagonal.Kbar1, "K1star + log 2 + 4 alpha_product^2 / m_star^2 (a-priori, valid below alpha_0)",
   "derived", _DLN, "diagonal", "run")
_q("eps", eps, "||w_S - sigma||_inf (D > 2)", "derived", _DLN, "diagonal", "run")
_q("rho_a", rho_a, "rho + K2 eps (D > 2)", "derived", _DLN, "diagonal", "run")
_q("rho_minus", diagonal.rho_minus, "max(rho - K2 eps, 0) (D > 2)", "derived", _DLN, "diagonal", "run")
_q("M0", diagonal.M0, "H_D^{-1}(n H_D(rho_a)), the off-support radius of the MS-D3 proof (D > 2, rho_a < 1)",
   "derived", _DLN, "diagonal", "run")
_q("E1", diagonal.E1, "||e_D||_1, e_D = lim (x_inf - x*)/alpha_product (D > 2)", "derived", _DLN, "diagonal",
   "run")
_q("err_l1", err_l1, "||x_inf(alpha) - x*||_1, the observed error of the certified gradient-flow limit", "standard",
   _DLN, "diagonal", "run")
_q("err_l2", err_l2, "||x_inf(alpha) - x*||_2", "standard", _DLN, "diagonal", "run")
_q("err_inf", err_inf, "||x_inf(alpha) - x*||_inf", "standard", _DLN, "diagonal", "run")
_q("X1", x_inf_l1, "||x_inf(alpha)||_1", "standard", _WAH, "diagonal", "run", "x_inf_l1", ("x_inf_l1",))
_q("gap", gap, "||x_inf(alpha)||_1 - ||x*||_1 (the WAH objective gap)", "standard", _WAH, "diagonal", "run")
_q("dist_sel", dist_sel, "||x_inf(alpha) - x_g(D)||_2, the distance to the selected minimizer x_g = argmin "
   "{G_D(x) : x in X_BP} (WAH-D)", "paper", _WAH, "diagonal", "run")
# --- deep linear networks (R(W) = (1/n)||y - X W_L ... W_1||^2) -------------------------------------------------
_q("L", L, "the depth L of the deep linear network (integer >= 2)", "standard", _MC, "deep-linear", "run")
_q("n_samples", n_samples, "n, the number of samples (rows of X)", "standard", _MC, "deep-linear", "instance")
_q("d", d_features, "d, the number of features (columns of X)", "standard", _MC, "deep-linear", "instance")
_q("a", mc.a, "w*^T Sigma w* / ||w*||^2, Sigma = X^T X / n", "paper", _MC, "deep-linear", "instance")
_q("a_prime", mc.a_prime, "w*^T Sigma^2 w* / w*^T Sigma w*", "derived", _MC, "deep-linear", "instance")
_q("Lambda", mc.Lambda, "lambda_max(Sigma)", "standard", _MC, "deep-linear", "instance")
_q("lambda_min", lambda_min, "lambda_min(Sigma)", "standard", _MC, "deep-linear", "instance")
_q("kappa", mc.kappa, "Lambda / lambda_min, the condition number of Sigma (MC's kappa; inf if singular)",
   "paper", _MC, "deep-linear", "instance")
_q("w_norm", mc.w_norm, "||w*||, w* the (minimum-norm) least-squares solution", "standard", _MC,
   "deep-linear", "instance")
_q("S_LB", S_LB, "2 L a ||w*||^(2-2/L), the MC-LB lower bound on the sharpness of every global minimizer", "paper",
   _MC, "deep-linear", "run")
_q("S_min", mc.S_min, "the minimum sharpness over global minimizers (MC-Smin)", "derived", _MC,
   "deep-linear", "run")
_q("S_bal", mc.S_bal, "the sharpness of the balanced rank-one minimizer (MC-Sbal)", "derived", _MC,
   "deep-linear", "run")
_q("sharpness", sharpness, "the sharpness (largest Hessian eigenvalue) of the gradient-flow limit from N(0, alpha^2) entries "
   "(alpha = the per-factor init scale s of MC-SI)", "paper", _MC, "deep-linear", "run")


def quantity(name: str) -> Quantity:
    """The quantity called ``name`` (or one of its aliases)."""
    from implicitreg.errors import InvalidParameterError

    try:
        return QUANTITIES[ALIASES.get(name, name)]
    except KeyError:
        raise InvalidParameterError(f"unknown quantity {name!r}; known: {', '.join(sorted(QUANTITIES))}") from None


def symbols(problem: str | None = None) -> dict[str, sympy.Symbol]:
    """name (and alias) -> SymPy symbol of every registered quantity (of one problem if given)."""
    out = {}
    for q in QUANTITIES.values():
        if problem is None or q.problem == problem:
            out[q.name] = q.symbol
            out.update({a: q.symbol for a in q.aliases})
    return out


#: alias -> registered name
ALIASES = {a: q.name for q in QUANTITIES.values() for a in q.aliases}

#: The norm measured by each error quantity (the checker's names).
ERROR_NORMS = {"err_l1": "l1", "err_l2": "l2", "err_inf": "linf"}
