"""Benchmark: converged 30-digit trajectories of the reduced flow at research size (issue 15).
Run: ``python benchmarks/bench_flow.py [--quick]``.

m = 20, N = 60 (entries k/1000, planted 5-sparse x*), alpha = 1e-6 (product scale), D = 2 and D = 3: the reduced
flow nu' = -c_D (A x(nu) - y) integrated from nu = 0 by Radau IIA of order 21 (step doubling, float64 stage Newton
with the residual at 38 digits, rtol 1e-30) until ||A x - y||_inf <= 1e-33; its end point is compared with the
certified dual-Newton limit (36 digits); and the dense output (collocation polynomials) is compared with the
integrated points of a second run that steps exactly to chosen times. Target: each trajectory under 30 s.
Wall-clock and CPU seconds of this process (BLAS pinned to one thread inside the integrator) are printed; on the
shared machine the CPU time is the robust number. ``--quick``: m = 10, N = 30.
"""
from __future__ import annotations

import os
import random
import sys
import time
from fractions import Fraction

import mpmath
from mpmath import mpf

from implicitreg.numerics.dual_limit import gradient_flow_limit
from implicitreg.numerics.flow import reduced_flow
from implicitreg.numerics.instance import Instance

QUICK = "--quick" in sys.argv


def planted_instance(m, N, s=5, seed=3):
    rng = random.Random(seed)
    A = [[Fraction(rng.randint(-1000, 1000), 1000) for _ in range(N)] for _ in range(m)]
    x0 = [Fraction(0)] * N
    for j in rng.sample(range(N), s):
        x0[j] = Fraction(rng.choice([-3, -2, -1, 1, 2, 3]))
    return Instance.from_lists(A, [sum((a * b for a, b in zip(row, x0)), Fraction(0)) for row in A])


def digits(a, b, scale):
    with mpmath.workdps(60):
        d = max(abs(mpf(u) - mpf(v)) for u, v in zip(a, b)) / scale
        return float(-mpmath.log10(d)) if d else float("inf")


def main():
    m, N = (10, 30) if QUICK else (20, 60)
    inst = planted_instance(m, N)
    alpha = "1e-6"
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"== converged 30-digit trajectories, m = {m}, N = {N}, alpha = {alpha}, 38 digits, rtol 1e-30 ==")
    for D in (2, 3):
        lim = gradient_flow_limit(inst, D, alpha, digits=36)
        t, c = time.perf_counter(), time.process_time()
        res = reduced_flow(inst, D, alpha, dps=38, tol=mpf("1e-33"), rtol=mpf("1e-30"), method="radau21",
                           dense_output=True)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        scale = max(abs(v) for v in lim.x)
        agree = digits(res.x[-1], lim.x, scale)
        print(f"D = {D}: {wall:6.1f} s wall, {cpu:5.1f} s CPU (target 30 s), {res.nsteps} steps, {res.nfev} f-evals, "
              f"t_end {mpmath.nstr(res.t[-1], 4)}, residual {mpmath.nstr(res.residual[-1], 3)}; x(t_end) agrees "
              f"with the dual limit ({lim.digits} certified digits) to {agree:.1f} digits relative to max|x|")
        # dense output against integrated points: a second run that steps exactly to three interior times
        T = res.t[-1]
        times = [T / 1000, T / 30, T / 3]
        exact = reduced_flow(inst, D, alpha, dps=38, t_final=T / 3, until_converged=False, rtol=mpf("1e-30"),
                             method="radau21", t_eval=times)
        with mpmath.workdps(38):
            nu_scale = max(abs(v) for v in res.nu[-1])
            worst = min(digits(res.sol(tk), nu, nu_scale) for tk, nu in zip(times, exact.nu))
        print(f"        dense output nu(t) at t = T/1000, T/30, T/3 vs a run stepping to those times: "
              f"{worst:.1f} digits (worst of the three, relative to max|nu|)")


if __name__ == "__main__":
    main()
