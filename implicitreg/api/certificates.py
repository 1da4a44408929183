"""The API of verification and certificates: :func:`verify`, :func:`verify_instance`, :func:`falsify`,
:func:`certify`, :func:`check` and their results.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from implicitreg.api.inputs import (_convention, _depth, _head, _layers, _positive, as_instance,
                                    as_regression_data)
from implicitreg.errors import InvalidParameterError

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
           certify_dir: str | Path | None = None, workers: int | None = None,
           scheduler: str | None = None) -> VerifyReport:
    """Run the ``verify`` suites (all, or the ones named in ``only``; unknown names raise
    :class:`~implicitreg.errors.InvalidParameterError`) and return their verdicts.

    By default in this process; ``workers=N`` (N >= 2) runs the suites' tasks on a Dask LocalCluster of N worker
    processes, ``scheduler="tcp://HOST:8786"`` on an existing Dask cluster (same verdicts, same order)."""
    from implicitreg.proofs.verify import resolve_suites, run_verify

    names = resolve_suites(only)  # unknown suite names raise here
    executor = _executor(workers, scheduler)
    verdicts = run_verify(thorough=thorough, only=only, **({"progress": True} if progress else {}),
                          **({"executor": executor} if executor is not None else {}))
    certificates = None
    if certify_dir is not None:
        from implicitreg.proofs.certify import write_all

        certificates = tuple(str(p) for p in write_all(certify_dir))
    return VerifyReport(verdicts, tuple(n.rsplit(".", 1)[-1] for n in names), certificates)


def _executor(workers, scheduler) -> dict | None:
    """The executor options of ``workers`` / ``scheduler`` (None: run in this process)."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or
                                not 1 <= workers <= 1024):
        raise InvalidParameterError("workers must be an integer in [1, 1024]")
    if scheduler is not None:
        if workers is not None:
            raise InvalidParameterError("give workers (a LocalCluster) or scheduler (an existing cluster), not both")
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise InvalidParameterError("scheduler must be an address such as tcp://HOST:8786")
        return {"scheduler": scheduler}
    if workers is None or workers == 1:
        return None
    return {"n_workers": workers}


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


def check(*paths: str | Path, use_sympy: bool | None = None, time_limit=None) -> CheckResult:
    """Check certificate files with the standalone checker (which imports no producing code).

    ``time_limit``: the wall-clock budget per certificate in seconds (a number or its decimal text, at most a day;
    None: the checker's default, 25 s); slower checking is refused, so raise it on a loaded machine.

    A certificate that is read and rejected is a report with ``accepted`` false (``passed`` is then false); a file
    that is not a readable certificate at all (missing, a directory, not UTF-8, not JSON, over the size or nesting
    limits) is bad input: :class:`~implicitreg.errors.CertificateError` naming the file.
    """
    import os

    from implicitreg.errors import CertificateError
    from implicitreg.proofs.checker.check import check_file, time_limit_value

    if not paths:
        raise InvalidParameterError("name at least one certificate file")
    for path in paths:
        if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
            raise InvalidParameterError(f"a certificate file is a path (str or pathlib.Path), got "
                                        f"{type(path).__name__}")
    kwargs = {} if use_sympy is None else {"use_sympy": use_sympy}
    if time_limit is not None:
        if isinstance(time_limit, bool):
            raise InvalidParameterError("time_limit must be a number of seconds, got a bool")
        try:
            kwargs["time_limit"] = time_limit_value(time_limit)
        except ValueError as exc:
            raise InvalidParameterError(str(exc).replace("--time-limit", "time_limit")) from None
    reports = []
    for path in paths:
        report = check_file(path, **kwargs)
        if report.unreadable:
            raise CertificateError(f"{str(path)!r} is not a readable certificate: {report.failure.field}: "
                                   f"{report.failure.message}")
        reports.append(report)
    return CheckResult(reports)
