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
* Q_{p,alpha}(x) = sum_i alpha^p q_p(x_i / alpha^p), the regularizer of Thm A (alpha per factor,
  product scale alpha^p), dQ/dx_i = h_p^{-1}(x_i / alpha^p)                                  [derived]
* G_p(x) = sum_i g_p(x_i); the p -> infinity limit on a face of constant l1 norm is the analytic
  centre functional G_inf(x) = -sum_{i in S} log|x_i|, because (p/2)(y^(2/p) - 1) -> log y    [derived]
* r_p(u) = q_p(u) - [|u| - (p/2)|u|^(2/p)] (p > 2), r_2(u) = q_2(u) - [|u| log|u| - |u|]: the
  Lemma B remainder in the scaled variable u = x / alpha^p (alpha^p r_p(x/alpha^p) is the remainder
  of Lemma B in x)                                                                            [derived]

Closed forms of q_p: only p = 2 is elementary (:func:`q_closed`). For p = 4, h_4(t) = 4t/(1-t^2)^2
and inverting means a quartic; for general real p, h_p^{-1} has no closed form, so q_p is given in
its Legendre (parametric) form :func:`q_parametric` and evaluated numerically in
:mod:`implicitreg.numerics.selection`.

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


def lemma_b_approximation(p, var=x, alpha_sym=None) -> sympy.Expr:
    """The approximation of alpha^p q_p(x/alpha^p) in Lemma B (alpha per factor).

    p = 2: |x| log(1/alpha^2) + g_2(x);   p > 2: |x| - (p/2) alpha^(p-2) |x|^(2/p).
    """
    from implicitreg.theory.statement import alpha as _alpha

    a = _alpha if alpha_sym is None else alpha_sym
    p = _depth(p)
    if p == 2:
        return sympy.Abs(var) * sympy.log(1 / a ** 2) + g(2, var)
    return sympy.Abs(var) - p / 2 * a ** (p - 2) * sympy.Abs(var) ** (2 / p)


def lemma_b_remainder(p, var=s) -> sympy.Expr:
    """r_2(u) = q_2(u) - (|u| log|u| - |u|) in closed form (p = 2 only; p > 2: :func:`lemma_b_remainder_parametric`)."""
    p = _depth(p)
    if p != 2:
        raise ValueError("r_p has a closed form only for p = 2; use lemma_b_remainder_parametric")
    a = sympy.Abs(var)
    return q_closed(var) - (a * sympy.log(a) - a)


def lemma_b_remainder_parametric(p, var=t) -> tuple[sympy.Expr, sympy.Expr]:
    """(u(t), r_p(u(t))) for p > 2 and t in [0, 1): u = h_p(t), r_p = t u - H_p(t) - u + (p/2) u^(2/p)."""
    p = _depth(p)
    if p == 2:
        raise ValueError("use lemma_b_remainder for p = 2")
    u, q = q_parametric(p, var)
    return u, q - u + p / 2 * u ** (2 / p)


def Q(p, xs, alpha_sym=None) -> sympy.Expr:
    """Q_{p,alpha}(x) = sum_i alpha^p q_p(x_i / alpha^p) for p = 2 (closed form).

    For p > 2, q_p is not elementary: the regularizer is evaluated numerically
    (:func:`implicitreg.numerics.selection.regularizer`), its gradient being h_p^{-1}(x_i/alpha^p).
    """
    from implicitreg.theory.statement import alpha as _alpha

    a = _alpha if alpha_sym is None else alpha_sym
    p = _depth(p)
    if p != 2:
        raise ValueError("Q_{p,alpha} is elementary only for p = 2; evaluate it numerically for p > 2")
    return sum(a ** 2 * q_closed(xi / a ** 2) for xi in xs)


def G(p, xs) -> sympy.Expr:
    """G_p(x) = sum_i g_p(x_i); ``p = sympy.oo`` gives the analytic centre functional -sum log|x_i|."""
    if p in (sympy.oo, float("inf"), "inf"):
        return sum(g_infinity(xi) for xi in xs)
    return sum(g(p, xi) for xi in xs)


def g_infinity(var=x) -> sympy.Expr:
    """-log|x|: the tie-break functional as p -> infinity (on S; the analytic centre)  [derived].

    On a face of X_BP, sum |x_i| is constant, so g_p ~ -(p/2)|x|^(2/p) up to the constant; and
    (p/2)(|x|^(2/p) - 1) -> log|x| as p -> infinity (checked in ``proofs/derivations/selection.py``).
    """
    return -sympy.log(sympy.Abs(var))
