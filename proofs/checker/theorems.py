"""The checker's own table of theorems: each name fixes its bound formulas, sides and norms.

A certificate names a theorem and lists bounds by name; the checker accepts a bound only when its ``side``,
``norm`` and ``expr`` equal the entry below (expressions are compared as parsed trees, so spacing does not
matter but every operation does). A certificate can therefore never attach a weaker formula, another side or
another norm to a theorem's name. The formulas are stated in the checker's symbols (docs/certificates.md):

* MS-D2 (depth 2; Matt & Stoeger, constants derived in proofs/derivations/ms_d2.py):
  ``||x_inf - x*||_1 <= (1 + K2) n exp(K1 K2) alpha^(1 - rho)``,
  ``||x_inf - x*||_inf >= exp(-K1 K2) alpha^(1 - rho) - alpha``;
* MS-D3 (depth D > 2; proofs/derivations/ms_d3.py): ``||x_inf - x*||_1 <= (1 + K2) n alpha h_D(M0)``,
  ``||x_inf - x*||_inf >= alpha h_D(rho_minus)``;
* tightness scales (side ``limit``: a ratio, no inequality): MS-D2 ``(N - s)(1 + rho) alpha^(1 - rho)``,
  MS-D3 ``(N - s)(1 + rho) h_D(rho) alpha``, kink ``sqrt(1 + rho^2) alpha^(1 - rho)`` (D = 2) and
  ``sqrt(1 + rho^2) h_D(rho) alpha`` (D > 2), with alpha the product scale;
* MC-LB (Marion & Chizat): the sharpness of every global minimizer is at least ``S_LB = 2 L a ||w*||^(2 - 2/L)``.
"""
from __future__ import annotations

from fractions import Fraction

from .grammar import GrammarError, parse
from .interval import CheckFailure

#: symbols a diagonal bound may use (all recomputed by the checker)
DIAGONAL_SYMBOLS = frozenset({"alpha", "alpha_product", "rho", "N", "s", "n", "m", "D", "p", "K1star", "K2",
                              "K1", "eps", "rho_a", "rho_minus", "M0"})
DEEP_SYMBOLS = frozenset({"L", "a", "w_norm", "d", "n"})
LINK = {"h": 1}

_MS_D2 = {
    "tightness scale": ("limit", "l1", "(N - s)*(1 + rho)*alpha_product**(1 - rho)"),
    "upper_l1": ("upper", "l1", "alpha_product**(1 - rho)*n*(K2 + 1)*exp(K1*K2)"),
    "lower_inf": ("lower", "linf", "-alpha_product + alpha_product**(1 - rho)*exp(-K1*K2)"),
}
_MS_D3 = {
    "tightness scale": ("limit", "l1", "(N - s)*(1 + rho)*h(rho)*alpha_product"),
    "upper_l1": ("upper", "l1", "alpha_product*n*(K2 + 1)*h(M0)"),
    "lower_inf": ("lower", "linf", "alpha_product*h(rho_minus)"),
}
_KINK_2 = {"tightness scale": ("limit", "l2", "sqrt(1 + rho**2)*alpha_product**(1 - rho)")}
_KINK_D = {"tightness scale": ("limit", "l2", "sqrt(1 + rho**2)*h(rho)*alpha_product")}

MC_LB = ("S_LB", "lower", "2*L*a*w_norm**(2 - 2/L)")


def diagonal_bounds(theorem: str, depth: Fraction) -> dict:
    """name -> (side, norm, expr) of the bounds ``theorem`` states at this depth; CheckFailure if none."""
    if theorem == "MS-D2":
        if depth != 2:
            raise CheckFailure("depth", "MS-D2 is the depth-2 theorem")
        return _MS_D2
    if theorem == "MS-D3":
        if not depth > 2:
            raise CheckFailure("depth", "MS-D3 needs depth D > 2")
        return _MS_D3
    if theorem == "kink":
        return _KINK_2 if depth == 2 else _KINK_D
    raise CheckFailure("theorem.name", f"unknown theorem {theorem[:40]!r}")  # pragma: no cover - schema


def parse_bound(text: str, field: str, symbols=DIAGONAL_SYMBOLS):
    try:
        return parse(text, symbols, LINK if symbols is DIAGONAL_SYMBOLS else None)
    except GrammarError as exc:
        raise CheckFailure(field, f"cannot parse the expression: {exc}") from None


def bind(name: str, side: str, norm: str | None, expr: str, table: dict, where: str):
    """The parsed formula of the bound ``name`` if the certificate's side, norm and expr equal the table's."""
    if name not in table:
        raise CheckFailure(where + ".name", f"{name[:60]!r} is not a bound of this theorem (known: {sorted(table)})")
    t_side, t_norm, t_expr = table[name]
    if side != t_side:
        raise CheckFailure(where + ".side", f"the bound {name!r} is a {t_side!r} bound, not {side!r}")
    if norm is not None and norm != t_norm:
        raise CheckFailure(where + ".norm", f"the bound {name!r} measures {t_norm}, not {norm}")
    tree = parse_bound(expr, where + ".expr", DIAGONAL_SYMBOLS if norm is not None else DEEP_SYMBOLS)
    want = parse_bound(t_expr, "(table)", DIAGONAL_SYMBOLS if norm is not None else DEEP_SYMBOLS)
    if tree != want:
        raise CheckFailure(where + ".expr", f"is not the formula of {name!r}: expected {t_expr}")
    return want
