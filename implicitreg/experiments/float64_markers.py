"""Where the papers' own float64 set-up fails: measured once, stored with its provenance, drawn as markers.

WAH compute x_inf(alpha) by integrating the full (u, v) flow in double precision [authors' code]: figure 1 with
scipy's Radau IIA (rtol 2.5e-14, atol 0, analytic Jacobian), figure 2 (the kink) with LSODA (rtol 1e-12), up to
T = 1e9 alpha^(2-p). :func:`implicitreg.numerics.float64_limit.integrated_flow_limit` is that set-up (written
from the flow equations, not copied). Going down the decades alpha^p = 1, 1e-1, ..., the *failure point* of a
series is the first alpha^p at which the run does not finish, is not accepted (||A x - y|| >= 1e-10) or its error
||x_T - x_ref||_2 departs by more than 10% from the certified error (numerics.dual_limit, 20 digits).

Each integration takes seconds to minutes, so the failure points are measured once by

    python -m implicitreg.experiments.float64_markers [--out FILE]

and stored in ``implicitreg/experiments/data/float64_markers.json`` with the set-up, the library versions, the
date, and every (alpha^p, float64 error, certified error) tried; the figures read that file.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
from fractions import Fraction
from pathlib import Path

import mpmath

STORE = Path(__file__).with_name("data") / "float64_markers.json"

#: the relative departure from the certified error that counts as failure
REL = 0.1

#: (figure, instance or eps, depths, set-up)
#: (figure 1 is measured on the line instance only: each Radau run takes 5-40 s in scipy's Python stepper, and
#: the plane and random instances would fail only near alpha^p = 1e-20, hours of integration)
SERIES = (
    [("wah-fig2", eps, p, "lsoda") for p in ("2", "3", "4", "5") for eps in ("0.3", "0.1", "0.03", "0.01")]
    + [("wah-fig1", "line", p, "radau") for p in ("2", "5/2", "3", "4")]
)


def _instance_and_reference(figure: str, key: str, p: Fraction, digits: int):
    from implicitreg.experiments.wah import WAH_INSTANCES
    from implicitreg.numerics.instance import Instance

    if figure == "wah-fig1":
        from implicitreg.numerics.selection import selected_minimizer

        inst = Instance.from_data(WAH_INSTANCES[key], name=key)
        return inst, selected_minimizer(inst, p, digits=digits + 10).x
    inst = Instance.from_lists([[1, 1 - Fraction(key)]], [1], name=f"kink eps={key}")
    return inst, (1, 0)


def measure_series(figure: str, key: str, depth: str, setup: str, bottom: int = 30, digits: int = 80) -> dict:
    """Walk alpha^p = 1, 1e-1, ... down to 1e-``bottom`` until the float64 set-up fails; the record stored."""
    import numpy as np

    from implicitreg.experiments.figure import as_mpf
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.float64_limit import AUTHORS_SETUPS, integrated_flow_limit

    p = Fraction(depth)
    inst, ref = _instance_and_reference(figure, key, p, digits)
    ref64 = np.array([float(v) for v in ref])
    tried, failed_at = [], None
    for k in range(0, bottom + 1):
        a = f"1e-{k}" if k else "1"
        r = gradient_flow_limit(inst, p, a, alpha_convention="product", digits=digits)
        with mpmath.workdps(r.dps):
            err = mpmath.sqrt(mpmath.fsum((v - as_mpf(w)) ** 2 for v, w in zip(r.x, ref)))
        f = integrated_flow_limit(inst.A_float(), inst.y_float(), float(p), float(Fraction(a)), setup=setup)
        e64 = float(np.linalg.norm(f.x - ref64)) if np.all(np.isfinite(f.x)) else None
        ok = f.success and e64 is not None and abs(e64 - float(err)) <= REL * float(err)
        tried.append({"alpha_product": a, "float64_error": e64, "certified_error": float(err),
                      "accepted": f.success, "message": f.message, "nfev": f.nfev})
        if not ok:
            failed_at = a
            break
    method, rtol = AUTHORS_SETUPS[setup]
    return {"figure": figure, "series": key, "depth": depth, "setup": setup, "method": method, "rtol": rtol,
            "failed_at": failed_at, "tried": tried}


def measure_all(out: Path = STORE) -> dict:
    """Measure every series of :data:`SERIES`, writing the store after each one (a series already in ``out``
    with the same set-up is kept, so an interrupted measurement resumes)."""
    import numpy
    import scipy

    done = {}
    if out.exists():
        done = {(r["figure"], r["series"], r["depth"], r["setup"]): r
                for r in json.loads(out.read_text(encoding="utf-8"))["series"]}
    records = []
    for figure, key, depth, setup in SERIES:
        rec = done.get((figure, key, depth, setup)) or measure_series(figure, key, depth, setup)
        records.append(rec)
        print(figure, key, depth, rec["failed_at"], flush=True)
        store = {
            "provenance": ("measured with implicitreg.experiments.float64_markers (the WAH authors' float64 "
                           "set-up: full (u, v) flow, analytic Jacobian, atol 0, T = 1e9 alpha^(2-p); Radau rtol "
                           "2.5e-14 for figure 1, LSODA rtol 1e-12 for figure 2); failure = not finished, not "
                           "accepted (||A x - y|| >= 1e-10) or error departing > 10% from the certified error"),
            "measured_on": datetime.date.today().isoformat(),
            "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                         "scipy": scipy.__version__},
            "relative_tolerance": REL,
            "series": records,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(store, indent=1) + "\n", encoding="utf-8")
    return store


def load_markers(path: Path = STORE) -> dict:
    """The stored failure points: {(figure, series, depth): record}."""
    path = Path(path)
    if not path.exists():
        return {}, {"measured_on": None, "series": []}
    store = json.loads(path.read_text(encoding="utf-8"))
    return {(r["figure"], r["series"], r["depth"]): r for r in store["series"]}, store


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(STORE))
    args = ap.parse_args(argv)
    measure_all(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
