"""Benchmark: exact basis pursuit at m = 50, N = 200 against the float HiGHS solve of the same LP.

Run: ``python benchmarks/bench_basis_pursuit.py [--repeats R] [--seeds K]``.

Data: A with integer entries (rounded Gaussians, scale 100) or 3-decimal rationals (Gaussians rounded to
0.001, read exactly), a planted sparse x with s = 6 integer entries, y = A x. Timed in the same run:

* float: ``scipy.optimize.linprog(method="highs-ds")`` on the split LP (the baseline; no certificate);
* exact LP: :func:`linprog_exact` on the split LP (HiGHS basis, exact rebuild and repair, fraction proof);
* exact BP: :func:`l1_minimizer` (the above, plus maximal support, face, rho with both certificates and
  the final fraction re-verification of every claim).

Only ratios against the float baseline are claims; absolute times depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog

from implicitreg.numerics.basis_pursuit import l1_minimizer, linprog_exact
from implicitreg.numerics.instance import Instance


def make_instance(seed: int, m: int = 50, N: int = 200, s: int = 6, kind: str = "integer") -> tuple[Instance, list]:
    rng = random.Random(seed)
    if kind == "integer":
        A = [[round(rng.gauss(0, 100)) for _ in range(N)] for _ in range(m)]
    else:
        A = [[Fraction(round(rng.gauss(0, 1) * 1000), 1000) for _ in range(N)] for _ in range(m)]
    x = [0] * N
    for j in rng.sample(range(N), s):
        x[j] = rng.choice([-3, -2, -1, 1, 2, 3])
    y = [sum(Fraction(a) * b for a, b in zip(row, x)) for row in A]
    return Instance.from_lists(A, y, name=f"{kind}-{seed}"), x


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("-m", type=int, default=50)
    ap.add_argument("-N", type=int, default=200)
    args = ap.parse_args()
    l1_minimizer(make_instance(0, 5, 10)[0])           # warm up imports (scipy, flint)
    print(f"exact basis pursuit vs float HiGHS, m = {args.m}, N = {args.N}, median of {args.repeats} runs")
    header = f"{'instance':>12} {'float HiGHS':>12} {'exact LP':>10} {'exact BP':>10} {'LP/float':>9} {'BP/float':>9}" \
             f" {'unique':>6} {'|S|':>4} {'recovered':>9}"
    print(header)
    ratios_lp, ratios_bp = [], []
    for kind in ("integer", "decimal"):
        for seed in range(1, args.seeds + 1):
            inst, planted = make_instance(seed, args.m, args.N, kind=kind)
            Af, yf = inst.A_float(), inst.y_float()
            c = np.ones(2 * inst.N)
            t_float, _ = timed(lambda: linprog(c, A_eq=np.hstack([Af, -Af]), b_eq=yf, bounds=(0, None),
                                               method="highs-ds"), args.repeats)
            M = [list(r) + [-v for v in r] for r in inst.A]
            t_lp, _ = timed(lambda: linprog_exact([Fraction(1)] * (2 * inst.N), M, list(inst.y)), args.repeats)
            t_bp, res = timed(lambda: l1_minimizer(inst), args.repeats)
            recovered = res.unique and res.x == tuple(Fraction(v) for v in planted)
            ratios_lp.append(t_lp / t_float)
            ratios_bp.append(t_bp / t_float)
            print(f"{inst.name:>12} {t_float * 1e3:>10.2f}ms {t_lp:>9.3f}s {t_bp:>9.3f}s {t_lp / t_float:>9.0f}"
                  f" {t_bp / t_float:>9.0f} {str(res.unique):>6} {len(res.support):>4} {str(recovered):>9}")
    print(f"median ratio exact LP / float: {statistics.median(ratios_lp):.0f}x;"
          f" full exact BP (with support, face, rho, verification) / float: {statistics.median(ratios_bp):.0f}x")


if __name__ == "__main__":
    main()
