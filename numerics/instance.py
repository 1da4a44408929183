"""Problem instances with exact data.

An instance file is a JSON object (or ``.npz``/``.npy``/``.csv``, see :func:`read_data_file`). For the
diagonal-network problems it carries ``"A"`` (a list of rows) and ``"y"`` (a list); other keys are ignored. Entries may be integers, decimal strings
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
from implicitreg.numerics.exact import Matrix, Vector, fraction_str, parse_exact


def _float64(q: Fraction, name: str) -> float:
    """float(q) for a float64 computation on the data; an entry beyond the float64 range is an error, not a crash."""
    try:
        return float(q)
    except OverflowError:
        raise InvalidInstanceError(f"{name} has an entry beyond the float64 range (about 1e308), which a float64 "
                                   "step of this computation cannot represent") from None


def _reject_constant(name: str):
    raise InvalidInstanceError(f"{name} is not a finite number")


def _unique_keys(pairs: list) -> dict:
    """A JSON object whose keys are distinct: ``{"y": [1], "y": [2]}`` is ambiguous (JSON readers differ on which
    value wins), so it is an error rather than a silent choice."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise InvalidInstanceError(f"duplicate key {dup[:40]!r} in a JSON object")
    return obj


def load_json_exact(text: str) -> Any:
    """Parse JSON so that numbers keep their decimal text: floats become ``Decimal``; NaN/Infinity and duplicate
    keys are errors."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InvalidInstanceError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except InvalidInstanceError:
        raise
    except ValueError as exc:  # e.g. an integer literal longer than Python's int-from-string limit
        raise InvalidInstanceError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInstanceError("not valid JSON: nested too deeply") from None


#: instance files larger than this are refused before reading (bytes)
MAX_FILE_BYTES = 64 * 2 ** 20
#: arrays with more entries than this are refused
MAX_ENTRIES = 1_000_000


def _open_checked(path: str | Path) -> Path:
    """``path`` as a Path after checking it names a readable regular file of bounded size."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read instance file {str(path)!r}: {exc.strerror}") from None
    if p.is_dir():
        raise InvalidInstanceError(f"cannot read instance file {str(path)!r}: it is a directory")
    if st.st_size > MAX_FILE_BYTES:
        raise InvalidInstanceError(f"instance file {str(path)!r} has {st.st_size} bytes; at most {MAX_FILE_BYTES} "
                                   "are accepted")
    return p


def read_json_file(path: str | Path) -> Any:
    """A JSON file read exactly (:func:`load_json_exact`); unreadable or non-UTF-8 files raise
    :class:`InvalidInstanceError` with one line."""
    p = _open_checked(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read instance file {str(path)!r}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInstanceError(
            f"instance file {str(path)!r} is not UTF-8 text (byte {exc.start}); JSON instances are text, and "
            ".npy/.npz/.csv files are recognised by their extension") from None
    if not text.strip():
        raise InvalidInstanceError(f"instance file {str(path)!r} is empty")
    return load_json_exact(text)


def _array_rows(arr, name: str, ndim: int) -> list:
    """Rows (ndim 2) or entries (ndim 1) of a numpy array for :func:`parse_exact` (numpy scalars kept, so a float32
    is read by its own shortest repr)."""
    kind = arr.dtype.kind
    if kind not in "iuf":
        raise InvalidInstanceError(f"{name} has entries of type {arr.dtype}; expected integers or floats")
    if arr.size > MAX_ENTRIES:
        raise InvalidInstanceError(f"{name} has {arr.size} entries; at most {MAX_ENTRIES} are accepted")
    if ndim == 1 and arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != ndim:
        raise InvalidInstanceError(f"{name} must be {ndim}-dimensional, got shape {tuple(arr.shape)}")
    return _numpy_exact_list(arr)


def _in_range(basis, y) -> bool:
    from implicitreg.numerics.integer_form import in_range

    return in_range(basis, y)


def _is_array(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and hasattr(value, "tolist")


def _numpy_exact_list(arr) -> list:
    """Nested lists of a numpy array's entries, read exactly by :func:`parse_exact`: integer and float64 arrays
    through ``tolist`` (Python ints are exact; a Python float's repr is the shortest repr of the float64, the
    same digits numpy prints), other dtypes as numpy scalars (a float32 keeps its own shortest repr)."""
    if arr.dtype.kind in "iu" or arr.dtype == "float64":
        return arr.tolist()
    if arr.ndim == 0:
        return arr[()]
    if arr.ndim == 1:
        return list(arr)
    return [list(row) for row in arr]


def _numpy_load(p: Path):
    import zipfile

    import numpy as np

    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise InvalidInstanceError(f"cannot read {str(p)!r} as a {p.suffix} file: {reason}") from None


def _augmented(rows: list, matrix_key: str, path: Path) -> dict:
    """{matrix_key: rows without the last column, "y": the last column} of an augmented matrix [A | y]."""
    if not rows or any(len(r) < 2 for r in rows):
        raise InvalidInstanceError(f"{str(path)!r} must hold the augmented matrix [{matrix_key} | y]: at least two "
                                   "columns, the last one y")
    return {matrix_key: [list(r[:-1]) for r in rows], "y": [r[-1] for r in rows]}


def _read_csv(p: Path, matrix_key: str) -> dict:
    import csv

    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read instance file {str(p)!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInstanceError(f"instance file {str(p)!r} is not UTF-8 text (byte {exc.start})") from None
    try:
        rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines())
                if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    except csv.Error as exc:
        raise InvalidInstanceError(f"cannot read {str(p)!r} as CSV: {exc}") from None
    if rows and rows[0] and rows[0][-1].lower() == "y":  # a header row naming the columns
        rows = rows[1:]
    if sum(len(r) for r in rows) > MAX_ENTRIES:
        raise InvalidInstanceError(f"{str(p)!r} has more than {MAX_ENTRIES} entries")
    width = len(rows[0]) if rows else 0
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InvalidInstanceError(f"{str(p)!r} is ragged: row 0 has {width} cells, row {i} has {len(r)}")
    return _augmented(rows, matrix_key, p)


def read_data_file(path: str | Path, matrix_key: str = "A") -> dict:
    """The data of an instance file as a mapping {matrix_key, "y"} of raw entries for :func:`read_matrix`.

    By extension: ``.npz`` (arrays ``matrix_key`` and ``y``), ``.npy`` (one 2-D array, the augmented matrix
    [A | y]: the last column is y), ``.csv`` (the augmented matrix as text; cells read exactly like JSON strings;
    blank lines, ``#`` comments and a header row whose last cell is ``y`` are skipped); anything else is JSON.
    Integers are exact; floats are read through their shortest decimal repr. Every failure (missing, directory,
    too large, binary, not UTF-8, NaN, pickled objects, wrong shape) raises :class:`InvalidInstanceError`.
    """
    p = _open_checked(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        archive = _numpy_load(p)
        if not hasattr(archive, "files"):
            raise InvalidInstanceError(f"{str(p)!r} is not an .npz archive")
        with archive:
            missing = [k for k in (matrix_key, "y") if k not in archive.files]
            if missing:
                raise InvalidInstanceError(f"{str(p)!r} has no array {missing[0]!r} (arrays: "
                                           f"{', '.join(archive.files) or 'none'})")
            try:
                M, y = archive[matrix_key], archive["y"]
            except (ValueError, OSError, EOFError) as exc:
                raise InvalidInstanceError(f"cannot read the arrays of {str(p)!r}: {exc}") from None
            return {matrix_key: _array_rows(M, matrix_key, 2), "y": _array_rows(y, "y", 1)}
    if suffix == ".npy":
        arr = _numpy_load(p)
        if not hasattr(arr, "dtype"):
            raise InvalidInstanceError(f"{str(p)!r} is not an .npy array")
        return _augmented(_array_rows(arr, f"the array in {p.name}", 2), matrix_key, p)
    if suffix == ".csv":
        return _read_csv(p, matrix_key)
    return read_json_file(p)


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


def read_system(data: Any, key: str, what: str) -> tuple[Matrix, Vector]:
    """The matrix ``data[key]`` and the right-hand side ``data["y"]`` of a linear system (exact), with one entry of
    y per row; ``what`` names the object in the error (``"an instance"``, ``"a regression instance"``)."""
    if not isinstance(data, Mapping):
        raise InvalidInstanceError(f"{what} must be a JSON object with keys '{key}' and 'y'")
    M = read_matrix(data, key)
    y = read_vector(data, "y")
    if len(y) != len(M):
        raise InvalidInstanceError(f"shape mismatch: {key} has {len(M)} rows but y has {len(y)} entries")
    return M, y


@dataclass(frozen=True)
class Instance:
    """An underdetermined linear system A x = y, stored exactly.

    Construct with :meth:`from_data` (validates shapes and entries, checks y in range(A) exactly).
    ``A`` is m x N, ``y`` has m entries.
    """

    A: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    name: str = field(default="instance", compare=False)
    _integer: Any = field(default=None, compare=False, repr=False)
    _basis: Any = field(default=None, compare=False, repr=False)

    @property
    def m(self) -> int:
        return len(self.A)

    @property
    def N(self) -> int:
        return len(self.A[0])

    @classmethod
    def from_data(cls, data: Mapping[str, Any], name: str | None = None, check_range: bool = True) -> "Instance":
        A, y = read_system(data, "A", "an instance")
        inst = cls(tuple(map(tuple, A)), tuple(y), name or str(data.get("name", "instance")))
        if check_range and not _in_range(inst.row_basis(), inst.y):
            raise NotInRangeError("y is not in the range of A: A x = y has no solution")
        return inst

    def row_basis(self):
        """(R, C): rows R of A forming a basis of its row space and the coefficients C of the other rows, exactly
        (:func:`~implicitreg.numerics.integer_form.row_basis`: modulo a prime, then checked), computed once."""
        if self._basis is None:
            from implicitreg.numerics.integer_form import row_basis

            object.__setattr__(self, "_basis", row_basis(self.A))
        return self._basis

    def integer_form(self):
        """The exact integer form A = A_int / den (:class:`~implicitreg.numerics.integer_form.IntegerRows`: flint
        matrices and exact products for the dual solvers), built once per instance, when first needed (its size
        grows with the common denominator of the entries)."""
        if self._integer is None:
            from implicitreg.numerics.integer_form import IntegerRows

            object.__setattr__(self, "_integer", IntegerRows(self.A, basis=self.row_basis()))
        return self._integer

    @classmethod
    def from_lists(cls, A: Sequence[Sequence[Any]], y: Sequence[Any], name: str = "instance") -> "Instance":
        """From rows of numbers: ints, Fractions, strings, floats and numpy scalars or arrays (numpy ints exactly,
        floats through their shortest decimal repr)."""
        try:
            rows = _numpy_exact_list(A) if _is_array(A) else [list(r) for r in A]
            ys = _numpy_exact_list(y) if _is_array(y) else list(y)
        except TypeError:
            raise InvalidInstanceError("A must be a sequence of rows and y a sequence of numbers") from None
        return cls.from_data({"A": rows, "y": ys}, name=name)

    @classmethod
    def load(cls, path: str | Path) -> "Instance":
        """Read an instance file: JSON, ``.npz``, ``.npy`` or ``.csv`` (:func:`read_data_file`)."""
        return cls.from_data(read_data_file(path, "A"), name=Path(path).stem)

    def to_json(self) -> dict:
        """The exact data as JSON (``"p/q"`` strings)."""
        return {"A": [[fraction_str(v) for v in row] for row in self.A], "y": [fraction_str(v) for v in self.y]}

    def A_mp(self) -> mpmath.matrix:
        """A as an mpmath matrix at the current working precision."""
        from implicitreg.numerics.precision import mpf_from

        return mpmath.matrix([[mpf_from(v) for v in row] for row in self.A])

    def y_mp(self) -> mpmath.matrix:
        from implicitreg.numerics.precision import mpf_from

        return mpmath.matrix([mpf_from(v) for v in self.y])

    def A_float(self):
        import numpy as np

        return np.array([[_float64(v, "A") for v in row] for row in self.A])

    def y_float(self):
        import numpy as np

        return np.array([_float64(v, "y") for v in self.y])
