"""``implicitreg limit`` (the certified gradient-flow limit) and ``implicitreg flow`` (the trajectory)."""
from __future__ import annotations

import csv
import io
import sys

from implicitreg.commands import (add_alpha_convention_option, add_command, add_depth_option, add_digits_option,
                                  add_flag, emit, progress_wanted)


def _diagonal_run(sub, name: str, run, *, json_option: bool = True):
    """The options of a run of a diagonal network: instance (A, y), depth D, alpha and its convention."""
    p = add_command(sub, name, run, instance="A", json_option=json_option)
    add_depth_option(p)
    p.add_argument("--alpha", required=True, metavar="A",
                   help="(required) initialization scale > 0, read exactly ('1e-30', '1/8')")
    add_alpha_convention_option(p)
    return p


def register(sub) -> None:
    p = _diagonal_run(sub, "limit", run_limit)
    add_digits_option(p, "30", "significant digits to certify, 1..5000 (default 30); JSON: digits_requested, and "
                               "digits_certified (proved, >= N)")

    q = _diagonal_run(sub, "flow", run_flow, json_option=False)
    q.add_argument("--t-final", metavar="T", help="integrate up to time T")
    add_flag(q, "--until-converged", "integrate until ||A x - y||_inf <= tol (the default without --t-final; with "
                                     "--t-final, not converging by T is an error)")
    add_flag(q, "--full", "integrate the full (u, v) flow instead of the reduced one")
    add_digits_option(q, "30", "working precision in digits, 8..1000 (default 30)")
    q.add_argument("--method", default="radau13",
                   help="radau13 (Radau IIA order 13, default: few steps at 20+ digits), radau9, radau (order 5), "
                        "rk45 (explicit; slow on stiff flows)")
    q.add_argument("--tol", metavar="TOL", help="convergence tolerance on ||A x - y||_inf (default 10^-(N-8))")
    q.add_argument("--max-steps", default="20000", metavar="N",
                   help="step budget (default 20000): beyond it the flow stops with a message saying what to change")
    q.add_argument("--time-budget", metavar="SECONDS",
                   help="wall-clock budget: beyond it the flow stops with a message saying what to change")
    q.add_argument("--format", choices=("json", "csv"), default="json", help="output format (default json)")
    q.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    q.add_argument("--out", metavar="FILE", help="write the trajectory to FILE instead of stdout")


def _int(text: str, name: str) -> int:
    from implicitreg.errors import InvalidParameterError

    try:
        return int(str(text).strip())
    except ValueError:
        raise InvalidParameterError(f"{name} must be an integer, got {str(text)[:40]!r}") from None


def run_limit(args) -> int:
    """certified high-precision gradient-flow limit x_inf(alpha) of a depth-D network

    The limit x_inf(alpha) of gradient flow of a depth-D diagonal linear network (x = u^D - v^D, u(0) = v(0)) on
    1/2 ||A x - y||^2, by the dual Newton solve; the digits are certified by an independent re-solve at twice the
    precision. Theory: docs/theory/dln.md.
    """
    from implicitreg import api

    digits = _int(args.digits, "--digits")
    res = api.gradient_flow_limit(api.load_instance(args.instance), depth=args.depth, alpha=args.alpha,
                                  alpha_convention=args.alpha_convention, digits=digits)
    obj = res.to_json()
    text = "\n".join(f"x[{i}] = {v}" for i, v in enumerate(obj["x"]))
    text += (f"\ndepth {obj['depth']}, alpha {args.alpha} ({args.alpha_convention} convention), "
             f"{res.digits_certified} digits certified, residual {obj['residual']}")
    emit(obj, args.json, text)
    return 0


def run_flow(args) -> int:
    """integrate the gradient flow (reduced m-dim or full 2N-dim) in mpmath

    Integrate the gradient flow of a depth-D diagonal network in mpmath (reduced m-dim dual flow, or --full 2N-dim
    (u, v) flow) with an implicit Radau IIA scheme. A step budget (--max-steps) stops long runs with advice. Theory:
    docs/theory/dln.md.
    """
    from implicitreg import api

    digits = _int(args.digits, "--digits")
    max_steps = _int(args.max_steps, "--max-steps")
    inst = api.load_instance(args.instance)
    res = api.gradient_flow(inst, depth=args.depth, alpha=args.alpha, alpha_convention=args.alpha_convention,
                            t_final=args.t_final, until_converged=(args.t_final is None or args.until_converged),
                            full=args.full, digits=digits, method=args.method, tol=args.tol, max_steps=max_steps,
                            time_budget=args.time_budget, progress=progress_wanted())
    if args.format == "json":
        buf = io.StringIO()
        emit(res.to_json(digits), True, out=buf)
        text = buf.getvalue()
    else:
        from implicitreg.schema import number_string as ns

        n = min(digits, 30)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["t"] + [f"x{i}" for i in range(inst.N)] + ["residual", "loss"])
        for t, x, r, l in zip(res.t, res.x_t, res.residual_t, res.loss_t):
            w.writerow([ns(t, n)] + [ns(v, n) for v in x] + [ns(r, 10), ns(l, 10)])
        text = buf.getvalue()
    if args.out:
        api.write_text_file(args.out, text)
    else:
        sys.stdout.write(text)
    return 0
