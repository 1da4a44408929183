"""Benchmark of the sweep engine (issue 16). Run: ``python benchmarks/bench_sweep.py [--quick] [--workers N]``.

In one run, on the same spec and the same tasks:

1. **serial vs N workers** (default 2): ``run_sweep(serial=True)`` against ``run_sweep`` on a LocalCluster of N
   single-threaded worker processes (started and warmed before the clock runs: start-up is reported apart).
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
    # warm this process (imports, first LP solve) so that the serial baseline is not charged for them
    timed_sweep(heavy_spec(1), serial=True)
    timed_sweep(tiny_spec(2), serial=True)
    t = time.perf_counter()
    cluster = local_cluster(N)
    client = Client(cluster)
    timed_sweep(heavy_spec(1), client=client)  # workers warm themselves before their first chunk
    print(f"LocalCluster start-up ({N} worker processes, warmed): {time.perf_counter() - t:.2f} s "
          f"(not in the times below)")
    try:
        heavy = load_spec(heavy_spec(n_heavy))
        n = len(expand(heavy))
        s_wall, s_cpu, s_rows, _ = timed_sweep(heavy, serial=True)
        p_wall, p_cpu, p_rows, rep = timed_sweep(heavy, client=client)
        assert s_rows == p_rows, "serial and parallel rows differ"
        speedup, cpu_speedup = s_wall / p_wall, N * s_cpu / p_cpu
        print(f"\n1. certified tasks ({n}; {s_cpu / n * 1e3:.0f} ms CPU each serially)")
        line("serial", n, s_wall, s_cpu)
        line(f"{N} workers", n, p_wall, p_cpu, f"   [{rep.chunks} Dask tasks]")
        print(f"   speedup: wall {speedup:.2f}x, CPU {cpu_speedup:.2f}x (target >= 1.7 on 2 cores: CPU "
              f"{'met' if cpu_speedup >= 1.7 else 'NOT met'}, wall {'met' if speedup >= 1.7 else 'NOT met'}"
              f"{'' if os.getloadavg()[0] < 1.5 else ' under load'}); rows identical: yes")
        print(f"   engine CPU per task: ({p_cpu:.2f} - {s_cpu:.2f}) / {n} = {(p_cpu - s_cpu) / n * 1e3:.1f} ms")

        tiny = load_spec(tiny_spec(n_tiny))
        m = len(expand(tiny))
        s_wall, s_cpu, s_rows, _ = timed_sweep(tiny, serial=True)
        one = Client(local_cluster(1))
        try:
            timed_sweep(tiny_spec(2), client=one)
            o_wall, o_cpu, o_rows, o_rep = timed_sweep(tiny, client=one)
        finally:
            one.close()
            one.cluster.close()
        p_wall, p_cpu, p_rows, p_rep = timed_sweep(tiny, client=client)
        assert s_rows == o_rows == p_rows, "serial and parallel rows differ"
        print(f"\n2. tiny tasks ({m} kink errors; {s_cpu / m * 1e3:.1f} ms CPU each serially)")
        line("serial", m, s_wall, s_cpu)
        line("1 worker", m, o_wall, o_cpu, f"   [{o_rep.chunks} Dask tasks]")
        line(f"{N} workers", m, p_wall, p_cpu, f"   [{p_rep.chunks} Dask tasks]")
        print(f"   engine overhead per task, 1 worker vs serial: CPU {(o_cpu - s_cpu) / m * 1e3:.2f} ms, "
              f"wall {(o_wall - s_wall) / m * 1e3:.2f} ms")
        print(f"   speedup {N} workers vs serial: wall {s_wall / p_wall:.2f}x, CPU {N * s_cpu / p_cpu:.2f}x")
    finally:
        client.close()
        cluster.close()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
