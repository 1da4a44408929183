"""Exceptions raised by implicitreg.

Every error a user can provoke with bad input or an impossible request derives from
:class:`ImplicitRegError`; the CLI turns it into one line on stderr and exit status 2.
Each class also derives from the closest built-in exception, so ``except ValueError``
keeps working for callers that do not know this module.
"""


class ImplicitRegError(Exception):
    """Base class of all errors implicitreg raises on purpose."""


class InvalidInstanceError(ImplicitRegError, ValueError):
    """The data (A, y, X, ...) is malformed: wrong shape, non-numeric, NaN/inf, empty, missing key."""


class InvalidParameterError(ImplicitRegError, ValueError):
    """A parameter is out of its domain: alpha <= 0, depth < 2, digits < 1, ..."""


class NotInRangeError(ImplicitRegError, ValueError):
    """y is not in the range of A, so A x = y has no solution."""


class NonUniqueMinimizerError(ImplicitRegError, ValueError):
    """A statement assumes a unique l1 minimizer, but basis pursuit has a face of minimizers."""


class HypothesisNotMetError(ImplicitRegError, ValueError):
    """A theorem's hypothesis fails on the instance (the reason is in the message)."""


class ConvergenceError(ImplicitRegError, ArithmeticError):
    """An iteration (Newton, the flow, power iteration) did not converge to the requested tolerance."""


class PrecisionError(ImplicitRegError, ArithmeticError):
    """The requested digits cannot be certified (precision exhausted or two paths disagree)."""


class CertificateError(ImplicitRegError, ValueError):
    """A certificate file is malformed or a claim in it does not verify."""
