"""numerics.instance: exact JSON instances (0.1 is 1/10), validation and clear errors."""
from __future__ import annotations

import json
from fractions import Fraction as F

import pytest

from implicitreg.errors import InvalidInstanceError, NotInRangeError
from implicitreg.numerics.instance import Instance, load_json_exact, read_json_file


def test_json_number_is_read_as_its_decimal_text(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text('{"A": [[1, 0.1, 3e-2]], "y": [0.3], "name": "x", "other": "ignored"}')
    inst = Instance.load(path)
    assert inst.A == ((F(1), F(1, 10), F(3, 100)),)
    assert inst.y == (F(3, 10),)
    assert F(0.1) != F(1, 10)                     # the binary float would be wrong: the check is meaningful
    assert inst.name == "inst" and inst.m == 1 and inst.N == 3


def test_entry_formats():
    inst = Instance.from_data({"A": [["1/3", "0.25", 2], ["1e-3", -1, "7"]], "y": ["2/3", "0.001"]})
    assert inst.A == ((F(1, 3), F(1, 4), F(2)), (F(1, 1000), F(-1), F(7)))
    assert inst.y == (F(2, 3), F(1, 1000))


def test_to_json_roundtrip():
    inst = Instance.from_lists([[1, "2/3"], ["0.5", 0]], ["1/7", 2])
    again = Instance.from_data(json.loads(json.dumps(inst.to_json())))
    assert again == inst


def test_float_views():
    inst = Instance.from_lists([[1, "0.5"]], [2])
    assert inst.A_float().tolist() == [[1.0, 0.5]] and inst.y_float().tolist() == [2.0]
    assert float(inst.A_mp()[0, 1]) == 0.5 and float(inst.y_mp()[0]) == 2.0


@pytest.mark.parametrize("data, match", [
    ({"y": [1]}, "missing key 'A'"),
    ({"A": [[1]]}, "missing key 'y'"),
    ({"A": [], "y": []}, "non-empty"),
    ({"A": [[]], "y": [1]}, "empty rows"),
    ({"A": [[1, 2], [3]], "y": [1, 2]}, "ragged"),
    ({"A": [1, 2], "y": [1]}, "list of rows"),
    ({"A": [[1, 2]], "y": [1, 2]}, "shape mismatch"),
    ({"A": [[1, "a"]], "y": [1]}, r"A\[0\]\[1\]"),
    ({"A": [[1, None]], "y": [1]}, "NoneType"),
    ({"A": [[1, True]], "y": [1]}, "boolean"),
    ({"A": [[1, 2]], "y": ["nan"]}, r"y\[0\]"),
    ({"A": [[1, 2]], "y": 3}, "list"),
    ([1, 2], "JSON object"),
])
def test_bad_instances(data, match):
    with pytest.raises(InvalidInstanceError, match=match):
        Instance.from_data(data)


def test_not_in_range():
    with pytest.raises(NotInRangeError):
        Instance.from_lists([[1, 2], [2, 4]], [1, 3])
    assert Instance.from_data({"A": [[1, 2], [2, 4]], "y": [1, 3]}, check_range=False).m == 2


@pytest.mark.parametrize("text", ['{"A": [[NaN]], "y": [1]}', '{"A": [[Infinity]], "y": [1]}', "{not json",
                                  "[" + "1" * 5000 + "]", "[" * 100000 + "]" * 100000])
def test_bad_json(text):
    with pytest.raises(InvalidInstanceError):
        load_json_exact(text)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInstanceError, match="cannot read instance file"):
        read_json_file(tmp_path / "nope.json")
