"""The deep-linear checker's enclosure form (proofs/checker/balanced.py) on the reference certificate
mc_lb_ordinary_L3 (X = [[1, 2], [3, -1], [0, 2]], y = (1, 2, 3), w* = (69/89, 67/89), L = 3: ||w*||^(1/3) is
irrational, so the checker builds the balanced minimizer itself and decides on enclosures).

What an accepted certificate prints, each refusal with exactly the field and message a user reads, the margin's
radius cap and the verdict's comparisons at their exact boundaries. The numbers a refusal quotes are computed here
by another route: the closed form of the largest eigenvalue of a 2 x 2 matrix in mpmath at 60 digits, from
S = 2 ||w*||^(2-2/L) lambda_max(M0 Sigma), M0 = I + (L-1) w* w*^T / ||w*||^2 (docs/theory/deep_linear.md §4).
"""
from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

import strategies_certificates as S
from implicitreg.proofs.checker import balanced as B
from implicitreg.proofs.checker.check import check_certificate

F = Fraction
ORDINARY = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "mc_lb_ordinary_L3.json"
#: w* = (2, 0) is an eigenvector of Sigma = diag(1/2, 9/2) with mu = 1/2, but L mu = 3/2 < 9/2 = lambda_max(Sigma):
#: L a = 3/2 is an eigenvalue of M0 Sigma = diag(3/2, 9/2), not the largest one (S / S_LB = 3)
LOW_ROOT_X, LOW_ROOT_Y = [[1, 0], [0, 3]], [2, 0]
#: w* = (2, 0), Sigma = diag(2, 1/2): mu = 2, L mu = 6 >= 1/2, so lambda_max(M0 Sigma) = L a = 6 and S = S_LB
EIGEN_X, EIGEN_Y = [[2, 0], [0, 1]], [4, 0]


@pytest.fixture(scope="module")
def ordinary():
    return S.load(ORDINARY)


def _data(X, y):
    """Sigma = X^T X / n and w* (2 x 2, Cramer's rule), exact."""
    X = [[F(v) for v in row] for row in X]
    n = len(X)
    Sg = [[sum((X[k][i] * X[k][j] for k in range(n)), F(0)) / n for j in range(2)] for i in range(2)]
    b = [sum((X[k][i] * F(y[k]) for k in range(n)), F(0)) / n for i in range(2)]
    det = Sg[0][0] * Sg[1][1] - Sg[0][1] * Sg[1][0]
    w = [(b[0] * Sg[1][1] - Sg[0][1] * b[1]) / det, (Sg[0][0] * b[1] - Sg[1][0] * b[0]) / det]
    return Sg, w, n


def _truth(X, y, L):
    """The enclosed quantities by closed forms at 60 digits (another route than the checker's Sturm isolation)."""
    Sg, w, _ = _data(X, y)
    wn2 = w[0] ** 2 + w[1] ** 2
    a = sum((w[i] * Sg[i][j] * w[j] for i in range(2) for j in range(2)), F(0)) / wn2
    M0 = [[F(int(i == j)) + (L - 1) * w[i] * w[j] / wn2 for j in range(2)] for i in range(2)]
    Bm = [[sum((M0[i][k] * Sg[k][j] for k in range(2)), F(0)) for j in range(2)] for i in range(2)]
    tr, det = Bm[0][0] + Bm[1][1], Bm[0][0] * Bm[1][1] - Bm[0][1] * Bm[1][0]
    q = lambda v: mpmath.mpf(v.numerator) / v.denominator  # noqa: E731
    with mpmath.workdps(60):
        lam = (q(tr) + mpmath.sqrt(q(tr * tr - 4 * det))) / 2
        wn = mpmath.sqrt(q(wn2))
        c = wn ** (mpmath.mpf(1) / L)
        t_pow = wn ** (2 - mpmath.mpf(2) / L)
        v = {"w_norm": wn, "root": c, "S": 2 * t_pow * lam, "SLB": 2 * L * q(a) * t_pow,
             "W1": [c * q(wj) / wn for wj in w], "trace_B": tr, "a": a, "Sigma": Sg, "w": w}
        v["margin"], v["ratio"] = v["S"] - v["SLB"], v["S"] / v["SLB"]
    return v


@pytest.fixture(scope="module")
def truth():
    return _truth([[1, 2], [3, -1], [0, 2]], [1, 2, 3], 3)


def _not_inside(what, value):
    text = mpmath.nstr(value, 12)
    return f"the stated ball for {what} does not contain the computed enclosure [{text}, {text}]"


def _shifted(ball):
    """The ball moved by three radii: the same width, no longer containing the enclosure."""
    return {"mid": str(F(ball["mid"]) + 3 * F(ball["rad"])), "rad": ball["rad"]}


# --- the skeleton and the margin's cap, called directly ----------------------------------------------------------

@pytest.mark.parametrize("L", [2, 3, 5])
def test_skeleton_has_exactly_L_exact_factors(L):
    """W_1 = sigma_1 w*^T and W_k = sigma_k (k = 2..L) with r_1 = 1/||w*||^2 and r_k = 1: L factors, L scales."""
    R, r = B._balanced_skeleton([F(3), F(-4)], L)
    assert R == [[[F(3), F(-4)]]] + [[[F(1)]]] * (L - 1)
    assert r == [F(1, 25)] + [F(1)] * (L - 1)
    R, r = B._balanced_skeleton([3, 4], L)                 # integer entries: still exact rationals, no float
    assert type(r[0]) is Fraction and r[0] == F(1, 25) and len(r) == len(R) == L


@pytest.mark.parametrize("scale", [F(-1000), F(1, 1000)])
def test_margin_radius_cap_is_relative_to_S_at_its_exact_value(scale):
    """rad <= 10^-10 |S| (S may be negative only in a forgery: |S| counts): the cap itself is accepted, a hair more
    is refused with the field and message a user reads."""
    cap = F(1, 10 ** 10) * abs(scale)
    assert B._ball_scaled({"mid": "0", "rad": str(cap)}, "margin", scale) is None
    assert B._ball_scaled({"mid": "7", "rad": str(cap)}, "margin", scale) is None
    over = {"mid": "0", "rad": str(cap * (1 + F(1, 10 ** 30)))}
    S.raises_exactly("margin.rad", "ball radius above the maximum 1/10000000000 * |S|", B._ball_scaled, over, "margin",
                     scale)


# --- an accepted certificate: what it says ------------------------------------------------------------------------

MINIMIZER = ("minimizer: the balanced rank-one minimizer (W_1 = c w*^T/||w*||, W_k = c, c = ||w*||^(1/L)) has "
             "W_L ... W_1 = (c^L/||w*||) w*^T = w*^T exactly, so R(W) = R_min (a global minimizer)")
ENCLOSED = [
    "enclosures: ||w*||, c = ||w*||^(1/L) and every factor entry lie in the stated balls",
    "sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) with M = ||w*||^(2-2/L) M0, M0 exact (J J^T over the "
    "exact skeleton), lambda_max(M0 Sigma) by exact Sturm root isolation",
    "S_LB = 2 L a ||w*||^(2-2/L) (the table's formula) and S - S_LB enclosed in intervals, inside the stated balls"]


def test_the_accepted_certificate_says_what_was_proved(ordinary):
    lines = check_certificate(ordinary)
    assert lines[3:] == [MINIMIZER] + ENCLOSED + [
        "ratio: S / S_LB in [1.00217565532e+0, 1.00217565533e+0] (bound holds: lo(S) - hi(S_LB) > 0)"]


def test_an_equality_certificate_says_what_was_proved():
    """lambda_max(M0 Sigma) = L a = 6 proved exactly (mu = 2 from Sigma w* = 2 w*)."""
    from implicitreg.proofs import certify

    cert = certify.deep_linear_certificate(EIGEN_X, EIGEN_Y, 3)
    lines = check_certificate(cert)
    assert lines[3:] == [MINIMIZER] + ENCLOSED + [
        "equality: lambda_max(M0 Sigma) = L a = 6 exactly, so S = S_LB; w* is an eigenvector of Sigma (mu = 2) and "
        "L mu >= lambda_max(Sigma)",
        f"ratio: S / S_LB in [{cert['ratio']['lo']}, {cert['ratio']['hi']}] (attained: equality proved exactly)"]


def test_a_sharpness_ball_as_narrow_as_the_isolation_is_accepted(ordinary, truth):
    """lambda_max(M0 Sigma) is isolated to trace(M0 Sigma)/d * 10^-(dps-5) <= 10^-(dps-5) lambda_max: a ball of
    radius 10^-45 S (dps = 50) around the true S contains the checker's enclosure."""
    with mpmath.workdps(60):
        mid = mpmath.nstr(truth["S"], 58, min_fixed=1, max_fixed=0)
        rad = mpmath.nstr(truth["S"] / mpmath.mpf(10) ** 45, 3, min_fixed=1, max_fixed=0)
    assert check_certificate(S.rehash(S.edit(ordinary, ("sharpness",), {"mid": mid, "rad": rad})))


def test_isolation_width_is_trace_over_d_times_ten_to_five_minus_dps(ordinary, truth, monkeypatch):
    """The Sturm isolation is asked for width trace(M0 Sigma) / d / 10^(dps-5), trace(M0 Sigma) = trace(Sigma) +
    (L-1) a (here 19/3 + 2 a), and returns an interval that narrow, holding lambda_max."""
    asked = []

    def recording(poly, width):
        asked.append(width)
        return largest(poly, width)

    largest = B._largest_root
    monkeypatch.setattr(B, "_largest_root", recording)
    assert check_certificate(ordinary)
    trace = F(19, 3) + 2 * truth["a"]
    assert truth["trace_B"] == trace
    assert asked == [trace / 2 / 10 ** 45]
    asked.clear()
    assert check_certificate(S.rehash(S.edit(ordinary, ("tool", "checker_dps"), 61)))  # finer: the balls still hold
    assert asked == [trace / 2 / 10 ** 56]
    asked.clear()
    S.refusal(S.edit(ordinary, ("tool", "checker_dps"), 30))  # too coarse for the stated balls, refused after asking
    assert asked == [trace / 2 / 10 ** 25]


# --- refusals: one check each, exactly the field and message -----------------------------------------------------

@pytest.mark.parametrize("path, field, what, key", [
    (("balanced_minimizer", "w_norm"), "balanced_minimizer.w_norm", "||w*||", "w_norm"),
    (("balanced_minimizer", "root"), "balanced_minimizer.root", "c = ||w*||^(1/L)", "root"),
    (("balanced_minimizer", "factors", 0, 0, 1), "balanced_minimizer.factors[0][0][1]", "W_1[0, 1]", 1),
    (("balanced_minimizer", "factors", 0, 0, 0), "balanced_minimizer.factors[0][0][0]", "W_1[0, 0]", 0),
    (("balanced_minimizer", "factors", 1, 0, 0), "balanced_minimizer.factors[1][0][0]", "W_2[0, 0]", "root"),
    (("balanced_minimizer", "factors", 2, 0, 0), "balanced_minimizer.factors[2][0][0]", "W_3[0, 0]", "root"),
    (("sharpness",), "sharpness", "S = 2 ||w*||^(2-2/L) lambda_max(M0 Sigma)", "S"),
    (("bound", "value"), "bound.value", "S_LB", "SLB"),
    (("margin",), "margin", "S - S_LB", "margin"),
])
def test_each_enclosure_refusal_names_its_quantity_and_value(ordinary, truth, path, field, what, key):
    """Each ball moved off its enclosure is refused by its own check, which names the quantity and quotes the
    enclosure (computed here by the closed form)."""
    cert = S.edit(ordinary, path, _shifted(_at(ordinary, path)))
    value = truth["W1"][key] if isinstance(key, int) else truth[key]
    S.refused_exactly(cert, field, _not_inside(what, value))


def _at(cert, path):
    for k in path:
        cert = cert[k]
    return cert


def test_ratio_refusal_quotes_the_enclosure(ordinary, truth):
    lo_, hi_ = F(ordinary["ratio"]["lo"]), F(ordinary["ratio"]["hi"])
    moved = {"lo": str(hi_), "hi": str(hi_ + (hi_ - lo_))}
    text = mpmath.nstr(truth["ratio"], 15)
    S.refused_exactly(dict(copy.deepcopy(ordinary), ratio=moved), "ratio",
                      f"the certified ratio S/S_LB lies in [{text}, {text}], not inside the stated "
                      f"[{moved['lo']}, {moved['hi']}]")


def test_the_margin_radius_is_capped_by_S(ordinary, truth):
    """The margin S - S_LB may be 0, so its radius is capped by 10^-10 |S|, not by its own mid."""
    wide = {"mid": ordinary["margin"]["mid"], "rad": "1.893e-9"}  # > 10^-10 S = 1.8927e-9
    S.refused_exactly(S.edit(ordinary, ("margin",), wide), "margin.rad",
                      "ball radius above the maximum 1/10000000000 * |S|")
    fits = {"mid": ordinary["margin"]["mid"], "rad": "1.892e-9"}  # 100 x its mid's cap 4.1e-12: still accepted
    assert check_certificate(S.rehash(S.edit(ordinary, ("margin",), fits)))


@pytest.mark.parametrize("path, value, field, message", [
    (("bound", "name"), "S_UB", "bound.name", "'S_UB' is not a bound of this theorem (known: ['S_LB'])"),
    (("bound", "side"), "upper", "bound.side", "the bound 'S_LB' is a 'lower' bound, not 'upper'"),
    (("bound", "expr"), "2*L*a*w_norm**(2-2/L)*(1 - 1/10)", "bound.expr",
     "is not the formula of 'S_LB': expected 2*L*a*w_norm**(2 - 2/L)"),
])
def test_the_bound_must_be_the_tables_formula(ordinary, path, value, field, message):
    S.refused_exactly(S.edit(ordinary, path, value), field, message)


def test_factor_count_and_shape(ordinary):
    factors = ordinary["balanced_minimizer"]["factors"]
    S.refused_exactly(S.edit(ordinary, ("balanced_minimizer", "factors"), factors + [factors[1]]),
                      "balanced_minimizer.factors", "expected L = 3 factors W_1 .. W_L")
    S.refused_exactly(S.edit(ordinary, ("balanced_minimizer", "factors"), factors[:2]),
                      "balanced_minimizer.factors", "expected L = 3 factors W_1 .. W_L")
    # W_2 is 1 x 1; a second column (even one holding c again) is refused, not ignored
    S.refused_exactly(S.edit(ordinary, ("balanced_minimizer", "factors", 1, 0), factors[1][0] * 2),
                      "balanced_minimizer.factors[1]", "expected a 1 x 1 matrix")
    S.refused_exactly(S.edit(ordinary, ("balanced_minimizer", "factors", 0, 0), factors[0][0][:1]),
                      "balanced_minimizer.factors[0]", "expected a 1 x 2 matrix")
    S.refused_exactly(S.edit(ordinary, ("balanced_minimizer", "factors", 0, 0), factors[0][0] * 2),
                      "balanced_minimizer.factors[0]", "expected a 1 x 2 matrix")


# --- the equality claim -------------------------------------------------------------------------------------------

EQ = {"family": "lambda_max(B) = L a exactly", "provenance": {"kind": "derived", "source": "x"}}


def test_an_equality_claim_must_name_L_a(ordinary, truth):
    """L a = 3 a with a = w*^T Sigma w* / ||w*||^2 (exact); any other value, however close, is refused first."""
    La = 3 * truth["a"]
    for lam in (La + F(1, 10 ** 30), F(1), La * 2):
        cert = dict(copy.deepcopy(ordinary), equality=dict(EQ, lambda_max=str(lam)))
        S.refused_exactly(cert, "equality.lambda_max", "is not L a: S = S_LB would not follow")


def test_L_a_must_be_the_largest_eigenvalue_not_just_one():
    """w* = (2, 0) is an eigenvector (mu = 1/2) and L a = 3/2 an eigenvalue of M0 Sigma = diag(3/2, 9/2), but not the
    largest: the equality claim is refused by the root count, before the family hypotheses are looked at."""
    from implicitreg.proofs import certify

    cert = certify.deep_linear_certificate(LOW_ROOT_X, LOW_ROOT_Y, 3)
    assert "equality" not in cert and check_certificate(cert)
    forged = dict(copy.deepcopy(cert), equality=dict(EQ, lambda_max="3/2"))
    S.refused_exactly(forged, "equality.lambda_max", "L a is not the largest eigenvalue of M0 Sigma: S != S_LB")


def test_the_equality_value_is_read_by_the_check_itself(ordinary, truth):
    """Called directly (no schema in front), an unreadable lambda_max is refused with the field it came from."""
    cert = dict(copy.deepcopy(ordinary), equality=dict(EQ, lambda_max="1/0"))
    S.raises_exactly("equality.lambda_max", "zero denominator in '1/0'", B._check_deep_balanced, cert, [],
                     truth["Sigma"], truth["w"], 3, 2, 3)


# --- the verdict at its boundaries (enclosure ends planted) ------------------------------------------------------

def _plant_ends(monkeypatch, s_ends, b_ends):
    calls = iter([s_ends, b_ends])
    monkeypatch.setattr(B, "endpoints", lambda x: next(calls))


def test_verdict_needs_lo_S_strictly_above_hi_SLB(ordinary, monkeypatch):
    """lo(S) = hi(S_LB) exactly decides nothing (the enclosures touch); one ulp of 10^-40 above decides."""
    _plant_ends(monkeypatch, (F(10), F(19)), (F(5), F(10)))
    S.refused_exactly(ordinary, "margin", "the enclosures of S and S_LB overlap: the lower bound 'S_LB' is not decided "
                                          "(and equality is not proved)")
    _plant_ends(monkeypatch, (F(10) + F(1, 10 ** 40), F(19)), (F(5), F(10)))
    assert check_certificate(ordinary)[-1].endswith("(bound holds: lo(S) - hi(S_LB) > 0)")


def test_violation_needs_hi_S_strictly_below_lo_SLB(ordinary, monkeypatch):
    _plant_ends(monkeypatch, (F(9), F(10)), (F(10), F(11)))   # hi(S) = lo(S_LB): touching, not a violation
    S.refused_exactly(ordinary, "margin", "the enclosures of S and S_LB overlap: the lower bound 'S_LB' is not decided "
                                          "(and equality is not proved)")
    _plant_ends(monkeypatch, (F(9), F(10)), (F(10) + F(1, 10 ** 40), F(11)))
    S.refused_exactly(ordinary, "margin", "the lower bound 'S_LB' is violated here: hi(S) < lo(S_LB)")


def test_the_skeleton_product_is_checked_before_use(ordinary, monkeypatch):
    """A skeleton whose product is not w*^T (R_1 doubled), or whose scales do not multiply to 1/||w*||^2 (r_1
    doubled), is refused as an internal error: either one alone suffices."""
    skeleton = B._balanced_skeleton
    for which in (0, 1):
        def broken(w, L, which=which):
            R, r = skeleton(w, L)
            if which == 0:
                R[0] = [[2 * v for v in R[0][0]]]
            else:
                r[0] = 2 * r[0]
            return R, r
        monkeypatch.setattr(B, "_balanced_skeleton", broken)
        S.refused_exactly(ordinary, "balanced_minimizer", "internal: the skeleton's product is not w*^T")
