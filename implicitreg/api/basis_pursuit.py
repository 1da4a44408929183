"""The API of exact basis pursuit: :func:`l1_minimizer` and its result :class:`BasisPursuit`."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from implicitreg.api.inputs import _floats, _head, _ns, _nss, as_instance

@dataclass(frozen=True)
class BasisPursuit:
    """Exact basis pursuit min { ||x||_1 : A x = y } (``docs/theory/dln.md §3 and docs/theory/wah.md §3``).

    ``x``: the minimizer when ``unique``, otherwise an optimal vertex; ``l1_norm``; ``support``/``signs``: the
    maximal support S and its signs; ``rho``: rho(x*) (None when not unique); ``rho_maximal_support``;
    ``certificate``: the dual lambda proving optimality; ``face``: the face X_BP of all minimizers
    (``face.dimension``, ``face.point``, ``face.directions``, ``face.vertices``). Every claim is re-checked
    in rationals (``verified``).
    """

    x: tuple
    l1_norm: Fraction
    unique: bool
    support: tuple
    signs: tuple
    rho: Fraction | None
    rho_maximal_support: Fraction
    certificate: tuple
    face: Any
    instance: Any = field(repr=False)
    raw: Any = field(repr=False, default=None)

    def to_numpy(self):
        """x as a float64 array."""
        return _floats(self.x)

    def to_json(self) -> dict:
        inst, face, raw = self.instance, self.face, self.raw
        rc = raw.rho_certificate if raw is not None else None
        return _head(
            "l1", instance=inst.name, m=inst.m, N=inst.N, x=_nss(self.x), l1_norm=_ns(self.l1_norm),
            unique=self.unique, support=list(self.support), support_is_maximal=True, signs=list(self.signs),
            rho=_ns(self.rho),
            rho_maximal_support=_ns(self.rho_maximal_support), dual_certificate=_nss(self.certificate),
            rho_dual_certificate=_nss(rc.v) if rc is not None else None, face_dimension=face.dimension,
            face={"point": _nss(face.point), "directions": [_nss(d) for d in face.directions],
                  "vertices": None if face.vertices is None else [_nss(v) for v in face.vertices]},
            verified=True)


def l1_minimizer(A, y=None) -> BasisPursuit:
    """Exact l1 minimizer of A x = y with its optimality certificate, uniqueness (decided exactly), the face of
    minimizers and rho, all re-checked in rational arithmetic."""
    from implicitreg.numerics.basis_pursuit import l1_minimizer as _bp

    inst = as_instance(A, y)
    res = _bp(inst)
    res.verify()
    return BasisPursuit(tuple(res.x), res.value, res.unique, tuple(res.support), tuple(res.signs),
                        res.rho if res.unique else None, res.rho, tuple(res.certificate), res.face, inst, res)
