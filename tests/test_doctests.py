"""The identity-checking examples in the docstrings (mpmath's habit: H_D' = h_D, h_2 = 2 sinh, exact exponents,
q_p(h_p(t)) = t h_p(t) - H_p(t), the flint and mpmath forms agreeing) are run here with ``doctest.testmod``
(``--doctest-modules`` would import the package rooms twice under the package-dir mapping)."""
from __future__ import annotations

import doctest
import importlib

import mpmath
import pytest

MODULES = [
    "implicitreg.api",
    "implicitreg.theory.potentials",
    "implicitreg.theory.statement",
    "implicitreg.theory.diagonal",
    "implicitreg.numerics.potentials",
    "implicitreg.numerics._flint_link",
    "implicitreg.numerics.precision",
    "implicitreg.numerics.limit",
    "implicitreg.numerics.lp_exact",
    "implicitreg.numerics.golden_section",
    "implicitreg.numerics._result",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    # mpmath's default precision, as in mpmath's own doctests, whatever precision the process is at
    with mpmath.workdps(15):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring examples"


def test_a_wrong_identity_in_a_docstring_fails():
    """The runner can fail: a docstring claiming h_2 = 2 cosh is reported."""
    import types

    fake = types.ModuleType("fake_potentials")
    fake.__doc__ = """
    >>> import sympy
    >>> from implicitreg.theory.potentials import h, s
    >>> h(2) == 2 * sympy.cosh(s)
    True
    """
    result = doctest.testmod(fake, report=False)
    assert result.failed == 1
