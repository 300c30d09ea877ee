"""One line per phase of ``estimate`` on stderr when it is not a terminal (a log file, a pipe).

On a terminal the bootstraps and the linkage draws show progress bars; in a log nothing
would be written for the whole run (tester report 5, M3: 49 silent minutes). The lines
are written only when the caller asked for progress (the CLI does).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["phase", "say"]


def say(progress: bool, message: str, *, terminal: bool = False) -> None:
    """Write `message` as one line on stderr when `progress` and stderr is not a terminal (or `terminal`)."""
    if progress and (terminal or not sys.stderr.isatty()):
        print(message, file=sys.stderr, flush=True)


@contextmanager
def phase(progress: bool, label: str) -> Iterator[None]:
    """``label…`` as the phase starts and ``label: done in N s`` as it ends (see :func:`say`)."""
    t0 = time.perf_counter()
    say(progress, f"{label}…")
    yield
    say(progress, f"{label}: done in {time.perf_counter() - t0:,.0f} s")
