"""Progress on stderr, only when stderr is a terminal (never in pipes, files or CI logs).

:func:`activity` shows an elapsed-time indicator for work that has no step count of its own (a certificate, a float64
flow inside SciPy); step-wise work (the mpmath flow, the verify suites, figures) draws its own tqdm bar.
"""
from __future__ import annotations

import contextlib
import sys
import threading


@contextlib.contextmanager
def activity(description: str, enabled: bool = True, interval: float = 0.5):
    """Within the block, a tqdm line ``description ... elapsed`` on stderr, refreshed every ``interval`` seconds."""
    if not (enabled and sys.stderr.isatty()):
        yield
        return
    from tqdm import tqdm

    bar = tqdm(total=None, desc=description, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False)
    done = threading.Event()

    def tick():
        while not done.wait(interval):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()
