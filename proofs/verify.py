"""The suite behind ``implicitreg verify``: every stated theorem on built-in instances.

Each suite module under :mod:`implicitreg.proofs.suites` exposes ``run(thorough: bool) -> list[Verdict]``.
Output formats (all from :class:`~implicitreg.proofs.checks.Verdict`, which keeps the numbers):

* ``table`` (default): a summary per theorem, then one row per check with theorem, instance, depth, result and
  the margin = observed / bound (``docs/schema.md``), fitted to ``width`` columns (80 by default);
* ``wide``: every column the suites fill (provenance, alpha range, observed, bound, the suite's margin, slopes);
* ``csv`` and ``json``: the verdict objects of the output schema (numbers, null when missing).
"""
from __future__ import annotations

import csv
import importlib
import io
import json
import sys
from typing import Iterable, Sequence

from implicitreg.errors import InvalidParameterError
from implicitreg.proofs.checks import Verdict

SUITES = (
    "implicitreg.proofs.suites.basis_pursuit",
    "implicitreg.proofs.suites.selection",
    "implicitreg.proofs.suites.deep_linear",
    "implicitreg.proofs.suites.diagonal",
)

#: the wide table: (Verdict field, header)
COLUMNS = (("theorem", "theorem"), ("provenance", "provenance"), ("instance", "instance"), ("depth", "depth"),
           ("alpha_range", "alpha range"), ("alpha_convention", "alpha conv."), ("observed", "observed"),
           ("bound", "bound"), ("margin", "margin"), ("slope", "slope"), ("slope_predicted", "predicted"),
           ("result", "result"))
#: the default table
SHORT_COLUMNS = (("theorem", "theorem"), ("instance", "instance"), ("depth", "depth"), ("result", "result"),
                 ("margin_value", "obs/bound"))
FORMATS = ("table", "wide", "csv", "json")


def suite_names(suites: Iterable[str] = SUITES) -> list[str]:
    """The short names (``basis_pursuit``, ``selection``, ...) that ``--only`` accepts."""
    return [s.rsplit(".", 1)[-1] for s in suites]


def resolve_suites(only: str | Sequence[str] | None, suites: Sequence[str] = SUITES) -> list[str]:
    """The suite modules selected by ``only`` (comma-separated names or parts of names; None: all; "none": no
    suite, for ``--certify`` alone).

    A name that matches no suite raises :class:`~implicitreg.errors.InvalidParameterError` listing the suites.
    """
    from implicitreg.errors import InvalidParameterError

    if only is None:
        return list(suites)
    if isinstance(only, str) and only.strip() == "none":  # no suite: `verify --only none --certify DIR`
        return []
    wanted = [w.strip() for w in (only.split(",") if isinstance(only, str) else only)]
    if not wanted or any(not w for w in wanted):
        raise InvalidParameterError(f"name a suite: one of {', '.join(suite_names(suites))}")
    chosen = []
    for w in wanted:
        hits = [s for s in suites if w in s.rsplit(".", 1)[-1]]
        if not hits:
            raise InvalidParameterError(f"unknown suite {w!r}; the suites are {', '.join(suite_names(suites))}")
        chosen.extend(h for h in hits if h not in chosen)
    return [s for s in suites if s in chosen]


def suite_tasks(names: Iterable[str], thorough: bool) -> list[tuple]:
    """The pure tasks of the suites ``names``: ``(module, thorough, part)`` for each part a suite module lists in
    ``parts(thorough)`` (evaluated by its ``run_part(part, thorough)``), or ``(module, thorough, None)`` for a suite
    run whole by ``run(thorough)``."""
    tasks = []
    for name in names:
        parts = getattr(importlib.import_module(name), "parts", None)
        tasks.extend([(name, thorough, part) for part in parts(thorough)] if parts else [(name, thorough, None)])
    return tasks


def run_suite_task(name: str, thorough: bool, part=None) -> list[Verdict]:
    """One task of :func:`suite_tasks`: the verdicts of a suite (or of one of its parts)."""
    module = importlib.import_module(name)
    return module.run(thorough=thorough) if part is None else module.run_part(part, thorough=thorough)


def run_verify(thorough: bool = False, suites: Iterable[str] = SUITES, only: str | None = None,
               progress: bool = False, executor: dict | None = None) -> list[Verdict]:
    """Run the suites (or those ``only`` selects; a name matching none selects nothing here, while
    :func:`resolve_suites`, which the CLI and the API call first, rejects it) and collect their verdicts.
    ``progress``: a bar on stderr when stderr is a terminal. ``executor``: run the suites' tasks
    (:func:`suite_tasks`) on dask.distributed, options of
    :func:`~implicitreg.experiments.sweep_executor.map_tasks` (``n_workers``, ``scheduler``, ``client``); the
    verdicts are the same and in the same order as in this process."""
    names = list(suites)
    if only:
        try:
            names = resolve_suites(only, names)
        except InvalidParameterError:
            names = []
    if executor is not None:
        from implicitreg.experiments.sweep_executor import map_tasks

        results = map_tasks(run_suite_task, suite_tasks(names, thorough), label="verify", chunk_size=1,
                            progress=progress and sys.stderr.isatty(), **executor)
        return [v for verdicts in results for v in verdicts]
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(names), unit="suite", file=sys.stderr, leave=False)
    verdicts: list[Verdict] = []
    try:
        for name in names:
            if bar is not None:
                bar.set_description(name.rsplit(".", 1)[-1])
            module = importlib.import_module(name)
            verdicts.extend(module.run(thorough=thorough))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return verdicts


def theorem_family(theorem: str) -> str:
    """The theorem a row belongs to: its name up to the first space or bracket (``MS-D2 upper_l1`` -> ``MS-D2``)."""
    return theorem.split("[", 1)[0].split(" ", 1)[0].strip() or theorem


def summarize(verdicts: Sequence[Verdict]) -> list[dict]:
    """Passed/failed counts per theorem, in order of first appearance."""
    out: dict[str, dict] = {}
    for v in verdicts:
        row = out.setdefault(theorem_family(v.theorem), {"theorem": theorem_family(v.theorem), "passed": 0,
                                                         "failed": 0})
        row["passed" if v.passed else "failed"] += 1
    return list(out.values())


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "~"


def _grid(header: list[str], rows: list[list[str]], widths: list[int]) -> list[str]:
    lines = ["  ".join(_fit(c, w).ljust(w) for c, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_fit(c, w).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return lines


def format_summary(verdicts: Sequence[Verdict]) -> list[str]:
    summary = summarize(verdicts)
    failed = sum(not v.passed for v in verdicts)
    width = max((len(s["theorem"]) for s in summary), default=7)
    lines = [f"{len(verdicts) - failed} passed, {failed} failed"
             + ("" if verdicts else " (no check ran)")]
    for s in summary:
        mark = "ok  " if not s["failed"] else "FAIL"
        lines.append(f"  {mark} {s['theorem'].ljust(width)}  {s['passed']} passed, {s['failed']} failed")
    return lines


def format_table(verdicts: Sequence[Verdict], wide: bool = False, width: int = 80) -> str:
    """The summary per theorem, then the rows: the short table fits ``width`` columns; ``wide`` has them all."""
    columns = COLUMNS if wide else SHORT_COLUMNS
    header = [h for _, h in columns]
    rows = [v.cells([c for c, _ in columns]) for v in verdicts]
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(columns))]
    if not wide:  # cap the depth column, then shrink the text columns (theorem, instance) until the row fits
        widths[2] = min(widths[2], 10)
        fixed = sum(widths[2:]) + 2 * (len(widths) - 1)
        room = max(width - fixed, 20)
        t, i = widths[0], widths[1]
        for _ in range(t + i - room):  # one column loses one character a step: bounded by the excess
            if t >= i:
                t -= 1
            else:
                i -= 1
        widths[0], widths[1] = t, i
    lines = format_summary(verdicts) + [""] + _grid(header, rows, widths)
    notes = list(dict.fromkeys(f"- {v.theorem} on {v.instance}: {v.note}" for v in verdicts if v.note))
    if wide and notes:
        lines += ["", "notes:", *notes]
    elif not wide:
        lines += ["", "obs/bound: observed / bound; 1 = attained, an upper bound holds for <= 1,",
                  "a lower bound for >= 1; rate checks: fitted / predicted slope (docs/schema.md).",
                  "--wide: every column and the notes; --csv, --json: the numbers."]
        lines = [_fit(line, width) for line in lines]
    return "\n".join(lines)


def format_csv(verdicts: Sequence[Verdict]) -> str:
    rows = [v.to_json() for v in verdicts]
    keys = list(rows[0]) if rows else list(Verdict("", "", "", "", "", "", "", "", True).to_json())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r[k] is None else r[k]) for k in keys})
    return buf.getvalue()


def main(thorough: bool = False, as_json: bool = False, only: str | None = None, out=None,
         certify: str | None = None, output: str | None = None, width: int | None = None,
         progress: bool = False, workers: int | None = None, scheduler: str | None = None) -> int:
    """Run ``implicitreg verify``: print the verdicts in ``output`` format; 1 when any check fails or none ran."""
    from implicitreg.api import verify

    out = out or sys.stdout
    output = "json" if as_json else (output or "table")
    report = verify(only, thorough=thorough, progress=progress, certify_dir=certify,
                    **({"workers": workers} if workers is not None else {}),
                    **({"scheduler": scheduler} if scheduler is not None else {}))
    verdicts = report.verdicts
    if output == "json":
        json.dump(report.to_json(), out, indent=2)
        out.write("\n")
    elif output == "csv":
        out.write(format_csv(verdicts))
    else:
        out.write(format_table(verdicts, wide=(output == "wide"), width=width or 80) + "\n")
        if certify:
            out.write("\ncertificates (verify with `implicitreg check`):\n" +
                      "".join(f"- {c}\n" for c in report.certificates))
    return 0 if report.passed else 1
