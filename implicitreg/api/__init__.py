"""The Python API of implicitreg: numpy arrays (or lists, Fractions, SymPy matrices) in, typed results out.

Every function is re-exported at the top level (``from implicitreg import l1_minimizer``)::

    >>> import numpy as np
    >>> from implicitreg import l1_minimizer
    >>> res = l1_minimizer(np.array([[1, 0.5]]), np.array([1]))
    >>> res.x, res.unique
    ((Fraction(1, 1), Fraction(0, 1)), True)

**How inputs are read** (:mod:`implicitreg.api.inputs`): data are stored exactly as Fractions; integers exactly, a
binary float as its *shortest decimal repr* (``0.1`` means 1/10), decimal and ``"p/q"`` strings exactly, SymPy
rationals exactly; anything symbolic, boolean, complex, empty or ragged is an error. Every error is an
exception of :mod:`implicitreg.errors` (``InvalidInstanceError``, ``InvalidParameterError``, ...), the same ones
the CLI turns into one line on stderr and exit status 2.

**Results** are dataclasses with exact (``Fraction``) or high-precision (``mpmath.mpf``) fields, ``to_numpy()``
(float64 view of the main vector) and ``to_json()`` (the object the CLI prints with ``--json``; its schema is
:mod:`implicitreg.schema`, documented in ``docs/schema.md``).

**alpha** has two conventions, named in every function: ``alpha_convention="product"`` (default; u(0)^D = alpha,
``docs/theory/dln.md``) and ``"factor"`` (u(0) = alpha, product scale alpha^D, ``docs/theory/wah.md``).

**Modules** (one per subject; everything is re-exported here and at the top level):
:mod:`~implicitreg.api.inputs`, :mod:`~implicitreg.api.basis_pursuit`, :mod:`~implicitreg.api.limit`
(limit and selection), :mod:`~implicitreg.api.flow`, :mod:`~implicitreg.api.deep_linear`,
:mod:`~implicitreg.api.certificates` (verify, certify, check, falsify).
"""
from implicitreg.api.basis_pursuit import BasisPursuit, l1_minimizer
from implicitreg.api.certificates import (CertificateWritten, CheckResult, VerifyReport, certify, check, falsify,
                                          verify, verify_instance, write_text_file)
from implicitreg.api.deep_linear import DeepFlow, Sharpness, deep_flow, sharpness
from implicitreg.api.flow import DEFAULT_MAX_STEPS, GradientFlow, gradient_flow
from implicitreg.api.inputs import (MAX_DEPTH, MAX_DIGITS, MAX_ENTRIES, MAX_FILE_BYTES, MAX_LAYERS, as_instance,
                                    as_regression_data, load_instance, load_regression_data)
from implicitreg.api.limit import GradientFlowLimit, SelectedMinimizer, gradient_flow_limit, selected_minimizer

__all__ = [
    "as_instance", "as_regression_data", "load_instance", "load_regression_data",
    "l1_minimizer", "gradient_flow_limit", "gradient_flow", "selected_minimizer", "sharpness", "deep_flow",
    "verify", "certify", "check", "verify_instance", "falsify",
    "BasisPursuit", "GradientFlowLimit", "GradientFlow", "SelectedMinimizer", "Sharpness", "DeepFlow",
    "VerifyReport", "CertificateWritten", "CheckResult",
    "MAX_DEPTH", "MAX_LAYERS", "MAX_ENTRIES", "MAX_FILE_BYTES", "MAX_DIGITS", "DEFAULT_MAX_STEPS", "write_text_file",
]
