"""The checker's acceptance functions at their boundaries, and forgeries that exactly one check can reject.

Complements tests/test_checker_attacks.py (hostile files): here every decision of proofs/checker is exercised on
both sides of its threshold (a widest allowed ball is accepted, one a hair wider is refused; a ratio enclosure
touching 1 from the right side is decided, one straddling 1 is not), and each forged certificate is built from a
reference certificate with the hash recomputed so that only one check can reject it (the expected field and
message come from the forgery's construction, never from the checker's output). Mutation testing
(tools/mutation.py, docs/mutation.md) measures that a planted bug in any of these checks is noticed.
"""
from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest
import mpmath
from mpmath import iv

import strategies_certificates as S
from implicitreg.proofs.checker import check as C
from implicitreg.proofs.checker import lp
from implicitreg.proofs.checker import verdicts as V
from implicitreg.proofs.checker.check import CheckFailure, check_certificate
from implicitreg.proofs.checker.interval import endpoints, hull, point, precision
from implicitreg.proofs.checker.verdicts import _ball, _ratio, _verdict

F = Fraction
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "proofs" / "reference_certificates"


@pytest.fixture(scope="module")
def refs() -> dict[str, dict]:
    return {p.stem: S.load(p) for p in sorted(REFERENCE.glob("*.json"))}


def refused(cert, field, message=None, use_sympy=None):
    """Rejected (hash recomputed by the forger) at exactly ``field``, with ``message`` in the message."""
    exc = S.refusal(cert, use_sympy)
    assert exc.field == field, (exc.field, exc.message)
    if message:
        assert message in exc.message, exc.message
    return exc


edit = S.edit


def ball(mid, rad):
    return {"mid": str(mid), "rad": str(rad)}


# --- balls: the widest allowed radius is accepted, anything wider refused --------------------------------------------

@pytest.mark.parametrize("mid", [F(3), F(-3), F(1, 4), F(-1, 4)])
def test_box_radius_is_relative_to_max_one_and_the_centre(mid):
    cap = F(1, 10 ** 20) * max(1, abs(mid))            # docs/certificates.md (by hand, not the checker's constant)
    assert _ball(ball(mid, cap), "nu", nu=True) == (mid - cap, mid + cap)
    with pytest.raises(CheckFailure, match="box radius above") as info:
        _ball(ball(mid, cap + F(1, 10 ** 60)), "nu", nu=True)
    assert info.value.field == "nu.rad"


@pytest.mark.parametrize("mid", [F(3), F(-3), F(1, 4)])
def test_ball_radius_is_relative_to_the_midpoint(mid):
    cap = F(1, 10 ** 10) * abs(mid)                    # docs/certificates.md (by hand, not the checker's constant)
    assert _ball(ball(mid, cap), "x") == (mid - cap, mid + cap)
    with pytest.raises(CheckFailure, match="ball radius above") as info:
        _ball(ball(mid, cap + F(1, 10 ** 60)), "x")
    assert info.value.field == "x.rad"


def test_a_ball_around_zero_must_have_radius_zero():
    assert _ball(ball(0, 0), "x") == (0, 0)
    with pytest.raises(CheckFailure, match="ball radius above"):
        _ball(ball(0, "1e-300"), "x")


# --- ratio intervals -------------------------------------------------------------------------------------------------

def _enclosure(clo, chi):
    """An interval with exactly these (dyadic) ends and those ends as Fractions."""
    with precision(40):
        x = hull(point(clo), point(chi))
        return x, endpoints(x)


def _ratio_of(computed, rlo, rhi):
    with precision(40):
        return _ratio(computed, {"lo": str(rlo), "hi": str(rhi)}, "r", "e/b")


def test_ratio_interval_accepts_its_own_endpoints_and_its_widest_width():
    w = F(1, 10 ** 9)                                   # docs/certificates.md (by hand)
    x, (clo, chi) = _enclosure(F(1, 2) - F(1, 2 ** 40), F(1, 2))
    assert (clo, chi) == (F(1, 2) - F(1, 2 ** 40), F(1, 2))
    assert _ratio_of(x, clo, chi) == (clo, chi)                       # the enclosure itself, endpoints included
    assert _ratio_of(x, chi - w * chi, chi) == (clo, chi)             # exactly the widest interval
    with pytest.raises(CheckFailure, match="wider than") as info:
        _ratio_of(x, chi - w * chi - F(1, 10 ** 40), chi)
    assert info.value.field == "r"


@pytest.mark.parametrize("rlo", [F(0), F(-1, 2)])
def test_ratio_lower_end_must_be_positive(rlo):
    x, _ = _enclosure(F(1, 2), F(1, 2))
    with pytest.raises(CheckFailure) as info:
        _ratio_of(x, rlo, F(1, 2))
    assert (info.value.field, info.value.message) == ("r.lo", "a ratio claim needs a positive lower end")


def test_ratio_ends_must_be_exact_numbers():
    x, _ = _enclosure(F(1, 2), F(1, 2))
    for r, field in (({"lo": "x", "hi": "1/2"}, "r.lo"), ({"lo": "1/2", "hi": 0.5}, "r.hi")):
        with pytest.raises(CheckFailure) as info:
            with precision(40):
                _ratio(x, r, "r", "e/b")
        assert info.value.field == field


def test_ratio_interval_must_contain_the_enclosure_on_both_sides():
    x, (clo, chi) = _enclosure(F(1, 2) - F(1, 2 ** 40), F(1, 2))
    eps = F(1, 10 ** 30)
    for rlo, rhi in ((clo + eps, chi), (clo, chi - eps)):     # the enclosure sticks out below, above
        with pytest.raises(CheckFailure, match="not inside the stated") as info:
            _ratio_of(x, rlo, rhi)
        assert info.value.field == "r"
    # the refusal prints the computed enclosure to 15 digits: [1/2 - 2^-40, 1/2] = [0.499999999999091, 0.5]
    with pytest.raises(CheckFailure) as info:
        _ratio_of(x, F(1, 2), F(1, 2))
    assert info.value.message == ("the certified ratio e/b lies in [0.499999999999091, 0.5], not inside the stated "
                                  "[1/2, 1/2]")
    y, _ = _enclosure(F(1, 3) - F(1, 2 ** 60), F(1, 3) + F(1, 2 ** 60))     # 16 digits would print one more 3
    with pytest.raises(CheckFailure) as info:
        _ratio_of(y, F(1, 3), F(1, 3) + F(1, 10 ** 12))
    assert info.value.message == ("the certified ratio e/b lies in [0.333333333333333, 0.333333333333333], not "
                                  "inside the stated [1/3, 1000000000003/3000000000000]")


def test_unbounded_ratio_enclosure_is_refused():
    with precision(40):
        with pytest.raises(CheckFailure) as info:
            _ratio(iv.mpf(["-inf", "inf"]), {"lo": "1/2", "hi": "1/2"}, "r", "e/b")
    assert (info.value.field, info.value.message) == ("r", "the computed enclosure of e/b is unbounded")


def test_inside_checks_the_ball_then_containment_naming_the_quantity():
    x, (clo, chi) = _enclosure(F(1, 2) - F(1, 2 ** 40), F(1, 2))
    mid, rad = (clo + chi) / 2, (chi - clo) / 2                                 # rad = 2^-41 << 10^-10 |mid|
    with precision(40):
        V._inside(x, ball(mid, rad), "c", "x_1")                               # exactly the enclosure: accepted
        with pytest.raises(CheckFailure) as info:
            V._inside(x, ball(mid, rad / 2), "c", "x_1")
        assert (info.value.field, info.value.message) == (
            "c", "the stated ball for x_1 does not contain the computed enclosure [0.499999999999, 0.5]")
        with pytest.raises(CheckFailure) as info:
            V._inside(iv.mpf(["0", "inf"]), ball(mid, rad), "c", "x_1")
        assert (info.value.field, info.value.message) == ("c", "the computed enclosure of x_1 is unbounded")
        with pytest.raises(CheckFailure, match="ball radius above") as info:           # the ball's own limit first
            V._inside(x, ball(mid, F(1, 10 ** 9)), "c", "x_1")
        assert info.value.field == "c.rad"


# --- verdicts: decided at 1 exactly, refused when straddling -----------------------------------------------------------

def test_verdicts_at_the_boundary_one():
    one = F(1)
    assert _verdict("upper", "b", F(1, 2), one, "r") == " (bound holds)"          # ratio <= 1 for sure
    assert _verdict("lower", "b", one, F(3, 2), "r") == " (bound holds)"          # ratio >= 1 for sure
    assert _verdict("limit", "b", F(5), F(6), "r") == ""                          # a limit claims no side
    assert _verdict("upper", "b", F(5), F(6), "r", equality=True) == " (attained: equality proved exactly)"
    for side, clo, chi, words in (("upper", one, F(3, 2), "not decided"),     # touches 1 from above: undecided
                                  ("lower", F(1, 2), one, "not decided"),
                                  ("upper", F(11, 10), F(3, 2), "'b' is violated"),
                                  ("lower", F(1, 2), F(9, 10), "'b' is violated"),
                                  ("sideways", F(1, 2), F(9, 10), "not decided")):
        with pytest.raises(CheckFailure, match=words) as info:
            _verdict(side, "b", clo, chi, "r")
        assert info.value.field == "r"
        assert side in info.value.message
    with pytest.raises(CheckFailure) as info:
        _verdict("upper", "b", one, F(3, 2), "r")
    assert info.value.message == ("the ratio enclosure contains 1: the upper bound 'b' is not decided (and equality "
                                  "is not proved)")
    with pytest.raises(CheckFailure) as info:
        _verdict("lower", "b", F(1, 2), F(9, 10), "r")
    assert info.value.message == "the lower bound 'b' is violated here"


# --- deep linear networks (exact form): each check alone -----------------------------------------------------------------

DEEP = "mc_lb_equality_L3"      # X = [[6/5, 8/5], [-4/5, 3/5]], y = (16, 0), w* = (24/5, 32/5), L = 3, S = S_LB = 192


@pytest.mark.parametrize("path, value, field, words", [
    (("instance", "X"), [["1", "2"], ["2", "4"]], "instance.X", "singular"),
    (("w_star",), ["24/5", "33/5"], "w_star", "normal equations"),
    (("minimizer", 0), [["6/5", "8/5", "0"], ["0", "0", "0"]], "minimizer", "W_1 must have d columns"),
    (("minimizer", 2), [["2", "0"], ["0", "0"]], "minimizer", "W_L one row"),
    (("minimizer", 1), [["2", "0", "0"], ["0", "0", "0"]], "minimizer[1]", "shapes do not chain"),
    (("minimizer", 0, 0, 1), "9/5", "minimizer", "not a global minimizer"),
    (("sharpness",), {"mid": "192.000000001", "rad": "1e-20"}, "sharpness", "does not contain"),
    (("bound", "value"), {"mid": "193", "rad": "1e-20"}, "bound.value", "does not contain"),
    (("ratio",), {"lo": "1.00000000001", "hi": "1.00000000002"}, "ratio", "not inside the stated"),
    (("equality", "S_LB"), "191", "equality.S_LB", "is not 2 L a"),
])
def test_deep_linear_forgery_rejected_by_one_check(refs, path, value, field, words):
    refused(edit(refs[DEEP], path, value), field, words)


def test_deep_linear_structure_forgeries(refs):
    cert = edit(refs[DEEP], ("instance", "y"), ["0", "0"])
    cert["w_star"] = ["0", "0"]                                       # solves the normal equations for y = 0
    refused(cert, "w_star", "w* = 0")
    refused(edit(refs[DEEP], ("minimizer",), refs[DEEP]["minimizer"][:2]), "minimizer", "expected L = 3 matrices")
    cert = copy.deepcopy(refs[DEEP])
    del cert["equality"]                                              # S = S_LB without the exact proof: undecided
    refused(cert, "ratio", "not decided")


@pytest.fixture(scope="module")
def equality_args(refs):
    """The arguments _check_deep_linear passes to _check_equality on the genuine certificate."""
    from implicitreg.proofs.checker import deep_linear

    seen = {}
    real = deep_linear._check_equality

    def spy(*args):
        seen["args"] = args
        return real(*args)

    deep_linear._check_equality = spy
    try:
        check_certificate(refs[DEEP])
    finally:
        deep_linear._check_equality = real
    return seen["args"]


def _equality(args, **changes):
    names = ("eq", "L", "Sigma", "w", "wn2", "a_ray", "poly", "SLB", "out")
    kw = dict(zip(names, args), out=[])
    kw.update(changes)
    with precision(50):
        V._check_equality(*(kw[n] for n in names))
    return kw["out"]


def _equality_refused(args, message, **changes):
    with pytest.raises(CheckFailure) as info:
        _equality(args, **changes)
    assert (info.value.field, info.value.message) == ("equality.S_LB", message)


NOT_FORMULA = "is not 2 L a ||w*||^(2-2/L)"
NOT_VALUE = "is not the value of the bound's formula"
NOT_LARGEST = "S_LB / 2 is not the largest eigenvalue of M Sigma: S != S_LB"


def test_equality_proof_each_step_alone(equality_args):
    eq, L, Sigma, w, wn2, a_ray, poly, SLB, _ = equality_args
    assert (L, wn2, eq["S_LB"]) == (3, 64, "192")
    mu = lp.matvec(Sigma, w)[0] / w[0]
    assert _equality(equality_args) == [f"equality: S = S_LB = 192 exactly; w* is an eigenvector of Sigma (mu = {mu}) "
                                        "and L mu >= lambda_max(Sigma)"]
    # S_LB < 0 at even L passes the power identity ((-x)^2 = x^2): only the sign test refuses it. L = 2: 2 L a ||w*||
    _equality_refused(equality_args, NOT_FORMULA, eq={"S_LB": str(-(4 * a_ray * 8))}, L=2)
    _equality_refused(equality_args, NOT_FORMULA, eq={"S_LB": "0"})
    _equality_refused(equality_args, NOT_FORMULA, eq={"S_LB": "191"})
    with pytest.raises(CheckFailure) as info:
        _equality(equality_args, eq={"S_LB": "1/0"})               # not a number: refused at its field
    assert info.value.field == "equality.S_LB"
    # the stated S_LB must lie in the enclosure of the bound's formula
    _equality_refused(equality_args, NOT_VALUE, SLB=SLB + 1)
    _equality_refused(equality_args, NOT_VALUE, SLB=SLB - 1)
    # S_LB / 2 = 96 must be a root of det(t I - M Sigma) and the largest: a larger root (t - 1000), or no root at 96
    t_minus_1000 = [a - 1000 * b for a, b in zip(list(poly) + [F(0)], [F(0)] + list(poly))]
    _equality_refused(equality_args, NOT_LARGEST, poly=t_minus_1000)
    _equality_refused(equality_args, NOT_LARGEST, poly=[F(1), F(-95)])    # t - 95: 96 is no root (and none above)


def test_equality_proof_on_a_small_exact_instance():
    """d = 1, L = 2, Sigma = 1/8, w* = 1/4: a = 1/8, S_LB = 2 L a ||w*|| = 1/8 exactly, M Sigma has the single eigenvalue
    1/16 = S_LB / 2, L mu = 1/4 >= 1/8: equality holds. S_LB below 1 and a point enclosure (both ends = S_LB) are
    legitimate; an extra eigenvalue between S_LB / 2 and 2 S_LB is not."""
    eq, SLB = {"S_LB": "1/8"}, point(F(1, 8))
    args = (eq, 2, [[F(1, 8)]], [F(1, 4)], F(1, 16), F(1, 8), [F(1), F(-1, 16)], SLB, [])
    with precision(50):
        assert endpoints(SLB) == (F(1, 8), F(1, 8))
    assert "S = S_LB = 1/8 exactly" in _equality(args)[0]
    two_roots = [F(1), F(-1, 16) - F(1, 10), F(1, 160)]             # (t - 1/16)(t - 1/10)
    _equality_refused(args, NOT_LARGEST, poly=two_roots)


def test_equality_family_hypotheses():
    Sigma = [[F(1), F(0)], [F(0), F(3)]]
    assert V._equality_family(Sigma, [F(2), F(0)], 3) == 1            # L mu = 3 = lambda_max: allowed
    assert V._equality_family(Sigma, [F(0), F(-2)], 2) == 3           # first nonzero entry is not the first entry
    with pytest.raises(CheckFailure) as info:
        V._equality_family(Sigma, [F(2), F(0)], 2)                    # 2 < 3
    assert (info.value.field, info.value.message) == ("equality", "L mu < lambda_max(Sigma) (equality-family hypothesis)")
    with pytest.raises(CheckFailure) as info:
        V._equality_family(Sigma, [F(1), F(1)], 5)
    assert (info.value.field, info.value.message) == ("equality",
                                                      "w* is not an eigenvector of Sigma (equality-family hypothesis)")


# --- reading exact numbers and balls (proofs/checker/interval.py) ------------------------------------------------------

def _fails(field, words, fn, *args):
    with pytest.raises(CheckFailure) as info:
        fn(*args)
    assert info.value.field == field, (info.value.field, info.value.message)
    assert words in info.value.message, info.value.message
    assert str(info.value) == f"{field}: {info.value.message}"


# --- Krawczyk and the interval link functions (proofs/checker/krawczyk.py) ----------------------------------------------

def _encloses(x, value, width):
    from implicitreg.proofs.checker.interval import hi as ihi, lo as ilo

    return ilo(x) <= value <= ihi(x) and ihi(x) - ilo(x) < width


@pytest.mark.parametrize("depth", [F(2), F(3), F(5, 2)])
def test_interval_links_enclose_their_closed_forms(depth):
    from implicitreg.proofs.checker import krawczyk as K

    with precision(40):
        mp = mpmath.mp
        for zq in (F(3, 10), F(-1, 2)):
            z = mp.mpf(zq.numerator) / zq.denominator
            if depth == 2:
                phi, dphi, H = 2 * mp.sinh(z), 2 * mp.cosh(z), 2 * mp.cosh(z) - 2
            else:
                e = mp.mpf(depth.numerator) / (depth.numerator - 2 * depth.denominator)   # D / (D - 2)
                phi = (1 - z) ** -e - (1 + z) ** -e
                dphi = e * ((1 - z) ** (-e - 1) + (1 + z) ** (-e - 1))
                g = 2 / (mp.mpf(depth.numerator) / depth.denominator - 2)
                H = (1 / g) * ((1 - z) ** -g + (1 + z) ** -g - 2)
            Z = point(zq)
            assert _encloses(K.link(depth)(Z), phi, mp.mpf(10) ** -35)
            assert _encloses(K.link_derivative(depth)(Z), dphi, mp.mpf(10) ** -35)
            assert _encloses(K.dual_potential(depth)(Z), H, mp.mpf(10) ** -35)
        if depth != 2:
            for f in (K.link(depth), K.link_derivative(depth), K.dual_potential(depth)):
                with pytest.raises(ArithmeticError):
                    f(iv.mpf(["0.5", "1"]))
                with pytest.raises(ArithmeticError):
                    f(iv.mpf(["-1", "0"]))


def test_dual_potential_inverse_encloses_the_inverse():
    from implicitreg.proofs.checker import krawczyk as K

    with precision(40):
        for depth in (F(3), F(4)):
            H = K.dual_potential(depth)
            for zq in (F(1, 5), F(9, 10)):      # not 0: mpmath's iv.exp is not rigorous there (FINDINGS.md)
                target = H(point(zq))
                inv = K.dual_potential_inverse(depth, target)
                z = mpmath.mpf(zq.numerator) / zq.denominator
                from implicitreg.proofs.checker.interval import hi as ihi, lo as ilo
                assert ilo(inv) <= z <= ihi(inv) and ihi(inv) - ilo(inv) < mpmath.mpf(10) ** -30, (depth, zq)
        with pytest.raises(ArithmeticError, match="negative"):
            K.dual_potential_inverse(F(3), iv.mpf(["-0.1", "0.1"]))


def test_krawczyk_on_two_dual_equations():
    """A = [[1, 1/2, 0], [0, 1, 2]], y = (1, 1), D = 2: the root found by mpmath.findroot (an independent solver) is
    proved; a box shifted in one coordinate, or for another alpha, is refused naming that coordinate's field."""
    from implicitreg.proofs.checker.interval import hi as ihi, lo as ilo, to_fraction
    from implicitreg.proofs.checker.krawczyk import krawczyk

    A = [[F(1), F(1, 2), F(0)], [F(0), F(1), F(2)]]
    y = [F(1), F(1)]
    alpha = F(1, 1000)
    with mpmath.workdps(60):
        Am = [[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in A]
        a = mpmath.mpf(1) / 1000

        def F_(n0, n1):
            x = [2 * a * mpmath.sinh(Am[0][j] * n0 + Am[1][j] * n1) for j in range(3)]
            return [sum(Am[i][j] * x[j] for j in range(3)) - 1 for i in range(2)]

        root = mpmath.findroot(F_, (mpmath.mpf(5), mpmath.mpf(2)))
        centre = [to_fraction(root[0]), to_fraction(root[1])]
    rad = [F(1, 10 ** 30)] * 2
    with precision(60):
        Kx = krawczyk(A, y, point(alpha), F(2), centre, rad, "nu")
        for i in range(2):
            assert ilo(Kx[i]) <= root[i] <= ihi(Kx[i])
        for i in range(2):
            moved = list(centre)
            moved[i] += 10 * rad[i]
            with pytest.raises(CheckFailure, match="Krawczyk test failed") as info:
                krawczyk(A, y, point(alpha), F(2), moved, rad, "nu")
            assert info.value.field in ("nu[0]", "nu[1]")
        with pytest.raises(CheckFailure, match="Krawczyk test failed"):
            krawczyk(A, y, point(alpha * F(1001, 1000)), F(2), centre, rad, "nu")
        with pytest.raises(CheckFailure, match="singular") as info:
            krawczyk([[F(1), F(1)], [F(1), F(1)]], [F(1), F(1)], point(alpha), F(2), [F(0), F(0)], rad, "nu")
        assert info.value.field == "nu"


# --- the entry point: every refusal path names its field ----------------------------------------------------------------

@pytest.mark.parametrize("exc, field, words", [
    (RecursionError("deep"), "(budget)", "nesting too deep: refused"),
    (MemoryError(), "(budget)", "out of memory: refused"),
    (ZeroDivisionError("division by zero"), "(arithmetic)", "ZeroDivisionError: division by zero"),
    (KeyError("x"), "(structure)", "malformed certificate (KeyError: 'x')"),
    (TypeError("t"), "(structure)", "malformed certificate (TypeError: t)"),
    (IndexError("i"), "(structure)", "malformed certificate (IndexError: i)"),
    (AttributeError("a"), "(structure)", "malformed certificate (AttributeError: a)"),
    (ValueError("v"), "(structure)", "malformed certificate (ValueError: v)"),
])
def test_check_certificate_turns_every_failure_into_a_refusal(refs, monkeypatch, exc, field, words):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(C, "_check_diagonal", boom)
    monkeypatch.setattr(C, "_check_deep_linear", boom)
    for name in ("ms_d2_row_r1_2", DEEP):
        with pytest.raises(CheckFailure) as info:
            check_certificate(refs[name])
        assert (info.value.field, info.value.message) == (field, words)


def test_check_certificate_dispatches_by_kind_and_checks_the_hash_first(refs, monkeypatch):
    calls = []
    monkeypatch.setattr(C, "_check_diagonal", lambda cert, out, use_sympy: calls.append(("diagonal", use_sympy)))
    monkeypatch.setattr(C, "_check_deep_linear", lambda cert, out: calls.append(("deep", None)))
    out = check_certificate(refs["ms_d2_row_r1_2"], use_sympy=False)
    assert calls == [("diagonal", False)]
    assert out[0] == "content hash matches (sha256 of the canonical JSON)" and out[1].startswith("theorem MS-D2 [")
    check_certificate(refs[DEEP])
    assert calls[-1] == ("deep", None)
    for bad in ([], "x", None):
        with pytest.raises(CheckFailure) as info:
            check_certificate(bad)
        assert info.value.field == "(top level)"
    for sha in (None, 5, "0" * 64):
        cert = dict(refs[DEEP], sha256=sha)
        if sha is None:
            del cert["sha256"]
        with pytest.raises(CheckFailure, match="content hash mismatch") as info:
            check_certificate(cert)
        assert info.value.field == "sha256"
    assert len(calls) == 2                          # nothing was checked past a refused hash


def test_check_certificate_budget_default_and_off(refs, monkeypatch):
    seen = []
    real = C.deadline

    def spy(seconds):
        seen.append(seconds)
        return real(seconds)

    monkeypatch.setattr(C, "deadline", spy)
    check_certificate(refs[DEEP])
    check_certificate(refs[DEEP], time_limit=None)
    assert seen == [C.TIME_LIMIT]


# --- the checker's theorem table (proofs/checker/theorems.py) -------------------------------------------------------------

def test_theorem_table_by_name_and_depth():
    from implicitreg.proofs.checker import theorems as T

    assert set(T.diagonal_bounds("MS-D2", F(2))) == {"tightness scale", "upper_l1", "lower_inf"}
    assert T.diagonal_bounds("MS-D3", F(5, 2))["upper_l1"] == ("upper", "l1", "alpha_product*n*(K2 + 1)*h(M0)")
    assert T.diagonal_bounds("kink", F(2))["tightness scale"][2] == "sqrt(1 + rho**2)*alpha_product**(1 - rho)"
    assert T.diagonal_bounds("kink", F(3))["tightness scale"][2] == "sqrt(1 + rho**2)*h(rho)*alpha_product"
    for theorem, depth, field, words in (("MS-D2", F(3), "depth", "MS-D2 is the depth-2 theorem"),
                                         ("MS-D3", F(2), "depth", "MS-D3 needs depth D > 2"),
                                         ("MS-D3", F(1), "depth", "MS-D3 needs depth D > 2"),
                                         ("MS-D9", F(2), "theorem.name", "unknown theorem 'MS-D9'"),
                                         ("M" * 100, F(2), "theorem.name", f"unknown theorem {'M' * 40!r}")):
        _fails(field, words, T.diagonal_bounds, theorem, depth)
        with pytest.raises(CheckFailure) as info:
            T.diagonal_bounds(theorem, depth)
        assert info.value.message == words          # the refusal says exactly which hypothesis failed


def test_bind_accepts_only_the_table_entry():
    from implicitreg.proofs.checker import grammar, theorems as T

    table = T.diagonal_bounds("MS-D3", F(3))
    tree = T.bind("lower_inf", "lower", "linf", "alpha_product * h( rho_minus )", table, "b")   # spacing is free
    assert tree == grammar.parse("alpha_product*h(rho_minus)", T.DIAGONAL_SYMBOLS, T.LINK)
    _fails("b.name", "'upper' is not a bound of this theorem", T.bind, "upper", "lower", "linf", "x", table, "b")
    _fails("b.side", "is a 'lower' bound, not 'upper'", T.bind, "lower_inf", "upper", "linf",
           "alpha_product*h(rho_minus)", table, "b")
    _fails("b.norm", "measures linf, not l1", T.bind, "lower_inf", "lower", "l1", "alpha_product*h(rho_minus)",
           table, "b")
    _fails("b.expr", "is not the formula of 'lower_inf'", T.bind, "lower_inf", "lower", "linf",
           "alpha_product*h(rho)", table, "b")
    _fails("b.expr", "cannot parse the expression", T.bind, "lower_inf", "lower", "linf", "alpha_product*(", table,
           "b")
    _fails("b.expr", "cannot parse the expression", T.bind, "lower_inf", "lower", "linf", "L*h(rho_minus)", table,
           "b")                                                   # a deep-linear symbol in a diagonal bound
    # the refusals, word for word (a forger reads them to learn which field failed and why)
    for args, message in (
            (("upper", "lower", "linf", "x"),
             "'upper' is not a bound of this theorem (known: ['lower_inf', 'tightness scale', 'upper_l1'])"),
            (("u" * 100, "lower", "linf", "x"),
             f"{'u' * 60!r} is not a bound of this theorem (known: ['lower_inf', 'tightness scale', 'upper_l1'])"),
            (("lower_inf", "upper", "linf", "alpha_product*h(rho_minus)"),
             "the bound 'lower_inf' is a 'lower' bound, not 'upper'"),
            (("lower_inf", "lower", "l1", "alpha_product*h(rho_minus)"), "the bound 'lower_inf' measures linf, not l1"),
            (("lower_inf", "lower", "linf", "alpha_product*h(rho)"),
             "is not the formula of 'lower_inf': expected alpha_product*h(rho_minus)")):
        with pytest.raises(CheckFailure) as info:
            T.bind(*args, table, "b")
        assert info.value.message == message
    with pytest.raises(grammar.GrammarError) as parse_error:
        grammar.parse("alpha_product*(", T.DIAGONAL_SYMBOLS, T.LINK)
    with pytest.raises(CheckFailure) as info:
        T.bind("lower_inf", "lower", "linf", "alpha_product*(", table, "b")
    assert info.value.message == f"cannot parse the expression: {parse_error.value}"
    assert info.value.__cause__ is None and info.value.__suppress_context__    # raised "from None"
    deep = {T.MC_LB[0]: (T.MC_LB[1], None, T.MC_LB[2])}
    assert T.bind("S_LB", "lower", None, "2*L*a*w_norm**(2 - 2/L)", deep, "bound") == grammar.parse(
        T.MC_LB[2], T.DEEP_SYMBOLS)
    _fails("bound.expr", "cannot parse the expression", T.bind, "S_LB", "lower", None, "2*L*a*h(w_norm)", deep,
           "bound")                                               # no link function in the deep-linear symbols


# --- diagonal networks: each check of one point alone -------------------------------------------------------------------

DIAG = "ms_d2_row_r1_2"        # A = [1, 1/2], y = 1, D = 2, MS-D2 (three bounds), three alphas


@pytest.fixture(scope="module")
def diag(refs):
    return {k: v for k, v in refs[DIAG].items() if k != "limit"}


@pytest.mark.parametrize("path, value, field, words", [
    (("points", 0, "nu"), "twice", "points[0].nu", "expected 1 balls"),
    (("points", 0, "x_inf"), "first", "points[0].x_inf", "expected 2 balls"),
    (("points", 0, "bounds"), "first", "points[0].bounds", "expected 3 entries (one per bound)"),
    (("points", 0, "errors"), {}, "points[0].errors", "exactly the norms the bounds use"),
    (("points", 0, "bounds", 0, "equality"), "identity in nu", "points[0].bounds[0].equality",
     "needs an upper/lower bound"),
    (("points", 0, "alpha"), "0", "points[0].alpha", "alpha must lie in [1e-300, 1]"),
    (("points", 0, "alpha"), "1e-301", "points[0].alpha", "alpha must lie in [1e-300, 1]"),
    (("points", 0, "alpha"), "x", "points[0].alpha", "cannot read 'x' as an exact number"),
    (("rho", "value"), "1/3", "rho.lambda", "not the stated rho = 1/3"),
    (("basis_pursuit", "x_star"), ["1/2", "1"], "basis_pursuit.value", "states 1"),
])
def test_diagonal_forgery_rejected_by_one_check(diag, path, value, field, words):
    if value in ("twice", "first"):       # the listed entries doubled, or only the first one
        current = diag
        for k in path:
            current = current[k]
        value = current * 2 if value == "twice" else current[:1]
    refused(edit(diag, path, value), field, words)


def test_diagonal_alpha_range_includes_its_ends(diag):
    # alpha = 1e-300 and alpha = 1 are inside [1e-300, 1]: refused, if at all, by a later check, never by the range
    for alpha in ("1e-300", "1"):
        exc = S.refusal(edit(diag, ("points", 0, "alpha"), alpha))
        assert exc.field != "points[0].alpha", (alpha, exc.field, exc.message)


def test_diagonal_instance_needs_full_row_rank_shape(diag):
    cert = edit(diag, ("instance", "A"), [["1", "1/2"], ["0", "1"], ["1", "1"]])
    cert["instance"]["y"] = ["1", "1", "1"]
    refused(cert, "instance.A", "more rows than columns")
