"""``implicitreg sweep SPEC --out DIR [--quick] [--scheduler ADDRESS]``: many certified points on a Dask cluster.

Evaluates every task of the spec (``docs/sweeps.md``) not yet in the Parquet dataset under ``DIR`` (rerunning
resumes), then draws the spec's figure from the dataset. Default engine: a LocalCluster with one worker process
per core; ``--scheduler tcp://HOST:8786`` uses an existing cluster (``dask scheduler`` / ``dask worker``).
``--list`` prints the statements a sweep can evaluate.
"""
from __future__ import annotations

import sys

from implicitreg.errors import InvalidParameterError


def register(sub) -> None:
    from implicitreg.commands import add_command, add_flag

    p = add_command(sub, "sweep", _run, json_option=False,
                    help="run a sweep spec on a Dask cluster into a resumable Parquet dataset",
                    description="Run a sweep spec (TOML or JSON, see docs/sweeps.md) on dask.distributed; results go "
                                "to a Parquet dataset under --out, one row per task; rerunning skips the finished "
                                "tasks.")
    p.add_argument("spec", nargs="?", metavar="SPEC", help="sweep spec file (.toml or .json)")
    p.add_argument("--out", metavar="DIR", help="dataset folder (created if missing; required to run)")
    add_flag(p, "--quick", "apply the spec's [quick] sizes (CI)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of an existing Dask scheduler (tcp://host:8786); default: a LocalCluster")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the LocalCluster (default: one per core)")
    p.add_argument("--serial", action="store_true", help="evaluate in this process, without Dask")
    p.add_argument("--retry-failed", action="store_true",
                   help="recompute the tasks whose rows of earlier runs have verdict 'error' (each task key stays "
                        "once in the dataset; the old rows are kept in DIR/_retired-*.parquet)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the spec's figure")
    p.add_argument("--list", action="store_true", help="list the statements a sweep can evaluate and exit")
    p.add_argument("--json", action="store_true", help="print the run's report as one JSON object")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from implicitreg.experiments.sweep import run_sweep
    from implicitreg.experiments.sweep_spec import load_spec

    if args.list:
        from implicitreg.experiments.sweep_tasks import statement_names

        sys.stdout.write("\n".join(statement_names()) + "\n")
        return 0
    if not args.spec:
        raise InvalidParameterError("name a sweep spec file (see docs/sweeps.md)")
    if not args.out:
        raise InvalidParameterError("--out DIR is required")
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise InvalidParameterError("--workers must be in [1, 1024]")
    if args.serial and args.scheduler:
        raise InvalidParameterError("--serial and --scheduler exclude each other")
    spec = load_spec(args.spec, quick=args.quick)
    report = run_sweep(spec, args.out, scheduler=args.scheduler, n_workers=args.workers, serial=args.serial,
                       retry_failed=args.retry_failed)
    figure = None
    if spec.figure and not args.no_figure:
        from implicitreg.experiments.sweep_figures import draw

        figure = str(draw(spec.figure, args.out))
    if args.json:
        from implicitreg.commands import emit
        from implicitreg.schema import envelope, number_string

        emit(envelope("sweep", {"sweep": report.name, "dataset": report.out, "tasks_total": report.total,
                                "tasks_skipped": report.skipped, "tasks_done": report.done,
                                "tasks_failed": report.failed, "tasks_failed_kept": report.failed_kept,
                                "tasks_retried": report.retried, "tasks_recovered": report.recovered,
                                "workers": report.workers, "engine": report.engine,
                                "seconds": number_string(round(report.seconds, 3)),
                                "outputs": [figure] if figure else []}), True)
    else:
        sys.stdout.write(f"sweep {report.name}: {report.total} tasks, {report.skipped} already done, "
                         f"{report.done} computed ({report.failed} failed"
                         + (f"; {report.retried} failed rows retried" if report.retried else "")
                         + (f"; {report.failed_kept} failed rows kept" if report.failed_kept else "")
                         + f") in {report.seconds:.1f} s "
                         f"on {report.workers} worker(s) [{report.engine}]\n"
                         f"dataset: {report.out}\n" + (f"figure: {figure}\n" if figure else ""))
    return 0
