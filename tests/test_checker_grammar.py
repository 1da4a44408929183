"""The evaluate-nothing expression grammar of the certificate checker (proofs/checker/grammar.py)."""
from __future__ import annotations

import time
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from mpmath import iv

from implicitreg.proofs.checker import grammar as G


def _iv(text, env, **kw):
    return G.to_interval(G.parse(text, set(env), **kw), env)


def test_precedence_matches_python():
    # -x**2 = -(x**2); 2**-1 is allowed; ** is right-associative; / and * left-associative
    cases = {"-2**2": -4, "2**-1": Fraction(1, 2), "2**3**2": 512, "8/4/2": 1, "2*3-4/8": Fraction(11, 2),
             "(1 + 2)*3": 9, "-(-(-3))": -3, "+5": 5, "1.5e-3": Fraction(3, 2000), ".25": Fraction(1, 4),
             "7/3": Fraction(7, 3), "0.1": Fraction(1, 10)}
    for text, want in cases.items():
        assert G.to_rational(G.parse(text)) == want, text


def test_sympy_conversion_is_exact_and_matches_sympys_own_reading():
    t = sympy.Symbol("t", positive=True)
    for text in ["4*sinh(9*t/10)**2/(9*sinh(9*t/10)/5 + 2*sinh(t))**(9/5)", "(1 - t)**(-3)",
                 "sqrt(181)*sinh(9*t/10)/(5*(9*sinh(9*t/10)/5 + 2*sinh(t)))", "exp(-t)*log(t) + cosh(t)*tanh(t)",
                 "Max(t, 1/3) - Min(t, 2) + Abs(t - 1) + asinh(t)"]:
        ours = G.to_sympy(G.parse(text, {"t"}), {"t": t})
        theirs = sympy.parse_expr(text, local_dict={"t": t})  # a trusted literal, here only as the oracle
        assert sympy.simplify(ours - theirs) == 0, text
    assert G.to_sympy(G.parse("0.1"), {}) == sympy.Rational(1, 10)


def test_interval_enclosures_contain_the_true_values():
    import mpmath

    from implicitreg.proofs.checker.interval import precision

    env = {"x": Fraction(3, 7), "y": Fraction(-2, 5)}
    with precision(40), mpmath.workdps(60):  # both restored on exit (no global state leaks into other tests)
        iv.dps = 40
        xv, yv = mpmath.mpf(3) / 7, mpmath.mpf(-2) / 5
        for text, true in [("exp(x)*sinh(y)", mpmath.exp(xv) * mpmath.sinh(yv)),
                           ("cosh(y) - tanh(y)", mpmath.cosh(yv) - mpmath.tanh(yv)),
                           ("asinh(y)", mpmath.asinh(yv)), ("x**(1/3)", mpmath.cbrt(xv)),
                           ("Abs(y)*sqrt(x)", abs(yv) * mpmath.sqrt(xv)), ("log(x)/y", mpmath.log(xv) / yv),
                           ("y**3", yv ** 3), ("pi*E", mpmath.pi * mpmath.e), ("max(x, y) + min(x, y)", xv + yv)]:
            v = _iv(text, env)
            assert v.a <= true <= v.b and v.b - v.a < mpmath.mpf(10) ** -35, text


@pytest.mark.parametrize("text, words", [
    ("__import__('os').system('touch x') or oo", "unexpected character"),
    ("x.real", "unexpected character '.'"),
    ("x[0]", "unexpected character '['"),
    ("lambda: 1", "unexpected character ':'"),
    ("foo(1)", "unknown function 'foo'"),
    ("y + 1", "unknown symbol 'y'"),
    ("exp(1, 2)", "takes 1 argument"),
    ("1 +", "found end of text"),
    ("(1", "expected )"),
    ("1 2", "unexpected '2'"),
    ("", "empty expression"),
    ("1e-100000000", "exceeds the limit 10^(+-4000)"),
    ("9" * 1300, "number literal of 1300 characters"),
    ("-" * 50000 + "1", "expression of 50001 characters"),
    ("-" * 100 + "1", "nested deeper than 60"),
    ("(" * 100 + "1" + ")" * 100, "nested deeper than 60"),
    ("+".join(["x"] * 1000), "higher than 250"),
    ("exp(exp(exp(exp(exp(exp(exp(x)))))))", "nested deeper than 6"),
    ("x**100000", "exceeds the limit 1000"),
    ("x ** é", "non-ASCII"),
])
def test_hostile_text_is_refused_before_arithmetic(text, words):
    # hang guards measure CPU time (time.process_time): a loaded machine must not fail them, a runaway computation does
    t0 = time.process_time()
    with pytest.raises(G.GrammarError, match=None) as info:
        G.parse(text, {"x"})
    assert words in str(info.value)
    assert time.process_time() - t0 < 1


@pytest.mark.parametrize("text", ["exp(exp(exp(10)))*x", "x**(10**10)", "10**1000**1000", "x**(2000/1)",
                                  "log(x - 1)", "1/(x - x)", "(x - 1)**(1/2)", "sqrt(x - 2)"])
def test_evaluation_refuses_huge_or_undefined_values(text):
    e = G.parse(text, {"x"})
    t0 = time.process_time()
    with pytest.raises(G.DomainError):
        G.to_interval(e, {"x": Fraction(1)})
    assert time.process_time() - t0 < 1


def test_sympy_refuses_huge_exact_powers_and_keeps_transcendentals_symbolic():
    for text in ["(10**1000)**1000", "((10**900)**900)**900", "2**(1/100000)"]:
        with pytest.raises(G.GrammarError):
            G.to_sympy(G.parse(text), {})
    v = G.to_sympy(G.parse("exp(exp(exp(10)))"), {})
    assert v.func == sympy.exp  # stays unevaluated: cheap


def test_parse_number_exact_forms_only():
    assert G.parse_number("-3/7") == Fraction(-3, 7)
    assert G.parse_number("1.5e-7") == Fraction(15, 10 ** 8)
    assert G.parse_number("+12") == 12
    for bad in ["1/0", "0x10", "1_000", " 1", "\u0663", "1e", "--1", "+-1", "1/-2", "1e-5000", "inf", "nan", "", 7]:
        with pytest.raises(G.GrammarError):
            G.parse_number(bad)


def test_the_tree_is_immutable_and_canonical_text_round_trips():
    e = G.parse("-(x + 2/3)**2*exp(x)/7 - Min(x, 1)", {"x"})
    with pytest.raises(AttributeError):
        e.op = "+"
    assert G.parse(G.to_text(e), {"x"}) == e
    assert G.free_symbols(e) == {"x"}
    assert G.node_count(e) > 5


def test_extra_functions_are_declared_and_supplied_by_the_caller():
    e = G.parse("h(x) + 1", {"x"}, functions={"h": 1})
    assert G.to_interval(e, {"x": iv.mpf(2)}, functions={"h": lambda z: z * z}).a == 5
    with pytest.raises(G.GrammarError, match="unknown function 'h'"):
        G.parse("h(x)", {"x"})


_atoms = st.sampled_from(["x", "1", "2/3", "0.5", "E", "pi", "1e3", "(", ")", "+", "-", "*", "/", "**", ",", "exp",
                          "log", "sqrt", "Abs", "Max", "__", ".", "'", "[", "]", "1e99999", "9" * 50, " ", "os",
                          "import"])


@given(st.lists(_atoms, max_size=60))
def test_random_token_soup_never_crashes_or_hangs(parts):
    text = "".join(parts)
    t0 = time.process_time()
    try:
        e = G.parse(text, {"x"})
    except G.GrammarError:
        return
    for run in (lambda: G.to_interval(e, {"x": Fraction(1, 3)}), lambda: G.to_sympy(e, {"x": sympy.Symbol("x")})):
        try:
            run()
        except G.GrammarError:
            pass
    assert time.process_time() - t0 < 2
