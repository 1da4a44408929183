"""Result checks that decide digits or refuse output, on constructed inputs (paths the default suite never ran).

* The selection (numerics/selection.py) certifies the digits on which its two solves (dps and 2 dps) agree,
  relative to max |x2_i|: the agreement is floor(-log10(max_i |x1_i - x2_i| / max_i |x2_i|)) (at most dps1), and
  fewer than the requested digits is a PrecisionError, never a result. The mixed method falls back to the baseline
  when its solves disagree or do not converge. The solves are replaced by stubs with known outputs, so the
  expected digit counts are arithmetic on those outputs.
* The output schema (implicitreg/schema.py, docs/schema.md): a number string is exact or decimal, never NaN, a
  boolean or free text; ``validate`` names each violation.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath
import pytest
from mpmath import mpf

import implicitreg.numerics.selection as sel
from implicitreg.errors import ConvergenceError, PrecisionError
from implicitreg.schema import SchemaError, is_number_string, number_string, validate

POINT = [F(1, 2), F(1, 2)]
DIRECTIONS = [[F(1), F(-1)]]


def fake_solves(monkeypatch, first_offset):
    """minimize_on_face stub: the first solve is off by ``first_offset`` in x_0 from the second; x2 = (1/3, 2/3)."""
    calls = []

    def fake(point, directions, p, *, dps, functional=None):
        calls.append(dps)
        with mpmath.workdps(dps):
            x = [mpf(1) / 3 + (first_offset if len(calls) % 2 == 1 else 0), mpf(2) / 3]
        return x, [mpf(0)], 4

    monkeypatch.setattr(sel, "minimize_on_face", fake)
    return calls


def test_selection_certifies_exactly_the_agreeing_digits(monkeypatch):
    # |x1 - x2| / max|x2| = 1e-12 / (2/3) = 1.5e-12: floor(-log10) = 11 digits agree
    calls = fake_solves(monkeypatch, mpf(10) ** -12)
    res = sel.select_on_face(POINT, DIRECTIONS, 2, digits=11, method="full")
    assert res.digits == 11 and calls == [26, 52]
    with mpmath.workdps(60):
        assert abs(res.x[0] - mpf(1) / 3) < mpf(10) ** -50          # the reported point is the 2 dps solve
    calls.clear()
    with pytest.raises(PrecisionError, match="^selection agrees to 11 digits only at 27 vs 54 working digits$"):
        sel.select_on_face(POINT, DIRECTIONS, 2, digits=12, method="full")
    assert calls == [27, 54]


def test_selection_digits_never_exceed_the_first_solves_precision(monkeypatch):
    fake_solves(monkeypatch, mpf(0))                                # bit-identical solves
    res = sel.select_on_face(POINT, DIRECTIONS, 2, digits=10, method="full")
    assert res.digits == 25                                         # dps1 = digits + 15, not dps2 = 50


def test_mixed_selection_falls_back_to_the_baseline(monkeypatch):
    calls = fake_solves(monkeypatch, mpf(0))

    def diverged(*args, **kwargs):
        raise ConvergenceError("no convergence")

    monkeypatch.setattr(sel, "_mixed_face_pair", diverged)
    res = sel.select_on_face(POINT, DIRECTIONS, 2, digits=10)
    assert calls == [25, 50] and res.digits == 25

    def pair_differing_by(exponent):
        """A fake mixed-precision pair whose two solutions differ by 10^-exponent in their first entry."""
        def pair(point, directions, gfun, digits, dps1, dps2):
            with mpmath.workdps(dps2):
                x1, x2 = [mpf(1) / 3 + mpf(10) ** -exponent, mpf(2) / 3], [mpf(1) / 3, mpf(2) / 3]
            return x1, [mpf(0)], 2, x2, [mpf(0)]
        return pair

    calls.clear()
    monkeypatch.setattr(sel, "_mixed_face_pair", pair_differing_by(5))
    res = sel.select_on_face(POINT, DIRECTIONS, 2, digits=10)       # 4 digits < 10: the baseline decides
    assert calls == [25, 50] and res.digits == 25

    calls.clear()
    monkeypatch.setattr(sel, "_mixed_face_pair", pair_differing_by(14))
    res = sel.select_on_face(POINT, DIRECTIONS, 2, digits=10)       # 13 digits >= 10: no baseline solve
    assert calls == [] and res.digits == 13 and res.iterations == 2


def test_selection_refuses_bad_digits_methods_and_faces():
    from implicitreg.errors import InvalidParameterError

    for bad in (0, -1, 2.0, "5"):
        with pytest.raises(InvalidParameterError, match="^digits must be a positive integer"):
            sel.select_on_face(POINT, DIRECTIONS, 2, digits=bad)
    with pytest.raises(InvalidParameterError, match="^method must be 'mixed' or 'full', got 'fast'$"):
        sel.select_on_face(POINT, DIRECTIONS, 2, method="fast")
    with pytest.raises(InvalidParameterError, match="^face directions must vanish off the support of the point$"):
        sel.select_on_face([F(1), F(0)], DIRECTIONS, 2)


# ---------------------------------------------------------------------------------------------------- schema

def test_number_strings_refuse_nan_booleans_and_text():
    for bad in (True, False, float("nan"), mpmath.mpf("nan")):
        with pytest.raises(SchemaError):
            number_string(bad)
    for bad in ("nan", "1e", "abc", "1/0/2", "+1"):
        with pytest.raises(SchemaError, match="is not a number string$"):
            number_string(bad)
    assert number_string(float("inf")) == "inf" and number_string(float("-inf")) == "-inf"
    assert number_string(mpmath.inf) == "inf" and number_string(-mpmath.inf) == "-inf"
    assert number_string(F(-3, 7)) == "-3/7" and number_string("1.5e-30") == "1.5e-30"
    assert number_string(None) is None and number_string(mpf(0)) == "0"
    assert is_number_string("-3/7") and not is_number_string(3)


def test_validate_names_each_violation():
    from implicitreg.schema import envelope

    good = envelope("l1", {})
    with pytest.raises(SchemaError, match="^output must be a JSON object, got list$"):
        validate([good])
    with pytest.raises(SchemaError, match="^unknown command 'l2'$"):
        validate(good, "l2")
    bad = dict(good, instance=3, alpha_convention="both", support="0,1")
    with pytest.raises(SchemaError) as exc:
        validate(bad)
    text = str(exc.value)
    assert "instance: expected a string, got int" in text
    assert "alpha_convention: 'both' is not one of ('product', 'factor')" in text
    assert "support: expected a list, got str" in text


# ---------------------------------------------------------------------------------------------------- result JSON

def test_result_json_values_follow_the_exact_data_conventions():
    import numpy as np

    from implicitreg.numerics._result import json_value

    assert json_value(F(1, 3)) == "1/3" and json_value(F(4)) == "4" and json_value(0.1) == "0.1"
    with mpmath.workdps(30):
        assert json_value(mpf(1) / 3, digits=5) == "0.33333"
    assert json_value({1: F(1, 2)}) == {"1": "1/2"} and json_value((F(1), None)) == ["1", None]
    assert json_value(np.array([1, 2])) == [1, 2] and json_value(np.float64(0.25)) == "0.25"
    assert json_value(np.int64(7)) == 7 and json_value(True) is True


# ---------------------------------------------------------------------------------------------------- verify --instance

def test_instance_mode_reads_one_kind_of_data():
    from implicitreg.errors import InvalidInstanceError
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.proofs.instance_verify import load

    with pytest.raises(InvalidInstanceError, match="^an instance is a JSON object with keys 'A', 'y'"):
        load([[1]])
    with pytest.raises(InvalidInstanceError, match="^an instance has either 'A' .* or 'X' .*, not both$"):
        load({"A": [[1, 2]], "X": [[1]], "y": [1]})
    with pytest.raises(InvalidInstanceError, match="^missing key 'A' .* or 'X'"):
        load({"y": [1]})
    data = RegressionData.from_data({"X": [[1, 0], [0, 1]], "y": [1, 1]}, name="d")
    assert load(data) == ("deep-linear", data)
    assert load({"X": [[1, 0], [0, 1]], "y": [1, 1]})[0] == "deep-linear"


def test_instance_mode_alpha_range_and_depths(monkeypatch):
    """alpha range LO:HI with 0 < LO <= HI, LO >= 1e-200 (the error's documented floor), HI < 1 for diagonal
    networks (the theorems are about small alpha); between 1 and 6 distinct depths."""
    import implicitreg.proofs.instance_verify as iv
    from implicitreg.errors import InvalidParameterError

    assert iv._parse_range("1e-200:1e-4", "diagonal") == (F(1, 10 ** 200), F(1, 10 ** 4))
    assert iv._parse_range(None, "diagonal") == (F(1, 10 ** 30), F(1, 10 ** 4))      # the documented default
    with pytest.raises(InvalidParameterError, match="smallest alpha supported in instance mode is 1e-200$"):
        iv._parse_range("9.9e-201:1e-4", "diagonal")
    for bad in ("1e-4", "1:2:3"):
        with pytest.raises(InvalidParameterError, match="^alpha range must be LO:HI"):
            iv._parse_range(bad, "diagonal")
    with pytest.raises(InvalidParameterError, match="^alpha range: "):
        iv._parse_range("a:b", "diagonal")
    for bad in ("0:1e-4", "1e-3:1e-4", "-1:1e-4"):
        with pytest.raises(InvalidParameterError, match="^alpha range must satisfy 0 < LO <= HI"):
            iv._parse_range(bad, "diagonal")

    seen = []
    monkeypatch.setattr(iv, "_diagonal", lambda data, depths, lo, hi, conv, report: seen.append(depths))
    inst = {"A": [[1, F(1, 2)]], "y": [1]}
    iv.verify_instance(inst, depths=[2, 3, 4, 5, 6, 7], alpha_range="1e-30:1e-4")
    iv.verify_instance(inst, depths=[2] * 9, alpha_range="1e-30:1e-4")          # duplicates count once
    assert seen == [[2, 3, 4, 5, 6, 7], [2]]
    with pytest.raises(InvalidParameterError, match="^give between 1 and 6 depths$"):
        iv.verify_instance(inst, depths=[2, 3, 4, 5, 6, 7, 8])
    with pytest.raises(InvalidParameterError, match="^give between 1 and 6 depths$"):
        iv.verify_instance(inst, depths=[])
    with pytest.raises(InvalidParameterError, match="give HI < 1$"):
        iv.verify_instance(inst, alpha_range="1e-4:1")
    iv.verify_instance(inst, depths="5/2", alpha_range="1e-4:9/10")
    assert seen[-1] == [F(5, 2)]


def test_alpha_grid_of_a_single_alpha_and_of_non_decimal_ends():
    from implicitreg.proofs.instance_verify import alpha_grid

    assert alpha_grid(F(1, 10 ** 5), F(1, 10 ** 5), 7) == ["1e-5"]
    grid = alpha_grid(F(1, 300), F(1, 3), 3)
    # ends exact; the middle point 10^(mean of the logs) = 1/30 rounded to two significant digits: 0.033
    assert grid == ["1/3", "33/1000", "1/300"]


# ---------------------------------------------------------------------------------------------------- e_D digits

def test_limit_direction_refuses_digits_its_two_precisions_do_not_share(monkeypatch):
    """e_D (MS-D3) is certified by a solve at twice the precision: when the low solve is off (here lambda moved
    by a relative 1e-12), fewer than the requested digits agree and a PrecisionError says so."""
    import implicitreg.numerics.error_constants as ec
    from implicitreg.numerics.instance import Instance

    inst = Instance.from_data({"A": [[1, F(1, 2), F(-1, 3)]], "y": [1]})
    good = ec.limit_direction(inst, 3, digits=20)
    assert 20 <= good.digits <= 30                                   # at most digits + 10 are claimed
    real = ec._newton_direction
    calls = []

    def off_at_low_precision(A, S, sig, C, lam0, D, dps):
        lam, its = real(A, S, sig, C, lam0, D, dps)
        calls.append(dps)
        if len(calls) == 1:
            with mpmath.workdps(dps):
                lam = [v * (1 + mpf(10) ** -12) for v in lam]
        return lam, its

    monkeypatch.setattr(ec, "_newton_direction", off_at_low_precision)
    with pytest.raises(PrecisionError, match=r"^e_D: only (\d+) of 20 digits agree between the two precisions$") as exc:
        ec.limit_direction(inst, 3, digits=20)
    got = int(str(exc.value).split()[2])
    assert 9 <= got <= 13 and calls == [35, 70]                      # a relative 1e-12 change: about 12 digits
