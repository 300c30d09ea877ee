"""Worker processes that never lose a run: when one dies, the rest is done in this process.

A worker can end abruptly without any fault of the task: the kernel's out-of-memory killer picks it on a busy
laptop, a user's ``kill`` hits it, a test runner's neighbour exhausts memory. ``concurrent.futures`` then
raises ``BrokenProcessPool`` for every task still pending, and a bootstrap of 1,000 replicates (or a run of
strata, or of linkage draws) would be lost with nothing wrong in the data. Every task here carries its own
seed, so a task run in this process gives the same result as in a worker: the tasks not yet returned are
run here, in order, and a note on stderr says so.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = ["map_ordered", "note_broken_pool"]


def note_broken_pool(left: int, what: str) -> None:
    """Say on stderr that a worker died and the `left` tasks (`what`: "strata", ...) run in this process."""
    print(
        f"note: a worker process ended abruptly (out of memory, or killed); the {left:,} {what} left run in "
        "this process instead (the same results: each has its own seed), more slowly",
        file=sys.stderr,
        flush=True,
    )


def map_ordered(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    n_jobs: int,
    *,
    what: str = "tasks",
    mp_context=None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    chunksize: int = 1,
    local: Callable[[int], Any] | None = None,
) -> Iterator[Any]:
    """Yield ``fn(task)`` for every task, in the order of `tasks`, from `n_jobs` worker processes.

    Parameters
    ----------
    fn : callable
        A picklable function of one task (module level).
    tasks : sequence
        The tasks; each must carry its own seed when `fn` draws random numbers, so that where it runs does
        not change its result.
    n_jobs : int
        Worker processes (>= 2; callers run one job in their own process without this function).
    what : str
        What the tasks are, for the note ("bootstrap chunks", "strata", "linkage draws").
    mp_context, initializer, initargs, chunksize
        As :class:`concurrent.futures.ProcessPoolExecutor` and its ``map``.
    local : callable, optional
        ``local(i)`` computes task ``i`` in this process when the pool has broken (default ``fn(tasks[i])``);
        needed when `fn` relies on what `initializer` set up in the workers.

    Yields
    ------
    The results, in the order of `tasks`.

    Notes
    -----
    When a worker ends abruptly (``BrokenProcessPool``: killed by a signal or the out-of-memory killer), the
    results already received are kept and the tasks not yet returned are computed here, one by one, after a
    note on stderr. An exception raised by `fn` itself is not caught: it is the task's error, and the run
    stops with it as it would in one process.
    """
    run_here = local if local is not None else (lambda i: fn(tasks[i]))
    done = 0
    broken = False
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=mp_context, initializer=initializer,
                             initargs=initargs) as ex:
        try:
            for r in ex.map(fn, tasks, chunksize=chunksize):
                done += 1
                yield r
        except BrokenProcessPool:
            broken = True
    if broken:
        note_broken_pool(len(tasks) - done, what)
        for i in range(done, len(tasks)):
            yield run_here(i)
