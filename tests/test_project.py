"""Project plumbing: the README's two commands, .ci/run, the package layout, the CLI's error contract."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from implicitreg import cli

TOP = Path(__file__).resolve().parents[1]


def _block(marker: str) -> str:
    text = (TOP / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker}:start -->\s*```\n(.*?)\n```\s*<!-- {marker}:end -->", text, re.S)
    assert m, f"README has no {marker} block"
    return m.group(1).strip()


def test_readme_has_two_commands_that_install_and_run():
    main, test = _block("main-command"), _block("test-command")
    assert "pip install" in main and "implicitreg verify" in main
    assert "pip install" in test and "pytest" in test and ".[test]" in test


def test_ci_runs_the_readme_test_command():
    script = (TOP / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command:start" in script and "test-command:end" in script
    # the extraction in .ci/run yields exactly the README's command
    out = subprocess.run(
        ["bash", "-c", "sed -n '/<!-- test-command:start -->/,/<!-- test-command:end -->/p' README.md"
                       " | sed -n '/^```/,/^```/p' | sed '1d;$d'"],
        cwd=TOP, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _block("test-command")


def test_rooms_are_subpackages_of_one_package():
    import implicitreg.numerics
    import implicitreg.proofs
    import implicitreg.theory

    for mod, room in ((implicitreg.numerics, "numerics"), (implicitreg.theory, "theory"), (implicitreg.proofs, "proofs")):
        assert Path(mod.__file__).parent.name == room


def test_every_command_module_registers_a_real_command():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "verify" in sub.choices and "l1" in sub.choices


def test_usage_error_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err


def test_console_script_reports_version():
    out = subprocess.run([sys.executable, "-m", "implicitreg.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "implicitreg" in out.stdout


def test_the_heaviest_files_named_in_conftest_exist_and_are_run_first(request):
    """conftest.HEAVIEST_FIRST orders the run (load balance under ``--dist loadfile``): a renamed file would silently
    drop out of the order, so every name must be a test file, and the session's items must start with them."""
    import conftest

    names = conftest.HEAVIEST_FIRST
    assert len(set(names)) == len(names)
    assert all((TOP / "tests" / name).is_file() for name in names)
    order = list(dict.fromkeys(item.path.name for item in request.session.items))
    present = [n for n in names if n in order]  # a run of some files only (-k, paths) holds fewer
    assert order[:len(present)] == present
