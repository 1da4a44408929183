"""Radau IIA tableaus at a given precision (Hairer & Wanner, Solving ODEs II, IV.5, IV.8), cached per (s, precision).

Nodes c: the roots of P*_s - P*_{s-1} (shifted Legendre, integer coefficients; python-flint ``complex_roots``),
c_s = 1; A: a_ij = int_0^{c_i} l_j (an ``arb_mat`` solve); the embedded estimate's (gamma0, e) and the monomial form
V^-1 of the collocation polynomial. All in ball arithmetic 128 bits above the working precision, then rounded.
"""
from __future__ import annotations

import contextlib
import functools
import math

import flint
import mpmath

from implicitreg.numerics.precision import arb_to_mpf


@contextlib.contextmanager
def _flint_bits(bits: int):
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


def _mid_mpf(v, prec):
    with mpmath.workprec(prec):
        return arb_to_mpf(v)


@functools.lru_cache(maxsize=32)
def _radau_tableau_arb(s: int, prec: int):
    """(c, A) as arb at prec + 128 bits: python-flint roots of the integer polynomial and an arb_mat solve."""
    with _flint_bits(prec + 128):
        def shifted_legendre(n):  # coefficients, ascending powers of x
            return [(-1) ** (n + k) * math.comb(n, k) * math.comb(n + k, k) for k in range(n + 1)]
        p, q = shifted_legendre(s), shifted_legendre(s - 1) + [0]
        roots = flint.fmpz_poly([a - b for a, b in zip(p, q)]).complex_roots()
        c = sorted((r.real for r, _ in roots), key=float)
        c[-1] = flint.arb(1)
        V = flint.arb_mat(s, s, [c[j] ** k for j in range(s) for k in range(s)])
        W = flint.arb_mat(s, s, [c[i] ** (k + 1) / (k + 1) for i in range(s) for k in range(s)])
        A = V.transpose().solve(W.transpose()).transpose()  # A V = W
        return c, A


@functools.lru_cache(maxsize=32)
def _radau_tableau(s: int, prec: int):
    c, A = _radau_tableau_arb(s, prec)
    return tuple(_mid_mpf(v, prec) for v in c), tuple(tuple(_mid_mpf(A[i, j], prec) for j in range(s))
                                                      for i in range(s))


def _embedded_coefficients(c, A):
    """(gamma0, e) of the embedded estimate y_hat - y_1 = gamma0 h f0 + sum_j e_j Z_j (Hairer & Wanner IV.8).

    gamma0: the real eigenvalue of A (s odd), i.e. 1/gamma with gamma the real eigenvalue of A^-1, so that the
    filter I - h gamma0 J is the matrix of the real block of the transformed Newton system (as in Hairer's RADAU5,
    whose DD1..DD3 are gamma e_j for s = 3). b_hat with nodes (0, c_1..c_s), b_hat_0 = gamma0, of order s:
    sum_j b_hat_j c_j^(k-1) = 1/k - gamma0 [k = 1], k = 1..s; e = A^-T (b_hat - b), b = last row of A.
    """
    gamma0, e = _embedded_tableau(len(c), mpmath.mp.prec)
    return gamma0, list(e)


@functools.lru_cache(maxsize=32)
def _embedded_tableau(s: int, prec: int):
    c, A = _radau_tableau_arb(s, prec)
    with _flint_bits(prec + 128):
        gamma0 = min(A.eig(), key=lambda v: abs(v.imag.mid())).real  # the real eigenvalue (s odd)
        V = flint.arb_mat(s, s, [c[j] ** k for k in range(s) for j in range(s)])
        rhs = flint.arb_mat(s, 1, [flint.arb(1) / (k + 1) - (gamma0 if k == 0 else 0) for k in range(s)])
        b_hat = V.solve(rhs)
        diff = flint.arb_mat(s, 1, [b_hat[j, 0] - A[s - 1, j] for j in range(s)])
        e = A.transpose().solve(diff)
        return _mid_mpf(gamma0, prec), tuple(_mid_mpf(e[j, 0], prec) for j in range(s))


@functools.lru_cache(maxsize=32)
def _monomial_tableau(s: int, prec: int):
    """V^-1 with V_jp = c_j^p (j, p = 1..s): the collocation polynomial P(tau) = sum_p tau^p (V^-1 Z)_p."""
    c, _ = _radau_tableau_arb(s, prec)
    with _flint_bits(prec + 128):
        Vinv = flint.arb_mat(s, s, [c[j] ** p for j in range(s) for p in range(1, s + 1)]).inv()
        return tuple(_mid_mpf(Vinv[i, j], prec) for i in range(s) for j in range(s))


def _radau_coefficients(stages: int):
    """Nodes c (zeros of P*_s - P*_{s-1}, shifted Legendre; c_s = 1) and A (a_ij = int_0^{c_i} l_j) of Radau IIA."""
    c, A = _radau_tableau(stages, mpmath.mp.prec)
    return list(c), [list(row) for row in A]
