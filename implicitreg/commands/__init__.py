"""Subcommands of the ``implicitreg`` CLI, one module each, plus shared option helpers.

Each command parses its options, calls :mod:`implicitreg.api` and prints the result: a short text by default,
the result's ``to_json()`` (schema: ``docs/schema.md``) with ``--json``.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from implicitreg.errors import InvalidParameterError

INSTANCE_FORMATS = ("FILE: JSON {\"A\": rows, \"y\": list} (exact entries: integers, decimal strings, 'p/q'; JSON "
                    "numbers read as their decimal text), .npz with arrays A and y, or .npy/.csv holding the "
                    "augmented matrix [A | y] (last column y). Floats in .npy/.npz are read as their shortest "
                    "decimal repr")


def add_instance_option(parser, matrix: str = "A") -> None:
    text = INSTANCE_FORMATS if matrix == "A" else INSTANCE_FORMATS.replace("\"A\"", "\"X\"").replace(
        "arrays A", "arrays X").replace("[A | y]", "[X | y]")
    parser.add_argument("--instance", required=True, metavar="FILE", help=f"(required) {text}")


def add_json_option(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout (docs/schema.md)")


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
