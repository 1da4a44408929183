"""No file of the project names a path outside the repository (a clone has nothing beside it): the theory the verdicts
check is stated in docs/theory/, and every docs/ page the project cites exists."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", ".hypothesis", "__pycache__", ".pytest_cache", "build", "dist", ".mutmut-cache",
             "mutants"}
TEXT_SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".csv", ".sh", ""}
#: built by concatenation so that this file does not match itself
FORBIDDEN = [re.compile(p) for p in (r"\.\./" + "shared", "shared/" + "theory", "shared/" + "seeds",
                                      r"\.\./" + "seeds", "/work/" + "shared", r"seeds/0\d\d_")]
SPEC = re.compile(r"\b(dln|wah|deep_linear)\.md\b")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]+\.md\b")


def project_files():
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        files = [ROOT / f for f in out]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        files = [p for p in ROOT.rglob("*") if p.is_file()]
    for p in files:
        rel = p.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if p.suffix in TEXT_SUFFIXES and p.is_file() and p.stat().st_size < 5_000_000:
            yield p


def test_no_path_outside_the_repository():
    hits = []
    for p in project_files():
        text = p.read_text(encoding="utf-8", errors="replace")
        for pattern in FORBIDDEN:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"{p.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not hits, "paths outside the repository:\n" + "\n".join(hits[:50])


def test_cited_theory_pages_exist():
    for name in ("dln", "wah", "deep_linear", "README"):
        assert (ROOT / "docs" / "theory" / f"{name}.md").is_file()
    missing = set()
    for p in project_files():
        text = p.read_text(encoding="utf-8", errors="replace")
        for m in DOCS_PATH.finditer(text):
            if not (ROOT / m.group(0)).is_file():
                missing.add(f"{p.relative_to(ROOT)}: {m.group(0)}")
        for m in SPEC.finditer(text):
            assert (ROOT / "docs" / "theory" / m.group(0)).is_file(), (p, m.group(0))
    assert not missing, "cited docs pages that do not exist:\n" + "\n".join(sorted(missing))


def test_the_check_can_fail(tmp_path):
    text = "see ../" + "shared/" + "theory/dln.md"
    assert any(p.search(text) for p in FORBIDDEN)
    assert not any(p.search("docs/theory/dln.md §3") for p in FORBIDDEN)


def test_every_verify_statement_is_indexed_in_docs_theory():
    """Every theorem name `implicitreg verify` prints (as pinned in tests/data/pinned_outputs.json, all four suites)
    has a row in the index of docs/theory/README.md."""
    import json

    from implicitreg.proofs.verify import theorem_family

    pinned = json.loads((ROOT / "tests" / "data" / "pinned_outputs.json").read_text(encoding="utf-8"))
    families = {theorem_family(row["theorem"]) for rows in pinned["verify"].values() for row in rows}
    assert len(families) > 20
    index = (ROOT / "docs" / "theory" / "README.md").read_text(encoding="utf-8")
    missing = sorted(f for f in families if f"`{f}`" not in index)
    assert not missing, f"statements checked by verify but not indexed in docs/theory/README.md: {missing}"
