"""The potentials of depth-p diagonal networks, as SymPy expressions.

Notation of ``wah.md`` §2 (real depth p >= 2; in ``dln.md`` the same functions appear with D = p):

* h_p (link of the trajectory, x = alpha_prod * h_p(A^T nu)):
  h_2(s) = 2 sinh s;  h_p(s) = (1 - s)^(-p/(p-2)) - (1 + s)^(-p/(p-2)) on (-1, 1)         [derived]
* H_p, the antiderivative with H_p(0) = 0 (the dual potential):
  H_2(s) = 2 cosh s - 2;  H_p(s) = ((p-2)/2) [(1-s)^(-2/(p-2)) + (1+s)^(-2/(p-2)) - 2]      [derived]
* q_p, the primal potential q_p(s) = integral_0^s h_p^{-1} = s t - H_p(t), t = h_p^{-1}(s)   [derived]
  q_2(s) = s arcsinh(s/2) - sqrt(s^2 + 4) + 2 (hyperbolic entropy)
* g_p, the tie-break functional                                                         [authors' code]
  g_2(x) = |x| log|x| - |x|;  g_p(x) = |x| - (p/2) |x|^(2/p)
* C_p, the constant of Lemma B: C_2 = 2, C_p = ((p-2)/2) (2 - 2^(-2/(p-2)))                  [derived]

Identities checked in ``tests/test_potentials.py``: H_p' = h_p, q_p' = h_p^{-1}, q_p(h_p(t)) = t h_p(t) - H_p(t).
"""
from __future__ import annotations

import sympy

s = sympy.Symbol("s", real=True)
t = sympy.Symbol("t", real=True)
x = sympy.Symbol("x", real=True)


def _depth(p) -> sympy.Expr:
    p = sympy.nsimplify(p)
    if p.is_number and p < 2:
        raise ValueError(f"depth must be >= 2, got {p}")
    return p


def h(p, var=s) -> sympy.Expr:
    """h_p(var): 2 sinh for p = 2, (1-s)^(-p/(p-2)) - (1+s)^(-p/(p-2)) for p > 2."""
    p = _depth(p)
    if p == 2:
        return 2 * sympy.sinh(var)
    e = -p / (p - 2)
    return (1 - var) ** e - (1 + var) ** e


def H(p, var=s) -> sympy.Expr:
    """H_p(var) with H_p' = h_p and H_p(0) = 0."""
    p = _depth(p)
    if p == 2:
        return 2 * sympy.cosh(var) - 2
    e = -2 / (p - 2)
    return (p - 2) / 2 * ((1 - var) ** e + (1 + var) ** e - 2)


def q_closed(var=s) -> sympy.Expr:
    """q_2 in closed form (hyperbolic entropy); for p > 2 use :func:`q_parametric`."""
    return var * sympy.asinh(var / 2) - sympy.sqrt(var ** 2 + 4) + 2


def q_parametric(p, var=t) -> tuple[sympy.Expr, sympy.Expr]:
    """(s(t), q_p(s(t))) = (h_p(t), t h_p(t) - H_p(t)): the Legendre form of q_p, parameterized by t."""
    return h(p, var), var * h(p, var) - H(p, var)


def g(p, var=x) -> sympy.Expr:
    """The tie-break functional g_p (authors' code): |x| log|x| - |x| (p = 2), |x| - (p/2)|x|^(2/p) (p > 2)."""
    p = _depth(p)
    a = sympy.Abs(var)
    if p == 2:
        return a * sympy.log(a) - a
    return a - p / 2 * a ** (2 / p)


def lemma_b_constant(p) -> sympy.Expr:
    """C_p of Lemma B: 2 for p = 2, ((p-2)/2)(2 - 2^(-2/(p-2))) for p > 2."""
    p = _depth(p)
    if p == 2:
        return sympy.Integer(2)
    return (p - 2) / 2 * (2 - 2 ** (-2 / (p - 2)))
