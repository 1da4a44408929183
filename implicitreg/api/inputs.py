"""How the API reads its inputs: exact data from arrays, lists, Fractions and SymPy matrices, bounded parameters.

Data are stored exactly, as :class:`fractions.Fraction`:

* integers (Python ``int``, numpy integer scalars and arrays) exactly;
* a binary float (Python ``float``, ``numpy.float64``/``float32``/... scalars and arrays) as its *shortest decimal
  repr* in its own precision: ``0.1`` means 1/10 (not 3602879701896397/36028797018963968), ``np.float32(0.1)``
  also means 1/10. This is the decimal a human typed or printed; it is also how JSON numbers are read.
  NaN and infinities are errors;
* ``Fraction``, decimal strings (``"1e-3"``), rational strings (``"3/7"``) exactly;
* SymPy matrices/numbers: ``Integer``/``Rational`` exactly, ``Float`` by its decimal text; anything symbolic
  (``sqrt(2)``, symbols) is an error.

Booleans, complex numbers, object arrays of anything else, empty or ragged data are errors (exceptions of
:mod:`implicitreg.errors`). The private helpers here (``_depth``, ``_layers``, ``_digits``, ...) are shared by the
other API modules; ``_ns``/``_head`` format numbers and the JSON envelope in one place (:mod:`implicitreg.schema`).
"""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from implicitreg.errors import InvalidInstanceError, InvalidParameterError
from implicitreg.numerics.potentials import layers_value

#: the largest depth D accepted for diagonal networks (larger values only overflow, they mean nothing new)
MAX_DEPTH = 10_000
#: the largest number of layers L of a deep linear network
MAX_LAYERS = 1_000
#: the largest number of entries of A (or X) accepted
MAX_ENTRIES = 1_000_000
#: instance files larger than this are refused before reading
MAX_FILE_BYTES = 64 * 2 ** 20
#: digit limits: the work grows at least quadratically with the digits
MAX_DIGITS = {"limit": 5000, "flow": 1000, "select": 10000, "sharpness": 1000}


# ---------------------------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------------------------

def _sympy_entry(value, where: str) -> Fraction:
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    if getattr(value, "is_Float", False):
        from implicitreg.numerics.exact import parse_exact

        return parse_exact(str(value), where)
    raise InvalidInstanceError(f"{where}: the SymPy value {str(value)[:40]!r} is not a rational number")


def _entry(value, where: str) -> Fraction:
    from implicitreg.numerics.exact import parse_exact

    if type(value).__module__.startswith("sympy"):
        return _sympy_entry(value, where)
    return parse_exact(value, where)


def _rows(data, name: str) -> list:
    """A 2-D array-like (numpy array, SymPy matrix, list of lists) as a list of rows of raw entries."""
    mod = type(data).__module__
    if mod.startswith("sympy"):
        if not hasattr(data, "tolist"):
            raise InvalidInstanceError(f"{name} must be a matrix, got a SymPy {type(data).__name__}")
        return data.tolist()
    if mod == "numpy":
        if data.ndim != 2:
            raise InvalidInstanceError(f"{name} must be 2-dimensional, got shape {data.shape}")
        _check_dtype(data, name)
        return data.tolist() if data.dtype.kind in "iu" else [list(r) for r in data]
    if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
        raise InvalidInstanceError(f"{name} must be a 2-D array or a list of rows, got {type(data).__name__}")
    rows = []
    for i, r in enumerate(data):
        if type(r).__module__ == "numpy":
            _check_dtype(r, f"{name}[{i}]")
            r = r.tolist() if r.dtype.kind in "iu" else list(r)
        if isinstance(r, (str, bytes)) or not isinstance(r, Sequence):
            raise InvalidInstanceError(f"{name}[{i}] must be a row (a list of numbers), got {type(r).__name__}")
        rows.append(list(r))
    return rows


def _vector(data, name: str) -> list:
    mod = type(data).__module__
    if mod.startswith("sympy"):
        if not hasattr(data, "shape") or 1 not in data.shape:
            raise InvalidInstanceError(f"{name} must be a vector")
        return list(data)
    if mod == "numpy":
        if data.ndim == 2 and 1 in data.shape:
            data = data.reshape(-1)
        if data.ndim != 1:
            raise InvalidInstanceError(f"{name} must be 1-dimensional, got shape {data.shape}")
        _check_dtype(data, name)
        return data.tolist() if data.dtype.kind in "iu" else list(data)
    if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
        raise InvalidInstanceError(f"{name} must be a 1-D array or a list of numbers, got {type(data).__name__}")
    return list(data)


def _check_dtype(arr, name: str) -> None:
    kind = arr.dtype.kind
    if kind == "b":
        raise InvalidInstanceError(f"{name} has boolean entries; expected numbers")
    if kind == "c":
        raise InvalidInstanceError(f"{name} has complex entries; expected real numbers")
    if kind not in "iufO":
        raise InvalidInstanceError(f"{name} has entries of type {arr.dtype}; expected numbers")
    if arr.size > MAX_ENTRIES:
        raise InvalidInstanceError(f"{name} has {arr.size} entries; at most {MAX_ENTRIES} are accepted")


def _exact_matrix(data, name: str) -> list[list[Fraction]]:
    rows = _rows(data, name)
    if sum(len(r) for r in rows) > MAX_ENTRIES:
        raise InvalidInstanceError(f"{name} has more than {MAX_ENTRIES} entries")
    return [[_entry(v, f"{name}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(rows)]


def _exact_vector(data, name: str) -> list[Fraction]:
    return [_entry(v, f"{name}[{i}]") for i, v in enumerate(_vector(data, name))]


def as_instance(A, y=None, name: str = "instance"):
    """An exact :class:`~implicitreg.numerics.instance.Instance` (A x = y) from arrays, lists or SymPy matrices.

    ``A`` may already be an ``Instance`` (then ``y`` must be None). Floats are read as their shortest decimal
    repr (module docstring). Raises ``InvalidInstanceError`` (shape, entries) or ``NotInRangeError``.
    """
    from implicitreg.numerics.instance import Instance

    return _exact_data(Instance, "an Instance", "A", A, y, name)


def as_regression_data(X, y=None, name: str = "data"):
    """Exact least-squares data (:class:`~implicitreg.numerics.deep_linear.RegressionData`) from arrays or lists."""
    from implicitreg.numerics.deep_linear import RegressionData

    return _exact_data(RegressionData, "RegressionData", "X", X, y, name)


def _exact_data(cls, what: str, matrix: str, M, y, name: str):
    """``cls`` (an Instance or RegressionData, called ``what`` in errors) read exactly from (M, y), or M itself when
    it already is one."""
    if isinstance(M, cls):
        if y is not None:
            raise InvalidInstanceError(f"give either {what} or ({matrix}, y), not both")
        return M
    if y is None:
        raise InvalidInstanceError(f"y is missing: call with ({matrix}, y) or {what}")
    return cls.from_data({matrix: _exact_matrix(M, matrix), "y": _exact_vector(y, "y")}, name=name)


def load_instance(path: str | Path):
    """Read an instance file (JSON, ``.npz``, ``.npy``, ``.csv``; see ``docs/schema.md``) with keys A and y."""
    from implicitreg.numerics.instance import Instance, read_data_file

    return Instance.from_data(read_data_file(path, "A"), name=Path(path).stem)


def load_regression_data(path: str | Path):
    """Read a regression file (JSON, ``.npz``, ``.npy``, ``.csv``) with keys X and y."""
    from implicitreg.numerics.deep_linear import RegressionData
    from implicitreg.numerics.instance import read_data_file

    return RegressionData.from_data(read_data_file(path, "X"), name=Path(path).stem)


def _depth(depth) -> Fraction:
    from implicitreg.numerics.potentials import depth_value

    D = depth_value(_param(depth, "depth"))
    if D > MAX_DEPTH:
        raise InvalidParameterError(f"depth must be at most {MAX_DEPTH}, got {_short(depth)}")
    return D


def _layers(depth) -> int:
    """The layers L of a deep linear network (:func:`implicitreg.numerics.potentials.layers_value`), at most
    ``MAX_LAYERS``."""
    L = layers_value(depth)
    if L > MAX_LAYERS:
        raise InvalidParameterError(f"depth must be at most {MAX_LAYERS}, got {_short(depth)}")
    return L


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _param(value, name: str) -> Fraction:
    """An exact parameter (int, Fraction, decimal/rational string, float by its shortest repr)."""
    try:
        return _entry(value, name)
    except InvalidInstanceError as exc:
        raise InvalidParameterError(str(exc)) from None


def _positive(value, name: str) -> Fraction:
    q = _param(value, name)
    if q <= 0:
        raise InvalidParameterError(f"{name} must be > 0, got {_short(value)}")
    return q


def _float64(value, name: str, positive: bool = True) -> float:
    """A parameter of a float64 computation: exact text in, but it must be a finite float64."""
    q = _param(value, name)
    if q < 0 or (positive and q == 0):
        raise InvalidParameterError(f"{name} must be {'> 0' if positive else '>= 0'}, got {_short(value)}")
    try:
        f = float(q)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f) or (q != 0 and f == 0):
        raise InvalidParameterError(f"{name} = {_short(value)} is outside the float64 range this computation uses")
    return f


def _digits(value, command: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise InvalidParameterError(f"digits must be a positive integer, got {_short(value)!r}") from None
    limit = MAX_DIGITS[command]
    if not 1 <= value <= limit:
        raise InvalidParameterError(f"digits must be between 1 and {limit}, got {value}")
    return value


def _convention(value: str) -> str:
    if value not in ("product", "factor"):
        raise InvalidParameterError(f"alpha_convention must be 'product' or 'factor', got {value!r}")
    return value


def _ns(value, digits: int | None = None):
    from implicitreg.schema import number_string

    return number_string(value, digits)


def _nss(values, digits: int | None = None) -> list:
    return [_ns(v, digits) for v in values]


def _floats(values):
    import numpy as np

    return np.array([float(v) for v in values], dtype=float)


def _head(command: str, **fields) -> dict:
    from implicitreg.schema import envelope

    return envelope(command, fields)

