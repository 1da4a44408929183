"""``implicitreg verify``: run every stated theorem on built-in instances and print the verdict table.

With ``--instance FILE`` every statement is decided on the user's instance instead (proofs/instance_verify.py).
"""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("verify", help="run every stated theorem on built-in instances (or on --instance FILE); "
                                      "table of verdicts")
    p.add_argument("--thorough", action="store_true", help="more instances, finer alpha grids (slower)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--only", metavar="SUITE", help="run only the suites whose name contains SUITE")
    p.add_argument("--certify", metavar="DIR", help="also write the tightness certificates into DIR")
    p.add_argument("--instance", metavar="FILE", help="decide every theorem on this instance ({'A', 'y'} for "
                   "diagonal networks, {'X', 'y'} for deep linear networks; exact entries)")
    p.add_argument("--depth", nargs="+", metavar="D", help="with --instance: depths (default 2 3; real D allowed "
                   "for diagonal networks)")
    p.add_argument("--alpha-range", metavar="LO:HI", help="with --instance: initialization scales (default "
                   "1e-30:1e-4; for deep linear networks the init scale s, default 1/100:1/10)")
    p.add_argument("--alpha-convention", choices=("product", "factor"), default="product",
                   help="with --instance: alpha = u(0)^D (product, default) or u(0) (factor)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if args.instance:
        from implicitreg.errors import InvalidParameterError
        from implicitreg.proofs.instance_verify import main as instance_main

        if args.only or args.thorough:
            raise InvalidParameterError("--only and --thorough apply to the built-in suites, not to --instance")
        return instance_main(args.instance, depths=args.depth, alpha_range=args.alpha_range,
                             alpha_convention=args.alpha_convention, as_json=args.json, certify=args.certify)
    from implicitreg.proofs.verify import main

    return main(thorough=args.thorough, as_json=args.json, only=args.only, certify=args.certify)
