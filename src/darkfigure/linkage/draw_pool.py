"""How the linkage draws' worker processes are started (:func:`draw_context`), and what each draw does in them.

The draws use the ``forkserver`` start method: the caller may hold DuckDB/Splink threads
(``dfg.link`` in the same script), which a plain fork would copy mid-flight. But
``forkserver`` (like ``spawn``) imports the caller's main script again in every new
process; a script without ``if __name__ == "__main__":`` then runs again, starts its own
draws, and multiprocessing stops it with "RuntimeError: An attempt has been made to start a
new process before the current process has finished its bootstrapping phase" (tester
report 11, finding 6; README's Python examples have no such guard). For such a script the
draws use ``fork`` where the platform has it (the workers run only numpy/pandas/scipy
code, never DuckDB: the draws re-cluster stored match probabilities; the DuckDB connection ``dfg.link``
leaves as garbage is collected before the fork and never finalised in a worker, where it crashed them:
:func:`darkfigure._pool.worker_pool`, tester 13b, M4), and otherwise run in this one process with a note on
stderr.
"""

from __future__ import annotations

import multiprocessing
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..histories import DataError

__all__ = ["DrawFailure", "main_script_unguarded", "draw_context"]

_GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__""")


def main_script_unguarded() -> bool:
    """True when a new ``spawn``/``forkserver`` process would run the main script's top level again.

    That is a script (``python script.py``, or ``python -m module`` for a module that is not
    a package's ``__main__``) whose source has no ``__name__ == "__main__"`` test, or a script
    read from standard input (``python - < script.py``: its path ``<stdin>`` is no file). An
    interactive session, a notebook, ``python -c`` and ``python -m package`` are not re-run
    (multiprocessing's ``spawn.prepare`` skips them).
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    if not path or (spec_name is not None and (spec_name == "__main__" or spec_name.endswith(".__main__"))):
        return False
    if not Path(path).is_file():
        # `python - < script.py` ('<stdin>'): a new spawn/forkserver process would try to run that path and fail
        # (FileNotFoundError in the server, BrokenPipeError here), so it is treated as a script to re-run
        return True
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False  # not a readable script (frozen, zip): nothing we can tell, keep the default
    return _GUARD.search(source) is None


def draw_context(jobs: int) -> tuple[int, Any]:
    """The worker processes for `jobs` > 1 linkage draws at once: ``(jobs, multiprocessing context)``.

    ``forkserver`` normally; ``fork`` for a main script without a main guard
    (:func:`main_script_unguarded`) on POSIX; where there is no ``fork`` for such a script,
    ``(1, None)``: the draws run in this process, after a note on stderr.
    """
    if jobs <= 1 or not main_script_unguarded():
        return jobs, multiprocessing.get_context("forkserver")
    if "fork" in multiprocessing.get_all_start_methods():
        return jobs, multiprocessing.get_context("fork")
    from .._stderr import write

    write("note: the linkage draws run in this one process: the main script has no `if __name__ == "
          "\"__main__\":` guard, and new worker processes on this platform would run it again; put the script's "
          "work under such a guard to use every core")
    return 1, None


_WORKER: dict = {}


def _draw_worker_init(run, refit) -> None:
    """Pool initializer: the link run and the refit sent once per worker, not with every draw."""
    _WORKER["run"], _WORKER["refit"] = run, refit


def _draw_task_worker(args):
    """Worker side of :func:`_draw_task` with the run and refit of :func:`_draw_worker_init`."""
    masks, seeds = args
    return _draw_task((_WORKER["run"], masks, _WORKER["refit"], seeds))


class DrawFailure(str):
    """Why one linkage draw gave no estimate (the message of its error): counted and said, never silently dropped."""


def _draw_task(args):
    """Worker: re-cluster and refit a chunk of draws. Returns [(labels, points, reps, split) or DrawFailure]."""
    from .draw_constraints import respect_structural_zeros
    from .unblocked import draw_unblocked

    run, masks, refit, seeds = args
    out = []
    for mask, s in zip(masks, seeds):
        try:
            if run.unblocked is not None:
                # the matches never compared: a draw of them per linkage draw (merged, or split for the bias correction)
                mask = draw_unblocked(run.labels(mask) if np.asarray(mask).dtype == bool else mask, run, int(s))
            split = 0
            if getattr(refit, "structural_zeros", None) is not None:
                # a join the declared structural zeros rule out is undone (draw_constraints; tester 19a, H1)
                lab = run.labels(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
                mask, split, h = respect_structural_zeros(run, lab, refit.structural_zeros)
            else:
                h = None
            if h is None:  # (the structural-zero check built the persons already: not twice per draw)
                h = run.histories(mask)
            out.append((*refit(h, int(s)), split))
        except (DataError, ValueError, RuntimeError, np.linalg.LinAlgError) as e:
            out.append(DrawFailure(str(e)))
    return out


def _failures_said(results: list) -> str:
    """The commonest reason among the failed draws, for the messages (empty when none failed)."""
    why = pd.Series([str(r) for r in results if isinstance(r, DrawFailure)])
    if why.empty:
        return ""
    top = why.value_counts()
    return f" ({top.iloc[0]} of them: {top.index[0]})"
