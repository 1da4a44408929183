"""Tests of ``implicitreg reproduce`` and the figure machinery: --list, bad names and options, progress, the
data model, user instances, the gallery. Each paper's figures are tested in tests/test_figures_<paper>.py."""
from __future__ import annotations

import json

import pytest

from figures_common import PNG_MAGIC
from implicitreg.cli import main
from implicitreg.experiments import figure as F
from implicitreg.experiments import plotting as P


def test_list_names_all(capsys):
    assert main(["reproduce", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == F.figure_names()


def test_unknown_name_is_one_line_error(capsys, tmp_path):
    assert main(["reproduce", "no-such-figure", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown figure 'no-such-figure'" in err
    assert not list(tmp_path.iterdir())


def test_missing_name_is_one_line_error(capsys):
    assert main(["reproduce"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_progress_is_off_when_stderr_is_not_a_terminal(capsys):
    bar = F.Progress(None, desc="x")
    assert bar.enabled is False  # pytest captures stderr: not a tty
    bar.start(3)
    bar.step()
    bar.close()
    assert capsys.readouterr().err == ""


def test_progress_bar_when_enabled(capsys):
    bar = F.Progress(True, desc="demo-figure")
    bar.start(2)
    bar.step()
    bar.step()
    bar.close()
    assert "demo-figure" in capsys.readouterr().err


def test_out_directory_is_created(tmp_path):
    out = tmp_path / "a" / "b"
    assert main(["reproduce", "wah-fig3", "--quick", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["wah-fig3.csv", "wah-fig3.json", "wah-fig3.png"]


def test_curve_rejects_bad_role_and_ragged_data():
    with pytest.raises(ValueError):
        F.Curve("p", "s", "guess", "l", "derived", [1.0], [1.0])
    with pytest.raises(ValueError):
        F.Curve("p", "s", "observed", "l", "computed", [1.0, 2.0], [1.0])


def test_experiments_live_outside_proofs():
    """Issue 19: nothing under proofs/ draws (matplotlib stays in implicitreg.experiments.figure)."""
    from pathlib import Path

    import implicitreg.proofs as proofs_pkg

    root = Path(proofs_pkg.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "matplotlib" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_slopes_agree_catches_an_exponent_off_by_a_tenth():
    assert F.slopes_agree(1.0, 1.0) and F.slopes_agree(0.3304, 0.3296)
    assert not F.slopes_agree(1.1, 1.0) and not F.slopes_agree(0.0038, 0.0149)


def test_bound_curves_are_clipped_to_the_data():
    probe = F.FigureData("probe", "", "", [F.Panel("a", "", "x", "y")])
    probe.curves.append(F.Curve("a", "s", "observed", "o", "computed", [1.0, 2.0], [1e-3, 1e-2]))
    probe.curves.append(F.Curve("a", "s", "upper", "u", "derived", [1.0, 2.0], [1e55, 1e56]))
    assert P._data_ylim(probe, probe.panels[0]) == pytest.approx((1e-4, 1e-1))


# ---------------------------------------------------------------------------------------------
# reproduce NAME --instance FILE
# ---------------------------------------------------------------------------------------------

def test_reproduce_on_a_user_instance(tmp_path):
    inst = tmp_path / "mine.json"
    inst.write_text('{"A": [[1, 2, 0, 1], [0, 1, 1, "1/2"]], "y": [2, 1]}')
    assert main(["reproduce", "wah-fig1", "--quick", "--instance", str(inst), "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "wah-fig1.json").read_text())
    assert [p["key"] for p in data["panels"]] == [data["meta"]["user_instance"]]
    assert data["meta"]["instances"][data["panels"][0]["key"]]["A"] == [["1", "2", "0", "1"], ["0", "1", "1", "1/2"]]
    assert not [m for m in data["markers"] if m["kind"] == "float64"]  # the stored markers are the papers' only


def test_reproduce_instance_errors(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"A": [[1, 2]], "y": [1, 2]}')
    assert main(["reproduce", "wah-fig1", "--quick", "--instance", str(bad), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    ok = tmp_path / "ok.json"
    ok.write_text('{"A": [[1, 2]], "y": [1]}')
    assert main(["reproduce", "wah-fig2", "--instance", str(ok), "--out", str(tmp_path)]) == 2
    assert "does not run on user data" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png"))


def test_gallery_shows_every_figure_with_a_small_png():
    """docs/gallery.md has a section, a PNG (< 90 KB) and a reading for every registered figure."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "docs"
    text = (root / "gallery.md").read_text(encoding="utf-8")
    for name in F.figure_names():
        assert f"## `{name}`" in text and f"![{name}](figures/{name}.png)" in text
        section = text.split(f"## `{name}`")[1].split("\n## ")[0]
        assert "**Reading.**" in section
        png = root / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size < 90_000
