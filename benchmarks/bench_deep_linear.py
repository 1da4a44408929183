"""Benchmark: sharpness of a deep linear network minimizer, L = 10, d = 50 (all in one run, ratios to a baseline).

What is measured (one unbalanced global minimizer, square widths d, n = 2 d Gaussian data made exact):

* at L = 10, d = 50 (N = (L-1) d^2 + d = 22550 parameters; the full Hessian, N^2 = 5e8 entries, is far too big
  for mpmath):
  - "exact": the closed form S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) at a minimizer [derived; checked against
    the full Hessian in tests/test_deep_linear.py], a d x d symmetric eigenproblem in mpmath (``eigsy``, 30 digits);
  - "power": power iteration on float64 Hessian-vector products (never forms H), to relative residual 1e-8;
  - "lanczos": Lanczos with full reorthogonalization on the same products (terminates in <= d + 1 steps at a
    minimizer, since rank H <= d);
* at smaller d (same L), where it fits: the dense float64 Hessian (assembled entry by entry) with numpy ``eigvalsh``
  against power iteration, the "exact full Hessian" path.

Baseline: power iteration (the authors' method, there 20 steps in float32); printed ratios are time / time(power)
from this run, and the relative disagreement of each value with the mpmath closed form.

Part 2 (``--mp-hessian``, or ``--all``): the full Hessian's largest eigenvalue at 40 digits, as ``sharpness_exact``
computes it for mpf networks (python-flint's QR algorithm with its residual and separation checks,
:func:`largest_eigenvalue_qr`) against the baseline mpmath ``eigsy`` of the same matrix, at L = 2, 3, 5 on d = 5
data (N = 30, 55, 105 parameters); ratio = time / time(eigsy), and the two values' relative difference.
"""
from __future__ import annotations

import sys
import time

import mpmath
import numpy as np

from implicitreg.numerics import deep_linear as dl


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def minimizer_for(data, L, seed=0):
    rng = np.random.default_rng(seed)
    with mpmath.workdps(30):
        w = data.w_star("mp")
        d = data.d
        scales = [1 / np.sqrt(d)] * L  # keeps the layer products O(1)
        return dl.random_minimizer(w, L, [d] * (L - 1), rng, scales=scales)


def run(L=10, d=50, small_ds=(5, 10, 15)):
    print(f"deep linear sharpness benchmark: L = {L}, d = {d}, loss 1/n no 1/2")
    data, t_data = timed(lambda: dl.gaussian_data(2 * d, d, seed=1, noise=1.0, name=f"gauss-n{2 * d}-d{d}"))
    print(f"  exact data + w* (rational, flint): {t_data:.2f} s")
    net_mp, t_net = timed(lambda: minimizer_for(data, L))
    net = net_mp.as_float()
    print(f"  minimizer built in mpmath: {t_net:.2f} s; parameters N = {net.num_parameters}")
    with mpmath.workdps(30):
        closed, t_closed = timed(lambda: dl.sharpness_closed_form(net_mp, data).value)
    power, t_power = timed(lambda: dl.sharpness_power(net, data, tol=1e-8, max_iter=100000))
    lanczos, t_lanczos = timed(lambda: dl.sharpness_lanczos(net, data, tol=1e-12))
    ref = float(closed)
    rows = [("closed form, mpmath eigsy (30 digits, d x d)", ref, t_closed, None),
            (f"power iteration on HVPs, float64 ({power.iterations} it)", float(power.value), t_power, None),
            (f"Lanczos on HVPs, float64 ({lanczos.iterations} it)", float(lanczos.value), t_lanczos, None)]
    print(f"  {'method':<52} {'sharpness':>22} {'rel. diff':>10} {'time s':>9} {'/ power':>8}")
    for name, val, t, _ in rows:
        print(f"  {name:<52} {val:>22.15g} {abs(val / ref - 1):>10.1e} {t:>9.3f} {t / t_power:>8.2f}")
    print("  (full Hessian at d = 50 would have N^2 = %.1e entries: not formed)" % (net.num_parameters ** 2))
    print(f"\n  full dense Hessian (float64 eigvalsh) vs power iteration, L = {L}, smaller d:")
    print(f"  {'d':>3} {'N':>6} {'eigvalsh s':>11} {'power s':>9} {'ratio':>7} {'rel. diff':>10}")
    for ds in small_ds:
        data_s = dl.gaussian_data(2 * ds, ds, seed=2, noise=1.0)
        net_s = minimizer_for(data_s, L).as_float()
        full, t_full = timed(lambda: dl.sharpness_exact(net_s, data_s).value)
        pw, t_pw = timed(lambda: dl.sharpness_power(net_s, data_s, tol=1e-8, max_iter=100000).value)
        print(f"  {ds:>3} {net_s.num_parameters:>6} {t_full:>11.3f} {t_pw:>9.3f} {t_full / t_pw:>7.2f} "
              f"{abs(pw / full - 1):>10.1e}")


def run_mp_hessian(depths=(2, 3, 5), d=5):
    print(f"\nfull Hessian at 40 digits: flint QR (checked) vs mpmath eigsy, d = {d}")
    print(f"  {'L':>2} {'N':>4} {'eigsy s':>8} {'flint s':>8} {'ratio':>6} {'rel. diff':>10}")
    data = dl.gaussian_data(10 * d, d, seed=3, noise=1.0)
    for L in depths:
        with mpmath.workdps(40):
            H = dl.hessian(minimizer_for(data, L, seed=L), data)
            base, t_base = timed(lambda: dl.symmetric_eigenvalues(H)[-1])
            qr, t_qr = timed(lambda: dl.largest_eigenvalue_qr(H))
            diff = "refused" if qr is None else f"{float(abs(qr / base - 1)):.1e}"
        print(f"  {L:>2} {H.shape[0]:>4} {t_base:>8.3f} {t_qr:>8.3f} {t_qr / t_base:>6.2f} {diff:>10}")


if __name__ == "__main__":
    if "--mp-hessian" not in sys.argv:
        run()
    if "--mp-hessian" in sys.argv or "--all" in sys.argv:
        run_mp_hessian()
