"""Lines of progress and status on stderr, wrapped at the width of the output as the consoles' are.

The commands' notes, warnings and errors go through rich consoles (:mod:`darkfigure.cli.common`), which wrap at the
terminal's width, or at :data:`PIPED_WIDTH` columns in a log or a pipe. The progress and status lines written
from the library (:func:`darkfigure.pipeline.phases.say`, the bootstraps' progress lines, the notes of the worker
pools) were printed whole: up to 275 columns in a saved log (s24 fresh clone, L2). :func:`write` wraps them the
same way. An in-place progress line (``\\r``, on a terminal only) is not written through here.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TextIO

__all__ = ["PIPED_WIDTH", "width", "wrap", "write"]

#: width given to output that is not a terminal (a pipe, a file, a test's buffer) when COLUMNS sets none: rich
#: otherwise assumes 80 columns there and cut the interval columns. It was 10,000 (no line wrapped), which
#: padded every row of a panel to its widest line, up to 2,901 characters of spaces in a saved log (s23 new user,
#: finding 9); 120 columns hold every table whole and wrap long lines as a terminal of that width does.
#: Read when a width is asked (tests set it to 10,000 for the command's in-process output: tests/conftest.py).
PIPED_WIDTH = 120


def _is_tty(file: object) -> bool:
    """Whether `file` is a terminal (False for a pipe, a file, a closed stream or an object without isatty)."""
    try:
        return bool(file.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def width(file: TextIO | None = None) -> int:
    """Columns to wrap at on `file` (default: stderr): COLUMNS when it is set to a number, else the terminal's
    width, else (a pipe, a file) :data:`PIPED_WIDTH`; as the consoles of :mod:`darkfigure.cli.common` decide."""
    file = sys.stderr if file is None else file
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _is_tty(file):
        try:
            return os.get_terminal_size(file.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            return 80
    return PIPED_WIDTH


def wrap(message: str, columns: int) -> str:
    """`message` with each of its lines wrapped at spaces to at most `columns` characters.

    No word is cut or dropped: a word longer than `columns` (a path) stands alone on its line; the line breaks
    in `message` are kept; spaces between words are kept where no line breaks.
    """
    out = []
    for line in message.split("\n"):
        if len(line) <= columns:
            out.append(line)
            continue
        out.extend(textwrap.wrap(line, columns, break_long_words=False, break_on_hyphens=False,
                                 replace_whitespace=False, drop_whitespace=True) or [""])
    return "\n".join(out)


def write(message: str, file: TextIO | None = None) -> None:
    """Print `message` on `file` (default: stderr, read when called: a test may have replaced it), wrapped
    (:func:`wrap` at :func:`width`), and flush."""
    file = sys.stderr if file is None else file
    print(wrap(message, width(file)), file=file, flush=True)
