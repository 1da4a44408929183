"""Benchmark: the off-support radius M_0 = H_D^{-1}(n H_D(rho_a)) of the MS-D3 bound, as ``offsupport_radius``
computes it (Brent's method in u = -log(1 - M)), against the baseline it replaced: bisection of the bracket to
working precision (arithmetic midpoints, geometric ones in 1 - M near 1), at 50 and 150 digits, for roots far from
and close to 1. Printed: evaluations of H_D and seconds for each, the ratio time / time(bisection) from this run,
and the relative difference of the two roots. Run: ``python benchmarks/bench_error_constants.py``.
"""
from __future__ import annotations

import time

import mpmath
from mpmath import mpf

from implicitreg.numerics import error_constants as ec
from implicitreg.numerics.potentials import dual_potential


def bisection_root(g, rho_a):
    """The baseline: the bracket [rho_a, 1 - gap] (gap halved until g > 0) bisected until relative width 2^-prec."""
    lo, gap = mpf(rho_a), (1 - mpf(rho_a)) / 2
    while g(1 - gap) <= 0:
        gap /= 2
    hi = 1 - gap
    for _ in range(3 * mpmath.mp.prec + 60):
        mid = 1 - mpmath.sqrt((1 - lo) * (1 - hi)) if (1 - hi) < (1 - lo) / 4 else (lo + hi) / 2
        if not lo < mid < hi:
            break
        lo, hi = (mid, hi) if g(mid) <= 0 else (lo, mid)
        if hi - lo <= mpf(2) ** -mpmath.mp.prec * hi:
            break
    return hi


def counted(D, target):
    calls = []

    def g(M):
        calls.append(M)
        return dual_potential(D, M) - target
    return g, calls


def run():
    print("M_0 = H_D^{-1}(n H_D(rho_a)): Brent in u = -log(1 - M) vs bisection (baseline)")
    print(f"  {'D':>3} {'rho_a':>8} {'n':>6} {'dps':>4} {'1 - M_0':>9} {'evals':>11} {'seconds':>15} {'ratio':>6} "
          f"{'rel. diff':>9}")
    for D, rho_a, n in ((3, "0.4", 3), (3, "0.99", 10 ** 6), (5, "0.05", 2)):
        for dps in (50, 150):
            with mpmath.workdps(dps):
                target = n * dual_potential(D, mpf(rho_a))
                g, brent_calls = counted(D, target)
                t0 = time.perf_counter()
                ours = ec._gap_root(g, mpf(rho_a))
                t_ours = time.perf_counter() - t0
                g, base_calls = counted(D, target)
                t0 = time.perf_counter()
                base = bisection_root(g, mpf(rho_a))
                t_base = time.perf_counter() - t0
                diff = float(abs(ours / base - 1))
                print(f"  {D:>3} {rho_a:>8} {n:>6} {dps:>4} {mpmath.nstr(1 - ours, 3):>9} "
                      f"{len(brent_calls):>4} / {len(base_calls):>4} {t_ours:>6.3f} / {t_base:>6.3f} "
                      f"{t_ours / t_base:>6.2f} {diff:>9.1e}")


if __name__ == "__main__":
    run()
