"""Verify implicitreg tightness certificates without trusting implicitreg, nor the file.

Usage (standalone, from the folder that holds ``checker/``)::

    python -m checker [--no-sympy] [--time-limit SECONDS] CERT.json [CERT.json ...]

Imports: the standard library and mpmath (``mpmath.iv`` interval arithmetic); SymPy (imported lazily) for the
symbolic limit steps. A certificate with a ``limit`` section *fails* when SymPy is missing or ``--no-sympy``
is given: a check that cannot run is never a pass. Exit status: 0 every file verified, 1 some certificate
failed, 2 some file could not be read as a certificate at all (size, encoding, JSON, limits) or bad usage.

Every file is assumed hostile (written by someone who knows the format and recomputes the hash):

* reading: :mod:`.jsonread` (size, UTF-8, nesting, literal lengths, duplicate keys) and :mod:`.schema` (one
  schema per kind: unknown, missing, mistyped or oversized fields are errors) run before any checking;
* expressions: parsed by :mod:`.grammar` (nothing is evaluated as code) and *bound* to the theorem's name by
  :mod:`.theorems` (the checker's own table of formulas, sides and norms);
* verdicts: an upper/lower bound is accepted only when the computed ratio enclosure decides it (or equality
  is proved exactly); box and ball widths above the stated maxima are refused;
* budgets: the limits bound the work by the file size, and a wall-clock deadline (:data:`TIME_LIMIT`
  seconds by default, ``--time-limit`` up to :data:`MAX_TIME_LIMIT`, when running in the main thread) turns
  anything slower into a clean refusal. The deadline is wall-clock time: on a loaded machine a certificate that
  checks in seconds on an idle one may need a larger budget, and the refusal says so.

The format is described in ``docs/certificates.md``; in short:

* ``sha256``: SHA-256 of the canonical JSON of everything else (sorted keys, no spaces, ASCII);
* ``kind: "diagonal"`` (:mod:`.diagonal`): instance (A, y exact), depth, alpha convention; exact zero-gap LP
  certificate of x*; exact primal/dual certificate of rho; per alpha a box for nu proved by the Krawczyk test to
  hold the unique solution of the dual equations, balls for x_inf and the error that must contain the
  enclosures recomputed here, each bound evaluated in interval arithmetic, and a ratio interval that
  must contain error / bound;
* ``kind: "deep-linear"`` (:mod:`.deep_linear`): X, y exact, L, w* (checked against the normal equations), an
  explicit exact minimizer (W_L ... W_1 = w*^T), its sharpness S = 2 lambda_max(M Sigma) enclosed by exact Sturm
  root isolation, S_LB = 2 L a ||w*||^(2-2/L) in interval arithmetic, and the ratio interval; on ordinary data
  (entries irrational) the enclosure form instead (:mod:`.balanced`): the checker builds the balanced rank-one
  minimizer itself from w* and L, the certificate's balls (||w*||, ||w*||^(1/L), the factor entries, S, S_LB,
  S - S_LB) must contain the enclosures recomputed here, and the bound holds only when lo(S) - hi(S_LB) > 0 (or
  lambda_max = L a is proved exactly).

Balls, ratio intervals and verdicts are judged in :mod:`.verdicts`, shared by every kind.
"""
from __future__ import annotations

import hashlib
import json
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import schema
from .deep_linear import _check_deep_linear
from .diagonal import ALPHA_RANGE, _check_diagonal
from .interval import CheckFailure
from .jsonread import InputError, loads
from .verdicts import BALL_MAX_RELATIVE_RADIUS, NU_MAX_RELATIVE_RADIUS, RATIO_MAX_RELATIVE_WIDTH

#: the format's limits, defined beside the checks that apply them, named here for the producers and the tests
__all__ = ["ALPHA_RANGE", "BALL_MAX_RELATIVE_RADIUS", "FORMAT", "MAX_TIME_LIMIT", "MIN_TIME_LIMIT",
           "NU_MAX_RELATIVE_RADIUS", "PROVENANCE_KINDS", "RATIO_MAX_RELATIVE_WIDTH", "TIME_LIMIT", "CheckFailure",
           "CheckReport", "canonical_bytes", "check_certificate", "check_file", "content_hash", "deadline", "load",
           "main", "report_files", "time_limit_value"]

FORMAT = "implicitreg-certificate/1"
PROVENANCE_KINDS = schema.PROVENANCE_KINDS
#: wall-clock budget of one certificate (seconds); enforced with SIGALRM in the main thread
TIME_LIMIT = 25.0
#: the budgets ``--time-limit`` accepts (seconds): from 10 ms (a smaller timer would round to 0 microseconds,
#: which disarms it: no limit at all) to a day
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 0.01, 86400.0


class BudgetExceeded(BaseException):
    """Raised by the deadline timer (a BaseException, so no library ``except Exception`` can swallow it)."""


@contextmanager
def deadline(seconds: float):
    """Raise :class:`BudgetExceeded` after ``seconds`` of wall-clock time (main thread, POSIX); else no timer."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer") \
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # an outer deadline is already running: keep it
        yield
        return

    def fire(signum, frame):
        raise BudgetExceeded()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def canonical_bytes(cert: dict) -> bytes:
    """Canonical JSON of the certificate without its ``sha256`` field (what the hash covers)."""
    body = {k: v for k, v in cert.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def content_hash(cert: dict) -> str:
    return hashlib.sha256(canonical_bytes(cert)).hexdigest()


@dataclass
class CheckReport:
    """What was verified in one certificate, or the first failing field."""

    source: str
    verified: list[str] = field(default_factory=list)
    failure: CheckFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def unreadable(self) -> bool:
        """The file is not a certificate at all (size, encoding, JSON syntax or limits)."""
        return isinstance(self.failure, InputError)


def _check_header(cert: dict, out: list[str]) -> None:
    out.append("content hash matches (sha256 of the canonical JSON)")
    theorem = cert["theorem"]
    prov = theorem["provenance"]
    out.append(f"theorem {theorem['name']} [{prov['kind']}] (provenance and text are stated, not checkable): "
               f"{theorem['claim']}")


# --- entry points ----------------------------------------------------------------------------------

def check_certificate(cert, *, use_sympy: bool | None = None, time_limit: float | None = TIME_LIMIT) -> list[str]:
    """Verify one parsed certificate; return the list of what was verified, or raise CheckFailure.

    ``use_sympy``: None or True re-run the symbolic steps (a certificate with a ``limit`` section fails when
    SymPy is not importable); False skips them, so such a certificate fails. ``time_limit``: the wall-clock
    budget in seconds (None: no timer).
    """
    out: list[str] = []
    try:
        with deadline(time_limit) if time_limit else _nothing():
            if not isinstance(cert, dict):
                raise CheckFailure("(top level)", "a certificate is a JSON object")
            if not isinstance(cert.get("sha256"), str) or cert["sha256"] != content_hash(cert):
                raise CheckFailure("sha256", "content hash mismatch: the file was edited after it was written")
            refuting = cert.get("kind") == "refutation"  # a counterexample to a conjecture (written by falsify)
            if refuting:
                from . import refutation

                refutation.SCHEMA(cert, "")
            else:
                schema.validate(cert)
            _check_header(cert, out)
            if cert["kind"] == "diagonal":
                _check_diagonal(cert, out, use_sympy)
            elif refuting:
                refutation.check(cert, out)
            else:
                _check_deep_linear(cert, out)
    except CheckFailure:
        raise
    except BudgetExceeded:
        raise CheckFailure("(budget)", f"checking takes longer than {time_limit} s: refused "
                                       f"(wall-clock; a larger budget: --time-limit SECONDS)") from None
    except RecursionError:
        raise CheckFailure("(budget)", "nesting too deep: refused") from None
    except MemoryError:
        raise CheckFailure("(budget)", "out of memory: refused") from None
    except ArithmeticError as exc:  # includes ZeroDivisionError: an exact identity failed on malformed data
        raise CheckFailure("(arithmetic)", f"{type(exc).__name__}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # a value of the wrong shape somewhere the schema did not anticipate: still a failure, never a traceback
        raise CheckFailure("(structure)", f"malformed certificate ({type(exc).__name__}: {exc})") from None
    return out


@contextmanager
def _nothing():
    yield


def load(data):
    """Parse certificate bytes or text under the reading limits (:mod:`.jsonread`)."""
    return loads(data)


def check_file(path, *, use_sympy: bool | None = None, time_limit: float | None = TIME_LIMIT) -> CheckReport:
    """Read and verify one certificate file (:func:`check_certificate`); the failure, if any, is in the report."""
    report = CheckReport(str(path))
    try:
        try:
            with open(path, "rb") as fh:
                data = fh.read(schema_max_bytes() + 1)
        except OSError as exc:
            raise InputError("(file)", f"cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:  # a path no file can have (an embedded NUL byte)
            raise InputError("(file)", f"cannot read: {exc}") from None
        report.verified = check_certificate(load(data), use_sympy=use_sympy, time_limit=time_limit)
    except CheckFailure as exc:
        report.failure = exc
    return report


def schema_max_bytes() -> int:
    from .jsonread import MAX_FILE_BYTES

    return MAX_FILE_BYTES


def _safe(text: str, limit: int = 2000) -> str:
    """Text from a file, made printable (control and unpaired surrogate characters escaped) and bounded."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text)} characters)"
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def time_limit_value(text) -> float:
    """A ``--time-limit`` option read from untrusted text: a decimal number of seconds in
    [MIN_TIME_LIMIT, MAX_TIME_LIMIT].

    Raises ValueError with the reason otherwise (NaN, inf, 0, negative, too small or large, not a number).
    """
    text = str(text).strip()
    if len(text) > 32:
        raise ValueError(f"--time-limit must be a number of seconds, got a string of {len(text)} characters")
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"--time-limit must be a number of seconds, got {text!r}") from None
    if not MIN_TIME_LIMIT <= seconds <= MAX_TIME_LIMIT:  # NaN fails this too
        raise ValueError(f"--time-limit must be in [{MIN_TIME_LIMIT:g}, {MAX_TIME_LIMIT:g}] seconds, got {text!r}")
    return seconds


_USAGE = "usage: python -m checker [--no-sympy] [--time-limit SECONDS] CERT.json [CERT.json ...]\n"


def main(argv=None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    use_sympy, time_limit = None, TIME_LIMIT
    if "--no-sympy" in args:
        args.remove("--no-sympy")
        use_sympy = False
    if "--time-limit" in args:
        i = args.index("--time-limit")
        if i + 1 >= len(args):
            err.write(_USAGE)
            return 2
        try:
            time_limit = time_limit_value(args[i + 1])
        except ValueError as exc:
            err.write(f"error: {_safe(exc)}\n")
            return 2
        del args[i:i + 2]
    if not args or any(a.startswith("--") for a in args):
        err.write(_USAGE)
        return 2
    return report_files(args, use_sympy=use_sympy, time_limit=time_limit, out=out, err=err)


def report_files(paths, *, use_sympy: bool | None = None, time_limit: float | None = TIME_LIMIT, out=None,
                 err=None) -> int:
    """Check each file and print what :func:`main` prints: OK with what was verified or FAIL with the field on
    ``out``, one line on ``err`` per file that is not a readable certificate; return the exit status (0 every file
    verified, 1 some certificate failed, 2 some file unreadable)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = [str(p) for p in paths]
    failed = unreadable = 0
    for path in args:
        rep = check_file(path, use_sympy=use_sympy, time_limit=time_limit)
        if rep.ok:
            out.write(f"OK   {_safe(path)}\n")
            for line in rep.verified:
                out.write(f"     - {_safe(line)}\n")
        elif rep.unreadable:
            unreadable += 1
            err.write(f"error: {_safe(path)}: {_safe(rep.failure.field)}: {_safe(rep.failure.message)}\n")
        else:
            failed += 1
            out.write(f"FAIL {_safe(path)}\n     field {_safe(rep.failure.field)}: {_safe(rep.failure.message)}\n")
    if len(args) > 1 or not unreadable:
        out.write(f"{len(args) - failed - unreadable} verified, {failed} failed, {unreadable} unreadable\n")
    return 2 if unreadable else 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
