"""implicitreg: verify theorems on the implicit regularization of gradient flow.

The package is assembled from the project's top-level rooms:

* :mod:`implicitreg.numerics` computes (exact basis pursuit, gradient-flow limits, flows, sharpness);
* :mod:`implicitreg.theory` states (SymPy statements with provenance);
* :mod:`implicitreg.proofs` joins them (checks, derivations, certificates, the ``verify`` suite).

The Python API (:mod:`implicitreg.api`) is available at the top level; numpy arrays, lists, Fractions and SymPy
matrices are accepted (a float is read as its shortest decimal repr: ``0.1`` is 1/10)::

    from implicitreg import l1_minimizer, gradient_flow_limit, gradient_flow, selected_minimizer
    from implicitreg import sharpness, deep_flow, verify, certify, check

Every result has exact fields, ``to_numpy()`` and ``to_json()`` (schema: ``docs/schema.md``); bad input raises
an exception of :mod:`implicitreg.errors`. A walk-through: ``docs/tutorial.md``.

This module stays light on purpose (the API is imported on first use, PEP 562): the standalone certificate
checker lives under ``implicitreg.proofs.checker`` and must not pull in the producing code.
"""

__version__ = "0.1.0"


def _extend_path_in_source_checkout() -> None:
    """In a source checkout the rooms ``theory/``, ``numerics/``, ``proofs/`` sit beside this folder.

    An installed copy maps them to ``implicitreg.theory`` etc. (see ``pyproject.toml``). When Python
    imports this folder straight from the checkout (``python -m pytest`` at the top level puts the
    checkout first on ``sys.path``) the same names must resolve to the same files, so the checkout's
    top level joins this package's search path. Only a folder whose ``pyproject.toml`` names this
    project qualifies.
    """
    import os

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    marker = os.path.join(top, "pyproject.toml")
    rooms = all(os.path.isfile(os.path.join(top, room, "__init__.py")) for room in ("theory", "numerics", "proofs"))
    if rooms and os.path.isfile(marker):
        with open(marker, encoding="utf-8") as fh:
            if 'name = "implicitreg"' in fh.read() and top not in __path__:
                __path__.append(top)


_extend_path_in_source_checkout()


#: names re-exported lazily from :mod:`implicitreg.api`
_API = (
    "as_instance", "as_regression_data", "load_instance", "load_regression_data",
    "l1_minimizer", "gradient_flow_limit", "gradient_flow", "selected_minimizer", "sharpness", "deep_flow",
    "verify", "certify", "check", "verify_instance", "falsify",
    "BasisPursuit", "GradientFlowLimit", "GradientFlow", "SelectedMinimizer", "Sharpness", "DeepFlow",
    "VerifyReport", "CertificateWritten", "CheckResult",
)
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from implicitreg import api

        return getattr(api, name)
    raise AttributeError(f"module 'implicitreg' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
