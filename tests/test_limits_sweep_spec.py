"""Every documented limit of a sweep spec, on both sides of the exact documented number.

The numbers are read from docs/sweeps.md ("Spec format" and "Families"), not from ``LIMITS``: a limit loosened or
tightened in the code (a planted ``200`` -> ``2000``) must fail here. Each refusal is a ``SpecError`` (an
``InvalidParameterError``) naming the key. Only ``load_spec`` on mappings: no task is evaluated, so the whole file
takes well under a second.
"""
import json
from fractions import Fraction

import pytest

from implicitreg.errors import InvalidParameterError
from implicitreg.experiments.sweep_spec import SpecError, count_tasks, load_spec

from test_sweep_spec import BASE, spec  # the base spec and its override helper: one definition


def family(**over):
    out = dict(BASE["family"])
    out.update(over)
    return out


def refused(raw, where, fragment=""):
    with pytest.raises(SpecError) as exc:
        load_spec(raw)
    text = str(exc.value)
    assert isinstance(exc.value, InvalidParameterError)
    assert text.startswith(f"sweep spec: {where}"), text
    assert fragment in text, text
    return text


def test_spec_errors_are_invalid_parameter_errors():
    assert issubclass(SpecError, InvalidParameterError)


def test_name_at_most_64_characters_of_letters_digits_and_dash_underscore_dot():
    assert load_spec(spec(name="a" * 64)).name == "a" * 64
    refused(spec(name="a" * 65), "name", "at most 64")
    assert load_spec(spec(name="A-z_0.9")).name == "A-z_0.9"
    for bad in ("", "a b", "a/b", "a;b", 7):
        refused(spec(name=bad), "name")


def test_digits_between_5_and_200_inclusive():
    for ok in (5, 200):
        assert load_spec(spec(digits=ok)).digits == ok
    for bad in (4, 201, 0, -5):
        refused(spec(digits=bad), "digits", f"{bad} is outside [5, 200]")
    assert load_spec({k: v for k, v in BASE.items() if k != "digits"}).digits == 30   # the documented default


def test_at_most_200_alphas_in_1e_minus_300_to_1():
    grid = [f"1e-{k}" for k in range(1, 201)]
    assert len(load_spec(spec(alphas=grid)).alphas) == 200
    refused(spec(alphas=grid + ["1e-201"]), "alphas", "201 values, at most 200")
    ends = load_spec(spec(alphas=["1", "1e-300"])).alphas
    assert set(ends) == {Fraction(1), Fraction(1, 10 ** 300)}
    refused(spec(alphas=["1.000001"]), "alphas", "outside [1e-300, 1]")
    refused(spec(alphas=["9.99e-301"]), "alphas", "outside [1e-300, 1]")
    refused(spec(alphas=["0"]), "alphas", "alpha must be > 0")
    refused(spec(alphas=["-1e-5"]), "alphas", "alpha must be > 0")


def test_alpha_log_grid_inside_minus_300_to_0_with_at_most_200_points():
    got = load_spec(spec(alphas={"log10": [-300, 0], "count": 200})).alphas
    assert len(got) == 200 and max(got) == 1 and min(got) == Fraction(1, 10 ** 300)
    refused(spec(alphas={"log10": [-301, 0], "count": 3}), "alphas", "log10 range must lie in [-300, 0]")
    refused(spec(alphas={"log10": [-5, 1], "count": 3}), "alphas", "log10 range must lie in [-300, 0]")
    refused(spec(alphas={"log10": [-5, -1], "count": 201}), "alphas.count", "outside [1, 200]")
    refused(spec(alphas={"log10": [-5, -1], "count": 0}), "alphas.count", "outside [1, 200]")
    # documented: 10^t on an even grid in t, 6 significant digits
    assert load_spec(spec(alphas={"log10": [-2, -1], "count": 3})).alphas == (
        Fraction(1, 10), Fraction(316228, 10 ** 7), Fraction(1, 100))


def test_at_most_16_depths_each_in_2_to_64():
    sixteen = [2 + Fraction(k, 4) for k in range(16)]
    assert len(load_spec(spec(depths=[str(d) for d in sixteen])).depths) == 16
    refused(spec(depths=[str(d) for d in sixteen] + ["7"]), "depths", "17 depths, at most 16")
    assert load_spec(spec(depths=[2, 64])).depths == (2, 64)
    refused(spec(depths=["64.001"]), "depths[0]", "outside [2, 64]")
    refused(spec(depths=["1.999"]), "depths[0]", "outside [2, 64]")
    assert load_spec(spec(depths=["5/2"])).depths == (Fraction(5, 2),)   # real depths are legitimate


def test_at_most_32_statements():
    assert len(load_spec(spec(statements=["MS-D2:upper_l1"] * 32)).statements) == 32
    refused(spec(statements=["MS-D2:upper_l1"] * 33), "statements", "33 statements, at most 32")


def test_random_family_m_at_most_10_n_at_most_20_n_above_m_sparsity_at_most_m():
    fam = load_spec(spec(family=family(m=10, N=20, sparsity=10, seeds=[0, 1]))).family
    assert (fam["m"], fam["N"], fam["sparsity"]) == ((10, 10), (20, 20), (10, 10))
    refused(spec(family=family(m=11, N=20)), "family.m", "outside [1, 10]")
    refused(spec(family=family(m=[1, 2], N=21)), "family.N", "outside [2, 20]")
    refused(spec(family=family(m=[3, 3], N=[2, 3])), "family.N", "N must exceed m")
    assert load_spec(spec(family=family(m=[3, 3], N=[2, 4]))).family["N"] == (2, 4)   # some N > m: fine
    refused(spec(family=family(m=[1, 2], sparsity=3)), "family.sparsity", "must not exceed m")
    refused(spec(family=family(m=[5, 2])), "family.m", "empty range")
    refused(spec(family=family(m=0)), "family.m", "outside [1, 10]")


def test_random_family_at_most_100000_seeds_and_a_nonempty_range():
    assert len(load_spec(spec(family=family(m=1, N=2, seeds=[0, 100_000]))).family["seeds"]) == 100_000
    refused(spec(family=family(seeds=[0, 100_001])), "family.seeds", "100001 seeds, at most 100000")
    refused(spec(family=family(seeds=[7, 7])), "family.seeds", "empty range")
    refused(spec(family=family(seeds=[-1, 3])), "family.seeds[0]", "outside")
    refused(spec(family=family(seeds=3)), "family.seeds", "expected [start, stop)")


def test_gaussian_decimals_at_most_6():
    raw = spec(family=family(entries="gaussian", decimals=6))
    assert load_spec(raw).family["decimals"] == 6
    refused(spec(family=family(entries="gaussian", decimals=7)), "family.decimals", "outside [0, 6]")
    assert load_spec(spec(family={k: v for k, v in family(entries="gaussian").items()})).family["decimals"] == 1
    assert load_spec(spec()).family["bound"] == 5   # documented default of the integer entries


def test_at_most_200000_tasks_per_spec():
    # 100,000 seeds x 2 alphas = 200,000 tasks: accepted; one alpha more (300,000) refused
    at = spec(alphas=["1e-10", "1e-5"], family=family(m=1, N=2, seeds=[0, 100_000]))
    s = load_spec(at)
    assert count_tasks(s) == 200_000
    over = spec(alphas=["1e-10", "1e-5", "1e-3"], family=family(m=1, N=2, seeds=[0, 66_667]))
    refused(over, "size", "200001 tasks, at most 200000")


def test_kink_eps_strictly_between_0_and_1():
    fam = load_spec(spec(family={"kind": "kink", "eps": ["1/1000", "999/1000"]},
                         statements=["kink_error"])).family
    assert fam["eps"] == [Fraction(1, 1000), Fraction(999, 1000)]
    for bad in ("0", "1", "-1/2"):
        refused(spec(family={"kind": "kink", "eps": [bad]}, statements=["kink_error"]), "family.eps",
                "eps must be in (0, 1)")
    refused(spec(family={"kind": "kink"}, statements=["kink_error"]), "family.eps", "missing")


def test_required_keys_and_types():
    for key in ("alphas", "depths"):
        raw = spec()
        raw.pop(key)
        refused(raw, key, "missing")
    refused(spec(certificates="yes"), "certificates", "expected true or false")
    refused(spec(description=3), "description", "expected a string")
    refused(spec(quick=[1]), "quick", "expected a table")
    refused(spec(family=[1]), "family", "expected a table")
    refused(spec(family=family(entries="uniform")), "family.entries", "must be one of")
    refused(spec(statements=[{"depths": [2]}]), "statements[0]", "expected a statement name")


def test_grids_and_ranges_have_their_documented_shape():
    refused(spec(family=family(m="3")), "family.m", "expected an integer or [lo, hi]")
    refused(spec(family=family(m=[1, 2, 3])), "family.m", "expected an integer or [lo, hi]")
    refused(spec(alphas={"log10": [-5, -1], "count": 3, "base": 2}), "alphas", "a grid is {log10")
    refused(spec(alphas={"log10": -5, "count": 3}), "alphas.log10", "expected [lo, hi]")
    refused(spec(alphas={"log10": [-5, -1], "count": 1}), "alphas", "count = 1 needs log10 = [t, t]")
    assert load_spec(spec(alphas={"log10": [-5, -5], "count": 1})).alphas == (Fraction(1, 10 ** 5),)
    refused(spec(depths=[]), "depths", "expected a non-empty list of depths")
    refused(spec(depths=["2.0001"]), "depths[0]", "denominator above 1000")


def write_instance(folder, name, A, y):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"A": A, "y": y}), encoding="utf-8")


def files_spec(tmp_path):
    raw = spec(family={"kind": "files", "folder": "inst"})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_files_family_reads_instances_of_at_most_10_by_20(tmp_path):
    from implicitreg.experiments.sweep_spec import expand

    folder = tmp_path / "inst"
    write_instance(folder, "ok", [["1"] * 20] * 10, ["1"] * 10)       # 10 x 20: the documented maximum
    tasks = expand(load_spec(files_spec(tmp_path)))
    assert {t.content["label"] for t in tasks} == {"ok"}
    write_instance(folder, "wide", [["1"] * 21], ["1"])
    with pytest.raises(SpecError, match=r"^sweep spec: family.folder: wide.json: 1 x 21 exceeds 10 x 20"):
        expand(load_spec(files_spec(tmp_path)))
    (folder / "wide.json").unlink()
    write_instance(folder, "tall", [["1", "2"]] * 11, ["1"] * 11)
    with pytest.raises(SpecError, match=r"^sweep spec: family.folder: tall.json: 11 x 2 exceeds 10 x 20"):
        expand(load_spec(files_spec(tmp_path)))
    (folder / "tall.json").unlink()
    (folder / "bad.json").write_text('{"A": [["x"]], "y": ["1"]}', encoding="utf-8")
    with pytest.raises(SpecError, match=r"^sweep spec: family.folder: bad.json: "):
        expand(load_spec(files_spec(tmp_path)))
    (folder / "bad.json").unlink()
    with open(folder / "big.json", "wb") as fh:                          # 1 MB each: one byte more is refused
        fh.truncate(2 ** 20 + 1)
    with pytest.raises(SpecError, match=r"^sweep spec: family.folder: big.json: larger than 1048576 bytes"):
        expand(load_spec(files_spec(tmp_path)))


def test_files_family_needs_a_folder_with_json_files(tmp_path):
    path = files_spec(tmp_path)
    with pytest.raises(SpecError, match="family.folder: 'inst' is not a folder"):
        load_spec(path)
    (tmp_path / "inst").mkdir()
    with pytest.raises(SpecError, match="family.folder: no \\*.json instance files"):
        load_spec(path)
    refused(spec(family={"kind": "files", "folder": ""}), "family.folder", "expected a folder")


def test_spec_files_that_cannot_be_read_are_refused_by_kind(tmp_path):
    cases = {"bad.toml": b'name = "x\n', "bad.json": b'{"name": ', "list.json": b"[1, 2]",
             "latin.json": b'{"name": "\xe9"}'}
    expected = {"bad.toml": "not valid TOML", "bad.json": "", "list.json": "the spec must be a table/object",
                "latin.json": "not a UTF-8 text file"}
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(SpecError) as exc:
            load_spec(p)
        assert str(exc.value).startswith(f"sweep spec: {p}: ") and expected[name] in str(exc.value)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.toml")
