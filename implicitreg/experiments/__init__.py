"""Experiments built on the numerics, theory and proofs rooms: the papers' figures and parameter sweeps.

Figures: :mod:`.figure` (shared machinery) and one module per paper (:mod:`.ms`, :mod:`.wah`, :mod:`.mc`).

Sweeps:

* :mod:`implicitreg.experiments.sweep_spec`: the sweep specification (TOML/JSON), validated and expanded into tasks;
* :mod:`implicitreg.experiments.sweep_tasks`: one task, a pure function of its entry, evaluated to one result row;
* :mod:`implicitreg.experiments.sweep_store`: the Parquet dataset (incremental, resumable);
* :mod:`implicitreg.experiments.sweep`: the engine (dask.distributed) and :func:`run_sweep`;
* :mod:`implicitreg.experiments.sweep_figures`: figures drawn from a sweep's dataset.
"""
