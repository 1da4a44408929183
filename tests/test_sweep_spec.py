"""Sweep specs: validation of untrusted input, deterministic expansion, the shipped specs, the CLI's error contract."""
import json
from fractions import Fraction
from pathlib import Path

import pytest

from implicitreg import cli
from implicitreg.experiments.sweep_spec import (LIMITS, SpecError, exact_text, expand, load_spec, log_grid,
                                                random_instance)

TOP = Path(__file__).resolve().parents[1]

BASE = {
    "name": "t", "digits": 20, "alphas": ["1e-10", "1e-5"], "depths": [2],
    "family": {"kind": "random", "entries": "integer", "m": [1, 2], "N": [3, 4], "sparsity": 1, "seeds": [0, 3]},
    "statements": ["MS-D2:upper_l1"],
}


def spec(**over):
    out = json.loads(json.dumps(BASE))
    for k, v in over.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


BAD = [
    ({"colour": "red"}, "unknown key"),
    ({"digits": 10 ** 6}, "digits"),
    ({"digits": "30"}, "digits"),
    ({"digits": True}, "digits"),
    ({"name": "../x"}, "name"),
    ({"alphas": []}, "alphas"),
    ({"alphas": ["0"]}, "alpha must be > 0"),
    ({"alphas": ["2"]}, "outside"),
    ({"alphas": ["1e-100000"]}, "alphas[0]"),
    ({"alphas": {"log10": [-5, -1], "count": 10 ** 6}}, "alphas.count"),
    ({"alphas": {"log10": [-500, -1], "count": 3}}, "log10"),
    ({"alphas": ["abc"]}, "alphas[0]"),
    ({"depths": [1]}, "depth"),
    ({"depths": ["2**100"]}, "depths[0]"),
    ({"depths": list(range(2, 40))}, "depths"),
    ({"alpha_convention": "both"}, "alpha_convention"),
    ({"family": {"kind": "gaussian"}}, "family.kind"),
    ({"family": {"kind": "random", "m": [1, 100], "N": [3, 4], "seeds": [0, 2]}}, "family.m"),
    ({"family": {"kind": "random", "m": [3, 3], "N": [2, 3], "seeds": [0, 2]}}, "family.N"),
    ({"family": {"kind": "random", "seeds": [0, 10 ** 7]}}, "family.seeds"),
    ({"family": {"kind": "random", "seeds": [5, 5]}}, "family.seeds"),
    ({"family": {"kind": "random", "seeds": [0, 2], "shape": 3}}, "unknown key"),
    ({"family": {"kind": "kink", "eps": ["1"]}}, "eps"),
    ({"family": {"kind": "files", "folder": "/no/such/folder"}}, "family.folder"),
    ({"statements": []}, "statements"),
    ({"statements": ["MS-D9:upper"]}, "no registered theorem"),
    ({"statements": ["MS-D2:nope"]}, "has no bound"),
    ({"statements": ["__import__('os')"]}, "unknown statement"),
    ({"statements": ["MC-LB:S_LB"]}, "cannot observe"),
    ({"statements": ["kink_error"]}, "needs the kink family"),
    ({"statements": ["fitted_rate"]}, "at least 3 alphas"),
    ({"statements": [{"name": "MS-D2:upper_l1", "depth": [2]}]}, "unknown key"),
    ({"figure": "pie"}, "unknown figure"),
    ({"quick": {"quick": {}}}, "quick"),
]


@pytest.mark.parametrize("over,fragment", BAD, ids=[f"{i}" for i in range(len(BAD))])
def test_bad_spec_is_rejected_with_a_clear_message(over, fragment):
    with pytest.raises(SpecError) as exc:
        load_spec(spec(**over))
    assert fragment in str(exc.value)


def test_task_count_is_bounded(monkeypatch):
    monkeypatch.setitem(LIMITS, "tasks", 5)
    with pytest.raises(SpecError, match="tasks"):
        load_spec(spec())


def test_cli_bad_spec_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ndigits = 100000\n', encoding="utf-8")
    for path in (bad, tmp_path / "missing.toml", tmp_path):
        assert cli.main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert cli.main(["sweep", str(binary), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    good = tmp_path / "g.json"
    good.write_text(json.dumps(spec()), encoding="utf-8")
    assert cli.main(["sweep", str(good)]) == 2  # --out missing
    assert "--out" in capsys.readouterr().err


def test_toml_and_json_specs_expand_to_the_same_tasks(tmp_path):
    js = tmp_path / "s.json"
    js.write_text(json.dumps(spec()), encoding="utf-8")
    tm = tmp_path / "s.toml"
    tm.write_text('name = "t"\ndigits = 20\nalphas = ["1e-10", 0.00001]\ndepths = [2]\n'
                  'statements = ["MS-D2:upper_l1"]\n[family]\nkind = "random"\nentries = "integer"\n'
                  'm = [1, 2]\nN = [3, 4]\nsparsity = 1\nseeds = [0, 3]\n', encoding="utf-8")
    a, b = expand(load_spec(js)), expand(load_spec(tm))
    assert [t.key for t in a] == [t.key for t in b] and len(a) == 6
    assert len({t.key for t in a}) == len(a)
    # the key is a content hash: any change of the computation changes it
    c = expand(load_spec(spec(digits=21)))
    assert not {t.key for t in a} & {t.key for t in c}


def test_random_instances_are_seeded_exact_and_planted():
    fam = load_spec(spec()).family
    one, two = random_instance(fam, 7), random_instance(fam, 7)
    assert one == two and random_instance(fam, 8) != one
    A = [[Fraction(v) for v in row] for row in one["A"]]
    x = [Fraction(v) for v in one["planted"]]
    assert [sum(a * b for a, b in zip(row, x)) for row in A] == [Fraction(v) for v in one["y"]]
    assert sum(v != 0 for v in x) == 1 and any(Fraction(v) for v in one["y"])
    gfam = load_spec(spec(family={"kind": "random", "entries": "gaussian", "decimals": 2, "seeds": [0, 1]})).family
    assert all(Fraction(v).denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100)
               for row in random_instance(gfam, 0)["A"] for v in row)


def test_exact_text_and_log_grid():
    assert exact_text(Fraction(1, 10 ** 20)) == "1e-20"
    assert exact_text(Fraction(1, 4)) == "0.25" and exact_text(Fraction(1, 3)) == "1/3"
    assert exact_text(Fraction(1500)) == "1.5e3"
    grid = log_grid(-4, -1, 4, "g", (-300, 0))
    assert grid == [Fraction(1, 10), Fraction(1, 100), Fraction(1, 1000), Fraction(1, 10000)]


def test_quick_overrides_only_with_quick():
    s = spec(quick={"family": {"seeds": [0, 1]}})
    assert len(expand(load_spec(s))) == 6 and len(expand(load_spec(s, quick=True))) == 2


@pytest.mark.parametrize("name", ["ms_worst_ratio", "rate_vs_rho", "kink_transition"])
def test_shipped_specs_are_valid_and_meet_their_sizes(name):
    full = load_spec(TOP / "sweeps" / f"{name}.toml")
    quick = load_spec(TOP / "sweeps" / f"{name}.toml", quick=True)
    assert full.figure and quick.figure == full.figure
    n_full, n_quick = len(expand(full)), len(expand(quick))
    assert n_quick < 60 < n_full
    if name == "ms_worst_ratio":
        assert len(full.family["seeds"]) >= 1000
        assert {s.name for s in full.statements} == {"MS-D2:upper_l1", "MS-D3:upper_l1"}
    if name == "kink_transition":
        assert len(full.family["eps"]) == 30 and len(full.alphas) == 30
        assert set(full.depths) == {2, 3, 4}


def test_exact_text_is_exact_for_long_decimals():
    q = Fraction(1, 2 ** 60) + 3
    assert Fraction(exact_text(q)) == q


@pytest.mark.parametrize("name,figure", [("ms_worst_ratio", "worst_ratio"), ("rate_vs_rho", "rate_vs_rho"),
                                         ("kink_transition", "kink_transition")])
def test_shipped_sweeps_run_at_quick_size_with_their_figure(name, figure, tmp_path, capsys):
    from implicitreg.experiments.sweep_store import read_dataset

    out = tmp_path / name
    assert cli.main(["sweep", str(TOP / "sweeps" / f"{name}.toml"), "--out", str(out), "--quick", "--serial",
                     "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tasks_done"] == report["tasks_total"] > 0 and report["tasks_failed"] == 0
    assert (out / f"{figure}.png").stat().st_size > 10_000
    verdicts = set(read_dataset(out).column("verdict").to_pylist())
    assert verdicts <= {"holds", "measured", "consistent", "inapplicable"} and verdicts - {"inapplicable"}
