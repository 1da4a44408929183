"""Instance files: JSON, .npz, .npy, .csv read exactly; every unreadable file gets one line on stderr and exit 2,
in every command that reads one; the option bounds of issue 12 likewise."""
from __future__ import annotations

import json

import numpy as np
import pytest

from implicitreg.cli import main

A = [[1, "1/2", -2], [0, 1, 1]]
Y = [1, "0.25"]


def _l1(capsys, path):
    code = main(["l1", "--instance", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_npy_npz_csv_give_the_json_result(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps({"A": A, "y": Y}))
    ref = _l1(capsys, tmp_path / "a.json")
    aug = np.array([[1, 0.5, -2, 1], [0, 1, 1, 0.25]])
    np.save(tmp_path / "a.npy", aug)
    np.savez(tmp_path / "a.npz", A=aug[:, :3], y=aug[:, 3])
    (tmp_path / "a.csv").write_text("# A | y\na0,a1,a2,y\n1,0.5,-2,1\n0,1,1,1/4\n")
    np.save(tmp_path / "f32.npy", aug.astype(np.float32))
    for name in ("a.npy", "a.npz", "a.csv", "f32.npy"):
        got = _l1(capsys, tmp_path / name)
        assert got["x"] == ref["x"] and got["l1_norm"] == ref["l1_norm"], name


def test_csv_cells_are_exact_decimals(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("1,0.1,0.3\n")  # A = [1, 1/10], y = 3/10 -> x = (3/10, 0)
    assert _l1(capsys, tmp_path / "t.csv")["x"] == ["3/10", "0"]


def _bad_files(d):
    """name -> path of an unreadable instance file."""
    out = {}
    out["missing"] = d / "missing.json"
    (d / "dir.json").mkdir()
    out["directory"] = d / "dir.json"
    (d / "bin.json").write_bytes(bytes(range(256)))
    out["binary"] = d / "bin.json"
    (d / "latin1.json").write_bytes('{"A": [[1]], "y": ["\xe9"]}'.encode("latin-1"))
    out["non-UTF-8"] = d / "latin1.json"
    (d / "empty.json").write_text("")
    out["empty"] = d / "empty.json"
    (d / "nan.json").write_text('{"A": [[NaN]], "y": [1]}')
    out["NaN in JSON"] = d / "nan.json"
    (d / "deep.json").write_text("[" * 100000 + "]" * 100000)
    out["deeply nested JSON"] = d / "deep.json"
    np.save(d / "nan.npy", np.array([[1.0, np.nan]]))
    out["NaN in .npy"] = d / "nan.npy"
    np.save(d / "obj.npy", np.array([[1, None]], dtype=object), allow_pickle=True)
    out["pickled .npy"] = d / "obj.npy"
    np.save(d / "vec.npy", np.array([1.0, 2.0]))
    out["1-D .npy"] = d / "vec.npy"
    np.save(d / "bool.npy", np.array([[True, False]]))
    out["boolean .npy"] = d / "bool.npy"
    (d / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    out["corrupt .npy"] = d / "junk.npy"
    np.savez(d / "nokey.npz", B=np.eye(2), y=np.ones(2))
    out[".npz without A"] = d / "nokey.npz"
    (d / "junk.npz").write_bytes(b"PK\x03\x04 not a zip")
    out["corrupt .npz"] = d / "junk.npz"
    (d / "nan.csv").write_text("1,nan\n")
    out["NaN in .csv"] = d / "nan.csv"
    (d / "ragged.csv").write_text("1,2,3\n1,2\n")
    out["ragged .csv"] = d / "ragged.csv"
    (d / "one.csv").write_text("1\n2\n")
    out["one-column .csv"] = d / "one.csv"
    (d / "word.csv").write_text("1,abc,1\n")
    out["text in .csv"] = d / "word.csv"
    (d / "bin.csv").write_bytes(b"\xff\xfe1,2\n")
    out["non-UTF-8 .csv"] = d / "bin.csv"
    (d / "huge.json").write_text('{"A": [["1e-99999999"]], "y": [1]}')
    out["huge exponent"] = d / "huge.json"
    return out


COMMANDS = {
    "l1": [],
    "limit": ["--depth", "3", "--alpha", "0.1"],
    "flow": ["--depth", "3", "--alpha", "0.1"],
    "select": ["--depth", "3"],
    "sharpness": ["--depth", "3"],
    "deep-flow": ["--depth", "3", "--init", "small", "--scale", "0.1"],
    "certify": ["--theorem", "MS-D2", "--depth", "2", "--alpha", "0.1", "--out", "never-written.json"],
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return _bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreadable_files_one_line_exit_2(capsys, bad_files, command):
    for name, path in bad_files.items():
        code = main([command, "--instance", str(path), *COMMANDS[command]])
        out, err = capsys.readouterr()
        assert code == 2, (command, name, err)
        assert err.startswith(f"implicitreg {command}: error: ") and err.count("\n") == 1, (command, name, err)
        assert "Traceback" not in err and out == "", (command, name)


_ROW = '{"A": [[1, "1/2"]], "y": [1]}'            # a diagonal-network instance
_REGRESSION = '{"X": [[1, 0], [0, 1]], "y": [1, 1]}'  # a deep-linear (regression) instance


@pytest.mark.parametrize("instance, argv, word", [
    (_ROW, ["limit", "--depth=1e400", "--alpha", "0.1"], "depth"),
    (_ROW, ["limit", "--depth", "3", "--alpha", "0.1", "--digits", "100000"], "digits"),
    (_ROW, ["flow", "--depth", "1e400", "--alpha", "0.1"], "depth"),
    (_ROW, ["flow", "--depth", "3", "--alpha", "0.1", "--digits", "99999"], "digits"),
    (_ROW, ["flow", "--depth", "3", "--alpha", "0.1", "--max-steps", "x"], "max-steps"),
    (_ROW, ["select", "--depth=1e400"], "depth"),
    (_ROW, ["select", "--depth", "3", "--digits", "x"], "digits"),
    (_REGRESSION, ["sharpness", "--depth", "3", "--digits", "100000"], "digits"),
    (_REGRESSION, ["sharpness", "--depth", "1e400"], "depth"),
    (_REGRESSION, ["deep-flow", "--depth", "2", "--init", "small", "--scale", "1e400"], "scale"),
    (_REGRESSION, ["deep-flow", "--depth", "2", "--init", "small", "--scale", "1e-400"], "scale"),
    (_REGRESSION, ["deep-flow", "--depth", "2", "--init", "small", "--scale", "0.1", "--eta", "1e400"], "eta"),
    (_REGRESSION, ["deep-flow", "--depth", "2", "--init", "small", "--scale", "0.1", "--t-end", "1e999"], "t_end"),
])
def test_option_bounds(capsys, tmp_path, instance, argv, word):
    """An option out of its bounds: exit 2 and one stderr line naming the option."""
    f = tmp_path / "instance.json"
    f.write_text(instance)
    code = main([argv[0], "--instance", str(f), *argv[1:]])
    err = capsys.readouterr().err
    assert code == 2 and word in err and err.count("\n") == 1


def test_reproduce_out_must_be_a_usable_directory(capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    for out in (str(f), str(f / "sub")):
        code = main(["reproduce", "wah-fig3", "--quick", "--out", out])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "--out" in err or "cannot" in err


def test_flow_out_to_a_directory_is_one_line(capsys, tmp_path):
    f = tmp_path / "row.json"
    f.write_text('{"A": [[1, "1/2"]], "y": [1]}')
    code = main(["flow", "--instance", str(f), "--depth", "2", "--alpha", "0.5", "--digits", "10", "--out",
                 str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "directory" in err and err.count("\n") == 1
