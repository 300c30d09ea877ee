"""Checks on registration files beyond the format: corrupt name cells and the sheet an Excel file was read from.

Split out of :mod:`darkfigure.linkage.registrations` (which calls them) to keep that module short.
A name of millions of characters (notes or a whole export pasted into one cell) made ``link``
hang: string comparisons are quadratic in the length (tester 11, finding 4). An Excel file
whose registrations are on another sheet than the first gave only "missing columns"
(finding 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: longest first name or surname accepted, in characters: real names, even long compound Spanish, Arabic or
#: Portuguese ones, stay well under 100; a longer cell is notes or several fields pasted together
MAX_NAME_CHARS = 200
#: how rows are numbered in error messages
ROWS_COUNTED = "rows count from the first data row: row 1 = the line under the header, Excel's row 2"


def refuse_long_names(df: pd.DataFrame, src: str) -> None:
    """Refuse a ``first_name`` or ``surname`` longer than :data:`MAX_NAME_CHARS` characters.

    Parameters
    ----------
    df : registrations with names as text, shape (n, ...).
    src : the file's name, for the message.

    Raises
    ------
    RegistrationError
        Naming the file, the column, the row(s), the record_id and the length, and what to do.
    """
    from .registrations import RegistrationError

    for c in ("first_name", "surname"):
        if c not in df.columns:
            continue
        n = df[c].astype(str).str.len().to_numpy()
        long = np.flatnonzero(n > MAX_NAME_CHARS)
        if long.size:
            i = int(long[0])
            more = f" and {long.size - 1:,} more row(s)" if long.size > 1 else ""
            raise RegistrationError(
                f"{src}: column {c!r} holds {int(n[i]):,} characters in row {i + 1} (record "
                f"{df['record_id'].iloc[i]!r}){more}; {ROWS_COUNTED}. A name is at most {MAX_NAME_CHARS} characters: "
                "this cell holds something else (notes, or several fields pasted together). Correct it, or leave "
                "the name empty, and run again")


def excel_sheets(p: Path) -> list[str]:
    """The sheet names of an Excel file, in order ([] if they cannot be read)."""
    try:
        return [str(s) for s in pd.ExcelFile(p).sheet_names]
    except (ValueError, OSError, ImportError):
        return []


def sheet_hint(p: Path, sheet: str | int | None) -> str:
    """For a 'missing columns' message on an Excel file: the sheet read, the sheets that exist, and ``--sheet``.

    Returns "" for other files and for a workbook of one sheet.
    """
    if p.suffix.lower() not in (".xlsx", ".xls"):
        return ""
    names = excel_sheets(p)
    if len(names) < 2:
        return ""
    read = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else (sheet or names[0])
    return (f" (read sheet {read!r}; the workbook's sheets are {', '.join(map(repr, names))}: choose the sheet with "
            "the registrations with --sheet, or move it first)")
