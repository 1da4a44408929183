"""``implicitreg verify``: run every stated theorem on built-in instances and print the verdicts."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.proofs.verify import suite_names

    names = ", ".join(suite_names())
    p = sub.add_parser(
        "verify", help="run every stated theorem on built-in instances; a table of verdicts",
        description="Run every stated theorem on built-in instances. Prints a summary per theorem, then one row "
                    "per check (theorem, instance, depth, result, obs/bound = observed / bound). Exit status 1 when "
                    f"a check fails. Suites: {names}. Statements: docs/theory/.")
    p.add_argument("--thorough", action="store_true", help="more instances, finer alpha grids (slower)")
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
    p.set_defaults(func=_run, output="table")


def _run(args) -> int:
    import shutil
    import sys

    from implicitreg.proofs.verify import main, resolve_suites

    resolve_suites(args.only)  # an unknown suite is an error before any work
    width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    return main(thorough=args.thorough, only=args.only, certify=args.certify, output=args.output,
                width=max(60, width), progress=True)
