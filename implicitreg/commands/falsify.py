"""``implicitreg falsify``: attack a conjectured bound; a counterexample comes with a refutation certificate.

Exit status: 0 when the conjecture survived the search, 1 when it was refuted, 2 on bad input (one line on stderr).
"""
from __future__ import annotations

import sys


def register(sub) -> None:
    from implicitreg.commands import add_alpha_convention_option, add_command, add_depth_option, add_flag

    p = add_command(sub, "falsify", _run, json_option=False)
    p.add_argument("--lhs", metavar="QUANTITY", help="the observed quantity the bound is about (err_l1, err_l2, "
                   "err_inf, gap, dist_sel, ...; deep linear: sharpness; see --list-quantities)")
    p.add_argument("--bound", metavar="EXPR", help="the conjectured bound, e.g. \"2*alpha**(1-rho)\" (+ - * / **, "
                   "exp, log, sqrt, sinh, cosh, tanh, asinh, Abs, Min, Max, E, pi; exact decimals)")
    p.add_argument("--side", choices=("upper", "lower"), default="upper",
                   help="upper: lhs <= bound is conjectured (default); lower: lhs >= bound")
    add_depth_option(p, "either", required=False, default="2", note=" (lhs sharpness, S_min, S_bal); default 2")
    p.add_argument("--alpha-range", default="1e-30:1e-2", metavar="LO:HI", help="initialization scales searched")
    add_alpha_convention_option(p, note="alpha = u(0)^D (product, default) or u(0) (factor); the bound's alpha is "
                                        "in this convention")
    p.add_argument("--family", default="gaussian",
                   choices=("integer", "rational", "gaussian", "near-nonunique", "mixed"),
                   help="entries of A: small integers, small rationals, Gaussian (two decimals), near non-uniqueness")
    p.add_argument("--m", default="1:3", metavar="LO:HI", help="rows of A searched (deep linear: samples n of X)")
    p.add_argument("--N", default="2:6", metavar="LO:HI", help="columns of A searched (deep linear: features d)")
    p.add_argument("--budget", type=int, default=200, metavar="N", help="evaluations of the Hypothesis phase")
    add_flag(p, "--thorough", "a deep search: ten times the budget")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="the search is deterministic for a seed")
    p.add_argument("--assume", action="append", default=[], metavar="HYPOTHESIS",
                   help="a hypothesis instances must meet, by its statement name ('rho > 0', 'D > 2', 'rho_a < 1', "
                        "'alpha^2 < 1'); x* unique and nonzero are always assumed")
    p.add_argument("--certificate", metavar="FILE", help="write the refutation certificate here (if refuted)")
    add_flag(p, "--json", "print one JSON object on stdout")
    add_flag(p, "--list-quantities", "print the named quantities and exit")


def _run(args) -> int:
    """search for a counterexample to a bound written over named quantities

    Attack a conjectured bound written over named quantities (--list-quantities): a Hypothesis search over exact
    instances, then a local search and a shrink; a counterexample becomes a refutation certificate that `implicitreg
    check` verifies. Exit status 1: refuted, 0: survived, 2: bad input.
    """
    from implicitreg.errors import InvalidParameterError

    if args.list_quantities:
        return _list(args.json)
    if not args.lhs or not args.bound:
        raise InvalidParameterError("give --lhs and --bound (or --list-quantities)")
    from implicitreg.proofs.falsify import falsify

    budget = args.budget * (10 if args.thorough else 1)
    res = falsify(args.lhs, args.bound, depth=args.depth, alpha_range=args.alpha_range,
                  alpha_convention=args.alpha_convention, family=args.family, m=args.m, N=args.N, budget=budget,
                  seed=args.seed, side=args.side, assume=args.assume)
    written = None
    if args.certificate and res.certificate is not None:
        from pathlib import Path

        from implicitreg.proofs.certify import dumps

        try:
            Path(args.certificate).write_text(dumps(res.certificate), encoding="utf-8")
        except OSError as exc:
            raise InvalidParameterError(f"cannot write {args.certificate!r}: {exc.strerror}") from None
        written = args.certificate
    if args.json:
        import json

        from implicitreg.schema import envelope

        json.dump(envelope("falsify", res.to_json()), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(res.summary() + "\n")
        if written:
            sys.stdout.write(f"  refutation certificate: {written} (verify with `implicitreg check {written}`)\n")
        elif res.refuted and res.certificate is None:
            sys.stdout.write("  (no certificate written" + ("" if args.certificate else ": use --certificate FILE")
                             + ")\n")
    return 1 if res.refuted else 0


def _list(as_json: bool) -> int:
    from implicitreg.theory.quantities import QUANTITIES

    if as_json:
        import json

        from implicitreg.schema import envelope

        json.dump(envelope("falsify-quantities", {"quantities": [q.to_json() for q in QUANTITIES.values()]}),
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max(len(n) for n in QUANTITIES) + 2
    for name, q in QUANTITIES.items():
        alias = f" (alias {', '.join(q.aliases)})" if q.aliases else ""
        sys.stdout.write(f"{name.ljust(width)}[{q.problem}, {q.scope}, {q.provenance.kind}] {q.definition}{alias}\n")
    return 0
