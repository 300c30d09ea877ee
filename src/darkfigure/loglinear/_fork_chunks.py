"""Bootstrap chunks on the other core by one forked process, when that core is free.

The batched bootstrap (:func:`darkfigure.loglinear.bootstrap._map_batched`) refits chunk 0 in the process,
then every other chunk from a copy of the job as chunk 0 left it. A pool of workers gained nothing on simdat
(1,000 replicates, 4 chunks of ~0.15 s: the pool's start-up and the idle parent ate the chunk it saved; round 7
of docs/speed.md). Here the process itself keeps working: one child, forked after chunk 0 (it inherits the
warmed job, so nothing is pickled on the way in), refits the last chunks while the process refits the first
ones, and sends its results back through a pipe. Each chunk starts from the same warmed state wherever it runs,
so the replicates are bit for bit those of one process.

Only where ``os.fork`` exists, with at least two cores and the 1-minute load average below cores - 0.5 (on a
busy machine the child would only compete for a core; round 5 measured 1.5-1.9 s in one process against 2.6 s
with two workers at load 9), not in a pool's worker process, and when the chunks given away take long enough
to pay for the fork.
``DARKFIGURE_BOOTSTRAP_FORK=0|1`` forces it off or on (tests, benchmarks). If the child fails in any way, its
chunks are refitted in the process (same results, more slowly).
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["core_free", "fork_worth_it", "only_safe_threads", "run_split", "wait_readable"]

#: give chunks to a child only when they would take at least this long here (fork, copy-on-write, pipe)
_MIN_SECONDS = 0.08


def fork_worth_it(n_rest: int, seconds_per_chunk: float) -> bool:
    """Whether to split `n_rest` chunks of `seconds_per_chunk` each with a forked child (module docstring)."""
    forced = os.environ.get("DARKFIGURE_BOOTSTRAP_FORK", "")
    if forced in ("0", "1"):
        return forced == "1" and n_rest >= 2 and hasattr(os, "fork")
    if n_rest < 2 or not hasattr(os, "fork"):
        return False
    return seconds_per_chunk * (n_rest // 2) >= _MIN_SECONDS and core_free()


def core_free() -> bool:
    """Linux, at least two cores, the 1-minute load average below cores - 0.5 (a second process would not only
    compete for a core: module docstring), no other thread (:func:`only_safe_threads`), and not a pool's worker
    process (its siblings have the other cores)."""
    import multiprocessing
    import sys

    # Linux only: on macOS a forked child may not use some system frameworks (why multiprocessing spawns there)
    if not sys.platform.startswith("linux") or multiprocessing.parent_process() is not None or not only_safe_threads():
        return False
    cores = os.cpu_count() or 1
    try:
        return cores >= 2 and os.getloadavg()[0] < cores - 0.5
    except OSError:
        return False


def only_safe_threads() -> bool:
    """Whether this process runs no thread but this one and rich's progress-bar refresher: a thread caught
    holding a lock at the fork (in a notebook, a web server) could leave the child waiting on it for ever."""
    import threading

    me = threading.current_thread()
    return all(t is me or type(t).__name__ == "_RefreshThread" for t in threading.enumerate())


def wait_readable(fd: int, pid: int, seconds: float) -> bool:
    """Wait up to `seconds` for the child `pid` to write to `fd`; past that, kill it and return False."""
    import select
    import signal

    ready, _, _ = select.select([fd], [], [], seconds)
    if ready:
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    return False


def run_split(run: Callable[[Any], Any], tasks: Sequence[Any], advance: Callable[[int], None],
              size: Callable[[Any], int]) -> list[Any]:
    """``[run(t) for t in tasks]``, the second half computed by a forked child at the same time as the first.

    Parameters
    ----------
    run : callable
        Computes one task (a chunk of replicates) from the state inherited at the fork; deterministic.
    tasks : sequence
        At least two.
    advance : callable
        ``advance(n)`` reports `n` replicates done (the progress bar; called in this process only).
    size : callable
        The replicates in a result (for `advance`).

    Returns
    -------
    list
        The results in the order of `tasks`.
    """
    half = (len(tasks) + 1) // 2
    mine, theirs = list(tasks[:half]), list(tasks[half:])
    r_fd, w_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and end without the parent's exit handlers or buffered output
        code = 1
        try:
            os.close(r_fd)
            data = pickle.dumps([run(t) for t in theirs], protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(w_fd, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(w_fd)
    out = []
    t0 = time.perf_counter()
    for t in mine:
        out.append(run(t))
        advance(size(out[-1]))
    # the child has as many chunks as this process, or one fewer: far past that time it is stuck (killed)
    patience = 10.0 + 20.0 * (time.perf_counter() - t0)
    chunks = []
    try:
        while wait_readable(r_fd, pid, patience):
            b = os.read(r_fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
        else:  # killed as stuck: its chunks are computed here
            chunks = []
    finally:
        os.close(r_fd)
    _, status = os.waitpid(pid, 0)
    try:
        got = pickle.loads(b"".join(chunks)) if status == 0 else None
    except (pickle.UnpicklingError, EOFError, ValueError):
        got = None
    if got is None or len(got) != len(theirs):  # the child failed: its chunks here (the same results)
        got = [run(t) for t in theirs]
    for r in got:
        advance(size(r))
    return out + got
