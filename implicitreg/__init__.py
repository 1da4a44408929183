"""implicitreg: verify theorems on the implicit regularization of gradient flow.

The package is assembled from the project's top-level rooms:

* :mod:`implicitreg.numerics` computes (exact basis pursuit, gradient-flow limits, flows, sharpness);
* :mod:`implicitreg.theory` states (SymPy statements with provenance);
* :mod:`implicitreg.proofs` joins them (checks, derivations, certificates, the ``verify`` suite).

This module stays light on purpose: the standalone certificate checker lives under
``implicitreg.proofs.checker`` and must not pull in the producing code.
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
