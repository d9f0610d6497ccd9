"""Work spread over this machine's cores: one helper for every step that maps a function over many items.

Used where items are independent and each costs more than shipping it to a worker (reading the files
of a big batch, projecting many series, rendering many profile pages). Results come back in the
order of the items, so the output is the same whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: At most this many worker processes by default (the steps that use them are memory-light, but
#: beyond four the parent collecting results becomes the bottleneck).
MAX_DEFAULT_WORKERS = 4


def worker_count(jobs: int | None = None) -> int:
    """``jobs`` when given (at least 1), else one per CPU this process may use, at most
    :data:`MAX_DEFAULT_WORKERS`."""
    if jobs is not None:
        return max(1, int(jobs))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cpus))


def map_in_processes(func: Callable[[Any], Any], items: Sequence | Iterable, *, jobs: int | None = None,
                     min_items: int = 2) -> list:
    """``[func(item) for item in items]``, by worker processes when there are at least ``min_items``
    items and more than one worker; ``func`` must be a module-level function (it is pickled).

    Workers are spawned (a fresh interpreter each), never forked: the caller may have threads running
    (the runner's notebook threads, a Jupyter kernel, a Dask client), and a forked child can inherit a
    lock one of them held and wait forever. A script calling this needs the usual
    ``if __name__ == "__main__":`` guard, as with any spawned worker.
    """
    items = list(items)
    workers = min(worker_count(jobs), len(items))
    # a daemonic process (e.g. a Dask worker) may not start children: it does the work itself
    if workers <= 1 or len(items) < min_items or multiprocessing.current_process().daemon:
        return [func(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(func, items, chunksize=max(1, len(items) // (workers * 8))))
