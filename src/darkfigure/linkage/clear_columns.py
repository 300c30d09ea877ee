"""What ``pseudonymise`` leaves in clear, checked before anything is written (tester 13b, H1).

Every column outside the registration format passes through pseudonymisation as a covariate, and so does
``record_id``. A ``case_notes`` column with "client Quitam Loquibel born 1972-07-12", an ``email`` built from
the first name or a ``record_id`` made of surname and date of birth went out in clear; the API said nothing and
the command line only listed the columns. Here, with each row's own names and date of birth in hand:

* :func:`identifying_columns` finds the clear columns (``record_id`` included) whose values contain that row's
  first name, surname or date of birth (written as digits in any common order, with or without separators) in
  at least :data:`LEAK_SHARE` of the rows and at least :data:`LEAK_ROWS` rows; ``pseudonymise`` refuses them
  (:func:`refuse_identifying_columns`), unless the user vouches for a column with ``keep=`` (``--keep-clear``);
* :func:`clear_column_warnings` names the other clear columns that may identify a person: free text (long
  values or many words) and columns whose values differ on most rows (as an identifier's do), then lists the
  covariates kept in clear, as the command line did;
* :class:`PseudonymisationWarning` is the Python warning category under which ``pseudonymise`` also raises its
  warnings: the function returns a data frame, and ``attrs["warnings"]`` alone went unseen in a notebook.

A row counts when a name form of at least :data:`MIN_NAME_LETTERS` letters (the whole name, its normalised
form, or one of its words of four letters or more; ASCII, lower case, letters only) occurs in the cell's letters,
or a form of the date of birth (``YYYYMMDD``, ``DDMMYYYY``, ``MMDDYYYY``, the same without leading zeros, or
``YYMMDD``/``DDMMYY``) occurs in the cell's digits. A match on one row may be chance (a short surname inside a
word); the share and count thresholds make a column's match a pattern, not a coincidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .keys import PseudonymisationError
from .names import fold_ascii
from .registrations import IDENTIFIER_COLUMNS

__all__ = [
    "FREE_TEXT_CHARACTERS",
    "LEAK_ROWS",
    "LEAK_SHARE",
    "MIN_NAME_LETTERS",
    "PseudonymisationWarning",
    "clear_column_warnings",
    "clear_columns_of",
    "identifying_columns",
    "refuse_identifying_columns",
    "resolve_keep",
    "text_shape",
]

#: a clear column holding the row's own name or date of birth on at least this share of the rows ...
LEAK_SHARE = 0.05
#: ... and on at least this many rows is refused
LEAK_ROWS = 3
#: shortest name form looked for in a cell (a two-letter surname such as "Li" is found inside many words)
MIN_NAME_LETTERS = 3
#: a column whose non-empty values differ on more than this share of its rows is named as identifier-like
DISTINCT_SHARE = 0.5
#: ... when it has at least this many non-empty values (a handful of rows all differ by chance)
DISTINCT_MIN_ROWS = 20
#: a column whose median value is longer than this (characters) or ...
FREE_TEXT_CHARACTERS = 30
#: ... has at least this many words is named as free text
FREE_TEXT_WORDS = 4
#: rows checked at most (evenly spaced): bounded time on millions of registrations
MAX_ROWS_CHECKED = 50_000
_NOT_LETTER = re.compile(r"[^a-z]+")
_NOT_DIGIT = re.compile(r"\D+")


class PseudonymisationWarning(UserWarning):
    """A warning of ``pseudonymise``: something in clear or in the names the organisation should look at."""


def _letters(value: object) -> str:
    """The letters of a value, ASCII lower case, without spaces or punctuation (``""`` for missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _NOT_LETTER.sub("", fold_ascii(str(value)).lower())


def _name_forms(raw: object, normalised: str) -> set[str]:
    """The forms of one name looked for in a cell: whole, normalised, and its words of four letters or more."""
    text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else fold_ascii(str(raw)).lower()
    forms = {_letters(text), normalised}
    forms |= {w for w in _NOT_LETTER.split(text) if len(w) >= 4}
    return {f for f in forms if len(f) >= MIN_NAME_LETTERS}


def _date_forms(iso: str) -> set[str]:
    """A date of birth ``YYYY-MM-DD`` as the digit runs it is commonly written as (empty: no forms)."""
    if len(iso) < 10:
        return set()
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    m1, d1 = m.lstrip("0"), d.lstrip("0")
    return {y + m + d, d + m + y, m + d + y, d1 + m1 + y, m1 + d1 + y, y + m1 + d1, y[2:] + m + d, d + m + y[2:]}


def identifying_columns(regs: pd.DataFrame, columns: Sequence[str], first: pd.Series, surname: pd.Series,
                        dob: pd.Series) -> dict[str, tuple[int, int]]:
    """Clear columns holding each row's own first name, surname or date of birth on a meaningful share of rows.

    A three-letter name form counts only as a word of its own in the cell; longer forms anywhere in its letters.

    Parameters
    ----------
    regs : DataFrame, shape (n, ...)
        Validated plaintext registrations (``first_name`` and ``surname`` as written).
    columns : sequence of str
        The columns that would be written in clear.
    first, surname : Series of str, shape (n,)
        The normalised names as encoded (ASCII, lower case, no spaces; ``""`` missing).
    dob : Series of str, shape (n,)
        Dates of birth as ISO ``YYYY-MM-DD`` (``""`` missing).

    Returns
    -------
    dict
        ``{column: (rows holding an identifier, rows checked)}`` for the columns at or above
        :data:`LEAK_SHARE` and :data:`LEAK_ROWS`, in the order of `columns`.
    """
    n = len(regs)
    rows = np.arange(n) if n <= MAX_ROWS_CHECKED else np.linspace(0, n - 1, MAX_ROWS_CHECKED).astype(np.int64)
    fn_raw, sn_raw = regs["first_name"].to_numpy(dtype=object), regs["surname"].to_numpy(dtype=object)
    fn, sn, db = (s.to_numpy(dtype=object) for s in (first, surname, dob))
    names = [_name_forms(fn_raw[i], str(fn[i])) | _name_forms(sn_raw[i], str(sn[i])) for i in rows]
    dates = [_date_forms(str(db[i])) for i in rows]
    found: dict[str, tuple[int, int]] = {}
    for c in columns:
        values = regs[c].to_numpy(dtype=object)
        hits = 0
        for j, i in enumerate(rows):
            v = values[i]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            text = str(v)
            if names[j]:
                words = _NOT_LETTER.split(fold_ascii(text).lower())
                letters = "".join(words)
                # a three-letter name must be a word of its own ("Ina" is inside "criminal"); longer ones anywhere
                if any(f in words if len(f) < 4 else f in letters for f in names[j]):
                    hits += 1
                    continue
            if dates[j] and any(f in _NOT_DIGIT.sub("", text) for f in dates[j]):
                hits += 1
        if hits >= LEAK_ROWS and hits >= LEAK_SHARE * len(rows):
            found[c] = (hits, len(rows))
    return found


def refuse_identifying_columns(found: dict[str, tuple[int, int]]) -> None:
    """Raise :class:`PseudonymisationError` naming every column of `found` (:func:`identifying_columns`).

    The message gives each column's share of rows and what to do: drop the column, renumber a ``record_id``,
    or vouch for a column with ``keep=`` (``--keep-clear``).
    """
    if not found:
        return
    parts = [f"{c!r} ({h:,} of {t:,} rows, {h / t:.0%})" for c, (h, t) in found.items()]
    todo = []
    others = [c for c in found if c != "record_id"]
    if others:
        todo.append(f"drop {', '.join(map(repr, others))} before pseudonymising (or, if you are sure the column "
                    f"identifies nobody, name it in keep=[...] / --keep-clear {','.join(others)})")
    if "record_id" in found:
        todo.append("number the registrations afresh (1, 2, 3, ... or a random code; keep the table from the new "
                    "number to your own record at the organisation) instead of a record_id made of names or dates "
                    "of birth")
    raise PseudonymisationError(
        f"column(s) {', '.join(parts)} hold the person's own first name, surname or date of birth in clear; they "
        f"would leave the organisation readable beside the encodings. Nothing was written: {'; and '.join(todo)}"
    )


def resolve_keep(keep: Sequence[str] | str | None, clear: Sequence[str]) -> list[str]:
    """The columns a user vouches for (``keep=``, ``--keep-clear``), checked against the clear columns.

    Parameters
    ----------
    keep : sequence of str, comma-separated str or None
    clear : sequence of str
        The columns that would be written in clear.

    Raises
    ------
    PseudonymisationError
        An identifying column (never kept in clear), or a name that is not a clear column of the data.
    """
    if keep is None:
        return []
    names = [s.strip() for s in keep.split(",")] if isinstance(keep, str) else [str(s).strip() for s in keep]
    names = [s for s in names if s]
    ident = [s for s in names if s in IDENTIFIER_COLUMNS]
    if ident:
        raise PseudonymisationError(
            f"keep names {', '.join(ident)}: first_name, surname and date_of_birth are never kept in clear (they "
            "are what pseudonymise encodes)")
    unknown = [s for s in names if s not in clear]
    if unknown:
        raise PseudonymisationError(
            f"keep names column(s) {', '.join(map(repr, unknown))} that the registrations do not hold in clear; "
            f"the columns kept in clear are: {', '.join(clear)}")
    return names


def text_shape(text: pd.Series) -> tuple[float, float]:
    """Median length (characters) and median number of words of the non-empty strings `text`, shape (n,), n > 0:
    what tells free text from a category (:data:`FREE_TEXT_CHARACTERS`, :data:`FREE_TEXT_WORDS`)."""
    return float(text.str.len().median()), float(text.str.split().str.len().median())


def clear_column_warnings(regs: pd.DataFrame, covariates: Sequence[str], keep: Sequence[str]) -> list[str]:
    """Warnings about covariates kept in clear that the user did not vouch for (``keep``).

    Parameters
    ----------
    regs : DataFrame
        The validated registrations.
    covariates : sequence of str
        The covariates written in clear (not ``sex``/``nationality``, which the estimates use).
    keep : sequence of str
        Columns the user vouched for: not warned about.

    Returns
    -------
    list of str
        One warning naming the free-text and identifier-like columns (median length or words; share of distinct
        values), and one listing every other covariate kept in clear, with what to do.
    """
    out = []
    risky = []
    plain = []
    for c in covariates:
        if c in keep:
            continue
        s = regs[c]
        text = s[s.notna()].astype(str).str.strip()
        text = text[text != ""]
        if not len(text):
            plain.append(c)
            continue
        length, words = text_shape(text)
        distinct = text.nunique() / len(text)
        if length > FREE_TEXT_CHARACTERS or words >= FREE_TEXT_WORDS:
            risky.append(f"{c!r} (free text? median {length:.0f} characters, {words:.0f} words)")
        elif len(text) >= DISTINCT_MIN_ROWS and distinct > DISTINCT_SHARE and not pd.api.types.is_float_dtype(s):
            risky.append(f"{c!r} (a different value on {distinct:.0%} of its rows, as an identifier has)")
        else:
            plain.append(c)
    if risky:
        out.append(
            f"column(s) kept in clear that may identify a person: {'; '.join(risky)}. Drop them before sending the "
            "file; if they identify nobody, name them in keep=[...] / --keep-clear to say so")
    if plain:
        out.append(
            f"column(s) kept in clear as covariates: {', '.join(plain)}. Remove any that identify a person (phone, "
            "address, ...) before sending the file; keep=[...] / --keep-clear names the ones you vouch for")
    return out


def clear_columns_of(regs: pd.DataFrame, encode_all: bool) -> list[str]:
    """The columns ``pseudonymise`` writes in clear, in the data's order: the format's and every covariate."""
    skip = set(IDENTIFIER_COLUMNS) | ({"sex", "nationality"} if encode_all else set())
    return [c for c in regs.columns if c not in skip]
