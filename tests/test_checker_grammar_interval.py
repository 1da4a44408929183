"""Direct tests of ``grammar.to_interval``, the interval enclosure every accepted bound of the checker rests on.

The whole-certificate tests reach ``to_interval`` only with the values a reference certificate happens to hold, so
its domain refusals, its branches at 0 (Abs, cosh, asinh, Min, Max, negative powers, division) and its limits were
pinned by nothing. Here each is pinned directly: enclosures against values computed independently (exact Fractions,
or mpmath's *point* functions at 60 digits, never the interval code), tightness where the enclosure is exact or
nearly so, and each refusal by its exception type and exact message, on both sides of each boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import pytest
from mpmath import iv

from implicitreg.proofs.checker import grammar as G
from implicitreg.proofs.checker.interval import precision, to_fraction

DPS = 30  # the tests' working precision (iv and mp alike, restored afterwards); oracles are computed at 60 digits
DELTA = Fraction(1, 10 ** 50)  # error bound of a 60-digit oracle value of moderate size (|value| < 10^5)


@pytest.fixture(autouse=True)
def _precision():
    with precision(DPS):
        yield


def ends(x) -> tuple[Fraction, Fraction]:
    """The exact endpoints of an ``iv.mpf`` (read from its raw tuple: no rounding by either mpmath context)."""
    assert isinstance(x, iv.mpf), type(x)
    return tuple(to_fraction(mpmath.mp.make_mpf(e)) for e in x._mpi_)


def box(a, b=None):
    """The interval [a, b] with exact (dyadic) rational ends; [a, a] when b is omitted."""
    b = a if b is None else b
    return iv.mpf([mpmath.mpf(Fraction(a).numerator) / Fraction(a).denominator,
                   mpmath.mpf(Fraction(b).numerator) / Fraction(b).denominator])


def ev(text, env=None, functions=None, limits=G.DEFAULT_LIMITS, declare=None):
    env = env or {}
    tree = G.parse(text, set(env), declare)
    return G.to_interval(tree, env, functions, limits)


def refuses(message, text, env=None, functions=None, limits=G.DEFAULT_LIMITS, declare=None):
    """to_interval refuses with a DomainError (not another GrammarError, not a crash) saying exactly ``message``."""
    with pytest.raises(G.DomainError) as info:
        ev(text, env, functions, limits, declare)
    assert type(info.value) is G.DomainError
    assert str(info.value) == message


@dataclass(frozen=True)
class Approx:
    """A value known to within ``err`` (an oracle value); plain ints and Fractions are exact."""
    value: Fraction
    err: Fraction = DELTA

    def __mul__(self, k):
        return Approx(self.value * k, self.err * abs(k))

    __rmul__ = __mul__


def oracle(f, *args) -> Approx:
    """f(*args) by mpmath's point function at 60 digits (within DELTA of the true value for moderate sizes)."""
    with mpmath.workdps(60):
        return Approx(to_fraction(f(*[mpmath.mpf(a.numerator) / a.denominator if isinstance(a, Fraction) else a
                                      for a in args])))


def _around(v) -> tuple[Fraction, Fraction]:
    return (v.value - v.err, v.value + v.err) if isinstance(v, Approx) else (Fraction(v), Fraction(v))


def encloses(x, lo, hi=None, *, width=None):
    """x surely contains the values lo..hi (exact, or oracle values with their error), and when ``width`` is
    given x is no wider than the true range plus ``width``."""
    hi = lo if hi is None else hi
    a, b = ends(x)
    (lo_minus, lo_plus), (hi_minus, hi_plus) = _around(lo), _around(hi)
    assert a <= lo_minus and hi_plus <= b, (float(a), float(lo_minus), float(hi_plus), float(b))
    if width is not None:
        assert b - a <= hi_minus - lo_plus + width, float(b - a - (hi_minus - lo_plus))


TIGHT = Fraction(1, 10 ** 25)  # 30 working digits: an enclosure of a value below 10^3 is far tighter than this


# --- leaves ---------------------------------------------------------------------------------------------

def test_leaves_ints_fractions_and_intervals():
    assert ends(ev("x", {"x": 3})) == (3, 3)
    assert ends(ev("x", {"x": -7})) == (-7, -7)
    assert ends(ev("x", {"x": 0})) == (0, 0)
    assert ends(ev("x + 1", {"x": 2 ** 70})) == (2 ** 70 + 1, 2 ** 70 + 1)
    encloses(ev("x", {"x": Fraction(1, 3)}), Fraction(1, 3), width=TIGHT)
    encloses(ev("0.1"), Fraction(1, 10), width=TIGHT)  # the literal 0.1 is 1/10, not the binary float
    assert ends(ev("x", {"x": box(Fraction(-1, 4), 3)})) == (Fraction(-1, 4), 3)
    assert ends(ev("3/4 - x", {"x": Fraction(1, 4)})) == (Fraction(1, 2), Fraction(1, 2))


@pytest.mark.parametrize("value, kind", [(True, "bool"), (False, "bool"), (0.5, "float"), ("2", "str"),
                                         (None, "NoneType"), (mpmath.mpf(2), "mpf")])
def test_a_symbol_value_that_is_not_a_number_is_refused(value, kind):
    # a bool is not the integer 1 or 0 here, a float or a string is not read at all: each is refused, in a bare
    # leaf as much as inside arithmetic
    for text in ("x", "x + 1", "Abs(x)", "log(x)"):
        refuses(f"a symbol's value of type {kind} is not an interval, a Fraction or an int", text, {"x": value})


def test_missing_symbol_and_undeclared_function_are_refused():
    with pytest.raises(G.DomainError) as info:
        G.to_interval(G.parse("x + 1", {"x"}), {})
    assert str(info.value) == "symbol 'x' has no value"
    # a function the parse allowed but to_interval was given no meaning for: refused by name, whatever its arity
    refuses("function 'h' has no interval meaning here", "h(x)", {"x": 1}, declare={"h": 1})
    refuses("function 'g' has no interval meaning here", "g(x, 2)", {"x": 1}, declare={"g": 2})
    assert ends(ev("h(x) + 1", {"x": 3}, {"h": lambda z: z * z}, declare={"h": 1})) == (10, 10)


def test_constants():
    encloses(ev("pi"), oracle(lambda: +mpmath.pi), width=TIGHT)
    encloses(ev("E"), oracle(lambda: +mpmath.e), width=TIGHT)


# --- unbounded results ----------------------------------------------------------------------------------

UP, DOWN = iv.mpf([1, mpmath.inf]), iv.mpf([-mpmath.inf, -1])  # one infinite end is enough


@pytest.mark.parametrize("text, what, x", [
    ("x*1", "a product", UP), ("2*x", "a product", DOWN), ("x/1", "a quotient", UP), ("x/2", "a quotient", DOWN),
    ("x**2", "a power", UP), ("x**2", "a power", DOWN), ("x**3", "a power", DOWN), ("Min(x, x)", "Min(...)", UP),
    ("Min(x, 1)", "Min(...)", DOWN), ("Max(x, 1)", "Max(...)", UP), ("Abs(x)", "Abs(...)", DOWN)])
def test_unbounded_results_are_refused(text, what, x):
    refuses(f"{what} is unbounded", text, {"x": x})


def test_bounded_results_of_the_same_operations_pass():
    env = {"x": box(1, 2)}
    assert ends(ev("x*1", env)) == (1, 2) and ends(ev("x/2", env)) == (Fraction(1, 2), 1)
    assert ends(ev("x**2", env)) == (1, 4) and ends(ev("Max(x, 3/2)", env)) == (Fraction(3, 2), 2)


# --- Abs, Min, Max: the branches at 0 -------------------------------------------------------------------

@pytest.mark.parametrize("lo, hi, want", [
    (Fraction(1, 2), 3, (Fraction(1, 2), 3)),    # positive: itself
    (0, 3, (0, 3)), (0, 0, (0, 0)),              # touching 0 from above
    (-3, Fraction(-1, 2), (Fraction(1, 2), 3)),  # negative: mirrored
    (-3, 0, (0, 3)),                             # touching 0 from below
    (-3, Fraction(1, 2), (0, 3)), (-3, 1, (0, 3)), (-1, 3, (0, 3)), (-2, 2, (0, 2)),  # straddling 0
])
def test_abs_is_exact_on_each_side_of_zero(lo, hi, want):
    assert ends(ev("Abs(x)", {"x": box(lo, hi)})) == want
    assert ends(ev("abs(-x)", {"x": box(lo, hi)})) == want


@pytest.mark.parametrize("x, y, lo_min, hi_min, lo_max, hi_max", [
    ((1, 3), (2, 4), 1, 3, 2, 4), ((-1, 5), (0, 2), -1, 2, 0, 5), ((-2, -1), (0, 0), -2, -1, 0, 0),
    ((1, 2), (0, 0), 0, 0, 1, 2), ((-1, 2), (0, 0), -1, 0, 0, 2), ((-3, 3), (-1, 1), -3, 1, -1, 3)])
def test_min_and_max_are_exact(x, y, lo_min, hi_min, lo_max, hi_max):
    env = {"x": box(*x), "y": box(*y)}
    assert ends(ev("Min(x, y)", env)) == ends(ev("min(y, x)", env)) == (lo_min, hi_min)
    assert ends(ev("Max(x, y)", env)) == ends(ev("max(y, x)", env)) == (lo_max, hi_max)


# --- log, sqrt: refusals at 0 ----------------------------------------------------------------------------

def test_log_refuses_anything_not_surely_positive():
    for lo, hi in [(0, 1), (0, 0), (-1, 2), (-2, -1), (Fraction(-1, 2 ** 100), 1)]:
        refuses("log of a possibly non-positive value", "log(x)", {"x": box(lo, hi)})
    refuses("log of a possibly non-positive value", "log(x - 1)", {"x": 1})
    encloses(ev("log(x)", {"x": 1}), 0, width=TIGHT)
    tiny = Fraction(1, 2 ** 1000)  # positive, however small: a value, log(2^-1000) = -1000 log 2
    encloses(ev("log(x)", {"x": tiny}), -1000 * oracle(mpmath.log, 2), width=TIGHT * 1000)
    encloses(ev("log(x)", {"x": box(Fraction(1, 2), 4)}), oracle(mpmath.log, Fraction(1, 2)),
             oracle(mpmath.log, 4), width=TIGHT)


def test_sqrt_refuses_anything_possibly_negative_but_takes_zero():
    for lo, hi in [(-1, 4), (-1, -1), (Fraction(-1, 2 ** 100), 4), (Fraction(-1, 2 ** 100), 0)]:
        refuses("sqrt of a possibly negative value", "sqrt(x)", {"x": box(lo, hi)})
    encloses(ev("sqrt(x)", {"x": box(0, 4)}), 0, 2, width=TIGHT)
    encloses(ev("sqrt(x)", {"x": 0}), 0, width=TIGHT)
    encloses(ev("sqrt(x)", {"x": 2}), oracle(mpmath.sqrt, 2), width=TIGHT)


# --- exp, sinh, cosh, tanh, asinh -------------------------------------------------------------------------

def test_exp_argument_limit_on_both_sides():
    small = G.Limits(max_exp_arg=2)
    for fn, f in [("exp", mpmath.exp), ("sinh", mpmath.sinh), ("cosh", mpmath.cosh)]:
        for v in (2, -2):  # exactly at the limit: evaluated
            encloses(ev(f"{fn}(x)", {"x": v}, limits=small), oracle(f, v), width=TIGHT)
        for x in (box(2, 2 + Fraction(1, 2 ** 60)), box(-2 - Fraction(1, 2 ** 60), 0), box(3)):  # beyond it
            refuses("argument of exp/sinh/cosh beyond +-2", f"{fn}(x)", {"x": x}, limits=small)
    # the default limit 100000, both sides (exp(100000) is a finite number, about 10^43429)
    big = ev("exp(x)", {"x": 100000})
    with mpmath.workdps(60):
        want = mpmath.exp(100000)
        assert mpmath.mpf(big.a) <= want * (1 - mpmath.mpf(10) ** -50) and want * (1 + mpmath.mpf(10) ** -50) <= \
            mpmath.mpf(big.b) and (mpmath.mpf(big.b) - mpmath.mpf(big.a)) / want < mpmath.mpf(10) ** -25
    refuses("argument of exp/sinh/cosh beyond +-100000", "exp(x)", {"x": 100001})
    refuses("argument of exp/sinh/cosh beyond +-100000", "exp(x)", {"x": box(-100000 - Fraction(1, 2 ** 40), 0)})
    # the exp inside a non-integer power: E**(5/2) = exp(5/2 log E) needs the argument 5/2
    refuses("argument of exp/sinh/cosh beyond +-2", "E**(5/2)", limits=small)
    encloses(ev("x**(1/2)", {"x": 4}, limits=small), 2, width=TIGHT)


@pytest.mark.parametrize("lo, hi", [(Fraction(1, 2), 1), (1, 2), (-2, -1), (Fraction(-5, 2), Fraction(-1, 2))])
def test_monotone_pieces_of_cosh(lo, hi):
    # cosh is monotone on each side of 0: the enclosure is [cosh(min |x|), cosh(max |x|)], tightly
    m, M = sorted((abs(Fraction(lo)), abs(Fraction(hi))))
    encloses(ev("cosh(x)", {"x": box(lo, hi)}), oracle(mpmath.cosh, m), oracle(mpmath.cosh, M),
             width=TIGHT)


@pytest.mark.parametrize("lo, hi", [(-1, Fraction(1, 2)), (-2, 1), (-1, 2), (Fraction(-1, 2), 1), (0, 1), (-1, 0),
                                    (0, 0), (-3, 3)])
def test_cosh_over_intervals_holding_zero_has_minimum_one(lo, hi):
    M = max(abs(Fraction(lo)), abs(Fraction(hi)))
    encloses(ev("cosh(x)", {"x": box(lo, hi)}), 1, oracle(mpmath.cosh, M), width=TIGHT)


@pytest.mark.parametrize("fn, f", [("sinh", mpmath.sinh), ("tanh", mpmath.tanh), ("asinh", mpmath.asinh),
                                   ("exp", mpmath.exp)])
@pytest.mark.parametrize("lo, hi", [(Fraction(1, 2), 2), (-2, Fraction(-1, 2)), (-1, 1), (0, 1), (-1, 0), (0, 0),
                                    (Fraction(-1, 3), Fraction(1, 3)), (3, 3)])
def test_increasing_functions_enclose_their_range(fn, f, lo, hi):
    encloses(ev(f"{fn}(x)", {"x": box(lo, hi)}), oracle(f, Fraction(lo)), oracle(f, Fraction(hi)),
             width=TIGHT)


def test_asinh_is_odd():
    for v in (Fraction(1, 2), 1, 2, Fraction(1, 3)):
        a, b = ends(ev("asinh(x)", {"x": v}))
        c, d = ends(ev("asinh(x)", {"x": -v}))
        assert (a, b) == (-d, -c) and a > 0


# --- powers ----------------------------------------------------------------------------------------------

def test_small_integer_powers_are_exact():
    # |n| <= 2 is plain interval multiplication (as exact as x*x), not an outward-widened enclosure
    assert ends(ev("x**2", {"x": 3})) == (9, 9) == ends(ev("x*x", {"x": 3}))
    assert ends(ev("x**(-2)", {"x": 4})) == (Fraction(1, 16), Fraction(1, 16))
    assert ends(ev("x**(-1)", {"x": 4})) == (Fraction(1, 4), Fraction(1, 4))
    assert ends(ev("x**1", {"x": box(-3, 5)})) == (-3, 5)
    assert ends(ev("x**2", {"x": box(-1, 1)})) == (0, 1)   # an even power of an interval holding 0
    assert ends(ev("x**2", {"x": box(-3, 2)})) == (0, 9)
    assert ends(ev("x**(-1)", {"x": box(Fraction(1, 2), 2)})) == (Fraction(1, 2), 2)
    assert ends(ev("x**(-1)", {"x": box(-2, Fraction(-1, 2))})) == (Fraction(-2), Fraction(-1, 2))


def test_power_zero_is_one_even_over_zero():
    for x in (box(-1, 2), box(0), box(-2, 0), box(3)):
        assert ends(ev("x**0", {"x": x})) == (1, 1)


def test_larger_integer_powers_enclose_the_exact_power():
    for v, n in [(Fraction(1, 3), 3), (Fraction(-2, 3), 5), (Fraction(7, 5), -3), (Fraction(-7, 5), -4), (2, 1000),
                 (Fraction(1, 2), -1000), (Fraction(3, 2), 33)]:
        want = v ** n
        encloses(ev(f"x**({n})", {"x": v}), want, width=abs(want) * TIGHT)
    encloses(ev("x**3", {"x": box(-1, 2)}), -1, 8, width=TIGHT)
    encloses(ev("x**4", {"x": box(-1, 2)}), 0, 16, width=TIGHT)


def test_negative_power_of_an_interval_holding_zero_is_refused():
    for lo, hi in [(-1, 2), (0, 2), (-2, 0), (0, 0), (-1, Fraction(1, 2)), (Fraction(-1, 2 ** 80), 1)]:
        for n in ("-1", "-2", "-3"):
            refuses("negative power of an interval containing 0", f"x**({n})", {"x": box(lo, hi)})


def test_integer_exponent_limit_on_both_sides():
    # the exponent is computed exactly first (500 + 500 is the integer 1000), then held to limits.max_power
    encloses(ev("x**(500 + 500)", {"x": 2}), Fraction(2) ** 1000, width=Fraction(2) ** 1000 * TIGHT)
    encloses(ev("x**(-(500 + 500))", {"x": 2}), Fraction(1, 2 ** 1000), width=TIGHT)
    refuses("exponent 1001 exceeds the limit 1000", "x**(500 + 501)", {"x": 2})
    refuses("exponent -1001 exceeds the limit 1000", "x**(-500 - 501)", {"x": 2})
    small = G.Limits(max_power=3)
    encloses(ev("x**(1 + 2)", {"x": 2}, limits=small), 8, width=TIGHT)
    refuses("exponent 4 exceeds the limit 3", "x**(2 + 2)", {"x": 2}, limits=small)
    # the exponent's own exact evaluation uses the caller's limits: 2**4 is refused there, so the exponent is
    # evaluated as an interval and the inner power 4 is what is refused (not the value 16)
    refuses("exponent 4 exceeds the limit 3", "x**(2**4)", {"x": 2}, limits=small)


def test_non_integer_powers():
    encloses(ev("2**pi"), oracle(lambda: mpmath.power(2, mpmath.pi)), width=TIGHT)
    encloses(ev("x**(1/3)", {"x": 8}), 2, width=TIGHT)
    encloses(ev("x**(3/2)", {"x": box(1, 4)}), 1, 8, width=TIGHT)
    for lo, hi in [(0, 4), (-1, 4), (0, 0), (-8, -8), (Fraction(-1, 2 ** 90), 1)]:
        refuses("non-integer power of a possibly non-positive base", "x**(1/2)", {"x": box(lo, hi)})
        refuses("non-integer power of a possibly non-positive base", "x**y", {"x": box(lo, hi), "y": 2})


def test_symbolic_exponent_limit_on_both_sides():
    # an exponent with a symbol is evaluated as an interval; |exponent| <= limits.max_power
    encloses(ev("x**y", {"x": 2, "y": 1000}), Fraction(2) ** 1000, width=Fraction(2) ** 1000 * TIGHT)
    encloses(ev("x**y", {"x": 2, "y": -1000}), Fraction(1, 2 ** 1000), width=TIGHT)
    encloses(ev("x**y", {"x": 3, "y": box(-1, 2)}), Fraction(1, 3), 9, width=TIGHT)
    for y in (box(999, 1000 + Fraction(1, 2 ** 40)), box(-1000 - Fraction(1, 2 ** 40), 0), box(1001)):
        refuses("exponent beyond +-1000", "x**y", {"x": 2, "y": y})
    small = G.Limits(max_power=3)
    encloses(ev("x**y", {"x": 2, "y": 3}, limits=small), 8, width=TIGHT)
    refuses("exponent beyond +-3", "x**y", {"x": 2, "y": box(3, 3 + Fraction(1, 2 ** 60))}, limits=small)


# --- division --------------------------------------------------------------------------------------------

def test_division_by_an_interval_touching_zero_is_refused():
    for lo, hi in [(0, 2), (-2, 0), (0, 0), (-1, 1), (Fraction(-1, 2 ** 80), 1)]:
        refuses("division by an interval containing 0", "1/x", {"x": box(lo, hi)})
        refuses("division by an interval containing 0", "y/x", {"x": box(lo, hi), "y": box(0, 0)})
    assert ends(ev("1/x", {"x": box(Fraction(1, 2), 2)})) == (Fraction(1, 2), 2)
    assert ends(ev("1/x", {"x": box(-2, Fraction(-1, 2))})) == (-2, Fraction(-1, 2))
    encloses(ev("1/x", {"x": 3}), Fraction(1, 3), width=TIGHT)


# --- rigour does not depend on mpmath.mp's precision ------------------------------------------------------

@pytest.mark.parametrize("text, value", [("Max(x, 0)", Fraction(1, 3)), ("Min(x, 1)", Fraction(1, 3)),
                                         ("Abs(x)", Fraction(1, 3)), ("Abs(-x)", Fraction(1, 3)),
                                         ("Max(x, -x)", Fraction(1, 3)), ("Abs(x - 1)", Fraction(2, 3)),
                                         ("Min(-x, 0)", Fraction(-1, 3))])
def test_enclosures_hold_when_mp_is_less_precise_than_iv(text, value):
    # the endpoints are read exactly: at iv 200 bits and mp 53 bits, Max(1/3, 0) must still contain 1/3 (reading
    # them through mpmath.mpf rounded them to 53 bits, and the enclosure missed 1/3 by 2e-17)
    old = iv.prec, mpmath.mp.prec
    try:
        iv.prec, mpmath.mp.prec = 200, 53
        a, b = ends(ev(text, {"x": Fraction(1, 3)}))
    finally:
        iv.prec, mpmath.mp.prec = old
    assert a <= value <= b and b - a < Fraction(1, 2 ** 190)


def test_monotone_functions_hold_when_mp_is_less_precise_than_iv():
    third = Fraction(1, 3)
    old = iv.prec, mpmath.mp.prec
    try:
        iv.prec, mpmath.mp.prec = 200, 53
        results = {fn: ends(ev(f"{fn}(x)", {"x": third}))
                   for fn in ("sinh", "cosh", "tanh", "asinh")}
    finally:
        iv.prec, mpmath.mp.prec = old
    for fn, (a, b) in results.items():
        with mpmath.workdps(80):
            true = to_fraction(getattr(mpmath, fn)(mpmath.mpf(1) / 3))
        assert a <= true - Fraction(1, 10 ** 75) and true + Fraction(1, 10 ** 75) <= b, fn
        assert b - a < Fraction(1, 10 ** 55), fn
