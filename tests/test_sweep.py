"""The sweep engine: a LocalCluster of 2 worker processes, a worker killed mid-sweep, an interrupted run resumed.

Each check compares the dataset with a serial run of the same spec: exactly one row per task and equal rows
(apart from the run columns seconds/worker/version). Tasks are tiny (certified D = 2 limits of 1 x 3 .. 2 x 4
instances), so the whole file stays within a few seconds of cluster start-up.
"""
import os
import signal
import threading
import time

import pytest

from implicitreg.experiments.sweep import run_sweep
from implicitreg.experiments.sweep_spec import expand, load_spec
from implicitreg.experiments.sweep_store import dataset_files
from implicitreg.experiments.sweep_tasks import evaluate_task
from sweep_common import rows_by_key

SPEC = {
    "name": "engine-test", "digits": 20, "alphas": ["1e-12"], "depths": [2],
    "family": {"kind": "random", "entries": "integer", "m": [1, 2], "N": [3, 4], "sparsity": 1, "seeds": [0, 8]},
    "statements": ["MS-D2:upper_l1", "MS-D2:lower_inf"],
}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    report = run_sweep(SPEC, out, serial=True, progress=False)
    assert report.done == report.total == 16 and report.failed == 0
    return rows_by_key(out)


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    from implicitreg.experiments.sweep import local_cluster

    cluster = local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_serial_rows_are_decided_and_carry_exact_inputs(serial):
    verdicts = {r["verdict"] for r in serial.values()}
    assert verdicts <= {"holds", "inapplicable"} and "holds" in verdicts
    for r in serial.values():
        if r["verdict"] == "holds":
            assert r["observed_digits"] == 20 and r["ratio_f"] > 0 and r["bound"] and r["A"].startswith("[[")
        else:
            assert r["reason"]


def test_worker_killed_mid_sweep_loses_nothing(serial, client, tmp_path):
    killed = []

    def killer():  # SIGKILL the first worker the scheduler reports busy (polls while the sweep runs)
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            busy = sorted(w for w, ks in client.processing().items() if ks)
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.005)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    report = run_sweep(SPEC, tmp_path, client=client, progress=False)
    killed.append(None)  # stop the killer if it never saw a busy worker
    thread.join()
    assert killed[0] is not None, "no worker was busy during the sweep"
    assert (report.done, report.total, report.failed) == (len(serial), len(serial), 0), report
    got = rows_by_key(tmp_path)
    assert set(got) == set(serial)
    diff = [(k, c, got[k][c], serial[k][c]) for k in serial for c in serial[k] if got[k][c] != serial[k][c]]
    assert not diff, diff[:3]


def test_interrupted_sweep_resumes_to_the_serial_result(serial, client, tmp_path):
    class Stop(Exception):
        pass

    def stop_after(n, c):
        if n >= 6:
            raise Stop

    with pytest.raises(Stop):
        run_sweep(SPEC, tmp_path, client=client, progress=False, flush_rows=3, on_result=stop_after)
    partial = rows_by_key(tmp_path)
    assert 6 <= len(partial) < len(serial) and dataset_files(tmp_path)
    assert all(serial[k] == r for k, r in partial.items())
    report = run_sweep(SPEC, tmp_path, client=client, progress=False)
    assert report.skipped == len(partial) and report.done == len(serial) - len(partial) and report.failed == 0
    assert rows_by_key(tmp_path) == serial
    again = run_sweep(SPEC, tmp_path, client=client, progress=False)
    assert again.done == 0 and again.skipped == len(serial)


def test_a_task_that_raises_is_recorded_not_dropped(tmp_path):
    task = expand(load_spec(SPEC))[0]
    broken = dict(task.content, instance={"A": [["1", "x"]], "y": ["1"]})  # not a number: the reader raises
    row = evaluate_task(broken, "k")
    assert row["verdict"] == "error" and "InvalidInstanceError" in row["error"] and row["task_key"] == "k"


def test_executor_chunks_tasks_keeps_their_order_and_propagates_errors(client):
    from implicitreg.experiments.sweep_executor import imap_chunks, map_tasks

    tasks = [(3, k, 1000003) for k in range(200)]
    assert map_tasks(pow, tasks, client=client, progress=False) == [pow(*t) for t in tasks]
    chunks = list(imap_chunks(pow, tasks, client=client))
    assert sorted(i for idx, _ in chunks for i in idx) == list(range(200))
    assert len(chunks) < 100, "tiny tasks travel in chunks, not one Dask task each"
    with pytest.raises(ZeroDivisionError):
        map_tasks(pow, [(2, 1), (0, -1)], client=client, progress=False)


def test_verify_on_the_cluster_gives_the_serial_verdicts_in_order(client):
    from implicitreg.proofs.verify import SUITES, run_verify, suite_tasks

    assert [t[0] for t in suite_tasks(SUITES, False)] == list(SUITES)
    serial = run_verify(only="basis_pursuit")
    parallel = run_verify(only="basis_pursuit", executor={"client": client})
    assert serial and [v.to_json() for v in parallel] == [v.to_json() for v in serial]
