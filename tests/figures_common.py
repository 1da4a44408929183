"""Shared helpers of the figure tests (tests/test_figures*.py): quick renders and data-file accessors.

Each paper's test file renders only its own figures, once per module, in quick mode; the tests read the DATA
files (not the pixels).
"""
from __future__ import annotations

import json

import pytest

from implicitreg.cli import main
from implicitreg.experiments import figure as F

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: the figures of each paper (by name prefix)
PAPERS = {"wah": "wah-", "ms": "ms-", "mc": "mc-"}


def paper_figures(paper: str) -> list[str]:
    return [n for n in F.figure_names() if n.startswith(PAPERS[paper])]


def render_quick(tmp_path_factory, names):
    """Render ``names`` once in quick mode through the CLI: (out_dir, {name: the parsed NAME.json})."""
    out = tmp_path_factory.mktemp("figures")
    results = {}
    for name in names:
        assert main(["reproduce", name, "--quick", "--out", str(out)]) == 0
        results[name] = json.loads((out / f"{name}.json").read_text())
    return out, results


def rendered_fixture(paper: str):
    """The module fixture ``rendered`` of a paper's figure tests: its figures rendered once in quick mode,
    (out_dir, {name: data}) as :func:`render_quick` returns them."""

    @pytest.fixture(scope="module")
    def rendered(tmp_path_factory):
        return render_quick(tmp_path_factory, paper_figures(paper))

    return rendered


def check_rendered(rendered) -> None:
    """:func:`check_files` and :func:`check_bounds_have_provenance` on a ``rendered`` fixture's value."""
    out, results = rendered
    check_files(out, results)
    check_bounds_have_provenance(results)


def curves(data, **attrs):
    return [c for c in data["curves"] if all(c[k] == v for k, v in attrs.items())]


def slope(data, panel, series):
    (s,) = [s for s in data["slopes"] if s["panel"] == panel and s["series"] == series]
    return s


def check_files(out, results) -> None:
    """Every figure wrote a PNG, its JSON and its CSV (one meaning per column); every curve has a provenance."""
    assert results, "no figure rendered"
    for name, data in results.items():
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC
        assert data["name"] == name and data["quick"] is True
        header = (out / f"{name}.csv").read_text().splitlines()[0]
        # one meaning per column: what x and y hold is named per row, the band in its own columns
        assert header == ("panel,series,role,x_quantity,x,y_quantity,y,y_low,y_high,band,label,provenance,"
                          "source")
        assert all(c["provenance"] for c in data["curves"])
        assert any(c["role"] == "observed" for c in data["curves"])


def check_bounds_have_provenance(results) -> None:
    """Every figure draws its theorems' bounds with a provenance label (a figure outside the theorems draws none
    and labels its deep-linear references as such)."""
    kinds = ("paper", "derived", "standard", "reconstructed", "conjecture")
    for name, data in results.items():
        bounds = [c for c in data["curves"] if c["role"] in ("upper", "lower", "limit")]
        if data["meta"].get("outside_theorems"):
            assert not bounds and not data["checks"]
            refs = [c for c in data["curves"] if c["series"] == "deep-linear"]
            assert refs and all("outside the theorems" in c["provenance"] for c in refs)
            continue
        assert bounds, f"{name} draws no bound curve"
        for c in bounds:
            assert any(c["provenance"].startswith(k) for k in kinds), (name, c["label"], c["provenance"])
