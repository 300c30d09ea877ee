"""Command line: ``darkfigure estimate DATA``, ``darkfigure simulate SCENARIO``, ``darkfigure datasets``.

The interface is fixed so that scripts can rely on it (see README.md).

One module per command group (:mod:`.estimate`, :mod:`.compare` with validate, :mod:`.simulate` with demo,
:mod:`.linkage` with pseudonymise and link, :mod:`.monitor` with revictimisation, :mod:`.report`, :mod:`.strata`,
:mod:`.misc` with datasets and version); options that several commands take are defined once in :mod:`.options`,
the helpers they share in :mod:`.common`. Commands are registered here, in the order ``--help`` lists them.
"""

from __future__ import annotations

import os
import sys

# first: answers `estimate FILE.csv --method dga` before typer loads (see cli/lean.py)
from . import lean as _lean  # noqa: F401

# isort: split
import typer
from rich.markup import escape

from . import compare as _compare
from . import estimate as _estimate
from . import linkage as _linkage
from . import misc as _misc
from . import monitor as _monitor
from . import report as _report
from . import simulate as _simulate
from . import strata as _strata
from .common import _fmt, _no_type_for_flags, console, err

__all__ = ["app", "main", "console", "err", "_fmt"]

_no_type_for_flags()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="darkfigure: multiple systems estimation of hidden populations (how many were never registered).",
)
for _command in (_estimate.estimate, _compare.compare, _compare.validate, _simulate.simulate, _linkage.pseudonymise,
                 _linkage.link, _monitor.monitor, _monitor.revictimisation, _report.report, _simulate.demo,
                 _strata.strata):
    app.command()(_command)
app.command("datasets")(_misc.list_datasets)
app.command()(_misc.version)
app.callback()(_misc._main_options)


def main() -> None:
    """Entry point of the ``darkfigure`` command: runs it, then ends the process without the interpreter's teardown.

    Python's finalisation (clearing pandas', scipy's and numpy's modules) cost 0.2 s of CPU at the end of every
    command; the exit handlers still run (temporary files, worker pools, Spark) and the output is flushed.
    """
    _keep_freed_memory()
    try:
        _main()
    except SystemExit as e:
        _exit(e.code)
    _exit(0)


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep freed blocks up to 32 MB for reuse instead of returning them to the system.

    The batched fits allocate and free arrays of 1-12 MB at every Newton step; above glibc's default
    threshold each is a fresh mmap whose pages fault in zeroed again (130,000 page faults, 0.2-0.3 s of
    system time in the simdat job; 32,000 with this). Other C libraries: nothing is changed.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD: keep up to 64 MB of free heap
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: blocks below 32 MB come from the heap
    except (OSError, AttributeError):
        pass


def _exit(code) -> None:
    """``sys.exit(code)`` as the process's end: exit handlers, flushed output, then ``os._exit`` (no teardown).
    With other threads still running (they would be killed), an ordinary ``sys.exit``."""
    import atexit
    import threading

    if threading.active_count() > 1 or sys.flags.interactive:
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            pass
    os._exit(code or 0)


def _say_interrupted() -> None:
    """One line on stderr after Ctrl-C: what the command had written (tester report 10, F12)."""
    from .common import interrupt_message

    err.print(f"[yellow]{escape(interrupt_message())}[/yellow]")


def _main() -> None:
    """The command, with a clear line for the user on interrupts, memory and bugs."""
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C: one line on what was written, exit as a shell does on SIGINT
        _say_interrupted()
        sys.exit(130)
    except SystemExit as e:
        # typer turns Ctrl-C into exit 130 (`raise Exit(130) from` the KeyboardInterrupt) without a word; a command
        # with its own message (strata) raises Exit(130) from None
        cause = getattr(e.__context__, "__cause__", None)
        if e.code == 130 and isinstance(cause, KeyboardInterrupt):
            _say_interrupted()
        raise
    except MemoryError:
        err.print("[bold red]error:[/] ran out of memory: use a smaller problem (fewer lists, --reps, --jobs 1)")
        sys.exit(1)
    except Exception as e:  # a bug: one line for the user, the traceback only on request
        if os.environ.get("DARKFIGURE_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {escape(type(e).__name__)}: {escape(str(e))}. This is a bug in darkfigure; "
            "please report it with the command you ran (DARKFIGURE_DEBUG=1 shows the traceback)"
        )
        sys.exit(1)
