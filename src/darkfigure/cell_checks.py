"""Checks of single cells that reach the outputs: formula-like names and levels, overlong cells, lossy exports.

Tester 19a: a covariate level ``=1+1`` was written as it is into persons.csv, histories.csv and estimates.csv,
where a spreadsheet evaluates it (CSV formula injection, OWASP), and a list header ``=HYPERLINK("x")`` was read
as a list name (M6); a 10 MB covariate, nationality or record_id cell passed ``link`` and ``estimate`` then hung
printing it (M5); names with ``?`` where a letter was (a "save as ANSI" export) went unnoticed (M3).

Formula-like values are refused rather than neutralised (a ``'`` put before them): a refusal never changes the
data silently, and a level changed on the way would no longer match the analyst's own tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["formula_like", "refuse_formula_names", "refuse_formula_levels", "refuse_long_cells", "lost_letters_note",
           "MAX_CELL_CHARS"]

#: longest covariate level, nationality, sex, organisation or record_id accepted, in characters
MAX_CELL_CHARS = 200

_NUMBER = re.compile(r"^[+-]\s*(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_ROWS_COUNTED = "rows count from the first data row: row 1 = the line under the header, Excel's row 2"
_WHY = ("a spreadsheet opening the output files (persons.csv, histories.csv, estimates.csv) would read it as a "
        "formula and run it (CSV formula injection)")


def formula_like(values: pd.Series) -> np.ndarray:
    """True for each text value that a spreadsheet reads as a formula: it starts with ``=``, ``+``, ``-`` or ``@``
    and is not a number (``-1``, ``+3.5``) nor only dashes (``-``, ``--``, a missing-value mark).

    Parameters
    ----------
    values : Series
        Cells of one column (non-text cells are never formula-like).

    Returns
    -------
    ndarray of bool, one per value
    """
    if len(values) == 0:  # (an empty Series maps to a float Series without .str; review s19, L2)
        return np.zeros(0, dtype=bool)
    text = values.map(lambda v: v.strip() if isinstance(v, str) else "").astype(object)
    first = text.str[:1]
    hit = first.isin(["=", "+", "-", "@"]) & ~text.str.fullmatch(r"-+") & ~text.str.match(_NUMBER)
    return hit.to_numpy(dtype=bool)


def refuse_formula_names(names, role: str = "list") -> None:
    """Refuse a list or covariate name (a column header) that a spreadsheet reads as a formula (tester 19a, M6).

    Raises
    ------
    DataError
        Naming the column and what to do.
    """
    names = [str(n) for n in names]
    hit = formula_like(pd.Series(names, dtype=object))
    if hit.any():
        n = names[int(np.flatnonzero(hit)[0])]
        raise DataError(f"{role} column name {n!r} starts with {n.strip()[0]!r}: {_WHY}. Rename the column so that "
                        f"it starts with a letter or digit (e.g. {n.strip().lstrip('=+-@').strip() or 'list_a'!r})")


def refuse_formula_levels(data: pd.DataFrame, columns, src: str | None = None, what: str = "",
                          error=DataError) -> None:
    """Refuse a value of `columns` that a spreadsheet reads as a formula (``=1+1``, ``@SUM(A1)``; tester 19a, M6).

    Parameters
    ----------
    data : DataFrame
        The table as read (rows counted from 1, the header not counted).
    columns : iterable of str
        The columns whose values are written to the outputs (covariates; in a registration file also
        organisation, sex, nationality, record_id).
    src : str, optional
        The file's name, for the message.
    what : str
        How the columns are called in the message (``"covariate"``; default: just "column").
    error : exception class
        Raised (a :class:`~darkfigure.errors.DataError` or a subclass).

    Raises
    ------
    `error`
        Naming the file, the column, the first row and the value, and what to do.
    """
    for c in columns:
        if c not in data.columns:
            continue
        hit = formula_like(data[c])
        if hit.any():
            i = int(np.flatnonzero(hit)[0])
            v = str(data[c].iloc[i])
            more = f" ({int(hit.sum()):,} cells like it)" if hit.sum() > 1 else ""
            raise error(
                f"{src + ': ' if src else ''}{what + ' ' if what else ''}column {str(c)!r} has {v[:40]!r} in row {i + 1}{more} ({_ROWS_COUNTED}), "
                f"which starts with {v.strip()[0]!r}: {_WHY}. Correct the cell, or write the value without the "
                f"leading {v.strip()[0]!r}, and run again")


def refuse_long_cells(data: pd.DataFrame, columns, src: str | None = None, error=DataError) -> None:
    """Refuse a cell of `columns` longer than :data:`MAX_CELL_CHARS` characters (tester 19a, M5).

    A 10 MB covariate, nationality or record_id cell is no value of its column but notes or a broken export;
    it passed ``link`` and ``estimate`` then hung printing it. Names have their own limit
    (:func:`darkfigure.linkage.input_checks.refuse_long_names`).

    Raises
    ------
    `error`
        Naming the file, the column, the row, the record and the length, and what to do.
    """
    for c in columns:
        if c not in data.columns:
            continue
        n = data[c].map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy()
        long = np.flatnonzero(n > MAX_CELL_CHARS)
        if long.size:
            i = int(long[0])
            rec = f" (record {str(data['record_id'].iloc[i])[:40]!r})" if "record_id" in data.columns \
                and c != "record_id" else ""
            more = f" and {long.size - 1:,} more row(s)" if long.size > 1 else ""
            raise error(
                f"{src + ': ' if src else ''}column {str(c)!r} holds {int(n[i]):,} characters in row {i + 1}{rec}{more}; {_ROWS_COUNTED}. "
                f"A value of {str(c)!r} is at most {MAX_CELL_CHARS} characters: this cell holds something else "
                "(notes, or several fields pasted together). Correct it, or leave the column out, and run again")


#: a "?" next to a letter: what a letter outside the code page becomes in a "save as ANSI" export (Ma?gorzata)
_LOST_LETTER = re.compile(r"[^\W\d_]\?|\?[^\W\d_]")


def lost_letters_note(frames) -> list[str]:
    """A note counting names with ``?`` where a letter was (``Ma?gorzata``, ``Nguy?n``; tester 19a, M3).

    A file saved as "ANSI" (Windows-1252) replaces the letters outside that code page (ł, ư, ễ, Cyrillic) by
    ``?``: such names still link, but worse. Said, per file or organisation, with a count and the first record.

    Parameters
    ----------
    frames : validated registration frames (text columns).

    Returns
    -------
    list of str (empty, or one note)
    """
    parts = []
    for f in frames:
        bad = np.zeros(len(f), dtype=bool)
        for c in ("first_name", "surname"):
            if c in f.columns:
                bad |= f[c].astype(str).str.contains(_LOST_LETTER, regex=True).to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            orgs = pd.unique(f["organisation"].astype(str)[bad]) if "organisation" in f.columns else []
            who = f"{f.attrs.get('source', 'registrations')}" + (f" ({', '.join(orgs[:3])})" if len(orgs) else "")
            name = f"{f['first_name'].iloc[i]} {f['surname'].iloc[i]}".strip()
            parts.append(f"{int(bad.sum()):,} in {who} (e.g. {name!r}, row {i + 1}, record {f['record_id'].iloc[i]!r})")
    if not parts:
        return []
    return [f"names with '?' where a letter was (a file saved as 'ANSI'/Windows-1252 loses the letters outside it, "
            f"such as ł, ư, ễ): {'; '.join(parts)}; {_ROWS_COUNTED}. Such names link worse: re-export these files "
            "as UTF-8 (in Excel: 'CSV UTF-8') and run again"]
