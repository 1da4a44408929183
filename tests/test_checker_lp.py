"""The checker's exact linear algebra (proofs/checker/lp.py), each check alone: the l1 and rho certificates
refused with exactly the field and message a user reads, the exact helpers (sign, rank, square solves), and
Sturm root counting and isolation on polynomials whose roots are known by construction.

Split from tests/test_checker_forgeries.py (same conventions: every expected value written by hand)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from strategies_certificates import raises_exactly
from implicitreg.proofs.checker import lp

F = Fraction

# --- exact LP certificates: each check alone ---------------------------------------------------------------------------

A2 = [[F(1), F(1, 2), F(1, 2)], [F(0), F(1), F(-1)]]      # x* = e_1 for y = (1, 0): rho = 1/2 (see test_checker_attacks)
Y2 = [F(1), F(0)]
X2 = [F(1), F(0), F(0)]
V2 = [F(-1, 2), F(1, 2), F(1, 2)]



L1_OK = "x* is feasible and l1-optimal: ||x*||_1 = <y, lambda> = {}, ||A^T lambda||_inf <= 1 (exact)"
RHO_OK = ("x* is the unique l1 minimizer (A_S injective, strict dual certificate) and rho = {} is the exact LP value "
          "(primal lambda and dual kernel vector v agree)")


def test_l1_certificate_each_check_alone():
    assert lp.check_l1_optimal(A2, Y2, X2, F(1), [F(1), F(0)], "bp") == [L1_OK.format(1)]
    assert lp.check_l1_optimal(A2, Y2, X2, F(1), [F(1), F(1, 2)], "bp")     # ||A^T lambda||_inf = 1 exactly: fine
    raises_exactly("bp.x_star", "A x* != y (x* is not feasible)", lp.check_l1_optimal, A2, Y2, [F(1), F(0), F(1, 10)],
                F(11, 10), [F(1), F(0)], "bp")
    raises_exactly("bp.value", "||x*||_1 = 1 but the certificate states 2", lp.check_l1_optimal, A2, Y2, X2, F(2),
                [F(1), F(0)], "bp")
    raises_exactly("bp.lambda", "expected 2 entries", lp.check_l1_optimal, A2, Y2, X2, F(1), [F(1)], "bp")
    # lambda = (1, 0.6): <y, lambda> = 1 = value (no gap) but (A^T lambda)_1 = 1/2 + 3/5 > 1
    raises_exactly("bp.lambda", "||A^T lambda||_inf = 11/10 > 1 (not dual feasible)", lp.check_l1_optimal, A2, Y2, X2,
                F(1), [F(1), F(3, 5)], "bp")
    raises_exactly("bp.lambda", "duality gap ||x*||_1 - <y, lambda> = 1/2 != 0", lp.check_l1_optimal, A2, Y2, X2, F(1),
                [F(1, 2), F(0)], "bp")


def test_rho_certificate_each_check_alone():
    lam = [F(1), F(0)]
    assert lp.check_rho(A2, X2, [0], [1], F(1, 2), lam, V2, "rho") == [RHO_OK.format("1/2")]
    raises_exactly("rho.support", "support of x* is [0], stated [0, 1]", lp.check_rho, A2, X2, [0, 1], [1, 1], F(1, 2),
                lam, V2, "rho")
    raises_exactly("rho.signs", "signs of x* on S are [1], stated [-1]", lp.check_rho, A2, X2, [0], [-1], F(1, 2), lam,
                V2, "rho")
    raises_exactly("rho.value", "rho = 1 is not in [0, 1)", lp.check_rho, A2, X2, [0], [1], F(1), lam, V2, "rho")
    raises_exactly("rho.value", "rho = -1/2 is not in [0, 1)", lp.check_rho, A2, X2, [0], [1], F(-1, 2), lam, V2, "rho")
    raises_exactly("rho.lambda", "expected 2 entries", lp.check_rho, A2, X2, [0], [1], F(1, 2), [F(1)], V2, "rho")
    raises_exactly("rho.lambda", "A_S^T lambda != sigma", lp.check_rho, A2, X2, [0], [1], F(1, 2), [F(2), F(0)], V2,
                "rho")
    # lambda = (1, 1/10): feasible, off-support norm 3/5 != the stated 1/2
    raises_exactly("rho.lambda", "||A_(S^c)^T lambda||_inf = 3/5, not the stated rho = 1/2", lp.check_rho, A2, X2, [0],
                [1], F(1, 2), [F(1), F(1, 10)], V2, "rho")
    raises_exactly("rho.v", "expected 3 entries", lp.check_rho, A2, X2, [0], [1], F(1, 2), lam, V2[:2], "rho")
    raises_exactly("rho.v", "A v != 0 (v is not in ker A)", lp.check_rho, A2, X2, [0], [1], F(1, 2), lam,
                [F(-1, 2), F(1, 2), F(0)], "rho")
    raises_exactly("rho.v", "||v_(S^c)||_1 != 1", lp.check_rho, A2, X2, [0], [1], F(1, 2), lam, [2 * c for c in V2],
                "rho")
    # |<sigma, v_S>| != rho alone needs a 2-dimensional kernel: A = [1, 1/2, 1/4], x* = e_1, rho = 1/2 (v = e_2 - e_1/2)
    A3, X3 = [[F(1), F(1, 2), F(1, 4)]], [F(1), F(0), F(0)]
    assert lp.check_rho(A3, X3, [0], [1], F(1, 2), [F(1)], [F(-1, 2), F(1), F(0)], "rho")
    assert lp.check_rho(A3, X3, [0], [1], F(1, 2), [F(1)], [F(1, 2), F(-1), F(0)], "rho")     # -v: |.| is used
    raises_exactly("rho.v", "|<sigma, v_S>| = 1/4, not rho = 1/2 (rho not proved minimal)", lp.check_rho, A3, X3, [0],
                [1], F(1, 2), [F(1)], [F(-1, 4), F(0), F(1)], "rho")  # in ker A, ||v_(S^c)||_1 = 1, <sigma, v_S> = -1/4
    # A_S not injective: x* = (1, 1) on A = [[1, 1]] (a 2-column support of a rank-1 matrix)
    raises_exactly("rho.support", "A_S is not injective", lp.check_rho, [[F(1), F(1)]], [F(1, 2), F(1, 2)], [0, 1],
                [1, 1], F(0), [F(1)], [F(0), F(0)], "rho")


def test_rho_certificate_with_full_support():
    A = [[F(1), F(0)], [F(0), F(1)]]
    assert lp.check_rho(A, [F(1), F(2)], [0, 1], [1, 1], F(0), [F(1), F(1)], [F(0), F(0)], "rho") == [
        RHO_OK.format(0)]
    # rho != 0 with S everything: ||A_(S^c)^T lambda||_inf is the empty max 0, so the lambda check refuses it
    raises_exactly("rho.lambda", "||A_(S^c)^T lambda||_inf = 0, not the stated rho = 1/2", lp.check_rho, A, [F(1), F(2)], [0, 1], [1, 1], F(1, 2),
                [F(1), F(1)], [F(0), F(0)], "rho")


def test_exact_helpers_sign_and_square_solve():
    assert [lp.sign(t) for t in (F(-1, 3), F(0), F(1, 3))] == [-1, 0, 1]
    # rank: a zero column before a pivot column, entries equal to 1 below a pivot, the empty matrix
    assert lp.rank([[F(0), F(1)], [F(0), F(2)]]) == 1
    assert lp.rank([[F(0), F(1), F(0)], [F(0), F(0), F(3)]]) == 2
    assert lp.rank([[F(1), F(1)], [F(1), F(1)]]) == 1 and lp.rank([[F(2), F(1)], [F(1), F(1)]]) == 2
    assert lp.rank([]) == 0 and lp.rank([[F(0)], [F(0)]]) == 0
    # a pivot needs a row swap, and off-pivot entries equal to 1 must be eliminated too: x = (1, 2, 3)
    A = [[F(0), F(1), F(1)], [F(1), F(1), F(0)], [F(1), F(0), F(2)]]
    assert lp.solve_square(A, [F(5), F(3), F(7)]) == [F(1), F(2), F(3)]
    assert lp.solve_square([[F(2), F(1)], [F(1), F(3)]], [F(4), F(7)]) == [F(1), F(2)]
    for singular in ([[F(1), F(2)], [F(2), F(4)]], [[F(0), F(0)], [F(0), F(1)]]):
        with pytest.raises(ZeroDivisionError, match="^singular matrix$"):
            lp.solve_square(singular, [F(1), F(1)])


# --- Sturm root counting and isolation --------------------------------------------------------------------------------

def _poly(*roots):
    """Coefficients (highest first) of prod (t - r)."""
    p = [F(1)]
    for r in roots:
        p = [a - r * b for a, b in zip(p + [F(0)], [F(0)] + p)]
    return p


@pytest.mark.parametrize("t, expected", [(F(0), 3), (F(1), 2), (F(3, 2), 2), (F(2), 1), (F(3), 0), (F(10), 0),
                                         (F(-100), 3)])
def test_sturm_counts_distinct_roots_strictly_above(t, expected):
    assert lp.count_roots_above(_poly(1, 2, 3), t) == expected
    assert lp.count_roots_above(_poly(1, 1, 2, 3, 3, 3), t) == expected          # multiplicities do not count
    assert lp.count_roots_above([5 * c for c in _poly(1, 2, 3)], t) == expected  # nor a scale
    assert lp.count_roots_above([-c for c in _poly(1, 2, 3)], t) == expected     # nor the sign
    assert lp.count_roots_above([c / 10 for c in _poly(1, 2, 3)], t) == expected  # a small leading coefficient


def test_sturm_bound_covers_roots_far_out():
    assert lp.count_roots_above(_poly(5), F(0)) == 1 and lp.count_roots_above(_poly(5), F(5)) == 0
    assert lp.count_roots_above(_poly(-7, 40), F(-100)) == 2 and lp.count_roots_above(_poly(-7, 40), F(39)) == 1


def test_sturm_with_complex_roots_counts_only_real_ones():
    p = [F(1), F(-4), F(1), F(-4)]                                # (t - 4)(t^2 + 1)
    assert lp.count_roots_above(p, F(0)) == 1 and lp.count_roots_above(p, F(4)) == 0
    assert lp.count_roots_above(p, F(-5)) == 1

def test_sturm_when_a_remainder_drops_more_than_one_degree():
    # Leading zeros the long division leaves behind must be stripped one at a time.
    # (t + 1)^3 - 1 = t^3 + 3t^2 + 3t: rem(p, p') = -1 (degree 0 from a divisor of degree 2: one leading zero);
    # its real roots: 0 only (the others are complex).
    p = [F(1), F(3), F(3), F(0)]
    assert [lp.count_roots_above(p, t) for t in (F(-1), F(-1, 2), F(0), F(1))] == [1, 1, 0, 0]
    # t^4 + 1: rem(p, p') = 1 (degree 0 from a divisor of degree 3: two leading zeros); no real root
    assert [lp.count_roots_above([F(1), F(0), F(0), F(0), F(1)], t) for t in (F(-10), F(0))] == [0, 0]
    # t^4 - 1: roots -1 and 1
    assert [lp.count_roots_above([F(1), F(0), F(0), F(0), F(-1)], t) for t in (F(-2), F(0), F(1))] == [2, 1, 0]
    lo_, hi_ = lp.largest_root_interval(p, F(1, 10 ** 6))
    assert lo_ <= 0 <= hi_ and hi_ - lo_ <= F(1, 10 ** 6)



def test_largest_root_interval_isolates_the_largest_root():
    for roots, width in (((1, 2, 3), F(1, 10 ** 6)), ((-5, F(1, 3)), F(1, 10 ** 9)), ((2, 2, F(7, 3)), F(1, 100))):
        lo_, hi_ = lp.largest_root_interval(_poly(*roots), width)
        top = max(F(r) for r in roots)
        assert lo_ <= top <= hi_ and hi_ - lo_ <= width
        second = sorted({F(r) for r in roots})[-2] if len({F(r) for r in roots}) > 1 else None
        assert second is None or second < lo_
    lo_, hi_ = lp.largest_root_interval([c / 10 for c in _poly(-3, 40)], F(1, 10 ** 6))   # small lead, far root
    assert lo_ <= 40 <= hi_ and hi_ - lo_ <= F(1, 10 ** 6)
    lo_, hi_ = lp.largest_root_interval(_poly(40), F(1, 10 ** 6))                         # linear
    assert lo_ <= 40 <= hi_
    # a dyadic largest root met exactly by the bisection is returned as a point: t (t - 3), bound 4, mids 0, 2, 3
    assert lp.largest_root_interval(_poly(0, 3), F(1, 10 ** 6)) == (F(3), F(3))
    # with complex roots the Sturm sequence has sign changes at the bound itself: t (t - 3) (t^2 + 1), bound 4
    p = [F(1), F(-3), F(1), F(-3), F(0)]
    assert lp._sign_changes(lp.sturm_sequence(p), F(4)) == 1
    assert lp.largest_root_interval(p, F(1, 10 ** 6)) == (F(3), F(3))
    lo_, hi_ = lp.largest_root_interval([F(1), F(-5, 2), F(1), F(-5, 2), F(0)], F(1, 10 ** 6))   # t (t - 5/2) (t^2 + 1)
    assert lo_ <= F(5, 2) <= hi_ and hi_ - lo_ <= F(1, 10 ** 6)
    with pytest.raises(ArithmeticError, match="^no real root$"):
        lp.largest_root_interval([F(1), F(0), F(1)], F(1, 10))       # t^2 + 1
