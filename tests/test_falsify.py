"""The falsifier, its refutation certificates and the quantity registry (proofs/falsify/, theory/quantities.py,
numerics/quantities.py, proofs/checker/refutation.py, `implicitreg falsify`).

Expected values come from the statements (theory/diagonal.py) and the mathematics of the families, never from the
code under test: a deliberately wrong bound must be refuted, a proved one must survive with ratio <= 1.
"""
from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.cli import main as cli_main
from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.quantities import DiagonalRun, DeepLinearRun, compute
from implicitreg.proofs import falsify as fz
from implicitreg.proofs.certify import seal
from implicitreg.proofs.checker import check as checker
from implicitreg.proofs.checker.interval import CheckFailure
from implicitreg.theory import diagonal, selection, sharpness
from implicitreg.theory.quantities import QUANTITIES, quantity, symbols
from implicitreg.theory.statement import Bound

MS_D2_UPPER = "(1 + K2)*n*exp(K1*K2)*alpha**(1 - rho)"
QUICK = dict(depth=2, alpha_range="1e-30:1e-2", family="integer", m="1:2", N="2:4", budget=25, seed=0)


# --- the registry --------------------------------------------------------------------------------------------------

def test_every_quantity_has_a_definition_provenance_and_a_computing_function():
    for name, q in QUANTITIES.items():
        assert q.definition and q.provenance.kind in ("paper", "derived", "standard", "reconstructed", "conjecture")
        module, _, func = q.computed_by.rpartition(".")
        assert module == "implicitreg.numerics.quantities"
        assert callable(getattr(importlib.import_module(module), func)), name
    for name in ("alpha", "alpha_product", "alpha_factor", "D", "rho", "K1", "K2", "N", "m", "s", "n", "kappa",
                 "kappa_lb", "err_l1", "err_l2", "err_inf", "dist_sel", "sharpness", "S_LB", "x_star_l1"):
        assert quantity(name).name in QUANTITIES
    with pytest.raises(InvalidParameterError):
        quantity("no_such_quantity")


def test_registry_symbols_are_the_statements_own_symbols():
    names = symbols()
    assert names["K2"] is diagonal.K2 and names["K1"] is diagonal.K1 and names["n"] is diagonal.n
    assert names["M0"] is diagonal.M0 and names["x_star_l1"] is selection.M and names["kappa"] is sharpness.kappa


def _restate(text):
    from implicitreg.proofs.checker import grammar

    return grammar.to_sympy(grammar.parse(text, symbols=set(symbols())), symbols())


@pytest.mark.parametrize("theorem, bound, text", [
    (diagonal.MS_D2_THEOREM, "upper_l1", MS_D2_UPPER),
    (diagonal.MS_D2_THEOREM, "lower_inf", "exp(-K1*K2)*alpha**(1 - rho) - alpha"),
    (diagonal.MS_D2_THEOREM, "upper_l1_apriori", "(1 + K2)*n*exp(Kbar1*K2)*alpha**(1 - rho)"),
    (diagonal.MS_D3_THEOREM, "upper_l1", "(1 + K2)*n*alpha*((1 - M0)**(-D/(D - 2)) - (1 + M0)**(-D/(D - 2)))"),
    (diagonal.MS_D3_THEOREM, "lower_inf", "alpha*((1 - rho_minus)**(-D/(D - 2)) - (1 + rho_minus)**(-D/(D - 2)))"),
    (selection.THM_C, "objective_2", "(M*log(M) - M + N + 2*N*alpha**2)/log(1/alpha**2)"),
    (selection.THM_C, "kappa_lower", "(1 - rho)/(1 + K2)"),
    (sharpness.MC_LB, "S_LB", "2*L*a*w_norm**(2 - 2/L)"),
])
def test_registered_bounds_restate_by_hand_from_the_registry(theorem, bound, text):
    assert sympy.simplify(_restate(text) - theorem.bound(bound).expr) == 0


@pytest.mark.parametrize("depth, bound, text", [
    (2, diagonal.MS_D2_THEOREM.bound("upper_l1"), MS_D2_UPPER),
    (3, diagonal.MS_D3_THEOREM.bound("upper_l1"),
     "(1 + K2)*n*alpha*((1 - M0)**(-D/(D - 2)) - (1 + M0)**(-D/(D - 2)))"),
])
def test_hand_restated_bound_evaluates_equal_on_computed_quantities(depth, bound, text):
    """MS-D2 and MS-D3 upper bounds restated by hand, evaluated on registry-computed quantities of one run."""
    inst = Instance.from_lists([[1, 0, 1, 2, -1], [0, 1, 1, -1, 3]], [3, -2])
    run = DiagonalRun(inst, depth, "1e-12")
    hand = fz.Conjecture("err_l1", _restate(text), text)
    values = {name: compute(name, run) for name in hand.names}
    registered = bound.evaluate(40, **{s.name: values[s.name] for s in bound.symbols})
    restated = Bound("hand", "upper", "err", hand.bound, bound.provenance).evaluate(40, **values)
    assert abs(registered - restated) <= mpmath.mpf(10) ** -35 * registered
    # and the computed error obeys it (MS-D2/MS-D3 hold on this instance: rho = 2/5)
    assert compute("err_l1", run) <= registered
    assert compute("rho", run) == Fraction(2, 5) and values["n"] == 3


def test_quantities_known_values_on_the_row_family():
    """A = [1, 1/2], y = 1: x* = (1, 0), rho = 1/2, K2 = 1/2, n = 1, M = 1 (dln.md §5)."""
    run = DiagonalRun(Instance.from_lists([[1, "1/2"]], [1]), 2, "1e-6")
    assert [compute(k, run) for k in ("rho", "K2", "n", "s", "m", "N", "x_star_l1")] == \
        [Fraction(1, 2), Fraction(1, 2), 1, 1, 1, 2, 1]
    assert abs(compute("alpha_factor", run) - mpmath.mpf("1e-3")) < mpmath.mpf(10) ** -15
    # x_1 + x_2/2 = 1 and x* = (1, 0): the error vector is (-x_2/2, x_2), so err_l1 = (3/2) x_2, err_inf = x_2,
    # err_l2 = (sqrt(5)/2) x_2
    e1, e2, ei = (compute(k, run) for k in ("err_l1", "err_l2", "err_inf"))
    with mpmath.workdps(40):
        assert abs(e1 / ei - mpmath.mpf(3) / 2) < mpmath.mpf(10) ** -25
        assert abs(e2 / ei - mpmath.sqrt(5) / 2) < mpmath.mpf(10) ** -25
    with pytest.raises(InvalidParameterError):
        compute("a", run)  # a deep-linear quantity on a diagonal run


def test_deep_linear_quantities_on_the_equality_family():
    """X = Q diag(.) with w* = 8 q_1 an eigenvector (mu = 2): a = 2, ||w*|| = 8, S_LB = 2 L a ||w*||^(2-2/L)."""
    from implicitreg.numerics.deep_linear import RegressionData

    run = DeepLinearRun(RegressionData.from_lists([["6/5", "8/5"], ["-4/5", "3/5"]], [16, 0]), 3)
    assert abs(compute("a", run) - 2) < 1e-25 and abs(compute("w_norm", run) - 8) < 1e-25
    assert abs(compute("S_LB", run) - 192) < 1e-20  # 2 * 3 * 2 * 8^(4/3) = 12 * 16
    assert abs(compute("S_min", run) - compute("S_LB", run)) < 1e-20  # equality family, L mu = 6 >= 1/2


# --- conjectures and bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/implicitreg_pwned')",
    "exec('1')", "eval('alpha')", "alpha.__class__", "lambda: 1", "[alpha]", "alpha if rho else 1",
    "open('/etc/passwd')", "alpha; rho", "alpha == rho", "2*beta", "1e999999999", "(" * 500 + "alpha" + ")" * 500,
    "alpha" + "+alpha" * 3000, "",
])
def test_bad_bounds_are_rejected(text, tmp_path):
    with pytest.raises(InvalidParameterError):
        fz.conjecture("err_l1", text)


def test_cli_bad_bound_exit_2_and_nothing_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    proc = subprocess.run([sys.executable, "-m", "implicitreg.cli", "falsify", "--lhs", "err_l1", "--bound", payload],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "cannot read the bound" in proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize("kwargs, message", [
    (dict(lhs="rho"), "observed quantity"), (dict(lhs="a"), "observed quantity"),
    (dict(bound="a*alpha"), "deep-linear networks"), (dict(lhs="sharpness"), "diagonal networks"),
    (dict(lhs="sharpness", bound="S_LB", depth="5/2"), "integer"),
    (dict(lhs="sharpness", bound="S_LB", alpha_range="1e-6:1"), "init scale"), (dict(side="both"), "side"), (dict(family="cauchy"), "family"),
    (dict(alpha_range="1e-2:1e-30"), "above"), (dict(alpha_range="0:1"), "> 0"), (dict(m="0:3"), "integers"),
    (dict(N="2:99"), "integers"), (dict(m="1:9"), "integers"), (dict(budget=0), "budget"), (dict(seed=-1), "seed"),
    (dict(assume=["P = NP"]), "unknown hypotheses"), (dict(bound=sympy.Float("0.5") * diagonal.K2), "floating"),
    (dict(bound=sympy.Symbol("zeta")), "unknown quantities"),
])
def test_bad_parameters_raise_invalid_parameter(kwargs, message):
    args = dict(lhs="err_l1", bound="2*alpha**(1-rho)", depth=2, budget=5)
    args.update(kwargs)
    lhs, bound = args.pop("lhs"), args.pop("bound")
    with pytest.raises(InvalidParameterError, match=message):
        fz.falsify(lhs, bound, **args)


# --- refuting false statements, keeping true ones ----------------------------------------------------------------

@pytest.fixture(scope="module")
def refuted_exponent():
    """MS-D2 upper bound with the exponent 1 - rho/2 (off by rho/2): false wherever rho > 0."""
    return fz.falsify("err_l1", "(1 + K2)*n*exp(K1*K2)*alpha**(1 - rho/2)", **QUICK)


def test_wrong_exponent_is_refuted_with_a_small_certified_counterexample(refuted_exponent):
    res = refuted_exponent
    assert res.refuted and res.ratio > 1
    inst = res.worst.instance
    assert inst.m * inst.N <= 8  # 2 x 4 or smaller
    assert res.certificate is not None
    lines = checker.check_certificate(res.certificate)
    assert any("is violated" in line for line in lines)
    out = res.to_json()
    assert out["refuted"] is True and out["counterexample"]["instance"] == inst.to_json()
    assert Fraction(out["counterexample"]["alpha"]) == res.worst.alpha


def test_halved_constant_is_refuted():
    res = fz.falsify("err_l1", MS_D2_UPPER + "/2", **QUICK)
    assert res.refuted and res.certificate is not None
    assert 1 < res.ratio <= 2  # the MS-D2 constant is sharp (ratio -> 1 on the family): halving gives <= 2


def test_lower_bound_doubled_is_refuted():
    res = fz.falsify("err_inf", "2*exp(-K1*K2)*alpha**(1 - rho) - alpha", side="lower", **QUICK)
    assert res.refuted and res.certificate is not None
    checker.check_certificate(res.certificate)


def test_true_bound_survives_with_worst_ratio_at_most_one():
    res = fz.falsify("err_l1", MS_D2_UPPER, **QUICK)
    assert not res.refuted and res.certificate is None
    assert 0 < res.ratio <= 1
    assert res.evaluations > QUICK["budget"] and res.to_json()["worst"]["ratio"]


def test_true_lower_bound_survives_from_python_with_a_sympy_expression():
    from implicitreg.theory.statement import alpha, rho

    expr = sympy.exp(-diagonal.K1 * diagonal.K2) * alpha ** (1 - rho) - alpha
    res = fz.falsify("err_inf", expr, side="lower", **dict(QUICK, budget=10))
    assert not res.refuted and res.ratio <= 1


def test_the_search_is_deterministic_for_a_seed(refuted_exponent):
    again = fz.falsify("err_l1", "(1 + K2)*n*exp(K1*K2)*alpha**(1 - rho/2)", **QUICK)
    assert json.dumps(again.to_json(), sort_keys=True) == json.dumps(refuted_exponent.to_json(), sort_keys=True)


def test_hypotheses_filter_instances():
    """With 'rho > 0' assumed, the zero-column instance (rho = 0, error 0) is no longer a counterexample; the
    refutation found must have rho > 0."""
    res = fz.falsify("err_inf", "2*exp(-K1*K2)*alpha**(1 - rho) - alpha", side="lower", assume=["rho > 0"],
                     **QUICK)
    assert "rho > 0" in res.assume
    if res.refuted:
        run = DiagonalRun(res.worst.instance, 2, res.worst.alpha)
        assert compute("rho", run) > 0


def test_an_instance_probed_at_more_alphas_solves_no_more_basis_pursuits(monkeypatch):
    """The search probes one instance at several alphas: its exact basis pursuit (and the support constants built
    on it) is solved for the first alpha only; each probe still gets its own limit and a ratio <= 1 (MS-D2 holds)."""
    from implicitreg.numerics import basis_pursuit
    from implicitreg.proofs.falsify.evaluate import _Evaluator

    calls = []
    real = basis_pursuit.l1_minimizer
    monkeypatch.setattr(basis_pursuit, "l1_minimizer", lambda inst: calls.append(inst) or real(inst))
    ev = _Evaluator(fz.conjecture("err_l1", MS_D2_UPPER), Fraction(2), "product", [], cap=10)
    inst = Instance.from_lists([[1, "1/2"]], [1])
    first = ev(inst, Fraction(1, 10 ** 4))
    after_one = len(calls)
    more = [ev(Instance.from_lists([[1, "1/2"]], [1]), Fraction(1, 10 ** k)) for k in (8, 12)]
    assert after_one >= 1 and len(calls) == after_one
    ratios = [p.ratio for p in [first] + more]
    assert all(0 < r <= 1 for r in ratios) and len({p.lhs_value for p in [first] + more}) == 3


# --- tampered refutation certificates ----------------------------------------------------------------------------

def _tamper(cert, edit, reseal=True):
    bad = copy.deepcopy(cert)
    edit(bad)
    return seal(bad) if reseal else bad


TAMPERS = {
    "hash": (lambda c: c["instance"]["y"].__setitem__(0, "7"), False, "sha256"),
    "instance": (lambda c: c["instance"]["A"][0].__setitem__(0, "3"), True, ""),
    "alpha": (lambda c: c.__setitem__("alpha", "1/1000000"), True, ""),
    "depth": (lambda c: c.__setitem__("depth", "3"), True, ""),
    "convention": (lambda c: c.__setitem__("alpha_convention", "factor"), True, ""),
    "bound": (lambda c: c["conjecture"].__setitem__("expr", "(1 + K2)*n*exp(K1*K2)*alpha**(1 - rho)"), True, ""),
    "bound code": (lambda c: c["conjecture"].__setitem__("expr", "__import__('os')"), True, "conjecture.expr"),
    "side": (lambda c: c["conjecture"].__setitem__("side", "lower"), True, ""),
    "lhs": (lambda c: c["conjecture"].__setitem__("lhs", "err_inf"), True, ""),
    "margin": (lambda c: c["margin"].__setitem__("ratio_lo", "1000"), True, "margin.ratio_lo"),
    "margin one": (lambda c: c["margin"].__setitem__("ratio_lo", "1"), True, "margin.ratio_lo"),
    "rho": (lambda c: c["rho"].__setitem__("value", "1/3"), True, "rho"),
    "x_star": (lambda c: c["basis_pursuit"]["x_star"].reverse(), True, "basis_pursuit"),
    "nu": (lambda c: c["nu"][0].__setitem__("mid", "0.5"), True, "nu"),
    "x_inf": (lambda c: c["x_inf"][0].__setitem__("mid", "0"), True, "x_inf"),
    "lhs value": (lambda c: c["lhs_value"].__setitem__("rad", "0"), True, "lhs_value"),
    "missing": (lambda c: c.pop("margin"), True, "margin"),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampered_refutation_certificates_are_rejected(refuted_exponent, name):
    edit, reseal, field = TAMPERS[name]
    bad = _tamper(refuted_exponent.certificate, edit, reseal)
    with pytest.raises(CheckFailure) as exc:
        checker.check_certificate(bad)
    assert exc.value.field.startswith(field)


def test_cli_falsify_json_and_check(tmp_path, capsys):
    """The two commands through the CLI's main in this process (the ``python -m implicitreg.cli`` entry point runs
    as a subprocess in test_cli_bad_bound_exit_2_and_nothing_executed)."""
    cert = tmp_path / "refutation.json"
    code = cli_main(["falsify", "--lhs", "err_l1", "--bound", "(1 + K2)*n*exp(K1*K2)*alpha**(1 - rho/2)", "--family",
                     "integer", "--m", "1:2", "--N", "2:4", "--budget", "10", "--json", "--certificate", str(cert)])
    proc = capsys.readouterr()
    assert code == 1, proc.err
    out = json.loads(proc.out)
    assert out["refuted"] is True and out["certificate"]["kind"] == "refutation"
    assert out["counterexample"]["depth"] == "2" and out["seed"] == 0
    code = cli_main(["check", str(cert)])
    assert code == 0 and "1 verified, 0 failed" in capsys.readouterr().out


# --- deep search (thorough profile) ----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("family", ["mixed", "near-nonunique", "gaussian"])
def test_thorough_true_bounds_survive_a_deep_search(family):
    for depth, lhs, bound in ((2, "err_l1", MS_D2_UPPER),
                              (3, "err_l1", "(1 + K2)*n*alpha*((1 - M0)**(-D/(D - 2)) - (1 + M0)**(-D/(D - 2)))")):
        res = fz.falsify(lhs, bound, depth=depth, alpha_range="1e-30:1e-3", family=family, m="1:3", N="2:6",
                         budget=150, seed=7, assume=["rho_a < 1"] if depth == 3 else [])
        assert not res.refuted and res.ratio <= 1


@pytest.mark.slow
def test_thorough_reconstructed_deep_linear_constant_fails_at_large_init_scale():
    """MC-SI's reconstructed S <= 8 L Lambda ||w*||^(2-2/L) (theory/sharpness.py) fails far outside the small-scale
    regime (the spec saw it at s = 0.5, n = 50, d = 5, L = 10): refuted on 4 x 2 data at s in [1, 3/2]."""
    res = fz.falsify("sharpness", "8*L*Lambda*w_norm**(2 - 2/L)", depth=10, alpha_range="1:3/2", family="integer",
                     m="3:4", N="2:2", budget=3, seed=0)
    assert res.refuted and res.ratio > 1 and res.certificate is None and "not certified" in res.note
    data = res.to_json()["counterexample"]
    assert len(data["instance"]["X"][0]) == 2 and data["alpha_convention"] == "factor"


@pytest.mark.slow
def test_thorough_true_deep_linear_lower_bound_survives():
    res = fz.falsify("sharpness", "S_LB", side="lower", depth=3, alpha_range="1/100:1/10", family="integer",
                     m="2:4", N="1:2", budget=8, seed=0)
    # S from a float64 flow stopped at excess loss 1e-13 is within ~1e-6 of the limit's: S_LB/S <= 1 + 1e-6
    assert not res.refuted and res.ratio <= 1 + float(fz.DEEP_MARGIN)


@pytest.mark.slow
def test_thorough_subtle_exponent_error_is_refuted():
    """Exponent off by 0.1 (1 - rho + 1/10): refuted once alpha is small enough."""
    res = fz.falsify("err_l1", "(1 + K2)*n*exp(K1*K2)*alpha**(11/10 - rho)", depth=2, alpha_range="1e-60:1e-2",
                     family="mixed", m="1:3", N="2:6", budget=400, seed=3)
    assert res.refuted and res.certificate is not None
    checker.check_certificate(res.certificate)

