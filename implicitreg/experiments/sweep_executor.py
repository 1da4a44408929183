"""The executor of pure tasks on dask.distributed: sweeps, ``verify --thorough`` and ``reproduce`` grids.

A *pure task* is ``fn(*args)`` for a module-level function ``fn`` and small picklable ``args``: its result depends on
nothing else (seeded data, exact inputs, fixed ambient precision), so it may run on any worker, twice, or in this
process, with the same result. :func:`map_tasks` returns the results in order; :func:`imap_chunks` yields them
chunk by chunk as they complete (the sweep writes each completed chunk at once).

How the per-task cost of the engine is kept small (``benchmarks/bench_sweep.py`` measures it):

* **chunks**: tasks travel in chunks, one Dask task per chunk. The first ``2 W`` chunks (W = worker threads) hold
  one task each; from their run time inside the worker the chunk size is set so that a chunk takes about
  ``chunk_seconds`` (never more than ``max_chunk`` tasks, and small enough to leave at least two chunks per worker
  thread at the end so that no worker idles on the tail). Scheduler, client and result transfer then cost once per
  chunk, not once per task.
* **a bounded window**: at most ``2 W`` chunks are submitted at a time (one running and one queued per thread), so
  a killed run or a dead worker loses at most those chunks: the tasks in flight.
* **warm workers**: before its first chunk a worker process pins BLAS to one thread (``threadpoolctl``; the nanny
  already sets ``OMP_NUM_THREADS=1`` etc. before a worker starts), imports ``modules`` and runs ``warm`` once
  (:func:`warm_once`), also a worker that joins or is restarted later; the first-call import and SymPy cost is
  then outside every task's time and outside the chunk-size estimate. Nothing blocks on a slow worker.

Faults: a worker that dies is replaced by its nanny and the scheduler reruns its chunks elsewhere (up to
``distributed.scheduler.allowed-failures`` times); after that the chunk's tasks come back as :class:`TaskFailure`.
"""
from __future__ import annotations

import importlib
import logging
import math
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from implicitreg.errors import InvalidParameterError

log = logging.getLogger(__name__)


@dataclass
class TaskFailure:
    """A task whose chunk never returned (its worker died too often): ``error`` is ``"Type: message"``."""

    error: str


def pin_blas_threads() -> None:
    """One BLAS / OpenMP thread in this process (a worker process runs one task at a time on one core)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


#: the warm-ups this process has done (a worker process keeps it across chunks and runs)
_WARMED: set = set()


def warm_once(modules: Sequence[str] = (), warm: Callable[[], object] | None = None) -> None:
    """Once per process: pin BLAS to one thread, import ``modules``, call ``warm()``."""
    tag = (tuple(modules), getattr(warm, "__module__", None), getattr(warm, "__qualname__", None))
    if tag in _WARMED:
        return
    pin_blas_threads()
    for name in modules:
        importlib.import_module(name)
    if warm is not None:
        warm()
    _WARMED.add(tag)


#: Dask settings of the LocalCluster this module starts: the defaults poll much more often than a cluster of
#: a few long-running numerical tasks needs (an idle 2-worker cluster used 7% of a core; with these, 2%), and the
#: statistical profiler samples the running task every 10 ms. Workers receive the settings when spawned, also
#: when a nanny restarts one. (On an existing cluster: DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False etc.)
QUIET_DASK = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
}


def local_cluster(n_workers: int | None = None):
    """A LocalCluster with one single-threaded worker process per core (or ``n_workers``), quiet
    (:data:`QUIET_DASK`)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(QUIET_DASK):
        return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=":0", silence_logs=logging.ERROR)


@contextmanager
def dask_client(scheduler: str | None = None, client=None, n_workers: int | None = None):
    """A :class:`distributed.Client`: ``client`` itself, one connected to ``scheduler`` (left running), or one on a
    new :func:`local_cluster` (closed on exit)."""
    if client is not None:
        yield client
        return
    from distributed import Client

    if scheduler:
        try:
            c = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidParameterError(f"cannot connect to the Dask scheduler at {scheduler!r}: "
                                        f"{' '.join(str(exc).split())[:200]}") from None
        try:
            yield c
        finally:
            c.close()
        return
    cluster = local_cluster(n_workers)
    try:
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def progress_bar(total: int, label: str, enabled: bool | None = None):
    """A tqdm bar on stderr (``enabled=None``: only when stderr is a terminal)."""
    import sys

    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc=label, unit="task", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def worker_threads(client) -> int:
    """The worker threads the scheduler knows now (0 while no worker has joined)."""
    return sum(client.nthreads().values())


def engine_name(client) -> str:
    return "dask " + getattr(client.scheduler, "address", "")


def _run_chunk(fn, chunk, modules=(), warm=None):
    """Run one chunk on a worker (warmed first, once per process): the results in order and the seconds spent
    inside the tasks."""
    warm_once(modules, warm)
    t0 = time.perf_counter()
    results = [fn(*args) for args in chunk]
    return results, time.perf_counter() - t0


def imap_chunks(fn: Callable, tasks: Sequence[tuple], *, client=None, serial: bool = False,
                chunk_seconds: float = 0.5, max_chunk: int = 64, chunk_size: int | None = None,
                modules: Sequence[str] = (), warm: Callable[[], object] | None = None,
                label: str = "tasks") -> Iterator[tuple[list[int], list]]:
    """Yield ``(indices, results)`` for chunks of ``tasks`` (tuples of arguments of ``fn``) as they complete.

    A result is ``fn(*tasks[i])``, or a :class:`TaskFailure` when the chunk never returned. An exception raised by
    ``fn`` propagates (the sweep's task function records its errors instead of raising). ``serial``: evaluate
    here, one task per chunk. ``chunk_size`` fixes the chunk size instead of adapting it. Closing the generator
    early (an interrupt) cancels the chunks in flight.
    """
    n = len(tasks)
    if serial or client is None:
        if n and (modules or warm is not None):
            warm_once(modules, warm)
        for i, args in enumerate(tasks):
            yield [i], [fn(*args)]
        return
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    nxt = 0           # next task to submit
    count = 0         # chunks submitted
    busy = 0.0        # seconds spent inside finished tasks
    done = 0          # tasks finished (for the mean)
    threads, checked = max(worker_threads(client), 1), time.monotonic()
    pending: dict = {}
    ac = as_completed()

    def submit():
        nonlocal nxt, count
        if chunk_size:
            k = chunk_size
        elif done == 0 or count < 2 * threads:
            k = 1  # probes: the first chunks measure the task time
        else:
            mean = busy / done
            k = int(chunk_seconds / mean) if mean > 0 else max_chunk
            k = max(1, min(k, max_chunk, math.ceil((n - nxt) / (2 * threads))))
        idx = list(range(nxt, min(nxt + k, n)))
        nxt = idx[-1] + 1
        count += 1
        fut = client.submit(_run_chunk, fn, [tasks[i] for i in idx], modules, warm, key=f"implicitreg-{label}-{run}-{count}",
                            pure=False, retries=0)
        pending[fut.key] = (idx, fut)
        ac.add(fut)

    try:
        while nxt < n and len(pending) < 2 * threads:
            submit()
        for fut in ac:
            idx, _ = pending.pop(fut.key)
            if fut.status == "finished":
                results, seconds = fut.result()
                busy += seconds
                done += len(idx)
            elif fut.status == "error":  # the chunk never returned: its worker died too often (KilledWorker)
                exc = fut.exception()
                if not _is_killed_worker(exc):
                    fut.release()
                    raise exc
                failure = TaskFailure(f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:2000])
                results = [failure] * len(idx)
            else:  # cancelled from outside (the cluster shut down): not a result
                fut.release()
                raise RuntimeError(f"the Dask chunk {fut.key} was cancelled (did the cluster shut down?)")
            fut.release()
            if time.monotonic() - checked > 2.0:
                threads, checked = max(worker_threads(client), 1), time.monotonic()
            while nxt < n and len(pending) < 2 * threads:
                submit()
            yield idx, results
    finally:
        if pending:
            client.cancel([f for _, f in pending.values()], force=True)
        pending.clear()


def _is_killed_worker(exc) -> bool:
    return type(exc).__name__ == "KilledWorker"


def map_tasks(fn: Callable, tasks: Iterable[tuple], *, scheduler: str | None = None, client=None,
              n_workers: int | None = None, serial: bool = False, progress: bool | None = None,
              label: str = "tasks", **options) -> list:
    """``[fn(*args) for args in tasks]``, evaluated on a Dask cluster (a new LocalCluster unless ``scheduler`` or
    ``client`` is given; ``serial``: here). The hook for ``verify --thorough`` and ``reproduce`` grids.

    ``fn`` must be a module-level function and each task a tuple of small picklable arguments; ``fn`` must be pure.
    An exception raised by a task propagates; a task whose worker died too often raises
    :class:`~implicitreg.errors.ImplicitRegError`. ``options`` go to :func:`imap_chunks` (``modules``, ``warm``,
    ``chunk_seconds``, ``max_chunk``, ``chunk_size``).
    """
    from implicitreg.errors import ImplicitRegError

    tasks = [tuple(t) for t in tasks]
    out: list = [None] * len(tasks)
    bar = progress_bar(len(tasks), label, progress)
    try:
        if serial or not tasks:
            chunks = imap_chunks(fn, tasks, serial=True)
            for idx, results in chunks:
                for i, r in zip(idx, results):
                    out[i] = r
                bar.update(len(idx))
            return out
        with dask_client(scheduler, client, n_workers) as it_client:
            for idx, results in imap_chunks(fn, tasks, client=it_client, label=label, **options):
                for i, r in zip(idx, results):
                    if isinstance(r, TaskFailure):
                        raise ImplicitRegError(f"{label} task {i} did not return: {r.error}")
                    out[i] = r
                bar.update(len(idx))
        return out
    finally:
        bar.close()
