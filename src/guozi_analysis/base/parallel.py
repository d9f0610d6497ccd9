"""Work spread over this machine's cores, or over a Dask cluster: one helper for every step that maps a
function over many items.

Used where items are independent and each costs more than shipping it to a worker (reading the files
of a big batch, projecting many series, rendering many profile pages). Results come back in the
order of the items, so the output is the same whatever runs them: local worker processes, this
process alone, or the workers of a Dask cluster the run has put in charge with :func:`on_cluster`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from math import ceil
from typing import Any

from guozi_analysis.base import config

#: At most this many worker processes by default (the steps that use them are memory-light, but
#: beyond four the parent collecting results becomes the bottleneck).
MAX_DEFAULT_WORKERS = 4
#: Tasks per Dask worker a map is cut into: enough that a slow chunk does not hold the others up,
#: few enough that the scheduler's cost per task (a few milliseconds) stays small.
CHUNKS_PER_WORKER = 4
#: The logger a task run on a cluster worker writes its one line to (the stage and how many items):
#: a worker's log then shows which stages ran there.
TASK_LOGGER = "guozi_analysis.tasks"

_cluster_lock = threading.Lock()
_cluster: list[Any] = []  # the Dask clients put in charge by on_cluster, innermost last


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


@contextmanager
def on_cluster(client) -> Iterator[Any]:
    """While inside, every :func:`map_in_processes` of this process sends its items to the Dask
    ``client``'s workers (in chunks, results in item order) instead of local processes.

    A module-level setting rather than a context variable: the runner maps from several threads
    (the notebooks' and the stages'), and all of them should use the one cluster of the run.
    ``client=None`` changes nothing (the run has no cluster)."""
    if client is None:
        yield None
        return
    with _cluster_lock:
        _cluster.append(client)
    try:
        yield client
    finally:
        with _cluster_lock:
            _cluster.remove(client)


def current_cluster():
    """The Dask client :func:`on_cluster` put in charge, or ``None``."""
    with _cluster_lock:
        return _cluster[-1] if _cluster else None


def task_logger() -> logging.Logger:
    """:data:`TASK_LOGGER`, writing ``<time> guozi_analysis.tasks <stage>: <n> 项`` lines to stderr (a
    worker's log) even where nothing configured logging."""
    logger = logging.getLogger(TASK_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def log_task(stage: str, count: int) -> None:
    """The one line a task run on a cluster worker logs: its stage and how many items it carries."""
    task_logger().info("%s: %d 项", stage, count)


def _run_chunk(func: Callable[[Any], Any], chunk: list, stage: str) -> list:
    """One Dask task: ``func`` over a chunk of a map's items, in order, after the worker's log line."""
    log_task(stage, len(chunk))
    return [func(item) for item in chunk]


def chunked(items: list, count: int) -> list[list]:
    """``items`` cut into at most ``count`` consecutive chunks of (nearly) equal size, in order."""
    size = ceil(len(items) / max(1, count)) if items else 1
    return [items[k:k + size] for k in range(0, len(items), size)]


def cluster_size(client) -> int:
    """How many workers the Dask ``client``'s scheduler has now (0 when none has joined yet)."""
    return len(client.scheduler_info().get("workers", {}))


def _map_on_cluster(client, func: Callable[[Any], Any], items: list, stage: str) -> list:
    chunks = chunked(items, max(1, cluster_size(client)) * CHUNKS_PER_WORKER)
    name = getattr(func, "__name__", "task")
    futures = [client.submit(_run_chunk, func, chunk, stage, pure=False, key=f"{stage}-{name}-{k}-{os.urandom(4).hex()}")
               for k, chunk in enumerate(chunks)]
    try:
        results = client.gather(futures)
    finally:
        for fut in futures:
            fut.release()
    return [result for chunk in results for result in chunk]


def map_in_processes(func: Callable[[Any], Any], items: Sequence | Iterable, *, jobs: int | None = None,
                     min_items: int = 2, stage: str = "map") -> list:
    """``[func(item) for item in items]``, by worker processes when there are at least ``min_items``
    items and more than one worker; ``func`` must be a module-level function (it is pickled).

    Inside :func:`on_cluster` every non-empty map goes to the Dask cluster instead (its workers are
    already running, so even a few items are worth sending), cut into chunks of consecutive items, one
    task each, named by ``stage`` (``intake``, ``shared``, ``render``…) in the worker's log; ``jobs``
    and ``min_items`` then do not apply.

    Local workers are spawned (a fresh interpreter each), never forked: the caller may have threads
    running (the runner's notebook threads, a Jupyter kernel, a Dask client), and a forked child can
    inherit a lock one of them held and wait forever. A script calling this needs the usual
    ``if __name__ == "__main__":`` guard, as with any spawned worker.
    """
    items = list(items)
    client = current_cluster()
    if client is not None and items:
        return _map_on_cluster(client, func, items, stage)
    workers = min(worker_count(jobs), len(items))
    # a daemonic process (e.g. a Dask worker) may not start children: it does the work itself
    if workers <= 1 or len(items) < min_items or multiprocessing.current_process().daemon:
        return [func(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(func, items, chunksize=max(1, len(items) // (workers * 8))))


def _adopt(settings: dict[str, Any]) -> None:
    """In a fresh process: the caller's :mod:`guozi_analysis.base.config` paths (a test or a script may
    have pointed them elsewhere)."""
    for name, value in settings.items():
        setattr(config, name, value)


def _call_fresh(func: Callable[..., Any], args: tuple, kwargs: dict, scheduler: str | None) -> Any:
    """The fresh process's one task: ``func(*args, **kwargs)``, on the caller's Dask cluster when it had one."""
    if scheduler is None:
        return func(*args, **kwargs)
    from distributed import Client  # deferred: heavy dependency, loaded on first use

    with Client(scheduler, timeout=30) as client, on_cluster(client):
        return func(*args, **kwargs)


class StepProcessLost(OSError):
    """The fresh process of :func:`in_fresh_process` ended without an answer (killed, out of memory)."""


def in_fresh_process(func: Callable[..., Any], *args, what: str = "", **kwargs) -> Any:
    """``func(*args, **kwargs)`` in a fresh interpreter that ends with the call, its result (or its
    exception) returned here; ``func`` must be a module-level function (it is pickled).

    For a step whose peak memory must not stay with the caller (issue 27): a process that freed a few
    gigabytes of small frames keeps most of them as heap fragments, so a long run that did intake and the
    shared step in its own process carried ~1.6 GB (2,000 enterprises) through its notebooks and its
    rendering. A process that ends returns everything. The caller's ``config`` paths go with the call, and
    inside :func:`on_cluster` the fresh process joins the same Dask scheduler, so the step's maps still go
    to the cluster. A daemonic caller (a Dask worker) cannot start one: the call runs here. A fresh process
    that ends without answering (the system killed it, e.g. out of memory) raises :class:`StepProcessLost`
    in Chinese, naming ``what`` (the step).
    """
    if multiprocessing.current_process().daemon:
        return func(*args, **kwargs)
    settings = {name: getattr(config, name) for name in dir(config) if name.isupper()}
    client = current_cluster()
    scheduler = client.scheduler.address if client is not None else None
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_adopt, initargs=(settings,)) as pool:
        try:
            return pool.submit(_call_fresh, func, args, kwargs, scheduler).result()
        except BrokenProcessPool:
            raise StepProcessLost(f"{what or '这一步'}所在的进程意外退出，没有结果（常见原因：内存不足被系统终止）；"
                                  "上次发布的结果保持不变。") from None

