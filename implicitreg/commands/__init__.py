"""Subcommands of the ``implicitreg`` CLI, one module each, plus shared option helpers."""
from __future__ import annotations

import json
import sys
from typing import Any

from implicitreg.errors import InvalidParameterError


def add_instance_option(parser) -> None:
    parser.add_argument("--instance", required=True, metavar="FILE",
                        help="JSON instance file (exact entries: ints, decimal strings, 'p/q', JSON numbers)")


def add_json_option(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


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
