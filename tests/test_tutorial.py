"""docs/tutorial.md is a doctest: every capability of the Python API on numpy arrays, checked against
independent values."""
from __future__ import annotations

import doctest
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def test_tutorial_runs():
    result = doctest.testfile(str(TUTORIAL), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False,
                              raise_on_error=False, report=True)
    assert result.attempted > 30
    assert result.failed == 0, f"{result.failed} of {result.attempted} tutorial examples failed (see the output)"
