"""The sweep's results: a Parquet dataset (pyarrow) under one folder, one row per task.

Rows are appended as part files ``part-<time>-<n>.parquet``, each written to a hidden temporary name and moved into
place with an atomic rename, so a reader (or a resumed run) sees whole files only. Between part files the rows of
each completed chunk are appended to a journal (:class:`PartWriter`), so a killed run loses at most the tasks in
flight. :func:`finished_keys` is what a rerun skips; :func:`retire_failed` takes failed rows out for a retry.
Files whose name starts with ``.`` or ``_`` are not part of the dataset (pyarrow's convention): ``_sweep.json``
records the spec.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("task_key", pa.string()), ("spec", pa.string()), ("family", pa.string()), ("instance", pa.string()),
    ("seed", pa.int64()), ("m", pa.int32()), ("N", pa.int32()), ("A", pa.string()), ("y", pa.string()),
    ("eps", pa.string()), ("depth", pa.string()), ("alpha", pa.string()), ("alphas", pa.string()),
    ("alpha_convention", pa.string()), ("statement", pa.string()), ("theorem", pa.string()),
    ("bound_name", pa.string()), ("side", pa.string()), ("provenance", pa.string()), ("lhs", pa.string()),
    ("digits_requested", pa.int32()), ("observed", pa.string()), ("observed_digits", pa.int32()),
    ("bound", pa.string()), ("ratio", pa.string()), ("observed_f", pa.float64()), ("bound_f", pa.float64()),
    ("ratio_f", pa.float64()), ("rho", pa.string()), ("rho_f", pa.float64()), ("alpha_f", pa.float64()),
    ("alpha_product_f", pa.float64()), ("eps_f", pa.float64()), ("verdict", pa.string()), ("reason", pa.string()),
    ("error", pa.string()), ("extra", pa.string()), ("certificate", pa.string()), ("seconds", pa.float64()),
    ("worker", pa.string()), ("version", pa.string()),
])
#: columns that depend on where and when a task ran, not on the task
RUN_COLUMNS = ("seconds", "worker", "version")


def dataset_files(out) -> list[Path]:
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(p for p in out.glob("*.parquet") if not p.name.startswith((".", "_")))


def journal_files(out) -> list[Path]:
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(out.glob(".journal-*.jsonl"))


def _journal_rows(path: Path) -> list[dict]:
    """The complete lines of a journal (a run killed mid-write leaves at most one torn last line, skipped)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if isinstance(row, dict) and isinstance(row.get("task_key"), str):
                rows.append(row)
    return rows


def _parquet_table(files, columns=None) -> pa.Table:
    if not files:
        return SCHEMA.empty_table() if columns is None else SCHEMA.empty_table().select(columns)
    return ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet").to_table(columns=columns)


def _unjournaled(out, keys: set[str]) -> list[dict]:
    """Rows in the journals of killed runs whose task key is not in ``keys`` (each key once)."""
    rows = []
    for path in journal_files(out):
        for row in _journal_rows(path):
            if row["task_key"] not in keys:
                keys.add(row["task_key"])
                rows.append(row)
    return rows


def read_dataset(out) -> pa.Table:
    """Every row written so far (an empty table with :data:`SCHEMA` when there is none), including the rows a
    killed run left in its journal (a rerun folds them into a part file)."""
    table = _parquet_table(dataset_files(out))
    extra = _unjournaled(out, set(table.column("task_key").to_pylist())) if journal_files(out) else []
    if extra:
        table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=SCHEMA)])
    return table


def finished_keys(out) -> set[str]:
    """The task keys of every row (parquet parts and unfolded journals)."""
    keys = set(_parquet_table(dataset_files(out), ["task_key"]).column("task_key").to_pylist())
    for row in _unjournaled(out, set(keys)):
        keys.add(row["task_key"])
    return keys


def failed_keys(out) -> set[str]:
    """The task keys whose row has verdict ``error``."""
    t = read_dataset(out).select(["task_key", "verdict"])
    return {k for k, v in zip(t.column("task_key").to_pylist(), t.column("verdict").to_pylist()) if v == "error"}


def _write_part(out: Path, rows: list[dict], prefix: str = "part") -> Path:
    """``rows`` as one part file, written under a hidden name, synced, and renamed into place."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    name = f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
    _atomic_write(table, out / name)
    return out / name


def _atomic_write(table: pa.Table, path: Path) -> None:
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fold_journals(out) -> int:
    """Move the rows that killed runs left in journals into a part file (skipping keys already written); delete
    the journals. Returns the number of rows recovered."""
    out = Path(out)
    journals = journal_files(out)
    if not journals:
        return 0
    keys = set(_parquet_table(dataset_files(out), ["task_key"]).column("task_key").to_pylist())
    rows = _unjournaled(out, keys)
    if rows:
        _write_part(out, rows)
    for path in journals:
        path.unlink()
    return len(rows)


def retire_failed(out) -> int:
    """Take the rows with verdict ``error`` out of the dataset so that a rerun recomputes their tasks.

    Each part file holding such rows is rewritten without them and atomically replaced (same name), so no task
    key is ever present twice; the retired rows are kept in ``_retired-<time>.parquet`` (not part of the
    dataset). Returns the number of rows retired.
    """
    out = Path(out)
    fold_journals(out)
    retired = []
    for path in dataset_files(out):
        table = pq.read_table(path, schema=SCHEMA)
        verdict = table.column("verdict").to_pylist()
        bad = [i for i, v in enumerate(verdict) if v == "error"]
        if not bad:
            continue
        keep = [i for i, v in enumerate(verdict) if v != "error"]
        retired.append(table.take(bad))
        if keep:
            _atomic_write(table.take(keep), path)
        else:
            path.unlink()
    if retired:
        _atomic_write(pa.concat_tables(retired), out / f"_retired-{time.strftime('%Y%m%dT%H%M%S')}-"
                                                      f"{uuid.uuid4().hex[:6]}.parquet")
    return sum(t.num_rows for t in retired)


class PartWriter:
    """Rows of a run: each batch (a completed chunk) is appended to a journal at once, and the rows go into an
    atomic part file every ``flush_rows`` rows or ``flush_seconds`` (and at the end).

    The journal (``.journal-<run>.jsonl``, one JSON row per line, flushed to the operating system per batch) is
    what makes a killed run lose only the tasks in flight: the next run (or :func:`read_dataset`) reads it, and
    :func:`fold_journals` moves its rows into a part file. A part is written before the journal is emptied; a row
    in both is read once.
    """

    def __init__(self, out, flush_rows: int = 2048, flush_seconds: float = 30.0):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.rows: list[dict] = []
        self.last = time.monotonic()
        self.parts = 0
        self.written = 0
        self.journal_path = self.out / f".journal-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.jsonl"
        self._journal = None

    @property
    def handed(self) -> int:
        """Rows handed to the writer so far (journaled)."""
        return self.written + len(self.rows)

    def add(self, row: dict) -> None:
        self.add_many([row])

    def add_many(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self._journal is None:
            self._journal = open(self.journal_path, "a", encoding="utf-8")
        self._journal.write("".join(json.dumps(r, allow_nan=True) + "\n" for r in rows))
        self._journal.flush()
        self.rows.extend(rows)
        if len(self.rows) >= self.flush_rows or time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        _write_part(self.out, self.rows)
        self.parts += 1
        self.written += len(self.rows)
        self.rows = []
        if self._journal is not None:
            self._journal.seek(0)
            self._journal.truncate()
            self._journal.flush()

    def close(self) -> None:
        """Write the buffered rows and remove the journal."""
        self.flush()
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.journal_path.exists():
            self.journal_path.unlink()


def write_metadata(out, spec_raw: dict, name: str, quick: bool, total: int) -> None:
    """``_sweep.json``: the spec as given, the mode and the task count (not part of the dataset)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"name": name, "quick": quick, "tasks": total, "spec": spec_raw}
    tmp = out / "._sweep.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, out / "_sweep.json")
