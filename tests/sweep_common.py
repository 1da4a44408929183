"""Helpers shared by the sweep tests."""
from __future__ import annotations

from implicitreg.experiments.sweep_store import RUN_COLUMNS, read_dataset


def rows_by_key(out):
    """The dataset under ``out`` as {task_key: row without the run columns (timing, worker)}; no duplicate keys."""
    table = read_dataset(out).to_pylist()
    keys = [r["task_key"] for r in table]
    assert len(keys) == len(set(keys)), "duplicate task keys in the dataset"
    return {r["task_key"]: {k: v for k, v in r.items() if k not in RUN_COLUMNS} for r in table}
