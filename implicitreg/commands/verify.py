"""``implicitreg verify``: run every stated theorem on built-in instances and print the verdict table."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("verify", help="run every stated theorem on built-in instances; table of verdicts")
    p.add_argument("--thorough", action="store_true", help="more instances, finer alpha grids (slower)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--only", metavar="SUITE", help="run only the suites whose name contains SUITE")
    p.add_argument("--certify", metavar="DIR", help="also write the tightness certificates into DIR")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from implicitreg.proofs.verify import main

    return main(thorough=args.thorough, as_json=args.json, only=args.only, certify=args.certify)
