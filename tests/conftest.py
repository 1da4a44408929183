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


def pytest_collection_modifyitems(config, items):
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
