"""``implicitreg limit`` (the certified gradient-flow limit) and ``implicitreg flow`` (the trajectory)."""
from __future__ import annotations

import csv
import io
import sys

import mpmath

from implicitreg.commands import add_instance_option, add_json_option, emit
from implicitreg.errors import InvalidParameterError
from implicitreg.numerics.exact import fraction_str


def _add_common(p) -> None:
    add_instance_option(p)
    p.add_argument("--depth", required=True, metavar="D", help="real depth D >= 2 ('2', '5/2', '2.5')")
    p.add_argument("--alpha", required=True, metavar="A", help="initialization scale > 0 (exact: '1e-30', '1/8')")
    p.add_argument("--alpha-convention", choices=("product", "factor"), default="product",
                   help="'product': u(0)^D = alpha (dln.md, default); 'factor': u(0) = alpha (wah.md)")


def register(sub) -> None:
    p = sub.add_parser("limit", help="certified high-precision gradient-flow limit x_inf(alpha) of a depth-D network")
    _add_common(p)
    p.add_argument("--digits", type=int, default=30, metavar="P", help="significant digits to certify (default 30)")
    add_json_option(p)
    p.set_defaults(func=run_limit)

    q = sub.add_parser("flow", help="integrate the gradient flow (reduced m-dim or full 2N-dim) in mpmath")
    _add_common(q)
    q.add_argument("--t-final", metavar="T", help="integrate up to time T")
    q.add_argument("--until-converged", action="store_true",
                   help="integrate until ||A x - y||_inf <= tol (the default without --t-final; with --t-final, "
                        "not converging by T is an error)")
    q.add_argument("--full", action="store_true", help="integrate the full (u, v) flow instead of the reduced one")
    q.add_argument("--digits", type=int, default=30, metavar="P", help="working precision in digits (default 30)")
    q.add_argument("--method", default="radau13",
                   help="radau13 (Radau IIA order 13, default: few steps at 20+ digits), radau9, radau (order 5), "
                        "rk45 (explicit)")
    q.add_argument("--tol", metavar="TOL", help="convergence tolerance on ||A x - y||_inf (default 10^-(P-8))")
    q.add_argument("--format", choices=("json", "csv"), default="json")
    q.add_argument("--out", metavar="FILE", help="write the trajectory to FILE instead of stdout")
    q.set_defaults(func=run_flow)


def _digits(value: int) -> int:
    if value < 1:
        raise InvalidParameterError(f"--digits must be a positive integer, got {value}")
    return value


def _head(result, depth, alpha) -> dict:
    return {"depth": fraction_str(result.depth), "depth_input": depth, "alpha": alpha,
            "alpha_convention": result.alpha_convention,
            "alpha_product": mpmath.nstr(result.alpha_product, min(30, result.dps))}


def run_limit(args) -> int:
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.instance import Instance

    digits = _digits(args.digits)
    inst = Instance.load(args.instance)
    res = gradient_flow_limit(inst, args.depth, args.alpha, alpha_convention=args.alpha_convention, digits=digits)
    obj = _head(res, args.depth, args.alpha)
    obj.update({
        "x": res.x_str(digits),
        "digits": res.digits,
        "digits_requested": digits,
        "digits_meaning": "x is printed with the requested digits; 'digits' of every entry are certified by two "
                          f"independent solves (dps {res.dps_check} vs {res.dps}); entries below 'floor' carry "
                          "them at the scale floor",
        "floor": mpmath.nstr(res.floor, 10),
        "residual": mpmath.nstr(res.residual, 10),
        "nu": [mpmath.nstr(v, digits) for v in res.nu],
        "dps": res.dps,
        "iterations": res.iterations,
    })
    text = "\n".join(f"x[{i}] = {v}" for i, v in enumerate(obj["x"]))
    text += (f"\ndepth {obj['depth']}, alpha {args.alpha} ({args.alpha_convention} convention), "
             f"{res.digits} digits certified, residual {obj['residual']}")
    emit(obj, args.json, text)
    return 0


def run_flow(args) -> int:
    from implicitreg.numerics.flow import full_flow, reduced_flow
    from implicitreg.numerics.instance import Instance
    from implicitreg.numerics.exact import parse_exact

    digits = _digits(args.digits)
    if digits < 8:
        raise InvalidParameterError("flow needs --digits >= 8")
    inst = Instance.load(args.instance)
    tol = None
    if args.tol is not None:
        try:
            tol = parse_exact(args.tol, "--tol")
        except ValueError as exc:
            raise InvalidParameterError(str(exc)) from None
        if tol <= 0:
            raise InvalidParameterError("--tol must be > 0")
        tol = mpmath.mpf(tol.numerator) / tol.denominator
    until = args.t_final is None or args.until_converged
    flow = full_flow if args.full else reduced_flow
    res = flow(inst, args.depth, args.alpha, alpha_convention=args.alpha_convention, t_final=args.t_final,
               until_converged=until, tol=tol, dps=digits, method=args.method, progress=True)
    n = min(digits, 30)
    if args.format == "json":
        obj = _head(res, args.depth, args.alpha)
        obj.update({
            "kind": res.kind, "method": res.method, "dps": res.dps, "converged": res.converged,
            "tol": mpmath.nstr(res.tol, 5), "nsteps": res.nsteps, "nfev": res.nfev, "message": res.message,
            "t": [mpmath.nstr(v, n) for v in res.t],
            "x": [[mpmath.nstr(v, n) for v in x] for x in res.x],
            "residual": [mpmath.nstr(v, 10) for v in res.residual],
            "loss": [mpmath.nstr(v, 10) for v in res.loss],
        })
        buf = io.StringIO()
        emit(obj, True, out=buf)
        text = buf.getvalue()
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["t"] + [f"x{i}" for i in range(inst.N)] + ["residual", "loss"])
        for t, x, r, l in zip(res.t, res.x, res.residual, res.loss):
            w.writerow([mpmath.nstr(t, n)] + [mpmath.nstr(v, n) for v in x]
                       + [mpmath.nstr(r, 10), mpmath.nstr(l, 10)])
        text = buf.getvalue()
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise InvalidParameterError(f"cannot write {args.out!r}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0
