"""Benchmark of the sweep engine (issue 16). Run: ``python benchmarks/bench_sweep.py [--quick] [--workers N]``.

In one run, on the same spec and the same tasks:

1. **serial vs N workers** (default 2): ``run_sweep(serial=True)`` (run while no cluster exists) against
   ``run_sweep`` on a LocalCluster of N single-threaded worker processes (started and warmed before the clock
   runs: start-up is reported apart).
   Tasks: certified MS-D2/MS-D3 upper-bound checks at alpha = 1e-60, 60 digits, on random 6 x 14 .. 10 x 20
   instances (0.2-0.3 s each, a typical sweep point). Target on a 2-core machine: speedup >= 1.7.
2. **per-task engine overhead** on tiny tasks (kink errors at 5 digits, a few ms each): what Dask, the chunking,
   the row transfer and the journal/Parquet writes add per task, 1 worker against serial.
3. **tasks/s** of every run.

Each run is reported twice, because the development machine is shared:

* **wall** time (what a user waits; on a loaded machine it measures the load as much as the engine);
* **CPU** time: this process (client, scheduler, writer; ``time.process_time``) plus every worker and nanny
  process (``psutil``), with BLAS pinned to one thread everywhere. ``CPU speedup`` = N x serial CPU / parallel
  CPU is the speedup an idle N-core machine would give if no worker ever waited for work: an upper bound of the
  wall speedup that does not depend on the load. Engine overhead per task = (CPU of the 1-worker run - serial
  CPU) / tasks.

The serial and parallel rows are checked equal (results must not depend on the engine). The load average is
printed; quote wall-clock speedups only from an idle machine.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: one BLAS thread here and in every worker

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402

from implicitreg.experiments.sweep import run_sweep  # noqa: E402
from implicitreg.experiments.sweep_executor import local_cluster, pin_blas_threads  # noqa: E402
from implicitreg.experiments.sweep_spec import expand, load_spec  # noqa: E402
from implicitreg.experiments.sweep_store import RUN_COLUMNS, read_dataset  # noqa: E402


def heavy_spec(count: int) -> dict:
    return {"name": "bench-heavy", "digits": 60, "alphas": ["1e-60"], "depths": [2, 3],
            "family": {"kind": "random", "entries": "gaussian", "decimals": 2, "m": [6, 10], "N": [14, 20],
                       "sparsity": [2, 4], "seeds": [1000, 1000 + count]},
            "statements": [{"name": "MS-D2:upper_l1", "depths": [2]}, {"name": "MS-D3:upper_l1", "depths": [3]}]}


def tiny_spec(count: int) -> dict:
    return {"name": "bench-tiny", "digits": 5, "alpha_convention": "factor", "alphas": ["0.01"], "depths": [3],
            "family": {"kind": "kink", "eps": {"log10": [-6, -0.1], "count": count}}, "statements": ["kink_error"]}


def rows(out) -> dict:
    return {r["task_key"]: {k: v for k, v in r.items() if k not in RUN_COLUMNS} for r in read_dataset(out).to_pylist()}


def children_cpu() -> float:
    """CPU seconds (user + system) of the live descendant processes (nannies and workers)."""
    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def timed_sweep(spec, **kw):
    """(wall s, cpu s, rows, report) of one sweep into a fresh dataset."""
    with tempfile.TemporaryDirectory() as out:
        c0, w0, t0 = time.process_time(), children_cpu(), time.perf_counter()
        report = run_sweep(spec, out, progress=False, **kw)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0 + children_cpu() - w0
        assert report.done == report.total and report.failed == 0, report
        return wall, cpu, rows(out), report


def line(label, n, wall, cpu, extra=""):
    print(f"   {label:<16} wall {wall:7.2f} s ({n / wall:7.1f} tasks/s)   CPU {cpu:7.2f} s "
          f"({n / cpu:7.1f} tasks/CPU-s){extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer tasks (a smoke run, not a measurement)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    n_heavy, n_tiny = (4, 60) if args.quick else (40, 600)
    from distributed import Client

    pin_blas_threads()
    N = args.workers
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} (1 min), "
          f"{os.getloadavg()[2]:.2f} (15 min)")
    heavy, tiny = load_spec(heavy_spec(n_heavy)), load_spec(tiny_spec(n_tiny))
    n, m = len(expand(heavy)), len(expand(tiny))
    # serial runs first, while no cluster exists (its scheduler thread would run in this process); this
    # process is warmed first (imports, first LP solve) so that the baseline is not charged for them
    timed_sweep(heavy_spec(1), serial=True)
    timed_sweep(tiny_spec(2), serial=True)
    hs_wall, hs_cpu, hs_rows, _ = timed_sweep(heavy, serial=True)
    ts_wall, ts_cpu, ts_rows, _ = timed_sweep(tiny, serial=True)

    def cluster_runs(workers, specs):
        t = time.perf_counter()
        cluster = local_cluster(workers)
        client = Client(cluster)
        try:
            timed_sweep(heavy_spec(1), client=client)  # workers warm themselves before their first chunk
            print(f"LocalCluster start-up ({workers} worker process(es), warmed): {time.perf_counter() - t:.2f} s "
                  f"(not in the times below)")
            return [timed_sweep(spec, client=client) for spec in specs]
        finally:
            client.close()
            cluster.close()

    ((to_wall, to_cpu, to_rows, to_rep),) = cluster_runs(1, [tiny])
    (hp_wall, hp_cpu, hp_rows, hp_rep), (tp_wall, tp_cpu, tp_rows, tp_rep) = cluster_runs(N, [heavy, tiny])
    assert hs_rows == hp_rows and ts_rows == to_rows == tp_rows, "serial and parallel rows differ"

    speedup, cpu_speedup = hs_wall / hp_wall, N * hs_cpu / hp_cpu
    print(f"\n1. certified tasks ({n}; {hs_cpu / n * 1e3:.0f} ms CPU each serially)")
    line("serial", n, hs_wall, hs_cpu)
    line(f"{N} workers", n, hp_wall, hp_cpu, f"   [{hp_rep.chunks} Dask tasks]")
    loaded = os.getloadavg()[0] >= 1.5
    print(f"   speedup: wall {speedup:.2f}x, CPU {cpu_speedup:.2f}x (target >= 1.7 on 2 cores: CPU "
          f"{'met' if cpu_speedup >= 1.7 else 'NOT met'}, wall {'met' if speedup >= 1.7 else 'NOT met'}"
          f"{' on a loaded machine' if loaded else ''}); rows identical: yes")
    print(f"   engine CPU per task: ({hp_cpu:.2f} - {hs_cpu:.2f}) / {n} = {(hp_cpu - hs_cpu) / n * 1e3:.1f} ms")

    print(f"\n2. tiny tasks ({m} kink errors; {ts_cpu / m * 1e3:.1f} ms CPU each serially)")
    line("serial", m, ts_wall, ts_cpu)
    line("1 worker", m, to_wall, to_cpu, f"   [{to_rep.chunks} Dask tasks]")
    line(f"{N} workers", m, tp_wall, tp_cpu, f"   [{tp_rep.chunks} Dask tasks]")
    print(f"   engine overhead per task, 1 worker vs serial: CPU {(to_cpu - ts_cpu) / m * 1e3:.2f} ms, "
          f"wall {(to_wall - ts_wall) / m * 1e3:.2f} ms")
    print(f"   speedup {N} workers vs serial: wall {ts_wall / tp_wall:.2f}x, CPU {N * ts_cpu / tp_cpu:.2f}x")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")

if __name__ == "__main__":
    main()
