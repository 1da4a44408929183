"""The ``implicitreg`` command line: thin glue over numerics, theory and proofs.

Every subcommand lives in a module of :mod:`implicitreg.commands` exposing ``register(subparsers)``.
Errors the user can cause (:class:`~implicitreg.errors.ImplicitRegError`, bad arguments) print one line
on stderr and exit with status 2; nothing else is caught.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from implicitreg import __version__
from implicitreg.errors import ImplicitRegError

COMMAND_MODULES = (
    "implicitreg.commands.basis_pursuit",
    "implicitreg.commands.verify",
    "implicitreg.commands.limit",
    "implicitreg.commands.reproduce",
    "implicitreg.commands.select",
    "implicitreg.commands.certify",
    "implicitreg.commands.sharpness",
    "implicitreg.commands.sweep",
    "implicitreg.commands.falsify",
)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message):  # noqa: D102 - argparse API
        sys.stderr.write(f"implicitreg: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="implicitreg",
        description="Verify theorems on the implicit regularization of gradient flow; write and check tightness certificates.")
    parser.add_argument("--version", action="version", version=f"implicitreg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineArgumentParser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImplicitRegError as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"implicitreg {args.command}: error: {message}\n")
        return 2
    except BrokenPipeError:
        # the reader of stdout went away (``implicitreg l1 ... | head``): not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("implicitreg: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
