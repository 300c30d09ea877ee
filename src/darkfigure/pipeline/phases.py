"""One line per phase of ``estimate`` on stderr when it is not a terminal (a log file, a pipe); a spinner on one.

On a terminal the bootstraps and the linkage draws show progress bars; in a log nothing
would be written for the whole run (tester report 5, M3: 49 silent minutes). The lines
are written only when the caller asked for progress (the CLI does). A phase without a bar of
its own (the model search: ~24 s in ``darkfigure demo``, tester 12b, L11) shows a rich spinner
on a terminal, which leaves nothing behind in the output.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["phase", "say"]


def say(progress: bool, message: str, *, terminal: bool = False) -> None:
    """Write `message` on stderr (wrapped at its width) when `progress` and stderr is not a terminal (or `terminal`)."""
    if progress and (terminal or not sys.stderr.isatty()):
        from .._stderr import write

        write(message)  # wrapped at the output's width (s24 fresh clone L2: lines of 275 columns in a log)


def _status(label: str):
    """A transient rich spinner reading `label` on stderr (a context manager)."""
    from rich.console import Console

    return Console(stderr=True).status(label)


@contextmanager
def phase(progress: bool, label: str) -> Iterator[None]:
    """``label…`` as the phase starts and ``label: done in N s`` as it ends (see :func:`say`); on a terminal a
    spinner reading ``label…`` while it runs instead."""
    t0 = time.perf_counter()
    say(progress, f"{label}…")
    if progress and sys.stderr.isatty():
        with _status(f"{label}…"):
            yield
    else:
        yield
    say(progress, f"{label}: done in {time.perf_counter() - t0:,.0f} s")
