"""Subcommands of the ``implicitreg`` CLI, one module each, plus shared option helpers.

Each command parses its options, calls :mod:`implicitreg.api` and prints the result: a short text by default,
the result's ``to_json()`` (schema: ``docs/schema.md``) with ``--json``.
"""
from __future__ import annotations

import inspect
import json
import sys
from typing import Any

from implicitreg.errors import InvalidParameterError

INSTANCE_FORMATS = ("FILE: JSON {\"A\": rows, \"y\": list} (exact entries: integers, decimal strings, 'p/q'; JSON "
                    "numbers read as their decimal text), .npz with arrays A and y, or .npy/.csv holding the "
                    "augmented matrix [A | y] (last column y). Floats in .npy/.npz are read as their shortest "
                    "decimal repr")


def add_command(sub, name: str, run, *, help: str | None = None, description: str | None = None,
                instance: str | None = None, json_option: bool = True):
    """The parser of subcommand ``name`` running ``run(args)``; ``instance`` ("A" or "X") adds ``--instance FILE``
    and ``json_option`` adds ``--json`` (the options every command shares).

    The help line and the description are, unless given, the first line and the rest of ``run``'s docstring: the
    function that runs a command documents it.
    """
    if help is None or description is None:
        first, _, rest = inspect.getdoc(run).partition("\n\n")
        help = help or " ".join(first.split())
        description = description or " ".join(rest.split())
    parser = sub.add_parser(name, help=help, description=description)
    if instance is not None:
        add_instance_option(parser, matrix=instance)
    if json_option:
        add_json_option(parser)
    parser.set_defaults(func=run)
    return parser


def add_instance_option(parser, matrix: str = "A", required: bool = True, text: str | None = None) -> None:
    if text is None:
        text = INSTANCE_FORMATS if matrix == "A" else INSTANCE_FORMATS.replace("\"A\"", "\"X\"").replace(
            "arrays A", "arrays X").replace("[A | y]", "[X | y]")
    parser.add_argument("--instance", required=required, metavar="FILE", help=f"(required) {text}" if required
                        else text)


def add_json_option(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout (docs/schema.md)")


#: ``--depth`` by the network it is the depth of: its metavar and meaning (names: docs/theory/README.md)
DEPTH = {
    "diagonal": ("D", "real depth D of the diagonal network, 2 <= D <= 10000 ('2', '5/2', '2.5')"),
    "deep-linear": ("L", "number L of trained layers of the deep linear network, 2..1000"),
    "either": ("D|L", "depth D of the diagonal network (real: '2.5' or '5/2'), or the integer number L of layers "
                      "of a deep linear network"),
}


def add_depth_option(parser, network: str = "diagonal", *, required: bool = True, note: str = "", **kwargs) -> None:
    """``--depth``, the one name of the depth on the command line, whatever the network (``network``: diagonal,
    deep-linear or either); ``note`` is appended to the help, ``kwargs`` (default, nargs) go to argparse."""
    metavar, meaning = DEPTH[network]
    parser.add_argument("--depth", required=required, metavar=metavar,
                        help=("(required) " if required else "") + meaning + note, **kwargs)


def add_alpha_convention_option(parser, default: str | None = "product", note: str = "") -> None:
    text = note or ("'product': u(0)^D = alpha (default); 'factor': u(0) = alpha, product scale alpha^D "
                    "(docs/theory/README.md)")
    parser.add_argument("--alpha-convention", choices=("product", "factor"), default=default, help=text)


def add_digits_option(parser, default: str, text: str) -> None:
    parser.add_argument("--digits", default=default, metavar="N", help=text)


def add_flag(parser, name: str, text: str) -> None:
    """A boolean option (``--list``, ``--quick``, ``--thorough``, ...)."""
    parser.add_argument(name, action="store_true", help=text)


def emit(obj: Any, as_json: bool, text: str | None = None, out=None) -> None:
    out = out or sys.stdout
    if as_json or text is None:
        json.dump(obj, out, indent=2)
        out.write("\n")
    else:
        out.write(text.rstrip("\n") + "\n")


def parse_positive_decimal(value: str, name: str):
    """An exact positive number from the command line (``1e-30``, ``3/7``, ``0.1``)."""
    from implicitreg.numerics.exact import parse_exact

    try:
        q = parse_exact(value, name)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None
    if q <= 0:
        raise InvalidParameterError(f"{name} must be > 0, got {value}")
    return q


def progress_wanted() -> bool:
    """Progress bars go to stderr, and only when it is a terminal."""
    return sys.stderr.isatty()
