"""Shared test configuration: Hypothesis profiles and the ``slow`` marker.

Profiles (select with ``IMPLICITREG_PROFILE=ci|thorough``; ``ci`` is the default):

* ``ci``: derandomized, few examples, no deadline: fast and reproducible;
* ``thorough``: thousands of random examples, and the tests marked ``slow`` run too.

Hypothesis loads a built-in profile of its own when the ``CI`` variable is set; ours is registered
and loaded explicitly here so that CI runs exactly the ``ci`` profile.
"""
from __future__ import annotations

import os

import mpmath
import pytest
from hypothesis import HealthCheck, settings

# what the two profiles share: no deadline (timings are for benchmarks), the blob to replay a failure
_COMMON = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=25, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, derandomize=False, **_COMMON)

PROFILE = os.environ.get("IMPLICITREG_PROFILE", "ci")
if PROFILE not in ("ci", "thorough"):
    raise pytest.UsageError(f"IMPLICITREG_PROFILE must be 'ci' or 'thorough', not {PROFILE!r}")
settings.load_profile(PROFILE)
THOROUGH = PROFILE == "thorough"


def pytest_report_header(config):
    return f"implicitreg hypothesis profile: {PROFILE}"


#: the test files that take longest (summed test time, measured with --durations=0 on 2026-12-02 after the numerics
#: speed-ups), longest first. pytest-xdist's ``--dist loadfile`` hands out whole files in collection order; starting
#: with these keeps a long file from starting last on one worker while the other idles. Only the order of the tests
#: changes, never which tests run.
HEAVIEST_FIRST = ("test_falsify.py", "test_suites_run.py", "test_selection.py", "test_figures_wah.py",
                  "test_checker_symbolic.py", "test_sweep.py", "test_flow.py", "test_figures_mc.py",
                  "test_basis_pursuit.py", "test_attack_inputs.py")


def pytest_configure(config):
    # xdist's default re-sorts files by their number of tests, which would undo HEAVIEST_FIRST
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def _heaviest_first(items) -> None:
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    # a stable sort: every other file, and the tests within a file, keep pytest's order
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_collection_modifyitems(config, items):
    _heaviest_first(items)
    if THOROUGH:
        return
    skip = pytest.mark.skip(reason="slow: run with IMPLICITREG_PROFILE=thorough")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _mpmath_precision_isolated():
    """Each test starts and ends at the same mpmath working precision: a test that changes ``mp.dps`` without a
    ``workdps`` context must not change the digits another test (or a doctest) sees."""
    prec = mpmath.mp.prec
    yield
    mpmath.mp.prec = prec


@pytest.fixture
def dps40():
    """mpmath at 40 working digits for the test (the suites' verdicts compare at this precision)."""
    with mpmath.workdps(40):
        yield


@pytest.fixture
def dps60():
    """mpmath at 60 working digits for the test (room below a 1e-55 perturbation, for boundary cases)."""
    with mpmath.workdps(60):
        yield


def _import_every_module() -> None:
    """Import every module of implicitreg once, before any test runs.

    Many modules import a function by name (``from ... import enumerate_l1``), some lazily inside a function. If
    such a module were first imported while a test had that function monkeypatched, it would keep the stub after
    the patch is undone, and every later test in the same process would run on it (which tests, would depend on
    pytest-xdist's file order). Importing everything first makes the import order independent of the tests.
    ``__main__`` modules are skipped (they run a command when imported).
    """
    import importlib
    import os
    import pkgutil

    # the subpackages mapped by pyproject's package-dir are not below implicitreg/ on disk: named as roots
    todo = ["implicitreg", "implicitreg.theory", "implicitreg.numerics", "implicitreg.proofs"]
    while todo:
        name = todo.pop()
        module = importlib.import_module(name)
        if not hasattr(module, "__path__"):
            continue
        # the package's own folder only (an editable install may add the checkout's root to __path__)
        for info in pkgutil.iter_modules([os.path.dirname(module.__file__)]):
            if info.name != "__main__" and f"{name}.{info.name}" not in todo:
                todo.append(f"{name}.{info.name}")


_import_every_module()


def _one_blas_thread_per_xdist_worker() -> None:
    """Under pytest-xdist (``-n auto``: one worker per core) each worker's BLAS runs one thread.

    OpenBLAS starts a thread per core in every process; with a worker per core that is cores^2 threads, and its
    threads spin while they wait, so the workers' small linear algebra (eigvalsh of a few hundred rows, Lanczos,
    batched GD) slows each other down several times. The subprocesses a test starts inherit the variable. A
    single-process run (no worker) keeps the library's default."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # numpy is loaded already (_import_every_module)


_one_blas_thread_per_xdist_worker()
