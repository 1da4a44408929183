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

Per bug, stage 1 runs up to four test files most likely to catch it (the bug's own ``tests``, ``test_<module>*.py``,
files named after the module's package, the test files that import the module), in one process, stopping at the
first failure. Bugs stage 1 misses go to stage 2, the README's whole test command (``pytest -q -n 2 --dist
loadfile``, niced). To save CPU, stage 2 runs as a group: all remaining bugs are planted together (they sit in
different places) and the whole suite runs once; then each bug is planted alone and run against the tests that
failed in the group run (most relevant files first, stopping at the first failure). A bug is caught when a test
fails (or a file cannot be collected, or the run times out: a hang is noticed too), escaped otherwise. (A bug
whose failing test passes again when another bug of the group is planted too would be reported escaped: the
grouping can only under-count catches.) ``--stage2`` skips stage 1 for every bug not yet stored as caught;
``--tests FILE ...`` replaces stage 1's files and runs no stage 2: a *targeted decision* (the test files that
exercise the bug's code, found by reading it); with ``--existing`` the tests written against the planted bugs
(``escape_tests`` in tools/planted_bugs.json) are left out (deselected), so the run decides the "before" column,
without it the "after" column. Targeted runs are appended to the bug's stored record (``targeted``: files,
deselected tests, status, first failing test, commit), never replacing the first measurement; a targeted run that
passes says only that *those files* miss the bug (the whole suite was not run for it), and a timeout decides nothing.
``--group-existing`` plants every bug whose targeted runs escaped together, runs the README's whole command once
without the escape tests and re-runs its failing tests per bug: a pass then means the whole suite misses the bug.

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
GROUP = OUT / "group.json"
#: pyproject.toml's package-dir: implicitreg.<room> is the top-level folder <room>/
ROOMS = ("theory", "numerics", "proofs")
SOURCE_DIRS = ("implicitreg", "theory", "numerics", "proofs")
FULL_COMMAND = ["-q", "-n", "2", "--dist", "loadfile"]
TARGETED_TIMEOUT = 900
#: per bug in the attribution of a group run (stage 2); beyond it the bug is reported undecided
ATTRIBUTION_TIMEOUT = 600
#: attribution looks at the group run's failing tests in this many likely files of the bug (the rest: undecided)
ATTRIBUTION_FILES = 8
FULL_TIMEOUT = 3600


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


def load_escape_tests(path: Path = BUGS) -> list[str]:
    """Test files (``tests/x.py``) or tests (``tests/x.py::name``) written against the planted bugs after the first
    measurement: the "before" column must not count them."""
    return list(json.loads(path.read_text()).get("escape_tests", []))


def is_escape_test(node: str, escape: list[str]) -> bool:
    return any(node == e or node.startswith(e + "::") for e in escape)


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
    # failing tests as file::function (parameters dropped: their ids may hold " - " or escapes; a function selects
    # all its parameter sets again)
    failed = sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (tests/[\w/]+\.py(?:::\w+)?)", out, re.M)})
    if proc.returncode == 0:
        return "pass", [], time.time() - t0
    if proc.returncode in (4, 5):  # usage error, or no test ran (a test id not found under xdist): no verdict
        return "usage", [], time.time() - t0
    return "fail", failed or ["?"], time.time() - t0


STAGE1_FILES = 4


def targeted_tests(scratch: Path, bug: dict, path: Path, cap: int | None = STAGE1_FILES) -> list[str]:
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
    add(f"tests/{t.name}" for t in files)
    return ranked if cap is None else ranked[:max(cap, len(bug.get("tests", [])))]


def head_commit() -> str:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return rev.strip() + ("+dirty" if dirty else "")


def targeted(bugs: list[dict], tests: list[str], existing: bool, escape: list[str], timeout: int) -> list[dict]:
    """Each bug planted alone, ``tests`` run in order in one process (``-x``): one targeted decision per bug.

    ``existing``: the tests written against the planted bugs are left out (whole files dropped, single tests
    deselected), so the decision is about the suite as it was without them."""
    deselect = []
    if existing:
        tests = [t for t in tests if not is_escape_test(t, escape)]
        deselect = [e for e in escape if "::" in e and e.split("::")[0] in tests]
    scratch = make_scratch()
    print(f"scratch copy: {scratch}", flush=True)
    out = []
    try:
        for bug in bugs:
            path, _ = locate(scratch, bug)
            args = ["-x", *(a for e in deselect for a in ("--deselect", e)), *tests]
            with Planted(scratch, [bug]):
                status, failed, secs = pytest(scratch, args, timeout)
            run_rec = {"tests": tests, "deselected": deselect, "existing_only": existing, "status": status,
                       "seconds": round(secs, 1), "commit": head_commit(),
                       "applied_in": str(path.relative_to(scratch))}
            if status == "fail":
                run_rec["caught_by"] = failed
            print(f"[{'caught' if status == 'fail' else status}] {bug['id']} ({secs:.0f}s) {failed}", flush=True)
            out.append({"id": bug["id"], "run": run_rec})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def group_existing(bugs: list[dict], escape: list[str]) -> list[dict]:
    """The bugs that escaped their targeted files, planted together; the README's whole command runs once without
    the escape tests; then each bug alone runs the group's failing tests (its likely files first, ``-x``). Appends
    one ``existing_only`` run per bug: a pass now means the whole suite (without the escape tests) misses it, up to
    the grouping, which can only under-count catches (a failure masked by another bug of the group is not seen)."""
    skip = [a for e in escape for a in (("--deselect", e) if "::" in e else ("--ignore", e))]
    scratch = make_scratch()
    print(f"scratch copy: {scratch}", flush=True)
    out = []
    try:
        with Planted(scratch, bugs):
            status, failed, secs = pytest(scratch, [*FULL_COMMAND, *skip], FULL_TIMEOUT)
        print(f"group of {len(bugs)}, whole suite without the escape tests: {status}, {len(failed)} failing "
              f"({secs:.0f}s)", flush=True)
        (OUT / "group_existing.json").write_text(json.dumps({"bugs": [b["id"] for b in bugs], "status": status,
                                                             "failed": failed, "seconds": round(secs)}, indent=1))
        for bug in bugs:
            path, _ = locate(scratch, bug)
            ranked = targeted_tests(scratch, bug, path, cap=None)
            order = sorted((n for n in failed if n != "?"), key=lambda n: ranked.index(n.split("::")[0])
                           if n.split("::")[0] in ranked else len(ranked))
            run_rec = {"tests": order, "deselected": [], "existing_only": True, "group": True,
                       "commit": head_commit(), "applied_in": str(path.relative_to(scratch))}
            if status == "pass" or not order:
                run_rec.update(status="pass" if status == "pass" else "undecided", seconds=0)
            else:
                with Planted(scratch, [bug]):
                    st, f, t = pytest(scratch, ["-x", *order], ATTRIBUTION_TIMEOUT)
                run_rec.update(status=st, seconds=round(t, 1), **({"caught_by": f} if st == "fail" else {}))
            print(f"[{'caught' if run_rec['status'] == 'fail' else run_rec['status']}] {bug['id']} "
                  f"{run_rec.get('caught_by', '')}", flush=True)
            out.append({"id": bug["id"], "run": run_rec})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def decided(rec: dict, after: bool) -> str:
    """'caught', 'escaped' or 'undecided' for the "before" column (the first measurement, else the targeted runs
    without the tests written against the planted bugs) or the "after" column (any targeted run too)."""
    if rec["verdict"] == "caught":
        return "caught"
    runs = [r for r in rec.get("targeted", []) if after or r["existing_only"]]
    if any(r["status"] == "fail" for r in runs):
        return "caught"
    if rec["verdict"] == "escaped" or any(r["status"] == "pass" for r in runs):
        return "escaped"
    return "undecided"


def run(bugs: list[dict], targeted_only: bool, baseline: bool, save=lambda results: None,
        skip_stage1: bool = False, only_tests: list[str] | None = None,
        group_failed: list[str] | None = None) -> list[dict]:
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
            if skip_stage1:
                rec.update(verdict="stage1-missed")
                remaining.append((bug, rec))
                results.append(rec)
                continue
            tests = only_tests or targeted_tests(scratch, bug, path)
            with Planted(scratch, [bug]):
                args = ["-x", *tests]  # one process, in order: the most likely file first
                status, failed, secs = pytest(scratch, args, TARGETED_TIMEOUT) if tests else ("pass", [], 0.0)
            rec.update(stage1_tests=tests, stage1=status, stage1_seconds=round(secs, 1))
            if status in ("fail", "timeout"):
                rec.update(verdict="caught", caught_by=failed if status == "fail" else ["timeout"], stage=1)
            else:
                rec["verdict"] = "stage1-missed"
                remaining.append((bug, rec))
            print(f"[{rec.get('verdict', 'stage2')}] {bug['id']} ({secs:.0f}s) {rec.get('caught_by', '')}",
                  flush=True)
            results.append(rec)
            save(results)
        if remaining and not targeted_only:
            status, failed, secs = _stage2(scratch, remaining, group_failed)
        save(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def _stage2(scratch: Path, remaining: list[tuple[dict, dict]], group_failed: list[str] | None = None):
    """The whole suite with every remaining bug planted at once, then each bug alone on the tests that failed.

    ``group_failed``: the failing tests of a group run already made (``.planted/group.json``): attribution only."""
    group = [b for b, _ in remaining]
    if group_failed is None:
        with Planted(scratch, group):
            status, failed, secs = pytest(scratch, FULL_COMMAND, FULL_TIMEOUT)
        GROUP.write_text(json.dumps({"failed": failed, "status": status, "seconds": round(secs),
                                     "bugs": [b["id"] for b in group]}, indent=1) + "\n")
    else:
        status, failed, secs = ("fail" if group_failed else "pass"), group_failed, 0.0
    print(f"stage 2, {len(group)} bugs planted together, whole suite: {status} {failed} ({secs:.0f}s)", flush=True)
    if status == "timeout":
        # cannot attribute a hang from a group: whole suite per bug
        for bug, rec in remaining:
            with Planted(scratch, [bug]):
                s, f, t = pytest(scratch, ["-x", *FULL_COMMAND], FULL_TIMEOUT)
            _record2(rec, s, f)
        return status, failed, secs
    for bug, rec in remaining:
        if status == "pass":
            rec.update(verdict="escaped", stage=2)
            print(f"[escaped] {bug['id']} (stage 2)", flush=True)
            continue
        if failed == ["?"]:
            with Planted(scratch, [bug]):
                s, f, t = pytest(scratch, ["-x", *FULL_COMMAND], FULL_TIMEOUT)
            _record2(rec, s, f)
            continue
        path, _ = locate(scratch, bug)
        ranked = targeted_tests(scratch, bug, path, cap=ATTRIBUTION_FILES)
        order = [n for n in failed if n.split("::")[0] in ranked]
        order.sort(key=lambda n: ranked.index(n.split("::")[0]))
        if not order:
            rec.update(verdict="undecided", stage=2, detail="no failing test of the group run in its likely files")
            print(f"[undecided] {rec['id']} (stage 2)", flush=True)
            continue
        with Planted(scratch, [bug]):
            # one process, in order (xdist would not keep the order): the most relevant failing test first
            s, f, t = pytest(scratch, ["-x", *order], ATTRIBUTION_TIMEOUT)
            if s == "timeout":  # no verdict: the failing tests did not finish in time (a hang would fail the group)
                rec.update(verdict="undecided", stage=2, detail=f"attribution exceeded {ATTRIBUTION_TIMEOUT} s")
                print(f"[undecided] {rec['id']} (stage 2)", flush=True)
                continue
            if s == "usage":  # a test id that pytest cannot select again: the failing files instead
                files = list(dict.fromkeys(n.split("::")[0] for n in order))
                s, f, t = pytest(scratch, ["-x", *(["-n", "2"] if len(files) > 2 else []), *files], FULL_TIMEOUT)
        if s == "pass" and len(order) < len(failed):  # tests outside its likely files failed too: not decided
            rec.update(verdict="undecided", stage=2, detail=f"the group run's failing tests in its {ATTRIBUTION_FILES} "
                                                           "likely test files pass; the other failing tests were not tried")
            print(f"[undecided] {rec['id']} (stage 2)", flush=True)
            continue
        _record2(rec, s, f)
    return status, failed, secs


def _record2(rec: dict, status: str, failed: list[str]) -> None:
    if status == "pass":
        rec.update(verdict="escaped", stage=2)
    else:
        rec.update(verdict="caught", stage=2, caught_by=failed if status == "fail" else ["timeout"])
    print(f"[{rec['verdict']}] {rec['id']} (stage 2) {rec.get('caught_by', '')}", flush=True)


def table(results: list[dict], markdown: bool = False, bugs: list[dict] | None = None, after: bool = False) -> str:
    """Caught / decided per area, for the "before" column (``after=False``) or the "after" column (see
    :func:`decided`). Bugs marked ``"equivalent"`` in the bug list (no input can tell them from the original, reason
    given) are listed apart and not counted; undecided bugs are listed and not counted; "stage1-missed" (stage 2 not
    run yet) counts as not caught."""
    equivalent = {b["id"]: b["equivalent"] for b in (bugs or load_bugs()) if b.get("equivalent")}
    verdict = {r["id"]: ("escaped" if r["verdict"] == "stage1-missed" and not r.get("targeted") else
                         "not-applied" if r["verdict"] == "not-applied" else decided(r, after)) for r in results}
    areas: dict[str, list[int]] = {}
    for r in results:
        if verdict[r["id"]] in ("not-applied", "undecided") or r["id"] in equivalent:
            continue
        a = areas.setdefault(r["area"], [0, 0])
        a[0] += verdict[r["id"]] == "caught"
        a[1] += 1
    total = [sum(v[0] for v in areas.values()), sum(v[1] for v in areas.values())]
    lines = []
    if markdown:
        lines += ["| area | caught / decided |", "|---|---|"]
        for name, (c, n) in sorted(areas.items()):
            lines.append(f"| {name} | {c} / {n} |")
        lines.append(f"| **all** | **{total[0]} / {total[1]} ({100 * total[0] / max(total[1], 1):.0f}%)** |")
    else:
        for name, (c, n) in sorted(areas.items()):
            lines.append(f"{name:14s} {c:3d} / {n:3d}")
        lines.append(f"{'all':14s} {total[0]:3d} / {total[1]:3d} ({100 * total[0] / max(total[1], 1):.0f}%)")
    item = "- " if markdown else "  "
    escaped = [r for r in results if verdict[r["id"]] == "escaped" and r["id"] not in equivalent]
    if escaped:
        lines += ["", "Escaped:" if markdown else "escaped:"]
        lines += [f"{item}`{r['id']}` ({r['area']}): {r['kind']}"
                  + (" (stage 2 not run)" if r["verdict"] == "stage1-missed" and not r.get("targeted") else "")
                  for r in escaped]
    eq = [r for r in results if r["id"] in equivalent]
    if eq:
        lines += ["", "Equivalent (not counted):" if markdown else "equivalent (not counted):"]
        lines += [f"{item}`{r['id']}` ({r['area']}): {equivalent[r['id']]}" for r in eq]
    undecided = [r["id"] for r in results if verdict[r["id"]] == "undecided" and r["id"] not in equivalent]
    if undecided:
        lines += ["", f"Undecided (not counted, {len(undecided)}): " + ", ".join(f"`{i}`" for i in undecided)]
    lines += [f"{item}not applied: `{r['id']}`: {r.get('detail', '')}" for r in results
              if r["verdict"] == "not-applied"]
    return "\n".join(lines)


def decisions(results: list[dict]) -> str:
    """One markdown row per bug decided by targeted runs: the files run, how each column was decided."""
    lines = ["| bug | before (suite without the escape tests) | after |", "|---|---|---|"]

    def say(runs):
        hit = [r for r in runs if r["status"] == "fail"]
        if hit:
            return "caught by `" + hit[0]["caught_by"][0] + "`"
        if any(r.get("group") and r["status"] == "pass" for r in runs):
            return "escaped: the whole suite (grouped run) passes"
        ran = sorted({t.removeprefix("tests/") for r in runs if r["status"] == "pass" for t in r["tests"]})
        if ran:
            return "escaped: " + ", ".join(f"`{t}`" for t in ran) + " pass"
        return "undecided" + (" (timeout)" if runs else "")

    for r in results:
        runs = r.get("targeted", [])
        if not runs:
            continue
        before = "caught (first measurement)" if r["verdict"] == "caught" else say(
            [x for x in runs if x["existing_only"]])
        after = before if decided(r, False) == "caught" else say([x for x in runs if not x["existing_only"]])
        lines.append(f"| `{r['id']}` | {before} | {after} |")
    return "\n".join(lines)


def per_bug(results: list[dict], bugs: list[dict]) -> str:
    """One markdown row per bug: its kind, the "before" verdict (first failing test, or how it escaped) and the
    "after" one (the first failing test of a run with the tests written against the planted bugs)."""
    equivalent = {b["id"] for b in bugs if b.get("equivalent")}
    lines = ["| bug | area | kind | before | after |", "|---|---|---|---|---|"]

    def first(runs):
        hit = [r for r in runs if r["status"] == "fail"]
        if not hit:
            return None
        return f"`{hit[0]['caught_by'][0]}`" + (" (stage 2)" if hit[0].get("group") else "")

    for r in results:
        runs = r.get("targeted", [])
        if r["id"] in equivalent:
            before = after = "equivalent"
        elif r["verdict"] == "caught":
            before = after = f"`{r['caught_by'][0]}` (stage {r.get('stage', 1)})"
        else:
            before = first([x for x in runs if x["existing_only"]])
            if before is None:
                state = decided(r, False)
                before = "escaped (whole suite)" if state == "escaped" else state
            after = before if decided(r, False) == "caught" else (
                first([x for x in runs if not x["existing_only"]]) or decided(r, True))
        kind = r["kind"].replace("|", "\\|")
        lines.append(f"| `{r['id']}` | {r['area']} | {kind} | {before} | {after} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="bug ids")
    ap.add_argument("--area", nargs="*", default=None)
    ap.add_argument("--bugs", type=Path, default=BUGS)
    ap.add_argument("--targeted-only", action="store_true", help="stage 1 only")
    ap.add_argument("--baseline", action="store_true", help="first run the whole suite on the unplanted copy")
    ap.add_argument("--stage2", action="store_true",
                    help="stage 2 only, for every bug not stored as caught (stage 1 skipped for those not run)")
    ap.add_argument("--attribute", action="store_true",
                    help="like --stage2, but reuse the group run's failing tests stored in .planted/group.json")
    ap.add_argument("--tests", nargs="*", default=None,
                    help="a targeted decision: only these test files (or tests), in order, per bug; no stage 2")
    ap.add_argument("--existing", action="store_true",
                    help="with --tests: leave out the tests written against the planted bugs (the 'before' column)")
    ap.add_argument("--group-existing", action="store_true",
                    help="the bugs whose targeted runs escaped, planted together: the whole suite without the escape "
                         "tests, then attribution (decides the 'before' column with the whole suite)")
    ap.add_argument("--timeout", type=int, default=TARGETED_TIMEOUT, help="seconds per targeted run")
    ap.add_argument("--check", action="store_true", help="only check that every bug applies, run nothing")
    ap.add_argument("--out", type=Path, default=OUT / "results.json")
    ap.add_argument("--markdown", action="store_true", help="print the stored results as a markdown table")
    ap.add_argument("--per-bug", action="store_true", help="with --markdown: one row per bug (kind, before, after)")
    ap.add_argument("--after", type=Path, default=None,
                    help="with --markdown: results of new tests (--tests) against the escaped bugs; a bug escaped in "
                         "--out and caught here counts as caught after")
    args = ap.parse_args(argv)
    if args.markdown:
        before = json.loads(args.out.read_text())
        if args.after is not None:  # an older layout: a second results file of new tests
            later = {r["id"]: r for r in json.loads(args.after.read_text()) if r["verdict"] == "caught"}
            before = [later.get(r["id"], r) if r["verdict"] != "caught" else r for r in before]
        print("Before the tests written against the planted bugs:\n")
        print(table(before, markdown=True, bugs=load_bugs(args.bugs)))
        print("\nAfter:\n")
        print(table(before, markdown=True, bugs=load_bugs(args.bugs), after=True))
        if args.per_bug:
            print("\nPer bug:\n")
            print(per_bug(before, load_bugs(args.bugs)))
            return 0
        print("\nTargeted decisions:\n")
        print(decisions(before))
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
    order = [b["id"] for b in load_bugs(args.bugs)]

    def save(results):
        args.out.parent.mkdir(exist_ok=True)
        old = json.loads(args.out.read_text()) if args.out.exists() else []
        merged = {r["id"]: r for r in old}
        merged.update({r["id"]: r for r in results if "verdict" in r})
        args.out.write_text(json.dumps([merged[i] for i in order if i in merged], indent=1) + "\n")

    if args.group_existing:
        stored = json.loads(args.out.read_text())
        by_id = {r["id"]: r for r in stored}
        esc = {b["id"] for b in load_bugs(args.bugs) if b.get("equivalent")}
        group = [b for b in bugs if b["id"] in by_id and b["id"] not in esc and decided(by_id[b["id"]], False) == "escaped"]
        for o in group_existing(group, load_escape_tests(args.bugs)):
            by_id[o["id"]].setdefault("targeted", []).append(o["run"])
        args.out.write_text(json.dumps([by_id[i] for i in order if i in by_id], indent=1) + "\n")
        print(table([by_id[b["id"]] for b in group], bugs=load_bugs(args.bugs)))
        return 0
    if args.tests is not None:
        if not args.tests:
            raise SystemExit("--tests needs test files")
        out = targeted(bugs, args.tests, args.existing, load_escape_tests(args.bugs), args.timeout)
        stored = json.loads(args.out.read_text()) if args.out.exists() else []
        by_id = {r["id"]: r for r in stored}
        for o in out:
            b = next(b for b in bugs if b["id"] == o["id"])
            rec = by_id.setdefault(o["id"], {k: b[k] for k in ("id", "area", "kind", "file")} | {"verdict": "undecided"})
            rec.setdefault("targeted", []).append(o["run"])
        args.out.parent.mkdir(exist_ok=True)
        args.out.write_text(json.dumps([by_id[i] for i in order if i in by_id], indent=1) + "\n")
        print(table([by_id[o["id"]] for o in out], bugs=load_bugs(args.bugs), after=not args.existing))
        return 0
    group_failed = None
    if args.attribute:
        args.stage2 = True
        group_failed = json.loads(GROUP.read_text())["failed"]
    if args.stage2:
        stored = {r["id"]: r["verdict"] for r in json.loads(args.out.read_text())} if args.out.exists() else {}
        bugs = [b for b in bugs if stored.get(b["id"]) != "caught"]
        print(f"stage 2 for {len(bugs)} bugs", flush=True)
    results = run(bugs, args.targeted_only, args.baseline, save, skip_stage1=args.stage2,
                  only_tests=args.tests, group_failed=group_failed)
    print(table(results, bugs=load_bugs(args.bugs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
