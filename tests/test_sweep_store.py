"""The sweep's dataset without a cluster: a killed run's journal is recovered (no row lost, none twice), failed rows
are kept until ``retry_failed`` recomputes them (each task key once), and the executor's serial path.

Tasks are kink errors at 5 digits (a few ms each); every check compares with a serial reference run.
"""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from implicitreg.experiments.sweep import run_sweep
from implicitreg.experiments.sweep_executor import map_tasks
from implicitreg.experiments.sweep_spec import expand, load_spec
from implicitreg.experiments.sweep_store import (SCHEMA, PartWriter, _atomic_write, dataset_files,
                                                 failed_keys, finished_keys, journal_files, read_dataset)
from sweep_common import rows_by_key
from implicitreg.experiments.sweep_tasks import evaluate_task

SPEC = {"name": "store-test", "digits": 5, "alpha_convention": "factor", "alphas": ["0.01", "0.1"], "depths": [3],
        "family": {"kind": "kink", "eps": ["0.001", "0.01", "0.1", "0.5"]}, "statements": ["kink_error"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    report = run_sweep(SPEC, out, serial=True, progress=False)
    assert report.done == report.total == 8 and report.failed == 0
    assert not journal_files(out), "a finished run leaves no journal"
    return rows_by_key(out)


def killed_run(out, n_rows, torn=True):
    """What a run killed after journaling ``n_rows`` rows leaves behind (no part file, a torn last line)."""
    tasks = expand(load_spec(SPEC))
    w = PartWriter(out)
    w.add_many([evaluate_task(t.content, t.key) for t in tasks[:n_rows]])
    if torn:
        w._journal.write('{"task_key": "half a li')
    w._journal.close()  # the process dies: its files are closed, nothing else happens
    return w


def test_a_killed_runs_journal_is_read_and_folded_in(reference, tmp_path):
    killed_run(tmp_path, 3)
    assert not dataset_files(tmp_path) and len(journal_files(tmp_path)) == 1
    assert len(finished_keys(tmp_path)) == 3 and len(rows_by_key(tmp_path)) == 3
    report = run_sweep(SPEC, tmp_path, serial=True, progress=False)
    assert (report.recovered, report.skipped, report.done) == (3, 3, 5)
    assert not journal_files(tmp_path)
    assert rows_by_key(tmp_path) == reference


def test_a_row_in_a_part_and_in_the_journal_is_read_once(reference, tmp_path):
    w = killed_run(tmp_path, 4, torn=False)
    from implicitreg.experiments.sweep_store import _write_part

    _write_part(tmp_path, w.rows)  # killed between writing the part and emptying the journal
    assert len(read_dataset(tmp_path)) == 4 and len(finished_keys(tmp_path)) == 4
    report = run_sweep(SPEC, tmp_path, serial=True, progress=False)
    assert (report.recovered, report.skipped, report.done) == (0, 4, 4)
    assert rows_by_key(tmp_path) == reference


def _plant_failure(out, key):
    """Rewrite the part holding ``key`` with that row turned into an error row (a failure of an earlier run)."""
    for path in dataset_files(out):
        rows = pq.read_table(path).to_pylist()
        if any(r["task_key"] == key for r in rows):
            for r in rows:
                if r["task_key"] == key:
                    r.update(verdict="error", error="RuntimeError: planted", observed=None, observed_f=None)
            _atomic_write(pa.Table.from_pylist(rows, schema=SCHEMA), path)
            return
    raise AssertionError("key not found")


def test_failed_rows_are_kept_until_retried_and_never_duplicated(reference, tmp_path, capsys):
    run_sweep(SPEC, tmp_path, serial=True, progress=False)
    bad = sorted(reference)[2]
    _plant_failure(tmp_path, bad)
    assert failed_keys(tmp_path) == {bad}
    report = run_sweep(SPEC, tmp_path, serial=True, progress=False)
    assert (report.done, report.failed_kept, report.retried) == (0, 1, 0)
    assert "--retry-failed" in capsys.readouterr().err
    assert rows_by_key(tmp_path)[bad]["verdict"] == "error"
    report = run_sweep(SPEC, tmp_path, serial=True, progress=False, retry_failed=True)
    assert (report.done, report.failed, report.retried, report.skipped) == (1, 0, 1, 7)
    assert rows_by_key(tmp_path) == reference and not failed_keys(tmp_path)
    retired = [r for p in tmp_path.glob("_retired-*.parquet") for r in pq.read_table(p).to_pylist()]
    assert [(r["task_key"], r["error"]) for r in retired] == [(bad, "RuntimeError: planted")]


def test_cli_retry_failed_reports_the_counts(reference, tmp_path, capsys):
    from implicitreg.cli import main

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--serial", "--no-figure"]) == 0
    _plant_failure(out, sorted(reference)[0])
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--serial", "--retry-failed", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["tasks_retried"], got["tasks_done"], got["tasks_failed"], got["tasks_failed_kept"]) == (1, 1, 0, 0)
    assert rows_by_key(out) == reference


def test_map_tasks_serial_keeps_order_and_raises():
    assert map_tasks(pow, [(2, k) for k in range(10)], serial=True, progress=False) == [2 ** k for k in range(10)]
    with pytest.raises(ZeroDivisionError):
        map_tasks(pow, [(2, 1), (0, -1)], serial=True, progress=False)


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
                                  ["--instance", "x.json", "--workers", "2"]])
def test_verify_executor_options_are_checked(argv, capsys):
    from implicitreg.cli import main

    assert main(["verify", "--only", "basis_pursuit", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("workers" in err[0] or "scheduler" in err[0])


@pytest.mark.parametrize("kw", [{"workers": 0}, {"workers": True}, {"workers": 2, "scheduler": "tcp://h:1"},
                                {"scheduler": " "}])
def test_api_verify_rejects_bad_executor_options(kw):
    import implicitreg
    from implicitreg.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        implicitreg.verify("basis_pursuit", **kw)
