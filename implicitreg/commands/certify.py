"""``implicitreg certify`` (write a tightness certificate) and ``implicitreg check`` (verify certificates).

``check`` runs the standalone checker (:mod:`implicitreg.proofs.checker`, standard library + mpmath; SymPy for
symbolic limits): it prints what was verified and exits 1 when any certificate fails, naming the failing field,
and 2 (one line on stderr per file) when a file is not a readable certificate at all (missing, size, encoding, JSON,
limits). With ``--json`` the same statuses: such a file is bad input (one line on stderr naming the first one, no
JSON object), a certificate read and rejected is ``accepted: false`` in the JSON object and exit 1.
"""
from __future__ import annotations

import sys


def register(sub) -> None:
    from implicitreg.commands import add_alpha_convention_option, add_command, add_depth_option, add_flag

    p = add_command(sub, "certify", _certify)
    p.add_argument("--instance", required=True, metavar="FILE",
                   help="(required) JSON instance: {'A', 'y'} for MS-D2/MS-D3/kink, {'X', 'y'} for MC-LB (exact entries)")
    p.add_argument("--theorem", required=True, choices=("MS-D2", "MS-D3", "kink", "MC-LB"),
                   help="(required) MS-D2 / MS-D3: error bounds of depth-2 / depth-D diagonal networks; kink: the "
                        "kink family near non-uniqueness; MC-LB: the deep-linear sharpness lower bound "
                        "(docs/theory/)")
    add_depth_option(p, "either", note=" (MC-LB)")
    p.add_argument("--alpha", nargs="+", metavar="A", help="initialization scales (diagonal networks)")
    add_alpha_convention_option(p, default=None, note="alpha = u(0)^D (product; default for MS) or u(0) (factor; "
                                                      "default for kink)")
    add_flag(p, "--no-symbolic", "omit the SymPy limit section")
    p.add_argument("--out", required=True, metavar="FILE", help="(required) where to write the certificate")

    c = add_command(sub, "check", _check)
    c.add_argument("files", nargs="+", metavar="FILE")
    add_flag(c, "--no-sympy", "skip the SymPy re-check of limits (a certificate with a limit then FAILS)")
    c.add_argument("--time-limit", metavar="SECONDS",
                   help="wall-clock budget per certificate (default 25; 0.01 to 86400): slower checking is refused")


def _certify(args) -> int:
    """write a tightness certificate (JSON) that `implicitreg check` verifies

    Write a tightness certificate: a JSON file that `implicitreg check` verifies without implicitreg's producing
    code. Format: docs/certificates.md.
    """
    from implicitreg.errors import InvalidParameterError

    try:
        return _certify_inner(args)
    except UnicodeDecodeError as exc:
        raise InvalidParameterError(f"{args.instance!r} is not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise InvalidParameterError(f"{args.instance!r} is nested too deeply") from None


def _certify_inner(args) -> int:
    from pathlib import Path

    from implicitreg.commands import parse_positive_decimal
    from implicitreg.errors import InvalidParameterError
    from implicitreg.numerics.instance import Instance, read_json_file
    from implicitreg.progress import activity
    from implicitreg.proofs import certify

    if args.theorem == "MC-LB":
        try:
            if not (args.depth.isascii() and args.depth.isdigit() and len(args.depth) <= 4):
                raise ValueError(args.depth)
            L = int(args.depth)
        except ValueError:
            raise InvalidParameterError(f"MC-LB needs an integer depth L, got {args.depth!r}") from None
        data = read_json_file(args.instance)
        if not isinstance(data, dict) or "X" not in data or "y" not in data:
            raise InvalidParameterError("MC-LB needs an instance with keys 'X' and 'y'")
        with activity(f"certify {args.theorem}"):  # progress on stderr when it is a terminal
            cert = certify.deep_linear_certificate(data["X"], data["y"], L)
    else:
        if not args.alpha:
            raise InvalidParameterError(f"{args.theorem} needs --alpha")
        alphas = [parse_positive_decimal(a, "alpha") for a in args.alpha]
        with activity(f"certify {args.theorem}"):  # progress on stderr when it is a terminal
            cert = certify.diagonal_certificate(Instance.load(args.instance), args.depth, alphas,
                                                theorem=args.theorem, alpha_convention=args.alpha_convention,
                                                symbolic=not args.no_symbolic)
    try:
        Path(args.out).write_text(certify.dumps(cert), encoding="utf-8")
    except OSError as exc:
        raise InvalidParameterError(f"cannot write {args.out!r}: {exc.strerror}") from None
    if getattr(args, "json", False):
        import json

        from implicitreg.api import CertificateWritten

        sys.stdout.write(json.dumps(CertificateWritten(cert, args.out).to_json(), indent=2) + "\n")
        return 0
    sys.stdout.write(f"wrote {args.out} ({cert['theorem']['name']}, sha256 {cert['sha256'][:16]}...)\n")
    return 0


def _check(args) -> int:
    """verify certificates with the standalone checker (no implicitreg code)

    Verify certificates with the standalone checker, which imports none of the code that produced them. Exit status
    1 when any certificate fails, 2 when a file is not a readable certificate (one line on stderr).
    """
    use_sympy = False if args.no_sympy else None
    if getattr(args, "json", False):
        import json

        from implicitreg.api import check

        # a file that is not a readable certificate raises CertificateError: one line on stderr, exit 2, no JSON
        result = check(*args.files, use_sympy=use_sympy, time_limit=args.time_limit)
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return 0 if result.passed else 1
    from implicitreg.proofs.checker.check import TIME_LIMIT, report_files

    # the parsed options go to the checker as values, never re-parsed: a file named "--no-sympy" is a file
    time_limit = TIME_LIMIT if args.time_limit is None else _time_limit(args.time_limit)
    return report_files(args.files, use_sympy=use_sympy, time_limit=time_limit)


def _time_limit(text) -> float:
    """The ``--time-limit`` option checked here, so a bad value is the CLI's one-line error (exit 2)."""
    from implicitreg.errors import InvalidParameterError
    from implicitreg.proofs.checker.check import time_limit_value

    try:
        return time_limit_value(text)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None
