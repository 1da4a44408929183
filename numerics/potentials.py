"""Link functions and dual potentials of depth-D diagonal networks, in mpmath.

The gradient flow of x = u^D - v^D started at u(0)^D = v(0)^D = alpha_prod stays on the curve
x(t) = alpha_prod * phi_D(A^T nu(t)) (``dln.md`` §2, ``wah.md`` §2; [standard] for D = 2, [derived] for real D > 2):

* phi_2(z) = 2 sinh z;   phi_D(z) = h_D(z) = (1 - z)^(-D/(D-2)) - (1 + z)^(-D/(D-2)) on |z| < 1   (the *link*)
* H_D with H_D' = phi_D and H_D(0) = 0 (the *dual potential*):
  H_2(z) = 2 cosh z - 2 = 4 sinh(z/2)^2;  H_D(z) = ((D-2)/2) [(1-z)^(-2/(D-2)) + (1+z)^(-2/(D-2)) - 2]
* the rate of the reduced flow nu' = -c_D (A x(nu) - y): c_2 = 4, c_D = D (D-2) alpha_prod^((D-2)/D).

This is the only mpmath definition of these functions; the SymPy forms live in :mod:`implicitreg.theory.potentials`,
the ball-arithmetic ones in :mod:`implicitreg.numerics._flint_link`; the docstring examples below (run by
``tests/test_doctests.py``) and ``tests/test_potentials_numeric.py`` check that they agree. Everything here evaluates at the current mpmath precision (``with mpmath.workdps(n):``).

Parameters are validated here once for the whole engine: :func:`depth_value` (real D >= 2, exact), and
:func:`positive_value` (alpha > 0, finite, exact); :func:`product_scale` converts a per-factor alpha
(``alpha_convention="factor"``, u(0) = alpha, ``wah.md``) to the product scale alpha_prod = alpha^D used by ``dln.md``.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
from mpmath import mpf

from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.numerics.precision import mpf_from

ALPHA_CONVENTIONS = ("product", "factor")


class DomainError(InvalidParameterError):
    """The argument of a link function for D > 2 is outside the open interval (-1, 1)."""


def _exact(value, name: str) -> Fraction:
    """An exact rational from int, Fraction, decimal/rational string, finite float or finite mpf."""
    from implicitreg.numerics.exact import parse_exact

    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            raise InvalidParameterError(f"{name} must be a finite number, got {value}")
        man, exp = value.man_exp
        return Fraction(int(man)) * Fraction(2) ** int(exp) if man else Fraction(0)
    try:
        return parse_exact(value, name)
    except InvalidInstanceError as exc:
        raise InvalidParameterError(str(exc)) from None


def depth_value(depth) -> Fraction:
    """The depth D as an exact Fraction; accepts int, Fraction, ``"5/2"``, ``"2.5"``, finite float or mpf.

    Raises :class:`InvalidParameterError` for D < 2, NaN, infinities and non-numbers.
    """
    D = _exact(depth, "depth")
    if D < 2:
        from implicitreg.numerics.exact import short_text

        raise InvalidParameterError(f"depth must be a real number >= 2, got {short_text(depth)}")
    return D


def layers_value(depth) -> int:
    """The number of layers L of a deep linear network: an integer >= 2, given as an int, a numpy integer, an integral
    Fraction, mpf or finite float, or a decimal/rational string read exactly (``"3"``, ``"6/2"``; a bool is refused).

    Raises :class:`InvalidParameterError` otherwise (``2.5``, ``"5/2"``, 1, NaN, None). Upper limits on untrusted
    input (the API's ``MAX_LAYERS``) are the caller's.
    """
    shown = f"a string of {len(depth)} characters" if isinstance(depth, (str, bytes)) and len(depth) > 40 \
        else repr(depth)
    message = f"depth must be an integer >= 2 (the layers L of a deep linear network), got {shown}"
    if isinstance(depth, (str, bytes)) and len(depth) > 40:
        raise InvalidParameterError(message)
    try:
        L = _exact(depth, "depth")
    except InvalidParameterError:
        raise InvalidParameterError(message) from None
    if L.denominator != 1 or L < 2:
        raise InvalidParameterError(message)
    return int(L)


def positive_value(value, name: str = "alpha") -> Fraction:
    """A finite, strictly positive parameter as an exact Fraction (``"1e-30"`` is exactly 10^-30)."""
    q = _exact(value, name)
    if q <= 0:
        raise InvalidParameterError(f"{name} must be > 0, got {value}")
    return q


def digits_value(digits) -> int:
    """A number of digits to compute or certify: an int >= 1 (a bool, a float or a numpy integer is refused)."""
    if type(digits) is not int or digits < 1:
        raise InvalidParameterError(f"digits must be a positive integer, got {digits!r}")
    return digits


def alpha_convention_value(alpha_convention: str) -> str:
    if alpha_convention not in ALPHA_CONVENTIONS:
        raise InvalidParameterError(
            f"alpha_convention must be 'product' or 'factor', got {alpha_convention!r}")
    return alpha_convention


def _exponent(D) -> mpf:
    """e_D = D/(D-2), the exponent of the link for D > 2."""
    D = _exact(D, "depth") if not isinstance(D, Fraction) else D
    return mpf_from(D / (D - 2))


def _depth(D) -> Fraction:
    return D if isinstance(D, Fraction) and D >= 2 else depth_value(D)


def _is_two(D) -> bool:
    return D == 2


def _check_domain(z) -> None:
    if not abs(z) < 1:
        raise DomainError(f"the link of depth D > 2 needs |z| < 1, got z = {mpmath.nstr(z, 10)}")


def link(D, z) -> mpf:
    """phi_D(z): 2 sinh z for D = 2; h_D(z) = (1-z)^(-D/(D-2)) - (1+z)^(-D/(D-2)) for D > 2 (|z| < 1).

    Examples: h_2 = 2 sinh, h_3(1/2) = 8 - 8/27 exactly, and the SymPy form of :mod:`implicitreg.theory.potentials`
    at a real depth.

    >>> import mpmath, sympy
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import link
    >>> mpmath.mp.dps = 30
    >>> link(2, mpf("0.7")) == 2 * mpmath.sinh(mpf("0.7"))
    True
    >>> mpmath.almosteq(link(3, mpf(1) / 2), mpf(8) - mpf(8) / 27, 1e-28)
    True
    >>> from implicitreg.theory.potentials import h, s
    >>> exact = sympy.N(h("5/2").subs(s, sympy.Rational(-3, 10)), 40)
    >>> mpmath.almosteq(link("5/2", mpf("-0.3")), mpf(str(exact)), 1e-28)
    True
    >>> mpmath.mp.dps = 15
    """
    z, D = mpf(z), _depth(D)
    if _is_two(D):
        return 2 * mpmath.sinh(z)
    _check_domain(z)
    e = _exponent(D)
    # = (1-z)^(-e) - (1+z)^(-e), written without cancellation at small z
    return (1 + z) ** (-e) * mpmath.expm1(2 * e * mpmath.atanh(z))


def link_derivative(D, z) -> mpf:
    """phi_D'(z): 2 cosh z for D = 2; e [(1-z)^(-e-1) + (1+z)^(-e-1)], e = D/(D-2), for D > 2."""
    z, D = mpf(z), _depth(D)
    if _is_two(D):
        return 2 * mpmath.cosh(z)
    _check_domain(z)
    e = _exponent(D)
    return e * ((1 - z) ** (-e - 1) + (1 + z) ** (-e - 1))


def dual_potential(D, z) -> mpf:
    """H_D(z) with H_D' = phi_D, H_D(0) = 0: 4 sinh(z/2)^2 for D = 2, ((D-2)/2)[(1-z)^(-k) + (1+z)^(-k) - 2], k = 2/(D-2).

    Examples: H_D' = phi_D (mpmath's numerical derivative), H_2 = 2 cosh - 2.

    >>> import mpmath
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import dual_potential, link
    >>> with mpmath.workdps(30):
    ...     [mpmath.almosteq(mpmath.diff(lambda z: dual_potential(D, z), mpf("0.4")), link(D, mpf("0.4")), 1e-25)
    ...      for D in (2, "5/2", 3, 6)]
    [True, True, True, True]
    >>> with mpmath.workdps(30):
    ...     mpmath.almosteq(dual_potential(2, mpf(3)), 2 * mpmath.cosh(3) - 2, 1e-28)
    True
    """
    z, D = mpf(z), _depth(D)
    if _is_two(D):
        return 4 * mpmath.sinh(z / 2) ** 2
    _check_domain(z)
    Dq = D if isinstance(D, Fraction) else _exact(D, "depth")
    k = mpf_from(Fraction(2) / (Dq - 2))
    # (1-z)^(-k) + (1+z)^(-k) - 2 = 2 [(1-z^2)^(-k/2) cosh(k u) - 1], u = atanh z, written as a sum of two
    # nonnegative O(z^2) terms: the direct form cancels to an absolute error of an ulp, a relative error of ulp/z^2
    # (log(1 - z^2) from z^2 for small z, from 1 - z and 1 + z near the poles, where both are exact)
    u = mpmath.atanh(z)
    log_1mz2 = mpmath.log1p(-z * z) if abs(z) < 0.5 else mpmath.log1p(-z) + mpmath.log1p(z)
    return mpf_from(Dq - 2) * (mpmath.expm1(-k / 2 * log_1mz2) * mpmath.cosh(k * u) + 2 * mpmath.sinh(k * u / 2) ** 2)


def link_near_pole(D, w) -> mpf:
    """h_D(1 - w) = w^(-e) - (2 - w)^(-e), e = D/(D-2), for D > 2 and 0 < w < 2: the link at distance w from its
    pole z = 1, with w carried at full relative precision (forming z = 1 - w first would round it away).

    >>> import mpmath
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import link, link_near_pole, link_near_pole_derivative
    >>> with mpmath.workdps(30):
    ...     print(mpmath.almosteq(link_near_pole(3, mpf("0.25")), link(3, mpf("0.75")), 1e-28),
    ...           mpmath.almosteq(link_near_pole_derivative(3, mpf("0.25")),
    ...                           mpmath.diff(lambda w: link_near_pole(3, w), mpf("0.25")), 1e-25))
    True True
    """
    e = _exponent(_depth(D))
    return w ** (-e) - (2 - w) ** (-e)


def link_near_pole_derivative(D, w) -> mpf:
    """d/dw h_D(1 - w) = -e [w^(-e-1) + (2 - w)^(-e-1)] (D > 2)."""
    e = _exponent(_depth(D))
    return -e * (w ** (-e - 1) + (2 - w) ** (-e - 1))


def dual_potential_near_pole(D, w) -> mpf:
    """H_D(1 - w) = ((D-2)/2) [w^(-k) + (2 - w)^(-k) - 2], k = 2/(D-2), for D > 2 and 0 < w <= 1/2: the dual potential
    at distance w from its pole z = 1, with w carried at full relative precision (``dual_potential(D, 1 - w)`` would
    round w away first, and fail once 1 - w rounds to 1). Written as expm1(-k log w) + expm1(-k log(2 - w)), a
    positive term and a smaller negative one (no cancellation for w <= 1/2; near w = 1 use :func:`dual_potential`).

    >>> import mpmath
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import dual_potential, dual_potential_near_pole
    >>> with mpmath.workdps(30):
    ...     mpmath.almosteq(dual_potential_near_pole(3, mpf("0.25")), dual_potential(3, mpf("0.75")), 1e-28)
    True
    """
    Dq = _depth(D)
    k = mpf_from(Fraction(2) / (Dq - 2))
    w = mpf(w)
    return mpf_from(Dq - 2) / 2 * (mpmath.expm1(-k * mpmath.log(w)) + mpmath.expm1(-k * mpmath.log(2 - w)))


def link_inverse(D, s) -> mpf:
    """phi_D^{-1}(s): asinh(s/2) for D = 2; for D > 2 the unique z in (-1, 1) with h_D(z) = s.

    h_D is odd, increasing and convex on [0, 1) with no elementary inverse for general D. Small s (z <= 1/2) are
    solved on z itself, so that tiny z keep their relative precision; larger s on w = 1 - z by
    :func:`link_inverse_pole_distance`, and z = 1 - w is returned rounded to the working precision. So z is right
    to full relative precision as a number, but near the pole the distance 1 - z formed from it keeps only about
    dps + log10(1 - z) digits (none once 1 - z < 10^-dps, where z rounds to 1): a caller that needs 1 - z (or
    anything singular at the pole, such as H_D) uses :func:`link_inverse_pole_distance`.

    Examples: phi_D(phi_D^{-1}(s)) = s at tiny s and near the pole (where 1 - z ~ s^(-1/e) costs digits), and the Legendre identity
    q_D(phi_D(t)) = t phi_D(t) - H_D(t) with q_D' = phi_D^{-1} (q_D by quadrature of the inverse).

    >>> import mpmath
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import dual_potential, link, link_inverse
    >>> with mpmath.workdps(40):
    ...     [mpmath.almosteq(link(3, link_inverse(3, v)), v, 1e-30) for v in (mpf("1e-30"), mpf(2), mpf("1e20"))]
    [True, True, True]
    >>> with mpmath.workdps(30):
    ...     t = mpf("0.6")
    ...     q = mpmath.quad(lambda v: link_inverse(3, v), [0, link(3, t)])
    ...     mpmath.almosteq(q, t * link(3, t) - dual_potential(3, t), 1e-25)
    True
    """
    s, D = mpf(s), _depth(D)
    if _is_two(D):
        return mpmath.asinh(s / 2)
    if s == 0:
        return mpf(0)
    if s < 0:
        return -link_inverse(D, -s)
    if s <= link(D, mpf(1) / 2):
        e = _exponent(D)
        eps = mpf(2) ** (-mpmath.mp.prec + 4)
        return _bracketed_newton(lambda z: link(D, z) - s, lambda z: link_derivative(D, z),
                                 mpf(0), mpf(1) / 2, s / (2 * e), eps)
    return 1 - _pole_distance(D, s)


def link_inverse_pole_distance(D, s) -> mpf:
    """w = 1 - phi_D^{-1}(s) for D > 2, at full relative precision: the distance of the inverse link from its pole
    z = 1, solved on w itself (forming z first would round w away: at w = 1e-30 and 30 digits, 1 - z has about one
    digit). w is in (0, 2): w < 1/2 exactly when s > h_D(1/2).

    >>> import mpmath
    >>> from mpmath import mpf
    >>> from implicitreg.numerics.potentials import link_inverse_pole_distance, link_near_pole
    >>> with mpmath.workdps(30):
    ...     w = link_inverse_pole_distance(3, link_near_pole(3, mpf("1e-40")))
    ...     mpmath.almosteq(w, mpf("1e-40"), 1e-27)
    True
    """
    s, D = mpf(s), _depth(D)
    if _is_two(D):
        raise InvalidParameterError("the link of depth 2 (2 sinh z) has no pole: link_inverse_pole_distance "
                                    "needs D > 2")
    if s <= link(D, mpf(1) / 2):
        return 1 - link_inverse(D, s)  # z <= 1/2: w = 1 - z >= 1/2 loses nothing
    return _pole_distance(D, s)


def _pole_distance(D, s) -> mpf:
    """The root w in (0, 1/2) of h_D(1 - w) = s for s > h_D(1/2) (D > 2): Newton from the right of the root,
    safeguarded by bisection."""
    e = _exponent(D)
    eps = mpf(2) ** (-mpmath.mp.prec + 4)

    # g(w) = h_D(1 - w) - s, decreasing in w on (0, 1]; root w* with g(w*) = 0.
    def g(w):
        return link_near_pole(D, w) - s
    lo, hi = mpf(0), mpf(1)  # g(lo+) = +inf > 0, g(1) = -s < 0
    w = max(eps, min(mpf(1) - s / (2 * e) / (1 + s), s ** (-1 / e)))  # small s: z ~ s/(2e); large s: w^(-e) ~ s
    for _ in range(10 * mpmath.mp.prec):
        gw = g(w)
        if gw > 0:
            lo = w
        else:
            hi = w
        if gw == 0 or hi - lo <= eps * hi:
            break
        dg = link_near_pole_derivative(D, w)
        step = w - gw / dg
        # a converged Newton step rounds to w, an end of the bracket: accepted (stops below), not bisected away
        if not (lo < step < hi) and step != w:
            step = (lo + hi) / 2
        if abs(step - w) <= eps * w:
            w = step
            break
        w = step
    return w


def _bracketed_newton(g, dg, lo, hi, x, eps):
    """Root of the increasing function g on [lo, hi]: Newton steps, bisection when a step leaves the bracket."""
    x = min(max(x, lo), hi)
    for _ in range(10 * mpmath.mp.prec):
        gx = g(x)
        if gx == 0:
            return x
        if gx > 0:
            hi = x
        else:
            lo = x
        step = x - gx / dg(x)
        if not (lo < step < hi):
            step = (lo + hi) / 2
        if abs(step - x) <= eps * abs(x) or hi - lo <= eps * abs(hi):
            return step
        x = step
    return x


def flow_rate(D, alpha_product) -> mpf:
    """c_D of the reduced flow nu' = -c_D (A x - y): 4 for D = 2, D (D-2) alpha_prod^((D-2)/D) for D > 2."""
    D = _depth(D)
    if _is_two(D):
        return mpf(4)
    Dq = D if isinstance(D, Fraction) else _exact(D, "depth")
    return mpf_from(Dq * (Dq - 2)) * mpmath.power(mpf_from(alpha_product), mpf_from((Dq - 2) / Dq))


def product_scale(alpha, D, alpha_convention: str = "product") -> mpf:
    """alpha_prod = u_i(0)^D: alpha itself (``"product"``, dln.md) or alpha^D (``"factor"``, u(0) = alpha, wah.md)."""
    alpha_convention_value(alpha_convention)
    a = mpf_from(alpha)
    if alpha_convention == "product":
        return a
    Dq = D if isinstance(D, Fraction) else _exact(D, "depth")
    if Dq.denominator == 1:
        return a ** int(Dq)
    return mpmath.power(a, mpf_from(Dq))


def factor_scale(alpha_product, D) -> mpf:
    """u_i(0) = alpha_prod^(1/D), the initial value of each factor."""
    Dq = D if isinstance(D, Fraction) else _exact(D, "depth")
    return mpmath.power(mpf_from(alpha_product), 1 / mpf_from(Dq))
