"""numerics.limit: one entry point, four methods, one result type; independent methods agree, and disagree when
they should."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

from implicitreg.errors import InvalidParameterError, PrecisionError
from implicitreg.numerics.dual_limit import LimitResult
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.limit import METHODS, family_parameters, limit
from implicitreg.numerics.precision import agreeing_digits

ROW = Instance.from_lists([[1, "1/2", "1/2"]], [1], name="row")
KINK = Instance.from_lists([[1, "9/10"]], [1], name="kink")
GENERAL = Instance.from_lists([[1, "0.5", -2, 3], [0, 1, 1, "1/3"]], [1, "0.25"], name="gen")


def _rel(x, ref, floor):
    with mpmath.workdps(60):
        return max(abs(u - v) / max(abs(v), floor) for u, v in zip(x, ref))


def test_registry_and_result_type():
    assert set(METHODS) == {"newton", "flow", "closed-form", "float64"}
    for m in METHODS:
        r = limit(KINK, 3, "1e-3", method=m, digits=15)
        assert isinstance(r, LimitResult) and r.method == m and r.success and isinstance(r.message, str)
        assert r.depth == 3 and r.alpha_convention == "product" and len(r.x) == 2


@pytest.mark.parametrize("inst", [ROW, KINK], ids=["row", "kink"])
@pytest.mark.parametrize("depth", [2, "5/2", 3])
@pytest.mark.parametrize("convention", ["product", "factor"])
def test_closed_form_and_newton_agree_to_the_certified_digits(inst, depth, convention):
    a, b = (limit(inst, depth, "1e-6", method=m, digits=25, alpha_convention=convention)
            for m in ("newton", "closed-form"))
    assert a.digits >= 25 and b.digits >= 25
    assert a.x_str(25) == b.x_str(25) or agreeing_digits(a.x, b.x, a.floor, cap=60) >= 24
    assert mpmath.almosteq(a.alpha_product, b.alpha_product, 1e-25)


def test_flow_and_float64_agree_to_their_accuracy():
    ref = limit(GENERAL, 3, "1e-3", digits=30)
    fl = limit(GENERAL, 3, "1e-3", method="flow", digits=20)
    f64 = limit(GENERAL, 3, "1e-3", method="float64")
    assert fl.digits == 0 and f64.digits == 0  # never certified
    assert fl.residual <= mpf(10) ** -20 and _rel(fl.x, ref.x, ref.floor) < mpf(10) ** -18
    assert f64.success and _rel(f64.x, ref.x, ref.floor) < mpf(10) ** -9
    with pytest.raises(PrecisionError):
        fl.x_str(5)


def test_a_different_instance_is_told_apart():
    """The agreement test can fail: the closed form of r = 1/2 against Newton on r = 1/2 + 10^-20."""
    near = Instance.from_lists([[1, "0.50000000000000000001", "0.50000000000000000001"]], [1])
    a = limit(near, 3, "1e-6", digits=30)
    b = limit(ROW, 3, "1e-6", method="closed-form", digits=30)
    assert agreeing_digits(a.x, b.x, a.floor, cap=60) < 25


def test_float64_failure_is_returned_not_raised():
    r = limit(ROW, 4, "1e-300", method="float64")
    assert r.method == "float64" and not r.success and r.message


def test_family_detection_and_errors():
    assert family_parameters(ROW) == (Fraction(1, 2), 2)
    assert family_parameters(KINK)[1] == 1 and family_parameters(GENERAL) is None
    assert family_parameters(Instance.from_lists([[1, 1, 1]], [1])) is None
    with pytest.raises(InvalidParameterError, match="closed-form"):
        limit(GENERAL, 3, "1e-3", method="closed-form")
    with pytest.raises(InvalidParameterError, match="method"):
        limit(ROW, 3, "1e-3", method="rk4")
    with pytest.raises(InvalidParameterError):
        limit(ROW, 3, "1e-3", digits=0)
    with pytest.raises(InvalidParameterError):
        limit(ROW, 1, "1e-3")
    with pytest.raises(InvalidParameterError):
        limit(ROW, 3, "-1")
    with pytest.raises(InvalidParameterError):
        limit(ROW, 3, "1e-3", alpha_convention="per-factor")
