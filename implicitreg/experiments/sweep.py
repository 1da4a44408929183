"""Run a sweep on dask.distributed: every task of a spec, results in a resumable Parquet dataset.

:func:`run_sweep` expands the spec (:mod:`~implicitreg.experiments.sweep_spec`), skips the task keys the dataset
already holds, submits the rest to a Dask cluster and writes each completed row (:mod:`sweep_store`).

* Engine: by default a :class:`distributed.LocalCluster` with one worker process per core
  (``threads_per_worker=1``: the numerics hold the GIL); ``scheduler="tcp://host:8786"`` connects to an existing
  cluster and leaves it running; ``client=`` reuses a :class:`distributed.Client`; ``serial=True`` evaluates in
  this process (the reference the tests compare with, and the benchmark's baseline).
* Tasks are pure functions of their content (seeded instances, exact data), so the rows are the same on 1 or N
  workers; only ``seconds``, ``worker`` and ``version`` describe the run.
* Faults: a worker that dies mid-task is replaced and the task rescheduled elsewhere by the scheduler (up to
  ``distributed.scheduler.allowed-failures`` times, default 3, then the row records the failure); a task that
  raises is recorded with its error (:func:`~implicitreg.experiments.sweep_tasks.evaluate_task` never raises).
  Each task key is written once: the dataset never holds duplicates.
* Progress: a tqdm bar on stderr (only on a terminal) with tasks done, failed and the ETA.
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from implicitreg.errors import InvalidParameterError
from implicitreg.experiments.sweep_spec import SweepSpec, expand, load_spec
from implicitreg.experiments.sweep_store import PartWriter, finished_keys, write_metadata
from implicitreg.experiments.sweep_tasks import blank_row, evaluate_task


@dataclass
class SweepReport:
    """What a run did: ``total`` tasks in the spec, ``skipped`` (already in the dataset), ``done`` (written now),
    ``failed`` (rows with verdict ``error``), wall ``seconds``, ``workers`` used and the ``engine``."""

    name: str
    out: str
    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    workers: int
    engine: str

    def to_json(self) -> dict:
        return asdict(self)


def _progress(total: int, name: str, enabled):
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc=f"sweep {name}", unit="task", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True)


def local_cluster(n_workers: int | None = None):
    """A LocalCluster with one single-threaded worker process per core (or ``n_workers``)."""
    import logging

    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=logging.ERROR)


def run_sweep(spec, out, *, quick: bool = False, scheduler: str | None = None, client=None,
              n_workers: int | None = None, serial: bool = False, progress=None, flush_seconds: float = 2.0,
              flush_rows: int = 256, on_result: Callable[[int, object], None] | None = None) -> SweepReport:
    """Evaluate every task of ``spec`` (a :class:`SweepSpec`, a path or a mapping) not yet in the dataset ``out``.

    ``on_result(n_written_this_run, client)`` is called after each row is handed to the writer (tests use it to
    kill a worker or interrupt the run).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec, quick=quick)
    t0 = time.perf_counter()
    tasks = expand(spec)
    done_keys = finished_keys(out)
    todo = [t for t in tasks if t.key not in done_keys]
    write_metadata(out, spec.raw, spec.name, spec.quick, len(tasks))
    writer = PartWriter(out, flush_rows=flush_rows, flush_seconds=flush_seconds)
    bar = _progress(len(todo), spec.name, progress)
    failed = 0

    def record(row, handle=None):
        nonlocal failed
        writer.add(row)
        failed += row["verdict"] == "error"
        bar.update(1)
        bar.set_postfix(failed=failed, refresh=False)
        if on_result is not None:
            on_result(writer.written + len(writer.rows), handle)

    workers, engine = (1, "serial") if serial else (0, "nothing to do")
    try:
        if serial:
            for t in todo:
                record(evaluate_task(t.content, t.key))
        elif todo:
            workers, engine = _run_dask(todo, record, scheduler, client, n_workers)
    finally:
        writer.flush()
        bar.close()
    return SweepReport(spec.name, str(out), len(tasks), len(tasks) - len(todo), writer.written, failed,
                       time.perf_counter() - t0, workers, engine)


def _run_dask(todo, record, scheduler, client, n_workers):
    from distributed import Client, as_completed

    owned = []
    try:
        if client is None:
            if scheduler:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError, ValueError) as exc:
                    raise InvalidParameterError(f"cannot connect to the Dask scheduler at {scheduler!r}: "
                                                f"{' '.join(str(exc).split())[:200]}") from None
                owned.append(client)
            else:
                cluster = local_cluster(n_workers)
                owned.append(cluster)
                client = Client(cluster)
                owned.insert(0, client)
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        engine = "dask " + (client.scheduler.address if hasattr(client.scheduler, "address") else "")
        # one Dask key per task and run: a task cancelled by an interrupted run may linger on the scheduler
        run = uuid.uuid4().hex[:8]
        futures = client.map(evaluate_task, [t.content for t in todo], [t.key for t in todo],
                             key=[f"implicitreg-sweep-{t.key}-{run}" for t in todo], retries=0)
        pending = {f.key: (t, f) for t, f in zip(todo, futures)}
        try:
            for fut in as_completed(futures):
                t, _ = pending.pop(fut.key)
                if fut.status == "finished":
                    row = fut.result()
                elif fut.status == "error":  # the task never returned: its worker died too often (KilledWorker)
                    exc = fut.exception()
                    row = blank_row(t.content, t.key)
                    row.update(verdict="error", error=f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:2000],
                               reason="the task did not return: its worker died (distributed's allowed-failures "
                                      "exhausted)", seconds=0.0, worker="")
                else:  # cancelled from outside (the cluster shut down): not a result; a rerun computes it
                    fut.release()
                    continue
                fut.release()
                record(row, client)
        finally:
            if pending:
                client.cancel([f for _, f in pending.values()], force=True)
            del futures
        return workers, engine
    finally:
        for obj in owned:
            obj.close()

