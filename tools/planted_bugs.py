#!/usr/bin/env python3
"""Planted bugs: does the README's test command catch a plausible one-line bug in the code that decides verdicts?

    python tools/planted_bugs.py                      # every bug of tools/planted_bugs.json
    python tools/planted_bugs.py --only bp-dual-sign  # some bugs (ids from the JSON file)
    python tools/planted_bugs.py --area numerics      # the bugs of one area
    python tools/planted_bugs.py --targeted-only      # stage 1 only (fast; "escaped" means "not caught yet")

Unlike mutmut (tools/mutation.py), which generates small syntactic mutants per function, the bugs here are written
by hand, by a sceptical reviewer, as realistic one-line mistakes of a kind (an off-by-one in a digit count, a
flipped comparison at a verdict boundary, a tolerance slipped in, a refusal dropped, an exit code changed, ...).
Each bug is ``{"id", "area", "kind", "file", "old", "new"}``: ``old`` is an exact fragment that must occur exactly
once in ``file`` (if the file no longer holds it, e.g. after a refactoring moved the function, the fragment is
searched in every project source file and used when it occurs exactly once anywhere); ``new`` replaces it.
Optional ``"tests"``: test files to try first (besides the ones found automatically).

The bugs are applied one at a time to a scratch copy under ``/tmp`` (the tracked files of this checkout, as they
are in the working tree), never to the checkout itself. The scratch copy is imported through a package view
(``<scratch>/_pkg/implicitreg``, symlinks laid out as pyproject.toml's package-dir) put first on PYTHONPATH, so the
tests and the ``implicitreg`` console script they start import the planted copy; bytecode is not written
(PYTHONDONTWRITEBYTECODE), so no stale .pyc can hide a bug.

Per bug, stage 1 runs the test files most likely to catch it (``test_<module>*.py`` and the test files that import
the module, plus the bug's own ``tests``), stopping at the first failure. Bugs stage 1 misses go to stage 2, the
README's whole test command (``pytest -q -n 2 --dist loadfile``, niced). To save CPU, stage 2 runs in groups: all
remaining bugs are planted together (they sit in different places) and the whole suite runs once; then each bug
is planted alone and run against the test files that failed in the group run. A bug is caught when a test fails
(or a file cannot be collected, or the run times out: a hang is noticed too), escaped otherwise. (A bug whose
failure another bug of the same group would mask is reported escaped: the grouping can only under-count catches.)

Results go to ``.planted/results.json`` (ignored by git) and a table per area is printed; ``--markdown`` prints it
as the table in docs/mutation.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUGS = ROOT / "tools" / "planted_bugs.json"
OUT = ROOT / ".planted"
#: pyproject.toml's package-dir: implicitreg.<room> is the top-level folder <room>/
ROOMS = ("theory", "numerics", "proofs")
SOURCE_DIRS = ("implicitreg", "theory", "numerics", "proofs")
FULL_COMMAND = ["-q", "-n", "2", "--dist", "loadfile"]
TARGETED_TIMEOUT = 900
FULL_TIMEOUT = 2400


def load_bugs(path: Path = BUGS) -> list[dict]:
    bugs = json.loads(path.read_text())["bugs"]
    ids = [b["id"] for b in bugs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"duplicate bug ids: {sorted(dup)}")
    for b in bugs:
        missing = {"id", "area", "kind", "file", "old", "new"} - set(b)
        if missing:
            raise SystemExit(f"bug {b.get('id')}: missing {sorted(missing)}")
        if b["old"] == b["new"]:
            raise SystemExit(f"bug {b['id']}: old == new")
    return bugs


def make_scratch(root: Path = ROOT) -> Path:
    """A copy of the checkout's tracked files (working-tree contents) and the package view ``_pkg``."""
    scratch = Path(tempfile.mkdtemp(prefix="planted_bugs_"))
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    for rel in files.decode().split("\0"):
        if not rel:
            continue
        src = root / rel
        if not src.is_file():  # deleted in the working tree
            continue
        dst = scratch / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    pkg = scratch / "_pkg" / "implicitreg"
    pkg.mkdir(parents=True)
    for entry in (scratch / "implicitreg").iterdir():
        (pkg / entry.name).symlink_to(entry)
    for room in ROOMS:
        (pkg / room).symlink_to(scratch / room)
    for extra in ("proofs", "docs"):  # beside the package, as in a checkout
        (scratch / "_pkg" / extra).symlink_to(scratch / extra)
    return scratch


def locate(scratch: Path, bug: dict) -> tuple[Path, str]:
    """The file that holds the bug's ``old`` fragment exactly once (its own file, else anywhere in the sources)."""
    own = scratch / bug["file"]
    if own.is_file():
        text = own.read_text()
        if text.count(bug["old"]) == 1:
            return own, text
        if text.count(bug["old"]) > 1:
            raise LookupError(f"{bug['id']}: fragment occurs {text.count(bug['old'])} times in {bug['file']}")
    hits = []
    for d in SOURCE_DIRS:
        for f in sorted((scratch / d).rglob("*.py")):
            text = f.read_text()
            if bug["old"] in text:
                hits.append((f, text))
    if len(hits) == 1 and hits[0][1].count(bug["old"]) == 1:
        return hits[0]
    raise LookupError(f"{bug['id']}: fragment not found once in {bug['file']} "
                      f"({len(hits)} other files hold it)")


class Planted:
    """Context manager: plant some bugs in the scratch copy, restore the files on exit."""

    def __init__(self, scratch: Path, bugs: list[dict]):
        self.scratch, self.bugs, self.saved = scratch, bugs, {}

    def __enter__(self):
        for bug in self.bugs:
            path, text = locate(self.scratch, bug)
            self.saved.setdefault(path, text)
            path.write_text(text.replace(bug["old"], bug["new"], 1))
        return self

    def __exit__(self, *exc):
        for path, text in self.saved.items():
            path.write_text(text)
        return False


def env_for(scratch: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(scratch / "_pkg")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    return env


def pytest(scratch: Path, args: list[str], timeout: int) -> tuple[str, list[str], float]:
    """Run pytest in the scratch copy: ('pass'|'fail'|'timeout', failing test files, wall seconds)."""
    cmd = ["nice", "-n", "10", sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    t0 = time.time()
    try:
        proc = subprocess.run(cmd, cwd=scratch, env=env_for(scratch), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", [], time.time() - t0
    out = proc.stdout + proc.stderr
    failed = sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (tests/[\w/]+\.py)", out, re.M)})
    if proc.returncode == 0:
        return "pass", [], time.time() - t0
    if proc.returncode == 5:  # no tests collected
        return "pass", [], time.time() - t0
    return "fail", failed or ["?"], time.time() - t0


STAGE1_FILES = 4


def targeted_tests(scratch: Path, bug: dict, path: Path) -> list[str]:
    """At most :data:`STAGE1_FILES` test files likely to catch a bug in ``path``, most likely first: the bug's own
    ``tests``, ``test_<stem>*.py``, files named after the module's package (``test_checker*`` for
    ``proofs/checker/...``), then the files that import the module (smallest first)."""
    rel = path.relative_to(scratch)
    parts = list(rel.with_suffix("").parts)
    if parts[0] == "implicitreg":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    stem = parts[-1] if parts else "implicitreg"
    dotted = ".".join(["implicitreg", *parts])
    parent = ".".join(["implicitreg", *parts[:-1]])
    tokens = {t.rstrip("s") for t in parts[:-1] if t not in ("numerics", "theory", "proofs")}
    word = re.compile(rf"\b{re.escape(stem)}\b")
    files = sorted((scratch / "tests").glob("test_*.py"))
    ranked: list[str] = list(bug.get("tests", []))

    def add(names):
        for n in names:
            if n not in ranked:
                ranked.append(n)

    add(f"tests/{t.name}" for t in files if t.name.startswith(f"test_{stem}"))
    add(f"tests/{t.name}" for t in files if any(tok and tok in t.name for tok in tokens))
    importers = []
    for t in files:
        text = t.read_text()
        if dotted in text or (f"from {parent} import" in text
                              and word.search(text.split(f"from {parent} import", 1)[1][:400])):
            importers.append(t)
    add(f"tests/{t.name}" for t in sorted(importers, key=lambda t: t.stat().st_size))
    return ranked[:max(STAGE1_FILES, len(bug.get("tests", [])))]


def run(bugs: list[dict], targeted_only: bool, baseline: bool) -> list[dict]:
    scratch = make_scratch()
    print(f"scratch copy: {scratch}", flush=True)
    results = []
    try:
        if baseline:
            status, failed, secs = pytest(scratch, FULL_COMMAND, FULL_TIMEOUT)
            print(f"baseline (whole suite, unplanted): {status} {failed} {secs:.0f}s", flush=True)
            if status != "pass":
                raise SystemExit("the unplanted copy does not pass: fix that first")
        remaining = []
        for bug in bugs:
            rec = {k: bug[k] for k in ("id", "area", "kind", "file")}
            try:
                path, _ = locate(scratch, bug)
            except LookupError as e:
                rec.update(verdict="not-applied", detail=str(e))
                results.append(rec)
                print(f"[skip] {e}", flush=True)
                continue
            rec["applied_in"] = str(path.relative_to(scratch))
            tests = targeted_tests(scratch, bug, path)
            with Planted(scratch, [bug]):
                args = ["-x", *tests]  # one process, in order: the most likely file first
                status, failed, secs = pytest(scratch, args, TARGETED_TIMEOUT) if tests else ("pass", [], 0.0)
            rec.update(stage1_tests=tests, stage1=status, stage1_seconds=round(secs, 1))
            if status in ("fail", "timeout"):
                rec.update(verdict="caught", caught_by=failed if status == "fail" else ["timeout"], stage=1)
            else:
                remaining.append((bug, rec))
            print(f"[{rec.get('verdict', 'stage2')}] {bug['id']} ({secs:.0f}s) {rec.get('caught_by', '')}",
                  flush=True)
            results.append(rec)
        if remaining and not targeted_only:
            status, failed, secs = _stage2(scratch, remaining)
        for bug, rec in remaining:
            rec.setdefault("verdict", "escaped")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def _stage2(scratch: Path, remaining: list[tuple[dict, dict]]):
    """The whole suite with every remaining bug planted at once, then each bug alone on the files that failed."""
    group = [b for b, _ in remaining]
    with Planted(scratch, group):
        status, failed, secs = pytest(scratch, FULL_COMMAND, FULL_TIMEOUT)
    print(f"stage 2, {len(group)} bugs planted together, whole suite: {status} {failed} ({secs:.0f}s)", flush=True)
    if status == "timeout":
        # cannot attribute a hang from a group: whole suite per bug
        for bug, rec in remaining:
            with Planted(scratch, [bug]):
                s, f, t = pytest(scratch, ["-x", *FULL_COMMAND], FULL_TIMEOUT)
            _record2(rec, s, f)
        return status, failed, secs
    for bug, rec in remaining:
        if status == "pass" or failed == ["?"]:
            if failed == ["?"]:
                with Planted(scratch, [bug]):
                    s, f, t = pytest(scratch, ["-x", *FULL_COMMAND], FULL_TIMEOUT)
                _record2(rec, s, f)
            else:
                rec.update(verdict="escaped", stage=2)
            continue
        with Planted(scratch, [bug]):
            s, f, t = pytest(scratch, ["-n", "2", "--dist", "loadfile", *failed], FULL_TIMEOUT)
        _record2(rec, s, f)
    return status, failed, secs


def _record2(rec: dict, status: str, failed: list[str]) -> None:
    if status == "pass":
        rec.update(verdict="escaped", stage=2)
    else:
        rec.update(verdict="caught", stage=2, caught_by=failed if status == "fail" else ["timeout"])
    print(f"[{rec['verdict']}] {rec['id']} (stage 2) {rec.get('caught_by', '')}", flush=True)


def table(results: list[dict], markdown: bool = False) -> str:
    areas: dict[str, list[int]] = {}
    for r in results:
        if r["verdict"] == "not-applied":
            continue
        a = areas.setdefault(r["area"], [0, 0])
        a[0] += r["verdict"] == "caught"
        a[1] += 1
    total = [sum(v[0] for v in areas.values()), sum(v[1] for v in areas.values())]
    lines = []
    if markdown:
        lines += ["| area | caught / planted |", "|---|---|"]
        for name, (c, n) in sorted(areas.items()):
            lines.append(f"| {name} | {c} / {n} |")
        lines.append(f"| **all** | **{total[0]} / {total[1]} ({100 * total[0] / max(total[1], 1):.0f}%)** |")
    else:
        for name, (c, n) in sorted(areas.items()):
            lines.append(f"{name:14s} {c:3d} / {n:3d}")
        lines.append(f"{'all':14s} {total[0]:3d} / {total[1]:3d} ({100 * total[0] / max(total[1], 1):.0f}%)")
    escaped = [r for r in results if r["verdict"] == "escaped"]
    if escaped:
        lines.append("")
        lines.append("escaped:" if not markdown else "Escaped:")
        for r in escaped:
            lines.append(f"{'- ' if markdown else '  '}`{r['id']}` ({r['area']}): {r['kind']}")
    skipped = [r for r in results if r["verdict"] == "not-applied"]
    for r in skipped:
        lines.append(f"{'- ' if markdown else '  '}not applied: `{r['id']}`: {r['detail']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="bug ids")
    ap.add_argument("--area", nargs="*", default=None)
    ap.add_argument("--bugs", type=Path, default=BUGS)
    ap.add_argument("--targeted-only", action="store_true", help="stage 1 only")
    ap.add_argument("--baseline", action="store_true", help="first run the whole suite on the unplanted copy")
    ap.add_argument("--check", action="store_true", help="only check that every bug applies, run nothing")
    ap.add_argument("--out", type=Path, default=OUT / "results.json")
    ap.add_argument("--markdown", action="store_true", help="print the stored results as a markdown table")
    args = ap.parse_args(argv)
    if args.markdown:
        print(table(json.loads(args.out.read_text()), markdown=True))
        return 0
    bugs = load_bugs(args.bugs)
    if args.only:
        unknown = set(args.only) - {b["id"] for b in bugs}
        if unknown:
            raise SystemExit(f"unknown bug ids: {sorted(unknown)}")
        bugs = [b for b in bugs if b["id"] in args.only]
    if args.area:
        bugs = [b for b in bugs if b["area"] in args.area]
    if args.check:
        bad = 0
        for bug in bugs:
            try:
                path, _ = locate(ROOT, bug)
                if str(path.relative_to(ROOT)) != bug["file"]:
                    print(f"{bug['id']}: moved to {path.relative_to(ROOT)}")
            except LookupError as e:
                print(e)
                bad += 1
        print(f"{len(bugs) - bad} / {len(bugs)} bugs apply")
        return 1 if bad else 0
    results = run(bugs, args.targeted_only, args.baseline)
    args.out.parent.mkdir(exist_ok=True)
    old = json.loads(args.out.read_text()) if args.out.exists() else []
    merged = {r["id"]: r for r in old}
    merged.update({r["id"]: r for r in results})
    order = [b["id"] for b in load_bugs(args.bugs)]
    stored = [merged[i] for i in order if i in merged]
    args.out.write_text(json.dumps(stored, indent=1) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
