"""The sweep's results: a Parquet dataset (pyarrow) under one folder, one row per task.

Rows are appended as part files ``part-<time>-<n>.parquet``, each written to a hidden temporary name and moved into
place with an atomic rename, so a reader (or a resumed run) sees whole files only. A killed run loses at most the
rows not yet flushed (the tasks in flight and those completed since the last flush, at most ``flush_seconds``).
:func:`finished_keys` is what a rerun skips. Files whose name starts with ``.`` or ``_`` are not part of the
dataset (pyarrow's convention): ``_sweep.json`` records the spec.
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


def read_dataset(out) -> pa.Table:
    """Every row written so far (an empty table with :data:`SCHEMA` when there is none)."""
    files = dataset_files(out)
    if not files:
        return SCHEMA.empty_table()
    return ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet").to_table()


def finished_keys(out) -> set[str]:
    files = dataset_files(out)
    if not files:
        return set()
    col = ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet").to_table(columns=["task_key"])
    return set(col.column("task_key").to_pylist())


class PartWriter:
    """Buffers rows and writes them as atomic part files (every ``flush_rows`` rows or ``flush_seconds``)."""

    def __init__(self, out, flush_rows: int = 256, flush_seconds: float = 2.0):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.rows: list[dict] = []
        self.last = time.monotonic()
        self.parts = 0
        self.written = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.flush_rows or time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        table = pa.Table.from_pylist(self.rows, schema=SCHEMA)
        name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = self.out / f".{name}.tmp"
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.out / name)
        self.parts += 1
        self.written += len(self.rows)
        self.rows = []


def write_metadata(out, spec_raw: dict, name: str, quick: bool, total: int) -> None:
    """``_sweep.json``: the spec as given, the mode and the task count (not part of the dataset)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"name": name, "quick": quick, "tasks": total, "spec": spec_raw}
    tmp = out / "._sweep.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, out / "_sweep.json")
