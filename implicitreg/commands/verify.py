"""``implicitreg verify``: run every stated theorem on built-in instances and print the verdicts.

With ``--instance FILE`` every statement is decided on the user's instance instead (proofs/instance_verify.py).
"""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.proofs.verify import suite_names

    names = ", ".join(suite_names())
    from implicitreg.commands import add_alpha_convention_option, add_command, add_depth_option, add_flag

    p = add_command(
        sub, "verify", _run, json_option=False,
        help="run every stated theorem on built-in instances (or on --instance FILE); a table of verdicts",
        description="Run every stated theorem on built-in instances (or decide each on --instance FILE). Prints a "
                    "summary per theorem, then one row per check (theorem, instance, depth, result, obs/bound = "
                    f"observed / bound). Exit status 1 when a check fails. Suites: {names}. Statements: "
                    "docs/theory/.")
    add_flag(p, "--thorough", "more instances, finer alpha grids (slower)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--wide", action="store_const", dest="output", const="wide",
                     help="every column: provenance, alpha range, observed, bound, margin, slopes, notes")
    fmt.add_argument("--csv", action="store_const", dest="output", const="csv", help="CSV of the verdicts (numbers)")
    fmt.add_argument("--json", action="store_const", dest="output", const="json",
                     help="one JSON object (docs/schema.md)")
    p.add_argument("--only", metavar="SUITE[,SUITE]",
                   help=f"run only these suites (a part of a name selects every suite containing it): {names}; "
                        "'none' runs no suite (with --certify: only write the certificates)")
    p.add_argument("--certify", metavar="DIR", help="also write the tightness certificates into DIR")
    p.add_argument("--workers", type=int, metavar="N",
                   help="run the suites on a Dask LocalCluster of N worker processes (1: in this process; default: "
                        "1, and one per core with --thorough)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the suites on an existing Dask cluster (tcp://HOST:8786; docs/sweeps.md)")
    p.add_argument("--instance", metavar="FILE", help="decide every theorem on this instance ({'A', 'y'} for "
                   "diagonal networks, {'X', 'y'} for deep linear networks; exact entries)")
    add_depth_option(p, "either", required=False, nargs="+", note="; with --instance: the depths (default 2 3)")
    p.add_argument("--alpha-range", metavar="LO:HI", help="with --instance: initialization scales (default "
                   "1e-30:1e-4; for deep linear networks the init scale s, default 1/100:1/10)")
    add_alpha_convention_option(p, note="with --instance: alpha = u(0)^D (product, default) or u(0) (factor)")
    p.set_defaults(output="table")


def _run(args) -> int:
    import shutil
    import sys
    from pathlib import Path

    if args.certify is not None and Path(args.certify).exists() and not Path(args.certify).is_dir():
        from implicitreg.errors import InvalidParameterError  # refused before any work, not after the suites ran

        raise InvalidParameterError(f"the certificate directory {args.certify!r} exists and is not a directory")
    if args.instance:
        from implicitreg.errors import InvalidParameterError
        from implicitreg.proofs.instance_verify import main as instance_main

        if args.only or args.thorough or args.workers is not None or args.scheduler:
            raise InvalidParameterError("--only, --thorough, --workers and --scheduler apply to the built-in suites, "
                                        "not to --instance")
        return instance_main(args.instance, depths=args.depth, alpha_range=args.alpha_range,
                             alpha_convention=args.alpha_convention, as_json=(args.output == "json"),
                             certify=args.certify, wide=(args.output == "wide"), csv=(args.output == "csv"))
    import os

    from implicitreg.errors import InvalidParameterError
    from implicitreg.proofs.verify import main, resolve_suites

    resolve_suites(args.only)  # an unknown suite is an error before any work
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise InvalidParameterError("--workers must be in [1, 1024]")
    if args.workers is not None and args.scheduler:
        raise InvalidParameterError("--workers (a LocalCluster) and --scheduler (an existing cluster) exclude each "
                                    "other")
    workers = args.workers
    if workers is None and args.thorough and not args.scheduler:
        workers = os.cpu_count() or 1  # the thorough grid is large: one worker process per core
    width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    return main(thorough=args.thorough, only=args.only, certify=args.certify, output=args.output,
                width=max(60, width), progress=True, workers=workers, scheduler=args.scheduler)
