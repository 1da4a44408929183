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

This module is the only symbolic definition of these functions (:func:`implicitreg.theory.diagonal.h_D` and ``H_D``
are aliases); the mpmath forms are in :mod:`implicitreg.numerics.potentials`, the ball-arithmetic (python-flint) forms
in :mod:`implicitreg.numerics._flint_link`. The identities H_p' = h_p, h_2 = 2 sinh, q_p' = h_p^{-1} and
q_p(h_p(t)) = t h_p(t) - H_p(t) are checked in the docstrings below (run by ``tests/test_doctests.py``) and, over many
depths, in ``tests/test_potentials.py``.
"""
from __future__ import annotations

import sympy

s = sympy.Symbol("s", real=True)
t = sympy.Symbol("t", real=True)
x = sympy.Symbol("x", real=True)


def _depth(p) -> sympy.Expr:
    """The depth as an exact SymPy number (``3`` -> 3, ``2.5`` -> 5/2) or a symbol; p < 2 is refused."""
    p = sympy.nsimplify(p)
    if p.is_number and p < 2:
        raise ValueError(f"depth must be >= 2, got {p}")
    return p


def h(p, var=s) -> sympy.Expr:
    """h_p(var): 2 sinh for p = 2, (1-s)^(-p/(p-2)) - (1+s)^(-p/(p-2)) for p > 2  [derived, wah.md §2].

    The depth is made exact first, so an integer depth gives integer exponents and p = 2 the sinh branch.

    Examples

    >>> import sympy
    >>> from implicitreg.theory.potentials import h, H, s
    >>> h(2)
    2*sinh(s)
    >>> h(3)
    -1/(s + 1)**3 + (1 - s)**(-3)
    >>> h(2.5) == h(sympy.Rational(5, 2))
    True
    >>> h(4).subs(s, sympy.Rational(1, 2))  # (1/2)^-2 - (3/2)^-2 = 4 - 4/9
    32/9

    The link is odd: h_p(-s) = -h_p(s).

    >>> sympy.simplify(h(3, -s) + h(3, s))
    0
    """
    p = _depth(p)
    if p == 2:
        return 2 * sympy.sinh(var)
    k = p / (p - 2)  # -(p/(p-2)), not -p/(p-2): for a symbolic depth 2 + d SymPy keeps (1 - s)^(-(d+2)/d)
    return (1 - var) ** (-k) - (1 + var) ** (-k)


def H(p, var=s) -> sympy.Expr:
    """H_p(var) with H_p' = h_p and H_p(0) = 0: 2 cosh - 2 for p = 2, ((p-2)/2)[(1-s)^(-2/(p-2)) + (1+s)^(-2/(p-2)) - 2].

    Examples: the derivative is the link, and the potential vanishes at 0.

    >>> import sympy
    >>> from implicitreg.theory.potentials import h, H, s
    >>> [sympy.simplify(sympy.diff(H(p), s) - h(p)) for p in (2, 3, 4, sympy.Rational(5, 2))]
    [0, 0, 0, 0]
    >>> [H(p).subs(s, 0) for p in (2, 3, 6)]
    [0, 0, 0]
    >>> H(3)
    -1 + 1/(2*(s + 1)**2) + 1/(2*(1 - s)**2)
    """
    p = _depth(p)
    if p == 2:
        return 2 * sympy.cosh(var) - 2
    e = -2 / (p - 2)
    return (p - 2) / 2 * ((1 - var) ** e + (1 + var) ** e - 2)


def q_closed(var=s) -> sympy.Expr:
    """q_2 in closed form (hyperbolic entropy); for p > 2 use :func:`q_parametric`.

    Examples: q_2' = h_2^{-1} = asinh(s/2), and q_2(h_2(t)) = t h_2(t) - H_2(t).

    >>> import sympy
    >>> from implicitreg.theory.potentials import h, H, q_closed, s, t
    >>> sympy.simplify(sympy.diff(q_closed(), s) - sympy.asinh(s / 2))
    0
    >>> tp = sympy.Symbol("tp", positive=True)
    >>> q = q_closed(h(2, tp)).subs(sympy.asinh(sympy.sinh(tp)), tp)  # asinh(sinh t) = t for real t
    >>> sympy.simplify(q - (tp * h(2, tp) - H(2, tp)))
    0
    """
    return var * sympy.asinh(var / 2) - sympy.sqrt(var ** 2 + 4) + 2


def q_parametric(p, var=t) -> tuple[sympy.Expr, sympy.Expr]:
    """(s(t), q_p(s(t))) = (h_p(t), t h_p(t) - H_p(t)): the Legendre form of q_p, parameterized by t.

    Examples: along the curve dq/ds = t, i.e. q_p' = h_p^{-1} (the Legendre identity), for integer and real p.

    >>> import sympy
    >>> from implicitreg.theory.potentials import q_parametric, t
    >>> [sympy.simplify(sympy.diff(q_parametric(p)[1], t) - t * sympy.diff(q_parametric(p)[0], t))
    ...  for p in (2, 3, sympy.Rational(5, 2))]
    [0, 0, 0]
    """
    return h(p, var), var * h(p, var) - H(p, var)


def g(p, var=x) -> sympy.Expr:
    """The tie-break functional g_p (authors' code): |x| log|x| - |x| (p = 2), |x| - (p/2)|x|^(2/p) (p > 2).

    Examples

    >>> import sympy
    >>> from implicitreg.theory.potentials import g, x
    >>> g(2)
    log(Abs(x))*Abs(x) - Abs(x)
    >>> g(4)
    -2*sqrt(Abs(x)) + Abs(x)

    As p -> infinity, |x| - g_p(x) - p/2 = (p/2)(|x|^(2/p) - 1) -> log|x|: the analytic centre (:func:`g_infinity`).

    >>> y = sympy.Symbol("y", positive=True)
    >>> p = sympy.Symbol("p", positive=True)
    >>> sympy.limit(y - g(p, y) - p / 2, p, sympy.oo)
    log(y)
    """
    p = _depth(p)
    a = sympy.Abs(var)
    if p == 2:
        return a * sympy.log(a) - a
    return a - p / 2 * a ** (2 / p)


def lemma_b_constant(p) -> sympy.Expr:
    """C_p of Lemma B: 2 for p = 2, ((p-2)/2)(2 - 2^(-2/(p-2))) for p > 2.

    Examples

    >>> from implicitreg.theory.potentials import lemma_b_constant
    >>> [lemma_b_constant(p) for p in (2, 3, 4)]
    [2, 7/8, 3/2]
    """
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
