"""Run a sweep on dask.distributed: every task of a spec, results in a resumable Parquet dataset.

:func:`run_sweep` expands the spec (:mod:`~implicitreg.experiments.sweep_spec`), skips the task keys the dataset
already holds, runs the rest through the executor (:mod:`~implicitreg.experiments.sweep_executor`) and writes the
rows of each completed chunk at once (:mod:`~implicitreg.experiments.sweep_store`).

* Engine: by default a :class:`distributed.LocalCluster` with one worker process per core
  (``threads_per_worker=1``: the numerics hold the GIL); ``scheduler="tcp://host:8786"`` connects to an existing
  cluster and leaves it running; ``client=`` reuses a :class:`distributed.Client`; ``serial=True`` evaluates in
  this process (the reference the tests compare with, and the benchmark's baseline). Tasks travel in chunks sized
  to about ``chunk_seconds`` each; workers are warmed once (imports, theorem registry, BLAS pinned to one thread).
* Tasks are pure functions of their content (seeded instances, exact data), so the rows are the same on 1 or N
  workers; only ``seconds``, ``worker`` and ``version`` describe the run.
* Faults: a worker that dies mid-task is replaced and its chunk rescheduled elsewhere by the scheduler (up to
  ``distributed.scheduler.allowed-failures`` times, default 3, then the rows record the failure); a task that
  raises is recorded with its error (:func:`~implicitreg.experiments.sweep_tasks.evaluate_task` never raises).
  ``retry_failed=True`` recomputes the failed rows of earlier runs. Each task key is written once: the dataset
  never holds duplicates. A killed run loses at most the chunks in flight (the journal keeps the rest).
* Progress: a tqdm bar on stderr (only on a terminal) with tasks done, failed and the ETA.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable

from implicitreg.experiments.sweep_executor import (TaskFailure, dask_client, engine_name, imap_chunks,
                                                    local_cluster, worker_threads)
from implicitreg.experiments.sweep_spec import SweepSpec, expand, load_spec
from implicitreg.experiments.sweep_store import (PartWriter, failed_keys, finished_keys, fold_journals,
                                                 retire_failed, write_metadata)
from implicitreg.experiments.sweep_tasks import blank_row, evaluate_task

__all__ = ["SweepReport", "run_sweep", "local_cluster"]

#: modules every worker process imports once (sweep_executor.warm_once), before its first task
WARM_MODULES = ("implicitreg.experiments.sweep_tasks",)


@dataclass
class SweepReport:
    """What a run did: ``total`` tasks in the spec, ``skipped`` (already in the dataset), ``done`` (written now),
    ``failed`` (rows with verdict ``error`` written now), ``failed_kept`` (failed rows of earlier runs left in the
    dataset: ``retry_failed`` recomputes them), ``retried`` (failed rows taken out to be recomputed), ``recovered``
    (rows a killed run had journaled, folded into the dataset), wall ``seconds``, ``workers`` used, the
    ``engine`` and the number of Dask ``chunks``."""

    name: str
    out: str
    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    workers: int
    engine: str
    failed_kept: int = 0
    retried: int = 0
    recovered: int = 0
    chunks: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def _output_directory(out) -> None:
    """Create the dataset directory ``out``; a path that is a file, or one that cannot be created, is bad input."""
    from pathlib import Path

    from implicitreg.errors import InvalidParameterError

    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InvalidParameterError(f"the output directory {str(out)!r} exists and is not a directory") from None
    except OSError as exc:
        raise InvalidParameterError(f"cannot create the output directory {str(out)!r}: {exc.strerror}") from None


def run_sweep(spec, out, *, quick: bool = False, scheduler: str | None = None, client=None,
              n_workers: int | None = None, serial: bool = False, progress=None, retry_failed: bool = False,
              flush_seconds: float = 30.0, flush_rows: int = 2048, chunk_seconds: float = 0.5,
              max_chunk: int = 64, on_result: Callable[[int, object], None] | None = None) -> SweepReport:
    """Evaluate every task of ``spec`` (a :class:`SweepSpec`, a path or a mapping) not yet in the dataset ``out``.

    ``retry_failed``: take the rows with verdict ``error`` out of the dataset first (kept aside in
    ``_retired-*.parquet``) and recompute their tasks; without it they stay and are counted in ``failed_kept``.
    ``chunk_seconds`` / ``max_chunk``: how tasks are grouped into Dask tasks
    (:func:`~implicitreg.experiments.sweep_executor.imap_chunks`). ``on_result(n_handed_this_run, client)`` is
    called after each row is handed to the writer (tests use it to kill a worker or interrupt the run).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec, quick=quick)
    t0 = time.perf_counter()
    tasks = expand(spec)
    _output_directory(out)
    recovered = fold_journals(out)
    retried = retire_failed(out) if retry_failed else 0
    done_keys = finished_keys(out)
    todo = [t for t in tasks if t.key not in done_keys]
    kept = len(failed_keys(out) & {t.key for t in tasks}) if done_keys else 0
    write_metadata(out, spec.raw, spec.name, spec.quick, len(tasks))
    writer = PartWriter(out, flush_rows=flush_rows, flush_seconds=flush_seconds)
    bar = _progress(len(todo), spec.name, progress)
    failed = 0
    chunks = 0
    workers, engine = (1, "serial") if serial else (0, "nothing to do")

    def record(idx, results, handle):
        nonlocal failed, chunks
        rows = []
        for i, r in zip(idx, results):
            if isinstance(r, TaskFailure):  # the chunk never returned: its worker died too often
                t, error = todo[i], r.error
                r = blank_row(t.content, t.key)
                r.update(verdict="error", error=error, seconds=0.0, worker="",
                         reason="the task did not return: its worker died (distributed's allowed-failures "
                                "exhausted)")
            rows.append(r)
        writer.add_many(rows)
        chunks += 1
        for r in rows:
            failed += r["verdict"] == "error"
            bar.update(1)
        bar.set_postfix(failed=failed, refresh=False)
        if on_result is not None:
            for k in range(len(rows)):
                on_result(writer.handed - len(rows) + k + 1, handle)

    args = [(t.content, t.key) for t in todo]
    try:
        if serial or not todo:
            for idx, results in imap_chunks(evaluate_task, args, serial=True):
                record(idx, results, None)
        else:
            with dask_client(scheduler, client, n_workers) as c:
                workers, engine = worker_threads(c), engine_name(c)
                for idx, results in imap_chunks(evaluate_task, args, client=c, chunk_seconds=chunk_seconds,
                                                max_chunk=max_chunk, modules=WARM_MODULES,
                                                warm=_warm_sweep_worker, label="sweep"):
                    record(idx, results, c)
                workers = max(workers, worker_threads(c))
    finally:
        writer.close()
        bar.close()
    if kept and not retry_failed:
        sys.stderr.write(f"sweep {spec.name}: {kept} failed task(s) from earlier runs kept in the dataset; "
                         f"rerun with --retry-failed to recompute them\n")
    return SweepReport(spec.name, str(out), len(tasks), len(tasks) - len(todo), writer.written, failed,
                       time.perf_counter() - t0, workers, engine, kept, retried, recovered, chunks)


def _warm_sweep_worker() -> None:
    """Once per worker: register the theorems (SymPy statements) and build their evaluators."""
    from implicitreg.experiments.sweep_tasks import warm

    warm()


def _progress(total: int, name: str, enabled):
    from implicitreg.experiments.sweep_executor import progress_bar

    return progress_bar(total, f"sweep {name}", enabled)
