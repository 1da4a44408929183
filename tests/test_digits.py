"""Certified digits are right: every claimed digit of the gradient-flow limit against closed forms at 110 digits.

The reference is the tightness family A = [1, r, ..., r], y = 1 of ``theory/examples.py``: the limit solves
alpha (phi_D(z) + n r phi_D(r z)) = 1 with x = alpha (phi_D(z), phi_D(r z), ...); here the scalar relation is solved
by bisection at 110 digits from the SymPy link function, a path independent of the dual Newton solve. A claim of
``digits`` certified digits means |x_i - ref_i| <= max(|ref_i|, floor) 10^-digits for every entry; the printed
strings must then be within one unit of their last digit (plus half a unit of rounding).
"""
from __future__ import annotations

import json
import re
from fractions import Fraction

import mpmath
import pytest
import sympy

from implicitreg.numerics import dual_limit
from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import agreeing_digits, decade, significant_str
from implicitreg.theory.potentials import h as link

REF_DPS = 110
F = Fraction
mpf = mpmath.mpf


def _q(v):
    v = F(v)
    return mpf(v.numerator) / v.denominator


def family_limit(depth, r, n, alpha):
    """x_inf of [1, r x n], y = 1 (product alpha) at REF_DPS digits by bisection on the scalar relation."""
    v = sympy.Symbol("v")
    phi = sympy.lambdify(v, link(sympy.Rational(str(depth)), v), modules="mpmath")
    with mpmath.workdps(REF_DPS + 20):
        a, rm = _q(alpha), _q(r)

        def residual(z):
            return a * (phi(z) + n * rm * phi(rm * z)) - 1

        lo, hi = mpf(0), (mpmath.asinh(1 / (2 * a)) + 1 if F(depth) == 2 else mpf(1))
        for _ in range(int(REF_DPS * 3.33) + 40):
            mid = (lo + hi) / 2
            if mid == lo or mid == hi:
                break
            if residual(mid) > 0:
                hi = mid
            else:
                lo = mid
        z = (lo + hi) / 2
        return [a * phi(z)] + [a * phi(rm * z)] * n


def _sig_digits(text: str) -> int:
    mantissa = re.sub(r"e.*$", "", text).replace("-", "").replace(".", "").lstrip("0")
    return len(mantissa)


def _last_unit(text: str):
    """The value of one unit in the last printed digit of ``text``."""
    mant, _, exp = text.partition("e")
    frac = mant.split(".")[1] if "." in mant else ""
    return mpf(10) ** (-len(frac) + (int(exp) if exp else 0))


CASES = [(2, F(1, 3), 1, "1e-4"), (2, F(9, 10), 1, "1e-30"), (2, F(3, 5), 3, "3e-1"), (3, F(1, 2), 1, "1e-6"),
         (F(5, 2), F(1, 2), 2, "1e-20"), (4, F(3, 5), 3, "1e-12")]


@pytest.mark.parametrize("depth, r, n, alpha", CASES)
def test_every_certified_digit_is_right(depth, r, n, alpha):
    inst = Instance.from_lists([[1] + [r] * n], [1])
    res = gradient_flow_limit(inst, depth, alpha, digits=30)
    ref = family_limit(depth, r, n, alpha)
    assert res.digits >= 30
    with mpmath.workdps(REF_DPS):
        assert res.floor == min(res.alpha_product, max(abs(v) for v in res.x))
        for x, e in zip(res.x, ref):
            assert abs(x - e) <= max(abs(e), res.floor) * mpf(10) ** -res.digits, (x, e)
        # the printed strings: d significant digits (fewer only below the floor), each within its last unit
        for text, e in zip(res.x_str(), ref):
            assert abs(mpf(text) - e) <= mpf("1.5") * _last_unit(text), (text, e)
            if abs(e) >= res.floor:
                assert _sig_digits(text) == res.digits


def test_digits_equal_the_agreement_of_the_two_solves(monkeypatch):
    """``digits`` is what the two independent solves agree on (recomputed here), never more, at the stated floor."""
    calls = []

    def spy(x, reference, floor, cap):
        out = agreeing_digits(x, reference, floor, cap)
        calls.append((list(x), list(reference), floor, cap, out))
        return out

    monkeypatch.setattr(dual_limit, "agreeing_digits", spy)
    inst = Instance.from_lists([[1, "1/2", "1/2"]], [1])
    res = gradient_flow_limit(inst, 3, "1e-12", digits=25)
    low, high, floor, cap, out = calls[-1]
    assert res.digits == out and res.floor == floor and res.dps > res.dps_check  # dps: x, dps_check: the check
    assert high == res.x and low != high
    with mpmath.workdps(2 * res.dps):
        assert floor == min(res.alpha_product, max(abs(v) for v in high))
        agree = min(int(mpmath.floor(-mpmath.log10(abs(a - b) / max(abs(b), floor))))
                    for a, b in zip(low, high) if a != b)
    assert res.digits == min(agree, cap) and cap < res.dps_check


def test_agreeing_digits_counts_exactly():
    with mpmath.workdps(60):
        ref = [mpf(1) / 3, mpf(-7) / 11, mpf(10) ** -12 / 7]
        for rel, expected in (("3e-21", 20), ("9.9e-21", 20), ("1.01e-20", 19), ("3e-41", 40)):
            x = [v * (1 + mpf(rel)) for v in ref]
            assert agreeing_digits(x, ref, floor=0, cap=50) == expected
        assert agreeing_digits(ref, ref, floor=0, cap=50) == 50
        assert agreeing_digits([v * (1 + mpf("1e-45")) for v in ref], ref, floor=0, cap=30) == 30
        # the smallest entry decides: one entry off by 1e-9 (relative)
        x = [ref[0], ref[1] * (1 + mpf("1e-9")), ref[2]]
        assert agreeing_digits(x, ref, floor=0, cap=50) == 9
        # below the floor an entry is judged at the floor's scale, above it relative to itself
        x = [ref[0], ref[1], ref[2] + mpf("3e-25")]                     # 3e-25 absolute on 1.4e-13
        assert agreeing_digits(x, ref, floor=0, cap=50) == 11
        assert agreeing_digits(x, ref, floor=mpf("1e-5"), cap=50) == 19
        x = [ref[0] * (1 + mpf("3e-15")), ref[1], ref[2]]
        assert agreeing_digits(x, ref, floor=mpf("1e-5"), cap=50) == 14  # not 19: |x_0| > floor
        assert agreeing_digits([mpf(1)], [mpf(0)], floor=0, cap=50) == 0
        assert agreeing_digits([mpf(2)], [mpf(1)], floor=0, cap=50) == 0


def test_decade_is_exact():
    assert decade(mpf(1)) == 0 and decade(mpf("9.99")) == 0 and decade(mpf(10)) == 1 and decade(-mpf("0.15")) == -1
    with mpmath.workdps(50):
        assert decade(mpf(10) ** -30) in (-31, -30) and decade(mpf("3e-30")) == -30
    with pytest.raises(ValueError):
        decade(mpf(0))


@pytest.mark.parametrize("x, floor, digits, expected", [
    ("0.15", "0.3", 12, "0.150000000000"),            # same decade as the floor: all 12 digits are certified
    ("0.15", "0.1", 12, "0.150000000000"),            # above the floor
    ("0.095", "0.3", 12, "0.095000000000"),           # one decade below: 11
    ("6.6666666666666666e-21", "1e-18", 5, "6.7e-21"),
    ("2e-25", "1e-18", 5, "0"),                       # 7 decades below 5 digits: nothing certified
    ("-0.25", "0.9", 4, "-0.2500"),
])
def test_significant_str_prints_the_certified_digits(x, floor, digits, expected):
    with mpmath.workdps(40):
        assert significant_str(mpf(x), digits, floor=mpf(floor)) == expected


def test_limit_json_prints_the_requested_digits_in_the_floors_decade(capsys, tmp_path):
    """``limit --json``: an entry below the floor but in its decade carries every requested digit."""
    from implicitreg.cli import main

    path = tmp_path / "row.json"
    path.write_text('{"A": [[1, "1/5"]], "y": [1]}')
    assert main(["limit", "--instance", str(path), "--depth", "2", "--alpha", "0.3", "--digits", "15",
                 "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    ref = family_limit(2, F(1, 5), 1, "0.3")
    with mpmath.workdps(40):
        floor = mpf(obj["floor"])
        assert decade(ref[1]) == decade(floor) and abs(ref[1]) < floor    # the case of the bug
        for text, e in zip(obj["x"], ref):
            assert _sig_digits(text) == 15, text
            assert abs(mpf(text) - e) <= mpf("1.5") * _last_unit(text)
