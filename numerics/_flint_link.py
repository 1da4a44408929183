"""The link phi_D, its derivative and the dual potential H_D in python-flint ball arithmetic (``arb``).

The same functions as :mod:`implicitreg.numerics.potentials` (mpmath) and :mod:`implicitreg.theory.potentials`
(SymPy), for the solvers whose linear algebra runs in flint (the dual Newton solve of
:mod:`implicitreg.numerics.dual_limit` and the reduced flow of :mod:`implicitreg.numerics.flow`):

* phi_2(z) = 2 sinh z;  phi_D(z) = (1 - z)^(-e) - (1 + z)^(-e) = (1 + z)^(-e) expm1(2 e atanh z), e = D/(D-2)
  (the second form has no cancellation at small z);
* phi_D'(z) = 2 cosh z;  e [(1 - z)^(-e-1) + (1 + z)^(-e-1)];
* H_2(z) = 4 sinh(z/2)^2;  H_D(z) = ((D-2)/2) [(1 - z)^(-k) + (1 + z)^(-k) - 2], k = 2/(D-2).

Every function evaluates at flint's current precision (:func:`implicitreg.numerics.precision.flint_precision`) and
returns the ball; callers that iterate on midpoints take ``.mid()``.

Examples: the three functions agree with the mpmath forms, and H_D' = phi_D (a central difference in balls).

>>> from fractions import Fraction
>>> import flint, mpmath
>>> from implicitreg.numerics import potentials as P
>>> from implicitreg.numerics._flint_link import FlintLink
>>> from implicitreg.numerics.precision import flint_precision, arb_to_mpf
>>> with flint_precision(40), mpmath.workdps(40):
...     for D in (2, Fraction(5, 2), 3):
...         L, z = FlintLink(D), flint.arb("0.3")
...         print(D, [mpmath.almosteq(arb_to_mpf(f(z)), g(D, mpmath.mpf("0.3")), 1e-35)
...                   for f, g in ((L.phi, P.link), (L.dphi, P.link_derivative), (L.H, P.dual_potential))])
2 [True, True, True]
5/2 [True, True, True]
3 [True, True, True]
>>> with flint_precision(40):
...     L = FlintLink(3)
...     print(abs(L.H_sum([flint.arb("0.3"), flint.arb("-0.5")]) - L.H(flint.arb("0.3")) - L.H(flint.arb("-0.5")))
...           < flint.arb(10) ** -35)
True
>>> with flint_precision(60):
...     L, z, d = FlintLink(4), flint.arb("0.3"), flint.arb(10) ** -15
...     print(abs((L.H(z + d) - L.H(z - d)) / (2 * d) - L.phi(z)) < flint.arb(10) ** -25)
True
"""
from __future__ import annotations

from fractions import Fraction

import flint

__all__ = ["FlintLink"]


def _arb(q: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


class FlintLink:
    """phi_D, phi_D' and H_D of one depth D >= 2 (exact: a Fraction or int) on arb balls."""

    def __init__(self, D):
        D = Fraction(D)
        self.D = D
        self.two = D == 2
        if not self.two:
            self.e = _arb(D / (D - 2))
            self.k = _arb(Fraction(2) / (D - 2))
            self.hk = _arb((D - 2) / 2)

    def phi(self, z: flint.arb) -> flint.arb:
        """phi_D(z) (|z| < 1 for D > 2)."""
        if self.two:
            return 2 * z.sinh()
        return (1 + z) ** (-self.e) * (2 * self.e * z.atanh()).expm1()

    def dphi(self, z: flint.arb) -> flint.arb:
        """phi_D'(z)."""
        if self.two:
            return 2 * z.cosh()
        e1 = self.e + 1
        return self.e * ((1 - z) ** (-e1) + (1 + z) ** (-e1))

    def H(self, z: flint.arb) -> flint.arb:
        """H_D(z), the dual potential with H_D' = phi_D and H_D(0) = 0."""
        return self.H_sum([z])

    def H_sum(self, zs) -> flint.arb:
        """sum_i H_D(z_i) (the dual objective's potential term; the factor (D-2)/2 applied once to the sum)."""
        if self.two:
            return sum(((v / 2).sinh() ** 2 * 4 for v in zs), flint.arb(0))
        k = self.k
        return self.hk * sum(((1 - v) ** (-k) + (1 + v) ** (-k) - 2 for v in zs), flint.arb(0))
