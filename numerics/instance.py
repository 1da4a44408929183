"""Problem instances with exact data.

An instance file is a JSON object. For the diagonal-network problems it carries ``"A"`` (a list of
rows) and ``"y"`` (a list); other keys are ignored. Entries may be integers, decimal strings
(``"0.25"``, ``"1e-3"``), rational strings (``"3/7"``) or JSON numbers, which are read as their
decimal text (``0.1`` is 1/10, never the binary float nearest to it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

import mpmath

from implicitreg.errors import InvalidInstanceError, NotInRangeError
from implicitreg.numerics.exact import Matrix, Vector, fraction_str, parse_exact, solve_consistent


def _reject_constant(name: str):
    raise InvalidInstanceError(f"{name} is not a finite number")


def load_json_exact(text: str) -> Any:
    """Parse JSON so that numbers keep their decimal text: floats become ``Decimal``; NaN/Infinity are errors."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInstanceError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except InvalidInstanceError:
        raise
    except ValueError as exc:  # e.g. an integer literal longer than Python's int-from-string limit
        raise InvalidInstanceError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInstanceError("not valid JSON: nested too deeply") from None


def read_json_file(path: str | Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read instance file {str(path)!r}: {exc.strerror}") from None
    return load_json_exact(text)


def read_matrix(data: Mapping[str, Any], key: str) -> Matrix:
    """The exact matrix under ``data[key]``: a non-empty list of equally long, non-empty rows."""
    if key not in data:
        raise InvalidInstanceError(f"missing key {key!r}")
    rows = data[key]
    if not isinstance(rows, list) or not rows:
        raise InvalidInstanceError(f"{key} must be a non-empty list of rows")
    if not all(isinstance(r, list) for r in rows):
        raise InvalidInstanceError(f"{key} must be a list of rows (lists of numbers)")
    width = len(rows[0])
    if width == 0:
        raise InvalidInstanceError(f"{key} has empty rows")
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InvalidInstanceError(f"{key} is ragged: row 0 has {width} entries, row {i} has {len(r)}")
    return [[parse_exact(v, f"{key}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(rows)]


def read_vector(data: Mapping[str, Any], key: str, length: int | None = None) -> Vector:
    if key not in data:
        raise InvalidInstanceError(f"missing key {key!r}")
    vals = data[key]
    if not isinstance(vals, list) or not vals:
        raise InvalidInstanceError(f"{key} must be a non-empty list of numbers")
    if length is not None and len(vals) != length:
        raise InvalidInstanceError(f"{key} has {len(vals)} entries but must have {length}")
    return [parse_exact(v, f"{key}[{i}]") for i, v in enumerate(vals)]


@dataclass(frozen=True)
class Instance:
    """An underdetermined linear system A x = y, stored exactly.

    Construct with :meth:`from_data` (validates shapes and entries, checks y in range(A) exactly).
    ``A`` is m x N, ``y`` has m entries.
    """

    A: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    name: str = field(default="instance", compare=False)

    @property
    def m(self) -> int:
        return len(self.A)

    @property
    def N(self) -> int:
        return len(self.A[0])

    @classmethod
    def from_data(cls, data: Mapping[str, Any], name: str | None = None, check_range: bool = True) -> "Instance":
        if not isinstance(data, Mapping):
            raise InvalidInstanceError("an instance must be a JSON object with keys 'A' and 'y'")
        A = read_matrix(data, "A")
        y = read_vector(data, "y")
        if len(y) != len(A):
            raise InvalidInstanceError(f"shape mismatch: A has {len(A)} rows but y has {len(y)} entries")
        inst = cls(tuple(map(tuple, A)), tuple(y), name or str(data.get("name", "instance")))
        if check_range and solve_consistent(inst.A, inst.y) is None:
            raise NotInRangeError("y is not in the range of A: A x = y has no solution")
        return inst

    @classmethod
    def from_lists(cls, A: Sequence[Sequence[Any]], y: Sequence[Any], name: str = "instance") -> "Instance":
        return cls.from_data({"A": [list(r) for r in A], "y": list(y)}, name=name)

    @classmethod
    def load(cls, path: str | Path) -> "Instance":
        return cls.from_data(read_json_file(path), name=Path(path).stem)

    def to_json(self) -> dict:
        """The exact data as JSON (``"p/q"`` strings)."""
        return {"A": [[fraction_str(v) for v in row] for row in self.A], "y": [fraction_str(v) for v in self.y]}

    def A_mp(self) -> mpmath.matrix:
        """A as an mpmath matrix at the current working precision."""
        return mpmath.matrix([[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in self.A])

    def y_mp(self) -> mpmath.matrix:
        return mpmath.matrix([mpmath.mpf(v.numerator) / v.denominator for v in self.y])

    def A_float(self):
        import numpy as np

        return np.array([[float(v) for v in row] for row in self.A])

    def y_float(self):
        import numpy as np

        return np.array([float(v) for v in self.y])
