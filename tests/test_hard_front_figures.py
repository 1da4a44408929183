"""Hardening: the figure experiments' decisions a user reads (``reproduce``: "k of n bound checks hold", slope
agreement, the alpha grids), each alone (implicitreg/experiments/figure.py)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import mpmath

from implicitreg.experiments import figure as F


def probe():
    return F.FigureData("probe", "t", "d", [])


def fake_bound(side):
    return SimpleNamespace(side=side, name="b", provenance=SimpleNamespace(kind="derived"))


TH = SimpleNamespace(name="TH")


def test_check_against_decides_each_side_with_equality_holding():
    data = probe()
    xs, obs, bounds = [1, 2, 3], [0.5, 1.0, 1.5], [mpmath.mpf(1)] * 3
    F.check_against(data, "p", "s", TH, fake_bound("upper"), xs, obs, bounds)
    assert [c.holds for c in data.checks] == [True, True, False]
    assert [c.side for c in data.checks] == ["upper"] * 3
    assert [(c.x, c.observed, c.bound_value) for c in data.checks] == [(1.0, 0.5, 1.0), (2.0, 1.0, 1.0),
                                                                       (3.0, 1.5, 1.0)]
    assert data.checks[0].bound == "TH/b" and data.checks[0].provenance == "derived"
    data = probe()
    F.check_against(data, "p", "s", TH, fake_bound("lower"), xs, obs, bounds)
    assert [c.holds for c in data.checks] == [False, True, True]


def test_check_against_skips_inapplicable_and_missing_points_only():
    data = probe()
    xs = [1, 2, 3, 4, 5]
    obs = [2.0, None, math.inf, math.nan, 2.0]
    F.check_against(data, "p", "s", TH, fake_bound("upper"), xs, obs, [mpmath.mpf(1)] * 5,
                    applicable=[True, True, True, True, False], note="n")
    assert [(c.x, c.holds, c.note) for c in data.checks] == [(1.0, False, "n")]


def test_slopes_agree_window_is_five_percent_plus_0_002_on_both_sides():
    # predicted 2: the window is |fitted - 2| <= 0.102
    for fitted in (2.1, 1.9, 2.0, 2.1019, 1.8981):
        assert F.slopes_agree(fitted, 2.0), fitted
    for fitted in (2.103, 1.897, 2.5, 1.5):
        assert not F.slopes_agree(fitted, 2.0), fitted
    # a negative prediction uses |predicted|
    assert F.slopes_agree(-2.1, -2.0) and not F.slopes_agree(-2.103, -2.0)
    # a zero prediction still has the 0.002 noise allowance
    assert F.slopes_agree(0.0019, 0.0) and not F.slopes_agree(0.0021, 0.0)


def test_decades_grids():
    assert F.decades(0, 2) == ["1", "1e-1", "1e-2"]
    assert F.decades(1, 5, 3) == ["1e-1", "1e-3", "1e-5"]
    assert F.decades(1, 5, 5) == ["1e-1", "1e-2", "1e-3", "1e-4", "1e-5"]
    assert F.decades(1, 5, 9) == F.decades(1, 5)          # more points than decades: every decade
    assert F.decades(1, 5, (2, 4, 7)) == ["1e-2", "1e-4"]
