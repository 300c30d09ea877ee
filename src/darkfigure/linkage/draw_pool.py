"""How the linkage draws' worker processes are started (:func:`draw_context`).

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

__all__ = ["main_script_unguarded", "draw_context"]

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
    print("note: the linkage draws run in this one process: the main script has no `if __name__ == "
          "\"__main__\":` guard, and new worker processes on this platform would run it again; put the script's "
          "work under such a guard to use every core", file=sys.stderr, flush=True)
    return 1, None
