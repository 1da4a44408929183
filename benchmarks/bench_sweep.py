"""Benchmark of the sweep engine (issue 16). Run: ``python benchmarks/bench_sweep.py [--quick] [--workers N]``.

In one run, on the same spec and the same tasks:

1. **serial vs N workers** (default 2): the wall time of ``run_sweep(serial=True)`` against ``run_sweep`` on a
   LocalCluster of N single-threaded worker processes (started before the clock runs: cluster start-up is reported
   apart). Tasks: certified MS-D2/MS-D3 upper-bound checks at alpha = 1e-60, 60 digits, on random 6 x 14 .. 10 x 20
   instances (about 0.3 s each; sweep points are certified computations of this size or larger, and with tasks of
   ~70 ms the fixed per-task cost of the engine, item 2, weighs on the ratio). Target on this 2-core machine:
   speedup >= 1.7.
2. **per-task engine overhead**: the same comparison on small tasks (the kink error at 5 digits, a few ms):
   (wall time on 1 worker - serial wall time) / tasks is what Dask, the row transfer and the Parquet writes add
   to each task; (wall time on 1 worker - time spent inside the tasks) / tasks measures the same with the tasks'
   own time taken from the dataset (less sensitive to a busy machine).
3. **tasks/s** of both.

Every sweep writes a fresh dataset in a temporary folder and the rows of the serial and the parallel run are checked
equal (results must not depend on the engine). Wall-clock times on this machine, this run; only the ratios between
numbers measured here are meaningful (a busy machine lowers the speedup).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from implicitreg.experiments.sweep import local_cluster, run_sweep
from implicitreg.experiments.sweep_spec import expand, load_spec
from implicitreg.experiments.sweep_store import RUN_COLUMNS, read_dataset


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


def timed_sweep(spec, **kw):
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        report = run_sweep(spec, out, progress=False, **kw)
        wall = time.perf_counter() - t
        assert report.done == report.total and report.failed == 0, report
        busy = sum(read_dataset(out).column("seconds").to_pylist())
        return wall, rows(out), busy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer tasks (a smoke run, not a measurement)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    n_heavy, n_tiny = (6, 50) if args.quick else (40, 400)
    from distributed import Client

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    # warm this process (imports, first LP solve) so that the serial baseline is not charged for them
    timed_sweep(heavy_spec(1), serial=True)
    t = time.perf_counter()
    cluster = local_cluster(args.workers)
    client = Client(cluster)
    client.run(lambda: __import__("implicitreg.experiments.sweep_tasks"))
    timed_sweep(heavy_spec(1), client=client)  # warm the workers the same way
    startup = time.perf_counter() - t
    print(f"LocalCluster start-up ({args.workers} worker processes, warmed): {startup:.2f} s (not in the times below)")
    try:
        heavy = load_spec(heavy_spec(n_heavy))
        n = len(expand(heavy))
        s_wall, s_rows, _ = timed_sweep(heavy, serial=True)
        p_wall, p_rows, _ = timed_sweep(heavy, client=client)
        assert s_rows == p_rows, "serial and parallel rows differ"
        speedup = s_wall / p_wall
        print(f"\n1. certified tasks ({n}; mean {s_wall / n * 1e3:.0f} ms each serially)")
        print(f"   serial           {s_wall:8.2f} s   {n / s_wall:7.2f} tasks/s")
        print(f"   {args.workers} workers        {p_wall:8.2f} s   {n / p_wall:7.2f} tasks/s")
        print(f"   speedup          {speedup:8.2f} x  (target >= 1.7 on 2 cores: "
              f"{'met' if speedup >= 1.7 else 'NOT met'}); rows identical: yes")

        tiny = load_spec(tiny_spec(n_tiny))
        m = len(expand(tiny))
        s_wall, s_rows, _ = timed_sweep(tiny, serial=True)
        one = Client(local_cluster(1))
        try:
            timed_sweep(tiny_spec(2), client=one)
            o_wall, o_rows, o_busy = timed_sweep(tiny, client=one)
        finally:
            one.close()
            one.cluster.close()
        p_wall, p_rows, _ = timed_sweep(tiny, client=client)
        assert s_rows == o_rows == p_rows, "serial and parallel rows differ"
        print(f"\n2. near-empty tasks ({m} kink errors; mean {s_wall / m * 1e3:.1f} ms each serially)")
        print(f"   serial           {s_wall:8.2f} s   {m / s_wall:7.1f} tasks/s")
        print(f"   1 worker         {o_wall:8.2f} s   {m / o_wall:7.1f} tasks/s")
        print(f"   {args.workers} workers        {p_wall:8.2f} s   {m / p_wall:7.1f} tasks/s")
        print(f"   engine overhead per task (1 worker - serial) / tasks: {(o_wall - s_wall) / m * 1e3:.2f} ms")
        print(f"   engine overhead per task (1 worker wall - time inside the tasks) / tasks: "
              f"{(o_wall - o_busy) / m * 1e3:.2f} ms")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
