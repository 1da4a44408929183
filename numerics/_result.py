"""The shared protocol of result objects (after scipy's ``OptimizeResult``): frozen, keyword-only dataclasses with a
``to_json()`` that writes every field in the project's exact-data conventions.

* :class:`fractions.Fraction` -> ``"p/q"`` (``"3"`` for integers), never a binary float;
* ``mpmath.mpf`` -> its decimal text at the current precision (``mpmath.nstr``, 30 significant digits by default);
* sequences, tuples and numpy arrays -> lists; nested results -> their ``to_json()``; ``None``, bools, ints and
  strings as they are; other objects (networks, matrices) -> ``str``.

>>> from dataclasses import dataclass
>>> from fractions import Fraction
>>> import mpmath
>>> from implicitreg.numerics._result import Result
>>> @dataclass(frozen=True, kw_only=True)
... class Demo(Result):
...     value: Fraction
...     x: tuple
...     success: bool = True
>>> Demo(value=Fraction(7, 17), x=(mpmath.mpf(1) / 3, 2)).to_json()
{'value': '7/17', 'x': ['0.333333333333333', 2], 'success': True}
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import mpmath

__all__ = ["Result", "json_value"]


def json_value(v, digits: int = 30):
    """One value in the exact-data JSON conventions of the module docstring."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, Fraction):
        from implicitreg.numerics.exact import fraction_str

        return fraction_str(v)
    if isinstance(v, mpmath.mpf):
        return mpmath.nstr(v, min(digits, mpmath.mp.dps))
    if isinstance(v, float):  # float() first: numpy 2 writes a float64's repr as "np.float64(0.25)"
        return repr(float(v))
    if isinstance(v, Result):
        return v.to_json()
    if isinstance(v, dict):
        return {str(k): json_value(x, digits) for k, x in v.items()}
    if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
        items = v.tolist() if hasattr(v, "tolist") and not isinstance(v, (list, tuple)) else v
        return [json_value(x, digits) for x in items] if isinstance(items, (list, tuple)) else json_value(items)
    return str(v)


class Result:
    """Mixin of the result dataclasses: :meth:`to_json` of every field (see the module docstring)."""

    def to_json(self) -> dict:
        return {f.name: json_value(getattr(self, f.name)) for f in dataclasses.fields(self)}
