"""Progress of a bootstrap: a rich bar on a terminal, a line per tenth in a log (moved from :mod:`.bootstrap`)."""

from __future__ import annotations

import sys

from .._stderr import write


class _progress:
    """A rich progress bar on a terminal; otherwise (a log file, a pipe) one line as the phase starts and one as it
    ends, on stderr, so that a long run is never silent (tester report 5, M3)."""

    def __init__(self, show: bool, total: int, label: str):
        self.lines = show and not sys.stderr.isatty()
        self.show = show and sys.stderr.isatty()
        self.total, self.label = total, label

    def __enter__(self):
        if self.lines:
            import time

            self._t0 = time.perf_counter()
            write(f"{self.label}: {self.total:,} to run…")
            done, said = [0], [0]

            last = [self._t0]

            def advance(n: int) -> None:
                """A line at every further tenth done, or after 20 s without one, with the time left at the rate
                so far (a log of a slow run is never silent for minutes)."""
                done[0] += n
                tenth = 10 * done[0] // max(self.total, 1)
                now = time.perf_counter()
                if (tenth > said[0] or now - last[0] >= 20) and done[0] < self.total:
                    said[0], last[0] = tenth, now
                    t = now - self._t0
                    left = t / done[0] * (self.total - done[0])
                    write(f"{self.label}: {done[0]:,} of {self.total:,} done, about {left:,.0f} s left")

            return advance
        if not self.show:
            return lambda n: None
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.__enter__()
        task = self._p.add_task(self.label, total=self.total)
        return lambda n: self._p.advance(task, n)

    def __exit__(self, *exc):
        if self.show:
            self._p.__exit__(*exc)
        if self.lines and exc[0] is None:
            import time

            write(f"{self.label}: done in {time.perf_counter() - self._t0:,.0f} s")
        return False
