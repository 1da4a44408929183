"""How a binary float is written (implicitreg.schema.number_string) matches how a float is read (README, "Exact
data": a float, numpy or not, is read as its shortest decimal repr in its own precision; numerics.exact.parse_exact):
a numpy float32/float16 is written as its own shortest round-trip text, not as the digits of its float64 widening."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from implicitreg.numerics.exact import parse_exact
from implicitreg.schema import SchemaError, is_number_string, number_string


@pytest.mark.parametrize("value, text", [
    (np.float32(0.1), "0.1"),            # float64 widening: 0.10000000149011612
    (np.float32(1e-30), "1e-30"),        # widening: 1.0000000031710769e-30
    (np.float32(3e20), "3e+20"),
    (np.float32(-2.5), "-2.5"),
    (np.float16(0.1), "0.1"),            # float16 0.1 is 0.0999755859375
    (np.float16(65504), "6.55e+04"),     # the largest float16: 65500 reads back to it
    (np.float64(0.1), "0.1"),
    (0.1, "0.1"),
    (np.float32("inf"), "inf"),
    (np.float16("-inf"), "-inf"),
    (np.int16(-3), "-3"),
    (np.uint64(2 ** 64 - 1), "18446744073709551615"),
])
def test_hand_values(value, text):
    assert number_string(value) == text


def test_the_text_reads_back_to_the_same_float_and_the_same_exact_value():
    assert np.float16(Fraction("6.55e+04").numerator) == np.float16(65504)
    assert parse_exact(np.float32(0.1)) == Fraction(number_string(np.float32(0.1))) == Fraction(1, 10)


@pytest.mark.parametrize("value", [np.float32("nan"), np.float16("nan")])
def test_nan_is_refused(value):
    with pytest.raises(SchemaError, match="NaN"):
        number_string(value)


def test_a_numpy_bool_is_not_a_number():
    with pytest.raises(SchemaError, match="boolean"):
        number_string(np.bool_(True))


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_written_as_read(x):
    v = np.float32(x)
    text = number_string(v)
    assert is_number_string(text)
    assert np.float32(text) == v                       # round-trips in float32 (numpy's own parser)
    assert Fraction(text) == parse_exact(v)            # the exact value the inputs read the same float as
    assert len(text.lstrip("-").replace(".", "").split("e")[0].strip("0")) <= 9  # never float64's 17 digits


@given(st.floats(width=16, allow_nan=False, allow_infinity=False))
def test_float16_written_as_read(x):
    v = np.float16(x)
    text = number_string(v)
    assert is_number_string(text)
    assert np.float16(text) == v
    assert Fraction(text) == parse_exact(v)
