"""Benchmark of the certified GF limit at research scale (issue 15). Run:

    python benchmarks/bench_limit.py            # everything (long: the baseline at m = 200 takes minutes)
    python benchmarks/bench_limit.py --quick    # smaller sizes, for a smoke run
    python benchmarks/bench_limit.py --part 1   # only part 1 (also 2, 3, 4, 5)

Random instances: A with entries k/1000, k uniform in [-1000, 1000], y = A x* for a planted x* with m/5 nonzeros in
{+-1, +-2, +-3}; product-scale alpha = 1e-30, 50 digits unless said otherwise.

1. m = 200, N = 800, D = 2 and D = 3: ``method="mixed"`` (float64 continuation + refinement + independent check)
   against the baseline ``method="full"`` (every Newton step at working precision), in this run: the ratio, the
   certified digits of both and the digits on which the two certified x agree.
2. m = 500, N = 2000, D = 2 and 3: time and peak memory (peak resident set of a fresh process running only this
   part, and its resident set after the imports and the instance), the time of building the exact instance
   (``Instance.from_lists``: parsing, the exact row basis and range test) and where the solve's time goes (float64
   continuation, the first refinement, the check solve, the exact residual, the rest: the integer form of A, certification). The
   baseline is not run at this size.
3. m = 50, N = 200: the time of one call (best of 3) and the ratio to the baseline.
4. Time vs (m, N) (N = 4 m; mixed and baseline); the growth exponent in m fitted by least squares in log-log.
5. Time vs digits (50, 100, 200; m = 100, N = 400; mixed best of 3, baseline once); the growth exponents in the
   requested digits and in the working precision.

Every time is given twice: wall clock and CPU time of this process (``time.process_time``; BLAS is pinned to one
thread, so CPU time is robust to other processes on a shared machine while wall time is not). The load average is
printed at the start and the end; ratios are from the same run.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy is imported
    os.environ.setdefault(_var, "1")

import math  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402

import mpmath  # noqa: E402

from implicitreg.numerics.dual_limit import gradient_flow_limit  # noqa: E402
from implicitreg.numerics.instance import Instance  # noqa: E402
from implicitreg.numerics.precision import agreeing_digits  # noqa: E402

QUICK = "--quick" in sys.argv
PART = int(sys.argv[sys.argv.index("--part") + 1]) if "--part" in sys.argv else None
ALPHA = "1e-30"


def planted_data(m: int, N: int, seed: int = 2):
    """(A, y) as Fractions: A = k / 1000, y = A x* (x* with m/5 nonzeros)."""
    rng = random.Random(seed)
    K = [[rng.randint(-1000, 1000) for _ in range(N)] for _ in range(m)]
    x0 = [0] * N
    for j in rng.sample(range(N), max(1, m // 5)):
        x0[j] = rng.choice([-3, -2, -1, 1, 2, 3])
    support = [j for j in range(N) if x0[j]]
    y = [Fraction(sum(row[j] * x0[j] for j in support), 1000) for row in K]
    return [[Fraction(k, 1000) for k in row] for row in K], y


def planted_instance(m: int, N: int, seed: int = 2) -> Instance:
    return Instance.from_lists(*planted_data(m, N, seed))


_INSTANCES: dict = {}
_RUNS: dict = {}


def instance(m: int) -> Instance:
    if m not in _INSTANCES:
        _INSTANCES[m] = planted_instance(m, 4 * m)
    return _INSTANCES[m]


def run(m: int, D: int, method: str, digits: int = 50):
    """(result, wall seconds, CPU seconds) of one call, memoized within this run."""
    key = (m, D, method, digits)
    if key not in _RUNS:
        inst = instance(m)
        wall, cpu = time.perf_counter(), time.process_time()
        res = gradient_flow_limit(inst, D, ALPHA, digits=digits, method=method)
        _RUNS[key] = (res, time.perf_counter() - wall, time.process_time() - cpu)
    return _RUNS[key]


def agreement(r1, r2) -> int:
    with mpmath.workdps(max(r1.dps, r2.dps)):
        return agreeing_digits(r1.x, r2.x, r1.floor, cap=min(r1.dps, r2.dps))


def fit_exponent(xs, ts) -> float:
    lx, lt = [math.log(v) for v in xs], [math.log(v) for v in ts]
    mx, mt = sum(lx) / len(lx), sum(lt) / len(lt)
    return sum((a - mx) * (b - mt) for a, b in zip(lx, lt)) / sum((a - mx) ** 2 for a in lx)


def part1():
    m = 100 if QUICK else 200
    print(f"== 1. m = {m}, N = {4 * m}, 50 digits, alpha = {ALPHA}: mixed vs the full-precision baseline ==")
    print("| D | mixed wall (s) | mixed CPU (s) | full wall (s) | full CPU (s) | ratio wall | ratio CPU | digits "
          "mixed / full | x agree |\n|---|---|---|---|---|---|---|---|---|")
    for D in (2, 3):
        mixed, wm, cm = run(m, D, "mixed")
        full, wf, cf = run(m, D, "full")
        print(f"| {D} | {wm:.2f} | {cm:.2f} | {wf:.1f} | {cf:.1f} | {wf / wm:.1f}x | {cf / cm:.1f}x | "
              f"{mixed.digits} / {full.digits} | {agreement(mixed, full)} |  ({mixed.method}; target >= 10x)")


class Phases:
    """CPU seconds spent in the solver's phases (wrappers around the module functions, this process only)."""

    def __init__(self):
        from implicitreg.numerics import integer_form, mixed_limit

        self.cpu = {}
        self.refines = 0
        for owner, name, label in ((mixed_limit, "float64_start", "float64 continuation"),
                                   (mixed_limit, "refine", None),
                                   (integer_form.IntegerRows, "residual_inf", "exact residual")):
            setattr(owner, name, self._timed(getattr(owner, name), label))

    def _timed(self, fn, label):
        def wrapper(*args, **kwargs):
            name = label
            if name is None:  # refine: the first call of a solve is the primary refinement, the second the check
                name = "refinement (first solve)" if self.refines % 2 == 0 else "check solve (2x precision)"
                self.refines += 1
            c = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
        return wrapper

    def report(self, total: float) -> str:
        parts = [f"{k} {v:.1f}" for k, v in self.cpu.items()]
        parts.append(f"rest (integer form of A, certification, conversions) {total - sum(self.cpu.values()):.1f}")
        self.cpu.clear()
        return "; ".join(parts)


def part2_child():
    m = 200 if QUICK else 500
    c = time.process_time()
    A, y = planted_data(m, 4 * m)
    gen = time.process_time() - c
    w, c = time.perf_counter(), time.process_time()
    inst = Instance.from_lists(A, y)
    build_wall, build_cpu = time.perf_counter() - w, time.process_time() - c
    _INSTANCES[m] = inst
    del A, y
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    phases = Phases()
    notes = []
    for D in (2, 3):
        res, wall, cpu = run(m, D, "mixed")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {D} | {wall:.1f} | {cpu:.1f} | {res.digits} | {res.method} | {rss:.0f} | {rss0:.0f} |", flush=True)
        notes.append(f"D = {D}, CPU s: {phases.report(cpu)}")
    print(f"generating the random data (Fractions, not timed): {gen:.1f} s CPU; building the exact instance "
          f"(Instance.from_lists: parse, exact row basis and range test): {build_wall:.1f} s wall, {build_cpu:.1f} s "
          f"CPU")
    for note in notes:
        print(note)


def part2():
    m = 200 if QUICK else 500
    print(f"\n== 2. m = {m}, N = {4 * m}, 50 digits, alpha = {ALPHA}: time (target < 60 s) and memory, in a fresh "
          f"process ==")
    print("| D | wall (s) | CPU (s) | digits | method | peak RSS (MB) | RSS after imports + instance (MB) |\n"
          "|---|---|---|---|---|---|---|", flush=True)
    args = [sys.executable, os.path.abspath(__file__), "--part-child", "2"] + (["--quick"] if QUICK else [])
    subprocess.run(args, check=True)


def part3():
    print(f"\n== 3. m = 50, N = 200, 50 digits, alpha = {ALPHA} (target < 0.3 s) ==")
    print("| D | mixed wall (s), best of 3 | mixed CPU (s), best of 3 | full wall (s) | full CPU (s) | ratio CPU |\n"
          "|---|---|---|---|---|---|")
    inst = instance(50)
    for D in (2, 3):
        walls, cpus = [], []
        for _ in range(3):
            w, c = time.perf_counter(), time.process_time()
            gradient_flow_limit(inst, D, ALPHA, digits=50)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        _, wf, cf = run(50, D, "full")
        print(f"| {D} | {min(walls):.3f} | {min(cpus):.3f} | {wf:.2f} | {cf:.2f} | {cf / min(cpus):.1f}x |")


def part4():
    sizes = [25, 50, 100] if QUICK else [50, 100, 200, 400]
    full_sizes = sizes[:-1]  # the baseline at the largest size would take many minutes
    print(f"\n== 4. time vs size (N = 4 m), 50 digits, alpha = {ALPHA} ==")
    print("| m | N | D | mixed wall (s) | mixed CPU (s) | full wall (s) | full CPU (s) | ratio CPU | certified |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for D in (2, 3):
        cpu_m, cpu_f = [], []
        for m in sizes:
            res, wm, cm = run(m, D, "mixed")
            cpu_m.append(cm)
            if m in full_sizes:
                _, wf, cf = run(m, D, "full")
                cpu_f.append(cf)
                full = f"{wf:.1f} | {cf:.1f} | {cf / cm:.1f}x"
            else:
                full = "(not run) | | "
            print(f"| {m} | {4 * m} | {D} | {wm:.2f} | {cm:.2f} | {full} | {res.digits} |", flush=True)
        print(f"D = {D}: CPU time ~ m^{fit_exponent(sizes, cpu_m):.2f} (mixed, m = {sizes[0]}..{sizes[-1]}), "
              f"~ m^{fit_exponent(full_sizes, cpu_f):.2f} (full, m = {full_sizes[0]}..{full_sizes[-1]})", flush=True)


def part5():
    m = 50 if QUICK else 100
    levels = (50, 100, 200)
    print(f"\n== 5. time vs digits, m = {m}, N = {4 * m}, alpha = {ALPHA} ==")
    print("| D | digits | working dps (first / check) | mixed wall (s) | mixed CPU (s) | full wall (s) | full CPU (s) | "
          "ratio CPU | certified |\n|---|---|---|---|---|---|---|---|---|")
    for D in (2, 3):
        cpu_m, cpu_f, dps = [], [], []
        for digits in levels:
            res, wm, cm = run(m, D, "mixed", digits)
            for _ in range(2):  # best of 3 for the short mixed runs (CPU time varies by ~30% on a loaded machine)
                w, c = time.perf_counter(), time.process_time()
                gradient_flow_limit(instance(m), D, ALPHA, digits=digits)
                wm, cm = min(wm, time.perf_counter() - w), min(cm, time.process_time() - c)
            _, wf, cf = run(m, D, "full", digits)
            cpu_m.append(cm)
            cpu_f.append(cf)
            dps.append(res.dps_check)
            print(f"| {D} | {digits} | {res.dps_check} / {res.dps} | {wm:.2f} | {cm:.2f} | {wf:.1f} | {cf:.1f} | "
                  f"{cf / cm:.1f}x | {res.digits} |", flush=True)
        print(f"D = {D}: CPU time ~ digits^{fit_exponent(levels, cpu_m):.2f} (mixed), "
              f"~ digits^{fit_exponent(levels, cpu_f):.2f} (full); against the working precision (which also "
              f"carries log10(1/alpha) and guard digits): ~ dps^{fit_exponent(dps, cpu_m):.2f} (mixed), "
              f"~ dps^{fit_exponent(dps, cpu_f):.2f} (full)", flush=True)


if __name__ == "__main__":
    START_WALL = time.perf_counter()
    if "--part-child" in sys.argv:
        part2_child()
        sys.exit(0)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times scale with load; "
          f"CPU times much less)", flush=True)
    for k, fn in ((1, part1), (2, part2), (3, part3), (4, part4), (5, part5)):
        if PART in (None, k):
            fn()
    print(f"load average at end: {os.getloadavg()[0]:.1f}; this run: {time.perf_counter() - START_WALL:.0f} s wall, "
          f"{time.process_time():.0f} s CPU (this process; part 2 runs in a child process)")
