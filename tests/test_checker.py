"""The standalone certificate checker (proofs/checker): its independence and its building blocks.

Expected values come from closed forms, exact rationals or SymPy (an independent path), never from the
checker itself.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from hypothesis import given, strategies as st
from mpmath import iv

from implicitreg.proofs.checker import interval as I
from implicitreg.proofs.checker import lp
from implicitreg.proofs.checker.interval import CheckFailure
from implicitreg.proofs.checker.krawczyk import krawczyk

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "proofs" / "checker"
REFERENCE = ROOT / "proofs" / "reference_certificates"


# --- independence -------------------------------------------------------------------------------------------

def _imports(path: Path) -> list[tuple[str, int]]:
    """(module, level) of every import statement in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level))
    return out


def test_checker_imports_only_stdlib_and_mpmath():
    allowed_third_party = {"mpmath", "sympy"}  # sympy: only the optional re-check, imported lazily
    files = sorted(CHECKER.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for module, level in _imports(path):
            if level > 0:
                continue  # relative: inside the checker package
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top in allowed_third_party, (path.name, module)
            assert top != "implicitreg", (path.name, module)


def test_sympy_is_imported_only_lazily():
    for path in CHECKER.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.startswith("sympy") for n in names), path.name


BLOCKER = r"""
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('implicitreg', 'sympy', 'numpy', 'flint', 'scipy'):
            raise ImportError('blocked: ' + name)
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
from checker.check import main
sys.exit(main(sys.argv[2:]))
"""


def test_checker_runs_with_implicitreg_and_sympy_blocked():
    certs = sorted(str(p) for p in REFERENCE.glob("*.json"))
    assert len(certs) >= 4
    proc = subprocess.run([sys.executable, "-c", BLOCKER, str(ROOT / "proofs"), *certs],
                          capture_output=True, text=True, timeout=120)
    # Certificates without a symbolic limit verify; those with one FAIL (a re-check that cannot run is never a pass)
    with_limit = [c for c in certs if '"limit"' in Path(c).read_text(encoding="utf-8")]
    assert 0 < len(with_limit) < len(certs)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{len(certs) - len(with_limit)} verified, {len(with_limit)} failed" in proc.stdout
    assert proc.stdout.count("SymPy is not importable") == len(with_limit)
    assert "implicitreg" not in proc.stderr and "Traceback" not in proc.stderr


# --- exact numbers and balls --------------------------------------------------------------------------------

@given(st.fractions(min_value=-10 ** 6, max_value=10 ** 6).filter(lambda q: q != 0),
       st.integers(min_value=1, max_value=30))
def test_decimal_text_rounds_in_the_stated_direction(q, digits):
    up = I.exact(I.decimal_text(q, digits, "up"), "x")
    down = I.exact(I.decimal_text(q, digits, "down"), "x")
    assert down <= q <= up
    assert up - down <= abs(q) * Fraction(10) ** (1 - digits) * 2


@given(st.fractions(min_value=-10 ** 9, max_value=10 ** 9), st.fractions(min_value=0, max_value=10 ** 3))
def test_ball_from_interval_contains_negative_and_positive_intervals(centre, half):
    """Regression: endpoints of negative intervals (mpf.man_exp drops the sign)."""
    with I.precision(40):
        x = I.hull(I.point(centre - half), I.point(centre + half))
        a, b = I.endpoints(x)
        assert a <= centre - half and centre + half <= b
        assert (a < 0) == (centre - half < 0) or centre - half == 0
        lo, hi = I.read_ball(I.ball_from_interval(x, 25), "b")
        assert lo <= a and b <= hi


def test_exact_reads_strings_exactly_and_refuses_floats():
    assert I.exact("0.1", "x") == Fraction(1, 10)
    assert I.exact("-3/7", "x") == Fraction(-3, 7)
    assert I.exact("1e-3", "x") == Fraction(1, 1000)
    for bad in (0.1, "abc", "1/0", None, True):
        with pytest.raises(CheckFailure):
            I.exact(bad, "x")


def test_ball_from_interval_contains_and_is_tight():
    with I.precision(40):
        x = iv.sqrt(iv.mpf(2))
        ball = I.ball_from_interval(x, 30)
        lo, hi = I.read_ball(ball, "b")
        assert lo * lo < 2 < hi * hi  # sqrt(2) inside, checked in rationals
        assert hi - lo < Fraction(1, 10 ** 28)
        I.require_inside(x, ball, "b", "sqrt 2")
        with pytest.raises(CheckFailure, match="does not contain"):
            I.require_inside(x + I.point(Fraction(1, 10 ** 20)), ball, "b", "shifted")


def test_expression_evaluator_encloses_closed_forms():
    with I.precision(50):
        env = {"rho": I.point(Fraction(1, 2)), "alpha_product": I.point(Fraction(1, 1000)), "N": iv.mpf(2),
               "s": iv.mpf(1)}
        v = I.evaluate("(N - s)*(1 + rho)*alpha_product**(1 - rho)", env, "e")
        exact = sympy.Rational(3, 2) * sympy.sqrt(sympy.Rational(1, 1000))
        assert I.lo(v) <= mpmath.mpf(sympy.N(exact, 60)) <= I.hi(v)
        w = I.evaluate("sqrt(1 + rho**2)*exp(1/E)", env, "e")
        ref = sympy.N(sympy.sqrt(sympy.Rational(5, 4)) * sympy.exp(sympy.exp(-1)), 60)
        assert I.lo(w) <= mpmath.mpf(ref) <= I.hi(w)
    for bad, msg in (("rho + q", "unknown symbol"), ("__import__('os')", "unexpected character"),
                     ("log(rho - 1)", "non-positive")):
        with pytest.raises(CheckFailure, match=msg), I.precision(30):
            I.evaluate(bad, {"rho": I.point(Fraction(1, 2))}, "e")


def test_precision_context_restores_globals():
    before = (iv.prec, mpmath.mp.prec)
    with I.precision(123):
        assert iv.dps >= 123
    assert (iv.prec, mpmath.mp.prec) == before


# --- exact LP certificates ----------------------------------------------------------------------------------

A = [[Fraction(1), Fraction(1, 2)]]
Y = [Fraction(1)]


def test_l1_certificate_accepts_the_optimum_and_rejects_wrong_data():
    assert lp.check_l1_optimal(A, Y, [Fraction(1), Fraction(0)], Fraction(1), [Fraction(1)], "bp")
    with pytest.raises(CheckFailure, match="feasible"):
        lp.check_l1_optimal(A, Y, [Fraction(1), Fraction(1, 10)], Fraction(1), [Fraction(1)], "bp")
    with pytest.raises(CheckFailure, match="gap"):  # a feasible but not optimal point: (0, 2), ||.||_1 = 2
        lp.check_l1_optimal(A, Y, [Fraction(0), Fraction(2)], Fraction(2), [Fraction(1)], "bp")
    with pytest.raises(CheckFailure, match="dual feasible"):
        lp.check_l1_optimal(A, Y, [Fraction(1), Fraction(0)], Fraction(1), [Fraction(3, 2)], "bp")


def test_rho_certificate_needs_both_primal_and_dual():
    x = [Fraction(1), Fraction(0)]
    v = [Fraction(-1, 2), Fraction(1)]
    assert lp.check_rho(A, x, [0], [1], Fraction(1, 2), [Fraction(1)], v, "rho")
    with pytest.raises(CheckFailure, match="stated rho"):
        lp.check_rho(A, x, [0], [1], Fraction(2, 5), [Fraction(1)], v, "rho")
    with pytest.raises(CheckFailure, match="ker A"):
        lp.check_rho(A, x, [0], [1], Fraction(1, 2), [Fraction(1)], [Fraction(1, 2), Fraction(1)], "rho")
    with pytest.raises(CheckFailure, match="support"):
        lp.check_rho(A, x, [1], [1], Fraction(1, 2), [Fraction(1)], v, "rho")


square_ints = st.lists(st.integers(-5, 5), min_size=9, max_size=9)


@given(square_ints)
def test_charpoly_matches_sympy(entries):
    M = [[Fraction(entries[3 * i + j]) for j in range(3)] for i in range(3)]
    t = sympy.Symbol("t")
    ref = sympy.Matrix(3, 3, entries).charpoly(t).all_coeffs()
    assert lp.charpoly(M) == [Fraction(int(c)) for c in ref]


@given(square_ints)
def test_largest_eigenvalue_of_a_symmetric_matrix_is_enclosed(entries):
    B = sympy.Matrix(3, 3, entries)
    S = B * B.T  # symmetric PSD with integer entries; eigenvalues may repeat
    M = [[Fraction(int(S[i, j])) for j in range(3)] for i in range(3)]
    lo, hi = lp.largest_root_interval(lp.charpoly(M), Fraction(1, 10 ** 12))
    top = max(sympy.Poly(S.charpoly(sympy.Symbol("t"))).real_roots())
    assert sympy.Rational(lo.numerator, lo.denominator) <= top <= sympy.Rational(hi.numerator, hi.denominator)
    assert hi - lo <= Fraction(1, 10 ** 12)


# --- Krawczyk ------------------------------------------------------------------------------------------------

def test_krawczyk_proves_the_closed_form_root_and_rejects_boxes_without_it():
    """A = [[1]], y = 1, D = 2: 2 alpha sinh(nu) = 1, so nu = asinh(1 / (2 alpha)) (closed form)."""
    alpha = Fraction(1, 1000)
    with mpmath.workdps(60):
        nu = mpmath.asinh(mpmath.mpf(500))
        c = I.to_fraction(nu)
    rad = Fraction(1, 10 ** 30)
    with I.precision(60):
        K = krawczyk([[Fraction(1)]], [Fraction(1)], I.point(alpha), Fraction(2), [c], [rad], "nu")
        with mpmath.workdps(60):
            assert I.lo(K[0]) <= mpmath.asinh(500) <= I.hi(K[0])
        with pytest.raises(CheckFailure, match="Krawczyk"):  # shifted by 10 radii: the root is outside
            krawczyk([[Fraction(1)]], [Fraction(1)], I.point(alpha), Fraction(2), [c + 10 * rad], [rad], "nu")
        with pytest.raises(CheckFailure, match="Krawczyk"):  # wrong alpha: the root moved away
            krawczyk([[Fraction(1)]], [Fraction(1)], I.point(alpha * Fraction(11, 10)), Fraction(2), [c], [rad], "nu")


def test_krawczyk_for_depth_three_against_the_cubic_closed_form():
    """A = [[1]], y = 1, D = 3: alpha((1-z)^-3 - (1+z)^-3) = 1; check the root by bisection in mpmath."""
    alpha = Fraction(1, 100)
    with mpmath.workdps(60):
        f = lambda z: mpmath.mpf(1) / 100 * ((1 - z) ** -3 - (1 + z) ** -3) - 1  # noqa: E731
        a, b = mpmath.mpf("0.5"), mpmath.mpf("0.99")  # f(a) < 0 < f(b); f increasing
        for _ in range(200):
            a, b = ((a + b) / 2, b) if f((a + b) / 2) < 0 else (a, (a + b) / 2)
        root = (a + b) / 2
        c = I.to_fraction(root)
    with I.precision(60):
        K = krawczyk([[Fraction(1)]], [Fraction(1)], I.point(alpha), Fraction(3), [c], [Fraction(1, 10 ** 25)], "nu")
        with mpmath.workdps(60):
            assert I.lo(K[0]) <= root <= I.hi(K[0])
        with pytest.raises(CheckFailure, match="domain"):
            krawczyk([[Fraction(1)]], [Fraction(1)], I.point(alpha), Fraction(3), [Fraction(1)], [Fraction(1, 10)],
                     "nu")
