"""A regular (non-editable) install carries every room of the package, the checker and the reference certificates.

It builds a wheel with build isolation (which fetches setuptools), so it is skipped in quick local runs; it runs in
CI (the ``CI`` environment variable is set there, and CI installs the package regularly, as users do) and in the
thorough profile (IMPLICITREG_PROFILE=thorough).
"""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import THOROUGH

TOP = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
pytestmark = pytest.mark.skipif(not (IN_CI or THOROUGH),
                                reason="builds a wheel: runs in CI (CI=true) and with IMPLICITREG_PROFILE=thorough")


def test_wheel_contains_every_room(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(TOP), "-w", str(tmp_path)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("implicitreg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for room in ("numerics", "theory", "proofs"):
        for src in (TOP / room).rglob("*.py"):
            rel = src.relative_to(TOP / room).as_posix()
            assert f"implicitreg/{room}/{rel}" in names, f"{room}/{rel} missing from the wheel"
    for cert in (TOP / "proofs" / "reference_certificates").glob("*.json"):
        assert f"implicitreg/proofs/reference_certificates/{cert.name}" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "implicitreg = implicitreg.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_console_script_runs():
    """The installed ``implicitreg`` entry point (next to this interpreter) parses its commands and exits 0/2."""
    script = Path(sys.executable).parent / "implicitreg"
    if not script.exists():
        script = Path(shutil.which("implicitreg") or script)
    assert script.exists(), "the console script `implicitreg` is not installed beside the interpreter"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "verify" in out.stdout and "limit" in out.stdout
    bad = subprocess.run([str(script), "limit", "--instance", "/nonexistent.json", "--depth", "2", "--alpha", "0.1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stdout == ""
