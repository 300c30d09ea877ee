"""Worker processes that never lose a run: when one dies, the rest is done in this process.

A worker can end abruptly without any fault of the task: the kernel's out-of-memory killer picks it on a busy
laptop, a user's ``kill`` hits it, a test runner's neighbour exhausts memory. ``concurrent.futures`` then
raises ``BrokenProcessPool`` for every task still pending, and a bootstrap of 1,000 replicates (or a run of
strata, or of linkage draws) would be lost with nothing wrong in the data. Every task here carries its own
seed, so a task run in this process gives the same result as in a worker: the tasks not yet returned are
run here, in order, and a note on stderr says so.

The other way round, a worker never outlives the run: when this process dies without shutting its pool down
(``kill -9``, the out-of-memory killer), idle workers would wait on their task queue for ever, re-parented to
init (tester 9, F3). :func:`worker_pool` gives every worker a death signal tied to its parent (Linux
``prctl(PR_SET_PDEATHSIG)``) and a watchdog thread that ends it once its parent is gone (any POSIX system).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = ["map_ordered", "note_broken_pool", "worker_pool"]

#: seconds between a worker's checks that its parent is alive (the watchdog; Linux ends it at once by signal)
_WATCH_SECONDS = 0.5
#: prctl option of Linux: the signal a process gets when the thread that created it ends (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by another user
        return True
    return True


def _die_with_parent(creator: int) -> None:
    """In a worker: end it when its parent process dies (`creator`: the pid of the process that made the pool).

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` asks the kernel to kill this process when its parent ends
    (immediate, even while a compiled loop holds the GIL). Everywhere: a daemon thread checks every
    ``_WATCH_SECONDS`` that the parent is still the one this worker started with (an orphan is re-parented
    to init or a subreaper) and that `creator` is alive, and ends the worker when not. The second check is
    the one that works under the ``forkserver`` method: there the parent is the fork server, which itself
    waits for its children to end (they hold its "alive" pipe) and so never dies first. A parent that died
    before this ran is caught at once.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (another libc): the watchdog below still works
            pass
    if parent != creator and not _alive(creator):
        os._exit(1)  # the run ended before this worker started

    def watch() -> None:
        """End this worker once its parent is gone (re-parented) or the run's process `creator` has died."""
        while True:
            time.sleep(_WATCH_SECONDS)
            if os.getppid() != parent or (creator != parent and not _alive(creator)):
                os._exit(1)

    threading.Thread(target=watch, name="darkfigure-parent-watch", daemon=True).start()


def _init_worker(creator: int, initializer: Callable[..., None] | None, initargs: tuple, forked: bool = False) -> None:
    """The initializer of every worker of :func:`worker_pool`: tie it to its parent, then the caller's own.

    A `forked` worker (start method ``fork``) first freezes the objects it inherited (``gc.freeze``): the
    garbage collector must never finalise them here. A DuckDB connection left in a reference cycle by Splink
    (``dfg.link`` earlier in the script) crashed the worker with a segmentation fault when finalised in the
    child (tester 13b, M4: "a worker process ended abruptly" after link, in scripts without a main guard).
    """
    if forked:
        gc.freeze()
    _die_with_parent(creator)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(max_workers: int, mp_context=None, initializer: Callable[..., None] | None = None,
                initargs: tuple = ()) -> ProcessPoolExecutor:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` whose workers end when this process dies.

    Parameters are those of ``ProcessPoolExecutor``; `initializer` (module level, picklable) runs in each
    worker after the tie to its parent (:func:`_die_with_parent`) is set. Use it for every pool of worker
    processes (:func:`map_ordered` does), so that a run killed with ``kill -9`` or by the out-of-memory killer
    leaves no worker behind.
    """
    method = (mp_context or multiprocessing).get_start_method()
    if method == "fork":
        gc.collect()  # garbage such as a dead DuckDB connection is finalised here, safely, not in the workers
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context, initializer=_init_worker,
                               initargs=(os.getpid(), initializer, tuple(initargs), method == "fork"))


def note_broken_pool(left: int, what: str) -> None:
    """Say on stderr that a worker died and the `left` tasks (`what`: "strata", ...) run in this process."""
    from ._stderr import write

    write(f"note: a worker process ended abruptly (killed by a signal: out of memory, killed, or a crash); the "
          f"{left:,} {what} left run in this process instead (the same results: each has its own seed), more slowly")


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
        As :class:`concurrent.futures.ProcessPoolExecutor` and its ``map`` (the pool is :func:`worker_pool`: its
        workers end when this process dies).
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
    with worker_pool(n_jobs, mp_context=mp_context, initializer=initializer, initargs=initargs) as ex:
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
