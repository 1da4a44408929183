"""The one output schema of every ``implicitreg`` command and of every API result's ``to_json()``.

Rules (documented for users in ``docs/schema.md``):

* Every object carries ``schema_version`` (this module's :data:`SCHEMA_VERSION`) and ``command`` (the subcommand
  that produced it, or the API function's CLI name).
* A key means the same thing and has the same type in every command (the registry :data:`FIELDS`); a command may
  only use registered keys, and each command has its required keys (:data:`COMMANDS`).
* Integers (counts, indices, digits, seeds) are JSON integers. Every other number is a **number string**: an exact
  rational (``"3"``, ``"-3/7"``) or a decimal (``"0.25"``, ``"1.5e-30"``), or ``"inf"``/``"-inf"``. It is
  lossless: ``fractions.Fraction(s)`` reads the exact or decimal value, ``float(s)`` a float64 approximation.
  JSON floats never appear: a binary float is written as its shortest ``repr`` *in its own precision* (a float64
  as ``repr``, a numpy float32/float16 as numpy prints it: ``np.float32(0.1)`` -> ``"0.1"``), the decimal the
  inputs read it as (``implicitreg.numerics.exact.parse_exact``: ``np.float32(0.1)`` is 1/10), so writing a
  float and reading the text back give the same exact value.
* Missing values are ``null``, never ``"-"`` or ``""``.
* Digits are named apart: ``digits_certified`` (significant digits proved by two independent computations) and
  ``digits_requested`` (what the caller asked for).
* ``depth`` is always a number string (``"3"``, ``"5/2"``, ``"inf"``), ``x`` always the point (a list of number
  strings), ``unique`` always "basis pursuit has exactly one minimizer".

:func:`validate` checks an object against this schema; :func:`number_string` is the one formatter of numbers.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

SCHEMA_VERSION = "1.0"

__all__ = ["SCHEMA_VERSION", "FIELDS", "OBJECTS", "COMMANDS", "SchemaError", "validate", "number_string",
           "envelope", "is_number_string"]


class SchemaError(ValueError):
    """An output object does not follow the schema (a bug of ours, never the user's input)."""


#: unambiguous (each digit run is matched one way), so a long digit string that does not match fails in linear
#: time; "\d+\.?\d*" split a run of n digits n ways, and a 10000-digit fraction followed by text took 0.1 s a call
_NUMBER = re.compile(r"^-?(\d+(/\d+)?|(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf)$")


def is_number_string(value: Any) -> bool:
    """True for ``"3"``, ``"-3/7"``, ``"0.25"``, ``"1.5e-30"``, ``"inf"``, ``"-inf"`` (and nothing else)."""
    return isinstance(value, str) and bool(_NUMBER.match(value))


def number_string(value, digits: int | None = None, strip_zeros: bool = False) -> str | None:
    """The schema's text of a number: Fraction/int exactly (``"p/q"``), mpf/float as a decimal.

    ``digits``: significant digits for an mpf (default: its full precision; trailing zeros kept unless
    ``strip_zeros``); a float is written as its shortest ``repr`` in its own precision (float64: ``repr``; numpy
    float32/float16/longdouble: numpy's shortest round-trip text, ``np.float32(0.1)`` -> ``"0.1"``), the decimal
    the inputs read it as. ``None`` stays ``None``. NaN is refused (it is never a result).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise SchemaError("a boolean is not a number")
    if isinstance(value, (Fraction, int)) or type(value).__name__ == "fmpz":
        from implicitreg.numerics.exact import fraction_str  # str() refuses ints of more than 4300 digits

        return fraction_str(value if isinstance(value, Fraction) else Fraction(int(value)))
    if type(value).__module__ == "numpy" and not isinstance(value, float):  # numpy scalars other than float64
        import numpy as np

        if isinstance(value, np.bool_):
            raise SchemaError("a boolean is not a number")
        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            if np.isnan(value):
                raise SchemaError("NaN is not a number string")
            if np.isinf(value):
                return "inf" if value > 0 else "-inf"
            return str(value)  # numpy's shortest round-trip repr in the scalar's own precision
    if isinstance(value, float):  # Python float and numpy float64 (a float subclass)
        v = float(value)
        if math.isnan(v):
            raise SchemaError("NaN is not a number string")
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        if not is_number_string(value):
            raise SchemaError(f"{value!r} is not a number string")
        return value
    import mpmath

    try:
        v = value if isinstance(value, mpmath.mpf) else mpmath.mpf(value)
    except (TypeError, ValueError):
        raise SchemaError(f"a {type(value).__name__} is not a number type of the schema") from None
    if mpmath.isnan(v):
        raise SchemaError("NaN is not a number string")
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    text = mpmath.nstr(v, digits if digits is not None else mpmath.mp.dps, strip_zeros=strip_zeros,
                       min_fixed=-4, max_fixed=16)
    return text.replace("e+", "e")


# ---------------------------------------------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Type:
    """A JSON type of the schema: ``kind`` in string/boolean/integer/number/list/object, with ``item`` or ``fields``."""

    kind: str
    item: "Type | None" = None
    obj: str | None = None
    nullable: bool = False
    choices: tuple = ()

    def describe(self) -> str:
        if self.kind == "list":
            text = f"list of {self.item.describe()}"
        elif self.kind == "object":
            text = f"object `{self.obj}`"
        elif self.kind == "number":
            text = "number string"
        elif self.kind == "json":
            text = "JSON object"
        else:
            text = self.kind
        if self.choices:
            text += " (" + " \\| ".join(f"`{c}`" for c in self.choices) + ")"
        return text + (" or null" if self.nullable else "")


STRING, BOOLEAN, INTEGER, NUMBER = Type("string"), Type("boolean"), Type("integer"), Type("number")


def _null(t: Type) -> Type:
    return Type(t.kind, t.item, t.obj, True, t.choices)


def _list(t: Type, nullable: bool = False) -> Type:
    return Type("list", t, nullable=nullable)


def _obj(name: str, nullable: bool = False) -> Type:
    return Type("object", obj=name, nullable=nullable)


def _enum(*choices: str, nullable: bool = False) -> Type:
    return Type("string", choices=choices, nullable=nullable)


NUMBERS = _list(NUMBER)

#: every top-level key, its type and its meaning (the same in every command)
FIELDS: dict[str, tuple[Type, str]] = {
    "schema_version": (STRING, "version of this schema"),
    "command": (STRING, "the subcommand (or API function) that produced the object"),
    "instance": (STRING, "name of the instance (file stem, or the name given to the API)"),
    "m": (INTEGER, "rows of A"),
    "N": (INTEGER, "columns of A (unknowns)"),
    "n": (INTEGER, "samples (rows of X)"),
    "d": (INTEGER, "features (columns of X)"),
    "depth": (NUMBER, "depth: D of a diagonal network (real >= 2), L of a deep linear network, or p = inf"),
    "alpha": (_null(NUMBER), "initialization scale as given, exact, in the convention `alpha_convention`"),
    "alpha_convention": (_enum("product", "factor", nullable=True),
                         "product: u(0)^D = alpha; factor: u(0) = alpha (product scale alpha^D)"),
    "alpha_product": (_null(NUMBER), "the product scale u(0)^D"),
    "x": (NUMBERS, "the point: l1 minimizer, gradient-flow limit, selected minimizer or last flow state"),
    "l1_norm": (NUMBER, "min ||x||_1 over A x = y (exact)"),
    "unique": (BOOLEAN, "basis pursuit has exactly one minimizer (decided exactly)"),
    "support": (_list(INTEGER), "support S of x (0-based); the maximal support when basis pursuit is not unique"),
    "support_is_maximal": (BOOLEAN, "the support is the maximal one over all minimizers (always true for l1)"),
    "signs": (_list(INTEGER), "signs of x on the support"),
    "rho": (_null(NUMBER), "rho(x*) = ||A_{S^c}^T (A_S^+)^T sign(x*_S)||_inf; null when x* is not unique"),
    "rho_maximal_support": (NUMBER, "rho of the maximal support"),
    "dual_certificate": (NUMBERS, "dual certificate lambda proving l1 optimality exactly"),
    "rho_dual_certificate": (_list(NUMBER, nullable=True), "dual vector certifying rho, or null"),
    "face_dimension": (INTEGER, "dimension of the face X_BP of l1 minimizers"),
    "face": (_obj("face"), "the face X_BP: a relative-interior point, directions, vertices"),
    "verified": (BOOLEAN, "every exact claim was re-checked in rational arithmetic"),
    "digits_certified": (INTEGER, "significant digits proved by two independent computations"),
    "digits_requested": (_null(INTEGER), "significant digits asked for"),
    "floor": (NUMBER, "entries of x below this magnitude are certified at this scale"),
    "residual": (NUMBER, "||A x - y||_inf at the reported point"),
    "nu": (NUMBERS, "dual variable nu with x = alpha_prod phi_D(A^T nu)"),
    "dps": (INTEGER, "working precision in decimal digits"),
    "iterations": (INTEGER, "Newton iterations"),
    "kind": (_enum("reduced", "full"), "flow integrated: reduced (m-dim dual) or full (2N-dim)"),
    "method": (STRING, "integration method"),
    "converged": (BOOLEAN, "the run reached its stopping tolerance"),
    "tol": (NUMBER, "stopping tolerance"),
    "status": (INTEGER, "0: reached the end, 1: stop condition met, -1: failed / budget exhausted"),
    "message": (STRING, "why the run stopped"),
    "nsteps": (INTEGER, "accepted steps"),
    "nfev": (INTEGER, "right-hand-side (gradient) evaluations"),
    "t": (NUMBERS, "times of the recorded states"),
    "x_t": (_list(NUMBERS), "x at each recorded time"),
    "residual_t": (NUMBERS, "||A x - y||_inf at each recorded time"),
    "loss_t": (NUMBERS, "1/2 ||A x - y||^2 at each recorded time"),
    "functional": (STRING, "tie-break functional g_p minimized over the face"),
    "provenance": (STRING, "where the statement comes from: paper, derived, reconstructed, conjecture, standard"),
    "loss_convention": (STRING, "normalization of the loss"),
    "w_star": (NUMBERS, "minimum-norm least-squares solution w* (exact)"),
    "w_star_norm": (NUMBER, "||w*||_2"),
    "a": (NUMBER, "a = w*^T Sigma w* / ||w*||^2"),
    "a_prime": (NUMBER, "a' (deep_linear theory)"),
    "Lambda": (NUMBER, "largest eigenvalue of Sigma"),
    "lambda_min": (NUMBER, "smallest nonzero eigenvalue of Sigma"),
    "kappa": (NUMBER, "Lambda / lambda_min"),
    "lower_bound": (NUMBER, "S_LB = 2 L a ||w*||^(2-2/L) [MC-LB]"),
    "lower_bound_provenance": (STRING, "provenance of lower_bound"),
    "min_sharpness": (NUMBER, "exact minimum sharpness over minimizers [derived]"),
    "min_sharpness_t": (NUMBER, "the parameter t attaining min_sharpness"),
    "min_sharpness_provenance": (STRING, "provenance of min_sharpness"),
    "min_sharpness_closed_lower": (NUMBER, "closed-form lower value of the minimum sharpness"),
    "balanced_sharpness": (NUMBER, "sharpness of the balanced rank-one minimizer [derived]"),
    "balanced_sharpness_provenance": (STRING, "provenance of balanced_sharpness"),
    "ratio_min_to_lower": (NUMBER, "min_sharpness / lower_bound"),
    "ratio_balanced_to_lower": (NUMBER, "balanced_sharpness / lower_bound"),
    "small_init_upper": (NUMBER, "8 L Lambda ||w*||^(2-2/L) [reconstructed]"),
    "small_init_upper_provenance": (STRING, "provenance of small_init_upper"),
    "gd_stability_threshold_eta": (NUMBER, "2 / lower_bound: GD steps above it cannot settle at any minimizer"),
    "init": (_enum("small", "residual"), "initialization of the deep linear network"),
    "scale": (NUMBER, "initialization scale s"),
    "seed": (INTEGER, "initialization seed"),
    "eta": (_null(NUMBER), "gradient-descent step (null: gradient flow)"),
    "time_or_steps": (NUMBER, "final time (flow) or steps taken (descent)"),
    "final_excess_loss": (NUMBER, "R - R_min at the end"),
    "final_sharpness": (_null(NUMBER), "largest Hessian eigenvalue at the end"),
    "sharpness_method": (_null(STRING), "how final_sharpness was computed"),
    "distance_to_w_star": (_null(NUMBER), "||w - w*||_2 at the end"),
    "mean_squared_distance": (_null(NUMBER), "||w - w*||^2 / d at the end"),
    "ratio_to_lower_bound": (_null(NUMBER), "final_sharpness / lower_bound"),
    "ratio_to_balanced": (_null(NUMBER), "final_sharpness / balanced_sharpness"),
    "ratio_to_small_init_upper": (_null(NUMBER), "final_sharpness / small_init_upper"),
    "imbalance_initial": (_null(NUMBER), "max_l ||W_l W_l^T - W_{l+1}^T W_{l+1}||_2 at the start"),
    "imbalance_drift": (_null(NUMBER), "largest change of an imbalance during the run"),
    "alignment": (_obj("alignment", nullable=True), "alignment of the layers at the end"),
    "verdicts": (_list(_obj("verdict")), "one row per checked statement"),
    "summary": (_list(_obj("theorem_summary")), "passed/failed counts per theorem"),
    "passed": (BOOLEAN, "every check passed (and at least one ran)"),
    "certificates": (_list(STRING, nullable=True), "certificate files written"),
    "suites": (_list(STRING), "suites that ran"),
    "problem": (STRING, "which problem the instance poses (verify --instance)"),
    "not_applicable": (_list(_obj("not_applicable")), "statements not decided on the instance, with the reason"),
    "certificate_notes": (_list(STRING), "remarks on certificates not written"),
    "path": (STRING, "file written"),
    "theorem": (STRING, "theorem name"),
    "sha256": (STRING, "content hash of the certificate"),
    "files": (_list(_obj("check_report")), "one report per certificate file"),
    "name": (STRING, "figure name"),
    "outputs": (_list(STRING), "files written"),
    "checks_total": (INTEGER, "bound checks evaluated"),
    "checks_failed": (INTEGER, "bound checks that do not hold"),
    "figures": (_list(_obj("figure")), "available figures"),
    "refuted": (BOOLEAN, "falsify: a counterexample to the conjectured bound was found"),
    "lhs": (STRING, "falsify: the quantity the conjectured bound is about"),
    "side": (_enum("upper", "lower"), "falsify: the conjecture is an upper or a lower bound on lhs"),
    "bound": (STRING, "falsify: the conjectured bound as written (an expression over named quantities)"),
    "alpha_range": (NUMBERS, "falsify: the alpha interval searched [lo, hi]"),
    "family": (STRING, "falsify: the family of generated instances"),
    "assume": (_list(STRING), "falsify: hypotheses restricting the instances"),
    "budget": (INTEGER, "falsify: search budget (evaluations)"),
    "evaluations": (INTEGER, "falsify: evaluations made"),
    "skipped": (INTEGER, "falsify: instances skipped by the hypotheses"),
    "counterexample": (_obj("falsify_point", nullable=True), "falsify: the violating instance and alpha, or null"),
    "worst": (_obj("falsify_point", nullable=True), "falsify: the closest approach when not refuted, or null"),
    "certificate": (Type("json", nullable=True), "a certificate object (docs/certificates.md), or null"),
    "note": (STRING, "remarks"),
    "quantities": (_list(_obj("quantity")), "falsify --list-quantities: the named quantities"),
    "sweep": (STRING, "sweep: the name of the sweep spec (names its dataset)"),
    "dataset": (STRING, "sweep: the folder of the Parquet dataset (one row per task)"),
    "tasks_total": (INTEGER, "sweep: tasks in the spec"),
    "tasks_skipped": (INTEGER, "sweep: tasks already in the dataset (not recomputed)"),
    "tasks_done": (INTEGER, "sweep: tasks computed and written by this run"),
    "tasks_failed": (INTEGER, "sweep: rows of this run whose task raised (verdict error)"),
    "tasks_failed_kept": (INTEGER, "sweep: failed rows of earlier runs kept (--retry-failed recomputes them)"),
    "tasks_retried": (INTEGER, "sweep: failed rows of earlier runs taken out and recomputed (--retry-failed)"),
    "tasks_recovered": (INTEGER, "sweep: rows a killed run had journaled, folded into the dataset by this run"),
    "workers": (INTEGER, "sweep: Dask workers used (1 when serial, 0 when nothing was left to do)"),
    "engine": (STRING, "sweep: serial, or dask with the scheduler address"),
    "seconds": (NUMBER, "wall-clock seconds"),
}

#: nested objects: key -> (type, meaning)
OBJECTS: dict[str, dict[str, tuple[Type, str]]] = {
    "face": {
        "point": (NUMBERS, "a relative-interior point of X_BP"),
        "directions": (_list(NUMBERS), "a basis of the directions of X_BP"),
        "vertices": (_list(NUMBERS, nullable=True), "all vertices of X_BP (null when too many to list)"),
    },
    "alignment": {
        "sigma1": (NUMBERS, "largest singular value of each layer"),
        "sigma2": (NUMBERS, "second singular value of each layer"),
        "interlayer_sin": (NUMBERS, "sin of the angles between consecutive layers' singular vectors"),
        "input_cos": (NUMBER, "cos of the angle between the first layer's input direction and w*"),
    },
    "verdict": {
        "theorem": (STRING, "statement checked"),
        "provenance": (STRING, "paper, derived, reconstructed, conjecture or standard"),
        "instance": (STRING, "instance (built-in name or description)"),
        "depth": (_null(STRING), "depth(s), as text (a list like '2, 5/2, 3' is possible)"),
        "alpha_range": (_null(STRING), "alphas used, as text"),
        "alpha_convention": (_null(STRING), "alpha convention of alpha_range"),
        "observed": (_null(NUMBER), "observed quantity (null when the check is not numeric)"),
        "bound": (_null(NUMBER), "the bound's value"),
        "margin": (_null(NUMBER), "observed / bound (else slope / predicted slope): 1 = attained; an upper bound "
                                  "holds for <= 1, a lower bound for >= 1"),
        "slope": (_null(NUMBER), "fitted log-log slope"),
        "slope_predicted": (_null(NUMBER), "predicted slope"),
        "observed_text": (STRING, "what was observed, as the wide table prints it"),
        "bound_text": (STRING, "the bound or reference, as the wide table prints it"),
        "margin_text": (STRING, "the suite's own margin text (wide table)"),
        "passed": (BOOLEAN, "the check holds"),
        "note": (STRING, "remarks"),
    },
    "not_applicable": {
        "theorem": (STRING, "statement"),
        "provenance": (STRING, "paper, derived, reconstructed, conjecture or standard"),
        "depth": (_null(STRING), "depth, as text"),
        "reason": (STRING, "why it is not decided here"),
        "kind": (STRING, "hypothesis (a hypothesis fails), scope (not checkable on one instance) or undecided "
                          "(checkable, but the certified limits do not resolve it: neither PASS nor FAIL)"),
    },
    "theorem_summary": {
        "theorem": (STRING, "theorem"),
        "passed": (INTEGER, "checks that hold"),
        "failed": (INTEGER, "checks that do not hold"),
    },
    "check_report": {
        "path": (STRING, "certificate file"),
        "accepted": (BOOLEAN, "every claim verified"),
        "verified": (_list(STRING), "what was verified"),
        "field": (_null(STRING), "the failing field"),
        "reason": (_null(STRING), "why it failed"),
    },
    "falsify_point": {
        "instance": (_obj("exact_instance"), "the exact instance"),
        "alpha": (NUMBER, "alpha, exact"),
        "alpha_convention": (_enum("product", "factor"), "convention of alpha"),
        "depth": (NUMBER, "depth"),
        "lhs": (NUMBER, "value of the quantity"),
        "bound": (NUMBER, "value of the conjectured bound"),
        "ratio": (NUMBER, "lhs / bound"),
    },
    "exact_instance": {
        "A": (_list(NUMBERS), "A, exact"),
        "X": (_list(NUMBERS), "X, exact"),
        "y": (NUMBERS, "y, exact"),
    },
    "quantity": {
        "name": (STRING, "name"),
        "definition": (STRING, "definition"),
        "provenance": (Type("json"), "provenance object: kind, source, proof, note"),
        "problem": (STRING, "diagonal or deep-linear"),
        "scope": (STRING, "what it depends on"),
        "computed_by": (STRING, "the function computing it"),
        "aliases": (_list(STRING), "other names"),
    },
    "figure": {
        "name": (STRING, "figure name"),
        "title": (STRING, "title"),
    },
}

_BASE = ("schema_version", "command")
#: every command's required keys (beyond schema_version and command); other registered keys are optional
COMMANDS: dict[str, tuple[str, ...]] = {
    "l1": ("instance", "m", "N", "x", "l1_norm", "unique", "support", "signs", "rho", "rho_maximal_support",
           "dual_certificate", "face_dimension", "face", "verified"),
    "limit": ("instance", "m", "N", "depth", "alpha", "alpha_convention", "alpha_product", "x", "digits_certified",
              "digits_requested", "floor", "residual", "nu", "dps", "iterations"),
    "flow": ("instance", "m", "N", "depth", "alpha", "alpha_convention", "alpha_product", "kind", "method", "dps",
             "converged", "status", "message", "tol", "nsteps", "nfev", "x", "residual", "t", "x_t", "residual_t",
             "loss_t"),
    "select": ("instance", "m", "N", "depth", "x", "digits_certified", "digits_requested", "unique", "support",
               "face_dimension", "functional", "iterations", "provenance"),
    "sharpness": ("instance", "n", "d", "depth", "digits_requested", "loss_convention", "w_star", "w_star_norm", "a",
                  "a_prime", "Lambda", "lambda_min", "kappa", "lower_bound", "min_sharpness", "balanced_sharpness",
                  "small_init_upper"),
    "deep-flow": ("instance", "n", "d", "depth", "init", "scale", "seed", "eta", "method", "status", "message",
                  "converged", "time_or_steps", "nfev", "final_excess_loss", "lower_bound", "balanced_sharpness",
                  "small_init_upper", "loss_convention"),
    "verify": ("suites", "summary", "verdicts", "passed"),
    "verify-instance": ("instance", "problem", "verdicts", "passed", "not_applicable"),
    "certify": ("path", "theorem", "sha256"),
    "check": ("files", "passed"),
    "reproduce": ("name", "outputs", "checks_total", "checks_failed"),
    "reproduce-list": ("figures",),
    "falsify": ("refuted", "lhs", "side", "bound", "depth", "alpha_range", "alpha_convention", "family", "seed",
                "budget", "evaluations", "counterexample", "worst"),
    "falsify-quantities": ("quantities",),
    "sweep": ("sweep", "dataset", "tasks_total", "tasks_skipped", "tasks_done", "tasks_failed", "tasks_failed_kept",
              "tasks_retried", "tasks_recovered", "workers", "engine", "seconds", "outputs"),
}


def envelope(command: str, fields: Mapping[str, Any]) -> dict:
    """``{"schema_version", "command", **fields}``: the head every output starts with."""
    return {"schema_version": SCHEMA_VERSION, "command": command, **fields}


def _check(value, t: Type, where: str, errors: list[str]) -> None:
    if value is None:
        if not t.nullable:
            errors.append(f"{where}: null is not allowed")
        return
    if t.kind == "string":
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {type(value).__name__}")
        elif t.choices and value not in t.choices:
            errors.append(f"{where}: {value!r} is not one of {t.choices}")
    elif t.kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected a boolean, got {type(value).__name__}")
    elif t.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected an integer, got {type(value).__name__}")
    elif t.kind == "number":
        if not is_number_string(value):
            errors.append(f"{where}: expected a number string, got {value!r}"[:200])
    elif t.kind == "list":
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            _check(v, t.item, f"{where}[{i}]", errors)
    elif t.kind == "object":
        _check_object(value, OBJECTS[t.obj], (), where, errors)
    elif t.kind == "json":
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a JSON object, got {type(value).__name__}")


def _check_object(obj, registry, required, where: str, errors: list[str]) -> None:
    if not isinstance(obj, dict):
        errors.append(f"{where or 'output'}: expected an object, got {type(obj).__name__}")
        return
    for key in required:
        if key not in obj:
            errors.append(f"{where}.{key}: missing" if where else f"{key}: missing")
    for key, value in obj.items():
        name = f"{where}.{key}" if where else key
        if key not in registry:
            errors.append(f"{name}: not a key of the schema")
            continue
        _check(value, registry[key][0], name, errors)


def validate(obj: Any, command: str | None = None) -> None:
    """Raise :class:`SchemaError` listing every deviation of ``obj`` from the schema of ``command``.

    ``command`` defaults to ``obj["command"]``.
    """
    errors: list[str] = []
    if not isinstance(obj, dict):
        raise SchemaError(f"output must be a JSON object, got {type(obj).__name__}")
    command = command or obj.get("command")
    if command not in COMMANDS:
        raise SchemaError(f"unknown command {command!r}")
    if obj.get("schema_version") != SCHEMA_VERSION:
        errors.append(f"schema_version: expected {SCHEMA_VERSION!r}, got {obj.get('schema_version')!r}")
    _check_object(obj, FIELDS, _BASE + COMMANDS[command], "", errors)
    if errors:
        raise SchemaError("; ".join(errors[:20]) + (f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""))


def markdown_tables() -> str:
    """The key tables of ``docs/schema.md`` (a test keeps the document in step with this module)."""
    lines = ["| key | type | meaning |", "|---|---|---|"]
    lines += [f"| `{k}` | {t.describe()} | {text} |" for k, (t, text) in FIELDS.items()]
    for name, reg in OBJECTS.items():
        lines += ["", f"Object `{name}`:", "", "| key | type | meaning |", "|---|---|---|"]
        lines += [f"| `{k}` | {t.describe()} | {text} |" for k, (t, text) in reg.items()]
    lines += ["", "Required keys per command (besides `schema_version` and `command`):", "",
              "| command | required keys |", "|---|---|"]
    lines += [f"| `{c}` | {', '.join(f'`{k}`' for k in keys)} |" for c, keys in COMMANDS.items()]
    return "\n".join(lines)
