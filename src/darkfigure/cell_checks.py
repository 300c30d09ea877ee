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

#: what follows a leading "+" or "-" in a formula with effect: a function call, a DDE link (``cmd|' /C calc'!A0``),
#: another sheet, a comparison, a string joined or quoted
_FORMULA_CHARS = re.compile(r"[(|!=&\"]")
#: arithmetic, a cell reference or a comparison after the leading sign (``+1+1``, ``-2-3``, ``+1/0``, ``+$A$1``,
#: ``+1<2``): nothing runs, but a spreadsheet shows another value than the one written (review s20 L4)
_ARITHMETIC = re.compile(r"[-+*/^<>$%@:]")
#: what a formula-like cell starts with, after leading blanks (the quick test before :func:`_formula_reason`)
_LEADING_SIGN = re.compile(r"\s*[=+\-@]")
#: a leading sign and the number after it, as in an age band ``+65 jaar`` or ``-18``
_SIGNED_BAND = re.compile(r"^([+-])\s*(\d+(?:[.,]\d+)?)(.*)$", re.S)
_ROWS_COUNTED = "rows count from the first data row: row 1 = the line under the header, Excel's row 2"
_WHY = ("a spreadsheet opening the output files (persons.csv, histories.csv, estimates.csv) would read it as a "
        "formula and run it (CSV formula injection)")


def _formula_reason(v) -> str | None:
    """Why a spreadsheet would run text cell `v` as a formula with effect, or None when it would not."""
    if not isinstance(v, str):
        return None
    t = v.strip()  # a leading tab or CR does not stop a spreadsheet from reading what follows
    if not t or t[0] not in "=+-@":
        return None
    if t[0] in "=@":
        return f"starts with {t[0]!r}"
    rest = t.lstrip("+- \t\r\n")
    if not rest:
        return None  # "-", "--": a missing-value mark
    hit = _FORMULA_CHARS.search(rest)
    if hit:
        return f"starts with {t[0]!r} and holds {hit.group()!r}"
    if rest[0].isalpha():
        return f"starts with {t[0]!r} followed by a name ({rest.split()[0][:20]!r})"
    hit = _ARITHMETIC.search(rest)
    if hit:
        return f"starts with {t[0]!r} and holds {hit.group()!r} (a spreadsheet would compute it)"
    return None  # "+65 jaar", "-18", "+31 6 1234 5678": a number or a band, never run


def formula_like(values: pd.Series) -> np.ndarray:
    """True for each text value that a spreadsheet runs as a formula with effect.

    That is a value starting with ``=`` or ``@`` (``=1+1``, ``@SUM(1)``), or with ``+`` or ``-`` (also after
    leading spaces, tabs or CRs) followed by a name (``+cmd``, ``+SUM(A1)``, ``-x``) or holding a formula
    character (``(``, ``|``, ``!``, ``=``, ``&``, ``"``; ``-2+3+cmd|' /C calc'!A0``) or arithmetic, a reference
    or a comparison (``+1+1``, ``+1/0``, ``+$A$1``, ``+1<2``: shown as another value). A number or age band
    (``-18``, ``+65 jaar``, ``+3.5``), a phone number (``+31 6 1234 5678``) and dashes only (``-``, ``--``, a
    missing-value mark) are not formula-like (tester 20).

    Parameters
    ----------
    values : Series
        Cells of one column (non-text cells are never formula-like).

    Returns
    -------
    ndarray of bool, one per value
    """
    codes, uniq = pd.factorize(pd.Series(values, dtype=object), sort=False)
    # each distinct value once, and the full rule only where a spreadsheet could start a formula (a million
    # record ids: 19 CPU-s value by value, under one second so)
    hit = np.fromiter((isinstance(v, str) and _LEADING_SIGN.match(v) is not None and _formula_reason(v) is not None
                       for v in uniq), dtype=bool, count=len(uniq))
    return np.where(codes >= 0, hit[np.maximum(codes, 0)] if len(uniq) else False, False)


def _how_to_write(v: str) -> str:
    """The advice of a refusal: the band written with its sign after the number when that is what it is."""
    t = v.strip()
    m = _SIGNED_BAND.match(t)
    if m and re.fullmatch(r"[\s\w.,()]*", m.group(3)):  # "+65 (jaar)", not "+1+SUM(A1)" nor "-2+3+cmd|'..'!A0"
        return f"write it as {(m.group(2) + m.group(1) + m.group(3)).strip()!r}"
    return f"correct the cell, or write the value without the leading {t[0]!r}"


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
        raise DataError(f"{role} column name {n!r} {_formula_reason(n)}: {_WHY}. Rename the column so that "
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
                f"which {_formula_reason(v)}: {_WHY}. To keep it, {_how_to_write(v)}, and run again")


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
        codes, uniq = pd.factorize(pd.Series(data[c].to_numpy(), dtype=object), sort=False)
        lengths = np.fromiter((len(v) if isinstance(v, str) else 0 for v in uniq), dtype=np.int64, count=len(uniq))
        n = np.where(codes >= 0, lengths[np.maximum(codes, 0)] if len(uniq) else 0, 0)
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
