"""Helpers shared by the CLI tests (tests/test_hard_front_cli.py, tests/test_attack_inputs.py)."""
from __future__ import annotations

import json


def write(tmp_path, obj, name="inst.json"):
    """``obj`` written as JSON to ``tmp_path / name``; the path as a string (a CLI argument)."""
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return str(p)


def one_error_line(capsys, command: str, *, bare: bool = False) -> str:
    """The one stderr line of a refused ``implicitreg COMMAND`` ("implicitreg COMMAND: error: ..."; with ``bare``
    also the parser's "implicitreg: error: ...")."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    prefixes = (f"implicitreg {command}: error: ",) + (("implicitreg: error: ",) if bare else ())
    assert lines[0].startswith(prefixes), lines[0]
    return lines[0]
