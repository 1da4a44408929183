"""The interval functions of proofs/checker/krawczyk.py at their boundaries, with the exact texts a user reads.

The link phi_D, its derivative and the dual potential H_D refuse an argument reaching |z| = 1 (and accept one a hair
inside); H_D on a box z >= 0 is evaluated at its two ends (tight); H_D^{-1} searches its upper bracket towards 1 and
gives up exactly when 1 - top falls below 2^(4 - prec); the Krawczyk test needs K(X) in the *interior* of the box.
Reference values are closed forms: phi_3(1/2) = 8 - 8/27, phi_3'(1/2) = 3 (16 + 16/81), H_3(1/2) = 11/9, and
H_3(z) = t <=> z^2 = ((2t + 3) - sqrt(8t + 9)) / (2 (t + 1)) (from H_3(z) = (1 + z^2)/(1 - z^2)^2 - 1).
"""
from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction

import mpmath
import pytest
from mpmath import iv

import strategies_certificates as S
from implicitreg.proofs.checker import krawczyk as K
from implicitreg.proofs.checker.check import CheckFailure
from implicitreg.proofs.checker.interval import hi, lo, point, precision

F = Fraction
DOMAIN = "A^T nu leaves the domain |z| < 1 of phi_D"
FAILED = ("Krawczyk test failed: K(X) is not inside the box, so the box is not proved to contain a (unique) solution "
          "of the dual equations")


@contextmanager
def bits(p):
    """iv and mp both at p bits (what checker.interval.precision sets from digits)."""
    old_iv, old_mp = iv.prec, mpmath.mp.prec
    try:
        iv.prec = mpmath.mp.prec = p
        yield
    finally:
        iv.prec, mpmath.mp.prec = old_iv, old_mp


def _holds(x, value, width):
    with mpmath.workprec(400):
        return lo(x) <= value <= hi(x) and hi(x) - lo(x) < width


def _refuses(message, fn, arg):
    with pytest.raises(ArithmeticError) as info:
        fn(arg)
    assert str(info.value) == message


def _inverse_H3(t):
    """H_3^{-1}(t) at 400 bits, from the quadratic in z^2 (see the module docstring)."""
    with mpmath.workprec(400):
        t = mpmath.mpf(t.numerator) / t.denominator
        return mpmath.sqrt(((2 * t + 3) - mpmath.sqrt(8 * t + 9)) / (2 * (t + 1)))


# --- the domain |z| < 1, at its ends ----------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [F(3), F(5, 2), F(7)])
def test_the_domain_ends_are_refused_and_a_hair_inside_is_not(depth):
    with precision(30):
        tiny = mpmath.mpf(2) ** -90
        for fn, message in ((K.link(depth), DOMAIN), (K.link_derivative(depth), DOMAIN),
                            (K.dual_potential(depth), "argument outside (-1, 1)")):
            for box in (["-1", "0"], ["0", "1"], ["-1", "1"], ["0.5", "1.5"], ["-1.5", "-0.5"]):
                _refuses(message, fn, iv.mpf(box))
            for box in ([-1 + tiny, 0], [0, 1 - tiny], [-1 + tiny, 1 - tiny]):
                assert hi(fn(iv.mpf(box))) > lo(fn(iv.mpf(box)))


def test_depth_two_links_have_no_domain():
    with precision(30):
        for fn in (K.link(F(2)), K.link_derivative(F(2)), K.dual_potential(F(2))):
            assert lo(fn(iv.mpf([-3, 3]))) <= hi(fn(iv.mpf([-3, 3])))


# --- values against closed forms ----------------------------------------------------------------------------------

def test_depth_three_links_and_potential_at_one_half():
    with precision(40):
        half = iv.mpf("0.5")
        assert _holds(K.link(F(3))(half), mpmath.mpf(208) / 27, mpmath.mpf(10) ** -35)
        assert _holds(K.link_derivative(F(3))(half), mpmath.mpf(3) * (16 + mpmath.mpf(16) / 81), mpmath.mpf(10) ** -35)
        assert _holds(K.dual_potential(F(3))(half), mpmath.mpf(11) / 9, mpmath.mpf(10) ** -35)
        assert _holds(K.link(F(3))(-half), -mpmath.mpf(208) / 27, mpmath.mpf(10) ** -35)  # phi_D is odd


def test_dual_potential_takes_plain_numbers_and_is_tight_on_a_nonnegative_box():
    """H_3 of a number (not an interval) is read as a point; on [0, 1/2] the enclosure is [H(0), H(1/2)] = [0, 11/9]
    (the ends), not the naive sum's [0, 3/2]."""
    H = K.dual_potential(F(3))
    with precision(40):
        assert _holds(H(mpmath.mpf("0.5")), mpmath.mpf(11) / 9, mpmath.mpf(10) ** -35)
        assert _holds(H(iv.mpf("0.5")), mpmath.mpf(11) / 9, mpmath.mpf(10) ** -35)
        zero = H(0)
        assert lo(zero) == 0 and hi(zero) < mpmath.mpf(10) ** -35
        box = H(iv.mpf([0, "0.5"]))
        assert lo(box) == 0 and mpmath.mpf(11) / 9 <= hi(box) < mpmath.mpf(11) / 9 + mpmath.mpf(10) ** -35
        with pytest.raises(ArithmeticError):
            H(mpmath.mpf(1))


# --- H_D^{-1} -----------------------------------------------------------------------------------------------------

def test_inverse_of_a_target_touching_zero():
    """A target [0, 11/9] (lower end exactly 0, allowed) encloses [0, 1/2]; the target 0 gives exactly [0, 0]; a
    target reaching below 0 is refused with its message."""
    with precision(40):
        inv = K.dual_potential_inverse(F(3), iv.mpf([0, point(F(11, 9)).b]))
        assert lo(inv) <= 0 + mpmath.mpf(2) ** -100 and hi(inv) >= mpmath.mpf("0.5")
        assert hi(inv) < mpmath.mpf("0.5") + mpmath.mpf(10) ** -30
        inv = K.dual_potential_inverse(F(3), iv.mpf(0))
        assert lo(inv) == hi(inv) == 0
        with pytest.raises(ArithmeticError) as info:
            K.dual_potential_inverse(F(3), iv.mpf([-mpmath.mpf(2) ** -100, 1]))
        assert str(info.value) == "H_D^{-1} of a possibly negative value"


P = 100  # bits: the search gives up once 1 - top < 2^(4 - P), i.e. its last candidate is top = 1 - 2^-(P - 4)


def test_inverse_searches_its_bracket_up_to_the_last_candidate():
    """t = 0.8 * 2^(2P - 9) needs top = 1 - 2^-(P-4) exactly (H_3(1 - d) = d^-2/2 - 7/8 + O(d)): the last candidate
    the working precision allows. The enclosure holds the closed-form preimage."""
    t = F(4, 5) * 2 ** (2 * P - 9)
    with mpmath.workprec(400):
        d = mpmath.mpf(2) ** -(P - 5)
        assert (1 / d ** 2 + 1 / (2 - d) ** 2 - 2) / 2 < mpmath.mpf(t.numerator) / t.denominator  # not enough
    with bits(P):
        inv = K.dual_potential_inverse(F(3), point(t))
        z = _inverse_H3(t)
        with mpmath.workprec(400):
            assert lo(inv) <= z <= hi(inv) and 1 - z < mpmath.mpf(2) ** -(P - 5)


def test_inverse_gives_up_beyond_the_working_precision():
    """t = 2^(2P - 8) would need top = 1 - 2^-(P-3): one halving past the last candidate: refused, not guessed."""
    with bits(P):
        with pytest.raises(ArithmeticError) as info:
            K.dual_potential_inverse(F(3), point(F(2) ** (2 * P - 8)))
        assert str(info.value) == "H_D^{-1}: target too large for the working precision"


def test_inverse_far_from_the_start_bracket():
    """t = 10^6 > H_3(1 - 2^-8) ~ 32767: the bracket search moves top towards 1 (10 halvings)."""
    with precision(40):
        inv = K.dual_potential_inverse(F(3), point(F(10 ** 6)))
        z = _inverse_H3(F(10 ** 6))
        with mpmath.workprec(400):
            assert lo(inv) <= z <= hi(inv) and hi(inv) - lo(inv) < mpmath.mpf(10) ** -30


def test_inverse_guess_against_closed_forms():
    """The approximation the H_D^{-1} search starts from: H_2^{-1}(t) = acosh(1 + t/2), H_3^{-1} from the quadratic
    in z^2, H_4^{-1}(t) = sqrt(1 - 2/(t + 2)) (H_4(z) = 2/(1 - z^2) - 2), to far below the grid the search uses."""
    closed = {F(2): lambda t: mpmath.acosh(1 + t / 2), F(3): None, F(4): lambda t: mpmath.sqrt(1 - 2 / (t + 2))}
    with bits(240):
        for depth, inverse in closed.items():
            for t in (F(1, 10 ** 6), F(11, 9), F(3), F(10 ** 6)):
                guess = K._inverse_guess(depth, mpmath.mpf(t.numerator) / t.denominator)
                with mpmath.workprec(400):
                    tt = mpmath.mpf(t.numerator) / t.denominator
                    z = _inverse_H3(t) if inverse is None else inverse(tt)
                    assert abs(guess - z) < mpmath.mpf(2) ** -225 * z, (depth, t)
        assert K._inverse_guess(F(3), mpmath.mpf(0)) == 0
        assert K._inverse_guess(F(3), mpmath.mpf(-1)) is None and K._inverse_guess(F(3), mpmath.inf) is None


def _counted(root):
    calls = []

    def ok(m):
        calls.append(m)
        return m <= root

    return ok, calls


@pytest.mark.parametrize("offset", [0, 1, -1, 1000, -1000, 2 ** 60])
def test_search_from_a_guess_ends_on_the_plain_bisection_cell(offset):
    """From a guess (right, one grid step off, a thousand off, far off) the search ends on the cell the plain
    bisection of [0, top] ends on, with a number of evaluations logarithmic in the distance (the plain bisection
    takes ``steps``)."""
    top, steps = 1 - mpmath.mpf(2) ** -8, 200
    with bits(260):
        root = mpmath.mpf(1) / 3
        ok, _ = _counted(root)
        plain = K._bisection(ok, top, steps, None)
        assert plain[0] <= root < plain[1] and plain[1] - plain[0] == mpmath.ldexp(top, -steps)
        h = mpmath.ldexp(top, -steps)
        ok, calls = _counted(root)
        assert K._bisection(ok, top, steps, root + offset * h) == plain
        assert len(calls) <= 2 * mpmath.log(abs(offset) + 1, 2) + 3, (offset, len(calls))


def test_search_cell_at_the_ends_and_on_an_inexact_grid():
    """A root below the first grid point gives a = 0 and one above the last gives b = top (neither end is evaluated);
    at fewer bits than ``steps`` the grid is not exact: the plain bisection runs, and stops once its ends are
    neighbours at the working precision."""
    top, steps = 1 - mpmath.mpf(2) ** -8, 200
    with bits(260):
        h = mpmath.ldexp(top, -steps)
        ok, calls = _counted(h / 2)
        assert K._bisection(ok, top, steps, h / 3) == (0, h) and 0 not in calls
        ok, calls = _counted(top - h / 2)
        assert K._bisection(ok, top, steps, top) == (top - h, top) and top not in calls
    with bits(60):
        root = mpmath.mpf(1) / 3
        ok, calls = _counted(root)
        assert K._grid_cell(ok, top, steps, root) is None
        ok, calls = _counted(root)
        a, b = K._bisection(ok, top, steps, root)
        assert a <= root < b and b - a <= 2 * mpmath.mpf(2) ** -60 and len(calls) <= 62


@pytest.mark.parametrize("root_cells, guess_cells", [(1.5, 1.5), (1.5, 0.5), (1.5, 2.5), (1.5, 0.0),
                                                     (0.5, 1.5), (0.5, 5.5), (2.5, 0.5)])
def test_search_cell_next_to_zero_from_guesses_on_either_side(root_cells, guess_cells):
    """Roots in the first grid cells (0.5 h, 1.5 h, 2.5 h) from guesses left and right of them: the cell is the plain
    bisection's; grid point 0 is never evaluated (it is ok by the invariant) and grid point 1 is evaluated, not
    assumed, whenever the search needs it."""
    top, steps = 1 - mpmath.mpf(2) ** -8, 200
    with bits(260):
        h = mpmath.ldexp(top, -steps)
        root = root_cells * h
        ok, _ = _counted(root)
        plain = K._bisection(ok, top, steps, None)
        ok, calls = _counted(root)
        assert K._bisection(ok, top, steps, guess_cells * h) == plain
        assert plain[0] <= root < plain[1] and 0 not in calls


def test_inverse_guess_at_a_depth_that_is_not_an_integer():
    """D = 5/2 (e = 2/(D - 2) = 4, H(z) = ((1 - z)^-4 + (1 + z)^-4 - 2)/4, written here): the guess solves H = t to
    far below the search grid, for t from 1e-6 to 1e6."""
    with bits(240):
        for t in (F(1, 10 ** 6), F(11, 9), F(10 ** 6)):
            guess = K._inverse_guess(F(5, 2), mpmath.mpf(t.numerator) / t.denominator)
            with mpmath.workprec(400):
                H = ((1 - guess) ** -4 + (1 + guess) ** -4 - 2) / 4
                dH = (1 - guess) ** -5 - (1 + guess) ** -5
                tt = mpmath.mpf(t.numerator) / t.denominator
                assert abs(H - tt) / dH < mpmath.mpf(2) ** -225 * guess, t  # the guess's distance to the root


# --- the Krawczyk test ----------------------------------------------------------------------------------------------

def test_a_singular_jacobian_is_named():
    """Two equal rows: J = alpha A diag(phi') A^T has equal rows at every point."""
    with precision(30):
        S.raises_exactly("nu", "the Jacobian at the box centre is singular", K.krawczyk,
                         [[F(1), F(1)], [F(1), F(1)]], [F(1), F(1)], point(F(1, 1000)), F(2), [F(0), F(0)],
                         [F(1, 10 ** 20)] * 2, "nu")


def _planted(monkeypatch, Fc, J):
    """F(c) and J fixed (m = 1): Y = 1/J, I - Y J(X) = 0, so K(X) = c - F(c)/J exactly (dyadic values)."""
    monkeypatch.setattr(K, "residual", lambda *a: [point(F(Fc))])
    monkeypatch.setattr(K, "jacobian", lambda *a: [[point(F(J))]])


@pytest.mark.parametrize("Fc, field", [(F(1, 4), "nu[0]"), (F(-1, 4), "nu[0]")])
def test_krawczyk_needs_the_interior_of_the_box(monkeypatch, Fc, field):
    """Box [1/4, 3/4] (centre 1/2, radius 1/4): K(X) = 1/2 - F(c) lands exactly on an end of the box (F(c) = +-1/4):
    not the interior, so uniqueness is not proved: refused. A hair inside (F(c) = +-(1/4 - 2^-40)) is proved."""
    A, y = [[F(1)]], [F(1)]
    with precision(30):
        _planted(monkeypatch, Fc, 1)
        S.raises_exactly(field, FAILED, K.krawczyk, A, y, point(F(1)), F(2), [F(1, 2)], [F(1, 4)], "nu")
        inside = Fc - (F(1, 2 ** 40) if Fc > 0 else -F(1, 2 ** 40))
        _planted(monkeypatch, inside, 1)
        Kx = K.krawczyk(A, y, point(F(1)), F(2), [F(1, 2)], [F(1, 4)], "nu")
        want = F(1, 2) - inside                                   # dyadic: exact at 30 digits
        assert lo(Kx[0]) == hi(Kx[0]) == mpmath.mpf(want.numerator) / want.denominator


def test_the_second_coordinate_is_named():
    """A = I (2 x 2), y = (1, 1), D = 2: each coordinate solves 2 alpha sinh(nu_i) = 1; the first box holds its root,
    the second does not: the refusal names nu[1]."""
    alpha = F(1, 1000)
    with mpmath.workdps(60):
        root = mpmath.asinh(mpmath.mpf(500))
        c = F(mpmath.nstr(root, 50))
    rad = F(1, 10 ** 30)
    with precision(60):
        A, y = [[F(1), F(0)], [F(0), F(1)]], [F(1), F(1)]
        Kx = K.krawczyk(A, y, point(alpha), F(2), [c, c], [rad, rad], "nu")
        assert all(lo(k) <= root <= hi(k) for k in Kx)
        S.raises_exactly("nu[1]", FAILED, K.krawczyk, A, y, point(alpha), F(2), [c, c + 10 * rad], [rad, rad], "nu")
