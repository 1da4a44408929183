"""Hardening: what a sweep spec expands into (implicitreg/experiments/sweep_spec.py), at the documented edges.

docs/sweeps.md: ranges are inclusive (``m = [1, 3]``), seeds are ``[start, stop)`` with start, stop - 1 <= 2^32 - 1,
integer entries lie in [-bound, bound], a fitted rate is one task per instance and depth (the whole alpha grid).
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from implicitreg.experiments.sweep_spec import (SpecError, count_tasks, expand, exact_text, load_spec,
                                                random_instance)

BASE = {"name": "h", "digits": 10, "alphas": ["1e-10", "1e-5", "1e-3"], "depths": [2, 3],
        "family": {"kind": "random", "entries": "integer", "m": [1, 2], "N": [3, 4], "sparsity": 1, "seeds": [0, 5]},
        "statements": ["MS-D2:upper_l1"]}


def spec(**over):
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    out.update(over)
    return out


def fam(**over):
    out = dict(BASE["family"])
    out.update(over)
    return out


def test_the_largest_seed_is_accepted_and_one_past_it_refused():
    top = 2 ** 32 - 1
    s = load_spec(spec(family=fam(seeds=[top, top + 1])))
    assert s.family["seeds"] == [top]
    with pytest.raises(SpecError, match="family.seeds"):
        load_spec(spec(family=fam(seeds=[top + 1, top + 2])))
    with pytest.raises(SpecError, match="family.seeds"):
        load_spec(spec(family=fam(seeds=[0, top + 2])))


def test_fits_are_one_task_per_instance_and_depth():
    s = load_spec(spec(statements=["fitted_rate", "MS-D2:upper_l1"]))
    # 5 seeds x 2 depths x (1 fit + 3 alphas)
    assert count_tasks(s) == 5 * 2 * (1 + 3)
    tasks = expand(s)
    assert len(tasks) == count_tasks(s)
    fits = [t for t in tasks if t.content["statement"] == "fitted_rate"]
    assert len(fits) == 10 and all("alpha" not in t.content for t in fits)
    assert [Fraction(a) for a in fits[0].content["alphas"]] == [Fraction(1, 10 ** k) for k in (3, 5, 10)]  # largest first
    per_statement = load_spec(spec(statements=[{"name": "fitted_rate", "depths": [2]}, "MS-D2:upper_l1"]))
    assert count_tasks(per_statement) == 5 * (1 * 1 + 2 * 3)


def test_random_ranges_are_inclusive_and_entries_reach_the_bound():
    f = load_spec(spec(family=fam(m=[1, 2], N=[3, 4], sparsity=[1, 2], bound=1, seeds=[0, 60]))).family
    ms, Ns, entries, sizes = set(), set(), set(), set()
    for seed in range(60):
        inst = random_instance(f, seed)
        A = [[Fraction(v) for v in row] for row in inst["A"]]
        ms.add(len(A))
        Ns.add(len(A[0]))
        entries |= {v for row in A for v in row}
        x = [Fraction(v) for v in inst["planted"]]
        sizes.add(sum(v != 0 for v in x))
        assert all(abs(v) <= 5 for v in x)
        y = [sum(a * v for a, v in zip(row, x)) for row in A]
        assert [exact_text(v) for v in y] == inst["y"] and any(y)
    assert ms == {1, 2} and Ns == {3, 4} and sizes == {1, 2}
    assert entries == {-1, 0, 1}


def test_gaussian_entries_have_the_requested_decimals():
    f = load_spec(spec(family=fam(entries="gaussian", decimals=2, m=2, N=3))).family
    for seed in range(3):
        A = [[Fraction(v) for v in row] for row in random_instance(f, seed)["A"]]
        assert all((v * 100).denominator == 1 for row in A for v in row)
        assert any((v * 10).denominator != 1 for row in A for v in row)


def test_exact_text_is_canonical():
    assert exact_text(Fraction(1, 4)) == "0.25"
    assert exact_text(Fraction(1, 10 ** 20)) == "1e-20"
    assert exact_text(Fraction(3, 7)) == "3/7"
    assert exact_text(Fraction(-5, 2)) == "-2.5"
    assert exact_text(Fraction(1200)) == "1.2e3"
    assert exact_text(Fraction(7)) == "7"
    for q in (Fraction(1, 4), Fraction(1, 10 ** 20), Fraction(3, 7), Fraction(-5, 2), Fraction(1200), Fraction(1, 80)):
        assert Fraction(exact_text(q)) == q


def test_a_single_point_grid_needs_equal_ends_and_a_grid_reaches_both_ends():
    with pytest.raises(SpecError, match="count = 1"):
        load_spec(spec(alphas={"log10": [-5, -4], "count": 1}))
    with pytest.raises(SpecError, match="count = 1"):
        load_spec(spec(alphas={"log10": [-4, -5], "count": 1}))
    got = load_spec(spec(alphas={"log10": [-7, -3], "count": 5})).alphas
    assert got == tuple(Fraction(1, 10 ** k) for k in (3, 4, 5, 6, 7))
