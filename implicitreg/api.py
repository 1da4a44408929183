"""The Python API of implicitreg: numpy arrays (or lists, Fractions, SymPy matrices) in, typed results out.

Every function is re-exported at the top level (``from implicitreg import l1_minimizer``)::

    >>> import numpy as np
    >>> from implicitreg import l1_minimizer
    >>> res = l1_minimizer(np.array([[1, 0.5]]), np.array([1]))
    >>> res.x, res.unique
    ((Fraction(1, 1), Fraction(0, 1)), True)

**How inputs are read.** Data are stored exactly, as :class:`fractions.Fraction`:

* integers (Python ``int``, numpy integer scalars and arrays) exactly;
* a binary float (Python ``float``, ``numpy.float64``/``float32``/... scalars and arrays) as its *shortest decimal
  repr* in its own precision: ``0.1`` means 1/10 (not 3602879701896397/36028797018963968), ``np.float32(0.1)``
  also means 1/10. This is the decimal a human typed or printed; it is also how JSON numbers are read.
  NaN and infinities are errors;
* ``Fraction``, decimal strings (``"1e-3"``), rational strings (``"3/7"``) exactly;
* SymPy matrices/numbers: ``Integer``/``Rational`` exactly, ``Float`` by its decimal text; anything symbolic
  (``sqrt(2)``, symbols) is an error.

Booleans, complex numbers, object arrays of anything else, empty or ragged data are errors. Every error is an
exception of :mod:`implicitreg.errors` (``InvalidInstanceError``, ``InvalidParameterError``, ...), the same ones
the CLI turns into one line on stderr and exit status 2.

**Results** are dataclasses with exact (``Fraction``) or high-precision (``mpmath.mpf``) fields, ``to_numpy()``
(float64 view of the main vector) and ``to_json()`` (the object the CLI prints with ``--json``; its schema is
:mod:`implicitreg.schema`, documented in ``docs/schema.md``).

**alpha** has two conventions, named in every function: ``alpha_convention="product"`` (default; u(0)^D = alpha,
``docs/theory/dln.md``) and ``"factor"`` (u(0) = alpha, product scale alpha^D, ``docs/theory/wah.md``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from implicitreg.errors import InvalidInstanceError, InvalidParameterError

__all__ = [
    "as_instance", "as_regression_data", "load_instance", "load_regression_data",
    "l1_minimizer", "gradient_flow_limit", "gradient_flow", "selected_minimizer", "sharpness", "deep_flow",
    "verify", "certify", "check", "verify_instance", "falsify",
    "BasisPursuit", "GradientFlowLimit", "GradientFlow", "SelectedMinimizer", "Sharpness", "DeepFlow",
    "VerifyReport", "CertificateWritten", "CheckResult",
    "MAX_DEPTH", "MAX_LAYERS", "MAX_ENTRIES", "MAX_FILE_BYTES",
]

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
        import numpy as np

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

    if isinstance(A, Instance):
        if y is not None:
            raise InvalidInstanceError("give either an Instance or (A, y), not both")
        return A
    if y is None:
        raise InvalidInstanceError("y is missing: call with (A, y) or an Instance")
    return Instance.from_data({"A": _exact_matrix(A, "A"), "y": _exact_vector(y, "y")}, name=name)


def as_regression_data(X, y=None, name: str = "data"):
    """Exact least-squares data (:class:`~implicitreg.numerics.deep_linear.RegressionData`) from arrays or lists."""
    from implicitreg.numerics.deep_linear import RegressionData

    if isinstance(X, RegressionData):
        if y is not None:
            raise InvalidInstanceError("give either RegressionData or (X, y), not both")
        return X
    if y is None:
        raise InvalidInstanceError("y is missing: call with (X, y) or RegressionData")
    return RegressionData.from_data({"X": _exact_matrix(X, "X"), "y": _exact_vector(y, "y")}, name=name)


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
    q = _param(depth, "depth")
    if q.denominator != 1 or q < 2:
        raise InvalidParameterError(f"depth must be an integer >= 2 (layers of a deep linear network), "
                                    f"got {_short(depth)}")
    if q > MAX_LAYERS:
        raise InvalidParameterError(f"depth must be at most {MAX_LAYERS}, got {_short(depth)}")
    return int(q)


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _param(value, name: str) -> Fraction:
    """An exact parameter (int, Fraction, decimal/rational string, float by its shortest repr)."""
    from implicitreg.numerics.exact import parse_exact

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


# ---------------------------------------------------------------------------------------------------------------
# basis pursuit
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BasisPursuit:
    """Exact basis pursuit min { ||x||_1 : A x = y } (``docs/theory/dln.md §3 and docs/theory/wah.md §3``).

    ``x``: the minimizer when ``unique``, otherwise an optimal vertex; ``l1_norm``; ``support``/``signs``: the
    maximal support S and its signs; ``rho``: rho(x*) (None when not unique); ``rho_maximal_support``;
    ``certificate``: the dual lambda proving optimality; ``face``: the face X_BP of all minimizers
    (``face.dimension``, ``face.point``, ``face.directions``, ``face.vertices``). Every claim is re-checked
    in rationals (``verified``).
    """

    x: tuple
    l1_norm: Fraction
    unique: bool
    support: tuple
    signs: tuple
    rho: Fraction | None
    rho_maximal_support: Fraction
    certificate: tuple
    face: Any
    instance: Any = field(repr=False)
    raw: Any = field(repr=False, default=None)

    def to_numpy(self):
        """x as a float64 array."""
        return _floats(self.x)

    def to_json(self) -> dict:
        inst, face, raw = self.instance, self.face, self.raw
        rc = raw.rho_certificate if raw is not None else None
        return _head(
            "l1", instance=inst.name, m=inst.m, N=inst.N, x=_nss(self.x), l1_norm=_ns(self.l1_norm),
            unique=self.unique, support=list(self.support), support_is_maximal=True, signs=list(self.signs),
            rho=_ns(self.rho),
            rho_maximal_support=_ns(self.rho_maximal_support), dual_certificate=_nss(self.certificate),
            rho_dual_certificate=_nss(rc.v) if rc is not None else None, face_dimension=face.dimension,
            face={"point": _nss(face.point), "directions": [_nss(d) for d in face.directions],
                  "vertices": None if face.vertices is None else [_nss(v) for v in face.vertices]},
            verified=True)


def l1_minimizer(A, y=None) -> BasisPursuit:
    """Exact l1 minimizer of A x = y with its optimality certificate, uniqueness (decided exactly), the face of
    minimizers and rho, all re-checked in rational arithmetic."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer as _bp

    inst = as_instance(A, y)
    res = _bp(inst)
    res.verify()
    return BasisPursuit(tuple(res.x), res.value, res.unique, tuple(res.support), tuple(res.signs),
                        res.rho if res.unique else None, res.rho, tuple(res.certificate), res.face, inst, res)


# ---------------------------------------------------------------------------------------------------------------
# the gradient-flow limit and the flow of depth-D diagonal networks
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GradientFlowLimit:
    """x_inf(alpha), the limit of gradient flow of a depth-D diagonal network (``docs/theory/dln.md``).

    ``x`` (mpf) carries ``digits_certified`` significant digits, proved by agreement of two independent
    solves (precision p vs 2p); ``digits_requested`` is what was asked. ``alpha`` is the scale as given,
    ``alpha_convention`` its convention, ``alpha_product`` = u(0)^D. Entries below ``floor`` in magnitude are
    certified at the scale ``floor``. ``residual`` = ||A x - y||_inf.
    """

    x: tuple
    digits_certified: int
    digits_requested: int
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: Any
    floor: Any
    residual: Any
    nu: tuple
    dps: int
    iterations: int
    instance: Any = field(repr=False)
    raw: Any = field(repr=False, default=None)

    def x_str(self, digits: int | None = None) -> list[str]:
        """Decimal strings of x rounded to ``digits`` (default: requested) significant digits, each within one unit
        of its last digit of the exact limit."""
        return self.raw.x_str(self.digits_requested if digits is None else digits)

    def to_numpy(self):
        """x as a float64 array."""
        return _floats(self.x)

    def to_json(self) -> dict:
        inst = self.instance
        return _head(
            "limit", instance=inst.name, m=inst.m, N=inst.N, depth=_ns(self.depth), alpha=_ns(self.alpha),
            alpha_convention=self.alpha_convention, alpha_product=_ns(self.alpha_product, 30), x=self.x_str(),
            digits_certified=self.digits_certified, digits_requested=self.digits_requested,
            floor=_ns(self.floor, 10), residual=_ns(self.residual, 10), nu=_nss(self.nu, self.digits_requested),
            dps=self.dps, iterations=self.iterations)


def gradient_flow_limit(A, y=None, depth=2, alpha="1e-10", *, alpha_convention: str = "product",
                        digits: int = 30) -> GradientFlowLimit:
    """The certified limit x_inf(alpha) of gradient flow on 1/2 ||A x - y||^2 with x = u^D - v^D.

    ``depth`` D >= 2 is real (``2.5``, ``"5/2"``); ``alpha`` > 0 in ``alpha_convention`` ("product":
    u(0)^D = alpha; "factor": u(0) = alpha). ``digits`` significant digits are certified (at most 5000) or
    :class:`~implicitreg.errors.PrecisionError` is raised.
    """
    from implicitreg.numerics.dual_limit import gradient_flow_limit as _limit

    inst = as_instance(A, y)
    D, a = _depth(depth), _positive(alpha, "alpha")
    digits = _digits(digits, "limit")
    res = _limit(inst, D, a, alpha_convention=_convention(alpha_convention), digits=digits)
    return GradientFlowLimit(tuple(res.x), res.digits, digits, res.depth, res.alpha, res.alpha_convention,
                             res.alpha_product, res.floor, res.residual, tuple(res.nu), res.dps, res.iterations,
                             inst, res)


@dataclass(frozen=True)
class GradientFlow:
    """A gradient-flow trajectory of a depth-D diagonal network: times ``t``, points ``x_t``, ``residual_t``
    (||A x - y||_inf) and ``loss_t`` (1/2 ||A x - y||^2), all mpf; ``x`` is the last point."""

    t: tuple
    x_t: tuple
    residual_t: tuple
    loss_t: tuple
    converged: bool
    status: int
    message: str
    kind: str
    method: str
    depth: Fraction
    alpha: Fraction
    alpha_convention: str
    alpha_product: Any
    dps: int
    tol: Any
    nsteps: int
    nfev: int
    instance: Any = field(repr=False)

    @property
    def x(self) -> tuple:
        return tuple(self.x_t[-1])

    def to_numpy(self):
        """The trajectory as a float64 array of shape (len(t), N); ``numpy.array(t)`` gives the times."""
        import numpy as np

        return np.array([[float(v) for v in x] for x in self.x_t], dtype=float).reshape(len(self.x_t), -1)

    def to_json(self, digits: int = 30) -> dict:
        inst, n = self.instance, min(digits, self.dps)
        return _head(
            "flow", instance=inst.name, m=inst.m, N=inst.N, depth=_ns(self.depth), alpha=_ns(self.alpha),
            alpha_convention=self.alpha_convention, alpha_product=_ns(self.alpha_product, 30), kind=self.kind,
            method=self.method, dps=self.dps, converged=self.converged, status=self.status, message=self.message,
            tol=_ns(self.tol, 5), nsteps=self.nsteps, nfev=self.nfev, x=_nss(self.x, n),
            residual=_ns(self.residual_t[-1], 10), t=_nss(self.t, n), x_t=[_nss(x, n) for x in self.x_t],
            residual_t=_nss(self.residual_t, 10), loss_t=_nss(self.loss_t, 10))


#: steps a flow may take before it stops with advice (``max_steps``)
DEFAULT_MAX_STEPS = 20_000


def gradient_flow(A, y=None, depth=2, alpha="1e-10", *, alpha_convention: str = "product", t_final=None,
                  until_converged: bool | None = None, full: bool = False, digits: int = 30,
                  method: str = "radau13", tol=None, max_steps: int = DEFAULT_MAX_STEPS,
                  time_budget: float | None = None, progress: bool = False) -> GradientFlow:
    """Integrate the gradient flow (reduced m-dim dual flow, or ``full`` 2N-dim (u, v) flow) in mpmath.

    Runs to ``t_final`` or, by default without ``t_final``, until ||A x - y||_inf <= ``tol`` (default
    10^-(digits-8)). At most ``max_steps`` accepted steps and ``time_budget`` seconds (None: no limit): beyond
    either :class:`~implicitreg.errors.ConvergenceError` says what to change. ``digits``: working precision (8..1000).
    ``progress``: a tqdm bar on stderr when it is a terminal.
    """
    from implicitreg.errors import ConvergenceError
    from implicitreg.numerics.flow import full_flow, reduced_flow

    inst = as_instance(A, y)
    D, a = _depth(depth), _positive(alpha, "alpha")
    digits = _digits(digits, "flow")
    if digits < 8:
        raise InvalidParameterError("a flow needs digits >= 8")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise InvalidParameterError(f"max_steps must be a positive integer, got {max_steps!r}")
    tol_mp = None
    if tol is not None:
        from implicitreg.numerics.precision import mpf_from

        q = _positive(tol, "tol")
        tol_mp = mpf_from(q)
    t_end = _positive(t_final, "t_final") if t_final is not None else None
    if time_budget is not None:
        time_budget = _float64(time_budget, "time_budget")
    until = t_end is None if until_converged is None else bool(until_converged)
    flow = full_flow if full else reduced_flow
    try:
        res = flow(inst, D, a, alpha_convention=_convention(alpha_convention), t_final=t_end, until_converged=until,
                   tol=tol_mp, dps=digits, method=method, max_steps=max_steps, progress=progress,
                   time_budget=time_budget)
    except ConvergenceError as exc:
        text = str(exc)
        if "maximum number of steps" in text or "time budget" in text:
            which = "step budget" if "maximum number of steps" in text else "time budget"
            flag = "max_steps (--max-steps)" if which == "step budget" else "time_budget (--time-budget)"
            raise ConvergenceError(
                f"{text.rstrip('.')}. The {which} is exhausted: the flow is stiff or slow at this alpha. Use an implicit "
                f"method (radau13), a larger alpha or a smaller t_final, raise {flag}, or get the limit directly "
                f"with gradient_flow_limit (`implicitreg limit`)") from None
        raise
    return GradientFlow(tuple(res.t), tuple(tuple(x) for x in res.x), tuple(res.residual), tuple(res.loss),
                        res.converged, res.status, res.message, res.kind, res.method, res.depth, res.alpha,
                        res.alpha_convention, res.alpha_product, res.dps, res.tol, res.nsteps, res.nfev, inst)


# ---------------------------------------------------------------------------------------------------------------
# the selected minimizer
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SelectedMinimizer:
    """x_g(p) = argmin G_p over the face X_BP: the l1 minimizer gradient flow of depth p selects
    (``docs/theory/wah.md``). ``depth`` is a Fraction or ``"inf"`` (the analytic centre)."""

    x: tuple
    depth: Any
    digits_certified: int
    digits_requested: int
    unique: bool
    support: tuple
    face_dimension: int
    functional: str
    iterations: int
    instance: Any = field(repr=False)

    PROVENANCE = ("functional g_p: authors' code (Wind, Antun & Hansen); selection x_inf -> x_g(p): paper "
                  "(depends on depth), proof derived; p = inf (analytic centre): derived")

    def to_numpy(self):
        return _floats(self.x)

    def to_json(self) -> dict:
        import mpmath

        inst, d = self.instance, self.digits_requested
        xs = [mpmath.nstr(v, d, strip_zeros=False).replace("e+", "e") if v != 0 else "0" for v in self.x]
        return _head(
            "select", instance=inst.name, m=inst.m, N=inst.N,
            depth="inf" if self.depth == "inf" else _ns(Fraction(self.depth)), x=xs,
            digits_certified=self.digits_certified, digits_requested=d, unique=self.unique,
            support=list(self.support), face_dimension=self.face_dimension, functional=self.functional,
            iterations=self.iterations, provenance=self.PROVENANCE)


def selected_minimizer(A, y=None, depth=2, *, digits: int = 40) -> SelectedMinimizer:
    """The l1 minimizer selected by gradient flow of depth p (real p >= 2, or ``"inf"``/``math.inf`` for the
    analytic centre), with ``digits`` certified significant digits (at most 10000)."""
    from implicitreg.numerics.selection import selected_minimizer as _select, selection_depth

    inst = as_instance(A, y)
    if isinstance(depth, float) and math.isinf(depth) and depth > 0:
        depth = "inf"
    p = "inf" if isinstance(depth, str) and depth.strip().lower() in ("inf", "infinity") else _depth(depth)
    p = selection_depth(p)
    digits = _digits(digits, "select")
    res = _select(inst, p, digits=digits)
    return SelectedMinimizer(tuple(res.x), res.depth, res.digits, digits, res.unique_bp, tuple(res.support),
                             res.face_dimension, res.functional, res.iterations, inst)


# ---------------------------------------------------------------------------------------------------------------
# deep linear networks
# ---------------------------------------------------------------------------------------------------------------

def _value_attribute(self, name):
    """``result.NAME`` for an entry NAME of the result's ``values`` report (Sharpness, DeepFlow)."""
    values = self.__dict__.get("values", {})
    if name in values:
        return values[name]
    raise AttributeError(name)


@dataclass(frozen=True)
class Sharpness:
    """Sharpness of deep linear networks on (X, y) (``docs/theory/deep_linear.md``), mpf at ``digits_requested``
    digits: ``lower_bound`` S_LB = 2 L a ||w*||^(2-2/L) [paper], ``min_sharpness`` (exact minimum over minimizers
    [derived]), ``balanced_sharpness`` [derived], ``small_init_upper`` [reconstructed], data constants, ``w_star``
    (exact). Loss R = (1/n) ||y - X w||^2 (no 1/2)."""

    depth: int
    digits_requested: int
    w_star: tuple
    values: dict
    data: Any = field(repr=False)

    __getattr__ = _value_attribute

    def to_numpy(self):
        """w* as a float64 array."""
        return _floats(self.w_star)

    def to_json(self) -> dict:
        d = self.digits_requested
        out = _head("sharpness", instance=self.data.name, n=self.data.n, d=self.data.d, depth=_ns(self.depth),
                    digits_requested=d, loss_convention="1/n, no 1/2", w_star=_nss(self.w_star))
        for k, v in self.values.items():
            out[k] = _ns(v, d)
        out.update(lower_bound_provenance="paper (form: authors' code + our proof)",
                   min_sharpness_provenance="derived", balanced_sharpness_provenance="derived",
                   small_init_upper_provenance="reconstructed (8 L Lambda ||w*||^(2-2/L))")
        return out


def sharpness(X, y=None, depth=2, *, digits: int = 20) -> Sharpness:
    """The sharpness bounds and exact values of depth-L linear networks fitted to (X, y)."""
    import mpmath

    from implicitreg.numerics import deep_linear as dl
    from implicitreg.theory import sharpness as ts

    data = as_regression_data(X, y)
    L = _layers(depth)
    digits = _digits(digits, "sharpness")
    w_norm2 = sum(v * v for v in data.target_exact)
    ts.MC_LB.require({"L": L, "w_norm": w_norm2, "excess_loss": 0, "p_norm": 1})
    dps = digits + 10
    with mpmath.workdps(dps):
        c = dl.data_constants(data, "mp")
        vals = dict(L=L, a=c.a, a_prime=c.a_prime, Lambda=c.Lambda, w_norm=c.w_norm)
        s_lb = ts.MC_LB.bound("S_LB").evaluate(dps, **vals)
        s_closed = ts.MC_SMIN.bound("S_min_closed").evaluate(dps, **vals)
        s_si = ts.MC_SI.bound("S_SI").evaluate(dps, **vals)
        smin = dl.min_sharpness(data, L, dps=dps)
        s_bal = dl.balanced_sharpness(data, L, dps=dps)
        values = {
            "w_star_norm": c.w_norm, "a": c.a, "a_prime": c.a_prime, "Lambda": c.Lambda,
            "lambda_min": c.lambda_min, "kappa": c.kappa, "lower_bound": s_lb, "min_sharpness": smin.value,
            "min_sharpness_t": smin.t, "min_sharpness_closed_lower": s_closed, "balanced_sharpness": s_bal,
            "ratio_min_to_lower": smin.value / s_lb, "ratio_balanced_to_lower": s_bal / s_lb,
            "small_init_upper": s_si, "gd_stability_threshold_eta": 2 / s_lb,
        }
    return Sharpness(L, digits, tuple(data.target_exact), values, data)


@dataclass(frozen=True)
class DeepFlow:
    """Gradient flow (or descent with step ``eta``) of a depth-L linear network in float64 from a seeded
    ``init`` ("small" or "residual") at ``scale``; ``values`` holds the report (final sharpness, distance to w*,
    ratios to the bounds, imbalance, alignment); ``w`` is the end-to-end vector."""

    depth: int
    init: str
    scale: Fraction
    seed: int
    eta: Fraction | None
    converged: bool
    w: Any
    values: dict
    data: Any = field(repr=False)

    __getattr__ = _value_attribute

    def to_numpy(self):
        """The end-to-end vector w (float64)."""
        import numpy as np

        return np.asarray(self.w, dtype=float)

    def to_json(self) -> dict:
        v = self.values
        out = _head("deep-flow", instance=self.data.name, n=self.data.n, d=self.data.d, depth=_ns(self.depth),
                    init=self.init, scale=_ns(self.scale), seed=self.seed, eta=_ns(self.eta), method=v["method"],
                    status=int(v["status"]), message=str(v["message"]), converged=self.converged,
                    time_or_steps=_ns(v["time_or_steps"]), nfev=int(v["gradient_evaluations"]),
                    final_excess_loss=_ns(v["final_excess_loss"]), loss_convention=v["loss_convention"])
        for k in ("lower_bound", "balanced_sharpness", "small_init_upper", "final_sharpness", "distance_to_w_star",
                  "mean_squared_distance", "ratio_to_lower_bound", "ratio_to_balanced", "ratio_to_small_init_upper",
                  "imbalance_initial", "imbalance_drift"):
            out[k] = _ns(v.get(k))
        out["sharpness_method"] = v.get("sharpness_method")
        al = v.get("alignment")
        out["alignment"] = None if al is None else {
            "sigma1": _nss(al["sigma1"]), "sigma2": _nss(al["sigma2"]),
            "interlayer_sin": _nss(al["interlayer_sin"]), "input_cos": _ns(al["input_cos"])}
        return out


def deep_flow(X, y=None, depth=2, *, init: str = "small", scale="0.05", eta=None, steps: int = 10000,
              t_end="1e5", tol="1e-12", seed: int = 0, progress: bool = False) -> DeepFlow:
    """Gradient flow (``eta`` None; Dormand-Prince in float64 up to time ``t_end``) or gradient descent
    (``steps`` steps of size ``eta``) of a depth-L linear network from a seeded initialization, stopping when
    R - R_min <= ``tol``. Parameters are read exactly and must be finite float64 values."""
    import numpy as np

    from implicitreg.commands.sharpness import flow_report

    data = as_regression_data(X, y)
    L = _layers(depth)
    if init not in ("small", "residual"):
        raise InvalidParameterError(f"init must be 'small' or 'residual', got {init!r}")
    s = _float64(scale, "scale", positive=(init == "small"))
    e = _float64(eta, "eta") if eta is not None else None
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10 ** 8:
        raise InvalidParameterError(f"steps must be an integer in [1, 10^8], got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterError(f"seed must be an integer >= 0, got {seed!r}")
    t = _float64(t_end, "t_end")
    tl = _float64(tol, "tol")
    from implicitreg.progress import activity

    with activity("deep-flow", progress):
        rep = flow_report(data, L, init, s, seed=seed, eta=e, steps=steps, t_end=t, tol=tl)
    w = np.asarray(rep["end_to_end"], dtype=float)
    return DeepFlow(L, init, _param(scale, "scale"), seed, _param(eta, "eta") if eta is not None else None,
                    bool(rep["converged"]), w, rep, data)


# ---------------------------------------------------------------------------------------------------------------
# verify, certify, check
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyReport:
    """The verdicts of ``implicitreg verify``: ``verdicts`` (a list of
    :class:`~implicitreg.proofs.checks.Verdict`), ``passed`` (all hold and at least one ran), ``suites`` run."""

    verdicts: list
    suites: tuple
    certificates: tuple | None = None

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def summary(self) -> list[dict]:
        from implicitreg.proofs.verify import summarize

        return summarize(self.verdicts)

    def to_numpy(self):
        """The defined margins of the verdicts (NaN where a verdict has none)."""
        import numpy as np

        return np.array([np.nan if v.margin_value is None else float(v.margin_value) for v in self.verdicts])

    def to_json(self) -> dict:
        return _head("verify", suites=list(self.suites), summary=self.summary(),
                     verdicts=[v.to_json() for v in self.verdicts], passed=self.passed,
                     certificates=None if self.certificates is None else list(self.certificates))


def verify(only: str | Sequence[str] | None = None, *, thorough: bool = False, progress: bool = False,
           certify_dir: str | Path | None = None) -> VerifyReport:
    """Run the ``verify`` suites (all, or the ones named in ``only``; unknown names raise
    :class:`~implicitreg.errors.InvalidParameterError`) and return their verdicts."""
    from implicitreg.proofs.verify import resolve_suites, run_verify

    names = resolve_suites(only)  # unknown suite names raise here
    verdicts = run_verify(thorough=thorough, only=only, **({"progress": True} if progress else {}))
    certificates = None
    if certify_dir is not None:
        from implicitreg.proofs.certify import write_all

        certificates = tuple(str(p) for p in write_all(certify_dir))
    return VerifyReport(verdicts, tuple(n.rsplit(".", 1)[-1] for n in names), certificates)


def verify_instance(A, y=None, *, depths: Sequence | None = None, alpha_range=None,
                    alpha_convention: str = "product", certify_dir: str | Path | None = None,
                    deep_linear: bool = False):
    """Every stated theorem decided on one instance: A, y (diagonal networks) or X, y with ``deep_linear=True``.

    Returns :class:`implicitreg.proofs.instance_verify.InstanceVerification`: ``verdicts`` (the rows of ``verify``),
    ``not_applicable`` (each with the failing hypothesis), ``certificates`` (written into ``certify_dir``).
    ``depths``: D values (default 2, 3) or integers L; ``alpha_range``: "LO:HI" or a pair.
    """
    from implicitreg.proofs.instance_verify import verify_instance as _verify_instance

    data = as_regression_data(A, y) if deep_linear else as_instance(A, y)
    return _verify_instance(data, depths=depths, alpha_range=alpha_range, alpha_convention=_convention(
        alpha_convention), certify=certify_dir)


def falsify(lhs: str, bound, **options):
    """Search for a counterexample to ``lhs <= bound`` (``side="upper"``) or ``>=`` (``side="lower"``).

    ``bound``: a string (the checker's evaluate-nothing grammar) or a SymPy expression over the named quantities
    of :mod:`implicitreg.theory.quantities`. Options and result: :func:`implicitreg.proofs.falsify.falsify`
    (``depth``, ``alpha_range``, ``alpha_convention``, ``family``, ``m``, ``N``, ``budget``, ``seed``, ``side``,
    ``assume``); the result has ``refuted``, ``worst`` (the counterexample or worst ratio), ``certificate``.
    """
    from implicitreg.proofs.falsify import falsify as _falsify

    return _falsify(lhs, bound, **options)


@dataclass(frozen=True)
class CertificateWritten:
    """A sealed certificate: ``certificate`` (the JSON object), ``path`` (when written), ``theorem``, ``sha256``."""

    certificate: dict
    path: str | None

    @property
    def theorem(self) -> str:
        return self.certificate["theorem"]["name"]

    @property
    def sha256(self) -> str:
        return self.certificate["sha256"]

    def to_numpy(self):
        raise TypeError("a certificate has no array view")

    def to_json(self) -> dict:
        return _head("certify", path=self.path or "", theorem=self.theorem, sha256=self.sha256)


def certify(A, y=None, *, theorem: str, depth, alphas: Sequence = (), alpha_convention: str | None = None,
            symbolic: bool = True, out: str | Path | None = None, overwrite: bool = False,
            progress: bool = False) -> CertificateWritten:
    """A tightness certificate of ``theorem`` ("MS-D2", "MS-D3", "kink" on (A, y) at each of ``alphas``;
    "MC-LB" on regression data (X, y) = (A, y) at ``depth`` L), written to ``out`` when given (an existing file
    only with ``overwrite``). Check it with :func:`check` or ``implicitreg check``."""
    from implicitreg.progress import activity
    from implicitreg.proofs import certify as cert_mod

    if theorem == "MC-LB":
        data = as_regression_data(A, y)
        L = _layers(depth)
        with activity(f"certify {theorem}", progress):
            cert = cert_mod.deep_linear_certificate([list(r) for r in data.X], list(data.y), L)
    else:
        if theorem not in ("MS-D2", "MS-D3", "kink"):
            raise InvalidParameterError(f"theorem must be one of MS-D2, MS-D3, kink, MC-LB; got {theorem!r}")
        if not alphas:
            raise InvalidParameterError(f"{theorem} needs at least one alpha")
        inst = as_instance(A, y)
        with activity(f"certify {theorem}", progress):
            cert = cert_mod.diagonal_certificate(inst, _depth(depth), [_positive(a, "alpha") for a in alphas],
                                                 theorem=theorem, alpha_convention=alpha_convention,
                                                 symbolic=symbolic)
    path = None
    if out is not None:
        path = str(out)
        write_text_file(path, cert_mod.dumps(cert), overwrite=overwrite)
    return CertificateWritten(cert, path)


def write_text_file(path: str | Path, text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` to ``path``; an unwritable path (or an existing one without ``overwrite``) raises
    :class:`~implicitreg.errors.InvalidParameterError` with one line."""
    p = Path(path)
    if p.is_dir():
        raise InvalidParameterError(f"cannot write {str(path)!r}: it is a directory")
    if p.exists() and not overwrite:
        raise InvalidParameterError(f"{str(path)!r} exists; remove it or choose another path")
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidParameterError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class CheckResult:
    """The standalone checker's verdict on certificate files: ``reports`` (one per file), ``passed``."""

    reports: list

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.reports)

    def to_numpy(self):
        import numpy as np

        return np.array([r.ok for r in self.reports], dtype=bool)

    def to_json(self) -> dict:
        files = []
        for r in self.reports:
            failure = r.failure
            files.append({"path": r.source, "accepted": r.ok, "verified": [str(s) for s in r.verified],
                          "field": None if failure is None else str(getattr(failure, "field", "")),
                          "reason": None if failure is None else str(getattr(failure, "message", failure))})
        return _head("check", files=files, passed=self.passed)


def check(*paths: str | Path, use_sympy: bool | None = None) -> CheckResult:
    """Check certificate files with the standalone checker (which imports no producing code)."""
    from implicitreg.proofs.checker.check import check_file

    if not paths:
        raise InvalidParameterError("name at least one certificate file")
    kwargs = {} if use_sympy is None else {"use_sympy": use_sympy}
    return CheckResult([check_file(p, **kwargs) for p in paths])
