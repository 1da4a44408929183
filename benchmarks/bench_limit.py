"""Benchmark of the certified GF limit at research scale (issue 15). Run:

    python benchmarks/bench_limit.py            # everything (long: the baseline at m = 200 takes minutes)
    python benchmarks/bench_limit.py --quick    # smaller sizes, for a smoke run
    python benchmarks/bench_limit.py --part 1   # only part 1 (also 2, 3, 4)

Random instances as in ``bench_engine.py``: A with entries k/1000, k uniform in [-1000, 1000], y = A x* for a planted
x* with m/5 nonzeros in {+-1, +-2, +-3}; product-scale alpha = 1e-30, 50 digits unless said otherwise.

1. m = 200, N = 800, D = 2 and D = 3: ``method="mixed"`` (float64 continuation + refinement + independent check)
   against the baseline ``method="full"`` (every Newton step at working precision), in this run: the ratio, the
   certified digits of both and the digits on which the two certified x agree.
2. m = 500, N = 2000: time and peak memory (resident set of this process, and the Python heap peak).
3. m = 50, N = 200: the time of one call (best of 3) and the ratio to the baseline.
4. Time vs (m, N) (N = 4 m) and vs digits (50, 100, 200); the growth exponent fitted by least squares in log-log.

All times are wall-clock on this machine in this run; the machine may be shared (the load average is printed at the
start and end), so only ratios measured in the same run are meaningful.
"""
from __future__ import annotations

import math
import os
import random
import resource
import sys
import time
import tracemalloc
from fractions import Fraction

import mpmath

from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.instance import Instance
from implicitreg.numerics.precision import agreeing_digits

QUICK = "--quick" in sys.argv
PART = int(sys.argv[sys.argv.index("--part") + 1]) if "--part" in sys.argv else None


def planted_instance(m: int, N: int, seed: int = 2) -> Instance:
    rng = random.Random(seed)
    A = [[Fraction(rng.randint(-1000, 1000), 1000) for _ in range(N)] for _ in range(m)]
    x0 = [Fraction(0)] * N
    for j in rng.sample(range(N), max(1, m // 5)):
        x0[j] = Fraction(rng.choice([-3, -2, -1, 1, 2, 3]))
    y = [sum((a * b for a, b in zip(row, x0)), Fraction(0)) for row in A]
    return Instance.from_lists(A, y)


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def agreement(r1, r2) -> int:
    with mpmath.workdps(max(r1.dps, r2.dps)):
        return agreeing_digits(r1.x, r2.x, r1.floor, cap=min(r1.dps, r2.dps))


def fit_exponent(xs, ts) -> float:
    lx, lt = [math.log(v) for v in xs], [math.log(v) for v in ts]
    mx, mt = sum(lx) / len(lx), sum(lt) / len(lt)
    return sum((a - mx) * (b - mt) for a, b in zip(lx, lt)) / sum((a - mx) ** 2 for a in lx)


def part1():
    m, N = (100, 400) if QUICK else (200, 800)
    print(f"== 1. m = {m}, N = {N}, 50 digits, alpha = 1e-30: mixed vs the full-precision baseline ==")
    inst = planted_instance(m, N)
    for D in (2, 3):
        mixed, t_mixed = timed(gradient_flow_limit, inst, D, "1e-30", digits=50)
        full, t_full = timed(gradient_flow_limit, inst, D, "1e-30", digits=50, method="full")
        print(f"D = {D}: mixed {t_mixed:7.2f} s ({mixed.method}, {mixed.digits} digits certified, {mixed.iterations} "
              f"steps), full {t_full:7.2f} s ({full.digits} digits, {full.iterations} steps) -> {t_full / t_mixed:5.1f}x;"
              f" the two certified x agree to {agreement(mixed, full)} digits")


def part2():
    m, N = (200, 800) if QUICK else (500, 2000)
    print(f"\n== 2. m = {m}, N = {N}, 50 digits, alpha = 1e-30, D = 2: time and memory ==")
    inst = planted_instance(m, N)
    tracemalloc.start()
    res, dt = timed(gradient_flow_limit, inst, 2, "1e-30", digits=50)
    _, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{dt:7.2f} s (target < 60 s), {res.method}, {res.digits} digits certified, {res.iterations} steps; "
          f"peak RSS of the process {rss:.0f} MB, Python heap peak {heap / 2**20:.0f} MB (tracemalloc also slows the run)")


def part3():
    print("\n== 3. m = 50, N = 200, 50 digits, alpha = 1e-30 ==")
    inst = planted_instance(50, 200)
    for D in (2, 3):
        best = min(timed(gradient_flow_limit, inst, D, "1e-30", digits=50)[1] for _ in range(3))
        _, t_full = timed(gradient_flow_limit, inst, D, "1e-30", digits=50, method="full")
        print(f"D = {D}: mixed {best:.3f} s (best of 3; target < 0.3 s), full {t_full:.2f} s -> {t_full / best:.1f}x")


def part4():
    sizes = [25, 50, 100] if QUICK else [50, 100, 200, 400]
    print("\n== 4. time vs size (N = 4 m) and vs digits, D = 2, alpha = 1e-30 (mixed) ==")
    print("| m | N | digits | time (s) | certified |\n|---|---|---|---|---|")
    times = []
    for m in sizes:
        res, dt = timed(gradient_flow_limit, planted_instance(m, 4 * m), 2, "1e-30", digits=50)
        times.append(dt)
        print(f"| {m} | {4 * m} | 50 | {dt:.2f} | {res.digits} |")
    m = 50 if QUICK else 100
    inst = planted_instance(m, 4 * m)
    digit_times = []
    for digits in (50, 100, 200):
        res, dt = timed(gradient_flow_limit, inst, 2, "1e-30", digits=digits)
        digit_times.append(dt)
        print(f"| {m} | {4 * m} | {digits} | {dt:.2f} | {res.digits} |")
    print(f"fitted growth: time ~ m^{fit_exponent(sizes, times):.2f} (N = 4 m, 50 digits); "
          f"time ~ digits^{fit_exponent([50, 100, 200], digit_times):.2f} (m = {m})")


if __name__ == "__main__":
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings scale with load)")
    for k, fn in ((1, part1), (2, part2), (3, part3), (4, part4)):
        if PART in (None, k):
            fn()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
