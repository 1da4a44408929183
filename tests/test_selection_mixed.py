"""The mixed-precision selection on a face (float64 Newton start, refinement in python-flint at dps and an
independent check at 2 dps): agreement with the full-precision baseline and independence of the check."""
from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mpf

from implicitreg.errors import InvalidParameterError
from implicitreg.numerics import selection
from implicitreg.numerics.precision import mpf_from
from implicitreg.numerics.selection import select_on_face, tie_break

DEPTHS = [Fraction(2), Fraction(5, 2), Fraction(3), "inf"]


def synthetic_face(k: int, size: int, N: int, seed: int, spread: int = 1):
    """A bounded face: a point with random signs on a support of ``size``, k integer directions on the support
    with sum_i sigma_i d_i = 0 (so sum_i sigma_i x_i is constant and the face is a polytope). ``spread``: point
    entries drawn over that many decades (badly scaled faces)."""
    rng = random.Random(seed)
    supp = sorted(rng.sample(range(N), size))
    sigma = {i: rng.choice([-1, 1]) for i in supp}
    point = [Fraction(0)] * N
    for i in supp:
        point[i] = sigma[i] * Fraction(rng.randint(50, 150), 100) / 10 ** rng.randrange(spread)
    dirs = []
    while len(dirs) < k:
        d = [Fraction(0)] * N
        for i in supp:
            d[i] = Fraction(rng.randint(-9, 9), 10)
        d[supp[0]] -= sigma[supp[0]] * sum(sigma[i] * d[i] for i in supp)
        if any(d):  # (independence of the directions is left to chance: see the callers' sizes)
            dirs.append(d)
    return point, dirs


def _agree(a, b, digits):
    scale = max(abs(v) for v in b)
    return all(abs(x - y) <= mpf(10) ** (-digits) * scale for x, y in zip(a, b))


@given(k=st.integers(1, 4), extra=st.integers(2, 4), seed=st.integers(0, 10 ** 6), depth=st.sampled_from(DEPTHS),
       spread=st.sampled_from([1, 4]))
def test_property_mixed_selection_agrees_with_full(k, extra, seed, depth, spread):
    point, dirs = synthetic_face(k, k + extra, k + extra + 2, seed, spread)
    mixed = select_on_face(point, dirs, depth, digits=30)
    full = select_on_face(point, dirs, depth, digits=30, method="full")
    assert mixed.digits >= 30 and full.digits >= 30
    with mpmath.workdps(120):
        assert _agree(mixed.x, full.x, 30)
        # the coordinates are relative to the given point in both
        x = [mpf_from(p) + mpmath.fsum(c * mpf_from(d[i]) for c, d in zip(mixed.coordinates, dirs)) for i, p in enumerate(point)]
        assert _agree(x, mixed.x, 60)


def _spy(monkeypatch, lazy_check=False):
    calls = []
    original = selection.refine_on_face

    def spy(point, directions, g, c0, *, dps, **kwargs):
        calls.append({"c0": list(c0), "dps": dps})
        if lazy_check and len(calls) == 2:  # the mutant: the check returns its start
            with mpmath.workdps(dps):
                x = selection._face_point(point, directions, c0)
            return x, list(c0), 1
        out = original(point, directions, g, c0, dps=dps, **kwargs)
        calls[-1]["c"] = out[1]
        return out

    monkeypatch.setattr(selection, "refine_on_face", spy)
    return calls


def test_check_starts_from_the_rounded_first_solve(monkeypatch):
    calls = _spy(monkeypatch)
    point, dirs = synthetic_face(3, 7, 9, seed=1)
    res = select_on_face(point, dirs, 3, digits=40)
    first, check = calls
    assert first["dps"] == 55 and check["dps"] == 110 and res.digits >= 40
    with mpmath.workdps(110):
        top = max(abs(v) for v in first["c"])
        step = mpf(10) ** (mpmath.floor(mpmath.log10(top)) - 20 + 1)  # max(40 // 2, 8) = 20 digits
        moved = max(abs(a - b) for a, b in zip(check["c0"], first["c"]))
        assert step / 100 < moved <= step


def test_a_check_that_does_not_iterate_is_refused(monkeypatch):
    """Mutant: the check solve returns its rounded start. The agreement (~20 digits) is below the 40 requested:
    the mixed result is refused and the full-precision baseline decides (same x as without the mutant)."""
    point, dirs = synthetic_face(3, 7, 9, seed=2)
    truth = select_on_face(point, dirs, 2, digits=40, method="full")
    baseline = []
    original = selection.minimize_on_face
    monkeypatch.setattr(selection, "minimize_on_face", lambda *a, **k: baseline.append(1) or original(*a, **k))
    _spy(monkeypatch, lazy_check=True)
    res = select_on_face(point, dirs, 2, digits=40)
    assert len(baseline) == 2  # the baseline ran
    with mpmath.workdps(120):
        assert _agree(res.x, truth.x, 40)


def test_a_wrong_float64_start_only_costs_time(monkeypatch):
    """A float64 start outside the face is replaced by the given point; one far inside but wrong is corrected."""
    point, dirs = synthetic_face(2, 5, 6, seed=3)
    truth = select_on_face(point, dirs, "inf", digits=30, method="full")
    for bad in ([1e6, -1e6], [0.001, 0.002]):
        monkeypatch.setattr(selection, "float64_face_start", lambda *a, bad=bad: list(bad))
        res = select_on_face(point, dirs, "inf", digits=30)
        with mpmath.workdps(100):
            assert _agree(res.x, truth.x, 30)


def test_wrong_functional_changes_the_mixed_selection():
    point, dirs = synthetic_face(2, 5, 6, seed=4)
    right = select_on_face(point, dirs, 3, digits=30)
    wrong = select_on_face(point, dirs, 3, digits=30, functional=tie_break(3, exponent=Fraction(1, 3)))
    with mpmath.workdps(100):
        assert not _agree(right.x, wrong.x, 5)


def test_method_is_validated():
    point, dirs = synthetic_face(1, 3, 4, seed=5)
    with pytest.raises(InvalidParameterError):
        select_on_face(point, dirs, 2, method="fast")
