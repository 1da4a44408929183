"""Direct tests of the checker's SymPy re-checks (proofs/checker/symbolic.py): ``recheck_limit`` (a certificate's
``limit`` section), ``prove_equality`` (an exact equality error = bound on a Krawczyk box) and the interval
decisions ``_decided_sign`` / ``_decided_argmax`` they rest on, on the smallest inputs that reach each branch
(rational links at D = 3 and 5/2, sinh at D = 2: a few seconds in all, unlike the whole-certificate runs).

Every expected value is derived here by hand, never taken from the function under test:

* the limit section, instance A = [2, 1], y = 2, x* = (1, 0) (a_1 = 2, a_2 = 1). Along A^T nu = t A the dual
  equation gives alpha(t) = 2 / (2 phi(2t) + phi(t)); e_2 = alpha phi(t), e_1 = -e_2 / 2, so ||e||_1 = (3/2) e_2,
  ||e||_2 = (sqrt(5)/2) e_2. D = 3: phi(z) = (1 - z)^-3 - (1 + z)^-3 (rational), t -> 1/2; against the l1 scale
  (N - s)(1 + rho) h(rho) alpha the ratio is (3/2) phi(t) / ((1 + rho) phi(rho)) -> (3/2) phi(1/2) / ((1 + rho)
  phi(rho)): 1 at rho = 1/2, 1664/567 at rho = 1/3 (phi(1/2) = 208/27, phi(1/3) = 189/64); against the l2 scale
  sqrt(1 + rho^2) h(rho) alpha its square tends to (5/4) phi(1/2)^2 / ((1 + rho^2) phi(rho)^2). D = 2: phi = 2 sinh,
  alpha(t) = 1 / (2 sinh 2t + sinh t), t -> oo, and both MS-D2 scales give 2 sinh(t) alpha^(1/2) -> 1.
* the equality proof, instance A = [1, 1/2], x* = (1, 0), S = {0}, rho = K2 = 1/2 (MS-D3's family), D = 3,
  alpha_prod = 1/1000, boxes around the reference certificate's point (nu = 0.89991...). With nu < 1 the decided
  sign gives eps = 1 - nu, so rho_minus = rho - K2 eps = nu/2 = w_2 and alpha_prod h(rho_minus) = x_2, the linf
  error (|x_2| > |x_1 - 1|): the lower bound is attained. Any other constant, exponent, convention or sign is
  not an identity in nu.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from mpmath import iv

from strategies_certificates import raises_exactly
from implicitreg.proofs.checker import grammar, symbolic as Sy, theorems
from implicitreg.proofs.checker.interval import point, precision

F = Fraction


def phi3(z: Fraction) -> Fraction:
    return (1 - z) ** -3 - (1 + z) ** -3


def tree(text: str, symbols=Sy.CLOSED_FORM, functions=theorems.LINK):
    return grammar.parse(text, symbols, functions)


# --- recheck_limit: the instance A = [2, 1], y = 2, x* = (1, 0) ---------------------------------------------------

A, Y, XS = [[F(2), F(1)]], [F(2)], [F(1), F(0)]
L1_SCALE = "(N - s)*(1 + rho)*h(rho)*alpha_product"         # MS-D3's tightness scale
L2_SCALE = "sqrt(1 + rho**2)*h(rho)*alpha_product"          # the kink's (D > 2)
PHI3 = "((1 - {z})**(-3) - (1 + {z})**(-3))"
ALPHA3 = f"2/(2*{PHI3.format(z='(2*t)')} + {PHI3.format(z='t')})"
E2_3 = f"({ALPHA3})*{PHI3.format(z='t')}"
ALPHA2 = "1/(2*sinh(2*t) + sinh(t))"
E2_2 = f"({ALPHA2})*2*sinh(t)"
TEXTS = {3: {"t_limit": "1/2", "alpha_of_t": ALPHA3, "l1": f"3/2*{E2_3}", "l2": f"sqrt(5)/2*{E2_3}"},
         2: {"t_limit": "oo", "alpha_of_t": ALPHA2, "l1": f"3/2*{E2_2}", "l2": f"sqrt(5)/2*{E2_2}"}}
SCALES = {(3, "l1"): L1_SCALE, (3, "l2"): L2_SCALE, (2, "l1"): "(N - s)*(1 + rho)*alpha_product**(1 - rho)",
          (2, "l2"): "sqrt(1 + rho**2)*alpha_product**(1 - rho)"}
NOT_FAMILY = ("limit", f"the symbolic re-check supports 1 x N families (N <= {Sy.MAX_SYMBOLIC_N}) with positive "
                       "entries of at most 128 bits and x* = (y/a_1) e_1 only")


def section(depth=3, norm="l1", value="1", steps=(), **changes) -> dict:
    """A limit section for the instance, with the stated texts derived above (``changes`` replace any of them)."""
    texts = TEXTS[depth]
    out = {"bound": 0, "t_limit": texts["t_limit"], "alpha_of_t": texts["alpha_of_t"], "error_of_t": texts[norm],
           "value": value, "steps": list(steps)}
    out.update(changes)
    return out


def recheck(limit, depth=3, norm="l1", expr=None, rho=F(1, 2), convention="product", A=A, y=Y, xs=XS, bounds=None):
    bounds = bounds or [("tightness scale", "limit", norm, tree(expr or SCALES[(depth, norm)]))]
    return Sy.recheck_limit(sympy, limit, A, y, xs, F(depth), convention, bounds, rho)


def refused(field, message, limit, **kw):
    raises_exactly(field, message, lambda: recheck(limit, **kw))


def accepted(value="1", steps=0):
    return [f"limit (SymPy): along the dual curve, alpha(t) -> 0 and error/bound -> {value} ({steps} steps re-checked)"]


BAD_INDEX = ("limit.bound", "must index an entry of bounds")


def test_family_refusals_each_on_both_sides():
    """Outside the 1 x N family: refused before anything else. Inside (the boundary case): the next check, the
    bound index (out of range on purpose), is reached."""
    big, bigger = F(2 ** 126), F(2 ** 127)                                     # 127 + 1 bits, 128 + 1 bits
    cases = [  # (A, y, xs) outside, the same on the boundary inside
        (([[F(1), F(1)], [F(0), F(1)]], Y, XS), ([[F(1), F(1)]], Y, XS)),      # two rows / one row
        (([[F(1)] * 5], Y, [F(1)] + [F(0)] * 4), ([[F(1)] * 4], Y, [F(1)] + [F(0)] * 3)),   # N = 5 / N = 4
        ((A, Y, [F(0), F(2)]), (A, Y, [F(1, 10 ** 9), F(0)])),                 # x*_1 = 0 / x*_1 != 0
        ((A, Y, [F(1), F(1, 10 ** 9)]), (A, Y, [F(1), F(0)])),                  # x*_2 != 0
        ((A, [F(0)], XS), (A, [F(1, 10 ** 9)], XS)),                            # y = 0 / y > 0
        ((A, [F(-2)], XS), (A, [F(2)], XS)),
        (([[F(2), F(0)]], Y, XS), ([[F(2), F(1, 10 ** 9)]], Y, XS)),           # a_2 = 0 / a_2 > 0
        (([[F(-2), F(1)]], Y, XS), ([[F(2), F(1)]], Y, XS)),                    # a_1 < 0
        (([[F(2), F(-1)]], Y, XS), ([[F(2), F(1)]], Y, XS)),                    # a_2 < 0
        (([[bigger, F(1)]], Y, XS), ([[big, F(1)]], Y, XS)),                    # 129 / 128 bits in A
        (([[F(2), F(1, 2 ** 127)]], Y, XS), ([[F(2), F(1, 2 ** 126)]], Y, XS)),
        ((A, [bigger], XS), (A, [big], XS)),                                    # and in y
        ((A, [F(3, 2 ** 126)], XS), (A, [F(1, 2 ** 126)], XS)),                 # 2 + 127 bits / 1 + 127 bits
    ]
    for (a, y, xs), (a_in, y_in, xs_in) in cases:
        raises_exactly(*NOT_FAMILY, lambda: recheck(section(bound=1), A=a, y=y, xs=xs))
        raises_exactly(*BAD_INDEX, lambda: recheck(section(bound=1), A=a_in, y=y_in, xs=xs_in))


def test_bound_index_side_and_symbols():
    limit_entry = ("tightness scale", "limit", "l1", tree(L1_SCALE))
    upper = ("upper_l1", "upper", "l1", tree("alpha_product*n*(K2 + 1)*h(M0)", theorems.DIAGONAL_SYMBOLS))
    for b in (-1, 2):
        refused(*BAD_INDEX, section(bound=b), bounds=[upper, limit_entry])
    refused("limit.bound", "must index a tightness scale (side 'limit'), not the upper bound 'upper_l1'",
            section(bound=0), bounds=[upper, limit_entry])
    # the last entry is in range: the whole re-check runs and accepts
    assert recheck(section(bound=1), bounds=[upper, limit_entry]) == accepted()
    # a quantity with no closed form along the curve (alphabetically first one named), at its own bound's field
    for extra, first in (("rho_minus + eps", "eps"), ("K1*M0", "K1"), ("K1star", "K1star"), ("rho_a", "rho_a")):
        bad = ("tightness scale", "limit", "l1", tree(f"{L1_SCALE} + {extra}", theorems.DIAGONAL_SYMBOLS))
        refused("bounds[1].expr", f"uses {first}, a quantity with no closed form in alpha along the dual curve: the "
                                  "symbolic limit cannot be re-checked", section(bound=1), bounds=[upper, bad])
    # every closed-form name (and h) is allowed: this one is the MS-D3 scale times 1, spelled with all of them
    every = f"{L1_SCALE}*(alpha/alpha_product)*(N - n - m + 1)*(D/p)"
    assert recheck(section(), expr=every) == accepted()


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_true_limits_accepted_at_depth_3(norm):
    assert recheck(section(norm=norm), norm=norm) == accepted()
    # rho = 1/3 (a value other than 1, so the limit is really computed): closed forms above
    if norm == "l1":
        value = F(3, 2) * phi3(F(1, 2)) / (F(4, 3) * phi3(F(1, 3)))
        assert value == F(1664, 567)
        text = str(value)
    else:
        square = F(5, 4) * phi3(F(1, 2)) ** 2 / (F(10, 9) * phi3(F(1, 3)) ** 2)
        text = f"sqrt({square})"
    assert recheck(section(norm=norm, value=text), norm=norm, rho=F(1, 3)) == accepted(text)


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_true_limits_accepted_at_depth_2(norm):
    assert recheck(section(2, norm), 2, norm) == accepted()


def test_limits_off_by_a_little_are_refused():
    msg = "SymPy finds the limit of error/bound to be {}, not {}"
    refused("limit.value", msg.format(1, "1001/1000"), section(value="1001/1000"))
    refused("limit.value", msg.format(1, "999/1000"), section(norm="l2", value="999/1000"), norm="l2")
    refused("limit.value", msg.format(1, "1001/1000"), section(2, value="1001/1000"), depth=2)
    refused("limit.value", msg.format(1, "1001/1000"), section(2, "l2", value="1001/1000"), depth=2, norm="l2")
    off = "1664/567 + 1/10**12"
    refused("limit.value", msg.format("1664/567", off), section(value=off), rho=F(1, 3))
    # l2: the limit is the square root of the limit of ratio^2: stating the square is refused
    square = F(5, 4) * phi3(F(1, 2)) ** 2 / (F(10, 9) * phi3(F(1, 3)) ** 2)
    refused("limit.value", msg.format(sympy.sqrt(sympy.Rational(square.numerator, square.denominator)), square),
            section(norm="l2", value=str(square)), norm="l2", rho=F(1, 3))
    # the error of another norm against the scale: l1 error (3/2) e_2 / the l2 scale (sqrt(5)/2) phi(1/2) alpha
    refused("limit.value", msg.format(f"3*sqrt(5)/5", 1), section(norm="l1"), expr=L2_SCALE)


def test_convention_and_a_depth_that_is_not_an_integer():
    """alpha is alpha_prod^(1/D) in the factor convention: alpha**3 is the product scale at D = 3 there, while in
    the product convention it is alpha_prod^3, and error/bound ~ alpha_prod / alpha_prod^3 -> oo."""
    per_factor = L1_SCALE.replace("alpha_product", "alpha**3")
    assert recheck(section(), expr=per_factor, convention="factor") == accepted()
    refused("limit.value", "SymPy finds the limit of error/bound to be oo, not 1", section(), expr=per_factor)
    refused("limit.value", "SymPy finds the limit of error/bound to be 0, not 1", section(),
            expr=L1_SCALE.replace("alpha_product", "alpha"), convention="factor")   # alpha_prod^(1/3) >> alpha_prod
    # D = 5/2: phi(z) = (1 - z)^-5 - (1 + z)^-5, alpha = alpha_prod^(2/5); the same closed forms with exponent -5
    phi5 = "((1 - {z})**(-5) - (1 + {z})**(-5))"
    alpha5 = f"2/(2*{phi5.format(z='(2*t)')} + {phi5.format(z='t')})"
    limit = section(alpha_of_t=alpha5, error_of_t=f"3/2*({alpha5})*{phi5.format(z='t')}")
    for expr in (L1_SCALE, L1_SCALE.replace("alpha_product", "alpha**(5/2)"),
                 L1_SCALE.replace("alpha_product", "alpha**D")):
        assert recheck(limit, depth=F(5, 2), expr=expr, convention="factor") == accepted()
    refused("limit.value", "SymPy finds the limit of error/bound to be 0, not 1", limit, depth=F(5, 2),
            expr=L1_SCALE.replace("alpha_product", "alpha**(3/2)"), convention="factor")   # alpha_prod^(3/5)
    refused("limit.alpha_of_t", "is not y / sum_j a_j phi_D(a_j t) (the dual equation)", section(), depth=F(5, 2),
            expr=L1_SCALE)


def test_every_closed_form_name_has_its_value():
    """N = 2, s = 1, n = N - s = 1, m = 1, D = p = 3 on this instance: a weighted sum of them, divided out again,
    leaves the limit at 1 only if each name has exactly its value."""
    weights = "(N + 10*s + 100*n + 1000*m + 10**4*D + 10**5*p + 10**6*rho)"
    c = 2 + 10 + 100 + 1000 + 3 * 10 ** 4 + 3 * 10 ** 5 + 10 ** 6 // 2
    assert recheck(section(), expr=f"{L1_SCALE}*{weights}/{c}") == accepted()
    refused("limit.value", f"SymPy finds the limit of error/bound to be {F(c + 1, c)}, not 1", section(),
            expr=f"{L1_SCALE}*{weights}/{c + 1}")


def test_t_limit_stated_texts():
    refused("limit.t_limit", "the dual curve ends at t = 1/2", section(t_limit="oo"))
    refused("limit.t_limit", "the dual curve ends at t = 1/2", section(t_limit="1"))      # 1/a_1, not 1/max a_j
    refused("limit.t_limit", "the dual curve ends at t = 1/2", section(t_limit="1/2 + 1/10**30"))
    refused("limit.t_limit", "the dual curve ends at t = oo", section(2, t_limit="1"), depth=2)
    refused("limit.t_limit", "the dual curve ends at t = oo", section(2, t_limit="10**30"), depth=2)
    # the same number written so that only simplification shows it (sinh^2 - cosh^2 = -1)
    assert recheck(section(t_limit="sinh(1)**2 - cosh(1)**2 + 3/2")) == accepted()


def test_alpha_and_error_texts():
    dual = "is not y / sum_j a_j phi_D(a_j t) (the dual equation)"
    refused("limit.alpha_of_t", dual, section(alpha_of_t=f"1/2*{ALPHA3}"))                 # y dropped
    refused("limit.alpha_of_t", dual, section(alpha_of_t=f"2/(2*{PHI3.format(z='(2*t)')})"))  # a_2's term dropped
    refused("limit.alpha_of_t", dual, section(2, alpha_of_t="1/(2*sinh(2*t))"), depth=2)
    # the error: each norm's own closed form, and nothing else
    not_l1 = "is not ||x_inf - x*||_1 along the curve"
    not_l2 = "is not ||x_inf - x*||_2 along the curve"
    refused("limit.error_of_t", not_l1, section(error_of_t=TEXTS[3]["l2"]))
    refused("limit.error_of_t", not_l1, section(error_of_t=E2_3))                          # e_2 alone
    refused("limit.error_of_t", not_l1, section(error_of_t=f"3*{E2_3}"))                   # 1 + a_1/a_2
    refused("limit.error_of_t", not_l2, section(norm="l1"), norm="l2")
    refused("limit.error_of_t", not_l2, section(error_of_t=E2_3), norm="l2")               # e_1 dropped
    # minus the norm has the same square, but is not the (positive) norm
    refused("limit.error_of_t", not_l2, section(error_of_t=f"-{TEXTS[3]['l2']}"), norm="l2")
    refused("limit.error_of_t", not_l2, section(2, error_of_t=f"-{TEXTS[2]['l2']}"), depth=2, norm="l2")
    refused("limit.error_of_t", not_l1, section(2, error_of_t=TEXTS[2]["l2"]), depth=2)
    refused("limit", "the symbolic re-check supports the l1 and l2 norms", section(), norm="linf", expr=L1_SCALE)


def test_steps_each_both_ways():
    dual = {"claim": "alpha(t) solves the dual equation", "method": "identity", "rhs": "2",
            "lhs": f"({ALPHA3})*(2*{PHI3.format(z='(2*t)')} + {PHI3.format(z='t')})"}
    to_zero = {"claim": "alpha(t) -> 0", "method": "limit", "lhs": ALPHA3, "rhs": "0"}
    # true only from the left of t = 1/2, where the curve ends: 1/(2t - 1) -> -oo there, +oo from the right
    left = {"claim": "exp(1/(2t - 1)) -> 0 as t -> 1/2-", "method": "limit", "lhs": "exp(1/(2*t - 1))", "rhs": "0"}
    steps = [dual, to_zero, left]
    assert recheck(section(steps=steps)) == accepted(steps=3)
    for i, (key, wrong) in enumerate((("rhs", "1"), ("rhs", "1/1000"), ("lhs", "exp(1/(1 - 2*t))"))):
        bad = [dict(s) for s in steps]
        bad[i][key] = wrong
        refused(f"limit.steps[{i}]", f"SymPy does not confirm: {steps[i]['claim']}", section(steps=bad))
    # a limit step is a limit, not an identity: alpha(t) is not identically 0
    refused("limit.steps[0]", "SymPy does not confirm: alpha(t) -> 0",
            section(steps=[dict(to_zero, method="identity")]))
    # at depth 2 the curve ends at +oo
    grows = {"claim": "exp(-t) -> 0", "method": "limit", "lhs": "exp(-t)", "rhs": "0"}
    assert recheck(section(2, steps=[grows]), depth=2) == accepted(steps=1)
    refused("limit.steps[0]", "SymPy does not confirm: exp(-t) -> 0",
            section(2, steps=[dict(grows, lhs="exp(t)*exp(-t)")]), depth=2)


def test_bound_that_cannot_be_converted():
    bound = ("tightness scale", "limit", "l1", tree(f"{L1_SCALE}*g(rho)", functions={"h": 1, "g": 1}))
    refused("bounds[0].expr", "cannot convert the bound: function 'g' has no SymPy meaning here", section(),
            bounds=[bound])


# --- the section's texts: parsed first, within LIMIT_LIMITS ---------------------------------------------------

def _balanced(k: int, leaf: str) -> str:
    return leaf if k == 0 else f"({_balanced(k - 1, leaf)}+{_balanced(k - 1, leaf)})"


def test_parse_limits_on_both_sides():
    """Each text is read with LIMIT_LIMITS (4000 characters, 600 nodes, 60-character literals, exponents up to 64,
    exact powers up to 4096 bits), before any SymPy work: a refusal comes even when the t limit is also wrong.
    At the boundary a text is read, shown by the refusal moving on to the next (unreadable) text."""
    assert (Sy.LIMIT_LIMITS.max_chars, Sy.LIMIT_LIMITS.max_nodes, Sy.LIMIT_LIMITS.max_literal_chars,
            Sy.LIMIT_LIMITS.max_power, Sy.LIMIT_LIMITS.max_bits) == (4000, 600, 60, 64, 4096)
    unreadable = [{"claim": "c", "method": "identity", "lhs": "t +", "rhs": "1"}]
    for field in ("t_limit", "alpha_of_t", "error_of_t", "value"):
        leaf = "t" if field in ("alpha_of_t", "error_of_t") else "1"      # t is no symbol of t_limit or value
        six_hundred = f"-({_balanced(8, leaf)}{('+' + leaf) * 44})"    # 1 + 511 + 88 nodes
        assert grammar.node_count(grammar.parse(six_hundred, ("t",))) == 600
        inside_outside = [  # (a text at the limit, one past it, the grammar's message for the latter)
            ("1/2" + " " * 3997, "1/2" + " " * 3998, "expression of 4001 characters (limit 4000)"),
            ("1" * 60, "1" * 61, "number literal of 61 characters at position 0 (limit 60)"),
            (f"{leaf}**64", f"{leaf}**65", "exponent 65 exceeds the limit 64"),
            (f"{leaf}**(1/64)", f"{leaf}**(1/65)", "exponent 1/65 exceeds the limit 64"),
            ("(2**62)**64", "(2**63)**64", "exact power exceeds 4096 bits"),             # 64 * 64, 65 * 64 bits
            (six_hundred, six_hundred[:-1] + f"+{leaf})", "expression has more than 600 nodes"),
        ]
        for inside, outside, message in inside_outside:
            raises_exactly(f"limit.{field}", f"cannot read the expression: {message}",
                           lambda: recheck(section(**{"t_limit": "2", field: outside})))
            raises_exactly("limit.steps[0].lhs", "cannot read the expression: expected a number, name or '(', "
                                                 "found end of text",
                           lambda: recheck(section(**{"t_limit": "2", field: inside}, steps=unreadable)))
    # names: t is no symbol of t_limit or value, oo none of alpha_of_t; the step texts are read the same way
    raises_exactly("limit.t_limit", "cannot read the expression: unknown symbol 't' at position 0",
                   lambda: recheck(section(t_limit="t")))
    raises_exactly("limit.value", "cannot read the expression: unknown symbol 't' at position 0",
                   lambda: recheck(section(value="t")))
    raises_exactly("limit.alpha_of_t", "cannot read the expression: unknown symbol 'oo' at position 0",
                   lambda: recheck(section(alpha_of_t="oo")))
    raises_exactly("limit.steps[1].rhs", "cannot read the expression: exponent 65 exceeds the limit 64",
                   lambda: recheck(section(t_limit="2", steps=[{"claim": "c", "method": "identity", "lhs": "t",
                                                                "rhs": "t"},
                                                               {"claim": "c", "method": "identity", "lhs": "t",
                                                                "rhs": "t**65"}])))


# --- _decided_sign and _decided_argmax ----------------------------------------------------------------------------

def I(a, b=None):
    return iv.mpf([a, a if b is None else b])


def test_decided_sign_at_the_exact_boundary():
    undecided = ("W", "equality: a sign is not decided on the box, so the identity cannot be set up")
    with precision(30):
        assert Sy._decided_sign(I("1e-30", 1), "W") == 1
        assert Sy._decided_sign(I(-1, "-1e-30"), "W") == -1
        assert Sy._decided_sign(I(2), "W") == 1 and Sy._decided_sign(I(-2), "W") == -1
        for x in (I(0, 1), I(-1, 0), I(0), I(-1, 1)):
            raises_exactly(*undecided, Sy._decided_sign, x, "W")


def test_decided_argmax_at_the_exact_boundary():
    undecided = ("W", "equality: the maximum is not decided on the box, so the identity cannot be set up")
    with precision(30):
        assert Sy._decided_argmax([I(5)], "W") == 0
        assert Sy._decided_argmax([I(1, 2), I("2.000001", 3)], "W") == 1
        assert Sy._decided_argmax([I(3, 4), I(1, "2.999999")], "W") == 0
        assert Sy._decided_argmax([I(0, 1), I("0.5", "1.5"), I(2, 3)], "W") == 2   # the others overlap: no matter
        assert Sy._decided_argmax([I(0, 1), I(2, 3), I("0.5", "1.5")], "W") == 1
        for mags in ([I(1, 2), I(2, 3)], [I(2, 3), I(1, 2), I(3)], [I(1), I(1)], [I(0, 1), I(2, 3), I(1, 3)], []):
            raises_exactly(*undecided, Sy._decided_argmax, mags, "W")


# --- prove_equality: the instance A = [1, 1/2], x* = (1, 0), S = {0}, rho = K2 = 1/2 -------------------------

EA, EX = [[F(1), F(1, 2)]], [F(1), F(0)]
WHERE = "points[0].bounds[2].equality"
NOT_ZERO = (WHERE, "equality: SymPy does not reduce error - bound to 0 on the box")
# around the reference point alpha_prod = 1/1000: nu = 0.89991..., x = (0.99716..., 0.00568...)
BOXES = {"diff": [I("-0.0029", "-0.0028"), I("0.0056", "0.0057")], "w": [I("0.8999", "0.9"), I("0.44995", "0.45")],
         "rho": I("0.5"), "K2": I("0.5"), "alpha_product": I("0.001")}


def prove(text, norm="linf", depth=F(3), alpha=F(1, 1000), convention="product", boxes=None, A=EA, xs=EX,
          support=(0,), signs=(1,), rho=F(1, 2), K2=F(1, 2), functions=theorems.LINK):
    with precision(30):
        return Sy.prove_equality(sympy, A, xs, list(support), list(signs), depth, alpha, convention, rho, K2, norm,
                                 tree(text, theorems.DIAGONAL_SYMBOLS, functions), dict(BOXES, **(boxes or {})),
                                 WHERE)


def not_proved(text, **kw):
    raises_exactly(*NOT_ZERO, lambda: prove(text, **kw))


def test_equality_true_identity_and_each_kind_of_false_one():
    lower = "alpha_product*h(rho_minus)"                     # MS-D3's lower_inf: = x_2 = ||x - x*||_inf
    assert prove(lower) is None
    assert prove("alpha_product*h(1 - rho_a)") is None      # rho_a = rho + K2 eps = 1 - nu/2: the same identity
    for false in ("2*alpha_product*h(rho_minus)",           # a constant
                  "alpha_product*h(rho_minus)/2",
                  "alpha_product**(11/10)*h(rho_minus)",    # an exponent
                  "alpha_product*h(rho_minus)**2",
                  "alpha_product*h(rho_a)",                  # another a-posteriori constant
                  "alpha_product*h(eps)",
                  "alpha_product*h(rho)"):                   # the a-priori rho in place of rho_minus
        not_proved(false)
    not_proved(lower, K2=F(1, 3))                            # rho_minus = 1/2 - (1 - nu)/3: not x_2
    not_proved(lower, rho=F(1, 3))
    # the error's other entry: |x_1 - 1| = 1 - alpha_prod phi(nu), and eps = 1 - nu gives nu = 1 - eps
    assert prove("1 - alpha_product*h(1 - eps)", boxes={"diff": [I("-0.3", "-0.2"), I("0.1", "0.15")]}) is None
    not_proved(lower, boxes={"diff": [I("-0.3", "-0.2"), I("0.1", "0.15")]})


def test_equality_conventions_and_a_depth_that_is_not_an_integer():
    """Product convention: alpha = alpha_prod = 1/1000; per-factor: alpha = 1/10, alpha_prod = alpha^3."""
    for text in ("alpha_product*h(rho_minus)", "alpha**3*h(rho_minus)", "alpha**D*h(rho_minus)",
                 "alpha**p*h(rho_minus)"):
        assert prove(text, alpha=F(1, 10), convention="factor") is None
    not_proved("alpha*h(rho_minus)", alpha=F(1, 10), convention="factor")
    not_proved("alpha**2*h(rho_minus)", alpha=F(1, 10), convention="factor")
    assert prove("alpha*h(rho_minus)") is None
    not_proved("alpha**3*h(rho_minus)")
    # D = 5/2, per-factor alpha = 1/100: alpha_prod = 10^-5 (exactly: (1/100)^(5/2)), phi has exponent -5
    for text in ("alpha_product*h(rho_minus)", "alpha**(5/2)*h(rho_minus)", "alpha**D*h(rho_minus)"):
        assert prove(text, depth=F(5, 2), alpha=F(1, 100), convention="factor") is None
    not_proved("alpha**2*h(rho_minus)", depth=F(5, 2), alpha=F(1, 100), convention="factor")
    not_proved("alpha**3*h(rho_minus)", depth=F(5, 2), alpha=F(1, 100), convention="factor")


def test_equality_names_have_their_values():
    """N = 2, s = 1, n = 1, m = 1, D = p = 3, K2 = rho = 1/2, alpha = 1/1000 here; 2 x 3 below: N = 3, s = m = 2."""
    extra = "(N + 10*s + 100*n + 1000*m + 10**4*D + 10**5*p + 10**6*K2 + 10**7*rho + 10**9*alpha)"
    c = 2 + 10 + 100 + 1000 + 3 * 10 ** 4 + 3 * 10 ** 5 + 10 ** 6 // 2 + 10 ** 7 // 2 + 10 ** 6
    assert prove(f"alpha_product*h(rho_minus) + {extra} - {c}") is None
    not_proved(f"alpha_product*h(rho_minus) + {extra} - {c + 1}")


def test_eps_rho_a_rho_minus_signs_and_branches():
    # eps alone, rho_a alone, rho_minus alone each trigger the eps branch
    assert prove("alpha_product*h(1 - eps/2) - alpha_product*h(1 - eps/2) + alpha_product*h(rho - K2*eps)") is None
    # w_1 > 1 decided: eps = nu - 1, rho_minus = 1 - nu/2, so x_2 = alpha_prod h(1 - rho_minus)
    above = {"w": [I("1.1", "1.2"), I("0.55", "0.6")]}
    assert prove("alpha_product*h(1 - rho_minus)", boxes=above) is None
    not_proved("alpha_product*h(rho_minus)", boxes=above)
    # rho - K2 |w_1 - 1| < 0 decided on the box: rho_minus = 0 (max(., 0)), so h(rho_minus) = 0
    negative = {"w": [I("-0.2", "-0.1"), I("-0.1", "-0.05")]}
    assert prove("alpha_product*h(1 - rho_a) + rho_minus", boxes=negative) is None
    not_proved("alpha_product*h(rho_minus)", boxes=negative)
    not_proved("alpha_product*h(1 - rho_a) + rho_minus + 1", boxes=negative)
    not_proved("alpha_product*h(1 - rho_a) + rho_minus")   # rho_minus > 0 on the reference box: = nu/2, not 0
    # undecided: w_1 - 1 straddles 0, or rho - K2 |w_1 - 1| does
    undecided = (WHERE, "equality: a sign is not decided on the box, so the identity cannot be set up")
    raises_exactly(*undecided, lambda: prove("alpha_product*h(rho_minus)", boxes={"w": [I("0.99", "1.01"), I("0.5")]}))
    raises_exactly(*undecided, lambda: prove("alpha_product*h(rho_minus)", boxes={"w": [I("-0.1", "0.1"), I("0")]}))
    # alpha_prod's box is read only for K1 (not named here): an undecidable one does not matter
    assert prove("alpha_product*h(rho_minus)", boxes={"alpha_product": I("-1", "1")}) is None


def test_equality_K1_both_signs_at_depth_2():
    """D = 2, alpha_prod = 1/1000: x_1 = alpha_prod 2 sinh(nu) ~ 1 puts nu near log 1000 = 6.9077...; K1 =
    |nu - log(1/alpha_prod)| decided, so nu = log(1/alpha_prod) -+ K1. l1 error on the box's signs (-, +):
    1 - x_1 + x_2, with x_2 = alpha_prod 2 sinh(nu/2)."""
    minus = "1 - alpha_product*h(log(1/alpha_product) - K1) + alpha_product*h((log(1/alpha_product) - K1)/2)"
    plus = minus.replace("- K1", "+ K1")
    below, above = {"w": [I("6.9", "6.9077"), I("3.45", "3.45385")]}, {"w": [I("6.9078", "6.91"), I("3.4539", "3.46")]}
    assert prove(minus, "l1", F(2), boxes=below) is None
    assert prove(plus, "l1", F(2), boxes=above) is None
    assert prove(minus, "l1", F(2), boxes=dict(below, rho=I(-1, 1))) is None     # rho_minus not named: not needed
    not_proved(plus, norm="l1", depth=F(2), boxes=below)
    not_proved(minus, norm="l1", depth=F(2), boxes=above)
    not_proved(minus, norm="l1", depth=F(2), boxes=dict(below, diff=[I("0.1", "0.2"), I("0.1", "0.15")]))   # signs
    # log(1/alpha_prod) uses the convention's alpha_prod: per-factor alpha = 1/10 at D = 2 is alpha_prod = 1/100
    assert prove(minus, "l1", F(2), alpha=F(1, 10), convention="factor",
                 boxes={"w": [I("4.5", "4.6"), I("2.25", "2.3")], "alpha_product": I("0.01")}) is None
    raises_exactly(WHERE, "equality: a sign is not decided on the box, so the identity cannot be set up",
                   lambda: prove(minus, "l1", F(2), boxes={"w": [I("6.9", "6.91"), I("3.45")]}))


def test_equality_picks_the_decided_support_entry():
    """2 x 3: A = [[1, 0, 1/2], [0, 1, 1/2]], x* = (1, 3, 0), S = {0, 1}, signs (+, +). The linf error is
    |x_2 - 3| = 3 - alpha_prod phi(nu_2) (entry 2 decided largest, negative); eps and K1 are taken at the support
    entry the box decides (entry 2): eps = 1 - nu_2, K1 = log(1/alpha_prod) - nu_2."""
    A2, x2 = [[F(1), F(0), F(1, 2)], [F(0), F(1), F(1, 2)]], [F(1), F(3), F(0)]
    diff = [I("-0.01", "-0.005"), I("-0.03", "-0.02"), I("0.001", "0.002")]
    kw = dict(A=A2, xs=x2, support=(0, 1), signs=(1, 1))
    second = {"diff": diff, "w": [I("0.95", "0.96"), I("0.8", "0.9"), I("0.875", "0.93")]}
    first = {"diff": diff, "w": [I("0.8", "0.9"), I("0.95", "0.96"), I("0.875", "0.93")]}
    assert prove("3 - alpha_product*h(1 - eps)", boxes=second, **kw) is None
    not_proved("3 - alpha_product*h(1 - eps)", boxes=first, **kw)
    # N = 3, s = 2, n = 1, m = 2
    assert prove("3 - alpha_product*h(1 - eps) + N + 10*s + 100*n + 1000*m - 2123", boxes=second, **kw) is None
    not_proved("3 - alpha_product*h(1 - eps) + N + 10*s + 100*n + 1000*m - 2124", boxes=second, **kw)
    k1 = "3 - alpha_product*h(log(1/alpha_product) - K1)"
    lg_second = {"diff": diff, "w": [I("6.85", "6.86"), I("6.7", "6.8"), I("6.7", "6.9")]}
    lg_first = {"diff": diff, "w": [I("6.7", "6.8"), I("6.85", "6.86"), I("6.7", "6.9")]}
    assert prove(k1, boxes=lg_second, **kw) is None
    not_proved(k1, boxes=lg_first, **kw)
    raises_exactly(WHERE, "equality: the maximum is not decided on the box, so the identity cannot be set up",
                   lambda: prove(k1, boxes={"diff": diff, "w": [I("6.7", "6.8"), I("6.75", "6.85"), I("6.8")]},
                                 **kw))
    raises_exactly(WHERE, "equality: the maximum is not decided on the box, so the identity cannot be set up",
                   lambda: prove(k1, boxes={"diff": [I("-0.03", "-0.02"), I("-0.025", "-0.01"), I("0")],
                                            "w": lg_second["w"]}, **kw))


def test_equality_l2_and_what_cannot_be_set_up():
    l2 = "sqrt((alpha_product*h(1 - eps) - 1)**2 + alpha_product**2*h(rho_minus)**2)"
    assert prove(l2, "l2") is None
    not_proved(f"{l2} + 1/10**30", norm="l2")
    l1 = "1 - alpha_product*h(1 - eps) + alpha_product*h(rho_minus)"       # signs (-, +): |x_1 - 1| + |x_2|
    assert prove(l1, "l1") is None
    not_proved(l1, norm="l1", boxes={"diff": [I("0.0028", "0.0029"), I("0.0056", "0.0057")]})
    raises_exactly(WHERE, "equality: M0 has no closed form in nu here", lambda: prove("alpha_product*h(M0)"))
    raises_exactly(WHERE, "equality: K1star has no closed form in nu here", lambda: prove("K1star + M0 + eps"))
    raises_exactly(WHERE, "equality: cannot convert the bound: function 'g' has no SymPy meaning here",
                   lambda: prove("alpha_product*g(rho_minus)", functions={"h": 1, "g": 1}))


def test_limit_steps_with_a_nonzero_limit_and_forms_valid_for_positive_t():
    # a limit step whose limit is not 0: lim_{t -> 1/2-} (1 + (2t - 1)) = 1 (by hand); -1 is refused
    one = {"claim": "1 + (2t - 1) -> 1", "method": "limit", "lhs": "1 + (2*t - 1)", "rhs": "1"}
    assert recheck(section(steps=[one])) == accepted(steps=1)
    refused("limit.steps[0]", "SymPy does not confirm: 1 + (2t - 1) -> 1", section(steps=[dict(one, rhs="-1")]))
    # the curve's parameter t is positive, so sqrt(t^2) = t: alpha(t) and the error written with it are the same texts
    texts = {k: TEXTS[3][k].replace("t", "sqrt(t**2)") for k in ("alpha_of_t", "l1")}
    assert recheck(section(alpha_of_t=texts["alpha_of_t"], error_of_t=texts["l1"])) == accepted()


def test_the_limit_of_error_over_bound_is_taken_from_inside_the_curve():
    """At D = 3 the curve is 0 < t < 1/2 and alpha(t) > 0 there; just past t = 1/2 the dual equation's alpha(t) is
    negative (phi(2t) -> -oo). A scale times 2|alpha|/(alpha + |alpha|) is the scale itself inside the curve (ratio
    -> 1, by hand as for the plain scale) and divides by 0 past its end, so only the limit from below accepts."""
    expr = f"{L1_SCALE}*2*abs(alpha_product)/(alpha_product + abs(alpha_product))"
    assert recheck(section(), expr=expr) == accepted()
