"""Reading certificate bytes as JSON without letting the file choose the cost (standard library only).

Before ``json`` sees the text: the file size is at most :data:`MAX_FILE_BYTES`, the text is strict UTF-8, and a
linear pre-scan (outside strings) bounds the nesting depth of ``[`` / ``{`` by :data:`MAX_NESTING`, the length
of every string by :data:`MAX_STRING_CHARS` and of every bare number by :data:`MAX_NUMBER_CHARS`. ``json``
then runs with hooks that refuse duplicate keys (the hash would cover the last one, a first-key reader sees
another), floats, NaN / Infinity, and integers longer than :data:`MAX_NUMBER_CHARS` digits. The pre-scan and
``json`` are linear in the size, so reading costs O(file size) time and memory.
"""
from __future__ import annotations

from .interval import CheckFailure

MAX_FILE_BYTES = 512 * 1024
MAX_NESTING = 16
MAX_STRING_CHARS = 8000
MAX_NUMBER_CHARS = 12


class InputError(CheckFailure):
    """The bytes are not a readable certificate at all (size, encoding, JSON syntax, limits)."""


def _prescan(text: str) -> None:
    depth = 0
    in_string = False
    escape = False
    start = 0
    run = 0  # length of the current bare token (number / literal)
    for i, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
                if i - start - 1 > MAX_STRING_CHARS:  # the characters between the quotes, escapes as written
                    raise InputError("(json)", f"a string of {i - start - 1} characters at offset {start} "
                                               f"(limit {MAX_STRING_CHARS})")
            continue
        if ch == '"':
            in_string, start, run = True, i, 0
        elif ch in "[{":
            depth += 1
            run = 0
            if depth > MAX_NESTING:
                raise InputError("(json)", f"nesting deeper than {MAX_NESTING} levels at offset {i}")
        elif ch in "]}":
            depth -= 1
            run = 0
        elif ch in ",: \t\r\n":
            run = 0
        else:
            run += 1
            if run > MAX_NUMBER_CHARS:
                raise InputError("(json)", f"a bare value longer than {MAX_NUMBER_CHARS} characters at offset "
                                           f"{i - run + 1} (numbers are strings in a certificate)")
    if in_string and len(text) - start - 1 > MAX_STRING_CHARS:
        raise InputError("(json)", f"a string of more than {MAX_STRING_CHARS} characters")


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise InputError("(json)", f"duplicate key {key[:40]!r} in one object")
        out[key] = value
    return out


def _no_float(text):
    raise InputError("(json)", f"bare JSON number {text[:20]} (certificates store numbers as strings)")


def _no_constant(text):
    raise InputError("(json)", f"{text} is not allowed")


def _small_int(text):
    if len(text) > MAX_NUMBER_CHARS:  # pragma: no cover - the pre-scan refuses it first
        raise InputError("(json)", f"integer of {len(text)} digits")
    return int(text)


def loads(data) -> object:
    """Parse certificate bytes (or text) under the limits above; raise :class:`InputError` naming the problem."""
    import json

    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_FILE_BYTES:
            raise InputError("(file)", f"{len(data)} bytes (limit {MAX_FILE_BYTES})")
        try:
            text = bytes(data).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise InputError("(file)", f"not UTF-8 (byte {exc.start})") from None
    elif isinstance(data, str):
        text = data
        if len(text) > MAX_FILE_BYTES:
            raise InputError("(file)", f"{len(text)} characters (limit {MAX_FILE_BYTES})")
    else:
        raise InputError("(file)", f"expected bytes or text, got {type(data).__name__}")
    _prescan(text)
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float, parse_constant=_no_constant,
                          parse_int=_small_int)
    except json.JSONDecodeError as exc:
        raise InputError("(json)", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # pragma: no cover - the pre-scan bounds the depth far below the recursion limit
        raise InputError("(json)", "nesting too deep") from None
