"""Where the papers' own float64 set-up fails: measured once, stored with its provenance, drawn as markers.

WAH compute x_inf(alpha) by integrating the full (u, v) flow in double precision [authors' code]: figure 1 with
scipy's Radau IIA (rtol 2.5e-14, atol 0, analytic Jacobian), figure 2 (the kink) with LSODA (rtol 1e-12), up to
T = 1e9 alpha^(2-p). :func:`implicitreg.numerics.float64_limit.integrated_flow_limit` is that set-up (written
from the flow equations, not copied). Going down the decades alpha^p = 1, 1e-1, ..., 1e-30, the *failure point*
of a series is the first alpha^p at which the run does not finish, is not accepted (||A x - y|| >= 1e-10) or its
error ||x_T - x_ref||_2 departs by more than 10% from the certified error (numerics.dual_limit, 80 digits).

Each integration takes seconds to a minute, so the failure points are measured once by

    python -m implicitreg.experiments.float64_markers [--out FILE]

and stored in ``implicitreg/experiments/data/float64_markers.json``: per series only the numbers a marker and
its checks need (the failure point, the last decade that passed, the float64 and certified errors at both, the
integrator's message, how the decades were walked), with the set-up, the library versions and the date. A
series already in the file is kept, so an interrupted measurement resumes and only new series are measured.
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

#: the decades walked: alpha^p = 1e-0 .. 1e-BOTTOM
BOTTOM = 30

#: (figure, instance or eps, depth, set-up, coarse step in decades). Step 1 walks every decade; a coarser step
#: walks every ``step``-th decade and then every decade between the last coarse pass and the first coarse failure
#: (the plane and random instances: their Radau runs are slower and fail only far down).
SERIES = (
    [("wah-fig2", eps, p, "lsoda", 1) for p in ("2", "3", "4", "5") for eps in ("0.3", "0.1", "0.03", "0.01")]
    + [("wah-fig1", inst, p, "radau", 1 if inst == "line" else 3)
       for inst in ("line", "plane", "random") for p in ("2", "5/2", "3", "4")]
)

PROVENANCE = ("measured with implicitreg.experiments.float64_markers (the WAH authors' float64 set-up: full (u, v) "
              "flow, analytic Jacobian, atol 0, T = 1e9 alpha^(2-p); scipy Radau rtol 2.5e-14 for figure 1, LSODA "
              "rtol 1e-12 for figure 2); failure = not finished, not accepted (||A x - y|| >= 1e-10) or error "
              "departing > 10% from the certified error (numerics.dual_limit, 80 digits)")


def _instance_and_reference(figure: str, key: str, p: Fraction, digits: int):
    from implicitreg.experiments.wah import WAH_INSTANCES
    from implicitreg.numerics.instance import Instance

    if figure == "wah-fig1":
        from implicitreg.numerics.selection import selected_minimizer

        inst = Instance.from_data(WAH_INSTANCES[key], name=key)
        return inst, selected_minimizer(inst, p, digits=digits + 10).x
    inst = Instance.from_lists([[1, 1 - Fraction(key)]], [1], name=f"kink eps={key}")
    return inst, (1, 0)


def _decade(k: int) -> str:
    return f"1e-{k}" if k else "1"


def measure_point(inst, ref, p: Fraction, k: int, setup: str, digits: int = 80) -> dict:
    """The authors' float64 set-up and the certified error at alpha^p = 1e-k, and whether they agree."""
    import numpy as np

    from implicitreg.numerics.precision import mpf_from
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.float64_limit import integrated_flow_limit

    a = _decade(k)
    r = gradient_flow_limit(inst, p, a, alpha_convention="product", digits=digits)
    with mpmath.workdps(r.dps):
        err = mpmath.sqrt(mpmath.fsum((v - mpf_from(w)) ** 2 for v, w in zip(r.x, ref)))
    f = integrated_flow_limit(inst.A_float(), inst.y_float(), float(p), float(Fraction(a)), setup=setup)
    ref64 = np.array([float(v) for v in ref])
    e64 = float(np.linalg.norm(f.x - ref64)) if np.all(np.isfinite(f.x)) else None
    ok = bool(f.success and e64 is not None and abs(e64 - float(err)) <= REL * float(err))
    return {"alpha_product": a, "float64_error": e64, "certified_error": float(err), "accepted": f.success,
            "agrees": ok, "message": f.message, "nfev": f.nfev}


def measure_series(figure: str, key: str, depth: str, setup: str, step: int = 1, bottom: int = BOTTOM,
                   digits: int = 80) -> dict:
    """Walk alpha^p = 1, 1e-step, 1e-2 step, ... down to 1e-``bottom`` until the float64 set-up fails, then (step >
    1) every decade after the last pass; the compact record stored (the last pass and the failure)."""
    from implicitreg.numerics.float64_limit import AUTHORS_SETUPS

    p = Fraction(depth)
    inst, ref = _instance_and_reference(figure, key, p, digits)
    coarse = list(range(0, bottom + 1, step)) + ([bottom] if bottom % step else [])
    passed, failed = None, None
    for k in coarse:
        pt = measure_point(inst, ref, p, k, setup, digits)
        if not pt["agrees"]:
            failed = (k, pt)
            break
        passed = (k, pt)
    if failed is not None and step > 1 and passed is not None:
        for k in range(passed[0] + 1, failed[0]):
            pt = measure_point(inst, ref, p, k, setup, digits)
            if not pt["agrees"]:
                failed = (k, pt)
                break
            passed = (k, pt)
    method, rtol = AUTHORS_SETUPS[setup]
    walk = (f"every decade from 1 down to {'the failure' if failed else _decade(bottom)}" if step == 1 else
            f"every {step}rd decade from 1, then every decade after the last pass"
            + ("" if failed else f", down to {_decade(bottom)}"))
    tried = [pt for _, pt in (passed, failed) if _ is not None] if failed else [passed[1]]
    return {"figure": figure, "series": key, "depth": depth, "setup": setup, "method": method, "rtol": rtol,
            "failed_at": failed[1]["alpha_product"] if failed else None, "walk": walk, "tried": tried}


def compact(record: dict) -> dict:
    """A record reduced to what the markers need: the last pass and the failure (or the bottom decade)."""
    tried = record["tried"]
    keep = tried[-2:] if record["failed_at"] else tried[-1:]
    out = {k: v for k, v in record.items() if k != "tried"}
    out.setdefault("walk", "every decade from 1 down to " + ("the failure" if record["failed_at"]
                                                             else tried[-1]["alpha_product"]))
    out["tried"] = [dict(t, agrees=bool(t.get("agrees", t is not tried[-1] or not record["failed_at"])))
                    for t in keep]
    return out


def measure_all(out: Path = STORE, only: str | None = None) -> dict:
    """Measure every series of :data:`SERIES` not yet in ``out`` (or only those of instance/eps ``only``, or the
    one series ``only`` = "instance:depth"), writing the store after each one."""
    import numpy
    import scipy

    out = Path(out)
    old = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"series": []}
    done = {(r["figure"], r["series"], r["depth"], r["setup"]): compact(r) for r in old["series"]}
    for figure, key, depth, setup, step in SERIES:
        if (figure, key, depth, setup) in done or (only and only not in (key, f"{key}:{depth}")):
            continue
        rec = measure_series(figure, key, depth, setup, step)
        rec["measured_on"] = datetime.date.today().isoformat()
        done[(figure, key, depth, setup)] = rec
        print(figure, key, depth, rec["failed_at"], flush=True)
        _write(out, done, numpy.__version__, scipy.__version__)
    return _write(out, done, numpy.__version__, scipy.__version__)


def _write(out: Path, done: dict, numpy_version: str, scipy_version: str) -> dict:
    order = {s[:4]: i for i, s in enumerate(SERIES)}
    records = sorted(done.values(), key=lambda r: order.get((r["figure"], r["series"], r["depth"], r["setup"]), 99))
    dates = sorted({r.get("measured_on") or "" for r in records} - {""})
    store = {"provenance": PROVENANCE,
             "regenerate": "python -m implicitreg.experiments.float64_markers --out FILE (new series only; "
                           "delete a series from the file to re-measure it)",
             "measured_on": dates[-1] if dates else datetime.date.today().isoformat(),
             "versions": {"python": platform.python_version(), "numpy": numpy_version, "scipy": scipy_version},
             "relative_tolerance": REL, "series": records}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(store, indent=None, separators=(",", ":")).replace('},{"figure"', '},\n{"figure"')
                   + "\n", encoding="utf-8")
    return store


def load_markers(path: Path = STORE) -> tuple[dict, dict]:
    """The stored failure points: ({(figure, series, depth): record}, the whole store)."""
    path = Path(path)
    if not path.exists():
        return {}, {"measured_on": None, "series": []}
    store = json.loads(path.read_text(encoding="utf-8"))
    return {(r["figure"], r["series"], r["depth"]): r for r in store["series"]}, store


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(STORE))
    ap.add_argument("--only", default=None, help="measure only the series of this instance (line, plane, ...) or one series (random:3)")
    args = ap.parse_args(argv)
    measure_all(Path(args.out), args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
