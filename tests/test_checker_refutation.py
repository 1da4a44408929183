"""Refutation certificates (proofs/checker/refutation.py): each refusal with exactly the field and message a user
reads, and the accepted certificate's lines.

``check`` is also called directly (no schema in front, as a program embedding the checker may do): its own
refusals of missing fields, an unknown quantity, a side or precision out of range must name the field.
"""
from __future__ import annotations

import copy
from fractions import Fraction as F

import mpmath

import pytest

import strategies_certificates as S
from implicitreg.proofs.checker import refutation as R

#: every field present (the values are never read before the refusals tested here)
SHELL = {key: {} for key in R.FIELDS}
SHELL.update(conjecture={"lhs": "err_l1", "side": "upper", "expr": "alpha"},
             tool={"name": "implicitreg", "version": "0", "checker_dps": 30})


def _shell(**changes):
    cert = copy.deepcopy(SHELL)
    for path, value in changes.items():
        keys = path.split("__")
        target = cert
        for k in keys[:-1]:
            target = target[k]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return cert


@pytest.mark.parametrize("key", R.FIELDS)
def test_check_names_each_missing_top_level_field(key):
    S.raises_exactly(key, "missing field", R.check, _shell(**{key: None}), [])


@pytest.mark.parametrize("key", ["lhs", "side", "expr"])
def test_check_names_a_missing_conjecture_field(key):
    S.raises_exactly(f"conjecture.{key}", "missing field", R.check, _shell(**{f"conjecture__{key}": None}), [])


def test_check_refuses_a_conjecture_that_is_not_an_object():
    S.raises_exactly("conjecture", "expected a JSON object", R.check, _shell(conjecture=["err_l1"]), [])
    S.raises_exactly("(top level)", "expected a JSON object", R.check, ["not", "a", "certificate"], [])


def test_check_refuses_an_unknown_quantity_and_side():
    S.raises_exactly("conjecture.lhs", "unknown quantity 'err_l3'", R.check, _shell(conjecture__lhs="err_l3"), [])
    S.raises_exactly("conjecture.side", "must be one of ('upper', 'lower')", R.check,
                     _shell(conjecture__side="both"), [])


@pytest.mark.parametrize("dps", [14, 2001, True, 30.0, "30"])
def test_check_refuses_a_precision_out_of_range(dps):
    S.raises_exactly("tool.checker_dps", "must be an integer in [15, 2000]", R.check, _shell(tool__checker_dps=dps), [])


def test_check_names_a_missing_precision():
    S.raises_exactly("tool.checker_dps", "missing field", R.check, _shell(tool__checker_dps=None), [])


@pytest.mark.parametrize("dps", [15, 2000])
def test_check_accepts_the_precision_range_ends(dps):
    """15 and 2000 pass the precision check: the next refusal is the (empty) instance's."""
    S.raises_exactly("instance.A", "missing field", R.check, _shell(tool__checker_dps=dps), [])


# --- a whole certificate, written here from closed forms ------------------------------------------------------------
# A = [1, 2], y = 1, depth 2, alpha = 1/100 (product): x* = (0, 1/2) (l1 value 1/2, dual lambda = 1/2), support {2},
# rho = 1/2 (lambda = 1/2, kernel v = (-1, 1/2)); the dual equation 2 alpha (sinh nu + 2 sinh 2 nu) = 1 is solved by
# mpmath.findroot at 80 digits and x_inf = 2 alpha (sinh nu, sinh 2 nu). Conjecture: err_l1 <= alpha, violated
# (err_l1 ~ 0.1003 > 0.01) with ratio >= 2.

def _mpq(q):
    return mpmath.mpf(q.numerator) / q.denominator


def _ball(x, digits=45, rad="1e-35"):
    return {"mid": mpmath.nstr(x, digits, min_fixed=1, max_fixed=0), "rad": rad}


def _truth(alpha_product=F(1, 100)):
    with mpmath.workdps(80):
        a = _mpq(alpha_product)
        nu = mpmath.findroot(lambda t: 2 * a * (mpmath.sinh(t) + 2 * mpmath.sinh(2 * t)) - 1, mpmath.mpf(2))
        x = [2 * a * mpmath.sinh(nu), 2 * a * mpmath.sinh(2 * nu)]
        diff = [x[0], x[1] - mpmath.mpf(1) / 2]
        return {"nu": nu, "x": x, "err_l1": abs(diff[0]) + abs(diff[1]),
                "err_l2": mpmath.sqrt(diff[0] ** 2 + diff[1] ** 2), "err_inf": max(abs(diff[0]), abs(diff[1])),
                "X1": x[0] + x[1], "w": [nu, 2 * nu]}


@pytest.fixture(scope="module")
def truth():
    return _truth()


def _certificate(t, *, lhs="err_l1", side="upper", expr="alpha", bound="0.01", ratio="2", alpha="1/100",
                 convention="product"):
    rel = "<=" if side == "upper" else ">="
    return S.rehash({
        "format": "implicitreg-certificate/1", "kind": "refutation",
        "theorem": {"name": f"conjecture: {lhs} {rel} {expr}", "title": "a conjectured bound, refuted",
                    "claim": "violated here", "provenance": {"kind": "conjecture", "source": "this test"}},
        "tool": {"name": "implicitreg", "version": "0.1.0", "checker_dps": 40},
        "instance": {"A": [["1", "2"]], "y": ["1"]}, "depth": "2", "alpha_convention": convention, "alpha": alpha,
        "basis_pursuit": {"x_star": ["0", "1/2"], "value": "1/2", "lambda": ["1/2"]},
        "rho": {"support": [1], "signs": [1], "value": "1/2", "lambda": ["1/2"], "v": ["-1", "1/2"]},
        "nu": [_ball(t["nu"])], "x_inf": [_ball(x, 40, "1e-32") for x in t["x"]],
        "conjecture": {"lhs": lhs, "side": side, "expr": expr},
        "lhs_value": _ball(t[lhs], 40, "1e-32"), "bound_value": {"mid": bound, "rad": "1e-32"},
        "margin": {"ratio_lo": ratio, "meaning": "lhs >= ratio_lo x bound and lhs > bound"}})


@pytest.fixture(scope="module")
def cert(truth):
    return _certificate(truth)


HEAD = ["instance: A is 1 x 2, exact; depth D = 2; alpha = 1/100 (product convention)",
        "x* is the unique l1 minimizer and rho is exact (LP certificates, exact rationals)",
        "Krawczyk proves a unique dual solution in the nu box; x_inf enclosed in the stated balls"]


def _n12(x):
    return mpmath.nstr(x, 12)


def test_an_accepted_refutation_says_what_was_proved(cert, truth):
    from implicitreg.proofs.checker.check import check_certificate

    e = _n12(truth["err_l1"])
    assert check_certificate(cert)[2:] == HEAD + [
        f"conjecture err_l1 <= alpha is violated: err_l1 in [{e}, {e}] > bound in [0.01, 0.01], lhs >= 2 x bound"]


def test_a_lower_bound_refutation_says_what_was_proved(truth):
    """err_l1 >= 1 conjectured: the bound exceeds the error 0.1003 more than twice."""
    out = []
    R.check(_certificate(truth, side="lower", expr="1", bound="1"), out)
    e = _n12(truth["err_l1"])
    assert out == HEAD + [f"conjecture err_l1 >= 1 is violated: err_l1 in [{e}, {e}] < bound in [1.0, 1.0], "
                          "bound >= 2 x lhs"]


def _not_inside(what, x):
    return f"the stated ball for {what} does not contain the computed enclosure [{_n12(x)}, {_n12(x)}]"


def _moved(ball):
    return {"mid": str(F(ball["mid"]) + 3 * F(ball["rad"])), "rad": ball["rad"]}


def test_each_enclosure_refusal_names_its_quantity(cert, truth):
    for j in range(2):
        S.refused_exactly(S.edit(cert, ("x_inf", j), _moved(cert["x_inf"][j])), f"x_inf[{j}]",
                          _not_inside(f"x_inf[{j}]", truth["x"][j]))
    S.refused_exactly(S.edit(cert, ("lhs_value",), _moved(cert["lhs_value"])), "lhs_value",
                      _not_inside("err_l1", truth["err_l1"]))
    S.refused_exactly(S.edit(cert, ("bound_value",), {"mid": "0.0100001", "rad": "1e-32"}), "bound_value",
                      _not_inside("the bound", mpmath.mpf("0.01")))


def test_the_number_of_x_inf_balls(cert, truth):
    S.refused_exactly(S.edit(cert, ("x_inf",), cert["x_inf"][:1]), "x_inf", "expected 2 balls")
    S.refused_exactly(S.edit(cert, ("x_inf",), cert["x_inf"] * 2), "x_inf", "expected 2 balls")
    from implicitreg.proofs.checker.interval import precision
    with precision(50):                        # called directly, without the schema: an object is not a list
        S.raises_exactly("x_inf", "expected 2 balls", R._check_at_precision,
                         S.edit(cert, ("x_inf",), cert["x_inf"][0]), [], "err_l1", "upper", "alpha")


@pytest.mark.parametrize("ratio", ["1", "99/100", "0", "-2"])
def test_the_margin_must_exceed_one(cert, ratio):
    S.refused_exactly(S.edit(cert, ("margin", "ratio_lo"), ratio), "margin.ratio_lo",
                      "a refutation needs ratio_lo > 1")


def test_a_margin_beyond_the_enclosures_is_refused(cert, truth):
    """err_l1 / alpha ~ 10.03: ratio 10 is proved, 101/10 is not."""
    assert 10 < truth["err_l1"] * 100 < mpmath.mpf("10.1")
    assert R.check(S.edit(cert, ("margin", "ratio_lo"), "10"), []) is None
    S.refused_exactly(S.edit(cert, ("margin", "ratio_lo"), "101/10"), "margin.ratio_lo",
                      "the margin is not proved: lhs >= 101/10 x bound fails on the enclosures")
    low = _certificate(truth, side="lower", expr="1", bound="1", ratio="10")   # 1 / 0.1003 ~ 9.97 < 10
    S.refused_exactly(low, "margin.ratio_lo", "the margin is not proved: bound >= 10 x lhs fails on the enclosures")


def test_a_bound_that_holds_is_not_refuted(truth):
    """err_l1 <= 1 holds here (0.1003 <= 1): no violation to prove, named on the bound's side; err_l1 >= alpha holds
    too, named on the lhs side."""
    S.refused_exactly(_certificate(truth, expr="1", bound="1"), "bound_value",
                      "the violation is not proved: err_l1 - bound is not of one sign on the enclosures")
    S.refused_exactly(_certificate(truth, side="lower"), "lhs_value",
                      "the violation is not proved: err_l1 - bound is not of one sign on the enclosures")


# --- every quantity a conjecture may name, against its definition --------------------------------------------------

def _expected(truth, alpha, alpha_product, alpha_factor):
    """The quantities of R.QUANTITIES on this instance, from their definitions (theory/quantities.py) by hand:
    S = {2}, sigma = +1, x*_S = 1/2, K2 = |A_S^+ A_{S^c}| = 1/2, w = A^T nu = (nu, 2 nu)."""
    with mpmath.workdps(80):
        ap = _mpq(alpha_product)
        w2 = truth["w"][1]
        eps = abs(w2 - 1)
        v = {"alpha": _mpq(alpha), "alpha_product": ap, "alpha_factor": _mpq(alpha_factor), "D": 2, "p": 2, "m": 1,
             "N": 2, "s": 1, "n": 1, "rho": mpmath.mpf(1) / 2, "K2": mpmath.mpf(1) / 2, "K1star": mpmath.log(2),
             "m_star": mpmath.mpf(1) / 2, "M": mpmath.mpf(1) / 2, "x_star_l1": mpmath.mpf(1) / 2,
             "kappa_lb": mpmath.mpf(1) / 3, "K1": abs(w2 - mpmath.log(1 / ap)),
             "Kbar1": 2 * mpmath.log(2) + 16 * ap ** 2, "eps": eps, "rho_a": (1 + eps) / 2,
             "rho_minus": max((1 - eps) / 2, 0), "x_inf_l1": truth["X1"], "gap": truth["X1"] - mpmath.mpf(1) / 2}
        v.update({k: truth[k] for k in ("err_l1", "err_l2", "err_inf", "X1")})
    return v


@pytest.mark.parametrize("convention, alpha, alpha_factor", [("product", "1/100", F(1, 10)),
                                                             ("factor", "1/10", F(1, 10))])
def test_every_quantity_is_recomputed_from_its_definition(truth, convention, alpha, alpha_factor):
    """alpha = 1/100 in the product convention and alpha = 1/10 in the factor one are the same network at depth 2
    (u(0)^2 = 1/100): the same nu, x_inf and quantities, except alpha itself."""
    from implicitreg.proofs.checker.interval import hi, lo, precision

    cert = _certificate(truth, alpha=alpha, convention=convention)
    with precision(50):
        env = R.environment(cert)
        want = _expected(truth, F(alpha), F(1, 100), alpha_factor)
        assert set(env) == set(R.QUANTITIES) - {"M0"} | {"_x_inf"}        # M0 only for D > 2
        for name, value in want.items():
            x = env[name]
            assert lo(x) <= value <= hi(x) and hi(x) - lo(x) <= mpmath.mpf(10) ** -40 * max(1, abs(value)), name
        for xj, value in zip(env["_x_inf"], truth["x"]):
            assert lo(xj) <= value <= hi(xj)


def test_the_bound_is_quoted_to_twelve_digits(truth):
    """err_l1 >= K1star = log 2 conjectured (0.1003 < 0.6931...): the line quotes both enclosures to 12 digits."""
    with mpmath.workdps(60):
        log2 = mpmath.log(2)
    cert = _certificate(truth, side="lower", expr="K1star")
    cert["bound_value"] = _ball(log2, 45, "1e-40")
    out = []
    R.check(cert, out)
    e = _n12(truth["err_l1"])
    assert out[-1] == (f"conjecture err_l1 >= K1star is violated: err_l1 in [{e}, {e}] < bound in [0.69314718056, "
                       "0.69314718056], bound >= 2 x lhs")


def test_the_margin_field_is_read_by_the_check_itself(cert):
    """Called directly (no schema in front): an unreadable, missing or malformed ratio_lo names its field."""
    S.raises_exactly("margin.ratio_lo", "cannot read 'x' as an exact number", R.check,
                     S.edit(cert, ("margin", "ratio_lo"), "x"), [])
    S.raises_exactly("margin.ratio_lo", "missing field", R.check, S.edit(cert, ("margin",), {"meaning": "m"}), [])
    S.raises_exactly("margin", "expected a JSON object", R.check, S.edit(cert, ("margin",), ["2"]), [])


# --- the two inequalities at their exact boundary (enclosures planted) ----------------------------------------------

def _planted_step(monkeypatch, lhs, bound, ratio, side="upper"):
    """_check_at_precision on planted enclosures of lhs (err_l1) and bound (the expression X1)."""
    from mpmath import iv

    env = {"_x_inf": [], "err_l1": iv.mpf(lhs), "X1": iv.mpf(bound)}
    monkeypatch.setattr(R, "environment", lambda cert: env)

    def ball(a, b):
        return {"mid": str((F(a) + F(b)) / 2), "rad": str((F(b) - F(a)) / 2)}

    cert = {"instance": {"A": [["1"]]}, "depth": "2", "alpha": "1", "alpha_convention": "product", "x_inf": [],
            "lhs_value": ball(*lhs), "bound_value": ball(*bound), "margin": {"ratio_lo": ratio}}
    out = []
    R._check_at_precision(cert, out, "err_l1", side, "X1")
    return out


def test_the_violation_needs_lhs_minus_bound_strictly_positive(monkeypatch):
    """lhs in [2, 3], bound in [1, 2]: lhs - bound in [0, 2] may be 0: not proved (upper); [1, 2] vs [0, 1] for the
    lower side likewise; a hair more separation proves it."""
    S.raises_exactly("bound_value", "the violation is not proved: err_l1 - bound is not of one sign on the enclosures",
                     _planted_step, monkeypatch, ("2", "3"), ("1", "2"), "11/10")
    S.raises_exactly("lhs_value", "the violation is not proved: err_l1 - bound is not of one sign on the enclosures",
                     _planted_step, monkeypatch, ("1", "2"), ("2", "3"), "11/10", "lower")
    assert "is violated" in _planted_step(monkeypatch, ("2", "3"), ("1", "1.9375"), "33/32")[-1]
    assert "is violated" in _planted_step(monkeypatch, ("1", "1.9375"), ("2", "3"), "33/32", "lower")[-1]


def test_the_margin_needs_lhs_minus_r_bound_strictly_positive(monkeypatch):
    """lhs in [4, 5], bound in [1, 2], r = 2: lhs - 2 bound in [0, 3] may be 0: the margin is not proved; r = 63/32
    leaves lo = 4 - 63/16 > 0: proved (all values dyadic, so the enclosures are exact)."""
    S.raises_exactly("margin.ratio_lo", "the margin is not proved: lhs >= 2 x bound fails on the enclosures",
                     _planted_step, monkeypatch, ("4", "5"), ("1", "2"), "2")
    assert "lhs >= 63/32 x bound" in _planted_step(monkeypatch, ("4", "5"), ("1", "2"), "63/32")[-1]
    S.raises_exactly("margin.ratio_lo", "the margin is not proved: bound >= 2 x lhs fails on the enclosures",
                     _planted_step, monkeypatch, ("1", "2"), ("4", "5"), "2", "lower")
