"""A regular (non-editable) install carries every room of the package, the checker and the reference certificates.

Slow (it builds a wheel with build isolation, which fetches setuptools): run with IMPLICITREG_PROFILE=thorough.
"""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[1]


@pytest.mark.slow
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
