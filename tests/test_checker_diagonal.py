"""The diagonal-network checker's constants, each computed alone (proofs/checker/diagonal.py): alpha_prod in both
alpha conventions, the instance constants a bound may name, and the a-posteriori constants of one point, including
when M0 = H_D^{-1}(n H_D(rho_a)) exists (D > 2 and rho_a < 1 only). Every expected value is derived by hand."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from mpmath import iv

import strategies_certificates as S
from implicitreg.proofs.checker import diagonal as Dg
from implicitreg.proofs.checker.check import CheckFailure, check_certificate
from implicitreg.proofs.checker.interval import endpoints, point, precision

F = Fraction


def _contains(x, value, width=F(1, 10 ** 25)):
    a, b = endpoints(x)
    return a <= value <= b and b - a <= width


def test_alpha_product_in_both_conventions():
    with precision(40):
        assert endpoints(Dg._alpha_product(F(1, 8), F(3), "product")) == (F(1, 8), F(1, 8))
        assert _contains(Dg._alpha_product(F(1, 10), F(3), "product"), F(1, 10))
        # factor convention, integer depth: alpha^D exactly (a point, no exp/log rounding)
        assert endpoints(Dg._alpha_product(F(1, 4), F(3), "factor")) == (F(1, 64), F(1, 64))
        assert endpoints(Dg._alpha_product(F(1, 2), F(2), "factor")) == (F(1, 4), F(1, 4))
        assert _contains(Dg._alpha_product(F(1, 10), F(3), "factor"), F(1, 1000))
        # real depth: exp(D log alpha), an enclosure of (1/4)^(5/2) = 1/32 and of (1/9)^(3/2) = 1/27
        assert _contains(Dg._alpha_product(F(1, 4), F(5, 2), "factor"), F(1, 32))
        assert _contains(Dg._alpha_product(F(1, 9), F(3, 2), "factor"), F(1, 27))
        assert not _contains(Dg._alpha_product(F(1, 4), F(5, 2), "factor"), F(1, 4) ** 5)


A2 = [[F(1), F(1, 2), F(1, 2)], [F(0), F(1), F(-1)]]     # x* = (2, 0, 0) for y = (2, 0); S = {0}


def test_instance_constants_by_hand():
    with precision(40):
        env = Dg._instance_constants(A2, [F(2), F(0), F(0)], [0], F(1, 2), F(5, 2), 3)
        exact_values = {"rho": F(1, 2), "N": 3, "s": 1, "n": 2, "m": 2, "D": F(5, 2), "p": F(5, 2),
                        # K2 = ||A_S^+ A_Sc||_{1->1}: A_S = (1, 0)^T, A_S^+ = (1, 0), columns 1/2 and 1/2
                        "K2": F(1, 2)}
        for name, value in exact_values.items():
            assert endpoints(env[name]) == (value, value), name
        assert env["_K2_exact"] == F(1, 2)
        a, b = endpoints(env["K1star"])                                  # K1* = |log 2| = 0.693147180559945309...
        assert F(693147180559945, 10 ** 15) <= a <= b <= F(693147180559946, 10 ** 15)
        # two support entries: K1* is the larger |log|x_i||: |log(1/8)| = 3 log 2 > |log 3|
        env = Dg._instance_constants([[F(1), F(0), F(1)], [F(0), F(1), F(1)]], [F(1, 8), F(3), F(0)], [0, 1],
                                     F(0), F(3), 3)
        a, b = endpoints(env["K1star"])
        assert F(2079441541679835, 10 ** 15) <= a <= b <= F(2079441541679836, 10 ** 15)
        assert endpoints(env["K2"]) == (F(2), F(2))                      # A_S = I: the column (1, 1) has l1 norm 2
        assert endpoints(env["s"]) == (2, 2) and endpoints(env["n"]) == (1, 1)


def _point_env(rho, K2, eps, depth, n=1):
    env0 = {"rho": point(rho), "K2": point(K2), "n": iv.mpf(n)}
    # one support entry with sign +1; w_0 = 1 + eps, so ||w_S - sigma||_inf = eps exactly
    return Dg._point_constants(env0, [point(1 + eps)], [0], [1], point(F(1, 4)), depth)


def test_point_constants_and_when_M0_exists():
    with precision(40):
        env = _point_env(F(1, 4), F(1), F(1, 4), F(3))
        assert endpoints(env["eps"]) == (F(1, 4), F(1, 4))
        assert endpoints(env["rho_a"]) == (F(1, 2), F(1, 2))             # rho + K2 eps
        assert endpoints(env["rho_minus"]) == (F(0), F(0))               # max(rho - K2 eps, 0)
        a, b = endpoints(env["K1"])              # |w_0 - log(1/alpha_prod)| = log 4 - 5/4 = 0.136294361119890618...
        assert F(136294361119890, 10 ** 15) <= a <= b <= F(136294361119891, 10 ** 15)
        assert _contains(env["M0"], F(1, 2))                             # n = 1: M0 = H^{-1}(H(rho_a)) = rho_a
        assert endpoints(_point_env(F(1, 2), F(1), F(1, 8), F(3))["rho_minus"]) == (F(3, 8), F(3, 8))
        assert "M0" not in _point_env(F(1, 4), F(1), F(1, 4), F(2))     # D = 2: no M0
        assert "M0" not in _point_env(F(1, 2), F(1), F(1, 2), F(3))     # rho_a = 1 exactly: no M0
        assert "M0" not in _point_env(F(1, 2), F(1), F(1), F(3))        # rho_a = 3/2: no M0
        assert "M0" in _point_env(F(1, 4), F(1), F(1, 4), F(5, 2))       # D = 5/2 > 2


# --- one point of a diagonal certificate: acceptance and each refusal path, with exact fields and messages ----------




DIAG = Path(__file__).resolve().parents[1] / "proofs" / "reference_certificates" / "ms_d2_row_r1_2.json"


@pytest.fixture(scope="module")
def diag():
    """A = [1, 1/2], y = 1, D = 2, MS-D2 with three bounds at three alphas; without the SymPy limit section."""
    return {k: v for k, v in S.load(DIAG).items() if k != "limit"}



def test_the_diagonal_reference_point_is_accepted(diag):
    lines = check_certificate(S.rehash(diag))
    text = "\n".join(lines) if isinstance(lines, list) else str(lines)
    for k in range(len(diag["points"])):
        assert f"points[{k}]: alpha = {diag['points'][k]['alpha']}: Krawczyk proves a unique dual solution" in text
    assert ("bounds: tightness scale (limit, l1) is the formula of MS-D2; upper_l1 (upper, l1) is the formula of "
            "MS-D2; lower_inf (lower, linf) is the formula of MS-D2") in lines
    # each point's line lists every bound's ratio interval and verdict, "; "-separated (a limit claims no side)
    suffix = {"limit": "", "upper": " (bound holds)", "lower": " (bound holds)"}
    for k, pt in enumerate(diag["points"]):
        parts = [f"{b['side']} {b['norm']}: [{r['ratio']['lo']}, {r['ratio']['hi']}]{suffix[b['side']]}"
                 for b, r in zip(diag["bounds"], pt["bounds"])]
        assert (f"points[{k}]: alpha = {pt['alpha']}: Krawczyk proves a unique dual solution in the nu box; x_inf, "
                "errors and bound values enclosed; error/bound: " + "; ".join(parts)) in lines


def test_instance_and_depth_refusals(diag):
    # the lengths the schema cannot know: y has one entry per row of A, x* one per column
    S.refused_exactly(S.edit(diag, ("instance", "y"), ["1", "2"]), "instance.y", "expected 1 entries, got 2")
    S.refused_exactly(S.edit(diag, ("basis_pursuit", "x_star"), ["1", "0", "0"]), "basis_pursuit.x_star",
             "expected 2 entries, got 3")
    cert = S.edit(diag, ("instance", "A"), [["1", "1/2"], ["0", "1"], ["1", "1"]])
    cert["instance"]["y"] = ["1", "1", "1"]
    S.refused_exactly(cert, "instance.A", "more rows than columns: the dual equations need full row rank")
    cert = S.edit(diag, ("instance", "A"), [["1", "1/2"], ["0", "1"]])          # square: allowed by the shape check
    cert["instance"]["y"] = ["1", "0"]
    assert S.refusal(cert).field != "instance.A"
    # depth: a rational in [2, 64] with denominator <= 64; inside that range MS-D2 itself asks for D = 2
    for depth in ("65", "257/128", "131/65", "1"):
        S.refused_exactly(S.edit(diag, ("depth",), depth), "depth",
                 f"depth must be a rational in [2, 64] with denominator <= 64, got {depth}")
    for depth in ("64", "129/64", "5/2"):
        S.refused_exactly(S.edit(diag, ("depth",), depth), "depth", "MS-D2 is the depth-2 theorem")
    points = diag["points"]
    S.refused_exactly(S.edit(diag, ("points",), [points[0], points[1], points[0]]), "points[2].alpha",
             "the same alpha is listed twice")


def _shifted(ball_, by):
    return {"mid": str(Fraction(ball_["mid"]) + by), "rad": ball_["rad"]}


def test_each_enclosure_refusal_names_its_quantity(diag):
    pt = diag["points"][0]
    cert = S.edit(diag, ("points", 0, "x_inf", 1), _shifted(pt["x_inf"][1], Fraction(1, 10 ** 20)))
    exc = S.refusal(cert)
    assert exc.field == "points[0].x_inf[1]"
    assert exc.message.startswith("the stated ball for x_inf[1] does not contain the computed enclosure [")
    for nm, name in (("l1", "||x_inf - x*||_1"), ("linf", "||x_inf - x*||_inf")):
        cert = S.edit(diag, ("points", 0, "errors", nm), _shifted(pt["errors"][nm], Fraction(1, 10 ** 20)))
        exc = S.refusal(cert)
        assert exc.field == f"points[0].errors.{nm}"
        assert exc.message.startswith(f"the stated ball for {name} does not contain the computed enclosure [")
    cert = S.edit(diag, ("points", 0, "alpha"), "2")
    S.refused_exactly(cert, "points[0].alpha", "alpha must lie in [1e-300, 1]")


def test_refusals_of_enclosures_that_cannot_be_formed(diag, monkeypatch):
    from implicitreg.proofs.checker import diagonal as D

    def failing_link(depth):
        def phi(z):
            raise ArithmeticError("argument outside the domain")
        return phi

    with monkeypatch.context() as mp:
        mp.setattr(D, "link", failing_link)
        S.refused_exactly(diag, "points[0].nu", "x_inf cannot be enclosed on the box: argument outside the domain")

    def failing_constants(*args):
        raise ArithmeticError("H^-1 out of range")

    with monkeypatch.context() as mp:
        mp.setattr(D, "_point_constants", failing_constants)
        S.refused_exactly(diag, "points[0]", "the a-posteriori constants cannot be enclosed: H^-1 out of range")

    # a constant missing at evaluation is refused at the bound's formula, naming the point (bounds[1] is MS-D2's
    # upper_l1 = (1 + K2) n exp(K1 K2) alpha^(1 - rho), the first that names K1)
    with monkeypatch.context() as mp:
        real = D._point_constants
        mp.setattr(D, "_point_constants", lambda *a: {k: v for k, v in real(*a).items() if k != "K1"})
        exc = S.refusal(diag)
        assert exc.field == "bounds[1].expr (at points[0])" and exc.message.startswith("K1 is not defined here")


@pytest.mark.parametrize("value", [iv.mpf([0, 1]), iv.mpf([-1, 1]), iv.mpf([-2, -1])])
def test_a_bound_must_be_provably_positive(diag, monkeypatch, value):
    from implicitreg.proofs.checker import diagonal as D

    monkeypatch.setattr(D, "_evaluate", lambda tree, env, phi, where: value)
    S.refused_exactly(diag, "points[0].bounds[0].value", "the bound is not provably positive")


def test_the_stated_nu_box_is_the_one_proved(diag):
    # the dual zero 9/10 of a radius away from the box's centre, on either side: still inside the stated box, so
    # Krawczyk proves it there (a checker that tested a smaller box around the centre would refuse)
    nu = diag["points"][0]["nu"][0]
    for frac in (Fraction(9, 10), Fraction(-9, 10)):
        mid = Fraction(nu["mid"]) + frac * Fraction(nu["rad"])
        check_certificate(S.rehash(S.edit(diag, ("points", 0, "nu", 0), {"mid": str(mid), "rad": nu["rad"]})))


def test_bound_value_and_ratio_refusals_name_what_they_check(diag):
    pb = diag["points"][0]["bounds"][1]                                      # upper_l1
    exc = S.refusal(S.edit(diag, ("points", 0, "bounds", 1, "value"), _shifted(pb["value"], Fraction(1, 10 ** 20))))
    assert exc.field == "points[0].bounds[1].value"
    assert exc.message.startswith("the stated ball for the bound 'upper_l1' does not contain the computed enclosure [")
    r = pb["ratio"]
    exc = S.refusal(S.edit(diag, ("points", 0, "bounds", 1, "ratio"), {"lo": r["hi"], "hi": r["hi"]}))  # a point
    assert exc.field == "points[0].bounds[1].ratio"
    assert exc.message.startswith("the certified ratio error/bound lies in [")


def test_equality_claims_need_a_bound_side_and_a_ratio_enclosure_containing_one(diag, monkeypatch):
    from implicitreg.proofs.checker import diagonal as D

    needs = "an equality claim needs an upper/lower bound and a ratio enclosure containing 1"
    # a limit (tightness scale, bounds[0]) never carries an equality, even when its ratio enclosure contains 1
    monkeypatch.setattr(D, "_ratio", lambda *a: (Fraction(1, 2), Fraction(2)))
    S.refused_exactly(S.edit(diag, ("points", 0, "bounds", 0, "equality"), "identity in nu"), "points[0].bounds[0].equality", needs)
    # an upper bound whose ratio enclosure starts exactly at 1 contains 1: the claim goes on to the exact proof
    monkeypatch.setattr(D, "_ratio", lambda *a: (Fraction(1), Fraction(2)))
    monkeypatch.setattr(D, "_sympy_for", lambda where, use_sympy: (_ for _ in ()).throw(
        CheckFailure(where, "reached the exact proof")))
    S.refused_exactly(S.edit(diag, ("points", 0, "bounds", 1, "equality"), "identity in nu"), "points[0].bounds[1].equality",
             "reached the exact proof")
    monkeypatch.setattr(D, "_ratio", lambda *a: (Fraction(1, 2), Fraction(1)))            # ... or ends exactly at 1
    S.refused_exactly(S.edit(diag, ("points", 0, "bounds", 1, "equality"), "identity in nu"), "points[0].bounds[1].equality",
             "reached the exact proof")
    monkeypatch.setattr(D, "_ratio", lambda *a: (Fraction(11, 10), Fraction(2)))          # 1 not in the enclosure
    S.refused_exactly(S.edit(diag, ("points", 0, "bounds", 1, "equality"), "identity in nu"), "points[0].bounds[1].equality", needs)


def test_a_violated_bound_is_named(diag, monkeypatch):
    from implicitreg.proofs.checker import diagonal as D

    monkeypatch.setattr(D, "_ratio", lambda *a: (Fraction(11, 10), Fraction(2)))    # error/bound > 1 for sure
    S.refused_exactly(diag, "points[0].bounds[1].ratio", "the upper bound 'upper_l1' is violated here")
