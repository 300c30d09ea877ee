"""A forked helper that fits the stepwise search's next candidate while this process fits the current one.

A step of :func:`.search.step` refits candidates one after another in the order of their score/Wald
approximations until the rest cannot win. On a 2-core machine the second core sat idle through the whole
search (~0.6 s of simdat's 2.2 s). Here one child, forked once per search (it inherits the table and its
design caches, so nothing large is sent), fits candidate j+1 of the order while this process fits candidate
j; results are taken strictly in the search's order with the same stopping rule, and a candidate fitted ahead
that the rule no longer needs is dropped. A fit is the same arithmetic on the same numbers in either process
(:func:`.fit.fit_model` with ``check=False``: no existence LP, nothing from caches that could move a digit), so
the path is bit for bit the one-process path (tests/test_search_helper.py).

Used only where ``os.fork`` exists, with at least two cores, the 1-minute load average below cores - 0.5 (see
:func:`._fork_chunks.core_free`) and a table large enough for a fit to outweigh a round trip through a pipe
(:data:`MIN_WORK` observable cells x design columns), and never in a pool's worker process (strata, bootstrap
replicates with re-selection: the pool has the cores). ``DARKFIGURE_SEARCH_FORK=0|1`` forces it off or on. If
the helper fails, the candidates are fitted here.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import struct

import numpy as np

from ._fork_chunks import core_free, wait_readable

__all__ = ["CandidateHelper", "start_helper"]

#: observable cells x columns of the main-effects design below which a fit is too quick to send away
MIN_WORK = 20_000


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int, pid: int = 0, seconds: float = 0.0):
    """The next message on `fd`; with `pid`, None when child `pid` sends nothing for `seconds` (it is killed)."""
    if pid and not wait_readable(fd, pid, seconds):
        return None
    head = _read_exact(fd, 8)
    if head is None:
        return None
    return pickle.loads(_read_exact(fd, struct.unpack("<Q", head)[0]) or b"")


def _read_exact(fd: int, n: int) -> bytes | None:
    parts, left = [], n
    while left:
        b = os.read(fd, min(left, 1 << 20))
        if not b:
            return None
        parts.append(b)
        left -= len(b)
    return b"".join(parts)


class CandidateHelper:
    """The parent's side: :meth:`submit` a candidate fit, :meth:`result` waits for it, :meth:`close` ends the child.

    Parameters
    ----------
    pid : int
    to_child, from_child : int
        Pipe file descriptors.
    table : CompleteTable
        Put back into the fits received (the child sends them without it).
    """

    def __init__(self, pid: int, to_child: int, from_child: int, table):
        self.pid, self.to_child, self.from_child, self.table = pid, to_child, from_child, table
        self.pending: list = []  # tags submitted and not yet received, in order
        self.alive = True

    def submit(self, tag, model, start: np.ndarray) -> bool:
        """Ask the child to fit `model` from `start` (shape (n_observable,)); False when the child is gone."""
        if not self.alive:
            return False
        try:
            _send(self.to_child, (tag, model, start))
        except OSError:
            self.alive = False
            return False
        self.pending.append(tag)
        return True

    def result(self, tag):
        """The fit of `tag` (results of earlier tags not asked for are dropped), or None when the child failed."""
        while self.alive and tag in self.pending:
            try:
                # a candidate fit takes milliseconds: a helper silent for a minute is stuck
                got = _recv(self.from_child, self.pid, 60.0)
            except (OSError, pickle.UnpicklingError, EOFError, ValueError):
                got = None
            if got is None:
                self.alive = False
                break
            t, fit = got
            self.pending.remove(t)
            if t == tag:
                return None if fit is None else dataclasses.replace(fit, table=self.table)
        return None

    def drop(self) -> None:
        """Forget the fits asked for and not taken (the step stopped before needing them)."""
        while self.alive and self.pending:
            self.result(self.pending[0])

    def close(self) -> None:
        """End the child and reap it."""
        if self.pid:
            try:
                if self.alive:
                    _send(self.to_child, None)
            except OSError:
                pass
            for fd in (self.to_child, self.from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0


def _serve(table, fit, to_parent: int, from_parent: int) -> None:
    """The child's loop: fit each candidate asked for, as :func:`.search.step` would, and send it back."""
    while True:
        req = _recv(from_parent)
        if req is None:
            return
        tag, model, start = req
        try:
            f = fit(table, model, mu_start=start, check=False, tol=1e-8, floor=1e-300)
            f = dataclasses.replace(f, table=None)
        except Exception:  # the parent fits it itself and meets the error there
            f = None
        _send(to_parent, (tag, f))


def start_helper(table, fit) -> CandidateHelper | None:
    """Fork the helper for a search on `table` with the candidate fit `fit`, or None where it does not pay."""
    forced = os.environ.get("DARKFIGURE_SEARCH_FORK", "")
    if forced == "0" or not hasattr(os, "fork"):
        return None
    if forced != "1":
        work = int(table.observable.sum()) * (1 + sum(table.block((v,)).shape[1] for v in table.variables))
        if work < MIN_WORK or not core_free():
            return None
    r1, w1 = os.pipe()  # parent -> child
    r2, w2 = os.pipe()  # child -> parent
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(w1)
            os.close(r2)
            _serve(table, fit, w2, r1)
            code = 0
        finally:
            os._exit(code)
    os.close(r1)
    os.close(w2)
    return CandidateHelper(pid, w1, r2, table)
